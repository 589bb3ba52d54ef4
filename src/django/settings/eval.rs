//! Expressions: literals, operators, names, attributes, calls of the
//! functions and methods settings files use. Anything else is `Unknown` with
//! a reason; operations Python rejects (`list + tuple`) raise, as in Python.

use std::collections::HashMap;

use tree_sitter::Node;

use super::envlib::Read;
use super::interp::{ExcKind, Frame, Interp, Raise, join_path, normalize, parent_dir, raise};
use super::val::{Val, py_eq, py_float};
use crate::django::dotenv::Dialect;
use crate::django::value::Location;

const MAX_EVAL_DEPTH: u32 = 120;
const MAX_BUILT_LEN: usize = 1_000_000;
const MAX_EVAL_STEPS: u64 = 5_000_000;

/// The arguments of a call, with their nodes (to tell a literal default).
#[derive(Default)]
pub(crate) struct Args<'t> {
    pub pos: Vec<(Val, Option<Node<'t>>)>,
    pub kw: Vec<(String, Val, Option<Node<'t>>)>,
    /// A `**kwargs` whose keys are not known.
    pub opaque: bool,
}

impl<'t> Args<'t> {
    /// The argument at position `index` or named `name`.
    pub fn get(&self, index: usize, name: &str) -> Option<&Val> {
        self.kw
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, v, _)| v)
            .or_else(|| self.pos.get(index).map(|(v, _)| v))
    }

    pub fn node(&self, index: usize, name: &str) -> Option<Node<'t>> {
        self.kw
            .iter()
            .find(|(n, _, _)| n == name)
            .and_then(|(_, _, node)| *node)
            .or_else(|| self.pos.get(index).and_then(|(_, n)| *n))
    }

    pub fn kw(&self, name: &str) -> Option<&Val> {
        self.kw.iter().find(|(n, _, _)| n == name).map(|(_, v, _)| v)
    }

    fn first_unknown(&self) -> Option<String> {
        self.pos.iter().map(|(v, _)| v).chain(self.kw.iter().map(|(_, v, _)| v)).find_map(|v| {
            match v {
                Val::Unknown(r) => Some(r.clone()),
                _ => None,
            }
        })
    }
}

fn unknown(reason: impl Into<String>) -> Val {
    Val::Unknown(reason.into())
}

impl Interp<'_> {
    pub fn eval(&mut self, f: &mut Frame, node: Node<'_>) -> Result<Val, Raise> {
        if self.eval_depth >= MAX_EVAL_DEPTH {
            return Ok(unknown("an expression nested too deeply for static analysis"));
        }
        self.eval_steps += 1;
        if self.eval_steps > MAX_EVAL_STEPS {
            return Ok(unknown("the settings compute more than static analysis is willing to"));
        }
        self.eval_depth += 1;
        let result = self.eval_node(f, node);
        self.eval_depth -= 1;
        result
    }

    fn here(f: &Frame, node: Node<'_>) -> Location {
        f.src.location(node)
    }

    fn eval_node(&mut self, f: &mut Frame, node: Node<'_>) -> Result<Val, Raise> {
        let text = f.src.node_text(node);
        match node.kind() {
            "identifier" => {
                if !f.opaque_names && !is_defined(f, text) {
                    return Err(raise(
                        ExcKind::Name,
                        format!("name '{text}' is not defined"),
                        Self::here(f, node),
                    ));
                }
                Ok(self.lookup(f, text))
            }
            "integer" => Ok(parse_int(text)
                .map_or_else(|| unknown(format!("the number {text} is out of range")), Val::Int)),
            "float" => Ok(if text.ends_with(['j', 'J']) {
                Val::opaque("complex", text)
            } else {
                text.replace('_', "")
                    .parse::<f64>()
                    .map_or_else(|_| unknown("a float static analysis cannot read"), Val::Float)
            }),
            "true" => Ok(Val::Bool(true)),
            "false" => Ok(Val::Bool(false)),
            "none" => Ok(Val::None),
            "ellipsis" => Ok(Val::opaque("ellipsis", "...")),
            "string" => self.eval_string(f, node),
            "concatenated_string" => {
                let mut out = String::new();
                let mut cursor = node.walk();
                let parts: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
                for part in parts {
                    match self.eval_string(f, part)? {
                        Val::Str(s) => out.push_str(&s),
                        other => return Ok(other),
                    }
                }
                Ok(Val::Str(out))
            }
            "parenthesized_expression" => {
                match node.named_children(&mut node.walk()).find(|c| c.kind() != "comment") {
                    Some(inner) => self.eval(f, inner),
                    None => Ok(Val::Tuple(Vec::new())),
                }
            }
            "list" | "tuple" | "expression_list" | "set" => {
                let items = self.eval_elements(f, node)?;
                Ok(match node.kind() {
                    "list" => Val::List(items),
                    "set" => {
                        let mut unique: Vec<Val> = Vec::new();
                        for item in items {
                            if !unique.iter().any(|u| py_eq(u, &item) == Some(true)) {
                                unique.push(item);
                            }
                        }
                        Val::Set(unique)
                    }
                    _ => Val::Tuple(items),
                })
            }
            "dictionary" => self.eval_dict(f, node),
            "binary_operator" => {
                let (Some(left), Some(right), Some(op)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                    node.child_by_field_name("operator"),
                ) else {
                    return Ok(unknown("an incomplete expression"));
                };
                let l = self.eval(f, left)?;
                let r = self.eval(f, right)?;
                let op = f.src.node_text(op).to_owned();
                let location = Self::here(f, node);
                Self::binary(&op, &l, &r, &location)
            }
            "unary_operator" => {
                let (Some(arg), Some(op)) =
                    (node.child_by_field_name("argument"), node.child_by_field_name("operator"))
                else {
                    return Ok(unknown("an incomplete expression"));
                };
                let v = self.eval(f, arg)?;
                Ok(match (f.src.node_text(op), v) {
                    ("-", Val::Int(i)) => {
                        i.checked_neg().map_or_else(|| unknown("a number out of range"), Val::Int)
                    }
                    ("-", Val::Float(x)) => Val::Float(-x),
                    ("-", Val::Bool(b)) => Val::Int(-i64::from(b)),
                    ("+", v @ (Val::Int(_) | Val::Float(_))) => v,
                    ("~", Val::Int(i)) => Val::Int(!i),
                    (_, Val::Unknown(r)) => Val::Unknown(r),
                    (op, v) => unknown(format!("`{op}` on a {}", v.type_name())),
                })
            }
            "not_operator" => {
                let Some(arg) = node.child_by_field_name("argument") else {
                    return Ok(unknown("an incomplete expression"));
                };
                let v = self.eval(f, arg)?;
                Ok(match v.truthy() {
                    Some(t) => Val::Bool(!t),
                    None => Val::Unknown(v.unknown_reason().map_or_else(
                        || format!("the truth of `{}`", f.src.snippet(arg)),
                        str::to_owned,
                    )),
                })
            }
            "boolean_operator" => {
                let (Some(left), Some(right), Some(op)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                    node.child_by_field_name("operator"),
                ) else {
                    return Ok(unknown("an incomplete expression"));
                };
                let is_and = f.src.node_text(op) == "and";
                let l = self.eval(f, left)?;
                match l.truthy() {
                    Some(t) if t != is_and => Ok(l),
                    Some(_) => self.eval(f, right),
                    None => {
                        let r = self.eval(f, right)?;
                        // `x or default`: when the default is falsy and x
                        // unknown, still unknown.
                        Ok(Val::Unknown(l.unknown_reason().map_or_else(
                            || format!("the truth of `{}`", f.src.snippet(left)),
                            str::to_owned,
                        )))
                        .map(|u| if r.is_unknown() { r } else { u })
                    }
                }
            }
            "comparison_operator" => self.eval_comparison(f, node),
            "conditional_expression" => {
                let mut cursor = node.walk();
                let parts: Vec<Node<'_>> =
                    node.named_children(&mut cursor).filter(|c| c.kind() != "comment").collect();
                if parts.len() != 3 {
                    return Ok(unknown("an incomplete expression"));
                }
                let cond = self.eval(f, parts[1])?;
                match cond.truthy() {
                    Some(true) => self.eval(f, parts[0]),
                    Some(false) => self.eval(f, parts[2]),
                    None => {
                        let a = self.eval(f, parts[0])?;
                        let b = self.eval(f, parts[2])?;
                        if a == b && !a.is_unknown() {
                            Ok(a)
                        } else {
                            let why = cond.unknown_reason().map_or_else(
                                || format!("`{}`", f.src.snippet(parts[1])),
                                str::to_owned,
                            );
                            Ok(unknown(format!(
                                "depends on a condition static analysis cannot decide: {why}"
                            )))
                        }
                    }
                }
            }
            "call" => self.eval_call(f, node),
            "attribute" => {
                let (Some(object), Some(attr)) =
                    (node.child_by_field_name("object"), node.child_by_field_name("attribute"))
                else {
                    return Ok(unknown("an incomplete expression"));
                };
                let obj = self.eval(f, object)?;
                Ok(self.get_attr(obj, f.src.node_text(attr)))
            }
            "subscript" => self.eval_subscript(f, node),
            "lambda" => Ok(Val::opaque("function", &f.src.snippet(node))),
            "list_comprehension"
            | "set_comprehension"
            | "generator_expression"
            | "dictionary_comprehension" => self.eval_comprehension(f, node),
            "named_expression" => {
                let (Some(name), Some(value)) =
                    (node.child_by_field_name("name"), node.child_by_field_name("value"))
                else {
                    return Ok(unknown("an incomplete expression"));
                };
                let v = self.eval(f, value)?;
                let location = Self::here(f, node);
                let name = f.src.node_text(name).to_owned();
                self.bind(f, &name, v.clone(), location, false);
                Ok(v)
            }
            _ => Ok(unknown(format!(
                "`{}` is not something static analysis evaluates",
                f.src.snippet(node)
            ))),
        }
    }

    /// A name: comprehension variables, the module, then builtins.
    pub fn lookup(&mut self, f: &Frame, name: &str) -> Val {
        for scope in f.locals.iter().rev() {
            if let Some(v) = scope.get(name) {
                return v.clone();
            }
        }
        if let Some(binding) = f.ns.get(name) {
            // Reading a name copies its value: charge the copy to the budget.
            self.eval_steps = self.eval_steps.saturating_add(binding.val.weight());
            if !matches!(
                binding.val,
                Val::Module(_)
                    | Val::Builtin(_)
                    | Val::Env(_)
                    | Val::Decouple(_)
                    | Val::Opaque { .. }
            ) {
                for loc in binding.assigned.iter().chain(binding.related.iter()) {
                    if !self.trace.contains(loc) {
                        self.trace.push(loc.clone());
                    }
                }
                for note in &binding.notes {
                    if note.contains("unless the process environment sets")
                        && !self.stmt_notes.contains(note)
                    {
                        self.stmt_notes.push(note.clone());
                    }
                }
            }
            return binding.val.clone();
        }
        match name {
            "__file__" => return Val::Str(f.src.inside.clone()),
            "__name__" => return Val::Str(f.dotted.clone()),
            "__package__" => return Val::Str(f.package.clone()),
            _ => {}
        }
        if is_other_builtin(name) {
            return Val::opaque("builtin", name);
        }
        builtin(name).unwrap_or_else(|| {
            unknown(format!("`{name}` is not defined where static analysis can see it"))
        })
    }
}

