//! The top floor: the only place that wires modules together. One file per command, each
//! command's flow one function; what every command sets up (URLs, connections, schemas, the
//! plan) lives once in [`session`]. anyhow lives here and in `main` only.

mod check;
mod copy;
mod create_tables;
mod demo;
mod incremental;
mod init;
mod logging;
mod session;
mod verify;

use crate::cli::{Cli, Command};
use crate::config::ConfigError;
use crate::engine::EngineError;
use crate::engine::url::UrlError;
use crate::pipeline::TableError;
use crate::plan::PlanError;

/// Input that can never work: fix the command or config (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// `check --strict` found unmasked columns that look personal (exit 1).
#[derive(Debug, thiserror::Error)]
#[error("{0} unmasked columns look personal (--strict)")]
pub struct Unmasked(pub usize);

/// `verify` found the twin differs from what the copy makes of the source (exit 1).
#[derive(Debug, thiserror::Error)]
#[error("the target differs from what `copy` makes of the source: {0}")]
pub struct Differs(pub String);

/// Ctrl-C (SIGINT, exit 130) or SIGTERM (exit 143, how cron and Kubernetes stop a job) during a
/// run, and what that left.
#[derive(Debug, thiserror::Error)]
#[error("interrupted ({0}): {1}")]
pub struct Interrupted(pub Signal, pub &'static str);

impl Interrupted {
    /// While tables load.
    pub const LOADING: &'static str = "tables not yet committed were rolled back";
    /// While keys are added to created tables, after every table loaded.
    pub const ADDING_KEYS: &'static str =
        "every table was copied; the keys not yet added stay recorded in the target, and the next run adds them";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Int,
    Term,
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Signal::Int => "SIGINT",
            Signal::Term => "SIGTERM",
        })
    }
}

/// The first SIGINT or SIGTERM.
pub async fn interrupt() -> Signal {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => Signal::Int,
                _ = term.recv() => Signal::Term,
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    Signal::Int
}

pub mod exit {
    pub const OK: i32 = 0;
    /// The copy failed while running; committed tables stay, the failed one rolled back.
    pub const FAILED: i32 = 1;
    /// Bad input: arguments, config, URLs, or config vs schema. Nothing was written.
    pub const INVALID: i32 = 2;
    /// A database could not be reached or refused the login. Nothing was written.
    pub const CONNECT: i32 = 3;
    /// `verify`: the target differs from what `copy` makes of the source.
    pub const DIFFERS: i32 = 1;
    /// Ctrl-C (SIGINT); tables not yet committed rolled back.
    pub const INTERRUPTED: i32 = 130;
    /// SIGTERM; tables not yet committed rolled back.
    pub const TERMINATED: i32 = 143;
}

pub fn exit_code(err: &anyhow::Error) -> i32 {
    for cause in err.chain() {
        if cause.is::<ConfigError>() || cause.is::<PlanError>() || cause.is::<UrlError>() || cause.is::<Refused>() {
            return exit::INVALID;
        }
        if let Some(Interrupted(signal, _)) = cause.downcast_ref::<Interrupted>() {
            return if *signal == Signal::Term { exit::TERMINATED } else { exit::INTERRUPTED };
        }
        if let Some(EngineError::Connect { .. }) = cause.downcast_ref::<EngineError>() {
            return exit::CONNECT;
        }
        if let Some(TableError { error: EngineError::Connect { .. }, .. }) = cause.downcast_ref::<TableError>() {
            return exit::CONNECT;
        }
    }
    exit::FAILED
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Copy(args) => copy::run(&cli, args).await,
        Command::Check(args) => check::run(&cli, args).await,
        Command::Init(args) => init::run(&cli, args).await,
        Command::Demo(args) => demo::run(&cli, args).await,
        Command::Verify(args) => verify::run(&cli, args).await,
    }
}
