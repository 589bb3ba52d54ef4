//! Shared helpers for the Apache tests: small trees written into a temporary
//! root, and a copy of Debian's real /etc/apache2 for Apache's own test.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use portcullis::apache::{ApacheConfig, checks};
use portcullis::dpkg::Installed;
use portcullis::finding::{Finding, Status};
use portcullis::target::Target;

/// A Debian-like skeleton: the include order of Debian's apache2.conf, the
/// default <Directory> blocks, autoindex and alias loaded.
pub const BASE: &[(&str, &str)] = &[
    (
        "etc/apache2/apache2.conf",
        "ErrorLog ${APACHE_LOG_DIR}/error.log\n\
         IncludeOptional mods-enabled/*.load\n\
         IncludeOptional mods-enabled/*.conf\n\
         Include ports.conf\n\
         <Directory />\n\tOptions FollowSymLinks\n\tAllowOverride None\n\tRequire all denied\n</Directory>\n\
         <Directory /var/www/>\n\tOptions Indexes FollowSymLinks\n\tAllowOverride None\n\tRequire all granted\n</Directory>\n\
         AccessFileName .htaccess\n\
         IncludeOptional conf-enabled/*.conf\n\
         IncludeOptional sites-enabled/*.conf\n",
    ),
    (
        "etc/apache2/envvars",
        "export APACHE_RUN_USER=www-data\nexport APACHE_LOG_DIR=/var/log/apache2$SUFFIX\n",
    ),
    ("etc/apache2/ports.conf", "Listen 80\n<IfModule ssl_module>\n\tListen 443\n</IfModule>\n"),
    (
        "etc/apache2/mods-enabled/alias.load",
        "LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so\n",
    ),
    (
        "etc/apache2/mods-enabled/autoindex.load",
        "LoadModule autoindex_module /usr/lib/apache2/modules/mod_autoindex.so\n",
    ),
    (
        "etc/apache2/mods-enabled/mpm_event.load",
        "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n",
    ),
    (
        "var/lib/dpkg/status",
        "Package: apache2\nStatus: install ok installed\nVersion: 2.4.71-1~deb12u1\n",
    ),
];

/// Writes `BASE` plus `files` (later entries replace earlier ones).
pub fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (path, content) in BASE.iter().chain(files) {
        write(dir.path(), path, content);
    }
    dir
}

pub fn write(root: &Path, path: &str, content: &str) {
    let file = root.join(path);
    std::fs::create_dir_all(file.parent().expect("parent")).expect("create directories");
    std::fs::write(&file, content).expect("write fixture file");
}

pub fn target(root: &Path) -> Target {
    Target::at_root(root)
}

pub fn load(root: &Path) -> ApacheConfig {
    ApacheConfig::load(&target(root)).expect("the tree loads")
}

pub fn check(root: &Path, id: &str) -> Finding {
    let target = target(root);
    let cfg = ApacheConfig::load(&target).expect("the tree loads");
    let packages = Installed::load(&target).unwrap_or_default();
    checks::run(id, &cfg, &packages, &target)
}

pub fn assert_status(finding: &Finding, status: Status) {
    assert_eq!(
        finding.status, status,
        "{}: {}\n{:#?}",
        finding.id, finding.summary, finding.evidence
    );
}

pub fn evidence_mentions(finding: &Finding, file_suffix: &str, line: u32) -> bool {
    finding.evidence.iter().any(|e| {
        e.file.as_deref().is_some_and(|f| f.ends_with(file_suffix)) && e.line == Some(line)
    })
}

/// The Debian fixture trees in tests/fixtures/apache/<name>.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/apache").join(name)
}

const INSTALL_HINT: &str = "Debian's Apache is needed for this test: apt-get update && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y apache2 libapache2-mod-security2 modsecurity-crs libapache2-mod-evasive";

/// A copy of this machine's /etc/apache2 in a temporary directory, to be
/// used as `APACHE_CONFDIR`. Fails (never skips) when Apache is missing.
pub fn debian_copy() -> tempfile::TempDir {
    assert!(
        Path::new("/etc/apache2/apache2.conf").is_file() && which("apache2ctl"),
        "{INSTALL_HINT}"
    );
    let dir = tempfile::tempdir().expect("temporary directory");
    let status = Command::new("cp")
        .arg("-a")
        .arg("/etc/apache2/.")
        .arg(dir.path())
        .status()
        .expect("cp runs");
    assert!(status.success(), "copying /etc/apache2 failed");
    dir
}

pub fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// `apache2ctl <args>` on a configuration directory: (success, stdout, stderr).
pub fn apache2ctl(confdir: &Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new("apache2ctl")
        .args(args)
        .env("APACHE_CONFDIR", confdir)
        .output()
        .expect(INSTALL_HINT);
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A target at root `/` whose Apache root is `confdir`.
pub fn live_target(confdir: &Path) -> Target {
    let mut target = Target::at_root("/");
    target.apache_root = confdir.to_path_buf();
    target
}
