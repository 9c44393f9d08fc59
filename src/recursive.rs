//! Multi-platform images: walking an image index to the manifests it reaches, and signing or
//! verifying each of them (`--recursive`, `--platform`).
//!
//! Everything goes through the [`Target`] trait, so layouts (directory and tar) and
//! registries behave alike. The walk is depth first in index order, the index before its
//! children, so every command lists the same digests in the same order.

use crate::oci::{self, Descriptor, GraphNode, Platform};
use crate::signer::{self, EnvelopeSigner, SignError, SignOptions, SignedSignature};
use crate::target::{Result as TargetResult, Target, TargetError};
use crate::verifier::{VerificationOutcome, Verifier, VerifyError, VerifyOptions};
use std::collections::HashSet;
use std::fmt;

/// How deep indexes may nest below the root (the root is level 0).
pub const MAX_DEPTH: usize = 8;

/// Why an index could not be walked. Each names the digest concerned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalkError {
    /// A `--platform` value that is not `os/arch[/variant]`.
    #[error("invalid platform {0:?}: expected os/arch or os/arch/variant")]
    InvalidPlatform(String),
    /// An index lists one of the indexes it is nested in.
    #[error("index {index} lists {digest}, which contains it: the index graph has a cycle")]
    Cycle {
        /// The index that lists it.
        index: String,
        /// The index listed again.
        digest: String,
    },
    /// Indexes nest deeper than [`MAX_DEPTH`].
    #[error("index {root} nests deeper than {MAX_DEPTH} levels: {index} at level {MAX_DEPTH} lists {digest}")]
    TooDeep {
        /// The index walked from.
        root: String,
        /// The index at the deepest level.
        index: String,
        /// What it lists, one level too deep.
        digest: String,
    },
    /// A `--platform` that no manifest of the index has.
    #[error("platform {platform} not found in index {index} (it has: {available})")]
    UnknownPlatform {
        /// The platform asked for.
        platform: String,
        /// The index searched.
        index: String,
        /// The platforms it has, comma-separated.
        available: String,
    },
    /// A nested index could not be read (missing, altered, too large).
    #[error("failed to read index {digest}: {source}")]
    Fetch {
        /// The index.
        digest: String,
        /// Why it could not be read.
        #[source]
        source: TargetError,
    },
    /// A nested index is not valid JSON.
    #[error("invalid index {digest}: {reason}")]
    InvalidIndex {
        /// The index.
        digest: String,
        /// The JSON error.
        reason: String,
    },
}

/// A `--platform` value: `os/arch[/variant]`. Without a variant it matches every variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformSpec {
    /// The operating system, e.g. `linux`.
    pub os: String,
    /// The CPU architecture, e.g. `arm64`.
    pub architecture: String,
    /// The variant, e.g. `v8`; `None` matches every variant.
    pub variant: Option<String>,
}

impl PlatformSpec {
    /// Parse `os/arch` or `os/arch/variant` (no empty parts).
    pub fn parse(raw: &str) -> Result<PlatformSpec, WalkError> {
        let parts: Vec<&str> = raw.split('/').collect();
        if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
            return Err(WalkError::InvalidPlatform(raw.to_string()));
        }
        Ok(PlatformSpec {
            os: parts[0].to_string(),
            architecture: parts[1].to_string(),
            variant: parts.get(2).map(|v| v.to_string()),
        })
    }

    /// Whether an index entry's platform is this one.
    pub fn matches(&self, platform: &Platform) -> bool {
        platform.os == self.os
            && platform.architecture == self.architecture
            && self
                .variant
                .as_ref()
                .is_none_or(|v| platform.variant.as_ref() == Some(v))
    }
}

impl fmt::Display for PlatformSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// `os/arch[/variant]` of an index entry's platform.
pub fn platform_text(p: &Platform) -> String {
    match &p.variant {
        Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
        None => format!("{}/{}", p.os, p.architecture),
    }
}

/// One manifest (or index) reached from the root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Its plain descriptor (media type, digest, size), as signatures name their subject.
    pub descriptor: Descriptor,
    /// The platform its parent index gives it, if any.
    pub platform: Option<Platform>,
    /// 0 for the root, 1 for the root's children, …
    pub depth: usize,
    /// Position of its parent index in the walk's result; `None` for the root.
    pub parent: Option<usize>,
}

impl Node {
    /// Whether this is an index (OCI image index or Docker manifest list).
    pub(crate) fn is_index(&self) -> bool {
        is_index(&self.descriptor.media_type)
    }
}

fn is_index(media_type: &str) -> bool {
    media_type == oci::MEDIA_TYPE_IMAGE_INDEX || media_type == oci::MEDIA_TYPE_DOCKER_MANIFEST_LIST
}

