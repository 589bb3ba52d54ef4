//! The interface driven headlessly, action by action: what each key and
//! each producer result does to the state and which effects it asks for.

mod tui_support;

use portcullis::finding::{Finding, Status};
use portcullis::tui::app::{
    Action, ApplyOutcome, ApplyStep, ConfirmKind, Effect, FixChoice, JournalRow, Mark, Outcome,
    Overlay, PlanState, Progress, PromptKind, ResumeOffer, Screen, StepStatus, TargetField, update,
};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_support::*;

fn walk_to_failing_ssl_redirect() -> portcullis::tui::App {
    let mut app = app();
    drive(&mut app, all_findings());
    let effects = drive(&mut app, jump_to("django.ssl-redirect"));
    assert_eq!(effects, vec![Effect::PreparePlan { id: "django.ssl-redirect".to_owned() }]);
    drive(
        &mut app,
        [Action::PlanReady { id: "django.ssl-redirect".to_owned(), plan: ssl_redirect_plan() }],
    );
    app
}

#[test]
fn a_session_starts_every_check_at_once() {
    let app = app();
    let effects = app.start();
    let [Effect::RunChecks { ids }] = effects.as_slice() else {
        panic!("one RunChecks effect");
    };
    assert_eq!(ids.len(), app.items().len());
    assert_eq!(app.screen(), Screen::Start);
}

#[test]
fn findings_stream_into_the_counts_with_a_spinner_while_running() {
    let mut app = app();
    drive(&mut app, [Action::CheckStarted { id: "django.debug-off".to_owned() }]);
    assert!(app.is_animating(), "a running check turns a spinner");
    assert_eq!(app.items()[index_of(&app, "django.debug-off")].outcome(), Outcome::Running);

    drive(&mut app, all_findings());
    let counts = app.counts(None);
    assert_eq!(counts.done, counts.total);
    assert_eq!(counts.fail, 4);
    assert!(!app.is_animating(), "nothing moves once every check is in: no ticks, no redraws");
}

#[test]
fn walking_to_a_failing_item_asks_for_its_plan_once() {
    let mut app = walk_to_failing_ssl_redirect();
    assert_eq!(app.screen(), Screen::Walk);
    assert!(matches!(app.plan("django.ssl-redirect"), Some(PlanState::Ready(_))));
    let again = drive(&mut app, [Action::NextItem, Action::PreviousItem]);
    assert!(!again.contains(&Effect::PreparePlan { id: "django.ssl-redirect".to_owned() }));
}

#[test]
fn apply_asks_first_naming_the_files_and_commands() {
    let mut app = walk_to_failing_ssl_redirect();
    assert!(drive(&mut app, [Action::Apply]).is_empty(), "nothing happens before yes");
    let Some(Overlay::Confirm(confirm)) = app.overlay() else {
        panic!("a confirmation opens");
    };
    let text = confirm.lines.join("\n");
    assert!(text.contains("edits srv/app/config/settings.py"), "{text}");
    assert!(text.contains("runs  systemctl reload apache2"), "{text}");

    let effects = drive(&mut app, [Action::Yes]);
    assert_eq!(
        effects,
        vec![Effect::Apply { id: "django.ssl-redirect".to_owned(), choice: FixChoice::Final }]
    );
    assert_eq!(app.screen(), Screen::Applying);
}

#[test]
fn answering_no_applies_nothing() {
    let mut app = walk_to_failing_ssl_redirect();
    let effects = drive(&mut app, [Action::Apply, Action::No]);
    assert!(effects.is_empty());
    assert_eq!(app.screen(), Screen::Walk);
    assert!(app.apply_run().is_none());
}

