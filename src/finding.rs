//! What a probe found about one item: its status, why, and the evidence an
//! operator is shown. Evidence text never carries a secret: callers redact
//! before they build it (see `crate::redact`).

use serde::{Deserialize, Serialize};

/// How an item stands on this target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Unknown,
    Skipped,
    Waived,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::Skipped => "skipped",
            Status::Waived => "waived",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing the operator is shown to back a finding.
///
/// Serialized as DESIGN.md's JSON contract: `file`/`line`/`text` for a place in
/// a file (a file is named as it is inside the target), `url`/`text` for what
/// was seen on the wire, `command`/`text` for a program's output, or `text`
/// alone for a note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    pub text: String,
}

impl Evidence {
    /// A line of a file, named as it is inside the target.
    pub fn at(file: impl Into<String>, line: u32, text: impl Into<String>) -> Self {
        Evidence {
            file: Some(file.into()),
            line: Some(line),
            url: None,
            command: None,
            text: crate::redact::clean(&text.into()),
        }
    }

    /// A whole file (or a module whose default applies), without a line.
    pub fn in_file(file: impl Into<String>, text: impl Into<String>) -> Self {
        Evidence {
            file: Some(file.into()),
            line: None,
            url: None,
            command: None,
            text: crate::redact::clean(&text.into()),
        }
    }

    pub fn wire(url: impl Into<String>, text: impl Into<String>) -> Self {
        Evidence {
            file: None,
            line: None,
            url: Some(url.into()),
            command: None,
            text: crate::redact::clean(&text.into()),
        }
    }

    pub fn command(command: impl Into<String>, text: impl Into<String>) -> Self {
        Evidence {
            file: None,
            line: None,
            url: None,
            command: Some(command.into()),
            text: crate::redact::clean(&text.into()),
        }
    }

    pub fn note(text: impl Into<String>) -> Self {
        Evidence {
            file: None,
            line: None,
            url: None,
            command: None,
            text: crate::redact::clean(&text.into()),
        }
    }

    /// `file:line`, `file`, the URL or the command: where this was seen.
    pub fn place(&self) -> Option<String> {
        match (&self.file, self.line, &self.url, &self.command) {
            (Some(file), Some(line), _, _) => Some(format!("{file}:{line}")),
            (Some(file), None, _, _) => Some(file.clone()),
            (None, _, Some(url), _) => Some(url.clone()),
            (None, _, None, Some(command)) => Some(format!("$ {command}")),
            _ => None,
        }
    }
}

/// A probe's verdict on one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub status: Status,
    /// False when the item does not apply to this target; the status is then
    /// `pass` and `reason` says why it does not apply.
    #[serde(default = "default_true")]
    pub applies: bool,
    /// One line on what was found, in the operator's words.
    pub summary: String,
    /// Why the status is `unknown`, or why the item does not apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

fn default_true() -> bool {
    true
}

impl Finding {
    pub fn pass(id: &str, summary: impl Into<String>) -> Self {
        Self::new(id, Status::Pass, summary)
    }

    pub fn fail(id: &str, summary: impl Into<String>) -> Self {
        Self::new(id, Status::Fail, summary)
    }

    /// Unknown, with the reason: never a guess.
    pub fn unknown(id: &str, reason: impl Into<String>) -> Self {
        let reason = crate::redact::printable(&reason.into());
        Finding {
            id: id.to_owned(),
            status: Status::Unknown,
            applies: true,
            summary: reason.clone(),
            reason: Some(reason),
            evidence: Vec::new(),
        }
    }

    /// The item does not apply to this target: it passes, shown as such.
    pub fn not_applicable(id: &str, reason: impl Into<String>) -> Self {
        let reason = crate::redact::printable(&reason.into());
        Finding {
            id: id.to_owned(),
            status: Status::Pass,
            applies: false,
            summary: format!("does not apply: {reason}"),
            reason: Some(reason),
            evidence: Vec::new(),
        }
    }

    fn new(id: &str, status: Status, summary: impl Into<String>) -> Self {
        Finding {
            id: id.to_owned(),
            status,
            applies: true,
            summary: crate::redact::printable(&summary.into()),
            reason: None,
            evidence: Vec::new(),
        }
    }

    #[must_use]
    pub fn with_evidence(mut self, evidence: impl IntoIterator<Item = Evidence>) -> Self {
        self.evidence.extend(evidence);
        self
    }

    #[must_use]
    pub fn with(mut self, evidence: Evidence) -> Self {
        self.evidence.push(evidence);
        self
    }
}
