//! The project's pip requirements files, read the way pip reads them: `-r`
//! and `-c` includes resolved against the including file's directory,
//! comments, line continuations, extras, markers and `==` pins. Names are
//! normalised (PEP 503) so that `Django_CSP` and `django-csp` are one package.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::target::Target;

/// One requirement line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The normalised name (`django-csp`).
    pub name: String,
    /// The version specifier as written (`==4.0`, `>=3.7,<4`), empty when none.
    pub specifier: String,
    /// The exact version when the specifier is a single `==` (or `===`) pin.
    pub pin: Option<String>,
    pub extras: Vec<String>,
    /// The environment marker after `;`, as written.
    pub marker: Option<String>,
    /// True for a line of a constraints file (`-c`): it limits versions but
    /// does not ask for the package.
    pub constraint: bool,
    /// The file, inside the target, and the 1-based line.
    pub file: String,
    pub line: u32,
    pub text: String,
}

/// Every requirement of the project, with the files read and what could not be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirements {
    pub entries: Vec<Requirement>,
    /// Files read, inside the target, in the order they were read.
    pub files: Vec<String>,
    /// Includes that could not be read, cycles, lines that could not be parsed.
    pub problems: Vec<String>,
}

impl Requirements {
    /// The entries naming `package` (any spelling), requirements before constraints.
    pub fn find(&self, package: &str) -> Vec<&Requirement> {
        let name = normalize(package);
        let mut found: Vec<&Requirement> = self.entries.iter().filter(|r| r.name == name).collect();
        found.sort_by_key(|r| r.constraint);
        found
    }

    /// The package is asked for (not only constrained).
    pub fn lists(&self, package: &str) -> Option<&Requirement> {
        self.find(package).into_iter().find(|r| !r.constraint)
    }

    /// The entry that pins `package` to one version, when it is also asked
    /// for: a `==` requirement, or a requirement whose constraint pins it.
    pub fn pinned(&self, package: &str) -> Option<&Requirement> {
        self.lists(package)?;
        self.find(package).into_iter().find(|r| r.pin.is_some())
    }
}

/// PEP 503: lowercase, with runs of `-`, `_` and `.` as one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for ch in name.trim().chars() {
        if matches!(ch, '-' | '_' | '.') {
            separator = true;
        } else {
            if separator && !out.is_empty() {
                out.push('-');
            }
            separator = false;
            out.extend(ch.to_lowercase());
        }
    }
    out
}

/// Reads the requirements files of the project at `project_dir` (inside the
/// target): `requirements.txt`, `requirements-*.txt`, `requirements_*.txt`
/// and `requirements/*.txt`, with everything they include.
pub fn load(target: &Target, project_dir: &Path) -> Requirements {
    let mut roots = Vec::new();
    if let Ok(entries) = fs::read_dir(target.host_path(project_dir)) {
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let top_level = name == "requirements.txt"
                || ((name.starts_with("requirements-") || name.starts_with("requirements_"))
                    && has_txt_extension(&name));
            if top_level && entry.path().is_file() {
                roots.push(project_dir.join(&name));
            }
        }
    }
    if let Ok(entries) = fs::read_dir(target.host_path(project_dir.join("requirements"))) {
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if has_txt_extension(&name) && entry.path().is_file() {
                roots.push(project_dir.join("requirements").join(&name));
            }
        }
    }
    roots.sort();

    let mut reader = Reader { target, seen: BTreeSet::new(), out: Requirements::default() };
    for file in roots {
        reader.read(&file, false, &mut Vec::new());
    }
    reader.out
}

fn has_txt_extension(name: &str) -> bool {
    Path::new(name).extension().is_some_and(|ext| ext.eq_ignore_ascii_case("txt"))
}

/// Reads one requirements file and its includes.
pub fn load_file(target: &Target, file: &Path) -> Requirements {
    let mut reader = Reader { target, seen: BTreeSet::new(), out: Requirements::default() };
    reader.read(file, false, &mut Vec::new());
    reader.out
}

struct Reader<'a> {
    target: &'a Target,
    /// (file, read as constraints): a file is read once in each role.
    seen: BTreeSet<(PathBuf, bool)>,
    out: Requirements,
}

