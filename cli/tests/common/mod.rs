//! Runs the `tieout` binary as a subprocess.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The shipped Stripe sample.
pub fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/data")
}

/// `tieout --books DB args...` with `envs`, stdin closed; returns the output.
pub fn tieout(db: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tieout"));
    cmd.arg("--books").arg(db).args(args);
    cmd.env_remove("STRIPE_API_KEY").env_remove("TIEOUT_BOOKS");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null());
    cmd.output().expect("run tieout")
}

/// stdout as text.
pub fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The exit code.
pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited")
}

/// A Stripe export of two invoices, the second in an unknown currency (one
/// failed record).
pub fn one_bad_invoice(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(
        data.join("invoices.json"),
        r#"{"object":"list","data":[
            {"id":"in_ok","object":"invoice","customer":null,"currency":"usd","status":"open","total":500,"subtotal":500,"amount_due":500,"amount_paid":0,"created":1700000000,"lines":{"object":"list","data":[],"has_more":false}},
            {"id":"in_bad","object":"invoice","customer":null,"currency":"zzz","status":"open","total":500,"subtotal":500,"amount_due":500,"amount_paid":0,"created":1700000001,"lines":{"object":"list","data":[],"has_more":false}}
        ],"has_more":false}"#,
    )
    .unwrap();
    data
}

/// The project's Python (with beancount and aiosmtpd): `TIEOUT_PYTHON`, else
/// the worktree's `.venv`.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("TIEOUT_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    assert!(
        venv.exists(),
        "no project Python: run scripts/setup-python.sh or set TIEOUT_PYTHON"
    );
    venv
}

/// Books at `db` holding the shipped sample (imported by the CLI).
pub fn sample_books(db: &Path) {
    let o = tieout(db, &["import", "--files", sample().to_str().unwrap()], &[]);
    assert_eq!(code(&o), 0, "{}", err(&o));
}
