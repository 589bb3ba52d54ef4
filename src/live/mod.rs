//! Live verification: the running site probed over HTTP and TLS, so that a
//! finding can set what the configuration says beside what the wire says.
//! Probes only read: GETs of a handful of URLs, TLS hellos that are never
//! finished, and (only when asked, only on loopback) a short burst to see
//! `mod_evasive` block. Different URLs go out concurrently; one URL is paced.

mod cert;
mod ciphers;
mod fetch;
pub(crate) mod headers;
mod judge;
mod merge;
mod net;
pub mod stage;
mod tls;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Url;
use serde::Serialize;

pub use cert::CertificateFacts;
pub use ciphers::CipherSuite;
pub use fetch::{ChainEnd, Exchange, HeaderLine, Outcome, RedirectChain, Response};
pub use headers::{Csp, HSTS_ONE_YEAR, Hsts, SetCookie};
pub use judge::{LiveVerdict, judge, judge_certificate, judge_evasive};
pub use merge::merge;
pub use net::NetError;
pub use tls::{Handshake, Refusal, TlsVersion, alert_name};

use fetch::Pacer;

/// Hits to one URL are at least this far apart unless told otherwise:
/// `mod_evasive`'s default blocks a third hit on one URI within a second.
pub const DEFAULT_PACE: Duration = Duration::from_millis(1100);

/// The most requests a `mod_evasive` burst sends.
pub const MAX_BURST: usize = 30;

/// The harmless query string that the OWASP CRS blocks (the one its
/// INSTALL guide uses): it looks like a path traversal and a shell.
pub const WAF_QUERY: &str = "file=/etc/passwd&cmd=/bin/sh";

/// A site to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteTarget {
    /// The site's HTTPS address (`https://example.com/`).
    pub https: Url,
    /// Where plain HTTP answers; by default the same host on port 80 when
    /// the HTTPS URL uses the default port, else unknown.
    pub http: Option<Url>,
}

impl SiteTarget {
    /// A site from its URL: an `https://` URL, or an `http://` one (whose
    /// HTTPS twin is the same host on the default port).
    pub fn from_url(url: &str) -> Result<SiteTarget, LiveError> {
        let parsed = Url::parse(url).map_err(|error| LiveError::BadUrl {
            url: crate::redact::printable(url),
            reason: error.to_string(),
        })?;
        if parsed.host_str().is_none() {
            return Err(LiveError::BadUrl {
                url: crate::redact::printable(url),
                reason: "it names no host".to_owned(),
            });
        }
        match parsed.scheme() {
            "https" => {
                let http = if parsed.port().is_none() {
                    let mut http = parsed.clone();
                    http.set_scheme("http").ok().map(|()| http)
                } else {
                    None
                };
                Ok(SiteTarget { https: parsed, http })
            }
            "http" if parsed.port().is_none() => {
                let mut https = parsed.clone();
                https.set_scheme("https").map_err(|()| LiveError::BadUrl {
                    url: crate::redact::printable(url),
                    reason: "cannot be turned into an https:// URL".to_owned(),
                })?;
                Ok(SiteTarget { https, http: Some(parsed) })
            }
            _ => Err(LiveError::BadUrl {
                url: crate::redact::printable(url),
                reason: "give the site's https:// URL (or http:// on the default port)".to_owned(),
            }),
        }
    }

    /// Names the http:// URL explicitly (a server on another port).
    #[must_use]
    pub fn with_http(mut self, http: Url) -> SiteTarget {
        self.http = Some(http);
        self
    }
}

/// `--resolve HOST:PORT:ADDR`, as curl takes it: connect to ADDR when the
/// URL names HOST. reqwest keeps one address per host whatever the port,
/// so the override applies to every port of HOST; PORT is kept for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveOverride {
    pub host: String,
    pub port: u16,
    pub addr: IpAddr,
}

