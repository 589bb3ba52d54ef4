//! The generated Apache trees the benchmarks parse: Debian's layout
//! (`apache2.conf`, `ports.conf`, `mods-enabled`, `conf-enabled`) with one
//! file per virtual host in `sites-enabled`, each with TLS, an alias with its
//! `<Directory>`, and logs.
//!
//! Apache itself accepts the tree (`APACHE_CONFDIR=ROOT/etc/apache2
//! apache2ctl -t`), so that `scripts/bench` can time both on the same files:
//! there is no `ServerRoot` line (Apache takes the directory it is given, as
//! portcullis takes `/etc/apache2` under `--root`), the modules the
//! directives need are loaded, the log directory is one Debian's `apache2`
//! package creates, and the certificate and key are files inside the tree,
//! named relative to the server root. Their contents are placeholders: the
//! configuration test only asks that they exist.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

fn write(root: &Path, inside: &str, text: &str) -> io::Result<()> {
    let path = root.join(inside.trim_start_matches('/'));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}

fn load_module(root: &Path, module: &str, file: &str) -> io::Result<()> {
    write(
        root,
        &format!("/etc/apache2/mods-enabled/{module}.load"),
        &format!("LoadModule {module}_module /usr/lib/apache2/modules/{file}.so\n"),
    )
}

/// Writes a Debian-shaped tree with `hosts` sites enabled under `root`.
pub fn write_tree(root: &Path, hosts: usize) -> io::Result<()> {
    write(
        root,
        "/etc/apache2/envvars",
        "export APACHE_RUN_USER=www-data\nexport APACHE_RUN_GROUP=www-data\nexport APACHE_LOG_DIR=/var/log/apache2\n",
    )?;
    write(
        root,
        "/etc/apache2/apache2.conf",
        "Timeout 300\nErrorLog ${APACHE_LOG_DIR}/error.log\nIncludeOptional mods-enabled/*.load\nIncludeOptional mods-enabled/*.conf\nInclude ports.conf\n<Directory />\n\tOptions FollowSymLinks\n\tAllowOverride None\n\tRequire all denied\n</Directory>\n<Directory /var/www/>\n\tOptions Indexes FollowSymLinks\n\tAllowOverride None\n\tRequire all granted\n</Directory>\nIncludeOptional conf-enabled/*.conf\nIncludeOptional sites-enabled/*.conf\n",
    )?;
    write(
        root,
        "/etc/apache2/ports.conf",
        "Listen 80\n<IfModule ssl_module>\n\tListen 443\n</IfModule>\n",
    )?;
    for (module, file) in [
        ("mpm_event", "mod_mpm_event"),
        ("authz_core", "mod_authz_core"),
        ("alias", "mod_alias"),
        ("ssl", "mod_ssl"),
        ("autoindex", "mod_autoindex"),
    ] {
        load_module(root, module, file)?;
    }
    write(
        root,
        "/etc/apache2/mods-enabled/ssl.conf",
        "<IfModule mod_ssl.c>\n\tSSLCipherSuite HIGH:!aNULL\n\tSSLProtocol all -SSLv3\n</IfModule>\n",
    )?;
    write(
        root,
        "/etc/apache2/conf-enabled/security.conf",
        "ServerTokens OS\nServerSignature On\nTraceEnable Off\n",
    )?;
    write(root, "/etc/apache2/ssl/site.pem", "placeholder certificate\n")?;
    write(root, "/etc/apache2/ssl/site.key", "placeholder key\n")?;
    let mut site = String::new();
    for n in 0..hosts {
        site.clear();
        let _ = write!(
            site,
            "<VirtualHost *:443>\n\tServerName site{n}.example.com\n\tServerAlias www.site{n}.example.com\n\tDocumentRoot /var/www/site{n}\n\tSSLEngine on\n\tSSLCertificateFile ssl/site.pem\n\tSSLCertificateKeyFile ssl/site.key\n\tAlias /static/ /srv/site{n}/static/\n\t<Directory /srv/site{n}/static>\n\t\tOptions -Indexes\n\t\tRequire all granted\n\t</Directory>\n\tErrorLog ${{APACHE_LOG_DIR}}/site{n}_error.log\n\tCustomLog ${{APACHE_LOG_DIR}}/site{n}_access.log combined\n</VirtualHost>\n"
        );
        write(root, &format!("/etc/apache2/sites-enabled/site{n:05}.conf"), &site)?;
    }
    Ok(())
}
