//! The bundled demo site, unpacked as `portcullis demo` unpacks it: the tree
//! must be exactly `assets/demo`, look like a fresh Debian 12 deploy of a
//! Django site, and be a configuration that Debian's own Apache accepts.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use portcullis::demo;

#[derive(Debug, PartialEq, Eq)]
enum Node {
    Dir,
    File(Vec<u8>),
    Link(PathBuf),
}

fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo")
}

fn unpacked() -> tempfile::TempDir {
    let scratch = tempfile::tempdir().expect("tempdir");
    demo::unpack(scratch.path()).expect("unpack the demo site");
    scratch
}

fn walk(root: &Path) -> BTreeMap<PathBuf, Node> {
    fn visit(root: &Path, dir: &Path, into: &mut BTreeMap<PathBuf, Node>) {
        for entry in fs::read_dir(dir).expect("list directory") {
            let path = entry.expect("entry").path();
            let inside = path.strip_prefix(root).expect("under root").to_path_buf();
            let metadata = fs::symlink_metadata(&path).expect("metadata");
            if metadata.file_type().is_symlink() {
                into.insert(inside, Node::Link(fs::read_link(&path).expect("readlink")));
            } else if metadata.is_dir() {
                into.insert(inside, Node::Dir);
                visit(root, &path, into);
            } else {
                into.insert(inside, Node::File(fs::read(&path).expect("read")));
            }
        }
    }
    let mut nodes = BTreeMap::new();
    visit(root, root, &mut nodes);
    nodes
}

fn read(root: &Path, inside: &str) -> String {
    fs::read_to_string(root.join(inside)).unwrap_or_else(|e| panic!("read {inside}: {e}"))
}

