//! The channels against real receivers: email through a real SMTP server
//! (aiosmtpd), Slack webhooks against a local HTTP server that records POSTs
//! and can answer 500 or hang.

mod collect_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::Duration;
use collect_support::*;
use rust_decimal_macros::dec;
use tieout::channels::{SlackWebhook, SmtpChannel, SmtpConfig, SmtpSecurity};
use tieout::core::writes::WriteStatus;
use tieout::writes::{Channels, FaultPoint, WriteOptions};
use tieout::*;

fn books_with_two_overdue() -> Books {
    let books = Books::in_memory();
    let mut b = invoice(
        2,
        "cust_00002",
        dec!(250.50),
        t0() - Duration::days(7),
        false,
    );
    pay(&mut b, dec!(50.50), t0() - Duration::days(1));
    put(
        &books,
        vec![
            Entity::Customer(customer(1, true)),
            Entity::Customer(customer(2, true)),
            Entity::Invoice(invoice(
                1,
                "cust_00001",
                dec!(100),
                t0() - Duration::days(7),
                false,
            )),
            Entity::Invoice(b),
        ],
    );
    books
}

#[test]
fn email_goes_once_through_a_real_smtp_server_with_key_headers() {
    let sink = SmtpSink::start();
    let smtp = smtp(sink.port, SmtpSecurity::Plain, None).unwrap();
    let books = books_with_two_overdue();
    let policy = policy("email");
    let channels = Channels::new().with("email", smtp);
    // Crash after the server accepted the first message, before the outcome
    // was committed: the next run redelivers under the same key.
    let crash_once = Arc::new(Mutex::new(true));
    let c = crash_once.clone();
    let opts = WriteOptions {
        fault: Some(Box::new(move |_, p| {
            p == FaultPoint::Performed && std::mem::take(&mut *c.lock().unwrap())
        })),
        ..Default::default()
    };
    let e = books
        .run_follow_ups(&policy, &channels, t0(), None, &opts)
        .unwrap_err();
    assert_eq!(e.code(), "ABORTED");
    let report = books
        .run_follow_ups(&policy, &channels, t0(), None, &WriteOptions::default())
        .unwrap();
    assert_eq!(report.delivered.len(), 2);
    let again = books
        .run_follow_ups(&policy, &channels, t0(), None, &WriteOptions::default())
        .unwrap();
    assert!(again.delivered.is_empty());
    let got = sink.received(3);
    assert_eq!(got.len(), 3, "{got:?}");
    let keys: Vec<String> = got
        .iter()
        .map(|m| header(m, "X-Tieout-Key").unwrap())
        .collect();
    // Two distinct keys; the one repeat is the crashed one, same Message-ID.
    let mut distinct = keys.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 2);
    assert_eq!(
        keys[0], keys[1],
        "the redelivery comes first, under the same key"
    );
    assert_follow_up_mails(&got);
    let w = books.writes().unwrap();
    assert!(w.iter().all(|r| r.status == WriteStatus::Succeeded));
    assert!(
        w.iter().any(|r| r.attempts.len() == 2),
        "the crashed write was attempted twice"
    );
}

fn smtp(port: u16, security: SmtpSecurity, ca_pem: Option<String>) -> Result<SmtpChannel> {
    SmtpChannel::new(SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security,
        username: None,
        password: None,
        from: "Accounts <ar@seller.test>".into(),
        reply_to: Some("billing@seller.test".into()),
        timeout: StdDuration::from_secs(10),
        ca_pem,
    })
}

/// The sink's flag and the channel's security of the two TLS modes.
const TLS_MODES: [(&str, SmtpSecurity); 2] = [
    ("starttls", SmtpSecurity::StartTls),
    ("tls", SmtpSecurity::Tls),
];

/// [`books_with_two_overdue`] after one follow-up run at `t0()` through
/// `email`.
fn books_after_one_run(email: SmtpChannel) -> (Books, tieout::writes::WriteReport) {
    let books = books_with_two_overdue();
    let channels = Channels::new().with("email", email);
    let report = books
        .run_follow_ups(
            &policy("email"),
            &channels,
            t0(),
            None,
            &WriteOptions::default(),
        )
        .unwrap();
    (books, report)
}

/// The value of header `name` in a raw message.
fn header(m: &serde_json::Value, name: &str) -> Option<String> {
    let data = m["data"].as_str().unwrap();
    data.lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .map(|l| l[name.len() + 1..].trim().to_string())
}

