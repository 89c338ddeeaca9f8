//! Writing an SQLite file: one connection (SQLite has one writer at a time), each table in one
//! `BEGIN IMMEDIATE` transaction of prepared multi-row INSERTs with bound values.

use async_trait::async_trait;
use sqlx::sqlite::{Sqlite, SqliteConnection};
use sqlx::{AssertSqlSafe, Executor};
use tokio::sync::Mutex;

use super::{Affinity, affinity, quote_ident, quote_list, quote_table};
use crate::config::Mode;
use crate::dburl::DbUrl;
use crate::engine::{ConnectOptions, EngineError, LoadSettings, Side, Target, WriteRequest};
use crate::pipeline::channel::BatchReceiver;
use crate::report::TableProgress;
use crate::schema::Schema;

/// SQLite's limit on bound parameters per statement (since 3.32).
const MAX_PARAMS: usize = 32_766;
const MAX_ROWS: usize = 500;

pub struct SqliteTarget {
    conn: Mutex<SqliteConnection>,
    identity: String,
    /// The schema as introspected, for each column's affinity when writing.
    schema: Mutex<Option<Schema>>,
}

impl SqliteTarget {
    pub async fn connect(url: &DbUrl, _options: ConnectOptions) -> Result<Self, EngineError> {
        let (conn, identity) = super::connect(url, Side::Target).await?;
        Ok(SqliteTarget { conn: Mutex::new(conn), identity, schema: Mutex::new(None) })
    }
}

#[async_trait]
impl Target for SqliteTarget {
    fn identity(&self) -> &str {
        &self.identity
    }

    fn dialect(&self) -> crate::engine::ddl::Dialect {
        crate::engine::ddl::Dialect {
            quote: super::quote_ident,
            quote_table: super::quote_table,
            column_type: super::column_type,
            // An INTEGER PRIMARY KEY is the rowid, which continues by itself.
            auto_increment: "",
            inline_foreign_keys: true,
            qualified_index_table: false,
            default_sql: super::default_sql,
        }
    }

    fn default_schema(&self) -> String {
        super::SCHEMA.into()
    }

    async fn execute_ddl(&self, statements: &[String]) -> Result<(), EngineError> {
        let mut conn = self.conn.lock().await;
        let fail = |e| EngineError::query("target: creating tables", e);
        conn.execute("BEGIN IMMEDIATE").await.map_err(fail)?;
        for sql in statements {
            if let Err(e) = conn.execute(AssertSqlSafe(sql.clone())).await {
                let _rolled_back_with_the_connection_if_this_fails = conn.execute("ROLLBACK").await;
                return Err(EngineError::query(format!("target: {}", crate::engine::ddl::label(sql)), e));
            }
        }
        conn.execute("COMMIT").await.map_err(fail)?;
        Ok(())
    }

    fn forms(&self) -> crate::engine::TextForms {
        super::forms()
    }

    fn load_settings(&self) -> LoadSettings {
        // foreign_keys is off on the connection; SQLite cannot switch triggers off.
        LoadSettings { foreign_keys_off: true, triggers_off: false }
    }

    async fn introspect(&self, _schemas: &[String]) -> Result<Schema, EngineError> {
        let schema = super::introspect::schema(&mut *self.conn.lock().await, Side::Target).await?;
        *self.schema.lock().await = Some(schema.clone());
        Ok(schema)
    }

    async fn write(
        &self,
        request: &WriteRequest,
        input: BatchReceiver,
        progress: &dyn TableProgress,
    ) -> Result<u64, EngineError> {
        let binds: Vec<Bind> = {
            let schema = self.schema.lock().await;
            let table = schema.as_ref().and_then(|s| s.table(&request.table));
            request
                .columns
                .iter()
                .map(|c| {
                    table.and_then(|t| t.columns.iter().find(|col| &col.name == c)).map_or(Bind::Text, |col| {
                        match affinity(&col.declared_type) {
                            Affinity::Blob if col.declared_type.trim().is_empty() => Bind::Untyped,
                            Affinity::Blob => Bind::Bytes,
                            _ => Bind::Text,
                        }
                    })
                })
                .collect()
        };
        let mut conn = self.conn.lock().await;
        let fail = |e| EngineError::query(format!("target: writing {}", request.table), e);
        conn.execute("BEGIN IMMEDIATE").await.map_err(fail)?;
        let loaded = load(&mut conn, request, &binds, input, progress).await;
        let ended = match &loaded {
            Ok(_) => conn.execute("COMMIT").await.map(|_| ()),
            Err(_) => conn.execute("ROLLBACK").await.map(|_| ()),
        };
        let rows = loaded?;
        ended.map_err(fail)?;
        Ok(rows)
    }
}

