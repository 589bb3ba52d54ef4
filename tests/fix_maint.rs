//! The maintenance fixes on a copy of the bundled demo site: each plan is
//! applied through the real pipeline (backups, atomic writes, the owning
//! program's validation, the item's own probe), passes, plans nothing the
//! second time, and rolls back byte for byte with modes and owners. The
//! rotated key is checked by Django itself and read back by python-dotenv,
//! django-environ and decouple; no key reaches any text portcullis shows.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use portcullis::checklist::{self, Checklist};
use portcullis::finding::Status;
use portcullis::fix::apply::{AppliedPlan, restore};
use portcullis::fix::checks::TargetChecks;
use portcullis::fix::maint::{MaintPlanning, rotation_recorded};
use portcullis::fix::{Plan, Step};
use portcullis::layers::Layers;
use portcullis::probe::{self, Context, RunOptions};
use portcullis::target::Target;

const OPTIONS: RunOptions = RunOptions { offline: true, evaluate: false };

/// The virtual environment with Django, python-dotenv, django-environ and
/// decouple that the test setup makes.
fn test_python() -> PathBuf {
    let python = std::env::var_os("PORTCULLIS_TEST_PYTHON").map(PathBuf::from).unwrap_or_default();
    assert!(
        python.is_file(),
        "PORTCULLIS_TEST_PYTHON does not name an interpreter: run scripts/test-setup.sh (it creates \
         .venv-test with Django, python-dotenv, django-environ and python-decouple) and export what it prints"
    );
    python
}

struct Demo {
    dir: tempfile::TempDir,
    target: Target,
    checklist: Checklist,
}

type Snapshot = BTreeMap<PathBuf, (Vec<u8>, u32, u32, u32)>;

impl Demo {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("root");
        portcullis::demo::unpack(&root).expect("demo unpacks");
        let mut target = Target::at_root(&root);
        target.project = Some(PathBuf::from("/srv/aijack"));
        target.settings = Some("config.settings".to_owned());
        let checklist = checklist::load(&[] as &[&Path]).expect("checklist");
        Demo { dir, target, checklist }
    }

    fn path(&self, inside: &str) -> PathBuf {
        self.target.host_path(inside)
    }

    fn write(&self, inside: &str, text: &str) {
        let path = self.path(inside);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }

    fn read(&self, inside: &str) -> String {
        fs::read_to_string(self.path(inside)).expect("read")
    }

    fn backups(&self) -> PathBuf {
        self.dir.path().join("backups")
    }

    fn context(&self) -> Context {
        let layers = Layers::load(&self.target, OPTIONS).expect("layers");
        Context { target: self.target.clone(), options: OPTIONS, layers }
    }

    fn status(&self, id: &str) -> (Status, String) {
        let item = self.checklist.item(id).expect("item");
        let finding = probe::run(item, &self.context());
        (finding.status, finding.summary)
    }

    fn plan(&self, id: &str) -> Result<Plan, String> {
        let ctx = self.context();
        let facts = ctx.layers.django().expect("the demo has a Django project");
        let planning = MaintPlanning {
            target: &self.target,
            facts,
            apache: ctx.layers.apache().ok(),
            staged: false,
        };
        let item = self.checklist.item(id).expect("item");
        match planning.plan(item) {
            Ok(Some(plan)) => Ok(plan),
            Ok(None) => Err(format!("no maintenance plan for {id}")),
            Err(err) => Err(err.to_string()),
        }
    }

    fn apply(&self, plan: &Plan) -> Result<AppliedPlan, String> {
        let mut on_step = |_: Step, _: &str| {};
        let mut checks = TargetChecks {
            target: &self.target,
            checklist: &self.checklist,
            options: OPTIONS,
            on_step: &mut on_step,
        };
        portcullis::fix::apply(plan, &self.target, &self.backups(), &mut checks)
            .map_err(|err| err.to_string())
    }

    /// Every file of the tree with its bytes, mode and owner.
    fn snapshot(&self) -> Snapshot {
        let mut files = BTreeMap::new();
        let mut stack = vec![self.target.root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).expect("read dir").flatten() {
                let path = entry.path();
                let meta = fs::symlink_metadata(&path).expect("meta");
                if meta.is_dir() {
                    stack.push(path);
                } else {
                    let bytes = if meta.file_type().is_symlink() {
                        fs::read_link(&path).expect("link").into_os_string().into_encoded_bytes()
                    } else {
                        fs::read(&path).expect("read")
                    };
                    files.insert(path, (bytes, meta.mode(), meta.uid(), meta.gid()));
                }
            }
        }
        files
    }

    /// Plans, applies, checks that the item passes and that a second plan
    /// is empty, rolls back and checks the tree is as it was.
    fn fix_and_roll_back(&self, id: &str) -> (Plan, AppliedPlan) {
        assert_eq!(self.status(id).0, Status::Fail, "{id} fails first: {}", self.status(id).1);
        let before = self.snapshot();
        let plan = self.plan(id).expect("a plan");
        assert!(!plan.is_empty(), "{id}: the plan changes something:\n{}", plan.render());
        let applied =
            self.apply(&plan).unwrap_or_else(|err| panic!("{id}: {err}\n{}", plan.render()));
        let (status, summary) = self.status(id);
        assert_eq!(status, Status::Pass, "{id} passes after the fix: {summary}");
        let again = self.plan(id).expect("a second plan");
        assert!(again.is_empty(), "{id}: the second plan is empty:\n{}", again.render());
        restore(&applied.backups, false).expect("rolls back");
        assert_eq!(
            self.snapshot(),
            before,
            "{id}: the rollback restores every byte, mode and owner"
        );
        self.apply(&plan).unwrap_or_else(|err| panic!("{id} applies again: {err}"));
        (plan, applied)
    }
}

