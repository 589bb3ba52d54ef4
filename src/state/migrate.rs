//! Older state files, brought up to the current shape on load.
//!
//! Version 1 (the first release) kept only each item's last result, skip
//! reasons, a journal without digests, and the id of the item the operator
//! was on. Version 2 adds waivers, confirmations, digests, staged steps, the
//! baseline and sessions. A migration never drops what an old file held.

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::Timestamp;
use serde::Deserialize;

use super::{
    Backup, BaselineEntry, FORMAT_VERSION, ItemState, ItemStatus, JournalEntry, Position, Session,
    Skip, StateFile,
};
use crate::finding::Evidence;
use crate::target::Target;

/// The whole of a version 1 file.
#[derive(Debug, Deserialize)]
pub(super) struct V1 {
    target: Target,
    saved: Timestamp,
    #[serde(default)]
    results: BTreeMap<String, V1Result>,
    #[serde(default)]
    skipped: BTreeMap<String, String>,
    #[serde(default)]
    journal: Vec<V1Fix>,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
struct V1Result {
    status: ItemStatus,
    at: Timestamp,
    #[serde(default)]
    evidence: Vec<Evidence>,
}

#[derive(Debug, Deserialize)]
struct V1Fix {
    item: String,
    applied: Timestamp,
    #[serde(default)]
    files: Vec<V1File>,
}

#[derive(Debug, Deserialize)]
struct V1File {
    path: String,
    backup: Option<PathBuf>,
    mode: u32,
    uid: u32,
    gid: u32,
}

/// Brings a version 1 file to the current version. Version 1 had no
/// baseline, so each item's recorded result stands in for it; it had no
/// digests, so its fixes cannot be checked for drift.
pub(super) fn from_v1(old: V1) -> StateFile {
    let mut state = StateFile::new(old.target, old.saved);
    state.format_version = FORMAT_VERSION;
    state.session = Session { number: 1, started: old.saved };

    for (id, result) in old.results {
        state.baseline.insert(
            id.clone(),
            BaselineEntry { status: result.status, applies: true, at: result.at },
        );
        state.items.insert(
            id,
            ItemState {
                status: result.status,
                at: result.at,
                applies: true,
                summary: String::new(),
                reason: None,
                evidence: result.evidence,
                fixed_at: (result.status == ItemStatus::Fixed).then_some(result.at),
            },
        );
    }

    for (id, reason) in old.skipped {
        state.skips.insert(id, Skip { reason, at: old.saved, session: 1 });
    }

    for (index, fix) in old.journal.into_iter().enumerate() {
        let mut entry = JournalEntry::new(fix.item, fix.applied);
        entry.seq = index as u64 + 1;
        entry.session = 1;
        entry.backups = fix
            .files
            .into_iter()
            .map(|file| Backup {
                original: file.path,
                existed: file.backup.is_some(),
                backup: file.backup,
                original_sha256: None,
                written_sha256: None,
                mode: file.mode,
                uid: file.uid,
                gid: file.gid,
            })
            .collect();
        if let Some(item) = state.items.get_mut(&entry.item) {
            item.fixed_at = Some(entry.applied);
        }
        state.journal.push(entry);
    }

    state.position = old.cursor.map(|item| Position {
        section: item.split('.').next().unwrap_or_default().to_owned(),
        topic: None,
        item: Some(item),
    });
    state
}
