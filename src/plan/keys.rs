//! Keys stay joined under masks: a rule on a key that other columns reference (declared foreign
//! keys, composite ones, chains of them) applies, the same rule bound to the key's column, to
//! every column that references it, so a value and every copy of it get one pseudonym. Columns
//! linked by foreign keys form one group; the group's keys (the members that reference nothing
//! in it) give the rule, and a member that asks for another is an error naming both ends.

use std::collections::{BTreeMap, BTreeSet};

use super::rules::{Followed, Wanted};
use crate::mask::{RuleSpec, Spec};
use crate::schema::{ColumnRef, Schema, TableName};

/// What each table's columns are asked for, by column name.
pub(super) type WantedColumns = BTreeMap<TableName, BTreeMap<String, Wanted>>;

/// Columns joined by foreign keys, found with a union-find over `(table, column)`.
#[derive(Default)]
struct Groups {
    columns: Vec<ColumnRef>,
    index: BTreeMap<ColumnRef, usize>,
    parent: Vec<usize>,
    /// Members that reference another member.
    referencing: BTreeSet<usize>,
}

impl Groups {
    fn node(&mut self, column: ColumnRef) -> usize {
        if let Some(&i) = self.index.get(&column) {
            return i;
        }
        let i = self.columns.len();
        self.columns.push(column.clone());
        self.index.insert(column, i);
        self.parent.push(i);
        i
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn join(&mut self, child: ColumnRef, parent: ColumnRef) {
        let (c, p) = (self.node(child), self.node(parent));
        if c == p {
            return;
        }
        self.referencing.insert(c);
        let (rc, rp) = (self.root(c), self.root(p));
        self.parent[rc] = rp;
    }

    /// Each group's members, in a stable order.
    fn groups(mut self) -> (Vec<ColumnRef>, BTreeSet<usize>, Vec<Vec<usize>>) {
        let mut by_root: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..self.columns.len() {
            let r = self.root(i);
            by_root.entry(r).or_default().push(i);
        }
        (self.columns, self.referencing, by_root.into_values().collect())
    }
}

/// The foreign-key groups of the copied tables: the source's foreign keys, and the target's
/// (a twin whose schema declares keys the source does not must still join), each target table
/// and column taken back to the source's of the same name.
fn groups(source: &Schema, target: &Schema, renames: &super::Renames, excluded: &BTreeSet<TableName>) -> Groups {
    let mut g = Groups::default();
    let copied = || source.tables.iter().filter(|t| !excluded.contains(&t.name));
    let from_target: BTreeMap<&TableName, &crate::schema::Table> =
        copied().filter_map(|s| renames.dest(target, &s.name).map(|d| (&d.name, s))).collect();
    for dest in &target.tables {
        let Some(child) = from_target.get(&dest.name) else { continue };
        for fk in &dest.foreign_keys {
            let Some(parent) = from_target.get(&fk.references) else { continue };
            for (&c, referenced) in fk.columns.iter().zip(&fk.referenced_columns) {
                let column = &dest.columns[c].name;
                if child.column_index(column).is_none() || parent.column_index(referenced).is_none() {
                    continue;
                }
                g.join(ColumnRef::new(&child.name, column), ColumnRef::new(&parent.name, referenced));
            }
        }
    }
    for table in source.tables.iter().filter(|t| !excluded.contains(&t.name)) {
        for fk in &table.foreign_keys {
            if excluded.contains(&fk.references) {
                continue;
            }
            let Some(parent) = source.table(&fk.references) else { continue };
            for (&c, referenced) in fk.columns.iter().zip(&fk.referenced_columns) {
                if parent.column_index(referenced).is_none() {
                    continue;
                }
                g.join(ColumnRef::new(&table.name, &table.columns[c].name), ColumnRef::new(&parent.name, referenced));
            }
        }
    }
    g
}

/// Give every referencing column its key's rule, in `wanted`; a problem per conflict.
pub(super) fn propagate(
    source: &Schema,
    target: &Schema,
    renames: &super::Renames,
    excluded: &BTreeSet<TableName>,
    wanted: &mut WantedColumns,
    problems: &mut Vec<String>,
) {
    let (columns, referencing, groups) = groups(source, target, renames, excluded).groups();
    for members in groups.into_iter().filter(|m| m.len() > 1) {
        let mut keys: Vec<usize> = members.iter().copied().filter(|m| !referencing.contains(m)).collect();
        if keys.is_empty() {
            // A cycle of references: every member is a key.
            keys = members.clone();
        }
        let key = keys.iter().copied().find(|&k| masking(wanted, &columns[k]).is_some()).unwrap_or(keys[0]);
        let key_rules: Option<Vec<RuleSpec>> = masking(wanted, &columns[key]).map(|w| w.rules.clone());
        let disagree = keys.iter().copied().find(|&k| match (&key_rules, masking(wanted, &columns[k])) {
            (Some(a), Some(b)) => !RuleSpec::same_rules(a, &b.rules),
            (a, b) => a.is_some() != b.is_some(),
        });
        if let Some(other) = disagree {
            let through = members.iter().find(|m| referencing.contains(m)).map(|&m| &columns[m]);
            problems.push(format!(
                "table {}, column {} and table {}, column {}: joined by foreign keys{} but masked differently; \
                 give them the same rule",
                columns[key].table,
                columns[key].column,
                columns[other].table,
                columns[other].column,
                through.map(|t| format!(" (through {t})")).unwrap_or_default()
            ));
            continue;
        }
        let mut followers = Vec::new();
        for &m in members.iter().filter(|m| !keys.contains(m)) {
            let at = &columns[m];
            let key_name = &columns[key];
            match (&key_rules, asked(wanted, at)) {
                (None, None) => {}
                (None, Some(w)) if RuleSpec::keeps(&w.rules) => {}
                (None, Some(_)) => problems.push(format!(
                    "table {}, column {}: references {key_name}, which is not masked, so masking this column \
                     alone would break the join; mask {key_name} instead (the columns that reference it follow its rule)",
                    at.table, at.column
                )),
                (Some(k), Some(w)) if !w.inferred && !RuleSpec::same_rules(k, &w.rules) => {
                    let what = if RuleSpec::keeps(&w.rules) { "keeps its values" } else { "has a rule of its own" };
                    problems.push(format!(
                        "table {}, column {}: {what}, but it references {key_name}, which is masked: \
                         remove its rule (it follows {key_name}) or give both the same rule",
                        at.table, at.column
                    ))
                }
                (Some(_), _) => followers.push(m),
            }
        }
        let Some(rules) = key_rules else { continue };
        let Some(&first) = followers.first() else { continue };
        let key_ref = columns[key].clone();
        if rules.iter().any(|r| r.when.is_some() || matches!(r.spec, Spec::Template(_))) {
            problems.push(format!(
                "table {}, column {}: is referenced by {}, so its rule must give a value the same pseudonym \
                 wherever it appears: no `when` and no template",
                key_ref.table, key_ref.column, columns[first]
            ));
            continue;
        }
        let Some(key_column) =
            source.table(&key_ref.table).and_then(|t| t.column_index(&key_ref.column).map(|i| t.columns[i].clone()))
        else {
            continue;
        };
        for &k in &keys {
            if let Some(w) = wanted.get_mut(&columns[k].table).and_then(|m| m.get_mut(&columns[k].column)) {
                w.referenced_by = Some(columns[first].clone());
            }
        }
        for m in followers {
            let at = &columns[m];
            let follows = Followed { key: key_ref.clone(), column: key_column.clone() };
            wanted.entry(at.table.clone()).or_default().insert(
                at.column.clone(),
                Wanted { rules: rules.clone(), inferred: false, follows: Some(follows), referenced_by: None },
            );
        }
    }
}

/// What the config asks of a column, if anything.
fn asked<'a>(wanted: &'a WantedColumns, c: &ColumnRef) -> Option<&'a Wanted> {
    wanted.get(&c.table).and_then(|m| m.get(&c.column))
}

/// The column's rules when they change values (not absent, not only `keep`).
fn masking<'a>(wanted: &'a WantedColumns, c: &ColumnRef) -> Option<&'a Wanted> {
    asked(wanted, c).filter(|w| !RuleSpec::keeps(&w.rules))
}
