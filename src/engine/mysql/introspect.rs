//! Tables, columns and keys of one database from information_schema.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use sqlx::mysql::MySqlConnection;

use crate::engine::contract::{EngineError, Side};
use crate::engine::driver::failed;
use crate::schema::{
    Column, FkAction, ForeignKey, Index, IndexKind, Schema, Table, TableName, TypeClass, trigger_writes,
};

/// A trigger's `SET NEW.col = …` (or `, NEW.col = …` in the same SET), and any `NEW.col`.
static ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\bSET\s+|,\s*)NEW\s*\.\s*(`(?:[^`]|``)+`|[a-z0-9_$]+)\s*=").expect("a valid pattern")
});
static NEW_COLUMN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bNEW\s*\.\s*(`(?:[^`]|``)+`|[a-z0-9_$]+)").expect("a valid pattern"));

fn unquote(name: &str) -> String {
    match name.strip_prefix('`').and_then(|n| n.strip_suffix('`')) {
        Some(quoted) => quoted.replace("``", "`"),
        None => name.to_string(),
    }
}

/// `schemas` empty means the URL's database.
pub async fn schema(conn: &mut MySqlConnection, side: Side, schemas: &[String]) -> Result<Schema, EngineError> {
    let ctx = |what: &str| format!("{side}: reading {what} from information_schema");
    let schemas = if schemas.is_empty() {
        let (db,): (Option<String>,) = sqlx::query_as("SELECT DATABASE()")
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| failed(ctx("the database"), e))?;
        vec![db.ok_or_else(|| EngineError::Data(format!("{side}: the URL names no database")))?]
    } else {
        schemas.to_vec()
    };
    let mut tables: BTreeMap<TableName, Table> = BTreeMap::new();
    for db in &schemas {
        let rels: Vec<(String, Option<u64>)> = sqlx::query_as(
            "SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES
             WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
        )
        .bind(db)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| failed(ctx("tables"), e))?;
        for (name, rows) in rels {
            let name = TableName::new(db.clone(), name);
            tables.insert(name.clone(), Table { row_estimate: rows, ..Table::new(name) });
        }

        type ColumnRow = (String, String, String, String, String, Option<u64>, String, Option<String>);
        let columns: Vec<ColumnRow> = sqlx::query_as(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, IS_NULLABLE, CHARACTER_MAXIMUM_LENGTH, EXTRA,
                    COLUMN_DEFAULT
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION",
        )
        .bind(db)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| failed(ctx("columns"), e))?;
        for (table, name, column_type, data_type, nullable, max_len, extra, default) in columns {
            // MariaDB reports a NULL default as the text NULL.
            let default = default.filter(|d| !d.eq_ignore_ascii_case("NULL"));
            let Some(t) = tables.get_mut(&TableName::new(db.clone(), table)) else { continue };
            let data_type = data_type.to_ascii_lowercase();
            let extra = extra.to_ascii_uppercase();
            t.columns.push(Column {
                name,
                class: type_class(&data_type, &column_type),
                max_chars: matches!(data_type.as_str(), "char" | "varchar")
                    .then_some(max_len)
                    .flatten()
                    .map(|n| n as u32),
                declared_type: column_type,
                nullable: nullable == "YES",
                generated: extra.contains("GENERATED")
                    || extra == "VIRTUAL"
                    || extra == "PERSISTENT"
                    || extra == "STORED",
                auto_increment: extra.contains("AUTO_INCREMENT"),
                has_default: default.is_some() || extra.contains("AUTO_INCREMENT"),
                default,
                on_update_now: extra.contains("ON UPDATE"),
            });
        }

        // Indexes on plain columns (prefix and functional indexes are not keys of values).
        // table, index, non_unique, column (NULL for a functional part), prefix length
        type IndexRow = (String, String, i64, Option<String>, Option<i64>, String);
        let indexes: Vec<IndexRow> = sqlx::query_as(
            "SELECT TABLE_NAME, INDEX_NAME, CAST(NON_UNIQUE AS SIGNED), COLUMN_NAME, CAST(SUB_PART AS SIGNED), INDEX_TYPE
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?
             ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        )
        .bind(db)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| failed(ctx("keys"), e))?;
        // (table, index) → (unique, its columns (None when a part is not a plain column), kind)
        type Columns = (bool, Option<Vec<String>>, IndexKind);
        let mut keys: BTreeMap<(String, String), Columns> = BTreeMap::new();
        for (table, index, non_unique, column, sub_part, index_type) in indexes {
            let kind = match index_type.as_str() {
                "FULLTEXT" => IndexKind::FullText,
                "SPATIAL" => IndexKind::Spatial,
                _ => IndexKind::Plain,
            };
            let entry = keys.entry((table, index)).or_insert_with(|| (non_unique == 0, Some(Vec::new()), kind));
            match (column, sub_part, entry.1.as_mut()) {
                (Some(c), None, Some(cols)) => cols.push(c),
                _ => entry.1 = None,
            }
        }
        for ((table, index), (unique, cols, kind)) in keys {
            let Some(t) = tables.get_mut(&TableName::new(db.clone(), table)) else { continue };
            let Some(cols) = cols.and_then(|c| c.iter().map(|n| t.column_index(n)).collect::<Option<Vec<_>>>()) else {
                continue;
            };
            if index == "PRIMARY" {
                t.primary_key = cols;
            } else if unique {
                t.unique_keys.push(Index { name: index, columns: cols, kind });
            } else {
                t.indexes.push(Index { name: index, columns: cols, kind });
            }
        }

        let checks: Vec<(String, String)> = sqlx::query_as(
            "SELECT TABLE_NAME, CONSTRAINT_NAME FROM information_schema.TABLE_CONSTRAINTS
             WHERE TABLE_SCHEMA = ? AND CONSTRAINT_TYPE = 'CHECK' ORDER BY 1, 2",
        )
        .bind(db)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| failed(ctx("checks"), e))?;
        for (table, name) in checks {
            if let Some(t) = tables.get_mut(&TableName::new(db.clone(), table)) {
                t.checks.push(name);
            }
        }

        let triggers: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT EVENT_OBJECT_TABLE, TRIGGER_NAME, ACTION_STATEMENT FROM information_schema.TRIGGERS
             WHERE EVENT_OBJECT_SCHEMA = ? ORDER BY 1, ACTION_ORDER",
        )
        .bind(db)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| failed(ctx("triggers"), e))?;
        for (table, name, code) in triggers {
            if let Some(t) = tables.get_mut(&TableName::new(db.clone(), table)) {
                t.add_trigger_writes(trigger_writes(&name, &code, &ASSIGN, &NEW_COLUMN, unquote));
            }
        }

        type FkRow = (String, String, String, String, String, String, String, String);
        let fks: Vec<FkRow> = sqlx::query_as(
            "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME,
                    k.REFERENCED_COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE
             FROM information_schema.KEY_COLUMN_USAGE k
             JOIN information_schema.REFERENTIAL_CONSTRAINTS r
               ON r.CONSTRAINT_SCHEMA = k.TABLE_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
              AND r.TABLE_NAME = k.TABLE_NAME
             WHERE k.TABLE_SCHEMA = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL
             ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
        )
        .bind(db)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| failed(ctx("foreign keys"), e))?;
        for (table, name, column, ref_schema, ref_table, ref_column, on_delete, on_update) in fks {
            let Some(t) = tables.get_mut(&TableName::new(db.clone(), table)) else { continue };
            let Some(index) = t.column_index(&column) else { continue };
            match t.foreign_keys.iter_mut().find(|fk| fk.name == name) {
                Some(fk) => {
                    fk.columns.push(index);
                    fk.referenced_columns.push(ref_column);
                }
                None => t.foreign_keys.push(ForeignKey {
                    name,
                    columns: vec![index],
                    references: TableName::new(ref_schema, ref_table),
                    referenced_columns: vec![ref_column],
                    on_delete: FkAction::parse(&on_delete),
                    on_update: FkAction::parse(&on_update),
                }),
            }
        }
    }
    if side == Side::Source {
        for table in tables.values_mut() {
            table.readable = readable(conn, table).await?;
        }
    }
    let elsewhere: Vec<(String, String)> = sqlx::query_as(
        "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE'
           AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| failed(ctx("the tables of other databases"), e))?;
    let elsewhere = elsewhere
        .into_iter()
        .filter(|(schema, _)| !schemas.contains(schema))
        .map(|(schema, name)| TableName::new(schema, name))
        .collect();
    Ok(Schema { tables: tables.into_values().collect(), elsewhere })
}

