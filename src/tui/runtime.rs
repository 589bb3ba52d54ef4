//! The terminal loop: owns the screen, turns key presses, engine events,
//! producer results, ticks and signals into actions, runs the update step,
//! performs the effects off the loop and redraws once per batch. It redraws
//! only after something happened, and ticks only while a spinner turns.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::StreamExt;
use ratatui::crossterm::event::{Event as TermEvent, EventStream};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

use crate::checklist::Checklist;
use crate::finding::Finding;
use crate::layers::Layers;
use crate::probe::Context;
use crate::tui::app::{
    Action, App, ApplyOutcome, ApplyStep, Effect, FixChoice, JournalRow, Mark, PlanView,
    ResumeOffer, TargetField, TargetView, update,
};
use crate::tui::keys::action_for;
use crate::tui::view::{Look, draw};

/// How often a spinner moves.
const TICK: Duration = Duration::from_millis(100);

/// The most queued messages folded into one redraw.
const BATCH: usize = 256;

/// What the state file should hold after a change: the findings as shown,
/// the operator's decisions and where the walk stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub findings: Vec<Finding>,
    pub marks: Vec<(String, Mark)>,
    pub position: Option<String>,
}

impl App {
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            findings: self.effective_findings(),
            marks: self
                .items()
                .iter()
                .filter_map(|item| item.mark.clone().map(|mark| (item.id.clone(), mark)))
                .collect(),
            position: self.selected_item().map(|item| item.id.clone()),
        }
    }
}

/// A saved session's decisions and the item the operator was on.
pub type Resumed = (Vec<(String, Mark)>, Option<String>);

/// The producers the interface needs beyond the engine: the state file, the
/// fix pipeline and its journal. Every method may block (files, commands);
/// the runtime calls them on the blocking pool, never in the loop itself.
pub trait Backend: Send + Sync + 'static {
    /// The saved session of this target, to offer on the Start screen.
    fn saved(&self) -> Option<ResumeOffer>;
    /// The saved decisions and the item the operator was on.
    fn resume(&self) -> Result<Resumed, String>;
    /// Keeps one decision (skip, waiver, confirmation).
    fn record(&self, id: &str, mark: &Mark) -> Result<(), String>;
    fn save(&self, snapshot: &Snapshot) -> Result<(), String>;
    /// The plan of an item's fix on this target.
    fn plan(&self, ctx: &Context, id: &str) -> Result<PlanView, String>;
    /// Applies a plan, reporting each step as it happens.
    fn apply(
        &self,
        ctx: &Context,
        id: &str,
        choice: FixChoice,
        progress: &mut dyn FnMut(ApplyStep),
    ) -> ApplyOutcome;
    fn journal(&self) -> Vec<JournalRow>;
    /// Undoes one journal entry; returns the item id it fixed.
    fn rollback(&self, entry: &str) -> Result<String, String>;
    /// The findings with the site's answers beside the configuration, for
    /// the items that have live probes; `None` when the site is not asked
    /// (another root, `--offline`, no URL).
    fn on_wire(&self, _ids: &[String]) -> Option<Vec<Finding>> {
        None
    }
}

/// A session with no state file and no fix pipeline: the walk-through
/// works, decisions last as long as the program, and fixes say why not.
pub struct Unconnected;

const NOT_CONNECTED: &str = "the fix pipeline is not part of this build yet";

impl Backend for Unconnected {
    fn saved(&self) -> Option<ResumeOffer> {
        None
    }
    fn resume(&self) -> Result<Resumed, String> {
        Err("there is no saved session".to_owned())
    }
    fn record(&self, _id: &str, _mark: &Mark) -> Result<(), String> {
        Ok(())
    }
    fn save(&self, _snapshot: &Snapshot) -> Result<(), String> {
        Ok(())
    }
    fn plan(&self, _ctx: &Context, _id: &str) -> Result<PlanView, String> {
        Err(NOT_CONNECTED.to_owned())
    }
    fn apply(
        &self,
        _ctx: &Context,
        _id: &str,
        _choice: FixChoice,
        _progress: &mut dyn FnMut(ApplyStep),
    ) -> ApplyOutcome {
        ApplyOutcome::RolledBack {
            failed_step: "plan".to_owned(),
            message: NOT_CONNECTED.to_owned(),
            validator_output: String::new(),
        }
    }
    fn journal(&self) -> Vec<JournalRow> {
        Vec::new()
    }
    fn rollback(&self, _entry: &str) -> Result<String, String> {
        Err(NOT_CONNECTED.to_owned())
    }
}

