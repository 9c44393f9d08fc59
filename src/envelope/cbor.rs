//! A small strict CBOR codec with the rules go-cose/fxamacker apply to COSE_Sign1:
//! definite lengths only, duplicate map keys rejected, optional tag ban, valid UTF-8,
//! bounded nesting; and RFC 8949 core deterministic encoding for signing.

use std::collections::HashSet;
use std::fmt;

/// A decoded CBOR data item.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Unsigned integer (major type 0), at most `i64::MAX` (Go decodes into int64).
    Uint(u64),
    /// Negative integer `-1 - n` (major type 1), at least `i64::MIN`.
    Nint(u64),
    /// Byte string.
    Bytes(Vec<u8>),
    /// Text string.
    Text(String),
    /// Array.
    Array(Vec<Value>),
    /// Map in encoded order.
    Map(Vec<(Value, Value)>),
    /// Tagged item.
    Tag(u64, Box<Value>),
    /// `false` / `true`.
    Bool(bool),
    /// `null`.
    Null,
    /// `undefined`.
    Undefined,
    /// Other simple values.
    Simple(u8),
    /// Floating-point number (any width).
    Float(f64),
}

impl Value {
    /// The integer value, if this is an integer.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Uint(u) => i64::try_from(*u).ok(),
            Value::Nint(n) => i64::try_from(*n).ok().map(|n| -1 - n),
            _ => None,
        }
    }

    /// The text, if this is a text string.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes, if this is a byte string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// An integer value.
    pub fn int(i: i64) -> Value {
        if i >= 0 {
            Value::Uint(i as u64)
        } else {
            Value::Nint((-1 - i) as u64)
        }
    }

    /// A text value.
    pub fn text(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}

impl fmt::Display for Value {
    /// Diagnostic-ish rendering used in error messages (labels).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(s) => write!(f, "{s}"),
            // Go's `%v` of the decoded float64, bool and nil.
            Value::Float(x) => write!(f, "{x}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Null => write!(f, "<nil>"),
            other => match other.as_i64() {
                Some(i) => write!(f, "{i}"),
                None => write!(f, "{other:?}"),
            },
        }
    }
}

/// A decoding failure; Display mimics fxamacker/cbor's messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CborError(pub String);

fn e<T>(msg: impl Into<String>) -> Result<T, CborError> {
    Err(CborError(msg.into()))
}

/// Decoder settings.
#[derive(Debug, Clone, Copy)]
pub struct DecodeOptions {
    /// Whether tags are allowed (go-cose forbids them outside the protected bytes).
    pub allow_tags: bool,
}

/// fxamacker/cbor v2 `DecOptions` defaults, which go-cose keeps.
const MAX_DEPTH: usize = 32;
/// `MaxArrayElements` and `MaxMapPairs` defaults.
const MAX_ITEMS: u64 = 131_072;

struct Decoder<'a> {
    data: &'a [u8],
    pos: usize,
    opts: DecodeOptions,
}

/// Decodes exactly one item occupying all of `data`: first fxamacker's well-formedness
/// pass over the whole input (so its errors win over decoding errors, as in Go, and
/// nothing is allocated for malformed input), then the decoding.
pub fn decode(data: &[u8], opts: DecodeOptions) -> Result<Value, CborError> {
    well_formed(data, opts)?;
    let mut d = Decoder { data, pos: 0, opts };
    let v = d.item()?;
    if d.pos != data.len() {
        return e(format!(
            "cbor: {} bytes of extraneous data starting at index {}",
            data.len() - d.pos,
            d.pos
        ));
    }
    Ok(v)
}

/// fxamacker/cbor's name of a major type, as its errors print it.
fn type_name(major: u8) -> &'static str {
    match major {
        0 => "positive integer",
        1 => "negative integer",
        2 => "byte string",
        3 => "UTF-8 text string",
        4 => "array",
        5 => "map",
        6 => "tag",
        _ => "primitives",
    }
}

