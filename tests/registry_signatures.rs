//! Artifacts with hundreds of signatures in a registry: `list` prints every one, in the
//! order the registry gives them (Go notation's order), through the referrers tag schema and
//! the referrers API; `verify` tries them in that order although it fetches ahead, and finds
//! the one trusted signature at the end.

mod common;

use common::referrers_server::{Referrers, ReferrersServer};
use common::registry::{Config, TestRegistry};
use common::seed::{push_image, round_trips, run_counted, signing_home, Repo, SUBJECT};
use notation::oci::Descriptor;

/// The signature digests of a `list` tree, in order.
fn listed(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter_map(|l| {
            l.strip_prefix("    ├── ")
                .or_else(|| l.strip_prefix("    └── "))
        })
        .collect()
}

fn digests(entries: &[Descriptor]) -> Vec<&str> {
    entries.iter().map(|d| d.digest.as_str()).collect()
}

/// A registry with [`SUBJECT`] signed once by the default key, then `n` clones of that
/// signature; returns the registry and the referrers index entries (clones last).
async fn image_with_signatures(n: usize) -> (TestRegistry, Vec<Descriptor>) {
    let reg = TestRegistry::start(Config::default());
    let home = signing_home();
    push_image(&home, &reg.host(), "demo/app", &[]);
    run_counted(
        &home,
        &["sign", &format!("{}/demo/app@{SUBJECT}", reg.host())],
    );
    let repo = Repo::new(&reg.host(), "demo/app");
    let mut entries = repo.index_entries(SUBJECT).await;
    entries.extend(repo.clone_signature(&entries[0].clone(), n).await);
    repo.put_index(SUBJECT, &entries).await;
    (reg, entries)
}

