//! Progress that survives: what portcullis knows about one target between
//! sessions. Item results, skips, waivers, confirmations, the journal of
//! applied fixes, staged steps and where the operator was.
//!
//! The state is saved as JSON (see [`store`]) after every change. It never
//! holds a secret: evidence arrives redacted, and the diffs of the journal are
//! redacted again here before they are kept. Backups of the exact bytes live
//! in their own directory, not in this file.

mod digest;
pub mod drift;
pub mod lock;
mod migrate;
pub mod open;
pub mod prune;
pub mod store;

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::finding::{Evidence, Finding, Status};
use crate::target::Target;

pub use digest::digest;
pub use drift::{Drift, DriftKind};
pub use lock::{LockError, LockHolder, TargetLock};
pub use open::{KnownState, LockedState, OpenError, known_states};
pub use prune::{PruneReport, parse_age};
pub use store::{StateError, StateLocation};

/// The version of the state file this build writes. Older files are migrated
/// on load; newer ones are refused (a newer portcullis wrote them).
pub const FORMAT_VERSION: u32 = 2;

/// How an item stands, as the state tracks it: a check's verdict, or what
/// the operator did about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ItemStatus {
    /// Not checked yet, or checked so long ago that it must be again (an
    /// expired waiver, a file changed by hand).
    Pending,
    Pass,
    Fail,
    Unknown,
    /// Passes because portcullis fixed it; the journal says how to undo it.
    Fixed,
    Skipped,
    Waived,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Pending => "pending",
            ItemStatus::Pass => "pass",
            ItemStatus::Fail => "fail",
            ItemStatus::Unknown => "unknown",
            ItemStatus::Fixed => "fixed",
            ItemStatus::Skipped => "skipped",
            ItemStatus::Waived => "waived",
        }
    }
}

impl std::fmt::Display for ItemStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Status> for ItemStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Pass => ItemStatus::Pass,
            Status::Fail => ItemStatus::Fail,
            Status::Unknown => ItemStatus::Unknown,
            Status::Skipped => ItemStatus::Skipped,
            Status::Waived => ItemStatus::Waived,
        }
    }
}

/// The last thing known about one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemState {
    /// What the last check or fix said: pending, pass, fail, unknown or fixed.
    /// Skips, waivers and confirmations are kept apart and applied by
    /// [`StateFile::effective_status`].
    pub status: ItemStatus,
    /// When `status` was last set.
    pub at: Timestamp,
    /// False when the item does not apply to this target.
    #[serde(default = "yes")]
    pub applies: bool,
    /// The finding's one-line summary.
    #[serde(default)]
    pub summary: String,
    /// Why the item is unknown or does not apply, or why it became pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The evidence of the last check, redacted.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// When portcullis last fixed this item (kept after later checks pass).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_at: Option<Timestamp>,
}

fn yes() -> bool {
    true
}

/// An item set aside for this session only, with the operator's reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skip {
    pub reason: String,
    pub at: Timestamp,
    /// The session it was made in; a skip does not outlive its session.
    pub session: u32,
}

/// An accepted risk: reports show the item as waived, with who and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    pub reason: String,
    pub who: String,
    pub at: Timestamp,
    /// The last day the waiver holds; from the next day the item is pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Date>,
}

impl Waiver {
    /// True once the day after `expires` has begun in this machine's zone.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires.is_some_and(|last_day| local_date(now) > last_day)
    }
}

/// The operator's word that a manual item (the log review) was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    pub who: String,
    pub at: Timestamp,
    pub note: String,
}

/// One applied fix: what changed, the backups to undo it, the commands run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The entry's number, unique within this state file; assigned by
    /// [`StateFile::record_fix`].
    #[serde(default)]
    pub seq: u64,
    pub item: String,
    pub applied: Timestamp,
    /// The session the fix was applied in.
    #[serde(default)]
    pub session: u32,
    /// Unified diffs, one per file, secrets redacted.
    #[serde(default)]
    pub diffs: Vec<FileDiff>,
    #[serde(default)]
    pub backups: Vec<Backup>,
    #[serde(default)]
    pub commands: Vec<CommandRun>,
    /// Symbolic links the fix created (`conf-enabled/…`, `mods-enabled/…`);
    /// rolling back removes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<crate::fix::CreatedLink>,
    /// Set when the fix was rolled back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolled_back: Option<Timestamp>,
    /// Set when `prune` removed this entry's backups: it can no longer be
    /// rolled back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backups_pruned: Option<Timestamp>,
}