/// fxamacker/cbor `decoder.wellformed(allowExtraData=false)` with go-cose's options: one
/// linear pass, no allocation. Depth counts containers and nested tags, as Go counts it.
fn well_formed(data: &[u8], opts: DecodeOptions) -> Result<(), CborError> {
    if data.is_empty() {
        return e("EOF");
    }
    let mut c = Decoder { data, pos: 0, opts };
    c.check(0)?;
    if c.pos != data.len() {
        return e(format!(
            "cbor: {} bytes of extraneous data starting at index {}",
            data.len() - c.pos,
            c.pos
        ));
    }
    Ok(())
}

impl Decoder<'_> {
    /// `wellformedHead`: (major type, additional information, argument).
    fn checked_head(&mut self) -> Result<(u8, u8, u64), CborError> {
        let initial = self.byte()?;
        let (major, info) = (initial >> 5, initial & 0x1f);
        let arg = match info {
            0..=23 => info as u64,
            24 => {
                let v = self.byte()?;
                if major == 7 && v < 32 {
                    return e(format!(
                        "cbor: invalid simple value {v} for type primitives"
                    ));
                }
                v as u64
            }
            25 => u16::from_be_bytes(self.take(2)?.try_into().unwrap_or_default()) as u64,
            26 => u32::from_be_bytes(self.take(4)?.try_into().unwrap_or_default()) as u64,
            27 => u64::from_be_bytes(self.take(8)?.try_into().unwrap_or_default()),
            31 if major == 7 => return e("cbor: unexpected \"break\" code"),
            31 if !matches!(major, 0 | 1 | 6) => 0,
            _ => {
                return e(format!(
                    "cbor: invalid additional information {info} for type {}",
                    type_name(major)
                ))
            }
        };
        Ok((major, info, arg))
    }

    /// `wellformedInternal`.
    fn check(&mut self, mut depth: usize) -> Result<(), CborError> {
        let (major, info, arg) = self.checked_head()?;
        let indefinite = || {
            e(format!(
                "cbor: indefinite-length {} isn't allowed",
                type_name(major)
            ))
        };
        match major {
            2 | 3 => {
                if info == 31 {
                    return indefinite();
                }
                if arg > i64::MAX as u64 {
                    return e(format!(
                        "cbor: {} length {arg} is too large, causing integer overflow",
                        type_name(major)
                    ));
                }
                self.take(arg)?;
            }
            4 | 5 => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return e(format!("cbor: exceeded max nested level {MAX_DEPTH}"));
                }
                if info == 31 {
                    return indefinite();
                }
                if arg > i64::MAX as u64 {
                    return e(format!(
                        "cbor: {} length {arg} is too large, it would cause integer overflow",
                        type_name(major)
                    ));
                }
                if arg > MAX_ITEMS {
                    return e(if major == 4 {
                        format!("cbor: exceeded max number of elements {MAX_ITEMS} for CBOR array")
                    } else {
                        format!(
                            "cbor: exceeded max number of key-value pairs {MAX_ITEMS} for CBOR map"
                        )
                    });
                }
                let items = if major == 5 { arg * 2 } else { arg };
                for _ in 0..items {
                    self.check(depth)?;
                }
            }
            6 => {
                if !self.opts.allow_tags {
                    return e("cbor: CBOR tag isn't allowed");
                }
                // Nested tag numbers are scanned here, not recursed into.
                loop {
                    let Some(&next) = self.data.get(self.pos) else {
                        return e("unexpected EOF");
                    };
                    if next >> 5 != 6 {
                        break;
                    }
                    self.checked_head()?;
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return e(format!("cbor: exceeded max nested level {MAX_DEPTH}"));
                    }
                }
                return self.check(depth);
            }
            _ => {}
        }
        Ok(())
    }

    fn byte(&mut self) -> Result<u8, CborError> {
        let b = *self
            .data
            .get(self.pos)
            .ok_or_else(|| CborError("unexpected EOF".into()))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: u64) -> Result<&[u8], CborError> {
        let remaining = (self.data.len() - self.pos) as u64;
        if n > remaining {
            return e("unexpected EOF");
        }
        let start = self.pos;
        self.pos += n as usize;
        Ok(&self.data[start..self.pos])
    }

    /// Reads the argument of an initial byte (the input is well-formed: no indefinite
    /// lengths, no reserved values).
    fn argument(&mut self, info: u8) -> Result<u64, CborError> {
        Ok(match info {
            0..=23 => info as u64,
            24 => self.byte()? as u64,
            25 => u16::from_be_bytes(self.take(2)?.try_into().unwrap_or_default()) as u64,
            26 => u32::from_be_bytes(self.take(4)?.try_into().unwrap_or_default()) as u64,
            27 => u64::from_be_bytes(self.take(8)?.try_into().unwrap_or_default()),
            _ => return e(format!("cbor: invalid additional information {info}")),
        })
    }

    /// Decodes one item of input [`well_formed`] accepted: depth, counts and lengths are
    /// already bounded and true, so containers are allocated at their declared size.
    fn item(&mut self) -> Result<Value, CborError> {
        let initial = self.byte()?;
        let major = initial >> 5;
        let info = initial & 0x1f;
        if major == 7 {
            return self.simple(info);
        }
        let arg = self.argument(info)?;
        match major {
            0 => {
                if arg > i64::MAX as u64 {
                    return e(format!(
                        "cbor: cannot unmarshal positive integer into Go value of type int64 ({arg} overflows Go's int64)"
                    ));
                }
                Ok(Value::Uint(arg))
            }
            1 => {
                if arg > i64::MAX as u64 {
                    return e("cbor: cannot unmarshal negative integer into Go value of type int64 (overflows)");
                }
                Ok(Value::Nint(arg))
            }
            2 => Ok(Value::Bytes(self.take(arg)?.to_vec())),
            3 => {
                let raw = self.take(arg)?;
                match std::str::from_utf8(raw) {
                    Ok(s) => Ok(Value::Text(s.to_string())),
                    Err(_) => e("cbor: invalid UTF-8 string"),
                }
            }
            4 => {
                let mut items = Vec::with_capacity(arg as usize);
                for _ in 0..arg {
                    items.push(self.item()?);
                }
                Ok(Value::Array(items))
            }
            5 => {
                let mut pairs: Vec<(Value, Value)> = Vec::with_capacity(arg as usize);
                let mut seen: HashSet<Vec<u8>> = HashSet::with_capacity(arg as usize);
                for index in 0..arg {
                    let k = self.item()?;
                    if let Some(id) = key_identity(&k) {
                        if !seen.insert(id) {
                            return e(format!(
                                "cbor: found duplicate map key \"{k}\" at map element index {index}"
                            ));
                        }
                    }
                    let v = self.item()?;
                    pairs.push((k, v));
                }
                Ok(Value::Map(pairs))
            }
            6 => {
                if !self.opts.allow_tags {
                    return e("cbor: CBOR tag isn't allowed");
                }
                let content = self.item()?;
                Ok(Value::Tag(arg, Box::new(content)))
            }
            _ => e("cbor: invalid major type"),
        }
    }

    fn simple(&mut self, info: u8) -> Result<Value, CborError> {
        Ok(match info {
            20 => Value::Bool(false),
            21 => Value::Bool(true),
            22 => Value::Null,
            23 => Value::Undefined,
            0..=19 => Value::Simple(info),
            24 => {
                let v = self.byte()?;
                if v < 32 {
                    return e(format!(
                        "cbor: invalid simple value {v} for type primitives"
                    ));
                }
                Value::Simple(v)
            }
            25 => {
                let bits = u16::from_be_bytes(self.take(2)?.try_into().unwrap_or_default());
                Value::Float(f16_to_f64(bits))
            }
            26 => Value::Float(f32::from_bits(u32::from_be_bytes(
                self.take(4)?.try_into().unwrap_or_default(),
            )) as f64),
            27 => Value::Float(f64::from_bits(u64::from_be_bytes(
                self.take(8)?.try_into().unwrap_or_default(),
            ))),
            31 => return e("cbor: unexpected \"break\" code"),
            _ => return e(format!("cbor: invalid additional information {info}")),
        })
    }
}

