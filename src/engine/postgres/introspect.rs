//! Tables, columns and keys from pg_catalog (information_schema hides generated/identity detail,
//! domains' base types and row estimates, and filters by privilege).

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use sqlx::PgConnection;

use crate::engine::contract::{EngineError, Side};
use crate::engine::driver::failed;
use crate::schema::{
    Column, FkAction, ForeignKey, Index, IndexKind, Schema, Table, TableName, TypeClass, trigger_writes,
};

struct Rel {
    table: Table,
    /// attnum of each column, to map key column numbers to indices.
    attnums: Vec<i16>,
}

/// The tables of `schemas` (default `public`), partitioned ones marked so.
pub async fn schema(conn: &mut PgConnection, side: Side, schemas: &[String]) -> Result<Schema, EngineError> {
    let default = ["public".to_string()];
    let schemas = if schemas.is_empty() { &default[..] } else { schemas };
    let ctx = |what: &str| format!("{side}: reading {what} from pg_catalog");
    // Leaf partitions are skipped: their rows are read through the partitioned parent.
    let rels: Vec<(i64, String, String, f64, String, bool)> = sqlx::query_as(
        "SELECT c.oid::int8, n.nspname::text, c.relname::text, c.reltuples::float8, c.relkind::text,
                has_table_privilege(c.oid, 'SELECT')
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY($1)
         ORDER BY n.nspname, c.relname",
    )
    .bind(schemas)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| failed(ctx("tables"), e))?;

    let mut by_oid: HashMap<i64, Rel> = HashMap::new();
    let mut order = Vec::new();
    for (oid, schema, name, tuples, kind, readable) in rels {
        order.push(oid);
        let table = Table {
            // -1 (never analyzed) means unknown.
            row_estimate: (tuples >= 0.0).then_some(tuples as u64),
            partitioned: kind == "p",
            readable,
            ..Table::new(TableName::new(schema, name))
        };
        by_oid.insert(oid, Rel { table, attnums: Vec::new() });
    }
    let oids: Vec<i64> = order.clone();

    type ColumnRow = (i64, i16, String, String, bool, bool, bool, String, i32, String, String, bool, Option<String>);
    let columns: Vec<ColumnRow> = of_tables(
        conn,
        &oids,
        "SELECT a.attrelid::int8, a.attnum, a.attname::text, format_type(a.atttypid, a.atttypmod),
                a.attnotnull OR COALESCE(t.typnotnull, false),
                a.attgenerated <> '',
                a.attidentity <> '' OR COALESCE(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%', false),
                COALESCE(bt.typname, t.typname)::text,
                CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END,
                COALESCE(bt.typcategory, t.typcategory)::text,
                COALESCE(bt.typtype, t.typtype)::text,
                a.atthasdef OR a.attidentity <> '' OR t.typdefault IS NOT NULL,
                pg_get_expr(d.adbin, d.adrelid)
         FROM pg_attribute a
         JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = ANY($1::int8[]::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY a.attrelid, a.attnum",
    )
    .await
    .map_err(|e| failed(ctx("columns"), e))?;
    for (
        rel,
        attnum,
        name,
        declared,
        not_null,
        generated,
        auto,
        base,
        typmod,
        category,
        typtype,
        has_default,
        default,
    ) in columns
    {
        let Some(r) = by_oid.get_mut(&rel) else {
            continue;
        };
        let class = type_class(&base, &category, &typtype);
        let max_chars = (matches!(base.as_str(), "varchar" | "bpchar") && typmod > 4).then(|| (typmod - 4) as u32);
        r.attnums.push(attnum);
        r.table.columns.push(Column {
            name,
            declared_type: declared,
            class,
            nullable: !not_null,
            max_chars,
            generated,
            auto_increment: auto,
            has_default,
            default,
            on_update_now: false,
        });
    }

    // Unique indexes cover both PRIMARY KEY / UNIQUE constraints and bare CREATE UNIQUE INDEX.
    let indexes: Vec<(i64, String, bool, bool, Vec<i16>, String)> = of_tables(
        conn,
        &oids,
        "SELECT indrelid::int8, (SELECT relname::text FROM pg_class WHERE oid = indexrelid), indisprimary, indisunique,
                string_to_array(indkey::text, ' ')::int2[],
                (SELECT am.amname::text FROM pg_class ic JOIN pg_am am ON am.oid = ic.relam WHERE ic.oid = indexrelid)
         FROM pg_index
         WHERE indrelid = ANY($1::int8[]::oid[]) AND indpred IS NULL AND indexprs IS NULL
         ORDER BY indrelid, indexrelid",
    )
    .await
    .map_err(|e| failed(ctx("keys"), e))?;
    for (rel, index, primary, unique, attnums, method) in indexes {
        let Some((table, cols)) = columns_of(&mut by_oid, rel, &attnums) else { continue };
        let kind = if method == "btree" { IndexKind::Plain } else { IndexKind::Method(method) };
        let index = Index { name: index, columns: cols, kind };
        if primary {
            table.primary_key = index.columns;
        } else if unique {
            table.unique_keys.push(index);
        } else {
            table.indexes.push(index);
        }
    }

    // table, name, columns, parent schema, parent, parent's columns, on delete, on update
    type FkRow = (i64, String, Vec<i16>, String, String, Vec<String>, String, String);
    let fks: Vec<FkRow> = of_tables(
        conn,
        &oids,
        "SELECT c.conrelid::int8, c.conname::text, c.conkey, fn.nspname::text, fc.relname::text,
                ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(num, pos)
                      JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num
                      ORDER BY k.pos),
                c.confdeltype::text, c.confupdtype::text
         FROM pg_constraint c
         JOIN pg_class fc ON fc.oid = c.confrelid
         JOIN pg_namespace fn ON fn.oid = fc.relnamespace
         WHERE c.contype = 'f' AND c.conrelid = ANY($1::int8[]::oid[])
         ORDER BY c.conrelid, c.conname",
    )
    .await
    .map_err(|e| failed(ctx("foreign keys"), e))?;
    for (rel, name, attnums, ref_schema, ref_name, referenced_columns, on_delete, on_update) in fks {
        let Some((table, columns)) = columns_of(&mut by_oid, rel, &attnums) else { continue };
        let references = TableName::new(ref_schema, ref_name);
        let (on_delete, on_update) = (action(&on_delete), action(&on_update));
        table.foreign_keys.push(ForeignKey { name, columns, references, referenced_columns, on_delete, on_update });
    }

    let checks: Vec<(i64, String)> = of_tables(
        conn,
        &oids,
        "SELECT conrelid::int8, conname::text FROM pg_constraint
         WHERE contype = 'c' AND conrelid = ANY($1::int8[]::oid[]) ORDER BY 1, 2",
    )
    .await
    .map_err(|e| failed(ctx("checks"), e))?;
    for (rel, name) in checks {
        if let Some(r) = by_oid.get_mut(&rel) {
            r.table.checks.push(name);
        }
    }

    let triggers: Vec<(i64, String, String)> = of_tables(
        conn,
        &oids,
        "SELECT t.tgrelid::int8, t.tgname::text, p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
         WHERE NOT t.tgisinternal AND t.tgrelid = ANY($1::int8[]::oid[]) ORDER BY 1, 2",
    )
    .await
    .map_err(|e| failed(ctx("triggers"), e))?;
    for (rel, name, code) in triggers {
        if let Some(r) = by_oid.get_mut(&rel) {
            r.table.add_trigger_writes(trigger_writes(&name, &code, &ASSIGN, &NEW_COLUMN, unquote));
        }
    }

    let tables = order.iter().filter_map(|oid| by_oid.remove(oid)).map(|r| r.table).collect();
    let elsewhere: Vec<(String, String)> = sqlx::query_as(
        "SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND NOT n.nspname = ANY($1)
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'",
    )
    .bind(schemas)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| failed(ctx("the tables of other schemas"), e))?;
    let elsewhere = elsewhere.into_iter().map(|(schema, name)| TableName::new(schema, name)).collect();
    Ok(Schema { tables, elsewhere })
}

