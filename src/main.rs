//! The `portcullis` command line: parses flags into a target and options,
//! then hands over to the library. Exit status: 0 nothing fails, 1 something
//! fails, 2 a usage or input error.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};
use portcullis::checklist::{self, Checklist};
use portcullis::layers::{InputError, Layers};
use portcullis::probe::{Context, RunOptions};
use portcullis::report::{self, CheckReport};
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
    command: Command,
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
    /// A Python interpreter of this machine to evaluate the project with.
    #[arg(long, global = true, value_name = "PATH")]
    python: Option<PathBuf>,
    /// Send nothing over the network.
    #[arg(long, global = true)]
    offline: bool,
    /// Also evaluate the settings in the project's own Python.
    #[arg(long, global = true)]
    evaluate: bool,
    /// More checklist files to load (repeatable).
    #[arg(long, global = true, value_name = "FILE")]
    checklist: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// List the checklist's sections, topics and items.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
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
    },
    /// Open the terminal interface that walks through the checklist.
    Tui {
        /// A theme by name (dark, light, high-contrast) or a theme file.
        #[arg(long, value_name = "NAME|FILE")]
        theme: Option<String>,
        /// Plain ASCII: no Unicode line drawing or spinner glyphs.
        #[arg(long)]
        ascii: bool,
    },
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
    match cli.command {
        Command::List { format } => {
            print!("{}", list(&checklist, format));
            Ok(0)
        }
        Command::Check { format, only, strict } => {
            check(&cli.target, &checklist, format, &only, strict)
        }
        Command::Tui { theme, ascii } => tui(&cli.target, checklist, theme.as_deref(), ascii),
    }
}

/// Opens the terminal interface; once it closes, prints the summary.
fn tui(
    args: &TargetArgs,
    checklist: Checklist,
    theme: Option<&str>,
    ascii: bool,
) -> Result<u8, InputError> {
    use portcullis::tui::{Look, TuiOptions, Unconnected, run_tui};

    let look = Look::from_environment(theme, ascii)
        .map_err(|err| InputError::new(format!("--theme: {err}")))?;
    let options =
        RunOptions { offline: args.offline, evaluate: args.evaluate || args.python.is_some() };
    let target = target_from(args)?;
    let layers = Layers::load(&target, options)?;
    let ctx = Arc::new(Context { target, options, layers });

    let runtime = tokio::runtime::Runtime::new()
        .map_err(|err| InputError::new(format!("cannot start the async runtime: {err}")))?;
    let outcome = runtime
        .block_on(run_tui(Arc::new(checklist), ctx, Arc::new(Unconnected), TuiOptions { look }))
        .map_err(|err| InputError::new(format!("the terminal interface failed: {err}")))?;
    // After a dropped SSH connection there is no terminal left to print to;
    // the state file holds the session, so a failed write is not an error.
    let mut stdout = std::io::stdout().lock();
    for line in &outcome.summary {
        let _ = writeln!(stdout, "{line}");
    }
    Ok(u8::try_from(report::exit_code(&outcome.findings, false)).unwrap_or(1))
}

fn check(
    args: &TargetArgs,
    checklist: &Checklist,
    format: CheckFormat,
    only: &[String],
    strict: bool,
) -> Result<u8, InputError> {
    let ids = select(checklist, only)?;
    let options =
        RunOptions { offline: args.offline, evaluate: args.evaluate || args.python.is_some() };
    let target = target_from(args)?;
    let layers = Layers::load(&target, options)?;
    let ctx = Arc::new(Context { target, options, layers });
    let checklist = Arc::new(checklist.clone());

    let runtime = tokio::runtime::Runtime::new()
        .map_err(|err| InputError::new(format!("cannot start the async runtime: {err}")))?;
    let findings = runtime.block_on(portcullis::engine::collect(
        Arc::clone(&checklist),
        Arc::clone(&ctx),
        ids,
    ));

    let report = CheckReport { checklist: &checklist, target: &ctx.target, findings: &findings };
    let format = match format {
        CheckFormat::Text => report::Format::Text,
        CheckFormat::Json => report::Format::Json,
        CheckFormat::Markdown => report::Format::Markdown,
    };
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    print!("{}", report.render(format, color));
    Ok(u8::try_from(report::exit_code(&findings, strict)).unwrap_or(1))
}

/// The item ids `--only` selects (sections or ids), in checklist order.
fn select(checklist: &Checklist, only: &[String]) -> Result<Vec<String>, InputError> {
    for wanted in only {
        if checklist.section(wanted).is_none() && checklist.item(wanted).is_none() {
            return Err(InputError::new(format!(
                "--only {wanted}: no such section or item; `portcullis list` shows them"
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
        root,
    })
}

fn list(checklist: &Checklist, format: ListFormat) -> String {
    match format {
        ListFormat::Json => serde_json::to_string_pretty(checklist).unwrap_or_default() + "\n",
        ListFormat::Text => report::list_text(checklist),
    }
}
