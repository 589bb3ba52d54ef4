//! Applies a plan so that it can never leave the server worse off: every
//! file is backed up (bytes, mode, owner, group) before it changes, written
//! atomically, checked by the program that owns it, and the item re-checked;
//! any failure restores every file of the plan from its backup.
//!
//! A manifest of the backups is written before the first edit and removed
//! only once the caller has journaled the plan, so a run killed in the middle
//! is recovered by [`recover_interrupted`]: each file is either the old or the
//! new version (the writes are atomic), and the old one comes back.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::plan::{Plan, PlannedLink, Validator};
use crate::target::Target;

/// One file's backup, as the journal records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backup {
    /// The file as named inside the target.
    pub path: String,
    /// The file that was really written (the target of a symlink), on this machine.
    pub written: PathBuf,
    /// Where the original bytes are kept; `None` when the file did not exist.
    pub copy: Option<PathBuf>,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// SHA-256 of the bytes before and after the edit, hex.
    pub before_sha256: Option<String>,
    pub after_sha256: String,
}

/// A symlink a plan created; rolling back removes it (only while it is
/// still a link pointing where the plan pointed it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedLink {
    /// The link as named inside the target.
    pub path: String,
    /// The link on this machine.
    pub link: PathBuf,
    /// What it points to, as written in the link.
    pub target: String,
}

/// A plan that was applied, for the journal. Holds no secret: the diffs are
/// redacted and the bytes live only in the backup copies (mode 600).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedPlan {
    pub id: String,
    pub item_id: String,
    pub title: String,
    pub applied_at: Timestamp,
    pub diffs: Vec<String>,
    pub commands: Vec<String>,
    pub backups: Vec<Backup>,
    /// Symlinks the plan created (removed before the backups are restored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<CreatedLink>,
}

/// The steps of an apply, reported as they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Backup,
    Write,
    Validate,
    Command,
    /// Apache reloaded gracefully (the reload validator's outcome).
    Reload,
    Recheck,
    /// The site asked on the wire after the fix.
    LiveProbe,
    Rollback,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::Backup => "backup",
            Step::Write => "write",
            Step::Validate => "validate",
            Step::Command => "run",
            Step::Reload => "reload",
            Step::Recheck => "re-check",
            Step::LiveProbe => "live probe",
            Step::Rollback => "roll back",
        }
    }
}

/// Why an apply did not go through. Every file of the plan is as it was.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{path} changed since the plan was made; make the plan again")]
    Changed { path: String },
    #[error("cannot back up {path}: {source}")]
    Backup { path: String, source: std::io::Error },
    #[error("cannot write {path}: {source}; nothing was changed")]
    Write { path: String, source: std::io::Error },
    #[error("{step} failed: {output}; every file was restored from its backup")]
    Failed { step: &'static str, output: String },
    #[error(
        "{step} failed: {output}; AND restoring the backups failed: {restore}. The backups are in {dir}"
    )]
    RollbackFailed { step: &'static str, output: String, restore: String, dir: String },
}

/// What the caller provides to check the result: the owning program's
/// validation, the item's own probe, and the commands of the plan.
pub trait Checks {
    fn validate(&mut self, validator: &Validator) -> Result<(), String>;
    fn run_commands(&mut self, plan: &Plan) -> Result<Vec<String>, String>;
    fn recheck(&mut self, item_id: &str) -> Result<(), String>;
    fn step(&mut self, _step: Step, _detail: &str) {}
    /// Called once every file of a failed plan is restored (Apache, if the
    /// plan reloaded it, is restarted on the restored configuration), with
    /// what the failed step said.
    fn after_rollback(&mut self, _plan: &Plan, _failure: &str) {}
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::state::digest(bytes)
}

