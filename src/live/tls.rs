//! TLS handshakes written by hand: one `ClientHello` for one protocol version,
//! and the server's first answer read back (its `ServerHello`, or an alert).
//! Nothing is encrypted and no key exchange is finished, so TLS 1.0 and 1.1
//! can be probed whatever the local TLS library would allow. The probe never
//! sends anything after the `ClientHello`.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::ciphers::{self, CipherSuite};
use super::net::NetError;

/// A protocol version the probe asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum TlsVersion {
    #[serde(rename = "TLS 1.0")]
    Tls10,
    #[serde(rename = "TLS 1.1")]
    Tls11,
    #[serde(rename = "TLS 1.2")]
    Tls12,
    #[serde(rename = "TLS 1.3")]
    Tls13,
}

impl TlsVersion {
    pub const ALL: [TlsVersion; 4] =
        [TlsVersion::Tls10, TlsVersion::Tls11, TlsVersion::Tls12, TlsVersion::Tls13];

    pub fn wire(self) -> u16 {
        match self {
            TlsVersion::Tls10 => 0x0301,
            TlsVersion::Tls11 => 0x0302,
            TlsVersion::Tls12 => 0x0303,
            TlsVersion::Tls13 => 0x0304,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TlsVersion::Tls10 => "TLS 1.0",
            TlsVersion::Tls11 => "TLS 1.1",
            TlsVersion::Tls12 => "TLS 1.2",
            TlsVersion::Tls13 => "TLS 1.3",
        }
    }

    /// TLS 1.0 and 1.1, deprecated by RFC 8996.
    pub fn is_deprecated(self) -> bool {
        matches!(self, TlsVersion::Tls10 | TlsVersion::Tls11)
    }
}

impl std::fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How the server answered one `ClientHello`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Handshake {
    /// A `ServerHello` for the version asked, with the suite the server chose.
    Accepted { cipher: CipherSuite },
    /// A fatal alert, another version than the one asked, or a closed connection.
    Refused { refusal: Refusal },
    /// No TLS answer at all: the connection failed or the peer spoke something else.
    Failed { error: NetError },
}

impl Handshake {
    pub fn accepted(&self) -> bool {
        matches!(self, Handshake::Accepted { .. })
    }

    /// One line for the operator: "accepted, ECDHE-RSA-… (0xC02F)", "refused: alert 70 …".
    pub fn describe(&self) -> String {
        match self {
            Handshake::Accepted { cipher } => format!("accepted, cipher {cipher}"),
            Handshake::Refused { refusal } => format!("refused: {refusal}"),
            Handshake::Failed { error } => format!("not probed: {error}"),
        }
    }
}

/// Why the server did not take the version asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Refusal {
    Alert {
        description: u8,
    },
    /// The server answered with a `ServerHello` for another version.
    OtherVersion {
        version: u16,
    },
    /// The server closed the connection without a word.
    Closed,
}

impl Refusal {
    pub fn alert(&self) -> Option<u8> {
        match self {
            Refusal::Alert { description } => Some(*description),
            _ => None,
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Alert { description } => {
                write!(f, "alert {description} ({})", alert_name(*description))
            }
            Refusal::OtherVersion { version } => {
                write!(f, "the server answered with version 0x{version:04X} instead")
            }
            Refusal::Closed => f.write_str("the server closed the connection without an answer"),
        }
    }
}

/// The names RFC 8446 §6 gives the alerts a refusing server sends.
pub fn alert_name(description: u8) -> &'static str {
    match description {
        0 => "close_notify",
        10 => "unexpected_message",
        40 => "handshake_failure",
        47 => "illegal_parameter",
        50 => "decode_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        109 => "missing_extension",
        112 => "unrecognized_name",
        _ => "other",
    }
}

/// The answer to one `ClientHello`, with the certificate chain when the
/// server sent it in the clear (TLS 1.2 and older).
#[derive(Debug, Clone)]
pub struct Answer {
    pub handshake: Handshake,
    /// DER certificates, leaf first.
    pub certificates: Vec<Vec<u8>>,
}

/// What to offer in one `ClientHello`.
#[derive(Debug, Clone)]
pub struct Offer {
    pub version: TlsVersion,
    pub ciphers: Vec<u16>,
}

impl Offer {
    /// What a client of that version would offer: the TLS 1.3 suites for
    /// 1.3, otherwise every suite we can name, Mozilla's intermediate first.
    pub fn for_version(version: TlsVersion) -> Offer {
        let ciphers = if version == TlsVersion::Tls13 {
            ciphers::TLS13_SUITES.to_vec()
        } else {
            ciphers::legacy_offer()
        };
        Offer { version, ciphers }
    }

