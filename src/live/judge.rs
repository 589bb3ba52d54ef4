//! Judgements: what the wire says about one checklist item's live probe.
//! Each verdict says what was seen and where, in text that is safe to show.
//! A probe that could not see (the site did not answer, a limiter blocked
//! us) gives `unknown` with the reason, never a guess.

use serde::Serialize;

use super::fetch::{ChainEnd, Exchange, Response};
use super::headers::{self, Csp, HSTS_ONE_YEAR, Hsts, SetCookie};
use super::tls::{Handshake, TlsVersion};
use super::{LiveReport, SiteReport, WAF_QUERY};
use crate::checklist::LiveProbe;
use crate::finding::{Evidence, Finding, Status};

/// What the wire says about one live probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveVerdict {
    pub status: Status,
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

impl LiveVerdict {
    fn new(status: Status, summary: impl Into<String>) -> Self {
        LiveVerdict {
            status,
            summary: crate::redact::printable(&summary.into()),
            evidence: Vec::new(),
        }
    }

    fn pass(summary: impl Into<String>) -> Self {
        Self::new(Status::Pass, summary)
    }

    fn fail(summary: impl Into<String>) -> Self {
        Self::new(Status::Fail, summary)
    }

    fn unknown(summary: impl Into<String>) -> Self {
        Self::new(Status::Unknown, summary)
    }

    fn with(mut self, evidence: Evidence) -> Self {
        self.evidence.push(evidence);
        self
    }

    /// The verdict as a finding of its own for item `id` (the wire alone;
    /// merging it with the configuration's finding is the caller's part).
    pub fn to_finding(&self, id: &str) -> Finding {
        let finding = match self.status {
            Status::Pass => Finding::pass(id, &self.summary),
            Status::Unknown => Finding::unknown(id, &self.summary),
            _ => Finding::fail(id, &self.summary),
        };
        finding.with_evidence(self.evidence.iter().cloned())
    }
}

/// Judges one live probe on every site of the report: the item fails on the
/// wire when any site fails, is unknown when any site could not be seen, and
/// passes otherwise.
pub fn judge(probe: &LiveProbe, report: &LiveReport) -> LiveVerdict {
    combine(report, |site| match probe {
        LiveProbe::HttpsRedirect => https_redirect(site),
        LiveProbe::Header { header, contains, absent } => {
            header_probe(site, header, contains.as_deref(), *absent)
        }
        LiveProbe::Cookie { cookie, http_only } => cookie_probe(site, cookie, *http_only),
        LiveProbe::ServerBanner => server_banner(site, Signatures::NamingTheVersion),
        LiveProbe::ErrorSignature => server_banner(site, Signatures::Any),
        LiveProbe::NoListing => no_listing(site),
        LiveProbe::WafBlocks => waf_blocks(site),
        LiveProbe::TlsVersions => tls_versions(site),
        LiveProbe::TlsCipher => tls_cipher(site),
    })
}

/// The certificate: does it validate, and when does it expire. Not tied to
/// a checklist item; the caller shows it as a finding of its own.
pub fn judge_certificate(report: &LiveReport) -> LiveVerdict {
    combine(report, certificate)
}

/// The `mod_evasive` burst, when one was sent (`None` otherwise).
pub fn judge_evasive(report: &LiveReport) -> Option<LiveVerdict> {
    report.sites.iter().any(|site| site.burst.is_some()).then(|| combine(report, evasive))
}

fn combine(report: &LiveReport, judge_site: impl Fn(&SiteReport) -> LiveVerdict) -> LiveVerdict {
    if report.sites.is_empty() {
        return LiveVerdict::unknown("no site was probed on the wire");
    }
    let verdicts: Vec<LiveVerdict> = report.sites.iter().map(judge_site).collect();
    let status = if verdicts.iter().any(|v| v.status == Status::Fail) {
        Status::Fail
    } else if verdicts.iter().any(|v| v.status == Status::Unknown) {
        Status::Unknown
    } else {
        Status::Pass
    };
    let summary = if verdicts.len() == 1 {
        verdicts[0].summary.clone()
    } else {
        report
            .sites
            .iter()
            .zip(&verdicts)
            .map(|(site, verdict)| format!("{}: {}", site.site, verdict.summary))
            .collect::<Vec<_>>()
            .join("; ")
    };
    LiveVerdict {
        status,
        summary: crate::redact::printable(&summary),
        evidence: verdicts.into_iter().flat_map(|v| v.evidence).collect(),
    }
}

/// The response the headers are judged on, or why there is none.
fn usable<'a>(exchange: &'a Exchange, what: &str) -> Result<&'a Response, LiveVerdict> {
    match exchange.response() {
        None => Err(LiveVerdict::unknown(format!(
            "the {what} could not be fetched: {}",
            exchange.describe()
        ))
        .with(Evidence::wire(&exchange.url, exchange.describe()))),
        Some(response) if matches!(response.status, 403 | 429) => Err(LiveVerdict::unknown(
            format!(
                "the {what} answered {} to an ordinary request: mod_evasive or another limiter may be \
                 blocking this client (mod_evasive blocks for DOSBlockingPeriod, 10 s by default); \
                 probe again later",
                response.status
            ),
        )
        .with(Evidence::wire(&exchange.url, exchange.describe()))),
        Some(response) => Ok(response),
    }
}

