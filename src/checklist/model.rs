//! The checklist as data: sections of topics of items. Each item names a
//! probe (how to look, with its expectation), a fix (what to change) and live
//! probes that verify the fix on the wire. Probe and fix kinds form a small,
//! closed set: adding an item never needs Rust code unless it needs a new kind.

use serde::{Deserialize, Serialize};

/// How much an item matters; orders what remains in a summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub summary: String,
    /// Where the section was defined (`checklist/django.toml` or a path).
    pub source: String,
    pub topics: Vec<Topic>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Topic {
    pub id: String,
    pub title: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// Two or three lines an operator reads to know why this matters.
    pub why: String,
    pub references: Vec<Reference>,
    pub probe: Probe,
    pub expect: Option<Expectation>,
    pub fix: Option<Fix>,
    /// Live probes that prove the fix on the running site.
    pub verify: Vec<LiveProbe>,
    /// A manual item passes only when the operator confirms it.
    pub manual: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub title: String,
    pub url: String,
}

/// How to look. Each kind reads one layer of the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Probe {
    // --- Django (static analysis of the settings, or the project's Python) ---
    /// A setting's effective value against the expectation. `needs_middleware`
    /// makes the setting inert (a failure) when that middleware is absent;
    /// `applies_when` names the condition under which the item applies.
    DjangoSetting {
        setting: String,
        #[serde(default)]
        needs_middleware: Option<String>,
        #[serde(default)]
        applies_when: Option<Applicability>,
    },
    /// A middleware in `MIDDLEWARE`, optionally at a position.
    DjangoMiddleware {
        middleware: String,
        #[serde(default)]
        position: Position,
    },
    /// An entry of a list setting (`INSTALLED_APPS`, `AUTHENTICATION_BACKENDS`).
    /// `accept` lists other names that count as the same entry.
    DjangoList {
        setting: String,
        contains: String,
        #[serde(default)]
        accept: Vec<String>,
        #[serde(default)]
        position: Position,
    },
    /// A Python package installed where the target uses it and pinned in
    /// the requirements. `builtin_since_django` makes it unnecessary from
    /// that Django version on.
    PythonPackage {
        package: String,
        #[serde(default)]
        builtin_since_django: Option<String>,
    },
    /// The Content Security Policy, in the format the installed versions call for.
    DjangoCsp {
        check: CspCheck,
    },
    /// An app's migrations are applied (needs the project's Python).
    DjangoMigrations {
        app: String,
    },
    /// `SECURE_PROXY_SSL_HEADER` where a TLS-terminating proxy sits in front.
    DjangoProxySslHeader,

    // --- Apache (the configuration model and the dpkg status) ---
    /// A Debian package installed under the root.
    DpkgPackage {
        package: String,
    },
    /// An Apache module enabled (`mods-enabled`) and loaded.
    ApacheModule {
        module: String,
    },
    /// A directive's effective value, at server level or everywhere it acts.
    ApacheDirective {
        directive: String,
        scope: DirectiveScope,
    },
    ModsecurityEngine,
    ModsecurityCrs,
    EvasiveConfig,
    ApacheIndexes,
    TlsProtocols,
    TlsCiphers,

    // --- Maintenance ---
    /// A package listed in the project's requirements (or a dev/CI file).
    RequirementsEntry {
        package: String,
    },
    /// `pip-audit` of the pinned requirements reports nothing.
    PipAudit,
    /// The project's CI pipeline runs a tool, when the project has one.
    CiStep {
        tool: String,
    },
    SecretKey {
        check: SecretKeyCheck,
    },
    SecretKeyRotation,
    EnvPermissions,
    ApacheLogs,
    LogReview,
    Logrotate,
}