fn names_in(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .expect("list directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// Lines of an Apache or shell file with comments and blank lines removed.
fn active_lines(text: &str) -> Vec<&str> {
    text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')).collect()
}

#[test]
fn unpacked_tree_equals_assets_demo_file_by_file() {
    let scratch = unpacked();
    let expected = walk(&assets());
    let actual = walk(scratch.path());
    assert!(expected.len() > 250, "assets/demo looks truncated");
    let expected_paths: BTreeSet<_> = expected.keys().collect();
    let actual_paths: BTreeSet<_> = actual.keys().collect();
    assert_eq!(expected_paths, actual_paths);
    for (path, node) in &expected {
        assert!(actual[path] == *node, "{} differs", path.display());
    }
}

#[test]
fn every_symlink_is_relative_and_resolves_inside_the_root() {
    let scratch = unpacked();
    let root = scratch.path().canonicalize().expect("canonical root");
    let mut links = 0;
    for (inside, node) in walk(&root) {
        if let Node::Link(target) = node {
            links += 1;
            assert!(target.is_relative(), "{} -> {}", inside.display(), target.display());
            let resolved = root
                .join(&inside)
                .canonicalize()
                .unwrap_or_else(|e| panic!("{} does not resolve: {e}", inside.display()));
            assert!(resolved.starts_with(&root), "{} leaves the root", inside.display());
            assert!(resolved.is_file(), "{} does not lead to a file", inside.display());
        }
    }
    // 37 module links (24 modules), 5 confs and one site.
    assert_eq!(links, 43);
}

#[test]
fn modes_survive_unpacking() {
    let scratch = unpacked();
    let mode = |inside: &str| {
        fs::symlink_metadata(scratch.path().join(inside)).expect("metadata").permissions().mode()
            & 0o7777
    };
    assert_eq!(mode("srv/aijack/.env"), 0o644, "the .env must be world-readable, as deployed");
    assert_eq!(mode("srv/aijack/manage.py"), 0o755);
    assert_eq!(mode("srv/aijack/config/settings.py"), 0o644);
    assert_eq!(mode("etc/logrotate.d/apache2"), 0o644, "logrotate ignores group-writable files");
    assert_eq!(mode("srv/aijack"), 0o755);
}

#[test]
fn mods_enabled_is_a_fresh_debian_install_plus_security2_wsgi_and_ssl() {
    let scratch = unpacked();
    let enabled_dir = scratch.path().join("etc/apache2/mods-enabled");
    let mut modules = BTreeSet::new();
    for name in names_in(&enabled_dir) {
        let link = fs::read_link(enabled_dir.join(&name)).expect("mods-enabled holds symlinks");
        assert_eq!(link, Path::new("../mods-available").join(&name));
        assert!(enabled_dir.join(&name).is_file(), "{name} does not resolve");
        modules.insert(name.split('.').next().expect("name").to_owned());
    }

    let fresh_install = [
        "mpm_event",
        "authz_core",
        "authz_host",
        "authn_core",
        "auth_basic",
        "access_compat",
        "authn_file",
        "authz_user",
        "alias",
        "dir",
        "autoindex",
        "env",
        "mime",
        "negotiation",
        "setenvif",
        "filter",
        "deflate",
        "status",
        "reqtimeout",
    ];
    let added = ["security2", "unique_id", "wsgi", "ssl", "socache_shmcb"];
    let expected: BTreeSet<String> =
        fresh_install.iter().chain(&added).map(|m| (*m).to_owned()).collect();
    assert_eq!(modules, expected);
    assert!(!modules.contains("headers"));
    assert!(!modules.contains("rewrite"));

    // Each module with a .conf in mods-available has it linked too, as a2enmod does.
    for module in &modules {
        let conf = format!("{module}.conf");
        let available = scratch.path().join("etc/apache2/mods-available").join(&conf);
        assert_eq!(available.exists(), enabled_dir.join(&conf).exists(), "{conf}");
    }
}

#[test]
fn conf_enabled_holds_debians_five_default_confs() {
    let scratch = unpacked();
    let dir = scratch.path().join("etc/apache2/conf-enabled");
    let names = names_in(&dir);
    let expected: BTreeSet<String> = [
        "charset.conf",
        "localized-error-pages.conf",
        "other-vhosts-access-log.conf",
        "security.conf",
        "serve-cgi-bin.conf",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    assert_eq!(names, expected);
    for name in names {
        assert_eq!(
            fs::read_link(dir.join(&name)).expect("symlink"),
            Path::new("../conf-available").join(&name)
        );
    }
}

#[test]
fn only_the_aijack_site_is_enabled() {
    let scratch = unpacked();
    let dir = scratch.path().join("etc/apache2/sites-enabled");
    assert_eq!(names_in(&dir), BTreeSet::from(["aijack.conf".to_owned()]));
    assert_eq!(
        fs::read_link(dir.join("aijack.conf")).expect("symlink"),
        Path::new("../sites-available/aijack.conf")
    );
    assert!(scratch.path().join("etc/apache2/sites-available/000-default.conf").is_file());
    assert!(scratch.path().join("etc/apache2/sites-available/default-ssl.conf").is_file());
}

#[test]
fn security_conf_is_debians_default() {
    let scratch = unpacked();
    let text = read(scratch.path(), "etc/apache2/conf-available/security.conf");
    let active = active_lines(&text);
    assert_eq!(active, vec!["ServerTokens OS", "ServerSignature On", "TraceEnable Off"]);
}

#[test]
fn debian_conffiles_match_the_md5sums_in_the_demo_dpkg_status() {
    let scratch = unpacked();
    let status = read(scratch.path(), "var/lib/dpkg/status");
    let mut checked = BTreeSet::new();
    for line in status.lines().filter(|l| l.starts_with(" /")) {
        let mut fields = line.split_whitespace();
        let (Some(path), Some(md5)) = (fields.next(), fields.next()) else {
            panic!("bad Conffiles line: {line}");
        };
        let host = scratch.path().join(path.trim_start_matches('/'));
        if !host.exists() {
            continue; // init scripts, cron jobs, openssl.cnf: not part of the demo
        }
        let output = Command::new("md5sum")
            .arg(&host)
            .output()
            .expect("md5sum (coreutils) must be installed");
        let digest = String::from_utf8_lossy(&output.stdout);
        assert_eq!(digest.split_whitespace().next(), Some(md5), "{path} differs from Debian's");
        checked.insert(path.to_owned());
    }
    for must in [
        "/etc/apache2/apache2.conf",
        "/etc/apache2/ports.conf",
        "/etc/apache2/envvars",
        "/etc/apache2/conf-available/security.conf",
        "/etc/apache2/mods-available/ssl.conf",
        "/etc/apache2/mods-available/security2.conf",
        "/etc/apache2/mods-available/security2.load",
        "/etc/apache2/mods-available/wsgi.load",
        "/etc/apache2/sites-available/000-default.conf",
        "/etc/modsecurity/modsecurity.conf-recommended",
        "/etc/modsecurity/crs/crs-setup.conf",
        "/etc/logrotate.d/apache2",
        "/etc/logrotate.conf",
    ] {
        assert!(checked.contains(must), "{must} was not checked against Debian's md5sum");
    }
}

#[test]
fn modsecurity_is_installed_but_its_engine_is_never_switched_on() {
    let scratch = unpacked();
    let root = scratch.path();
    let recommended = read(root, "etc/modsecurity/modsecurity.conf-recommended");
    assert!(active_lines(&recommended).contains(&"SecRuleEngine DetectionOnly"));
    // Only the -recommended copy exists, so no SecRuleEngine is ever read.
    let confs: Vec<_> = names_in(&root.join("etc/modsecurity"))
        .into_iter()
        .filter(|n| Path::new(n).extension().is_some_and(|e| e == "conf"))
        .collect();
    assert!(confs.is_empty(), "{confs:?}");

    let security2 = read(root, "etc/apache2/mods-available/security2.conf");
    assert!(security2.contains("IncludeOptional /etc/modsecurity/*.conf"));
    assert!(security2.contains("IncludeOptional /usr/share/modsecurity-crs/*.load"));
    let load = read(root, "usr/share/modsecurity-crs/owasp-crs.load");
    assert!(load.contains("Include /etc/modsecurity/crs/crs-setup.conf"));
    assert!(load.contains("Include /usr/share/modsecurity-crs/rules/*.conf"));
    let rules = names_in(&root.join("usr/share/modsecurity-crs/rules"));
    assert!(rules.contains("REQUEST-942-APPLICATION-ATTACK-SQLI.conf"));
    assert!(rules.contains("REQUEST-949-BLOCKING-EVALUATION.conf"));
    let setup = read(root, "etc/modsecurity/crs/crs-setup.conf");
    assert!(setup.contains("setvar:tx.crs_setup_version=334"));
}

#[test]
fn mod_evasive_is_not_installed() {
    let scratch = unpacked();
    for (inside, _) in walk(scratch.path()) {
        assert!(!inside.to_string_lossy().contains("evasive"), "{}", inside.display());
    }
    let status = read(scratch.path(), "var/lib/dpkg/status");
    assert!(!status.contains("libapache2-mod-evasive"));
}

#[test]
fn dpkg_status_has_the_debian_12_versions() {
    let scratch = unpacked();
    let status = read(scratch.path(), "var/lib/dpkg/status");
    let mut versions = BTreeMap::new();
    for stanza in status.split("\n\n") {
        let field = |name: &str| {
            stanza
                .lines()
                .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(": ")))
                .unwrap_or_else(|| panic!("stanza without {name}: {stanza}"))
        };
        assert_eq!(field("Status"), "install ok installed");
        versions.insert(field("Package").to_owned(), field("Version").to_owned());
    }
    let expected = [
        ("apache2", "2.4.71-1~deb12u1"),
        ("apache2-bin", "2.4.71-1~deb12u1"),
        ("apache2-data", "2.4.71-1~deb12u1"),
        ("apache2-utils", "2.4.71-1~deb12u1"),
        ("libapache2-mod-security2", "2.9.7-1+deb12u2"),
        ("libapache2-mod-wsgi-py3", "4.9.4-1+b2"),
        ("logrotate", "3.21.0-1"),
        ("modsecurity-crs", "3.3.4-1+deb12u3"),
        ("openssl", "3.0.22-1~deb12u2"),
        ("python3", "3.11.2-1+b1"),
        ("python3-venv", "3.11.2-1+b1"),
    ];
    let expected: BTreeMap<String, String> =
        expected.iter().map(|(p, v)| ((*p).to_owned(), (*v).to_owned())).collect();
    assert_eq!(versions, expected);
}

#[test]
fn django_project_is_wired_as_the_checks_expect() {
    let scratch = unpacked();
    let root = scratch.path();
    let project = root.join(demo::PROJECT_DIR.trim_start_matches('/'));

    let manage = read(&project, "manage.py");
    assert!(
        manage.contains(r#"os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")"#)
    );
    assert_eq!(demo::SETTINGS_MODULE, "config.settings");

    let settings = read(&project, "config/settings.py");
    for line in [
        r#"load_dotenv(BASE_DIR / ".env")"#,
        r#"SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]"#,
        r#"DEBUG = os.getenv("DJANGO_DEBUG", "False") == "True""#,
        r#"ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")"#,
        r#""django.middleware.security.SecurityMiddleware","#,
        r#""django.middleware.clickjacking.XFrameOptionsMiddleware","#,
        r#""django.contrib.sessions","#,
        r#""django.middleware.csrf.CsrfViewMiddleware","#,
    ] {
        assert!(settings.lines().any(|l| l.trim() == line), "settings.py lacks {line}");
    }
    for absent in ["SECURE_", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "csp", "axes"] {
        assert!(!settings.contains(absent), "settings.py should not mention {absent} yet");
    }

    let requirements = read(&project, "requirements.txt");
    assert!(requirements.lines().any(|l| l.starts_with("Django==5.2.")));
    assert!(requirements.lines().any(|l| l.starts_with("python-dotenv==")));
    for absent in ["django-csp", "django-axes", "pip-audit"] {
        assert!(!requirements.contains(absent), "requirements.txt should not list {absent}");
    }

    // No virtualenv: package items fall back to requirements.txt.
    assert!(!project.join(".venv").exists());
    assert!(!project.join("venv").exists());
}

#[test]
fn env_file_sets_the_three_variables_the_settings_read() {
    let scratch = unpacked();
    let text = read(scratch.path(), demo::ENV_FILE.trim_start_matches('/'));
    let mut values = BTreeMap::new();
    for line in text.lines() {
        let (name, value) = line.split_once('=').expect("KEY=value line");
        values.insert(name, value);
    }
    let names: Vec<_> = values.keys().copied().collect();
    assert_eq!(names, ["DJANGO_ALLOWED_HOSTS", "DJANGO_DEBUG", "DJANGO_SECRET_KEY"]);
    assert_eq!(values["DJANGO_DEBUG"], "False");
    assert_eq!(values["DJANGO_ALLOWED_HOSTS"], "aijack.example.com,www.aijack.example.com");
    // The demo key is fake and fails Django's rules on its prefix alone. Its
    // value is never printed here.
    let key = values["DJANGO_SECRET_KEY"];
    assert!(key.starts_with("django-insecure-demo-only-"), "the demo key must say it is fake");
    assert!(key.len() >= 50);
}

#[test]
fn site_user_of_the_vhost_exists_in_the_demo_passwd() {
    let scratch = unpacked();
    let root = scratch.path();
    let vhost = read(root, "etc/apache2/sites-available/aijack.conf");
    let daemon = vhost
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("WSGIDaemonProcess"))
        .expect("vhost has WSGIDaemonProcess");
    assert!(daemon.contains(&format!("user={}", demo::SITE_USER)));
    assert!(daemon.contains("group=aijack"));
    assert!(daemon.contains("python-path=/srv/aijack"));
    assert!(vhost.contains("WSGIScriptAlias / /srv/aijack/config/wsgi.py"));
    assert!(vhost.contains("Options Indexes FollowSymLinks"));
    assert!(vhost.contains("<VirtualHost *:80>") && vhost.contains("<VirtualHost *:443>"));

    let passwd = read(root, "etc/passwd");
    assert!(passwd.lines().any(|l| l.starts_with("aijack:x:1001:1001:")));
    assert!(passwd.lines().any(|l| l.starts_with("www-data:x:33:33:")));
    let group = read(root, "etc/group");
    assert!(group.lines().any(|l| l.starts_with("aijack:x:1001:")));

    // The certificate and key the vhost names exist; the key says it is a demo.
    for inside in
        ["etc/ssl/certs/aijack.example.com.crt", "etc/ssl/private/aijack.example.com-DEMO-ONLY.key"]
    {
        assert!(vhost.contains(&format!("/{inside}")), "vhost does not name {inside}");
        assert!(root.join(inside).is_file(), "{inside} missing");
    }
}

#[test]
fn logrotate_and_logs_are_in_place() {
    let scratch = unpacked();
    let root = scratch.path();
    let rotate = read(root, "etc/logrotate.d/apache2");
    assert!(rotate.starts_with("/var/log/apache2/*.log {"));
    for directive in [
        "daily",
        "missingok",
        "rotate 14",
        "compress",
        "delaycompress",
        "notifempty",
        "create 640 root adm",
        "sharedscripts",
    ] {
        assert!(active_lines(&rotate).contains(&directive), "{directive}");
    }
    let site_access = read(root, "var/log/apache2/aijack_access.log");
    let site_error = read(root, "var/log/apache2/aijack_error.log");
    assert!(site_access.lines().count() >= 200);
    assert!(site_error.lines().count() >= 200);
    assert!(site_access.contains("\"GET /wp-login.php HTTP/1.1\" 404"));
    assert!(site_access.contains("\"GET /.env HTTP/1.1\" 404"));
    assert!(root.join("var/log/apache2/other_vhosts_access.log").is_file());
    assert!(root.join("var/www/html/index.html").is_file());
    assert!(root.join("var/cache/modsecurity").is_dir());
}

#[test]
fn logs_name_only_documentation_addresses() {
    let scratch = unpacked();
    let documentation = ["192.0.2.", "198.51.100.", "203.0.113."];
    for name in ["aijack_access.log", "access.log"] {
        let text = read(scratch.path(), &format!("var/log/apache2/{name}"));
        for line in text.lines() {
            let client = line.split(' ').next().expect("client field");
            let ok = documentation.iter().any(|p| client.starts_with(p))
                || (name == "access.log" && (client == "127.0.0.1" || client == "::1"));
            assert!(ok, "{name}: {client} is not a documentation address");
        }
    }
    let text = read(scratch.path(), "var/log/apache2/aijack_error.log");
    for line in text.lines() {
        if let Some(at) = line.find("[client ").or_else(|| line.find("[remote ")) {
            let address = &line[at + 8..];
            assert!(documentation.iter().any(|p| address.starts_with(p)), "{line}");
        }
    }
}

#[test]
fn committed_logs_are_what_the_generator_writes() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/gen-demo-logs.py");
    let status =
        Command::new("python3").arg(&script).arg("--out").arg(scratch.path()).output().expect(
            "python3 must be installed to regenerate the demo logs (apt-get install python3)",
        );
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    for name in names_in(scratch.path()) {
        let fresh = fs::read(scratch.path().join(&name)).expect("read fresh");
        let committed =
            fs::read(assets().join("var/log/apache2").join(&name)).expect("read committed");
        assert!(fresh == committed, "{name} is stale: run python3 scripts/gen-demo-logs.py");
    }
}