fn https_redirect(site: &SiteReport) -> LiveVerdict {
    let Some(chain) = &site.redirect else {
        return LiveVerdict::unknown(
            "no http:// address is known for this site (give one to probe the redirect)",
        );
    };
    let evidence: Vec<Evidence> =
        chain.hops.iter().map(|hop| Evidence::wire(&hop.url, hop.describe())).collect();
    let with_chain = |verdict: LiveVerdict| LiveVerdict { evidence: evidence.clone(), ..verdict };
    let Some(first) = chain.hops.first() else {
        return LiveVerdict::unknown("the http:// address was not asked");
    };
    match &chain.end {
        ChainEnd::Loop { to } => {
            let path: Vec<&str> = chain.hops.iter().map(|h| h.url.as_str()).collect();
            return with_chain(LiveVerdict::fail(format!(
                "redirect loop: {} → {to}",
                path.join(" → ")
            )));
        }
        ChainEnd::TooLong => {
            return with_chain(LiveVerdict::fail(format!(
                "more than {} redirects from {}",
                super::fetch::MAX_HOPS,
                first.url
            )));
        }
        ChainEnd::BadLocation { location } => {
            return with_chain(LiveVerdict::fail(format!(
                "a redirect points to something that is not a URL: {location}"
            )));
        }
        ChainEnd::Final => {}
    }
    let Some(first_response) = first.response() else {
        return with_chain(LiveVerdict::unknown(format!(
            "{} could not be asked: {}",
            first.url,
            first.describe()
        )));
    };
    if matches!(first_response.status, 403 | 429 | 503) {
        // Refused, not served: mod_evasive and ModSecurity answer so when
        // they block a client, and then nothing about the redirect is known.
        return with_chain(LiveVerdict::unknown(format!(
            "{} refused the probe with {} instead of answering it: mod_evasive or the WAF may be blocking this client after earlier requests; ask again in a few seconds",
            first.url, first_response.status
        )));
    }
    if !first_response.is_redirect() {
        return with_chain(LiveVerdict::fail(format!(
            "{} answers {} over plain HTTP instead of redirecting to https://",
            first.url, first_response.status
        )));
    }
    let first_https = chain.hops.iter().skip(1).position(|hop| hop.url.starts_with("https://"));
    let last = chain.hops.last().unwrap_or(first);
    // A redirect to an https:// address that does not answer is no way in.
    if last.url.starts_with("https://") && last.response().is_none() {
        let port = |url: &str| reqwest::Url::parse(url).ok().and_then(|u| u.port());
        let kept_port = port(&last.url).is_some() && port(&last.url) == port(&first.url);
        let verdict = if kept_port {
            // Django builds the target from the request's Host, port and all:
            // on the standard ports 80 and 443 it lands on the site.
            LiveVerdict::unknown(format!(
                "{} redirects to {}, keeping the plain-HTTP port, where nothing answers over TLS: on ports 80 and 443 this lands on the site; on other ports set SECURE_SSL_HOST",
                first.url, last.url
            ))
        } else {
            LiveVerdict::fail(format!(
                "{} redirects to {}, which does not answer: {}",
                first.url,
                last.url,
                last.describe()
            ))
        };
        return with_chain(verdict);
    }
    match first_https {
        Some(_) if last.url.starts_with("https://") => with_chain(LiveVerdict::pass(format!(
            "{} redirects to {} ({}, {} hop{})",
            first.url,
            last.url,
            first_response.status,
            chain.hops.len() - 1,
            if chain.hops.len() == 2 { "" } else { "s" }
        ))),
        _ => with_chain(LiveVerdict::fail(format!(
            "the redirects from {} end on {}, not on https://",
            first.url, last.url
        ))),
    }
}

