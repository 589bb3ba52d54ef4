//! The maintenance items that read the project and the Apache model: where
//! the secret key comes from and whether it is strong, who can read the
//! `.env`, pip-audit in the requirements, the site's own logs. The key's value
//! is never shown: evidence says how long it is and where it was set.

use std::os::unix::fs::MetadataExt;

use crate::apache::ApacheConfig;
use crate::django::rules::DjangoFacts;
use crate::django::settings::LiteralKind;
use crate::django::value::{PyValue, Value};
use crate::finding::{Evidence, Finding};
use crate::target::Target;

const INSECURE_PREFIX: &str = "django-insecure-";

/// `maint.secret-key-source`: the key is not a string literal in a settings
/// file, neither assigned nor as the fallback of an environment read.
pub fn secret_key_source(id: &str, facts: &DjangoFacts) -> Finding {
    let setting = facts.analysis.setting("SECRET_KEY");
    let length = match setting.known() {
        Some(PyValue::Str(key)) => format!("{} characters", key.chars().count()),
        _ => "unknown length".to_owned(),
    };
    match facts.analysis.literal("SECRET_KEY") {
        Some(LiteralKind::Assigned(at)) => Finding::fail(
            id,
            format!("SECRET_KEY is a literal of {length} at {}:{}: it is in the code and every copy of it", at.file, at.line),
        )
        .with(Evidence::at(&at.file, at.line, &at.text)),
        Some(LiteralKind::Fallback { variable, location }) => Finding::fail(
            id,
            format!(
                "SECRET_KEY is read from {variable}, but a literal fallback of {length} sits in {}:{}: the site runs with it whenever {variable} is unset",
                location.file, location.line
            ),
        )
        .with(Evidence::at(&location.file, location.line, &location.text)),
        None => match &setting.assigned {
            Some(at) => {
                let loaded = facts.analysis.dotenv_files();
                let from_env = setting.related.iter().any(|l| loaded.contains(&l.file))
                    || matches!(setting.value, Value::Unknown(_));
                let evidence: Vec<Evidence> = std::iter::once(at)
                    .chain(setting.related.iter())
                    .map(|l| Evidence::at(&l.file, l.line, crate::redact::redact_value(&l.text)))
                    .collect();
                if from_env {
                    Finding::pass(id, "SECRET_KEY is not written in the settings: it comes from the environment")
                        .with_evidence(evidence)
                } else {
                    Finding::fail(
                        id,
                        format!("SECRET_KEY ({length}) is computed in the settings code at {}:{}, not read from the environment", at.file, at.line),
                    )
                    .with_evidence(evidence)
                }
            }
            None => Finding::fail(id, "SECRET_KEY is not set at all: Django refuses to start without it")
                .with(Evidence::in_file(facts.analysis.module_file(), "SECRET_KEY is never assigned")),
        },
    }
}

/// Why a key fails Django's rules (security.W009), or `None`.
pub fn key_weakness(key: &str) -> Option<String> {
    let length = key.chars().count();
    let distinct = key.chars().collect::<std::collections::BTreeSet<_>>().len();
    if key.starts_with(INSECURE_PREFIX) {
        Some(format!("it starts with {INSECURE_PREFIX}, the mark of a key startproject generated"))
    } else if length < 50 {
        Some(format!("it has {length} characters, fewer than 50"))
    } else if distinct < 5 {
        Some(format!("it has only {distinct} distinct characters, fewer than 5"))
    } else {
        None
    }
}

