//! Apache itself as the oracle: a copy of this machine's Debian /etc/apache2
//! in a temporary `APACHE_CONFDIR`, changed per case, read by both the model
//! and `apache2ctl`. These tests fail (never skip) when apache2 is missing.

mod apache_support;

use std::path::Path;

use apache_support::{apache2ctl, debian_copy, live_target, write};
use portcullis::apache::crosscheck::cross_check;
use portcullis::apache::{ApacheConfig, ApacheError, checks};
use portcullis::dpkg::Installed;
use portcullis::finding::{Finding, Status};

fn verdict(confdir: &Path, id: &str) -> Finding {
    let target = live_target(confdir);
    let cfg = ApacheConfig::load(&target).expect("the model reads the tree");
    let packages = Installed::load(&target).expect("dpkg status");
    checks::run(id, &cfg, &packages, &target)
}

fn syntax_ok(confdir: &Path) -> bool {
    apache2ctl(confdir, &["-t"]).0
}

fn link(confdir: &Path, kind: &str, name: &str) {
    let link = confdir.join(format!("{kind}-enabled/{name}"));
    if !link.exists() {
        std::os::unix::fs::symlink(format!("../{kind}-available/{name}"), link).expect("enable");
    }
}

#[test]
fn the_model_agrees_with_apache_on_modules_vhosts_and_includes() {
    let copy = debian_copy();
    let confdir = copy.path();
    for name in ["ssl.load", "ssl.conf", "socache_shmcb.load", "headers.load"] {
        link(confdir, "mods", name);
    }
    link(confdir, "sites", "default-ssl.conf");
    write(
        confdir,
        "sites-enabled/myproject.conf",
        "<VirtualHost *:80>\n    ServerName example.com\n    ServerAlias www.example.com\n    Redirect permanent / https://example.com/\n</VirtualHost>\n\
         <VirtualHost *:443>\n    ServerName example.com\n    SSLEngine on\n    SSLCertificateFile /etc/ssl/certs/ssl-cert-snakeoil.pem\n\
         \x20   SSLCertificateKeyFile /etc/ssl/private/ssl-cert-snakeoil.key\n</VirtualHost>\n",
    );
    write(confdir, "conf-enabled/.hidden.conf", "ServerTokens Full\n");
    assert!(syntax_ok(confdir), "{}", apache2ctl(confdir, &["-t"]).2);

    let target = live_target(confdir);
    let cfg = ApacheConfig::load(&target).expect("loads");
    let disagreements = cross_check(&cfg, &target).expect("apache2ctl dumps run");
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    assert_eq!(cfg.virtual_hosts().len(), 4);
}

#[test]
fn debians_fresh_install_fails_what_the_facts_say_it_fails() {
    let copy = debian_copy();
    let confdir = copy.path();
    assert_eq!(verdict(confdir, "apache.server-tokens").status, Status::Fail);
    assert_eq!(verdict(confdir, "apache.server-signature").status, Status::Fail);
    assert_eq!(verdict(confdir, "apache.no-indexes").status, Status::Fail);
    assert_eq!(verdict(confdir, "apache.modsecurity-engine").status, Status::Fail);
    assert_eq!(verdict(confdir, "apache.modsecurity-crs").status, Status::Pass);
    assert_eq!(verdict(confdir, "apache.evasive-configured").status, Status::Fail);
}

#[test]
fn servertokens_in_a_vhost_is_refused_by_apache_and_failed_by_the_model() {
    let copy = debian_copy();
    let confdir = copy.path();
    write(
        confdir,
        "sites-enabled/zz.conf",
        "<VirtualHost *:80>\n    ServerName example.com\n    ServerTokens Prod\n</VirtualHost>\n",
    );
    let (ok, _, stderr) = apache2ctl(confdir, &["-t"]);
    assert!(
        !ok && stderr.contains("ServerTokens cannot occur within <VirtualHost> section"),
        "{stderr}"
    );
    let finding = verdict(confdir, "apache.server-tokens");
    assert_eq!(finding.status, Status::Fail);
    assert!(finding.summary.contains("refuses"), "{}", finding.summary);
}

#[test]
fn a_trailing_comment_is_refused_by_apache_and_failed_by_the_model() {
    let copy = debian_copy();
    let confdir = copy.path();
    write(confdir, "conf-enabled/zz-hardening.conf", "ServerTokens Prod # hide the version\n");
    let (ok, _, stderr) = apache2ctl(confdir, &["-t"]);
    assert!(!ok && stderr.contains("ServerTokens takes one argument"), "{stderr}");
    assert_eq!(verdict(confdir, "apache.server-tokens").status, Status::Fail);

    write(confdir, "conf-enabled/zz-hardening.conf", "# hide the version\nServerTokens Prod\n");
    assert!(syntax_ok(confdir));
    assert_eq!(verdict(confdir, "apache.server-tokens").status, Status::Pass);
}