/// Every manifest reachable from `root` through index `manifests` lists: `root` first, then
/// each child in index order, depth first. A manifest listed twice is visited once.
/// With `platforms`, only manifests of those platforms are kept, with the indexes that lead
/// to them (the root always); a platform that matches nothing is an error.
pub async fn walk(
    target: &dyn Target,
    root: &Descriptor,
    platforms: &[PlatformSpec],
) -> Result<Vec<Node>, WalkError> {
    let all = walk_all(target, root).await?;
    if platforms.is_empty() {
        return Ok(all);
    }
    select_platforms(all, platforms, &root.digest)
}

/// One step of the walk: a descriptor and the indexes above it (root first).
struct Pending {
    descriptor: Descriptor,
    platform: Option<Platform>,
    ancestors: Vec<(usize, String)>,
}

async fn walk_all(target: &dyn Target, root: &Descriptor) -> Result<Vec<Node>, WalkError> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut seen = HashSet::new();
    let mut stack = vec![Pending {
        descriptor: root.plain(),
        platform: None,
        ancestors: Vec::new(),
    }];
    while let Some(step) = stack.pop() {
        let digest = step.descriptor.digest.clone();
        if let Some((_, parent)) = step.ancestors.last() {
            if step.ancestors.iter().any(|(_, d)| *d == digest) {
                return Err(WalkError::Cycle {
                    index: parent.clone(),
                    digest,
                });
            }
        }
        if !seen.insert(digest.clone()) {
            continue;
        }
        let depth = step.ancestors.len();
        if depth > MAX_DEPTH {
            return Err(WalkError::TooDeep {
                root: root.digest.clone(),
                index: step
                    .ancestors
                    .last()
                    .map(|(_, d)| d.clone())
                    .unwrap_or_default(),
                digest,
            });
        }
        let position = nodes.len();
        nodes.push(Node {
            descriptor: step.descriptor.clone(),
            platform: step.platform,
            depth,
            parent: step.ancestors.last().map(|(i, _)| *i),
        });
        if !is_index(&step.descriptor.media_type) {
            continue;
        }
        let children = read_index(target, &step.descriptor).await?;
        let mut ancestors = step.ancestors;
        ancestors.push((position, digest));
        for child in children.into_iter().rev() {
            stack.push(Pending {
                platform: child.platform.clone(),
                descriptor: child.plain(),
                ancestors: ancestors.clone(),
            });
        }
    }
    Ok(nodes)
}

/// The manifests an index lists (entries of other media types, e.g. layers, are skipped).
async fn read_index(target: &dyn Target, desc: &Descriptor) -> Result<Vec<Descriptor>, WalkError> {
    let bytes = target
        .fetch(desc, crate::target::MAX_MANIFEST_BYTES)
        .await
        .map_err(|source| WalkError::Fetch {
            digest: desc.digest.clone(),
            source,
        })?;
    let node: GraphNode = serde_json::from_slice(&bytes).map_err(|e| WalkError::InvalidIndex {
        digest: desc.digest.clone(),
        reason: e.to_string(),
    })?;
    Ok(node
        .manifests
        .into_iter()
        .filter(|m| oci::is_manifest_media_type(&m.media_type))
        .collect())
}

/// Keep the root, the manifests of `platforms`, and the indexes on the way to them.
fn select_platforms(
    nodes: Vec<Node>,
    platforms: &[PlatformSpec],
    root: &str,
) -> Result<Vec<Node>, WalkError> {
    let mut keep = vec![false; nodes.len()];
    let mut matched = vec![false; platforms.len()];
    for (i, node) in nodes.iter().enumerate() {
        let Some(platform) = node.platform.as_ref().filter(|_| !node.is_index()) else {
            continue;
        };
        for (j, spec) in platforms.iter().enumerate() {
            if spec.matches(platform) {
                matched[j] = true;
                keep[i] = true;
            }
        }
    }
    if let Some(j) = matched.iter().position(|m| !m) {
        let mut available: Vec<String> = Vec::new();
        for p in nodes
            .iter()
            .filter(|n| !n.is_index())
            .filter_map(|n| n.platform.as_ref())
        {
            let text = platform_text(p);
            if !available.contains(&text) {
                available.push(text);
            }
        }
        return Err(WalkError::UnknownPlatform {
            platform: platforms[j].to_string(),
            index: root.to_string(),
            available: if available.is_empty() {
                "no platforms".into()
            } else {
                available.join(", ")
            },
        });
    }
    keep[0] = true;
    for i in (0..nodes.len()).rev() {
        if keep[i] {
            if let Some(p) = nodes[i].parent {
                keep[p] = true;
            }
        }
    }
    // Renumber the parents for the nodes that stay.
    let mut new_position = vec![None; nodes.len()];
    let mut kept = Vec::new();
    for (i, mut node) in nodes.into_iter().enumerate() {
        if !keep[i] {
            continue;
        }
        node.parent = node.parent.and_then(|p| new_position[p]);
        new_position[i] = Some(kept.len());
        kept.push(node);
    }
    Ok(kept)
}

