//! Detached signatures over arbitrary files ("blobs", signature-format.md §11).
//!
//! A blob signature is an ordinary JWS or COSE envelope whose payload describes the blob:
//! `{mediaType, digest, size}` with the digest computed by the hash matching the signing
//! key. It lives in a file named `<blob file name>.<jws|cose>.sig`. Verification selects a
//! statement of `trustpolicy.blob.json` (by name, or the global one) and runs the same
//! checks as for OCI artifacts (see `verifier::blob`).

use crate::envelope::Format;
use crate::go::fmt::GoQuoted;
use crate::oci::describe;
use crate::signer::{self, EnvelopeSigner, SignError, SignOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Default `--media-type` of `blob sign`.
pub const DEFAULT_MEDIA_TYPE: &str = "application/octet-stream";

/// Why a blob operation failed. Texts are notation's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    /// Go's `mime.ParseMediaType` rejected the value.
    #[error("invalid content media-type '{media_type}': mime: {reason}")]
    InvalidMediaType {
        /// The value given.
        media_type: String,
        /// Go's reason.
        reason: &'static str,
    },
    /// The media type is empty.
    #[error("content media-type cannot be empty")]
    EmptyMediaType,
    /// The blob could not be read while hashing.
    #[error("{0}")]
    Read(#[source] std::io::Error),
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// `blob verify`: the file name does not end in `.sig`.
    #[error("invalid signature filename {0}. The file extension must be .sig")]
    NotSig(String),
    /// `blob verify`: no format part before `.sig`.
    #[error("invalid signature filename {0}. A valid signature file name must contain signature format and .sig file extension")]
    NoFormat(String),
    /// `blob inspect`'s shorter text for both of the above.
    #[error("invalid signature filename: {0}")]
    InvalidFileName(String),
    /// The signature format is neither `jws` nor `cose`.
    #[error("signature format {} not supported\nSupported signature envelope formats are \"jws\" and \"cose\"", GoQuoted(.0))]
    UnsupportedFormat(String),
}

/// Check a media type as Go's `mime.ParseMediaType` does (type, optional `/subtype`,
/// optional `; key=value` parameters).
pub fn check_media_type(media_type: &str) -> Result<(), BlobError> {
    let invalid = |reason| BlobError::InvalidMediaType {
        media_type: media_type.to_string(),
        reason,
    };
    let (base, params) = match media_type.split_once(';') {
        Some((b, p)) => (b, Some(p)),
        None => (media_type, None),
    };
    let (typ, rest) = consume_token(base.trim());
    if typ.is_empty() {
        return Err(invalid("no media type"));
    }
    if !rest.is_empty() {
        let Some(rest) = rest.strip_prefix('/') else {
            return Err(invalid("expected slash after first token"));
        };
        let (subtype, rest) = consume_token(rest);
        if subtype.is_empty() {
            return Err(invalid("expected token after slash"));
        }
        if !rest.is_empty() {
            return Err(invalid("unexpected content after media subtype"));
        }
    }
    if let Some(params) = params {
        for param in params.split(';') {
            let param = param.trim();
            if param.is_empty() {
                continue;
            }
            let valid = param.split_once('=').is_some_and(|(k, v)| {
                let (key, krest) = consume_token(k.trim());
                let v = v.trim();
                let quoted = v.len() >= 2 && v.starts_with('"') && v.ends_with('"');
                !key.is_empty()
                    && krest.is_empty()
                    && (quoted || (!v.is_empty() && consume_token(v).1.is_empty()))
            });
            if !valid {
                return Err(invalid("invalid media parameter"));
            }
        }
    }
    Ok(())
}

/// Split `s` after its leading RFC 2045 token.
fn consume_token(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !c.is_ascii() || c <= ' ' || c == '\x7f' || "()<>@,;:\\\"/[]?=".contains(c))
        .unwrap_or(s.len());
    s.split_at(end)
}

