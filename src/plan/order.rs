//! The order tables load in: waves, each starting after the previous one committed. With the
//! target's foreign-key checks on, parents load before children; a cycle of foreign keys is
//! broken at a column the target lets be NULL: that table loads with it NULL, and it is filled
//! in once every wave has loaded.

use std::collections::{BTreeMap, BTreeSet};

use super::TablePlan;
use crate::schema::{Schema, TableName};

/// A foreign key one table's load waits on.
struct Edge {
    child: usize,
    parent: usize,
    /// The key's columns, by position in the child's read (and write) columns; `None` when one
    /// of them is not copied.
    at: Option<Vec<usize>>,
    columns: Vec<String>,
}

impl Edge {
    /// The child can load with this key's columns NULL and have them filled in afterwards by an
    /// upsert: every column is written, the target takes NULL there, and the table has a key.
    fn breakable(&self, tables: &[TablePlan]) -> bool {
        let child = &tables[self.child].write;
        !child.key.is_empty()
            && self.at.as_ref().is_some_and(|at| at.iter().all(|&p| child.columns.get(p).is_some_and(|c| c.nullable)))
    }

    fn describe(&self, tables: &[TablePlan]) -> String {
        format!("{}({})", tables[self.child].name(), self.columns.join(", "))
    }
}

/// Waves of table indices, largest tables first within a wave so the longest copy starts early.
/// Tables that load with a foreign key's columns NULL get them in [`TablePlan::deferred`], with
/// a note saying so.
pub(super) fn waves(tables: &mut [TablePlan], source: &Schema, checks_off: bool) -> Result<Vec<Vec<usize>>, String> {
    let by_size = |tables: &[TablePlan], mut wave: Vec<usize>| {
        wave.sort_by_key(|&i| std::cmp::Reverse(tables[i].row_estimate.unwrap_or(0)));
        wave
    };
    if checks_off {
        return Ok(vec![by_size(tables, (0..tables.len()).collect())]);
    }
    let mut edges = edges(tables, source);
    let mut done = vec![false; tables.len()];
    let mut waves = Vec::new();
    while done.iter().any(|d| !d) {
        let blocked: BTreeSet<usize> = edges.iter().filter(|e| !done[e.parent]).map(|e| e.child).collect();
        let wave: Vec<usize> = (0..tables.len()).filter(|&i| !done[i] && !blocked.contains(&i)).collect();
        if wave.is_empty() {
            let n = break_a_cycle(tables, &edges, &done)?;
            let broken = edges.swap_remove(n);
            defer(tables, &broken);
            continue;
        }
        for &i in &wave {
            done[i] = true;
        }
        waves.push(by_size(tables, wave));
    }
    Ok(waves)
}

/// Every foreign key between two different copied tables, as a load dependency.
fn edges(tables: &[TablePlan], source: &Schema) -> Vec<Edge> {
    let index: BTreeMap<&TableName, usize> = tables.iter().enumerate().map(|(i, t)| (t.name(), i)).collect();
    let mut edges = Vec::new();
    for (child, t) in tables.iter().enumerate() {
        let Some(s) = source.table(t.name()) else { continue };
        for fk in &s.foreign_keys {
            let Some(&parent) = index.get(&fk.references) else { continue };
            if parent == child {
                continue;
            }
            let columns: Vec<String> = fk.columns.iter().map(|&c| s.columns[c].name.clone()).collect();
            let at = columns.iter().map(|c| t.read.columns.iter().position(|r| r == c)).collect();
            edges.push(Edge { child, parent, at, columns });
        }
    }
    edges
}

/// The edge to load NULL first in a cycle among the tables not loaded yet: of the smallest
/// cycle's tables, the breakable key of the table with the fewest rows (it is written twice).
fn break_a_cycle(tables: &[TablePlan], edges: &[Edge], done: &[bool]) -> Result<usize, String> {
    let open: Vec<usize> = (0..tables.len()).filter(|&i| !done[i]).collect();
    let links: Vec<(usize, usize)> = edges.iter().map(|e| (e.child, e.parent)).collect();
    let cycles = super::graph::cycles(&open, &links);
    let cycle = cycles.first().expect("tables that cannot load hold a cycle");
    let within = |e: &&Edge| cycle.contains(&e.child) && cycle.contains(&e.parent);
    let chosen = edges.iter().enumerate().filter(|(_, e)| within(e) && e.breakable(tables)).min_by_key(|(_, e)| {
        (tables[e.child].row_estimate.unwrap_or(0), tables[e.child].name().clone(), e.columns.clone())
    });
    if let Some((n, _)) = chosen {
        return Ok(n);
    }
    let mut names: Vec<String> = cycle.iter().map(|&i| tables[i].name().to_string()).collect();
    names.sort();
    let mut keys: Vec<String> = edges.iter().filter(within).map(|e| e.describe(tables)).collect();
    keys.sort();
    Err(format!(
        "foreign keys form a cycle among {}, and none of its keys can be loaded NULL first ({} are NOT NULL in the \
         target, not all copied, or of a table without a primary key to fill them in by); make one nullable in the target, or let the target user switch foreign-key \
         checks off (PostgreSQL: superuser, or SET on session_replication_role)",
        names.join(", "),
        keys.join(", ")
    ))
}

/// The child of `edge` loads with its columns NULL and fills them in after the last wave.
fn defer(tables: &mut [TablePlan], edge: &Edge) {
    let parent = tables[edge.parent].write.table.name.clone();
    let child = &mut tables[edge.child];
    for &p in edge.at.as_deref().unwrap_or_default() {
        if !child.deferred.contains(&p) {
            child.deferred.push(p);
        }
    }
    let said = format!(
        "table {}: loaded with {} NULL, then filled in once {parent} was loaded (foreign keys form a cycle, and the \
         target user cannot switch their checks off)",
        child.write.table.name,
        edge.columns.join(", ")
    );
    child.note = Some(match child.note.take() {
        Some(before) => format!("{before}; {said}"),
        None => said,
    });
}
