//! What the live stage says when the wire misbehaves: nothing listening, a
//! name that does not resolve, a server that never answers, a redirect
//! loop, headers with control characters or bytes that are not UTF-8. Each
//! gives a verdict that says what happened, never a panic, and no raw byte
//! from the peer reaches the text.

use std::time::{Duration, Instant};

use portcullis::checklist::LiveProbe;
use portcullis::finding::Status;
use portcullis::live::{self, LiveOptions, LiveReport, NetError, Prober, SiteTarget};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn options(https: &str, http: Option<&str>) -> LiveOptions {
    let mut site = SiteTarget::from_url(https).expect("the URL parses");
    if let Some(http) = http {
        site = site.with_http(http.parse().expect("the http URL parses"));
    }
    let mut options = LiveOptions::new(vec![site]);
    options.timeout = Duration::from_millis(800);
    options.pace = Duration::from_millis(50);
    options
}

async fn run(options: LiveOptions) -> LiveReport {
    Prober::new(options).expect("the prober builds").run().await
}

fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A plain-HTTP server answering every request with `answer(path)`.
async fn serve(answer: fn(&str, u16) -> Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 4096];
                let Ok(read) = stream.read(&mut buffer).await else { return };
                let request = String::from_utf8_lossy(&buffer[..read]).into_owned();
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let _ = stream.write_all(&answer(&path, port)).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    port
}

fn all_text(report: &LiveReport) -> String {
    let probes = [
        LiveProbe::HttpsRedirect,
        LiveProbe::ServerBanner,
        LiveProbe::NoListing,
        LiveProbe::WafBlocks,
        LiveProbe::TlsVersions,
        LiveProbe::TlsCipher,
        LiveProbe::Header { header: "X-Evil".to_owned(), contains: None, absent: false },
    ];
    let mut text = String::new();
    for probe in &probes {
        let verdict = live::judge(probe, report);
        eprintln!("{}: {}", verdict.status, verdict.summary);
        text.push_str(&verdict.summary);
        for evidence in verdict.evidence {
            text.push_str(&evidence.text);
        }
    }
    text
}

