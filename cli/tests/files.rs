//! The CLI against a Stripe export (`--files`): review, import, lists, report, exit codes.

mod common;

use common::*;
use serde_json::Value;

#[test]
fn review_then_import_then_list_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("books.db");
    let data = sample();
    let data = data.to_str().unwrap();

    let review = tieout(&db, &["review", "--files", data, "--json"], &[]);
    assert_eq!(code(&review), 0, "{}", err(&review));
    let json: Value = serde_json::from_str(&out(&review)).expect("review JSON");
    assert_eq!(json["summary"]["account"], "acct_files");
    assert_eq!(json["summary"]["paid_invoices"], "record_payment");
    let created = json["counts"]["invoice"]["created"].as_u64().unwrap();
    assert!(created > 0);
    assert!(
        json["approval"]["token"]
            .as_str()
            .unwrap()
            .starts_with("apv_")
    );

    // The text review prints the checklist first.
    let text = tieout(
        &db,
        &["review", "--files", data, "--statuses", "open,paid"],
        &[],
    );
    assert_eq!(code(&text), 0);
    let t = out(&text);
    assert!(t.starts_with("Import plan\n"), "{t}");
    assert!(t.contains("Invoice statuses     open, paid"), "{t}");
    assert!(t.contains("Approval token"), "{t}");

    // Nothing was written by the reviews.
    let none = tieout(&db, &["invoices", "--format", "json"], &[]);
    assert_eq!(
        serde_json::from_str::<Value>(&out(&none)).unwrap(),
        Value::Array(vec![])
    );

    let import = tieout(&db, &["import", "--files", data], &[]);
    assert_eq!(code(&import), 0, "{}", err(&import));
    assert!(out(&import).contains("succeeded:"), "{}", out(&import));
    // Not a terminal: plain progress lines, no escape codes or carriage returns.
    let progress = err(&import);
    assert!(progress.contains("importing: "), "{progress}");
    assert!(progress.contains(" records/s"), "{progress}");
    assert!(
        !progress.contains('\u{1b}') && !progress.contains('\r'),
        "{progress:?}"
    );

    let invoices: Value =
        serde_json::from_str(&out(&tieout(&db, &["invoices", "--format", "json"], &[]))).unwrap();
    // The review's invoice creations are exactly the books' invoices.
    assert_eq!(invoices.as_array().unwrap().len() as u64, created);
    let csv = out(&tieout(
        &db,
        &["invoices", "--format", "csv", "--status", "paid"],
        &[],
    ));
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,number,customer,status,currency,total,paid,remaining,due,stripe id"
    );
    let paid: Vec<&str> = lines.collect();
    assert!(!paid.is_empty());
    assert!(
        paid.iter().all(|l| l.split(',').nth(3) == Some("paid")),
        "{csv}"
    );

    // Allocations name their kind.
    let allocs = out(&tieout(&db, &["allocations"], &[]));
    let header = allocs.lines().next().unwrap();
    assert!(header.split_whitespace().any(|h| h == "kind"), "{allocs}");
    assert!(
        allocs.lines().skip(1).all(|l| l.contains(" payment ")),
        "{allocs}"
    );

    // The report's JSON and the text agree on a currency total.
    let report: Value =
        serde_json::from_str(&out(&tieout(&db, &["report", "--json"], &[]))).unwrap();
    let usd = &report["totals"]["USD"];
    let text = out(&tieout(&db, &["report"], &[]));
    assert!(
        text.contains(&format!(
            "payments received {}",
            usd["payments_received"].as_str().unwrap()
        )),
        "{text}"
    );
    assert!(text.contains("ties out"), "{text}");

    // A re-run changes nothing; history shows both runs.
    let again = tieout(&db, &["import", "--files", data, "--json"], &[]);
    assert_eq!(code(&again), 0);
    let run: Value = serde_json::from_str(&out(&again)).unwrap();
    assert_eq!(run["totals"]["created"], 0);
    assert_eq!(run["totals"]["updated"], 0);
    let history: Value =
        serde_json::from_str(&out(&tieout(&db, &["history", "--format", "json"], &[]))).unwrap();
    assert_eq!(history.as_array().unwrap().len(), 2);
    let one = out(&tieout(&db, &["history", "--limit", "1"], &[]));
    assert_eq!(one.lines().count(), 2, "{one}");
}

#[test]
fn failed_records_exit_1_and_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let data = one_bad_invoice(dir.path());
    let db = dir.path().join("books.db");
    let o = tieout(&db, &["import", "--files", data.to_str().unwrap()], &[]);
    assert_eq!(code(&o), 1, "stdout {} stderr {}", out(&o), err(&o));
    assert!(out(&o).contains("1 failed"), "{}", out(&o));
    assert!(out(&o).contains("failed invoice in_bad"), "{}", out(&o));
    // The plain progress lines carry the failures so far.
    assert!(err(&o).contains("failures: 1,"), "{}", err(&o));
    let clean = tieout(&db, &["import", "--files", sample().to_str().unwrap()], &[]);
    assert!(err(&clean).contains("failures: 0,"), "{}", err(&clean));
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("books.db");
    let bad_flag = tieout(&db, &["invoices", "--format", "xml"], &[]);
    assert_eq!(code(&bad_flag), 2);
    let no_key = tieout(&db, &["import"], &[]);
    assert_eq!(code(&no_key), 2);
    let e = err(&no_key);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.starts_with("error[USAGE]: no Stripe key: set STRIPE_API_KEY"),
        "{e}"
    );
    let bad_status = tieout(&db, &["review", "--files", ".", "--statuses", "sent"], &[]);
    assert_eq!(code(&bad_status), 2);
    assert!(err(&bad_status).contains("unknown invoice status \"sent\""));
    let plan = dir.path().join("plan.json");
    std::fs::write(&plan, r#"{"invoice_status": ["open"]}"#).unwrap();
    let bad_plan = tieout(
        &db,
        &["review", "--files", ".", "--plan", plan.to_str().unwrap()],
        &[],
    );
    assert_eq!(code(&bad_plan), 2);
    assert!(
        err(&bad_plan).contains("unknown plan field"),
        "{}",
        err(&bad_plan)
    );
}

#[test]
fn source_errors_exit_4_and_never_print_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("books.db");
    let key = "sk_test_51SuperSecretKeyValue0123456789";
    // Nothing listens on port 9 of loopback.
    let o = tieout(
        &db,
        &[
            "review",
            "--api-key-env",
            "MY_KEY",
            "--api-base",
            "http://127.0.0.1:9",
        ],
        &[("MY_KEY", key)],
    );
    assert_eq!(code(&o), 4, "{}", err(&o));
    let e = err(&o);
    assert!(
        e.lines()
            .last()
            .unwrap()
            .starts_with("error[NETWORK_ERROR]: "),
        "{e}"
    );
    assert!(
        !e.contains("SuperSecret") && !out(&o).contains("SuperSecret"),
        "{e}"
    );
    let publishable = tieout(
        &db,
        &["review"],
        &[("STRIPE_API_KEY", "pk_test_SuperSecret123")],
    );
    assert_ne!(code(&publishable), 0);
    assert!(
        !err(&publishable).contains("SuperSecret"),
        "{}",
        err(&publishable)
    );
}
