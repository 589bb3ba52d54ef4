//! The Apache fixes through the real pipeline (`fix::apply` with
//! `TargetChecks`): on a copy of the demo tree, and on a copy of this
//! machine's Debian /etc/apache2 under a temporary root, where Apache's own
//! `apache2 -t` must accept the result. These tests fail (never skip) when
//! Debian's Apache is missing.

mod apache_support;

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use portcullis::apache::{ApacheConfig, checks};
use portcullis::checklist::Checklist;
use portcullis::dpkg::Installed;
use portcullis::finding::Status;
use portcullis::fix::apache::{ApachePlanning, DROP_IN};
use portcullis::fix::checks::TargetChecks;
use portcullis::fix::{self, AppliedPlan, Plan, Validator};
use portcullis::probe::RunOptions;
use portcullis::target::Target;

const INSTALL_HINT: &str = "Debian's Apache is needed: apt-get update && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y apache2 libapache2-mod-security2 modsecurity-crs libapache2-mod-evasive";

fn checklist() -> Checklist {
    portcullis::checklist::load(&[] as &[&Path]).expect("the built-in checklist loads")
}

fn status(target: &Target, id: &str) -> (Status, String) {
    let cfg = ApacheConfig::load(target).expect("the tree loads");
    let packages = Installed::load(target).unwrap_or_default();
    let finding = checks::run(id, &cfg, &packages, target);
    (finding.status, finding.summary)
}

fn plan(target: &Target, id: &str, staged: bool) -> Plan {
    let config = ApacheConfig::load(target).expect("the tree loads");
    let packages = Installed::load(target).unwrap_or_default();
    let list = checklist();
    let item = list.item(id).expect("a checklist item");
    let planning = ApachePlanning { target, config: &config, packages: &packages, staged };
    planning.plan(item).expect("a plan").expect("an Apache fix kind")
}

fn apply(target: &Target, plan: &Plan, backups: &Path) -> Result<AppliedPlan, String> {
    let list = checklist();
    let mut on_step = |_: fix::Step, _: &str| {};
    let mut checks = TargetChecks {
        target,
        checklist: &list,
        options: RunOptions { offline: true, evaluate: false },
        on_step: &mut on_step,
    };
    fix::apply(plan, target, backups, &mut checks).map_err(|err| err.to_string())
}

fn rollback(applied: &[AppliedPlan]) {
    for plan in applied.iter().rev() {
        fix::apply::remove_links(&plan.links).expect("links removed");
        fix::apply::restore(&plan.backups, true).expect("backups restored");
    }
}

/// Every file and link under `root`: bytes (or link target), mode, owner.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32, u32)> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).expect("meta");
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = if meta.file_type().is_symlink() {
                std::fs::read_link(&path).expect("link").into_os_string().into_encoded_bytes()
            } else {
                std::fs::read(&path).expect("read")
            };
            files.insert(path, (bytes, meta.mode(), meta.uid()));
        }
    }
    files
}

/// Plans and applies every failing Apache item in checklist order, the way
/// `fix --all` does (requirements first); returns the applied plans and the
/// blocked ones.
fn fix_all(target: &Target, backups: &Path) -> (Vec<AppliedPlan>, Vec<Plan>) {
    let mut applied = Vec::new();
    let mut blocked = Vec::new();
    for id in checks::ITEMS {
        if status(target, id).0 != Status::Fail {
            continue;
        }
        let plan = plan(target, id, false);
        if plan.blocked.is_some() {
            blocked.push(plan);
            continue;
        }
        match apply(target, &plan, backups) {
            Ok(done) => applied.push(done),
            Err(err) => panic!("{id} did not apply: {err}\n{}", plan.render()),
        }
    }
    (applied, blocked)
}

fn demo() -> (tempfile::TempDir, Target) {
    let dir = tempfile::tempdir().expect("tempdir");
    portcullis::demo::unpack(&dir.path().join("root")).expect("the demo unpacks");
    let target = Target::at_root(dir.path().join("root"));
    (dir, target)
}

