//! Real-world cases (shared/cases, section D) as fixture trees under
//! tests/fixtures/apache, each with the verdict a correct tool gives.

mod apache_support;

use apache_support::{assert_status, check, evidence_mentions, fixture, load, tree};
use portcullis::finding::Status;

// D1: ServerTokens Prod written inside the site's <VirtualHost> while
// security.conf says OS.
#[test]
fn servertokens_prod_inside_the_vhost_while_security_conf_says_os() {
    let root = fixture("servertokens-in-vhost");
    let finding = check(&root, "apache.server-tokens");
    assert_status(&finding, Status::Fail);
    assert!(finding.summary.contains("inside <VirtualHost>"), "{}", finding.summary);
    assert!(evidence_mentions(&finding, "sites-enabled/myproject.conf", 3));
    // The occurrence that wins at server level is security.conf's OS: the
    // fix belongs there.
    assert!(evidence_mentions(&finding, "conf-enabled/security.conf", 1));
    let cfg = load(&root);
    assert_eq!(cfg.server_value("ServerTokens").and_then(|d| d.arg()), Some("OS"));
    // ServerSignature Off is valid in the vhost; security.conf's On still
    // takes effect everywhere else.
    let signature = check(&root, "apache.server-signature");
    assert_status(&signature, Status::Fail);
    assert!(evidence_mentions(&signature, "conf-enabled/security.conf", 2));
    assert!(!evidence_mentions(&signature, "sites-enabled/myproject.conf", 4));
}

// D4: HSTS, nosniff and X-Forwarded-Proto inside <IfModule mod_headers.c>
// with no headers.load enabled.
#[test]
fn security_headers_inside_ifmodule_mod_headers_without_the_module() {
    let cfg = load(&fixture("headers-in-ifmodule-without-mod-headers"));
    let vhost = &cfg.virtual_hosts()[0];
    assert!(vhost.headers().is_empty(), "none of the three lines is in effect");
    let skipped: Vec<String> = cfg
        .skipped()
        .into_iter()
        .filter(|(block, _)| block.arg() == Some("mod_headers.c"))
        .map(|(_, directive)| directive.name.clone())
        .collect();
    assert_eq!(skipped, ["Header", "Header", "RequestHeader"]);
    assert_eq!(vhost.proxy_passes()[0].1, "http://127.0.0.1:8000/");
    assert!(vhost.ssl || vhost.port() == Some(443));
}

// D5: evasive.conf uses <IfModule mod_evasive20.c> but the loaded object is
// mod_evasive24.so, so the block is skipped and defaults apply.
#[test]
fn evasive_settings_in_an_ifmodule_the_loaded_module_does_not_answer_to() {
    let root = fixture("evasive-ifmodule-name-mismatch");
    assert_status(&check(&root, "apache.evasive-enabled"), Status::Pass);
    let finding = check(&root, "apache.evasive-configured");
    assert_status(&finding, Status::Fail);
    assert!(finding.summary.contains("<IfModule mod_evasive20.c>"), "{}", finding.summary);
    assert!(finding.summary.contains("defaults"), "{}", finding.summary);
    assert!(evidence_mentions(&finding, "mods-enabled/evasive.conf", 1));
    assert!(
        evidence_mentions(&finding, "mods-enabled/evasive.conf", 5),
        "the whitelist line is shown as skipped"
    );
    assert!(finding.evidence.iter().any(|e| e.text.contains("per child process")));
}

// D8: the recommended modsecurity.conf copied as is (DetectionOnly), CRS
// included from a directory that does not exist, and SecRuleEngine Off in a
// <Location> for an upload false positive.
#[test]
fn modsecurity_in_detection_only_with_no_crs_and_a_location_switched_off() {
    let root = fixture("modsecurity-detection-only-no-crs");
    assert_status(&check(&root, "apache.modsecurity-installed"), Status::Pass);
    assert_status(&check(&root, "apache.modsecurity-enabled"), Status::Pass);

    let engine = check(&root, "apache.modsecurity-engine");
    assert_status(&engine, Status::Fail);
    assert!(engine.summary.contains("not blocking"), "{}", engine.summary);
    assert!(evidence_mentions(&engine, "modsecurity/modsecurity.conf", 1));
    assert!(
        evidence_mentions(&engine, "sites-enabled/myproject-ssl.conf", 4),
        "the Location override is reported"
    );

    let crs = check(&root, "apache.modsecurity-crs");
    assert_status(&crs, Status::Fail);
    assert!(crs.summary.contains("no rule file"), "{}", crs.summary);
    assert_status(&check(&root, "apache.modsecurity-crs"), Status::Fail);
}

