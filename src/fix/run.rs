//! `fix` as a whole: plan every selected failing item, in an order where a
//! fix comes after those it needs, then apply them one by one, planning each
//! again on the target as the previous ones left it, and journal each in the
//! state file.

use jiff::{SignedDuration, Timestamp};

use super::apache::ApachePlanning;
use super::apply::{self as applying, AppliedPlan, Step};
use super::checks::TargetChecks;
use super::django::DjangoPlanning;
use super::maint::MaintPlanning;
use super::plan::Plan;
use crate::checklist::{Checklist, Item};
use crate::finding::{Finding, Status};
use crate::layers::{InputError, Layers};
use crate::probe::{self, Context, RunOptions};
use crate::state::{self, JournalEntry, LockedState};
use crate::target::Target;

/// What planning found for one item.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The item passes: nothing to do.
    Passes,
    /// No fix can be made here, and why.
    NoFix(String),
    Planned(Box<Plan>),
}

/// The fix runs of one command.
pub struct Fixer<'a> {
    pub target: &'a Target,
    pub checklist: &'a Checklist,
    pub options: RunOptions,
    pub staged: bool,
}

/// What happened to one item when fixes were applied.
#[derive(Debug)]
pub enum Applied {
    Passes,
    NoFix(String),
    Blocked { plan: Plan, why: String },
    Done { plan: Plan, applied: AppliedPlan },
    Failed { plan: Plan, error: String },
}

