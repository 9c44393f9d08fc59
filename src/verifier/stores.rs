//! The trust stores on disk (`{NOTATION_CONFIG}/truststore/x509/{type}/{name}`), as the
//! verifier sees them.

use super::{TrustStoreFailure, TrustStores};
use crate::config::Dirs;
use std::collections::HashMap;
use std::sync::Mutex;

type Loaded = Result<Vec<Vec<u8>>, TrustStoreFailure>;

/// Loads named stores with [`crate::truststore::load_certificates`], each once: a
/// verification evaluates up to `--max-signatures` envelopes against the same stores, and
/// reading, parsing and checking the certificates again for each would cost more than the
/// envelope itself. One value lives for one command, so a store edited meanwhile is seen
/// by the next command.
pub struct FileTrustStores {
    dirs: Dirs,
    loaded: Mutex<HashMap<(String, String), Loaded>>,
}

impl FileTrustStores {
    /// Stores under `dirs.config`.
    pub fn new(dirs: Dirs) -> FileTrustStores {
        FileTrustStores {
            dirs,
            loaded: Mutex::new(HashMap::new()),
        }
    }

    fn read(&self, store_type: &str, name: &str) -> Loaded {
        crate::truststore::load_certificates(&self.dirs, store_type, name)
            .map(|certs| certs.iter().map(|c| c.der().to_vec()).collect())
            .map_err(|e| TrustStoreFailure {
                message: e.to_string(),
                not_exist: e.is_not_exist(),
                inner: e.inner_message(),
            })
    }
}

impl TrustStores for FileTrustStores {
    fn load(&self, store_type: &str, name: &str) -> Loaded {
        let key = (store_type.to_string(), name.to_string());
        let mut loaded = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
        loaded
            .entry(key)
            .or_insert_with(|| self.read(store_type, name))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_der_and_reports_upstream_texts() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = Dirs {
            config: dir.path().into(),
            libexec: dir.path().into(),
            cache: dir.path().into(),
        };
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec![]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = params.self_signed(&key).unwrap();
        let store = dirs.x509_truststore().join("ca").join("s");
        std::fs::create_dir_all(&store).unwrap();
        std::fs::write(store.join("ca.pem"), ca.pem()).unwrap();
        let stores = FileTrustStores::new(dirs);
        assert_eq!(stores.load("ca", "s").unwrap(), vec![ca.der().to_vec()]);
        // Loaded once per value: the second answer does not read the directory again.
        std::fs::remove_file(store.join("ca.pem")).unwrap();
        assert_eq!(stores.load("ca", "s").unwrap(), vec![ca.der().to_vec()]);
        let e = stores.load("ca", "missing").unwrap_err();
        assert_eq!(
            e.message,
            "the trust store \"missing\" of type \"ca\" does not exist"
        );
        assert!(e.not_exist);
        assert_eq!(
            e.inner.unwrap(),
            format!(
                "lstat {}: no such file or directory",
                store.with_file_name("missing").display()
            )
        );
    }
}
