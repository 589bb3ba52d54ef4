//! Runs pip-audit against the project's pinned requirements and reads what it
//! says. pip-audit exits 1 both when it found vulnerabilities and when it
//! could not run, and exits 0 when it skipped every dependency, so the verdict
//! comes from its JSON, never from its exit status. A skipped dependency is
//! never a pass.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::redact;

/// What one pip-audit run established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AuditOutcome {
    /// Every dependency was audited and none has a known vulnerability.
    Clean { audited: usize },
    /// At least one audited dependency has a known vulnerability. Dependencies
    /// that were skipped are listed too: they were not audited.
    Vulnerable { packages: Vec<VulnerablePackage>, skipped: Vec<SkippedDependency> },
    /// pip-audit ran but skipped dependencies (and found nothing in the rest):
    /// the requirements were not (fully) audited.
    NotAudited { skipped: Vec<SkippedDependency> },
    /// pip-audit could not run: its own message, in one line.
    Failed { message: String, unreachable: bool },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VulnerablePackage {
    pub name: String,
    pub version: String,
    pub vulns: Vec<Advisory>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    pub id: String,
    pub aliases: Vec<String>,
    /// Versions that fix it; empty when no fixed release exists yet.
    pub fix_versions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedDependency {
    pub name: String,
    pub reason: String,
}

/// Who runs portcullis, to decide whether pip-audit must change user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoker {
    pub is_root: bool,
    pub name: String,
}

impl Invoker {
    /// The user this process runs as.
    pub fn current() -> Self {
        let uid = nix::unistd::Uid::effective();
        let name = nix::unistd::User::from_uid(uid)
            .ok()
            .flatten()
            .map_or_else(|| uid.to_string(), |user| user.name);
        Invoker { is_root: uid.is_root(), name }
    }
}

/// One pip-audit run, as data: everything the command line is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRequest {
    /// The pip-audit executable (`/srv/app/venv/bin/pip-audit` on the host).
    pub pip_audit: PathBuf,
    /// The requirements file to audit, on the host.
    pub requirements: PathBuf,
    /// `--strict`: a dependency that cannot be collected fails the run.
    pub strict: bool,
    /// `-s osv --osv-url URL` instead of the default service (`PyPI`'s API).
    pub osv_url: Option<String>,
    /// `--no-deps --disable-pip`: audit the pins as written, installing nothing.
    /// Needs every requirement pinned with `==`; `-r` includes are then NOT
    /// followed by pip-audit (checked with 2.10.1), so pass a file made by
    /// [`flatten_requirements`].
    pub no_install: bool,
    /// The site's user, which pip-audit runs as when portcullis is root.
    pub site_user: Option<String>,
    /// `--cache-dir`, for a user whose home is not writable.
    pub cache_dir: Option<PathBuf>,
}

impl AuditRequest {
    pub fn new(pip_audit: impl Into<PathBuf>, requirements: impl Into<PathBuf>) -> Self {
        AuditRequest {
            pip_audit: pip_audit.into(),
            requirements: requirements.into(),
            strict: false,
            osv_url: None,
            no_install: false,
            site_user: None,
            cache_dir: None,
        }
    }

    /// The full command line, program first. Run as the site's user through
    /// `runuser -u USER --` when the invoker is root and that user differs:
    /// pip-audit installs the requirements, which runs their build code.
    pub fn argv(&self, invoker: &Invoker) -> Vec<String> {
        let mut argv = Vec::new();
        if let Some(user) = &self.site_user
            && invoker.is_root
            && *user != invoker.name
        {
            argv.extend(["runuser".to_owned(), "-u".to_owned(), user.clone(), "--".to_owned()]);
        }
        argv.push(self.pip_audit.display().to_string());
        argv.extend(["-r".to_owned(), self.requirements.display().to_string()]);
        argv.extend(["--format", "json", "--progress-spinner", "off"].map(str::to_owned));
        if self.strict {
            argv.push("--strict".to_owned());
        }
        if let Some(url) = &self.osv_url {
            argv.extend(["-s".to_owned(), "osv".to_owned(), "--osv-url".to_owned(), url.clone()]);
        }
        if self.no_install {
            argv.extend(["--no-deps".to_owned(), "--disable-pip".to_owned()]);
        }
        if let Some(dir) = &self.cache_dir {
            argv.extend(["--cache-dir".to_owned(), dir.display().to_string()]);
        }
        argv
    }
}

