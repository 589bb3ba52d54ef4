//! Django itself is the oracle for the Django items. Each variant under
//! `tests/oracle/variants/` is a small project; for each one whose settings
//! can be known statically, Django (in the test virtualenv) reports the
//! effective values and what `check --deploy` warns about. DESIGN.md's rules,
//! written here as a small table on Django's own values, give the expected
//! verdicts, and portcullis must give the same ones. Every deploy warning
//! that one of our items covers must be a failing item.
//!
//! Variants that cannot be known statically (a variable no loaded `.env`
//! sets, branches that disagree) must come out `unknown`, naming why; a
//! settings file that is not Python is an input error.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use portcullis::checklist::{Checklist, EMBEDDED, parse_all};
use portcullis::django::project::{self, Project};
use portcullis::django::requirements;
use portcullis::django::rules::{DjangoFacts, SettingsView, evaluate};
use portcullis::django::value::{Location, PyValue, Setting, Value};
use portcullis::django::versions;
use portcullis::finding::{Finding, Status};
use portcullis::target::Target;
use serde::Deserialize;
use serde_json::Value as Json;

const SETUP_HINT: &str = "run scripts/test-setup.sh (creates .venv-test with Django, django-csp, \
     django-axes, django-environ, python-decouple, python-dotenv, pip-audit)";

/// Where each variant is copied inside its temporary root.
const PROJECT: &str = "/proj";

const SM: &str = "django.middleware.security.SecurityMiddleware";
const XFO: &str = "django.middleware.clickjacking.XFrameOptionsMiddleware";
const CSRF_MW: &str = "django.middleware.csrf.CsrfViewMiddleware";
const SESSION_MW: &str = "django.contrib.sessions.middleware.SessionMiddleware";
const AXES_MW: &str = "axes.middleware.AxesMiddleware";
const AXES_BACKENDS: [&str; 2] =
    ["axes.backends.AxesStandaloneBackend", "axes.backends.AxesBackend"];
const CSP_MW: &str = "csp.middleware.CSPMiddleware";
const DJANGO_CSP_MW: &str = "django.middleware.csp.ContentSecurityPolicyMiddleware";

/// The deploy warnings our items cover, and the item that must fail.
const DEPLOY_WARNINGS: &[(&str, &str)] = &[
    ("security.W001", "django.security-middleware"),
    ("security.W002", "django.x-frame-options"),
    ("security.W004", "django.hsts-seconds"),
    ("security.W005", "django.hsts-subdomains"),
    ("security.W006", "django.nosniff"),
    ("security.W008", "django.ssl-redirect"),
    ("security.W009", "maint.secret-key-strength"),
    ("security.W012", "django.session-cookie-secure"),
    ("security.W016", "django.csrf-cookie-secure"),
    ("security.W018", "django.debug-off"),
    ("security.W020", "django.allowed-hosts"),
    ("security.W021", "django.hsts-preload"),
];

// --- the variants ---

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    about: String,
    /// False when some values cannot be known without running the site.
    #[serde(default = "yes", rename = "static")]
    is_static: bool,
    /// Item id → text its `unknown` reason must contain.
    #[serde(default)]
    unknown: BTreeMap<String, String>,
    /// The file a syntax-error variant's error must name.
    #[serde(default)]
    bad_python: Option<String>,
}

fn yes() -> bool {
    true
}

struct Variant {
    name: String,
    dir: PathBuf,
    expect: Expect,
}

