//! The completion summary: what was checked, fixed, skipped and waived, what
//! remains, and what is due next, in text, Markdown, JSON, `JUnit` and SARIF.
//!
//! Everything shown comes from the state (evidence already redacted, journal
//! diffs redacted on the way in) and from the checklist's titles; nothing
//! here reads a target's files. Text is made printable once more on the way
//! out, and a URL's password is hidden.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use crate::finding::Evidence;
use crate::redact::printable;
use crate::state::{ItemStatus, StateFile, hide_url_password};

/// The version of the JSON shape (`schemas/summary.schema.json`).
pub const SUMMARY_VERSION: u32 = 1;

/// Severities in the order "what remains" lists them; others follow,
/// alphabetically.
const SEVERITY_ORDER: &[&str] = &["critical", "high", "medium", "low", "info"];

/// One checklist item as the summary needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryItem {
    pub section_id: String,
    pub section_title: String,
    pub topic_title: String,
    pub id: String,
    pub title: String,
    pub severity: String,
    /// A person has to confirm it (the log review).
    pub manual: bool,
}

/// The output formats of `portcullis summary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Json,
    Junit,
    Sarif,
}

impl std::str::FromStr for Format {
    type Err = String;

    /// `text`, `markdown`, `json`, `junit` or `sarif`, as `--format` takes them.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "text" => Ok(Format::Text),
            "markdown" | "md" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            "junit" => Ok(Format::Junit),
            "sarif" => Ok(Format::Sarif),
            other => Err(format!(
                "unknown summary format {other:?}: use text, markdown, json, junit or sarif"
            )),
        }
    }
}

/// Counts of items by how they stand. `pass` includes fixed and confirmed
/// items (`fixed` is the part of `pass` portcullis fixed); items that do not
/// apply are counted in `not_applicable` only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub total: usize,
    pub pass: usize,
    pub fixed: usize,
    pub fail: usize,
    pub unknown: usize,
    pub pending: usize,
    pub skipped: usize,
    pub waived: usize,
    pub not_applicable: usize,
}

impl Counts {
    fn add(&mut self, status: ItemStatus, applies: bool) {
        self.total += 1;
        match status {
            ItemStatus::Pass | ItemStatus::Fixed if !applies => self.not_applicable += 1,
            ItemStatus::Pass => self.pass += 1,
            ItemStatus::Fixed => {
                self.pass += 1;
                self.fixed += 1;
            }
            ItemStatus::Fail => self.fail += 1,
            ItemStatus::Unknown => self.unknown += 1,
            ItemStatus::Pending => self.pending += 1,
            ItemStatus::Skipped => self.skipped += 1,
            ItemStatus::Waived => self.waived += 1,
        }
    }

    fn describe(&self) -> String {
        let mut parts = vec![format!("{} pass", self.pass)];
        if self.fixed > 0 {
            parts[0] = format!("{} pass ({} fixed)", self.pass, self.fixed);
        }
        for (count, word) in [
            (self.fail, "fail"),
            (self.unknown, "unknown"),
            (self.pending, "pending"),
            (self.skipped, "skipped"),
            (self.waived, "waived"),
            (self.not_applicable, "do not apply"),
        ] {
            if count > 0 {
                parts.push(format!("{count} {word}"));
            }
        }
        parts.join(", ")
    }
}

/// The whole summary, as the JSON format prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub summary_version: u32,
    pub generated: Timestamp,
    pub session: u32,
    pub target: TargetLine,
    pub totals: Counts,
    pub before_after: BeforeAfter,
    pub sections: Vec<SectionSummary>,
    pub fixes: Vec<FixLine>,
    pub remaining: Vec<SeverityGroup>,
    pub reminders: Vec<Reminder>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetLine {
    pub root: String,
    pub project: Option<String>,
    pub settings: Option<String>,
    pub apache_root: String,
    pub url: Option<String>,
}

