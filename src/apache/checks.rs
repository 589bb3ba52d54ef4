//! The Apache items of the checklist. Each check reads the model and the
//! dpkg status and returns one finding with evidence naming file and line; none of them
//! changes anything, and none guesses: what cannot be known is `unknown`.

use super::{ApacheConfig, ApacheError, Directive, tls};
use crate::dpkg::{Installed, STATUS_FILE};
use crate::finding::{Evidence, Finding};
use crate::target::Target;

/// The item ids this module answers, in checklist order.
pub const ITEMS: [&str; 12] = [
    "apache.modsecurity-installed",
    "apache.modsecurity-enabled",
    "apache.modsecurity-engine",
    "apache.modsecurity-crs",
    "apache.evasive-installed",
    "apache.evasive-enabled",
    "apache.evasive-configured",
    "apache.server-tokens",
    "apache.server-signature",
    "apache.no-indexes",
    "apache.tls-protocols",
    "apache.tls-ciphers",
];

const MODSECURITY_PACKAGE: &str = "libapache2-mod-security2";
const CRS_PACKAGE: &str = "modsecurity-crs";
const EVASIVE_PACKAGE: &str = "libapache2-mod-evasive";

/// Runs one item. An id this module does not know is `unknown`.
pub fn run(id: &str, cfg: &ApacheConfig, packages: &Installed, target: &Target) -> Finding {
    match id {
        "apache.modsecurity-installed" => package_installed(id, packages, MODSECURITY_PACKAGE),
        "apache.modsecurity-enabled" => needs_package(
            module_enabled(id, cfg, &["security2_module"], "ModSecurity"),
            packages,
            MODSECURITY_PACKAGE,
        ),
        "apache.modsecurity-engine" => modsecurity_engine(cfg),
        "apache.modsecurity-crs" => modsecurity_crs(cfg, packages),
        "apache.evasive-installed" => package_installed(id, packages, EVASIVE_PACKAGE),
        "apache.evasive-enabled" => needs_package(
            module_enabled(id, cfg, &["evasive20_module", "evasive_module"], "mod_evasive"),
            packages,
            EVASIVE_PACKAGE,
        ),
        "apache.evasive-configured" => evasive_configured(cfg, packages),
        "apache.server-tokens" => server_tokens(cfg),
        "apache.server-signature" => server_signature(cfg),
        "apache.no-indexes" => no_indexes(cfg),
        "apache.tls-protocols" => tls_protocols(cfg),
        "apache.tls-ciphers" => tls_ciphers(cfg, target),
        _ => Finding::unknown(id, format!("{id} is not an Apache item")),
    }
}

/// Every Apache item for a target: loads the configuration and the package
/// list once. When the configuration cannot be read, the items that need it
/// are `unknown` with the error (file and line); package items still run.
pub fn run_all(target: &Target) -> Vec<Finding> {
    let packages = Installed::load(target);
    let config = ApacheConfig::load(target);
    ITEMS
        .iter()
        .map(|id| {
            let is_package_item = id.ends_with("-installed");
            match (&config, &packages) {
                (Ok(cfg), Ok(installed)) => run(id, cfg, installed, target),
                (_, Ok(installed)) if is_package_item => run_package_item(id, installed),
                (Err(error), _) => unreadable(id, error),
                (Ok(cfg), Err(error)) => {
                    if is_package_item {
                        Finding::unknown(id, error.to_string())
                    } else {
                        run(id, cfg, &Installed::default(), target)
                    }
                }
            }
        })
        .collect()
}

pub fn run_package_item(id: &str, packages: &Installed) -> Finding {
    match id {
        "apache.modsecurity-installed" => package_installed(id, packages, MODSECURITY_PACKAGE),
        _ => package_installed(id, packages, EVASIVE_PACKAGE),
    }
}

fn unreadable(id: &str, error: &ApacheError) -> Finding {
    match error {
        ApacheError::Missing { .. } => Finding::unknown(id, error.to_string()),
        _ => Finding::unknown(id, format!("Apache's configuration cannot be read: {error}")),
    }
}

