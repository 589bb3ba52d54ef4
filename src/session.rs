//! A session's hold on a target: where its state file is, opening it under
//! the lock, and how the state (skips, waivers, confirmations, fixes) shapes
//! what a check reports. The headless commands and the TUI share it.

use std::path::Path;

use jiff::Timestamp;

use crate::checklist::Checklist;
use crate::finding::{Evidence, Finding, Status};
use crate::layers::InputError;
use crate::report::summary::SummaryItem;
use crate::state::{ItemStatus, LockedState, OpenError, StateError, StateFile, StateLocation};
use crate::target::Target;

/// Where the state of `target` lives: `--state FILE`, else one file per
/// target in the platform state directory.
pub fn locate(target: &Target, explicit: Option<&Path>) -> Result<StateLocation, InputError> {
    match explicit {
        Some(file) => Ok(StateLocation::explicit(file)),
        None => StateLocation::for_target(target).map_err(|err| InputError::new(err.to_string())),
    }
}

/// Opens the state under the lock (creating it on a first session). A
/// damaged file has been moved aside by then; the error says where, and the
/// next run starts fresh.
pub fn open(
    location: StateLocation,
    target: &Target,
    now: Timestamp,
) -> Result<LockedState, InputError> {
    let backups = location.backups_dir();
    LockedState::open(location, target, now).map_err(|err| match err {
        OpenError::State(StateError::Corrupt { .. }) => {
            let kept = std::fs::read_dir(&backups).map_or(0, Iterator::count);
            let journal = if kept > 0 {
                format!(
                    "; the backups of {kept} applied fix(es) are kept in {}: a fresh session cannot roll them back, so restore the moved file first if you need to",
                    backups.display()
                )
            } else {
                String::new()
            };
            InputError::new(format!("{err}{journal}; run the command again to start a fresh session"))
        }
        other => InputError::new(other.to_string()),
    })
}

/// Reads the state without the lock, for read-only commands.
pub fn peek(location: &StateLocation) -> Result<Option<StateFile>, InputError> {
    location.load().map_err(|err| InputError::new(err.to_string()))
}

/// What the operator decided overrides what the probe saw: a skipped item
/// is `skipped`, a waived one `waived` (with the reason), a confirmed manual
/// item passes.
pub fn overlay(state: &StateFile, findings: &mut [Finding], now: Timestamp) {
    for finding in findings {
        match state.effective_status(&finding.id, now) {
            ItemStatus::Skipped => {
                let reason =
                    state.skips.get(&finding.id).map(|s| s.reason.clone()).unwrap_or_default();
                finding.status = Status::Skipped;
                finding.reason = Some(format!("skipped: {reason}"));
            }
            ItemStatus::Waived => {
                if let Some(waiver) = state.waivers.get(&finding.id) {
                    let expiry = waiver.expires.map(|d| format!(" until {d}")).unwrap_or_default();
                    finding.status = Status::Waived;
                    finding.reason =
                        Some(format!("waived by {}{expiry}: {}", waiver.who, waiver.reason));
                }
            }
            _ => {}
        }
        credit_rotation(state, std::slice::from_mut(finding), now);
        // A confirmation counts for a year (a key rotation, a log review).
        if let Some(confirmation) = state.confirmations.get(&finding.id)
            && finding.status == Status::Unknown
            && now.duration_since(confirmation.at).as_hours() < 24 * 365
        {
            finding.status = Status::Pass;
            finding.reason = None;
            finding.summary =
                format!("confirmed by {} on {}", confirmation.who, shown(confirmation.at));
            finding.evidence.push(Evidence::note(format!("note: {}", confirmation.note)));
        }
        if finding.status == Status::Pass
            && finding.applies
            && let Some(fix) = state.last_fix(&finding.id).filter(|f| f.is_live())
        {
            finding.evidence.push(Evidence::note(format!(
                "fixed by portcullis on {} (undo: portcullis rollback {})",
                shown(fix.applied),
                finding.id
            )));
        }
    }
}

/// A time as an operator reads it.
fn shown(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// The checklist's items as the summary needs them.
/// A key rotation portcullis made (and journaled) passes
/// `maint.secret-key-rotated`, which the files alone cannot tell: applied to
/// findings before they are shown or recorded.
pub fn credit_rotation(state: &StateFile, findings: &mut [Finding], now: Timestamp) {
    for finding in findings {
        if finding.status == Status::Unknown
            && finding.id == "maint.secret-key-rotated"
            && let Some(at) = crate::fix::maint::rotation_recorded(state, now)
        {
            finding.status = Status::Pass;
            finding.reason = None;
            finding.summary = format!("rotated by portcullis on {}", shown(at));
        }
    }
}

pub fn summary_items(checklist: &Checklist) -> Vec<SummaryItem> {
    checklist
        .items()
        .map(|(section, topic, item)| SummaryItem {
            section_id: section.id.clone(),
            section_title: section.title.clone(),
            topic_title: topic.title.clone(),
            id: item.id.clone(),
            title: item.title.clone(),
            severity: item.severity.as_str().to_owned(),
            manual: item.manual,
        })
        .collect()
}
