//! localstripe (PyPI) for the facade's Stripe write tests: started by
//! `scripts/localstripe.py serve` on a free loopback port, stopped by PID;
//! what it holds is read back with the official `stripe` SDK.
//!
//! Needs `TIEOUT_PYTHON` (a python with `localstripe` and `stripe`); skipped
//! loudly without it, except under `CI=true`, where it fails.
#![allow(dead_code)]

mod peer;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;
use tieout::writes::{FaultPoint, WriteOptions};
use tieout::{Books, ImportPlan, ObjectScope, StripeSource};

pub use peer::TEST_KEY;

/// A running localstripe; killed (by PID) and its work dir removed on drop.
pub struct LocalStripe {
    peer: peer::Peer,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    python: String,
}

/// `TIEOUT_PYTHON`, or `None` (a loud skip) outside CI.
pub fn python() -> Option<String> {
    peer::python("localstripe write test")
}

/// Starts localstripe.
pub fn start(python: &str) -> LocalStripe {
    let peer = peer::start(python, Stdio::null());
    LocalStripe {
        url: peer.url.clone(),
        peer,
        python: python.to_string(),
    }
}

impl LocalStripe {
    /// Runs `code` with the official `stripe` SDK pointed at this server
    /// (`stripe` imported and configured); its stdout is parsed as JSON.
    pub fn sdk(&self, code: &str) -> Value {
        let prelude = format!(
            "import json, stripe\nstripe.api_key = {TEST_KEY:?}\nstripe.api_base = {:?}\n",
            self.url
        );
        let out = Command::new(&self.python)
            .arg("-c")
            .arg(format!("{prelude}{code}"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run the stripe SDK");
        assert!(out.status.success(), "stripe SDK script failed: {code}");
        serde_json::from_slice(&out.stdout).expect("SDK script printed JSON")
    }

    /// Every customer on the server (id, email, metadata), via the SDK.
    pub fn customers(&self) -> Vec<Value> {
        let v = self.sdk(
            "out = [c.to_dict() for c in stripe.Customer.list(limit=100).auto_paging_iter()]\n\
             print(json.dumps([{'id': c['id'], 'email': c.get('email'), 'metadata': c.get('metadata') or {}} for c in out]))",
        );
        v.as_array().cloned().unwrap_or_default()
    }

    /// `n` customers, each with a subscription whose first invoice (125.00
    /// USD) stays open: their card declines every charge. Returns the open
    /// invoices' ids, in customer order.
    pub fn seed_open_invoices(&self, n: usize) -> Vec<String> {
        let v = self.sdk(&format!(
            "prod = stripe.Product.create(name='Support')\n\
             plan = stripe.Plan.create(id='support-monthly', amount=12500, currency='usd', interval='month', product=prod.id)\n\
             out = []\n\
             for i in range({n}):\n\
             \x20   c = stripe.Customer.create(name=f'Customer {{i}}', email=f'c{{i}}@example.test')\n\
             \x20   pm = stripe.PaymentMethod.attach('pm_card_chargeCustomerFail', customer=c.id)\n\
             \x20   stripe.Customer.modify(c.id, invoice_settings={{'default_payment_method': pm.id}})\n\
             \x20   stripe.Subscription.create(customer=c.id, items=[{{'plan': plan.id}}])\n\
             \x20   inv = stripe.Invoice.list(customer=c.id).data\n\
             \x20   assert len(inv) == 1 and inv[0].status == 'open', inv\n\
             \x20   out.append(inv[0].id)\n\
             print(json.dumps(out))\n"
        ));
        strings(&v)
    }

    /// Stripe's status of each invoice, in one SDK call.
    pub fn invoice_statuses(&self, ids: &[String]) -> Vec<String> {
        let v = self.sdk(&format!(
            "print(json.dumps([stripe.Invoice.retrieve(i).to_dict()['status'] for i in {ids:?}]))\n"
        ));
        strings(&v)
    }

    /// Imports this server's customers and invoices into `books` (the test
    /// key, no failures).
    pub fn import_customers_and_invoices(&self, books: &Books) {
        let source = StripeSource::new(TEST_KEY).unwrap().base_url(&self.url);
        let plan = ImportPlan::default().objects([ObjectScope::Customers, ObjectScope::Invoices]);
        let run = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(books.import(&source, &plan, None))
            .unwrap();
        assert_eq!(run.totals.failed, 0, "{:?}", run.failures);
    }
}

/// A JSON array of strings.
fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

/// Write options that simulate a crash once: at `point` of the first write
/// about `subject` (a books id), then never again.
pub fn crash_once_at(subject: &str, point: FaultPoint) -> WriteOptions {
    let subject = subject.to_string();
    let crashed = Arc::new(AtomicBool::new(false));
    WriteOptions {
        fault: Some(Box::new(move |intent, at| {
            at == point
                && intent.subject.as_deref() == Some(subject.as_str())
                && !crashed.swap(true, Ordering::SeqCst)
        })),
        ..Default::default()
    }
}