    /// TLS 1.2 with only the suites outside Mozilla's intermediate list:
    /// accepted means the server takes a suite it should not.
    pub fn outside_intermediate() -> Offer {
        Offer { version: TlsVersion::Tls12, ciphers: ciphers::outside_intermediate() }
    }
}

/// Sends one `ClientHello` to `addr` (naming `host` in SNI unless it is an IP
/// address) and reads the answer, all within `timeout`.
pub async fn probe(addr: SocketAddr, host: &str, offer: &Offer, timeout: Duration) -> Answer {
    match tokio::time::timeout(timeout, exchange(addr, host, offer)).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(error)) => {
            Answer { handshake: Handshake::Failed { error }, certificates: Vec::new() }
        }
        Err(_) => Answer {
            handshake: Handshake::Failed {
                error: NetError::Timeout { seconds: timeout.as_secs_f64() },
            },
            certificates: Vec::new(),
        },
    }
}

async fn exchange(addr: SocketAddr, host: &str, offer: &Offer) -> Result<Answer, NetError> {
    let mut stream = TcpStream::connect(addr).await.map_err(|error| NetError::from_io(&error))?;
    let hello = client_hello(offer, host, &random_bytes());
    stream.write_all(&hello).await.map_err(|error| NetError::from_io(&error))?;

    let mut reader = RecordReader::default();
    let server_hello = match reader.next(&mut stream).await? {
        Incoming::Alert(description) => {
            return Ok(refused(Refusal::Alert { description }));
        }
        Incoming::Closed => return Ok(refused(Refusal::Closed)),
        Incoming::Handshake(2, body) => parse_server_hello(&body)?,
        Incoming::Handshake(kind, _) => {
            return Err(NetError::Protocol {
                detail: format!(
                    "the server's first handshake message was type {kind}, not a ServerHello"
                ),
            });
        }
    };

    if server_hello.version != offer.version.wire() {
        return Ok(refused(Refusal::OtherVersion { version: server_hello.version }));
    }
    let handshake = Handshake::Accepted { cipher: CipherSuite::from_code(server_hello.cipher) };
    let certificates = if offer.version == TlsVersion::Tls13 {
        Vec::new()
    } else {
        read_certificates(&mut reader, &mut stream).await
    };
    Ok(Answer { handshake, certificates })
}

fn refused(refusal: Refusal) -> Answer {
    Answer { handshake: Handshake::Refused { refusal }, certificates: Vec::new() }
}

/// After a TLS 1.2 `ServerHello` the Certificate message follows in the clear.
/// A failure here loses only the chain, never the verdict on the version.
async fn read_certificates(reader: &mut RecordReader, stream: &mut TcpStream) -> Vec<Vec<u8>> {
    for _ in 0..8 {
        match reader.next(stream).await {
            Ok(Incoming::Handshake(11, body)) => return parse_certificate_list(&body),
            Ok(Incoming::Handshake(14, _) | Incoming::Alert(_) | Incoming::Closed) | Err(_) => {
                return Vec::new();
            }
            Ok(Incoming::Handshake(..)) => {}
        }
    }
    Vec::new()
}

fn random_bytes() -> [u8; 96] {
    let mut bytes = [0u8; 96];
    if getrandom::fill(&mut bytes).is_err() {
        // The values only need to look like randomness to the server; a
        // fixed pattern still gets a ServerHello back.
        for (index, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::try_from(index % 251).unwrap_or(0);
        }
    }
    bytes
}

