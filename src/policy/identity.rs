//! Trusted identities: `x509.subject:` distinguished names, parsed the way notation-go
//! does (go-ldap `ParseDN` plus notation's rules) and matched against the signing leaf.

use crate::go::fmt::GoQuoted;
use std::collections::BTreeMap;

/// The identity prefix notation evaluates itself.
pub(crate) const X509_SUBJECT: &str = "x509.subject";
/// The wildcard identity (and wildcard scope).
pub(crate) const WILDCARD: &str = "*";

/// A parsed DN: attribute type (as written, `S` renamed to `ST`) → value.
pub(crate) type DnMap = BTreeMap<String, String>;

/// Why a DN was rejected. `Display` texts are notation-go's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnError {
    #[error("unsupported distinguished name (DN) {}: notation does not support x509.subject identities containing \"=#\"", GoQuoted(.dn))]
    /// The DN has a `#`-encoded (BER) value.
    HexValue {
        /// The DN as written.
        dn: String,
    },
    #[error("parsing distinguished name (DN) {} failed with err: {reason}. A valid DN must contain 'C', 'ST', and 'O' RDN attributes at a minimum, and follow RFC 4514 standard", GoQuoted(.dn))]
    /// The DN is not RFC 4514 syntax.
    Syntax {
        /// The DN as written.
        dn: String,
        /// go-ldap's error.
        reason: DnSyntaxError,
    },
    #[error("distinguished name (DN) {} has multi-valued RDN attributes, remove multi-valued RDN attributes as they are not supported", GoQuoted(.dn))]
    /// An RDN has several attributes.
    MultiValued {
        /// The DN as written.
        dn: String,
    },
    #[error("distinguished name (DN) {} has duplicate RDN attribute for {}, DN can only have unique RDN attributes", GoQuoted(.dn), GoQuoted(.attr))]
    /// An attribute type appears twice.
    Duplicate {
        /// The DN as written.
        dn: String,
        /// The attribute type.
        attr: String,
    },
    #[error("distinguished name (DN) {} has no mandatory RDN attribute for {}, it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum", GoQuoted(.dn), GoQuoted(.attr))]
    /// C, ST or O is missing or empty.
    MissingMandatory {
        /// The DN as written.
        dn: String,
        /// The attribute type.
        attr: &'static str,
    },
}

/// Why go-ldap's `ParseDN` rejected a DN, with go-ldap's texts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnSyntaxError {
    /// A separator came before an `=`.
    #[error("incomplete type, value pair")]
    IncompletePair,
    /// The DN ended before an `=`.
    #[error("DN ended with incomplete type, value pair")]
    IncompleteEnd,
    /// A `#`-prefixed value is not hex.
    #[error("failed to decode BER encoding: {0}")]
    BerHex(HexError),
    /// A `#`-prefixed value ends before its BER length says.
    #[error("failed to decode BER encoding: unexpected EOF")]
    BerTruncated,
    /// A `#`-prefixed value has bytes after its BER value.
    #[error("failed to decode BER encoding: trailing bytes after value")]
    BerTrailing,
    /// A value ends with a lone backslash (the trimmed value is kept).
    #[error("got corrupted escaped character: '{0}'")]
    CorruptedEscape(String),
    /// A `\` escape has one character only (Go's hex decoder names it).
    #[error("failed to decode escaped character: encoding/hex: invalid byte: {0}")]
    ShortEscape(char),
    /// A `\XX` escape is not two bytes.
    #[error("failed to decode escaped character: invalid byte: {0}")]
    WideEscape(String),
    /// A `\XX` escape is not hex.
    #[error("failed to decode escaped character: {0}")]
    EscapeHex(HexError),
}

/// Go's `encoding/hex.DecodeString` errors, with its texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// `encoding/hex: invalid byte: U+0067 'g'` (the character left out when not printable).
    #[error("encoding/hex: invalid byte: {}", invalid_byte(*.0))]
    InvalidByte(u8),
    /// An odd number of hex digits.
    #[error("encoding/hex: odd length hex string")]
    OddLength,
}

