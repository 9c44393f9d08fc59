//! Distinguished names rendered exactly like Go's `pkix.Name.String()`.
//!
//! Go parses a name into well-known fields (C, ST, L, STREET, POSTALCODE, O, OU, CN,
//! SERIALNUMBER) and re-serialises them in that fixed order, multi-valued attributes
//! joined into one RDN, all other attributes kept in encounter order before them; the
//! string is then printed in reverse (RFC 2253 style). Unknown attribute types print as
//! `<oid>=#<hex of the value re-marshalled as a Go string>`.

use der::{Encode, Tag, Tagged};
use x509_cert::name::Name;

use super::X509Error;

/// One attribute of a name after Go's string conversion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAttribute {
    /// Dotted OID of the attribute type.
    pub oid: String,
    /// The attribute value as Go decodes it.
    pub value: String,
}

/// The well-known attribute OIDs under 2.5.4 in the order `ToRDNSequence` emits them.
const CANONICAL_ORDER: [(&str, &str); 9] = [
    ("2.5.4.6", "C"),
    ("2.5.4.8", "ST"),
    ("2.5.4.7", "L"),
    ("2.5.4.9", "STREET"),
    ("2.5.4.17", "POSTALCODE"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.3", "CN"),
    ("2.5.4.5", "SERIALNUMBER"),
];

/// Decodes every attribute of `name` in encoding order, converting values to strings
/// the way Go's `parseASN1String` does (unsupported string types fail parsing).
pub fn attributes(name: &Name) -> Result<Vec<NameAttribute>, X509Error> {
    let mut out = Vec::new();
    for rdn in name.iter_rdn() {
        for atv in rdn.iter() {
            let value = go_asn1_string(atv.value.tag(), atv.value.value())?;
            out.push(NameAttribute {
                oid: atv.oid.to_string(),
                value,
            });
        }
    }
    Ok(out)
}

/// Converts a DER string value to text following Go `x509.parseASN1String`.
fn go_asn1_string(tag: Tag, bytes: &[u8]) -> Result<String, X509Error> {
    let invalid = |what: &str| {
        X509Error::Parse(format!(
            "x509: invalid RDNSequence: invalid attribute value: {what}"
        ))
    };
    match tag {
        // Go keeps T61String bytes as they are; invalid UTF-8 cannot be represented in a
        // Rust string, so it is shown with replacement characters (as Go prints it).
        Tag::TeletexString => Ok(String::from_utf8_lossy(bytes).into_owned()),
        Tag::PrintableString => {
            if bytes.iter().all(|&b| is_printable(b, true, true)) {
                Ok(String::from_utf8_lossy(bytes).into_owned())
            } else {
                Err(invalid("invalid PrintableString"))
            }
        }
        Tag::Utf8String => {
            String::from_utf8(bytes.to_vec()).map_err(|_| invalid("invalid UTF-8 string"))
        }
        Tag::BmpString => {
            if bytes.len() & 1 == 1 {
                return Err(invalid("invalid BMPString"));
            }
            let mut b = bytes;
            if b.len() >= 2 && b[b.len() - 1] == 0 && b[b.len() - 2] == 0 {
                b = &b[..b.len() - 2];
            }
            let units: Vec<u16> = b
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            Ok(char::decode_utf16(units)
                .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect())
        }
        Tag::Ia5String => {
            if bytes.is_ascii() {
                Ok(String::from_utf8_lossy(bytes).into_owned())
            } else {
                Err(invalid("invalid IA5String"))
            }
        }
        Tag::NumericString => {
            if bytes.iter().all(|&b| b.is_ascii_digit() || b == b' ') {
                Ok(String::from_utf8_lossy(bytes).into_owned())
            } else {
                Err(invalid("invalid NumericString"))
            }
        }
        other => Err(invalid(&format!(
            "unsupported string type: {}",
            other.number()
        ))),
    }
}

/// Go `asn1.isPrintable`.
fn is_printable(b: u8, allow_asterisk: bool, allow_ampersand: bool) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b' ' | b'\'' | b'(' | b')' | b'+' | b',' | b'-' | b'.' | b'/' | b':' | b'=' | b'?'
        )
        || (allow_asterisk && b == b'*')
        || (allow_ampersand && b == b'&')
}