/// The lines of `text` that `keep` accepts, each ending in a newline.
fn keep_lines(text: &str, keep: impl Fn(&str) -> bool) -> String {
    let mut out = String::new();
    for line in text.lines().filter(|l| keep(l)) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("meta").permissions().mode() & 0o7777
}

/// The demo's key, from its .env.
fn demo_key(demo: &Demo) -> String {
    env_value(&demo.read("/srv/aijack/.env"), "DJANGO_SECRET_KEY")
}

fn env_value(text: &str, name: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .map_or_else(|| panic!("no {name} in the .env"), |v| v.trim_matches('\'').to_owned())
}

/// What each library reads for `variable` from the `.env` at `file`.
fn read_by_libraries(file: &Path, variable: &str) -> BTreeMap<&'static str, String> {
    let python = test_python();
    let dir = file.parent().expect("dir");
    let scripts = [
        (
            "python-dotenv",
            "import sys\nfrom dotenv import dotenv_values\nsys.stdout.write(dotenv_values(sys.argv[1])[sys.argv[2]])",
        ),
        (
            "django-environ",
            "import sys, environ\nenv = environ.Env()\nenviron.Env.read_env(sys.argv[1], overwrite=True)\nsys.stdout.write(env(sys.argv[2]))",
        ),
        (
            "decouple",
            "import sys\nfrom decouple import Config, RepositoryEnv\nsys.stdout.write(Config(RepositoryEnv(sys.argv[1]))(sys.argv[2]))",
        ),
    ];
    let mut out = BTreeMap::new();
    for (library, script) in scripts {
        let run = Command::new(&python)
            .args(["-c", script])
            .arg(file)
            .arg(variable)
            .current_dir(dir)
            .env_remove(variable)
            .output()
            .expect("python runs");
        assert!(run.status.success(), "{library}: {}", String::from_utf8_lossy(&run.stderr));
        out.insert(library, String::from_utf8_lossy(&run.stdout).into_owned());
    }
    out
}

/// Django's own deploy check on the project, as the site would run it.
fn deploy_check(demo: &Demo) -> String {
    let out = Command::new(test_python())
        .args(["manage.py", "check", "--deploy"])
        .current_dir(demo.path("/srv/aijack"))
        .env_remove("DJANGO_SECRET_KEY")
        .env_remove("DJANGO_SECRET_KEY_FALLBACKS")
        .output()
        .expect("manage.py runs");
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("System check identified"), "manage.py check ran:\n{text}");
    text
}

/// Every text a plan shows or the journal keeps.
fn shown_texts(plan: &Plan, applied: &AppliedPlan) -> String {
    let entry = portcullis::fix::run::journal_entry(applied);
    format!(
        "{}\n{}\n{}\n{}",
        plan.render(),
        plan.title,
        plan.warnings.join("\n"),
        serde_json::to_string(&entry).expect("json")
    )
}

