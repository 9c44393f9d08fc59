//! What a Notary Project signature is in a store, in one place: which manifests are
//! signatures, how one is read (manifest, then its single envelope blob, each checked), how
//! one is built and stored. [`Target`] is implemented once, for every [`ContentStore`]; the
//! stores differ only in how they list referrers and index what is pushed.

use super::{
    ContentStore, NewBlob, Pushed, Result, SignaturePages, TargetError, MAX_MANIFEST_BYTES,
    MAX_SIGNATURE_BLOB_BYTES,
};
use crate::oci::{
    self, Descriptor, GraphNode, Manifest, ARTIFACT_TYPE_NOTATION, MEDIA_TYPE_ARTIFACT_MANIFEST,
    MEDIA_TYPE_EMPTY_JSON, MEDIA_TYPE_IMAGE_MANIFEST,
};
use async_trait::async_trait;
use std::collections::BTreeMap;

/// Where signatures live, as the signer and verifier see it: resolve a reference
/// ([`ContentStore::resolve`]), list, fetch and push signatures.
#[async_trait]
pub trait Target: ContentStore {
    /// The signature manifests whose `subject` is `subject`, page by page as the store
    /// serves them, for callers that may stop early.
    fn signature_pages<'a>(&'a self, subject: &'a Descriptor) -> Box<dyn SignaturePages + 'a>;

    /// Every signature manifest of `subject`, in the order the store reports them.
    async fn signatures(&self, subject: &Descriptor) -> Result<Vec<Descriptor>>;

    /// Read the signature manifest `manifest` (one listed by
    /// [`Target::signature_pages`]) and its single envelope blob, with notation-go's limits
    /// and messages.
    async fn fetch_signature(&self, manifest: &Descriptor) -> Result<FetchedSignature>;

    /// Store the envelope, the `{}` config (if absent) and the signature manifest, in that
    /// order (the caller commits).
    async fn push_signature(&self, signature: &NewSignature) -> Result<Pushed>;
}

#[async_trait]
impl<T: ContentStore + ?Sized> Target for T {
    fn signature_pages<'a>(&'a self, subject: &'a Descriptor) -> Box<dyn SignaturePages + 'a> {
        self.referrer_pages(subject, Some(ARTIFACT_TYPE_NOTATION))
    }

    async fn signatures(&self, subject: &Descriptor) -> Result<Vec<Descriptor>> {
        self.referrers(subject, Some(ARTIFACT_TYPE_NOTATION)).await
    }

    async fn fetch_signature(&self, manifest: &Descriptor) -> Result<FetchedSignature> {
        let blob = envelope_descriptor(self, manifest).await?;
        if blob.size > MAX_SIGNATURE_BLOB_BYTES as i64 {
            return Err(TargetError::TooLarge {
                what: "signature blob",
                size: blob.size as u64,
            });
        }
        let envelope = self.fetch(&blob, MAX_SIGNATURE_BLOB_BYTES).await?;
        Ok(FetchedSignature { blob, envelope })
    }

    async fn push_signature(&self, signature: &NewSignature) -> Result<Pushed> {
        let config = notation_config();
        let blobs = [
            NewBlob {
                desc: &signature.envelope,
                data: &signature.envelope_bytes,
                if_absent: false,
            },
            NewBlob {
                desc: &config,
                data: oci::EMPTY_JSON,
                if_absent: true,
            },
        ];
        self.push_manifest_with_blobs(&blobs, &signature.manifest, &signature.manifest_bytes, None)
            .await
    }
}

/// A signature envelope read from a store.
#[derive(Debug, Clone)]
pub struct FetchedSignature {
    /// The envelope blob's descriptor; its media type selects the envelope parser.
    pub blob: Descriptor,
    /// The envelope, checked against `blob`.
    pub envelope: Vec<u8>,
}

