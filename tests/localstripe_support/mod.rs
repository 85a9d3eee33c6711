//! localstripe (PyPI) for the facade's Stripe write tests: started by
//! `scripts/localstripe.py serve` on a free loopback port, stopped by PID;
//! what it holds is read back with the official `stripe` SDK.
//!
//! Needs `TIEOUT_PYTHON` (a python with `localstripe` and `stripe`); skipped
//! loudly without it, except under `CI=true`, where it fails.
#![allow(dead_code)]

mod peer;

use std::process::{Command, Stdio};

use serde_json::Value;

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
}
