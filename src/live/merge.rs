//! Configuration and wire side by side: an item's finding from its probe,
//! merged with the verdicts of its live probes. The item fails when either
//! fails, and the summary says which; a disagreement is shown, never hidden.

use super::LiveVerdict;
use crate::finding::{Evidence, Finding, Status};

/// Merges an item's configuration finding with its live verdicts.
///
/// - Either side fails: the item fails, saying which side (and, when the
///   other side passes, that they disagree).
/// - The wire could not see (unknown): the configuration's status stands,
///   with a note that the wire did not confirm it.
/// - An item that does not apply is returned unchanged.
pub fn merge(config: Finding, wire: &[LiveVerdict]) -> Finding {
    if wire.is_empty() || !config.applies {
        return config;
    }
    let wire_status = worst(wire.iter().map(|v| v.status));
    let wire_summary = wire.iter().map(|v| v.summary.as_str()).collect::<Vec<_>>().join("; ");
    let config_summary = config.summary.clone();

    let (status, summary) = match (config.status, wire_status) {
        (Status::Fail, Status::Pass) => (
            Status::Fail,
            format!(
                "the configuration fails ({config_summary}), though the wire passes today \
                 ({wire_summary}): the configuration is what the next restart or upgrade acts on"
            ),
        ),
        (Status::Fail, Status::Fail) => (
            Status::Fail,
            format!(
                "the configuration fails ({config_summary}) and so does the wire ({wire_summary})"
            ),
        ),
        (Status::Pass | Status::Unknown, Status::Fail) => (
            Status::Fail,
            format!(
                "the wire fails ({wire_summary}){}",
                if config.status == Status::Pass {
                    format!(" although the configuration passes ({config_summary})")
                } else {
                    String::new()
                }
            ),
        ),
        (Status::Pass, Status::Pass) => {
            (Status::Pass, format!("{config_summary}; confirmed on the wire: {wire_summary}"))
        }
        (status, Status::Unknown) => {
            (status, format!("{config_summary} (not confirmed on the wire: {wire_summary})"))
        }
        (status, _) => (status, format!("{config_summary}; on the wire: {wire_summary}")),
    };

    let mut merged = config;
    merged.status = status;
    merged.summary = crate::redact::printable(&summary);
    if status == Status::Fail {
        merged.reason = None;
    }
    merged.evidence.extend(wire.iter().flat_map(|v| v.evidence.iter().cloned()));
    if merged.evidence.is_empty() {
        merged.evidence.push(Evidence::note(wire_summary));
    }
    merged
}

fn worst(statuses: impl Iterator<Item = Status>) -> Status {
    let statuses: Vec<Status> = statuses.collect();
    if statuses.contains(&Status::Fail) {
        Status::Fail
    } else if statuses.contains(&Status::Unknown) {
        Status::Unknown
    } else {
        Status::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(status: Status, summary: &str) -> LiveVerdict {
        LiveVerdict {
            status,
            summary: summary.to_owned(),
            evidence: vec![Evidence::wire("https://example.com/", summary)],
        }
    }

    #[test]
    fn config_fails_wire_passes_still_fails_and_says_both() {
        // SSLProtocol all on Debian 12: OpenSSL refuses TLS 1.0/1.1 today.
        let config =
            Finding::fail("apache.tls-protocols", "SSLProtocol all allows TLS 1.0 and 1.1")
                .with(Evidence::at("/etc/apache2/mods-enabled/ssl.conf", 12, "SSLProtocol all"));
        let merged = merge(config, &[wire(Status::Pass, "refuses TLS 1.0 and 1.1 (alert 80)")]);
        assert_eq!(merged.status, Status::Fail);
        assert!(merged.summary.contains("the configuration fails"), "{}", merged.summary);
        assert!(merged.summary.contains("wire passes today"), "{}", merged.summary);
        assert_eq!(merged.evidence.len(), 2);
    }

    #[test]
    fn config_passes_wire_fails_is_a_failure_of_the_wire() {
        let config = Finding::pass("django.hsts-seconds", "SECURE_HSTS_SECONDS = 31536000");
        let merged = merge(config, &[wire(Status::Fail, "no Strict-Transport-Security header")]);
        assert_eq!(merged.status, Status::Fail);
        assert!(merged.summary.starts_with("the wire fails"), "{}", merged.summary);
        assert!(merged.summary.contains("although the configuration passes"));
    }

    #[test]
    fn an_unseen_wire_leaves_the_configuration_standing() {
        let config = Finding::pass("apache.server-tokens", "ServerTokens Prod");
        let merged = merge(config, &[wire(Status::Unknown, "connection refused")]);
        assert_eq!(merged.status, Status::Pass);
        assert!(merged.summary.contains("not confirmed on the wire"));
    }

    #[test]
    fn both_passing_is_confirmed() {
        let config = Finding::pass("django.nosniff", "SECURE_CONTENT_TYPE_NOSNIFF is True");
        let merged = merge(config, &[wire(Status::Pass, "X-Content-Type-Options: nosniff")]);
        assert_eq!(merged.status, Status::Pass);
        assert!(merged.summary.contains("confirmed on the wire"));
    }

    #[test]
    fn an_item_that_does_not_apply_is_unchanged() {
        let config = Finding::not_applicable("django.proxy-ssl-header", "served by mod_wsgi");
        let merged = merge(config.clone(), &[wire(Status::Fail, "x")]);
        assert_eq!(merged, config);
    }
}
