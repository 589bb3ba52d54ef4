//! The settings fixtures under tests/fixtures/settings/, analysed statically.
//! The values asserted here are those Python gives when it imports the same
//! trees (checked with the libraries' released code; the oracle tests redo it
//! under Django).

use std::path::{Path, PathBuf};

use portcullis::django::settings::{
    AnalysisInput, LiteralKind, SettingsAnalysis, SettingsError, analyze,
};
use portcullis::django::value::{PyValue, Value};
use portcullis::target::Target;

fn fixture_root(variant: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/settings").join(variant)
}

fn run(variant: &str, module: &str) -> Result<SettingsAnalysis, SettingsError> {
    let root = fixture_root(variant);
    let site = root.join("srv/app/venv/lib/python3.12/site-packages");
    let target = Target::at_root(&root);
    let input = AnalysisInput {
        target: &target,
        project_dir: Path::new("/srv/app"),
        module,
        env_file: None,
        site_packages: site.is_dir().then_some(site),
    };
    analyze(&input)
}

fn fixture(variant: &str, module: &str) -> SettingsAnalysis {
    run(variant, module).unwrap_or_else(|err| panic!("{variant}: {err}"))
}

fn known(a: &SettingsAnalysis, name: &str) -> PyValue {
    match a.setting(name).value {
        Value::Known(v) => v,
        Value::Unknown(reason) => panic!("{name} is unknown: {reason}"),
    }
}

fn reason(a: &SettingsAnalysis, name: &str) -> String {
    match a.setting(name).value {
        Value::Known(v) => panic!("{name} is known: {v}"),
        Value::Unknown(reason) => reason,
    }
}

fn s(text: &str) -> PyValue {
    PyValue::Str(text.to_owned())
}

fn list(items: &[&str]) -> PyValue {
    PyValue::List(items.iter().map(|i| s(i)).collect())
}

fn tuple(items: &[&str]) -> PyValue {
    PyValue::Tuple(items.iter().map(|i| s(i)).collect())
}

const SM: &str = "django.middleware.security.SecurityMiddleware";

#[test]
fn startproject_settings_are_read_as_written() {
    let a = fixture("startproject-defaults", "config.settings");
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(true));
    assert_eq!(known(&a, "ALLOWED_HOSTS"), list(&[]));
    assert!(known(&a, "MIDDLEWARE").contains_str(SM));
    assert_eq!(
        known(&a, "SECRET_KEY").as_str().map(|k| k.starts_with("django-insecure-")),
        Some(true)
    );
    assert!(matches!(a.literal("SECRET_KEY"), Some(LiteralKind::Assigned(_))));
    assert_eq!(known(&a, "X_FRAME_OPTIONS"), s("DENY"));
    assert!(a.setting("X_FRAME_OPTIONS").assigned.is_none());
}

#[test]
fn hardened_settings_compute_hsts_and_leave_the_key_unknown() {
    let a = fixture("hardened-arithmetic", "config.settings");
    assert_eq!(known(&a, "SECURE_HSTS_SECONDS"), PyValue::Int(31_536_000));
    assert_eq!(known(&a, "SECURE_HSTS_PRELOAD"), PyValue::Bool(true));
    assert_eq!(
        reason(&a, "SECRET_KEY"),
        "reads DJANGO_SECRET_KEY from the environment, and no loaded .env sets it"
    );
}

#[test]
fn split_settings_take_the_production_rebindings() {
    let a = fixture("split-star-imports", "config.settings.production");
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(false));
    assert_eq!(known(&a, "SECURE_HSTS_SECONDS"), PyValue::Int(3600));
    assert_eq!(
        a.setting("DEBUG").assigned.map(|l| l.file),
        Some("/srv/app/config/settings/production.py".to_owned())
    );
    assert_eq!(
        a.setting("MIDDLEWARE").assigned.map(|l| l.file),
        Some("/srv/app/config/settings/base.py".to_owned())
    );
    assert_eq!(a.module_file(), "/srv/app/config/settings/production.py");
}

#[test]
fn a_settings_package_runs_its_init() {
    let a = fixture("settings-package", "config.settings");
    assert_eq!(a.module_file(), "/srv/app/config/settings/__init__.py");
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(false));
    let middleware = known(&a, "MIDDLEWARE");
    assert_eq!(
        middleware.items().and_then(|m| m.last()).and_then(PyValue::as_str),
        Some("axes.middleware.AxesMiddleware")
    );
}

#[test]
fn case_a1_failing_override_applies_not_at_all() {
    let a = fixture("a1-optional-override-fails", "myproject.settings.production");
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(true));
    assert_eq!(known(&a, "SECURE_SSL_REDIRECT"), PyValue::Bool(true));
    assert!(
        a.notes()
            .iter()
            .any(|n| n.message.contains("myproject_missing_helper")
                && n.message.contains("swallows"))
    );
    assert!(a.files().iter().any(|f| f.ends_with("local.py")));
}

