//! The log review assistant on an Apache error log and an access log that
//! hold the usual mix: 404 probes, Django 500s, `ModSecurity` and `mod_evasive`
//! blocks, plus garbage lines, invalid UTF-8 and escape sequences.

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use portcullis::maint::logs::{self, LogSummary};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/maint/logs").join(name)
}

fn summary() -> LogSummary {
    logs::summarise_files(
        Some((&fixture("error.log"), "/var/log/apache2/example-error.log")),
        Some((&fixture("access.log"), "/var/log/apache2/example-access.log")),
    )
    .expect("fixtures read")
}

#[test]
fn error_log_counts_levels_messages_and_blocks() {
    let summary = summary();
    let (_, errors) = summary.error_log.as_ref().expect("error log");

    assert_eq!((errors.lines, errors.unparsed), (21, 3));
    let levels: Vec<(&str, u64)> = errors.by_level.iter().map(|(l, n)| (l.as_str(), *n)).collect();
    assert_eq!(levels, [("error", 12), ("notice", 3), ("warn", 2)]);
    assert_eq!(errors.by_hour.get("2026-11-26 11:00"), Some(&8));
    assert_eq!(errors.first.map(|t| t.to_string()).as_deref(), Some("2026-11-26 09:58:02"));

    let top = &errors.top_messages[0];
    assert_eq!((top.message.as_str(), top.count), ("File does not exist: <path>", 4));
    assert_eq!(top.first.map(|t| t.to_string()).as_deref(), Some("2026-11-26 10:12:01"));
    assert_eq!(top.last.map(|t| t.to_string()).as_deref(), Some("2026-11-26 12:06:00"));
    assert_eq!(errors.top_messages[1].message, "client denied by server configuration: <path>");
    assert_eq!(errors.top_messages[1].count, 3);

    assert_eq!((errors.modsecurity.blocks, errors.modsecurity.warnings), (2, 1));
    let rules: Vec<(&str, u64, u64)> =
        errors.modsecurity.rules.iter().map(|r| (r.id.as_str(), r.blocks, r.warnings)).collect();
    assert_eq!(rules, [("949110", 2, 0), ("930120", 0, 1)]);
    assert_eq!(errors.modsecurity.rules[1].msg, "OS File Access Attempt");

    assert_eq!((errors.evasive.blacklisted, errors.evasive.denied), (1, 2));
    assert_eq!(errors.evasive.addresses, [("192.0.2.99".to_owned(), 1)]);
}

#[test]
fn access_log_counts_client_and_server_errors_without_query_strings() {
    let summary = summary();
    let (_, access) = summary.access_log.as_ref().expect("access log");

    assert_eq!((access.lines, access.unparsed), (16, 2));
    assert_eq!((access.client_errors, access.server_errors), (10, 2));
    let server = &access.top_server_error_paths[0];
    assert_eq!((server.path.as_str(), server.count), ("/api/orders/", 2));
    let malformed = &access.top_client_error_paths[0];
    assert_eq!(malformed.path, "(malformed request)");
    let statuses: Vec<(u16, u64)> = malformed.statuses.iter().map(|(s, n)| (*s, *n)).collect();
    assert_eq!(statuses, [(400, 1), (408, 1)]);
}

#[test]
fn rendered_text_is_printable_and_keeps_no_query_string() {
    let text = logs::render_text(&summary());
    println!("{text}");
    assert!(!text.contains('\u{1b}'), "escape sequence reached the text");
    assert!(!text.contains("abc123secret"), "a query string reached the text");
    assert!(!text.contains("/etc/passwd&bar"));
    assert!(text.contains("ModSecurity: 2 requests blocked, 1 warnings"));
    assert!(text.contains(
        "rule 949110: 2 blocked, 0 warnings  Inbound Anomaly Score Exceeded (Total Score: 5)"
    ));
    assert!(text.contains("mod_evasive: 1 addresses blacklisted, 2 requests denied"));
    assert!(text.contains("Client errors (4xx): 10"));
    assert!(text.contains("      2  /api/orders/  (500×2)"));
    assert!(text.contains("3 lines not in Apache's error log format"));
}

#[test]
fn an_empty_summary_says_there_is_nothing_to_review() {
    assert_eq!(logs::render_text(&LogSummary::default()), "No log to review.\n");
}

/// Writes copies of a fixture until the file holds `megabytes`; returns the
/// file and the number of copies.
fn repeated(dir: &Path, name: &str, megabytes: usize) -> (PathBuf, u64) {
    let path = dir.join(name);
    let sample = std::fs::read(fixture(name)).expect("fixture");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    let (mut written, mut copies) = (0, 0);
    while written < megabytes * 1024 * 1024 {
        file.write_all(&sample).expect("write");
        written += sample.len();
        copies += 1;
    }
    file.flush().expect("flush");
    (path, copies)
}

fn report_rate(what: &str, path: &Path, lines: u64, started: Instant) {
    let seconds = started.elapsed().as_secs_f64();
    let size = std::fs::metadata(path).expect("stat").len();
    let megabytes = f64::from(u32::try_from(size / 1024).unwrap_or(u32::MAX)) / 1024.0;
    eprintln!(
        "{what}: {megabytes:.0} MB, {lines} lines in {seconds:.2} s ({:.1} MB/s)",
        megabytes / seconds
    );
}

/// Streams generated logs of `PORTCULLIS_LOG_MB` megabytes (default 8) and
/// reports the rate; the counts prove every line was seen.
#[test]
fn large_logs_are_streamed() {
    let megabytes: usize =
        std::env::var("PORTCULLIS_LOG_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
    let dir = tempfile::tempdir().expect("tempdir");

    let (path, copies) = repeated(dir.path(), "error.log", megabytes);
    let started = Instant::now();
    let reader = BufReader::new(std::fs::File::open(&path).expect("open"));
    let errors = logs::summarise_error_log(reader).expect("read");
    report_rate("error log", &path, errors.lines, started);
    assert_eq!(errors.lines, 21 * copies);
    assert_eq!(errors.modsecurity.blocks, 2 * copies);
    assert_eq!(errors.top_messages[0].count, 4 * copies);

    let (path, copies) = repeated(dir.path(), "access.log", megabytes);
    let started = Instant::now();
    let reader = BufReader::new(std::fs::File::open(&path).expect("open"));
    let access = logs::summarise_access_log(reader).expect("read");
    report_rate("access log", &path, access.lines, started);
    assert_eq!(access.lines, 16 * copies);
    assert_eq!(access.server_errors, 2 * copies);
}
