//! Registry round trips of `sign`, `verify` and `list`, counted by `NOTATION_RS_ROUND_TRIPS=1`,
//! against Go notation v1.3.2's for the same commands: the requests in its `-d` traces
//! recorded in `testdata/interop-logs/` (scenarios 16-18: a registry with basic auth, the
//! interop-logs image signed once, the referrers tag schema). Ours may be fewer, never more.

mod common;

use common::registry::{Config, TestRegistry, PASSWORD, USERNAME};
use common::seed::{push_image, round_trips, run_counted, signing_home, Repo, SUBJECT};
use std::path::Path;

/// The requests in Go notation's `-d` trace of the recorded scenario `name`.
fn go_round_trips(name: &str) -> u64 {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/interop-logs")
        .join(name)
        .join("stderr.txt");
    let trace = std::fs::read_to_string(&path).unwrap();
    trace
        .lines()
        .filter(|l| l.starts_with("> Request: "))
        .count() as u64
}

#[test]
fn sign_verify_and_list_make_no_more_round_trips_than_go_notation() {
    let reg = TestRegistry::start(Config {
        basic_auth: true,
        ..Config::default()
    });
    let home = signing_home();
    let auth = ["-u", USERNAME, "-p", PASSWORD];
    push_image(&home, &reg.host(), "demo/app", &auth);
    let artifact = format!("{}/demo/app@{SUBJECT}", reg.host());
    let counted = |command: &str| {
        let mut args = vec![command, artifact.as_str()];
        args.extend(auth);
        round_trips(&run_counted(&home, &args).1)
    };
    for (command, scenario) in [
        ("sign", "16-registry-sign-debug"),
        ("verify", "17-registry-verify-debug"),
        ("list", "18-registry-list-debug"),
    ] {
        let (ours, go) = (counted(command), go_round_trips(scenario));
        assert!(
            ours <= go,
            "{command}: {ours} round trips, Go notation {go}"
        );
        // What it is today, so that a change either way is noticed and the README updated.
        let today = match command {
            "sign" => 11,
            "verify" => 7,
            _ => 4,
        };
        assert_eq!(
            ours, today,
            "{command}: {ours} round trips (Go notation {go})"
        );
    }
}

/// Fetching ahead starts only once the first signature failed: when it is the good one,
/// 50 more signatures cost no request at all.
#[tokio::test(flavor = "multi_thread")]
async fn verify_fetches_nothing_beyond_a_good_first_signature() {
    let reg = TestRegistry::start(Config::default());
    let home = signing_home();
    push_image(&home, &reg.host(), "demo/app", &[]);
    let artifact = format!("{}/demo/app@{SUBJECT}", reg.host());
    run_counted(&home, &["sign", &artifact]);
    let one = round_trips(&run_counted(&home, &["verify", &artifact]).1);

    let repo = Repo::new(&reg.host(), "demo/app");
    let good = repo.index_entries(SUBJECT).await;
    let mut entries = good.clone();
    entries.extend(repo.clone_signature(&good[0], 50).await);
    repo.put_index(SUBJECT, &entries).await;
    let (_, stderr) = run_counted(&home, &["verify", &artifact]);
    assert_eq!(round_trips(&stderr), one, "{stderr}");
}
