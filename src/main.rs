//! The `portcullis` command line: parses flags into a target and options,
//! then hands over to the library. Exit status: 0 nothing fails, 1 something
//! fails, 2 a usage or input error.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::Timestamp;
use portcullis::checklist::{self, Checklist};
use portcullis::django::rules::ServedBy;
use portcullis::fix::run::{Applied, Fixer, Outcome, undo};
use portcullis::layers::{InputError, Layers};
use portcullis::probe::{Context, RunOptions};
use portcullis::report::summary::{Format as SummaryOutput, Summary};
use portcullis::report::{self, CheckReport};
use portcullis::session;
use portcullis::state::{JournalEntry, LockedState, StateLocation};
use portcullis::target::{DEFAULT_APACHE_ROOT, Target};

#[derive(Parser)]
#[command(
    name = "portcullis",
    version,
    about = "Harden a Django site served by Apache: check, fix, verify, resume, undo."
)]
struct Cli {
    #[command(flatten)]
    target: TargetArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

/// The target and the run options, accepted before or after the subcommand.
#[derive(Args, Clone)]
struct TargetArgs {
    /// Filesystem root of the target; every other path is inside it.
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    /// The Django project directory (holds manage.py), inside the root.
    #[arg(long, global = true, value_name = "DIR")]
    project: Option<PathBuf>,
    /// The settings module, e.g. config.settings.
    #[arg(long, global = true, value_name = "MODULE")]
    settings: Option<String>,
    /// The Apache configuration root, inside the root.
    #[arg(long, global = true, value_name = "DIR")]
    apache_root: Option<PathBuf>,
    /// An environment file the site is started with, inside the root.
    #[arg(long, global = true, value_name = "FILE")]
    env_file: Option<PathBuf>,
    /// The site's public URL.
    #[arg(long, global = true)]
    url: Option<String>,
    /// Send the live probes for HOST:PORT to ADDR, as curl does (repeatable).
    #[arg(long, global = true, value_name = "HOST:PORT:ADDR")]
    resolve: Vec<portcullis::live::ResolveOverride>,
    /// A Python interpreter of this machine to evaluate the project with.
    #[arg(long, global = true, value_name = "PATH")]
    python: Option<PathBuf>,
    /// An OSV-compatible advisory service for pip-audit (a mirror) instead of the default one.
    #[arg(long, global = true, value_name = "URL")]
    osv_url: Option<String>,
    /// Send nothing over the network.
    #[arg(long, global = true)]
    offline: bool,
    /// Also evaluate the settings in the project's own Python.
    #[arg(long, global = true)]
    evaluate: bool,
    /// More checklist files to load (repeatable).
    #[arg(long, global = true, value_name = "FILE")]
    checklist: Vec<PathBuf>,
    /// The state file to use instead of the one kept per target.
    #[arg(long, global = true, value_name = "FILE")]
    state: Option<PathBuf>,
    /// The interface's theme: dark, light, high-contrast, or a theme file.
    #[arg(long, global = true, value_name = "NAME|FILE")]
    theme: Option<String>,
    /// Plain ASCII in the interface: no Unicode line drawing or spinner glyphs.
    #[arg(long, global = true)]
    ascii: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Continue the saved session of the target in the terminal interface.
    Resume,
    /// List the checklist's sections, topics and items.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Unpack the bundled demo site (once) and audit it: a safe place to try
    /// everything without touching a real server.
    Demo {
        /// Start over from a fresh copy of the demo site.
        #[arg(long)]
        reset: bool,
    },
    /// Audit the target without changing anything.
    Check {
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
        /// Only these sections or item ids.
        #[arg(long, value_name = "ID|SECTION", num_args = 1..)]
        only: Vec<String>,
        /// Fail on unknown, skipped and waived items too.
        #[arg(long)]
        strict: bool,
        /// Do not record the results in the state file (and take no lock).
        #[arg(long)]
        no_save: bool,
    },
    /// Fix failing items: show each plan, then apply it with backups,
    /// validation, a re-check and automatic rollback.
    Fix {
        /// The items to fix.
        ids: Vec<String>,
        /// Every failing item that has a fix.
        #[arg(long)]
        all: bool,
        /// With --all: only these sections or item ids.
        #[arg(long, value_name = "ID|SECTION", num_args = 1..)]
        only: Vec<String>,
        /// Print the plans and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Apply without asking.
        #[arg(long)]
        yes: bool,
        /// Take the staged path where there is one (HSTS trial, CSP report-only).
        #[arg(long)]
        staged: bool,
    },
    /// Undo applied fixes from the journal, newest first.
    Rollback {
        ids: Vec<String>,
        #[arg(long)]
        all: bool,
        #[arg(long)]
        yes: bool,
        /// Restore files that changed after the fix too.
        #[arg(long)]
        force: bool,
    },
    /// Skip an item for this session, with a reason.
    Skip {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Accept an item's risk, with a reason and an optional expiry (YYYY-MM-DD).
    Waive {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long, value_name = "DATE")]
        expires: Option<jiff::civil::Date>,
    },
    /// Confirm a manual item (the log review), with a note.
    Confirm {
        id: String,
        #[arg(long)]
        note: String,
    },
    /// The completion summary of the target's sessions.
    Summary {
        #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
        format: SummaryFormat,
        #[arg(long, value_name = "ID|SECTION", num_args = 1..)]
        only: Vec<String>,
        #[arg(long)]
        strict: bool,
    },
    /// Remove backups older than an age (30d, 12h, 2w); their fixes can no
    /// longer be rolled back.
    Prune {
        #[arg(long, value_name = "AGE")]
        older_than: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum SummaryFormat {
    Text,
    Markdown,
    Json,
    Junit,
    Sarif,
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum CheckFormat {
    Text,
    Json,
    Markdown,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _log = start_logging();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("portcullis: {err}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<u8, InputError> {
    let checklist = checklist::load(&cli.target.checklist).map_err(|err| {
        InputError::new(format!("{err}\n  fix the checklist file, or leave it out of --checklist"))
    })?;
    let args = &cli.target;
    let Some(command) = cli.command else {
        return tui(args, checklist);
    };
    match command {
        Command::Resume => tui(args, checklist),
        Command::List { format } => {
            print!("{}", list(&checklist, format));
            Ok(0)
        }
        Command::Check { format, only, strict, no_save } => {
            check(args, &checklist, format, &only, strict, !no_save)
        }
        Command::Demo { reset } => {
            let root = demo_root(reset)?;
            eprintln!("portcullis: the demo site is at {}", root.display());
            let args = TargetArgs { root: Some(root), offline: true, ..args.clone() };
            tui(&args, checklist)
        }
        Command::Fix { ids, all, only, dry_run, yes, staged } => {
            fix(args, &checklist, &FixRequest { ids, all, only, dry_run, yes, staged })
        }
        Command::Rollback { ids, all, yes, force } => {
            select(&checklist, &ids)?;
            rollback(args, &ids, all, yes, force)
        }
        Command::Skip { id, reason } => change_item(args, &checklist, &id, |state, now| {
            state
                .skip(&id, &reason, now)
                .map(|()| format!("{id} skipped for this session: {reason}"))
        }),
        Command::Waive { id, reason, expires } => {
            change_item(args, &checklist, &id, |state, now| {
                let who = portcullis::state::current_operator();
                let until = expires.map(|d| format!(" until {d}")).unwrap_or_default();
                state
                    .waive(&id, &reason, &who, expires, now)
                    .map(|()| format!("{id} waived by {who}{until}: {reason}"))
            })
        }
        Command::Confirm { id, note } => {
            let confirmable = |item: &portcullis::checklist::Item| {
                item.manual || matches!(item.probe, portcullis::checklist::Probe::SecretKeyRotation)
            };
            if !checklist.item(&id).is_some_and(confirmable) {
                return Err(InputError::new(format!(
                    "{id} is not a manual item; only items marked [manual] in `portcullis list` are confirmed by hand"
                )));
            }
            change_item(args, &checklist, &id, |state, now| {
                let who = portcullis::state::current_operator();
                state
                    .confirm(&id, &note, &who, now)
                    .map(|()| format!("{id} confirmed by {who}: {note}"))
            })
        }
        Command::Summary { format, only, strict } => {
            summary(args, &checklist, format, &only, strict)
        }
        Command::Prune { older_than } => prune(args, &older_than),
    }
}

/// Opens the terminal interface on the target, holding its session's lock;
/// once it closes, prints the summary on the normal screen.
fn tui(args: &TargetArgs, checklist: Checklist) -> Result<u8, InputError> {
    use portcullis::tui::backend::StateBackend;
    use portcullis::tui::{Look, TuiOptions, run_tui};

    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        return Err(InputError::new(
            "the interface needs a terminal (over SSH, `ssh -t`); \
             `portcullis check` works without one",
        ));
    }
    let look = Look::from_environment(args.theme.as_deref(), args.ascii)
        .map_err(|err| InputError::new(format!("--theme: {err}")))?;
    let options = run_options(args);
    let (target, layers, location) = prepare(args)?;
    let state = session::open(location, &target, Timestamp::now())?;
    recover(&state, &target)?;
    let backend =
        StateBackend::new(state, target.clone(), checklist.clone(), options, args.resolve.clone());
    let ctx = Arc::new(Context { target, options, layers });

    let runtime = tokio::runtime::Runtime::new()
        .map_err(|err| InputError::new(format!("cannot start the async runtime: {err}")))?;
    let outcome = runtime
        .block_on(run_tui(Arc::new(checklist), ctx, Arc::new(backend), TuiOptions { look }))
        .map_err(|err| InputError::new(format!("the terminal interface failed: {err}")))?;
    // After a dropped SSH connection there is no terminal left to print to;
    // the state file holds the session, so a failed write is not an error.
    let mut stdout = std::io::stdout().lock();
    for line in &outcome.summary {
        let _ = writeln!(stdout, "{line}");
    }
    Ok(u8::try_from(report::exit_code(&outcome.findings, false)).unwrap_or(1))
}

/// The options that shape what probes may do.
fn run_options(args: &TargetArgs) -> RunOptions {
    RunOptions { offline: args.offline, evaluate: args.evaluate || args.python.is_some() }
}

/// The target, its layers, and where its state lives. The discovered project
/// is part of the target's identity, so the same server always finds the
/// same state file.
fn prepare(args: &TargetArgs) -> Result<(Target, Layers, StateLocation), InputError> {
    let mut target = target_from(args)?;
    if args.apache_root.is_some() {
        let conf = target.apache_root.join("apache2.conf");
        if !target.host_path(&conf).is_file() {
            return Err(InputError::new(format!(
                "--apache-root {}: there is no {} under the root; give the directory that holds apache2.conf (/etc/apache2, or /etc/apache2-NAME for another instance)",
                target.apache_root.display(),
                conf.display()
            )));
        }
    }
    let options = run_options(args);
    let layers = Layers::load(&target, options)?;
    if args.apache_root.is_none() {
        hint_other_instance(&target, &layers);
    }
    if let Ok(facts) = layers.django() {
        target.project.get_or_insert_with(|| facts.project.dir.clone());
        target.settings.get_or_insert_with(|| facts.project.module.clone());
    }
    let location = session::locate(&target, args.state.as_deref())?;
    Ok((target, layers, location))
}

/// When the default Apache does not serve the project and another instance
/// of the machine does, says so: the Apache items would judge the wrong
/// server.
fn hint_other_instance(target: &Target, layers: &Layers) {
    let Ok(facts) = layers.django() else { return };
    let unserved = facts
        .apache
        .as_ref()
        .is_none_or(|apache| matches!(apache.served_by, ServedBy::Unknown { .. }));
    if !unserved {
        return;
    }
    let others = portcullis::layers::instances_serving(target, &facts.project);
    if let [only] = others.as_slice() {
        eprintln!(
            "portcullis: the Apache in {} does not serve {}; the instance in {} does: give --apache-root {} to check that one",
            target.apache_root.display(),
            facts.project.dir.display(),
            only.display(),
            only.display()
        );
    } else if !others.is_empty() {
        let names: Vec<String> = others.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "portcullis: the Apache in {} does not serve {}; these instances do: {}: give --apache-root with the one to check",
            target.apache_root.display(),
            facts.project.dir.display(),
            names.join(", ")
        );
    }
}

fn check(
    args: &TargetArgs,
    checklist: &Checklist,
    format: CheckFormat,
    only: &[String],
    strict: bool,
    save: bool,
) -> Result<u8, InputError> {
    let ids = select(checklist, only)?;
    let options = run_options(args);
    let (target, layers, location) = prepare(args)?;
    let now = Timestamp::now();

    // Take the lock before looking, so that two sessions never interleave.
    let mut state = if save { Some(session::open(location, &target, now)?) } else { None };
    if let Some(state) = state.as_mut() {
        report_drift(state)?;
    }

    let ctx = Arc::new(Context { target, options, layers });
    let checklist = Arc::new(checklist.clone());
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|err| InputError::new(format!("cannot start the async runtime: {err}")))?;
    let mut findings = runtime.block_on(portcullis::engine::collect(
        Arc::clone(&checklist),
        Arc::clone(&ctx),
        ids,
    ));
    report_model_disagreements(&ctx);
    if !options.offline {
        let apache = ctx.layers.apache().ok();
        match portcullis::live::stage::site_url(ctx.target.url.as_deref(), apache) {
            Some(url) => {
                let shown = portcullis::redact::printable(&url);
                eprintln!("portcullis: probing {shown} on the wire (--offline skips this)");
                let probed = runtime.block_on(portcullis::live::stage::verify(
                    &checklist,
                    &mut findings,
                    &url,
                    apache,
                    args.resolve.clone(),
                ));
                if let Err(why) = probed {
                    let why = portcullis::redact::printable(&why);
                    eprintln!("portcullis: the live probes did not run: {why}");
                }
            }
            None => eprintln!("portcullis: no site URL is known (give --url): no live probes"),
        }
    }

    if let Some(state) = state.as_mut() {
        session::credit_rotation(state.state(), &mut findings, now);
        state
            .change(|s| s.record_findings(&findings, now))
            .map_err(|err| InputError::new(err.to_string()))?;
        session::overlay(state.state(), &mut findings, now);
    } else if let Ok(Some(saved)) =
        session::peek(&session::locate(&ctx.target, args.state.as_deref())?)
    {
        session::overlay(&saved, &mut findings, now);
    }

    let report = CheckReport { checklist: &checklist, target: &ctx.target, findings: &findings };
    let format = match format {
        CheckFormat::Text => report::Format::Text,
        CheckFormat::Json => report::Format::Json,
        CheckFormat::Markdown => report::Format::Markdown,
    };
    print!("{}", report.render(format, use_color()));
    Ok(u8::try_from(report::exit_code(&findings, strict)).unwrap_or(1))
}

/// On the live system, the Apache model is held against Apache's own dumps
/// (`apache2ctl -M`, `-S`, `-t -D DUMP_INCLUDES`); a disagreement is said.
fn report_model_disagreements(ctx: &Context) {
    let Ok(config) = ctx.layers.apache() else { return };
    if !ctx.target.is_live_system() {
        return;
    }
    match portcullis::apache::crosscheck::cross_check(config, &ctx.target) {
        Ok(disagreements) => {
            for d in disagreements {
                let text = portcullis::redact::printable(&d.text);
                eprintln!(
                    "portcullis: Apache and portcullis's model disagree on {}: {text}",
                    d.topic
                );
            }
        }
        Err(err) => tracing::info!(error = %err, "no cross-check with apache2ctl"),
    }
}

/// Files the journal touched that were changed by hand since: said on
/// stderr, and their items marked pending so that this run re-checks them.
fn report_drift(state: &mut LockedState) -> Result<(), InputError> {
    let drift = state
        .change(|s| s.mark_drift(Timestamp::now()))
        .map_err(|err| InputError::new(err.to_string()))?;
    for changed in drift {
        eprintln!(
            "portcullis: {} changed since portcullis wrote it ({:?}); re-checking {}",
            changed.path,
            changed.kind,
            changed.items.join(", ")
        );
    }
    Ok(())
}

fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// What `fix` was asked to do.
#[allow(clippy::struct_excessive_bools)] // four independent command-line switches
struct FixRequest {
    ids: Vec<String>,
    all: bool,
    only: Vec<String>,
    dry_run: bool,
    yes: bool,
    staged: bool,
}

fn fix(args: &TargetArgs, checklist: &Checklist, request: &FixRequest) -> Result<u8, InputError> {
    let ids = match (request.all, request.ids.is_empty()) {
        (true, true) => select(checklist, &request.only)?,
        (false, false) => select(checklist, &request.ids)?,
        (true, false) => return Err(InputError::new("give item ids or --all, not both")),
        (false, true) => {
            return Err(InputError::new(
                "which items? give their ids, or --all (with --only to narrow)",
            ));
        }
    };
    let (target, _layers, location) = prepare(args)?;
    let ids = if request.all { leave_decided_alone(ids, &location)? } else { ids };
    let fixer =
        Fixer { target: &target, checklist, options: run_options(args), staged: request.staged };

    let plans = fixer.plan(&ids)?;
    let mut applicable = 0;
    for (id, outcome) in &plans {
        match outcome {
            Outcome::Passes => {}
            Outcome::NoFix(why) => println!("# {id}: no fix here: {why}\n"),
            Outcome::Planned(plan) => {
                if plan.blocked.is_none() {
                    applicable += 1;
                }
                println!("{}", plan.render());
            }
        }
    }
    if request.dry_run {
        println!("dry run: nothing was changed ({applicable} plan(s) would apply)");
        return Ok(0);
    }
    if applicable == 0 {
        println!("nothing to apply");
        return Ok(u8::from(plans.iter().any(|(_, o)| !matches!(o, Outcome::Passes))));
    }
    confirm_changes(
        request.yes,
        &format!("apply {applicable} plan(s) to {}?", target.root.display()),
    )?;

    let now = Timestamp::now();
    let mut state = session::open(location, &target, now)?;
    recover(&state, &target)?;
    let results = fixer.apply(&ids, &mut state, &mut |item, step, detail| {
        if !detail.is_empty() {
            eprintln!("  {item}: {} {}", step.name(), portcullis::redact::printable(detail));
        }
    })?;

    let mut failing = false;
    for (id, result) in &results {
        match result {
            Applied::Passes => {}
            Applied::NoFix(why) => {
                failing = true;
                println!("{id}: not fixed: {why}");
            }
            Applied::Blocked { why, plan } => {
                failing = true;
                println!("{id}: not applied: {why}");
                for step in &plan.operator_steps {
                    println!("    by hand: {step}");
                }
            }
            Applied::Done { plan, .. } => {
                failing |= !plan.completes;
                let state_word = if plan.completes { "fixed" } else { "partly fixed" };
                println!("{id}: {state_word}: {}", plan.title);
                for step in &plan.operator_steps {
                    println!("    by hand: {step}");
                }
            }
            Applied::Failed { error, .. } => {
                failing = true;
                println!("{id}: FAILED, nothing changed: {error}");
            }
        }
    }
    failing |= prove_on_wire(args, checklist, &target, run_options(args), &results);
    Ok(u8::from(failing))
}

/// `--all` leaves alone what the operator decided: a skipped or waived
/// item, and one in a staged trial (a fix by its id still applies).
fn leave_decided_alone(
    ids: Vec<String>,
    location: &portcullis::state::StateLocation,
) -> Result<Vec<String>, InputError> {
    let Some(state) = session::peek(location)? else { return Ok(ids) };
    let now = Timestamp::now();
    Ok(ids
        .into_iter()
        .filter(|id| {
            let why = match state.effective_status(id, now) {
                portcullis::state::ItemStatus::Skipped => Some("skipped"),
                portcullis::state::ItemStatus::Waived => Some("waived"),
                _ => state
                    .staged
                    .iter()
                    .any(|step| &step.item == id && step.done.is_none())
                    .then_some("in a staged trial"),
            };
            if let Some(why) = why {
                println!("# {id}: left alone: {why} (fix it by its id to apply it anyway)\n");
            }
            why.is_none()
        })
        .collect())
}

/// After fixes on the running system: the site itself is asked whether each
/// fixed item took effect. True when the wire contradicts a fix.
fn prove_on_wire(
    args: &TargetArgs,
    checklist: &Checklist,
    target: &Target,
    options: RunOptions,
    results: &[(String, Applied)],
) -> bool {
    let fixed: Vec<String> = results
        .iter()
        // A staged step or a partial fix leaves the item failing on purpose.
        .filter(|(_, result)| matches!(result, Applied::Done { plan, .. } if plan.completes))
        .map(|(id, _)| id.clone())
        .collect();
    let resolve = args.resolve.clone();
    match portcullis::fix::run::verify_on_wire(target, checklist, options, &fixed, resolve) {
        Ok(findings) => {
            let mut contradicted = false;
            for finding in findings {
                let said = portcullis::redact::printable(&finding.summary);
                if finding.status == portcullis::finding::Status::Fail {
                    contradicted = true;
                    println!("{}: the live probe disagrees: {said}", finding.id);
                } else {
                    println!("{}: live probe: {said}", finding.id);
                }
            }
            contradicted
        }
        Err(why) => {
            let why = portcullis::redact::printable(&why);
            println!("the live probes did not run: {why}");
            false
        }
    }
}

/// Restores the files of a fix that a killed run left half-journaled.
fn recover(state: &LockedState, target: &Target) -> Result<(), InputError> {
    let recovered = portcullis::fix::apply::recover_interrupted(&state.location().backups_dir())
        .map_err(|err| InputError::new(format!("cannot recover an interrupted fix: {err}")))?;
    for applied in recovered {
        eprintln!(
            "portcullis: an earlier run was interrupted while fixing {}; its files under {} were restored",
            applied.item_id,
            target.root.display()
        );
    }
    Ok(())
}

/// Commands that change files ask first on a terminal; without a terminal
/// they need --yes.
fn confirm_changes(yes: bool, question: &str) -> Result<(), InputError> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(InputError::new(
            "no terminal to confirm on: run again with --yes to apply, or --dry-run to see the plans",
        ));
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).map_err(|err| InputError::new(err.to_string()))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(InputError::new("nothing was changed"))
    }
}

