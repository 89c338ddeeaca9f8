//! Set-up of a run with incremental tables: the state the last runs left in the target, the
//! marks of this run's snapshot, and from them which rows each table reads.

use crate::config::Config;
use crate::mask::Keyring;
use crate::plan::Plan;
use crate::plan::incremental::{self, Marks};
use crate::schema::TableName;

use super::session::Pair;

/// Settle the incremental tables of `plan` (none: nothing is read or created). `keyed`: the
/// masks' key is the same every run (a secret or --seed). With `write`,
/// the state table is created if missing (a dry run only reads it). Returns the line said of
/// each incremental table.
pub async fn settle(
    plan: &mut Plan,
    pair: &Pair,
    config: &Config,
    keys: &Keyring,
    keyed: bool,
    restart: bool,
    write: bool,
) -> anyhow::Result<Vec<String>> {
    if plan.tables.iter().all(|t| t.incremental.is_none()) {
        return Ok(Vec::new());
    }
    let state_table = match config.state_table.split_once('.') {
        Some((schema, name)) => TableName::new(schema, name),
        None => TableName::new(pair.target.profile.default_schema.as_str(), config.state_table.as_str()),
    };
    let stored = pair.target.engine.state(&state_table, write).await?;
    let stored = if restart { Vec::new() } else { stored };
    let mut tops = Vec::new();
    for table in &plan.tables {
        tops.push(match &table.incremental {
            Some(inc) => Some(pair.source.engine.high_water(&table.read.table, &inc.column).await?),
            None => None,
        });
    }
    // Whatever else decides which rows a table gets: the subset, as configured.
    let selection = format!("{:?}", config.subset);
    let started = crate::report::timestamp(std::time::SystemTime::now());
    let notes = incremental::settle(plan, &stored, Marks { tops }, &state_table, keys, keyed, &selection, &started);
    let notes = if restart {
        notes.into_iter().map(|n| n.replace("(its first run here)", "(--restart)")).collect()
    } else {
        notes
    };
    Ok(notes)
}