fn at(directive: &Directive) -> Evidence {
    Evidence::at(&directive.place.file, directive.place.line, &directive.text)
}

/// Apache refuses a line that carries a `#` after the directive: there are
/// no trailing comments, so the words are passed on as arguments.
fn refused_for_comment(directive: &Directive) -> Option<String> {
    directive.trailing_comment().map(|_| {
        format!(
            "Apache refuses {}:{}: `#` only starts a comment at the beginning of a line, so `{}` gets the comment as arguments",
            directive.place.file, directive.place.line, directive.name
        )
    })
}

fn package_installed(id: &str, packages: &Installed, package: &str) -> Finding {
    match packages.version(package) {
        Some(version) => {
            Finding::pass(id, format!("{package} {version} is installed")).with(Evidence::in_file(
                STATUS_FILE,
                format!("Package: {package}  Version: {version}  Status: install ok installed"),
            ))
        }
        None => Finding::fail(id, format!("{package} is not installed")).with(Evidence::in_file(
            STATUS_FILE,
            format!("no installed {package} in the dpkg status"),
        )),
    }
}

/// A module that is not loaded because its package is missing says so.
fn needs_package(finding: Finding, packages: &Installed, package: &str) -> Finding {
    if finding.status == crate::finding::Status::Fail && !packages.is_installed(package) {
        finding.with(Evidence::in_file(
            STATUS_FILE,
            format!("{package} is not installed: the module cannot be enabled before it is"),
        ))
    } else {
        finding
    }
}

fn module_enabled(id: &str, cfg: &ApacheConfig, identifiers: &[&str], label: &str) -> Finding {
    for identifier in identifiers {
        if let Some(module) = cfg.module(identifier) {
            let mut finding = Finding::pass(id, format!("{label} is loaded ({identifier})"));
            if let Some(place) = &module.place {
                let object = module.object.clone().unwrap_or_default();
                finding = finding.with(Evidence::at(
                    &place.file,
                    place.line,
                    format!("LoadModule {identifier} {object}"),
                ));
            }
            return finding;
        }
    }
    let names = identifiers.join(" or ");
    Finding::fail(
        id,
        format!(
            "{label} is not loaded: no LoadModule {names} is reached from {}/apache2.conf",
            cfg.root
        ),
    )
    .with(Evidence::note(format!(
        "enabled modules are the .load files in {}/mods-enabled",
        cfg.root
    )))
}