fn rollback(
    args: &TargetArgs,
    ids: &[String],
    all: bool,
    yes: bool,
    force: bool,
) -> Result<u8, InputError> {
    if ids.is_empty() && !all {
        return Err(InputError::new("which fixes? give item ids, or --all"));
    }
    let (target, _layers, location) = prepare(args)?;
    let now = Timestamp::now();
    let mut state = session::open(location, &target, now)?;
    let mut entries: Vec<JournalEntry> = state
        .state()
        .journal
        .iter()
        .filter(|e| e.can_roll_back() && (all || ids.contains(&e.item)))
        .cloned()
        .collect();
    if entries.is_empty() {
        println!("no applied fix to roll back");
        return Ok(0);
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.seq));
    for entry in &entries {
        let applied = entry.applied.strftime("%Y-%m-%d %H:%M UTC");
        println!("roll back {} (applied {applied}): {} file(s)", entry.item, entry.backups.len());
    }
    confirm_changes(yes, &format!("roll back {} fix(es)?", entries.len()))?;
    let mut failed = false;
    let mut restored = 0;
    for entry in &entries {
        match undo(&target, entry, force) {
            Ok(()) => {
                restored += 1;
                state
                    .change(|s| {
                        s.record_rollback(entry.seq, now);
                        s.mark_pending(&entry.item, "rolled back", now);
                    })
                    .map_err(|err| InputError::new(err.to_string()))?;
                println!("{}: rolled back", entry.item);
            }
            Err(why) => {
                failed = true;
                println!("{}: not rolled back: {why}", entry.item);
            }
        }
    }
    if restored > 0 {
        match portcullis::fix::run::reload_after_undo(&target) {
            Ok(Some(done)) => println!("{done}"),
            Ok(None) => {}
            Err(why) => {
                failed = true;
                println!("{why}");
            }
        }
    }
    Ok(u8::from(failed))
}

