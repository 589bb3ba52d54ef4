//! The configuration model on small trees, one behaviour of Apache's reader
//! or merger per test.

mod apache_support;

use apache_support::{assert_status, check, evidence_mentions, load, target, tree, write};
use portcullis::apache::{ApacheConfig, ApacheError};
use portcullis::finding::Status;

const SITE: &str = "etc/apache2/sites-enabled/site.conf";

#[test]
fn options_indexes_turned_back_on_by_a_later_directory_section() {
    let root = tree(&[(
        SITE,
        "<VirtualHost *:80>\n  DocumentRoot /srv/app/public\n  Alias /static/ /srv/app/static/\n</VirtualHost>\n\
         <Directory /srv/app>\n  Options None\n</Directory>\n\
         <Directory /srv/app>\n  Options Indexes\n</Directory>\n",
    )]);
    let finding = check(root.path(), "apache.no-indexes");
    assert_status(&finding, Status::Fail);
    assert!(finding.summary.contains("/srv/app/public"), "{}", finding.summary);
    assert!(evidence_mentions(&finding, "sites-enabled/site.conf", 9), "{:#?}", finding.evidence);
}

#[test]
fn a_deeper_directory_section_overrides_a_shallower_one_whatever_the_order() {
    let root = tree(&[(
        SITE,
        "<VirtualHost *:80>\n  DocumentRoot /srv/app/public\n</VirtualHost>\n\
         <Directory /srv/app/public>\n  Options FollowSymLinks\n</Directory>\n\
         <Directory /srv>\n  Options Indexes\n</Directory>\n",
    )]);
    assert_status(&check(root.path(), "apache.no-indexes"), Status::Pass);
}

#[test]
fn plus_indexes_is_merged_into_the_inherited_options() {
    let root = tree(&[(
        SITE,
        "<VirtualHost *:80>\n  DocumentRoot /srv/app\n</VirtualHost>\n\
         <Directory /srv>\n  Options FollowSymLinks\n</Directory>\n\
         <Directory /srv/app>\n  Options +Indexes\n</Directory>\n",
    )]);
    let cfg = load(root.path());
    let served = cfg.served_directories();
    let app = served.iter().find(|dir| dir.path == "/srv/app").expect("the DocumentRoot is served");
    assert_eq!(app.options.names(), ["Indexes", "FollowSymLinks"]);
    assert_eq!(app.options.indexes_set_by.as_ref().map(|(place, _)| place.line), Some(8));
}

#[test]
fn minus_indexes_removes_what_debians_var_www_block_turns_on() {
    let root = tree(&[(
        SITE,
        "<VirtualHost *:80>\n  DocumentRoot /var/www/html\n  <Directory /var/www/html>\n    Options -Indexes\n  </Directory>\n</VirtualHost>\n",
    )]);
    let cfg = load(root.path());
    let html =
        cfg.served_directories().iter().find(|dir| dir.path == "/var/www/html").expect("served");
    assert!(!html.options.indexes());
    assert!(html.options.follow_symlinks());
    assert_status(&check(root.path(), "apache.no-indexes"), Status::Pass);
}

#[test]
fn debians_var_www_block_lists_the_default_document_root() {
    let root =
        tree(&[(SITE, "<VirtualHost *:80>\n  DocumentRoot /var/www/html\n</VirtualHost>\n")]);
    let finding = check(root.path(), "apache.no-indexes");
    assert_status(&finding, Status::Fail);
    assert!(evidence_mentions(&finding, "apache2.conf", 11), "{:#?}", finding.evidence);
}

const HTACCESS_SITE: &str = "<VirtualHost *:80>\n  DocumentRoot /srv/site\n</VirtualHost>\n<Directory /srv/site>\n  Options FollowSymLinks\n  AllowOverride ";

#[test]
fn htaccess_options_are_ignored_under_allowoverride_none() {
    let site = format!("{HTACCESS_SITE}None\n</Directory>\n");
    let root = tree(&[(SITE, &site), ("srv/site/.htaccess", "Options +Indexes\n")]);
    let cfg = load(root.path());
    let served =
        cfg.served_directories().iter().find(|dir| dir.path == "/srv/site").expect("served");
    assert!(!served.options.indexes());
    assert_eq!(served.htaccess_ignored, ["/srv/site/.htaccess"]);
    assert_status(&check(root.path(), "apache.no-indexes"), Status::Pass);
}

