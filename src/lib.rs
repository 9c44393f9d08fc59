//! notation-rs: the engine behind the `notation` command.
//!
//! Sign and verify OCI artifacts with Notary Project signatures (JWS and COSE), stored next
//! to the artifact in an OCI image layout or a registry, byte-compatible with Go notation.
//! Nothing in this library prints or exits; `src/cli/` does that. What notation-go logs
//! (verification steps, plugin calls, the HTTP trace, …) the library hands to the `log`
//! facade with notation-go's texts and levels, as it happens; the CLI prints those records
//! for `-v` / `-d`.

pub mod atomic;
pub mod batch;
pub mod blob;
pub mod config;
pub mod copy;
pub mod credentials;
pub mod crypto;
pub mod envelope;
pub mod go;
pub mod httptrace;
pub mod oci;
pub mod plugin;
pub mod policy;
pub mod recursive;
pub mod reference;
pub mod revocation;
pub mod signer;
pub mod target;
pub mod testcert;
pub mod timestamp;
pub mod tls;
pub mod truststore;
pub mod verifier;
pub mod version;
pub mod x509;