fn header_probe(
    site: &SiteReport,
    header: &str,
    contains: Option<&str>,
    absent: bool,
) -> LiveVerdict {
    let page = match usable(&site.home, "home page") {
        Ok(page) => page,
        Err(verdict) => return verdict,
    };
    let url = &site.home.url;
    let values = page.all(header);
    let mut evidence: Vec<Evidence> = values
        .iter()
        .map(|line| Evidence::wire(url, format!("{}: {}", header, line.value)))
        .collect();
    if values.iter().any(|line| !line.clean) {
        evidence.push(Evidence::note(format!(
            "{header} carries bytes that are not printable ASCII; they are shown escaped"
        )));
    }
    let verdict = |status: Status, summary: String, evidence: &[Evidence]| LiveVerdict {
        status,
        summary: crate::redact::printable(&summary),
        evidence: evidence.to_vec(),
    };

    if absent {
        return if values.is_empty() {
            verdict(Status::Pass, format!("no {header} header on {url}"), &evidence)
        } else {
            verdict(
                Status::Fail,
                format!("{url} sends {header}, which should be absent"),
                &evidence,
            )
        };
    }
    if values.is_empty() {
        let lower = header.to_ascii_lowercase();
        if lower == "content-security-policy" {
            let report_only = page.all("content-security-policy-report-only");
            if let Some(line) = report_only.first() {
                evidence.push(Evidence::wire(
                    url,
                    format!("Content-Security-Policy-Report-Only: {}", line.value),
                ));
                return verdict(
                    Status::Fail,
                    format!(
                        "{url} sends the policy in report-only mode: browsers report violations but block nothing"
                    ),
                    &evidence,
                );
            }
        }
        return verdict(Status::Fail, format!("no {header} header on {url}"), &evidence);
    }

    // The same header twice: browsers honour the first HSTS and drop an
    // X-Frame-Options whose values conflict. Differing values fail.
    let distinct: Vec<&str> = {
        let mut seen: Vec<&str> = Vec::new();
        for line in &values {
            if !seen.iter().any(|v| v.eq_ignore_ascii_case(line.value.trim())) {
                seen.push(line.value.trim());
            }
        }
        seen
    };
    if values.len() > 1 {
        if distinct.len() > 1 {
            return verdict(
                Status::Fail,
                format!(
                    "{header} is sent {} times with different values (two layers set it, Apache and Django?); \
                     browsers act on only one",
                    values.len()
                ),
                &evidence,
            );
        }
        evidence.push(Evidence::note(format!(
            "{header} is sent {} times with the same value: two layers set it (Apache and Django?)",
            values.len()
        )));
    }

    // Apache's own error pages carry only headers set with `Header always`
    // (case B4): HSTS missing there is worth knowing, though not a failure.
    if header.eq_ignore_ascii_case("strict-transport-security")
        && let Some(error_page) = site.static_not_found.response()
        && error_page.first(header).is_none()
    {
        evidence.push(Evidence::wire(
            &site.static_not_found.url,
            format!(
                "{} from Apache without {header}: Apache's own responses carry it only when it is set \
                 with `Header always set`",
                error_page.status
            ),
        ));
    }

    let value = values[0].value.as_str();
    let (status, summary) = match header.to_ascii_lowercase().as_str() {
        "strict-transport-security" => judge_hsts(value, contains),
        "content-security-policy" | "content-security-policy-report-only" => {
            judge_csp(value, contains)
        }
        "x-frame-options" => judge_frame_options(value, contains),
        "referrer-policy" => judge_referrer_policy(value, contains),
        "x-content-type-options" => {
            if value.trim().eq_ignore_ascii_case("nosniff") {
                (Status::Pass, "X-Content-Type-Options: nosniff".to_owned())
            } else {
                (Status::Fail, format!("X-Content-Type-Options is {value:?}, not nosniff"))
            }
        }
        _ => match contains {
            Some(wanted) if !value.to_ascii_lowercase().contains(&wanted.to_ascii_lowercase()) => {
                (Status::Fail, format!("{header} is {value:?}, which lacks {wanted:?}"))
            }
            _ => (Status::Pass, format!("{header}: {value}")),
        },
    };
    verdict(status, format!("{summary} (on {url})"), &evidence)
}

fn judge_hsts(value: &str, contains: Option<&str>) -> (Status, String) {
    let hsts = Hsts::parse(value);
    if !hsts.is_valid() {
        return (
            Status::Fail,
            format!("Strict-Transport-Security is not valid: {}", hsts.problems.join("; ")),
        );
    }
    let max_age = hsts.max_age.unwrap_or(0);
    if max_age == 0 {
        return (
            Status::Fail,
            "Strict-Transport-Security has max-age=0, which tells browsers to forget HSTS"
                .to_owned(),
        );
    }
    let described = format!(
        "HSTS max-age={max_age}{}{}",
        if hsts.include_subdomains { ", includeSubDomains" } else { "" },
        if hsts.preload { ", preload" } else { "" }
    );
    let wanted = contains.map(str::to_ascii_lowercase).unwrap_or_default();
    if wanted.starts_with("max-age") && max_age < HSTS_ONE_YEAR {
        return (Status::Fail, format!("{described}: max-age is below one year ({HSTS_ONE_YEAR})"));
    }
    if wanted.contains("includesubdomains") && !hsts.include_subdomains {
        return (Status::Fail, format!("{described}: includeSubDomains is missing"));
    }
    if wanted.contains("preload") {
        let gaps = hsts.preload_gaps();
        if !gaps.is_empty() {
            return (
                Status::Fail,
                format!("{described}: the preload list would refuse it ({})", gaps.join(", ")),
            );
        }
    }
    (Status::Pass, described)
}

