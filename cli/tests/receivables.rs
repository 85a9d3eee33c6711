//! `tieout aging`, `tieout cases` and `tieout follow-ups` against books
//! imported from the shipped Stripe export: figures equal the library's,
//! cases open once, follow-ups go to a real SMTP server (aiosmtpd) once, and
//! live books refuse to send without the review's approval (exit 3).

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use common::*;
use serde_json::Value;

const AS_OF: &str = "2025-07-01";

#[test]
fn aging_equals_the_library_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("books.db");
    sample_books(&db);
    let expected = tieout::Books::open(&db)
        .unwrap()
        .aging(Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).unwrap())
        .unwrap();
    assert!(!expected.totals.is_empty());

    let json = tieout(&db, &["aging", "--as-of", AS_OF, "--format", "json"], &[]);
    assert_eq!(code(&json), 0, "{}", err(&json));
    assert_eq!(
        serde_json::from_str::<Value>(&out(&json)).unwrap(),
        expected.to_json()
    );
    let csv = out(&tieout(
        &db,
        &["aging", "--as-of", AS_OF, "--format", "csv"],
        &[],
    ));
    assert_eq!(csv, expected.to_csv());
    let table = out(&tieout(&db, &["aging", "--as-of", AS_OF], &[]));
    for t in &expected.totals {
        let row = table
            .lines()
            .skip_while(|l| *l != "Totals")
            .find(|l| l.split_whitespace().next() == Some(t.currency.code()))
            .unwrap_or_else(|| panic!("no {} total: {table}", t.currency.code()));
        let cells: Vec<&str> = row.split_whitespace().collect();
        let want = [
            t.current,
            t.days_1_30,
            t.days_31_60,
            t.days_61_90,
            t.days_over_90,
            t.total,
        ]
        .map(|d| d.to_string());
        assert_eq!(cells[1..], want[..], "{table}");
    }

    // The HTML report's aging and balance figures are these commands' figures.
    let page = dir.path().join("report.html");
    let o = tieout(
        &db,
        &["report", "--as-of", AS_OF, "--html", page.to_str().unwrap()],
        &[],
    );
    assert_eq!(code(&o), 0, "{}", err(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    let figure = |key: &str| -> String {
        let at = html
            .find(&format!("data-figure=\"{key}\">"))
            .unwrap_or_else(|| panic!("no figure {key}"));
        let rest = &html[at..];
        let value = &rest[rest.find('>').unwrap() + 1..];
        value[..value.find('<').unwrap()].to_string()
    };
    for t in &expected.totals {
        let code = t.currency.code();
        assert_eq!(
            figure(&format!("{code}.aging.31-60")),
            t.days_31_60.to_string()
        );
        assert_eq!(figure(&format!("{code}.aging.total")), t.total.to_string());
    }
    let balance = tieout(
        &db,
        &[
            "balance",
            "--currency",
            "usd",
            "--to",
            AS_OF,
            "--format",
            "json",
        ],
        &[],
    );
    let balance: tieout::StripeBalance = serde_json::from_str(&out(&balance)).unwrap();
    assert!(!balance.lines.is_empty());
    assert_eq!(figure("USD.balance.closing"), balance.closing().to_string());
    assert_eq!(figure("USD.balance.lines"), balance.lines.len().to_string());
}

#[test]
fn cases_open_once_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("books.db");
    sample_books(&db);

    // Two of the sample's debtors with open invoices have no postal address:
    // refused; Acme's open remainder gets a case.
    let refused = tieout(&db, &["cases", "create", "--as-of", AS_OF], &[]);
    assert_eq!(code(&refused), 0, "{}", err(&refused));
    let text = out(&refused);
    assert!(
        text.starts_with("1 opened, 0 already open, 2 refused"),
        "{text}"
    );
    assert!(
        text.contains("refused in_SBlueOpen00002: missing postal_address"),
        "{text}"
    );

    // Filters: nothing in EUR is open.
    let eur = tieout(
        &db,
        &[
            "cases",
            "create",
            "--as-of",
            AS_OF,
            "--no-postal-address",
            "--currency",
            "eur",
            "--json",
        ],
        &[],
    );
    let eur: Value = serde_json::from_str(&out(&eur)).unwrap();
    assert_eq!(eur["opened"], Value::Array(vec![]));

    let open = tieout(
        &db,
        &[
            "cases",
            "create",
            "--as-of",
            AS_OF,
            "--no-postal-address",
            "--json",
        ],
        &[],
    );
    let open: Value = serde_json::from_str(&out(&open)).unwrap();
    assert_eq!(open["opened"].as_array().unwrap().len(), 2, "{open:#}");
    assert_eq!(open["existing"].as_array().unwrap().len(), 1, "{open:#}");
    let opened = 3;
    // The open amounts are the books' open invoices'.
    let invoices: Value =
        serde_json::from_str(&out(&tieout(&db, &["invoices", "--format", "json"], &[]))).unwrap();
    for case in open["opened"].as_array().unwrap() {
        let inv = invoices
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == case["invoice_id"])
            .unwrap();
        assert_eq!(case["open_amount"], inv["amount_remaining"], "{case:#}");
    }

    let again = out(&tieout(
        &db,
        &["cases", "create", "--as-of", AS_OF, "--no-postal-address"],
        &[],
    ));
    assert!(
        again.starts_with(&format!("0 opened, {opened} already open")),
        "{again}"
    );

    let list: Value = serde_json::from_str(&out(&tieout(
        &db,
        &["cases", "list", "--format", "json"],
        &[],
    )))
    .unwrap();
    assert_eq!(list.as_array().unwrap().len(), opened);
    let table = out(&tieout(&db, &["cases", "list"], &[]));
    assert_eq!(table.lines().count(), opened + 1, "{table}");

    let csv = out(&tieout(&db, &["cases", "export", "--as-of", AS_OF], &[]));
    assert_eq!(csv.lines().count(), opened + 1, "{csv}");
    let file = dir.path().join("cases.json");
    let o = tieout(
        &db,
        &[
            "cases",
            "export",
            "--format",
            "json",
            "--as-of",
            AS_OF,
            "-o",
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code(&o), 0, "{}", err(&o));
    let exported: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(exported.as_array().unwrap().len(), opened);
}