#[test]
fn every_apache_fix_applies_to_the_demo_and_rolls_back_byte_for_byte() {
    let (dir, target) = demo();
    let before = snapshot(&target.root);
    let (applied, blocked) = fix_all(&target, &dir.path().join("backups"));

    for id in checks::ITEMS {
        let (status, summary) = status(&target, id);
        if id.starts_with("apache.evasive") {
            assert_eq!(status, Status::Fail, "{id}: {summary}");
        } else {
            assert_eq!(status, Status::Pass, "{id}: {summary}");
        }
    }
    // mod_evasive waits for its package, shown as the apt-get step.
    let blocked_ids: Vec<&str> = blocked.iter().map(|p| p.item_id.as_str()).collect();
    assert_eq!(
        blocked_ids,
        ["apache.evasive-installed", "apache.evasive-enabled", "apache.evasive-configured"]
    );
    for plan in &blocked {
        assert!(
            plan.operator_steps
                .iter()
                .any(|s| s.contains("apt-get install -y libapache2-mod-evasive")),
            "{}",
            plan.render()
        );
    }
    assert!(blocked[2].requires.contains(&"apache.evasive-installed".to_owned()));

    // Debian's files stay as they were; the server-wide settings are in the drop-in.
    let drop_in = target.host_path(format!("/etc/apache2/conf-available/{DROP_IN}"));
    let text = std::fs::read_to_string(&drop_in).expect("the drop-in");
    for wanted in
        ["ServerTokens Prod", "ServerSignature Off", "<Directory /var/www/>", "SSLProtocol"]
    {
        assert!(text.contains(wanted), "{wanted} missing:\n{text}");
    }
    let link = target.host_path(format!("/etc/apache2/conf-enabled/{DROP_IN}"));
    assert_eq!(
        std::fs::read_link(&link).expect("a link"),
        PathBuf::from(format!("../conf-available/{DROP_IN}"))
    );
    for debian in ["/etc/apache2/apache2.conf", "/etc/apache2/conf-available/security.conf"] {
        let path = target.host_path(debian);
        let now = std::fs::read(&path).expect("read");
        assert!(before[&path].0 == now, "{debian} changed:\n{}", String::from_utf8_lossy(&now));
    }
    // The vhost's own listing is switched off where it is set.
    let site =
        std::fs::read_to_string(target.host_path("/etc/apache2/sites-available/aijack.conf"))
            .expect("site");
    assert!(site.contains("\t\tOptions FollowSymLinks\n"), "{site}");
    // The demo cannot be read by this machine's Apache (its certificates are
    // not here): the plans say the model alone checked them.
    let again = plan(&target, "apache.server-tokens", false);
    assert!(again.warnings.iter().any(|w| w.contains("model alone")), "{:?}", again.warnings);

    // A second plan changes nothing.
    for done in &applied {
        let second = plan(&target, &done.item_id, false);
        assert!(second.is_empty(), "{} is not idempotent:\n{}", done.item_id, second.render());
    }

    rollback(&applied);
    assert_eq!(before, snapshot(&target.root), "the rollback left differences");
}

#[test]
fn staged_modsecurity_starts_in_detection_only_with_a_reminder() {
    let (dir, target) = demo();
    let plan = plan(&target, "apache.modsecurity-engine", true);
    let staged = plan.staged.clone().expect("a staged step");
    assert_eq!(staged.next_after_days, 14);
    assert!(!plan.completes);
    apply(&target, &plan, &dir.path().join("b")).expect("applies");
    let conf = std::fs::read_to_string(target.host_path("/etc/modsecurity/modsecurity.conf"))
        .expect("modsecurity.conf");
    assert!(conf.contains("\nSecRuleEngine DetectionOnly\n"), "{conf}");
    assert!(conf.contains("SecUnicodeMapFile unicode.mapping"), "a copy of the recommended file");
    let (status, summary) = status(&target, "apache.modsecurity-engine");
    assert_eq!(status, Status::Fail, "{summary}");
    assert!(summary.contains("DetectionOnly"), "{summary}");
    // The final step then edits the line.
    let last = self::plan(&target, "apache.modsecurity-engine", false);
    assert_eq!(last.edits.len(), 1);
    apply(&target, &last, &dir.path().join("b")).expect("applies");
    assert_eq!(status_of(&target, "apache.modsecurity-engine"), Status::Pass);
}

