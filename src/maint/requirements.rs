//! Whether the project lists pip-audit among its requirements, and the edit
//! that adds it: to a dev/CI requirements file the project already has, else
//! to `requirements.txt`. Reads files only; the edit is data.

use std::path::{Path, PathBuf};

use crate::maint::pip_audit::flatten_requirements;

/// The pin the fix adds. Pinned with `==` because the audit itself runs with
/// `--no-deps --disable-pip`, which refuses unpinned lines.
pub const PIP_AUDIT_PIN: &str = "pip-audit==2.10.1";

/// Dev/CI requirement files, in the order the fix prefers them.
const DEV_FILES: &[&str] = &[
    "requirements-dev.txt",
    "requirements_dev.txt",
    "dev-requirements.txt",
    "requirements/dev.txt",
    "requirements/development.txt",
    "requirements-ci.txt",
    "requirements/ci.txt",
    "requirements-test.txt",
    "requirements/test.txt",
    "requirements/local.txt",
];

/// Runtime requirement files.
const MAIN_FILES: &[&str] =
    &["requirements.txt", "requirements/base.txt", "requirements/production.txt"];

/// The requirement files the project has (on the host), dev/CI files first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequirementFiles {
    pub dev: Vec<PathBuf>,
    pub main: Vec<PathBuf>,
}

impl RequirementFiles {
    pub fn all(&self) -> impl Iterator<Item = &PathBuf> {
        self.dev.iter().chain(&self.main)
    }
}

pub fn find_requirement_files(project_dir: &Path) -> RequirementFiles {
    let existing = |names: &[&str]| -> Vec<PathBuf> {
        names.iter().map(|n| project_dir.join(n)).filter(|p| p.is_file()).collect()
    };
    RequirementFiles { dev: existing(DEV_FILES), main: existing(MAIN_FILES) }
}

/// Where pip-audit is listed: the file (on the host) and its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub file: PathBuf,
    pub line: u32,
    pub text: String,
}

/// The first line in the project's requirement files (or files they
/// include) that requires pip-audit.
pub fn find_pip_audit_listing(files: &RequirementFiles) -> Option<Listing> {
    let mut read = Vec::new();
    for start in files.all() {
        for file in flatten_requirements(start).files {
            if read.contains(&file) {
                continue;
            }
            if let Some(listing) = listing_in(&file) {
                return Some(listing);
            }
            read.push(file);
        }
    }
    None
}

fn listing_in(file: &Path) -> Option<Listing> {
    let text = String::from_utf8_lossy(&std::fs::read(file).ok()?).into_owned();
    text.lines().enumerate().find_map(|(index, line)| {
        let body = line.split('#').next().unwrap_or("").trim();
        let name_end = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(body.len());
        let name = body[..name_end].to_ascii_lowercase().replace(['_', '.'], "-");
        (name == "pip-audit").then(|| Listing {
            file: file.to_path_buf(),
            line: u32::try_from(index + 1).unwrap_or(u32::MAX),
            text: crate::redact::printable(line),
        })
    })
}

/// The edit that lists pip-audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequirementsFix {
    /// On the host.
    pub path: PathBuf,
    /// `None` when the file is created.
    pub before: Option<String>,
    pub after: String,
    /// Said to the operator before the edit: hashed or generated files.
    pub warnings: Vec<String>,
}

impl RequirementsFix {
    /// The edit for the fix pipeline; `root` names the file inside the target.
    pub fn file_edit(&self, root: &Path) -> crate::fix::FileEdit {
        let inside = crate::target::inside_path(root, &self.path);
        match &self.before {
            Some(before) => crate::fix::FileEdit::change(
                inside,
                before.clone().into_bytes(),
                self.after.clone().into_bytes(),
            ),
            None => crate::fix::FileEdit::create(inside, self.after.clone().into_bytes(), 0o644),
        }
    }
}

/// Adds [`PIP_AUDIT_PIN`] to the first dev/CI requirements file, else to
/// `requirements.txt` (created when the project has no requirement file at
/// all). `None` when pip-audit is listed already.
pub fn plan_add_pip_audit(project_dir: &Path, files: &RequirementFiles) -> Option<RequirementsFix> {
    if find_pip_audit_listing(files).is_some() {
        return None;
    }
    let path = files
        .dev
        .first()
        .or_else(|| files.main.first())
        .cloned()
        .unwrap_or_else(|| project_dir.join("requirements.txt"));
    let before = std::fs::read(&path).ok().map(|b| String::from_utf8_lossy(&b).into_owned());

    let mut after = before.clone().unwrap_or_default();
    if !after.is_empty() && !after.ends_with('\n') {
        after.push('\n');
    }
    after.push_str(PIP_AUDIT_PIN);
    after.push('\n');

    let mut warnings = Vec::new();
    let text = before.as_deref().unwrap_or("");
    if text.contains("--hash=") {
        warnings.push(format!(
            "{} pins with hashes: pip install --require-hashes refuses the new line until its \
             hashes are added (regenerate the file)",
            path.display()
        ));
    }
    if text.contains("autogenerated by pip-compile") {
        warnings.push(format!(
            "{} is generated by pip-compile: add pip-audit to its .in file too, or the next \
             compile drops it",
            path.display()
        ));
    }
    Some(RequirementsFix { path, before, after, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        dir
    }

    #[test]
    fn a_listing_in_an_included_dev_file_is_found() {
        let dir = project(&[
            ("requirements.txt", "Django==5.2.19\n"),
            ("requirements/dev.txt", "-r ../requirements.txt\n-r tools.txt\n"),
            ("requirements/tools.txt", "ruff==0.8.0\npip_audit==2.10.1  # audit\n"),
        ]);
        let files = find_requirement_files(dir.path());
        let listing = find_pip_audit_listing(&files).expect("listed");
        assert_eq!(listing.file, dir.path().join("requirements/tools.txt"));
        assert_eq!(listing.line, 2);
        assert_eq!(plan_add_pip_audit(dir.path(), &files), None);
    }

    #[test]
    fn the_pin_goes_to_the_dev_file_when_there_is_one() {
        let dir = project(&[
            ("requirements.txt", "Django==5.2.19\n"),
            ("requirements-dev.txt", "-r requirements.txt\npytest==8.3.0"),
        ]);
        let files = find_requirement_files(dir.path());
        let fix = plan_add_pip_audit(dir.path(), &files).expect("a plan");
        assert_eq!(fix.path, dir.path().join("requirements-dev.txt"));
        assert_eq!(fix.after, "-r requirements.txt\npytest==8.3.0\npip-audit==2.10.1\n");
        assert!(fix.warnings.is_empty());
    }

    #[test]
    fn a_hashed_requirements_file_gets_a_warning() {
        let dir = project(&[("requirements.txt", "django==5.2.19 \\\n    --hash=sha256:00\n")]);
        let files = find_requirement_files(dir.path());
        let fix = plan_add_pip_audit(dir.path(), &files).expect("a plan");
        assert_eq!(fix.warnings.len(), 1);
    }

    #[test]
    fn a_project_without_requirements_gets_a_new_file() {
        let dir = project(&[]);
        let files = find_requirement_files(dir.path());
        let fix = plan_add_pip_audit(dir.path(), &files).expect("a plan");
        assert_eq!((fix.before, fix.after.as_str()), (None, "pip-audit==2.10.1\n"));
    }
}