impl Reader<'_> {
    /// Reads `file` (inside the target). `chain` holds the files being read,
    /// to tell a cycle from a file that two others include.
    fn read(&mut self, file: &Path, constraint: bool, chain: &mut Vec<PathBuf>) {
        let shown = file.display().to_string();
        if chain.iter().any(|open| open == file) {
            self.out
                .problems
                .push(format!("{shown}: includes itself through {}", chain_text(chain)));
            return;
        }
        if !self.seen.insert((file.to_path_buf(), constraint)) {
            return;
        }
        let text = match fs::read(self.target.host_path(file)) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(err) => {
                let from = chain.last().map(|f| format!(" (included from {})", f.display()));
                self.out.problems.push(format!("{shown}: {err}{}", from.unwrap_or_default()));
                return;
            }
        };
        if !self.out.files.contains(&shown) {
            self.out.files.push(shown.clone());
        }

        chain.push(file.to_path_buf());
        let dir = file.parent().unwrap_or(Path::new("/")).to_path_buf();
        for (line_no, line) in logical_lines(&text) {
            let content = strip_comment(&line).trim().to_owned();
            if content.is_empty() {
                continue;
            }
            if let Some((option, value)) = include_option(&content) {
                let included = lexical_join(&dir, value);
                // pip: a `-r` inside a constraints file asks for packages.
                self.read(&included, option == Include::Constraints, chain);
                continue;
            }
            if content.starts_with('-') {
                continue; // --hash, -i, -e and other options name no pinned package
            }
            match parse_requirement(&content) {
                Some(mut entry) => {
                    entry.constraint = constraint;
                    entry.file.clone_from(&shown);
                    entry.line = line_no;
                    line.trim().clone_into(&mut entry.text);
                    self.out.entries.push(entry);
                }
                None => self
                    .out
                    .problems
                    .push(format!("{shown}:{line_no}: not a requirement: {content}")),
            }
        }
        chain.pop();
    }
}

/// `dir` joined with `relative`, with `.` and `..` folded away, so that a
/// file is named the same whichever include reached it.
fn lexical_join(dir: &Path, relative: &str) -> PathBuf {
    let mut out = PathBuf::from("/");
    for part in dir.join(relative).components() {
        match part {
            std::path::Component::Normal(name) => out.push(name),
            std::path::Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

fn chain_text(chain: &[PathBuf]) -> String {
    chain.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(" -> ")
}

#[derive(Debug, PartialEq, Eq)]
enum Include {
    Requirements,
    Constraints,
}

fn include_option(content: &str) -> Option<(Include, &str)> {
    let forms = [
        ("--requirement", Include::Requirements),
        ("--constraint", Include::Constraints),
        ("-r", Include::Requirements),
        ("-c", Include::Constraints),
    ];
    for (flag, kind) in forms {
        if let Some(rest) = content.strip_prefix(flag) {
            let value = rest.trim_start_matches('=').trim();
            if !value.is_empty() && (rest.starts_with([' ', '\t', '=']) || flag.len() == 2) {
                return Some((kind, value));
            }
        }
    }
    None
}

/// Joins `\`-continued lines; each logical line keeps the number of its first line.
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(u32, String)> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let (start, mut joined) = pending.take().unwrap_or((number, String::new()));
        if let Some(body) = raw.strip_suffix('\\') {
            joined.push_str(body);
            pending = Some((start, joined));
        } else {
            joined.push_str(raw);
            out.push((start, joined));
        }
    }
    out.extend(pending);
    out
}

/// pip: `#` at the start of a line or after whitespace starts a comment.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, byte) in bytes.iter().enumerate() {
        if *byte == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

/// `name[extras] specifier ; marker`, or `name @ url`.
fn parse_requirement(content: &str) -> Option<Requirement> {
    let (body, marker) = match content.split_once(';') {
        Some((body, marker)) => (body.trim(), Some(marker.trim().to_owned())),
        None => (content, None),
    };
    // Options after the requirement (`--hash=...`) do not belong to it.
    let body = body.split(" --").next().unwrap_or(body).trim();
    let name_end = body.find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))?;
    let name_end = if name_end == 0 { return None } else { name_end };
    let name = &body[..name_end];
    let mut rest = body[name_end..].trim_start();

    let mut extras = Vec::new();
    if let Some(after) = rest.strip_prefix('[') {
        let close = after.find(']')?;
        extras = after[..close].split(',').map(normalize).filter(|e| !e.is_empty()).collect();
        rest = after[close + 1..].trim_start();
    }
    let specifier = if rest.starts_with('@') {
        String::new() // a direct URL: no version to pin
    } else {
        rest.trim_start_matches('(').trim_end_matches(')').replace(' ', "")
    };
    let pin = exact_pin(&specifier);
    Some(Requirement {
        name: normalize(name),
        specifier,
        pin,
        extras,
        marker,
        constraint: false,
        file: String::new(),
        line: 0,
        text: String::new(),
    })
}