/// How many items passed at their first check and now.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BeforeAfter {
    /// Items never checked before are counted as pending here.
    pub before: Counts,
    pub after: Counts,
    /// When the first check was made.
    pub first_check: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SectionSummary {
    pub id: String,
    pub title: String,
    pub counts: Counts,
    pub topics: Vec<TopicSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopicSummary {
    pub title: String,
    pub counts: Counts,
    pub items: Vec<ItemLine>,
}

/// One item: how it stands and why.
#[derive(Debug, Clone, Serialize)]
pub struct ItemLine {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub manual: bool,
    /// `pass`, `fail`, `unknown`, `pending`, `skipped` or `waived`; a fixed
    /// item is `pass`, with `fixed` saying when and how to undo it.
    pub status: &'static str,
    pub applies: bool,
    pub summary: Option<String>,
    pub reason: Option<String>,
    pub checked: Option<Timestamp>,
    pub evidence: Vec<Evidence>,
    pub fixed: Option<FixedLine>,
    pub skip: Option<SkipLine>,
    pub waiver: Option<WaiverLine>,
    pub confirmation: Option<ConfirmationLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FixedLine {
    pub at: Timestamp,
    pub journal_entry: Option<u64>,
    /// The command that undoes it, when its backups are still there.
    pub rollback: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SkipLine {
    pub reason: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Serialize)]
pub struct WaiverLine {
    pub reason: String,
    pub who: String,
    pub at: Timestamp,
    pub expires: Option<Date>,
    pub expired: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfirmationLine {
    pub who: String,
    pub at: Timestamp,
    pub note: String,
}

/// One applied fix, from the journal.
#[derive(Debug, Clone, Serialize)]
pub struct FixLine {
    pub journal_entry: u64,
    pub item: String,
    pub applied: Timestamp,
    pub session: u32,
    pub this_session: bool,
    pub files: Vec<String>,
    pub commands: Vec<String>,
    pub rolled_back: Option<Timestamp>,
    pub backups_pruned: Option<Timestamp>,
    pub rollback: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeverityGroup {
    pub severity: String,
    pub items: Vec<RemainingItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RemainingItem {
    pub id: String,
    pub title: String,
    pub status: &'static str,
}

/// A staged step not yet taken.
#[derive(Debug, Clone, Serialize)]
pub struct Reminder {
    pub item: String,
    pub step: String,
    pub due: Timestamp,
    pub is_due: bool,
    pub reminder: String,
}

impl Summary {
    /// Builds the summary of `items` (in checklist order) from `state`.
    pub fn build(state: &StateFile, items: &[SummaryItem], now: Timestamp) -> Self {
        let mut totals = Counts::default();
        let mut before = Counts::default();
        let mut sections: Vec<SectionSummary> = Vec::new();
        let mut remaining: BTreeMap<(usize, String), Vec<RemainingItem>> = BTreeMap::new();

        for item in items {
            let line = item_line(state, item, now);
            let status = state.effective_status(&item.id, now);
            totals.add(status, line.applies);
            match state.baseline.get(&item.id) {
                Some(first) => before.add(first.status, first.applies),
                None => before.add(ItemStatus::Pending, true),
            }
            if line.applies
                && matches!(
                    status,
                    ItemStatus::Fail
                        | ItemStatus::Unknown
                        | ItemStatus::Pending
                        | ItemStatus::Skipped
                )
            {
                remaining.entry(severity_key(&item.severity)).or_default().push(RemainingItem {
                    id: item.id.clone(),
                    title: item.title.clone(),
                    status: line.status,
                });
            }

            // Sections and topics in the order the checklist gives them.
            if sections.last().is_none_or(|s| s.id != item.section_id) {
                sections.push(SectionSummary {
                    id: item.section_id.clone(),
                    title: item.section_title.clone(),
                    counts: Counts::default(),
                    topics: Vec::new(),
                });
            }
            let Some(section) = sections.last_mut() else { continue };
            section.counts.add(status, line.applies);
            if section.topics.last().is_none_or(|t| t.title != item.topic_title) {
                section.topics.push(TopicSummary {
                    title: item.topic_title.clone(),
                    counts: Counts::default(),
                    items: Vec::new(),
                });
            }
            if let Some(topic) = section.topics.last_mut() {
                topic.counts.add(status, line.applies);
                topic.items.push(line);
            }
        }

        let fixes = state
            .journal
            .iter()
            .map(|entry| FixLine {
                journal_entry: entry.seq,
                item: entry.item.clone(),
                applied: entry.applied,
                session: entry.session,
                this_session: entry.session == state.session.number,
                files: touched_files(entry),
                commands: entry.commands.iter().map(|c| printable(&c.command)).collect(),
                rolled_back: entry.rolled_back,
                backups_pruned: entry.backups_pruned,
                rollback: entry.can_roll_back().then(|| rollback_command(&entry.item)),
            })
            .collect();

        let reminders = state
            .staged
            .iter()
            .filter(|s| s.done.is_none())
            .map(|s| Reminder {
                item: s.item.clone(),
                step: printable(&s.step),
                due: s.due,
                is_due: s.due <= now,
                reminder: printable(&s.reminder),
            })
            .collect();

        let target = &state.target;
        Summary {
            summary_version: SUMMARY_VERSION,
            generated: now,
            session: state.session.number,
            target: TargetLine {
                root: printable(&target.root.display().to_string()),
                project: target.project.as_ref().map(|p| printable(&p.display().to_string())),
                settings: target.settings.as_deref().map(printable),
                apache_root: printable(&target.apache_root.display().to_string()),
                url: target.url.as_deref().map(|u| printable(&hide_url_password(u))),
            },
            totals,
            before_after: BeforeAfter {
                before,
                after: totals,
                first_check: state.baseline.values().map(|b| b.at).min(),
            },
            sections,
            fixes,
            remaining: remaining
                .into_iter()
                .map(|((_, severity), items)| SeverityGroup { severity, items })
                .collect(),
            reminders,
        }
    }

    /// The exit status DESIGN.md gives: 1 when an item fails (with `strict`,
    /// also when one is unknown, pending, skipped or waived), else 0.
    pub fn exit_code(&self, strict: bool) -> i32 {
        let t = &self.totals;
        let open = t.unknown + t.pending + t.skipped + t.waived;
        i32::from(t.fail > 0 || (strict && open > 0))
    }

    /// True when nothing remains to do.
    pub fn is_complete(&self) -> bool {
        self.remaining.is_empty()
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Text => self.to_text(),
            Format::Markdown => self.to_markdown(),
            Format::Json => self.to_json(),
            Format::Junit => self.to_junit(),
            Format::Sarif => self.to_sarif(),
        }
    }

    pub fn to_json(&self) -> String {
        let mut out = serde_json::to_string_pretty(self).unwrap_or_else(|err| {
            // Serializing plain structs of strings and numbers cannot fail;
            // say so rather than print half a document.
            format!("{{\"error\": \"summary could not be serialized: {err}\"}}")
        });
        out.push('\n');
        out
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "portcullis summary: {}", self.target_words());
        let _ = writeln!(out, "session {}, {}", self.session, when(self.generated));
        out.push('\n');
        let _ = writeln!(out, "Before: {}", self.before_after.before.describe());
        let _ = writeln!(out, "Now:    {}", self.totals.describe());

        for section in &self.sections {
            let _ = writeln!(
                out,
                "\n{} ({}): {}",
                section.title,
                section.id,
                section.counts.describe()
            );
            for topic in &section.topics {
                let _ = writeln!(out, "  {}: {}", topic.title, topic.counts.describe());
                for item in &topic.items {
                    let _ =
                        writeln!(out, "    {:<8} {}  {}", shown_status(item), item.id, item.title);
                    for detail in item_details(item) {
                        let _ = writeln!(out, "             {detail}");
                    }
                }
            }
        }

        out.push_str("\nFixes applied\n");
        if self.fixes.is_empty() {
            out.push_str("  none\n");
        }
        for (label, this) in [("this session", true), ("earlier sessions", false)] {
            let fixes: Vec<&FixLine> =
                self.fixes.iter().filter(|f| f.this_session == this).collect();
            if fixes.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  {label}:");
            for fix in fixes {
                let _ = writeln!(out, "    {}", fix_words(fix));
            }
        }

        out.push_str("\nWhat remains\n");
        if self.remaining.is_empty() {
            out.push_str("  nothing: every item passes, is waived or does not apply\n");
        }
        for group in &self.remaining {
            let list: Vec<String> =
                group.items.iter().map(|i| format!("{} ({})", i.id, i.status)).collect();
            let _ = writeln!(out, "  {}: {}", group.severity, list.join(", "));
        }

        if !self.reminders.is_empty() {
            out.push_str("\nStaged steps\n");
            for reminder in &self.reminders {
                let _ = writeln!(out, "  {}", reminder_words(reminder));
            }
        }
        out
    }

    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# portcullis summary\n");
        let _ = writeln!(out, "{}  ", md(&self.target_words()));
        let _ = writeln!(out, "Session {}, {}\n", self.session, when(self.generated));
        out.push_str("| | items passing | details |\n| --- | --- | --- |\n");
        let ba = &self.before_after;
        let _ = writeln!(out, "| before | {} | {} |", ba.before.pass, md(&ba.before.describe()));
        let _ = writeln!(out, "| now | {} | {} |", ba.after.pass, md(&ba.after.describe()));

        for section in &self.sections {
            let _ = writeln!(out, "\n## {} (`{}`)\n", md(&section.title), section.id);
            let _ = writeln!(out, "{}", md(&section.counts.describe()));
            for topic in &section.topics {
                let _ = writeln!(out, "\n### {}\n", md(&topic.title));
                out.push_str("| status | item | details |\n| --- | --- | --- |\n");
                for item in &topic.items {
                    let details: Vec<String> = item_details(item).iter().map(|d| md(d)).collect();
                    let _ = writeln!(
                        out,
                        "| {} | `{}` {} | {} |",
                        shown_status(item),
                        item.id,
                        md(&item.title),
                        details.join("<br>")
                    );
                }
            }
        }

        out.push_str("\n## Fixes applied\n\n");
        if self.fixes.is_empty() {
            out.push_str("None.\n");
        }
        for fix in &self.fixes {
            let when_label = if fix.this_session { "this session" } else { "earlier" };
            let _ = writeln!(out, "- ({when_label}) {}", md(&fix_words(fix)));
        }

        out.push_str("\n## What remains\n\n");
        if self.remaining.is_empty() {
            out.push_str("Nothing: every item passes, is waived or does not apply.\n");
        }
        for group in &self.remaining {
            let list: Vec<String> =
                group.items.iter().map(|i| format!("`{}` ({})", i.id, i.status)).collect();
            let _ = writeln!(out, "- **{}**: {}", md(&group.severity), list.join(", "));
        }

        if !self.reminders.is_empty() {
            out.push_str("\n## Staged steps\n\n");
            for reminder in &self.reminders {
                let _ = writeln!(out, "- {}", md(&reminder_words(reminder)));
            }
        }
        out
    }

    /// `JUnit` XML: a test suite per section, a test case per item. A failing
    /// item is a `<failure>`; unknown, pending, skipped and waived items are
    /// `<skipped>` with the reason, so they do not fail a CI job.
    pub fn to_junit(&self) -> String {
        let items = || self.sections.iter().flat_map(|s| s.topics.iter().flat_map(|t| &t.items));
        let failures = items().filter(|i| i.status == "fail").count();

        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        // Attributes as the Jenkins JUnit schema (junit-10.xsd) allows them;
        // the time stamp has no zone, as Ant's schema wants.
        let stamp = self.generated.strftime("%Y-%m-%dT%H:%M:%S").to_string();
        let _ = writeln!(
            out,
            "<testsuites name=\"portcullis\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"0\">",
            self.totals.total,
        );
        for section in &self.sections {
            let section_items = || section.topics.iter().flat_map(|t| &t.items);
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" \
                 time=\"0\" timestamp=\"{stamp}\">",
                xml(&section.id),
                section.counts.total,
                section_items().filter(|i| i.status == "fail").count(),
                section_items().filter(|i| junit_skip_message(i).is_some()).count(),
            );
            for topic in &section.topics {
                for item in &topic.items {
                    let _ = write!(
                        out,
                        "    <testcase classname=\"{}.{}\" name=\"{}\" time=\"0\"",
                        xml(&section.id),
                        xml(&topic.title),
                        xml(&item.id)
                    );
                    let details = item_details(item).join("\n");
                    if item.status == "fail" {
                        let message = item.summary.clone().unwrap_or_else(|| item.title.clone());
                        let _ = writeln!(
                            out,
                            ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                            xml(&message),
                            xml(&item.severity),
                            xml_text(&details)
                        );
                    } else if let Some(message) = junit_skip_message(item) {
                        let _ = writeln!(
                            out,
                            ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                            xml(&message)
                        );
                    } else if details.is_empty() {
                        out.push_str("/>\n");
                    } else {
                        let _ = writeln!(
                            out,
                            ">\n      <system-out>{}</system-out>\n    </testcase>",
                            xml_text(&details)
                        );
                    }
                }
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }

    /// SARIF 2.1.0: a rule per item, a result per item that was checked.
    /// Failures have a level from the severity; a waived failure carries an
    /// accepted suppression; passing items are `kind: pass`, the others
    /// `kind: review` or `open`.
    pub fn to_sarif(&self) -> String {
        let items: Vec<&ItemLine> =
            self.sections.iter().flat_map(|s| s.topics.iter().flat_map(|t| &t.items)).collect();

        let rules: Vec<serde_json::Value> = items
            .iter()
            .map(|item| {
                serde_json::json!({
                    "id": item.id,
                    "shortDescription": { "text": item.title },
                    "properties": { "severity": item.severity, "manual": item.manual },
                })
            })
            .collect();

        let results: Vec<serde_json::Value> =
            items.iter().enumerate().map(|(index, item)| sarif_result(index, item)).collect();

        let log = serde_json::json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": { "driver": {
                    "name": "portcullis",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }},
                "invocations": [{
                    "executionSuccessful": true,
                    "endTimeUtc": self.generated.to_string(),
                }],
                "results": results,
            }],
        });
        let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
        out.push('\n');
        out
    }

    fn target_words(&self) -> String {
        let t = &self.target;
        let mut words = match &t.project {
            Some(project) => format!("project {project}"),
            None => "no Django project".to_owned(),
        };
        let _ = write!(words, ", Apache {}", t.apache_root);
        if t.root != "/" {
            let _ = write!(words, ", under root {}", t.root);
        }
        if let Some(url) = &t.url {
            let _ = write!(words, ", {url}");
        }
        words
    }
}

