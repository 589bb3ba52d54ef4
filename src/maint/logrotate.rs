//! Reads logrotate's configuration the way logrotate does (the main file, its
//! `include`s, drop-ins it ignores for their mode or owner) and answers which
//! stanzas cover each of the site's log files. Plans a drop-in for the files
//! nothing covers and validates it with `logrotate -d`. Reading never changes
//! anything; the plan is data.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use glob::{MatchOptions, Pattern};

use crate::fix::FileEdit;
use crate::target::host_path;

/// The template of the site's drop-in (`/etc/logrotate.d/<site>`).
pub const SITE_TEMPLATE: &str = include_str!("../../assets/templates/logrotate-site");

/// Debian's main configuration file, inside the target.
pub const MAIN_CONFIG: &str = "/etc/logrotate.conf";

/// File name endings logrotate skips in an included directory (its default
/// `tabooext` list).
const TABOO_ENDINGS: &[&str] = &[
    ",v",
    ".cfsaved",
    ".disabled",
    ".dpkg-bak",
    ".dpkg-del",
    ".dpkg-dist",
    ".dpkg-new",
    ".dpkg-old",
    ".rpmnew",
    ".rpmorig",
    ".rpmsave",
    ".swp",
    ".ucf-dist",
    ".ucf-new",
    ".ucf-old",
    "~",
];

/// Directives that open a script block running until `endscript`.
const SCRIPT_DIRECTIVES: &[&str] =
    &["postrotate", "prerotate", "firstaction", "lastaction", "preremove"];

/// One `paths { ... }` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stanza {
    /// The config file, inside the target.
    pub file: String,
    /// 1-based line of the stanza's first path.
    pub line: u32,
    /// The path globs, inside the target, as written (quotes removed).
    pub patterns: Vec<String>,
    /// Directive name to its arguments (the last one wins, as in logrotate).
    pub directives: BTreeMap<String, String>,
}

impl Stanza {
    /// The `su USER [GROUP]` that applies, from the stanza or the globals.
    pub fn su<'a>(&'a self, config: &'a LogrotateConfig) -> Option<&'a str> {
        self.directives.get("su").or(config.globals.get("su")).map(String::as_str)
    }

    /// The first of its patterns that matches `log` (an inside path).
    pub fn matching_pattern(&self, log: &str) -> Option<&str> {
        self.patterns.iter().map(String::as_str).find(|pattern| glob_matches(pattern, log))
    }
}

/// Why logrotate ignores a config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoreReason {
    /// Mode has write bits for group or others (logrotate: "writable by group
    /// or others").
    WritableByGroupOrOthers { mode: u32 },
    /// Not owned by root (logrotate: "the file owner is wrong").
    NotOwnedByRoot { uid: u32 },
}

/// A config file logrotate would skip, and the stanzas it would have added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredFile {
    pub file: String,
    pub reasons: Vec<IgnoreReason>,
    pub stanzas: Vec<Stanza>,
}

impl IgnoredFile {
    /// The commands that make logrotate read the file again.
    pub fn repair_commands(&self) -> Vec<String> {
        let mut commands = Vec::new();
        for reason in &self.reasons {
            match reason {
                IgnoreReason::WritableByGroupOrOthers { .. } => {
                    commands.push(format!("chmod 0644 {}", self.file));
                }
                IgnoreReason::NotOwnedByRoot { .. } => {
                    commands.push(format!("chown root:root {}", self.file));
                }
            }
        }
        commands
    }
}

/// Everything read from the main config and its includes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogrotateConfig {
    /// Config files read, inside the target, in logrotate's order.
    pub files: Vec<String>,
    /// Global directives (outside any stanza), last one wins.
    pub globals: BTreeMap<String, String>,
    /// Stanzas logrotate uses, in its reading order.
    pub stanzas: Vec<Stanza>,
    /// Drop-ins logrotate skips (case E4).
    pub ignored: Vec<IgnoredFile>,
    /// Things that could not be read or parsed, one line each.
    pub problems: Vec<String>,
}

