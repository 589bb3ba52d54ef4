//! The bundled demo site: a small server tree (a Django project behind
//! Debian's Apache, the day after its first deploy, with most hardening still
//! to do) that `portcullis demo` unpacks and then audits offline with `--root`.
//! Unpacking writes only inside the directory it is given, and never over
//! anything already there.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use thiserror::Error;

/// The demo tree as a tar archive, packed from `assets/demo` by `build.rs`.
static ARCHIVE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/demo.tar"));

/// The Django project inside the demo root (it holds `manage.py`).
pub const PROJECT_DIR: &str = "/srv/aijack";

/// The settings module `manage.py` and `wsgi.py` name.
pub const SETTINGS_MODULE: &str = "config.settings";

/// The `.env` the settings load with `load_dotenv(BASE_DIR / ".env")`.
pub const ENV_FILE: &str = "/srv/aijack/.env";

/// The Apache configuration root inside the demo root.
pub const APACHE_ROOT: &str = "/etc/apache2";

/// The site's address; the demo is audited offline, so nothing is fetched.
pub const SITE_URL: &str = "https://aijack.example.com/";

/// The `WSGIDaemonProcess user=` of the site's vhost.
pub const SITE_USER: &str = "aijack";

#[derive(Debug, Error)]
pub enum DemoError {
    #[error(
        "{} is not empty; unpack the demo site into a new or empty directory",
        .0.display()
    )]
    NotEmpty(PathBuf),

    #[error("{} exists and is not a directory; choose a directory to unpack the demo site into", .0.display())]
    NotADirectory(PathBuf),

    #[error("could not prepare {} for the demo site: {source}", path.display())]
    Destination { path: PathBuf, source: io::Error },

    #[error("the demo archive built into portcullis is damaged ({0}); rebuild portcullis")]
    Damaged(String),

    #[error("could not unpack the demo site into {}: {source}", path.display())]
    Unpack { path: PathBuf, source: io::Error },
}

/// Recreates the demo tree under `dest`, symlinks and modes included.
///
/// `dest` is created when it does not exist; an existing one must be an empty
/// directory, so that a mistyped path never mixes the demo into real files.
pub fn unpack(dest: &Path) -> Result<(), DemoError> {
    prepare_destination(dest)?;

    let mut archive = tar::Archive::new(ARCHIVE);
    archive.set_preserve_permissions(true);
    archive.set_preserve_mtime(true);
    archive.set_unpack_xattrs(false);
    archive.set_overwrite(false);

    let entries = archive.entries().map_err(|error| DemoError::Damaged(error.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|error| DemoError::Damaged(error.to_string()))?;
        let inside =
            entry.path().map_err(|error| DemoError::Damaged(error.to_string()))?.into_owned();
        if !is_plain_relative(&inside) {
            return Err(DemoError::Damaged(format!(
                "entry {} leaves the demo root",
                inside.display()
            )));
        }
        entry
            .unpack_in(dest)
            .map_err(|source| DemoError::Unpack { path: dest.join(&inside), source })?;
    }
    Ok(())
}

/// The paths inside the demo root that the archive holds, in archive order.
pub fn paths() -> Result<Vec<PathBuf>, DemoError> {
    let mut archive = tar::Archive::new(ARCHIVE);
    let entries = archive.entries().map_err(|error| DemoError::Damaged(error.to_string()))?;
    entries
        .map(|entry| {
            entry
                .and_then(|e| e.path().map(std::borrow::Cow::into_owned))
                .map_err(|error| DemoError::Damaged(error.to_string()))
        })
        .collect()
}

fn prepare_destination(dest: &Path) -> Result<(), DemoError> {
    match fs::metadata(dest) {
        Ok(metadata) if !metadata.is_dir() => {
            return Err(DemoError::NotADirectory(dest.to_path_buf()));
        }
        Ok(_) => {
            let mut listing = fs::read_dir(dest)
                .map_err(|source| DemoError::Destination { path: dest.to_path_buf(), source })?;
            if listing.next().is_some() {
                return Err(DemoError::NotEmpty(dest.to_path_buf()));
            }
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(dest)
                .map_err(|source| DemoError::Destination { path: dest.to_path_buf(), source })?;
        }
        Err(source) => {
            return Err(DemoError::Destination { path: dest.to_path_buf(), source });
        }
    }
    Ok(())
}