fn item_line(state: &StateFile, item: &SummaryItem, now: Timestamp) -> ItemLine {
    let status = state.effective_status(&item.id, now);
    let known = state.items.get(&item.id);
    let fix = state.last_fix(&item.id);
    // A confirmed manual item passes; the check's "a person has to look"
    // no longer describes it.
    let confirmed = status == ItemStatus::Pass
        && state.confirmations.contains_key(&item.id)
        && known.is_none_or(|k| matches!(k.status, ItemStatus::Unknown | ItemStatus::Pending));
    let fixed = known.and_then(|k| k.fixed_at).filter(|_| status == ItemStatus::Fixed).map(|at| {
        FixedLine {
            at,
            journal_entry: fix.map(|f| f.seq),
            rollback: fix.filter(|f| f.can_roll_back()).map(|f| rollback_command(&f.item)),
        }
    });

    ItemLine {
        id: item.id.clone(),
        title: printable(&item.title),
        severity: item.severity.clone(),
        manual: item.manual,
        status: match status {
            ItemStatus::Fixed => "pass",
            other => other.as_str(),
        },
        applies: known.is_none_or(|k| k.applies),
        summary: known.map(|k| printable(&k.summary)).filter(|s| !s.is_empty() && !confirmed),
        reason: known.and_then(|k| k.reason.as_deref()).map(printable).filter(|_| !confirmed),
        checked: known.map(|k| k.at),
        evidence: known
            .map(|k| k.evidence.iter().map(shown_evidence).collect())
            .unwrap_or_default(),
        fixed,
        skip: state
            .skips
            .get(&item.id)
            .filter(|_| status == ItemStatus::Skipped)
            .map(|s| SkipLine { reason: printable(&s.reason), at: s.at }),
        waiver: state.waivers.get(&item.id).map(|w| WaiverLine {
            reason: printable(&w.reason),
            who: printable(&w.who),
            at: w.at,
            expires: w.expires,
            expired: w.is_expired(now),
        }),
        confirmation: state.confirmations.get(&item.id).map(|c| ConfirmationLine {
            who: printable(&c.who),
            at: c.at,
            note: printable(&c.note),
        }),
    }
}

