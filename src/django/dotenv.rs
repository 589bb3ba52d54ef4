//! Reads `.env` files the way each library that loads them does: python-dotenv
//! (1.2), django-environ (0.14) and python-decouple (3.8) disagree on quotes,
//! comments, `export` and spaces around `=`. Values are kept exactly; the
//! evidence text of each line is redacted when its name is a secret.

use crate::redact::{printable, redact_line};

/// Which library's reading rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// python-dotenv's `load_dotenv` / `dotenv_values` (and `--env-file`).
    PythonDotenv,
    /// django-environ's `Env.read_env`.
    DjangoEnviron,
    /// python-decouple's `RepositoryEnv`.
    Decouple,
    /// python-decouple's `RepositoryIni` (`settings.ini`, section `[settings]`).
    DecoupleIni,
}

/// One variable a file sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    /// `None` for python-dotenv's bare `NAME` line (a key without a value).
    pub value: Option<String>,
    /// 1-based line where the variable's line starts.
    pub line: u32,
    /// That line, redacted and made printable, for evidence.
    pub text: String,
}

/// Parses `text` with the rules of `dialect`. A byte-order mark is ignored.
/// python-dotenv's `${VAR}` interpolation is not applied here: see
/// [`interpolate`].
pub fn parse(text: &str, dialect: Dialect) -> Vec<Entry> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match dialect {
        Dialect::PythonDotenv => parse_python_dotenv(text),
        Dialect::DjangoEnviron => parse_django_environ(text),
        Dialect::Decouple => parse_decouple(text),
        Dialect::DecoupleIni => parse_decouple_ini(text),
    }
}

fn evidence(text: &str, line: u32) -> String {
    let raw = text.lines().nth(line.saturating_sub(1) as usize).unwrap_or("");
    printable(&redact_line(raw.trim_end_matches('\r')))
}

/// python-dotenv's `${NAME}` and `${NAME:-default}` expansion, applied to
/// every value (quoted or not) as 1.2 does. With `override=False` a variable
/// of the environment wins over one set earlier in the same file.
pub fn interpolate(value: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            break;
        };
        let inner = &after[..end];
        let (name, default) = match inner.find(":-") {
            Some(split) => (&inner[..split], Some(&inner[split + 2..])),
            None => (inner, None),
        };
        if name.contains(':') {
            // Not a well-formed reference: python-dotenv's pattern rejects it.
            out.push_str(&rest[..start + 2]);
            rest = after;
            continue;
        }
        out.push_str(&rest[..start]);
        let resolved = lookup(name).unwrap_or_else(|| default.unwrap_or("").to_owned());
        out.push_str(&resolved);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

// python-dotenv: a small reader mirroring its regular expressions.
struct Reader<'a> {
    chars: Vec<char>,
    pos: usize,
    line: u32,
    text: &'a str,
}

impl Reader<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' || (c == '\r' && self.peek() != Some('\n')) {
            self.line += 1;
        }
        Some(c)
    }

    fn skip_horizontal_space(&mut self) {
        while self.peek().is_some_and(|c| c.is_whitespace() && c != '\n' && c != '\r') {
            self.bump();
        }
    }

    fn skip_rest_of_line(&mut self) {
        while let Some(c) = self.bump() {
            if c == '\n' {
                break;
            }
            if c == '\r' {
                if self.peek() == Some('\n') {
                    self.bump();
                }
                break;
            }
        }
    }

    fn at_line_end(&self) -> bool {
        matches!(self.peek(), None | Some('\n' | '\r'))
    }

    fn starts_with(&self, word: &str) -> bool {
        word.chars().enumerate().all(|(i, c)| self.chars.get(self.pos + i) == Some(&c))
    }

    /// Reads a quoted value whose quote is at the cursor; `None` when it is
    /// never closed.
    fn quoted(&mut self, quote: char) -> Option<String> {
        self.bump();
        let mut raw = String::new();
        loop {
            let c = self.bump()?;
            if c == '\\' && self.peek() == Some(quote) {
                raw.push(c);
                raw.push(self.bump()?);
                continue;
            }
            if c == quote {
                break;
            }
            raw.push(c);
        }
        Some(decode_escapes(&raw, quote))
    }
}

/// python-dotenv decodes `\\` and `\'` in single quotes, and the usual
/// C escapes in double quotes.
fn decode_escapes(raw: &str, quote: char) -> String {
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let next = chars.peek().copied();
        let decoded = match (quote, next) {
            (_, Some('\\')) => Some('\\'),
            (_, Some('\'')) => Some('\''),
            ('"', Some('"')) => Some('"'),
            ('"', Some('a')) => Some('\u{7}'),
            ('"', Some('b')) => Some('\u{8}'),
            ('"', Some('f')) => Some('\u{c}'),
            ('"', Some('n')) => Some('\n'),
            ('"', Some('r')) => Some('\r'),
            ('"', Some('t')) => Some('\t'),
            ('"', Some('v')) => Some('\u{b}'),
            _ => None,
        };
        match decoded {
            Some(d) => {
                out.push(d);
                chars.next();
            }
            None => out.push('\\'),
        }
    }
    out
}

