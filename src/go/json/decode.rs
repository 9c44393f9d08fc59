//! JSON decoding with Go `encoding/json` semantics, as notation reads trust policies and
//! plugin answers.
//!
//! Go's `json.Decoder.Decode` reads only the first JSON value (trailing bytes are ignored),
//! ignores unknown members, matches member names case-insensitively, lets the last of
//! duplicate members win (merging into objects and maps that already exist), treats `null`
//! as "leave unchanged" for strings, booleans and structs and as "clear" for slices and
//! maps, and fails on any type mismatch. serde's derive cannot express that, so documents
//! are first read into an order-preserving [`Json`] tree and then walked by hand.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::HashMap;
use std::fmt;

/// A JSON value that keeps object members in document order, duplicates included.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number (its value is not needed).
    Number,
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object's members in document order.
    Object(Vec<(String, Json)>),
}

/// The document could not be decoded the way Go would (syntax error, empty input, or a
/// member of the wrong type).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Json, E> {
        Ok(Json::Number)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Json, E> {
        Ok(Json::Number)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Json, E> {
        Ok(Json::Number)
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            members.push((k, v));
        }
        Ok(Json::Object(members))
    }
}

/// Go's wording for a JSON syntax error: `unexpected end of JSON input` or
/// `invalid character 'x' looking for beginning of value`.
fn go_syntax_error(e: &serde_json::Error, bytes: &[u8]) -> DecodeError {
    if e.is_eof() {
        return DecodeError("unexpected end of JSON input".into());
    }
    if !e.is_syntax() {
        return DecodeError(e.to_string());
    }
    // serde_json reports the 1-based line and byte column of the offending byte.
    let line_start: usize = bytes
        .split(|&b| b == b'\n')
        .take(e.line().saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum();
    let at = (line_start + e.column())
        .saturating_sub(1)
        .min(bytes.len().saturating_sub(1));
    DecodeError(format!(
        "invalid character {} looking for beginning of value",
        super::quote_char_at(bytes, at)
    ))
}

/// Decode the first JSON value of `bytes`, ignoring whatever follows it.
pub(crate) fn first_value(bytes: &[u8]) -> Result<Json, DecodeError> {
    match serde_json::Deserializer::from_slice(bytes)
        .into_iter::<Json>()
        .next()
    {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(go_syntax_error(&e, bytes)),
        None => Err(DecodeError("unexpected end of JSON input".into())),
    }
}

/// Check that `bytes` hold exactly one JSON value (whitespace around it allowed), as Go's
/// `json.Unmarshal` requires before it decodes anything: `policy import` reads files that
/// way, so trailing bytes are an error there (`invalid character 'x' after top-level value`)
/// while the policy loader, a `json.Decoder`, ignores them.
pub(crate) fn single_value(bytes: &[u8]) -> Result<(), DecodeError> {
    let mut values =
        serde_json::Deserializer::from_slice(bytes).into_iter::<serde::de::IgnoredAny>();
    match values.next() {
        Some(Ok(_)) => {}
        Some(Err(e)) => return Err(go_syntax_error(&e, bytes)),
        None => return Err(DecodeError("unexpected end of JSON input".into())),
    }
    let end = values.byte_offset();
    match bytes[end..]
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        None => Ok(()),
        Some(i) => Err(DecodeError(format!(
            "invalid character {} after top-level value",
            super::quote_char_at(bytes, end + i)
        ))),
    }
}

/// Whether JSON member `key` selects the Go struct field tagged `field`: Go's
/// case-insensitive match, including its two non-ASCII folds (`ſ` = s, Kelvin sign = k).
pub(crate) fn key_matches(key: &str, field: &str) -> bool {
    let fold = |c: char| match c {
        '\u{017F}' => 's',
        '\u{212A}' => 'k',
        c => c.to_ascii_lowercase(),
    };
    key.chars().map(fold).eq(field.chars().map(fold))
}

fn type_error(what: &str, v: &Json) -> DecodeError {
    let got = match v {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    };
    DecodeError(format!(
        "json: cannot unmarshal {got} into Go value of type {what}"
    ))
}