/// What the caller hears while pip-audit runs, to show that it is alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress<'a> {
    /// A line pip-audit wrote on stderr, made printable.
    Line(&'a str),
    /// Nothing new; sent about once a second with the time since the start.
    Waiting { elapsed: Duration },
}

/// Runs the request, telling `progress` each stderr line as it arrives and,
/// between lines, how long it has been running; gives up after `timeout`,
/// killing pip-audit and everything it started.
pub fn run(
    request: &AuditRequest,
    invoker: &Invoker,
    timeout: Duration,
    mut progress: impl FnMut(Progress<'_>),
) -> AuditOutcome {
    let argv = request.argv(invoker);
    let Some((program, rest)) = argv.split_first() else {
        return failed("empty pip-audit command line");
    };
    let mut command = Command::new(program);
    command.args(rest).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    // Its own process group, so that a timeout kills pip-audit (and the pip
    // it runs) even when runuser stands in between.
    command.process_group(0);
    if let Some(dir) = request.requirements.parent().filter(|d| !d.as_os_str().is_empty()) {
        command.current_dir(dir);
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => return failed(&format!("could not start {program}: {error}")),
    };

    // Both pipes are drained on their own threads so that neither can fill
    // up and stall pip-audit while we wait.
    let (lines_tx, lines_rx) = mpsc::channel::<String>();
    let stderr_reader = child.stderr.take().map(|stderr| {
        std::thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(stderr).split(b'\n').map_while(Result::ok) {
                let line = String::from_utf8_lossy(&line).into_owned();
                all.push_str(&line);
                all.push('\n');
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
            all
        })
    });
    let stdout_reader = child.stdout.take().map(|mut stdout| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stdout.read_to_end(&mut bytes);
            bytes
        })
    });

    let started = Instant::now();
    let mut last_word = started;
    let status = loop {
        match lines_rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                progress(Progress::Line(&redact::printable(&line)));
                last_word = Instant::now();
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // stderr is closed; the process is about to end.
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        if last_word.elapsed() >= Duration::from_secs(1) {
            progress(Progress::Waiting { elapsed: started.elapsed() });
            last_word = Instant::now();
        }
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() >= timeout => {
                kill_group(&mut child);
                break None;
            }
            Ok(None) => {}
            Err(error) => return failed(&format!("waiting for pip-audit: {error}")),
        }
    };
    for line in lines_rx.try_iter() {
        progress(Progress::Line(&redact::printable(&line)));
    }
    let stderr = stderr_reader.and_then(|h| h.join().ok()).unwrap_or_default();
    let stdout = stdout_reader.and_then(|h| h.join().ok()).unwrap_or_default();

    match status {
        None => failed(&format!("pip-audit did not finish within {} s", timeout.as_secs())),
        Some(status) => parse_outcome(status.code(), &String::from_utf8_lossy(&stdout), &stderr),
    }
}

