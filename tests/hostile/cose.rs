//! Hostile COSE envelopes for the denial-of-service regressions (issue 9 §3): a signed
//! COSE_Sign1 envelope whose *unprotected* header (not covered by the signature) is
//! stuffed with 131,072-key maps, the most fxamacker/cbor accepts per map. Shared by
//! `tests/blob.rs` (expected results) and `benches/engine.rs` (time).

/// Most key-value pairs Go's CBOR decoder accepts in one map (`MaxMapPairs`).
pub const MAX_MAP_PAIRS: u64 = 131_072;

/// CBOR head (major type + argument) in shortest form.
fn head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let m = major << 5;
    match arg {
        0..=23 => out.push(m | arg as u8),
        24..=0xff => out.extend([m | 24, arg as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend((arg as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend((arg as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend(arg.to_be_bytes());
        }
    }
}

/// Reads the head at `pos`: (major type, argument, position after the head).
fn read_head(bytes: &[u8], pos: usize) -> (u8, u64, usize) {
    let (major, info) = (bytes[pos] >> 5, bytes[pos] & 0x1f);
    let width = match info {
        0..=23 => return (major, info as u64, pos + 1),
        24 => 1,
        25 => 2,
        26 => 4,
        27 => 8,
        _ => panic!("indefinite or reserved head in a notation envelope"),
    };
    let arg = bytes[pos + 1..pos + 1 + width]
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | *b as u64);
    (major, arg, pos + 1 + width)
}

/// A map of `pairs` integer keys `0..pairs` to `0`, with `pairs - 1` written twice
/// at the end when `duplicate_last` is set.
pub fn int_key_map(pairs: u64, duplicate_last: bool) -> Vec<u8> {
    let mut out = Vec::new();
    head(&mut out, 5, pairs);
    for k in 0..pairs {
        let key = if duplicate_last && k == pairs - 1 {
            k - 1
        } else {
            k
        };
        head(&mut out, 0, key);
        out.push(0x00);
    }
    out
}

/// Where the unprotected header map starts in `envelope` (a COSE_Sign1_Tagged message
/// as notation writes it): (its pair count, offset of its first pair, offset of its head).
fn unprotected_header(envelope: &[u8]) -> (u64, usize, usize) {
    assert_eq!(&envelope[..2], &[0xd2, 0x84], "COSE_Sign1_Tagged");
    let (major, len, after) = read_head(envelope, 2);
    assert_eq!(major, 2, "protected header is a bstr");
    let map_at = after + len as usize;
    let (major, count, entries_at) = read_head(envelope, map_at);
    assert_eq!(major, 5, "unprotected header is a map");
    (count, entries_at, map_at)
}

/// `envelope` with `extra` (already encoded key, value) pairs appended to its
/// unprotected header map.
pub fn with_unprotected(envelope: &[u8], extra: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let (count, entries_at, map_at) = unprotected_header(envelope);
    let mut out = envelope[..map_at].to_vec();
    head(&mut out, 5, count + extra.len() as u64);
    for (k, v) in extra {
        out.extend_from_slice(k);
        out.extend_from_slice(v);
    }
    out.extend_from_slice(&envelope[entries_at..]);
    out
}

/// Integer label `1000 + i`: outside the labels go-cose checks, so only size matters.
fn label(i: u64) -> Vec<u8> {
    let mut out = Vec::new();
    head(&mut out, 0, 1000 + i);
    out
}

/// The unprotected header filled up to 131,072 labels (the single-map case); with
/// `duplicate_last`, the last label repeats the first added one (the added labels come
/// first, so it is at map index 131,069 of a notation envelope's header).
pub fn wide_header(envelope: &[u8], duplicate_last: bool) -> Vec<u8> {
    let added = MAX_MAP_PAIRS - unprotected_header(envelope).0;
    let mut extra: Vec<(Vec<u8>, Vec<u8>)> =
        (0..added - 1).map(|i| (label(i), vec![0x00])).collect();
    let last = if duplicate_last { 0 } else { added - 1 };
    extra.push((label(last), vec![0x00]));
    with_unprotected(envelope, &extra)
}

/// The unprotected header gets `maps` labels, each holding a 131,072-key map; with
/// `duplicate_last`, the last map repeats its last key.
pub fn many_maps(envelope: &[u8], maps: u64, duplicate_last: bool) -> Vec<u8> {
    let extra: Vec<(Vec<u8>, Vec<u8>)> = (0..maps)
        .map(|i| {
            let dup = duplicate_last && i == maps - 1;
            (label(i), int_key_map(MAX_MAP_PAIRS, dup))
        })
        .collect();
    with_unprotected(envelope, &extra)
}
