//! The real checkers the ledger tests run: `bean-check` (beancount from the
//! project's venv) and `hledger check` (Debian's hledger).

use std::path::{Path, PathBuf};
use std::process::Command;

/// `bean-check` next to `TIEOUT_PYTHON`, else in the worktree's `.venv`.
pub fn bean_check() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let from_env = std::env::var("TIEOUT_PYTHON")
        .ok()
        .and_then(|p| Path::new(&p).parent().map(|d| d.join("bean-check")));
    let found = from_env
        .into_iter()
        .chain([root.join(".venv/bin/bean-check")])
        .find(|p| p.exists());
    found.expect("bean-check not found: run scripts/setup-python.sh (installs beancount in .venv)")
}

/// Runs `cmd`: whether it succeeded, and its stdout and stderr.
pub fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd
        .output()
        .expect("start checker (is it installed? see scripts/test)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Whether `bean-check` accepts `text` (written to `dir`), and what it said.
pub fn bean_checks(dir: &Path, name: &str, text: &str) -> (bool, String) {
    let f = dir.join(format!("{name}.beancount"));
    std::fs::write(&f, text).unwrap();
    run(Command::new(bean_check()).arg(&f))
}

/// Whether `hledger check` accepts `text` (written to `dir`), and what it said.
pub fn hledger_checks(dir: &Path, name: &str, text: &str) -> (bool, String) {
    let f = dir.join(format!("{name}.journal"));
    std::fs::write(&f, text).unwrap();
    run(Command::new("hledger").arg("-f").arg(&f).arg("check"))
}