fn kill_group(child: &mut std::process::Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn failed(message: &str) -> AuditOutcome {
    AuditOutcome::Failed { message: redact::printable(message), unreachable: false }
}

#[derive(Deserialize)]
struct Report {
    dependencies: Vec<ReportDependency>,
}

#[derive(Deserialize)]
struct ReportDependency {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    vulns: Vec<ReportVuln>,
    #[serde(default)]
    skip_reason: Option<String>,
}

#[derive(Deserialize)]
struct ReportVuln {
    id: String,
    #[serde(default)]
    fix_versions: Vec<String>,
    #[serde(default)]
    aliases: Vec<String>,
}

/// Reads pip-audit's exit code, JSON (stdout) and stderr into an outcome.
/// The JSON decides; without parseable JSON the run failed, whatever the
/// exit code says.
pub fn parse_outcome(exit_code: Option<i32>, stdout: &str, stderr: &str) -> AuditOutcome {
    let Ok(report) = serde_json::from_str::<Report>(stdout.trim()) else {
        return failure_from_stderr(exit_code, stderr);
    };

    let mut packages = Vec::new();
    let mut skipped = Vec::new();
    let mut audited = 0;
    for dep in report.dependencies {
        if let Some(reason) = dep.skip_reason {
            skipped.push(SkippedDependency {
                name: redact::printable(&dep.name),
                reason: redact::printable(&reason),
            });
            continue;
        }
        audited += 1;
        if dep.vulns.is_empty() {
            continue;
        }
        packages.push(VulnerablePackage {
            name: redact::printable(&dep.name),
            version: redact::printable(dep.version.as_deref().unwrap_or("?")),
            vulns: dep
                .vulns
                .into_iter()
                .map(|v| Advisory {
                    id: redact::printable(&v.id),
                    aliases: v.aliases.iter().map(|a| redact::printable(a)).collect(),
                    fix_versions: v.fix_versions.iter().map(|f| redact::printable(f)).collect(),
                })
                .collect(),
        });
    }

    if !packages.is_empty() {
        AuditOutcome::Vulnerable { packages, skipped }
    } else if !skipped.is_empty() {
        AuditOutcome::NotAudited { skipped }
    } else if exit_code == Some(0) {
        AuditOutcome::Clean { audited }
    } else {
        // JSON with nothing wrong in it, yet a failing exit: believe the exit.
        failure_from_stderr(exit_code, stderr)
    }
}

/// The one line that explains why pip-audit could not run: a network failure
/// said plainly, else pip-audit's own `ERROR:` line, else the last line of a
/// traceback.
fn failure_from_stderr(exit_code: Option<i32>, stderr: &str) -> AuditOutcome {
    if let Some(message) = unreachable_message(stderr) {
        return AuditOutcome::Failed { message, unreachable: true };
    }
    let lines: Vec<&str> = stderr.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let error_line = lines.iter().rev().find_map(|l| l.strip_prefix("ERROR:")).map(|rest| {
        // "ERROR:pip_audit._cli:message" -> "message"
        rest.split_once(':').map_or(rest, |(_, message)| message).trim()
    });
    let message = error_line
        .or_else(|| lines.iter().rev().find(|l| !l.starts_with("WARNING:")).copied())
        .map_or_else(
            || format!("pip-audit exited with status {} and printed nothing", code_text(exit_code)),
            str::to_owned,
        );
    AuditOutcome::Failed { message: redact::printable(&message), unreachable: false }
}

fn code_text(code: Option<i32>) -> String {
    code.map_or_else(|| "(killed by a signal)".to_owned(), |c| c.to_string())
}

/// "could not reach the advisory service at HOST (connection refused)", when
/// stderr shows a connection failure.
fn unreachable_message(stderr: &str) -> Option<String> {
    let line = stderr.lines().rev().find(|l| {
        l.contains("ConnectionError")
            || l.contains("Max retries exceeded")
            || l.contains("NameResolutionError")
            || l.contains("Failed to establish a new connection")
    })?;
    let host = between(line, "host='", "'").unwrap_or("the advisory service");
    let port = between(line, "port=", ")").and_then(|p| p.split([',', ')']).next());
    let why = if line.contains("NameResolutionError") || line.contains("Name or service not known")
    {
        "name does not resolve"
    } else if line.contains("Connection refused") {
        "connection refused"
    } else if line.contains("timed out") || line.contains("Timeout") {
        "timed out"
    } else if line.contains("Network is unreachable") {
        "network unreachable"
    } else {
        "connection failed"
    };
    let place = match port {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    Some(redact::printable(&format!(
        "network unreachable: pip-audit could not reach {place} ({why})"
    )))
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// A requirements file with its `-r`/`-c` includes followed, as pip does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlatRequirements {
    /// Requirement lines (options and comments dropped), in order, each once.
    pub requirements: Vec<String>,
    /// Every file read, on the host, in the order first read.
    pub files: Vec<PathBuf>,
    /// Files that a constraints file pulled in with `-r`: pip treats them as
    /// requirements, which surprises people (case E1).
    pub pulled_in_by_constraints: Vec<PathBuf>,
    /// Requirements not pinned with `==` (pip-audit cannot audit them without
    /// installing).
    pub unpinned: Vec<String>,
    /// Problems met: a missing include, a cycle.
    pub problems: Vec<String>,
}

impl FlatRequirements {
    /// The flattened file's text, one requirement a line.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for line in &self.requirements {
            text.push_str(line);
            text.push('\n');
        }
        text
    }
}