/// Builds the `ClientHello` record. `random` supplies the client random, the
/// session id and the x25519 key share (any 32 bytes will do to read a
/// `ServerHello`: the handshake is never finished).
pub fn client_hello(offer: &Offer, host: &str, random: &[u8; 96]) -> Vec<u8> {
    let is_tls13 = offer.version == TlsVersion::Tls13;
    let mut body = Vec::with_capacity(512);

    // legacy_version: TLS 1.3 is negotiated through supported_versions.
    let legacy = if is_tls13 { 0x0303 } else { offer.version.wire() };
    body.extend_from_slice(&legacy.to_be_bytes());
    body.extend_from_slice(&random[..32]);
    if is_tls13 {
        body.push(32);
        body.extend_from_slice(&random[32..64]);
    } else {
        body.push(0);
    }

    let mut suites: Vec<u8> = offer.ciphers.iter().flat_map(|c| c.to_be_bytes()).collect();
    suites.extend_from_slice(&[0x00, 0xFF]); // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
    push_u16_prefixed(&mut body, &suites);
    body.extend_from_slice(&[1, 0]); // compression: null only

    let mut extensions = Vec::new();
    if host.parse::<std::net::IpAddr>().is_err() && !host.is_empty() {
        let mut name = vec![0u8];
        push_u16_prefixed(&mut name, host.as_bytes());
        let mut list = Vec::new();
        push_u16_prefixed(&mut list, &name);
        push_extension(&mut extensions, 0, &list);
    }
    // supported_groups: x25519, secp256r1, secp384r1, secp521r1, ffdhe2048.
    let groups: Vec<u8> =
        [0x001Du16, 0x0017, 0x0018, 0x0019, 0x0100].iter().flat_map(|g| g.to_be_bytes()).collect();
    push_extension(&mut extensions, 10, &prefixed_u16(&groups));
    push_extension(&mut extensions, 11, &[1, 0]); // ec_point_formats: uncompressed
    let signatures: Vec<u8> =
        [0x0403u16, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201]
            .iter()
            .flat_map(|s| s.to_be_bytes())
            .collect();
    push_extension(&mut extensions, 13, &prefixed_u16(&signatures));
    if is_tls13 {
        push_extension(&mut extensions, 43, &[2, 0x03, 0x04]); // supported_versions
        push_extension(&mut extensions, 45, &[1, 1]); // psk_key_exchange_modes: psk_dhe_ke
        let mut share = Vec::new();
        share.extend_from_slice(&0x001Du16.to_be_bytes());
        push_u16_prefixed(&mut share, &random[64..96]);
        push_extension(&mut extensions, 51, &prefixed_u16(&share));
    }
    push_u16_prefixed(&mut body, &extensions);

    let mut handshake = vec![1u8];
    push_u24(&mut handshake, body.len());
    handshake.extend_from_slice(&body);

    let mut record = vec![22u8, 0x03, 0x01];
    push_u16_prefixed(&mut record, &handshake);
    record
}

fn push_extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    out.extend_from_slice(&kind.to_be_bytes());
    push_u16_prefixed(out, data);
}

fn prefixed_u16(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 2);
    push_u16_prefixed(&mut out, data);
    out
}

fn push_u16_prefixed(out: &mut Vec<u8>, data: &[u8]) {
    let len = u16::try_from(data.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(data);
}

fn push_u24(out: &mut Vec<u8>, len: usize) {
    let len = u32::try_from(len).unwrap_or(0x00FF_FFFF).min(0x00FF_FFFF);
    out.extend_from_slice(&len.to_be_bytes()[1..]);
}

/// One thing read from the server.
enum Incoming {
    Alert(u8),
    /// A whole handshake message: its type and body.
    Handshake(u8, Vec<u8>),
    Closed,
}

/// Reads records and reassembles handshake messages that span records.
#[derive(Default)]
struct RecordReader {
    handshake: Vec<u8>,
    bytes_read: usize,
}

const MAX_ANSWER_BYTES: usize = 256 * 1024;

impl RecordReader {
    async fn next(&mut self, stream: &mut TcpStream) -> Result<Incoming, NetError> {
        loop {
            if let Some(message) = self.take_message() {
                return Ok(message);
            }
            let mut header = [0u8; 5];
            match stream.read_exact(&mut header).await {
                Ok(_) => {}
                Err(error) if is_closed(&error) => return Ok(Incoming::Closed),
                Err(error) => return Err(NetError::from_io(&error)),
            }
            let kind = header[0];
            let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
            if !(20..=23).contains(&kind) || header[1] != 3 || len > 18 * 1024 {
                return Err(NetError::Protocol {
                    detail: format!(
                        "the server did not answer with TLS (first bytes: {})",
                        super::net::escape_bytes(&header)
                    ),
                });
            }
            self.bytes_read += 5 + len;
            if self.bytes_read > MAX_ANSWER_BYTES {
                return Err(NetError::Protocol {
                    detail: "the server's answer is larger than any handshake".to_owned(),
                });
            }
            let mut payload = vec![0u8; len];
            match stream.read_exact(&mut payload).await {
                Ok(_) => {}
                Err(error) if is_closed(&error) => return Ok(Incoming::Closed),
                Err(error) => return Err(NetError::from_io(&error)),
            }
            match kind {
                21 if payload.len() >= 2 => return Ok(Incoming::Alert(payload[1])),
                22 => self.handshake.extend_from_slice(&payload),
                _ => {
                    return Err(NetError::Protocol {
                        detail: format!(
                            "unexpected TLS record of type {kind} during the handshake"
                        ),
                    });
                }
            }
        }
    }

    fn take_message(&mut self) -> Option<Incoming> {
        if self.handshake.len() < 4 {
            return None;
        }
        let len = usize::from(self.handshake[1]) << 16
            | usize::from(self.handshake[2]) << 8
            | usize::from(self.handshake[3]);
        if self.handshake.len() < 4 + len {
            return None;
        }
        let kind = self.handshake[0];
        let body = self.handshake[4..4 + len].to_vec();
        self.handshake.drain(..4 + len);
        Some(Incoming::Handshake(kind, body))
    }
}

fn is_closed(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::BrokenPipe
    )
}