fn modsecurity_engine(cfg: &ApacheConfig) -> Finding {
    let id = "apache.modsecurity-engine";
    if !cfg.has_module("security2_module") {
        return Finding::fail(id, "ModSecurity is not loaded, so no rule engine runs");
    }

    let server = cfg.server_value("SecRuleEngine");
    if let Some(refusal) = server.and_then(refused_for_comment) {
        return Finding::fail(id, refusal).with_evidence(server.map(at));
    }
    let server_mode = server.and_then(Directive::arg).unwrap_or("Off").to_ascii_lowercase();

    // Everywhere else the engine can be switched: virtual hosts and their
    // sections, and server-level <Location>/<Directory> sections.
    let mut weaker = Vec::new();
    for (parents, directive) in cfg.everywhere("SecRuleEngine") {
        if parents.is_empty() {
            continue;
        }
        let mode = directive.arg().unwrap_or("").to_ascii_lowercase();
        if mode != "on" || directive.trailing_comment().is_some() {
            weaker.push(directive);
        }
    }
    let engine_off_rules: Vec<&Directive> = cfg
        .walk()
        .into_iter()
        .map(|(_, directive)| directive)
        .filter(|directive| {
            (directive.is("SecRule") || directive.is("SecAction"))
                && !is_crs_rule_file(&directive.place.file)
                && directive
                    .text
                    .to_ascii_lowercase()
                    .replace(' ', "")
                    .contains("ctl:ruleengine=off")
        })
        .collect();

    // A server left Off still blocks where every virtual host says On.
    let vhosts = cfg.virtual_hosts();
    let every_vhost_on = !vhosts.is_empty()
        && vhosts.iter().all(|vhost| {
            vhost.value("SecRuleEngine").is_some_and(|directive| {
                directive.arg().is_some_and(|mode| mode.eq_ignore_ascii_case("on"))
                    && directive.trailing_comment().is_none()
            })
        });
    let blocking = server_mode == "on" || every_vhost_on;
    let where_on = if server_mode == "on" { "at server level" } else { "in every virtual host" };

    let mut finding = if blocking && weaker.is_empty() {
        Finding::pass(id, format!("SecRuleEngine On {where_on}: ModSecurity blocks"))
    } else if blocking {
        Finding::fail(
            id,
            format!(
                "SecRuleEngine On {where_on}, but {} place(s) switch it off or to DetectionOnly",
                weaker.len()
            ),
        )
    } else if server_mode == "detectiononly" {
        Finding::fail(
            id,
            "SecRuleEngine DetectionOnly: ModSecurity logs attacks but is not blocking",
        )
    } else if server.is_none() {
        Finding::fail(
            id,
            "no SecRuleEngine is set: ModSecurity's default is Off, so nothing is inspected",
        )
        .with(Evidence::note(
            "SecRuleEngine absent at server level; ModSecurity 2 treats that as Off",
        ))
    } else {
        Finding::fail(id, "SecRuleEngine Off: ModSecurity inspects nothing")
    };
    finding = finding.with_evidence(server.map(at));
    finding = finding.with_evidence(weaker.into_iter().map(at));
    if !engine_off_rules.is_empty() {
        finding = finding.with(Evidence::note(format!(
            "{} rule(s) switch the engine off for some requests (ctl:ruleEngine=Off)",
            engine_off_rules.len()
        )));
        finding = finding.with_evidence(engine_off_rules.into_iter().map(at));
    }
    finding
}

/// True for an included file that is one of CRS's rule files.
fn is_crs_rule_file(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file);
    (name.starts_with("REQUEST-9") || name.starts_with("RESPONSE-9"))
        && std::path::Path::new(name)
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("conf"))
        && file.contains("/rules/")
}

fn modsecurity_crs(cfg: &ApacheConfig, packages: &Installed) -> Finding {
    let id = "apache.modsecurity-crs";
    let rule_files: Vec<&super::IncludedFile> =
        cfg.includes.iter().filter(|file| is_crs_rule_file(&file.file)).collect();
    // The initialisation file is read once per CRS copy loaded.
    let copies = rule_files
        .iter()
        .filter(|file| file.file.ends_with("REQUEST-901-INITIALIZATION.conf"))
        .count();
    let setups: Vec<&super::IncludedFile> = cfg
        .includes
        .iter()
        .filter(|file| file.file.rsplit('/').next().is_some_and(|name| name == "crs-setup.conf"))
        .collect();
    let rules = cfg.everywhere("SecRule").len();

    let mut evidence: Vec<Evidence> = setups
        .iter()
        .chain(rule_files.iter().take(1))
        .filter_map(|file| {
            file.from.as_ref().map(|place| {
                Evidence::at(&place.file, place.line, format!("includes {}", file.file))
            })
        })
        .collect();
    if !cfg.has_module("security2_module") {
        return Finding::fail(id, "ModSecurity is not loaded, so no CRS rule is read");
    }
    match copies {
        0 if rule_files.is_empty() => {
            let hint = if packages.is_installed(CRS_PACKAGE) {
                format!("{CRS_PACKAGE} is installed but none of its rule files is included")
            } else {
                format!("{CRS_PACKAGE} is not installed")
            };
            Finding::fail(
                id,
                format!("the OWASP CRS is not loaded: no rule file is reached ({hint})"),
            )
            .with(Evidence::note(format!("{rules} SecRule line(s) reached in all")))
        }
        0 | 1 => {
            let mut finding = Finding::pass(
                id,
                format!(
                    "the OWASP CRS is loaded once: {} rule files, {rules} SecRule lines reached",
                    rule_files.len()
                ),
            );
            if setups.is_empty() {
                finding = Finding::fail(
                    id,
                    "CRS rule files are included without crs-setup.conf, which they need",
                );
            }
            finding.with_evidence(evidence)
        }
        n => {
            evidence.extend(
                rule_files
                    .iter()
                    .filter(|file| file.file.ends_with("REQUEST-901-INITIALIZATION.conf"))
                    .filter_map(|file| {
                        file.from.as_ref().map(|place| {
                            Evidence::at(&place.file, place.line, format!("includes {}", file.file))
                        })
                    }),
            );
            Finding::fail(
                id,
                format!(
                    "the OWASP CRS is included {n} times: Apache refuses the duplicate rule ids"
                ),
            )
            .with_evidence(evidence)
        }
    }
}

