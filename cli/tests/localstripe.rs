//! The CLI against localstripe (PyPI), seeded with the official `stripe` SDK by
//! `scripts/localstripe.py`: a test-mode import, and the live-account approval
//! rules (exit 3 without approval; `--approval` from `review --json` works).
//!
//! Needs `TIEOUT_PYTHON` (a python with `localstripe` and `stripe`); skipped
//! loudly without it, except under `CI=true`, where it fails.

mod common;
#[path = "../../tests/localstripe_support/peer.rs"]
mod localstripe_peer;

use std::process::Stdio;

use common::*;
use localstripe_peer::seed;
use serde_json::Value;

fn python() -> Option<String> {
    localstripe_peer::python("CLI localstripe test")
}

fn start(python: &str) -> localstripe_peer::Peer {
    localstripe_peer::start(python, Stdio::inherit())
}

#[test]
fn cli_imports_from_localstripe_and_guards_live_accounts() {
    let Some(python) = python() else {
        return;
    };
    let ls = start(&python);
    let dir = tempfile::tempdir().unwrap();

    // A live key against an empty account: verified as live (no data says otherwise).
    let live_db = dir.path().join("live.db");
    let live = [("STRIPE_LIVE", "sk_live_tieoutCliSecret0123456789")];
    let base = [
        "--api-key-env",
        "STRIPE_LIVE",
        "--api-base",
        ls.url.as_str(),
    ];
    let import: Vec<&str> = ["import"].iter().chain(base.iter()).copied().collect();
    let refused = tieout(&live_db, &import, &live);
    assert_eq!(
        code(&refused),
        3,
        "stdout {} stderr {}",
        out(&refused),
        err(&refused)
    );
    let e = err(&refused);
    assert!(e.contains("error[APPROVAL_REQUIRED]"), "{e}");
    assert!(e.contains("LIVE data"), "{e}");
    assert!(!e.contains("tieoutCliSecret") && !out(&refused).contains("tieoutCliSecret"));
    // A wrong token is refused the same way.
    let mut wrong = import.clone();
    wrong.extend(["--approval", "apv_nope"]);
    assert_eq!(code(&tieout(&live_db, &wrong, &live)), 3);

    let mut review: Vec<&str> = ["review"].iter().chain(base.iter()).copied().collect();
    review.push("--json");
    let reviewed = tieout(&live_db, &review, &live);
    assert_eq!(code(&reviewed), 0, "{}", err(&reviewed));
    let json: Value = serde_json::from_str(&out(&reviewed)).unwrap();
    assert_eq!(json["summary"]["livemode"], true);
    assert_eq!(json["summary"]["allow_live"], true);
    let token = json["approval"]["token"].as_str().unwrap().to_string();
    let mut approved = import.clone();
    approved.extend(["--approval", token.as_str()]);
    let run = tieout(&live_db, &approved, &live);
    assert_eq!(code(&run), 0, "{}", err(&run));
    assert!(out(&run).contains("succeeded"), "{}", out(&run));
    // A token of another plan does not cover this one.
    let mut other = approved.clone();
    other.extend(["--statuses", "open"]);
    assert_eq!(code(&tieout(&live_db, &other, &live)), 3);

    // Test mode: the seeded account imports without approval.
    let summary = seed(&python, &ls.url);
    let db = dir.path().join("books.db");
    let test_key = [("STRIPE_API_KEY", "sk_test_tieoutLocalstripe")];
    let o = tieout(
        &db,
        &["import", "--api-base", ls.url.as_str(), "--json"],
        &test_key,
    );
    // localstripe's subscriptions carry no top-level `currency`: the importer
    // takes it from their plans (issue 13), so everything imports, exit code 0.
    assert_eq!(code(&o), 0, "stdout {} stderr {}", out(&o), err(&o));
    let run: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(run["status"], "succeeded");
    assert!(
        run["failures"].as_array().is_none_or(|f| f.is_empty()),
        "{run}"
    );
    let subscriptions = summary["subscriptions"].as_array().map_or(0, |s| s.len());
    assert!(
        subscriptions > 0,
        "the seed made no subscription: {summary}"
    );
    assert_eq!(
        run["by_object"]["subscription"]["created"],
        subscriptions as u64
    );
    assert!(err(&o).contains("importing: "), "{}", err(&o));
    let invoices: Value =
        serde_json::from_str(&out(&tieout(&db, &["invoices", "--format", "json"], &[]))).unwrap();
    let mut got: Vec<&str> = invoices
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["source"]["external_id"].as_str().unwrap())
        .collect();
    let mut want: Vec<&str> = summary["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let customers = summary["customers"].as_array().unwrap().len();
    assert_eq!(run["by_object"]["customer"]["created"], customers as u64);
}
