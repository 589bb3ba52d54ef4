//! The live stage of a check: probes the running site once, then sets the
//! wire's verdict beside each item's configuration verdict ("config says X,
//! the wire says Y"). An item fails when either side fails.

use crate::apache::ApacheConfig;
use crate::checklist::Checklist;
use crate::finding::Finding;

use super::{LiveOptions, Prober, ResolveOverride, SiteTarget, judge, merge};

/// The site's URL: `--url`, else the first TLS virtual host's `ServerName`.
pub fn site_url(explicit: Option<&str>, apache: Option<&ApacheConfig>) -> Option<String> {
    if let Some(url) = explicit {
        return Some(url.to_owned());
    }
    let config = apache?;
    let hosts = config.virtual_hosts();
    let tls = hosts.iter().filter(|v| v.ssl).find_map(|v| v.server_name.clone());
    tls.or_else(|| hosts.iter().find_map(|v| v.server_name.clone()))
        .map(|name| format!("https://{name}/"))
}

/// Probes the site and merges the wire's verdicts into `findings`. A site
/// that cannot be reached leaves the configuration verdicts standing, with
/// the wire's reason beside them.
pub async fn verify(
    checklist: &Checklist,
    findings: &mut [Finding],
    url: &str,
    resolve: Vec<ResolveOverride>,
) -> Result<(), String> {
    let site = SiteTarget::from_url(url).map_err(|err| err.to_string())?;
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
