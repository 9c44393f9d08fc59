//! The trust stores on disk, as the verifier sees them.
//!
//! Not wired yet: the loader (`truststore::load_certificates`, with upstream's error texts)
//! lands with the `config` branch; until then every load fails with an explicit error.

use super::{TrustStoreFailure, TrustStores};
use crate::config::Dirs;

/// Loads the named stores under `{NOTATION_CONFIG}/truststore/x509`.
pub struct FileTrustStores {
    _dirs: Dirs,
}

impl FileTrustStores {
    /// Stores under `dirs.config`.
    pub fn new(dirs: Dirs) -> FileTrustStores {
        FileTrustStores { _dirs: dirs }
    }
}

impl TrustStores for FileTrustStores {
    fn load(&self, store_type: &str, name: &str) -> Result<Vec<Vec<u8>>, TrustStoreFailure> {
        let message = format!("trust store {name:?} of type {store_type:?} cannot be loaded: trust store support is not built in yet");
        Err(TrustStoreFailure {
            cli_message: message.clone(),
            message,
        })
    }
}
