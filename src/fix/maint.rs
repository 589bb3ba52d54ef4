//! Plans for the maintenance fix kinds: pip-audit listed and run in CI, the
//! secret key moved out of the settings and rotated, the `.env` given to the
//! site alone, the site's own Apache logs, and a logrotate drop-in for the
//! logs nothing rotates. Planning reads files and touches nothing.
//!
//! No key ever reaches a title, a warning or a diff: every edit that holds
//! one carries it in [`FileEdit::secrets`], which the diff hides wherever it
//! stands. The bytes live only in the files and in the backups (mode 600).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use tree_sitter::{Node, Parser, Tree};

use super::plan::PlanError;
use super::plan::{FileEdit, Ownership, Plan, StagedStep, Validator};
use super::textedit;
use crate::apache::ApacheConfig;
use crate::checklist::{Fix, Item};
use crate::django::rules::DjangoFacts;
use crate::django::settings::LiteralKind;
use crate::django::value::{Location, PyValue};
use crate::state::StateFile;
use crate::target::Target;

/// The variable a key moved out of the settings is read from.
pub const KEY_VARIABLE: &str = "DJANGO_SECRET_KEY";
/// The variable the retired keys are read from, comma-separated.
pub const FALLBACKS_VARIABLE: &str = "DJANGO_SECRET_KEY_FALLBACKS";
/// Length of a generated key: well over Django's 50.
const KEY_LENGTH: usize = 64;
/// 64 symbols, so that a random byte maps onto them evenly. None needs
/// quoting or escaping in a `.env` for python-dotenv, django-environ or
/// decouple, and none is `$` (a reference for django-environ).
const KEY_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// Django's session lifetime when the settings do not change it.
const DEFAULT_SESSION_COOKIE_AGE: i64 = 1_209_600;

/// What the maintenance planners need.
pub struct MaintPlanning<'a> {
    pub target: &'a Target,
    pub facts: &'a DjangoFacts,
    pub apache: Option<&'a ApacheConfig>,
    pub staged: bool,
}

/// How the settings read environment variables.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reader {
    /// `os.environ`, filled by python-dotenv's `load_dotenv` or the process.
    Environ,
    /// django-environ: the name bound to `environ.Env()`.
    DjangoEnviron(String),
    /// python-decouple's `config`, which reads the file itself.
    Decouple,
}

/// Where the key comes from now.
#[derive(Debug, Clone)]
enum KeySource {
    /// A literal in the settings: assigned, or the fallback of an
    /// environment read that nothing sets.
    Literal { at: Location, value: String, variable: Option<String> },
    /// An environment variable set in a file portcullis can read.
    File { variable: String, file: String, value: String, at: Location },
}

/// The `.env` a moved key lands in, and how the settings read it.
struct EnvTarget {
    file: String,
    variable: String,
    reader: Reader,
}