/// Reads `path` and every file it includes with `-r`/`--requirement` and
/// `-c`/`--constraint`, each relative to the directory of the file that names
/// it (pip's rule). Lines of a constraints file only constrain, except its own
/// `-r` includes, which pip reads as requirements.
pub fn flatten_requirements(path: &Path) -> FlatRequirements {
    let mut flat = FlatRequirements::default();
    let mut seen_lines = BTreeSet::new();
    let mut stack = Vec::new();
    read_requirements(path, Role::Requirements, &mut flat, &mut seen_lines, &mut stack);
    flat
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Requirements,
    Constraints,
    /// Included with `-r` from inside a constraints file.
    RequirementsViaConstraints,
}

fn read_requirements(
    path: &Path,
    role: Role,
    flat: &mut FlatRequirements,
    seen_lines: &mut BTreeSet<String>,
    stack: &mut Vec<PathBuf>,
) {
    let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if stack.contains(&key) {
        flat.problems.push(format!("{} includes itself (a cycle)", path.display()));
        return;
    }
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            flat.problems.push(format!("cannot read {}: {error}", path.display()));
            return;
        }
    };
    if !flat.files.contains(&path.to_path_buf()) {
        flat.files.push(path.to_path_buf());
    }
    if role == Role::RequirementsViaConstraints && !flat.pulled_in_by_constraints.contains(&key) {
        flat.pulled_in_by_constraints.push(path.to_path_buf());
    }
    stack.push(key);
    let dir = path.parent().unwrap_or(Path::new("."));
    let text = String::from_utf8_lossy(&bytes);
    for logical in join_continuations(&text) {
        let line = strip_comment(&logical);
        if line.is_empty() {
            continue;
        }
        if let Some(include) = option_value(line, &["-r", "--requirement"]) {
            let next = if role == Role::Requirements {
                Role::Requirements
            } else {
                Role::RequirementsViaConstraints
            };
            read_requirements(&dir.join(include), next, flat, seen_lines, stack);
        } else if let Some(include) = option_value(line, &["-c", "--constraint"]) {
            read_requirements(&dir.join(include), Role::Constraints, flat, seen_lines, stack);
        } else if line.starts_with('-') || role == Role::Constraints {
            // Index options, hashes-only lines and constraints do not add
            // requirements.
        } else {
            let requirement = line.split(" --hash").next().unwrap_or(line).trim().to_owned();
            if !requirement.contains("==") && !flat.unpinned.contains(&requirement) {
                flat.unpinned.push(requirement.clone());
            }
            if seen_lines.insert(requirement.clone()) {
                flat.requirements.push(requirement);
            }
        }
    }
    stack.pop();
}

fn join_continuations(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if let Some(head) = line.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
        } else {
            current.push_str(line);
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// pip's comment rule: `#` at the start or after whitespace starts a comment.
fn strip_comment(line: &str) -> &str {
    let trimmed = line.trim();
    if trimmed.starts_with('#') {
        return "";
    }
    match trimmed.find(" #").or_else(|| trimmed.find("\t#")) {
        Some(at) => trimmed[..at].trim(),
        None => trimmed,
    }
}

fn option_value<'a>(line: &'a str, names: &[&str]) -> Option<&'a str> {
    for name in names {
        if let Some(rest) = line.strip_prefix(name) {
            let rest = rest.strip_prefix('=').unwrap_or(rest);
            if rest.starts_with([' ', '\t']) || (name.starts_with("--") && !rest.is_empty()) {
                return Some(rest.trim()).filter(|v| !v.is_empty());
            }
            // `-rbase.txt` is accepted by pip too.
            if !name.starts_with("--") && !rest.is_empty() {
                return Some(rest.trim());
            }
        }
    }
    None
}

/// A private working directory for one audit: the flattened requirements
/// and pip-audit's cache, owned by the user pip-audit runs as (whose home is
/// often not writable: pip-audit then dies creating `~/.cache`). Removed
/// when dropped.
#[derive(Debug)]
pub struct AuditWorkdir {
    dir: PathBuf,
    pub requirements: PathBuf,
    pub cache: PathBuf,
}

