//! One test per construct: a small project written to a temporary root.

use std::path::{Path, PathBuf};

use super::*;
use crate::django::value::PyValue;

struct Project {
    root: tempfile::TempDir,
    site_packages: Option<PathBuf>,
}

fn project(files: &[(&str, &str)]) -> Project {
    let root = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let host = root.path().join(path.trim_start_matches('/'));
        std::fs::create_dir_all(host.parent().expect("parent")).expect("mkdir");
        std::fs::write(host, text).expect("write");
    }
    Project { root, site_packages: None }
}

impl Project {
    fn with_site_packages(mut self, packages: &[&str]) -> Project {
        let site = self.root.path().join("venv/lib/python3.12/site-packages");
        std::fs::create_dir_all(&site).expect("mkdir");
        for p in packages {
            std::fs::create_dir_all(site.join(p)).expect("mkdir");
        }
        self.site_packages = Some(site);
        self
    }

    fn try_analyze(
        &self,
        module: &str,
        env_file: Option<&str>,
    ) -> Result<SettingsAnalysis, SettingsError> {
        let target = Target::at_root(self.root.path());
        let env_file = env_file.map(Path::new);
        let input = AnalysisInput {
            target: &target,
            project_dir: Path::new("/srv/app"),
            module,
            env_file,
            site_packages: self.site_packages.clone(),
        };
        analyze(&input)
    }

    fn analyze(&self, module: &str) -> SettingsAnalysis {
        self.try_analyze(module, None).expect("analysis")
    }
}

fn settings(text: &str) -> SettingsAnalysis {
    project(&[("/srv/app/config/settings.py", text)]).analyze("config.settings")
}

fn known(a: &SettingsAnalysis, name: &str) -> PyValue {
    match a.setting(name).value {
        Value::Known(v) => v,
        Value::Unknown(reason) => panic!("{name} is unknown: {reason}"),
    }
}

fn unknown_reason(a: &SettingsAnalysis, name: &str) -> String {
    match a.setting(name).value {
        Value::Known(v) => panic!("{name} is known: {v}"),
        Value::Unknown(reason) => reason,
    }
}

fn s(text: &str) -> PyValue {
    PyValue::Str(text.to_owned())
}

fn strs(items: &[&str]) -> Vec<PyValue> {
    items.iter().map(|i| s(i)).collect()
}

#[test]
fn the_last_assignment_wins_and_is_the_evidence() {
    let a = settings("DEBUG = True\nALLOWED_HOSTS = []\nDEBUG = False\n");
    let debug = a.setting("DEBUG");
    assert_eq!(debug.value, Value::Known(PyValue::Bool(false)));
    let at = debug.assigned.expect("assigned");
    assert_eq!(
        (at.file.as_str(), at.line, at.text.as_str()),
        ("/srv/app/config/settings.py", 3, "DEBUG = False")
    );
}

#[test]
fn never_assigned_takes_the_default() {
    let a = settings("DEBUG = False\n");
    let nosniff = a.setting("SECURE_CONTENT_TYPE_NOSNIFF");
    assert_eq!(nosniff.value, Value::Known(PyValue::Bool(true)));
    assert!(nosniff.assigned.is_none());
    assert!(!a.is_assigned("SECURE_CONTENT_TYPE_NOSNIFF"));
    assert_eq!(unknown_reason(&a, "SOMETHING_ELSE"), "not set, and Django has no default for it");
}

#[test]
fn arithmetic_on_constants() {
    let a = settings("SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365\nX = 2 ** 10 - 1\nY = 7 // 2\n");
    assert_eq!(known(&a, "SECURE_HSTS_SECONDS"), PyValue::Int(31_536_000));
    assert_eq!(known(&a, "X"), PyValue::Int(1023));
    assert_eq!(known(&a, "Y"), PyValue::Int(3));
}

#[test]
fn multi_line_literals_and_annotations() {
    let a = settings(
        "ALLOWED_HOSTS: list[str] = [\n    'example.com',  # main\n    \"www.example.com\",\n]\n",
    );
    assert_eq!(
        known(&a, "ALLOWED_HOSTS"),
        PyValue::List(strs(&["example.com", "www.example.com"]))
    );
}

#[test]
fn list_operations_run_in_order() {
    let text = "MIDDLEWARE = ['a', 'common', 'c']\nMIDDLEWARE += ['d']\nMIDDLEWARE.append('e')\n\
MIDDLEWARE.insert(MIDDLEWARE.index('common') + 1, 'after-common')\nMIDDLEWARE.insert(-1, 'before-last')\n\
MIDDLEWARE.remove('a')\nMIDDLEWARE.extend(('f',))\nMIDDLEWARE.pop()\n";
    let a = settings(text);
    assert_eq!(
        known(&a, "MIDDLEWARE"),
        PyValue::List(strs(&["common", "after-common", "c", "d", "before-last", "e"]))
    );
    let m = a.setting("MIDDLEWARE");
    assert_eq!(m.assigned.expect("assigned").line, 8);
    assert!(m.related.iter().any(|l| l.line == 1));
}

