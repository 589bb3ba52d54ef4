//! Plans for the Django fix kinds: a setting assigned (in place, in the
//! `.env` the settings read it from, or in portcullis's block), a list entry
//! inserted, a package installed and pinned, a Content Security Policy
//! written in the format the installed versions call for, migrations run.
//! Planning reads files and touches nothing.

use std::path::{Path, PathBuf};

use super::plan::{FileEdit, Plan, PlannedCommand, StagedStep, Validator};
use super::pyedit::{self, Place};
use super::textedit;
use crate::checklist::{Fix, Item, Position};
use crate::django::rules::{DjangoFacts, ServedBy};
use crate::django::value::{Location, PyValue, Setting};
use crate::target::Target;

/// Versions portcullis pins when it adds a package the project lacks
/// (domain-facts: the current releases in late 2026).
const PINS: &[(&str, &str)] =
    &[("django-csp", "4.0"), ("django-axes", "8.3.1"), ("pip-audit", "2.10.1")];

/// The package whose installation each item's fix depends on.
fn needs_package(item_id: &str) -> Option<&'static str> {
    match item_id {
        "django.axes-app"
        | "django.axes-middleware"
        | "django.axes-backend"
        | "django.axes-failure-limit"
        | "django.axes-cooloff"
        | "django.axes-migrated" => Some("django-axes"),
        "django.csp-middleware" | "django.csp-policy" => Some("django-csp"),
        _ => None,
    }
}

/// The item that installs a package.
fn installing_item(package: &str) -> &'static str {
    if package == "django-axes" { "django.axes-installed" } else { "django.csp-installed" }
}

/// What the Django planners need.
pub struct DjangoPlanning<'a> {
    pub target: &'a Target,
    pub facts: &'a DjangoFacts,
    /// Take the staged path where a fix has one (HSTS trial, CSP report-only).
    pub staged: bool,
}

pub use super::plan::PlanError;

