//! Where a target's state file lives and how it is read and written.
//!
//! Writes are atomic (a temporary file in the same directory, fsync, rename,
//! fsync of the directory), so a crash at any moment leaves the old state or
//! the new one. A file that cannot be parsed is moved aside, never deleted
//! and never overwritten. The file is mode 600 in a directory of mode 700.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use jiff::Timestamp;

use super::{FORMAT_VERSION, StateFile, digest, migrate};
use crate::target::Target;

const FILE_MODE: u32 = 0o600;
const DIR_MODE: u32 = 0o700;

/// Why a state file could not be found, read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "no state directory: neither XDG_STATE_HOME nor HOME is set; give one with --state FILE"
    )]
    NoStateDir,
    #[error("cannot read the state file {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write the state file {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error(
        "the state file {path} is damaged ({cause}); it was moved aside to {moved_to}. \
         Start fresh, or stop and look at the saved copy"
    )]
    Corrupt { path: PathBuf, moved_to: PathBuf, cause: String },
    #[error(
        "the state file {path} is damaged ({cause}) and could not be moved aside: {source}. \
         Nothing was changed; move it away yourself or give another --state FILE"
    )]
    CorruptStuck { path: PathBuf, cause: String, source: io::Error },
    #[error(
        "the state file {path} has format version {found}, newer than this portcullis \
         understands ({FORMAT_VERSION}); use a newer portcullis or another --state FILE"
    )]
    TooNew { path: PathBuf, found: u64 },
}

/// Where one target's state, lock and backups are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateLocation {
    file: PathBuf,
    /// True when the directory is portcullis's own (the platform state
    /// directory), so that its mode may be tightened; an explicit `--state`
    /// directory is created 700 but never changed.
    own_dir: bool,
}

impl StateLocation {
    /// The platform state directory (`$XDG_STATE_HOME/portcullis`, else
    /// `~/.local/state/portcullis`), one file per target.
    pub fn for_target(target: &Target) -> Result<Self, StateError> {
        let dirs =
            directories::ProjectDirs::from("", "", "portcullis").ok_or(StateError::NoStateDir)?;
        let dir = dirs.state_dir().ok_or(StateError::NoStateDir)?;
        Ok(Self::in_dir(dir, target))
    }

    /// A file for `target` inside `dir`, named as [`state_file_name`] says.
    pub fn in_dir(dir: impl AsRef<Path>, target: &Target) -> Self {
        StateLocation { file: dir.as_ref().join(state_file_name(target)), own_dir: true }
    }

    /// The file given with `--state FILE`.
    pub fn explicit(file: impl Into<PathBuf>) -> Self {
        StateLocation { file: file.into(), own_dir: false }
    }

    /// The state file itself.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The directory that holds the state file.
    pub fn dir(&self) -> &Path {
        self.file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
    }

    /// The lock file beside the state file.
    pub fn lock_file(&self) -> PathBuf {
        sibling(&self.file, ".lock")
    }

    /// Where this target's backups go: `backups/<state file stem>/` beside
    /// the state file.
    pub fn backups_dir(&self) -> PathBuf {
        let stem = self
            .file
            .file_stem()
            .map_or_else(|| "state".to_owned(), |s| s.to_string_lossy().into_owned());
        self.dir().join("backups").join(stem)
    }

    /// True when a state file exists here.
    pub fn exists(&self) -> bool {
        self.file.exists()
    }