#[test]
fn an_include_cycle_makes_apache_fail_and_the_model_say_where() {
    let copy = debian_copy();
    let confdir = copy.path();
    write(confdir, "conf-enabled/loop.conf", "Include conf-enabled/loop.conf\n");
    let (ok, _, stderr) = apache2ctl(confdir, &["-t"]);
    assert!(!ok && stderr.contains("conf-enabled/loop.conf"), "{stderr}");
    let error = ApacheConfig::load(&live_target(confdir)).expect_err("cycle");
    assert!(
        matches!(error, ApacheError::IncludeCycle { ref at, .. } if at.file.ends_with("conf-enabled/loop.conf") && at.line == 1),
        "{error}"
    );
}

#[test]
fn a_wildcard_include_with_no_match_fails_in_both() {
    let copy = debian_copy();
    let confdir = copy.path();
    write(confdir, "conf-enabled/x.conf", "IncludeOptional extra/*.conf\n");
    std::fs::create_dir_all(confdir.join("extra")).expect("mkdir");
    assert!(syntax_ok(confdir));
    assert!(ApacheConfig::load(&live_target(confdir)).is_ok());
    write(confdir, "conf-enabled/x.conf", "Include extra/*.conf\n");
    assert!(!syntax_ok(confdir));
    assert!(matches!(ApacheConfig::load(&live_target(confdir)), Err(ApacheError::NoMatch { .. })));
}

#[test]
fn ifmodule_decisions_match_apache_for_both_name_forms() {
    let copy = debian_copy();
    let confdir = copy.path();
    let cfg = ApacheConfig::load(&live_target(confdir)).expect("loads");
    for name in [
        "evasive20_module",
        "mod_evasive20.c",
        "mod_evasive.c",
        "event.c",
        "mod_mpm_event.c",
        "mod_headers.c",
        "MOD_AUTOINDEX.C",
        "mod_version.c",
    ] {
        write(
            confdir,
            "conf-enabled/probe.conf",
            &format!("<IfModule {name}>\n    NoSuchDirective x\n</IfModule>\n"),
        );
        let apache_sees_it = !syntax_ok(confdir);
        assert_eq!(cfg.has_module(name), apache_sees_it, "<IfModule {name}>");
    }
}

#[test]
fn the_installed_mod_evasive_configured_in_its_block_passes_and_apache_accepts_it() {
    let copy = debian_copy();
    let confdir = copy.path();
    let installed = Installed::load(&live_target(confdir)).expect("dpkg status");
    let version = installed
        .version("libapache2-mod-evasive")
        .expect("libapache2-mod-evasive is installed (see the install hint)");
    let block = if version.starts_with('1') { "mod_evasive20.c" } else { "mod_evasive.c" };
    write(
        confdir,
        "mods-enabled/evasive.conf",
        &format!(
            "<IfModule {block}>\n    DOSEnabled true\n    DOSHashTableSize 3097\n    DOSPageCount 10\n    DOSSiteCount 100\n    DOSPageInterval 1\n</IfModule>\n"
        ),
    );
    if version.starts_with('1') {
        // 1.10.1 has no DOSEnabled: Apache refuses it, so the test drops it.
        let text =
            std::fs::read_to_string(confdir.join("mods-enabled/evasive.conf")).expect("read");
        write(confdir, "mods-enabled/evasive.conf", &text.replace("    DOSEnabled true\n", ""));
    }
    let (ok, _, stderr) = apache2ctl(confdir, &["-t"]);
    assert!(ok, "{stderr}");
    assert_eq!(verdict(confdir, "apache.evasive-configured").status, Status::Pass);
}

#[test]
fn debians_ssl_defaults_fail_and_mozilla_intermediate_passes_with_apache_accepting_it() {
    let copy = debian_copy();
    let confdir = copy.path();
    for name in ["ssl.load", "ssl.conf", "socache_shmcb.load"] {
        link(confdir, "mods", name);
    }
    link(confdir, "sites", "default-ssl.conf");
    assert!(syntax_ok(confdir), "{}", apache2ctl(confdir, &["-t"]).2);
    let protocols = verdict(confdir, "apache.tls-protocols");
    assert_eq!(protocols.status, Status::Fail, "{}", protocols.summary);
    assert!(
        protocols
            .evidence
            .iter()
            .any(|e| e.file.as_deref().is_some_and(|f| f.ends_with("mods-enabled/ssl.conf")))
    );
    assert_eq!(verdict(confdir, "apache.tls-ciphers").status, Status::Fail);

    write(
        confdir,
        "conf-enabled/zz-portcullis-tls.conf",
        "SSLProtocol -all +TLSv1.2 +TLSv1.3\n\
         SSLCipherSuite ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305\n\
         SSLCipherSuite TLSv1.3 TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256\n\
         SSLHonorCipherOrder off\nSSLSessionTickets off\n",
    );
    assert!(syntax_ok(confdir), "{}", apache2ctl(confdir, &["-t"]).2);
    assert_eq!(verdict(confdir, "apache.tls-protocols").status, Status::Pass);
    assert_eq!(verdict(confdir, "apache.tls-ciphers").status, Status::Pass);
}