#[test]
fn htaccess_options_apply_where_allowoverride_permits_options() {
    let site = format!("{HTACCESS_SITE}Options\n</Directory>\n");
    let root = tree(&[
        (SITE, &site),
        ("srv/site/.htaccess", "# listing for downloads\nOptions +Indexes\n"),
    ]);
    let finding = check(root.path(), "apache.no-indexes");
    assert_status(&finding, Status::Fail);
    assert!(evidence_mentions(&finding, "/srv/site/.htaccess", 2), "{:#?}", finding.evidence);
}

#[test]
fn htaccess_options_need_the_options_override_not_just_any() {
    let site = format!("{HTACCESS_SITE}FileInfo AuthConfig\n</Directory>\n");
    let root =
        tree(&[(SITE, &site), ("srv/site/.htaccess", "Options +Indexes\nServerSignature On\n")]);
    assert_status(&check(root.path(), "apache.no-indexes"), Status::Pass);
    // ServerSignature is allowed under any override.
    assert_status(&check(root.path(), "apache.server-signature"), Status::Fail);
}

#[test]
fn ifmodule_for_a_module_that_is_not_loaded_is_skipped() {
    let root = tree(&[(
        SITE,
        "<VirtualHost *:443>\n  ServerName example.com\n  <IfModule mod_headers.c>\n    Header always set X-Content-Type-Options nosniff\n  </IfModule>\n\
         <IfModule !mod_headers.c>\n    ServerSignature Off\n  </IfModule>\n</VirtualHost>\n",
    )]);
    let cfg = load(root.path());
    let vhost = &cfg.virtual_hosts()[0];
    assert!(vhost.headers().is_empty());
    let skipped: Vec<_> = cfg
        .skipped()
        .into_iter()
        .filter(|(block, _)| block.arg() == Some("mod_headers.c"))
        .collect();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].1.name, "Header");
    assert!(vhost.value("ServerSignature").is_some(), "the negated block is active");
}

#[test]
fn ifmodule_answers_to_the_identifier_and_the_source_name_only() {
    let root = tree(&[(
        "etc/apache2/mods-enabled/headers.load",
        "LoadModule headers_module /usr/lib/apache2/modules/mod_headers.so\n",
    )]);
    let cfg = load(root.path());
    assert!(cfg.has_module("headers_module"));
    assert!(cfg.has_module("mod_headers.c"));
    assert!(!cfg.has_module("Headers_Module"), "Apache compares module names case-sensitively");
    assert!(cfg.has_module("event.c"), "the event MPM is built from event.c");
    assert!(!cfg.has_module("mod_mpm_event.c"));
    assert!(cfg.has_module("mod_version.c"), "static modules are always there");
}

const SSL_LOAD: (&str, &str) = (
    "etc/apache2/mods-enabled/ssl.load",
    "LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n",
);

#[test]
fn a_tls_vhost_with_its_own_weak_sslprotocol_fails_despite_a_strict_global_one() {
    let root = tree(&[
        SSL_LOAD,
        (
            "etc/apache2/mods-enabled/ssl.conf",
            "<IfModule mod_ssl.c>\n  SSLProtocol -all +TLSv1.2 +TLSv1.3\n</IfModule>\n",
        ),
        (
            SITE,
            "<VirtualHost *:443>\n  ServerName example.com\n  SSLEngine on\n  SSLProtocol all -SSLv3\n</VirtualHost>\n\
             <VirtualHost *:443>\n  ServerName other.example.com\n  SSLEngine on\n</VirtualHost>\n",
        ),
    ]);
    let finding = check(root.path(), "apache.tls-protocols");
    assert_status(&finding, Status::Fail);
    assert!(
        finding.summary.contains("example.com") && finding.summary.contains("TLSv1.1"),
        "{}",
        finding.summary
    );
    assert!(
        !finding.summary.contains("other.example.com"),
        "the second vhost inherits the strict global value: {}",
        finding.summary
    );
    assert!(evidence_mentions(&finding, "sites-enabled/site.conf", 4));
}

#[test]
fn no_sslprotocol_anywhere_means_mod_ssls_default_which_allows_tls_1_0() {
    let root = tree(&[SSL_LOAD, (SITE, "<VirtualHost *:443>\n  SSLEngine on\n</VirtualHost>\n")]);
    let finding = check(root.path(), "apache.tls-protocols");
    assert_status(&finding, Status::Fail);
    assert!(finding.summary.contains("TLSv1, TLSv1.1"), "{}", finding.summary);
}

