//! Ctrl-C during `tieout import`: the CLI stops after the page in flight
//! (committed), prints the exact command that resumes, exits 130; running that
//! command finishes the import, and the books equal an uninterrupted run's.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;
use serde_json::{Value, json};

/// Invoices (and as many charges paying them) in the generated export: 11
/// pages of 200 (`StripeFiles::PAGE_SIZE`), so the import is still running
/// when the signal lands after the first.
const N: usize = 1_000;

fn write_list(dir: &Path, name: &str, data: Vec<Value>) {
    let list = json!({"object": "list", "data": data, "has_more": false});
    std::fs::write(dir.join(name), serde_json::to_vec(&list).unwrap()).unwrap();
}

/// One customer; `N` paid invoices, each paid by its own charge.
fn generate(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let t0 = 1_743_850_000_i64;
    write_list(
        dir,
        "customers.json",
        vec![
            json!({"id": "cus_big", "object": "customer", "name": "Big Co",
            "email": "ap@big.example", "created": t0, "livemode": false, "metadata": {}}),
        ],
    );
    let (mut invoices, mut charges) = (Vec::new(), Vec::new());
    for i in 0..N {
        let amount = 1_000 + i as i64;
        let created = t0 + i as i64;
        let (inv, ch) = (format!("in_{i:05}"), format!("ch_{i:05}"));
        invoices.push(json!({
            "id": inv, "object": "invoice", "customer": "cus_big", "currency": "usd",
            "created": created, "status": "paid", "livemode": false,
            "number": format!("BIG-{i:05}"), "subtotal": amount, "total": amount,
            "amount_due": amount, "amount_paid": amount, "amount_remaining": 0,
            "charge": ch, "metadata": {},
            "status_transitions": {"finalized_at": created, "paid_at": created},
            "lines": {"object": "list", "has_more": false, "data": [
                {"id": format!("il_{i:05}"), "object": "line_item", "amount": amount,
                 "currency": "usd", "description": "service", "quantity": 1}]},
        }));
        charges.push(json!({
            "id": ch, "object": "charge", "amount": amount, "amount_captured": amount,
            "amount_refunded": 0, "currency": "usd", "customer": "cus_big",
            "created": created, "captured": true, "paid": true, "refunded": false,
            "status": "succeeded", "livemode": false, "metadata": {}, "invoice": inv,
            "payment_intent": null, "balance_transaction": null, "disputed": false,
        }));
    }
    write_list(dir, "invoices.json", invoices);
    write_list(dir, "charges.json", charges);
}

/// The books as JSON lists (invoices, payments, allocations) and the report.
fn books_state(db: &Path) -> Vec<Value> {
    let mut state = Vec::new();
    for list in ["invoices", "payments", "allocations"] {
        let o = tieout(db, &[list, "--format", "json"], &[]);
        assert_eq!(code(&o), 0, "{}", err(&o));
        state.push(serde_json::from_str(&out(&o)).unwrap());
    }
    let report = tieout(db, &["report", "--json", "--as-of", "2026-01-01"], &[]);
    state.push(serde_json::from_str(&out(&report)).unwrap());
    state
}

#[test]
fn ctrl_c_stops_after_the_page_and_the_printed_command_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("big export");
    generate(&data);
    let db = dir.path().join("books.db");

    let mut child = Command::new(env!("CARGO_BIN_EXE_tieout"))
        .arg("--books")
        .arg(&db)
        .args(["import", "--files"])
        .arg(&data)
        .env_remove("STRIPE_API_KEY")
        .env_remove("TIEOUT_BOOKS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first progress line comes after the first page: then press Ctrl-C.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "no progress: {seen}"
        );
        seen.push_str(&line);
        if line.starts_with("importing: ") {
            break;
        }
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    seen.push_str(&rest);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{seen}");
    assert!(seen.contains("stopping after the current page"), "{seen}");
    let last = seen.lines().last().unwrap();
    assert!(last.starts_with("error[INTERRUPTED]: "), "{seen}");
    let resume = last
        .split_once("with: ")
        .map(|(_, c)| c.to_string())
        .unwrap_or_else(|| panic!("no resume command: {last}"));
    // The exact command: this binary, these books, this (quoted) directory.
    assert!(resume.contains(env!("CARGO_BIN_EXE_tieout")), "{resume}");
    assert!(resume.contains(" import --files "), "{resume}");
    assert!(
        resume.contains("'"),
        "the space in the path is quoted: {resume}"
    );

    // Stopped part way: some of the charges and invoices (charges are read
    // first), not all.
    let listed = |list: &str| {
        let v: Value =
            serde_json::from_str(&out(&tieout(&db, &[list, "--format", "json"], &[]))).unwrap();
        v.as_array().unwrap().len()
    };
    let part = listed("payments") + listed("invoices");
    assert!(
        0 < part && part < 2 * N,
        "stopped part way: {part} of {}",
        2 * N
    );

    // Run the printed command as a person would paste it.
    let resumed = Command::new("sh")
        .args(["-c", &resume])
        .env_remove("STRIPE_API_KEY")
        .env_remove("TIEOUT_BOOKS")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", err(&resumed));
    assert!(
        out(&resumed).contains("resumed run"),
        "it resumed rather than restarted: {}",
        out(&resumed)
    );

    // An uninterrupted import of the same export gives the same books.
    let whole = dir.path().join("whole.db");
    let o = tieout(&whole, &["import", "--files", data.to_str().unwrap()], &[]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let (a, b) = (books_state(&db), books_state(&whole));
    assert_eq!(
        a[0].as_array().unwrap().len(),
        N,
        "no invoice lost or doubled"
    );
    assert_eq!(
        a[1].as_array().unwrap().len(),
        N,
        "no payment lost or doubled"
    );
    assert_eq!(
        a[2].as_array().unwrap().len(),
        N,
        "one allocation per invoice"
    );
    assert_eq!(a, b);
}
