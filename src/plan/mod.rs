//! Config + source schema + target schema → the work for each table. Every problem is collected
//! and reported together before a single row moves; after this, nothing is looked up by name.

mod columns;
mod graph;
pub mod incremental;
mod keys;
mod order;
mod rules;
pub mod subset;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::config::Config;
use crate::convert::Step;
use crate::data::forms::{TextForms, ZeroDates};
use crate::data::mode::Mode;
use crate::engine::{BatchLimits, ReadRequest, Relation, RowFilter, WriteRequest};
use crate::mask::row::RowMask;
use crate::schema::{Schema, Table, TableName};

/// Everything wrong with a config against the live schemas, one line per problem.
#[derive(Debug, thiserror::Error)]
pub struct PlanError {
    pub problems: Vec<String>,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problems.join("\n"))
    }
}

/// One column's conversion into the target engine's form.
#[derive(Debug)]
pub struct ColumnConvert {
    /// Position of the column in the batch.
    pub index: usize,
    pub column: String,
    pub steps: Vec<Step>,
}

#[derive(Debug)]
pub struct TablePlan {
    pub read: ReadRequest,
    pub write: WriteRequest,
    pub masks: RowMask,
    /// Columns the config keeps by name: reviewed, so not flagged as personal.
    pub kept: Vec<String>,
    /// Columns whose values change form on the way to another engine.
    pub convert: Vec<ColumnConvert>,
    pub row_estimate: Option<u64>,
    /// Only the rows whose key a subset chose.
    pub keep: Option<Keep>,
    /// What the run summary says of how this table is copied (a mode that could not apply).
    pub note: Option<String>,
    /// Columns (by position in the read) written NULL when the table loads, and filled in by a
    /// second, upserting pass once every wave has loaded: a foreign key of a cycle, with the
    /// target's checks on.
    pub deferred: Vec<usize>,
    /// Read only the rows changed since the last run, by this column.
    pub incremental: Option<incremental::Incremental>,
}

/// The rows of a table a subset keeps, by their key's cells (in the read's columns).
#[derive(Debug)]
pub struct Keep {
    pub key: Vec<usize>,
    pub rows: std::sync::Arc<crate::data::keyset::KeySet>,
}

impl TablePlan {
    pub fn name(&self) -> &TableName {
        &self.read.table.name
    }

    /// The config decided this column: it is masked, or kept by name.
    pub fn settles(&self, column: &str) -> bool {
        self.masks.columns().iter().any(|m| m.column == column)
            || self.kept.iter().any(|k| k == column)
            || self.write.recompute.iter().any(|r| r.column == column)
    }
}

#[derive(Debug)]
pub struct Plan {
    pub tables: Vec<TablePlan>,
    /// Indices into `tables`: each wave starts after the previous one committed. One wave when
    /// the target's FK checks are off; parents before children otherwise.
    pub waves: Vec<Vec<usize>>,
    /// How a subset (or filters a foreign key crosses) chooses rows, when one does.
    pub subset: Option<subset::SubsetPlan>,
}

/// How the target will load, as far as the plan cares.
#[derive(Clone, Copy, Debug)]
pub struct PlanOptions {
    /// The engines' text forms; values are converted between them when `same_engine` is false.
    pub source: TextForms,
    pub target: TextForms,
    pub same_engine: bool,
    /// Target FK checks are off during the load, so tables may load in any order.
    pub checks_off: bool,
    pub limits: BatchLimits,
    /// The source is planned against itself (`check`, `init`): its keys are the source's.
    pub alone: bool,
}