#[test]
fn a_strict_tls_setup_passes_both_tls_items() {
    let root = tree(&[
        SSL_LOAD,
        (
            "etc/apache2/conf-enabled/zz-tls.conf",
            "SSLProtocol -all +TLSv1.2 +TLSv1.3\nSSLCipherSuite ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305\n\
             SSLCipherSuite TLSv1.3 TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256\n",
        ),
        (SITE, "<VirtualHost *:443>\n  SSLEngine on\n</VirtualHost>\n"),
    ]);
    assert_status(&check(root.path(), "apache.tls-protocols"), Status::Pass);
    assert_status(&check(root.path(), "apache.tls-ciphers"), Status::Pass);
}

#[test]
fn debians_high_cipher_string_expands_to_cbc_suites() {
    assert!(apache_support::which("openssl"), "openssl is needed: apt-get install openssl");
    let root = tree(&[
        SSL_LOAD,
        (
            "etc/apache2/mods-enabled/ssl.conf",
            "<IfModule mod_ssl.c>\n  SSLCipherSuite HIGH:!aNULL\n  SSLProtocol all -SSLv3\n</IfModule>\n",
        ),
        (SITE, "<VirtualHost *:443>\n  SSLEngine on\n</VirtualHost>\n"),
    ]);
    let finding = check(root.path(), "apache.tls-ciphers");
    assert_status(&finding, Status::Fail);
    assert!(finding.summary.contains("CBC"), "{}", finding.summary);
}

#[test]
fn servertokens_inside_a_virtualhost_is_itself_a_finding() {
    let root = tree(&[
        ("etc/apache2/conf-enabled/security.conf", "ServerTokens Prod\n"),
        (SITE, "<VirtualHost *:80>\n  ServerTokens Prod\n</VirtualHost>\n"),
    ]);
    let finding = check(root.path(), "apache.server-tokens");
    assert_status(&finding, Status::Fail);
    assert!(finding.summary.contains("<VirtualHost>"), "{}", finding.summary);
    assert!(evidence_mentions(&finding, "sites-enabled/site.conf", 2));
}

#[test]
fn a_wildcard_include_skips_dotfiles_but_a_directory_include_does_not() {
    let root = tree(&[
        ("etc/apache2/conf-enabled/.hidden.conf", "ServerTokens Full\n"),
        ("etc/apache2/conf-enabled/security.conf", "ServerTokens Prod\n"),
    ]);
    assert_status(&check(root.path(), "apache.server-tokens"), Status::Pass);
    assert!(!load(root.path()).includes.iter().any(|file| file.file.contains(".hidden")));

    write(root.path(), "etc/apache2/extra/.hidden.conf", "ServerTokens Full\n");
    write(root.path(), "etc/apache2/sites-enabled/z.conf", "Include extra/\n");
    let cfg = load(root.path());
    assert!(cfg.includes.iter().any(|file| file.file == "/etc/apache2/extra/.hidden.conf"));
    assert_status(&check(root.path(), "apache.server-tokens"), Status::Fail);
}

#[test]
fn a_later_file_overrides_an_earlier_one() {
    let root = tree(&[
        ("etc/apache2/conf-enabled/security.conf", "ServerTokens OS\nServerSignature On\n"),
        ("etc/apache2/conf-enabled/zz-portcullis.conf", "ServerTokens Prod\nServerSignature Off\n"),
    ]);
    let tokens = check(root.path(), "apache.server-tokens");
    assert_status(&tokens, Status::Pass);
    assert!(evidence_mentions(&tokens, "zz-portcullis.conf", 1));
    assert_status(&check(root.path(), "apache.server-signature"), Status::Pass);

    let earlier = tree(&[
        ("etc/apache2/conf-enabled/00-hardening.conf", "ServerTokens Prod\n"),
        ("etc/apache2/conf-enabled/security.conf", "ServerTokens OS\n"),
    ]);
    let finding = check(earlier.path(), "apache.server-tokens");
    assert_status(&finding, Status::Fail);
    assert!(evidence_mentions(&finding, "conf-enabled/security.conf", 1));
}

