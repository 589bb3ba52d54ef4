//! The statements: assignments, `if`, `try`, imports, loops. Each module runs
//! in its own namespace; the environment (`os.environ` as far as it is known)
//! is shared, as it is in the real process. Work is bounded (statement budget,
//! import depth, loop length) so that no input hangs the analysis.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::rc::Rc;

use tree_sitter::Node;

use super::envlib::{DecoupleState, Environment};
use super::source::{Source, line_of};
use super::val::{Val, py_eq, to_py};
use super::{AnalysisInput, Note, SettingsAnalysis, SettingsError, is_setting_name};
use crate::django::dotenv::{self, Dialect};
use crate::django::value::{Location, PyValue, Setting, Value};
use crate::redact::is_secret_name;

const STATEMENT_BUDGET: u64 = 200_000;
const MAX_IMPORT_DEPTH: usize = 24;
const MAX_LOOP_ITERATIONS: usize = 1_000;
const MAX_BLOCK_DEPTH: u32 = 60;

/// How a literal string reaches a setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiteralKind {
    /// `SECRET_KEY = "..."`.
    Assigned(Location),
    /// `os.environ.get("X", "...")`, `env("X", default="...")`, `config("X", default="...")`.
    Fallback { variable: String, location: Location },
}

/// A name bound in a module, with where it was bound.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Binding {
    pub val: Val,
    pub assigned: Option<Location>,
    pub related: Vec<Location>,
    pub notes: Vec<String>,
    pub literal: Option<LiteralKind>,
}

pub(crate) type Namespace = BTreeMap<String, Binding>;

/// The module being run.
pub(crate) struct Frame {
    pub src: Rc<Source>,
    pub ns: Namespace,
    pub dotted: String,
    pub package: String,
    /// Comprehension variables, innermost last.
    pub locals: Vec<HashMap<String, Val>>,
    /// Set once names may come from somewhere static analysis cannot list
    /// (a star import of an unmodelled module, `globals()`): an unknown name
    /// is then unknown rather than a `NameError`.
    pub opaque_names: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExcKind {
    ModuleNotFound,
    Import,
    Type,
    Value,
    Key,
    Index,
    Name,
    Attribute,
    ZeroDivision,
    ImproperlyConfigured,
    UndefinedValue,
    Other,
}

/// A Python exception the module raises (boxed: it travels in every
/// `Result` of the interpreter).
#[derive(Debug, Clone)]
pub(crate) struct Raise(Box<RaiseDetail>);

impl std::ops::Deref for Raise {
    type Target = RaiseDetail;

    fn deref(&self) -> &RaiseDetail {
        &self.0
    }
}

impl std::ops::DerefMut for Raise {
    fn deref_mut(&mut self) -> &mut RaiseDetail {
        &mut self.0
    }
}

#[derive(Debug, Clone)]
pub(crate) struct RaiseDetail {
    pub kind: ExcKind,
    /// The class name as Python prints it.
    pub class: String,
    pub message: String,
    pub location: Location,
    /// Import statements the exception passed through, innermost first.
    pub trail: Vec<Location>,
}

impl Raise {
    pub fn describe(&self) -> String {
        let origin = format!("{}:{}", self.location.file, self.location.line);
        if self.message.is_empty() {
            format!("{} at {origin}", self.class)
        } else {
            format!("{}: {} at {origin}", self.class, self.message)
        }
    }
}

fn class_of(kind: ExcKind) -> &'static str {
    match kind {
        ExcKind::ModuleNotFound => "ModuleNotFoundError",
        ExcKind::Import => "ImportError",
        ExcKind::Type => "TypeError",
        ExcKind::Value => "ValueError",
        ExcKind::Key => "KeyError",
        ExcKind::Index => "IndexError",
        ExcKind::Name => "NameError",
        ExcKind::Attribute => "AttributeError",
        ExcKind::ZeroDivision => "ZeroDivisionError",
        ExcKind::ImproperlyConfigured => "ImproperlyConfigured",
        ExcKind::UndefinedValue => "UndefinedValueError",
        ExcKind::Other => "Exception",
    }
}

/// Whether `except <handler>:` catches an exception of this class.
fn is_caught_by(raise: &Raise, handler: &str) -> bool {
    match handler {
        "Exception" | "BaseException" => true,
        "ImportError" => matches!(raise.kind, ExcKind::ModuleNotFound | ExcKind::Import),
        "LookupError" => matches!(raise.kind, ExcKind::Key | ExcKind::Index),
        "ArithmeticError" => raise.kind == ExcKind::ZeroDivision,
        other => other == raise.class,
    }
}

#[derive(Clone)]
enum ModuleState {
    Running,
    Done(Namespace),
}

pub(crate) struct Interp<'a> {
    pub input: &'a AnalysisInput<'a>,
    pub env: Environment,
    pub decouple: Vec<DecoupleState>,
    pub files: Vec<String>,
    pub dotenv_files: Vec<String>,
    pub notes: Vec<Note>,
    modules: HashMap<String, ModuleState>,
    pub sys_path: Vec<String>,
    import_stack: Vec<String>,
    steps: u64,
    budget_noted: bool,
    pub eval_depth: u32,
    pub eval_steps: u64,
    block_depth: u32,
    /// Evidence gathered while evaluating the current statement.
    pub trace: Vec<Location>,
    pub stmt_notes: Vec<String>,
    pub literal: Option<LiteralKind>,
    conditions: Vec<String>,
    pub try_depth: u32,
    /// Set during a dry run of a branch that does not run.
    speculating: bool,
    /// A file that cannot be analysed at all (syntax error): the analysis fails.
    pub fatal: Option<SettingsError>,
}

pub(crate) fn run(input: &AnalysisInput) -> Result<SettingsAnalysis, SettingsError> {
    let project_dir = normalize(&input.project_dir.to_string_lossy());
    let mut interp = Interp {
        input,
        env: Environment::default(),
        decouple: vec![DecoupleState::auto(None)],
        files: Vec::new(),
        dotenv_files: Vec::new(),
        notes: Vec::new(),
        modules: HashMap::new(),
        sys_path: vec![project_dir.clone()],
        import_stack: Vec::new(),
        steps: 0,
        budget_noted: false,
        eval_depth: 0,
        eval_steps: 0,
        block_depth: 0,
        trace: Vec::new(),
        stmt_notes: Vec::new(),
        literal: None,
        conditions: Vec::new(),
        try_depth: 0,
        speculating: false,
        fatal: None,
    };

    if let Some(env_file) = input.env_file {
        interp.load_process_env(&normalize(&env_file.to_string_lossy()))?;
    }

    let Some((module_file, _)) = interp.resolve_project(input.module) else {
        return Err(SettingsError {
            file: project_dir,
            line: None,
            message: format!(
                "no module `{}` here (looked for {0}.py and {0}/__init__.py); check --settings and --project",
                input.module.replace('.', "/")
            ),
        });
    };

    // The parent packages run first, as `import config.settings` runs
    // `config/__init__.py`.
    let parts: Vec<&str> = input.module.split('.').collect();
    let mut outcome = Ok(());
    for end in 1..parts.len() {
        let parent = parts[..end].join(".");
        if interp.resolve_project(&parent).is_some_and(|(_, package)| package) {
            outcome = interp.run_module(&parent);
            if outcome.is_err() {
                break;
            }
        }
    }
    let mut namespace = Namespace::new();
    if outcome.is_ok() {
        let (ns, result) = interp.execute_module(input.module, &module_file);
        namespace = ns;
        outcome = result;
    }
    if let Some(fatal) = interp.fatal.take() {
        return Err(fatal);
    }
    let import_failure = outcome.err().map(|raise| Note {
        location: Some(raise.trail.last().cloned().unwrap_or_else(|| raise.location.clone())),
        message: format!(
            "the settings module fails to import ({}); Django would not start with it, and the values shown are those up to the failing statement",
            raise.describe()
        ),
    });
    if let Some(note) = &import_failure {
        interp.notes.push(note.clone());
    }
    Ok(interp.finish(module_file, namespace, import_failure))
}

