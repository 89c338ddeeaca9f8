//! The `subset:` section (or the per-table filters alone) against the source schema: which
//! tables the subset reaches and how, the edges it follows, and what each table's key-only scan
//! reads. The selection itself runs in the pipeline; this only decides.
//!
//! The model: roots pick rows; children (rows that reference a picked row) are followed down
//! from roots and from children, never from rows pulled in as parents, so the closure does not
//! grow to the whole database; every picked row pulls in the parents it references, and theirs;
//! `whole` tables are copied whole with their parents; tables none of this reaches are copied
//! whole or left empty. A row whose parent is not copied (a table's `where` or `limit` leaves it
//! out) is left out too, and so are the rows that need it.

use std::collections::{BTreeMap, BTreeSet};

use super::{TablePlan, find_table};
use crate::config::{Columns, Disconnected, Subset};
use crate::engine::{Relation, RowFilter};
use crate::schema::{Schema, Table, TableName, TypeClass};

/// How a table's rows are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Roots, their children, and the parents any chosen row needs.
    Picked,
    /// All rows (that its own filter keeps), with their parents.
    Whole,
    /// No rows: the subset never reaches it and `disconnected: empty` says so.
    Empty,
}

#[derive(Debug)]
pub struct SubsetTable {
    pub relation: Relation,
    pub reach: Reach,
    /// Roots or children may be chosen in it, so its children are followed.
    pub down: bool,
    /// Its rows are counted and chosen by key; an untracked table is copied as it is (whole,
    /// nothing references it through a filter, nothing it references can be left out).
    pub tracked: bool,
    /// What a scan reads: the key's columns first, then every column an edge uses.
    pub columns: Vec<String>,
    /// Column groups by position in `columns`: group 0 is the key, the others the columns
    /// children reference where those are not the key (a foreign key to a unique column).
    pub groups: Vec<Vec<usize>>,
    /// The table's own `where`/`limit`/`order_by`: the rows the subset may choose from.
    pub filter: RowFilter,
    /// The planner's row count, when known.
    pub row_estimate: Option<u64>,
}

/// A link from child rows to the parent row they name.
#[derive(Debug)]
pub struct Edge {
    pub child: usize,
    /// Positions in the child's scan columns, paired with the parent group's columns.
    pub columns: Vec<usize>,
    pub parent: usize,
    pub group: usize,
    /// Source SQL on the child: only rows where it holds reference the parent.
    pub when: Option<String>,
    pub children: bool,
    pub max_children: Option<u64>,
    /// An index of the child leads with the edge's columns, so its children can be looked up
    /// by the parents' keys instead of found by reading the whole child table.
    pub indexed: bool,
    /// `orders(customer_id) → customers(id)`.
    pub label: String,
}

#[derive(Debug)]
pub struct RootPlan {
    pub table: usize,
    pub condition: Option<String>,
    pub percent: Option<f64>,
    pub limit: Option<u64>,
    pub order_by: Option<String>,
}

#[derive(Debug)]
pub struct SubsetPlan {
    pub tables: Vec<SubsetTable>,
    pub edges: Vec<Edge>,
    pub roots: Vec<RootPlan>,
}

impl SubsetPlan {
    pub fn index(&self, name: &TableName) -> Option<usize> {
        self.tables.iter().position(|t| &t.relation.name == name)
    }

