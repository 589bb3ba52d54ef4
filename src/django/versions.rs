//! Which versions of Django and its security packages the site runs, and how
//! we know: the interpreter given with `--python`, the virtualenv's
//! `*.dist-info` folders under the root, or `==` pins in the requirements.
//! Several checks change with the version (django-csp 3 or 4, Django 6's CSP).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::django::project::Project;
use crate::django::requirements::{Requirements, normalize};
use crate::target::Target;

/// How long the interpreter may take to list its packages.
const PYTHON_TIMEOUT: Duration = Duration::from_secs(20);

/// A release number compared the way pip orders plain releases: numerically,
/// part by part, missing parts counting as zero, a pre-release (`6.0rc1`,
/// `4.0b2`, `5.0.dev1`) before its release.
#[derive(Debug, Clone)]
pub struct Version {
    release: Vec<u64>,
    pre: bool,
    text: String,
}

impl Version {
    /// Reads `5.2.19`, `v4.0`, `6.0rc1`, `3.8.post1`; `None` when it does not
    /// start with a number.
    pub fn parse(text: &str) -> Option<Version> {
        let trimmed = text.trim();
        let body = trimmed.strip_prefix(['v', 'V']).unwrap_or(trimmed);
        let body = body.split('+').next().unwrap_or(body);
        let mut release = Vec::new();
        let mut rest = body;
        loop {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            if digits == 0 {
                break;
            }
            release.push(rest[..digits].parse().ok()?);
            rest = &rest[digits..];
            match rest.strip_prefix('.') {
                Some(next) if next.starts_with(|c: char| c.is_ascii_digit()) => rest = next,
                _ => break,
            }
        }
        if release.is_empty() {
            return None;
        }
        let tail = rest.trim_start_matches(['.', '-', '_']).to_ascii_lowercase();
        let pre = ["a", "b", "c", "rc", "alpha", "beta", "pre", "preview", "dev"]
            .iter()
            .any(|tag| tail.starts_with(tag));
        Some(Version { release, pre, text: trimmed.to_owned() })
    }

    pub fn major(&self) -> u64 {
        self.release.first().copied().unwrap_or(0)
    }

    /// True when this version is `other` or later (`other` as `"6.0"`).
    pub fn at_least(&self, other: &str) -> bool {
        Version::parse(other).is_some_and(|other| *self >= other)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.release.len().max(other.release.len());
        for i in 0..len {
            let a = self.release.get(i).copied().unwrap_or(0);
            let b = other.release.get(i).copied().unwrap_or(0);
            match a.cmp(&b) {
                Ordering::Equal => {}
                unequal => return unequal,
            }
        }
        // A pre-release comes before the release itself.
        other.pre.cmp(&self.pre)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// How a version was learned, for evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSource {
    /// `importlib.metadata` in the interpreter given with `--python`.
    Interpreter(PathBuf),
    /// A `*.dist-info` (or `*.egg-info`) folder, inside the target.
    Installed(String),
    /// An `==` pin in a requirements file, inside the target.
    Pinned { file: String, line: u32 },
}

impl fmt::Display for VersionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionSource::Interpreter(python) => write!(f, "installed for {}", python.display()),
            VersionSource::Installed(folder) => write!(f, "installed: {folder}"),
            VersionSource::Pinned { file, line } => write!(f, "pinned at {file}:{line}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageVersion {
    pub version: Version,
    pub source: VersionSource,
}

/// The packages installed where the site runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// For the operator: `/srv/app/venv` or `--python /usr/bin/python3`.
    pub description: String,
    /// By normalised name.
    pub packages: BTreeMap<String, PackageVersion>,
}

/// What is known about the versions of the site's packages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Versions {
    /// Where the site's packages are installed; `None` when there is no
    /// virtualenv under the project and no `--python`.
    pub environment: Option<Environment>,
    /// Why the environment could not be read, when it was looked for and failed.
    pub environment_problem: Option<String>,
    /// `==` pins of the requirements, by normalised name.
    pub pinned: BTreeMap<String, PackageVersion>,
}

impl Versions {
    /// The version of `package`: installed if the environment is known,
    /// else pinned. `None` when neither says.
    pub fn get(&self, package: &str) -> Option<&PackageVersion> {
        let name = normalize(package);
        match &self.environment {
            Some(env) => env.packages.get(&name).or_else(|| self.pinned.get(&name)),
            None => self.pinned.get(&name),
        }
    }

    /// Whether `package` is installed where the site runs; `None` when that
    /// cannot be told.
    pub fn installed(&self, package: &str) -> Option<Option<&PackageVersion>> {
        let env = self.environment.as_ref()?;
        Some(env.packages.get(&normalize(package)))
    }