/// The files a fix changed: those with a diff, then those only backed up.
fn touched_files(entry: &crate::state::JournalEntry) -> Vec<String> {
    let mut files: Vec<String> = entry.diffs.iter().map(|d| printable(&d.path)).collect();
    for backup in &entry.backups {
        let name = printable(&backup.original);
        if !files.contains(&name) {
            files.push(name);
        }
    }
    files
}

fn shown_evidence(evidence: &Evidence) -> Evidence {
    Evidence {
        file: evidence.file.as_deref().map(printable),
        line: evidence.line,
        url: evidence.url.as_deref().map(|u| printable(&hide_url_password(u))),
        command: evidence.command.as_deref().map(printable),
        // Already redacted when recorded; once more in case an older state
        // file was written before that rule.
        text: printable(&crate::redact::redact_line(&evidence.text)),
    }
}

/// The status column: `n/a` for an item that does not apply.
fn shown_status(item: &ItemLine) -> &'static str {
    if item.applies { item.status } else { "n/a" }
}

/// The lines under an item: what was found, fix, skip, waiver, evidence.
fn item_details(item: &ItemLine) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(summary) = &item.summary {
        lines.push(summary.clone());
    }
    let said = item.summary.as_deref().unwrap_or_default();
    if let Some(reason) = item.reason.as_ref().filter(|r| !said.contains(r.as_str())) {
        lines.push(format!("reason: {reason}"));
    }
    if let Some(fixed) = &item.fixed {
        let undo = match &fixed.rollback {
            Some(command) => format!("undo: {command}"),
            None => "backups pruned, no rollback".to_owned(),
        };
        lines.push(format!("fixed {}; {undo}", when(fixed.at)));
    }
    if let Some(skip) = &item.skip {
        lines.push(format!("skipped this session: {}", skip.reason));
    }
    if let Some(waiver) = &item.waiver {
        let until = match (waiver.expires, waiver.expired) {
            (Some(day), true) => format!(", expired after {day}"),
            (Some(day), false) => format!(" until {day}"),
            (None, _) => String::new(),
        };
        lines.push(format!("waived by {}{until}: {}", waiver.who, waiver.reason));
    }
    if let Some(confirmation) = &item.confirmation {
        lines.push(format!(
            "confirmed by {} {}: {}",
            confirmation.who,
            when(confirmation.at),
            confirmation.note
        ));
    }
    for evidence in &item.evidence {
        match evidence.place() {
            Some(place) => lines.push(format!("{place}  {}", evidence.text)),
            None => lines.push(evidence.text.clone()),
        }
    }
    lines
}