/// Debian's `apache2ctl -t`, run on the demo tree as if it were the machine's
/// own: inside a private mount namespace the demo's `/etc/apache2`, `/etc/ssl`,
/// `/etc/modsecurity`, `/usr/share/modsecurity-crs`, `/etc/passwd` and
/// `/etc/group` are bind-mounted over the host's (the tree names those absolute
/// paths, and `mod_wsgi` looks the daemon user up in `/etc/passwd`). The modules come
/// from the host's packages. Nothing outside the namespace changes.
#[test]
fn debian_apache_accepts_the_demo_configuration() {
    let install = "apt-get install -y apache2 libapache2-mod-security2 modsecurity-crs \
                   libapache2-mod-wsgi-py3";
    for module in ["mod_ssl.so", "mod_security2.so", "mod_wsgi.so", "mod_unique_id.so"] {
        let path = Path::new("/usr/lib/apache2/modules").join(module);
        assert!(path.exists(), "{} is missing; install Apache with: {install}", path.display());
    }
    for mount_point in
        ["/etc/apache2", "/etc/modsecurity", "/usr/share/modsecurity-crs", "/etc/ssl"]
    {
        assert!(Path::new(mount_point).is_dir(), "{mount_point} is missing; run: {install}");
    }

    let scratch = unpacked();
    let root = scratch.path().display().to_string();
    let script = format!(
        "set -e
         for p in etc/apache2 etc/ssl etc/modsecurity usr/share/modsecurity-crs etc/passwd etc/group; do
             mount --bind '{root}'/$p /$p
         done
         apache2ctl -t"
    );
    let output = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .output()
        .expect("unshare (util-linux) must be installed");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "apache2ctl -t rejected the demo tree (this test needs root for its mount namespace):\n{stderr}"
    );
    assert!(stderr.contains("Syntax OK"), "{stderr}");
}