#[test]
fn case_a3_library_call_forms() {
    let a = fixture("a3-environ-decouple-forms", "config.settings");
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(false));
    assert_eq!(known(&a, "SECURE_SSL_REDIRECT"), PyValue::Bool(false));
    assert_eq!(known(&a, "SECURE_HSTS_PRELOAD"), PyValue::Bool(true));
    assert_eq!(known(&a, "SESSION_COOKIE_SECURE"), s("False"));
    // `$placeholder-…` names another variable, which nothing sets.
    assert!(reason(&a, "SECRET_KEY").contains("placeholder-not-a-real-key"));
    assert_eq!(a.dotenv_files(), ["/srv/app/config/.env"]);
    let related = a.setting("SECURE_SSL_REDIRECT").related;
    assert!(related.iter().any(|l| l.file == "/srv/app/config/.env" && l.line == 2));
}

#[test]
fn case_a4_production_branch_of_tuple_middleware() {
    let a = fixture("a4-middleware-tuple-branches", "config.settings");
    let m = known(&a, "MIDDLEWARE");
    assert_eq!(m.items().map(<[PyValue]>::len), Some(4));
    assert!(matches!(m, PyValue::List(_)));
    assert!(m.contains_str("myproject.middleware.AuditMiddleware"));
    assert!(
        a.notes()
            .iter()
            .any(|n| n.message.contains("TypeError") && n.message.contains("would raise"))
    );
    assert!(a.import_failure().is_none());
}

#[test]
fn case_a5_security_middleware_missing_after_insert() {
    let a = fixture("a5-insert-and-legacy-name", "myproject.settings.production");
    let m = known(&a, "MIDDLEWARE");
    assert_eq!(
        m,
        list(&[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "whitenoise.middleware.WhiteNoiseMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
        ])
    );
    assert!(a.notes().iter().any(|n| n.message.contains("MIDDLEWARE_CLASSES")));
    let evidence = a.setting("MIDDLEWARE");
    assert_eq!(evidence.assigned.map(|l| l.line), Some(4));
}

#[test]
fn case_e6_literal_fallback_is_flagged_not_shown() {
    let a = fixture("e6-literal-fallback", "config.settings");
    let key = a.setting("SECRET_KEY");
    assert!(key.secret);
    assert!(
        matches!(a.literal("SECRET_KEY"), Some(LiteralKind::Fallback { variable, .. }) if variable == "MYPROJECT_SECRET_KEY")
    );
    let all_text: Vec<String> = a
        .notes()
        .iter()
        .map(|n| format!("{} {:?}", n.message, n.location))
        .chain(key.notes.clone())
        .chain(key.assigned.iter().map(|l| l.text.clone()))
        .chain(key.related.iter().map(|l| l.text.clone()))
        .collect();
    assert!(all_text.iter().all(|t| !t.contains("0123456789abcdef")), "{all_text:?}");
}

#[test]
fn a_loaded_dotenv_supplies_the_values() {
    let a = fixture("dotenv-loaded", "config.settings");
    assert_eq!(a.dotenv_files(), ["/srv/app/.env"]);
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(false));
    assert_eq!(known(&a, "ALLOWED_HOSTS"), list(&["example.com", "www.example.com"]));
    assert_eq!(known(&a, "SECURE_HSTS_SECONDS"), PyValue::Int(31_536_000));
    let hsts = a.setting("SECURE_HSTS_SECONDS");
    assert!(
        hsts.notes.iter().any(|n| n == "read from DJANGO_HSTS_SECONDS in /srv/app/.env:5"),
        "{:?}",
        hsts.notes
    );
    // DJANGO_SECURE_COOKIES is not in the .env: its default in the code
    // counts only if the process environment does not set it either.
    assert!(reason(&a, "SESSION_COOKIE_SECURE").contains("DJANGO_SECURE_COOKIES"));
    assert!(reason(&a, "CSRF_COOKIE_SECURE").contains("DJANGO_SECURE_COOKIES"));
    assert_eq!(known(&a, "SECRET_KEY").as_str().map(str::len), Some(52));
    let key = a.setting("SECRET_KEY");
    let line = key.related.iter().find(|l| l.file == "/srv/app/.env").expect(".env evidence");
    assert_eq!(line.line, 2);
    assert!(!line.text.contains("k3y"));
}

#[test]
fn a_dotenv_never_loaded_leaves_values_unknown() {
    let a = fixture("dotenv-present-not-loaded", "config.settings");
    assert!(reason(&a, "DEBUG").contains("DJANGO_DEBUG"));
    assert!(a.dotenv_files().is_empty());
}

#[test]
fn defaults_in_the_code_do_not_make_an_unset_variable_known() {
    let a = fixture("env-defaults-no-dotenv", "config.settings");
    // The process environment may set what no loaded .env does: never guess.
    assert!(reason(&a, "DEBUG").contains("DJANGO_DEBUG"));
    assert!(reason(&a, "DEBUG").contains("the default written in the settings"));
    assert!(reason(&a, "ALLOWED_HOSTS").contains("no loaded .env sets it"));
    assert!(reason(&a, "SECURE_SSL_REDIRECT").contains("DJANGO_SSL_REDIRECT"));
}

