//! Fix pipeline cases on small trees through the real binary: the edit lands
//! in the file of a split settings package where the value is set, a staged
//! HSTS step is remembered, and a file that cannot be written is left as it
//! was with a clear error.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use assert_cmd::cargo::cargo_bin_cmd;

struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, text) in files {
            let host = dir.path().join("root").join(path.trim_start_matches('/'));
            std::fs::create_dir_all(host.parent().expect("parent")).expect("mkdir");
            std::fs::write(&host, text).expect("write");
        }
        Tree { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.root().join(path.trim_start_matches('/'))).expect("read")
    }

    fn run(&self, args: &[&str]) -> Output {
        cargo_bin_cmd!("portcullis")
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .arg("--root")
            .arg(self.root())
            .arg("--offline")
            .args(args)
            .output()
            .expect("portcullis runs")
    }
}

const MANAGE: &str = "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"config.settings.production\")\n";

fn split_settings() -> Tree {
    Tree::new(&[
        ("/srv/app/manage.py", MANAGE),
        ("/srv/app/config/__init__.py", ""),
        ("/srv/app/config/settings/__init__.py", ""),
        (
            "/srv/app/config/settings/base.py",
            "DEBUG = False\nALLOWED_HOSTS = [\"example.com\"]\nSECURE_HSTS_SECONDS = 0\nMIDDLEWARE = [\n    \"django.middleware.security.SecurityMiddleware\",\n]\n",
        ),
        (
            "/srv/app/config/settings/production.py",
            "from .base import *  # noqa\nSECURE_SSL_REDIRECT = False\n",
        ),
    ])
}

#[test]
fn in_split_settings_each_edit_lands_where_the_value_is_set() {
    let tree = split_settings();
    let out = tree.run(&["fix", "django.hsts-seconds", "django.ssl-redirect", "--yes"]);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&out.stderr));
    let base = tree.read("/srv/app/config/settings/base.py");
    let production = tree.read("/srv/app/config/settings/production.py");
    assert!(base.contains("SECURE_HSTS_SECONDS = 31536000\n"), "{base}");
    assert!(production.contains("SECURE_SSL_REDIRECT = True\n"), "{production}");
    assert!(!base.contains("SECURE_SSL_REDIRECT"), "the redirect went to the wrong file:\n{base}");
}

#[test]
fn a_staged_hsts_fix_sets_the_trial_value_and_the_summary_reminds_the_next_step() {
    let tree = split_settings();
    let out = tree.run(&["fix", "django.hsts-seconds", "--staged", "--yes"]);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(tree.read("/srv/app/config/settings/base.py").contains("SECURE_HSTS_SECONDS = 3600\n"));
    // The trial value is below a year: the item still fails, and the step is remembered.
    let summary = tree.run(&["summary"]);
    let text = String::from_utf8_lossy(&summary.stdout);
    assert!(text.contains("raise SECURE_HSTS_SECONDS to 31536000"), "{text}");
    let state = std::fs::read_dir(tree.dir.path().join("state/portcullis"))
        .expect("state dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("state file");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state).expect("read")).expect("json");
    assert_eq!(json["staged"][0]["item"], "django.hsts-seconds", "{}", json["staged"]);
}

/// Runs portcullis with the project directory mounted read-only, in a mount
/// namespace of its own (the host is not affected).
fn run_with_read_only(tree: &Tree, dir: &Path, args: &str) -> Output {
    let portcullis = env!("CARGO_BIN_EXE_portcullis");
    let script = format!(
        "mount --bind {d} {d} && mount -o remount,ro,bind {d} && XDG_STATE_HOME={s} {portcullis} --root {r} --offline {args}",
        d = dir.display(),
        s = tree.dir.path().join("state").display(),
        r = tree.root().display(),
    );
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .output();
    out.expect("unshare runs (util-linux; needs root for a mount namespace)")
}

#[test]
fn a_file_that_cannot_be_written_is_a_clear_error_and_nothing_changes() {
    let tree = split_settings();
    let before = tree.read("/srv/app/config/settings/base.py");
    let settings_dir = tree.root().join("srv/app/config/settings");
    let out = run_with_read_only(&tree, &settings_dir, "fix django.hsts-seconds --yes");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("mount:"), "the test could not mount read-only: {stderr}");
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("django.hsts-seconds: FAILED, nothing changed"), "{stdout}");
    assert!(stdout.contains("Read-only file system"), "{stdout}");
    assert_eq!(tree.read("/srv/app/config/settings/base.py"), before);
}