/// Go's `%#U` of a byte read as a rune.
fn invalid_byte(c: u8) -> String {
    let ch = c as char;
    if ch.is_control() || (0x7f..0xa1).contains(&c) || c == 0xad {
        format!("U+{:04X}", c as u32)
    } else {
        format!("U+{:04X} '{ch}'", c as u32)
    }
}

/// One attribute of an RDN, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Attribute {
    kind: String,
    value: String,
}

/// Parse `dn` with notation's rules (verification.md §3.7): no `=#`, RFC 4514 syntax with
/// `,`/`;` separators, no multi-valued RDNs, `S` → `ST`, no duplicate types, and C, ST, O
/// present and non-empty.
pub(crate) fn parse_dn(dn: &str) -> Result<DnMap, DnError> {
    if dn.contains("=#") {
        return Err(DnError::HexValue { dn: dn.to_string() });
    }
    let rdns = ldap_parse_dn(dn).map_err(|reason| DnError::Syntax {
        dn: dn.to_string(),
        reason,
    })?;
    let mut map = DnMap::new();
    for rdn in rdns {
        if rdn.len() > 1 {
            return Err(DnError::MultiValued { dn: dn.to_string() });
        }
        for attr in rdn {
            let kind = if attr.kind == "S" {
                "ST".to_string()
            } else {
                attr.kind
            };
            // notation-go tests the stored value for "", so an empty first value does not
            // count as present (neither for duplicates nor for the mandatory check).
            if map.get(&kind).is_some_and(|v: &String| !v.is_empty()) {
                return Err(DnError::Duplicate {
                    dn: dn.to_string(),
                    attr: kind,
                });
            }
            map.insert(kind, attr.value);
        }
    }
    for attr in ["C", "ST", "O"] {
        if map.get(attr).is_none_or(|v| v.is_empty()) {
            return Err(DnError::MissingMandatory {
                dn: dn.to_string(),
                attr,
            });
        }
    }
    Ok(map)
}

/// Whether every attribute of `a` is in `b` with the same value.
pub(crate) fn is_subset(a: &DnMap, b: &DnMap) -> bool {
    a.iter().all(|(k, v)| b.get(k) == Some(v))
}

/// go-ldap `ParseDN`: a list of RDNs, each a list of attributes.
fn ldap_parse_dn(s: &str) -> Result<Vec<Vec<Attribute>>, DnSyntaxError> {
    let mut rdns = Vec::new();
    if s.trim().is_empty() {
        return Ok(rdns);
    }
    let bytes = s.as_bytes();
    let mut rdn: Vec<Attribute> = Vec::new();
    let mut kind: Option<String> = None;
    let mut escaping = false;
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        if escaping {
            escaping = false;
        } else if c == b'\\' {
            escaping = true;
        } else if c == b'=' && kind.as_deref().is_none_or(str::is_empty) {
            kind = Some(decode_string(&s[start..i])?);
            start = i + 1;
        } else if matches!(c, b',' | b'+' | b';') {
            let Some(k) = kind.take().filter(|k| !k.is_empty()) else {
                return Err(DnSyntaxError::IncompletePair);
            };
            rdn.push(Attribute {
                kind: k,
                value: decode_value(&s[start..i])?,
            });
            start = i + 1;
            if c != b'+' {
                rdns.push(std::mem::take(&mut rdn));
            }
        }
    }
    let Some(k) = kind.filter(|k| !k.is_empty()) else {
        return Err(DnSyntaxError::IncompleteEnd);
    };
    rdn.push(Attribute {
        kind: k,
        value: decode_value(&s[start..])?,
    });
    rdns.push(rdn);
    Ok(rdns)
}

/// An attribute value: `#<hex BER>` or an escaped string.
fn decode_value(s: &str) -> Result<String, DnSyntaxError> {
    match s.strip_prefix('#') {
        Some(hex_ber) => decode_ber_hex(hex_ber),
        None => decode_string(s),
    }
}

