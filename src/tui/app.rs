//! The interface's state and its one update step. Everything the operator
//! does and everything the engine, the state file and the fix pipeline report
//! arrives as an [`Action`]; [`update`] changes the [`App`] and returns the
//! [`Effect`]s the runtime must perform. No file, command or network work
//! happens here: that is what effects are for.

use std::collections::HashMap;
use std::time::Duration;

use crate::checklist::{Checklist, Fix, Reference, Severity};
use crate::finding::{Finding, Status};
use crate::target::Target;
use crate::tui::input::LineInput;

/// Waivers that expire within this many days are called out.
pub const EXPIRY_WARNING_DAYS: i32 = 14;

/// The screens, in the order an operator meets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Start,
    Overview,
    Walk,
    Staged,
    Applying,
    Journal,
    Finish,
}

/// One of the five things that describe a target, each correctable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetField {
    Root,
    Project,
    Settings,
    ApacheRoot,
    Url,
}

impl TargetField {
    pub const ALL: [TargetField; 5] = [
        TargetField::Root,
        TargetField::Project,
        TargetField::Settings,
        TargetField::ApacheRoot,
        TargetField::Url,
    ];

    pub fn label(self) -> &'static str {
        match self {
            TargetField::Root => "root",
            TargetField::Project => "project",
            TargetField::Settings => "settings module",
            TargetField::ApacheRoot => "Apache root",
            TargetField::Url => "URL",
        }
    }
}

/// The target as discovered, as text for the Start screen. `None` means
/// discovery found nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetView {
    pub root: String,
    pub project: Option<String>,
    pub settings: Option<String>,
    pub apache_root: Option<String>,
    pub url: Option<String>,
}

impl TargetView {
    pub fn from_target(target: &Target) -> Self {
        TargetView {
            root: target.root.display().to_string(),
            project: target.project.as_ref().map(|p| p.display().to_string()),
            settings: target.settings.clone(),
            apache_root: Some(target.apache_root.display().to_string()),
            url: target.url.clone(),
        }
    }

    pub fn get(&self, field: TargetField) -> Option<&str> {
        match field {
            TargetField::Root => Some(&self.root),
            TargetField::Project => self.project.as_deref(),
            TargetField::Settings => self.settings.as_deref(),
            TargetField::ApacheRoot => self.apache_root.as_deref(),
            TargetField::Url => self.url.as_deref(),
        }
    }
}

/// What a saved session for this target holds, offered on the Start screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeOffer {
    /// When it was last saved, as the operator should read it.
    pub saved_at: String,
    /// Items decided (passed, fixed, skipped, waived, confirmed) of all.
    pub done: usize,
    pub total: usize,
    /// The item the operator was on.
    pub position: Option<String>,
    /// What changed on the target since (files edited outside portcullis).
    pub changed: Vec<String>,
    /// The items whose fix is applied and live in the journal, with when:
    /// they count as fixed whether or not the operator resumes, since the
    /// change is on the target either way.
    pub fixed: Vec<(String, String)>,
}

/// A decision about an item that outlives one run: kept in the state file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    Fixed { at: String },
    Skipped { reason: String },
    Waived { reason: String, expires: Option<jiff::civil::Date> },
    Confirmed { note: String },
}

/// Whether an item's probe has run in this session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Waiting,
    Running,
    Done,
}

/// How an item is shown: its finding, overridden by the operator's mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Waiting,
    Running,
    Status(Status),
    Fixed,
    Confirmed,
}

/// Where a fix can go in two steps (HSTS trial max-age, CSP report-only,
/// `ModSecurity` `DetectionOnly`): the gentle first step and the final one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedPath {
    pub first: String,
    pub last: String,
    /// When the final step is due after the first, in the operator's words.
    pub next_step: String,
}

/// A fix made concrete for this target, as the fix pipeline describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanView {
    /// One line: what the plan changes.
    pub summary: String,
    /// Unified diffs of every file edit (`--- a/…`, `+++ b/…`, hunks).
    pub diff: String,
    /// The exact commands, in order.
    pub commands: Vec<String>,
    pub warnings: Vec<String>,
    /// Steps the operator takes by hand (a package install under a root
    /// that is not `/`), in order.
    pub operator_steps: Vec<String>,
    /// Why nothing of this plan may be applied here; the apply key says so.
    pub blocked: Option<String>,
    pub staged: Option<StagedPath>,
}

impl PlanView {
    /// The files the diff changes, named as in its `+++` headers.
    pub fn files(&self) -> Vec<String> {
        self.diff
            .lines()
            .filter_map(|line| line.strip_prefix("+++ "))
            .map(|name| name.trim_start_matches("b/").trim().to_owned())
            .filter(|name| name != "/dev/null")
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanState {
    Preparing,
    Ready(PlanView),
    Unavailable(String),
}

/// Which step of a staged path to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixChoice {
    Final,
    Staged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    Pending,
    Running,
    Done,
    Failed,
    Skipped,
}

/// One step of the apply pipeline as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyStep {
    pub name: String,
    pub status: StepStatus,
    /// A line of detail: the backup's path, the validator's verdict.
    pub detail: Option<String>,
}

/// The step that undoes a failed apply, when the pipeline reports it.
pub const ROLLBACK_STEP: &str = "roll back";