#[test]
fn an_include_cycle_is_an_error_with_file_and_line_not_a_hang() {
    let root = tree(&[
        ("etc/apache2/conf-enabled/a.conf", "ServerTokens Prod\nInclude conf-enabled/b.conf\n"),
        ("etc/apache2/conf-enabled/b.conf", "Include conf-enabled/a.conf\n"),
    ]);
    let error = ApacheConfig::load(&target(root.path())).expect_err("a cycle is an error");
    let ApacheError::IncludeCycle { at, chain } = &error else {
        panic!("not a cycle error: {error}")
    };
    assert_eq!(at.file, "/etc/apache2/conf-enabled/b.conf");
    assert_eq!(at.line, 1);
    assert!(
        chain.contains(
            "a.conf -> /etc/apache2/conf-enabled/b.conf -> /etc/apache2/conf-enabled/a.conf"
        ),
        "{chain}"
    );
}

#[test]
fn a_continuation_line_is_one_directive_at_its_first_line() {
    let root = tree(&[(
        SITE,
        "<VirtualHost *:80>\n  DocumentRoot /srv/app\n</VirtualHost>\n<Directory /srv/app>\n  Options FollowSymLinks \\\n          Indexes\n</Directory>\n",
    )]);
    let finding = check(root.path(), "apache.no-indexes");
    assert_status(&finding, Status::Fail);
    assert!(evidence_mentions(&finding, "site.conf", 5), "{:#?}", finding.evidence);
}

#[test]
fn directive_and_section_names_are_case_insensitive() {
    let root = tree(&[
        ("etc/apache2/conf-enabled/security.conf", "servertokens prod\nSERVERSIGNATURE off\n"),
        (
            SITE,
            "<virtualhost *:80>\n  documentroot /var/www/html\n  <DIRECTORY /var/www/html>\n    OPTIONS -indexes\n  </directory>\n</VIRTUALHOST>\n",
        ),
    ]);
    assert_status(&check(root.path(), "apache.server-tokens"), Status::Pass);
    assert_status(&check(root.path(), "apache.server-signature"), Status::Pass);
    assert_status(&check(root.path(), "apache.no-indexes"), Status::Pass);
}

#[test]
fn a_trailing_comment_is_passed_as_arguments_and_apache_refuses_the_line() {
    let root = tree(&[(
        "etc/apache2/conf-enabled/security.conf",
        "ServerTokens Prod # hide the version\n",
    )]);
    let finding = check(root.path(), "apache.server-tokens");
    assert_status(&finding, Status::Fail);
    assert!(finding.summary.contains("refuses"), "{}", finding.summary);
}

#[test]
fn a_section_never_closed_is_an_error_at_its_opening_line() {
    let root = tree(&[(SITE, "ServerName a\n<VirtualHost *:80>\n  DocumentRoot /srv\n")]);
    let error = ApacheConfig::load(&target(root.path())).expect_err("unclosed");
    assert!(
        matches!(&error, ApacheError::Unclosed { at, section } if at.line == 2 && section == "VirtualHost"),
        "{error}"
    );
}

#[test]
fn a_wildcard_include_that_matches_nothing_fails_but_includeoptional_does_not() {
    let root = tree(&[(
        "etc/apache2/conf-enabled/x.conf",
        "IncludeOptional /nowhere/*.conf\nInclude extra/*.conf\n",
    )]);
    std::fs::create_dir_all(root.path().join("etc/apache2/extra")).expect("mkdir");
    let error = ApacheConfig::load(&target(root.path())).expect_err("no match");
    assert!(matches!(&error, ApacheError::NoMatch { at, .. } if at.line == 2), "{error}");
    assert!(error.to_string().contains("/etc/apache2/conf-enabled/x.conf:2"), "{error}");
}

#[test]
fn an_unreadable_included_file_names_the_include_line() {
    let root = tree(&[]);
    std::os::unix::fs::symlink(
        "../sites-available/gone.conf",
        root.path().join("etc/apache2/sites-enabled/gone.conf"),
    )
    .or_else(|_| {
        std::fs::create_dir_all(root.path().join("etc/apache2/sites-enabled"))?;
        std::os::unix::fs::symlink(
            "../sites-available/gone.conf",
            root.path().join("etc/apache2/sites-enabled/gone.conf"),
        )
    })
    .expect("symlink");
    let error = ApacheConfig::load(&target(root.path())).expect_err("dangling link");
    assert!(
        matches!(&error, ApacheError::Unreadable { file, from: Some(at), .. } if file.ends_with("gone.conf") && at.line == 17),
        "{error}"
    );
}