/// Which `mod_evasive` the target has, and the names its `<IfModule>` answers.
fn evasive_names(cfg: &ApacheConfig, packages: &Installed) -> Option<(bool, Vec<String>)> {
    if let Some(module) = cfg.modules.iter().find(|module| module.identifier.contains("evasive")) {
        let version_two = module.identifier == "evasive_module"
            || packages
                .version(EVASIVE_PACKAGE)
                .is_some_and(|version| crate::dpkg::upstream_version(version).starts_with('2'));
        return Some((version_two, vec![module.identifier.clone(), module.source.clone()]));
    }
    None
}

fn evasive_configured(cfg: &ApacheConfig, packages: &Installed) -> Finding {
    let id = "apache.evasive-configured";
    let Some((version_two, names)) = evasive_names(cfg, packages) else {
        let expected = match packages.version(EVASIVE_PACKAGE).map(crate::dpkg::upstream_version) {
            Some(version) if version.starts_with('2') => {
                "<IfModule mod_evasive.c> (evasive_module)"
            }
            _ => "<IfModule mod_evasive20.c> (evasive20_module)",
        };
        return Finding::fail(
            id,
            format!("mod_evasive is not loaded; once loaded its settings belong in {expected}"),
        );
    };

    let active: Vec<&Directive> = cfg
        .walk()
        .into_iter()
        .map(|(_, directive)| directive)
        .filter(|directive| directive.name.to_ascii_lowercase().starts_with("dos"))
        .collect();
    let skipped: Vec<(&Directive, &Directive)> = cfg
        .skipped()
        .into_iter()
        .filter(|(_, directive)| directive.name.to_ascii_lowercase().starts_with("dos"))
        .collect();

    let mut required = vec!["DOSHashTableSize", "DOSPageCount", "DOSSiteCount", "DOSPageInterval"];
    if version_two {
        required.push("DOSEnabled");
    }
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|name| !active.iter().any(|directive| directive.is(name)))
        .collect();
    let enabled_off = version_two
        && active.iter().rev().find(|directive| directive.is("DOSEnabled")).is_some_and(
            |directive| {
                !directive.arg().is_some_and(|value| {
                    value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("on")
                })
            },
        );
    let refused: Vec<&Directive> =
        active.iter().copied().filter(|directive| directive.trailing_comment().is_some()).collect();

    let wanted = format!("<IfModule {}> or <IfModule {}>", names[1], names[0]);
    let mut finding = if !refused.is_empty() {
        Finding::fail(
            id,
            format!("Apache refuses {} mod_evasive line(s) with a trailing comment", refused.len()),
        )
    } else if missing.is_empty() && !enabled_off {
        Finding::pass(
            id,
            format!("mod_evasive is configured ({} settings in effect)", active.len()),
        )
    } else if enabled_off {
        Finding::fail(id, "DOSEnabled is not true: mod_evasive 2.x is loaded but inert")
    } else if !skipped.is_empty() {
        let block = skipped[0].0;
        Finding::fail(
            id,
            format!(
                "mod_evasive settings sit in <IfModule {}>, which the loaded module does not answer to; it runs with its defaults (use {wanted})",
                block.arg().unwrap_or("")
            ),
        )
    } else {
        Finding::fail(
            id,
            format!(
                "mod_evasive runs with its defaults: {} not set (inside {wanted})",
                missing.join(", ")
            ),
        )
    };
    finding = finding.with_evidence(active.iter().copied().map(at));
    finding = finding.with_evidence(evasive_notes(cfg, &active));
    if let Some((block, _)) = skipped.first() {
        finding = finding.with(at(block));
        finding = finding.with_evidence(skipped.iter().map(|(_, directive)| at(directive)));
    }
    finding
}

