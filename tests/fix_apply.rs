//! The apply step of the fix pipeline on real files: backups, atomic writes
//! that keep mode and links, rollback on any failure, refusal of stale plans.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use portcullis::fix::{self, Checks, FileEdit, Plan, Step, Validator};
use portcullis::target::Target;

/// Checks whose outcome the test decides.
struct Scripted {
    validate: Result<(), String>,
    recheck: Result<(), String>,
    steps: Vec<Step>,
}

impl Scripted {
    fn passing() -> Self {
        Scripted { validate: Ok(()), recheck: Ok(()), steps: Vec::new() }
    }
}

impl Checks for Scripted {
    fn validate(&mut self, _: &Validator) -> Result<(), String> {
        self.validate.clone()
    }
    fn run_commands(&mut self, _: &Plan) -> Result<Vec<String>, String> {
        Ok(Vec::new())
    }
    fn recheck(&mut self, _: &str) -> Result<(), String> {
        self.recheck.clone()
    }
    fn step(&mut self, step: Step, _: &str) {
        self.steps.push(step);
    }
}

fn tree() -> (tempfile::TempDir, Target) {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(dir.path().join("root/srv/app")).expect("mkdir");
    let target = Target::at_root(dir.path().join("root"));
    (dir, target)
}

fn settings_plan(before: &str, after: &str) -> Plan {
    let mut plan = Plan::new("django.debug-off", "Set DEBUG = False");
    plan.edits.push(FileEdit::change("/srv/app/settings.py", before.into(), after.into()));
    plan.validators.push(Validator::PythonCompile { file: "/srv/app/settings.py".into() });
    plan
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("meta").permissions().mode() & 0o7777
}

#[test]
fn an_applied_plan_keeps_mode_and_records_a_private_backup() {
    let (dir, target) = tree();
    let file = target.host_path("/srv/app/settings.py");
    fs::write(&file, "DEBUG = True\n").expect("write");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).expect("chmod");

    let plan = settings_plan("DEBUG = True\n", "DEBUG = False\n");
    let backups = dir.path().join("backups");
    let applied = fix::apply(&plan, &target, &backups, &mut Scripted::passing()).expect("applies");

    assert_eq!(fs::read_to_string(&file).expect("read"), "DEBUG = False\n");
    assert_eq!(mode(&file), 0o640);
    let copy = applied.backups[0].copy.clone().expect("a copy of the old bytes");
    assert_eq!(fs::read_to_string(&copy).expect("read"), "DEBUG = True\n");
    assert_eq!(mode(&copy), 0o600);
    assert_eq!(mode(copy.parent().expect("dir")), 0o700);
    assert!(applied.diffs[0].contains("+DEBUG = False"));

    // Rolling back brings the old bytes and mode back.
    fix::apply::restore(&applied.backups, false).expect("restores");
    assert_eq!(fs::read_to_string(&file).expect("read"), "DEBUG = True\n");
    assert_eq!(mode(&file), 0o640);
}

#[test]
fn a_failed_validation_restores_the_file_byte_for_byte() {
    let (dir, target) = tree();
    let file = target.host_path("/srv/app/settings.py");
    fs::write(&file, "DEBUG = True\n").expect("write");
    let plan = settings_plan("DEBUG = True\n", "DEBUG = (\n");
    let mut checks = Scripted {
        validate: Err("SyntaxError: '(' was never closed".into()),
        ..Scripted::passing()
    };

    let err = fix::apply(&plan, &target, &dir.path().join("b"), &mut checks).expect_err("fails");
    assert!(err.to_string().contains("never closed"), "{err}");
    assert!(err.to_string().contains("restored"), "{err}");
    assert_eq!(fs::read(&file).expect("read"), b"DEBUG = True\n");
    assert_eq!(checks.steps.last(), Some(&Step::Rollback));
}

#[test]
fn a_failed_recheck_removes_a_file_the_plan_created() {
    let (dir, target) = tree();
    let mut plan = Plan::new("apache.server-tokens", "drop-in");
    plan.edits.push(FileEdit::create("/srv/app/new.conf", b"ServerTokens Prod\n".to_vec(), 0o644));
    let mut checks = Scripted { recheck: Err("still fails".into()), ..Scripted::passing() };
    fix::apply(&plan, &target, &dir.path().join("b"), &mut checks).expect_err("fails");
    assert!(!target.host_path("/srv/app/new.conf").exists());
}

