//! Reads the configuration tree in Apache's order. Directives Apache runs
//! while reading (`Include`, `LoadModule`, `Define`, `ServerRoot` and the
//! `<If...>` tests) take effect here, in file order, as they do in Apache;
//! everything else is only recorded.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::modules::{self, LoadedModule};
use super::syntax::{self, LogicalLine};
use super::{ApacheConfig, ApacheError, Directive, IncludedFile, Place, Section};
use crate::target::Target;

/// Apache gives up at this include depth ("Exceeded maximum include depth").
const MAX_DEPTH: usize = 128;

/// Sections nested deeper than this are refused rather than recursed into,
/// so that no input can exhaust the stack.
const MAX_NESTING: usize = 256;

/// The Apache version `<IfVersion>` is decided against when the dpkg status
/// does not say (Debian 12 and 13 ship 2.4.71).
const DEFAULT_VERSION: (u32, u32, u32) = (2, 4, 71);

pub fn load(target: &Target) -> Result<ApacheConfig, ApacheError> {
    let root = inside_string(&target.apache_root);
    let top = format!("{root}/apache2.conf");
    if !target.host_path(&top).is_file() {
        return Err(ApacheError::Missing { file: top });
    }

    let envvars_file = target.host_path(format!("{root}/envvars"));
    let variables = std::fs::read(&envvars_file)
        .map(|bytes| syntax::envvars(&String::from_utf8_lossy(&bytes), &root))
        .unwrap_or_default();

    // apache2ctl passes $APACHE_ARGUMENTS to the binary: `-D NAME` there
    // defines NAME for <IfDefine>.
    let defines =
        command_line_defines(variables.get("APACHE_ARGUMENTS").map_or("", String::as_str));
    let mut reader = Reader {
        host_root: target.root.clone(),
        variables,
        defines,
        modules: modules::static_modules(),
        server_root: root.clone(),
        stack: Vec::new(),
        includes: Vec::new(),
        version: installed_version(target).unwrap_or(DEFAULT_VERSION),
        last_include_line: 0,
        nesting: 0,
        resolved: std::cell::RefCell::default(),
    };
    let directives = reader.read_file(&top, 0, None)?;

    Ok(ApacheConfig {
        root,
        server_root: reader.server_root,
        directives,
        includes: reader.includes,
        modules: reader.modules,
        defines: reader.defines,
        variables: reader.variables,
        host_root: target.root.clone(),
        served: std::sync::OnceLock::new(),
        vhosts: std::sync::OnceLock::new(),
    })
}

/// Parses one file that is not part of the include tree (a `.htaccess`),
/// deciding its conditionals against what `config` loaded.
pub fn parse_detached(
    config: &ApacheConfig,
    file: &str,
    content: &str,
) -> Result<Vec<Directive>, ApacheError> {
    let mut reader = Reader {
        host_root: config.host_root.clone(),
        variables: config.variables.clone(),
        defines: config.defines.clone(),
        modules: config.modules.clone(),
        server_root: config.server_root.clone(),
        stack: Vec::new(),
        includes: Vec::new(),
        version: DEFAULT_VERSION,
        last_include_line: 0,
        nesting: 0,
        resolved: std::cell::RefCell::default(),
    };
    let lines = syntax::logical_lines(content);
    let mut next = 0;
    // Include is not allowed in .htaccess; reading one stays a record only.
    reader.parse_block(&lines, &mut next, file, None, Mode::RecordOnly, 0)
}

fn command_line_defines(arguments: &str) -> BTreeSet<String> {
    let mut defines = BTreeSet::new();
    let mut words = arguments.split_whitespace();
    while let Some(word) = words.next() {
        if word == "-D" {
            if let Some(name) = words.next() {
                defines.insert(name.to_owned());
            }
        } else if let Some(name) = word.strip_prefix("-D") {
            defines.insert(name.to_owned());
        }
    }
    defines
}

fn inside_string(path: &Path) -> String {
    let text = path.to_string_lossy();
    let trimmed = text.trim_end_matches('/');
    if trimmed.is_empty() { "/".to_owned() } else { trimmed.to_owned() }
}

