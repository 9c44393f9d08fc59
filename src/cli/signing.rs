//! The signer flags `sign` and `blob sign` share (notation's `option.Signer`,
//! `option.Plugin`, `option.UserMetadata`, `--expiry` and the timestamping flags), and the
//! signing settings they resolve to.

use super::flag_rules::Rules;
use super::output::Log;
use super::{duration, key_value, Context};
use anyhow::{anyhow, bail};
use clap::Args;
use notation::config::config_json::ConfigJson;
use notation::config::signingkeys::SigningKeys;
use notation::envelope::Format;
use notation::go::fmt::GoQuoted;
use notation::plugin::Plugin;
use notation::revocation::Validator;
use notation::signer::plugin::PluginSigner;
use notation::signer::{EnvelopeSigner, LocalSigner, SignOptions};
use notation::timestamp::Tsa;
use notation::x509::{check_signature, Certificate, SignatureCheck};
use std::collections::BTreeMap;
use std::sync::Arc;

/// `-k`, `--id`, `--plugin`, `--signature-format`, `-e`, `--plugin-config`, `-m`,
/// `--timestamp-url`, `--timestamp-root-cert`. (The help texts are in `help/table`.)
#[derive(Args, Debug)]
pub struct SignerArgs {
    /// signing key name, for a key previously added to notation's key list. This flag cannot be used with --id or --plugin
    #[arg(short = 'k', long = "key")]
    key: Option<String>,
    /// key id (required if --plugin is set). This is mutually exclusive with the --key flag
    #[arg(long = "id")]
    id: Option<String>,
    /// signing plugin name (required if --id is set). This is mutually exclusive with the --key flag
    #[arg(long = "plugin")]
    plugin: Option<String>,
    /// signature envelope format, options: "jws", "cose" (default "jws")
    #[arg(long = "signature-format")]
    signature_format: Option<String>,
    /// optional expiry that provides a "best by use" time for the artifact. The duration is specified in minutes(m) and/or hours(h). For example: 12h, 30m, 3h20m
    #[arg(short = 'e', long = "expiry", allow_hyphen_values = true)]
    expiry: Option<String>,
    /// {key}={value} pairs that are passed as it is to a plugin, refer plugin's documentation to set appropriate values
    #[arg(long = "plugin-config")]
    plugin_config: Vec<String>,
    /// {key}={value} pairs that are added to the signature payload
    #[arg(short = 'm', long = "user-metadata")]
    user_metadata: Vec<String>,
    /// RFC 3161 Timestamping Authority (TSA) server URL
    #[arg(long = "timestamp-url")]
    timestamp_url: Option<String>,
    /// filepath of timestamp authority root certificate
    #[arg(long = "timestamp-root-cert")]
    timestamp_root_cert: Option<String>,
}

/// Cobra's flag rules of the signer group (notation@v1.3.2 internal/cmd/options.go
/// `ApplyFlagsToCommand`; notation v2 cmd/notation/blob/sign.go).
pub const SIGNER_TOGETHER: &[&[&str]] =
    &[&["id", "plugin"], &["timestamp-url", "timestamp-root-cert"]];

/// The signer group's exclusive flags.
pub const SIGNER_EXCLUSIVE: [&[&str]; 2] = [&["key", "id"], &["key", "plugin"]];

/// `blob sign`'s rules: the signer group's alone.
pub const BLOB_SIGN_FLAGS: Rules = Rules {
    together: SIGNER_TOGETHER,
    exclusive: &SIGNER_EXCLUSIVE,
    ..Rules::NONE
};

impl SignerArgs {
    /// `--expiry`, parsed as Go's `time.ParseDuration` with pflag's error text.
    pub fn expiry(&self) -> anyhow::Result<Option<time::Duration>> {
        let Some(e) = self.expiry.as_deref() else {
            return Ok(None);
        };
        let parsed = duration::parse_go_duration(e).map_err(|err| {
            anyhow!(
                "invalid argument {} for \"-e, --expiry\" flag: {err}",
                GoQuoted(e)
            )
        })?;
        Ok(Some(parsed))
    }

    /// The timestamping checks `sign` and `blob sign` run first in `RunE`: a given
    /// `--timestamp-url` and its root certificate path must not be empty.
    pub fn check_timestamp_flags(&self) -> anyhow::Result<()> {
        if let Some(url) = self.timestamp_url.as_deref() {
            if url.is_empty() {
                bail!("timestamping: tsa url cannot be empty");
            }
            if self
                .timestamp_root_cert
                .as_deref()
                .is_none_or(str::is_empty)
            {
                bail!("timestamping: tsa root certificate path cannot be empty");
            }
        }
        Ok(())
    }

    /// `--signature-format`, else config.json's `signatureFormat`, else JWS.
    pub fn format(&self, ctx: &Context) -> anyhow::Result<Format> {
        let config = ConfigJson::load(&ctx.dirs)?;
        signature_format(
            self.signature_format.as_deref(),
            config.signature_format.as_deref(),
        )
    }