fn variants() -> Vec<Variant> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/variants");
    let mut out: Vec<Variant> = fs::read_dir(&base)
        .expect("tests/oracle/variants exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_dir())
        .map(|dir| {
            let name = dir.file_name().expect("a name").to_string_lossy().into_owned();
            let text = fs::read_to_string(dir.join("expect.toml"))
                .unwrap_or_else(|err| panic!("{name}/expect.toml: {err}"));
            let expect: Expect =
                toml::from_str(&text).unwrap_or_else(|err| panic!("{name}/expect.toml: {err}"));
            Variant { name, dir, expect }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// A fresh target root holding the variant at `/proj`.
fn stage(variant: &Variant) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("a temporary root");
    copy_tree(&variant.dir, &root.path().join(PROJECT.trim_start_matches('/')));
    root
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("readable variant") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

// --- Django, the oracle ---

fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let python = std::env::var_os("PORTCULLIS_TEST_PYTHON").map_or_else(
            || panic!("PORTCULLIS_TEST_PYTHON is not set: {SETUP_HINT}"),
            PathBuf::from,
        );
        let check = Command::new(&python)
            .args(["-c", "import django, csp, axes, environ, decouple, dotenv"])
            .output()
            .unwrap_or_else(|err| panic!("{}: {err}: {SETUP_HINT}", python.display()));
        assert!(
            check.status.success(),
            "{} lacks a package: {}: {SETUP_HINT}",
            python.display(),
            String::from_utf8_lossy(&check.stderr)
        );
        python
    })
}

#[derive(Debug, Deserialize)]
struct DjangoReport {
    settings: BTreeMap<String, Evaluated>,
    check_deploy: Vec<String>,
    versions: BTreeMap<String, Option<String>>,
}

#[derive(Debug, Deserialize)]
struct Evaluated {
    value: Json,
    assigned: bool,
}

/// Asks Django what the settings of the project at `dir` (on this machine) are.
fn ask_django(dir: &Path, module: &str) -> DjangoReport {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/effective.py");
    let output = Command::new(python())
        .arg(&script)
        .current_dir(dir)
        .env_clear()
        .env("DJANGO_SETTINGS_MODULE", module)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("the test interpreter runs");
    assert!(
        output.status.success(),
        "Django could not load {module} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("effective.py prints JSON")
}

// --- DESIGN.md's rules on Django's values ---

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    Fail,
    NotApplicable,
    Unknown,
}

fn verdict_of(finding: &Finding) -> Verdict {
    match (finding.status, finding.applies) {
        (Status::Pass, false) => Verdict::NotApplicable,
        (Status::Pass, true) => Verdict::Pass,
        (Status::Fail, _) => Verdict::Fail,
        _ => Verdict::Unknown,
    }
}

fn pass_if(condition: bool) -> Verdict {
    if condition { Verdict::Pass } else { Verdict::Fail }
}

struct Oracle<'a> {
    django: &'a DjangoReport,
}

