//! Fetching a file the phone sent, within the size cap: the size the
//! message declares is checked before anything is asked of Telegram, and
//! the bytes are counted as they arrive.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::{FileId, FileMeta};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::{BotError, TgBot, send};
use crate::files::{FileError, Size};

/// Why a download failed other than by size.
#[derive(Debug, thiserror::Error)]
#[error("could not fetch the file from Telegram: {0}")]
pub struct DownloadError(#[from] teloxide::DownloadError);

/// A file on Telegram's side, as a message announces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Attachment {
    pub id: FileId,
    /// The size the message declares, when it declares one.
    pub size: Option<u64>,
    /// What to call it: the sender's name for it, or one for its kind.
    pub name: String,
}

impl Attachment {
    pub(super) fn new(meta: &FileMeta, name: impl Into<String>) -> Attachment {
        Attachment {
            id: meta.id.clone(),
            // teloxide fills a missing size with `u32::MAX`.
            size: (meta.size != u32::MAX).then_some(u64::from(meta.size)),
            name: name.into(),
        }
    }

    /// Refused when the declared size is over `cap`.
    pub(super) fn check(&self, cap: u64) -> Result<(), FileError> {
        match self.size {
            Some(size) => FileError::check_take(&self.name, size, cap),
            None => Ok(()),
        }
    }
}

/// Fetches `file` into `dst`, refusing it past `cap` bytes; returns how many
/// bytes came.
pub(super) async fn fetch(
    bot: &TgBot,
    file: &Attachment,
    cap: u64,
    dst: &mut (dyn AsyncWrite + Unpin + Send),
) -> Result<u64, BotError> {
    file.check(cap)?;
    let found = send::retrying("getFile", || bot.get_file(file.id.clone()).send()).await?;
    FileError::check_take(&file.name, u64::from(found.meta.size), cap)?;
    let mut capped = Capped {
        inner: dst,
        written: 0,
        cap,
    };
    let fetched = bot.download_file(&found.path, &mut capped).await;
    match fetched {
        Ok(()) => {
            let flushed = capped.flush().await.map_err(std::sync::Arc::new);
            flushed.map_err(|e| DownloadError(e.into()))?;
            Ok(capped.written)
        }
        Err(_) if capped.written > cap => Err(FileError::TooBigToTake {
            name: file.name.clone(),
            size: Size(capped.written),
            limit: Size(cap),
        }
        .into()),
        Err(e) => Err(DownloadError(e).into()),
    }
}

/// A writer that refuses to go past `cap` bytes; `written` counts what it
/// was offered, so it is over `cap` once it refused.
struct Capped<'a> {
    inner: &'a mut (dyn AsyncWrite + Unpin + Send),
    written: u64,
    cap: u64,
}

impl AsyncWrite for Capped<'_> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.written + buf.len() as u64 > self.cap {
            self.written += buf.len() as u64;
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                "over the size cap",
            )));
        }
        let n = ready!(Pin::new(&mut *self.inner).poll_write(cx, buf))?;
        self.written += n as u64;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_cap_lets_everything_up_to_it_through_and_nothing_past() {
        let mut sink: Vec<u8> = Vec::new();
        let mut capped = Capped {
            inner: &mut sink,
            written: 0,
            cap: 6,
        };
        capped.write_all(b"abc").await.unwrap();
        capped.write_all(b"def").await.unwrap();
        let err = capped.write_all(b"g").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(capped.written, 7);
        assert_eq!(sink, b"abcdef");
    }
}
