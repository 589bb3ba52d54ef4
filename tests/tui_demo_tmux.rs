//! A whole demo session through the real binary in a real terminal (issue 8):
//! `portcullis demo` in tmux at 80x24, the Django section walked, two fixes
//! applied, one item skipped with a reason, the connection dropped (the tmux
//! server killed), the demo started again and resumed, the session finished
//! and the printed summary read. Needs tmux (`apt-get install tmux`).

#[path = "support/tmux.rs"]
mod tmux;

use std::path::Path;

use tmux::Tmux;

fn demo_command(state: &Path) -> String {
    format!(
        "XDG_STATE_HOME={} {} demo; echo EXITED $?; sleep 60",
        state.display(),
        env!("CARGO_BIN_EXE_portcullis")
    )
}

/// The row of the Django section in the overview's section list.
fn django_row(screen: &str) -> String {
    screen.lines().find(|l| l.contains("Django settings ")).unwrap_or_default().to_owned()
}

/// Applies the fix of the item on screen: the confirmation names the item
/// and the change, the steps run, and the item then reads fixed.
fn apply_shown_fix(tmux: &Tmux, id: &str, change: &str) {
    tmux.keys(&["a"]);
    let confirm = tmux.wait_for(&[&format!("Apply the fix for {id}?"), "[y] yes"]);
    assert!(confirm.contains(change), "the confirmation names the change:\n{confirm}");
    assert!(
        confirm.contains("edits srv/aijack/config/settings.py"),
        "the confirmation names the file:\n{confirm}"
    );
    tmux.keys(&["y"]);
    let steps = tmux.wait_for(&[&format!("Applying {id}"), "the item now reports pass"]);
    for step in ["backup", "write", "validate", "re-check"] {
        assert!(steps.contains(step), "the step {step} is shown:\n{steps}");
    }
    assert!(steps.contains("can be rolled back"), "{steps}");
    tmux.keys(&["Enter"]);
    let item = tmux.wait_for(&["fixed     ", "fixed 20"]);
    assert!(item.contains(change), "the item shows the new value:\n{item}");
    assert!(!item.contains("press a to apply"), "a fixed item offers no apply:\n{item}");
}

