//! Finds the Django project on the target: the directory that holds
//! `manage.py`, the settings module it runs with and the virtualenv its
//! packages live in. Discovery only reads files; it never runs the project.

use std::fs;
use std::path::{Path, PathBuf};

use crate::target::Target;

/// Where discovery looks when `--project` is not given, inside the root.
const USUAL_PLACES: &[&str] = &["/srv", "/var/www", "/opt"];
/// How many directory levels below a usual place may hold `manage.py`.
const SEARCH_DEPTH: usize = 3;
/// Directory names a virtualenv of the project usually has.
const VENV_NAMES: &[&str] = &["venv", ".venv", "env"];

/// The Django project as discovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// The directory holding `manage.py`, inside the target.
    pub dir: PathBuf,
    /// The settings module (`config.settings`).
    pub module: String,
    /// Where the module name came from: `--settings`, or `file:line` of the
    /// `DJANGO_SETTINGS_MODULE` assignment (`/srv/app/manage.py:9`).
    pub module_source: String,
    /// How the project itself was found, for the operator ("--project",
    /// "found /srv/app/manage.py under /srv").
    pub found_by: String,
    /// The project's virtualenv, inside the target.
    pub venv: Option<PathBuf>,
    /// Its `lib/python3.X/site-packages`, on this machine.
    pub site_packages: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProjectError {
    #[error("--project {dir}: no manage.py there; give the directory that holds manage.py")]
    NoManagePy { dir: String },
    #[error(
        "several Django projects found ({}); choose one with --project",
        found.join(", ")
    )]
    Several { found: Vec<String> },
    #[error(
        "{dir}: manage.py does not set DJANGO_SETTINGS_MODULE and no wsgi.py does; \
         name the settings module with --settings"
    )]
    NoSettingsModule { dir: String },
    #[error("{path}: cannot read it ({message}); check its permissions")]
    Unreadable { path: String, message: String },
}

/// Finds the project of `target`: the one `--project` names, else one found
/// in the current directory or the usual places. `Ok(None)` when there is
/// none: the Django items then say so, which is not an error.
pub fn discover(target: &Target) -> Result<Option<Project>, ProjectError> {
    let (dir, found_by) = match &target.project {
        Some(dir) => {
            if !target.host_path(dir).join("manage.py").is_file() {
                return Err(ProjectError::NoManagePy { dir: dir.display().to_string() });
            }
            (dir.clone(), "--project".to_owned())
        }
        None => match search(target)? {
            Some(found) => found,
            None => return Ok(None),
        },
    };

    let (module, module_source) = settings_module(target, &dir)?;
    let venv = find_venv(target, &dir, None);
    let site_packages = venv.as_deref().and_then(|venv| site_packages(target, venv));
    Ok(Some(Project { dir, module, module_source, found_by, venv, site_packages }))
}

/// What discovery looked through, for the operator when it found nothing:
/// the Django items then say this as their reason.
pub fn not_found_reason() -> String {
    format!(
        "no Django project found: no manage.py in the current directory or up to {SEARCH_DEPTH} levels \
         under {}, /home/*; name it with --project",
        USUAL_PLACES.join(", ")
    )
}

impl Project {
    /// Uses the virtualenv a `WSGIDaemonProcess python-home=` names instead
    /// of the one guessed from the project's directory.
    #[must_use]
    pub fn with_python_home(mut self, target: &Target, home: &Path) -> Self {
        self.venv = Some(home.to_path_buf());
        self.site_packages = site_packages(target, home);
        self
    }

    /// The `manage.py` of the project, inside the target.
    pub fn manage_py(&self) -> PathBuf {
        self.dir.join("manage.py")
    }
}

/// The current directory when it holds `manage.py`, else the single project
/// under the usual places.
fn search(target: &Target) -> Result<Option<(PathBuf, String)>, ProjectError> {
    if let Ok(cwd) = std::env::current_dir()
        && let Ok(rest) = cwd.strip_prefix(&target.root)
        && cwd.join("manage.py").is_file()
    {
        let inside = Path::new("/").join(rest);
        return Ok(Some((inside, "the current directory".to_owned())));
    }

    let mut bases: Vec<PathBuf> = USUAL_PLACES.iter().map(PathBuf::from).collect();
    if let Ok(homes) = fs::read_dir(target.host_path("/home")) {
        let mut users: Vec<PathBuf> = homes
            .filter_map(Result::ok)
            .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
            .map(|entry| Path::new("/home").join(entry.file_name()))
            .collect();
        users.sort();
        bases.extend(users);
    }

    let mut found = Vec::new();
    for base in &bases {
        walk(&target.host_path(base), SEARCH_DEPTH, &mut found);
    }
    found.sort();
    found.dedup();
    let found: Vec<String> = found.iter().map(|host| target.inside_path(host)).collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => {
            let base = bases
                .iter()
                .map(|base| base.display().to_string())
                .find(|base| one.starts_with(base.as_str()))
                .unwrap_or_default();
            let found_by = format!("found {one}/manage.py under {base}");
            Ok(Some((PathBuf::from(one), found_by)))
        }
        _ => Err(ProjectError::Several { found }),
    }
}