fn installed_version(target: &Target) -> Option<(u32, u32, u32)> {
    let installed = crate::dpkg::Installed::load(target).ok()?;
    let version = installed.version("apache2")?;
    parse_version(version.split(['-', '~', '+']).next().unwrap_or(version))
}

fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.split('.').map(|part| part.parse::<u32>().ok());
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    let patch = parts.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Apache runs what it reads here.
    Active,
    /// Inside a conditional whose test failed: Apache skips it unread.
    Skipped,
    /// A detached file: recorded, includes not followed.
    RecordOnly,
}

struct Reader {
    host_root: PathBuf,
    variables: HashMap<String, String>,
    defines: BTreeSet<String>,
    modules: Vec<LoadedModule>,
    server_root: String,
    /// The files being read, outermost first, to catch include cycles.
    stack: Vec<String>,
    includes: Vec<IncludedFile>,
    version: (u32, u32, u32),
    /// The line of the last `Include` run, for `IncludedFile::dump_line`.
    last_include_line: u32,
    /// How many sections are open, across included files.
    nesting: usize,
    /// Host paths already worked out by `resolve`, by inside path: every
    /// file of a directory shares the links above it.
    resolved: std::cell::RefCell<HashMap<String, PathBuf>>,
}

impl Reader {
    fn read_file(
        &mut self,
        file: &str,
        depth: usize,
        from: Option<Place>,
    ) -> Result<Vec<Directive>, ApacheError> {
        if self.stack.iter().any(|open| open == file) || depth > MAX_DEPTH {
            let mut chain: Vec<&str> = self.stack.iter().map(String::as_str).collect();
            chain.push(file);
            let at = from.unwrap_or(Place { file: file.to_owned(), line: 0 });
            return Err(ApacheError::IncludeCycle { at, chain: chain.join(" -> ") });
        }

        let host = self.resolve(file);
        let bytes = std::fs::read(&host).map_err(|error| ApacheError::Unreadable {
            file: file.to_owned(),
            reason: error.kind().to_string(),
            from: from.clone(),
        })?;
        let content = String::from_utf8_lossy(&bytes);
        let dump_line = from.as_ref().map(|_| self.last_include_line);
        self.includes.push(IncludedFile { file: file.to_owned(), depth, from, dump_line });

        self.stack.push(file.to_owned());
        let lines = syntax::logical_lines(&content);
        let mut next = 0;
        let result = self.parse_block(&lines, &mut next, file, None, Mode::Active, depth);
        self.stack.pop();
        result
    }