/// The version of a single `==X` or `===X` specifier without a wildcard.
fn exact_pin(specifier: &str) -> Option<String> {
    if specifier.contains(',') {
        return None;
    }
    let version = specifier.strip_prefix("===").or_else(|| specifier.strip_prefix("=="))?;
    (!version.is_empty() && !version.contains('*')).then(|| version.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, file: &str, text: &str) {
        let path = root.join(file.trim_start_matches('/'));
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(normalize("Django_CSP"), "django-csp");
        assert_eq!(normalize("python.dotenv"), "python-dotenv");
        assert_eq!(normalize("zope--interface"), "zope-interface");
    }

    #[test]
    fn pins_extras_markers_and_comments() {
        let root = tempfile::tempdir().expect("tmp");
        write(
            root.path(),
            "/srv/app/requirements.txt",
            "# deps\nDjango==5.2.19  # LTS\r\ndjango-axes[ipware] == 8.3.1 ; python_version >= \"3.10\"\n\
             django-csp>=3.7\nrequests==2.*\npip-audit==2.10.1 \\\n    --hash=sha256:abc\nmylib @ https://example.com/x.whl\n",
        );
        let reqs = load(&Target::at_root(root.path()), Path::new("/srv/app"));
        assert!(reqs.problems.is_empty(), "{:?}", reqs.problems);
        assert_eq!(reqs.files, vec!["/srv/app/requirements.txt"]);
        let django = reqs.pinned("django").expect("django pinned");
        assert_eq!((django.pin.as_deref(), django.line), (Some("5.2.19"), 2));
        assert_eq!(django.text, "Django==5.2.19  # LTS");
        let axes = reqs.pinned("Django_Axes").expect("axes");
        assert_eq!(axes.extras, vec!["ipware"]);
        assert_eq!(axes.marker.as_deref(), Some("python_version >= \"3.10\""));
        assert!(reqs.lists("django-csp").is_some() && reqs.pinned("django-csp").is_none());
        assert!(reqs.pinned("requests").is_none());
        assert_eq!(reqs.pinned("pip-audit").map(|r| r.line), Some(6));
        assert!(reqs.lists("mylib").is_some_and(|r| r.pin.is_none()));
    }

    /// Case E1: `requirements/production.txt` with `-r base.txt` and
    /// `-c constraints.txt`, whose `-r ../requirements-dev.txt` asks for packages.
    #[test]
    fn includes_resolve_against_the_including_file() {
        let root = tempfile::tempdir().expect("tmp");
        write(root.path(), "/p/requirements/base.txt", "Django==4.2.11\n-r common.txt\n");
        write(root.path(), "/p/requirements/common.txt", "requests==2.31.0\n");
        write(
            root.path(),
            "/p/requirements/production.txt",
            "-r base.txt\n-c constraints.txt\ngunicorn==21.2.0\n",
        );
        write(
            root.path(),
            "/p/requirements/constraints.txt",
            "urllib3<2\n-r ../requirements-dev.txt\n",
        );
        write(root.path(), "/p/requirements-dev.txt", "pip-audit==2.10.1\n");
        let target = Target::at_root(root.path());
        let reqs = load_file(&target, Path::new("/p/requirements/production.txt"));
        assert!(reqs.problems.is_empty(), "{:?}", reqs.problems);
        let names: Vec<(&str, bool)> =
            reqs.entries.iter().map(|r| (r.name.as_str(), r.constraint)).collect();
        assert_eq!(
            names,
            [
                ("django", false),
                ("requests", false),
                ("urllib3", true),
                ("pip-audit", false),
                ("gunicorn", false)
            ]
        );
        assert_eq!(
            reqs.pinned("pip-audit").map(|r| r.file.as_str()),
            Some("/p/requirements-dev.txt")
        );
        assert!(reqs.pinned("urllib3").is_none(), "a constraint alone asks for nothing");
    }

    #[test]
    fn cycles_and_missing_includes_are_reported() {
        let root = tempfile::tempdir().expect("tmp");
        write(root.path(), "/p/requirements.txt", "-r other.txt\n-r missing.txt\nDjango==5.2\n");
        write(root.path(), "/p/other.txt", "-r requirements.txt\n");
        let reqs = load(&Target::at_root(root.path()), Path::new("/p"));
        assert_eq!(reqs.problems.len(), 2, "{:?}", reqs.problems);
        assert!(reqs.problems[0].contains("includes itself"));
        assert!(reqs.problems[1].starts_with("/p/missing.txt:"));
        assert!(reqs.pinned("django").is_some());
    }
}
