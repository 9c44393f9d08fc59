//! Tests of loading and managing trust stores, on the interop PKI fixtures.

use super::*;
use std::fs;
use std::path::PathBuf;

fn pki(name: &str) -> PathBuf {
    let dir = std::env::var_os("NOTATION_INTEROP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/interop"));
    let path = dir.join("pki").join(name);
    assert!(
        path.exists(),
        "interop fixtures missing at {} (set NOTATION_INTEROP_DIR)",
        path.display()
    );
    path
}

struct Home {
    _tmp: tempfile::TempDir,
    dirs: Dirs,
}

fn home() -> Home {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("notation");
    let dirs = Dirs {
        config: config.clone(),
        libexec: config,
        cache: tmp.path().join("cache"),
    };
    Home { _tmp: tmp, dirs }
}

fn store(home: &Home, t: StoreType, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = store_dir(&home.dirs, t, name);
    fs::create_dir_all(&dir).unwrap();
    for (file, src) in files {
        fs::copy(pki(src), dir.join(file)).unwrap();
    }
    dir
}

fn load_err(home: &Home, t: &str, name: &str) -> TrustStoreError {
    match load_certificates(&home.dirs, t, name) {
        Ok(_) => panic!("loading {t}:{name} should fail"),
        Err(e) => e,
    }
}

#[test]
fn store_types_and_names() {
    assert_eq!(
        "signingAuthority".parse::<StoreType>().unwrap(),
        StoreType::SigningAuthority
    );
    assert_eq!(
        "CA".parse::<StoreType>().unwrap_err().to_string(),
        "unsupported store type: CA"
    );
    assert!(is_valid_name("a-b_c.d9"));
    assert!(!is_valid_name(""));
    assert!(!is_valid_name("a/b"));
    assert!(!is_valid_name("a b"));
}

#[test]
fn loads_ca_and_self_signed_certificates_in_name_order() {
    let home = home();
    store(
        &home,
        StoreType::Ca,
        "s",
        &[("b.pem", "root-ca.crt"), ("a.crt", "leaf-selfsigned.crt")],
    );
    let certs = load_certificates(&home.dirs, "ca", "s").unwrap();
    assert_eq!(certs.len(), 2);
    assert!(certs[0].subject().starts_with("CN=leaf-selfsigned,"));
    assert!(certs[1].subject().starts_with("CN=Interop Root CA,"));
}

#[test]
fn rejects_leaf_that_is_neither_ca_nor_self_signed() {
    let home = home();
    store(
        &home,
        StoreType::Ca,
        "leaf-not-ca",
        &[("leaf-rsa2048.crt", "leaf-rsa2048.crt")],
    );
    let e = load_err(&home, "ca", "leaf-not-ca");
    assert_eq!(
        e.to_string(),
        "failed to validate the trusted certificate leaf-rsa2048.crt in trust store leaf-not-ca of type ca"
    );
    assert_eq!(
        e.inner_message().unwrap(),
        "certificate with subject \"CN=leaf-rsa2048,O=Notation-RS Interop,L=Seattle,ST=WA,C=US\" is not a CA certificate or self-signed signing certificate"
    );
    assert!(!e.is_not_exist());
}

#[test]
fn missing_empty_and_invalid_stores() {
    let home = home();
    let e = load_err(&home, "ca", "no-such-store");
    assert_eq!(
        e.to_string(),
        "the trust store \"no-such-store\" of type \"ca\" does not exist"
    );
    assert!(e.is_not_exist());
    store(&home, StoreType::Ca, "empty", &[]);
    assert_eq!(
        load_err(&home, "ca", "empty").to_string(),
        "no x509 certificates were found in trust store \"empty\" of type \"ca\""
    );
    assert_eq!(
        load_err(&home, "tls", "x").to_string(),
        "unsupported trust store type: tls"
    );
    assert_eq!(
        load_err(&home, "ca", "a/b").to_string(),
        "trust store name needs to follow [a-zA-Z0-9_.-]+ format, a/b is invalid"
    );
    let dir = store(&home, StoreType::Ca, "zero", &[]);
    fs::write(dir.join("empty.crt"), b"").unwrap();
    let e = load_err(&home, "ca", "zero");
    assert_eq!(
        e.to_string(),
        "failed to validate the trusted certificate empty.crt in trust store zero of type ca"
    );
    assert_eq!(e.inner_message().unwrap(), "input certs cannot be empty");
    let dir = store(&home, StoreType::Ca, "garbage", &[]);
    fs::write(dir.join("notes.txt"), b"hello").unwrap();
    let e = load_err(&home, "ca", "garbage");
    assert!(e.to_string().starts_with(
        "failed to read the trusted certificate notes.txt in trust store garbage of type ca"
    ));
    assert!(e.inner_message().is_some());
}

#[cfg(unix)]
#[test]
fn symlinks_and_subdirectories_are_refused() {
    let home = home();
    let real = store(&home, StoreType::Ca, "real", &[("root.crt", "root-ca.crt")]);
    let link = store_dir(&home.dirs, StoreType::Ca, "link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    assert_eq!(
        load_err(&home, "ca", "link").to_string(),
        format!(
            "the trust store link of type ca with path {} is not a regular directory (symlinks are not supported)",
            link.display()
        )
    );
    let with_link = store(&home, StoreType::Ca, "with-link", &[]);
    std::os::unix::fs::symlink(real.join("root.crt"), with_link.join("root.crt")).unwrap();
    let e = load_err(&home, "ca", "with-link");
    assert_eq!(
        e.to_string(),
        "trusted certificate root.crt in trust store with-link of type ca is not a regular file (directories or symlinks are not supported)"
    );
    assert_eq!(e.inner_message(), None);
    assert!(!e.is_not_exist());
    let with_dir = store(
        &home,
        StoreType::Ca,
        "with-dir",
        &[("root.crt", "root-ca.crt")],
    );
    fs::create_dir(with_dir.join("sub")).unwrap();
    assert!(matches!(
        load_err(&home, "ca", "with-dir"),
        TrustStoreError::NotRegularFile { .. }
    ));
}

