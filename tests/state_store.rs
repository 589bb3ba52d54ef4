//! The state file survives SIGKILL, damage and old versions: it always loads,
//! or is moved aside with a message naming where.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use jiff::Timestamp;
use portcullis::finding::{Evidence, Finding};
use portcullis::state::{
    FORMAT_VERSION, FileDiff, ItemStatus, JournalEntry, Position, StateError, StateFile,
    StateLocation,
};
use portcullis::target::Target;

const CHILD_ENV: &str = "PORTCULLIS_STATE_TEST_CHILD";

fn target() -> Target {
    let mut target = Target::at_root("/tmp/demo");
    target.project = Some(PathBuf::from("/srv/app"));
    target
}

/// Runs one test of this executable as a child process, with `mode` and the
/// state file in its environment; its stdout is piped.
fn spawn_child(test_name: &str, mode: &str, file: &Path) -> Child {
    Command::new(std::env::current_exe().expect("test executable"))
        .args([test_name, "--exact", "--nocapture", "--test-threads=1", "-q"])
        .env(CHILD_ENV, mode)
        .env("PORTCULLIS_STATE_TEST_FILE", file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the test executable as a child")
}

fn item_id(step: u32) -> String {
    format!("django.step-{step}")
}

/// The child side of the SIGKILL tests: does nothing in a normal test run.
#[test]
fn child_process_entry() {
    let Ok(mode) = std::env::var(CHILD_ENV) else { return };
    let file = PathBuf::from(std::env::var("PORTCULLIS_STATE_TEST_FILE").expect("file"));
    let location = StateLocation::explicit(&file);
    let mut state = StateFile::new(target(), Timestamp::now());

    match mode.as_str() {
        // Saves as fast as it can, each state larger than the last.
        "save-forever" => {
            for round in 0u64.. {
                let finding = Finding::fail(&format!("django.item-{round}"), "x".repeat(200))
                    .with(Evidence::at("/srv/app/config/settings.py", 1, "y".repeat(300)));
                state.record_findings(&[finding], Timestamp::now());
                location.save(&state).expect("save");
                if round == 0 {
                    println!("SAVED 0");
                }
            }
        }
        // Walks items one by one, saving after each and saying so.
        steps => {
            let stop: u32 = steps.trim_start_matches("steps-").parse().expect("steps-N");
            for step in 1..=stop {
                let id = item_id(step);
                state.record_findings(
                    &[Finding::fail(&id, format!("result {step}"))],
                    Timestamp::now(),
                );
                let next = Position {
                    section: "django".into(),
                    topic: None,
                    item: Some(item_id(step + 1)),
                };
                state.set_position(next, Timestamp::now());
                location.save(&state).expect("save");
                println!("SAVED {step}");
            }
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

#[test]
fn sigkill_during_saves_never_leaves_a_damaged_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("state.json");
    let location = StateLocation::explicit(&file);

    for round in 0..40u64 {
        let mut child = spawn_child("child_process_entry", "save-forever", &file);
        let stdout = child.stdout.take().expect("child stdout");
        // Wait for the first save, so that every kill lands on a live saver.
        let saved = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.trim() == "SAVED 0");
        assert!(saved, "round {round}: the child could not save");
        // Vary the moment of the kill so it lands in different phases of a save.
        std::thread::sleep(Duration::from_millis(1 + (round * 7) % 50));
        child.kill().expect("SIGKILL the child");
        child.wait().expect("reap the child");

        match location.load() {
            Ok(Some(state)) => assert_eq!(state.format_version, FORMAT_VERSION),
            Ok(None) => panic!("round {round}: the state file is gone"),
            Err(err) => panic!("round {round}: state did not load after SIGKILL: {err}"),
        }
    }

    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains(".corrupt-")), "{names:?}");
    // Temporary files of killed saves are swept by the next save.
    let mut state = location.load().expect("load").expect("a state");
    state.begin_session(Timestamp::now());
    location.save(&state).expect("save");
    let temps = std::fs::read_dir(dir.path())
        .expect("read dir")
        .filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().contains(".tmp-")))
        .count();
    assert_eq!(temps, 0, "temporary files left behind");
}

#[test]
fn session_killed_after_each_step_resumes_at_the_next_item_with_earlier_results() {
    for stop in [1u32, 2, 4, 7] {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("state.json");
        let mut child = spawn_child("child_process_entry", &format!("steps-{stop}"), &file);

        let stdout = child.stdout.take().expect("child stdout");
        let expected = format!("SAVED {stop}");
        let saw_last = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.trim() == expected);
        assert!(saw_last, "child never reported step {stop}");
        child.kill().expect("SIGKILL the child");
        child.wait().expect("reap the child");

        let state = StateLocation::explicit(&file).load().expect("load").expect("a state");
        let position = state.position.clone().expect("a position");
        assert_eq!(position.item.as_deref(), Some(item_id(stop + 1).as_str()), "after step {stop}");
        for step in 1..=stop {
            let item = state.items.get(&item_id(step)).expect("every earlier result kept");
            assert_eq!(item.status, ItemStatus::Fail);
            assert_eq!(item.summary, format!("result {step}"));
        }
        assert_eq!(state.items.len(), stop as usize);
    }
}

