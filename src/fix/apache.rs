//! Plans for the Apache fix kinds: server-wide settings in one drop-in of
//! portcullis's own (enabled as `a2enconf` does, read after Debian's confs),
//! per-vhost lines edited where they are, modules enabled as `a2enmod` does,
//! config files written from the templates in `assets/templates`, and
//! packages installed with `apt-get` on the live system only. Planning reads
//! files (and may run Apache's own configuration test, which writes nothing);
//! it changes nothing.
//!
//! Also here: how Apache's own configuration test and the graceful reload run
//! for a target ([`run_config_test`], [`reload`]), used by `fix::checks`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::plan::PlanError;
use super::plan::{FileEdit, Plan, PlannedCommand, PlannedLink, StagedStep, Validator};
use crate::apache::{ApacheConfig, Directive, IncludedFile, Place, syntax, tls};
use crate::checklist::{Fix, Item};
use crate::dpkg::{self, Installed};
use crate::target::Target;

/// portcullis's own conf. `conf-enabled/*.conf` is read in name order and
/// `zz-` sorts after every conf Debian and its packages ship (`security.conf`
/// among them), so what it sets wins over theirs.
pub const DROP_IN: &str = "zz-portcullis-hardening.conf";

const EVASIVE_TEMPLATE: &str = include_str!("../../assets/templates/evasive.conf");
const TLS_TEMPLATE: &str = include_str!("../../assets/templates/tls-intermediate.conf");

const EVASIVE_LOG_DIR: &str = "/var/log/mod_evasive";

const DROP_IN_HEADER: &[&str] = &[
    "# portcullis: the server-wide hardening settings portcullis manages, in one",
    "# file of its own. conf-enabled/ is read in name order and this name sorts",
    "# after Debian's confs (security.conf among them), so these values win.",
    "# To undo: `portcullis rollback`, or `a2disconf zz-portcullis-hardening` and",
    "# a reload of Apache. portcullis rewrites the lines it manages here.",
];

/// The package that provides a module, and the item that installs it.
fn module_package(module: &str) -> Option<(&'static str, &'static str)> {
    match module {
        "security2" => Some(("libapache2-mod-security2", "apache.modsecurity-installed")),
        "evasive" => Some(("libapache2-mod-evasive", "apache.evasive-installed")),
        _ => None,
    }
}

fn apt_line(package: &str) -> String {
    format!("DEBIAN_FRONTEND=noninteractive apt-get install -y {package}")
}

/// What the Apache planners need.
pub struct ApachePlanning<'a> {
    pub target: &'a Target,
    pub config: &'a ApacheConfig,
    pub packages: &'a Installed,
    /// Take the staged path where a fix has one (`ModSecurity` in `DetectionOnly`).
    pub staged: bool,
}

