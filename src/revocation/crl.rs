//! CRL checking (RFC 5280; verification.md §9.3, notation-core-go `internal/crl` and
//! `crl/fetcher.go`), delta CRLs included, with the CRL file cache.

use super::cache::{CacheError, Content, FileCache};
use super::{CertResult, LogLevel, LogLine, Method, ServerResult, Status};
use crate::go::fmt::GoQuoted;
use crate::x509::{check_signed_data, key_usage, Certificate};
use der::asn1::{GeneralizedTime, ObjectIdentifier};
use der::Decode;
use std::cmp::Ordering;
use time::OffsetDateTime;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{CrlDistributionPoints, FreshestCrl};
use x509_cert::ext::Extension;

/// Largest CRL downloaded; a body of exactly this size counts as too large.
pub(crate) const MAX_CRL_BYTES: usize = 32 * 1024 * 1024;

const OID_CRL_DP: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.31");
const OID_FRESHEST_CRL: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.46");
const OID_CRL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.20");
const OID_DELTA_CRL_INDICATOR: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.27");
const OID_ISSUING_DP: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.28");
const OID_REASON_CODE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.21");
const OID_INVALIDITY_DATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.24");

/// `certificateHold` CRL reason.
const REASON_HOLD: u8 = 6;
/// `removeFromCRL` CRL reason.
const REASON_REMOVE: u8 = 8;

/// Why a CRL could not be fetched, validated or consulted; texts are notation-core-go's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrlError {
    /// Not a DER `CertificateList`.
    #[error("x509: malformed crl: {0}")]
    Malformed(String),
    /// The distribution point is not a URL.
    #[error("invalid CRL URL: {0}")]
    Url(String),
    /// The distribution point is not `http`.
    #[error("unsupported scheme: {0}. Only supports CRL URL in HTTP protocol")]
    Scheme(String),
    /// The HTTP request failed.
    #[error("request failed: Get {}: {reason}", GoQuoted(.url))]
    Request {
        /// The CRL URL.
        url: String,
        /// The transport's failure.
        reason: String,
    },
    /// The server answered with a non-2xx status.
    #[error("failed to download with status code: {0}")]
    Status(u16),
    /// The response body could not be read.
    #[error("failed to read CRL response: {0}")]
    Read(String),
    /// The CRL is at least 32 MiB long.
    #[error("CRL size exceeds the limit: {MAX_CRL_BYTES}")]
    TooLarge,
    /// The base CRL names its delta CRL in a malformed extension.
    #[error("failed to parse Freshest CRL extension: {0}")]
    FreshestCrl(String),
    /// The file cache failed.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// The cached base CRL does not parse.
    #[error("failed to parse base CRL of file retrieved from file cache: {0}")]
    CachedBase(Box<CrlError>),
    /// The cached delta CRL does not parse.
    #[error("failed to parse delta CRL of file retrieved from file cache: {0}")]
    CachedDelta(Box<CrlError>),
    /// A cached CRL (`BaseCRL` or `DeltaCRL`) has no nextUpdate.
    #[error("crl bundle retrieved from file cache does not contain {0} NextUpdate")]
    CachedNoNextUpdate(&'static str),
    /// Neither the cache nor a download gave a CRL.
    #[error("failed to retrieve CRL: {0}")]
    Retrieve(Box<CrlError>),
    /// The CRL signature does not verify with the issuer.
    #[error("CRL is not signed by CA {issuer}: {reason},")]
    NotSignedByCa {
        /// The issuer's subject.
        issuer: String,
        /// Why the signature check failed.
        reason: Box<CrlError>,
    },
    /// The CRL has no nextUpdate.
    #[error("CRL NextUpdate is not set")]
    NoNextUpdate,
    /// The CRL's nextUpdate has passed.
    #[error("expired CRL. Current time {now} is after CRL NextUpdate {next_update}")]
    Expired {
        /// The current time (Go's `time.String`).
        now: String,
        /// The CRL's nextUpdate (Go's `time.String`).
        next_update: String,
    },
    /// A critical extension notation does not process (its OID).
    #[error("unsupported critical extension found in CRL: {0}")]
    CriticalExtension(String),
    /// The issuer may not sign CRLs.
    #[error("x509: invalid signature: parent certificate cannot sign this kind of certificate")]
    IssuerCannotSign,
    /// The CRL's signature does not verify (Go's text).
    #[error("{0}")]
    Signature(String),
    /// The base CRL is invalid.
    #[error("failed to validate base CRL: {0}")]
    InvalidBase(Box<CrlError>),
    /// The delta CRL is invalid.
    #[error("failed to validate delta CRL: {0}")]
    InvalidDelta(Box<CrlError>),
    /// A CRL (`base` or `delta`) has no CRL number.
    #[error("CRL number extension is not found in the {0} CRL")]
    NoNumber(&'static str),
    /// The delta CRL is not newer than the base.
    #[error("delta CRL number {delta} is not greater than the base CRL number {base}")]
    DeltaNumber {
        /// The delta CRL number.
        delta: String,
        /// The base CRL number.
        base: String,
    },
    /// The delta CRL has no delta CRL indicator.
    #[error("delta CRL indicator extension is not found")]
    NoDeltaIndicator,
    #[error(
        "delta CRL indicator {indicator} is not less than or equal to the base CRL number {base}"
    )]
    /// The delta CRL applies to a newer base.
    DeltaIndicator {
        /// The delta CRL indicator.
        indicator: String,
        /// The base CRL number.
        base: String,
    },
    /// A revoked entry has a malformed invalidity date.
    #[error("failed to parse invalidity date: {0}")]
    InvalidityDate(String),
}

