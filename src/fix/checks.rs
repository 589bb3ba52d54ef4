//! The checks a real apply runs: the owning program validates each edited
//! file, the plan's commands run on the live system only, and the item's own
//! probe runs again on the changed target and must pass.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::apply::{Checks, Step};
use super::plan::{Plan, Validator};
use crate::checklist::Checklist;
use crate::finding::Status;
use crate::layers::Layers;
use crate::probe::{self, Context, RunOptions};
use crate::target::Target;

/// How long a validating program or a command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);

/// Checks against the real target.
pub struct TargetChecks<'a> {
    pub target: &'a Target,
    pub checklist: &'a Checklist,
    pub options: RunOptions,
    /// Called as each step starts (the TUI shows them; the CLI prints them).
    pub on_step: &'a mut dyn FnMut(Step, &str),
}

impl TargetChecks<'_> {
    /// The interpreter that compiles edited Python files: `--python`, else
    /// Debian's, else whatever `python3` is on the path.
    fn python(&self) -> PathBuf {
        if let Some(python) = &self.target.python {
            return python.clone();
        }
        let debian = PathBuf::from("/usr/bin/python3");
        if debian.exists() { debian } else { PathBuf::from("python3") }
    }
}

impl Checks for TargetChecks<'_> {
    fn validate(&mut self, validator: &Validator) -> Result<(), String> {
        match validator {
            Validator::PythonCompile { file } => {
                // compile() checks the syntax without writing __pycache__
                // into the target, which would break a byte-for-byte rollback.
                let host = self.target.host_path(file);
                let script = "import sys\nsrc = open(sys.argv[1], 'rb').read()\ncompile(src, sys.argv[2], 'exec')\n";
                let mut command = Command::new(self.python());
                command.args(["-c", script]).arg(&host).arg(file);
                run(&mut command).map(|_| ())
            }
            Validator::DjangoCheck => django_check(self.target, self.options),
            Validator::ApacheConfigTest => super::apache::run_config_test(self.target),
            Validator::ApacheReload => {
                let done = super::apache::reload(self.target)?;
                (self.on_step)(Step::Reload, &done);
                Ok(())
            }
            Validator::LogrotateDebug { file, config, known } => {
                logrotate_debug(self.target, file, config, known)
            }
        }
    }

    fn run_commands(&mut self, plan: &Plan) -> Result<Vec<String>, String> {
        if !self.target.is_live_system() {
            return Ok(Vec::new());
        }
        let mut ran = Vec::new();
        for planned in &plan.commands {
            (self.on_step)(Step::Command, &planned.display());
            let mut command = match &planned.run_as {
                Some(user) if nix::unistd::geteuid().is_root() => {
                    let mut c = Command::new("runuser");
                    c.args(["-u", user, "--", &planned.program]);
                    c
                }
                _ => Command::new(&planned.program),
            };
            command.args(&planned.args);
            run(&mut command).map_err(|out| format!("`{}` failed: {out}", planned.display()))?;
            ran.push(planned.display());
        }
        Ok(ran)
    }

    fn recheck(&mut self, item_id: &str) -> Result<(), String> {
        let item = self.checklist.item(item_id).ok_or_else(|| format!("no item {item_id}"))?;
        let layers = Layers::load(self.target, self.options).map_err(|err| err.message)?;
        let ctx = Context { target: self.target.clone(), options: self.options, layers };
        let finding = probe::run(item, &ctx);
        if finding.status == Status::Pass {
            Ok(())
        } else {
            Err(format!("{item_id} still {}: {}", finding.status, finding.summary))
        }
    }

    fn step(&mut self, step: Step, detail: &str) {
        (self.on_step)(step, detail);
    }

    fn after_rollback(&mut self, plan: &Plan, failure: &str) {
        // A configuration that fails Apache's test without this fix fails
        // every Apache fix: say where the error really is. Apache stops at
        // its first error, so only the same words mean the same error.
        if plan.validators.contains(&Validator::ApacheConfigTest)
            && let Err(err) = super::apache::run_config_test(self.target)
        {
            let note = if failure == err {
                format!(
                    "Apache's configuration test fails on the restored files too, so the error was there before this fix: {err}; correct it, check with apache2ctl -t, then apply again"
                )
            } else {
                format!(
                    "the restored files fail Apache's configuration test too, with another error that was there before this fix: {err}; correct it, check with apache2ctl -t, then apply again"
                )
            };
            (self.on_step)(Step::Rollback, &note);
        }
        if plan.validators.contains(&Validator::ApacheReload) {
            let outcome = match super::apache::restart_after_rollback(self.target) {
                Ok(_) => "Apache reloaded on the restored configuration".to_owned(),
                Err(err) => format!("restarting Apache failed: {err}"),
            };
            (self.on_step)(Step::Rollback, &outcome);
        }
    }
}

