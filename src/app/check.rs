//! `dbtwin check`: the config against the source alone, the plan it gives, and the columns that
//! look personal but are not masked.

use std::fmt::Write as _;

use super::session::{self, SourceSide};
use super::{Unmasked, logging};
use crate::cli::{CheckArgs, Cli};
use crate::config;
use crate::findings::{self, Finding};
use crate::plan::Plan;

pub async fn run(cli: &Cli, args: &CheckArgs) -> anyhow::Result<()> {
    logging::init(cli);
    let config = config::load(&args.config)?;
    let url = session::url(args.source.as_deref(), config.source.as_ref(), "source")?;
    let source = SourceSide::open(url, 1, &session::schemas(&config)).await?;
    let plan = source.plan_alone(&config)?;
    let found = findings::findings(&plan, &source.schema, source.engine.as_ref()).await?;
    print!("{}", render_plan(&plan, &found));
    if args.strict && !found.is_empty() {
        return Err(Unmasked(found.len()).into());
    }
    Ok(())
}

/// The plan and the findings, as `dbtwin check` (and `copy --dry-run`) print them.
pub fn render_plan(plan: &Plan, findings: &[Finding]) -> String {
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
