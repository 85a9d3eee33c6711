//! Progress drawn in a pseudo-terminal (`script` from util-linux gives the CLI a
//! pty): a live bar with escape codes, against the plain lines of a pipe.

mod common;

use std::process::Command;

use common::*;

#[test]
fn progress_is_drawn_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("books.db");
    let cmd = format!(
        "{} --books {} import --files {}",
        env!("CARGO_BIN_EXE_tieout"),
        db.display(),
        sample().display()
    );
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .expect("script (util-linux) runs the CLI in a pty");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}");
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
}