/// What the operator should know even when `mod_evasive` is configured: its
/// counters live in each child process, and low page counts trip on pages
/// that pull many assets (Django's admin).
fn evasive_notes(cfg: &ApacheConfig, active: &[&Directive]) -> Vec<Evidence> {
    let mut notes = Vec::new();
    if let Some(mpm) = cfg.modules.iter().find(|module| module.identifier.starts_with("mpm_")) {
        notes.push(Evidence::note(format!(
            "{} is loaded: mod_evasive counts per child process, so the real threshold grows with the number of children",
            mpm.identifier
        )));
    }
    let low =
        active.iter().rev().find(|directive| directive.is("DOSPageCount")).and_then(|directive| {
            directive
                .arg()
                .and_then(|value| value.parse::<u32>().ok())
                .filter(|count| *count < 5)
                .map(|count| (count, *directive))
        });
    if let Some((count, directive)) = low {
        notes.push(Evidence::at(
            &directive.place.file,
            directive.place.line,
            format!(
                "{}  (DOSPageCount {count} is low: a page that loads many assets can trip it)",
                directive.text
            ),
        ));
    }
    notes
}

fn server_tokens(cfg: &ApacheConfig) -> Finding {
    let id = "apache.server-tokens";
    let misplaced: Vec<&Directive> = cfg
        .everywhere("ServerTokens")
        .into_iter()
        .filter(|(parents, _)| !parents.is_empty())
        .map(|(_, directive)| directive)
        .collect();
    let last = cfg.server_value("ServerTokens");

    if !misplaced.is_empty() {
        let section = cfg
            .everywhere("ServerTokens")
            .into_iter()
            .find(|(parents, _)| !parents.is_empty())
            .and_then(|(parents, _)| parents.first().map(|parent| parent.name.clone()))
            .unwrap_or_default();
        return Finding::fail(
            id,
            format!(
                "ServerTokens inside <{section}>: Apache refuses it there (server config only)"
            ),
        )
        .with_evidence(misplaced.into_iter().map(at))
        .with_evidence(last.map(at));
    }
    let Some(last) = last else {
        return Finding::fail(
            id,
            "ServerTokens is not set: Apache's default is Full (version and OS in every Server header)",
        );
    };
    if let Some(refusal) = refused_for_comment(last) {
        return Finding::fail(id, refusal).with(at(last));
    }
    let value = last.arg().unwrap_or("");
    if value.eq_ignore_ascii_case("Prod") || value.eq_ignore_ascii_case("ProductOnly") {
        Finding::pass(id, "ServerTokens Prod: the Server header says only Apache").with(at(last))
    } else {
        Finding::fail(
            id,
            format!(
                "ServerTokens {value} is in effect (the last one Apache reads); Prod is wanted"
            ),
        )
        .with(at(last))
    }
}

fn signature_on(directive: &Directive) -> bool {
    !directive.arg().is_some_and(|value| value.eq_ignore_ascii_case("off"))
        || directive.trailing_comment().is_some()
}