#[test]
fn a_fix_with_a_staged_path_offers_the_choice() {
    let mut app = app();
    drive(&mut app, all_findings());
    drive(&mut app, jump_to("django.hsts-seconds"));
    let plan = portcullis::tui::app::PlanView {
        summary: "set SECURE_HSTS_SECONDS".to_owned(),
        diff: "+++ b/srv/app/config/settings.py\n+SECURE_HSTS_SECONDS = 3600\n".to_owned(),
        ..Default::default()
    };
    drive(&mut app, [Action::PlanReady { id: "django.hsts-seconds".to_owned(), plan }]);
    drive(&mut app, [Action::Apply]);
    assert_eq!(app.screen(), Screen::Staged);
    let effects = drive(&mut app, [Action::Select, Action::Yes]);
    assert_eq!(
        effects,
        vec![Effect::Apply { id: "django.hsts-seconds".to_owned(), choice: FixChoice::Staged }]
    );
}

#[test]
fn the_applying_screen_follows_each_step_and_marks_the_item_fixed() {
    let mut app = walk_to_failing_ssl_redirect();
    drive(&mut app, [Action::Apply, Action::Yes]);
    let id = "django.ssl-redirect".to_owned();
    let step = |name: &str, status| ApplyStep { name: name.to_owned(), status, detail: None };
    drive(
        &mut app,
        [
            Action::ApplyProgress { id: id.clone(), step: step("backup", StepStatus::Done) },
            Action::ApplyProgress { id: id.clone(), step: step("write", StepStatus::Running) },
        ],
    );
    let run = app.apply_run().expect("an apply runs");
    assert_eq!(run.steps[0].status, StepStatus::Done);
    assert_eq!(run.steps[1].status, StepStatus::Running);
    assert!(app.is_animating());

    let effects = drive(
        &mut app,
        [Action::ApplyFinished {
            id: id.clone(),
            outcome: ApplyOutcome::Applied {
                at: "2026-12-03 17:40".to_owned(),
                finding: Some(Finding::pass(&id, "SECURE_SSL_REDIRECT is True")),
            },
        }],
    );
    assert!(effects.contains(&Effect::SaveState));
    assert_eq!(app.items()[index_of(&app, &id)].outcome(), Outcome::Fixed);
    assert_eq!(app.counts(None).fixed, 1);
    // The re-check brought the new finding, so its step reads done even
    // though no step event named it.
    let run = app.apply_run().expect("the finished run stays on screen");
    let recheck = run.steps.iter().find(|s| s.name == "re-check").expect("a re-check step");
    assert_eq!(recheck.status, StepStatus::Done);
}

#[test]
fn a_saved_session_counts_the_journals_fixes_before_it_is_resumed() {
    let mut app = app();
    drive(&mut app, all_findings());
    drive(
        &mut app,
        [Action::ResumeOffered(ResumeOffer {
            fixed: vec![("django.ssl-redirect".to_owned(), "2026-12-03 17:40 UTC".to_owned())],
            saved_at: "2026-12-03 17:41 UTC".to_owned(),
            done: 1,
            total: 44,
            position: None,
            changed: Vec::new(),
        })],
    );
    assert_eq!(app.counts(None).fixed, 1);
    assert_eq!(app.screen(), Screen::Start, "the offer still waits for the operator");
}

#[test]
fn a_failed_apply_is_shown_as_rolled_back_and_leaves_the_item_failing() {
    let mut app = walk_to_failing_ssl_redirect();
    drive(&mut app, [Action::Apply, Action::Yes]);
    let id = "django.ssl-redirect".to_owned();
    drive(
        &mut app,
        [Action::ApplyFinished {
            id: id.clone(),
            outcome: ApplyOutcome::RolledBack {
                failed_step: "validate".to_owned(),
                message: "Python could not compile the settings".to_owned(),
                validator_output: "SyntaxError: invalid syntax".to_owned(),
            },
        }],
    );
    assert_eq!(app.items()[index_of(&app, &id)].outcome(), Outcome::Status(Status::Fail));
    drive(&mut app, [Action::Select]);
    assert_eq!(app.screen(), Screen::Walk);
}

