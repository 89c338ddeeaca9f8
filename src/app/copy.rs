//! `dbtwin copy`: refuse what can never work, connect both ends, create missing tables if
//! asked, plan, then either show a dry run or copy every table and print the summary.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::time::Duration;

use super::check::render_plan;
use super::create_tables::{self, Created};
use super::logging::Progress;
use super::session::{self, Pair};
use super::{Interrupted, Refused, interrupt};
use crate::cli::{Cli, CopyArgs};
use crate::config::{self, Triggers};
use crate::data::batch::Batch;
use crate::data::mode::Mode;
use crate::engine::{ConnectOptions, EngineError, LoadSettings, Side, Source, TriggerRef};
use crate::findings;
use crate::mask::Keyring;
use crate::pipeline::TableError;
use crate::pipeline::{self, Settings, sample::sample};
use crate::plan::Plan;
use crate::report::{self, Activity, Ending, Planned, RunRecord, RunReport, Watermark};
use crate::schema::TableName;

/// Rows shown per table by `copy --dry-run`.
const PREVIEW_ROWS: u64 = 3;

pub async fn run(cli: &Cli, args: &CopyArgs) -> anyhow::Result<()> {
    let report = match &args.report {
        Some(path) => Some(RunReport::open(path, &args.config).map_err(Refused)?),
        None => None,
    };
    let record = RunRecord::default();
    let result = copy(cli, args, &record).await;
    if let (Some(report), Some(path)) = (report, &args.report) {
        let exit_code = result.as_ref().map_or_else(super::exit_code, |()| super::exit::OK);
        let failed_table = result.as_ref().err().and_then(|e| e.chain().find_map(|c| c.downcast_ref::<TableError>()));
        let error = result.as_ref().err().map(|e| format!("{e:#}"));
        let ending = Ending { exit_code, error, failed_table: failed_table.map(|t| &t.table) };
        if let Err(e) = report.write(&record, ending) {
            let e = anyhow::anyhow!("--report {}: {e}", path.display());
            return Err(match result {
                Err(first) => first.context(format!("{e:#}")),
                Ok(()) => e,
            });
        }
    }
    result
}

