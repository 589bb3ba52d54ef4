//! Effective values: what Apache would use in the server config, in each
//! virtual host, and for each directory it serves, following core's merge
//! order (server, virtual host, `<Directory>` by depth with `.htaccess`
//! where `AllowOverride` lets it in, `<DirectoryMatch>`, then `<Location>`).

use super::{ApacheConfig, Directive, Place, loader};

/// Debian's compiled-in `DocumentRoot` (`apache2ctl -S`: `Main DocumentRoot`).
const DEFAULT_DOCUMENT_ROOT: &str = "/var/www/html";

/// How many directories below a served root are looked at for `.htaccess`.
const ACCESS_FILE_WALK_LIMIT: usize = 2000;

const OPT_INDEXES: u16 = 1;
const OPT_INCLUDES: u16 = 2;
const OPT_SYM_LINKS: u16 = 4;
const OPT_EXECCGI: u16 = 8;
const OPT_UNSET: u16 = 16;
const OPT_INC_WITH_EXEC: u16 = 32;
const OPT_SYM_OWNER: u16 = 64;
const OPT_MULTI: u16 = 128;
const OPT_ALL: u16 = OPT_INDEXES | OPT_INCLUDES | OPT_INC_WITH_EXEC | OPT_SYM_LINKS | OPT_EXECCGI;

/// The `Options` in effect somewhere, and which line decided `Indexes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    bits: u16,
    /// The `Options` line that last decided whether `Indexes` is on.
    pub indexes_set_by: Option<(Place, String)>,
}

impl Options {
    pub fn indexes(&self) -> bool {
        self.bits & OPT_INDEXES != 0
    }

    pub fn follow_symlinks(&self) -> bool {
        self.bits & OPT_SYM_LINKS != 0
    }

    pub fn exec_cgi(&self) -> bool {
        self.bits & OPT_EXECCGI != 0
    }

    pub fn multiviews(&self) -> bool {
        self.bits & OPT_MULTI != 0
    }

    /// The options as Apache names them (`Indexes FollowSymLinks`), or `None`.
    pub fn names(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for (bit, name) in [
            (OPT_INDEXES, "Indexes"),
            (OPT_INC_WITH_EXEC, "Includes"),
            (OPT_SYM_LINKS, "FollowSymLinks"),
            (OPT_SYM_OWNER, "SymLinksIfOwnerMatch"),
            (OPT_EXECCGI, "ExecCGI"),
            (OPT_MULTI, "MultiViews"),
        ] {
            if self.bits & bit != 0 {
                out.push(name);
            }
        }
        if self.bits & OPT_INCLUDES != 0 && self.bits & OPT_INC_WITH_EXEC == 0 {
            out.push("IncludesNOEXEC");
        }
        out
    }
}

/// One `<VirtualHost>` section.
#[derive(Debug, Clone)]
pub struct VirtualHost {
    /// Position among the virtual hosts, in configuration order.
    pub index: usize,
    /// As written: `*:443`, `192.0.2.1:80`, `[::]:80`.
    pub addresses: Vec<String>,
    pub server_name: Option<String>,
    pub aliases: Vec<String>,
    /// True when `SSLEngine on` is in effect for it.
    pub ssl: bool,
    pub place: Place,
    /// The `<VirtualHost ...>` section itself.
    pub section: Directive,
}

impl VirtualHost {
    /// The port of the first address that names one.
    pub fn port(&self) -> Option<u16> {
        self.addresses
            .iter()
            .find_map(|address| address.rsplit_once(':').and_then(|(_, port)| port.parse().ok()))
    }

    /// Directives directly in the virtual host (through decided conditionals,
    /// not inside its `<Directory>`/`<Location>` sections).
    pub fn own(&self) -> Vec<&Directive> {
        self.section.section.as_ref().map(|section| direct(&section.children)).unwrap_or_default()
    }

    /// Every active directive inside, with the sections between it and the
    /// virtual host.
    pub fn walk(&self) -> Vec<(Vec<&Directive>, &Directive)> {
        let mut out = Vec::new();
        if let Some(section) = &self.section.section {
            super::walk_into(&section.children, &mut Vec::new(), &mut out);
        }
        out
    }

    /// The last occurrence of `name` directly in the virtual host.
    pub fn value(&self, name: &str) -> Option<&Directive> {
        self.own()
            .into_iter()
            .rev()
            .find(|directive| directive.is(name) && directive.section.is_none())
    }