/// `maint.secret-key-strength`: the key and every fallback pass Django's rules.
pub fn secret_key_strength(id: &str, facts: &DjangoFacts) -> Finding {
    let key = facts.analysis.setting("SECRET_KEY");
    let place = |s: &crate::django::value::Setting| {
        s.assigned
            .as_ref()
            .map(|at| Evidence::at(&at.file, at.line, crate::redact::redact_value(&at.text)))
    };
    let mut problems = Vec::new();
    match &key.value {
        Value::Known(PyValue::Str(value)) => {
            if let Some(why) = key_weakness(value) {
                problems.push(format!("SECRET_KEY: {why}"));
            }
        }
        Value::Known(other) => {
            problems.push(format!("SECRET_KEY is a {}, not a string", other.type_name()));
        }
        Value::Unknown(why) => {
            return Finding::unknown(id, format!("SECRET_KEY cannot be known statically: {why}"));
        }
    }
    let fallbacks = facts.analysis.setting("SECRET_KEY_FALLBACKS");
    match &fallbacks.value {
        Value::Known(value) => {
            for (index, entry) in value.items().unwrap_or_default().iter().enumerate() {
                match entry.as_str().map(key_weakness) {
                    Some(None) => {}
                    Some(Some(why)) => {
                        problems.push(format!("SECRET_KEY_FALLBACKS[{index}]: {why}"));
                    }
                    None => problems.push(format!("SECRET_KEY_FALLBACKS[{index}] is not a string")),
                }
            }
        }
        Value::Unknown(why) => {
            return Finding::unknown(
                id,
                format!("SECRET_KEY_FALLBACKS cannot be known statically: {why}"),
            );
        }
    }
    let mut evidence: Vec<Evidence> = place(&key).into_iter().collect();
    evidence.extend(
        key.related
            .iter()
            .map(|l| Evidence::at(&l.file, l.line, crate::redact::redact_value(&l.text))),
    );
    evidence.extend(place(&fallbacks));
    if problems.is_empty() {
        Finding::pass(id, "SECRET_KEY and its fallbacks pass Django's rules (50+ characters, 5+ distinct, no insecure prefix)")
            .with_evidence(evidence)
    } else {
        Finding::fail(id, problems.join("; ")).with_evidence(evidence)
    }
}

/// `maint.pip-audit-listed`: pip-audit in a requirements file of the project.
pub fn requirement_listed(id: &str, facts: &DjangoFacts, package: &str) -> Finding {
    if let Some(entry) = facts.requirements.lists(package) {
        Finding::pass(id, format!("{package} is listed in {}", entry.file)).with(Evidence::at(
            &entry.file,
            entry.line,
            &entry.text,
        ))
    } else {
        let files = if facts.requirements.files.is_empty() {
            "the project has no requirements file".to_owned()
        } else {
            format!("not in {}", facts.requirements.files.join(", "))
        };
        Finding::fail(id, format!("{package} is not in the project's requirements: {files}"))
    }
}

/// A user or group of the target, from its own `/etc/passwd` or `/etc/group`.
fn lookup(target: &Target, file: &str, name: &str) -> Option<u32> {
    let text = std::fs::read_to_string(target.host_path(file)).ok()?;
    text.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next()? == name).then(|| fields.nth(1)?.parse().ok()).flatten()
    })
}

fn name_of(target: &Target, file: &str, id: u32) -> String {
    std::fs::read_to_string(target.host_path(file))
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                (fields.get(2)? == &id.to_string().as_str()).then(|| fields[0].to_owned())
            })
        })
        .unwrap_or_else(|| id.to_string())
}

/// The user the site runs as (DESIGN.md): the `WSGIDaemonProcess user=`,
/// else `APACHE_RUN_USER`, else the owner of `manage.py`.
pub fn site_user(
    target: &Target,
    facts: &DjangoFacts,
    apache: Option<&ApacheConfig>,
) -> Option<(String, String)> {
    if let Some(config) = apache {
        let daemon = crate::layers::site_daemon(config, &facts.project);
        if let Some(user) = daemon.as_ref().and_then(|d| d.user.clone()) {
            let group = daemon.and_then(|d| d.group).unwrap_or_else(|| user.clone());
            return Some((user, group));
        }
        if let Some(user) = config.variables.get("APACHE_RUN_USER") {
            let group =
                config.variables.get("APACHE_RUN_GROUP").cloned().unwrap_or_else(|| user.clone());
            return Some((user.clone(), group));
        }
    }
    let meta = std::fs::metadata(target.host_path(facts.project.manage_py())).ok()?;
    Some((name_of(target, "/etc/passwd", meta.uid()), name_of(target, "/etc/group", meta.gid())))
}