fn judge_csp(value: &str, contains: Option<&str>) -> (Status, String) {
    let csp = Csp::parse(value);
    let names = csp.names().join(", ");
    if csp.directives.is_empty() {
        return (Status::Fail, "Content-Security-Policy is empty".to_owned());
    }
    if let Some(wanted) = contains {
        let found = if wanted.contains(char::is_whitespace) || wanted.contains('\'') {
            value.to_ascii_lowercase().contains(&wanted.to_ascii_lowercase())
        } else {
            csp.get(wanted).is_some()
        };
        if !found {
            return (
                Status::Fail,
                format!("Content-Security-Policy has no {wanted} (it sets {names})"),
            );
        }
    }
    (Status::Pass, format!("Content-Security-Policy sets {names}"))
}

fn judge_frame_options(value: &str, contains: Option<&str>) -> (Status, String) {
    let value = value.trim();
    let upper = value.to_ascii_uppercase();
    if !(upper == "DENY" || upper == "SAMEORIGIN") {
        return (
            Status::Fail,
            format!("X-Frame-Options is {value:?}; browsers honour only DENY and SAMEORIGIN"),
        );
    }
    if let Some(wanted) = contains
        && !upper.contains(&wanted.to_ascii_uppercase())
    {
        return (Status::Fail, format!("X-Frame-Options is {value}, not {wanted}"));
    }
    (Status::Pass, format!("X-Frame-Options: {value}"))
}

/// Referrer policies that never send a full URL to another origin.
const SAFE_REFERRER_POLICIES: [&str; 6] = [
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "origin",
    "origin-when-cross-origin",
];

fn judge_referrer_policy(value: &str, contains: Option<&str>) -> (Status, String) {
    // Browsers take the last token they know in a comma-separated list.
    let known = |token: &&str| {
        SAFE_REFERRER_POLICIES.contains(token)
            || matches!(*token, "unsafe-url" | "no-referrer-when-downgrade")
    };
    let tokens: Vec<String> = value.split(',').map(|t| t.trim().to_ascii_lowercase()).collect();
    let effective = tokens.iter().map(String::as_str).rev().find(known);
    match effective {
        None => (Status::Fail, format!("Referrer-Policy {value:?} names no policy browsers know")),
        Some(policy) if !SAFE_REFERRER_POLICIES.contains(&policy) => (
            Status::Fail,
            format!("Referrer-Policy is {policy}, which sends full URLs to other sites"),
        ),
        Some(policy) => match contains {
            Some(wanted) if !policy.eq_ignore_ascii_case(wanted.trim()) => {
                (Status::Fail, format!("Referrer-Policy is {policy}, not {wanted}"))
            }
            _ => (Status::Pass, format!("Referrer-Policy: {policy}")),
        },
    }
}

fn cookie_probe(site: &SiteReport, name: &str, http_only: bool) -> LiveVerdict {
    let mut pages: Vec<&Exchange> = vec![&site.home, &site.login, &site.not_found];
    if let Some(chain) = &site.redirect {
        pages.extend(chain.hops.iter().filter(|hop| hop.url.starts_with("https://")));
    }
    let mut seen: Vec<(&str, SetCookie, String)> = Vec::new();
    for page in &pages {
        let Some(response) = page.response() else { continue };
        for line in response.all("set-cookie") {
            if let Some(cookie) = SetCookie::parse(&line.value)
                && cookie.name == name
            {
                seen.push((page.url.as_str(), cookie, attributes_only(&line.value)));
            }
        }
    }
    let Some((url, cookie, shown)) = seen.first() else {
        let asked: Vec<&str> = pages.iter().map(|p| p.url.as_str()).collect();
        let reason = if name == "sessionid" {
            " (Django sets it only once a session is saved, for example after a login)"
        } else {
            ""
        };
        return LiveVerdict::unknown(format!(
            "no page probed set the {name} cookie{reason}; asked {}",
            asked.join(", ")
        ));
    };
    let evidence = Evidence::wire(*url, format!("Set-Cookie: {shown}"));
    let mut missing = Vec::new();
    if !cookie.secure {
        missing.push("Secure");
    }
    if http_only && !cookie.http_only {
        missing.push("HttpOnly");
    }
    if missing.is_empty() {
        LiveVerdict::pass(format!(
            "the {name} cookie is set with Secure{}",
            if cookie.http_only { " and HttpOnly" } else { "" }
        ))
        .with(evidence)
    } else {
        LiveVerdict::fail(format!("the {name} cookie is set without {}", missing.join(" and ")))
            .with(evidence)
    }
}

/// A Set-Cookie line with the cookie's value hidden: it may be a session.
fn attributes_only(line: &str) -> String {
    let (pair, attributes) = line.split_once(';').unwrap_or((line, ""));
    let name = pair.split('=').next().unwrap_or_default();
    if attributes.is_empty() {
        format!("{name}=«hidden»")
    } else {
        format!("{name}=«hidden»;{attributes}")
    }
}

/// Which error-page signatures count against the server: `ServerTokens`
/// governs what a signature names (a version, the OS), `ServerSignature`
/// whether there is one at all.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Signatures {
    NamingTheVersion,
    Any,
}

