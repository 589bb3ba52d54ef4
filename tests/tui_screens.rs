//! Every screen drawn on ratatui's `TestBackend` at 80x24 (an SSH session's
//! default) and at 120x40, compared with the committed snapshots. Inputs are
//! fixed (paths, times, the date, the spinner's frame) so that nothing in a
//! snapshot depends on the machine or the clock.

mod tui_support;

use portcullis::finding::Finding;
use portcullis::tui::App;
use portcullis::tui::app::{
    Action, ApplyOutcome, ApplyStep, Edit, JournalRow, Mark, PlanView, ResumeOffer, Screen,
    StepStatus,
};
use tui_support::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn snapshot(name: &str, app: &App) {
    for (width, height) in SIZES {
        insta::assert_snapshot!(
            format!("{name}_{width}x{height}"),
            render(app, width, height, &look())
        );
    }
}

fn walk_ssl_redirect() -> App {
    let mut app = app();
    drive(&mut app, all_findings());
    drive(&mut app, jump_to("django.ssl-redirect"));
    drive(
        &mut app,
        [Action::PlanReady { id: "django.ssl-redirect".to_owned(), plan: ssl_redirect_plan() }],
    );
    app
}

fn step(name: &str, status: StepStatus, detail: Option<&str>) -> Action {
    Action::ApplyProgress {
        id: "django.ssl-redirect".to_owned(),
        step: ApplyStep { name: name.to_owned(), status, detail: detail.map(str::to_owned) },
    }
}

#[test]
fn start_screen_with_a_resume_offer_while_checks_run() {
    let mut app = app();
    drive(
        &mut app,
        [Action::ResumeOffered(ResumeOffer {
            fixed: Vec::new(),
            saved_at: "2026-12-02 16:10 UTC".to_owned(),
            done: 12,
            total: 40,
            position: Some("django.hsts-seconds".to_owned()),
            changed: vec!["/srv/app/config/settings.py".to_owned()],
        })],
    );
    let findings = findings();
    drive(&mut app, findings[..10].iter().cloned().map(Action::CheckFinished));
    drive(&mut app, findings[10..16].iter().map(|f| Action::CheckStarted { id: f.id.clone() }));
    snapshot("start", &app);
}

#[test]
fn overview_with_items_streaming_in() {
    let mut app = app();
    let findings = findings();
    drive(&mut app, findings[..30].iter().cloned().map(Action::CheckFinished));
    drive(&mut app, findings[30..].iter().map(|f| Action::CheckStarted { id: f.id.clone() }));
    drive(&mut app, [Action::Show(Screen::Overview), Action::Right, Action::Down, Action::Tick]);
    snapshot("overview", &app);
}

#[test]
fn overview_in_plain_ascii() {
    let mut app = app();
    drive(&mut app, all_findings());
    drive(&mut app, [Action::Show(Screen::Overview)]);
    let shown = render(&app, 80, 24, &ascii_look());
    assert!(shown.is_ascii(), "ASCII mode draws only ASCII:\n{shown}");
    insta::assert_snapshot!("overview_ascii_80x24", shown);
}

#[test]
fn walk_with_a_diff_and_commands() {
    snapshot("walk_plan", &walk_ssl_redirect());
}

#[test]
fn walk_scrolled_down_to_the_diff() {
    let mut app = walk_ssl_redirect();
    drive(&mut app, [Action::Down, Action::Down, Action::Down, Action::Down, Action::Down]);
    snapshot("walk_scrolled", &app);
}

#[test]
fn walk_shows_hostile_evidence_as_harmless_text() {
    let mut app = app();
    drive(&mut app, all_findings());
    drive(&mut app, jump_to("django.session-cookie-secure"));
    drive(
        &mut app,
        [Action::PlanUnavailable {
            id: "django.session-cookie-secure".to_owned(),
            reason: "the fix pipeline is not part of this build yet".to_owned(),
        }],
    );
    for (width, height) in SIZES {
        let terminal = terminal(&app, width, height, &look());
        let buffer = terminal.backend().buffer();
        let symbols: String = buffer.content().iter().map(ratatui::buffer::Cell::symbol).collect();
        assert!(!symbols.contains('\u{1b}'), "no escape character reaches the terminal");
        assert!(!symbols.contains('\u{202e}'), "no bidi override reaches the terminal");
        assert!(!symbols.contains('\u{7}'), "no bell reaches the terminal");
        assert!(symbols.contains("\\u{1b}[2J"), "the escape shows as visible text");
        assert!(symbols.contains("\\u{202e}"), "the override shows as visible text");
    }
    snapshot("walk_hostile", &app);
}