async fn load(
    conn: &mut SqliteConnection,
    request: &WriteRequest,
    binds: &[Bind],
    mut input: BatchReceiver,
    progress: &dyn TableProgress,
) -> Result<u64, EngineError> {
    let table = quote_table(&request.table);
    let fail = |e| EngineError::query(format!("target: writing {}", request.table), e);
    if request.mode == Mode::Replace {
        conn.execute(AssertSqlSafe(format!("DELETE FROM {table}"))).await.map_err(fail)?;
    }
    let width = request.columns.len().max(1);
    let per_statement = (MAX_PARAMS / width).clamp(1, MAX_ROWS);
    let mut rows = 0u64;
    while let Some(batch) = input.recv().await? {
        let mut start = 0;
        while start < batch.rows() {
            let n = per_statement.min(batch.rows() - start);
            let sql = insert_sql(request, &table, n);
            let mut query = sqlx::query::<Sqlite>(AssertSqlSafe(sql));
            for row in start..start + n {
                for (col, cell) in batch.row(row).enumerate() {
                    let Some(v) = cell else {
                        query = query.bind(None::<String>);
                        continue;
                    };
                    query = match (binds[col], std::str::from_utf8(v)) {
                        (Bind::Bytes, _) | (_, Err(_)) => query.bind(v.to_vec()),
                        (Bind::Untyped, Ok(text)) => match untyped(text) {
                            Untyped::Integer(i) => query.bind(i),
                            Untyped::Real(f) => query.bind(f),
                            Untyped::Text => query.bind(text.to_string()),
                        },
                        (Bind::Text, Ok(text)) => query.bind(text.to_string()),
                    };
                }
            }
            conn.execute(query).await.map_err(fail)?;
            start += n;
        }
        rows += batch.rows() as u64;
        progress.add(batch.rows() as u64);
    }
    Ok(rows)
}

/// How a column's values are bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bind {
    /// As text: the column's affinity converts it back to what it was.
    Text,
    /// Declared BLOB: the bytes.
    Bytes,
    /// Declared without a type, so no affinity converts anything: numbers are bound as numbers.
    Untyped,
}

enum Untyped {
    Integer(i64),
    Real(f64),
    Text,
}

/// What a value read from an untyped column was: the reader writes integers and reals in
/// their canonical decimal form, which is recognised here (a text that reads as a canonical
/// number becomes one; that is the one value this cannot tell apart).
fn untyped(text: &str) -> Untyped {
    if let Ok(i) = text.parse::<i64>()
        && i.to_string() == text
    {
        return Untyped::Integer(i);
    }
    match text.parse::<f64>() {
        Ok(f) if super::source::format_real(f) == text => Untyped::Real(f),
        _ => Untyped::Text,
    }
}

/// `INSERT … VALUES (?, …) × rows`, upserting on the key in upsert mode.
fn insert_sql(request: &WriteRequest, table: &str, rows: usize) -> String {
    let one = format!("({})", vec!["?"; request.columns.len()].join(", "));
    let mut sql =
        format!("INSERT INTO {table} ({}) VALUES {}", quote_list(&request.columns), vec![one; rows].join(", "));
    if request.mode == Mode::Upsert && !request.key.is_empty() {
        let updates: Vec<String> = request
            .columns
            .iter()
            .filter(|c| !request.key.contains(c))
            .map(|c| format!("{0} = excluded.{0}", quote_ident(c)))
            .collect();
        let action =
            if updates.is_empty() { "NOTHING".to_string() } else { format!("UPDATE SET {}", updates.join(", ")) };
        sql.push_str(&format!(" ON CONFLICT ({}) DO {action}", quote_list(&request.key)));
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::TableName;

    #[test]
    fn untyped_values_are_recognised() {
        assert!(matches!(untyped("42"), Untyped::Integer(42)));
        assert!(matches!(untyped("042"), Untyped::Text));
        assert!(matches!(untyped("2.5"), Untyped::Real(_)));
        assert!(matches!(untyped("3"), Untyped::Integer(3)));
        assert!(matches!(untyped("3.0"), Untyped::Real(_)));
        assert!(matches!(untyped("1e5"), Untyped::Text));
        assert!(matches!(untyped("abc"), Untyped::Text));
    }

    #[test]
    fn upsert_statement() {
        let request = WriteRequest {
            table: TableName::new("main", "t"),
            columns: vec!["id".into(), "na\"me".into()],
            mode: Mode::Upsert,
            key: vec!["id".into()],
            referenced: false,
            auto_increment: vec![],
        };
        assert_eq!(
            insert_sql(&request, "\"main\".\"t\"", 2),
            "INSERT INTO \"main\".\"t\" (\"id\", \"na\"\"me\") VALUES (?, ?), (?, ?) ON CONFLICT (\"id\") DO UPDATE SET \"na\"\"me\" = excluded.\"na\"\"me\""
        );
    }
}