fn server_banner(site: &SiteReport, counted: Signatures) -> LiveVerdict {
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    let mut seen_any = false;
    for exchange in [&site.home, &site.not_found, &site.static_not_found] {
        let Some(response) = exchange.response() else { continue };
        seen_any = true;
        if let Some(server) = response.first("server") {
            evidence.push(Evidence::wire(&exchange.url, format!("Server: {}", server.value)));
            if headers::banner_reveals_more(&server.value)
                && !problems.iter().any(|p: &String| p.starts_with("Server"))
            {
                problems.push(format!("Server: {}", server.value));
            }
        }
        if response.status >= 400
            && let Some(signature) = headers::error_page_signature(&response.body)
        {
            evidence.push(Evidence::wire(
                &exchange.url,
                format!("{} error page signature: {signature}", response.status),
            ));
            let names_version = signature.contains('/') || signature.contains('(');
            if (counted == Signatures::Any || names_version)
                && !problems.iter().any(|p: &String| p.starts_with("error page"))
            {
                problems.push(format!("error page signature \"{signature}\""));
            }
        }
    }
    if !seen_any {
        return LiveVerdict::unknown(format!(
            "no page of the site answered: {}",
            site.home.describe()
        ))
        .with(Evidence::wire(&site.home.url, site.home.describe()));
    }
    let verdict = if problems.is_empty() {
        LiveVerdict::pass(match counted {
            Signatures::Any => {
                "the Server header names nothing beyond \"Apache\" and the error pages carry no signature"
            }
            Signatures::NamingTheVersion => {
                "the Server header and the error pages name nothing beyond \"Apache\""
            }
        })
    } else {
        LiveVerdict::fail(format!(
            "the server reveals more than \"Apache\": {}",
            problems.join("; ")
        ))
    };
    LiveVerdict { evidence, ..verdict }
}

fn no_listing(site: &SiteReport) -> LiveVerdict {
    let mut listed = Vec::new();
    let mut unknown = Vec::new();
    let mut evidence = Vec::new();
    for exchange in &site.listings {
        let Some(response) = exchange.response() else {
            evidence.push(Evidence::wire(&exchange.url, exchange.describe()));
            unknown.push(exchange.url.as_str());
            continue;
        };
        let title = response.body.lines().find(|line| line.contains("Index of")).map(str::trim);
        match title {
            Some(title) if response.status == 200 => {
                evidence.push(Evidence::wire(&exchange.url, format!("200, {title}")));
                listed.push(exchange.url.as_str());
            }
            _ => evidence.push(Evidence::wire(&exchange.url, exchange.describe())),
        }
    }
    let verdict = if !listed.is_empty() {
        LiveVerdict::fail(format!("directory listing on {}", listed.join(", ")))
    } else if !unknown.is_empty() {
        LiveVerdict::unknown(format!("could not fetch {}", unknown.join(", ")))
    } else if site.listings.is_empty() {
        LiveVerdict::unknown("no static or media URL is known for this site")
    } else {
        let answers: Vec<String> =
            site.listings.iter().map(|e| format!("{} answers {}", e.url, e.describe())).collect();
        LiveVerdict::pass(format!("no directory listing: {}", answers.join(", ")))
    };
    LiveVerdict { evidence, ..verdict }
}

fn waf_blocks(site: &SiteReport) -> LiveVerdict {
    let normal = match usable(&site.home, "home page") {
        Ok(response) => response,
        Err(verdict) => return verdict,
    };
    let evidence = vec![
        Evidence::wire(&site.home.url, format!("ordinary request: {}", site.home.describe())),
        Evidence::wire(
            &site.waf.url,
            format!("request that looks like an attack: {}", site.waf.describe()),
        ),
    ];
    let verdict = match site.waf.response() {
        None => LiveVerdict::unknown(format!(
            "the request with ?{WAF_QUERY} failed: {}",
            site.waf.describe()
        )),
        Some(attack) if attack.status == 403 => LiveVerdict::pass(format!(
            "the WAF blocks ?{WAF_QUERY} with 403 and lets an ordinary request through ({})",
            normal.status
        )),
        Some(attack) => LiveVerdict::fail(format!(
            "a request with ?{WAF_QUERY} got {}, not 403: the WAF does not block (ModSecurity off, \
             DetectionOnly, or without the Core Rule Set)",
            attack.status
        )),
    };
    LiveVerdict { evidence, ..verdict }
}

