//! TLS connections (registries, timestamp authorities, OCSP/CRL servers) with Go
//! `crypto/tls`'s notion of a trusted server certificate and its words for a refusal.
//!
//! Go's own leaf checks (expiry, then host name) run first, so a refusal names the problem
//! Go names. webpki (through rustls) then verifies the chain. When it refuses, Go's rules
//! (`x509::server`) are asked: if they refuse too, the refusal is in Go's words;
//! if they accept, the certificate is accepted only when webpki's reason is one Go does not
//! share (a `CA:TRUE` leaf as `openssl req -x509` makes by default, a leaf that is itself a
//! trusted root, no issuer found, `anyExtendedKeyUsage`, a name webpki's syntax rejects).
//! Handshake signatures are always checked by rustls.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use time::OffsetDateTime;

use crate::x509::server::{self, ServerCertError};
use crate::x509::Certificate;

/// Go's `http.ErrSchemeMismatch`.
const SCHEME_MISMATCH: &str = "http: server gave HTTP response to HTTPS client";

/// A rustls configuration trusting the system roots (honouring `SSL_CERT_FILE` and
/// `SSL_CERT_DIR`, as Go does) plus `extra_roots`, for `reqwest`'s
/// `tls_backend_preconfigured`.
pub(crate) fn client_config(
    extra_roots: Vec<CertificateDer<'static>>,
) -> Result<rustls::ClientConfig, rustls::Error> {
    let mut roots = extra_roots;
    // Unreadable system certificates are skipped, as Go skips them.
    roots.extend(rustls_native_certs::load_native_certs().certs);
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = GoVerifier::new(roots, provider.clone());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // What reqwest offers when it builds the configuration itself.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Why a CA file (`--ca-file`-style extra roots) is unusable.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CaFileError {
    /// No `CERTIFICATE` block in the file.
    #[error("no PEM certificates found")]
    NoCertificates,
    /// A certificate cannot be a trust anchor.
    #[error("invalid CA certificate file: {0}")]
    Invalid(webpki::Error),
}