#[test]
fn modsecurity_on_everywhere_passes_and_absent_means_off() {
    let on = tree(&[
        (
            "etc/apache2/mods-enabled/security2.load",
            "LoadModule security2_module /usr/lib/apache2/modules/mod_security2.so\n",
        ),
        ("etc/apache2/conf-enabled/modsec.conf", "SecRuleEngine On\n"),
    ]);
    assert_status(&check(on.path(), "apache.modsecurity-engine"), Status::Pass);
    let absent = tree(&[(
        "etc/apache2/mods-enabled/security2.load",
        "LoadModule security2_module /usr/lib/apache2/modules/mod_security2.so\n",
    )]);
    let finding = check(absent.path(), "apache.modsecurity-engine");
    assert_status(&finding, Status::Fail);
    assert!(finding.summary.contains("default is Off"), "{}", finding.summary);
}

#[test]
fn the_crs_included_twice_fails_and_once_passes() {
    let crs: &[(&str, &str)] = &[
        (
            "etc/apache2/mods-enabled/security2.load",
            "LoadModule security2_module /usr/lib/apache2/modules/mod_security2.so\n",
        ),
        (
            "etc/modsecurity/crs/crs-setup.conf",
            "SecAction \"id:900990,phase:1,nolog,pass,t:none,setvar:tx.crs_setup_version=334\"\n",
        ),
        (
            "usr/share/modsecurity-crs/rules/REQUEST-901-INITIALIZATION.conf",
            "SecRule REQUEST_HEADERS:User-Agent \"@rx ^$\" \"id:901001,phase:1,pass\"\n",
        ),
        (
            "usr/share/modsecurity-crs/rules/REQUEST-942-APPLICATION-ATTACK-SQLI.conf",
            "SecRule ARGS \"@detectSQLi\" \"id:942100,phase:2,block\"\n",
        ),
        (
            "usr/share/modsecurity-crs/owasp-crs.load",
            "Include /etc/modsecurity/crs/crs-setup.conf\nInclude /usr/share/modsecurity-crs/rules/*.conf\n",
        ),
        (
            "etc/apache2/mods-enabled/security2.conf",
            "<IfModule security2_module>\n  IncludeOptional /usr/share/modsecurity-crs/*.load\n</IfModule>\n",
        ),
    ];
    let once = tree(crs);
    let finding = check(once.path(), "apache.modsecurity-crs");
    assert_status(&finding, Status::Pass);
    assert!(finding.summary.contains("2 rule files"), "{}", finding.summary);

    let mut twice = crs.to_vec();
    twice.push((
        "etc/apache2/conf-enabled/crs.conf",
        "Include /usr/share/modsecurity-crs/rules/*.conf\n",
    ));
    let root = tree(&twice);
    let finding = check(root.path(), "apache.modsecurity-crs");
    assert_status(&finding, Status::Fail);
    assert!(finding.summary.contains("2 times"), "{}", finding.summary);
    assert!(evidence_mentions(&finding, "conf-enabled/crs.conf", 1));
}

const EVASIVE_SETTINGS: &str =
    "    DOSHashTableSize 3097\n    DOSPageCount 10\n    DOSSiteCount 100\n    DOSPageInterval 1\n";

fn evasive_tree(version: &str, load: &str, conf: &str) -> tempfile::TempDir {
    let status = format!(
        "Package: apache2\nStatus: install ok installed\nVersion: 2.4.71-1~deb12u1\n\n\
         Package: libapache2-mod-evasive\nStatus: install ok installed\nVersion: {version}\n"
    );
    tree(&[
        ("var/lib/dpkg/status", &status),
        ("etc/apache2/mods-enabled/evasive.load", load),
        ("etc/apache2/mods-enabled/evasive.conf", conf),
    ])
}

// Debian 12's 1.10.1: evasive20_module, <IfModule mod_evasive20.c>, no
// enable switch.
#[test]
fn mod_evasive_1_10_configured_in_its_own_ifmodule_name_passes() {
    let load = "LoadModule evasive20_module /usr/lib/apache2/modules/mod_evasive20.so\n";
    let conf = format!("<IfModule mod_evasive20.c>\n{EVASIVE_SETTINGS}</IfModule>\n");
    let root = evasive_tree("1.10.1-5", load, &conf);
    assert_status(&check(root.path(), "apache.evasive-installed"), Status::Pass);
    assert_status(&check(root.path(), "apache.evasive-configured"), Status::Pass);
}

