//! Bytes of an XML file to text, as libxml2 (and so libvirt) reads them: a
//! byte-order mark, UTF-16 recognised by its first characters, or the
//! `encoding=` of the XML declaration; UTF-8 otherwise.
//!
//! The text returned keeps every line and character column of the file (a
//! diagnostic points where the user's editor does), and it is UTF-8: the
//! declaration's `encoding="..."` is blanked out with as many spaces, so
//! libvirt, which receives the text as UTF-8, does not decode it a second
//! time. Never guesses: an encoding libxml2 would not know, or bytes that
//! are not valid in the declared one, are errors.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE};

/// Why a file's bytes are not text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// No (or a UTF-8) declaration, and bytes that are not UTF-8.
    NotUtf8 { valid_up_to: usize },
    /// The declaration names an encoding libxml2 does not know.
    Unknown { name: String, text: String, at: usize },
    /// Bytes that are not valid in the declared (or detected) encoding;
    /// `text` is the decoded text with U+FFFD there, `at` its byte offset.
    Malformed { encoding: String, text: String, at: usize },
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::NotUtf8 { valid_up_to } => write!(f, "the file is not UTF-8 (invalid byte at offset {valid_up_to}) and declares no other encoding"),
            // printed through the error printer or a diagnostic, both of which escape
            DecodeError::Unknown { name, .. } => write!(f, "the XML declaration names the encoding '{name}', which libxml2 (and so libvirt) does not know"),
            DecodeError::Malformed { encoding, text, at } => {
                let (line, col) = super::LineIndex::new(text).line_col(*at);
                write!(f, "the file is not valid {encoding}, the encoding it declares (at {line}:{col})")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// What to tell the user to do about a [`DecodeError`].
pub const HELP: &str = "save it as UTF-8 (e.g. iconv -t UTF-8), or declare the encoding it is really in";

/// The text of an XML file's bytes.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, DecodeError> {
    // a byte-order mark, or '<?' in UTF-16, settles it (libxml2's
    // xmlDetectCharEncoding); the declaration then only repeats it
    let utf16 = match bytes {
        [0xFF, 0xFE, ..] => Some((UTF_16LE, 2)),
        [0xFE, 0xFF, ..] => Some((UTF_16BE, 2)),
        [0x3C, 0x00, 0x3F, 0x00, ..] => Some((UTF_16LE, 0)),
        [0x00, 0x3C, 0x00, 0x3F, ..] => Some((UTF_16BE, 0)),
        _ => None,
    };
    if let Some((enc, bom)) = utf16 {
        return with_encoding(enc, &bytes[bom..]).map(|t| Cow::Owned(blank_declared_encoding(t)));
    }
    let Some((name, at)) = declared_encoding(bytes) else { return utf8(bytes) };
    let label = name.trim().to_ascii_lowercase();
    match label.as_str() {
        "utf-8" | "utf8" => return utf8(bytes),
        // labelled UTF-16 but 8-bit: libxml2 ignores the label (its
        // "Document labelled UTF-16 but has UTF-8 content")
        "utf-16" | "utf16" | "utf-16le" | "utf-16be" => return utf8(bytes),
        _ => {}
    }
    let text = if is_latin1(&label) {
        // libxml2's own ISO-8859-1: every byte is the code point of that
        // number (WHATWG, and encoding_rs, read the label as windows-1252)
        bytes.iter().map(|&b| char::from(b)).collect()
    } else if is_ascii(&label) {
        match bytes.iter().position(|b| !b.is_ascii()) {
            None => String::from_utf8(bytes.to_vec()).expect("ASCII"),
            Some(i) => {
                let text: String = bytes.iter().map(|&b| if b.is_ascii() { char::from(b) } else { '\u{FFFD}' }).collect();
                let at = text.char_indices().nth(i).map_or(0, |(o, _)| o);
                return Err(DecodeError::Malformed { encoding: name, text, at });
            }
        }
    } else {
        let enc = Encoding::for_label(label.as_bytes())
            .filter(|e| *e != encoding_rs::REPLACEMENT && *e != encoding_rs::X_USER_DEFINED)
            .ok_or_else(|| DecodeError::Unknown { name: name.clone(), text: String::from_utf8_lossy(bytes).into_owned(), at })?;
        with_encoding(enc, bytes).map_err(|e| match e {
            DecodeError::Malformed { text, at, .. } => DecodeError::Malformed { encoding: name.clone(), text, at },
            other => other,
        })?
    };
    Ok(Cow::Owned(blank_declared_encoding(text)))
}

fn utf8(bytes: &[u8]) -> Result<Cow<'_, str>, DecodeError> {
    std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| DecodeError::NotUtf8 { valid_up_to: e.valid_up_to() })
}

fn with_encoding(enc: &'static Encoding, bytes: &[u8]) -> Result<String, DecodeError> {
    if let Some(t) = enc.decode_without_bom_handling_and_without_replacement(bytes) {
        return Ok(t.into_owned());
    }
    let (text, _) = enc.decode_without_bom_handling(bytes);
    let at = text.find('\u{FFFD}').unwrap_or(0);
    Err(DecodeError::Malformed { encoding: enc.name().to_string(), text: text.into_owned(), at })
}

/// libxml2's names for ISO-8859-1 (its built-in handler) and for ASCII.
fn is_latin1(label: &str) -> bool {
    matches!(label, "iso-8859-1" | "iso_8859-1" | "iso8859-1" | "iso_8859-1:1987" | "latin1" | "l1" | "iso-ir-100" | "cp819" | "ibm819" | "csisolatin1")
}

