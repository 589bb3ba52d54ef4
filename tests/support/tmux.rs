//! A tmux server of the test's own, on a socket named for the test and the
//! process: the real binary in a real terminal, keys in with send-keys and
//! the screen back with capture-pane. Needs tmux (`apt-get install tmux`).

#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of our own on a socket named for this test and process.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn start(name: &str, width: u16, height: u16, command: &str) -> Tmux {
        let tmux = Tmux { socket: format!("portcullis-{name}-{}", std::process::id()) };
        let (width, height) = (width.to_string(), height.to_string());
        let status = tmux
            .cmd()
            .args(["new-session", "-d", "-s", "t", "-x", &width, "-y", &height])
            .arg(command)
            .status()
            .expect("tmux runs; install it with `apt-get install tmux`");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    pub fn cmd(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &self.socket]);
        cmd
    }

    /// The visible pane only: what the operator sees now.
    pub fn pane(&self) -> String {
        let out = self.cmd().args(["capture-pane", "-p", "-t", "t"]).output().expect("capture");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The pane with its scrollback, for the summary printed after the
    /// interface has left the alternate screen.
    pub fn scrollback(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-S", "-", "-t", "t"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let status =
            self.cmd().args(["send-keys", "-t", "t"]).args(keys).status().expect("send-keys");
        assert!(status.success());
    }

    pub fn type_text(&self, text: &str) {
        let status =
            self.cmd().args(["send-keys", "-t", "t", "-l", text]).status().expect("send-keys");
        assert!(status.success());
    }

    /// Waits until the visible pane shows every one of `texts`; returns it.
    pub fn wait_for(&self, texts: &[&str]) -> String {
        self.wait_with(texts, Tmux::pane)
    }

    pub fn wait_with(&self, texts: &[&str], read: fn(&Tmux) -> String) -> String {
        // Generous: the wait ends as soon as the text shows, and a loaded
        // machine (the whole suite at once) can be slow.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = read(self);
            if texts.iter().all(|text| screen.contains(text)) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed all of {texts:?}; it shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    /// Waits until the pane, scrollback included, shows `text`; returns it.
    pub fn wait_text(&self, text: &str) -> String {
        self.wait_with(&[text], Tmux::scrollback)
    }

    /// The pane with its scrollback (an alias kept for readability).
    pub fn screen(&self) -> String {
        self.scrollback()
    }

    /// A tmux format string evaluated for the pane (`#{pane_dead}`, ...).
    pub fn format(&self, format: &str) -> String {
        let out = self
            .cmd()
            .args(["display-message", "-p", "-t", "t", format])
            .output()
            .expect("display-message");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// The connection drops: the server and the pane go, and the program
    /// in it gets SIGHUP.
    pub fn kill(&self) {
        let _ = self.cmd().arg("kill-server").stderr(std::process::Stdio::null()).status();
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.kill();
    }
}