impl Oracle<'_> {
    fn value(&self, name: &str) -> Json {
        match self.django.settings.get(name) {
            Some(found) => found.value.clone(),
            // django-axes's own defaults (axes/conf.py).
            None if name == "AXES_FAILURE_LIMIT" => Json::from(3),
            None => Json::Null,
        }
    }

    fn strings(&self, name: &str) -> Vec<String> {
        match self.value(name) {
            Json::Array(items) => {
                items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect()
            }
            _ => Vec::new(),
        }
    }

    fn has(&self, name: &str, entry: &str) -> bool {
        self.strings(name).iter().any(|e| e == entry)
    }

    fn is_true(&self, name: &str) -> bool {
        self.value(name) == Json::Bool(true)
    }

    fn csp_major(&self) -> u64 {
        let version = self
            .django
            .versions
            .get("django-csp")
            .cloned()
            .flatten()
            .expect("django-csp installed");
        version.split('.').next().and_then(|major| major.parse().ok()).expect("a version")
    }

    /// The expected verdict of each item the table covers.
    fn verdicts(&self) -> BTreeMap<&'static str, Verdict> {
        let sm = self.has("MIDDLEWARE", SM);
        let mut out = BTreeMap::new();
        out.insert("django.security-middleware", pass_if(sm));
        out.insert("django.ssl-redirect", pass_if(sm && self.is_true("SECURE_SSL_REDIRECT")));
        let hsts = self.value("SECURE_HSTS_SECONDS");
        out.insert(
            "django.hsts-seconds",
            pass_if(sm && hsts.as_i64().is_some_and(|s| s >= 31_536_000)),
        );
        out.insert(
            "django.hsts-subdomains",
            pass_if(sm && self.is_true("SECURE_HSTS_INCLUDE_SUBDOMAINS")),
        );
        out.insert("django.hsts-preload", pass_if(sm && self.is_true("SECURE_HSTS_PRELOAD")));
        out.insert("django.nosniff", pass_if(sm && self.is_true("SECURE_CONTENT_TYPE_NOSNIFF")));

        let sessions = self.has("INSTALLED_APPS", "django.contrib.sessions")
            || self.has("MIDDLEWARE", SESSION_MW);
        out.insert(
            "django.session-cookie-secure",
            if sessions {
                pass_if(self.is_true("SESSION_COOKIE_SECURE"))
            } else {
                Verdict::NotApplicable
            },
        );
        let csrf_cookie =
            self.has("MIDDLEWARE", CSRF_MW) && !truthy(&self.value("CSRF_USE_SESSIONS"));
        out.insert(
            "django.csrf-cookie-secure",
            if csrf_cookie {
                pass_if(self.is_true("CSRF_COOKIE_SECURE"))
            } else {
                Verdict::NotApplicable
            },
        );
        let xfo = self.value("X_FRAME_OPTIONS");
        let xfo = xfo.as_str().map(str::to_ascii_uppercase);
        out.insert(
            "django.x-frame-options",
            pass_if(
                self.has("MIDDLEWARE", XFO)
                    && matches!(xfo.as_deref(), Some("DENY" | "SAMEORIGIN")),
            ),
        );
        out.insert("django.debug-off", pass_if(!truthy(&self.value("DEBUG"))));
        let allowed = self.value("ALLOWED_HOSTS");
        out.insert(
            "django.allowed-hosts",
            pass_if(
                allowed.as_array().is_some_and(|h| !h.is_empty() && !h.contains(&Json::from("*"))),
            ),
        );

        let apps = self.strings("INSTALLED_APPS");
        out.insert(
            "django.axes-app",
            pass_if(apps.iter().any(|a| a == "axes" || a.starts_with("axes.apps."))),
        );
        let middleware = self.strings("MIDDLEWARE");
        out.insert(
            "django.axes-middleware",
            pass_if(middleware.last().is_some_and(|m| m == AXES_MW)),
        );
        let backends = self.strings("AUTHENTICATION_BACKENDS");
        let axes_first = backends.first().is_some_and(|b| AXES_BACKENDS.contains(&b.as_str()));
        let real_after = backends.iter().skip(1).any(|b| !AXES_BACKENDS.contains(&b.as_str()));
        out.insert("django.axes-backend", pass_if(axes_first && real_after));
        // django-axes reads its settings only when its app is installed.
        let axes_app = apps.iter().any(|a| a == "axes" || a.starts_with("axes.apps."));
        let limit = match self.value("AXES_FAILURE_LIMIT") {
            Json::Number(n) if n.is_i64() => pass_if(n.as_i64().is_some_and(|n| n <= 5)),
            Json::Object(_) => Verdict::Unknown,
            _ => Verdict::Fail,
        };
        out.insert("django.axes-failure-limit", if axes_app { limit } else { Verdict::Fail });
        let cooloff = match self.value("AXES_COOLOFF_TIME") {
            Json::Number(hours) => pass_if(hours.as_f64().is_some_and(|h| h >= 1.0)),
            Json::Object(o) if o.contains_key("__timedelta__") => {
                pass_if(o["__timedelta__"].as_f64().is_some_and(|s| s >= 3600.0))
            }
            Json::Object(_) => Verdict::Unknown,
            _ => Verdict::Fail,
        };
        out.insert("django.axes-cooloff", if axes_app { cooloff } else { Verdict::Fail });

        let third_party = middleware.iter().any(|m| m == CSP_MW);
        let builtin = middleware.iter().any(|m| m == DJANGO_CSP_MW);
        let csp_app = apps.iter().any(|a| a == "csp" || a == "csp.apps.CspConfig");
        let csp4 = self.csp_major() >= 4;
        out.insert(
            "django.csp-middleware",
            // Django 5.2 in the test venv has no built-in CSP middleware; two at once fail.
            pass_if(third_party && !builtin && (!csp4 || csp_app)),
        );
        let policy_ok = third_party && !builtin && csp4 && {
            let leftovers = self
                .django
                .settings
                .iter()
                .any(|(name, found)| name.starts_with("CSP_") && found.assigned);
            let policy = self.value("CONTENT_SECURITY_POLICY");
            let directives = match policy.get("DIRECTIVES") {
                Some(Json::Object(d)) if !d.is_empty() => d.clone(),
                _ => {
                    serde_json::Map::from_iter([("default-src".to_owned(), Json::from(["'self'"]))])
                }
            };
            let set = |name: &str| {
                directives.get(name).is_some_and(|v| !matches!(v, Json::Null | Json::Bool(false)))
            };
            truthy(&policy)
                && !leftovers
                && ["default-src", "script-src", "style-src"].iter().all(|d| set(d))
        };
        out.insert("django.csp-policy", pass_if(policy_ok));
        out
    }
}

