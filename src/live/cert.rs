//! The few facts the live stage reads from a certificate: its subject's
//! common name and when it expires. A minimal DER walk, bounds-checked at
//! every step: a certificate it cannot read gives no facts, never a panic.

use serde::Serialize;

/// What was read from the server's leaf certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateFacts {
    pub subject_cn: Option<String>,
    pub not_after: Option<jiff::Timestamp>,
    /// How many certificates the server sent (leaf included).
    pub chain_len: usize,
}

impl CertificateFacts {
    /// Facts from a chain, leaf first.
    pub fn from_chain(chain: &[Vec<u8>]) -> Option<CertificateFacts> {
        let leaf = chain.first()?;
        let tbs = tbs_fields(leaf)?;
        Some(CertificateFacts {
            subject_cn: tbs.subject.and_then(common_name),
            not_after: tbs.not_after.as_ref().and_then(parse_time),
            chain_len: chain.len(),
        })
    }

    /// Whole days until expiry (negative once expired).
    pub fn days_left(&self, now: jiff::Timestamp) -> Option<i64> {
        let not_after = self.not_after?;
        Some((not_after.as_second() - now.as_second()).div_euclid(86_400))
    }
}

/// One DER element: its tag and content.
struct Element<'a> {
    tag: u8,
    content: &'a [u8],
}

/// Splits the first element off `data`.
fn element(data: &[u8]) -> Option<(Element<'_>, &[u8])> {
    let (&tag, rest) = data.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7F);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count].iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[count..])
    };
    if rest.len() < len {
        return None;
    }
    let (content, rest) = rest.split_at(len);
    Some((Element { tag, content }, rest))
}

struct TbsFields<'a> {
    not_after: Option<Element<'a>>,
    subject: Option<&'a [u8]>,
}

/// Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
/// serialNumber, signature, issuer, validity, subject, ... }, ... }
fn tbs_fields(der: &[u8]) -> Option<TbsFields<'_>> {
    let (certificate, _) = element(der)?;
    let (tbs, _) = element(certificate.content)?;
    let mut rest = tbs.content;
    let (first, after) = element(rest)?;
    if first.tag == 0xA0 {
        rest = after;
    }
    let (_serial, rest) = element(rest)?;
    let (_signature, rest) = element(rest)?;
    let (_issuer, rest) = element(rest)?;
    let (validity, rest) = element(rest)?;
    let (_not_before, after_before) = element(validity.content)?;
    let not_after = element(after_before).map(|(time, _)| time);
    let subject = element(rest).map(|(subject, _)| subject.content);
    Some(TbsFields { not_after, subject })
}

/// `UTCTime` (YYMMDDHHMMSSZ) or `GeneralizedTime` (YYYYMMDDHHMMSSZ).
fn parse_time(time: &Element<'_>) -> Option<jiff::Timestamp> {
    let text = std::str::from_utf8(time.content).ok()?;
    let digits = text.strip_suffix('Z')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, rest) = match (time.tag, digits.len()) {
        (0x17, 12) => {
            let short: i32 = digits[..2].parse().ok()?;
            (if short < 50 { 2000 + short } else { 1900 + short }, &digits[2..])
        }
        (0x18, 14) => (digits[..4].parse().ok()?, &digits[4..]),
        _ => return None,
    };
    let stamp = format!(
        "{year:04}-{}-{}T{}:{}:{}Z",
        &rest[0..2],
        &rest[2..4],
        &rest[4..6],
        &rest[6..8],
        &rest[8..10]
    );
    stamp.parse().ok()
}

/// The value of the first commonName (OID 2.5.4.3) in a Name.
fn common_name(name: &[u8]) -> Option<String> {
    const CN_OID: [u8; 5] = [0x06, 0x03, 0x55, 0x04, 0x03];
    let at = name.windows(CN_OID.len()).position(|w| w == CN_OID)?;
    let (value, _) = element(&name[at + CN_OID.len()..])?;
    Some(super::net::escape_bytes(value.content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_time_forms_parse() {
        let utc = Element { tag: 0x17, content: b"261231235959Z" };
        assert_eq!(
            parse_time(&utc).map(|t| t.to_string()),
            Some("2026-12-31T23:59:59Z".to_owned())
        );
        let generalized = Element { tag: 0x18, content: b"20510101000000Z" };
        assert_eq!(
            parse_time(&generalized).map(|t| t.to_string()),
            Some("2051-01-01T00:00:00Z".to_owned())
        );
    }

    #[test]
    fn garbage_gives_no_facts() {
        assert!(CertificateFacts::from_chain(&[vec![0x30, 0x82, 0xFF]]).is_none());
        assert!(CertificateFacts::from_chain(&[]).is_none());
        for len in 0..64 {
            let _ = CertificateFacts::from_chain(&[vec![0x30; len]]);
        }
    }
}