#[test]
fn skip_needs_a_reason_then_records_it_and_moves_on() {
    let mut app = walk_to_failing_ssl_redirect();
    let before = index_of(&app, "django.ssl-redirect");
    drive(&mut app, [Action::Skip, Action::Select]);
    let Some(Overlay::Prompt(prompt)) = app.overlay() else {
        panic!("the prompt stays open without a reason");
    };
    assert!(prompt.error.is_some());

    let effects = drive(&mut app, type_line("the proxy redirects already"));
    assert!(effects.contains(&Effect::Record {
        id: "django.ssl-redirect".to_owned(),
        mark: Mark::Skipped { reason: "the proxy redirects already".to_owned() },
    }));
    assert_eq!(
        app.selected_item().map(|i| i.id.as_str()),
        Some(app.items()[before + 1].id.as_str())
    );
    assert_eq!(app.counts(None).skipped, 1);
}

#[test]
fn a_waiver_takes_a_reason_and_an_expiry_after_today() {
    let mut app = walk_to_failing_ssl_redirect();
    drive(&mut app, [Action::Waive]);
    drive(&mut app, type_line("accepted risk until the migration"));
    assert!(matches!(
        app.overlay(),
        Some(Overlay::Prompt(p)) if matches!(p.kind, PromptKind::WaiveExpiry { .. })
    ));

    drive(&mut app, type_line("2020-01-01"));
    let Some(Overlay::Prompt(prompt)) = app.overlay() else { panic!("a past date is refused") };
    assert!(prompt.error.as_deref().is_some_and(|e| e.contains("after 2026-12-03")));

    // Clear the field and give a date within the warning window.
    drive(&mut app, (0..10).map(|_| Action::Input(portcullis::tui::app::Edit::Backspace)));
    let effects = drive(&mut app, type_line("2026-12-10"));
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::Record { mark: Mark::Waived { expires: Some(_), .. }, .. }
        ))
    );
    let soon = app.waivers_expiring_soon();
    assert_eq!(soon.len(), 1);
    assert!(app.summary_lines().iter().any(|l| l.contains("2026-12-10  django.ssl-redirect")));
}

#[test]
fn only_a_manual_item_can_be_confirmed() {
    let mut app = walk_to_failing_ssl_redirect();
    drive(&mut app, [Action::ConfirmManual]);
    assert!(app.overlay().is_none());
    assert!(app.notice().is_some_and(|n| n.text.contains("only manual items")));

    drive(&mut app, jump_to("maint.logs-reviewed"));
    drive(&mut app, [Action::ConfirmManual]);
    let effects = drive(&mut app, type_line("read a week of error.log"));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Record { mark: Mark::Confirmed { .. }, .. }))
    );
    let item = &app.items()[index_of(&app, "maint.logs-reviewed")];
    assert_eq!(item.outcome(), Outcome::Confirmed);
}

#[test]
fn quit_during_an_apply_asks_and_waits_for_the_end() {
    let mut app = walk_to_failing_ssl_redirect();
    drive(&mut app, [Action::Apply, Action::Yes]);

    let effects = drive(&mut app, [Action::Quit]);
    assert!(effects.is_empty());
    assert!(matches!(
        app.overlay(),
        Some(Overlay::Confirm(c)) if c.kind == ConfirmKind::QuitAfterApply
    ));
    let effects = drive(&mut app, [Action::Yes]);
    assert!(effects.is_empty(), "never quits in the middle of an apply");
    assert!(!app.is_quitting());

    let effects = drive(
        &mut app,
        [Action::ApplyFinished {
            id: "django.ssl-redirect".to_owned(),
            outcome: ApplyOutcome::Applied { at: "now".to_owned(), finding: None },
        }],
    );
    assert!(effects.contains(&Effect::SaveState));
    assert!(effects.contains(&Effect::Quit));
    assert!(app.is_quitting());
}