#[test]
fn list_plus_tuple_raises_type_error() {
    let a = settings("A = ['x']\nDEBUG = True\nB = A + ('y',)\nDEBUG = False\n");
    assert!(a.import_failure().is_some_and(|n| n.message.contains("TypeError")));
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(true));
}

#[test]
fn tuples_concatenate_and_convert() {
    let a = settings("APPS = ('a',) + ('b',)\nL = list(APPS) + ['c']\nT = tuple(L)\nN = len(T)\n");
    assert_eq!(known(&a, "APPS"), PyValue::Tuple(strs(&["a", "b"])));
    assert_eq!(known(&a, "T"), PyValue::Tuple(strs(&["a", "b", "c"])));
    assert_eq!(known(&a, "N"), PyValue::Int(3));
}

#[test]
fn strings_concatenate_and_format() {
    let a = settings(
        "HOST = 'example.com'\nURL = 'https://' + HOST\nF = f'https://{HOST}/x'\nC = ('a' 'b')\n",
    );
    assert_eq!(known(&a, "URL"), s("https://example.com"));
    assert_eq!(known(&a, "F"), s("https://example.com/x"));
    assert_eq!(known(&a, "C"), s("ab"));
}

#[test]
fn dicts_merge_and_take_items() {
    let a = settings(
        "BASE = {'a': 1}\nD = {**BASE, 'b': 2}\nD['c'] = 3\nD['a'] = 0\nN = {'x': {'y': 1}}\nN['x']['y'] = 2\n",
    );
    assert_eq!(
        known(&a, "D"),
        PyValue::Dict(vec![
            (s("a"), PyValue::Int(0)),
            (s("b"), PyValue::Int(2)),
            (s("c"), PyValue::Int(3))
        ])
    );
    assert_eq!(
        known(&a, "N"),
        PyValue::Dict(vec![(s("x"), PyValue::Dict(vec![(s("y"), PyValue::Int(2))]))])
    );
}

#[test]
fn tuple_unpacking_and_chained_assignment() {
    let a = settings("A, B = 1, 2\nC = D = 'x'\n(E, F) = ['p', 'q']\n");
    assert_eq!(known(&a, "A"), PyValue::Int(1));
    assert_eq!(known(&a, "B"), PyValue::Int(2));
    assert_eq!(known(&a, "C"), s("x"));
    assert_eq!(known(&a, "D"), s("x"));
    assert_eq!(known(&a, "F"), s("q"));
}

#[test]
fn timedeltas_are_seconds() {
    let a = settings(
        "from datetime import timedelta\nimport datetime\nAXES_COOLOFF_TIME = timedelta(hours=1)\nX = datetime.timedelta(minutes=30)\n",
    );
    assert_eq!(known(&a, "AXES_COOLOFF_TIME"), PyValue::Timedelta(3600.0));
    assert_eq!(known(&a, "X"), PyValue::Timedelta(1800.0));
}

#[test]
fn lambdas_and_unknown_calls() {
    let a = settings("import socket\nF = lambda r: 1\nH = socket.gethostname()\n");
    assert!(matches!(known(&a, "F"), PyValue::Opaque { .. }));
    assert!(unknown_reason(&a, "H").contains("socket.gethostname"));
}

#[test]
fn comprehensions_over_known_lists() {
    let a = settings(
        "RAW = ' a.com, b.com ,,'\nALLOWED_HOSTS = [h.strip() for h in RAW.split(',') if h.strip()]\n",
    );
    assert_eq!(known(&a, "ALLOWED_HOSTS"), PyValue::List(strs(&["a.com", "b.com"])));
}

#[test]
fn crlf_and_bom_keep_line_numbers() {
    let a = settings(
        "\u{feff}# comment\r\nDEBUG = False\r\nALLOWED_HOSTS = [\r\n  'x',\r\n]\r\nSECURE_HSTS_SECONDS = 3600\r\n",
    );
    assert_eq!(a.setting("SECURE_HSTS_SECONDS").assigned.expect("assigned").line, 6);
    assert_eq!(a.setting("DEBUG").assigned.expect("assigned").text, "DEBUG = False");
    assert_eq!(known(&a, "ALLOWED_HOSTS"), PyValue::List(strs(&["x"])));
}

#[test]
fn a_syntax_error_names_the_file_and_line() {
    let p = project(&[(
        "/srv/app/config/settings.py",
        "DEBUG = False\nALLOWED_HOSTS = [\n\nX = = 1\n",
    )]);
    let err = p.try_analyze("config.settings", None).expect_err("syntax error");
    assert_eq!(err.file, "/srv/app/config/settings.py");
    assert!(err.line.is_some());
}

