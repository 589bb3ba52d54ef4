//! The rules on hand-built facts: one settings file's worth of values each.

use std::path::PathBuf;

use super::*;
use crate::checklist::Checklist;
use crate::django::requirements::Requirement;
use crate::django::versions::{Environment, Version, VersionSource};

const MODULE_FILE: &str = "/srv/app/config/settings.py";

/// Settings given as (name, value, line); anything else is never assigned.
struct Fake {
    settings: BTreeMap<String, Setting>,
}

impl SettingsView for Fake {
    fn setting(&self, name: &str) -> Setting {
        self.settings.get(name).cloned().unwrap_or_else(|| Setting {
            name: name.to_owned(),
            value: Value::Unknown(format!("{name} has no default in this test")),
            assigned: None,
            related: Vec::new(),
            notes: Vec::new(),
            secret: false,
        })
    }

    fn is_assigned(&self, name: &str) -> bool {
        self.settings.contains_key(name)
    }

    fn module_file(&self) -> &str {
        MODULE_FILE
    }
}

fn s(text: &str) -> PyValue {
    PyValue::Str(text.to_owned())
}

fn list(items: &[&str]) -> PyValue {
    PyValue::List(items.iter().map(|i| s(i)).collect())
}

fn checklist() -> Checklist {
    let sources: Vec<(String, String)> = crate::checklist::EMBEDDED
        .iter()
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    crate::checklist::parse_all(&sources).expect("the embedded checklist parses")
}

struct Case {
    facts: DjangoFacts<Fake>,
    next_line: u32,
}

impl Case {
    /// A project with `SecurityMiddleware` and the usual startproject middleware.
    fn new() -> Case {
        let project = Project {
            dir: PathBuf::from("/srv/app"),
            module: "config.settings".into(),
            module_source: "/srv/app/manage.py:9".into(),
            found_by: "--project".into(),
            venv: None,
            site_packages: None,
        };
        let facts = DjangoFacts {
            project,
            analysis: Fake { settings: BTreeMap::new() },
            versions: Versions::default(),
            requirements: Requirements::default(),
            apache: None,
            migrations: BTreeMap::new(),
        };
        let mut case = Case { facts, next_line: 10 };
        case.set(
            "MIDDLEWARE",
            list(&[
                SECURITY_MIDDLEWARE,
                SESSION_MIDDLEWARE,
                CSRF_MIDDLEWARE,
                "django.middleware.clickjacking.XFrameOptionsMiddleware",
            ]),
        );
        case.set("INSTALLED_APPS", list(&["django.contrib.auth", SESSIONS_APP]));
        case
    }

    fn set(&mut self, name: &str, value: PyValue) -> &mut Self {
        let text = format!("{name} = {value}");
        self.set_value(name, Value::Known(value), &text)
    }

    fn set_value(&mut self, name: &str, value: Value, text: &str) -> &mut Self {
        let line = self.next_line;
        self.next_line += 1;
        let setting = Setting {
            name: name.to_owned(),
            value,
            assigned: Some(Location { file: MODULE_FILE.into(), line, text: text.to_owned() }),
            related: Vec::new(),
            notes: Vec::new(),
            secret: false,
        };
        self.facts.analysis.settings.insert(name.to_owned(), setting);
        self
    }

    fn unset(&mut self, name: &str) -> &mut Self {
        self.facts.analysis.settings.remove(name);
        self
    }

    fn installed(&mut self, packages: &[(&str, &str)]) -> &mut Self {
        let packages = packages
            .iter()
            .map(|(name, version)| {
                let source = VersionSource::Installed(format!(
                    "/srv/app/venv/lib/python3.11/site-packages/{name}-{version}.dist-info"
                ));
                (
                    (*name).to_owned(),
                    PackageVersion { version: Version::parse(version).expect("version"), source },
                )
            })
            .collect();
        self.facts.versions.environment =
            Some(Environment { description: "/srv/app/venv".into(), packages });
        self
    }

    fn pinned(&mut self, name: &str, version: &str) -> &mut Self {
        let line = u32::try_from(self.facts.requirements.entries.len() + 1).expect("few");
        self.facts.requirements.files = vec!["/srv/app/requirements.txt".into()];
        self.facts.requirements.entries.push(Requirement {
            name: name.to_owned(),
            specifier: format!("=={version}"),
            pin: Some(version.to_owned()),
            extras: Vec::new(),
            marker: None,
            constraint: false,
            file: "/srv/app/requirements.txt".into(),
            line,
            text: format!("{name}=={version}"),
        });
        let source = VersionSource::Pinned { file: "/srv/app/requirements.txt".into(), line };
        self.facts.versions.pinned.insert(
            name.to_owned(),
            PackageVersion { version: Version::parse(version).expect("version"), source },
        );
        self
    }

