//! Command-line front end: parses arguments, sets up logging and progress, runs a command, and
//! maps failures to exit codes. anyhow lives here and in `main` only.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{self, ConfigError};
use crate::dburl::{DbUrl, UrlError};
use crate::engine::{self, BatchLimits, ConnectOptions, EngineError, ddl};
use crate::mask::Keyring;
use crate::pipeline::{self, Settings};
use crate::plan::{self, PlanError, PlanOptions};
use crate::report::{self, Bars, LogLines, Reporter, Silent};
use crate::schema::TableName;

#[derive(Debug, Parser)]
#[command(name = "dbtwin", version, about = "Copy a database into a safe twin, anonymizing personal data on the way.")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// More log output on stderr (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only warnings and errors on stderr.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Progress display: bars on a terminal, periodic log lines otherwise.
    #[arg(long, global = true, value_enum, default_value_t = ProgressMode::Auto)]
    progress: ProgressMode,
    /// Log line format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
enum Command {
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
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Where the demo's databases and config are written.
    #[arg(long, value_name = "DIR", default_value = "dbtwin-demo")]
    dir: PathBuf,
}

#[derive(Debug, Args)]
struct InitArgs {
    /// Source database URL.
    #[arg(long, value_name = "URL", env = "DBTWIN_SOURCE", hide_env_values = true)]
    source: String,
    /// Schemas to include (default: PostgreSQL `public`, MySQL the URL's database).
    #[arg(long, value_delimiter = ',')]
    schemas: Vec<String>,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The YAML mask config.
    #[arg(short, long, value_name = "FILE")]
    config: PathBuf,
    /// Source database URL; overrides `source:` in the config.
    #[arg(long, value_name = "URL", env = "DBTWIN_SOURCE", hide_env_values = true)]
    source: Option<String>,
    /// Fail (exit 1) when a column looks personal but is not masked: a CI gate.
    #[arg(long)]
    strict: bool,
}

