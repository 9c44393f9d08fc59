//! JSON encoding that matches Go's `encoding/json` byte for byte; decoding with its
//! semantics and error texts is [`decode`].
//!
//! Notation writes manifests, payloads and config files with Go's encoder, which escapes
//! `<`, `>`, `&`, U+2028 and U+2029. Matching it keeps our signature manifests and
//! `signingkeys.json` byte-identical to upstream's. Map key order is the caller's business:
//! use `BTreeMap` (sorted, like Go maps) or structs (declaration order, like Go structs).

pub mod decode;

use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter, PrettyFormatter};
use std::io;

/// Wraps a serde_json formatter and adds Go's HTML-safe escapes.
struct GoFormatter<F>(F);

fn write_go_fragment<W: ?Sized + io::Write>(writer: &mut W, fragment: &str) -> io::Result<()> {
    let mut start = 0;
    for (i, c) in fragment.char_indices() {
        let escape = match c {
            '<' => "\\u003c",
            '>' => "\\u003e",
            '&' => "\\u0026",
            '\u{2028}' => "\\u2028",
            '\u{2029}' => "\\u2029",
            _ => continue,
        };
        writer.write_all(&fragment.as_bytes()[start..i])?;
        writer.write_all(escape.as_bytes())?;
        start = i + c.len_utf8();
    }
    writer.write_all(&fragment.as_bytes()[start..])
}

macro_rules! delegate_formatter {
    () => {
        fn write_string_fragment<W: ?Sized + io::Write>(
            &mut self,
            writer: &mut W,
            fragment: &str,
        ) -> io::Result<()> {
            write_go_fragment(writer, fragment)
        }
        fn write_char_escape<W: ?Sized + io::Write>(
            &mut self,
            writer: &mut W,
            char_escape: CharEscape,
        ) -> io::Result<()> {
            // Go writes control characters other than \n \r \t as \u00XX, and never \b or \f.
            match char_escape {
                CharEscape::Backspace => writer.write_all(b"\\u0008"),
                CharEscape::FormFeed => writer.write_all(b"\\u000c"),
                other => self.0.write_char_escape(writer, other),
            }
        }
        fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.0.begin_array(w)
        }
        fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.0.end_array(w)
        }
        fn begin_array_value<W: ?Sized + io::Write>(
            &mut self,
            w: &mut W,
            first: bool,
        ) -> io::Result<()> {
            self.0.begin_array_value(w, first)
        }
        fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.0.end_array_value(w)
        }
        fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.0.begin_object(w)
        }
        fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.0.end_object(w)
        }
        fn begin_object_key<W: ?Sized + io::Write>(
            &mut self,
            w: &mut W,
            first: bool,
        ) -> io::Result<()> {
            self.0.begin_object_key(w, first)
        }
        fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.0.begin_object_value(w)
        }
        fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.0.end_object_value(w)
        }
    };
}

impl Formatter for GoFormatter<CompactFormatter> {
    delegate_formatter!();
}
impl<'a> Formatter for GoFormatter<PrettyFormatter<'a>> {
    delegate_formatter!();
}

/// The character starting at byte `at` of a JSON text, quoted as Go's JSON decoder quotes
/// it in syntax errors (`quoteChar`): `'x'`, `'\''`, `'"'`, `'\n'`, `'\x01'`, `'é'`.
/// Bytes that do not start a UTF-8 character read as U+FFFD (notation's interop fixtures
/// show Go naming the whole character, not its first byte).
pub(crate) fn quote_char_at(bytes: &[u8], at: usize) -> String {
    let end = (at + 4).min(bytes.len());
    let c = String::from_utf8_lossy(&bytes[at.min(end)..end])
        .chars()
        .next()
        .unwrap_or(char::REPLACEMENT_CHARACTER);
    match c {
        '\'' => r"'\''".to_string(),
        '"' => "'\"'".to_string(),
        c => {
            let quoted = crate::go::fmt::quote(c.encode_utf8(&mut [0; 4]));
            format!("'{}'", &quoted[1..quoted.len() - 1])
        }
    }
}

/// Compact encoding, as Go's `json.Marshal`.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter(CompactFormatter));
    value.serialize(&mut ser)?;
    Ok(out)
}

/// Indented encoding, as Go's `json.MarshalIndent(v, "", indent)` (no trailing newline).
pub fn to_vec_indent<T: Serialize + ?Sized>(
    value: &T,
    indent: &str,
) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(256);
    let fmt = GoFormatter(PrettyFormatter::with_indent(indent.as_bytes()));
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    value.serialize(&mut ser)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_error_characters_as_go_quotes_them() {
        let q = |b: &[u8]| quote_char_at(b, 0);
        assert_eq!(q(b"x"), "'x'");
        assert_eq!(q(b"'"), r"'\''");
        assert_eq!(q(b"\""), "'\"'");
        assert_eq!(q(b"\\"), r"'\\'");
        assert_eq!(q(b"\n"), r"'\n'");
        assert_eq!(q(b"\x01"), r"'\x01'");
        assert_eq!(q("\u{484}rest".as_bytes()), "'\u{484}'");
        assert_eq!(q(b"\xd2"), "'\u{fffd}'");
        assert_eq!(quote_char_at(b"ab", 1), "'b'");
    }
    use std::collections::BTreeMap;

    #[test]
    fn escapes_html_characters_like_go() {
        let mut m = BTreeMap::new();
        m.insert("k", "a<b>&c\u{2028}\"");
        assert_eq!(
            String::from_utf8(to_vec(&m).unwrap()).unwrap(),
            r#"{"k":"a\u003cb\u003e\u0026c\u2028\""}"#
        );
    }

    #[test]
    fn control_characters_use_unicode_escapes() {
        assert_eq!(
            to_vec("\u{8}\u{c}\n").unwrap(),
            br#""\u0008\u000c\n""#.to_vec()
        );
    }

    #[test]
    fn indent_matches_marshal_indent() {
        let mut m = BTreeMap::new();
        m.insert("a", vec![1, 2]);
        let s = String::from_utf8(to_vec_indent(&m, "    ").unwrap()).unwrap();
        assert_eq!(s, "{\n    \"a\": [\n        1,\n        2\n    ]\n}");
    }
}