#[derive(Debug, PartialEq, Eq)]
struct ServerHello {
    /// The negotiated version: `supported_versions` when present, else `legacy_version`.
    version: u16,
    cipher: u16,
}

fn parse_server_hello(body: &[u8]) -> Result<ServerHello, NetError> {
    let malformed =
        || NetError::Protocol { detail: "the server sent a malformed ServerHello".to_owned() };
    let mut cursor = Cursor::new(body);
    let legacy = cursor.u16().ok_or_else(malformed)?;
    // The random tells a HelloRetryRequest apart; either way the server
    // speaks the version it names, which is all the probe asks.
    cursor.take(32).ok_or_else(malformed)?;
    let session_len = usize::from(cursor.u8().ok_or_else(malformed)?);
    cursor.take(session_len).ok_or_else(malformed)?;
    let cipher = cursor.u16().ok_or_else(malformed)?;
    cursor.u8().ok_or_else(malformed)?;

    let mut version = legacy;
    if let Some(ext_len) = cursor.u16() {
        let mut extensions = Cursor::new(cursor.take(usize::from(ext_len)).ok_or_else(malformed)?);
        while let (Some(kind), Some(len)) = (extensions.u16(), extensions.u16()) {
            let data = extensions.take(usize::from(len)).ok_or_else(malformed)?;
            if kind == 43 && data.len() == 2 {
                version = u16::from_be_bytes([data[0], data[1]]);
            }
        }
    }
    Ok(ServerHello { version, cipher })
}

fn parse_certificate_list(body: &[u8]) -> Vec<Vec<u8>> {
    let mut cursor = Cursor::new(body);
    let Some(total) = cursor.u24() else {
        return Vec::new();
    };
    let Some(list) = cursor.take(total) else {
        return Vec::new();
    };
    let mut list = Cursor::new(list);
    let mut certificates = Vec::new();
    while let Some(len) = list.u24() {
        match list.take(len) {
            Some(der) => certificates.push(der.to_vec()),
            None => break,
        }
    }
    certificates
}

/// A bounds-checked reader over a byte slice.
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Cursor { data }
    }

    pub(crate) fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        if self.data.len() < len {
            return None;
        }
        let (head, rest) = self.data.split_at(len);
        self.data = rest;
        Some(head)
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    fn u24(&mut self) -> Option<usize> {
        self.take(3).map(|b| usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls13_hello_carries_supported_versions_and_a_key_share() {
        let hello = client_hello(&Offer::for_version(TlsVersion::Tls13), "example.com", &[7; 96]);
        assert_eq!(&hello[..3], &[22, 3, 1]);
        assert_eq!(usize::from(u16::from_be_bytes([hello[3], hello[4]])), hello.len() - 5);
        assert_eq!(hello[5], 1, "a ClientHello");
        assert_eq!(&hello[9..11], &[3, 3], "legacy_version 1.2");
        let text = hello.windows(11).any(|w| w == b"example.com");
        assert!(text, "SNI names the host");
        assert!(hello.windows(7).any(|w| w == [0, 43, 0, 3, 2, 3, 4]));
        assert!(hello.windows(4).any(|w| w == [0, 51, 0, 38]));
    }

    #[test]
    fn legacy_hello_names_its_version_and_no_sni_for_an_address() {
        let hello = client_hello(&Offer::for_version(TlsVersion::Tls10), "127.0.0.1", &[0; 96]);
        assert_eq!(&hello[9..11], &[3, 1]);
        assert!(!hello.windows(9).any(|w| w == b"127.0.0.1"));
        assert!(
            !hello.windows(2).any(|w| w == [0, 43])
                || !hello.windows(5).any(|w| w == [0, 43, 0, 3, 2])
        );
    }

    #[test]
    fn server_hello_version_comes_from_supported_versions() {
        let mut body = vec![3, 3];
        body.extend_from_slice(&[9; 32]);
        body.push(0);
        body.extend_from_slice(&[0x13, 0x01, 0]);
        body.extend_from_slice(&[0, 6, 0, 43, 0, 2, 3, 4]);
        let hello = parse_server_hello(&body).expect("parses");
        assert_eq!(hello.version, 0x0304);
        assert_eq!(hello.cipher, 0x1301);
    }

    #[test]
    fn truncated_server_hello_is_an_error_not_a_panic() {
        for len in 0..40 {
            let body = vec![3u8; len];
            let _ = parse_server_hello(&body);
        }
        assert!(parse_server_hello(&[3, 3, 1]).is_err());
    }
}
