//! The live stage's TLS protocol probe alone: the hand-written `ClientHello`s
//! for TLS 1.0, 1.1, 1.2 and 1.3 and the TLS 1.2 offer of suites outside
//! Mozilla's intermediate list, sent concurrently to one server, as
//! `portcullis check` sends them during its live stage. `scripts/bench` times
//! it against `testssl --protocols`; `portcullis check` itself always runs the
//! whole live stage (HTTP probes paced for `mod_evasive` included).
//!
//! Run: `cargo run --release --example tls_protocols -- URL [HOST:PORT:ADDR]`.
//! Prints one line per version: accepted (with the suite) or refused.

use std::process::ExitCode;

use portcullis::live::{LiveOptions, Prober, ResolveOverride, SiteTarget};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(url) = args.next() else {
        eprintln!("usage: tls_protocols URL [HOST:PORT:ADDR]");
        return ExitCode::from(2);
    };
    let site = match SiteTarget::from_url(&url) {
        Ok(site) => site,
        Err(err) => {
            eprintln!("tls_protocols: {err}");
            return ExitCode::from(2);
        }
    };
    let mut options = LiveOptions::new(vec![site.clone()]);
    for text in args {
        match text.parse::<ResolveOverride>() {
            Ok(resolve) => options.resolve.push(resolve),
            Err(err) => {
                eprintln!("tls_protocols: --resolve {text}: {err}");
                return ExitCode::from(2);
            }
        }
    }
    let prober = match Prober::new(options) {
        Ok(prober) => prober,
        Err(err) => {
            eprintln!("tls_protocols: {err}");
            return ExitCode::from(1);
        }
    };
    // The runtime `portcullis check` builds.
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("tls_protocols: cannot start the async runtime: {err}");
            return ExitCode::from(1);
        }
    };
    let report = runtime.block_on(prober.probe_tls(&site.https));
    println!("{}", report.address);
    for (version, handshake) in &report.versions {
        println!("  {version}: {}", handshake.describe());
    }
    println!("  TLS 1.2 outside intermediate: {}", report.outside_intermediate.describe());
    if report.versions.iter().any(|(_, h)| matches!(h, portcullis::live::Handshake::Failed { .. }))
    {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
