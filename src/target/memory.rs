//! A content store in memory, for unit tests of what is built on [`ContentStore`]: content
//! by digest, referrers by subject, every read recorded, and a warning to answer pushes with.

use super::{ContentStore, Indexing, Pushed, Result, TargetError, TargetWarning};
use crate::oci::{Descriptor, GraphNode};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Default)]
pub(crate) struct Memory {
    content: Mutex<BTreeMap<String, Vec<u8>>>,
    /// Manifests pushed, in order, with their subject's digest.
    manifests: Mutex<Vec<(Descriptor, Option<String>)>>,
    /// Every digest fetched, in order.
    pub(crate) fetched: Mutex<Vec<String>>,
    /// Answer every manifest push with this warning.
    warn_on_push: Option<TargetWarning>,
}

impl Memory {
    /// A store that answers every manifest push with `warning`.
    pub(crate) fn warning_on_push(warning: TargetWarning) -> Memory {
        Memory {
            warn_on_push: Some(warning),
            ..Memory::default()
        }
    }
}

#[async_trait]
impl ContentStore for Memory {
    async fn resolve(&self, reference: &str) -> Result<Descriptor> {
        let manifests = self.manifests.lock().unwrap();
        let found = manifests.iter().find(|(d, _)| d.digest == reference);
        found
            .map(|(d, _)| d.clone())
            .ok_or_else(|| TargetError::NotFound(reference.to_string()))
    }

    async fn fetch(&self, desc: &Descriptor, _max: u64) -> Result<Vec<u8>> {
        self.fetched.lock().unwrap().push(desc.digest.clone());
        let data = self.content.lock().unwrap().get(&desc.digest).cloned();
        let data = data.ok_or_else(|| TargetError::NotFound(desc.digest.clone()))?;
        super::check_content(desc, &data)?;
        Ok(data)
    }

    async fn exists(&self, desc: &Descriptor) -> Result<bool> {
        Ok(self.content.lock().unwrap().contains_key(&desc.digest))
    }

    async fn push_blob(&self, desc: &Descriptor, data: &[u8]) -> Result<()> {
        super::check_content(desc, data)?;
        let mut content = self.content.lock().unwrap();
        content.insert(desc.digest.clone(), data.to_vec());
        Ok(())
    }

    async fn push_manifest(
        &self,
        desc: &Descriptor,
        data: &[u8],
        _: Option<&str>,
    ) -> Result<Pushed> {
        self.push_blob(desc, data).await?;
        let node: GraphNode = serde_json::from_slice(data).unwrap_or_default();
        let subject = node.subject.map(|s| s.digest);
        let indexed_by = subject.as_ref().map(|_| Indexing::LayoutIndex);
        self.manifests.lock().unwrap().push((desc.plain(), subject));
        Ok(Pushed {
            indexed_by,
            warnings: self.warn_on_push.iter().cloned().collect(),
        })
    }

    async fn referrers(&self, subject: &Descriptor, _: Option<&str>) -> Result<Vec<Descriptor>> {
        let manifests = self.manifests.lock().unwrap();
        Ok(manifests
            .iter()
            .filter(|(_, s)| s.as_deref() == Some(subject.digest.as_str()))
            .map(|(d, _)| d.clone())
            .collect())
    }
}
