//! A throw-away PKI made with `openssl` for revocation tests: a root CA, an intermediate CA,
//! leaf certificates whose AIA/CDP extensions point at local services, a real OCSP
//! responder (`openssl ocsp`) and CRLs made by `openssl ca -gencrl`, served by a small
//! static HTTP server.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// Run `openssl` with `args` in `dir`, failing the test on error.
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

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Which revocation information a certificate carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevInfo {
    None,
    Ocsp,
    Crl,
    OcspAndCrl,
}

impl RevInfo {
    fn section(self, ca: Ca) -> String {
        let kind = match self {
            RevInfo::None => "none",
            RevInfo::Ocsp => "ocsp",
            RevInfo::Crl => "crl",
            RevInfo::OcspAndCrl => "both",
        };
        let role = match ca {
            Ca::Root => "int",
            Ca::Intermediate => "leaf",
        };
        format!("{role}_{kind}")
    }
}

/// The two CAs of the test PKI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ca {
    Root,
    Intermediate,
}

impl Ca {
    fn name(self) -> &'static str {
        match self {
            Ca::Root => "root",
            Ca::Intermediate => "int",
        }
    }
}

/// The test PKI in a temp dir. CRLs are published as `<crl_dir>/root.crl` and `int.crl`
/// (DER) and served at `http://127.0.0.1:<crl_port>/<name>`; the OCSP responder for the
/// intermediate CA listens on `ocsp_port`.
pub struct Pki {
    pub dir: tempfile::TempDir,
    pub ocsp_port: u16,
    pub crl_server: CrlServer,
    intermediate_rev: RevInfo,
}

const CONFIG: &str = r#"
[ ca ]
default_ca = int

[ root ]
dir = ./root
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $dir/serial
crlnumber = $dir/crlnumber
certificate = ./root.crt
private_key = ./root.key
default_md = sha256
policy = policy_any
unique_subject = no
default_days = 30
default_crl_days = 1

[ int ]
dir = ./int
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $dir/serial
crlnumber = $dir/crlnumber
certificate = ./int.crt
private_key = ./int.key
default_md = sha256
policy = policy_any
unique_subject = no
default_days = 30
default_crl_days = 1

[ policy_any ]
countryName = optional
stateOrProvinceName = optional
organizationName = optional
commonName = supplied