fn tls_versions(site: &SiteReport) -> LiveVerdict {
    let Some(tls) = &site.tls else {
        return not_probed_tls(site);
    };
    let mut evidence: Vec<Evidence> = tls
        .versions
        .iter()
        .map(|(version, handshake)| {
            Evidence::wire(
                format!("tls://{}", tls.address),
                format!("{version}: {}", handshake.describe()),
            )
        })
        .collect();
    let accepted: Vec<TlsVersion> =
        tls.versions.iter().filter(|(_, h)| h.accepted()).map(|(v, _)| *v).collect();
    let deprecated: Vec<&str> =
        accepted.iter().filter(|v| v.is_deprecated()).map(|v| v.name()).collect();
    let failed: Vec<&str> = tls
        .versions
        .iter()
        .filter(|(_, h)| matches!(h, Handshake::Failed { .. }))
        .map(|(v, _)| v.name())
        .collect();
    let internal_error_on_old = tls.versions.iter().any(|(v, h)| {
        v.is_deprecated()
            && matches!(h, Handshake::Refused { refusal } if refusal.alert() == Some(80))
    });
    if internal_error_on_old {
        evidence.push(Evidence::note(
            "alert 80 (internal_error) to TLS 1.0/1.1 is how Debian 12's OpenSSL refuses them at its \
             default security level even where SSLProtocol allows them: the wire refuses them today, \
             but the configuration still allows them and an OpenSSL or cipher change (@SECLEVEL=0) \
             turns them back on",
        ));
    }
    let list =
        |versions: &[TlsVersion]| versions.iter().map(|v| v.name()).collect::<Vec<_>>().join(", ");
    let verdict = if !deprecated.is_empty() {
        LiveVerdict::fail(format!(
            "the server accepts {} (deprecated by RFC 8996); it accepts {}",
            deprecated.join(" and "),
            list(&accepted)
        ))
    } else if !failed.is_empty() {
        let cause = tls
            .versions
            .iter()
            .find_map(|(_, h)| match h {
                Handshake::Failed { error } => Some(error.to_string()),
                _ => None,
            })
            .unwrap_or_default();
        LiveVerdict::unknown(format!(
            "the handshake for {} could not be tried: {cause}",
            failed.join(", ")
        ))
    } else if accepted.is_empty() {
        LiveVerdict::fail("the server accepts no TLS version at all")
    } else {
        let refused_old = if internal_error_on_old {
            "refuses TLS 1.0 and 1.1 on the wire (alert 80, OpenSSL's security level)"
        } else {
            "refuses TLS 1.0 and 1.1"
        };
        LiveVerdict::pass(format!("the server accepts {} and {refused_old}", list(&accepted)))
    };
    LiveVerdict { evidence, ..verdict }
}

fn tls_cipher(site: &SiteReport) -> LiveVerdict {
    let Some(tls) = &site.tls else {
        return not_probed_tls(site);
    };
    let place = format!("tls://{}", tls.address);
    let mut evidence = Vec::new();
    let negotiated = tls.version(TlsVersion::Tls12);
    if let Some(handshake) = negotiated {
        evidence.push(Evidence::wire(
            &place,
            format!("TLS 1.2, Mozilla intermediate offered first: {}", handshake.describe()),
        ));
    }
    evidence.push(Evidence::wire(
        &place,
        format!(
            "TLS 1.2, only suites outside Mozilla intermediate offered: {}",
            tls.outside_intermediate.describe()
        ),
    ));
    let verdict = match (negotiated, &tls.outside_intermediate) {
        (_, Handshake::Accepted { cipher }) => LiveVerdict::fail(format!(
            "the server accepts {cipher}, which is outside Mozilla's intermediate list"
        )),
        (Some(Handshake::Accepted { cipher }), _) if !cipher.is_mozilla_intermediate() => {
            LiveVerdict::fail(format!(
                "TLS 1.2 negotiates {cipher}, which is outside Mozilla's intermediate list"
            ))
        }
        (Some(Handshake::Accepted { cipher }), Handshake::Refused { .. }) => {
            LiveVerdict::pass(format!(
                "TLS 1.2 negotiates {cipher} and the server refuses every suite outside Mozilla's intermediate list"
            ))
        }
        (Some(Handshake::Refused { .. }), Handshake::Refused { .. }) => LiveVerdict::pass(
            "the server refuses TLS 1.2; TLS 1.3's suites are all in Mozilla's intermediate list",
        ),
        (_, Handshake::Failed { error }) | (Some(Handshake::Failed { error }), _) => {
            LiveVerdict::unknown(format!("the TLS 1.2 handshake could not be tried: {error}"))
        }
        _ => LiveVerdict::unknown("TLS 1.2 was not probed"),
    };
    LiveVerdict { evidence, ..verdict }
}

fn not_probed_tls(site: &SiteReport) -> LiveVerdict {
    match &site.unreachable {
        Some(error) => LiveVerdict::unknown(format!("TLS was not probed: {error}"))
            .with(Evidence::wire(&site.site, error.to_string())),
        None => LiveVerdict::unknown("TLS was not probed in this run"),
    }
}

/// Days before expiry under which the certificate is reported.
const EXPIRY_WARNING_DAYS: i64 = 14;

