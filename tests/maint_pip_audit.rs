//! The real pip-audit against a loopback OSV service: a clean file, a
//! vulnerable file, an include that pip-audit itself would drop, and the
//! advisory service being unreachable. Plus the parser on recorded output.

#[path = "support/osv.rs"]
mod osv;

use std::path::{Path, PathBuf};
use std::time::Duration;

use portcullis::maint::pip_audit::{
    self, Advisory, AuditOutcome, AuditRequest, Invoker, Progress, SkippedDependency,
    VulnerablePackage,
};

/// pip-audit from `$PORTCULLIS_TEST_PYTHON`'s bin directory, else from the
/// venv under target/ that the test setup creates.
fn pip_audit_program() -> PathBuf {
    let program = match std::env::var_os("PORTCULLIS_TEST_PYTHON") {
        Some(python) => Path::new(&python).with_file_name("pip-audit"),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyvenv/pip-audit/bin/pip-audit"),
    };
    assert!(
        program.is_file(),
        "pip-audit not found at {}. Install it: /usr/bin/python3 -m venv target/pyvenv/pip-audit \
         && target/pyvenv/pip-audit/bin/pip install pip-audit (or set PORTCULLIS_TEST_PYTHON to a \
         venv's python that has pip-audit)",
        program.display()
    );
    program
}

fn offline_request(requirements: &Path, osv_url: &str) -> AuditRequest {
    let mut request = AuditRequest::new(pip_audit_program(), requirements);
    request.osv_url = Some(osv_url.to_owned());
    request.no_install = true;
    request
}

fn run(request: &AuditRequest) -> (AuditOutcome, Vec<String>) {
    let mut progress = Vec::new();
    let outcome = pip_audit::run(request, &Invoker::current(), Duration::from_secs(120), |event| {
        if let Progress::Line(line) = event {
            progress.push(line.to_owned());
        }
    });
    (outcome, progress)
}

fn django_vulnerable() -> VulnerablePackage {
    VulnerablePackage {
        name: "django".to_owned(),
        version: "4.2.0".to_owned(),
        vulns: vec![Advisory {
            id: "CVE-2023-31047".to_owned(),
            aliases: vec!["GHSA-r3xc-prgr-mg9p".to_owned()],
            fix_versions: vec!["4.2.1".to_owned()],
        }],
    }
}

#[test]
fn a_pinned_file_without_advisories_is_clean() {
    let server = osv::OsvServer::start(&[("django", "4.2.0", osv::DJANGO_ADVISORY)]);
    let dir = tempfile::tempdir().expect("tempdir");
    let requirements = dir.path().join("requirements.txt");
    std::fs::write(&requirements, "Django==5.2.19\nrequests==2.32.4\n").expect("write");

    let (outcome, progress) = run(&offline_request(&requirements, &server.url));

    assert_eq!(outcome, AuditOutcome::Clean { audited: 2 });
    assert!(progress.iter().any(|l| l.contains("No known vulnerabilities found")), "{progress:?}");
    assert_eq!(server.queries(), ["django 5.2.19", "requests 2.32.4"]);
}

#[test]
fn a_vulnerable_pin_is_reported_with_its_advisory_and_fix() {
    let server = osv::OsvServer::start(&[("django", "4.2.0", osv::DJANGO_ADVISORY)]);
    let dir = tempfile::tempdir().expect("tempdir");
    let requirements = dir.path().join("requirements.txt");
    std::fs::write(&requirements, "django==4.2.0\nrequests==2.32.4\n").expect("write");

    let (outcome, _) = run(&offline_request(&requirements, &server.url));

    assert_eq!(
        outcome,
        AuditOutcome::Vulnerable { packages: vec![django_vulnerable()], skipped: vec![] }
    );
    assert_eq!(
        pip_audit::describe(&outcome),
        ["django 4.2.0: CVE-2023-31047 (GHSA-r3xc-prgr-mg9p), fixed in 4.2.1"]
    );
}