/// A parsed CRL with its DER encoding.
#[derive(Debug, Clone)]
pub struct Crl {
    der: Vec<u8>,
    list: CertificateList,
}

impl Crl {
    /// Parse a DER `CertificateList`.
    pub fn from_der(der: &[u8]) -> Result<Crl, CrlError> {
        let list =
            CertificateList::from_der(der).map_err(|e| CrlError::Malformed(e.to_string()))?;
        Ok(Crl {
            der: der.to_vec(),
            list,
        })
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// `nextUpdate`, if present.
    pub fn next_update(&self) -> Option<OffsetDateTime> {
        self.list.tbs_cert_list.next_update.map(to_offset)
    }

    /// Present and not passed (notation-core-go `isEffective`).
    pub fn is_effective(&self, now: OffsetDateTime) -> bool {
        self.next_update().is_some_and(|t| now <= t)
    }

    fn extensions(&self) -> &[Extension] {
        self.list
            .tbs_cert_list
            .crl_extensions
            .as_deref()
            .unwrap_or_default()
    }

    fn extension(&self, oid: ObjectIdentifier) -> Option<&Extension> {
        self.extensions().iter().find(|e| e.extn_id == oid)
    }

    /// An INTEGER-valued extension (CRL number, delta CRL indicator) as unsigned bytes.
    fn number_ext(&self, oid: ObjectIdentifier) -> Option<Vec<u8>> {
        let ext = self.extension(oid)?;
        let int = der::asn1::Int::from_der(ext.extn_value.as_bytes()).ok()?;
        Some(strip_zeros(int.as_bytes()).to_vec())
    }
}

fn to_offset(t: x509_cert::time::Time) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t.to_unix_duration().as_secs() as i64)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|x| **x == 0).count();
    &b[n..]
}