    /// `-m` pairs.
    pub fn user_metadata(&self) -> anyhow::Result<BTreeMap<String, String>> {
        Ok(key_value::parse_map(&self.user_metadata, "user-metadata")?)
    }

    /// `--plugin-config` pairs.
    pub fn plugin_config(&self) -> anyhow::Result<BTreeMap<String, String>> {
        Ok(key_value::parse_map(&self.plugin_config, "plugin-config")?)
    }

    /// `--plugin` with `--id`, else the key `-k` names (or the default key), local or
    /// plugin-backed.
    pub fn signer(
        &self,
        plugin_config: &BTreeMap<String, String>,
        ctx: &Context,
    ) -> anyhow::Result<Box<dyn EnvelopeSigner>> {
        if let (Some(plugin), Some(id)) = (self.plugin.as_deref(), self.id.as_deref()) {
            let plugin = Plugin::open(&ctx.dirs.plugins(), plugin)?;
            return Ok(Box::new(PluginSigner::new(
                plugin,
                id,
                &BTreeMap::new(),
                plugin_config,
            )));
        }
        let keys = SigningKeys::load(&ctx.dirs)?;
        let entry = keys.resolve(self.key.as_deref())?;
        if let Some(external) = entry.external() {
            if entry.local_pair().is_none() {
                let plugin = Plugin::open(&ctx.dirs.plugins(), &external.plugin_name)?;
                return Ok(Box::new(PluginSigner::new(
                    plugin,
                    &external.id,
                    &external.plugin_config,
                    plugin_config,
                )));
            }
        }
        let (Some(key_path), Some(cert_path)) =
            (entry.key_path.as_deref(), entry.cert_path.as_deref())
        else {
            bail!("key path not specified");
        };
        Ok(Box::new(LocalSigner::from_files(
            key_path.as_ref(),
            cert_path.as_ref(),
        )?))
    }

    /// The timestamping authority `--timestamp-url` and `--timestamp-root-cert` name, with
    /// the CRL file cache for its chain's revocation check (as `verify` sets it up).
    pub fn tsa(&self, ctx: &Context, log: Log) -> anyhow::Result<Option<Tsa>> {
        let out = ctx.out;
        let (Some(url), Some(root)) = (&self.timestamp_url, &self.timestamp_root_cert) else {
            return Ok(None);
        };
        log.info(&format!(
            "Configured to timestamp with TSA {}",
            GoQuoted(url)
        ));
        let root = read_tsa_root(root)?;
        let revocation = Validator::new(Some(ctx.dirs.crl_cache()));
        if let Some(w) = revocation.cache_warning() {
            out.warn(w);
        }
        Ok(Some(Tsa {
            url: url.clone(),
            root,
            revocation: Some(Arc::new(revocation)),
        }))
    }
}

/// What a signature carries besides the signer's own: format, expiry, `-m` pairs, TSA.
pub fn sign_options(
    format: Format,
    expiry: Option<time::Duration>,
    user_metadata: BTreeMap<String, String>,
    tsa: Option<Tsa>,
) -> SignOptions {
    SignOptions {
        format,
        expiry,
        user_metadata,
        signing_agent: notation::version::SIGNING_AGENT.to_string(),
        tsa,
    }
}

/// The `--timestamp-root-cert` file: exactly one self-issued certificate that verifies as
/// its own issuer (notation `sign.go`, internal/x509 `NewRootCertPool`, `IsRootCertificate`).
fn read_tsa_root(path: &str) -> anyhow::Result<Certificate> {
    let expecting = "Expecting single x509 root certificate in PEM or DER format from the file";
    let mut certs = notation::truststore::read_certificate_file(path.as_ref())?;
    if certs.is_empty() {
        bail!(
            "cannot find any certificate from {}. {expecting}",
            GoQuoted(path)
        );
    }
    if certs.len() > 1 {
        bail!(
            "found more than one certificates from {}. {expecting}",
            GoQuoted(path)
        );
    }
    let root = certs.remove(0);
    // notation's IsRootCertificate checks the self-signature before comparing the names.
    check_signature(&root, &root, SignatureCheck::IssuedBy)
        .map_err(|e| anyhow!("failed to check root certificate with error: {e}"))?;
    if root.raw_subject() != root.raw_issuer() {
        bail!(
            "certificate from {} is not a root certificate. {expecting}",
            GoQuoted(path)
        );
    }
    Ok(root)
}

/// `--signature-format`, else config.json's `signatureFormat`, else JWS.
fn signature_format(flag: Option<&str>, config: Option<&str>) -> anyhow::Result<Format> {
    let name = flag
        .map(str::to_string)
        .or_else(|| config.map(str::to_lowercase))
        .unwrap_or_default();
    let name = if name.is_empty() {
        "jws".to_string()
    } else {
        name
    };
    Format::from_name(&name).ok_or_else(|| {
        anyhow!(
            "signature format {} not supported\nSupported signature envelope formats are \"jws\" and \"cose\"",
            GoQuoted(&name)
        )
    })
}
