//! Writing an SQLite file: one connection (SQLite has one writer at a time), each table in one
//! `BEGIN IMMEDIATE` transaction of prepared multi-row INSERTs with bound values.

use async_trait::async_trait;
use sqlx::sqlite::{Sqlite, SqliteConnection};
use sqlx::{AssertSqlSafe, Executor};
use tokio::sync::Mutex;

use super::{Affinity, DIALECT, Q, affinity};
use crate::data::batch::Batch;
use crate::data::channel::BatchReceiver;
use crate::data::mode::Mode;
use crate::engine::contract::{
    ConnectOptions, EngineError, LoadSettings, OwedDdl, Present, Side, StateRow, StateWrite, Target, TargetProfile,
    TriggerRef, WriteRequest, Written,
};
use crate::engine::driver::{describe, failed};
use crate::engine::url::DbUrl;
use crate::schema::{Column, Schema, TableName};

/// SQLite's limit on bound parameters per statement (since 3.32).
const MAX_PARAMS: usize = 32_766;
const MAX_ROWS: usize = 500;

pub struct SqliteTarget {
    conn: Mutex<SqliteConnection>,
}

impl SqliteTarget {
    pub async fn connect(url: &DbUrl, options: ConnectOptions) -> Result<(Self, TargetProfile), EngineError> {
        let (conn, identity) = super::connect(url, Side::Target, options.lock_wait, options.create_missing).await?;
        // foreign_keys is off on the connection; SQLite cannot switch triggers off.
        let load = LoadSettings { foreign_keys_off: true, triggers_off: false };
        let default_schema = super::SCHEMA.into();
        let profile = TargetProfile {
            identity,
            forms: super::forms(),
            load,
            dialect: DIALECT,
            default_schema,
            session_limit: None,
        };
        Ok((SqliteTarget { conn: Mutex::new(conn) }, profile))
    }
}

#[async_trait]
impl Target for SqliteTarget {
    async fn introspect(&self, _schemas: &[String]) -> Result<Schema, EngineError> {
        super::introspect::schema(&mut *self.conn.lock().await, Side::Target).await
    }

    /// The one connection may hold the transaction of a write that was aborted mid-way: roll it
    /// back now, or the file is left with a hot journal (and, copied alone, is malformed).
    async fn close(&self) {
        let mut conn = self.conn.lock().await;
        let _nothing_open_is_fine = conn.execute("ROLLBACK").await;
    }

    async fn execute_ddl(&self, statements: &[String], owed: &[OwedDdl]) -> Result<(), EngineError> {
        super::owed::execute_ddl(&mut *self.conn.lock().await, statements, owed).await
    }

    async fn owed_ddl(&self) -> Result<Vec<OwedDdl>, EngineError> {
        super::owed::list(&mut *self.conn.lock().await).await
    }

    async fn settle_ddl(&self, owed: &OwedDdl, run: bool) -> Result<(), EngineError> {
        super::owed::settle(&mut *self.conn.lock().await, owed, run).await
    }

    async fn triggers(&self, tables: &[TableName]) -> Result<Vec<TriggerRef>, EngineError> {
        super::triggers::list(&mut *self.conn.lock().await, tables).await
    }

    async fn suspend_triggers(&self, tables: &[TableName]) -> Result<Vec<TriggerRef>, EngineError> {
        super::triggers::suspend(&mut *self.conn.lock().await, tables).await
    }

    async fn left_suspended(&self) -> Result<Vec<TriggerRef>, EngineError> {
        super::triggers::left_suspended(&mut *self.conn.lock().await).await
    }

    async fn restore_triggers(&self) -> Result<Vec<TriggerRef>, EngineError> {
        super::triggers::restore(&mut *self.conn.lock().await).await
    }

    async fn check_recompute(&self, request: &WriteRequest) -> Result<(), String> {
        let Some(sql) = request.recompute_sql(Q, &Q.table(&request.table.name)) else { return Ok(()) };
        // SQLite resolves functions and columns when it compiles a statement: compiling is the check.
        let mut conn = self.conn.lock().await;
        let sql = sqlx::SqlSafeStr::into_sql_str(AssertSqlSafe(format!("{sql} WHERE 0")));
        (&mut *conn).prepare(sql).await.map(drop).map_err(|e| describe(&e))
    }

