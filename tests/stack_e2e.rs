//! The whole mission on a real stack (issues 5 and 9), with the root at `/`
//! so that every command really runs: a Debian Apache instance of its own
//! (`/etc/apache2-NAME`, built from Debian's packaged configuration by
//! `scripts/demo-stack`) serving the demo Django project through `mod_wsgi`
//! on loopback, with a self-signed certificate, as a fresh deploy leaves it.
//!
//! `check` finds the failures with the configuration and the wire side by
//! side and agrees with Apache's own dumps; `fix --all --yes` fixes every
//! item that has a fix, reloading Apache as it goes; `check` then passes
//! every item that can pass on loopback, verified on the wire; the site
//! answers; Django's `check --deploy` is clean; `rollback --all` brings back
//! every file byte for byte (the shared files under /etc/modsecurity and
//! /etc/logrotate.d included) and the insecure server answers again.
//!
//! pip-audit asks an OSV service on loopback (no advisory for the demo's
//! pins), since the test machine need not reach the internet.

#[path = "support/osv.rs"]
#[allow(dead_code)]
mod osv;
#[path = "support/stack.rs"]
mod stack;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;
use stack::Stack;

struct Run {
    stack: Stack,
    flags: Vec<String>,
    state: tempfile::TempDir,
}

impl Run {
    fn portcullis(&self, args: &[&str]) -> Output {
        cargo_bin_cmd!("portcullis")
            .args(args)
            .args(&self.flags)
            .env("XDG_STATE_HOME", self.state.path())
            .env_remove("NO_COLOR")
            .output()
            .expect("portcullis runs")
    }

    /// `check --format json`: the findings by id.
    fn check(&self) -> BTreeMap<String, Value> {
        let out = self.portcullis(&["check", "--format", "json"]);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "check failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: Value = serde_json::from_slice(&out.stdout).expect("check prints JSON");
        json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| (f["id"].as_str().unwrap_or("").to_owned(), f.clone()))
            .collect()
    }
}

fn status(findings: &BTreeMap<String, Value>, id: &str) -> String {
    findings[id]["status"].as_str().unwrap_or("").to_owned()
}

fn summary(findings: &BTreeMap<String, Value>, id: &str) -> String {
    findings[id]["summary"].as_str().unwrap_or("").to_owned()
}

fn with_status(findings: &BTreeMap<String, Value>, wanted: &str) -> Vec<String> {
    findings.keys().filter(|id| status(findings, id) == wanted).cloned().collect()
}

/// What a fresh deploy fails: every item with a fix but the ones Debian's
/// packages already satisfy (`ModSecurity` and `mod_evasive` installed and
/// loaded, the CRS included once, a log per virtual host).
const FRESH_FAILURES: &[&str] = &[
    "apache.evasive-configured",
    "apache.modsecurity-engine",
    "apache.no-indexes",
    "apache.server-signature",
    "apache.server-tokens",
    "apache.tls-ciphers",
    "apache.tls-protocols",
    "django.axes-app",
    "django.axes-backend",
    "django.axes-cooloff",
    "django.axes-failure-limit",
    "django.axes-installed",
    "django.axes-middleware",
    "django.csp-installed",
    "django.csp-middleware",
    "django.csp-policy",
    "django.csrf-cookie-secure",
    "django.hsts-preload",
    "django.hsts-seconds",
    "django.hsts-subdomains",
    "django.session-cookie-secure",
    "django.ssl-redirect",
    "maint.env-permissions",
    "maint.logrotate",
    "maint.pip-audit-listed",
    "maint.secret-key-strength",
];

/// Items whose pass is confirmed on the wire after the fixes.
const WIRE_CONFIRMED: &[&str] = &[
    "apache.modsecurity-engine",
    "apache.no-indexes",
    "apache.server-signature",
    "apache.server-tokens",
    "apache.tls-ciphers",
    "apache.tls-protocols",
    "django.csp-policy",
    "django.csrf-cookie-secure",
    "django.hsts-preload",
    "django.hsts-seconds",
    "django.hsts-subdomains",
    "django.nosniff",
    "django.ssl-redirect",
    "django.x-frame-options",
];

fn site_answers(stack: &Stack, when: &str) {
    let (code, body) = stack.get("/");
    assert_eq!(code, 200, "{when}: the home page answers {code}\n{}", stack.error_log());
    assert!(body.contains("<title>AI Jack</title>"), "{when}: the home page is the site's: {body}");
}

