//! How the interface looks: colours from `themes/*.toml` (embedded, or a file
//! the operator names), a colourless variant for `NO_COLOR`, and the glyphs
//! for terminals with and without Unicode line drawing. Loading never panics:
//! a bad theme is an error naming the file and the key at fault.

use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;
use serde::Deserialize;

use crate::finding::Status;
use crate::tui::app::Outcome;

/// The themes shipped inside the binary, by name.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
];

/// The theme used when the operator names none.
pub const DEFAULT_THEME: &str = "dark";

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error(
        "theme {0:?}: no such theme and no such file; the themes are dark, light and high-contrast"
    )]
    Unknown(String),
    #[error("theme {source_name}: {message}")]
    Invalid { source_name: String, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    #[serde(default)]
    bold_status: bool,
    colors: ColorTable,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ColorTable {
    text: String,
    muted: String,
    accent: String,
    title: String,
    border: String,
    selection_fg: String,
    selection_bg: String,
    pass: String,
    fail: String,
    unknown: String,
    fixed: String,
    skipped: String,
    waived: String,
    running: String,
    diff_add: String,
    diff_remove: String,
    diff_hunk: String,
    critical: String,
    high: String,
    medium: String,
    low: String,
    info: String,
}

/// Styles for every kind of thing the screens draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub text: Style,
    pub muted: Style,
    pub accent: Style,
    pub title: Style,
    pub border: Style,
    pub selection: Style,
    pub pass: Style,
    pub fail: Style,
    pub unknown: Style,
    pub fixed: Style,
    pub skipped: Style,
    pub waived: Style,
    pub running: Style,
    pub diff_add: Style,
    pub diff_remove: Style,
    pub diff_hunk: Style,
    pub critical: Style,
    pub high: Style,
    pub medium: Style,
    pub low: Style,
    pub info: Style,
}

impl Theme {
    /// A theme by name (`dark`, `light`, `high-contrast`) or by file path.
    pub fn load(name_or_path: &str) -> Result<Theme, ThemeError> {
        if let Some((name, text)) = EMBEDDED.iter().find(|(name, _)| *name == name_or_path) {
            return Theme::parse(name, text);
        }
        let path = Path::new(name_or_path);
        if path.is_file() {
            let text = std::fs::read_to_string(path).map_err(|err| ThemeError::Invalid {
                source_name: path.display().to_string(),
                message: format!("cannot read it: {err}"),
            })?;
            return Theme::parse(&path.display().to_string(), &text);
        }
        Err(ThemeError::Unknown(name_or_path.to_owned()))
    }

    /// The default theme, or a colourless one when `NO_COLOR` is set.
    pub fn from_environment(requested: Option<&str>) -> Result<Theme, ThemeError> {
        if std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty()) {
            return Ok(Theme::monochrome());
        }
        Theme::load(requested.unwrap_or(DEFAULT_THEME))
    }

    /// Parses a theme file; `source_name` names it in errors.
    pub fn parse(source_name: &str, text: &str) -> Result<Theme, ThemeError> {
        let invalid =
            |message: String| ThemeError::Invalid { source_name: source_name.to_owned(), message };
        let file: ThemeFile = toml::from_str(text).map_err(|err| invalid(err.to_string()))?;
        let c = &file.colors;
        let color = |key: &str, value: &str| -> Result<Color, ThemeError> {
            Color::from_str(value).map_err(|_| {
                invalid(format!(
                    "colors.{key} = {value:?} is not a colour; use a name, 0-255 or #rrggbb"
                ))
            })
        };
        let status = |key: &str, value: &str| -> Result<Style, ThemeError> {
            let style = Style::new().fg(color(key, value)?);
            Ok(if file.bold_status { style.add_modifier(Modifier::BOLD) } else { style })
        };
        Ok(Theme {
            name: file.name.clone(),
            text: Style::new().fg(color("text", &c.text)?),
            muted: Style::new().fg(color("muted", &c.muted)?),
            accent: Style::new().fg(color("accent", &c.accent)?),
            title: Style::new().fg(color("title", &c.title)?).add_modifier(Modifier::BOLD),
            border: Style::new().fg(color("border", &c.border)?),
            selection: Style::new()
                .fg(color("selection_fg", &c.selection_fg)?)
                .bg(color("selection_bg", &c.selection_bg)?),
            pass: status("pass", &c.pass)?,
            fail: status("fail", &c.fail)?,
            unknown: status("unknown", &c.unknown)?,
            fixed: status("fixed", &c.fixed)?,
            skipped: status("skipped", &c.skipped)?,
            waived: status("waived", &c.waived)?,
            running: status("running", &c.running)?,
            diff_add: Style::new().fg(color("diff_add", &c.diff_add)?),
            diff_remove: Style::new().fg(color("diff_remove", &c.diff_remove)?),
            diff_hunk: Style::new().fg(color("diff_hunk", &c.diff_hunk)?),
            critical: status("critical", &c.critical)?.add_modifier(Modifier::BOLD),
            high: status("high", &c.high)?,
            medium: status("medium", &c.medium)?,
            low: status("low", &c.low)?,
            info: status("info", &c.info)?,
        })
    }

    /// No colours at all: selection and emphasis by reverse video and bold,
    /// as `NO_COLOR` asks.
    pub fn monochrome() -> Theme {
        let plain = Style::new();
        let bold = Style::new().add_modifier(Modifier::BOLD);
        Theme {
            name: "no-color".to_owned(),
            text: plain,
            muted: plain,
            accent: bold,
            title: bold,
            border: plain,
            selection: Style::new().add_modifier(Modifier::REVERSED),
            pass: plain,
            fail: bold,
            unknown: plain,
            fixed: plain,
            skipped: plain,
            waived: plain,
            running: plain,
            diff_add: plain,
            diff_remove: plain,
            diff_hunk: bold,
            critical: bold,
            high: bold,
            medium: plain,
            low: plain,
            info: plain,
        }
    }

    pub fn outcome(&self, outcome: Outcome) -> Style {
        match outcome {
            Outcome::Waiting => self.muted,
            Outcome::Running => self.running,
            Outcome::Fixed => self.fixed,
            Outcome::Confirmed => self.pass,
            Outcome::Status(status) => self.status(status),
        }
    }

    pub fn status(&self, status: Status) -> Style {
        match status {
            Status::Pass => self.pass,
            Status::Fail => self.fail,
            Status::Unknown => self.unknown,
            Status::Skipped => self.skipped,
            Status::Waived => self.waived,
        }
    }

    pub fn severity(&self, severity: crate::checklist::Severity) -> Style {
        use crate::checklist::Severity;
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }
}