fn fix_words(fix: &FixLine) -> String {
    let mut words = format!("#{} {} {}", fix.journal_entry, fix.item, when(fix.applied));
    if !fix.files.is_empty() {
        let _ = write!(words, "; files: {}", fix.files.join(", "));
    }
    if !fix.commands.is_empty() {
        let _ = write!(words, "; ran: {}", fix.commands.join("; "));
    }
    match (&fix.rolled_back, &fix.rollback) {
        (Some(at), _) => {
            let _ = write!(words, "; rolled back {}", when(*at));
        }
        (None, Some(command)) => {
            let _ = write!(words, "; undo: {command}");
        }
        (None, None) => words.push_str("; backups pruned, no rollback"),
    }
    words
}

fn reminder_words(reminder: &Reminder) -> String {
    let due = if reminder.is_due {
        format!("DUE since {}", when(reminder.due))
    } else {
        format!("due {}", when(reminder.due))
    };
    format!("{} ({}), {due}: {}", reminder.item, reminder.step, reminder.reminder)
}

fn junit_skip_message(item: &ItemLine) -> Option<String> {
    let why = item.reason.clone().or_else(|| item.summary.clone()).unwrap_or_default();
    match item.status {
        "unknown" => Some(format!("unknown: {why}")),
        "pending" => Some("not checked yet".to_owned()),
        "skipped" => item.skip.as_ref().map(|s| format!("skipped: {}", s.reason)),
        "waived" => item.waiver.as_ref().map(|w| format!("waived by {}: {}", w.who, w.reason)),
        _ => None,
    }
}