    /// One line per table, for `check` and `--dry-run`: how its rows are chosen.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (i, t) in self.tables.iter().enumerate() {
            if !t.tracked && t.reach == Reach::Whole {
                lines.push(format!("{}: whole", t.relation.name));
                continue;
            }
            let mut how = Vec::new();
            for r in self.roots.iter().filter(|r| r.table == i) {
                how.push(match (&r.condition, r.percent, r.limit) {
                    (c, Some(p), _) => {
                        let about = t.row_estimate.map(|n| format!(" (~{})", (n as f64 * p / 100.0).ceil() as u64));
                        format!("root: {p}% by keyed hash{}{}", on(c), about.unwrap_or_default())
                    }
                    (c, _, Some(n)) => {
                        format!("root: first {n}{} by {}", on(c), r.order_by.as_deref().unwrap_or("key"))
                    }
                    (Some(c), None, None) => format!("root: where {c}"),
                    (None, None, None) => "root: every row".to_string(),
                });
            }
            match t.reach {
                Reach::Whole => how.push("whole".into()),
                Reach::Empty => how.push("empty (the subset never reaches it)".into()),
                Reach::Picked => {}
            }
            for e in self.edges.iter().filter(|e| e.child == i && e.children && self.tables[e.parent].down) {
                let cap = e.max_children.map(|n| format!(", at most {n} per parent")).unwrap_or_default();
                how.push(format!("children of {} via {}{cap}", self.tables[e.parent].relation.name, e.label));
            }
            let parents: BTreeSet<String> = self
                .edges
                .iter()
                .filter(|e| e.parent == i && self.tables[e.child].tracked)
                .map(|e| self.tables[e.child].relation.name.to_string())
                .collect();
            if !parents.is_empty() {
                how.push(format!("parents of {}", parents.into_iter().collect::<Vec<_>>().join(", ")));
            }
            if !t.filter.is_empty() {
                how.push("within its own where/limit".into());
            }
            if let Some(n) = t.row_estimate {
                how.push(format!("of ~{n} rows"));
            }
            lines.push(format!("{}: {}", t.relation.name, how.join("; ")));
        }
        lines
    }

    /// The tracked tables on a cycle of edges (a self-reference is one of one table).
    pub fn cycles(&self) -> Vec<Vec<usize>> {
        let tracked: Vec<usize> = (0..self.tables.len()).filter(|&i| self.tables[i].tracked).collect();
        let links: Vec<(usize, usize)> = self.edges.iter().map(|e| (e.child, e.parent)).collect();
        super::graph::cycles(&tracked, &links)
    }
}

fn on(condition: &Option<String>) -> String {
    condition.as_ref().map(|c| format!(" of rows where {c}")).unwrap_or_default()
}

/// A link before its columns are placed in scans: names only.
struct Link {
    child: usize,
    child_columns: Vec<String>,
    parent: usize,
    parent_columns: Vec<String>,
    when: Option<String>,
    declared: bool,
    children: bool,
    max_children: Option<u64>,
}

impl Link {
    fn label(&self, tables: &[&Table]) -> String {
        format!(
            "{}({}) → {}({})",
            tables[self.child].name.name,
            self.child_columns.join(", "),
            tables[self.parent].name.name,
            self.parent_columns.join(", ")
        )
    }
}