/// What happened to one node when signing a tree.
#[derive(Debug)]
pub struct SignedNode {
    /// The node signed.
    pub node: Node,
    /// Its stored signature.
    pub signature: SignedSignature,
}

/// Signing a tree stopped at `failed`; `signed` were stored before (none for a tar layout,
/// nor when signing itself failed: every envelope is made before any is stored).
#[derive(Debug, thiserror::Error)]
#[error("failed to sign {failed}: {source}")]
pub struct TreeSignError {
    /// The nodes whose signatures were stored before the failure.
    pub signed: Vec<SignedNode>,
    /// The digest of the node that failed.
    pub failed: String,
    /// Why.
    #[source]
    pub source: SignError,
}

/// Options of [`sign`] beyond those of a single signature.
#[derive(Clone, Debug, Default)]
pub struct TreeSignOptions {
    /// List each signed child manifest in the layout's `index.json` (untagged), as oras-go
    /// does for the manifests it copies into a layout. Go notation resolves a digest that is
    /// not in `index.json` as `application/octet-stream`, so without the entry it would
    /// find no signature for a platform manifest of a layout. Only for layouts.
    pub index_children: bool,
}

/// Sign every node, each signature a referrer of its own node. All envelopes are made
/// first, then stored in order; the target is committed once at the end, so a tar layout
/// is rewritten once with every signature, or not at all.
pub async fn sign(
    target: &dyn Target,
    nodes: &[Node],
    signer: &dyn EnvelopeSigner,
    opts: &SignOptions,
    tree_opts: &TreeSignOptions,
) -> Result<Vec<SignedNode>, TreeSignError> {
    let fail = |signed, node: &Node, source| TreeSignError {
        signed,
        failed: node.descriptor.digest.clone(),
        source,
    };
    let mut prepared = Vec::with_capacity(nodes.len());
    for node in nodes {
        match signer::prepare(target, &node.descriptor, signer, opts).await {
            Ok(p) => prepared.push(p),
            Err(e) => return Err(fail(Vec::new(), node, e)),
        }
    }
    let mut signed = Vec::with_capacity(nodes.len());
    for (node, p) in nodes.iter().zip(&prepared) {
        if tree_opts.index_children && node.parent.is_some() {
            if let Err(e) = list_in_index(target, &node.descriptor).await {
                return Err(fail(signed, node, SignError::Push(e)));
            }
        }
        match signer::store(target, p).await {
            Ok(signature) => signed.push(SignedNode {
                node: node.clone(),
                signature,
            }),
            Err(e) => return Err(fail(signed, node, e)),
        }
    }
    if let Err(e) = target.commit().await {
        let last = nodes.last().expect("a tree has a root");
        // Nothing of a tar layout was written.
        return Err(fail(Vec::new(), last, SignError::Push(e)));
    }
    Ok(signed)
}

/// Add an untagged `index.json` entry for a manifest already in the layout.
async fn list_in_index(target: &dyn Target, desc: &Descriptor) -> TargetResult<()> {
    let bytes = target
        .fetch(desc, crate::target::MAX_MANIFEST_BYTES)
        .await?;
    // No annotations: the entry is the plain descriptor, not the manifest's annotations.
    let entry = Descriptor {
        annotations: Some(Default::default()),
        ..desc.plain()
    };
    target.push_manifest(&entry, &bytes, None).await.map(drop)
}

/// The verification of one node.
#[derive(Debug)]
pub struct NodeVerification {
    /// The node verified.
    pub node: Node,
    /// The reference the trust policy was applied to (`<scope>@<digest>`).
    pub policy_ref: String,
    /// The outcome, as [`Verifier::verify`] returns it.
    pub result: Result<VerificationOutcome, VerifyError>,
}

impl NodeVerification {
    /// Whether this node passed (verified, or skipped by the policy).
    pub fn passed(&self) -> bool {
        self.result.is_ok()
    }
}

/// Verify every node on its own, as `verify` verifies one artifact: each must carry a
/// signature that passes the trust policy applying to `policy_ref(digest)`.
pub async fn verify(
    verifier: &Verifier<'_>,
    target: &dyn Target,
    nodes: &[Node],
    policy_ref: impl Fn(&str) -> String,
    opts: &VerifyOptions,
) -> Vec<NodeVerification> {
    let mut out = Vec::with_capacity(nodes.len());
    for node in nodes {
        let reference = policy_ref(&node.descriptor.digest);
        let result = verifier
            .verify(target, &node.descriptor, &reference, opts)
            .await;
        out.push(NodeVerification {
            node: node.clone(),
            policy_ref: reference,
            result,
        });
    }
    out
}

#[cfg(test)]
mod tests;
