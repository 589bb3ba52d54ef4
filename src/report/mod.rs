//! Headless reports of a check: text for a terminal, JSON for scripts (the
//! shape DESIGN.md fixes), Markdown for a ticket. Reports only read findings;
//! everything in them was already redacted and made printable.

pub mod summary;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::checklist::{Checklist, Item, Section, Topic};
use crate::finding::{Finding, Status};
use crate::target::Target;

/// The output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

/// A section with its topics, each with its items and their findings.
type Grouped<'a> = (&'a Section, Vec<(&'a Topic, Vec<(&'a Item, &'a Finding)>)>);

/// A finished check, ready to be written in any format.
pub struct CheckReport<'a> {
    pub checklist: &'a Checklist,
    pub target: &'a Target,
    pub findings: &'a [Finding],
}

/// Exit status of a check: 1 when a selected item fails (or, with
/// `strict`, is anything but a pass), else 0.
pub fn exit_code(findings: &[Finding], strict: bool) -> i32 {
    let failing = |f: &&Finding| match f.status {
        Status::Fail => true,
        Status::Unknown | Status::Skipped | Status::Waived => strict,
        Status::Pass => false,
    };
    i32::from(findings.iter().any(|f| failing(&f)))
}

/// Counts of findings by status, in a fixed order.
pub fn counts(findings: &[Finding]) -> BTreeMap<&'static str, usize> {
    let mut counts: BTreeMap<&'static str, usize> =
        ["pass", "fail", "unknown", "skipped", "waived"].iter().map(|s| (*s, 0)).collect();
    for finding in findings {
        *counts.entry(finding.status.as_str()).or_default() += 1;
    }
    counts
}

impl CheckReport<'_> {
    /// Sections, topics and items that have a finding, in checklist order.
    fn grouped(&self) -> Vec<Grouped<'_>> {
        let mut out = Vec::new();
        for section in &self.checklist.sections {
            let mut topics = Vec::new();
            for topic in &section.topics {
                let items: Vec<_> = topic
                    .items
                    .iter()
                    .filter_map(|item| self.finding(&item.id).map(|f| (item, f)))
                    .collect();
                if !items.is_empty() {
                    topics.push((topic, items));
                }
            }
            if !topics.is_empty() {
                out.push((section, topics));
            }
        }
        out
    }

    fn finding(&self, id: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.id == id)
    }

    pub fn render(&self, format: Format, color: bool) -> String {
        match format {
            Format::Text => self.text(color),
            Format::Json => self.json(),
            Format::Markdown => self.markdown(),
        }
    }

    /// The JSON object of DESIGN.md: `findings` with id, status, reason,
    /// applies and evidence, plus the target and counts.
    pub fn json(&self) -> String {
        #[derive(Serialize)]
        struct JsonFinding<'a> {
            section: &'a str,
            topic: &'a str,
            title: &'a str,
            severity: &'a str,
            #[serde(flatten)]
            finding: &'a Finding,
        }
        #[derive(Serialize)]
        struct JsonReport<'a> {
            portcullis: &'a str,
            target: JsonTarget<'a>,
            counts: BTreeMap<&'static str, usize>,
            findings: Vec<JsonFinding<'a>>,
        }
        let findings = self
            .grouped()
            .into_iter()
            .flat_map(|(section, topics)| {
                topics.into_iter().flat_map(move |(topic, items)| {
                    items.into_iter().map(move |(item, finding)| JsonFinding {
                        section: &section.id,
                        topic: &topic.id,
                        title: &item.title,
                        severity: item.severity.as_str(),
                        finding,
                    })
                })
            })
            .collect();
        let report = JsonReport {
            portcullis: env!("CARGO_PKG_VERSION"),
            target: JsonTarget::of(self.target),
            counts: counts(self.findings),
            findings,
        };
        // Serializing plain data to a string cannot fail.
        serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
    }

    pub fn text(&self, color: bool) -> String {
        let paint = Paint { color };
        let mut out = String::new();
        let _ = writeln!(out, "{}", paint.bold(&target_line(self.target)));
        for (section, topics) in self.grouped() {
            let _ = writeln!(out, "\n{}", paint.bold(&section.title));
            for (topic, items) in topics {
                let _ = writeln!(out, "  {}", topic.title);
                for (item, finding) in items {
                    let label = status_label(finding);
                    let _ = writeln!(
                        out,
                        "    {} {}  {}",
                        paint.status(finding.status, &format!("{label:<7}")),
                        item.id,
                        finding.summary
                    );
                    if matches!(finding.status, Status::Skipped | Status::Waived)
                        && let Some(reason) = &finding.reason
                    {
                        let _ = writeln!(out, "            {reason}");
                    }
                    for evidence in &finding.evidence {
                        match evidence.place() {
                            Some(place) => {
                                let _ = writeln!(
                                    out,
                                    "            {}  {}",
                                    paint.dim(&place),
                                    evidence.text
                                );
                            }
                            None => {
                                let _ = writeln!(out, "            {}", evidence.text);
                            }
                        }
                    }
                }
            }
        }
        let counts = counts(self.findings);
        let _ = writeln!(
            out,
            "\n{} pass, {} fail, {} unknown, {} skipped, {} waived",
            counts["pass"], counts["fail"], counts["unknown"], counts["skipped"], counts["waived"]
        );
        out
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# portcullis check\n\n{}\n", target_line(self.target));
        for (section, topics) in self.grouped() {
            let _ = writeln!(out, "## {}\n", section.title);
            for (topic, items) in topics {
                let _ = writeln!(out, "### {}\n", topic.title);
                let _ = writeln!(out, "| status | item | found |\n| --- | --- | --- |");
                for (item, finding) in &items {
                    let _ = writeln!(
                        out,
                        "| {} | `{}` {} | {} |",
                        status_label(finding),
                        item.id,
                        md_cell(&item.title),
                        md_cell(&finding.summary)
                    );
                }
                let _ = writeln!(out);
                for (item, finding) in items {
                    if finding.evidence.is_empty() {
                        continue;
                    }
                    let _ = writeln!(
                        out,
                        "<details><summary><code>{}</code> evidence</summary>\n",
                        item.id
                    );
                    for evidence in &finding.evidence {
                        let place = evidence.place().unwrap_or_default();
                        let _ =
                            writeln!(out, "- `{}` {}", md_code(&place), md_cell(&evidence.text));
                    }
                    let _ = writeln!(out, "\n</details>\n");
                }
            }
        }
        let counts = counts(self.findings);
        let _ = writeln!(
            out,
            "**{} pass, {} fail, {} unknown, {} skipped, {} waived**",
            counts["pass"], counts["fail"], counts["unknown"], counts["skipped"], counts["waived"]
        );
        out
    }
}