/// Compare two unsigned big-endian integers.
fn big_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let (a, b) = (strip_zeros(a), strip_zeros(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Decimal when it fits, for error texts like Go's `%d` of a `*big.Int`.
fn big_to_string(b: &[u8]) -> String {
    let b = strip_zeros(b);
    if b.len() <= 16 {
        let mut v: u128 = 0;
        for x in b {
            v = (v << 8) | *x as u128;
        }
        v.to_string()
    } else {
        format!("0x{}", hex::encode(b))
    }
}

/// Full-name URIs of a CRLDistributionPoints-shaped extension value.
fn dp_uris(points: Vec<x509_cert::ext::pkix::crl::dp::DistributionPoint>) -> Vec<String> {
    points
        .into_iter()
        .filter_map(|dp| match dp.distribution_point {
            Some(DistributionPointName::FullName(names)) => Some(names),
            _ => None,
        })
        .flatten()
        .filter_map(|n| match n {
            GeneralName::UniformResourceIdentifier(uri) => Some(uri.to_string()),
            _ => None,
        })
        .collect()
}

/// The certificate's CRL distribution point URIs (Go `CRLDistributionPoints`), in order.
pub fn distribution_points(cert: &Certificate) -> Vec<String> {
    cert_extension(cert, OID_CRL_DP)
        .and_then(|e| CrlDistributionPoints::from_der(e.extn_value.as_bytes()).ok())
        .map(|p| dp_uris(p.0))
        .unwrap_or_default()
}

fn cert_extension(cert: &Certificate, oid: ObjectIdentifier) -> Option<&Extension> {
    cert.inner()
        .tbs_certificate()
        .extensions()?
        .iter()
        .find(|e| e.extn_id == oid)
}

/// A base CRL and the delta CRL its Freshest CRL extension pointed to.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The base CRL.
    pub base: Crl,
    /// The delta CRL, when the base names one.
    pub delta: Option<Crl>,
}

impl Bundle {
    /// Both CRLs are still effective.
    pub fn is_effective(&self, now: OffsetDateTime) -> bool {
        self.base.is_effective(now) && self.delta.as_ref().is_none_or(|d| d.is_effective(now))
    }
}

/// What a CRL check needs besides the certificates.
pub(crate) struct Context<'a> {
    pub client: &'a reqwest::Client,
    pub cache: Option<&'a FileCache>,
    pub now: OffsetDateTime,
}

/// The result of [`check`].
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub result: CertResult,
    /// A cache error was discarded.
    pub cache_error: bool,
}

#[derive(Default)]
struct Log {
    cache_error: bool,
}

impl Log {
    /// Log now (so lines interleave with the HTTP trace as notation's do).
    fn push(&mut self, level: LogLevel, message: String) {
        LogLine { level, message }.emit();
    }
}

/// Download one CRL (http only, status 2xx, under [`MAX_CRL_BYTES`]).
async fn download(client: &reqwest::Client, url: &str) -> Result<Crl, CrlError> {
    let parsed = url::Url::parse(url).map_err(|e| CrlError::Url(e.to_string()))?;
    if parsed.scheme() != "http" {
        return Err(CrlError::Scheme(parsed.scheme().to_string()));
    }
    let resp = crate::httptrace::send(client.get(url))
        .await
        .map_err(|e| CrlError::Request {
            url: url.to_string(),
            reason: if e.is_timeout() {
                "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
                    .to_string()
            } else {
                super::http::transport_reason(&e)
            },
        })?;
    let code = resp.status().as_u16();
    if !(200..300).contains(&code) {
        return Err(CrlError::Status(code));
    }
    let data = super::http::read_limited(resp, MAX_CRL_BYTES)
        .await
        .map_err(|e| CrlError::Read(e.to_string()))?;
    if data.len() == MAX_CRL_BYTES {
        return Err(CrlError::TooLarge);
    }
    Crl::from_der(&data)
}

/// Download the base CRL and, if it names a Freshest CRL, the first delta that downloads.
async fn download_bundle(client: &reqwest::Client, url: &str) -> Result<Bundle, CrlError> {
    let base = download(client, url).await?;
    let delta_urls = base
        .extension(OID_FRESHEST_CRL)
        .map(|e| {
            FreshestCrl::from_der(e.extn_value.as_bytes())
                .map(|f| dp_uris(f.0))
                .map_err(|e| CrlError::FreshestCrl(e.to_string()))
        })
        .transpose()?
        .unwrap_or_default();
    let mut delta = None;
    let mut last_err = None;
    for u in &delta_urls {
        match download(client, u).await {
            Ok(d) => {
                delta = Some(d);
                break;
            }
            Err(e) => last_err = Some(e),
        }
    }
    if let (None, Some(e)) = (&delta, last_err) {
        return Err(e);
    }
    Ok(Bundle { base, delta })
}