    /// All occurrences of `name` directly in the virtual host.
    pub fn all(&self, name: &str) -> Vec<&Directive> {
        self.own()
            .into_iter()
            .filter(|directive| directive.is(name) && directive.section.is_none())
            .collect()
    }

    /// True when `host` is its `ServerName` or one of its aliases (aliases may
    /// hold `*` and `?` wildcards).
    pub fn answers_to(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let named = self
            .server_name
            .as_deref()
            .is_some_and(|name| strip_scheme(name).eq_ignore_ascii_case(&host));
        named
            || self.aliases.iter().any(|alias| {
                glob::Pattern::new(&alias.to_ascii_lowercase())
                    .is_ok_and(|pattern| pattern.matches(&host))
            })
    }

    /// The `WSGIScriptAlias` of the virtual host: URL, script, and the line.
    pub fn wsgi_script_alias(&self) -> Option<(String, String, &Directive)> {
        let directive = self.value("WSGIScriptAlias")?;
        let [url, script, ..] = directive.args.as_slice() else { return None };
        Some((url.clone(), script.clone(), directive))
    }

    /// The `ErrorLog` in effect, or None when it inherits the server's.
    pub fn error_log(&self) -> Option<&Directive> {
        self.value("ErrorLog")
    }

    /// `CustomLog` and `TransferLog` lines of the virtual host.
    pub fn custom_logs(&self) -> Vec<&Directive> {
        let mut out = self.all("CustomLog");
        out.extend(self.all("TransferLog"));
        out
    }

    /// `ProxyPass` backends: (URL path, backend URL, line).
    pub fn proxy_passes(&self) -> Vec<(String, String, &Directive)> {
        self.all("ProxyPass")
            .into_iter()
            .filter_map(|directive| match directive.args.as_slice() {
                [path, backend, ..] => Some((path.clone(), backend.clone(), directive)),
                _ => None,
            })
            .collect()
    }

    /// Every active `Header`/`RequestHeader` line in the virtual host,
    /// including those in its sections.
    pub fn headers(&self) -> Vec<&Directive> {
        self.walk()
            .into_iter()
            .filter(|(_, directive)| directive.is("Header") || directive.is("RequestHeader"))
            .map(|(_, directive)| directive)
            .collect()
    }
}

fn strip_scheme(name: &str) -> &str {
    let name = name.split_once("://").map_or(name, |(_, rest)| rest);
    name.rsplit_once(':').map_or(name, |(host, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) { host } else { name }
    })
}

/// A `WSGIDaemonProcess` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsgiDaemon {
    pub name: String,
    pub user: Option<String>,
    pub group: Option<String>,
    pub python_home: Option<String>,
    pub python_path: Option<String>,
    /// The virtual host it is defined in, by index, or None at server level.
    pub vhost: Option<usize>,
    pub place: Place,
}

/// A directory Apache serves, with what is in effect there.
#[derive(Debug, Clone)]
pub struct ServedDirectory {
    /// Inside path of the directory.
    pub path: String,
    /// The URL path that maps to it (`/` for a `DocumentRoot`).
    pub url: String,
    /// The virtual host, by index, or None for the main server.
    pub vhost: Option<usize>,
    /// The DocumentRoot/Alias line that serves it (None for the default root).
    pub served_by: Option<Place>,
    pub options: Options,
    /// The `ServerSignature` line in effect there, if any sets it.
    pub server_signature: Option<Directive>,
    /// `.htaccess` files that were applied, inside paths.
    pub htaccess: Vec<String>,
    /// `.htaccess` files present but ignored because `AllowOverride` forbids.
    pub htaccess_ignored: Vec<String>,
}

/// Entries of a section body at its own level: directives and nested
/// sections, with decided conditionals made transparent.
pub(crate) fn direct(children: &[Directive]) -> Vec<&Directive> {
    let mut out = Vec::new();
    for child in children {
        match &child.section {
            Some(section) if child.is_conditional() => {
                if section.active {
                    out.extend(direct(&section.children));
                }
            }
            _ => out.push(child),
        }
    }
    out
}

impl ApacheConfig {
    /// The last active occurrence of `name` at server level, in include order.
    pub fn server_value(&self, name: &str) -> Option<&Directive> {
        self.server_level(name).into_iter().next_back()
    }