#[test]
fn a_signal_during_an_apply_waits_for_it_then_saves_and_quits() {
    let mut app = walk_to_failing_ssl_redirect();
    drive(&mut app, [Action::Apply, Action::Yes]);
    assert!(drive(&mut app, [Action::Terminate]).is_empty());
    assert!(!app.is_quitting());
    let effects = drive(
        &mut app,
        [Action::ApplyFinished {
            id: "django.ssl-redirect".to_owned(),
            outcome: ApplyOutcome::RolledBack {
                failed_step: "reload".to_owned(),
                message: "apache2ctl graceful failed".to_owned(),
                validator_output: String::new(),
            },
        }],
    );
    assert!(effects.contains(&Effect::Quit));
}

#[test]
fn quit_when_idle_saves_and_leaves() {
    let mut app = app();
    assert_eq!(drive(&mut app, [Action::Quit]), vec![Effect::SaveState, Effect::Quit]);
    assert!(app.is_quitting());
}

#[test]
fn the_journal_rolls_back_an_entry_after_asking_and_then_rechecks() {
    let mut app = app();
    drive(&mut app, all_findings());
    let effects = drive(&mut app, [Action::Show(Screen::Journal)]);
    assert_eq!(effects, vec![Effect::LoadJournal]);
    drive(
        &mut app,
        [Action::JournalLoaded(vec![JournalRow {
            entry: "0001".to_owned(),
            item_id: "django.debug-off".to_owned(),
            applied_at: "2026-12-03 17:00".to_owned(),
            files: vec!["/srv/app/config/settings.py".to_owned()],
            rolled_back: false,
        }])],
    );
    drive(&mut app, [Action::Select]);
    let effects = drive(&mut app, [Action::Yes]);
    assert_eq!(effects, vec![Effect::Rollback { entry: "0001".to_owned() }]);
    let effects = drive(
        &mut app,
        [Action::RollbackFinished {
            entry: "0001".to_owned(),
            result: Ok("django.debug-off".to_owned()),
        }],
    );
    assert!(effects.contains(&Effect::RunChecks { ids: vec!["django.debug-off".to_owned()] }));
}

#[test]
fn recheck_runs_one_item_again() {
    let mut app = walk_to_failing_ssl_redirect();
    let effects = drive(&mut app, [Action::Recheck]);
    assert_eq!(effects, vec![Effect::RunChecks { ids: vec!["django.ssl-redirect".to_owned()] }]);
    assert_eq!(app.selected_item().map(|i| i.progress), Some(Progress::Running));
}

#[test]
fn asking_to_resume_with_no_saved_session_says_so() {
    let mut app = app();
    assert_eq!(drive(&mut app, [Action::Resume]), Vec::<Effect>::new());
    let notice = app.notice().map(|n| n.text.as_str());
    assert_eq!(notice, Some("no earlier session of this site to resume"));
}

#[test]
fn resuming_restores_decisions_and_the_position() {
    let mut app = app();
    drive(
        &mut app,
        [Action::ResumeOffered(ResumeOffer {
            fixed: Vec::new(),
            saved_at: "2026-12-02 16:10".to_owned(),
            done: 5,
            total: 40,
            position: Some("django.hsts-seconds".to_owned()),
            changed: Vec::new(),
        })],
    );
    assert_eq!(drive(&mut app, [Action::Resume]), vec![Effect::Resume]);
    drive(&mut app, all_findings());
    drive(
        &mut app,
        [Action::SessionResumed {
            marks: vec![(
                "django.debug-off".to_owned(),
                Mark::Skipped { reason: "staging server".to_owned() },
            )],
            position: Some("django.hsts-seconds".to_owned()),
        }],
    );
    assert_eq!(app.screen(), Screen::Walk);
    assert_eq!(app.selected_item().map(|i| i.id.as_str()), Some("django.hsts-seconds"));
    let skipped = app.effective_findings().into_iter().find(|f| f.id == "django.debug-off");
    assert_eq!(skipped.map(|f| f.status), Some(Status::Skipped));
}