impl ApachePlanning<'_> {
    /// The plan that makes `item` pass, or `None` when its fix is not an
    /// Apache kind.
    pub fn plan(&self, item: &Item) -> Result<Option<Plan>, PlanError> {
        let Some(fix) = &item.fix else { return Ok(None) };
        let id = item.id.as_str();
        let mut plan = match fix {
            Fix::AptInstall { package } => self.apt_install(id, package),
            Fix::A2enmod { module } => self.a2enmod(id, module)?,
            Fix::ApacheDropIn { directive, value } => self.drop_in(id, directive, value)?,
            Fix::ApacheIndexesOff => self.indexes_off(id)?,
            Fix::ModsecurityEngine => self.modsecurity_engine(id)?,
            Fix::ModsecurityCrs => self.modsecurity_crs(id)?,
            Fix::ApacheTemplate { template } => match template.as_str() {
                "evasive.conf" => self.evasive(id)?,
                "tls-intermediate.conf" => self.tls(id)?,
                other => return Err(PlanError(format!("no Apache template named {other}"))),
            },
            _ => return Ok(None),
        };
        self.validate(&mut plan);
        Ok(Some(plan))
    }

    fn root(&self) -> String {
        self.config.root.trim_end_matches('/').to_owned()
    }

    fn exists(&self, inside: &str) -> bool {
        std::fs::symlink_metadata(self.target.host_path(inside)).is_ok()
    }

    fn read(&self, inside: &str) -> Result<String, PlanError> {
        std::fs::read_to_string(self.target.host_path(inside))
            .map_err(|err| PlanError(format!("cannot read {inside}: {err}")))
    }

    fn validate(&self, plan: &mut Plan) {
        add_apache_validation(self.target, self.config, plan);
    }

    /// A fix that needs a package that is not installed waits for it: the
    /// install comes first (and under another root is a step by hand).
    fn blocked_on_package(&self, plan: &mut Plan, package: &str, installer: &str) -> bool {
        if self.packages.is_installed(package) {
            return false;
        }
        plan.requires.push(installer.to_owned());
        plan.completes = false;
        plan.operator_steps.push(apt_line(package));
        plan.blocked = Some(if self.target.is_live_system() {
            format!(
                "{package} is not installed: {installer} installs it first, then plan this again"
            )
        } else {
            format!(
                "{package} is not installed and cannot be installed here (the root is {}, not /); install it on the server, then apply this fix",
                self.target.root.display()
            )
        });
        true
    }

    fn apt_install(&self, item_id: &str, package: &str) -> Plan {
        let mut plan = Plan::new(item_id, format!("install {package} with apt-get"));
        if self.packages.is_installed(package) {
            return plan;
        }
        if self.target.is_live_system() {
            plan.commands.push(PlannedCommand::new(
                "env",
                &["DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", package],
            ));
        } else {
            plan.operator_steps.push(apt_line(package));
            plan.blocked = Some(format!(
                "packages are installed only on the live system (the root is {}, not /)",
                self.target.root.display()
            ));
            plan.completes = false;
        }
        plan
    }

    fn a2enmod(&self, item_id: &str, module: &str) -> Result<Plan, PlanError> {
        let mut plan = Plan::new(item_id, format!("enable the {module} module as a2enmod does"));
        let root = self.root();
        if !self.exists(&format!("{root}/mods-available/{module}.load")) {
            if let Some((package, installer)) = module_package(module)
                && self.blocked_on_package(&mut plan, package, installer)
            {
                return Ok(plan);
            }
            return Err(PlanError(format!(
                "{root}/mods-available/{module}.load does not exist: the module's package is not installed"
            )));
        }
        let mut seen = Vec::new();
        self.enable_module(module, &mut seen, &mut plan)?;
        Ok(plan)
    }

    fn module_enabled(&self, module: &str) -> bool {
        self.exists(&format!("{}/mods-enabled/{module}.load", self.root()))
    }

    /// Links `module` and, first, what its `# Depends:` lines name;
    /// refuses when a `# Conflicts:` module is enabled.
    fn enable_module(
        &self,
        module: &str,
        seen: &mut Vec<String>,
        plan: &mut Plan,
    ) -> Result<(), PlanError> {
        if seen.iter().any(|known| known == module) {
            return Ok(());
        }
        seen.push(module.to_owned());
        let root = self.root();
        let load = format!("{root}/mods-available/{module}.load");
        if !self.exists(&load) {
            return Err(PlanError(format!("{load} does not exist (a dependency)")));
        }
        let text = self.read(&load)?;
        for conflict in header_list(&text, "Conflicts") {
            if self.module_enabled(&conflict) {
                return Err(PlanError(format!(
                    "{module} conflicts with the enabled module {conflict} ({load}); a2enmod refuses it too"
                )));
            }
        }
        for dependency in header_list(&text, "Depends") {
            self.enable_module(&dependency, seen, plan)?;
        }
        for ext in ["load", "conf"] {
            let available = format!("{root}/mods-available/{module}.{ext}");
            let enabled = format!("{root}/mods-enabled/{module}.{ext}");
            if self.exists(&available) && !self.exists(&enabled) {
                plan.links.push(PlannedLink {
                    path: enabled,
                    target: format!("../mods-available/{module}.{ext}"),
                });
            }
        }
        Ok(())
    }

    fn drop_in(&self, item_id: &str, directive: &str, value: &str) -> Result<Plan, PlanError> {
        let mut plan =
            Plan::new(item_id, format!("set {directive} {value} in conf-available/{DROP_IN}"));
        let mut draft = Draft::new(self);
        draft.set_drop_in(&[format!("{directive} {value}")]);
        let wanted = format!("{directive} {value}");
        for (parents, found) in self.config.everywhere(directive) {
            if draft.is_drop_in(&found.place) {
                continue;
            }
            let server_level = parents.is_empty();
            if directive.eq_ignore_ascii_case("ServerTokens") && !server_level {
                draft.comment_out(
                    found,
                    &format!(
                        "ServerTokens acts only at server level and Apache refuses it inside <{}>; it is set in conf-available/{DROP_IN}",
                        parents[0].name
                    ),
                )?;
                continue;
            }
            let differs = !found.arg().is_some_and(|arg| arg.eq_ignore_ascii_case(value))
                || found.trailing_comment().is_some();
            let overrides = !server_level || draft.comes_after(&found.place);
            if differs && (overrides || found.trailing_comment().is_some()) {
                draft.set_line(found, &wanted)?;
            }
        }
        if directive.eq_ignore_ascii_case("ServerSignature") {
            for served in self.config.served_directories() {
                // Only access files here: lines of the include tree were seen above.
                if let Some(found) = &served.server_signature
                    && !self.config.includes.iter().any(|file| file.file == found.place.file)
                    && (!found.arg().is_some_and(|arg| arg.eq_ignore_ascii_case(value))
                        || found.trailing_comment().is_some())
                {
                    draft.set_line(found, &wanted)?;
                }
            }
        }
        draft.finish(&mut plan)?;
        Ok(plan)
    }

    fn indexes_off(&self, item_id: &str) -> Result<Plan, PlanError> {
        let mut plan = Plan::new(item_id, "turn directory listings off (Options -Indexes)");
        let mut draft = Draft::new(self);
        let walk = self.config.walk();
        let mut done: Vec<Place> = Vec::new();
        for served in self.config.served_directories() {
            if !served.options.indexes() {
                continue;
            }
            let Some((place, text)) = &served.options.indexes_set_by else {
                return Err(PlanError(format!(
                    "Indexes is in effect for {} but no Options line turns it on; add `Options -Indexes` by hand",
                    served.path
                )));
            };
            if done.contains(place) {
                continue;
            }
            done.push(place.clone());
            let found = walk.iter().find(|(_, d)| d.place == *place && d.is("Options"));
            if let Some((parents, directive)) = found {
                if let [section] = parents.as_slice()
                    && section.is("Directory")
                    && section.args.len() == 1
                    && !section.args[0].contains(['*', '?', '['])
                    && draft.debian_file(&place.file)
                    && !draft.comes_after(place)
                {
                    let path = quote_arg(&section.args[0]);
                    draft.set_drop_in(&[
                        format!("<Directory {path}>"),
                        "\tOptions -Indexes".to_owned(),
                        "</Directory>".to_owned(),
                    ]);
                    continue;
                }
                let words = options_words(directive);
                draft.set_line(
                    directive,
                    &format!("{} {}", directive.name, without_indexes(&words)),
                )?;
            } else {
                // An access file (.htaccess): its lines are not in the tree.
                let words = syntax::words(text);
                let Some((name, args)) = words.split_first() else { continue };
                let args: Vec<String> =
                    args.iter().take_while(|word| !word.starts_with('#')).cloned().collect();
                draft.replace_line(place, &format!("{name} {}", without_indexes(&args)))?;
            }
        }
        draft.finish(&mut plan)?;
        Ok(plan)
    }

    fn tls(&self, item_id: &str) -> Result<Plan, PlanError> {
        let mut plan = Plan::new(
            item_id,
            format!("Mozilla's intermediate TLS settings in conf-available/{DROP_IN}"),
        );
        let version = openssl_version(self.target, self.packages);
        if version.is_none() {
            plan.warnings.push(
                "the target's OpenSSL version is unknown: the curves leave out X25519MLKEM768, which needs OpenSSL 3.5"
                    .to_owned(),
            );
        }
        let curves = if version.as_deref().is_some_and(|v| version_at_least(v, 3, 5)) {
            "X25519MLKEM768:X25519:prime256v1:secp384r1"
        } else {
            "X25519:prime256v1:secp384r1"
        };
        let openssl = version.unwrap_or_else(|| "(unknown)".to_owned());
        let text = TLS_TEMPLATE.replace("{{openssl}}", &openssl).replace("{{curves}}", curves);
        let mut draft = Draft::new(self);
        draft.set_drop_in(&text.lines().map(str::to_owned).collect::<Vec<_>>());

        // A TLS virtual host's own value overrides the server's.
        let note =
            format!("a weaker TLS setting than the server's; conf-available/{DROP_IN} sets them");
        for vhost in self.config.virtual_hosts().into_iter().filter(|vhost| vhost.ssl) {
            for directive in vhost.all("SSLProtocol") {
                if !protocol_strong(directive) {
                    draft.comment_out(directive, &note)?;
                }
            }
            for directive in vhost.all("SSLCipherSuite") {
                if !is_tls13_suite_line(directive) && !cipher_strong(directive) {
                    draft.comment_out(directive, &note)?;
                }
            }
        }
        for name in ["SSLProtocol", "SSLCipherSuite"] {
            for directive in self.config.server_level(name) {
                if !draft.is_drop_in(&directive.place)
                    && !is_tls13_suite_line(directive)
                    && draft.comes_after(&directive.place)
                {
                    draft.comment_out(directive, &format!("overrode conf-available/{DROP_IN}"))?;
                }
            }
        }
        draft.finish(&mut plan)?;
        Ok(plan)
    }

    fn evasive(&self, item_id: &str) -> Result<Plan, PlanError> {
        let mut plan = Plan::new(item_id, "configure mod_evasive for the installed version");
        let (package, installer) = module_package("evasive").unwrap_or_default();
        if self.blocked_on_package(&mut plan, package, installer) {
            plan.requires.push("apache.evasive-enabled".to_owned());
            return Ok(plan);
        }
        let version = self.packages.version(package).unwrap_or_default().to_owned();
        let version_two = dpkg::upstream_version(&version).starts_with('2');
        let loaded = self.config.modules.iter().find(|m| m.identifier.contains("evasive"));
        let module = match loaded {
            Some(module) => module.source.clone(),
            None if version_two => "mod_evasive.c".to_owned(),
            None => "mod_evasive20.c".to_owned(),
        };
        if loaded.is_none() {
            plan.requires.push("apache.evasive-enabled".to_owned());
            plan.completes = false;
        }
        let enabled = if version_two || module == "mod_evasive.c" {
            "\tDOSEnabled          true\n"
        } else {
            ""
        };
        let text = EVASIVE_TEMPLATE
            .replace("{{package}}", package)
            .replace("{{version}}", &version)
            .replace("{{module}}", &module)
            .replace("{{enabled}}\n", enabled)
            .replace("{{enabled}}", enabled);
        plan.title =
            format!("write mod_evasive's settings in <IfModule {module}> ({package} {version})");
        let path = format!("{}/mods-available/evasive.conf", self.root());
        let mut draft = Draft::new(self);
        draft.whole_file(&path, text)?;
        draft.finish(&mut plan)?;

        if !self.exists(EVASIVE_LOG_DIR) {
            let user = self.envvar("APACHE_RUN_USER").unwrap_or_else(|| "www-data".to_owned());
            let group = self.envvar("APACHE_RUN_GROUP").unwrap_or_else(|| "www-data".to_owned());
            let command = PlannedCommand::new(
                "install",
                &["-d", "-m", "0750", "-o", &user, "-g", &group, EVASIVE_LOG_DIR],
            );
            if self.target.is_live_system() {
                plan.commands.push(command);
            } else {
                plan.operator_steps.push(format!(
                    "create mod_evasive's log directory on the server: {}",
                    command.display()
                ));
            }
        }
        Ok(plan)
    }

    fn envvar(&self, name: &str) -> Option<String> {
        self.config.variables.get(name).cloned()
    }

    /// The directory security2.conf loads `*.conf` from (`/etc/modsecurity`).
    fn modsecurity_dir(&self) -> String {
        self.config
            .walk()
            .into_iter()
            .map(|(_, d)| d)
            .filter(|d| {
                (d.is("Include") || d.is("IncludeOptional"))
                    && d.place.file.ends_with("/security2.conf")
            })
            .filter_map(|d| d.arg().and_then(|arg| arg.strip_suffix("/*.conf")))
            .find(|dir| !dir.contains("crs"))
            .map_or_else(|| "/etc/modsecurity".to_owned(), |dir| self.absolute(dir))
    }

    fn absolute(&self, path: &str) -> String {
        if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("{}/{path}", self.config.server_root.trim_end_matches('/'))
        }
    }

    fn modsecurity_engine(&self, item_id: &str) -> Result<Plan, PlanError> {
        let mode = if self.staged { "DetectionOnly" } else { "On" };
        let mut plan = Plan::new(item_id, format!("SecRuleEngine {mode}"));
        let (package, installer) = module_package("security2").unwrap_or_default();
        if self.blocked_on_package(&mut plan, package, installer) {
            return Ok(plan);
        }
        if !self.config.has_module("security2_module") {
            plan.requires.push("apache.modsecurity-enabled".to_owned());
            plan.completes = false;
        }
        let dir = self.modsecurity_dir();
        let conf = format!("{dir}/modsecurity.conf");
        let wanted = format!("SecRuleEngine {mode}");
        let mut draft = Draft::new(self);
        if self.exists(&conf) {
            let text = self.read(&conf)?;
            draft.whole_file(&conf, set_directive_lines(&text, "SecRuleEngine", &wanted))?;
            plan.title = format!("set SecRuleEngine {mode} in {conf}");
        } else {
            let recommended = format!("{dir}/modsecurity.conf-recommended");
            if !self.exists(&recommended) {
                return Err(PlanError(format!(
                    "{recommended} is missing ({package} installs it); copy a ModSecurity configuration to {conf} by hand"
                )));
            }
            let text = self.read(&recommended)?;
            draft.whole_file(&conf, set_directive_lines(&text, "SecRuleEngine", &wanted))?;
            plan.title = format!("copy {recommended} to {conf} with SecRuleEngine {mode}");
        }
        // A later server-level line would override the file's.
        for directive in self.config.server_level("SecRuleEngine") {
            if directive.place.file != conf
                && (!directive.arg().is_some_and(|arg| arg.eq_ignore_ascii_case(mode))
                    || directive.trailing_comment().is_some())
            {
                draft.set_line(directive, &wanted)?;
            }
        }
        let exceptions: Vec<String> = self
            .config
            .everywhere("SecRuleEngine")
            .into_iter()
            .filter(|(parents, d)| {
                !parents.is_empty() && !d.arg().is_some_and(|arg| arg.eq_ignore_ascii_case("on"))
            })
            .map(|(_, d)| format!("{} ({})", d.place, d.text.trim()))
            .collect();
        if !exceptions.is_empty() {
            plan.warnings.push(format!(
                "left as they are, for review: sections that switch the engine off or to DetectionOnly: {}; narrow rule exclusions are safer than SecRuleEngine Off",
                exceptions.join(", ")
            ));
            plan.completes = false;
        }
        if !conf.starts_with(&format!("{}/", self.root())) {
            plan.warnings.push(format!(
                "{conf} is outside {}: every Apache on this machine that loads ModSecurity reads it, and blocks with it from its next reload",
                self.root()
            ));
        }
        let tested = config_test_mode(self.target, self.config, true) == ConfigTest::TreeBinary;
        if tested && !conf.starts_with(&format!("{}/", self.root())) {
            plan.warnings.push(format!(
                "Apache's own test under another root reads this machine's {dir}, not the tree's: {conf} is checked by portcullis's model alone"
            ));
        }
        if self.staged {
            plan.staged = Some(StagedStep {
                name: "ModSecurity in DetectionOnly".to_owned(),
                next_after_days: 14,
                reminder: "review the ModSecurity audit log for false positives, then set SecRuleEngine On (portcullis fix apache.modsecurity-engine)".to_owned(),
            });
            plan.completes = false;
        }
        draft.finish(&mut plan)?;
        Ok(plan)
    }

    fn modsecurity_crs(&self, item_id: &str) -> Result<Plan, PlanError> {
        let mut plan = Plan::new(item_id, "include the OWASP Core Rule Set once");
        let (package, installer) = module_package("security2").unwrap_or_default();
        if self.blocked_on_package(&mut plan, package, installer) {
            return Ok(plan);
        }
        let includes = &self.config.includes;
        let copies: Vec<usize> = includes
            .iter()
            .enumerate()
            .filter(|(_, file)| {
                file.file.ends_with("/REQUEST-901-INITIALIZATION.conf")
                    && file.file.contains("/rules/")
            })
            .map(|(index, _)| index)
            .collect();
        let mut draft = Draft::new(self);
        if copies.is_empty() {
            if !self.packages.is_installed("modsecurity-crs") {
                if self.target.is_live_system() {
                    plan.commands.push(PlannedCommand::new(
                        "env",
                        &[
                            "DEBIAN_FRONTEND=noninteractive",
                            "apt-get",
                            "install",
                            "-y",
                            "modsecurity-crs",
                        ],
                    ));
                } else {
                    plan.operator_steps.push(apt_line("modsecurity-crs"));
                    plan.blocked = Some(format!(
                        "modsecurity-crs is not installed and cannot be installed here (the root is {}, not /)",
                        self.target.root.display()
                    ));
                    plan.completes = false;
                    return Ok(plan);
                }
            }
            let file = format!("{}/mods-available/security2.conf", self.root());
            let text = self.read(&file)?;
            let after = include_crs(&text).ok_or_else(|| {
                PlanError(format!(
                    "{file} has no <IfModule security2_module> block to add the CRS include to"
                ))
            })?;
            if after == text && self.packages.is_installed("modsecurity-crs") {
                return Err(PlanError(format!(
                    "{file} includes /usr/share/modsecurity-crs/*.load, but no CRS rule file is read: reinstall modsecurity-crs"
                )));
            }
            draft.whole_file(&file, after)?;
            plan.title = format!("include the CRS the Debian way in {file}");
        } else {
            // Keep the copy Debian's chain loads (or the first one); comment
            // out the include lines that load the others.
            let origins: Vec<Option<Place>> =
                copies.iter().map(|index| custom_origin(includes, *index)).collect();
            let keep = origins.iter().position(Option::is_none).unwrap_or(0);
            let walk = self.config.walk();
            for (index, origin) in origins.iter().enumerate() {
                if index == keep {
                    continue;
                }
                let Some(place) = origin else { continue };
                if let Some((_, directive)) = walk.iter().find(|(_, d)| d.place == *place) {
                    draft.comment_out(
                        directive,
                        "loaded the OWASP CRS a second time (Debian's security2.conf already loads it)",
                    )?;
                }
            }
        }
        draft.finish(&mut plan)?;
        Ok(plan)
    }
}

