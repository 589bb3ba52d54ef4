//! The environment and the libraries that read it: `os.environ`,
//! python-dotenv (1.2), django-environ (0.14) and python-decouple (3.8).
//!
//! What counts as the environment: the variables of `--env-file` when given
//! (then nothing else is set), plus what the settings load from `.env` files.
//! Without `--env-file` a variable no loaded file sets may still come from the
//! process: a read without a default is then unknown, and a read with a
//! default gives the default with a note saying so.

use std::collections::BTreeMap;

use super::interp::{
    ExcKind, Frame, Interp, LiteralKind, Raise, join_path, normalize, parent_dir, raise,
};
use super::val::{EnvReader, Val, py_eq};
use crate::django::dotenv::{self, Dialect};
use crate::django::value::Location;

/// One variable: its value (`None` when branches of an `if` disagree) and
/// the file line that set it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EnvVar {
    pub value: Option<String>,
    pub origin: Option<Location>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Environment {
    pub vars: BTreeMap<String, EnvVar>,
    /// True when the whole process environment is known (`--env-file`).
    pub complete: bool,
}

pub(crate) enum Lookup {
    Set(String),
    Unset,
    Unknown(String),
}

impl Environment {
    pub fn set(&mut self, name: &str, value: String, origin: Option<Location>) {
        self.vars.insert(name.to_owned(), EnvVar { value: Some(value), origin });
    }

    /// The environment after an `if` whose branches ran separately.
    pub fn merge(branches: &[Environment]) -> Environment {
        let Some(first) = branches.first() else { return Environment::default() };
        let mut merged = first.clone();
        for other in &branches[1..] {
            for (name, var) in &other.vars {
                match merged.vars.get(name) {
                    Some(existing) if existing == var => {}
                    _ => {
                        merged.vars.insert(
                            name.clone(),
                            EnvVar { value: None, origin: var.origin.clone() },
                        );
                    }
                }
            }
            let missing: Vec<String> =
                merged.vars.keys().filter(|k| !other.vars.contains_key(*k)).cloned().collect();
            for name in missing {
                if let Some(var) = merged.vars.get_mut(&name) {
                    var.value = None;
                }
            }
        }
        merged
    }
}

/// Where a python-decouple config object finds its repository.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DecoupleSource {
    /// `AutoConfig()`: walk up from the directory given, or the caller's.
    Search(Option<String>),
    /// `Config(RepositoryEnv(path))`.
    File(String, Dialect),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DecoupleState {
    source: DecoupleSource,
    /// Loaded at the first call, as decouple does: the file and its values.
    repository: Option<(Option<String>, Vec<dotenv::Entry>)>,
}

impl DecoupleState {
    pub fn auto(search: Option<String>) -> DecoupleState {
        DecoupleState { source: DecoupleSource::Search(search), repository: None }
    }

    pub fn file(path: String, dialect: Dialect) -> DecoupleState {
        DecoupleState { source: DecoupleSource::File(path, dialect), repository: None }
    }
}

/// How a library call reads a variable: the cast and default it passes.
pub(crate) struct Read<'t> {
    pub cast: Option<Val>,
    pub default: Option<Val>,
    pub parse_default: bool,
    /// The default's node, to tell a literal written in the settings.
    pub default_node: Option<tree_sitter::Node<'t>>,
}

/// django-environ's words for true.
const ENVIRON_TRUE: &[&str] = &["true", "on", "ok", "y", "yes", "1"];

/// A variable no loaded `.env` sets is unknown even where the settings give
/// a default: the process environment may set it (DESIGN.md: never guess).
fn with_default_note(reason: &str) -> String {
    format!(
        "{reason}; the default written in the settings applies only if the process environment does not set it either"
    )
}

