//! Tables, columns and keys from SQLite's `pragma_*` table-valued functions.

use std::sync::LazyLock;

use regex::Regex;
use sqlx::sqlite::SqliteConnection;

use super::{Affinity, Q, SCHEMA, affinity};
use crate::engine::contract::{EngineError, Side};
use crate::engine::driver::failed;
use crate::schema::{Column, FkAction, ForeignKey, Index, Schema, Table, TableName, TypeClass, trigger_writes};

const NAME: &str = r#"("(?:[^"]|"")+"|\[[^\]]+\]|`(?:[^`]|``)+`|[a-z_][a-z0-9_]*)"#;
static UPDATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)\bUPDATE\s+(?:OR\s+\w+\s+)?{NAME}\s+SET\b")).expect("a valid pattern"));
/// An item of an UPDATE's SET list, and any `NEW.col`.
static ASSIGN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)(?:\bSET\s+|,\s*){NAME}\s*=")).expect("a valid pattern"));
static NEW_COLUMN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)\bNEW\s*\.\s*{NAME}")).expect("a valid pattern"));

/// A name as SQL writes it, in any of SQLite's quotes.
fn unquote(name: &str) -> String {
    let inner = |open: char, close: char| name.strip_prefix(open).and_then(|n| n.strip_suffix(close));
    if let Some(q) = inner('"', '"') {
        q.replace("\"\"", "\"")
    } else if let Some(q) = inner('`', '`') {
        q.replace("``", "`")
    } else if let Some(q) = inner('[', ']') {
        q.to_string()
    } else {
        name.to_string()
    }
}

pub async fn schema(conn: &mut SqliteConnection, side: Side) -> Result<Schema, EngineError> {
    let fail = |what: &str, e| failed(format!("{side}: reading {what}"), e);
    let names: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| fail("the table list", e))?;
    let mut tables = Vec::new();
    for (name, statement) in names {
        let table = TableName::new(SCHEMA, &name);
        let what = format!("table {table}");
        // cid, name, type, notnull, default, pk position, hidden (2, 3: generated)
        type ColumnRow = (i64, String, String, i64, Option<String>, i64, i64);
        let sql = "SELECT cid, name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid";
        let rows: Vec<ColumnRow> = pragma(conn, sql, &name).await.map_err(|e| fail(&what, e))?;
        let mut pk: Vec<(i64, usize)> =
            rows.iter().enumerate().filter(|(_, r)| r.5 > 0).map(|(i, r)| (r.5, i)).collect();
        pk.sort();
        // A single INTEGER PRIMARY KEY is the rowid: filled when omitted, continuing past the
        // largest value, like an auto-increment.
        let rowid = pk.len() == 1 && rows[pk[0].1].2.eq_ignore_ascii_case("INTEGER");
        let columns = rows
            .iter()
            .map(|(_, col, declared, not_null, default, pk_pos, hidden)| {
                let is_rowid = rowid && *pk_pos == 1;
                Column {
                    name: col.clone(),
                    declared_type: declared.clone(),
                    class: type_class(declared),
                    nullable: *not_null == 0 && !is_rowid,
                    max_chars: max_chars(declared),
                    generated: matches!(hidden, 2 | 3),
                    auto_increment: is_rowid,
                    has_default: default.is_some() || is_rowid,
                    default: default.clone(),
                    on_update_now: false,
                }
            })
            .collect();
        // SQLite keeps no catalog of checks, only the statement that declared them.
        let checks = statement.filter(|s| s.to_ascii_uppercase().contains("CHECK")).map(|_| vec!["check".to_string()]);
        let mut def = Table {
            columns,
            primary_key: pk.iter().map(|(_, i)| *i).collect(),
            checks: checks.unwrap_or_default(),
            ..Table::new(table.clone())
        };

        let sql = "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?)";
        let indexes: Vec<(String, i64, String, i64)> = pragma(conn, sql, &name).await.map_err(|e| fail(&what, e))?;
        for (index, unique, origin, partial) in indexes {
            if partial != 0 || origin == "pk" {
                continue;
            }
            let sql = "SELECT name FROM pragma_index_info(?) ORDER BY seqno";
            let cols: Vec<(Option<String>,)> = pragma(conn, sql, &index).await.map_err(|e| fail(&what, e))?;
            // An expression in the index is not a key of column values.
            let positions: Option<Vec<usize>> =
                cols.iter().map(|(c,)| c.as_deref().and_then(|c| def.column_index(c))).collect();
            match positions {
                Some(columns) if unique != 0 => def.unique_keys.push(Index::plain(index, columns)),
                Some(columns) => def.indexes.push(Index::plain(index, columns)),
                None => {}
            }
        }

        // id, seq, referenced table, local column, referenced column (NULL: the parent's key),
        // on delete, on update. SQLite keeps no constraint names.
        let sql = "SELECT id, seq, \"table\", \"from\", \"to\", on_delete, on_update
                   FROM pragma_foreign_key_list(?) ORDER BY id, seq";
        type FkRow = (i64, i64, String, String, Option<String>, String, String);
        let fks: Vec<FkRow> = pragma(conn, sql, &name).await.map_err(|e| fail(&what, e))?;
        let mut last_id = None;
        for (id, _, parent, from, to, on_delete, on_update) in fks {
            let Some(col) = def.column_index(&from) else { continue };
            let to = to.unwrap_or_default();
            match def.foreign_keys.last_mut() {
                Some(fk) if last_id == Some(id) => {
                    fk.columns.push(col);
                    fk.referenced_columns.push(to);
                }
                _ => def.foreign_keys.push(ForeignKey {
                    name: String::new(),
                    columns: vec![col],
                    references: TableName::new(SCHEMA, parent),
                    referenced_columns: vec![to],
                    on_delete: FkAction::parse(&on_delete),
                    on_update: FkAction::parse(&on_update),
                }),
            }
            last_id = Some(id);
        }

        let count: (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {}", Q.table(&table))))
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| fail(&what, e))?;
        def.row_estimate = Some(count.0.max(0) as u64);
        tables.push(def);
    }
    let triggers: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT tbl_name, name, sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY tbl_name, name")
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| fail("the triggers", e))?;
    for (table, name, code) in triggers {
        let code = code.unwrap_or_default();
        // SQLite's triggers cannot set NEW: one that writes its own row's columns updates its
        // own table.
        let own = UPDATE
            .captures_iter(&code)
            .any(|c| c.get(1).is_some_and(|t| unquote(t.as_str()).eq_ignore_ascii_case(&table)));
        if let (true, Some(t)) = (own, tables.iter_mut().find(|t| t.name.name == table)) {
            t.add_trigger_writes(trigger_writes(&name, &code, &ASSIGN, &NEW_COLUMN, unquote));
        }
    }
    implicit_parent_keys(&mut tables);
    // One file, one schema: nothing is elsewhere.
    Ok(Schema { tables, elsewhere: Vec::new() })
}