/// The subset over the planned tables, or `None` when every table is copied as it is (no
/// `subset:`, and no filter that a reference could cross).
pub(super) fn plan(
    subset: Option<&Subset>,
    source: &Schema,
    planned: &[TablePlan],
    problems: &mut Vec<String>,
) -> Option<SubsetPlan> {
    let tables: Vec<&Table> = planned.iter().filter_map(|p| source.table(p.name())).collect();
    if tables.len() != planned.len() {
        return None;
    }
    let index: BTreeMap<&TableName, usize> = tables.iter().enumerate().map(|(i, t)| (&t.name, i)).collect();
    let filtered: Vec<bool> = planned.iter().map(|p| !p.read.filter.is_empty()).collect();
    let before = problems.len();
    // Names → the planned table, or a problem naming where the name was written.
    let lookup = |name: &str, at: &str, problems: &mut Vec<String>| match find_table(source, name) {
        Ok(t) => match index.get(&t.name) {
            Some(&i) => Some(i),
            None => {
                problems.push(format!("{at}: table {} is not copied (it is excluded)", t.name));
                None
            }
        },
        Err(p) => {
            problems.push(format!("{at}: {p}"));
            None
        }
    };

    let children = subset.is_none_or(|s| s.children);
    let max_children = subset.and_then(|s| s.max_children);
    let mut links = Vec::new();
    for (c, t) in tables.iter().enumerate() {
        for fk in &t.foreign_keys {
            let Some(&p) = index.get(&fk.references) else { continue };
            links.push(Link {
                child: c,
                child_columns: fk.columns.iter().map(|&i| t.columns[i].name.clone()).collect(),
                parent: p,
                parent_columns: fk.referenced_columns.clone(),
                when: None,
                declared: true,
                children: subset.is_some() && children,
                max_children,
            });
        }
    }
    let mut keys: Vec<Option<Vec<String>>> = tables
        .iter()
        .map(|t| {
            (!t.primary_key.is_empty()).then(|| t.primary_key.iter().map(|&i| t.columns[i].name.clone()).collect())
        })
        .collect();
    let mut roots = Vec::new();
    let mut whole = BTreeSet::new();
    if let Some(s) = subset {
        for (table, columns) in &s.keys {
            let at = format!("subset: keys: {table}");
            let Some(i) = lookup(table, &at, problems) else { continue };
            if keys[i].is_some() {
                problems.push(format!(
                    "{at}: table {} has a primary key; `keys:` is for tables without one",
                    tables[i].name
                ));
            } else if has_columns(tables[i], columns, &at, problems) {
                keys[i] = Some(columns.clone());
            }
        }
        for (n, r) in s.relations.iter().enumerate() {
            let at = format!("subset: relation {}", n + 1);
            let (Some(c), Some(p)) = (lookup(&r.from.table, &at, problems), lookup(&r.to.table, &at, problems)) else {
                continue;
            };
            if !has_columns(tables[c], &r.from.columns, &at, problems)
                || !has_columns(tables[p], &r.to.columns, &at, problems)
                || !types_pair(tables[c], &r.from, tables[p], &r.to, &at, problems)
            {
                continue;
            }
            links.push(Link {
                child: c,
                child_columns: r.from.columns.clone(),
                parent: p,
                parent_columns: r.to.columns.clone(),
                when: r.when.clone(),
                declared: false,
                children,
                max_children,
            });
        }
        for (n, e) in s.edges.iter().enumerate() {
            let at = format!("subset: edge {}", n + 1);
            let (Some(c), Some(p)) = (lookup(&e.from.table, &at, problems), lookup(&e.to.table, &at, problems)) else {
                continue;
            };
            let found = links.iter_mut().filter(|l| {
                l.child == c && l.parent == p && l.child_columns == e.from.columns && l.parent_columns == e.to.columns
            });
            let mut any = false;
            for l in found {
                any = true;
                l.children = e.children.unwrap_or(l.children);
                l.max_children = e.max_children.or(l.max_children);
            }
            if !any {
                problems.push(format!(
                    "{at}: no foreign key or relation goes from {} to {}; declare it under `relations:`",
                    e.from, e.to
                ));
            }
        }
        for name in &s.whole {
            if let Some(i) = lookup(name, "subset: whole", problems) {
                whole.insert(i);
            }
        }
        for (n, r) in s.roots.iter().enumerate() {
            let at = format!("subset: root {}", n + 1);
            let Some(i) = lookup(&r.table, &at, problems) else { continue };
            if whole.contains(&i) {
                problems.push(format!("{at}: table {} is also in `whole:`; it is copied whole anyway", tables[i].name));
            }
            roots.push(RootPlan {
                table: i,
                condition: r.condition.clone(),
                percent: r.percent,
                limit: r.limit,
                order_by: r.order_by.clone(),
            });
        }
    }
    if problems.len() > before {
        return None;
    }

    // Which tables the subset reaches: down from roots along edges followed to children, then
    // up from every reached table.
    let n = tables.len();
    let mut reach: Vec<Option<Reach>> = vec![None; n];
    let mut down = vec![false; n];
    for r in &roots {
        down[r.table] = true;
    }
    spread(&mut down, |i, marked| links.iter().any(|l| l.child == i && l.children && marked[l.parent]));
    let mut reached = down.clone();
    let disconnected = subset.map(|s| s.disconnected).unwrap_or(Disconnected::Whole);
    let mut whole_now: Vec<bool> = (0..n).map(|i| whole.contains(&i) || subset.is_none()).collect();
    loop {
        for i in 0..n {
            reached[i] |= whole_now[i];
        }
        spread(&mut reached, |i, marked| links.iter().any(|l| l.parent == i && marked[l.child]));
        let left: Vec<usize> = (0..n).filter(|&i| !reached[i] && !whole_now[i]).collect();
        if left.is_empty() || disconnected == Disconnected::Empty {
            for i in left {
                reach[i] = Some(Reach::Empty);
            }
            break;
        }
        for i in left {
            whole_now[i] = true;
        }
    }
    for i in 0..n {
        if reach[i].is_none() {
            reach[i] = Some(if whole_now[i] && !down[i] || whole.contains(&i) { Reach::Whole } else { Reach::Picked });
        }
    }
    let reach: Vec<Reach> = reach.into_iter().map(|r| r.expect("every table has its reach")).collect();
    // Children are never followed into or out of a table copied whole.
    for l in &mut links {
        if reach[l.parent] != Reach::Picked || reach[l.child] != Reach::Picked {
            l.children = false;
        }
    }

    // Tracked: a table whose rows may be fewer than its own filter gives, or whose values a
    // tracked child must find.
    let mut tracked: Vec<bool> = reach.iter().map(|r| *r != Reach::Whole).collect();
    for l in links.iter().filter(|l| !l.declared) {
        tracked[l.child] = true;
        tracked[l.parent] = true;
    }
    loop {
        let mut changed = false;
        for l in &links {
            let parent_cut = tracked[l.parent] || filtered[l.parent];
            if parent_cut && !tracked[l.child] && l.child != l.parent {
                tracked[l.child] = true;
                changed = true;
            }
            if tracked[l.child] && filtered[l.parent] && !tracked[l.parent] {
                tracked[l.parent] = true;
                changed = true;
            }
            if l.child == l.parent && filtered[l.child] && !tracked[l.child] {
                tracked[l.child] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    if subset.is_none() && !tracked.iter().any(|&t| t) {
        return None;
    }

    let mut out = Vec::new();
    for i in 0..n {
        let key = match &keys[i] {
            Some(k) => k.clone(),
            None if !tracked[i] || reach[i] == Reach::Empty => Vec::new(),
            None => {
                problems.push(format!(
                    "table {}: the subset must tell its rows apart and it has no primary key; name the columns that \
                     identify a row under `subset: keys: {}: [...]`",
                    tables[i].name, tables[i].name.name
                ));
                continue;
            }
        };
        out.push(SubsetTable {
            relation: planned[i].read.table.clone(),
            reach: reach[i],
            down: down[i] && reach[i] == Reach::Picked,
            tracked: tracked[i],
            groups: vec![(0..key.len()).collect()],
            columns: key,
            filter: planned[i].read.filter.clone(),
            row_estimate: planned[i].row_estimate,
        });
    }
    if problems.len() > before {
        return None;
    }
    let mut edges = Vec::new();
    for l in &links {
        if !out[l.child].tracked || !out[l.parent].tracked {
            continue;
        }
        let label = l.label(&tables);
        let parent = &mut out[l.parent];
        // A reference to the key in another order is the key, its columns paired anew.
        let key_order: Option<Vec<usize>> = (l.parent_columns.len() == parent.groups[0].len())
            .then(|| {
                parent.groups[0]
                    .iter()
                    .map(|&k| l.parent_columns.iter().position(|c| c == &parent.columns[k]))
                    .collect::<Option<Vec<usize>>>()
            })
            .flatten();
        let (group, child_columns) = match key_order {
            Some(order) => (0, order.iter().map(|&j| l.child_columns[j].clone()).collect::<Vec<_>>()),
            None => {
                let positions: Vec<usize> = l.parent_columns.iter().map(|c| place(&mut parent.columns, c)).collect();
                let group = match parent.groups.iter().position(|g| g == &positions) {
                    Some(g) => g,
                    None => {
                        parent.groups.push(positions);
                        parent.groups.len() - 1
                    }
                };
                (group, l.child_columns.clone())
            }
        };
        let indexed = leads_an_index(tables[l.child], &child_columns);
        let child = &mut out[l.child];
        let columns = child_columns.iter().map(|c| place(&mut child.columns, c)).collect();
        edges.push(Edge {
            child: l.child,
            columns,
            parent: l.parent,
            group,
            when: l.when.clone(),
            children: l.children,
            max_children: l.max_children,
            indexed,
            label,
        });
    }
    Some(SubsetPlan { tables: out, edges, roots })
}

/// `columns` (in any order) are the first columns of the table's primary key, a unique key or a
/// B-tree index: an equality lookup on them is an index scan.
fn leads_an_index(table: &Table, columns: &[String]) -> bool {
    let leads = |index: &[usize]| {
        index.len() >= columns.len()
            && index[..columns.len()].iter().all(|&c| columns.iter().any(|n| *n == table.columns[c].name))
    };
    let plain = |i: &&crate::schema::Index| i.kind == crate::schema::IndexKind::Plain;
    !columns.is_empty()
        && (leads(&table.primary_key)
            || table.unique_keys.iter().filter(plain).any(|u| leads(&u.columns))
            || table.indexes.iter().filter(plain).any(|i| leads(&i.columns)))
}

/// Marks tables until nothing more is marked: `next(i, marked)` says whether `i` joins.
fn spread(marked: &mut [bool], next: impl Fn(usize, &[bool]) -> bool) {
    loop {
        let add: Vec<usize> = (0..marked.len()).filter(|&i| !marked[i] && next(i, marked)).collect();
        if add.is_empty() {
            return;
        }
        for i in add {
            marked[i] = true;
        }
    }
}

/// The position of `column` among a scan's columns, added at the end if new.
fn place(columns: &mut Vec<String>, column: &str) -> usize {
    match columns.iter().position(|c| c == column) {
        Some(i) => i,
        None => {
            columns.push(column.to_string());
            columns.len() - 1
        }
    }
}

fn has_columns(table: &Table, columns: &[String], at: &str, problems: &mut Vec<String>) -> bool {
    let missing: Vec<&String> = columns.iter().filter(|c| !table.columns.iter().any(|x| &x.name == *c)).collect();
    for c in &missing {
        problems.push(format!("{at}: table {} has no column {c}", table.name));
    }
    missing.is_empty()
}

/// A relation's columns pair up by kind: integers with integers, text with text.
fn types_pair(
    child: &Table,
    from: &Columns,
    parent: &Table,
    to: &Columns,
    at: &str,
    problems: &mut Vec<String>,
) -> bool {
    let family = |c: TypeClass| match c {
        TypeClass::Int { .. } => TypeClass::Int { bytes: 8 },
        TypeClass::Enum => TypeClass::Text,
        other => other,
    };
    let mut ok = true;
    for (a, b) in from.columns.iter().zip(&to.columns) {
        let (Some(ca), Some(cb)) =
            (child.columns.iter().find(|c| &c.name == a), parent.columns.iter().find(|c| &c.name == b))
        else {
            continue;
        };
        if family(ca.class) != family(cb.class) {
            problems.push(format!(
                "{at}: {}.{a} ({}) and {}.{b} ({}) are not the same kind of value, so they cannot be matched",
                child.name.name, ca.declared_type, parent.name.name, cb.declared_type
            ));
            ok = false;
        }
    }
    ok
}