    pub fn django(&self) -> Option<&PackageVersion> {
        self.get("django")
    }
}

/// Finds the versions for `project`: from `target.python` when given, else
/// from the project's virtualenv, with the requirements' pins beside them.
pub fn detect(target: &Target, project: &Project, requirements: &Requirements) -> Versions {
    let mut versions = Versions { pinned: pins(requirements), ..Versions::default() };
    if let Some(python) = &target.python {
        match from_interpreter(python) {
            Ok(env) => {
                versions.environment = Some(env);
                return versions;
            }
            // Fall back to the virtualenv's folders, and say why.
            Err(problem) => versions.environment_problem = Some(problem),
        }
    }
    if let (Some(venv), Some(site)) = (&project.venv, &project.site_packages) {
        let packages = from_site_packages(target, site);
        versions.environment =
            Some(Environment { description: venv.display().to_string(), packages });
    }
    versions
}

fn pins(requirements: &Requirements) -> BTreeMap<String, PackageVersion> {
    let mut out = BTreeMap::new();
    for entry in &requirements.entries {
        let Some(version) = entry.pin.as_deref().and_then(Version::parse) else { continue };
        let source = VersionSource::Pinned { file: entry.file.clone(), line: entry.line };
        out.entry(entry.name.clone()).or_insert(PackageVersion { version, source });
    }
    out
}

/// Every distribution in a `site-packages` folder (on this machine), named
/// as the folder is inside the target.
pub fn from_site_packages(target: &Target, site: &Path) -> BTreeMap<String, PackageVersion> {
    let mut out = BTreeMap::new();
    let Ok(entries) = fs::read_dir(site) else { return out };
    for entry in entries.filter_map(Result::ok) {
        let folder = entry.file_name().to_string_lossy().into_owned();
        let metadata = if folder.ends_with(".dist-info") {
            "METADATA"
        } else if folder.ends_with(".egg-info") {
            "PKG-INFO"
        } else {
            continue;
        };
        let Some((name, version)) = read_metadata(&entry.path().join(metadata))
            .or_else(|| name_version_from_folder(&folder))
        else {
            continue;
        };
        let Some(version) = Version::parse(&version) else { continue };
        let source = VersionSource::Installed(target.inside_path(entry.path()));
        out.insert(normalize(&name), PackageVersion { version, source });
    }
    out
}

/// `Name:` and `Version:` from the head of a METADATA or PKG-INFO file.
fn read_metadata(path: &Path) -> Option<(String, String)> {
    let text = fs::read_to_string(path).ok()?;
    let mut name = None;
    let mut version = None;
    for line in text.lines().take_while(|line| !line.is_empty()) {
        if let Some(value) = line.strip_prefix("Name:") {
            name = Some(value.trim().to_owned());
        } else if let Some(value) = line.strip_prefix("Version:") {
            version = Some(value.trim().to_owned());
        }
    }
    Some((name?, version?))
}

/// `django_csp-4.0.dist-info` → (`django_csp`, `4.0`).
fn name_version_from_folder(folder: &str) -> Option<(String, String)> {
    let stem = folder.strip_suffix(".dist-info").or_else(|| folder.strip_suffix(".egg-info"))?;
    let (name, version) = stem.split_once('-')?;
    let version = version.split('-').next().unwrap_or(version);
    Some((name.to_owned(), version.to_owned()))
}

/// Asks `python` for every installed distribution, with a timeout.
pub fn from_interpreter(python: &Path) -> Result<Environment, String> {
    const SCRIPT: &str = "import json, importlib.metadata as m\n\
        print(json.dumps({d.metadata['Name']: d.version for d in m.distributions() if d.metadata['Name']}))";
    let shown = python.display().to_string();
    let output = run_with_timeout(Command::new(python).args(["-I", "-c", SCRIPT]), PYTHON_TIMEOUT)
        .map_err(|err| format!("{shown}: {err}"))?;
    let listed: BTreeMap<String, String> = serde_json::from_str(output.trim())
        .map_err(|err| format!("{shown} did not list its packages: {err}"))?;
    let packages = listed
        .into_iter()
        .filter_map(|(name, version)| {
            let version = Version::parse(&version)?;
            let source = VersionSource::Interpreter(python.to_path_buf());
            Some((normalize(&name), PackageVersion { version, source }))
        })
        .collect();
    Ok(Environment { description: format!("--python {shown}"), packages })
}

/// Runs `command`, returns its standard output when it exits 0 in time;
/// otherwise the last line of its error output.
pub(crate) fn run_with_timeout(command: &mut Command, timeout: Duration) -> Result<String, String> {
    run_with_timeout_detailed(command, timeout).map_err(|failure| {
        let last = failure.stderr.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or("");
        format!("{}: {}", failure.why, crate::redact::printable(last.trim()))
    })
}

