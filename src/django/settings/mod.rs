//! Static analysis of a Django settings module: an abstract interpreter that
//! runs the module's top-level statements the way Python would, following
//! star imports, `.env` loading and the environment libraries, and gives each
//! setting's effective value and where it was set. It never runs Python, never
//! guesses (what cannot be known is `Unknown` with the reason), and never puts
//! a secret's value into any text it produces.

mod envlib;
mod eval;
mod interp;
mod source;
mod val;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::defaults::default_of;
use super::value::{Location, Setting, Value};
use crate::redact::is_secret_name;
use crate::target::Target;

pub use interp::LiteralKind;

/// What the analysis reads.
pub struct AnalysisInput<'a> {
    /// Files are read via `target.host_path(inside)`.
    pub target: &'a Target,
    /// Inside path of the directory holding `manage.py` (the first entry of
    /// `sys.path`).
    pub project_dir: &'a Path,
    /// The settings module, `config.settings` (a module or a package).
    pub module: &'a str,
    /// Inside path of the `--env-file`: its variables are the process
    /// environment, and no other variable is set.
    pub env_file: Option<&'a Path>,
    /// Host path of the project's site-packages, to tell whether a
    /// third-party import succeeds.
    pub site_packages: Option<PathBuf>,
}

/// Something the operator should know about how the settings were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub location: Option<Location>,
    pub message: String,
}

/// The settings could not be analysed: a syntax error, an unreadable file,
/// a module that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct SettingsError {
    /// Inside path.
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
}

/// The settings module as static analysis sees it.
#[derive(Debug, Clone)]
pub struct SettingsAnalysis {
    module_file: String,
    files: Vec<String>,
    notes: Vec<Note>,
    dotenv_files: Vec<String>,
    settings: BTreeMap<String, Setting>,
    literals: BTreeMap<String, LiteralKind>,
    import_failure: Option<Note>,
}

/// Analyses the settings module of `input`.
pub fn analyze(input: &AnalysisInput) -> Result<SettingsAnalysis, SettingsError> {
    interp::run(input)
}

impl SettingsAnalysis {
    /// The effective value of `name`: the last assignment along the import
    /// chain, else the default of Django (or django-axes), else unknown.
    pub fn setting(&self, name: &str) -> Setting {
        if let Some(setting) = self.settings.get(name) {
            return setting.clone();
        }
        let secret = is_secret_name(name);
        match default_of(name) {
            Some(value) => Setting {
                name: name.to_owned(),
                value: Value::Known(value),
                assigned: None,
                related: Vec::new(),
                notes: vec![format!("not assigned in {}: the default applies", self.module_file)],
                secret,
            },
            None => Setting {
                name: name.to_owned(),
                value: Value::Unknown("not set, and Django has no default for it".to_owned()),
                assigned: None,
                related: Vec::new(),
                notes: Vec::new(),
                secret,
            },
        }
    }

    /// True when the settings assign `name` (an uppercase name, which is all
    /// Django reads).
    pub fn is_assigned(&self, name: &str) -> bool {
        self.settings.contains_key(name)
    }

    /// Inside path of the module's file (`settings.py` or `settings/__init__.py`).
    pub fn module_file(&self) -> &str {
        &self.module_file
    }

    /// Every file read, inside paths, in the order they were read.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    /// The `.env` files (and `settings.ini`) the settings actually load.
    pub fn dotenv_files(&self) -> &[String] {
        &self.dotenv_files
    }

    pub fn assigned_names(&self) -> Vec<String> {
        self.settings.keys().cloned().collect()
    }

    /// How a literal reaches the setting, if one does: assigned as a string
    /// literal, or a literal fallback of an environment read. For
    /// `maint.secret-key-source`.
    pub fn literal(&self, name: &str) -> Option<&LiteralKind> {
        self.literals.get(name)
    }

    /// Set when the module as a whole would fail to import (an exception at
    /// its top level that nothing catches): the values are then those up to
    /// the failing statement.
    pub fn import_failure(&self) -> Option<&Note> {
        self.import_failure.as_ref()
    }
}

/// Python's `str.isupper()`: some cased character and no lowercase one.
/// Django reads only such names from a settings module.
pub(crate) fn is_setting_name(name: &str) -> bool {
    name.chars().any(char::is_uppercase) && !name.chars().any(char::is_lowercase)
}

#[cfg(test)]
mod tests;