#[test]
fn a_missing_module_is_an_error() {
    let p = project(&[("/srv/app/manage.py", "")]);
    let err = p.try_analyze("config.settings", None).expect_err("missing");
    assert!(err.message.contains("config/settings"));
}

#[test]
fn known_conditions_take_their_branch() {
    let a = settings(
        "DEBUG = False\nif DEBUG:\n    SECURE_SSL_REDIRECT = False\nelse:\n    SECURE_SSL_REDIRECT = True\n",
    );
    let redirect = a.setting("SECURE_SSL_REDIRECT");
    assert_eq!(redirect.value, Value::Known(PyValue::Bool(true)));
    assert_eq!(redirect.assigned.expect("assigned").line, 5);
    assert!(redirect.notes.iter().any(|n| n.contains("else")));
}

#[test]
fn unknown_conditions_merge_branches() {
    let text = "import os\nif os.environ.get('STAGE') == 'prod':\n    DEBUG = False\n    X = 1\nelse:\n    DEBUG = True\n    X = 1\n";
    let a = settings(text);
    let reason = unknown_reason(&a, "DEBUG");
    assert!(reason.contains("assigned differently under"), "{reason}");
    assert!(reason.contains("STAGE"), "{reason}");
    assert_eq!(known(&a, "X"), PyValue::Int(1));
    assert!(a.setting("X").notes.iter().any(|n| n.contains("same value")));
}

#[test]
fn elif_chains() {
    let a = settings(
        "MODE = 'b'\nif MODE == 'a':\n    V = 1\nelif MODE == 'b':\n    V = 2\nelse:\n    V = 3\n",
    );
    assert_eq!(known(&a, "V"), PyValue::Int(2));
}

#[test]
fn case_a4_middleware_grown_in_debug_branches() {
    // MIDDLEWARE a tuple, `+= [...]` in the DEBUG branch (TypeError) and a
    // list conversion in the other.
    let text = "DEBUG = False\nMIDDLEWARE = (\n    \"django.middleware.common.CommonMiddleware\",\n    \"myproject.middleware.HostGateMiddleware\",\n    \"django.middleware.security.SecurityMiddleware\",\n)\nif DEBUG:\n    MIDDLEWARE += [\"debug_toolbar.middleware.DebugToolbarMiddleware\"]\nelse:\n    MIDDLEWARE = list(MIDDLEWARE)\n    MIDDLEWARE += (\"myproject.middleware.AuditMiddleware\",)\n";
    let a = settings(text);
    let m = known(&a, "MIDDLEWARE");
    assert_eq!(m.items().map(<[PyValue]>::len), Some(4));
    assert_eq!(
        m.items().and_then(|i| i
            .iter()
            .position(|x| x.as_str() == Some("django.middleware.security.SecurityMiddleware"))),
        Some(2)
    );
    assert!(a.import_failure().is_none());
    let note =
        a.notes().iter().find(|n| n.message.contains("TypeError")).expect("the dev branch noted");
    assert!(note.message.contains("if DEBUG:"), "{}", note.message);
    assert_eq!(note.location.as_ref().map(|l| l.line), Some(8));
}

#[test]
fn a_raising_branch_under_an_unknown_condition_is_noted() {
    let text =
        "import os\nMIDDLEWARE = ('a',)\nif os.environ.get('DEV'):\n    MIDDLEWARE += ['b']\n";
    let a = settings(text);
    assert_eq!(known(&a, "MIDDLEWARE"), PyValue::Tuple(strs(&["a"])));
    assert!(a.notes().iter().any(|n| n.message.contains("TypeError")), "{:?}", a.notes());
}

#[test]
fn case_a5_insert_after_index_and_legacy_name() {
    let base = "MIDDLEWARE = [\n    'django.contrib.sessions.middleware.SessionMiddleware',\n    'django.middleware.common.CommonMiddleware',\n]\n";
    let production = "from .base import *\nMIDDLEWARE_CLASSES = ('django.middleware.security.SecurityMiddleware',) + tuple(MIDDLEWARE)\npos = MIDDLEWARE.index('django.middleware.common.CommonMiddleware')\nMIDDLEWARE.insert(pos, 'whitenoise.middleware.WhiteNoiseMiddleware')\nSECURE_SSL_REDIRECT = True\nSECURE_HSTS_SECONDS = 31536000\n";
    let p = project(&[
        ("/srv/app/myproject/__init__.py", ""),
        ("/srv/app/myproject/settings/__init__.py", ""),
        ("/srv/app/myproject/settings/base.py", base),
        ("/srv/app/myproject/settings/production.py", production),
    ]);
    let a = p.analyze("myproject.settings.production");
    let m = known(&a, "MIDDLEWARE");
    assert!(m.contains_str("whitenoise.middleware.WhiteNoiseMiddleware"));
    assert!(!m.contains_str("django.middleware.security.SecurityMiddleware"));
    assert_eq!(
        m.items().map(|i| i[1].clone()),
        Some(s("whitenoise.middleware.WhiteNoiseMiddleware"))
    );
    assert!(a.notes().iter().any(|n| n.message.contains("MIDDLEWARE_CLASSES is ignored")));
    assert_eq!(a.files().len(), 4);
}