fn certificate(site: &SiteReport) -> LiveVerdict {
    let mut evidence = Vec::new();
    let facts = site.certificate.as_ref();
    let days_left = facts.and_then(|f| f.days_left(jiff::Timestamp::now()));
    if let Some(facts) = facts {
        evidence.push(Evidence::wire(
            &site.site,
            format!(
                "certificate for {}, {} in the chain, valid until {}",
                facts.subject_cn.as_deref().unwrap_or("(no common name)"),
                facts.chain_len,
                facts.not_after.map_or_else(|| "an unreadable date".to_owned(), |t| t.to_string())
            ),
        ));
    }
    let expiry = match days_left {
        Some(days) if days < 0 => Some(format!("the certificate expired {} days ago", -days)),
        Some(days) if days < EXPIRY_WARNING_DAYS => {
            Some(format!("the certificate expires in {days} days"))
        }
        _ => None,
    };
    let verdict = match (&site.certificate_problem, expiry, &site.unreachable) {
        (_, _, Some(error)) => {
            LiveVerdict::unknown(format!("the site could not be reached: {error}"))
        }
        (Some(reason), expiry, _) => LiveVerdict::fail(format!(
            "the certificate does not validate ({reason}){}; the other probes went on without validation",
            expiry.map(|e| format!(", and {e}")).unwrap_or_default()
        )),
        (None, Some(expiry), _) => LiveVerdict::fail(expiry),
        (None, None, _) => LiveVerdict::pass(match days_left {
            Some(days) => format!("the certificate validates and expires in {days} days"),
            None => "the certificate validates".to_owned(),
        }),
    };
    LiveVerdict { evidence, ..verdict }
}

