//! The server being hardened: a filesystem root and the paths inside it.
//!
//! Every path the checklist or the operator names is a path *inside* the
//! target (`/srv/app`), resolved under `--root` the way `systemctl --root`
//! does. Evidence always names the inside path, whatever the root is.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Debian's Apache configuration root, inside the target.
pub const DEFAULT_APACHE_ROOT: &str = "/etc/apache2";

/// The target as the operator described it (or as it was discovered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The filesystem root on this machine (`/` for the running system).
    pub root: PathBuf,
    /// The Django project directory (holds `manage.py`), inside the root.
    #[serde(default)]
    pub project: Option<PathBuf>,
    /// The settings module (`config.settings`).
    #[serde(default)]
    pub settings: Option<String>,
    /// The Apache configuration root, inside the root.
    pub apache_root: PathBuf,
    /// An environment file the site's process is started with, inside the root.
    #[serde(default)]
    pub env_file: Option<PathBuf>,
    /// The site's public URL.
    #[serde(default)]
    pub url: Option<String>,
    /// An interpreter on this machine to evaluate the project with.
    #[serde(default)]
    pub python: Option<PathBuf>,
    /// An OSV-compatible advisory service for pip-audit (a mirror, or one on
    /// a machine without the internet) instead of `PyPI`'s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub osv_url: Option<String>,
}

impl Target {
    /// A target at `root` with every other part left to discovery.
    pub fn at_root(root: impl Into<PathBuf>) -> Self {
        Target {
            root: root.into(),
            project: None,
            settings: None,
            apache_root: PathBuf::from(DEFAULT_APACHE_ROOT),
            env_file: None,
            url: None,
            python: None,
            osv_url: None,
        }
    }

    /// True when the target is the running system, so that commands that act
    /// on it (package installs, reloads) may run.
    pub fn is_live_system(&self) -> bool {
        self.root == Path::new("/")
    }

    /// The path on this machine of a path inside the target.
    pub fn host_path(&self, inside: impl AsRef<Path>) -> PathBuf {
        host_path(&self.root, inside.as_ref())
    }

    /// How a path on this machine is named inside the target, for evidence.
    /// A path outside the root is shown as it is.
    pub fn inside_path(&self, host: impl AsRef<Path>) -> String {
        inside_path(&self.root, host.as_ref())
    }
}

/// Joins an inside path under `root`, ignoring `..` that would climb above it.
pub fn host_path(root: &Path, inside: &Path) -> PathBuf {
    let mut out = root.to_path_buf();
    for part in inside.components() {
        match part {
            Component::Normal(name) => out.push(name),
            Component::ParentDir => {
                if out != root {
                    out.pop();
                }
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// The inverse of [`host_path`]: `/tmp/demo/srv/app` under root `/tmp/demo`
/// is `/srv/app`.
pub fn inside_path(root: &Path, host: &Path) -> String {
    match host.strip_prefix(root) {
        Ok(rest) => format!("/{}", rest.display()),
        Err(_) => host.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_paths_resolve_under_the_root() {
        let root = Path::new("/tmp/demo");
        assert_eq!(host_path(root, Path::new("/srv/app")), PathBuf::from("/tmp/demo/srv/app"));
        assert_eq!(host_path(root, Path::new("/../../etc")), PathBuf::from("/tmp/demo/etc"));
        assert_eq!(inside_path(root, Path::new("/tmp/demo/srv/app/x.py")), "/srv/app/x.py");
        assert_eq!(
            host_path(Path::new("/"), Path::new("/etc/apache2")),
            PathBuf::from("/etc/apache2")
        );
    }
}