/// Reads the logrotate configuration at `config` (inside the target, usually
/// [`MAIN_CONFIG`]) under `root`, following `include` of files and
/// directories (directory entries in name order, taboo endings skipped).
pub fn load(root: &Path, config: &str) -> LogrotateConfig {
    let mut loaded = LogrotateConfig::default();
    read_config(root, config, &mut loaded, 0);
    loaded
}

/// Reads one config file and, through its `include` lines, the rest.
fn read_config(root: &Path, inside: &str, out: &mut LogrotateConfig, depth: usize) {
    if depth > 8 {
        out.problems.push(format!("{inside}: includes nested too deep (a loop?)"));
        return;
    }
    let host = host_path(root, Path::new(inside));
    let metadata = match std::fs::metadata(&host) {
        Ok(metadata) => metadata,
        Err(error) => {
            out.problems.push(format!("cannot read {inside}: {error}"));
            return;
        }
    };
    if metadata.is_dir() {
        read_directory(root, inside, &host, out, depth);
        return;
    }
    let text = match std::fs::read(&host) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(error) => {
            out.problems.push(format!("cannot read {inside}: {error}"));
            return;
        }
    };
    out.files.push(inside.to_owned());
    let parsed = parse(inside, &text);
    out.problems.extend(parsed.problems);

    // logrotate (run as root) skips the whole file for its mode or owner;
    // the main file is checked as well.
    let mut reasons = Vec::new();
    if metadata.mode() & 0o022 != 0 {
        reasons.push(IgnoreReason::WritableByGroupOrOthers { mode: metadata.mode() & 0o7777 });
    }
    if metadata.uid() != 0 {
        reasons.push(IgnoreReason::NotOwnedByRoot { uid: metadata.uid() });
    }
    if !reasons.is_empty() {
        let stanzas = parsed
            .items
            .into_iter()
            .filter_map(|item| match item {
                Item::Stanza(stanza) => Some(stanza),
                Item::Global(..) => None,
            })
            .collect();
        out.ignored.push(IgnoredFile { file: inside.to_owned(), reasons, stanzas });
        return;
    }

    // In file order, so that an included file's stanzas come where the
    // `include` line is, as logrotate reads them.
    for item in parsed.items {
        match item {
            Item::Global(name, value) if name == "include" => {
                read_config(root, &value, out, depth + 1);
            }
            Item::Global(name, value) => {
                out.globals.insert(name, value);
            }
            Item::Stanza(stanza) => out.stanzas.push(stanza),
        }
    }
}