/// `maint.env-permissions`: each `.env` the settings load is readable by the
/// site's user and by no one else.
pub fn env_permissions(
    id: &str,
    target: &Target,
    facts: &DjangoFacts,
    apache: Option<&ApacheConfig>,
) -> Finding {
    let mut files: Vec<String> = facts.analysis.dotenv_files().to_vec();
    if let Some(env_file) = &target.env_file {
        files.push(env_file.display().to_string());
    }
    if files.is_empty() {
        return Finding::not_applicable(
            id,
            "the settings load no .env file and no --env-file was given",
        );
    }
    let Some((user, group)) = site_user(target, facts, apache) else {
        return Finding::unknown(
            id,
            "the site's user cannot be told: no WSGIDaemonProcess user, no APACHE_RUN_USER, no manage.py owner",
        );
    };
    let (Some(uid), Some(gid)) =
        (lookup(target, "/etc/passwd", &user), lookup(target, "/etc/group", &group))
    else {
        return Finding::unknown(
            id,
            format!(
                "the site's user {user} (group {group}) is not in the target's /etc/passwd and /etc/group"
            ),
        );
    };

    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    for file in &files {
        let Ok(meta) = std::fs::metadata(target.host_path(file)) else {
            problems.push(format!("{file} cannot be read"));
            continue;
        };
        let mode = meta.mode() & 0o777;
        let owner = name_of(target, "/etc/passwd", meta.uid());
        let owning_group = name_of(target, "/etc/group", meta.gid());
        evidence.push(Evidence::in_file(
            file,
            format!("mode {mode:04o}, owner {owner}, group {owning_group}"),
        ));
        let site_reads = (meta.uid() == uid && mode & 0o400 != 0)
            || (meta.gid() == gid && mode & 0o040 != 0)
            || mode & 0o004 != 0;
        if mode & 0o007 != 0 {
            problems
                .push(format!("{file} is readable by every user of the machine (mode {mode:04o})"));
        } else if meta.gid() != gid && mode & 0o070 != 0 {
            problems.push(format!("{file} is open to group {owning_group}, not only the site's group {group} (mode {mode:04o})"));
        } else if !site_reads {
            problems.push(format!("the site's user {user} cannot read {file} (mode {mode:04o}, owner {owner}): the site would fail to start"));
        } else if meta.uid() != uid && meta.uid() != 0 {
            problems.push(format!(
                "{file} belongs to {owner}, neither the site's user {user} nor root"
            ));
        }
    }
    for (copy, mode) in env_copies(target, &files) {
        evidence.push(Evidence::in_file(
            &copy,
            format!("a copy of an environment file, mode {mode:04o}"),
        ));
        if mode & 0o007 != 0 {
            problems.push(format!(
                "{copy}, beside the environment file and likely holding the same secrets, is readable by every user of the machine (mode {mode:04o}): remove it, or chmod o-rwx it"
            ));
        }
    }
    if let Some(config) = apache {
        for (file, url) in served_env_files(target, config, &files) {
            evidence.push(Evidence::in_file(&file, format!("served by Apache at {url}")));
            problems.push(format!(
                "{file} is in a directory Apache serves: anyone can fetch it at {url}; move it out of the served tree"
            ));
        }
    }
    if problems.is_empty() {
        Finding::pass(id, format!("readable by the site's user {user} and no one else"))
            .with_evidence(evidence)
    } else {
        Finding::fail(id, problems.join("; ")).with_evidence(evidence)
    }
}

/// Whether a file name looks like an environment file or a copy of one:
/// `.env.bak`, `.env.production`, `.env~`, `secrets.env`.
fn looks_like_env_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let extension = std::path::Path::new(&lower).extension().and_then(|e| e.to_str());
    (lower.starts_with(".env") && lower != ".envrc") || extension == Some("env")
}

/// Files beside the loaded environment files that look like copies of them,
/// with their modes: backups and per-stage variants hold the same secrets.
pub(crate) fn env_copies(target: &Target, loaded: &[String]) -> Vec<(String, u32)> {
    let mut dirs: Vec<&std::path::Path> =
        loaded.iter().filter_map(|file| std::path::Path::new(file).parent()).collect();
    dirs.sort();
    dirs.dedup();
    let mut copies = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(target.host_path(dir)) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let inside = dir.join(&name).display().to_string();
            if !looks_like_env_file(&name) || loaded.contains(&inside) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_file() {
                copies.push((inside, meta.mode() & 0o777));
            }
        }
    }
    copies.sort();
    copies
}