/// The include line outside Debian's chain (security2.conf, owasp-crs.load)
/// that brought in the included file at `index`, or None when Debian's own
/// chain did.
fn custom_origin(includes: &[IncludedFile], index: usize) -> Option<Place> {
    let mut index = index;
    for _ in 0..64 {
        let from = includes.get(index)?.from.as_ref()?;
        if from.file.ends_with("/security2.conf") {
            return None;
        }
        if !from.file.ends_with("/owasp-crs.load") {
            return Some(from.clone());
        }
        // The copy of owasp-crs.load read last before this file is its parent.
        index = includes[..index].iter().rposition(|file| file.file == from.file)?;
    }
    None
}

/// Adds Debian's CRS include to security2.conf's `<IfModule>` block, or
/// uncomments it. None when the file has no such block.
fn include_crs(text: &str) -> Option<String> {
    const LINE: &str = "IncludeOptional /usr/share/modsecurity-crs/*.load";
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let active = |line: &str| line.split_whitespace().collect::<Vec<_>>().join(" ");
    if lines.iter().any(|line| active(line).eq_ignore_ascii_case(LINE)) {
        return Some(text.to_owned());
    }
    if let Some(index) = lines.iter().position(|line| {
        active(line.trim_start().trim_start_matches('#')).eq_ignore_ascii_case(LINE)
    }) {
        let indent: String = lines[index].chars().take_while(|c| c.is_whitespace()).collect();
        lines[index] = format!("{indent}{LINE}");
    } else {
        let close = lines
            .iter()
            .rposition(|line| line.trim().to_ascii_lowercase().starts_with("</ifmodule"))?;
        lines.insert(close, format!("\t{LINE}"));
    }
    Some(lines.join("\n") + "\n")
}