    /// Reads lines until the `</name>` that closes `open` (or the end of the
    /// file when nothing is open).
    fn parse_block(
        &mut self,
        lines: &[LogicalLine],
        next: &mut usize,
        file: &str,
        open: Option<(&str, &Place)>,
        mode: Mode,
        depth: usize,
    ) -> Result<Vec<Directive>, ApacheError> {
        let mut out = Vec::new();
        while let Some(line) = lines.get(*next) {
            *next += 1;
            let text = syntax::expand(&line.text, &self.variables);
            let place = Place { file: file.to_owned(), line: line.first_line };

            if let Some(closing) = text.strip_prefix("</") {
                let name = closing.trim_end_matches('>').trim();
                return match open {
                    Some((open_name, _)) if open_name.eq_ignore_ascii_case(name) => Ok(out),
                    Some((open_name, _)) => Err(ApacheError::Syntax {
                        at: place,
                        message: format!("expected </{open_name}> but saw </{name}>"),
                    }),
                    None => Err(ApacheError::Syntax {
                        at: place,
                        message: format!("</{name}> without matching <{name}> section"),
                    }),
                };
            }

            if let Some(opening) = text.strip_prefix('<') {
                let directive = self
                    .parse_section(opening, line, &text, place, lines, next, file, mode, depth)?;
                out.push(directive);
                continue;
            }

            let mut words = syntax::words(&text).into_iter();
            let Some(name) = words.next() else { continue };
            let args: Vec<String> = words.collect();
            let directive = Directive {
                name,
                args,
                text: line.text.clone(),
                place: place.clone(),
                last_line: line.last_line,
                section: None,
            };
            let included =
                if mode == Mode::Active { self.run(&directive, depth)? } else { Vec::new() };
            out.push(directive);
            out.extend(included);
        }

        match open {
            Some((name, at)) => {
                Err(ApacheError::Unclosed { at: at.clone(), section: name.to_owned() })
            }
            None => Ok(out),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn parse_section(
        &mut self,
        opening: &str,
        line: &LogicalLine,
        text: &str,
        place: Place,
        lines: &[LogicalLine],
        next: &mut usize,
        file: &str,
        mode: Mode,
        depth: usize,
    ) -> Result<Directive, ApacheError> {
        let name_end =
            opening.find(|c: char| c.is_whitespace() || c == '>').unwrap_or(opening.len());
        let name = opening[..name_end].to_owned();
        let Some(rest) = opening[name_end..].trim().strip_suffix('>') else {
            return Err(ApacheError::Syntax {
                at: place,
                message: format!("<{name}> directive missing closing '>': {text}"),
            });
        };
        let args = syntax::words(rest);

        let inner = if super::is_conditional_name(&name) && mode == Mode::Active {
            if self.decide(&name, &args) { Mode::Active } else { Mode::Skipped }
        } else {
            mode
        };
        if self.nesting >= MAX_NESTING {
            return Err(ApacheError::Syntax {
                at: place,
                message: format!("sections nested more than {MAX_NESTING} deep"),
            });
        }
        self.nesting += 1;
        let children = self.parse_block(lines, next, file, Some((&name, &place)), inner, depth);
        self.nesting -= 1;
        let children = children?;
        Ok(Directive {
            name,
            args,
            text: line.text.clone(),
            place,
            last_line: line.last_line,
            section: Some(Section {
                children: std::sync::Arc::new(children),
                active: inner != Mode::Skipped,
            }),
        })
    }

    /// Runs a directive Apache executes while reading; returns what an
    /// `Include` brought in.
    fn run(&mut self, directive: &Directive, depth: usize) -> Result<Vec<Directive>, ApacheError> {
        let name = directive.name.to_ascii_lowercase();
        match name.as_str() {
            "include" | "includeoptional" => {
                let [pattern] = directive.args.as_slice() else {
                    return Err(ApacheError::Syntax {
                        at: directive.place.clone(),
                        message: format!("{} takes one argument", directive.name),
                    });
                };
                let optional = name == "includeoptional";
                self.last_include_line = directive.last_line;
                let files = self.expand_include(pattern, optional, &directive.place)?;
                let mut out = Vec::new();
                for file in files {
                    out.extend(self.read_file(&file, depth + 1, Some(directive.place.clone()))?);
                }
                Ok(out)
            }
            "loadmodule" => {
                if let [identifier, object, ..] = directive.args.as_slice()
                    && !self.modules.iter().any(|module| &module.identifier == identifier)
                {
                    if identifier == "security2_module" {
                        self.defines.insert("MODSEC_2.5".to_owned());
                        self.defines.insert("MODSEC_2.9".to_owned());
                    }
                    self.modules.push(LoadedModule {
                        identifier: identifier.clone(),
                        source: modules::source_name(identifier, object),
                        object: Some(object.clone()),
                        place: Some(directive.place.clone()),
                    });
                }
                Ok(Vec::new())
            }
            "define" => {
                if let Some(name) = directive.args.first() {
                    self.defines.insert(name.clone());
                    if let Some(value) = directive.args.get(1) {
                        self.variables.insert(name.clone(), value.clone());
                    }
                }
                Ok(Vec::new())
            }
            "undefine" => {
                if let Some(name) = directive.args.first() {
                    self.defines.remove(name);
                    self.variables.remove(name);
                }
                Ok(Vec::new())
            }
            "serverroot" => {
                if let Some(root) = directive.args.first() {
                    self.server_root = inside_string(Path::new(root));
                }
                Ok(Vec::new())
            }
            _ => Ok(Vec::new()),
        }
    }

    /// The test of an `<IfModule>`, `<IfDefine>`, `<IfVersion>` or `<IfFile>`.
    fn decide(&self, name: &str, args: &[String]) -> bool {
        let first = args.first().map_or("", String::as_str);
        let (negated, subject) = match first.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, first),
        };
        let lower = name.to_ascii_lowercase();
        let holds = match lower.as_str() {
            "ifmodule" => self.modules.iter().any(|module| module.answers_to(subject)),
            "ifdefine" => self.defines.contains(subject),
            "iffile" => {
                let path = self.absolute(subject);
                self.resolve(&path).exists()
            }
            "ifversion" => return self.version_matches(args),
            // Whether a directive or section exists depends on the binary;
            // the modules that define the ones configs ask about are loaded.
            _ => true,
        };
        holds != negated
    }

