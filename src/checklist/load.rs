//! Reads checklist files: the three embedded in the binary and any the
//! operator adds with `--checklist FILE`. Every mistake in a file is an error
//! that names the file, line and column; nothing is silently ignored.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::model::{
    Checklist, Expectation, Fix, Item, LiveProbe, Probe, Reference, Section, Severity, Topic,
};

/// The sections shipped with portcullis, in walk-through order.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("checklist/django.toml", include_str!("../../checklist/django.toml")),
    ("checklist/apache.toml", include_str!("../../checklist/apache.toml")),
    ("checklist/maintenance.toml", include_str!("../../checklist/maintenance.toml")),
];

/// A mistake in a checklist file, at a place in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.shown())]
pub struct ChecklistError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    section: RawSection,
    #[serde(default, rename = "topic")]
    topics: Vec<RawTopic>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    id: Spanned<String>,
    title: String,
    #[serde(default)]
    summary: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopic {
    id: Spanned<String>,
    title: String,
    #[serde(default, rename = "item")]
    items: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: Spanned<String>,
    title: String,
    severity: Severity,
    why: String,
    #[serde(default)]
    references: Vec<Reference>,
    probe: Spanned<Probe>,
    #[serde(default)]
    expect: Option<Spanned<Expectation>>,
    #[serde(default)]
    fix: Option<Fix>,
    #[serde(default)]
    verify: Vec<LiveProbe>,
    #[serde(default)]
    manual: bool,
}

impl ChecklistError {
    /// `file:line:column: message`, or `file: message` when no place in the
    /// file is at fault (it cannot be read).
    fn shown(&self) -> String {
        if self.line == 0 {
            format!("{}: {}", self.file, self.message)
        } else {
            format!("{}:{}:{}: {}", self.file, self.line, self.column, self.message)
        }
    }
}

/// The embedded checklist, plus the operator's files in the order given.
pub fn load(extra: &[impl AsRef<Path>]) -> Result<Checklist, ChecklistError> {
    let mut sources: Vec<(String, String)> =
        EMBEDDED.iter().map(|(name, text)| ((*name).to_owned(), (*text).to_owned())).collect();
    for path in extra {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|err| ChecklistError {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            message: format!("cannot read the checklist file: {err}"),
        })?;
        sources.push((path.display().to_string(), text));
    }
    parse_all(&sources)
}

/// Parses checklist sources given as (name, text) pairs and checks them as a
/// whole: ids are unique across every file.
pub fn parse_all(sources: &[(String, String)]) -> Result<Checklist, ChecklistError> {
    let mut checklist = Checklist { sections: Vec::new() };
    let mut seen: HashMap<String, String> = HashMap::new();
    for (name, text) in sources {
        let section = parse_file(name, text, &mut seen)?;
        match checklist.sections.iter_mut().find(|s| s.id == section.id) {
            // A later file may add topics to a section that already exists.
            Some(existing) => existing.topics.extend(section.topics),
            None => checklist.sections.push(section),
        }
    }
    Ok(checklist)
}

fn parse_file(
    name: &str,
    text: &str,
    seen: &mut HashMap<String, String>,
) -> Result<Section, ChecklistError> {
    let at = |span: Range<usize>, message: String| error_at(name, text, span, message);
    let raw: RawFile = toml::from_str(text).map_err(|err| {
        let message = err.message().trim().to_owned();
        match err.span() {
            Some(span) => at(span, message),
            None => ChecklistError { file: name.to_owned(), line: 1, column: 1, message },
        }
    })?;

    let section_id = raw.section.id.get_ref().clone();
    if !is_valid_id(&section_id) {
        return Err(at(
            raw.section.id.span(),
            format!("section id `{section_id}` must be lowercase letters, digits and `-`"),
        ));
    }
    let mut topics = Vec::new();
    let mut topic_ids = std::collections::HashSet::new();
    for raw_topic in raw.topics {
        let topic_id = raw_topic.id.get_ref().clone();
        if !topic_ids.insert(topic_id.clone()) {
            return Err(at(
                raw_topic.id.span(),
                format!("topic id `{topic_id}` appears twice in this section"),
            ));
        }
        let mut items = Vec::new();
        for raw_item in raw_topic.items {
            items.push(check_item(name, text, &section_id, raw_item, seen)?);
        }
        topics.push(Topic { id: topic_id, title: raw_topic.title, items });
    }
    Ok(Section {
        id: section_id,
        title: raw.section.title,
        summary: raw.section.summary,
        source: name.to_owned(),
        topics,
    })
}

