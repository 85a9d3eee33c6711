//! Books with customers and invoices for the receivables tests, a policy, and
//! the SMTP sink (a real aiosmtpd server).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use tieout::collect::CompiledPolicy;
use tieout::core::ChangeSet;
use tieout::core::collect::{FollowUpPolicy, FollowUpStep, MessageTemplate};
use tieout::*;

/// Monday 2026-03-02 09:00 UTC.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

pub fn customer(n: u32, complete: bool) -> Customer {
    let mut c = Customer::new(
        format!("cust_{n:05}"),
        &format!("Debtor {n}"),
        CustomerKind::Company,
    );
    c.email = Some(format!("ap{n}@debtor.test"));
    if complete {
        c.address = Some(Address {
            line1: Some(format!("{n} Main St")),
            postal_code: Some("10115".into()),
            city: Some("Berlin".into()),
            country: Some("DE".into()),
            ..Default::default()
        });
    }
    c
}

pub fn invoice(n: u32, customer: &str, total: Decimal, due: DateTime<Utc>, live: bool) -> Invoice {
    let mut source = SourceRef::new("stripe", "acct_recv", "invoice", &format!("in_{n:05}"));
    source.created_at = Some(due - Duration::days(30));
    source.livemode = live;
    source.url = Some(format!("https://invoice.example/in_{n:05}"));
    Invoice {
        id: format!("inv_{n:05}"),
        source,
        customer_id: Some(customer.to_string()),
        customer_ref: None,
        subscription_id: None,
        subscription_ref: None,
        number: Some(format!("R-{n:05}")),
        status: InvoiceStatus::Open,
        currency: Currency::EUR,
        subtotal: total,
        discount: Decimal::ZERO,
        tax: Decimal::ZERO,
        total,
        amount_due: total,
        amount_paid: Decimal::ZERO,
        amount_remaining: total,
        amount_written_off: Decimal::ZERO,
        source_amount_paid: Decimal::ZERO,
        amount_credited: Decimal::ZERO,
        source_credited: Decimal::ZERO,
        write_off: None,
        lines_complete: true,
        issued_at: Some(due - Duration::days(30)),
        due_date: Some(due),
        paid_at: None,
        lines: Vec::new(),
        payment_refs: PaymentRefs::default(),
        metadata: BTreeMap::new(),
    }
}

/// `paid` more paid on the invoice (as an import of its new state would).
pub fn pay(inv: &mut Invoice, paid: Decimal, at: DateTime<Utc>) {
    inv.amount_paid += paid;
    inv.amount_remaining = inv.amount_due - inv.amount_paid;
    inv.status = if inv.amount_remaining <= Decimal::ZERO {
        inv.paid_at = Some(at);
        InvoiceStatus::Paid
    } else {
        InvoiceStatus::PartiallyPaid
    };
}

pub fn put(books: &Books, records: Vec<Entity>) {
    books
        .with_store_mut(|s| {
            s.commit(ChangeSet {
                upserts: records,
                ..Default::default()
            })
        })
        .unwrap()
        .unwrap();
}

pub fn step(name: &str, days: i64, channel: &str) -> FollowUpStep {
    FollowUpStep {
        name: name.into(),
        days,
        channel: channel.into(),
        template: MessageTemplate {
            subject: format!("[{name}] Invoice {{{{ invoice.number }}}}"),
            text: "Dear {{ customer.name }}, {% if invoice.partially_paid %}thank you for your \
                   part payment; {% endif %}{{ invoice.open_amount }} {{ invoice.currency }} is \
                   open on invoice {{ invoice.number }} (due {{ invoice.due_date }}). \
                   Reminders so far: {{ history.reminders_sent }}. Ref {{ key }}"
                .into(),
            html: Some("<p>Dear {{ customer.name }}, <b>{{ invoice.open_amount }} {{ invoice.currency }}</b> is open.</p>".into()),
        },
        min_open_amount: None,
        skip_if_average_days_late_at_least: None,
    }
}

pub fn policy(channel: &str) -> CompiledPolicy {
    CompiledPolicy::new(
        FollowUpPolicy::new(
            "v1",
            vec![
                step("before", -3, channel),
                step("due", 0, channel),
                step("late7", 7, channel),
                step("late21", 21, channel),
                step("final", 45, channel),
            ],
        )
        .unwrap(),
    )
    .unwrap()
}

/// The python with aiosmtpd: `TIEOUT_PYTHON`, else the worktree's `.venv`.
pub fn python() -> String {
    if let Ok(p) = std::env::var("TIEOUT_PYTHON") {
        if !p.trim().is_empty() {
            return p;
        }
    }
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python");
    assert!(
        std::path::Path::new(venv).exists(),
        "no python with aiosmtpd: run scripts/setup-python.sh or set TIEOUT_PYTHON"
    );
    venv.to_string()
}

/// A running aiosmtpd server that reports every message it receives (each
/// with `tls`: the session's TLS version, or null over plain text).
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    /// The PEM of the throwaway CA that signed the server's certificate
    /// (TLS modes only).
    pub ca_pem: Option<String>,
    messages: mpsc::Receiver<serde_json::Value>,
}

impl SmtpSink {
    /// A plain-text server.
    pub fn start() -> SmtpSink {
        Self::start_with(None)
    }

    /// A server with a certificate from a throwaway CA: `"starttls"`
    /// (STARTTLS required before MAIL) or `"tls"` (TLS from the first byte).
    pub fn start_tls(mode: &str) -> SmtpSink {
        Self::start_with(Some(mode))
    }

    fn start_with(tls: Option<&str>) -> SmtpSink {
        let mut cmd = Command::new(python());
        cmd.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/smtp_sink.py"));
        if let Some(mode) = tls {
            cmd.args(["--tls", mode]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the SMTP sink");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = lines.next().expect("sink output").expect("sink line");
        let mut words = ready
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("unexpected sink output {ready:?}"))
            .split_whitespace();
        let port: u16 = words.next().unwrap().parse().unwrap();
        let ca_pem = words
            .next()
            .map(|path| std::fs::read_to_string(path).expect("the sink's CA file"));
        assert_eq!(ca_pem.is_some(), tls.is_some(), "{ready:?}");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in lines.map_while(|l| l.ok()) {
                if let Ok(v) = serde_json::from_str(&line) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
            }
        });
        SmtpSink {
            child,
            port,
            ca_pem,
            messages: rx,
        }
    }

    /// The messages received so far (waits briefly for stragglers).
    pub fn received(&self, at_least: usize) -> Vec<serde_json::Value> {
        let mut out: Vec<serde_json::Value> = Vec::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            match self
                .messages
                .recv_timeout(std::time::Duration::from_millis(200))
            {
                Ok(v) => out.push(v),
                Err(_) if out.len() >= at_least => break,
                Err(_) => {}
            }
        }
        out
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        // Closing stdin stops the sink (it removes its certificate folder);
        // kill it if it has not gone within two seconds.
        if let Some(mut stdin) = self.child.stdin.take() {
            let _ = stdin.write_all(b"");
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