pub fn resolve(config: &Config, source: &Schema, target: &Schema, options: PlanOptions) -> Result<Plan, PlanError> {
    let mut problems = Vec::new();

    let renames = Renames::of(config, source);
    let mut excluded = BTreeSet::new();
    for name in &config.exclude {
        match find_table(source, name.as_str()) {
            Ok(t) => {
                excluded.insert(t.name.clone());
            }
            Err(p) => problems.push(format!("exclude: {p}")),
        }
    }
    let mut modes: BTreeMap<TableName, Option<Mode>> = BTreeMap::new();
    let mut recomputed: BTreeMap<TableName, &BTreeMap<String, String>> = BTreeMap::new();
    let mut skipped: BTreeMap<TableName, &[String]> = BTreeMap::new();
    let mut filters: BTreeMap<TableName, RowFilter> = BTreeMap::new();
    let mut incrementals: BTreeMap<TableName, incremental::Incremental> = BTreeMap::new();
    let mut wanted: keys::WantedColumns = BTreeMap::new();
    for (name, spec) in &config.tables {
        match find_table(source, name) {
            Ok(t) if excluded.contains(&t.name) => {
                problems.push(format!("table {}: has mask rules but is also excluded", t.name))
            }
            Ok(t) => {
                if modes.contains_key(&t.name) {
                    problems.push(format!("table {}: configured twice (as {name} and another name)", t.name));
                    continue;
                }
                let dest = renames.dest(target, &t.name).unwrap_or(t);
                let (mode, columns) = rules::wanted(t, dest, spec, &mut problems);
                modes.insert(t.name.clone(), mode);
                wanted.insert(t.name.clone(), columns);
                if let crate::config::TableSpec::Full(rules) = spec {
                    recomputed.insert(t.name.clone(), &rules.recompute);
                    skipped.insert(t.name.clone(), &rules.skip_columns);
                    let filter = RowFilter {
                        condition: rules.condition.clone(),
                        order_by: rules.order_by.clone(),
                        limit: rules.limit,
                        key: Vec::new(),
                        by_key: false,
                        keys: None,
                        since: None,
                    };
                    filters.insert(t.name.clone(), filter);
                    if let Some(column) = &rules.incremental {
                        match incremental::resolve(t, column, rules.overlap.as_ref()) {
                            Ok(i) => {
                                incrementals.insert(t.name.clone(), i);
                            }
                            Err(p) => problems.push(p),
                        }
                    }
                }
            }
            Err(p) => problems.push(p),
        }
    }
    keys::propagate(source, target, &renames, &excluded, &mut wanted, &mut problems);

    let mut sent: BTreeMap<&TableName, &TableName> = BTreeMap::new();
    for t in source.tables.iter().filter(|t| !excluded.contains(&t.name)) {
        let Some(dest) = renames.dest(target, &t.name) else { continue };
        if let Some(other) = sent.insert(&dest.name, &t.name) {
            problems.push(format!(
                "tables {other} and {}: both go to the target table {}; give one another `target:`",
                t.name, dest.name
            ));
        }
    }
    let mut tables = Vec::new();
    for table in source.tables.iter().filter(|t| !excluded.contains(&t.name)) {
        if !table.readable {
            problems.push(format!(
                "table {}: the source user may not read it (no SELECT privilege); grant it, or add the table to \
                 `exclude:`",
                table.name
            ));
            continue;
        }
        let mode = modes.get(&table.name).copied().flatten();
        let recompute = recomputed.get(&table.name).copied();
        let filter = filters.remove(&table.name).unwrap_or_default();
        let skip = skipped.get(&table.name).copied().unwrap_or_default();
        let asked = Asked { mode, default_mode: config.mode, wanted: wanted.get(&table.name), recompute, filter, skip };
        match plan_table(table, target, &renames, asked, options, config.zero_dates) {
            Ok(mut p) => {
                p.incremental = incrementals.remove(&table.name);
                if p.incremental.is_some() && p.write.mode == Mode::Replace {
                    let keyless = if p.write.key.is_empty() { " (the target table has no primary key)" } else { "" };
                    problems.push(format!(
                        "table {}: incremental reads only the rows changed since the last run, and mode replace{keyless} \
                         would leave the table holding only those; use mode upsert or mirror",
                        table.name
                    ));
                }
                tables.push(p)
            }
            Err(mut p) => problems.append(&mut p),
        }
    }
    if tables.iter().any(|t| t.incremental.is_some()) {
        let (schema, name) = match config.state_table.split_once('.') {
            Some((s, n)) => (Some(s), n),
            None => (None, config.state_table.as_str()),
        };
        for t in &tables {
            let to = &t.write.table.name;
            if to.name == name && schema.is_none_or(|s| s == to.schema) {
                problems.push(format!(
                    "state_table {}: the target table {to} is copied too (from {}); name another state_table, or \
                     exclude the table",
                    config.state_table,
                    t.name()
                ));
            }
        }
    }
    let subset = subset::plan(config.subset.as_ref(), source, &tables, &mut problems);
    if let Some(s) = &subset {
        for t in s.tables.iter().filter(|t| t.tracked && t.reach != subset::Reach::Empty) {
            let Some(plan) = tables.iter_mut().find(|p| p.read.table.name == t.relation.name) else { continue };
            let key = &t.columns[..t.groups[0].len()];
            let at: Option<Vec<usize>> = key.iter().map(|k| plan.read.columns.iter().position(|c| c == k)).collect();
            match at {
                Some(key) => plan.keep = Some(Keep { key, rows: Default::default() }),
                None => problems.push(format!(
                    "table {}: the subset chooses its rows by {}, and not all of it is copied",
                    t.relation.name,
                    key.join(", ")
                )),
            }
            if plan.incremental.is_some() {
                problems.push(format!(
                    "table {}: incremental reads only the rows changed since the last run, and which of its rows \
                     are copied depends on other tables' rows (a subset, or a filter its foreign keys cross), so a \
                     row could come into the selection unchanged and never be read; drop `incremental` here",
                    t.relation.name
                ));
            }
        }
    }
    let waves = match order::waves(&mut tables, source, options.checks_off) {
        Ok(w) => w,
        Err(p) => {
            problems.push(p);
            Vec::new()
        }
    };
    if problems.is_empty() {
        return Ok(Plan { tables, waves, subset });
    }
    // Grouped by table, each said once.
    problems.sort();
    problems.dedup();
    Err(PlanError { problems })
}

