//! A target's state opened for a session that changes it: the lock taken
//! first, then the state loaded, and every change saved before the next one.
//! Also the list of targets that have a state, for `portcullis` with no
//! arguments to offer a resume.

use std::path::Path;

use jiff::Timestamp;

use super::{LockError, Position, StateError, StateFile, StateLocation, TargetLock};
use crate::target::Target;

/// Why a state could not be opened for changing.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    State(#[from] StateError),
}

/// A locked, loaded state. Changes go through [`LockedState::change`], which
/// saves atomically before it returns.
#[derive(Debug)]
pub struct LockedState {
    location: StateLocation,
    lock: TargetLock,
    state: StateFile,
    created: bool,
}

impl LockedState {
    /// Takes the target's lock, then loads its state; with no state file yet,
    /// starts one for `target` (and saves it). An existing file keeps the
    /// target it remembers. A damaged file is moved aside and the error says
    /// where: the caller then stops, or calls [`LockedState::fresh`].
    pub fn open(
        location: StateLocation,
        target: &Target,
        now: Timestamp,
    ) -> Result<Self, OpenError> {
        let lock = TargetLock::acquire(&location)?;
        match location.load()? {
            Some(state) => Ok(LockedState { location, lock, state, created: false }),
            None => Self::start(location, lock, target, now),
        }
    }

    /// Starts a new state for `target` under the lock, whatever was there
    /// (after the operator chose to start fresh from a damaged file, which
    /// `load` has already moved aside).
    pub fn fresh(
        location: StateLocation,
        target: &Target,
        now: Timestamp,
    ) -> Result<Self, OpenError> {
        let lock = TargetLock::acquire(&location)?;
        Self::start(location, lock, target, now)
    }

    fn start(
        location: StateLocation,
        lock: TargetLock,
        target: &Target,
        now: Timestamp,
    ) -> Result<Self, OpenError> {
        let state = StateFile::new(target.clone(), now);
        location.save(&state)?;
        Ok(LockedState { location, lock, state, created: true })
    }

    /// Applies `change` and saves the state before returning its result.
    /// When the save fails the change stays in memory and the error says
    /// which file could not be written.
    pub fn change<R>(&mut self, change: impl FnOnce(&mut StateFile) -> R) -> Result<R, StateError> {
        let result = change(&mut self.state);
        self.location.save(&self.state)?;
        Ok(result)
    }

    pub fn state(&self) -> &StateFile {
        &self.state
    }

    pub fn location(&self) -> &StateLocation {
        &self.location
    }

    pub fn lock(&self) -> &TargetLock {
        &self.lock
    }

    /// True when this open created the state file (a first session).
    pub fn is_new(&self) -> bool {
        self.created
    }
}

/// A target that has a state file, as a resume offer shows it.
#[derive(Debug, Clone)]
pub struct KnownState {
    pub location: StateLocation,
    pub target: Target,
    pub updated: Timestamp,
    pub session: u32,
    pub position: Option<Position>,
}

/// Every readable state file in `dir` (the platform state directory),
/// most recently updated first. Read-only: a damaged file is left where it
/// is and skipped (it is moved aside when its target is opened).
pub fn known_states(dir: &Path) -> Vec<KnownState> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut known: Vec<KnownState> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json") && path.is_file())
        .filter_map(|path| {
            let location = StateLocation::explicit(path);
            let state = location.peek()?;
            Some(KnownState {
                location,
                target: state.target,
                updated: state.updated,
                session: state.session.number,
                position: state.position,
            })
        })
        .collect();
    known.sort_by_key(|k| std::cmp::Reverse(k.updated));
    known
}
