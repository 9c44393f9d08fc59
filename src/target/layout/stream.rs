//! Moving blobs between files and async byte streams without holding them in memory.
//!
//! Layout blobs can be gigabytes (image layers), and `notation copy` moves them between
//! layouts and registries. Reads and writes run on tokio's blocking pool, connected to the
//! async side by a small bounded channel, so memory stays at a few chunks per blob whatever
//! its size.

use crate::target::{ByteStream, ContentCheck, Result, TargetError};
use bytes::Bytes;
use futures_util::StreamExt as _;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;

/// Bytes read per chunk.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight between the blocking side and the async side.
const IN_FLIGHT: usize = 4;

/// Reads `len` bytes at `offset` of a file with positional reads, so that several readers
/// can share one archive without disturbing each other's (or the file's) position.
pub(super) struct SpanReader {
    file: File,
    offset: u64,
    remaining: u64,
}

impl SpanReader {
    pub(super) fn new(file: File, offset: u64, len: u64) -> SpanReader {
        SpanReader {
            file,
            offset,
            remaining: len,
        }
    }
}

impl Read for SpanReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt as _;
        let want = buf
            .len()
            .min(self.remaining.min(usize::MAX as u64) as usize);
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.offset)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive entry is truncated",
            ));
        }
        self.offset += n as u64;
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// A stream of `reader`'s bytes; `path` names the source in errors. With `check`, the
/// reading thread also hashes, so that blobs read at once are hashed on as many threads
/// and the async side only forwards; the stream then fails as [`verified_stream`] does.
///
/// [`verified_stream`]: crate::target::verified_stream
pub(super) fn read_stream(
    mut reader: Box<dyn Read + Send>,
    path: PathBuf,
    mut check: Option<ContentCheck>,
) -> ByteStream {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes>>(IN_FLIGHT);
    tokio::task::spawn_blocking(move || loop {
        // Filled by `read_to_end`, which reads a file into the spare capacity without
        // zeroing it first (a memset of every byte copied otherwise).
        let mut buf = Vec::with_capacity(CHUNK);
        let read = (&mut reader).take(CHUNK as u64).read_to_end(&mut buf);
        let item = match (read, check.as_mut()) {
            (Ok(0), None) => return,
            (Ok(0), Some(check)) => match check.end() {
                Ok(()) => return,
                Err(e) => Err(e),
            },
            (Ok(_), Some(check)) => check.take(&buf).map(|()| Bytes::from(buf)),
            (Ok(_), None) => Ok(Bytes::from(buf)),
            (Err(e), _) => Err(TargetError::io(&path, e)),
        };
        let failed = item.is_err();
        // A closed channel means the consumer stopped reading: stop too.
        if tx.blocking_send(item).is_err() || failed {
            return;
        }
    });
    Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// Write every chunk of `stream` to `tmp` and return it with its length; the first error
/// (from the stream, e.g. a digest mismatch, or from the disk) aborts and drops `tmp`,
/// which removes it.
pub(super) async fn write_stream(
    mut stream: ByteStream,
    tmp: crate::atomic::TempFile,
) -> Result<(crate::atomic::TempFile, u64)> {
    let path = tmp.path().to_path_buf();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(IN_FLIGHT);
    let writer = tokio::task::spawn_blocking(move || -> io::Result<_> {
        let mut tmp = tmp;
        let mut written = 0u64;
        while let Some(chunk) = rx.blocking_recv() {
            tmp.write_all(&chunk)?;
            written += chunk.len() as u64;
        }
        Ok((tmp, written))
    });
    let mut failure = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(chunk) => {
                if tx.send(chunk).await.is_err() {
                    break; // the writer failed; its error is reported below
                }
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    drop(tx);
    let written = writer
        .await
        .map_err(|e| TargetError::io(&path, io::Error::other(e.to_string())))?;
    if let Some(e) = failure {
        return Err(e);
    }
    written.map_err(|e| TargetError::io(&path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn span_reader_streams_only_its_span() {
        let mut f = tempfile::tempfile().unwrap();
        let data: Vec<u8> = (0..(CHUNK * 3 + 17)).map(|i| (i % 251) as u8).collect();
        f.write_all(&data).unwrap();
        let reader = SpanReader::new(f, 5, (CHUNK * 2 + 3) as u64);
        let mut s = read_stream(Box::new(reader), PathBuf::from("x"), None);
        let mut got = Vec::new();
        while let Some(c) = s.next().await {
            got.extend_from_slice(&c.unwrap());
        }
        assert_eq!(got, &data[5..5 + CHUNK * 2 + 3]);
    }

    #[tokio::test]
    async fn a_checked_read_withholds_the_last_chunk_of_other_content() {
        let data: Vec<u8> = (0..(CHUNK * 2 + 5)).map(|i| (i % 253) as u8).collect();
        let desc = crate::oci::Descriptor::for_content("application/octet-stream", &data);
        let read = |content: Vec<u8>| {
            let mut f = tempfile::tempfile().unwrap();
            f.write_all(&content).unwrap();
            let reader = SpanReader::new(f, 0, content.len() as u64);
            let check = ContentCheck::new(&desc).unwrap();
            read_stream(Box::new(reader), PathBuf::from("x"), Some(check))
        };
        let mut good = Vec::new();
        let mut s = read(data.clone());
        while let Some(c) = s.next().await {
            good.extend_from_slice(&c.unwrap());
        }
        assert_eq!(good, data);
        let mut other = data.clone();
        other[CHUNK * 2 + 1] ^= 1;
        let mut s = read(other);
        let mut passed = 0;
        let err = loop {
            match s.next().await.unwrap() {
                Ok(c) => passed += c.len(),
                Err(e) => break e,
            }
        };
        assert_eq!(
            (passed, err.to_string()),
            (CHUNK * 2, "mismatched digest".into())
        );
        assert!(s.next().await.is_none());
    }

    #[tokio::test]
    async fn a_truncated_span_is_an_error() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"short").unwrap();
        let mut s = read_stream(
            Box::new(SpanReader::new(f, 0, 100)),
            PathBuf::from("x"),
            None,
        );
        let err = s.next().await.unwrap().unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    #[tokio::test]
    async fn write_stream_stops_at_the_first_error_and_removes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = crate::atomic::temp_in(dir.path(), 0o700).unwrap();
        let items: Vec<Result<Bytes>> = vec![
            Ok(Bytes::from_static(b"abc")),
            Err(TargetError::InvalidArgument("boom".into())),
        ];
        let err = write_stream(Box::pin(futures_util::stream::iter(items)), tmp)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "boom");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

        let tmp = crate::atomic::temp_in(dir.path(), 0o700).unwrap();
        let items: Vec<Result<Bytes>> = vec![
            Ok(Bytes::from_static(b"abc")),
            Ok(Bytes::from_static(b"de")),
        ];
        let (tmp, n) = write_stream(Box::pin(futures_util::stream::iter(items)), tmp)
            .await
            .unwrap();
        assert_eq!(n, 5);
        assert_eq!(std::fs::read(tmp.path()).unwrap(), b"abcde");
    }
}