async fn copy(cli: &Cli, args: &CopyArgs, record: &RunRecord) -> anyhow::Result<()> {
    let config = config::load(&args.config)?;
    if config.secret.is_some() && args.seed.is_some() {
        return Err(Refused(format!(
            "config {} has a `secret` and --seed was given; a secret already makes runs reproducible, so drop one",
            args.config.display()
        ))
        .into());
    }
    let source_url = session::url(args.source.as_deref(), config.source.as_ref(), "source")?;
    let target_url = session::url(args.target.as_deref(), config.target.as_ref(), "target")?;
    if args.dry_run && args.create_tables {
        return Err(Refused(
            "--dry-run writes nothing, so it cannot create tables; run it without --create-tables against a target \
             that has them"
                .into(),
        )
        .into());
    }
    let progress = Progress::start(cli);
    let jobs = args.jobs as usize;
    let lock_wait = Duration::from_secs(args.lock_wait.into());
    let options = ConnectOptions { jobs, lock_wait, create_missing: args.create_tables };
    record.ends(source_url.to_string(), target_url.to_string());
    let mut pair = Pair::open(source_url, target_url, options, session::schemas(&config)).await?;
    let batch_rows = args.batch_rows as usize;
    let mut created = if args.create_tables { Created::missing(&config, &pair) } else { Created::nothing() };
    // Everything that can be refused is, before the first table is created.
    created.check_names(&pair)?;
    pair.plan_against(&config, batch_rows, &created.stand_in(&pair))?;
    created.create(&mut pair).await?;
    let mut plan = match pair.plan(&config, batch_rows) {
        Ok(plan) => plan,
        Err(e) => {
            // The tables as created differ from what the plan was checked against: take them
            // away again, so exit 2 still means nothing was written.
            return Err(match created.undo(&pair).await {
                Ok(()) => e,
                Err(u) => e.context(format!("dropping the tables just created failed too: {u}")),
            });
        }
    };
    let checked = match check_filters(&plan, &pair).await {
        Ok(()) => check_recomputes(&plan, &pair).await,
        Err(e) => Err(e),
    }
    .and_then(|()| Ok(mirror_can_delete(&plan, pair.target.profile.load)?));
    if let Err(e) = checked {
        return Err(match created.undo(&pair).await {
            Ok(()) => e,
            Err(u) => e.context(format!("dropping the tables just created failed too: {u}")),
        });
    }
    log_plan(&plan);
    record.planned(
        plan.tables
            .iter()
            .map(|t| Planned {
                source: t.name().clone(),
                target: t.write.table.name.clone(),
                mode: t.write.mode,
                masked: t.masks.columns().iter().map(|m| m.column.clone()).collect(),
                note: t.note.clone(),
            })
            .collect(),
    );
    let reporter = progress.reporter(&plan, Activity::Copy);
    let keys = session::keyring(&config, args.seed);
    let keyed = config.secret.is_some() || args.seed.is_some();
    let tables: Vec<TableName> = plan.tables.iter().map(|t| t.write.table.name.clone()).collect();
    if args.dry_run {
        // Originals go to a person at a terminal, not to a cron mail or a CI log.
        let originals = args.show_originals || std::io::stdout().is_terminal();
        let found = pair.target.engine.triggers(&tables).await?;
        let left = pair.target.engine.left_suspended().await?;
        // A subset is chosen (the source is only read), so the plan says how many rows each
        // table gets and the preview shows chosen rows.
        let memory = pipeline::subset::Memory::mib(args.key_memory);
        let chosen: String = pipeline::subset::choose(&mut plan, pair.source.engine.as_ref(), &keys, memory)
            .await?
            .into_iter()
            .map(|line| line + "\n")
            .collect();
        pipeline::subset::preview(&mut plan, PREVIEW_ROWS as usize);
        let triggers = trigger_plan(&left, &found, config.triggers);
        let since: String = super::incremental::settle(&mut plan, &pair, &config, &keys, keyed, args.restart, false)
            .await?
            .into_iter()
            .map(|line| line + "\n")
            .collect();
        return dry_run(&plan, &pair, &keys, originals, &format!("{triggers}{chosen}{since}")).await;
    }
    // Triggers a killed run left suspended go back before this run writes anything (a dry run
    // writes nothing, so it leaves them for the next copy).
    let mut notes: Vec<String> = plan.tables.iter().filter_map(|t| t.note.clone()).collect();
    let left = pair.target.engine.restore_triggers().await?;
    if !left.is_empty() {
        let note = format!("target: restored {} an earlier run had suspended and not put back", triggers(&left));
        tracing::warn!("{note}");
        notes.push(note);
    }
    // `check`'s warnings, one line each, so a cron log shows what the config leaves unmasked.
    for f in findings::findings(&plan, &pair.source.schema, pair.source.engine.as_ref()).await? {
        tracing::warn!("unmasked: {f}");
    }
    // The subset is chosen before anything is written: a scan the source refuses stops here.
    let memory = pipeline::subset::Memory::mib(args.key_memory);
    for note in pipeline::subset::choose(&mut plan, pair.source.engine.as_ref(), &keys, memory).await? {
        tracing::info!("{note}");
        notes.push(note);
    }
    for note in super::incremental::settle(&mut plan, &pair, &config, &keys, keyed, args.restart, true).await? {
        tracing::info!("{note}");
        notes.push(note);
    }
    record.watermarks(
        plan.tables
            .iter()
            .filter_map(|t| {
                let state = t.write.state.as_ref()?;
                Some(Watermark {
                    table: t.write.table.name.clone(),
                    column: state.row.column.clone()?,
                    from: t.read.filter.since.as_ref().map(|s| s.value.clone()),
                    after: state.row.watermark.clone(),
                })
            })
            .collect(),
    );
    let suspended = match config.triggers {
        Triggers::Suspend => match pair.target.engine.suspend_triggers(&tables).await {
            Ok(s) => s,
            Err(e) => {
                // What was suspended before the failure goes back now.
                pair.target.engine.restore_triggers().await?;
                return Err(e.into());
            }
        },
        Triggers::Fire => Vec::new(),
    };
    // A server that lets this user open fewer sessions than --jobs sets the pace.
    let limits =
        [(Side::Source, &pair.source.profile.session_limit), (Side::Target, &pair.target.profile.session_limit)];
    let mut jobs = jobs;
    for (side, limit) in limits {
        if let Some(limit) = limit.as_ref().filter(|l| l.sessions < jobs) {
            notes.push(format!(
                "{side}: the server let this user open only {} sessions ({}), so tables were copied {} at a time \
                 instead of {jobs}",
                limit.sessions, limit.reason, limit.sessions
            ));
            jobs = limit.sessions;
        }
    }
    notes.push(pair.source.profile.snapshot.clone());
    notes.push(load_note(pair.target.profile.load, &suspended, config.triggers));
    if config.secret.is_none() && args.seed.is_none() {
        notes.push("no `secret` in the config and no --seed: masked values differ from run to run".to_string());
    }
    let run = pipeline::run(
        plan,
        pair.source.engine.clone(),
        pair.target.engine.clone(),
        keys.into(),
        reporter,
        Settings { jobs, channel_capacity: 4 },
        record,
    );
    let outcome = tokio::select! {
        result = run => result.map_err(|e| anyhow::Error::from(e).context("copy failed")),
        signal = interrupt() => Err(Interrupted(signal, Interrupted::LOADING).into()),
    };
    // The run is dropped: tables still loading are aborted. Their transactions are rolled back
    // before exiting, so the target is left as it was (an SQLite file has no hot journal).
    if outcome.is_err() {
        pair.target.engine.close().await;
    }
    let back = pair.target.engine.restore_triggers().await;
    let stats = match (outcome, back) {
        (Ok(stats), Ok(_)) => stats,
        (Err(e), Ok(_)) => return Err(e),
        (outcome, Err(e)) => {
            let e = anyhow::Error::from(e)
                .context("the suspended triggers could not be put back (the next run restores them)");
            return Err(match outcome {
                Err(first) => first.context(format!("{e:#}")),
                Ok(_) => e,
            });
        }
    };
    let settled = tokio::select! {
        settled = create_tables::settle_owed(&pair, &created) => settled?,
        signal = interrupt() => {
            pair.target.engine.close().await;
            return Err(Interrupted(signal, Interrupted::ADDING_KEYS).into());
        }
    };
    notes.extend(settled.notes);
    progress.finish();
    print!("{}", report::render_summary(&stats, &notes));
    if !settled.failures.is_empty() {
        let n = settled.failures.len();
        return Err(anyhow::anyhow!(
            "{}\nevery table was copied, but {} could not be added; {} recorded in the target, and the next run tries again",
            settled.failures.join("\n"),
            if n == 1 { "1 key".to_string() } else { format!("{n} keys") },
            if n == 1 { "it stays" } else { "they stay" }
        ));
    }
    Ok(())
}