/// Opens the state, makes one change to an item, and says what was done.
fn change_item(
    args: &TargetArgs,
    checklist: &Checklist,
    id: &str,
    change: impl FnOnce(
        &mut portcullis::state::StateFile,
        Timestamp,
    ) -> Result<String, portcullis::state::ChangeError>,
) -> Result<u8, InputError> {
    if checklist.item(id).is_none() {
        return Err(InputError::new(format!("{id}: no such item; `portcullis list` shows them")));
    }
    let (target, _layers, location) = prepare(args)?;
    let now = Timestamp::now();
    let mut state = session::open(location, &target, now)?;
    let said = state
        .change(|s| change(s, now))
        .map_err(|err| InputError::new(err.to_string()))?
        .map_err(|err| InputError::new(err.to_string()))?;
    println!("{said}");
    Ok(0)
}

fn summary(
    args: &TargetArgs,
    checklist: &Checklist,
    format: SummaryFormat,
    only: &[String],
    strict: bool,
) -> Result<u8, InputError> {
    let ids = select(checklist, only)?;
    let (_target, _layers, location) = prepare(args)?;
    let Some(state) = session::peek(&location)? else {
        return Err(InputError::new(format!(
            "no session for this target yet ({} does not exist); run `portcullis check` first",
            location.file().display()
        )));
    };
    let items: Vec<_> =
        session::summary_items(checklist).into_iter().filter(|i| ids.contains(&i.id)).collect();
    let summary = Summary::build(&state, &items, Timestamp::now());
    let format = match format {
        SummaryFormat::Text => SummaryOutput::Text,
        SummaryFormat::Markdown => SummaryOutput::Markdown,
        SummaryFormat::Json => SummaryOutput::Json,
        SummaryFormat::Junit => SummaryOutput::Junit,
        SummaryFormat::Sarif => SummaryOutput::Sarif,
    };
    print!("{}", summary.render(format));
    Ok(u8::try_from(summary.exit_code(strict)).unwrap_or(1))
}

