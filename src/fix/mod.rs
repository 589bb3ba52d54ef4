//! The fix pipeline: plans (data first), then a careful apply with backups,
//! validation, re-check and automatic rollback, and the journal records that
//! make any fix undoable.

pub mod apache;
pub mod apply;
pub mod checks;
pub mod django;
pub mod maint;
pub mod plan;
pub mod pyedit;
pub mod run;
pub mod textedit;

pub use apply::{AppliedPlan, ApplyError, Backup, Checks, CreatedLink, Step, apply};
pub use plan::{FileEdit, Ownership, Plan, PlannedCommand, PlannedLink, StagedStep, Validator};