/// The pipeline's steps in order; the pipeline may report others too.
pub const APPLY_STEPS: [&str; 6] =
    ["backup", "write", "validate", "reload", "re-check", "live probe"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// Applied and verified; `finding` is the re-check's result.
    Applied { at: String, finding: Option<Finding> },
    /// A step failed and every change was undone.
    RolledBack { failed_step: String, message: String, validator_output: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyRun {
    pub id: String,
    pub choice: FixChoice,
    pub steps: Vec<ApplyStep>,
    pub outcome: Option<ApplyOutcome>,
}

impl ApplyRun {
    pub fn in_progress(&self) -> bool {
        self.outcome.is_none()
    }
}

/// One applied plan in the journal, which the Journal screen can undo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRow {
    pub entry: String,
    pub item_id: String,
    pub applied_at: String,
    pub files: Vec<String>,
    pub rolled_back: bool,
}

/// One item of the checklist and what this session knows about it.
#[derive(Debug, Clone)]
pub struct ItemRow {
    pub id: String,
    pub section: usize,
    pub topic: String,
    pub title: String,
    pub severity: Severity,
    pub why: String,
    pub references: Vec<Reference>,
    pub manual: bool,
    /// The checklist's fix in one line, until the pipeline makes a plan.
    pub fix: Option<String>,
    /// The staged path the checklist gives the fix, if any.
    pub staged: Option<StagedPath>,
    pub progress: Progress,
    pub finding: Option<Finding>,
    pub mark: Option<Mark>,
}

impl ItemRow {
    pub fn outcome(&self) -> Outcome {
        match (&self.mark, self.progress, &self.finding) {
            (_, Progress::Running, _) => Outcome::Running,
            (Some(Mark::Fixed { .. }), _, _) => Outcome::Fixed,
            (Some(Mark::Skipped { .. }), _, _) => Outcome::Status(Status::Skipped),
            (Some(Mark::Waived { .. }), _, _) => Outcome::Status(Status::Waived),
            (Some(Mark::Confirmed { .. }), _, _) => Outcome::Confirmed,
            (None, _, Some(finding)) => Outcome::Status(finding.status),
            (None, _, None) => Outcome::Waiting,
        }
    }

    /// Failing and not yet decided by the operator.
    pub fn needs_attention(&self) -> bool {
        matches!(self.outcome(), Outcome::Status(Status::Fail | Status::Unknown))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionInfo {
    pub id: String,
    pub title: String,
}

/// Counts of one section (or all) for the progress bars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: usize,
    pub done: usize,
    pub pass: usize,
    pub fail: usize,
    pub unknown: usize,
    pub fixed: usize,
    pub skipped: usize,
    pub waived: usize,
}

impl Counts {
    fn add(&mut self, outcome: Outcome) {
        self.total += 1;
        match outcome {
            Outcome::Waiting | Outcome::Running => return,
            Outcome::Status(Status::Pass) | Outcome::Confirmed => self.pass += 1,
            Outcome::Status(Status::Fail) => self.fail += 1,
            Outcome::Status(Status::Unknown) => self.unknown += 1,
            Outcome::Status(Status::Skipped) => self.skipped += 1,
            Outcome::Status(Status::Waived) => self.waived += 1,
            Outcome::Fixed => self.fixed += 1,
        }
        self.done += 1;
    }
}

/// A question that must be answered yes or no before anything happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub kind: ConfirmKind,
    pub title: String,
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmKind {
    Apply { id: String, choice: FixChoice },
    Rollback { entry: String },
    QuitAfterApply,
}

/// A line of text the operator is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: LineInput,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    SkipReason { id: String },
    WaiveReason { id: String },
    WaiveExpiry { id: String, reason: String },
    ConfirmNote { id: String },
    TargetField(TargetField),
}

impl PromptKind {
    pub fn label(&self) -> String {
        match self {
            PromptKind::SkipReason { .. } => "Why skip this item? (required)".to_owned(),
            PromptKind::WaiveReason { .. } => "Why waive this item? (required)".to_owned(),
            PromptKind::WaiveExpiry { .. } => {
                "Waiver expires on (YYYY-MM-DD, empty for never)".to_owned()
            }
            PromptKind::ConfirmNote { .. } => "What did you check? (note, required)".to_owned(),
            PromptKind::TargetField(field) => format!("Correct the {}", field.label()),
        }
    }
}

/// The jump list: type to filter every item by id or title.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Jump {
    pub input: LineInput,
    pub cursor: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help,
    References,
    Confirm(Confirm),
    Prompt(Prompt),
    Jump(Jump),
}

/// A one-line message under the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
}

/// An edit of the text in a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Char(char),
    Backspace,
    Delete,
    Left,
    Right,
    Home,
    End,
}

/// Everything that can happen to the interface.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    // From the engine.
    CheckStarted {
        id: String,
    },
    CheckFinished(Finding),
    ChecksFinished {
        elapsed: Duration,
    },

    // From the state file, the fix pipeline and discovery.
    ResumeOffered(ResumeOffer),
    SessionResumed {
        marks: Vec<(String, Mark)>,
        position: Option<String>,
    },
    PlanReady {
        id: String,
        plan: PlanView,
    },
    PlanUnavailable {
        id: String,
        reason: String,
    },
    ApplyProgress {
        id: String,
        step: ApplyStep,
    },
    ApplyFinished {
        id: String,
        outcome: ApplyOutcome,
    },
    JournalLoaded(Vec<JournalRow>),
    RollbackFinished {
        entry: String,
        result: Result<String, String>,
    },
    TargetChanged(TargetView),
    TargetRejected {
        field: TargetField,
        message: String,
    },
    /// A background failure the operator should know about (a save failed).
    Problem(String),

    // From the terminal and the system.
    Tick,
    Resize,
    /// SIGTERM or SIGHUP: leave as soon as no apply is in progress.
    Terminate,

    // From the operator.
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Select,
    Back,
    Show(Screen),
    Help,
    Quit,
    NextItem,
    PreviousItem,
    NextSection,
    PreviousSection,
    OpenJump,
    Apply,
    Skip,
    Waive,
    ConfirmManual,
    Recheck,
    References,
    Edit,
    Resume,
    DismissResume,
    Yes,
    No,
    Input(Edit),
}

impl From<crate::engine::Event> for Action {
    fn from(event: crate::engine::Event) -> Self {
        match event {
            crate::engine::Event::Started { id } => Action::CheckStarted { id },
            crate::engine::Event::Finding(finding) => Action::CheckFinished(finding),
            crate::engine::Event::Finished { elapsed } => Action::ChecksFinished { elapsed },
        }
    }
}

/// Work the runtime performs on the interface's behalf.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Run (or re-run) these items' probes through the engine.
    RunChecks {
        ids: Vec<String>,
    },
    /// Ask the fix pipeline for this item's plan.
    PreparePlan {
        id: String,
    },
    Apply {
        id: String,
        choice: FixChoice,
    },
    /// Keep an operator's decision in the state file.
    Record {
        id: String,
        mark: Mark,
    },
    Rollback {
        entry: String,
    },
    LoadJournal,
    /// Load the saved session's decisions.
    Resume,
    /// Re-discover the target with one field corrected, then re-check.
    Retarget {
        field: TargetField,
        value: String,
    },
    SaveState,
    Quit,
}