/// Characters for terminals with Unicode (the default) or plain ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glyphs {
    pub spinner: &'static [&'static str],
    pub bar_full: &'static str,
    pub bar_empty: &'static str,
    pub waiting: &'static str,
    pub pass: &'static str,
    pub fail: &'static str,
    pub unknown: &'static str,
    pub fixed: &'static str,
    pub skipped: &'static str,
    pub waived: &'static str,
    pub step_done: &'static str,
    pub step_failed: &'static str,
    pub pointer: &'static str,
    pub breadcrumb: &'static str,
    pub border: border::Set<'static>,
}

/// Borders out of `+`, `-` and `|`, for terminals without line drawing.
const ASCII_BORDER: border::Set<'static> = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

impl Glyphs {
    pub const UNICODE: Glyphs = Glyphs {
        spinner: &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"],
        bar_full: "█",
        bar_empty: "░",
        waiting: "·",
        pass: "✓",
        fail: "✗",
        unknown: "?",
        fixed: "★",
        skipped: "»",
        waived: "~",
        step_done: "✓",
        step_failed: "✗",
        pointer: "▶",
        breadcrumb: " › ",
        border: border::ROUNDED,
    };

    pub const ASCII: Glyphs = Glyphs {
        spinner: &["|", "/", "-", "\\"],
        bar_full: "#",
        bar_empty: "-",
        waiting: ".",
        pass: "+",
        fail: "x",
        unknown: "?",
        fixed: "*",
        skipped: ">",
        waived: "~",
        step_done: "+",
        step_failed: "x",
        pointer: ">",
        breadcrumb: " > ",
        border: ASCII_BORDER,
    };

    /// The spinner frame for a tick count.
    pub fn spinner_frame(&self, tick: u64) -> &'static str {
        let len = self.spinner.len() as u64;
        usize::try_from(tick % len).map_or("*", |index| self.spinner[index])
    }

    pub fn outcome(&self, outcome: Outcome, tick: u64) -> &'static str {
        match outcome {
            Outcome::Waiting => self.waiting,
            Outcome::Running => self.spinner_frame(tick),
            Outcome::Fixed => self.fixed,
            Outcome::Confirmed | Outcome::Status(Status::Pass) => self.pass,
            Outcome::Status(Status::Fail) => self.fail,
            Outcome::Status(Status::Unknown) => self.unknown,
            Outcome::Status(Status::Skipped) => self.skipped,
            Outcome::Status(Status::Waived) => self.waived,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_theme_parses() {
        for (name, _) in EMBEDDED {
            let theme = Theme::load(name).expect("shipped theme parses");
            assert_eq!(theme.name, *name);
        }
    }

    #[test]
    fn an_unknown_theme_names_the_choices() {
        let err = Theme::load("solarized").expect_err("no such theme");
        assert!(err.to_string().contains("dark, light and high-contrast"));
    }

    #[test]
    fn a_bad_colour_names_its_key() {
        let text = EMBEDDED[0].1.replace("pass = \"light-green\"", "pass = \"not a colour\"");
        let err = Theme::parse("mine.toml", &text).expect_err("bad colour");
        assert!(err.to_string().contains("colors.pass"), "{err}");
    }

    #[test]
    fn a_theme_file_named_by_path_loads() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("mine.toml");
        let text = EMBEDDED[0].1.replace("name = \"dark\"", "name = \"mine\"");
        std::fs::write(&path, text).expect("write theme");
        let theme = Theme::load(&path.display().to_string()).expect("theme file loads");
        assert_eq!(theme.name, "mine");
    }

    #[test]
    fn ascii_glyphs_are_ascii() {
        let g = Glyphs::ASCII;
        let all = [g.bar_full, g.bar_empty, g.waiting, g.pass, g.fail, g.pointer, g.breadcrumb];
        assert!(all.iter().chain(g.spinner).all(|s| s.is_ascii()));
    }
}