impl std::str::FromStr for ResolveOverride {
    type Err = LiveError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| LiveError::BadResolve {
            text: crate::redact::printable(text),
            reason: reason.to_owned(),
        };
        let mut parts = text.splitn(3, ':');
        let (Some(host), Some(port), Some(addr)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected HOST:PORT:ADDR"));
        };
        if host.is_empty() {
            return Err(bad("the host is empty"));
        }
        let port = port.parse().map_err(|_| bad("the port is not a number"))?;
        let addr = addr.trim_start_matches('[').trim_end_matches(']');
        let addr = addr.parse().map_err(|_| bad("the address is not an IP address"))?;
        Ok(ResolveOverride { host: host.to_ascii_lowercase(), port, addr })
    }
}

/// Paths of the site the probes ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitePaths {
    /// A page that sets the CSRF cookie (Django's admin login does).
    pub login: String,
    /// `STATIC_URL`: must not list its directory.
    pub static_url: String,
    /// `MEDIA_URL`, when the site serves uploads.
    pub media_url: Option<String>,
}

impl Default for SitePaths {
    fn default() -> Self {
        SitePaths {
            login: "/admin/login/".to_owned(),
            static_url: "/static/".to_owned(),
            media_url: Some("/media/".to_owned()),
        }
    }
}

/// What the live stage does and how patiently.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub sites: Vec<SiteTarget>,
    pub resolve: Vec<ResolveOverride>,
    /// For one request or one handshake.
    pub timeout: Duration,
    /// Between two hits on one URL.
    pub pace: Duration,
    pub paths: SitePaths,
    /// Probe TLS versions and ciphers with hand-written hellos.
    pub tls: bool,
    /// Send a short burst to see `mod_evasive` block. Off by default, and only
    /// ever sent to a site that resolves to a loopback address.
    pub evasive_burst: bool,
}