/// A config table name: `name`, or `schema.name`, among the introspected tables.
pub fn find_table<'a>(schema: &'a Schema, name: &str) -> Result<&'a Table, String> {
    let by_name: Vec<&Table> = schema.tables.iter().filter(|t| t.name.name == name).collect();
    match by_name.as_slice() {
        [one] => return Ok(one),
        [] => {}
        many => {
            let names: Vec<String> = many.iter().map(|t| t.name.to_string()).collect();
            return Err(format!("table {name}: ambiguous, it is in {}; write schema.table", names.join(" and ")));
        }
    }
    if let Some(t) = schema.tables.iter().find(|t| t.name.to_string() == name) {
        return Ok(t);
    }
    // `sales.orders` while only other schemas are copied: say which list to extend.
    let listed: std::collections::BTreeSet<&str> = schema.tables.iter().map(|t| t.name.schema.as_str()).collect();
    if let Some((prefix, _)) = name.split_once('.')
        && !listed.is_empty()
        && !listed.contains(prefix)
    {
        let listed: Vec<&str> = listed.into_iter().collect();
        return Err(format!(
            "table {name}: schema {prefix} is not copied (the source's tables come from {}); add it to `schemas:`",
            listed.join(", ")
        ));
    }
    let holding: Vec<&str> = schema.elsewhere.iter().filter(|t| t.name == name).map(|t| t.schema.as_str()).collect();
    if !holding.is_empty() && !listed.is_empty() {
        let listed: Vec<&str> = listed.into_iter().collect();
        let (where_, add) = match holding.as_slice() {
            [one] => (format!("schema {one}"), one.to_string()),
            many => (format!("schemas {}", many.join(", ")), "one of them".to_string()),
        };
        return Err(format!(
            "table {name}: not among the copied schemas ({}); it is in {where_}: add {add} to `schemas:`",
            listed.join(", ")
        ));
    }
    Err(format!("table {name}: not found in the source"))
}

/// The target table for a source table: the same schema and name, else the only table of that
/// name (a MySQL source `prod.users` goes to `staging.users`).
pub fn target_table<'a>(target: &'a Schema, name: &TableName) -> Option<&'a Table> {
    target.table(name).or_else(|| only_named(target, &name.name))
}

fn only_named<'a>(target: &'a Schema, name: &str) -> Option<&'a Table> {
    let mut same = target.tables.iter().filter(|t| t.name.name == name);
    match (same.next(), same.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// Source tables the config sends to a target table of another name (`target:`).
#[derive(Debug, Default)]
pub struct Renames(BTreeMap<TableName, String>);

impl Renames {
    /// The config's `target:` keys, by source table; names the source lacks are the plan's to
    /// report.
    pub fn of(config: &Config, source: &Schema) -> Self {
        let mut map = BTreeMap::new();
        for (name, spec) in &config.tables {
            if let (crate::config::TableSpec::Full(rules), Ok(t)) = (spec, find_table(source, name))
                && let Some(to) = &rules.target
            {
                map.insert(t.name.clone(), to.clone());
            }
        }
        Renames(map)
    }

    /// The target table a source table goes to: its `target:`, else [`target_table`].
    pub fn dest<'a>(&self, target: &'a Schema, name: &TableName) -> Option<&'a Table> {
        match self.0.get(name) {
            None => target_table(target, name),
            Some(to) => match to.split_once('.') {
                Some((schema, table)) => target.table(&TableName::new(schema, table)),
                None => only_named(target, to),
            },
        }
    }

    /// The name a table created in the target gets: its `target:`, else its own, in
    /// `schema` unless `target:` names one.
    pub fn created(&self, name: &TableName, schema: &str) -> TableName {
        match self.0.get(name).map(|to| to.split_once('.')) {
            Some(Some((s, t))) => TableName::new(s, t),
            Some(None) => TableName::new(schema, self.0[name].as_str()),
            None => TableName::new(schema, name.name.as_str()),
        }
    }

    fn get(&self, name: &TableName) -> Option<&String> {
        self.0.get(name)
    }
}

