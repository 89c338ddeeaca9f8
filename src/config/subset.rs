//! The `subset:` section as written: where a subset starts, which links it follows, and what
//! happens to the tables it never reaches. Names are resolved by the plan.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::data::env::EnvString;

/// A checked `subset:` section.
#[derive(Clone, Debug)]
pub struct Subset {
    pub roots: Vec<Root>,
    /// Follow rows that reference selected rows (default true).
    pub children: bool,
    /// At most this many children per parent row and edge.
    pub max_children: Option<u64>,
    pub whole: Vec<String>,
    pub disconnected: Disconnected,
    pub relations: Vec<Relation>,
    /// Table → the columns that identify its rows, for tables without a primary key.
    pub keys: BTreeMap<String, Vec<String>>,
    pub edges: Vec<EdgeRule>,
}

/// One way rows of a table become roots; a table's roots are unioned.
#[derive(Clone, Debug, PartialEq)]
pub struct Root {
    pub table: String,
    pub condition: Option<String>,
    /// Keep this share of the rows, chosen by keyed hash of the key.
    pub percent: Option<f64>,
    pub limit: Option<u64>,
    pub order_by: Option<String>,
}

/// What tables the subset never reaches get.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Disconnected {
    #[default]
    Whole,
    Empty,
}

/// `table(col, …)` as written in `relations:` and `edges:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns {
    pub table: String,
    pub columns: Vec<String>,
}

impl std::fmt::Display for Columns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({})", self.table, self.columns.join(", "))
    }
}

/// A link the schema does not declare: `from` rows need the `to` row their columns name,
/// only where `when` (source SQL on the `from` table) holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Relation {
    pub from: Columns,
    pub to: Columns,
    pub when: Option<String>,
}

/// Overrides for one edge, declared or not.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeRule {
    pub from: Columns,
    pub to: Columns,
    pub children: Option<bool>,
    pub max_children: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSubset {
    #[serde(default)]
    roots: Vec<RawRoot>,
    children: Option<bool>,
    max_children: Option<u64>,
    #[serde(default)]
    whole: Vec<EnvString>,
    #[serde(default)]
    disconnected: Disconnected,
    #[serde(default)]
    relations: Vec<RawRelation>,
    #[serde(default)]
    keys: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    edges: Vec<RawEdge>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoot {
    table: String,
    #[serde(rename = "where")]
    condition: Option<String>,
    percent: Option<f64>,
    limit: Option<u64>,
    order_by: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelation {
    from: String,
    to: String,
    when: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdge {
    from: String,
    to: String,
    children: Option<bool>,
    max_children: Option<u64>,
}

/// `table(a, b)` → its parts; `what` labels the error.
fn columns(text: &str, what: &str) -> Result<Columns, String> {
    let bad = || format!("{what}: `{text}` is not `table(column, …)`");
    let (table, rest) = text.split_once('(').ok_or_else(bad)?;
    let inner = rest.trim_end().strip_suffix(')').ok_or_else(bad)?;
    let table = table.trim();
    let columns: Vec<String> = inner.split(',').map(|c| c.trim().to_string()).collect();
    if table.is_empty() || columns.iter().any(String::is_empty) {
        return Err(bad());
    }
    Ok(Columns { table: table.to_string(), columns })
}

impl RawSubset {
    /// Everything the YAML alone can get wrong, appended to `problems`.
    pub(super) fn check(self, problems: &mut Vec<String>) -> Subset {
        let mut roots = Vec::new();
        for (i, r) in self.roots.into_iter().enumerate() {
            let at = format!("subset: root {} ({})", i + 1, r.table);
            if let Some(p) = r.percent
                && !(p > 0.0 && p <= 100.0)
            {
                problems.push(format!("{at}: percent must be above 0 and at most 100, not {p}"));
            }
            if r.limit == Some(0) {
                problems.push(format!("{at}: limit must be at least 1"));
            }
            if r.percent.is_some() && r.limit.is_some() {
                problems.push(format!("{at}: give `percent` or `limit`, not both (write two roots for their union)"));
            }
            if r.order_by.is_some() && r.limit.is_none() {
                problems.push(format!("{at}: `order_by` only orders a `limit`; add one"));
            }
            for (key, sql) in [("where", &r.condition), ("order_by", &r.order_by)] {
                if sql.as_deref().is_some_and(|s| s.trim().is_empty()) {
                    problems.push(format!("{at}: `{key}` is empty"));
                }
            }
            roots.push(Root {
                table: r.table,
                condition: r.condition,
                percent: r.percent,
                limit: r.limit,
                order_by: r.order_by,
            });
        }
        let mut relations = Vec::new();
        for (i, r) in self.relations.into_iter().enumerate() {
            let at = format!("subset: relation {}", i + 1);
            match (columns(&r.from, &at), columns(&r.to, &at)) {
                (Ok(from), Ok(to)) => {
                    if from.columns.len() != to.columns.len() {
                        problems.push(format!(
                            "{at}: {from} has {} column(s) and {to} has {}; they must pair up",
                            from.columns.len(),
                            to.columns.len()
                        ));
                    }
                    if r.when.as_deref().is_some_and(|s| s.trim().is_empty()) {
                        problems.push(format!("{at}: `when` is empty"));
                    }
                    relations.push(Relation { from, to, when: r.when });
                }
                (a, b) => problems.extend(a.err().into_iter().chain(b.err())),
            }
        }
        let mut edges = Vec::new();
        for (i, e) in self.edges.into_iter().enumerate() {
            let at = format!("subset: edge {}", i + 1);
            match (columns(&e.from, &at), columns(&e.to, &at)) {
                (Ok(from), Ok(to)) => {
                    if e.max_children == Some(0) {
                        problems.push(format!("{at}: max_children must be at least 1 (or `children: false`)"));
                    }
                    edges.push(EdgeRule { from, to, children: e.children, max_children: e.max_children })
                }
                (a, b) => problems.extend(a.err().into_iter().chain(b.err())),
            }
        }
        if self.max_children == Some(0) {
            problems.push("subset: max_children must be at least 1 (or `children: false`)".into());
        }
        for (table, cols) in &self.keys {
            if cols.is_empty() {
                problems.push(format!("subset: keys: table {table}: the column list is empty"));
            }
        }
        if roots.is_empty() {
            problems.push("subset: has no `roots:`; name the rows the subset starts from".into());
        }
        Subset {
            roots,
            children: self.children.unwrap_or(true),
            max_children: self.max_children,
            whole: self.whole.into_iter().map(|w| w.as_str().to_string()).collect(),
            disconnected: self.disconnected,
            relations,
            keys: self.keys,
            edges,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_a_table_and_its_columns() {
        let c = columns("events( order_ref , kind)", "x").unwrap();
        assert_eq!((c.table.as_str(), c.columns.clone()), ("events", vec!["order_ref".into(), "kind".into()]));
        assert_eq!(c.to_string(), "events(order_ref, kind)");
        for bad in ["events", "events()", "(id)", "events(id", "events(a,,b)"] {
            assert!(columns(bad, "subset: relation 1").unwrap_err().contains("is not `table(column, …)`"), "{bad}");
        }
    }
}