/// A real SMTP server (aiosmtpd, `scripts/smtp_sink.py`); each message
/// records its session's TLS version (`tls`, null over plain text).
struct Sink {
    child: Child,
    port: u16,
    /// The PEM file of the throwaway CA that signed the server's certificate
    /// (TLS modes only; removed when the sink stops).
    ca_file: Option<String>,
    messages: mpsc::Receiver<Value>,
}

impl Sink {
    fn start() -> Sink {
        Self::start_with(None)
    }

    /// `tls`: `"starttls"` or `"tls"` (a certificate from a throwaway CA).
    fn start_with(tls: Option<&str>) -> Sink {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/smtp_sink.py");
        let mut cmd = Command::new(python());
        cmd.arg(script);
        if let Some(mode) = tls {
            cmd.args(["--tls", mode]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the SMTP sink");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = lines.next().unwrap().unwrap();
        let mut words = ready.strip_prefix("READY ").unwrap().split_whitespace();
        let port = words.next().unwrap().parse().unwrap();
        let ca_file = words.next().map(str::to_string);
        assert_eq!(ca_file.is_some(), tls.is_some(), "{ready}");
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        Sink {
            child,
            port,
            ca_file,
            messages,
        }
    }

    /// Everything received until nothing more comes for a moment.
    fn received(&self, at_least: usize) -> Vec<Value> {
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            match self.messages.recv_timeout(Duration::from_millis(300)) {
                Ok(v) => got.push(v),
                Err(_) if got.len() >= at_least => break,
                Err(_) => {}
            }
        }
        got
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        // Closing stdin stops the sink (it removes its CA folder); kill it if
        // it has not gone within two seconds.
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const POLICY: &str = r#"{
  "version": "v1",
  "quiet_days": [],
  "steps": [{
    "name": "late", "days": 7, "channel": "email",
    "template": {
      "subject": "Invoice {{ invoice.number }} is overdue",
      "text": "Dear {{ customer.name }}, {{ invoice.open_amount }} {{ invoice.currency }} is open."
    }
  }]
}"#;

/// The sample's Stripe export with every record in live mode.
fn live_copy(dir: &Path) -> std::path::PathBuf {
    let to = dir.join("live");
    std::fs::create_dir(&to).unwrap();
    for entry in std::fs::read_dir(sample()).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text
            .replace("\"livemode\": false", "\"livemode\": true")
            .replace("\"livemode\":false", "\"livemode\":true");
        std::fs::write(to.join(path.file_name().unwrap()), text).unwrap();
    }
    to
}

fn run_args<'a>(policy: &'a str, port: &'a str) -> Vec<&'a str> {
    vec![
        "follow-ups",
        "run",
        "--policy",
        policy,
        "--as-of",
        AS_OF,
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        port,
        "--smtp-security",
        "plain",
        "--from",
        "AR <ar@seller.test>",
    ]
}

#[test]
fn follow_ups_review_then_send_once_and_live_books_need_approval() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(&policy, POLICY).unwrap();
    let policy = policy.to_str().unwrap();
    let sink = Sink::start();
    let port = sink.port.to_string();