/// Renders attributes exactly like Go's `pkix.Name.String()` for a parsed certificate.
pub fn go_string(attrs: &[NameAttribute]) -> String {
    // RDNs in Go's order: non-standard attributes first (one RDN each), then the
    // well-known fields in canonical order (multi-valued fields form one RDN).
    let is_canonical = |oid: &str| CANONICAL_ORDER.iter().any(|(o, _)| *o == oid);
    let mut rdns: Vec<Vec<(String, String)>> = attrs
        .iter()
        .filter(|a| !is_canonical(&a.oid))
        .map(|a| vec![(a.oid.clone(), a.value.clone())])
        .collect();
    for (oid, _) in CANONICAL_ORDER {
        let values: Vec<&str> = attrs
            .iter()
            .filter(|a| a.oid == oid)
            .map(|a| a.value.as_str())
            .collect();
        let values: Vec<&str> = match oid {
            // CommonName and SerialNumber are single strings in Go: last one wins, and
            // an empty value is omitted.
            "2.5.4.3" | "2.5.4.5" => match values.last() {
                Some(v) if !v.is_empty() => vec![*v],
                _ => vec![],
            },
            _ => values,
        };
        if !values.is_empty() {
            rdns.push(
                values
                    .iter()
                    .map(|v| (oid.to_string(), v.to_string()))
                    .collect(),
            );
        }
    }
    let mut s = String::new();
    for (i, rdn) in rdns.iter().rev().enumerate() {
        if i > 0 {
            s.push(',');
        }
        for (j, (oid, value)) in rdn.iter().enumerate() {
            if j > 0 {
                s.push('+');
            }
            match CANONICAL_ORDER.iter().find(|(o, _)| o == oid) {
                Some((_, short)) => {
                    s.push_str(short);
                    s.push('=');
                    s.push_str(&escape(value));
                }
                None => match go_marshal_string(value) {
                    Some(der) => {
                        s.push_str(oid);
                        s.push_str("=#");
                        s.push_str(&hex::encode(der));
                    }
                    None => {
                        s.push_str(oid);
                        s.push('=');
                        s.push_str(&escape(value));
                    }
                },
            }
        }
    }
    s
}

/// Go `asn1.Marshal(string)`: PrintableString when every byte is printable (no `*`/`&`),
/// else UTF8String.
fn go_marshal_string(value: &str) -> Option<Vec<u8>> {
    let printable = value
        .bytes()
        .all(|b| b < 0x80 && is_printable(b, false, false));
    let tag = if printable {
        Tag::PrintableString
    } else {
        Tag::Utf8String
    };
    let any = der::Any::new(tag, value.as_bytes()).ok()?;
    any.to_der().ok()
}

/// Go's RDN value escaping: `,+"\<>;` always, a space at the first or last byte
/// position, `#` at the first position.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.len().saturating_sub(1);
    for (k, c) in value.char_indices() {
        let esc = match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => true,
            ' ' => k == 0 || k == last,
            '#' => k == 0,
            _ => false,
        };
        if esc {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(oid: &str, value: &str) -> NameAttribute {
        NameAttribute {
            oid: oid.into(),
            value: value.into(),
        }
    }

    #[test]
    fn canonical_order_and_reverse() {
        let attrs = vec![
            attr("2.5.4.6", "US"),
            attr("2.5.4.8", "WA"),
            attr("2.5.4.7", "Seattle"),
            attr("2.5.4.10", "Notation-RS Interop"),
            attr("2.5.4.3", "leaf-rsa2048"),
        ];
        assert_eq!(
            go_string(&attrs),
            "CN=leaf-rsa2048,O=Notation-RS Interop,L=Seattle,ST=WA,C=US"
        );
        // Encoding order does not matter: Go regroups.
        let mut rev = attrs.clone();
        rev.reverse();
        assert_eq!(go_string(&rev), go_string(&attrs));
    }

    #[test]
    fn multi_valued_and_unknown_attributes() {
        let attrs = vec![
            attr("2.5.4.3", "x"),
            attr("1.2.840.113549.1.9.1", "a@b.c"),
            attr("2.5.4.11", "one"),
            attr("2.5.4.11", "two"),
        ];
        assert_eq!(
            go_string(&attrs),
            "CN=x,OU=one+OU=two,1.2.840.113549.1.9.1=#0c056140622e63"
        );
        let printable = vec![attr("2.5.4.46", "abc")];
        assert_eq!(go_string(&printable), "2.5.4.46=#1303616263");
    }

    #[test]
    fn escaping_matches_go() {
        assert_eq!(escape(" a,b+c "), "\\ a\\,b\\+c\\ ");
        assert_eq!(escape("#x#"), "\\#x#");
        assert_eq!(escape("a<b>;\"\\"), "a\\<b\\>\\;\\\"\\\\");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn empty_common_name_dropped_last_wins() {
        let attrs = vec![attr("2.5.4.3", "first"), attr("2.5.4.3", "second")];
        assert_eq!(go_string(&attrs), "CN=second");
        assert_eq!(go_string(&[attr("2.5.4.3", "")]), "");
    }
}