#[derive(Debug, Args)]
struct CopyArgs {
    /// The YAML mask config.
    #[arg(short, long, value_name = "FILE")]
    config: PathBuf,
    /// Source database URL; overrides `source:` in the config.
    #[arg(long, value_name = "URL", env = "DBTWIN_SOURCE", hide_env_values = true)]
    source: Option<String>,
    /// Target database URL; overrides `target:` in the config.
    #[arg(long, value_name = "URL", env = "DBTWIN_TARGET", hide_env_values = true)]
    target: Option<String>,
    /// Tables copied at the same time.
    #[arg(short, long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: u16,
    /// Validate everything and show the plan and a few rows before and after masking; write
    /// nothing.
    #[arg(long)]
    dry_run: bool,
    /// Rows per batch between reader and writer (memory is bounded by this, not by table size).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    batch_rows: u32,
    /// Make a run without a `secret` reproducible: the same seed, source and config give a
    /// byte-identical target (for CI fixtures).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Create source tables missing from the target, with types mapped to the target engine;
    /// unique keys and foreign keys are added after the data is loaded.
    #[arg(long)]
    create_tables: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ProgressMode {
    Auto,
    Bars,
    Log,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Input that can never work: fix the command or config (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// `check --strict` found unmasked columns that look personal (exit 1).
#[derive(Debug, thiserror::Error)]
#[error("{0} unmasked columns look personal (--strict)")]
pub struct Unmasked(pub usize);

/// Ctrl-C during a run (exit 130).
#[derive(Debug, thiserror::Error)]
#[error("interrupted: tables not yet committed were rolled back")]
pub struct Interrupted;

pub mod exit {
    pub const OK: i32 = 0;
    /// The copy failed while running; committed tables stay, the failed one rolled back.
    pub const FAILED: i32 = 1;
    /// Bad input: arguments, config, URLs, or config vs schema. Nothing was written.
    pub const INVALID: i32 = 2;
    /// A database could not be reached or refused the login. Nothing was written.
    pub const CONNECT: i32 = 3;
    pub const INTERRUPTED: i32 = 130;
}

pub fn exit_code(err: &anyhow::Error) -> i32 {
    for cause in err.chain() {
        if cause.is::<ConfigError>() || cause.is::<PlanError>() || cause.is::<UrlError>() || cause.is::<Refused>() {
            return exit::INVALID;
        }
        if cause.is::<Interrupted>() {
            return exit::INTERRUPTED;
        }
        if let Some(EngineError::Connect { .. }) = cause.downcast_ref::<EngineError>() {
            return exit::CONNECT;
        }
    }
    exit::FAILED
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Copy(ref args) => copy(&cli, args).await,
        Command::Check(ref args) => check(&cli, args).await,
        Command::Init(ref args) => init(&cli, args).await,
        Command::Demo(ref args) => demo(&cli, args).await,
    }
}

fn init_logging(cli: &Cli, bars: Option<&Bars>) {
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    // The driver logs every statement at info: keep it to its warnings unless asked.
    let filter = tracing_subscriber::EnvFilter::try_from_env("DBTWIN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("warn,dbtwin={level}")));
    let ansi = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(ansi);
    let result = match (cli.log_format, bars.cloned()) {
        (LogFormat::Json, Some(b)) => builder.json().with_writer(move || b.writer()).try_init(),
        (LogFormat::Json, None) => builder.json().with_writer(std::io::stderr).try_init(),
        (LogFormat::Text, Some(b)) => builder.with_writer(move || b.writer()).try_init(),
        (LogFormat::Text, None) => builder.with_writer(std::io::stderr).try_init(),
    };
    // A second init (tests calling run twice) keeps the first subscriber.
    drop(result);
}

fn url(cli_value: Option<&str>, config_value: Option<&config::EnvString>, what: &'static str) -> anyhow::Result<DbUrl> {
    let text = cli_value.or(config_value.map(|v| v.as_str())).ok_or_else(|| {
        Refused(format!(
            "no {what} database: give --{what} URL, set DBTWIN_{}, or add `{what}:` to the config",
            what.to_uppercase()
        ))
    })?;
    Ok(DbUrl::parse(text, what)?)
}

async fn demo(cli: &Cli, args: &DemoArgs) -> anyhow::Result<()> {
    let files = crate::demo::prepare(&args.dir)
        .await
        .with_context(|| format!("writing the demo databases into {}", args.dir.display()))?;
    let sqlite = |p: &std::path::Path| format!("sqlite://{}", p.display());
    let copy_args = CopyArgs {
        config: files.config.clone(),
        source: Some(sqlite(&files.prod)),
        target: Some(sqlite(&files.twin)),
        jobs: 4,
        dry_run: false,
        batch_rows: 10_000,
        seed: None,
        create_tables: false,
    };
    copy(cli, &copy_args).await?;
    print!("{}", crate::demo::show(&files).await?);
    Ok(())
}

/// Source tables (not excluded) with no table of that name in the target, each with the name it
/// gets there.
fn missing_tables(
    config: &config::Config,
    source: &crate::schema::Schema,
    target: &crate::schema::Schema,
    engine: &dyn engine::Target,
) -> Vec<(crate::schema::Table, TableName)> {
    let excluded = |t: &crate::schema::Table| {
        config.exclude.iter().any(|e| e.as_str() == t.name.name || e.as_str() == t.name.to_string())
    };
    let schema = engine.default_schema();
    source
        .tables
        .iter()
        .filter(|t| !excluded(t) && plan::target_table(target, &t.name).is_none())
        .map(|t| (t.clone(), TableName::new(schema.clone(), t.name.name.clone())))
        .collect()
}

async fn check(cli: &Cli, args: &CheckArgs) -> anyhow::Result<()> {
    init_logging(cli, None);
    let config = config::load(&args.config)?;
    let source_url = url(args.source.as_deref(), config.source.as_ref(), "source")?;
    let source = engine::connect_source(&source_url, ConnectOptions { jobs: 1 }).await?;
    let schemas: Vec<String> = config.schemas.iter().map(|s| s.as_str().to_string()).collect();
    let schema = source.introspect(&schemas).await?;
    // Without a target, the config is checked against the source alone; target-side checks
    // (missing tables, type mismatches) are `copy`'s.
    let limits = BatchLimits { rows: 1000, bytes: 1 << 20 };
    let plan = plan::resolve(
        &config,
        &schema,
        &schema,
        PlanOptions { source: source.forms(), target: source.forms(), same_engine: true, checks_off: true, limits },
    )?;
    let findings = crate::check::findings(&plan, &schema, source.as_ref()).await?;
    print!("{}", crate::check::render(&plan, &findings));
    if args.strict && !findings.is_empty() {
        return Err(Unmasked(findings.len()).into());
    }
    Ok(())
}

async fn init(cli: &Cli, args: &InitArgs) -> anyhow::Result<()> {
    init_logging(cli, None);
    let source_url = DbUrl::parse(&args.source, "source")?;
    let source = engine::connect_source(&source_url, ConnectOptions { jobs: 1 }).await?;
    let schema = source.introspect(&args.schemas).await?;
    // The plan of a config that masks nothing: every table, its mode and its reads.
    let empty = config::parse("tables: {}\n", "(init)")?;
    let limits = BatchLimits { rows: 1000, bytes: 1 << 20 };
    let options =
        PlanOptions { source: source.forms(), target: source.forms(), same_engine: true, checks_off: true, limits };
    let plan = plan::resolve(&empty, &schema, &schema, options)?;
    let findings = crate::check::findings(&plan, &schema, source.as_ref()).await?;
    print!("{}", crate::init::render(&source_url.to_string(), &plan, &schema, &findings));
    Ok(())
}

async fn copy(cli: &Cli, args: &CopyArgs) -> anyhow::Result<()> {
    let config = config::load(&args.config)?;
    if config.secret.is_some() && args.seed.is_some() {
        return Err(Refused(format!(
            "config {} has a `secret` and --seed was given; a secret already makes runs reproducible, so drop one",
            args.config.display()
        ))
        .into());
    }
    let source_url = url(args.source.as_deref(), config.source.as_ref(), "source")?;
    let target_url = url(args.target.as_deref(), config.target.as_ref(), "target")?;
    if args.dry_run && args.create_tables {
        return Err(Refused(
            "--dry-run writes nothing, so it cannot create tables; run it without --create-tables against a target \
             that has them"
                .into(),
        )
        .into());
    }
    let port = |u: &DbUrl| u.port().unwrap_or(u.engine().default_port());
    if source_url.engine() == target_url.engine()
        && source_url.host() == target_url.host()
        && port(&source_url) == port(&target_url)
        && source_url.database() == target_url.database()
    {
        return Err(Refused(format!(
            "source and target are the same database ({target_url}); dbtwin never writes to its source"
        ))
        .into());
    }

    let progress_mode = match cli.progress {
        ProgressMode::Auto if std::io::stderr().is_terminal() && !cli.quiet => ProgressMode::Bars,
        ProgressMode::Auto => ProgressMode::Log,
        m => m,
    };
    // Logging writes above the bars, so both exist from the start; the bars learn their totals
    // once the plan knows the row estimates.
    let bars = (progress_mode == ProgressMode::Bars).then(Bars::new);
    init_logging(cli, bars.as_ref());
    let options = ConnectOptions { jobs: args.jobs as usize };
    let (source, target) =
        tokio::try_join!(engine::connect_source(&source_url, options), engine::connect_target(&target_url, options))?;
    let target: Arc<dyn engine::Target> = Arc::from(target);
    if source.identity() == target.identity() {
        return Err(Refused(format!(
            "source {source_url} and target {target_url} are the same database on the same server; dbtwin never writes to its source"
        ))
        .into());
    }
    let schemas: Vec<String> = config.schemas.iter().map(|s| s.as_str().to_string()).collect();
    let (source_schema, mut target_schema) =
        tokio::try_join!(source.introspect(&schemas), target.introspect(&schemas))?;
    let same_engine = source_url.engine() == target_url.engine();
    let created = if args.create_tables {
        missing_tables(&config, &source_schema, &target_schema, target.as_ref())
    } else {
        Vec::new()
    };
    let dialect = target.dialect();
    // A foreign key's parent in the target, and the parent's key columns (the source's).
    let parent_keys =
        |created: &[(crate::schema::Table, TableName)], target_schema: &crate::schema::Schema, parent: &TableName| {
            let def = source_schema.table(parent)?;
            let name = created
                .iter()
                .find(|(t, _)| &t.name == parent)
                .map(|(_, n)| n.clone())
                .or_else(|| plan::target_table(target_schema, parent).map(|t| t.name.clone()))?;
            Some((name, def.primary_key.iter().map(|&i| def.columns[i].name.clone()).collect::<Vec<_>>()))
        };
    if !created.is_empty() {
        let statements: Vec<String> = created
            .iter()
            .map(|(t, n)| ddl::create_table(&dialect, t, n, same_engine, &|p| parent_keys(&created, &target_schema, p)))
            .collect();
        target.execute_ddl(&statements).await?;
        target_schema = target.introspect(&schemas).await?;
        tracing::info!(tables = created.len(), "created the missing target tables");
    }
    let settings = target.load_settings();
    let limits = BatchLimits { rows: args.batch_rows as usize, bytes: 1 << 20 };
    let plan = plan::resolve(
        &config,
        &source_schema,
        &target_schema,
        PlanOptions {
            source: source.forms(),
            target: target.forms(),
            same_engine: source_url.engine() == target_url.engine(),
            checks_off: settings.foreign_keys_off,
            limits,
        },
    )?;

    if let Some(b) = &bars {
        b.set_totals(plan.tables.iter().filter_map(|t| t.row_estimate).sum(), plan.tables.len());
    }
    for t in &plan.tables {
        let masks: Vec<String> = t
            .masks
            .columns()
            .iter()
            .map(|m| format!("{} ({}{})", m.column, m.describe(), if m.inferred { ", inferred" } else { "" }))
            .collect();
        tracing::info!(
            table = %t.name(),
            mode = %t.write.mode,
            estimated_rows = t.row_estimate,
            masks = if masks.is_empty() { "-".to_string() } else { masks.join(", ") },
            "plan"
        );
    }
    let reporter: Arc<dyn Reporter> = match (&bars, progress_mode) {
        (Some(b), _) => Arc::new(b.clone()),
        (None, ProgressMode::None) => Arc::new(Silent),
        (None, _) => Arc::new(LogLines { every: Duration::from_secs(5) }),
    };
    let keys = Arc::new(match (&config.secret, args.seed) {
        (Some(s), _) => Keyring::from_secret(s.as_str()),
        (None, Some(seed)) => Keyring::from_seed(seed),
        (None, None) => Keyring::random(),
    });
    if args.dry_run {
        let findings = crate::check::findings(&plan, &source_schema, source.as_ref()).await?;
        print!("{}", crate::check::render(&plan, &findings));
        print!("{}", crate::check::preview(&plan, source.as_ref(), &keys).await?);
        println!("dry run: nothing was written");
        return Ok(());
    }
    let mut notes = Vec::new();
    notes.push(
        match (settings.triggers_off, settings.foreign_keys_off) {
            (true, true) => "target: triggers and foreign-key checks were off while loading",
            (false, true) => {
                "target: foreign-key checks were off while loading; triggers fired (this engine cannot turn them off \
                 for one session)"
            }
            (true, false) => "target: triggers were off while loading; tables were loaded parents first",
            (false, false) => {
                "target: the target user may not turn off triggers or foreign-key checks, so triggers fired and \
                 tables were loaded parents first"
            }
        }
        .to_string(),
    );
    if config.secret.is_none() && args.seed.is_none() {
        notes.push("no `secret` in the config and no --seed: masked values differ from run to run".to_string());
    }

    let run = pipeline::run(
        plan,
        Arc::from(source),
        target.clone(),
        keys,
        reporter,
        Settings { jobs: args.jobs as usize, channel_capacity: 4 },
    );
    let stats = tokio::select! {
        result = run => result.context("copy failed")?,
        _ = tokio::signal::ctrl_c() => return Err(Interrupted.into()),
    };
    if !created.is_empty() {
        let statements: Vec<String> = created
            .iter()
            .flat_map(|(t, n)| ddl::keys_after_load(&dialect, t, n, &|p| parent_keys(&created, &target_schema, p)))
            .collect();
        target.execute_ddl(&statements).await.context("adding keys to the created tables")?;
        let names: Vec<String> = created.iter().map(|(_, n)| n.to_string()).collect();
        notes.push(format!(
            "target: created {} ({}); unique keys and foreign keys were added after the load",
            names.join(", "),
            if created.len() == 1 { "1 table" } else { "tables" }
        ));
    }
    if let Some(b) = &bars {
        b.finish();
    }
    print!("{}", report::render_summary(&stats, &notes));
    Ok(())
}
