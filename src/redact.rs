//! Keeps secrets and terminal control sequences away from the operator's
//! screen, the log, the state file and every report. Everything text-shaped
//! that comes from a target passes through here before it is shown.

/// Settings and variables whose values are secrets and are never shown.
const SECRET_NAMES: &[&str] = &[
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "PASSWORD",
    "PASSWD",
    "TOKEN",
    "API_KEY",
    "PRIVATE_KEY",
];

/// True when a setting or environment variable name holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_NAMES.iter().any(|secret| upper.contains(secret))
}

/// Replaces control characters (escape sequences, bidi overrides, NULs) with
/// visible escapes and cuts very long text, so that text from files, headers
/// and commands renders as harmless, visible characters on one line: a line
/// break or a tab becomes a space.
pub fn printable(text: &str) -> String {
    const MAX_CHARS: usize = 400;
    let mut out = String::with_capacity(text.len().min(MAX_CHARS + 8));
    let text = text.trim_end_matches(['\r', '\n']);
    let mut chars = text.chars().peekable();
    let mut count = 0;
    while let Some(ch) = chars.next() {
        if count >= MAX_CHARS {
            out.push('…');
            break;
        }
        count += 1;
        match ch {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\t' | '\n' => out.push(' '),
            c if c.is_control() || is_bidi_control(c) => {
                out.push_str(&c.escape_unicode().to_string());
            }
            c => out.push(c),
        }
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// What every piece of evidence passes through: URL passwords hidden,
/// control characters made visible, long text cut.
pub fn clean(text: &str) -> String {
    printable(&hide_url_passwords(text))
}

/// Describes a secret without revealing it: "literal of 37 characters".
pub fn describe_secret(value: &str) -> String {
    format!("{} characters, value hidden", value.chars().count())
}

/// Hides the password of every `scheme://user:password@host` in `text`.
pub fn hide_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(scheme_end) = rest.find("://") {
        let (head, tail) = rest.split_at(scheme_end + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#') || c.is_whitespace() || c == '"' || c == '\''
            })
            .unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => {
                out.push_str(&authority[..colon]);
                out.push_str(":«redacted»");
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    out
}

/// Redacts the value of an assignment whatever its name: for lines that
/// feed a secret (`_K = "..."` then `SECRET_KEY = _K`).
pub fn redact_value(line: &str) -> String {
    match line.find('=') {
        Some(eq) if carries_literal(&line[eq + 1..]) => format!("{}= «redacted»", &line[..eq]),
        _ => hide_url_passwords(line),
    }
}

/// Redacts the value part of `NAME = value` or `NAME=value` lines that set a
/// secret, leaving the name and the shape of the line visible; hides the
/// password of any URL in any line.
pub fn redact_line(line: &str) -> String {
    let line = &hide_url_passwords(line);
    let Some(eq) = line.find('=') else {
        return line.to_owned();
    };
    let name = line[..eq].trim().trim_start_matches("export ").trim();
    let name = name.trim_end_matches(':').trim();
    let bare = name.rsplit(['.', ' ', '[']).next().unwrap_or(name);
    if !is_secret_name(bare) || !carries_literal(&line[eq + 1..]) {
        return line.to_owned();
    }
    format!("{}= «redacted»", &line[..eq])
}

/// `SECRET_KEY = os.environ["X"]` is fine to show; a literal, or a call with a
/// literal fallback (`os.environ.get("X", "literal")`), is not. The first
/// quoted string right after the `(` of a call or the `[` of a subscript is
/// the variable's name and is allowed; a list literal `["..."]` is a value.
fn carries_literal(rhs: &str) -> bool {
    let mut rest = rhs.trim();
    let opens_call = |open: usize| {
        rest[..open]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ')' || c == ']')
    };
    if let Some(open) = rest.find(['(', '[']).filter(|open| opens_call(*open)) {
        let after = rest[open + 1..].trim_start();
        let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'');
        if let Some(end) = quote.and_then(|quote| after[1..].find(quote)) {
            rest = &after[end + 2..];
        }
    }
    rest.contains('"') || rest.contains('\'') || !rhs.contains(['(', '['])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible_text() {
        let shown = printable("ok\u{1b}[31mred\u{202e}txt");
        assert_eq!(shown, "ok\\u{1b}[31mred\\u{202e}txt");
    }

    #[test]
    fn line_breaks_become_spaces() {
        assert_eq!(printable("one\ntwo\r\nthree\tfour\n"), "one two three four");
        assert_eq!(printable("a\rb"), "a\\u{d}b");
    }

    #[test]
    fn long_text_is_cut() {
        let shown = printable(&"x".repeat(1000));
        assert_eq!(shown.chars().count(), 401);
    }

    #[test]
    fn secret_assignment_is_redacted() {
        assert_eq!(redact_line("SECRET_KEY = 'abc'"), "SECRET_KEY = «redacted»");
        assert_eq!(redact_line("DEBUG = True"), "DEBUG = True");
        assert_eq!(redact_line("SECRET_KEY=abc"), "SECRET_KEY= «redacted»");
        let from_env = "SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]";
        assert_eq!(redact_line(from_env), from_env);
        let fallback = "SECRET_KEY = os.environ.get(\"K\", \"literal\")";
        assert_eq!(redact_line(fallback), "SECRET_KEY = «redacted»");
        let fallbacks = "SECRET_KEY_FALLBACKS = [\"old-key-value\"]";
        assert_eq!(redact_line(fallbacks), "SECRET_KEY_FALLBACKS = «redacted»");
    }

    #[test]
    fn url_passwords_are_hidden_in_any_line() {
        let line =
            "CACHES = {\"default\": {\"LOCATION\": \"redis://:cachepass@127.0.0.1:6379/1\"}}";
        assert!(!redact_line(line).contains("cachepass"), "{}", redact_line(line));
        assert_eq!(
            hide_url_passwords("postgres://app:pw@db/x and http://h/"),
            "postgres://app:«redacted»@db/x and http://h/"
        );
    }
}