fn truthy(value: &Json) -> bool {
    match value {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Json::String(s) => !s.is_empty(),
        Json::Array(a) => !a.is_empty(),
        Json::Object(o) => match o.get("__timedelta__") {
            Some(seconds) => seconds.as_f64().is_some_and(|s| s != 0.0),
            None => !o.is_empty() || o.contains_key("__callable__"),
        },
    }
}

// --- portcullis ---

fn checklist() -> &'static Checklist {
    static CHECKLIST: OnceLock<Checklist> = OnceLock::new();
    CHECKLIST.get_or_init(|| {
        let sources: Vec<(String, String)> =
            EMBEDDED.iter().map(|(name, text)| ((*name).to_owned(), (*text).to_owned())).collect();
        parse_all(&sources).expect("the embedded checklist parses")
    })
}

fn target(root: &Path) -> Target {
    let mut target = Target::at_root(root);
    target.project = Some(PathBuf::from(PROJECT));
    target
}

fn discover(root: &Path) -> Project {
    project::discover(&target(root)).expect("the variant is a project").expect("found")
}

/// Django's evaluated settings, as the rules read settings.
struct EvaluatedSettings {
    values: BTreeMap<String, (PyValue, bool)>,
    module_file: String,
}

impl EvaluatedSettings {
    fn new(django: &DjangoReport, project: &Project) -> Self {
        let values = django
            .settings
            .iter()
            .map(|(name, found)| (name.clone(), (to_python(&found.value), found.assigned)))
            .collect();
        let module_file =
            format!("{}/{}.py", project.dir.display(), project.module.replace('.', "/"));
        EvaluatedSettings { values, module_file }
    }
}

impl SettingsView for EvaluatedSettings {
    fn setting(&self, name: &str) -> Setting {
        let (value, assigned) = match self.values.get(name) {
            Some((value, assigned)) => (Value::Known(value.clone()), *assigned),
            None => (Value::Unknown(format!("Django has no {name}")), false),
        };
        Setting {
            name: name.to_owned(),
            value,
            assigned: assigned.then(|| Location {
                file: self.module_file.clone(),
                line: 1,
                text: format!("{name} (as Django evaluated it)"),
            }),
            related: Vec::new(),
            notes: Vec::new(),
            secret: false,
        }
    }

    fn is_assigned(&self, name: &str) -> bool {
        self.values.get(name).is_some_and(|(_, assigned)| *assigned)
    }

    fn module_file(&self) -> &str {
        &self.module_file
    }
}

fn to_python(json: &Json) -> PyValue {
    match json {
        Json::Null => PyValue::None,
        Json::Bool(b) => PyValue::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => PyValue::Int(i),
            None => PyValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => PyValue::Str(s.clone()),
        Json::Array(items) => PyValue::List(items.iter().map(to_python).collect()),
        Json::Object(map) => {
            if let Some(seconds) = map.get("__timedelta__").and_then(Json::as_f64) {
                PyValue::Timedelta(seconds)
            } else if let Some(source) = map.get("__callable__").and_then(Json::as_str) {
                PyValue::Opaque { type_name: "function".into(), source: source.to_owned() }
            } else if let Some(kind) = map.get("__object__").and_then(Json::as_str) {
                PyValue::Opaque { type_name: kind.to_owned(), source: kind.to_owned() }
            } else {
                PyValue::Dict(
                    map.iter().map(|(k, v)| (PyValue::Str(k.clone()), to_python(v))).collect(),
                )
            }
        }
    }
}