/// When a `django-setting` item applies at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// The sessions app or its middleware is used.
    SessionsUsed,
    /// The CSRF middleware is used and `CSRF_USE_SESSIONS` is off.
    CsrfCookieUsed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Position {
    #[default]
    Any,
    First,
    Last,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CspCheck {
    Middleware,
    Policy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DirectiveScope {
    /// Only the server config counts (Apache refuses it elsewhere).
    Server,
    /// The server config and every virtual host and directory it acts in.
    Everywhere,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretKeyCheck {
    Source,
    Strength,
}

/// What the probe's observation must satisfy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Expectation {
    /// `value is True` / `value is False`, as Django's checks compare.
    Is(bool),
    /// Python truthiness is false.
    Falsy(bool),
    AtLeast(i64),
    AtMost(i64),
    OneOf(Vec<String>),
    /// A non-empty sequence holding none of these.
    NonEmptyWithout(Vec<String>),
    /// A duration (axes: int/float hours or a timedelta) of at least this many hours.
    DurationAtLeastHours(f64),
    /// A policy that sets each of these directives.
    Directives(Vec<String>),
}

impl Expectation {
    pub fn name(&self) -> &'static str {
        match self {
            Expectation::Is(_) => "is",
            Expectation::Falsy(_) => "falsy",
            Expectation::AtLeast(_) => "at_least",
            Expectation::AtMost(_) => "at_most",
            Expectation::OneOf(_) => "one_of",
            Expectation::NonEmptyWithout(_) => "non_empty_without",
            Expectation::DurationAtLeastHours(_) => "duration_at_least_hours",
            Expectation::Directives(_) => "directives",
        }
    }
}

impl Probe {
    /// The kind's name as written in the checklist.
    pub fn kind(&self) -> &'static str {
        match self {
            Probe::DjangoSetting { .. } => "django-setting",
            Probe::DjangoMiddleware { .. } => "django-middleware",
            Probe::DjangoList { .. } => "django-list",
            Probe::PythonPackage { .. } => "python-package",
            Probe::DjangoCsp { .. } => "django-csp",
            Probe::DjangoMigrations { .. } => "django-migrations",
            Probe::DjangoProxySslHeader => "django-proxy-ssl-header",
            Probe::DpkgPackage { .. } => "dpkg-package",
            Probe::ApacheModule { .. } => "apache-module",
            Probe::ApacheDirective { .. } => "apache-directive",
            Probe::ModsecurityEngine => "modsecurity-engine",
            Probe::ModsecurityCrs => "modsecurity-crs",
            Probe::EvasiveConfig => "evasive-config",
            Probe::ApacheIndexes => "apache-indexes",
            Probe::TlsProtocols => "tls-protocols",
            Probe::TlsCiphers => "tls-ciphers",
            Probe::RequirementsEntry { .. } => "requirements-entry",
            Probe::PipAudit => "pip-audit",
            Probe::CiStep { .. } => "ci-step",
            Probe::SecretKey { .. } => "secret-key",
            Probe::SecretKeyRotation => "secret-key-rotation",
            Probe::EnvPermissions => "env-permissions",
            Probe::ApacheLogs => "apache-logs",
            Probe::LogReview => "log-review",
            Probe::Logrotate => "logrotate",
        }
    }

    /// The expectations this kind understands; an item whose `expect` is not
    /// among them is a checklist error.
    pub fn accepts(&self) -> &'static [&'static str] {
        match self {
            Probe::DjangoSetting { .. } => &[
                "is",
                "falsy",
                "at_least",
                "at_most",
                "one_of",
                "non_empty_without",
                "duration_at_least_hours",
            ],
            Probe::DjangoCsp { check: CspCheck::Policy } => &["directives"],
            Probe::ApacheDirective { .. } => &["one_of"],
            _ => &[],
        }
    }
}