    async fn state(&self, table: &TableName, create: bool) -> Result<Vec<StateRow>, EngineError> {
        let fail = |e| failed(format!("target: reading the state table {table}"), e);
        let mut conn = self.conn.lock().await;
        let quoted = Q.table(table);
        if create {
            let sql = format!(
                "CREATE TABLE IF NOT EXISTS {quoted} (table_name TEXT PRIMARY KEY, config_hash TEXT NOT NULL, \
                 watermark_column TEXT, watermark TEXT, run_started TEXT NOT NULL)"
            );
            conn.execute(sqlx::raw_sql(AssertSqlSafe(sql))).await.map_err(fail)?;
        } else {
            let (found,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?")
                    .bind(&table.name)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(fail)?;
            if found == 0 {
                return Ok(Vec::new());
            }
        }
        let sql = format!("SELECT table_name, config_hash, watermark_column, watermark, run_started FROM {quoted}");
        let rows: Vec<(String, String, Option<String>, Option<String>, String)> =
            sqlx::query_as(AssertSqlSafe(sql)).fetch_all(&mut *conn).await.map_err(fail)?;
        Ok(rows
            .into_iter()
            .map(|(table, config_hash, column, watermark, run_started)| StateRow {
                table,
                config_hash,
                column,
                watermark,
                run_started,
            })
            .collect())
    }

    async fn write(
        &self,
        request: &WriteRequest,
        input: BatchReceiver,
        present: Option<Present>,
    ) -> Result<Written, EngineError> {
        let binds: Vec<Bind> = request.columns.iter().map(Bind::of).collect();
        let mut conn = self.conn.lock().await;
        let fail = |e| failed(format!("target: writing {}", request.table), e);
        conn.execute("BEGIN IMMEDIATE").await.map_err(fail)?;
        let loaded = load(&mut conn, request, &binds, input, present).await;
        let ended = match &loaded {
            Ok(_) => conn.execute("COMMIT").await.map(|_| ()),
            Err(_) => conn.execute("ROLLBACK").await.map(|_| ()),
        };
        let written = loaded?;
        ended.map_err(fail)?;
        Ok(written)
    }
}

async fn load(
    conn: &mut SqliteConnection,
    request: &WriteRequest,
    binds: &[Bind],
    mut input: BatchReceiver,
    present: Option<Present>,
) -> Result<Written, EngineError> {
    let table = Q.table(&request.table.name);
    let fail = |e| failed(format!("target: writing {}", request.table), e);
    if request.mode == Mode::Replace {
        conn.execute(AssertSqlSafe(format!("DELETE FROM {table}"))).await.map_err(fail)?;
    }
    let seen = match request.mode {
        Mode::Mirror => Some(Seen::create(conn, request, &table).await?),
        _ => None,
    };
    let width = request.columns.len().max(1);
    let per_statement = (MAX_PARAMS / width).clamp(1, MAX_ROWS);
    let mut rows = 0u64;
    while let Some(batch) = input.recv().await? {
        let total = batch.rows();
        let mut batch = Some(batch);
        let mut start = 0;
        while let Some(held) = batch.as_ref().filter(|_| start < total) {
            let n = per_statement.min(total - start);
            let sql = insert_sql(request, binds, &table, n);
            let mut query = sqlx::query::<Sqlite>(AssertSqlSafe(sql));
            for row in start..start + n {
                for (col, cell) in held.row(row).enumerate() {
                    query = bind(query, binds[col], cell);
                }
            }
            // The source's keys, when they come apart, are noted from those instead.
            let keys = seen.as_ref().filter(|_| present.is_none()).map(|s| s.insert(held, start..start + n, binds));
            if start + n == total {
                // The statement owns its values now: a huge value's batch copy goes before
                // SQLite makes its own two (the bound value, the record).
                batch = None;
            }
            conn.execute(query).await.map_err(fail)?;
            if let Some(keys) = keys {
                conn.execute(keys).await.map_err(fail)?;
            }
            start += n;
        }
        rows += total as u64;
    }
    if let (Some(seen), Some(Present { keys: mut present, .. })) = (&seen, present) {
        let only_keys = Seen { key: (0..seen.key.len()).collect(), columns: seen.columns.clone() };
        let key_binds: Vec<Bind> = seen.key.iter().map(|&c| binds[c]).collect();
        let per_statement = (MAX_PARAMS / seen.key.len().max(1)).clamp(1, MAX_ROWS);
        while let Some(batch) = present.recv().await? {
            for start in (0..batch.rows()).step_by(per_statement) {
                let end = (start + per_statement).min(batch.rows());
                conn.execute(only_keys.insert(&batch, start..end, &key_binds))
                    .await
                    .map_err(|e| failed(format!("target: noting the source's keys for {}", request.table), e))?;
            }
        }
    }
    let deleted = match seen {
        Some(seen) => seen.delete(conn, request, &table).await?,
        None => 0,
    };
    if let Some(sql) = request.recompute_sql(Q, &table) {
        conn.execute(sqlx::raw_sql(AssertSqlSafe(sql)))
            .await
            .map_err(|e| failed(format!("target: recomputing columns of {}", request.table), e))?;
    }
    if let Some(state) = &request.state {
        write_state(conn, state).await?;
    }
    Ok(Written { rows, deleted })
}

/// The table's state row, in the load's transaction.
async fn write_state(conn: &mut SqliteConnection, state: &StateWrite) -> Result<(), EngineError> {
    let sql = format!(
        "INSERT INTO {} (table_name, config_hash, watermark_column, watermark, run_started) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (table_name) DO UPDATE SET config_hash = excluded.config_hash, \
         watermark_column = excluded.watermark_column, watermark = excluded.watermark, run_started = excluded.run_started",
        Q.table(&state.table)
    );
    let row = &state.row;
    sqlx::query(AssertSqlSafe(sql))
        .bind(&row.table)
        .bind(&row.config_hash)
        .bind(&row.column)
        .bind(&row.watermark)
        .bind(&row.run_started)
        .execute(&mut *conn)
        .await
        .map(drop)
        .map_err(|e| failed(format!("target: writing the state of {} to {}", row.table, state.table), e))
}

type Query<'q> = sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments>;

/// One cell bound as its column takes it.
fn bind<'q>(query: Query<'q>, how: Bind, cell: Option<&[u8]>) -> Query<'q> {
    let Some(v) = cell else { return query.bind(None::<String>) };
    match (how, std::str::from_utf8(v)) {
        // Text that is not UTF-8 (SQLite keeps what it is given) goes in as its bytes; a text
        // column's placeholder casts them back to text unchanged.
        (Bind::Bytes, _) | (_, Err(_)) => query.bind(v.to_vec()),
        (Bind::Untyped, Ok(text)) => match untyped(text) {
            Untyped::Integer(i) => query.bind(i),
            Untyped::Real(f) => query.bind(f),
            Untyped::Text => query.bind(text.to_string()),
        },
        (Bind::Text, Ok(text)) => query.bind(text.to_string()),
    }
}