/// Collapses `.` and `..` of an inside path and keeps it absolute.
pub(crate) fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

pub(crate) fn parent_dir(path: &str) -> String {
    match path.rfind('/') {
        Some(0) | None => "/".to_owned(),
        Some(pos) => path[..pos].to_owned(),
    }
}

pub(crate) fn join_path(base: &str, rest: &str) -> String {
    if rest.starts_with('/') { normalize(rest) } else { normalize(&format!("{base}/{rest}")) }
}

impl Interp<'_> {
    fn finish(
        self,
        module_file: String,
        namespace: Namespace,
        import_failure: Option<Note>,
    ) -> SettingsAnalysis {
        let mut notes = self.notes;
        let mut settings = BTreeMap::new();
        let mut literals = BTreeMap::new();
        for (name, binding) in namespace {
            if !is_setting_name(&name) {
                continue;
            }
            if name == "MIDDLEWARE_CLASSES" {
                notes.push(Note {
                    location: binding.assigned.clone(),
                    message:
                        "MIDDLEWARE_CLASSES is ignored since Django 2.0: only MIDDLEWARE counts"
                            .to_owned(),
                });
            }
            if let Some(literal) = &binding.literal {
                literals.insert(name.clone(), literal.clone());
            }
            let secret = is_secret_name(&name);
            let value = match to_py(&binding.val) {
                Ok(PyValue::Opaque { type_name, .. }) if secret => Value::Known(PyValue::Opaque {
                    source: format!("<{type_name}, hidden>"),
                    type_name,
                }),
                Ok(v) => Value::Known(v),
                // A reason quoting source text could quote the secret.
                Err(reason) if secret && reason.contains(['"', '\'']) => Value::Unknown(
                    "cannot be known statically (the details would show source text of a secret)"
                        .to_owned(),
                ),
                Err(reason) => Value::Unknown(reason),
            };
            let setting = Setting {
                name: name.clone(),
                value,
                assigned: binding.assigned,
                related: binding.related,
                notes: binding.notes,
                secret,
            };
            settings.insert(name, setting);
        }
        SettingsAnalysis {
            module_file,
            files: self.files,
            notes,
            dotenv_files: self.dotenv_files,
            settings,
            literals,
            import_failure,
        }
    }

    fn load_process_env(&mut self, inside: &str) -> Result<(), SettingsError> {
        let host = self.input.target.host_path(inside);
        let text = std::fs::read_to_string(&host).map_err(|err| SettingsError {
            file: inside.to_owned(),
            line: None,
            message: format!("cannot read the --env-file: {err}"),
        })?;
        self.files.push(inside.to_owned());
        let entries = dotenv::parse(&text, Dialect::PythonDotenv);
        for entry in entries {
            let Some(value) = entry.value else { continue };
            let location = Location { file: inside.to_owned(), line: entry.line, text: entry.text };
            self.env.set(&entry.name, value, Some(location));
        }
        self.env.complete = true;
        Ok(())
    }

    pub fn note(&mut self, location: Option<Location>, message: String) {
        let note = Note { location, message };
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    // ---- modules and imports ----

    /// The file of a project module: `a/b.py` or the package `a/b/__init__.py`
    /// under a `sys.path` entry.
    pub fn resolve_project(&self, dotted: &str) -> Option<(String, bool)> {
        if dotted.is_empty() || dotted.split('.').any(str::is_empty) {
            return None;
        }
        let rel = dotted.replace('.', "/");
        for dir in &self.sys_path {
            let base = join_path(dir, &rel);
            let init = format!("{base}/__init__.py");
            if self.input.target.host_path(&init).is_file() {
                return Some((init, true));
            }
            let file = format!("{base}.py");
            if self.input.target.host_path(&file).is_file() {
                return Some((file, false));
            }
        }
        None
    }

    /// True when `dotted` is a directory under `sys.path` (a namespace package).
    fn is_project_dir(&self, dotted: &str) -> bool {
        let rel = dotted.replace('.', "/");
        self.sys_path.iter().any(|dir| self.input.target.host_path(join_path(dir, &rel)).is_dir())
    }

    /// Runs a project module once (Python caches it in `sys.modules`).
    pub fn run_module(&mut self, dotted: &str) -> Result<(), Raise> {
        match self.modules.get(dotted) {
            Some(ModuleState::Done(_) | ModuleState::Running) => return Ok(()),
            None => {}
        }
        let Some((file, _)) = self.resolve_project(dotted) else {
            return Ok(());
        };
        let (_, result) = self.execute_module(dotted, &file);
        result
    }

    pub fn module_namespace(&self, dotted: &str) -> Option<&Namespace> {
        match self.modules.get(dotted) {
            Some(ModuleState::Done(ns)) => Some(ns),
            _ => None,
        }
    }

    /// Runs `file` as module `dotted` and returns its namespace (also the
    /// partial one when it raises).
    fn execute_module(&mut self, dotted: &str, file: &str) -> (Namespace, Result<(), Raise>) {
        let here = Location { file: file.to_owned(), line: 1, text: String::new() };
        if self.import_stack.len() >= MAX_IMPORT_DEPTH {
            let raise = raise(ExcKind::Import, "imports nested too deeply for the analysis", here);
            return (Namespace::new(), Err(raise));
        }
        let source = match Source::load(self.input.target, file) {
            Ok(source) => Rc::new(source),
            Err(err) => {
                self.fatal.get_or_insert(err);
                let raise = raise(ExcKind::Other, "the file cannot be analysed", here);
                return (Namespace::new(), Err(raise));
            }
        };
        if !self.files.iter().any(|f| f == file) {
            self.files.push(file.to_owned());
        }
        self.modules.insert(dotted.to_owned(), ModuleState::Running);
        self.import_stack.push(dotted.to_owned());
        let package = if file.ends_with("/__init__.py") {
            dotted.to_owned()
        } else {
            dotted.rsplit_once('.').map(|(p, _)| p.to_owned()).unwrap_or_default()
        };
        let mut frame = Frame {
            src: Rc::clone(&source),
            ns: Namespace::new(),
            dotted: dotted.to_owned(),
            package,
            locals: Vec::new(),
            opaque_names: false,
        };
        let root = source.tree.root_node();
        let result = self.exec_block(&mut frame, root);
        self.import_stack.pop();
        match &result {
            Ok(()) => {
                self.modules.insert(dotted.to_owned(), ModuleState::Done(frame.ns.clone()));
            }
            Err(_) => {
                self.modules.remove(dotted);
            }
        }
        (frame.ns, result)
    }

    /// Imports `dotted`: runs it when it is part of the project, else checks
    /// that it would import. Returns true for a project module.
    pub fn import_module(&mut self, dotted: &str, location: &Location) -> Result<bool, Raise> {
        let parts: Vec<&str> = dotted.split('.').collect();
        let first_is_project =
            self.resolve_project(parts[0]).is_some() || self.is_project_dir(parts[0]);
        if first_is_project {
            for end in 1..=parts.len() {
                let prefix = parts[..end].join(".");
                if self.resolve_project(&prefix).is_some() {
                    self.run_module(&prefix).map_err(|mut raise| {
                        raise.trail.push(location.clone());
                        raise
                    })?;
                } else if !self.is_project_dir(&prefix) {
                    return Err(raise(
                        ExcKind::ModuleNotFound,
                        format!("No module named '{prefix}'"),
                        location.clone(),
                    ));
                }
            }
            return Ok(true);
        }
        self.check_external(dotted, location)?;
        Ok(false)
    }

    /// Whether a module outside the project imports: the standard library
    /// does; a third-party module does when it is in site-packages (when
    /// site-packages is known; otherwise it is assumed to).
    fn check_external(&mut self, dotted: &str, location: &Location) -> Result<(), Raise> {
        let top = dotted.split('.').next().unwrap_or(dotted);
        if STDLIB.contains(&top) {
            return Ok(());
        }
        if let Some(site) = &self.input.site_packages {
            let found = site.join(top).is_dir()
                || site.join(format!("{top}.py")).is_file()
                || std::fs::read_dir(site).is_ok_and(|entries| {
                    entries.flatten().any(|e| {
                        let name = e.file_name().to_string_lossy().to_string();
                        name.starts_with(&format!("{top}."))
                            && Path::new(&name).extension().is_some_and(|ext| {
                                ext.eq_ignore_ascii_case("so") || ext.eq_ignore_ascii_case("pyd")
                            })
                    })
                });
            if found {
                Ok(())
            } else {
                Err(raise(
                    ExcKind::ModuleNotFound,
                    format!("No module named '{top}'"),
                    location.clone(),
                ))
            }
        } else {
            if self.try_depth > 0 {
                self.note(
                    Some(location.clone()),
                    format!("assumed `{dotted}` imports: the project's site-packages is not known, so a failing import here cannot be seen"),
                );
            }
            Ok(())
        }
    }

    // ---- statements ----

    pub fn exec_block(&mut self, f: &mut Frame, node: Node<'_>) -> Result<(), Raise> {
        if self.block_depth >= MAX_BLOCK_DEPTH {
            let reason = format!(
                "assigned in blocks nested too deeply for static analysis, at {}:{}",
                f.src.file_name(),
                line_of(node)
            );
            self.forget_assigned(f, node, &reason);
            return Ok(());
        }
        self.block_depth += 1;
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
        let mut result = Ok(());
        for child in children {
            result = self.exec_stmt(f, child);
            if result.is_err() {
                break;
            }
        }
        self.block_depth -= 1;
        result
    }

    fn exec_stmt(&mut self, f: &mut Frame, node: Node<'_>) -> Result<(), Raise> {
        self.steps += 1;
        if self.steps > STATEMENT_BUDGET {
            if !self.budget_noted {
                self.budget_noted = true;
                let location = f.src.location(node);
                self.note(Some(location), "the settings run too many statements for static analysis; the rest was not read".to_owned());
            }
            return Ok(());
        }
        self.trace.clear();
        self.stmt_notes.clear();
        self.literal = None;
        match node.kind() {
            "expression_statement" => {
                let Some(expr) = node.named_child(0) else { return Ok(()) };
                match expr.kind() {
                    "assignment" => self.exec_assignment(f, node, expr),
                    "augmented_assignment" => self.exec_augmented(f, node, expr),
                    _ => self.exec_expression(f, node, expr),
                }
            }
            "if_statement" => self.exec_if(f, node),
            "try_statement" => self.exec_try(f, node),
            "import_statement" => self.exec_import(f, node),
            "import_from_statement" => self.exec_import_from(f, node),
            "function_definition" | "class_definition" => {
                self.bind_definition(f, node);
                Ok(())
            }
            "decorated_definition" => {
                if let Some(def) = node.child_by_field_name("definition") {
                    self.bind_definition(f, def);
                }
                Ok(())
            }
            "with_statement" => {
                self.bind_with_targets(f, node);
                match node.child_by_field_name("body") {
                    Some(body) => self.exec_block(f, body),
                    None => Ok(()),
                }
            }
            "for_statement" => self.exec_for(f, node),
            "delete_statement" => {
                let mut cursor = node.walk();
                let targets: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
                for target in targets {
                    self.delete_target(f, target);
                }
                Ok(())
            }
            "raise_statement" => Err(exec_raise(f, node)),
            "pass_statement"
            | "comment"
            | "future_import_statement"
            | "global_statement"
            | "nonlocal_statement"
            | "assert_statement"
            | "print_statement"
            | "type_alias_statement" => Ok(()),
            _ => {
                // `while`, `match` and anything else: what they assign is unknown.
                let reason = format!(
                    "assigned in a `{}` at {}:{}, which static analysis does not run",
                    keyword(node),
                    f.src.file_name(),
                    line_of(node)
                );
                self.forget_assigned(f, node, &reason);
                Ok(())
            }
        }
    }

    /// `with open(p) as fh:` binds `fh` to something not modelled.
    fn bind_with_targets(&mut self, f: &mut Frame, node: Node<'_>) {
        let location = f.src.location(node);
        let mut stack: Vec<Node<'_>> = Vec::new();
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor).filter(|c| c.kind() != "block"));
        while let Some(n) = stack.pop() {
            if n.kind() == "as_pattern_target" {
                let mut names = Vec::new();
                collect_targets(&f.src, n, &mut names);
                for name in names {
                    let reason = format!(
                        "bound by a `with` statement at {}:{}",
                        location.file, location.line
                    );
                    self.bind(f, &name, Val::Unknown(reason), location.clone(), false);
                }
                continue;
            }
            let mut cursor = n.walk();
            stack.extend(n.named_children(&mut cursor));
        }
    }

    fn bind_definition(&mut self, f: &mut Frame, node: Node<'_>) {
        let Some(name) = node.child_by_field_name("name") else { return };
        let name = f.src.node_text(name).to_owned();
        let type_name = if node.kind() == "class_definition" { "type" } else { "function" };
        let location = f.src.location(node);
        let val = Val::opaque(type_name, &name);
        self.bind(f, &name, val, location, false);
    }
}

