//! A PostgreSQL table's definition in PostgreSQL's own SQL, for `--create-tables` into another
//! PostgreSQL: the catalog's own renderings (`format_type`, `pg_get_constraintdef`,
//! `pg_get_indexdef`, `pg_get_partkeydef`) read with `search_path` set to the source's schemas,
//! so every name comes out unqualified and lands in the target's schema. Enums, domains (with
//! their checks) and the sequences defaults draw from are created first, each only if missing.

use std::collections::BTreeSet;

use sqlx::postgres::{PgConnection, PgPool};
use sqlx::{AssertSqlSafe, Executor};

use super::Q;
use crate::engine::contract::{EngineError, NativeDdl, OwedKind};
use crate::engine::driver::failed;
use crate::engine::sql::text_literal;
use crate::schema::Table;

fn fail(table: &Table) -> impl Fn(sqlx::Error) -> EngineError + '_ {
    move |e| failed(format!("source: reading the definition of {}", table.name), e)
}

pub async fn tables(pool: &PgPool, tables: &[Table]) -> Result<Vec<NativeDdl>, EngineError> {
    let mut conn = pool.acquire().await.map_err(|e| failed("source: connecting to read table definitions", e))?;
    let schemas: BTreeSet<&str> = tables.iter().map(|t| t.name.schema.as_str()).collect();
    let path: Vec<String> = schemas.iter().map(|s| Q.ident(s)).collect();
    let begin = format!("BEGIN READ ONLY; SET LOCAL search_path TO {}", path.join(", "));
    let ctx = |e| failed("source: reading table definitions", e);
    (&mut *conn).execute(sqlx::raw_sql(AssertSqlSafe(begin))).await.map_err(ctx)?;
    let mut out = Vec::new();
    let mut types_done = BTreeSet::new();
    for table in tables {
        match table_ddl(&mut conn, table, &mut types_done).await {
            Ok(ddl) => out.push(ddl),
            Err(e) => {
                let _ended_with_the_session_if_this_fails = (&mut *conn).execute("ROLLBACK").await;
                return Err(e);
            }
        }
    }
    (&mut *conn).execute("COMMIT").await.map_err(ctx)?;
    Ok(out)
}