/// The rows of a catalog query (`$1`: the tables' oids) about the tables being read.
/// PL/pgSQL's `NEW.col := …`, and any `NEW.col`.
static ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\bNEW\s*\.\s*("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)\s*:="#).expect("a valid pattern")
});
static NEW_COLUMN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\bNEW\s*\.\s*("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)"#).expect("a valid pattern"));

/// A name as PL/pgSQL code writes it: quoted as it is, else folded to lower case.
fn unquote(name: &str) -> String {
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => name.to_lowercase(),
    }
}

async fn of_tables<T>(conn: &mut PgConnection, oids: &[i64], sql: &'static str) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    sqlx::query_as(sql).bind(oids).fetch_all(conn).await
}

/// A key's table (one of ours) and the positions of its columns, given as column numbers.
fn columns_of<'a>(by_oid: &'a mut HashMap<i64, Rel>, rel: i64, attnums: &[i16]) -> Option<(&'a mut Table, Vec<usize>)> {
    let r = by_oid.get_mut(&rel)?;
    let positions = attnums.iter().map(|a| r.attnums.iter().position(|x| x == a)).collect::<Option<Vec<_>>>()?;
    Some((&mut r.table, positions))
}

/// pg_constraint's one-letter action codes.
fn action(code: &str) -> FkAction {
    match code {
        "r" => FkAction::Restrict,
        "c" => FkAction::Cascade,
        "n" => FkAction::SetNull,
        "d" => FkAction::SetDefault,
        _ => FkAction::NoAction,
    }
}

fn type_class(base: &str, category: &str, typtype: &str) -> TypeClass {
    match base {
        "bool" => TypeClass::Bool,
        "int2" => TypeClass::Int { bytes: 2 },
        "int4" => TypeClass::Int { bytes: 4 },
        "int8" => TypeClass::Int { bytes: 8 },
        "numeric" => TypeClass::Decimal,
        "float4" | "float8" => TypeClass::Float,
        "text" | "varchar" | "bpchar" | "citext" | "name" => TypeClass::Text,
        "bytea" => TypeClass::Binary,
        "date" => TypeClass::Date,
        "time" | "timetz" => TypeClass::Time,
        "timestamp" => TypeClass::Timestamp,
        "timestamptz" => TypeClass::TimestampTz,
        "interval" => TypeClass::Interval,
        "uuid" => TypeClass::Uuid,
        "json" | "jsonb" => TypeClass::Json,
        "inet" | "cidr" => TypeClass::Inet,
        _ if category == "A" => TypeClass::Array,
        _ if typtype == "e" => TypeClass::Enum,
        _ => TypeClass::Other,
    }
}
