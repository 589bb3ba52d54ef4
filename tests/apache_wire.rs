//! The model's verdicts checked on the wire: a Debian Apache started from a
//! copy of /etc/apache2 on a free loopback port, asked for a directory, an
//! existing page and a missing one, then stopped by its process id (also
//! when the test fails). Fails, never skips, when apache2 is missing.

mod apache_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use apache_support::{apache2ctl, debian_copy, live_target, write};
use portcullis::apache::{ApacheConfig, checks};
use portcullis::dpkg::Installed;
use portcullis::finding::Status;

/// A running Apache; dropping it stops the process by its pid.
struct Running {
    pid_file: PathBuf,
    port: u16,
}

impl Running {
    fn start(confdir: &Path, scratch: &Path, port: u16) -> Running {
        for dir in ["run", "lock", "log"] {
            std::fs::create_dir_all(scratch.join(dir)).expect("scratch dirs");
        }
        let pid_file = scratch.join("run/apache2.pid");
        let envvars = std::fs::read_to_string(confdir.join("envvars")).expect("envvars");
        let scratch_text = scratch.display();
        write(
            confdir,
            "envvars",
            &format!(
                "{envvars}\nexport APACHE_PID_FILE={scratch_text}/run/apache2.pid\nexport APACHE_RUN_DIR={scratch_text}/run\n\
                 export APACHE_LOCK_DIR={scratch_text}/lock\nexport APACHE_LOG_DIR={scratch_text}/log\n"
            ),
        );
        let (ok, _, stderr) = apache2ctl(confdir, &["start"]);
        assert!(ok, "apache2ctl start failed: {stderr}");
        let running = Running { pid_file, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "Apache did not answer on 127.0.0.1:{port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        running
    }

    /// A plain HTTP/1.0 GET: the whole response as text.
    fn get(&self, path: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
        write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        response
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let Ok(text) = std::fs::read_to_string(&self.pid_file) else { return };
        let Ok(pid) = text.trim().parse::<i32>() else { return };
        let pid = nix::unistd::Pid::from_raw(pid);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while nix::sys::signal::kill(pid, None).is_ok() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port()
}

/// A copy of Debian's tree serving `www` on `port`, `mod_evasive` disabled
/// (it would refuse repeated requests), with `site_extra` in the vhost.
fn prepare(confdir: &Path, www: &Path, port: u16, site_extra: &str) {
    for name in ["evasive.load", "evasive.conf"] {
        let _ = std::fs::remove_file(confdir.join("mods-enabled").join(name));
    }
    write(confdir, "ports.conf", &format!("Listen 127.0.0.1:{port}\n"));
    let _ = std::fs::remove_file(confdir.join("sites-enabled/000-default.conf"));
    let www_text = www.display();
    write(
        confdir,
        "sites-enabled/site.conf",
        &format!(
            "<VirtualHost 127.0.0.1:{port}>\n    ServerName 127.0.0.1\n    DocumentRoot {www_text}\n\
             \x20   <Directory {www_text}>\n        Require all granted\n    </Directory>\n{site_extra}</VirtualHost>\n"
        ),
    );
    std::fs::create_dir_all(www.join("files")).expect("www");
    std::fs::write(www.join("index.html"), "hello\n").expect("index");
    std::fs::write(www.join("files/report.txt"), "data\n").expect("file");
}

fn verdict(confdir: &Path, id: &str) -> Status {
    let target = live_target(confdir);
    let cfg = ApacheConfig::load(&target).expect("loads");
    let packages = Installed::load(&target).unwrap_or_default();
    checks::run(id, &cfg, &packages, &target).status
}

#[test]
fn debian_defaults_fail_in_the_model_and_show_on_the_wire() {
    let copy = debian_copy();
    let scratch = tempfile::tempdir().expect("scratch");
    let www = scratch.path().join("www");
    let port = free_port();
    let confdir = copy.path();
    prepare(
        confdir,
        &www,
        port,
        "    <Directory {www}/files>\n        Options +Indexes\n    </Directory>\n",
    );
    // The placeholder above is filled here so the Directory names the real path.
    let site = std::fs::read_to_string(confdir.join("sites-enabled/site.conf")).expect("site");
    write(confdir, "sites-enabled/site.conf", &site.replace("{www}", &www.display().to_string()));

    assert_eq!(verdict(confdir, "apache.server-tokens"), Status::Fail);
    assert_eq!(verdict(confdir, "apache.server-signature"), Status::Fail);
    assert_eq!(verdict(confdir, "apache.no-indexes"), Status::Fail);

    let apache = Running::start(confdir, scratch.path(), port);
    let page = apache.get("/");
    assert!(page.contains("Server: Apache/2.4") && page.contains("(Debian)"), "{page}");
    let missing = apache.get("/no-such-page");
    assert!(
        missing.contains("<address>Apache/"),
        "ServerSignature On shows in error pages: {missing}"
    );
    let listing = apache.get("/files/");
    assert!(listing.contains("Index of /files"), "{listing}");
}

#[test]
fn hardened_settings_pass_in_the_model_and_on_the_wire() {
    let copy = debian_copy();
    let scratch = tempfile::tempdir().expect("scratch");
    let www = scratch.path().join("www");
    let port = free_port();
    let confdir = copy.path();
    prepare(confdir, &www, port, "");
    write(
        confdir,
        "conf-enabled/zz-portcullis.conf",
        &format!(
            "ServerTokens Prod\nServerSignature Off\n<Directory {}>\n    Options -Indexes\n</Directory>\n",
            www.display()
        ),
    );
    assert!(apache2ctl(confdir, &["-t"]).0);

    assert_eq!(verdict(confdir, "apache.server-tokens"), Status::Pass);
    assert_eq!(verdict(confdir, "apache.server-signature"), Status::Pass);
    assert_eq!(verdict(confdir, "apache.no-indexes"), Status::Pass);

    let apache = Running::start(confdir, scratch.path(), port);
    let page = apache.get("/");
    assert!(page.contains("\r\nServer: Apache\r\n"), "{page}");
    let missing = apache.get("/no-such-page");
    assert!(!missing.contains("<address>"), "{missing}");
    let listing = apache.get("/files/");
    assert!(listing.starts_with("HTTP/1.1 403"), "{listing}");
}