/// What makes two map keys the same key for Go's `map[interface{}]interface{}`, which
/// fxamacker/cbor fills and checks for duplicates (`DupMapKeyEnforcedAPF`): the value,
/// not its encoding, so the canonical encoding of the decoded key. `None` for keys that
/// equal nothing (NaN, as Go's `==` has it). Hashing these makes the duplicate check
/// linear in the map size instead of comparing each key with every earlier one.
pub fn key_identity(key: &Value) -> Option<Vec<u8>> {
    match key {
        Value::Float(f) if f.is_nan() => None,
        // Go: -0.0 == 0.0.
        Value::Float(f) if *f == 0.0 => Some(encode(&Value::Float(0.0))),
        Value::Tag(_, inner) if matches!(**inner, Value::Float(f) if f.is_nan()) => None,
        _ => Some(encode(key)),
    }
}

fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((bits >> 10) & 0x1f) as i32;
    let frac = (bits & 0x3ff) as f64;
    match exp {
        0 => sign * frac * 2f64.powi(-24),
        31 if frac == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        _ => sign * (1.0 + frac / 1024.0) * 2f64.powi(exp - 15),
    }
}

fn head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let m = major << 5;
    if arg < 24 {
        out.push(m | arg as u8);
    } else if arg <= u8::MAX as u64 {
        out.extend_from_slice(&[m | 24, arg as u8]);
    } else if arg <= u16::MAX as u64 {
        out.push(m | 25);
        out.extend_from_slice(&(arg as u16).to_be_bytes());
    } else if arg <= u32::MAX as u64 {
        out.push(m | 26);
        out.extend_from_slice(&(arg as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&arg.to_be_bytes());
    }
}