    /// The value in effect for a virtual host: its own last occurrence, else
    /// the server's (directives merged from the main server into each vhost).
    pub fn value_for<'a>(&'a self, vhost: &'a VirtualHost, name: &str) -> Option<&'a Directive> {
        vhost.value(name).or_else(|| self.server_value(name))
    }

    /// Every `<VirtualHost>` Apache reads, in order.
    pub fn virtual_hosts(&self) -> Vec<VirtualHost> {
        self.vhosts.get_or_init(|| self.work_out_virtual_hosts()).clone()
    }

    fn work_out_virtual_hosts(&self) -> Vec<VirtualHost> {
        let server_ssl =
            self.server_value("SSLEngine").is_some_and(|directive| is_on(directive.arg()));
        direct(&self.directives)
            .into_iter()
            .filter(|directive| directive.is("VirtualHost") && directive.section.is_some())
            .enumerate()
            .map(|(index, section)| {
                let mut host = VirtualHost {
                    index,
                    addresses: section.args.clone(),
                    server_name: None,
                    aliases: Vec::new(),
                    ssl: server_ssl,
                    place: section.place.clone(),
                    section: section.clone(),
                };
                host.server_name = host
                    .value("ServerName")
                    .and_then(|directive| directive.arg().map(str::to_owned));
                host.aliases = host
                    .all("ServerAlias")
                    .into_iter()
                    .flat_map(|directive| directive.args.clone())
                    .collect();
                if let Some(engine) = host.value("SSLEngine") {
                    host.ssl = is_on(engine.arg());
                }
                host
            })
            .collect()
    }

    /// The virtual hosts that answer to `host` by `ServerName` or `ServerAlias`.
    pub fn vhosts_named(&self, host: &str) -> Vec<VirtualHost> {
        self.virtual_hosts().into_iter().filter(|vhost| vhost.answers_to(host)).collect()
    }

    /// Every `WSGIDaemonProcess`, at server level or in a virtual host.
    pub fn wsgi_daemons(&self) -> Vec<WsgiDaemon> {
        let mut out: Vec<WsgiDaemon> = self
            .server_level("WSGIDaemonProcess")
            .into_iter()
            .filter_map(|directive| wsgi_daemon(directive, None))
            .collect();
        for vhost in self.virtual_hosts() {
            out.extend(
                vhost
                    .all("WSGIDaemonProcess")
                    .into_iter()
                    .filter_map(|directive| wsgi_daemon(directive, Some(vhost.index))),
            );
        }
        out
    }

    /// The server's `Options` (outside any section): the default is
    /// `FollowSymLinks`.
    pub fn server_options(&self) -> Options {
        let mut conf = DirConf::server_default();
        conf.merge(&DirConf::from_directives(&direct(&self.directives)));
        conf.options()
    }

    /// Every directory Apache serves (`DocumentRoot`, `Alias`, `AliasMatch` and
    /// `WSGIScriptAlias` targets) in every virtual host, or in the main server
    /// when there is no virtual host, with what is in effect there. Below each
    /// served root, the directories a `<Directory>` section names and those
    /// holding an access file (`.htaccess`) are listed too, since either can
    /// change what is in effect there.
    pub fn served_directories(&self) -> &[ServedDirectory] {
        self.served.get_or_init(|| self.work_out_served_directories())
    }

    fn work_out_served_directories(&self) -> Vec<ServedDirectory> {
        let vhosts = self.virtual_hosts();
        // What the main server holds besides its virtual hosts: every served
        // directory is merged against these, so keep the list short.
        let server: Vec<&Directive> =
            direct(&self.directives).into_iter().filter(|d| !d.is("VirtualHost")).collect();
        let mut out = Vec::new();
        // Access files by inside path: the directories above the served
        // roots (`/`, `/var`, `/var/www`) are the same for every host.
        let mut access_files = AccessFiles::default();
        if vhosts.is_empty() {
            for (url, path, place) in served_roots(&server, None) {
                for (sub_url, sub_path) in self.below(&url, &path, &server) {
                    out.push(self.directory_in_effect(
                        &mut access_files,
                        &server,
                        None,
                        &sub_path,
                        &sub_url,
                        place.clone(),
                    ));
                }
            }
        }
        for vhost in &vhosts {
            let own = vhost.own();
            let mut sections = server.clone();
            sections.extend(own.iter().copied());
            for (url, path, place) in served_roots(&server, Some(&own)) {
                for (sub_url, sub_path) in self.below(&url, &path, &sections) {
                    out.push(self.directory_in_effect(
                        &mut access_files,
                        &server,
                        Some((vhost.index, &own)),
                        &sub_path,
                        &sub_url,
                        place.clone(),
                    ));
                }
            }
        }
        out
    }

