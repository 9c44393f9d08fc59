//! Go's `net` wording of name-resolution failures.
//!
//! Our HTTP stack resolves names with the C library's `getaddrinfo`, which words a failure
//! as `failed to lookup address information: Name or service not known`. Go's resolver,
//! which notation uses, says `lookup <host> on <nameserver>:53: no such host` (the name
//! does not exist) or `... server misbehaving` (the server failed to answer), and
//! `net/http` puts `dial tcp: ` before it. Scripts grep for Go's words, so we map ours.

use std::error::Error;
use std::path::Path;

/// What `std` and hyper put before `gai_strerror`'s text.
const GAI_PREFIX: &str = "failed to lookup address information";

/// `gai_strerror` texts (glibc, musl, BSD/macOS) that mean the name does not exist.
const NOT_FOUND: [&str; 4] = [
    "Name or service not known",
    "No address associated with hostname",
    "Name does not resolve",
    "nodename nor servname provided, or not known",
];

/// Go's text for `e` when it is a failed lookup of `host`:
/// `dial tcp: lookup <host> on <server>: no such host` (or `server misbehaving` when the
/// resolver could not get an answer), `<server>` being the first name server of
/// `/etc/resolv.conf`, as Go's resolver reports it.
pub(crate) fn dial_lookup_failure(e: &(dyn Error + 'static), host: &str) -> Option<String> {
    let reason = lookup_reason(e)?;
    let server = first_nameserver(Path::new("/etc/resolv.conf"));
    Some(format!("dial tcp: lookup {host} on {server}: {reason}"))
}

/// Go's `net.OpError` text for a TCP connect that failed with `err`:
/// `dial tcp <host>:<port>: connect: connection refused`.
pub(crate) fn connect_failure(host: &str, port: u16, err: &std::io::Error) -> String {
    format!(
        "dial tcp {host}:{port}: connect: {}",
        super::os::errno_text(err)
    )
}

/// Whether `e` says the name does not exist (Go's `no such host`).
pub(crate) fn is_missing_name(e: &(dyn Error + 'static)) -> bool {
    lookup_reason(e) == Some("no such host")
}

/// `no such host` or `server misbehaving` if some error in the chain is a failed lookup.
fn lookup_reason(e: &(dyn Error + 'static)) -> Option<&'static str> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        let text = err.to_string();
        if let Some(i) = text.find(GAI_PREFIX) {
            let detail = &text[i + GAI_PREFIX.len()..];
            let missing = NOT_FOUND.iter().any(|n| detail.contains(n));
            return Some(if missing {
                "no such host"
            } else {
                "server misbehaving"
            });
        }
        cur = err.source();
    }
    None
}

/// The first `nameserver` of a resolv.conf as `host:53` (`[v6]:53`), else Go's default
/// `127.0.0.1:53`.
fn first_nameserver(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.starts_with(';'))
        .find_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some("nameserver")).then(|| words.next())?
        })
        .map(|addr| {
            if addr.contains(':') {
                format!("[{addr}]:53")
            } else {
                format!("{addr}:53")
            }
        })
        .unwrap_or_else(|| "127.0.0.1:53".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gai(detail: &str) -> std::io::Error {
        std::io::Error::other(format!("{GAI_PREFIX}: {detail}"))
    }

    #[test]
    fn missing_names_and_failed_servers_read_as_go() {
        assert_eq!(
            lookup_reason(&gai("Name or service not known")),
            Some("no such host")
        );
        assert_eq!(
            lookup_reason(&gai("Temporary failure in name resolution")),
            Some("server misbehaving")
        );
        assert_eq!(
            lookup_reason(&std::io::Error::other("connection refused")),
            None
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn refused_connects_read_as_go() {
        let refused = std::io::Error::from_raw_os_error(111);
        assert_eq!(
            connect_failure("127.0.0.1", 1, &refused),
            "dial tcp 127.0.0.1:1: connect: connection refused"
        );
    }

    #[test]
    fn nameserver_is_taken_from_resolv_conf() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("resolv.conf");
        std::fs::write(
            &conf,
            "# comment\nsearch example\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n",
        )
        .unwrap();
        assert_eq!(first_nameserver(&conf), "10.0.0.2:53");
        std::fs::write(&conf, "nameserver fd00::1\n").unwrap();
        assert_eq!(first_nameserver(&conf), "[fd00::1]:53");
        std::fs::write(&conf, "").unwrap();
        assert_eq!(first_nameserver(&conf), "127.0.0.1:53");
    }
}