    /// Reads the state without locking (read-only users do not lock).
    /// `Ok(None)` when there is no file yet. An old format is migrated in
    /// memory (it is written in the new format on the next save). A file that
    /// does not parse is moved aside and the error says where.
    pub fn load(&self) -> Result<Option<StateFile>, StateError> {
        let bytes = match fs::read(&self.file) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(StateError::Read { path: self.file.clone(), source }),
        };
        match parse(&bytes) {
            Ok(state) => Ok(Some(state)),
            Err(Parse::TooNew(found)) => Err(StateError::TooNew { path: self.file.clone(), found }),
            Err(Parse::Damaged(cause)) => Err(self.move_aside(cause)),
        }
    }

    /// Reads the state if it parses, leaving a damaged file where it is:
    /// for listings, never for a session.
    pub fn peek(&self) -> Option<StateFile> {
        parse(&fs::read(&self.file).ok()?).ok()
    }

    /// The platform state directory, `$XDG_STATE_HOME/portcullis` or
    /// `~/.local/state/portcullis`.
    pub fn platform_dir() -> Result<PathBuf, StateError> {
        let dirs =
            directories::ProjectDirs::from("", "", "portcullis").ok_or(StateError::NoStateDir)?;
        dirs.state_dir().map(Path::to_path_buf).ok_or(StateError::NoStateDir)
    }

    /// Writes the state atomically, mode 600, creating the directory (700)
    /// when needed. Sets the state's format version to the current one.
    pub fn save(&self, state: &StateFile) -> Result<(), StateError> {
        let write_err = |source| StateError::Write { path: self.file.clone(), source };
        self.prepare_dir().map_err(write_err)?;

        let mut state_bytes = serde_json::to_vec_pretty(&Versioned(state))
            .map_err(|err| write_err(io::Error::other(err)))?;
        state_bytes.push(b'\n');
        write_atomically(&self.file, &state_bytes).map_err(write_err)?;
        remove_orphan_temps(&self.file);
        Ok(())
    }

    /// Creates the backups directory (700) and writes `bytes` there, mode
    /// 600, under a name made of the time, the item and the file's name.
    /// Returns the backup's path for the journal.
    pub fn write_backup(
        &self,
        item: &str,
        inside_path: &str,
        bytes: &[u8],
        now: Timestamp,
    ) -> io::Result<PathBuf> {
        let dir = self.backups_dir();
        create_private_dir(&dir)?;
        tighten_dir(&dir)?;
        if let Some(parent) = dir.parent() {
            tighten_dir(parent)?;
        }

        let base = Path::new(inside_path)
            .file_name()
            .map_or_else(|| "file".to_owned(), |n| slug(&n.to_string_lossy()));
        let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
        for attempt in 0u32.. {
            let suffix = if attempt == 0 { String::new() } else { format!("-{attempt}") };
            let path = dir.join(format!("{stamp}-{}-{base}{suffix}", slug(item)));
            match OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).open(&path) {
                Ok(mut file) => {
                    file.write_all(bytes)?;
                    file.sync_all()?;
                    sync_dir(&dir)?;
                    return Ok(path);
                }
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
                Err(err) => return Err(err),
            }
        }
        Err(io::Error::other("no free backup name"))
    }

    /// Creates the directory (700) or, when it is portcullis's own, tightens
    /// a looser mode.
    fn prepare_dir(&self) -> io::Result<()> {
        let dir = self.dir();
        create_private_dir(dir)?;
        if self.own_dir {
            tighten_dir(dir)?;
        }
        Ok(())
    }

    /// Moves a damaged file to `<name>.corrupt-<time>` without ever replacing
    /// another file, and says where it went.
    fn move_aside(&self, cause: String) -> StateError {
        let stamp = Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string();
        for attempt in 0u32..1000 {
            let suffix = if attempt == 0 { String::new() } else { format!("-{attempt}") };
            let target = sibling(&self.file, &format!(".corrupt-{stamp}{suffix}"));
            // A hard link fails when the name is taken, so nothing is
            // overwritten; only then is the original name removed.
            match fs::hard_link(&self.file, &target) {
                Ok(()) => {
                    if let Err(source) = fs::remove_file(&self.file) {
                        let _ = fs::remove_file(&target);
                        return StateError::CorruptStuck { path: self.file.clone(), cause, source };
                    }
                    let _ = sync_dir(self.dir());
                    return StateError::Corrupt {
                        path: self.file.clone(),
                        moved_to: target,
                        cause,
                    };
                }
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
                Err(source) => {
                    return StateError::CorruptStuck { path: self.file.clone(), cause, source };
                }
            }
        }
        StateError::CorruptStuck {
            path: self.file.clone(),
            cause,
            source: io::Error::other("no free name to move it to"),
        }
    }
}

/// The state file's name for a target: a readable slug of the project (or
/// root) and 16 hex digits of a digest of (root, project, Apache root), so
/// that two targets never share a file and the same target always finds its
/// own. Paths are compared by their components (`/tmp/demo/` is `/tmp/demo`).
pub fn state_file_name(target: &Target) -> String {
    let key = format!(
        "root={}\0project={}\0apache={}",
        normal(&target.root),
        target.project.as_deref().map(normal).unwrap_or_default(),
        normal(&target.apache_root),
    );
    let hash = digest(key.as_bytes());

    let named = target.project.as_deref().unwrap_or(&target.root);
    let mut label = named.components().filter_map(|c| match c {
        Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
        _ => None,
    });
    let last = label.next_back().unwrap_or_else(|| "root".to_owned());
    format!("{}-{}.json", slug(&last), &hash[..16])
}