/// Sets every active `name` line of a file to `wanted`, keeping its
/// indentation; appends one when there is none.
fn set_directive_lines(text: &str, name: &str, wanted: &str) -> String {
    let mut found = false;
    let mut out: Vec<String> = text
        .lines()
        .map(|line| {
            let first = line.split_whitespace().next().unwrap_or("");
            if first.eq_ignore_ascii_case(name) {
                found = true;
                let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
                format!("{indent}{wanted}")
            } else {
                line.to_owned()
            }
        })
        .collect();
    if !found {
        out.push(wanted.to_owned());
    }
    out.join("\n") + "\n"
}

/// The module names a `# Depends:` or `# Conflicts:` line of a `.load` file lists.
fn header_list(text: &str, header: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix('#') else { continue };
        let Some((key, value)) = rest.split_once(':') else { continue };
        if key.trim().eq_ignore_ascii_case(header) {
            out.extend(
                value
                    .split(|c: char| c.is_whitespace() || c == ',')
                    .filter(|word| !word.is_empty())
                    .map(str::to_owned),
            );
        }
    }
    out
}

fn quote_arg(arg: &str) -> String {
    if arg.contains(char::is_whitespace) { format!("\"{arg}\"") } else { arg.to_owned() }
}

/// The words of an `Options` line, without a trailing comment.
fn options_words(directive: &Directive) -> Vec<String> {
    let end = directive.trailing_comment().unwrap_or(directive.args.len());
    directive.args[..end].to_vec()
}

/// `Options` words with `Indexes` taken out, keeping the rest as they are.
fn without_indexes(words: &[String]) -> String {
    let relative = !words.is_empty() && words.iter().all(|w| w.starts_with(['+', '-']));
    let is = |word: &str, name: &str| word.eq_ignore_ascii_case(name);
    let mut out: Vec<String> = Vec::new();
    if relative {
        out.extend(words.iter().filter(|w| !is(w, "+Indexes") && !is(w, "-Indexes")).cloned());
        out.push("-Indexes".to_owned());
    } else {
        for word in words {
            let bare = word.trim_start_matches(['+', '-']);
            if is(bare, "Indexes") {
                continue;
            }
            if is(word, "All") {
                out.extend(["Includes", "FollowSymLinks", "ExecCGI"].map(str::to_owned));
            } else {
                out.push(word.clone());
            }
        }
        if out.is_empty() {
            out.push("None".to_owned());
        }
    }
    out.join(" ")
}

