//! What went wrong on the network, in the operator's words. Every failure a
//! probe meets becomes one of these, never a panic, and its text is safe to
//! print: bytes from the peer are shown escaped.

use std::fmt::Write as _;

use serde::Serialize;

/// Why a request or a handshake got no usable answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum NetError {
    /// Nothing listens on that port (the connection was refused).
    Refused,
    /// The name does not resolve, or no route leads to the address.
    Unreachable {
        detail: String,
    },
    /// No answer within the time allowed.
    Timeout {
        seconds: f64,
    },
    /// The certificate does not validate; the reason comes from the TLS library.
    Certificate {
        reason: String,
    },
    /// The peer answered with something that is not valid HTTP or TLS
    /// (a header with control characters, a stray protocol).
    Protocol {
        detail: String,
    },
    Other {
        detail: String,
    },
}

impl std::fmt::Display for NetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NetError::Refused => f.write_str("connection refused: nothing listens on that port"),
            NetError::Unreachable { detail } => write!(f, "host unreachable: {detail}"),
            NetError::Timeout { seconds } => write!(f, "no answer within {seconds:.1} s (timeout)"),
            NetError::Certificate { reason } => {
                write!(f, "the certificate does not validate: {reason}")
            }
            NetError::Protocol { detail } => write!(f, "malformed answer: {detail}"),
            NetError::Other { detail } => f.write_str(detail),
        }
    }
}

impl NetError {
    /// `host` has no address from this machine, with the way out.
    pub fn unresolved(host: &str, cause: &str) -> NetError {
        let host = crate::redact::printable(host);
        NetError::Unreachable {
            detail: format!(
                "{host} does not resolve from here ({}); --resolve {host}:PORT:ADDRESS sends the probes to the server's address, as curl does",
                crate::redact::printable(cause)
            ),
        }
    }

    pub fn from_io(error: &std::io::Error) -> NetError {
        use std::io::ErrorKind;
        match error.kind() {
            ErrorKind::ConnectionRefused => NetError::Refused,
            ErrorKind::TimedOut => NetError::Timeout { seconds: 0.0 },
            ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::AddrNotAvailable => {
                NetError::Unreachable { detail: crate::redact::printable(&error.to_string()) }
            }
            _ => NetError::Other { detail: crate::redact::printable(&error.to_string()) },
        }
    }

    /// Sorts a reqwest error by walking its chain of causes: the io error or
    /// the TLS library's complaint sits a few levels down.
    pub fn from_reqwest(error: &reqwest::Error, timeout: std::time::Duration) -> NetError {
        if error.is_timeout() {
            return NetError::Timeout { seconds: timeout.as_secs_f64() };
        }
        let mut messages = Vec::new();
        let mut io_kind = None;
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(current) = source {
            if let Some(io) = current.downcast_ref::<std::io::Error>() {
                io_kind.get_or_insert(io.kind());
            }
            let text = current.to_string();
            if !messages.iter().any(|seen: &String| seen.contains(&text)) {
                messages.push(text);
            }
            source = current.source();
        }
        let whole = crate::redact::printable(&messages.join(": "));
        let lower = whole.to_ascii_lowercase();
        // The innermost cause says what happened; the outer layers repeat
        // the URL, which the evidence already names.
        let cause = messages.last().map_or_else(String::new, |m| crate::redact::printable(m));

        if lower.contains("certificate") || lower.contains("unknownissuer") {
            let reason = messages
                .iter()
                .rev()
                .find(|m| m.to_ascii_lowercase().contains("certificate"))
                .map_or(cause.clone(), |m| crate::redact::printable(m));
            return NetError::Certificate { reason: explain_certificate(&reason) };
        }
        match io_kind {
            Some(std::io::ErrorKind::ConnectionRefused) => return NetError::Refused,
            Some(std::io::ErrorKind::TimedOut) => {
                return NetError::Timeout { seconds: timeout.as_secs_f64() };
            }
            _ => {}
        }
        if lower.contains("connection refused") {
            NetError::Refused
        } else if lower.contains("dns error")
            || lower.contains("failed to lookup")
            || lower.contains("name or service not known")
        {
            let host = error.url().and_then(|u| u.host_str()).unwrap_or("the host");
            NetError::unresolved(host, &cause)
        } else if lower.contains("unreachable") {
            NetError::Unreachable { detail: cause }
        } else if lower.contains("corrupt message") || lower.contains("invalidcontenttype") {
            NetError::Protocol { detail: format!("the port does not speak TLS ({cause})") }
        } else if lower.contains("invalid header")
            || lower.contains("invalid http")
            || lower.contains("parse")
            || lower.contains("invalid response")
        {
            NetError::Protocol {
                detail: format!("the server sent an invalid HTTP response ({cause})"),
            }
        } else if error.is_connect() {
            NetError::Unreachable { detail: cause }
        } else {
            NetError::Other { detail: whole }
        }
    }
}

/// Adds plain words to the TLS library's name for a certificate problem.
fn explain_certificate(reason: &str) -> String {
    const PLAIN: [(&str, &str); 7] = [
        ("UnknownIssuer", "issued by an authority this machine does not trust (self-signed?)"),
        ("CaUsedAsEndEntity", "a CA certificate serves as the site's own, as self-signed ones do"),
        ("Expired", "expired"),
        ("NotValidYet", "not valid yet"),
        ("NotValidForName", "not valid for this host name"),
        ("Revoked", "revoked"),
        ("BadSignature", "its signature does not verify"),
    ];
    PLAIN
        .iter()
        .find(|(name, _)| reason.contains(name))
        .map_or_else(|| reason.to_owned(), |(_, words)| format!("{words}; {reason}"))
}

/// Shows bytes from the peer as text: printable ASCII as is, everything else
/// as `\xNN`, so nothing raw reaches a terminal.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        if (0x20..0x7F).contains(&byte) && byte != b'\\' {
            out.push(char::from(byte));
        } else if byte == b'\\' {
            out.push_str("\\\\");
        } else {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_bytes_are_escaped() {
        assert_eq!(escape_bytes(b"Apache\xff\x1b[31m"), "Apache\\xff\\x1b[31m");
        assert_eq!(escape_bytes(b"a\\b"), "a\\\\b");
    }
}
