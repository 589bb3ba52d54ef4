//! A small OSV-compatible advisory service on loopback, so that the real
//! pip-audit (`-s osv --osv-url`) runs against known advisories without the
//! internet. It answers `POST /v1/query` with the canned vulnerabilities of
//! the queried package and version, and `{}` for anything else.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// The advisory for django 4.2.0 the tests expect to see reported.
pub const DJANGO_ADVISORY: &str = r#"{
  "id": "GHSA-r3xc-prgr-mg9p",
  "summary": "Django bypass of validation when using one form field to upload multiple files",
  "details": "Uploading multiple files using one form field has never been supported.",
  "aliases": ["CVE-2023-31047"],
  "modified": "2024-01-01T00:00:00Z",
  "published": "2023-05-07T00:00:00Z",
  "affected": [{
    "package": {"name": "django", "ecosystem": "PyPI"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "4.2"}, {"fixed": "4.2.1"}]}]
  }]
}"#;

/// A running service; it stops when the test process ends.
pub struct OsvServer {
    pub url: String,
    queries: Arc<Mutex<Vec<String>>>,
}

impl OsvServer {
    /// Starts the service with `advisories`: (package, version, OSV vuln JSON).
    pub fn start(advisories: &[(&str, &str, &str)]) -> OsvServer {
        let canned: HashMap<(String, String), Vec<serde_json::Value>> =
            advisories.iter().fold(HashMap::new(), |mut map, (name, version, json)| {
                let vuln = serde_json::from_str(json).expect("canned advisory is JSON");
                map.entry((name.to_lowercase(), (*version).to_owned())).or_default().push(vuln);
                map
            });
        let canned = Arc::new(canned);
        let queries = Arc::new(Mutex::new(Vec::new()));
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let port = std_listener.local_addr().expect("local addr").port();

        let seen = Arc::clone(&queries);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("tokio listener");
                loop {
                    let Ok((stream, _)) = listener.accept().await else { continue };
                    let canned = Arc::clone(&canned);
                    let seen = Arc::clone(&seen);
                    tokio::spawn(async move {
                        let _ = serve_connection(stream, &canned, &seen).await;
                    });
                }
            });
        });
        OsvServer { url: format!("http://127.0.0.1:{port}/v1/query"), queries }
    }

    /// The `package version` pairs queried so far.
    pub fn queries(&self) -> Vec<String> {
        self.queries.lock().expect("queries lock").clone()
    }
}

/// Serves requests on one keep-alive connection until the client closes it.
async fn serve_connection(
    stream: tokio::net::TcpStream,
    canned: &HashMap<(String, String), Vec<serde_json::Value>>,
    seen: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await? == 0 {
            return Ok(());
        }
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).await? == 0 {
                return Ok(());
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).await?;

        let (status, answer) = if request_line.starts_with("POST /v1/query ") {
            let query: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let name = query["package"]["name"].as_str().unwrap_or("").to_lowercase();
            let version = query["version"].as_str().unwrap_or("").to_owned();
            seen.lock().expect("queries lock").push(format!("{name} {version}"));
            match canned.get(&(name, version)) {
                Some(vulns) => ("200 OK", serde_json::json!({ "vulns": vulns }).to_string()),
                None => ("200 OK", "{}".to_owned()),
            }
        } else {
            ("404 Not Found", "{}".to_owned())
        };
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
            answer.len()
        );
        write.write_all(response.as_bytes()).await?;
    }
}