#[test]
fn tsa_stores_need_self_signed_root_cas() {
    let home = home();
    store(
        &home,
        StoreType::Tsa,
        "root",
        &[("root.crt", "root-ca.crt")],
    );
    assert_eq!(
        load_certificates(&home.dirs, "tsa", "root").unwrap().len(),
        1
    );
    store(
        &home,
        StoreType::Tsa,
        "intermediate",
        &[("int.crt", "intermediate-ca.crt")],
    );
    let e = load_err(&home, "tsa", "intermediate").to_string();
    assert!(
        e.starts_with("trusted certificate int.crt in trust store intermediate of type tsa is invalid: certificate with subject \"CN=Interop Intermediate CA,"),
        "{e}"
    );
    store(
        &home,
        StoreType::Tsa,
        "leaf",
        &[("leaf.crt", "leaf-selfsigned.crt")],
    );
    let e = load_err(&home, "tsa", "leaf").to_string();
    assert!(
        e.ends_with("is not a root CA certificate: x509: invalid signature: parent certificate cannot sign this kind of certificate"),
        "{e}"
    );
}

#[test]
fn add_copies_bytes_and_refuses_duplicates() {
    let home = home();
    let src = pki("root-ca.crt");
    let dest = add_certificate(&home.dirs, StoreType::Ca, "s", &src).unwrap();
    assert_eq!(fs::read(&dest).unwrap(), fs::read(&src).unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(dest.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
    }
    assert_eq!(
        add_certificate(&home.dirs, StoreType::Ca, "s", &src)
            .unwrap_err()
            .to_string(),
        "certificate already exists in the Trust Store"
    );
    let missing = home.dirs.config.join("nope.crt");
    assert_eq!(
        add_certificate(&home.dirs, StoreType::Ca, "s", &missing)
            .unwrap_err()
            .to_string(),
        format!("open {}: no such file or directory", missing.display())
    );
    let empty = home.dirs.config.join("empty.crt");
    fs::write(&empty, b"").unwrap();
    assert_eq!(
        add_certificate(&home.dirs, StoreType::Ca, "s", &empty)
            .unwrap_err()
            .to_string(),
        "no valid certificate found in the file"
    );
}

#[test]
fn list_walks_like_upstream() {
    let home = home();
    store(&home, StoreType::Tsa, "t", &[("r.crt", "root-ca.crt")]);
    let ca = store(
        &home,
        StoreType::Ca,
        "b",
        &[("z.crt", "root-ca.crt"), ("a.crt", "leaf-rsa2048.crt")],
    );
    fs::create_dir(ca.join("sub")).unwrap();
    fs::copy(pki("root-ca.crt"), ca.join("sub").join("ignored.crt")).unwrap();
    fs::write(ca.join("empty"), b"").unwrap();
    store(
        &home,
        StoreType::SigningAuthority,
        "b",
        &[("sa.crt", "root-ca.crt")],
    );
    let names = |l: Vec<ListedCertificate>| -> Vec<String> {
        l.into_iter()
            .map(|c| format!("{}/{}/{}", c.store_type, c.store, c.file))
            .collect()
    };
    assert_eq!(
        names(list_certificates(&home.dirs, None, None).unwrap()),
        [
            "ca/b/a.crt",
            "ca/b/z.crt",
            "signingAuthority/b/sa.crt",
            "tsa/t/r.crt"
        ]
    );
    assert_eq!(
        names(list_certificates(&home.dirs, None, Some("b")).unwrap()),
        ["ca/b/a.crt", "ca/b/z.crt", "signingAuthority/b/sa.crt"]
    );
    assert_eq!(
        names(list_certificates(&home.dirs, Some("tsa"), None).unwrap()),
        ["tsa/t/r.crt"]
    );
    assert!(list_certificates(&home.dirs, Some("bogus"), None)
        .unwrap()
        .is_empty());
    assert!(list_certificates(&home.dirs, Some("ca"), Some("none"))
        .unwrap()
        .is_empty());
    fs::write(ca.join("junk.txt"), b"not a certificate").unwrap();
    let e = list_certificates(&home.dirs, None, None).unwrap_err();
    assert_eq!(e.scope, ListScope::All);
    assert!(matches!(e.error, CertFileError::Parse(_)), "{e:?}");
    assert_eq!(e.to_string(), e.error.to_string());
    let e = list_certificates(&home.dirs, Some("ca"), Some("b")).unwrap_err();
    assert_eq!(e.scope, ListScope::TypeAndStore("ca".into(), "b".into()));
}

#[test]
fn delete_store_and_file() {
    let home = home();
    store(
        &home,
        StoreType::Ca,
        "s",
        &[("a.crt", "root-ca.crt"), ("b.crt", "root-ca.crt")],
    );
    delete_certificate(&home.dirs, StoreType::Ca, "s", "a.crt").unwrap();
    let e = delete_certificate(&home.dirs, StoreType::Ca, "s", "a.crt").unwrap_err();
    assert!(e.is_not_found());
    assert!(
        e.to_string().starts_with("stat ")
            && e.to_string().ends_with("/a.crt: no such file or directory")
    );
    let dir = delete_store(&home.dirs, StoreType::Ca, "s").unwrap();
    assert!(!dir.exists());
    assert!(delete_store(&home.dirs, StoreType::Ca, "s")
        .unwrap_err()
        .is_not_found());
}
