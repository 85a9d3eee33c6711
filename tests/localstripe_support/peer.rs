//! localstripe (PyPI) as a test peer, for every crate whose tests drive it
//! (the facade, the CLI, the Stripe adapter): `scripts/localstripe.py serve`
//! started on a free loopback port in its own work dir, killed by PID and
//! the work dir removed on drop (also on panic); `scripts/localstripe.py
//! seed` fills it with the official `stripe` SDK.
//!
//! Needs `TIEOUT_PYTHON` (a python with `localstripe` and `stripe`); a test
//! without it is skipped loudly, except under `CI=true`, where it fails.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The test key localstripe accepts.
pub const TEST_KEY: &str = "sk_test_tieoutLocalstripe";

/// A running localstripe.
pub struct Peer {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    workdir: Option<PathBuf>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.workdir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// `scripts/localstripe.py`, found above the crate being tested.
fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("scripts/localstripe.py"))
        .find(|p| p.is_file())
        .expect("scripts/localstripe.py above the crate")
}

/// `TIEOUT_PYTHON`, or `None` outside CI after telling (past the test
/// harness's capture) that `what` is skipped.
pub fn python(what: &str) -> Option<String> {
    match std::env::var("TIEOUT_PYTHON") {
        Ok(p) if !p.trim().is_empty() => Some(p),
        _ => {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "TIEOUT_PYTHON must point to a python with localstripe and stripe under CI"
            );
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPING {what}: TIEOUT_PYTHON is not set \
                 (python3 -m venv .venv && .venv/bin/pip install localstripe stripe) ***\n"
            );
            None
        }
    }
}

/// Starts localstripe with `python`, its stderr going to `stderr`, and waits
/// until it listens.
pub fn start(python: &str, stderr: Stdio) -> Peer {
    let mut child = Command::new(python)
        .arg(script())
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("start localstripe");
    let stdout = child.stdout.take().expect("stdout");
    let mut peer = Peer {
        child,
        url: String::new(),
        workdir: None,
    };
    let mut port = None;
    for line in BufReader::new(stdout).lines().take(2) {
        let line = line.expect("read localstripe output");
        if let Some(p) = line.strip_prefix("PORT ") {
            port = Some(p.trim().parse::<u16>().expect("port"));
        } else if let Some(d) = line.strip_prefix("WORKDIR ") {
            peer.workdir = Some(PathBuf::from(d.trim()));
        }
    }
    let port = port.expect("localstripe printed no port");
    peer.url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "localstripe did not start listening"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    peer
}

/// Seeds the localstripe at `url` (`scripts/localstripe.py seed`); the JSON
/// summary of what it made.
pub fn seed(python: &str, url: &str) -> Value {
    let out = Command::new(python)
        .arg(script())
        .arg("seed")
        .arg(url)
        .stderr(Stdio::inherit())
        .output()
        .expect("run seed");
    assert!(out.status.success(), "seeding failed");
    serde_json::from_slice(&out.stdout).expect("seed summary is JSON")
}