/// The envelope blob a signature manifest names: notation-go's `getSignatureBlobDesc`.
/// Only the two manifest media types are read (anything else is refused before a request);
/// an image manifest names it in `layers`, an artifact manifest in `blobs`.
async fn envelope_descriptor<T: ContentStore + ?Sized>(
    store: &T,
    manifest: &Descriptor,
) -> Result<Descriptor> {
    if manifest.media_type != MEDIA_TYPE_ARTIFACT_MANIFEST
        && manifest.media_type != MEDIA_TYPE_IMAGE_MANIFEST
    {
        return Err(TargetError::InvalidArgument(format!(
            "sigManifestDesc.MediaType requires {MEDIA_TYPE_ARTIFACT_MANIFEST:?} or {MEDIA_TYPE_IMAGE_MANIFEST:?}, got {:?}",
            manifest.media_type
        )));
    }
    if manifest.size > MAX_MANIFEST_BYTES as i64 {
        return Err(TargetError::TooLarge {
            what: "signature manifest",
            size: manifest.size as u64,
        });
    }
    let bytes = store.fetch(manifest, MAX_MANIFEST_BYTES).await?;
    let node: GraphNode =
        serde_json::from_slice(&bytes).map_err(|e| TargetError::InvalidManifest {
            digest: manifest.digest.clone(),
            reason: e.to_string(),
        })?;
    let blobs = if manifest.media_type == MEDIA_TYPE_IMAGE_MANIFEST {
        node.layers
    } else {
        node.blobs
    };
    match <[Descriptor; 1]>::try_from(blobs) {
        Ok([blob]) => Ok(blob),
        // The typo is upstream's, kept for scripts that match it.
        Err(blobs) => Err(TargetError::InvalidArgument(format!(
            "signature manifest requries exactly one signature envelope blob, got {}",
            blobs.len()
        ))),
    }
}

/// Whether a manifest is a Notary Project signature: an image manifest with the notary
/// config media type and no artifact type (what notation v1 writes), an image manifest with
/// the notary artifact type and the empty config (notation-go main), or a legacy artifact
/// manifest with the notary artifact type.
pub(crate) fn is_signature_manifest(media_type: &str, node: &GraphNode) -> bool {
    let config = node.config.as_ref().map(|c| c.media_type.as_str());
    match media_type {
        MEDIA_TYPE_IMAGE_MANIFEST => match node.artifact_type.as_deref() {
            None | Some("") => config == Some(ARTIFACT_TYPE_NOTATION),
            Some(ARTIFACT_TYPE_NOTATION) => config == Some(MEDIA_TYPE_EMPTY_JSON),
            Some(_) => false,
        },
        MEDIA_TYPE_ARTIFACT_MANIFEST => {
            node.artifact_type.as_deref() == Some(ARTIFACT_TYPE_NOTATION)
        }
        _ => false,
    }
}

/// The `{}` config of the signature manifests notation v1.3.2 writes.
fn notation_config() -> Descriptor {
    Descriptor::for_content(ARTIFACT_TYPE_NOTATION, oci::EMPTY_JSON)
}

/// A signature ready to be stored: the envelope and the manifest that makes it a referrer.
#[derive(Clone, Debug)]
pub struct NewSignature {
    /// The envelope blob.
    pub envelope: Descriptor,
    /// Its bytes.
    pub envelope_bytes: Vec<u8>,
    /// The signature manifest, with its annotations.
    pub manifest: Descriptor,
    /// Its bytes.
    pub manifest_bytes: Vec<u8>,
}

impl NewSignature {
    /// The signature manifest notation v1.3.2 writes (the `config.mediaType` form) for an
    /// envelope of `envelope_media_type` signing `subject`, with `annotations`.
    pub fn new(
        envelope_media_type: &str,
        envelope_bytes: Vec<u8>,
        subject: &Descriptor,
        annotations: BTreeMap<String, String>,
    ) -> NewSignature {
        let envelope = Descriptor::for_content(envelope_media_type, &envelope_bytes);
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(MEDIA_TYPE_IMAGE_MANIFEST.to_string()),
            artifact_type: None,
            config: notation_config(),
            layers: vec![envelope.clone()],
            subject: Some(subject.plain()),
            annotations: Some(annotations),
        };
        let mut signature = NewSignature {
            envelope,
            envelope_bytes,
            manifest: Descriptor::default(),
            manifest_bytes: Vec::new(),
        };
        signature.set_manifest(&manifest);
        signature
    }

    /// Add manifest annotations (from an ENVELOPE plugin); those already there win.
    pub(crate) fn with_extra_annotations(
        mut self,
        extra: &BTreeMap<String, String>,
    ) -> NewSignature {
        if extra.is_empty() {
            return self;
        }
        let mut manifest: Manifest =
            serde_json::from_slice(&self.manifest_bytes).expect("we serialized this manifest");
        let mut annotations = extra.clone();
        annotations.extend(manifest.annotations.take().unwrap_or_default());
        manifest.annotations = Some(annotations);
        self.set_manifest(&manifest);
        self
    }

    fn set_manifest(&mut self, manifest: &Manifest) {
        let bytes = crate::go::json::to_vec(manifest).expect("manifests always serialize");
        self.manifest = Descriptor::for_content(MEDIA_TYPE_IMAGE_MANIFEST, &bytes);
        self.manifest.annotations = manifest.annotations.clone();
        self.manifest_bytes = bytes;
    }
}

#[cfg(test)]
mod tests;