    /// A served root and the directories below it worth judging: those a
    /// plain `<Directory>` section names, and those holding an access file
    /// (found by a bounded walk, so a huge media tree stays cheap).
    fn below(&self, url: &str, root: &str, sections: &[&Directive]) -> Vec<(String, String)> {
        let mut out = vec![(url.to_owned(), root.to_owned())];
        let prefix = format!("{}/", root.trim_end_matches('/'));
        let mut add = |path: String| {
            let path = trim_dir(&path);
            if let Some(rest) = path.strip_prefix(&prefix)
                && !out.iter().any(|(_, known)| *known == path)
            {
                let sub_url = format!("{}/{rest}/", url.trim_end_matches('/'));
                out.push((sub_url, path));
            }
        };
        for section in sections {
            if section.is("Directory")
                && section.args.len() == 1
                && let Some(path) = section.arg()
                && !path.contains(['*', '?', '['])
            {
                add(path.to_owned());
            }
        }
        for dir in self.access_file_dirs(root) {
            add(dir);
        }
        out
    }

    /// Directories under `root` that hold a `.htaccess`, breadth first, at
    /// most `ACCESS_FILE_WALK_LIMIT` directories looked at.
    fn access_file_dirs(&self, root: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut queue = std::collections::VecDeque::from([trim_dir(root)]);
        let mut seen = 0;
        while let Some(dir) = queue.pop_front() {
            seen += 1;
            if seen > ACCESS_FILE_WALK_LIMIT {
                break;
            }
            let host = loader::resolve_in_root(&self.host_root, &dir);
            let Ok(entries) = std::fs::read_dir(&host) else { continue };
            let mut children: Vec<String> = Vec::new();
            for entry in entries.filter_map(Result::ok) {
                let name = entry.file_name().to_string_lossy().into_owned();
                let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
                if is_dir {
                    children.push(format!("{}/{name}", dir.trim_end_matches('/')));
                } else if name == ".htaccess" && dir != trim_dir(root) {
                    found.push(dir.clone());
                }
            }
            children.sort();
            queue.extend(children);
        }
        found
    }

