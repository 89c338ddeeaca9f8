//! Log lines and progress on stderr, as the global flags ask: bars on a terminal, periodic log
//! lines otherwise, or nothing.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{Cli, LogFormat, ProgressMode};
use crate::plan::Plan;
use crate::report::{Activity, Bars, LogLines, Reporter, Silent};

/// Logging for a command that shows no progress.
pub fn init(cli: &Cli) {
    init_with(cli, None);
}

/// Progress for a run, with logging set up to write above it.
pub struct Progress {
    bars: Option<Bars>,
    mode: ProgressMode,
}

impl Progress {
    /// Logging writes above the bars, so both exist from the start; the bars learn their
    /// totals once the plan knows the row estimates ([`Progress::reporter`]).
    pub fn start(cli: &Cli) -> Self {
        let mode = match cli.progress {
            ProgressMode::Auto if std::io::stderr().is_terminal() && !cli.quiet => ProgressMode::Bars,
            ProgressMode::Auto => ProgressMode::Log,
            m => m,
        };
        let bars = (mode == ProgressMode::Bars).then(Bars::new);
        init_with(cli, bars.as_ref());
        Progress { bars, mode }
    }

    /// The reporter for running `plan`, its log lines worded for `activity`.
    pub fn reporter(&self, plan: &Plan, activity: Activity) -> Arc<dyn Reporter> {
        match (&self.bars, self.mode) {
            (Some(b), _) => {
                b.set_totals(plan.tables.iter().filter_map(|t| t.row_estimate).sum(), plan.tables.len());
                Arc::new(b.clone())
            }
            (None, ProgressMode::None) => Arc::new(Silent),
            (None, _) => Arc::new(LogLines { every: Duration::from_secs(5), activity }),
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bars {
            b.finish();
        }
    }
}

fn init_with(cli: &Cli, bars: Option<&Bars>) {
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    // The driver logs every statement at info: keep it to its warnings unless asked. Its pool
    // also warns, with the socket's error, as it drops a connection that was lost: the run's
    // own error has already said so, in words.
    let filter = tracing_subscriber::EnvFilter::try_from_env("DBTWIN_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("warn,sqlx_core::pool::connection=error,dbtwin={level}"))
    });
    let ansi = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(ansi);
    let result = match (cli.log_format, bars.cloned()) {
        (LogFormat::Json, Some(b)) => builder.json().with_writer(move || b.writer()).try_init(),
        (LogFormat::Json, None) => builder.json().with_writer(std::io::stderr).try_init(),
        (LogFormat::Text, Some(b)) => builder.with_writer(move || b.writer()).try_init(),
        (LogFormat::Text, None) => builder.with_writer(std::io::stderr).try_init(),
    };
    // A second init (the demo, tests calling run twice) keeps the first subscriber.
    drop(result);
}
