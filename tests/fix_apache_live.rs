//! The Apache fixes at root `/` on a running Apache of the test's own (a
//! copy of Debian's /etc/apache2 as `APACHE_CONFDIR`, on a free loopback
//! port): `apache2ctl -t`, the graceful reload, and a reload that stops the
//! server, which rolls back and starts it again. The system's own Apache is
//! never touched. Fails (never skips) when Debian's Apache is missing.

mod apache_support;

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use apache_support::{debian_copy, live_target};
use portcullis::apache::ApacheConfig;
use portcullis::checklist::Checklist;
use portcullis::dpkg::Installed;
use portcullis::fix::apache::ApachePlanning;
use portcullis::fix::checks::TargetChecks;
use portcullis::fix::{self, FileEdit, Plan, Step, Validator};
use portcullis::probe::RunOptions;
use portcullis::target::Target;

/// An Apache started from a copy of /etc/apache2, stopped by its pid on drop.
struct Server {
    copy: tempfile::TempDir,
    scratch: tempfile::TempDir,
    port: u16,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port()
}

impl Server {
    fn start() -> Server {
        let copy = debian_copy();
        let scratch = tempfile::tempdir().expect("scratch");
        let port = free_port();
        let conf = copy.path();
        let s = scratch.path().display().to_string();
        for sub in ["run", "lock", "log"] {
            std::fs::create_dir_all(scratch.path().join(sub)).expect("dir");
        }
        let mut envvars = std::fs::read_to_string(conf.join("envvars")).expect("envvars");
        let _ = write!(
            envvars,
            "\nexport APACHE_PID_FILE={s}/run/apache2.pid\nexport APACHE_RUN_DIR={s}/run\n\
             export APACHE_LOCK_DIR={s}/lock\nexport APACHE_LOG_DIR={s}/log\n"
        );
        std::fs::write(conf.join("envvars"), envvars).expect("envvars");
        std::fs::write(conf.join("ports.conf"), format!("Listen 127.0.0.1:{port}\n"))
            .expect("ports");
        // No mod_evasive here: the test's own requests must not trip it.
        for name in ["evasive.load", "evasive.conf", "wsgi.load", "wsgi.conf"] {
            let _ = std::fs::remove_file(conf.join("mods-enabled").join(name));
        }
        let server = Server { copy, scratch, port };
        let output = server.ctl("start");
        assert!(output.0, "apache2ctl start failed: {}\n{}", output.1, server.error_log());
        server.wait_until_up();
        server
    }

    fn confdir(&self) -> &Path {
        self.copy.path()
    }