/// Every file written outside the target but for the backup copies.
fn files_outside_target(demo: &Demo) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![demo.dir.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path == demo.target.root {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_none_or(|e| e != "orig") {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn pip_audit_is_added_to_the_requirements() {
    let demo = Demo::new();
    let (plan, _) = demo.fix_and_roll_back("maint.pip-audit-listed");
    assert_eq!(plan.edits[0].path, "/srv/aijack/requirements.txt");
    assert!(
        demo.read("/srv/aijack/requirements.txt").ends_with("sqlparse==0.5.3\npip-audit==2.10.1\n")
    );
}

#[test]
fn a_workflow_that_installs_the_requirements_gets_a_pip_audit_step() {
    let demo = Demo::new();
    demo.write(
        "/srv/aijack/.github/workflows/test.yml",
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: pip install -r requirements.txt\n      - run: python manage.py test\n",
    );
    let (plan, _) = demo.fix_and_roll_back("maint.pip-audit-ci");
    assert_eq!(plan.edits[0].path, "/srv/aijack/.github/workflows/test.yml");
    let text = demo.read("/srv/aijack/.github/workflows/test.yml");
    assert!(
        text.contains("      - run: pip install -r requirements.txt\n      - name: Audit dependencies with pip-audit\n        run: |\n          python -m pip install pip-audit\n          pip-audit -r requirements.txt\n      - run: python manage.py test\n"),
        "{text}"
    );
}

/// Rotates the key of `demo`, checks it with Django and the three
/// libraries, greps every text shown for both keys, and rolls back.
/// `keeps_old` says whether the old key stays as a fallback.
fn rotate_and_check(demo: &Demo, keeps_old: bool) {
    let python = test_python();
    let old = demo_key(demo);
    let before = demo.snapshot();

    let plan = demo.plan("maint.secret-key-strength").expect("a plan");
    assert!(plan.blocked.is_none(), "{}", plan.render());
    let rendered = plan.render();
    assert!(
        rendered.contains("-DJANGO_SECRET_KEY= «redacted»\n+DJANGO_SECRET_KEY= «redacted»\n"),
        "the operator sees which line changes:\n{rendered}"
    );
    let applied = demo.apply(&plan).unwrap_or_else(|err| panic!("{err}\n{}", plan.render()));

    let env = demo.read("/srv/aijack/.env");
    let new = env_value(&env, "DJANGO_SECRET_KEY");
    assert_ne!(new, old);
    assert_eq!(new.len(), 64);
    for id in ["maint.secret-key-strength", "maint.secret-key-source"] {
        assert_eq!(demo.status(id).0, Status::Pass, "{id}: {}", demo.status(id).1);
    }

    // Django's own check, and what Django reads.
    let check = deploy_check(demo);
    assert!(!check.contains("security.W009"), "{check}");
    assert!(!check.contains("security.W025"), "{check}");
    let settings = Command::new(&python)
        .args([
            "-c",
            "import os, django\nos.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'\nfrom django.conf import settings\nprint(settings.SECRET_KEY)\nprint(','.join(getattr(settings, 'SECRET_KEY_FALLBACKS')))",
        ])
        .current_dir(demo.path("/srv/aijack"))
        .env_remove("DJANGO_SECRET_KEY")
        .env_remove("DJANGO_SECRET_KEY_FALLBACKS")
        .output()
        .expect("python runs");
    let printed = String::from_utf8_lossy(&settings.stdout).into_owned();
    let fallbacks = if keeps_old { old.clone() } else { String::new() };
    assert_eq!(
        printed,
        format!("{new}\n{fallbacks}\n"),
        "{}",
        String::from_utf8_lossy(&settings.stderr)
    );
    if keeps_old {
        assert_eq!(env_value(&env, "DJANGO_SECRET_KEY_FALLBACKS"), old);
        let staged = plan.staged.clone().expect("dropping the fallback is a staged step");
        assert_eq!(staged.next_after_days, 14, "Django's default session lifetime");
    } else {
        assert!(!env.contains("DJANGO_SECRET_KEY_FALLBACKS"), "a weak key is not kept");
        assert!(plan.warnings.iter().any(|w| w.contains("not kept as a fallback")));
    }

    // Each library reads the key exactly as written.
    let env_file = demo.path("/srv/aijack/.env");
    for (library, value) in read_by_libraries(&env_file, "DJANGO_SECRET_KEY") {
        assert_eq!(value, new, "{library} reads the new key");
    }

    // No key in anything shown, journaled or written outside the target.
    let shown = shown_texts(&plan, &applied);
    for key in [&old, &new] {
        assert!(!shown.contains(key.as_str()), "a key in the plan's texts:\n{shown}");
        for file in files_outside_target(demo) {
            let bytes = fs::read(&file).expect("read");
            assert!(
                !String::from_utf8_lossy(&bytes).contains(key.as_str()),
                "a key in {}",
                file.display()
            );
        }
    }
    for backup in &applied.backups {
        if let Some(copy) = &backup.copy {
            assert_eq!(mode(copy), 0o600, "backups are private");
        }
    }

    // The journal records the rotation: maint.secret-key-rotated passes on it.
    let now = jiff::Timestamp::now();
    let mut state = portcullis::state::StateFile::new(demo.target.clone(), now);
    assert_eq!(rotation_recorded(&state, now), None);
    state.record_fix(portcullis::fix::run::journal_entry(&applied));
    assert_eq!(rotation_recorded(&state, now), Some(applied.applied_at));
    let later = now.checked_add(jiff::SignedDuration::from_hours(24 * 400)).expect("time");
    assert_eq!(rotation_recorded(&state, later), None, "a rotation counts for 12 months");
    let json = serde_json::to_string(&state).expect("json");
    assert!(!json.contains(old.as_str()) && !json.contains(new.as_str()), "a key in the state");

    restore(&applied.backups, false).expect("rolls back");
    assert_eq!(demo.snapshot(), before, "the rollback restores every byte, mode and owner");
}

#[test]
fn the_weak_demo_key_is_replaced_and_not_kept_as_a_fallback() {
    let demo = Demo::new();
    assert!(deploy_check(&demo).contains("security.W009"), "the demo key is weak first");
    rotate_and_check(&demo, false);
}

#[test]
fn a_strong_key_is_rotated_and_kept_as_a_fallback() {
    let demo = Demo::new();
    let env = demo.read("/srv/aijack/.env");
    let strong = "q7Rt2mX9vLp4Wn8Kd3Hs6Jf1Zb5Yc0Ge-Ua_Tx2Vr7Ni4Mo9Pk3Ql8Sw6Ej1Fh5";
    let env: String = env
        .lines()
        .map(|l| {
            if l.starts_with("DJANGO_SECRET_KEY=") {
                format!("DJANGO_SECRET_KEY={strong}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    demo.write("/srv/aijack/.env", &env);
    rotate_and_check(&demo, true);
}

#[test]
fn a_literal_key_is_moved_to_the_env_and_reads_back_the_same() {
    let demo = Demo::new();
    let settings = demo.read("/srv/aijack/config/settings.py");
    let literal = "django-insecure-k#3$z(a)9^x&w*q=+e!v@p%l2m-n_o0r1s2t3u4";
    let settings = settings.replace(
        "SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]",
        &format!("SECRET_KEY = '{literal}'"),
    );
    demo.write("/srv/aijack/config/settings.py", &settings);
    let env = demo.read("/srv/aijack/.env");
    let env: String = keep_lines(&env, |l| !l.starts_with("DJANGO_SECRET_KEY"));
    demo.write("/srv/aijack/.env", &env);

    let (plan, applied) = demo.fix_and_roll_back("maint.secret-key-source");
    let shown = shown_texts(&plan, &applied);
    assert!(!shown.contains(literal), "the key in the plan's texts:\n{shown}");
    assert!(shown.contains("-SECRET_KEY = «redacted»"), "{shown}");
    assert!(
        demo.read("/srv/aijack/config/settings.py")
            .contains("SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]\n")
    );
    for (library, value) in read_by_libraries(&demo.path("/srv/aijack/.env"), "DJANGO_SECRET_KEY") {
        assert_eq!(value, literal, "{library} reads the moved key unchanged");
    }
    // Django runs with the same key it had.
    let check = deploy_check(&demo);
    assert!(check.contains("security.W009"), "the moved key is still the weak one:\n{check}");
}

#[test]
fn a_literal_fallback_over_several_lines_is_moved_and_never_shown() {
    let demo = Demo::new();
    let settings = demo.read("/srv/aijack/config/settings.py");
    let fallback = "placeholder-0123456789abcdefghijklmnopqrstuvwxyzABCD";
    let settings = settings.replace(
        "SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]",
        &format!("SECRET_KEY = os.environ.get(\n    \"MYPROJECT_KEY\",\n    \"{fallback}\",\n)"),
    );
    demo.write("/srv/aijack/config/settings.py", &settings);
    let (plan, applied) = demo.fix_and_roll_back("maint.secret-key-source");
    let shown = shown_texts(&plan, &applied);
    assert!(!shown.contains(fallback), "the fallback in the plan's texts:\n{shown}");
    assert!(shown.contains("«redacted»"), "{shown}");
    let text = demo.read("/srv/aijack/config/settings.py");
    assert!(text.contains("SECRET_KEY = os.environ[\"MYPROJECT_KEY\"]\n"), "{text}");
    assert_eq!(env_value(&demo.read("/srv/aijack/.env"), "MYPROJECT_KEY"), fallback);
}

#[test]
fn rotation_needs_django_4_1() {
    let demo = Demo::new();
    let requirements =
        demo.read("/srv/aijack/requirements.txt").replace("Django==5.2.19", "Django==4.0.10");
    demo.write("/srv/aijack/requirements.txt", &requirements);
    let plan = demo.plan("maint.secret-key-strength").expect("a plan");
    let why = plan.blocked.expect("blocked");
    assert!(why.contains("Django 4.0.10 has no SECRET_KEY_FALLBACKS"), "{why}");
}

/// The ids of the site's user and group in the demo's passwd and group.
fn site_ids(demo: &Demo) -> (u32, u32) {
    let field = |file: &str, name: &str| {
        demo.read(file)
            .lines()
            .find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f[0] == name).then(|| f[2].parse::<u32>().expect("id"))
            })
            .expect("the site's user is in the demo")
    };
    (field("/etc/passwd", "aijack"), field("/etc/group", "aijack"))
}

#[test]
fn env_modes_are_judged_and_fixed_without_locking_the_site_out() {
    type Case = (u32, u32, u32, bool, (u32, u32, u32));
    let (uid, gid) = site_ids(&Demo::new());
    // (mode, owner, group) → fails first?, and what the fix leaves.
    let cases: [Case; 6] = [
        (0o644, 0, 0, true, (0o600, uid, gid)),
        (0o640, 0, gid, false, (0o640, 0, gid)),
        (0o600, uid, gid, false, (0o600, uid, gid)),
        (0o400, uid, gid, false, (0o400, uid, gid)),
        // The site's user cannot read these: the fix gives it the file.
        (0o600, 0, 0, true, (0o600, uid, gid)),
        (0o644, 0, gid, true, (0o640, 0, gid)),
    ];
    for (mode_before, owner, group, fails, wanted) in cases {
        let demo = Demo::new();
        let env = demo.path("/srv/aijack/.env");
        std::os::unix::fs::chown(&env, Some(owner), Some(group)).expect("chown");
        fs::set_permissions(&env, fs::Permissions::from_mode(mode_before)).expect("chmod");
        let label = format!("{mode_before:04o} {owner}:{group}");
        if fails {
            let (plan, _) = demo.fix_and_roll_back("maint.env-permissions");
            let shown = plan.render();
            assert!(
                shown.contains(&format!("$ chmod {:o} /srv/aijack/.env", wanted.0)),
                "{label}: {shown}"
            );
        } else {
            assert_eq!(demo.status("maint.env-permissions").0, Status::Pass, "{label}");
        }
        let meta = fs::metadata(&env).expect("meta");
        assert_eq!((meta.mode() & 0o7777, meta.uid(), meta.gid()), wanted, "{label}");
    }
}

/// Case E3: a world-readable `.env.bak` beside the live file and a `.env`
/// copied into the static directory Apache serves.
#[test]
fn env_copies_and_a_served_env_file_are_found_and_the_copies_closed() {
    let demo = Demo::new();
    let (uid, gid) = site_ids(&demo);
    let env = demo.path("/srv/aijack/.env");
    std::os::unix::fs::chown(&env, Some(uid), Some(gid)).expect("chown");
    fs::set_permissions(&env, fs::Permissions::from_mode(0o600)).expect("chmod");
    demo.write("/srv/aijack/.env.bak", &demo.read("/srv/aijack/.env"));
    fs::set_permissions(demo.path("/srv/aijack/.env.bak"), fs::Permissions::from_mode(0o664))
        .expect("chmod");
    demo.write("/srv/aijack/static/.env", "DJANGO_DEBUG=False\n");

    let (status, summary) = demo.status("maint.env-permissions");
    assert_eq!(status, Status::Fail, "{summary}");
    assert!(summary.contains("/srv/aijack/.env.bak") && summary.contains("0664"), "{summary}");
    assert!(summary.contains("anyone can fetch it at /static/.env"), "{summary}");
    assert!(!summary.contains("/srv/aijack/.env is"), "the live file is right: {summary}");

    // The fix closes the copy and says what only the operator can do.
    let plan = demo.plan("maint.env-permissions").expect("a plan");
    let shown = plan.render();
    assert!(shown.contains("$ chmod 660 /srv/aijack/.env.bak"), "{shown}");
    assert!(!plan.completes, "moving a served file is the operator's: {shown}");
    assert!(
        plan.operator_steps.iter().any(|s| s.contains("move /srv/aijack/static/.env out")),
        "{:?}",
        plan.operator_steps
    );
    demo.apply(&plan).unwrap_or_else(|err| panic!("{err}\n{shown}"));
    assert_eq!(mode(&demo.path("/srv/aijack/.env.bak")) & 0o777, 0o660);
    let (status, summary) = demo.status("maint.env-permissions");
    assert_eq!(status, Status::Fail, "the served copy is still there: {summary}");
    assert!(!summary.contains(".env.bak"), "{summary}");
}

#[test]
fn an_unknown_site_user_gets_no_owner() {
    let demo = Demo::new();
    let passwd: String = keep_lines(&demo.read("/etc/passwd"), |l| !l.starts_with("aijack:"));
    demo.write("/etc/passwd", &passwd);
    let err = demo.plan("maint.env-permissions").expect_err("refused");
    assert!(err.contains("not in the target's /etc/passwd"), "{err}");
}

#[test]
fn logs_nothing_rotates_get_a_validated_drop_in() {
    let demo = Demo::new();
    fs::remove_file(demo.path("/etc/logrotate.d/apache2")).expect("rm");
    let (plan, _) = demo.fix_and_roll_back("maint.logrotate");
    let dropin = demo.path("/etc/logrotate.d/aijack");
    let text = fs::read_to_string(&dropin).expect("the drop-in");
    assert!(
        text.contains("/var/log/apache2/aijack_error.log /var/log/apache2/aijack_access.log {"),
        "{text}"
    );
    let meta = fs::metadata(&dropin).expect("meta");
    assert_eq!((meta.mode() & 0o7777, meta.uid()), (0o644, 0));
    assert!(plan.validators.iter().any(|v| v.describe().starts_with("logrotate -d")));
}

#[test]
fn a_log_covered_twice_is_left_to_the_operator() {
    let demo = Demo::new();
    demo.write(
        "/etc/logrotate.d/django-apache",
        "/var/log/apache2/*.log {\n    weekly\n    rotate 4\n}\n",
    );
    fs::set_permissions(
        demo.path("/etc/logrotate.d/django-apache"),
        fs::Permissions::from_mode(0o644),
    )
    .expect("chmod");
    assert_eq!(demo.status("maint.logrotate").0, Status::Fail);
    let err = demo.plan("maint.logrotate").expect_err("no plan");
    assert!(
        err.contains(
            "is matched by /etc/logrotate.d/apache2:1 and /etc/logrotate.d/django-apache:1"
        ),
        "{err}"
    );
}

#[test]
fn a_broken_drop_in_is_refused_by_logrotate_and_rolled_back() {
    let demo = Demo::new();
    fs::remove_file(demo.path("/etc/logrotate.d/apache2")).expect("rm");
    let mut plan = demo.plan("maint.logrotate").expect("a plan");
    let edit = &mut plan.edits[0];
    edit.after =
        String::from_utf8_lossy(&edit.after).replace("rotate 14", "rotate fourteen").into_bytes();
    let err = demo.apply(&plan).expect_err("logrotate refuses it");
    assert!(err.contains("logrotate -d"), "{err}");
    assert!(!demo.path("/etc/logrotate.d/aijack").exists());
}

#[test]
fn virtual_hosts_without_logs_get_their_own() {
    let demo = Demo::new();
    let conf = "/etc/apache2/sites-available/aijack.conf";
    let text: String =
        keep_lines(&demo.read(conf), |l| !l.contains("ErrorLog") && !l.contains("CustomLog"));
    demo.write(conf, &text);
    demo.fix_and_roll_back("maint.logs-configured");
    let after = demo.read(conf);
    assert_eq!(
        after.matches("\tErrorLog ${APACHE_LOG_DIR}/aijack_error.log\n\tCustomLog ${APACHE_LOG_DIR}/aijack_access.log combined\n</VirtualHost>").count(),
        2,
        "{after}"
    );
    assert!(
        fs::symlink_metadata(demo.path("/etc/apache2/sites-enabled/aijack.conf"))
            .expect("meta")
            .file_type()
            .is_symlink()
    );
}

/// The demo's settings rewritten to read the environment with another
/// library, with a strong key in the .env.
fn demo_with_reader(load: &str, import: &str, read: &str) -> Demo {
    let demo = Demo::new();
    let settings = demo
        .read("/srv/aijack/config/settings.py")
        .replace("from dotenv import load_dotenv\n", &format!("{import}\n"))
        .replace("load_dotenv(BASE_DIR / \".env\")\n", &format!("{load}\n"))
        .replace("SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]", &format!("SECRET_KEY = {read}"));
    demo.write("/srv/aijack/config/settings.py", &settings);
    let strong = "Z8kP3wQ7rT1yU5iO9pA2sD6fG0hJ4kL8zX3cV7bN1mQ5wE9rT2yU6iO0pA4sD8f";
    let env: String = demo
        .read("/srv/aijack/.env")
        .lines()
        .map(|l| {
            if l.starts_with("DJANGO_SECRET_KEY=") {
                format!("DJANGO_SECRET_KEY={strong}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    demo.write("/srv/aijack/.env", &env);
    demo
}

#[test]
fn django_environ_settings_read_the_fallbacks_with_env_list() {
    let demo = demo_with_reader(
        "env = environ.Env()\nenviron.Env.read_env(BASE_DIR / \".env\")",
        "import environ",
        "env(\"DJANGO_SECRET_KEY\")",
    );
    rotate_and_check(&demo, true);
    let plan = demo.plan("maint.secret-key-strength").expect("a plan");
    let applied = demo.apply(&plan).expect("applies");
    let settings = demo.read("/srv/aijack/config/settings.py");
    assert!(
        settings.contains(
            "SECRET_KEY = env(\"DJANGO_SECRET_KEY\")\nSECRET_KEY_FALLBACKS = env.list(\"DJANGO_SECRET_KEY_FALLBACKS\", default=[])\n"
        ),
        "{settings}"
    );
    restore(&applied.backups, false).expect("rolls back");
}

#[test]
fn decouple_settings_read_the_fallbacks_with_config() {
    let demo = demo_with_reader("", "from decouple import config", "config(\"DJANGO_SECRET_KEY\")");
    rotate_and_check(&demo, true);
}

/// The demo with a literal key and no .env loaded at all.
fn demo_without_env(literal: &str) -> Demo {
    let demo = Demo::new();
    let settings = demo
        .read("/srv/aijack/config/settings.py")
        .replace("from dotenv import load_dotenv\n", "")
        .replace("load_dotenv(BASE_DIR / \".env\")\n", "")
        .replace(
            "SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]",
            &format!("SECRET_KEY = \"{literal}\""),
        );
    demo.write("/srv/aijack/config/settings.py", &settings);
    fs::remove_file(demo.path("/srv/aijack/.env")).expect("rm");
    demo
}

#[test]
fn a_literal_key_with_no_env_file_gets_a_private_one_that_the_settings_load() {
    let literal = "W3xQ9zR1tY5uI7oP2aS4dF6gH8jK0lZ1xC3vB5nM7qW9eR2tY4uI6oP8aS0dF2g";
    let demo = demo_without_env(literal);
    let (plan, applied) = demo.fix_and_roll_back("maint.secret-key-source");
    let shown = shown_texts(&plan, &applied);
    assert!(!shown.contains(literal), "{shown}");
    let env = demo.path("/srv/aijack/.env");
    let manage = fs::metadata(demo.path("/srv/aijack/manage.py")).expect("meta");
    let meta = fs::metadata(&env).expect("a new .env");
    assert_eq!((meta.mode() & 0o7777, meta.uid(), meta.gid()), (0o600, manage.uid(), manage.gid()));
    let settings = demo.read("/srv/aijack/config/settings.py");
    assert!(settings.contains("from dotenv import load_dotenv\n"), "{settings}");
    assert!(
        settings.contains(
            "load_dotenv(Path(__file__).resolve().parents[1] / \".env\")\nSECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]\n"
        ),
        "{settings}"
    );
    for (library, value) in read_by_libraries(&env, "DJANGO_SECRET_KEY") {
        assert_eq!(value, literal, "{library}");
    }
    let check = deploy_check(&demo);
    assert!(!check.contains("security.W009"), "Django runs with the moved key:\n{check}");
}

#[test]
fn without_python_dotenv_nothing_would_hand_the_key_to_the_site() {
    let demo = demo_without_env("W3xQ9zR1tY5uI7oP2aS4dF6gH8jK0lZ1xC3vB5nM7qW9eR2tY4uI6oP8aS0dF2g");
    let requirements =
        demo.read("/srv/aijack/requirements.txt").replace("python-dotenv==1.2.4\n", "");
    demo.write("/srv/aijack/requirements.txt", &requirements);
    let plan = demo.plan("maint.secret-key-source").expect("a plan");
    let why = plan.blocked.clone().expect("blocked");
    assert!(why.contains("nothing would hand the key to the site"), "{why}");
    assert!(plan.operator_steps.iter().any(|s| s.contains("--env-file")), "{}", plan.render());
}

#[test]
fn a_literal_key_is_moved_and_rotated_in_one_plan() {
    let literal = "W3xQ9zR1tY5uI7oP2aS4dF6gH8jK0lZ1xC3vB5nM7qW9eR2tY4uI6oP8aS0dF2g";
    let demo = Demo::new();
    let settings = demo.read("/srv/aijack/config/settings.py").replace(
        "SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]",
        &format!("SECRET_KEY = '{literal}'"),
    );
    demo.write("/srv/aijack/config/settings.py", &settings);
    let env: String =
        keep_lines(&demo.read("/srv/aijack/.env"), |l| !l.starts_with("DJANGO_SECRET_KEY"));
    demo.write("/srv/aijack/.env", &env);

    let plan = demo.plan("maint.secret-key-rotated").expect("a plan");
    assert!(!plan.completes, "the rotation item passes on the journal, after the apply");
    let applied = demo.apply(&plan).unwrap_or_else(|err| panic!("{err}\n{}", plan.render()));
    for id in ["maint.secret-key-strength", "maint.secret-key-source"] {
        assert_eq!(demo.status(id).0, Status::Pass, "{id}: {}", demo.status(id).1);
    }
    let env = demo.read("/srv/aijack/.env");
    assert_eq!(env_value(&env, "DJANGO_SECRET_KEY_FALLBACKS"), literal);
    assert_ne!(env_value(&env, "DJANGO_SECRET_KEY"), literal);
    let shown = shown_texts(&plan, &applied);
    assert!(!shown.contains(literal), "{shown}");
    assert!(!shown.contains(&env_value(&env, "DJANGO_SECRET_KEY")), "{shown}");
    let check = deploy_check(&demo);
    assert!(!check.contains("security.W009") && !check.contains("security.W025"), "{check}");
}

#[test]
fn a_drop_in_logrotate_ignores_is_named_in_the_plan() {
    let demo = Demo::new();
    fs::remove_file(demo.path("/etc/logrotate.d/apache2")).expect("rm");
    demo.write(
        "/etc/logrotate.d/myproject",
        "/var/log/apache2/aijack_*.log {\n    weekly\n    rotate 8\n    compress\n}\n",
    );
    fs::set_permissions(demo.path("/etc/logrotate.d/myproject"), fs::Permissions::from_mode(0o664))
        .expect("chmod");
    let (plan, _) = demo.fix_and_roll_back("maint.logrotate");
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.starts_with("/etc/logrotate.d/myproject also names these logs")),
        "{}",
        plan.render()
    );
}

#[test]
fn django_environ_settings_that_load_no_env_file_are_made_to() {
    let literal = "W3xQ9zR1tY5uI7oP2aS4dF6gH8jK0lZ1xC3vB5nM7qW9eR2tY4uI6oP8aS0dF2g";
    let demo = demo_without_env(literal);
    let settings = demo
        .read("/srv/aijack/config/settings.py")
        .replace("import os\n", "import os\n\nimport environ\n")
        .replace("from pathlib import Path\n", "import pathlib\n")
        .replace(
            "BASE_DIR = Path(__file__).resolve().parent.parent\n",
            "BASE_DIR = pathlib.Path(__file__).resolve().parent.parent\nenv = environ.Env()\n",
        );
    demo.write("/srv/aijack/config/settings.py", &settings);
    let (_, _) = demo.fix_and_roll_back("maint.secret-key-source");
    let after = demo.read("/srv/aijack/config/settings.py");
    assert!(after.contains("from pathlib import Path\n"), "{after}");
    assert!(
        after.contains("env = environ.Env()\nenviron.Env.read_env(Path(__file__).resolve().parents[1] / \".env\")\n"),
        "{after}"
    );
    assert!(after.contains("SECRET_KEY = env(\"DJANGO_SECRET_KEY\")\n"), "{after}");
    let check = deploy_check(&demo);
    assert!(!check.contains("security.W009"), "Django runs with the moved key:\n{check}");
}

#[test]
fn a_weak_literal_key_is_replaced_and_leaves_no_trace_in_the_env() {
    let literal = "django-insecure-k#3$z(a)9^x&w*q=+e!v@p%l2m-n_o0r1s2t3u4";
    let demo = Demo::new();
    let settings = demo.read("/srv/aijack/config/settings.py").replace(
        "SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]",
        &format!("SECRET_KEY = '{literal}'"),
    );
    demo.write("/srv/aijack/config/settings.py", &settings);
    let env = keep_lines(&demo.read("/srv/aijack/.env"), |l| !l.starts_with("DJANGO_SECRET_KEY"));
    demo.write("/srv/aijack/.env", &env);

    let plan = demo.plan("maint.secret-key-strength").expect("a plan");
    let applied = demo.apply(&plan).unwrap_or_else(|err| panic!("{err}\n{}", plan.render()));
    for id in ["maint.secret-key-strength", "maint.secret-key-source"] {
        assert_eq!(demo.status(id).0, Status::Pass, "{id}: {}", demo.status(id).1);
    }
    let env = demo.read("/srv/aijack/.env");
    assert!(!env.contains(literal) && !env.contains("FALLBACKS"), "{env}");
    let settings = demo.read("/srv/aijack/config/settings.py");
    assert!(!settings.contains(literal), "{settings}");
    let shown = shown_texts(&plan, &applied);
    assert!(!shown.contains(literal), "{shown}");
    let check = deploy_check(&demo);
    assert!(!check.contains("security.W009"), "{check}");
}

#[test]
fn fallbacks_already_read_from_the_environment_keep_theirs_after_the_old_key() {
    let strong = "q7Rt2mX9vLp4Wn8Kd3Hs6Jf1Zb5Yc0Ge-Ua_Tx2Vr7Ni4Mo9Pk3Ql8Sw6Ej1Fh5";
    let previous = "P2vN8cX4zL6kJ0hG3fD7sA1qW5eR9tY2uI6oP0aS4dF8gH3jK7lZ1xC5vB9nM3q";
    let demo = Demo::new();
    let settings = demo.read("/srv/aijack/config/settings.py").replace(
        "SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]\n",
        "SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]\nSECRET_KEY_FALLBACKS = os.environ[\"DJANGO_SECRET_KEY_FALLBACKS\"].split(\",\")\n",
    );
    demo.write("/srv/aijack/config/settings.py", &settings);
    let mut env =
        keep_lines(&demo.read("/srv/aijack/.env"), |l| !l.starts_with("DJANGO_SECRET_KEY"));
    writeln!(env, "DJANGO_SECRET_KEY={strong}\nDJANGO_SECRET_KEY_FALLBACKS={previous}")
        .expect("text");
    demo.write("/srv/aijack/.env", &env);

    let plan = demo.plan("maint.secret-key-strength").expect("a plan");
    let applied = demo.apply(&plan).unwrap_or_else(|err| panic!("{err}\n{}", plan.render()));
    assert_eq!(
        demo.read("/srv/aijack/config/settings.py"),
        settings,
        "the settings read them already"
    );
    let env = demo.read("/srv/aijack/.env");
    assert_eq!(env_value(&env, "DJANGO_SECRET_KEY_FALLBACKS"), format!("{strong},{previous}"));
    let shown = shown_texts(&plan, &applied);
    for key in [strong, previous] {
        assert!(!shown.contains(key), "{shown}");
    }
    let check = deploy_check(&demo);
    assert!(!check.contains("security.W009") && !check.contains("security.W025"), "{check}");
}