#[test]
fn walk_with_steps_for_the_operator_and_a_blocked_plan() {
    let mut app = app();
    drive(&mut app, all_findings());
    drive(&mut app, jump_to("django.debug-off"));
    let plan = PlanView {
        summary: "set DEBUG = False in config/settings.py".to_owned(),
        diff: "--- a/srv/app/config/settings.py\n+++ b/srv/app/config/settings.py\n@@ -10,3 +10,3 @@\n-DEBUG = True\n+DEBUG = False\n".to_owned(),
        operator_steps: vec!["restart the site's WSGI daemon once the root is the live system".to_owned()],
        blocked: Some("the root is not /, so the reload cannot run here".to_owned()),
        ..PlanView::default()
    };
    drive(&mut app, [Action::PlanReady { id: "django.debug-off".to_owned(), plan }]);
    snapshot("walk_blocked", &app);
}

#[test]
fn walk_of_a_manual_item() {
    let mut app = app();
    drive(&mut app, all_findings());
    drive(&mut app, jump_to("maint.logs-reviewed"));
    snapshot("walk_manual", &app);
}

#[test]
fn staged_or_final_choice() {
    let mut app = app();
    drive(&mut app, all_findings());
    drive(&mut app, jump_to("django.hsts-seconds"));
    let plan = PlanView {
        summary: "set SECURE_HSTS_SECONDS in config/settings.py".to_owned(),
        diff: "+++ b/srv/app/config/settings.py\n+SECURE_HSTS_SECONDS = 3600\n".to_owned(),
        ..PlanView::default()
    };
    drive(&mut app, [Action::PlanReady { id: "django.hsts-seconds".to_owned(), plan }]);
    drive(&mut app, [Action::Apply]);
    snapshot("staged", &app);
}

#[test]
fn apply_confirmation_names_what_changes() {
    let mut app = walk_ssl_redirect();
    drive(&mut app, [Action::Apply]);
    snapshot("confirm_apply", &app);
}

#[test]
fn applying_step_by_step() {
    let mut app = walk_ssl_redirect();
    drive(&mut app, [Action::Apply, Action::Yes]);
    drive(
        &mut app,
        [
            step("backup", StepStatus::Done, Some("/var/lib/portcullis/backups/0001/settings.py")),
            step("write", StepStatus::Done, Some("/srv/app/config/settings.py")),
            step("validate", StepStatus::Running, Some("python -m py_compile")),
        ],
    );
    snapshot("applying", &app);
}

#[test]
fn applying_failed_and_rolled_back() {
    let mut app = walk_ssl_redirect();
    drive(&mut app, [Action::Apply, Action::Yes]);
    drive(
        &mut app,
        [
            step("backup", StepStatus::Done, None),
            step("write", StepStatus::Done, None),
            step("validate", StepStatus::Failed, Some("python -m py_compile exited with 1")),
            Action::ApplyFinished {
                id: "django.ssl-redirect".to_owned(),
                outcome: ApplyOutcome::RolledBack {
                    failed_step: "validate".to_owned(),
                    message: "Python could not compile the new settings".to_owned(),
                    validator_output: "  File \"/srv/app/config/settings.py\", line 31\n    SECURE_SSL_REDIRECT = True True\n                               ^^^^\nSyntaxError: invalid syntax".to_owned(),
                },
            },
        ],
    );
    snapshot("apply_failed", &app);
}

#[test]
fn applied_and_verified() {
    let mut app = walk_ssl_redirect();
    drive(&mut app, [Action::Apply, Action::Yes]);
    let mut actions: Vec<Action> =
        ["backup", "write", "validate", "reload", "re-check", "live probe"]
            .iter()
            .map(|name| step(name, StepStatus::Done, None))
            .collect();
    actions.push(Action::ApplyFinished {
        id: "django.ssl-redirect".to_owned(),
        outcome: ApplyOutcome::Applied {
            at: "2026-12-03 17:40 UTC".to_owned(),
            finding: Some(Finding::pass("django.ssl-redirect", "SECURE_SSL_REDIRECT is True")),
        },
    });
    drive(&mut app, actions);
    snapshot("applied", &app);
}

