//! Parsers for the security headers a live probe reads: HSTS (RFC 6797),
//! Content-Security-Policy, Set-Cookie attributes. Names are compared
//! case-insensitively and quoted values accepted, as browsers do.

use serde::Serialize;

/// `Strict-Transport-Security`, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Hsts {
    pub max_age: Option<u64>,
    pub include_subdomains: bool,
    pub preload: bool,
    /// Why a browser would ignore the header (RFC 6797 §6.1: a directive
    /// given twice, or no valid max-age), in the operator's words.
    pub problems: Vec<String>,
}

/// The HSTS max-age the checklist and the preload list ask for: one year.
pub const HSTS_ONE_YEAR: u64 = 31_536_000;

impl Hsts {
    pub fn parse(value: &str) -> Hsts {
        let mut hsts = Hsts::default();
        let mut seen: Vec<String> = Vec::new();
        for directive in value.split(';') {
            let directive = directive.trim();
            if directive.is_empty() {
                continue;
            }
            let (name, argument) = match directive.split_once('=') {
                Some((name, argument)) => (name.trim(), Some(unquote(argument.trim()))),
                None => (directive, None),
            };
            let name = name.to_ascii_lowercase();
            if seen.contains(&name) {
                hsts.problems.push(format!(
                    "the {name} directive appears twice, so browsers ignore the header"
                ));
            }
            seen.push(name.clone());
            match (name.as_str(), argument) {
                ("max-age", Some(argument)) => match argument.parse::<u64>() {
                    Ok(seconds) => hsts.max_age = Some(seconds),
                    Err(_) => {
                        hsts.problems
                            .push(format!("max-age={argument} is not a number of seconds"));
                    }
                },
                ("max-age", None) => hsts.problems.push("max-age has no value".to_owned()),
                ("includesubdomains", _) => hsts.include_subdomains = true,
                ("preload", _) => hsts.preload = true,
                _ => {}
            }
        }
        if hsts.max_age.is_none() && !hsts.problems.iter().any(|p| p.contains("max-age")) {
            hsts.problems.push("there is no max-age, which the header requires".to_owned());
        }
        hsts
    }

    pub fn is_valid(&self) -> bool {
        self.problems.is_empty() && self.max_age.is_some()
    }

    /// The reasons the HSTS preload list would refuse this header.
    pub fn preload_gaps(&self) -> Vec<String> {
        let mut gaps = Vec::new();
        if self.max_age.unwrap_or(0) < HSTS_ONE_YEAR {
            gaps.push(format!("max-age is below {HSTS_ONE_YEAR} (one year)"));
        }
        if !self.include_subdomains {
            gaps.push("includeSubDomains is missing".to_owned());
        }
        if !self.preload {
            gaps.push("preload is missing".to_owned());
        }
        gaps
    }
}

fn unquote(text: &str) -> &str {
    text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text)
}

/// A Content-Security-Policy: directive names (lowercase) and their sources.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Csp {
    pub directives: Vec<(String, Vec<String>)>,
}

impl Csp {
    pub fn parse(value: &str) -> Csp {
        let mut directives: Vec<(String, Vec<String>)> = Vec::new();
        for part in value.split(';') {
            let mut tokens = part.split_ascii_whitespace();
            let Some(name) = tokens.next() else { continue };
            let name = name.to_ascii_lowercase();
            // The CSP spec ignores a directive given a second time.
            if directives.iter().any(|(seen, _)| *seen == name) {
                continue;
            }
            directives.push((name, tokens.map(str::to_owned).collect()));
        }
        Csp { directives }
    }

    pub fn get(&self, name: &str) -> Option<&[String]> {
        self.directives
            .iter()
            .find(|(seen, _)| seen.eq_ignore_ascii_case(name))
            .map(|(_, sources)| sources.as_slice())
    }

    pub fn names(&self) -> Vec<&str> {
        self.directives.iter().map(|(name, _)| name.as_str()).collect()
    }
}

/// One `Set-Cookie` header, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetCookie {
    pub name: String,
    pub secure: bool,
    pub http_only: bool,
    pub same_site: Option<String>,
}

