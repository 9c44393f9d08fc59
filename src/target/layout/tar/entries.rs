//! Reading a tar archive's entries: indexing them for random access (every entry's data
//! inside the file, an end-of-archive block after the last) and reading one exactly, a
//! blob checked against its digest.

use crate::oci::Digest;
use crate::target::TargetError;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// Where an entry's bytes are in the (uncompressed) archive.
#[derive(Clone, Copy, Debug)]
pub(super) struct Span {
    pub(super) offset: u64,
    pub(super) len: u64,
}

/// Entry names as the layout spec knows them: no `./` prefix.
pub(super) fn normalize(name: &str) -> &str {
    let mut n = name;
    while let Some(rest) = n.strip_prefix("./") {
        n = rest;
    }
    n
}

pub(super) fn invalid_tar(path: &Path, e: io::Error) -> TargetError {
    if let Some(d) = e.get_ref().and_then(|r| r.downcast_ref::<Damaged>()) {
        return TargetError::InvalidLayout(format!(
            "{}: invalid tar archive: {}",
            path.display(),
            d.0
        ));
    }
    let reason = parser_reason(&e, "not a tar archive");
    TargetError::InvalidLayout(format!("{}: invalid tar archive: {reason}", path.display()))
}

pub(super) fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The tar parser's reason, or `fallback` when it quotes the bytes it choked on: garbage is
/// not worth printing.
pub(super) fn parser_reason(e: &io::Error, fallback: &str) -> String {
    let reason = e.to_string();
    let printable = reason.len() <= 200
        && reason
            .chars()
            .all(|c| !c.is_control() && c != char::REPLACEMENT_CHARACTER);
    if printable {
        reason
    } else {
        fallback.into()
    }
}

/// An entry name fit for a one-line message: control characters escaped.
pub(super) fn shown(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A damaged entry: the message names it and says what is wrong, once.
#[derive(Debug)]
pub(super) struct Damaged(String);

impl std::fmt::Display for Damaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Damaged {}

pub(super) fn damaged(kind: io::ErrorKind, message: String) -> io::Error {
    io::Error::new(kind, Damaged(message))
}

/// Tar's block size: headers are one block, entry data is padded to whole blocks.
pub(super) const BLOCK: u64 = 512;

/// Map each regular file entry to its data span (a later duplicate wins, as on extraction),
/// checking that every entry's data lies inside the file and that the archive ends with an
/// end-of-archive block, so that a truncated archive is refused whatever the cut.
pub(super) fn index_entries(file: &File) -> io::Result<(HashMap<String, Span>, &'static str)> {
    let file_len = file.metadata()?.len();
    let mut reader = file;
    reader.seek(SeekFrom::Start(0))?;
    let mut archive = tar::Archive::new(reader);
    let mut entries = HashMap::new();
    let mut prefix = "";
    // The last entry's name and where its padded data ends.
    let mut last: Option<(String, u64)> = None;
    for entry in archive.entries_with_seek()? {
        let entry = entry.map_err(|e| match &last {
            Some((name, _)) => damaged(
                e.kind(),
                format!(
                    "the header after entry {name}: {}",
                    parser_reason(&e, "not a tar header")
                ),
            ),
            None => e,
        })?;
        let raw = entry.path()?.to_string_lossy().into_owned();
        let label = shown(&raw);
        let span = Span {
            offset: entry.raw_file_position(),
            len: entry.size(),
        };
        let end = span.offset.checked_add(span.len).filter(|&e| e <= file_len);
        let Some(end) = end else {
            return Err(damaged(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "entry {label}: truncated: {} bytes declared, {} in the archive",
                    span.len,
                    file_len.saturating_sub(span.offset)
                ),
            ));
        };
        let kind = entry.header().entry_type();
        if kind.is_gnu_sparse() {
            return Err(damaged(
                io::ErrorKind::InvalidData,
                format!("entry {label}: sparse files are not supported"),
            ));
        }
        last = Some((label, end.div_ceil(BLOCK) * BLOCK));
        if !kind.is_file() {
            continue;
        }
        let name = normalize(&raw);
        if name == "index.json" && raw.starts_with("./") {
            prefix = "./";
        }
        entries.insert(name.to_string(), span);
    }
    if let Some((name, end)) = last {
        check_end_block(file, file_len, end, &name)?;
    }
    Ok((entries, prefix))
}

/// The archive must go on with a zero block after its last entry (tar writes two; one is
/// enough to tell the end from a cut after a complete entry).
pub(super) fn check_end_block(file: &File, file_len: u64, end: u64, last: &str) -> io::Result<()> {
    use std::os::unix::fs::FileExt as _;
    let truncated = || {
        damaged(
            io::ErrorKind::UnexpectedEof,
            format!("truncated after entry {last}: no end-of-archive block"),
        )
    };
    if file_len < end.saturating_add(BLOCK) {
        return Err(truncated());
    }
    let mut block = [0u8; BLOCK as usize];
    file.read_exact_at(&mut block, end)?;
    if block.iter().any(|&b| b != 0) {
        return Err(truncated());
    }
    Ok(())
}

/// The digest a `blobs/<alg>/<hex>` entry name stands for, if it is one.
pub(super) fn blob_digest(name: &str) -> Option<Digest> {
    let (alg, hex) = name.strip_prefix("blobs/")?.split_once('/')?;
    Digest::parse(&format!("{alg}:{hex}")).ok()
}

/// Reads exactly `len` bytes of an entry (a short read is an error, never padding) and, for
/// a blob, checks them against its digest before reporting the end.
pub(super) struct CheckedEntry<R> {
    inner: R,
    name: String,
    len: u64,
    remaining: u64,
    digest: Option<(Digest, crate::oci::Hasher)>,
}

impl<R: Read> CheckedEntry<R> {
    pub(super) fn new(inner: R, name: &str, len: u64, digest: Option<Digest>) -> CheckedEntry<R> {
        CheckedEntry {
            inner,
            name: shown(name),
            len,
            remaining: len,
            digest: digest.map(|d| {
                let hasher = d.algorithm().hasher();
                (d, hasher)
            }),
        }
    }
}

impl<R: Read> Read for CheckedEntry<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            if let Some((digest, hasher)) = self.digest.take() {
                if hasher.finish() != digest {
                    return Err(damaged(
                        io::ErrorKind::InvalidData,
                        format!("entry {}: content does not match its digest", self.name),
                    ));
                }
            }
            return Ok(0);
        }
        let want = buf
            .len()
            .min(self.remaining.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(damaged(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "entry {}: truncated: {} bytes declared, {} in the archive",
                    self.name,
                    self.len,
                    self.len - self.remaining
                ),
            ));
        }
        if let Some((_, hasher)) = &mut self.digest {
            hasher.update(&buf[..n]);
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}
