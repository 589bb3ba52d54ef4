//! A plan: a fix made concrete for this target, as data. The file edits as
//! whole before/after contents (shown as unified diffs) and the commands it
//! would run, each shown exactly. Building a plan touches nothing.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use similar::TextDiff;

use crate::redact;

/// Why no plan can be made for an item here, in the operator's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

/// One file the plan writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEdit {
    /// The file as named inside the target.
    pub path: String,
    /// The bytes the plan was made from; `None` when the file is created.
    pub before: Option<Vec<u8>>,
    pub after: Vec<u8>,
    /// Mode of a file the plan creates.
    pub new_mode: u32,
    /// Mode and owner the file gets, set on the new bytes before they
    /// replace the old ones (the backup keeps the old mode and owner).
    pub set: Option<Ownership>,
    /// Secrets the diff must hide wherever they stand (a key on a line of
    /// its own inside a call); never shown, kept only to redact.
    pub secrets: Vec<String>,
}

/// The mode and owner a plan gives a file, with the names the operator
/// knows them by (the ids come from the target's own passwd and group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub user: String,
    pub group: String,
}

impl FileEdit {
    pub fn change(path: impl Into<String>, before: Vec<u8>, after: Vec<u8>) -> Self {
        FileEdit {
            path: path.into(),
            before: Some(before),
            after,
            new_mode: 0o644,
            set: None,
            secrets: Vec::new(),
        }
    }

    pub fn create(path: impl Into<String>, after: Vec<u8>, mode: u32) -> Self {
        FileEdit {
            path: path.into(),
            before: None,
            after,
            new_mode: mode,
            set: None,
            secrets: Vec::new(),
        }
    }

    /// True when applying the edit changes the file: its bytes, or its mode
    /// and owner.
    pub fn changes(&self) -> bool {
        self.set.is_some() || self.before.as_deref() != Some(self.after.as_slice())
    }

    /// The `chmod` and `chown` that give the file its mode and owner, as an
    /// operator would type them. Shown, never run: the pipeline sets them
    /// itself, so that a rollback restores the old ones.
    pub fn ownership_commands(&self) -> Vec<PlannedCommand> {
        let Some(set) = &self.set else { return Vec::new() };
        vec![
            PlannedCommand::new("chown", &[&format!("{}:{}", set.user, set.group), &self.path]),
            PlannedCommand::new("chmod", &[&format!("{:o}", set.mode), &self.path]),
        ]
    }

    /// The unified diff, with every line that sets a secret redacted.
    pub fn diff(&self) -> String {
        let before = self.before.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
        let after = String::from_utf8_lossy(&self.after);
        let old_name =
            if self.before.is_some() { format!("a{}", self.path) } else { "/dev/null".to_owned() };
        let new_name = format!("b{}", self.path);
        // Diffed first and redacted line by line after, so that a line whose
        // only change is its secret still shows as changed.
        let raw = TextDiff::from_lines(&before, &after)
            .unified_diff()
            .context_radius(3)
            .header(&old_name, &new_name)
            .to_string();
        let mut diff = redact_lines(&self.hide_secrets(&raw));
        for command in self.ownership_commands() {
            let _ = writeln!(diff, "$ {}", command.display());
        }
        diff
    }

    fn hide_secrets(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in self.secrets.iter().filter(|s| !s.is_empty()) {
            text = text.replace(secret.as_str(), "«redacted»");
        }
        text
    }
}

fn redact_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        out.push_str(&redact::printable(&redact::redact_line(body)));
        out.push_str(end);
    }
    out
}

/// A command the plan runs on the live system (root `/` only), shown
/// exactly as it will run, with secrets already left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedCommand {
    pub program: String,
    pub args: Vec<String>,
    /// Run as this user (the site's user) rather than as the invoker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as: Option<String>,
}

impl PlannedCommand {
    pub fn new(program: impl Into<String>, args: &[&str]) -> Self {
        PlannedCommand {
            program: program.into(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            run_as: None,
        }
    }

    /// The command line as an operator would type it.
    pub fn display(&self) -> String {
        let mut line = String::new();
        if let Some(user) = &self.run_as {
            let _ = write!(line, "runuser -u {user} -- ");
        }
        line.push_str(&shell_quote(&self.program));
        for arg in &self.args {
            line.push(' ');
            line.push_str(&shell_quote(arg));
        }
        line
    }
}

fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain { word.to_owned() } else { format!("'{}'", word.replace('\'', "'\\''")) }
}

