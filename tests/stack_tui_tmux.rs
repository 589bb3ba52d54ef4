//! The interface on the real stack (issue 9), in tmux: the three sections
//! walked, a Django fix (the daemon reloaded, the redirect seen on the wire),
//! an Apache fix (configuration test, graceful reload, the Server header seen
//! on the wire), a skip, a maintenance fix, the session killed and resumed,
//! finished, and the printed summary read. Root `/`, the stack's own Apache
//! instance; `rollback --all` at the end and the stack's teardown leave the
//! machine as it was.

#[path = "support/stack.rs"]
mod stack;
#[path = "support/tmux.rs"]
mod tmux;

use stack::Stack;
use tmux::Tmux;

/// What the state file holds for the items the test fixes, to tell why a
/// mark went missing.
fn recorded_items(state: &std::path::Path) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for file in std::fs::read_dir(state.join("portcullis")).into_iter().flatten().flatten() {
        let path = file.path();
        if path.extension().is_some_and(|ext| ext == "json") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            for id in ["django.ssl-redirect", "apache.server-tokens", "maint.env-permissions"] {
                let _ = writeln!(out, "{id}: {}", json["items"][id]);
            }
        }
    }
    out
}

fn command(stack: &Stack, state: &std::path::Path) -> String {
    format!(
        "XDG_STATE_HOME={} {} {}; echo EXITED $?; sleep 60",
        state.display(),
        env!("CARGO_BIN_EXE_portcullis"),
        stack.flags().join(" ")
    )
}

/// Jumps to `id` with the item finder.
fn go_to(tmux: &Tmux, id: &str, position: &str) {
    tmux.keys(&["g"]);
    tmux.wait_for(&["type to filter"]);
    tmux.type_text(id);
    tmux.keys(&["Enter"]);
    tmux.wait_for(&[position]);
}

/// Applies the fix of the item on screen and returns the pipeline's screen.
fn apply(tmux: &Tmux, id: &str, waits: &[&str]) -> String {
    // The plan is prepared in the background: ask until it is there.
    let question = format!("Apply the fix for {id}?");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        tmux.keys(&["a"]);
        std::thread::sleep(std::time::Duration::from_millis(500));
        let screen = tmux.pane();
        if screen.contains(&question) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no confirmation for {id}:\n{screen}");
    }
    tmux.keys(&["y"]);
    let mut wanted = vec![format!("Applying {id}"), "the item now reports pass".to_owned()];
    wanted.extend(waits.iter().map(|w| (*w).to_owned()));
    let wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
    let screen = tmux.wait_for(&wanted);
    tmux.keys(&["Enter"]);
    screen
}

