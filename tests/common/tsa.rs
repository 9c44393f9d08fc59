//! A real RFC 3161 timestamp authority for tests: `openssl ts -reply` behind a minimal HTTP
//! handler, plus the test PKI (signing root and leaves, TSA root and TSA certificate), all
//! made with the `openssl` command.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use time::OffsetDateTime;

/// Extension profiles used for every certificate of the test PKI.
const EXTENSIONS: &str = r#"
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_root ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_tsa ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_tsa_unknown_critical ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
1.3.6.1.4.1.55555.1 = critical,ASN1:NULL
[ v3_int_tsa ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
extendedKeyUsage = timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_int_codesigning ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"#;

/// Runs openssl in `dir`, panicking with its stderr on failure.
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// openssl's `-startdate`/`-enddate` form.
fn asn1_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A directory of test certificates and keys.
pub struct Pki {
    pub dir: PathBuf,
}

impl Pki {
    /// Creates, in `dir`: a code-signing root `root.{key,crt}`, a TSA root
    /// `tsaroot.{key,crt}` and a TSA certificate `tsa.{key,crt}` issued by it.
    pub fn new(dir: &Path) -> Pki {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("ext.cnf"), EXTENSIONS).unwrap();
        let pki = Pki {
            dir: dir.to_path_buf(),
        };
        pki.root(
            "root",
            "/C=US/ST=WA/L=Seattle/O=Notary Test/CN=Signing Root",
        );
        pki.root("tsaroot", "/C=US/ST=WA/L=Seattle/O=Notary Test/CN=TSA Root");
        pki.issue(
            "tsa",
            "tsaroot",
            "v3_tsa",
            "/C=US/ST=WA/O=Notary Test/CN=Test TSA",
            None,
        );
        pki
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A self-signed CA valid from yesterday (so that `genTime - accuracy` of a token made
    /// right away is inside its validity) for ten years.
    fn root(&self, name: &str, subject: &str) {
        let now = OffsetDateTime::now_utc();
        self.issue(
            name,
            name,
            "v3_root",
            subject,
            Some((
                now - time::Duration::days(1),
                now + time::Duration::days(3650),
            )),
        );
    }

    /// Issues `<name>.{key,crt}` (an RSA key unless `<name>.key` exists) from `<issuer>`
    /// with the extension profile `profile`;
    /// with `validity`, the certificate is valid exactly from `.0` to `.1`.
    pub fn issue(
        &self,
        name: &str,
        issuer: &str,
        profile: &str,
        subject: &str,
        validity: Option<(OffsetDateTime, OffsetDateTime)>,
    ) {
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        if !self.path(&key).exists() {
            openssl(&self.dir, &["genrsa", "-out", &key, "2048"]);
        }
        openssl(
            &self.dir,
            &[
                "req", "-new", "-key", &key, "-subj", subject, "-config", "ext.cnf", "-out", &csr,
            ],
        );
        let (from, to) = validity.unwrap_or_else(|| {
            let now = OffsetDateTime::now_utc();
            (
                now - time::Duration::days(1),
                now + time::Duration::days(365),
            )
        });
        let ca_dir = self.dir.join(format!("ca-{name}"));
        std::fs::create_dir_all(&ca_dir).unwrap();
        std::fs::write(ca_dir.join("index.txt"), "").unwrap();
        let serial: u64 =
            0x1000 + (OffsetDateTime::now_utc().unix_timestamp_nanos() % 0xffff_ffff) as u64;
        std::fs::write(ca_dir.join("serial"), format!("{serial:016X}\n")).unwrap();
        let ca_cnf = format!(
            "[ ca ]\ndefault_ca = d\n[ d ]\ndir = {}\ndatabase = $dir/index.txt\nnew_certs_dir = $dir\nserial = $dir/serial\ncrlnumber = $dir/crlnumber\ndefault_crl_days = 1\ndefault_md = sha256\npolicy = any\nunique_subject = no\n[ any ]\ncommonName = supplied\n",
            ca_dir.display()
        );
        std::fs::write(ca_dir.join("ca.cnf"), ca_cnf).unwrap();
        std::fs::write(ca_dir.join("crlnumber"), "01\n").unwrap();
        let mut args: Vec<String> = ["ca", "-batch", "-notext", "-preserveDN", "-config"]
            .map(String::from)
            .to_vec();
        args.push(ca_dir.join("ca.cnf").display().to_string());
        // A certificate issued by itself is a self-signed root.
        if issuer == name {
            args.push("-selfsign".into());
        } else {
            args.extend(["-cert".into(), format!("{issuer}.crt")]);
        }
        args.extend([
            "-keyfile".into(),
            format!("{issuer}.key"),
            "-in".into(),
            csr,
            "-out".into(),
            format!("{name}.crt"),
            "-startdate".into(),
            asn1_time(from),
            "-enddate".into(),
            asn1_time(to),
            "-extfile".into(),
            "ext.cnf".into(),
            "-extensions".into(),
            profile.into(),
        ]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        openssl(&self.dir, &args);
    }

    /// Issues a TSA certificate `<name>` from `tsaroot` whose CRL distribution point is
    /// `crl_url`.
    pub fn tsa_with_crl(&self, name: &str, subject: &str, crl_url: &str) {
        let profile = format!("v3_tsa_crl_{name}");
        let mut ext = std::fs::read_to_string(self.path("ext.cnf")).unwrap();
        ext.push_str(&format!(
            "[ {profile} ]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = critical,timeStamping\ncrlDistributionPoints = URI:{crl_url}\n"
        ));
        std::fs::write(self.path("ext.cnf"), ext).unwrap();
        self.issue(name, "tsaroot", &profile, subject, None);
    }

    /// Writes (DER, to `out`) the CRL of the CA that issued `name`, listing `name` when
    /// `revoked`.
    pub fn crl_for(&self, name: &str, issuer: &str, revoked: bool, out: &Path) {
        let cnf = self
            .dir
            .join(format!("ca-{name}"))
            .join("ca.cnf")
            .display()
            .to_string();
        let (cert, key) = (format!("{issuer}.crt"), format!("{issuer}.key"));
        if revoked {
            openssl(
                &self.dir,
                &[
                    "ca",
                    "-config",
                    &cnf,
                    "-cert",
                    &cert,
                    "-keyfile",
                    &key,
                    "-revoke",
                    &format!("{name}.crt"),
                ],
            );
        }
        let pem = format!("{name}.crl.pem");
        openssl(
            &self.dir,
            &[
                "ca", "-config", &cnf, "-cert", &cert, "-keyfile", &key, "-gencrl", "-out", &pem,
            ],
        );
        openssl(
            &self.dir,
            &[
                "crl",
                "-in",
                &pem,
                "-outform",
                "DER",
                "-out",
                &out.display().to_string(),
            ],
        );
    }

    /// Creates `<name>.key` as an EC key on `curve` (e.g. `P-384`); a later
    /// [`Pki::issue`] or [`Pki::signing_leaf`] of `name` certifies it.
    pub fn ec_key(&self, name: &str, curve: &str) {
        openssl(
            &self.dir,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                &format!("ec_paramgen_curve:{curve}"),
                "-out",
                &format!("{name}.key"),
            ],
        );
    }

    /// Issues a code-signing leaf from `root` and writes `<name>-chain.crt` (leaf, root),
    /// the form notation's `signingkeys.json` expects.
    pub fn signing_leaf(&self, name: &str, validity: Option<(OffsetDateTime, OffsetDateTime)>) {
        self.issue(
            name,
            "root",
            "v3_leaf",
            "/C=US/ST=WA/L=Seattle/O=Notary Test/CN=Test Signer",
            validity,
        );
        let mut chain = std::fs::read(self.path(&format!("{name}.crt"))).unwrap();
        chain.extend(std::fs::read(self.path("root.crt")).unwrap());
        std::fs::write(self.path(&format!("{name}-chain.crt")), chain).unwrap();
    }
}

/// How the TSA answers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Grants SHA-256/384/512 requests.
    Grant,
    /// Only knows SHA-1: every notation request is rejected with `badAlg`.
    RejectDigests,
    /// Answers HTTP 500.
    HttpError,
    /// Grants, but labels the reply `application/octet-stream`.
    WrongContentType,
}

/// A running TSA; its thread lives until the test process ends.
pub struct Tsa {
    pub url: String,
    work: PathBuf,
}

impl Tsa {
    /// Starts a TSA that signs with `pki`'s `tsa.{key,crt}`.
    pub fn start(pki: &Pki, mode: Mode) -> Tsa {
        Tsa::start_with(pki, mode, "tsa", None)
    }

    /// Starts a TSA that signs with `pki`'s `<signer>.{key,crt}` and also puts the
    /// certificate file `extra_certs` (e.g. an intermediate) into its tokens.
    pub fn start_with(pki: &Pki, mode: Mode, signer: &str, extra_certs: Option<&str>) -> Tsa {
        let work = pki.dir.join(format!("tsa-{}", rand_suffix()));
        std::fs::create_dir_all(&work).unwrap();
        let digests = match mode {
            Mode::RejectDigests => "sha1",
            _ => "sha256, sha384, sha512",
        };
        let certs = extra_certs
            .map(|c| format!("certs = {}\n", pki.path(c).display()))
            .unwrap_or_default();
        let cnf = format!(
            "[ tsa ]\ndefault_tsa = t\n[ t ]\n{certs}dir = {dir}\nserial = $dir/serial\ncrypto_device = builtin\nsigner_cert = {cert}\nsigner_key = {key}\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = {digests}\naccuracy = secs:1\nordering = no\ntsa_name = yes\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n",
            dir = work.display(),
            cert = pki.path(&format!("{signer}.crt")).display(),
            key = pki.path(&format!("{signer}.key")).display(),
        );
        std::fs::write(work.join("tsa.cnf"), cnf).unwrap();
        std::fs::write(work.join("serial"), "01\n").unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/tsa", listener.local_addr().unwrap());
        let served = work.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = serve(stream, &served, mode);
            }
        });
        Tsa { url, work }
    }

    /// A token over `data` straight from openssl (no HTTP, no notation), e.g. to plant a
    /// token notation would refuse to obtain.
    pub fn token_for(&self, data: &[u8]) -> Vec<u8> {
        let id = rand_suffix();
        let file = |ext: &str| self.work.join(format!("{id}.{ext}")).display().to_string();
        std::fs::write(file("dat"), data).unwrap();
        openssl(
            &self.work,
            &[
                "ts",
                "-query",
                "-data",
                &file("dat"),
                "-sha256",
                "-cert",
                "-out",
                &file("tsq"),
            ],
        );
        openssl(
            &self.work,
            &[
                "ts",
                "-reply",
                "-config",
                "tsa.cnf",
                "-queryfile",
                &file("tsq"),
                "-token_out",
                "-out",
                &file("tok"),
            ],
        );
        std::fs::read(file("tok")).unwrap()
    }
}