/// What to change. Kinds are implemented by the fix pipeline; a kind that is
/// not implemented yet is shown as a manual step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Fix {
    /// Assign a setting (Python source of the value), or edit the `.env`
    /// entry it is read from.
    DjangoSet {
        setting: String,
        value: String,
        /// A gentler first value for a staged path (HSTS trial max-age).
        #[serde(default)]
        staged_value: Option<String>,
    },
    /// Insert into a list setting at a position.
    DjangoListInsert {
        setting: String,
        value: String,
        #[serde(default)]
        position: Position,
    },
    /// Install a Python package into the project's virtualenv and pin it.
    PipInstall {
        package: String,
    },
    DjangoCspPolicy,
    DjangoMigrate {
        app: String,
    },
    DjangoProxyHeader,
    AptInstall {
        package: String,
    },
    A2enmod {
        module: String,
    },
    /// A server-wide directive in portcullis's own drop-in conf.
    ApacheDropIn {
        directive: String,
        value: String,
    },
    /// Remove directives from places Apache refuses or ignores them.
    ApacheRemove {
        directive: String,
    },
    ApacheIndexesOff,
    ModsecurityEngine,
    ModsecurityCrs,
    /// Write a config file from a template in `assets/`.
    ApacheTemplate {
        template: String,
    },
    RequirementsAdd {
        package: String,
    },
    /// Raise vulnerable pins to the versions pip-audit says fix them.
    PipAuditUpgrade,
    CiStepAdd {
        tool: String,
    },
    SecretKeyMove,
    SecretKeyRotate,
    EnvPermissions,
    ApacheLogs,
    LogrotateTemplate {
        template: String,
    },
}

impl Fix {
    pub fn kind(&self) -> &'static str {
        match self {
            Fix::DjangoSet { .. } => "django-set",
            Fix::DjangoListInsert { .. } => "django-list-insert",
            Fix::PipInstall { .. } => "pip-install",
            Fix::DjangoCspPolicy => "django-csp-policy",
            Fix::DjangoMigrate { .. } => "django-migrate",
            Fix::DjangoProxyHeader => "django-proxy-header",
            Fix::AptInstall { .. } => "apt-install",
            Fix::A2enmod { .. } => "a2enmod",
            Fix::ApacheDropIn { .. } => "apache-drop-in",
            Fix::ApacheRemove { .. } => "apache-remove",
            Fix::ApacheIndexesOff => "apache-indexes-off",
            Fix::ModsecurityEngine => "modsecurity-engine",
            Fix::ModsecurityCrs => "modsecurity-crs",
            Fix::ApacheTemplate { .. } => "apache-template",
            Fix::RequirementsAdd { .. } => "requirements-add",
            Fix::PipAuditUpgrade => "pip-audit-upgrade",
            Fix::CiStepAdd { .. } => "ci-step-add",
            Fix::SecretKeyMove => "secret-key-move",
            Fix::SecretKeyRotate => "secret-key-rotate",
            Fix::EnvPermissions => "env-permissions",
            Fix::ApacheLogs => "apache-logs",
            Fix::LogrotateTemplate { .. } => "logrotate-template",
        }
    }
}

/// A probe of the live site that proves an item on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum LiveProbe {
    /// `http://` answers with a redirect chain ending on `https://`.
    HttpsRedirect,
    /// A response header on HTTPS (`contains` is matched case-insensitively).
    Header {
        header: String,
        #[serde(default)]
        contains: Option<String>,
        #[serde(default)]
        absent: bool,
    },
    /// A cookie set with `Secure` (and `HttpOnly` when asked).
    Cookie {
        cookie: String,
        #[serde(default)]
        http_only: bool,
    },
    /// The `Server` header and an error page reveal nothing beyond "Apache".
    ServerBanner,
    /// As `ServerBanner`, and Apache's error pages carry no signature at all.
    ErrorSignature,
    /// No "Index of" listing on the site's static and media URLs.
    NoListing,
    /// A harmless request that looks like an attack gets 403.
    WafBlocks,
    /// Which TLS versions the server accepts.
    TlsVersions,
    /// The cipher negotiated for TLS 1.2.
    TlsCipher,
}