fn is_ascii(label: &str) -> bool {
    matches!(label, "ascii" | "us-ascii" | "us" | "iso646-us" | "ansi_x3.4-1968" | "ansi_x3.4-1986" | "iso-ir-6" | "cp367" | "ibm367" | "csascii")
}

/// The `encoding` of an XML declaration at the very start of `bytes` (its
/// ASCII is the same in every 8-bit encoding libxml2 reads), with the byte
/// offset of its value.
fn declared_encoding(bytes: &[u8]) -> Option<(String, usize)> {
    let head = &bytes[..bytes.len().min(512)];
    let head = &head[..head.iter().position(|b| !b.is_ascii()).unwrap_or(head.len())];
    let head = std::str::from_utf8(head).ok()?;
    let decl = head.strip_prefix("<?xml")?;
    if !decl.starts_with([' ', '\t', '\r', '\n']) {
        return None;
    }
    let decl = &decl[..decl.find("?>")?];
    let (_, value_at, value) = pseudo_attribute(decl, "encoding")?;
    Some((value.to_string(), "<?xml".len() + value_at))
}

/// In the inside of an XML declaration: `name = 'value'` as (offset of the
/// name, offset of the value, value).
fn pseudo_attribute<'d>(decl: &'d str, name: &str) -> Option<(usize, usize, &'d str)> {
    let mut from = 0;
    while let Some(i) = decl[from..].find(name).map(|i| i + from) {
        from = i + name.len();
        if !decl[..i].ends_with([' ', '\t', '\r', '\n']) {
            continue;
        }
        let rest = decl[from..].trim_start();
        let Some(rest) = rest.strip_prefix('=') else { continue };
        let rest = rest.trim_start();
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let value_at = decl.len() - rest.len() + 1;
        let len = rest[1..].find(quote)?;
        return Some((i, value_at, &decl[value_at..value_at + len]));
    }
    None
}

/// `text` (decoded) with its declaration's `encoding="..."` replaced by as
/// many spaces: the text is UTF-8 now, which an XML declaration without an
/// encoding means, and every column after it stays where it was.
fn blank_declared_encoding(mut text: String) -> String {
    let Some(decl) = text.strip_prefix("<?xml").and_then(|d| d.find("?>").map(|e| &d[..e])) else { return text };
    let Some((name_at, value_at, value)) = pseudo_attribute(decl, "encoding") else { return text };
    let (start, end) = ("<?xml".len() + name_at, "<?xml".len() + value_at + value.len() + 1);
    let spaces = " ".repeat(text[start..end].chars().count());
    text.replace_range(start..end, &spaces);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_encodings_are_decoded_as_libxml2_does() {
        let latin1 = b"<?xml version='1.0' encoding='ISO-8859-1'?>\n<network><name>caf\xe9\x85</name></network>\n";
        let t = decode(latin1).unwrap();
        // 0x85 is U+0085 in ISO-8859-1 (windows-1252 would make it an ellipsis)
        let blank = |s: &str, attr: &str| s.replace(attr, &" ".repeat(attr.len()));
        assert_eq!(t, blank("<?xml version='1.0' encoding='ISO-8859-1'?>\n<network><name>caf\u{e9}\u{85}</name></network>\n", "encoding='ISO-8859-1'"));
        let sjis = b"<?xml version=\"1.0\" encoding=\"Shift_JIS\" standalone=\"yes\"?><network><name>\x93\xfa</name></network>";
        assert_eq!(decode(sjis).unwrap(), blank("<?xml version=\"1.0\" encoding=\"Shift_JIS\" standalone=\"yes\"?><network><name>\u{65e5}</name></network>", "encoding=\"Shift_JIS\""));
        let mut utf16: Vec<u8> = vec![0xFF, 0xFE];
        utf16.extend("<?xml version='1.0' encoding='UTF-16'?><network/>".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(&utf16).unwrap(), blank("<?xml version='1.0' encoding='UTF-16'?><network/>", "encoding='UTF-16'"));
        // UTF-8 (declared or not) is borrowed untouched
        assert!(matches!(decode(b"<?xml version='1.0' encoding='utf-8'?><network/>").unwrap(), Cow::Borrowed(_)));
        assert!(matches!(decode("<network><name>é</name></network>".as_bytes()).unwrap(), Cow::Borrowed(_)));
    }

    #[test]
    fn unknown_encodings_and_bad_bytes_are_errors() {
        match decode(b"<?xml version='1.0' encoding='KLINGON-8'?>\n<network/>") {
            Err(DecodeError::Unknown { name, at, .. }) => assert_eq!((name.as_str(), at), ("KLINGON-8", 30)),
            other => panic!("{other:?}"),
        }
        let e = decode(b"<?xml version='1.0' encoding='us-ascii'?>\n<network>\n <name>caf\xe9</name></network>").unwrap_err();
        assert_eq!(e.to_string(), "the file is not valid us-ascii, the encoding it declares (at 3:11)");
        let e = decode(b"<?xml version='1.0' encoding='Shift_JIS'?>\n<a>\x81</a>").unwrap_err();
        assert!(e.to_string().contains("not valid Shift_JIS") && e.to_string().contains("2:4"), "{e}");
        assert_eq!(decode(b"<network>\xe9</network>").unwrap_err(), DecodeError::NotUtf8 { valid_up_to: 9 });
    }
}