/// How the program that owns a file checks an edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Validator {
    /// Python compiles the edited file.
    PythonCompile { file: String },
    /// `manage.py check` reports no new errors.
    DjangoCheck,
    /// `apache2ctl -t` accepts the configuration (on the live system; under
    /// another root, the `apache2` binary on the tree where that can work).
    ApacheConfigTest,
    /// A graceful reload of Apache on the live system, after the plan's
    /// commands, and Apache must still run afterwards.
    ApacheReload,
    /// `logrotate -d` reports no error it did not report before the edit.
    /// Under `/` the whole configuration is read (`config`), with `known`
    /// the errors it gave when the plan was made; under another root only
    /// the drop-in `file` is, since the rest names the host's files.
    LogrotateDebug {
        file: String,
        config: String,
        #[serde(default)]
        known: Vec<String>,
    },
}

impl Validator {
    /// What the validator does, in the operator's words.
    pub fn describe(&self) -> String {
        match self {
            Validator::PythonCompile { file } => format!("Python compiles {file}"),
            Validator::DjangoCheck => "manage.py check".to_owned(),
            Validator::ApacheConfigTest => {
                "Apache's own configuration test (apache2ctl -t)".to_owned()
            }
            Validator::ApacheReload => {
                "a graceful reload of Apache, which must still run after it".to_owned()
            }
            Validator::LogrotateDebug { file, .. } => format!("logrotate -d with {file}"),
        }
    }

    /// True for a step that must come after the plan's commands (a reload
    /// takes in what an install or an edit changed).
    pub fn runs_after_commands(&self) -> bool {
        matches!(self, Validator::ApacheReload)
    }
}

/// A relative symlink the plan creates (as `a2enmod` and `a2enconf` do);
/// rolling back removes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedLink {
    /// The link, as named inside the target.
    pub path: String,
    /// What it points to, as written in the link (`../conf-available/x.conf`).
    pub target: String,
}

/// A step of a staged path: a gentler value first, the final one later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedStep {
    pub name: String,
    /// When the next step is due, counted from when this one is applied.
    pub next_after_days: u32,
    /// What the operator is reminded to do then.
    pub reminder: String,
}

/// A fix made concrete for this target.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub item_id: String,
    /// One line: what the plan does.
    pub title: String,
    pub edits: Vec<FileEdit>,
    /// Symlinks created after the edits (none of them exists yet).
    pub links: Vec<PlannedLink>,
    /// Run after the edits, on the live system only.
    pub commands: Vec<PlannedCommand>,
    /// Steps the operator must take by hand (a package install under a root
    /// that is not `/`), in order. A plan with steps applies nothing that
    /// depends on them.
    pub operator_steps: Vec<String>,
    /// What could go wrong, said before anything happens.
    pub warnings: Vec<String>,
    /// Items whose fixes must be applied first.
    pub requires: Vec<String>,
    pub validators: Vec<Validator>,
    pub staged: Option<StagedStep>,
    /// Why nothing of this plan may be applied here (a prerequisite that
    /// cannot run under this root): its edits are shown as steps only.
    pub blocked: Option<String>,
    /// False when the item cannot pass after this plan alone (the package
    /// install is a step for the operator): the edits apply, the item stays
    /// failing, and the re-check is not a reason to roll back.
    pub completes: bool,
}

impl Plan {
    pub fn new(item_id: impl Into<String>, title: impl Into<String>) -> Self {
        Plan { item_id: item_id.into(), title: title.into(), completes: true, ..Plan::default() }
    }

    /// True when applying this plan would change nothing.
    pub fn is_empty(&self) -> bool {
        !self.edits.iter().any(FileEdit::changes)
            && self.commands.is_empty()
            && self.links.is_empty()
    }

