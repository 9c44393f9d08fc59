//! OCI data model: media types, digests, descriptors, manifests and indexes.
//!
//! The structs mirror the Go image-spec types field for field, in the same order and with
//! the same `omitempty` rules, so that `gojson::to_vec` of them is byte-identical to what
//! notation (through oras-go) writes.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// OCI image manifest.
pub const MEDIA_TYPE_IMAGE_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const MEDIA_TYPE_IMAGE_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Withdrawn OCI artifact manifest (read-only support).
pub(crate) const MEDIA_TYPE_ARTIFACT_MANIFEST: &str =
    "application/vnd.oci.artifact.manifest.v1+json";
/// Docker image manifest v2 schema 2.
pub(crate) const MEDIA_TYPE_DOCKER_MANIFEST: &str =
    "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list.
pub(crate) const MEDIA_TYPE_DOCKER_MANIFEST_LIST: &str =
    "application/vnd.docker.distribution.manifest.list.v2+json";
/// Empty JSON config (`{}`) of artifact-type manifests.
pub(crate) const MEDIA_TYPE_EMPTY_JSON: &str = "application/vnd.oci.empty.v1+json";
/// Artifact type (and legacy config media type) of Notary Project signatures.
pub const ARTIFACT_TYPE_NOTATION: &str = "application/vnd.cncf.notary.signature";

/// The tag annotation of `index.json` entries in an OCI layout.
pub(crate) const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Creation time annotation that notation writes on signature manifests.
pub const ANNOTATION_CREATED: &str = "org.opencontainers.image.created";
/// Certificate-chain thumbprints annotation of signature manifests.
pub(crate) const ANNOTATION_THUMBPRINT: &str = "io.cncf.notary.x509chain.thumbprint#S256";

/// The 2-byte `{}` config blob of signature manifests.
pub const EMPTY_JSON: &[u8] = b"{}";

/// Every manifest media type notation can resolve, in the order of its `Accept` header.
pub(crate) const MANIFEST_MEDIA_TYPES: &[&str] = &[
    MEDIA_TYPE_DOCKER_MANIFEST,
    MEDIA_TYPE_DOCKER_MANIFEST_LIST,
    MEDIA_TYPE_IMAGE_MANIFEST,
    MEDIA_TYPE_IMAGE_INDEX,
    MEDIA_TYPE_ARTIFACT_MANIFEST,
];

/// Whether `media_type` names a manifest or index (as opposed to a plain blob).
pub(crate) fn is_manifest_media_type(media_type: &str) -> bool {
    MANIFEST_MEDIA_TYPES.contains(&media_type)
}

/// A content digest `<algorithm>:<hex>`, validated.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: DigestAlgorithm,
    hex: String,
}

/// Hash algorithms allowed in OCI digests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DigestAlgorithm {
    /// `sha256`.
    Sha256,
    /// `sha384`.
    Sha384,
    /// `sha512`.
    Sha512,
}

impl DigestAlgorithm {
    /// Name as used in digest strings.
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "sha256",
            DigestAlgorithm::Sha384 => "sha384",
            DigestAlgorithm::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha256 => 64,
            DigestAlgorithm::Sha384 => 96,
            DigestAlgorithm::Sha512 => 128,
        }
    }

    /// A streaming hasher for this algorithm.
    pub fn hasher(self) -> Hasher {
        let algorithm = match self {
            DigestAlgorithm::Sha256 => &aws_lc_rs::digest::SHA256,
            DigestAlgorithm::Sha384 => &aws_lc_rs::digest::SHA384,
            DigestAlgorithm::Sha512 => &aws_lc_rs::digest::SHA512,
        };
        Hasher {
            algorithm: self,
            context: aws_lc_rs::digest::Context::new(algorithm),
        }
    }
}

/// Incremental digest computation, for checking content while it streams. AWS-LC's
/// assembly (SHA-NI, AVX) does the hashing: a content digest is checked on every byte
/// notation reads, and the portable code costs several times as much.
#[derive(Clone)]
pub struct Hasher {
    algorithm: DigestAlgorithm,
    context: aws_lc_rs::digest::Context,
}