impl MaintPlanning<'_> {
    /// The plan that makes `item` pass, or `None` when its fix is not a
    /// maintenance kind.
    pub fn plan(&self, item: &Item) -> Result<Option<Plan>, PlanError> {
        let Some(fix) = &item.fix else { return Ok(None) };
        let plan = match fix {
            Fix::RequirementsAdd { package } if package == "pip-audit" => {
                self.requirements_add(&item.id)
            }
            Fix::CiStepAdd { .. } => self.ci_step(&item.id),
            Fix::SecretKeyMove => self.secret_key_move(&item.id)?,
            Fix::SecretKeyRotate => self.secret_key_rotate(&item.id)?,
            Fix::EnvPermissions => self.env_permissions(&item.id)?,
            Fix::LogrotateTemplate { .. } => self.logrotate(&item.id)?,
            Fix::ApacheLogs => self.apache_logs(&item.id)?,
            Fix::PipAuditUpgrade => self.pip_audit_upgrade(&item.id)?,
            _ => return Ok(None),
        };
        Ok(Some(plan))
    }

    /// Raises each vulnerable pin of the requirements file to the lowest
    /// version that fixes every advisory pip-audit named (what `pip-audit
    /// --fix` does, as a diff); on the live system the virtualenv follows.
    fn pip_audit_upgrade(&self, item_id: &str) -> Result<Plan, PlanError> {
        use crate::maint::pip_audit::AuditOutcome;
        let audit = crate::probe::maint::run_audit(self.target, self.facts, self.apache)
            .map_err(PlanError)?;
        let AuditOutcome::Vulnerable { packages, .. } = &audit.outcome else {
            return Err(PlanError("pip-audit reports no vulnerable package to upgrade".to_owned()));
        };
        let before = self.read(&audit.file)?;
        let (after, upgrades) = crate::maint::pip_audit::upgrade_pins(&before, packages);
        if upgrades.is_empty() {
            return Err(PlanError(format!(
                "the vulnerable pins are not in {} itself (an included file, or no fixed version is known): upgrade them by hand",
                audit.file
            )));
        }
        let shown: Vec<String> =
            upgrades.iter().map(|u| format!("{} {} → {}", u.name, u.from, u.to)).collect();
        let mut plan = Plan::new(item_id, format!("upgrade {}", shown.join(", ")));
        plan.edits.push(FileEdit::change(&audit.file, before.into_bytes(), after.into_bytes()));
        if upgrades.iter().any(|u| u.name.eq_ignore_ascii_case("django")) {
            plan.warnings.push(
                "this upgrades Django itself: read its release notes before the next deploy"
                    .to_owned(),
            );
        }
        match self.facts.project.venv.as_ref().filter(|_| self.target.is_live_system()) {
            Some(venv) => {
                let pip = self.target.host_path(venv.join("bin/pip")).display().to_string();
                let requirements = self.target.host_path(&audit.file).display().to_string();
                plan.commands
                    .push(crate::fix::PlannedCommand::new(pip, &["install", "-r", &requirements]));
            }
            None => plan.operator_steps.push(format!(
                "install the upgraded pins where the site runs: pip install -r {}",
                audit.file
            )),
        }
        if super::checks::django_check_usable(
            self.target,
            crate::probe::RunOptions { offline: true, evaluate: false },
        ) {
            plan.validators.push(Validator::DjangoCheck);
        }
        Ok(plan)
    }

    fn project_host(&self) -> PathBuf {
        self.target.host_path(&self.facts.project.dir)
    }

    fn project_inside(&self) -> String {
        let dir = self.facts.project.dir.display().to_string();
        let trimmed = dir.trim_end_matches('/');
        if trimmed.is_empty() { "/".to_owned() } else { trimmed.to_owned() }
    }

    fn read(&self, inside: &str) -> Result<String, PlanError> {
        std::fs::read(self.target.host_path(inside))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|err| PlanError(format!("cannot read {inside}: {err}")))
    }

    /// Host paths in a library's message, named as inside the target.
    fn shown(&self, text: &str) -> String {
        let root = self.target.root.display().to_string();
        if self.target.is_live_system() || root.is_empty() {
            text.to_owned()
        } else {
            text.replace(root.trim_end_matches('/'), "")
        }
    }

    // ---- dependency scanning -------------------------------------------

    fn requirements_add(&self, id: &str) -> Plan {
        use crate::maint::requirements::{find_requirement_files, plan_add_pip_audit};
        let project = self.project_host();
        let mut files = find_requirement_files(&project);
        // Only a file the item's probe reads makes it pass.
        let read: Vec<PathBuf> =
            self.facts.requirements.files.iter().map(|f| self.target.host_path(f)).collect();
        files.dev.retain(|f| read.contains(f));
        let Some(fix) = plan_add_pip_audit(&project, &files) else {
            return Plan::new(id, "pip-audit is listed already");
        };
        let edit = fix.file_edit(&self.target.root);
        let mut plan = Plan::new(
            id,
            format!("add {} to {}", crate::maint::requirements::PIP_AUDIT_PIN, edit.path),
        );
        plan.warnings.extend(fix.warnings.iter().map(|w| self.shown(w)));
        plan.edits.push(edit);
        plan
    }

    fn ci_step(&self, id: &str) -> Plan {
        let pipelines = crate::maint::ci::find_pipelines(&self.project_host());
        let project = self.project_inside();
        let requirements = self
            .facts
            .requirements
            .lists("django")
            .map(|r| r.file.clone())
            .or_else(|| self.facts.requirements.files.first().cloned())
            .map_or_else(
                || "requirements.txt".to_owned(),
                |file| {
                    file.strip_prefix(&format!("{project}/")).map_or(file.clone(), str::to_owned)
                },
            );
        let Some(fix) = crate::maint::ci::plan_pip_audit_step(&pipelines, &requirements) else {
            return Plan::new(
                id,
                "nothing to add: the project has no CI pipeline, or one already runs pip-audit",
            );
        };
        let edit = fix.file_edit(&self.target.root);
        let mut plan = Plan::new(id, format!("{} ({})", fix.summary, edit.path));
        plan.warnings.push(
            "the pipeline now fails when pip-audit finds a vulnerable pin: upgrade it, or add `--ignore-vuln ID` with a reason"
                .to_owned(),
        );
        plan.edits.push(edit);
        plan
    }

    // ---- the secret key --------------------------------------------------

    fn settings_reader(source: &str) -> Reader {
        for line in source.lines() {
            let line = line.trim();
            if let Some((name, value)) = line.split_once('=')
                && value.trim_start().starts_with("environ.Env(")
                && is_identifier(name.trim())
            {
                return Reader::DjangoEnviron(name.trim().to_owned());
            }
        }
        if source.lines().any(|l| {
            let l = l.trim();
            l.starts_with("from decouple import") && l.contains("config")
        }) {
            return Reader::Decouple;
        }
        Reader::Environ
    }

    /// Where `SECRET_KEY` comes from, with its current value.
    fn key_source(&self) -> Result<KeySource, PlanError> {
        let setting = self.facts.analysis.setting("SECRET_KEY");
        let Some(at) = setting.assigned.clone() else {
            return Err(PlanError(
                "SECRET_KEY is never assigned: add `SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]` to the settings by hand".to_owned(),
            ));
        };
        match self.facts.analysis.literal("SECRET_KEY") {
            Some(LiteralKind::Assigned(_)) => {
                let Some(PyValue::Str(value)) = setting.known() else {
                    return Err(PlanError(format!(
                        "the literal SECRET_KEY at {}:{} cannot be read statically",
                        at.file, at.line
                    )));
                };
                Ok(KeySource::Literal { at, value: value.clone(), variable: None })
            }
            Some(LiteralKind::Fallback { variable, .. }) => {
                let source = self.read(&at.file)?;
                let value = fallback_literal(&source, "SECRET_KEY", at.line)
                    .map_err(|why| PlanError(format!("{}:{}: {why}", at.file, at.line)))?;
                // A variable some file sets is what the site runs with; the
                // fallback goes, and the file's value stays.
                if let Some((file, current)) = self.env_value(variable) {
                    return Ok(KeySource::File {
                        variable: variable.clone(),
                        file,
                        value: current,
                        at,
                    });
                }
                Ok(KeySource::Literal { at, value, variable: Some(variable.clone()) })
            }
            None => {
                let source = self.read(&at.file)?;
                let Some(variable) = super::pyedit::env_variable(&source, "SECRET_KEY", at.line)
                else {
                    return Err(PlanError(format!(
                        "SECRET_KEY at {}:{} is computed in a way portcullis does not edit; rotate it by hand",
                        at.file, at.line
                    )));
                };
                match self.env_value(&variable) {
                    Some((file, value)) => Ok(KeySource::File { variable, file, value, at }),
                    None => Err(PlanError(format!(
                        "SECRET_KEY is read from {variable}, which no file portcullis can see sets (it comes from the process's environment): rotate it where it is set, or give that file with --env-file"
                    ))),
                }
            }
        }
    }

    /// Candidate environment files, in the order a value in them wins: the
    /// process's own (`--env-file`), then each loaded `.env` (python-dotenv
    /// and django-environ do not override a variable already set).
    fn env_files(&self) -> Vec<String> {
        let mut files = Vec::new();
        if let Some(file) = &self.target.env_file {
            files.push(file.display().to_string());
        }
        for file in self.facts.analysis.dotenv_files() {
            let ini = Path::new(file).extension().is_some_and(|e| e.eq_ignore_ascii_case("ini"));
            if !ini && !files.contains(file) {
                files.push(file.clone());
            }
        }
        files
    }

    /// The file that sets `variable`, and its value there.
    fn env_value(&self, variable: &str) -> Option<(String, String)> {
        self.env_files().into_iter().find_map(|file| {
            let text = self.read(&file).ok()?;
            env_entry_value(&text, variable).map(|value| (file, value))
        })
    }

    /// The current text of `path`: the plan's pending edit, or the file
    /// (empty when it does not exist yet).
    fn current(&self, plan: &Plan, path: &str) -> Result<Option<String>, PlanError> {
        if let Some(edit) = plan.edits.iter().find(|e| e.path == path) {
            return Ok(Some(String::from_utf8_lossy(&edit.after).into_owned()));
        }
        match std::fs::read(self.target.host_path(path)) {
            Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(PlanError(format!("cannot read {path}: {err}"))),
        }
    }

    /// Sets the plan's edit of `path` to `after`.
    fn put(&self, plan: &mut Plan, path: &str, after: String) -> Result<(), PlanError> {
        if let Some(edit) = plan.edits.iter_mut().find(|e| e.path == path) {
            edit.after = after.into_bytes();
            return Ok(());
        }
        let edit = match std::fs::read(self.target.host_path(path)) {
            Ok(before) => FileEdit::change(path, before, after.into_bytes()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let mut edit = FileEdit::create(path, after.into_bytes(), 0o600);
                edit.set = self.manage_py_owner(0o600);
                edit
            }
            Err(err) => return Err(PlanError(format!("cannot read {path}: {err}"))),
        };
        if Path::new(path).extension().is_some_and(|ext| ext == "py") {
            plan.validators.push(Validator::PythonCompile { file: path.to_owned() });
        }
        plan.edits.push(edit);
        Ok(())
    }

    /// The owner of `manage.py`, for a `.env` the plan creates.
    fn manage_py_owner(&self, mode: u32) -> Option<Ownership> {
        let meta = std::fs::metadata(self.target.host_path(self.facts.project.manage_py())).ok()?;
        Some(Ownership {
            mode,
            uid: meta.uid(),
            gid: meta.gid(),
            user: self.name_of("/etc/passwd", meta.uid()),
            group: self.name_of("/etc/group", meta.gid()),
        })
    }

    fn name_of(&self, file: &str, id: u32) -> String {
        let text = std::fs::read_to_string(self.target.host_path(file)).unwrap_or_default();
        text.lines()
            .find_map(|line| {
                let mut fields = line.split(':');
                let name = fields.next()?;
                (fields.nth(1)?.parse::<u32>().ok()? == id).then(|| name.to_owned())
            })
            .unwrap_or_else(|| id.to_string())
    }

    fn id_of(&self, file: &str, name: &str) -> Option<u32> {
        let text = std::fs::read_to_string(self.target.host_path(file)).ok()?;
        text.lines().find_map(|line| {
            let mut fields = line.split(':');
            (fields.next()? == name).then(|| fields.nth(1)?.parse().ok()).flatten()
        })
    }

    /// Where a literal key goes, making the settings load that file when
    /// they do not yet. `Err` when nothing would hand the variable to the site.
    fn env_target(
        &self,
        plan: &mut Plan,
        settings_file: &str,
        variable: &str,
    ) -> Result<EnvTarget, PlanError> {
        let source = self.current(plan, settings_file)?.unwrap_or_default();
        let reader = Self::settings_reader(&source);
        if let Some(file) = self.env_files().first() {
            return Ok(EnvTarget { file: file.clone(), variable: variable.to_owned(), reader });
        }
        if let Some(ini) = self.facts.analysis.dotenv_files().first() {
            // decouple reads settings.ini before any .env: a new .env would
            // never be read.
            return Err(PlanError(format!(
                "the settings read {ini} through decouple, and portcullis writes only .env files: move the key into its [settings] section by hand"
            )));
        }
        let file = format!("{}/.env", self.project_inside().trim_end_matches('/'));
        let depth = settings_depth(settings_file, &self.project_inside());
        let base = format!("Path(__file__).resolve().parents[{depth}]");
        let dotenv = self.facts.requirements.lists("python-dotenv").is_some()
            || matches!(self.facts.versions.installed("python-dotenv"), Some(Some(_)));
        let after = match &reader {
            Reader::Decouple => None,
            Reader::DjangoEnviron(name) => {
                let line = format!("environ.Env.read_env({base} / \".env\")");
                let source = ensure_import(&source, "from pathlib import Path");
                Some(
                    insert_after_statement(&source, &format!("{name} = environ.Env("), &line)
                        .ok_or_else(|| {
                            PlanError(format!(
                                "cannot find `{name} = environ.Env(` in {settings_file}"
                            ))
                        })?,
                )
            }
            Reader::Environ if dotenv => {
                let with_import = ensure_import(&source, "from dotenv import load_dotenv");
                let with_path = ensure_import(&with_import, "from pathlib import Path");
                Some(insert_before_assignment(
                    &with_path,
                    "SECRET_KEY",
                    &format!("load_dotenv({base} / \".env\")"),
                ))
            }
            Reader::Environ => {
                let why = "nothing would hand the key to the site: the settings load no .env file, python-dotenv is neither installed nor pinned, and no --env-file names the environment file the site's process is started with".to_owned();
                plan.operator_steps.push(
                    "install and pin python-dotenv (then `portcullis fix maint.secret-key-source` loads a new .env), or start the site with an environment file (systemd `EnvironmentFile=`) and give it as --env-file; Apache's SetEnv does not reach os.environ under mod_wsgi".to_owned(),
                );
                plan.blocked = Some(why);
                None
            }
        };
        if let Some(after) = after {
            self.put(plan, settings_file, after)?;
        }
        Ok(EnvTarget { file, variable: variable.to_owned(), reader })
    }

    /// Moves a literal key into the `.env` and makes the settings read it.
    /// Returns the `.env` target, or `None` when the plan is blocked.
    fn move_literal(
        &self,
        plan: &mut Plan,
        at: &Location,
        value: &str,
        variable: Option<&str>,
    ) -> Result<Option<EnvTarget>, PlanError> {
        let variable = variable.unwrap_or(KEY_VARIABLE);
        let lines_before = self.current(plan, &at.file)?.unwrap_or_default().lines().count();
        let target = self.env_target(plan, &at.file, variable)?;
        if plan.blocked.is_some() {
            return Ok(None);
        }
        let entry = env_quoted(value, &target.reader).map_err(|why| {
            PlanError(format!(
                "the key at {}:{} {why}; rotate it instead (`portcullis fix maint.secret-key-strength`)",
                at.file, at.line
            ))
        })?;
        let env_text = self.current(plan, &target.file)?.unwrap_or_default();
        self.put(plan, &target.file, set_entry(&env_text, &target.variable, &entry))?;

        let source = self.current(plan, &at.file)?.unwrap_or_default();
        // Loading the .env added lines above the assignment.
        let added = source.lines().count().saturating_sub(lines_before);
        let moved = at.line.saturating_add(u32::try_from(added).unwrap_or(0));
        let line = line_of_assignment(&source, "SECRET_KEY", moved).unwrap_or(moved);
        let read = read_expression(&target.reader, &target.variable);
        let after = replace_key_read(&source, line, &read)
            .map_err(|why| PlanError(format!("{}:{}: {why}", at.file, at.line)))?;
        let after = if matches!(target.reader, Reader::Environ) {
            ensure_import(&after, "import os")
        } else {
            after
        };
        self.put(plan, &at.file, after)?;
        plan.warnings.push(format!(
            "the key moves to {} ({}); the site reads it from there once reloaded",
            target.file, target.variable
        ));
        Ok(Some(target))
    }

    fn secret_key_move(&self, id: &str) -> Result<Plan, PlanError> {
        let mut plan = Plan::new(id, "move SECRET_KEY out of the settings into the .env");
        if self.facts.analysis.literal("SECRET_KEY").is_none() {
            "SECRET_KEY is not written in the settings".clone_into(&mut plan.title);
            return Ok(plan);
        }
        match self.key_source()? {
            KeySource::Literal { at, value, variable } => {
                let moved = self.move_literal(&mut plan, &at, &value, variable.as_deref())?;
                if let Some(target) = moved {
                    plan.title = format!(
                        "move SECRET_KEY from {}:{} to {} as {}",
                        at.file, at.line, target.file, target.variable
                    );
                }
                if super::checks::django_check_usable(
                    self.target,
                    crate::probe::RunOptions { offline: true, evaluate: false },
                ) {
                    plan.validators.push(Validator::DjangoCheck);
                }
                hide(&mut plan, &[value]);
            }
            KeySource::File { variable, file, value, at } => {
                // The variable is set: only the literal fallback goes.
                let source = self.read(&at.file)?;
                let line = line_of_assignment(&source, "SECRET_KEY", at.line).unwrap_or(at.line);
                let literal = fallback_literal(&source, "SECRET_KEY", line).ok();
                let reader = Self::settings_reader(&source);
                let after = replace_key_read(&source, line, &read_expression(&reader, &variable))
                    .map_err(|why| PlanError(format!("{}:{}: {why}", at.file, at.line)))?;
                self.put(&mut plan, &at.file, after)?;
                plan.title = format!(
                    "drop the literal fallback of SECRET_KEY at {}:{}: {variable} is set in {file}",
                    at.file, at.line
                );
                if super::checks::django_check_usable(
                    self.target,
                    crate::probe::RunOptions { offline: true, evaluate: false },
                ) {
                    plan.validators.push(Validator::DjangoCheck);
                }
                let mut secrets = vec![value];
                secrets.extend(literal);
                hide(&mut plan, &secrets);
            }
        }
        Ok(plan)
    }

    fn secret_key_rotate(&self, id: &str) -> Result<Plan, PlanError> {
        let mut plan = Plan::new(id, "rotate SECRET_KEY, keeping the old key as a fallback");
        match self.facts.versions.django() {
            Some(django) if django.version.at_least("4.1") => {}
            Some(django) => {
                plan.blocked = Some(format!(
                    "Django {} has no SECRET_KEY_FALLBACKS (4.1 and later): a rotation would log every user out and break every reset link; upgrade Django first",
                    django.version
                ));
                return Ok(plan);
            }
            None => {
                plan.blocked = Some(
                    "the Django version cannot be told (no virtualenv, no pin), and SECRET_KEY_FALLBACKS needs 4.1 or later"
                        .to_owned(),
                );
                return Ok(plan);
            }
        }
        let (target, old, at) = match self.key_source()? {
            KeySource::Literal { at, value, variable } => {
                match self.move_literal(&mut plan, &at, &value, variable.as_deref())? {
                    Some(target) => (target, value, at),
                    None => return Ok(plan),
                }
            }
            KeySource::File { variable, file, value, at } => {
                let source = self.read(&at.file)?;
                let reader = Self::settings_reader(&source);
                if self.facts.analysis.literal("SECRET_KEY").is_some() {
                    // Set in the file, with a literal fallback in the code: drop it too.
                    let line =
                        line_of_assignment(&source, "SECRET_KEY", at.line).unwrap_or(at.line);
                    let literal = fallback_literal(&source, "SECRET_KEY", line).ok();
                    let after =
                        replace_key_read(&source, line, &read_expression(&reader, &variable))
                            .map_err(|why| PlanError(format!("{}:{}: {why}", at.file, at.line)))?;
                    self.put(&mut plan, &at.file, after)?;
                    hide(&mut plan, &literal.into_iter().collect::<Vec<_>>());
                }
                (EnvTarget { file, variable, reader }, value, at)
            }
        };

        let new = generate_key().map_err(PlanError)?;
        let env_text = self.current(&plan, &target.file)?.unwrap_or_default();
        let with_key = set_entry(&env_text, &target.variable, &new);

        // A weak key is no fallback worth keeping: Django flags it (W025)
        // and it stays as guessable as before. Without a weak old key, the
        // old key goes first among the fallbacks and any there stay after it.
        if let Some(why) = crate::probe::maint::key_weakness(&old) {
            plan.warnings.push(format!(
                "the old key is weak ({why}), so it is not kept as a fallback: everyone is logged out and password-reset links sent before now stop working"
            ));
            self.put(&mut plan, &target.file, with_key)?;
            hide(&mut plan, &[old, new]);
            if super::checks::django_check_usable(
                self.target,
                crate::probe::RunOptions { offline: true, evaluate: false },
            ) {
                plan.validators.push(Validator::DjangoCheck);
            }
            plan.title = format!(
                "replace the weak SECRET_KEY with a new random key in {} ({})",
                target.file, target.variable
            );
            Self::reload_warning(&mut plan);
            if id == "maint.secret-key-rotated" {
                plan.completes = false;
            }
            return Ok(plan);
        }
        let (fallbacks_variable, mut secrets) = self.fallbacks_into(&mut plan, &target, &at)?;
        let existing = env_entry_value(&with_key, &fallbacks_variable).unwrap_or_default();
        let mut keys = vec![old.clone()];
        keys.extend(
            existing
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty() && **k != *old)
                .map(str::to_owned),
        );
        for literal in &secrets {
            if !keys.contains(literal) {
                keys.push(literal.clone());
            }
        }
        let weak = keys.iter().filter(|k| crate::probe::maint::key_weakness(k).is_some()).count();
        if weak > 0 {
            keys.retain(|k| crate::probe::maint::key_weakness(k).is_none());
            plan.warnings.push(format!(
                "{weak} weak key(s) among the existing fallbacks are dropped: Django flags them (W025)"
            ));
        }
        let list = keys.join(",");
        if keys.iter().any(|k| k.contains(',')) {
            return Err(PlanError(
                "a key to keep as a fallback holds a comma, which a comma-separated list cannot carry; rotate by hand".to_owned(),
            ));
        }
        let entry = env_quoted(&list, &target.reader).map_err(|why| {
            PlanError(format!(
                "the old key {why}; it cannot be kept as a fallback in {}",
                target.file
            ))
        })?;
        let after = set_entry(&with_key, &fallbacks_variable, &entry);
        self.put(&mut plan, &target.file, after)?;

        secrets.extend(existing.split(',').map(|k| k.trim().to_owned()));
        secrets.extend([old, new, existing]);
        hide(&mut plan, &secrets);
        if super::checks::django_check_usable(
            self.target,
            crate::probe::RunOptions { offline: true, evaluate: false },
        ) {
            plan.validators.push(Validator::DjangoCheck);
        }
        plan.title = format!(
            "rotate SECRET_KEY: a new random key in {} ({}), the old one kept in {} until sessions signed with it expire",
            target.file, target.variable, fallbacks_variable
        );
        Self::reload_warning(&mut plan);
        let days = self.session_days();
        plan.staged = Some(StagedStep {
            name: "SECRET_KEY rotated; the old key is still accepted as a fallback".to_owned(),
            next_after_days: days,
            reminder: format!(
                "drop the old key from {fallbacks_variable} in {} (sessions last {days} days), then reload the site",
                target.file
            ),
        });
        if id == "maint.secret-key-rotated" {
            // That item passes on the journal's record of this rotation,
            // which exists only once the plan is applied.
            plan.completes = false;
        }
        Ok(plan)
    }

    fn reload_warning(plan: &mut Plan) {
        plan.warnings.push(
            "reload the site (Apache, or touch the WSGI script) so that it signs with the new key; until then it uses the old one"
                .to_owned(),
        );
    }

    /// Makes the settings read `SECRET_KEY_FALLBACKS` from the environment,
    /// when they do not yet. Returns the variable, and the literal
    /// fallbacks the settings held (they move into the variable).
    fn fallbacks_into(
        &self,
        plan: &mut Plan,
        target: &EnvTarget,
        key_at: &Location,
    ) -> Result<(String, Vec<String>), PlanError> {
        let setting = self.facts.analysis.setting("SECRET_KEY_FALLBACKS");
        let Some(at) = &setting.assigned else {
            let source = self.current(plan, &key_at.file)?.unwrap_or_default();
            let line = find_key_line(&source).unwrap_or(key_at.line);
            let statement = format!(
                "SECRET_KEY_FALLBACKS = {}",
                fallbacks_expression(&target.reader, FALLBACKS_VARIABLE)
            );
            let after = insert_after_assignment(&source, "SECRET_KEY", line, &statement)
                .ok_or_else(|| {
                    PlanError(format!("cannot find the SECRET_KEY assignment in {}", key_at.file))
                })?;
            self.put(plan, &key_at.file, after)?;
            return Ok((FALLBACKS_VARIABLE.to_owned(), Vec::new()));
        };
        let source = self.current(plan, &at.file)?.unwrap_or_default();
        if let Some(variable) =
            super::pyedit::env_variable(&source, "SECRET_KEY_FALLBACKS", at.line)
        {
            return Ok((variable, Vec::new()));
        }
        // Literal fallbacks: they move into the variable, which the
        // settings read from now on.
        let Some(items) = setting.known().and_then(PyValue::items) else {
            return Err(PlanError(format!(
                "SECRET_KEY_FALLBACKS at {}:{} is neither a list nor read from the environment; edit it by hand",
                at.file, at.line
            )));
        };
        let literals: Vec<String> =
            items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect();
        let expression = fallbacks_expression(&target.reader, FALLBACKS_VARIABLE);
        let after =
            super::pyedit::replace_value(&source, "SECRET_KEY_FALLBACKS", at.line, &expression)
                .map_err(|err| PlanError(format!("{}:{}: {err}", at.file, at.line)))?;
        self.put(plan, &at.file, after)?;
        Ok((FALLBACKS_VARIABLE.to_owned(), literals))
    }

    /// `SESSION_COOKIE_AGE` in whole days, rounded up.
    fn session_days(&self) -> u32 {
        let seconds = match self.facts.analysis.setting("SESSION_COOKIE_AGE").known() {
            Some(PyValue::Int(s)) if *s > 0 => *s,
            _ => DEFAULT_SESSION_COOKIE_AGE,
        };
        u32::try_from((seconds + 86_399) / 86_400).unwrap_or(u32::MAX)
    }

    // ---- who may read the .env ------------------------------------------

    fn env_permissions(&self, id: &str) -> Result<Plan, PlanError> {
        let mut files: Vec<String> = self.facts.analysis.dotenv_files().to_vec();
        if let Some(file) = &self.target.env_file {
            files.push(file.display().to_string());
        }
        let Some((user, group)) =
            crate::probe::maint::site_user(self.target, self.facts, self.apache)
        else {
            return Err(PlanError(
                "the site's user cannot be told, so no owner can be chosen safely".to_owned(),
            ));
        };
        let (Some(uid), Some(gid)) =
            (self.id_of("/etc/passwd", &user), self.id_of("/etc/group", &group))
        else {
            return Err(PlanError(format!(
                "the site's user {user} (group {group}) is not in the target's /etc/passwd and /etc/group: portcullis will not guess an owner the site may not be"
            )));
        };
        let mut plan = Plan::new(id, format!("make the .env readable by {user} alone"));
        for file in files.clone() {
            let host = self.target.host_path(&file);
            let meta = std::fs::metadata(&host)
                .map_err(|err| PlanError(format!("cannot read {file}: {err}")))?;
            let wanted = if meta.uid() == 0 && meta.gid() == gid {
                Ownership {
                    mode: 0o640,
                    uid: 0,
                    gid,
                    user: self.name_of("/etc/passwd", 0),
                    group: group.clone(),
                }
            } else {
                Ownership { mode: 0o600, uid, gid, user: user.clone(), group: group.clone() }
            };
            let site_reads = (wanted.uid == uid && wanted.mode & 0o400 != 0)
                || (wanted.gid == gid && wanted.mode & 0o040 != 0);
            if !site_reads {
                return Err(PlanError(format!("{file}: no safe mode lets {user} read it")));
            }
            if meta.mode() & 0o7777 == wanted.mode
                && meta.uid() == wanted.uid
                && meta.gid() == wanted.gid
            {
                continue;
            }
            let bytes = std::fs::read(&host)
                .map_err(|err| PlanError(format!("cannot read {file}: {err}")))?;
            let mut edit = FileEdit::change(&file, bytes.clone(), bytes);
            plan.title = format!(
                "{file}: mode {:04o} → {:04o}, owner {}:{} → {}:{}",
                meta.mode() & 0o7777,
                wanted.mode,
                self.name_of("/etc/passwd", meta.uid()),
                self.name_of("/etc/group", meta.gid()),
                wanted.user,
                wanted.group
            );
            edit.set = Some(wanted);
            plan.edits.push(edit);
        }
        // Copies beside it (.env.bak, .env.production) lose what every user
        // could read; their owner stays.
        for (copy, mode) in crate::probe::maint::env_copies(self.target, &files) {
            let open_to_all = mode & 0o007;
            if open_to_all == 0 {
                continue;
            }
            let host = self.target.host_path(&copy);
            let meta = std::fs::metadata(&host)
                .map_err(|err| PlanError(format!("cannot read {copy}: {err}")))?;
            let bytes = std::fs::read(&host)
                .map_err(|err| PlanError(format!("cannot read {copy}: {err}")))?;
            let mut edit = FileEdit::change(&copy, bytes.clone(), bytes);
            edit.set = Some(Ownership {
                mode: mode & !0o007,
                uid: meta.uid(),
                gid: meta.gid(),
                user: self.name_of("/etc/passwd", meta.uid()),
                group: self.name_of("/etc/group", meta.gid()),
            });
            plan.edits.push(edit);
        }
        // A file Apache serves must move out of the served tree: the
        // operator's choice of where, so the fix says it and stops short.
        if let Some(config) = self.apache {
            for (file, url) in crate::probe::maint::served_env_files(self.target, config, &files) {
                plan.operator_steps.push(format!(
                    "move {file} out of the directory Apache serves (anyone can fetch {url}), and point the settings at its new place"
                ));
                plan.completes = false;
            }
        }
        Ok(plan)
    }

    // ---- logs ----------------------------------------------------------------

    fn site_name(&self) -> String {
        self.facts
            .project
            .dir
            .file_name()
            .map_or_else(|| "site".to_owned(), |n| n.to_string_lossy().into_owned())
    }

    fn logrotate(&self, id: &str) -> Result<Plan, PlanError> {
        use crate::maint::logrotate as lr;
        let Some(config) = self.apache else {
            return Err(PlanError("Apache's configuration cannot be read".to_owned()));
        };
        let (_, logs) = crate::probe::maint::site_logs(self.facts, config);
        if logs.is_empty() {
            return Err(PlanError("the site's virtual hosts name no log file".to_owned()));
        }
        let rotation = lr::load(&self.target.root, "/etc/logrotate.conf");
        let report = lr::coverage(&self.target.root, &rotation, &logs);
        let duplicated: Vec<String> = report
            .duplicated()
            .iter()
            .map(|l| {
                let by: Vec<String> =
                    l.covered_by.iter().map(|s| format!("{}:{}", s.file, s.line)).collect();
                format!("{} is matched by {}", l.log, by.join(" and "))
            })
            .collect();
        let create = lr::create_args_for(&self.target.root, &logs);
        let Some(dropin) =
            lr::plan_site_dropin(&self.target.root, &self.site_name(), &report, &create)
        else {
            if duplicated.is_empty() {
                return Ok(Plan::new(id, "every log of the site is rotated already"));
            }
            return Err(PlanError(format!(
                "{}: keep one of the rules and remove the log from the others by hand (logrotate skips a log two rules match)",
                duplicated.join("; ")
            )));
        };
        let mut plan =
            Plan::new(id, format!("rotate {} with {}", dropin.logs.join(", "), dropin.path));
        let mut edit = dropin.file_edit();
        // logrotate ignores a drop-in not owned by root or writable by others.
        edit.set = Some(Ownership {
            mode: 0o644,
            uid: 0,
            gid: 0,
            user: self.name_of("/etc/passwd", 0),
            group: self.name_of("/etc/group", 0),
        });
        let mut ignored: Vec<&str> = report
            .logs
            .iter()
            .filter(|l| dropin.logs.contains(&l.log))
            .flat_map(|l| l.ignored_by.iter().map(|s| s.file.as_str()))
            .filter(|file| *file != dropin.path)
            .collect();
        ignored.dedup();
        if !ignored.is_empty() {
            plan.warnings.push(format!(
                "{} also names these logs but logrotate ignores it (its mode or owner): remove it rather than repair it, or the two rules collide",
                ignored.join(", ")
            ));
        }
        if !duplicated.is_empty() {
            plan.warnings
                .push(format!("{}: remove the duplicate rule by hand", duplicated.join("; ")));
            plan.completes = false;
        }
        let known = if self.target.is_live_system() {
            lr::find_logrotate()
                .and_then(|logrotate| {
                    let state = std::env::temp_dir()
                        .join(format!("portcullis-logrotate-plan-{}.status", std::process::id()));
                    let result =
                        lr::validate(&logrotate, Path::new("/etc/logrotate.conf"), &state).ok();
                    let _ = std::fs::remove_file(&state);
                    result
                })
                .map(|v| v.errors)
                .unwrap_or_default()
        } else {
            plan.warnings.push(format!(
                "the root is {}, not /: `logrotate -d` checks {} alone, without the global options",
                self.target.root.display(),
                dropin.path
            ));
            Vec::new()
        };
        plan.validators.push(Validator::LogrotateDebug {
            file: dropin.path.clone(),
            config: "/etc/logrotate.conf".to_owned(),
            known,
        });
        plan.edits.push(edit);
        Ok(plan)
    }

    fn apache_logs(&self, id: &str) -> Result<Plan, PlanError> {
        let Some(config) = self.apache else {
            return Err(PlanError("Apache's configuration cannot be read".to_owned()));
        };
        let site = self.site_name();
        let dir = if config.variables.contains_key("APACHE_LOG_DIR") {
            "${APACHE_LOG_DIR}".to_owned()
        } else {
            "/var/log/apache2".to_owned()
        };
        let project = self.project_inside();
        let mut plan = Plan::new(
            id,
            format!(
                "give the site's virtual hosts their own logs ({site}_error.log, {site}_access.log)"
            ),
        );
        // Last first, so that an insertion never moves a line still to come.
        let mut vhosts = config.virtual_hosts();
        vhosts.sort_by(|a, b| b.place.cmp(&a.place));
        for vhost in vhosts {
            let serves = vhost
                .wsgi_script_alias()
                .is_some_and(|(_, script, _)| script.starts_with(&project))
                || !vhost.proxy_passes().is_empty();
            if !serves {
                continue;
            }
            let mut lines = Vec::new();
            if vhost.error_log().is_none() {
                lines.push(format!("ErrorLog {dir}/{site}_error.log"));
            }
            if vhost.custom_logs().is_empty() {
                lines.push(format!("CustomLog {dir}/{site}_access.log combined"));
            }
            if lines.is_empty() {
                continue;
            }
            let file = vhost.place.file.clone();
            let Some(text) = self.current(&plan, &file)? else {
                return Err(PlanError(format!("cannot read {file}")));
            };
            let after =
                insert_before_vhost_end(&text, vhost.place.line, &lines).ok_or_else(|| {
                    PlanError(format!("no </VirtualHost> after {}:{}", file, vhost.place.line))
                })?;
            self.put(&mut plan, &file, after)?;
        }
        if !plan.edits.is_empty() {
            super::apache::add_apache_validation(self.target, config, &mut plan);
            plan.warnings.push("Apache writes the new logs after a graceful reload".to_owned());
        }
        Ok(plan)
    }
}