    fn check(&self, id: &str) -> Finding {
        let checklist = checklist();
        let item = checklist.item(id).unwrap_or_else(|| panic!("{id} is in the checklist"));
        evaluate(item, &self.facts)
    }

    fn status(&self, id: &str) -> Status {
        self.check(id).status
    }
}

#[test]
fn an_unset_setting_shows_the_default_that_applies() {
    let finding = Case::new().check("django.hsts-seconds");
    assert_eq!(finding.status, Status::Fail);
    assert_eq!(finding.summary, "SECURE_HSTS_SECONDS is 0, below 31536000");
    assert_eq!(
        finding.evidence[0],
        Evidence::in_file(
            MODULE_FILE,
            "SECURE_HSTS_SECONDS is not set: Django's default 0 applies"
        )
    );
}

#[test]
fn booleans_are_compared_with_is_true() {
    let mut case = Case::new();
    case.set("SECURE_SSL_REDIRECT", PyValue::Int(1));
    let finding = case.check("django.ssl-redirect");
    assert_eq!(finding.status, Status::Fail);
    assert!(finding.summary.contains("Django compares with `is True`"), "{}", finding.summary);
    assert_eq!(finding.evidence[0], Evidence::at(MODULE_FILE, 12, "SECURE_SSL_REDIRECT = 1"));

    case.set("SESSION_COOKIE_SECURE", s("True"));
    assert_eq!(case.status("django.session-cookie-secure"), Status::Fail);
    case.set("SESSION_COOKIE_SECURE", PyValue::Bool(true));
    assert_eq!(case.status("django.session-cookie-secure"), Status::Pass);
}

#[test]
fn without_security_middleware_the_secure_settings_are_inert() {
    let mut case = Case::new();
    case.set("MIDDLEWARE", list(&[SESSION_MIDDLEWARE]));
    case.set("SECURE_SSL_REDIRECT", PyValue::Bool(true))
        .set("SECURE_HSTS_SECONDS", PyValue::Int(31_536_000));
    for id in ["django.ssl-redirect", "django.hsts-seconds", "django.nosniff"] {
        let finding = case.check(id);
        assert_eq!(finding.status, Status::Fail, "{id}");
        assert_eq!(finding.summary, "inert: SecurityMiddleware is not in MIDDLEWARE");
    }
    assert_eq!(case.status("django.security-middleware"), Status::Fail);
    assert_eq!(case.status("django.x-frame-options"), Status::Fail);
}

#[test]
fn an_unknown_value_names_its_reason() {
    let mut case = Case::new();
    case.set_value(
        "DEBUG",
        Value::Unknown("read from DJANGO_DEBUG, which no loaded .env sets".into()),
        "DEBUG = os.environ.get(\"DJANGO_DEBUG\") == \"1\"",
    );
    let finding = case.check("django.debug-off");
    assert_eq!(finding.status, Status::Unknown);
    assert!(finding.reason.as_deref().is_some_and(|r| r.contains("DJANGO_DEBUG")), "{finding:?}");

    // A failing value is a failure even when MIDDLEWARE is unknown.
    case.set_value(
        "MIDDLEWARE",
        Value::Unknown("under if DEBUG at settings.py:3".into()),
        "MIDDLEWARE = x",
    );
    assert_eq!(case.status("django.hsts-preload"), Status::Fail);
    case.set("SECURE_HSTS_PRELOAD", PyValue::Bool(true));
    assert_eq!(case.status("django.hsts-preload"), Status::Unknown);
}