/// Applies `plan` to `target`, keeping backups under `backup_root`.
pub fn apply(
    plan: &Plan,
    target: &Target,
    backup_root: &Path,
    checks: &mut dyn Checks,
) -> Result<AppliedPlan, ApplyError> {
    if let Some(why) = &plan.blocked {
        return Err(ApplyError::Failed { step: "plan", output: format!("not applied: {why}") });
    }
    let id = format!("{}-{}", Timestamp::now().as_millisecond(), plan.item_id);
    let dir = backup_root.join(&id);

    // Nothing is touched until every file is known to be as planned.
    let mut backups = Vec::new();
    for edit in &plan.edits {
        let host = target.host_path(&edit.path);
        let written = resolve_symlink(&host);
        let current = read_optional(&written)
            .map_err(|source| ApplyError::Backup { path: edit.path.clone(), source })?;
        if current != edit.before {
            return Err(ApplyError::Changed { path: edit.path.clone() });
        }
        backups.push((edit, written, current));
    }
    let mut links = Vec::new();
    for planned in &plan.links {
        let link = target.host_path(&planned.path);
        if fs::symlink_metadata(&link).is_ok() {
            return Err(ApplyError::Changed { path: planned.path.clone() });
        }
        links.push(created_link(planned, link));
    }

    checks.step(Step::Backup, &dir.display().to_string());
    let records = save_backups(&dir, &backups)?;
    let mut applied = AppliedPlan {
        id,
        item_id: plan.item_id.clone(),
        title: plan.title.clone(),
        applied_at: Timestamp::now(),
        diffs: plan.edits.iter().map(super::plan::FileEdit::diff).collect(),
        commands: Vec::new(),
        backups: records,
        links,
    };
    write_manifest(&dir, &applied)
        .map_err(|source| ApplyError::Backup { path: dir.display().to_string(), source })?;

    // From here on, any failure restores every file of the plan.
    let outcome = write_and_check(plan, &backups, &applied.links, checks);
    match outcome {
        Ok(commands) => {
            applied.commands = commands;
            Ok(applied)
        }
        Err((step, output)) => {
            checks.step(Step::Rollback, &output);
            let restored = remove_links(&applied.links).and(restore(&applied.backups, true));
            match restored {
                Ok(()) => {
                    let _ = fs::remove_file(dir.join(MANIFEST));
                    checks.after_rollback(plan, &output);
                    Err(ApplyError::Failed { step: step.name(), output })
                }
                Err(restore) => Err(ApplyError::RollbackFailed {
                    step: step.name(),
                    output,
                    restore,
                    dir: dir.display().to_string(),
                }),
            }
        }
    }
}

fn write_and_check(
    plan: &Plan,
    backups: &[(&super::plan::FileEdit, PathBuf, Option<Vec<u8>>)],
    links: &[CreatedLink],
    checks: &mut dyn Checks,
) -> Result<Vec<String>, (Step, String)> {
    for (edit, written, before) in backups {
        checks.step(Step::Write, &edit.path);
        let mut mode = if before.is_some() { None } else { Some(edit.new_mode) };
        let mut owner = None;
        if let Some(set) = &edit.set {
            mode = Some(set.mode);
            owner = Some((set.uid, set.gid));
        }
        write_atomic_as(written, &edit.after, mode, owner)
            .map_err(|err| (Step::Write, format!("{}: {err}", edit.path)))?;
    }
    for link in links {
        checks.step(Step::Write, &format!("{} -> {}", link.path, link.target));
        create_link(link).map_err(|err| (Step::Write, format!("{}: {err}", link.path)))?;
    }
    let (after, before): (Vec<&Validator>, Vec<&Validator>) =
        plan.validators.iter().partition(|validator| validator.runs_after_commands());
    for validator in before {
        checks.step(Step::Validate, &validator.describe());
        checks.validate(validator).map_err(|out| (Step::Validate, out))?;
    }
    if !plan.commands.is_empty() {
        checks.step(Step::Command, "");
    }
    let commands = checks.run_commands(plan).map_err(|out| (Step::Command, out))?;
    for validator in after {
        checks.step(Step::Validate, &validator.describe());
        checks.validate(validator).map_err(|out| (Step::Validate, out))?;
    }
    if plan.completes {
        checks.step(Step::Recheck, &plan.item_id);
        checks.recheck(&plan.item_id).map_err(|out| (Step::Recheck, out))?;
    }
    Ok(commands)
}

fn created_link(planned: &PlannedLink, link: PathBuf) -> CreatedLink {
    CreatedLink { path: planned.path.clone(), link, target: planned.target.clone() }
}

fn create_link(link: &CreatedLink) -> std::io::Result<()> {
    std::os::unix::fs::symlink(&link.target, &link.link)?;
    match link.link.parent() {
        Some(parent) => sync_dir(parent),
        None => Ok(()),
    }
}

