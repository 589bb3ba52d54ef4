//! Asks Apache itself (`apache2ctl -M`, `-S`, `-t -D DUMP_INCLUDES`) what it
//! loaded and compares that with the model. Only on the running system
//! (root `/`), for the instance in `--apache-root` through `APACHE_CONFDIR`.
//! It only runs Apache's read-only dump modes.

use std::process::Command;

use super::ApacheConfig;
use crate::target::Target;

/// Something Apache and the model see differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// `modules`, `vhosts` or `includes`.
    pub topic: &'static str,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CrossCheckError {
    #[error("Apache's own dumps are only consulted on the running system (root /), not under {0}")]
    NotLive(String),
    #[error("apache2ctl is not installed (apt-get install apache2)")]
    NoApacheCtl,
    #[error("`{command}` failed: {message}")]
    Failed { command: String, message: String },
}

/// One line of `apache2ctl -t -D DUMP_INCLUDES`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedInclude {
    pub depth: usize,
    /// The line of the Include in the parent; None for the top file.
    pub line: Option<u32>,
    pub file: String,
}

/// One virtual host line of `apache2ctl -S`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedVhost {
    pub address: String,
    pub name: String,
    pub file: String,
    pub line: u32,
}

/// Runs the three dumps and compares them with `cfg`.
pub fn cross_check(
    cfg: &ApacheConfig,
    target: &Target,
) -> Result<Vec<Disagreement>, CrossCheckError> {
    if !target.is_live_system() {
        return Err(CrossCheckError::NotLive(target.root.display().to_string()));
    }
    let confdir = target.host_path(&target.apache_root);
    let modules = dump(&confdir, &["-M"])?;
    let vhosts = dump(&confdir, &["-S"])?;
    let includes = dump(&confdir, &["-t", "-D", "DUMP_INCLUDES"])?;
    Ok(compare(cfg, &modules, &vhosts, &includes))
}