#[test]
fn journal_of_applied_fixes() {
    let mut app = app();
    drive(&mut app, all_findings());
    drive(&mut app, [Action::Show(Screen::Journal)]);
    let row = |entry: &str, item: &str, at: &str, rolled_back| JournalRow {
        entry: entry.to_owned(),
        item_id: item.to_owned(),
        applied_at: at.to_owned(),
        files: vec!["/srv/app/config/settings.py".to_owned()],
        rolled_back,
    };
    drive(
        &mut app,
        [
            Action::JournalLoaded(vec![
                row("0001", "django.debug-off", "2026-12-03 17:01 UTC", true),
                row("0002", "django.ssl-redirect", "2026-12-03 17:20 UTC", false),
                row("0003", "django.hsts-seconds", "2026-12-03 17:31 UTC", false),
            ]),
            Action::Down,
        ],
    );
    snapshot("journal", &app);
    // The rollback asks about the item and its files, not a journal number.
    drive(&mut app, [Action::Select]);
    snapshot("confirm_rollback", &app);
}

#[test]
fn header_keeps_the_unit_of_the_check_time_at_80_columns() {
    let mut app = app();
    drive(&mut app, all_findings());
    drive(&mut app, [Action::ChecksFinished { elapsed: std::time::Duration::from_millis(12_340) }]);
    let screen = render(&app, 80, 24, &look());
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains("checked 12.3s"), "{header}");
    let wide = render(&app, 120, 40, &look());
    let header = wide.lines().next().unwrap_or_default();
    assert!(header.contains("checked in 12.3 s"), "{header}");
}

#[test]
fn finish_with_the_summary() {
    let mut app = app();
    drive(&mut app, all_findings());
    drive(
        &mut app,
        [Action::SessionResumed {
            marks: vec![
                (
                    "django.ssl-redirect".to_owned(),
                    Mark::Fixed { at: "2026-12-03 17:20".to_owned() },
                ),
                (
                    "django.hsts-seconds".to_owned(),
                    Mark::Waived {
                        reason: "HTTPS certificate renewal pending".to_owned(),
                        expires: Some(jiff::civil::date(2026, 12, 10)),
                    },
                ),
                (
                    "django.debug-off".to_owned(),
                    Mark::Skipped { reason: "a staging server".to_owned() },
                ),
            ],
            position: None,
        }],
    );
    drive(&mut app, [Action::Show(Screen::Finish)]);
    snapshot("finish", &app);
}

#[test]
fn help_overlay_lists_every_key() {
    let mut app = walk_ssl_redirect();
    drive(&mut app, [Action::Help]);
    snapshot("help", &app);
}

#[test]
fn skip_prompt() {
    let mut app = walk_ssl_redirect();
    drive(&mut app, [Action::Skip]);
    drive(&mut app, "the proxy redirects".chars().map(|c| Action::Input(Edit::Char(c))));
    snapshot("skip_prompt", &app);
}

#[test]
fn jump_list_filters_by_text() {
    let mut app = app();
    drive(&mut app, all_findings());
    drive(&mut app, [Action::OpenJump]);
    drive(&mut app, "hsts".chars().map(|c| Action::Input(Edit::Char(c))));
    drive(&mut app, [Action::Down]);
    snapshot("jump", &app);
}

#[test]
fn reference_links() {
    let mut app = walk_ssl_redirect();
    drive(&mut app, [Action::References]);
    snapshot("references", &app);
}

#[test]
fn a_failing_item_is_drawn_in_the_themes_failure_colour() {
    let app = walk_ssl_redirect();
    let look = look();
    let terminal = terminal(&app, 80, 24, &look);
    let buffer = terminal.backend().buffer();
    let cell = buffer
        .content()
        .iter()
        .find(|cell| cell.symbol() == look.glyphs.fail)
        .expect("the failure glyph is drawn");
    assert_eq!(cell.fg, look.theme.fail.fg.expect("fail colour"));
}
