//! The verdicts of the Django items: each probe kind of the Django section
//! applied to the facts gathered about the project (settings as static
//! analysis computed them, installed versions, requirements, how Apache
//! serves the site). Pure: nothing here reads files or runs programs, except
//! [`showmigrations`], which the caller runs only when evaluation is allowed.
//!
//! A value that cannot be known makes the item `unknown` with the reason;
//! nothing is guessed. Booleans are compared with `is True`, as Django's own
//! deploy checks do.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::checklist::{Applicability, CspCheck, Expectation, Item, Position, Probe};
use crate::django::project::Project;
use crate::django::requirements::Requirements;
use crate::django::settings::SettingsAnalysis;
use crate::django::value::{Location, PyValue, Setting, Value};
use crate::django::versions::{PackageVersion, Versions};
use crate::finding::{Evidence, Finding, Status};
use crate::target::Target;

pub const SECURITY_MIDDLEWARE: &str = "django.middleware.security.SecurityMiddleware";
const SESSION_MIDDLEWARE: &str = "django.contrib.sessions.middleware.SessionMiddleware";
const SESSIONS_APP: &str = "django.contrib.sessions";
const CSRF_MIDDLEWARE: &str = "django.middleware.csrf.CsrfViewMiddleware";
const DJANGO_CSP_MIDDLEWARES: &[&str] =
    &["csp.middleware.CSPMiddleware", "csp.contrib.rate_limiting.RateLimitedCSPMiddleware"];
const BUILTIN_CSP_MIDDLEWARE: &str = "django.middleware.csp.ContentSecurityPolicyMiddleware";
const AXES_BACKENDS: &[&str] =
    &["axes.backends.AxesStandaloneBackend", "axes.backends.AxesBackend"];

/// django-csp 3.x settings that 4.x ignores (`OUTDATED_SETTINGS` of
/// `csp/checks.py`, plus the three non-directive ones its check names).
const DJANGO_CSP_3_SETTINGS: &[&str] = &[
    "CSP_CHILD_SRC",
    "CSP_CONNECT_SRC",
    "CSP_DEFAULT_SRC",
    "CSP_SCRIPT_SRC",
    "CSP_SCRIPT_SRC_ATTR",
    "CSP_SCRIPT_SRC_ELEM",
    "CSP_OBJECT_SRC",
    "CSP_STYLE_SRC",
    "CSP_STYLE_SRC_ATTR",
    "CSP_STYLE_SRC_ELEM",
    "CSP_FONT_SRC",
    "CSP_FRAME_SRC",
    "CSP_IMG_SRC",
    "CSP_MANIFEST_SRC",
    "CSP_MEDIA_SRC",
    "CSP_PREFETCH_SRC",
    "CSP_WORKER_SRC",
    "CSP_BASE_URI",
    "CSP_PLUGIN_TYPES",
    "CSP_SANDBOX",
    "CSP_FORM_ACTION",
    "CSP_FRAME_ANCESTORS",
    "CSP_NAVIGATE_TO",
    "CSP_REQUIRE_SRI_FOR",
    "CSP_REQUIRE_TRUSTED_TYPES_FOR",
    "CSP_TRUSTED_TYPES",
    "CSP_UPGRADE_INSECURE_REQUESTS",
    "CSP_BLOCK_ALL_MIXED_CONTENT",
    "CSP_REPORT_URI",
    "CSP_REPORT_TO",
    "CSP_REPORT_ONLY",
    "CSP_EXCLUDE_URL_PREFIXES",
    "CSP_REPORT_PERCENTAGE",
    "CSP_INCLUDE_NONCE_IN",
];

/// The settings as the rules read them. [`SettingsAnalysis`] is the real
/// one; tests and the evaluated settings may bring their own.
pub trait SettingsView {
    /// The effective value and where it came from.
    fn setting(&self, name: &str) -> Setting;
    /// True when the settings assign `name` anywhere.
    fn is_assigned(&self, name: &str) -> bool;
    /// The settings module's file, inside the target.
    fn module_file(&self) -> &str;
}

impl SettingsView for SettingsAnalysis {
    fn setting(&self, name: &str) -> Setting {
        SettingsAnalysis::setting(self, name)
    }

    fn is_assigned(&self, name: &str) -> bool {
        SettingsAnalysis::is_assigned(self, name)
    }

    fn module_file(&self) -> &str {
        SettingsAnalysis::module_file(self)
    }
}

/// How Apache serves the site, as far as the Apache layer tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApacheTopology {
    pub served_by: ServedBy,
    /// Where every plain-HTTP virtual host of the site redirects to HTTPS,
    /// when they all do.
    pub redirects_http: Option<Location>,
    /// Every name the Apache configuration serves (`ServerName`,
    /// `ServerAlias`), each with whether a TLS virtual host answers for it.
    pub names: Vec<(String, bool)>,
    /// The HSTS header Apache sends on every TLS virtual host, if it does.
    pub hsts: Option<ApacheHsts>,
}

/// A `Header [always] set Strict-Transport-Security "..."` of Apache's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApacheHsts {
    pub at: Location,
    /// The header's value, unquoted.
    pub value: String,
    /// With `always`, Apache's own error pages carry it too.
    pub always: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServedBy {
    /// `mod_wsgi` runs Django inside Apache: Django sees HTTPS itself.
    ModWsgi { at: Option<Location> },
    /// Apache terminates TLS and proxies to a backend (`http://127.0.0.1:8000/`).
    Proxy {
        backend: String,
        at: Option<Location>,
        /// The `RequestHeader set X-Forwarded-Proto` that tells the backend
        /// the request came over HTTPS, when there is one.
        sets_forwarded_proto: Option<Location>,
    },
    /// Apache's configuration was read but does not show how the site is served.
    Unknown { why: String },
}

/// What `manage.py showmigrations APP` reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub command: String,
    pub applied: Vec<String>,
    pub pending: Vec<String>,
}

