//! BER to DER conversion for timestamp tokens (tspclient-go `ber.ConvertToDER`): some TSAs
//! send indefinite lengths or non-minimal length encodings; everything else is copied.

/// Deepest nesting accepted (real tokens are far shallower).
const MAX_DEPTH: usize = 64;

/// Converts one BER value (and nothing after it) to DER lengths.
pub fn to_der(ber: &[u8]) -> Result<Vec<u8>, String> {
    let (out, used) = convert(ber, 0)?;
    if used != ber.len() {
        return Err("trailing data after the top-level value".into());
    }
    Ok(out)
}

/// Converts the value at the start of `input`; returns its DER form and the bytes used.
fn convert(input: &[u8], depth: usize) -> Result<(Vec<u8>, usize), String> {
    if depth > MAX_DEPTH {
        return Err("nesting too deep".into());
    }
    let truncated = || "unexpected end of data".to_string();
    let mut pos = 0;
    let first = *input.first().ok_or_else(truncated)?;
    pos += 1;
    if first & 0x1f == 0x1f {
        // High tag number: continuation bytes while the top bit is set.
        loop {
            let b = *input.get(pos).ok_or_else(truncated)?;
            pos += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    let tag = &input[..pos];
    let constructed = first & 0x20 != 0;
    let len_byte = *input.get(pos).ok_or_else(truncated)?;
    pos += 1;
    let mut content = Vec::new();
    if len_byte == 0x80 {
        if !constructed {
            return Err("indefinite length on a primitive value".into());
        }
        loop {
            if input.get(pos..pos + 2).ok_or_else(truncated)? == [0, 0] {
                pos += 2;
                break;
            }
            let (child, used) = convert(&input[pos..], depth + 1)?;
            content.extend(child);
            pos += used;
        }
    } else {
        let len = if len_byte & 0x80 == 0 {
            usize::from(len_byte)
        } else {
            let n = usize::from(len_byte & 0x7f);
            if n > 8 {
                return Err("length too long".into());
            }
            let bytes = input.get(pos..pos + n).ok_or_else(truncated)?;
            pos += n;
            bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
        };
        let body = input.get(pos..pos + len).ok_or_else(truncated)?;
        pos += len;
        if constructed {
            let mut at = 0;
            while at < body.len() {
                let (child, used) = convert(&body[at..], depth + 1)?;
                content.extend(child);
                at += used;
            }
        } else {
            content.extend_from_slice(body);
        }
    }
    let mut out = tag.to_vec();
    push_length(&mut out, content.len());
    out.extend(content);
    Ok((out, pos))
}

fn push_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes: Vec<u8> = len
        .to_be_bytes()
        .iter()
        .copied()
        .skip_while(|b| *b == 0)
        .collect();
    out.push(0x80 | bytes.len() as u8);
    out.extend(bytes);
}

#[cfg(test)]
mod tests {
    use super::to_der;

    #[test]
    fn der_is_unchanged() {
        let der = [0x30, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0xaa];
        assert_eq!(to_der(&der).unwrap(), der);
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([7u8; 0x80]);
        assert_eq!(to_der(&long).unwrap(), long);
    }

    #[test]
    fn indefinite_and_long_form_lengths_become_minimal() {
        // SEQUENCE (indefinite) { INTEGER 1 (length in long form), [0] (indefinite) { NULL } }
        let ber = [
            0x30, 0x80, 0x02, 0x81, 0x01, 0x01, 0xa0, 0x80, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        assert_eq!(
            to_der(&ber).unwrap(),
            [0x30, 0x07, 0x02, 0x01, 0x01, 0xa0, 0x02, 0x05, 0x00]
        );
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert!(to_der(&[]).is_err());
        assert!(to_der(&[0x30, 0x80, 0x02, 0x01]).is_err());
        assert!(to_der(&[0x04, 0x80, 0x00, 0x00]).is_err());
        assert!(to_der(&[0x02, 0x01, 0x01, 0x00]).is_err());
        let deep: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 100).flatten().collect();
        assert!(to_der(&deep).is_err());
    }
}