#[tokio::test(flavor = "multi_thread")]
async fn list_prints_hundreds_of_signatures_in_referrers_index_order() {
    let (reg, entries) = image_with_signatures(299).await;
    let home = signing_home();
    let artifact = format!("{}/demo/app@{SUBJECT}", reg.host());
    let (stdout, stderr) = run_counted(&home, &["list", "--max-signatures", "1000", &artifact]);
    assert_eq!(listed(&stdout), digests(&entries));
    assert!(stdout.starts_with(&format!(
        "{artifact}\n└── application/vnd.cncf.notary.signature\n"
    )));
    // HEAD, the referrers API (404 here), the index: as for one signature.
    assert_eq!(round_trips(&stderr), 3);

    // The default limit: the first 100, then Go's warning.
    let (stdout, _) = run_counted(&home, &["list", &artifact]);
    assert_eq!(listed(&stdout), digests(&entries[..100]));
    assert!(
        stdout.ends_with("Warning: exceeded configured limit of max signatures 100 to examine\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_follows_the_referrers_api_page_by_page() {
    let (reg, mut entries) = image_with_signatures(299).await;
    // Another order than the tag schema's, which the API must win over.
    entries.reverse();
    let server = ReferrersServer::start(Referrers {
        repository: "demo/app".into(),
        by_subject: [(SUBJECT.to_string(), entries.clone())].into(),
        page_size: 64,
        apply_filters: true,
        upstream: Some(reg.port),
        ..Default::default()
    })
    .await;
    let artifact = format!("127.0.0.1:{}/demo/app@{SUBJECT}", server.port);
    let (stdout, stderr) = run_counted(
        &signing_home(),
        &["list", "--max-signatures", "1000", &artifact],
    );
    assert_eq!(listed(&stdout), digests(&entries));
    // HEAD, then 5 pages of at most 64.
    assert_eq!(round_trips(&stderr), 6);

    // As Go notation, no page past the one holding signature 101 (of the default 100).
    let (stdout, stderr) = run_counted(&signing_home(), &["list", &artifact]);
    assert_eq!(listed(&stdout), digests(&entries[..100]));
    assert_eq!(round_trips(&stderr), 3);
    // And verify reads no page past a good signature: HEAD twice, one page, its first
    // signature's manifest and envelope.
    let (_, stderr) = run_counted(&signing_home(), &["verify", &artifact]);
    assert_eq!(round_trips(&stderr), 5);
    // inspect: the same two pages, then each of the first 100 signatures, in order.
    let (stdout, stderr) = run_counted(&signing_home(), &["inspect", "-o", "json", &artifact]);
    let json: serde_json::Value = serde_json::Deserializer::from_str(&stdout)
        .into_iter()
        .next()
        .unwrap()
        .unwrap();
    assert!(stdout
        .ends_with("}\nWarning: exceeded configured limit of max signatures 100 to examine\n"));
    let inspected: Vec<&str> = json["Signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["digest"].as_str().unwrap())
        .collect();
    assert_eq!(inspected, digests(&entries[..100]));
    assert_eq!(round_trips(&stderr), 3 + 2 * 100);
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_tries_a_hundred_signatures_in_order_and_trusts_the_last() {
    let reg = TestRegistry::start(Config::default());
    let home = signing_home();
    push_image(&home, &reg.host(), "demo/app", &[]);
    let artifact = format!("{}/demo/app@{SUBJECT}", reg.host());
    run_counted(&home, &["sign", "--key", "other-root", &artifact]);
    run_counted(&home, &["sign", &artifact]);
    let repo = Repo::new(&reg.host(), "demo/app");
    let signed = repo.index_entries(SUBJECT).await;
    let (untrusted, trusted) = (&signed[0], &signed[1]);
    let mut entries = repo.clone_signature(untrusted, 98).await;
    entries.push(untrusted.clone());
    entries.push(trusted.clone());
    repo.put_index(SUBJECT, &entries).await;

    let (stdout, stderr) = run_counted(&home, &["verify", "-v", &artifact]);
    assert_eq!(
        stdout,
        format!("Successfully verified signature for {artifact}\n")
    );
    let tried: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.split_once("Processing signature with manifest mediaType: "))
        .filter_map(|(_, rest)| rest.rsplit_once(" and digest: "))
        .map(|(_, digest)| digest.trim_end_matches('"'))
        .collect();
    assert_eq!(tried, digests(&entries));
    let failed = stderr
        .lines()
        .filter(|l| l.contains("failed verification with error"))
        .count();
    assert_eq!(failed, 99, "{stderr}");
    // HEAD, HEAD again, the referrers API, the index, then a manifest and an envelope per
    // signature: what fetching them one by one costs, none wasted.
    assert_eq!(round_trips(&stderr), 4 + 2 * 100);
}

/// Requests refused together (as signatures fetched ahead are, on a fresh token scope) wait
/// for one token instead of each fetching its own.
#[tokio::test(flavor = "multi_thread")]
async fn requests_refused_at_once_share_one_token() {
    use common::registry::{PASSWORD, USERNAME};
    use common::token_server::TokenServer;
    use notation::credentials::Credential;
    use notation::reference::RegistryReference;
    use notation::target::registry::{CredentialSource, Registry, RegistryOptions};
    use notation::target::ContentStore as _;

    let tokens = TokenServer::start(USERNAME, PASSWORD).await;
    let reg = TestRegistry::start(Config {
        token_auth: Some((tokens.realm(), tokens.cert())),
        ..Config::default()
    });
    push_image(
        &signing_home(),
        &reg.host(),
        "demo/app",
        &["-u", USERNAME, "-p", PASSWORD],
    );
    let before = tokens.requests.lock().unwrap().len();
    let target = Registry::new(
        &RegistryReference::parse_repository(&format!("{}/demo/app", reg.host())).unwrap(),
        RegistryOptions {
            plain_http: true,
            credentials: CredentialSource::Static(Credential::from_user_password(
                USERNAME, PASSWORD,
            )),
            ..Default::default()
        },
    )
    .unwrap();
    let resolved = futures_util::future::join_all((0..8).map(|_| target.resolve(SUBJECT))).await;
    assert!(resolved.iter().all(|r| r.is_ok()), "{resolved:?}");
    let log = tokens.requests.lock().unwrap();
    assert_eq!(log.len() - before, 1, "{log:?}");
}