fn sarif_result(index: usize, item: &ItemLine) -> serde_json::Value {
    let (kind, level) = match item.status {
        _ if !item.applies => ("notApplicable", "none"),
        // A waiver accepts a failure; SARIF says so with a suppression.
        "fail" | "waived" => ("fail", sarif_level(&item.severity)),
        "pass" => ("pass", "none"),
        "unknown" => ("review", "none"),
        _ => ("open", "none"),
    };
    let text = item
        .summary
        .clone()
        .or_else(|| item.reason.clone())
        .unwrap_or_else(|| format!("{}: {}", item.title, item.status));

    let locations: Vec<serde_json::Value> = item
        .evidence
        .iter()
        .filter_map(|evidence| {
            let file = evidence.file.as_deref()?;
            let mut physical = serde_json::json!({ "artifactLocation": { "uri": file_uri(file) } });
            if let Some(line) = evidence.line.filter(|l| *l > 0) {
                physical["region"] = serde_json::json!({ "startLine": line });
            }
            Some(serde_json::json!({ "physicalLocation": physical }))
        })
        .collect();

    let mut result = serde_json::json!({
        "ruleId": item.id,
        "ruleIndex": index,
        "kind": kind,
        "level": level,
        "message": { "text": text },
    });
    if !locations.is_empty() {
        result["locations"] = serde_json::Value::Array(locations);
    }
    if let Some(waiver) = item.waiver.as_ref().filter(|_| item.status == "waived") {
        result["suppressions"] = serde_json::json!([{
            "kind": "external",
            "status": "accepted",
            "justification": format!("waived by {}: {}", waiver.who, waiver.reason),
        }]);
    }
    result
}

fn sarif_level(severity: &str) -> &'static str {
    match severity {
        "critical" | "high" => "error",
        "medium" => "warning",
        _ => "note",
    }
}

/// `file:///srv/app/settings.py`, with bytes outside the unreserved set
/// percent-encoded.
fn file_uri(path: &str) -> String {
    let mut uri = String::from("file://");
    if !path.starts_with('/') {
        uri.push('/');
    }
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            let _ = write!(uri, "%{byte:02X}");
        }
    }
    uri
}

fn rollback_command(item: &str) -> String {
    format!("portcullis rollback {item}")
}

fn when(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

fn severity_key(severity: &str) -> (usize, String) {
    let rank = SEVERITY_ORDER.iter().position(|s| *s == severity).unwrap_or(SEVERITY_ORDER.len());
    (rank, severity.to_owned())
}

/// Escapes text for XML element content: as [`xml`], with line breaks kept.
fn xml_text(text: &str) -> String {
    xml(text).replace("&#10;", "\n")
}

/// Escapes text for XML attributes (line breaks as character references),
/// and replaces characters XML 1.0 cannot hold.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes Markdown's special characters so that evidence renders as text.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_[]<>|#{}!".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