#[test]
fn cookie_items_apply_only_where_the_cookie_is_used() {
    let mut case = Case::new();
    case.set("INSTALLED_APPS", list(&["django.contrib.auth"]))
        .set("MIDDLEWARE", list(&[SECURITY_MIDDLEWARE]));
    let finding = case.check("django.session-cookie-secure");
    assert_eq!((finding.status, finding.applies), (Status::Pass, false));
    let finding = case.check("django.csrf-cookie-secure");
    assert_eq!((finding.status, finding.applies), (Status::Pass, false));

    case.set("SESSION_COOKIE_SECURE", PyValue::Bool(true));
    assert!(!case.check("django.session-cookie-secure").applies, "does not apply even when set");

    let mut case = Case::new();
    case.set("CSRF_USE_SESSIONS", PyValue::Bool(true));
    assert!(!case.check("django.csrf-cookie-secure").applies);
    case.set("CSRF_USE_SESSIONS", PyValue::Bool(false));
    assert_eq!(case.status("django.csrf-cookie-secure"), Status::Fail);
}

#[test]
fn x_frame_options_needs_its_middleware_and_a_strict_value() {
    let mut case = Case::new();
    assert_eq!(case.status("django.x-frame-options"), Status::Pass, "the default DENY");
    case.set("X_FRAME_OPTIONS", s("ALLOW-FROM https://example.com"));
    assert_eq!(case.status("django.x-frame-options"), Status::Fail);
    case.set("X_FRAME_OPTIONS", s("sameorigin"));
    assert_eq!(case.status("django.x-frame-options"), Status::Pass);
    case.set("MIDDLEWARE", list(&[SECURITY_MIDDLEWARE]));
    assert_eq!(
        case.check("django.x-frame-options").summary,
        "inert: XFrameOptionsMiddleware is not in MIDDLEWARE"
    );
}

#[test]
fn allowed_hosts_must_name_hosts_without_a_bare_star() {
    let mut case = Case::new();
    assert_eq!(case.check("django.allowed-hosts").summary, "ALLOWED_HOSTS is empty");
    case.set("ALLOWED_HOSTS", list(&["example.com", "*"]));
    assert_eq!(case.status("django.allowed-hosts"), Status::Fail);
    case.set("ALLOWED_HOSTS", list(&[".example.com"]));
    assert_eq!(case.status("django.allowed-hosts"), Status::Pass);
    case.set("ALLOWED_HOSTS", s("example.com"));
    assert_eq!(case.status("django.allowed-hosts"), Status::Fail);
}

/// Case C6: the cool-off as int hours, float, timedelta, None and a callable.
#[test]
fn axes_cooloff_types() {
    let mut case = Case::new();
    assert!(
        case.check("django.axes-failure-limit")
            .summary
            .starts_with("inert: axes is not in INSTALLED_APPS")
    );
    case.set("INSTALLED_APPS", list(&["django.contrib.auth", "axes"]));
    assert!(case.check("django.axes-cooloff").summary.contains("never ends"), "the default None");
    case.set("AXES_COOLOFF_TIME", PyValue::Int(1));
    assert_eq!(case.status("django.axes-cooloff"), Status::Pass);
    case.set("AXES_COOLOFF_TIME", PyValue::Float(0.5));
    assert_eq!(
        case.check("django.axes-cooloff").summary,
        "AXES_COOLOFF_TIME is 0.5: a lockout lasts only 30 minutes"
    );
    case.set("AXES_COOLOFF_TIME", PyValue::Timedelta(7200.0));
    assert_eq!(case.status("django.axes-cooloff"), Status::Pass);
    case.set(
        "AXES_COOLOFF_TIME",
        PyValue::Opaque {
            type_name: "function".into(),
            source: "lambda: timedelta(minutes=30)".into(),
        },
    );
    assert_eq!(case.status("django.axes-cooloff"), Status::Unknown);
    case.set("AXES_FAILURE_LIMIT", PyValue::Int(10));
    assert_eq!(
        case.check("django.axes-failure-limit").summary,
        "AXES_FAILURE_LIMIT is 10, above 5"
    );
    case.unset("AXES_FAILURE_LIMIT");
    assert_eq!(case.status("django.axes-failure-limit"), Status::Pass, "axes's default 3");
}

/// Case C5: `ModelBackend` before the axes backend, and the axes backend alone.
#[test]
fn axes_backend_first_and_followed_by_a_real_one() {
    let mut case = Case::new();
    let axes = "axes.backends.AxesStandaloneBackend";
    let model = "django.contrib.auth.backends.ModelBackend";
    case.set("AUTHENTICATION_BACKENDS", PyValue::Tuple(vec![s(model), s(axes)]));
    let finding = case.check("django.axes-backend");
    assert_eq!(finding.status, Status::Fail);
    assert!(finding.summary.contains("comes before it"), "{}", finding.summary);
    case.set("AUTHENTICATION_BACKENDS", list(&[axes]));
    assert!(case.check("django.axes-backend").summary.contains("no backend follows"));
    case.set("AUTHENTICATION_BACKENDS", list(&["axes.backends.AxesBackend", model]));
    assert_eq!(case.status("django.axes-backend"), Status::Pass);
    case.unset("AUTHENTICATION_BACKENDS");
    assert_eq!(case.status("django.axes-backend"), Status::Fail);
}

