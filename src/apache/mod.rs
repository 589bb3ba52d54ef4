//! Apache's configuration as Apache itself reads it: the include tree from
//! `apache2.conf`, conditional sections decided against the modules loaded so
//! far, and the effective values the checks ask about. It only reads files;
//! it never changes them and never runs Apache (except in `crosscheck`).

pub mod checks;
pub mod crosscheck;
mod effective;
mod loader;
mod modules;
pub mod syntax;
pub mod tls;

use std::collections::{BTreeSet, HashMap};

use crate::target::Target;

pub use effective::{Options, ServedDirectory, VirtualHost, WsgiDaemon};
pub use modules::{LoadedModule, STATIC_MODULES};

/// Why the configuration could not be read. Each names the file and line at
/// fault, as inside paths.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApacheError {
    #[error("no Apache configuration: {file} does not exist")]
    Missing { file: String },
    #[error("{file}: cannot be read ({reason}){}", included_from(.from.as_ref()))]
    Unreadable { file: String, reason: String, from: Option<Place> },
    #[error("{}: include cycle: {chain}", .at)]
    IncludeCycle { at: Place, chain: String },
    #[error("{}: no file matches the wildcard {pattern} (Include fails on that; IncludeOptional would not)", .at)]
    NoMatch { at: Place, pattern: String },
    #[error("{}: <{section}> was not closed", .at)]
    Unclosed { at: Place, section: String },
    #[error("{}: {message}", .at)]
    Syntax { at: Place, message: String },
}

fn included_from(from: Option<&Place>) -> String {
    from.map_or_else(String::new, |place| format!(", included from {place}"))
}

/// A line of a file inside the target.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Place {
    pub file: String,
    pub line: u32,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One directive or section as read, after `${VAR}` expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// As written (`Options`, `VirtualHost` without the `<`).
    pub name: String,
    pub args: Vec<String>,
    /// The logical line as written in the file (continuations joined).
    pub text: String,
    pub place: Place,
    /// The last physical line of a continued line (Apache reports this one).
    pub last_line: u32,
    /// For a `<Section>`: what it holds.
    pub section: Option<Section>,
}

/// The body of a `<Section>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Shared, so that copying a section (a virtual host handed out by
    /// `virtual_hosts`) does not copy what it holds.
    pub children: std::sync::Arc<Vec<Directive>>,
    /// False for an `<IfModule>`, `<IfDefine>` or `<IfVersion>` whose test
    /// failed (or that sits inside one): Apache skipped its contents.
    pub active: bool,
}

impl Directive {
    /// Case-insensitive name test, as Apache matches directive names.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The first argument, if any.
    pub fn arg(&self) -> Option<&str> {
        self.args.first().map(String::as_str)
    }

    /// The position of a `#` word: Apache has no trailing comments, so a
    /// `# note` after a directive is passed to it as arguments.
    pub fn trailing_comment(&self) -> Option<usize> {
        if self.section.is_some() || !syntax::has_trailing_comment(&self.text) {
            return None;
        }
        self.args.iter().position(|arg| arg.starts_with('#'))
    }

    /// True for `<IfModule>`, `<IfDefine>`, `<IfVersion>` and the other
    /// conditional sections that are transparent once decided.
    pub fn is_conditional(&self) -> bool {
        self.section.is_some() && is_conditional_name(&self.name)
    }
}

pub(crate) fn is_conditional_name(name: &str) -> bool {
    ["IfModule", "IfDefine", "IfVersion", "IfFile", "IfDirective", "IfSection"]
        .iter()
        .any(|known| name.eq_ignore_ascii_case(known))
}

/// One file Apache reads, as `-t -D DUMP_INCLUDES` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludedFile {
    /// Inside path, as the include named it (symlinks not resolved).
    pub file: String,
    /// 0 for `apache2.conf`, 1 for what it includes, and so on.
    pub depth: usize,
    /// The `Include` line that read it (None for `apache2.conf`).
    pub from: Option<Place>,
    /// The number `-t -D DUMP_INCLUDES` prints for it: the line of the most
    /// recent `Include` Apache ran anywhere, which after a nested include is
    /// not the line in the parent (an Apache quirk, seen in 2.4.71).
    pub dump_line: Option<u32>,
}

/// The whole configuration of one Apache instance.
#[derive(Debug, Clone)]
pub struct ApacheConfig {
    /// The configuration root, inside the target (`/etc/apache2`).
    pub root: String,
    /// The server root relative paths resolve against (the last `ServerRoot`).
    pub server_root: String,
    /// Everything read from `apache2.conf` down, includes inlined.
    pub directives: Vec<Directive>,
    /// Every file read, in order.
    pub includes: Vec<IncludedFile>,
    /// Modules loaded, static ones first, then in `LoadModule` order.
    pub modules: Vec<LoadedModule>,
    /// Names defined for `<IfDefine>` (`Define NAME`, and those modules add).
    pub defines: BTreeSet<String>,
    /// `${NAME}` values: envvars, then `Define NAME value`.
    pub variables: HashMap<String, String>,
    /// Which host path the files were read from (the target's root).
    host_root: std::path::PathBuf,
    /// `served_directories`, worked out once (it reads `.htaccess` files).
    served: std::sync::OnceLock<Vec<ServedDirectory>>,
    /// `virtual_hosts`, worked out once: every check asks for them.
    vhosts: std::sync::OnceLock<Vec<VirtualHost>>,
}

impl ApacheConfig {
    /// Reads the instance whose configuration is in `target.apache_root`.
    pub fn load(target: &Target) -> Result<ApacheConfig, ApacheError> {
        loader::load(target)
    }