/// A mirror deletes rows other tables may still reference until their own mirror runs: with the
/// target's foreign-key checks on, that delete would fail on every run, so it is refused first.
fn mirror_can_delete(plan: &Plan, load: LoadSettings) -> Result<(), Refused> {
    if load.foreign_keys_off {
        return Ok(());
    }
    match plan.tables.iter().find(|t| t.write.mode == Mode::Mirror && t.write.referenced) {
        Some(t) => Err(Refused(format!(
            "table {}: mode mirror deletes rows that other tables reference, and the target's foreign-key checks \
             cannot be switched off for this user (PostgreSQL: session_replication_role needs a superuser or a \
             granted SET privilege); grant it, or use mode upsert for this table",
            t.write.table
        ))),
        None => Ok(()),
    }
}

/// Each table's plan in the log, as the run starts.
fn log_plan(plan: &Plan) {
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
}

/// How the target loaded, for the summary: its checks, and what its triggers did.
fn load_note(settings: LoadSettings, suspended: &[TriggerRef], mode: Triggers) -> String {
    let triggers = match (settings.triggers_off, suspended.is_empty(), mode) {
        (true, _, _) => "triggers were off".to_string(),
        (false, false, _) => format!("{} suspended and put back as they were", triggers(suspended)),
        (false, true, Triggers::Fire) => "triggers fired, as the config asks (triggers: fire)".to_string(),
        (false, true, Triggers::Suspend) => "the loaded tables had no triggers to suspend".to_string(),
    };
    if settings.foreign_keys_off {
        format!("target: foreign-key checks were off while loading; {triggers}")
    } else if settings.triggers_off {
        format!("target: {triggers} while loading; tables were loaded parents first")
    } else {
        "target: the target user may not turn off triggers or foreign-key checks, so triggers fired and tables \
         were loaded parents first"
            .to_string()
    }
}

/// The source runs every table's `where` and `order_by`, asked before any row moves with the
/// table's own read over no rows: each one it refuses is named with its table, together.
async fn check_filters(plan: &Plan, pair: &Pair) -> anyhow::Result<()> {
    let mut refused = Vec::new();
    for table in plan.tables.iter().filter(|t| !t.read.filter.is_empty()) {
        let probe = crate::engine::ReadRequest { sample: Some(0), ..table.read.clone() };
        if let Err(why) = pipeline::sample::collect(pair.source.engine.as_ref(), &probe).await {
            refused.push(format!("table {}: where/order_by: the source refuses it: {why}", table.name()));
        }
    }
    for (label, probe) in pipeline::subset::probes(plan) {
        if let Err(why) = pipeline::sample::collect(pair.source.engine.as_ref(), &probe).await {
            refused.push(format!("{label}: the source refuses it: {why}"));
        }
    }
    if refused.is_empty() { Ok(()) } else { Err(Refused(refused.join("\n")).into()) }
}