#[test]
#[allow(clippy::too_many_lines)]
fn demo_session_survives_a_dropped_connection_and_resumes_to_the_summary() {
    let state = tempfile::tempdir().expect("temp dir");
    let settings = state.path().join("portcullis/demo/srv/aijack/config/settings.py");

    // First session: the demo is unpacked and checked.
    let tmux = Tmux::start("demo-first", 80, 24, &demo_command(state.path()));
    let start = tmux.wait_for(&["44/44 checked", "Target (e to correct)"]);
    assert!(start.contains("config.settings"), "the settings module is shown:\n{start}");
    assert!(!start.contains("Resume?"), "a fresh demo has nothing to resume:\n{start}");
    assert!(django_row(&start).contains("★0"), "nothing is fixed yet:\n{start}");
    let before = std::fs::read_to_string(&settings).expect("the demo copy is unpacked");
    assert!(!before.contains("SECURE_SSL_REDIRECT = True"), "{before}");

    // Walk the Django section from its first item.
    tmux.keys(&["o"]);
    tmux.wait_for(&["Sections", "Django settings"]);
    tmux.keys(&["Enter"]);
    let first = tmux.wait_for(&["item 1 of 44", "SecurityMiddleware is in MIDDLEWARE"]);
    assert!(first.contains("Why") && first.contains("Evidence"), "{first}");
    tmux.keys(&["n"]);
    // The plan (the diff) is prepared in the background and lands shortly.
    let redirect = tmux.wait_for(&[
        "item 2 of 44",
        "SECURE_SSL_REDIRECT is False",
        "+++ b/srv/aijack/config/settings.py",
    ]);
    assert!(redirect.contains("fail"), "{redirect}");

    // First fix: the HTTPS redirect.
    apply_shown_fix(&tmux, "django.ssl-redirect", "SECURE_SSL_REDIRECT = True");
    let after = std::fs::read_to_string(&settings).expect("settings");
    assert!(after.contains("SECURE_SSL_REDIRECT = True"), "the file changed:\n{after}");

    // Second fix: HSTS, final rather than staged.
    tmux.keys(&["n"]);
    tmux.wait_for(&["item 3 of 44"]);
    tmux.keys(&["n"]);
    tmux.wait_for(&["item 4 of 44", "SECURE_HSTS_SECONDS is 0"]);
    tmux.keys(&["a"]);
    let staged = tmux.wait_for(&["Staged or final: django.hsts-seconds", "Final: the full fix"]);
    assert!(staged.contains("SECURE_HSTS_SECONDS = 3600"), "{staged}");
    tmux.keys(&["Down", "Enter"]);
    let confirm = tmux.wait_for(&["Apply the fix for django.hsts-seconds?"]);
    assert!(confirm.contains("SECURE_HSTS_SECONDS = 31536000"), "{confirm}");
    tmux.keys(&["y"]);
    tmux.wait_for(&["Applying django.hsts-seconds", "the item now reports pass"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for(&["item 4 of 44", "SECURE_HSTS_SECONDS is 31536000", "fixed 20"]);

    // Skip the next one with a reason.
    tmux.keys(&["n"]);
    tmux.wait_for(&["item 5 of 44", "HSTS covers subdomains"]);
    tmux.keys(&["s"]);
    tmux.wait_for(&["Why skip this item? (required)"]);
    tmux.type_text("subdomains are served by another team");
    tmux.keys(&["Enter"]);
    tmux.wait_for(&["item 6 of 44", "HSTS preload is requested"]);
    tmux.keys(&["o"]);
    let overview = tmux.wait_for(&["Sections"]);
    let row = django_row(&overview);
    assert!(row.contains("★2") && row.contains("»1"), "two fixed, one skipped: {row}");

    // The connection drops.
    tmux.kill();
    drop(tmux);
    let settings_text = std::fs::read_to_string(&settings).expect("settings");
    assert!(settings_text.contains("SECURE_SSL_REDIRECT = True"), "{settings_text}");
    assert!(settings_text.contains("SECURE_HSTS_SECONDS = 31536000"), "{settings_text}");

    // Second session: the resume offer says how far and when.
    let tmux = Tmux::start("demo-second", 80, 24, &demo_command(state.path()));
    let offer = tmux.wait_for(&["Resume? r resume, x start new", "44/44 checked"]);
    assert!(offer.contains("A saved session:"), "{offer}");
    assert!(offer.contains("of 44 items done"), "how far:\n{offer}");
    assert!(offer.contains(" UTC"), "when:\n{offer}");
    assert!(offer.contains("stopped at django.hsts-preload"), "where:\n{offer}");
    let header = offer.lines().next().unwrap_or_default().trim_end();
    assert!(header.ends_with('s'), "the check time keeps its unit: {header:?}");
    let row = django_row(&offer);
    assert!(row.contains("★2"), "the journal's fixes count before resuming: {row}");
    tmux.keys(&["r"]);
    let resumed = tmux.wait_for(&["resumed the saved session", "item 6 of 44"]);
    assert!(resumed.contains("HSTS preload is requested"), "{resumed}");

    // The fixes and the skip are still there.
    tmux.keys(&["p"]);
    tmux.wait_for(&["item 5 of 44", "skipped: subdomains are served by another team"]);
    tmux.keys(&["p"]);
    tmux.wait_for(&["item 4 of 44", "fixed 20"]);
    tmux.keys(&["o"]);
    let overview = tmux.wait_for(&["Sections"]);
    let row = django_row(&overview);
    assert!(row.contains("★2") && row.contains("»1"), "after resuming: {row}");

    // Finish and quit; the summary is printed on the normal screen.
    tmux.keys(&["f"]);
    let finish = tmux.wait_for(&["Finished: the summary", "2 fixed, 1 skipped"]);
    assert!(finish.contains("44 of 44 items checked"), "{finish}");
    tmux.keys(&["q"]);
    let printed = tmux.wait_with(&["EXITED"], Tmux::scrollback);
    let summary = &printed[printed.find("44 of 44 items checked").expect("summary printed")..];
    assert!(summary.contains("2 fixed, 1 skipped"), "{summary}");
    let django = summary.lines().find(|l| l.contains("Django settings:")).expect("Django line");
    assert!(django.contains("2 fixed, 1 skipped"), "{django}");
    assert!(summary.contains("Fixed in this session:"), "{summary}");
    assert!(summary.contains("django.ssl-redirect"), "{summary}");
    assert!(summary.contains("django.hsts-seconds"), "{summary}");
    assert!(
        summary.contains("django.hsts-subdomains: subdomains are served by another team"),
        "the skip and its reason:\n{summary}"
    );
    let failing = &summary[summary.find("Still failing").expect("failing list")..];
    assert!(!failing.contains("django.ssl-redirect"), "{failing}");
    assert!(summary.contains("EXITED 1"), "failures remain, so exit 1:\n{summary}");
}
