//! Version strings.

/// The notation version we are compatible with and report (`notation version`).
pub const NOTATION_COMPAT_VERSION: &str = "1.3.2";

/// Our own version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The unsigned `io.cncf.notary.signingAgent` written into envelopes made with local keys.
/// Same as Go notation's, so that tools keying on it treat our signatures alike.
pub const SIGNING_AGENT: &str = "notation-go/1.3.2";

/// HTTP `User-Agent` for registry, TSA, OCSP and CRL requests: Go notation's
/// (`notation/v1.3.2`), so servers and `-d` traces see a drop-in.
pub(crate) fn user_agent() -> String {
    format!("notation/v{NOTATION_COMPAT_VERSION}")
}