impl JournalEntry {
    /// A fix of `item` applied at `applied`, with no files or commands yet.
    pub fn new(item: impl Into<String>, applied: Timestamp) -> Self {
        JournalEntry {
            seq: 0,
            item: item.into(),
            applied,
            session: 0,
            diffs: Vec::new(),
            backups: Vec::new(),
            commands: Vec::new(),
            links: Vec::new(),
            rolled_back: None,
            backups_pruned: None,
        }
    }

    /// Still in effect: neither rolled back nor superseded by a rollback.
    pub fn is_live(&self) -> bool {
        self.rolled_back.is_none()
    }

    /// In effect and its backups are still there to undo it.
    pub fn can_roll_back(&self) -> bool {
        self.is_live() && self.backups_pruned.is_none()
    }
}

/// The change made to one file, as the operator was shown it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDiff {
    /// The file as it is named inside the target.
    pub path: String,
    /// A unified diff, secrets redacted.
    pub diff: String,
}

/// What is needed to put one file back as it was before a fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backup {
    /// The file as it is named inside the target.
    pub original: String,
    /// Where the copy of the original bytes is, on this machine; `None` when
    /// the file did not exist before (rolling back removes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<std::path::PathBuf>,
    /// Digest of the bytes before the fix, `None` when the file was new.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_sha256: Option<String>,
    /// Digest of the bytes the fix wrote, `None` when the fix removed the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_sha256: Option<String>,
    /// Mode, owner and group of the original (of the written file when new).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Whether the file existed before the fix.
    pub existed: bool,
}

/// A command a fix ran (or showed the operator to run under another root).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRun {
    pub command: String,
    /// The exit status; `None` when the command was only shown, or killed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i32>,
}

/// A later step the operator chose to take (drop the old `SECRET_KEY` fallback,
/// raise a trial HSTS max-age, turn `mod_security` from `DetectionOnly` to `On`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedStep {
    pub item: String,
    /// A short name for the step (`hsts-full-year`).
    pub step: String,
    /// When the step becomes due.
    pub due: Timestamp,
    /// What to tell the operator when it is due.
    pub reminder: String,
    /// Set when the step was taken; it is then no longer reminded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<Timestamp>,
}

/// The result of an item at its first check, for before/after counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub status: ItemStatus,
    pub applies: bool,
    pub at: Timestamp,
}

/// Where the operator was in the walk-through.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Position {
    pub section: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
}

/// The number and start of the current session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub number: u32,
    pub started: Timestamp,
}

/// Everything portcullis keeps about one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateFile {
    pub format_version: u32,
    /// The target, so that a resumed session needs no flags.
    pub target: Target,
    pub created: Timestamp,
    pub updated: Timestamp,
    pub session: Session,
    #[serde(default)]
    pub items: BTreeMap<String, ItemState>,
    #[serde(default)]
    pub skips: BTreeMap<String, Skip>,
    #[serde(default)]
    pub waivers: BTreeMap<String, Waiver>,
    #[serde(default)]
    pub confirmations: BTreeMap<String, Confirmation>,
    #[serde(default)]
    pub journal: Vec<JournalEntry>,
    #[serde(default)]
    pub staged: Vec<StagedStep>,
    /// Each item's result at its first check.
    #[serde(default)]
    pub baseline: BTreeMap<String, BaselineEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
}

/// A session operation the state refuses, in the operator's words.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChangeError {
    #[error("skipping {0} needs a reason (--reason \"...\")")]
    SkipWithoutReason(String),
    #[error("waiving {0} needs a reason (--reason \"...\")")]
    WaiverWithoutReason(String),
    #[error("confirming {0} needs a note saying what was checked (--note \"...\")")]
    ConfirmationWithoutNote(String),
    #[error("the waiver for {id} would expire on {expires}, which has already passed")]
    WaiverAlreadyExpired { id: String, expires: Date },
}

