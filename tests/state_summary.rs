//! `portcullis summary` on a demo session (two items fixed, one skipped with
//! a reason, one waived with an expiry, a manual item confirmed, the rest
//! left) shows exactly that in every format; JSON validates against the
//! schema in the repository, `JUnit` parses as XML, SARIF has the 2.1.0 shape.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use jiff::Timestamp;
use portcullis::finding::{Evidence, Finding};
use portcullis::report::summary::{Format, Summary, SummaryItem};
use portcullis::state::{FileDiff, JournalEntry, StagedStep, StateFile};
use portcullis::target::Target;

fn at(text: &str) -> Timestamp {
    text.parse().expect("a valid timestamp")
}

fn item(section: &str, topic: &str, id: &str, title: &str, severity: &str) -> SummaryItem {
    let section_title = match section {
        "django" => "Django settings",
        "apache" => "Apache",
        _ => "Maintenance",
    };
    SummaryItem {
        section_id: section.into(),
        section_title: section_title.into(),
        topic_title: topic.into(),
        id: id.into(),
        title: title.into(),
        severity: severity.into(),
        manual: id == "maint.logs-reviewed",
    }
}

fn checklist() -> Vec<SummaryItem> {
    vec![
        item("django", "Force HTTPS", "django.ssl-redirect", "Redirect HTTP to HTTPS", "high"),
        item("django", "Force HTTPS", "django.hsts-seconds", "HSTS for a year", "high"),
        item("django", "Force HTTPS", "django.hsts-preload", "HSTS preload", "low"),
        item("django", "Force HTTPS", "django.proxy-ssl-header", "Proxy SSL header", "medium"),
        item(
            "django",
            "Secure cookies",
            "django.session-cookie-secure",
            "Session cookie over HTTPS only",
            "high",
        ),
        item("django", "Debug", "django.debug-off", "DEBUG is off", "critical"),
        item("apache", "TLS", "apache.tls-protocols", "Only TLS 1.2 and 1.3", "high"),
        item("apache", "Banners", "apache.server-tokens", "ServerTokens Prod", "low"),
        item("maint", "Logs", "maint.logs-reviewed", "Logs reviewed", "medium"),
        item(
            "maint",
            "Secret key",
            "maint.secret-key-strength",
            "SECRET_KEY is strong",
            "critical",
        ),
    ]
}

const SECRET: &str = "zz-this-literal-must-never-appear-in-a-report-9f8e7d";

/// The demo session, with fixed times so every format can be checked exactly.
fn demo_state() -> StateFile {
    let mut target = Target::at_root("/tmp/demo");
    target.project = Some(PathBuf::from("/srv/app"));
    target.url = Some("https://admin:hunter2@shop.example.org/".into());
    let mut state = StateFile::new(target, at("2026-12-01T09:00:00Z"));

    let settings = "/srv/app/config/settings.py";
    state.record_findings(
        &[
            Finding::fail("django.ssl-redirect", "SECURE_SSL_REDIRECT is not set")
                .with(Evidence::in_file(settings, "not assigned; Django's default False applies")),
            Finding::fail("django.hsts-seconds", "SECURE_HSTS_SECONDS = 3600, less than a year")
                .with(Evidence::at(settings, 88, "SECURE_HSTS_SECONDS = 3600")),
            Finding::fail("django.hsts-preload", "SECURE_HSTS_PRELOAD is not set"),
            Finding::not_applicable("django.proxy-ssl-header", "served by mod_wsgi, no proxy"),
            Finding::fail("django.session-cookie-secure", "SESSION_COOKIE_SECURE is False")
                .with(Evidence::at(settings, 40, "SESSION_COOKIE_SECURE = False")),
            Finding::pass("django.debug-off", "DEBUG is False").with(Evidence::at(
                settings,
                26,
                "DEBUG = False",
            )),
            Finding::fail(
                "apache.tls-protocols",
                "TLSv1.1 is enabled <for old clients> & \"more\"",
            )
            .with(Evidence::at(
                "/etc/apache2/mods-enabled/ssl.conf",
                52,
                "SSLProtocol all -SSLv3",
            )),
            Finding::unknown("maint.logs-reviewed", "a person has to read the logs"),
            Finding::fail(
                "maint.secret-key-strength",
                "SECRET_KEY has 20 characters & <5 distinct> \"weak\"\u{7}",
            )
            .with(Evidence::at(settings, 23, format!("SECRET_KEY = '{SECRET}'"))),
        ],
        at("2026-12-01T09:01:00Z"),
    );

    // Session 1: two fixes.
    for (id, minute) in [("django.ssl-redirect", 10), ("django.session-cookie-secure", 12)] {
        let mut entry = JournalEntry::new(id, at(&format!("2026-12-01T09:{minute}:00Z")));
        entry.diffs.push(FileDiff { path: settings.into(), diff: "--- a\n+++ b\n".into() });
        state.record_fix(entry);
    }
    state.stage(
        StagedStep {
            item: "django.hsts-seconds".into(),
            step: "hsts-full-year".into(),
            due: at("2026-12-08T09:00:00Z"),
            reminder: "raise SECURE_HSTS_SECONDS from 3600 to 31536000".into(),
            done: None,
        },
        at("2026-12-01T09:20:00Z"),
    );

    // Session 2: a re-check, a third fix, a skip, a waiver, a confirmation.
    state.begin_session(at("2026-12-09T08:00:00Z"));
    state.record_findings(
        &[
            Finding::pass("django.ssl-redirect", "SECURE_SSL_REDIRECT = True").with(Evidence::at(
                settings,
                91,
                "SECURE_SSL_REDIRECT = True",
            )),
            Finding::pass("django.session-cookie-secure", "SESSION_COOKIE_SECURE = True"),
        ],
        at("2026-12-09T08:01:00Z"),
    );
    let mut entry = JournalEntry::new("apache.server-tokens", at("2026-12-09T08:05:00Z"));
    entry
        .commands
        .push(portcullis::state::CommandRun { command: "apache2ctl -t".into(), status: Some(0) });
    state.record_fix(entry);
    state
        .skip("django.hsts-preload", "needs sign-off from the web team", at("2026-12-09T08:06:00Z"))
        .expect("skip");
    state
        .waive(
            "apache.tls-protocols",
            "a payment terminal still speaks TLS 1.1",
            "alice",
            Some("2027-01-31".parse().expect("date")),
            at("2026-12-09T08:07:00Z"),
        )
        .expect("waive");
    state
        .confirm(
            "maint.logs-reviewed",
            "read a week of error.log",
            "bob",
            at("2026-12-09T08:08:00Z"),
        )
        .expect("confirm");
    state
}