/// Whether the user may read the table's columns. The server lists a table the user holds any
/// privilege on (INSERT alone, say), and refuses its read only when it is read, after other
/// tables have committed: asked here, with a read of no rows, the plan names it first.
async fn readable(conn: &mut MySqlConnection, table: &Table) -> Result<bool, EngineError> {
    let q = super::Q;
    let columns =
        if table.columns.is_empty() { "1".to_string() } else { q.list(table.columns.iter().map(|c| c.name.as_str())) };
    let probe = format!("SELECT {columns} FROM {} LIMIT 0", q.table(&table.name));
    match sqlx::raw_sql(sqlx::AssertSqlSafe(probe)).execute(&mut *conn).await {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(db))
            if db
                .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                .is_some_and(|my| matches!(my.number(), 1142 | 1143)) =>
        {
            Ok(false)
        }
        Err(e) => Err(failed(format!("source: checking that table {} may be read", table.name), e)),
    }
}

fn type_class(data_type: &str, column_type: &str) -> TypeClass {
    match data_type {
        "tinyint" if column_type.starts_with("tinyint(1)") => TypeClass::Bool,
        "tinyint" => TypeClass::Int { bytes: 1 },
        "smallint" => TypeClass::Int { bytes: 2 },
        "mediumint" => TypeClass::Int { bytes: 3 },
        "int" | "integer" => TypeClass::Int { bytes: 4 },
        "bigint" => TypeClass::Int { bytes: 8 },
        "decimal" | "numeric" => TypeClass::Decimal,
        "float" | "double" | "real" => TypeClass::Float,
        "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" => TypeClass::Text,
        "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => TypeClass::Binary,
        "date" => TypeClass::Date,
        "time" => TypeClass::Time,
        // MySQL TIMESTAMP reads back as a zone-less text like DATETIME (the session is UTC).
        "datetime" | "timestamp" => TypeClass::Timestamp,
        "json" => TypeClass::Json,
        "enum" => TypeClass::Enum,
        // A four-digit year is a number everywhere else.
        "year" => TypeClass::Int { bytes: 2 },
        // MariaDB spells inet6 / uuid types by name.
        "inet4" | "inet6" => TypeClass::Inet,
        "uuid" => TypeClass::Uuid,
        _ => TypeClass::Other,
    }
}