/// The target accepts every `recompute:` expression, asked before any row moves: each one it
/// refuses is named with its table and column, together.
async fn check_recomputes(plan: &Plan, pair: &Pair) -> anyhow::Result<()> {
    let mut refused = Vec::new();
    for table in plan.tables.iter().filter(|t| !t.write.recompute.is_empty()) {
        if let Err(why) = pair.target.engine.check_recompute(&table.write).await {
            let columns: Vec<&str> = table.write.recompute.iter().map(|r| r.column.as_str()).collect();
            refused.push(format!(
                "table {}, column {}: recompute: the target refuses the expression: {why}",
                table.write.table,
                columns.join(", ")
            ));
        }
    }
    if refused.is_empty() { Ok(()) } else { Err(Refused(refused.join("\n")).into()) }
}

/// `2 triggers (a on t, b on t)`.
fn triggers(list: &[TriggerRef]) -> String {
    let names: Vec<String> = list.iter().map(ToString::to_string).collect();
    let noun = if list.len() == 1 { "trigger" } else { "triggers" };
    format!("{} {noun} ({})", list.len(), names.join(", "))
}

/// What `--dry-run` says the target's triggers will do: those a killed run left suspended
/// first (the copy puts them back before it writes), then those of the loaded tables.
fn trigger_plan(left: &[TriggerRef], found: &[TriggerRef], mode: Triggers) -> String {
    // What a trigger of a loaded table does, and the same said of one that goes back first.
    let (what, then) = match mode {
        Triggers::Suspend => {
            ("suspended during the load and put back after it", "is suspended during the load and put back after it")
        }
        Triggers::Fire => {
            ("fires for every copied row (triggers: fire)", "fires for every copied row (triggers: fire)")
        }
    };
    let mut out = String::new();
    for t in left {
        let _ = writeln!(
            out,
            "target trigger {t}: left suspended by an earlier run that did not finish; the copy puts it back first, \
             then it {then}"
        );
    }
    for t in found {
        let _ = writeln!(out, "target trigger {t}: {what}");
    }
    out
}

/// `--dry-run`: `check`'s plan and warnings, then a few masked rows; nothing is written.
async fn dry_run(plan: &Plan, pair: &Pair, keys: &Keyring, originals: bool, said: &str) -> anyhow::Result<()> {
    let found = findings::findings(plan, &pair.source.schema, pair.source.engine.as_ref()).await?;
    print!("{}", render_plan(plan, &found, &super::check::queries(plan, pair.source.engine.as_ref())));
    print!("{said}");
    print!("{}", preview(plan, pair.source.engine.as_ref(), keys, originals).await?);
    println!("dry run: nothing was written");
    Ok(())
}

/// A few rows of every masked table, each masked column shown before → after, masked with the
/// run's own key, so the preview is what the copy would write. Without `originals`, the before
/// side is only the value's length.
async fn preview(plan: &Plan, source: &dyn Source, keys: &Keyring, originals: bool) -> Result<String, EngineError> {
    let mut out = String::new();
    for table in plan.tables.iter().filter(|t| !t.masks.is_empty()) {
        let mut lines = Vec::new();
        let columns = table.masks.columns();
        for batch in sample(source, &table.read, PREVIEW_ROWS).await? {
            let mut masked = Batch::new(batch.width(), batch.rows(), batch.byte_len() * 2);
            table
                .masks
                .apply(&batch, keys, &mut masked, 0)
                .map_err(|e| EngineError::Data(format!("table {}: {e}", table.name())))?;
            for row in 0..batch.rows() {
                for m in columns {
                    let (before, after) = (batch.cell(row, m.index), masked.cell(row, m.index));
                    let before = if originals { shown(before) } else { shape(before) };
                    lines.push(format!("    {}: {before} → {}", m.column, shown(after)));
                }
                lines.push(String::new());
            }
        }
        let _ = writeln!(
            out,
            "sample of {} ({} rows, masked columns before → after):",
            table.name(),
            lines.len() / (columns.len() + 1)
        );
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
    }
    Ok(out)
}

/// What a value is without what it says: its length, or NULL.
fn shape(value: Option<&[u8]>) -> String {
    match value {
        None => "NULL".into(),
        Some(v) => format!("({} characters)", String::from_utf8_lossy(v).chars().count()),
    }
}

/// A cell for a terminal: NULL spelled out, control characters escaped, long values cut.
fn shown(value: Option<&[u8]>) -> String {
    let Some(v) = value else { return "NULL".into() };
    let text: String = String::from_utf8_lossy(v).escape_debug().collect();
    if text.chars().count() > 60 { format!("{}…", text.chars().take(60).collect::<String>()) } else { text }
}