impl Fixer<'_> {
    fn context(&self) -> Result<Context, InputError> {
        let layers = Layers::load(self.target, self.options)?;
        Ok(Context { target: self.target.clone(), options: self.options, layers })
    }

    /// The item's current finding and its plan, on the target as it is now.
    pub fn plan_one(&self, ctx: &Context, item: &Item) -> (Finding, Outcome) {
        let finding = probe::run(item, ctx);
        match finding.status {
            Status::Pass => return (finding, Outcome::Passes),
            Status::Fail => {}
            // Only a known failure is fixed: an unknown item is not touched.
            _ => {
                let why = format!("{} is {}: {}", item.id, finding.status, finding.summary);
                return (finding, Outcome::NoFix(why));
            }
        }
        let Some(fix) = &item.fix else {
            let why = if item.manual {
                "a manual item: confirm it with `portcullis confirm`"
            } else {
                "this item has no fix"
            };
            return (finding, Outcome::NoFix(why.to_owned()));
        };
        if let (Ok(config), Ok(packages)) = (ctx.layers.apache(), ctx.layers.packages()) {
            let planning =
                ApachePlanning { target: self.target, config, packages, staged: self.staged };
            match planning.plan(item) {
                Ok(Some(plan)) if plan.is_empty() && plan.operator_steps.is_empty() => {
                    let why =
                        "the fix would change nothing; the item needs a look by hand".to_owned();
                    return (finding, Outcome::NoFix(why));
                }
                Ok(Some(plan)) => return (finding, Outcome::Planned(Box::new(plan))),
                Ok(None) => {}
                Err(err) => return (finding, Outcome::NoFix(err.to_string())),
            }
        }
        let outcome = match ctx.layers.django() {
            Ok(facts) => {
                let maint = MaintPlanning {
                    target: self.target,
                    facts,
                    apache: ctx.layers.apache().ok(),
                    staged: self.staged,
                };
                let planning = DjangoPlanning { target: self.target, facts, staged: self.staged };
                let planned = match maint.plan(item) {
                    Ok(None) => planning.plan(item),
                    other => other,
                };
                match planned {
                    Ok(Some(plan)) if plan.is_empty() && plan.operator_steps.is_empty() => {
                        Outcome::NoFix(
                            "the fix would change nothing; the item needs a look by hand"
                                .to_owned(),
                        )
                    }
                    Ok(Some(plan)) => Outcome::Planned(Box::new(plan)),
                    Ok(None) => Outcome::NoFix(format!(
                        "the `{}` fix is not implemented in this version yet",
                        fix.kind()
                    )),
                    Err(err) => Outcome::NoFix(err.to_string()),
                }
            }
            Err(why) => Outcome::NoFix(why.clone()),
        };
        (finding, outcome)
    }

    /// Plans for `ids` (failing items only), in the order they would apply.
    pub fn plan(&self, ids: &[String]) -> Result<Vec<(String, Outcome)>, InputError> {
        let ctx = self.context()?;
        let mut outcomes: Vec<(String, Outcome)> = ids
            .iter()
            .filter_map(|id| self.checklist.item(id))
            .map(|item| (item.id.clone(), self.plan_one(&ctx, item).1))
            .collect();
        order_by_requirements(&mut outcomes);
        Ok(outcomes)
    }

    /// Applies the plans of `ids` one by one, journaling each in `state`.
    pub fn apply(
        &self,
        ids: &[String],
        state: &mut LockedState,
        on_step: &mut dyn FnMut(&str, Step, &str),
    ) -> Result<Vec<(String, Applied)>, InputError> {
        let backups = state.location().backups_dir();
        // The state learns how the items stood before the first change (the
        // baseline of a first session) and how they stand after the last.
        self.record(ids, state)?;
        let order: Vec<String> = self.plan(ids)?.into_iter().map(|(id, _)| id).collect();
        let mut results = Vec::new();
        for id in order {
            let Some(item) = self.checklist.item(&id) else { continue };
            // Plan again: the fixes before this one changed the files.
            let ctx = self.context()?;
            let (mut finding, outcome) = self.plan_one(&ctx, item);
            crate::session::credit_rotation(
                state.state(),
                std::slice::from_mut(&mut finding),
                Timestamp::now(),
            );
            let outcome = if finding.status == Status::Pass { Outcome::Passes } else { outcome };
            let result = match outcome {
                Outcome::Passes => Applied::Passes,
                Outcome::NoFix(why) => Applied::NoFix(why),
                Outcome::Planned(plan) => match &plan.blocked {
                    Some(why) => Applied::Blocked { why: why.clone(), plan: *plan },
                    None => self.apply_one(*plan, state, &backups, on_step)?,
                },
            };
            results.push((id, result));
        }
        self.record(ids, state)?;
        Ok(results)
    }

    /// Checks `ids` on the target as it is now and records the findings.
    fn record(&self, ids: &[String], state: &mut LockedState) -> Result<(), InputError> {
        let ctx = self.context()?;
        let mut findings: Vec<Finding> = ids
            .iter()
            .filter_map(|id| self.checklist.item(id))
            .map(|item| probe::run(item, &ctx))
            .collect();
        crate::session::credit_rotation(state.state(), &mut findings, Timestamp::now());
        state
            .change(|s| s.record_findings(&findings, Timestamp::now()))
            .map_err(|err| InputError::new(format!("cannot save the state: {err}")))
    }

    fn apply_one(
        &self,
        plan: Plan,
        state: &mut LockedState,
        backups: &std::path::Path,
        on_step: &mut dyn FnMut(&str, Step, &str),
    ) -> Result<Applied, InputError> {
        let item_id = plan.item_id.clone();
        let mut report = |step: Step, detail: &str| on_step(&item_id, step, detail);
        let mut checks = TargetChecks {
            target: self.target,
            checklist: self.checklist,
            options: self.options,
            on_step: &mut report,
        };
        match applying::apply(&plan, self.target, backups, &mut checks) {
            Ok(applied) => {
                let entry = journal_entry(&applied);
                let staged = plan.staged.clone();
                let now = Timestamp::now();
                let saved = state.change(|s| {
                    s.record_fix(entry);
                    if let Some(step) = staged {
                        let due = now.checked_add(SignedDuration::from_hours(
                            24 * i64::from(step.next_after_days),
                        ));
                        s.stage(
                            state::StagedStep {
                                item: applied.item_id.clone(),
                                step: step.name,
                                due: due.unwrap_or(now),
                                reminder: step.reminder,
                                done: None,
                            },
                            now,
                        );
                    }
                });
                if let Err(err) = saved {
                    // The fix is in place but could not be journaled: undo
                    // it rather than leave a change that cannot be rolled back.
                    let _ = applying::restore(&applied.backups, true);
                    return Err(InputError::new(format!(
                        "cannot save the journal ({err}); the fix was undone"
                    )));
                }
                let _ = applying::commit(backups, &applied);
                Ok(Applied::Done { plan, applied })
            }
            Err(error) => Ok(Applied::Failed { plan, error: error.to_string() }),
        }
    }
}

/// Puts a plan after the plans of the items it requires.
fn order_by_requirements(outcomes: &mut Vec<(String, Outcome)>) {
    let mut ordered: Vec<(String, Outcome)> = Vec::with_capacity(outcomes.len());
    let mut pending: Vec<(String, Outcome)> = std::mem::take(outcomes);
    while !pending.is_empty() {
        let ready = pending.iter().position(|(_, outcome)| match outcome {
            Outcome::Planned(plan) => plan.requires.iter().all(|req| {
                ordered.iter().any(|(id, _)| id == req) || !pending.iter().any(|(id, _)| id == req)
            }),
            _ => true,
        });
        // A cycle cannot be ordered: keep the checklist order for the rest.
        let next = ready.unwrap_or(0);
        ordered.push(pending.remove(next));
    }
    *outcomes = ordered;
}