fn prune(args: &TargetArgs, older_than: &str) -> Result<u8, InputError> {
    let age = portcullis::state::parse_age(older_than).ok_or_else(|| {
        InputError::new(format!("--older-than {older_than}: give an age such as 30d, 12h or 2w"))
    })?;
    let (target, _layers, location) = prepare(args)?;
    let now = Timestamp::now();
    let mut state = session::open(location, &target, now)?;
    let backups = state.location().backups_dir();
    let report = state
        .change(|s| s.prune(&backups, age, now))
        .map_err(|err| InputError::new(err.to_string()))?;
    for line in report.lines() {
        println!("{line}");
    }
    Ok(0)
}

/// The demo site's copy under the state directory: unpacked the first time,
/// reused afterwards so that a demo session resumes like a real one.
fn demo_root(reset: bool) -> Result<PathBuf, InputError> {
    let state = state_dir()?;
    let root = state.join("demo");
    if reset && root.exists() {
        std::fs::remove_dir_all(&root).map_err(|err| {
            InputError::new(format!("cannot remove the old demo copy {}: {err}", root.display()))
        })?;
    }
    if !root.exists() {
        portcullis::demo::unpack(&root).map_err(|err| {
            InputError::new(format!("cannot unpack the demo site into {}: {err}", root.display()))
        })?;
    }
    Ok(root)
}