fn read_directory(root: &Path, inside: &str, host: &Path, out: &mut LogrotateConfig, depth: usize) {
    let entries = match std::fs::read_dir(host) {
        Ok(entries) => entries,
        Err(error) => {
            out.problems.push(format!("cannot list {inside}: {error}"));
            return;
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .filter(|name| !TABOO_ENDINGS.iter().any(|taboo| name.ends_with(taboo)))
        .collect();
    names.sort();
    for name in names {
        let child = format!("{}/{name}", inside.trim_end_matches('/'));
        read_config(root, &child, out, depth + 1);
    }
}

/// One file's content in order: global directives (`include` among them)
/// and stanzas.
#[derive(Debug, Default)]
struct ParsedFile {
    items: Vec<Item>,
    problems: Vec<String>,
}

#[derive(Debug)]
enum Item {
    Global(String, String),
    Stanza(Stanza),
}

fn parse(file: &str, text: &str) -> ParsedFile {
    let mut parsed = ParsedFile::default();
    let mut open: Option<Stanza> = None;
    // Paths written on lines before the `{` line.
    let mut pending: Option<(u32, Vec<String>)> = None;
    let mut in_script = false;

    for (index, raw) in text.lines().enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let line = raw.trim();
        if in_script {
            in_script = line != "endscript";
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }

        if let Some(stanza) = open.as_mut() {
            if line == "}" {
                parsed.items.extend(open.take().map(Item::Stanza));
                continue;
            }
            let (name, args) = split_directive(line);
            if SCRIPT_DIRECTIVES.contains(&name) {
                in_script = true;
            }
            stanza.directives.insert(name.to_owned(), args.to_owned());
            continue;
        }

        // Outside a stanza: a line naming paths (absolute, or quoted) starts
        // one, with `{` on this line or a following one.
        let starts_paths = line.starts_with('/') || line.starts_with('"') || line.starts_with('\'');
        if starts_paths || line.starts_with('{') {
            let (paths_text, has_brace) = match line.find('{') {
                Some(at) => (&line[..at], true),
                None => (line, false),
            };
            let entry = pending.get_or_insert_with(|| (number, Vec::new()));
            entry.1.extend(split_paths(paths_text));
            if has_brace {
                let (line_no, patterns) = pending.take().unwrap_or((number, Vec::new()));
                if patterns.is_empty() {
                    parsed.problems.push(format!("{file}:{number}: a stanza without paths"));
                }
                open = Some(Stanza {
                    file: file.to_owned(),
                    line: line_no,
                    patterns,
                    directives: BTreeMap::new(),
                });
                let rest = line[line.find('{').map_or(line.len(), |at| at + 1)..].trim();
                if rest == "}" {
                    parsed.items.extend(open.take().map(Item::Stanza));
                }
            }
            continue;
        }
        if line == "}" {
            parsed.problems.push(format!("{file}:{number}: unexpected }}"));
            continue;
        }
        let (name, args) = split_directive(line);
        parsed.items.push(Item::Global(name.to_owned(), args.to_owned()));
    }
    if let Some(stanza) = open {
        parsed.problems.push(format!("{file}:{}: stanza is never closed", stanza.line));
    }
    parsed
}

fn split_directive(line: &str) -> (&str, &str) {
    match line.split_once(char::is_whitespace) {
        Some((name, args)) => (name, args.trim()),
        None => (line, ""),
    }
}

/// Paths separated by whitespace; a quoted path may hold spaces.
fn split_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut chars = text.trim().chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut path = String::new();
        if c == '"' || c == '\'' {
            chars.next();
            for ch in chars.by_ref() {
                if ch == c {
                    break;
                }
                path.push(ch);
            }
        } else {
            while let Some(&ch) = chars.peek() {
                if ch.is_whitespace() {
                    break;
                }
                path.push(ch);
                chars.next();
            }
        }
        if !path.is_empty() {
            paths.push(path);
        }
    }
    paths
}

/// Matches like glob(3) as logrotate calls it: `*` and `?` never cross `/`
/// and never match a leading `.` of a name.
pub fn glob_matches(pattern: &str, path: &str) -> bool {
    let options = MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    match Pattern::new(pattern) {
        Ok(compiled) => compiled.matches_with(path, options),
        // A pattern glob cannot compile is taken literally.
        Err(_) => pattern == path,
    }
}

/// Where a stanza sits: file and line, and the pattern that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StanzaRef {
    pub file: String,
    pub line: u32,
    pub pattern: String,
}

/// How one log file is covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogCoverage {
    /// The log file, inside the target.
    pub log: String,
    /// Stanza patterns logrotate reads that match it, in reading order.
    /// Exactly one is right; with two or more (even two patterns of one
    /// stanza) logrotate reports "duplicate log entry" and skips the rest of
    /// the later file.
    pub covered_by: Vec<StanzaRef>,
    /// Stanzas in ignored drop-ins that would match it.
    pub ignored_by: Vec<StanzaRef>,
    /// The parent directory is writable by others or by a group other than
    /// root and the covering stanza has no `su`: logrotate skips the log.
    pub insecure_parent: Option<InsecureParent>,
}

/// A log's parent directory that logrotate refuses without `su`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsecureParent {
    pub dir: String,
    pub mode: u32,
    /// Owner and group names (from the target's passwd and group files, or
    /// the numeric id) for the `su` line.
    pub owner: String,
    pub group: String,
}

/// The answer for a list of log files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CoverageReport {
    pub logs: Vec<LogCoverage>,
}