fn parse_python_dotenv(text: &str) -> Vec<Entry> {
    let mut reader = Reader { chars: text.chars().collect(), pos: 0, line: 1, text };
    let mut entries = Vec::new();
    loop {
        while reader.peek().is_some_and(char::is_whitespace) {
            reader.bump();
        }
        if reader.peek().is_none() {
            break;
        }
        let line = reader.line;
        if let Some(entry) = dotenv_binding(&mut reader, line) {
            entries.push(entry);
        }
    }
    entries
}

/// One `[export] KEY[=VALUE] [# comment]` binding; `None` for a comment or
/// a line python-dotenv rejects (it skips those with a warning).
fn dotenv_binding(reader: &mut Reader<'_>, line: u32) -> Option<Entry> {
    if reader.starts_with("export") {
        let save = (reader.pos, reader.line);
        for _ in 0.."export".len() {
            reader.bump();
        }
        if reader.peek().is_some_and(|c| c.is_whitespace() && c != '\n' && c != '\r') {
            reader.skip_horizontal_space();
        } else {
            (reader.pos, reader.line) = save;
        }
    }
    let key = match reader.peek() {
        Some('#') => {
            reader.skip_rest_of_line();
            return None;
        }
        Some('\'') => {
            reader.bump();
            let mut key = String::new();
            while let Some(c) = reader.peek() {
                if c == '\'' {
                    break;
                }
                key.push(c);
                reader.bump();
            }
            if reader.peek() != Some('\'') || key.is_empty() {
                reader.skip_rest_of_line();
                return None;
            }
            reader.bump();
            key
        }
        _ => {
            let mut key = String::new();
            while let Some(c) = reader.peek() {
                if c == '=' || c == '#' || c.is_whitespace() {
                    break;
                }
                key.push(c);
                reader.bump();
            }
            if key.is_empty() {
                reader.skip_rest_of_line();
                return None;
            }
            key
        }
    };
    reader.skip_horizontal_space();
    let value = if reader.peek() == Some('=') {
        reader.bump();
        reader.skip_horizontal_space();
        match reader.peek() {
            Some(q @ ('\'' | '"')) => {
                let Some(v) = reader.quoted(q) else {
                    reader.skip_rest_of_line();
                    return None;
                };
                Some(v)
            }
            None | Some('\n' | '\r') => Some(String::new()),
            Some(_) => {
                let mut part = String::new();
                while !reader.at_line_end() {
                    part.extend(reader.bump());
                }
                Some(strip_dotenv_comment(&part))
            }
        }
    } else {
        None
    };
    // What may follow: spaces, a comment, the end of the line.
    reader.skip_horizontal_space();
    if reader.peek() == Some('#') {
        while !reader.at_line_end() {
            reader.bump();
        }
    }
    if !reader.at_line_end() {
        reader.skip_rest_of_line();
        return None;
    }
    reader.skip_rest_of_line();
    Some(Entry { name: key, value, line, text: evidence(reader.text, line) })
}

/// `re.sub(r"\s+#.*", "", part).rstrip()`: whitespace then `#` starts a comment.
fn strip_dotenv_comment(part: &str) -> String {
    let chars: Vec<char> = part.chars().collect();
    let mut cut = chars.len();
    for i in 1..chars.len() {
        if chars[i] == '#' && chars[i - 1].is_whitespace() {
            let mut start = i - 1;
            while start > 0 && chars[start - 1].is_whitespace() {
                start -= 1;
            }
            cut = start;
            break;
        }
    }
    chars[..cut].iter().collect::<String>().trim_end().to_owned()
}

fn parse_django_environ(text: &str) -> Vec<Entry> {
    let mut entries = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let body = line.strip_prefix("export ").unwrap_or(line);
        let Some(eq) = body.find('=') else {
            continue;
        };
        let key = &body[..eq];
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let mut value = body[eq + 1..].to_owned();
        if value.len() >= 2 && value.starts_with('\'') && value.ends_with('\'') {
            value.truncate(value.len() - 1);
            value.remove(0);
        }
        if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
            value = unescape_environ(&value[1..value.len() - 1]);
        }
        entries.push(Entry {
            name: key.to_owned(),
            value: Some(value),
            line: line_no,
            text: evidence(text, line_no),
        });
    }
    entries
}

/// django-environ keeps `\n`, `\r`, `\t` as written and drops the backslash of
/// any other escaped character.
fn unescape_environ(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(e @ ('r' | 'n' | 't')) => {
                out.push('\\');
                out.push(e);
            }
            Some(e) => out.push(e),
            None => out.push('\\'),
        }
    }
    out
}

fn parse_decouple(text: &str) -> Vec<Entry> {
    let mut entries = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let mut value = value.trim();
        let bytes = value.as_bytes();
        if bytes.len() >= 2
            && (bytes[0] == b'\'' || bytes[0] == b'"')
            && bytes[bytes.len() - 1] == bytes[0]
        {
            value = &value[1..value.len() - 1];
        }
        entries.push(Entry {
            name: key.trim().to_owned(),
            value: Some(value.to_owned()),
            line: line_no,
            text: evidence(text, line_no),
        });
    }
    entries
}