/// Sign the blob read from `blob` as `media_type`: the payload describes it with the hash
/// of the key's signature algorithm, plus `opts.user_metadata` as annotations. Returns the
/// envelope bytes.
pub fn sign<R: Read>(
    blob: R,
    media_type: &str,
    signer: &dyn EnvelopeSigner,
    opts: &SignOptions,
) -> Result<Vec<u8>, BlobError> {
    signer::check_expiry(opts.expiry)?;
    if media_type.is_empty() {
        return Err(BlobError::EmptyMediaType);
    }
    check_media_type(media_type)?;
    let algorithm = signer.signature_algorithm()?.hash();
    let desc = describe(blob, media_type, algorithm).map_err(BlobError::Read)?;
    let target = signer::payload_target(&desc, &opts.user_metadata)?;
    let (envelope, _) = signer::sign_envelope(&target, signer, opts)?;
    Ok(envelope)
}

/// `<dir>/<blob file name>.<format>.sig`, as notation's `signatureFilepath` (Go's
/// `filepath.Join` drops a leading `./`).
pub fn signature_path(dir: &Path, blob_path: &Path, format: Format) -> PathBuf {
    let name = blob_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| blob_path.to_string_lossy().into_owned());
    let file = format!("{name}.{}.sig", format.name());
    if dir.as_os_str().is_empty() || dir == Path::new(".") {
        PathBuf::from(file)
    } else {
        dir.join(file)
    }
}

/// The envelope format `blob verify` reads from a signature file name: it must end in
/// `.sig` (any case) and the part before it names the format (`x.jws.sig`).
pub fn format_for_verify(signature_path: &Path) -> Result<Format, BlobError> {
    let name = file_name(signature_path);
    let is_sig = name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("sig"));
    if !is_sig {
        return Err(BlobError::NotSig(name));
    }
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() < 3 {
        return Err(BlobError::NoFormat(name));
    }
    format_named(parts[parts.len() - 2])
}

/// The envelope format `blob inspect` reads from a signature file name (exactly `sig`
/// last, at least three dot-separated parts).
pub fn format_for_inspect(signature_path: &Path) -> Result<Format, BlobError> {
    let name = file_name(signature_path);
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() < 3 || parts[parts.len() - 1] != "sig" {
        return Err(BlobError::InvalidFileName(name));
    }
    format_named(parts[parts.len() - 2])
}

fn format_named(part: &str) -> Result<Format, BlobError> {
    let lower = part.to_lowercase();
    Format::from_name(&lower).ok_or(BlobError::UnsupportedFormat(lower))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_as_go() {
        for ok in [
            "application/octet-stream",
            "text/plain; charset=utf-8",
            "text",
            "a/b;x=\"y z\"",
        ] {
            check_media_type(ok).unwrap();
        }
        for (bad, reason) in [
            ("", "no media type"),
            ("/x", "no media type"),
            ("a:b", "expected slash after first token"),
            ("a/", "expected token after slash"),
            ("a/b c", "unexpected content after media subtype"),
            ("a/b; x", "invalid media parameter"),
        ] {
            let e = check_media_type(bad).unwrap_err().to_string();
            assert_eq!(
                e,
                format!("invalid content media-type '{bad}': mime: {reason}")
            );
        }
    }

    #[test]
    fn signature_file_names() {
        assert_eq!(
            signature_path(Path::new("."), Path::new("/a/b/file.tar.gz"), Format::Jws),
            PathBuf::from("file.tar.gz.jws.sig")
        );
        assert_eq!(
            signature_path(Path::new("sigs"), Path::new("f"), Format::Cose),
            PathBuf::from("sigs/f.cose.sig")
        );
        assert_eq!(
            format_for_verify(Path::new("/x/f.bin.COSE.SIG")).unwrap(),
            Format::Cose
        );
        assert_eq!(
            format_for_verify(Path::new("f.jws"))
                .unwrap_err()
                .to_string(),
            "invalid signature filename f.jws. The file extension must be .sig"
        );
        assert_eq!(
            format_for_verify(Path::new("f.sig")).unwrap_err().to_string(),
            "invalid signature filename f.sig. A valid signature file name must contain signature format and .sig file extension"
        );
        assert!(format_for_verify(Path::new("f.invalid.sig"))
            .unwrap_err()
            .to_string()
            .starts_with("signature format \"invalid\" not supported"));
        assert_eq!(
            format_for_inspect(Path::new("f.jws.SIG"))
                .unwrap_err()
                .to_string(),
            "invalid signature filename: f.jws.SIG"
        );
        assert_eq!(
            format_for_inspect(Path::new("d/f.jws.sig")).unwrap(),
            Format::Jws
        );
    }
}