fn dump(confdir: &std::path::Path, args: &[&str]) -> Result<String, CrossCheckError> {
    let command = format!("APACHE_CONFDIR={} apache2ctl {}", confdir.display(), args.join(" "));
    let output =
        Command::new("apache2ctl").args(args).env("APACHE_CONFDIR", confdir).output().map_err(
            |error| {
                if error.kind() == std::io::ErrorKind::NotFound {
                    CrossCheckError::NoApacheCtl
                } else {
                    CrossCheckError::Failed { command: command.clone(), message: error.to_string() }
                }
            },
        )?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message =
            stderr.lines().filter(|line| !line.contains("AH00558")).collect::<Vec<_>>().join(" ");
        return Err(CrossCheckError::Failed {
            command,
            message: crate::redact::printable(&message),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Compares recorded dump outputs with the model.
pub fn compare(
    cfg: &ApacheConfig,
    modules: &str,
    vhosts: &str,
    includes: &str,
) -> Vec<Disagreement> {
    let mut out = Vec::new();

    let apache_modules = parse_modules(modules);
    for (name, _) in &apache_modules {
        if cfg.module(name).is_none() {
            out.push(Disagreement {
                topic: "modules",
                text: format!("Apache loads {name}; the model does not"),
            });
        }
    }
    for module in &cfg.modules {
        if !apache_modules.iter().any(|(name, _)| *name == module.identifier) {
            out.push(Disagreement {
                topic: "modules",
                text: format!("the model loads {}; Apache does not", module.identifier),
            });
        }
    }

    let dumped = parse_vhosts(vhosts);
    let model = cfg.virtual_hosts();
    for vhost in &model {
        let host_file = cfg.host_path(&vhost.place.file).display().to_string();
        if !dumped.iter().any(|seen| seen.file == host_file && seen.line == vhost.place.line) {
            out.push(Disagreement {
                topic: "vhosts",
                text: format!("Apache does not list the virtual host at {}", vhost.place),
            });
        }
    }
    for seen in &dumped {
        let known = model.iter().any(|vhost| {
            cfg.host_path(&vhost.place.file).display().to_string() == seen.file
                && vhost.place.line == seen.line
        });
        if !known {
            out.push(Disagreement {
                topic: "vhosts",
                text: format!(
                    "Apache lists a virtual host at {}:{} the model lacks",
                    seen.file, seen.line
                ),
            });
        }
    }

    let apache_includes = parse_includes(includes);
    let model_includes: Vec<(usize, Option<u32>, String)> = cfg
        .includes
        .iter()
        .map(|file| (file.depth, file.dump_line, cfg.host_path(&file.file).display().to_string()))
        .collect();
    let seen: Vec<(usize, Option<u32>, String)> =
        apache_includes.iter().map(|file| (file.depth, file.line, file.file.clone())).collect();
    if seen != model_includes {
        let position = seen
            .iter()
            .zip(&model_includes)
            .position(|(a, b)| a != b)
            .unwrap_or(seen.len().min(model_includes.len()));
        let describe = |entry: Option<&(usize, Option<u32>, String)>| {
            entry.map_or_else(
                || "nothing".to_owned(),
                |(depth, line, file)| {
                    format!(
                        "{file} (depth {depth}, from line {})",
                        line.map_or_else(|| "-".to_owned(), |l| l.to_string())
                    )
                },
            )
        };
        let apache_line = describe(seen.get(position));
        let model_line = describe(model_includes.get(position));
        out.push(Disagreement {
            topic: "includes",
            text: format!(
                "include lists differ at entry {}: Apache reads {apache_line}, the model reads {model_line} ({} vs {} files)",
                position + 1,
                seen.len(),
                model_includes.len()
            ),
        });
    }
    out
}

/// `apache2ctl -M`: ` name_module (static|shared)` lines.
pub fn parse_modules(output: &str) -> Vec<(String, bool)> {
    output
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?;
            let kind = words.next()?;
            name.ends_with("_module").then(|| (name.to_owned(), kind == "(static)"))
        })
        .collect()
}

/// `apache2ctl -t -D DUMP_INCLUDES`: two spaces per level, `(*)` or `(N)`.
pub fn parse_includes(output: &str) -> Vec<DumpedInclude> {
    output
        .lines()
        .filter_map(|line| {
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            let rest = trimmed.strip_prefix('(')?;
            let (marker, file) = rest.split_once(") ")?;
            let line_number = if marker == "*" { None } else { Some(marker.parse().ok()?) };
            Some(DumpedInclude {
                depth: (indent / 2).saturating_sub(1),
                line: line_number,
                file: file.to_owned(),
            })
        })
        .collect()
}

/// `apache2ctl -S`: the virtual host lines between `VirtualHost
/// configuration:` and `ServerRoot:`.
pub fn parse_vhosts(output: &str) -> Vec<DumpedVhost> {
    let mut out: Vec<DumpedVhost> = Vec::new();
    let mut address = String::new();
    let mut inside = false;
    for line in output.lines() {
        if line.starts_with("VirtualHost configuration:") {
            inside = true;
            continue;
        }
        if !inside || line.starts_with("ServerRoot:") {
            inside = false;
            continue;
        }
        let Some((head, place)) = line
            .rsplit_once(" (")
            .and_then(|(head, tail)| tail.strip_suffix(')').map(|tail| (head, tail)))
        else {
            if !line.starts_with(' ') {
                line.split_whitespace().next().unwrap_or("").clone_into(&mut address);
            }
            continue;
        };
        let Some((file, number)) = place.rsplit_once(':') else { continue };
        let Ok(number) = number.parse::<u32>() else { continue };
        let words: Vec<&str> = head.split_whitespace().collect();
        let name = words.last().copied().unwrap_or("").to_owned();
        if !line.starts_with(' ') {
            words.first().copied().unwrap_or("").clone_into(&mut address);
        }
        let entry =
            DumpedVhost { address: address.clone(), name, file: file.to_owned(), line: number };
        if !out.iter().any(|known| {
            known.file == entry.file && known.line == entry.line && known.address == entry.address
        }) {
            out.push(entry);
        }
    }
    out
}