/// The platform state directory (`$XDG_STATE_HOME/portcullis`, else
/// `~/.local/state/portcullis`).
fn state_dir() -> Result<PathBuf, InputError> {
    directories::ProjectDirs::from("", "", "portcullis")
        .and_then(|dirs| dirs.state_dir().map(Path::to_path_buf))
        .ok_or_else(|| InputError::new("cannot find a state directory: set XDG_STATE_HOME or HOME"))
}

/// Logs go to a file in the state directory, never to the terminal. The
/// guard must live until exit, or the last lines are lost.
fn start_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = state_dir().ok()?;
    std::fs::create_dir_all(&dir).ok()?;
    // A small queue: the default one (128,000 lines) costs a few
    // megabytes and milliseconds at every start. When a flood fills it
    // (`PORTCULLIS_LOG=debug`), lines are dropped: the interface never waits
    // for the log file.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(4096)
        .lossy(true)
        .finish(tracing_appender::rolling::never(&dir, "portcullis.log"));
    let filter = tracing_subscriber::EnvFilter::try_from_env("PORTCULLIS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}

/// The item ids `--only` selects (sections or ids), in checklist order.
fn select(checklist: &Checklist, only: &[String]) -> Result<Vec<String>, InputError> {
    for wanted in only {
        if checklist.section(wanted).is_none() && checklist.item(wanted).is_none() {
            return Err(InputError::new(format!(
                "{wanted}: no such section or item; `portcullis list` shows them"
            )));
        }
    }
    Ok(checklist
        .items()
        .filter(|(section, _, item)| {
            only.is_empty() || only.iter().any(|w| *w == section.id || *w == item.id)
        })
        .map(|(_, _, item)| item.id.clone())
        .collect())
}

/// Builds the target from the flags. Paths of the target are inside the
/// root; a relative one is taken from the current directory when the root
/// is `/`, and from the root otherwise.
fn target_from(args: &TargetArgs) -> Result<Target, InputError> {
    let root = args.root.clone().unwrap_or_else(|| PathBuf::from("/"));
    let root = std::fs::canonicalize(&root).map_err(|err| {
        InputError::new(format!(
            "--root {}: {err}; give the directory that holds the target's filesystem",
            root.display()
        ))
    })?;
    if !root.is_dir() {
        return Err(InputError::new(format!("--root {}: not a directory", root.display())));
    }
    let inside = |path: &Path| -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else if root == Path::new("/") {
            std::env::current_dir().map_or_else(|_| path.to_path_buf(), |cwd| cwd.join(path))
        } else {
            Path::new("/").join(path)
        }
    };
    Ok(Target {
        project: args.project.as_deref().map(inside),
        settings: args.settings.clone(),
        apache_root: args
            .apache_root
            .as_deref()
            .map_or_else(|| PathBuf::from(DEFAULT_APACHE_ROOT), inside),
        env_file: args.env_file.as_deref().map(inside),
        url: args.url.clone(),
        python: args.python.clone(),
        osv_url: args.osv_url.clone(),
        root,
    })
}

fn list(checklist: &Checklist, format: ListFormat) -> String {
    match format {
        ListFormat::Json => serde_json::to_string_pretty(checklist).unwrap_or_default() + "\n",
        ListFormat::Text => report::list_text(checklist),
    }
}