[ int_none ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign

[ int_crl ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
crlDistributionPoints = URI:http://127.0.0.1:CRLPORT/root.crl

[ leaf_none ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning

[ leaf_ocsp ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
authorityInfoAccess = OCSP;URI:http://127.0.0.1:OCSPPORT

[ leaf_crl ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
crlDistributionPoints = URI:http://127.0.0.1:CRLPORT/int.crl

[ leaf_both ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
authorityInfoAccess = OCSP;URI:http://127.0.0.1:OCSPPORT
crlDistributionPoints = URI:http://127.0.0.1:CRLPORT/int.crl

[ ocsp_signer ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
"#;

const EC: [&str; 4] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

impl Pki {
    /// Root, intermediate (with `intermediate` revocation info, checked against the root
    /// CRL) and an OCSP signing certificate; CRLs of both CAs published (nothing revoked).
    pub fn new(intermediate: RevInfo) -> Pki {
        assert!(
            matches!(intermediate, RevInfo::None | RevInfo::Crl),
            "the intermediate can only carry a CDP"
        );
        let dir = tempfile::tempdir().unwrap();
        let crl_server = CrlServer::start(dir.path().join("published"));
        let ocsp_port = free_port();
        let config = CONFIG
            .replace("CRLPORT", &crl_server.port.to_string())
            .replace("OCSPPORT", &ocsp_port.to_string());
        std::fs::write(dir.path().join("ca.cnf"), config).unwrap();
        for ca in ["root", "int"] {
            let d = dir.path().join(ca);
            std::fs::create_dir_all(d.join("new")).unwrap();
            std::fs::write(d.join("index.txt"), "").unwrap();
            std::fs::write(d.join("serial"), "1000\n").unwrap();
            std::fs::write(d.join("crlnumber"), "1000\n").unwrap();
        }
        let p = dir.path();
        let mut root = vec![
            "req", "-x509", "-nodes", "-keyout", "root.key", "-out", "root.crt",
        ];
        root.extend(EC);
        root.extend([
            "-days",
            "30",
            "-subj",
            "/C=US/ST=WA/O=Revocation Test/CN=Test Root",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(p, &root);
        let pki = Pki {
            dir,
            ocsp_port,
            crl_server,
            intermediate_rev: intermediate,
        };
        pki.issue(
            Ca::Root,
            "int",
            "Test Intermediate",
            intermediate.section(Ca::Root).as_str(),
        );
        pki.issue(
            Ca::Intermediate,
            "ocsp",
            "Test OCSP Responder",
            "ocsp_signer",
        );
        pki.publish_crl(Ca::Root, &[]);
        pki.publish_crl(Ca::Intermediate, &[]);
        pki
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Issue `<name>.crt` / `<name>.key` from `ca` with the extension section `section`.
    fn issue(&self, ca: Ca, name: &str, cn: &str, section: &str) {
        let p = self.path();
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let crt = format!("{name}.crt");
        let subj = format!("/C=US/ST=WA/O=Revocation Test/CN={cn}");
        let mut req = vec![
            "req", "-new", "-nodes", "-keyout", &key, "-out", &csr, "-subj", &subj,
        ];
        req.extend(EC);
        openssl(p, &req);
        openssl(
            p,
            &[
                "ca",
                "-batch",
                "-notext",
                "-config",
                "ca.cnf",
                "-name",
                ca.name(),
                "-extensions",
                section,
                "-in",
                &csr,
                "-out",
                &crt,
            ],
        );
    }

    /// Issue a code-signing leaf from the intermediate and write `<name>.chain.pem`
    /// (leaf, intermediate, root). Returns the leaf subject as Go prints it.
    pub fn leaf(&self, name: &str, rev: RevInfo) -> String {
        assert!(!["root", "int", "ocsp"].contains(&name), "{name} is taken");
        let cn = format!("Leaf {name}");
        self.issue(Ca::Intermediate, name, &cn, &rev.section(Ca::Intermediate));
        let p = self.path();
        let chain: String = [format!("{name}.crt"), "int.crt".into(), "root.crt".into()]
            .iter()
            .map(|f| std::fs::read_to_string(p.join(f)).unwrap())
            .collect();
        std::fs::write(p.join(format!("{name}.chain.pem")), chain).unwrap();
        format!("CN={cn},O=Revocation Test,ST=WA,C=US")
    }

    /// The intermediate's subject as Go prints it.
    pub fn intermediate_subject(&self) -> &'static str {
        "CN=Test Intermediate,O=Revocation Test,ST=WA,C=US"
    }

    /// Whether the intermediate carries a CDP.
    pub fn intermediate_rev(&self) -> RevInfo {
        self.intermediate_rev
    }

    /// Mark `<name>.crt` revoked in `ca`'s database (affects CRLs generated afterwards and
    /// OCSP responders started afterwards).
    pub fn revoke(&self, ca: Ca, name: &str) {
        openssl(
            self.path(),
            &[
                "ca",
                "-config",
                "ca.cnf",
                "-name",
                ca.name(),
                "-revoke",
                &format!("{name}.crt"),
            ],
        );
    }

    /// Revoke `<name>.crt` as key-compromised with invalidity date `invalid_from`
    /// (`YYYYMMDDHHMMSSZ`); CRL entries and OCSP responses then carry the date.
    pub fn revoke_compromised(&self, ca: Ca, name: &str, invalid_from: &str) {
        openssl(
            self.path(),
            &[
                "ca",
                "-config",
                "ca.cnf",
                "-name",
                ca.name(),
                "-revoke",
                &format!("{name}.crt"),
                "-crl_compromise",
                invalid_from,
            ],
        );
    }

    /// Put `<name>.crt` on hold (reason certificateHold) in `ca`'s database.
    pub fn hold(&self, ca: Ca, name: &str) {
        openssl(
            self.path(),
            &[
                "ca",
                "-config",
                "ca.cnf",
                "-name",
                ca.name(),
                "-revoke",
                &format!("{name}.crt"),
                "-crl_hold",
                "1.2.840.10040.2.2",
            ],
        );
    }

    /// Rewrite the revocation of leaf `<name>` in the intermediate's database as
    /// `removeFromCRL` one minute from now (later than any earlier entry).
    pub fn remove_from_crl(&self, name: &str) {
        let index = self.path().join("int/index.txt");
        let when = &openssl_time(60)[2..]; // UTCTime: YYMMDDHHMMSSZ
        let subject = format!("/CN=Leaf {name}");
        let text: String = std::fs::read_to_string(&index)
            .unwrap()
            .lines()
            .map(|line| {
                let mut fields: Vec<String> = line.split('\t').map(str::to_owned).collect();
                if fields[0] == "R" && fields[5].ends_with(&subject) {
                    fields[2] = format!("{when},removeFromCRL");
                }
                fields.join("\t") + "\n"
            })
            .collect();
        std::fs::write(index, text).unwrap();
    }

    /// `[leaf, intermediate, root]` of `<name>.chain.pem`, parsed.
    pub fn chain(&self, name: &str) -> Vec<notation::x509::Certificate> {
        let pem = std::fs::read(self.path().join(format!("{name}.chain.pem"))).unwrap();
        notation::x509::parse_certificates(&pem).unwrap()
    }

    /// Generate `ca`'s CRL with `extra` options (e.g. `-crl_nextupdate`) and publish it
    /// (DER) as `<ca>.crl`. Returns the DER bytes.
    pub fn publish_crl(&self, ca: Ca, extra: &[&str]) -> Vec<u8> {
        let der = self.make_crl(ca, extra);
        let published = self.crl_server.root.join(format!("{}.crl", ca.name()));
        std::fs::write(published, &der).unwrap();
        der
    }

    /// Generate `ca`'s CRL (DER) without publishing it.
    pub fn make_crl(&self, ca: Ca, extra: &[&str]) -> Vec<u8> {
        let p = self.path();
        let pem = format!("{}.crl.pem", ca.name());
        let der = format!("{}.crl.der", ca.name());
        let mut args = vec![
            "ca",
            "-config",
            "ca.cnf",
            "-name",
            ca.name(),
            "-gencrl",
            "-out",
            &pem,
        ];
        args.extend(extra);
        openssl(p, &args);
        openssl(p, &["crl", "-in", &pem, "-outform", "DER", "-out", &der]);
        std::fs::read(p.join(der)).unwrap()
    }

    /// Publish a base CRL of the intermediate whose Freshest CRL extension points at
    /// `int-delta.crl`, run `between` (e.g. a revocation), then publish the delta CRL
    /// (delta CRL indicator = the base's CRL number). Returns (base, delta) DER.
    pub fn publish_base_and_delta(&self, between: impl FnOnce(&Pki)) -> (Vec<u8>, Vec<u8>) {
        let p = self.path();
        let number_hex = std::fs::read_to_string(p.join("int/crlnumber")).unwrap();
        let number = u64::from_str_radix(number_hex.trim(), 16).unwrap();
        let mut bytes: Vec<u8> = number
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        if bytes.first().is_none_or(|b| b & 0x80 != 0) {
            bytes.insert(0, 0);
        }
        let der_int: Vec<String> = [vec![0x02, bytes.len() as u8], bytes]
            .concat()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        let sections = format!(
            "\n[ crl_base_{number} ]\nfreshestCRL = URI:http://127.0.0.1:{port}/int-delta.crl\n\n[ crl_delta_{number} ]\n2.5.29.27 = critical,DER:{der}\n",
            port = self.crl_server.port,
            der = der_int.join(":")
        );
        let mut config = std::fs::read_to_string(p.join("ca.cnf")).unwrap();
        config.push_str(&sections);
        std::fs::write(p.join("ca.cnf"), config).unwrap();
        let base = self.publish_crl(
            Ca::Intermediate,
            &["-crlexts", &format!("crl_base_{number}")],
        );
        between(self);
        let delta = self.make_crl(
            Ca::Intermediate,
            &["-crlexts", &format!("crl_delta_{number}")],
        );
        std::fs::write(self.crl_server.root.join("int-delta.crl"), &delta).unwrap();
        (base, delta)
    }

    /// The URL a CA's CRL is served at.
    pub fn crl_url(&self, ca: Ca) -> String {
        format!(
            "http://127.0.0.1:{}/{}.crl",
            self.crl_server.port,
            ca.name()
        )
    }

    /// Start `openssl ocsp` for the intermediate CA's database, signing with the delegated
    /// responder certificate. `next_update` adds `-nmin 60` (without it responses carry no
    /// nextUpdate).
    pub fn start_ocsp(&self, next_update: bool) -> OcspResponder {
        self.start_ocsp_signed_by("ocsp", next_update)
    }

    /// [`Pki::start_ocsp`] signing responses with `<signer>.crt` / `<signer>.key`.
    pub fn start_ocsp_signed_by(&self, signer: &str, next_update: bool) -> OcspResponder {
        let port = self.ocsp_port.to_string();
        let (crt, key) = (format!("{signer}.crt"), format!("{signer}.key"));
        let mut args = vec![
            "ocsp",
            "-index",
            "int/index.txt",
            "-port",
            &port,
            "-CA",
            "int.crt",
            "-rsigner",
            &crt,
            "-rkey",
            &key,
            "-ignore_err",
        ];
        if next_update {
            args.extend(["-nmin", "60"]);
        }
        let mut child = Command::new("openssl")
            .current_dir(self.path())
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("openssl ocsp starts");
        // Wait for its "waiting for OCSP client connections" line (a probing connection
        // would wedge the responder), then keep draining its log.
        let mut log = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            let n = log.read_line(&mut line).unwrap();
            assert!(n > 0, "openssl ocsp exited before listening");
            if line.contains("waiting for OCSP client connections") {
                break;
            }
        }
        thread::spawn(move || {
            let mut sink = String::new();
            while log.read_line(&mut sink).unwrap_or(0) > 0 {
                sink.clear();
            }
        });
        OcspResponder { child }
    }
}

/// A running `openssl ocsp`; stopped when dropped.
pub struct OcspResponder {
    child: Child,
}

impl Drop for OcspResponder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A static HTTP/1.1 server for the files of one directory, with a request counter.
/// After [`CrlServer::stop`] the port refuses connections.
pub struct CrlServer {
    pub port: u16,
    pub root: PathBuf,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Mutex<Option<thread::JoinHandle<()>>>,
}

impl CrlServer {
    fn start(root: PathBuf) -> CrlServer {
        std::fs::create_dir_all(&root).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (dir, count, halt) = (root.clone(), requests.clone(), stop.clone());
        let thread = thread::spawn(move || {
            while !halt.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        count.fetch_add(1, Ordering::SeqCst);
                        serve(stream, &dir);
                    }
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        CrlServer {
            port,
            root,
            requests,
            stop,
            thread: Mutex::new(Some(thread)),
        }
    }

    /// Requests served so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Stop serving and close the port.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.lock().unwrap().take() {
            t.join().unwrap();
        }
    }
}

impl Drop for CrlServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Answer one request: `GET /<file>` → the file, anything else → 404. One request per
/// connection.
fn serve(stream: TcpStream, root: &Path) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_lowercase(), v.trim().to_string());
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let file = root.join(path.trim_start_matches('/'));
    let body = (method == "GET" && !path.contains("..") && file.is_file())
        .then(|| std::fs::read(&file).ok())
        .flatten();
    let mut out = stream;
    let head = match &body {
        Some(b) => format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            b.len()
        ),
        None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into(),
    };
    let _ = out.write_all(head.as_bytes());
    if let Some(b) = body {
        let _ = out.write_all(&b);
    }
    let _ = out.flush();
}

/// `YYYYMMDDHHMMSSZ` for `now + offset_secs` (openssl's `-crl_nextupdate` format).
pub fn openssl_time(offset_secs: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(offset_secs);
    let f = time::macros::format_description!("[year][month][day][hour][minute][second]Z");
    t.format(&f).unwrap()
}