    fn version_matches(&self, args: &[String]) -> bool {
        let (operator, wanted) = match args {
            [version] => ("=", version.as_str()),
            [operator, version, ..] => (operator.as_str(), version.as_str()),
            [] => return false,
        };
        let (negated, operator) = match operator.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, operator),
        };
        let current = self.version;
        let text = format!("{}.{}.{}", current.0, current.1, current.2);
        let holds = if let Some(pattern) =
            wanted.strip_prefix('/').and_then(|rest| rest.strip_suffix('/'))
        {
            regex::Regex::new(pattern).is_ok_and(|re| re.is_match(&text))
        } else if operator == "~" {
            regex::Regex::new(wanted).is_ok_and(|re| re.is_match(&text))
        } else {
            let Some(wanted) = parse_version(wanted) else { return false };
            match operator {
                "=" | "==" => current == wanted,
                ">" => current > wanted,
                ">=" => current >= wanted,
                "<" => current < wanted,
                "<=" => current <= wanted,
                _ => false,
            }
        };
        holds != negated
    }

    fn absolute(&self, path: &str) -> String {
        if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("{}/{}", self.server_root.trim_end_matches('/'), path)
        }
    }

    /// The files an `Include` names, in the order Apache reads them.
    fn expand_include(
        &self,
        pattern: &str,
        optional: bool,
        at: &Place,
    ) -> Result<Vec<String>, ApacheError> {
        let path = self.absolute(pattern);
        if !has_wildcard(&path) {
            let host = self.resolve(&path);
            if host.is_dir() {
                return Ok(self.everything_under(&path));
            }
            if host.exists() || !optional {
                // A missing file fails when it is read, with its own error.
                return Ok(vec![path]);
            }
            return Ok(Vec::new());
        }

        let matches = self.match_wildcards(&path);
        let mut files = Vec::new();
        for inside in matches {
            if self.resolve(&inside).is_dir() {
                files.extend(self.everything_under(&inside));
            } else {
                files.push(inside);
            }
        }
        if files.is_empty() && !optional {
            return Err(ApacheError::NoMatch { at: at.clone(), pattern: path });
        }
        Ok(files)
    }

    /// The inside paths a wildcard path names, one name at a time: each
    /// directory is read where it is inside the root (a link on the way may
    /// name an absolute path of the target), its names matched and sorted; a
    /// wildcard never matches a leading dot.
    fn match_wildcards(&self, path: &str) -> Vec<String> {
        let options =
            glob::MatchOptions { require_literal_leading_dot: true, ..glob::MatchOptions::new() };
        let parts: Vec<&str> = path.split('/').filter(|part| !part.is_empty()).collect();
        let mut found = vec![String::new()];
        for (index, part) in parts.iter().enumerate() {
            if !has_wildcard(part) {
                for inside in &mut found {
                    inside.push('/');
                    inside.push_str(part);
                }
                continue;
            }
            let Ok(pattern) = glob::Pattern::new(part) else { return Vec::new() };
            let last = index + 1 == parts.len();
            let mut next = Vec::new();
            for dir in &found {
                let host = self.resolve(if dir.is_empty() { "/" } else { dir });
                let mut names: Vec<String> = std::fs::read_dir(host)
                    .map(|entries| {
                        entries
                            .filter_map(Result::ok)
                            .map(|entry| entry.file_name().to_string_lossy().into_owned())
                            .filter(|name| pattern.matches_with(name, options))
                            .collect()
                    })
                    .unwrap_or_default();
                names.sort();
                for name in names {
                    let inside = format!("{dir}/{name}");
                    if last || self.resolve(&inside).is_dir() {
                        next.push(inside);
                    }
                }
            }
            found = next;
        }
        // A name written out after a wildcard may not be there (a name the
        // directory listed is, even as a dangling link: reading it fails).
        if parts.last().is_some_and(|part| !has_wildcard(part)) {
            found.retain(|inside| {
                inside.rsplit_once('/').is_some_and(|(dir, name)| {
                    let dir = self.resolve(if dir.is_empty() { "/" } else { dir });
                    std::fs::symlink_metadata(dir.join(name)).is_ok()
                })
            });
        }
        found
    }

    /// Every file under a directory, dotfiles too, sorted by name at each
    /// level, as `Include <directory>` reads them.
    fn everything_under(&self, dir: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.resolve(dir))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        let mut out = Vec::new();
        for name in names {
            let inside = format!("{}/{}", dir.trim_end_matches('/'), name);
            if self.resolve(&inside).is_dir() {
                out.extend(self.everything_under(&inside));
            } else {
                out.push(inside);
            }
        }
        out
    }

    /// The host path of an inside path, following symlinks inside the root
    /// (an absolute link target means a path inside the target, not here).
    fn resolve(&self, inside: &str) -> PathBuf {
        if self.host_root == Path::new("/") {
            return PathBuf::from(inside);
        }
        if let Some(host) = self.resolved.borrow().get(inside) {
            return host.clone();
        }
        // The directory first (remembered for its other files), then the
        // last part alone, unless that part is a link or `..` can climb.
        let plain = !inside.split('/').any(|part| part == "." || part == "..");
        let host = match inside.trim_end_matches('/').rsplit_once('/') {
            Some((dir, name)) if plain && !dir.is_empty() && !name.is_empty() => {
                let candidate = self.resolve(dir).join(name);
                if std::fs::symlink_metadata(&candidate).is_ok_and(|m| m.file_type().is_symlink()) {
                    resolve_in_root(&self.host_root, inside)
                } else {
                    candidate
                }
            }
            _ => resolve_in_root(&self.host_root, inside),
        };
        self.resolved.borrow_mut().insert(inside.to_owned(), host.clone());
        host
    }
}