fn is_tls13_suite_line(directive: &Directive) -> bool {
    directive.is("SSLCipherSuite")
        && directive.args.len() > 1
        && (directive.args[0].eq_ignore_ascii_case("TLSv1.3") || directive.args[0] == "SSL")
}

fn protocol_strong(directive: &Directive) -> bool {
    directive.trailing_comment().is_none()
        && tls::protocols(&directive.args)
            .is_ok_and(|set| !set.is_empty() && tls::legacy(&set).is_empty())
}

fn cipher_strong(directive: &Directive) -> bool {
    if directive.trailing_comment().is_some() {
        return false;
    }
    let spec = directive.args.last().cloned().unwrap_or_default();
    match tls::expand_with_openssl(&spec) {
        Ok(ciphers) => !ciphers.is_empty() && ciphers.iter().all(|c| c.weakness().is_none()),
        Err(Some(_)) => false,
        Err(None) => tls::judge_plain_list(&spec).is_some_and(|weak| weak.is_empty()),
    }
}

/// The target's OpenSSL version: `openssl version` on the live system, else
/// the dpkg status of the root.
fn openssl_version(target: &Target, packages: &Installed) -> Option<String> {
    if target.is_live_system()
        && let Ok(output) = Command::new("openssl").arg("version").output()
        && output.status.success()
    {
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        if let Some(version) = text.split_whitespace().nth(1) {
            return Some(version.to_owned());
        }
    }
    ["libssl3t64", "libssl3", "openssl"]
        .iter()
        .find_map(|name| packages.version(name))
        .map(|version| dpkg::upstream_version(version).to_owned())
}

fn version_at_least(version: &str, major: u32, minor: u32) -> bool {
    let mut parts = version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .map(|part| part.parse::<u32>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    found >= (major, minor)
}

/// A change to some physical lines of a file.
#[derive(Debug, Clone)]
enum Change {
    /// New lines (without indentation: the first old line's is used).
    Replace(Vec<String>),
    /// The old lines commented out under a note.
    CommentOut(String),
}

struct FileDraft {
    inside: String,
    before: Option<String>,
    /// A whole new text, or line changes: (first line, last line, change).
    whole: Option<String>,
    lines: Vec<(u32, u32, Change)>,
}

impl FileDraft {
    fn render(&self) -> String {
        if let Some(whole) = &self.whole {
            return whole.clone();
        }
        let before = self.before.clone().unwrap_or_default();
        let newline = if before.contains("\r\n") { "\r\n" } else { "\n" };
        let mut lines: Vec<String> = before.lines().map(str::to_owned).collect();
        let mut changes = self.lines.clone();
        changes.sort_by_key(|(first, _, _)| std::cmp::Reverse(*first));
        for (first, last, change) in changes {
            let start = (first as usize).saturating_sub(1);
            let end = (last as usize).min(lines.len());
            if start >= end {
                continue;
            }
            let indent: String = lines[start].chars().take_while(|c| c.is_whitespace()).collect();
            let new: Vec<String> = match change {
                Change::Replace(new) => new.iter().map(|line| format!("{indent}{line}")).collect(),
                Change::CommentOut(note) => {
                    let mut out = vec![format!("{indent}# portcullis: {note}")];
                    out.extend(
                        lines[start..end]
                            .iter()
                            .map(|old| format!("{indent}#{}", old.trim_start())),
                    );
                    out
                }
            };
            lines.splice(start..end, new);
        }
        let ends_with_newline = before.ends_with('\n') || before.is_empty();
        let mut out = lines.join(newline);
        if ends_with_newline {
            out.push_str(newline);
        }
        out
    }
}

/// The edits of one plan, gathered per file and turned into whole-file
/// edits at the end (so several changes to one file make one edit).
struct Draft<'p, 'a> {
    planning: &'p ApachePlanning<'a>,
    files: BTreeMap<PathBuf, FileDraft>,
    /// The drop-in's entries, when the plan sets any.
    drop_in: Option<Vec<Entry>>,
    /// The `Include ... conf-enabled/...` line our drop-in is read through.
    conf_include: Option<Place>,
}

impl<'p, 'a> Draft<'p, 'a> {
    fn new(planning: &'p ApachePlanning<'a>) -> Self {
        let conf_include = planning
            .config
            .walk()
            .into_iter()
            .map(|(_, d)| d)
            .find(|d| {
                (d.is("Include") || d.is("IncludeOptional"))
                    && d.arg().is_some_and(|arg| arg.contains("conf-enabled"))
            })
            .map(|d| d.place.clone());
        Draft { planning, files: BTreeMap::new(), drop_in: None, conf_include }
    }

    fn available_path(&self) -> String {
        format!("{}/conf-available/{DROP_IN}", self.planning.root())
    }

    fn enabled_path(&self) -> String {
        format!("{}/conf-enabled/{DROP_IN}", self.planning.root())
    }

    fn is_drop_in(&self, place: &Place) -> bool {
        place.file == self.enabled_path() || place.file == self.available_path()
    }

    /// True for a file Debian's packages own, which portcullis leaves alone
    /// when the drop-in can do the job: apache2.conf and the enabled confs
    /// and modules.
    fn debian_file(&self, file: &str) -> bool {
        let root = self.planning.root();
        file == format!("{root}/apache2.conf")
            || ["conf-enabled", "conf-available", "mods-enabled", "mods-available"]
                .iter()
                .any(|dir| file.starts_with(&format!("{root}/{dir}/")))
    }

    /// True when a server-level line at `place` is read after the drop-in
    /// (and so overrides it).
    fn comes_after(&self, place: &Place) -> bool {
        let Some(include) = &self.conf_include else { return false };
        if self.is_drop_in(place) {
            return false;
        }
        if place.file == include.file {
            return place.line > include.line;
        }
        let includes = &self.planning.config.includes;
        let mut file = place.file.clone();
        for _ in 0..64 {
            let Some(entry) = includes.iter().find(|entry| entry.file == file) else {
                return false;
            };
            let Some(from) = &entry.from else { return false };
            if from.file == include.file {
                if from.line != include.line {
                    return from.line > include.line;
                }
                let name = entry.file.rsplit('/').next().unwrap_or("");
                return name > DROP_IN;
            }
            file = from.file.clone();
        }
        false
    }

    fn set_drop_in(&mut self, lines: &[String]) {
        if self.drop_in.is_none() {
            let text =
                std::fs::read_to_string(self.planning.target.host_path(self.available_path()))
                    .unwrap_or_else(|_| DROP_IN_HEADER.join("\n") + "\n");
            self.drop_in = Some(parse_entries(&text));
        }
        if let Some(entries) = &mut self.drop_in {
            set_entry(entries, lines);
        }
    }

    fn file(&mut self, inside: &str) -> Result<&mut FileDraft, PlanError> {
        let host = self.planning.target.host_path(inside);
        let key = std::fs::canonicalize(&host).unwrap_or(host.clone());
        if !self.files.contains_key(&key) {
            let before = match std::fs::read(&host) {
                Ok(bytes) => Some(String::from_utf8(bytes).map_err(|_| {
                    PlanError(format!("{inside} is not UTF-8 text; edit it by hand"))
                })?),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
                Err(err) => return Err(PlanError(format!("cannot read {inside}: {err}"))),
            };
            self.files.insert(
                key.clone(),
                FileDraft { inside: inside.to_owned(), before, whole: None, lines: Vec::new() },
            );
        }
        self.files.get_mut(&key).ok_or_else(|| PlanError(format!("{inside}: lost its draft")))
    }

    fn change(
        &mut self,
        file: &str,
        first: u32,
        last: u32,
        change: Change,
    ) -> Result<(), PlanError> {
        let draft = self.file(file)?;
        if draft.before.is_none() {
            return Err(PlanError(format!("{file} does not exist")));
        }
        if !draft.lines.iter().any(|(at, _, _)| *at == first) {
            draft.lines.push((first, last, change));
        }
        Ok(())
    }

    /// Rewrites a directive's line(s); a trailing comment (which Apache
    /// would take as arguments) moves to a line of its own above.
    fn set_line(&mut self, directive: &Directive, text: &str) -> Result<(), PlanError> {
        let mut lines = Vec::new();
        if let Some(at) = directive.trailing_comment() {
            lines.push(directive.args[at..].join(" "));
        }
        lines.push(text.to_owned());
        let place = &directive.place;
        self.change(
            &place.file,
            place.line,
            directive.last_line.max(place.line),
            Change::Replace(lines),
        )
    }

    /// Rewrites one physical line that is not part of the include tree.
    fn replace_line(&mut self, place: &Place, text: &str) -> Result<(), PlanError> {
        self.change(&place.file, place.line, place.line, Change::Replace(vec![text.to_owned()]))
    }

    fn comment_out(&mut self, directive: &Directive, note: &str) -> Result<(), PlanError> {
        let place = &directive.place;
        self.change(
            &place.file,
            place.line,
            directive.last_line.max(place.line),
            Change::CommentOut(note.to_owned()),
        )
    }

    fn whole_file(&mut self, inside: &str, text: String) -> Result<(), PlanError> {
        self.file(inside)?.whole = Some(text);
        Ok(())
    }

    /// Turns the draft into the plan's edits and links.
    fn finish(mut self, plan: &mut Plan) -> Result<(), PlanError> {
        if let Some(entries) = self.drop_in.take() {
            let root = self.planning.root();
            if self.conf_include.is_none() {
                return Err(PlanError(format!(
                    "{root}/apache2.conf does not include conf-enabled/, so a drop-in there would not be read; set this by hand"
                )));
            }
            let text = render_entries(&entries);
            let available = self.available_path();
            self.whole_file(&available, text)?;
            if !self.planning.exists(&self.enabled_path()) {
                plan.links.push(PlannedLink {
                    path: self.enabled_path(),
                    target: format!("../conf-available/{DROP_IN}"),
                });
            }
        }
        for draft in self.files.values() {
            let after = draft.render();
            match &draft.before {
                Some(before) if *before == after => {}
                Some(before) => plan.edits.push(FileEdit::change(
                    &draft.inside,
                    before.clone().into_bytes(),
                    after.into_bytes(),
                )),
                None => plan.edits.push(FileEdit::create(&draft.inside, after.into_bytes(), 0o644)),
            }
        }
        Ok(())
    }
}

/// A part of the drop-in: one directive line, one section, or a run of
/// comments and blank lines (no key).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    key: Option<String>,
    lines: Vec<String>,
}

