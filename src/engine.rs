//! The engine: runs the probes of the selected items concurrently, each
//! under a timeout, and reports what happens as typed events on a channel.
//! The headless reporters and the TUI consume the same events; the engine
//! itself never prints.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::checklist::Checklist;
use crate::finding::Finding;
use crate::probe::{self, Context, PROBE_TIMEOUT};

/// What the engine tells its consumers, in the order things happen.
#[derive(Debug, Clone)]
pub enum Event {
    /// An item's probe started.
    Started { id: String },
    /// An item's finding is ready.
    Finding(Finding),
    /// Every selected item has a finding.
    Finished { elapsed: Duration },
}

/// Runs the probes of `ids` (in checklist order) and sends events on `tx`.
/// Returns when every probe has finished or timed out. A closed channel is
/// not an error: the consumer went away, and the remaining results are
/// simply dropped.
pub async fn run(
    checklist: Arc<Checklist>,
    ctx: Arc<Context>,
    ids: Vec<String>,
    tx: mpsc::UnboundedSender<Event>,
) {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for id in ids {
        let checklist = Arc::clone(&checklist);
        let ctx = Arc::clone(&ctx);
        let tx = tx.clone();
        tasks.spawn(async move {
            let _ = tx.send(Event::Started { id: id.clone() });
            let finding = probe_with_timeout(checklist, ctx, id).await;
            let _ = tx.send(Event::Finding(finding));
        });
    }
    while tasks.join_next().await.is_some() {}
    let _ = tx.send(Event::Finished { elapsed: started.elapsed() });
}

async fn probe_with_timeout(checklist: Arc<Checklist>, ctx: Arc<Context>, id: String) -> Finding {
    let probe_id = id.clone();
    // Probes read files and run programs: they block, so they run on the
    // blocking pool and the runtime stays free to report progress.
    let work = tokio::task::spawn_blocking(move || match checklist.item(&probe_id) {
        Some(item) => probe::run(item, &ctx),
        None => Finding::unknown(&probe_id, "no such item in the checklist"),
    });
    match tokio::time::timeout(PROBE_TIMEOUT, work).await {
        Ok(Ok(finding)) => finding,
        Ok(Err(join_error)) => {
            tracing::error!(item = %id, error = %join_error, "probe panicked");
            Finding::unknown(&id, "the check failed unexpectedly (see the log file)")
        }
        Err(_) => Finding::unknown(
            &id,
            format!("the check did not finish within {} seconds", PROBE_TIMEOUT.as_secs()),
        ),
    }
}

/// Runs the engine to completion and returns the findings in checklist
/// order, for the headless commands.
pub async fn collect(
    checklist: Arc<Checklist>,
    ctx: Arc<Context>,
    ids: Vec<String>,
) -> Vec<Finding> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let order = ids.clone();
    let runner = tokio::spawn(run(checklist, ctx, ids, tx));
    let mut findings = Vec::new();
    while let Some(event) = rx.recv().await {
        if let Event::Finding(finding) = event {
            findings.push(finding);
        }
    }
    let _ = runner.await;
    findings.sort_by_key(|f| order.iter().position(|id| *id == f.id).unwrap_or(usize::MAX));
    findings
}