fn check_item(
    name: &str,
    text: &str,
    section_id: &str,
    raw: RawItem,
    seen: &mut HashMap<String, String>,
) -> Result<Item, ChecklistError> {
    let at = |span: Range<usize>, message: String| error_at(name, text, span, message);
    let id = raw.id.get_ref().clone();
    let id_span = raw.id.span();

    let prefix = format!("{section_id}.");
    let rest = id.strip_prefix(&prefix).unwrap_or("");
    if rest.is_empty() || !is_valid_id(rest) {
        return Err(at(
            id_span,
            format!(
                "item id `{id}` must be `{prefix}` followed by lowercase letters, digits and `-`"
            ),
        ));
    }
    let place = {
        let (line, column) = line_column(text, id_span.start);
        format!("{name}:{line}:{column}")
    };
    if let Some(first) = seen.insert(id.clone(), place) {
        return Err(at(id_span, format!("item id `{id}` is already used at {first}")));
    }

    let probe_span = raw.probe.span();
    let probe = raw.probe.into_inner();
    let accepted = probe.accepts();
    let expect = if let Some(expect) = raw.expect {
        let span = expect.span();
        let expect = expect.into_inner();
        if !accepted.contains(&expect.name()) {
            let hint = if accepted.is_empty() {
                "it takes no `expect`".to_owned()
            } else {
                format!("it takes {}", accepted.join(", "))
            };
            let kind = probe.kind();
            let name = expect.name();
            return Err(at(
                span,
                format!("probe kind `{kind}` does not take `expect.{name}`: {hint}"),
            ));
        }
        Some(expect)
    } else {
        if !accepted.is_empty() {
            let kind = probe.kind();
            let needed = accepted.join(", ");
            return Err(at(
                probe_span,
                format!("probe kind `{kind}` needs an `expect` ({needed})"),
            ));
        }
        None
    };

    Ok(Item {
        id,
        title: raw.title,
        severity: raw.severity,
        why: raw.why.trim().to_owned(),
        references: raw.references,
        probe,
        expect,
        fix: raw.fix,
        verify: raw.verify,
        manual: raw.manual,
    })
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
}

fn error_at(file: &str, text: &str, span: Range<usize>, message: String) -> ChecklistError {
    let (line, column) = line_column(text, span.start);
    ChecklistError { file: file.to_owned(), line, column, message }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Checklist, ChecklistError> {
        parse_all(&[("test.toml".to_owned(), text.to_owned())])
    }

    const HEAD: &str = "[section]\nid = \"django\"\ntitle = \"Django\"\n\n[[topic]]\nid = \"https\"\ntitle = \"HTTPS\"\n\n";

    #[test]
    fn a_minimal_item_parses() {
        let text = format!(
            "{HEAD}[[topic.item]]\nid = \"django.debug-off\"\ntitle = \"DEBUG off\"\nseverity = \"critical\"\nwhy = \"x\"\nprobe = {{ kind = \"django-setting\", setting = \"DEBUG\" }}\nexpect = {{ falsy = true }}\n"
        );
        let checklist = parse(&text).expect("parses");
        let item = &checklist.sections[0].topics[0].items[0];
        assert_eq!(item.id, "django.debug-off");
        assert_eq!(item.expect, Some(Expectation::Falsy(true)));
    }

    #[test]
    fn an_unknown_key_names_line_and_column() {
        let text = format!(
            "{HEAD}[[topic.item]]\nid = \"django.x\"\ntitle = \"t\"\nseverity = \"low\"\nwhy = \"x\"\nprobz = 1\nprobe = {{ kind = \"django-proxy-ssl-header\" }}\n"
        );
        let err = parse(&text).expect_err("unknown key");
        assert_eq!((err.file.as_str(), err.line), ("test.toml", 14));
        assert!(err.message.contains("probz"), "{err}");
    }

    #[test]
    fn an_unknown_probe_kind_is_an_error() {
        let text = format!(
            "{HEAD}[[topic.item]]\nid = \"django.x\"\ntitle = \"t\"\nseverity = \"low\"\nwhy = \"x\"\nprobe = {{ kind = \"telepathy\" }}\n"
        );
        let err = parse(&text).expect_err("unknown kind");
        assert_eq!(err.line, 14);
        assert!(err.message.contains("telepathy"), "{err}");
    }

    #[test]
    fn an_expectation_of_the_wrong_type_is_an_error() {
        let text = format!(
            "{HEAD}[[topic.item]]\nid = \"django.x\"\ntitle = \"t\"\nseverity = \"low\"\nwhy = \"x\"\nprobe = {{ kind = \"django-setting\", setting = \"A\" }}\nexpect = {{ at_least = \"soon\" }}\n"
        );
        let err = parse(&text).expect_err("wrong type");
        assert_eq!(err.line, 15);

        let text = format!(
            "{HEAD}[[topic.item]]\nid = \"django.x\"\ntitle = \"t\"\nseverity = \"low\"\nwhy = \"x\"\nprobe = {{ kind = \"apache-indexes\" }}\nexpect = {{ at_least = 3 }}\n"
        );
        let err = parse(&text).expect_err("kind takes no expect");
        assert!(err.message.contains("does not take"), "{err}");
    }

    #[test]
    fn a_duplicate_id_names_the_first_place() {
        let item = "[[topic.item]]\nid = \"django.x\"\ntitle = \"t\"\nseverity = \"low\"\nwhy = \"x\"\nprobe = { kind = \"django-proxy-ssl-header\" }\n";
        let text = format!("{HEAD}{item}{item}");
        let err = parse(&text).expect_err("duplicate");
        assert!(err.message.contains("already used at test.toml:10:6"), "{err}");
        assert_eq!(err.line, 16);
    }
}
