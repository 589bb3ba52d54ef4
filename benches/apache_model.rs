//! Parses and checks generated Apache trees of 100, 1,000 and 10,000
//! virtual hosts (Debian's layout, one site file per host, each with TLS,
//! logs, an alias with a `<Directory>`), and prints the time of each stage.
//! One run per size, wall clock: the quick look. `benches/inner_loops.rs`
//! times the same trees with criterion's statistics.
//! Run: `cargo bench --bench apache_model`. Results go in BENCHMARKS.md.

#[path = "support/apache_tree.rs"]
mod apache_tree;

use std::time::Instant;

use portcullis::apache::{ApacheConfig, checks};
use portcullis::dpkg::Installed;
use portcullis::target::Target;

fn main() {
    println!("| virtual hosts | load the tree | run the 12 Apache checks | total |");
    println!("| --- | --- | --- | --- |");
    for hosts in [100, 1_000, 10_000] {
        let dir = tempfile::tempdir().expect("tempdir");
        apache_tree::write_tree(dir.path(), hosts).expect("the tree is written");
        let target = Target::at_root(dir.path());
        let started = Instant::now();
        let config = ApacheConfig::load(&target).expect("the generated tree loads");
        let loaded = started.elapsed();
        let packages = Installed::default();
        let checking = Instant::now();
        for id in checks::ITEMS {
            let finding = checks::run(id, &config, &packages, &target);
            std::hint::black_box(finding);
        }
        let checked = checking.elapsed();
        println!(
            "| {hosts} | {:.3} s | {:.3} s | {:.3} s |",
            loaded.as_secs_f64(),
            checked.as_secs_f64(),
            started.elapsed().as_secs_f64()
        );
    }
}