/// Everything the Django rules need about one project.
#[derive(Debug, Clone)]
pub struct DjangoFacts<S = SettingsAnalysis> {
    pub project: Project,
    pub analysis: S,
    pub versions: Versions,
    pub requirements: Requirements,
    /// `None` when no Apache configuration was read.
    pub apache: Option<ApacheTopology>,
    /// By app label: the `showmigrations` result, or why it could not run.
    /// An app that is absent was not asked about (no evaluation allowed).
    pub migrations: BTreeMap<String, Result<MigrationStatus, String>>,
}

/// The verdict on one Django item.
pub fn evaluate<S: SettingsView>(item: &Item, facts: &DjangoFacts<S>) -> Finding {
    let rules = Rules { facts, id: &item.id };
    match &item.probe {
        Probe::DjangoSetting { setting, needs_middleware, applies_when } => {
            rules.setting(setting, item.expect.as_ref(), needs_middleware.as_deref(), *applies_when)
        }
        Probe::DjangoMiddleware { middleware, position } => rules.middleware(middleware, *position),
        Probe::DjangoList { setting, contains, accept, position } => {
            rules.list(setting, contains, accept, *position)
        }
        Probe::PythonPackage { package, builtin_since_django } => {
            rules.package(package, builtin_since_django.as_deref())
        }
        Probe::DjangoCsp { check: CspCheck::Middleware } => rules.csp_middleware(),
        Probe::DjangoCsp { check: CspCheck::Policy } => {
            let wanted = match &item.expect {
                Some(Expectation::Directives(wanted)) => wanted.clone(),
                _ => vec!["default-src".to_owned()],
            };
            rules.csp_policy(&wanted)
        }
        Probe::DjangoMigrations { app } => rules.migrations(app),
        Probe::DjangoProxySslHeader => rules.proxy_ssl_header(),
        other => Finding::unknown(&item.id, format!("{} is not a Django probe", other.kind())),
    }
}

/// A verdict before its evidence is attached.
enum Verdict {
    Pass(String),
    Fail(String),
    Unknown(String),
}

/// Whether a list setting holds an entry.
enum Membership {
    /// At this index of a list of this length.
    At(usize, usize),
    Absent,
    Unknown(String),
}

struct Rules<'a, S> {
    facts: &'a DjangoFacts<S>,
    id: &'a str,
}

