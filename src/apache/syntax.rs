//! Apache's lexical rules, as `server/util.c` applies them: physical lines
//! joined by a trailing backslash, comments only at the start of a line,
//! words split on blanks with `"` or `'` quoting, and `${NAME}` expansion.
//! Nothing here reads files or knows what a directive means.

use std::collections::HashMap;

/// One logical line of a configuration file, blanks trimmed, with the
/// physical lines it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogicalLine {
    pub text: String,
    pub first_line: u32,
    pub last_line: u32,
}

/// Splits a file into logical lines. A line that ends in one backslash goes
/// on with the next one (two backslashes do not continue it); comment lines
/// are dropped after joining, so a comment ending in `\` swallows the next
/// line, as it does in Apache.
pub fn logical_lines(content: &str) -> Vec<LogicalLine> {
    let mut out = Vec::new();
    let mut pending = String::new();
    let mut first = 0u32;
    let mut continuing = false;

    for (index, raw) in content.split('\n').enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let continues = raw.ends_with('\\') && !raw.ends_with("\\\\");
        if !continuing && !continues {
            // A line on its own, the usual case: no copy to join.
            push_line(&mut out, raw, number, number);
            continue;
        }
        if !continuing {
            first = number;
            pending.clear();
        }
        if continues {
            pending.push_str(&raw[..raw.len() - 1]);
            continuing = true;
            continue;
        }
        pending.push_str(raw);
        continuing = false;
        push_line(&mut out, &pending, first, number);
    }
    if continuing {
        let last = u32::try_from(content.split('\n').count()).unwrap_or(u32::MAX);
        push_line(&mut out, &pending, first, last);
    }
    out
}

fn push_line(out: &mut Vec<LogicalLine>, text: &str, first_line: u32, last_line: u32) {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return;
    }
    out.push(LogicalLine { text: trimmed.to_owned(), first_line, last_line });
}

/// Splits arguments the way `ap_getword_conf` does: a word that starts with
/// a quote runs to the matching quote (a backslash escapes that quote or a
/// backslash); any other word runs to the next blank. A `#` is an ordinary
/// word: Apache has no trailing comments.
pub fn words(line: &str) -> Vec<String> {
    raw_words(line).into_iter().map(|(word, _)| word).collect()
}

/// True when a word after the first starts with an unquoted `#`: a comment
/// written after a directive, which Apache passes on as arguments.
pub fn has_trailing_comment(line: &str) -> bool {
    raw_words(line).iter().skip(1).any(|(word, quoted)| !quoted && word.starts_with('#'))
}

/// Words with whether each was quoted. Every byte that splits or quotes is
/// ASCII, so the text is cut at those bytes only and copied by runs.
fn raw_words(line: &str) -> Vec<(String, bool)> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && is_blank(bytes[i]) {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let quote = bytes[i];
        let quoted = quote == b'"' || quote == b'\'';
        let mut word = String::new();
        if quoted {
            i += 1;
            let mut run = i;
            while i < bytes.len() && bytes[i] != quote {
                if bytes[i] == b'\\'
                    && i + 1 < bytes.len()
                    && (bytes[i + 1] == quote || bytes[i + 1] == b'\\')
                {
                    // Drop the backslash; the byte it escapes starts the next run.
                    word.push_str(&line[run..i]);
                    i += 1;
                    run = i;
                }
                i += 1;
            }
            word.push_str(&line[run..i]);
            // Skip the closing quote; Apache then goes on with the rest of
            // the line as the next word, even without a blank in between.
            i += 1;
        } else {
            let mut run = i;
            while i < bytes.len() && !is_blank(bytes[i]) {
                if bytes[i] == b'\\' && i + 1 < bytes.len() && bytes[i + 1] == b'\\' {
                    word.push_str(&line[run..i]);
                    i += 1;
                    run = i;
                }
                i += 1;
            }
            word.push_str(&line[run..i]);
        }
        out.push((word, quoted));
    }
    out
}

/// The blanks of C's `isspace` in Apache's locale.
fn is_blank(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// Replaces `${NAME}` with its value where `vars` knows it; an unknown name
/// stays as written (Apache warns with AH00111 and keeps it too).
/// A line without `${` comes back as it is, uncopied.
pub fn expand<'l, S: std::hash::BuildHasher>(
    line: &'l str,
    vars: &HashMap<String, String, S>,
) -> std::borrow::Cow<'l, str> {
    if !line.contains("${") {
        return line.into();
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        if let Some(end) = after.find('}') {
            {
                let name = &after[..end];
                if let Some(value) = vars.get(name) {
                    out.push_str(value);
                } else {
                    out.push_str("${");
                    out.push_str(name);
                    out.push('}');
                }
                rest = &after[end + 1..];
            }
        } else {
            out.push_str(&rest[start..]);
            rest = "";
        }
    }
    out.push_str(rest);
    out.into()
}

