//! The values the interpreter computes with: Python values plus the objects
//! the settings libraries create (an `environ.Env`, a decouple `AutoConfig`,
//! a `Path`), and `Unknown` with the reason it cannot be known.

use crate::django::dotenv::Dialect;
use crate::django::value::PyValue;

/// A django-environ `Env` instance: its scheme and switches.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EnvReader {
    /// `NAME=(cast, default)` or `NAME=cast` from the constructor.
    pub scheme: Vec<(String, Val, Option<Val>)>,
    pub smart_cast: bool,
    pub escape_proxy: bool,
    pub prefix: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Val>),
    Tuple(Vec<Val>),
    Set(Vec<Val>),
    Dict(Vec<(Val, Val)>),
    /// Seconds.
    Timedelta(f64),
    /// A `pathlib.Path`, as an inside path.
    Path(String),
    /// A django-environ `Path`, as an inside path.
    EnvironPath(String),
    /// An imported module, by dotted name.
    Module(String),
    /// A function or class the interpreter models, by qualified name
    /// (`os.getenv`, `dotenv.load_dotenv`, `int`).
    Builtin(String),
    /// A method bound to its receiver.
    Method(Box<Val>, String),
    Env(Box<EnvReader>),
    /// A python-decouple config object: an index into the interpreter's list.
    Decouple(usize),
    /// A python-decouple repository (`RepositoryEnv(path)`).
    DecoupleRepo(String, Dialect),
    /// python-decouple's `Csv(...)` cast.
    Csv {
        item: Box<Val>,
        tuple: bool,
    },
    /// Real but not modelled: a callable, an object, a class.
    Opaque {
        type_name: String,
        source: String,
    },
    Unknown(String),
}

impl Val {
    pub fn str(text: impl Into<String>) -> Val {
        Val::Str(text.into())
    }

    pub fn opaque(type_name: &str, source: &str) -> Val {
        Val::Opaque { type_name: type_name.to_owned(), source: source.to_owned() }
    }

    /// Roughly how much work copying the value is: one per item, nested.
    pub fn weight(&self) -> u64 {
        match self {
            Val::List(items) | Val::Tuple(items) | Val::Set(items) => {
                1 + items.iter().map(Val::weight).sum::<u64>()
            }
            Val::Dict(entries) => {
                1 + entries.iter().map(|(k, v)| k.weight() + v.weight()).sum::<u64>()
            }
            Val::Str(s) => 1 + (s.len() as u64) / 64,
            _ => 1,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Val::Unknown(_))
    }

    /// The first unknown part of the value, if any.
    pub fn unknown_reason(&self) -> Option<&str> {
        match self {
            Val::Unknown(reason) => Some(reason),
            Val::List(items) | Val::Tuple(items) | Val::Set(items) => {
                items.iter().find_map(Val::unknown_reason)
            }
            Val::Dict(entries) => {
                entries.iter().find_map(|(k, v)| k.unknown_reason().or_else(|| v.unknown_reason()))
            }
            _ => None,
        }
    }

    pub fn type_name(&self) -> &str {
        match self {
            Val::None => "NoneType",
            Val::Bool(_) => "bool",
            Val::Int(_) => "int",
            Val::Float(_) => "float",
            Val::Str(_) => "str",
            Val::List(_) => "list",
            Val::Tuple(_) => "tuple",
            Val::Set(_) => "set",
            Val::Dict(_) => "dict",
            Val::Timedelta(_) => "timedelta",
            Val::Path(_) => "PosixPath",
            Val::EnvironPath(_) => "Path",
            Val::Module(_) => "module",
            Val::Builtin(_) | Val::Method(..) => "function",
            Val::Env(_) => "Env",
            Val::Decouple(_) => "AutoConfig",
            Val::DecoupleRepo(..) => "Repository",
            Val::Csv { .. } => "Csv",
            Val::Opaque { type_name, .. } => type_name,
            Val::Unknown(_) => "unknown",
        }
    }

    /// Python truthiness; `None` when it cannot be known.
    pub fn truthy(&self) -> Option<bool> {
        Some(match self {
            Val::None => false,
            Val::Bool(b) => *b,
            Val::Int(i) => *i != 0,
            Val::Float(f) => *f != 0.0,
            Val::Str(s) | Val::Path(s) => !s.is_empty() || matches!(self, Val::Path(_)),
            Val::List(v) | Val::Tuple(v) | Val::Set(v) => !v.is_empty(),
            Val::Dict(d) => !d.is_empty(),
            Val::Timedelta(s) => *s != 0.0,
            Val::Unknown(_) | Val::Opaque { .. } => return None,
            _ => true,
        })
    }

