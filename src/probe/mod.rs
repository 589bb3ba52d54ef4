//! Probes: read-only observations of the target, one function per probe
//! kind. A probe never changes anything and never prints; it returns a
//! [`Finding`] for its item. A layer the target lacks makes its items
//! `unknown` with the reason: they never pass.

pub mod maint;

use std::time::Duration;

use crate::checklist::{Item, Probe, SecretKeyCheck};
use crate::finding::Finding;
use crate::target::Target;

/// How long one probe may take before its item is reported unknown.
/// pip-audit may take up to five minutes on a large project.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(330);

pub use crate::layers::RunOptions;

/// Everything the probes of one run share: the target and what was learned
/// of its layers before the checks started. Read-only once built.
pub struct Context {
    pub target: Target,
    pub options: RunOptions,
    pub layers: crate::layers::Layers,
}

/// Runs one item's probe against the target.
pub fn run(item: &Item, ctx: &Context) -> Finding {
    let layers = &ctx.layers;
    match &item.probe {
        Probe::DjangoSetting { .. }
        | Probe::DjangoMiddleware { .. }
        | Probe::DjangoList { .. }
        | Probe::PythonPackage { .. }
        | Probe::DjangoCsp { .. }
        | Probe::DjangoMigrations { .. }
        | Probe::DjangoProxySslHeader => match layers.django() {
            Ok(facts) => crate::django::rules::evaluate(item, facts),
            Err(missing) => Finding::unknown(&item.id, missing.clone()),
        },
        Probe::DpkgPackage { .. }
        | Probe::ApacheModule { .. }
        | Probe::ApacheDirective { .. }
        | Probe::ModsecurityEngine
        | Probe::ModsecurityCrs
        | Probe::EvasiveConfig
        | Probe::ApacheIndexes
        | Probe::TlsProtocols
        | Probe::TlsCiphers => apache_item(&item.id, ctx),
        Probe::SecretKey { check } => with_django(ctx, &item.id, |facts| match check {
            SecretKeyCheck::Source => maint::secret_key_source(&item.id, facts),
            SecretKeyCheck::Strength => maint::secret_key_strength(&item.id, facts),
        }),
        Probe::RequirementsEntry { package } => {
            with_django(ctx, &item.id, |facts| maint::requirement_listed(&item.id, facts, package))
        }
        Probe::EnvPermissions => with_django(ctx, &item.id, |facts| {
            maint::env_permissions(&item.id, &ctx.target, facts, layers.apache().ok())
        }),
        Probe::ApacheLogs => with_django(ctx, &item.id, |facts| match layers.apache() {
            Ok(config) => maint::logs_configured(&item.id, facts, config),
            Err(error) => Finding::unknown(
                &item.id,
                format!("Apache's configuration cannot be read: {error}"),
            ),
        }),
        Probe::SecretKeyRotation => Finding::unknown(
            &item.id,
            "no rotation is recorded: rotate the key with portcullis, or confirm a rotation you made with `portcullis confirm maint.secret-key-rotated --note ...`",
        ),
        Probe::LogReview => with_django(ctx, &item.id, |facts| match layers.apache() {
            Ok(config) => maint::log_review(&item.id, &ctx.target, facts, config),
            Err(_) => Finding::unknown(
                &item.id,
                "a manual item: review the site's logs, then `portcullis confirm maint.logs-reviewed --note ...`",
            ),
        }),
        Probe::Logrotate => with_django(ctx, &item.id, |facts| match layers.apache() {
            Ok(config) => maint::logrotate(&item.id, &ctx.target, facts, config),
            Err(error) => Finding::unknown(
                &item.id,
                format!("Apache's configuration cannot be read: {error}"),
            ),
        }),
        Probe::CiStep { tool } => {
            with_django(ctx, &item.id, |facts| maint::ci_step(&item.id, &ctx.target, facts, tool))
        }
        Probe::PipAudit if ctx.options.offline => Finding::unknown(
            &item.id,
            "--offline: pip-audit needs the advisory service on the network, so it was not run",
        ),
        Probe::PipAudit => with_django(ctx, &item.id, |facts| {
            maint::pip_audit_clean(&item.id, &ctx.target, facts, layers.apache().ok())
        }),
    }
}

/// Runs `check` on the Django facts, or says why there are none.
fn with_django(
    ctx: &Context,
    id: &str,
    check: impl FnOnce(&crate::django::rules::DjangoFacts) -> Finding,
) -> Finding {
    match ctx.layers.django() {
        Ok(facts) => check(facts),
        Err(missing) => Finding::unknown(id, missing.clone()),
    }
}

/// An Apache item: package items need only the dpkg status; the others the
/// configuration, and are `unknown` with its error when it cannot be read.
fn apache_item(id: &str, ctx: &Context) -> Finding {
    let layers = &ctx.layers;
    let is_package_item = id.ends_with("-installed");
    match (layers.apache(), layers.packages()) {
        (Ok(config), Ok(packages)) => crate::apache::checks::run(id, config, packages, &ctx.target),
        (_, Ok(packages)) if is_package_item => {
            crate::apache::checks::run_package_item(id, packages)
        }
        (Err(error), _) => {
            Finding::unknown(id, format!("Apache's configuration cannot be read: {error}"))
        }
        (Ok(config), Err(error)) => {
            if is_package_item {
                Finding::unknown(id, error.to_string())
            } else {
                crate::apache::checks::run(
                    id,
                    config,
                    &crate::dpkg::Installed::default(),
                    &ctx.target,
                )
            }
        }
    }
}