/// The exception a `raise` statement raises, by the class it names.
fn exec_raise(f: &Frame, node: Node<'_>) -> Raise {
    {
        let location = f.src.location(node);
        let text = node.named_child(0).map(|n| f.src.node_text(n).to_owned()).unwrap_or_default();
        let class =
            text.split(['(', ' ']).next().unwrap_or("").rsplit('.').next().unwrap_or("").to_owned();
        let kind = match class.as_str() {
            "ImportError" => ExcKind::Import,
            "ModuleNotFoundError" => ExcKind::ModuleNotFound,
            "TypeError" => ExcKind::Type,
            "ValueError" => ExcKind::Value,
            "KeyError" => ExcKind::Key,
            "ImproperlyConfigured" => ExcKind::ImproperlyConfigured,
            _ => ExcKind::Other,
        };
        let class = if class.is_empty() { "Exception".to_owned() } else { class };
        Raise(Box::new(RaiseDetail {
            kind,
            class,
            message: String::new(),
            location,
            trail: Vec::new(),
        }))
    }
}

impl Interp<'_> {
    /// Binds `name` in the module; `mutation` keeps the earlier history (a
    /// list operation, an item assignment).
    pub fn bind(
        &mut self,
        f: &mut Frame,
        name: &str,
        val: Val,
        location: Location,
        mutation: bool,
    ) {
        let mut related: Vec<Location> = Vec::new();
        let mut notes: Vec<String> = Vec::new();
        let mut literal = self.literal.clone();
        if mutation && let Some(old) = f.ns.get(name) {
            related.extend(old.related.iter().cloned());
            related.extend(old.assigned.iter().cloned());
            notes.extend(old.notes.iter().cloned());
            if literal.is_none() {
                literal.clone_from(&old.literal);
            }
        }
        for loc in &self.trace {
            if !related.contains(loc) {
                related.push(loc.clone());
            }
        }
        related.retain(|loc| *loc != location);
        related.dedup();
        if is_secret_name(name) {
            // The .env line that feeds a secret shows no value, whatever the
            // variable is called there.
            for loc in &mut related {
                if Path::new(&loc.file).extension().is_none_or(|e| e != "py") {
                    loc.text = super::source::hide_value(&loc.text);
                }
            }
        }
        for note in self.stmt_notes.iter().chain(self.conditions.iter()) {
            if !notes.contains(note) {
                notes.push(note.clone());
            }
        }
        if is_secret_name(name)
            && let Some(LiteralKind::Fallback { variable, location }) = &literal
        {
            self.note(
                    Some(location.clone()),
                    format!("{name} falls back to a literal string written in the settings when {variable} is not set"),
                );
        }
        f.ns.insert(
            name.to_owned(),
            Binding { val, assigned: Some(location), related, notes, literal },
        );
    }

    fn exec_assignment(
        &mut self,
        f: &mut Frame,
        stmt: Node<'_>,
        node: Node<'_>,
    ) -> Result<(), Raise> {
        let location = f.src.location(stmt);
        // `a = b = value`: the innermost right-hand side, bound to every target.
        let mut targets = vec![];
        let mut current = node;
        loop {
            if let Some(left) = current.child_by_field_name("left") {
                targets.push(left);
            }
            match current.child_by_field_name("right") {
                Some(right) if right.kind() == "assignment" => current = right,
                Some(right) => {
                    let val = self.eval(f, right)?;
                    if is_string_literal(right) && self.literal.is_none() {
                        self.literal = Some(LiteralKind::Assigned(location.clone()));
                    }
                    for target in targets {
                        self.assign_target(f, target, val.clone(), &location)?;
                    }
                    return Ok(());
                }
                // An annotation without a value binds nothing.
                None => return Ok(()),
            }
        }
    }

    fn exec_augmented(
        &mut self,
        f: &mut Frame,
        stmt: Node<'_>,
        node: Node<'_>,
    ) -> Result<(), Raise> {
        let location = f.src.location(stmt);
        let (Some(left), Some(right), Some(op)) = (
            node.child_by_field_name("left"),
            node.child_by_field_name("right"),
            node.child_by_field_name("operator"),
        ) else {
            return Ok(());
        };
        let op = f.src.node_text(op).trim_end_matches('=').to_owned();
        let current = self.eval(f, left)?;
        let operand = self.eval(f, right)?;
        let result = match (&current, op.as_str()) {
            // `list += iterable` extends in place; any iterable will do.
            (Val::List(items), "+") => {
                if let Val::Unknown(reason) = &operand {
                    Val::Unknown(reason.clone())
                } else if let Some(more) = operand.iter_items() {
                    let mut items = items.clone();
                    items.extend(more);
                    Val::List(items)
                } else {
                    let msg = format!("'{}' object is not iterable", operand.type_name());
                    return Err(raise(ExcKind::Type, msg, location));
                }
            }
            _ => Self::binary(&op, &current, &operand, &location)?,
        };
        self.assign_target(f, left, result, &location)
    }

    fn exec_expression(
        &mut self,
        f: &mut Frame,
        stmt: Node<'_>,
        expr: Node<'_>,
    ) -> Result<(), Raise> {
        if expr.kind() == "call"
            && let Some(function) = expr.child_by_field_name("function")
            && function.kind() == "attribute"
            && let (Some(object), Some(method)) =
                (function.child_by_field_name("object"), function.child_by_field_name("attribute"))
        {
            let method = f.src.node_text(method).to_owned();
            if MUTATORS.contains(&method.as_str()) && is_mutable_place(f, object) {
                return self.exec_mutation(f, stmt, expr, object, &method);
            }
        }
        self.eval(f, expr).map(|_| ())
    }
}