#[test]
fn case_a1_override_that_fails_to_import_applies_not_at_all() {
    // production star-imports base, switches DEBUG on, then star-imports an
    // optional local.py whose own import fails.
    let p = project(&[
        ("/srv/app/myproject/__init__.py", ""),
        ("/srv/app/myproject/settings/__init__.py", ""),
        ("/srv/app/myproject/settings/base.py", "DEBUG = False\nSECURE_SSL_REDIRECT = True\n"),
        (
            "/srv/app/myproject/settings/production.py",
            "from .base import *\nDEBUG = True            # leftover from an incident\ntry:\n    from .local import *\nexcept ImportError:\n    pass\n",
        ),
        ("/srv/app/myproject/settings/local.py", "SECURE_SSL_REDIRECT = False\nimport myproject_missing_helper   # not installed\n"),
    ])
    .with_site_packages(&["django"]);
    let a = p.analyze("myproject.settings.production");
    let debug = a.setting("DEBUG");
    assert_eq!(debug.value, Value::Known(PyValue::Bool(true)));
    assert_eq!(debug.assigned.expect("assigned").file, "/srv/app/myproject/settings/production.py");
    let redirect = a.setting("SECURE_SSL_REDIRECT");
    assert_eq!(redirect.value, Value::Known(PyValue::Bool(true)));
    assert_eq!(redirect.assigned.expect("assigned").file, "/srv/app/myproject/settings/base.py");
    let note = a
        .notes()
        .iter()
        .find(|n| n.message.contains("swallows"))
        .expect("a note on the swallowed import");
    assert!(note.message.contains("myproject_missing_helper"), "{}", note.message);
}

#[test]
fn an_optional_override_that_imports_applies() {
    let p = project(&[
        ("/srv/app/config/__init__.py", ""),
        (
            "/srv/app/config/settings/__init__.py",
            "from .base import *\ntry:\n    from .local import *\nexcept ImportError:\n    pass\n",
        ),
        ("/srv/app/config/settings/base.py", "DEBUG = False\n"),
        ("/srv/app/config/settings/local.py", "import os\nDEBUG = True\n"),
    ]);
    let a = p.analyze("config.settings");
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(true));
    assert_eq!(a.module_file(), "/srv/app/config/settings/__init__.py");
}

#[test]
fn a_missing_optional_override_is_skipped() {
    let p = project(&[
        (
            "/srv/app/config/settings/__init__.py",
            "from config.settings.base import *\ntry:\n    from .local import *\nexcept ModuleNotFoundError:\n    pass\n",
        ),
        ("/srv/app/config/settings/base.py", "DEBUG = False\n"),
    ]);
    let a = p.analyze("config.settings");
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(false));
}

#[test]
fn os_environ_without_a_loaded_env_is_unknown() {
    let a = settings(
        "import os\nSECRET_KEY = os.environ['DJANGO_SECRET_KEY']\nDEBUG = os.environ.get('DJANGO_DEBUG', 'False') == 'True'\n",
    );
    assert_eq!(
        unknown_reason(&a, "SECRET_KEY"),
        "reads DJANGO_SECRET_KEY from the environment, and no loaded .env sets it"
    );
    // A default in the code does not make it known: the process environment
    // may set the variable (DESIGN.md: never guess).
    assert!(unknown_reason(&a, "DEBUG").contains("reads DJANGO_DEBUG from the environment"));
    assert!(a.setting("SECRET_KEY").secret);
}