impl DjangoPlanning<'_> {
    /// The plan that makes `item` pass, or `None` when its fix is not a
    /// Django kind.
    pub fn plan(&self, item: &Item) -> Result<Option<Plan>, PlanError> {
        let Some(fix) = &item.fix else { return Ok(None) };
        let mut plan = match fix {
            Fix::DjangoSet { setting, value, staged_value } => {
                let staged = self.staged.then_some(staged_value.as_deref()).flatten();
                let mut plan = self.set(&item.id, setting, staged.unwrap_or(value))?;
                if let Some(trial) = staged {
                    // A trial value does not pass the item yet: the re-check
                    // is not a reason to roll it back.
                    plan.completes = false;
                    plan.staged = Some(StagedStep {
                        name: format!("{setting} = {trial} first"),
                        next_after_days: 7,
                        reminder: format!("raise {setting} to {value}"),
                    });
                }
                plan
            }
            Fix::DjangoListInsert { setting, value, position } => {
                self.list_insert(&item.id, setting, value, *position)?
            }
            Fix::PipInstall { package } => self.pip_install(&item.id, package)?,
            Fix::DjangoCspPolicy => self.csp(&item.id)?,
            Fix::DjangoMigrate { app } => self.migrate(&item.id, app),
            Fix::DjangoProxyHeader => self.proxy_header(&item.id)?,
            _ => return Ok(None),
        };
        self.warn(&item.id, &mut plan);
        self.block_on_missing_package(&item.id, &mut plan);
        self.reload_after_edits(&mut plan);
        Ok(Some(plan))
    }

    fn module_file(&self) -> String {
        self.facts.analysis.module_file().to_owned()
    }

    fn read(&self, inside: &str) -> Result<String, PlanError> {
        std::fs::read_to_string(self.target.host_path(inside))
            .map_err(|err| PlanError(format!("cannot read {inside}: {err}")))
    }

    /// Replaces the edit of `path` already in the plan, or adds one.
    fn edit(&self, plan: &mut Plan, path: &str, after: String) -> Result<(), PlanError> {
        if let Some(existing) = plan.edits.iter_mut().find(|e| e.path == path) {
            existing.after = after.into_bytes();
            return Ok(());
        }
        let before = self.read(path)?;
        if before != after {
            plan.edits.push(FileEdit::change(path, before.into_bytes(), after.into_bytes()));
            if Path::new(path).extension().is_some_and(|ext| ext == "py") {
                plan.validators.push(Validator::PythonCompile { file: path.to_owned() });
                let options = crate::probe::RunOptions { offline: true, evaluate: false };
                if !plan.validators.contains(&Validator::DjangoCheck)
                    && super::checks::django_check_usable(self.target, options)
                {
                    plan.validators.push(Validator::DjangoCheck);
                }
            }
        }
        Ok(())
    }

    /// The current text of `path`: the plan's pending edit, or the file.
    fn current(&self, plan: &Plan, path: &str) -> Result<String, PlanError> {
        match plan.edits.iter().find(|e| e.path == path) {
            Some(edit) => Ok(String::from_utf8_lossy(&edit.after).into_owned()),
            None => self.read(path),
        }
    }

    /// The line an assignment stands on now: earlier edits of the same plan
    /// may have moved it. Found by its text, nearest to where it was.
    fn line_now(&self, plan: &Plan, at: &Location) -> u32 {
        let Ok(text) = self.current(plan, &at.file) else { return at.line };
        let wanted = at.text.trim();
        text.lines()
            .enumerate()
            .filter(|(_, line)| line.trim() == wanted)
            .map(|(index, _)| u32::try_from(index + 1).unwrap_or(u32::MAX))
            .min_by_key(|line| line.abs_diff(at.line))
            .unwrap_or(at.line)
    }

    fn set(&self, item_id: &str, name: &str, value: &str) -> Result<Plan, PlanError> {
        let setting = self.facts.analysis.setting(name);
        let mut plan = Plan::new(item_id, format!("set {name} = {value}"));
        self.set_into(&mut plan, &setting, value)?;
        Ok(plan)
    }

    /// Puts `name = value` where it takes effect: in the `.env` entry the
    /// code reads, in place of an unconditional assignment, or in the block.
    fn set_into(&self, plan: &mut Plan, setting: &Setting, value: &str) -> Result<(), PlanError> {
        let name = &setting.name;
        if let Some(at) = &setting.assigned {
            let source = self.current(plan, &at.file)?;
            let line = self.line_now(plan, at);
            if let Some(variable) = pyedit::env_variable(&source, name, line)
                && let Some(env_file) = self.env_file_for(setting)
            {
                let text = self.current(plan, &env_file)?;
                let entry = env_value(value);
                self.edit(plan, &env_file, textedit::set_env_entry(&text, &variable, &entry))?;
                plan.title = format!("set {variable}={entry} in {env_file}");
                plan.warnings.push(format!(
                        "{name} is read from the environment ({}:{}: {}); the value changes in {env_file}",
                        at.file,
                        at.line,
                        at.text.trim()
                    ));
                return Ok(());
            }
            let nested = at.text.starts_with([' ', '\t']);
            if !nested {
                let after = pyedit::replace_value(&source, name, line, value)
                    .map_err(|err| PlanError(format!("{}:{}: {err}", at.file, at.line)))?;
                return self.edit(plan, &at.file, after);
            }
        }
        let module = self.module_file();
        let source = self.current(plan, &module)?;
        self.edit(plan, &module, pyedit::add_to_block(&source, &format!("{name} = {value}")))
    }

    /// The `.env` file an environment-read setting comes from.
    fn env_file_for(&self, setting: &Setting) -> Option<String> {
        let loaded = self.facts.analysis.dotenv_files();
        setting
            .related
            .iter()
            .map(|l| &l.file)
            .find(|file| loaded.contains(file))
            .cloned()
            .or_else(|| loaded.first().cloned())
    }

    fn list_insert(
        &self,
        item_id: &str,
        name: &str,
        entry: &str,
        position: Position,
    ) -> Result<Plan, PlanError> {
        let mut plan =
            Plan::new(item_id, format!("put {entry:?} {} in {name}", position_word(position)));
        self.insert_into(&mut plan, name, entry, position)?;
        Ok(plan)
    }

    fn insert_into(
        &self,
        plan: &mut Plan,
        name: &str,
        entry: &str,
        position: Position,
    ) -> Result<(), PlanError> {
        let place = if position == Position::First { Place::First } else { Place::Last };
        let setting = self.facts.analysis.setting(name);
        if let Some(at) = &setting.assigned {
            let nested = at.text.starts_with([' ', '\t']);
            let source = self.current(plan, &at.file)?;
            let line = self.line_now(plan, at);
            if !nested && let Ok(after) = pyedit::insert_entry(&source, name, line, entry, place) {
                return self.edit(plan, &at.file, after);
            }
        }
        // Not a literal we can edit in place: write the whole value, as it is
        // now with the entry where it belongs, at the end of the module.
        let Some(current) = setting.known() else {
            return Err(PlanError(format!(
                "{name} cannot be known statically, so portcullis cannot edit it safely; add {entry:?} by hand"
            )));
        };
        let Some(items) = current.items() else {
            return Err(PlanError(format!("{name} is a {}, not a list", current.type_name())));
        };
        let mut items: Vec<PyValue> =
            items.iter().filter(|i| i.as_str() != Some(entry)).cloned().collect();
        match place {
            Place::First => items.insert(0, PyValue::Str(entry.to_owned())),
            Place::Last => items.push(PyValue::Str(entry.to_owned())),
        }
        let value = match current {
            PyValue::Tuple(_) => PyValue::Tuple(items),
            _ => PyValue::List(items),
        };
        let module = self.module_file();
        let source = self.current(plan, &module)?;
        self.edit(plan, &module, pyedit::add_to_block(&source, &format!("{name} = {value}")))
    }

    fn pin_for(&self, package: &str) -> String {
        if let Some(Some(installed)) = self.facts.versions.installed(package) {
            return installed.version.to_string();
        }
        PINS.iter()
            .find(|(name, _)| *name == package)
            .map_or_else(|| "0".to_owned(), |(_, v)| (*v).to_owned())
    }

    fn requirements_file(&self) -> String {
        let listed = self.facts.requirements.files.first().cloned();
        listed.unwrap_or_else(|| {
            format!(
                "{}/requirements.txt",
                self.facts.project.dir.display().to_string().trim_end_matches('/')
            )
        })
    }

    fn pip_install(&self, item_id: &str, package: &str) -> Result<Plan, PlanError> {
        let version = self.pin_for(package);
        let mut plan = Plan::new(item_id, format!("install {package}=={version} and pin it"));
        self.add_pin(&mut plan, package, &version)?;
        match self.facts.versions.installed(package) {
            Some(Some(_)) => {}
            _ => match self.pip_command(package, &version) {
                Ok(command) => plan.commands.push(command),
                Err(why) => {
                    let pip = self
                        .pip_path()
                        .map_or_else(|| "pip".to_owned(), |p| p.display().to_string());
                    plan.operator_steps.push(format!(
                        "{why}: run `{pip} install {package}=={version}` as the site's user"
                    ));
                    plan.completes = false;
                }
            },
        }
        if package == "django-axes"
            && let Some(django) = self.facts.versions.django()
            && !django.version.at_least("4.2")
        {
            plan.warnings.push(format!(
                        "django-axes {version} needs Django 4.2 or later; pip would upgrade Django {} with it",
                        django.version
                    ));
        }
        Ok(plan)
    }

    fn add_pin(&self, plan: &mut Plan, package: &str, version: &str) -> Result<(), PlanError> {
        if self.facts.requirements.lists(package).is_some() {
            return Ok(());
        }
        let file = self.requirements_file();
        let host = self.target.host_path(&file);
        if host.exists() {
            let text = self.current(plan, &file)?;
            self.edit(plan, &file, textedit::add_requirement(&text, package, version))
        } else {
            plan.edits.push(FileEdit::create(
                &file,
                format!("{package}=={version}\n").into_bytes(),
                0o644,
            ));
            Ok(())
        }
    }

    fn pip_path(&self) -> Option<PathBuf> {
        self.facts.project.venv.as_ref().map(|venv| venv.join("bin/pip"))
    }

    /// The pip command, when it can run here.
    fn pip_command(&self, package: &str, version: &str) -> Result<PlannedCommand, String> {
        if !self.target.is_live_system() {
            return Err(format!(
                "the root is {}, not /, so nothing is installed",
                self.target.root.display()
            ));
        }
        let Some(pip) = self.pip_path() else {
            return Err("the project has no virtualenv".to_owned());
        };
        let spec = format!("{package}=={version}");
        Ok(PlannedCommand::new(
            pip.display().to_string(),
            &["install", "--disable-pip-version-check", &spec],
        ))
    }

    /// django-csp 4.x (or 3.x) settings, or Django's own from 6.0.
    fn csp(&self, item_id: &str) -> Result<Plan, PlanError> {
        let versions = &self.facts.versions;
        let django_builtin = versions.django().is_some_and(|d| d.version.at_least("6.0"))
            && versions.get("django-csp").is_none();
        let csp_major = versions.get("django-csp").map_or(4, |v| v.version.major());
        let report_only = self.staged;
        let mut plan = Plan::new(item_id, "install a Content Security Policy");
        if django_builtin {
            let name = if report_only { "SECURE_CSP_REPORT_ONLY" } else { "SECURE_CSP" };
            self.set_into(&mut plan, &self.facts.analysis.setting(name), &policy_dict(false))?;
            self.insert_into(
                &mut plan,
                "MIDDLEWARE",
                "django.middleware.csp.ContentSecurityPolicyMiddleware",
                Position::Last,
            )?;
            plan.title = format!("set {name} (Django's built-in CSP) and its middleware");
        } else if csp_major >= 4 {
            let name = if report_only {
                "CONTENT_SECURITY_POLICY_REPORT_ONLY"
            } else {
                "CONTENT_SECURITY_POLICY"
            };
            let value = format!("{{\"DIRECTIVES\": {}}}", policy_dict(false));
            self.set_into(&mut plan, &self.facts.analysis.setting(name), &value)?;
            self.insert_into(&mut plan, "INSTALLED_APPS", "csp", Position::Last)?;
            self.insert_into(
                &mut plan,
                "MIDDLEWARE",
                "csp.middleware.CSPMiddleware",
                Position::Last,
            )?;
            plan.title = format!(
                "set {name} (django-csp 4) with \"csp\" in INSTALLED_APPS and CSPMiddleware"
            );
        } else {
            for (directive, sources) in DIRECTIVES {
                let name = format!("CSP_{}", directive.to_ascii_uppercase().replace('-', "_"));
                let value = format!(
                    "({},)",
                    sources.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
                );
                self.set_into(&mut plan, &self.facts.analysis.setting(&name), &value)?;
            }
            if report_only {
                self.set_into(&mut plan, &self.facts.analysis.setting("CSP_REPORT_ONLY"), "True")?;
            }
            self.insert_into(
                &mut plan,
                "MIDDLEWARE",
                "csp.middleware.CSPMiddleware",
                Position::Last,
            )?;
            "set the CSP_* settings (django-csp 3) and CSPMiddleware".clone_into(&mut plan.title);
        }
        if report_only {
            plan.completes = false;
            plan.staged = Some(StagedStep {
                name: "CSP in report-only mode".to_owned(),
                next_after_days: 14,
                reminder: "review the CSP reports, then enforce the policy".to_owned(),
            });
        }
        plan.warnings.push(
            "a policy of 'self' blocks inline scripts and styles and third-party assets; check the site's pages after applying"
                .to_owned(),
        );
        Ok(plan)
    }

    fn migrate(&self, item_id: &str, app: &str) -> Plan {
        let mut plan = Plan::new(item_id, format!("apply the {app} migrations"));
        let python = self.facts.project.venv.as_ref().map(|venv| venv.join("bin/python"));
        let manage = self.facts.project.manage_py();
        match python {
            Some(python) if self.target.is_live_system() => {
                plan.commands.push(PlannedCommand::new(
                    python.display().to_string(),
                    &[&manage.display().to_string(), "migrate", app],
                ));
                plan.warnings.push(format!(
                    "`migrate {app}` changes the database: back it up first (an SQLite file is copied beside the state file)"
                ));
            }
            _ => {
                plan.operator_steps.push(format!(
                    "run `python {} migrate {app}` as the site's user once {app} is installed",
                    manage.display()
                ));
                plan.blocked = Some(
                    "migrations run only on the live system (root /) with the project's virtualenv"
                        .to_string(),
                );
            }
        }
        plan
    }

    fn proxy_header(&self, item_id: &str) -> Result<Plan, PlanError> {
        let mut plan = Plan::new(item_id, "trust the proxy's X-Forwarded-Proto header");
        let setting = self.facts.analysis.setting("SECURE_PROXY_SSL_HEADER");
        self.set_into(&mut plan, &setting, "(\"HTTP_X_FORWARDED_PROTO\", \"https\")")?;
        let apache_sets_it = self.facts.apache.as_ref().is_some_and(|a| {
            matches!(&a.served_by, ServedBy::Proxy { sets_forwarded_proto: Some(_), .. })
        });
        if apache_sets_it {
            return Ok(plan);
        }
        plan.blocked = Some(
            "the setting is safe only once Apache sets X-Forwarded-Proto on every proxied request: add `RequestHeader set X-Forwarded-Proto \"https\"` to the TLS virtual host (with mod_headers enabled) by hand, then apply this"
                .to_owned(),
        );
        Ok(plan)
    }

    fn reload_after_edits(&self, plan: &mut Plan) {
        reload_site_after_edits(self.target, self.facts, plan);
    }

    /// Warnings for fixes that can hurt, said before anything happens.
    fn warn(&self, item_id: &str, plan: &mut Plan) {
        match item_id {
            "django.hsts-subdomains" | "django.hsts-preload" => {
                if item_id == "django.hsts-preload" {
                    plan.warnings.push(
                        "the preload flag asks to be built into browsers once the domain is submitted to hstspreload.org; from then on, taking it out of the browsers' list takes months"
                            .to_owned(),
                    );
                }
                plan.warnings.push(
                    "browsers will refuse plain HTTP on every subdomain of the site's domain for the whole max-age: check that each one serves HTTPS first"
                        .to_owned(),
                );
                if let Some(apache) = &self.facts.apache {
                    let without: Vec<&str> =
                        apache.names.iter().filter(|(_, https)| !https).map(|(name, _)| name.as_str()).collect();
                    let with: Vec<&str> =
                        apache.names.iter().filter(|(_, https)| *https).map(|(name, _)| name.as_str()).collect();
                    if without.is_empty() {
                        plan.warnings.push(format!(
                            "every name this Apache serves has a TLS virtual host ({}); names served by other machines are not known here",
                            with.join(", ")
                        ));
                    } else {
                        plan.warnings.push(format!(
                            "these names this Apache serves have no TLS virtual host and would be locked out: {}",
                            without.join(", ")
                        ));
                    }
                }
            }
            "django.hsts-seconds" if !self.staged => plan.warnings.push(
                "browsers remember HSTS for the whole max-age; `--staged` starts with a one-hour trial".to_owned(),
            ),
            "django.ssl-redirect" => {
                if let Some(apache) = &self.facts.apache
                    && matches!(apache.served_by, ServedBy::Proxy { .. })
                        && !self.facts.analysis.is_assigned("SECURE_PROXY_SSL_HEADER")
                    {
                        plan.warnings.push(
                            "the site sits behind a proxy and SECURE_PROXY_SSL_HEADER is not set: the redirect would loop"
                                .to_owned(),
                        );
                        plan.requires.push("django.proxy-ssl-header".to_owned());
                    }
            }
            _ => {}
        }
    }

    /// A fix that needs a package which is not installed where the target
    /// uses it, and cannot be installed here, applies nothing: its edits are
    /// shown as a step for the operator.
    fn block_on_missing_package(&self, item_id: &str, plan: &mut Plan) {
        let Some(package) = needs_package(item_id) else { return };
        let builtin_csp = package == "django-csp"
            && self.facts.versions.django().is_some_and(|d| d.version.at_least("6.0"));
        if builtin_csp || matches!(self.facts.versions.installed(package), Some(Some(_))) {
            return;
        }
        let installer = installing_item(package);
        plan.requires.push(installer.to_owned());
        if let Err(why) = self.pip_command(package, "x") {
            plan.blocked = Some(format!(
                "{package} is not installed where the site runs and cannot be installed here ({why}); install it first ({installer}), then apply these edits"
            ));
        }
    }
}