/// The `[settings]` section of a `settings.ini`, as `ConfigParser` reads it:
/// names lowercased, `%%` and `%(name)s` interpolated.
fn parse_decouple_ini(text: &str) -> Vec<Entry> {
    let mut raw_entries: Vec<Entry> = Vec::new();
    let mut section = String::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            trimmed[1..trimmed.len() - 1].clone_into(&mut section);
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // A continuation line extends the previous value.
            if let Some(last) = raw_entries.last_mut().filter(|_| section == "settings")
                && let Some(value) = &mut last.value
            {
                value.push('\n');
                value.push_str(trimmed);
            }
            continue;
        }
        if section != "settings" {
            continue;
        }
        let Some(split) = trimmed.find(['=', ':']) else {
            continue;
        };
        raw_entries.push(Entry {
            name: trimmed[..split].trim().to_lowercase(),
            value: Some(trimmed[split + 1..].trim().to_owned()),
            line: line_no,
            text: evidence(text, line_no),
        });
    }
    let lookup: Vec<(String, String)> =
        raw_entries.iter().map(|e| (e.name.clone(), e.value.clone().unwrap_or_default())).collect();
    for entry in &mut raw_entries {
        if let Some(value) = &entry.value {
            entry.value = Some(ini_interpolate(value, &lookup, 0));
        }
    }
    raw_entries
}

fn ini_interpolate(value: &str, options: &[(String, String)], depth: u32) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(pos) = rest.find('%') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('%') {
            out.push('%');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('(') {
            let Some(close) = inner.find(")s") else {
                out.push('%');
                rest = after;
                continue;
            };
            let name = inner[..close].to_lowercase();
            let found =
                options.iter().rev().find(|(n, _)| *n == name).map_or("", |(_, v)| v.as_str());
            if depth < 10 {
                out.push_str(&ini_interpolate(found, options, depth + 1));
            }
            rest = &inner[close + 2..];
        } else {
            out.push('%');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str, dialect: Dialect) -> Vec<(String, Option<String>)> {
        parse(text, dialect).into_iter().map(|e| (e.name, e.value)).collect()
    }

    fn pair(name: &str, value: &str) -> (String, Option<String>) {
        (name.to_owned(), Some(value.to_owned()))
    }

    #[test]
    fn python_dotenv_handles_quotes_comments_and_export() {
        let text = "# comment\nexport A=1\nB = 'two words' # note\nC=\"x\\ny\"\nD=plain # comment\nE=a#b\n\nF=\n";
        assert_eq!(
            values(text, Dialect::PythonDotenv),
            vec![
                pair("A", "1"),
                pair("B", "two words"),
                pair("C", "x\ny"),
                pair("D", "plain"),
                pair("E", "a#b"),
                pair("F", "")
            ]
        );
    }

    #[test]
    fn python_dotenv_counts_lines_with_crlf_and_multiline_values() {
        let entries = parse("\u{feff}A=1\r\nB='x\r\ny'\r\nC=3\r\n", Dialect::PythonDotenv);
        let lines: Vec<u32> = entries.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 2, 4]);
        assert_eq!(entries[1].value.as_deref(), Some("x\r\ny"));
    }

    #[test]
    fn python_dotenv_interpolates_braced_references_only() {
        let lookup = |name: &str| (name == "HOST").then(|| "example.com".to_owned());
        assert_eq!(interpolate("https://${HOST}/$PATH", &lookup), "https://example.com/$PATH");
        assert_eq!(interpolate("${MISSING:-fallback}", &lookup), "fallback");
    }

    #[test]
    fn django_environ_needs_no_spaces_and_keeps_hashes() {
        let text = "A=1\nB = 2\nC=abc#def\nD='quoted'\nexport E=\"q\\\"x\"\n";
        assert_eq!(
            values(text, Dialect::DjangoEnviron),
            vec![pair("A", "1"), pair("C", "abc#def"), pair("D", "quoted"), pair("E", "q\"x")]
        );
    }

    #[test]
    fn decouple_strips_one_pair_of_quotes() {
        let text = "A = 1\nB=\"'x'\"\n# c\nC=a # b\n";
        assert_eq!(
            values(text, Dialect::Decouple),
            vec![pair("A", "1"), pair("B", "'x'"), pair("C", "a # b")]
        );
    }

    #[test]
    fn decouple_ini_reads_the_settings_section() {
        let text = "[other]\nX=1\n[settings]\nDEBUG = False\nPCT = 50%%\nURL = %(debug)s/x\n";
        assert_eq!(
            values(text, Dialect::DecoupleIni),
            vec![pair("debug", "False"), pair("pct", "50%"), pair("url", "False/x")]
        );
    }

    #[test]
    fn secret_lines_are_redacted_in_evidence() {
        let entries = parse("SECRET_KEY=abcdef\n", Dialect::PythonDotenv);
        assert!(!entries[0].text.contains("abcdef"));
        assert_eq!(entries[0].value.as_deref(), Some("abcdef"));
    }
}