    // Test-mode books: review, then run; a re-run sends nothing.
    let db = dir.path().join("books.db");
    sample_books(&db);
    let review = tieout(
        &db,
        &[
            "follow-ups",
            "review",
            "--policy",
            policy,
            "--as-of",
            AS_OF,
            "--json",
        ],
        &[],
    );
    assert_eq!(code(&review), 0, "{}", err(&review));
    let review: Value = serde_json::from_str(&out(&review)).unwrap();
    let items = review["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{review:#}");
    let to: Vec<&str> = items
        .iter()
        .map(|i| i["payload"]["to_email"].as_str().unwrap())
        .collect();
    let text = out(&tieout(
        &db,
        &["follow-ups", "review", "--policy", policy, "--as-of", AS_OF],
        &[],
    ));
    assert!(text.contains(&format!("{} to send", items.len())), "{text}");

    let sent = tieout(&db, &run_args(policy, &port), &[]);
    assert_eq!(code(&sent), 0, "{}", err(&sent));
    assert!(
        out(&sent).starts_with(&format!("{} sent, ", items.len())),
        "{}",
        out(&sent)
    );
    let got = sink.received(items.len());
    assert_eq!(got.len(), items.len());
    let mut rcpt: Vec<&str> = got
        .iter()
        .map(|m| m["rcpt_tos"][0].as_str().unwrap())
        .collect();
    let mut want = to.clone();
    rcpt.sort();
    want.sort();
    assert_eq!(rcpt, want);
    assert!(got[0]["data"].as_str().unwrap().contains("is overdue"));
    let rerun = tieout(&db, &run_args(policy, &port), &[]);
    assert!(out(&rerun).starts_with("0 sent, "), "{}", out(&rerun));
    assert!(sink.received(0).is_empty(), "nothing sent twice");

