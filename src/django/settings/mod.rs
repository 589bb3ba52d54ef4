//! TEMPORARY STAND-IN, to be replaced by the static settings analyzer that
//! another branch is writing. It has the agreed API and nothing behind it:
//! `analyze` always fails, so every setting reads as unknown. Delete this file
//! in favour of the real module when merging.

use std::path::{Path, PathBuf};

use crate::django::value::{Location, Setting, Value};
use crate::target::Target;

pub struct AnalysisInput<'a> {
    pub target: &'a Target,
    /// The project directory, inside the target.
    pub project_dir: &'a Path,
    pub module: &'a str,
    pub env_file: Option<&'a Path>,
    /// The virtualenv's site-packages, on this machine.
    pub site_packages: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub location: Option<Location>,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("the static settings analyzer is not merged into this branch yet")]
    NotMerged,
}

#[derive(Debug, Clone, Default)]
pub struct SettingsAnalysis {
    module_file: String,
    files: Vec<String>,
    notes: Vec<Note>,
    dotenv_files: Vec<String>,
}

impl SettingsAnalysis {
    pub fn setting(&self, name: &str) -> Setting {
        Setting {
            name: name.to_owned(),
            value: Value::Unknown("the settings analyzer is not merged yet".to_owned()),
            assigned: None,
            related: Vec::new(),
            notes: Vec::new(),
            secret: false,
        }
    }

    pub fn is_assigned(&self, _name: &str) -> bool {
        false
    }

    pub fn module_file(&self) -> &str {
        &self.module_file
    }

    pub fn files(&self) -> &[String] {
        &self.files
    }

    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    pub fn dotenv_files(&self) -> &[String] {
        &self.dotenv_files
    }
}

pub fn analyze(_input: &AnalysisInput) -> Result<SettingsAnalysis, SettingsError> {
    Err(SettingsError::NotMerged)
}