impl Hasher {
    /// Feed bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.context.update(data);
    }

    /// The digest of everything fed so far.
    pub fn finish(self) -> Digest {
        Digest {
            algorithm: self.algorithm,
            hex: hex::encode(self.context.finish()),
        }
    }
}

/// Why a digest string was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DigestError {
    #[error("invalid checksum digest format")]
    /// Not `algorithm:hex`.
    Format,
    #[error("unsupported digest algorithm")]
    /// An algorithm other than sha256, sha384 or sha512.
    UnsupportedAlgorithm,
    #[error("invalid checksum digest length")]
    /// The hex part has the wrong length for the algorithm.
    Length,
}

impl Digest {
    /// Parse `<alg>:<hex>`; only sha256/384/512 with lowercase hex of the right length.
    pub fn parse(s: &str) -> Result<Digest, DigestError> {
        let (alg, hex) = s.split_once(':').ok_or(DigestError::Format)?;
        if alg.is_empty() || hex.is_empty() {
            return Err(DigestError::Format);
        }
        let algorithm = match alg {
            "sha256" => DigestAlgorithm::Sha256,
            "sha384" => DigestAlgorithm::Sha384,
            "sha512" => DigestAlgorithm::Sha512,
            _ => return Err(DigestError::UnsupportedAlgorithm),
        };
        if !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(DigestError::Format);
        }
        if hex.len() != algorithm.hex_len() {
            return Err(DigestError::Length);
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_string(),
        })
    }

    /// SHA-256 digest of `data`.
    pub fn sha256(data: &[u8]) -> Digest {
        Digest::compute(DigestAlgorithm::Sha256, data)
    }

    /// Digest of `data` with the given algorithm.
    pub fn compute(algorithm: DigestAlgorithm, data: &[u8]) -> Digest {
        let mut h = algorithm.hasher();
        h.update(data);
        h.finish()
    }

    /// The algorithm.
    pub fn algorithm(&self) -> DigestAlgorithm {
        self.algorithm
    }

    /// The lowercase hex part.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// Check `data` against this digest.
    pub fn matches(&self, data: &[u8]) -> bool {
        Digest::compute(self.algorithm, data) == *self
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex)
    }
}

impl std::str::FromStr for Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Digest::parse(s)
    }
}

/// Platform of an index entry (Go image-spec field order).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    /// The CPU architecture (`amd64`, `arm64`, …).
    pub architecture: String,
    /// The operating system (`linux`, `windows`, …).
    pub os: String,
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    /// `os.version`.
    pub os_version: Option<String>,
    #[serde(
        rename = "os.features",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    /// `os.features`.
    pub os_features: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The CPU variant (`v8`, …).
    pub variant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `features`.
    pub features: Option<Vec<String>>,
}

/// An OCI content descriptor (Go image-spec `Descriptor`, same field order).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct Descriptor {
    #[serde(rename = "mediaType", default)]
    /// `mediaType`.
    pub media_type: String,
    #[serde(default)]
    /// `digest`.
    pub digest: String,
    #[serde(default)]
    /// `size` in bytes.
    pub size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `urls`.
    pub urls: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `annotations`.
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `data`: the content, base64.
    pub data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `platform`, in an index.
    pub platform: Option<Platform>,
    #[serde(
        rename = "artifactType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    /// `artifactType`.
    pub artifact_type: Option<String>,
}

impl Descriptor {
    /// A descriptor for `data` (sha256).
    pub fn for_content(media_type: &str, data: &[u8]) -> Descriptor {
        Descriptor {
            media_type: media_type.to_string(),
            digest: Digest::sha256(data).to_string(),
            size: data.len() as i64,
            ..Default::default()
        }
    }

    /// Only `mediaType`, `digest` and `size`: what notation signs and compares.
    pub fn plain(&self) -> Descriptor {
        Descriptor {
            media_type: self.media_type.clone(),
            digest: self.digest.clone(),
            size: self.size,
            ..Default::default()
        }
    }