/// The variables Debian's `envvars` exports for the instance whose
/// configuration lives in `apache_root`: `export NAME=value` lines, with
/// `$NAME`/`${NAME}` references and the `-NAME` suffix of `/etc/apache2-NAME`.
pub fn envvars(content: &str, apache_root: &str) -> HashMap<String, String> {
    let mut vars = HashMap::new();
    let suffix = apache_root
        .trim_end_matches('/')
        .strip_prefix("/etc/apache2-")
        .map(|name| format!("-{name}"))
        .unwrap_or_default();
    vars.insert("SUFFIX".to_owned(), suffix);
    vars.insert("APACHE_CONFDIR".to_owned(), apache_root.to_owned());

    for line in content.lines() {
        let line = line.trim();
        let Some(assignment) = line.strip_prefix("export ") else {
            continue;
        };
        let Some((name, value)) = assignment.trim().split_once('=') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let value = shell_value(value.trim(), &vars);
        vars.insert(name.to_owned(), value);
    }
    vars.remove("SUFFIX");
    vars
}

/// A shell word as `sh` would read it in an assignment: quotes removed,
/// `$NAME` and `${NAME}` substituted (unknown names are empty).
fn shell_value(raw: &str, vars: &HashMap<String, String>) -> String {
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        match (c, quote) {
            ('\'' | '"', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            ('$', q) if q != Some('\'') => {
                let (name, next) = variable_name(&chars, i + 1);
                if name.is_empty() {
                    out.push('$');
                } else {
                    out.push_str(vars.get(&name).map_or("", String::as_str));
                }
                i = next;
                continue;
            }
            (c, None) if c.is_whitespace() || c == ';' || c == '#' => break,
            (c, _) => out.push(c),
        }
        i += 1;
    }
    out
}

fn variable_name(chars: &[char], start: usize) -> (String, usize) {
    if chars.get(start) == Some(&'{') {
        let mut end = start + 1;
        while end < chars.len() && chars[end] != '}' {
            end += 1;
        }
        let name: String = chars[start + 1..end.min(chars.len())].iter().collect();
        return (name, (end + 1).min(chars.len()));
    }
    let mut end = start;
    while end < chars.len() && (chars[end].is_ascii_alphanumeric() || chars[end] == '_') {
        end += 1;
    }
    (chars[start..end].iter().collect(), end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backslash_at_the_end_joins_the_next_line() {
        let lines = logical_lines("Options \\\n  Indexes\nServerName a\n");
        assert_eq!(lines[0].text, "Options   Indexes");
        assert_eq!((lines[0].first_line, lines[0].last_line), (1, 2));
        assert_eq!(lines[1].first_line, 3);
    }

    #[test]
    fn a_comment_ending_in_a_backslash_swallows_the_next_line() {
        let lines = logical_lines("# note \\\nServerTokens Full\nServerTokens Prod\n");
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].text, "ServerTokens Prod");
    }

    #[test]
    fn words_keep_text_that_is_not_ascii_and_unescape_backslashes() {
        assert_eq!(
            words("Header set X \"é \\\"ü\\\" ß\" a\\\\b"),
            ["Header", "set", "X", "é \"ü\" ß", "a\\b"]
        );
        assert_eq!(words("  \"unclosed é"), ["unclosed é"]);
        assert_eq!(words("\u{a0}x y"), ["\u{a0}x", "y"]);
        assert_eq!(words("a\\"), ["a\\"]);
    }

    #[test]
    fn quotes_group_words_and_hash_is_an_ordinary_word() {
        assert_eq!(words(r#"Header set X "a b" # c"#), ["Header", "set", "X", "a b", "#", "c"]);
        assert_eq!(words(r#"X "say \"hi\"" 'it''s'"#), ["X", "say \"hi\"", "it", "s"]);
    }

    #[test]
    fn only_an_unquoted_hash_word_is_a_trailing_comment() {
        assert!(has_trailing_comment("ServerTokens Prod # note"));
        assert!(has_trailing_comment("ServerTokens Prod #note"));
        assert!(!has_trailing_comment(r##"Header set X-Color "#fff""##));
        assert!(!has_trailing_comment("RewriteRule ^a#b$ /x"));
    }

    #[test]
    fn variables_expand_and_unknown_ones_stay() {
        let vars = HashMap::from([("A".to_owned(), "/var/log".to_owned())]);
        assert_eq!(expand("${A}/x ${B}", &vars), "/var/log/x ${B}");
    }

    #[test]
    fn envvars_follow_debians_instance_suffix() {
        let text =
            "export APACHE_LOG_DIR=/var/log/apache2$SUFFIX\nexport APACHE_RUN_USER=www-data\n";
        let vars = envvars(text, "/etc/apache2-site");
        assert_eq!(vars["APACHE_LOG_DIR"], "/var/log/apache2-site");
        assert_eq!(envvars(text, "/etc/apache2")["APACHE_LOG_DIR"], "/var/log/apache2");
    }
}