/// The `CERTIFICATE` blocks of a PEM file, each usable as a trust anchor.
pub(crate) fn pem_roots(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, CaFileError> {
    let certs: Vec<CertificateDer<'static>> = crate::go::pem::pem_blocks(pem)
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE")
        .map(|b| CertificateDer::from(b.contents))
        .collect();
    if certs.is_empty() {
        return Err(CaFileError::NoCertificates);
    }
    for cert in &certs {
        webpki::anchor_from_trusted_cert(cert).map_err(CaFileError::Invalid)?;
    }
    Ok(certs)
}

/// webpki, then Go's rules where webpki is stricter than Go.
#[derive(Debug)]
struct GoVerifier {
    /// `None` when there are no roots at all (every chain is then unknown).
    webpki: Option<Arc<WebPkiServerVerifier>>,
    roots: Vec<CertificateDer<'static>>,
    /// The roots our X.509 parser reads, parsed on first need.
    parsed_roots: OnceLock<Vec<Certificate>>,
    provider: Arc<CryptoProvider>,
}

impl GoVerifier {
    fn new(roots: Vec<CertificateDer<'static>>, provider: Arc<CryptoProvider>) -> GoVerifier {
        let mut store = rustls::RootCertStore::empty();
        store.add_parsable_certificates(roots.iter().cloned());
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
            .build()
            .ok();
        GoVerifier {
            webpki,
            roots,
            parsed_roots: OnceLock::new(),
            provider,
        }
    }

    fn parsed_roots(&self) -> &[Certificate] {
        self.parsed_roots.get_or_init(|| {
            self.roots
                .iter()
                .filter_map(|der| Certificate::from_der(der).ok())
                .collect()
        })
    }

    /// Go's verdict on a chain webpki refused with `refusal`: Go's refusal in Go's words;
    /// acceptance only where webpki's reason is one Go does not share.
    fn second_opinion(
        &self,
        leaf: &Certificate,
        intermediates: &[CertificateDer<'_>],
        now: OffsetDateTime,
        refusal: rustls::Error,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let intermediates: Vec<Certificate> = intermediates
            .iter()
            .filter_map(|der| Certificate::from_der(der).ok())
            .collect();
        match server::check_chain(leaf, &intermediates, self.parsed_roots(), now) {
            Ok(()) if go_may_accept(&refusal) => Ok(ServerCertVerified::assertion()),
            Err(ServerCertError::Refused(text)) => Err(go_error(text)),
            Ok(()) | Err(ServerCertError::Unsupported) => Err(refusal),
        }
    }
}

impl ServerCertVerifier for GoVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let now_go = go_now(now);
        // A leaf our parser cannot read is left to webpki alone.
        let leaf = Certificate::from_der(end_entity).ok();
        if let Some(leaf) = &leaf {
            server::check_leaf(leaf, &host(server_name), now_go)
                .map_err(|e| go_error(e.to_string()))?;
        }
        let verdict = match &self.webpki {
            Some(v) => {
                v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        };
        match (verdict, leaf) {
            (Ok(v), _) => Ok(v),
            (Err(e), Some(leaf)) => self.second_opinion(&leaf, intermediates, now_go, e),
            (Err(e), None) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// webpki refusals where Go may still find the certificate good: no issuer found (the
/// leaf may itself be a root), a CA certificate as leaf, an extended key usage webpki does
/// not take (`anyExtendedKeyUsage`), a name webpki's stricter syntax rejects.
fn go_may_accept(e: &rustls::Error) -> bool {
    let rustls::Error::InvalidCertificate(e) = e else {
        return false;
    };
    match e {
        CertificateError::UnknownIssuer
        | CertificateError::InvalidPurpose
        | CertificateError::InvalidPurposeContext { .. }
        | CertificateError::NotValidForName
        | CertificateError::NotValidForNameContext { .. } => true,
        CertificateError::Other(OtherError(inner)) => matches!(
            inner.downcast_ref::<webpki::Error>(),
            Some(webpki::Error::CaUsedAsEndEntity)
        ),
        _ => false,
    }
}

/// The name Go's `VerifyHostname` is given: the URL host without port or brackets.
fn host(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(d) => d.as_ref().to_string(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}

/// `now` in the local zone, as Go's `time.Now()` prints it (UTC when the zone is unknown).
fn go_now(now: UnixTime) -> OffsetDateTime {
    let t = OffsetDateTime::from_unix_timestamp(now.as_secs() as i64)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    match time::UtcOffset::local_offset_at(t) {
        Ok(offset) => t.to_offset(offset),
        Err(_) => t,
    }
}

/// A refusal in Go's words, carried through rustls to [`go_text`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct GoX509Error(String);

fn go_error(text: String) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(GoX509Error(
        text,
    )))))
}

/// What Go prints for the TLS failure in `e`'s source chain, if there is one:
/// `tls: failed to verify certificate: x509: ...`, or `http: server gave HTTP response to
/// HTTPS client` when the server answered the handshake with something that is not TLS.
pub(crate) fn go_text(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let tls = find_rustls_error(e)?;
    let text = match tls {
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            // rustls does not keep the bytes; a registry port that answers a ClientHello
            // with something other than TLS is in practice plain HTTP (Go checks for
            // `HTTP/`).
            return Some(SCHEME_MISMATCH.to_string());
        }
        rustls::Error::InvalidCertificate(cert) => certificate_text(cert)?,
        _ => return None,
    };
    Some(format!("tls: failed to verify certificate: {text}"))
}

/// Go's text for a refusal rustls reports by itself (webpki errors past our checks).
fn certificate_text(e: &CertificateError) -> Option<String> {
    let at = |t: UnixTime| {
        let t = OffsetDateTime::from_unix_timestamp(t.as_secs() as i64).ok()?;
        Some(crate::go::time::rfc3339(t))
    };
    Some(match e {
        CertificateError::Other(OtherError(inner)) => {
            inner.downcast_ref::<GoX509Error>()?.0.clone()
        }
        CertificateError::UnknownIssuer => "x509: certificate signed by unknown authority".into(),
        CertificateError::ExpiredContext { time, not_after } => format!(
            "x509: certificate has expired or is not yet valid: current time {} is after {}",
            at(*time)?,
            at(*not_after)?
        ),
        CertificateError::NotValidYetContext { time, not_before } => format!(
            "x509: certificate has expired or is not yet valid: current time {} is before {}",
            at(*time)?,
            at(*not_before)?
        ),
        _ => return None,
    })
}

