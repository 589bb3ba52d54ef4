//! Packs the demo site (`assets/demo`) into `$OUT_DIR/demo.tar`, which
//! `src/demo.rs` embeds in the binary.
//!
//! The archive must not depend on the machine that builds it: entries are
//! sorted, every entry carries the same mtime and owner, and modes are
//! normalized (directories 0755, files 0644, files with the owner's execute
//! bit 0755), since a git checkout keeps only the execute bit and the rest
//! comes from the umask of whoever cloned. Symlinks stay symlinks.

use std::env;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

const DEMO_DIR: &str = "assets/demo";

/// 2026-11-09 15:30:00 UTC, the afternoon the demo site went live.
const DEPLOY_TIME: u64 = 1_794_238_200;

fn main() -> io::Result<()> {
    // Cargo scans a directory given here recursively for changes.
    println!("cargo:rerun-if-changed={DEMO_DIR}");
    println!("cargo:rerun-if-changed=build.rs");

    let out_dir = env::var_os("OUT_DIR")
        .map(PathBuf::from)
        .ok_or_else(|| io::Error::other("cargo did not set OUT_DIR"))?;

    let mut entries = Vec::new();
    collect(Path::new(DEMO_DIR), Path::new(""), &mut entries)?;

    let archive = fs::File::create(out_dir.join("demo.tar"))?;
    let mut builder = tar::Builder::new(io::BufWriter::new(archive));
    for relative in &entries {
        append(&mut builder, &Path::new(DEMO_DIR).join(relative), relative)?;
    }
    builder.into_inner()?.into_inner().map_err(io::IntoInnerError::into_error)?;
    Ok(())
}

/// Every path under `dir`, relative to the demo root, parents before children,
/// in byte order of their names.
fn collect(dir: &Path, relative: &Path, entries: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut names = fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.file_name()))
        .collect::<io::Result<Vec<_>>>()?;
    names.sort();

    for name in names {
        let path = dir.join(&name);
        let inside = relative.join(&name);
        let is_real_dir = fs::symlink_metadata(&path)?.is_dir();
        entries.push(inside.clone());
        if is_real_dir {
            collect(&path, &inside, entries)?;
        }
    }
    Ok(())
}

fn append<W: io::Write>(
    builder: &mut tar::Builder<W>,
    source: &Path,
    inside: &Path,
) -> io::Result<()> {
    let metadata = fs::symlink_metadata(source)?;
    let mut header = tar::Header::new_gnu();
    header.set_mtime(DEPLOY_TIME);
    header.set_uid(0);
    header.set_gid(0);

    let file_type = metadata.file_type();
    if file_type.is_symlink() {
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_mode(0o777);
        header.set_size(0);
        builder.append_link(&mut header, inside, fs::read_link(source)?)
    } else if file_type.is_dir() {
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mode(0o755);
        header.set_size(0);
        builder.append_data(&mut header, inside, io::empty())
    } else if file_type.is_file() {
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(if is_executable(&metadata) { 0o755 } else { 0o644 });
        header.set_size(metadata.len());
        builder.append_data(&mut header, inside, fs::File::open(source)?)
    } else {
        Err(io::Error::other(format!(
            "{} is neither a file, a directory nor a symlink; the demo tree holds only those",
            source.display()
        )))
    }
}

#[cfg(unix)]
fn is_executable(metadata: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o100 != 0
}

#[cfg(not(unix))]
fn is_executable(_metadata: &fs::Metadata) -> bool {
    false
}