/// `REFERENCES parent` without columns means the parent's primary key: name its columns, so a
/// foreign key always says which columns it points at.
fn implicit_parent_keys(tables: &mut [Table]) {
    let keys: Vec<(TableName, Vec<String>)> = tables
        .iter()
        .map(|t| (t.name.clone(), t.primary_key.iter().map(|&i| t.columns[i].name.clone()).collect()))
        .collect();
    for fk in tables.iter_mut().flat_map(|t| t.foreign_keys.iter_mut()) {
        if fk.referenced_columns.iter().all(String::is_empty)
            && let Some((_, key)) = keys.iter().find(|(name, _)| name.name.eq_ignore_ascii_case(&fk.references.name))
            && key.len() == fk.columns.len()
        {
            fk.referenced_columns = key.clone();
        }
    }
}

/// The rows of a `pragma_*` query about one table or index.
async fn pragma<T>(conn: &mut SqliteConnection, sql: &'static str, of: &str) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
{
    sqlx::query_as(sql).bind(of).fetch_all(conn).await
}

/// The coarse class of a declared type: SQLite enforces only the affinity, so the names people
/// write (`varchar(40)`, `datetime`, `boolean`, `json`) say what the column holds.
pub fn type_class(declared: &str) -> TypeClass {
    let t = declared.to_ascii_lowercase();
    let base = t.split('(').next().unwrap_or("").trim();
    match base {
        "boolean" | "bool" => return TypeClass::Bool,
        "date" => return TypeClass::Date,
        "datetime" | "timestamp" => return TypeClass::Timestamp,
        "time" => return TypeClass::Time,
        "json" | "jsonb" => return TypeClass::Json,
        "uuid" => return TypeClass::Uuid,
        "tinyint" => return TypeClass::Int { bytes: 1 },
        "smallint" => return TypeClass::Int { bytes: 2 },
        _ => {}
    }
    match affinity(declared) {
        Affinity::Integer => TypeClass::Int { bytes: 8 },
        Affinity::Text => TypeClass::Text,
        Affinity::Blob if base.is_empty() => TypeClass::Other,
        Affinity::Blob => TypeClass::Binary,
        Affinity::Real => TypeClass::Float,
        Affinity::Numeric => TypeClass::Decimal,
    }
}

/// `varchar(40)` → 40. SQLite does not enforce it, but it is what the schema's author meant,
/// and masks keep to it.
fn max_chars(declared: &str) -> Option<u32> {
    if affinity(declared) != Affinity::Text {
        return None;
    }
    let inner = declared.split_once('(')?.1.split(')').next()?;
    inner.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_lengths() {
        assert_eq!(type_class("INTEGER"), TypeClass::Int { bytes: 8 });
        assert_eq!(type_class("varchar(40)"), TypeClass::Text);
        assert_eq!(type_class("DATETIME"), TypeClass::Timestamp);
        assert_eq!(type_class("numeric(10,2)"), TypeClass::Decimal);
        assert_eq!(type_class("blob"), TypeClass::Binary);
        assert_eq!(type_class(""), TypeClass::Other);
        assert_eq!(max_chars("varchar(40)"), Some(40));
        assert_eq!(max_chars("numeric(10,2)"), None);
        assert_eq!(max_chars("text"), None);
    }
}