/// The whole state of the interface. Screens read it; only [`update`]
/// changes it.
#[derive(Debug, Clone)]
pub struct App {
    pub(crate) screen: Screen,
    pub(crate) overlay: Option<Overlay>,
    pub(crate) target: TargetView,
    pub(crate) target_cursor: usize,
    pub(crate) resume: Option<ResumeOffer>,
    pub(crate) sections: Vec<SectionInfo>,
    pub(crate) items: Vec<ItemRow>,
    pub(crate) selected: usize,
    pub(crate) walk_scroll: u16,
    pub(crate) plans: HashMap<String, PlanState>,
    pub(crate) staged_cursor: usize,
    pub(crate) apply: Option<ApplyRun>,
    pub(crate) journal: Vec<JournalRow>,
    pub(crate) journal_cursor: usize,
    pub(crate) checks_elapsed: Option<Duration>,
    pub(crate) tick: u64,
    pub(crate) notice: Option<Notice>,
    pub(crate) today: jiff::civil::Date,
    quit_after_apply: bool,
    quitting: bool,
}

impl App {
    /// A session over `checklist` on `target`, before any check has run.
    /// `today` dates waivers; it is passed in so the state stays pure.
    pub fn new(checklist: &Checklist, target: TargetView, today: jiff::civil::Date) -> Self {
        let sections = checklist
            .sections
            .iter()
            .map(|s| SectionInfo { id: s.id.clone(), title: s.title.clone() })
            .collect();
        let items = checklist
            .sections
            .iter()
            .enumerate()
            .flat_map(|(section, s)| {
                s.topics.iter().flat_map(move |topic| {
                    topic.items.iter().map(move |item| ItemRow {
                        id: item.id.clone(),
                        section,
                        topic: topic.title.clone(),
                        title: item.title.clone(),
                        severity: item.severity,
                        why: item.why.trim().to_owned(),
                        references: item.references.clone(),
                        manual: item.manual,
                        fix: item.fix.as_ref().map(describe_fix),
                        staged: item.fix.as_ref().and_then(staged_path),
                        progress: Progress::Waiting,
                        finding: None,
                        mark: None,
                    })
                })
            })
            .collect();
        App {
            screen: Screen::Start,
            overlay: None,
            target,
            target_cursor: 0,
            resume: None,
            sections,
            items,
            selected: 0,
            walk_scroll: 0,
            plans: HashMap::new(),
            staged_cursor: 0,
            apply: None,
            journal: Vec::new(),
            journal_cursor: 0,
            checks_elapsed: None,
            tick: 0,
            notice: None,
            today,
            quit_after_apply: false,
            quitting: false,
        }
    }

    /// The effects that start a session: run every check at once.
    pub fn start(&self) -> Vec<Effect> {
        vec![Effect::RunChecks { ids: self.items.iter().map(|i| i.id.clone()).collect() }]
    }

    pub fn screen(&self) -> Screen {
        self.screen
    }

    pub fn overlay(&self) -> Option<&Overlay> {
        self.overlay.as_ref()
    }

    pub fn items(&self) -> &[ItemRow] {
        &self.items
    }

    pub fn sections(&self) -> &[SectionInfo] {
        &self.sections
    }

    pub fn selected_item(&self) -> Option<&ItemRow> {
        self.items.get(self.selected)
    }

    pub fn apply_run(&self) -> Option<&ApplyRun> {
        self.apply.as_ref()
    }

    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }

    pub fn plan(&self, id: &str) -> Option<&PlanState> {
        self.plans.get(id)
    }

    /// True once the interface has decided to leave.
    pub fn is_quitting(&self) -> bool {
        self.quitting
    }

    /// True while something moves on screen: a spinner needs ticks.
    pub fn is_animating(&self) -> bool {
        self.items.iter().any(|i| i.progress == Progress::Running)
            || self.apply.as_ref().is_some_and(ApplyRun::in_progress)
            || self.plans.values().any(|p| *p == PlanState::Preparing)
    }

    pub fn apply_in_progress(&self) -> bool {
        self.apply.as_ref().is_some_and(ApplyRun::in_progress)
    }

    pub fn counts(&self, section: Option<usize>) -> Counts {
        let mut counts = Counts::default();
        for item in self.items.iter().filter(|i| section.is_none_or(|s| i.section == s)) {
            counts.add(item.outcome());
        }
        counts
    }

    /// Waivers that expire within [`EXPIRY_WARNING_DAYS`], soonest first.
    pub fn waivers_expiring_soon(&self) -> Vec<(&ItemRow, jiff::civil::Date)> {
        let horizon = self.today.saturating_add(jiff::Span::new().days(EXPIRY_WARNING_DAYS));
        let mut soon: Vec<_> = self
            .items
            .iter()
            .filter_map(|item| match &item.mark {
                Some(Mark::Waived { expires: Some(date), .. }) if *date <= horizon => {
                    Some((item, *date))
                }
                _ => None,
            })
            .collect();
        soon.sort_by_key(|(_, date)| *date);
        soon
    }

    /// The findings as a report should show them: the operator's marks
    /// applied (a skip is `skipped`, a fix or a confirmation `pass`).
    pub fn effective_findings(&self) -> Vec<Finding> {
        self.items
            .iter()
            .filter_map(|item| {
                let mut finding = item.finding.clone()?;
                match &item.mark {
                    Some(Mark::Fixed { at }) => {
                        finding.status = Status::Pass;
                        finding.summary = format!("fixed {at}: {}", finding.summary);
                    }
                    Some(Mark::Confirmed { note }) => {
                        finding.status = Status::Pass;
                        finding.summary = format!("confirmed by the operator: {note}");
                    }
                    Some(Mark::Skipped { reason }) => {
                        finding.status = Status::Skipped;
                        finding.reason = Some(reason.clone());
                    }
                    Some(Mark::Waived { reason, .. }) => {
                        finding.status = Status::Waived;
                        finding.reason = Some(reason.clone());
                    }
                    None => {}
                }
                Some(finding)
            })
            .collect()
    }

    /// The completion summary as plain lines: the Finish screen shows them
    /// and the terminal gets them on exit.
    pub fn summary_lines(&self) -> Vec<String> {
        let all = self.counts(None);
        let mut lines = vec![
            format!("{} of {} items checked", all.done, all.total),
            format!(
                "  all: {} pass, {} fail, {} unknown, {} fixed, {} skipped, {} waived",
                all.pass, all.fail, all.unknown, all.fixed, all.skipped, all.waived
            ),
        ];
        for (index, section) in self.sections.iter().enumerate() {
            let c = self.counts(Some(index));
            lines.push(format!(
                "  {}: {} pass, {} fail, {} unknown, {} fixed, {} skipped, {} waived",
                section.title, c.pass, c.fail, c.unknown, c.fixed, c.skipped, c.waived
            ));
        }
        let fixed: Vec<&ItemRow> =
            self.items.iter().filter(|i| matches!(i.mark, Some(Mark::Fixed { .. }))).collect();
        if !fixed.is_empty() {
            lines.push(String::new());
            lines.push("Fixed in this session:".to_owned());
            for item in fixed {
                lines.push(format!("  {}  {}", item.id, item.title));
            }
        }
        let skipped: Vec<(&ItemRow, &String)> = self
            .items
            .iter()
            .filter_map(|i| match &i.mark {
                Some(Mark::Skipped { reason }) => Some((i, reason)),
                _ => None,
            })
            .collect();
        if !skipped.is_empty() {
            lines.push(String::new());
            lines.push("Skipped, with the reason given:".to_owned());
            for (item, reason) in skipped {
                lines.push(format!("  {}: {reason}", item.id));
            }
        }
        let mut failing: Vec<&ItemRow> =
            self.items.iter().filter(|i| i.outcome() == Outcome::Status(Status::Fail)).collect();
        failing.sort_by_key(|i| i.severity);
        if !failing.is_empty() {
            lines.push(String::new());
            lines.push("Still failing, most severe first:".to_owned());
            for item in failing {
                lines.push(format!("  [{}] {}  {}", item.severity.as_str(), item.id, item.title));
            }
        }
        let soon = self.waivers_expiring_soon();
        if !soon.is_empty() {
            lines.push(String::new());
            lines.push(format!("Waivers expiring within {EXPIRY_WARNING_DAYS} days:"));
            for (item, date) in soon {
                lines.push(format!("  {date}  {}", item.id));
            }
        }
        lines
    }

    /// The items of the selected item's section, with their indexes.
    pub fn section_items(
        &self,
        section: usize,
    ) -> impl DoubleEndedIterator<Item = (usize, &ItemRow)> {
        self.items.iter().enumerate().filter(move |(_, item)| item.section == section)
    }

    /// The index of a section's first item.
    pub fn first_of_section(&self, section: usize) -> Option<usize> {
        self.items.iter().position(|item| item.section == section)
    }

    pub fn selected_section(&self) -> usize {
        self.selected_item().map_or(0, |item| item.section)
    }

    /// Items whose id or title holds the jump text, in checklist order.
    pub fn jump_matches(&self, text: &str) -> Vec<usize> {
        let wanted = text.to_lowercase();
        self.items
            .iter()
            .enumerate()
            .filter(|(_, item)| {
                wanted.is_empty()
                    || item.id.to_lowercase().contains(&wanted)
                    || item.title.to_lowercase().contains(&wanted)
            })
            .map(|(index, _)| index)
            .collect()
    }

    fn set_notice(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice { text: text.into(), is_error: false });
    }

    fn set_error(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice { text: text.into(), is_error: true });
    }

    fn item_mut(&mut self, id: &str) -> Option<&mut ItemRow> {
        self.items.iter_mut().find(|item| item.id == id)
    }

    fn index_of(&self, id: &str) -> Option<usize> {
        self.items.iter().position(|item| item.id == id)
    }
}