impl SetCookie {
    /// `None` when the header has no `name=` pair at all.
    pub fn parse(value: &str) -> Option<SetCookie> {
        let mut parts = value.split(';');
        let (name, _value) = parts.next()?.split_once('=')?;
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        let mut cookie =
            SetCookie { name: name.to_owned(), secure: false, http_only: false, same_site: None };
        for attribute in parts {
            let (key, argument) = match attribute.split_once('=') {
                Some((key, argument)) => (key.trim(), Some(argument.trim())),
                None => (attribute.trim(), None),
            };
            if key.eq_ignore_ascii_case("secure") {
                cookie.secure = true;
            } else if key.eq_ignore_ascii_case("httponly") {
                cookie.http_only = true;
            } else if key.eq_ignore_ascii_case("samesite") {
                cookie.same_site = argument.map(str::to_owned);
            }
        }
        Some(cookie)
    }
}

/// The signature Apache writes at the foot of its own error pages
/// (`<address>Apache/2.4.71 (Debian) Server at host Port 443</address>`).
pub fn error_page_signature(body: &str) -> Option<String> {
    let start = body.find("<address>")?;
    let rest = &body[start + "<address>".len()..];
    let end = rest.find("</address>").unwrap_or(rest.len().min(200));
    Some(rest[..end].trim().to_owned())
}

/// True when a `Server` value says more than the product name.
pub fn banner_reveals_more(server: &str) -> bool {
    server.contains('/') || server.contains('(') || server.trim().contains(' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsts_directive_names_are_case_insensitive_and_values_may_be_quoted() {
        let hsts = Hsts::parse("Max-Age=\"63072000\"; includesubdomains; PRELOAD");
        assert_eq!(hsts.max_age, Some(63_072_000));
        assert!(hsts.include_subdomains && hsts.preload && hsts.is_valid());
        assert!(hsts.preload_gaps().is_empty());
    }

    #[test]
    fn hsts_with_a_directive_twice_is_invalid() {
        let hsts = Hsts::parse("max-age=31536000; max-age=0");
        assert!(!hsts.is_valid());
        assert!(hsts.problems[0].contains("twice"));
    }

    #[test]
    fn hsts_without_max_age_is_invalid() {
        let hsts = Hsts::parse("includeSubDomains");
        assert!(!hsts.is_valid());
        assert_eq!(Hsts::parse("max-age=abc").max_age, None);
    }

    #[test]
    fn preload_with_a_short_max_age_lists_the_gaps() {
        let gaps = Hsts::parse("max-age=86400; preload").preload_gaps();
        assert_eq!(gaps.len(), 2);
    }

    #[test]
    fn csp_directives_parse_and_the_first_of_a_repeat_wins() {
        let csp =
            Csp::parse("Default-Src 'self'; script-src 'self' cdn.example.com; default-src *;");
        assert_eq!(csp.names(), vec!["default-src", "script-src"]);
        assert_eq!(csp.get("default-src"), Some(&["'self'".to_owned()][..]));
    }

    #[test]
    fn cookie_attributes_are_read_case_insensitively() {
        let cookie = SetCookie::parse("csrftoken=abc; expires=Thu, 01 Jan 2099 00:00:00 GMT; Max-Age=31449600; Path=/; SameSite=Lax; secure")
            .expect("parses");
        assert_eq!(cookie.name, "csrftoken");
        assert!(cookie.secure && !cookie.http_only);
        assert_eq!(cookie.same_site.as_deref(), Some("Lax"));
        assert!(SetCookie::parse("garbage").is_none());
    }

    #[test]
    fn apache_signature_and_banner_are_recognised() {
        let body =
            "<hr>\n<address>Apache/2.4.71 (Debian) Server at localhost Port 8443</address>\n";
        assert_eq!(
            error_page_signature(body).as_deref(),
            Some("Apache/2.4.71 (Debian) Server at localhost Port 8443")
        );
        assert!(banner_reveals_more("Apache/2.4.71 (Debian)"));
        assert!(!banner_reveals_more("Apache"));
    }
}