impl AuditWorkdir {
    /// Creates `portcullis-pip-audit-<random>` under `parent` (mode 0700),
    /// writes the flattened requirements into it, and hands it to `owner`
    /// (a user of this machine) when given.
    pub fn create(
        parent: &Path,
        flat: &FlatRequirements,
        owner: Option<&str>,
    ) -> std::io::Result<AuditWorkdir> {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).map_err(|e| std::io::Error::other(e.to_string()))?;
        let name = suffix.iter().fold(String::new(), |mut name, b| {
            let _ = write!(name, "{b:02x}");
            name
        });
        let dir = parent.join(format!("portcullis-pip-audit-{name}"));
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        let workdir = AuditWorkdir {
            requirements: dir.join("requirements.txt"),
            cache: dir.join("cache"),
            dir,
        };
        std::fs::write(&workdir.requirements, flat.text())?;
        std::fs::set_permissions(&workdir.requirements, std::fs::Permissions::from_mode(0o600))?;
        std::fs::DirBuilder::new().mode(0o700).create(&workdir.cache)?;

        if let Some(owner) = owner {
            let user = nix::unistd::User::from_name(owner)
                .map_err(|e| std::io::Error::other(format!("looking up user {owner}: {e}")))?
                .ok_or_else(|| std::io::Error::other(format!("no user {owner} on this machine")))?;
            for path in [&workdir.dir, &workdir.requirements, &workdir.cache] {
                std::os::unix::fs::chown(path, Some(user.uid.as_raw()), Some(user.gid.as_raw()))?;
            }
        }
        Ok(workdir)
    }

    /// Points the request at the flattened file and the private cache.
    pub fn apply_to(&self, request: &mut AuditRequest) {
        request.requirements.clone_from(&self.requirements);
        request.cache_dir = Some(self.cache.clone());
    }
}

impl Drop for AuditWorkdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One line per vulnerable package, for the operator: "django 4.2.0:
/// CVE-2023-31047 (GHSA-…), fixed in 4.2.1".
pub fn describe(outcome: &AuditOutcome) -> Vec<String> {
    match outcome {
        AuditOutcome::Clean { audited } => {
            vec![format!("no known vulnerabilities in {audited} audited packages")]
        }
        AuditOutcome::Vulnerable { packages, skipped } => {
            let mut lines: Vec<String> = packages.iter().map(describe_package).collect();
            lines.extend(skipped.iter().map(describe_skip));
            lines
        }
        AuditOutcome::NotAudited { skipped } => skipped.iter().map(describe_skip).collect(),
        AuditOutcome::Failed { message, .. } => vec![format!("pip-audit could not run: {message}")],
    }
}

fn describe_package(package: &VulnerablePackage) -> String {
    let advisories: Vec<String> = package
        .vulns
        .iter()
        .map(|v| {
            let aliases = if v.aliases.is_empty() {
                String::new()
            } else {
                format!(" ({})", v.aliases.join(", "))
            };
            let fix = if v.fix_versions.is_empty() {
                "no fixed version yet".to_owned()
            } else {
                format!("fixed in {}", v.fix_versions.join(", "))
            };
            format!("{}{aliases}, {fix}", v.id)
        })
        .collect();
    format!("{} {}: {}", package.name, package.version, advisories.join("; "))
}

fn describe_skip(skip: &SkippedDependency) -> String {
    format!("{}: not audited ({})", skip.name, skip.reason)
}

/// One pin raised to a version that fixes its advisories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upgrade {
    pub name: String,
    pub from: String,
    pub to: String,
    /// 1-based line in the requirements text.
    pub line: u32,
}

/// The requirements text with each vulnerable `name==version` pin raised to
/// the lowest version that fixes all of its advisories (what `pip-audit
/// --fix` would install), as data for a plan with a diff. Lines, comments,
/// extras, markers and hashes stay as they are, except that `--hash` options
/// of an upgraded pin are dropped (they belong to the old version). Packages
/// with an advisory that has no fixed version are left alone.
pub fn upgrade_pins(text: &str, packages: &[VulnerablePackage]) -> (String, Vec<Upgrade>) {
    let mut upgrades = Vec::new();
    let mut out = String::with_capacity(text.len());
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let (body, end) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
        let target = pinned(body).and_then(|(name, version)| {
            let package = packages.iter().find(|p| {
                normalise_name(&p.name) == normalise_name(name) && p.version == version
            })?;
            Some((name, version, fixed_version(package)?))
        });
        match target {
            Some((name, version, to)) => {
                let at = body.find("==").unwrap_or(body.len());
                let rest = &body[at + 2..];
                let after_version = &rest[rest.find(version).map_or(0, |i| i + version.len())..];
                let after_version = after_version.split(" --hash").next().unwrap_or(after_version);
                out.push_str(&body[..at]);
                out.push_str("==");
                out.push_str(&to);
                out.push_str(after_version.trim_end_matches([' ', '\\']));
                upgrades.push(Upgrade {
                    name: name.to_owned(),
                    from: version.to_owned(),
                    to,
                    line: u32::try_from(index + 1).unwrap_or(u32::MAX),
                });
            }
            None => out.push_str(body),
        }
        out.push_str(end);
    }
    (out, upgrades)
}

