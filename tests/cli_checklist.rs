//! The command line: every seed id is listed, a broken checklist file is a
//! one-line error with exit status 2, and a project that another Apache
//! instance serves is pointed out.

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

/// The ids DESIGN.md fixes for the seed checklist.
const SEED_IDS: &[&str] = &[
    "django.security-middleware",
    "django.ssl-redirect",
    "django.proxy-ssl-header",
    "django.hsts-seconds",
    "django.hsts-subdomains",
    "django.hsts-preload",
    "django.session-cookie-secure",
    "django.csrf-cookie-secure",
    "django.nosniff",
    "django.x-frame-options",
    "django.csp-installed",
    "django.csp-middleware",
    "django.csp-policy",
    "django.axes-installed",
    "django.axes-app",
    "django.axes-middleware",
    "django.axes-backend",
    "django.axes-failure-limit",
    "django.axes-cooloff",
    "django.axes-migrated",
    "django.debug-off",
    "django.allowed-hosts",
    "apache.modsecurity-installed",
    "apache.modsecurity-enabled",
    "apache.modsecurity-engine",
    "apache.modsecurity-crs",
    "apache.evasive-installed",
    "apache.evasive-enabled",
    "apache.evasive-configured",
    "apache.server-tokens",
    "apache.server-signature",
    "apache.no-indexes",
    "apache.tls-protocols",
    "apache.tls-ciphers",
    "maint.pip-audit-listed",
    "maint.pip-audit-clean",
    "maint.pip-audit-ci",
    "maint.secret-key-source",
    "maint.secret-key-strength",
    "maint.secret-key-rotated",
    "maint.env-permissions",
    "maint.logs-configured",
    "maint.logs-reviewed",
    "maint.logrotate",
];

fn listed_ids(json: &Value) -> Vec<String> {
    let mut ids = Vec::new();
    for section in json["sections"].as_array().expect("sections") {
        for topic in section["topics"].as_array().expect("topics") {
            for item in topic["items"].as_array().expect("items") {
                ids.push(item["id"].as_str().expect("id").to_owned());
            }
        }
    }
    ids
}

#[test]
fn list_json_holds_exactly_the_seed_ids_in_order_of_sections() {
    let out =
        cargo_bin_cmd!("portcullis").args(["list", "--format", "json"]).output().expect("runs");
    assert!(out.status.success());
    let json: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let mut ids = listed_ids(&json);
    let sections: Vec<_> = json["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .map(|s| s["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(sections, ["django", "apache", "maint"]);
    ids.sort();
    let mut expected: Vec<String> = SEED_IDS.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    assert_eq!(ids, expected);
}

#[test]
fn every_item_has_a_why_and_a_reference() {
    let out =
        cargo_bin_cmd!("portcullis").args(["list", "--format", "json"]).output().expect("runs");
    let json: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    for section in json["sections"].as_array().expect("sections") {
        for topic in section["topics"].as_array().expect("topics") {
            for item in topic["items"].as_array().expect("items") {
                let id = &item["id"];
                assert!(item["why"].as_str().is_some_and(|w| w.len() > 20), "{id} has no why");
                assert!(
                    item["references"].as_array().is_some_and(|r| !r.is_empty()),
                    "{id} has no reference"
                );
            }
        }
    }
}

#[test]
fn a_checklist_file_with_a_typo_names_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("extra.toml");
    std::fs::write(
        &path,
        "[section]\nid = \"local\"\ntitle = \"Local\"\n\n[[topic]]\nid = \"t\"\ntitle = \"T\"\n\n[[topic.item]]\nid = \"local.x\"\ntitle = \"x\"\nseverity = \"low\"\nwhy = \"x\"\nprobe = { kind = \"django-setting\", setting = \"DEBUG\" }\nexpct = { falsy = true }\n",
    )
    .expect("write");
    let out = cargo_bin_cmd!("portcullis")
        .args(["list", "--checklist"])
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}:15:1", path.display())), "{stderr}");
    assert!(stderr.contains("expct"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_checklist_file_reusing_a_seed_id_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("dup.toml");
    std::fs::write(
        &path,
        "[section]\nid = \"django\"\ntitle = \"More Django\"\n\n[[topic]]\nid = \"extra\"\ntitle = \"T\"\n\n[[topic.item]]\nid = \"django.debug-off\"\ntitle = \"x\"\nseverity = \"low\"\nwhy = \"x\"\nprobe = { kind = \"django-setting\", setting = \"DEBUG\" }\nexpect = { falsy = true }\n",
    )
    .expect("write");
    let out = cargo_bin_cmd!("portcullis")
        .args(["list", "--checklist"])
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("already used at checklist/django.toml:"), "{stderr}");
}

#[test]
fn only_with_an_unknown_id_is_a_usage_error() {
    let out = cargo_bin_cmd!("portcullis")
        .args(["check", "--offline", "--root", "/tmp", "--only", "django.nope"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("portcullis list"));
}

#[test]
fn an_unknown_subcommand_exits_2() {
    let out = cargo_bin_cmd!("portcullis").arg("frobnicate").output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
}

/// `check` on a copy of the demo whose site is served by a second Apache
/// instance, `/etc/apache2-site`; stderr of the run.
fn check_stderr(root: &std::path::Path, state: &std::path::Path, extra: &[&str]) -> String {
    let out = cargo_bin_cmd!("portcullis")
        .env("XDG_STATE_HOME", state)
        .args(["check", "--offline", "--only", "django.proxy-ssl-header", "--root"])
        .arg(root)
        .args(extra)
        .output()
        .expect("portcullis runs");
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_ne!(out.status.code(), Some(2), "{said}");
    said
}

#[test]
fn a_project_served_by_another_apache_instance_names_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    portcullis::demo::unpack(&root).expect("the demo unpacks");
    let state = dir.path().join("state");
    assert!(!check_stderr(&root, &state, &[]).contains("--apache-root"), "the demo's own Apache");

    // The site moves to an instance of its own; /etc/apache2 keeps no site.
    let etc = root.join("etc");
    std::fs::rename(etc.join("apache2"), etc.join("apache2-site")).expect("move");
    let copied = std::process::Command::new("cp")
        .arg("-a")
        .arg(etc.join("apache2-site"))
        .arg(etc.join("apache2"))
        .status()
        .expect("cp runs");
    assert!(copied.success());
    std::fs::remove_file(etc.join("apache2/sites-enabled/aijack.conf")).expect("disable the site");

    let said = check_stderr(&root, &state, &[]);
    assert!(
        said.contains(
            "the Apache in /etc/apache2 does not serve /srv/aijack; the instance in /etc/apache2-site does: give --apache-root /etc/apache2-site"
        ),
        "{said}"
    );
    let said = check_stderr(&root, &state, &["--apache-root", "/etc/apache2-site"]);
    assert!(!said.contains("does not serve"), "{said}");
}