#[test]
fn load_dotenv_with_a_path_supplies_values() {
    let settings_py = "import os\nfrom pathlib import Path\nfrom dotenv import load_dotenv\nBASE_DIR = Path(__file__).resolve().parent.parent\nload_dotenv(BASE_DIR / '.env')\nSECRET_KEY = os.environ['DJANGO_SECRET_KEY']\nDEBUG = os.getenv('DJANGO_DEBUG', 'false').lower() in ('1', 'true')\nALLOWED_HOSTS = os.environ.get('ALLOWED_HOSTS', '').split(',')\n";
    let p = project(&[
        ("/srv/app/config/settings.py", settings_py),
        (
            "/srv/app/.env",
            "DJANGO_SECRET_KEY='abc${X}def'\nexport DJANGO_DEBUG=True\nALLOWED_HOSTS=example.com,www.example.com\n",
        ),
    ]);
    let a = p.analyze("config.settings");
    assert_eq!(a.dotenv_files(), ["/srv/app/.env"]);
    assert_eq!(known(&a, "SECRET_KEY"), s("abcdef"));
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(true));
    assert_eq!(
        known(&a, "ALLOWED_HOSTS"),
        PyValue::List(strs(&["example.com", "www.example.com"]))
    );
    let key = a.setting("SECRET_KEY");
    let env_line = key.related.iter().find(|l| l.file == "/srv/app/.env").expect("the .env line");
    assert_eq!(env_line.line, 1);
    assert!(!env_line.text.contains("abc"));
}

#[test]
fn load_dotenv_without_a_path_walks_up_from_the_settings_file() {
    let p = project(&[
        (
            "/srv/app/config/settings.py",
            "import os\nfrom dotenv import load_dotenv\nload_dotenv()\nDEBUG = os.environ.get('DEBUG') == '1'\n",
        ),
        ("/srv/app/.env", "DEBUG=1\n"),
    ]);
    let a = p.analyze("config.settings");
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(true));
}

#[test]
fn a_dotenv_the_settings_never_load_is_not_used() {
    let p = project(&[
        ("/srv/app/config/settings.py", "import os\nDEBUG = os.environ['DEBUG']\n"),
        ("/srv/app/.env", "DEBUG=1\n"),
    ]);
    let a = p.analyze("config.settings");
    assert!(unknown_reason(&a, "DEBUG").contains("no loaded .env"));
    assert!(a.dotenv_files().is_empty());
}

#[test]
fn env_file_is_the_whole_process_environment() {
    let p = project(&[
        (
            "/srv/app/config/settings.py",
            "import os\nDEBUG = os.environ.get('DEBUG', '0') == '1'\nHOST = os.environ.get('HOST', 'x')\n",
        ),
        ("/etc/app.env", "DEBUG=1\n"),
    ]);
    let a = p.try_analyze("config.settings", Some("/etc/app.env")).expect("analysis");
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(true));
    assert_eq!(known(&a, "HOST"), s("x"));
    assert!(a.setting("HOST").notes.is_empty());
}

#[test]
fn case_a3_django_environ_call_forms() {
    let settings_py = "import environ\nenv = environ.Env(MYPROJECT_HSTS_PRELOAD=(bool, False))\nenviron.Env.read_env()\nDEBUG = env(\"MYPROJECT_DEBUG\", default=False)\nSECURE_SSL_REDIRECT = env.bool(\"MYPROJECT_SSL_REDIRECT\", default=True)\nSECURE_HSTS_PRELOAD = env(\"MYPROJECT_HSTS_PRELOAD\")\nSECRET_KEY = env(\"MYPROJECT_SECRET_KEY\", default=\"dev-only-placeholder\")\nHOSTS = env.list('HOSTS', default=[])\nN = env.int('N', default=5)\n";
    let dotenv = "MYPROJECT_DEBUG=False\nMYPROJECT_SSL_REDIRECT=enabled\nMYPROJECT_HSTS_PRELOAD=yes\nMYPROJECT_SECRET_KEY=$placeholder-not-a-real-key\nHOSTS=a.com,b.com\n";
    let p =
        project(&[("/srv/app/config/settings.py", settings_py), ("/srv/app/config/.env", dotenv)]);
    let a = p.analyze("config.settings");
    assert_eq!(a.dotenv_files(), ["/srv/app/config/.env"]);
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(false));
    assert!(a.setting("DEBUG").notes.iter().any(|n| n.contains("smart_cast")));
    assert_eq!(known(&a, "SECURE_SSL_REDIRECT"), PyValue::Bool(false));
    assert_eq!(known(&a, "SECURE_HSTS_PRELOAD"), PyValue::Bool(true));
    // `$placeholder-…` names another variable, which nothing sets.
    assert!(unknown_reason(&a, "SECRET_KEY").contains("placeholder-not-a-real-key"));
    assert!(a.notes().iter().any(|n| n.message.contains("starts with `$`")));
    assert!(a.notes().iter().any(|n| n.message.contains("falls back to a literal")));
    assert!(matches!(a.literal("SECRET_KEY"), Some(LiteralKind::Fallback { .. })));
    assert_eq!(known(&a, "HOSTS"), PyValue::List(strs(&["a.com", "b.com"])));
    assert!(unknown_reason(&a, "N").contains("no loaded .env sets it"));
}