/// `Django[argon2]==4.2.0 ; python_version > "3"  # web` -> ("Django", "4.2.0").
fn pinned(line: &str) -> Option<(&str, &str)> {
    let line = strip_comment(line);
    if line.starts_with('-') {
        return None;
    }
    let (head, rest) = line.split_once("==")?;
    let name = head.split('[').next()?.trim();
    let version = rest.trim_start().split([' ', ';', ',', '\t']).next()?.trim();
    (!name.is_empty() && !version.is_empty()).then_some((name, version))
}

/// PEP 503: case and runs of `-_.` do not distinguish names.
fn normalise_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for ch in name.chars() {
        if matches!(ch, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(ch.to_ascii_lowercase());
        }
    }
    out
}

/// The lowest version above the installed one that every advisory lists as
/// a fix: for each advisory its lowest fix above the current version, then
/// the highest of those.
fn fixed_version(package: &VulnerablePackage) -> Option<String> {
    let mut needed: Option<&str> = None;
    for vuln in &package.vulns {
        let lowest = vuln
            .fix_versions
            .iter()
            .map(String::as_str)
            .filter(|v| compare_versions(v, &package.version).is_gt())
            .min_by(|a, b| compare_versions(a, b))?;
        if needed.is_none_or(|n| compare_versions(lowest, n).is_gt()) {
            needed = Some(lowest);
        }
    }
    needed.map(str::to_owned)
}

