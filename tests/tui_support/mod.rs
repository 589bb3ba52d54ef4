//! A headless driver for the terminal interface: an App over the shipped
//! checklist on a fixed target and date, fed actions, drawn on ratatui's
//! `TestBackend`.
#![allow(dead_code)]

use portcullis::checklist::{self, Checklist};
use portcullis::finding::{Evidence, Finding};
use portcullis::tui::app::{Action, App, Effect, PlanView, TargetView, update};
use portcullis::tui::{Glyphs, Look, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub fn checklist() -> Checklist {
    checklist::load(&[] as &[&str]).expect("the shipped checklist loads")
}

pub fn target(root: &str) -> TargetView {
    TargetView {
        root: root.to_owned(),
        project: Some("/srv/app".to_owned()),
        settings: Some("config.settings".to_owned()),
        apache_root: Some("/etc/apache2".to_owned()),
        url: None,
    }
}

pub fn today() -> jiff::civil::Date {
    jiff::civil::date(2026, 12, 3)
}

pub fn app() -> App {
    App::new(&checklist(), target("/srv/demo-root"), today())
}

/// Applies actions in order and returns every effect they asked for.
pub fn drive(app: &mut App, actions: impl IntoIterator<Item = Action>) -> Vec<Effect> {
    actions.into_iter().flat_map(|action| update(app, action)).collect()
}

/// A verdict for every item: the ones a demo site gets wrong fail with
/// evidence, a few are unknown, the rest pass.
pub fn findings() -> Vec<Finding> {
    let settings = "/srv/app/config/settings.py";
    checklist()
        .items()
        .map(|(_, _, item)| match item.id.as_str() {
            "django.ssl-redirect" => Finding::fail(&item.id, "SECURE_SSL_REDIRECT is False")
                .with(Evidence::at(settings, 31, "SECURE_SSL_REDIRECT = False")),
            "django.hsts-seconds" => Finding::fail(&item.id, "SECURE_HSTS_SECONDS is not set")
                .with(Evidence::in_file(settings, "never assigned; the default 0 applies")),
            "django.debug-off" => Finding::fail(&item.id, "DEBUG is True").with(Evidence::at(
                settings,
                12,
                "DEBUG = True",
            )),
            "django.session-cookie-secure" => hostile(&item.id),
            "maint.logs-reviewed" => Finding::unknown(&item.id, "a manual item: confirm it"),
            id if id.starts_with("apache.") => {
                Finding::unknown(&item.id, "no Apache configuration under the root")
            }
            _ => Finding::pass(&item.id, "as expected"),
        })
        .collect()
}

/// Evidence the way an attacker would write it: an escape sequence that
/// clears the screen, a right-to-left override and a very long line.
pub fn hostile(id: &str) -> Finding {
    Finding::fail(id, "SESSION_COOKIE_SECURE is False")
        .with(Evidence::at(
            "/srv/app/config/settings.py",
            40,
            "SESSION_COOKIE_SECURE = False  # \u{1b}[2J\u{1b}]0;pwned\u{7} \u{202e}eslaF",
        ))
        .with(Evidence::wire("https://example.test/", format!("X-Long: {}", "A".repeat(600))))
}

pub fn all_findings() -> Vec<Action> {
    findings().into_iter().map(Action::CheckFinished).collect()
}

pub fn ssl_redirect_plan() -> PlanView {
    PlanView {
        summary: "set SECURE_SSL_REDIRECT = True in config/settings.py".to_owned(),
        diff: "--- a/srv/app/config/settings.py\n+++ b/srv/app/config/settings.py\n@@ -29,5 +29,5 @@\n ALLOWED_HOSTS = [\"demo.example\"]\n \n-SECURE_SSL_REDIRECT = False\n+SECURE_SSL_REDIRECT = True\n SESSION_COOKIE_SECURE = True\n".to_owned(),
        commands: vec!["python -m py_compile /srv/app/config/settings.py".to_owned(), "systemctl reload apache2".to_owned()],
        warnings: vec!["the site must answer on HTTPS before the redirect is turned on".to_owned()],
        ..PlanView::default()
    }
}

pub fn look() -> Look {
    Look { theme: Theme::load("dark").expect("dark theme"), glyphs: Glyphs::UNICODE }
}

pub fn ascii_look() -> Look {
    Look { theme: Theme::monochrome(), glyphs: Glyphs::ASCII }
}

pub fn terminal(app: &App, width: u16, height: u16, look: &Look) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal.draw(|frame| portcullis::tui::draw(frame, app, look)).expect("draw");
    terminal
}

/// The screen as text, one quoted line per row.
pub fn render(app: &App, width: u16, height: u16, look: &Look) -> String {
    terminal(app, width, height, look).backend().to_string()
}

pub fn index_of(app: &App, id: &str) -> usize {
    app.items().iter().position(|item| item.id == id).expect("item in the checklist")
}

/// The keystrokes of jumping to an item by typing its id.
pub fn jump_to(id: &str) -> Vec<Action> {
    let mut actions = vec![Action::OpenJump];
    actions.extend(id.chars().map(|ch| Action::Input(portcullis::tui::app::Edit::Char(ch))));
    actions.push(Action::Select);
    actions
}

/// Types a line into an open prompt and submits it.
pub fn type_line(text: &str) -> Vec<Action> {
    let mut actions: Vec<Action> =
        text.chars().map(|ch| Action::Input(portcullis::tui::app::Edit::Char(ch))).collect();
    actions.push(Action::Select);
    actions
}