impl<S: SettingsView> Rules<'_, S> {
    // --- settings and their evidence ---

    /// The effective setting: our own table of defaults when the settings
    /// never assign it (Django's, django-axes's), else the analysis.
    fn get(&self, name: &str) -> Setting {
        let view = &self.facts.analysis;
        if !view.is_assigned(name)
            && let Some((value, _)) = default_of(name)
        {
            return Setting {
                name: name.to_owned(),
                value: Value::Known(value),
                assigned: None,
                related: Vec::new(),
                notes: Vec::new(),
                secret: false,
            };
        }
        view.setting(name)
    }

    /// Where a setting's value comes from: its lines, or the default that applies.
    fn evidence(&self, setting: &Setting) -> Vec<Evidence> {
        let mut out = Vec::new();
        if let Some(at) = &setting.assigned {
            out.push(located(at));
        } else {
            let text = match (default_of(&setting.name), setting.known()) {
                (Some((value, owner)), _) if !setting.secret => {
                    format!("{} is not set: {owner}'s default {value} applies", setting.name)
                }
                (_, Some(value)) if !setting.secret => {
                    format!("{} is not set: the default {value} applies", setting.name)
                }
                _ => format!("{} is not set", setting.name),
            };
            out.push(Evidence::in_file(self.facts.analysis.module_file(), text));
        }
        out.extend(setting.related.iter().map(located));
        out.extend(setting.notes.iter().map(Evidence::note));
        out
    }

    fn finish(&self, verdict: Verdict, evidence: Vec<Evidence>) -> Finding {
        let finding = match verdict {
            Verdict::Pass(summary) => Finding::pass(self.id, summary),
            Verdict::Fail(summary) => Finding::fail(self.id, summary),
            Verdict::Unknown(reason) => Finding::unknown(self.id, reason),
        };
        finding.with_evidence(dedup(evidence))
    }

    // --- django-setting ---

    fn setting(
        &self,
        name: &str,
        expect: Option<&Expectation>,
        needs_middleware: Option<&str>,
        applies_when: Option<Applicability>,
    ) -> Finding {
        let setting = self.get(name);
        let mut evidence = self.evidence(&setting);
        let Some(expect) = expect else {
            return self.finish(
                Verdict::Unknown(format!("the item gives no expectation for {name}")),
                evidence,
            );
        };
        let mut verdict = match &setting.value {
            Value::Known(value) => judge(name, value, expect),
            Value::Unknown(reason) => {
                Verdict::Unknown(format!("{name} cannot be known statically: {reason}"))
            }
        };

        if let Some(middleware) = needs_middleware {
            let list = self.get("MIDDLEWARE");
            match membership(&list, &[middleware]) {
                Membership::At(..) => {}
                Membership::Absent => {
                    evidence.extend(self.evidence(&list));
                    let short = middleware.rsplit('.').next().unwrap_or(middleware);
                    verdict = Verdict::Fail(format!("inert: {short} is not in MIDDLEWARE"));
                }
                Membership::Unknown(reason) => {
                    if matches!(verdict, Verdict::Pass(_)) {
                        evidence.extend(self.evidence(&list));
                        verdict = Verdict::Unknown(reason);
                    }
                }
            }
        }

        // django-axes reads its settings only when its app is installed.
        if name.starts_with("AXES_") {
            let apps = self.get("INSTALLED_APPS");
            match app_membership(&apps, "axes") {
                Membership::At(..) => {}
                Membership::Absent => {
                    evidence.extend(self.evidence(&apps));
                    let was = match &verdict {
                        Verdict::Pass(s) | Verdict::Fail(s) | Verdict::Unknown(s) => s.clone(),
                    };
                    verdict =
                        Verdict::Fail(format!("inert: axes is not in INSTALLED_APPS ({was})"));
                }
                Membership::Unknown(reason) => {
                    if matches!(verdict, Verdict::Pass(_)) {
                        evidence.extend(self.evidence(&apps));
                        verdict = Verdict::Unknown(reason);
                    }
                }
            }
        }

        // An item that does not apply says so whatever the value; a value that
        // passes anyway needs no answer on whether it applies.
        if let Some(condition) = applies_when {
            match self.applies(condition) {
                Ok(Some(why_not)) => return Finding::not_applicable(self.id, why_not),
                Err(reason) if !matches!(verdict, Verdict::Pass(_)) => {
                    verdict = Verdict::Unknown(reason);
                }
                Ok(None) | Err(_) => {}
            }
        }

        if name == "SECURE_SSL_REDIRECT"
            && !matches!(verdict, Verdict::Pass(_))
            && let Some(at) =
                self.facts.apache.as_ref().and_then(|apache| apache.redirects_http.as_ref())
        {
            evidence.insert(0, located(at));
            verdict = Verdict::Pass(
                "Apache redirects every plain-HTTP request of the site to HTTPS".into(),
            );
        }
        if !matches!(verdict, Verdict::Pass(_))
            && let Some(hsts) = self.facts.apache.as_ref().and_then(|a| a.hsts.as_ref())
            && let Some(pass) = apache_hsts_covers(name, hsts)
        {
            evidence.insert(0, located(&hsts.at));
            if !hsts.always {
                evidence.push(Evidence::note(
                    "without `always`, Apache's own error pages (a 404 of a static file, a 502) go out without it; browsers learn HSTS from any page that has it",
                ));
            }
            verdict = Verdict::Pass(pass);
        }
        self.finish(verdict, evidence)
    }

    /// `Ok(None)` when the item applies, `Ok(Some(why))` when it does not.
    fn applies(&self, condition: Applicability) -> Result<Option<String>, String> {
        match condition {
            Applicability::SessionsUsed => {
                let apps = membership(&self.get("INSTALLED_APPS"), &[SESSIONS_APP]);
                let middleware = membership(&self.get("MIDDLEWARE"), &[SESSION_MIDDLEWARE]);
                match (apps, middleware) {
                    (Membership::At(..), _) | (_, Membership::At(..)) => Ok(None),
                    (Membership::Absent, Membership::Absent) => Ok(Some(
                        "neither django.contrib.sessions nor SessionMiddleware is used".to_owned(),
                    )),
                    (Membership::Unknown(reason), _) | (_, Membership::Unknown(reason)) => {
                        Err(reason)
                    }
                }
            }
            Applicability::CsrfCookieUsed => {
                match membership(&self.get("MIDDLEWARE"), &[CSRF_MIDDLEWARE]) {
                    Membership::Absent => {
                        return Ok(Some("CsrfViewMiddleware is not in MIDDLEWARE".into()));
                    }
                    Membership::Unknown(reason) => return Err(reason),
                    Membership::At(..) => {}
                }
                match self.get("CSRF_USE_SESSIONS").value {
                    Value::Known(value) if value.truthy() => Ok(Some(
                        "CSRF_USE_SESSIONS keeps the token in the session, not a cookie".into(),
                    )),
                    Value::Known(_) => Ok(None),
                    Value::Unknown(reason) => {
                        Err(format!("CSRF_USE_SESSIONS cannot be known statically: {reason}"))
                    }
                }
            }
        }
    }

    // --- django-middleware and django-list ---

    fn middleware(&self, middleware: &str, position: Position) -> Finding {
        let list = self.get("MIDDLEWARE");
        let evidence = self.evidence(&list);
        let short = middleware.rsplit('.').next().unwrap_or(middleware);
        let verdict = match membership(&list, &[middleware]) {
            Membership::Unknown(reason) => Verdict::Unknown(reason),
            Membership::Absent => Verdict::Fail(format!("{short} is not in MIDDLEWARE")),
            Membership::At(index, len) => match position {
                Position::Last if index + 1 != len => Verdict::Fail(format!(
                    "{short} is in MIDDLEWARE at position {} of {len}; it belongs last",
                    index + 1
                )),
                // Django only recommends its SecurityMiddleware near the top;
                // DESIGN.md's rule asks for it to be present.
                Position::First if index != 0 => Verdict::Pass(format!(
                    "{short} is in MIDDLEWARE (position {} of {len}; first is recommended)",
                    index + 1
                )),
                _ => Verdict::Pass(format!("{short} is in MIDDLEWARE")),
            },
        };
        self.finish(verdict, evidence)
    }

    fn list(&self, name: &str, contains: &str, accept: &[String], position: Position) -> Finding {
        let list = self.get(name);
        let evidence = self.evidence(&list);
        let mut wanted: Vec<&str> = vec![contains];
        wanted.extend(accept.iter().map(String::as_str));
        // An app may be listed by its AppConfig (`axes.apps.AppConfig`).
        let app_configs: Vec<String> = if name == "INSTALLED_APPS" {
            list_items(&list)
                .into_iter()
                .filter(|entry| entry.starts_with(&format!("{contains}.apps.")))
                .collect()
        } else {
            Vec::new()
        };
        wanted.extend(app_configs.iter().map(String::as_str));

        let verdict = match membership(&list, &wanted) {
            Membership::Unknown(reason) => Verdict::Unknown(reason),
            Membership::Absent => Verdict::Fail(format!("{contains} is not in {name}")),
            Membership::At(index, len) => match position {
                Position::First if index != 0 => {
                    let first = list_items(&list).into_iter().next().unwrap_or_default();
                    let why = if name == "AUTHENTICATION_BACKENDS" {
                        ": the first backend that accepts a password wins, so a locked-out \
                         attacker who guesses right gets in"
                    } else {
                        ""
                    };
                    Verdict::Fail(format!(
                        "{contains} is in {name} but {first} comes before it{why}"
                    ))
                }
                Position::Last if index + 1 != len => {
                    Verdict::Fail(format!("{contains} is in {name} but not last"))
                }
                // The axes backends only count failures: a real one must follow.
                _ if name == "AUTHENTICATION_BACKENDS"
                    && !list_items(&list)
                        .iter()
                        .skip(index + 1)
                        .any(|b| !AXES_BACKENDS.contains(&b.as_str())) =>
                {
                    Verdict::Fail(format!(
                        "no backend follows {contains} in {name}: the axes backend only counts failures \
                         and logs nobody in"
                    ))
                }
                _ => Verdict::Pass(format!("{contains} is in {name}")),
            },
        };
        self.finish(verdict, evidence)
    }

    // --- python-package ---

    fn package(&self, package: &str, builtin_since_django: Option<&str>) -> Finding {
        let versions = &self.facts.versions;
        let django = versions.django();
        if let (Some(since), Some(django)) = (builtin_since_django, django)
            && django.version.at_least(since)
        {
            return Finding::pass(
                self.id,
                format!("Django {} has it built in (since {since})", django.version),
            )
            .with(version_evidence(django));
        }

        let mut evidence = Vec::new();
        let installed = match versions.installed(package) {
            Some(Some(found)) => {
                evidence.push(version_evidence(found));
                Some(true)
            }
            Some(None) => Some(false),
            None => None,
        };
        let pinned = self.facts.requirements.pinned(package);
        let listed = self.facts.requirements.lists(package);
        for entry in pinned.iter().chain(listed.iter()) {
            evidence.push(Evidence::at(&entry.file, entry.line, &entry.text));
        }
        if pinned.is_none() && listed.is_none() {
            for file in &self.facts.requirements.files {
                evidence.push(Evidence::in_file(file, format!("no {package} line")));
            }
            if self.facts.requirements.files.is_empty() {
                let dir = self.facts.project.dir.display().to_string();
                evidence.push(Evidence::in_file(dir, "no requirements*.txt or requirements/*.txt"));
            }
        }
        match installed {
            Some(false) => {
                if let Some(env) = &versions.environment {
                    let text = format!("{package} is not installed in {}", env.description);
                    evidence.push(Evidence::note(text));
                }
            }
            None => evidence.push(Evidence::note(self.no_environment())),
            Some(true) => {}
        }

        let where_installed = match &versions.environment {
            Some(env) => env.description.clone(),
            None => String::new(),
        };
        let requirement_gap = match (pinned, listed) {
            (Some(_), _) => None,
            (None, Some(entry)) => {
                Some(format!("listed at {}:{} without an == pin", entry.file, entry.line))
            }
            (None, None) if self.facts.requirements.files.is_empty() => {
                Some("the project has no requirements file".to_owned())
            }
            (None, None) => Some(format!("not in {}", self.facts.requirements.files.join(", "))),
        };

        let verdict = match (installed, requirement_gap) {
            (Some(true), None) => {
                Verdict::Pass(format!("{package} is installed in {where_installed} and pinned"))
            }
            (Some(true), Some(gap)) => Verdict::Fail(format!(
                "{package} is installed in {where_installed} but not pinned: {gap}"
            )),
            (Some(false), None) => {
                Verdict::Fail(format!("{package} is pinned but not installed in {where_installed}"))
            }
            (Some(false), Some(gap)) => {
                Verdict::Fail(format!("{package} is not installed in {where_installed}, and {gap}"))
            }
            (None, Some(gap)) => Verdict::Fail(format!(
                "{package} is not pinned in the requirements ({gap}); whether it is installed \
                 cannot be told"
            )),
            (None, None) => Verdict::Unknown(format!(
                "{package} is pinned, but whether it is installed cannot be told: {}",
                self.no_environment()
            )),
        };
        let mut finding = self.finish(verdict, evidence);
        if builtin_since_django.is_some() && django.is_none() && finding.status == Status::Fail {
            finding = Finding::unknown(
                self.id,
                format!("{}; Django's version is unknown, so whether it has one built in cannot be told", finding.summary),
            )
            .with_evidence(finding.evidence);
        }
        finding
    }

    fn no_environment(&self) -> String {
        match &self.facts.versions.environment_problem {
            Some(problem) => format!("the interpreter could not be asked: {problem}"),
            None => format!(
                "no virtualenv (venv, .venv or env) under {} and no --python given",
                self.facts.project.dir.display()
            ),
        }
    }

    // --- django-csp ---

    /// The CSP middlewares in MIDDLEWARE: (django-csp's index, Django's index, length).
    fn csp_middlewares(list: &Setting) -> Result<(Option<usize>, Option<usize>), String> {
        let third_party = match membership(list, DJANGO_CSP_MIDDLEWARES) {
            Membership::Unknown(reason) => return Err(reason),
            Membership::At(index, _) => Some(index),
            Membership::Absent => None,
        };
        let builtin = match membership(list, &[BUILTIN_CSP_MIDDLEWARE]) {
            Membership::Unknown(reason) => return Err(reason),
            Membership::At(index, _) => Some(index),
            Membership::Absent => None,
        };
        Ok((third_party, builtin))
    }

    fn csp_middleware(&self) -> Finding {
        let list = self.get("MIDDLEWARE");
        let mut evidence = self.evidence(&list);
        let versions = &self.facts.versions;
        let verdict = match Self::csp_middlewares(&list) {
            Err(reason) => Verdict::Unknown(reason),
            Ok((Some(_), Some(_))) => Verdict::Fail(
                "two CSP middlewares at once (django-csp's and Django's): each adds its header only \
                 when absent, so one policy silently wins"
                    .into(),
            ),
            Ok((None, None)) => Verdict::Fail("no CSP middleware in MIDDLEWARE: no policy is sent".into()),
            Ok((None, Some(_))) => match versions.django() {
                Some(django) if django.version.at_least("6.0") => {
                    evidence.push(version_evidence(django));
                    Verdict::Pass("Django's ContentSecurityPolicyMiddleware is in MIDDLEWARE".into())
                }
                Some(django) => {
                    evidence.push(version_evidence(django));
                    Verdict::Fail(format!(
                        "MIDDLEWARE names django.middleware.csp, which Django {} does not have (6.0+)",
                        django.version
                    ))
                }
                None => Verdict::Unknown("Django's version is unknown: its CSP middleware needs 6.0".into()),
            },
            Ok((Some(_), None)) => {
                let apps = self.get("INSTALLED_APPS");
                let has_app = membership(&apps, &["csp", "csp.apps.CspConfig"]);
                match (versions.get("django-csp"), has_app) {
                    (_, Membership::Unknown(reason)) => Verdict::Unknown(reason),
                    (Some(csp), Membership::Absent) if csp.version.major() >= 4 => {
                        evidence.push(version_evidence(csp));
                        evidence.extend(self.evidence(&apps));
                        Verdict::Fail(format!(
                            "CSPMiddleware is in MIDDLEWARE but django-csp {} also wants \"csp\" in \
                             INSTALLED_APPS: without it its checks (csp.E001) never run",
                            csp.version
                        ))
                    }
                    (Some(csp), _) => {
                        evidence.push(version_evidence(csp));
                        Verdict::Pass(format!("django-csp {}'s CSPMiddleware is in MIDDLEWARE", csp.version))
                    }
                    (None, Membership::At(..)) => Verdict::Pass("django-csp's CSPMiddleware is in MIDDLEWARE".into()),
                    (None, Membership::Absent) => Verdict::Unknown(
                        "django-csp's version is unknown, and 4.x also wants \"csp\" in INSTALLED_APPS, \
                         which is missing"
                            .into(),
                    ),
                }
            }
        };
        self.finish(verdict, evidence)
    }

    fn csp_policy(&self, wanted: &[String]) -> Finding {
        let list = self.get("MIDDLEWARE");
        let mut evidence = self.evidence(&list);
        let (third_party, builtin) = match Self::csp_middlewares(&list) {
            Ok(found) => found,
            Err(reason) => return self.finish(Verdict::Unknown(reason), evidence),
        };
        // With both, the lower one handles the response first and its header wins.
        let use_builtin = match (third_party, builtin) {
            (None, None) => {
                return self.finish(
                    Verdict::Fail("no CSP middleware in MIDDLEWARE: no policy is sent".into()),
                    evidence,
                );
            }
            (Some(a), Some(b)) => b > a,
            (None, Some(_)) => true,
            (Some(_), None) => false,
        };
        evidence.clear();

        let verdict = if use_builtin {
            self.builtin_policy(wanted, &mut evidence)
        } else {
            match self.facts.versions.get("django-csp") {
                None => Verdict::Unknown(format!(
                    "django-csp's version is unknown (not installed where the site runs and not pinned), \
                     and its 3.x and 4.x settings differ: {}",
                    self.no_environment()
                )),
                Some(csp) if csp.version.major() >= 4 => {
                    evidence.push(version_evidence(csp));
                    self.django_csp_4_policy(wanted, &mut evidence)
                }
                Some(csp) => {
                    evidence.push(version_evidence(csp));
                    self.django_csp_3_policy(wanted, &mut evidence)
                }
            }
        };
        self.finish(verdict, evidence)
    }

    fn builtin_policy(&self, wanted: &[String], evidence: &mut Vec<Evidence>) -> Verdict {
        let policy = self.get("SECURE_CSP");
        evidence.extend(self.evidence(&policy));
        match &policy.value {
            Value::Unknown(reason) => {
                Verdict::Unknown(format!("SECURE_CSP cannot be known statically: {reason}"))
            }
            Value::Known(PyValue::Dict(entries)) if entries.is_empty() => {
                Verdict::Fail("SECURE_CSP is empty: Django sends no policy".into())
            }
            Value::Known(value @ PyValue::Dict(_)) => {
                directives_verdict("SECURE_CSP", value, wanted, Vec::new())
            }
            Value::Known(other) => {
                Verdict::Fail(format!("SECURE_CSP is a {}, not a dict", other.type_name()))
            }
        }
    }

    fn django_csp_4_policy(&self, wanted: &[String], evidence: &mut Vec<Evidence>) -> Verdict {
        let mut problems = Vec::new();
        let leftovers: Vec<&str> = DJANGO_CSP_3_SETTINGS
            .iter()
            .copied()
            .filter(|name| self.facts.analysis.is_assigned(name))
            .collect();
        for name in &leftovers {
            evidence.extend(self.evidence(&self.get(name)));
        }
        if !leftovers.is_empty() {
            problems.push(format!(
                "{} {} inert under django-csp 4.x",
                leftovers.join(", "),
                is_are(leftovers.len())
            ));
        }

        if !self.facts.analysis.is_assigned("CONTENT_SECURITY_POLICY") {
            let mut summary =
                "CONTENT_SECURITY_POLICY is not set: django-csp 4.x sends no policy".to_owned();
            if self.facts.analysis.is_assigned("CONTENT_SECURITY_POLICY_REPORT_ONLY") {
                summary.push_str(" (only CONTENT_SECURITY_POLICY_REPORT_ONLY, which reports and enforces nothing)");
            }
            problems.insert(0, summary);
            evidence.insert(
                0,
                Evidence::in_file(
                    self.facts.analysis.module_file(),
                    "CONTENT_SECURITY_POLICY is not set",
                ),
            );
            return Verdict::Fail(problems.join("; "));
        }
        let policy = self.get("CONTENT_SECURITY_POLICY");
        let mut shown = self.evidence(&policy);
        shown.append(evidence);
        *evidence = shown;
        let value = match &policy.value {
            Value::Unknown(reason) => {
                return Verdict::Unknown(format!(
                    "CONTENT_SECURITY_POLICY cannot be known statically: {reason}"
                ));
            }
            Value::Known(value) => value,
        };
        if !matches!(value, PyValue::Dict(_)) {
            problems.insert(
                0,
                format!("CONTENT_SECURITY_POLICY is a {}, not a dict", value.type_name()),
            );
            return Verdict::Fail(problems.join("; "));
        }
        if !value.truthy() {
            problems
                .insert(0, "CONTENT_SECURITY_POLICY is empty: django-csp sends no policy".into());
            return Verdict::Fail(problems.join("; "));
        }
        // A missing or empty DIRECTIVES falls back to django-csp's default, default-src 'self'.
        let directives = match value.get("DIRECTIVES") {
            Some(directives @ PyValue::Dict(entries)) if !entries.is_empty() => directives.clone(),
            _ => PyValue::Dict(vec![(
                PyValue::Str("default-src".into()),
                PyValue::List(vec![PyValue::Str("'self'".into())]),
            )]),
        };
        directives_verdict("CONTENT_SECURITY_POLICY[\"DIRECTIVES\"]", &directives, wanted, problems)
    }

    fn django_csp_3_policy(&self, wanted: &[String], evidence: &mut Vec<Evidence>) -> Verdict {
        let mut problems = Vec::new();
        if self.facts.analysis.is_assigned("CONTENT_SECURITY_POLICY") {
            evidence.extend(self.evidence(&self.get("CONTENT_SECURITY_POLICY")));
            problems.push(
                "CONTENT_SECURITY_POLICY is the 4.x format, inert under django-csp 3.x".to_owned(),
            );
        }
        let report_only = self.get("CSP_REPORT_ONLY");
        match &report_only.value {
            Value::Known(value) if value.truthy() => {
                evidence.extend(self.evidence(&report_only));
                problems
                    .push("CSP_REPORT_ONLY is on: the policy reports and enforces nothing".into());
            }
            Value::Known(_) => {}
            Value::Unknown(reason) => {
                return Verdict::Unknown(format!(
                    "CSP_REPORT_ONLY cannot be known statically: {reason}"
                ));
            }
        }
        let mut entries = Vec::new();
        for directive in wanted {
            let name = format!("CSP_{}", directive.to_ascii_uppercase().replace('-', "_"));
            let setting = self.get(&name);
            evidence.extend(self.evidence(&setting));
            match setting.value {
                Value::Known(value) => entries.push((PyValue::Str(directive.clone()), value)),
                Value::Unknown(reason) => {
                    return Verdict::Unknown(format!(
                        "{name} cannot be known statically: {reason}"
                    ));
                }
            }
        }
        directives_verdict("the CSP_* settings", &PyValue::Dict(entries), wanted, problems)
    }

    // --- django-migrations ---

    fn migrations(&self, app: &str) -> Finding {
        let verdict = match self.facts.migrations.get(app) {
            None => {
                return Finding::unknown(
                    self.id,
                    format!(
                        "needs the project's Python: run with --evaluate to ask `manage.py showmigrations {app}`"
                    ),
                );
            }
            Some(Err(problem)) => {
                Verdict::Unknown(format!("showmigrations {app} failed: {problem}"))
            }
            Some(Ok(status)) if !status.pending.is_empty() => Verdict::Fail(format!(
                "{} of {app}'s migrations {} not applied: {}",
                status.pending.len(),
                is_are(status.pending.len()),
                status.pending.join(", ")
            )),
            Some(Ok(status)) if status.applied.is_empty() => {
                Verdict::Fail(format!("{app} has no migrations listed: is it in INSTALLED_APPS?"))
            }
            Some(Ok(status)) => Verdict::Pass(format!(
                "all {} of {app}'s migrations are applied",
                status.applied.len()
            )),
        };
        let evidence = match self.facts.migrations.get(app) {
            Some(Ok(status)) => {
                let mut text = String::new();
                for name in &status.applied {
                    let _ = writeln!(text, "[X] {name}");
                }
                for name in &status.pending {
                    let _ = writeln!(text, "[ ] {name}");
                }
                vec![Evidence::command(&status.command, text.trim_end())]
            }
            _ => Vec::new(),
        };
        self.finish(verdict, evidence)
    }

    // --- django-proxy-ssl-header ---

    fn proxy_ssl_header(&self) -> Finding {
        let Some(apache) = &self.facts.apache else {
            return Finding::unknown(
                self.id,
                "no Apache configuration was read, so whether a TLS-terminating proxy sits in front cannot be told",
            );
        };
        let (backend, at, sets_proto) = match &apache.served_by {
            ServedBy::ModWsgi { at } => {
                let finding = Finding::not_applicable(
                    self.id,
                    "served by mod_wsgi: Django sees HTTPS directly",
                );
                return match at {
                    Some(at) => finding.with(located(at)),
                    None => finding,
                };
            }
            ServedBy::Unknown { why } => {
                return Finding::unknown(
                    self.id,
                    format!("how Apache serves the site is unknown: {why}"),
                );
            }
            ServedBy::Proxy { backend, at, sets_forwarded_proto } => {
                (backend, at, sets_forwarded_proto)
            }
        };

        let header = self.get("SECURE_PROXY_SSL_HEADER");
        let mut evidence = self.evidence(&header);
        if let Some(at) = at {
            evidence.insert(0, located(at));
        }
        let verdict = match &header.value {
            Value::Unknown(reason) => {
                Verdict::Unknown(format!("SECURE_PROXY_SSL_HEADER cannot be known statically: {reason}"))
            }
            Value::Known(PyValue::None) => {
                let mut summary = format!(
                    "Apache proxies to {backend} but SECURE_PROXY_SSL_HEADER is not set: Django sees every \
                     request as plain HTTP"
                );
                if self.get("SECURE_SSL_REDIRECT").known().is_some_and(PyValue::is_true) {
                    summary.push_str(", and SECURE_SSL_REDIRECT makes every page redirect to itself");
                }
                Verdict::Fail(summary)
            }
            Value::Known(value) => match value.items() {
                Some([PyValue::Str(name), PyValue::Str(_)]) if name == "HTTP_X_FORWARDED_PROTO" => match sets_proto {
                    Some(set) => {
                        evidence.push(Evidence::at(&set.file, set.line, &set.text));
                        Verdict::Pass("SECURE_PROXY_SSL_HEADER is set and Apache sets X-Forwarded-Proto".into())
                    }
                    None => Verdict::Fail(
                        "SECURE_PROXY_SSL_HEADER trusts X-Forwarded-Proto but Apache does not set it: a client \
                         can send it and pose as HTTPS"
                            .into(),
                    ),
                },
                Some([PyValue::Str(name), PyValue::Str(_)]) => Verdict::Unknown(format!(
                    "SECURE_PROXY_SSL_HEADER names {name}; whether the proxy sets that header cannot be told"
                )),
                _ => Verdict::Fail(format!("SECURE_PROXY_SSL_HEADER is {value}, not a (header, value) pair")),
            },
        };
        self.finish(verdict, evidence)
    }
}

