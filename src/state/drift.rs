//! Files changed by hand since portcullis wrote them. When a session resumes,
//! each file the journal touched is compared with the digest of the bytes the
//! fix wrote; a difference is reported with the items it affects, and those
//! items are to be checked again.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;

use jiff::Timestamp;

use super::{StateFile, digest};

/// How a file differs from what the journal says was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftKind {
    /// The bytes are not the ones the fix wrote.
    Changed,
    /// The fix wrote the file and it is gone.
    Removed,
    /// The fix removed the file and it is back.
    Reappeared,
    /// The file could not be read (the error is in `Drift::detail`).
    Unreadable,
}

/// One file changed since a fix wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// The file as named inside the target.
    pub path: String,
    /// Where it is on this machine.
    pub host_path: PathBuf,
    pub kind: DriftKind,
    /// Every item with a live fix of this file, oldest first: a hand edit may
    /// have undone any of them.
    pub items: Vec<String>,
    /// When portcullis last wrote the file.
    pub written: Timestamp,
    pub detail: Option<String>,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.kind {
            DriftKind::Changed => "was changed by hand",
            DriftKind::Removed => "was removed",
            DriftKind::Reappeared => "is back though a fix removed it",
            DriftKind::Unreadable => "cannot be read",
        };
        write!(
            f,
            "{} {what} since portcullis wrote it on {}; affects {}",
            self.path,
            self.written,
            self.items.join(", ")
        )?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl StateFile {
    /// Compares every file the live journal wrote with its digest. Only the
    /// newest write of each file counts. Entries without a digest (migrated
    /// from format 1) cannot be checked and are left out.
    pub fn drift(&self) -> Vec<Drift> {
        // The newest live write of each file, and every live item touching it.
        let mut newest: BTreeMap<&str, (Option<&str>, Timestamp)> = BTreeMap::new();
        let mut items: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for entry in self.journal.iter().filter(|e| e.is_live()) {
            for backup in &entry.backups {
                let path = backup.original.as_str();
                let affected = items.entry(path).or_default();
                if !affected.contains(&entry.item) {
                    affected.push(entry.item.clone());
                }
                let verifiable = backup.written_sha256.is_some() || backup.existed;
                if verifiable {
                    newest.insert(path, (backup.written_sha256.as_deref(), entry.applied));
                }
            }
        }

        let mut drifts = Vec::new();
        for (path, (written, at)) in newest {
            let host_path = self.target.host_path(path);
            let found = match std::fs::read(&host_path) {
                Ok(bytes) => Ok(Some(digest(&bytes))),
                Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(err) => Err(err.to_string()),
            };
            let kind = match (&found, written) {
                (Err(_), _) => Some(DriftKind::Unreadable),
                (Ok(Some(now)), Some(expected)) if now != expected => Some(DriftKind::Changed),
                (Ok(None), Some(_)) => Some(DriftKind::Removed),
                (Ok(Some(_)), None) => Some(DriftKind::Reappeared),
                _ => None,
            };
            if let Some(kind) = kind {
                drifts.push(Drift {
                    path: path.to_owned(),
                    host_path,
                    kind,
                    items: items.remove(path).unwrap_or_default(),
                    written: at,
                    detail: found.err(),
                });
            }
        }
        drifts
    }

    /// Marks the items of each drift pending, so that they are checked again,
    /// and returns the drifts found.
    pub fn mark_drift(&mut self, now: Timestamp) -> Vec<Drift> {
        let drifts = self.drift();
        for drift in &drifts {
            let reason = format!("{} changed since it was fixed", drift.path);
            for item in &drift.items {
                self.mark_pending(item, &reason, now);
            }
        }
        drifts
    }
}