/// True when `node` names a list, dict or set held in the module (so that a
/// method call on it changes the binding).
fn is_mutable_place(f: &Frame, node: Node<'_>) -> bool {
    {
        let mut root = node;
        while matches!(root.kind(), "subscript" | "attribute") {
            let Some(inner) = root.child_by_field_name(if root.kind() == "subscript" {
                "value"
            } else {
                "object"
            }) else {
                return false;
            };
            root = inner;
        }
        if root.kind() != "identifier" {
            return false;
        }
        let name = f.src.node_text(root);
        f.ns.get(name).is_some_and(|b| {
            matches!(
                b.val,
                Val::List(_) | Val::Dict(_) | Val::Set(_) | Val::Tuple(_) | Val::Unknown(_)
            )
        })
    }
}

impl Interp<'_> {
    fn exec_mutation(
        &mut self,
        f: &mut Frame,
        stmt: Node<'_>,
        call: Node<'_>,
        object: Node<'_>,
        method: &str,
    ) -> Result<(), Raise> {
        let location = f.src.location(stmt);
        let args = match call.child_by_field_name("arguments") {
            Some(arguments) => self.eval_args(f, arguments)?,
            None => super::eval::Args::default(),
        };
        let receiver = self.eval(f, object)?;
        let Some(updated) = Self::mutate(receiver, method, &args, &location)? else {
            return self.eval(f, call).map(|_| ());
        };
        self.store(f, object, updated, &location, true)
    }

    /// Binds a target: a name, a tuple of names, an item or an attribute.
    pub fn assign_target(
        &mut self,
        f: &mut Frame,
        target: Node<'_>,
        val: Val,
        location: &Location,
    ) -> Result<(), Raise> {
        match target.kind() {
            "identifier" => {
                let name = f.src.node_text(target).to_owned();
                self.bind(f, &name, val, location.clone(), false);
                Ok(())
            }
            "pattern_list" | "tuple_pattern" | "list_pattern" | "parenthesized_expression" => {
                let mut cursor = target.walk();
                let parts: Vec<Node<'_>> =
                    target.named_children(&mut cursor).filter(|n| n.kind() != "comment").collect();
                if target.kind() == "parenthesized_expression" && parts.len() == 1 {
                    return self.assign_target(f, parts[0], val, location);
                }
                let items = match &val {
                    Val::Unknown(_) => None,
                    other => other.iter_items(),
                };
                match items {
                    Some(items) if items.len() == parts.len() => {
                        for (part, item) in parts.into_iter().zip(items) {
                            self.assign_target(f, part, item, location)?;
                        }
                        Ok(())
                    }
                    Some(items) if parts.iter().all(|p| p.kind() != "list_splat_pattern") => {
                        let msg = format!(
                            "cannot unpack {} values into {} names",
                            items.len(),
                            parts.len()
                        );
                        Err(raise(ExcKind::Value, msg, location.clone()))
                    }
                    _ => {
                        let reason = val.unknown_reason().map_or_else(
                            || {
                                format!(
                                    "unpacked from a value static analysis cannot split, at {}:{}",
                                    location.file, location.line
                                )
                            },
                            str::to_owned,
                        );
                        for part in parts {
                            let inner = if part.kind() == "list_splat_pattern" {
                                part.named_child(0).unwrap_or(part)
                            } else {
                                part
                            };
                            self.assign_target(f, inner, Val::Unknown(reason.clone()), location)?;
                        }
                        Ok(())
                    }
                }
            }
            "subscript" | "attribute" => self.store(f, target, val, location, true),
            _ => Ok(()),
        }
    }

    /// Writes `val` to the place `node` names (`X`, `X["k"]`, `X[0]["k"]`,
    /// `env.escape_proxy`), keeping the history of the root name.
    fn store(
        &mut self,
        f: &mut Frame,
        node: Node<'_>,
        val: Val,
        location: &Location,
        mutation: bool,
    ) -> Result<(), Raise> {
        enum Step {
            Item(Val),
            Attr(String),
        }
        let mut steps = Vec::new();
        let mut root = node;
        loop {
            match root.kind() {
                "subscript" => {
                    let Some(key) = root.child_by_field_name("subscript") else { return Ok(()) };
                    let key = self.eval(f, key)?;
                    steps.push(Step::Item(key));
                    let Some(inner) = root.child_by_field_name("value") else { return Ok(()) };
                    root = inner;
                }
                "attribute" => {
                    let Some(attr) = root.child_by_field_name("attribute") else { return Ok(()) };
                    steps.push(Step::Attr(f.src.node_text(attr).to_owned()));
                    let Some(inner) = root.child_by_field_name("object") else { return Ok(()) };
                    root = inner;
                }
                "parenthesized_expression" => match root.named_child(0) {
                    Some(inner) => root = inner,
                    None => return Ok(()),
                },
                _ => break,
            }
        }
        steps.reverse();
        if root.kind() != "identifier" {
            // `os.environ["X"] = "1"` and other writes through an expression.
            if let (Some(Step::Item(key)), 1) = (steps.first(), steps.len()) {
                let holder = self.eval(f, root)?;
                if holder == Val::Module("os.environ".to_owned())
                    && let (Some(name), Some(value)) = (key.py_str(), val.py_str())
                {
                    self.env.set(&name, value, Some(location.clone()));
                }
            }
            return Ok(());
        }
        let name = f.src.node_text(root).to_owned();
        if steps.is_empty() {
            self.bind(f, &name, val, location.clone(), mutation);
            return Ok(());
        }
        let Some(binding) = f.ns.get(&name) else {
            if name == "os" || matches!(super::eval::builtin(&name), Some(Val::Module(_))) {
                return Ok(());
            }
            let msg = format!("name '{name}' is not defined");
            return Err(raise(ExcKind::Name, msg, location.clone()));
        };
        let mut whole = binding.val.clone();
        // `os.environ["X"] = ...` through an imported `os`.
        if let (Val::Module(module), [Step::Attr(attr), Step::Item(key)]) =
            (&whole, steps.as_slice())
            && module == "os"
            && attr == "environ"
        {
            if let (Some(var), Some(value)) = (key.py_str(), val.py_str()) {
                self.env.set(&var, value, Some(location.clone()));
            }
            return Ok(());
        }
        let mut place = &mut whole;
        for (i, step) in steps.iter().enumerate() {
            let last = i + 1 == steps.len();
            match (step, place) {
                (Step::Attr(attr), Val::Env(reader)) if last => {
                    match attr.as_str() {
                        "escape_proxy" => {
                            reader.escape_proxy = val.truthy().unwrap_or(reader.escape_proxy);
                        }
                        "smart_cast" => {
                            reader.smart_cast = val.truthy().unwrap_or(reader.smart_cast);
                        }
                        "prefix" => reader.prefix = val.py_str().unwrap_or_default(),
                        _ => {}
                    }
                    break;
                }
                (Step::Item(key), Val::Dict(entries)) => {
                    let pos = entries.iter().position(|(k, _)| py_eq(k, key) == Some(true));
                    if last {
                        match pos {
                            Some(pos) => entries[pos].1 = val.clone(),
                            None => entries.push((key.clone(), val.clone())),
                        }
                        break;
                    }
                    if let Some(pos) = pos {
                        place = &mut entries[pos].1;
                    } else {
                        let msg = key.py_str().unwrap_or_default();
                        return Err(raise(ExcKind::Key, msg, location.clone()));
                    }
                }
                (Step::Item(Val::Int(index)), Val::List(items)) => {
                    let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                    let at = if *index < 0 { index + len } else { *index };
                    let Some(slot) = usize::try_from(at).ok().filter(|a| *a < items.len()) else {
                        return Err(raise(
                            ExcKind::Index,
                            "list assignment index out of range",
                            location.clone(),
                        ));
                    };
                    if last {
                        items[slot] = val.clone();
                        break;
                    }
                    place = &mut items[slot];
                }
                (_, Val::Tuple(_)) => {
                    return Err(raise(
                        ExcKind::Type,
                        "'tuple' object does not support item assignment",
                        location.clone(),
                    ));
                }
                (_, other) => {
                    // Something not modelled (an unknown value, an object).
                    if !matches!(other, Val::Opaque { .. } | Val::Module(_)) {
                        let reason = format!(
                            "changed at {}:{} in a way static analysis cannot follow",
                            location.file, location.line
                        );
                        *other = Val::Unknown(other.unknown_reason().map_or(reason, str::to_owned));
                    }
                    break;
                }
            }
        }
        self.bind(f, &name, whole, location.clone(), true);
        Ok(())
    }

    fn delete_target(&mut self, f: &mut Frame, target: Node<'_>) {
        match target.kind() {
            "identifier" => {
                f.ns.remove(f.src.node_text(target));
            }
            "expression_list" | "tuple" | "pattern_list" => {
                let mut cursor = target.walk();
                let parts: Vec<Node<'_>> = target.named_children(&mut cursor).collect();
                for part in parts {
                    self.delete_target(f, part);
                }
            }
            "subscript" => {
                // `del X[k]`: the container without the item; a deeper or
                // unknown place makes the root unknown.
                let location = f.src.location(target);
                let (Some(holder), Some(key)) =
                    (target.child_by_field_name("value"), target.child_by_field_name("subscript"))
                else {
                    return;
                };
                let removed = match (self.eval(f, holder), self.eval(f, key)) {
                    (Ok(Val::List(mut items)), Ok(Val::Int(i))) => {
                        let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                        let at = if i < 0 { i + len } else { i };
                        usize::try_from(at).ok().filter(|a| *a < items.len()).map(|a| {
                            items.remove(a);
                            Val::List(items)
                        })
                    }
                    (Ok(Val::Dict(mut entries)), Ok(key)) => {
                        let before = entries.len();
                        entries.retain(|(k, _)| py_eq(k, &key) != Some(true));
                        (entries.len() < before).then_some(Val::Dict(entries))
                    }
                    _ => None,
                };
                let reason =
                    format!("changed by a `del` at {}:{}", f.src.file_name(), line_of(target));
                let value = removed.unwrap_or(Val::Unknown(reason));
                let _ = self.store(f, holder, value, &location, true);
            }
            _ => {
                let reason =
                    format!("changed by a `del` at {}:{}", f.src.file_name(), line_of(target));
                let mut names = Vec::new();
                collect_targets(&f.src, target, &mut names);
                let location = f.src.location(target);
                for name in names {
                    self.bind(f, &name, Val::Unknown(reason.clone()), location.clone(), true);
                }
            }
        }
    }

    /// Makes every name a statement may bind or change unknown.
    fn forget_assigned(&mut self, f: &mut Frame, node: Node<'_>, reason: &str) {
        let mut names = Vec::new();
        collect_assigned(&f.src, node, &mut names);
        let location = f.src.location(node);
        for name in names {
            self.bind(f, &name, Val::Unknown(reason.to_owned()), location.clone(), true);
        }
    }

    // ---- if ----

    fn exec_if(&mut self, f: &mut Frame, node: Node<'_>) -> Result<(), Raise> {
        let header = format!(
            "`if {}:` at {}:{}",
            node.child_by_field_name("condition").map(|c| f.src.snippet(c)).unwrap_or_default(),
            f.src.file_name(),
            line_of(node)
        );
        // Each clause: its condition (None for `else`) and its body.
        let mut clauses: Vec<(Option<Node<'_>>, Option<Node<'_>>)> = Vec::new();
        clauses
            .push((node.child_by_field_name("condition"), node.child_by_field_name("consequence")));
        let mut cursor = node.walk();
        for alt in node.children_by_field_name("alternative", &mut cursor) {
            if alt.kind() == "elif_clause" {
                clauses.push((
                    alt.child_by_field_name("condition"),
                    alt.child_by_field_name("consequence"),
                ));
            } else {
                clauses.push((None, alt.child_by_field_name("body")));
            }
        }
        if clauses.last().is_some_and(|(c, _)| c.is_some()) {
            clauses.push((None, None));
        }

        // Decide what can be decided; keep the clauses that may run.
        let mut candidates: Vec<(Option<Node<'_>>, String)> = Vec::new();
        let mut first_unknown: Option<String> = None;
        let mut skipped_caveats = String::new();
        // Branches that will not run, for the dry run below.
        let mut skipped: Vec<(Node<'_>, String)> = Vec::new();
        let mut decided = false;
        for (condition, body) in clauses {
            if decided {
                if let Some(body) = body {
                    let what = condition.map_or_else(
                        || "its `else:`".to_owned(),
                        |c| format!("`elif {}:`", f.src.snippet(c)),
                    );
                    skipped.push((body, format!("{what} (it does not run)")));
                }
                continue;
            }
            let Some(condition) = condition else {
                let label = if candidates.is_empty() && first_unknown.is_none() {
                    format!(
                        "under the `else:` of {header}, which runs because the conditions are false{skipped_caveats}"
                    )
                } else {
                    format!("under the `else:` of {header}")
                };
                candidates.push((body, label));
                decided = true;
                continue;
            };
            self.trace.clear();
            self.stmt_notes.clear();
            let value = self.eval(f, condition)?;
            let caveat: String =
                self.stmt_notes.iter().map(|n| [" (", n.as_str(), ")"].concat()).collect();
            let cond_text = f.src.snippet(condition);
            let at = format!("{}:{}", f.src.file_name(), line_of(condition));
            match value.truthy() {
                Some(false) => {
                    skipped_caveats.push_str(&caveat);
                    if let Some(body) = body {
                        skipped.push((
                            body,
                            format!("`if {cond_text}:` at {at} (false, so it does not run)"),
                        ));
                    }
                }
                Some(true) => {
                    candidates.push((
                        body,
                        format!("under `if {cond_text}:` at {at}, which holds{caveat}"),
                    ));
                    decided = true;
                }
                None => {
                    let why = value.unknown_reason().map(|r| format!(" ({r})")).unwrap_or_default();
                    first_unknown.get_or_insert(format!("`if {cond_text}:` at {at}{why}"));
                    candidates.push((body, format!("under `if {cond_text}:` at {at}, which cannot be decided statically{why}")));
                }
            }
        }

        for (body, what) in skipped {
            self.dry_run(f, body, &what);
        }

        if candidates.len() == 1 {
            let (body, label) = candidates.remove(0);
            let Some(body) = body else { return Ok(()) };
            self.conditions.push(label);
            let result = self.exec_block(f, body);
            self.conditions.pop();
            return result;
        }
        let undecided = first_unknown.unwrap_or(header);
        self.run_branches(f, node, candidates, &undecided)
    }

    /// Runs a branch that does not run, on a copy of every state, only to
    /// say when it would raise (case A4: a `tuple += list` under a false
    /// `if DEBUG:` is harmless today and breaks the day DEBUG is switched on).
    fn dry_run(&mut self, f: &mut Frame, body: Node<'_>, what: &str) {
        if self.speculating {
            return;
        }
        let copy_cost: u64 = f.ns.values().map(|b| b.val.weight()).sum();
        self.eval_steps = self.eval_steps.saturating_add(copy_cost);
        let saved_ns = f.ns.clone();
        let saved_opaque = f.opaque_names;
        let saved = (
            self.env.clone(),
            self.decouple.clone(),
            self.files.clone(),
            self.dotenv_files.clone(),
            self.notes.clone(),
            self.modules.clone(),
            self.sys_path.clone(),
            self.fatal.clone(),
        );
        self.speculating = true;
        let result = self.exec_block(f, body);
        self.speculating = false;
        f.ns = saved_ns;
        f.opaque_names = saved_opaque;
        (
            self.env,
            self.decouple,
            self.files,
            self.dotenv_files,
            self.notes,
            self.modules,
            self.sys_path,
            self.fatal,
        ) = saved;
        if let Err(raise) = result {
            self.note(
                Some(raise.location.clone()),
                format!("the branch under {what} would raise {} if it ran: the settings would then fail to import", raise.describe()),
            );
        }
    }

    /// Runs each possible branch on its own copy of the state and merges:
    /// a name every branch leaves equal is known; otherwise it is unknown.
    /// A branch that raises would stop the import, so it does not count.
    fn run_branches(
        &mut self,
        f: &mut Frame,
        node: Node<'_>,
        candidates: Vec<(Option<Node<'_>>, String)>,
        undecided: &str,
    ) -> Result<(), Raise> {
        let base_ns = f.ns.clone();
        let base_env = self.env.clone();
        let base_decouple = self.decouple.clone();
        let mut finished: Vec<(Namespace, Environment)> = Vec::new();
        let mut raised: Vec<Raise> = Vec::new();
        let copy_cost: u64 = base_ns.values().map(|b| b.val.weight()).sum();
        for (body, label) in candidates {
            self.eval_steps = self.eval_steps.saturating_add(copy_cost);
            f.ns.clone_from(&base_ns);
            self.env.clone_from(&base_env);
            self.decouple.clone_from(&base_decouple);
            self.conditions.push(label);
            let result = match body {
                Some(body) => self.exec_block(f, body),
                None => Ok(()),
            };
            self.conditions.pop();
            match result {
                Ok(()) => finished.push((std::mem::take(&mut f.ns), self.env.clone())),
                Err(raise) => raised.push(raise),
            }
        }
        let location = f.src.location(node);
        for raise in &raised {
            self.note(
                Some(raise.location.clone()),
                format!("a branch of {undecided} raises {}: if it ran, the settings would fail to import", raise.describe()),
            );
        }
        if finished.is_empty() {
            f.ns = base_ns;
            return Err(raised.remove(0));
        }
        let mut names: Vec<String> =
            finished.iter().flat_map(|(ns, _)| ns.keys().cloned()).collect();
        names.sort();
        names.dedup();
        let mut merged = Namespace::new();
        for name in names {
            let versions: Vec<Option<&Binding>> =
                finished.iter().map(|(ns, _)| ns.get(&name)).collect();
            let first = versions[0];
            if versions.iter().all(|v| *v == first) {
                if let Some(b) = first {
                    merged.insert(name, b.clone());
                }
                continue;
            }
            let all_present = versions.iter().all(Option::is_some);
            let same_value = all_present
                && versions.iter().all(|v| {
                    v.is_some_and(|b| first.is_some_and(|a| a.val == b.val && !a.val.is_unknown()))
                });
            let changed: Vec<&Binding> = versions
                .iter()
                .flatten()
                .filter(|b| base_ns.get(&name) != Some(*b))
                .copied()
                .collect();
            let mut related: Vec<Location> = Vec::new();
            for b in versions.iter().flatten() {
                for loc in b.assigned.iter().chain(b.related.iter()) {
                    if !related.contains(loc) {
                        related.push(loc.clone());
                    }
                }
            }
            let assigned = changed
                .first()
                .and_then(|b| b.assigned.clone())
                .or_else(|| first.and_then(|b| b.assigned.clone()));
            related.retain(|l| Some(l) != assigned.as_ref());
            let mut notes: Vec<String> = Vec::new();
            for b in versions.iter().flatten() {
                for n in &b.notes {
                    if !notes.contains(n) {
                        notes.push(n.clone());
                    }
                }
            }
            let val = if same_value {
                notes.push(format!("the same value in every branch of {undecided}"));
                first.map_or(Val::None, |b| b.val.clone())
            } else if all_present {
                Val::Unknown(format!("assigned differently under {undecided}"))
            } else {
                Val::Unknown(format!("assigned only in some branches of {undecided}"))
            };
            let literal = changed.first().and_then(|b| b.literal.clone());
            merged.insert(name, Binding { val, assigned, related, notes, literal });
        }
        let _ = location;
        f.ns = merged;
        let envs: Vec<Environment> = finished.into_iter().map(|(_, env)| env).collect();
        self.env = Environment::merge(&envs);
        Ok(())
    }

    // ---- try ----

    fn exec_try(&mut self, f: &mut Frame, node: Node<'_>) -> Result<(), Raise> {
        let Some(body) = node.child_by_field_name("body") else { return Ok(()) };
        self.try_depth += 1;
        let result = self.exec_block(f, body);
        self.try_depth -= 1;
        let mut cursor = node.walk();
        let clauses: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
        let mut outcome = match result {
            Ok(()) => match clauses.iter().find(|c| c.kind() == "else_clause") {
                Some(else_clause) => match else_clause.child_by_field_name("body") {
                    Some(block) => self.exec_block(f, block),
                    None => Ok(()),
                },
                None => Ok(()),
            },
            Err(raise) => {
                let mut handled = None;
                for clause in clauses.iter().filter(|c| c.kind() == "except_clause") {
                    let handlers = except_names(&f.src, *clause);
                    if handlers.is_empty() || handlers.iter().any(|h| is_caught_by(&raise, h)) {
                        handled = Some(*clause);
                        break;
                    }
                }
                match handled {
                    Some(clause) => {
                        self.note_swallowed(f, &raise, clause);
                        if let Some(alias) = clause.child_by_field_name("alias") {
                            let location = f.src.location(clause);
                            let name = f.src.node_text(alias).to_owned();
                            self.bind(
                                f,
                                &name,
                                Val::opaque(&raise.class, &raise.class),
                                location,
                                false,
                            );
                        }
                        let mut cursor = clause.walk();
                        let block =
                            clause.named_children(&mut cursor).find(|c| c.kind() == "block");
                        match block {
                            Some(block) => self.exec_block(f, block),
                            None => Ok(()),
                        }
                    }
                    None => Err(raise),
                }
            }
        };
        if let Some(finally) = clauses.iter().find(|c| c.kind() == "finally_clause") {
            let mut cursor = finally.walk();
            let block = finally.named_children(&mut cursor).find(|c| c.kind() == "block");
            if let Some(block) = block {
                let result = self.exec_block(f, block);
                if result.is_err() {
                    outcome = result;
                }
            }
        }
        outcome
    }

    fn note_swallowed(&mut self, f: &Frame, raise: &Raise, clause: Node<'_>) {
        let handler = f.src.snippet(clause).split(':').next().unwrap_or("except").to_owned();
        let at = format!("{}:{}", f.src.file_name(), line_of(clause));
        let location = raise.trail.last().cloned().unwrap_or_else(|| raise.location.clone());
        let message = if raise.trail.is_empty() {
            format!(
                "{} is swallowed by `{handler}` at {at}; the rest of the `try` block does not apply",
                raise.describe()
            )
        } else {
            let module_file = raise.trail.first().map_or(String::new(), |l| l.file.clone());
            let _ = module_file;
            format!(
                "`{}` fails: {}, and `{handler}` at {at} swallows it, so none of that module's settings apply. The module exists but fails to import; catch only the missing-module case (ModuleNotFoundError with its name) so that such a failure is seen",
                location.text.trim(),
                raise.describe()
            )
        };
        self.stmt_notes.clear();
        let _ = self.stmt_notes.len();
        self.note(Some(location), message);
    }

    // ---- for ----

    fn exec_for(&mut self, f: &mut Frame, node: Node<'_>) -> Result<(), Raise> {
        let (Some(left), Some(right), Some(body)) = (
            node.child_by_field_name("left"),
            node.child_by_field_name("right"),
            node.child_by_field_name("body"),
        ) else {
            return Ok(());
        };
        let location = f.src.location(node);
        let iterable = self.eval(f, right)?;
        let items = iterable.iter_items().filter(|items| items.len() <= MAX_LOOP_ITERATIONS);
        let has_jump =
            contains_kind(body, &["break_statement", "continue_statement", "return_statement"]);
        match items {
            Some(items) if !has_jump && iterable.unknown_reason().is_none() => {
                for item in items {
                    self.assign_target(f, left, item, &location)?;
                    self.exec_block(f, body)?;
                }
                if let Some(alternative) = node.child_by_field_name("alternative")
                    && let Some(block) = alternative.child_by_field_name("body")
                {
                    self.exec_block(f, block)?;
                }
                Ok(())
            }
            _ => {
                let why = iterable.unknown_reason().map(|r| format!(" ({r})")).unwrap_or_default();
                let reason = format!(
                    "changed in a `for` loop at {}:{} that static analysis cannot unroll{why}",
                    f.src.file_name(),
                    line_of(node)
                );
                self.forget_assigned(f, node, &reason);
                Ok(())
            }
        }
    }

    // ---- imports ----

    fn exec_import(&mut self, f: &mut Frame, node: Node<'_>) -> Result<(), Raise> {
        let location = f.src.location(node);
        let mut cursor = node.walk();
        let names: Vec<Node<'_>> = node.children_by_field_name("name", &mut cursor).collect();
        for name in names {
            let (dotted, alias) = match name.kind() {
                "aliased_import" => (
                    name.child_by_field_name("name")
                        .map(|n| f.src.node_text(n).to_owned())
                        .unwrap_or_default(),
                    name.child_by_field_name("alias").map(|n| f.src.node_text(n).to_owned()),
                ),
                _ => (f.src.node_text(name).to_owned(), None),
            };
            let dotted: String = dotted.split_whitespace().collect();
            self.import_module(&dotted, &location)?;
            if let Some(alias) = alias {
                self.bind(f, &alias, Val::Module(dotted), location.clone(), false);
            } else {
                let top = dotted.split('.').next().unwrap_or(&dotted).to_owned();
                self.bind(f, &top, Val::Module(top.clone()), location.clone(), false);
            }
        }
        Ok(())
    }

    fn exec_import_from(&mut self, f: &mut Frame, node: Node<'_>) -> Result<(), Raise> {
        let location = f.src.location(node);
        let Some(module_node) = node.child_by_field_name("module_name") else { return Ok(()) };
        let dotted = if module_node.kind() == "relative_import" {
            let text: String = f.src.node_text(module_node).split_whitespace().collect();
            let level = text.chars().take_while(|c| *c == '.').count();
            let rest = &text[level..];
            let mut base: Vec<&str> =
                if f.package.is_empty() { Vec::new() } else { f.package.split('.').collect() };
            for _ in 1..level {
                base.pop();
            }
            let mut parts: Vec<String> = base.into_iter().map(str::to_owned).collect();
            if !rest.is_empty() {
                parts.push(rest.to_owned());
            }
            if parts.is_empty() {
                return Err(raise(
                    ExcKind::Import,
                    "attempted relative import with no known parent package",
                    location,
                ));
            }
            parts.join(".")
        } else {
            f.src.node_text(module_node).split_whitespace().collect()
        };
        let is_project = self.import_module(&dotted, &location)?;

        let mut cursor = node.walk();
        let wildcard = node.children(&mut cursor).any(|c| c.kind() == "wildcard_import");
        if wildcard {
            self.star_import(f, &dotted, is_project, &location);
            return Ok(());
        }
        let mut cursor = node.walk();
        let names: Vec<Node<'_>> = node.children_by_field_name("name", &mut cursor).collect();
        for name in names {
            let (imported, alias) = match name.kind() {
                "aliased_import" => (
                    name.child_by_field_name("name")
                        .map(|n| f.src.node_text(n).to_owned())
                        .unwrap_or_default(),
                    name.child_by_field_name("alias").map(|n| f.src.node_text(n).to_owned()),
                ),
                _ => (f.src.node_text(name).to_owned(), None),
            };
            let bound_as = alias.unwrap_or_else(|| imported.clone());
            if is_project {
                let found =
                    self.module_namespace(&dotted).and_then(|ns| ns.get(&imported)).cloned();
                if let Some(binding) = found {
                    f.ns.insert(bound_as, binding);
                } else {
                    let sub = format!("{dotted}.{imported}");
                    if self.resolve_project(&sub).is_some() {
                        self.import_module(&sub, &location)?;
                        self.bind(f, &bound_as, Val::Module(sub), location.clone(), false);
                    } else if self.module_namespace(&dotted).is_some() {
                        let msg = format!("cannot import name '{imported}' from '{dotted}'");
                        return Err(raise(ExcKind::Import, msg, location));
                    }
                }
            } else {
                let val = self.module_attr(&dotted, &imported);
                self.bind(f, &bound_as, val, location.clone(), false);
            }
        }
        Ok(())
    }

    fn star_import(&mut self, f: &mut Frame, dotted: &str, is_project: bool, location: &Location) {
        if !is_project {
            let names = super::eval::star_names(dotted);
            if names.is_empty() {
                f.opaque_names = true;
            }
            for (name, val) in names {
                self.bind(f, &name, val, location.clone(), false);
            }
            return;
        }
        let Some(ns) = self.module_namespace(dotted).cloned() else { return };
        let exported: Option<Vec<String>> = ns.get("__all__").and_then(|b| match &b.val {
            Val::List(items) | Val::Tuple(items) => {
                items.iter().map(super::val::Val::py_str).collect()
            }
            _ => None,
        });
        for (name, binding) in ns {
            let public = match &exported {
                Some(names) => names.contains(&name),
                None => !name.starts_with('_'),
            };
            if public {
                f.ns.insert(name, binding);
            }
        }
    }
}

/// A Python exception of `kind` raised at `location`.
pub(crate) fn raise(kind: ExcKind, message: impl Into<String>, location: Location) -> Raise {
    Raise(Box::new(RaiseDetail {
        kind,
        class: class_of(kind).to_owned(),
        message: message.into(),
        location,
        trail: Vec::new(),
    }))
}

fn keyword(node: Node<'_>) -> &'static str {
    match node.kind() {
        "while_statement" => "while",
        "match_statement" => "match",
        _ => "statement",
    }
}

fn is_string_literal(node: Node<'_>) -> bool {
    match node.kind() {
        "string" | "concatenated_string" => true,
        "parenthesized_expression" => node.named_child(0).is_some_and(is_string_literal),
        _ => false,
    }
}

fn except_names(src: &Source, clause: Node<'_>) -> Vec<String> {
    let mut names = Vec::new();
    let mut cursor = clause.walk();
    for value in clause.children_by_field_name("value", &mut cursor) {
        collect_exception_names(src, value, &mut names);
    }
    names
}

fn collect_exception_names(src: &Source, node: Node<'_>, out: &mut Vec<String>) {
    match node.kind() {
        "tuple" | "parenthesized_expression" | "expression_list" => {
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                collect_exception_names(src, child, out);
            }
        }
        "as_pattern" => {
            if let Some(first) = node.named_child(0) {
                collect_exception_names(src, first, out);
            }
        }
        _ => {
            let text = src.node_text(node);
            out.push(text.rsplit('.').next().unwrap_or(text).trim().to_owned());
        }
    }
}

fn contains_kind(node: Node<'_>, kinds: &[&str]) -> bool {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        if kinds.contains(&node.kind()) {
            return true;
        }
        let mut cursor = node.walk();
        stack.extend(
            node.named_children(&mut cursor)
                .filter(|c| !matches!(c.kind(), "function_definition" | "class_definition")),
        );
    }
    false
}