#[test]
fn garbage_input_never_panics() {
    let samples = [
        "<\n",
        "</>\n",
        "<VirtualHost\n",
        "<<<>>>\n</x>\n",
        "\"\n",
        "Include\n",
        "Include \"\n",
        "${\n",
        "\\\n",
        "<IfModule>\n</IfModule>\n",
        "<IfVersion >= >\n</IfVersion>\n",
        "Options +\n",
        "\u{0}\u{1}\u{2}\n",
        "<Directory \"/x>\n</Directory>\n",
    ];
    for sample in samples {
        let root = tree(&[("etc/apache2/conf-enabled/x.conf", sample)]);
        let target = target(root.path());
        if let Ok(cfg) = ApacheConfig::load(&target) {
            let _ = cfg.served_directories();
            let _ = portcullis::apache::checks::run_all(&target);
        }
    }
}

#[test]
fn envvars_expand_in_log_paths_and_follow_the_instance_suffix() {
    let root = tree(&[
        ("etc/apache2-site/apache2.conf", "IncludeOptional sites-enabled/*.conf\n"),
        ("etc/apache2-site/envvars", "export APACHE_LOG_DIR=/var/log/apache2$SUFFIX\n"),
        (
            "etc/apache2-site/sites-enabled/site.conf",
            "<VirtualHost *:443>\n  ServerName example.com\n  ServerAlias www.example.com *.cdn.example.com\n  ErrorLog ${APACHE_LOG_DIR}/site-error.log\n\
             \x20 CustomLog ${APACHE_LOG_DIR}/site-access.log combined\n  ProxyPass /api/ http://127.0.0.1:8000/\n\
             \x20 WSGIDaemonProcess site user=django group=www-data python-home=/srv/venv python-path=/srv/app\n\
             \x20 WSGIScriptAlias / /srv/app/config/wsgi.py\n</VirtualHost>\n",
        ),
    ]);
    let mut target = target(root.path());
    target.apache_root = "/etc/apache2-site".into();
    let cfg = ApacheConfig::load(&target).expect("loads");
    let vhosts = cfg.vhosts_named("www.example.com");
    assert_eq!(vhosts.len(), 1);
    assert!(cfg.vhosts_named("img.cdn.example.com").len() == 1);
    let vhost = &vhosts[0];
    assert_eq!(vhost.port(), Some(443));
    assert_eq!(
        vhost.error_log().and_then(|d| d.arg()),
        Some("/var/log/apache2-site/site-error.log")
    );
    assert_eq!(vhost.custom_logs()[0].arg(), Some("/var/log/apache2-site/site-access.log"));
    assert_eq!(vhost.proxy_passes()[0].1, "http://127.0.0.1:8000/");
    let (url, script, _) = vhost.wsgi_script_alias().expect("WSGIScriptAlias");
    assert_eq!((url.as_str(), script.as_str()), ("/", "/srv/app/config/wsgi.py"));
    assert_eq!(
        cfg.value_for(vhost, "ErrorLog").and_then(|d| d.arg()),
        Some("/var/log/apache2-site/site-error.log")
    );
    let daemon = &cfg.wsgi_daemons()[0];
    assert_eq!(daemon.user.as_deref(), Some("django"));
    assert_eq!(daemon.python_home.as_deref(), Some("/srv/venv"));
    assert_eq!(daemon.vhost, Some(0));
    assert!(cfg.served_directories().iter().any(|dir| dir.path == "/srv/app/config"));
}

#[test]
fn absolute_symlinks_resolve_inside_the_root() {
    let root = tree(&[(
        "etc/apache2/sites-available/site.conf",
        "<VirtualHost *:80>\n  ServerName linked.example.com\n</VirtualHost>\n",
    )]);
    std::fs::create_dir_all(root.path().join("etc/apache2/sites-enabled")).expect("mkdir");
    std::os::unix::fs::symlink(
        "/etc/apache2/sites-available/site.conf",
        root.path().join("etc/apache2/sites-enabled/site.conf"),
    )
    .expect("symlink");
    let cfg = load(root.path());
    assert_eq!(cfg.virtual_hosts()[0].server_name.as_deref(), Some("linked.example.com"));
}