fn rand_suffix() -> u128 {
    OffsetDateTime::now_utc().unix_timestamp_nanos() as u128
}

/// One HTTP exchange: read the POSTed query, answer with `openssl ts -reply`'s response.
fn serve(stream: TcpStream, work: &Path, mode: Mode) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut query = vec![0u8; length];
    reader.read_exact(&mut query)?;
    let mut stream = stream;
    if mode == Mode::HttpError {
        return stream.write_all(
            b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    }
    let id = rand_suffix();
    let q = work.join(format!("{id}.tsq"));
    let r = work.join(format!("{id}.tsr"));
    std::fs::write(&q, &query)?;
    let out = Command::new("openssl")
        .args(["ts", "-reply", "-config"])
        .arg(work.join("tsa.cnf"))
        .arg("-queryfile")
        .arg(&q)
        .arg("-out")
        .arg(&r)
        .output()?;
    let reply = if out.status.success() {
        std::fs::read(&r)?
    } else {
        Vec::new()
    };
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        if mode == Mode::WrongContentType {
            "application/octet-stream"
        } else {
            "application/timestamp-reply"
        },
        reply.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(&reply)
}

/// A static HTTP server for the files of one directory (`GET /<file>`), e.g. CRLs.
pub struct FileServer {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl FileServer {
    pub fn start(root: &Path) -> FileServer {
        std::fs::create_dir_all(root).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let root = root.to_path_buf();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = serve_file(stream, &root);
            }
        });
        FileServer { base }
    }
}

fn serve_file(stream: TcpStream, root: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
            break;
        }
    }
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    let file = root.join(path.trim_start_matches('/'));
    let body = (!path.contains(".."))
        .then(|| std::fs::read(file).ok())
        .flatten();
    let mut stream = stream;
    match body {
        Some(b) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                b.len()
            );
            stream.write_all(head.as_bytes())?;
            stream.write_all(&b)
        }
        None => stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    }
}