/// What identifies an entry: the directive's name, or a section's opening
/// line, case and spacing ignored.
fn entry_key(first_line: &str) -> Option<String> {
    let line = first_line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    if line.starts_with('<') {
        let words: Vec<&str> = line.trim_end_matches('>').split_whitespace().collect();
        return Some(words.join(" ").to_ascii_lowercase());
    }
    line.split_whitespace().next().map(str::to_ascii_lowercase)
}

fn parse_entries(text: &str) -> Vec<Entry> {
    let lines: Vec<&str> = text.lines().collect();
    let mut entries = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        let trimmed = line.trim();
        let key = entry_key(line);
        let mut end = index + 1;
        if trimmed.starts_with('<') && !trimmed.starts_with("</") {
            let mut depth = 1;
            while end < lines.len() && depth > 0 {
                let inner = lines[end].trim();
                if inner.starts_with("</") {
                    depth -= 1;
                } else if inner.starts_with('<') {
                    depth += 1;
                }
                end += 1;
            }
        }
        entries.push(Entry {
            key,
            lines: lines[index..end].iter().map(|l| (*l).to_owned()).collect(),
        });
        index = end;
    }
    entries
}

/// Replaces the entry with the same key as `lines`, or appends them.
fn set_entry(entries: &mut Vec<Entry>, lines: &[String]) {
    let Some(first) = lines.first() else { return };
    let key = entry_key(first);
    if key.is_some()
        && let Some(first_at) = entries.iter().position(|entry| entry.key == key)
    {
        entries[first_at].lines = lines.to_vec();
        // A second copy further down (added by hand) would win over this one.
        let mut index = 0;
        entries.retain(|entry| {
            index += 1;
            index - 1 <= first_at || entry.key != key
        });
        return;
    }
    let last_blank = entries.last().is_none_or(|entry| {
        entry.key.is_none() && entry.lines.last().is_none_or(|line| line.trim().is_empty())
    });
    let after_directive =
        entries.last().is_some_and(|entry| entry.lines.len() == 1 && entry.key.is_some());
    if !(last_blank || lines.len() == 1 && after_directive) {
        entries.push(Entry { key: None, lines: vec![String::new()] });
    }
    entries.push(Entry { key, lines: lines.to_vec() });
}