/// When the key was last rotated, by portcullis (a live journal entry of the
/// rotation fix) within the last 12 months; for `maint.secret-key-rotated`.
pub fn rotation_recorded(state: &StateFile, now: Timestamp) -> Option<Timestamp> {
    let year_ago = now.checked_sub(SignedDuration::from_hours(24 * 365)).ok()?;
    state
        .journal
        .iter()
        .filter(|e| e.item == "maint.secret-key-strength" || e.item == "maint.secret-key-rotated")
        .filter(|e| e.is_live() && e.applied >= year_ago && e.applied <= now)
        .map(|e| e.applied)
        .max()
}

/// A new key from the operating system's random source.
pub fn generate_key() -> Result<String, String> {
    loop {
        let mut bytes = [0u8; KEY_LENGTH];
        getrandom::fill(&mut bytes)
            .map_err(|err| format!("the operating system's random source failed: {err}"))?;
        let key: String =
            bytes.iter().map(|b| char::from(KEY_ALPHABET[usize::from(b & 63)])).collect();
        if crate::probe::maint::key_weakness(&key).is_none() {
            return Ok(key);
        }
    }
}

fn hide(plan: &mut Plan, secrets: &[String]) {
    for edit in &mut plan.edits {
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            if !edit.secrets.contains(secret) {
                edit.secrets.push(secret.clone());
            }
        }
    }
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// How many directories the settings file sits below the project (for
/// `Path(__file__).resolve().parents[N]`).
fn settings_depth(settings_file: &str, project: &str) -> usize {
    let rest = settings_file.strip_prefix(project).unwrap_or(settings_file);
    rest.trim_start_matches('/').matches('/').count()
}