impl CoverageReport {
    /// Logs no stanza that logrotate reads covers.
    pub fn uncovered(&self) -> Vec<&LogCoverage> {
        self.logs.iter().filter(|l| l.covered_by.is_empty()).collect()
    }

    /// Logs covered by more than one stanza.
    pub fn duplicated(&self) -> Vec<&LogCoverage> {
        self.logs.iter().filter(|l| l.covered_by.len() > 1).collect()
    }

    /// True when every log is covered by exactly one stanza and none is
    /// skipped for its directory.
    pub fn all_good(&self) -> bool {
        self.logs.iter().all(|l| l.covered_by.len() == 1 && l.insecure_parent.is_none())
    }
}

/// For each log file (inside paths), the stanzas that cover it.
pub fn coverage(root: &Path, config: &LogrotateConfig, logs: &[String]) -> CoverageReport {
    // Every matching pattern counts: two patterns of one stanza that match
    // the same file are a duplicate to logrotate too.
    let refs = |stanzas: &mut dyn Iterator<Item = &Stanza>, log: &str| -> Vec<StanzaRef> {
        stanzas
            .flat_map(|stanza| {
                stanza.patterns.iter().filter(|p| glob_matches(p, log)).map(|pattern| StanzaRef {
                    file: stanza.file.clone(),
                    line: stanza.line,
                    pattern: pattern.clone(),
                })
            })
            .collect()
    };
    let mut report = CoverageReport::default();
    for log in logs {
        let covered_by = refs(&mut config.stanzas.iter(), log);
        let ignored_by = refs(&mut config.ignored.iter().flat_map(|f| f.stanzas.iter()), log);
        let has_su = config
            .stanzas
            .iter()
            .find(|s| s.matching_pattern(log).is_some())
            .is_some_and(|s| s.su(config).is_some());
        let insecure_parent = if has_su { None } else { insecure_parent(root, log) };
        report.logs.push(LogCoverage { log: log.clone(), covered_by, ignored_by, insecure_parent });
    }
    report
}

fn insecure_parent(root: &Path, log: &str) -> Option<InsecureParent> {
    let dir = Path::new(log).parent()?;
    let metadata = std::fs::metadata(host_path(root, dir)).ok()?;
    let mode = metadata.mode() & 0o7777;
    let writable_by_others = mode & 0o002 != 0;
    let writable_by_other_group = mode & 0o020 != 0 && metadata.gid() != 0;
    if !writable_by_others && !writable_by_other_group {
        return None;
    }
    Some(InsecureParent {
        dir: dir.display().to_string(),
        mode,
        owner: name_of(root, "/etc/passwd", metadata.uid()),
        group: name_of(root, "/etc/group", metadata.gid()),
    })
}

/// The name of a user or group id in the target's own passwd/group file.
fn name_of(root: &Path, file: &str, id: u32) -> String {
    let text = std::fs::read_to_string(host_path(root, Path::new(file))).unwrap_or_default();
    text.lines()
        .find_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let found = fields.nth(1)?.parse::<u32>().ok()?;
            (found == id).then(|| name.to_owned())
        })
        .unwrap_or_else(|| id.to_string())
}

/// The planned drop-in: its content and mode, and the file it replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropinPlan {
    /// Inside the target: `/etc/logrotate.d/<site>`.
    pub path: String,
    /// On the host.
    pub host: PathBuf,
    /// The existing content, when the file exists (then the new stanza is
    /// appended to it).
    pub before: Option<String>,
    pub after: String,
    pub mode: u32,
    /// Logs the new stanza covers.
    pub logs: Vec<String>,
}

/// Plans `/etc/logrotate.d/<site>` for the logs nothing covers yet (logs
/// covered already, even twice, are left to the operator). `None` when every
/// log is covered. `create` is `MODE OWNER GROUP` for new log files.
pub fn plan_site_dropin(
    root: &Path,
    site: &str,
    report: &CoverageReport,
    create: &str,
) -> Option<DropinPlan> {
    plan_instance_dropin(root, site, report, create, Path::new("/etc/apache2"))
}