    // Live books: imported with the review's approval token, then follow-ups
    // refuse without an approval (exit 3) and send with the review's.
    let live = live_copy(dir.path());
    let live = live.to_str().unwrap();
    let ldb = dir.path().join("live.db");
    let r = tieout(&ldb, &["review", "--files", live, "--json"], &[]);
    let token: Value = serde_json::from_str(&out(&r)).unwrap();
    let token = token["approval"]["token"].as_str().unwrap().to_string();
    let imported = tieout(
        &ldb,
        &["import", "--files", live, "--approval", &token],
        &[],
    );
    assert_eq!(code(&imported), 0, "{}", err(&imported));
    let refused = tieout(&ldb, &run_args(policy, &port), &[]);
    assert_eq!(code(&refused), 3, "{}", err(&refused));
    assert!(
        err(&refused).starts_with("error[APPROVAL_REQUIRED]"),
        "{}",
        err(&refused)
    );
    assert!(sink.received(0).is_empty(), "nothing sent without approval");
    let review = tieout(
        &ldb,
        &[
            "follow-ups",
            "review",
            "--policy",
            policy,
            "--as-of",
            AS_OF,
            "--json",
        ],
        &[],
    );
    let review: Value = serde_json::from_str(&out(&review)).unwrap();
    assert_eq!(review["livemode"], true);
    let token = review["approval"]["token"].as_str().unwrap();
    let approved = tieout(
        &ldb,
        &[&run_args(policy, &port)[..], &["--approval", token]].concat(),
        &[],
    );
    assert_eq!(code(&approved), 0, "{}", err(&approved));
    assert_eq!(sink.received(items.len()).len(), items.len());
    // A wrong token is refused.
    let wrong = tieout(
        &ldb,
        &[&run_args(policy, &port)[..], &["--approval", "apv_wrong"]].concat(),
        &[],
    );
    assert_eq!(code(&wrong), 3, "{}", err(&wrong));
}

#[test]
fn follow_ups_go_over_tls_to_a_server_whose_ca_is_given_by_file() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(&policy, POLICY).unwrap();
    let policy = policy.to_str().unwrap();
    let sink = Sink::start_with(Some("tls"));
    let port = sink.port.to_string();
    let ca = sink.ca_file.clone().unwrap();
    let db = dir.path().join("books.db");
    sample_books(&db);
    let untrusted_db = dir.path().join("untrusted.db");
    sample_books(&untrusted_db);
    let tls_args = |extra: &[&'static str]| -> Vec<String> {
        let mut a: Vec<String> = run_args(policy, &port)
            .into_iter()
            .map(str::to_string)
            .collect();
        let at = a.iter().position(|x| x == "plain").unwrap();
        a[at] = "tls".into();
        a.extend(extra.iter().map(|x| x.to_string()));
        a
    };
    let run_on = |db: &Path, args: &[String]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        tieout(db, &args, &[])
    };
    let run = |args: &[String]| run_on(&db, args);

    // A file that holds no certificate: a usage error, nothing sent.
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let mut args = tls_args(&["--smtp-ca-file"]);
    args.push(junk.to_str().unwrap().to_string());
    let bad = run(&args);
    assert_ne!(code(&bad), 0);
    assert!(err(&bad).contains("ca_pem"), "{}", err(&bad));

    // Without the CA the server's certificate is not trusted: nothing goes,
    // every follow-up waits for a retry and the exit code says so (books of
    // their own: these follow-ups now wait out their backoff).
    let untrusted = run_on(&untrusted_db, &tls_args(&[]));
    assert_eq!(code(&untrusted), 1, "{}", err(&untrusted));
    let line = out(&untrusted);
    assert!(
        line.starts_with("0 sent, ") && !line.contains(" 0 retrying"),
        "{line}"
    );
    assert!(sink.received(0).is_empty(), "nothing over an untrusted TLS");

    // With it, every follow-up goes once, encrypted.
    let mut args = tls_args(&["--smtp-ca-file"]);
    args.push(ca);
    let sent = run(&args);
    assert_eq!(code(&sent), 0, "{}\n{}", out(&sent), err(&sent));
    let n: usize = out(&sent)
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{}", out(&sent)));
    assert!(n > 0, "{}", out(&sent));
    let got = sink.received(n);
    assert_eq!(got.len(), n);
    for m in &got {
        assert!(
            m["tls"].as_str().unwrap_or_default().starts_with("TLSv1."),
            "{m}"
        );
        assert!(m["data"].as_str().unwrap().contains("is overdue"));
    }
}
