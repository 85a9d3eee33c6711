//! localstripe (PyPI) for the facade's Stripe write tests: started by
//! `scripts/localstripe.py serve` on a free loopback port, stopped by PID;
//! what it holds is read back with the official `stripe` SDK.
//!
//! Needs `TIEOUT_PYTHON` (a python with `localstripe` and `stripe`); skipped
//! loudly without it, except under `CI=true`, where it fails.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A running localstripe; killed (by PID) and its work dir removed on drop.
pub struct LocalStripe {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    workdir: Option<PathBuf>,
    python: String,
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.workdir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The test key localstripe accepts.
pub const TEST_KEY: &str = "sk_test_tieoutLocalstripe";

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/localstripe.py")
}

/// `TIEOUT_PYTHON`, or `None` (a loud skip) outside CI.
pub fn python() -> Option<String> {
    match std::env::var("TIEOUT_PYTHON") {
        Ok(p) if !p.trim().is_empty() => Some(p),
        _ => {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "TIEOUT_PYTHON must point to a python with localstripe and stripe under CI"
            );
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPING localstripe write test: TIEOUT_PYTHON is not set ***\n"
            );
            None
        }
    }
}

/// Starts localstripe.
pub fn start(python: &str) -> LocalStripe {
    let mut child = Command::new(python)
        .arg(script())
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start localstripe");
    let stdout = child.stdout.take().expect("stdout");
    let mut guard = LocalStripe {
        child,
        url: String::new(),
        workdir: None,
        python: python.to_string(),
    };
    let mut port = None;
    for line in BufReader::new(stdout).lines().take(2) {
        let line = line.expect("read localstripe output");
        if let Some(p) = line.strip_prefix("PORT ") {
            port = Some(p.trim().parse::<u16>().expect("port"));
        } else if let Some(d) = line.strip_prefix("WORKDIR ") {
            guard.workdir = Some(PathBuf::from(d.trim()));
        }
    }
    let port = port.expect("localstripe printed no port");
    guard.url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "localstripe did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    guard
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