#[test]
fn correcting_a_target_field_rediscovers_and_checks_again() {
    let mut app = app();
    drive(&mut app, all_findings());
    drive(&mut app, [Action::Down, Action::Edit]);
    drive(&mut app, (0..20).map(|_| Action::Input(portcullis::tui::app::Edit::Backspace)));
    let effects = drive(&mut app, type_line("/srv/other"));
    assert_eq!(
        effects,
        vec![Effect::Retarget { field: TargetField::Project, value: "/srv/other".to_owned() }]
    );
    let mut view = target("/srv/demo-root");
    view.project = Some("/srv/other".to_owned());
    let effects = drive(&mut app, [Action::TargetChanged(view)]);
    assert!(
        matches!(effects.as_slice(), [Effect::RunChecks { ids }] if ids.len() == app.items().len())
    );
    assert_eq!(app.counts(None).done, 0);
}

#[test]
fn walking_past_the_last_item_reaches_the_finish_screen() {
    let mut app = app();
    drive(&mut app, all_findings());
    let last = app.items().last().map(|i| i.id.clone()).expect("items");
    drive(&mut app, jump_to(&last));
    drive(&mut app, [Action::NextItem]);
    assert_eq!(app.screen(), Screen::Finish);
}

#[test]
fn keys_typed_in_a_prompt_are_text_not_commands() {
    let mut app = walk_to_failing_ssl_redirect();
    update(&mut app, Action::Skip);
    let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
    assert_eq!(
        portcullis::tui::keys::action_for(&app, q),
        Some(Action::Input(portcullis::tui::app::Edit::Char('q')))
    );
    update(&mut app, Action::Back);
    assert_eq!(portcullis::tui::keys::action_for(&app, q), Some(Action::Quit));
}

#[test]
fn a_fixed_item_that_fails_its_recheck_shows_the_failure() {
    let mut app = walk_to_failing_ssl_redirect();
    drive(&mut app, [Action::Apply, Action::Yes]);
    let id = "django.ssl-redirect".to_owned();
    drive(
        &mut app,
        [Action::ApplyFinished {
            id: id.clone(),
            outcome: ApplyOutcome::Applied { at: "now".to_owned(), finding: None },
        }],
    );
    drive(
        &mut app,
        [Action::CheckFinished(Finding::fail(&id, "SECURE_SSL_REDIRECT is False again"))],
    );
    assert_eq!(app.items()[index_of(&app, &id)].outcome(), Outcome::Status(Status::Fail));
}

#[test]
fn a_step_that_starts_ends_the_one_before_and_a_rollback_marks_it_failed() {
    let mut app = walk_to_failing_ssl_redirect();
    drive(&mut app, [Action::Apply, Action::Yes]);
    let id = "django.ssl-redirect".to_owned();
    let running = |name: &str| Action::ApplyProgress {
        id: id.clone(),
        step: ApplyStep { name: name.to_owned(), status: StepStatus::Running, detail: None },
    };
    drive(
        &mut app,
        [running("backup"), running("write"), running("validate"), running("roll back")],
    );
    let steps = &app.apply_run().expect("an apply runs").steps;
    let status = |name: &str| steps.iter().find(|s| s.name == name).map(|s| s.status);
    assert_eq!(status("backup"), Some(StepStatus::Done));
    assert_eq!(status("write"), Some(StepStatus::Done));
    assert_eq!(status("validate"), Some(StepStatus::Failed));
    assert_eq!(status("roll back"), Some(StepStatus::Running));
}

#[test]
fn a_blocked_plan_is_shown_but_not_applied() {
    let mut app = app();
    drive(&mut app, all_findings());
    drive(&mut app, jump_to("django.ssl-redirect"));
    let plan = portcullis::tui::app::PlanView {
        blocked: Some("the root is not / so commands cannot run".to_owned()),
        ..ssl_redirect_plan()
    };
    drive(&mut app, [Action::PlanReady { id: "django.ssl-redirect".to_owned(), plan }]);
    assert!(drive(&mut app, [Action::Apply]).is_empty());
    assert!(app.overlay().is_none());
    assert!(app.notice().is_some_and(|n| n.text.contains("cannot apply here")));
}