#[test]
fn axes_app_and_middleware_position() {
    let mut case = Case::new();
    assert_eq!(case.status("django.axes-app"), Status::Fail);
    case.set("INSTALLED_APPS", list(&["axes.apps.AppConfig"]));
    assert_eq!(case.status("django.axes-app"), Status::Pass);
    case.set(
        "MIDDLEWARE",
        list(&[SECURITY_MIDDLEWARE, "axes.middleware.AxesMiddleware", CSRF_MIDDLEWARE]),
    );
    let finding = case.check("django.axes-middleware");
    assert_eq!(finding.status, Status::Fail);
    assert_eq!(
        finding.summary,
        "AxesMiddleware is in MIDDLEWARE at position 2 of 3; it belongs last"
    );
    case.set(
        "MIDDLEWARE",
        list(&[CSRF_MIDDLEWARE, SECURITY_MIDDLEWARE, "axes.middleware.AxesMiddleware"]),
    );
    assert_eq!(case.status("django.axes-middleware"), Status::Pass);
    assert_eq!(case.status("django.security-middleware"), Status::Pass, "present, not first");
}

#[test]
fn a_package_must_be_installed_and_pinned() {
    let mut case = Case::new();
    let finding = case.check("django.axes-installed");
    assert_eq!(finding.status, Status::Fail);
    assert_eq!(
        finding.summary,
        "django-axes is not pinned in the requirements (the project has no requirements file); \
         whether it is installed cannot be told"
    );
    assert_eq!(
        finding.evidence[0],
        Evidence::in_file("/srv/app", "no requirements*.txt or requirements/*.txt")
    );

    case.pinned("django-axes", "8.3.1");
    let finding = case.check("django.axes-installed");
    assert_eq!(finding.status, Status::Unknown);
    assert!(finding.summary.contains("no virtualenv"), "{}", finding.summary);

    case.installed(&[("django", "5.2.19")]);
    assert_eq!(
        case.check("django.axes-installed").summary,
        "django-axes is pinned but not installed in /srv/app/venv"
    );
    case.installed(&[("django", "5.2.19"), ("django-axes", "8.3.1")]);
    let finding = case.check("django.axes-installed");
    assert_eq!(finding.status, Status::Pass);
    assert_eq!(finding.evidence.len(), 2, "{:?}", finding.evidence);
}

#[test]
fn django_6_has_csp_built_in() {
    let mut case = Case::new();
    case.installed(&[("django", "6.0.10")]);
    assert_eq!(case.status("django.csp-installed"), Status::Pass);
    case.set("MIDDLEWARE", list(&[SECURITY_MIDDLEWARE, BUILTIN_CSP_MIDDLEWARE]));
    assert_eq!(case.status("django.csp-middleware"), Status::Pass);
    assert_eq!(
        case.check("django.csp-policy").summary,
        "SECURE_CSP is empty: Django sends no policy"
    );
    let policy = PyValue::Dict(vec![
        (s("default-src"), list(&["'self'"])),
        (s("script-src"), list(&["'self'"])),
        (s("style-src"), list(&["'self'"])),
    ]);
    case.set("SECURE_CSP", policy);
    assert_eq!(case.status("django.csp-policy"), Status::Pass);
}

/// Case C1: django-csp 4.x with the 3.x settings and no "csp" app.
#[test]
fn old_csp_settings_are_inert_under_django_csp_4() {
    let mut case = Case::new();
    case.installed(&[("django", "5.2.19"), ("django-csp", "4.0")]);
    case.set("MIDDLEWARE", list(&[SECURITY_MIDDLEWARE, "csp.middleware.CSPMiddleware"]));
    case.set("CSP_DEFAULT_SRC", PyValue::Tuple(vec![s("'self'")]));
    case.set("CSP_SCRIPT_SRC", PyValue::Tuple(vec![s("'self'"), s("cdn.example.com")]));
    let finding = case.check("django.csp-policy");
    assert_eq!(finding.status, Status::Fail);
    assert_eq!(
        finding.summary,
        "CONTENT_SECURITY_POLICY is not set: django-csp 4.x sends no policy; \
         CSP_DEFAULT_SRC, CSP_SCRIPT_SRC are inert under django-csp 4.x"
    );
    assert!(case.check("django.csp-middleware").summary.contains("INSTALLED_APPS"));

    // The same settings under 3.x: a policy lacking style-src.
    case.installed(&[("django", "5.2.19"), ("django-csp", "3.8")]);
    assert_eq!(case.check("django.csp-policy").summary, "the CSP_* settings lacks style-src");
    assert_eq!(case.status("django.csp-middleware"), Status::Pass);
}