/// A mirror's record of the keys it wrote: a temporary table of the key columns (with their
/// declared types, so their values compare as the table's do) and a unique index, filled
/// statement by statement in the load's transaction; then the rows whose key it lacks go.
struct Seen {
    /// Positions of the key among the written columns.
    key: Vec<usize>,
    columns: String,
}

impl Seen {
    async fn create(conn: &mut SqliteConnection, request: &WriteRequest, table: &str) -> Result<Self, EngineError> {
        let fail = |e| failed(format!("target: noting the keys written to {}", request.table), e);
        let columns = Q.list(request.key.iter().map(String::as_str));
        // The connection outlives the load: a failed load's table may still be there.
        conn.execute("DROP TABLE IF EXISTS temp.dbtwin_seen").await.map_err(fail)?;
        let create = format!(
            "CREATE TEMP TABLE dbtwin_seen AS SELECT {columns} FROM {table} WHERE 0; \
             CREATE UNIQUE INDEX temp.dbtwin_seen_key ON dbtwin_seen ({columns})"
        );
        conn.execute(sqlx::raw_sql(AssertSqlSafe(create))).await.map_err(fail)?;
        let key = request
            .key
            .iter()
            .map(|k| request.column_names().position(|c| c == k).expect("a key column is written"))
            .collect();
        Ok(Seen { key, columns })
    }