/// The `postrotate` lines that make the Apache of `apache_root` reopen its
/// logs: Debian's service for `/etc/apache2`, `apache2ctl graceful` with
/// `APACHE_CONFDIR` for another instance (`/etc/apache2-NAME`).
pub fn reload_lines(apache_root: &Path) -> String {
    let confdir = apache_root.display().to_string();
    match confdir.trim_end_matches('/').strip_prefix("/etc/apache2-") {
        Some(instance) => format!(
            "        if [ -e /var/run/apache2-{instance}/apache2.pid ]; then\n            \
             APACHE_CONFDIR={confdir} apache2ctl graceful > /dev/null 2>&1 || true\n        fi"
        ),
        None => "        if pgrep -x apache2 > /dev/null 2>&1; then\n            \
                 invoke-rc.d apache2 reload > /dev/null 2>&1 || true\n        fi"
            .to_owned(),
    }
}

/// [`plan_site_dropin`] for the Apache instance whose configuration root is
/// `apache_root`: the file is named for the instance too, and its
/// `postrotate` reloads that instance.
pub fn plan_instance_dropin(
    root: &Path,
    site: &str,
    report: &CoverageReport,
    create: &str,
    apache_root: &Path,
) -> Option<DropinPlan> {
    let site = match apache_root
        .to_str()
        .and_then(|r| r.trim_end_matches('/').strip_prefix("/etc/apache2-"))
    {
        Some(instance) => format!("{instance}-{site}"),
        None => site.to_owned(),
    };
    let uncovered: Vec<&LogCoverage> = report.uncovered();
    if uncovered.is_empty() {
        return None;
    }
    let site: String = site
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .collect();
    let path = format!("/etc/logrotate.d/{site}");
    let host = host_path(root, Path::new(&path));
    let logs: Vec<String> = uncovered.iter().map(|l| l.log.clone()).collect();

    // logrotate skips logs in an unsafe directory unless `su` names who
    // rotates them: the directory's owner and group.
    let su_line = uncovered
        .iter()
        .find_map(|l| l.insecure_parent.as_ref())
        .map(|p| format!("    su {} {}\n", p.owner, p.group))
        .unwrap_or_default();
    let paths = logs.iter().map(|l| quote_path(l)).collect::<Vec<_>>().join(" ");
    let stanza = SITE_TEMPLATE
        .replace("{{site}}", &site)
        .replace("{{paths}}", &paths)
        .replace("{{su_line}}", &su_line)
        .replace("{{create}}", create)
        .replace("{{reload}}", &reload_lines(apache_root));

    let before = std::fs::read_to_string(&host).ok();
    let after = match &before {
        Some(existing) if !existing.trim().is_empty() => {
            format!("{}\n\n{stanza}", existing.trim_end())
        }
        _ => stanza,
    };
    Some(DropinPlan { path, host, before, after, mode: 0o644, logs })
}

impl DropinPlan {
    /// The plan's file edit for the fix pipeline (created, or changed when
    /// the file exists).
    pub fn file_edit(&self) -> FileEdit {
        match &self.before {
            Some(before) => FileEdit::change(
                self.path.clone(),
                before.clone().into_bytes(),
                self.after.clone().into_bytes(),
            ),
            None => FileEdit::create(self.path.clone(), self.after.clone().into_bytes(), self.mode),
        }
    }
}

/// The `create` arguments for a drop-in: the mode, owner and group of the
/// first of `logs` (inside paths) that exists, so that rotation keeps them;
/// `0640 root adm` (Debian's choice for Apache logs) when none exists.
pub fn create_args_for(root: &Path, logs: &[String]) -> String {
    logs.iter().find_map(|log| std::fs::metadata(host_path(root, Path::new(log))).ok()).map_or_else(
        || "0640 root adm".to_owned(),
        |m| {
            format!(
                "{:04o} {} {}",
                m.mode() & 0o7777,
                name_of(root, "/etc/passwd", m.uid()),
                name_of(root, "/etc/group", m.gid())
            )
        },
    )
}