/// True when `path` holds a character `fnmatch` treats as a wildcard.
fn has_wildcard(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

/// Follows symlinks component by component so that a link to `/etc/...`
/// under `--root /mnt/disk` resolves to `/mnt/disk/etc/...`.
pub fn resolve_in_root(root: &Path, inside: &str) -> PathBuf {
    if root == Path::new("/") {
        return PathBuf::from(inside);
    }
    let mut pending: Vec<String> =
        inside.split('/').filter(|part| !part.is_empty()).map(str::to_owned).collect();
    pending.reverse();
    let mut current: Vec<String> = Vec::new();
    // How many parts of `current` lead to something that is not there (or
    // not a directory): nothing below it can be a link, so it is not asked.
    let mut missing_at: Option<usize> = None;
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        match part.as_str() {
            "." => continue,
            ".." => {
                current.pop();
                if missing_at.is_some_and(|depth| current.len() < depth) {
                    missing_at = None;
                }
                continue;
            }
            _ => {}
        }
        current.push(part);
        if missing_at.is_some() {
            continue;
        }
        let host = current.iter().fold(root.to_path_buf(), |path, part| path.join(part));
        let link = match std::fs::read_link(&host) {
            Ok(link) => link,
            // There, and not a link.
            Err(err) if err.kind() == std::io::ErrorKind::InvalidInput => continue,
            Err(_) => {
                missing_at = Some(current.len());
                continue;
            }
        };
        hops += 1;
        if hops > 40 {
            break;
        }
        current.pop();
        let link = link.to_string_lossy().into_owned();
        if link.starts_with('/') {
            current.clear();
        }
        for piece in link.split('/').filter(|piece| !piece.is_empty()).rev() {
            pending.push(piece.to_owned());
        }
    }
    current.iter().fold(root.to_path_buf(), |path, part| path.join(part))
}
