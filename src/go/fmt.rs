//! Go's `fmt` conventions for user-visible texts.
//!
//! Upstream messages embed values with `%q` (Go `strconv.Quote`) and slices and maps with
//! `%v`. Reproducing them keeps our error lines identical to notation's, which scripts and
//! users grep for.

use std::fmt::Write as _;

/// A string slice as Go's `%v` prints it: `[a b c]` (nil and empty alike: `[]`).
pub fn slice_v(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// A string map as Go's `%v` prints it: keys sorted, `map[k1:v1 k2:v2]`.
pub(crate) fn map_v<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
    pairs.sort();
    let inner: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!("map[{}]", inner.join(" "))
}

/// Go's `%q` of a `[]map[string]string`: `[map["C":"US" "O":"x"] map[...]]`, keys sorted.
pub(crate) fn quote_maps(maps: &[std::collections::BTreeMap<String, String>]) -> String {
    let inner: Vec<String> = maps
        .iter()
        .map(|m| {
            let pairs: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}:{}", quote(k), quote(v)))
                .collect();
            format!("map[{}]", pairs.join(" "))
        })
        .collect();
    format!("[{}]", inner.join(" "))
}

/// Go's `strconv.Quote` / `%q`: double-quoted with Go escapes.
pub fn quote(s: &str) -> String {
    GoQuoted(s).to_string()
}

/// Go's `%#q` of a string: back-quoted when `strconv.CanBackquote` allows (no back
/// quote, no control character but tab, no U+FEFF), else [`quote`]d.
pub fn backquote(s: &str) -> String {
    if s.chars()
        .any(|c| c == '`' || c == '\u{feff}' || (c.is_control() && c != '\t'))
    {
        quote(s)
    } else {
        format!("`{s}`")
    }
}

/// A value displayed as Go's `%q` shows it (`strconv.Quote` of its text). Use it in
/// `#[error]` attributes where notation's message has a `%q`: Rust's `{:?}` escapes
/// differently (`\u{1}` for `\x01`, `\0`, no escape for U+00A0 or U+FEFF).
pub struct GoQuoted<'a, T: ?Sized>(pub &'a T);

impl<T: std::fmt::Display + ?Sized> std::fmt::Display for GoQuoted<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.0.to_string();
        f.write_char('"')?;
        for c in text.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                c if is_print(c) => f.write_char(c)?,
                '\u{7}' => f.write_str("\\a")?,
                '\u{8}' => f.write_str("\\b")?,
                '\u{c}' => f.write_str("\\f")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                '\u{b}' => f.write_str("\\v")?,
                c if (c as u32) < 0x20 || c == '\u{7f}' => write!(f, "\\x{:02x}", c as u32)?,
                c if (c as u32) < 0x10000 => write!(f, "\\u{:04x}", c as u32)?,
                c => write!(f, "\\U{:08x}", c as u32)?,
            }
        }
        f.write_char('"')
    }
}

/// Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII
/// space. Rust has no general-category table, so this takes the complement: control
/// characters (Cc), separators other than the space (Zs, Zl, Zp), format characters (Cf),
/// private use (Co) and noncharacters are not printable; unassigned code points (which Go
/// escapes too) are not recognised.
fn is_print(c: char) -> bool {
    let u = c as u32;
    if u < 0x100 {
        // Latin-1: Go's table prints 0x20..=0x7e and 0xa1..=0xff except the soft hyphen.
        return (0x20..=0x7e).contains(&u) || (0xa1..=0xff).contains(&u) && u != 0xad;
    }
    let format = [
        (0x0600, 0x0605),
        (0x061c, 0x061c),
        (0x06dd, 0x06dd),
        (0x070f, 0x070f),
        (0x0890, 0x0891),
        (0x08e2, 0x08e2),
        (0x180e, 0x180e),
        (0x200b, 0x200f),
        (0x202a, 0x202e),
        (0x2060, 0x2064),
        (0x2066, 0x206f),
        (0xfeff, 0xfeff),
        (0xfff9, 0xfffb),
        (0x110bd, 0x110bd),
        (0x110cd, 0x110cd),
        (0x13430, 0x1343f),
        (0x1bca0, 0x1bca3),
        (0x1d173, 0x1d17a),
        (0xe0001, 0xe0001),
        (0xe0020, 0xe007f),
    ];
    let private_use = [(0xe000, 0xf8ff), (0xf0000, 0xffffd), (0x100000, 0x10fffd)];
    let noncharacter = (0xfdd0..=0xfdef).contains(&u) || u & 0xfffe == 0xfffe;
    !(c.is_control()
        || c.is_whitespace()
        || noncharacter
        || format
            .iter()
            .chain(&private_use)
            .any(|&(lo, hi)| (lo..=hi).contains(&u)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_strconv_quote() {
        assert_eq!(quote("abc"), r#""abc""#);
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote("tab\there\n"), r#""tab\there\n""#);
        assert_eq!(quote("\u{1}\u{7f}"), r#""\x01\x7f""#);
        assert_eq!(quote("\u{85}"), r#""\u0085""#);
        assert_eq!(quote("héllo"), "\"héllo\"");
        // What Go 1.23 prints for each (fmt.Printf("%q")).
        assert_eq!(quote("\0\u{7}\u{8}\u{c}\u{b}\r"), r#""\x00\a\b\f\v\r""#);
        assert_eq!(quote("a\u{a0}b\u{ad}c"), r#""a\u00a0b\u00adc""#);
        assert_eq!(
            quote("\u{feff}\u{200b}\u{2028}\u{3000}"),
            r#""\ufeff\u200b\u2028\u3000""#
        );
        assert_eq!(quote("\u{e000}\u{fffe}"), r#""\ue000\ufffe""#);
        assert_eq!(quote("\u{e0001}\u{10fffd}"), r#""\U000e0001\U0010fffd""#);
        assert_eq!(quote("\u{fffd}😀ア'"), "\"\u{fffd}😀ア'\"");
        assert_eq!(quote("¡ÿ\u{300}"), "\"¡ÿ\u{300}\"");
        assert_eq!(format!("{}", GoQuoted(&42)), r#""42""#);
        let map = |kv: &[(&str, &str)]| {
            kv.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            quote_maps(&[map(&[("O", "x"), ("C", "US")]), map(&[])]),
            r#"[map["C":"US" "O":"x"] map[]]"#
        );
        assert_eq!(backquote("a b\tc"), "`a b\tc`");
        assert_eq!(backquote("a`b"), r#""a`b""#);
        assert_eq!(backquote("a\nb"), r#""a\nb""#);
    }
}