/// Collects directories holding `manage.py`, `depth` levels down at most,
/// without following symlinks or entering virtualenvs and hidden folders.
fn walk(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    if dir.join("manage.py").is_file() {
        found.push(dir.to_path_buf());
        return;
    }
    if depth == 0 || dir.join("pyvenv.cfg").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let skip = name.starts_with('.') || matches!(name.as_ref(), "node_modules" | "__pycache__");
        if !skip && entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            walk(&entry.path(), depth - 1, found);
        }
    }
}

/// The settings module: `--settings`, else what `manage.py` sets, else what
/// a `wsgi.py` of the project sets.
fn settings_module(target: &Target, dir: &Path) -> Result<(String, String), ProjectError> {
    if let Some(module) = &target.settings {
        return Ok((module.clone(), "--settings".to_owned()));
    }

    let mut candidates = vec![dir.join("manage.py")];
    candidates.extend(wsgi_scripts(target, dir));
    for inside in candidates {
        if let Some(found) = module_from_file(target, &inside)? {
            return Ok(found);
        }
    }
    Err(ProjectError::NoSettingsModule { dir: dir.display().to_string() })
}

/// The settings module a script (`manage.py`, the WSGI script Apache's
/// `WSGIScriptAlias` names) sets, with `file:line`; `None` when the file is
/// absent or sets none.
pub fn module_from_file(
    target: &Target,
    inside: &Path,
) -> Result<Option<(String, String)>, ProjectError> {
    let text = match fs::read(target.host_path(inside)) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => {
            return Err(ProjectError::Unreadable {
                path: inside.display().to_string(),
                message: err.to_string(),
            });
        }
    };
    Ok(module_from_source(&text)
        .map(|(module, line)| (module, format!("{}:{line}", inside.display()))))
}

/// `wsgi.py` files of the project: beside `manage.py` or one level down.
fn wsgi_scripts(target: &Target, dir: &Path) -> Vec<PathBuf> {
    let mut scripts = vec![dir.join("wsgi.py")];
    if let Ok(entries) = fs::read_dir(target.host_path(dir)) {
        let mut below: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|entry| entry.path().join("wsgi.py").is_file())
            .map(|entry| dir.join(entry.file_name()).join("wsgi.py"))
            .collect();
        below.sort();
        scripts.extend(below);
    }
    scripts
}

/// Finds the module a script puts in `DJANGO_SETTINGS_MODULE`, as
/// `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x.settings")` or
/// `os.environ["DJANGO_SETTINGS_MODULE"] = "x.settings"` write it, with the
/// 1-based line of the module's name. Commented-out lines do not count.
pub fn module_from_source(source: &str) -> Option<(String, u32)> {
    const KEY: &str = "DJANGO_SETTINGS_MODULE";
    let mut offset = 0;
    while let Some(found) = source[offset..].find(KEY) {
        let start = offset + found;
        offset = start + KEY.len();

        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        if source[line_start..start].contains('#') {
            continue;
        }
        // The key must be a string literal itself: a closing quote follows.
        let rest = &source[offset..];
        if !rest.starts_with(['"', '\'']) {
            continue;
        }
        let after = rest[1..].trim_start_matches(|c: char| c.is_whitespace() || ",]=)".contains(c));
        // `]` then `=` for the subscript form; a `,` for setdefault.
        let Some(open) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let value = &after[1..];
        let Some(end) = value.find(open) else { continue };
        let module = &value[..end];
        if module.is_empty() || !module.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        {
            continue;
        }
        let value_at = source.len() - value.len();
        let line = u32::try_from(source[..value_at].matches('\n').count() + 1).unwrap_or(u32::MAX);
        return Some((module.to_owned(), line));
    }
    None
}

/// The project's virtualenv: `python_home` when Apache names one, else a
/// `venv`, `.venv` or `env` beside `manage.py` (or one level up) that holds
/// `lib/python3*/site-packages`.
pub fn find_venv(target: &Target, dir: &Path, python_home: Option<&Path>) -> Option<PathBuf> {
    if let Some(home) = python_home {
        return Some(home.to_path_buf());
    }
    let parents = [Some(dir), dir.parent()];
    parents.into_iter().flatten().find_map(|base| {
        VENV_NAMES
            .iter()
            .map(|name| base.join(name))
            .find(|venv| site_packages(target, venv).is_some())
    })
}

