//! A real Debian Apache of the test's own, on free loopback ports, serving a
//! tiny Django project through `mod_wsgi` (daemon mode) with a self-signed
//! certificate. The Debian configuration tree is copied to a temporary
//! directory and changed there; the system's own Apache is never touched.
//! The server is stopped (SIGTERM to the PID in its pid file) when the
//! value is dropped, also when the test panics.
//!
//! Needs: `apt-get install -y apache2 libapache2-mod-security2 modsecurity-crs
//! libapache2-mod-evasive libapache2-mod-wsgi-py3 python3-venv openssl`.
//! The Django virtualenv is `$PORTCULLIS_SITE_VENV` when set, else one made
//! once under `target/portcullis-site/venv` from /usr/bin/python3 (the
//! Python `mod_wsgi` embeds) with `pip install "django<6"`.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub const INSTALL_HINT: &str = "install the test dependencies: apt-get update && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y apache2 libapache2-mod-security2 \
    modsecurity-crs libapache2-mod-evasive libapache2-mod-wsgi-py3 python3-venv openssl";

/// How the test server is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Debian as shipped, plus what careless setups add: `SSLProtocol all`
    /// with `SSLCipherSuite DEFAULT:@SECLEVEL=0` (TLS 1.0 and 1.1 really
    /// accepted), `ServerTokens OS`, `ServerSignature On`, listings on static and
    /// media, no HSTS, `ModSecurity` loaded with its engine off, plain HTTP
    /// serving the app.
    Insecure,
    /// Like `Insecure`, but the TLS settings are Debian 12's own
    /// (`SSLProtocol all -SSLv3`, `HIGH:!aNULL`): OpenSSL then refuses TLS 1.0
    /// and 1.1 on the wire with alert 80 although the configuration allows them.
    DebianTls,
    /// Mozilla intermediate TLS, HSTS with preload, secure cookies, a CSP,
    /// `ServerTokens Prod`, `ServerSignature Off`, no listings, `ModSecurity` On
    /// with the CRS, and HTTP redirected to HTTPS.
    Hardened,
}

/// Modules Debian enables on a fresh install, plus the ones the tests need.
const MODULES: &[&str] = &[
    "access_compat",
    "alias",
    "auth_basic",
    "authn_core",
    "authn_file",
    "authz_core",
    "authz_host",
    "authz_user",
    "autoindex",
    "deflate",
    "dir",
    "env",
    "filter",
    "mime",
    "mpm_event",
    "negotiation",
    "reqtimeout",
    "setenvif",
    "status",
    "ssl",
    "socache_shmcb",
    "headers",
    "wsgi",
    "unique_id",
    "security2",
    "evasive",
];

pub struct Apache {
    dir: tempfile::TempDir,
    pub http_port: u16,
    pub https_port: u16,
    pub profile: Profile,
}

impl Apache {
    /// Starts a server and waits until both ports answer.
    pub fn start(profile: Profile) -> Apache {
        require_components();
        let venv = site_venv();

        let dir = tempfile::Builder::new()
            .prefix("portcullis-apache-")
            .tempdir()
            .expect("a temporary directory");
        let root = dir.path().to_path_buf();
        // Apache's children and the WSGI daemon run as www-data.
        set_mode(&root, 0o755);
        let apache = Apache { dir, http_port: free_port(), https_port: free_port(), profile };

        apache.write_config(&venv);
        write_django_project(&root.join("project"), profile);
        write_static_tree(&root);
        make_certificate(&root);

        let output = Command::new("apache2ctl")
            .arg("start")
            .env("APACHE_CONFDIR", apache.confdir())
            .output()
            .unwrap_or_else(|e| panic!("apache2ctl could not run ({e}); {INSTALL_HINT}"));
        assert!(
            output.status.success(),
            "apache2ctl start failed: {}{}\nerror log:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            apache.error_log()
        );
        apache.wait_until_listening();
        apache
    }