#[test]
fn django_csp_4_policy_and_two_middlewares() {
    let mut case = Case::new();
    case.installed(&[("django", "5.2.19"), ("django-csp", "4.0")]);
    case.set("INSTALLED_APPS", list(&["csp"]));
    case.set("MIDDLEWARE", list(&["csp.middleware.CSPMiddleware"]));
    case.set(
        "CONTENT_SECURITY_POLICY",
        PyValue::Dict(vec![(s("DIRECTIVES"), PyValue::Dict(vec![]))]),
    );
    assert_eq!(
        case.check("django.csp-policy").summary,
        "CONTENT_SECURITY_POLICY[\"DIRECTIVES\"] lacks script-src, style-src"
    );
    let directives = PyValue::Dict(vec![
        (s("default-src"), list(&["'self'"])),
        (s("script-src"), list(&["'self'"])),
        (s("style-src"), list(&["'self'"])),
    ]);
    case.set("CONTENT_SECURITY_POLICY", PyValue::Dict(vec![(s("DIRECTIVES"), directives)]));
    assert_eq!(case.status("django.csp-policy"), Status::Pass);
    assert_eq!(case.status("django.csp-middleware"), Status::Pass);
    case.set("MIDDLEWARE", list(&["csp.middleware.CSPMiddleware", BUILTIN_CSP_MIDDLEWARE]));
    assert!(case.check("django.csp-middleware").summary.starts_with("two CSP middlewares"));
}

#[test]
fn csp_without_a_known_version_is_unknown() {
    let mut case = Case::new();
    case.set("MIDDLEWARE", list(&["csp.middleware.CSPMiddleware"]));
    let finding = case.check("django.csp-policy");
    assert_eq!(finding.status, Status::Unknown);
    assert!(finding.summary.contains("3.x and 4.x"), "{}", finding.summary);
}

#[test]
fn migrations_need_evaluation() {
    let mut case = Case::new();
    assert!(case.check("django.axes-migrated").summary.contains("--evaluate"));
    let output = "axes\n [X] 0001_initial\n [X] 0002_auto\n [ ] 0010_accessattemptexpiration\nadmin\n [ ] 0001_initial\n";
    let mut status = parse_showmigrations(output, "axes");
    assert_eq!(status.pending, vec!["0010_accessattemptexpiration"]);
    status.command = "python manage.py showmigrations axes".into();
    case.facts.migrations.insert("axes".into(), Ok(status.clone()));
    assert_eq!(case.status("django.axes-migrated"), Status::Fail);
    status.pending.clear();
    case.facts.migrations.insert("axes".into(), Ok(status));
    assert_eq!(case.status("django.axes-migrated"), Status::Pass);
}

fn at(line: u32, text: &str) -> Location {
    Location { file: "/etc/apache2/sites-enabled/app.conf".into(), line, text: text.into() }
}

