//! notation-rs: the engine behind the `notation` command.
//!
//! Sign and verify OCI artifacts with Notary Project signatures (JWS and COSE), stored next
//! to the artifact in an OCI image layout or a registry, byte-compatible with Go notation.
//! Nothing in this library prints or exits; `src/cli/` does that. What notation-go logs
//! (verification steps, plugin calls, the HTTP trace, …) the library hands to the `log`
//! facade with notation-go's texts and levels, as it happens; the CLI prints those records
//! for `-v` / `-d`.
//!
//! # Using the library
//!
//! The crate root is the whole API most programs need (see [`facade`]):
//!
//! - [`Verifier`]: a trust policy and trust stores, either notation's config dir
//!   ([`Verifier::from_config_dir`]) or values in memory ([`Verifier::from_memory`] with a
//!   [`TrustStoreSet`] of PEM certificates); [`Verifier::verify`] returns an [`Outcome`]:
//!   the policy statement and level that applied, the signature manifest that passed, its
//!   signer's chain and each check's result.
//! - [`Signer`]: a key and its certificate chain (PEM, DER, or a key of notation's config);
//!   [`Signer::sign`] signs (JWS or COSE) and stores the signature next to the artifact.
//! - The targets: [`Layout::open`] (an OCI image layout, directory or tar) and
//!   [`Registry::new`] (or [`open_registry`] from a string); [`copy()`] between them.
//! - [`Error`]: what went wrong, naming the reference, file or digest.
//!
//! Artifacts are named `registry/repository(:tag|@digest)`: the tag or digest is looked up
//! in the target, and the trust policy's scopes match `registry/repository`.
//!
//! ```
//! use notation::{copy, CopyOptions, Layout, Signer, TrustStoreSet, Verifier};
//! use std::path::Path;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let tmp = tempfile::tempdir()?;
//! # let test = notation::testcert::generate("example", 2048, 1)?;
//! # let (key_pem, cert_pem) = (test.key_pem.as_bytes(), test.cert_pem.as_bytes());
//! // A writable OCI image layout holding the artifact tagged `v1`.
//! let source = Layout::open(Path::new(concat!(
//!     env!("CARGO_MANIFEST_DIR"),
//!     "/testdata/layouts/single-platform"
//! )))?;
//! let layout = Layout::create(&tmp.path().join("app"))?;
//! copy(&source, &layout, "example.com/app:v1", &["v1"], &CopyOptions::default()).await?;
//!
//! // Sign it with a PEM key and certificate chain.
//! let signer = Signer::from_pem(key_pem, cert_pem)?;
//! let signature = signer.sign(&layout, "example.com/app:v1").await?;
//!
//! // Verify it against a trust policy and a trust store held in memory.
//! let policy = r#"{
//!     "version": "1.0",
//!     "trustPolicies": [{
//!         "name": "example",
//!         "registryScopes": ["example.com/app"],
//!         "signatureVerification": {"level": "strict"},
//!         "trustStores": ["ca:example"],
//!         "trustedIdentities": ["*"]
//!     }]
//! }"#;
//! let mut stores = TrustStoreSet::new();
//! stores.add("ca:example", cert_pem)?;
//! let verifier = Verifier::from_memory(policy, stores)?;
//! let outcome = verifier.verify(&layout, "example.com/app:v1").await?;
//!
//! let verified = outcome.signature.expect("the level is not skip");
//! assert_eq!(verified.manifest_digest, signature);
//! assert_eq!(outcome.policy, "example");
//! println!("{} verified, signed by {}", outcome.artifact_digest, verified.signer);
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

pub mod atomic;
pub mod batch;
pub mod blob;
pub mod config;
pub mod copy;
pub mod credentials;
pub mod crypto;
pub mod envelope;
pub mod facade;
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

pub use facade::{
    copy, open_layout, open_registry, Check, CopyOptions, Error, Format, Layout, Outcome, Registry,
    RegistryOptions, Signer, Target, TrustStoreSet, VerifiedSignature, Verifier,
};

/// The README's Rust snippet ("Using notation-rs as a library") compiles: `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