    /// Follows core's directory walk for one directory.
    fn directory_in_effect(
        &self,
        access_files: &mut AccessFiles,
        server: &[&Directive],
        vhost: Option<(usize, &Vec<&Directive>)>,
        path: &str,
        url: &str,
        served_by: Option<Place>,
    ) -> ServedDirectory {
        let mut conf = DirConf::server_default();
        conf.merge(&DirConf::from_directives(server));
        if let Some((_, own)) = vhost {
            conf.merge(&DirConf::from_directives(own));
        }

        // <Directory> sections of the server then the virtual host, sorted by
        // depth (stable, so config order breaks ties); regex ones apart.
        let mut sections: Vec<&Directive> =
            server.iter().copied().filter(|d| d.section.is_some()).collect();
        if let Some((_, own)) = vhost {
            sections.extend(own.iter().copied().filter(|d| d.section.is_some()));
        }
        let mut plain: Vec<(usize, &Directive)> = Vec::new();
        let mut regex_sections: Vec<&Directive> = Vec::new();
        let mut locations: Vec<&Directive> = Vec::new();
        for section in sections {
            let is_regex = section.args.first().is_some_and(|arg| arg == "~");
            if section.is("Directory") && !is_regex {
                let depth = components(section.arg().unwrap_or("/")).len();
                plain.push((depth, section));
            } else if section.is("DirectoryMatch") || (section.is("Directory") && is_regex) {
                regex_sections.push(section);
            } else if section.is("Location") || section.is("LocationMatch") {
                locations.push(section);
            }
        }
        plain.sort_by_key(|(depth, _)| *depth);

        let access_file = vhost
            .and_then(|(_, own)| {
                own.iter().rev().find(|d| d.is("AccessFileName")).and_then(|d| d.arg())
            })
            .or_else(|| server.iter().rev().find(|d| d.is("AccessFileName")).and_then(|d| d.arg()))
            .unwrap_or(".htaccess")
            .to_owned();

        let parts = components(path);
        let mut htaccess = Vec::new();
        let mut htaccess_ignored = Vec::new();
        for depth in 0..=parts.len() {
            for (section_depth, section) in &plain {
                if *section_depth == depth
                    && directory_matches(section.arg().unwrap_or("/"), &parts)
                {
                    conf.merge(&DirConf::from_section(section));
                }
            }
            let dir = format!("/{}", parts[..depth].join("/"));
            let file = format!("{}/{}", dir.trim_end_matches('/'), access_file);
            if !access_files.contains_key(&file) {
                let read = std::fs::read(loader::resolve_in_root(&self.host_root, &file)).ok();
                access_files.insert(file.clone(), read);
            }
            let Some(bytes) = access_files.get(&file).and_then(Option::as_deref) else {
                continue;
            };
            if conf.override_any() {
                let content = String::from_utf8_lossy(bytes);
                if let Ok(directives) = loader::parse_detached(self, &file, &content) {
                    conf.merge(&DirConf::from_htaccess(&direct(&directives), &conf));
                    htaccess.push(file);
                }
            } else {
                htaccess_ignored.push(file);
            }
        }

        let dir_with_slash = format!("{}/", path.trim_end_matches('/'));
        for section in regex_sections {
            let pattern = section.args.last().map_or("", String::as_str);
            if regex::Regex::new(pattern)
                .is_ok_and(|re| re.is_match(&dir_with_slash) || re.is_match(path))
            {
                conf.merge(&DirConf::from_section(section));
            }
        }
        for section in locations {
            if location_matches(section, url) {
                conf.merge(&DirConf::from_section(section));
            }
        }

        ServedDirectory {
            path: path.to_owned(),
            url: url.to_owned(),
            vhost: vhost.map(|(index, _)| index),
            served_by,
            options: conf.options(),
            server_signature: conf.signature.clone(),
            htaccess,
            htaccess_ignored,
        }
    }
}

/// The bytes of each access file looked for, `None` when there is none.
type AccessFiles = std::collections::HashMap<String, Option<Vec<u8>>>;

fn is_on(value: Option<&str>) -> bool {
    value.is_some_and(|value| value.eq_ignore_ascii_case("on"))
}

fn wsgi_daemon(directive: &Directive, vhost: Option<usize>) -> Option<WsgiDaemon> {
    let name = directive.arg()?.to_owned();
    let option = |key: &str| {
        directive.args.iter().skip(1).find_map(|arg| {
            arg.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')).map(str::to_owned)
        })
    };
    Some(WsgiDaemon {
        name,
        user: option("user"),
        group: option("group"),
        python_home: option("python-home"),
        python_path: option("python-path"),
        vhost,
        place: directive.place.clone(),
    })
}

/// The (URL, directory, line) pairs a server or virtual host serves.
fn served_roots(
    server: &[&Directive],
    vhost: Option<&Vec<&Directive>>,
) -> Vec<(String, String, Option<Place>)> {
    let last = |name: &str| -> Option<&Directive> {
        vhost
            .and_then(|own| own.iter().rev().find(|d| d.is(name) && d.section.is_none()).copied())
            .or_else(|| server.iter().rev().find(|d| d.is(name) && d.section.is_none()).copied())
    };
    let mut out = Vec::new();
    match last("DocumentRoot") {
        Some(root) => {
            if let Some(path) = root.arg() {
                out.push(("/".to_owned(), trim_dir(path), Some(root.place.clone())));
            }
        }
        None => out.push(("/".to_owned(), DEFAULT_DOCUMENT_ROOT.to_owned(), None)),
    }

    // Aliases at server level apply in every virtual host too.
    let mut aliases: Vec<&Directive> = server.to_vec();
    if let Some(own) = vhost {
        aliases.extend(own.iter().copied());
    }
    for directive in aliases {
        if directive.section.is_some() {
            continue;
        }
        let [url, target, ..] = directive.args.as_slice() else { continue };
        if directive.is("Alias") || directive.is("ScriptAlias") {
            out.push((url.clone(), trim_dir(target), Some(directive.place.clone())));
        } else if directive.is("AliasMatch") {
            let literal_url: String = url
                .trim_start_matches('^')
                .chars()
                .take_while(|c| !"()[.*+?$\\|".contains(*c))
                .collect();
            let literal_target: String = target.chars().take_while(|c| *c != '$').collect();
            let dir = match literal_target.rfind('/') {
                Some(slash) => literal_target[..=slash].to_owned(),
                None => literal_target,
            };
            out.push((literal_url, trim_dir(&dir), Some(directive.place.clone())));
        } else if directive.is("WSGIScriptAlias") {
            let dir = if looks_like_file(target) {
                target.rsplit_once('/').map_or(target.as_str(), |(dir, _)| dir).to_owned()
            } else {
                target.clone()
            };
            out.push((url.clone(), trim_dir(&dir), Some(directive.place.clone())));
        }
    }
    out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    out
}