    /// Equality on (mediaType, digest, size), as oras `content.Equal`.
    pub(crate) fn same_content(&self, other: &Descriptor) -> bool {
        self.media_type == other.media_type
            && self.digest == other.digest
            && self.size == other.size
    }

    /// The parsed digest.
    pub(crate) fn parsed_digest(&self) -> Result<Digest, DigestError> {
        Digest::parse(&self.digest)
    }

    /// An annotation value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.as_ref()?.get(key).map(String::as_str)
    }

    /// The descriptor as Go's `%+v` prints image-spec's `Descriptor`, which notation's
    /// `-v` log lines embed: `{MediaType:… Digest:… Size:… URLs:[] Annotations:map[] Data:[]
    /// Platform:<nil> ArtifactType:}`. (A platform is shown by value; Go would print the
    /// pointer's address.)
    pub fn go_debug(&self) -> String {
        use crate::go::fmt::{map_v, slice_v};
        let data = match &self.data {
            None => "[]".to_string(),
            Some(b64) => {
                use base64::Engine as _;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap_or_default();
                let items: Vec<String> = bytes.iter().map(u8::to_string).collect();
                slice_v(&items)
            }
        };
        let platform = match &self.platform {
            None => "<nil>".to_string(),
            Some(p) => format!(
                "&{{Architecture:{} OS:{} OSVersion:{} OSFeatures:{} Variant:{}}}",
                p.architecture,
                p.os,
                p.os_version.as_deref().unwrap_or(""),
                slice_v(p.os_features.as_deref().unwrap_or(&[])),
                p.variant.as_deref().unwrap_or("")
            ),
        };
        format!(
            "{{MediaType:{} Digest:{} Size:{} URLs:{} Annotations:{} Data:{data} Platform:{platform} ArtifactType:{}}}",
            self.media_type,
            self.digest,
            self.size,
            slice_v(self.urls.as_deref().unwrap_or(&[])),
            map_v(
                self.annotations
                    .iter()
                    .flatten()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
            ),
            self.artifact_type.as_deref().unwrap_or("")
        )
    }
}

/// An OCI image manifest (Go image-spec `Manifest`, same field order).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    #[serde(rename = "schemaVersion")]
    /// `schemaVersion` (2).
    pub schema_version: i32,
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    /// `mediaType`.
    pub media_type: Option<String>,
    #[serde(
        rename = "artifactType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    /// `artifactType`.
    pub artifact_type: Option<String>,
    #[serde(default)]
    /// `config`.
    pub config: Descriptor,
    #[serde(default)]
    /// `layers`.
    pub layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `subject`: the manifest this one refers to.
    pub subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `annotations`.
    pub annotations: Option<BTreeMap<String, String>>,
}

/// An OCI image index (Go image-spec `Index`, same field order).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Index {
    #[serde(rename = "schemaVersion")]
    /// `schemaVersion` (2).
    pub schema_version: i32,
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    /// `mediaType`.
    pub media_type: Option<String>,
    #[serde(
        rename = "artifactType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    /// `artifactType`.
    pub artifact_type: Option<String>,
    #[serde(default)]
    /// `manifests`.
    pub manifests: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `subject`: the manifest this one refers to.
    pub subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `annotations`.
    pub annotations: Option<BTreeMap<String, String>>,
}

/// The withdrawn OCI artifact manifest, read only to find legacy signatures.
#[derive(Deserialize, Clone, Debug)]
pub struct ArtifactManifest {
    #[serde(rename = "mediaType", default)]
    /// `mediaType`.
    pub media_type: String,
    #[serde(rename = "artifactType", default)]
    /// `artifactType`.
    pub artifact_type: String,
    #[serde(default)]
    /// `blobs`.
    pub blobs: Vec<Descriptor>,
    #[serde(default)]
    /// `subject`: the manifest this one refers to.
    pub subject: Option<Descriptor>,
    #[serde(default)]
    /// `annotations`.
    pub annotations: Option<BTreeMap<String, String>>,
}

