//! What a run learns about each layer of the target before the checks start:
//! the Django project and its settings, (later) the Apache configuration.
//! A layer the target does not have makes its items `unknown` with the
//! reason; naming one explicitly that is not there is an input error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::apache::{ApacheConfig, ApacheError, VirtualHost};
use crate::django::project::{self, Project};
use crate::django::rules::{ApacheHsts, ApacheTopology, DjangoFacts, ServedBy};
use crate::django::settings::{self, AnalysisInput};
use crate::django::value::Location;
use crate::django::{requirements, versions};
use crate::dpkg::{DpkgError, Installed};
use crate::target::Target;

/// What the operator allowed this run to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Send nothing over the network.
    pub offline: bool,
    /// Run the project's own Python (to evaluate settings, list migrations).
    pub evaluate: bool,
}

/// A mistake in what the operator asked for: a path that is not there, a
/// file that cannot be parsed. Shown on one line with the way out; exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct InputError {
    pub message: String,
}

impl InputError {
    pub fn new(message: impl Into<String>) -> Self {
        InputError { message: message.into() }
    }
}

/// The layers of one target, as far as they exist.
pub struct Layers {
    django: Result<DjangoFacts, String>,
    apache: Result<ApacheConfig, ApacheError>,
    packages: Result<Installed, DpkgError>,
}

impl Layers {
    /// Learns what the target has. Fast: static analysis only, unless the
    /// options allow running the project's Python.
    pub fn load(target: &Target, options: RunOptions) -> Result<Layers, InputError> {
        let apache = ApacheConfig::load(target);
        let packages = Installed::load(target);
        let mut django = load_django(target, options)?;
        if let (Ok(facts), Ok(config)) = (django.as_mut(), apache.as_ref()) {
            facts.apache = Some(topology(config, &facts.project));
            if let Some(home) = site_daemon(config, &facts.project).and_then(|d| d.python_home) {
                facts.project =
                    facts.project.clone().with_python_home(target, std::path::Path::new(&home));
            }
        }
        Ok(Layers { django, apache, packages })
    }

    /// The Apache configuration, or why it could not be read.
    pub fn apache(&self) -> Result<&ApacheConfig, &ApacheError> {
        self.apache.as_ref()
    }

    /// The packages the dpkg status under the root lists.
    pub fn packages(&self) -> Result<&Installed, &DpkgError> {
        self.packages.as_ref()
    }

    /// The Django facts, or why there are none.
    pub fn django(&self) -> Result<&DjangoFacts, &String> {
        self.django.as_ref()
    }
}

/// The Django facts of the target: `Ok(Err(why))` when it has no Django
/// project, `Err` when the operator named something that is not right.
fn load_django(
    target: &Target,
    options: RunOptions,
) -> Result<Result<DjangoFacts, String>, InputError> {
    let project = match project::discover(target) {
        Ok(Some(project)) => project,
        Ok(None) => {
            return Ok(Err(format!(
                "no Django project (manage.py) was found in the current directory or under /srv, /var/www, /opt or /home{}; name it with --project",
                root_note(target)
            )));
        }
        Err(err) => return Err(InputError::new(err.to_string())),
    };
    let project = with_settings_override(target, project);

    let input = AnalysisInput {
        target,
        project_dir: &project.dir,
        module: &project.module,
        env_file: target.env_file.as_deref(),
        site_packages: project.site_packages.clone(),
    };
    let analysis = settings::analyze(&input).map_err(|err| {
        InputError::new(format!(
            "{err}; fix the settings file, or name another module with --settings"
        ))
    })?;
    // A module that stops with an exception at its top level does not start
    // the site at all: judging the values before the failure against
    // Django's defaults would report passes that mean nothing.
    if let Some(failure) = analysis.import_failure() {
        let place = failure
            .location
            .as_ref()
            .map(|l| format!(" ({}:{})", l.file, l.line))
            .unwrap_or_default();
        return Ok(Err(format!(
            "the settings module {} would fail to import{place}: {}; its values cannot be judged until it imports",
            project.module, failure.message
        )));
    }
    let requirements = requirements::load(target, &project.dir);
    let versions = versions::detect(target, &project, &requirements);
    let mut migrations = BTreeMap::new();
    if options.evaluate {
        if let Some(python) = project_python(target, &project) {
            let status = crate::django::rules::showmigrations(&python, target, &project, "axes");
            migrations.insert("axes".to_owned(), status);
        } else {
            let why = "no interpreter to ask: give --python, or create the project's virtualenv"
                .to_owned();
            migrations.insert("axes".to_owned(), Err(why));
        }
    }
    Ok(Ok(DjangoFacts { project, analysis, versions, requirements, apache: None, migrations }))
}

