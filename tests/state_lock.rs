//! One lock per target: a second session is refused with the name of the
//! first; a lock left by a dead process is taken over with a note; readers
//! never wait for it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use jiff::Timestamp;
use portcullis::state::{LockError, StateFile, StateLocation, TargetLock};
use portcullis::target::Target;

const CHILD_ENV: &str = "PORTCULLIS_LOCK_TEST_CHILD";

/// The child side: takes the lock, says so, and holds it until killed.
#[test]
fn child_holds_the_lock() {
    let Ok(file) = std::env::var(CHILD_ENV) else { return };
    let location = StateLocation::explicit(PathBuf::from(file));
    let _lock = TargetLock::acquire(&location).expect("child takes the lock");
    println!("LOCKED");
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Starts a child that holds the lock of `location`, once it has it.
fn child_holding(location: &StateLocation) -> Child {
    let mut child = Command::new(std::env::current_exe().expect("test executable"))
        .args(["child_holds_the_lock", "--exact", "--nocapture", "--test-threads=1", "-q"])
        .env(CHILD_ENV, location.file())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the test executable as a child");
    let stdout = child.stdout.take().expect("stdout");
    let locked = BufReader::new(stdout).lines().map_while(Result::ok).any(|l| l.trim() == "LOCKED");
    assert!(locked, "the child never took the lock");
    child
}

#[test]
fn second_session_is_refused_naming_the_first_then_takes_over_when_it_dies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let location = StateLocation::explicit(dir.path().join("state.json"));
    location.save(&StateFile::new(Target::at_root("/"), Timestamp::now())).expect("save");
    let mut child = child_holding(&location);

    let err = TargetLock::acquire(&location).expect_err("a second session is refused");
    let LockError::Held { holder, .. } = &err else { panic!("{err}") };
    assert_eq!(holder.pid, child.id());
    assert!(holder.command.contains("child_holds_the_lock"), "{}", holder.command);
    let message = err.to_string();
    assert!(message.contains(&format!("pid {}", child.id())), "{message}");
    assert!(message.contains(&holder.started.to_string()), "{message}");

    // Readers neither wait nor fail while the lock is held.
    assert!(location.load().expect("load").is_some());
    assert_eq!(TargetLock::holder(&location.lock_file()).map(|h| h.pid), Some(child.id()));

    // The holder dies without cleaning up: its lock is taken over.
    child.kill().expect("SIGKILL the holder");
    child.wait().expect("reap");
    let lock = TargetLock::acquire(&location).expect("the stale lock is taken over");
    assert_eq!(lock.taken_over().map(|h| h.pid), Some(child.id()));
    let note = lock.takeover_note().expect("a note");
    assert!(
        note.contains(&format!("pid {}", child.id())) && note.contains("no longer running"),
        "{note}"
    );
    let holder = TargetLock::holder(&location.lock_file()).map(|h| h.pid);
    assert_eq!(holder, Some(std::process::id()), "the lock file now names us");

    // A clean release leaves nothing to take over.
    drop(lock);
    assert_eq!(TargetLock::holder(&location.lock_file()), None, "released");
    let again = TargetLock::acquire(&location).expect("free again");
    assert!(again.taken_over().is_none());
}

#[test]
fn lock_file_naming_a_dead_process_is_taken_over_with_a_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    let location = StateLocation::explicit(dir.path().join("state.json"));
    let mut gone = Command::new("true").spawn().expect("run true");
    let dead_pid = gone.id();
    gone.wait().expect("reap");
    std::fs::write(
        location.lock_file(),
        format!("{{\"pid\":{dead_pid},\"started\":\"2026-11-30T08:00:00Z\",\"command\":\"portcullis fix --all\"}}\n"),
    )
    .expect("write a stale lock file");

    let lock = TargetLock::acquire(&location).expect("taken over");
    let old = lock.taken_over().expect("the old holder is reported");
    assert_eq!((old.pid, old.command.as_str()), (dead_pid, "portcullis fix --all"));
    let note = lock.takeover_note().expect("note");
    assert!(
        note.contains("2026-11-30T08:00:00Z") && note.contains("portcullis fix --all"),
        "{note}"
    );

    let text = std::fs::read_to_string(location.lock_file()).expect("read");
    assert!(text.contains(&format!("\"pid\":{}", std::process::id())), "{text}");
}

#[test]
fn two_lockers_in_one_process_are_also_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let location = StateLocation::explicit(dir.path().join("state.json"));
    let first = TargetLock::acquire(&location).expect("first");
    let err = TargetLock::acquire(&location).expect_err("second");
    assert!(
        matches!(&err, LockError::Held { holder, .. } if holder.pid == std::process::id()),
        "{err}"
    );
    drop(first);
    TargetLock::acquire(&location).expect("free after release");
}
