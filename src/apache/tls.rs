//! `mod_ssl`'s `SSLProtocol` arithmetic and a judgement of `SSLCipherSuite`
//! against Mozilla's intermediate profile (guideline 6.0). Expanding a cipher
//! string needs the `openssl` command; without it only plain lists are judged.

use std::collections::BTreeSet;
use std::process::Command;

/// `mod_ssl`'s default when no `SSLProtocol` is set anywhere.
pub const DEFAULT_PROTOCOL: &str = "all -SSLv3";

/// Mozilla intermediate's TLS 1.2 suites (guideline 6.0).
pub const MOZILLA_INTERMEDIATE: [&str; 6] = [
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
];

const ALL: [&str; 5] = ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

/// The protocols an `SSLProtocol` line allows, as `mod_ssl` computes them:
/// a bare word replaces the set, `+`/`-` add or remove, `all` is every
/// protocol. An unknown word is an error Apache refuses to start with.
pub fn protocols(args: &[String]) -> Result<BTreeSet<&'static str>, String> {
    let mut set: BTreeSet<&'static str> = BTreeSet::new();
    for word in args {
        let (action, name) = match word.chars().next() {
            Some(sign @ ('+' | '-')) => (Some(sign), &word[1..]),
            _ => (None, word.as_str()),
        };
        let these: Vec<&'static str> = if name.eq_ignore_ascii_case("all") {
            ALL.to_vec()
        } else if name.eq_ignore_ascii_case("SSLv2") && action == Some('-') {
            // Accepted with a warning: SSLv2 no longer exists.
            continue;
        } else if let Some(known) = ALL.iter().find(|known| known.eq_ignore_ascii_case(name)) {
            vec![*known]
        } else {
            return Err(format!("Illegal protocol '{word}'"));
        };
        match action {
            Some('-') => these.iter().for_each(|protocol| {
                set.remove(protocol);
            }),
            Some(_) => set.extend(these),
            None => set = these.into_iter().collect(),
        }
    }
    Ok(set)
}

/// Protocols below TLS 1.2 in a set.
pub fn legacy(set: &BTreeSet<&'static str>) -> Vec<&'static str> {
    set.iter().copied().filter(|protocol| !matches!(*protocol, "TLSv1.2" | "TLSv1.3")).collect()
}

/// One cipher suite as `openssl ciphers -v` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cipher {
    pub name: String,
    pub protocol: String,
    pub kx: String,
    pub au: String,
    pub enc: String,
    pub mac: String,
}

impl Cipher {
    /// Why this suite is weak, or None: no AEAD (CBC), no forward secrecy
    /// (RSA key exchange), 3DES, RC4, NULL, EXPORT or anonymous.
    pub fn weakness(&self) -> Option<&'static str> {
        let enc = self.enc.to_ascii_uppercase();
        let name = self.name.to_ascii_uppercase();
        if enc.starts_with("NONE") || name.contains("NULL") {
            Some("no encryption (NULL)")
        } else if name.contains("EXP") {
            Some("export grade")
        } else if self.au.eq_ignore_ascii_case("None")
            || name.contains("ADH")
            || name.contains("AECDH")
        {
            Some("anonymous (no authentication)")
        } else if enc.contains("RC4") {
            Some("RC4")
        } else if enc.contains("3DES") || enc.starts_with("DES") {
            Some("3DES/DES")
        } else if self.protocol != "TLSv1.3" && !matches!(self.kx.as_str(), "ECDH" | "DH" | "any") {
            Some("no forward secrecy (static key exchange)")
        } else if !self.mac.eq_ignore_ascii_case("AEAD") {
            Some("CBC mode (not AEAD)")
        } else {
            None
        }
    }

    pub fn in_mozilla_intermediate(&self) -> bool {
        self.protocol == "TLSv1.3" || MOZILLA_INTERMEDIATE.contains(&self.name.as_str())
    }
}