// Debian 13's 2.4.0 (jvdmr fork): evasive_module, <IfModule mod_evasive.c>,
// and DOSEnabled true is required.
#[test]
fn mod_evasive_2_4_needs_dosenabled_true_in_the_mod_evasive_c_block() {
    let load = "LoadModule evasive_module /usr/lib/apache2/modules/mod_evasive.so\n";
    let without = format!("<IfModule mod_evasive.c>\n{EVASIVE_SETTINGS}</IfModule>\n");
    let root = evasive_tree("2.4.0-2", load, &without);
    let finding = check(root.path(), "apache.evasive-configured");
    assert_status(&finding, Status::Fail);
    assert!(finding.summary.contains("DOSEnabled"), "{}", finding.summary);

    let with =
        format!("<IfModule mod_evasive.c>\n    DOSEnabled true\n{EVASIVE_SETTINGS}</IfModule>\n");
    let root = evasive_tree("2.4.0-2", load, &with);
    assert_status(&check(root.path(), "apache.evasive-configured"), Status::Pass);

    // A bookworm-era block on trixie is silently skipped.
    let old_name =
        format!("<IfModule mod_evasive20.c>\n    DOSEnabled true\n{EVASIVE_SETTINGS}</IfModule>\n");
    let root = evasive_tree("2.4.0-2", load, &old_name);
    let finding = check(root.path(), "apache.evasive-configured");
    assert_status(&finding, Status::Fail);
    assert!(finding.summary.contains("mod_evasive20.c"), "{}", finding.summary);
}

#[test]
fn packages_not_in_the_dpkg_status_fail_the_installed_items() {
    let root = tree(&[]);
    let finding = check(root.path(), "apache.evasive-installed");
    assert_status(&finding, Status::Fail);
    assert_eq!(finding.evidence[0].file.as_deref(), Some("/var/lib/dpkg/status"));
    assert_status(&check(root.path(), "apache.modsecurity-installed"), Status::Fail);
    assert_status(&check(root.path(), "apache.modsecurity-enabled"), Status::Fail);
    let enabled = check(root.path(), "apache.evasive-enabled");
    assert_status(&enabled, Status::Fail);
    assert!(
        enabled.evidence.iter().any(|e| e.text.contains("libapache2-mod-evasive is not installed"))
    );
}

#[test]
fn a_target_without_apache_makes_every_config_item_unknown() {
    let root = tempfile::tempdir().expect("tempdir");
    let findings =
        portcullis::apache::checks::run_all(&portcullis::target::Target::at_root(root.path()));
    assert_eq!(findings.len(), 12);
    assert!(findings.iter().all(|f| f.status == Status::Unknown), "{findings:#?}");
    assert!(findings[2].reason.as_deref().is_some_and(|r| r.contains("/etc/apache2/apache2.conf")));
}

#[test]
fn modsecurity_off_at_server_level_but_on_in_every_vhost_blocks() {
    let load = (
        "etc/apache2/mods-enabled/security2.load",
        "LoadModule security2_module /usr/lib/apache2/modules/mod_security2.so\n",
    );
    let root = tree(&[
        load,
        ("etc/apache2/conf-enabled/modsec.conf", "SecRuleEngine Off\n"),
        (
            "etc/apache2/sites-enabled/site.conf",
            "<VirtualHost *:80>\n  SecRuleEngine On\n</VirtualHost>\n<VirtualHost *:443>\n  SecRuleEngine On\n</VirtualHost>\n",
        ),
    ]);
    assert_status(&check(root.path(), "apache.modsecurity-engine"), Status::Pass);

    let partly = tree(&[
        load,
        (
            "etc/apache2/sites-enabled/site.conf",
            "<VirtualHost *:80>\n  SecRuleEngine On\n</VirtualHost>\n<VirtualHost *:443>\n  SecRuleEngine DetectionOnly\n</VirtualHost>\n",
        ),
    ]);
    let finding = check(partly.path(), "apache.modsecurity-engine");
    assert_status(&finding, Status::Fail);
    assert!(evidence_mentions(&finding, "sites-enabled/site.conf", 5), "{:#?}", finding.evidence);
}
