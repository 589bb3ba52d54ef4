//! The Django fixes on a copy of the bundled demo site, end to end through
//! the real binary: dry run, apply, re-check, Django's own deploy check, and
//! rollback byte for byte.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

/// The virtual environment with Django, django-csp and django-axes that the
/// test setup makes.
fn test_python() -> PathBuf {
    let python = std::env::var_os("PORTCULLIS_TEST_PYTHON").map(PathBuf::from).unwrap_or_default();
    assert!(
        python.is_file(),
        "PORTCULLIS_TEST_PYTHON does not name an interpreter: run scripts/test-setup.sh (it creates \
         .venv-test with Django, django-csp and django-axes) and export what it prints"
    );
    python
}

/// A copy of the demo tree and a private state directory.
struct Demo {
    dir: tempfile::TempDir,
}

impl Demo {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        portcullis::demo::unpack(&dir.path().join("root")).expect("demo unpacks");
        Demo { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        cargo_bin_cmd!("portcullis")
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .arg("--root")
            .arg(self.root())
            .args(args)
            .output()
            .expect("portcullis runs")
    }

    /// Every file of the tree with its bytes, mode and owner.
    fn snapshot(&self) -> BTreeMap<PathBuf, (Vec<u8>, u32, u32, u32)> {
        let mut files = BTreeMap::new();
        let mut stack = vec![self.root()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
                let path = entry.path();
                let meta = std::fs::symlink_metadata(&path).expect("meta");
                if meta.is_dir() {
                    stack.push(path);
                } else {
                    let bytes = if meta.file_type().is_symlink() {
                        std::fs::read_link(&path)
                            .expect("link")
                            .into_os_string()
                            .into_encoded_bytes()
                    } else {
                        std::fs::read(&path).expect("read")
                    };
                    files.insert(path, (bytes, meta.mode(), meta.uid(), meta.gid()));
                }
            }
        }
        files
    }

    fn statuses(&self, extra: &[&str]) -> BTreeMap<String, String> {
        let mut args =
            vec!["check", "--offline", "--only", "django", "--format", "json", "--no-save"];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        let json: Value = serde_json::from_slice(&out.stdout).expect("check prints JSON");
        json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap_or("").to_owned(),
                    f["status"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    }
}

fn secret_of(root: &Path) -> String {
    let env = std::fs::read_to_string(root.join("srv/aijack/.env")).expect(".env");
    env.lines()
        .find_map(|line| line.strip_prefix("DJANGO_SECRET_KEY="))
        .expect("the demo .env holds a key")
        .to_owned()
}

#[test]
fn a_dry_run_prints_every_django_diff_and_writes_nothing() {
    let demo = Demo::new();
    let before = demo.snapshot();
    let out = demo.run(&["fix", "--all", "--only", "django", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    for id in [
        "django.ssl-redirect",
        "django.hsts-seconds",
        "django.session-cookie-secure",
        "django.csp-policy",
        "django.axes-backend",
    ] {
        assert!(text.contains(&format!("# {id}: ")), "no plan for {id}:\n{text}");
    }
    assert!(text.contains("+SECURE_HSTS_SECONDS = 31536000"), "{text}");
    assert!(!text.contains(&secret_of(&demo.root())), "the secret key leaked into the plans");
    assert_same_tree(&before, &demo.snapshot(), "a dry run changed the tree");
}

#[test]
fn without_an_interpreter_package_fixes_stay_steps_and_their_dependents_wait() {
    let demo = Demo::new();
    let out = demo.run(&["fix", "--all", "--only", "django", "--yes"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("django.axes-app: not applied"), "{text}");
    let settings = std::fs::read_to_string(demo.root().join("srv/aijack/config/settings.py"))
        .expect("settings");
    assert!(
        !settings.contains("axes"),
        "an edit that depends on django-axes was applied:\n{settings}"
    );
    let requirements =
        std::fs::read_to_string(demo.root().join("srv/aijack/requirements.txt")).expect("reqs");
    assert!(requirements.contains("django-axes==8.3.1"), "{requirements}");

    let statuses = demo.statuses(&[]);
    assert_eq!(statuses["django.ssl-redirect"], "pass");
    assert_eq!(statuses["django.axes-app"], "fail");
    assert_ne!(statuses["django.axes-installed"], "pass");
}

#[test]
fn fixing_the_django_section_passes_it_satisfies_django_and_rolls_back_byte_for_byte() {
    let python = test_python();
    let python_arg = python.display().to_string();
    let demo = Demo::new();
    let before = demo.snapshot();

    let out = demo.run(&["fix", "--all", "--only", "django", "--yes", "--python", &python_arg]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("django.axes-backend: fixed"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let statuses = demo.statuses(&["--python", &python_arg]);
    for (id, status) in &statuses {
        match id.as_str() {
            // migrate runs only on the live system: shown as a step.
            "django.axes-migrated" => assert_ne!(status, "pass", "{id}"),
            // Whether a proxy sits in front needs the Apache layer.
            "django.proxy-ssl-header" => {}
            _ => assert_eq!(status, "pass", "{id} after the fixes:\n{statuses:?}"),
        }
    }

    // Django's own deploy check agrees.
    let project = demo.root().join("srv/aijack");
    let deploy = Command::new(&python)
        .args(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
        .current_dir(&project)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("manage.py runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&deploy.stdout),
        String::from_utf8_lossy(&deploy.stderr)
    );
    for id in ["W004", "W005", "W006", "W008", "W012", "W016", "W021"] {
        assert!(
            !report.contains(&format!("security.{id}")),
            "check --deploy still reports {id}:\n{report}"
        );
    }
    for id in ["axes.W002", "axes.W003"] {
        assert!(!report.contains(id), "check --deploy still reports {id}:\n{report}");
    }

    // Applying again changes nothing.
    let again = demo.snapshot();
    demo.run(&["fix", "--all", "--only", "django", "--yes", "--python", &python_arg]);
    assert_same_tree(&again, &demo.snapshot(), "a second fix changed files");

    let out = demo.run(&["rollback", "--all", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert_same_tree(&before, &demo.snapshot(), "rollback did not restore the tree byte for byte");
}

type Tree = BTreeMap<PathBuf, (Vec<u8>, u32, u32, u32)>;

/// Names the files that differ, rather than printing their bytes.
fn assert_same_tree(before: &Tree, after: &Tree, what: &str) {
    let mut differences = Vec::new();
    for (path, old) in before {
        match after.get(path) {
            None => differences.push(format!("removed {}", path.display())),
            Some(new) if new != old => differences.push(format!("changed {}", path.display())),
            Some(_) => {}
        }
    }
    // Django's SQLite database appears when Django itself first connects (its
    // deploy check above, `showmigrations`): a database, not a file portcullis edits.
    let created_by_django = |p: &PathBuf| p.ends_with("srv/aijack/db.sqlite3");
    for path in after.keys().filter(|p| !before.contains_key(*p) && !created_by_django(p)) {
        differences.push(format!("added {}", path.display()));
    }
    assert!(differences.is_empty(), "{what}:\n{}", differences.join("\n"));
}