/// True when `path` is relative and has only plain names (no `..`, no root).
fn is_plain_relative(path: &Path) -> bool {
    path.components().all(|component| matches!(component, Component::Normal(_) | Component::CurDir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn header_of(inside: &str) -> tar::Header {
        let mut archive = tar::Archive::new(ARCHIVE);
        for entry in archive.entries().expect("archive readable") {
            let entry = entry.expect("entry readable");
            if entry.path().expect("path").as_ref() == Path::new(inside) {
                return entry.header().clone();
            }
        }
        panic!("{inside} is not in the demo archive");
    }

    #[test]
    fn unpack_creates_a_missing_destination() {
        let scratch = tempfile::tempdir().expect("tempdir");
        let dest = scratch.path().join("new/demo");
        unpack(&dest).expect("unpack");
        assert!(dest.join("srv/aijack/manage.py").is_file());
        assert!(dest.join("etc/apache2/apache2.conf").is_file());
    }

    #[test]
    fn unpack_refuses_a_non_empty_directory_and_leaves_it_alone() {
        let scratch = tempfile::tempdir().expect("tempdir");
        fs::write(scratch.path().join("notes.txt"), "mine").expect("write");
        let error = unpack(scratch.path()).expect_err("must refuse");
        assert!(matches!(error, DemoError::NotEmpty(_)), "{error}");
        assert!(error.to_string().contains("not empty"));
        let names: Vec<_> = fs::read_dir(scratch.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec!["notes.txt"]);
    }

    #[test]
    fn unpack_refuses_a_file_as_destination() {
        let scratch = tempfile::tempdir().expect("tempdir");
        let file = scratch.path().join("demo");
        fs::write(&file, "").expect("write");
        let error = unpack(&file).expect_err("must refuse");
        assert!(matches!(error, DemoError::NotADirectory(_)), "{error}");
    }

    #[test]
    fn unpack_into_an_existing_empty_directory_works() {
        let scratch = tempfile::tempdir().expect("tempdir");
        unpack(scratch.path()).expect("unpack");
        let env = fs::metadata(scratch.path().join("srv/aijack/.env")).expect(".env");
        assert_eq!(env.permissions().mode() & 0o7777, 0o644);
    }

    #[test]
    fn archive_modes_are_normalized() {
        let mut archive = tar::Archive::new(ARCHIVE);
        let mut executables = Vec::new();
        for entry in archive.entries().expect("archive readable") {
            let entry = entry.expect("entry readable");
            let header = entry.header();
            let path = entry.path().expect("path").into_owned();
            let mode = header.mode().expect("mode");
            match header.entry_type() {
                tar::EntryType::Directory => assert_eq!(mode, 0o755, "{}", path.display()),
                tar::EntryType::Symlink => {}
                tar::EntryType::Regular if mode == 0o755 => executables.push(path),
                tar::EntryType::Regular => assert_eq!(mode, 0o644, "{}", path.display()),
                other => panic!("{}: unexpected entry type {other:?}", path.display()),
            }
        }
        assert_eq!(executables, vec![PathBuf::from("srv/aijack/manage.py")]);
    }

    #[test]
    fn archive_is_reproducible_in_mtime_and_owner() {
        let mut archive = tar::Archive::new(ARCHIVE);
        for entry in archive.entries().expect("archive readable") {
            let entry = entry.expect("entry readable");
            let header = entry.header();
            assert_eq!(header.mtime().expect("mtime"), 1_794_238_200);
            assert_eq!(header.uid().expect("uid"), 0);
            assert_eq!(header.gid().expect("gid"), 0);
        }
    }

    #[test]
    fn enabled_links_are_stored_as_relative_symlinks() {
        let header = header_of("etc/apache2/mods-enabled/security2.load");
        assert_eq!(header.entry_type(), tar::EntryType::Symlink);
        assert_eq!(
            header.link_name().expect("link").expect("has target").as_ref(),
            Path::new("../mods-available/security2.load")
        );
    }

    #[test]
    fn paths_lists_the_project_and_apache_tree() {
        let paths = paths().expect("paths");
        for inside in [
            "srv/aijack/manage.py",
            "srv/aijack/config/settings.py",
            "srv/aijack/.env",
            "etc/apache2/sites-enabled/aijack.conf",
            "var/lib/dpkg/status",
        ] {
            assert!(paths.contains(&PathBuf::from(inside)), "{inside} missing");
        }
    }

    #[test]
    fn plain_relative_paths_are_told_apart_from_escaping_ones() {
        assert!(is_plain_relative(Path::new("etc/apache2/apache2.conf")));
        assert!(!is_plain_relative(Path::new("../etc/passwd")));
        assert!(!is_plain_relative(Path::new("/etc/passwd")));
        assert!(!is_plain_relative(Path::new("srv/../../x")));
    }
}