/// Case E1: production.txt pulls django in through `-r base.txt`. With
/// `--disable-pip`, pip-audit 2.10.1 silently drops the include and says
/// "clean"; the flattened file finds the vulnerability.
#[test]
fn a_requirements_file_that_includes_another_is_flattened_before_the_audit() {
    let server = osv::OsvServer::start(&[("django", "4.2.0", osv::DJANGO_ADVISORY)]);
    let dir = tempfile::tempdir().expect("tempdir");
    let req = dir.path().join("requirements");
    std::fs::create_dir(&req).expect("mkdir");
    std::fs::write(req.join("base.txt"), "django==4.2.0\n").expect("write");
    std::fs::write(req.join("production.txt"), "-r base.txt\nrequests==2.32.4\n").expect("write");

    let (unflattened, _) = run(&offline_request(&req.join("production.txt"), &server.url));
    assert_eq!(
        unflattened,
        AuditOutcome::Clean { audited: 1 },
        "pip-audit's own behaviour changed"
    );

    let flat = pip_audit::flatten_requirements(&req.join("production.txt"));
    assert_eq!(flat.requirements, ["django==4.2.0", "requests==2.32.4"]);
    let workdir = pip_audit::AuditWorkdir::create(dir.path(), &flat, None).expect("workdir");
    let (outcome, _) = run(&offline_request(&workdir.requirements, &server.url));
    assert_eq!(
        outcome,
        AuditOutcome::Vulnerable { packages: vec![django_vulnerable()], skipped: vec![] }
    );
}

#[test]
fn an_unreachable_advisory_service_is_one_line_and_never_a_pass() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let dir = tempfile::tempdir().expect("tempdir");
    let requirements = dir.path().join("requirements.txt");
    std::fs::write(&requirements, "django==4.2.0\n").expect("write");

    let url = format!("http://127.0.0.1:{port}/v1/query");
    let (outcome, _) = run(&offline_request(&requirements, &url));

    assert_eq!(
        outcome,
        AuditOutcome::Failed {
            message: format!(
                "network unreachable: pip-audit could not reach 127.0.0.1:{port} (connection refused)"
            ),
            unreachable: true,
        }
    );
}

#[test]
fn an_unpinned_requirement_fails_with_pip_audits_own_message() {
    let server = osv::OsvServer::start(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let requirements = dir.path().join("requirements.txt");
    std::fs::write(&requirements, "django>=4.2\n").expect("write");

    let (outcome, _) = run(&offline_request(&requirements, &server.url));

    let AuditOutcome::Failed { message, unreachable } = outcome else {
        panic!("expected a failure, got {outcome:?}");
    };
    assert!(!unreachable);
    assert!(
        message.starts_with("requirement django is not pinned to an exact version"),
        "{message}"
    );
}

// The parser on output recorded from pip-audit 2.10.1 (tests/fixtures/maint/pip-audit).

fn fixture(name: &str) -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/maint/pip-audit").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse_recorded(name: &str, exit_code: i32) -> AuditOutcome {
    pip_audit::parse_outcome(
        Some(exit_code),
        &fixture(&format!("{name}.json")),
        &fixture(&format!("{name}.stderr")),
    )
}

#[test]
fn recorded_clean_run_is_clean() {
    assert_eq!(parse_recorded("clean", 0), AuditOutcome::Clean { audited: 1 });
}

#[test]
fn recorded_vulnerable_run_lists_the_package() {
    let AuditOutcome::Vulnerable { packages, skipped } = parse_recorded("vulnerable", 1) else {
        panic!("expected vulnerable");
    };
    assert!(skipped.is_empty());
    assert_eq!(packages.len(), 1);
    assert_eq!(packages[0].name, "django");
    assert_eq!(packages[0].vulns[0].fix_versions, ["4.2.1"]);
}

/// pip-audit exited 0 and printed "No known vulnerabilities found", yet it
/// audited nothing: every dependency carries a `skip_reason`.
#[test]
fn recorded_run_that_skipped_everything_is_not_audited() {
    assert_eq!(
        parse_recorded("all-skipped", 0),
        AuditOutcome::NotAudited {
            skipped: vec![
                SkippedDependency {
                    name: "django".to_owned(),
                    reason: "Dependency not found on PyPI and could not be audited: django (4.2.0)"
                        .to_owned()
                },
                SkippedDependency {
                    name: "requests".to_owned(),
                    reason:
                        "Dependency not found on PyPI and could not be audited: requests (2.31.0)"
                            .to_owned()
                },
            ]
        }
    );
}

#[test]
fn recorded_strict_run_that_skipped_fails_with_its_error_line() {
    assert_eq!(
        parse_recorded("all-skipped-strict", 1),
        AuditOutcome::Failed {
            message:
                "django: Dependency not found on PyPI and could not be audited: django (4.2.0)"
                    .to_owned(),
            unreachable: false
        }
    );
}

