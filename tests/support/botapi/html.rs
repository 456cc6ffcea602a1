//! Telegram-flavoured HTML (`parse_mode=HTML`): what it accepts, what the
//! user sees, and Telegram's wording when it refuses.

use std::collections::HashMap;

/// Tags Telegram accepts in `parse_mode=HTML`.
const HTML_TAGS: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
];

/// Parses Telegram-flavoured HTML into its visible text, with Telegram's error
/// wording. Stricter than Telegram in one way: every `&` in text must start an
/// entity (`&lt; &gt; &amp; &quot; &#N; &#xN;`), so a missing escape is caught.
/// A bare `>` passes, as in Telegram; attribute values are not checked.
pub(super) fn parse_html(text: &str) -> Result<String, String> {
    let mut visible = String::with_capacity(text.len());
    let mut open: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        match c {
            '&' => {
                let (decoded, len) = decode_entity(&text[i..]).ok_or_else(|| {
                    format!("bare \"&\" at byte offset {i} (this test server wants it as &amp;)")
                })?;
                visible.push(decoded);
                i += len;
            }
            '<' if text[i..].starts_with("</") => {
                let end = text[i..]
                    .find('>')
                    .ok_or(format!("Unclosed end tag at byte offset {i}"))?;
                let name = text[i + 2..i + end].trim().to_ascii_lowercase();
                match open.pop() {
                    None => return Err(format!("Unexpected end tag at byte offset {i}")),
                    Some(top) if top != name => {
                        return Err(format!(
                            "Unmatched end tag at byte offset {i}, expected \"</{top}>\", found \"</{name}>\""
                        ));
                    }
                    Some(_) => {}
                }
                i += end + 1;
            }
            '<' => {
                let (name, len) =
                    parse_start_tag(&text[i..]).map_err(|e| format!("{e} at byte offset {i}"))?;
                open.push(name);
                i += len;
            }
            _ => {
                visible.push(c);
                i += c.len_utf8();
            }
        }
    }
    match open.last() {
        Some(tag) => Err(format!(
            "Can't find end tag corresponding to start tag \"{tag}\""
        )),
        None => Ok(visible),
    }
}

/// Parses a start tag at the beginning of `s`; returns its lowercase name
/// and length in bytes.
fn parse_start_tag(s: &str) -> Result<(String, usize), String> {
    let name_end = s[1..]
        .find(|c: char| c.is_whitespace() || c == '>')
        .map_or(s.len(), |n| n + 1);
    let name = s[1..name_end].to_ascii_lowercase();
    if !HTML_TAGS.contains(&name.as_str()) {
        return Err(format!("Unsupported start tag \"{name}\""));
    }
    let mut attributes = HashMap::new();
    let mut rest = &s[name_end..];
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix('>') {
            if name == "span" && attributes.get("class").map(String::as_str) != Some("tg-spoiler") {
                return Err("Tag \"span\" must have class \"tg-spoiler\"".into());
            }
            return Ok((name, s.len() - after.len()));
        }
        let key_end = rest.find(|c: char| c.is_whitespace() || c == '=' || c == '>');
        let Some(key_end) = key_end.filter(|&n| n > 0) else {
            return Err("Unclosed start tag".into());
        };
        let key = rest[..key_end].to_ascii_lowercase();
        rest = rest[key_end..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            rest = after.trim_start();
            let (raw, after) = match rest.chars().next() {
                Some(quote @ ('"' | '\'')) => {
                    let close = rest[1..].find(quote).ok_or("Unclosed start tag")? + 1;
                    (&rest[1..close], &rest[close + 1..])
                }
                _ => {
                    let end = rest
                        .find(|c: char| c.is_whitespace() || c == '>')
                        .unwrap_or(rest.len());
                    (&rest[..end], &rest[end..])
                }
            };
            value = raw.to_owned();
            rest = after;
        }
        attributes.insert(key, value);
    }
}

/// Decodes the HTML entity at the start of `s`: the character and the
/// entity's length in bytes.
fn decode_entity(s: &str) -> Option<(char, usize)> {
    let (end, _) = s.char_indices().take(12).find(|&(_, c)| c == ';')?;
    let name = &s[1..end];
    let decoded = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code).filter(|&c| c != '\0')?
        }
    };
    Some((decoded, end + 1))
}
