//! The interface's producers on the real thing: the state file (held under
//! its lock for the whole session) and the fix pipeline with its journal.

use std::sync::Mutex;

use jiff::Timestamp;

use super::app::{
    ApplyOutcome, ApplyStep, FixChoice, JournalRow, Mark, PlanView, ResumeOffer, StagedPath,
    StepStatus,
};
use super::runtime::{Backend, Resumed, Snapshot};
use crate::checklist::Checklist;
use crate::fix::Step;
use crate::fix::run::{Applied, Fixer, Outcome};
use crate::probe::{Context, RunOptions};
use crate::state::{ItemStatus, LockedState, Position};
use crate::target::Target;

/// A session on one target.
pub struct StateBackend {
    state: Mutex<LockedState>,
    target: Target,
    checklist: Checklist,
    options: RunOptions,
    /// Where the live probes send the site's name (`--resolve`).
    resolve: Vec<crate::live::ResolveOverride>,
    /// Files changed by hand since the last session, said on the start screen.
    drift: Vec<String>,
}

impl StateBackend {
    pub fn new(
        mut state: LockedState,
        target: Target,
        checklist: Checklist,
        options: RunOptions,
        resolve: Vec<crate::live::ResolveOverride>,
    ) -> Self {
        let drift = state
            .change(|s| s.mark_drift(Timestamp::now()))
            .map(|drift| drift.into_iter().map(|d| format!("{} ({:?})", d.path, d.kind)).collect())
            .unwrap_or_default();
        StateBackend { state: Mutex::new(state), target, checklist, options, resolve, drift }
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut LockedState) -> R) -> Result<R, String> {
        let mut guard = self
            .state
            .lock()
            .map_err(|_| "the state is unavailable after an earlier failure".to_owned())?;
        Ok(f(&mut guard))
    }

    fn fixer(&self, staged: bool) -> Fixer<'_> {
        Fixer { target: &self.target, checklist: &self.checklist, options: self.options, staged }
    }
}

impl StateBackend {
    /// On the running system: asks the site whether the fix took effect and
    /// shows the answer as the pipeline's last step. The item's finding with
    /// the wire beside the configuration, when the site was asked.
    fn probe_after_fix(
        &self,
        id: &str,
        progress: &mut dyn FnMut(ApplyStep),
    ) -> Option<crate::finding::Finding> {
        if !self.target.is_live_system()
            || self.options.offline
            || self.checklist.item(id).is_none_or(|item| item.verify.is_empty())
        {
            return None;
        }
        progress(ApplyStep {
            name: "live probe".to_owned(),
            status: StepStatus::Running,
            detail: Some("asking the site".to_owned()),
        });
        let ids = [id.to_owned()];
        let resolve = self.resolve.clone();
        let probed = crate::fix::run::verify_on_wire(
            &self.target,
            &self.checklist,
            self.options,
            &ids,
            resolve,
        );
        let (status, detail, finding) = match probed {
            Ok(findings) => match findings.into_iter().next() {
                Some(f) if f.status == crate::finding::Status::Fail => {
                    (StepStatus::Failed, format!("the wire disagrees: {}", f.summary), Some(f))
                }
                Some(f) => (StepStatus::Done, f.summary.clone(), Some(f)),
                None => (StepStatus::Skipped, "nothing to probe".to_owned(), None),
            },
            Err(why) => (StepStatus::Skipped, format!("not probed: {why}"), None),
        };
        progress(ApplyStep {
            name: "live probe".to_owned(),
            status,
            detail: Some(crate::redact::printable(&detail)),
        });
        finding
    }

    /// The item's finding on the target as it is now (after a fix).
    fn recheck(&self, id: &str) -> Option<crate::finding::Finding> {
        let item = self.checklist.item(id)?;
        let layers = crate::layers::Layers::load(&self.target, self.options).ok()?;
        let ctx = Context { target: self.target.clone(), options: self.options, layers };
        Some(crate::probe::run(item, &ctx))
    }
}

/// A time as an operator reads it.
fn shown_time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