/// `<venv>/lib/python3.X/site-packages` on this machine, the newest Python
/// when there are several.
pub fn site_packages(target: &Target, venv: &Path) -> Option<PathBuf> {
    let lib = target.host_path(venv).join("lib");
    let mut found: Vec<(u32, PathBuf)> = fs::read_dir(lib)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let minor = name.strip_prefix("python3.")?.parse::<u32>().ok()?;
            let dir = entry.path().join("site-packages");
            dir.is_dir().then_some((minor, dir))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, dir)| dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let root = tempfile::tempdir().expect("temp dir");
        for file in files {
            let path = root.path().join(file.trim_start_matches('/'));
            fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            let text = if file.ends_with("manage.py") {
                "import os\n\ndef main():\n    os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"config.settings\")\n"
            } else {
                ""
            };
            fs::write(&path, text).expect("write");
        }
        root
    }

    #[test]
    fn startproject_manage_py_names_its_module_and_line() {
        let source = "#!/usr/bin/env python\nimport os\n\n\ndef main():\n    \"\"\"Run.\"\"\"\n    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n";
        assert_eq!(module_from_source(source), Some(("mysite.settings".to_owned(), 7)));
    }

    #[test]
    fn subscript_assignment_and_comments() {
        let source = "# os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'old.settings')\nos.environ[\"DJANGO_SETTINGS_MODULE\"] = \"site.settings.prod\"\n";
        assert_eq!(module_from_source(source), Some(("site.settings.prod".to_owned(), 2)));
        assert_eq!(module_from_source("x = 1\n"), None);
    }

    #[test]
    fn one_project_under_srv_is_found() {
        let root =
            tree(&["/srv/aijack/manage.py", "/srv/aijack/venv/lib/python3.11/site-packages/x"]);
        let project = discover(&Target::at_root(root.path())).expect("ok").expect("a project");
        assert_eq!(project.dir, PathBuf::from("/srv/aijack"));
        assert_eq!(project.module, "config.settings");
        assert_eq!(project.module_source, "/srv/aijack/manage.py:4");
        assert_eq!(project.venv, Some(PathBuf::from("/srv/aijack/venv")));
        assert_eq!(
            project.site_packages,
            Some(root.path().join("srv/aijack/venv/lib/python3.11/site-packages"))
        );
        assert!(project.found_by.contains("under /srv"), "{}", project.found_by);
    }

    #[test]
    fn several_projects_are_named_and_none_is_picked() {
        let root = tree(&["/srv/a/manage.py", "/home/bob/sites/b/manage.py"]);
        let err = discover(&Target::at_root(root.path())).expect_err("ambiguous");
        assert_eq!(
            err,
            ProjectError::Several { found: vec!["/home/bob/sites/b".into(), "/srv/a".into()] }
        );
        assert!(err.to_string().contains("--project"));
    }

    #[test]
    fn nothing_found_is_not_an_error() {
        let root = tree(&["/srv/static/index.html", "/opt/a/b/c/d/manage.py"]);
        assert_eq!(discover(&Target::at_root(root.path())), Ok(None));
    }

    #[test]
    fn project_flag_without_manage_py_is_an_input_error() {
        let root = tree(&["/srv/app/settings.py"]);
        let mut target = Target::at_root(root.path());
        target.project = Some(PathBuf::from("/srv/app"));
        let err = discover(&target).expect_err("no manage.py");
        assert_eq!(
            err.to_string(),
            "--project /srv/app: no manage.py there; give the directory that holds manage.py"
        );
    }

    #[test]
    fn settings_flag_wins_and_wsgi_is_the_fallback() {
        let root = tree(&["/srv/app/x"]);
        fs::write(root.path().join("srv/app/manage.py"), "import sys\n").expect("write");
        fs::create_dir_all(root.path().join("srv/app/site")).expect("mkdir");
        fs::write(
            root.path().join("srv/app/site/wsgi.py"),
            "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"site.settings\")\n",
        )
        .expect("write");
        let mut target = Target::at_root(root.path());
        target.project = Some(PathBuf::from("/srv/app"));
        let project = discover(&target).expect("ok").expect("project");
        assert_eq!(
            (project.module.as_str(), project.module_source.as_str()),
            ("site.settings", "/srv/app/site/wsgi.py:2")
        );
        assert_eq!(project.venv, None);

        target.settings = Some("site.prod".into());
        let project = discover(&target).expect("ok").expect("project");
        assert_eq!(project.module_source, "--settings");
    }
}
