//! The inner loops of a check, timed with criterion: reading the demo
//! project's settings module, loading and checking generated Apache trees of
//! 100, 1,000 and 10,000 virtual hosts, a whole offline audit of the demo
//! site (what `portcullis check --root DEMO --offline` does between parsing
//! its flags and printing), and saving the state file that audit leaves.
//!
//! Run: `cargo bench --bench inner_loops` (a filter narrows it, e.g.
//! `cargo bench --bench inner_loops -- apache`). Results go in BENCHMARKS.md.

#[path = "support/apache_tree.rs"]
mod apache_tree;

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use jiff::Timestamp;
use portcullis::apache::{ApacheConfig, checks};
use portcullis::checklist::{self, Checklist};
use portcullis::django::project;
use portcullis::django::settings::{self, AnalysisInput};
use portcullis::dpkg::Installed;
use portcullis::finding::Finding;
use portcullis::layers::{Layers, RunOptions};
use portcullis::probe::Context;
use portcullis::state::{StateFile, StateLocation};
use portcullis::target::Target;

/// The bundled demo site, unpacked as `portcullis demo` does.
fn demo_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    portcullis::demo::unpack(dir.path()).expect("the demo site unpacks");
    dir
}

fn offline() -> RunOptions {
    RunOptions { offline: true, evaluate: false }
}

/// Discovers the demo's project and reads its settings module statically
/// (the module, the `.env` it loads, the imports it makes).
fn settings_module(c: &mut Criterion) {
    let demo = demo_site();
    let target = Target::at_root(demo.path());
    c.bench_function("settings/demo config.settings", |b| {
        b.iter(|| {
            let project = project::discover(&target).expect("discovery works").expect("a project");
            let input = AnalysisInput {
                target: &target,
                project_dir: &project.dir,
                module: &project.module,
                env_file: None,
                site_packages: project.site_packages.clone(),
            };
            black_box(settings::analyze(&input).expect("the settings are read"))
        });
    });
}

/// Loads a generated tree into the model, then runs the 12 Apache checks.
fn apache_trees(c: &mut Criterion) {
    let mut group = c.benchmark_group("apache");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    let packages = Installed::default();
    for hosts in [100_u64, 1_000, 10_000] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let count = usize::try_from(hosts).expect("a small number");
        apache_tree::write_tree(dir.path(), count).expect("the tree is written");
        let target = Target::at_root(dir.path());
        group.throughput(Throughput::Elements(hosts));
        let load = || ApacheConfig::load(&target).expect("the tree loads");
        group.bench_with_input(BenchmarkId::new("load", hosts), &target, |b, _| {
            b.iter_with_large_drop(load);
        });
        // Each run on a freshly loaded model: the model works out the
        // virtual hosts and the served directories once, on first use, and
        // that is part of what a check costs.
        group.bench_with_input(BenchmarkId::new("checks", hosts), &target, |b, target| {
            b.iter_batched_ref(
                load,
                |config| {
                    for id in checks::ITEMS {
                        black_box(checks::run(id, config, &packages, target));
                    }
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

/// Everything between the flags and the report: the layers, then every
/// item's probe through the engine, as `check --offline` runs them.
fn audit(
    checklist: &Arc<Checklist>,
    root: &Path,
    runtime: &tokio::runtime::Runtime,
) -> Vec<Finding> {
    let target = Target::at_root(root);
    let layers = Layers::load(&target, offline()).expect("the demo's layers load");
    let ctx = Arc::new(Context { target, options: offline(), layers });
    let ids = checklist.items().map(|(_, _, item)| item.id.clone()).collect();
    runtime.block_on(portcullis::engine::collect(Arc::clone(checklist), ctx, ids))
}

fn demo_audit(c: &mut Criterion) {
    let demo = demo_site();
    let checklist = Arc::new(checklist::load(&[] as &[&Path]).expect("the built-in checklist"));
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let mut group = c.benchmark_group("audit");
    group.sample_size(30);
    group.bench_function("demo site, offline", |b| {
        b.iter(|| black_box(audit(&checklist, demo.path(), &runtime)));
    });
    group.finish();
}

/// Saves the state a first check of the demo site leaves: every item's
/// result and baseline, written atomically (temp file, fsync, rename).
fn state_save(c: &mut Criterion) {
    let demo = demo_site();
    let checklist = Arc::new(checklist::load(&[] as &[&Path]).expect("the built-in checklist"));
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let findings = audit(&checklist, demo.path(), &runtime);
    let now = Timestamp::now();
    let mut state = StateFile::new(Target::at_root(demo.path()), now);
    state.record_findings(&findings, now);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let location = StateLocation::explicit(dir.path().join("state.json"));
    c.bench_function("state/save after the demo audit", |b| {
        b.iter(|| location.save(black_box(&state)).expect("the state is saved"));
    });
}

criterion_group!(benches, settings_module, apache_trees, demo_audit, state_save);
criterion_main!(benches);