#[test]
fn python_files_of_the_project_parse() {
    let scratch = unpacked();
    let project = scratch.path().join(demo::PROJECT_DIR.trim_start_matches('/'));
    let files: Vec<PathBuf> = walk(&project)
        .into_keys()
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .map(|p| project.join(p))
        .collect();
    assert!(files.len() >= 12, "{files:?}");
    let output = Command::new("python3")
        .args(["-c", "import ast, sys\nfor f in sys.argv[1:]: ast.parse(open(f).read(), f)"])
        .args(&files)
        .output()
        .expect("python3 must be installed (apt-get install python3)");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// Case B4 on the demo: the TLS virtual host sends HSTS itself (with
/// `mod_headers` enabled), and Django's HSTS settings stay off on purpose.
#[test]
fn hsts_sent_by_apache_counts_for_the_django_hsts_items() {
    let scratch = unpacked();
    let root = scratch.path();
    let site = root.join("etc/apache2/sites-available/aijack.conf");
    let conf = std::fs::read_to_string(&site).expect("the site");
    let with_hsts = conf.replacen(
        "\tSSLEngine on\n",
        "\tSSLEngine on\n\tHeader always set Strict-Transport-Security \"max-age=63072000; includeSubDomains\"\n",
        1,
    );
    assert_ne!(with_hsts, conf, "the TLS virtual host has SSLEngine on");
    std::fs::write(&site, with_hsts).expect("write the site");
    std::os::unix::fs::symlink(
        "../mods-available/headers.load",
        root.join("etc/apache2/mods-enabled/headers.load"),
    )
    .expect("enable mod_headers");
    let out = assert_cmd::cargo::cargo_bin_cmd!("portcullis")
        .args(["check", "--offline", "--no-save", "--format", "json", "--only", "django"])
        .arg("--root")
        .arg(root)
        .output()
        .expect("portcullis runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let status = |id: &str| {
        let finding = json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["id"] == id)
            .expect("the item")
            .clone();
        (finding["status"].as_str().unwrap_or_default().to_owned(), finding["summary"].to_string())
    };
    let (seconds, said) = status("django.hsts-seconds");
    assert_eq!(seconds, "pass", "{said}");
    assert!(said.contains("Apache sends Strict-Transport-Security"), "{said}");
    assert_eq!(status("django.hsts-subdomains").0, "pass");
    assert_eq!(status("django.hsts-preload").0, "fail", "no preload in Apache's value");
}
