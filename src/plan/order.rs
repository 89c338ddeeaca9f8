//! The order tables load in: waves, each starting after the previous one committed.

use std::collections::{BTreeMap, BTreeSet};

use super::TablePlan;
use crate::schema::{Schema, TableName};

/// Waves of table indices. Largest tables first within a wave, so the longest copy starts early.
pub(super) fn waves(tables: &[TablePlan], source: &Schema, checks_off: bool) -> Result<Vec<Vec<usize>>, String> {
    let by_size = |mut wave: Vec<usize>| {
        wave.sort_by_key(|&i| std::cmp::Reverse(tables[i].row_estimate.unwrap_or(0)));
        wave
    };
    if checks_off {
        return Ok(vec![by_size((0..tables.len()).collect())]);
    }
    let index: BTreeMap<&TableName, usize> = tables.iter().enumerate().map(|(i, t)| (t.name(), i)).collect();
    let parents: Vec<BTreeSet<usize>> = tables
        .iter()
        .map(|t| {
            source
                .table(t.name())
                .map(|s| {
                    s.foreign_keys
                        .iter()
                        .filter_map(|fk| index.get(&fk.references).copied())
                        .filter(|&p| tables[p].name() != t.name())
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    let mut done = vec![false; tables.len()];
    let mut waves = Vec::new();
    while done.iter().any(|d| !d) {
        let wave: Vec<usize> = (0..tables.len()).filter(|&i| !done[i] && parents[i].iter().all(|&p| done[p])).collect();
        if wave.is_empty() {
            let cycle: Vec<String> =
                (0..tables.len()).filter(|&i| !done[i]).map(|i| tables[i].name().to_string()).collect();
            return Err(format!(
                "foreign keys form a cycle among {}; loading them needs the target user to be allowed to set \
                 session_replication_role (superuser)",
                cycle.join(", ")
            ));
        }
        for &i in &wave {
            done[i] = true;
        }
        waves.push(by_size(wave));
    }
    Ok(waves)
}
