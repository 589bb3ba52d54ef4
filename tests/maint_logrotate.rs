//! logrotate coverage of the site's logs on fixture trees, checked against
//! the real `logrotate -d` where the outcome is logrotate's own verdict
//! (duplicates, ignored drop-ins, unsafe directories).

use std::fs;
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};

use portcullis::maint::logrotate::{self, IgnoreReason, Validation};

const NOBODY: u32 = 65534;

fn logrotate_program() -> PathBuf {
    let program = PathBuf::from("/usr/sbin/logrotate");
    assert!(
        program.is_file(),
        "logrotate is not installed; install it with `apt-get install -y logrotate`"
    );
    program
}

/// A directory tree standing for a server's filesystem.
struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Tree {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        Tree { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The tree's absolute path of `inside`, for configs read by the real
    /// logrotate (which knows no root prefix).
    fn abs(&self, inside: &str) -> String {
        format!("{}{inside}", self.root().display())
    }

    /// Writes `text` (with `{R}` replaced by the tree's path) at `inside`,
    /// mode 0644, owned by root.
    fn write(&self, inside: &str, text: &str) -> PathBuf {
        let path = self.root().join(inside.trim_start_matches('/'));
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, text.replace("{R}", &self.root().display().to_string())).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        path
    }

    fn validate(&self, conf: &Path) -> Validation {
        logrotate::validate(&logrotate_program(), conf, &self.root().join("status"))
            .expect("logrotate runs")
    }
}

const MAIN_CONF: &str = "weekly\nrotate 4\ncreate\ninclude {R}/etc/logrotate.d\n";

const APACHE_STANZA: &str = "{R}/var/log/apache2/*.log {\n\tdaily\n\tmissingok\n\trotate 14\n\t\
    compress\n\tdelaycompress\n\tnotifempty\n\tcreate 640 root adm\n\tsharedscripts\n\t\
    postrotate\n\t\tif pgrep -f ^/usr/sbin/apache2 > /dev/null; then\n\t\t\ttrue\n\t\tfi\n\t\
    endscript\n}\n";

#[test]
fn debian_layout_under_a_root_covers_apache_logs_but_not_the_django_log() {
    let tree = Tree::new();
    tree.write("/etc/logrotate.conf", &MAIN_CONF.replace("{R}", ""));
    tree.write("/etc/logrotate.d/apache2", &APACHE_STANZA.replace("{R}", ""));
    tree.write("/etc/logrotate.d/apache2.dpkg-old", "/srv/app/logs/*.log {\n}\n");
    let logs = [
        "/var/log/apache2/example-error.log".to_owned(),
        "/var/log/apache2/example-access.log".to_owned(),
        "/srv/app/logs/django.log".to_owned(),
    ];

    let config = logrotate::load(tree.root(), logrotate::MAIN_CONFIG);
    let report = logrotate::coverage(tree.root(), &config, &logs);

    assert_eq!(config.files, ["/etc/logrotate.conf", "/etc/logrotate.d/apache2"]);
    assert!(config.problems.is_empty(), "{:?}", config.problems);
    assert_eq!(report.logs[0].covered_by.len(), 1);
    assert_eq!(report.logs[0].covered_by[0].file, "/etc/logrotate.d/apache2");
    assert_eq!(report.logs[0].covered_by[0].pattern, "/var/log/apache2/*.log");
    assert_eq!(report.logs[1].covered_by.len(), 1);
    let uncovered: Vec<&str> = report.uncovered().iter().map(|l| l.log.as_str()).collect();
    assert_eq!(uncovered, ["/srv/app/logs/django.log"]);
}

