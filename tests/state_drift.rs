//! Files changed by hand between sessions are reported with the items they
//! affect, and those items are checked again; backups go only when pruned.

use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use portcullis::finding::Finding;
use portcullis::state::{
    Backup, DriftKind, ItemStatus, JournalEntry, StateFile, StateLocation, digest,
};
use portcullis::target::Target;

struct Demo {
    _dir: tempfile::TempDir,
    root: PathBuf,
    location: StateLocation,
    state: StateFile,
}

/// A target with one settings file that a fix rewrote, journaled as the fix
/// pipeline would: backup of the original, digests of both versions.
fn demo_after_a_fix(applied: Timestamp) -> Demo {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    let settings = root.join("srv/app/config/settings.py");
    std::fs::create_dir_all(settings.parent().expect("parent")).expect("mkdir");
    let before = b"DEBUG = False\nSECURE_SSL_REDIRECT = False\n".to_vec();
    let after = b"DEBUG = False\nSECURE_SSL_REDIRECT = True\n".to_vec();
    std::fs::write(&settings, &after).expect("write settings");

    let location = StateLocation::explicit(dir.path().join("state/app.json"));
    let mut target = Target::at_root(&root);
    target.project = Some(PathBuf::from("/srv/app"));
    let mut state = StateFile::new(target, applied);
    state.record_findings(&[Finding::fail("django.ssl-redirect", "False")], applied);

    let inside = "/srv/app/config/settings.py";
    let backup =
        location.write_backup("django.ssl-redirect", inside, &before, applied).expect("backup");
    let mut entry = JournalEntry::new("django.ssl-redirect", applied);
    entry.backups.push(Backup {
        original: inside.into(),
        backup: Some(backup),
        original_sha256: Some(digest(&before)),
        written_sha256: Some(digest(&after)),
        mode: 0o644,
        uid: 0,
        gid: 0,
        existed: true,
    });
    state.record_fix(entry);
    Demo { _dir: dir, root, location, state }
}

#[test]
fn file_edited_by_hand_between_sessions_is_reported_and_its_item_rechecked() {
    let applied: Timestamp = "2026-12-01T10:00:00Z".parse().expect("time");
    let demo = demo_after_a_fix(applied);
    assert!(demo.state.drift().is_empty(), "untouched file shows no drift");
    demo.location.save(&demo.state).expect("save");

    // Between sessions, someone edits the file by hand.
    let settings = demo.root.join("srv/app/config/settings.py");
    std::fs::write(&settings, b"DEBUG = True\nSECURE_SSL_REDIRECT = True\n").expect("hand edit");

    let mut state = demo.location.load().expect("load").expect("state");
    state.begin_session("2026-12-02T09:00:00Z".parse().expect("time"));
    let drifts = state.mark_drift("2026-12-02T09:00:00Z".parse().expect("time"));
    assert_eq!(drifts.len(), 1);
    assert_eq!(drifts[0].kind, DriftKind::Changed);
    assert_eq!(drifts[0].path, "/srv/app/config/settings.py");
    assert_eq!(drifts[0].items, vec!["django.ssl-redirect".to_owned()]);
    assert!(drifts[0].to_string().contains("changed by hand"), "{}", drifts[0]);
    let now: Timestamp = "2026-12-02T09:00:01Z".parse().expect("time");
    assert_eq!(state.effective_status("django.ssl-redirect", now), ItemStatus::Pending);

    // The file removed altogether is reported too.
    std::fs::remove_file(&settings).expect("rm");
    assert_eq!(state.drift()[0].kind, DriftKind::Removed);
}

#[test]
fn prune_removes_only_old_backups_and_says_which_fixes_lose_their_rollback() {
    let old: Timestamp = "2026-10-01T10:00:00Z".parse().expect("time");
    let mut demo = demo_after_a_fix(old);
    let recent: Timestamp = "2026-11-30T10:00:00Z".parse().expect("time");
    let recent_backup = demo
        .location
        .write_backup("django.debug-off", "/srv/app/config/settings.py", b"DEBUG = True\n", recent)
        .expect("backup");
    let mut entry = JournalEntry::new("django.debug-off", recent);
    entry.backups.push(Backup {
        original: "/srv/app/local.py".into(),
        backup: Some(recent_backup.clone()),
        original_sha256: None,
        written_sha256: None,
        mode: 0o600,
        uid: 0,
        gid: 0,
        existed: true,
    });
    demo.state.record_fix(entry);
    let old_backup = demo.state.journal[0].backups[0].backup.clone().expect("backup path");

    let now: Timestamp = "2026-12-03T10:00:00Z".parse().expect("time");
    let report =
        demo.state.prune(&demo.location.backups_dir(), SignedDuration::from_hours(30 * 24), now);
    assert_eq!(report.removed, vec![old_backup.clone()]);
    assert_eq!(report.no_rollback, vec![(1, "django.ssl-redirect".to_owned())]);
    assert!(!old_backup.exists() && recent_backup.exists());
    assert!(!demo.state.journal[0].can_roll_back() && demo.state.journal[1].can_roll_back());
    assert!(report.lines().iter().any(|l| l.contains("can no longer be rolled back")));

    // Pruning again finds nothing new.
    let again =
        demo.state.prune(&demo.location.backups_dir(), SignedDuration::from_hours(30 * 24), now);
    assert!(again.removed.is_empty() && again.no_rollback.is_empty());
}