/// Names a statement may bind or change: assignment targets, `+=` targets,
/// receivers of list/dict methods, loop variables.
fn collect_assigned(src: &Source, node: Node<'_>, out: &mut Vec<String>) {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        collect_assigned_at(src, node, out, &mut stack);
    }
    out.sort();
    out.dedup();
}

/// One node of [`collect_assigned`]'s walk; pushes the children to visit.
fn collect_assigned_at<'t>(
    src: &Source,
    node: Node<'t>,
    out: &mut Vec<String>,
    stack: &mut Vec<Node<'t>>,
) {
    let root_name = |n: Node<'_>| {
        let mut root = n;
        while matches!(root.kind(), "subscript" | "attribute") {
            match root.child_by_field_name(if root.kind() == "subscript" {
                "value"
            } else {
                "object"
            }) {
                Some(inner) => root = inner,
                None => break,
            }
        }
        (root.kind() == "identifier").then(|| src.node_text(root).to_owned())
    };
    match node.kind() {
        "assignment" | "augmented_assignment" | "for_statement" | "named_expression" => {
            if let Some(left) = node.child_by_field_name(if node.kind() == "named_expression" {
                "name"
            } else {
                "left"
            }) {
                collect_targets(src, left, out);
            }
        }
        "call" => {
            if let Some(function) = node.child_by_field_name("function")
                && function.kind() == "attribute"
            {
                let method =
                    function.child_by_field_name("attribute").map_or("", |a| src.node_text(a));
                if MUTATORS.contains(&method)
                    && let Some(name) = function.child_by_field_name("object").and_then(root_name)
                {
                    out.push(name);
                }
            }
        }
        "function_definition" | "class_definition" => {
            if let Some(name) = node.child_by_field_name("name") {
                out.push(src.node_text(name).to_owned());
            }
            return;
        }
        _ => {}
    }
    let mut cursor = node.walk();
    stack.extend(node.named_children(&mut cursor));
}