#[test]
fn case_a3_decouple_without_cast_keeps_the_string() {
    let settings_py = "from decouple import config, Csv\nSESSION_COOKIE_SECURE = config('MYPROJECT_SECURE_COOKIE', default=True)\nDEBUG = config('DEBUG', default=False, cast=bool)\nALLOWED_HOSTS = config('HOSTS', cast=Csv())\nN = config('N', default=3, cast=int)\n";
    let p = project(&[
        ("/srv/app/config/settings.py", settings_py),
        ("/srv/app/.env", "MYPROJECT_SECURE_COOKIE=False\nDEBUG = off\nHOSTS=\"a.com, b.com\"\n"),
    ]);
    let a = p.analyze("config.settings");
    assert_eq!(known(&a, "SESSION_COOKIE_SECURE"), s("False"));
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(false));
    assert_eq!(known(&a, "ALLOWED_HOSTS"), PyValue::List(strs(&["a.com", "b.com"])));
    // N is not in the .env: its default applies only if the process
    // environment does not set it, which static analysis cannot know.
    assert!(unknown_reason(&a, "N").contains("the default written in the settings"));
}

#[test]
fn decouple_prefers_settings_ini() {
    let p = project(&[
        (
            "/srv/app/config/settings.py",
            "from decouple import config\nDEBUG = config('DEBUG', cast=bool)\n",
        ),
        ("/srv/app/settings.ini", "[settings]\nDEBUG=True\n"),
        ("/srv/app/.env", "DEBUG=False\n"),
    ]);
    let a = p.analyze("config.settings");
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(true));
    assert_eq!(a.dotenv_files(), ["/srv/app/settings.ini"]);
}

#[test]
fn case_e6_literal_fallback_for_the_secret_key() {
    let a = settings(
        "import os\nSECRET_KEY = os.environ.get(\n    \"MYPROJECT_SECRET_KEY\",\n    \"placeholder-0123456789abcdefghijklmnopqrstuvwxyzABCD\",\n)\n",
    );
    let key = a.setting("SECRET_KEY");
    assert!(key.secret);
    // No .env sets the variable: the value is unknown, the literal is flagged.
    assert!(unknown_reason(&a, "SECRET_KEY").contains("MYPROJECT_SECRET_KEY"));
    assert!(matches!(a.literal("SECRET_KEY"), Some(LiteralKind::Fallback { .. })));
    assert!(a.notes().iter().any(|n| n.message.contains("falls back to a literal")));
    for text in a.notes().iter().map(|n| n.message.clone()).chain(key.notes.clone()) {
        assert!(!text.contains("placeholder-0123"), "{text}");
    }
}

#[test]
fn a_literal_secret_is_redacted_in_evidence() {
    let a = settings("SECRET_KEY = 'django-insecure-abcdefghijklmnop'\n");
    let key = a.setting("SECRET_KEY");
    assert!(!key.assigned.expect("assigned").text.contains("insecure"));
    assert!(matches!(a.literal("SECRET_KEY"), Some(LiteralKind::Assigned(_))));
}

#[test]
fn paths_resolve_with_os_path() {
    let p = project(&[
        (
            "/srv/app/config/settings.py",
            "import os\nfrom dotenv import load_dotenv\nBASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\nload_dotenv(os.path.join(BASE_DIR, '.env'))\nDEBUG = os.environ['DEBUG'] == 'yes'\nSTATIC_ROOT = os.path.join(BASE_DIR, 'static')\n",
        ),
        ("/srv/app/.env", "DEBUG=yes\n"),
    ]);
    let a = p.analyze("config.settings");
    assert_eq!(known(&a, "BASE_DIR"), s("/srv/app"));
    assert_eq!(known(&a, "STATIC_ROOT"), s("/srv/app/static"));
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(true));
}

#[test]
fn bool_of_a_string_is_true() {
    let p = project(&[
        (
            "/srv/app/config/settings.py",
            "import os\nfrom dotenv import load_dotenv\nload_dotenv('/srv/app/.env')\nDEBUG = bool(os.environ['DEBUG'])\nN = int(os.environ['N'])\n",
        ),
        ("/srv/app/.env", "DEBUG=False\nN= 42\n"),
    ]);
    let a = p.analyze("config.settings");
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(true));
    assert_eq!(known(&a, "N"), PyValue::Int(42));
}

#[test]
fn for_loops_over_known_lists_unroll() {
    let a = settings(
        "APPS = []\nfor app in ['a', 'b']:\n    APPS.append(app)\nimport os\nfor x in os.environ['X'].split(','):\n    APPS.append(x)\n",
    );
    assert!(unknown_reason(&a, "APPS").contains('X'));
}

#[test]
fn while_loops_make_their_targets_unknown() {
    let a = settings("N = 0\nwhile N < 3:\n    N += 1\n");
    assert!(unknown_reason(&a, "N").contains("while"));
}

