//! A server that speaks only TLS 1.3 (`openssl s_server -tls1_3 -www`): the
//! version probe must see 1.0 to 1.2 refused, the cipher probe must pass on
//! 1.3's suites alone, and the certificate (encrypted in 1.3, so not in our
//! own hello's answer) must still be read, from the HTTPS connection.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use portcullis::checklist::LiveProbe;
use portcullis::finding::Status;
use portcullis::live::{self, LiveOptions, Prober, SiteTarget, TlsVersion};

const INSTALL_HINT: &str = "install openssl: apt-get install -y openssl";

/// `openssl s_server`, stopped by its PID when dropped.
struct SServer {
    child: Child,
    _dir: tempfile::TempDir,
    port: u16,
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_tls13_server() -> SServer {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "10"])
        .args(["-subj", "/CN=tls13.localhost"])
        .arg("-keyout")
        .arg(dir.path().join("key.pem"))
        .arg("-out")
        .arg(dir.path().join("cert.pem"))
        .output()
        .unwrap_or_else(|e| panic!("openssl could not run ({e}); {INSTALL_HINT}"));
    assert!(made.status.success(), "openssl req failed");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-tls1_3"])
        .args(["-accept", &format!("127.0.0.1:{port}")])
        .arg("-cert")
        .arg(dir.path().join("cert.pem"))
        .arg("-key")
        .arg(dir.path().join("key.pem"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("openssl s_server could not start ({e}); {INSTALL_HINT}"));
    let server = SServer { child, _dir: dir, port };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "openssl s_server did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    server
}

#[tokio::test]
async fn tls13_only_server_refuses_older_versions_and_still_shows_its_certificate() {
    let server = start_tls13_server();
    let site = SiteTarget::from_url(&format!("https://127.0.0.1:{}/", server.port))
        .expect("the URL parses");
    let mut options = LiveOptions::new(vec![site]);
    options.timeout = Duration::from_secs(5);
    options.pace = Duration::from_millis(50);
    let report = Prober::new(options).expect("the prober builds").run().await;

    let tls = report.sites[0].tls.as_ref().expect("TLS was probed");
    for version in [TlsVersion::Tls10, TlsVersion::Tls11, TlsVersion::Tls12] {
        let handshake = tls.version(version).expect("probed");
        assert!(!handshake.accepted(), "{version}: {}", handshake.describe());
    }
    assert!(tls.version(TlsVersion::Tls13).is_some_and(live::Handshake::accepted));

    let versions = live::judge(&LiveProbe::TlsVersions, &report);
    assert_eq!(versions.status, Status::Pass, "{}", versions.summary);
    let cipher = live::judge(&LiveProbe::TlsCipher, &report);
    assert_eq!(cipher.status, Status::Pass, "{}", cipher.summary);
    assert!(cipher.summary.contains("refuses TLS 1.2"), "{}", cipher.summary);

    let facts = report.sites[0].certificate.as_ref().expect("certificate read over HTTPS");
    assert_eq!(facts.subject_cn.as_deref(), Some("tls13.localhost"));
    let certificate = live::judge_certificate(&report);
    assert_eq!(certificate.status, Status::Fail, "self-signed: {}", certificate.summary);
}