fn env_secret(project: &Path) -> String {
    let env = std::fs::read_to_string(project.join(".env")).expect(".env");
    env.lines()
        .find_map(|l| l.strip_prefix("DJANGO_SECRET_KEY="))
        .map(|v| v.trim().trim_matches('"').trim_matches('\'').to_owned())
        .expect("the key in .env")
}

#[test]
fn a_fresh_deploy_is_hardened_verified_on_the_wire_and_rolled_back_byte_for_byte() {
    let advisories = osv::OsvServer::start(&[]);
    let stack = Stack::up("e2e");
    let mut flags = stack.flags();
    flags.extend(["--osv-url".to_owned(), advisories.url.clone()]);
    let run = Run { stack, flags, state: tempfile::tempdir().expect("state dir") };
    let stack = &run.stack;
    site_answers(stack, "fresh deploy");
    assert!(
        stack.server_header().starts_with("Apache/2.4"),
        "a fresh Debian Apache names its version"
    );
    let before = stack.snapshot();
    let old_key = env_secret(&stack.project());

    // 1. The audit of the fresh deploy.
    let fresh = run.check();
    assert_eq!(with_status(&fresh, "fail"), FRESH_FAILURES, "the fresh deploy's failures");
    assert_eq!(
        with_status(&fresh, "unknown"),
        ["django.axes-migrated", "maint.logs-reviewed", "maint.secret-key-rotated"],
        "what the fresh deploy leaves unknown"
    );
    // Configuration and wire side by side, and where they disagree, why.
    let tls = summary(&fresh, "apache.tls-protocols");
    assert!(
        tls.contains("the configuration fails") && tls.contains("alert 80"),
        "SSLProtocol all under Debian 12's OpenSSL: {tls}"
    );
    let tokens = summary(&fresh, "apache.server-tokens");
    assert!(tokens.contains("and so does the wire") && tokens.contains("Apache/2.4"), "{tokens}");
    let redirect = summary(&fresh, "django.ssl-redirect");
    assert!(
        redirect.contains(&format!("http://{}:{}/", stack::HOST, stack.http_port)),
        "the plain-HTTP port comes from the Apache configuration: {redirect}"
    );
    let evidence = fresh["apache.server-tokens"]["evidence"].to_string();
    assert!(evidence.contains(&format!("/etc/apache2-{}/conf-enabled/security.conf", stack.name)));
    model_agrees_with_apache(stack, "fresh deploy");

    // 2. Every fix, with Apache reloaded as it goes.
    let out = run.portcullis(&["fix", "--all", "--yes"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let outcome = |word: &str| -> Vec<String> {
        let mut ids: Vec<String> = stdout
            .lines()
            .filter_map(|line| {
                line.strip_suffix(word).or_else(|| line.split_once(word).map(|(id, _)| id))
            })
            .filter(|id| !id.contains(' '))
            .map(str::to_owned)
            .collect();
        ids.sort();
        ids
    };
    let fixed = outcome(": fixed");
    // The others pass before their turn comes: the TLS protocols fix writes
    // Mozilla's cipher suites too, one CSP setting makes both CSP items pass,
    // and once axes is installed its default failure limit is in effect.
    assert!(fixed.len() >= 20, "most items took their own fix: {fixed:?}\n{stdout}");
    for id in &fixed {
        assert!(
            FRESH_FAILURES.contains(&id.as_str()) || id == "django.axes-migrated",
            "{id} was fixed though it did not fail"
        );
    }
    assert!(fixed.contains(&"django.axes-migrated".to_owned()), "axes migrated: {fixed:?}");
    assert_eq!(
        outcome(": not fixed"),
        ["maint.logs-reviewed", "maint.secret-key-rotated"],
        "only the manual review and the rotation record (made by the strength fix) are left:\n{stdout}"
    );
    for word in [": FAILED", ": not applied"] {
        assert_eq!(outcome(word), Vec::<String>::new(), "no fix {word}:\n{stdout}\n{stderr}");
    }
    assert!(
        stderr.contains("validate Apache's own configuration test (apache2ctl -t)"),
        "{stderr}"
    );
    assert!(stderr.contains("Apache reloaded"), "Apache was reloaded:\n{stderr}");
    // Each fix with a live probe was proved on the wire right after it.
    assert!(!stdout.contains("the live probe disagrees"), "{stdout}");
    for id in ["apache.server-tokens", "django.hsts-seconds", "apache.tls-protocols"] {
        assert!(stdout.contains(&format!("{id}: live probe: ")), "{id} probed:\n{stdout}");
    }
    site_answers(stack, "after the fixes");
    model_agrees_with_apache(stack, "after the fixes");
    assert_eq!(stack.server_header(), "Apache", "ServerTokens Prod is live");

    let out = run.portcullis(&[
        "confirm",
        "maint.logs-reviewed",
        "--note",
        "read the summary: scanner 404s only",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // 3. Everything that can pass on loopback passes, verified on the wire.
    let hardened = run.check();
    assert_eq!(with_status(&hardened, "fail"), Vec::<String>::new(), "nothing fails");
    assert_eq!(with_status(&hardened, "unknown"), Vec::<String>::new(), "nothing is unknown");
    let not_applicable: Vec<&String> =
        hardened.keys().filter(|id| hardened[*id]["applies"] == Value::Bool(false)).collect();
    assert_eq!(
        not_applicable,
        ["django.proxy-ssl-header", "maint.pip-audit-ci"],
        "mod_wsgi serves the site (no proxy header) and the project has no CI"
    );
    for id in WIRE_CONFIRMED {
        let said = summary(&hardened, id);
        assert!(said.contains("confirmed on the wire"), "{id}: {said}");
    }
    // Django sets the session cookie only after a login: config alone.
    assert!(
        summary(&hardened, "django.session-cookie-secure").contains("not confirmed on the wire")
    );
    assert!(!advisories.queries().is_empty(), "pip-audit asked the advisory service");

    // Django's own deployment check agrees.
    let python = stack.project().join(".venv/bin/python");
    let deploy = Command::new(&python)
        .args(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
        .current_dir(stack.project())
        .output()
        .expect("the site's python runs");
    assert!(
        deploy.status.success(),
        "check --deploy after the fixes:\n{}{}",
        String::from_utf8_lossy(&deploy.stdout),
        String::from_utf8_lossy(&deploy.stderr)
    );

    // No secret reached an output or the state.
    let new_key = env_secret(&stack.project());
    assert_ne!(new_key, old_key, "the weak key was replaced");
    let mut seen = stdout.clone() + &stderr;
    for entry in walkdir(run.state.path()) {
        if entry.to_string_lossy().contains("/backups/") {
            continue; // the backups hold the old files, mode 600
        }
        seen.push_str(&std::fs::read_to_string(&entry).unwrap_or_default());
    }
    for key in [&old_key, &new_key] {
        assert!(!seen.contains(key.as_str()), "a SECRET_KEY reached an output or the state");
    }

    // 4. Rollback: every file as it was, the insecure site answering again.
    let out = run.portcullis(&["rollback", "--all", "--yes"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "rollback --all: {said}{}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("Apache reloaded"), "Apache reloaded on the restored files: {said}");
    let after = stack.snapshot();
    let changed: Vec<_> = before
        .iter()
        .filter(|(path, was)| after.get(*path) != Some(was))
        .map(|(path, was)| format!("{}: {was} -> {:?}", path.display(), after.get(path)))
        .chain(
            after
                .keys()
                .filter(|path| !before.contains_key(*path))
                .map(|path| format!("{}: left behind", path.display())),
        )
        .collect();
    assert!(changed.is_empty(), "not restored byte for byte:\n{}", changed.join("\n"));
    assert_eq!(env_secret(&stack.project()), old_key, "the old key is back");
    site_answers(stack, "after the rollback");
    assert!(stack.server_header().starts_with("Apache/2.4"), "the restored ServerTokens is live");
    let again = run.check();
    for id in ["apache.server-tokens", "apache.modsecurity-engine", "django.hsts-seconds"] {
        assert_eq!(status(&again, id), "fail", "{id} fails again after the rollback");
        assert!(
            summary(&again, id).contains("and so does the wire"),
            "{id}: {}",
            summary(&again, id)
        );
    }
}

/// The model's modules, virtual hosts and include list against Apache's own
/// `-M`, `-S` and `-t -D DUMP_INCLUDES` for the instance.
fn model_agrees_with_apache(stack: &Stack, when: &str) {
    let mut target = portcullis::target::Target::at_root("/");
    target.apache_root = stack.confdir();
    let config = portcullis::apache::ApacheConfig::load(&target).expect("the model loads");
    assert!(config.virtual_hosts().len() == 2, "{when}: the site's two virtual hosts");
    let disagreements = portcullis::apache::crosscheck::cross_check(&config, &target)
        .unwrap_or_else(|err| panic!("{when}: apache2ctl's dumps could not be read: {err}"));
    let said: Vec<String> =
        disagreements.iter().map(|d| format!("{}: {}", d.topic, d.text)).collect();
    assert!(said.is_empty(), "{when}: the model and Apache disagree:\n{}", said.join("\n"));
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walkdir(&path));
        } else {
            files.push(path);
        }
    }
    files
}
