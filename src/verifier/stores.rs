//! The trust stores on disk (`{NOTATION_CONFIG}/truststore/x509/{type}/{name}`), as the
//! verifier sees them.

use super::{TrustStoreFailure, TrustStores};
use crate::config::Dirs;

/// Loads named stores with [`crate::truststore::load_certificates`].
pub struct FileTrustStores {
    dirs: Dirs,
}

impl FileTrustStores {
    /// Stores under `dirs.config`.
    pub fn new(dirs: Dirs) -> FileTrustStores {
        FileTrustStores { dirs }
    }
}

impl TrustStores for FileTrustStores {
    fn load(&self, store_type: &str, name: &str) -> Result<Vec<Vec<u8>>, TrustStoreFailure> {
        crate::truststore::load_certificates(&self.dirs, store_type, name)
            .map(|certs| certs.iter().map(|c| c.der().to_vec()).collect())
            .map_err(|e| TrustStoreFailure {
                message: e.to_string(),
                cli_message: e.verification_message(),
            })
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
        let e = stores.load("ca", "missing").unwrap_err();
        assert_eq!(
            e.message,
            "the trust store \"missing\" of type \"ca\" does not exist"
        );
        assert_eq!(
            e.cli_message,
            "the trust store \"missing\" of type \"ca\" does not exist. Use command 'notation cert add' to create and add trusted certificates to the trust store"
        );
    }
}