async fn table_ddl(
    conn: &mut PgConnection,
    table: &Table,
    types_done: &mut BTreeSet<i64>,
) -> Result<NativeDdl, EngineError> {
    let fail = fail(table);
    let (oid,): (i64,) = sqlx::query_as(
        "SELECT c.oid::int8 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname = $2",
    )
    .bind(&table.name.schema)
    .bind(&table.name.name)
    .fetch_one(&mut *conn)
    .await
    .map_err(&fail)?;
    let mut ddl = NativeDdl::default();
    let mut parts = columns(conn, oid, &mut ddl.prelude, types_done).await.map_err(&fail)?;
    ddl.prelude.extend(sequences(conn, oid).await.map_err(&fail)?);

    // Primary key and checks go inside CREATE TABLE; unique, exclusion and foreign keys after.
    let constraints: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT conname::text, contype::text, pg_get_constraintdef(oid) FROM pg_constraint
         WHERE conrelid = $1::int8::oid AND contype IN ('p', 'c', 'u', 'x', 'f') AND conislocal
         ORDER BY contype, conname",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await
    .map_err(&fail)?;
    let quoted = Q.ident(&table.name.name);
    for (name, kind, def) in constraints {
        let constraint = format!("CONSTRAINT {} {def}", Q.ident(&name));
        let kind = match kind.as_str() {
            "p" | "c" => {
                parts.push(constraint);
                continue;
            }
            "f" => OwedKind::ForeignKey,
            "u" => OwedKind::UniqueIndex,
            _ => OwedKind::Index,
        };
        ddl.after.push((kind, name, format!("ALTER TABLE {quoted} ADD {constraint}")));
    }
    let (partition_key,): (Option<String>,) = sqlx::query_as("SELECT pg_get_partkeydef($1::int8::oid)")
        .bind(oid)
        .fetch_one(&mut *conn)
        .await
        .map_err(&fail)?;
    let by = partition_key.map(|k| format!(" PARTITION BY {k}")).unwrap_or_default();
    ddl.create.push(format!("CREATE TABLE {quoted} (\n    {}\n){by}", parts.join(",\n    ")));
    ddl.create.extend(owned_sequences(conn, oid, &quoted).await.map_err(&fail)?);
    ddl.create.extend(partitions(conn, oid).await.map_err(&fail)?);

    // Indexes that no constraint made, as the catalog renders them (method, expressions,
    // predicates, opclasses). On a partitioned table the index cascades to its partitions.
    let indexes: Vec<(String, bool, String)> = sqlx::query_as(
        "SELECT c.relname::text, i.indisunique, pg_get_indexdef(i.indexrelid) FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid
         WHERE i.indrelid = $1::int8::oid AND NOT EXISTS (
             SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
         ORDER BY 1",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await
    .map_err(&fail)?;
    for (name, unique, def) in indexes {
        let kind = if unique { OwedKind::UniqueIndex } else { OwedKind::Index };
        ddl.after.push((kind, name, def.replacen(" ON ONLY ", " ON ", 1)));
    }
    Ok(ddl)
}

/// Each column as CREATE TABLE writes it; the types it uses that the target may lack go into
/// `prelude`.
async fn columns(
    conn: &mut PgConnection,
    oid: i64,
    prelude: &mut Vec<String>,
    types_done: &mut BTreeSet<i64>,
) -> Result<Vec<String>, sqlx::Error> {
    type Row = (String, String, bool, String, String, Option<String>, Option<String>, i64);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity::text,
                a.attgenerated::text, pg_get_expr(d.adbin, d.adrelid),
                CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0
                     THEN (SELECT quote_ident(collname::text) FROM pg_collation WHERE oid = a.attcollation) END,
                a.atttypid::int8
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = $1::int8::oid AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY a.attnum",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await?;
    let mut parts = Vec::new();
    for (name, ty, not_null, identity, generated, default, collation, type_oid) in rows {
        user_types(conn, type_oid, prelude, types_done).await?;
        let mut def = format!("{} {ty}", Q.ident(&name));
        if let Some(c) = collation {
            def.push_str(&format!(" COLLATE {c}"));
        }
        match (generated.as_str(), identity.as_str(), default) {
            ("s", _, Some(expr)) => def.push_str(&format!(" GENERATED ALWAYS AS ({expr}) STORED")),
            (_, "a", _) => def.push_str(" GENERATED ALWAYS AS IDENTITY"),
            (_, "d", _) => def.push_str(" GENERATED BY DEFAULT AS IDENTITY"),
            (_, _, Some(expr)) => def.push_str(&format!(" DEFAULT {expr}")),
            _ => {}
        }
        if not_null {
            def.push_str(" NOT NULL");
        }
        parts.push(def);
    }
    Ok(parts)
}

/// `CREATE TYPE … AS ENUM` / `CREATE DOMAIN` for a column's type (and an array's element type,
/// and a domain's base), bases first, each only where the target lacks it.
async fn user_types(
    conn: &mut PgConnection,
    type_oid: i64,
    prelude: &mut Vec<String>,
    done: &mut BTreeSet<i64>,
) -> Result<(), sqlx::Error> {
    let mut pending = vec![type_oid];
    let mut found = Vec::new();
    while let Some(oid) = pending.pop() {
        if !done.insert(oid) {
            continue;
        }
        type Row = (String, String, i64, i64, String, bool, Option<String>);
        let (name, kind, element, base, base_type, not_null, default): Row = sqlx::query_as(
            "SELECT format_type(oid, NULL), typtype::text, typelem::int8, typbasetype::int8,
                    format_type(typbasetype, typtypmod), typnotnull, typdefault
             FROM pg_type WHERE oid = $1::int8::oid",
        )
        .bind(oid)
        .fetch_one(&mut *conn)
        .await?;
        pending.extend([element, base].into_iter().filter(|&o| o != 0));
        let create = match kind.as_str() {
            "e" => {
                let labels: Vec<(String,)> = sqlx::query_as(
                    "SELECT enumlabel::text FROM pg_enum WHERE enumtypid = $1::int8::oid ORDER BY enumsortorder",
                )
                .bind(oid)
                .fetch_all(&mut *conn)
                .await?;
                let labels: Vec<String> = labels.iter().map(|(l,)| text_literal(l)).collect();
                format!("CREATE TYPE {name} AS ENUM ({})", labels.join(", "))
            }
            "d" => {
                let checks: Vec<(String, String)> = sqlx::query_as(
                    "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint
                     WHERE contypid = $1::int8::oid ORDER BY conname",
                )
                .bind(oid)
                .fetch_all(&mut *conn)
                .await?;
                let mut sql = format!("CREATE DOMAIN {name} AS {base_type}");
                if let Some(d) = default {
                    sql.push_str(&format!(" DEFAULT {d}"));
                }
                if not_null {
                    sql.push_str(" NOT NULL");
                }
                for (n, check) in checks.iter().filter(|(_, c)| c.starts_with("CHECK")) {
                    sql.push_str(&format!(" CONSTRAINT {} {check}", Q.ident(n)));
                }
                sql
            }
            _ => continue,
        };
        found.push(format!("DO $dbtwin$ BEGIN {create}; EXCEPTION WHEN duplicate_object THEN NULL; END $dbtwin$"));
    }
    // Found from the column outwards: the bases are created first.
    prelude.extend(found.into_iter().rev());
    Ok(())
}

/// The sequences the table's defaults draw from (`nextval('b_seq')`), created if missing.
async fn sequences(conn: &mut PgConnection, oid: i64) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT s.oid::regclass::text FROM pg_attrdef ad
         JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
                         AND d.refclassid = 'pg_class'::regclass
         JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'
         WHERE ad.adrelid = $1::int8::oid ORDER BY 1",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(s,)| format!("CREATE SEQUENCE IF NOT EXISTS {s}")).collect())
}

/// A `serial` column owns its sequence: dropping the column drops it.
async fn owned_sequences(conn: &mut PgConnection, oid: i64, table: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT s.oid::regclass::text, a.attname::text FROM pg_depend d
         JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
         JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
         WHERE d.classid = 'pg_class'::regclass AND d.refobjid = $1::int8::oid AND d.deptype = 'a'
         ORDER BY 1",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(s, col)| format!("ALTER SEQUENCE {s} OWNED BY {table}.{}", Q.ident(&col))).collect())
}

/// `CREATE TABLE part PARTITION OF parent FOR VALUES …` for every partition, sub-partitions
/// after their parents.
async fn partitions(conn: &mut PgConnection, oid: i64) -> Result<Vec<String>, sqlx::Error> {
    let mut out = Vec::new();
    let mut parents = vec![oid];
    while let Some(parent) = parents.pop() {
        type Row = (i64, String, String, String, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT c.oid::int8, c.relname::text, p.relname::text, pg_get_expr(c.relpartbound, c.oid),
                    pg_get_partkeydef(c.oid)
             FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid JOIN pg_class p ON p.oid = h.inhparent
             WHERE h.inhparent = $1::int8::oid AND c.relispartition ORDER BY 2",
        )
        .bind(parent)
        .fetch_all(&mut *conn)
        .await?;
        for (child, name, parent_name, bound, key) in rows {
            let by = key.map(|k| format!(" PARTITION BY {k}")).unwrap_or_default();
            out.push(format!("CREATE TABLE {} PARTITION OF {} {bound}{by}", Q.ident(&name), Q.ident(&parent_name)));
            parents.push(child);
        }
    }
    Ok(out)
}
