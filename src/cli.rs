//! The command line as clap reads it: types only. What each command does is `app`'s.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "dbtwin", version, about = "Copy a database into a safe twin, anonymizing personal data on the way.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More log output on stderr (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only warnings and errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Progress display: bars on a terminal, periodic log lines otherwise.
    #[arg(long, global = true, value_enum, default_value_t = ProgressMode::Auto)]
    pub progress: ProgressMode,
    /// Log line format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Copy every table of the source into the target, masking the configured columns.
    Copy(CopyArgs),
    /// Check a config against the source without copying: print the plan and flag unmasked
    /// columns that look personal. Exit 0 clean, 1 warnings with --strict, 2 errors.
    Check(CheckArgs),
    /// Write a starter mask config for the source's schema to stdout: a suggested rule for
    /// every column that looks personal. `dbtwin init --source URL > mask.yaml`
    Init(InitArgs),
    /// Create a small SQLite "production" database with personal data and copy it, masked, into
    /// a twin with the bundled example config. Needs no server. Rewrites the demo's own files
    /// (prod.db, twin.db, mask.yaml) in DIR.
    Demo(DemoArgs),
    /// Check that a twin is what `copy` with this config makes of the source: the same rows,
    /// unmasked values equal, masked values what their rules give, no original left. Exit 0
    /// the twin matches, 1 differences found, 2 bad input, 3 cannot connect.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The YAML mask config the twin was copied with.
    #[arg(short, long, value_name = "FILE")]
    pub config: PathBuf,
    /// Source database URL; overrides `source:` in the config.
    #[arg(long, value_name = "URL", env = "DBTWIN_SOURCE", hide_env_values = true)]
    pub source: Option<String>,
    /// Target database URL; overrides `target:` in the config.
    #[arg(long, value_name = "URL", env = "DBTWIN_TARGET", hide_env_values = true)]
    pub target: Option<String>,
    /// Only these tables (source names, `table` or `schema.table`).
    #[arg(long, value_delimiter = ',', value_name = "TABLES")]
    pub tables: Vec<String>,
    /// The findings as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// The seed the copy was made with (a config without a `secret`): masked values are then
    /// checked one by one.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Tables compared at the same time.
    #[arg(short, long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// A quick look: compare only N rows per table, drawn by keyed hash of the key from both
    /// sides' keys (the same rows every run with a `secret` or --seed).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub sample: Option<u32>,
    /// Memory (MiB) a subset's chosen keys may take before they spill to a scratch file in the
    /// temporary directory (TMPDIR), which goes when the run ends.
    #[arg(long, value_name = "MIB", default_value_t = 64, value_parser = clap::value_parser!(u32).range(0..=1_048_576))]
    pub key_memory: u32,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the demo's databases and config are written.
    #[arg(long, value_name = "DIR", default_value = "dbtwin-demo")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Source database URL.
    #[arg(long, value_name = "URL", env = "DBTWIN_SOURCE", hide_env_values = true)]
    pub source: String,
    /// Schemas to include (default: PostgreSQL `public`, MySQL the URL's database).
    #[arg(long, value_delimiter = ',')]
    pub schemas: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The YAML mask config.
    #[arg(short, long, value_name = "FILE")]
    pub config: PathBuf,
    /// Source database URL; overrides `source:` in the config.
    #[arg(long, value_name = "URL", env = "DBTWIN_SOURCE", hide_env_values = true)]
    pub source: Option<String>,
    /// Fail (exit 1) when a column looks personal but is not masked: a CI gate.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The YAML mask config.
    #[arg(short, long, value_name = "FILE")]
    pub config: PathBuf,
    /// Source database URL; overrides `source:` in the config.
    #[arg(long, value_name = "URL", env = "DBTWIN_SOURCE", hide_env_values = true)]
    pub source: Option<String>,
    /// Target database URL; overrides `target:` in the config.
    #[arg(long, value_name = "URL", env = "DBTWIN_TARGET", hide_env_values = true)]
    pub target: Option<String>,
    /// Tables copied at the same time.
    #[arg(short, long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Validate everything and show the plan and a few rows before and after masking; write
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: print the original values beside the masked ones even when stdout is not
    /// a terminal (by default a log or CI job gets only their length).
    #[arg(long, requires = "dry_run")]
    pub show_originals: bool,
    /// Rows per batch between reader and writer (memory is bounded by this, and by 1 MiB of
    /// values per batch, not by table size).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub batch_rows: u32,
    /// Make a run without a `secret` reproducible: the same seed, source and config give a
    /// byte-identical target (for CI fixtures).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Seconds a target table may stay locked by another session before its copy fails,
    /// naming who holds it.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=86_400))]
    pub lock_wait: u32,
    /// Create source tables missing from the target, with types mapped to the target engine;
    /// unique keys and foreign keys are added after the data is loaded.
    #[arg(long)]
    pub create_tables: bool,
    /// Write the run's report as JSON to FILE when it ends, however it ends (replaced whole).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Memory (MiB) a subset's chosen keys may take before they spill to a scratch file in the
    /// temporary directory (TMPDIR), which goes when the run ends.
    #[arg(long, value_name = "MIB", default_value_t = 64, value_parser = clap::value_parser!(u32).range(0..=1_048_576))]
    pub key_memory: u32,
    /// Read every row of the incremental tables, as if no run had come before (the state
    /// table's marks are replaced when each table commits).
    #[arg(long)]
    pub restart: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressMode {
    Auto,
    Bars,
    Log,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}