/// Describes a checklist fix in one line of operator words, until the
/// pipeline has a plan (or when the item passes and needs none).
fn describe_fix(fix: &Fix) -> String {
    match fix {
        Fix::DjangoSet { setting, value, .. } => format!("set {setting} = {value}"),
        Fix::DjangoListInsert { setting, value, position } => {
            format!("add {value} to {setting} ({})", describe_position(*position))
        }
        Fix::PipInstall { package } => {
            format!("install the Python package {package} and pin it in the requirements")
        }
        Fix::DjangoCspPolicy => "set a Content Security Policy in the settings".to_owned(),
        Fix::DjangoMigrate { app } => format!("run the database migrations of {app}"),
        Fix::DjangoProxyHeader => {
            "set SECURE_PROXY_SSL_HEADER for the TLS-terminating proxy".to_owned()
        }
        Fix::AptInstall { package } => format!("install the system package {package}"),
        Fix::A2enmod { module } => format!("enable the Apache module {module}"),
        Fix::ApacheDropIn { directive, value } => {
            format!("set {directive} {value} server-wide in portcullis's Apache conf")
        }
        Fix::ApacheRemove { directive } => {
            format!("remove {directive} where Apache ignores or refuses it")
        }
        Fix::ApacheIndexesOff => "turn off directory listings (Options -Indexes)".to_owned(),
        Fix::ModsecurityEngine => "turn the ModSecurity rule engine on".to_owned(),
        Fix::ModsecurityCrs => "load the OWASP Core Rule Set into ModSecurity".to_owned(),
        Fix::ApacheTemplate { template } => format!("write the Apache conf from {template}"),
        Fix::RequirementsAdd { package } => format!("add {package} to the requirements"),
        Fix::PipAuditUpgrade => "raise vulnerable pins to the versions that fix them".to_owned(),
        Fix::CiStepAdd { tool } => format!("add a {tool} step to the CI pipeline"),
        Fix::SecretKeyMove => "move SECRET_KEY out of the settings into .env".to_owned(),
        Fix::SecretKeyRotate => "rotate SECRET_KEY, keeping the old one as a fallback".to_owned(),
        Fix::EnvPermissions => "make .env readable by the site's user alone".to_owned(),
        Fix::ApacheLogs => "log Apache's errors and requests to files".to_owned(),
        Fix::LogrotateTemplate { template } => {
            format!("rotate the logs with the logrotate conf from {template}")
        }
    }
}

fn describe_position(position: crate::checklist::Position) -> &'static str {
    use crate::checklist::Position;
    match position {
        Position::Any => "anywhere",
        Position::First => "as the first entry",
        Position::Last => "as the last entry",
    }
}

fn staged_path(fix: &Fix) -> Option<StagedPath> {
    match fix {
        Fix::DjangoSet { setting, value, staged_value: Some(first) } => Some(StagedPath {
            first: format!("{setting} = {first}"),
            last: format!("{setting} = {value}"),
            next_step: "after a week without problems".to_owned(),
        }),
        _ => None,
    }
}

