//! Edits of Python settings files that keep the file's own style: the value
//! of an assignment replaced in place, an entry inserted into a list or tuple
//! literal with the file's quoting, indentation and trailing commas, or a
//! statement added to portcullis's one marked block at the end of a module.
//! Every function returns the new text; none of them writes.

use tree_sitter::{Node, Parser, Tree};

/// First line of the block that holds every setting portcullis adds.
pub const BLOCK_START: &str =
    "# >>> portcullis: hardening settings added by portcullis (undo: `portcullis rollback`)";
/// Last line of that block.
pub const BLOCK_END: &str = "# <<< portcullis";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EditError(pub String);

/// Where an entry goes in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    First,
    Last,
}

/// A parsed file: the text without a byte-order mark, and where it starts.
struct Parsed<'a> {
    body: &'a str,
    offset: usize,
    tree: Tree,
}

fn parse(source: &str) -> Result<Parsed<'_>, EditError> {
    let (body, offset) = match source.strip_prefix('\u{feff}') {
        Some(body) => (body, '\u{feff}'.len_utf8()),
        None => (source, 0),
    };
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .map_err(|err| EditError(format!("cannot load the Python grammar: {err}")))?;
    let tree =
        parser.parse(body, None).ok_or_else(|| EditError("the file could not be parsed".into()))?;
    if tree.root_node().has_error() {
        return Err(EditError("the file is not valid Python; fix it by hand first".into()));
    }
    Ok(Parsed { body, offset, tree })
}