/// Parses `openssl ciphers -v` output.
pub fn parse_openssl_ciphers(output: &str) -> Vec<Cipher> {
    output
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let name = fields.next()?.to_owned();
            let protocol = fields.next()?.to_owned();
            let mut cipher = Cipher {
                name,
                protocol,
                kx: String::new(),
                au: String::new(),
                enc: String::new(),
                mac: String::new(),
            };
            for field in fields {
                if let Some((key, value)) = field.split_once('=') {
                    let value = value.to_owned();
                    match key {
                        "Kx" => cipher.kx = value,
                        "Au" => cipher.au = value,
                        "Enc" => cipher.enc = value,
                        "Mac" => cipher.mac = value,
                        _ => {}
                    }
                }
            }
            Some(cipher)
        })
        .collect()
}

/// Expands a cipher string with this machine's `openssl ciphers -v`.
/// Err(None) when openssl is missing, Err(Some(message)) when it rejects
/// the string.
pub fn expand_with_openssl(spec: &str) -> Result<Vec<Cipher>, Option<String>> {
    let output =
        Command::new("openssl").args(["ciphers", "-v", spec]).output().map_err(|_| None)?;
    if !output.status.success() {
        let message = String::from_utf8_lossy(&output.stderr);
        let first = message.lines().next().unwrap_or("openssl rejected the cipher string");
        return Err(Some(crate::redact::printable(first)));
    }
    Ok(parse_openssl_ciphers(&String::from_utf8_lossy(&output.stdout)))
}

/// Judges a cipher string without openssl: a plain list of suite names is
/// judged by name; anything with keywords (`HIGH`, `!aNULL`) cannot be.
/// Some(list of weak names) when decidable.
pub fn judge_plain_list(spec: &str) -> Option<Vec<String>> {
    let names: Vec<&str> = spec.split([':', ',', ' ']).filter(|name| !name.is_empty()).collect();
    let mut weak = Vec::new();
    for name in names {
        if MOZILLA_INTERMEDIATE.contains(&name) {
            continue;
        }
        let upper = name.to_ascii_uppercase();
        let plainly_weak = ["RC4", "3DES", "DES-CBC", "NULL", "EXP", "MD5", "ADH", "AECDH"]
            .iter()
            .any(|bad| upper.contains(bad))
            || (upper.contains('-') && !upper.contains("GCM") && !upper.contains("CHACHA20"))
            || (upper.contains('-') && !upper.starts_with("ECDHE-") && !upper.starts_with("DHE-"));
        if plainly_weak && !upper.starts_with('!') && !upper.starts_with('-') {
            weak.push(name.to_owned());
        } else if !plainly_weak {
            // A keyword or a name we cannot place: only openssl can say.
            return None;
        }
    }
    Some(weak)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn debian_12_default_allows_tls_1_0_and_1_1() {
        let set = protocols(&words("all -SSLv3")).expect("valid");
        assert_eq!(legacy(&set), ["TLSv1", "TLSv1.1"]);
    }

    #[test]
    fn mozilla_intermediate_allows_only_1_2_and_1_3() {
        let set = protocols(&words("-all +TLSv1.2 +TLSv1.3")).expect("valid");
        assert!(legacy(&set).is_empty());
        assert_eq!(set.len(), 2);
        let debian13 = protocols(&words("all -SSLv2 -SSLv3 -TLSv1 -TLSv1.1")).expect("valid");
        assert!(legacy(&debian13).is_empty());
    }

    #[test]
    fn a_bare_word_replaces_the_set_and_a_hash_is_illegal() {
        assert_eq!(protocols(&words("TLSv1.2")).expect("valid").len(), 1);
        assert!(protocols(&words("TLSv1.2 # comment")).is_err());
    }

    #[test]
    fn cbc_and_rsa_key_exchange_are_weak() {
        let ciphers = parse_openssl_ciphers(
            "ECDHE-RSA-AES256-SHA384  TLSv1.2 Kx=ECDH Au=RSA Enc=AES(256) Mac=SHA384\n\
             AES128-GCM-SHA256 TLSv1.2 Kx=RSA Au=RSA Enc=AESGCM(128) Mac=AEAD\n\
             ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 Kx=ECDH Au=RSA Enc=AESGCM(128) Mac=AEAD\n",
        );
        assert_eq!(ciphers[0].weakness(), Some("CBC mode (not AEAD)"));
        assert_eq!(ciphers[1].weakness(), Some("no forward secrecy (static key exchange)"));
        assert_eq!(ciphers[2].weakness(), None);
    }
}