/// A custom drop-in re-lists the Apache logs: logrotate reports "duplicate
/// log entry" and skips the later file.
#[test]
fn a_log_already_covered_twice_is_a_finding_and_logrotate_agrees() {
    let tree = Tree::new();
    let main = tree.write("/etc/logrotate.conf", MAIN_CONF);
    tree.write("/etc/logrotate.d/apache2", APACHE_STANZA);
    tree.write(
        "/etc/logrotate.d/django-apache",
        "{R}/var/log/apache2/*.log {R}/srv/app/logs/django.log {\n    weekly\n    missingok\n}\n",
    );
    tree.write("/var/log/apache2/example-error.log", "");
    tree.write("/srv/app/logs/django.log", "");
    let logs =
        [tree.abs("/var/log/apache2/example-error.log"), tree.abs("/srv/app/logs/django.log")];

    let config = logrotate::load(Path::new("/"), &tree.abs("/etc/logrotate.conf"));
    let report = logrotate::coverage(Path::new("/"), &config, &logs);

    let twice: Vec<&str> = report.duplicated().iter().map(|l| l.log.as_str()).collect();
    assert_eq!(twice, [logs[0].as_str()]);
    assert!(!report.all_good());

    let validation = tree.validate(&main);
    assert!(!validation.is_ok());
    assert!(
        validation.errors.contains(&format!("django-apache:1 duplicate log entry for {}", logs[0])),
        "{:?}",
        validation.errors
    );
}

/// Case E4: deploy tooling left the drop-in group-writable and owned by the
/// deploy user; logrotate ignores it, so the log it names is not rotated.
#[test]
fn a_drop_in_writable_by_group_and_owned_by_the_deploy_user_is_ignored() {
    let tree = Tree::new();
    let main = tree.write("/etc/logrotate.conf", MAIN_CONF);
    let dropin = tree.write(
        "/etc/logrotate.d/myproject",
        "{R}/var/log/myproject/*.log {\n    weekly\n    rotate 8\n    compress\n}\n",
    );
    fs::set_permissions(&dropin, fs::Permissions::from_mode(0o664)).expect("chmod");
    chown(&dropin, Some(NOBODY), Some(NOBODY)).expect("chown");
    let logs = [tree.abs("/var/log/myproject/app.log")];

    let config = logrotate::load(Path::new("/"), &tree.abs("/etc/logrotate.conf"));
    let report = logrotate::coverage(Path::new("/"), &config, &logs);

    assert_eq!(config.ignored.len(), 1);
    assert_eq!(
        config.ignored[0].reasons,
        [
            IgnoreReason::WritableByGroupOrOthers { mode: 0o664 },
            IgnoreReason::NotOwnedByRoot { uid: NOBODY }
        ]
    );
    let file = tree.abs("/etc/logrotate.d/myproject");
    assert_eq!(
        config.ignored[0].repair_commands(),
        [format!("chmod 0644 {file}"), format!("chown root:root {file}")]
    );
    assert!(report.logs[0].covered_by.is_empty());
    assert_eq!(report.logs[0].ignored_by.len(), 1);

    // logrotate stops at the first reason it finds (the owner).
    let validation = tree.validate(&main);
    assert!(
        validation.errors.iter().any(|e| e.starts_with("Ignoring myproject because")),
        "{:?}",
        validation.errors
    );
}

/// Case E4, second half: the log directory is group-writable by a group that
/// is not root; logrotate skips the log unless `su` says who rotates it. The
/// planned drop-in carries the `su` line and logrotate accepts it.
#[test]
fn a_group_writable_log_directory_gets_a_su_line_and_the_plan_validates() {
    let tree = Tree::new();
    let main = tree.write("/etc/logrotate.conf", MAIN_CONF);
    tree.write("/etc/logrotate.d/apache2", APACHE_STANZA);
    tree.write("/var/log/apache2/example-error.log", "");
    tree.write("/var/log/myproject/app.log", "");
    let log_dir = tree.root().join("var/log/myproject");
    fs::set_permissions(&log_dir, fs::Permissions::from_mode(0o775)).expect("chmod");
    chown(&log_dir, Some(NOBODY), Some(NOBODY)).expect("chown");
    let logs =
        [tree.abs("/var/log/apache2/example-error.log"), tree.abs("/var/log/myproject/app.log")];

    let config = logrotate::load(Path::new("/"), &tree.abs("/etc/logrotate.conf"));
    let report = logrotate::coverage(Path::new("/"), &config, &logs);
    let insecure = report.logs[1].insecure_parent.as_ref().expect("flagged");
    assert_eq!((insecure.mode, insecure.owner.as_str()), (0o775, "nobody"));

    // The plan lands in the tree's /etc/logrotate.d (root "/" plus the
    // tree's path), created with mode 0644.
    let app_log = tree.root().join("var/log/myproject/app.log");
    fs::set_permissions(&app_log, fs::Permissions::from_mode(0o640)).expect("chmod");
    chown(&app_log, Some(NOBODY), Some(NOBODY)).expect("chown");
    let create = logrotate::create_args_for(Path::new("/"), &logs[1..]);
    assert_eq!(create, "0640 nobody nogroup");
    let plan = logrotate::plan_site_dropin(Path::new("/"), "example.com", &report, &create)
        .expect("a plan for the uncovered log");
    assert_eq!(plan.path, "/etc/logrotate.d/example-com");
    assert_eq!(plan.logs, [logs[1].clone()]);
    assert_eq!(plan.mode, 0o644);
    assert!(plan.after.contains("    su nobody nogroup\n"), "{}", plan.after);

    let target = tree.write("/etc/logrotate.d/example-com", &plan.after);
    let validation = tree.validate(&main);
    assert!(validation.is_ok(), "{validation:?}");

    let config = logrotate::load(Path::new("/"), &tree.abs("/etc/logrotate.conf"));
    let report = logrotate::coverage(Path::new("/"), &config, &logs);
    assert!(report.all_good(), "{report:?}");
    assert_eq!(report.logs[1].covered_by[0].file, target.display().to_string());
}