impl StateFile {
    /// A fresh state for `target`, at session 1.
    pub fn new(target: Target, now: Timestamp) -> Self {
        StateFile {
            format_version: FORMAT_VERSION,
            target,
            created: now,
            updated: now,
            session: Session { number: 1, started: now },
            items: BTreeMap::new(),
            skips: BTreeMap::new(),
            waivers: BTreeMap::new(),
            confirmations: BTreeMap::new(),
            journal: Vec::new(),
            staged: Vec::new(),
            baseline: BTreeMap::new(),
            position: None,
        }
    }

    /// Starts a new session (the TUI starting or resuming): skips of earlier
    /// sessions stop applying. Headless commands run inside the current
    /// session and do not call this.
    pub fn begin_session(&mut self, now: Timestamp) {
        self.session = Session { number: self.session.number + 1, started: now };
        let current = self.session.number;
        self.skips.retain(|_, skip| skip.session == current);
        self.updated = now;
    }

    /// Keeps the results of a check. The first result of each item becomes
    /// its baseline. A pass after a fix stays `fixed`. Findings whose status
    /// is `skipped` or `waived` are ignored: those come from [`Self::skip`]
    /// and [`Self::waive`].
    pub fn record_findings(&mut self, findings: &[Finding], now: Timestamp) {
        // Skips and waivers are the operator's, kept apart; a finding that
        // claims one says nothing about the item itself.
        let checked =
            findings.iter().filter(|f| !matches!(f.status, Status::Skipped | Status::Waived));
        for finding in checked {
            let mut status = ItemStatus::from(finding.status);
            let previous = self.items.get(&finding.id);
            let fixed_at = previous.and_then(|item| item.fixed_at);
            let live_fix = self.journal.iter().any(|e| e.item == finding.id && e.is_live());
            if status == ItemStatus::Pass && finding.applies && fixed_at.is_some() && live_fix {
                status = ItemStatus::Fixed;
            }

            self.baseline.entry(finding.id.clone()).or_insert(BaselineEntry {
                status: ItemStatus::from(finding.status),
                applies: finding.applies,
                at: now,
            });

            self.items.insert(
                finding.id.clone(),
                ItemState {
                    status,
                    at: now,
                    applies: finding.applies,
                    summary: crate::redact::redact_line(&finding.summary),
                    reason: finding.reason.as_deref().map(crate::redact::redact_line),
                    evidence: finding.evidence.iter().map(redact_evidence).collect(),
                    fixed_at,
                },
            );
        }
        self.updated = now;
    }

    /// Adds an applied fix to the journal and marks its item fixed. Diffs
    /// are redacted once more, line by line, before they are kept. Returns
    /// the entry's number.
    pub fn record_fix(&mut self, mut entry: JournalEntry) -> u64 {
        entry.seq = self.journal.iter().map(|e| e.seq).max().unwrap_or(0) + 1;
        entry.session = self.session.number;
        for diff in &mut entry.diffs {
            diff.diff = redact_diff(&diff.diff);
        }
        for command in &mut entry.commands {
            command.command = crate::redact::redact_line(&command.command);
        }

        let at = entry.applied;
        let item = self.items.entry(entry.item.clone()).or_insert_with(|| ItemState {
            status: ItemStatus::Pending,
            at,
            applies: true,
            summary: String::new(),
            reason: None,
            evidence: Vec::new(),
            fixed_at: None,
        });
        item.status = ItemStatus::Fixed;
        item.at = at;
        item.fixed_at = Some(at);
        item.reason = None;

        let seq = entry.seq;
        self.journal.push(entry);
        self.updated = at;
        seq
    }

    /// Marks journal entry `seq` rolled back; its item is pending until it is
    /// checked again. Returns false when there is no such live entry.
    pub fn record_rollback(&mut self, seq: u64, now: Timestamp) -> bool {
        let Some(entry) = self.journal.iter_mut().find(|e| e.seq == seq && e.is_live()) else {
            return false;
        };
        entry.rolled_back = Some(now);
        let item_id = entry.item.clone();
        self.mark_pending(&item_id, "its fix was rolled back", now);
        true
    }

    /// The newest live journal entry of `item`: what `portcullis rollback`
    /// would undo.
    pub fn last_fix(&self, item: &str) -> Option<&JournalEntry> {
        self.journal.iter().rev().find(|e| e.item == item && e.is_live())
    }

