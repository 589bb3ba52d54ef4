//! The real binary in a real terminal: tmux runs `portcullis` (the interface) against a
//! temporary copy of a small target tree, keys go in with send-keys and the
//! screen comes back with capture-pane. Needs tmux (`apt-get install tmux`).

#[path = "support/tmux.rs"]
mod tmux;

use std::path::Path;
use std::time::{Duration, Instant};

use tmux::Tmux;

/// A small target: a Django project directory under a temporary root.
fn fixture() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("temp dir");
    let app = root.path().join("srv/app/config");
    std::fs::create_dir_all(&app).expect("project dirs");
    std::fs::write(
        root.path().join("srv/app/manage.py"),
        "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"config.settings\")\n",
    )
    .expect("manage.py");
    std::fs::write(app.join("__init__.py"), "").expect("package");
    std::fs::write(app.join("settings.py"), "DEBUG = True\nALLOWED_HOSTS = []\n")
        .expect("settings");
    root
}

fn command(root: &Path, extra: &str) -> String {
    format!(
        "XDG_STATE_HOME={}/.state {} --root {} {extra}; echo EXITED $?; sleep 60",
        root.display(),
        env!("CARGO_BIN_EXE_portcullis"),
        root.display()
    )
}

#[test]
fn walk_skip_jump_and_quit_then_the_summary_is_printed() {
    let root = fixture();
    let tmux = Tmux::start("walk", 80, 24, &command(root.path(), ""));

    let screen = tmux.wait_text("44/44 checked");
    assert!(screen.contains("Target (e to correct)"), "{screen}");
    assert!(screen.contains(&root.path().display().to_string()), "the root is shown:\n{screen}");
    let out = tmux.cmd().args(["capture-pane", "-p", "-e", "-t", "t"]).output().expect("capture");
    let styled = String::from_utf8_lossy(&out.stdout);
    assert!(!colour_codes(&styled).is_empty(), "the dark theme draws in colour:\n{styled}");

    tmux.keys(&["o"]);
    tmux.wait_text("Sections");
    tmux.keys(&["Enter"]);
    tmux.wait_text("item 1 of 44");

    tmux.keys(&["?"]);
    tmux.wait_text("Keys (Esc closes)");
    tmux.keys(&["Escape"]);
    tmux.wait_text("n/p item");

    tmux.keys(&["s"]);
    tmux.wait_text("Why skip this item? (required)");
    tmux.keys(&["Enter"]);
    tmux.wait_text("this cannot be empty");
    tmux.type_text("the proxy handles it");
    tmux.keys(&["Enter"]);
    tmux.wait_text("item 2 of 44");

    tmux.keys(&["g"]);
    tmux.wait_text("Jump to an item");
    tmux.type_text("debug-off");
    tmux.keys(&["Enter"]);
    tmux.wait_text("DEBUG");

    tmux.keys(&["q"]);
    let screen = tmux.wait_text("EXITED");
    assert!(screen.contains("44 of 44 items checked"), "{screen}");
    assert!(screen.contains("1 skipped"), "{screen}");
    assert_eq!(tmux.format("#{alternate_on}"), "0", "the alternate screen is left");
}

#[test]
fn a_resized_terminal_is_redrawn_at_the_new_size_in_ascii_without_colour() {
    let root = fixture();
    let command = format!("NO_COLOR=1 {}", command(root.path(), "--ascii"));
    let tmux = Tmux::start("resize", 80, 24, &command);
    let screen = tmux.wait_text("44/44 checked");
    assert!(screen.lines().all(|line| line.chars().count() <= 80));
    assert!(screen.is_ascii(), "--ascii draws only ASCII:\n{screen}");
    let out = tmux.cmd().args(["capture-pane", "-p", "-e", "-t", "t"]).output().expect("capture");
    let styled = String::from_utf8_lossy(&out.stdout);
    let colours = colour_codes(&styled);
    assert!(colours.is_empty(), "NO_COLOR: colours {colours:?} on screen:\n{styled}");

    let status = tmux.cmd().args(["resize-window", "-t", "t", "-x", "120", "-y", "40"]).status();
    assert!(status.expect("resize-window").success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let screen = tmux.screen();
        if screen
            .lines()
            .any(|line| line.starts_with('+') && line.trim_end().chars().count() == 120)
        {
            break;
        }
        assert!(Instant::now() < deadline, "never redrawn at 120 columns:\n{screen}");
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux.keys(&["q"]);
    tmux.wait_text("EXITED");
}

#[test]
fn sigterm_restores_the_terminal_and_prints_the_summary() {
    let root = fixture();
    let tmux = Tmux::start("term", 80, 24, &command(root.path(), ""));
    tmux.wait_text("44/44 checked");
    assert_eq!(tmux.format("#{alternate_on}"), "1", "the interface uses the alternate screen");

    let shell: i32 = tmux.format("#{pane_pid}").parse().expect("pane pid");
    let program = child_of(shell).expect("portcullis runs under the pane's shell");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(program), nix::sys::signal::Signal::SIGTERM)
        .expect("send SIGTERM");

    let screen = tmux.wait_text("EXITED");
    assert!(screen.contains("44 of 44 items checked"), "{screen}");
    assert_eq!(tmux.format("#{alternate_on}"), "0", "the alternate screen is left");
}