/// Applies one action to the state and returns the work it asks for.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    // A notice stays until the operator does something.
    if is_operator(&action) {
        app.notice = None;
    }
    match action {
        Action::CheckStarted { id } => {
            if let Some(item) = app.item_mut(&id) {
                item.progress = Progress::Running;
            }
            Vec::new()
        }
        Action::CheckFinished(finding) => on_finding(app, finding),
        Action::ChecksFinished { elapsed } => {
            app.checks_elapsed = Some(elapsed);
            Vec::new()
        }
        Action::ResumeOffered(offer) => {
            for (id, at) in &offer.fixed {
                if let Some(item) = app.item_mut(id) {
                    item.mark = Some(Mark::Fixed { at: at.clone() });
                }
            }
            app.resume = Some(offer);
            Vec::new()
        }
        Action::SessionResumed { marks, position } => on_resumed(app, marks, position.as_deref()),
        Action::PlanReady { id, plan } => {
            app.plans.insert(id, PlanState::Ready(plan));
            Vec::new()
        }
        Action::PlanUnavailable { id, reason } => {
            app.plans.insert(id, PlanState::Unavailable(reason));
            Vec::new()
        }
        Action::ApplyProgress { id, step } => {
            on_apply_step(app, &id, step);
            Vec::new()
        }
        Action::ApplyFinished { id, outcome } => on_apply_finished(app, &id, outcome),
        Action::JournalLoaded(rows) => {
            app.journal = rows;
            app.journal_cursor = app.journal_cursor.min(app.journal.len().saturating_sub(1));
            Vec::new()
        }
        Action::RollbackFinished { entry, result } => on_rollback_finished(app, &entry, result),
        Action::TargetChanged(view) => on_target_changed(app, view),
        Action::TargetRejected { field, message } => {
            app.set_error(format!("{}: {message}", field.label()));
            Vec::new()
        }
        Action::Problem(message) => {
            app.set_error(message);
            Vec::new()
        }
        Action::Tick => {
            app.tick = app.tick.wrapping_add(1);
            Vec::new()
        }
        Action::Resize => Vec::new(),
        Action::Terminate => terminate(app),
        operator => match app.overlay.take() {
            Some(overlay) => on_overlay(app, overlay, &operator),
            None => on_screen(app, &operator),
        },
    }
}

fn is_operator(action: &Action) -> bool {
    !matches!(
        action,
        Action::CheckStarted { .. }
            | Action::CheckFinished(_)
            | Action::ChecksFinished { .. }
            | Action::ResumeOffered(_)
            | Action::SessionResumed { .. }
            | Action::PlanReady { .. }
            | Action::PlanUnavailable { .. }
            | Action::ApplyProgress { .. }
            | Action::ApplyFinished { .. }
            | Action::JournalLoaded(_)
            | Action::RollbackFinished { .. }
            | Action::TargetChanged(_)
            | Action::TargetRejected { .. }
            | Action::Problem(_)
            | Action::Tick
            | Action::Resize
            | Action::Terminate
    )
}

fn on_finding(app: &mut App, finding: Finding) -> Vec<Effect> {
    let Some(item) = app.item_mut(&finding.id) else {
        return Vec::new();
    };
    item.progress = Progress::Done;
    // A fix that no longer holds is no longer a fix: show the failure.
    if finding.status != Status::Pass && matches!(item.mark, Some(Mark::Fixed { .. })) {
        item.mark = None;
    }
    // A new finding may make an old plan wrong: prepare it again when needed.
    let id = finding.id.clone();
    item.finding = Some(finding);
    app.plans.remove(&id);
    prepare_plan_if_shown(app)
}

fn on_resumed(app: &mut App, marks: Vec<(String, Mark)>, position: Option<&str>) -> Vec<Effect> {
    for (id, mark) in marks {
        if let Some(item) = app.item_mut(&id) {
            item.mark = Some(mark);
        }
    }
    app.resume = None;
    if let Some(index) = position.and_then(|id| app.index_of(id)) {
        app.selected = index;
    }
    app.screen = Screen::Walk;
    app.walk_scroll = 0;
    app.set_notice("resumed the saved session");
    prepare_plan_if_shown(app)
}

/// The pipeline may report only the start of each step: a step that starts
/// ends the one before it, which failed when the new step is the rollback.
fn on_apply_step(app: &mut App, id: &str, step: ApplyStep) {
    let Some(run) = app.apply.as_mut().filter(|run| run.id == id) else {
        return;
    };
    if step.status == StepStatus::Running {
        let ended = if step.name == ROLLBACK_STEP { StepStatus::Failed } else { StepStatus::Done };
        for earlier in run.steps.iter_mut().filter(|s| s.status == StepStatus::Running) {
            earlier.status = ended;
        }
    }
    match run.steps.iter_mut().find(|s| s.name == step.name) {
        Some(known) => *known = step,
        None => run.steps.push(step),
    }
}

fn on_apply_finished(app: &mut App, id: &str, outcome: ApplyOutcome) -> Vec<Effect> {
    if let ApplyOutcome::Applied { at, finding } = &outcome {
        if let Some(item) = app.item_mut(id) {
            item.mark = Some(Mark::Fixed { at: at.clone() });
            if let Some(finding) = finding {
                item.finding = Some(finding.clone());
            }
        }
        app.plans.remove(id);
    }
    let rechecked = matches!(&outcome, ApplyOutcome::Applied { finding: Some(_), .. });
    if let Some(run) = app.apply.as_mut().filter(|run| run.id == id) {
        // Steps still marked running stopped where the outcome says; the
        // re-check is the backend's own, done when it brought a finding.
        for step in &mut run.steps {
            if rechecked && step.name == "re-check" {
                step.status = StepStatus::Done;
            } else if matches!(step.status, StepStatus::Running | StepStatus::Pending) {
                step.status = StepStatus::Skipped;
            }
        }
        run.outcome = Some(outcome);
    }
    let mut effects = vec![Effect::SaveState, Effect::LoadJournal];
    if app.quit_after_apply {
        app.quitting = true;
        effects.push(Effect::Quit);
    }
    effects
}

fn on_rollback_finished(app: &mut App, entry: &str, result: Result<String, String>) -> Vec<Effect> {
    match result {
        Ok(item_id) => {
            if let Some(item) = app.item_mut(&item_id) {
                if matches!(item.mark, Some(Mark::Fixed { .. })) {
                    item.mark = None;
                }
                item.progress = Progress::Running;
            }
            app.set_notice(format!("rolled back {entry}; re-checking {item_id}"));
            vec![Effect::LoadJournal, Effect::SaveState, Effect::RunChecks { ids: vec![item_id] }]
        }
        Err(message) => {
            app.set_error(format!("rollback of {entry} failed: {message}"));
            vec![Effect::LoadJournal]
        }
    }
}

fn on_target_changed(app: &mut App, view: TargetView) -> Vec<Effect> {
    app.target = view;
    app.plans.clear();
    for item in &mut app.items {
        item.finding = None;
        item.progress = Progress::Waiting;
    }
    app.checks_elapsed = None;
    app.set_notice("target corrected; checking again");
    app.start()
}

