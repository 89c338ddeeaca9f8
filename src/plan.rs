//! Config + source schema + target schema → the work for each table. Every problem is collected
//! and reported together before a single row moves; after this, nothing is looked up by name.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::config::{Config, Mode, Rule, RuleList, TableSpec};
use crate::convert::{self, Step};
use crate::engine::{BatchLimits, ReadRequest, TextForms, WriteRequest};
use crate::mask::row::{Action, BoundRule, ColumnRules, RowMask};
use crate::mask::{self, Masker, Spec};
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
    /// Columns whose values change form on the way to another engine.
    pub convert: Vec<ColumnConvert>,
    pub row_estimate: Option<u64>,
}

impl TablePlan {
    pub fn name(&self) -> &TableName {
        &self.read.table
    }
}

#[derive(Debug)]
pub struct Plan {
    pub tables: Vec<TablePlan>,
    /// Indices into `tables`: each wave starts after the previous one committed. One wave when
    /// the target's FK checks are off; parents before children otherwise.
    pub waves: Vec<Vec<usize>>,
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
}

pub fn resolve(config: &Config, source: &Schema, target: &Schema, options: PlanOptions) -> Result<Plan, PlanError> {
    let mut problems = Vec::new();

    let mut excluded = BTreeSet::new();
    for name in &config.exclude {
        match find_table(source, name.as_str()) {
            Ok(t) => {
                excluded.insert(t.name.clone());
            }
            Err(p) => problems.push(format!("exclude: {p}")),
        }
    }
    let mut rules: BTreeMap<TableName, &TableSpec> = BTreeMap::new();
    for (name, spec) in &config.tables {
        match find_table(source, name) {
            Ok(t) if excluded.contains(&t.name) => {
                problems.push(format!("table {}: has mask rules but is also excluded", t.name))
            }
            Ok(t) => {
                if rules.insert(t.name.clone(), spec).is_some() {
                    problems.push(format!("table {}: configured twice (as {name} and another name)", t.name));
                }
            }
            Err(p) => problems.push(p),
        }
    }

    let mut tables = Vec::new();
    for table in source.tables.iter().filter(|t| !excluded.contains(&t.name)) {
        match plan_table(table, target, rules.get(&table.name).copied(), options, config.zero_dates) {
            Ok(p) => tables.push(p),
            Err(mut p) => problems.append(&mut p),
        }
    }
    let waves = match order(&tables, source, options.checks_off) {
        Ok(w) => w,
        Err(p) => {
            problems.push(p);
            Vec::new()
        }
    };
    if problems.is_empty() { Ok(Plan { tables, waves }) } else { Err(PlanError { problems }) }
}

/// What the config asks for one column.
enum Requested<'a> {
    /// Short form: the rule is inferred from the column's name and type.
    Inferred,
    /// `column: null` (or `~`).
    Null,
    Rules(&'a [Rule]),
}

/// A config table name: `name`, or `schema.name`, among the introspected tables.
fn find_table<'a>(schema: &'a Schema, name: &str) -> Result<&'a Table, String> {
    let by_name: Vec<&Table> = schema.tables.iter().filter(|t| t.name.name == name).collect();
    match by_name.as_slice() {
        [one] => return Ok(one),
        [] => {}
        many => {
            let names: Vec<String> = many.iter().map(|t| t.name.to_string()).collect();
            return Err(format!("table {name}: ambiguous, it is in {}; write schema.table", names.join(" and ")));
        }
    }
    schema
        .tables
        .iter()
        .find(|t| t.name.to_string() == name)
        .ok_or_else(|| format!("table {name}: not found in the source"))
}

/// The target table for a source table: the same schema and name, else the only table of that
/// name (a MySQL source `prod.users` goes to `staging.users`).
pub fn target_table<'a>(target: &'a Schema, name: &TableName) -> Option<&'a Table> {
    target.table(name).or_else(|| {
        let mut same = target.tables.iter().filter(|t| t.name.name == name.name);
        match (same.next(), same.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    })
}