    fn ctl(&self, action: &str) -> (bool, String) {
        let output = Command::new("apache2ctl")
            .arg(action)
            .env("APACHE_CONFDIR", self.confdir())
            .output()
            .expect("apache2ctl runs: apt-get install -y apache2");
        (
            output.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        )
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.scratch.path().join("log/error.log")).unwrap_or_default()
    }

    fn pid(&self) -> Option<i32> {
        let text = std::fs::read_to_string(self.scratch.path().join("run/apache2.pid")).ok()?;
        let pid: i32 = text.trim().parse().ok()?;
        let alive = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
            && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
            });
        alive.then_some(pid)
    }

    fn wait_until_up(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() || self.pid().is_none() {
            assert!(Instant::now() < deadline, "Apache did not come up:\n{}", self.error_log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The `Server` header of a response to `GET /`.
    fn server_header(&self) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connects");
        stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
        stream.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n").expect("request sent");
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response
            .lines()
            .find_map(|line| line.strip_prefix("Server: ").map(str::to_owned))
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
            let deadline = Instant::now() + Duration::from_secs(10);
            while self.pid().is_some() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

fn checklist() -> Checklist {
    portcullis::checklist::load(&[] as &[&Path]).expect("checklist")
}

fn apply(target: &Target, plan: &Plan, backups: &Path) -> (Result<(), String>, Vec<String>) {
    let list = checklist();
    let mut steps = Vec::new();
    let mut on_step = |step: Step, detail: &str| steps.push(format!("{}: {detail}", step.name()));
    let mut checks = TargetChecks {
        target,
        checklist: &list,
        options: RunOptions { offline: true, evaluate: false },
        on_step: &mut on_step,
    };
    let outcome =
        fix::apply(plan, target, backups, &mut checks).map(|_| ()).map_err(|e| e.to_string());
    (outcome, steps)
}

#[test]
fn a_live_fix_is_tested_by_apache2ctl_and_reloaded_gracefully() {
    let server = Server::start();
    assert!(server.server_header().contains("Debian"), "Debian's ServerTokens OS at first");
    let target = live_target(server.confdir());
    let config = ApacheConfig::load(&target).expect("loads");
    let packages = Installed::load(&target).expect("dpkg status");
    let list = checklist();
    let item = list.item("apache.server-tokens").expect("item");
    let planning =
        ApachePlanning { target: &target, config: &config, packages: &packages, staged: false };
    let plan = planning.plan(item).expect("plans").expect("an Apache plan");
    assert_eq!(plan.validators, [Validator::ApacheConfigTest, Validator::ApacheReload]);
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);

    let pid = server.pid();
    let backups = tempfile::tempdir().expect("backups");
    let (outcome, steps) = apply(&target, &plan, backups.path());
    outcome.unwrap_or_else(|err| panic!("{err}\n{steps:#?}\n{}", server.error_log()));
    assert!(steps.iter().any(|s| s.contains("Apache reloaded")), "{steps:#?}");
    assert_eq!(server.pid(), pid, "a graceful reload keeps the parent process");
    // The new value is served after the reload.
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.server_header() != "Apache" {
        assert!(Instant::now() < deadline, "Server: {}", server.server_header());
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_reload_that_stops_apache_rolls_back_and_starts_it_again() {
    let server = Server::start();
    let target = live_target(server.confdir());
    // An address this machine does not have (TEST-NET-1): `apache2ctl -t`
    // passes, the graceful reload cannot bind it and the server stops.
    let ports: PathBuf = server.confdir().join("ports.conf");
    let before = std::fs::read(&ports).expect("ports.conf");
    let mut after = before.clone();
    after.extend_from_slice("Listen 192.0.2.1:8080\n".as_bytes());
    let mut plan = Plan::new("apache.server-tokens", "listen on a port in use");
    plan.edits.push(FileEdit::change(ports.display().to_string(), before.clone(), after));
    plan.validators = vec![Validator::ApacheConfigTest, Validator::ApacheReload];

    let backups = tempfile::tempdir().expect("backups");
    let (outcome, steps) = apply(&target, &plan, backups.path());
    let err = outcome.expect_err("the reload fails");
    assert!(
        err.contains("not running after the reload"),
        "{err}\n{steps:#?}\n{}",
        server.error_log()
    );
    assert_eq!(std::fs::read(&ports).expect("ports.conf"), before, "restored");
    assert!(steps.iter().any(|s| s.starts_with("roll back: Apache")), "{steps:#?}");
    server.wait_until_up();
}

#[test]
fn a_config_test_failure_names_apaches_error_and_whether_it_was_there_before() {
    let server = Server::start();
    let target = live_target(server.confdir());
    let conf = server.confdir().join("ports.conf");
    let before = std::fs::read(&conf).expect("ports.conf");

    // The fix itself breaks the configuration: Apache's reason is kept,
    // every file comes back, and the restored tree passes the test.
    let mut broken = before.clone();
    broken.extend_from_slice(b"NoSuchDirective On\n");
    let mut plan = Plan::new("apache.server-tokens", "write a directive Apache does not know");
    plan.edits.push(FileEdit::change(conf.display().to_string(), before.clone(), broken));
    plan.validators = vec![Validator::ApacheConfigTest];
    let backups = tempfile::tempdir().expect("backups");
    let (outcome, steps) = apply(&target, &plan, backups.path());
    let err = outcome.expect_err("the config test fails");
    assert!(err.contains("AH00526: Syntax error on line"), "{err}");
    assert!(err.contains("Invalid command 'NoSuchDirective'"), "{err}");
    assert!(!err.contains("Action '-t' failed"), "{err}");
    assert_eq!(std::fs::read(&conf).expect("ports.conf"), before, "restored");
    assert!(!steps.iter().any(|s| s.contains("restored files too")), "{steps:#?}");

    // The configuration was already broken elsewhere: the rollback says so.
    let other = server.confdir().join("conf-enabled/zz-broken.conf");
    std::fs::write(&other, "AnotherUnknownDirective 1\n").expect("write");
    let mut plan = Plan::new("apache.server-tokens", "a harmless change");
    let mut changed = before.clone();
    changed.extend_from_slice(b"# harmless\n");
    plan.edits.push(FileEdit::change(conf.display().to_string(), before.clone(), changed));
    plan.validators = vec![Validator::ApacheConfigTest];
    let (outcome, steps) = apply(&target, &plan, backups.path());

    // The fix breaks ports.conf (read first) while the other error stays:
    // the note names the other one as a second error, not as this one.
    let mut broken = before.clone();
    broken.extend_from_slice(b"NoSuchDirective On\n");
    let mut breaking = Plan::new("apache.server-tokens", "break ports.conf too");
    breaking.edits.push(FileEdit::change(conf.display().to_string(), before.clone(), broken));
    breaking.validators = vec![Validator::ApacheConfigTest];
    let (both, both_steps) = apply(&target, &breaking, backups.path());
    std::fs::remove_file(&other).expect("remove the broken file");

    let err = outcome.expect_err("the config test fails");
    assert!(err.contains("AnotherUnknownDirective"), "{err}");
    assert_eq!(std::fs::read(&conf).expect("ports.conf"), before, "restored");
    let note = steps.iter().find(|s| s.contains("restored files too")).unwrap_or_else(|| {
        panic!("no note that the error was there before: {steps:#?}");
    });
    assert!(note.starts_with("roll back: ") && note.contains("zz-broken.conf"), "{note}");

    let err = both.expect_err("the config test fails");
    assert!(err.contains("NoSuchDirective"), "{err}");
    let note = both_steps.iter().find(|s| s.contains("another error")).unwrap_or_else(|| {
        panic!("no note of the other error: {both_steps:#?}");
    });
    assert!(note.contains("AnotherUnknownDirective"), "{note}");
    assert_eq!(std::fs::read(&conf).expect("ports.conf"), before, "restored");
}