fn status_of(target: &Target, id: &str) -> Status {
    status(target, id).0
}

#[test]
fn a_failed_recheck_removes_the_links_the_plan_made() {
    let (dir, target) = demo();
    let mut plan = plan(&target, "apache.server-tokens", false);
    // Sabotage: the drop-in says OS, so the re-check fails and everything goes back.
    for edit in &mut plan.edits {
        edit.after = String::from_utf8_lossy(&edit.after).replace("Prod", "OS").into_bytes();
    }
    let before = snapshot(&target.root);
    let err = apply(&target, &plan, &dir.path().join("b")).expect_err("the re-check fails");
    assert!(err.contains("re-check"), "{err}");
    assert_eq!(before, snapshot(&target.root));
}

/// Checks that stop the apply in the middle, as a kill would.
struct Interrupted;

impl fix::Checks for Interrupted {
    fn validate(&mut self, _: &Validator) -> Result<(), String> {
        panic!("interrupted after the writes");
    }
    fn run_commands(&mut self, _: &Plan) -> Result<Vec<String>, String> {
        Ok(Vec::new())
    }
    fn recheck(&mut self, _: &str) -> Result<(), String> {
        Ok(())
    }
}

#[test]
fn an_interrupted_apply_is_recovered_links_included() {
    let (dir, target) = demo();
    let before = snapshot(&target.root);
    let mut plan = plan(&target, "apache.server-tokens", false);
    plan.validators = vec![Validator::ApacheConfigTest];
    let backups = dir.path().join("backups");
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = fix::apply(&plan, &target, &backups, &mut Interrupted);
    }));
    assert!(outcome.is_err(), "the apply was interrupted");
    let link = target.host_path(format!("/etc/apache2/conf-enabled/{DROP_IN}"));
    assert!(std::fs::symlink_metadata(&link).is_ok(), "the link was made before the interruption");

    let recovered = fix::apply::recover_interrupted(&backups).expect("recovers");
    assert_eq!(recovered.len(), 1);
    assert_eq!(recovered[0].links.len(), 1);
    assert_eq!(before, snapshot(&target.root), "recovery left differences");
}

/// This machine's Debian Apache configuration (and the `ModSecurity` files it
/// includes, and the dpkg status) copied under a temporary root, with `mod_ssl`
/// and the default TLS site enabled.
fn debian_root() -> (tempfile::TempDir, Target) {
    assert!(Path::new("/etc/apache2/apache2.conf").is_file(), "{INSTALL_HINT}");
    assert!(Path::new("/usr/sbin/apache2").is_file(), "{INSTALL_HINT}");
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    for path in ["etc/apache2", "etc/modsecurity", "usr/share/modsecurity-crs", "var/lib/dpkg"] {
        let to = root.join(path);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        let from = Path::new("/").join(path);
        if path == "var/lib/dpkg" {
            std::fs::create_dir_all(&to).expect("mkdir");
            std::fs::copy(from.join("status"), to.join("status")).expect("dpkg status");
            continue;
        }
        let ok = Command::new("cp").arg("-a").arg(&from).arg(&to).status().expect("cp");
        assert!(ok.success(), "copying {} failed; {INSTALL_HINT}", from.display());
    }
    let conf = root.join("etc/apache2");
    for (kind, name) in [
        ("mods", "ssl.load"),
        ("mods", "ssl.conf"),
        ("mods", "socache_shmcb.load"),
        ("sites", "default-ssl.conf"),
    ] {
        let link = conf.join(format!("{kind}-enabled/{name}"));
        if std::fs::symlink_metadata(&link).is_err() {
            std::os::unix::fs::symlink(format!("../{kind}-available/{name}"), link).expect("link");
        }
    }
    let target = Target::at_root(&root);
    (dir, target)
}