fn render_entries(entries: &[Entry]) -> String {
    let mut out = String::new();
    for entry in entries {
        for line in &entry.lines {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Apache's own configuration test and the graceful reload.

/// How Apache's own test runs for a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigTest {
    /// `apache2ctl -t` with `APACHE_CONFDIR` (the live system).
    Apache2ctl,
    /// `/usr/sbin/apache2 -t -d <tree> -f <tree>/apache2.conf` with the
    /// tree's envvars (another root, where this machine has what it needs).
    TreeBinary,
    /// Apache's test cannot run here; why.
    ModelOnly(String),
}

const APACHE_BINARY: &str = "/usr/sbin/apache2";
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// Whether Apache's test on the tree as it is now passed, per host Apache
/// root: a tree that fails it before any change (certificates or modules
/// only the real server has) is judged by the model alone.
fn baseline_cache() -> &'static Mutex<HashMap<PathBuf, Result<(), String>>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Result<(), String>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// How Apache's own test will run for `target`. With `baseline` (when
/// planning), under another root the test is first run on the tree as it is
/// now (once per tree and process), and a tree that already fails it is left
/// to the model; without it (when validating) only what this machine has
/// decides.
/// Apache's own test where it can run (else a warning says the model alone
/// checked the change), and on the live system the reload.
pub fn add_apache_validation(target: &Target, config: &ApacheConfig, plan: &mut Plan) {
    match config_test_mode(target, config, true) {
        ConfigTest::ModelOnly(why) => {
            plan.warnings.push(format!("checked by portcullis's model alone: {why}"));
        }
        ConfigTest::Apache2ctl | ConfigTest::TreeBinary => {
            plan.validators.push(Validator::ApacheConfigTest);
        }
    }
    if target.is_live_system() {
        plan.validators.push(Validator::ApacheReload);
    }
}

pub fn config_test_mode(target: &Target, config: &ApacheConfig, baseline: bool) -> ConfigTest {
    if target.is_live_system() {
        return if find_program("apache2ctl").is_some() {
            ConfigTest::Apache2ctl
        } else {
            ConfigTest::ModelOnly("apache2ctl is not installed".to_owned())
        };
    }
    if !Path::new(APACHE_BINARY).is_file() {
        return ConfigTest::ModelOnly(format!("{APACHE_BINARY} is not installed on this machine"));
    }
    let host_root = target.host_path(&target.apache_root);
    for module in config.modules.iter().filter(|module| !module.is_static()) {
        let object = module.object.clone().unwrap_or_default();
        let on_host =
            if object.starts_with('/') { PathBuf::from(&object) } else { host_root.join(&object) };
        if !on_host.is_file() {
            return ConfigTest::ModelOnly(format!(
                "the tree loads {object}, which this machine does not have, so Apache's own test cannot read the tree here"
            ));
        }
    }
    if !baseline {
        return ConfigTest::TreeBinary;
    }
    let cached = baseline_cache().lock().ok().and_then(|cache| cache.get(&host_root).cloned());
    let outcome = cached.unwrap_or_else(|| {
        let outcome = tree_test(target);
        if let Ok(mut cache) = baseline_cache().lock() {
            cache.insert(host_root, outcome.clone());
        }
        outcome
    });
    match outcome {
        Ok(()) => ConfigTest::TreeBinary,
        Err(why) => ConfigTest::ModelOnly(format!(
            "Apache's own test already fails on the tree as it is, on this machine ({})",
            why.lines().find(|line| !line.trim().is_empty()).unwrap_or("no output").trim()
        )),
    }
}

/// Runs Apache's own configuration test where it can run; Ok with nothing
/// run where this machine lacks what it needs.
pub fn run_config_test(target: &Target) -> Result<(), String> {
    let config = ApacheConfig::load(target).map_err(|err| err.to_string())?;
    match config_test_mode(target, &config, false) {
        ConfigTest::Apache2ctl => {
            let program = find_program("apache2ctl").unwrap_or_else(|| PathBuf::from("apache2ctl"));
            let mut command = Command::new(program);
            command.arg("-t").env("APACHE_CONFDIR", &target.apache_root);
            run_test(&mut command)
        }
        ConfigTest::TreeBinary => tree_test(target),
        ConfigTest::ModelOnly(_) => Ok(()),
    }
}

/// `apache2 -t` on a tree under another root, with the variables Debian's
/// envvars would export for it.
fn tree_test(target: &Target) -> Result<(), String> {
    let host_root = target.host_path(&target.apache_root);
    let inside_root = target.apache_root.display().to_string();
    let envvars = std::fs::read_to_string(host_root.join("envvars")).unwrap_or_default();
    let mut command = Command::new(APACHE_BINARY);
    command.arg("-t").arg("-d").arg(&host_root).arg("-f").arg(host_root.join("apache2.conf"));
    for (name, value) in syntax::envvars(&envvars, &inside_root) {
        command.env(name, value);
    }
    command.env("APACHE_CONFDIR", &host_root);
    run_test(&mut command)
}

/// Apache's configuration test; a failure keeps what Apache said about the
/// error (`AH00526: Syntax error on line N of FILE:` and the reason on the
/// next line), not its closing "Action '-t' failed." lines.
fn run_test(command: &mut Command) -> Result<(), String> {
    crate::django::versions::run_with_timeout_detailed(command, COMMAND_TIMEOUT)
        .map(|_| ())
        .map_err(|failure| format!("{}: {}", failure.why, config_test_error(&failure.stderr)))
}

/// The lines of `apache2ctl -t`'s error output that say what is wrong: the
/// `AH00526: Syntax error on line N of FILE:` line and the reason after it
/// where Apache printed one (warnings before it are left out), else the last
/// line that is not Apache's closing boilerplate. Passwords in URLs are hidden.
fn config_test_error(stderr: &str) -> String {
    let said: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|line| {
            !line.is_empty()
                && !line.starts_with("Action '")
                && !line.starts_with("The Apache error log may have more information")
        })
        .collect();
    let kept = match said.iter().position(|line| line.contains("AH00526")) {
        Some(at) => said[at..said.len().min(at + 2)].join(" "),
        None => said.last().map_or_else(|| "no output".to_owned(), |line| (*line).to_owned()),
    };
    crate::redact::clean(&kept)
}

fn run(command: &mut Command) -> Result<String, String> {
    crate::django::versions::run_with_timeout(command, COMMAND_TIMEOUT)
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The systemd unit of the instance in `apache_root`, where systemd runs it.
fn systemd_unit(apache_root: &Path) -> Option<String> {
    if !Path::new("/run/systemd/system").is_dir() {
        return None;
    }
    let root = apache_root.to_string_lossy();
    let root = root.trim_end_matches('/');
    if root == "/etc/apache2" {
        return Some("apache2".to_owned());
    }
    root.strip_prefix("/etc/apache2-").map(|name| format!("apache2@{name}"))
}

/// The process id in Apache's pid file, when that process is alive.
pub(crate) fn running_pid(target: &Target) -> Option<i32> {
    let config = ApacheConfig::load(target).ok();
    let configured = config.as_ref().and_then(|config| {
        config.server_value("PidFile").and_then(Directive::arg).map(|file| {
            if file.starts_with('/') {
                file.to_owned()
            } else {
                format!("{}/{file}", config.server_root.trim_end_matches('/'))
            }
        })
    });
    let file = configured.or_else(|| {
        config.as_ref().and_then(|config| config.variables.get("APACHE_PID_FILE").cloned())
    })?;
    let pid: i32 = std::fs::read_to_string(target.host_path(&file)).ok()?.trim().parse().ok()?;
    process_alive(pid).then_some(pid)
}

/// True when `pid` runs: it exists and is not a zombie (a daemon whose
/// parent does not reap it stays one after it exits).
fn process_alive(pid: i32) -> bool {
    if nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_err() {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name in parentheses.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_none_or(|state| state != "Z" && state != "X"),
        Err(_) => true,
    }
}

/// The command that reloads (or with `restart`, restarts) the instance.
fn control_command(target: &Target, restart: bool) -> Command {
    if let Some(unit) = systemd_unit(&target.apache_root) {
        let mut command = Command::new("systemctl");
        command.arg(if restart { "restart" } else { "reload" }).arg(unit);
        return command;
    }
    let program = find_program("apache2ctl").unwrap_or_else(|| PathBuf::from("apache2ctl"));
    let mut command = Command::new(program);
    command.arg(if restart { "restart" } else { "graceful" });
    command.env("APACHE_CONFDIR", &target.apache_root);
    command
}

/// Reloads Apache gracefully on the live system and checks that it still
/// runs. A server that was not running is left stopped. Under another root
/// nothing is run.
pub fn reload(target: &Target) -> Result<String, String> {
    if !target.is_live_system() {
        return Ok("not the live system: nothing reloaded".to_owned());
    }
    if running_pid(target).is_none() {
        return Ok("Apache is not running: not reloaded".to_owned());
    }
    let mut command = control_command(target, false);
    run(&mut command).map_err(|out| format!("the reload failed: {out}"))?;
    // A reload that fails after reading the configuration stops the server
    // a moment later: look again after a short wait.
    std::thread::sleep(Duration::from_millis(500));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(pid) = running_pid(target) {
            return Ok(format!("Apache reloaded (pid {pid})"));
        }
        if Instant::now() > deadline {
            return Err("Apache is not running after the reload".to_owned());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// After a rollback on the live system: reload Apache on the restored
/// configuration, or restart it when the failed reload stopped it.
pub fn restart_after_rollback(target: &Target) -> Result<String, String> {
    if !target.is_live_system() {
        return Ok(String::new());
    }
    let running = running_pid(target).is_some();
    let mut command = control_command(target, !running);
    run(&mut command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_config_test_keeps_the_line_that_names_the_error() {
        let stderr = "AH00111: Config variable ${X} is not defined\n\
                      AH00526: Syntax error on line 3 of /etc/apache2/conf-enabled/x.conf:\n\
                      Invalid command 'Foo', perhaps misspelled\n\
                      Action '-t' failed.\n\
                      The Apache error log may have more information.\n";
        assert_eq!(
            config_test_error(stderr),
            "AH00526: Syntax error on line 3 of /etc/apache2/conf-enabled/x.conf: Invalid command 'Foo', perhaps misspelled"
        );
        assert_eq!(config_test_error("Action '-t' failed.\n"), "no output");
        assert_eq!(
            config_test_error("AH00112: Warning\nProxyPass http://u:secret@h/ refused\n"),
            "ProxyPass http://u:«redacted»@h/ refused"
        );
    }

    #[test]
    fn options_lose_indexes_and_keep_the_rest() {
        let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(without_indexes(&words("Indexes FollowSymLinks")), "FollowSymLinks");
        assert_eq!(without_indexes(&words("indexes")), "None");
        assert_eq!(without_indexes(&words("+Indexes +FollowSymLinks")), "+FollowSymLinks -Indexes");
        assert_eq!(without_indexes(&words("All")), "Includes FollowSymLinks ExecCGI");
    }

    #[test]
    fn the_drop_in_replaces_its_own_lines_and_appends_new_ones() {
        let mut entries = parse_entries("# head\n\nServerTokens OS\n");
        set_entry(&mut entries, &["ServerTokens Prod".to_owned()]);
        set_entry(&mut entries, &["ServerSignature Off".to_owned()]);
        let block: Vec<String> = ["<Directory /var/www/>", "\tOptions -Indexes", "</Directory>"]
            .map(str::to_owned)
            .to_vec();
        set_entry(&mut entries, &block);
        let text = render_entries(&entries);
        assert_eq!(
            text,
            "# head\n\nServerTokens Prod\nServerSignature Off\n\n<Directory /var/www/>\n\tOptions -Indexes\n</Directory>\n"
        );
        let mut doubled = parse_entries(&format!("{text}ServerTokens Full\n"));
        set_entry(&mut doubled, &["ServerTokens Prod".to_owned()]);
        assert_eq!(render_entries(&doubled), text);
        let mut again = parse_entries(&text);
        set_entry(&mut again, &block);
        set_entry(&mut again, &["servertokens Prod".to_owned()]);
        assert_eq!(render_entries(&again), text.replace("ServerTokens Prod", "servertokens Prod"));
    }

    #[test]
    fn load_file_headers_list_modules() {
        let text = "# Depends: setenvif mime socache_shmcb\n# Conflicts: mpm_worker, mpm_prefork\nLoadModule x y\n";
        assert_eq!(header_list(text, "Depends"), ["setenvif", "mime", "socache_shmcb"]);
        assert_eq!(header_list(text, "Conflicts"), ["mpm_worker", "mpm_prefork"]);
    }

    #[test]
    fn the_crs_include_goes_inside_the_module_block() {
        let text = "<IfModule security2_module>\n\tSecDataDir /var/cache/modsecurity\n\tIncludeOptional /etc/modsecurity/*.conf\n</IfModule>\n";
        let after = include_crs(text).expect("a block");
        assert!(
            after.contains("\tIncludeOptional /usr/share/modsecurity-crs/*.load\n</IfModule>"),
            "{after}"
        );
        assert_eq!(include_crs(&after).as_deref(), Some(after.as_str()));
        let commented = text.replace(
            "</IfModule>",
            "\t#IncludeOptional /usr/share/modsecurity-crs/*.load\n</IfModule>",
        );
        assert_eq!(include_crs(&commented), Some(after));
    }

    #[test]
    fn openssl_versions_compare_by_number() {
        assert!(version_at_least("3.5.1", 3, 5));
        assert!(!version_at_least("3.0.19", 3, 5));
        assert!(version_at_least("3.10.0", 3, 5));
    }
}