/// Environment files (the loaded ones, and any such file at the top of a
/// served directory) that Apache serves, with the URL that fetches each.
pub(crate) fn served_env_files(
    target: &Target,
    config: &ApacheConfig,
    loaded: &[String],
) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for served in config.served_directories() {
        let root = served.path.trim_end_matches('/');
        let url = |file: &str| {
            let rest = file[root.len()..].trim_start_matches('/');
            format!("{}/{rest}", served.url.trim_end_matches('/'))
        };
        for file in loaded {
            if file.starts_with(&format!("{root}/")) {
                found.push((file.clone(), url(file)));
            }
        }
        let Ok(entries) = std::fs::read_dir(target.host_path(root)) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let inside = format!("{root}/{name}");
            if looks_like_env_file(&name) && entry.metadata().is_ok_and(|m| m.is_file()) {
                found.push((inside.clone(), url(&inside)));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// `maint.logs-configured`: the site's virtual hosts have their own
/// `ErrorLog` and `CustomLog`.
pub fn logs_configured(id: &str, facts: &DjangoFacts, config: &ApacheConfig) -> Finding {
    let dir = facts.project.dir.display().to_string();
    let site: Vec<_> = config
        .virtual_hosts()
        .into_iter()
        .filter(|v| {
            v.wsgi_script_alias()
                .is_some_and(|(_, script, _)| script.starts_with(dir.trim_end_matches('/')))
                || !v.proxy_passes().is_empty()
        })
        .collect();
    if site.is_empty() {
        return Finding::unknown(
            id,
            format!("no virtual host serves {dir}, so its logs cannot be found"),
        );
    }
    let mut missing = Vec::new();
    let mut evidence = Vec::new();
    for vhost in &site {
        let name = vhost.server_name.clone().unwrap_or_else(|| vhost.addresses.join(" "));
        match vhost.error_log() {
            Some(d) => evidence.push(Evidence::at(&d.place.file, d.place.line, &d.text)),
            None => missing.push(format!(
                "{name} ({}:{}) has no ErrorLog of its own",
                vhost.place.file, vhost.place.line
            )),
        }
        let custom = vhost.custom_logs();
        if custom.is_empty() {
            missing.push(format!(
                "{name} ({}:{}) has no CustomLog",
                vhost.place.file, vhost.place.line
            ));
        }
        evidence.extend(custom.iter().map(|d| Evidence::at(&d.place.file, d.place.line, &d.text)));
    }
    if missing.is_empty() {
        Finding::pass(
            id,
            format!(
                "each of the site's {} virtual host(s) has its own error and access log",
                site.len()
            ),
        )
        .with_evidence(evidence)
    } else {
        Finding::fail(id, missing.join("; ")).with_evidence(evidence)
    }
}

/// The log files the site's virtual hosts write (inside paths, variables
/// expanded), error log first.
pub fn site_logs(facts: &DjangoFacts, config: &ApacheConfig) -> (Option<String>, Vec<String>) {
    let dir = facts.project.dir.display().to_string();
    let expand = |arg: &str| crate::apache::syntax::expand(arg, &config.variables).into_owned();
    let mut error = None;
    let mut logs = Vec::new();
    for vhost in config.virtual_hosts() {
        let serves_site = vhost
            .wsgi_script_alias()
            .is_some_and(|(_, script, _)| script.starts_with(dir.trim_end_matches('/')))
            || !vhost.proxy_passes().is_empty();
        if !serves_site {
            continue;
        }
        let error_log = vhost.error_log().and_then(|d| d.args.first()).map(|a| expand(a));
        let access =
            vhost.custom_logs().into_iter().filter_map(|d| d.args.first()).map(|a| expand(a));
        for log in error_log.iter().cloned().chain(access) {
            // A piped log (`|/usr/bin/rotatelogs ...`) is not a file to rotate.
            if log.starts_with('/') && !logs.contains(&log) {
                logs.push(log);
            }
        }
        if error.is_none() {
            error = error_log;
        }
    }
    (error, logs)
}

/// `maint.logrotate`: every log the site writes is covered by exactly one
/// stanza that logrotate reads.
pub fn logrotate(id: &str, target: &Target, facts: &DjangoFacts, config: &ApacheConfig) -> Finding {
    let (_, logs) = site_logs(facts, config);
    if logs.is_empty() {
        return Finding::unknown(id, "the site's virtual hosts name no log file");
    }
    let rotation = crate::maint::logrotate::load(&target.root, "/etc/logrotate.conf");
    let report = crate::maint::logrotate::coverage(&target.root, &rotation, &logs);
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    for log in &report.logs {
        for by in &log.covered_by {
            evidence.push(Evidence::at(
                &by.file,
                by.line,
                format!("{} covers {}", by.pattern, log.log),
            ));
        }
        match log.covered_by.len() {
            0 if !log.ignored_by.is_empty() => problems.push(format!(
                "{} is covered only by {}, which logrotate ignores (its mode or owner)",
                log.log,
                log.ignored_by.iter().map(|s| s.file.as_str()).collect::<Vec<_>>().join(", ")
            )),
            0 => problems.push(format!("{} is not rotated by any logrotate rule", log.log)),
            1 => {}
            n => problems.push(format!(
                "{} is matched by {n} rules: logrotate reports a duplicate and skips it",
                log.log
            )),
        }
        if let Some(parent) = &log.insecure_parent {
            problems.push(format!(
                "{} sits in {} (mode {:04o}), which logrotate skips without an `su {} {}` line",
                log.log, parent.dir, parent.mode, parent.owner, parent.group
            ));
        }
    }
    if problems.is_empty() {
        Finding::pass(
            id,
            format!("each of the site's {} log file(s) is rotated by exactly one rule", logs.len()),
        )
        .with_evidence(evidence)
    } else {
        Finding::fail(id, problems.join("; ")).with_evidence(evidence)
    }
}

/// `maint.pip-audit-ci`: the project's CI pipeline runs pip-audit, when it
/// has a pipeline.
pub fn ci_step(id: &str, target: &Target, facts: &DjangoFacts, tool: &str) -> Finding {
    let pipelines = crate::maint::ci::find_pipelines(&target.host_path(&facts.project.dir));
    if pipelines.is_empty() {
        return Finding::not_applicable(
            id,
            "the project has no CI pipeline (.github/workflows, .gitlab-ci.yml)",
        );
    }
    let shown = |path: &std::path::Path| target.inside_path(path);
    if let Some((file, line)) =
        pipelines.iter().find_map(|p| p.pip_audit_line.map(|line| (shown(&p.path), line)))
    {
        let text = pipelines
            .iter()
            .find(|p| shown(&p.path) == file)
            .and_then(|p| p.text.lines().nth(line as usize - 1))
            .unwrap_or("")
            .to_owned();
        return Finding::pass(id, format!("{file} runs {tool}"))
            .with(Evidence::at(&file, line, text));
    }
    let files: Vec<String> = pipelines.iter().map(|p| shown(&p.path)).collect();
    Finding::fail(id, format!("the CI pipeline does not run {tool}: {}", files.join(", ")))
        .with_evidence(files.iter().map(|f| Evidence::in_file(f, format!("no step runs {tool}"))))
}

/// `maint.logs-reviewed`: a manual item; its evidence is a summary of the
/// site's logs to review.
pub fn log_review(
    id: &str,
    target: &Target,
    facts: &DjangoFacts,
    config: &ApacheConfig,
) -> Finding {
    let (error, logs) = site_logs(facts, config);
    let access = logs.iter().find(|l| Some(*l) != error.as_ref()).cloned();
    let host = |p: &String| target.host_path(p);
    let error_host = error.as_ref().map(host);
    let access_host = access.as_ref().map(host);
    let summary = crate::maint::logs::summarise_files(
        error_host.as_deref().zip(error.as_deref()),
        access_host.as_deref().zip(access.as_deref()),
    );
    let mut finding = Finding::unknown(
        id,
        "a manual item: review the summary of the site's logs, then `portcullis confirm maint.logs-reviewed --note ...`",
    );
    match summary {
        Ok(summary) => {
            let text = crate::maint::logs::render_text(&summary);
            finding
                .evidence
                .extend(text.lines().filter(|l| !l.trim().is_empty()).take(40).map(Evidence::note));
        }
        Err(err) => {
            finding.evidence.push(Evidence::note(format!("the logs cannot be read: {err}")));
        }
    }
    finding
}

/// The pip-audit to run: beside `--python`, in the project's virtualenv on
/// the live system, or on the path.
fn find_pip_audit(target: &Target, facts: &DjangoFacts) -> Option<std::path::PathBuf> {
    let beside_python =
        target.python.as_ref().and_then(|p| p.parent().map(|d| d.join("pip-audit")));
    let in_venv = facts
        .project
        .venv
        .as_ref()
        .filter(|_| target.is_live_system())
        .map(|venv| target.host_path(venv.join("bin/pip-audit")));
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).map(|d| d.join("pip-audit")).find(|p| p.is_file())
    });
    beside_python.into_iter().chain(in_venv).find(|p| p.is_file()).or(on_path)
}