/// Go `string` field.
pub fn string(v: &Json, dst: &mut String) -> Result<(), DecodeError> {
    match v {
        Json::String(s) => *dst = s.clone(),
        Json::Null => {}
        other => return Err(type_error("string", other)),
    }
    Ok(())
}

/// Go `bool` field.
pub fn boolean(v: &Json, dst: &mut bool) -> Result<(), DecodeError> {
    match v {
        Json::Bool(b) => *dst = *b,
        Json::Null => {}
        other => return Err(type_error("bool", other)),
    }
    Ok(())
}

/// Go `[]string` field: replaced as a whole; `null` clears it; `null` elements are "".
pub(crate) fn string_slice(v: &Json, dst: &mut Vec<String>) -> Result<(), DecodeError> {
    slice(v, "[]string", dst, string)
}

/// Go slice field `[]T` (`what` names it in errors): replaced as a whole, each element
/// decoded into a fresh `T`; `null` clears it.
pub fn slice<T: Default>(
    v: &Json,
    what: &str,
    dst: &mut Vec<T>,
    mut decode: impl FnMut(&Json, &mut T) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    match v {
        Json::Null => dst.clear(),
        Json::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let mut t = T::default();
                decode(item, &mut t)?;
                out.push(t);
            }
            *dst = out;
        }
        other => return Err(type_error(what, other)),
    }
    Ok(())
}

/// Go `map[string]string` field, kept in first-insertion order: members merge into an
/// existing map (a duplicate key replaces the value in place); `null` clears it.
pub(crate) fn string_map(v: &Json, dst: &mut Vec<(String, String)>) -> Result<(), DecodeError> {
    match v {
        Json::Null => dst.clear(),
        Json::Object(members) => {
            // Positions by key, so merging n members costs O(n), not O(n²).
            let mut at: HashMap<String, usize> = dst
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.clone(), i))
                .collect();
            for (k, val) in members {
                let mut s = String::new();
                string(val, &mut s)?;
                match at.get(k) {
                    Some(&i) => dst[i].1 = s,
                    None => {
                        at.insert(k.clone(), dst.len());
                        dst.push((k.clone(), s));
                    }
                }
            }
        }
        other => return Err(type_error("map[string]string", other)),
    }
    Ok(())
}

/// Go `[]byte` field: a standard base64 string (Go's decoder skips `\r` and `\n` in it);
/// `null` clears it.
pub fn bytes(v: &Json, dst: &mut Vec<u8>) -> Result<(), DecodeError> {
    use base64::Engine as _;
    match v {
        Json::Null => dst.clear(),
        Json::String(s) => {
            let text: String = s.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
            *dst = base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| DecodeError(format!("illegal base64 data: {e}")))?;
        }
        other => return Err(type_error("[]uint8", other)),
    }
    Ok(())
}

/// Go `[][]byte` field: replaced as a whole; `null` clears it, `null` elements are empty.
pub(crate) fn bytes_slice(v: &Json, dst: &mut Vec<Vec<u8>>) -> Result<(), DecodeError> {
    slice(v, "[][]uint8", dst, bytes)
}

/// Go `[]interface{}` field: the elements as they are; `null` clears it.
pub(crate) fn value_slice(v: &Json, dst: &mut Vec<Json>) -> Result<(), DecodeError> {
    match v {
        Json::Null => dst.clear(),
        Json::Array(items) => *dst = items.clone(),
        other => return Err(type_error("[]interface {}", other)),
    }
    Ok(())
}

/// Go `map[string]*T` field: members merge into an existing map, each value decoded into a
/// fresh `T` (a `null` value stores a nil pointer, `None`); `null` clears the map.
pub(crate) fn struct_ptr_map<T: Default>(
    v: &Json,
    what: &str,
    dst: &mut std::collections::BTreeMap<String, Option<T>>,
    mut decode: impl FnMut(&Json, &mut T) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    match v {
        Json::Null => dst.clear(),
        Json::Object(members) => {
            for (k, val) in members {
                let value = match val {
                    Json::Null => None,
                    _ => {
                        let mut t = T::default();
                        decode(val, &mut t)?;
                        Some(t)
                    }
                };
                dst.insert(k.clone(), value);
            }
        }
        other => return Err(type_error(what, other)),
    }
    Ok(())
}

