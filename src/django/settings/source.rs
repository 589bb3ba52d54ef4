//! One Python file of the project, read and parsed: the byte-order mark
//! dropped, CRLF kept (tree-sitter takes it), and the lines kept for evidence.

use std::path::Path;

use tree_sitter::{Node, Parser, Tree};

use super::SettingsError;
use crate::django::value::Location;
use crate::redact::{is_secret_name, printable, redact_line};
use crate::target::Target;

pub(crate) struct Source {
    /// The inside path, as evidence names it.
    pub inside: String,
    pub text: String,
    pub tree: Tree,
    lines: Vec<String>,
}

impl Source {
    /// Reads and parses `inside` of the target; a syntax error is an error
    /// naming the file and the first line at fault.
    pub fn load(target: &Target, inside: &str) -> Result<Source, SettingsError> {
        let host = target.host_path(inside);
        let bytes = std::fs::read(&host).map_err(|err| SettingsError {
            file: inside.to_owned(),
            line: None,
            message: format!("cannot read the file: {err}"),
        })?;
        let text = String::from_utf8(bytes).map_err(|_| SettingsError {
            file: inside.to_owned(),
            line: None,
            message: "the file is not UTF-8 text".to_owned(),
        })?;
        Source::parse(inside, text)
    }

    pub fn parse(inside: &str, text: String) -> Result<Source, SettingsError> {
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_owned(),
            None => text,
        };
        let mut parser = Parser::new();
        let language = tree_sitter_python::LANGUAGE.into();
        parser.set_language(&language).map_err(|err| SettingsError {
            file: inside.to_owned(),
            line: None,
            message: format!("the Python grammar does not load: {err}"),
        })?;
        let tree = parser.parse(&text, None).ok_or_else(|| SettingsError {
            file: inside.to_owned(),
            line: None,
            message: "the Python parser gave up on the file".to_owned(),
        })?;
        let root = tree.root_node();
        if root.has_error() {
            let line = first_error(root).map(|n| line_of(n));
            return Err(SettingsError {
                file: inside.to_owned(),
                line,
                message:
                    "this is not valid Python (a syntax error); Django could not import it either"
                        .to_owned(),
            });
        }
        let lines =
            text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l).to_owned()).collect();
        Ok(Source { inside: inside.to_owned(), text, tree, lines })
    }

    pub fn node_text(&self, node: Node<'_>) -> &str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    /// The evidence for the statement starting at `node`: its first line,
    /// redacted and printable.
    pub fn location(&self, node: Node<'_>) -> Location {
        let line = line_of(node);
        let raw = self.lines.get(line as usize - 1).map_or("", String::as_str);
        Location { file: self.inside.clone(), line, text: evidence_text(raw) }
    }

    /// Short, printable source text of a node for notes (`if DEBUG:`).
    /// String literals are masked when the text names a secret.
    pub fn snippet(&self, node: Node<'_>) -> String {
        let mut text = self.node_text(node).split_whitespace().collect::<Vec<_>>().join(" ");
        let names_secret =
            text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(is_secret_name);
        if names_secret {
            text = mask_strings(&text);
        }
        let short: String = text.chars().take(80).collect();
        let short = if short.len() < text.len() { format!("{short}…") } else { short };
        printable(&short)
    }

    pub fn file_name(&self) -> &str {
        Path::new(&self.inside).file_name().and_then(|n| n.to_str()).unwrap_or(&self.inside)
    }
}

/// `"abc"` becomes `"…"`.
fn mask_strings(text: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match quote {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                quote = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
            }
        }
    }
    out
}

/// `NAME=value` becomes `NAME= «redacted»`; a line without `=` is hidden whole.
pub(crate) fn hide_value(text: &str) -> String {
    match text.find('=') {
        Some(eq) => format!("{} «redacted»", &text[..=eq]),
        None => "«redacted»".to_owned(),
    }
}

pub(crate) fn line_of(node: Node<'_>) -> u32 {
    u32::try_from(node.start_position().row + 1).unwrap_or(u32::MAX)
}

/// The first error or missing node in document order (iterative: a deeply
/// nested file must not exhaust the stack).
fn first_error(root: Node<'_>) -> Option<Node<'_>> {
    let mut node = root;
    'descend: loop {
        if node.is_error() || node.is_missing() {
            return Some(node);
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if child.has_error() || child.is_missing() {
                node = child;
                continue 'descend;
            }
        }
        return Some(node);
    }
}

/// Redacts `NAME = literal` lines of secret names, and secret keys of dict
/// literals (`"PASSWORD": "..."`) that sit on the line.
pub(crate) fn evidence_text(raw: &str) -> String {
    let redacted = redact_line(raw);
    if redacted != raw {
        return printable(&redacted);
    }
    let mut search = 0;
    while let Some(found) = raw[search..].find(['"', '\'']) {
        let start = search + found;
        let quote = &raw[start..=start];
        let Some(len) = raw[start + 1..].find(quote) else {
            break;
        };
        let key = &raw[start + 1..start + 1 + len];
        let after = raw[start + len + 2..].trim_start();
        if after.starts_with(':') && is_secret_name(key) {
            let colon = raw.len() - after.len();
            return printable(&format!("{}: «redacted»", &raw[..colon]));
        }
        search = start + len + 2;
    }
    printable(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dict_secrets_are_redacted() {
        assert_eq!(evidence_text(r#"    "PASSWORD": "hunter2","#), r#"    "PASSWORD": «redacted»"#);
        assert_eq!(evidence_text("DEBUG = True"), "DEBUG = True");
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = Source::parse("/srv/app/s.py", "A = 1\nB = (\nC = 3\n".to_owned()).err();
        assert!(err.is_some_and(|e| e.line.is_some()));
    }
}