/// The journal's record of an applied plan.
pub fn journal_entry(applied: &AppliedPlan) -> JournalEntry {
    let mut entry = JournalEntry::new(&applied.item_id, applied.applied_at);
    entry.diffs = applied
        .backups
        .iter()
        .zip(&applied.diffs)
        .map(|(backup, diff)| state::FileDiff { path: backup.path.clone(), diff: diff.clone() })
        .collect();
    entry.backups = applied
        .backups
        .iter()
        .map(|b| state::Backup {
            original: b.path.clone(),
            backup: b.copy.clone(),
            original_sha256: b.before_sha256.clone(),
            written_sha256: Some(b.after_sha256.clone()),
            mode: b.mode,
            uid: b.uid,
            gid: b.gid,
            existed: b.copy.is_some(),
        })
        .collect();
    entry.links.clone_from(&applied.links);
    entry.commands = applied
        .commands
        .iter()
        .map(|c| state::CommandRun { command: c.clone(), status: Some(0) })
        .collect();
    entry
}

/// Undoes one journal entry: removes the links it created, then puts every
/// file back. Without `force`, a file changed since the fix is refused.
pub fn undo(target: &Target, entry: &JournalEntry, force: bool) -> Result<(), String> {
    let backups = backups_of(target, entry);
    if !force {
        let changed = applying::changed_since(&backups);
        if !changed.is_empty() {
            return Err(format!(
                "changed since the fix was applied: {}; a later fix or a hand edit touched it (roll back the later fixes first, or use --force)",
                changed.join(", ")
            ));
        }
    }
    applying::remove_links(&entry.links)?;
    applying::restore(&backups, true)
}

/// One live stage at a time in this process: a stage paces its own requests
/// for `mod_evasive`, and two at once (the interface's verdicts beside a fix's
/// own probe) would hit the same pages too often and be blocked.
static WIRE_TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The wire's word on fixed items: on the running system with a known site
/// URL, each item that has live probes is checked again with the site's
/// answers beside its configuration. Items without live probes are left
/// out; `Err` says why nothing could be probed.
pub fn verify_on_wire(
    target: &Target,
    checklist: &Checklist,
    options: RunOptions,
    ids: &[String],
    resolve: Vec<crate::live::ResolveOverride>,
) -> Result<Vec<Finding>, String> {
    if !target.is_live_system() || options.offline {
        return Ok(Vec::new());
    }
    let items: Vec<&Item> = ids
        .iter()
        .filter_map(|id| checklist.item(id))
        .filter(|item| !item.verify.is_empty())
        .collect();
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let layers = Layers::load(target, options).map_err(|err| err.message)?;
    let apache = layers.apache().ok();
    let url = crate::live::stage::site_url(target.url.as_deref(), apache)
        .ok_or_else(|| "no site URL is known (give --url)".to_owned())?;
    let ctx = Context { target: target.clone(), options, layers };
    let mut findings: Vec<Finding> = items.iter().map(|item| probe::run(item, &ctx)).collect();
    let _turn = WIRE_TURN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    crate::live::stage::verify_blocking(
        checklist,
        &mut findings,
        &url,
        ctx.layers.apache().ok(),
        resolve,
    )?;
    Ok(findings)
}

/// After fixes were undone on the live system: a graceful reload of the
/// running Apache, so that the restored configuration, and the restored
/// Django settings in its `mod_wsgi` daemons, serve again. `None` when
/// nothing runs that needs it (another root, Apache stopped).
pub fn reload_after_undo(target: &Target) -> Result<Option<String>, String> {
    if !target.is_live_system() || super::apache::running_pid(target).is_none() {
        return Ok(None);
    }
    super::apache::reload(target)
        .map(|done| Some(format!("{done} on the restored files")))
        .map_err(|why| format!("the files are restored, but {why}"))
}

/// The backups of a journal entry as the apply step restores them.
pub fn backups_of(target: &Target, entry: &JournalEntry) -> Vec<applying::Backup> {
    entry
        .backups
        .iter()
        .map(|b| {
            let host = target.host_path(&b.original);
            let written = match std::fs::symlink_metadata(&host) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    std::fs::canonicalize(&host).unwrap_or(host)
                }
                _ => host,
            };
            applying::Backup {
                path: b.original.clone(),
                written,
                copy: b.backup.clone(),
                mode: b.mode,
                uid: b.uid,
                gid: b.gid,
                before_sha256: b.original_sha256.clone(),
                after_sha256: b.written_sha256.clone().unwrap_or_default(),
            }
        })
        .collect()
}