/// The rustls error behind `e`: itself, a source, or the payload of an `io::Error`
/// (hyper nests them, and `io::Error::source()` skips the payload).
fn find_rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let payload = e
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .map(|inner| inner as &(dyn std::error::Error + 'static));
    payload
        .and_then(find_rustls_error)
        .or_else(|| e.source().and_then(find_rustls_error))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

    /// What `openssl req -x509 -addext subjectAltName=IP:127.0.0.1` makes: self-signed,
    /// CA:TRUE.
    fn openssl_like_self_signed() -> CertificateDer<'static> {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap().der().clone()
    }

    /// Go's text for the refusal of `leaf`, or `None` when it is accepted.
    fn go_refusal(
        roots: Vec<CertificateDer<'static>>,
        leaf: &CertificateDer<'_>,
        name: &str,
    ) -> Option<String> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = GoVerifier::new(roots, provider);
        let name = ServerName::try_from(name.to_string()).unwrap();
        verifier
            .verify_server_cert(leaf, &[], &name, &[], UnixTime::now())
            .err()
            .map(|e| go_text(&e).unwrap_or_else(|| e.to_string()))
    }

    #[test]
    fn a_trusted_ca_true_self_signed_leaf_is_accepted() {
        let leaf = openssl_like_self_signed();
        // webpki alone refuses it.
        let mut store = rustls::RootCertStore::empty();
        store.add(leaf.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
            .build()
            .unwrap();
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let refusal = webpki
            .verify_server_cert(&leaf, &[], &name, &[], UnixTime::now())
            .unwrap_err();
        assert!(go_may_accept(&refusal), "{refusal:?}");

        assert_eq!(go_refusal(vec![leaf.clone()], &leaf, "127.0.0.1"), None);
    }

    #[test]
    fn refusals_are_in_go_s_words() {
        let leaf = openssl_like_self_signed();
        assert_eq!(
            go_refusal(vec![], &leaf, "127.0.0.1").as_deref(),
            Some(
                "tls: failed to verify certificate: x509: certificate signed by unknown authority"
            )
        );
        // Another certificate with the same subject is the candidate Go names.
        assert_eq!(
            go_refusal(vec![openssl_like_self_signed()], &leaf, "127.0.0.1").as_deref(),
            Some("tls: failed to verify certificate: x509: certificate signed by unknown authority (possibly because of \"x509: ECDSA verification failure\" while trying to verify candidate authority certificate \"rcgen self signed cert\")")
        );
        assert_eq!(
            go_refusal(vec![leaf.clone()], &leaf, "10.0.0.1").as_deref(),
            Some("tls: failed to verify certificate: x509: certificate is valid for 127.0.0.1, not 10.0.0.1")
        );
    }

    #[test]
    fn errors_nested_in_io_errors_are_found() {
        let nested = |e: rustls::Error| {
            let inner = std::io::Error::new(std::io::ErrorKind::InvalidData, e);
            std::io::Error::other(inner)
        };
        let plain_http = nested(rustls::Error::InvalidMessage(
            rustls::InvalidMessage::InvalidContentType,
        ));
        assert_eq!(go_text(&plain_http).as_deref(), Some(SCHEME_MISMATCH));
        let expired = nested(rustls::Error::InvalidCertificate(
            CertificateError::ExpiredContext {
                time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_700_000_000)),
                not_after: UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                    1_600_000_000,
                )),
            },
        ));
        assert_eq!(
            go_text(&expired).as_deref(),
            Some("tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2023-11-14T22:13:20Z is after 2020-09-13T12:26:40Z")
        );
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(go_text(&refused), None);
    }
}