/// Case B1: a TLS-terminating proxy without `SECURE_PROXY_SSL_HEADER`.
#[test]
fn proxy_header_depends_on_the_topology() {
    let mut case = Case::new();
    assert_eq!(case.status("django.proxy-ssl-header"), Status::Unknown);

    case.facts.apache = Some(ApacheTopology {
        served_by: ServedBy::ModWsgi { at: None },
        redirects_http: None,
        names: Vec::new(),
        hsts: None,
    });
    let finding = case.check("django.proxy-ssl-header");
    assert_eq!((finding.status, finding.applies), (Status::Pass, false));

    case.facts.apache = Some(ApacheTopology {
        served_by: ServedBy::Proxy {
            backend: "http://127.0.0.1:8000/".into(),
            at: Some(at(5, "ProxyPass / http://127.0.0.1:8000/")),
            sets_forwarded_proto: None,
        },
        redirects_http: None,
        names: Vec::new(),
        hsts: None,
    });
    case.set("SECURE_SSL_REDIRECT", PyValue::Bool(true));
    let finding = case.check("django.proxy-ssl-header");
    assert_eq!(finding.status, Status::Fail);
    assert!(finding.summary.contains("redirect to itself"), "{}", finding.summary);

    case.set(
        "SECURE_PROXY_SSL_HEADER",
        PyValue::Tuple(vec![s("HTTP_X_FORWARDED_PROTO"), s("https")]),
    );
    assert!(case.check("django.proxy-ssl-header").summary.contains("does not set it"));
    if let Some(ApacheTopology {
        served_by: ServedBy::Proxy { sets_forwarded_proto, .. }, ..
    }) = &mut case.facts.apache
    {
        *sets_forwarded_proto = Some(at(6, "RequestHeader set X-Forwarded-Proto \"https\""));
    }
    assert_eq!(case.status("django.proxy-ssl-header"), Status::Pass);
}

/// Case B4: Apache redirects HTTP, Django leaves `SECURE_SSL_REDIRECT` off.
#[test]
fn an_apache_redirect_satisfies_ssl_redirect() {
    let mut case = Case::new();
    case.facts.apache = Some(ApacheTopology {
        served_by: ServedBy::ModWsgi { at: None },
        redirects_http: Some(at(3, "Redirect permanent / https://example.com/")),
        names: Vec::new(),
        hsts: None,
    });
    let finding = case.check("django.ssl-redirect");
    assert_eq!(finding.status, Status::Pass);
    assert_eq!(finding.evidence[0].line, Some(3));
}

/// Case B4: Apache sends HSTS on the TLS virtual host, Django leaves
/// `SECURE_HSTS_SECONDS` at 0; without `always` the error pages go without.
#[test]
fn an_apache_hsts_header_satisfies_what_its_value_covers() {
    let mut case = Case::new();
    case.facts.apache = Some(ApacheTopology {
        served_by: ServedBy::ModWsgi { at: None },
        redirects_http: None,
        names: Vec::new(),
        hsts: Some(super::ApacheHsts {
            at: at(9, "Header set Strict-Transport-Security \"max-age=31536000\""),
            value: "max-age=31536000".into(),
            always: false,
        }),
    });
    let finding = case.check("django.hsts-seconds");
    assert_eq!(finding.status, Status::Pass, "{}", finding.summary);
    assert!(finding.summary.contains("Apache sends"), "{}", finding.summary);
    assert_eq!(finding.evidence[0].line, Some(9));
    assert!(format!("{:?}", finding.evidence).contains("without `always`"));
    // The value has no includeSubDomains and no preload: those still fail.
    assert_eq!(case.status("django.hsts-subdomains"), Status::Fail);
    assert_eq!(case.status("django.hsts-preload"), Status::Fail);

    // Too short a max-age is no compensation.
    if let Some(topology) = &mut case.facts.apache {
        topology.hsts = Some(super::ApacheHsts {
            at: at(
                9,
                "Header always set Strict-Transport-Security \"max-age=3600; includeSubDomains\"",
            ),
            value: "max-age=3600; includeSubDomains".into(),
            always: true,
        });
    }
    assert_eq!(case.status("django.hsts-seconds"), Status::Fail);
    assert_eq!(case.status("django.hsts-subdomains"), Status::Pass);
}

#[test]
fn a_secret_in_an_evidence_line_is_redacted() {
    let mut case = Case::new();
    case.set_value("DEBUG", Value::Known(PyValue::Bool(true)), "DEBUG = True");
    case.facts.analysis.settings.get_mut("DEBUG").expect("set").related.push(Location {
        file: "/srv/app/.env".into(),
        line: 1,
        text: "SECRET_KEY=abcdefg".into(),
    });
    let finding = case.check("django.debug-off");
    let shown = format!("{:?}", finding.evidence);
    assert!(!shown.contains("abcdefg"), "{shown}");
}

#[test]
fn every_django_item_has_a_rule() {
    let case = Case::new();
    let checklist = checklist();
    for (section, _, item) in checklist.items() {
        if section.id == "django" {
            let finding = evaluate(item, &case.facts);
            assert!(!finding.summary.contains("is not a Django probe"), "{}", item.id);
            assert!(!finding.summary.is_empty(), "{}", item.id);
        }
    }
}