#[test]
fn files_below_a_linked_directory_resolve_inside_the_root() {
    // sites-enabled is an absolute link to a directory elsewhere in the
    // root, named again through `..`; each file below follows the link.
    let root = tree(&[
        (
            "srv/conf/sites/a.conf",
            "<VirtualHost *:80>\n  ServerName a.example.com\n</VirtualHost>\n",
        ),
        (
            "srv/conf/sites/b.conf",
            "<VirtualHost *:80>\n  ServerName b.example.com\n</VirtualHost>\n",
        ),
        ("etc/apache2/conf-enabled/more.conf", "Include ../apache2/sites-enabled/b.conf\n"),
    ]);
    std::os::unix::fs::symlink("/srv/conf/sites", root.path().join("etc/apache2/sites-enabled"))
        .expect("symlink");
    let cfg = load(root.path());
    let names: Vec<_> =
        cfg.virtual_hosts().into_iter().filter_map(|vhost| vhost.server_name).collect();
    assert_eq!(names, ["b.example.com", "a.example.com", "b.example.com"]);
}

#[test]
fn a_wildcard_directory_name_follows_links_inside_the_root() {
    // `sites-x` links to an absolute path of the target; the wildcard in the
    // directory name reaches the files under it, and a dotfile is not matched.
    let root = tree(&[
        ("srv/conf/a.conf", "<VirtualHost *:80>\n  ServerName a.example.com\n</VirtualHost>\n"),
        (
            "srv/conf/.hidden.conf",
            "<VirtualHost *:80>\n  ServerName h.example.com\n</VirtualHost>\n",
        ),
        (
            "etc/apache2/sites-y/b.conf",
            "<VirtualHost *:80>\n  ServerName b.example.com\n</VirtualHost>\n",
        ),
        (
            "etc/apache2/conf-enabled/more.conf",
            "Include sites-*/*.conf\nIncludeOptional nothing-*/x/*.conf\n",
        ),
    ]);
    std::os::unix::fs::symlink("/srv/conf", root.path().join("etc/apache2/sites-x"))
        .expect("symlink");
    let cfg = load(root.path());
    let names: Vec<_> =
        cfg.virtual_hosts().into_iter().filter_map(|vhost| vhost.server_name).collect();
    assert_eq!(names, ["a.example.com", "b.example.com"]);
}

#[test]
fn deeply_nested_sections_are_an_error_not_a_stack_overflow() {
    let deep = "<IfModule !x>\n".repeat(5000) + &"</IfModule>\n".repeat(5000);
    let root = tree(&[("etc/apache2/conf-enabled/deep.conf", &deep)]);
    let error = ApacheConfig::load(&target(root.path())).expect_err("too deep");
    assert!(error.to_string().contains("nested"), "{error}");
}

#[test]
fn a_quoted_hash_is_a_value_not_a_comment() {
    let root = tree(&[
        (
            "etc/apache2/mods-enabled/headers.load",
            "LoadModule headers_module /usr/lib/apache2/modules/mod_headers.so\n",
        ),
        (
            "etc/apache2/conf-enabled/x.conf",
            "Header set X-Color \"#fff\"\nServerSignature Off # quiet\n",
        ),
    ]);
    let cfg = load(root.path());
    let flagged: Vec<&str> = cfg.trailing_comments().iter().map(|d| d.name.as_str()).collect();
    assert_eq!(flagged, ["ServerSignature"]);
    assert_status(&check(root.path(), "apache.server-signature"), Status::Fail);
}

#[test]
fn ifdefine_ifversion_and_define_variables_are_decided_while_reading() {
    let root = tree(&[(
        "etc/apache2/conf-enabled/x.conf",
        "Define SITE_ROOT /srv/app\n<IfDefine SITE_ROOT>\n  ServerTokens Prod\n</IfDefine>\n<IfDefine !SITE_ROOT>\n  ServerTokens Full\n</IfDefine>\n\
         <IfVersion >= 2.4.10>\n  ServerSignature Off\n</IfVersion>\n<IfVersion < 2.4>\n  ServerSignature On\n</IfVersion>\n\
         <VirtualHost *:80>\n  DocumentRoot ${SITE_ROOT}/public\n</VirtualHost>\n",
    )]);
    let cfg = load(root.path());
    assert!(cfg.defines.contains("SITE_ROOT"));
    assert_status(&check(root.path(), "apache.server-tokens"), Status::Pass);
    assert_status(&check(root.path(), "apache.server-signature"), Status::Pass);
    assert!(cfg.served_directories().iter().any(|dir| dir.path == "/srv/app/public"));
}

