//! `dbtwin verify`: the copy's plan, worked out again from the source, against what the target
//! holds: one line per table and kind of difference, or `--json`. Reads both sides; writes
//! nothing anywhere.

use std::sync::Arc;

use serde_json::{Value, json};

use super::logging::Progress;
use super::session::{self, SourceSide};
use super::{Differs, Refused};
use crate::cli::{Cli, VerifyArgs};
use crate::config;
use crate::pipeline::{self, verify::Verdict};
use crate::plan::{self, Plan};
use crate::report::Activity;

pub async fn run(cli: &Cli, args: &VerifyArgs) -> anyhow::Result<()> {
    let config = config::load(&args.config)?;
    if config.secret.is_some() && args.seed.is_some() {
        return Err(Refused(format!(
            "config {} has a `secret` and --seed was given; the copy used one of them, so drop the other",
            args.config.display()
        ))
        .into());
    }
    let source_url = session::url(args.source.as_deref(), config.source.as_ref(), "source")?;
    let target_url = session::url(args.target.as_deref(), config.target.as_ref(), "target")?;
    let progress = Progress::start(cli);
    let schemas = session::schemas(&config);
    let jobs = args.jobs as usize;
    let (source, target) = tokio::try_join!(
        SourceSide::open(source_url, jobs, &schemas),
        SourceSide::open_target(target_url, jobs, &schemas)
    )?;
    let mut plan = source.plan_into(&config, &target)?;
    let exact = config.secret.is_some() || args.seed.is_some();
    only_tables(&mut plan, &source, &args.tables)?;
    if !exact {
        keys_can_match(&plan)?;
    }
    let keys = session::keyring(&config, args.seed);
    // The subset is chosen from all tables, as the copy chose it, before `--tables` narrows
    // what is compared.
    let mut notes = pipeline::subset::choose(
        &mut plan,
        source.engine.as_ref(),
        &keys,
        pipeline::subset::Memory::mib(args.key_memory),
    )
    .await?;
    keep_listed(&mut plan, &source, &args.tables);
    notes.push(source.profile.snapshot.clone());
    if !exact {
        notes.push(
            "no `secret` in the config and no --seed: masked values cannot be worked out again, so they are only \
             checked for originals left (where the rule cannot give one by chance) and for the shape their mask \
             writes (emails, uuids, addresses, card numbers, hashes, ranges)"
                .to_string(),
        );
    }
    if let Some(n) = args.sample {
        notes.push(format!(
            "--sample {n}: per table, the {n} keys with the smallest keyed hash over both sides' keys were compared \
             (rows missing and rows extra among them too); originals were looked for among those rows only{}",
            if exact { "" } else { ", and the draw differs from run to run without a `secret` or --seed" }
        ));
    }
    let reporter = progress.reporter(&plan, Activity::Verify);
    let settings = pipeline::verify::Settings { jobs, exact, sample: args.sample.map(|n| n as usize) };
    let verdicts = pipeline::verify::verify(
        plan,
        source.engine.clone(),
        target.engine.clone(),
        Arc::new(keys),
        reporter,
        settings,
    )
    .await?;
    progress.finish();
    for v in &verdicts {
        if let Some(why) = &v.whole {
            notes.push(format!("table {}: compared whole, not sampled: {why}", v.table));
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&to_json(&verdicts, &notes))?);
    } else {
        for v in &verdicts {
            println!("{v}");
        }
        for n in &notes {
            println!("note: {n}");
        }
    }
    let differing: Vec<&Verdict> = verdicts.iter().filter(|v| !v.findings.is_empty()).collect();
    if differing.is_empty() {
        return Ok(());
    }
    let kinds: usize = differing.iter().map(|v| v.findings.len()).sum();
    Err(Differs(format!(
        "{kinds} {} in {} of {} tables",
        if kinds == 1 { "difference" } else { "differences" },
        differing.len(),
        verdicts.len()
    ))
    .into())
}

/// `--tables`: each must be a table the copy writes.
fn only_tables(plan: &mut Plan, source: &SourceSide, listed: &[String]) -> anyhow::Result<()> {
    for name in listed {
        let table = plan::find_table(&source.schema, name).map_err(|e| Refused(format!("--tables: {e}")))?;
        if !plan.tables.iter().any(|t| t.name() == &table.name) {
            return Err(Refused(format!("--tables: table {name}: the config does not copy it")).into());
        }
    }
    Ok(())
}

fn keep_listed(plan: &mut Plan, source: &SourceSide, listed: &[String]) {
    if listed.is_empty() {
        return;
    }
    let wanted: Vec<_> =
        listed.iter().filter_map(|n| plan::find_table(&source.schema, n).ok()).map(|t| t.name.clone()).collect();
    plan.tables.retain(|t| wanted.contains(t.name()));
}

/// Rows are matched by key: a key that a random mask changed matches nothing.
fn keys_can_match(plan: &Plan) -> Result<(), Refused> {
    for t in &plan.tables {
        for m in t.masks.columns() {
            if t.write.key.iter().any(|k| *k == t.write.columns[m.index].name) {
                return Err(Refused(format!(
                    "table {}, column {}: the key is masked, and without a `secret` in the config or the copy's \
                     --seed its masked values cannot be worked out again to match the rows",
                    t.name(),
                    m.column
                )));
            }
        }
    }
    Ok(())
}

fn to_json(verdicts: &[Verdict], notes: &[String]) -> Value {
    let tables: Vec<Value> = verdicts
        .iter()
        .map(|v| {
            let findings: Vec<Value> = v
                .findings
                .iter()
                .map(|f| json!({"kind": f.kind.name(), "column": f.column, "count": f.count, "rows": f.examples}))
                .collect();
            json!({
                "table": v.table.to_string(),
                "matches": v.findings.is_empty(),
                "sampled": v.sampled,
                "expected_rows": v.expected,
                "target_rows": v.found,
                "findings": findings,
            })
        })
        .collect();
    json!({
        "matches": verdicts.iter().all(|v| v.findings.is_empty()),
        "tables": tables,
        "notes": notes,
    })
}