fn terminate(app: &mut App) -> Vec<Effect> {
    if app.apply_in_progress() {
        // Leaving now would leave a half-applied fix: wait for the pipeline
        // to finish or roll back.
        app.quit_after_apply = true;
        app.set_notice("stopping: waiting for the apply to finish or roll back");
        return Vec::new();
    }
    app.quitting = true;
    vec![Effect::SaveState, Effect::Quit]
}

fn quit(app: &mut App) -> Vec<Effect> {
    if app.apply_in_progress() {
        app.overlay = Some(Overlay::Confirm(Confirm {
            kind: ConfirmKind::QuitAfterApply,
            title: "An apply is in progress".to_owned(),
            lines: vec![
                "portcullis never stops in the middle of an apply.".to_owned(),
                "Quit as soon as it has finished or rolled back?".to_owned(),
            ],
        }));
        return Vec::new();
    }
    app.quitting = true;
    vec![Effect::SaveState, Effect::Quit]
}

fn on_overlay(app: &mut App, overlay: Overlay, action: &Action) -> Vec<Effect> {
    match overlay {
        Overlay::Help | Overlay::References => match action {
            Action::Back | Action::Help | Action::References | Action::Select => Vec::new(),
            Action::Quit => quit(app),
            _ => {
                app.overlay = Some(overlay);
                Vec::new()
            }
        },
        Overlay::Confirm(confirm) => match action {
            Action::Yes | Action::Select => on_confirmed(app, confirm.kind),
            Action::No | Action::Back => Vec::new(),
            _ => {
                app.overlay = Some(Overlay::Confirm(confirm));
                Vec::new()
            }
        },
        Overlay::Prompt(prompt) => on_prompt(app, prompt, action),
        Overlay::Jump(jump) => on_jump(app, jump, action),
    }
}

fn on_confirmed(app: &mut App, kind: ConfirmKind) -> Vec<Effect> {
    match kind {
        ConfirmKind::Apply { id, choice } => {
            let steps = APPLY_STEPS
                .iter()
                .map(|name| ApplyStep {
                    name: (*name).to_owned(),
                    status: StepStatus::Pending,
                    detail: None,
                })
                .collect();
            app.apply = Some(ApplyRun { id: id.clone(), choice, steps, outcome: None });
            app.screen = Screen::Applying;
            vec![Effect::Apply { id, choice }]
        }
        ConfirmKind::Rollback { entry } => {
            app.set_notice(format!("rolling back {entry}"));
            vec![Effect::Rollback { entry }]
        }
        ConfirmKind::QuitAfterApply => {
            app.quit_after_apply = true;
            app.set_notice("portcullis will quit when the apply has finished or rolled back");
            Vec::new()
        }
    }
}

fn on_prompt(app: &mut App, mut prompt: Prompt, action: &Action) -> Vec<Effect> {
    match action {
        Action::Input(edit) => {
            apply_edit(&mut prompt.input, *edit);
            prompt.error = None;
        }
        Action::Back => return Vec::new(),
        Action::Select => return submit_prompt(app, prompt),
        _ => {}
    }
    app.overlay = Some(Overlay::Prompt(prompt));
    Vec::new()
}

fn apply_edit(input: &mut LineInput, edit: Edit) {
    match edit {
        Edit::Char(ch) => input.insert(ch),
        Edit::Backspace => input.backspace(),
        Edit::Delete => input.delete(),
        Edit::Left => input.left(),
        Edit::Right => input.right(),
        Edit::Home => input.home(),
        Edit::End => input.end(),
    }
}

fn submit_prompt(app: &mut App, mut prompt: Prompt) -> Vec<Effect> {
    let text = prompt.input.text().trim().to_owned();
    let required = !matches!(prompt.kind, PromptKind::WaiveExpiry { .. });
    if required && text.is_empty() {
        prompt.error = Some("this cannot be empty".to_owned());
        app.overlay = Some(Overlay::Prompt(prompt));
        return Vec::new();
    }
    match prompt.kind.clone() {
        PromptKind::SkipReason { id } => mark(app, &id, Mark::Skipped { reason: text }),
        PromptKind::ConfirmNote { id } => mark(app, &id, Mark::Confirmed { note: text }),
        PromptKind::WaiveReason { id } => {
            app.overlay = Some(Overlay::Prompt(Prompt {
                kind: PromptKind::WaiveExpiry { id, reason: text },
                input: LineInput::default(),
                error: None,
            }));
            Vec::new()
        }
        PromptKind::WaiveExpiry { id, reason } => {
            let expires = if text.is_empty() {
                None
            } else {
                match text.parse::<jiff::civil::Date>() {
                    Ok(date) if date > app.today => Some(date),
                    Ok(_) => {
                        prompt.error = Some(format!("the date must be after {}", app.today));
                        app.overlay = Some(Overlay::Prompt(prompt));
                        return Vec::new();
                    }
                    Err(_) => {
                        prompt.error = Some("write the date as YYYY-MM-DD".to_owned());
                        app.overlay = Some(Overlay::Prompt(prompt));
                        return Vec::new();
                    }
                }
            };
            mark(app, &id, Mark::Waived { reason, expires })
        }
        PromptKind::TargetField(field) => {
            app.set_notice(format!("checking the new {}…", field.label()));
            vec![Effect::Retarget { field, value: text }]
        }
    }
}

/// Records the operator's decision and moves on to the next item.
fn mark(app: &mut App, id: &str, mark: Mark) -> Vec<Effect> {
    if let Some(item) = app.item_mut(id) {
        item.mark = Some(mark.clone());
    }
    let verb = match &mark {
        Mark::Skipped { .. } => "skipped",
        Mark::Waived { .. } => "waived",
        Mark::Confirmed { .. } => "confirmed",
        Mark::Fixed { .. } => "fixed",
    };
    app.set_notice(format!("{id} {verb}"));
    let mut effects = vec![Effect::Record { id: id.to_owned(), mark }];
    effects.extend(move_to(app, app.selected + 1));
    effects
}