/// The cached bundle for `url`, `None` when there is none or it has expired. Errors
/// (unreadable, undecodable, a CRL without nextUpdate) are upstream's texts.
fn cached_bundle(
    cache: &FileCache,
    url: &str,
    now: OffsetDateTime,
) -> Result<Option<Bundle>, CrlError> {
    let Some(content) = cache.get(url)? else {
        return Ok(None);
    };
    let base = Crl::from_der(&content.base).map_err(|e| CrlError::CachedBase(Box::new(e)))?;
    let delta = content
        .delta
        .map(|d| Crl::from_der(&d))
        .transpose()
        .map_err(|e| CrlError::CachedDelta(Box::new(e)))?;
    for (which, crl) in [("BaseCRL", Some(&base)), ("DeltaCRL", delta.as_ref())] {
        let Some(crl) = crl else { continue };
        let Some(next) = crl.next_update() else {
            return Err(CrlError::CachedNoNextUpdate(which));
        };
        if now > next {
            log::debug!(
                "CRL bundle retrieved from file cache has expired at {}",
                crate::go::time::string(next)
            );
            return Ok(None);
        }
    }
    Ok(Some(Bundle { base, delta }))
}

/// The fetcher: an effective cached bundle, else a download that refreshes the cache.
/// Cache errors are discarded (logged at debug level), as notation's CLI does.
async fn fetch(ctx: &Context<'_>, url: &str, log: &mut Log) -> Result<Bundle, CrlError> {
    if let Some(cache) = ctx.cache {
        match cached_bundle(cache, url, ctx.now) {
            Ok(Some(bundle)) if bundle.is_effective(ctx.now) => return Ok(bundle),
            Ok(_) => {}
            Err(e) => {
                log.push(LogLevel::Debug, e.to_string());
                log.cache_error = true;
            }
        }
    }
    let bundle = download_bundle(ctx.client, url)
        .await
        .map_err(|e| CrlError::Retrieve(Box::new(e)))?;
    if let Some(cache) = ctx.cache {
        let content = Content {
            base: bundle.base.der().to_vec(),
            delta: bundle.delta.as_ref().map(|d| d.der().to_vec()),
        };
        if let Err(e) = cache.set(url, &content) {
            log.push(LogLevel::Debug, e.to_string());
            log.cache_error = true;
        }
    }
    Ok(bundle)
}

/// Signature (Go `RevocationList.CheckSignatureFrom`), nextUpdate and critical extensions.
fn validate_crl(crl: &Crl, issuer: &Certificate, now: OffsetDateTime) -> Result<(), CrlError> {
    check_crl_signature(crl, issuer).map_err(|e| CrlError::NotSignedByCa {
        issuer: issuer.subject(),
        reason: Box::new(e),
    })?;
    let Some(next) = crl.next_update() else {
        return Err(CrlError::NoNextUpdate);
    };
    if now > next {
        return Err(CrlError::Expired {
            // Whole seconds, as this message has always shown the current time.
            now: crate::go::time::string(now.replace_nanosecond(0).unwrap_or(now)),
            next_update: crate::go::time::string(next),
        });
    }
    for ext in crl.extensions() {
        let known = [OID_ISSUING_DP, OID_DELTA_CRL_INDICATOR].contains(&ext.extn_id);
        if ext.critical && !known {
            return Err(CrlError::CriticalExtension(ext.extn_id.to_string()));
        }
    }
    Ok(())
}

fn check_crl_signature(crl: &Crl, issuer: &Certificate) -> Result<(), CrlError> {
    let bc = issuer.basic_constraints();
    let cannot_sign = (issuer.version() == 3 && bc.is_none()) || bc.is_some_and(|b| !b.ca);
    let ku = issuer.key_usage_bits();
    if cannot_sign || (ku != 0 && ku & key_usage::CRL_SIGN == 0) {
        return Err(CrlError::IssuerCannotSign);
    }
    let tbs = der::Encode::to_der(&crl.list.tbs_cert_list)
        .map_err(|e| CrlError::Signature(e.to_string()))?;
    check_signed_data(
        issuer,
        &crl.list.signature_algorithm,
        &tbs,
        crl.list.signature.raw_bytes(),
    )
    .map_err(|e| CrlError::Signature(e.to_string()))
}