fn apache_test(target: &Target) -> (bool, String) {
    let host = target.host_path("/etc/apache2");
    let output = Command::new("/usr/sbin/apache2")
        .arg("-t")
        .arg("-d")
        .arg(&host)
        .arg("-f")
        .arg(host.join("apache2.conf"))
        .envs([
            ("APACHE_RUN_USER", "www-data"),
            ("APACHE_RUN_GROUP", "www-data"),
            ("APACHE_PID_FILE", "/var/run/apache2/apache2.pid"),
            ("APACHE_RUN_DIR", "/var/run/apache2"),
            ("APACHE_LOCK_DIR", "/var/lock/apache2"),
            ("APACHE_LOG_DIR", "/var/log/apache2"),
        ])
        .output()
        .expect(INSTALL_HINT);
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn debians_own_tree_fixed_by_every_apache_fix_passes_apaches_own_test() {
    let (dir, target) = debian_root();
    let (ok, out) = apache_test(&target);
    assert!(ok, "the copy must pass apache2 -t before any fix: {out}");
    let before = snapshot(&target.root);

    let first = plan(&target, "apache.server-tokens", false);
    assert!(first.validators.contains(&Validator::ApacheConfigTest));
    assert!(
        !first.warnings.iter().any(|w| w.contains("model alone")),
        "Apache's own test can run on this tree: {:?}",
        first.warnings
    );

    let (applied, blocked) = fix_all(&target, &dir.path().join("backups"));
    assert!(blocked.is_empty(), "{:#?}", blocked.iter().map(Plan::render).collect::<Vec<_>>());
    for id in checks::ITEMS {
        let (status, summary) = status(&target, id);
        assert_eq!(status, Status::Pass, "{id}: {summary}");
    }
    let (ok, out) = apache_test(&target);
    assert!(ok, "apache2 -t refuses the fixed tree: {out}");
    // This machine has mod_evasive 1.10.x: its settings answer to mod_evasive20.c.
    let evasive =
        std::fs::read_to_string(target.host_path("/etc/apache2/mods-available/evasive.conf"))
            .expect("evasive.conf");
    assert!(evasive.contains("<IfModule mod_evasive20.c>"), "{evasive}");
    assert!(!evasive.contains("DOSEnabled"), "{evasive}");

    // Apache under another root reads this machine's /etc/modsecurity: point
    // the ModSecurity includes at the tree's copy to test the file we wrote.
    let security2 = target.host_path("/etc/apache2/mods-available/security2.conf");
    let text = std::fs::read_to_string(&security2).expect("security2.conf");
    let modsec = target.host_path("/etc/modsecurity");
    std::fs::write(&security2, text.replace("/etc/modsecurity", &modsec.display().to_string()))
        .expect("write");
    let (ok, out) = apache_test(&target);
    assert!(ok, "apache2 -t refuses the tree's modsecurity.conf: {out}");
    std::fs::write(&security2, text).expect("write back");

    for done in &applied {
        let second = plan(&target, &done.item_id, false);
        assert!(second.is_empty(), "{} is not idempotent:\n{}", done.item_id, second.render());
    }
    rollback(&applied);
    assert_eq!(before, snapshot(&target.root), "the rollback left differences");
}

#[test]
fn servertokens_inside_a_vhost_is_commented_out_and_apache_accepts_the_tree() {
    let (dir, target) = debian_root();
    let site = target.host_path("/etc/apache2/sites-enabled/zz-example.conf");
    std::fs::write(
        &site,
        "<VirtualHost *:80>\n    ServerName example.com\n    ServerTokens Prod\n    ServerSignature On\n</VirtualHost>\n",
    )
    .expect("site");
    assert!(!apache_test(&target).0, "Apache refuses ServerTokens in a vhost");

    let tokens = plan(&target, "apache.server-tokens", false);
    // Apache's own test fails on the tree as it is, so the model decides.
    assert!(tokens.warnings.iter().any(|w| w.contains("model alone")), "{:?}", tokens.warnings);
    apply(&target, &tokens, &dir.path().join("b")).expect("applies");
    let signature = plan(&target, "apache.server-signature", false);
    apply(&target, &signature, &dir.path().join("b")).expect("applies");

    let text = std::fs::read_to_string(&site).expect("site");
    assert!(text.contains("    #ServerTokens Prod\n"), "{text}");
    assert!(text.contains("    ServerSignature Off\n"), "{text}");
    let (ok, out) = apache_test(&target);
    assert!(ok, "{out}");
    assert_eq!(status_of(&target, "apache.server-tokens"), Status::Pass);
    assert_eq!(status_of(&target, "apache.server-signature"), Status::Pass);
}

#[test]
fn a2enmod_links_the_module_and_its_dependencies_and_refuses_conflicts() {
    let (dir, target) = debian_root();
    let conf = target.host_path("/etc/apache2");
    for name in ["security2.load", "security2.conf", "unique_id.load"] {
        let _ = std::fs::remove_file(conf.join("mods-enabled").join(name));
    }
    let (ok, out) = apache_test(&target);
    assert!(ok, "{out}");
    assert_eq!(status_of(&target, "apache.modsecurity-enabled"), Status::Fail);

    let enable = plan(&target, "apache.modsecurity-enabled", false);
    let links: Vec<(&str, &str)> =
        enable.links.iter().map(|l| (l.path.as_str(), l.target.as_str())).collect();
    assert_eq!(
        links,
        [
            ("/etc/apache2/mods-enabled/unique_id.load", "../mods-available/unique_id.load"),
            ("/etc/apache2/mods-enabled/security2.load", "../mods-available/security2.load"),
            ("/etc/apache2/mods-enabled/security2.conf", "../mods-available/security2.conf"),
        ]
    );
    let done = apply(&target, &enable, &dir.path().join("b")).expect("applies");
    assert_eq!(status_of(&target, "apache.modsecurity-enabled"), Status::Pass);
    assert!(apache_test(&target).0);
    assert!(plan(&target, "apache.modsecurity-enabled", false).is_empty());
    rollback(&[done]);
    assert!(std::fs::symlink_metadata(conf.join("mods-enabled/unique_id.load")).is_err());

    // A `# Conflicts:` module that is enabled stops the plan, as a2enmod does.
    let load = conf.join("mods-available/security2.load");
    let text = std::fs::read_to_string(&load).expect("load");
    std::fs::write(&load, format!("# Conflicts: mpm_event\n{text}")).expect("write");
    let config = ApacheConfig::load(&target).expect("loads");
    let packages = Installed::load(&target).expect("dpkg");
    let list = checklist();
    let item = list.item("apache.modsecurity-enabled").expect("item");
    let planning =
        ApachePlanning { target: &target, config: &config, packages: &packages, staged: false };
    let err = planning.plan(item).expect_err("refused");
    assert!(err.to_string().contains("conflicts with the enabled module mpm_event"), "{err}");
}

#[test]
fn mod_evasive_2_gets_its_own_ifmodule_name_and_dosenabled() {
    let (dir, target) = demo();
    let root = &target.root;
    let status_file = root.join("var/lib/dpkg/status");
    let mut dpkg = std::fs::read_to_string(&status_file).expect("status");
    dpkg.push_str(
        "\nPackage: libapache2-mod-evasive\nStatus: install ok installed\nVersion: 2.4.0-2\n",
    );
    std::fs::write(&status_file, dpkg).expect("write");
    let available = root.join("etc/apache2/mods-available");
    std::fs::write(
        available.join("evasive.load"),
        "LoadModule evasive_module /usr/lib/apache2/modules/mod_evasive.so\n",
    )
    .expect("load");
    std::fs::write(
        available.join("evasive.conf"),
        "<IfModule mod_evasive.c>\n    #DOSPageCount 2\n</IfModule>\n",
    )
    .expect("conf");

    let enable = plan(&target, "apache.evasive-enabled", false);
    assert!(enable.blocked.is_none(), "{}", enable.render());
    apply(&target, &enable, &dir.path().join("b")).expect("enables");
    let configure = plan(&target, "apache.evasive-configured", false);
    apply(&target, &configure, &dir.path().join("b")).expect("configures");
    let text = std::fs::read_to_string(available.join("evasive.conf")).expect("conf");
    assert!(text.contains("<IfModule mod_evasive.c>\n\tDOSEnabled          true\n"), "{text}");
    assert!(text.contains("DOSPageCount        10"), "{text}");
    assert_eq!(status_of(&target, "apache.evasive-configured"), Status::Pass);
}

#[test]
fn a_weak_tls_vhost_line_is_commented_out_so_the_servers_settings_apply() {
    let (dir, target) = debian_root();
    let site = target.host_path("/etc/apache2/sites-available/default-ssl.conf");
    let text = std::fs::read_to_string(&site).expect("site");
    let weak = text.replacen(
        "\tSSLEngine on\n",
        "\tSSLEngine on\n\tSSLProtocol all -SSLv3\n\tSSLCipherSuite HIGH:!aNULL\n",
        1,
    );
    assert_ne!(weak, text, "default-ssl.conf has an `SSLEngine on` line");
    std::fs::write(&site, weak).expect("write");
    assert!(apache_test(&target).0);

    let tls = plan(&target, "apache.tls-protocols", false);
    apply(&target, &tls, &dir.path().join("b")).expect("applies");
    let after = std::fs::read_to_string(&site).expect("site");
    assert!(after.contains("\t#SSLProtocol all -SSLv3\n"), "{after}");
    assert!(after.contains("\t#SSLCipherSuite HIGH:!aNULL\n"), "{after}");
    assert_eq!(status_of(&target, "apache.tls-protocols"), Status::Pass);
    assert_eq!(status_of(&target, "apache.tls-ciphers"), Status::Pass);
    let (ok, out) = apache_test(&target);
    assert!(ok, "{out}");
}

#[test]
fn a_second_crs_include_is_commented_out() {
    let (dir, target) = debian_root();
    let extra = target.host_path("/etc/apache2/conf-enabled/crs-again.conf");
    std::fs::write(&extra, "<IfModule security2_module>\nInclude /usr/share/modsecurity-crs/owasp-crs.load\n</IfModule>\n")
        .expect("write");
    assert!(!apache_test(&target).0, "Apache refuses the CRS twice");
    assert_eq!(status_of(&target, "apache.modsecurity-crs"), Status::Fail);

    let crs = plan(&target, "apache.modsecurity-crs", false);
    apply(&target, &crs, &dir.path().join("b")).expect("applies");
    let text = std::fs::read_to_string(&extra).expect("read");
    assert!(text.contains("#Include /usr/share/modsecurity-crs/owasp-crs.load"), "{text}");
    assert_eq!(status_of(&target, "apache.modsecurity-crs"), Status::Pass);
    let (ok, out) = apache_test(&target);
    assert!(ok, "{out}");
}

#[test]
fn a_server_level_value_in_a_site_file_read_after_the_drop_in_is_set_too() {
    let (dir, target) = debian_root();
    let site = target.host_path("/etc/apache2/sites-enabled/zammad.conf");
    std::fs::write(
        &site,
        "ServerTokens OS\n<VirtualHost *:80>\n    ServerName example.com\n</VirtualHost>\n",
    )
    .expect("site");
    let tokens = plan(&target, "apache.server-tokens", false);
    apply(&target, &tokens, &dir.path().join("b")).expect("applies");
    assert_eq!(
        std::fs::read_to_string(&site).expect("site").lines().next(),
        Some("ServerTokens Prod")
    );
    assert_eq!(status_of(&target, "apache.server-tokens"), Status::Pass);
    let (ok, out) = apache_test(&target);
    assert!(ok, "{out}");
}