    /// True when `name` is loaded, by identifier (`headers_module`) or by
    /// source file name (`mod_headers.c`), case-sensitively as Apache does.
    pub fn has_module(&self, name: &str) -> bool {
        self.modules.iter().any(|module| module.answers_to(name))
    }

    /// The module loaded under `identifier`, if any.
    pub fn module(&self, identifier: &str) -> Option<&LoadedModule> {
        self.modules.iter().find(|module| module.identifier == identifier)
    }

    /// Every active directive, depth first in configuration order, with the
    /// sections that enclose it (innermost last). Decided conditionals are
    /// transparent: neither they nor what they skipped appear.
    pub fn walk(&self) -> Vec<(Vec<&Directive>, &Directive)> {
        let mut out = Vec::new();
        walk_into(&self.directives, &mut Vec::new(), &mut out);
        out
    }

    /// Active directives named `name` at server level (outside every
    /// `<VirtualHost>`, `<Directory>`, `<Location>`, ... section).
    pub fn server_level(&self, name: &str) -> Vec<&Directive> {
        // What `walk` lists with no enclosing section, without walking (and
        // allocating for) everything inside the sections.
        effective::direct(&self.directives).into_iter().filter(|d| d.is(name)).collect()
    }

    /// Every active occurrence of `name`, in any context, with its sections.
    pub fn everywhere(&self, name: &str) -> Vec<(Vec<&Directive>, &Directive)> {
        let mut out = Vec::new();
        walk_matching(&self.directives, &mut Vec::new(), &mut out, &|d| d.is(name));
        out
    }

    /// Active directives with a comment after them on the same line: Apache
    /// passes the comment on as arguments, and for nearly every directive
    /// (`ServerTokens`, `Options`, `SecRuleEngine`, `DOS*`, `DocumentRoot`,
    /// `AllowOverride`, ... checked with apache2 2.4.71) refuses to start.
    pub fn trailing_comments(&self) -> Vec<&Directive> {
        self.walk()
            .into_iter()
            .map(|(_, directive)| directive)
            .filter(|directive| directive.trailing_comment().is_some())
            .collect()
    }

    /// Directives inside `<IfModule>` blocks Apache skipped, with the block.
    pub fn skipped(&self) -> Vec<(&Directive, &Directive)> {
        let mut out = Vec::new();
        collect_skipped(&self.directives, &mut out);
        out
    }

    /// Names of the confs Apache reads from `conf-enabled/` (`security`).
    pub fn enabled_confs(&self) -> Vec<String> {
        self.enabled_in("conf-enabled")
    }

    /// Names of the sites Apache reads from `sites-enabled/` (`000-default`).
    pub fn enabled_sites(&self) -> Vec<String> {
        self.enabled_in("sites-enabled")
    }

    /// Names of the modules whose `.load` file Apache reads from
    /// `mods-enabled/` (`ssl`, `security2`).
    pub fn enabled_mods(&self) -> Vec<String> {
        self.enabled_in("mods-enabled")
            .into_iter()
            .filter(|name| {
                self.includes.iter().any(|file| file.file.ends_with(&format!("/{name}.load")))
            })
            .collect()
    }

    fn enabled_in(&self, dir: &str) -> Vec<String> {
        let prefix = format!("{}/{dir}/", self.root.trim_end_matches('/'));
        let mut names: Vec<String> = Vec::new();
        for file in &self.includes {
            let Some(name) = file.file.strip_prefix(&prefix) else { continue };
            let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem).to_owned();
            if !names.contains(&stem) {
                names.push(stem);
            }
        }
        names
    }

    /// The host path of an inside path, under the target's root.
    pub fn host_path(&self, inside: &str) -> std::path::PathBuf {
        crate::target::host_path(&self.host_root, std::path::Path::new(inside))
    }
}

fn walk_into<'a>(
    nodes: &'a [Directive],
    parents: &mut Vec<&'a Directive>,
    out: &mut Vec<(Vec<&'a Directive>, &'a Directive)>,
) {
    walk_matching(nodes, parents, out, &|_| true);
}

/// `walk_into` keeping only the directives `keep` accepts (the sections
/// between are copied for those alone).
fn walk_matching<'a>(
    nodes: &'a [Directive],
    parents: &mut Vec<&'a Directive>,
    out: &mut Vec<(Vec<&'a Directive>, &'a Directive)>,
    keep: &dyn Fn(&Directive) -> bool,
) {
    for node in nodes {
        match &node.section {
            Some(section) if node.is_conditional() => {
                if section.active {
                    walk_matching(&section.children, parents, out, keep);
                }
            }
            Some(section) => {
                if keep(node) {
                    out.push((parents.clone(), node));
                }
                parents.push(node);
                walk_matching(&section.children, parents, out, keep);
                parents.pop();
            }
            None => {
                if keep(node) {
                    out.push((parents.clone(), node));
                }
            }
        }
    }
}

fn collect_skipped<'a>(nodes: &'a [Directive], out: &mut Vec<(&'a Directive, &'a Directive)>) {
    for node in nodes {
        let Some(section) = &node.section else { continue };
        if node.is_conditional() && !section.active {
            let mut inner = Vec::new();
            flatten(&section.children, &mut inner);
            out.extend(inner.into_iter().map(|directive| (node, directive)));
        } else {
            collect_skipped(&section.children, out);
        }
    }
}

fn flatten<'a>(nodes: &'a [Directive], out: &mut Vec<&'a Directive>) {
    for node in nodes {
        match &node.section {
            Some(section) => flatten(&section.children, out),
            None => out.push(node),
        }
    }
}