#[test]
fn saved_file_is_mode_600_in_a_directory_of_mode_700() {
    let dir = tempfile::tempdir().expect("tempdir");
    let own_dir = dir.path().join("portcullis");
    std::fs::create_dir(&own_dir).expect("mkdir");
    std::fs::set_permissions(&own_dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");

    let location = StateLocation::in_dir(&own_dir, &target());
    location.save(&StateFile::new(target(), Timestamp::now())).expect("save");
    let file_mode = std::fs::metadata(location.file()).expect("stat").permissions().mode();
    let dir_mode = std::fs::metadata(&own_dir).expect("stat").permissions().mode();
    assert_eq!(file_mode & 0o777, 0o600);
    assert_eq!(dir_mode & 0o777, 0o700, "a looser state directory is tightened");

    // A missing directory for --state is created 700.
    let explicit = StateLocation::explicit(dir.path().join("new/sub/state.json"));
    explicit.save(&StateFile::new(target(), Timestamp::now())).expect("save");
    let created = std::fs::metadata(dir.path().join("new/sub")).expect("stat").permissions().mode();
    assert_eq!(created & 0o777, 0o700);

    let backup = location
        .write_backup(
            "django.debug-off",
            "/srv/app/config/settings.py",
            b"DEBUG = True\n",
            Timestamp::now(),
        )
        .expect("backup");
    assert!(backup.starts_with(location.backups_dir()));
    assert_eq!(std::fs::metadata(&backup).expect("stat").permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read(&backup).expect("read"), b"DEBUG = True\n");
    let backups_mode =
        std::fs::metadata(location.backups_dir()).expect("stat").permissions().mode();
    assert_eq!(backups_mode & 0o777, 0o700);
}

fn assert_moved_aside(content: &[u8], what: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("state.json");
    std::fs::write(&file, content).expect("write");
    let location = StateLocation::explicit(&file);

    let err = location.load().expect_err(what);
    let StateError::Corrupt { moved_to, .. } = &err else { panic!("{what}: {err}") };
    let message = err.to_string();
    assert!(message.contains(&moved_to.display().to_string()), "{what}: {message}");
    assert!(
        moved_to.file_name().expect("name").to_string_lossy().starts_with("state.json.corrupt-")
    );
    assert_eq!(std::fs::read(moved_to).expect("the damaged file is kept"), content);
    assert!(!file.exists(), "{what}: the damaged file is no longer in the way");
    assert!(location.load().expect("load").is_none(), "{what}: a fresh start is possible");

    // Damaged again in the same second: the first copy is not overwritten.
    std::fs::write(&file, content).expect("write");
    let StateError::Corrupt { moved_to: second, .. } = location.load().expect_err(what) else {
        panic!("{what}: second load")
    };
    assert_ne!(&second, moved_to);
    assert!(moved_to.exists() && second.exists());
}

#[test]
fn truncated_state_file_is_moved_aside_and_the_message_names_where() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("whole.json");
    let location = StateLocation::explicit(&file);
    let mut state = StateFile::new(target(), Timestamp::now());
    state.record_findings(&[Finding::pass("django.debug-off", "DEBUG is False")], Timestamp::now());
    location.save(&state).expect("save");
    let whole = std::fs::read(&file).expect("read");

    assert_moved_aside(&whole[..whole.len() / 2], "truncated");
    assert_moved_aside(b"", "empty");
}

#[test]
fn garbage_state_file_is_moved_aside_and_the_message_names_where() {
    assert_moved_aside(b"\x00\x9f\x92\x96 not json at all", "binary garbage");
    assert_moved_aside(b"{\"format_version\": 2, \"target\": 7}", "wrong shape");
    assert_moved_aside(b"[1, 2, 3]", "no version");
}

#[test]
fn state_file_from_a_newer_portcullis_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("state.json");
    std::fs::write(&file, b"{\"format_version\": 99}").expect("write");
    let err = StateLocation::explicit(&file).load().expect_err("too new");
    assert!(matches!(err, StateError::TooNew { found: 99, .. }), "{err}");
    assert!(file.exists());
}

