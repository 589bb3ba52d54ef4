//! The packages dpkg says are installed on the target, read from
//! `<root>/var/lib/dpkg/status`. Read-only; never runs dpkg or apt.

use std::collections::BTreeMap;

use crate::target::Target;

/// Where dpkg keeps its package database, inside the target.
pub const STATUS_FILE: &str = "/var/lib/dpkg/status";

#[derive(Debug, thiserror::Error)]
pub enum DpkgError {
    #[error("cannot read the package list {file}: {reason}")]
    Unreadable { file: String, reason: String },
}

/// Installed packages by name (`Status: install ok installed` only), with
/// their versions. A package with several architectures keeps the last one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Installed {
    packages: BTreeMap<String, String>,
}

impl Installed {
    /// Reads the status file under the target's root.
    pub fn load(target: &Target) -> Result<Installed, DpkgError> {
        let path = target.host_path(STATUS_FILE);
        let bytes = std::fs::read(&path).map_err(|error| DpkgError::Unreadable {
            file: STATUS_FILE.to_owned(),
            reason: error.kind().to_string(),
        })?;
        Ok(Installed::parse(&String::from_utf8_lossy(&bytes)))
    }

    /// Parses the text of a status file: stanzas separated by blank lines.
    pub fn parse(text: &str) -> Installed {
        let mut packages = BTreeMap::new();
        for stanza in text.split("\n\n") {
            let mut name = None;
            let mut version = None;
            let mut installed = false;
            for line in stanza.lines() {
                if let Some(value) = line.strip_prefix("Package:") {
                    name = Some(value.trim().to_owned());
                } else if let Some(value) = line.strip_prefix("Version:") {
                    version = Some(value.trim().to_owned());
                } else if let Some(value) = line.strip_prefix("Status:") {
                    installed = value.split_whitespace().eq(["install", "ok", "installed"]);
                }
            }
            if let (Some(name), true) = (name, installed) {
                packages.insert(name, version.unwrap_or_default());
            }
        }
        Installed { packages }
    }

    pub fn is_installed(&self, package: &str) -> bool {
        self.packages.contains_key(package)
    }

    /// The installed version (`1.10.1-5`), if the package is installed.
    pub fn version(&self, package: &str) -> Option<&str> {
        self.packages.get(package).map(String::as_str)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.packages.keys().map(String::as_str)
    }
}

/// The upstream part of a Debian version: `1:2.4.71-1~deb12u1` → `2.4.71`.
pub fn upstream_version(version: &str) -> &str {
    let without_epoch = version.split_once(':').map_or(version, |(_, rest)| rest);
    without_epoch.rsplit_once('-').map_or(without_epoch, |(upstream, _)| upstream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_fully_installed_packages_count() {
        let text = "Package: apache2\nStatus: install ok installed\nVersion: 2.4.71-1~deb12u1\n\n\
                    Package: libapache2-mod-evasive\nStatus: deinstall ok config-files\nVersion: 1.10.1-5\n\n\
                    Package: modsecurity-crs\nStatus: install ok installed\nVersion: 3.3.4-1+deb12u3\n";
        let installed = Installed::parse(text);
        assert_eq!(installed.version("apache2"), Some("2.4.71-1~deb12u1"));
        assert!(!installed.is_installed("libapache2-mod-evasive"));
        assert!(installed.is_installed("modsecurity-crs"));
        assert_eq!(upstream_version("1:2.4.71-1~deb12u1"), "2.4.71");
        assert_eq!(upstream_version("2.4.0-2"), "2.4.0");
    }
}