/// Base CRL, delta CRL and their relation (CRL numbers, delta CRL indicator).
fn validate(bundle: &Bundle, issuer: &Certificate, now: OffsetDateTime) -> Result<(), CrlError> {
    validate_crl(&bundle.base, issuer, now).map_err(|e| CrlError::InvalidBase(Box::new(e)))?;
    let Some(delta) = &bundle.delta else {
        return Ok(());
    };
    validate_crl(delta, issuer, now).map_err(|e| CrlError::InvalidDelta(Box::new(e)))?;
    let base_number = bundle
        .base
        .number_ext(OID_CRL_NUMBER)
        .ok_or(CrlError::NoNumber("base"))?;
    let delta_number = delta
        .number_ext(OID_CRL_NUMBER)
        .ok_or(CrlError::NoNumber("delta"))?;
    if big_cmp(&delta_number, &base_number) != Ordering::Greater {
        return Err(CrlError::DeltaNumber {
            delta: big_to_string(&delta_number),
            base: big_to_string(&base_number),
        });
    }
    let indicator = delta
        .number_ext(OID_DELTA_CRL_INDICATOR)
        .ok_or(CrlError::NoDeltaIndicator)?;
    if big_cmp(&indicator, &base_number) == Ordering::Greater {
        return Err(CrlError::DeltaIndicator {
            indicator: big_to_string(&indicator),
            base: big_to_string(&base_number),
        });
    }
    Ok(())
}

/// The extensions of a revoked entry notation understands.
struct EntryInfo {
    reason: Option<u8>,
    invalidity_date: Option<OffsetDateTime>,
}

fn entry_info(exts: Option<&[Extension]>) -> Result<EntryInfo, CrlError> {
    let mut info = EntryInfo {
        reason: None,
        invalidity_date: None,
    };
    for ext in exts.unwrap_or_default() {
        let value = ext.extn_value.as_bytes();
        if ext.extn_id == OID_INVALIDITY_DATE {
            let t = GeneralizedTime::from_der(value)
                .map_err(|e| CrlError::InvalidityDate(e.to_string()))?;
            info.invalidity_date = Some(
                OffsetDateTime::from_unix_timestamp(t.to_unix_duration().as_secs() as i64)
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            );
        } else if ext.extn_id == OID_REASON_CODE {
            // ENUMERATED: tag 0x0a, length 1, value.
            if let [0x0a, 0x01, v] = value {
                info.reason = Some(*v);
            }
        } else if ext.critical {
            return Err(CrlError::CriticalExtension(ext.extn_id.to_string()));
        }
    }
    Ok(info)
}