    pub fn confdir(&self) -> PathBuf {
        self.dir.path().join("apache2")
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn https_url(&self) -> String {
        format!("https://localhost:{}/", self.https_port)
    }

    pub fn http_url(&self) -> String {
        format!("http://localhost:{}/", self.http_port)
    }

    pub fn error_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("log/error.log")).unwrap_or_default()
    }

    fn pid(&self) -> Option<i32> {
        fs::read_to_string(self.dir.path().join("run/apache2.pid"))
            .ok()
            .and_then(|text| text.trim().parse().ok())
    }

    fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        for port in [self.http_port, self.https_port] {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "Apache did not listen on {port}; error log:\n{}",
                    self.error_log()
                );
                std::thread::sleep(Duration::from_millis(25));
            }
        }
    }

    fn write_config(&self, venv: &Path) {
        let root = self.dir.path();
        let conf = self.confdir();
        copy_tree(Path::new("/etc/apache2"), &conf);
        for sub in ["run", "lock", "log", "modsec"] {
            fs::create_dir_all(root.join(sub)).expect("a server directory");
        }
        set_mode(&root.join("modsec"), 0o777);

        // envvars: everything the server writes goes to the temporary directory.
        let mut envvars = fs::read_to_string(conf.join("envvars")).expect("envvars");
        let _ = write!(
            envvars,
            "\nexport APACHE_PID_FILE={r}/run/apache2.pid\nexport APACHE_RUN_DIR={r}/run\n\
             export APACHE_LOCK_DIR={r}/lock\nexport APACHE_LOG_DIR={r}/log\n",
            r = root.display()
        );
        fs::write(conf.join("envvars"), envvars).expect("envvars written");
        fs::write(
            conf.join("ports.conf"),
            format!("Listen 127.0.0.1:{}\nListen 127.0.0.1:{}\n", self.http_port, self.https_port),
        )
        .expect("ports.conf written");

        // Exactly the modules the tests expect, whatever this machine enabled.
        let enabled = conf.join("mods-enabled");
        fs::remove_dir_all(&enabled).expect("mods-enabled cleared");
        fs::create_dir_all(&enabled).expect("mods-enabled made");
        for module in MODULES {
            for ext in ["load", "conf"] {
                let available = conf.join(format!("mods-available/{module}.{ext}"));
                if available.exists() {
                    std::os::unix::fs::symlink(
                        format!("../mods-available/{module}.{ext}"),
                        enabled.join(format!("{module}.{ext}")),
                    )
                    .expect("module enabled");
                }
            }
        }
        // ModSecurity: the packaged include chain, with our own engine file.
        let hardened = self.profile == Profile::Hardened;
        let mut security2 =
            format!("<IfModule security2_module>\n    SecDataDir {}/modsec\n", root.display());
        if hardened {
            let recommended = fs::read_to_string("/etc/modsecurity/modsecurity.conf-recommended")
                .unwrap_or_else(|e| panic!("modsecurity.conf-recommended: {e}; {INSTALL_HINT}"));
            let engine = recommended
                .replace("SecRuleEngine DetectionOnly", "SecRuleEngine On")
                .replace(
                    "/var/log/apache2/modsec_audit.log",
                    &format!("{}/log/modsec_audit.log", root.display()),
                )
                .replace("SecDataDir /tmp/", &format!("SecDataDir {}/modsec", root.display()));
            fs::write(root.join("modsec/modsecurity.conf"), engine).expect("modsecurity.conf");
            fs::copy("/etc/modsecurity/unicode.mapping", root.join("modsec/unicode.mapping"))
                .expect("unicode.mapping copied");
            let _ = writeln!(security2, "    Include {}/modsec/modsecurity.conf", root.display());
        }
        security2.push_str("    IncludeOptional /usr/share/modsecurity-crs/*.load\n</IfModule>\n");
        fs::remove_file(enabled.join("security2.conf")).ok();
        fs::write(enabled.join("security2.conf"), security2).expect("security2.conf");

        // Sites: only ours.
        let sites = conf.join("sites-enabled");
        fs::remove_dir_all(&sites).expect("sites-enabled cleared");
        fs::create_dir_all(&sites).expect("sites-enabled made");
        fs::write(sites.join("portcullis-test.conf"), self.site_config(venv))
            .expect("site written");

        if hardened {
            fs::write(
                conf.join("conf-enabled/zz-portcullis-hardening.conf"),
                "ServerTokens Prod\nServerSignature Off\n",
            )
            .expect("hardening drop-in");
        }
    }

    fn site_config(&self, venv: &Path) -> String {
        let root = self.dir.path().display().to_string();
        let project = format!("{root}/project");
        let hardened = self.profile == Profile::Hardened;
        let tls = match self.profile {
            Profile::Insecure => "    SSLProtocol all\n    SSLCipherSuite DEFAULT:@SECLEVEL=0\n".to_owned(),
            Profile::DebianTls => String::new(),
            Profile::Hardened => "    SSLProtocol -all +TLSv1.2 +TLSv1.3\n    \
                SSLOpenSSLConfCmd Curves X25519:prime256v1:secp384r1\n    \
                SSLCipherSuite ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305\n    \
                SSLCipherSuite TLSv1.3 TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256\n    \
                SSLHonorCipherOrder off\n    SSLSessionTickets off\n"
                .to_owned(),
        };
        let indexes = if hardened { "-Indexes" } else { "Indexes" };
        let app = format!(
            "    WSGIProcessGroup portcullis_site\n    WSGIApplicationGroup %{{GLOBAL}}\n    \
             Alias /static/ {root}/static/\n    Alias /media/ {root}/media/\n    \
             WSGIScriptAlias / {project}/mysite/wsgi.py\n"
        );
        let headers = if hardened {
            "    Header always set Content-Security-Policy \"default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'\"\n"
        } else {
            ""
        };
        let http_body = if hardened {
            format!("    Redirect permanent / https://localhost:{}/\n", self.https_port)
        } else {
            app.clone()
        };
        format!(
            "ServerName localhost\n\
             WSGIDaemonProcess portcullis_site python-home={venv} python-path={project} processes=1 threads=8 display-name=portcullis-site\n\
             <Directory {project}/mysite>\n    <Files wsgi.py>\n        Require all granted\n    </Files>\n</Directory>\n\
             <Directory {root}/static>\n    Options {indexes}\n    Require all granted\n</Directory>\n\
             <Directory {root}/media>\n    Options {indexes}\n    Require all granted\n</Directory>\n\
             <VirtualHost 127.0.0.1:{http}>\n    ServerName localhost\n{http_body}</VirtualHost>\n\
             <VirtualHost 127.0.0.1:{https}>\n    ServerName localhost\n    SSLEngine on\n    \
             SSLCertificateFile {root}/cert.pem\n    SSLCertificateKeyFile {root}/key.pem\n{tls}{headers}{app}</VirtualHost>\n",
            venv = venv.display(),
            http = self.http_port,
            https = self.https_port,
        )
    }
}

