//! PEM decoding with Go `encoding/pem` semantics: blocks anywhere in the text, text
//! outside blocks ignored, malformed blocks skipped.

use base64::Engine as _;

/// One decoded PEM block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PemBlock {
    /// The label after `BEGIN ` (e.g. `CERTIFICATE`).
    pub label: String,
    /// `Key: value` headers, in order.
    pub headers: Vec<(String, String)>,
    /// The base64-decoded body.
    pub contents: Vec<u8>,
}

const PEM_START: &[u8] = b"\n-----BEGIN ";
const PEM_END: &[u8] = b"\n-----END ";
const PEM_END_OF_LINE: &[u8] = b"-----";

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// Go `getLine`: the first line without its line ending and trailing spaces/tabs, the
/// rest after the newline, and how many bytes that consumed.
fn get_line(data: &[u8]) -> (&[u8], &[u8], usize) {
    let (mut i, j) = match data.iter().position(|&b| b == b'\n') {
        None => (data.len(), data.len()),
        Some(i) => (i, i + 1),
    };
    if j > i && i > 0 && data[i - 1] == b'\r' {
        i -= 1;
    }
    let line = &data[..i];
    let kept = line
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(0, |p| p + 1);
    (&line[..kept], &data[j..], j)
}

/// Returns every well-formed PEM block in `data`, in order (Go: `pem.Decode` until it
/// finds nothing).
pub(crate) fn pem_blocks(data: &[u8]) -> Vec<PemBlock> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some((block, next)) = decode(rest) {
        out.push(block);
        rest = next;
    }
    out
}

/// Go `pem.Decode` as fixed for CVE-2025-61723 (Go 1.24.8 / 1.25.2): take the first END
/// line and the last BEGIN line before it, so that every byte is looked at a bounded
/// number of times. The older "each BEGIN searches the rest for its END" was quadratic
/// on many BEGIN lines without an END.
fn decode(data: &[u8]) -> Option<(PemBlock, &[u8])> {
    let mut rest = data;
    let mut end_trailer_index = 0;
    loop {
        // Past the END line the previous attempt saw (Go would panic when out of range).
        rest = rest.get(end_trailer_index..)?;
        let mut end_index = find(rest, PEM_END)?;
        end_trailer_index = end_index + PEM_END.len();
        let begin_index = match rfind(&rest[..end_index], &PEM_START[1..]) {
            Some(b) if b == 0 || rest[b - 1] == b'\n' => b,
            _ => continue,
        };
        let skip = begin_index + PEM_START.len() - 1;
        rest = &rest[skip..];
        end_index -= skip;
        end_trailer_index -= skip;

        let (type_line, next, consumed) = get_line(rest);
        rest = next;
        let Some(label) = type_line.strip_suffix(PEM_END_OF_LINE) else {
            continue;
        };
        // The END line's newline may be the type line's own (an empty block).
        let mut end_index = end_index as isize - consumed as isize;
        end_trailer_index = end_trailer_index.checked_sub(consumed)?;

        let (headers, next, taken) = read_headers(rest)?;
        rest = next;
        end_index -= taken as isize;
        end_trailer_index = end_trailer_index.checked_sub(taken)?;
        if !headers.is_empty() && end_index < 0 {
            continue;
        }
        if !has_end_trailer(rest.get(end_trailer_index..), label) {
            continue;
        }
        let contents = if end_index > 0 {
            match decode_body(&rest[..end_index as usize]) {
                Some(c) => c,
                None => continue,
            }
        } else {
            Vec::new()
        };
        let Ok(label) = std::str::from_utf8(label) else {
            continue;
        };
        // `- 1`: an empty block's END line may have matched without its newline.
        let end_line = (end_index + PEM_END.len() as isize - 1) as usize;
        let (_, after, _) = get_line(&rest[end_line..]);
        let block = PemBlock {
            label: label.to_string(),
            headers,
            contents,
        };
        return Some((block, after));
    }
}

/// `Key: value` pairs of a block, in order.
type Headers = Vec<(String, String)>;

/// The `Key: value` header lines at the start of `rest`, what follows them and how many
/// bytes they took; `None` when the data ends among them.
fn read_headers(mut rest: &[u8]) -> Option<(Headers, &[u8], usize)> {
    let mut headers = Vec::new();
    let mut taken = 0;
    loop {
        if rest.is_empty() {
            return None;
        }
        let (line, next, consumed) = get_line(rest);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Some((headers, rest, taken));
        };
        let key = String::from_utf8_lossy(line[..colon].trim_ascii()).into_owned();
        let value = String::from_utf8_lossy(line[colon + 1..].trim_ascii()).into_owned();
        headers.push((key, value));
        rest = next;
        taken += consumed;
    }
}

/// Whether what follows `-----END ` is the block's type and five dashes, then only
/// whitespace to the end of the line.
fn has_end_trailer(end_trailer: Option<&[u8]>, label: &[u8]) -> bool {
    let Some(end_trailer) = end_trailer else {
        return false;
    };
    let trailer_len = label.len() + PEM_END_OF_LINE.len();
    end_trailer.len() >= trailer_len
        && end_trailer[..trailer_len].starts_with(label)
        && end_trailer[..trailer_len].ends_with(PEM_END_OF_LINE)
        && get_line(&end_trailer[trailer_len..]).0.is_empty()
}

/// The base64 body of a block, whitespace ignored.
fn decode_body(body: &[u8]) -> Option<Vec<u8>> {
    let b64: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .collect();
    base64::engine::general_purpose::STANDARD.decode(&b64).ok()
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

    /// Issue 9 §3 review (Go CVE-2025-61723): many BEGIN lines without an END made each
    /// one search the rest of the input. Now one pass; the result is still "no block".
    #[test]
    fn quadratic_begin_lines_without_end() {
        let text = "-----BEGIN X-----\n".repeat(200_000);
        assert!(pem_blocks(text.as_bytes()).is_empty());
        let good = encode("X", b"ok");
        let blocks = pem_blocks(format!("{text}{good}").as_bytes());
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].contents, b"ok");
    }

    #[test]
    fn empty_block_and_crlf() {
        let b = &pem_blocks(b"-----BEGIN X-----\n-----END X-----\n")[0];
        assert!(b.contents.is_empty());
        let b = &pem_blocks(b"-----BEGIN X-----\r\nAAEC\r\n-----END X-----\r\n")[0];
        assert_eq!(b.contents, vec![0, 1, 2]);
    }

    #[test]
    fn headers_are_split() {
        let text = "-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\n\nAAEC\n-----END X-----\n";
        let b = &pem_blocks(text.as_bytes())[0];
        assert_eq!(b.headers, vec![("Proc-Type".into(), "4,ENCRYPTED".into())]);
        assert_eq!(b.contents, vec![0, 1, 2]);
    }
}
