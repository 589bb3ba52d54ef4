//! The values a settings module computes, as far as static analysis can know
//! them. A value that cannot be known is `Unknown` with the reason: the
//! checks never guess.

use std::fmt;

/// A Python value that static analysis computed.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<PyValue>),
    Tuple(Vec<PyValue>),
    Set(Vec<PyValue>),
    /// Keys in insertion order, as Python dicts keep them.
    Dict(Vec<(PyValue, PyValue)>),
    /// `datetime.timedelta(...)`, in seconds.
    Timedelta(f64),
    /// Something real but not modelled (a callable, a `Path`, an object):
    /// its Python type name and the source text that made it.
    Opaque {
        type_name: String,
        source: String,
    },
}

impl PyValue {
    /// Python's truthiness.
    pub fn truthy(&self) -> bool {
        match self {
            PyValue::None => false,
            PyValue::Bool(b) => *b,
            PyValue::Int(i) => *i != 0,
            PyValue::Float(f) => *f != 0.0,
            PyValue::Str(s) => !s.is_empty(),
            PyValue::List(v) | PyValue::Tuple(v) | PyValue::Set(v) => !v.is_empty(),
            PyValue::Dict(d) => !d.is_empty(),
            PyValue::Timedelta(s) => *s != 0.0,
            PyValue::Opaque { .. } => true,
        }
    }

    /// `value is True`, the comparison Django's own deploy checks use.
    pub fn is_true(&self) -> bool {
        matches!(self, PyValue::Bool(true))
    }

    /// The items of a list, tuple or set.
    pub fn items(&self) -> Option<&[PyValue]> {
        match self {
            PyValue::List(v) | PyValue::Tuple(v) | PyValue::Set(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            PyValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Looks up a string key of a dict.
    pub fn get(&self, key: &str) -> Option<&PyValue> {
        match self {
            PyValue::Dict(entries) => {
                entries.iter().rev().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v)
            }
            _ => None,
        }
    }

    /// True when a list/tuple/set holds this string.
    pub fn contains_str(&self, needle: &str) -> bool {
        self.items().is_some_and(|items| items.iter().any(|i| i.as_str() == Some(needle)))
    }

    /// The Python type name, for messages ("a str, not a bool").
    pub fn type_name(&self) -> &str {
        match self {
            PyValue::None => "NoneType",
            PyValue::Bool(_) => "bool",
            PyValue::Int(_) => "int",
            PyValue::Float(_) => "float",
            PyValue::Str(_) => "str",
            PyValue::List(_) => "list",
            PyValue::Tuple(_) => "tuple",
            PyValue::Set(_) => "set",
            PyValue::Dict(_) => "dict",
            PyValue::Timedelta(_) => "timedelta",
            PyValue::Opaque { type_name, .. } => type_name,
        }
    }
}

/// Python's `repr()`, near enough for evidence.
impl fmt::Display for PyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn seq(
            f: &mut fmt::Formatter<'_>,
            items: &[PyValue],
            open: &str,
            close: &str,
        ) -> fmt::Result {
            f.write_str(open)?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{item}")?;
            }
            if open == "(" && items.len() == 1 {
                f.write_str(",")?;
            }
            f.write_str(close)
        }
        match self {
            PyValue::None => f.write_str("None"),
            PyValue::Bool(true) => f.write_str("True"),
            PyValue::Bool(false) => f.write_str("False"),
            PyValue::Int(i) => write!(f, "{i}"),
            PyValue::Float(x) => write!(f, "{x:?}"),
            PyValue::Str(s) => write!(f, "{s:?}"),
            PyValue::List(v) => seq(f, v, "[", "]"),
            PyValue::Tuple(v) => seq(f, v, "(", ")"),
            PyValue::Set(v) if v.is_empty() => f.write_str("set()"),
            PyValue::Set(v) => seq(f, v, "{", "}"),
            PyValue::Dict(d) => {
                f.write_str("{")?;
                for (i, (k, v)) in d.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
            PyValue::Timedelta(s) => write!(f, "timedelta(seconds={s})"),
            PyValue::Opaque { source, .. } => f.write_str(source),
        }
    }
}

/// What a setting is, as far as can be known without running Python.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Known(PyValue),
    /// Cannot be known statically; the reason names the environment variable
    /// or the condition at fault.
    Unknown(String),
}

/// A place in a file of the target: the inside path, the 1-based line, and
/// the line's text (secrets already redacted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: u32,
    pub text: String,
}

/// The effective value of one setting and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub name: String,
    pub value: Value,
    /// The statement in effect; `None` when the setting is never assigned
    /// and Django's default applies.
    pub assigned: Option<Location>,
    /// Further places that shaped the value: earlier list operations, the
    /// `.env` line an environment variable was read from, the `if` it sits
    /// under. Shown after `assigned`.
    pub related: Vec<Location>,
    /// Notes for the operator about how the value was computed ("under
    /// `if DEBUG:` at `settings.py:40`", "read from `DJANGO_DEBUG` in `/srv/app/.env`").
    pub notes: Vec<String>,
    /// Set when the value is a secret: evidence then never shows it.
    pub secret: bool,
}

impl Setting {
    pub fn known(&self) -> Option<&PyValue> {
        match &self.value {
            Value::Known(v) => Some(v),
            Value::Unknown(_) => None,
        }
    }
}