/// Decode `bytes` as Go's `json.Unmarshal`: exactly one JSON value, then `decode` walks it.
pub(crate) fn unmarshal<T: Default>(
    bytes: &[u8],
    decode: impl FnOnce(&Json, &mut T) -> Result<(), DecodeError>,
) -> Result<T, DecodeError> {
    single_value(bytes)?;
    let v = first_value(bytes)?;
    let mut t = T::default();
    decode(&v, &mut t)?;
    Ok(t)
}

/// Go struct field: walk the members with `field` (which ignores unknown keys); `null`
/// leaves the struct unchanged.
pub fn object(
    v: &Json,
    what: &str,
    mut field: impl FnMut(&str, &Json) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    match v {
        Json::Null => Ok(()),
        Json::Object(members) => members.iter().try_for_each(|(k, val)| field(k, val)),
        other => Err(type_error(what, other)),
    }
}

/// Go `[]T` of structs: replaced as a whole; each element decoded into a fresh `T`.
pub(crate) fn struct_slice<T: Default>(
    v: &Json,
    dst: &mut Vec<T>,
    decode: impl FnMut(&Json, &mut T) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    slice(v, "[]struct", dst, decode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_value_rejects_trailing_bytes_as_unmarshal() {
        assert_eq!(single_value(b" {\"a\": [1, 2]} \r\n\t"), Ok(()));
        assert_eq!(
            single_value(b"{}\ngarbage\n").unwrap_err().to_string(),
            "invalid character 'g' after top-level value"
        );
        assert_eq!(
            single_value(b"{} {}").unwrap_err().to_string(),
            "invalid character '{' after top-level value"
        );
        assert_eq!(
            single_value(b"{\"a\":").unwrap_err().to_string(),
            "unexpected end of JSON input"
        );
        assert_eq!(
            single_value(b"").unwrap_err().to_string(),
            "unexpected end of JSON input"
        );
    }

    #[test]
    fn first_value_ignores_trailing_bytes() {
        assert_eq!(first_value(b"{} garbage").unwrap(), Json::Object(vec![]));
        assert!(first_value(b"").is_err());
        assert!(first_value(b"   ").is_err());
        assert_eq!(
            first_value(b"{\"a\":").unwrap_err().to_string(),
            "unexpected end of JSON input"
        );
        assert_eq!(
            first_value(b"{\n \"a\": x}").unwrap_err().to_string(),
            "invalid character 'x' looking for beginning of value"
        );
    }

    #[test]
    fn objects_keep_order_and_duplicates() {
        let v = first_value(br#"{"b":1,"a":"x","b":null}"#).unwrap();
        assert_eq!(
            v,
            Json::Object(vec![
                ("b".into(), Json::Number),
                ("a".into(), Json::String("x".into())),
                ("b".into(), Json::Null)
            ])
        );
    }

    #[test]
    fn key_matching_is_case_insensitive_like_go() {
        assert!(key_matches("VERSION", "version"));
        assert!(key_matches("trustStores", "truststores"));
        assert!(key_matches("truſtStores", "trustStores"));
        assert!(key_matches("\u{212A}ey", "key"));
        assert!(!key_matches("versions", "version"));
    }

    #[test]
    fn null_semantics() {
        let mut s = "keep".to_string();
        string(&Json::Null, &mut s).unwrap();
        assert_eq!(s, "keep");
        let mut v = vec!["a".to_string()];
        string_slice(&Json::Null, &mut v).unwrap();
        assert!(v.is_empty());
        string_slice(&first_value(br#"["x",null]"#).unwrap(), &mut v).unwrap();
        assert_eq!(v, vec!["x".to_string(), String::new()]);
        assert!(string_slice(&first_value(b"[1]").unwrap(), &mut v).is_err());
        assert!(string(&Json::Number, &mut s).is_err());
    }

    #[test]
    fn maps_merge() {
        let mut m = vec![];
        string_map(&first_value(br#"{"a":"1","b":"2"}"#).unwrap(), &mut m).unwrap();
        string_map(&first_value(br#"{"a":"3","c":null}"#).unwrap(), &mut m).unwrap();
        assert_eq!(
            m,
            vec![
                ("a".into(), "3".into()),
                ("b".into(), "2".into()),
                ("c".into(), String::new())
            ]
        );
    }
}
