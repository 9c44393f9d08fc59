//! Checking content against the descriptor it was asked for: whole (bytes already read)
//! or as it streams by, with oras-go's texts. Nothing read from a layout, an archive or a
//! registry is used before it passes.

use super::{ByteStream, Result, TargetError};
use crate::oci::{Descriptor, Digest};
use futures_util::StreamExt as _;

/// The validated digest of `desc`; the one way a descriptor's digest becomes a [`Digest`].
pub(crate) fn digest_of(desc: &Descriptor) -> Result<Digest> {
    Digest::parse(&desc.digest).map_err(|_| TargetError::InvalidDigest {
        digest: desc.digest.clone(),
        media_type: desc.media_type.clone(),
    })
}

/// The validated digest and size of `desc`, as oras-go checks a descriptor before reading
/// the content it names.
pub(crate) fn checked_descriptor(desc: &Descriptor) -> Result<(Digest, u64)> {
    let digest = digest_of(desc)?;
    if desc.size < 0 {
        return Err(TargetError::InvalidSize {
            digest: desc.digest.clone(),
        });
    }
    Ok((digest, desc.size as u64))
}

/// Wrap `inner` so that it yields the same chunks but fails as soon as the content exceeds
/// the descriptor's size, and checks the digest when the last byte arrives, before yielding
/// the chunk that holds it: whoever consumes the stream (an HTTP body, a file) never gets the
/// whole of content that does not match. A stream that ends short fails at its end. A
/// descriptor with an invalid digest or a negative size is refused before anything is read.
pub fn verified_stream(desc: &Descriptor, inner: ByteStream) -> Result<ByteStream> {
    let check = ContentCheck::new(desc)?;
    let stream = futures_util::stream::unfold(
        (inner, check, false),
        |(mut inner, mut check, failed)| async move {
            if failed {
                return None;
            }
            let item = match inner.next().await {
                Some(Ok(chunk)) => check.take(&chunk).map(|()| chunk),
                Some(Err(e)) => Err(e),
                None => match check.end() {
                    Ok(()) => return None,
                    Err(e) => Err(e),
                },
            };
            let failed = item.is_err();
            Some((item, (inner, check, failed)))
        },
    );
    Ok(Box::pin(stream))
}

/// Checks content against a descriptor as it goes by in pieces: the piece that completes it
/// is checked before the caller passes it on; see [`verified_stream`]. For streams whose
/// producer hashes on its own thread (a layout's file reader).
pub(crate) struct ContentCheck {
    /// `None` once every byte arrived and matched.
    hasher: Option<crate::oci::Hasher>,
    read: u64,
    expected_size: u64,
    digest: Digest,
}

impl ContentCheck {
    /// Refuses a descriptor with an invalid digest or a negative size.
    pub fn new(desc: &Descriptor) -> Result<ContentCheck> {
        let (digest, expected_size) = checked_descriptor(desc)?;
        Ok(ContentCheck {
            hasher: Some(digest.algorithm().hasher()),
            read: 0,
            expected_size,
            digest,
        })
    }

    /// Account for the next piece; an error means it must not be passed on.
    pub fn take(&mut self, chunk: &[u8]) -> Result<()> {
        self.read += chunk.len() as u64;
        if self.read > self.expected_size {
            return Err(self.size_mismatch());
        }
        if let Some(hasher) = self.hasher.as_mut() {
            hasher.update(chunk);
        }
        if self.read == self.expected_size {
            self.complete()?;
        }
        Ok(())
    }

    /// The content ended: fails if it is short (or empty and not the descriptor's).
    pub fn end(&mut self) -> Result<()> {
        if self.read != self.expected_size {
            return Err(self.size_mismatch());
        }
        // Empty content: no piece completed it.
        self.complete()
    }