fn quote_path(path: &str) -> String {
    if path.contains(char::is_whitespace) { format!("\"{path}\"") } else { path.to_owned() }
}

/// What `logrotate -d` said about a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    pub exit_code: Option<i32>,
    /// Every `error:` line, without the prefix.
    pub errors: Vec<String>,
}

impl Validation {
    pub fn is_ok(&self) -> bool {
        self.exit_code == Some(0) && self.errors.is_empty()
    }

    /// Errors this run reports that `earlier` did not: what an edit broke,
    /// apart from problems the system already had.
    pub fn new_since<'a>(&'a self, earlier: &Validation) -> Vec<&'a str> {
        self.errors.iter().filter(|e| !earlier.errors.contains(e)).map(String::as_str).collect()
    }
}

/// logrotate on this machine, if it is installed.
pub fn find_logrotate() -> Option<PathBuf> {
    ["/usr/sbin/logrotate", "/sbin/logrotate", "/usr/bin/logrotate"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// Runs `logrotate -d -s <state> <config>` (debug mode changes nothing, and
/// the state file given keeps the real one untouched) and collects its
/// `error:` lines. `config` is a path on this machine.
pub fn validate(logrotate: &Path, config: &Path, state_file: &Path) -> std::io::Result<Validation> {
    let output =
        Command::new(logrotate).arg("-d").arg("-s").arg(state_file).arg(config).output()?;
    let mut errors = parse_errors(&String::from_utf8_lossy(&output.stderr));
    errors.extend(parse_errors(&String::from_utf8_lossy(&output.stdout)));
    Ok(Validation { exit_code: output.status.code(), errors })
}

/// The `error:` lines of logrotate's output, made printable.
pub fn parse_errors(output: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|line| line.trim().strip_prefix("error:"))
        .map(|rest| crate::redact::printable(rest.trim()))
        .collect()
}

/// What runs logrotate on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// `logrotate.timer` is enabled (a link in `timers.target.wants`).
    SystemdTimer { link: String },
    /// `/etc/cron.daily/logrotate` is there and executable (Debian's script
    /// steps aside when systemd runs, leaving it to the timer).
    CronDaily { script: String },
}

/// How logrotate is scheduled on the target under `root`, if at all.
pub fn find_schedule(root: &Path) -> Option<Schedule> {
    use std::os::unix::fs::PermissionsExt;
    let link = "/etc/systemd/system/timers.target.wants/logrotate.timer";
    // The link's target is absolute inside the target: look at the link only.
    if std::fs::symlink_metadata(host_path(root, Path::new(link))).is_ok() {
        return Some(Schedule::SystemdTimer { link: link.to_owned() });
    }
    let script = "/etc/cron.daily/logrotate";
    let executable = std::fs::metadata(host_path(root, Path::new(script)))
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    executable.then(|| Schedule::CronDaily { script: script.to_owned() })
}

/// logrotate's state file on Debian, inside the target.
pub const STATE_FILE: &str = "/var/lib/logrotate/status";