#[test]
fn recorded_refused_connection_is_unreachable() {
    assert_eq!(
        parse_recorded("osv-refused", 1),
        AuditOutcome::Failed {
            message:
                "network unreachable: pip-audit could not reach 127.0.0.1:1 (connection refused)"
                    .to_owned(),
            unreachable: true
        }
    );
}

#[test]
fn recorded_unpinned_run_fails() {
    assert!(matches!(
        parse_recorded("unpinned", 1),
        AuditOutcome::Failed { unreachable: false, .. }
    ));
}

/// Run as root, the audit runs as the site's user through runuser, in a
/// working directory handed to that user: `nobody`'s home does not exist,
/// and without a cache directory of its own pip-audit dies on a
/// `PermissionError` creating `~/.cache`.
#[test]
fn the_audit_runs_as_the_site_user_when_portcullis_is_root() {
    use std::os::unix::fs::PermissionsExt;
    let server = osv::OsvServer::start(&[("django", "4.2.0", osv::DJANGO_ADVISORY)]);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let source = dir.path().join("requirements.txt");
    std::fs::write(&source, "django==4.2.0\n").expect("write");
    let invoker = Invoker::current();
    assert!(invoker.is_root, "this test runs the audit as nobody and needs root");

    let mut request = offline_request(&source, &server.url);
    request.site_user = Some("nobody".to_owned());
    let (without_cache, _) = run(&request);
    let AuditOutcome::Failed { message, .. } = without_cache else {
        panic!("expected pip-audit to fail without a writable cache: {without_cache:?}");
    };
    assert!(message.starts_with("PermissionError"), "{message}");

    let flat = pip_audit::flatten_requirements(&source);
    let workdir =
        pip_audit::AuditWorkdir::create(dir.path(), &flat, Some("nobody")).expect("workdir");
    workdir.apply_to(&mut request);
    assert_eq!(request.argv(&invoker)[..4], ["runuser", "-u", "nobody", "--"]);
    let (outcome, progress) = run(&request);
    assert!(
        matches!(&outcome, AuditOutcome::Vulnerable { packages, .. } if packages[0].name == "django"),
        "{outcome:?} {progress:?}"
    );
}

/// The upgrade fix: the pins pip-audit reports are raised to the fixing
/// version, and pip-audit then finds the file clean.
#[test]
fn raising_the_reported_pins_makes_the_audit_clean() {
    let server = osv::OsvServer::start(&[("django", "4.2.0", osv::DJANGO_ADVISORY)]);
    let dir = tempfile::tempdir().expect("tempdir");
    let requirements = dir.path().join("requirements.txt");
    let before = "Django==4.2.0  # the web framework\nrequests==2.32.4\n";
    std::fs::write(&requirements, before).expect("write");

    let (outcome, _) = run(&offline_request(&requirements, &server.url));
    let AuditOutcome::Vulnerable { packages, .. } = outcome else {
        panic!("expected vulnerable, got {outcome:?}");
    };
    let (after, upgrades) = pip_audit::upgrade_pins(before, &packages);
    assert_eq!(after, "Django==4.2.1  # the web framework\nrequests==2.32.4\n");
    assert_eq!(upgrades.len(), 1);

    std::fs::write(&requirements, &after).expect("write");
    let (outcome, _) = run(&offline_request(&requirements, &server.url));
    assert_eq!(outcome, AuditOutcome::Clean { audited: 2 });
}

/// A pip-audit that hangs (here: an advisory service that accepts the
/// connection and never answers) is killed at the timeout, with a message,
/// and the caller heard that it was still waiting.
#[test]
fn a_hanging_audit_is_killed_at_the_timeout() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let requirements = dir.path().join("requirements.txt");
    std::fs::write(&requirements, "django==4.2.0\n").expect("write");
    let request = offline_request(&requirements, &format!("http://127.0.0.1:{port}/v1/query"));

    let mut waiting = 0;
    let started = std::time::Instant::now();
    let outcome = pip_audit::run(&request, &Invoker::current(), Duration::from_secs(3), |event| {
        if matches!(event, Progress::Waiting { .. }) {
            waiting += 1;
        }
    });

    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert_eq!(
        outcome,
        AuditOutcome::Failed {
            message: "pip-audit did not finish within 3 s".to_owned(),
            unreachable: false
        }
    );
    assert!(waiting >= 1);
    drop(silent);
}
