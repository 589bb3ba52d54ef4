//! What a run learns about each layer of the target before the checks start:
//! the Django project and its settings, (later) the Apache configuration.
//! A layer the target does not have makes its items `unknown` with the
//! reason; naming one explicitly that is not there is an input error.

use std::collections::BTreeMap;

use crate::django::project::{self, Project};
use crate::django::rules::DjangoFacts;
use crate::django::settings::{self, AnalysisInput};
use crate::django::{requirements, versions};
use crate::probe::RunOptions;
use crate::target::Target;

/// A mistake in what the operator asked for: a path that is not there, a
/// file that cannot be parsed. Shown on one line with the way out; exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct InputError {
    pub message: String,
}

impl InputError {
    pub fn new(message: impl Into<String>) -> Self {
        InputError { message: message.into() }
    }
}

/// The layers of one target, as far as they exist.
pub struct Layers {
    django: Result<DjangoFacts, String>,
}

impl Layers {
    /// Learns what the target has. Fast: static analysis only, unless the
    /// options allow running the project's Python.
    pub fn load(target: &Target, options: RunOptions) -> Result<Layers, InputError> {
        let django = load_django(target, options)?;
        Ok(Layers { django })
    }

    /// The Django facts, or why there are none.
    pub fn django(&self) -> Result<&DjangoFacts, &String> {
        self.django.as_ref()
    }
}

/// The Django facts of the target: `Ok(Err(why))` when it has no Django
/// project, `Err` when the operator named something that is not right.
fn load_django(
    target: &Target,
    options: RunOptions,
) -> Result<Result<DjangoFacts, String>, InputError> {
    let project = match project::discover(target) {
        Ok(Some(project)) => project,
        Ok(None) => {
            return Ok(Err(format!(
                "no Django project (manage.py) was found in the current directory or under /srv, /var/www, /opt or /home{}; name it with --project",
                root_note(target)
            )));
        }
        Err(err) => return Err(InputError::new(err.to_string())),
    };
    let project = with_settings_override(target, project);

    let input = AnalysisInput {
        target,
        project_dir: &project.dir,
        module: &project.module,
        env_file: target.env_file.as_deref(),
        site_packages: project.site_packages.clone(),
    };
    let analysis = settings::analyze(&input).map_err(|err| {
        InputError::new(format!(
            "{err}; fix the settings file, or name another module with --settings"
        ))
    })?;
    let requirements = requirements::load(target, &project.dir);
    let versions = versions::detect(target, &project, &requirements);
    let mut migrations = BTreeMap::new();
    if options.evaluate {
        match project_python(target, &project) {
            Some(python) => {
                let status =
                    crate::django::rules::showmigrations(&python, target, &project, "axes");
                migrations.insert("axes".to_owned(), status);
            }
            None => {
                let why =
                    "no interpreter to ask: give --python, or create the project's virtualenv"
                        .to_owned();
                migrations.insert("axes".to_owned(), Err(why));
            }
        }
    }
    Ok(Ok(DjangoFacts { project, analysis, versions, requirements, apache: None, migrations }))
}

/// The interpreter that runs the project's code: `--python`, else the
/// project's virtualenv on the live system.
fn project_python(target: &Target, project: &Project) -> Option<std::path::PathBuf> {
    if let Some(python) = &target.python {
        return Some(python.clone());
    }
    let venv = project.venv.as_ref()?;
    let python = target.host_path(venv.join("bin/python"));
    (target.is_live_system() && python.exists()).then_some(python)
}

/// `--settings` wins over what `manage.py` says.
fn with_settings_override(target: &Target, mut project: Project) -> Project {
    if let Some(module) = &target.settings {
        project.module.clone_from(module);
        "--settings".clone_into(&mut project.module_source);
    }
    project
}

fn root_note(target: &Target) -> String {
    if target.is_live_system() {
        String::new()
    } else {
        format!(" below {}", target.root.display())
    }
}
