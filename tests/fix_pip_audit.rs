//! maint.pip-audit-clean on the demo with a vulnerable pin: the real
//! pip-audit (through its OSV service setting, pointed at a server on
//! loopback) reports it, and the fix raises the pin to the fixed version.

#[path = "support/osv.rs"]
mod osv;

use std::path::PathBuf;
use std::process::Output;

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

fn test_python() -> PathBuf {
    let python = std::env::var_os("PORTCULLIS_TEST_PYTHON").map(PathBuf::from).unwrap_or_default();
    assert!(
        python.is_file() && python.with_file_name("pip-audit").is_file(),
        "PORTCULLIS_TEST_PYTHON must name a venv's python that has pip-audit: run scripts/test-setup.sh and export what it prints"
    );
    python
}

fn status(out: &Output) -> String {
    let json: Value = serde_json::from_slice(&out.stdout).expect("check prints JSON");
    json["findings"][0]["status"].as_str().unwrap_or("").to_owned()
}

#[test]
fn a_vulnerable_pin_fails_and_the_fix_raises_it_to_the_fixed_version() {
    let python = test_python();
    let server = osv::OsvServer::start(&[("django", "4.2.0", osv::DJANGO_ADVISORY)]);
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    portcullis::demo::unpack(&root).expect("demo");
    let requirements = root.join("srv/aijack/requirements.txt");
    let text = std::fs::read_to_string(&requirements)
        .expect("read")
        .replace("Django==5.2.19", "Django==4.2.0");
    std::fs::write(&requirements, text).expect("write");

    let run = |args: &[&str]| {
        cargo_bin_cmd!("portcullis")
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .env("PIP_AUDIT_VULNERABILITY_SERVICE", "osv")
            .env("PIP_AUDIT_OSV_URL", &server.url)
            .arg("--root")
            .arg(&root)
            .arg("--python")
            .arg(&python)
            .args(args)
            .output()
            .expect("portcullis runs")
    };
    let check = |run: &dyn Fn(&[&str]) -> Output| {
        run(&[
            "check",
            "--only",
            "maint.pip-audit-clean",
            "--format",
            "json",
            "--no-save",
            "--url",
            "https://127.0.0.1:1/",
        ])
    };

    let before = check(&run);
    assert_eq!(status(&before), "fail", "{}", String::from_utf8_lossy(&before.stdout));
    assert!(String::from_utf8_lossy(&before.stdout).contains("CVE-2023-31047"));
    assert!(
        server.queries().iter().any(|q| q.contains("4.2.0")),
        "pip-audit asked the loopback service"
    );

    let fixed = run(&["fix", "maint.pip-audit-clean", "--yes"]);
    let said = String::from_utf8_lossy(&fixed.stdout);
    assert!(
        said.contains("maint.pip-audit-clean: fixed"),
        "{said}\n{}",
        String::from_utf8_lossy(&fixed.stderr)
    );
    let after = std::fs::read_to_string(&requirements).expect("read");
    assert!(after.contains("Django==4.2.1"), "{after}");
    assert_eq!(status(&check(&run)), "pass");
}