fn server_signature(cfg: &ApacheConfig) -> Finding {
    let id = "apache.server-signature";
    let mut offending: Vec<Directive> = Vec::new();

    // Server level: the last one wins; none means Off (upstream default).
    let server = cfg.server_value("ServerSignature");
    if let Some(directive) = server.filter(|directive| signature_on(directive)) {
        offending.push(directive.clone());
    }
    // Any section that turns it back on takes effect for what it covers.
    for (parents, directive) in cfg.everywhere("ServerSignature") {
        if !parents.is_empty() && signature_on(directive) {
            offending.push(directive.clone());
        }
    }
    // .htaccess files Apache reads.
    for served in cfg.served_directories() {
        if let Some(directive) = served.server_signature.as_ref().filter(|d| signature_on(d))
            && !offending.iter().any(|known| known.place == directive.place)
        {
            offending.push(directive.clone());
        }
    }

    if offending.is_empty() {
        let summary = if server.is_some() {
            "ServerSignature Off everywhere it takes effect"
        } else {
            "ServerSignature is not set: Off by default"
        };
        Finding::pass(id, summary).with_evidence(server.map(at))
    } else {
        let first = &offending[0];
        Finding::fail(
            id,
            format!(
                "ServerSignature {} at {}: error pages show the server version",
                first.arg().unwrap_or(""),
                first.place
            ),
        )
        .with_evidence(offending.iter().map(at))
    }
}

fn no_indexes(cfg: &ApacheConfig) -> Finding {
    let id = "apache.no-indexes";
    let served = cfg.served_directories();
    let mut listed: Vec<_> = served.iter().filter(|dir| dir.options.indexes()).collect();
    // The site's own directories (an Alias or DocumentRoot of its virtual
    // hosts) lead; an inherited or main-server document root comes after.
    listed.sort_by_key(|dir| (dir.vhost.is_none(), dir.served_by.is_none()));
    if listed.is_empty() {
        return Finding::pass(
            id,
            format!("no served directory has Indexes in effect ({} checked)", served.len()),
        );
    }
    let mut evidence: Vec<Evidence> = Vec::new();
    for dir in &listed {
        let said = match &dir.options.indexes_set_by {
            Some((place, text)) => Evidence::at(
                &place.file,
                place.line,
                format!("{text}  (in effect for {} at {})", dir.path, dir.url),
            ),
            None => Evidence::note(format!("Indexes in effect for {}", dir.path)),
        };
        evidence.push(said);
    }
    dedup(&mut evidence);
    let first = listed[0];
    let turned_on = first
        .options
        .indexes_set_by
        .as_ref()
        .map_or_else(String::new, |(place, _)| format!(", turned on at {place}"));
    if !cfg.has_module("autoindex_module") {
        return Finding::pass(
            id,
            format!("Indexes is in effect for {}{turned_on}, but mod_autoindex is not loaded, so no listing is served", first.path),
        )
        .with_evidence(evidence);
    }
    Finding::fail(
        id,
        format!(
            "directory listing is on for {} ({} served director{}){turned_on}",
            first.path,
            listed.len(),
            if listed.len() == 1 { "y" } else { "ies" }
        ),
    )
    .with_evidence(evidence)
}

/// The scopes TLS settings are judged in: the server, then each TLS vhost.
fn tls_scopes(cfg: &ApacheConfig, name: &str) -> Vec<(String, Option<Directive>)> {
    let server = cfg
        .server_level(name)
        .into_iter()
        .rev()
        .find(|directive| !is_tls13_suite_line(directive))
        .cloned();
    let mut scopes = vec![("server config".to_owned(), server.clone())];
    for vhost in cfg.virtual_hosts().into_iter().filter(|vhost| vhost.ssl) {
        let own = vhost
            .all(name)
            .into_iter()
            .rev()
            .find(|directive| !is_tls13_suite_line(directive))
            .cloned();
        let label = format!(
            "<VirtualHost {}> {}({})",
            vhost.addresses.join(" "),
            vhost.server_name.as_deref().map(|name| format!("{name} ")).unwrap_or_default(),
            vhost.place
        );
        scopes.push((label, own.or_else(|| server.clone())));
    }
    scopes
}

