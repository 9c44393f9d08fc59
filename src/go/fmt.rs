//! Go's formatting conventions for user-visible texts.
//!
//! Upstream messages embed values with `%q` (Go `strconv.Quote`) and OS errors as Go's
//! `*PathError` (`open <path>: no such file or directory`). Reproducing them keeps our error
//! lines identical to notation's, which scripts and users grep for.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

/// A string slice as Go's `%v` prints it: `[a b c]` (nil and empty alike: `[]`).
pub fn slice_v(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// A string map as Go's `%v` prints it: keys sorted, `map[k1:v1 k2:v2]`.
pub fn map_v<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
    pairs.sort();
    let inner: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!("map[{}]", inner.join(" "))
}

/// A `time.Time` as Go's `%v` prints it, in UTC: `2006-01-02 15:04:05 +0000 UTC` (the zero
/// time too: `0001-01-01 00:00:00 +0000 UTC`). Sub-second digits are not printed.
pub fn time_v(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] +0000 UTC"
    );
    t.to_offset(time::UtcOffset::UTC)
        .format(&f)
        .unwrap_or_default()
}

/// Go's `strconv.Quote` / `%q`: double-quoted with Go escapes.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() || c == '\u{feff}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The text Go's `syscall.Errno` gives for an OS error: the C library's message with a
/// lower-case first letter (`no such file or directory`), without Rust's `(os error N)`.
pub fn errno_text(err: &io::Error) -> String {
    let text = err.to_string();
    let text = match text.find(" (os error ") {
        Some(i) if err.raw_os_error().is_some() => text[..i].to_string(),
        _ => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

/// Go's `*os.PathError` text: `<op> <path>: <errno text>`.
pub fn path_error(op: &str, path: &Path, err: &io::Error) -> String {
    format!("{op} {}: {}", path.display(), errno_text(err))
}

/// An OS error on a path, displayed as Go's `*os.PathError` (`stat <path>: no such file or directory`).
#[derive(Debug, thiserror::Error)]
#[error("{}", path_error(.op, .path, .error))]
pub struct PathError {
    /// The Go operation name: `open`, `stat`, `lstat`, `read`, `remove`, ...
    pub op: &'static str,
    /// The path as notation computed it.
    pub path: PathBuf,
    /// The OS error (not a `source`: the text above already includes it).
    pub error: io::Error,
}

impl PathError {
    /// Wrap `source` from operation `op` on `path`.
    pub fn new(op: &'static str, path: impl Into<PathBuf>, error: io::Error) -> PathError {
        PathError {
            op,
            path: path.into(),
            error,
        }
    }

    /// Whether the path did not exist (Go's `os.IsNotExist`).
    pub fn is_not_found(&self) -> bool {
        self.error.kind() == io::ErrorKind::NotFound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_like_go_time_string() {
        use time::macros::datetime;
        assert_eq!(
            time_v(datetime!(2026-12-05 14:43:26.655 +01:00)),
            "2026-12-05 13:43:26 +0000 UTC"
        );
        assert_eq!(
            time_v(datetime!(0001-01-01 0:00 UTC)),
            "0001-01-01 00:00:00 +0000 UTC"
        );
    }

    #[test]
    fn quotes_like_strconv_quote() {
        assert_eq!(quote("abc"), r#""abc""#);
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote("tab\there\n"), r#""tab\there\n""#);
        assert_eq!(quote("\u{1}\u{7f}"), r#""\x01\x7f""#);
        assert_eq!(quote("\u{85}"), r#""\u0085""#);
        assert_eq!(quote("héllo"), "\"héllo\"");
    }

    #[test]
    fn path_errors_read_like_go() {
        let err = std::fs::File::open("/definitely/not/here").unwrap_err();
        assert_eq!(
            path_error("open", Path::new("/definitely/not/here"), &err),
            "open /definitely/not/here: no such file or directory"
        );
        let custom = io::Error::other("Custom thing");
        assert_eq!(errno_text(&custom), "custom thing");
    }
}