fn decode_ber_hex(s: &str) -> Result<String, DnSyntaxError> {
    let bytes = go_hex_decode(s.as_bytes()).map_err(DnSyntaxError::BerHex)?;
    let err = || DnSyntaxError::BerTruncated;
    let (&_tag, rest) = bytes.split_first().ok_or_else(err)?;
    let (&len0, mut rest) = rest.split_first().ok_or_else(err)?;
    let len = if len0 & 0x80 == 0 {
        len0 as usize
    } else {
        let n = (len0 & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return Err(err());
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return Err(err());
    }
    if rest.len() > len {
        return Err(DnSyntaxError::BerTrailing);
    }
    Ok(String::from_utf8_lossy(rest).into_owned())
}

/// Go's `encoding/hex.DecodeString`, with its errors, which go-ldap passes on.
fn go_hex_decode(src: &[u8]) -> Result<Vec<u8>, HexError> {
    fn nibble(c: u8) -> Option<u8> {
        (c as char).to_digit(16).map(|d| d as u8)
    }
    let invalid = HexError::InvalidByte;
    let mut out = Vec::with_capacity(src.len() / 2);
    for pair in src.chunks(2) {
        let hi = nibble(pair[0]).ok_or_else(|| invalid(pair[0]))?;
        let Some(&lo) = pair.get(1) else {
            return Err(HexError::OddLength);
        };
        out.push((hi << 4) | nibble(lo).ok_or_else(|| invalid(lo))?);
    }
    Ok(out)
}

/// Trim unescaped leading/trailing spaces and decode `\c` and `\XX` escapes.
fn decode_string(raw: &str) -> Result<String, DnSyntaxError> {
    let trimmed = strip_spaces(raw);
    let chars: Vec<char> = trimmed.chars().collect();
    let mut out: Vec<u8> = Vec::with_capacity(trimmed.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            i += 1;
            continue;
        }
        let Some(&next) = chars.get(i + 1) else {
            return Err(DnSyntaxError::CorruptedEscape(trimmed));
        };
        if matches!(
            next,
            ' ' | '"' | '#' | '+' | ',' | ';' | '<' | '=' | '>' | '\\'
        ) {
            out.push(next as u8);
            i += 2;
            continue;
        }
        let Some(&next2) = chars.get(i + 2) else {
            return Err(DnSyntaxError::ShortEscape(next));
        };
        let pair: String = [next, next2].iter().collect();
        if pair.len() != 2 {
            return Err(DnSyntaxError::WideEscape(pair));
        }
        let byte = go_hex_decode(pair.as_bytes()).map_err(DnSyntaxError::EscapeHex)?;
        out.push(byte[0]);
        i += 3;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Trim spaces, keeping a trailing space that is escaped by an odd number of backslashes.
fn strip_spaces(raw: &str) -> String {
    let mut s = raw.trim_matches(' ').to_string();
    if !s.is_empty() && raw.ends_with(' ') {
        let backslashes = s.bytes().rev().take_while(|&b| b == b'\\').count();
        if backslashes % 2 == 1 {
            s.push(' ');
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_errors_read_as_go() {
        assert_eq!(go_hex_decode(b"0aFf").unwrap(), [0x0a, 0xff]);
        assert_eq!(
            go_hex_decode(b"0g").unwrap_err().to_string(),
            "encoding/hex: invalid byte: U+0067 'g'"
        );
        assert_eq!(
            go_hex_decode(b"abc").unwrap_err().to_string(),
            "encoding/hex: odd length hex string"
        );
        assert_eq!(
            go_hex_decode(b"ab\n").unwrap_err().to_string(),
            "encoding/hex: invalid byte: U+000A"
        );
        assert_eq!(
            decode_string("a\\zz").unwrap_err().to_string(),
            "failed to decode escaped character: encoding/hex: invalid byte: U+007A 'z'"
        );
    }

    fn m(pairs: &[(&str, &str)]) -> DnMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_basic_dn_with_spaces() {
        let got =
            parse_dn(" C=US, ST=WA, L=Seattle, O=acme-rockets.io, OU=Finance, CN=SecureBuilder")
                .unwrap();
        assert_eq!(
            got,
            m(&[
                ("C", "US"),
                ("ST", "WA"),
                ("L", "Seattle"),
                ("O", "acme-rockets.io"),
                ("OU", "Finance"),
                ("CN", "SecureBuilder")
            ])
        );
    }

    #[test]
    fn semicolon_separator_and_s_alias() {
        assert_eq!(
            parse_dn("C=US;S=WA;O=x").unwrap(),
            m(&[("C", "US"), ("ST", "WA"), ("O", "x")])
        );
    }

    #[test]
    fn escapes() {
        let got = parse_dn(r"C=US, ST=WA, O=a\,b\+c\3Dd\\e, CN=\ lead").unwrap();
        assert_eq!(got["O"], r"a,b+c=d\e");
        assert_eq!(got["CN"], " lead");
        let got = parse_dn(r"C=US, ST=WA, O=trail\ ").unwrap();
        assert_eq!(got["O"], "trail ");
        let got = parse_dn(r"C=US, ST=WA, O=x\c3\a9").unwrap();
        assert_eq!(got["O"], "xé");
        let got = parse_dn("C=US, ST=WA, O=a=b").unwrap();
        assert_eq!(got["O"], "a=b");
    }

    #[test]
    fn rejections() {
        let dn = "C=US, ST=WA, O=#0403616263";
        assert!(matches!(parse_dn(dn), Err(DnError::HexValue { .. })));
        assert!(matches!(
            parse_dn("C=US+ST=WA, O=x"),
            Err(DnError::MultiValued { .. })
        ));
        assert!(
            matches!(parse_dn("C=US, ST=WA, S=OR, O=x"), Err(DnError::Duplicate { attr, .. }) if attr == "ST")
        );
        assert!(
            matches!(parse_dn("C=US, O=x, O=y, ST=WA"), Err(DnError::Duplicate { attr, .. }) if attr == "O")
        );
        assert!(matches!(
            parse_dn("c=US, st=WA, o=x"),
            Err(DnError::MissingMandatory { attr: "C", .. })
        ));
        assert!(matches!(
            parse_dn("C=US, ST=, O=x"),
            Err(DnError::MissingMandatory { attr: "ST", .. })
        ));
        assert!(matches!(
            parse_dn(""),
            Err(DnError::MissingMandatory { attr: "C", .. })
        ));
        assert!(matches!(parse_dn("C=US, ST"), Err(DnError::Syntax { .. })));
        assert!(matches!(
            parse_dn("C=US, ,ST=WA"),
            Err(DnError::Syntax { .. })
        ));
        assert!(matches!(
            parse_dn(r"C=US, ST=WA, O=x\"),
            Err(DnError::Syntax { .. })
        ));
        assert!(matches!(
            parse_dn(r"C=US, ST=WA, O=x\zz"),
            Err(DnError::Syntax { .. })
        ));
    }

    #[test]
    fn missing_st_message_matches_upstream() {
        let e = parse_dn(" C=US, O=Notation-RS Interop, CN=leaf-rsa2048").unwrap_err();
        assert_eq!(
            e.to_string(),
            "distinguished name (DN) \" C=US, O=Notation-RS Interop, CN=leaf-rsa2048\" has no mandatory RDN attribute for \"ST\", it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum"
        );
    }

    #[test]
    fn hex_ber_value_after_space() {
        // go-ldap looks for '#' before trimming, so "= #..." is a plain string value.
        let got = parse_dn("C=US, ST=WA, O= #0403616263").unwrap();
        assert_eq!(got["O"], "#0403616263");
        assert_eq!(decode_value("#0403616263").unwrap(), "abc");
        assert!(decode_value("#04").is_err());
        assert!(decode_value("#040361626364").is_err());
    }

    #[test]
    fn subset() {
        let leaf = m(&[("C", "US"), ("ST", "WA"), ("O", "x"), ("CN", "y")]);
        assert!(is_subset(
            &m(&[("C", "US"), ("ST", "WA"), ("O", "x")]),
            &leaf
        ));
        assert!(!is_subset(
            &m(&[("C", "US"), ("ST", "WA"), ("O", "X")]),
            &leaf
        ));
        assert!(!is_subset(
            &m(&[("C", "US"), ("ST", "WA"), ("O", "x"), ("L", "z")]),
            &leaf
        ));
    }
}