fn is_tls13_suite_line(directive: &Directive) -> bool {
    directive.is("SSLCipherSuite")
        && directive.args.len() > 1
        && (directive.args[0].eq_ignore_ascii_case("TLSv1.3") || directive.args[0] == "SSL")
}

fn no_tls(cfg: &ApacheConfig, id: &str) -> Option<Finding> {
    (!cfg.has_module("ssl_module")).then(|| {
        Finding::not_applicable(
            id,
            "mod_ssl is not loaded: Apache serves no TLS here (TLS may end in front of it)",
        )
    })
}

fn tls_protocols(cfg: &ApacheConfig) -> Finding {
    let id = "apache.tls-protocols";
    if let Some(finding) = no_tls(cfg, id) {
        return finding;
    }
    let mut bad = Vec::new();
    let mut evidence = Vec::new();
    for (scope, directive) in tls_scopes(cfg, "SSLProtocol") {
        let args: Vec<String> = match &directive {
            Some(directive) => directive.args.clone(),
            None => tls::DEFAULT_PROTOCOL.split_whitespace().map(str::to_owned).collect(),
        };
        match tls::protocols(&args) {
            Ok(set) => {
                let legacy = tls::legacy(&set);
                if !legacy.is_empty() {
                    bad.push(format!("{scope} allows {}", legacy.join(", ")));
                }
            }
            Err(message) => bad.push(format!("{scope}: Apache refuses the line ({message})")),
        }
        evidence.push(match &directive {
            Some(directive) => at(directive),
            None => Evidence::note(format!(
                "{scope}: no SSLProtocol, mod_ssl's default `{}` applies",
                tls::DEFAULT_PROTOCOL
            )),
        });
    }
    dedup(&mut evidence);
    if bad.is_empty() {
        Finding::pass(
            id,
            "only TLS 1.2 and 1.3 are allowed, globally and in every TLS virtual host",
        )
        .with_evidence(evidence)
    } else {
        Finding::fail(id, summarize(&bad)).with_evidence(evidence)
    }
}

fn tls_ciphers(cfg: &ApacheConfig, target: &Target) -> Finding {
    let id = "apache.tls-ciphers";
    if let Some(finding) = no_tls(cfg, id) {
        return finding;
    }
    let protocol_scopes = tls_scopes(cfg, "SSLProtocol");
    let mut bad = Vec::new();
    let mut unknown = Vec::new();
    let mut evidence = Vec::new();
    // Most virtual hosts inherit one string: judge each string once.
    let mut judged: std::collections::HashMap<String, CipherVerdict> =
        std::collections::HashMap::new();
    for (index, (scope, directive)) in tls_scopes(cfg, "SSLCipherSuite").into_iter().enumerate() {
        // With nothing below TLS 1.3 allowed, the TLS 1.2 list never applies.
        let only_tls13 = protocol_scopes
            .get(index)
            .and_then(|(_, protocol)| protocol.as_ref())
            .is_some_and(|protocol| {
                tls::protocols(&protocol.args)
                    .is_ok_and(|set| !set.is_empty() && set.iter().all(|p| *p == "TLSv1.3"))
            });
        let spec = directive.as_ref().map_or_else(
            || "DEFAULT".to_owned(),
            |directive| directive.args.last().cloned().unwrap_or_default(),
        );
        if let Some(directive) = &directive {
            evidence.push(at(directive));
            if let Some(refusal) = refused_for_comment(directive) {
                bad.push(refusal);
                continue;
            }
        } else {
            evidence.push(Evidence::note(format!(
                "{scope}: no SSLCipherSuite, OpenSSL's DEFAULT list applies"
            )));
        }
        if only_tls13 {
            continue;
        }
        let verdict = judged.entry(spec.clone()).or_insert_with(|| {
            let verdict = judge_cipher_string(&spec);
            if let Some(shown) = &verdict.evidence {
                evidence.push(shown.clone());
            }
            verdict
        });
        match &verdict.outcome {
            Ok(None) => {}
            Ok(Some(weak)) => bad.push(format!("{scope}: {weak}")),
            Err(why) => unknown.push(format!("{scope}: {why}")),
        }
    }
    dedup(&mut evidence);
    if !target.is_live_system() && evidence.iter().any(|e| e.command.is_some()) {
        // The strings were expanded by this machine's OpenSSL, not the target's.
        evidence.push(Evidence::note(
            "cipher strings expanded with this machine's openssl; the target's OpenSSL may differ",
        ));
    }
    if !bad.is_empty() {
        Finding::fail(id, summarize(&bad)).with_evidence(evidence)
    } else if !unknown.is_empty() {
        let mut finding = Finding::unknown(id, summarize(&unknown));
        finding.evidence = evidence;
        finding
    } else {
        Finding::pass(
            id,
            "no weak cipher suite is allowed (judged against Mozilla's intermediate profile)",
        )
        .with_evidence(evidence)
    }
}