/// The expression that reads `variable` the way the settings read the
/// environment; no default, so a missing variable stops the site at once.
fn read_expression(reader: &Reader, variable: &str) -> String {
    match reader {
        Reader::Environ => format!("os.environ[\"{variable}\"]"),
        Reader::DjangoEnviron(name) => format!("{name}(\"{variable}\")"),
        Reader::Decouple => format!("config(\"{variable}\")"),
    }
}

/// The expression for a comma-separated list of fallbacks, empty when unset.
fn fallbacks_expression(reader: &Reader, variable: &str) -> String {
    match reader {
        Reader::Environ => {
            format!("[key for key in os.environ.get(\"{variable}\", \"\").split(\",\") if key]")
        }
        Reader::DjangoEnviron(name) => format!("{name}.list(\"{variable}\", default=[])"),
        Reader::Decouple => {
            format!("[key for key in config(\"{variable}\", default=\"\").split(\",\") if key]")
        }
    }
}

/// A value as a `.env` line holds it for every library: plain when it is,
/// else in single quotes. `Err` says why no quoting can carry it.
fn env_quoted(value: &str, reader: &Reader) -> Result<String, String> {
    if value.chars().any(|c| matches!(c, '\'' | '\\' | '\n' | '\r')) {
        return Err("holds a quote, a backslash or a line break".to_owned());
    }
    if value.contains("${") {
        return Err("holds `${`, which python-dotenv expands".to_owned());
    }
    if matches!(reader, Reader::DjangoEnviron(_)) && value.starts_with('$') {
        return Err("starts with `$`, which django-environ reads as a reference".to_owned());
    }
    if value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.,".contains(c)) {
        Ok(value.to_owned())
    } else {
        Ok(format!("'{value}'"))
    }
}