/// The `mod_wsgi` daemon that runs the project, if Apache runs it.
pub fn site_daemon(config: &ApacheConfig, project: &Project) -> Option<crate::apache::WsgiDaemon> {
    let dir = project.dir.display().to_string();
    let daemons = config.wsgi_daemons();
    daemons
        .iter()
        .find(|d| {
            d.python_path.as_deref().is_some_and(|p| {
                p.split(':').any(|part| part.trim_end_matches('/') == dir.trim_end_matches('/'))
            })
        })
        .or_else(|| daemons.first())
        .cloned()
}

/// Other Apache instances of the target (`/etc/apache2-NAME`, as Debian's
/// `apache2@NAME` runs them) whose virtual hosts run `project` through
/// `mod_wsgi` or proxy to a backend while `apache_root` does neither: where
/// the operator most likely meant to point `--apache-root`.
pub fn instances_serving(target: &Target, project: &Project) -> Vec<PathBuf> {
    let etc = target.host_path(Path::new("/etc"));
    let mut names: Vec<String> = std::fs::read_dir(etc)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with("apache2-"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .map(|name| Path::new("/etc").join(name))
        .filter(|root| *root != target.apache_root)
        .filter(|root| {
            let other = Target { apache_root: root.clone(), ..target.clone() };
            ApacheConfig::load(&other).is_ok_and(|config| {
                !matches!(topology(&config, project).served_by, ServedBy::Unknown { .. })
            })
        })
        .collect()
}

/// How Apache serves the project: `mod_wsgi` (Django sees HTTPS itself) or a
/// proxy to a backend, and whether every plain-HTTP vhost redirects.
fn topology(config: &ApacheConfig, project: &Project) -> ApacheTopology {
    let dir = project.dir.display().to_string();
    let vhosts = config.virtual_hosts();
    let location = |d: &crate::apache::Directive| Location {
        file: d.place.file.clone(),
        line: d.place.line,
        text: d.text.clone(),
    };

    let wsgi = vhosts.iter().find_map(|vhost| {
        vhost
            .wsgi_script_alias()
            .filter(|(_, script, _)| script.starts_with(dir.trim_end_matches('/')))
            .map(|(_, _, d)| location(d))
    });
    let proxy = vhosts.iter().filter(|v| v.ssl).find_map(|vhost| {
        let (_, backend, directive) = vhost
            .proxy_passes()
            .into_iter()
            .find(|(_, backend, _)| backend.starts_with("http://"))?;
        let sets_proto = vhost
            .headers()
            .into_iter()
            .find(|h| {
                h.is("RequestHeader")
                    && h.args.iter().any(|a| a.eq_ignore_ascii_case("X-Forwarded-Proto"))
            })
            .map(location);
        Some(ServedBy::Proxy {
            backend,
            at: Some(location(directive)),
            sets_forwarded_proto: sets_proto,
        })
    });
    let served_by = match (wsgi, proxy) {
        (Some(at), _) => ServedBy::ModWsgi { at: Some(at) },
        (None, Some(proxy)) => proxy,
        (None, None) => ServedBy::Unknown {
            why: format!("no virtual host runs {dir} through mod_wsgi or proxies to it"),
        },
    };
    let mut names: Vec<(String, bool)> = Vec::new();
    for vhost in &vhosts {
        for name in vhost.server_name.iter().chain(vhost.aliases.iter()) {
            match names.iter_mut().find(|(known, _)| known.eq_ignore_ascii_case(name)) {
                Some((_, https)) => *https |= vhost.ssl,
                None => names.push((name.clone(), vhost.ssl)),
            }
        }
    }
    let hsts = apache_hsts(config, &vhosts);
    ApacheTopology { served_by, redirects_http: http_redirect(&vhosts), names, hsts }
}

/// The `Strict-Transport-Security` header Apache itself sends on every TLS
/// virtual host (its own `Header ... set`, or one at server level that they
/// all inherit), when every one of them sends it.
fn apache_hsts(config: &ApacheConfig, vhosts: &[VirtualHost]) -> Option<ApacheHsts> {
    let is_hsts = |d: &crate::apache::Directive| {
        d.is("Header")
            && d.args.iter().any(|a| a.eq_ignore_ascii_case("Strict-Transport-Security"))
            && d.args.iter().any(|a| a.eq_ignore_ascii_case("set") || a.eq_ignore_ascii_case("add"))
    };
    let found = |d: &crate::apache::Directive| {
        let name =
            d.args.iter().position(|a| a.eq_ignore_ascii_case("Strict-Transport-Security"))?;
        Some(ApacheHsts {
            at: Location { file: d.place.file.clone(), line: d.place.line, text: d.text.clone() },
            value: d.args.get(name + 1)?.trim_matches('"').to_owned(),
            always: d.args.first().is_some_and(|a| a.eq_ignore_ascii_case("always")),
        })
    };
    let server = config.server_level("Header").into_iter().rev().find(|d| is_hsts(d));
    let mut first = None;
    let tls: Vec<&VirtualHost> = vhosts.iter().filter(|v| v.ssl).collect();
    if tls.is_empty() {
        return None;
    }
    for vhost in tls {
        let own = vhost.walk().into_iter().map(|(_, d)| d).rfind(|d| is_hsts(d));
        let header = found(own.or(server)?)?;
        first.get_or_insert(header);
    }
    first
}

/// Where the plain-HTTP virtual hosts redirect to HTTPS, when they all do.
fn http_redirect(vhosts: &[VirtualHost]) -> Option<Location> {
    let plain: Vec<&VirtualHost> =
        vhosts.iter().filter(|v| !v.ssl && v.port() == Some(80)).collect();
    let mut first = None;
    for vhost in &plain {
        let redirect = vhost.walk().into_iter().map(|(_, d)| d).find(|d| {
            (d.is("Redirect") || d.is("RedirectPermanent") || d.is("RewriteRule"))
                && d.args.iter().any(|a| a.starts_with("https://"))
        })?;
        first.get_or_insert(Location {
            file: redirect.place.file.clone(),
            line: redirect.place.line,
            text: redirect.text.clone(),
        });
    }
    first
}

/// The interpreter that runs the project's code: `--python`, else the
/// project's virtualenv on the live system.
pub fn project_python(target: &Target, project: &Project) -> Option<std::path::PathBuf> {
    if let Some(python) = &target.python {
        return Some(python.clone());
    }
    let venv = project.venv.as_ref()?;
    let python = target.host_path(venv.join("bin/python"));
    (target.is_live_system() && python.exists()).then_some(python)
}

/// `--settings` wins over what `manage.py` says.
fn with_settings_override(target: &Target, mut project: Project) -> Project {
    if let Some(module) = &target.settings {
        project.module.clone_from(module);
        "--settings".clone_into(&mut project.module_source);
    }
    project
}

fn root_note(target: &Target) -> String {
    if target.is_live_system() {
        String::new()
    } else {
        format!(" below {}", target.root.display())
    }
}