fn demo_summary() -> Summary {
    Summary::build(&demo_state(), &checklist(), at("2026-12-09T09:00:00Z"))
}

fn python() -> String {
    std::env::var("PORTCULLIS_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Runs a Python snippet with `input` on stdin; fails with how to install
/// what is missing.
fn run_python(script: &str, input: &str) -> String {
    let mut child = Command::new(python())
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect(
            "python3 must be installed (apt-get install python3), or set PORTCULLIS_TEST_PYTHON",
        );
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("python output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named 'jsonschema'"),
        "the jsonschema module is missing: pip install jsonschema (into {})",
        python()
    );
    assert!(out.status.success(), "python check failed:\n{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn summary_counts_fixed_skipped_waived_and_the_rest() {
    let summary = demo_summary();
    let t = summary.totals;
    assert_eq!(
        (
            t.total,
            t.pass,
            t.fixed,
            t.fail,
            t.unknown,
            t.pending,
            t.skipped,
            t.waived,
            t.not_applicable
        ),
        (10, 5, 3, 2, 0, 0, 1, 1, 1)
    );
    let before = summary.before_after.before;
    assert_eq!(
        (before.pass, before.fail, before.unknown, before.pending, before.not_applicable),
        (1, 6, 1, 1, 1)
    );
    assert_eq!(summary.fixes.len(), 3);
    assert_eq!(summary.fixes.iter().filter(|f| f.this_session).count(), 1);
    assert_eq!(summary.reminders.len(), 1);
    assert!(summary.reminders[0].is_due);
    let remaining: Vec<(&str, Vec<&str>)> = summary
        .remaining
        .iter()
        .map(|g| (g.severity.as_str(), g.items.iter().map(|i| i.id.as_str()).collect()))
        .collect();
    assert_eq!(
        remaining,
        vec![
            ("critical", vec!["maint.secret-key-strength"]),
            ("high", vec!["django.hsts-seconds"]),
            ("low", vec!["django.hsts-preload"]),
        ]
    );
    assert_eq!(summary.exit_code(false), 1);
}

#[test]
fn summary_text_shows_each_item_with_fix_skip_and_waiver() {
    let text = demo_summary().render(Format::Text);
    for expected in [
        "Before: 1 pass, 6 fail, 1 unknown, 1 pending, 1 do not apply",
        "Now:    5 pass (3 fixed), 2 fail, 1 skipped, 1 waived, 1 do not apply",
        "pass     django.ssl-redirect  Redirect HTTP to HTTPS",
        "fixed 2026-12-01 09:10 UTC; undo: portcullis rollback django.ssl-redirect",
        "skipped  django.hsts-preload",
        "skipped this session: needs sign-off from the web team",
        "waived by alice until 2027-01-31: a payment terminal still speaks TLS 1.1",
        "n/a      django.proxy-ssl-header",
        "confirmed by bob 2026-12-09 08:08 UTC: read a week of error.log",
        "/srv/app/config/settings.py:88  SECURE_HSTS_SECONDS = 3600",
        "#3 apache.server-tokens 2026-12-09 08:05 UTC; ran: apache2ctl -t; undo: portcullis rollback apache.server-tokens",
        "critical: maint.secret-key-strength (fail)",
        "django.hsts-seconds (hsts-full-year), DUE since 2026-12-08 09:00 UTC",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    insta::assert_snapshot!("summary_text", text);
}

#[test]
fn summary_markdown_has_a_table_per_topic_and_escapes_evidence() {
    let markdown = demo_summary().render(Format::Markdown);
    assert!(markdown.contains("### Force HTTPS\n\n| status | item | details |"), "{markdown}");
    assert!(markdown.contains("TLSv1.1 is enabled \\<for old clients\\> & \"more\""), "{markdown}");
    assert!(markdown.contains("- **critical**: `maint.secret-key-strength` (fail)"), "{markdown}");
    insta::assert_snapshot!("summary_markdown", markdown);
}

#[test]
fn summary_json_validates_against_the_schema_in_the_repository() {
    let json = demo_summary().render(Format::Json);
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(value["totals"]["fixed"], 3);
    let item = &value["sections"][0]["topics"][0]["items"][0];
    assert_eq!(item["status"], "pass");
    assert_eq!(item["fixed"]["rollback"], "portcullis rollback django.ssl-redirect");

    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/summary.schema.json");
    let script = format!(
        "import json, sys, jsonschema\n\
         schema = json.load(open({schema:?}))\n\
         jsonschema.Draft202012Validator.check_schema(schema)\n\
         jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(json.load(sys.stdin))\n\
         print('valid')"
    );
    assert_eq!(run_python(&script, &json).trim(), "valid");

    // And the schema is not a rubber stamp: a wrong status is rejected.
    let broken = json.replacen("\"status\": \"pass\"", "\"status\": \"fixed\"", 1);
    let rejects = format!(
        "import json, sys, jsonschema\n\
         schema = json.load(open({schema:?}))\n\
         print(len(list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(sys.stdin)))))"
    );
    assert_ne!(run_python(&rejects, &broken).trim(), "0");
}

#[test]
fn summary_junit_parses_as_junit_xml() {
    let junit = demo_summary().render(Format::Junit);
    let script = "import sys, xml.etree.ElementTree as ET\n\
        root = ET.fromstring(sys.stdin.read())\n\
        assert root.tag == 'testsuites', root.tag\n\
        cases = root.findall('testsuite/testcase')\n\
        fails = [c.get('name') for c in cases if c.find('failure') is not None]\n\
        skips = [c.get('name') for c in cases if c.find('skipped') is not None]\n\
        total = sum(int(s.get('tests')) for s in root.findall('testsuite'))\n\
        assert total == int(root.get('tests')) == len(cases)\n\
        assert int(root.get('failures')) == len(fails)\n\
        print(len(cases), ','.join(fails), ','.join(skips))\n\
        print(root.find(\"testsuite/testcase[@name='apache.tls-protocols']/skipped\").get('message'))";
    let out = run_python(script, &junit);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some(
            "10 django.hsts-seconds,maint.secret-key-strength django.hsts-preload,apache.tls-protocols"
        )
    );
    assert_eq!(lines.next(), Some("waived by alice: a payment terminal still speaks TLS 1.1"));
    insta::assert_snapshot!("summary_junit", junit);
}

#[test]
fn summary_sarif_is_version_2_1_0_with_rules_results_and_locations() {
    let sarif = demo_summary().render(Format::Sarif);
    let log: serde_json::Value = serde_json::from_str(&sarif).expect("valid JSON");
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().is_some_and(|s| s.contains("sarif-2.1.0")));
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 10);
    let results = run["results"].as_array().expect("results");
    for result in results {
        let index =
            usize::try_from(result["ruleIndex"].as_u64().expect("ruleIndex")).expect("index");
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(result["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        if result["kind"] != "fail" {
            assert_eq!(result["level"], "none", "SARIF: only failures carry a level");
        }
    }
    let hsts = results.iter().find(|r| r["ruleId"] == "django.hsts-seconds").expect("hsts result");
    assert_eq!((hsts["kind"].as_str(), hsts["level"].as_str()), (Some("fail"), Some("error")));
    let location = &hsts["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "file:///srv/app/config/settings.py");
    assert_eq!(location["region"]["startLine"], 88);
    let proxy = results.iter().find(|r| r["ruleId"] == "django.proxy-ssl-header").expect("n/a");
    assert_eq!(proxy["kind"], "notApplicable");
    let waived = results.iter().find(|r| r["ruleId"] == "apache.tls-protocols").expect("waived");
    assert_eq!(waived["suppressions"][0]["status"], "accepted");
}

#[test]
fn no_format_of_the_summary_shows_a_secret() {
    let summary = demo_summary();
    for format in [Format::Text, Format::Markdown, Format::Json, Format::Junit, Format::Sarif] {
        let out = summary.render(format);
        assert!(!out.contains(SECRET), "{format:?} shows the SECRET_KEY literal");
        assert!(!out.contains("hunter2"), "{format:?} shows the URL's password");
    }
}