/// Sets `name` to `value` (already quoted as it must stand) in a `.env`
/// text: the last entry is replaced, keeping its `export`; a missing one
/// is appended.
fn set_entry(text: &str, name: &str, value: &str) -> String {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    match lines.iter().rposition(|l| textedit::env_entry_name(l) == Some(name)) {
        Some(index) => {
            let line = &lines[index];
            let eq = line.find('=').unwrap_or(line.len());
            lines[index] = format!("{}={value}", &line[..eq]);
        }
        None => lines.push(format!("{name}={value}")),
    }
    let mut out = lines.join(newline);
    out.push_str(newline);
    out
}

/// The value of the last entry for `name` in a `.env` text, without its
/// quotes.
fn env_entry_value(text: &str, name: &str) -> Option<String> {
    let line = text.lines().rev().find(|l| textedit::env_entry_name(l) == Some(name))?;
    let (_, value) = line.split_once('=')?;
    let value = value.trim();
    for quote in ['\'', '"'] {
        if value.len() >= 2
            && let Some(inner) = value.strip_prefix(quote).and_then(|v| v.strip_suffix(quote))
        {
            return Some(inner.to_owned());
        }
    }
    // python-dotenv and decouple drop an inline comment after whitespace.
    let value = value.split(" #").next().unwrap_or(value).trim();
    Some(value.to_owned())
}