/// How the interface should look.
#[derive(Debug, Clone)]
pub struct TuiOptions {
    pub look: Look,
}

/// What the session ended with, for the summary printed after the screen
/// is restored.
#[derive(Debug, Clone)]
pub struct TuiOutcome {
    pub findings: Vec<Finding>,
    pub summary: Vec<String>,
}

/// Messages to the loop from its background work.
enum Incoming {
    Action(Action),
    /// Discovery of a corrected target finished.
    Retargeted(Arc<Context>, TargetView),
}

/// Leaves the alternate screen and raw mode however the loop ends.
struct RestoreOnDrop;

impl Drop for RestoreOnDrop {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Opens the interface on the terminal and runs it until the operator
/// leaves (or a signal asks, once no apply is in progress). The terminal is
/// restored on return, on error and on panic.
/// Set to a file path, the benchmark's variable: after the first frame is
/// drawn, the wall clock (nanoseconds since the epoch) and how many checks
/// were done are written there. Unset in normal runs, and then nothing is
/// written.
pub const BENCH_FIRST_FRAME: &str = "PORTCULLIS_BENCH_FIRST_FRAME";

fn note_first_frame(path: &std::ffi::OsStr, app: &App) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let counts = app.counts(None);
    let line = format!("{nanos} {} {}\n", counts.done, counts.total);
    // A benchmark aid: a failed write shows up as a missing figure there.
    let _ = std::fs::write(path, line);
}

pub async fn run_tui(
    checklist: Arc<Checklist>,
    ctx: Arc<Context>,
    session: Arc<dyn Backend>,
    options: TuiOptions,
) -> anyhow::Result<TuiOutcome> {
    let today = jiff::ZonedDateTime::now().date();
    let mut app = App::new(&checklist, TargetView::from_target(&ctx.target), today);
    let (tx, mut rx) = mpsc::unbounded_channel::<Incoming>();
    let mut runner = Runner {
        checklist,
        ctx,
        session,
        tx,
        generation: Arc::new(AtomicU64::new(0)),
        changes: Arc::new(AtomicU64::new(0)),
    };

    let mut terminal = ratatui::try_init()?;
    let _restore = RestoreOnDrop;
    let mut terminate = signal(SignalKind::terminate()).ok();
    let mut hangup = signal(SignalKind::hangup()).ok();
    let mut interrupt = signal(SignalKind::interrupt()).ok();
    let mut keys = EventStream::new();
    let mut keys_open = true;
    let mut screen_open = true;
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    runner.offer_resume();
    for effect in app.start() {
        runner.perform(effect, &app).await;
    }

    // Drawn only after a batch of actions changed something: an idle
    // session neither redraws nor wakes up.
    let mut changed = true;
    let mut first_frame = std::env::var_os(BENCH_FIRST_FRAME);
    loop {
        if changed
            && screen_open
            && terminal.draw(|frame| draw(frame, &app, &options.look)).is_err()
        {
            // The terminal went away (a dropped SSH connection): keep going
            // without a screen until the signal or the apply lets us leave.
            screen_open = false;
        }
        if let Some(path) = first_frame.take() {
            note_first_frame(&path, &app);
        }
        changed = false;
        let animating = app.is_animating();
        let mut actions = Vec::new();
        tokio::select! {
            event = keys.next(), if keys_open => match event {
                Some(Ok(TermEvent::Key(key))) => actions.extend(action_for(&app, key)),
                Some(Ok(TermEvent::Resize(..))) => actions.push(Action::Resize),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    keys_open = false;
                    actions.push(Action::Terminate);
                }
            },
            Some(message) = rx.recv() => {
                runner.receive(message, &mut actions);
                while actions.len() < BATCH {
                    match rx.try_recv() {
                        Ok(message) => runner.receive(message, &mut actions),
                        Err(_) => break,
                    }
                }
            },
            () = recv_signal(&mut terminate) => actions.push(Action::Terminate),
            () = recv_signal(&mut hangup) => actions.push(Action::Terminate),
            () = recv_signal(&mut interrupt) => actions.push(Action::Terminate),
            _ = ticker.tick(), if animating => actions.push(Action::Tick),
        }
        if actions.is_empty() {
            continue;
        }
        changed = true;
        for action in actions {
            for effect in update(&mut app, action) {
                runner.perform(effect, &app).await;
            }
        }
        if app.is_quitting() {
            break;
        }
    }
    drop(terminal);
    Ok(TuiOutcome { findings: app.effective_findings(), summary: app.summary_lines() })
}

