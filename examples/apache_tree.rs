//! Writes the benchmarks' generated Apache tree (see
//! `benches/support/apache_tree.rs`) under a directory, for `scripts/bench`
//! to time `portcullis check --root DIR` and `apache2ctl -t` on the same files.
//!
//! Run: `cargo run --release --example apache_tree -- DIR HOSTS`.

#[path = "../benches/support/apache_tree.rs"]
mod apache_tree;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), Some(hosts)) = (args.next(), args.next()) else {
        eprintln!("usage: apache_tree DIR HOSTS");
        return ExitCode::from(2);
    };
    let Some(hosts) = hosts.to_str().and_then(|h| h.parse::<usize>().ok()) else {
        eprintln!("apache_tree: HOSTS must be a number");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    match apache_tree::write_tree(&dir, hosts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("apache_tree: cannot write {}: {err}", dir.display());
            ExitCode::from(1)
        }
    }
}