/// What the config asks of one table.
struct Asked<'a> {
    mode: Option<Mode>,
    /// The config's `mode:` for tables that name none.
    default_mode: Option<Mode>,
    wanted: Option<&'a BTreeMap<String, rules::Wanted>>,
    recompute: Option<&'a BTreeMap<String, String>>,
    skip: &'a [String],
    filter: RowFilter,
}

fn plan_table(
    table: &Table,
    target: &Schema,
    renames: &Renames,
    asked: Asked,
    options: PlanOptions,
    zero_dates: ZeroDates,
) -> Result<TablePlan, Vec<String>> {
    let Asked { mode, default_mode, wanted, recompute, filter, skip } = asked;
    let name = &table.name;
    let mut problems = Vec::new();
    let Some(dest) = renames.dest(target, name) else {
        return Err(vec![match renames.get(name) {
            Some(to) => format!("table {name}: target: {to} does not exist in the target"),
            None => format!("table {name}: does not exist in the target"),
        }]);
    };
    let recompute = columns::recomputed(dest, recompute, &mut problems);
    let left = columns::Left { recompute: &recompute, skip };
    let copied = columns::copied(table, dest, left, options, zero_dates, &mut problems);
    let (masked, kept) = rules::masked(table, dest, &copied, wanted, options, &mut problems);
    let key: Vec<String> = dest.primary_key.iter().map(|&i| dest.columns[i].name.clone()).collect();
    let mut note = None;
    let mode = match (mode, default_mode) {
        (Some(Mode::Upsert), _) if key.is_empty() => {
            problems.push(format!("table {name}: mode upsert needs a primary key and the target table has none"));
            Mode::Upsert
        }
        (Some(Mode::Mirror), _) | (None, Some(Mode::Mirror)) if key.is_empty() => {
            note = Some(format!(
                "table {name}: mode mirror finds deleted rows by key and the target table has no primary key, so it \
                 is replaced (emptied and loaded again in one transaction)"
            ));
            Mode::Replace
        }
        (Some(m), _) => m,
        (None, _) if key.is_empty() => Mode::Replace,
        (None, Some(m)) => m,
        (None, None) => Mode::Upsert,
    };
    let source_key: Vec<&str> = table.primary_key.iter().map(|&i| table.columns[i].name.as_str()).collect();
    let same_key = source_key.len() == key.len() && key.iter().all(|k| source_key.contains(&k.as_str()));
    if mode == Mode::Mirror && !source_key.is_empty() && !same_key {
        problems.push(format!(
            "table {name}: mode mirror finds deleted rows by the target's primary key ({}), which is not the \
             source's ({}); give both the same key, or use mode upsert",
            key.join(", "),
            source_key.join(", ")
        ));
    }
    if matches!(mode, Mode::Upsert | Mode::Mirror) && key.iter().any(|k| !copied.names.contains(k)) {
        problems.push(format!(
            "table {name}: the target's primary key ({}) is not among the copied columns",
            key.join(", ")
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let auto_increment = copied.target.iter().filter(|c| c.auto_increment).map(|c| c.name.clone()).collect();
    let referenced =
        target.tables.iter().any(|t| t.foreign_keys.iter().any(|fk| fk.references == dest.name && t.name != dest.name));
    Ok(TablePlan {
        read: ReadRequest {
            table: Relation::of(table),
            columns: copied.names,
            limits: options.limits,
            sample: None,
            filter: RowFilter {
                key: table.primary_key.iter().map(|&i| table.columns[i].name.clone()).collect(),
                ..filter
            },
        },
        write: WriteRequest {
            table: Relation::of(dest),
            columns: copied.target.into_iter().cloned().collect(),
            mode,
            key,
            referenced,
            auto_increment,
            recompute,
            state: None,
        },
        masks: RowMask::new(masked),
        kept,
        convert: copied.conversions,
        row_estimate: table.row_estimate,
        keep: None,
        note,
        deferred: Vec::new(),
        incremental: None,
    })
}

#[cfg(test)]
mod readme_types;
#[cfg(test)]
mod tests;