    /// Check the digest, once.
    fn complete(&mut self) -> Result<()> {
        let Some(hasher) = self.hasher.take() else {
            return Ok(());
        };
        let actual = hasher.finish();
        if actual != self.digest {
            return Err(TargetError::DigestMismatch {
                expected: self.digest.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(())
    }

    fn size_mismatch(&self) -> TargetError {
        TargetError::SizeMismatch {
            expected: self.expected_size as i64,
            actual: self.read,
            digest: self.digest.to_string(),
        }
    }
}

/// Check bytes already read against the descriptor they were read for: a valid digest, a
/// non-negative size equal to their length, and a matching hash — in that order, with
/// oras-go's `content.ReadAll` texts (`invalid descriptor size`, `trailing data`,
/// `read failed: …`, `mismatched digest`).
pub(crate) fn check_content(desc: &Descriptor, data: &[u8]) -> Result<()> {
    let (digest, size) = checked_descriptor(desc)?;
    check_length(desc, size, data.len() as u64)?;
    if !digest.matches(data) {
        let actual = Digest::compute(digest.algorithm(), data).to_string();
        return Err(TargetError::DigestMismatch {
            expected: desc.digest.clone(),
            actual,
        });
    }
    Ok(())
}

/// Fail unless content of `actual` bytes fits the descriptor's `expected` size.
pub(crate) fn check_length(desc: &Descriptor, expected: u64, actual: u64) -> Result<()> {
    if actual != expected {
        return Err(TargetError::SizeMismatch {
            expected: expected as i64,
            actual,
            digest: desc.digest.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn desc(digest: &str, size: i64) -> Descriptor {
        Descriptor {
            media_type: "application/octet-stream".into(),
            digest: digest.into(),
            size,
            ..Default::default()
        }
    }

    #[test]
    fn content_is_checked_with_oras_texts() {
        let data = b"hello";
        let digest = Digest::sha256(data).to_string();
        check_content(&desc(&digest, 5), data).unwrap();
        let text = |d: &Descriptor| check_content(d, data).unwrap_err().to_string();
        assert_eq!(text(&desc(&digest, 4)), "trailing data");
        assert_eq!(
            text(&desc(&digest, 6)),
            format!("read failed: expected content size of 6, got 5, for digest {digest}: unexpected EOF")
        );
        assert_eq!(text(&desc(&digest, -1)), "invalid descriptor size");
        assert_eq!(
            text(&desc(&Digest::sha256(b"other").to_string(), 5)),
            "mismatched digest"
        );
        for bad in ["sha256:../../etc/passwd", "sha256:ABC", "md5:00", ""] {
            assert_eq!(
                text(&desc(bad, 5)),
                format!("{bad}: application/octet-stream: invalid digest")
            );
        }
    }

    async fn drain(d: &Descriptor, chunks: &[&'static [u8]]) -> (usize, Result<()>) {
        let items: Vec<Result<Bytes>> = chunks.iter().map(|c| Ok(Bytes::from(*c))).collect();
        let mut stream = match verified_stream(d, Box::pin(futures_util::stream::iter(items))) {
            Ok(s) => s,
            Err(e) => return (0, Err(e)),
        };
        let mut passed = 0;
        while let Some(item) = stream.next().await {
            match item {
                Ok(_) => passed += 1,
                Err(e) => return (passed, Err(e)),
            }
        }
        (passed, Ok(()))
    }

    #[tokio::test]
    async fn streams_stop_at_the_first_byte_too_many_and_check_the_rest_at_the_end() {
        let digest = Digest::sha256(b"hello").to_string();
        let (n, r) = drain(&desc(&digest, 5), &[b"he", b"llo"]).await;
        assert_eq!((n, r.is_ok()), (2, true));
        // More than the descriptor's size: the chunk that overflows is never passed on.
        let (n, r) = drain(&desc(&digest, 3), &[b"he", b"llo", b"more"]).await;
        assert_eq!((n, r.unwrap_err().to_string()), (1, "trailing data".into()));
        let (_, r) = drain(&desc(&digest, 9), &[b"he", b"llo"]).await;
        assert_eq!(
            r.unwrap_err().to_string(),
            format!("read failed: expected content size of 9, got 5, for digest {digest}: unexpected EOF")
        );
        let (_, r) = drain(&desc(&digest, 5), &[b"jello"]).await;
        assert_eq!(r.unwrap_err().to_string(), "mismatched digest");
        // The chunk that completes other content is never passed on: a consumer that got
        // every byte got the right ones.
        let (n, r) = drain(&desc(&digest, 5), &[b"he", b"llx", b""]).await;
        assert_eq!(
            (n, r.unwrap_err().to_string()),
            (1, "mismatched digest".into())
        );
        // Trailing data after complete, matching content is still refused.
        let (n, r) = drain(&desc(&digest, 5), &[b"hello", b"!"]).await;
        assert_eq!((n, r.unwrap_err().to_string()), (1, "trailing data".into()));
        // Empty content is checked at the end.
        let empty = Digest::sha256(b"").to_string();
        assert_eq!(drain(&desc(&empty, 0), &[]).await.0, 0);
        assert!(drain(&desc(&empty, 0), &[]).await.1.is_ok());
        let (_, r) = drain(&desc(&digest, 0), &[]).await;
        assert_eq!(r.unwrap_err().to_string(), "mismatched digest");
        // Nothing is read for a descriptor that cannot be right.
        let (_, r) = drain(&desc(&digest, -1), &[b"hello"]).await;
        assert_eq!(r.unwrap_err().to_string(), "invalid descriptor size");
        let (_, r) = drain(&desc("sha256:..", 5), &[b"hello"]).await;
        assert!(r.unwrap_err().to_string().ends_with("invalid digest"));
    }
}
