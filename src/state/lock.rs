//! One lock per target, held by every command that changes the target or
//! its state. The kernel lock (`flock`) is the truth; the lock file's text
//! (pid, start time, command line) only names the holder for the message a
//! second process gets. A lock left by a dead process is free and is taken
//! over with a note.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::StateLocation;

/// Who holds (or held) a lock, as written in the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    pub pid: u32,
    /// When that process took the lock.
    pub started: Timestamp,
    /// Its command line, with passwords in URLs hidden.
    pub command: String,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pid {} ({}), running since {}", self.pid, self.command, self.started)
    }
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another portcullis is working on this target: {holder}; wait for it to finish, \
         or stop it (lock file {path}); `portcullis check --no-save` audits without the lock"
    )]
    Held { holder: LockHolder, path: PathBuf },
    #[error("another process holds the lock {path} but has not said who it is yet; try again")]
    HeldByUnknown { path: PathBuf },
    #[error("cannot open or lock {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

/// A held lock; released when dropped (and by the kernel if the process dies).
#[derive(Debug)]
pub struct TargetLock {
    file: File,
    path: PathBuf,
    taken_over: Option<LockHolder>,
}

impl TargetLock {
    /// Takes the lock of the target whose state is at `location`, without
    /// waiting. The state's directory is created (700) when missing.
    pub fn acquire(location: &StateLocation) -> Result<Self, LockError> {
        let path = location.lock_file();
        let io_err = |source| LockError::Io { path: path.clone(), source };
        super::store::create_private_dir(location.dir()).map_err(io_err)?;
        Self::acquire_file(&path, Timestamp::now())
    }

    /// Takes the lock at the lock file `path` directly.
    pub fn acquire_file(path: &Path, now: Timestamp) -> Result<Self, LockError> {
        let io_err = |source| LockError::Io { path: path.to_path_buf(), source };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(io_err)?;

        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(held_by(path)),
            Err(TryLockError::Error(source)) => return Err(io_err(source)),
        }

        // The lock is ours. Whatever the file still names is a process that
        // died (or was killed) while holding it.
        let previous = read_holder(&mut file).filter(|h| h.pid != std::process::id());
        let me = LockHolder { pid: std::process::id(), started: now, command: own_command_line() };
        write_holder(&mut file, &me).map_err(io_err)?;

        Ok(TargetLock { file, path: path.to_path_buf(), taken_over: previous })
    }

    /// The holder named in the lock file when it was taken over, with a note
    /// on whether that process is gone; `None` when the lock was free.
    pub fn taken_over(&self) -> Option<&LockHolder> {
        self.taken_over.as_ref()
    }

    /// A sentence for the operator (and the log) about a takeover.
    pub fn takeover_note(&self) -> Option<String> {
        self.taken_over.as_ref().map(|old| {
            let state = if is_alive(old.pid) {
                "no longer holds it (its pid now belongs to another process)"
            } else {
                "is no longer running"
            };
            format!("took over the lock {} left by {old}, which {state}", self.path.display())
        })
    }

    /// Who holds the lock at `path` now, if anyone: for read-only commands
    /// that want to say that a session is running without waiting for it.
    pub fn holder(path: &Path) -> Option<LockHolder> {
        let mut file = File::open(path).ok()?;
        match file.try_lock_shared() {
            Ok(()) => {
                let _ = file.unlock();
                None
            }
            Err(_) => read_holder(&mut file),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TargetLock {
    fn drop(&mut self) {
        // Clear the holder so the next session sees a clean release, not a
        // takeover.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

fn held_by(path: &Path) -> LockError {
    // The holder may be between taking the lock and writing its name.
    for _ in 0..20 {
        if let Ok(mut file) = File::open(path)
            && let Some(holder) = read_holder(&mut file)
        {
            return LockError::Held { holder, path: path.to_path_buf() };
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    LockError::HeldByUnknown { path: path.to_path_buf() }
}

fn read_holder(file: &mut File) -> Option<LockHolder> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(64 * 1024).read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

fn write_holder(file: &mut File, holder: &LockHolder) -> io::Result<()> {
    let text = serde_json::to_string(holder).map_err(io::Error::other)?;
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// True when a process with this pid exists (signal 0 reaches it, or it
/// belongs to someone else).
fn is_alive(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else { return false };
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(raw), None) {
        Ok(()) | Err(nix::errno::Errno::EPERM) => true,
        Err(_) => false,
    }
}

/// This process's command line, each argument made printable, with the
/// password of any `scheme://user:password@host` hidden.
fn own_command_line() -> String {
    let args: Vec<String> = std::env::args_os()
        .map(|arg| super::hide_url_password(&crate::redact::printable(&arg.to_string_lossy())))
        .collect();
    let line = args.join(" ");
    if line.is_empty() { "portcullis".to_owned() } else { line }
}

#[cfg(test)]
mod tests {
    use super::super::hide_url_password;

    #[test]
    fn url_passwords_are_hidden_in_the_command_line() {
        assert_eq!(
            hide_url_password("--url=https://admin:s3cret@example.org/x"),
            "--url=https://admin:«redacted»@example.org/x"
        );
        assert_eq!(hide_url_password("https://example.org/a@b"), "https://example.org/a@b");
        assert_eq!(hide_url_password("--root"), "--root");
    }
}