/// A cipher string's verdict: `Ok(None)` strong, `Ok(Some(why))` weak,
/// `Err(why)` undecidable here; with the command output to show.
struct CipherVerdict {
    outcome: Result<Option<String>, String>,
    evidence: Option<Evidence>,
}

fn judge_cipher_string(spec: &str) -> CipherVerdict {
    match tls::expand_with_openssl(spec) {
        Ok(ciphers) => {
            let weak: Vec<String> = ciphers
                .iter()
                .filter_map(|cipher| {
                    cipher.weakness().map(|why| format!("{} ({why})", cipher.name))
                })
                .collect();
            let outside: Vec<&str> = ciphers
                .iter()
                .filter(|cipher| cipher.weakness().is_none() && !cipher.in_mozilla_intermediate())
                .map(|cipher| cipher.name.as_str())
                .collect();
            let shown = Evidence::command(
                format!("openssl ciphers -v '{spec}'"),
                format!(
                    "{} suites, {} weak, {} strong but outside Mozilla intermediate{}",
                    ciphers.len(),
                    weak.len(),
                    outside.len(),
                    if outside.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", outside.join(", "))
                    }
                ),
            );
            let outcome = if weak.is_empty() {
                Ok(None)
            } else {
                let first: Vec<&str> = weak.iter().take(4).map(String::as_str).collect();
                let more = if weak.len() > 4 {
                    format!(" and {} more", weak.len() - 4)
                } else {
                    String::new()
                };
                Ok(Some(format!(
                    "`{spec}` allows {} weak suite(s): {}{more}",
                    weak.len(),
                    first.join(", ")
                )))
            };
            CipherVerdict { outcome, evidence: Some(shown) }
        }
        Err(Some(message)) => CipherVerdict {
            outcome: Ok(Some(format!("OpenSSL rejects `{spec}` ({message})"))),
            evidence: None,
        },
        Err(None) => CipherVerdict {
            outcome: match tls::judge_plain_list(spec) {
                Some(weak) if weak.is_empty() => Ok(None),
                Some(weak) => Ok(Some(format!("`{spec}` names weak suites: {}", weak.join(", ")))),
                None => Err(format!("`{spec}` needs the openssl command to be expanded")),
            },
            evidence: None,
        },
    }
}

/// At most three items in a summary line, then how many more.
fn summarize(items: &[String]) -> String {
    let shown: Vec<&str> = items.iter().take(3).map(String::as_str).collect();
    match items.len() {
        0..=3 => shown.join("; "),
        n => format!("{}; and {} more", shown.join("; "), n - 3),
    }
}

/// Removes repeated evidence, keeping the first of each.
fn dedup(evidence: &mut Vec<Evidence>) {
    let mut seen = std::collections::HashSet::new();
    evidence.retain(|item| {
        seen.insert((item.file.clone(), item.line, item.command.clone(), item.text.clone()))
    });
}
