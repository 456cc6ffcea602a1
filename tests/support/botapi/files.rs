//! File methods over the model: storing what users send and the bot
//! uploads, `getFile`, and the bytes a download serves. Paths follow
//! Telegram's (`voice/file_3.oga`, `photos/file_4.jpg`, ...).

use serde_json::{Map, Value};

use super::{
    json::{self, file_fields},
    methods::Upload,
    model::{Media, Model, StoredFile, TestFile},
    rules::{ApiError, MAX_DOWNLOAD, bad_request},
};

/// The extension of `file_name`, or `default`.
fn extension<'a>(file_name: &'a str, default: &'a str) -> &'a str {
    match file_name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() => ext,
        _ => default,
    }
}

impl Model {
    /// Stores `file` as `folder/file_N.ext`; returns its file id.
    fn store_file(&mut self, folder: &str, ext: &str, file: TestFile) -> String {
        self.last_file += 1;
        let n = self.last_file;
        let id = format!("file-{n}");
        let stored = StoredFile {
            id: id.clone(),
            unique_id: format!("unique-{n}"),
            path: format!("{folder}/file_{n}.{ext}"),
            bytes: file.bytes,
            size: file.size,
        };
        self.files.insert(id.clone(), stored);
        id
    }

    /// Stores a document the bot uploaded; returns its file id.
    pub(super) fn store_upload(&mut self, upload: &Upload) -> String {
        let ext = extension(&upload.filename, "bin");
        self.store_file("documents", ext, TestFile::new(upload.bytes.clone()))
    }

    /// Stores the files of `media` a user sends; returns the message fields
    /// that carry it and its file ids.
    pub(super) fn media_fields(&mut self, media: Media) -> (Map<String, Value>, Vec<String>) {
        let (key, value, ids) = match media {
            Media::Voice { file, duration } => {
                let id = self.store_file("voice", "oga", file);
                let mut voice = file_fields(&self.files[&id]);
                voice.insert("duration".into(), duration.into());
                voice.insert("mime_type".into(), "audio/ogg".into());
                ("voice", Value::Object(voice), vec![id])
            }
            Media::Audio {
                file,
                duration,
                file_name,
                mime_type,
                title,
            } => {
                let id = self.store_file("music", extension(&file_name, "mp3"), file);
                let mut audio = file_fields(&self.files[&id]);
                audio.insert("duration".into(), duration.into());
                audio.insert("file_name".into(), file_name.into());
                audio.insert("mime_type".into(), mime_type.into());
                if let Some(title) = title {
                    audio.insert("title".into(), title.into());
                }
                ("audio", Value::Object(audio), vec![id])
            }
            Media::Photo(sizes) => {
                let mut photo = Vec::new();
                let mut ids = Vec::new();
                for size in sizes {
                    let id = self.store_file("photos", "jpg", size.file);
                    let mut fields = file_fields(&self.files[&id]);
                    fields.insert("width".into(), size.width.into());
                    fields.insert("height".into(), size.height.into());
                    photo.push(Value::Object(fields));
                    ids.push(id);
                }
                ("photo", Value::Array(photo), ids)
            }
            Media::Document {
                file,
                file_name,
                mime_type,
            } => {
                let id = self.store_file("documents", extension(&file_name, "bin"), file);
                let mut document = file_fields(&self.files[&id]);
                document.insert("file_name".into(), file_name.into());
                document.insert("mime_type".into(), mime_type.into());
                ("document", Value::Object(document), vec![id])
            }
        };
        let mut fields = Map::new();
        fields.insert(key.into(), value);
        (fields, ids)
    }

    /// `getFile`: the file's path, unless it is over the 20 MB bots may download.
    pub(super) fn get_file(&self, body: &Value) -> Result<Value, ApiError> {
        let id = body["file_id"].as_str().unwrap_or_default();
        let file = self
            .files
            .get(id)
            .ok_or_else(|| bad_request("invalid file_id"))?;
        if file.size > MAX_DOWNLOAD {
            return Err(bad_request("file is too big"));
        }
        Ok(json::file(file))
    }

    /// The bytes a download of `path` serves, if a file has that path.
    pub(super) fn download(&self, path: &str) -> Option<Vec<u8>> {
        let file = self.files.values().find(|f| f.path == path)?;
        Some(file.bytes.clone())
    }
}