/// Whether list setting `list` holds one of `wanted`.
fn membership(list: &Setting, wanted: &[&str]) -> Membership {
    let value = match &list.value {
        Value::Known(value) => value,
        Value::Unknown(reason) => {
            return Membership::Unknown(format!(
                "{} cannot be known statically: {reason}",
                list.name
            ));
        }
    };
    let Some(items) = value.items() else {
        return Membership::Unknown(format!(
            "{} is a {}, not a list: {value}",
            list.name,
            value.type_name()
        ));
    };
    match items.iter().position(|item| item.as_str().is_some_and(|s| wanted.contains(&s))) {
        Some(index) => Membership::At(index, items.len()),
        None => Membership::Absent,
    }
}

/// Whether `INSTALLED_APPS` holds `app`, by its label or an `app.apps.*` config.
fn app_membership(apps: &Setting, app: &str) -> Membership {
    let configs: Vec<String> = list_items(apps)
        .into_iter()
        .filter(|entry| entry.starts_with(&format!("{app}.apps.")))
        .collect();
    let mut wanted = vec![app];
    wanted.extend(configs.iter().map(String::as_str));
    membership(apps, &wanted)
}

/// The string entries of a list setting.
fn list_items(list: &Setting) -> Vec<String> {
    list.known()
        .and_then(PyValue::items)
        .map(|items| items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// A value against an item's expectation.
fn judge(name: &str, value: &PyValue, expect: &Expectation) -> Verdict {
    match expect {
        Expectation::Is(want) => match value {
            PyValue::Bool(b) if b == want => Verdict::Pass(format!("{name} is {value}")),
            PyValue::Bool(_) => Verdict::Fail(format!("{name} is {value}")),
            other => Verdict::Fail(format!(
                "{name} is {other}, a {}: Django compares with `is {}`",
                other.type_name(),
                if *want { "True" } else { "False" }
            )),
        },
        Expectation::Falsy(true) if value.truthy() => Verdict::Fail(format!("{name} is {value}")),
        Expectation::Falsy(true) => Verdict::Pass(format!("{name} is {value}")),
        Expectation::Falsy(false) if value.truthy() => Verdict::Pass(format!("{name} is {value}")),
        Expectation::Falsy(false) => Verdict::Fail(format!("{name} is {value}")),
        Expectation::AtLeast(min) => match value {
            PyValue::Int(n) if n >= min => Verdict::Pass(format!("{name} is {n}")),
            PyValue::Int(n) => Verdict::Fail(format!("{name} is {n}, below {min}")),
            other => {
                Verdict::Fail(format!("{name} is {other}, a {}, not an integer", other.type_name()))
            }
        },
        Expectation::AtMost(max) => match value {
            PyValue::Int(n) if n <= max => Verdict::Pass(format!("{name} is {n}")),
            PyValue::Int(n) => Verdict::Fail(format!("{name} is {n}, above {max}")),
            PyValue::Str(path) => {
                Verdict::Unknown(format!("{name} names {path}, decided per request"))
            }
            PyValue::Opaque { source, .. } => {
                Verdict::Unknown(format!("{name} is {source}, decided per request"))
            }
            other => {
                Verdict::Fail(format!("{name} is {other}, a {}, not an integer", other.type_name()))
            }
        },
        Expectation::OneOf(allowed) => match value {
            // XFrameOptionsMiddleware sends the value upper-cased.
            PyValue::Str(s) if allowed.iter().any(|a| a.eq_ignore_ascii_case(s)) => {
                Verdict::Pass(format!("{name} is {value}"))
            }
            other => Verdict::Fail(format!("{name} is {other}, not one of {}", allowed.join(", "))),
        },
        Expectation::NonEmptyWithout(banned) => match value.items() {
            None => {
                Verdict::Fail(format!("{name} is a {}, not a list: {value}", value.type_name()))
            }
            Some([]) => Verdict::Fail(format!("{name} is empty")),
            Some(items) => match items
                .iter()
                .filter_map(PyValue::as_str)
                .find(|s| banned.iter().any(|b| b == s))
            {
                Some(bad) => {
                    Verdict::Fail(format!("{name} holds {bad:?}, which allows any host: {value}"))
                }
                None => Verdict::Pass(format!("{name} is {value}")),
            },
        },
        Expectation::DurationAtLeastHours(min) => cooloff_verdict(name, value, *min),
        Expectation::Directives(_) => {
            Verdict::Unknown(format!("{name}: directives apply to CSP probes only"))
        }
    }
}

/// django-axes's `AXES_COOLOFF_TIME`: int or float hours, a timedelta, None
/// (a lockout that never ends), or a callable decided per request.
fn cooloff_verdict(name: &str, value: &PyValue, min_hours: f64) -> Verdict {
    #[allow(clippy::cast_precision_loss)] // hours of a lockout are far below 2^52
    let hours = match value {
        PyValue::Int(n) => *n as f64,
        PyValue::Float(h) => *h,
        PyValue::Timedelta(seconds) => seconds / 3600.0,
        PyValue::None => {
            return Verdict::Fail(format!(
                "{name} is None: a lockout never ends until an administrator resets it, which attackers can \
                 use to lock users out"
            ));
        }
        PyValue::Str(path) => {
            return Verdict::Unknown(format!(
                "{name} names the callable {path}, decided per request"
            ));
        }
        PyValue::Opaque { source, .. } => {
            return Verdict::Unknown(format!("{name} is {source}, a callable decided per request"));
        }
        other => {
            return Verdict::Fail(format!(
                "{name} is {other}, a {}, not a duration",
                other.type_name()
            ));
        }
    };
    if hours >= min_hours {
        Verdict::Pass(format!("{name} is {value}: a lockout lasts {}", show_hours(hours)))
    } else {
        Verdict::Fail(format!("{name} is {value}: a lockout lasts only {}", show_hours(hours)))
    }
}

fn show_hours(hours: f64) -> String {
    if hours < 1.0 {
        format!("{} minutes", (hours * 60.0).round())
    } else if (hours - 1.0).abs() < f64::EPSILON {
        "1 hour".to_owned()
    } else {
        format!("{hours} hours")
    }
}

/// A policy dict (directive → sources) holds every wanted directive; a
/// directive set to None or False is dropped, as both implementations do.
fn directives_verdict(
    what: &str,
    policy: &PyValue,
    wanted: &[String],
    mut problems: Vec<String>,
) -> Verdict {
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|directive| {
            policy.get(directive).is_none_or(|v| matches!(v, PyValue::None | PyValue::Bool(false)))
        })
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        problems.insert(0, format!("{what} lacks {}", missing.join(", ")));
    }
    if problems.is_empty() {
        Verdict::Pass(format!("{what} sets {}", wanted.join(", ")))
    } else {
        Verdict::Fail(problems.join("; "))
    }
}