/// When each log was last rotated, from logrotate's state file: the log
/// (inside path) to its date, `YYYY-MM-DD`. A missing file is an empty map
/// (logrotate never ran).
pub fn read_state(root: &Path, state_file: &str) -> std::io::Result<BTreeMap<String, String>> {
    let text = match std::fs::read(host_path(root, Path::new(state_file))) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(error) => return Err(error),
    };
    let mut rotated = BTreeMap::new();
    for line in text.lines().skip_while(|l| l.starts_with("logrotate state")) {
        // "/var/log/apache2/error.log" 2026-11-26-6:25:1
        let Some(rest) = line.strip_prefix('"') else { continue };
        let Some((path, stamp)) = rest.rsplit_once('"') else { continue };
        let mut parts = stamp.trim().splitn(4, '-');
        let (Some(year), Some(month), Some(day)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let (Ok(year), Ok(month), Ok(day)) =
            (year.parse::<u16>(), month.parse::<u8>(), day.parse::<u8>())
        else {
            continue;
        };
        rotated.insert(path.to_owned(), format!("{year:04}-{month:02}-{day:02}"));
    }
    Ok(rotated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_as_glob3_does() {
        assert!(glob_matches("/var/log/apache2/*.log", "/var/log/apache2/error.log"));
        assert!(!glob_matches("/var/log/apache2/*.log", "/var/log/apache2/old/error.log"));
        assert!(!glob_matches("/var/log/apache2/*.log", "/var/log/apache2/.hidden.log"));
        assert!(glob_matches("/var/log/app/[ae]*.log", "/var/log/app/access.log"));
        assert!(glob_matches("/var/log/app?/x.log", "/var/log/app1/x.log"));
    }

    #[test]
    fn stanzas_with_several_paths_scripts_and_a_brace_on_its_own_line() {
        let text = "# global\nweekly\nsu root adm\n\
            /var/log/a.log \"/var/log/with space.log\"\n{\n  daily\n  postrotate\n    \
            echo } {\n  endscript\n}\n/var/log/b/*.log {\n  rotate 3\n}\ninclude /etc/logrotate.d\n";
        let parsed = parse("/etc/logrotate.conf", text);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let shape: Vec<String> = parsed
            .items
            .iter()
            .map(|item| match item {
                Item::Global(name, value) => format!("{name}={value}"),
                Item::Stanza(s) => {
                    format!("{}:{}:{}", s.line, s.patterns.join("|"), s.directives.len())
                }
            })
            .collect();
        assert_eq!(
            shape,
            [
                "weekly=",
                "su=root adm",
                "4:/var/log/a.log|/var/log/with space.log:2",
                "11:/var/log/b/*.log:1",
                "include=/etc/logrotate.d"
            ]
        );
    }

    #[test]
    fn the_state_file_gives_each_logs_last_rotation() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("var/lib/logrotate")).expect("mkdir");
        std::fs::write(
            dir.path().join("var/lib/logrotate/status"),
            "logrotate state -- version 2\n\"/var/log/apache2/error.log\" 2026-11-26-6:25:1\n\
             \"/var/log/with space.log\" 2026-1-2-0:0:0\ngarbage\n",
        )
        .expect("write");
        let state = read_state(dir.path(), STATE_FILE).expect("read");
        assert_eq!(state.get("/var/log/apache2/error.log").map(String::as_str), Some("2026-11-26"));
        assert_eq!(state.get("/var/log/with space.log").map(String::as_str), Some("2026-01-02"));
        assert_eq!(state.len(), 2);
        assert!(read_state(dir.path(), "/nope").expect("missing is empty").is_empty());
    }

    #[test]
    fn the_timer_link_or_the_cron_script_schedules_logrotate() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(find_schedule(dir.path()), None);
        let cron = dir.path().join("etc/cron.daily/logrotate");
        std::fs::create_dir_all(cron.parent().expect("parent")).expect("mkdir");
        std::fs::write(&cron, "#!/bin/sh\n").expect("write");
        std::fs::set_permissions(&cron, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        assert!(matches!(find_schedule(dir.path()), Some(Schedule::CronDaily { .. })));
        let wants = dir.path().join("etc/systemd/system/timers.target.wants");
        std::fs::create_dir_all(&wants).expect("mkdir");
        std::os::unix::fs::symlink(
            "/lib/systemd/system/logrotate.timer",
            wants.join("logrotate.timer"),
        )
        .expect("link");
        assert!(matches!(find_schedule(dir.path()), Some(Schedule::SystemdTimer { .. })));
    }

    #[test]
    fn the_template_renders_every_placeholder() {
        let rendered = SITE_TEMPLATE
            .replace("{{site}}", "s")
            .replace("{{paths}}", "/x.log")
            .replace("{{su_line}}", "")
            .replace("{{create}}", "0640 root adm")
            .replace("{{reload}}", &reload_lines(Path::new("/etc/apache2-x")));
        assert!(!rendered.contains("{{"), "{rendered}");
        let parsed = parse("/etc/logrotate.d/s", &rendered);
        assert_eq!(parsed.items.len(), 1);
        assert!(parsed.problems.is_empty());
    }
}