    /// Sets `id` aside for this session. The reason is required.
    pub fn skip(&mut self, id: &str, reason: &str, now: Timestamp) -> Result<(), ChangeError> {
        let reason = clean_text(reason);
        if reason.is_empty() {
            return Err(ChangeError::SkipWithoutReason(id.to_owned()));
        }
        let session = self.session.number;
        self.skips.insert(id.to_owned(), Skip { reason, at: now, session });
        self.updated = now;
        Ok(())
    }

    /// Takes a skip back (the operator changed their mind).
    pub fn unskip(&mut self, id: &str, now: Timestamp) -> bool {
        let removed = self.skips.remove(id).is_some();
        if removed {
            self.updated = now;
        }
        removed
    }

    /// Accepts the risk of `id`, with a reason, who accepted it and an
    /// optional last day. A waiver already past its last day is refused.
    pub fn waive(
        &mut self,
        id: &str,
        reason: &str,
        who: &str,
        expires: Option<Date>,
        now: Timestamp,
    ) -> Result<(), ChangeError> {
        let reason = clean_text(reason);
        if reason.is_empty() {
            return Err(ChangeError::WaiverWithoutReason(id.to_owned()));
        }
        let waiver = Waiver { reason, who: clean_text(who), at: now, expires };
        if let Some(expires) = expires.filter(|_| waiver.is_expired(now)) {
            return Err(ChangeError::WaiverAlreadyExpired { id: id.to_owned(), expires });
        }
        self.waivers.insert(id.to_owned(), waiver);
        self.updated = now;
        Ok(())
    }

    /// Confirms a manual item, with a note on what was checked.
    pub fn confirm(
        &mut self,
        id: &str,
        note: &str,
        who: &str,
        now: Timestamp,
    ) -> Result<(), ChangeError> {
        let note = clean_text(note);
        if note.is_empty() {
            return Err(ChangeError::ConfirmationWithoutNote(id.to_owned()));
        }
        self.confirmations
            .insert(id.to_owned(), Confirmation { who: clean_text(who), at: now, note });
        self.updated = now;
        Ok(())
    }

    /// Remembers a later step the operator chose.
    pub fn stage(&mut self, step: StagedStep, now: Timestamp) {
        self.staged.retain(|s| !(s.item == step.item && s.step == step.step && s.done.is_none()));
        self.staged.push(step);
        self.updated = now;
    }

    /// Marks a staged step done; returns false when there was none pending.
    pub fn complete_step(&mut self, item: &str, step: &str, now: Timestamp) -> bool {
        let found =
            self.staged.iter_mut().find(|s| s.item == item && s.step == step && s.done.is_none());
        if let Some(found) = found {
            found.done = Some(now);
            self.updated = now;
            true
        } else {
            false
        }
    }

    /// Staged steps not yet taken whose time has come.
    pub fn due_steps(&self, now: Timestamp) -> impl Iterator<Item = &StagedStep> {
        self.staged.iter().filter(move |s| s.done.is_none() && s.due <= now)
    }

    /// Records where the operator is in the walk-through.
    pub fn set_position(&mut self, position: Position, now: Timestamp) {
        self.position = Some(position);
        self.updated = now;
    }

    /// Makes an item pending again, with the reason (a file changed by hand,
    /// an expired waiver, a rollback): it has to be checked again.
    pub fn mark_pending(&mut self, id: &str, reason: &str, now: Timestamp) {
        if let Some(item) = self.items.get_mut(id) {
            item.status = ItemStatus::Pending;
            item.at = now;
            item.reason = Some(clean_text(reason));
        }
        self.updated = now;
    }

    /// How the item stands now, all things considered: a skip of this session
    /// first, then a waiver still in force (an expired one makes the item
    /// pending until it is checked again), then a confirmation of a manual
    /// item, then the last check or fix. An item never checked is pending.
    pub fn effective_status(&self, id: &str, now: Timestamp) -> ItemStatus {
        if self.skips.get(id).is_some_and(|s| s.session == self.session.number) {
            return ItemStatus::Skipped;
        }
        let known = self.items.get(id);
        if let Some(waiver) = self.waivers.get(id) {
            if !waiver.is_expired(now) {
                return ItemStatus::Waived;
            }
            // Expired: pending until a check made after the last day says more.
            let checked_since = known.is_some_and(|item| waiver.is_expired(item.at));
            if !checked_since {
                return ItemStatus::Pending;
            }
        }
        let checked = known.map_or(ItemStatus::Pending, |item| item.status);
        let confirmed = self.confirmations.contains_key(id);
        if confirmed && matches!(checked, ItemStatus::Unknown | ItemStatus::Pending) {
            return ItemStatus::Pass;
        }
        checked
    }

