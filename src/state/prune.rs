//! Removing old backups, only when the operator asks (`portcullis prune
//! --older-than 30d`). A fix whose backups are gone can no longer be rolled
//! back; the report says which ones, and the journal remembers it.

use std::io;
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};

use super::StateFile;

/// What `prune` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PruneReport {
    /// Backup files removed.
    pub removed: Vec<PathBuf>,
    /// Journal entries (number, item) that can no longer be rolled back.
    pub no_rollback: Vec<(u64, String)>,
    /// Backups that could not be removed, with why; their entries keep their
    /// rollback.
    pub failed: Vec<(PathBuf, String)>,
}

impl PruneReport {
    /// Lines for the operator, one per removed backup and per lost rollback.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for path in &self.removed {
            lines.push(format!("removed backup {}", path.display()));
        }
        for (seq, item) in &self.no_rollback {
            lines.push(format!("fix #{seq} of {item} can no longer be rolled back"));
        }
        for (path, why) in &self.failed {
            lines.push(format!("could not remove {}: {why}", path.display()));
        }
        if lines.is_empty() {
            lines.push("no backups old enough to prune".to_owned());
        }
        lines
    }
}

impl StateFile {
    /// Removes the backups of fixes applied more than `older_than` before
    /// `now`, and marks those fixes as no longer reversible. Backups of fixes
    /// already rolled back go too. Files outside `backups_dir` are never
    /// touched, whatever the journal says.
    pub fn prune(
        &mut self,
        backups_dir: &Path,
        older_than: SignedDuration,
        now: Timestamp,
    ) -> PruneReport {
        let cutoff = now.checked_sub(older_than).unwrap_or(Timestamp::MIN);
        let mut report = PruneReport::default();

        for entry in &mut self.journal {
            if entry.applied > cutoff || entry.backups_pruned.is_some() {
                continue;
            }
            let mut all_gone = true;
            for path in entry.backups.iter().filter_map(|b| b.backup.as_ref()) {
                if !path.starts_with(backups_dir) {
                    report.failed.push((path.clone(), "not in the backups directory".into()));
                    all_gone = false;
                    continue;
                }
                match std::fs::remove_file(path) {
                    Ok(()) => report.removed.push(path.clone()),
                    Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                    Err(err) => {
                        report.failed.push((path.clone(), err.to_string()));
                        all_gone = false;
                    }
                }
            }
            if all_gone {
                entry.backups_pruned = Some(now);
                if entry.is_live() {
                    report.no_rollback.push((entry.seq, entry.item.clone()));
                }
            }
        }
        self.updated = now;
        report
    }
}

/// Parses `30d`, `12h`, `2w` or a bare number of days.
pub fn parse_age(text: &str) -> Option<SignedDuration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(split) => text.split_at(split),
        None => (text, "d"),
    };
    let count: i64 = number.parse().ok()?;
    let hours = match unit {
        "h" => 1,
        "d" => 24,
        "w" => 24 * 7,
        _ => return None,
    };
    Some(SignedDuration::from_hours(count.checked_mul(hours)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_parse_in_hours_days_and_weeks() {
        assert_eq!(parse_age("30d"), Some(SignedDuration::from_hours(720)));
        assert_eq!(parse_age("12h"), Some(SignedDuration::from_hours(12)));
        assert_eq!(parse_age("2w"), Some(SignedDuration::from_hours(336)));
        assert_eq!(parse_age("7"), Some(SignedDuration::from_hours(168)));
        assert_eq!(parse_age("30 days"), None);
        assert_eq!(parse_age("d"), None);
    }
}