#[test]
fn star_import_cycles_end() {
    let p = project(&[
        ("/srv/app/config/settings/__init__.py", "from .a import *\nDEBUG = False\n"),
        ("/srv/app/config/settings/a.py", "from .b import *\nX = 1\n"),
        ("/srv/app/config/settings/b.py", "from .a import *\nY = 2\n"),
    ]);
    let a = p.analyze("config.settings");
    assert_eq!(known(&a, "X"), PyValue::Int(1));
    assert_eq!(known(&a, "Y"), PyValue::Int(2));
}

#[test]
fn sys_path_inserts_extend_imports() {
    let p = project(&[
        (
            "/srv/app/config/settings.py",
            "import sys\nsys.path.insert(0, '/srv/shared')\nfrom common_settings import *\n",
        ),
        ("/srv/shared/common_settings.py", "DEBUG = False\n"),
    ])
    .with_site_packages(&[]);
    let a = p.analyze("config.settings");
    assert_eq!(known(&a, "DEBUG"), PyValue::Bool(false));
}

#[test]
fn csp_constants_are_strings() {
    let a = settings(
        "from csp.constants import SELF, NONCE\nCONTENT_SECURITY_POLICY = {'DIRECTIVES': {'default-src': [SELF], 'script-src': [SELF, NONCE]}}\n",
    );
    let policy = known(&a, "CONTENT_SECURITY_POLICY");
    let directives = policy.get("DIRECTIVES").expect("directives");
    assert_eq!(directives.get("default-src"), Some(&PyValue::List(strs(&["'self'"]))));
}

#[test]
fn deep_nesting_does_not_overflow() {
    let deep = format!("X = {}1{}\n", "(".repeat(400), ")".repeat(400));
    let p = project(&[("/srv/app/config/settings.py", deep.as_str())]);
    let _ = p.try_analyze("config.settings", None);
}

#[test]
fn a_secret_read_from_a_plainly_named_variable_is_redacted() {
    let p = project(&[
        (
            "/srv/app/config/settings.py",
            "import os\nfrom dotenv import load_dotenv\nload_dotenv('/srv/app/.env')\nSECRET_KEY = os.environ['DJANGO_KEY']\n",
        ),
        ("/srv/app/.env", "DJANGO_KEY=hunter2hunter2\n"),
    ]);
    let a = p.analyze("config.settings");
    let key = a.setting("SECRET_KEY");
    assert_eq!(key.related.len(), 1);
    assert_eq!(key.related[0].text, "DJANGO_KEY= «redacted»");
}

#[test]
fn nested_loops_stay_within_the_budget() {
    let started = std::time::Instant::now();
    let a = settings(
        "X = []\nfor i in range(1000):\n    for j in range(1000):\n        X.append(j)\nDEBUG = False\n",
    );
    assert!(started.elapsed().as_secs() < 20);
    let _ = a.setting("X");
}

#[test]
fn deeply_nested_blocks_end() {
    let mut text = String::new();
    for depth in 0..100 {
        text.push_str(&"    ".repeat(depth));
        text.push_str("if True:\n");
    }
    text.push_str(&"    ".repeat(100));
    text.push_str("DEBUG = True\n");
    let a = settings(&text);
    assert!(unknown_reason(&a, "DEBUG").contains("nested too deeply"));
}

#[test]
fn thousands_of_parentheses_do_not_overflow() {
    let deep = format!("X = {}1{}\nDEBUG = False\n", "(".repeat(3000), ")".repeat(3000));
    let p = project(&[("/srv/app/config/settings.py", deep.as_str())]);
    let _ = p.try_analyze("config.settings", None);
}