#[test]
#[allow(clippy::too_many_lines)]
fn the_interface_hardens_the_real_stack_resumes_after_a_kill_and_sums_up() {
    let stack = Stack::up("tui");
    let state = tempfile::tempdir().expect("state dir");
    let confdir = stack.confdir().display().to_string();

    // First session: every section is checked on the real machine.
    let tmux = Tmux::start("stack-first", 100, 30, &command(&stack, state.path()));
    let start = tmux.wait_for(&["44/44 checked", "Target (e to correct)"]);
    assert!(start.contains(&confdir), "the instance's Apache root:\n{start}");
    assert!(start.contains(&stack.https_url()), "the site's URL:\n{start}");

    // Django: the HTTPS redirect, confirmed on the plain-HTTP port.
    tmux.keys(&["o"]);
    tmux.wait_for(&["Sections", "Django settings"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for(&["item 1 of 44"]);
    tmux.keys(&["n"]);
    tmux.wait_for(&["item 2 of 44", "SECURE_SSL_REDIRECT is False"]);
    // Django keeps the request's port in the redirect, and on the stack's
    // loopback ports nothing speaks TLS there: the wire cannot confirm it.
    let screen = apply(&tmux, "django.ssl-redirect", &["live probe", "not confirmed on the wire"]);
    assert!(screen.contains("touch"), "the WSGI daemon is reloaded:\n{screen}");
    tmux.wait_for(&["item 2 of 44", "SECURE_SSL_REDIRECT is True"]);

    // Apache: ServerTokens, with Apache's own test and a graceful reload.
    tmux.keys(&["Tab"]);
    tmux.wait_for(&["Apache server", "item 23 of 44"]);
    go_to(&tmux, "apache.server-tokens", "item 30 of 44");
    assert!(stack.server_header().starts_with("Apache/2.4"), "before the fix");
    // The wire beside the configuration: the site's own Server header.
    tmux.wait_for(&["item 30 of 44", "ServerTokens OS", "Server: Apache/2.4"]);
    let screen =
        apply(&tmux, "apache.server-tokens", &["Apache reloaded", "confirmed on the wire"]);
    assert!(screen.contains("reload"), "{screen}");
    assert_eq!(stack.server_header(), "Apache", "ServerTokens Prod is live");

    // Maintenance: skip the pip-audit pin, fix the .env permissions.
    tmux.keys(&["Tab"]);
    tmux.wait_for(&["Maintenance", "item 35 of 44"]);
    tmux.keys(&["s"]);
    tmux.wait_for(&["Why skip this item? (required)"]);
    tmux.type_text("pinned in the deploy repository");
    tmux.keys(&["Enter"]);
    tmux.wait_for(&["item 36 of 44"]);
    go_to(&tmux, "maint.env-permissions", "readable by every user");
    apply(&tmux, "maint.env-permissions", &[]);
    let env = std::fs::metadata(stack.project().join(".env")).expect(".env");
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&env.permissions()) & 0o777, 0o600);

    // The connection drops.
    tmux.kill();
    drop(tmux);

    // Second session: resume, finish, read the summary.
    let tmux = Tmux::start("stack-second", 100, 30, &command(&stack, state.path()));
    let offer = tmux.wait_for(&["Resume? r resume, x start new", "44/44 checked"]);
    assert!(offer.contains("of 44 items done"), "{offer}");
    tmux.keys(&["r"]);
    tmux.wait_for(&["resumed the saved session"]);
    tmux.keys(&["o"]);
    let overview = tmux.wait_for(&["Sections"]);
    let row =
        |name: &str| overview.lines().find(|l| l.contains(name)).unwrap_or_default().to_owned();
    let recorded = || recorded_items(state.path());
    assert!(row("Django settings ").contains("★1"), "{overview}\n{}", recorded());
    assert!(row("Apache server ").contains("★1"), "{overview}\n{}", recorded());
    assert!(
        row("Maintenance ").contains("★1") && row("Maintenance ").contains("»1"),
        "{overview}\n{}",
        recorded()
    );
    tmux.keys(&["f"]);
    tmux.wait_for(&["Finished: the summary", "3 fixed, 1 skipped"]);
    tmux.keys(&["q"]);
    let printed = tmux.wait_with(&["EXITED"], Tmux::scrollback);
    let summary = &printed[printed.find("44 of 44 items checked").expect("summary printed")..];
    for id in ["django.ssl-redirect", "apache.server-tokens", "maint.env-permissions"] {
        assert!(summary.contains(id), "{id} in the summary:\n{summary}");
    }
    assert!(
        summary.contains("maint.pip-audit-listed: pinned in the deploy repository"),
        "the skip and its reason:\n{summary}"
    );
    drop(tmux);

    // Undo, through the command line, on the same state.
    let out = assert_cmd::cargo::cargo_bin_cmd!("portcullis")
        .args(["rollback", "--all", "--yes"])
        .args(stack.flags())
        .env("XDG_STATE_HOME", state.path())
        .output()
        .expect("portcullis runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(stack.server_header().starts_with("Apache/2.4"), "the rollback is live");
    let (code, _) = stack.get("/");
    assert_eq!(code, 200, "the site answers after the rollback");
}