    /// Waivers whose last day has passed, for a notice at the start of a
    /// session.
    pub fn expired_waivers(&self, now: Timestamp) -> impl Iterator<Item = (&String, &Waiver)> {
        self.waivers.iter().filter(move |(_, w)| w.is_expired(now))
    }
}

/// The name of the person running portcullis, for waivers and confirmations:
/// the login name of the real user (`SUDO_USER` when run through sudo).
pub fn current_operator() -> String {
    if let Ok(name) = std::env::var("SUDO_USER")
        && !name.trim().is_empty()
    {
        return clean_text(&name);
    }
    let uid = nix::unistd::getuid();
    match nix::unistd::User::from_uid(uid) {
        Ok(Some(user)) => user.name,
        _ => format!("uid {uid}"),
    }
}

/// Hides the password of a `scheme://user:password@host` URL (in a command
/// line or the target's URL); anything else is returned as it is.
pub fn hide_url_password(arg: &str) -> String {
    let Some(scheme_end) = arg.find("://") else { return arg.to_owned() };
    let rest = &arg[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else { return arg.to_owned() };
    let Some(colon) = authority[..at].find(':') else { return arg.to_owned() };
    format!(
        "{}{}:«redacted»{}",
        &arg[..scheme_end + 3],
        &authority[..colon],
        &arg[scheme_end + 3 + at..]
    )
}

/// The calendar date of `now` in this machine's time zone.
pub fn local_date(now: Timestamp) -> Date {
    now.to_zoned_datetime(jiff::tz::TimeZone::system()).date()
}

/// Operator-typed text: control characters made visible, ends trimmed.
fn clean_text(text: &str) -> String {
    crate::redact::printable(text.trim())
}

fn redact_evidence(evidence: &Evidence) -> Evidence {
    Evidence { text: crate::redact::redact_line(&evidence.text), ..evidence.clone() }
}

/// Redacts every added, removed and context line of a unified diff.
fn redact_diff(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len());
    for line in diff.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let shown = match body.chars().next() {
            Some(mark @ ('+' | '-' | ' '))
                if !body.starts_with("+++") && !body.starts_with("---") =>
            {
                format!("{mark}{}", crate::redact::redact_line(&body[1..]))
            }
            _ => body.to_owned(),
        };
        out.push_str(&shown);
        out.push_str(end);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a valid timestamp")
    }

    fn state() -> StateFile {
        StateFile::new(Target::at_root("/tmp/demo"), at("2026-12-01T10:00:00Z"))
    }

    #[test]
    fn skip_needs_a_reason_and_lasts_one_session() {
        let mut state = state();
        let now = at("2026-12-01T10:05:00Z");
        assert_eq!(
            state.skip("django.hsts-preload", "  ", now),
            Err(ChangeError::SkipWithoutReason("django.hsts-preload".into()))
        );
        state.skip("django.hsts-preload", "ask the web team first", now).expect("skip");
        assert_eq!(state.effective_status("django.hsts-preload", now), ItemStatus::Skipped);

        state.begin_session(at("2026-12-02T09:00:00Z"));
        assert_eq!(state.effective_status("django.hsts-preload", now), ItemStatus::Pending);
        assert!(state.skips.is_empty());
    }

    #[test]
    fn waiver_holds_through_its_last_day_then_the_item_is_pending() {
        let mut state = state();
        let fail = Finding::fail("apache.tls-protocols", "TLSv1.1 still enabled");
        state.record_findings(&[fail], at("2026-12-01T10:00:00Z"));
        let last_day: Date = "2026-12-10".parse().expect("date");
        state
            .waive(
                "apache.tls-protocols",
                "legacy client",
                "alice",
                Some(last_day),
                at("2026-12-01T11:00:00Z"),
            )
            .expect("waive");

        assert_eq!(
            state.effective_status("apache.tls-protocols", at("2026-12-10T06:00:00Z")),
            ItemStatus::Waived
        );
        assert_eq!(
            state.effective_status("apache.tls-protocols", at("2026-12-12T12:00:00Z")),
            ItemStatus::Pending
        );
        assert_eq!(state.expired_waivers(at("2026-12-12T12:00:00Z")).count(), 1);

        // Checked again after the last day, the check speaks for the item.
        let fail = Finding::fail("apache.tls-protocols", "TLSv1.1 still enabled");
        state.record_findings(&[fail], at("2026-12-13T12:00:00Z"));
        assert_eq!(
            state.effective_status("apache.tls-protocols", at("2026-12-13T12:00:01Z")),
            ItemStatus::Fail
        );
    }

    #[test]
    fn waiver_already_expired_is_refused() {
        let mut state = state();
        let last_day: Date = "2026-11-01".parse().expect("date");
        let refused = state.waive("x", "why", "bob", Some(last_day), at("2026-12-01T10:00:00Z"));
        assert!(matches!(refused, Err(ChangeError::WaiverAlreadyExpired { .. })));
    }

    #[test]
    fn baseline_keeps_the_first_result_and_a_pass_after_a_fix_stays_fixed() {
        let mut state = state();
        let id = "django.ssl-redirect";
        state.record_findings(&[Finding::fail(id, "not set")], at("2026-12-01T10:00:00Z"));
        state.record_fix(JournalEntry::new(id, at("2026-12-01T10:10:00Z")));
        state.record_findings(&[Finding::pass(id, "True")], at("2026-12-01T10:11:00Z"));

        assert_eq!(state.baseline[id].status, ItemStatus::Fail);
        assert_eq!(state.items[id].status, ItemStatus::Fixed);
        assert_eq!(state.items[id].fixed_at, Some(at("2026-12-01T10:10:00Z")));
        assert_eq!(state.last_fix(id).map(|e| e.seq), Some(1));

        assert!(state.record_rollback(1, at("2026-12-01T10:20:00Z")));
        assert_eq!(state.effective_status(id, at("2026-12-01T10:20:00Z")), ItemStatus::Pending);
    }

    #[test]
    fn confirmed_manual_item_passes() {
        let mut state = state();
        let id = "maint.logs-reviewed";
        state.record_findings(
            &[Finding::unknown(id, "a person has to read the log")],
            at("2026-12-01T10:00:00Z"),
        );
        assert_eq!(state.effective_status(id, at("2026-12-01T10:00:00Z")), ItemStatus::Unknown);
        state
            .confirm(id, "read last week's error.log", "carol", at("2026-12-01T10:30:00Z"))
            .expect("confirm");
        assert_eq!(state.effective_status(id, at("2026-12-01T10:30:00Z")), ItemStatus::Pass);
    }

    #[test]
    fn journal_diffs_lose_secret_literals() {
        let mut state = state();
        let mut entry = JournalEntry::new("maint.secret-key-source", at("2026-12-01T10:00:00Z"));
        entry.diffs.push(FileDiff {
            path: "/srv/app/config/settings.py".into(),
            diff: "--- a\n+++ b\n@@ -1 +1 @@\n-SECRET_KEY = 'hunter2-literal-value'\n+SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]\n".into(),
        });
        state.record_fix(entry);
        let kept = &state.journal[0].diffs[0].diff;
        assert!(!kept.contains("hunter2"), "{kept}");
        assert!(kept.contains("-SECRET_KEY = «redacted»"), "{kept}");
        assert!(kept.contains("+SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]"), "{kept}");
    }

    #[test]
    fn staged_step_is_reminded_once_due_until_done() {
        let mut state = state();
        let step = StagedStep {
            item: "django.hsts-seconds".into(),
            step: "hsts-full-year".into(),
            due: at("2026-12-08T10:00:00Z"),
            reminder: "raise SECURE_HSTS_SECONDS from 3600 to 31536000".into(),
            done: None,
        };
        state.stage(step, at("2026-12-01T10:00:00Z"));
        assert_eq!(state.due_steps(at("2026-12-07T10:00:00Z")).count(), 0);
        assert_eq!(state.due_steps(at("2026-12-08T10:00:00Z")).count(), 1);
        assert!(state.complete_step(
            "django.hsts-seconds",
            "hsts-full-year",
            at("2026-12-09T10:00:00Z")
        ));
        assert_eq!(state.due_steps(at("2026-12-09T10:00:00Z")).count(), 0);
    }
}