#[test]
fn a_dropped_connection_ends_the_program() {
    let root = fixture();
    let tmux = Tmux::start("hangup", 80, 24, &command(root.path(), ""));
    tmux.wait_text("44/44 checked");
    let shell: i32 = tmux.format("#{pane_pid}").parse().expect("pane pid");
    let program = child_of(shell).expect("portcullis runs under the pane's shell");

    // Killing the pane hangs up its terminal, as a dropped SSH session does.
    let status = tmux.cmd().args(["kill-pane", "-t", "t"]).status().expect("kill-pane");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{program}")).exists() {
        let state = std::fs::read_to_string(format!("/proc/{program}/stat")).unwrap_or_default();
        if state.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')) {
            break;
        }
        assert!(Instant::now() < deadline, "portcullis still runs after its terminal hung up");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_root_named_with_escape_sequences_shows_them_as_text() {
    let outer = fixture();
    let root = outer.path().join("evil\u{1b}[2J\u{1b}]0;owned\u{7}\u{202e}txt");
    std::fs::create_dir_all(root.join("srv")).expect("hostile root");
    let command = format!(
        "XDG_STATE_HOME={}/.state {} --root '{}'; echo EXITED $?; sleep 60",
        outer.path().display(),
        env!("CARGO_BIN_EXE_portcullis"),
        root.display()
    );
    let tmux = Tmux::start("hostile", 100, 30, &command);
    let screen = tmux.wait_text("44/44 checked");
    assert!(screen.contains("evil\\u{1b}[2J\\u{1b}]0;owned\\u{7}\\u{202e}txt"), "{screen}");
    assert_ne!(tmux.format("#{pane_title}"), "owned", "no escape sequence reached the terminal");
    tmux.keys(&["q"]);
    tmux.wait_text("EXITED");
}

#[test]
fn correcting_the_root_to_a_missing_directory_says_why() {
    let root = fixture();
    let tmux = Tmux::start("retarget", 80, 24, &command(root.path(), ""));
    tmux.wait_text("44/44 checked");
    tmux.keys(&["e"]);
    tmux.wait_text("Correct the root");
    tmux.keys(&["-N", "200", "BSpace"]);
    tmux.type_text("/no/such/dir");
    tmux.keys(&["Enter"]);
    tmux.wait_text("root: /no/such/dir: No such file or directory");
    tmux.keys(&["q"]);
    tmux.wait_text("EXITED");
}

/// The first process whose parent is `parent`, from /proc.
fn child_of(parent: i32) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
            // The parent pid is the second field after the command's closing parenthesis.
            let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            if after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) == Some(parent) {
                return Some(pid);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// The SGR parameters in `styled` that set a colour (30-37, 38, 40-47, 48,
/// 90-97, 100-107); resets to the default colour (39, 49) do not count.
fn colour_codes(styled: &str) -> Vec<u16> {
    let mut found = Vec::new();
    for sequence in styled.split("\u{1b}[").skip(1) {
        let Some(end) = sequence.find('m') else { continue };
        for param in sequence[..end].split(';').filter_map(|p| p.parse::<u16>().ok()) {
            if matches!(param, 30..=38 | 40..=48 | 90..=97 | 100..=107) {
                found.push(param);
            }
        }
    }
    found
}