/// `statement` added on a line of its own after the first top-level line
/// that starts with `prefix` (a whole statement, possibly continued).
fn insert_after_statement(source: &str, prefix: &str, statement: &str) -> Option<String> {
    let tree = parse(source)?;
    let root = tree.root_node();
    let mut cursor = root.walk();
    let node = root
        .named_children(&mut cursor)
        .find(|n| n.utf8_text(source.as_bytes()).is_ok_and(|t| t.starts_with(prefix)))?;
    Some(insert_at_line_end(source, node.end_byte(), statement))
}

fn insert_at_line_end(source: &str, at: usize, statement: &str) -> String {
    let newline = if source.contains("\r\n") { "\r\n" } else { "\n" };
    let end = source[at..].find('\n').map_or(source.len(), |i| at + i + 1);
    let mut out = String::with_capacity(source.len() + statement.len() + 2);
    out.push_str(&source[..end]);
    if !out.ends_with('\n') {
        out.push_str(newline);
    }
    out.push_str(statement);
    out.push_str(newline);
    out.push_str(&source[end..]);
    out
}

/// Adds `import` after the module's last top-level import, unless the file
/// has it already.
fn ensure_import(source: &str, import: &str) -> String {
    if source.lines().any(|l| l.trim_end() == import) {
        return source.to_owned();
    }
    let Some(tree) = parse(source) else { return source.to_owned() };
    let root = tree.root_node();
    let mut cursor = root.walk();
    let last = root
        .named_children(&mut cursor)
        .take_while(|n| {
            matches!(
                n.kind(),
                "import_statement"
                    | "import_from_statement"
                    | "comment"
                    | "future_import_statement"
            ) || (n.kind() == "expression_statement"
                && n.named_child(0).is_some_and(|c| c.kind() == "string"))
        })
        .filter(|n| n.kind().contains("import"))
        .last();
    if let Some(node) = last {
        insert_at_line_end(source, node.end_byte(), import)
    } else {
        {
            // After a module docstring, else at the top.
            let mut cursor = root.walk();
            let first = root.named_children(&mut cursor).next();
            match first {
                Some(doc)
                    if doc.kind() == "expression_statement"
                        && doc.named_child(0).is_some_and(|c| c.kind() == "string") =>
                {
                    insert_at_line_end(source, doc.end_byte(), import)
                }
                _ => format!("{import}\n{source}"),
            }
        }
    }
}

