//! HTTP requests of the live stage: one GET at a time, no redirect followed
//! by the client (the chain is followed here, hop by hop, to record it), each
//! paced so that one URL is never asked twice within the pacing interval.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::Url;
use serde::Serialize;
use tokio::sync::Mutex;

use super::net::{NetError, escape_bytes};

/// How much of a body is kept: enough for a directory listing's title or
/// an error page's signature.
const BODY_LIMIT: usize = 64 * 1024;

/// The most redirects followed before the chain is called too long.
pub const MAX_HOPS: usize = 10;

/// One response header as received; bytes that are not printable ASCII are
/// shown escaped (`\xff`), and `clean` says whether any were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeaderLine {
    pub name: String,
    pub value: String,
    pub clean: bool,
}

/// One answer to a GET.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<HeaderLine>,
    /// The start of the body, decoded leniently (never shown raw).
    #[serde(skip)]
    pub body: String,
    pub elapsed_ms: u64,
    /// The server's leaf certificate (DER), for HTTPS.
    #[serde(skip)]
    pub peer_certificate: Option<Vec<u8>>,
}

impl Response {
    /// Every value of a header, in the order received.
    pub fn all(&self, name: &str) -> Vec<&HeaderLine> {
        self.headers.iter().filter(|h| h.name.eq_ignore_ascii_case(name)).collect()
    }

    pub fn first(&self, name: &str) -> Option<&HeaderLine> {
        self.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name))
    }

    pub fn is_redirect(&self) -> bool {
        matches!(self.status, 301 | 302 | 303 | 307 | 308)
    }
}

/// A request and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exchange {
    pub url: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Outcome {
    Answered(Response),
    Failed { error: NetError },
}

impl Exchange {
    pub fn response(&self) -> Option<&Response> {
        match &self.outcome {
            Outcome::Answered(response) => Some(response),
            Outcome::Failed { .. } => None,
        }
    }

    pub fn error(&self) -> Option<&NetError> {
        match &self.outcome {
            Outcome::Answered(_) => None,
            Outcome::Failed { error } => Some(error),
        }
    }

    pub fn failed(url: &Url, error: NetError) -> Exchange {
        Exchange { url: url.to_string(), outcome: Outcome::Failed { error } }
    }

    /// "200", "301 → https://…", or the error, for evidence.
    pub fn describe(&self) -> String {
        match &self.outcome {
            Outcome::Answered(response) => match response.first("location") {
                Some(location) if response.is_redirect() => {
                    format!("{} → {}", response.status, location.value)
                }
                _ => response.status.to_string(),
            },
            Outcome::Failed { error } => error.to_string(),
        }
    }
}

/// How the http:// URL led (or did not lead) to https://.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RedirectChain {
    pub hops: Vec<Exchange>,
    pub end: ChainEnd,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "end", rename_all = "kebab-case")]
pub enum ChainEnd {
    /// The last hop answered without redirecting (or failed: see its outcome).
    Final,
    /// A Location led back to a URL already visited.
    Loop { to: String },
    /// More than [`MAX_HOPS`] redirects.
    TooLong,
    /// A Location that is not a URL.
    BadLocation { location: String },
}

/// Keeps every URL's hits at least `interval` apart, so that `mod_evasive`
/// (which blocks a client asking for one URI more than twice a second by
/// default) never sees the probes as an attack. URLs differing only in
/// scheme, port or query share a slot: `mod_evasive` counts by client and URI.
pub struct Pacer {
    interval: Duration,
    next_slot: Mutex<HashMap<String, Instant>>,
}

impl Pacer {
    pub fn new(interval: Duration) -> Self {
        Pacer { interval, next_slot: Mutex::new(HashMap::new()) }
    }

    /// Waits for this URL's turn.
    pub async fn turn(&self, url: &Url) {
        let key = format!("{}{}", url.host_str().unwrap_or_default(), url.path());
        let start = {
            let mut slots = self.next_slot.lock().await;
            let now = Instant::now();
            let start = slots.get(&key).map_or(now, |&slot| slot.max(now));
            slots.insert(key, start + self.interval);
            start
        };
        tokio::time::sleep_until(start.into()).await;
    }
}

/// Sends one GET and keeps the status, the headers and the start of the body.
pub async fn get(client: &reqwest::Client, url: &Url, timeout: Duration) -> Exchange {
    let started = Instant::now();
    let outcome = match client.get(url.clone()).send().await {
        Ok(response) => Outcome::Answered(read_response(response, started, timeout).await),
        Err(error) => Outcome::Failed { error: NetError::from_reqwest(&error, timeout) },
    };
    Exchange { url: url.to_string(), outcome }
}

async fn read_response(
    mut response: reqwest::Response,
    started: Instant,
    timeout: Duration,
) -> Response {
    let status = response.status().as_u16();
    let peer_certificate = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .map(<[u8]>::to_vec);
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            let bytes = value.as_bytes();
            let value = escape_bytes(bytes);
            HeaderLine { name: name.as_str().to_owned(), clean: value.as_bytes() == bytes, value }
        })
        .collect();

    // A body that stalls or breaks leaves what was read: the status and
    // headers are the observation that matters.
    let mut body = Vec::new();
    let deadline = started + timeout;
    while body.len() < BODY_LIMIT {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(remaining, response.chunk()).await {
            Ok(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(BODY_LIMIT);

    Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        peer_certificate,
    }
}

/// Follows redirects from `start` by hand, pacing every hop, and stops at
/// the first answer that is not a redirect, a loop, or [`MAX_HOPS`].
/// `client_for` picks the client for a URL (the certificate policy may
/// differ between http and https hops).
pub async fn follow(
    start: &Url,
    client_for: impl Fn(&Url) -> reqwest::Client,
    pacer: &Pacer,
    timeout: Duration,
) -> RedirectChain {
    let mut hops: Vec<Exchange> = Vec::new();
    let mut url = start.clone();
    loop {
        pacer.turn(&url).await;
        let exchange = get(&client_for(&url), &url, timeout).await;
        let location = exchange
            .response()
            .filter(|r| r.is_redirect())
            .and_then(|r| r.first("location"))
            .map(|l| l.value.clone());
        hops.push(exchange);

        let Some(location) = location else {
            return RedirectChain { hops, end: ChainEnd::Final };
        };
        let Ok(next) = url.join(&location) else {
            return RedirectChain { hops, end: ChainEnd::BadLocation { location } };
        };
        if hops.iter().any(|hop| hop.url == next.as_str()) {
            return RedirectChain { hops, end: ChainEnd::Loop { to: next.to_string() } };
        }
        if hops.len() > MAX_HOPS {
            return RedirectChain { hops, end: ChainEnd::TooLong };
        }
        url = next;
    }
}
