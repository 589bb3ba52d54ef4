//! Live probes against a real Apache on loopback serving a real Django app
//! (`mod_wsgi`, daemon mode), in the configuration Debian ships (plus the
//! careless TLS settings) and hardened. Every probe must give the right
//! verdict on both, and the TLS versions must match `openssl s_client`.

#[path = "support/apache.rs"]
mod apache;

use apache::{Apache, Profile};
use portcullis::checklist::LiveProbe;
use portcullis::finding::Status;
use portcullis::live::{self, LiveOptions, LiveReport, Prober, SiteTarget, TlsVersion};

fn probe(server: &Apache) -> LiveReport {
    probe_with(server, false)
}

fn probe_with(server: &Apache, evasive_burst: bool) -> LiveReport {
    let site = SiteTarget::from_url(&server.https_url())
        .expect("the test URL parses")
        .with_http(server.http_url().parse().expect("the http URL parses"));
    let mut options = LiveOptions::new(vec![site]);
    options.timeout = std::time::Duration::from_secs(10);
    options.evasive_burst = evasive_burst;
    let prober = Prober::new(options).expect("the prober builds");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(prober.run())
}

fn header(name: &str, contains: Option<&str>) -> LiveProbe {
    LiveProbe::Header {
        header: name.to_owned(),
        contains: contains.map(str::to_owned),
        absent: false,
    }
}

fn cookie(name: &str, http_only: bool) -> LiveProbe {
    LiveProbe::Cookie { cookie: name.to_owned(), http_only }
}

/// Every live probe of the seed checklist, with a name for messages.
fn all_probes() -> Vec<(&'static str, LiveProbe)> {
    vec![
        ("https-redirect", LiveProbe::HttpsRedirect),
        ("hsts max-age", header("Strict-Transport-Security", Some("max-age="))),
        ("hsts subdomains", header("Strict-Transport-Security", Some("includeSubDomains"))),
        ("hsts preload", header("Strict-Transport-Security", Some("preload"))),
        ("nosniff", header("X-Content-Type-Options", Some("nosniff"))),
        ("frame options", header("X-Frame-Options", None)),
        ("csp", header("Content-Security-Policy", Some("default-src"))),
        ("referrer policy", header("Referrer-Policy", None)),
        ("session cookie", cookie("sessionid", true)),
        ("csrf cookie", cookie("csrftoken", false)),
        ("server banner", LiveProbe::ServerBanner),
        ("error signature", LiveProbe::ErrorSignature),
        ("no listing", LiveProbe::NoListing),
        ("waf", LiveProbe::WafBlocks),
        ("tls versions", LiveProbe::TlsVersions),
        ("tls cipher", LiveProbe::TlsCipher),
    ]
}

fn verdicts(report: &LiveReport) -> Vec<(&'static str, Status, String)> {
    all_probes()
        .into_iter()
        .map(|(name, probe)| {
            let verdict = live::judge(&probe, report);
            // Shown with --nocapture: what an operator would read.
            eprintln!("{name}: {} — {}", verdict.status, verdict.summary);
            for evidence in &verdict.evidence {
                eprintln!("    {} {}", evidence.place().unwrap_or_default(), evidence.text);
            }
            (name, verdict.status, verdict.summary)
        })
        .collect()
}

/// `openssl s_client` at one version: the negotiated protocol, or None when
/// the handshake failed ("New, (NONE), Cipher is (NONE)"). The protocol is
/// read from the `Protocol :` line where there is one: the "New," line names
/// the cipher's protocol family, not the version negotiated.
fn s_client(port: u16, flag: &str, legacy: bool) -> Option<String> {
    let mut command = std::process::Command::new("openssl");
    command
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}"), flag])
        .stdin(std::process::Stdio::null());
    if legacy {
        command.args(["-cipher", "DEFAULT:@SECLEVEL=0"]);
    }
    let output = command.output().expect("openssl runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let new_line = text.lines().find(|line| line.starts_with("New, "))?;
    if new_line.starts_with("New, (NONE)") {
        return None;
    }
    let protocol = text
        .lines()
        .find_map(|line| {
            line.trim().strip_prefix("Protocol").map(|rest| rest.trim_start_matches([' ', ':']))
        })
        .or_else(|| new_line.split(", ").nth(1))?;
    Some(protocol.trim().to_owned())
}

fn assert_tls_matches_openssl(server: &Apache, report: &LiveReport) {
    let tls = report.sites[0].tls.as_ref().expect("TLS was probed");
    for (version, flag) in [
        (TlsVersion::Tls10, "-tls1"),
        (TlsVersion::Tls11, "-tls1_1"),
        (TlsVersion::Tls12, "-tls1_2"),
        (TlsVersion::Tls13, "-tls1_3"),
    ] {
        let ours = tls.version(version).expect("each version probed").accepted();
        let theirs = s_client(server.https_port, flag, version.is_deprecated());
        if let Some(protocol) = &theirs {
            let wanted = match version {
                TlsVersion::Tls10 => "TLSv1",
                TlsVersion::Tls11 => "TLSv1.1",
                TlsVersion::Tls12 => "TLSv1.2",
                TlsVersion::Tls13 => "TLSv1.3",
            };
            assert_eq!(protocol, wanted, "openssl s_client {flag} negotiated another version");
        }
        assert_eq!(
            ours,
            theirs.is_some(),
            "{version}: our probe says {:?}, openssl s_client says {theirs:?}",
            tls.version(version)
        );
    }
}