/// Just enough of any manifest or index to walk the content graph: its media type,
/// children (config, layers, manifests, blobs) and subject.
#[derive(Deserialize, Clone, Debug, Default)]
pub struct GraphNode {
    #[serde(rename = "mediaType", default)]
    /// `mediaType`.
    pub media_type: Option<String>,
    #[serde(rename = "artifactType", default)]
    /// `artifactType`.
    pub artifact_type: Option<String>,
    #[serde(default)]
    /// `config` (image manifests).
    pub config: Option<Descriptor>,
    #[serde(default)]
    /// `layers` (image manifests).
    pub layers: Vec<Descriptor>,
    #[serde(default)]
    /// `manifests` (indexes).
    pub manifests: Vec<Descriptor>,
    #[serde(default)]
    /// `blobs` (artifact manifests).
    pub blobs: Vec<Descriptor>,
    #[serde(default)]
    /// `subject`.
    pub subject: Option<Descriptor>,
    #[serde(default)]
    /// `annotations`.
    pub annotations: Option<BTreeMap<String, String>>,
}

impl GraphNode {
    /// Every descriptor this node points to (not including `subject`).
    pub fn children(&self) -> impl Iterator<Item = &Descriptor> {
        self.config
            .iter()
            .chain(&self.layers)
            .chain(&self.manifests)
            .chain(&self.blobs)
    }

    /// The artifact type as the referrers API reports it: `artifactType`, else config media type.
    pub(crate) fn effective_artifact_type(&self) -> Option<&str> {
        self.artifact_type
            .as_deref()
            .or_else(|| self.config.as_ref().map(|c| c.media_type.as_str()))
    }
}

/// Hash `reader` to the end with `algorithm`, streaming, and describe it as `media_type`.
pub fn describe<R: std::io::Read>(
    mut reader: R,
    media_type: &str,
    algorithm: DigestAlgorithm,
) -> std::io::Result<Descriptor> {
    let mut hasher = algorithm.hasher();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size: i64 = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        size += n as i64;
    }
    Ok(Descriptor {
        media_type: media_type.to_string(),
        digest: hasher.finish().to_string(),
        size,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_with_each_hash() {
        let d = describe(&b"hello"[..], "text/plain", DigestAlgorithm::Sha256).unwrap();
        assert_eq!(
            d.digest,
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(d.size, 5);
        let d = describe(&b"hello"[..], "x/y", DigestAlgorithm::Sha384).unwrap();
        assert!(d.digest.starts_with("sha384:") && d.digest.len() == 7 + 96);
        let d = describe(&b""[..], "x/y", DigestAlgorithm::Sha512).unwrap();
        assert!(d.digest.starts_with("sha512:cf83e135") && d.size == 0);
    }

    #[test]
    fn digest_parse_and_display() {
        let d = Digest::sha256(b"{}");
        assert_eq!(
            d.to_string(),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert_eq!(Digest::parse(&d.to_string()).unwrap(), d);
        assert_eq!(Digest::parse("sha256:abc"), Err(DigestError::Length));
        assert_eq!(
            Digest::parse("md5:abc"),
            Err(DigestError::UnsupportedAlgorithm)
        );
        assert_eq!(Digest::parse("sha256"), Err(DigestError::Format));
        assert!(Digest::parse(&d.to_string().to_uppercase()).is_err());
    }

    #[test]
    fn signature_manifest_serializes_in_go_order() {
        let m = Manifest {
            schema_version: 2,
            media_type: Some(MEDIA_TYPE_IMAGE_MANIFEST.into()),
            artifact_type: None,
            config: Descriptor::for_content(ARTIFACT_TYPE_NOTATION, EMPTY_JSON),
            layers: vec![Descriptor::for_content("application/jose+json", b"x")],
            subject: Some(Descriptor::for_content(MEDIA_TYPE_IMAGE_MANIFEST, b"y")),
            annotations: Some(BTreeMap::from([(ANNOTATION_CREATED.into(), "t".into())])),
        };
        let s = String::from_utf8(crate::go::json::to_vec(&m).unwrap()).unwrap();
        assert!(s.starts_with(r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.cncf.notary.signature","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"#));
        assert!(s.ends_with(r#""annotations":{"org.opencontainers.image.created":"t"}}"#));
    }
}