#[test]
fn enabled_confs_sites_and_mods_are_those_apache_reads() {
    let root = tree(&[
        ("etc/apache2/conf-enabled/security.conf", "ServerTokens Prod\n"),
        ("etc/apache2/conf-enabled/notes.txt", "not read: the glob is *.conf\n"),
        ("etc/apache2/sites-enabled/000-default.conf", "<VirtualHost *:80>\n</VirtualHost>\n"),
    ]);
    let cfg = load(root.path());
    assert_eq!(cfg.enabled_confs(), ["security"]);
    assert_eq!(cfg.enabled_sites(), ["000-default"]);
    assert_eq!(cfg.enabled_mods(), ["alias", "autoindex", "mpm_event"]);
}

#[test]
fn apache_arguments_in_envvars_define_names_for_ifdefine() {
    let root = tree(&[
        (
            "etc/apache2/envvars",
            "export APACHE_LOG_DIR=/var/log/apache2$SUFFIX\nexport APACHE_ARGUMENTS='-D HARDENED -DEXTRA'\n",
        ),
        (
            "etc/apache2/conf-enabled/x.conf",
            "<IfDefine HARDENED>\n  ServerTokens Prod\n</IfDefine>\n",
        ),
    ]);
    let cfg = load(root.path());
    assert!(cfg.defines.contains("HARDENED") && cfg.defines.contains("EXTRA"));
    assert_status(&check(root.path(), "apache.server-tokens"), Status::Pass);
}

/// Deterministic pseudo-random lines from fragments of Apache syntax: the
/// model must give a configuration or an error for every one, never panic
/// or hang.
#[test]
fn random_fragments_of_apache_syntax_never_panic_or_hang() {
    const FRAGMENTS: &[&str] = &[
        "<VirtualHost *:80>",
        "</VirtualHost>",
        "<Directory /srv>",
        "<Directory ~ \"^/srv/(\">",
        "</Directory>",
        "<DirectoryMatch \"[\">",
        "</DirectoryMatch>",
        "<Location />",
        "</Location>",
        "<LocationMatch \"(\">",
        "</LocationMatch>",
        "<IfModule !mod_x.c>",
        "<IfModule>",
        "</IfModule>",
        "<IfDefine X>",
        "</IfDefine>",
        "<IfVersion ~ (>",
        "</IfVersion>",
        "Options +Indexes -FollowSymLinks",
        "Options Indexes +ExecCGI",
        "Options",
        "AllowOverride Options=Indexes,",
        "AllowOverride All",
        "DocumentRoot /srv",
        "DocumentRoot",
        "Alias /static/ /srv/static/",
        "AliasMatch ^/(.*)$ /srv/$1",
        "WSGIScriptAlias / /srv/app/wsgi.py",
        "Include conf-enabled/*.conf",
        "IncludeOptional nothing/*",
        "Include",
        "ServerRoot /",
        "Define X ${X}",
        "ServerTokens Prod # c",
        "ServerSignature",
        "SSLProtocol +",
        "SSLEngine on",
        "SecRuleEngine On",
        "LoadModule x_module",
        "LoadModule ssl_module mod_ssl.so",
        "\\",
        "\"",
        "'",
        "${",
        "#",
        "<",
        ">",
        "</>",
        "<<>>",
        "\u{7f}\u{0}",
        "é ü",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state =
            state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(state >> 33).unwrap_or(0)
    };
    for _ in 0..200 {
        let mut text = String::new();
        for _ in 0..(next() % 12) {
            text.push_str(FRAGMENTS[next() % FRAGMENTS.len()]);
            text.push_str(if next() % 5 == 0 { " " } else { "\n" });
        }
        let root = tree(&[
            ("etc/apache2/conf-enabled/a.conf", &text),
            ("srv/.htaccess", &text),
            ("etc/apache2/sites-enabled/b.conf", &text),
        ]);
        let target = target(root.path());
        if let Ok(cfg) = ApacheConfig::load(&target) {
            let _ = cfg.served_directories();
            let _ = cfg.virtual_hosts();
        }
        let _ = portcullis::apache::checks::run_all(&target);
    }
}