/// Why a command run by [`run_with_timeout_detailed`] failed: how it ended
/// and everything it wrote to its error output.
pub(crate) struct CommandFailure {
    pub why: String,
    pub stderr: String,
}

/// [`run_with_timeout`], keeping the whole error output of a failure.
pub(crate) fn run_with_timeout_detailed(
    command: &mut Command,
    timeout: Duration,
) -> Result<String, CommandFailure> {
    let failed = |why: String| CommandFailure { why, stderr: String::new() };
    // Python must not leave __pycache__ behind in the target: a rollback
    // restores it byte for byte, and portcullis writes only what it journals.
    let mut child = command
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| failed(format!("cannot run it: {err}")))?;
    // Read the pipes on threads so that a chatty program cannot block on a full pipe.
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out_reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(pipe) = stdout.as_mut() {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(pipe) = stderr.as_mut() {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    });

    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed(format!("no answer within {} s", timeout.as_secs())));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(err) => return Err(failed(format!("cannot wait for it: {err}"))),
        }
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    if status.success() {
        Ok(stdout)
    } else {
        Err(CommandFailure { why: format!("exited with {status}"), stderr })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).expect(text)
    }

    #[test]
    fn versions_compare_part_by_part() {
        assert!(v("5.2.19") < v("6.0"));
        assert!(v("4.0") == v("4.0.0"));
        assert!(v("3.8") < v("4.0b1") && v("4.0b1") < v("4.0"));
        assert!(v("10.0") > v("9.9.9"));
        assert!(v("6.0rc1").at_least("5.2") && !v("6.0rc1").at_least("6.0"));
        assert_eq!(v("v4.0").major(), 4);
        assert_eq!(Version::parse("latest"), None);
        assert_eq!(v("8.3.1.post2").to_string(), "8.3.1.post2");
    }

    #[test]
    fn dist_info_folders_of_a_virtualenv() {
        let root = tempfile::tempdir().expect("tmp");
        let site = root.path().join("srv/app/venv/lib/python3.11/site-packages");
        fs::create_dir_all(site.join("Django-5.2.19.dist-info")).expect("mkdir");
        fs::write(
            site.join("Django-5.2.19.dist-info/METADATA"),
            "Metadata-Version: 2.1\nName: Django\nVersion: 5.2.19\n\nbody",
        )
        .expect("write");
        fs::create_dir_all(site.join("django_csp-4.0.dist-info")).expect("mkdir");
        let target = Target::at_root(root.path());
        let found = from_site_packages(&target, &site);
        assert_eq!(found["django"].version, v("5.2.19"));
        assert_eq!(found["django-csp"].version, v("4.0"));
        assert_eq!(
            found["django-csp"].source.to_string(),
            "installed: /srv/app/venv/lib/python3.11/site-packages/django_csp-4.0.dist-info"
        );
    }

    #[test]
    fn a_missing_interpreter_is_a_problem_not_a_panic() {
        let err = from_interpreter(Path::new("/nonexistent/python3")).expect_err("no python");
        assert!(err.starts_with("/nonexistent/python3: cannot run it"), "{err}");
    }

    #[test]
    fn a_broken_python_falls_back_to_the_virtualenv_and_says_why() {
        let root = tempfile::tempdir().expect("tmp");
        let site = root.path().join("srv/app/venv/lib/python3.11/site-packages");
        fs::create_dir_all(site.join("django_axes-8.3.1.dist-info")).expect("mkdir");
        fs::write(root.path().join("srv/app/requirements.txt"), "Django==5.2.19\n").expect("write");
        let mut target = Target::at_root(root.path());
        target.project = Some(PathBuf::from("/srv/app"));
        target.python = Some(PathBuf::from("/nonexistent/python3"));
        let project = crate::django::project::Project {
            dir: PathBuf::from("/srv/app"),
            module: "config.settings".into(),
            module_source: "--settings".into(),
            found_by: "--project".into(),
            venv: Some(PathBuf::from("/srv/app/venv")),
            site_packages: Some(site),
        };
        let requirements = crate::django::requirements::load(&target, &project.dir);
        let versions = detect(&target, &project, &requirements);
        assert!(
            versions.environment_problem.as_deref().is_some_and(|p| p.contains("cannot run it"))
        );
        assert_eq!(
            versions.installed("django-axes").flatten().map(|v| v.version.to_string()).as_deref(),
            Some("8.3.1")
        );
        assert_eq!(versions.installed("django").map(|found| found.is_none()), Some(true));
        let django = versions.django().expect("pinned");
        assert_eq!(django.source.to_string(), "pinned at /srv/app/requirements.txt:1");
    }
}