impl Interp<'_> {
    /// Looks a variable up, adding the line that set it to the evidence.
    pub fn env_lookup(&mut self, name: &str) -> Lookup {
        if let Some(var) = self.env.vars.get(name) {
            if let Some(origin) = &var.origin {
                if !self.trace.contains(origin) {
                    self.trace.push(origin.clone());
                }
                let note = format!("read from {name} in {}:{}", origin.file, origin.line);
                if var.value.is_some() && !self.stmt_notes.contains(&note) {
                    self.stmt_notes.push(note);
                }
            }
            return match &var.value {
                Some(value) => Lookup::Set(value.clone()),
                None => {
                    Lookup::Unknown(format!("{name} is set differently in the branches of an `if`"))
                }
            };
        }
        if self.env.complete {
            Lookup::Unset
        } else {
            Lookup::Unknown(format!(
                "reads {name} from the environment, and no loaded .env sets it"
            ))
        }
    }

    /// Records that the default of a read is a literal written in the settings.
    fn note_literal_default(
        &mut self,
        name: &str,
        default_node: Option<tree_sitter::Node<'_>>,
        location: &Location,
    ) {
        if default_node.is_some_and(|n| matches!(n.kind(), "string" | "concatenated_string")) {
            self.literal = Some(LiteralKind::Fallback {
                variable: name.to_owned(),
                location: location.clone(),
            });
        }
    }

    /// `os.environ.get(name, default)` and `os.getenv(name, default)`.
    /// `default` is `None` when the call gives none (Python's implicit
    /// `None`): an unset variable is then unknown rather than `None`, since
    /// the author chose no value for that case.
    pub fn environ_get(
        &mut self,
        name: &Val,
        default: Option<Val>,
        default_node: Option<tree_sitter::Node<'_>>,
        location: &Location,
    ) -> Val {
        let Some(name) = name.py_str().filter(|_| matches!(name, Val::Str(_))) else {
            return Val::Unknown(
                "reads an environment variable whose name static analysis cannot know".to_owned(),
            );
        };
        self.note_literal_default(&name, default_node, location);
        match (self.env_lookup(&name), default) {
            (Lookup::Set(value), _) => Val::Str(value),
            (Lookup::Unset, default) => default.unwrap_or(Val::None),
            (Lookup::Unknown(reason), None) => Val::Unknown(reason),
            (Lookup::Unknown(reason), Some(_)) => Val::Unknown(with_default_note(&reason)),
        }
    }

    /// `os.environ["X"]`.
    pub fn environ_item(&mut self, name: &Val, location: &Location) -> Result<Val, Raise> {
        let Some(var) = name.py_str().filter(|_| matches!(name, Val::Str(_))) else {
            return Ok(Val::Unknown(
                "reads an environment variable whose name static analysis cannot know".to_owned(),
            ));
        };
        match self.env_lookup(&var) {
            Lookup::Set(value) => Ok(Val::Str(value)),
            Lookup::Unset => Err(raise(ExcKind::Key, format!("'{var}'"), location.clone())),
            Lookup::Unknown(reason) => Ok(Val::Unknown(reason)),
        }
    }

    /// `"X" in os.environ`.
    pub fn environ_contains(&mut self, name: &Val) -> Option<bool> {
        let var = name.py_str()?;
        match self.env_lookup(&var) {
            Lookup::Set(_) => Some(true),
            Lookup::Unset => Some(false),
            Lookup::Unknown(_) => None,
        }
    }

    /// `os.environ.setdefault(name, value)`.
    pub fn environ_setdefault(&mut self, name: &Val, value: &Val, location: &Location) -> Val {
        let (Some(var), Some(value)) = (name.py_str(), value.py_str()) else {
            return Val::Unknown(
                "sets an environment variable static analysis cannot know".to_owned(),
            );
        };
        match self.env_lookup(&var) {
            Lookup::Set(existing) => Val::Str(existing),
            Lookup::Unset | Lookup::Unknown(_) => {
                self.env.set(&var, value.clone(), Some(location.clone()));
                Val::Str(value)
            }
        }
    }

    // ---- loading files ----

    /// Resolves a path argument to an inside path; relative paths depend on
    /// the working directory, which static analysis does not know.
    fn path_arg(&mut self, val: &Val, location: &Location) -> Option<String> {
        let path = match val {
            Val::Str(s) | Val::Path(s) | Val::EnvironPath(s) => s.clone(),
            _ => return None,
        };
        if path.starts_with('/') {
            return Some(normalize(&path));
        }
        self.note(
            Some(location.clone()),
            format!("a .env is loaded by the relative path `{path}`, which depends on the working directory of the process; its values are not used"),
        );
        None
    }

    /// Reads an env file into the environment. `override_` replaces
    /// variables already set.
    fn load_env_file(
        &mut self,
        inside: &str,
        dialect: Dialect,
        override_: bool,
        location: &Location,
    ) -> bool {
        let host = self.input.target.host_path(inside);
        if !host.is_file() {
            self.note(
                Some(location.clone()),
                format!("{inside} is not there, so this loads nothing"),
            );
            return false;
        }
        let Ok(text) = std::fs::read_to_string(&host) else {
            self.note(
                Some(location.clone()),
                format!("{inside} cannot be read here, so its values are not known"),
            );
            return false;
        };
        self.record_dotenv(inside);
        let entries = dotenv::parse(&text, dialect);
        let mut fresh: BTreeMap<String, String> = BTreeMap::new();
        for entry in &entries {
            let Some(raw) = &entry.value else { continue };
            let value = if dialect == Dialect::PythonDotenv {
                let env = &self.env;
                let lookup = |name: &str| -> Option<String> {
                    let from_env = env.vars.get(name).and_then(|v| v.value.clone());
                    let from_file = fresh.get(name).cloned();
                    if override_ { from_file.or(from_env) } else { from_env.or(from_file) }
                };
                dotenv::interpolate(raw, &lookup)
            } else {
                raw.clone()
            };
            fresh.insert(entry.name.clone(), value.clone());
            let origin =
                Location { file: inside.to_owned(), line: entry.line, text: entry.text.clone() };
            let already = self.env.vars.get(&entry.name).is_some_and(|v| v.value.is_some());
            if override_ || !already {
                self.env.set(&entry.name, value, Some(origin));
            }
        }
        !entries.is_empty()
    }

    fn record_dotenv(&mut self, inside: &str) {
        if !self.dotenv_files.iter().any(|f| f == inside) {
            self.dotenv_files.push(inside.to_owned());
        }
        if !self.files.iter().any(|f| f == inside) {
            self.files.push(inside.to_owned());
        }
    }

    /// python-dotenv 1.2 `find_dotenv()`: from the directory of the calling
    /// file up to `/`, the first `.env` that is a file (`_walk_to_root` in
    /// dotenv/main.py). It starts from the working directory instead when
    /// `__main__` has no `__file__` (an embedded interpreter such as
    /// `mod_wsgi`'s), which a note says.
    pub fn find_dotenv(&mut self, f: &Frame, filename: &str, location: &Location) -> String {
        self.note(
            Some(location.clone()),
            "python-dotenv's find_dotenv() looks upwards from the settings file when Python runs a script (manage.py, gunicorn); under mod_wsgi, whose `__main__` has no file, it starts from the working directory instead".to_owned(),
        );
        let mut dir = parent_dir(&f.src.inside);
        loop {
            let candidate = join_path(&dir, filename);
            if self.input.target.host_path(&candidate).is_file() {
                return candidate;
            }
            if dir == "/" {
                return String::new();
            }
            dir = parent_dir(&dir);
        }
    }

    /// `load_dotenv(path=None, override=False)`.
    pub fn load_dotenv(
        &mut self,
        f: &Frame,
        path: Option<&Val>,
        override_: bool,
        location: &Location,
    ) -> Val {
        let inside = match path {
            None | Some(Val::None) => {
                let found = self.find_dotenv(f, ".env", location);
                if found.is_empty() {
                    return Val::Bool(false);
                }
                found
            }
            Some(val) => match self.path_arg(val, location) {
                Some(p) => p,
                None => return self.unknown_load(location),
            },
        };
        Val::Bool(self.load_env_file(&inside, Dialect::PythonDotenv, override_, location))
    }

    fn unknown_load(&mut self, location: &Location) -> Val {
        self.note(
            Some(location.clone()),
            "loads a .env whose path static analysis cannot know; its values are not used"
                .to_owned(),
        );
        Val::Unknown("loads a .env whose path static analysis cannot know".to_owned())
    }

    /// `dotenv_values(path)`: the file's values as a dict, not loaded.
    pub fn dotenv_values(&mut self, f: &Frame, path: Option<&Val>, location: &Location) -> Val {
        let inside = match path {
            None | Some(Val::None) => self.find_dotenv(f, ".env", location),
            Some(val) => match self.path_arg(val, location) {
                Some(p) => p,
                None => {
                    return Val::Unknown(
                        "reads a .env whose path static analysis cannot know".to_owned(),
                    );
                }
            },
        };
        let host = self.input.target.host_path(&inside);
        let Ok(text) = std::fs::read_to_string(&host) else { return Val::Dict(Vec::new()) };
        self.record_dotenv(&inside);
        let mut values: Vec<(Val, Val)> = Vec::new();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for entry in dotenv::parse(&text, Dialect::PythonDotenv) {
            let value = entry.value.as_ref().map(|raw| {
                let env = &self.env;
                let lookup = |name: &str| {
                    env.vars
                        .get(name)
                        .and_then(|v| v.value.clone())
                        .or_else(|| seen.get(name).cloned())
                };
                dotenv::interpolate(raw, &lookup)
            });
            let origin =
                Location { file: inside.clone(), line: entry.line, text: entry.text.clone() };
            self.trace.push(origin);
            if let Some(v) = &value {
                seen.insert(entry.name.clone(), v.clone());
            }
            values.retain(|(k, _)| k.py_str().as_deref() != Some(&entry.name));
            values.push((Val::Str(entry.name), value.map_or(Val::None, Val::Str)));
        }
        Val::Dict(values)
    }

    /// django-environ `Env.read_env(path=None, overwrite=False)`: without a
    /// path, the `.env` next to the file that calls it (0.14's rule), and
    /// nothing when it is not there.
    pub fn read_env(
        &mut self,
        f: &Frame,
        path: Option<&Val>,
        overwrite: bool,
        location: &Location,
    ) -> Val {
        let inside = match path {
            None | Some(Val::None) => {
                let candidate = join_path(&parent_dir(&f.src.inside), ".env");
                if !self.input.target.host_path(&candidate).is_file() {
                    self.note(
                        Some(location.clone()),
                        format!("read_env() without a path reads {candidate}, which is not there"),
                    );
                    return Val::None;
                }
                candidate
            }
            Some(val) => match self.path_arg(val, location) {
                Some(p) => p,
                None => return self.unknown_load(location),
            },
        };
        self.load_env_file(&inside, Dialect::DjangoEnviron, overwrite, location);
        Val::None
    }

    // ---- django-environ ----

    /// `environ.Env(NAME=(cast, default), OTHER=cast)`.
    pub fn environ_env(scheme: Vec<(String, Val)>) -> Val {
        let scheme = scheme
            .into_iter()
            .map(|(name, spec)| match spec {
                Val::Tuple(parts) if parts.len() == 2 => {
                    (name, parts[0].clone(), Some(parts[1].clone()))
                }
                Val::Tuple(parts) if parts.len() == 1 => (name, parts[0].clone(), None),
                other => (name, other, None),
            })
            .collect();
        Val::Env(Box::new(EnvReader {
            scheme,
            smart_cast: true,
            escape_proxy: false,
            prefix: String::new(),
        }))
    }

    /// django-environ 0.14 `Env.get_value`.
    pub fn environ_value(
        &mut self,
        reader: &EnvReader,
        var: &Val,
        read: Read<'_>,
        location: &Location,
        depth: u32,
    ) -> Result<Val, Raise> {
        let Read { mut cast, mut default, parse_default, default_node } = read;
        let Some(var) = var.py_str().filter(|_| matches!(var, Val::Str(_))) else {
            return Ok(Val::Unknown(
                "reads an environment variable whose name static analysis cannot know".to_owned(),
            ));
        };
        let name = format!("{}{var}", reader.prefix);
        if let Some((_, scheme_cast, scheme_default)) =
            reader.scheme.iter().find(|(n, _, _)| *n == name)
        {
            if cast.is_none() {
                cast = Some(scheme_cast.clone());
            }
            if default.is_none() {
                default.clone_from(scheme_default);
            }
        }
        if depth == 0 {
            self.note_literal_default(&name, default_node, location);
        }
        let mut from_env = false;
        let mut value = match self.env_lookup(&name) {
            Lookup::Set(v) => {
                from_env = true;
                Val::Str(v)
            }
            Lookup::Unset => match &default {
                Some(d) => d.clone(),
                None => {
                    return Err(raise(
                        ExcKind::ImproperlyConfigured,
                        format!("Set the {name} environment variable"),
                        location.clone(),
                    ));
                }
            },
            Lookup::Unknown(reason) => return Ok(Val::Unknown(with_default_note(&reason))),
        };

        // A value starting with `$` names another variable.
        if let Val::Str(text) = &value
            && text.starts_with('$')
            && depth < 8
        {
            let target = text.trim_start_matches('$').to_owned();
            let note = format!(
                "the value of {name} starts with `$`, so django-environ reads it as the name of another variable"
            );
            self.note(Some(location.clone()), note.clone());
            self.stmt_notes.push(note);
            let read = Read { cast, default, parse_default, default_node: None };
            return self.environ_value(reader, &Val::Str(target), read, location, depth + 1);
        }
        if reader.escape_proxy
            && let Val::Str(text) = &value
        {
            value = Val::Str(text.replace("\\$", "$"));
        }
        if reader.smart_cast
            && cast.is_none()
            && let Some(d) = default.as_ref().filter(|d| !matches!(d, Val::None))
        {
            let type_cast = match d {
                Val::Bool(_) => Some("bool"),
                Val::Int(_) => Some("int"),
                Val::Float(_) => Some("float"),
                Val::List(_) => Some("list"),
                Val::Tuple(_) => Some("tuple"),
                Val::Dict(_) => Some("dict"),
                Val::Str(_) => Some("str"),
                _ => None,
            };
            if let Some(type_cast) = type_cast {
                if from_env && type_cast != "str" {
                    self.stmt_notes.push(format!(
                            "django-environ casts {name} to {type_cast}, the type of its default (smart_cast, the behaviour of current releases such as 0.14; releases before 0.5 returned the string)"
                        ));
                }
                cast = Some(Val::Builtin(type_cast.to_owned()));
            }
        }
        if matches!(default, Some(Val::None)) && value == Val::Str(String::new()) {
            value = Val::None;
        }
        let equals_default = default
            .as_ref()
            .is_some_and(|d| py_eq(&value, d) == Some(true) && value.type_name() == d.type_name());
        if !equals_default || (parse_default && value != Val::None) {
            value = self.environ_parse(&value, cast.as_ref(), location)?;
        }
        Ok(value)
    }

    /// django-environ `Env.parse_value`.
    fn environ_parse(
        &mut self,
        value: &Val,
        cast: Option<&Val>,
        location: &Location,
    ) -> Result<Val, Raise> {
        let Some(cast) = cast else { return Ok(value.clone()) };
        let Val::Str(text) = value else {
            return match cast {
                Val::Builtin(name) if name == "bool" => {
                    Ok(value.truthy().map_or_else(|| value.clone(), Val::Bool))
                }
                _ => self.call_cast(cast, value.clone(), location),
            };
        };
        let split_items = |text: &str| {
            text.split(',')
                .filter(|x| !x.is_empty())
                .map(|x| Val::Str(x.to_owned()))
                .collect::<Vec<_>>()
        };
        match cast {
            Val::Builtin(name) => match name.as_str() {
                "bool" => Ok(Val::Bool(match text.trim().parse::<i64>() {
                    Ok(n) => n != 0,
                    Err(_) => ENVIRON_TRUE.contains(&text.trim().to_lowercase().as_str()),
                })),
                "list" => Ok(Val::List(split_items(text))),
                "tuple" => {
                    Ok(Val::Tuple(split_items(text.trim_start_matches('(').trim_end_matches(')'))))
                }
                "dict" => Ok(Val::Dict(
                    text.split(',')
                        .filter(|x| !x.is_empty())
                        .map(|kv| match kv.split_once('=') {
                            Some((k, v)) => Ok((Val::str(k), Val::str(v))),
                            None => Err(()),
                        })
                        .collect::<Result<Vec<_>, ()>>()
                        .map_err(|()| {
                            raise(
                                ExcKind::Value,
                                "dictionary update sequence element has length 1",
                                location.clone(),
                            )
                        })?,
                )),
                "float" => {
                    let cleaned: String = text
                        .chars()
                        .filter(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '-'))
                        .collect();
                    let parts: Vec<&str> = cleaned.split([',', '.']).collect();
                    let joined = if parts.len() == 1 {
                        parts[0].to_owned()
                    } else {
                        format!("{}.{}", parts[..parts.len() - 1].concat(), parts[parts.len() - 1])
                    };
                    joined.parse::<f64>().map(Val::Float).map_err(|_| {
                        raise(
                            ExcKind::Value,
                            "could not convert the string to float",
                            location.clone(),
                        )
                    })
                }
                _ => self.call_cast(cast, value.clone(), location),
            },
            Val::List(inner) if inner.len() == 1 => split_items(text)
                .into_iter()
                .map(|item| self.call_cast(&inner[0], item, location))
                .collect::<Result<_, _>>()
                .map(Val::List),
            Val::Tuple(inner) if inner.len() == 1 => {
                split_items(text.trim_start_matches('(').trim_end_matches(')'))
                    .into_iter()
                    .map(|item| self.call_cast(&inner[0], item, location))
                    .collect::<Result<_, _>>()
                    .map(Val::Tuple)
            }
            other => self.call_cast(other, value.clone(), location),
        }
    }

    // ---- python-decouple ----

    /// The repository of a decouple config object, loaded at its first use.
    fn decouple_repository(
        &mut self,
        f: &Frame,
        index: usize,
        location: &Location,
    ) -> Vec<dotenv::Entry> {
        let Some(state) = self.decouple.get(index).cloned() else { return Vec::new() };
        if let Some((_, entries)) = &state.repository {
            return entries.clone();
        }
        let found: Option<(String, Dialect)> = match &state.source {
            DecoupleSource::File(path, dialect) => Some((path.clone(), *dialect)),
            DecoupleSource::Search(start) => {
                // decouple 3.8 `AutoConfig._find_file`: settings.ini, then
                // .env, in each directory from the start upwards, stopping
                // below the filesystem root.
                let mut dir = start.clone().unwrap_or_else(|| parent_dir(&f.src.inside));
                let mut found = None;
                while dir != "/" {
                    for (name, dialect) in
                        [("settings.ini", Dialect::DecoupleIni), (".env", Dialect::Decouple)]
                    {
                        let candidate = join_path(&dir, name);
                        if self.input.target.host_path(&candidate).is_file() {
                            found = Some((candidate, dialect));
                            break;
                        }
                    }
                    if found.is_some() {
                        break;
                    }
                    dir = parent_dir(&dir);
                }
                found
            }
        };
        let (file, entries) = match found {
            Some((path, dialect)) => {
                if let Ok(text) = std::fs::read_to_string(self.input.target.host_path(&path)) {
                    self.record_dotenv(&path);
                    (Some(path), dotenv::parse(&text, dialect))
                } else {
                    self.note(
                        Some(location.clone()),
                        format!(
                            "{path} cannot be read here, so python-decouple's values are not known"
                        ),
                    );
                    (Some(path), Vec::new())
                }
            }
            None => (None, Vec::new()),
        };
        if let Some(state) = self.decouple.get_mut(index) {
            state.repository = Some((file, entries.clone()));
        }
        entries
    }

    /// python-decouple 3.8 `Config.get(option, default, cast)`: the process
    /// environment first, then the repository, then the default.
    pub fn decouple_get(
        &mut self,
        f: &Frame,
        index: usize,
        option: &Val,
        read: &Read<'_>,
        location: &Location,
    ) -> Result<Val, Raise> {
        let default = &read.default;
        let Some(option) = option.py_str().filter(|_| matches!(option, Val::Str(_))) else {
            return Ok(Val::Unknown(
                "reads a setting whose name static analysis cannot know".to_owned(),
            ));
        };
        self.note_literal_default(&option, read.default_node, location);
        let entries = self.decouple_repository(f, index, location);
        let is_ini = matches!(self.decouple.get(index).map(|s| &s.repository), Some(Some((Some(file), _))) if std::path::Path::new(file).extension().is_some_and(|e| e == "ini"));
        let key = if is_ini { option.to_lowercase() } else { option.clone() };
        let in_repo = entries.iter().rev().find(|e| e.name == key).cloned();
        let value = match self.env_lookup(&option) {
            Lookup::Set(v) => Val::Str(v),
            other => match (in_repo, other) {
                (Some(entry), _) => {
                    let origin = Location {
                        file: self.repo_file(index),
                        line: entry.line,
                        text: entry.text.clone(),
                    };
                    self.trace.push(origin);
                    Val::Str(entry.value.unwrap_or_default())
                }
                (None, Lookup::Unknown(reason)) => {
                    return Ok(Val::Unknown(with_default_note(&reason)));
                }
                (None, _) => {
                    if let Some(d) = &default {
                        d.clone()
                    } else {
                        let msg = format!(
                            "{option} not found. Declare it as envvar or define a default value."
                        );
                        return Err(raise(ExcKind::UndefinedValue, msg, location.clone()));
                    }
                }
            },
        };
        match &read.cast {
            None => Ok(value),
            Some(Val::Builtin(name)) if name == "bool" => {
                let Some(text) = value.py_str() else {
                    return Ok(Val::Unknown(
                        "casts a value static analysis cannot know".to_owned(),
                    ));
                };
                if text.is_empty() {
                    return Ok(Val::Bool(false));
                }
                match text.to_lowercase().as_str() {
                    "y" | "yes" | "t" | "true" | "on" | "1" => Ok(Val::Bool(true)),
                    "n" | "no" | "f" | "false" | "off" | "0" => Ok(Val::Bool(false)),
                    _ => Err(raise(ExcKind::Value, "Invalid truth value", location.clone())),
                }
            }
            Some(cast) => self.call_cast(cast, value, location),
        }
    }

    fn repo_file(&self, index: usize) -> String {
        match self.decouple.get(index).map(|s| &s.repository) {
            Some(Some((Some(file), _))) => file.clone(),
            _ => String::new(),
        }
    }

    /// python-decouple's `Csv(cast, delimiter=",", post_process=list)`:
    /// shlex-style splitting (quotes group), items stripped.
    pub fn csv_cast(
        &mut self,
        item: &Val,
        tuple: bool,
        value: &Val,
        location: &Location,
    ) -> Result<Val, Raise> {
        let text = match value {
            Val::None => String::new(),
            other => match other.py_str() {
                Some(t) => t,
                None => {
                    return Ok(Val::Unknown(
                        "splits a value static analysis cannot know".to_owned(),
                    ));
                }
            },
        };
        let mut parts: Vec<String> = Vec::new();
        let mut current = String::new();
        let mut quote: Option<char> = None;
        let mut has_token = false;
        for c in text.chars() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => current.push(c),
                None if c == '"' || c == '\'' => {
                    quote = Some(c);
                    has_token = true;
                }
                None if c == ',' => {
                    if has_token || !current.is_empty() {
                        parts.push(std::mem::take(&mut current));
                    }
                    has_token = false;
                }
                None => {
                    current.push(c);
                    has_token = true;
                }
            }
        }
        if has_token || !current.is_empty() {
            parts.push(current);
        }
        let mut items = Vec::new();
        for part in parts {
            items.push(self.call_cast(item, Val::Str(part.trim().to_owned()), location)?);
        }
        Ok(if tuple { Val::Tuple(items) } else { Val::List(items) })
    }
}
