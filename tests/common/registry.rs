//! Real registries for the tests: Debian's `docker-registry` (CNCF distribution 2.8.2) on
//! 127.0.0.1 with its storage in a temp dir, and a stand-in for the referrers API.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const USERNAME: &str = "testuser";
pub const PASSWORD: &str = "testpassword";

/// How to configure a test registry.
#[derive(Clone, Debug)]
pub struct Config {
    /// Require htpasswd basic auth for USERNAME/PASSWORD.
    pub basic_auth: bool,
    /// Serve HTTPS with [`Config::server_cert`] ([`TestRegistry::ca_file`] trusts it).
    pub tls: bool,
    /// The certificate served when `tls` is set.
    pub server_cert: ServerCert,
    /// Allow manifest DELETE (the referrers index GC).
    pub delete_enabled: bool,
    /// Distribution token auth: (realm URL, PEM certificate whose key signs the tokens).
    pub token_auth: Option<(String, PathBuf)>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            basic_auth: false,
            tls: false,
            server_cert: ServerCert::CaSigned,
            delete_enabled: true,
            token_auth: None,
        }
    }
}

/// The TLS certificate a test registry serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerCert {
    /// For localhost and 127.0.0.1, signed by a CA made for the test.
    CaSigned,
    /// The same with `CA:TRUE` on the server certificate (Go accepts it; webpki does not).
    CaSignedCaTrue,
    /// What `openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=x -addext
    /// subjectAltName=<san>` makes: self-signed, with openssl's default `CA:TRUE`.
    SelfSigned { san: String },
    /// Self-signed for 127.0.0.1, valid only in 2020 (made with rcgen: openssl 3.0 cannot
    /// back-date a certificate).
    Expired,
}

/// A running `docker-registry serve`, killed on drop.
pub struct TestRegistry {
    child: Child,
    pub dir: tempfile::TempDir,
    pub port: u16,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TestRegistry {
    /// Start a registry; panics (failing the test) if `docker-registry` is missing.
    pub fn start(config: Config) -> TestRegistry {
        let dir = tempfile::tempdir().unwrap();
        let mut extra = String::new();
        if config.basic_auth {
            let out = Command::new("htpasswd")
                .args(["-Bbn", USERNAME, PASSWORD])
                .output()
                .expect("htpasswd (apache2-utils) is installed");
            assert!(out.status.success());
            std::fs::write(dir.path().join("htpasswd"), out.stdout).unwrap();
            extra.push_str(&format!(
                "auth: {{htpasswd: {{realm: basic-realm, path: {}}}}}\n",
                dir.path().join("htpasswd").display()
            ));
        }
        if let Some((realm, cert)) = &config.token_auth {
            extra.push_str(&format!(
                "auth: {{token: {{realm: \"{realm}\", service: test-registry, issuer: test-issuer, rootcertbundle: {}}}}}\n",
                cert.display()
            ));
        }
        let mut tls = String::new();
        if config.tls {
            match &config.server_cert {
                ServerCert::CaSigned => make_certificate(dir.path(), false),
                ServerCert::CaSignedCaTrue => make_certificate(dir.path(), true),
                ServerCert::SelfSigned { san } => make_self_signed(dir.path(), san),
                ServerCert::Expired => make_expired(dir.path()),
            }
            tls = format!(
                ", tls: {{certificate: {}, key: {}}}",
                dir.path().join("tls.crt").display(),
                dir.path().join("tls.key").display()
            );
        }
        for _ in 0..5 {
            let port = free_port();
            let yaml = format!(
                "version: 0.1\nlog: {{level: error, accesslog: {{disabled: true}}}}\nstorage:\n  filesystem: {{rootdirectory: {data}}}\n  delete: {{enabled: {delete}}}\nhttp: {{addr: \"127.0.0.1:{port}\", secret: test-secret{tls}}}\n{extra}",
                data = dir.path().join("data").display(),
                delete = config.delete_enabled,
            );
            let cfg_path = dir.path().join("config.yml");
            std::fs::write(&cfg_path, yaml).unwrap();
            let mut child = Command::new("docker-registry")
                .arg("serve")
                .arg(&cfg_path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("docker-registry is installed (scripts/test.sh installs it)");
            if wait_ready(&mut child, port, config.tls) {
                return TestRegistry { child, dir, port };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("docker-registry did not start");
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The CA certificate that signed the TLS certificate (a self-signed one trusts itself).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Poll until `/v2/` answers (any HTTP status; TLS: until the port accepts).
fn wait_ready(child: &mut Child, port: u16, tls: bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            if tls {
                return true;
            }
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = s.write_all(b"GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
            let mut buf = [0u8; 12];
            if s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.") {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    false
}

/// `openssl req -x509`: a new RSA-2048 key at `key` and a self-signed certificate for
/// `subject`, valid for two days, with `extensions` (`-addext` values) at `cert`.
pub fn self_signed_rsa(subject: &str, extensions: &[&str], key: &Path, cert: &Path) {
    let mut cmd = Command::new("openssl");
    cmd.args([
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", subject,
    ]);
    for ext in extensions {
        cmd.args(["-addext", ext]);
    }
    cmd.arg("-keyout").arg(key).arg("-out").arg(cert);
    run(&mut cmd);
}

/// A CA and a server certificate for localhost / 127.0.0.1 signed by it.
fn make_certificate(dir: &Path, leaf_is_ca: bool) {
    let p = |f: &str| dir.join(f).display().to_string();
    self_signed_rsa(
        "/CN=notation-rs test CA",
        &[
            "basicConstraints=critical,CA:TRUE",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        &dir.join("ca.key"),
        &dir.join("ca.crt"),
    );
    run(Command::new("openssl").args([
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &p("tls.key"),
        "-out",
        &p("tls.csr"),
    ]));
    std::fs::write(
        dir.join("ext.cnf"),
        format!(
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:{}\n",
            if leaf_is_ca { "TRUE" } else { "FALSE" }
        ),
    )
    .unwrap();
    run(Command::new("openssl").args([
        "x509",
        "-req",
        "-in",
        &p("tls.csr"),
        "-CA",
        &p("ca.crt"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &p("ext.cnf"),
        "-out",
        &p("tls.crt"),
    ]));
}

/// `openssl req -x509` with its defaults (CA:TRUE), trusted as its own CA.
fn make_self_signed(dir: &Path, san: &str) {
    self_signed_rsa(
        "/CN=x",
        &[&format!("subjectAltName={san}")],
        &dir.join("tls.key"),
        &dir.join("tls.crt"),
    );
    std::fs::copy(dir.join("tls.crt"), dir.join("ca.crt")).unwrap();
}

/// A self-signed certificate for 127.0.0.1 that expired at the end of 2020.
fn make_expired(dir: &Path) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.not_before = time::macros::datetime!(2020-01-01 00:00 UTC);
    params.not_after = time::macros::datetime!(2020-12-31 00:00 UTC);
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(dir.join("tls.crt"), cert.pem()).unwrap();
    std::fs::write(dir.join("ca.crt"), cert.pem()).unwrap();
    std::fs::write(dir.join("tls.key"), key.serialize_pem()).unwrap();
}