/// True when `name` resolves at module level: a local of a comprehension, a
/// binding of the module, a module dunder, or a builtin.
fn is_defined(f: &Frame, name: &str) -> bool {
    f.locals.iter().any(|scope| scope.contains_key(name))
        || f.ns.contains_key(name)
        || (name.starts_with("__") && name.ends_with("__"))
        || builtin(name).is_some()
        || is_other_builtin(name)
}

/// Builtins the interpreter does not model but that exist.
fn is_other_builtin(name: &str) -> bool {
    const OTHERS: &[&str] = &[
        "object",
        "type",
        "id",
        "hash",
        "iter",
        "next",
        "callable",
        "chr",
        "ord",
        "hex",
        "oct",
        "bin",
        "pow",
        "divmod",
        "format",
        "input",
        "issubclass",
        "super",
        "property",
        "staticmethod",
        "classmethod",
        "setattr",
        "delattr",
        "memoryview",
        "bytearray",
        "bytes",
        "complex",
        "slice",
        "compile",
        "dir",
        "help",
        "breakpoint",
        "ascii",
        "license",
        "copyright",
        "credits",
        "exit",
        "quit",
        "NotImplemented",
        "Ellipsis",
        "aiter",
        "anext",
    ];
    OTHERS.contains(&name)
        || name.ends_with("Error")
        || name.ends_with("Exception")
        || name.ends_with("Warning")
        || matches!(name, "KeyboardInterrupt" | "StopIteration" | "SystemExit" | "GeneratorExit")
}

/// Python's builtin functions the interpreter knows by name.
pub(crate) fn builtin(name: &str) -> Option<Val> {
    {
        const BUILTINS: &[&str] = &[
            "len",
            "str",
            "int",
            "float",
            "bool",
            "list",
            "tuple",
            "set",
            "dict",
            "sorted",
            "min",
            "max",
            "abs",
            "print",
            "repr",
            "frozenset",
            "reversed",
            "any",
            "all",
            "sum",
            "isinstance",
            "range",
            "round",
            "filter",
            "map",
            "enumerate",
            "zip",
            "open",
            "getattr",
            "hasattr",
            "globals",
            "locals",
            "vars",
            "exec",
            "eval",
        ];
        BUILTINS.contains(&name).then(|| Val::Builtin(name.to_owned()))
    }
}