fn evasive(site: &SiteReport) -> LiveVerdict {
    let Some(burst) = &site.burst else {
        return LiveVerdict::unknown("no burst was sent to this site");
    };
    let evidence = vec![Evidence::wire(
        &burst.url,
        format!(
            "{} requests sent without pause{}",
            burst.sent,
            burst
                .blocked_at
                .map(|(n, status)| format!(", request {n} answered {status}"))
                .unwrap_or_default()
        ),
    )];
    let verdict = match (burst.blocked_at, &burst.note) {
        (Some((number, status)), _) => LiveVerdict::pass(format!(
            "mod_evasive blocked the burst at request {number} with {status} (this client stays \
             blocked for DOSBlockingPeriod)"
        )),
        (None, Some(note)) => LiveVerdict::unknown(format!("burst {note}")),
        (None, None) => LiveVerdict::fail(format!(
            "{} rapid requests to one URL were all answered: nothing limits a client's request rate",
            burst.sent
        )),
    };
    LiveVerdict { evidence, ..verdict }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::fetch::{HeaderLine, Outcome};

    fn page(url: &str, status: u16, headers: &[(&str, &str)], body: &str) -> Exchange {
        Exchange {
            url: url.to_owned(),
            outcome: Outcome::Answered(Response {
                status,
                headers: headers
                    .iter()
                    .map(|(name, value)| HeaderLine {
                        name: name.to_ascii_lowercase(),
                        value: (*value).to_owned(),
                        clean: true,
                    })
                    .collect(),
                body: body.to_owned(),
                elapsed_ms: 1,
                peer_certificate: None,
            }),
        }
    }

    fn report_with_home(status: u16, headers: &[(&str, &str)]) -> LiveReport {
        let home = page("https://example.com/", status, headers, "");
        let other = page("https://example.com/x", 404, &[], "");
        LiveReport {
            sites: vec![SiteReport {
                site: "https://example.com/".to_owned(),
                certificate_problem: None,
                unreachable: None,
                redirect: None,
                home: home.clone(),
                login: other.clone(),
                not_found: other.clone(),
                static_not_found: other.clone(),
                listings: vec![other.clone()],
                waf: home,
                tls: None,
                certificate: None,
                burst: None,
            }],
            elapsed_ms: 1,
        }
    }

    fn header(name: &str, contains: Option<&str>) -> LiveProbe {
        LiveProbe::Header {
            header: name.to_owned(),
            contains: contains.map(str::to_owned),
            absent: false,
        }
    }

    #[test]
    fn two_hsts_headers_with_different_values_fail() {
        // Django and Apache both set it (case B3): browsers honour only the first.
        let report = report_with_home(
            200,
            &[
                ("Strict-Transport-Security", "max-age=86400; preload"),
                ("Strict-Transport-Security", "Max-Age=63072000; includesubdomains"),
            ],
        );
        let verdict = judge(&header("Strict-Transport-Security", Some("max-age=")), &report);
        assert_eq!(verdict.status, Status::Fail);
        assert!(verdict.summary.contains("2 times with different values"), "{}", verdict.summary);
    }

    #[test]
    fn the_same_header_twice_with_one_value_passes_with_a_note() {
        let report = report_with_home(
            200,
            &[("X-Content-Type-Options", "nosniff"), ("X-Content-Type-Options", "nosniff")],
        );
        let verdict = judge(&header("X-Content-Type-Options", Some("nosniff")), &report);
        assert_eq!(verdict.status, Status::Pass);
        assert!(verdict.evidence.iter().any(|e| e.text.contains("two layers")));
    }

    #[test]
    fn hsts_below_a_year_fails_the_max_age_probe_and_preload_lists_its_gaps() {
        let report =
            report_with_home(200, &[("Strict-Transport-Security", "max-age=3600; preload")]);
        let max_age = judge(&header("Strict-Transport-Security", Some("max-age=")), &report);
        assert_eq!(max_age.status, Status::Fail);
        assert!(max_age.summary.contains("below one year"), "{}", max_age.summary);
        let preload = judge(&header("Strict-Transport-Security", Some("preload")), &report);
        assert_eq!(preload.status, Status::Fail);
        assert!(preload.summary.contains("includeSubDomains is missing"), "{}", preload.summary);
    }

    #[test]
    fn hsts_with_max_age_zero_fails() {
        let report = report_with_home(200, &[("Strict-Transport-Security", "max-age=0")]);
        let verdict = judge(&header("Strict-Transport-Security", None), &report);
        assert_eq!(verdict.status, Status::Fail);
        assert!(verdict.summary.contains("forget"), "{}", verdict.summary);
    }

    #[test]
    fn report_only_csp_is_not_enforcement() {
        let report =
            report_with_home(200, &[("Content-Security-Policy-Report-Only", "default-src 'self'")]);
        let verdict = judge(&header("Content-Security-Policy", Some("default-src")), &report);
        assert_eq!(verdict.status, Status::Fail);
        assert!(verdict.summary.contains("report-only"), "{}", verdict.summary);
    }

    #[test]
    fn csp_without_the_asked_directive_fails() {
        let report =
            report_with_home(200, &[("Content-Security-Policy", "frame-ancestors 'none'")]);
        let verdict = judge(&header("Content-Security-Policy", Some("default-src")), &report);
        assert_eq!(verdict.status, Status::Fail);
        assert!(verdict.summary.contains("no default-src"), "{}", verdict.summary);
    }

    #[test]
    fn frame_options_allow_from_fails() {
        let report =
            report_with_home(200, &[("X-Frame-Options", "ALLOW-FROM https://example.org")]);
        let verdict = judge(&header("X-Frame-Options", None), &report);
        assert_eq!(verdict.status, Status::Fail);
    }

    #[test]
    fn an_absent_header_passes_when_absence_is_asked() {
        let report = report_with_home(200, &[("Server", "Apache")]);
        let probe =
            LiveProbe::Header { header: "X-Powered-By".to_owned(), contains: None, absent: true };
        assert_eq!(judge(&probe, &report).status, Status::Pass);
    }

    #[test]
    fn a_403_on_the_home_page_is_unknown_not_a_verdict() {
        let report = report_with_home(403, &[]);
        let verdict = judge(&header("X-Frame-Options", None), &report);
        assert_eq!(verdict.status, Status::Unknown);
        assert!(verdict.summary.contains("mod_evasive"), "{}", verdict.summary);
        assert_eq!(judge(&LiveProbe::WafBlocks, &report).status, Status::Unknown);
    }

    #[test]
    fn a_cookie_no_page_set_is_unknown_with_the_reason() {
        let report = report_with_home(200, &[]);
        let probe = LiveProbe::Cookie { cookie: "sessionid".to_owned(), http_only: true };
        let verdict = judge(&probe, &report);
        assert_eq!(verdict.status, Status::Unknown);
        assert!(verdict.summary.contains("after a login"), "{}", verdict.summary);
    }

    #[test]
    fn cookie_values_never_reach_the_evidence() {
        let report =
            report_with_home(200, &[("Set-Cookie", "sessionid=s3cr3tvalue; HttpOnly; Path=/")]);
        let probe = LiveProbe::Cookie { cookie: "sessionid".to_owned(), http_only: true };
        let verdict = judge(&probe, &report);
        assert_eq!(verdict.status, Status::Fail);
        assert!(verdict.evidence.iter().all(|e| !e.text.contains("s3cr3t")));
    }

    #[test]
    fn referrer_policy_takes_the_last_known_token() {
        let report = report_with_home(200, &[("Referrer-Policy", "unsafe-url, same-origin")]);
        assert_eq!(judge(&header("Referrer-Policy", None), &report).status, Status::Pass);
        let report = report_with_home(200, &[("Referrer-Policy", "no-referrer-when-downgrade")]);
        assert_eq!(judge(&header("Referrer-Policy", None), &report).status, Status::Fail);
    }

    #[test]
    fn a_verdict_becomes_a_finding_with_its_evidence() {
        let report = report_with_home(200, &[("X-Frame-Options", "DENY")]);
        let finding =
            judge(&header("X-Frame-Options", None), &report).to_finding("django.x-frame-options");
        assert_eq!(finding.id, "django.x-frame-options");
        assert_eq!(finding.status, Status::Pass);
        assert_eq!(finding.evidence.len(), 1);
        assert_eq!(finding.evidence[0].url.as_deref(), Some("https://example.com/"));
    }

    #[test]
    fn no_site_is_unknown() {
        let report = LiveReport { sites: Vec::new(), elapsed_ms: 0 };
        assert_eq!(judge(&LiveProbe::NoListing, &report).status, Status::Unknown);
        assert!(judge_evasive(&report).is_none());
    }
}
