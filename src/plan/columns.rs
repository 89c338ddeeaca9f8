//! Which of a table's columns are copied, and how each value changes form on the way to
//! another engine.

use std::collections::BTreeMap;

use super::{ColumnConvert, PlanOptions};
use crate::convert;
use crate::data::forms::ZeroDates;
use crate::engine::Recompute;
use crate::schema::{Column, Table};

/// The copied columns, in batch order: the source's names and the target's facts.
pub(super) struct Copied<'a> {
    pub names: Vec<String>,
    pub target: Vec<&'a Column>,
    pub conversions: Vec<ColumnConvert>,
}

impl Copied<'_> {
    /// Where a column a rule refers to sits in the batch: it must exist and be copied.
    pub fn index(&self, table: &Table, name: &str) -> Result<usize, String> {
        match self.names.iter().position(|c| c == name) {
            Some(i) => Ok(i),
            None if table.column_index(name).is_some() => {
                Err(format!("column {name} is generated, so it is not copied"))
            }
            None => Err(format!("column {name} is not in table {}", table.name)),
        }
    }
}

/// The target columns the config has the target compute (`recompute:`), each checked to be one
/// the load can leave out while the rows go in.
pub(super) fn recomputed(
    dest: &Table,
    recompute: Option<&BTreeMap<String, String>>,
    problems: &mut Vec<String>,
) -> Vec<Recompute> {
    let mut out = Vec::new();
    for (column, sql) in recompute.into_iter().flatten() {
        let at = |why: &str| format!("table {}, column {column}: recompute: {why}", dest.name);
        let Some(d) = dest.column_index(column).map(|i| &dest.columns[i]) else {
            problems.push(at("not found in the target table"));
            continue;
        };
        if d.generated {
            problems.push(at("the target generates it already"));
        } else if dest.primary_key.iter().any(|&k| dest.columns[k].name == *column) {
            problems.push(at("it is part of the primary key, which the rows need as they go in"));
        } else if !(d.nullable || d.has_default) {
            problems.push(at(
                "the target column is NOT NULL without a default, so the rows cannot go in before it is computed",
            ));
        } else {
            out.push(Recompute { column: column.clone(), sql: sql.clone() });
        }
    }
    out
}

/// Every source column but generated ones (each database computes those) and recomputed ones
/// (the target computes those), matched to the target's column of that name. Problems are
/// pushed, one per column.
/// Columns the copy does not carry: computed in the target, or skipped.
pub(super) struct Left<'a> {
    pub recompute: &'a [Recompute],
    pub skip: &'a [String],
}

pub(super) fn copied<'a>(
    table: &Table,
    dest: &'a Table,
    left: Left,
    options: PlanOptions,
    zero_dates: ZeroDates,
    problems: &mut Vec<String>,
) -> Copied<'a> {
    let name = &table.name;
    let mut copied = Copied { names: Vec::new(), target: Vec::new(), conversions: Vec::new() };
    let computed = |c: &str| left.recompute.iter().any(|r| r.column == c);
    let skipped = |c: &str| left.skip.iter().any(|s| s == c);
    for s in left.skip {
        if table.column_index(s).is_none() {
            problems.push(format!("table {name}, column {s}: skip_columns: no such column in the source"));
        }
    }
    for col in table.columns.iter().filter(|c| !c.generated && !computed(&c.name) && !skipped(&c.name)) {
        let Some(d) = dest.columns.iter().find(|d| d.name == col.name) else {
            problems.push(format!("table {name}, column {}: does not exist in the target", col.name));
            continue;
        };
        if d.generated {
            problems
                .push(format!("table {name}, column {}: is generated in the target but not in the source", col.name));
            continue;
        }
        if options.same_engine && d.declared_type != col.declared_type {
            problems.push(format!(
                "table {name}, column {}: type differs (source {}, target {})",
                col.name, col.declared_type, d.declared_type
            ));
            continue;
        }
        if !options.same_engine {
            match convert::plan_column(col, &options.source, d, &options.target, zero_dates) {
                Ok(steps) if steps.is_empty() => {}
                Ok(steps) => copied.conversions.push(ColumnConvert {
                    index: copied.names.len(),
                    column: col.name.clone(),
                    steps,
                }),
                Err(why) => {
                    problems.push(format!("table {name}, column {}: {why}", col.name));
                    continue;
                }
            }
        }
        copied.names.push(col.name.clone());
        copied.target.push(d);
    }
    // Columns only the target has are left to their defaults: one that cannot be omitted would
    // fail the load half-way through the run, so it is an error now.
    for d in &dest.columns {
        let omittable = d.nullable || d.has_default || d.generated || d.auto_increment || computed(&d.name);
        if !omittable && skipped(&d.name) {
            problems.push(format!(
                "table {name}, column {}: skip_columns: the target column is NOT NULL and has no default, so it \
                 must be copied",
                d.name
            ));
        } else if !omittable && table.column_index(&d.name).is_none() {
            problems.push(format!(
                "table {name}, column {}: exists only in the target, is NOT NULL and has no default",
                d.name
            ));
        }
    }
    copied
}