/// Column types whose text-protocol value is raw bytes, to be bound as bytes when written.
pub fn is_byte_valued(data_type_class: TypeClass, declared_type: &str) -> bool {
    let t = declared_type.to_ascii_lowercase();
    data_type_class == TypeClass::Binary
        || t.starts_with("bit")
        || [
            "geometry",
            "point",
            "linestring",
            "polygon",
            "multipoint",
            "multilinestring",
            "multipolygon",
            "geometrycollection",
        ]
        .iter()
        .any(|g| t.starts_with(g))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_byte_valued_types() {
        assert_eq!(type_class("tinyint", "tinyint(1)"), TypeClass::Bool);
        assert_eq!(type_class("int", "int(10) unsigned"), TypeClass::Int { bytes: 4 });
        assert_eq!(type_class("varchar", "varchar(40)"), TypeClass::Text);
        assert_eq!(type_class("timestamp", "timestamp(6)"), TypeClass::Timestamp);
        assert!(is_byte_valued(TypeClass::Other, "bit(12)"));
        assert!(is_byte_valued(TypeClass::Other, "point"));
        assert!(is_byte_valued(TypeClass::Binary, "varbinary(16)"));
        assert!(!is_byte_valued(TypeClass::Text, "varchar(40)"));
        assert!(!is_byte_valued(TypeClass::Other, "set('a','b')"));
    }
}
