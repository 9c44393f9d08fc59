//! PEM decoding with Go `encoding/pem` semantics: blocks anywhere in the text, text
//! outside blocks ignored, malformed blocks skipped.

use base64::Engine as _;

/// One decoded PEM block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemBlock {
    /// The label after `BEGIN ` (e.g. `CERTIFICATE`).
    pub label: String,
    /// `Key: value` headers, in order.
    pub headers: Vec<(String, String)>,
    /// The base64-decoded body.
    pub contents: Vec<u8>,
}

const BEGIN: &[u8] = b"-----BEGIN ";
const END: &[u8] = b"-----END ";
const DASHES: &[u8] = b"-----";

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn trim_trailing_ws(s: &[u8]) -> &[u8] {
    let end = s
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .map_or(0, |p| p + 1);
    &s[..end]
}

/// Returns every well-formed PEM block in `data`, in order.
pub fn pem_blocks(data: &[u8]) -> Vec<PemBlock> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(block_start) = find_begin(rest) {
        let after_begin = &rest[block_start + BEGIN.len()..];
        match decode_block(after_begin) {
            Some((block, consumed)) => {
                out.push(block);
                rest = &after_begin[consumed..];
            }
            None => rest = after_begin,
        }
    }
    out
}

/// A BEGIN marker at the start of the data or of a line.
fn find_begin(data: &[u8]) -> Option<usize> {
    let mut offset = 0;
    while let Some(p) = find(&data[offset..], BEGIN) {
        let abs = offset + p;
        if abs == 0 || data[abs - 1] == b'\n' {
            return Some(abs);
        }
        offset = abs + 1;
    }
    None
}

/// Decodes a block whose `-----BEGIN ` has been consumed; returns the block and how many
/// bytes of `data` it used.
fn decode_block(data: &[u8]) -> Option<(PemBlock, usize)> {
    let line_end = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let type_line = trim_trailing_ws(&data[..line_end]);
    if !type_line.ends_with(DASHES) {
        return None;
    }
    let label = std::str::from_utf8(&type_line[..type_line.len() - DASHES.len()]).ok()?;
    let body_start = (line_end + 1).min(data.len());
    let body_and_rest = &data[body_start..];

    // The END line must match the label.
    let mut end_marker = b"\n".to_vec();
    end_marker.extend_from_slice(END);
    end_marker.extend_from_slice(label.as_bytes());
    end_marker.extend_from_slice(DASHES);
    let (body, end_pos) = if body_and_rest.starts_with(&end_marker[1..]) {
        (&body_and_rest[..0], 0)
    } else {
        let p = find(body_and_rest, &end_marker)?;
        (&body_and_rest[..p], p + 1)
    };
    let after_end = &body_and_rest[end_pos + end_marker.len() - 1..];
    let end_line_len = after_end
        .iter()
        .position(|&b| b == b'\n')
        .map_or(after_end.len(), |p| p + 1);
    if !trim_trailing_ws(&after_end[..end_line_len]).is_empty() {
        return None;
    }

    let (headers, b64) = split_headers(body);
    let cleaned: Vec<u8> = b64
        .iter()
        .copied()
        .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .collect();
    let contents = base64::engine::general_purpose::STANDARD
        .decode(&cleaned)
        .ok()?;
    let consumed = body_start + end_pos + end_marker.len() - 1 + end_line_len;
    Some((
        PemBlock {
            label: label.to_string(),
            headers,
            contents,
        },
        consumed,
    ))
}

fn split_headers(body: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let mut headers = Vec::new();
    let mut rest = body;
    loop {
        let line_end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let line = &rest[..line_end];
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            break;
        };
        let key = String::from_utf8_lossy(&line[..colon]).trim().to_string();
        let value = String::from_utf8_lossy(&line[colon + 1..])
            .trim()
            .to_string();
        headers.push((key, value));
        rest = &rest[(line_end + 1).min(rest.len())..];
    }
    (headers, rest)
}

/// Encodes `der` as a PEM block with 64-character lines (Go `pem.Encode`).
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_surrounding_text() {
        let pem = encode("CERTIFICATE", &[1, 2, 3, 4, 5]);
        let text = format!("hello\n{pem}between\n{pem}bye");
        let blocks = pem_blocks(text.as_bytes());
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].label, "CERTIFICATE");
        assert_eq!(blocks[1].contents, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn malformed_blocks_are_skipped() {
        let good = encode("X", b"ok");
        let text = format!("-----BEGIN X-----\n!!!!\n-----END X-----\n{good}");
        let blocks = pem_blocks(text.as_bytes());
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].contents, b"ok");
        assert!(pem_blocks(b"-----BEGIN X-----\nAAAA\n-----END Y-----\n").is_empty());
        assert!(pem_blocks(b"no pem here").is_empty());
        assert!(pem_blocks(b"-----BEGIN ").is_empty());
    }

    #[test]
    fn headers_are_split() {
        let text = "-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\n\nAAEC\n-----END X-----\n";
        let b = &pem_blocks(text.as_bytes())[0];
        assert_eq!(b.headers, vec![("Proc-Type".into(), "4,ENCRYPTED".into())]);
        assert_eq!(b.contents, vec![0, 1, 2]);
    }
}