#[test]
fn a_symlinked_file_is_edited_at_its_target_and_stays_a_link() {
    let (dir, target) = tree();
    let real = target.host_path("/srv/app/real_settings.py");
    fs::write(&real, "DEBUG = True\n").expect("write");
    std::os::unix::fs::symlink("real_settings.py", target.host_path("/srv/app/settings.py"))
        .expect("link");

    let plan = settings_plan("DEBUG = True\n", "DEBUG = False\n");
    fix::apply(&plan, &target, &dir.path().join("b"), &mut Scripted::passing()).expect("applies");

    let link = target.host_path("/srv/app/settings.py");
    assert!(fs::symlink_metadata(&link).expect("meta").file_type().is_symlink());
    assert_eq!(fs::read_to_string(&real).expect("read"), "DEBUG = False\n");
}

#[test]
fn a_file_changed_since_the_plan_is_refused_and_left_alone() {
    let (dir, target) = tree();
    let file = target.host_path("/srv/app/settings.py");
    fs::write(&file, "DEBUG = True  # edited by hand\n").expect("write");
    let plan = settings_plan("DEBUG = True\n", "DEBUG = False\n");
    let err = fix::apply(&plan, &target, &dir.path().join("b"), &mut Scripted::passing())
        .expect_err("refused");
    assert!(err.to_string().contains("changed since the plan was made"), "{err}");
    assert_eq!(fs::read_to_string(&file).expect("read"), "DEBUG = True  # edited by hand\n");
}

#[test]
fn rollback_refuses_a_file_changed_after_the_fix_unless_forced() {
    let (dir, target) = tree();
    let file = target.host_path("/srv/app/settings.py");
    fs::write(&file, "DEBUG = True\n").expect("write");
    let plan = settings_plan("DEBUG = True\n", "DEBUG = False\n");
    let applied = fix::apply(&plan, &target, &dir.path().join("b"), &mut Scripted::passing())
        .expect("applies");
    fs::write(&file, "DEBUG = False\nX = 1\n").expect("hand edit");

    let err = fix::apply::restore(&applied.backups, false).expect_err("refused");
    assert!(err.contains("/srv/app/settings.py"), "{err}");
    assert_eq!(fs::read_to_string(&file).expect("read"), "DEBUG = False\nX = 1\n");
    fix::apply::restore(&applied.backups, true).expect("forced");
    assert_eq!(fs::read_to_string(&file).expect("read"), "DEBUG = True\n");
}

#[test]
fn an_interrupted_apply_is_recovered_from_its_manifest() {
    let (dir, target) = tree();
    let file = target.host_path("/srv/app/settings.py");
    fs::write(&file, "DEBUG = True\n").expect("write");
    let backups = dir.path().join("b");
    let plan = settings_plan("DEBUG = True\n", "DEBUG = False\n");
    // Applied but never committed to the journal: as if killed right after.
    fix::apply(&plan, &target, &backups, &mut Scripted::passing()).expect("applies");

    let recovered = fix::apply::recover_interrupted(&backups).expect("recovers");
    assert_eq!(recovered.len(), 1);
    assert_eq!(fs::read_to_string(&file).expect("read"), "DEBUG = True\n");
    assert!(fix::apply::recover_interrupted(&backups).expect("nothing left").is_empty());
}

#[test]
fn a_committed_apply_is_not_recovered() {
    let (dir, target) = tree();
    let file = target.host_path("/srv/app/settings.py");
    fs::write(&file, "DEBUG = True\n").expect("write");
    let backups = dir.path().join("b");
    let plan = settings_plan("DEBUG = True\n", "DEBUG = False\n");
    let applied = fix::apply(&plan, &target, &backups, &mut Scripted::passing()).expect("applies");
    fix::apply::commit(&backups, &applied).expect("commit");
    assert!(fix::apply::recover_interrupted(&backups).expect("ok").is_empty());
    assert_eq!(fs::read_to_string(&file).expect("read"), "DEBUG = False\n");
    let uid = fs::metadata(&file).expect("meta").uid();
    assert_eq!(uid, applied.backups[0].uid);
}
