//! A demo session through the real binary: some items fixed, one skipped
//! with a reason, one waived with an expiry, the rest left; the summary says
//! exactly that in every format, and no secret reaches the state file, the
//! log or any report.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

struct Session {
    dir: tempfile::TempDir,
}

impl Session {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        portcullis::demo::unpack(&dir.path().join("root")).expect("demo");
        Session { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn run(&self, args: &[&str]) -> Output {
        cargo_bin_cmd!("portcullis")
            .env("XDG_STATE_HOME", self.state())
            .arg("--root")
            .arg(self.root())
            .arg("--offline")
            .args(args)
            .output()
            .expect("portcullis runs")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn secret(root: &Path) -> String {
    std::fs::read_to_string(root.join("srv/aijack/.env"))
        .expect(".env")
        .lines()
        .find_map(|l| l.strip_prefix("DJANGO_SECRET_KEY="))
        .expect("key")
        .to_owned()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() { stack.push(path) } else { out.push(path) }
        }
    }
    out
}

/// The official SARIF 2.1.0 schema, as the serde-sarif crate (a dev
/// dependency) ships it; found through `cargo metadata`.
fn sarif_schema() -> PathBuf {
    // Only this platform's packages: the others (Windows crates of the
    // benches' dependencies) are not downloaded, and this runs offline.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = std::process::Command::new(rustc).arg("-vV").output().expect("rustc -vV runs");
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    let host = version
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .expect("rustc -vV names the host");
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline", "--filter-platform", host])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    let metadata: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|err| {
        panic!("cargo metadata prints no JSON ({err}): {}", String::from_utf8_lossy(&out.stderr))
    });
    let manifest = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("serde-sarif is a dev-dependency");
    Path::new(manifest).with_file_name("src/schema.json")
}

/// Validates a SARIF log against the official schema with Python's
/// jsonschema (in the test venv).
fn assert_valid_sarif(text: &str) {
    let python = std::env::var_os("PORTCULLIS_TEST_PYTHON").map(PathBuf::from).unwrap_or_default();
    assert!(
        python.is_file(),
        "PORTCULLIS_TEST_PYTHON must name the test venv's python (scripts/test-setup.sh; it has jsonschema)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("summary.sarif");
    std::fs::write(&log, text).expect("write");
    let script = "import json, sys, jsonschema\nschema = json.load(open(sys.argv[1]))\njsonschema.Draft7Validator(schema).validate(json.load(open(sys.argv[2])))\n";
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(sarif_schema())
        .arg(&log)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "the SARIF does not validate against SARIF 2.1.0:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_summary_shows_fixed_skipped_waived_and_open_items_in_every_format() {
    let session = Session::new();
    session.ok(&["check"]);
    let fixed = session.ok(&["fix", "django.ssl-redirect", "django.hsts-seconds", "--yes"]);
    assert!(fixed.contains("django.ssl-redirect: fixed"), "{fixed}");
    session.ok(&[
        "skip",
        "django.hsts-preload",
        "--reason",
        "waiting for every subdomain to serve HTTPS",
    ]);
    session.ok(&[
        "waive",
        "apache.tls-ciphers",
        "--reason",
        "an old client needs CBC until March",
        "--expires",
        "2099-03-01",
    ]);
    session.ok(&["confirm", "maint.logs-reviewed", "--note", "reviewed the November logs"]);

    let json: Value =
        serde_json::from_str(&session.ok(&["summary", "--format", "json"])).expect("json");
    let items: Vec<&Value> = json["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .flat_map(|s| s["topics"].as_array().into_iter().flatten())
        .flat_map(|t| t["items"].as_array().into_iter().flatten())
        .collect();
    let item = |id: &str| {
        *items.iter().find(|i| i["id"] == id).unwrap_or_else(|| panic!("{id} in the summary"))
    };
    assert_eq!(item("django.ssl-redirect")["status"], "pass");
    assert!(item("django.ssl-redirect")["fixed"].is_object(), "{}", item("django.ssl-redirect"));
    assert_eq!(item("django.hsts-preload")["status"], "skipped");
    assert_eq!(item("apache.tls-ciphers")["status"], "waived");
    assert!(item("apache.tls-ciphers").to_string().contains("2099-03-01"));
    assert_eq!(item("maint.logs-reviewed")["status"], "pass");
    assert_eq!(item("django.session-cookie-secure")["status"], "fail");

    let text = session.ok(&["summary"]);
    assert!(text.contains("waiting for every subdomain"), "{text}");
    assert!(text.contains("portcullis rollback django.ssl-redirect"), "{text}");
    let markdown = session.ok(&["summary", "--format", "markdown"]);
    assert!(markdown.contains("an old client needs CBC"), "{markdown}");
    let junit = session.ok(&["summary", "--format", "junit"]);
    assert!(junit.starts_with("<?xml") && junit.contains("<testsuites"), "{junit}");
    let sarif_text = session.ok(&["summary", "--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&sarif_text).expect("sarif");
    assert_eq!(sarif["version"], "2.1.0");
    assert_valid_sarif(&sarif_text);

    // No secret anywhere portcullis wrote or printed.
    let key = secret(&session.root());
    for output in [&text, &markdown, &junit, &json.to_string(), &sarif.to_string(), &fixed] {
        assert!(!output.contains(&key), "the secret key leaked into a report");
    }
    for file in files_under(&session.state()) {
        if file.components().any(|c| c.as_os_str() == "backups") {
            continue; // backups keep exact bytes, mode 600
        }
        let bytes = std::fs::read(&file).expect("read");
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&key),
            "the secret key is in {}",
            file.display()
        );
    }
}
