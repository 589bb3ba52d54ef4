//! Module names: `<IfModule>` accepts a module's identifier (`ssl_module`)
//! or the name of the source file it was built from (`mod_ssl.c`), and
//! nothing else (checked against apache2 2.4.71: the test is case-sensitive,
//! and `mod_mpm_event.c` does not match while `event.c` does).

/// Modules compiled into Debian's `apache2` (`apache2 -l`), with their
/// source file names.
pub const STATIC_MODULES: [(&str, &str); 8] = [
    ("core_module", "core.c"),
    ("so_module", "mod_so.c"),
    ("watchdog_module", "mod_watchdog.c"),
    ("http_module", "http_core.c"),
    ("log_config_module", "mod_log_config.c"),
    ("logio_module", "mod_logio.c"),
    ("version_module", "mod_version.c"),
    ("unixd_module", "mod_unixd.c"),
];

/// A module Apache has loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedModule {
    /// The identifier `LoadModule` names (`evasive20_module`).
    pub identifier: String,
    /// The source file name the module carries (`mod_evasive20.c`).
    pub source: String,
    /// The shared object, as written; None for a static module.
    pub object: Option<String>,
    /// Where `LoadModule` was, for shared modules.
    pub place: Option<super::Place>,
}

impl LoadedModule {
    pub fn answers_to(&self, name: &str) -> bool {
        self.identifier == name || self.source == name
    }

    pub fn is_static(&self) -> bool {
        self.object.is_none()
    }
}

/// The static modules, as loaded modules.
pub fn static_modules() -> Vec<LoadedModule> {
    STATIC_MODULES
        .iter()
        .map(|(identifier, source)| LoadedModule {
            identifier: (*identifier).to_owned(),
            source: (*source).to_owned(),
            object: None,
            place: None,
        })
        .collect()
}

/// The source file name a shared module carries. For nearly every module it
/// is the object's name with `.c` for `.so` (`mod_evasive24.so` carries
/// `mod_evasive24.c`, whatever its identifier says); the MPMs are built from
/// `event.c`, `prefork.c` and `worker.c`; PHP from `mod_php*.c`.
pub fn source_name(identifier: &str, object: &str) -> String {
    if let Some(mpm) = identifier.strip_prefix("mpm_").and_then(|rest| rest.strip_suffix("_module"))
    {
        return format!("{mpm}.c");
    }
    let file = object.rsplit('/').next().unwrap_or(object);
    if let Some(version) = file.strip_prefix("libphp").and_then(|rest| rest.strip_suffix(".so")) {
        let major = version.split('.').next().unwrap_or(version);
        return format!("mod_php{major}.c");
    }
    match file.strip_suffix(".so") {
        Some(stem) if !stem.is_empty() => format!("{stem}.c"),
        _ => format!("mod_{}.c", identifier.trim_end_matches("_module")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_names_follow_the_object_not_the_identifier() {
        assert_eq!(
            source_name("evasive20_module", "/usr/lib/apache2/modules/mod_evasive20.so"),
            "mod_evasive20.c"
        );
        assert_eq!(source_name("evasive20_module", "modules/mod_evasive24.so"), "mod_evasive24.c");
        assert_eq!(
            source_name("evasive_module", "/usr/lib/apache2/modules/mod_evasive.so"),
            "mod_evasive.c"
        );
        assert_eq!(
            source_name("mpm_event_module", "/usr/lib/apache2/modules/mod_mpm_event.so"),
            "event.c"
        );
        assert_eq!(source_name("security2_module", "/x/mod_security2.so"), "mod_security2.c");
    }
}