fn position_word(position: Position) -> &'static str {
    match position {
        Position::First => "first",
        Position::Last => "last",
        Position::Any => "",
    }
}

/// A Python literal as the text a `.env` line holds.
fn env_value(value: &str) -> String {
    let value = value.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(quote).and_then(|v| v.strip_suffix(quote)) {
            return inner.to_owned();
        }
    }
    value.to_owned()
}

/// The starting policy: `'self'` everywhere, framing and plugins refused.
const DIRECTIVES: &[(&str, &[&str])] = &[
    ("default-src", &["'self'"]),
    ("script-src", &["'self'"]),
    ("style-src", &["'self'"]),
    ("img-src", &["'self'", "data:"]),
    ("font-src", &["'self'"]),
    ("connect-src", &["'self'"]),
    ("frame-ancestors", &["'none'"]),
    ("form-action", &["'self'"]),
    ("base-uri", &["'self'"]),
    ("object-src", &["'none'"]),
];

fn policy_dict(_report_only: bool) -> String {
    let entries: Vec<String> = DIRECTIVES
        .iter()
        .map(|(directive, sources)| {
            let list: Vec<String> = sources.iter().map(|s| format!("{s:?}")).collect();
            format!("{directive:?}: [{}]", list.join(", "))
        })
        .collect();
    format!("{{{}}}", entries.join(", "))
}

/// On the live system, a `mod_wsgi` daemon reloads the application when its
/// WSGI script is touched: edits of the settings or of the environment file
/// they load take effect at once.
pub(crate) fn reload_site_after_edits(target: &Target, facts: &DjangoFacts, plan: &mut Plan) {
    if !target.is_live_system() || plan.edits.is_empty() {
        return;
    }
    let Some(ServedBy::ModWsgi { at: Some(at) }) = facts.apache.as_ref().map(|a| &a.served_by)
    else {
        return;
    };
    if let Some(script) = at.text.split_whitespace().nth(2).filter(|s| s.starts_with('/')) {
        plan.commands.push(PlannedCommand::new("touch", &[script.trim_matches('"')]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_literals_become_env_values() {
        assert_eq!(env_value("True"), "True");
        assert_eq!(env_value("\"DENY\""), "DENY");
        assert_eq!(env_value("31536000"), "31536000");
    }

    #[test]
    fn the_policy_names_every_directive() {
        let dict = policy_dict(false);
        assert!(dict.starts_with("{\"default-src\": [\"'self'\"]"), "{dict}");
        assert!(dict.contains("\"frame-ancestors\": [\"'none'\"]"), "{dict}");
    }
}