    fn insert(&self, batch: &Batch, rows: std::ops::Range<usize>, binds: &[Bind]) -> Query<'static> {
        let placeholder = |b: Bind| if b == Bind::Text { "CAST(? AS TEXT)" } else { "?" };
        let one = format!("({})", self.key.iter().map(|&c| placeholder(binds[c])).collect::<Vec<_>>().join(", "));
        let sql = format!(
            "INSERT OR IGNORE INTO temp.dbtwin_seen ({}) VALUES {}",
            self.columns,
            vec![one; rows.len()].join(", ")
        );
        let mut query = sqlx::query::<Sqlite>(AssertSqlSafe(sql));
        for row in rows {
            for &c in &self.key {
                query = bind(query, binds[c], batch.cell(row, c));
            }
        }
        query
    }

    async fn delete(
        self,
        conn: &mut SqliteConnection,
        request: &WriteRequest,
        table: &str,
    ) -> Result<u64, EngineError> {
        let fail = |e| failed(format!("target: deleting rows the source no longer has from {}", request.table), e);
        let same: Vec<String> = request.key.iter().map(|k| format!("s.{0} = {table}.{0}", Q.ident(k))).collect();
        let delete = format!(
            "DELETE FROM {table} WHERE NOT EXISTS (SELECT 1 FROM temp.dbtwin_seen AS s WHERE {})",
            same.join(" AND ")
        );
        let gone = conn.execute(sqlx::raw_sql(AssertSqlSafe(delete))).await.map_err(fail)?;
        conn.execute("DROP TABLE temp.dbtwin_seen").await.map_err(fail)?;
        Ok(gone.rows_affected())
    }
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

impl Bind {
    fn of(column: &Column) -> Self {
        match affinity(&column.declared_type) {
            Affinity::Blob if column.declared_type.trim().is_empty() => Bind::Untyped,
            Affinity::Blob => Bind::Bytes,
            _ => Bind::Text,
        }
    }
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
fn insert_sql(request: &WriteRequest, binds: &[Bind], table: &str, rows: usize) -> String {
    let placeholder = |b: &Bind| if *b == Bind::Text { "CAST(? AS TEXT)" } else { "?" };
    let one = format!("({})", binds.iter().map(placeholder).collect::<Vec<_>>().join(", "));
    let columns = Q.list(request.column_names());
    let mut sql = format!("INSERT INTO {table} ({columns}) VALUES {}", vec![one; rows].join(", "));
    if matches!(request.mode, Mode::Upsert | Mode::Mirror) && !request.key.is_empty() {
        let updates: Vec<String> =
            request.non_key_columns().map(|c| format!("{0} = excluded.{0}", Q.ident(c))).collect();
        let action =
            if updates.is_empty() { "NOTHING".to_string() } else { format!("UPDATE SET {}", updates.join(", ")) };
        sql.push_str(&format!(" ON CONFLICT ({}) DO {action}", Q.list(request.key.iter().map(String::as_str))));
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::contract::Relation;
    use crate::schema::{TableName, TypeClass};

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
            table: Relation { name: TableName::new("main", "t"), partitioned: false },
            columns: vec![
                Column::new("id", "INTEGER", TypeClass::Int { bytes: 8 }),
                Column::new("na\"me", "TEXT", TypeClass::Text),
            ],
            mode: Mode::Upsert,
            key: vec!["id".into()],
            referenced: false,
            auto_increment: vec![],
            recompute: Vec::new(),
            state: None,
        };
        assert_eq!(
            insert_sql(&request, &[Bind::Untyped, Bind::Text], "\"main\".\"t\"", 2),
            "INSERT INTO \"main\".\"t\" (\"id\", \"na\"\"me\") VALUES (?, CAST(? AS TEXT)), (?, CAST(? AS TEXT)) ON CONFLICT (\"id\") DO UPDATE SET \"na\"\"me\" = excluded.\"na\"\"me\""
        );
    }
}