/// Encodes with shortest-form heads and map keys sorted bytewise by their encoding
/// (RFC 8949 §4.2.1 core deterministic; floats are written as 64-bit).
pub fn encode(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(&mut out, v);
    out
}

fn encode_into(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Uint(u) => head(out, 0, *u),
        Value::Nint(n) => head(out, 1, *n),
        Value::Bytes(b) => {
            head(out, 2, b.len() as u64);
            out.extend_from_slice(b);
        }
        Value::Text(s) => {
            head(out, 3, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Array(items) => {
            head(out, 4, items.len() as u64);
            for i in items {
                encode_into(out, i);
            }
        }
        Value::Map(pairs) => {
            let mut encoded: Vec<(Vec<u8>, Vec<u8>)> =
                pairs.iter().map(|(k, v)| (encode(k), encode(v))).collect();
            encoded.sort_by(|a, b| a.0.cmp(&b.0));
            head(out, 5, encoded.len() as u64);
            for (k, v) in encoded {
                out.extend_from_slice(&k);
                out.extend_from_slice(&v);
            }
        }
        Value::Tag(t, inner) => {
            head(out, 6, *t);
            encode_into(out, inner);
        }
        Value::Bool(false) => out.push(0xf4),
        Value::Bool(true) => out.push(0xf5),
        Value::Null => out.push(0xf6),
        Value::Undefined => out.push(0xf7),
        Value::Simple(s) if *s < 24 => out.push(0xe0 | s),
        Value::Simple(s) => out.extend_from_slice(&[0xf8, *s]),
        Value::Float(f) => {
            out.push(0xfb);
            out.extend_from_slice(&f.to_bits().to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAGS: DecodeOptions = DecodeOptions { allow_tags: true };
    const NO_TAGS: DecodeOptions = DecodeOptions { allow_tags: false };

    #[test]
    fn round_trip_and_canonical_order() {
        let v = Value::Map(vec![
            (
                Value::text("io.cncf.notary.signingScheme"),
                Value::text("x"),
            ),
            (Value::int(3), Value::text("c")),
            (Value::int(1), Value::int(-37)),
            (
                Value::text("io.cncf.notary.expiry"),
                Value::Tag(1, Box::new(Value::int(1730887200))),
            ),
        ]);
        let bytes = encode(&v);
        assert_eq!(&bytes[..4], &[0xa4, 0x01, 0x38, 0x24]);
        let back = decode(&bytes, TAGS).unwrap();
        let Value::Map(pairs) = back else { panic!() };
        assert_eq!(pairs[0].0, Value::int(1));
        assert_eq!(pairs[1].0, Value::int(3));
        assert_eq!(pairs[2].0, Value::text("io.cncf.notary.expiry"));
    }

    #[test]
    fn strictness() {
        // Indefinite-length array.
        assert!(decode(&[0x9f, 0x01, 0xff], TAGS).is_err());
        // Duplicate keys, also with non-shortest encodings.
        assert!(decode(&[0xa2, 0x01, 0x01, 0x01, 0x02], TAGS).is_err());
        assert!(decode(&[0xa2, 0x01, 0x01, 0x18, 0x01, 0x02], TAGS).is_err());
        // Tags.
        assert!(decode(&[0xc1, 0x01], NO_TAGS).is_err());
        assert!(decode(&[0xc1, 0x01], TAGS).is_ok());
        // Truncated and extraneous.
        assert!(decode(&[0x58, 0x05, 0x01], TAGS).is_err());
        assert!(decode(&[0x01, 0x01], TAGS).is_err());
        // Invalid UTF-8.
        assert!(decode(&[0x62, 0xff, 0xfe], TAGS).is_err());
        // Deep nesting.
        let deep = vec![0x81; 100];
        assert!(decode(&deep, TAGS).is_err());
        // Huge declared length does not allocate.
        assert!(decode(
            &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            TAGS
        )
        .is_err());
        assert!(decode(
            &[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            TAGS
        )
        .is_err());
    }

    #[test]
    fn duplicate_keys_are_equal_values_as_go_compares_them() {
        // 1.0 as half and as double precision: one Go float64.
        let half_double = [
            0xa2, 0xf9, 0x3c, 0x00, 0x01, 0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x02,
        ];
        assert_eq!(
            decode(&half_double, TAGS).unwrap_err().0,
            "cbor: found duplicate map key \"1\" at map element index 1"
        );
        // -0.0 == 0.0 in Go; NaN equals nothing, not even itself.
        assert!(decode(
            &[0xa2, 0xf9, 0x80, 0x00, 0x01, 0xf9, 0x00, 0x00, 0x02],
            TAGS
        )
        .is_err());
        assert!(decode(
            &[0xa2, 0xf9, 0x7e, 0x00, 0x01, 0xf9, 0x7e, 0x00, 0x02],
            TAGS
        )
        .is_ok());
        // Same text as text and as bytes: different Go types.
        assert!(decode(&[0xa2, 0x61, 0x61, 0x01, 0x41, 0x61, 0x02], TAGS).is_ok());
    }

    /// Issue 9 §3: the duplicate check compared each key with every earlier one; a map
    /// at the 131,072-pair limit must decode (and a duplicate at its end be found) in
    /// one pass. No timing here: `benches/engine.rs` measures it.
    #[test]
    fn quadratic_duplicate_check_on_a_full_map() {
        let mut map = vec![0xba, 0x00, 0x02, 0x00, 0x00];
        for k in 0..MAX_ITEMS as u32 {
            map.push(0x1a);
            map.extend_from_slice(&k.min(MAX_ITEMS as u32 - 2).to_be_bytes());
            map.push(0x00);
        }
        assert_eq!(
            decode(&map, NO_TAGS).unwrap_err().0,
            "cbor: found duplicate map key \"131070\" at map element index 131071"
        );
        map[1..5].copy_from_slice(&(MAX_ITEMS as u32 + 1).to_be_bytes());
        assert_eq!(
            decode(&map, NO_TAGS).unwrap_err().0,
            "cbor: exceeded max number of key-value pairs 131072 for CBOR map"
        );
    }

    fn error(data: &[u8]) -> String {
        decode(data, NO_TAGS).unwrap_err().0
    }

    /// fxamacker checks well-formedness of the whole input before decoding, so its
    /// errors win over decoding errors met earlier in the input.
    #[test]
    fn well_formedness_errors_come_first_with_go_texts() {
        // A duplicate key, then the input ends.
        assert_eq!(error(&[0xa2, 0x01, 0x01, 0x01]), "unexpected EOF");
        // An int64 overflow, then extra bytes.
        let mut overflow = vec![0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        overflow.push(0x00);
        assert_eq!(
            error(&overflow),
            "cbor: 1 bytes of extraneous data starting at index 9"
        );
        assert_eq!(
            error(&overflow[..9]),
            "cbor: cannot unmarshal positive integer into Go value of type int64 (18446744073709551615 overflows Go's int64)"
        );
        assert_eq!(
            error(&[0x1c]),
            "cbor: invalid additional information 28 for type positive integer"
        );
        assert_eq!(
            error(&[0x3f]),
            "cbor: invalid additional information 31 for type negative integer"
        );
        assert_eq!(
            error(&[0x5f, 0xff]),
            "cbor: indefinite-length byte string isn't allowed"
        );
        assert_eq!(
            error(&[0xbf, 0xff]),
            "cbor: indefinite-length map isn't allowed"
        );
        assert_eq!(
            error(&[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            "cbor: byte string length 18446744073709551615 is too large, causing integer overflow"
        );
        assert_eq!(
            error(&[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            "cbor: array length 18446744073709551615 is too large, it would cause integer overflow"
        );
        assert_eq!(
            error(&[0xf8, 0x10]),
            "cbor: invalid simple value 16 for type primitives"
        );
        assert_eq!(error(&[0x81, 0xff]), "cbor: unexpected \"break\" code");
        assert_eq!(error(&[0xc1, 0x01]), "cbor: CBOR tag isn't allowed");
        assert_eq!(error(&[]), "EOF");
    }

    /// Go counts containers (and nested tags): 32 nested arrays decode, 33 do not, even
    /// when the innermost one is empty.
    #[test]
    fn nesting_depth_as_go_counts_it() {
        assert!(decode(
            &[0x81; 31]
                .iter()
                .chain(&[0x80])
                .copied()
                .collect::<Vec<_>>(),
            TAGS
        )
        .is_ok());
        let too_deep: Vec<u8> = [0x81; 32].iter().chain(&[0x80]).copied().collect();
        assert_eq!(
            decode(&too_deep, TAGS).unwrap_err().0,
            "cbor: exceeded max nested level 32"
        );
        // The outermost tag is not counted, each tag inside it is.
        let mut tags = vec![0xc1; 34];
        tags.push(0x01);
        assert_eq!(
            decode(&tags, TAGS).unwrap_err().0,
            "cbor: exceeded max nested level 32"
        );
        assert!(decode(&tags[1..], TAGS).is_ok());
    }

    #[test]
    fn floats_and_simple() {
        assert_eq!(
            decode(&[0xf9, 0x3c, 0x00], TAGS).unwrap(),
            Value::Float(1.0)
        );
        assert_eq!(decode(&[0xf6], TAGS).unwrap(), Value::Null);
        assert!(decode(&[0xff], TAGS).is_err());
    }
}