/// What the sink got from [`books_with_two_overdue`]'s follow-ups: the key
/// headers, sender, reply-to, plain and HTML parts, and the part payment's
/// subject and text.
fn assert_follow_up_mails(got: &[serde_json::Value]) {
    for m in got {
        let key = header(m, "X-Tieout-Key").unwrap();
        assert_eq!(header(m, "Message-ID").unwrap(), format!("<{key}@tieout>"));
        assert_eq!(header(m, "From").unwrap(), "Accounts <ar@seller.test>");
        assert_eq!(header(m, "Reply-To").unwrap(), "billing@seller.test");
        assert_eq!(m["mail_from"], "ar@seller.test");
        let data = m["data"].as_str().unwrap();
        assert!(data.contains("multipart/alternative"), "{data}");
        assert!(data.contains("text/html"));
    }
    let partial = got
        .iter()
        .find(|m| m["rcpt_tos"][0] == "ap2@debtor.test")
        .unwrap();
    assert_eq!(
        header(partial, "Subject").unwrap(),
        "[late7] Invoice R-00002"
    );
    let body = partial["data"]
        .as_str()
        .unwrap()
        .replace("=\r\n", "")
        .replace("=\n", "");
    assert!(body.contains("part payment; 200.00 EUR is open"), "{body}");
}

#[test]
fn email_goes_over_starttls_and_implicit_tls_to_a_server_signed_by_a_trusted_ca() {
    for (mode, security) in TLS_MODES {
        let sink = SmtpSink::start_tls(mode);
        let ca = sink.ca_pem.clone().expect("the sink's CA");
        let (_, report) = books_after_one_run(smtp(sink.port, security, Some(ca)).unwrap());
        assert_eq!(report.delivered.len(), 2, "{mode}: {report:?}");
        let got = sink.received(2);
        assert_eq!(got.len(), 2, "{mode}: {got:?}");
        for m in &got {
            let tls = m["tls"].as_str().unwrap_or_default();
            assert!(
                tls.starts_with("TLSv1."),
                "{mode}: the sink saw the session encrypted: {m}"
            );
        }
        assert_follow_up_mails(&got);
    }
}

#[test]
fn without_the_ca_a_tls_send_fails_with_a_certificate_error_and_nothing_arrives() {
    for (mode, security) in TLS_MODES {
        let sink = SmtpSink::start_tls(mode);
        let (books, report) = books_after_one_run(smtp(sink.port, security, None).unwrap());
        assert!(report.delivered.is_empty(), "{mode}: {report:?}");
        let writes = books.writes().unwrap();
        assert_eq!(writes.len(), 2);
        for w in &writes {
            assert_ne!(w.status, WriteStatus::Succeeded);
            let error = w.attempts[0].error.clone().unwrap_or_default();
            assert!(
                error.contains("certificate") && error.contains("UnknownIssuer"),
                "{mode}: a clear TLS error: {error}"
            );
            assert!(w.attempts[0].retryable, "{mode}: {error}");
        }
        assert!(sink.received(0).is_empty(), "{mode}: nothing arrived");
    }
}

#[test]
fn a_bad_ca_pem_is_a_config_error_when_the_channel_is_made() {
    let not_a_cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    let bad_base64 = "-----BEGIN CERTIFICATE-----\n!!not base64!!\n-----END CERTIFICATE-----\n";
    let key_only = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    for security in [
        SmtpSecurity::StartTls,
        SmtpSecurity::Tls,
        SmtpSecurity::Plain,
    ] {
        for pem in ["", "hello", key_only, bad_base64, not_a_cert] {
            let e = smtp(25, security, Some(pem.into())).unwrap_err();
            assert_eq!(e.code(), "INVALID_ARGUMENT", "{security:?} {pem:?}: {e}");
            let msg = e.to_string();
            assert!(msg.contains("ca_pem"), "{security:?} {pem:?}: {msg}");
        }
    }
    // A real CA is accepted in every mode.
    let sink = SmtpSink::start_tls("tls");
    for security in [
        SmtpSecurity::StartTls,
        SmtpSecurity::Tls,
        SmtpSecurity::Plain,
    ] {
        smtp(sink.port, security, sink.ca_pem.clone()).unwrap();
    }
}

/// A local HTTP server standing in for Slack: records each POST body and
/// answers per `script` (200, 500, or `0` = never answer).
fn slack_server(script: Vec<u16>) -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let g = got.clone();
    std::thread::spawn(move || {
        let mut script = script.into_iter();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            g.lock()
                .unwrap()
                .push(serde_json::from_slice(&body).unwrap_or_default());
            match script.next().unwrap_or(200) {
                0 => {
                    // Hold the connection open without answering.
                    std::thread::spawn(move || {
                        std::thread::sleep(StdDuration::from_secs(3));
                        drop(stream);
                    });
                }
                code => {
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {code} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                    );
                }
            }
        }
    });
    (url, got)
}

