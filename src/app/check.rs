//! `dbtwin check`: the config against the source alone, the plan it gives, and the columns that
//! look personal but are not masked.

use std::fmt::Write as _;

use super::session::{self, SourceSide};
use super::{Unmasked, logging};
use crate::cli::{CheckArgs, Cli};
use crate::config;
use crate::engine::Source;
use crate::findings::{self, Finding};
use crate::plan::Plan;

pub async fn run(cli: &Cli, args: &CheckArgs) -> anyhow::Result<()> {
    logging::init(cli);
    let config = config::load(&args.config)?;
    let url = session::url(args.source.as_deref(), config.source.as_ref(), "source")?;
    let source = SourceSide::open(url, 1, &session::schemas(&config)).await?;
    let plan = source.plan_alone(&config)?;
    let found = findings::findings(&plan, &source.schema, source.engine.as_ref()).await?;
    print!("{}", render_plan(&plan, &found, &queries(&plan, source.engine.as_ref())));
    if args.strict && !found.is_empty() {
        return Err(Unmasked(found.len()).into());
    }
    Ok(())
}

/// `cycle: a → b → a: …`: a cycle of the subset's edges is followed in rounds to a fixpoint,
/// and loaded with the target's checks off or with a key NULL first (the plan's deferred
/// columns). A self-reference loads in its table's one statement.
fn cycle_line(plan: &Plan, subset: &crate::plan::subset::SubsetPlan, cycle: &[usize]) -> String {
    let names: Vec<String> = cycle.iter().map(|&i| subset.tables[i].relation.name.to_string()).collect();
    let path = names.iter().chain(names.first()).cloned().collect::<Vec<_>>().join(" → ");
    if cycle.len() == 1 {
        return format!("self-reference: {path}: followed in rounds until no row joins");
    }
    let deferred: Vec<String> = cycle
        .iter()
        .filter_map(|&i| plan.tables.iter().find(|t| t.name() == &subset.tables[i].relation.name))
        .filter(|t| !t.deferred.is_empty())
        .map(|t| {
            let columns: Vec<&str> = t.deferred.iter().map(|&c| t.read.columns[c].as_str()).collect();
            format!("{}({})", t.write.table.name, columns.join(", "))
        })
        .collect();
    let load = if deferred.is_empty() {
        "loaded with the target's foreign-key checks off (where they cannot be, a key the target lets be NULL \
         loads NULL first)"
            .to_string()
    } else {
        format!("loaded with {} NULL first, filled in after the other tables", deferred.join(", "))
    };
    format!("cycle: {path}: followed in rounds until no row joins; {load}")
}

/// The statements choosing the plan's subset will run on `source`, labelled.
pub fn queries(plan: &Plan, source: &dyn Source) -> Vec<(String, String)> {
    crate::pipeline::subset::queries(plan).into_iter().map(|(label, read)| (label, source.statement(&read))).collect()
}

/// The plan and the findings, as `dbtwin check` (and `copy --dry-run`) print them, with the
/// subset's statements ([`queries`]).
pub fn render_plan(plan: &Plan, findings: &[Finding], queries: &[(String, String)]) -> String {
    let mut out = String::from("plan (tables in load order):\n");
    for (step, &i) in plan.waves.iter().flatten().enumerate() {
        let t = &plan.tables[i];
        let rows = t.row_estimate.map_or("? rows".to_string(), |n| format!("~{n} rows"));
        let _ = writeln!(out, "{:>4}. {}  {}  {rows}", step + 1, t.name(), t.write.mode);
        for m in t.masks.columns() {
            let how = if m.inferred { ", inferred" } else { "" };
            let _ = writeln!(out, "        {}: {}{how}", m.column, m.describe());
        }
        if let Some(note) = &t.note {
            let _ = writeln!(out, "        note: {note}");
        }
    }
    if let Some(subset) = &plan.subset {
        out.push_str("subset (how each table's rows are chosen):\n");
        for line in subset.describe() {
            let _ = writeln!(out, "      {line}");
        }
        for cycle in subset.cycles() {
            let _ = writeln!(out, "      {}", cycle_line(plan, subset, &cycle));
        }
        if !queries.is_empty() {
            out.push_str("subset queries (key-only scans of the source, in the run's snapshot):\n");
            for (label, sql) in queries {
                let _ = writeln!(out, "      {label}: {sql}");
            }
        }
    }
    if findings.is_empty() {
        out.push_str("no unmasked column looks personal\n");
    } else {
        let _ = writeln!(out, "{} unmasked columns look personal:", findings.len());
        for f in findings {
            let _ = writeln!(out, "warning: {f}");
        }
    }
    out
}