/// Compares dotted release numbers (`4.2.10` > `4.2.9`, `4.2` == `4.2.0`);
/// a part that is not a number compares as text.
fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |v: &str| -> Vec<String> { v.split('.').map(str::to_owned).collect() };
    let (a, b) = (parts(a), parts(b));
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).map_or("0", String::as_str);
        let y = b.get(i).map_or("0", String::as_str);
        let order = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => x.cmp(y),
        };
        if order.is_ne() {
            return order;
        }
    }
    std::cmp::Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_invoker() -> Invoker {
        Invoker { is_root: true, name: "root".to_owned() }
    }

    #[test]
    fn command_line_runs_as_the_site_user_when_root() {
        let mut request = AuditRequest::new("/srv/app/venv/bin/pip-audit", "/srv/app/req.txt");
        request.site_user = Some("www-data".to_owned());
        request.strict = true;
        request.osv_url = Some("http://127.0.0.1:9/v1/query".to_owned());
        let argv = request.argv(&root_invoker());
        assert_eq!(
            argv.join(" "),
            "runuser -u www-data -- /srv/app/venv/bin/pip-audit -r /srv/app/req.txt \
             --format json --progress-spinner off --strict -s osv --osv-url \
             http://127.0.0.1:9/v1/query"
        );
    }

    #[test]
    fn command_line_stays_as_is_for_the_same_user_or_a_non_root_invoker() {
        let mut request = AuditRequest::new("pip-audit", "req.txt");
        request.site_user = Some("deploy".to_owned());
        let deploy = Invoker { is_root: false, name: "deploy".to_owned() };
        assert_eq!(request.argv(&deploy)[0], "pip-audit");
        let other = Invoker { is_root: false, name: "alice".to_owned() };
        assert_eq!(request.argv(&other)[0], "pip-audit");
        request.site_user = Some("root".to_owned());
        assert_eq!(request.argv(&root_invoker())[0], "pip-audit");
    }

    #[test]
    fn connection_refused_is_one_line_about_the_network() {
        let stderr = "Traceback...\nrequests.exceptions.ConnectionError: \
            HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded with url: \
            /v1/query (Caused by NewConnectionError(\"...: [Errno 111] Connection refused\"))\n";
        let outcome = parse_outcome(Some(1), "", stderr);
        assert_eq!(
            outcome,
            AuditOutcome::Failed {
                message: "network unreachable: pip-audit could not reach 127.0.0.1:1 \
                          (connection refused)"
                    .to_owned(),
                unreachable: true
            }
        );
    }

    #[test]
    fn dns_failure_is_one_line_about_the_network() {
        let stderr = "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev', \
            port=443): Max retries exceeded with url: /v1/query (Caused by NameResolutionError(\
            \"HTTPSConnection(host='api.osv.dev', port=443): Failed to resolve 'api.osv.dev' \
            ([Errno -2] Name or service not known)\"))";
        let AuditOutcome::Failed { message, unreachable } = parse_outcome(Some(1), "", stderr)
        else {
            panic!("expected a failure");
        };
        assert!(unreachable);
        assert_eq!(
            message,
            "network unreachable: pip-audit could not reach api.osv.dev:443 (name does not resolve)"
        );
    }

    #[test]
    fn exit_zero_without_json_is_a_failure() {
        let outcome = parse_outcome(Some(0), "not json", "");
        assert!(matches!(outcome, AuditOutcome::Failed { unreachable: false, .. }));
    }

    #[test]
    fn includes_follow_pips_rules() {
        let dir = tempfile::tempdir().expect("tempdir");
        let req = dir.path().join("requirements");
        std::fs::create_dir(&req).expect("mkdir");
        let write = |name: &str, text: &str| std::fs::write(req.join(name), text).expect("write");
        // Case E1: production.txt includes base.txt and constraints.txt; the
        // constraints file itself includes the dev requirements with -r.
        write("base.txt", "Django==4.2.11\n-r common.txt\n");
        write("common.txt", "requests==2.31.0  # http\n");
        write("production.txt", "-r base.txt\n-c constraints.txt\ngunicorn==21.2.0\n");
        write("constraints.txt", "urllib3<2\n-r ../requirements-dev.txt\n");
        std::fs::write(dir.path().join("requirements-dev.txt"), "pytest==8.0.0\n").expect("write");
        let flat = flatten_requirements(&req.join("production.txt"));
        assert_eq!(
            flat.requirements,
            ["Django==4.2.11", "requests==2.31.0", "pytest==8.0.0", "gunicorn==21.2.0"]
        );
        assert_eq!(
            flat.pulled_in_by_constraints,
            [dir.path().join("requirements/../requirements-dev.txt")]
        );
        assert!(flat.unpinned.is_empty());
        assert!(flat.problems.is_empty(), "{:?}", flat.problems);
    }

    #[test]
    fn vulnerable_pins_are_raised_to_the_lowest_fixing_version() {
        let package = |name: &str, version: &str, fixes: &[&[&str]]| VulnerablePackage {
            name: name.to_owned(),
            version: version.to_owned(),
            vulns: fixes
                .iter()
                .map(|f| Advisory {
                    id: "X".to_owned(),
                    aliases: vec![],
                    fix_versions: f.iter().map(|s| (*s).to_owned()).collect(),
                })
                .collect(),
        };
        let text = "# web\nDjango[argon2]==4.2.0 ; python_version > \"3\"  # pinned\n\
                    requests==2.31.0\nsome_lib==1.0\nunfixed==1.0\n";
        let packages = [
            package("django", "4.2.0", &[&["4.2.1", "3.2.19"], &["4.2.10", "5.0.2"]]),
            package("Some-Lib", "1.0", &[&["1.0.10", "1.0.9"]]),
            package("unfixed", "1.0", &[&[]]),
        ];
        let (after, upgrades) = upgrade_pins(text, &packages);
        assert_eq!(
            after,
            "# web\nDjango[argon2]==4.2.10 ; python_version > \"3\"  # pinned\n\
             requests==2.31.0\nsome_lib==1.0.9\nunfixed==1.0\n"
        );
        let lines: Vec<(u32, &str)> = upgrades.iter().map(|u| (u.line, u.to.as_str())).collect();
        assert_eq!(lines, [(2, "4.2.10"), (4, "1.0.9")]);
    }

    #[test]
    fn an_include_cycle_is_reported_not_followed_forever() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a.txt"), "-r b.txt\nx==1\n").expect("write");
        std::fs::write(dir.path().join("b.txt"), "-r a.txt\ny>=2\n").expect("write");
        let flat = flatten_requirements(&dir.path().join("a.txt"));
        assert_eq!(flat.requirements, ["y>=2", "x==1"]);
        assert_eq!(flat.unpinned, ["y>=2"]);
        assert_eq!(flat.problems.len(), 1);
    }
}