impl Interp<'_> {
    fn eval_elements(&mut self, f: &mut Frame, node: Node<'_>) -> Result<Vec<Val>, Raise> {
        let mut items = Vec::new();
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> =
            node.named_children(&mut cursor).filter(|c| c.kind() != "comment").collect();
        for child in children {
            if child.kind() == "list_splat" || child.kind() == "parenthesized_list_splat" {
                let Some(inner) = child.named_child(0) else { continue };
                let v = self.eval(f, inner)?;
                match v.iter_items() {
                    Some(more) if !v.is_unknown() => items.extend(more),
                    _ => items.push(Val::Unknown(v.unknown_reason().map_or_else(
                        || "unpacks a value static analysis cannot know".to_owned(),
                        str::to_owned,
                    ))),
                }
            } else {
                items.push(self.eval(f, child)?);
            }
        }
        Ok(items)
    }

    fn eval_dict(&mut self, f: &mut Frame, node: Node<'_>) -> Result<Val, Raise> {
        let mut entries: Vec<(Val, Val)> = Vec::new();
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
        for child in children {
            match child.kind() {
                "pair" => {
                    let (Some(k), Some(v)) =
                        (child.child_by_field_name("key"), child.child_by_field_name("value"))
                    else {
                        continue;
                    };
                    let key = self.eval(f, k)?;
                    let value = self.eval(f, v)?;
                    dict_set(&mut entries, key, value);
                }
                "dictionary_splat" => {
                    let Some(inner) = child.named_child(0) else { continue };
                    match self.eval(f, inner)? {
                        Val::Dict(more) => {
                            for (k, v) in more {
                                dict_set(&mut entries, k, v);
                            }
                        }
                        Val::Unknown(r) => return Ok(Val::Unknown(r)),
                        other => return Ok(unknown(format!("`**` of a {}", other.type_name()))),
                    }
                }
                _ => {}
            }
        }
        Ok(Val::Dict(entries))
    }

    fn eval_string(&mut self, f: &mut Frame, node: Node<'_>) -> Result<Val, Raise> {
        if node.kind() != "string" {
            return self.eval(f, node);
        }
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
        let prefix = children
            .first()
            .filter(|c| c.kind() == "string_start")
            .map(|c| f.src.node_text(*c).trim_end_matches(['"', '\'']).to_lowercase())
            .unwrap_or_default();
        let raw = prefix.contains('r');
        let fstring = prefix.contains('f');
        let bytes = prefix.contains('b');
        let mut out = String::new();
        let mut pieces_unknown: Option<String> = None;
        for child in children {
            match child.kind() {
                "string_content" => {
                    let text = f.src.node_text(child);
                    let mut piece = if raw { text.to_owned() } else { unescape(text) };
                    if fstring {
                        piece = piece.replace("{{", "{").replace("}}", "}");
                    }
                    out.push_str(&piece);
                }
                "escape_sequence" => {
                    let text = f.src.node_text(child);
                    out.push_str(&if raw { text.to_owned() } else { unescape(text) });
                }
                "escape_interpolation" => {
                    out.push_str(&f.src.node_text(child)[..1]);
                }
                "interpolation" => {
                    let Some(expr) = child.child_by_field_name("expression") else { continue };
                    let v = self.eval(f, expr)?;
                    let conversion = child
                        .child_by_field_name("type_conversion")
                        .map(|c| f.src.node_text(c).to_owned());
                    let has_spec = child.child_by_field_name("format_specifier").is_some();
                    let text = match (&v, conversion.as_deref()) {
                        (Val::Unknown(r), _) => {
                            pieces_unknown.get_or_insert(r.clone());
                            continue;
                        }
                        (v, Some("!r")) => super::val::to_py(v).ok().map(|p| p.to_string()),
                        (v, _) => v.py_str(),
                    };
                    match text {
                        Some(t) if !has_spec => out.push_str(&t),
                        _ => {
                            pieces_unknown.get_or_insert_with(|| {
                                format!(
                                    "an f-string part `{}` static analysis cannot format",
                                    f.src.snippet(expr)
                                )
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(reason) = pieces_unknown {
            return Ok(Val::Unknown(reason));
        }
        if bytes {
            return Ok(Val::opaque("bytes", &f.src.snippet(node)));
        }
        Ok(Val::Str(out))
    }

    fn eval_comparison(&mut self, f: &mut Frame, node: Node<'_>) -> Result<Val, Raise> {
        let mut cursor = node.walk();
        let operands: Vec<Node<'_>> =
            node.named_children(&mut cursor).filter(|c| c.kind() != "comment").collect();
        let mut cursor = node.walk();
        let operators: Vec<String> = node
            .children_by_field_name("operators", &mut cursor)
            .map(|o| f.src.node_text(o).split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        if operands.len() != operators.len() + 1 {
            return Ok(unknown(format!("the comparison `{}`", f.src.snippet(node))));
        }
        let mut left = self.eval(f, operands[0])?;
        let mut result = Some(true);
        let mut reason: Option<String> = None;
        for (op, right_node) in operators.iter().zip(&operands[1..]) {
            let right = self.eval(f, *right_node)?;
            let this = self.compare(op, &left, &right);
            match this {
                Some(false) => return Ok(Val::Bool(false)),
                Some(true) => {}
                None => {
                    result = None;
                    reason.get_or_insert_with(|| {
                        left.unknown_reason().or(right.unknown_reason()).map_or_else(
                            || {
                                format!(
                                    "the comparison `{}` cannot be decided statically",
                                    f.src.snippet(node)
                                )
                            },
                            str::to_owned,
                        )
                    });
                }
            }
            left = right;
        }
        Ok(match result {
            Some(b) => Val::Bool(b),
            None => Val::Unknown(reason.unwrap_or_default()),
        })
    }

    fn compare(&mut self, op: &str, a: &Val, b: &Val) -> Option<bool> {
        match op {
            "==" => py_eq(a, b),
            "!=" | "<>" => py_eq(a, b).map(|e| !e),
            "in" | "not in" => {
                let found = match b {
                    Val::Module(m) if m == "os.environ" => self.environ_contains(a),
                    Val::Str(hay) => match a {
                        Val::Str(needle) => Some(hay.contains(needle.as_str())),
                        _ => None,
                    },
                    Val::List(items) | Val::Tuple(items) | Val::Set(items) => {
                        let mut any_unknown = false;
                        let mut found = false;
                        for item in items {
                            match py_eq(a, item) {
                                Some(true) => {
                                    found = true;
                                    break;
                                }
                                Some(false) => {}
                                None => any_unknown = true,
                            }
                        }
                        if found {
                            Some(true)
                        } else if any_unknown {
                            None
                        } else {
                            Some(false)
                        }
                    }
                    Val::Dict(entries) => {
                        if a.is_unknown() {
                            None
                        } else {
                            Some(entries.iter().any(|(k, _)| py_eq(a, k) == Some(true)))
                        }
                    }
                    _ => None,
                };
                if op == "in" { found } else { found.map(|x| !x) }
            }
            "is" | "is not" => {
                let same = match (a, b) {
                    (Val::Unknown(_), _) | (_, Val::Unknown(_)) => None,
                    (Val::None, Val::None) => Some(true),
                    (Val::Bool(x), Val::Bool(y)) => Some(x == y),
                    (Val::None | Val::Bool(_), _) | (_, Val::None | Val::Bool(_)) => Some(false),
                    _ => None,
                };
                if op == "is" { same } else { same.map(|x| !x) }
            }
            "<" | "<=" | ">" | ">=" => {
                let ordering = match (a, b) {
                    (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
                    _ => match (as_number(a), as_number(b)) {
                        (Some(x), Some(y)) => x.partial_cmp(&y),
                        _ => None,
                    },
                }?;
                Some(match op {
                    "<" => ordering.is_lt(),
                    "<=" => ordering.is_le(),
                    ">" => ordering.is_gt(),
                    _ => ordering.is_ge(),
                })
            }
            _ => None,
        }
    }

    /// A binary operator, with Python's rules for mixing types.
    pub fn binary(op: &str, l: &Val, r: &Val, location: &Location) -> Result<Val, Raise> {
        if let Val::Unknown(reason) = l {
            return Ok(Val::Unknown(reason.clone()));
        }
        if let Val::Unknown(reason) = r {
            return Ok(Val::Unknown(reason.clone()));
        }
        let type_error = |msg: String| Err(raise(ExcKind::Type, msg, location.clone()));
        let unsupported = || {
            type_error(format!(
                "unsupported operand type(s) for {op}: '{}' and '{}'",
                l.type_name(),
                r.type_name()
            ))
        };
        match (op, l, r) {
            (_, Val::Opaque { source, .. }, _) | (_, _, Val::Opaque { source, .. }) => Ok(unknown(
                format!("an operation on `{source}`, which static analysis does not model"),
            )),
            ("+", Val::Str(a), Val::Str(b)) if a.len() + b.len() > MAX_BUILT_LEN => {
                Ok(unknown("a string too long for static analysis"))
            }
            ("+", Val::List(a), Val::List(b)) | ("+", Val::Tuple(a), Val::Tuple(b))
                if a.len() + b.len() > MAX_BUILT_LEN =>
            {
                Ok(unknown("a sequence too long for static analysis"))
            }
            ("+", Val::Str(a), Val::Str(b)) => Ok(Val::Str(format!("{a}{b}"))),
            ("+", Val::List(a), Val::List(b)) => Ok(Val::List([a.clone(), b.clone()].concat())),
            ("+", Val::Tuple(a), Val::Tuple(b)) => Ok(Val::Tuple([a.clone(), b.clone()].concat())),
            ("+", Val::List(_) | Val::Tuple(_) | Val::Str(_), _) => {
                let name = l.type_name();
                type_error(format!(
                    "can only concatenate {name} (not \"{}\") to {name}",
                    r.type_name()
                ))
            }
            ("+" | "-", Val::Timedelta(a), Val::Timedelta(b)) => {
                Ok(Val::Timedelta(if op == "+" { a + b } else { a - b }))
            }
            ("*", Val::Timedelta(a), _) | ("*", _, Val::Timedelta(a)) => {
                match as_number(if matches!(l, Val::Timedelta(_)) { r } else { l }) {
                    Some(n) => Ok(Val::Timedelta(a * n)),
                    None => unsupported(),
                }
            }
            ("*", Val::Str(_) | Val::List(_) | Val::Tuple(_), Val::Int(_) | Val::Bool(_))
            | ("*", Val::Int(_) | Val::Bool(_), Val::Str(_) | Val::List(_) | Val::Tuple(_)) => {
                let (seq, n) =
                    if matches!(l, Val::Int(_) | Val::Bool(_)) { (r, l) } else { (l, r) };
                let n = usize::try_from(as_int(n).unwrap_or(0).max(0)).unwrap_or(0);
                let len = match seq {
                    Val::Str(s) => s.len(),
                    other => other.iter_items().map_or(0, |i| i.len()),
                };
                if len.saturating_mul(n) > MAX_BUILT_LEN {
                    return Ok(unknown("a repetition too large for static analysis"));
                }
                Ok(match seq {
                    Val::Str(s) => Val::Str(s.repeat(n)),
                    Val::List(items) => Val::List(repeat_items(items, n)),
                    Val::Tuple(items) => Val::Tuple(repeat_items(items, n)),
                    _ => unreachable_unknown(),
                })
            }
            ("/", Val::Path(base), Val::Str(rest) | Val::Path(rest)) => {
                Ok(Val::Path(join_path(base, rest)))
            }
            ("/", Val::Str(_), Val::Path(_)) => Ok(unknown("a path joined from a relative string")),
            ("-", Val::EnvironPath(base), Val::Int(n)) => {
                let mut path = base.clone();
                for _ in 0..(*n).clamp(0, 64) {
                    path = parent_dir(&path);
                }
                Ok(Val::EnvironPath(path))
            }
            ("|", Val::Dict(a), Val::Dict(b)) => {
                let mut merged = a.clone();
                for (k, v) in b {
                    dict_set(&mut merged, k.clone(), v.clone());
                }
                Ok(Val::Dict(merged))
            }
            ("|" | "&" | "-", Val::Set(a), Val::Set(b)) => Ok(Val::Set(match op {
                "|" => {
                    let mut all = a.clone();
                    all.extend(b.iter().filter(|x| !a.contains(x)).cloned());
                    all
                }
                "&" => a.iter().filter(|x| b.contains(x)).cloned().collect(),
                _ => a.iter().filter(|x| !b.contains(x)).cloned().collect(),
            })),
            ("%", Val::Str(_), _) => Ok(unknown("a string formatted with `%`")),
            _ => Self::arithmetic(op, l, r, location).unwrap_or_else(unsupported),
        }
    }

    /// Arithmetic on ints and floats (bools count as ints).
    fn arithmetic(op: &str, l: &Val, r: &Val, location: &Location) -> Option<Result<Val, Raise>> {
        let out_of_range = || Ok(unknown("a number out of the range static analysis computes"));
        if let (Some(a), Some(b)) = (as_int(l), as_int(r)) {
            let zero = || Err(raise(ExcKind::ZeroDivision, "division by zero", location.clone()));
            return Some(match op {
                "+" => a.checked_add(b).map_or_else(out_of_range, |v| Ok(Val::Int(v))),
                "-" => a.checked_sub(b).map_or_else(out_of_range, |v| Ok(Val::Int(v))),
                "*" => a.checked_mul(b).map_or_else(out_of_range, |v| Ok(Val::Int(v))),
                "//" | "%" | "/" if b == 0 => zero(),
                "//" => Ok(Val::Int(a.div_euclid(b) - i64::from(b < 0 && a.rem_euclid(b) != 0))),
                "%" => Ok(Val::Int(((a % b) + b) % b)),
                #[allow(clippy::cast_precision_loss)]
                "/" => Ok(Val::Float(a as f64 / b as f64)),
                "**" if b >= 0 => u32::try_from(b)
                    .ok()
                    .and_then(|e| a.checked_pow(e))
                    .map_or_else(out_of_range, |v| Ok(Val::Int(v))),
                #[allow(clippy::cast_precision_loss)]
                "**" => Ok(Val::Float((a as f64).powf(b as f64))),
                "|" => Ok(if matches!((l, r), (Val::Bool(_), Val::Bool(_))) {
                    Val::Bool(a | b != 0)
                } else {
                    Val::Int(a | b)
                }),
                "&" => Ok(if matches!((l, r), (Val::Bool(_), Val::Bool(_))) {
                    Val::Bool(a & b != 0)
                } else {
                    Val::Int(a & b)
                }),
                "^" => Ok(Val::Int(a ^ b)),
                "<<" => u32::try_from(b)
                    .ok()
                    .and_then(|s| a.checked_shl(s))
                    .map_or_else(out_of_range, |v| Ok(Val::Int(v))),
                ">>" => u32::try_from(b)
                    .ok()
                    .and_then(|s| a.checked_shr(s))
                    .map_or_else(out_of_range, |v| Ok(Val::Int(v))),
                _ => return None,
            });
        }
        let (a, b) = (as_number(l)?, as_number(r)?);
        Some(match op {
            "+" => Ok(Val::Float(a + b)),
            "-" => Ok(Val::Float(a - b)),
            "*" => Ok(Val::Float(a * b)),
            "/" | "//" | "%" if b == 0.0 => {
                Err(raise(ExcKind::ZeroDivision, "float division by zero", location.clone()))
            }
            "/" => Ok(Val::Float(a / b)),
            "//" => Ok(Val::Float((a / b).floor())),
            "%" => Ok(Val::Float(a.rem_euclid(b))),
            "**" => Ok(Val::Float(a.powf(b))),
            _ => return None,
        })
    }

    fn eval_subscript(&mut self, f: &mut Frame, node: Node<'_>) -> Result<Val, Raise> {
        let Some(value) = node.child_by_field_name("value") else {
            return Ok(unknown("an incomplete expression"));
        };
        let container = self.eval(f, value)?;
        let mut cursor = node.walk();
        let keys: Vec<Node<'_>> = node.children_by_field_name("subscript", &mut cursor).collect();
        let location = Self::here(f, node);
        if keys.len() != 1 {
            return Ok(unknown("a subscript with several keys"));
        }
        let key_node = keys[0];
        if key_node.kind() == "slice" {
            return self.eval_slice(f, &container, key_node);
        }
        let key = self.eval(f, key_node)?;
        self.index(&container, &key, &location)
    }

    fn eval_slice(
        &mut self,
        f: &mut Frame,
        container: &Val,
        slice: Node<'_>,
    ) -> Result<Val, Raise> {
        // `[a:b]` only; steps are rare in settings.
        let text = f.src.node_text(slice);
        if text.matches(':').count() > 1 {
            return Ok(unknown("a slice with a step"));
        }
        let mut bounds = [None, None];
        let mut which = 0;
        let mut cursor = slice.walk();
        for child in slice.children(&mut cursor) {
            if f.src.node_text(child) == ":" {
                which = 1;
            } else if child.is_named() {
                bounds[which] = Some(self.eval(f, child)?);
            }
        }
        let items = match container {
            Val::List(v) | Val::Tuple(v) => v.clone(),
            Val::Str(s) => s.chars().map(|c| Val::Str(c.to_string())).collect(),
            Val::Unknown(r) => return Ok(Val::Unknown(r.clone())),
            other => return Ok(unknown(format!("a slice of a {}", other.type_name()))),
        };
        let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
        let resolve = |b: &Option<Val>, default: i64| -> Option<i64> {
            match b {
                None => Some(default),
                Some(v) => as_int(v).map(|i| if i < 0 { (i + len).max(0) } else { i.min(len) }),
            }
        };
        let (Some(start), Some(end)) = (resolve(&bounds[0], 0), resolve(&bounds[1], len)) else {
            return Ok(unknown("a slice with bounds static analysis cannot know"));
        };
        let start = usize::try_from(start).unwrap_or(0);
        let end = usize::try_from(end).unwrap_or(0).max(start);
        let picked: Vec<Val> = items[start.min(items.len())..end.min(items.len())].to_vec();
        Ok(match container {
            Val::List(_) => Val::List(picked),
            Val::Tuple(_) => Val::Tuple(picked),
            _ => Val::Str(picked.iter().filter_map(Val::py_str).collect()),
        })
    }

    fn index(&mut self, container: &Val, key: &Val, location: &Location) -> Result<Val, Raise> {
        if let Val::Unknown(r) = container {
            return Ok(Val::Unknown(r.clone()));
        }
        if let Val::Unknown(r) = key {
            return Ok(Val::Unknown(r.clone()));
        }
        match container {
            Val::Module(m) if m == "os.environ" => self.environ_item(key, location),
            Val::Dict(entries) => {
                if let Some((_, v)) =
                    entries.iter().rev().find(|(k, _)| py_eq(k, key) == Some(true))
                {
                    Ok(v.clone())
                } else {
                    let shown = super::val::to_py(key).map(|k| k.to_string()).unwrap_or_default();
                    Err(raise(ExcKind::Key, shown, location.clone()))
                }
            }
            Val::List(items) | Val::Tuple(items) => {
                let Some(i) = as_int(key) else {
                    return Err(raise(
                        ExcKind::Type,
                        format!("indices must be integers, not {}", key.type_name()),
                        location.clone(),
                    ));
                };
                let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                let at = if i < 0 { i + len } else { i };
                match usize::try_from(at).ok().and_then(|a| items.get(a)) {
                    Some(v) => Ok(v.clone()),
                    None => Err(raise(ExcKind::Index, "index out of range", location.clone())),
                }
            }
            Val::Str(s) => {
                let chars: Vec<char> = s.chars().collect();
                let len = i64::try_from(chars.len()).unwrap_or(i64::MAX);
                let at = as_int(key).map(|i| if i < 0 { i + len } else { i });
                match at.and_then(|a| usize::try_from(a).ok()).and_then(|a| chars.get(a)) {
                    Some(c) => Ok(Val::Str(c.to_string())),
                    None => {
                        Err(raise(ExcKind::Index, "string index out of range", location.clone()))
                    }
                }
            }
            other => Ok(unknown(format!("an item of a {}", other.type_name()))),
        }
    }

    fn eval_comprehension(&mut self, f: &mut Frame, node: Node<'_>) -> Result<Val, Raise> {
        let why = || unknown("a comprehension static analysis does not evaluate");
        let Some(body) = node.child_by_field_name("body") else { return Ok(why()) };
        let mut cursor = node.walk();
        let clauses: Vec<Node<'_>> = node
            .named_children(&mut cursor)
            .filter(|c| matches!(c.kind(), "for_in_clause" | "if_clause"))
            .collect();
        if clauses.first().is_none_or(|c| c.kind() != "for_in_clause")
            || clauses.iter().filter(|c| c.kind() == "for_in_clause").count() != 1
        {
            return Ok(why());
        }
        let clause = clauses[0];
        let (Some(left), Some(right)) =
            (clause.child_by_field_name("left"), clause.child_by_field_name("right"))
        else {
            return Ok(why());
        };
        let iterable = self.eval(f, right)?;
        if let Some(reason) = iterable.unknown_reason() {
            return Ok(Val::Unknown(reason.to_owned()));
        }
        let Some(items) = iterable.iter_items().filter(|i| i.len() <= 10_000) else {
            return Ok(why());
        };
        let names: Vec<String> = match left.kind() {
            "identifier" => vec![f.src.node_text(left).to_owned()],
            "pattern_list" | "tuple_pattern" => {
                let mut c = left.walk();
                let parts: Vec<Node<'_>> = left.named_children(&mut c).collect();
                if parts.iter().any(|p| p.kind() != "identifier") {
                    return Ok(why());
                }
                parts.iter().map(|p| f.src.node_text(*p).to_owned()).collect()
            }
            _ => return Ok(why()),
        };
        let mut out: Vec<Val> = Vec::new();
        let mut pairs: Vec<(Val, Val)> = Vec::new();
        for item in items {
            let mut scope = HashMap::new();
            if names.len() == 1 {
                scope.insert(names[0].clone(), item);
            } else {
                let Some(parts) = item.iter_items().filter(|p| p.len() == names.len()) else {
                    return Ok(why());
                };
                for (n, v) in names.iter().zip(parts) {
                    scope.insert(n.clone(), v);
                }
            }
            f.locals.push(scope);
            let result = self.comprehension_step(f, node, body, &clauses[1..]);
            f.locals.pop();
            match result? {
                Step::Skip => {}
                Step::Unknown(reason) => return Ok(Val::Unknown(reason)),
                Step::Item(v) => out.push(v),
                Step::Pair(k, v) => pairs.push((k, v)),
            }
        }
        Ok(match node.kind() {
            "list_comprehension" | "generator_expression" => Val::List(out),
            "set_comprehension" => Val::Set(out),
            _ => Val::Dict(pairs),
        })
    }

    fn comprehension_step(
        &mut self,
        f: &mut Frame,
        node: Node<'_>,
        body: Node<'_>,
        filters: &[Node<'_>],
    ) -> Result<Step, Raise> {
        for filter in filters {
            let Some(cond) = filter.named_child(0) else { continue };
            let v = self.eval(f, cond)?;
            match v.truthy() {
                Some(true) => {}
                Some(false) => return Ok(Step::Skip),
                None => {
                    return Ok(Step::Unknown(
                        v.unknown_reason()
                            .unwrap_or("a comprehension filter static analysis cannot decide")
                            .to_owned(),
                    ));
                }
            }
        }
        if node.kind() == "dictionary_comprehension" {
            let (Some(k), Some(v)) =
                (body.child_by_field_name("key"), body.child_by_field_name("value"))
            else {
                return Ok(Step::Unknown(
                    "a comprehension static analysis does not evaluate".to_owned(),
                ));
            };
            let key = self.eval(f, k)?;
            let value = self.eval(f, v)?;
            return Ok(Step::Pair(key, value));
        }
        Ok(Step::Item(self.eval(f, body)?))
    }

    // ---- calls ----

    pub fn eval_args<'t>(&mut self, f: &mut Frame, node: Node<'t>) -> Result<Args<'t>, Raise> {
        let mut args = Args::default();
        if node.kind() == "generator_expression" {
            let v = self.eval(f, node)?;
            args.pos.push((v, Some(node)));
            return Ok(args);
        }
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        for child in children {
            match child.kind() {
                "comment" => {}
                "keyword_argument" => {
                    let (Some(name), Some(value)) =
                        (child.child_by_field_name("name"), child.child_by_field_name("value"))
                    else {
                        continue;
                    };
                    let v = self.eval(f, value)?;
                    args.kw.push((f.src.node_text(name).to_owned(), v, Some(value)));
                }
                "list_splat" => {
                    let Some(inner) = child.named_child(0) else { continue };
                    let v = self.eval(f, inner)?;
                    match v.iter_items() {
                        Some(items) if !v.is_unknown() => {
                            args.pos.extend(items.into_iter().map(|i| (i, None)));
                        }
                        _ => args.opaque = true,
                    }
                }
                "dictionary_splat" => {
                    let Some(inner) = child.named_child(0) else { continue };
                    match self.eval(f, inner)? {
                        Val::Dict(entries) => {
                            for (k, v) in entries {
                                match k.py_str() {
                                    Some(k) => args.kw.push((k, v, None)),
                                    None => args.opaque = true,
                                }
                            }
                        }
                        _ => args.opaque = true,
                    }
                }
                _ => {
                    let v = self.eval(f, child)?;
                    args.pos.push((v, Some(child)));
                }
            }
        }
        Ok(args)
    }

    fn eval_call(&mut self, f: &mut Frame, node: Node<'_>) -> Result<Val, Raise> {
        let (Some(function), Some(arguments)) =
            (node.child_by_field_name("function"), node.child_by_field_name("arguments"))
        else {
            return Ok(unknown("an incomplete call"));
        };
        let callee = self.eval(f, function)?;
        let args = self.eval_args(f, arguments)?;
        let location = Self::here(f, node);
        if args.opaque {
            return Ok(unknown(format!(
                "a call with `*`/`**` arguments static analysis cannot expand: `{}`",
                f.src.snippet(node)
            )));
        }
        self.call_value(f, callee, &args, &location, node)
    }

    pub fn call_value(
        &mut self,
        f: &mut Frame,
        callee: Val,
        args: &Args<'_>,
        location: &Location,
        node: Node<'_>,
    ) -> Result<Val, Raise> {
        match callee {
            Val::Unknown(reason) => Ok(Val::Unknown(reason)),
            Val::Builtin(name) => self.call_builtin(f, &name, args, location, node),
            Val::Method(receiver, method) => {
                self.call_method(f, &receiver, &method, args, location)
            }
            Val::Env(reader) => {
                let Some(var) = args.get(0, "var") else {
                    return Ok(unknown("env() without a variable name"));
                };
                let read = Read {
                    cast: args.get(1, "cast").filter(|c| !matches!(c, Val::None)).cloned(),
                    default: args.get(2, "default").cloned(),
                    parse_default: args
                        .get(3, "parse_default")
                        .and_then(Val::truthy)
                        .unwrap_or(false),
                    default_node: args.node(2, "default"),
                };
                self.environ_value(&reader, var, read, location, 0)
            }
            Val::Decouple(index) => {
                let Some(option) = args.get(0, "option") else {
                    return Ok(unknown("config() without a name"));
                };
                let read = decouple_read(args);
                let frame: &Frame = f;
                self.decouple_get(frame, index, option, &read, location)
            }
            Val::Csv { item, tuple } => {
                let value = args.get(0, "value").cloned().unwrap_or(Val::None);
                self.csv_cast(&item, tuple, &value, location)
            }
            Val::EnvironPath(base) => {
                let mut path = base;
                for (part, _) in &args.pos {
                    match part.py_str() {
                        Some(p) => path = join_path(&path, &p),
                        None => return Ok(unknown("a path static analysis cannot know")),
                    }
                }
                Ok(Val::Str(path))
            }
            Val::Opaque { source, .. } => {
                Ok(unknown(format!("calls `{source}`, which static analysis does not run")))
            }
            other => Err(raise(
                ExcKind::Type,
                format!("'{}' object is not callable", other.type_name()),
                location.clone(),
            )),
        }
    }

    /// Applies a cast given as a value (`bool`, `int`, `Csv()`, a lambda).
    pub fn call_cast(&mut self, cast: &Val, value: Val, location: &Location) -> Result<Val, Raise> {
        match cast {
            Val::Builtin(name) => match name.as_str() {
                "str" => Ok(value.py_str().map_or_else(
                    || unknown("str() of a value static analysis cannot know"),
                    Val::Str,
                )),
                "int" => Self::int_of(&value, location),
                "float" => Self::float_of(&value, location),
                "bool" => Ok(value.truthy().map_or_else(
                    || unknown("bool() of a value static analysis cannot know"),
                    Val::Bool,
                )),
                "list" | "tuple" => Ok(match value.iter_items() {
                    Some(items) if name == "list" => Val::List(items),
                    Some(items) => Val::Tuple(items),
                    None => unknown(format!("{name}() of a value static analysis cannot know")),
                }),
                "json.loads" => Ok(match value {
                    Val::Str(text) => serde_json::from_str::<serde_json::Value>(&text)
                        .map_or_else(
                            |_| {
                                Err(raise(
                                    ExcKind::Value,
                                    "the value is not JSON",
                                    location.clone(),
                                ))
                            },
                            |json| Ok(from_json(&json)),
                        )?,
                    other => other,
                }),
                _ => Ok(unknown(format!(
                    "a cast with `{name}`, which static analysis does not model"
                ))),
            },
            Val::Csv { item, tuple } => self.csv_cast(item, *tuple, &value, location),
            Val::Opaque { source, .. } => {
                Ok(unknown(format!("a cast with `{source}`, which static analysis does not run")))
            }
            Val::Unknown(reason) => Ok(Val::Unknown(reason.clone())),
            other => Ok(unknown(format!("a cast with a {}", other.type_name()))),
        }
    }

    fn int_of(value: &Val, location: &Location) -> Result<Val, Raise> {
        Ok(match value {
            Val::Int(_) => value.clone(),
            Val::Bool(b) => Val::Int(i64::from(*b)),
            #[allow(clippy::cast_possible_truncation)]
            Val::Float(x) if x.is_finite() && x.abs() < 9e18 => Val::Int(x.trunc() as i64),
            Val::Str(s) => {
                let cleaned = s.trim().replace('_', "");
                match cleaned.parse::<i64>() {
                    Ok(i) if !s.trim().starts_with('_') && !s.contains("__") => Val::Int(i),
                    _ => {
                        return Err(raise(
                            ExcKind::Value,
                            "invalid literal for int() with base 10",
                            location.clone(),
                        ));
                    }
                }
            }
            Val::Unknown(r) => Val::Unknown(r.clone()),
            other => unknown(format!("int() of a {}", other.type_name())),
        })
    }

    fn float_of(value: &Val, location: &Location) -> Result<Val, Raise> {
        Ok(match value {
            Val::Float(_) => value.clone(),
            #[allow(clippy::cast_precision_loss)]
            Val::Int(i) => Val::Float(*i as f64),
            Val::Bool(b) => Val::Float(if *b { 1.0 } else { 0.0 }),
            Val::Str(s) => {
                let t = s.trim().to_lowercase();
                let parsed = match t.as_str() {
                    "inf" | "+inf" | "infinity" => Ok(f64::INFINITY),
                    "-inf" | "-infinity" => Ok(f64::NEG_INFINITY),
                    "nan" => Ok(f64::NAN),
                    _ => t.replace('_', "").parse::<f64>(),
                };
                match parsed {
                    Ok(x) => Val::Float(x),
                    Err(_) => {
                        return Err(raise(
                            ExcKind::Value,
                            "could not convert the string to float",
                            location.clone(),
                        ));
                    }
                }
            }
            Val::Unknown(r) => Val::Unknown(r.clone()),
            other => unknown(format!("float() of a {}", other.type_name())),
        })
    }

    fn call_builtin(
        &mut self,
        f: &mut Frame,
        name: &str,
        args: &Args<'_>,
        location: &Location,
        node: Node<'_>,
    ) -> Result<Val, Raise> {
        let first = args.pos.first().map(|(v, _)| v.clone());
        // Most builtins give unknown for unknown input.
        let passes_unknown = !matches!(
            name,
            "os.getenv"
                | "dotenv.load_dotenv"
                | "dotenv.dotenv_values"
                | "environ.Env"
                | "environ.Env.read_env"
                | "print"
                | "decouple.Csv"
                | "decouple.AutoConfig"
                | "decouple.Config"
        );
        if passes_unknown && let Some(reason) = args.first_unknown() {
            return Ok(Val::Unknown(reason));
        }
        if matches!(name, "globals" | "locals" | "vars" | "exec" | "eval") {
            f.opaque_names = true;
            return Ok(unknown(format!("`{name}()`, which static analysis does not follow")));
        }
        match name {
            "len" => Ok(match &first {
                Some(Val::Str(s)) => Val::Int(i64::try_from(s.chars().count()).unwrap_or(i64::MAX)),
                Some(v) => v.iter_items().map_or_else(
                    || unknown(format!("len() of a {}", v.type_name())),
                    |items| Val::Int(i64::try_from(items.len()).unwrap_or(i64::MAX)),
                ),
                None => unknown("len() without an argument"),
            }),
            "str" => Ok(match &first {
                None => Val::Str(String::new()),
                Some(v) => v
                    .py_str()
                    .map_or_else(|| unknown(format!("str() of a {}", v.type_name())), Val::Str),
            }),
            "int" if args.pos.len() <= 1 && args.kw.is_empty() => match &first {
                None => Ok(Val::Int(0)),
                Some(v) => Self::int_of(v, location),
            },
            "float" => match &first {
                None => Ok(Val::Float(0.0)),
                Some(v) => Self::float_of(v, location),
            },
            "bool" => Ok(match &first {
                None => Val::Bool(false),
                Some(v) => v.truthy().map_or_else(
                    || unknown(format!("the truth of a {}", v.type_name())),
                    Val::Bool,
                ),
            }),
            "list" | "tuple" | "set" | "frozenset" | "sorted" | "reversed" => {
                let items = match &first {
                    None => Vec::new(),
                    Some(v) => match v.iter_items() {
                        Some(items) => items,
                        None => return Ok(unknown(format!("{name}() of a {}", v.type_name()))),
                    },
                };
                Ok(match name {
                    "list" => Val::List(items),
                    "tuple" => Val::Tuple(items),
                    "reversed" => Val::List(items.into_iter().rev().collect()),
                    "sorted" => {
                        if args.kw.is_empty() && items.iter().all(|i| matches!(i, Val::Str(_))) {
                            let mut items = items;
                            items.sort_by_key(super::val::Val::py_str);
                            Val::List(items)
                        } else {
                            unknown("sorted() of mixed values")
                        }
                    }
                    _ => {
                        let mut unique: Vec<Val> = Vec::new();
                        for item in items {
                            if !unique.contains(&item) {
                                unique.push(item);
                            }
                        }
                        Val::Set(unique)
                    }
                })
            }
            "dict" => {
                let mut entries = match &first {
                    None => Vec::new(),
                    Some(Val::Dict(d)) => d.clone(),
                    Some(v) => match v.iter_items() {
                        Some(pairs) => {
                            let mut entries = Vec::new();
                            for pair in pairs {
                                match pair.iter_items() {
                                    Some(kv) if kv.len() == 2 => {
                                        dict_set(&mut entries, kv[0].clone(), kv[1].clone());
                                    }
                                    _ => {
                                        return Ok(unknown(
                                            "dict() of values static analysis cannot pair",
                                        ));
                                    }
                                }
                            }
                            entries
                        }
                        None => return Ok(unknown(format!("dict() of a {}", v.type_name()))),
                    },
                };
                for (k, v, _) in &args.kw {
                    dict_set(&mut entries, Val::Str(k.clone()), v.clone());
                }
                Ok(Val::Dict(entries))
            }
            "min" | "max" | "sum" | "any" | "all" | "abs" => {
                let items = if args.pos.len() == 1 && name != "abs" {
                    first.as_ref().and_then(Val::iter_items).unwrap_or_default()
                } else {
                    args.pos.iter().map(|(v, _)| v.clone()).collect()
                };
                Ok(match name {
                    "any" => items
                        .iter()
                        .map(Val::truthy)
                        .try_fold(false, |acc, t| t.map(|t| acc || t))
                        .map_or_else(|| unknown("any() of unknown values"), Val::Bool),
                    "all" => items
                        .iter()
                        .map(Val::truthy)
                        .try_fold(true, |acc, t| t.map(|t| acc && t))
                        .map_or_else(|| unknown("all() of unknown values"), Val::Bool),
                    "abs" => match items.first() {
                        Some(Val::Int(i)) => i
                            .checked_abs()
                            .map_or_else(|| unknown("a number out of range"), Val::Int),
                        Some(Val::Float(x)) => Val::Float(x.abs()),
                        _ => unknown("abs() of a value static analysis cannot know"),
                    },
                    _ => {
                        let ints: Option<Vec<i64>> = items.iter().map(as_int).collect();
                        match (ints, name) {
                            (Some(ints), "sum") => ints
                                .iter()
                                .try_fold(0i64, |a, b| a.checked_add(*b))
                                .map_or_else(|| unknown("a number out of range"), Val::Int),
                            (Some(ints), "min") => ints
                                .iter()
                                .min()
                                .map_or_else(|| unknown("min() of nothing"), |v| Val::Int(*v)),
                            (Some(ints), _) => ints
                                .iter()
                                .max()
                                .map_or_else(|| unknown("max() of nothing"), |v| Val::Int(*v)),
                            _ => unknown(format!(
                                "{name}() of values static analysis cannot compare"
                            )),
                        }
                    }
                })
            }
            "print" => Ok(Val::None),
            "repr" => Ok(first.and_then(|v| super::val::to_py(&v).ok()).map_or_else(
                || unknown("repr() of a value static analysis cannot know"),
                |p| Val::Str(p.to_string()),
            )),
            "range" => {
                let ints: Option<Vec<i64>> = args.pos.iter().map(|(v, _)| as_int(v)).collect();
                let (start, stop) = match ints.as_deref() {
                    Some([stop]) => (0, *stop),
                    Some([start, stop]) => (*start, *stop),
                    _ => return Ok(unknown("range() static analysis cannot expand")),
                };
                if stop.saturating_sub(start) > 10_000 {
                    return Ok(unknown("a range too long for static analysis"));
                }
                Ok(Val::List((start..stop).map(Val::Int).collect()))
            }
            "os.getenv" => {
                let Some(var) = first else { return Ok(unknown("os.getenv() without a name")) };
                let default = args.get(1, "default").cloned();
                let default_node = args.node(1, "default");
                Ok(self.environ_get(&var, default, default_node, location))
            }
            "os.getcwd" | "pathlib.Path.cwd" => Ok(unknown(
                "the working directory of the process, which static analysis does not know",
            )),
            "pathlib.Path.home" | "os.path.expanduser" => {
                Ok(unknown("the home directory of the process's user"))
            }
            "os.path.join" => {
                let mut path = String::new();
                for (part, _) in &args.pos {
                    let Some(p) = part.py_str() else {
                        return Ok(unknown("a path static analysis cannot know"));
                    };
                    path = if path.is_empty() || p.starts_with('/') {
                        p
                    } else {
                        format!("{}/{p}", path.trim_end_matches('/'))
                    };
                }
                Ok(Val::Str(path))
            }
            "os.path.dirname" | "os.path.abspath" | "os.path.realpath" | "os.path.normpath"
            | "os.path.basename" => {
                let Some(p) = first.as_ref().and_then(Val::py_str) else {
                    return Ok(unknown("a path static analysis cannot know"));
                };
                Ok(match name {
                    "os.path.dirname" => {
                        Val::Str(if p.contains('/') { parent_dir(&p) } else { String::new() })
                    }
                    "os.path.basename" => Val::Str(p.rsplit('/').next().unwrap_or("").to_owned()),
                    _ if p.starts_with('/') => Val::Str(normalize(&p)),
                    _ => unknown("a relative path, which depends on the working directory"),
                })
            }
            "os.path.exists" | "os.path.isfile" | "os.path.isdir" => {
                let Some(p) = first.as_ref().and_then(Val::py_str).filter(|p| p.starts_with('/'))
                else {
                    return Ok(unknown("a path static analysis cannot know"));
                };
                let host = self.input.target.host_path(&p);
                Ok(Val::Bool(match name {
                    "os.path.isfile" => host.is_file(),
                    "os.path.isdir" => host.is_dir(),
                    _ => host.exists(),
                }))
            }
            "pathlib.Path" => {
                let mut path = String::new();
                for (part, _) in &args.pos {
                    let Some(p) = part.py_str() else {
                        return Ok(unknown("a path static analysis cannot know"));
                    };
                    path = if path.is_empty() || p.starts_with('/') {
                        p
                    } else {
                        format!("{}/{p}", path.trim_end_matches('/'))
                    };
                }
                if path.starts_with('/') {
                    Ok(Val::Path(normalize(&path)))
                } else {
                    Ok(Val::Path(if path.is_empty() { ".".to_owned() } else { path }))
                }
            }
            "datetime.timedelta" => {
                const UNITS: [(&str, f64); 7] = [
                    ("days", 86_400.0),
                    ("seconds", 1.0),
                    ("microseconds", 1e-6),
                    ("milliseconds", 1e-3),
                    ("minutes", 60.0),
                    ("hours", 3_600.0),
                    ("weeks", 604_800.0),
                ];
                let mut total = 0.0;
                for (i, (unit, factor)) in UNITS.iter().enumerate() {
                    if let Some(v) = args.get(i, unit) {
                        match as_number(v) {
                            Some(n) => total += n * factor,
                            None => {
                                return Ok(unknown("a timedelta static analysis cannot compute"));
                            }
                        }
                    }
                }
                Ok(Val::Timedelta(total))
            }
            "dotenv.load_dotenv" => {
                let path = args.get(0, "dotenv_path");
                if args.get(1, "stream").is_some_and(|s| !matches!(s, Val::None)) {
                    return Ok(unknown("load_dotenv() from a stream"));
                }
                let override_ = args.get(3, "override").and_then(Val::truthy).unwrap_or(false);
                let frame: &Frame = f;
                Ok(self.load_dotenv(frame, path, override_, location))
            }
            "dotenv.find_dotenv" => {
                if args.get(2, "usecwd").and_then(Val::truthy).unwrap_or(false) {
                    return Ok(unknown(
                        "find_dotenv(usecwd=True) starts from the working directory",
                    ));
                }
                let filename = args
                    .get(0, "filename")
                    .and_then(Val::py_str)
                    .unwrap_or_else(|| ".env".to_owned());
                let frame: &Frame = f;
                Ok(Val::Str(self.find_dotenv(frame, &filename, location)))
            }
            "dotenv.dotenv_values" => {
                let path = args.get(0, "dotenv_path");
                let frame: &Frame = f;
                Ok(self.dotenv_values(frame, path, location))
            }
            "environ.Env" => {
                let scheme = args.kw.iter().map(|(k, v, _)| (k.clone(), v.clone())).collect();
                Ok(Self::environ_env(scheme))
            }
            "environ.Env.read_env" => {
                let path = args.get(0, "env_file");
                let overwrite = args.kw("overwrite").and_then(Val::truthy).unwrap_or(false);
                let frame: &Frame = f;
                Ok(self.read_env(frame, path, overwrite, location))
            }
            "environ.Path" => Ok(match first.as_ref().and_then(Val::py_str) {
                Some(p) if p.starts_with('/') => {
                    let mut path = normalize(&p);
                    for (part, _) in args.pos.iter().skip(1) {
                        if let Some(part) = part.py_str() {
                            path = join_path(&path, &part);
                        }
                    }
                    Val::EnvironPath(path)
                }
                _ => unknown("an environ.Path static analysis cannot know"),
            }),
            "decouple.AutoConfig" => {
                let search = match args.get(0, "search_path") {
                    None | Some(Val::None) => None,
                    Some(v) => match v.py_str().filter(|p| p.starts_with('/')) {
                        Some(p) => Some(normalize(&p)),
                        None => {
                            return Ok(unknown(
                                "an AutoConfig whose search path static analysis cannot know",
                            ));
                        }
                    },
                };
                self.decouple.push(super::envlib::DecoupleState::auto(search));
                Ok(Val::Decouple(self.decouple.len() - 1))
            }
            "decouple.RepositoryEnv" | "decouple.RepositoryIni" => {
                let Some(p) = first.as_ref().and_then(Val::py_str).filter(|p| p.starts_with('/'))
                else {
                    return Ok(unknown(
                        "a decouple repository whose path static analysis cannot know",
                    ));
                };
                let path = normalize(&p);
                if !self.input.target.host_path(&path).is_file() {
                    return Err(raise(
                        ExcKind::Other,
                        format!("No such file or directory: '{path}'"),
                        location.clone(),
                    ));
                }
                let dialect =
                    if name.ends_with("Ini") { Dialect::DecoupleIni } else { Dialect::Decouple };
                Ok(Val::DecoupleRepo(path, dialect))
            }
            "decouple.Config" => match first {
                Some(Val::DecoupleRepo(path, dialect)) => {
                    self.decouple.push(super::envlib::DecoupleState::file(path, dialect));
                    Ok(Val::Decouple(self.decouple.len() - 1))
                }
                Some(Val::Unknown(r)) => Ok(Val::Unknown(r)),
                _ => Ok(unknown("a decouple Config static analysis cannot follow")),
            },
            "decouple.Csv" => {
                let item =
                    args.get(0, "cast").cloned().unwrap_or_else(|| Val::Builtin("str".to_owned()));
                if args.get(1, "delimiter").is_some_and(|d| d.py_str().as_deref() != Some(","))
                    || args.get(2, "strip").is_some()
                {
                    return Ok(Val::opaque("Csv", &f.src.snippet(node)));
                }
                let tuple = match args.get(3, "post_process") {
                    None => false,
                    Some(Val::Builtin(p)) if p == "tuple" => true,
                    Some(Val::Builtin(p)) if p == "list" => false,
                    Some(_) => return Ok(Val::opaque("Csv", &f.src.snippet(node))),
                };
                Ok(Val::Csv { item: Box::new(item), tuple })
            }
            "json.loads" => {
                let Some(v) = first else { return Ok(unknown("json.loads() without input")) };
                self.call_cast(&Val::Builtin("json.loads".to_owned()), v, location)
            }
            "django.core.management.utils.get_random_secret_key"
            | "secrets.token_urlsafe"
            | "secrets.token_hex"
            | "django.utils.crypto.get_random_string" => {
                Ok(unknown("a random value generated each time the settings load"))
            }
            other => Ok(unknown(format!("calls `{other}`, which static analysis does not model"))),
        }
    }

    pub fn call_method(
        &mut self,
        f: &mut Frame,
        receiver: &Val,
        method: &str,
        args: &Args<'_>,
        location: &Location,
    ) -> Result<Val, Raise> {
        let arg = |i: usize| args.pos.get(i).map(|(v, _)| v.clone());
        match (receiver, method) {
            (Val::Module(m), _) if m == "os.environ" => match method {
                "get" => {
                    let Some(var) = arg(0) else {
                        return Ok(unknown("os.environ.get() without a name"));
                    };
                    let default = args.get(1, "default").cloned();
                    let default_node = args.node(1, "default");
                    Ok(self.environ_get(&var, default, default_node, location))
                }
                "setdefault" => {
                    let (Some(var), Some(value)) = (arg(0), arg(1)) else {
                        return Ok(unknown("os.environ.setdefault() without a value"));
                    };
                    Ok(self.environ_setdefault(&var, &value, location))
                }
                "__getitem__" => match arg(0) {
                    Some(var) => self.environ_item(&var, location),
                    None => Ok(unknown("os.environ[] without a name")),
                },
                _ => Ok(unknown(format!(
                    "os.environ.{method}(), which static analysis does not model"
                ))),
            },
            (Val::Module(m), "append" | "insert") if m == "sys.path" => {
                let dir = if method == "append" { arg(0) } else { arg(1) };
                if let Some(dir) = dir.and_then(|d| d.py_str()).filter(|d| d.starts_with('/')) {
                    let dir = normalize(&dir);
                    if method == "append" {
                        self.sys_path.push(dir);
                    } else {
                        self.sys_path.insert(0, dir);
                    }
                }
                Ok(Val::None)
            }
            (Val::Unknown(reason), _) => Ok(Val::Unknown(reason.clone())),
            (Val::Env(reader), _) => {
                let cast = match method {
                    "str" | "bool" | "int" | "float" | "list" | "tuple" | "dict" => {
                        Some(Val::Builtin(method.to_owned()))
                    }
                    "json" => Some(Val::Builtin("json.loads".to_owned())),
                    "read_env" => {
                        let path = args.get(0, "env_file");
                        let overwrite = args.kw("overwrite").and_then(Val::truthy).unwrap_or(false);
                        let frame: &Frame = f;
                        return Ok(self.read_env(frame, path, overwrite, location));
                    }
                    "db" | "db_url" | "cache" | "cache_url" | "email" | "email_url"
                    | "search_url" | "url" | "path" | "channels_url" | "bytes" => {
                        if let Some(var) = arg(0).and_then(|v| v.py_str()) {
                            let _ = self.env_lookup(&var);
                        }
                        return Ok(Val::opaque(
                            if method == "path" { "Path" } else { "dict" },
                            &format!("env.{method}()"),
                        ));
                    }
                    _ => {
                        return Ok(unknown(format!(
                            "env.{method}(), which static analysis does not model"
                        )));
                    }
                };
                let cast = match (method, args.get(1, "cast")) {
                    ("list", Some(inner)) if !matches!(inner, Val::None) => {
                        Some(Val::List(vec![inner.clone()]))
                    }
                    ("tuple", Some(inner)) if !matches!(inner, Val::None) => {
                        Some(Val::Tuple(vec![inner.clone()]))
                    }
                    _ => cast,
                };
                let Some(var) = args.get(0, "var") else {
                    return Ok(unknown("env() without a variable name"));
                };
                let default_index = if matches!(method, "list" | "tuple" | "dict") { 2 } else { 1 };
                let read = Read {
                    cast,
                    default: args.get(default_index, "default").cloned(),
                    parse_default: false,
                    default_node: args.node(default_index, "default"),
                };
                let reader = reader.clone();
                self.environ_value(&reader, var, read, location, 0)
            }
            (Val::Decouple(index), "get" | "__call__") => {
                let index = *index;
                let Some(option) = args.get(0, "option") else {
                    return Ok(unknown("config() without a name"));
                };
                let read = decouple_read(args);
                let frame: &Frame = f;
                self.decouple_get(frame, index, option, &read, location)
            }
            (Val::Str(s), _) => Ok(Self::str_method(s, method, args, location)?),
            (Val::Path(p), _) => Ok(match method {
                "resolve" | "absolute" | "expanduser" => {
                    if p.starts_with('/') {
                        Val::Path(p.clone())
                    } else {
                        unknown("a relative path, which depends on the working directory")
                    }
                }
                "joinpath" => {
                    let mut path = p.clone();
                    for (part, _) in &args.pos {
                        match part.py_str() {
                            Some(part) => path = join_path(&path, &part),
                            None => return Ok(unknown("a path static analysis cannot know")),
                        }
                    }
                    Val::Path(path)
                }
                "exists" | "is_file" | "is_dir" => {
                    let host = self.input.target.host_path(p);
                    Val::Bool(match method {
                        "is_file" => host.is_file(),
                        "is_dir" => host.is_dir(),
                        _ => host.exists(),
                    })
                }
                "as_posix" | "__str__" | "__fspath__" => Val::Str(p.clone()),
                "with_name" | "with_suffix" => unknown(format!("Path.{method}()")),
                _ => unknown(format!("Path.{method}(), which static analysis does not model")),
            }),
            (Val::List(items) | Val::Tuple(items), "index" | "count") => {
                let Some(needle) = arg(0) else { return Ok(unknown("index() without a value")) };
                if method == "count" {
                    return Ok(Val::Int(
                        i64::try_from(
                            items.iter().filter(|i| py_eq(i, &needle) == Some(true)).count(),
                        )
                        .unwrap_or(0),
                    ));
                }
                for (i, item) in items.iter().enumerate() {
                    match py_eq(item, &needle) {
                        Some(true) => return Ok(Val::Int(i64::try_from(i).unwrap_or(i64::MAX))),
                        Some(false) => {}
                        None => {
                            return Ok(unknown(
                                "index() in a list static analysis cannot fully know",
                            ));
                        }
                    }
                }
                Err(raise(
                    ExcKind::Value,
                    format!("the value is not in the {}", receiver.type_name()),
                    location.clone(),
                ))
            }
            (Val::List(_) | Val::Dict(_) | Val::Set(_), "copy") => Ok(receiver.clone()),
            (Val::Dict(entries), _) => Ok(match method {
                "get" => {
                    let Some(key) = arg(0) else { return Ok(unknown("get() without a key")) };
                    match entries.iter().rev().find(|(k, _)| py_eq(k, &key) == Some(true)) {
                        Some((_, v)) => v.clone(),
                        None => arg(1).unwrap_or(Val::None),
                    }
                }
                "keys" => Val::List(entries.iter().map(|(k, _)| k.clone()).collect()),
                "values" => Val::List(entries.iter().map(|(_, v)| v.clone()).collect()),
                "items" => Val::List(
                    entries.iter().map(|(k, v)| Val::Tuple(vec![k.clone(), v.clone()])).collect(),
                ),
                _ => {
                    // A mutator used inside an expression: compute its result.
                    return match Self::mutate(receiver.clone(), method, args, location)? {
                        Some(_) => Ok(unknown(format!("the result of dict.{method}()"))),
                        None => Ok(unknown(format!(
                            "dict.{method}(), which static analysis does not model"
                        ))),
                    };
                }
            }),
            (Val::List(items), "pop") if args.pos.is_empty() => match items.last() {
                Some(v) => Ok(v.clone()),
                None => Err(raise(ExcKind::Index, "pop from empty list", location.clone())),
            },
            (Val::Opaque { source, .. }, _) => Ok(unknown(format!(
                "calls `{source}.{method}()`, which static analysis does not run"
            ))),
            (Val::Module(m), _) => {
                let callee = self.module_attr(m, method);
                let frame_node = None::<Node<'_>>;
                let _ = frame_node;
                match callee {
                    Val::Builtin(name) => Ok(unknown(format!("calls `{name}` as a method"))),
                    other => Ok(unknown(format!("calls `{}`", other.type_name()))),
                }
            }
            (other, _) => Ok(unknown(format!(
                "{}.{method}(), which static analysis does not model",
                other.type_name()
            ))),
        }
    }

    fn str_method(
        s: &str,
        method: &str,
        args: &Args<'_>,
        location: &Location,
    ) -> Result<Val, Raise> {
        let arg_str = |i: usize| {
            args.pos.get(i).and_then(|(v, _)| v.py_str().filter(|_| matches!(v, Val::Str(_))))
        };
        if let Some(reason) = args.first_unknown() {
            return Ok(Val::Unknown(reason));
        }
        Ok(match method {
            "lower" | "casefold" => Val::Str(s.to_lowercase()),
            "upper" => Val::Str(s.to_uppercase()),
            "strip" | "lstrip" | "rstrip" => {
                let chars: Option<Vec<char>> = arg_str(0).map(|c| c.chars().collect());
                let matcher =
                    |c: char| chars.as_ref().map_or(c.is_whitespace(), |set| set.contains(&c));
                Val::Str(
                    match method {
                        "strip" => s.trim_matches(matcher),
                        "lstrip" => s.trim_start_matches(matcher),
                        _ => s.trim_end_matches(matcher),
                    }
                    .to_owned(),
                )
            }
            "split" | "rsplit" => {
                let sep = args
                    .get(0, "sep")
                    .and_then(|v| if matches!(v, Val::None) { None } else { v.py_str() });
                let maxsplit = args.get(1, "maxsplit").and_then(as_int).unwrap_or(-1);
                let parts: Vec<String> = match (&sep, maxsplit) {
                    (Some(sep), _) if sep.is_empty() => {
                        return Err(raise(ExcKind::Value, "empty separator", location.clone()));
                    }
                    (Some(sep), m) if m < 0 => s.split(sep.as_str()).map(str::to_owned).collect(),
                    (Some(sep), m) => {
                        let n = usize::try_from(m).unwrap_or(0) + 1;
                        if method == "split" {
                            s.splitn(n, sep.as_str()).map(str::to_owned).collect()
                        } else {
                            let mut parts: Vec<String> =
                                s.rsplitn(n, sep.as_str()).map(str::to_owned).collect();
                            parts.reverse();
                            parts
                        }
                    }
                    (None, m) if m < 0 => s.split_whitespace().map(str::to_owned).collect(),
                    (None, _) => return Ok(unknown("split() with maxsplit and no separator")),
                };
                Val::List(parts.into_iter().map(Val::Str).collect())
            }
            "splitlines" => Val::List(s.lines().map(Val::str).collect()),
            "startswith" | "endswith" => {
                let prefixes: Vec<String> = match args.pos.first().map(|(v, _)| v) {
                    Some(Val::Str(p)) => vec![p.clone()],
                    Some(Val::Tuple(items)) => items.iter().filter_map(Val::py_str).collect(),
                    _ => {
                        return Ok(unknown(format!(
                            "str.{method}() of a value static analysis cannot know"
                        )));
                    }
                };
                Val::Bool(prefixes.iter().any(|p| {
                    if method == "startswith" {
                        s.starts_with(p.as_str())
                    } else {
                        s.ends_with(p.as_str())
                    }
                }))
            }
            "replace" => match (arg_str(0), arg_str(1)) {
                (Some(from), Some(to)) if !from.is_empty() => Val::Str(s.replace(&from, &to)),
                _ => unknown("str.replace() static analysis cannot compute"),
            },
            "removeprefix" => Val::Str(arg_str(0).map_or_else(
                || s.to_owned(),
                |p| s.strip_prefix(p.as_str()).unwrap_or(s).to_owned(),
            )),
            "removesuffix" => Val::Str(arg_str(0).map_or_else(
                || s.to_owned(),
                |p| s.strip_suffix(p.as_str()).unwrap_or(s).to_owned(),
            )),
            "join" => match args.pos.first().and_then(|(v, _)| v.iter_items()) {
                Some(items) => {
                    let parts: Option<Vec<String>> = items
                        .iter()
                        .map(|i| if let Val::Str(t) = i { Some(t.clone()) } else { None })
                        .collect();
                    match parts {
                        Some(parts) => Val::Str(parts.join(s)),
                        None => {
                            return Err(raise(
                                ExcKind::Type,
                                "sequence item: expected str instance",
                                location.clone(),
                            ));
                        }
                    }
                }
                None => unknown("str.join() of a value static analysis cannot know"),
            },
            "isdigit" | "isdecimal" | "isnumeric" => {
                Val::Bool(!s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
            }
            "title" | "capitalize" => {
                let mut chars = s.chars();
                Val::Str(chars.next().map_or_else(String::new, |c| {
                    c.to_uppercase().collect::<String>() + &chars.as_str().to_lowercase()
                }))
            }
            "encode" => Val::opaque("bytes", "str.encode()"),
            "count" => match arg_str(0) {
                Some(n) if !n.is_empty() => {
                    Val::Int(i64::try_from(s.matches(n.as_str()).count()).unwrap_or(0))
                }
                _ => unknown("str.count()"),
            },
            "find" => match arg_str(0) {
                Some(n) => Val::Int(
                    s.find(n.as_str())
                        .map_or(-1, |i| i64::try_from(s[..i].chars().count()).unwrap_or(-1)),
                ),
                None => unknown("str.find()"),
            },
            "format" => unknown("str.format(), which static analysis does not evaluate"),
            _ => unknown(format!("str.{method}(), which static analysis does not model")),
        })
    }

    /// A method that changes its receiver: the receiver's new value, or
    /// `None` when the method is not a mutator of that type.
    pub fn mutate(
        receiver: Val,
        method: &str,
        args: &Args<'_>,
        location: &Location,
    ) -> Result<Option<Val>, Raise> {
        let arg = |i: usize| args.pos.get(i).map(|(v, _)| v.clone());
        if let Val::Unknown(reason) = &receiver {
            return Ok(Some(Val::Unknown(reason.clone())));
        }
        let updated = match (receiver, method) {
            (Val::List(mut items), "append") => {
                let Some(v) = arg(0) else { return Ok(None) };
                items.push(v);
                Val::List(items)
            }
            (Val::List(mut items), "extend") => {
                let Some(v) = arg(0) else { return Ok(None) };
                if let Val::Unknown(r) = v {
                    return Ok(Some(Val::Unknown(r)));
                }
                match v.iter_items() {
                    Some(more) => items.extend(more),
                    None => {
                        return Err(raise(
                            ExcKind::Type,
                            format!("'{}' object is not iterable", v.type_name()),
                            location.clone(),
                        ));
                    }
                }
                Val::List(items)
            }
            (Val::List(mut items), "insert") => {
                let (Some(index), Some(v)) = (arg(0), arg(1)) else { return Ok(None) };
                if let Val::Unknown(r) = index {
                    return Ok(Some(Val::Unknown(r)));
                }
                let Some(i) = as_int(&index) else {
                    return Err(raise(
                        ExcKind::Type,
                        "list indices must be integers",
                        location.clone(),
                    ));
                };
                let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                let at = if i < 0 { (i + len).max(0) } else { i.min(len) };
                items.insert(usize::try_from(at).unwrap_or(0), v);
                Val::List(items)
            }
            (Val::List(mut items), "remove") => {
                let Some(v) = arg(0) else { return Ok(None) };
                match items.iter().position(|i| py_eq(i, &v) == Some(true)) {
                    Some(pos) => {
                        items.remove(pos);
                    }
                    None if items.iter().any(|i| py_eq(i, &v).is_none()) => {
                        return Ok(Some(unknown(
                            "remove() from a list static analysis cannot fully know",
                        )));
                    }
                    None => {
                        return Err(raise(
                            ExcKind::Value,
                            "list.remove(x): x not in list",
                            location.clone(),
                        ));
                    }
                }
                Val::List(items)
            }
            (Val::List(mut items), "pop") => {
                let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                let i = arg(0).and_then(|v| as_int(&v)).unwrap_or(-1);
                let at = if i < 0 { i + len } else { i };
                match usize::try_from(at).ok().filter(|a| *a < items.len()) {
                    Some(a) => {
                        items.remove(a);
                    }
                    None => {
                        return Err(raise(
                            ExcKind::Index,
                            "pop index out of range",
                            location.clone(),
                        ));
                    }
                }
                Val::List(items)
            }
            (Val::List(_), "clear") => Val::List(Vec::new()),
            (Val::List(mut items), "reverse") => {
                items.reverse();
                Val::List(items)
            }
            (Val::List(items), "sort") => {
                if items.iter().all(|i| matches!(i, Val::Str(_))) && args.kw.is_empty() {
                    let mut items = items;
                    items.sort_by_key(super::val::Val::py_str);
                    Val::List(items)
                } else {
                    unknown("a list sorted in a way static analysis does not follow")
                }
            }
            (Val::Dict(mut entries), "update") => {
                if let Some(other) = arg(0) {
                    match other {
                        Val::Dict(more) => {
                            for (k, v) in more {
                                dict_set(&mut entries, k, v);
                            }
                        }
                        Val::Unknown(r) => return Ok(Some(Val::Unknown(r))),
                        _ => {
                            return Ok(Some(unknown(
                                "dict.update() with a value static analysis cannot know",
                            )));
                        }
                    }
                }
                for (k, v, _) in &args.kw {
                    dict_set(&mut entries, Val::Str(k.clone()), v.clone());
                }
                Val::Dict(entries)
            }
            (Val::Dict(mut entries), "setdefault") => {
                let Some(k) = arg(0) else { return Ok(None) };
                if !entries.iter().any(|(e, _)| py_eq(e, &k) == Some(true)) {
                    entries.push((k, arg(1).unwrap_or(Val::None)));
                }
                Val::Dict(entries)
            }
            (Val::Dict(mut entries), "pop") => {
                let Some(k) = arg(0) else { return Ok(None) };
                let before = entries.len();
                entries.retain(|(e, _)| py_eq(e, &k) != Some(true));
                if before == entries.len() && arg(1).is_none() {
                    return Err(raise(
                        ExcKind::Key,
                        k.py_str().unwrap_or_default(),
                        location.clone(),
                    ));
                }
                Val::Dict(entries)
            }
            (Val::Dict(_), "clear") => Val::Dict(Vec::new()),
            (Val::Set(mut items), "add") => {
                let Some(v) = arg(0) else { return Ok(None) };
                if !items.contains(&v) {
                    items.push(v);
                }
                Val::Set(items)
            }
            (Val::Set(mut items), "discard" | "remove") => {
                let Some(v) = arg(0) else { return Ok(None) };
                let before = items.len();
                items.retain(|i| *i != v);
                if method == "remove" && before == items.len() {
                    return Err(raise(
                        ExcKind::Key,
                        v.py_str().unwrap_or_default(),
                        location.clone(),
                    ));
                }
                Val::Set(items)
            }
            (Val::Set(mut items), "update") => {
                for (v, _) in &args.pos {
                    match v.iter_items() {
                        Some(more) => {
                            for m in more {
                                if !items.contains(&m) {
                                    items.push(m);
                                }
                            }
                        }
                        None => {
                            return Ok(Some(unknown(
                                "set.update() with a value static analysis cannot know",
                            )));
                        }
                    }
                }
                Val::Set(items)
            }
            (Val::Tuple(_), m) if super::interp::MUTATORS.contains(&m) => {
                return Err(raise(
                    ExcKind::Attribute,
                    format!("'tuple' object has no attribute '{m}'"),
                    location.clone(),
                ));
            }
            _ => return Ok(None),
        };
        Ok(Some(updated))
    }

    pub fn get_attr(&mut self, obj: Val, name: &str) -> Val {
        match obj {
            Val::Module(m) if m == "os.environ" || m == "sys.path" => {
                Val::Method(Box::new(Val::Module(m)), name.to_owned())
            }
            Val::Module(m) => self.module_attr(&m, name),
            Val::Builtin(b) => match (b.as_str(), name) {
                ("environ.Env", "read_env") => Val::Builtin("environ.Env.read_env".to_owned()),
                ("pathlib.Path", "cwd" | "home") => Val::Builtin(format!("pathlib.Path.{name}")),
                _ => Val::opaque("object", &format!("{b}.{name}")),
            },
            Val::Path(p) => match name {
                "parent" => Val::Path(parent_dir(&p)),
                "parents" => {
                    let mut ancestors = Vec::new();
                    let mut dir = p.clone();
                    while dir != "/" {
                        dir = parent_dir(&dir);
                        ancestors.push(Val::Path(dir.clone()));
                    }
                    Val::Tuple(ancestors)
                }
                "name" => Val::Str(p.rsplit('/').next().unwrap_or("").to_owned()),
                "stem" => Val::Str(
                    p.rsplit('/').next().unwrap_or("").split('.').next().unwrap_or("").to_owned(),
                ),
                "suffix" => Val::Str(
                    p.rsplit('/')
                        .next()
                        .unwrap_or("")
                        .rsplit_once('.')
                        .map(|(_, s)| format!(".{s}"))
                        .unwrap_or_default(),
                ),
                _ => Val::Method(Box::new(Val::Path(p)), name.to_owned()),
            },
            Val::Env(reader) => match name {
                "smart_cast" => Val::Bool(reader.smart_cast),
                "escape_proxy" => Val::Bool(reader.escape_proxy),
                "prefix" => Val::Str(reader.prefix.clone()),
                "ENVIRON" => Val::Module("os.environ".to_owned()),
                _ => Val::Method(Box::new(Val::Env(reader)), name.to_owned()),
            },
            Val::Decouple(i) => Val::Method(Box::new(Val::Decouple(i)), name.to_owned()),
            Val::Str(_) | Val::List(_) | Val::Tuple(_) | Val::Dict(_) | Val::Set(_) => {
                Val::Method(Box::new(obj), name.to_owned())
            }
            Val::Timedelta(seconds) => match name {
                "total_seconds" => Val::Method(Box::new(Val::Timedelta(seconds)), name.to_owned()),
                _ => unknown(format!("timedelta.{name}")),
            },
            Val::Opaque { source, .. } => Val::opaque("object", &format!("{source}.{name}")),
            Val::Unknown(r) => Val::Unknown(r),
            other => unknown(format!("the attribute `{name}` of a {}", other.type_name())),
        }
    }

    /// An attribute of an imported module: the functions and constants the
    /// interpreter models, a project module's names, else an opaque object.
    pub fn module_attr(&mut self, module: &str, name: &str) -> Val {
        if let Some(ns) = self.module_namespace(module) {
            if let Some(binding) = ns.get(name) {
                return binding.val.clone();
            }
            let sub = format!("{module}.{name}");
            if self.resolve_project(&sub).is_some() {
                return Val::Module(sub);
            }
            return unknown(format!("`{module}.{name}` is not defined"));
        }
        let module = module
            .strip_prefix("environ.environ")
            .map_or_else(|| module.to_owned(), |rest| format!("environ{rest}"));
        let qualified = format!("{module}.{name}");
        match (module.as_str(), name) {
            ("os", "environ") => Val::Module("os.environ".to_owned()),
            ("os", "path") => Val::Module("os.path".to_owned()),
            ("os" | "os.path", "sep") => Val::str("/"),
            ("typing", "TYPE_CHECKING") => Val::Bool(false),
            ("os", "getenv" | "getcwd")
            | ("os.path" | "secrets", _)
            | ("decouple", "AutoConfig" | "Config" | "RepositoryEnv" | "RepositoryIni" | "Csv")
            | ("json", "loads")
            | ("django.core.management.utils", "get_random_secret_key")
            | ("django.utils.crypto", "get_random_string") => Val::Builtin(qualified),
            ("sys", "path") => Val::Module("sys.path".to_owned()),
            ("pathlib", "Path" | "PosixPath" | "PurePath" | "PurePosixPath") => {
                Val::Builtin("pathlib.Path".to_owned())
            }
            ("datetime", "timedelta") => Val::Builtin("datetime.timedelta".to_owned()),
            ("dotenv" | "dotenv.main", "load_dotenv" | "find_dotenv" | "dotenv_values") => {
                Val::Builtin(format!("dotenv.{name}"))
            }
            ("environ", "Env" | "FileAwareEnv") => Val::Builtin("environ.Env".to_owned()),
            ("environ", "Path") => Val::Builtin("environ.Path".to_owned()),
            ("decouple", "config") => Val::Decouple(0),
            ("django.utils.csp", "CSP") | ("csp", "constants") => Val::Module(qualified),
            ("csp.constants" | "django.utils.csp.CSP", constant) => {
                csp_constant(constant).unwrap_or_else(|| Val::opaque("object", &qualified))
            }
            _ => {
                if self.resolve_project(&qualified).is_some() {
                    Val::Module(qualified)
                } else {
                    Val::opaque("object", &qualified)
                }
            }
        }
    }
}

/// python-decouple's `config(option, default=..., cast=...)` arguments.
fn decouple_read<'t>(args: &Args<'t>) -> Read<'t> {
    Read {
        cast: args.get(2, "cast").cloned(),
        default: args.get(1, "default").cloned(),
        parse_default: false,
        default_node: args.node(1, "default"),
    }
}

enum Step {
    Skip,
    Unknown(String),
    Item(Val),
    Pair(Val, Val),
}

fn repeat_items(items: &[Val], n: usize) -> Vec<Val> {
    let mut out = Vec::with_capacity(items.len() * n);
    for _ in 0..n {
        out.extend(items.iter().cloned());
    }
    out
}

fn unreachable_unknown() -> Val {
    unknown("an operation static analysis does not model")
}

/// The names a star import of a modelled external module binds.
pub(crate) fn star_names(module: &str) -> Vec<(String, Val)> {
    match module {
        "csp.constants" => CSP_CONSTANTS
            .iter()
            .filter_map(|(n, _)| csp_constant(n).map(|v| ((*n).to_owned(), v)))
            .collect(),
        _ => Vec::new(),
    }
}

const CSP_CONSTANTS: &[(&str, &str)] = &[
    ("SELF", "'self'"),
    ("NONE", "'none'"),
    ("UNSAFE_INLINE", "'unsafe-inline'"),
    ("UNSAFE_EVAL", "'unsafe-eval'"),
    ("UNSAFE_HASHES", "'unsafe-hashes'"),
    ("UNSAFE_ALLOW_REDIRECTS", "'unsafe-allow-redirects'"),
    ("STRICT_DYNAMIC", "'strict-dynamic'"),
    ("REPORT_SAMPLE", "'report-sample'"),
    ("WASM_UNSAFE_EVAL", "'wasm-unsafe-eval'"),
    ("NONCE", ""),
];

/// django-csp's `csp.constants` and Django's `CSP` enum (a `StrEnum`, so
/// its members are strings).
fn csp_constant(name: &str) -> Option<Val> {
    if name == "NONCE" {
        return Some(Val::opaque("Nonce", "NONCE"));
    }
    CSP_CONSTANTS.iter().find(|(n, _)| *n == name).map(|(_, v)| Val::str(*v))
}

pub(crate) fn dict_set(entries: &mut Vec<(Val, Val)>, key: Val, value: Val) {
    match entries.iter_mut().find(|(k, _)| py_eq(k, &key) == Some(true)) {
        Some(entry) => entry.1 = value,
        None => entries.push((key, value)),
    }
}

fn as_int(v: &Val) -> Option<i64> {
    match v {
        Val::Int(i) => Some(*i),
        Val::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

fn as_number(v: &Val) -> Option<f64> {
    match v {
        #[allow(clippy::cast_precision_loss)]
        Val::Int(i) => Some(*i as f64),
        Val::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Val::Float(x) => Some(*x),
        _ => None,
    }
}

fn parse_int(text: &str) -> Option<i64> {
    let clean = text.replace('_', "").to_lowercase();
    if let Some(hex) = clean.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = clean.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok();
    }
    if let Some(bin) = clean.strip_prefix("0b") {
        return i64::from_str_radix(bin, 2).ok();
    }
    clean.trim_end_matches('l').parse().ok()
}

fn from_json(json: &serde_json::Value) -> Val {
    match json {
        serde_json::Value::Null => Val::None,
        serde_json::Value::Bool(b) => Val::Bool(*b),
        serde_json::Value::Number(n) => {
            n.as_i64().map_or_else(|| Val::Float(n.as_f64().unwrap_or(0.0)), Val::Int)
        }
        serde_json::Value::String(s) => Val::Str(s.clone()),
        serde_json::Value::Array(items) => Val::List(items.iter().map(from_json).collect()),
        serde_json::Value::Object(map) => {
            Val::Dict(map.iter().map(|(k, v)| (Val::Str(k.clone()), from_json(v))).collect())
        }
    }
}

/// Python's escapes in a (non-raw) string literal.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(next) = chars.next() else {
            out.push('\\');
            break;
        };
        match next {
            '\n' => {}
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
            }
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'v' => out.push('\u{b}'),
            '0'..='7' => {
                let mut digits = next.to_string();
                while digits.len() < 3 && chars.peek().is_some_and(|d| ('0'..='7').contains(d)) {
                    digits.extend(chars.next());
                }
                out.extend(u32::from_str_radix(&digits, 8).ok().and_then(char::from_u32));
            }
            'x' | 'u' | 'U' => {
                let len = match next {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let digits: String = (0..len).filter_map(|_| chars.next()).collect();
                if let Some(ch) = u32::from_str_radix(&digits, 16).ok().and_then(char::from_u32) {
                    out.push(ch);
                } else {
                    out.push('\\');
                    out.push(next);
                    out.push_str(&digits);
                }
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    out
}

#[allow(dead_code)]
fn float_text(x: f64) -> String {
    py_float(x)
}