/// Removes the links a plan created, newest first. A path that is no longer
/// a link to the planned target is left alone (it is not ours any more).
pub fn remove_links(links: &[CreatedLink]) -> Result<(), String> {
    let mut errors = Vec::new();
    for link in links.iter().rev() {
        let ours = fs::symlink_metadata(&link.link).is_ok_and(|meta| meta.file_type().is_symlink())
            && fs::read_link(&link.link).is_ok_and(|to| to == Path::new(&link.target));
        if !ours {
            continue;
        }
        let removed =
            fs::remove_file(&link.link).and_then(|()| link.link.parent().map_or(Ok(()), sync_dir));
        if let Err(err) = removed {
            errors.push(format!("{}: {err}", link.path));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
}

/// The file a path really names: the target of a symlink (so that the link
/// stays a link), or the path itself.
fn resolve_symlink(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

fn read_optional(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

const MANIFEST: &str = "manifest.json";

fn save_backups(
    dir: &Path,
    backups: &[(&super::plan::FileEdit, PathBuf, Option<Vec<u8>>)],
) -> Result<Vec<Backup>, ApplyError> {
    let fail = |path: &str| {
        let path = path.to_owned();
        move |source| ApplyError::Backup { path, source }
    };
    create_private_dir(dir).map_err(fail(&dir.display().to_string()))?;
    let mut records = Vec::new();
    for (index, (edit, written, before)) in backups.iter().enumerate() {
        let (copy, mode, uid, gid) = match before {
            Some(bytes) => {
                let meta = fs::metadata(written).map_err(fail(&edit.path))?;
                let copy = dir.join(format!("{index}.orig"));
                write_private(&copy, bytes).map_err(fail(&edit.path))?;
                (Some(copy), meta.mode() & 0o7777, meta.uid(), meta.gid())
            }
            None => (
                None,
                edit.new_mode,
                nix::unistd::getuid().as_raw(),
                nix::unistd::getgid().as_raw(),
            ),
        };
        records.push(Backup {
            path: edit.path.clone(),
            written: written.clone(),
            copy,
            mode,
            uid,
            gid,
            before_sha256: before.as_deref().map(sha256_hex),
            after_sha256: sha256_hex(&edit.after),
        });
    }
    Ok(records)
}

fn write_manifest(dir: &Path, applied: &AppliedPlan) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(applied).map_err(std::io::Error::other)?;
    write_atomic(&dir.join(MANIFEST), &json, Some(0o600))?;
    Ok(())
}

/// Marks an applied plan as journaled: its manifest is no longer needed for
/// recovery. The backup copies stay until the operator prunes them.
pub fn commit(backup_root: &Path, applied: &AppliedPlan) -> std::io::Result<()> {
    let manifest = backup_root.join(&applied.id).join(MANIFEST);
    match fs::remove_file(&manifest) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
        _ => sync_dir(&backup_root.join(&applied.id)),
    }
}

/// Restores the backups of plans whose apply was interrupted (a manifest
/// left behind), newest first. Returns the plans it restored.
pub fn recover_interrupted(backup_root: &Path) -> Result<Vec<AppliedPlan>, String> {
    let Ok(entries) = fs::read_dir(backup_root) else {
        return Ok(Vec::new());
    };
    let mut pending = Vec::new();
    for entry in entries.flatten() {
        let manifest = entry.path().join(MANIFEST);
        let Ok(bytes) = fs::read(&manifest) else { continue };
        let applied: AppliedPlan = serde_json::from_slice(&bytes)
            .map_err(|err| format!("{}: unreadable manifest: {err}", manifest.display()))?;
        pending.push(applied);
    }
    pending.sort_by_key(|applied| std::cmp::Reverse(applied.applied_at));
    for applied in &pending {
        remove_links(&applied.links)?;
        restore(&applied.backups, true)?;
        let _ = fs::remove_file(backup_root.join(&applied.id).join(MANIFEST));
    }
    Ok(pending)
}

/// Puts every file back as it was, in reverse order. With `force`, files
/// that changed after the fix are restored too; without it such a file is
/// refused and nothing is restored.
pub fn restore(backups: &[Backup], force: bool) -> Result<(), String> {
    if !force {
        let changed = changed_since(backups);
        if !changed.is_empty() {
            return Err(format!(
                "changed since the fix was applied: {}; use --force to restore anyway",
                changed.join(", ")
            ));
        }
    }
    let mut errors = Vec::new();
    for backup in backups.iter().rev() {
        if let Err(err) = restore_one(backup) {
            errors.push(format!("{}: {err}", backup.path));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
}

/// The files of these backups that no longer hold what the fix wrote.
pub fn changed_since(backups: &[Backup]) -> Vec<String> {
    backups
        .iter()
        .filter(|b| {
            fs::read(&b.written).ok().map(|bytes| sha256_hex(&bytes))
                != Some(b.after_sha256.clone())
        })
        .map(|b| b.path.clone())
        .collect()
}

fn restore_one(backup: &Backup) -> std::io::Result<()> {
    match &backup.copy {
        None => match fs::remove_file(&backup.written) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        },
        Some(copy) => {
            let bytes = fs::read(copy)?;
            write_atomic(&backup.written, &bytes, Some(backup.mode))?;
            // Owner and group as they were (only possible as root; harmless otherwise).
            let _ = std::os::unix::fs::chown(&backup.written, Some(backup.uid), Some(backup.gid));
            fs::set_permissions(&backup.written, fs::Permissions::from_mode(backup.mode))
        }
    }
}

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename, fsync
/// of the directory), keeping the mode and owner of the file it replaces, or
/// giving a new file `mode`.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> std::io::Result<()> {
    write_atomic_as(path, bytes, mode, None)
}

/// [`write_atomic`], giving the new file `owner` (uid, gid) as well: both
/// are set on the temporary file, so the bytes never stand under the path
/// with the old mode or owner.
pub fn write_atomic_as(
    path: &Path,
    bytes: &[u8],
    mode: Option<u32>,
    owner: Option<(u32, u32)>,
) -> std::io::Result<()> {
    let mut file = atomic_write_file::AtomicWriteFile::open(path)?;
    file.write_all(bytes)?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::fchown(file.as_file(), Some(uid), Some(gid))?;
    }
    if let Some(mode) = mode {
        file.as_file().set_permissions(fs::Permissions::from_mode(mode))?;
    }
    file.commit()?;
    if let Some(parent) = path.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic(path, bytes, Some(0o600))
}