enum Parse {
    Damaged(String),
    TooNew(u64),
}

/// Parses any known format version into the current shape.
fn parse(bytes: &[u8]) -> Result<StateFile, Parse> {
    let text = std::str::from_utf8(bytes).map_err(|_| Parse::Damaged("not UTF-8 text".into()))?;
    if text.trim().is_empty() {
        return Err(Parse::Damaged("the file is empty".into()));
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|err| Parse::Damaged(format!("not valid JSON: {err}")))?;
    let version = value
        .get("format_version")
        .or_else(|| value.get("version"))
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| Parse::Damaged("no format_version".into()))?;

    match version {
        1 => serde_json::from_value::<migrate::V1>(value)
            .map(migrate::from_v1)
            .map_err(|err| Parse::Damaged(format!("not a version 1 state file: {err}"))),
        2 => serde_json::from_value::<StateFile>(value)
            .map_err(|err| Parse::Damaged(format!("not a version 2 state file: {err}"))),
        newer if newer > u64::from(FORMAT_VERSION) => Err(Parse::TooNew(newer)),
        other => Err(Parse::Damaged(format!("unknown format_version {other}"))),
    }
}

/// Serializes a state with the current format version, whatever the struct
/// says (a migrated file is saved in the new format).
struct Versioned<'a>(&'a StateFile);

impl serde::Serialize for Versioned<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.format_version == FORMAT_VERSION {
            self.0.serialize(serializer)
        } else {
            let mut copy = self.0.clone();
            copy.format_version = FORMAT_VERSION;
            copy.serialize(serializer)
        }
    }
}

/// Temporary file in the same directory, fsync, rename over the old file,
/// fsync of the directory so the rename itself survives a power cut.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name =
        path.file_name().map_or_else(|| "state".into(), |n| n.to_string_lossy().into_owned());

    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|err| io::Error::other(err.to_string()))?;
    let tag = u64::from_le_bytes(random);
    let tag = format!("{tag:016x}");
    let temp = dir.join(format!(".{name}.tmp-{}-{tag}", std::process::id()));

    let result = (|| {
        let mut file =
            OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Removes temporary files of earlier saves whose process died between
/// creating them and the rename (a SIGKILL at the wrong moment).
fn remove_orphan_temps(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else { return };
    let prefix = format!(".{}.tmp-", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir })
    else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<i32>().ok());
        let dead = pid.is_some_and(|pid| {
            pid != 0
                && matches!(
                    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
                    Err(nix::errno::Errno::ESRCH)
                )
        });
        if dead {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates `dir` and any missing parents with mode 700 (existing ones are
/// left as they are).
pub(super) fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)
}

/// Removes group and other access from a directory of our own.
pub(super) fn tighten_dir(dir: &Path) -> io::Result<()> {
    let mode = fs::metadata(dir)?.permissions().mode();
    if mode & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(mode & 0o700 | DIR_MODE))?;
    }
    Ok(())
}

fn sibling(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
    name.push(suffix);
    file.with_file_name(name)
}

fn normal(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_owned()),
            _ => None,
        })
        .collect();
    format!("/{}", parts.join("/"))
}

/// Letters, digits, `.`, `_` and `-`; anything else becomes `-`.
fn slug(text: &str) -> String {
    let slug: String = text
        .chars()
        .take(40)
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' })
        .collect();
    let slug = slug.trim_matches(['-', '.']).to_owned();
    if slug.is_empty() { "target".to_owned() } else { slug }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_file_name_is_stable_and_tells_targets_apart() {
        let mut target = Target::at_root("/tmp/demo/");
        target.project = Some(PathBuf::from("/srv/app"));
        let name = state_file_name(&target);
        assert!(
            name.starts_with("app-") && Path::new(&name).extension() == Some("json".as_ref()),
            "{name}"
        );

        let mut same = Target::at_root("/tmp/demo");
        same.project = Some(PathBuf::from("/srv/app/"));
        assert_eq!(state_file_name(&same), name);

        let mut other_apache = same.clone();
        other_apache.apache_root = PathBuf::from("/etc/apache2-internal");
        assert_ne!(state_file_name(&other_apache), name);

        assert!(state_file_name(&Target::at_root("/")).starts_with("root-"));
    }
}
