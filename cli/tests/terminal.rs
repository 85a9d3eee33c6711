//! Progress drawn in a pseudo-terminal (`script` from util-linux gives the CLI a
//! pty): a live bar with escape codes, against the plain lines of a pipe.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// `tieout --books DB import --files DATA` in a pty: (exit code, what the terminal got).
fn import_in_pty(db: &Path, data: &Path) -> (Option<i32>, String) {
    let cmd = format!(
        "{} --books {} import --files {}",
        env!("CARGO_BIN_EXE_tieout"),
        db.display(),
        data.display()
    );
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .expect("script (util-linux) runs the CLI in a pty");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

#[test]
fn progress_is_drawn_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("books.db");
    let (code, text) = import_in_pty(&db, &sample());
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains('\u{1b}'),
        "a terminal gets escape codes: {text:?}"
    );
    assert!(text.contains("importing"), "{text:?}");
    assert!(text.contains("records"), "{text:?}");
    assert!(
        !text.contains("importing: "),
        "no plain log lines on a terminal: {text:?}"
    );
    assert!(text.contains("succeeded:"), "{text:?}");
    assert!(text.contains("failures: 0"), "{text:?}");
}

#[test]
fn the_bar_shows_failures_so_far() {
    let dir = tempfile::tempdir().unwrap();
    let data = one_bad_invoice(dir.path());
    let (code, text) = import_in_pty(&dir.path().join("books.db"), &data);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains('\u{1b}'), "{text:?}");
    assert!(
        text.contains("failures: 1"),
        "the bar counts the bad record: {text:?}"
    );
}