#[test]
fn insecure_as_shipped_fails_every_probe_but_the_django_defaults() {
    let server = Apache::start(Profile::Insecure);
    let report = probe(&server);
    let got = verdicts(&report);
    let expected = [
        ("https-redirect", Status::Fail),
        ("hsts max-age", Status::Fail),
        ("hsts subdomains", Status::Fail),
        ("hsts preload", Status::Fail),
        ("nosniff", Status::Pass),
        ("frame options", Status::Pass),
        ("csp", Status::Fail),
        ("referrer policy", Status::Pass),
        ("session cookie", Status::Fail),
        ("csrf cookie", Status::Fail),
        ("server banner", Status::Fail),
        ("error signature", Status::Fail),
        ("no listing", Status::Fail),
        ("waf", Status::Fail),
        ("tls versions", Status::Fail),
        ("tls cipher", Status::Fail),
    ];
    for ((name, status, summary), (want_name, want)) in got.iter().zip(expected) {
        assert_eq!(*name, want_name);
        assert_eq!(*status, want, "{name}: {summary}\nerror log:\n{}", server.error_log());
    }
    assert_tls_matches_openssl(&server, &report);

    // The self-signed certificate: read from the TLS 1.2 handshake, made
    // by the helper with `-days 30`.
    let certificate = live::judge_certificate(&report);
    eprintln!("certificate: {} — {}", certificate.status, certificate.summary);
    assert_eq!(certificate.status, Status::Fail, "{}", certificate.summary);
    assert!(certificate.summary.contains("does not validate"), "{}", certificate.summary);
    let facts = report.sites[0].certificate.as_ref().expect("the certificate was read");
    assert_eq!(facts.subject_cn.as_deref(), Some("localhost"));
    assert_eq!(facts.chain_len, 1);
    let days = facts.days_left(jiff::Timestamp::now()).expect("an expiry date");
    assert!((28..=30).contains(&days), "{days} days left");
}

#[test]
fn hardened_passes_every_probe() {
    let server = Apache::start(Profile::Hardened);
    let report = probe(&server);
    for (name, status, summary) in verdicts(&report) {
        assert_eq!(status, Status::Pass, "{name}: {summary}\nerror log:\n{}", server.error_log());
    }
    assert_tls_matches_openssl(&server, &report);

    // Concurrency: the longest chain to one URL is the first request (it
    // settles the certificate question) and then the three paced hits on
    // "/" (http hop, https hop that doubles as the home page, WAF probe).
    // Everything else runs beside that chain, so the stage takes about as
    // long as it, not as long as all requests and waits added up.
    let site = &report.sites[0];
    let ms = |e: &live::Exchange| e.response().map_or(0, |r| r.elapsed_ms);
    let pace_ms = u64::try_from(live::DEFAULT_PACE.as_millis()).expect("small");
    let mut root: Vec<&live::Exchange> = site.redirect.iter().flat_map(|c| c.hops.iter()).collect();
    root.push(&site.waf);
    let chain_ms = ms(&site.not_found)
        + root.iter().rev().skip(1).map(|e| ms(e).max(pace_ms)).sum::<u64>()
        + root.last().map_or(0, |e| ms(e));
    let mut all: Vec<&live::Exchange> =
        vec![&site.not_found, &site.login, &site.static_not_found, &site.waf];
    all.extend(&site.listings);
    all.extend(site.redirect.iter().flat_map(|c| c.hops.iter()));
    let sum_ms = all.iter().map(|e| ms(e)).sum::<u64>() + 2 * pace_ms;
    eprintln!(
        "live stage: {} ms in all; slowest chain {chain_ms} ms; {} requests and the pacing \
         waits added up {sum_ms} ms",
        report.elapsed_ms,
        all.len()
    );
    assert!(
        report.elapsed_ms < chain_ms + 1000,
        "the live stage took {} ms, more than its slowest chain ({chain_ms} ms) plus slack",
        report.elapsed_ms
    );
}

#[test]
fn debian_default_tls_refuses_old_versions_on_the_wire_with_alert_80() {
    let server = Apache::start(Profile::DebianTls);
    // mod_evasive is loaded with Debian's defaults: the burst, sent after
    // every other probe, must be blocked within a few requests.
    let report = probe_with(&server, true);
    let evasive = live::judge_evasive(&report).expect("a burst was sent");
    assert_eq!(evasive.status, Status::Pass, "{}", evasive.summary);
    let burst = report.sites[0].burst.as_ref().expect("burst report");
    assert!(burst.sent <= live::MAX_BURST);
    assert_eq!(burst.blocked_at.map(|(_, status)| status), Some(403), "{burst:?}");
    let tls = report.sites[0].tls.as_ref().expect("TLS was probed");
    for version in [TlsVersion::Tls10, TlsVersion::Tls11] {
        let handshake = tls.version(version).expect("probed");
        assert!(
            matches!(handshake, live::Handshake::Refused { refusal } if refusal.alert() == Some(80)),
            "{version}: {}",
            handshake.describe()
        );
    }
    let verdict = live::judge(&LiveProbe::TlsVersions, &report);
    assert_eq!(verdict.status, Status::Pass, "{}", verdict.summary);
    assert!(verdict.summary.contains("alert 80"), "{}", verdict.summary);
    assert!(verdict.evidence.iter().any(|e| e.text.contains("configuration still allows them")));
    assert_tls_matches_openssl(&server, &report);
    let cipher = live::judge(&LiveProbe::TlsCipher, &report);
    assert_eq!(cipher.status, Status::Fail, "HIGH:!aNULL allows CBC suites: {}", cipher.summary);
}