/// `statement` on its own line just before the top-level assignment of `name`.
fn insert_before_assignment(source: &str, name: &str, statement: &str) -> String {
    let newline = if source.contains("\r\n") { "\r\n" } else { "\n" };
    let Some(line) = find_top_assignment_line(source, name) else {
        return format!("{source}{statement}{newline}");
    };
    let mut out = String::new();
    for (index, text) in source.split_inclusive('\n').enumerate() {
        if index + 1 == line as usize {
            out.push_str(statement);
            out.push_str(newline);
        }
        out.push_str(text);
    }
    out
}

fn find_top_assignment_line(source: &str, name: &str) -> Option<u32> {
    let tree = parse(source)?;
    let root = tree.root_node();
    let mut cursor = root.walk();
    let node = root.named_children(&mut cursor).find(|n| {
        n.kind() == "expression_statement"
            && n.named_child(0).is_some_and(|a| {
                a.kind() == "assignment"
                    && a.child_by_field_name("left")
                        .and_then(|l| l.utf8_text(source.as_bytes()).ok())
                        .is_some_and(|l| l == name)
            })
    })?;
    u32::try_from(node.start_position().row + 1).ok()
}

fn find_key_line(source: &str) -> Option<u32> {
    find_top_assignment_line(source, "SECRET_KEY")
}

/// `statement` on its own line after the assignment of `name` on `line`.
fn insert_after_assignment(source: &str, name: &str, line: u32, statement: &str) -> Option<String> {
    let tree = parse(source)?;
    let node = find_assignment(&tree, source, name, line)?;
    Some(insert_at_line_end(source, node.end_byte(), statement))
}

fn parse(source: &str) -> Option<Tree> {
    let mut parser = Parser::new();
    parser.set_language(&tree_sitter_python::LANGUAGE.into()).ok()?;
    let tree = parser.parse(source, None)?;
    (!tree.root_node().has_error()).then_some(tree)
}

/// The assignment of `name` whose lines include `line` (1-based).
fn find_assignment<'t>(tree: &'t Tree, source: &str, name: &str, line: u32) -> Option<Node<'t>> {
    let row = (line as usize).checked_sub(1)?;
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.kind() == "assignment"
            && node.start_position().row <= row
            && row <= node.end_position().row
            && node
                .child_by_field_name("left")
                .and_then(|l| l.utf8_text(source.as_bytes()).ok())
                .is_some_and(|l| l == name)
        {
            return Some(node);
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    None
}

/// The line the assignment of `name` covering `line` starts on.
fn line_of_assignment(source: &str, name: &str, line: u32) -> Option<u32> {
    let tree = parse(source)?;
    let node = find_assignment(&tree, source, name, line)?;
    u32::try_from(node.start_position().row + 1).ok()
}

