//! The real stack of issue 9 for a test: `scripts/demo-stack up` makes a
//! Debian Apache instance of its own (`/etc/apache2-NAME`) serving the demo
//! Django project through `mod_wsgi` on two free loopback ports, and
//! `scripts/demo-stack down` removes all of it when the value is dropped,
//! also when the test panics. The machine's own Apache is never touched.
//!
//! Needs root and Debian's packages (the script installs them with apt-get
//! when they are missing); `scripts/test-setup.sh` installs them up front.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const HOST: &str = "aijack.example.com";

pub struct Stack {
    pub name: String,
    pub http_port: u16,
    pub https_port: u16,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/demo-stack")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

impl Stack {
    /// Brings the stack up under `name` (lower-case letters, digits, dashes).
    pub fn up(tag: &str) -> Stack {
        assert!(
            nix::unistd::geteuid().is_root(),
            "the real-stack tests run as root (they start an Apache instance and create its user)"
        );
        let name = format!("pc-{tag}-{}", std::process::id());
        let stack = Stack { name, http_port: free_port(), https_port: free_port() };
        // A stack left by an earlier run that was killed.
        stack.down_quietly();
        let output = Command::new(script())
            .args(["up", "--no-tui", "--name", &stack.name])
            .args(["--http-port", &stack.http_port.to_string()])
            .args(["--https-port", &stack.https_port.to_string()])
            .output()
            .expect("scripts/demo-stack runs");
        assert!(
            output.status.success(),
            "scripts/demo-stack up failed:\n{}{}\nerror log:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            stack.error_log()
        );
        stack
    }

    pub fn confdir(&self) -> PathBuf {
        PathBuf::from(format!("/etc/apache2-{}", self.name))
    }

    pub fn project(&self) -> PathBuf {
        PathBuf::from(format!("/srv/{}/aijack", self.name))
    }

    pub fn https_url(&self) -> String {
        format!("https://{HOST}:{}/", self.https_port)
    }

    /// The flags that point portcullis at the stack, as the script prints them.
    pub fn flags(&self) -> Vec<String> {
        let output = Command::new(script())
            .args(["flags", "--name", &self.name])
            .args(["--http-port", &self.http_port.to_string()])
            .args(["--https-port", &self.https_port.to_string()])
            .output()
            .expect("scripts/demo-stack runs");
        assert!(output.status.success(), "scripts/demo-stack flags failed");
        String::from_utf8_lossy(&output.stdout).split_whitespace().map(str::to_owned).collect()
    }

    /// `curl` to the site over HTTPS on loopback: (status code, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        let url = format!("https://{HOST}:{}{path}", self.https_port);
        let output = Command::new("curl")
            .args(["-sk", "--max-time", "20", "-w", "\n%{http_code}"])
            .arg("--resolve")
            .arg(format!("{HOST}:{}:127.0.0.1", self.https_port))
            .arg(&url)
            .output()
            .expect("curl runs (apt-get install -y curl)");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (code.trim().parse().unwrap_or(0), body.to_owned())
    }

    /// The `Server` header of the home page.
    pub fn server_header(&self) -> String {
        let output = Command::new("curl")
            .args(["-skI", "--max-time", "20", "--resolve"])
            .arg(format!("{HOST}:{}:127.0.0.1", self.https_port))
            .arg(self.https_url())
            .output()
            .expect("curl runs");
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("server").then(|| value.trim().to_owned())
            })
            .unwrap_or_default()
    }

    pub fn error_log(&self) -> String {
        fs::read_to_string(format!("/var/log/apache2-{}/error.log", self.name)).unwrap_or_default()
    }

    /// Every file the fixes may change, with its bytes, mode and owner: the
    /// instance's configuration, the project (without its virtualenv and
    /// database), and the shared directories under /etc a fix writes into.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, String> {
        let mut files = BTreeMap::new();
        for root in [
            self.confdir(),
            self.project(),
            PathBuf::from("/etc/modsecurity"),
            PathBuf::from("/etc/logrotate.d"),
        ] {
            walk(&root, &mut files);
        }
        files
    }

    fn down_quietly(&self) {
        let _ = Command::new(script()).args(["down", "--name", &self.name]).output();
    }
}

fn walk(path: &Path, files: &mut BTreeMap<PathBuf, String>) {
    let Ok(meta) = fs::symlink_metadata(path) else { return };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if matches!(name, ".venv" | "__pycache__" | "db.sqlite3" | "db.sqlite3-journal") {
        return;
    }
    let owner = format!("{:o} {}:{}", meta.mode() & 0o7777, meta.uid(), meta.gid());
    if meta.file_type().is_symlink() {
        let to = fs::read_link(path).map(|t| t.display().to_string()).unwrap_or_default();
        files.insert(path.to_path_buf(), format!("link -> {to}"));
    } else if meta.is_dir() {
        files.insert(path.to_path_buf(), format!("dir {owner}"));
        let mut entries: Vec<_> =
            fs::read_dir(path).into_iter().flatten().flatten().map(|e| e.path()).collect();
        entries.sort();
        for entry in entries {
            walk(&entry, files);
        }
    } else {
        let bytes = fs::read(path).unwrap_or_default();
        let digest = portcullis::fix::apply::sha256_hex(&bytes);
        files.insert(
            path.to_path_buf(),
            format!("file {owner} {} bytes sha256 {digest}", bytes.len()),
        );
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.down_quietly();
    }
}
