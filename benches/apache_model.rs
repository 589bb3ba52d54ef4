//! Parses and checks generated Apache trees of 100, 1,000 and 10,000
//! virtual hosts (Debian's layout, one site file per host, each with TLS,
//! logs, an alias with a `<Directory>`), and prints the time of each stage.
//! Run: `cargo bench --bench apache_model`. Results go in BENCHMARKS.md.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use portcullis::apache::{ApacheConfig, checks};
use portcullis::dpkg::Installed;
use portcullis::target::Target;

fn write(root: &Path, inside: &str, text: &str) {
    let path = root.join(inside.trim_start_matches('/'));
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A Debian-shaped tree with `hosts` sites enabled.
fn tree(root: &Path, hosts: usize) {
    write(
        root,
        "/etc/apache2/envvars",
        "export APACHE_RUN_USER=www-data\nexport APACHE_RUN_GROUP=www-data\nexport APACHE_LOG_DIR=/var/log/apache2$SUFFIX\n",
    );
    write(
        root,
        "/etc/apache2/apache2.conf",
        "ServerRoot \"/etc/apache2\"\nTimeout 300\nIncludeOptional mods-enabled/*.load\nIncludeOptional mods-enabled/*.conf\nInclude ports.conf\n<Directory />\n\tOptions FollowSymLinks\n\tAllowOverride None\n\tRequire all denied\n</Directory>\n<Directory /var/www/>\n\tOptions Indexes FollowSymLinks\n\tAllowOverride None\n\tRequire all granted\n</Directory>\nIncludeOptional conf-enabled/*.conf\nIncludeOptional sites-enabled/*.conf\n",
    );
    write(
        root,
        "/etc/apache2/ports.conf",
        "Listen 80\n<IfModule ssl_module>\n\tListen 443\n</IfModule>\n",
    );
    write(
        root,
        "/etc/apache2/mods-enabled/ssl.load",
        "LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n",
    );
    write(
        root,
        "/etc/apache2/mods-enabled/ssl.conf",
        "<IfModule mod_ssl.c>\n\tSSLCipherSuite HIGH:!aNULL\n\tSSLProtocol all -SSLv3\n</IfModule>\n",
    );
    write(
        root,
        "/etc/apache2/mods-enabled/autoindex.load",
        "LoadModule autoindex_module /usr/lib/apache2/modules/mod_autoindex.so\n",
    );
    write(
        root,
        "/etc/apache2/conf-enabled/security.conf",
        "ServerTokens OS\nServerSignature On\nTraceEnable Off\n",
    );
    for n in 0..hosts {
        let mut site = String::new();
        let _ = write!(
            site,
            "<VirtualHost *:443>\n\tServerName site{n}.example.com\n\tServerAlias www.site{n}.example.com\n\tDocumentRoot /var/www/site{n}\n\tSSLEngine on\n\tSSLCertificateFile /etc/ssl/certs/site{n}.pem\n\tAlias /static/ /srv/site{n}/static/\n\t<Directory /srv/site{n}/static>\n\t\tOptions -Indexes\n\t\tRequire all granted\n\t</Directory>\n\tErrorLog ${{APACHE_LOG_DIR}}/site{n}_error.log\n\tCustomLog ${{APACHE_LOG_DIR}}/site{n}_access.log combined\n</VirtualHost>\n"
        );
        write(root, &format!("/etc/apache2/sites-enabled/site{n:05}.conf"), &site);
    }
}

fn main() {
    println!("| virtual hosts | load the tree | run the 12 Apache checks | total |");
    println!("| --- | --- | --- | --- |");
    for hosts in [100, 1_000, 10_000] {
        let dir = tempfile::tempdir().expect("tempdir");
        tree(dir.path(), hosts);
        let target = Target::at_root(dir.path());
        let started = Instant::now();
        let config = ApacheConfig::load(&target).expect("the generated tree loads");
        let loaded = started.elapsed();
        let packages = Installed::default();
        let checking = Instant::now();
        for id in checks::ITEMS {
            let finding = checks::run(id, &config, &packages, &target);
            std::hint::black_box(finding);
        }
        let checked = checking.elapsed();
        println!(
            "| {hosts} | {:.3} s | {:.3} s | {:.3} s |",
            loaded.as_secs_f64(),
            checked.as_secs_f64(),
            started.elapsed().as_secs_f64()
        );
    }
}