impl Drop for Apache {
    fn drop(&mut self) {
        let Some(pid) = self.pid() else { return };
        let pid = nix::unistd::Pid::from_raw(pid);
        if nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).is_err() {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if Path::new(&format!("/proc/{pid}")).exists() {
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        }
    }
}

fn require_components() {
    let needed = [
        "/usr/sbin/apache2ctl",
        "/usr/lib/apache2/modules/mod_ssl.so",
        "/usr/lib/apache2/modules/mod_wsgi.so",
        "/usr/lib/apache2/modules/mod_security2.so",
        "/usr/lib/apache2/modules/mod_evasive20.so",
        "/usr/share/modsecurity-crs/owasp-crs.load",
        "/usr/bin/openssl",
    ];
    for path in needed {
        assert!(Path::new(path).exists(), "{path} is missing: {INSTALL_HINT}");
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("mode set");
}

fn copy_tree(from: &Path, to: &Path) {
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status().expect("cp runs");
    assert!(status.success(), "copying {} failed: {INSTALL_HINT}", from.display());
}

fn make_certificate(root: &Path) {
    let output = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30"])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(root.join("key.pem"))
        .arg("-out")
        .arg(root.join("cert.pem"))
        .output()
        .unwrap_or_else(|e| panic!("openssl could not run ({e}); {INSTALL_HINT}"));
    assert!(
        output.status.success(),
        "openssl req failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn write_static_tree(root: &Path) {
    for dir in ["static/css", "media/uploads"] {
        fs::create_dir_all(root.join(dir)).expect("static tree");
    }
    fs::write(root.join("static/css/site.css"), "body { margin: 0 }\n").expect("a static file");
    fs::write(root.join("media/uploads/report.txt"), "an upload\n").expect("a media file");
}

fn write_django_project(project: &Path, profile: Profile) {
    let site = project.join("mysite");
    fs::create_dir_all(&site).expect("project directory");
    let hardened = if profile == Profile::Hardened {
        "SECURE_HSTS_SECONDS = 31536000\nSECURE_HSTS_INCLUDE_SUBDOMAINS = True\n\
         SECURE_HSTS_PRELOAD = True\nSESSION_COOKIE_SECURE = True\nCSRF_COOKIE_SECURE = True\n"
    } else {
        ""
    };
    let settings = format!(
        "from pathlib import Path\n\
         BASE_DIR = Path(__file__).resolve().parent.parent\n\
         SECRET_KEY = 'test-only-key-for-a-throwaway-loopback-site-0123456789abcdef'\n\
         DEBUG = False\n\
         ALLOWED_HOSTS = ['localhost', '127.0.0.1']\n\
         INSTALLED_APPS = ['django.contrib.admin', 'django.contrib.auth', 'django.contrib.contenttypes',\n\
         \x20   'django.contrib.sessions', 'django.contrib.messages', 'django.contrib.staticfiles']\n\
         MIDDLEWARE = ['django.middleware.security.SecurityMiddleware',\n\
         \x20   'django.contrib.sessions.middleware.SessionMiddleware',\n\
         \x20   'django.middleware.common.CommonMiddleware',\n\
         \x20   'django.middleware.csrf.CsrfViewMiddleware',\n\
         \x20   'django.contrib.auth.middleware.AuthenticationMiddleware',\n\
         \x20   'django.contrib.messages.middleware.MessageMiddleware',\n\
         \x20   'django.middleware.clickjacking.XFrameOptionsMiddleware']\n\
         ROOT_URLCONF = 'mysite.urls'\n\
         TEMPLATES = [{{'BACKEND': 'django.template.backends.django.DjangoTemplates', 'DIRS': [],\n\
         \x20   'APP_DIRS': True, 'OPTIONS': {{'context_processors': [\n\
         \x20   'django.template.context_processors.request', 'django.contrib.auth.context_processors.auth',\n\
         \x20   'django.contrib.messages.context_processors.messages']}}}}]\n\
         WSGI_APPLICATION = 'mysite.wsgi.application'\n\
         DATABASES = {{'default': {{'ENGINE': 'django.db.backends.sqlite3', 'NAME': '/tmp/portcullis-unused.sqlite3'}}}}\n\
         SESSION_ENGINE = 'django.contrib.sessions.backends.signed_cookies'\n\
         STATIC_URL = '/static/'\n\
         MEDIA_URL = '/media/'\n\
         USE_TZ = True\n\
         DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'\n\
         {hardened}"
    );
    fs::write(site.join("__init__.py"), "").expect("package");
    fs::write(site.join("settings.py"), settings).expect("settings");
    fs::write(
        site.join("urls.py"),
        "from django.contrib import admin\nfrom django.http import HttpResponse\nfrom django.urls import path\n\n\
         def home(request):\n    # Saving something in the session makes Django set its cookie.\n    \
         request.session['visited'] = True\n    \
         return HttpResponse('<!doctype html><title>portcullis test site</title><p>hello</p>')\n\n\
         urlpatterns = [path('', home), path('admin/', admin.site.urls)]\n",
    )
    .expect("urls");
    fs::write(
        site.join("wsgi.py"),
        "import os\nfrom django.core.wsgi import get_wsgi_application\n\
         os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\napplication = get_wsgi_application()\n",
    )
    .expect("wsgi");
}

/// The Django virtualenv: `$PORTCULLIS_SITE_VENV`, or one made once under
/// target/ (other test processes wait on a lock while it is made).
pub fn site_venv() -> PathBuf {
    if let Some(venv) = std::env::var_os("PORTCULLIS_SITE_VENV") {
        return PathBuf::from(venv);
    }
    let cache = target_dir().join("portcullis-site");
    fs::create_dir_all(&cache).expect("cache directory under target/");
    let venv = cache.join("venv");
    let lock = fs::File::create(cache.join(".lock")).expect("lock file");
    lock.lock().expect("venv lock");
    let django = venv.join("bin/django-admin");
    if !django.exists() {
        let made = Command::new("/usr/bin/python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .unwrap_or_else(|e| panic!("/usr/bin/python3 could not run ({e}); {INSTALL_HINT}"));
        assert!(made.success(), "python3 -m venv failed; {INSTALL_HINT}");
        let pip = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "django<6"])
            .status()
            .expect("pip runs");
        assert!(pip.success(), "pip install django failed (is PyPI reachable?)");
    }
    venv
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"), PathBuf::from)
}