/// `manage.py check` of the project as it is now: `Ok` when Django reports
/// no error, or when no interpreter can run it (the plan says so).
pub fn django_check(target: &Target, options: RunOptions) -> Result<(), String> {
    let layers = Layers::load(target, RunOptions { evaluate: false, ..options })
        .map_err(|err| err.message)?;
    let Ok(facts) = layers.django() else { return Ok(()) };
    let Some(python) = crate::layers::project_python(target, &facts.project) else { return Ok(()) };
    let mut command = Command::new(python);
    command
        .args(["manage.py", "check"])
        .current_dir(target.host_path(&facts.project.dir))
        .env("DJANGO_SETTINGS_MODULE", &facts.project.module);
    run(&mut command).map(|_| ()).map_err(|err| format!("manage.py check: {err}"))
}

/// Whether `manage.py check` passes on the project before any edit, asked
/// once per project and run: a project Django already rejects cannot use it
/// to judge an edit.
pub fn django_check_usable(target: &Target, options: RunOptions) -> bool {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static ASKED: OnceLock<Mutex<HashMap<PathBuf, bool>>> = OnceLock::new();
    let key = target.host_path(target.project.clone().unwrap_or_default());
    let asked = ASKED.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(known) = asked.lock().ok().and_then(|map| map.get(&key).copied()) {
        return known;
    }
    let layers = Layers::load(target, RunOptions { evaluate: false, ..options });
    let runnable = layers
        .as_ref()
        .ok()
        .and_then(|l| l.django().ok())
        .and_then(|f| crate::layers::project_python(target, &f.project))
        .is_some();
    let usable = runnable && django_check(target, options).is_ok();
    if let Ok(mut map) = asked.lock() {
        map.insert(key, usable);
    }
    usable
}

/// Runs a program to completion within the timeout; its combined output on
/// failure.
fn run(command: &mut Command) -> Result<String, String> {
    let output = crate::django::versions::run_with_timeout(command, COMMAND_TIMEOUT)?;
    Ok(output)
}

/// `logrotate -d` (debug mode: it changes nothing, and its state goes to a
/// temporary file) on the whole configuration under `/`, failing on errors
/// it did not give before the edit; under another root on the drop-in alone,
/// since the rest of the configuration names the host's files. Without
/// logrotate there is nothing that would read the drop-in, and nothing to run.
pub fn logrotate_debug(
    target: &Target,
    file: &str,
    config: &str,
    known: &[String],
) -> Result<(), String> {
    let Some(logrotate) = crate::maint::logrotate::find_logrotate() else {
        return Ok(());
    };
    let stamp = jiff::Timestamp::now().as_nanosecond();
    let state = std::env::temp_dir()
        .join(format!("portcullis-logrotate-{}-{stamp}.status", std::process::id()));
    let live = target.is_live_system();
    let checked = if live { target.host_path(config) } else { target.host_path(file) };
    let result = crate::maint::logrotate::validate(&logrotate, &checked, &state);
    let _ = std::fs::remove_file(&state);
    let result = result.map_err(|err| format!("cannot run {}: {err}", logrotate.display()))?;
    let earlier =
        crate::maint::logrotate::Validation { exit_code: Some(0), errors: known.to_vec() };
    let new: Vec<&str> = result
        .new_since(&earlier)
        .into_iter()
        // Under another root the users and groups are the target's, which
        // this machine may not have: logrotate cannot judge those lines.
        .filter(|e| live || !(e.contains("unknown user") || e.contains("unknown group")))
        .collect();
    if new.is_empty() {
        Ok(())
    } else {
        Err(format!("logrotate -d {}: {}", checked.display(), new.join("; ")))
    }
}