/// Waits for a signal; never returns when the handler could not be set up.
async fn recv_signal(signal: &mut Option<Signal>) {
    match signal {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}

/// Performs effects: each one becomes background work whose result comes
/// back to the loop as a message.
struct Runner {
    checklist: Arc<Checklist>,
    ctx: Arc<Context>,
    session: Arc<dyn Backend>,
    tx: mpsc::UnboundedSender<Incoming>,
    /// Bumped when the target changes, so that findings of a run against
    /// the old target are dropped instead of shown against the new one.
    generation: Arc<AtomicU64>,
    /// Bumped by every fix and rollback, so that the wire's answers to an
    /// earlier run never overwrite what the change made true since.
    changes: Arc<AtomicU64>,
}

impl Runner {
    fn receive(&mut self, message: Incoming, actions: &mut Vec<Action>) {
        match message {
            Incoming::Action(action) => actions.push(action),
            Incoming::Retargeted(ctx, view) => {
                self.ctx = ctx;
                self.generation.fetch_add(1, Ordering::SeqCst);
                actions.push(Action::TargetChanged(view));
            }
        }
    }

    fn offer_resume(&self) {
        let session = Arc::clone(&self.session);
        self.blocking(move || session.saved().map(Action::ResumeOffered));
    }

    /// Runs `work` on the blocking pool and sends its action, if any.
    fn blocking(&self, work: impl FnOnce() -> Option<Action> + Send + 'static) {
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            if let Some(action) = work() {
                let _ = tx.send(Incoming::Action(action));
            }
        });
    }

    async fn perform(&mut self, effect: Effect, app: &App) {
        let session = Arc::clone(&self.session);
        match effect {
            Effect::RunChecks { ids } => self.run_checks(ids),
            Effect::PreparePlan { id } => {
                let ctx = Arc::clone(&self.ctx);
                self.blocking(move || {
                    Some(match session.plan(&ctx, &id) {
                        Ok(plan) => Action::PlanReady { id, plan },
                        Err(reason) => Action::PlanUnavailable { id, reason },
                    })
                });
            }
            Effect::Apply { id, choice } => {
                self.changes.fetch_add(1, Ordering::SeqCst);
                let ctx = Arc::clone(&self.ctx);
                let tx = self.tx.clone();
                let changes = Arc::clone(&self.changes);
                self.blocking(move || {
                    let mut progress = |step: ApplyStep| {
                        let step = Action::ApplyProgress { id: id.clone(), step };
                        let _ = tx.send(Incoming::Action(step));
                    };
                    let outcome = session.apply(&ctx, &id, choice, &mut progress);
                    changes.fetch_add(1, Ordering::SeqCst);
                    Some(Action::ApplyFinished { id, outcome })
                });
            }
            Effect::Record { id, mark } => self.blocking(move || {
                session.record(&id, &mark).err().map(|err| {
                    Action::Problem(format!("could not keep the decision on {id}: {err}"))
                })
            }),
            Effect::Rollback { entry } => {
                self.changes.fetch_add(1, Ordering::SeqCst);
                let changes = Arc::clone(&self.changes);
                self.blocking(move || {
                    let result = session.rollback(&entry);
                    changes.fetch_add(1, Ordering::SeqCst);
                    Some(Action::RollbackFinished { entry, result })
                });
            }
            Effect::LoadJournal => {
                self.blocking(move || Some(Action::JournalLoaded(session.journal())));
            }
            Effect::Resume => self.blocking(move || {
                Some(match session.resume() {
                    Ok((marks, position)) => Action::SessionResumed { marks, position },
                    Err(err) => Action::Problem(format!("cannot resume: {err}")),
                })
            }),
            Effect::Retarget { field, value } => self.retarget(field, value),
            Effect::SaveState => {
                // Awaited, so that a save asked for on the way out lands
                // before the program ends.
                let snapshot = app.snapshot();
                let saved = tokio::task::spawn_blocking(move || session.save(&snapshot)).await;
                let problem = match saved {
                    Ok(Ok(())) => None,
                    Ok(Err(err)) => Some(err),
                    Err(err) => Some(err.to_string()),
                };
                if let Some(err) = problem {
                    tracing::error!(error = %err, "saving the session failed");
                    let message = format!("could not save the session: {err}");
                    let _ = self.tx.send(Incoming::Action(Action::Problem(message)));
                }
            }
            Effect::Quit => {}
        }
    }

    fn run_checks(&self, ids: Vec<String>) {
        let (events_tx, mut events) = mpsc::unbounded_channel();
        let checklist = Arc::clone(&self.checklist);
        let ctx = Arc::clone(&self.ctx);
        tokio::spawn(async move {
            // Read the target afresh: a fix or a rollback may have changed
            // its files since the context was built.
            let target = ctx.target.clone();
            let options = ctx.options;
            let fresh = tokio::task::spawn_blocking(move || Layers::load(&target, options)).await;
            let ctx = match fresh {
                Ok(Ok(layers)) => Arc::new(Context { target: ctx.target.clone(), options, layers }),
                _ => ctx,
            };
            crate::engine::run(checklist, ctx, ids, events_tx).await;
        });
        let tx = self.tx.clone();
        let generation = Arc::clone(&self.generation);
        let started_in = generation.load(Ordering::SeqCst);
        let session = Arc::clone(&self.session);
        let changes = Arc::clone(&self.changes);
        tokio::spawn(async move {
            let mut checked = Vec::new();
            while let Some(event) = events.recv().await {
                if generation.load(Ordering::SeqCst) != started_in {
                    return;
                }
                if let crate::engine::Event::Finding(finding) = &event {
                    checked.push(finding.id.clone());
                }
                if tx.send(Incoming::Action(Action::from(event))).is_err() {
                    return;
                }
            }
            // Then the wire: each item with live probes is shown again with
            // the site's answers beside its configuration. A fix or rollback
            // made meanwhile makes those answers old: ask again.
            let checked = Arc::new(checked);
            for _ in 0..3 {
                let before = changes.load(Ordering::SeqCst);
                let (session, ids) = (Arc::clone(&session), Arc::clone(&checked));
                let wire = tokio::task::spawn_blocking(move || session.on_wire(&ids)).await;
                if generation.load(Ordering::SeqCst) != started_in {
                    return;
                }
                if changes.load(Ordering::SeqCst) != before {
                    continue;
                }
                for finding in wire.ok().flatten().unwrap_or_default() {
                    let _ = tx.send(Incoming::Action(Action::CheckFinished(finding)));
                }
                return;
            }
        });
    }

    /// Re-discovers the target with one field corrected; the loop swaps the
    /// context in when discovery succeeds.
    fn retarget(&self, field: TargetField, value: String) {
        let mut target = self.ctx.target.clone();
        let options = self.ctx.options;
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let rejected =
                |message: String| Incoming::Action(Action::TargetRejected { field, message });
            let inside = |value: &str| std::path::Path::new("/").join(value);
            match field {
                TargetField::Root => match std::fs::canonicalize(&value) {
                    Ok(root) if root.is_dir() => target.root = root,
                    Ok(_) => {
                        let _ = tx.send(rejected(format!("{value} is not a directory")));
                        return;
                    }
                    Err(err) => {
                        let _ = tx.send(rejected(format!("{value}: {err}")));
                        return;
                    }
                },
                TargetField::Project => target.project = Some(inside(&value)),
                TargetField::Settings => target.settings = Some(value),
                TargetField::ApacheRoot => target.apache_root = inside(&value),
                TargetField::Url => target.url = Some(value).filter(|url| !url.is_empty()),
            }
            let message = match Layers::load(&target, options) {
                Ok(layers) => {
                    let view = TargetView::from_target(&target);
                    Incoming::Retargeted(Arc::new(Context { target, options, layers }), view)
                }
                Err(err) => rejected(err.message),
            };
            let _ = tx.send(message);
        });
    }
}
