//! The terminal interface: one consumer of the engine's events. State and
//! its single update step live in `app`, drawing (a pure read of the state)
//! in `view`, key bindings in `keys`, and the terminal loop that performs
//! effects in `runtime`. Nothing here prints while the screen is up.

pub mod app;
pub mod backend;
pub mod input;
pub mod keys;
pub mod runtime;
pub mod theme;
pub mod view;

pub use app::{Action, App, Effect, update};
pub use runtime::{Backend, Resumed, Snapshot, TuiOptions, TuiOutcome, Unconnected, run_tui};
pub use theme::{Glyphs, Theme};
pub use view::{Look, draw};

impl Look {
    /// The look the operator asked for: a theme by name or path (`NO_COLOR`
    /// wins over it) and ASCII glyphs when asked or when the locale is not
    /// UTF-8.
    pub fn from_environment(theme: Option<&str>, ascii: bool) -> Result<Look, theme::ThemeError> {
        let glyphs = if ascii || !locale_is_utf8() { Glyphs::ASCII } else { Glyphs::UNICODE };
        Ok(Look { theme: Theme::from_environment(theme)?, glyphs })
    }
}

/// True when the locale variables ask for UTF-8, or set nothing at all
/// (most SSH sessions to a modern server are UTF-8).
fn locale_is_utf8() -> bool {
    for name in ["LC_ALL", "LC_CTYPE", "LANG"] {
        if let Some(value) = std::env::var_os(name).filter(|v| !v.is_empty()) {
            let value = value.to_string_lossy().to_lowercase();
            return value.contains("utf-8") || value.contains("utf8");
        }
    }
    true
}