fn collect_targets(src: &Source, node: Node<'_>, out: &mut Vec<String>) {
    match node.kind() {
        "identifier" => out.push(src.node_text(node).to_owned()),
        "subscript" | "attribute" => {
            let mut root = node;
            while matches!(root.kind(), "subscript" | "attribute") {
                match root.child_by_field_name(if root.kind() == "subscript" {
                    "value"
                } else {
                    "object"
                }) {
                    Some(inner) => root = inner,
                    None => return,
                }
            }
            if root.kind() == "identifier" {
                out.push(src.node_text(root).to_owned());
            }
        }
        _ => {
            let mut cursor = node.walk();
            let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
            for child in children {
                collect_targets(src, child, out);
            }
        }
    }
}

/// Methods that change their receiver in place.
pub(crate) const MUTATORS: &[&str] = &[
    "append",
    "extend",
    "insert",
    "remove",
    "pop",
    "clear",
    "sort",
    "reverse",
    "update",
    "setdefault",
    "add",
    "discard",
];

/// Standard-library modules that always import.
const STDLIB: &[&str] = &[
    "os",
    "sys",
    "pathlib",
    "datetime",
    "json",
    "logging",
    "socket",
    "re",
    "ast",
    "base64",
    "collections",
    "copy",
    "csv",
    "decimal",
    "enum",
    "functools",
    "glob",
    "hashlib",
    "importlib",
    "io",
    "itertools",
    "locale",
    "math",
    "mimetypes",
    "platform",
    "random",
    "secrets",
    "shutil",
    "string",
    "subprocess",
    "tempfile",
    "time",
    "typing",
    "urllib",
    "uuid",
    "warnings",
    "zoneinfo",
    "configparser",
    "contextlib",
    "dataclasses",
    "email",
    "getpass",
    "inspect",
    "ipaddress",
    "operator",
    "pprint",
    "pwd",
    "grp",
    "signal",
    "ssl",
    "struct",
    "textwrap",
    "threading",
    "traceback",
    "types",
    "unicodedata",
    "__future__",
    "builtins",
    "distutils",
    "posixpath",
    "ntpath",
    "stat",
    "calendar",
    "fnmatch",
    "gettext",
    "hmac",
    "numbers",
    "pickle",
    "shlex",
    "sysconfig",
    "tomllib",
    "weakref",
    "abc",
];