/// The checklist as an indented list, for `portcullis list`.
pub fn list_text(checklist: &Checklist) -> String {
    let mut out = String::new();
    for section in &checklist.sections {
        let _ = writeln!(out, "{} ({})", section.title, section.id);
        for topic in &section.topics {
            let _ = writeln!(out, "  {}", topic.title);
            for item in &topic.items {
                let manual = if item.manual { "  [manual]" } else { "" };
                let _ = writeln!(
                    out,
                    "    {:<34} {:<8} {}{manual}",
                    item.id,
                    item.severity.as_str(),
                    item.title
                );
            }
        }
    }
    out
}

#[derive(Serialize)]
struct JsonTarget<'a> {
    root: String,
    project: Option<String>,
    settings: Option<&'a str>,
    apache_root: String,
    url: Option<&'a str>,
}

impl<'a> JsonTarget<'a> {
    fn of(target: &'a Target) -> Self {
        JsonTarget {
            root: target.root.display().to_string(),
            project: target.project.as_ref().map(|p| p.display().to_string()),
            settings: target.settings.as_deref(),
            apache_root: target.apache_root.display().to_string(),
            url: target.url.as_deref(),
        }
    }
}

fn target_line(target: &Target) -> String {
    let mut line = format!("target: root {}", target.root.display());
    if let Some(project) = &target.project {
        let _ = write!(line, " · project {}", project.display());
    }
    if let Some(settings) = &target.settings {
        let _ = write!(line, " · settings {settings}");
    }
    let _ = write!(line, " · apache {}", target.apache_root.display());
    line
}

/// The status as shown: an item that does not apply says so.
fn status_label(finding: &Finding) -> &'static str {
    if finding.applies { finding.status.as_str() } else { "n/a" }
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn md_code(text: &str) -> String {
    text.replace('`', "'")
}

/// ANSI styling for the text report, off when not on a terminal or when
/// `NO_COLOR` is set.
struct Paint {
    color: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
    }

    fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }

    fn dim(&self, text: &str) -> String {
        self.wrap("2", text)
    }

    fn status(&self, status: Status, text: &str) -> String {
        let code = match status {
            Status::Pass => "32",
            Status::Fail => "31;1",
            Status::Unknown => "33",
            Status::Skipped | Status::Waived => "36",
        };
        self.wrap(code, text)
    }
}
