//! Without a terminal (a cron job, a pipe, `ssh` without `-t`) the interface
//! says that it needs one and points at `portcullis check`, exit 2.

use std::process::{Command, Stdio};

#[test]
fn without_a_terminal_the_interface_points_at_check() {
    let state = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("demo")
        .env("XDG_STATE_HOME", state.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("portcullis runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("the interface needs a terminal"), "{stderr}");
    assert!(stderr.contains("`portcullis check` works without one"), "{stderr}");
    assert!(!stderr.contains("os error"), "{stderr}");
}