#[test]
fn a_cookiecutter_shaped_production_module() {
    // base.py builds an Env, may read a .env, production.py rebinds through it.
    let base = "from pathlib import Path\nimport environ\n\nBASE_DIR = Path(__file__).resolve(strict=True).parent.parent.parent\nAPPS_DIR = BASE_DIR / \"myproject\"\nenv = environ.Env()\n\nREAD_DOT_ENV_FILE = env.bool(\"DJANGO_READ_DOT_ENV_FILE\", default=True)\nif READ_DOT_ENV_FILE:\n    env.read_env(str(BASE_DIR / \".env\"))\n\nDEBUG = env.bool(\"DJANGO_DEBUG\", False)\nDATABASES = {\"default\": env.db(\"DATABASE_URL\")}\nDATABASES[\"default\"][\"ATOMIC_REQUESTS\"] = True\nMIDDLEWARE = [\n    \"django.middleware.security.SecurityMiddleware\",\n    \"django.contrib.sessions.middleware.SessionMiddleware\",\n]\nSTORAGES = {\"default\": {\"BACKEND\": \"x\"}}\n";
    let production = "from .base import *  # noqa\nfrom .base import env\n\nSECRET_KEY = env(\"DJANGO_SECRET_KEY\")\nALLOWED_HOSTS = env.list(\"DJANGO_ALLOWED_HOSTS\", default=[\"example.com\"])\nSECURE_PROXY_SSL_HEADER = (\"HTTP_X_FORWARDED_PROTO\", \"https\")\nSECURE_SSL_REDIRECT = env.bool(\"DJANGO_SECURE_SSL_REDIRECT\", default=True)\nSECURE_HSTS_SECONDS = env.int(\"DJANGO_SECURE_HSTS_SECONDS\", default=60)\nSECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(\"DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS\", default=True)\nSTORAGES[\"staticfiles\"] = {\"BACKEND\": \"whitenoise.storage.CompressedManifestStaticFilesStorage\"}\nMIDDLEWARE.insert(1, \"whitenoise.middleware.WhiteNoiseMiddleware\")\nimport sentry_sdk\nsentry_sdk.init(dsn=env(\"SENTRY_DSN\"), traces_sample_rate=env.float(\"SENTRY_TRACES_SAMPLE_RATE\", default=0.0))\nif os.getenv('DEBUG'):\n    MIDDLEWARE.insert(0, 'kolo.middleware.KoloMiddleware')\n";
    let p = project(&[
        ("/srv/app/myproject/__init__.py", ""),
        ("/srv/app/config/__init__.py", ""),
        ("/srv/app/config/settings/__init__.py", ""),
        ("/srv/app/config/settings/base.py", base),
        ("/srv/app/config/settings/production.py", production),
        ("/srv/app/.env", "DJANGO_SECURE_HSTS_SECONDS=31536000\nDJANGO_DEBUG=no\n"),
    ]);
    let a = p.analyze("config.settings.production");
    assert_eq!(a.dotenv_files(), ["/srv/app/.env"]);
    // Whether the .env is read depends on DJANGO_READ_DOT_ENV_FILE, which no
    // .env sets: what it holds cannot be relied on.
    assert!(unknown_reason(&a, "DEBUG").contains("branches of an `if`"));
    assert!(unknown_reason(&a, "SECURE_HSTS_SECONDS").contains("DJANGO_SECURE_HSTS_SECONDS"));
    // Not in the .env: the defaults in the code apply only if the process
    // environment does not set them, which cannot be known.
    assert!(unknown_reason(&a, "SECURE_SSL_REDIRECT").contains("DJANGO_SECURE_SSL_REDIRECT"));
    assert!(unknown_reason(&a, "ALLOWED_HOSTS").contains("DJANGO_ALLOWED_HOSTS"));
    assert!(unknown_reason(&a, "SECRET_KEY").contains("DJANGO_SECRET_KEY"));
    // `os` is imported in neither file: the last `if` raises NameError, as
    // it would in Python, and the values are those before it.
    assert!(a.import_failure().is_some_and(|n| n.message.contains("NameError")));
    assert!(known(&a, "MIDDLEWARE").contains_str("whitenoise.middleware.WhiteNoiseMiddleware"));
    assert!(a.setting("STORAGES").known().is_some_and(|s| s.get("staticfiles").is_some()));
}

#[test]
fn an_undefined_name_is_a_name_error_unless_names_are_opaque() {
    let a = settings("DEBUG = UNDEFINED_FLAG\n");
    assert!(a.import_failure().is_some_and(|n| n.message.contains("NameError")));
    let b = settings("from somewhere_external import *\nDEBUG = UNDEFINED_FLAG\n");
    assert!(b.import_failure().is_none());
    assert!(unknown_reason(&b, "DEBUG").contains("UNDEFINED_FLAG"));
    let c = settings("with open('/etc/key') as fh:\n    SECRET_KEY = fh.read().strip()\n");
    assert!(c.import_failure().is_none());
    assert!(matches!(c.setting("SECRET_KEY").value, Value::Unknown(_)));
}

#[test]
fn del_removes_items() {
    let a = settings("M = ['a', 'b', 'c']\ndel M[0]\nD = {'x': 1, 'y': 2}\ndel D['x']\n");
    assert_eq!(known(&a, "M"), PyValue::List(strs(&["b", "c"])));
    assert_eq!(known(&a, "D"), PyValue::Dict(vec![(s("y"), PyValue::Int(2))]));
}

#[test]
fn nested_items_change_in_place() {
    let a = settings(
        "TEMPLATES = [{'OPTIONS': {'context_processors': ['a']}}]\nTEMPLATES[0]['OPTIONS']['context_processors'].append('b')\n",
    );
    let t = known(&a, "TEMPLATES");
    let cps = t
        .items()
        .and_then(|i| i[0].get("OPTIONS"))
        .and_then(|o| o.get("context_processors"))
        .cloned();
    assert_eq!(cps, Some(PyValue::List(strs(&["a", "b"]))));
}