fn is_are(count: usize) -> &'static str {
    if count == 1 { "is" } else { "are" }
}

fn version_evidence(found: &PackageVersion) -> Evidence {
    use crate::django::versions::VersionSource;
    let text = format!("version {} ({})", found.version, found.source);
    match &found.source {
        VersionSource::Pinned { file, line } => Evidence::at(file, *line, text),
        VersionSource::Installed(folder) => Evidence::in_file(folder, text),
        VersionSource::Interpreter(python) => {
            Evidence::command(format!("{} -m importlib.metadata", python.display()), text)
        }
    }
}

/// A line of a file as evidence; a secret's value is redacted once more, in
/// case the line came from somewhere that did not.
fn located(at: &Location) -> Evidence {
    Evidence::at(&at.file, at.line, crate::redact::redact_line(&at.text))
}

fn dedup(evidence: Vec<Evidence>) -> Vec<Evidence> {
    let mut out: Vec<Evidence> = Vec::with_capacity(evidence.len());
    for item in evidence {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// The value a setting has when the settings never assign it, and whose
/// default it is. Django's from `global_settings.py` (domain-facts §1),
/// django-axes's from `axes/conf.py` (§4), django-csp 3.x's for default-src.
pub fn default_of(name: &str) -> Option<(PyValue, &'static str)> {
    if let Some(value) = crate::django::defaults::default_of(name) {
        let owner = if name.starts_with("AXES_") { "django-axes" } else { "Django" };
        return Some((value, owner));
    }
    // django-csp 3.x's own defaults, for the settings of that format.
    let value = match name {
        "CSP_DEFAULT_SRC" => PyValue::List(vec![PyValue::Str("'self'".to_owned())]),
        "CSP_REPORT_ONLY" => PyValue::Bool(false),
        _ if name.starts_with("CSP_") && name.ends_with("_SRC") => PyValue::None,
        _ => return None,
    };
    Some((value, "django-csp 3.x"))
}

/// Runs `manage.py showmigrations APP` with `python` in the project's
/// directory and reads which migrations are applied. The caller decides
/// whether the project's code may run (`--evaluate`) and as whom.
pub fn showmigrations(
    python: &Path,
    target: &Target,
    project: &Project,
    app: &str,
) -> Result<MigrationStatus, String> {
    let dir = target.host_path(&project.dir);
    let command = format!("{} manage.py showmigrations {app}", python.display());
    let output = crate::django::versions::run_with_timeout(
        Command::new(python)
            .args(["manage.py", "showmigrations", app])
            .current_dir(&dir)
            .env("DJANGO_SETTINGS_MODULE", &project.module),
        Duration::from_secs(60),
    )?;
    let mut status = parse_showmigrations(&output, app);
    status.command = command;
    Ok(status)
}

/// Reads `showmigrations` output: ` [X] 0001_initial` applied, ` [ ] ...` pending.
pub fn parse_showmigrations(output: &str, app: &str) -> MigrationStatus {
    let mut status =
        MigrationStatus { command: String::new(), applied: Vec::new(), pending: Vec::new() };
    let mut in_app = false;
    for line in output.lines() {
        if !line.starts_with(' ') {
            in_app = line.trim() == app;
            continue;
        }
        if !in_app {
            continue;
        }
        let entry = line.trim();
        if let Some(name) = entry.strip_prefix("[X]") {
            status.applied.push(name.trim().to_owned());
        } else if let Some(name) = entry.strip_prefix("[ ]") {
            status.pending.push(name.trim().to_owned());
        } else if let Some(name) = entry.strip_prefix("[-]") {
            // Squashed: partly applied.
            status.pending.push(name.trim().to_owned());
        }
    }
    status
}

#[cfg(test)]
mod tests;

/// When Apache's own HSTS header does what the setting `name` would:
/// the pass to report (case B4: Django's setting left off on purpose).
fn apache_hsts_covers(name: &str, hsts: &ApacheHsts) -> Option<String> {
    let parsed = crate::live::headers::Hsts::parse(&hsts.value);
    if !parsed.problems.is_empty() {
        return None;
    }
    let sent =
        format!("Apache sends Strict-Transport-Security: {} on every TLS virtual host", hsts.value);
    let covered = match name {
        "SECURE_HSTS_SECONDS" => {
            parsed.max_age.is_some_and(|age| age >= crate::live::headers::HSTS_ONE_YEAR)
        }
        "SECURE_HSTS_INCLUDE_SUBDOMAINS" => parsed.include_subdomains,
        "SECURE_HSTS_PRELOAD" => parsed.preload,
        _ => false,
    };
    covered.then_some(sent)
}