/// What the CRL check does with a fetched bundle, without the network: validate the base
/// (and delta) CRL against `issuer` at `now`, then look `cert` up in them. For callers
/// that hold the CRLs already (and the fuzz targets).
pub fn check_bundle(
    cert: &Certificate,
    issuer: &Certificate,
    bundle: &Bundle,
    signing_time: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<Status, CrlError> {
    validate(bundle, issuer, now)?;
    check_revocation(cert, bundle, signing_time)
}

/// Look the serial up in the base, then the delta CRL (verification.md §9.3 step 4).
fn check_revocation(
    cert: &Certificate,
    bundle: &Bundle,
    signing_time: Option<OffsetDateTime>,
) -> Result<Status, CrlError> {
    let serial = cert.inner().tbs_certificate().serial_number().as_bytes();
    let mut latest_temporary: Option<(OffsetDateTime, u8)> = None;
    let crls = std::iter::once(&bundle.base).chain(bundle.delta.as_ref());
    for crl in crls {
        let entries = crl.list.tbs_cert_list.revoked_certificates.iter().flatten();
        for entry in entries.filter(|e| e.serial_number.as_bytes() == serial) {
            let info = entry_info(entry.crl_entry_extensions.as_deref())?;
            if let (Some(t), Some(invalid_from)) = (signing_time, info.invalidity_date) {
                if t < invalid_from {
                    return Ok(Status::Ok);
                }
            }
            let revoked_at = to_offset(entry.revocation_date);
            match info.reason {
                Some(r @ (REASON_HOLD | REASON_REMOVE)) => {
                    if latest_temporary.is_none_or(|(at, _)| revoked_at > at) {
                        latest_temporary = Some((revoked_at, r));
                    }
                }
                _ => return Ok(Status::Revoked),
            }
        }
    }
    Ok(match latest_temporary {
        Some((_, REASON_HOLD)) => Status::Revoked,
        _ => Status::Ok,
    })
}

/// Check `cert` against every CRL distribution point: revoked at the first revocation,
/// unknown at the first error, OK only when every CRL was fetched and checked.
pub(crate) async fn check(
    ctx: &Context<'_>,
    cert: &Certificate,
    issuer: &Certificate,
    urls: &[String],
    signing_time: Option<OffsetDateTime>,
) -> Outcome {
    let mut log = Log::default();
    let mut servers = Vec::new();
    let cert_has_freshest = cert_extension(cert, OID_FRESHEST_CRL).is_some();
    let mut failure = None;
    for url in urls {
        let bundle = match fetch(ctx, url, &mut log).await {
            Ok(b) => b,
            Err(e) => {
                failure = Some((url, format!("failed to download CRL from {url}: {e}")));
                break;
            }
        };
        if bundle.delta.is_none() && cert_has_freshest {
            failure = Some((
                url,
                "freshest CRL from certificate extension is not supported".into(),
            ));
            break;
        }
        if let Err(e) = validate(&bundle, issuer, ctx.now) {
            failure = Some((url, format!("failed to validate CRL from {url}: {e}")));
            break;
        }
        let status = match check_revocation(cert, &bundle, signing_time) {
            Ok(s) => s,
            Err(e) => {
                failure = Some((
                    url,
                    format!("failed to check revocation status from {url}: {e}"),
                ));
                break;
            }
        };
        let server = ServerResult {
            server: url.clone(),
            method: Method::Crl,
            status,
            error: None,
        };
        if status == Status::Revoked {
            // Upstream reports only the distribution point that revoked.
            return outcome(Status::Revoked, vec![server], log);
        }
        servers.push(server);
    }
    if let Some((url, error)) = failure {
        let server = ServerResult {
            server: url.clone(),
            method: Method::Crl,
            status: Status::Unknown,
            error: Some(error),
        };
        return outcome(Status::Unknown, vec![server], log);
    }
    outcome(Status::Ok, servers, log)
}

fn outcome(status: Status, servers: Vec<ServerResult>, log: Log) -> Outcome {
    Outcome {
        result: CertResult {
            status,
            method: Method::Crl,
            servers,
        },
        cache_error: log.cache_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_numbers() {
        assert_eq!(big_cmp(&[0, 5], &[5]), Ordering::Equal);
        assert_eq!(big_cmp(&[1, 0], &[0xff]), Ordering::Greater);
        assert_eq!(big_cmp(&[2], &[3]), Ordering::Less);
        assert_eq!(big_to_string(&[0x01, 0x34, 0x5c, 0x70]), "20208752");
    }

    #[test]
    fn entry_reasons_and_critical_extensions() {
        let reason = Extension {
            extn_id: OID_REASON_CODE,
            critical: false,
            extn_value: der::asn1::OctetString::new(vec![0x0a, 0x01, 0x06]).unwrap(),
        };
        let info = entry_info(Some(std::slice::from_ref(&reason))).unwrap();
        assert_eq!(info.reason, Some(REASON_HOLD));
        let odd = Extension {
            extn_id: ObjectIdentifier::new_unwrap("1.2.3"),
            critical: true,
            extn_value: der::asn1::OctetString::new(vec![0x05, 0x00]).unwrap(),
        };
        assert_eq!(
            entry_info(Some(&[odd])).err().unwrap().to_string(),
            "unsupported critical extension found in CRL: 1.2.3"
        );
    }
}