#[test]
fn a_known_condition_takes_its_branch() {
    let a = fixture("conditional-known", "config.settings");
    assert_eq!(known(&a, "SECURE_SSL_REDIRECT"), PyValue::Bool(true));
    assert_eq!(known(&a, "SECURE_HSTS_SECONDS"), PyValue::Int(31_536_000));
    assert!(a.setting("SECURE_SSL_REDIRECT").notes.iter().any(|n| n.contains("`if DEBUG:`")));
}

#[test]
fn an_unknown_condition_leaves_disagreeing_values_unknown() {
    let a = fixture("conditional-unknown", "config.settings");
    let why = reason(&a, "DEBUG");
    assert!(why.contains("assigned differently under") && why.contains("DJANGO_ENV"), "{why}");
    assert_eq!(known(&a, "X_FRAME_OPTIONS"), s("DENY"));
}

#[test]
fn list_operations_give_the_final_list() {
    let a = fixture("list-operations", "config.settings");
    assert_eq!(
        known(&a, "MIDDLEWARE"),
        list(&[
            SM,
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "csp.middleware.CSPMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
            "axes.middleware.AxesMiddleware",
        ])
    );
    assert_eq!(
        known(&a, "AUTHENTICATION_BACKENDS"),
        list(&["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"])
    );
}

#[test]
fn tuple_settings_stay_tuples() {
    let a = fixture("tuples", "config.settings");
    assert_eq!(
        known(&a, "INSTALLED_APPS"),
        tuple(&[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "axes",
            "csp"
        ])
    );
    assert_eq!(known(&a, "SECURE_PROXY_SSL_HEADER"), tuple(&["HTTP_X_FORWARDED_PROTO", "https"]));
}

#[test]
fn crlf_and_a_byte_order_mark_keep_lines() {
    let a = fixture("crlf-bom", "config.settings");
    let hsts = a.setting("SECURE_HSTS_SECONDS");
    assert_eq!(hsts.value, Value::Known(PyValue::Int(31_536_000)));
    let at = hsts.assigned.expect("assigned");
    assert_eq!((at.line, at.text.as_str()), (6, "SECURE_HSTS_SECONDS = 31536000"));
}

#[test]
fn a_file_that_is_not_python_is_an_error() {
    let err = run("syntax-error", "config.settings").expect_err("a syntax error");
    assert_eq!(err.file, "/srv/app/config/settings.py");
    assert!(matches!(err.line, Some(2 | 3)), "{err}");
}

#[test]
fn decouple_reads_settings_ini_first() {
    let a = fixture("decouple-settings-ini", "config.settings");
    assert_eq!(a.dotenv_files(), ["/srv/app/settings.ini"]);
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(false));
    assert_eq!(known(&a, "ALLOWED_HOSTS"), list(&["example.com", "www.example.com"]));
    assert_eq!(known(&a, "SECURE_HSTS_SECONDS"), PyValue::Int(31_536_000));
    assert_eq!(known(&a, "SECRET_KEY").as_str().map(|k| k.ends_with("KL%")), Some(true));
}

#[test]
fn django_environ_reads_the_named_file() {
    let a = fixture("environ-read-env-path", "config.settings");
    assert_eq!(a.dotenv_files(), ["/srv/app/deploy.env"]);
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(true));
    assert_eq!(known(&a, "ALLOWED_HOSTS"), list(&["example.com", "www.example.com"]));
    assert_eq!(known(&a, "SECURE_HSTS_SECONDS"), PyValue::Int(63_072_000));
}

#[test]
fn axes_settings_and_timedelta() {
    let a = fixture("axes-timedelta", "config.settings");
    assert_eq!(known(&a, "AXES_FAILURE_LIMIT"), PyValue::Int(5));
    assert_eq!(known(&a, "AXES_COOLOFF_TIME"), PyValue::Timedelta(3600.0));
}

#[test]
fn csp_policy_dict_with_constants() {
    let a = fixture("csp-4x-dict", "config.settings");
    let policy = known(&a, "CONTENT_SECURITY_POLICY");
    let directives = policy.get("DIRECTIVES").expect("DIRECTIVES");
    assert_eq!(directives.get("script-src"), Some(&list(&["'self'"])));
    assert_eq!(directives.get("object-src"), Some(&list(&["'none'"])));
}

#[test]
fn every_fixture_is_analysed_without_panicking() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/settings");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures dir").flatten() {
        if !entry.path().is_dir() {
            continue;
        }
        let manage =
            std::fs::read_to_string(entry.path().join("srv/app/manage.py")).expect("manage.py");
        let module = manage
            .split("\"DJANGO_SETTINGS_MODULE\", \"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("module");
        let _ = run(&entry.file_name().to_string_lossy(), module);
        count += 1;
    }
    assert!(count >= 22);
}
