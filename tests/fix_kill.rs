//! `fix --all` killed with SIGKILL at random points, 50 times: after every
//! kill each file is the old or a new version, never partial, and the next
//! run recovers (an interrupted fix is restored from its backups) and ends
//! where an uninterrupted run ends.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const FILES: &[&str] = &["srv/aijack/config/settings.py", "srv/aijack/requirements.txt"];

fn sha256(path: &Path) -> String {
    portcullis::state::digest(&std::fs::read(path).expect("read"))
}

fn portcullis(root: &Path, state: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portcullis"));
    command
        .env("XDG_STATE_HOME", state)
        .arg("--root")
        .arg(root)
        .args(["fix", "--all", "--only", "django", "--yes", "--offline"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

struct Copy {
    _dir: tempfile::TempDir,
    root: PathBuf,
    state: PathBuf,
}

fn fresh() -> Copy {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    portcullis::demo::unpack(&root).expect("demo");
    let state = dir.path().join("state");
    Copy { _dir: dir, root, state }
}

/// Every digest a file may have: the original and what each fix wrote.
fn versions(copy: &Copy) -> BTreeMap<String, BTreeSet<String>> {
    let mut versions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in FILES {
        versions.entry(format!("/{file}")).or_default().insert(sha256(&copy.root.join(file)));
    }
    let status = portcullis(&copy.root, &copy.state).status().expect("runs");
    assert!(status.code().is_some_and(|c| c <= 1), "the reference run failed: {status}");
    let dir = copy.state.join("portcullis");
    let file = std::fs::read_dir(&dir)
        .expect("state dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("a state file");
    let state: Value = serde_json::from_slice(&std::fs::read(file).expect("state")).expect("json");
    for entry in state["journal"].as_array().expect("journal") {
        for backup in entry["backups"].as_array().expect("backups") {
            let path = backup["original"].as_str().expect("path").to_owned();
            if let Some(written) = backup["written_sha256"].as_str() {
                versions.entry(path).or_default().insert(written.to_owned());
            }
        }
    }
    versions
}

#[test]
fn a_fix_killed_at_random_points_never_leaves_a_partial_file_and_the_next_run_recovers() {
    let reference = fresh();
    let valid = versions(&reference);
    let finished: BTreeMap<&str, String> =
        FILES.iter().map(|f| (*f, sha256(&reference.root.join(f)))).collect();
    assert!(valid["/srv/aijack/config/settings.py"].len() > 3, "the fixes wrote the settings");

    // How long an uninterrupted run takes, to spread the kills over it.
    let timing = fresh();
    let started = Instant::now();
    portcullis(&timing.root, &timing.state).status().expect("runs");
    let span = started.elapsed().as_millis().max(50);

    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..50 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let delay = u64::try_from(u128::from(seed >> 33) % span).unwrap_or(0);
        let copy = fresh();
        let mut child = portcullis(&copy.root, &copy.state).spawn().expect("spawn");
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();

        for file in FILES {
            let digest = sha256(&copy.root.join(file));
            assert!(
                valid[&format!("/{file}")].contains(&digest),
                "round {round} (killed after {delay} ms): /{file} is neither the old nor a new version"
            );
        }

        let status = portcullis(&copy.root, &copy.state).status().expect("runs again");
        assert!(
            status.code().is_some_and(|c| c <= 1),
            "round {round}: the next run failed: {status}"
        );
        for file in FILES {
            assert_eq!(
                sha256(&copy.root.join(file)),
                finished[file],
                "round {round} (killed after {delay} ms): /{file} did not end where an uninterrupted run ends"
            );
        }
    }
}