fn looks_like_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    std::path::Path::new(name)
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("py") || ext.eq_ignore_ascii_case("wsgi"))
}

fn trim_dir(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() { "/".to_owned() } else { trimmed.to_owned() }
}

fn components(path: &str) -> Vec<&str> {
    path.split('/').filter(|part| !part.is_empty()).collect()
}

/// A plain `<Directory>` path applies to the directory and everything below;
/// wildcards match one component each.
fn directory_matches(section_path: &str, parts: &[&str]) -> bool {
    let wanted = components(section_path);
    if wanted.len() > parts.len() {
        return false;
    }
    wanted.iter().zip(parts).all(|(pattern, part)| {
        if pattern.contains(['*', '?', '[']) {
            glob::Pattern::new(pattern).is_ok_and(|pattern| pattern.matches(part))
        } else {
            pattern == part
        }
    })
}

fn location_matches(section: &Directive, url: &str) -> bool {
    let is_regex =
        section.is("LocationMatch") || section.args.first().is_some_and(|arg| arg == "~");
    let pattern = section.args.last().map_or("", String::as_str);
    if is_regex {
        return regex::Regex::new(pattern).is_ok_and(|re| re.is_match(url));
    }
    if pattern.contains(['*', '?', '[']) {
        return glob::Pattern::new(pattern).is_ok_and(|glob| glob.matches(url));
    }
    url.strip_prefix(pattern)
        .is_some_and(|rest| pattern.ends_with('/') || rest.is_empty() || rest.starts_with('/'))
}

/// What one configuration section says about `Options`, `AllowOverride` and
/// `ServerSignature`, merged the way core's `merge_dir_configs` does.
#[derive(Debug, Clone)]
struct DirConf {
    opts: u16,
    add: u16,
    remove: u16,
    indexes_by: Option<(Place, String)>,
    /// None: not set here. Some((any override, Options allowed, which options)).
    allow: Option<(bool, bool, u16)>,
    signature: Option<Directive>,
}

impl DirConf {
    fn server_default() -> DirConf {
        DirConf {
            opts: OPT_UNSET | OPT_SYM_LINKS,
            add: 0,
            remove: 0,
            indexes_by: None,
            allow: Some((false, false, 0)),
            signature: None,
        }
    }

    fn empty() -> DirConf {
        DirConf {
            opts: OPT_UNSET,
            add: 0,
            remove: 0,
            indexes_by: None,
            allow: None,
            signature: None,
        }
    }

    fn from_section(section: &Directive) -> DirConf {
        section
            .section
            .as_ref()
            .map_or_else(DirConf::empty, |body| DirConf::from_directives(&direct(&body.children)))
    }

    fn from_directives(directives: &[&Directive]) -> DirConf {
        let mut conf = DirConf::empty();
        for directive in directives {
            if directive.section.is_some() {
                continue;
            }
            if directive.is("Options") {
                conf.apply_options(directive, u16::MAX);
            } else if directive.is("AllowOverride") {
                conf.allow = Some(parse_allow_override(&directive.args));
            } else if directive.is("ServerSignature") {
                conf.signature = Some((*directive).clone());
            }
        }
        conf
    }