/// The assignment (or augmented assignment) of `name` that starts on `line`.
fn find_assignment<'t>(parsed: &'t Parsed<'_>, name: &str, line: u32) -> Option<Node<'t>> {
    let mut stack = vec![parsed.tree.root_node()];
    while let Some(node) = stack.pop() {
        if matches!(node.kind(), "assignment" | "augmented_assignment")
            && node.start_position().row + 1 == line as usize
            && node
                .child_by_field_name("left")
                .and_then(|left| left.utf8_text(parsed.body.as_bytes()).ok())
                .is_some_and(|left| left == name)
        {
            return Some(node);
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    None
}

fn splice(source: &str, at: std::ops::Range<usize>, text: &str) -> String {
    let mut out = String::with_capacity(source.len() + text.len());
    out.push_str(&source[..at.start]);
    out.push_str(text);
    out.push_str(&source[at.end..]);
    out
}

/// Replaces the value assigned to `name` on `line` with `value` (Python
/// source), leaving everything else as it was.
pub fn replace_value(
    source: &str,
    name: &str,
    line: u32,
    value: &str,
) -> Result<String, EditError> {
    let parsed = parse(source)?;
    let assignment = find_assignment(&parsed, name, line)
        .ok_or_else(|| EditError(format!("no assignment of {name} on line {line}")))?;
    let right = assignment
        .child_by_field_name("right")
        .ok_or_else(|| EditError(format!("{name} on line {line} has no value to replace")))?;
    let range = right.byte_range();
    Ok(splice(source, range.start + parsed.offset..range.end + parsed.offset, value))
}

/// The environment variable the value assigned to `name` on `line` is read
/// from: `os.environ["X"]`, `os.environ.get("X", ...)`, `os.getenv("X")`,
/// `env("X")`, `env.bool("X")`, `config("X", ...)`.
pub fn env_variable(source: &str, name: &str, line: u32) -> Option<String> {
    let parsed = parse(source).ok()?;
    let right = find_assignment(&parsed, name, line)?.child_by_field_name("right")?;
    let bytes = parsed.body.as_bytes();
    let mut stack = vec![right];
    while let Some(node) = stack.pop() {
        let first_string = match node.kind() {
            "call" => {
                let function = node.child_by_field_name("function")?.utf8_text(bytes).ok()?;
                let reads_env =
                    ["os.environ.get", "os.getenv", "environ.get", "getenv", "env", "config"]
                        .contains(&function)
                        || function.starts_with("env.");
                let arguments = node.child_by_field_name("arguments");
                if reads_env { arguments.and_then(|args| args.named_child(0)) } else { None }
            }
            "subscript" => {
                let value = node.child_by_field_name("value")?.utf8_text(bytes).ok()?;
                if value == "os.environ" { node.child_by_field_name("subscript") } else { None }
            }
            _ => None,
        };
        if let Some(literal) = first_string.filter(|n| n.kind() == "string") {
            return Some(string_content(literal, bytes));
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    None
}

fn string_content(node: Node<'_>, bytes: &[u8]) -> String {
    let mut cursor = node.walk();
    let content: String = node
        .named_children(&mut cursor)
        .filter(|c| c.kind() == "string_content")
        .filter_map(|c| c.utf8_text(bytes).ok())
        .collect();
    content
}

/// Inserts `entry` (a string) into the list or tuple literal assigned to
/// `name` on `line`, first or last, in the file's own style. An entry that
/// is already there at another place is moved.
pub fn insert_entry(
    source: &str,
    name: &str,
    line: u32,
    entry: &str,
    place: Place,
) -> Result<String, EditError> {
    let parsed = parse(source)?;
    let assignment = find_assignment(&parsed, name, line)
        .ok_or_else(|| EditError(format!("no assignment of {name} on line {line}")))?;
    let literal = assignment
        .child_by_field_name("right")
        .filter(|right| matches!(right.kind(), "list" | "tuple"))
        .ok_or_else(|| {
            EditError(format!("{name} on line {line} is not a list or tuple literal"))
        })?;
    let bytes = parsed.body.as_bytes();
    let mut cursor = literal.walk();
    let elements: Vec<Node<'_>> =
        literal.named_children(&mut cursor).filter(|n| n.kind() != "comment").collect();
    let existing =
        elements.iter().position(|e| e.kind() == "string" && string_content(*e, bytes) == entry);
    if let Some(index) = existing {
        let in_place = match place {
            Place::First => index == 0,
            Place::Last => index + 1 == elements.len(),
        };
        if in_place {
            return Ok(source.to_owned());
        }
        let without = remove_element(source, &parsed, literal, &elements, index);
        let line_now = line;
        return insert_entry(&without, name, line_now, entry, place);
    }

    let quote = elements
        .iter()
        .find(|e| e.kind() == "string")
        .and_then(|e| e.utf8_text(bytes).ok())
        .and_then(|text| text.chars().find(|c| *c == '"' || *c == '\''))
        .unwrap_or('"');
    let item = format!("{quote}{entry}{quote}");
    let offset = parsed.offset;
    let multiline = literal.start_position().row != literal.end_position().row;
    let open_end = literal.start_byte() + 1;

    let Some(last) = elements.last() else {
        // An empty literal: `[]` becomes `["x"]`, `()` becomes `("x",)`.
        let text = if literal.kind() == "tuple" { format!("{item},") } else { item };
        return Ok(splice(source, open_end + offset..open_end + offset, &text));
    };
    let trailing_comma = next_token_is_comma(*last, bytes);
    if multiline {
        let indent = indentation_of(parsed.body, elements[0].start_byte());
        let newline = if source.contains("\r\n") { "\r\n" } else { "\n" };
        match place {
            Place::First => {
                let at = elements[0].start_byte() + offset;
                Ok(splice(source, at..at, &format!("{item},{newline}{indent}")))
            }
            Place::Last => {
                let (at, text) = match trailing_comma {
                    Some(comma_end) => (comma_end, format!("{newline}{indent}{item},")),
                    None => (last.end_byte(), format!(",{newline}{indent}{item}")),
                };
                Ok(splice(source, at + offset..at + offset, &text))
            }
        }
    } else {
        match place {
            Place::First => {
                let at = elements[0].start_byte() + offset;
                Ok(splice(source, at..at, &format!("{item}, ")))
            }
            Place::Last => {
                let (at, text) = match trailing_comma {
                    Some(comma_end) => (comma_end, format!(" {item},")),
                    None => (last.end_byte(), format!(", {item}")),
                };
                Ok(splice(source, at + offset..at + offset, &text))
            }
        }
    }
}

/// Where the comma right after `node` ends, if there is one.
fn next_token_is_comma(node: Node<'_>, bytes: &[u8]) -> Option<usize> {
    let next = node.next_sibling()?;
    (next.utf8_text(bytes).ok()? == ",").then(|| next.end_byte())
}

fn indentation_of(body: &str, at: usize) -> String {
    let line_start = body[..at].rfind('\n').map_or(0, |i| i + 1);
    body[line_start..at].chars().take_while(|c| c.is_whitespace()).collect()
}

/// Removes element `index` of a literal with its comma (and its whole line
/// when it stands alone on one).
fn remove_element(
    source: &str,
    parsed: &Parsed<'_>,
    literal: Node<'_>,
    elements: &[Node<'_>],
    index: usize,
) -> String {
    let bytes = parsed.body.as_bytes();
    let element = elements[index];
    let mut start = element.start_byte();
    let mut end = next_token_is_comma(element, bytes).unwrap_or(element.end_byte());
    let multiline = literal.start_position().row != literal.end_position().row;
    if multiline {
        // Take the whole line, indentation and newline included.
        start = parsed.body[..start].rfind('\n').map_or(0, |i| i + 1);
        if let Some(newline) = parsed.body[end..].find('\n') {
            end += newline + 1;
        }
    } else if next_token_is_comma(element, bytes).is_none() && index > 0 {
        // The last element of a one-line literal: drop the comma before it.
        start = elements[index - 1].end_byte();
    } else {
        while parsed.body[end..].starts_with(' ') {
            end += 1;
        }
    }
    splice(source, start + parsed.offset..end + parsed.offset, "")
}

/// Adds `statement` (one line, `NAME = value`) to portcullis's block at the
/// end of the module, creating the block once; a statement for a name the
/// block already sets replaces it.
pub fn add_to_block(source: &str, statement: &str) -> String {
    let newline = if source.contains("\r\n") { "\r\n" } else { "\n" };
    let name = statement.split('=').next().unwrap_or("").trim();
    let mut lines: Vec<&str> = source.lines().collect();
    let start = lines.iter().position(|l| l.trim_end() == BLOCK_START);
    let end = start
        .and_then(|s| lines[s..].iter().position(|l| l.trim_end() == BLOCK_END).map(|e| s + e));
    let mut out = if let (Some(start), Some(end)) = (start, end) {
        let existing = lines[start + 1..end].iter().position(|l| {
            l.split('=').next().is_some_and(|n| n.trim() == name) && !name.is_empty()
        });
        match existing {
            Some(i) => lines[start + 1 + i] = statement,
            None => lines.insert(end, statement),
        }
        lines.join(newline)
    } else {
        let mut text = source.trim_end_matches(['\r', '\n']).to_owned();
        text.push_str(newline);
        text.push_str(newline);
        text.push_str(BLOCK_START);
        text.push_str(newline);
        text.push_str(statement);
        text.push_str(newline);
        text.push_str(BLOCK_END);
        text
    };
    out.push_str(newline);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_replaced_in_place() {
        let source = "DEBUG = True  # dev\nX = 1\n";
        assert_eq!(
            replace_value(source, "DEBUG", 1, "False").expect("edits"),
            "DEBUG = False  # dev\nX = 1\n"
        );
    }

    #[test]
    fn an_annotated_assignment_and_a_bom_are_handled() {
        let source = "\u{feff}ALLOWED_HOSTS: list[str] = []\r\n";
        let out = replace_value(source, "ALLOWED_HOSTS", 1, "[\"a\"]").expect("edits");
        assert_eq!(out, "\u{feff}ALLOWED_HOSTS: list[str] = [\"a\"]\r\n");
    }

    #[test]
    fn the_environment_variable_of_an_assignment_is_found() {
        let source = "import os\nDEBUG = os.environ.get('DJANGO_DEBUG', '') == 'True'\nK = os.environ[\"SECRET\"]\nH = env.bool(\"HSTS\")\n";
        assert_eq!(env_variable(source, "DEBUG", 2).as_deref(), Some("DJANGO_DEBUG"));
        assert_eq!(env_variable(source, "K", 3).as_deref(), Some("SECRET"));
        assert_eq!(env_variable(source, "H", 4).as_deref(), Some("HSTS"));
    }

    const MIDDLEWARE: &str = "MIDDLEWARE = [\n    'django.contrib.sessions.middleware.SessionMiddleware',\n    'django.middleware.common.CommonMiddleware',\n]\n";

    #[test]
    fn an_entry_goes_first_in_the_files_own_style() {
        let out = insert_entry(
            MIDDLEWARE,
            "MIDDLEWARE",
            1,
            "django.middleware.security.SecurityMiddleware",
            Place::First,
        )
        .expect("edits");
        assert_eq!(
            out,
            "MIDDLEWARE = [\n    'django.middleware.security.SecurityMiddleware',\n    'django.contrib.sessions.middleware.SessionMiddleware',\n    'django.middleware.common.CommonMiddleware',\n]\n"
        );
    }

    #[test]
    fn an_entry_goes_last_after_a_trailing_comma() {
        let out = insert_entry(
            MIDDLEWARE,
            "MIDDLEWARE",
            1,
            "axes.middleware.AxesMiddleware",
            Place::Last,
        )
        .expect("edits");
        assert!(out.ends_with("    'django.middleware.common.CommonMiddleware',\n    'axes.middleware.AxesMiddleware',\n]\n"), "{out}");
    }

    #[test]
    fn a_one_line_tuple_stays_a_tuple() {
        let out = insert_entry("APPS = (\"a\",)\n", "APPS", 1, "axes", Place::Last).expect("edits");
        assert_eq!(out, "APPS = (\"a\", \"axes\",)\n");
        let out = insert_entry("B = ()\n", "B", 1, "x", Place::First).expect("edits");
        assert_eq!(out, "B = (\"x\",)\n");
        let out = insert_entry("B = [\"a\", \"b\"]\n", "B", 1, "x", Place::First).expect("edits");
        assert_eq!(out, "B = [\"x\", \"a\", \"b\"]\n");
    }

    #[test]
    fn an_entry_in_the_wrong_place_is_moved() {
        let source = "B = [\n    \"axes.backends.AxesStandaloneBackend\",\n    \"m\",\n]\n";
        let out = insert_entry(source, "B", 1, "axes.backends.AxesStandaloneBackend", Place::Last)
            .expect("edits");
        assert_eq!(out, "B = [\n    \"m\",\n    \"axes.backends.AxesStandaloneBackend\",\n]\n");
        let again = insert_entry(&out, "B", 1, "axes.backends.AxesStandaloneBackend", Place::Last)
            .expect("edits");
        assert_eq!(again, out, "applying twice changes nothing");
    }

    #[test]
    fn statements_share_one_block() {
        let once = add_to_block("DEBUG = True\n", "SECURE_HSTS_SECONDS = 3600");
        let twice = add_to_block(&once, "SECURE_SSL_REDIRECT = True");
        let again = add_to_block(&twice, "SECURE_HSTS_SECONDS = 31536000");
        assert_eq!(again.matches(BLOCK_START).count(), 1);
        assert!(
            again.contains(
                "SECURE_HSTS_SECONDS = 31536000\nSECURE_SSL_REDIRECT = True\n# <<< portcullis\n"
            ),
            "{again}"
        );
        assert!(!again.contains("3600\n"));
        assert_eq!(add_to_block(&again, "SECURE_SSL_REDIRECT = True"), again);
    }

    #[test]
    fn invalid_python_is_refused() {
        assert!(replace_value("DEBUG = (\n", "DEBUG", 1, "False").is_err());
    }
}