/// One pip-audit run on the project's pinned requirements: the file it
/// audited (inside path), the command as shown, and the outcome.
pub struct Audit {
    pub file: String,
    pub command: String,
    pub outcome: crate::maint::pip_audit::AuditOutcome,
}

/// Runs pip-audit on the flattened pins of the project's requirements, as
/// the site's user when portcullis runs as root. `Err` says why it could not.
pub fn run_audit(
    target: &Target,
    facts: &DjangoFacts,
    apache: Option<&ApacheConfig>,
) -> Result<Audit, String> {
    use crate::maint::pip_audit::{self, AuditRequest, AuditWorkdir, Invoker};

    let Some(file) = facts.requirements.files.first() else {
        return Err("the project has no requirements file to audit".to_owned());
    };
    let Some(pip_audit) = find_pip_audit(target, facts) else {
        return Err("pip-audit is not installed where it can run (beside --python, in the project's virtualenv, or on the path)".to_owned());
    };
    let flat = pip_audit::flatten_requirements(&target.host_path(file));
    if !flat.unpinned.is_empty() {
        return Err(format!(
            "pip-audit audits exact pins, and these are not pinned with ==: {}",
            flat.unpinned.join(", ")
        ));
    }
    let invoker = Invoker::current();
    // As the site's user when portcullis runs as root and that user exists on
    // this machine (pip-audit installs packages, which runs their code).
    let exists = |user: &String| nix::unistd::User::from_name(user).ok().flatten().is_some();
    let site_user = if invoker.is_root {
        site_user(target, facts, apache).map(|(user, _)| user).filter(exists)
    } else {
        None
    };
    let workdir = AuditWorkdir::create(&std::env::temp_dir(), &flat, site_user.as_deref())
        .map_err(|err| format!("cannot prepare pip-audit's work directory: {err}"))?;
    let mut request = AuditRequest::new(&pip_audit, &workdir.requirements);
    request.no_install = true;
    request.site_user = site_user;
    request.osv_url.clone_from(&target.osv_url);
    workdir.apply_to(&mut request);
    let outcome = pip_audit::run(&request, &invoker, std::time::Duration::from_secs(300), |_| {});
    Ok(Audit { file: file.clone(), command: format!("pip-audit -r {file} --format json"), outcome })
}