#[test]
fn every_log_covered_once_needs_no_plan() {
    let tree = Tree::new();
    tree.write("/etc/logrotate.conf", &MAIN_CONF.replace("{R}", ""));
    tree.write("/etc/logrotate.d/apache2", &APACHE_STANZA.replace("{R}", ""));
    let logs = ["/var/log/apache2/error.log".to_owned()];
    let config = logrotate::load(tree.root(), logrotate::MAIN_CONFIG);
    let report = logrotate::coverage(tree.root(), &config, &logs);
    assert!(report.all_good());
    assert_eq!(logrotate::plan_site_dropin(tree.root(), "site", &report, "0640 root adm"), None);
}

#[test]
fn an_unknown_directive_is_reported_by_the_validator() {
    let tree = Tree::new();
    let conf =
        tree.write("/etc/logrotate.d/bad", "{R}/var/log/x.log {\n    missingok\n    rotaet 3\n}\n");
    let validation = tree.validate(&conf);
    // logrotate names the file as it was given on its command line.
    assert_eq!(
        validation.errors,
        [format!("{}:3 unknown option 'rotaet' -- ignoring line", conf.display())]
    );
}

/// Two patterns of the same stanza that match one file are a duplicate to
/// logrotate as well.
#[test]
fn two_patterns_of_one_stanza_matching_a_log_are_a_duplicate() {
    let tree = Tree::new();
    let conf = tree.write(
        "/etc/logrotate.d/site",
        "{R}/srv/app/logs/django.log {R}/srv/app/logs/*.log {\n    missingok\n}\n",
    );
    tree.write("/srv/app/logs/django.log", "");
    let logs = [tree.abs("/srv/app/logs/django.log")];

    let config = logrotate::load(Path::new("/"), &conf.display().to_string());
    let report = logrotate::coverage(Path::new("/"), &config, &logs);
    assert_eq!(report.duplicated().len(), 1);
    assert_eq!(report.logs[0].covered_by[1].pattern, tree.abs("/srv/app/logs/*.log"));

    let validation = tree.validate(&conf);
    assert_eq!(
        validation.errors,
        [format!("{}:1 duplicate log entry for {}", conf.display(), logs[0])]
    );
}

/// The state file as the real logrotate writes it, read back.
#[test]
fn a_forced_rotation_is_read_back_from_the_state_file() {
    let tree = Tree::new();
    let conf =
        tree.write("/etc/logrotate.d/site", "{R}/srv/app/logs/django.log {\n    rotate 2\n}\n");
    tree.write("/srv/app/logs/django.log", "a line\n");
    let state = tree.abs(logrotate::STATE_FILE);
    fs::create_dir_all(Path::new(&state).parent().expect("parent")).expect("mkdir");

    let status = std::process::Command::new(logrotate_program())
        .args(["-f", "-s", &state])
        .arg(&conf)
        .status()
        .expect("logrotate runs");
    assert!(status.success());

    let rotated = logrotate::read_state(Path::new("/"), &state).expect("state read");
    let today = jiff::ZonedDateTime::now().strftime("%Y-%m-%d").to_string();
    assert_eq!(rotated.get(&tree.abs("/srv/app/logs/django.log")), Some(&today));
    assert!(tree.root().join("srv/app/logs/django.log.1").is_file());
}