fn on_jump(app: &mut App, mut jump: Jump, action: &Action) -> Vec<Effect> {
    let matches = app.jump_matches(jump.input.text());
    match action {
        Action::Input(edit) => {
            apply_edit(&mut jump.input, *edit);
            jump.cursor = 0;
        }
        Action::Up => jump.cursor = jump.cursor.saturating_sub(1),
        Action::Down => jump.cursor = (jump.cursor + 1).min(matches.len().saturating_sub(1)),
        Action::Back => return Vec::new(),
        Action::Select => {
            let Some(&index) = matches.get(jump.cursor) else {
                app.overlay = Some(Overlay::Jump(jump));
                return Vec::new();
            };
            app.screen = Screen::Walk;
            return move_to(app, index);
        }
        _ => {}
    }
    app.overlay = Some(Overlay::Jump(jump));
    Vec::new()
}

fn on_screen(app: &mut App, action: &Action) -> Vec<Effect> {
    // Keys that mean the same on every screen.
    match action {
        Action::Quit => return quit(app),
        Action::Help => {
            app.overlay = Some(Overlay::Help);
            return Vec::new();
        }
        Action::OpenJump => {
            app.overlay = Some(Overlay::Jump(Jump::default()));
            return Vec::new();
        }
        Action::Show(screen) => return show(app, *screen),
        _ => {}
    }
    match app.screen {
        Screen::Start => on_start(app, action),
        Screen::Overview => on_overview(app, action),
        Screen::Walk => on_walk(app, action),
        Screen::Staged => on_staged(app, action),
        Screen::Applying => on_applying(app, action),
        Screen::Journal => on_journal(app, action),
        Screen::Finish => {
            if *action == Action::Back {
                app.screen = Screen::Overview;
            }
            Vec::new()
        }
    }
}

fn show(app: &mut App, screen: Screen) -> Vec<Effect> {
    if app.apply_in_progress() && screen != Screen::Applying {
        app.set_notice("an apply is in progress; its steps are on this screen");
        return Vec::new();
    }
    app.screen = screen;
    match screen {
        Screen::Journal => vec![Effect::LoadJournal],
        Screen::Walk => {
            app.walk_scroll = 0;
            prepare_plan_if_shown(app)
        }
        _ => Vec::new(),
    }
}

fn on_start(app: &mut App, action: &Action) -> Vec<Effect> {
    match action {
        Action::Up => app.target_cursor = app.target_cursor.saturating_sub(1),
        Action::Down => {
            app.target_cursor = (app.target_cursor + 1).min(TargetField::ALL.len() - 1);
        }
        Action::Edit | Action::Select => {
            let field = TargetField::ALL[app.target_cursor.min(TargetField::ALL.len() - 1)];
            app.overlay = Some(Overlay::Prompt(Prompt {
                kind: PromptKind::TargetField(field),
                input: LineInput::with_text(app.target.get(field).unwrap_or_default()),
                error: None,
            }));
        }
        Action::Resume if app.resume.is_some() => return vec![Effect::Resume],
        Action::Resume => app.set_notice("no earlier session of this site to resume"),
        Action::DismissResume if app.resume.is_some() => {
            app.resume = None;
            app.set_notice("starting a new session");
        }
        Action::Right | Action::NextSection | Action::Back => app.screen = Screen::Overview,
        _ => {}
    }
    Vec::new()
}

fn on_overview(app: &mut App, action: &Action) -> Vec<Effect> {
    let section = app.selected_section();
    match action {
        Action::Up => {
            let previous =
                app.section_items(section).map(|(i, _)| i).rev().find(|i| *i < app.selected);
            if let Some(index) = previous {
                app.selected = index;
            }
        }
        Action::Down => {
            let next = app.section_items(section).map(|(i, _)| i).find(|i| *i > app.selected);
            if let Some(index) = next {
                app.selected = index;
            }
        }
        Action::Right | Action::NextSection => select_section(app, section + 1),
        Action::Left | Action::PreviousSection if section > 0 => select_section(app, section - 1),
        Action::Select => return show(app, Screen::Walk),
        Action::Recheck => return recheck(app),
        Action::Back => app.screen = Screen::Start,
        _ => {}
    }
    Vec::new()
}

fn select_section(app: &mut App, section: usize) {
    if let Some(index) = app.first_of_section(section) {
        app.selected = index;
    }
}

fn on_walk(app: &mut App, action: &Action) -> Vec<Effect> {
    match action {
        Action::Up => app.walk_scroll = app.walk_scroll.saturating_sub(1),
        Action::Down => app.walk_scroll = app.walk_scroll.saturating_add(1).min(max_scroll(app)),
        Action::PageUp => app.walk_scroll = app.walk_scroll.saturating_sub(10),
        Action::PageDown => {
            app.walk_scroll = app.walk_scroll.saturating_add(10).min(max_scroll(app));
        }
        Action::NextItem | Action::Right => return move_to(app, app.selected + 1),
        Action::PreviousItem | Action::Left => {
            return move_to(app, app.selected.saturating_sub(1));
        }
        Action::NextSection => {
            let next = app.selected_section() + 1;
            match app.first_of_section(next) {
                Some(index) => return move_to(app, index),
                None => app.screen = Screen::Finish,
            }
        }
        Action::PreviousSection => {
            let previous = app.selected_section().saturating_sub(1);
            if let Some(index) = app.first_of_section(previous) {
                return move_to(app, index);
            }
        }
        Action::Back => app.screen = Screen::Overview,
        Action::Apply => return begin_apply(app),
        Action::Skip => ask(app, |id| PromptKind::SkipReason { id }),
        Action::Waive => ask(app, |id| PromptKind::WaiveReason { id }),
        Action::ConfirmManual => match app.selected_item() {
            Some(item) if item.manual => ask(app, |id| PromptKind::ConfirmNote { id }),
            Some(_) => app
                .set_notice("portcullis checks this item itself; only manual items are confirmed"),
            None => {}
        },
        Action::Recheck => return recheck(app),
        Action::References => {
            if app.selected_item().is_some_and(|i| !i.references.is_empty()) {
                app.overlay = Some(Overlay::References);
            } else {
                app.set_notice("this item names no references");
            }
        }
        _ => {}
    }
    Vec::new()
}

/// How far the walk can scroll: enough to bring the last line to the top.
fn max_scroll(app: &App) -> u16 {
    let plan_lines =
        app.selected_item().and_then(|i| app.plans.get(&i.id)).map_or(0, |plan| match plan {
            PlanState::Ready(plan) => {
                plan.diff.lines().count() + plan.commands.len() + plan.warnings.len()
            }
            _ => 1,
        });
    let item_lines = app.selected_item().map_or(0, |i| {
        i.why.len() / 40 + i.finding.as_ref().map_or(0, |f| f.evidence.len() * 4) + 12
    });
    u16::try_from(plan_lines + item_lines).unwrap_or(u16::MAX)
}