fn plan_table(
    table: &Table,
    target: &Schema,
    spec: Option<&TableSpec>,
    options: PlanOptions,
    zero_dates: convert::ZeroDates,
) -> Result<TablePlan, Vec<String>> {
    let name = &table.name;
    let mut problems = Vec::new();
    let Some(dest) = target_table(target, name) else {
        return Err(vec![format!("table {name}: does not exist in the target")]);
    };

    // Generated columns are computed by each database and never copied.
    let mut columns = Vec::new();
    let mut conversions = Vec::new();
    for col in table.columns.iter().filter(|c| !c.generated) {
        match dest.columns.iter().find(|d| d.name == col.name) {
            None => problems.push(format!("table {name}, column {}: does not exist in the target", col.name)),
            Some(d) if d.generated => problems
                .push(format!("table {name}, column {}: is generated in the target but not in the source", col.name)),
            Some(d) if options.same_engine && d.declared_type != col.declared_type => problems.push(format!(
                "table {name}, column {}: type differs (source {}, target {})",
                col.name, col.declared_type, d.declared_type
            )),
            Some(_) if options.same_engine => columns.push(col.name.clone()),
            Some(d) => match convert::plan_column(col, &options.source, d, &options.target, zero_dates) {
                Ok(steps) => {
                    if !steps.is_empty() {
                        conversions.push(ColumnConvert { index: columns.len(), column: col.name.clone(), steps });
                    }
                    columns.push(col.name.clone());
                }
                Err(why) => problems.push(format!("table {name}, column {}: {why}", col.name)),
            },
        }
    }

    // Columns only the target has are left to their defaults: one that cannot be omitted would
    // fail the load half-way through the run, so it is an error now.
    for d in &dest.columns {
        let omittable = d.nullable || d.has_default || d.generated || d.auto_increment;
        if !omittable && table.column_index(&d.name).is_none() {
            problems.push(format!(
                "table {name}, column {}: exists only in the target, is NOT NULL and has no default",
                d.name
            ));
        }
    }

    let (mode, requested): (Option<Mode>, Vec<(String, Requested)>) = match spec {
        None => (None, Vec::new()),
        Some(TableSpec::Short(cols)) => (None, cols.iter().map(|c| (c.clone(), Requested::Inferred)).collect()),
        Some(TableSpec::Full(rules)) => (
            rules.mode,
            rules
                .columns
                .iter()
                .map(|(c, rule)| {
                    let r = match rule {
                        None => Requested::Null,
                        Some(RuleList(list)) => Requested::Rules(list),
                    };
                    (c.clone(), r)
                })
                .collect(),
        ),
    };

    let mut masked = Vec::new();
    let mut templates: Vec<(String, Vec<usize>)> = Vec::new();
    for (column, request) in requested {
        let Some(src_index) = table.column_index(&column) else {
            problems.push(format!("table {name}, column {column}: not found in the source table"));
            continue;
        };
        let col = &table.columns[src_index];
        if col.generated {
            problems
                .push(format!("table {name}, column {column}: is generated, so it is not copied and cannot be masked"));
            continue;
        }
        let Some(index) = columns.iter().position(|c| c == &column) else {
            continue;
        };
        // Uniqueness is the target's: its keys are the ones a collision would break.
        let unique_keys = dest.column_index(&column).map(|i| dest.unique_keys_of(i)).unwrap_or_default();
        let at = |msg: String| format!("table {name}, column {column}: {msg}");
        let specs: Vec<(Option<mask::condition::Expr<String>>, Spec)> = match request {
            Requested::Null => vec![(None, Spec::Null)],
            Requested::Inferred => match mask::suggest(col, mask::infer(col), !unique_keys.is_empty(), false) {
                Some((spec, _)) => vec![(None, spec)],
                None => {
                    problems.push(at(format!(
                        "no mask fits a {} column{}; give a rule such as `null` or `set`",
                        col.declared_type,
                        if unique_keys.is_empty() { "" } else { " under a unique key" }
                    )));
                    continue;
                }
            },
            Requested::Rules(list) => {
                let mut specs = Vec::new();
                for rule in list {
                    match mask::spec::compile(rule) {
                        Ok(r) => specs.push((r.when, r.spec)),
                        Err(e) => problems.push(at(e)),
                    }
                }
                specs
            }
        };
        // A column whose only rule is `keep` is not masked at all.
        if specs.iter().all(|(when, spec)| when.is_none() && matches!(spec, Spec::Keep)) {
            continue;
        }
        let mut rules = Vec::new();
        for (when, spec) in specs {
            let when = match when.map(|w| w.bind(&mut |c: &String| copied_index(&columns, table, c))).transpose() {
                Ok(w) => w,
                Err(e) => {
                    problems.push(at(format!("when: {e}")));
                    continue;
                }
            };
            let action = match &spec {
                Spec::Template(t) => {
                    if col.class != crate::schema::TypeClass::Text {
                        problems.push(at(format!(
                            "mask template cannot produce a value for a {} column ({})",
                            col.class.label(),
                            col.declared_type
                        )));
                        continue;
                    }
                    match t.bind(&mut |c: &String| copied_index(&columns, table, c)) {
                        Ok(template) => {
                            let reads: Vec<usize> =
                                template.fields().filter(|(_, original)| !original).map(|(i, _)| *i).collect();
                            templates.push((column.clone(), reads));
                            Action::Template {
                                template,
                                max_chars: col.max_chars.map(|m| m as usize),
                                declared_type: col.declared_type.clone(),
                            }
                        }
                        Err(e) => {
                            problems.push(at(format!("template: {e}")));
                            continue;
                        }
                    }
                }
                spec => match Masker::new(spec, col, options.source.binary) {
                    Ok(m) => Action::Value(m),
                    Err(reason) => {
                        problems.push(at(reason));
                        continue;
                    }
                },
            };
            if let Some(key) = unique_keys.first() {
                let safe = match &action {
                    Action::Value(m) => m.unique_safe(),
                    Action::Template { .. } => Err("a template can give two rows the same value".to_string()),
                };
                if let Err(reason) = safe {
                    problems.push(at(format!("is under the target's {key}: {reason}")));
                }
            }
            rules.push(BoundRule { when, action });
        }
        masked.push(ColumnRules { index, column, rules, inferred: matches!(request, Requested::Inferred) });
    }
    // A template reads the row's masked values, so it cannot read another template's output.
    for (column, reads) in &templates {
        for &i in reads {
            if templates.iter().any(|(other, _)| other == &columns[i]) {
                problems.push(format!(
                    "table {name}, column {column}: template reads {}, which is itself built by a template; \
                     write {{{}|original}} or repeat its template",
                    columns[i], columns[i]
                ));
            }
        }
    }

    let key: Vec<String> = dest.primary_key.iter().map(|&i| dest.columns[i].name.clone()).collect();
    let mode = match mode {
        Some(Mode::Upsert) if key.is_empty() => {
            problems.push(format!("table {name}: mode upsert needs a primary key and the target table has none"));
            Mode::Upsert
        }
        Some(m) => m,
        None if key.is_empty() => Mode::Replace,
        None => Mode::Upsert,
    };
    if mode == Mode::Upsert && key.iter().any(|k| !columns.contains(k)) {
        problems.push(format!(
            "table {name}: the target's primary key ({}) is not among the copied columns",
            key.join(", ")
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let auto_increment =
        dest.columns.iter().filter(|c| c.auto_increment && columns.contains(&c.name)).map(|c| c.name.clone()).collect();
    let referenced =
        target.tables.iter().any(|t| t.foreign_keys.iter().any(|fk| fk.references == dest.name && t.name != dest.name));
    Ok(TablePlan {
        read: ReadRequest { table: name.clone(), columns: columns.clone(), limits: options.limits, sample: None },
        write: WriteRequest { table: dest.name.clone(), columns, mode, key, referenced, auto_increment },
        masks: RowMask::new(masked),
        convert: conversions,
        row_estimate: table.row_estimate,
    })
}

/// Where a column a rule refers to sits in the batch: it must exist and be copied.
fn copied_index(columns: &[String], table: &Table, name: &str) -> Result<usize, String> {
    match columns.iter().position(|c| c == name) {
        Some(i) => Ok(i),
        None if table.column_index(name).is_some() => Err(format!("column {name} is generated, so it is not copied")),
        None => Err(format!("column {name} is not in table {}", table.name)),
    }
}

/// Waves of table indices. Largest tables first within a wave, so the longest copy starts early.
fn order(tables: &[TablePlan], source: &Schema, checks_off: bool) -> Result<Vec<Vec<usize>>, String> {
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

#[cfg(test)]
mod tests;