impl Backend for StateBackend {
    fn saved(&self) -> Option<ResumeOffer> {
        self.with_state(|locked| {
            if locked.is_new() {
                return None;
            }
            let state = locked.state();
            let now = Timestamp::now();
            let total = self.checklist.items().count();
            let done = self
                .checklist
                .items()
                .filter(|(_, _, item)| {
                    !matches!(
                        state.effective_status(&item.id, now),
                        ItemStatus::Pending | ItemStatus::Fail | ItemStatus::Unknown
                    )
                })
                .count();
            Some(ResumeOffer {
                saved_at: state.updated.strftime("%Y-%m-%d %H:%M UTC").to_string(),
                done,
                total,
                position: state.position.as_ref().and_then(|p| p.item.clone()),
                changed: self.drift.clone(),
                fixed: self
                    .checklist
                    .items()
                    .filter(|(_, _, item)| {
                        state.effective_status(&item.id, now) == ItemStatus::Fixed
                    })
                    .filter_map(|(_, _, item)| {
                        state.last_fix(&item.id).map(|f| (item.id.clone(), shown_time(f.applied)))
                    })
                    .collect(),
            })
        })
        .ok()
        .flatten()
    }

    fn resume(&self) -> Result<Resumed, String> {
        self.with_state(|locked| {
            let state = locked.state();
            let now = Timestamp::now();
            let mut marks = Vec::new();
            for (_, _, item) in self.checklist.items() {
                let id = &item.id;
                let mark = match state.effective_status(id, now) {
                    ItemStatus::Skipped => {
                        state.skips.get(id).map(|s| Mark::Skipped { reason: s.reason.clone() })
                    }
                    ItemStatus::Waived => state
                        .waivers
                        .get(id)
                        .map(|w| Mark::Waived { reason: w.reason.clone(), expires: w.expires }),
                    ItemStatus::Fixed => {
                        state.last_fix(id).map(|f| Mark::Fixed { at: shown_time(f.applied) })
                    }
                    _ => state
                        .confirmations
                        .get(id)
                        .map(|c| Mark::Confirmed { note: c.note.clone() }),
                };
                if let Some(mark) = mark {
                    marks.push((id.clone(), mark));
                }
            }
            (marks, state.position.as_ref().and_then(|p| p.item.clone()))
        })
    }

    fn record(&self, id: &str, mark: &Mark) -> Result<(), String> {
        let now = Timestamp::now();
        let who = crate::state::current_operator();
        self.with_state(|locked| {
            locked
                .change(|s| match mark {
                    Mark::Skipped { reason } => s.skip(id, reason, now).map_err(|e| e.to_string()),
                    Mark::Waived { reason, expires } => {
                        s.waive(id, reason, &who, *expires, now).map_err(|e| e.to_string())
                    }
                    Mark::Confirmed { note } => {
                        s.confirm(id, note, &who, now).map_err(|e| e.to_string())
                    }
                    Mark::Fixed { .. } => Ok(()),
                })
                .map_err(|e| e.to_string())?
        })?
    }

    fn save(&self, snapshot: &Snapshot) -> Result<(), String> {
        let now = Timestamp::now();
        let position = snapshot.position.as_ref().and_then(|id| {
            self.checklist.items().find(|(_, _, item)| &item.id == id).map(
                |(section, topic, item)| Position {
                    section: section.id.clone(),
                    topic: Some(topic.id.clone()),
                    item: Some(item.id.clone()),
                },
            )
        });
        self.with_state(|locked| {
            locked
                .change(|s| {
                    s.record_findings(&snapshot.findings, now);
                    if let Some(position) = position {
                        s.set_position(position, now);
                    }
                })
                .map_err(|e| e.to_string())
        })?
    }

    fn plan(&self, ctx: &Context, id: &str) -> Result<PlanView, String> {
        let item = self.checklist.item(id).ok_or_else(|| format!("no item {id}"))?;
        match self.fixer(false).plan_one(ctx, item).1 {
            Outcome::Passes => Err("this item already passes".to_owned()),
            Outcome::NoFix(why) => Err(why),
            Outcome::Planned(plan) => {
                let staged =
                    self.checklist.item(id).and_then(|item| item.fix.as_ref()).and_then(|_| {
                        let staged_plan = self.fixer(true).plan_one(ctx, item).1;
                        match staged_plan {
                            Outcome::Planned(staged) => {
                                staged.staged.clone().map(|step| StagedPath {
                                    first: staged.title.clone(),
                                    last: plan.title.clone(),
                                    next_step: format!(
                                        "in {} days: {}",
                                        step.next_after_days, step.reminder
                                    ),
                                })
                            }
                            _ => None,
                        }
                    });
                Ok(PlanView {
                    summary: plan.title.clone(),
                    diff: plan.edits.iter().map(crate::fix::FileEdit::diff).collect::<String>(),
                    commands: plan
                        .commands
                        .iter()
                        .map(crate::fix::PlannedCommand::display)
                        .collect(),
                    warnings: plan.warnings.clone(),
                    operator_steps: plan.operator_steps.clone(),
                    blocked: plan.blocked.clone(),
                    staged,
                })
            }
        }
    }