#[test]
fn version_1_state_file_is_migrated_without_losing_anything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("state.json");
    std::fs::write(&file, include_str!("state_fixtures/v1.json")).expect("write");
    let location = StateLocation::explicit(&file);

    let state = location.load().expect("load").expect("a state");
    assert_eq!(state.format_version, FORMAT_VERSION);
    assert_eq!(state.target.url.as_deref(), Some("https://shop.example.org"));
    assert_eq!(state.items["django.hsts-seconds"].status, ItemStatus::Fail);
    assert_eq!(state.items["django.hsts-seconds"].evidence[0].line, Some(88));
    assert_eq!(state.baseline["django.debug-off"].status, ItemStatus::Pass);
    assert_eq!(state.skips["django.hsts-preload"].reason, "waiting for the marketing subdomains");
    let now: Timestamp = "2026-05-04T10:00:00Z".parse().expect("time");
    assert_eq!(state.effective_status("django.hsts-preload", now), ItemStatus::Skipped);
    assert_eq!(state.effective_status("django.ssl-redirect", now), ItemStatus::Fixed);
    let entry = state.last_fix("django.ssl-redirect").expect("journal kept");
    assert_eq!((entry.seq, entry.backups[0].mode, entry.backups[0].uid), (1, 0o644, 33));
    assert!(entry.backups[0].existed);
    let position = state.position.clone().expect("cursor kept");
    assert_eq!(
        (position.section.as_str(), position.item.as_deref()),
        ("django", Some("django.hsts-seconds"))
    );

    // Saved again, it is a version 2 file that loads to the same state.
    location.save(&state).expect("save");
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(text.contains("\"format_version\": 2"), "{text}");
    assert_eq!(location.load().expect("load").expect("a state"), state);
}

#[test]
fn no_secret_reaches_the_state_file_after_a_session_that_touched_secret_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let location = StateLocation::explicit(dir.path().join("state.json"));
    let secret = "q8#v!zK2-very-secret-literal-value-do-not-print-0123456789";
    let now = Timestamp::now();

    let mut state = StateFile::new(target(), now);
    // A careless probe that forgot to redact its evidence.
    let finding = Finding::fail("maint.secret-key-source", "SECRET_KEY is a literal")
        .with(Evidence::at("/srv/app/config/settings.py", 23, format!("SECRET_KEY = '{secret}'")));
    state.record_findings(&[finding], now);
    let mut entry = JournalEntry::new("maint.secret-key-source", now);
    entry.diffs.push(FileDiff {
        path: "/srv/app/config/settings.py".into(),
        diff: format!(
            "--- a/settings.py\n+++ b/settings.py\n@@ -23 +23 @@\n-SECRET_KEY = '{secret}'\n+SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]\n"
        ),
    });
    entry.commands.push(portcullis::state::CommandRun {
        command: format!("DJANGO_SECRET_KEY='{secret}' ./manage.py check"),
        status: Some(0),
    });
    state.record_fix(entry);
    location.save(&state).expect("save");

    let text = std::fs::read_to_string(location.file()).expect("read");
    assert!(!text.contains(secret), "the secret reached the state file");
    assert!(!text.contains("very-secret"), "part of the secret reached the state file");
}

/// The child side of the platform directory test: prints where the state of
/// a target goes under the XDG variables it was given.
#[test]
fn child_prints_platform_location() {
    if std::env::var(CHILD_ENV).as_deref() != Ok("platform") {
        return;
    }
    let location = StateLocation::for_target(&target()).expect("a platform directory");
    println!("FILE {}", location.file().display());
    println!("BACKUPS {}", location.backups_dir().display());
}

#[test]
fn state_lives_in_the_xdg_state_directory_with_backups_beside_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(std::env::current_exe().expect("test executable"))
        .args([
            "child_prints_platform_location",
            "--exact",
            "--nocapture",
            "--test-threads=1",
            "-q",
        ])
        .env(CHILD_ENV, "platform")
        .env("XDG_STATE_HOME", dir.path())
        .output()
        .expect("run child");
    let text = String::from_utf8_lossy(&out.stdout);
    let file = text.lines().find_map(|l| l.strip_prefix("FILE ")).expect("a FILE line");
    let backups = text.lines().find_map(|l| l.strip_prefix("BACKUPS ")).expect("a BACKUPS line");
    let state_dir = dir.path().join("portcullis");
    assert_eq!(Path::new(file).parent(), Some(state_dir.as_path()));
    assert!(Path::new(file).file_name().expect("name").to_string_lossy().starts_with("app-"));
    assert!(Path::new(backups).starts_with(state_dir.join("backups")), "{backups}");
}

#[test]
fn locked_state_saves_every_change_and_remembers_its_target() {
    use portcullis::state::{LockedState, OpenError, known_states};
    let dir = tempfile::tempdir().expect("tempdir");
    let location = StateLocation::in_dir(dir.path(), &target());
    let now = Timestamp::now();

    let mut open = LockedState::open(location.clone(), &target(), now).expect("open");
    assert!(open.is_new());
    open.change(|s| s.skip("django.hsts-preload", "later", now)).expect("save").expect("skip");
    let on_disk = location.load().expect("load").expect("a state");
    assert_eq!(on_disk.skips["django.hsts-preload"].reason, "later");

    let refused = LockedState::open(location.clone(), &target(), now).expect_err("locked");
    assert!(matches!(refused, OpenError::Lock(_)), "{refused}");
    drop(open);

    // Opened again without flags (a default target), the state keeps its own.
    let again = LockedState::open(location.clone(), &Target::at_root("/"), now).expect("reopen");
    assert!(!again.is_new());
    assert_eq!(again.state().target, target());

    let known = known_states(dir.path());
    assert_eq!(known.len(), 1);
    assert_eq!(known[0].target, target());
    assert_eq!(known[0].location.file(), location.file());
}