/// The rules of portcullis applied to Django's own values, with discovery,
/// requirements and versions read from the staged variant.
fn rules_on_django_values(root: &Path, django: &DjangoReport) -> BTreeMap<String, Finding> {
    let target = target(root);
    let project = discover(root);
    let requirements = requirements::load(&target, &project.dir);
    let versions = versions::detect(&target, &project, &requirements);
    let analysis = EvaluatedSettings::new(django, &project);
    let facts = DjangoFacts {
        project,
        analysis,
        versions,
        requirements,
        apache: None,
        migrations: BTreeMap::new(),
    };
    checklist()
        .items()
        .filter(|(section, _, _)| section.id == "django")
        .map(|(_, _, item)| (item.id.clone(), evaluate(item, &facts)))
        .collect()
}

/// What the `portcullis` binary reports for the staged variant: its
/// findings by id, or its exit status and standard error.
fn portcullis_check(root: &Path) -> Result<BTreeMap<String, Finding>, (i32, String)> {
    let output = assert_cmd::cargo::cargo_bin_cmd!("portcullis")
        .args(["check", "--root"])
        .arg(root)
        .args([
            "--project",
            PROJECT,
            "--offline",
            "--format",
            "json",
            "--only",
            "django",
            "--only",
            "maint.secret-key-strength",
        ])
        .output()
        .expect("portcullis runs");
    let code = output.status.code().unwrap_or(-1);
    if code != 0 && code != 1 {
        return Err((code, String::from_utf8_lossy(&output.stderr).into_owned()));
    }
    // Read through a JSON value: a finding object may carry item fields too.
    let report: Json = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "portcullis check printed no JSON report ({err}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    let findings = report["findings"].as_array().expect("a findings array");
    Ok(findings
        .iter()
        .map(|f| {
            serde_json::from_value::<Finding>(f.clone()).expect("a finding as DESIGN.md shapes it")
        })
        .map(|f| (f.id.clone(), f))
        .collect())
}

/// Compares findings with Django's verdicts; returns the disagreements.
fn disagreements(
    variant: &Variant,
    django: &DjangoReport,
    findings: &BTreeMap<String, Finding>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let name = &variant.name;
    for (id, expected) in (Oracle { django }).verdicts() {
        let Some(finding) = findings.get(id) else {
            problems.push(format!("{name}: no finding for {id}"));
            continue;
        };
        let got = verdict_of(finding);
        if got != expected {
            problems.push(format!(
                "{name}: {id}: Django's values say {expected:?}, portcullis says {got:?} ({})",
                finding.summary
            ));
        }
    }
    for warning in &django.check_deploy {
        let Some((_, id)) = DEPLOY_WARNINGS.iter().find(|(w, _)| w == warning) else { continue };
        match findings.get(*id) {
            Some(finding) if finding.status == Status::Fail => {}
            Some(finding) => problems.push(format!(
                "{name}: check --deploy reports {warning} but {id} is {} ({})",
                finding.status, finding.summary
            )),
            None if id.starts_with("maint.") => {} // the maintenance section's item, checked by the binary
            None => problems
                .push(format!("{name}: check --deploy reports {warning} but there is no {id}")),
        }
    }
    problems
}

// --- the tests ---

#[test]
fn there_are_at_least_25_variants() {
    let all = variants();
    let static_count = all.iter().filter(|v| v.expect.is_static).count();
    assert!(all.len() >= 25, "{} variants", all.len());
    assert!(static_count >= 20, "{static_count} static variants");
    for variant in &all {
        assert!(!variant.expect.about.is_empty(), "{}: say what it looks like", variant.name);
        assert!(
            variant.expect.is_static
                || !variant.expect.unknown.is_empty()
                || variant.expect.bad_python.is_some(),
            "{}: a variant that is not static says what is unknown",
            variant.name
        );
    }
}