    fn apply(
        &self,
        _ctx: &Context,
        id: &str,
        choice: FixChoice,
        progress: &mut dyn FnMut(ApplyStep),
    ) -> ApplyOutcome {
        let fixer = self.fixer(choice == FixChoice::Staged);
        let mut report = |_: &str, step: Step, detail: &str| {
            let name = if step == Step::Command { "reload" } else { step.name() };
            progress(ApplyStep {
                name: name.to_owned(),
                status: StepStatus::Running,
                detail: (!detail.is_empty()).then(|| crate::redact::printable(detail)),
            });
        };
        let result = self.with_state(|locked| fixer.apply(&[id.to_owned()], locked, &mut report));
        let failed = |message: String| ApplyOutcome::RolledBack {
            failed_step: "plan".to_owned(),
            message,
            validator_output: String::new(),
        };
        match result {
            Err(why) => failed(why),
            Ok(Err(err)) => failed(err.message),
            Ok(Ok(results)) => match results.into_iter().next().map(|(_, applied)| applied) {
                Some(Applied::Done { applied, .. }) => {
                    let wire = self.probe_after_fix(id, progress);
                    ApplyOutcome::Applied {
                        at: shown_time(applied.applied_at),
                        finding: wire.or_else(|| self.recheck(id)),
                    }
                }
                Some(Applied::Passes) => {
                    ApplyOutcome::Applied { at: shown_time(Timestamp::now()), finding: None }
                }
                Some(Applied::Failed { error, .. }) => ApplyOutcome::RolledBack {
                    failed_step: "apply".to_owned(),
                    message: error.clone(),
                    validator_output: error,
                },
                Some(Applied::Blocked { why, .. } | Applied::NoFix(why)) => failed(why),
                None => failed("nothing to apply".to_owned()),
            },
        }
    }

    fn on_wire(&self, ids: &[String]) -> Option<Vec<crate::finding::Finding>> {
        let probed = crate::fix::run::verify_on_wire(
            &self.target,
            &self.checklist,
            self.options,
            ids,
            self.resolve.clone(),
        );
        probed.ok().filter(|findings| !findings.is_empty())
    }

    fn journal(&self) -> Vec<JournalRow> {
        self.with_state(|locked| {
            locked
                .state()
                .journal
                .iter()
                .rev()
                .map(|entry| JournalRow {
                    entry: entry.seq.to_string(),
                    item_id: entry.item.clone(),
                    applied_at: shown_time(entry.applied),
                    files: entry.backups.iter().map(|b| b.original.clone()).collect(),
                    rolled_back: !entry.is_live(),
                })
                .collect()
        })
        .unwrap_or_default()
    }

    fn rollback(&self, entry: &str) -> Result<String, String> {
        let seq: u64 = entry.parse().map_err(|_| format!("no journal entry {entry}"))?;
        let now = Timestamp::now();
        self.with_state(|locked| {
            let journal_entry = locked
                .state()
                .journal
                .iter()
                .find(|e| e.seq == seq && e.can_roll_back())
                .cloned()
                .ok_or_else(|| format!("journal entry {entry} cannot be rolled back"))?;
            crate::fix::run::undo(&self.target, &journal_entry, false)?;
            crate::fix::run::reload_after_undo(&self.target)?;
            locked
                .change(|s| {
                    s.record_rollback(seq, now);
                    s.mark_pending(&journal_entry.item, "rolled back", now);
                })
                .map_err(|e| e.to_string())?;
            Ok(journal_entry.item)
        })?
    }
}