impl LiveOptions {
    pub fn new(sites: Vec<SiteTarget>) -> Self {
        LiveOptions {
            sites,
            resolve: Vec::new(),
            timeout: Duration::from_secs(10),
            pace: DEFAULT_PACE,
            paths: SitePaths::default(),
            tls: true,
            evasive_burst: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("the URL {url} cannot be probed: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("--resolve {text}: {reason}")]
    BadResolve { text: String, reason: String },
    #[error("the HTTP client could not be built: {0}")]
    Client(String),
}

/// Everything the live stage saw, per site.
#[derive(Debug, Clone, Serialize)]
pub struct LiveReport {
    pub sites: Vec<SiteReport>,
    pub elapsed_ms: u64,
}

/// What one site answered.
#[derive(Debug, Clone, Serialize)]
pub struct SiteReport {
    pub site: String,
    /// Why the certificate does not validate, when it does not. The other
    /// probes then went on with validation off.
    pub certificate_problem: Option<String>,
    /// The first request's failure when the site could not be reached at
    /// all; the other HTTPS probes were then not sent.
    pub unreachable: Option<NetError>,
    pub redirect: Option<RedirectChain>,
    /// The site's HTTPS home page: the headers are judged on it.
    pub home: Exchange,
    /// The login page, which sets the CSRF cookie.
    pub login: Exchange,
    /// A page that does not exist, answered by the application.
    pub not_found: Exchange,
    /// A file that does not exist under the static URL, answered by Apache.
    pub static_not_found: Exchange,
    /// The static and media directories themselves.
    pub listings: Vec<Exchange>,
    /// The home page with [`WAF_QUERY`].
    pub waf: Exchange,
    pub tls: Option<TlsReport>,
    /// The leaf certificate: from the TLS 1.2 handshake (which also counts
    /// the chain) or, for a server that speaks only TLS 1.3, from the HTTPS
    /// connection.
    pub certificate: Option<CertificateFacts>,
    pub burst: Option<BurstReport>,
}

/// The TLS handshakes of one site.
#[derive(Debug, Clone, Serialize)]
pub struct TlsReport {
    pub address: String,
    /// One handshake per version, 1.0 to 1.3.
    pub versions: Vec<(TlsVersion, Handshake)>,
    /// TLS 1.2 offering only suites outside Mozilla's intermediate list.
    pub outside_intermediate: Handshake,
    /// From the certificate sent in the clear during the TLS 1.2 handshake.
    pub certificate: Option<CertificateFacts>,
}

impl TlsReport {
    pub fn version(&self, version: TlsVersion) -> Option<&Handshake> {
        self.versions.iter().find(|(v, _)| *v == version).map(|(_, handshake)| handshake)
    }
}

/// The `mod_evasive` burst.
#[derive(Debug, Clone, Serialize)]
pub struct BurstReport {
    pub url: String,
    pub sent: usize,
    /// The request number and status that were refused first (403 or 429).
    pub blocked_at: Option<(usize, u16)>,
    /// Why the burst was not sent or stopped early.
    pub note: Option<String>,
}

/// Runs the live probes of a set of sites.
pub struct Prober {
    options: LiveOptions,
    /// Validates certificates.
    strict: reqwest::Client,
    /// Accepts any certificate, for sites whose certificate does not validate.
    lenient: reqwest::Client,
    pacer: Arc<Pacer>,
}

impl Prober {
    pub fn new(options: LiveOptions) -> Result<Prober, LiveError> {
        let strict = build_client(&options, false)?;
        let lenient = build_client(&options, true)?;
        let pacer = Arc::new(Pacer::new(options.pace));
        Ok(Prober { options, strict, lenient, pacer })
    }

    /// Probes every site, all at once; returns when the slowest is done.
    pub async fn run(&self) -> LiveReport {
        let started = Instant::now();
        let sites =
            futures::future::join_all(self.options.sites.iter().map(|site| self.probe_site(site)))
                .await;
        LiveReport {
            sites,
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
    }

    async fn probe_site(&self, site: &SiteTarget) -> SiteReport {
        let timeout = self.options.timeout;
        let paths = &self.options.paths;
        let base = &site.https;
        let tag = probe_tag();

        // The first request settles whether the certificate validates, and
        // whether the site answers at all.
        let not_found_url = join(base, &format!("/portcullis-missing-{tag}/"));
        let mut not_found = fetch::get(&self.strict, &not_found_url, timeout).await;
        let mut certificate_problem = None;
        if let Some(NetError::Certificate { reason }) = not_found.error() {
            certificate_problem = Some(reason.clone());
            not_found = fetch::get(&self.lenient, &not_found_url, timeout).await;
        }
        let client =
            if certificate_problem.is_some() { self.lenient.clone() } else { self.strict.clone() };
        // Nothing else would answer either: every other request would fail
        // the same way (each after a timeout). TLS is still probed when the
        // port answered with something that is not TLS.
        let unreachable = match not_found.error() {
            Some(
                error @ (NetError::Refused
                | NetError::Unreachable { .. }
                | NetError::Timeout { .. }
                | NetError::Protocol { .. }),
            ) => Some(error.clone()),
            _ => None,
        };
        let tls_reachable = !matches!(
            unreachable,
            Some(NetError::Refused | NetError::Unreachable { .. } | NetError::Timeout { .. })
        );

        let client_for = |url: &Url| {
            if url.scheme() == "https" { client.clone() } else { self.strict.clone() }
        };
        let redirect = async {
            match &site.http {
                Some(http) => Some(fetch::follow(http, client_for, &self.pacer, timeout).await),
                None => None,
            }
        };

        let static_url = join(base, &paths.static_url);
        let mut listing_urls = vec![static_url.clone()];
        if let Some(media) = &paths.media_url {
            listing_urls.push(join(base, media));
        }
        let login_url = join(base, &paths.login);
        let static_missing_url = join(&static_url, &format!("portcullis-missing-{tag}.txt"));
        let mut waf_url = base.clone();
        waf_url.set_query(Some(WAF_QUERY));

        let tls = async {
            if self.options.tls && tls_reachable { Some(self.probe_tls(base).await) } else { None }
        };

        if let Some(error) = &unreachable {
            let (redirect, tls) = tokio::join!(redirect, tls);
            let failed = |url: &Url| Exchange::failed(url, error.clone());
            return SiteReport {
                site: base.to_string(),
                certificate_problem,
                unreachable: unreachable.clone(),
                redirect,
                home: failed(base),
                login: failed(&login_url),
                not_found,
                static_not_found: failed(&static_missing_url),
                listings: listing_urls.iter().map(failed).collect(),
                waf: failed(&waf_url),
                certificate: tls.as_ref().and_then(|t| t.certificate.clone()),
                tls,
                burst: None,
            };
        }

        let paced = |url: Url| {
            let client = client.clone();
            let pacer = Arc::clone(&self.pacer);
            async move {
                pacer.turn(&url).await;
                fetch::get(&client, &url, timeout).await
            }
        };
        // The home page and the WAF probe share a URI with the end of the
        // redirect chain: they wait for it so that the chain's last hop
        // can stand in for the home page.
        let root_sequence = async {
            let chain = redirect.await;
            let reused = chain
                .as_ref()
                .and_then(|c| c.hops.last())
                .filter(|hop| hop.url == base.as_str() && hop.response().is_some())
                .cloned();
            let home = match reused {
                Some(home) => home,
                None => paced(base.clone()).await,
            };
            let waf = paced(waf_url.clone()).await;
            (chain, home, waf)
        };
        let listings = futures::future::join_all(listing_urls.iter().cloned().map(paced));
        let ((chain, home, waf), login, static_not_found, listings, tls) = tokio::join!(
            root_sequence,
            paced(login_url.clone()),
            paced(static_missing_url.clone()),
            listings,
            tls
        );
        let certificate = tls.as_ref().and_then(|t| t.certificate.clone()).or_else(|| {
            let der = not_found.response()?.peer_certificate.as_ref()?;
            CertificateFacts::from_chain(std::slice::from_ref(der))
        });
        let burst =
            if self.options.evasive_burst { Some(self.burst(base, &client).await) } else { None };
        SiteReport {
            site: base.to_string(),
            certificate_problem,
            unreachable: None,
            redirect: chain,
            home,
            login,
            not_found,
            static_not_found,
            listings,
            waf,
            tls,
            certificate,
            burst,
        }
    }

    /// The four versions, the outside-intermediate offer, all concurrently.
    /// Public so that `examples/tls_protocols.rs` can time this part alone.
    pub async fn probe_tls(&self, base: &Url) -> TlsReport {
        let host = base.host_str().unwrap_or_default().to_owned();
        let port = base.port_or_known_default().unwrap_or(443);
        let address = format!("{host}:{port}");
        let addr = match self.socket_addr(&host, port).await {
            Ok(addr) => addr,
            Err(error) => {
                let failed = Handshake::Failed { error };
                return TlsReport {
                    address,
                    versions: TlsVersion::ALL.iter().map(|v| (*v, failed.clone())).collect(),
                    outside_intermediate: failed,
                    certificate: None,
                };
            }
        };
        let timeout = self.options.timeout;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let versions = futures::future::join_all(TlsVersion::ALL.iter().map(|version| async {
            let answer = tls::probe(addr, host, &tls::Offer::for_version(*version), timeout).await;
            (*version, answer)
        }));
        let outside_offer = tls::Offer::outside_intermediate();
        let outside = tls::probe(addr, host, &outside_offer, timeout);
        let (versions, outside) = tokio::join!(versions, outside);

        let certificate = versions
            .iter()
            .find(|(v, answer)| *v == TlsVersion::Tls12 && !answer.certificates.is_empty())
            .or_else(|| versions.iter().find(|(_, answer)| !answer.certificates.is_empty()))
            .and_then(|(_, answer)| CertificateFacts::from_chain(&answer.certificates));
        TlsReport {
            address,
            versions: versions
                .into_iter()
                .map(|(version, answer)| (version, answer.handshake))
                .collect(),
            outside_intermediate: outside.handshake,
            certificate,
        }
    }

    /// Where a host's connections go: a `--resolve` override, else DNS.
    async fn socket_addr(&self, host: &str, port: u16) -> Result<SocketAddr, NetError> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Some(ip) = self.override_for(bare, port) {
            return Ok(SocketAddr::new(ip, port));
        }
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return Ok(SocketAddr::new(ip, port));
        }
        let lookup =
            tokio::time::timeout(self.options.timeout, tokio::net::lookup_host((bare, port)));
        match lookup.await {
            Ok(Ok(mut addrs)) => addrs.next().ok_or_else(|| NetError::Unreachable {
                detail: format!("{} has no address", crate::redact::printable(bare)),
            }),
            Ok(Err(error)) => Err(NetError::unresolved(bare, &error.to_string())),
            Err(_) => Err(NetError::Timeout { seconds: self.options.timeout.as_secs_f64() }),
        }
    }

    fn override_for(&self, host: &str, port: u16) -> Option<IpAddr> {
        let host = host.to_ascii_lowercase();
        let same_host = || self.options.resolve.iter().filter(|o| o.host == host);
        same_host().find(|o| o.port == port).or_else(|| same_host().next()).map(|o| o.addr)
    }

    /// Asks for the home page up to [`MAX_BURST`] times without pause and
    /// stops at the first 403 or 429. Only ever sent to loopback.
    async fn burst(&self, base: &Url, client: &reqwest::Client) -> BurstReport {
        let host = base.host_str().unwrap_or_default();
        let port = base.port_or_known_default().unwrap_or(443);
        let mut report =
            BurstReport { url: base.to_string(), sent: 0, blocked_at: None, note: None };
        match self.socket_addr(host, port).await {
            Ok(addr) if addr.ip().is_loopback() => {}
            Ok(addr) => {
                report.note = Some(format!(
                    "not sent: {addr} is not a loopback address, and a burst is only sent to this machine"
                ));
                return report;
            }
            Err(error) => {
                report.note = Some(format!("not sent: {error}"));
                return report;
            }
        }
        // A path of its own, so the burst does not spend the home page's budget.
        let url = join(base, &format!("/portcullis-burst-{}/", probe_tag()));
        report.url = url.to_string();
        for number in 1..=MAX_BURST {
            let exchange = fetch::get(client, &url, self.options.timeout).await;
            report.sent = number;
            match exchange.response() {
                Some(response) if matches!(response.status, 403 | 429) => {
                    report.blocked_at = Some((number, response.status));
                    break;
                }
                Some(_) => {}
                None => {
                    report.note = Some(format!("stopped: {}", exchange.describe()));
                    break;
                }
            }
        }
        report
    }
}

fn build_client(options: &LiveOptions, accept_invalid: bool) -> Result<reqwest::Client, LiveError> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(options.timeout)
        .connect_timeout(options.timeout)
        .user_agent(concat!("portcullis/", env!("CARGO_PKG_VERSION"), " (live verification)"))
        .tls_danger_accept_invalid_certs(accept_invalid)
        .tls_info(true);
    let mut hosts: Vec<&str> = options.resolve.iter().map(|o| o.host.as_str()).collect();
    hosts.dedup();
    for host in hosts {
        let addrs: Vec<SocketAddr> = options
            .resolve
            .iter()
            .filter(|o| o.host == host)
            .map(|o| SocketAddr::new(o.addr, 0))
            .collect();
        builder = builder.resolve_to_addrs(host, &addrs);
    }
    builder.build().map_err(|error| LiveError::Client(crate::redact::printable(&error.to_string())))
}

/// A URL on the same site, from an absolute path.
fn join(base: &Url, path: &str) -> Url {
    base.join(path).unwrap_or_else(|_| base.clone())
}

/// A short random tag that makes a probe's made-up paths its own.
fn probe_tag() -> String {
    let mut bytes = [0u8; 4];
    let _ = getrandom::fill(&mut bytes);
    u32::from_be_bytes(bytes).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_takes_curl_form() {
        let parsed: ResolveOverride = "Example.com:443:127.0.0.1".parse().expect("parses");
        assert_eq!(parsed.host, "example.com");
        assert_eq!(parsed.port, 443);
        assert_eq!(parsed.addr, IpAddr::from([127, 0, 0, 1]));
        let v6: ResolveOverride = "example.com:443:[::1]".parse().expect("parses");
        assert!(v6.addr.is_loopback());
        assert!("example.com:443".parse::<ResolveOverride>().is_err());
        assert!("example.com:x:127.0.0.1".parse::<ResolveOverride>().is_err());
    }

    #[test]
    fn a_site_url_gives_both_schemes() {
        let site = SiteTarget::from_url("https://example.com/").expect("parses");
        assert_eq!(site.http.map(|u| u.to_string()).as_deref(), Some("http://example.com/"));
        let site = SiteTarget::from_url("https://example.com:8443/").expect("parses");
        assert!(site.http.is_none());
        assert!(SiteTarget::from_url("ftp://example.com/").is_err());
        assert!(SiteTarget::from_url("not a url").is_err());
    }
}