    /// The plan as text: title, warnings, diffs, commands and manual steps.
    pub fn render(&self) -> String {
        let mut out = format!("# {}: {}\n", self.item_id, self.title);
        for warning in &self.warnings {
            let _ = writeln!(out, "! {warning}");
        }
        for required in &self.requires {
            let _ = writeln!(out, "  after: {required}");
        }
        for edit in &self.edits {
            out.push_str(&edit.diff());
        }
        for link in &self.links {
            let _ = writeln!(out, "+ link {} -> {}", link.path, link.target);
        }
        for command in &self.commands {
            let _ = writeln!(out, "$ {}", command.display());
        }
        for validator in &self.validators {
            let _ = writeln!(out, "  check: {}", validator.describe());
        }
        if let Some(why) = &self.blocked {
            let _ = writeln!(out, "  not applied here: {why}");
        }
        for step in &self.operator_steps {
            let _ = writeln!(out, "  by hand: {step}");
        }
        if let Some(staged) = &self.staged {
            let _ = writeln!(
                out,
                "  staged: {} (next step in {} days: {})",
                staged.name, staged.next_after_days, staged.reminder
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diff_names_the_inside_path_and_hides_secrets() {
        let edit = FileEdit::change(
            "/srv/app/.env",
            b"DEBUG=True\nSECRET_KEY=old-secret-value\n".to_vec(),
            b"DEBUG=False\nSECRET_KEY=new-secret-value\n".to_vec(),
        );
        let diff = edit.diff();
        assert!(diff.contains("--- a/srv/app/.env"), "{diff}");
        assert!(diff.contains("+DEBUG=False"), "{diff}");
        assert!(!diff.contains("secret-value"), "{diff}");
    }

    #[test]
    fn a_mode_and_owner_change_is_a_change_shown_as_commands() {
        let mut edit = FileEdit::change("/srv/app/.env", b"A=1\n".to_vec(), b"A=1\n".to_vec());
        let mut plan = Plan::new("maint.env-permissions", "chmod");
        plan.edits.push(edit.clone());
        assert!(plan.is_empty());
        edit.set = Some(Ownership {
            mode: 0o600,
            uid: 1001,
            gid: 1001,
            user: "app".to_owned(),
            group: "app".to_owned(),
        });
        plan.edits[0] = edit;
        assert!(!plan.is_empty());
        let text = plan.render();
        assert!(
            text.contains("$ chown app:app /srv/app/.env\n$ chmod 600 /srv/app/.env\n"),
            "{text}"
        );
    }

    #[test]
    fn a_changed_secret_shows_as_a_changed_line() {
        let mut edit = FileEdit::change(
            "/srv/app/.env",
            b"DEBUG=False\nDJANGO_SECRET_KEY=old-secret-value\n".to_vec(),
            b"DEBUG=False\nDJANGO_SECRET_KEY=new-secret-value\n".to_vec(),
        );
        edit.secrets = vec!["old-secret-value".to_owned(), "new-secret-value".to_owned()];
        let diff = edit.diff();
        assert!(
            diff.contains("-DJANGO_SECRET_KEY= «redacted»\n+DJANGO_SECRET_KEY= «redacted»\n"),
            "{diff}"
        );
        assert!(!diff.contains("secret-value"), "{diff}");
    }

    #[test]
    fn a_secret_on_a_line_of_its_own_is_hidden() {
        let mut edit = FileEdit::change(
            "/srv/app/settings.py",
            b"K = get(\n    \"X\",\n    \"hunter2-long-secret\",\n)\n".to_vec(),
            b"K = env(\"X\")\n".to_vec(),
        );
        assert!(edit.diff().contains("hunter2"));
        edit.secrets.push("hunter2-long-secret".to_owned());
        let diff = edit.diff();
        assert!(!diff.contains("hunter2"), "{diff}");
        assert!(diff.contains("-    \"«redacted»\","), "{diff}");
    }

    #[test]
    fn commands_are_shown_quoted_as_typed() {
        let mut command = PlannedCommand::new("pip", &["install", "django-csp==4.0", "it's"]);
        command.run_as = Some("aijack".to_owned());
        assert_eq!(
            command.display(),
            "runuser -u aijack -- pip install django-csp==4.0 'it'\\''s'"
        );
    }
}