#[tokio::test]
async fn refused_connection_says_nothing_listens() {
    let port = closed_port();
    let report = run(options(&format!("https://127.0.0.1:{port}/"), None)).await;
    assert_eq!(report.sites[0].unreachable, Some(NetError::Refused));
    let verdict = live::judge(&LiveProbe::TlsVersions, &report);
    assert_eq!(verdict.status, Status::Unknown);
    assert!(verdict.summary.contains("connection refused"), "{}", verdict.summary);
    let verdict = live::judge(&LiveProbe::ServerBanner, &report);
    assert_eq!(verdict.status, Status::Unknown);
    assert!(verdict.summary.contains("refused"), "{}", verdict.summary);
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_unreachable() {
    let report = run(options("https://portcullis-probe.invalid/", None)).await;
    let error = report.sites[0].unreachable.as_ref().expect("unreachable");
    match error {
        NetError::Unreachable { detail } => {
            assert!(detail.contains("--resolve portcullis-probe.invalid:PORT:ADDRESS"), "{detail}");
        }
        NetError::Timeout { .. } => {}
        other => panic!("{other:?}"),
    }
    let verdict = live::judge(&LiveProbe::HttpsRedirect, &report);
    eprintln!("{}: {}", verdict.status, verdict.summary);
    assert_eq!(verdict.status, Status::Unknown, "{}", verdict.summary);
    let verdict = live::judge(&LiveProbe::TlsVersions, &report);
    eprintln!("{}: {}", verdict.status, verdict.summary);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // Accepts connections and keeps them open without a word.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let started = Instant::now();
    let report = run(options(&format!("https://127.0.0.1:{port}/"), None)).await;
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert!(
        matches!(report.sites[0].unreachable, Some(NetError::Timeout { .. })),
        "{:?}",
        report.sites[0].unreachable
    );
    let verdict = live::judge(&LiveProbe::WafBlocks, &report);
    eprintln!("{}: {}", verdict.status, verdict.summary);
    assert_eq!(verdict.status, Status::Unknown);
    assert!(verdict.summary.contains("timeout"), "{}", verdict.summary);
}

#[tokio::test]
async fn a_tls_port_that_speaks_plain_http_is_not_mistaken_for_tls() {
    let port =
        serve(|_, _| b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".to_vec()).await;
    let report = run(options(&format!("https://127.0.0.1:{port}/"), None)).await;
    let verdict = live::judge(&LiveProbe::TlsVersions, &report);
    assert_ne!(verdict.status, Status::Pass, "{}", verdict.summary);
    let text = all_text(&report);
    assert!(!text.chars().any(char::is_control), "{text}");
}

#[tokio::test]
async fn redirect_loop_is_reported_with_its_path() {
    // /a → /b → /a, forever.
    let port = serve(|path, port| {
        let next = if path == "/a" { "/b" } else { "/a" };
        format!(
            "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{port}{next}\r\nContent-Length: 0\r\n\r\n"
        )
        .into_bytes()
    })
    .await;
    let closed = closed_port();
    let report = run(options(
        &format!("https://127.0.0.1:{closed}/"),
        Some(&format!("http://127.0.0.1:{port}/a")),
    ))
    .await;
    let verdict = live::judge(&LiveProbe::HttpsRedirect, &report);
    assert_eq!(verdict.status, Status::Fail, "{}", verdict.summary);
    assert!(verdict.summary.contains("redirect loop"), "{}", verdict.summary);
    assert!(
        verdict.summary.contains("/a") && verdict.summary.contains("/b"),
        "{}",
        verdict.summary
    );
}

/// The redirect verdict when plain HTTP answers with `answer` and nothing
/// listens for TLS.
async fn plain_http_redirect_verdict(answer: fn(&str, u16) -> Vec<u8>) -> live::LiveVerdict {
    let port = serve(answer).await;
    let closed = closed_port();
    let report = run(options(
        &format!("https://127.0.0.1:{closed}/"),
        Some(&format!("http://127.0.0.1:{port}/")),
    ))
    .await;
    live::judge(&LiveProbe::HttpsRedirect, &report)
}

#[tokio::test]
async fn plain_http_without_redirect_fails_the_redirect_probe() {
    let verdict = plain_http_redirect_verdict(|_, _| {
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi".to_vec()
    })
    .await;
    assert_eq!(verdict.status, Status::Fail);
    assert!(verdict.summary.contains("answers 200"), "{}", verdict.summary);
}

#[tokio::test]
async fn a_refused_plain_http_probe_leaves_the_redirect_unknown() {
    // mod_evasive's answer to a client it blocks.
    let verdict = plain_http_redirect_verdict(|_, _| {
        b"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nForbidden".to_vec()
    })
    .await;
    assert_eq!(verdict.status, Status::Unknown, "{}", verdict.summary);
    assert!(verdict.summary.contains("refused the probe with 403"), "{}", verdict.summary);
}

#[tokio::test]
async fn hostile_header_bytes_are_shown_escaped_never_raw() {
    // An escape sequence (refused by the HTTP parser) on one path, bytes
    // that are not UTF-8 (accepted as obs-text) on the others.
    let port = serve(|path, _| {
        let mut answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n".to_vec();
        if path.starts_with("/portcullis-missing") {
            answer.extend_from_slice(b"X-Evil: \x1b[31mred\x1b]0;owned\x07\r\n");
        } else {
            answer.extend_from_slice(
                b"Server: Apache\xff\xfe (Debian)\r\nX-Evil: caf\xc3\xa9 \xff\r\n",
            );
        }
        answer.extend_from_slice(b"\r\nhi");
        answer
    })
    .await;
    let closed = closed_port();
    let report = run(options(
        &format!("https://127.0.0.1:{closed}/"),
        Some(&format!("http://127.0.0.1:{port}/")),
    ))
    .await;
    // The redirect chain's first hop carries the non-UTF-8 header.
    let chain = report.sites[0].redirect.as_ref().expect("a chain");
    let response = chain.hops[0].response().expect("an answer");
    let evil = response.first("x-evil").expect("the header was kept");
    assert!(!evil.clean);
    assert_eq!(evil.value, "caf\\xc3\\xa9 \\xff");
    let text = all_text(&report);
    assert!(!text.chars().any(|c| c.is_control() || c == '\u{fffd}'), "{text:?}");
}

#[tokio::test]
async fn control_characters_in_a_header_become_a_protocol_finding() {
    let port = serve(|_, _| {
        b"HTTP/1.1 200 OK\r\nX-Evil: \x1b[31mred\x07\r\nContent-Length: 2\r\n\r\nhi".to_vec()
    })
    .await;
    let closed = closed_port();
    let report = run(options(
        &format!("https://127.0.0.1:{closed}/"),
        Some(&format!("http://127.0.0.1:{port}/")),
    ))
    .await;
    let verdict = live::judge(&LiveProbe::HttpsRedirect, &report);
    eprintln!("{}: {}", verdict.status, verdict.summary);
    assert_eq!(verdict.status, Status::Unknown, "{}", verdict.summary);
    assert!(!verdict.summary.chars().any(char::is_control), "{:?}", verdict.summary);
    for evidence in &verdict.evidence {
        assert!(!evidence.text.chars().any(char::is_control), "{:?}", evidence.text);
    }
}

#[tokio::test]
async fn resolve_override_sends_a_name_to_another_address() {
    // The name does not exist anywhere; --resolve points it at loopback.
    let port = serve(|_, _| b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi".to_vec()).await;
    let closed = closed_port();
    let mut options = options(
        &format!("https://site.portcullis.invalid:{closed}/"),
        Some(&format!("http://site.portcullis.invalid:{port}/")),
    );
    options.resolve = vec![
        format!("site.portcullis.invalid:{port}:127.0.0.1").parse().expect("curl form parses"),
    ];
    let report = run(options).await;
    let chain = report.sites[0].redirect.as_ref().expect("a chain");
    assert_eq!(chain.hops[0].response().map(|r| r.status), Some(200), "{:?}", chain.hops[0]);
    // The HTTPS side went to the same address, where nothing listens.
    assert_eq!(report.sites[0].unreachable, Some(NetError::Refused));
}