    /// A `.htaccess`: only what the `AllowOverride` in effect lets through.
    fn from_htaccess(directives: &[&Directive], parent: &DirConf) -> DirConf {
        let (any, options, allowed) = parent.allow.unwrap_or((false, false, 0));
        let mut conf = DirConf::empty();
        for directive in directives {
            if directive.section.is_some() {
                continue;
            }
            if directive.is("Options") && options {
                conf.apply_options(directive, allowed);
            } else if directive.is("ServerSignature") && any {
                conf.signature = Some((*directive).clone());
            }
        }
        conf
    }

    /// `set_options` in core.c: an absolute list replaces, `+`/`-` adjust.
    fn apply_options(&mut self, directive: &Directive, allowed: u16) {
        let mut first = true;
        let mut mentions_indexes = false;
        for word in &directive.args {
            let (action, name) = match word.chars().next() {
                Some(sign @ ('+' | '-')) => (Some(sign), &word[1..]),
                _ => (None, word.as_str()),
            };
            if action.is_none() && first {
                self.opts = 0;
                mentions_indexes = true;
            }
            first = false;
            let bit = match name.to_ascii_lowercase().as_str() {
                "indexes" => OPT_INDEXES,
                "includes" => OPT_INCLUDES | OPT_INC_WITH_EXEC,
                "includesnoexec" => OPT_INCLUDES,
                "followsymlinks" => OPT_SYM_LINKS,
                "symlinksifownermatch" => OPT_SYM_OWNER,
                "execcgi" => OPT_EXECCGI,
                "multiviews" => OPT_MULTI,
                "all" => OPT_ALL,
                // "None" sets nothing; an unknown word makes Apache refuse the
                // line ("Illegal option"), so it changes nothing either.
                _ => 0,
            } & allowed;
            if bit & OPT_INDEXES != 0 {
                mentions_indexes = true;
            }
            match action {
                Some('-') => {
                    self.remove |= bit;
                    self.add &= !bit;
                    self.opts &= !bit;
                }
                Some(_) => {
                    self.add |= bit;
                    self.remove &= !bit;
                    self.opts |= bit;
                }
                None => self.opts |= bit,
            }
        }
        if mentions_indexes {
            self.indexes_by = Some((directive.place.clone(), directive.text.clone()));
        }
    }

    fn merge(&mut self, new: &DirConf) {
        if new.opts & OPT_UNSET != 0 {
            self.add = (self.add & !new.remove) | new.add;
            self.remove = (self.remove & !new.add) | new.remove;
            self.opts = (self.opts & !self.remove) | self.add;
            if (new.add | new.remove) & OPT_INDEXES != 0 {
                self.indexes_by.clone_from(&new.indexes_by);
            }
        } else {
            self.opts = new.opts;
            self.add = new.add;
            self.remove = new.remove;
            self.indexes_by.clone_from(&new.indexes_by);
        }
        if new.allow.is_some() {
            self.allow = new.allow;
        }
        if new.signature.is_some() {
            self.signature.clone_from(&new.signature);
        }
    }

    fn override_any(&self) -> bool {
        self.allow.is_some_and(|(any, _, _)| any)
    }

    fn options(&self) -> Options {
        Options { bits: self.opts & !OPT_UNSET, indexes_set_by: self.indexes_by.clone() }
    }
}

/// `AllowOverride` → (any override, Options allowed, which options).
fn parse_allow_override(args: &[String]) -> (bool, bool, u16) {
    let all_options = OPT_ALL | OPT_SYM_OWNER | OPT_MULTI;
    let mut any = false;
    let mut options = false;
    let mut allowed = 0;
    for arg in args {
        let lower = arg.to_ascii_lowercase();
        if lower == "none" {
            continue;
        }
        if lower == "all" {
            return (true, true, all_options);
        }
        any = true;
        if lower == "options" {
            options = true;
            allowed = all_options;
        } else if let Some(list) = lower.strip_prefix("options=") {
            options = true;
            for name in list.split(',') {
                allowed |= match name {
                    "indexes" => OPT_INDEXES,
                    "includes" => OPT_INCLUDES | OPT_INC_WITH_EXEC,
                    "includesnoexec" => OPT_INCLUDES,
                    "followsymlinks" => OPT_SYM_LINKS,
                    "symlinksifownermatch" => OPT_SYM_OWNER,
                    "execcgi" => OPT_EXECCGI,
                    "multiviews" => OPT_MULTI,
                    "all" => OPT_ALL,
                    _ => 0,
                };
            }
        }
    }
    (any, options, allowed)
}