    /// Items of a list, tuple or set (or the characters of a string), the way
    /// `list(x)` iterates them.
    pub fn iter_items(&self) -> Option<Vec<Val>> {
        match self {
            Val::List(v) | Val::Tuple(v) | Val::Set(v) => Some(v.clone()),
            Val::Dict(d) => Some(d.iter().map(|(k, _)| k.clone()).collect()),
            Val::Str(s) => Some(s.chars().map(|c| Val::Str(c.to_string())).collect()),
            _ => None,
        }
    }

    /// Python's `str(x)`, when it can be known.
    pub fn py_str(&self) -> Option<String> {
        match self {
            Val::Str(s) | Val::Path(s) | Val::EnvironPath(s) => Some(s.clone()),
            Val::Unknown(_)
            | Val::Opaque { .. }
            | Val::Module(_)
            | Val::Builtin(_)
            | Val::Method(..)
            | Val::Env(_)
            | Val::Decouple(_)
            | Val::DecoupleRepo(..)
            | Val::Csv { .. } => None,
            other => to_py(other).ok().map(|v| match v {
                PyValue::Float(f) => py_float(f),
                v => v.to_string(),
            }),
        }
    }
}

/// Python's `repr` of a float (`1.0`, `0.5`, `1e+20`).
pub(crate) fn py_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f:?}")
    }
}

/// Converts to the public value type; an unknown part gives its reason.
pub(crate) fn to_py(val: &Val) -> Result<PyValue, String> {
    let seq = |items: &[Val]| items.iter().map(to_py).collect::<Result<Vec<_>, _>>();
    Ok(match val {
        Val::None => PyValue::None,
        Val::Bool(b) => PyValue::Bool(*b),
        Val::Int(i) => PyValue::Int(*i),
        Val::Float(f) => PyValue::Float(*f),
        Val::Str(s) => PyValue::Str(s.clone()),
        Val::List(v) => PyValue::List(seq(v)?),
        Val::Tuple(v) => PyValue::Tuple(seq(v)?),
        Val::Set(v) => PyValue::Set(seq(v)?),
        Val::Dict(d) => PyValue::Dict(
            d.iter().map(|(k, v)| Ok((to_py(k)?, to_py(v)?))).collect::<Result<_, String>>()?,
        ),
        Val::Timedelta(s) => PyValue::Timedelta(*s),
        Val::Path(p) => PyValue::Opaque {
            type_name: "PosixPath".to_owned(),
            source: format!("PosixPath('{p}')"),
        },
        Val::EnvironPath(p) => {
            PyValue::Opaque { type_name: "Path".to_owned(), source: format!("<Path:{p}>") }
        }
        Val::Module(m) => PyValue::Opaque { type_name: "module".to_owned(), source: m.clone() },
        Val::Builtin(b) => PyValue::Opaque { type_name: "function".to_owned(), source: b.clone() },
        Val::Method(_, m) => PyValue::Opaque { type_name: "method".to_owned(), source: m.clone() },
        Val::Env(_) => {
            PyValue::Opaque { type_name: "Env".to_owned(), source: "environ.Env()".to_owned() }
        }
        Val::Decouple(_) | Val::DecoupleRepo(..) | Val::Csv { .. } => PyValue::Opaque {
            type_name: val.type_name().to_owned(),
            source: val.type_name().to_owned(),
        },
        Val::Opaque { type_name, source } => {
            PyValue::Opaque { type_name: type_name.clone(), source: source.clone() }
        }
        Val::Unknown(reason) => return Err(reason.clone()),
    })
}

/// Python `==` for the values the interpreter can compare; `None` when it
/// cannot be known.
pub(crate) fn py_eq(a: &Val, b: &Val) -> Option<bool> {
    if a.is_unknown() || b.is_unknown() {
        return None;
    }
    Some(match (a, b) {
        (Val::Bool(x), Val::Int(y)) | (Val::Int(y), Val::Bool(x)) => i64::from(*x) == *y,
        (Val::Int(x), Val::Float(y)) | (Val::Float(y), Val::Int(x)) => {
            #[allow(clippy::cast_precision_loss)]
            let x = *x as f64;
            (x - *y).abs() < f64::EPSILON
        }
        (Val::List(x), Val::List(y)) | (Val::Tuple(x), Val::Tuple(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            for (l, r) in x.iter().zip(y) {
                if !py_eq(l, r)? {
                    return Some(false);
                }
            }
            true
        }
        (Val::Opaque { .. }, _) | (_, Val::Opaque { .. }) => {
            if a == b {
                true
            } else {
                return None;
            }
        }
        _ => a == b,
    })
}