/// The string literals of an expression that are not the name of the
/// variable an environment call reads (its first argument).
fn literal_nodes(right: Node<'_>) -> Vec<Node<'_>> {
    let mut found = Vec::new();
    let mut stack = vec![right];
    while let Some(node) = stack.pop() {
        if node.kind() == "string" {
            let is_name = node.parent().is_some_and(|p| {
                (p.kind() == "argument_list" && p.named_child(0) == Some(node))
                    || p.kind() == "subscript"
            });
            if !is_name {
                found.push(node);
            }
            continue;
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    found
}

/// The literal fallback of the environment read assigned to `name`.
fn fallback_literal(source: &str, name: &str, line: u32) -> Result<String, String> {
    let tree = parse(source).ok_or("the file does not parse")?;
    let assignment =
        find_assignment(&tree, source, name, line).ok_or(format!("no assignment of {name}"))?;
    let right = assignment.child_by_field_name("right").ok_or("no value")?;
    let literals = literal_nodes(right);
    let [literal] = literals.as_slice() else {
        return Err(format!("{} literals in the assignment; edit it by hand", literals.len()));
    };
    decode_string(literal.utf8_text(source.as_bytes()).map_err(|e| e.to_string())?)
}

/// The value of a plain Python string literal (`'x'`, `"x"`, `r"x"`).
fn decode_string(text: &str) -> Result<String, String> {
    let (raw, body) = match text.strip_prefix(['r', 'R']) {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let inner = ["\"\"\"", "'''", "\"", "'"]
        .iter()
        .find_map(|q| body.strip_prefix(q).and_then(|b| b.strip_suffix(q)))
        .ok_or("not a plain string literal (a byte string or an f-string)")?;
    if raw || !inner.contains('\\') {
        return Ok(inner.to_owned());
    }
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('\'') => out.push('\''),
            Some('"') => out.push('"'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            _ => return Err("an escape sequence portcullis does not decode".to_owned()),
        }
    }
    Ok(out)
}

/// Replaces the value of the `SECRET_KEY` assignment on `line`: a literal
/// becomes `read`; an environment call loses its literal fallback (and
/// `os.environ.get(X, "...")` becomes `os.environ[X]`).
fn replace_key_read(source: &str, line: u32, read: &str) -> Result<String, String> {
    let tree = parse(source).ok_or("the file does not parse")?;
    let assignment =
        find_assignment(&tree, source, "SECRET_KEY", line).ok_or("no assignment of SECRET_KEY")?;
    let right = assignment.child_by_field_name("right").ok_or("no value")?;
    let splice = |range: std::ops::Range<usize>, text: &str| {
        let mut out = String::with_capacity(source.len());
        out.push_str(&source[..range.start]);
        out.push_str(text);
        out.push_str(&source[range.end..]);
        out
    };
    if right.kind() == "string" {
        return Ok(splice(right.byte_range(), read));
    }
    let literals = literal_nodes(right);
    let [literal] = literals.as_slice() else {
        return Err(format!("{} literals in the assignment; edit it by hand", literals.len()));
    };
    let bytes = source.as_bytes();
    // The whole value is one environment call with a fallback: read the
    // variable without one.
    if right.kind() == "call"
        && let Some(function) = right.child_by_field_name("function")
        && let Ok(function) = function.utf8_text(bytes)
        && let Some(args) = right.child_by_field_name("arguments")
        && let Some(first) = args.named_child(0)
        && first.kind() == "string"
    {
        let variable = first.utf8_text(bytes).map_err(|e| e.to_string())?;
        let variable = decode_string(variable)?;
        let others: Vec<Node<'_>> = {
            let mut cursor = args.walk();
            args.named_children(&mut cursor).filter(|n| n.kind() != "comment").skip(1).collect()
        };
        let only_fallback = others.len() == 1
            && (others[0] == *literal
                || (others[0].kind() == "keyword_argument"
                    && others[0].child_by_field_name("value") == Some(*literal)));
        if only_fallback {
            let text = match function {
                "os.environ.get" | "os.getenv" => format!("os.environ[\"{variable}\"]"),
                "environ.get" => format!("environ[\"{variable}\"]"),
                _ => format!("{function}(\"{variable}\")"),
            };
            return Ok(splice(right.byte_range(), &text));
        }
    }
    // Otherwise drop just the fallback argument (`default=...` or the second
    // positional one), with its comma.
    let parent = literal.parent().ok_or("the literal has no context")?;
    let argument = if parent.kind() == "keyword_argument" { parent } else { *literal };
    if argument.parent().is_none_or(|p| p.kind() != "argument_list") {
        return Err(
            "the literal is not an argument of the environment read; edit it by hand".into()
        );
    }
    let previous = argument.prev_sibling().filter(|p| p.kind() == ",");
    let start = previous.map_or(argument.start_byte(), |p| p.start_byte());
    let mut end = argument.end_byte();
    if previous.is_none()
        && let Some(next) = argument.next_sibling().filter(|n| n.kind() == ",")
    {
        end = next.end_byte();
    }
    Ok(splice(start..end, ""))
}

/// `lines` inserted before the `</VirtualHost>` that closes the virtual host
/// opened on `open_line`, indented like the host's own directives.
fn insert_before_vhost_end(text: &str, open_line: u32, lines: &[String]) -> Option<String> {
    let all: Vec<&str> = text.split_inclusive('\n').collect();
    let start = (open_line as usize).checked_sub(1)?;
    let close = (start + 1..all.len())
        .find(|&i| all[i].trim_start().to_ascii_lowercase().starts_with("</virtualhost"))?;
    let indent = (start + 1..close)
        .map(|i| all[i])
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map_or_else(
            || "    ".to_owned(),
            |l| l.chars().take_while(|c| *c == ' ' || *c == '\t').collect(),
        );
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = String::with_capacity(text.len() + 128);
    for (index, line) in all.iter().enumerate() {
        if index == close {
            for added in lines {
                out.push_str(&indent);
                out.push_str(added);
                out.push_str(newline);
            }
        }
        out.push_str(line);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_passes_djangos_rules_and_needs_no_quoting() {
        let key = generate_key().expect("random");
        assert_eq!(key.len(), KEY_LENGTH);
        assert!(crate::probe::maint::key_weakness(&key).is_none());
        assert_eq!(
            env_quoted(&key, &Reader::DjangoEnviron("env".into())).as_deref(),
            Ok(key.as_str())
        );
        assert_ne!(generate_key().expect("random"), key);
    }

    #[test]
    fn a_fallback_literal_is_dropped_from_the_call() {
        let source = "import os\nSECRET_KEY = os.environ.get(\n    \"MY_KEY\",\n    \"placeholder-0123456789\",\n)\n";
        assert_eq!(
            fallback_literal(source, "SECRET_KEY", 2).as_deref(),
            Ok("placeholder-0123456789")
        );
        let out = replace_key_read(source, 2, "unused").expect("edits");
        assert_eq!(out, "import os\nSECRET_KEY = os.environ[\"MY_KEY\"]\n");
        let source = "SECRET_KEY = env(\"K\", default='x-y', cast=str)\n";
        let out = replace_key_read(source, 1, "unused").expect("edits");
        assert_eq!(out, "SECRET_KEY = env(\"K\", cast=str)\n");
        let source = "SECRET_KEY = config('K', default=\"abc\")\n";
        assert_eq!(replace_key_read(source, 1, "").expect("edits"), "SECRET_KEY = config(\"K\")\n");
    }

    #[test]
    fn a_literal_key_becomes_an_environment_read() {
        let source = "SECRET_KEY = 'abc'  # keep\n";
        let out = replace_key_read(source, 1, "os.environ[\"DJANGO_SECRET_KEY\"]").expect("edits");
        assert_eq!(out, "SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]  # keep\n");
        assert_eq!(ensure_import(&out, "import os"), format!("import os\n{out}"));
        let with_doc = "\"\"\"Doc.\"\"\"\n\nimport sys\nX = 1\n";
        assert_eq!(
            ensure_import(with_doc, "import os"),
            "\"\"\"Doc.\"\"\"\n\nimport sys\nimport os\nX = 1\n"
        );
    }

    #[test]
    fn env_values_are_quoted_only_when_needed() {
        assert_eq!(env_quoted("abc-1", &Reader::Environ).as_deref(), Ok("abc-1"));
        assert_eq!(env_quoted("a#b$c", &Reader::Environ).as_deref(), Ok("'a#b$c'"));
        assert!(env_quoted("a${b}", &Reader::Environ).is_err());
        assert!(env_quoted("$ab", &Reader::DjangoEnviron("env".into())).is_err());
        assert_eq!(set_entry("A=1\nexport K='x'\n", "K", "y"), "A=1\nexport K=y\n");
        assert_eq!(env_entry_value("K='a b'\n", "K").as_deref(), Some("a b"));
    }

    #[test]
    fn log_lines_go_before_the_end_of_the_virtual_host() {
        let text = "<VirtualHost *:80>\n\tServerName x\n</VirtualHost>\n";
        let out = insert_before_vhost_end(text, 1, &["ErrorLog a".into()]).expect("inserts");
        assert_eq!(out, "<VirtualHost *:80>\n\tServerName x\n\tErrorLog a\n</VirtualHost>\n");
    }
}