fn ask(app: &mut App, kind: impl FnOnce(String) -> PromptKind) {
    if let Some(item) = app.selected_item() {
        app.overlay = Some(Overlay::Prompt(Prompt {
            kind: kind(item.id.clone()),
            input: LineInput::default(),
            error: None,
        }));
    }
}

/// Selects item `index` in the walk (past the last one: the Finish screen).
fn move_to(app: &mut App, index: usize) -> Vec<Effect> {
    if index >= app.items.len() {
        if app.screen == Screen::Walk {
            app.screen = Screen::Finish;
        }
        return Vec::new();
    }
    app.selected = index;
    app.walk_scroll = 0;
    prepare_plan_if_shown(app)
}

/// The walk shows the plan of a failing item with a fix: ask for it once.
fn prepare_plan_if_shown(app: &mut App) -> Vec<Effect> {
    if app.screen != Screen::Walk {
        return Vec::new();
    }
    let Some(item) = app.selected_item() else {
        return Vec::new();
    };
    let wants_plan = item.fix.is_some()
        && item.finding.as_ref().is_some_and(|f| f.status == Status::Fail)
        && !app.plans.contains_key(&item.id);
    if !wants_plan {
        return Vec::new();
    }
    let id = item.id.clone();
    app.plans.insert(id.clone(), PlanState::Preparing);
    vec![Effect::PreparePlan { id }]
}

fn recheck(app: &mut App) -> Vec<Effect> {
    if app.apply_in_progress() {
        app.set_notice("wait for the apply to finish before re-checking");
        return Vec::new();
    }
    let Some(item) = app.items.get_mut(app.selected) else {
        return Vec::new();
    };
    item.progress = Progress::Running;
    let id = item.id.clone();
    app.plans.remove(&id);
    vec![Effect::RunChecks { ids: vec![id] }]
}

fn begin_apply(app: &mut App) -> Vec<Effect> {
    let Some(item) = app.selected_item() else {
        return Vec::new();
    };
    let refusal = if app.apply_in_progress() {
        Some("another apply is in progress".to_owned())
    } else if item.manual {
        Some("a manual item has no automatic fix; press c to confirm it once done".to_owned())
    } else if item.fix.is_none() {
        Some("this item has no automatic fix".to_owned())
    } else if item.outcome() != Outcome::Status(Status::Fail) {
        Some("only a failing item needs its fix".to_owned())
    } else {
        match app.plans.get(&item.id) {
            Some(PlanState::Ready(plan)) => {
                plan.blocked.as_ref().map(|reason| format!("cannot apply here: {reason}"))
            }
            Some(PlanState::Unavailable(reason)) => Some(format!("no plan: {reason}")),
            _ => Some("the plan is still being prepared".to_owned()),
        }
    };
    if let Some(refusal) = refusal {
        app.set_notice(refusal);
        return Vec::new();
    }
    if staged_for(app).is_some() {
        app.staged_cursor = 0;
        app.screen = Screen::Staged;
        return Vec::new();
    }
    ask_apply(app, FixChoice::Final);
    Vec::new()
}

/// The staged path of the selected item: the pipeline's, else the checklist's.
pub(crate) fn staged_for(app: &App) -> Option<&StagedPath> {
    let item = app.selected_item()?;
    match app.plans.get(&item.id) {
        Some(PlanState::Ready(plan)) if plan.staged.is_some() => plan.staged.as_ref(),
        _ => item.staged.as_ref(),
    }
}

/// Opens the confirmation that names what the fix will change.
fn ask_apply(app: &mut App, choice: FixChoice) {
    let Some(item) = app.selected_item() else {
        return;
    };
    let Some(PlanState::Ready(plan)) = app.plans.get(&item.id) else {
        return;
    };
    let mut lines = Vec::new();
    if !plan.summary.is_empty() {
        lines.push(plan.summary.clone());
    }
    if let Some(staged) = staged_for(app).filter(|_| choice == FixChoice::Staged) {
        lines.push(format!("first step only: {}", staged.first));
    }
    for file in plan.files() {
        lines.push(format!("edits {file}"));
    }
    for command in &plan.commands {
        lines.push(format!("runs  {command}"));
    }
    lines.push("Each file is backed up first and everything is rolled back on failure.".to_owned());
    app.overlay = Some(Overlay::Confirm(Confirm {
        kind: ConfirmKind::Apply { id: item.id.clone(), choice },
        title: format!("Apply the fix for {}?", item.id),
        lines,
    }));
}

fn on_staged(app: &mut App, action: &Action) -> Vec<Effect> {
    match action {
        Action::Up => app.staged_cursor = 0,
        Action::Down => app.staged_cursor = 1,
        Action::Select => {
            app.screen = Screen::Walk;
            let choice = if app.staged_cursor == 0 { FixChoice::Staged } else { FixChoice::Final };
            ask_apply(app, choice);
        }
        Action::Back => app.screen = Screen::Walk,
        _ => {}
    }
    Vec::new()
}

fn on_applying(app: &mut App, action: &Action) -> Vec<Effect> {
    if app.apply_in_progress() {
        return Vec::new();
    }
    if matches!(action, Action::Select | Action::Back) {
        app.screen = Screen::Walk;
        app.walk_scroll = 0;
        return prepare_plan_if_shown(app);
    }
    Vec::new()
}

fn on_journal(app: &mut App, action: &Action) -> Vec<Effect> {
    match action {
        Action::Up => app.journal_cursor = app.journal_cursor.saturating_sub(1),
        Action::Down => {
            app.journal_cursor = (app.journal_cursor + 1).min(app.journal.len().saturating_sub(1));
        }
        Action::Select => {
            let Some(row) = app.journal.get(app.journal_cursor) else {
                return Vec::new();
            };
            if row.rolled_back {
                app.set_notice("this change was already rolled back");
                return Vec::new();
            }
            let title = app
                .items
                .iter()
                .find(|item| item.id == row.item_id)
                .map_or_else(String::new, |item| format!(" ({})", item.title));
            let mut lines = vec![format!("the fix applied {}", row.applied_at)];
            lines.extend(row.files.iter().map(|f| format!("restores {f} from its backup")));
            app.overlay = Some(Overlay::Confirm(Confirm {
                kind: ConfirmKind::Rollback { entry: row.entry.clone() },
                title: format!("Roll back {}{title}?", row.item_id),
                lines,
            }));
        }
        Action::Back => app.screen = Screen::Overview,
        _ => {}
    }
    Vec::new()
}