#[test]
fn slack_webhook_retries_500s_and_resolves_timeouts_under_the_same_key() {
    // First POST: 500; second: hangs past the client timeout; then 200s.
    let (url, got) = slack_server(vec![500, 0, 200, 200]);
    let books = Books::in_memory();
    put(
        &books,
        vec![
            Entity::Customer(customer(1, true)),
            Entity::Invoice(invoice(
                1,
                "cust_00001",
                dec!(100),
                t0() - Duration::days(7),
                false,
            )),
        ],
    );
    let policy = policy("slack");
    let channels = Channels::new().with(
        "slack",
        SlackWebhook::new(&url, StdDuration::from_millis(500)).unwrap(),
    );
    let opts = WriteOptions::default();
    let r = books
        .run_follow_ups(&policy, &channels, t0(), None, &opts)
        .unwrap();
    assert_eq!(r.retrying.len(), 1, "a 500 is retried: {r:?}");
    let r = books
        .run_follow_ups(&policy, &channels, t0() + Duration::minutes(5), None, &opts)
        .unwrap();
    assert_eq!(r.unknown.len(), 1, "a timeout is unknown: {r:?}");
    let r = books
        .run_follow_ups(&policy, &channels, t0() + Duration::minutes(6), None, &opts)
        .unwrap();
    assert_eq!(r.delivered.len(), 1, "{r:?}");
    let r = books
        .run_follow_ups(&policy, &channels, t0() + Duration::minutes(7), None, &opts)
        .unwrap();
    assert!(r.delivered.is_empty());
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    let key = &books.writes().unwrap()[0].key;
    assert!(
        got.iter().all(|b| &b["tieout_key"] == key),
        "every POST carries the key"
    );
    assert!(
        got[2]["text"]
            .as_str()
            .unwrap()
            .starts_with("*[late7] Invoice R-00001*")
    );
    let w = &books.writes().unwrap()[0];
    assert_eq!((w.status, w.attempts.len()), (WriteStatus::Succeeded, 3));
}

#[test]
fn slack_daily_digest_goes_once_per_day_and_lists_each_follow_up_once() {
    let (url, got) = slack_server(vec![]);
    let books = Books::in_memory();
    let due = t0() - Duration::days(7);
    let mut paid = invoice(2, "cust_00002", dec!(80), due, false);
    pay(&mut paid, dec!(80), t0() - Duration::days(1));
    put(
        &books,
        vec![
            Entity::Customer(customer(1, true)),
            Entity::Customer(customer(2, true)),
            Entity::Customer(customer(3, true)),
            Entity::Invoice(invoice(1, "cust_00001", dec!(100), due, false)),
            Entity::Invoice(paid),
            // Tuesday: its "due" step is due today, its late7 step tomorrow.
            Entity::Invoice(invoice(
                3,
                "cust_00003",
                dec!(30),
                t0() - Duration::days(6),
                false,
            )),
        ],
    );
    let policy = policy("slack");
    let channels = Channels::new().with_digest(
        "slack",
        SlackWebhook::new(&url, StdDuration::from_secs(5)).unwrap(),
    );
    let opts = WriteOptions::default();
    let r = books
        .run_follow_ups(&policy, &channels, t0(), None, &opts)
        .unwrap();
    assert_eq!(
        r.delivered.len(),
        3,
        "the digest and its two follow-ups: {r:?}"
    );
    let again = books
        .run_follow_ups(&policy, &channels, t0() + Duration::hours(3), None, &opts)
        .unwrap();
    assert!(again.delivered.is_empty(), "{again:?}");
    {
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 1, "one message per channel per day");
        let text = got[0]["text"].as_str().unwrap();
        assert!(
            text.contains("R-00001") && text.contains("R-00003"),
            "{text}"
        );
        assert!(
            !text.contains("R-00002"),
            "paid invoices are not listed: {text}"
        );
        assert_eq!(
            got[0]["tieout_key"],
            tieout::core::writes::write_key("digest/slack/2026-03-02")
        );
    }
    // Tomorrow: invoice 3's late7 step. The process dies after Slack took the
    // digest; the re-run redelivers it under the same key and marks it once.
    let tomorrow = t0() + Duration::days(1);
    let crash = WriteOptions {
        fault: Some(Box::new(|i, p| {
            i.kind == "digest" && p == FaultPoint::Performed
        })),
        ..WriteOptions::default()
    };
    let e = books
        .run_follow_ups(&policy, &channels, tomorrow, None, &crash)
        .unwrap_err();
    assert_eq!(e.code(), "ABORTED");
    books
        .run_follow_ups(&policy, &channels, tomorrow, None, &opts)
        .unwrap();
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    assert_eq!(got[1]["tieout_key"], got[2]["tieout_key"], "same key");
    assert!(
        got[2]["text"]
            .as_str()
            .unwrap()
            .contains("[late7] Invoice R-00003")
    );
    let writes = books.writes().unwrap();
    let follow_ups: Vec<_> = writes
        .iter()
        .filter(|w| w.intent.kind == "follow_up")
        .collect();
    assert_eq!(follow_ups.len(), 3, "two today, one tomorrow");
    assert!(follow_ups.iter().all(|w| {
        w.status == WriteStatus::Succeeded
            && w.attempts.len() == 1
            && w.request_id().is_some_and(|k| k.starts_with("wk_"))
    }));
    let digests = writes.iter().filter(|w| w.intent.kind == "digest").count();
    assert_eq!(digests, 2);
}