/// The rules, fed Django's own evaluation of every static variant, agree
/// with the table, and cover every deploy warning.
#[test]
fn rules_agree_with_django_on_its_own_values() {
    let mut problems = Vec::new();
    for variant in variants().iter().filter(|v| v.expect.is_static) {
        let root = stage(variant);
        let project = discover(root.path());
        let django = ask_django(&root.path().join("proj"), &project.module);
        problems.extend(disagreements(
            variant,
            &django,
            &rules_on_django_values(root.path(), &django),
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The whole static pipeline, through the binary: same verdicts as Django.
#[test]
fn static_verdicts_agree_with_django() {
    let mut problems = Vec::new();
    for variant in variants().iter().filter(|v| v.expect.is_static) {
        let root = stage(variant);
        let project = discover(root.path());
        let django = ask_django(&root.path().join("proj"), &project.module);
        match portcullis_check(root.path()) {
            Ok(findings) => problems.extend(disagreements(variant, &django, &findings)),
            Err((code, stderr)) => {
                problems.push(format!("{}: exit {code}: {stderr}", variant.name));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn values_that_cannot_be_known_statically_are_unknown_with_the_reason() {
    let mut problems = Vec::new();
    for variant in variants().iter().filter(|v| !v.expect.unknown.is_empty()) {
        let root = stage(variant);
        let findings = match portcullis_check(root.path()) {
            Ok(findings) => findings,
            Err((code, stderr)) => {
                problems.push(format!("{}: exit {code}: {stderr}", variant.name));
                continue;
            }
        };
        for (id, names) in &variant.expect.unknown {
            match findings.get(id) {
                Some(f)
                    if f.status == Status::Unknown
                        && f.reason.as_deref().is_some_and(|r| r.contains(names)) => {}
                Some(f) => problems.push(format!(
                    "{}: {id} should be unknown naming {names}, is {} ({:?})",
                    variant.name, f.status, f.reason
                )),
                None => problems.push(format!("{}: no finding for {id}", variant.name)),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_settings_file_that_is_not_python_is_an_input_error() {
    for variant in variants().iter().filter(|v| v.expect.bad_python.is_some()) {
        let root = stage(variant);
        let file = variant.expect.bad_python.as_deref().unwrap_or_default();
        match portcullis_check(root.path()) {
            Err((2, stderr)) => {
                let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
                assert_eq!(lines.len(), 1, "{}: one line: {stderr}", variant.name);
                assert!(lines[0].contains(file), "{}: names {file}: {stderr}", variant.name);
            }
            Err((code, stderr)) => panic!("{}: exit {code}, not 2: {stderr}", variant.name),
            Ok(_) => panic!("{}: a report, not an input error", variant.name),
        }
    }
}

/// The premise of the syntax-error variant: Python refuses the file.
#[test]
fn the_bad_python_variant_is_refused_by_python() {
    for variant in variants().iter().filter(|v| v.expect.bad_python.is_some()) {
        let file = variant.expect.bad_python.as_deref().unwrap_or_default();
        let host = variant.dir.join(file.trim_start_matches(PROJECT).trim_start_matches('/'));
        let output = Command::new(python())
            .args(["-c", "import ast, sys; ast.parse(open(sys.argv[1], 'rb').read())"])
            .arg(&host)
            .output()
            .expect("python runs");
        assert!(!output.status.success(), "{}: Python accepts {}", variant.name, host.display());
    }
}

#[test]
fn the_test_interpreter_lists_the_packages_the_checks_read() {
    let env = versions::from_interpreter(python()).expect("the test interpreter answers");
    assert!(env.packages["django"].version.at_least("5.2"));
    assert_eq!(env.packages["django-csp"].version.major(), 4);
    assert!(env.packages["django-axes"].version.at_least("8.0"));
}

/// Discovery reads the module from what `django-admin startproject` writes,
/// and finds the project under `/srv` with its virtualenv.
#[test]
fn discovery_reads_a_real_startproject() {
    let root = tempfile::tempdir().expect("a temporary root");
    let site = root.path().join("srv/shop");
    fs::create_dir_all(&site).expect("mkdir");
    let made = Command::new(python())
        .args(["-m", "django", "startproject", "shopsite", "."])
        .current_dir(&site)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("django-admin runs");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    fs::create_dir_all(site.join(".venv/lib/python3.11/site-packages")).expect("mkdir");

    let found = project::discover(&Target::at_root(root.path())).expect("no error").expect("found");
    assert_eq!(found.dir, PathBuf::from("/srv/shop"));
    assert_eq!(found.module, "shopsite.settings");
    assert!(found.module_source.starts_with("/srv/shop/manage.py:"), "{}", found.module_source);
    assert_eq!(found.venv, Some(PathBuf::from("/srv/shop/.venv")));

    // Without manage.py's line, the wsgi.py startproject wrote names the module.
    fs::write(site.join("manage.py"), "import sys\n").expect("write");
    let found = project::discover(&Target::at_root(root.path())).expect("no error").expect("found");
    assert_eq!(found.module, "shopsite.settings");
    assert!(
        found.module_source.starts_with("/srv/shop/shopsite/wsgi.py:"),
        "{}",
        found.module_source
    );
}

/// Reading the `*.dist-info` folders of a virtualenv gives the versions the
/// interpreter itself reports.
#[test]
fn dist_info_versions_match_the_interpreter() {
    let asked = versions::from_interpreter(python()).expect("the test interpreter answers");
    let lib = python().parent().and_then(Path::parent).expect("a venv").join("lib");
    let site = fs::read_dir(&lib)
        .expect("lib/")
        .map(|entry| entry.expect("entry").path().join("site-packages"))
        .find(|dir| dir.is_dir())
        .expect("a site-packages folder");
    let read = versions::from_site_packages(&Target::at_root("/"), &site);
    for package in [
        "django",
        "django-csp",
        "django-axes",
        "django-environ",
        "python-decouple",
        "python-dotenv",
    ] {
        assert_eq!(
            read.get(package).map(|found| found.version.to_string()),
            asked.packages.get(package).map(|found| found.version.to_string()),
            "{package}"
        );
    }
}

/// `showmigrations` on a real project: every axes migration pending before
/// `migrate`, none after.
#[test]
fn axes_migrations_are_read_from_showmigrations() {
    let variant =
        variants().into_iter().find(|v| v.name == "hardened").expect("the hardened variant");
    let root = stage(&variant);
    let settings = root.path().join("proj/config/settings.py");
    let mut text = fs::read_to_string(&settings).expect("settings");
    text.push_str(
        "\nDATABASES = {\"default\": {\"ENGINE\": \"django.db.backends.sqlite3\", \"NAME\": BASE_DIR / \"db.sqlite3\"}}\n",
    );
    fs::write(&settings, text).expect("write");
    let target = target(root.path());
    let found = discover(root.path());

    let before = portcullis::django::rules::showmigrations(python(), &target, &found, "axes")
        .expect("showmigrations runs");
    assert!(before.applied.is_empty(), "{before:?}");
    assert!(before.pending.len() >= 10, "axes 8 has ten migrations: {before:?}");
    assert!(before.pending.contains(&"0001_initial".to_owned()), "{before:?}");

    let migrated = Command::new(python())
        .args(["manage.py", "migrate", "--noinput"])
        .current_dir(root.path().join("proj"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("migrate runs");
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    let after = portcullis::django::rules::showmigrations(python(), &target, &found, "axes")
        .expect("showmigrations runs");
    assert!(after.pending.is_empty() && after.applied.len() == before.pending.len(), "{after:?}");

    let mut facts = DjangoFacts {
        project: found.clone(),
        analysis: EvaluatedSettings { values: BTreeMap::new(), module_file: String::new() },
        versions: versions::Versions::default(),
        requirements: requirements::Requirements::default(),
        apache: None,
        migrations: BTreeMap::from([("axes".to_owned(), Ok(before))]),
    };
    let item = checklist().item("django.axes-migrated").expect("the item");
    assert_eq!(evaluate(item, &facts).status, Status::Fail);
    facts.migrations.insert("axes".into(), Ok(after));
    let finding = evaluate(item, &facts);
    assert_eq!(finding.status, Status::Pass, "{finding:?}");
    assert!(
        finding.evidence[0]
            .command
            .as_deref()
            .is_some_and(|c| c.ends_with("manage.py showmigrations axes"))
    );
}
