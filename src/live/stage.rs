//! The live stage of a check: probes the running site once, then sets the
//! wire's verdict beside each item's configuration verdict ("config says X,
//! the wire says Y"). An item fails when either side fails.

use crate::apache::ApacheConfig;
use crate::checklist::Checklist;
use crate::finding::Finding;

use super::{LiveOptions, Prober, ResolveOverride, SiteTarget, judge, merge};

/// The site's URL: `--url`, else the first TLS virtual host's `ServerName`
/// (with its port when that is not 443).
pub fn site_url(explicit: Option<&str>, apache: Option<&ApacheConfig>) -> Option<String> {
    if let Some(url) = explicit {
        return Some(url.to_owned());
    }
    let config = apache?;
    let hosts = config.virtual_hosts();
    let tls = hosts.iter().filter(|v| v.ssl).find_map(|v| {
        let name = v.server_name.clone()?;
        Some(match v.port() {
            Some(port) if port != 443 => format!("https://{name}:{port}/"),
            _ => format!("https://{name}/"),
        })
    });
    tls.or_else(|| {
        hosts.iter().find_map(|v| v.server_name.clone()).map(|n| format!("https://{n}/"))
    })
}

/// Where plain HTTP answers for `site` when its URL does not say (a TLS
/// port other than 443): the port of the plain virtual host that serves the
/// same name, as the Apache configuration has it.
fn http_twin(site: &SiteTarget, apache: Option<&ApacheConfig>) -> Option<reqwest::Url> {
    let host = site.https.host_str()?;
    let plain = apache?.virtual_hosts().into_iter().find(|v| {
        !v.ssl && (v.server_name.as_deref() == Some(host) || v.aliases.iter().any(|a| a == host))
    })?;
    let mut http = site.https.clone();
    http.set_scheme("http").ok()?;
    match plain.port() {
        Some(80) | None => http.set_port(None).ok()?,
        Some(port) => http.set_port(Some(port)).ok()?,
    }
    Some(http)
}

/// Probes the site and merges the wire's verdicts into `findings`. A site
/// that cannot be reached leaves the configuration verdicts standing, with
/// the wire's reason beside them.
pub async fn verify(
    checklist: &Checklist,
    findings: &mut [Finding],
    url: &str,
    apache: Option<&ApacheConfig>,
    resolve: Vec<ResolveOverride>,
) -> Result<(), String> {
    let mut site = SiteTarget::from_url(url).map_err(|err| err.to_string())?;
    if site.http.is_none()
        && let Some(http) = http_twin(&site, apache)
    {
        site = site.with_http(http);
    }
    let mut options = LiveOptions::new(vec![site]);
    options.resolve = resolve;
    let prober = Prober::new(options).map_err(|err| err.to_string())?;
    let report = prober.run().await;
    for finding in findings.iter_mut() {
        let Some(item) = checklist.item(&finding.id) else { continue };
        if item.verify.is_empty() {
            continue;
        }
        let verdicts: Vec<_> = item.verify.iter().map(|probe| judge(probe, &report)).collect();
        *finding = merge(finding.clone(), &verdicts);
    }
    Ok(())
}

/// [`verify`] from synchronous code (a fix, the interface's worker): the
/// probes run on a thread of their own with a runtime of their own, so the
/// caller may be inside another runtime's blocking pool.
pub fn verify_blocking(
    checklist: &Checklist,
    findings: &mut [Finding],
    url: &str,
    apache: Option<&ApacheConfig>,
    resolve: Vec<ResolveOverride>,
) -> Result<(), String> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|err| format!("cannot start the probes' runtime: {err}"))?;
                runtime.block_on(verify(checklist, findings, url, apache, resolve))
            })
            .join()
            .unwrap_or_else(|_| Err("the live probes stopped unexpectedly".to_owned()))
    })
}