/// `maint.pip-audit-clean`: pip-audit finds nothing in the pinned
/// requirements. A package it could not look up is never a pass.
pub fn pip_audit_clean(
    id: &str,
    target: &Target,
    facts: &DjangoFacts,
    apache: Option<&ApacheConfig>,
) -> Finding {
    use crate::maint::pip_audit::{self, AuditOutcome};

    let audit = match run_audit(target, facts, apache) {
        Ok(audit) => audit,
        Err(why) => return Finding::unknown(id, why),
    };
    let evidence: Vec<Evidence> = pip_audit::describe(&audit.outcome)
        .into_iter()
        .map(|line| Evidence::command(&audit.command, line))
        .collect();
    match &audit.outcome {
        AuditOutcome::Clean { audited } => {
            Finding::pass(id, format!("no known vulnerability in {audited} audited packages"))
                .with_evidence(evidence)
        }
        AuditOutcome::Vulnerable { packages, .. } => {
            Finding::fail(id, format!("{} package(s) with known vulnerabilities", packages.len()))
                .with_evidence(evidence)
        }
        AuditOutcome::NotAudited { skipped } => Finding::unknown(
            id,
            format!(
                "pip-audit could not look up {} package(s): nothing was audited for them",
                skipped.len()
            ),
        )
        .with_evidence(evidence),
        AuditOutcome::Failed { message, unreachable: true } => Finding::unknown(
            id,
            format!(
                "pip-audit could not run: {message}; where this machine cannot reach the advisory service, give an OSV mirror it can reach with --osv-url URL"
            ),
        )
        .with_evidence(evidence),
        AuditOutcome::Failed { message, .. } => {
            Finding::unknown(id, format!("pip-audit could not run: {message}"))
                .with_evidence(evidence)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_judged_by_djangos_rules() {
        assert!(key_weakness("short").is_some_and(|w| w.contains("5 characters")));
        assert!(
            key_weakness(&format!("{INSECURE_PREFIX}{}", "x".repeat(60)))
                .is_some_and(|w| w.contains("startproject"))
        );
        assert!(key_weakness(&"ab".repeat(30)).is_some_and(|w| w.contains("2 distinct")));
        assert_eq!(key_weakness("k3y-Ab9xQ2mN7pL4vR8tY1wE6uI0oP5aS3dF7gH2jK9lZ4xC8vB1nM6"), None);
    }
}
