//! Writing a MySQL/MariaDB target: prepared multi-row INSERTs with bound values, sized to stay
//! under `max_allowed_packet` and the 65,535-placeholder limit, one transaction per table.
//!
//! Replace mode DELETEs the old rows inside that transaction rather than TRUNCATE (which commits
//! implicitly) or a shadow table swapped in with RENAME TABLE (which would carry other tables'
//! foreign keys, triggers and grants away with the old table): a failure leaves the old rows.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::mysql::{MySqlArguments, MySqlConnection, MySqlPool, MySqlPoolOptions};
use sqlx::{Arguments, AssertSqlSafe, Connection, Executor};

use super::introspect::is_byte_valued;
use super::locks::Waiting;
use super::{DIALECT, Q, connect_options, identity, prepare_session};
use crate::data::batch::Batch;
use crate::data::channel::{BatchReceiver, Cancelled};
use crate::data::mode::Mode;
use crate::engine::contract::{
    ConnectOptions, EngineError, LoadSettings, OwedDdl, Present, Side, StateRow, StateWrite, Target, TargetProfile,
    TriggerRef, WriteRequest, Written,
};
use crate::engine::driver::{describe, failed, failed_on, probe_sessions, session};
use crate::engine::url::DbUrl;
use crate::schema::{Schema, TableName};

const MAX_PLACEHOLDERS: usize = 65_535;
/// Rows per statement: bigger statements only cost memory (measured: 2,000 as fast as 4,000).
const MAX_ROWS_PER_STATEMENT: usize = 2_000;

/// How MySQL 8.0.19+ and MariaDB spell "the value this row tried to insert" in an upsert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UpsertSyntax {
    /// `VALUES(col)`: MariaDB and MySQL before 8.0.19 (deprecated from 8.0.20).
    ValuesFunction,
    /// `INSERT … AS new ON DUPLICATE KEY UPDATE col = new.col`: MySQL 8.0.19+.
    RowAlias,
}

pub struct MySqlTarget {
    pool: MySqlPool,
    upsert: UpsertSyntax,
    /// Bytes of bound values per statement: half of max_allowed_packet leaves room for framing.
    statement_bytes: usize,
    /// The server's max_allowed_packet: no statement, and so no value, may be larger.
    max_packet: usize,
    lock_wait: std::time::Duration,
}

impl MySqlTarget {
    pub async fn connect(url: &DbUrl, options: ConnectOptions) -> Result<(Self, TargetProfile), EngineError> {
        let opts = connect_options(url, Side::Target)?;
        // Direct connections first, as many as the pool may need: they fail at once with the
        // reason, where a pool would retry, and show a connection limit before the run.
        let (mut probes, session_limit) =
            probe_sessions(Side::Target, url, options.jobs.max(1), || MySqlConnection::connect_with(&opts)).await?;
        let (identity, version) = identity(&mut probes[0], Side::Target).await?;
        let (packet,): (u64,) = sqlx::query_as("SELECT CAST(@@max_allowed_packet AS UNSIGNED)")
            .fetch_one(&mut probes[0])
            .await
            .map_err(|e| failed("target: reading max_allowed_packet", e))?;
        let sessions = probes.len();
        for probe in probes {
            let _closing_is_best_effort = probe.close().await;
        }
        let wait = options.lock_wait.as_secs();
        let pool = MySqlPoolOptions::new()
            .max_connections(sessions as u32)
            .min_connections(0)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    // Strict (no silent truncation) but zero dates allowed, since the source
                    // holds them; id 0 stays 0; foreign keys are checked by the source already.
                    // Row and table locks another session holds are waited for at most the
                    // lock wait.
                    let settings = format!(
                        ", sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION', \
                         foreign_key_checks = 0, innodb_lock_wait_timeout = {wait}, lock_wait_timeout = {wait}"
                    );
                    prepare_session(conn, Side::Target, &settings)
                        .await
                        .map_err(|e| sqlx::Error::Protocol(e.to_string()))
                })
            })
            .connect_lazy_with(opts);
        // foreign_key_checks is a session setting anyone may change; MySQL has no session-level
        // switch for triggers.
        let load = LoadSettings { foreign_keys_off: true, triggers_off: false };
        // New tables go into the URL's database.
        let default_schema = url.database().to_string();
        let profile =
            TargetProfile { identity, forms: super::forms(), load, dialect: DIALECT, default_schema, session_limit };
        let target = MySqlTarget {
            pool,
            upsert: upsert_syntax(&version),
            statement_bytes: (packet as usize / 2).clamp(64 << 10, 16 << 20),
            max_packet: packet as usize,
            lock_wait: options.lock_wait,
        };
        Ok((target, profile))
    }
}

fn upsert_syntax(version: &str) -> UpsertSyntax {
    if version.contains("MariaDB") {
        return UpsertSyntax::ValuesFunction;
    }
    let parts: Vec<u32> = version.split(['.', '-']).take(3).map(|p| p.parse().unwrap_or(0)).collect();
    if parts.len() == 3 && (parts[0], parts[1], parts[2]) >= (8, 0, 19) {
        UpsertSyntax::RowAlias
    } else {
        UpsertSyntax::ValuesFunction
    }
}

#[async_trait]
impl Target for MySqlTarget {
    async fn introspect(&self, schemas: &[String]) -> Result<Schema, EngineError> {
        super::introspect::schema(&mut *session(&self.pool, "introspection").await?, Side::Target, schemas).await
    }

    /// DDL commits implicitly in MySQL: each statement stands alone (see [`super::owed`]).
    async fn execute_ddl(&self, statements: &[String], owed: &[OwedDdl]) -> Result<(), EngineError> {
        super::owed::execute_ddl(&self.pool, statements, owed).await
    }

    async fn owed_ddl(&self) -> Result<Vec<OwedDdl>, EngineError> {
        super::owed::list(&self.pool).await
    }

    async fn settle_ddl(&self, owed: &OwedDdl, run: bool) -> Result<(), EngineError> {
        super::owed::settle(&self.pool, owed, run).await
    }

    async fn triggers(&self, tables: &[TableName]) -> Result<Vec<TriggerRef>, EngineError> {
        super::triggers::list(&self.pool, tables).await
    }

    async fn suspend_triggers(&self, tables: &[TableName]) -> Result<Vec<TriggerRef>, EngineError> {
        super::triggers::suspend(&self.pool, tables).await
    }

    async fn left_suspended(&self) -> Result<Vec<TriggerRef>, EngineError> {
        super::triggers::left_suspended(&self.pool).await
    }

    async fn restore_triggers(&self) -> Result<Vec<TriggerRef>, EngineError> {
        super::triggers::restore(&self.pool).await
    }

    async fn check_recompute(&self, request: &WriteRequest) -> Result<(), String> {
        let Some(sql) = request.recompute_sql(Q, &Q.table(&request.table.name)) else { return Ok(()) };
        let mut tx = self.pool.begin().await.map_err(|e| describe(&e))?;
        let probed = (&mut *tx).execute(sqlx::raw_sql(AssertSqlSafe(format!("{sql} WHERE 1 = 0")))).await;
        let _nothing_to_keep = tx.rollback().await;
        probed.map(drop).map_err(|e| describe(&e))
    }

    async fn state(&self, table: &TableName, create: bool) -> Result<Vec<StateRow>, EngineError> {
        let fail = |e| failed(format!("target: reading the state table {table}"), e);
        let quoted = Q.table(table);
        if create {
            let sql = format!(
                "CREATE TABLE IF NOT EXISTS {quoted} (table_name varchar(255) NOT NULL PRIMARY KEY, \
                 config_hash varchar(64) NOT NULL, watermark_column varchar(255), watermark text, \
                 run_started varchar(40) NOT NULL) DEFAULT CHARSET = utf8mb4"
            );
            (&self.pool).execute(sqlx::raw_sql(AssertSqlSafe(sql))).await.map_err(fail)?;
        } else {
            let (found,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            )
            .bind(&table.schema)
            .bind(&table.name)
            .fetch_one(&self.pool)
            .await
            .map_err(fail)?;
            if found == 0 {
                return Ok(Vec::new());
            }
        }
        let sql = format!("SELECT table_name, config_hash, watermark_column, watermark, run_started FROM {quoted}");
        let rows: Vec<(String, String, Option<String>, Option<String>, String)> =
            sqlx::query_as(AssertSqlSafe(sql)).fetch_all(&self.pool).await.map_err(fail)?;
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
        mut input: BatchReceiver,
        present: Option<Present>,
    ) -> Result<Written, EngineError> {
        // Binary, bit and geometry values are bound as bytes, everything else as text.
        let as_bytes: Vec<bool> = request.columns.iter().map(|c| is_byte_valued(c.class, &c.declared_type)).collect();
        let fail = |what| failed_on(what, &request.table);
        let mut conn = self.pool.acquire().await.map_err(fail("connecting to write"))?;
        let (session,): (u64,) = sqlx::query_as("SELECT CAST(CONNECTION_ID() AS UNSIGNED)")
            .fetch_one(&mut *conn)
            .await
            .map_err(fail("preparing"))?;
        let waiting = Waiting { pool: &self.pool, session, lock_wait: self.lock_wait };
        let mut tx = conn.begin().await.map_err(fail("starting the transaction for"))?;
        if request.mode == Mode::Replace {
            let delete = format!("DELETE FROM {}", Q.table(&request.table.name));
            waiting.run((&mut *tx).execute(sqlx::raw_sql(AssertSqlSafe(delete))), "emptying", &request.table).await?;
        }
        // The source's keys in order are merged against the table's; others are noted in a
        // temporary table and compared there.
        let (ordered, present) = match present {
            Some(Present { keys, ordered: true }) => (Some(keys), None),
            Some(Present { keys, ordered: false }) => (None, Some(keys)),
            None => (None, None),
        };
        let seen = match request.mode {
            Mode::Mirror if ordered.is_none() => Some(Seen::create(&mut tx, request).await?),
            _ => None,
        };
        let mut statements = Statements::new(request, self.upsert);
        let full = (MAX_PLACEHOLDERS / request.columns.len().max(1)).min(MAX_ROWS_PER_STATEMENT);
        let mut pending = Pending::default();
        let mut rows = 0u64;
        loop {
            let finished = match input.recv().await {
                Ok(Some(batch)) => {
                    pending.push(batch);
                    false
                }
                Ok(None) => true,
                // The reader died: returning drops the transaction, which rolls back.
                Err(Cancelled) => return Err(EngineError::Cancelled(Cancelled)),
            };
            // Full-size statements, carrying rows over from batch to batch, so the server
            // prepares one statement per table instead of one per odd-sized remainder; but never
            // more than a statement's worth of bytes held, so wide rows cost no more memory.
            while pending.rows >= full || pending.bytes >= self.statement_bytes || (finished && pending.rows > 0) {
                let n = pending.fitting(full, self.statement_bytes);
                let sql = statements.sql(n);
                let limits = Limits { max_value: self.max_packet.saturating_sub(1024), first_row: rows + 1 };
                let args = pending.bind(n, &as_bytes, request, limits)?;
                let query = sqlx::query_with(AssertSqlSafe(sql), args);
                // The source's keys, when they come apart, are noted from those instead.
                let keys = match &seen {
                    Some(seen) if present.is_none() => Some(seen.insert(&pending, n, &as_bytes, request)?),
                    _ => None,
                };
                // The statement holds its values encoded: a huge value's batch copy goes before
                // the driver writes the packet.
                pending.consume(n);
                waiting.run(query.execute(&mut *tx), "writing", &request.table).await?;
                if let Some(keys) = keys {
                    keys.execute(&mut *tx).await.map_err(fail("noting the keys written to"))?;
                }
                rows += n as u64;
            }
            if finished {
                break;
            }
        }
        if let (Some(seen), Some(present)) = (&seen, present) {
            seen.note_present(&mut tx, present, &as_bytes, request).await?;
        }
        let deleted = match (seen, ordered) {
            (None, Some(keys)) => super::merge::delete_missing(&mut tx, request, keys).await?,
            (None, None) => 0,
            (Some(seen), _) => {
                let deleting = (&mut *tx).execute(sqlx::raw_sql(AssertSqlSafe(seen.delete_sql(request))));
                let gone = waiting.run(deleting, "deleting rows the source no longer has from", &request.table).await?;
                (&mut *tx).execute(Seen::DROP).await.map_err(fail("noting the keys written to"))?;
                gone.rows_affected()
            }
        };
        if let Some(sql) = request.recompute_sql(Q, &Q.table(&request.table.name)) {
            let recomputing = (&mut *tx).execute(sqlx::raw_sql(AssertSqlSafe(sql)));
            waiting.run(recomputing, "recomputing columns of", &request.table).await?;
        }
        if let Some(state) = &request.state {
            write_state(&mut tx, state).await?;
        }
        tx.commit().await.map_err(fail("committing"))?;
        Ok(Written { rows, deleted })
    }
}

/// A mirror's record of the keys it wrote: a temporary table of the key columns (their types
/// and the key's index taken from the table), filled statement by statement in the load's
/// transaction (a temporary table commits nothing), then the rows whose key it lacks deleted.
struct Seen {
    key: Vec<usize>,
}

impl Seen {
    const DROP: &'static str = "DROP TEMPORARY TABLE IF EXISTS dbtwin_seen";

    async fn create(tx: &mut sqlx::Transaction<'_, sqlx::MySql>, request: &WriteRequest) -> Result<Self, EngineError> {
        let fail = |e| failed(format!("target: noting the keys written to {}", request.table), e);
        let key = Q.list(request.key.iter().map(String::as_str));
        let create = format!(
            "CREATE TEMPORARY TABLE dbtwin_seen (PRIMARY KEY ({key})) SELECT {key} FROM {} LIMIT 0",
            Q.table(&request.table.name)
        );
        // A session the pool hands out again may still hold a failed load's table.
        (&mut **tx).execute(Self::DROP).await.map_err(fail)?;
        (&mut **tx).execute(sqlx::raw_sql(AssertSqlSafe(create))).await.map_err(fail)?;
        let key = request
            .key
            .iter()
            .map(|k| request.column_names().position(|c| c == k).expect("a key column is written"))
            .collect();
        Ok(Seen { key })
    }

    /// The statement that notes the keys of the next `n` pending rows.
    fn insert(
        &self,
        pending: &Pending,
        n: usize,
        as_bytes: &[bool],
        request: &WriteRequest,
    ) -> Result<sqlx::query::Query<'static, sqlx::MySql, MySqlArguments>, EngineError> {
        let row = format!("({})", vec!["?"; self.key.len()].join(", "));
        let sql = format!(
            "INSERT IGNORE INTO dbtwin_seen ({}) VALUES {}",
            Q.list(request.key.iter().map(String::as_str)),
            vec![row; n].join(", ")
        );
        let mut args = MySqlArguments::default();
        for (batch, r) in pending.iter().take(n) {
            for (k, &c) in self.key.iter().enumerate() {
                let cell = batch.cell(r, c);
                let added = if as_bytes[c] {
                    args.add(cell.map(<[u8]>::to_vec))
                } else {
                    // Written already as text by the row's own statement, which checked it.
                    args.add(cell.map(|v| String::from_utf8_lossy(v).into_owned()))
                };
                added.map_err(|e| {
                    EngineError::Data(format!("target: table {}, column {}: {e}", request.table, request.key[k]))
                })?;
            }
        }
        Ok(sqlx::query_with(AssertSqlSafe(sql), args))
    }

    /// Note every key `present` gives (key columns only, in the key's order), statement by
    /// statement.
    async fn note_present(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::MySql>,
        mut present: BatchReceiver,
        as_bytes: &[bool],
        request: &WriteRequest,
    ) -> Result<(), EngineError> {
        let only_keys = Seen { key: (0..self.key.len()).collect() };
        let key_bytes: Vec<bool> = self.key.iter().map(|&c| as_bytes[c]).collect();
        let full = (MAX_PLACEHOLDERS / self.key.len().max(1)).min(MAX_ROWS_PER_STATEMENT);
        let mut pending = Pending::default();
        loop {
            let finished = match present.recv().await {
                Ok(Some(batch)) => {
                    pending.push(batch);
                    false
                }
                Ok(None) => true,
                Err(Cancelled) => return Err(EngineError::Cancelled(Cancelled)),
            };
            while pending.rows >= full || (finished && pending.rows > 0) {
                let n = pending.rows.min(full);
                let statement = only_keys.insert(&pending, n, &key_bytes, request)?;
                pending.consume(n);
                statement
                    .execute(&mut **tx)
                    .await
                    .map_err(|e| failed(format!("target: noting the source's keys for {}", request.table), e))?;
            }
            if finished {
                return Ok(());
            }
        }
    }

    fn delete_sql(&self, request: &WriteRequest) -> String {
        let table = Q.table(&request.table.name);
        let same: Vec<String> = request.key.iter().map(|k| format!("s.{0} = {table}.{0}", Q.ident(k))).collect();
        format!("DELETE FROM {table} WHERE NOT EXISTS (SELECT 1 FROM dbtwin_seen AS s WHERE {})", same.join(" AND "))
    }
}

/// The table's state row, in the load's transaction.
async fn write_state(tx: &mut sqlx::Transaction<'_, sqlx::MySql>, state: &StateWrite) -> Result<(), EngineError> {
    let sql = format!(
        "INSERT INTO {} (table_name, config_hash, watermark_column, watermark, run_started) VALUES (?, ?, ?, ?, ?) \
         ON DUPLICATE KEY UPDATE config_hash = VALUES(config_hash), watermark_column = VALUES(watermark_column), \
         watermark = VALUES(watermark), run_started = VALUES(run_started)",
        Q.table(&state.table)
    );
    let row = &state.row;
    sqlx::query(AssertSqlSafe(sql))
        .bind(&row.table)
        .bind(&row.config_hash)
        .bind(&row.column)
        .bind(&row.watermark)
        .bind(&row.run_started)
        .execute(&mut **tx)
        .await
        .map(drop)
        .map_err(|e| failed(format!("target: writing the state of {} to {}", row.table, state.table), e))
}

/// Rows received and not yet written, possibly spanning several batches.
#[derive(Default)]
struct Pending {
    batches: std::collections::VecDeque<Batch>,
    /// Rows of the front batch already written.
    offset: usize,
    rows: usize,
    /// Cell bytes of the batches held (written rows of the front batch included).
    bytes: usize,
}

impl Pending {
    fn push(&mut self, batch: Batch) {
        self.rows += batch.rows();
        self.bytes += batch.byte_len();
        self.batches.push_back(batch);
    }

    /// Unwritten rows in order, as (batch, row).
    fn iter(&self) -> impl Iterator<Item = (&Batch, usize)> {
        self.batches.iter().enumerate().flat_map(move |(i, b)| {
            let first = if i == 0 { self.offset } else { 0 };
            (first..b.rows()).map(move |r| (b, r))
        })
    }

    /// How many of the next rows (at most `max`) fit in `budget` bytes of values; at least one.
    fn fitting(&self, max: usize, budget: usize) -> usize {
        let mut bytes = 0;
        let mut n = 0;
        for (batch, r) in self.iter().take(max.min(self.rows)) {
            let row_bytes: usize = batch.row(r).map(|c| c.map_or(0, <[u8]>::len) + 8).sum();
            if n > 0 && bytes + row_bytes > budget {
                break;
            }
            bytes += row_bytes;
            n += 1;
        }
        n
    }

    /// The next `n` rows' values, encoded: the arguments own them, so the rows may go before
    /// the statement is sent.
    fn bind(
        &self,
        n: usize,
        as_bytes: &[bool],
        request: &WriteRequest,
        limits: Limits,
    ) -> Result<MySqlArguments, EngineError> {
        let mut args = MySqlArguments::default();
        // Room for every value and its length prefix up front: grown by doubling, the buffer of
        // one huge value would be up to twice its size.
        let bytes: usize = self.iter().take(n).flat_map(|(b, r)| b.row(r)).map(|c| c.map_or(0, <[u8]>::len) + 9).sum();
        args.reserve(n * as_bytes.len(), bytes);
        for (k, (batch, r)) in self.iter().take(n).enumerate() {
            for (i, cell) in batch.row(r).enumerate() {
                let len = cell.map_or(0, <[u8]>::len);
                if len > limits.max_value {
                    // Sent anyway, the server would drop the connection mid-statement.
                    return Err(EngineError::Data(format!(
                        "target: table {}, column {}, row {}: a value of {len} bytes does not fit the server's \
                         max_allowed_packet ({} bytes); raise it on the target server",
                        request.table,
                        request.columns[i].name,
                        limits.first_row + k as u64,
                        limits.max_value + 1024
                    )));
                }
                let added = if as_bytes[i] {
                    args.add(cell)
                } else {
                    let text = cell.map(std::str::from_utf8).transpose().map_err(|_| {
                        EngineError::Data(format!(
                            "target: table {}, column {}, row {}: the value is not valid UTF-8, which a text \
                             column must be",
                            request.table,
                            request.columns[i].name,
                            limits.first_row + k as u64
                        ))
                    })?;
                    args.add(text)
                };
                added.map_err(|e| {
                    EngineError::Data(format!(
                        "target: table {}, column {}, row {}: {e}",
                        request.table,
                        request.columns[i].name,
                        limits.first_row + k as u64
                    ))
                })?;
            }
        }
        Ok(args)
    }

    fn consume(&mut self, mut n: usize) {
        self.rows -= n;
        while n > 0 {
            let left = self.batches[0].rows() - self.offset;
            if n < left {
                self.offset += n;
                return;
            }
            n -= left;
            self.offset = 0;
            if let Some(done) = self.batches.pop_front() {
                self.bytes -= done.byte_len();
            }
        }
    }
}

/// What a statement may hold, and where its rows stand in the table (for messages).
#[derive(Clone, Copy)]
struct Limits {
    max_value: usize,
    /// The number, counting from 1, of the statement's first row in the table's load.
    first_row: u64,
}

/// INSERT statements by row count: the full-size one is built once and reused, so the server
/// prepares it once per connection.
struct Statements {
    head: String,
    row: String,
    tail: String,
    cache: HashMap<usize, std::sync::Arc<str>>,
}

impl Statements {
    fn new(request: &WriteRequest, syntax: UpsertSyntax) -> Self {
        let columns = Q.list(request.column_names());
        let row = format!("({})", vec!["?"; request.columns.len()].join(", "));
        let tail = match request.mode {
            Mode::Replace => String::new(),
            Mode::Upsert | Mode::Mirror => upsert_tail(request, syntax),
        };
        Statements {
            head: format!("INSERT INTO {} ({columns}) VALUES ", Q.table(&request.table.name)),
            row,
            tail,
            cache: HashMap::new(),
        }
    }

    /// Shared, so reusing a statement for every chunk copies a pointer, not the SQL text.
    fn sql(&mut self, rows: usize) -> std::sync::Arc<str> {
        self.cache
            .entry(rows)
            .or_insert_with(|| {
                let mut sql = String::with_capacity(self.head.len() + rows * (self.row.len() + 2) + self.tail.len());
                sql.push_str(&self.head);
                for i in 0..rows {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&self.row);
                }
                sql.push_str(&self.tail);
                sql.into()
            })
            .clone()
    }
}

fn upsert_tail(request: &WriteRequest, syntax: UpsertSyntax) -> String {
    let rest: Vec<String> = request.non_key_columns().map(|c| Q.ident(c)).collect();
    let (alias, value): (&str, fn(&str) -> String) = match syntax {
        UpsertSyntax::ValuesFunction => ("", |q| format!("VALUES({q})")),
        UpsertSyntax::RowAlias => (" AS dbtwin_new", |q| format!("dbtwin_new.{q}")),
    };
    let updates: Vec<String> = if rest.is_empty() {
        // Only key columns: an existing row is already what the source has.
        let k = Q.ident(&request.key[0]);
        vec![format!("{k} = {k}")]
    } else {
        rest.iter().map(|q| format!("{q} = {}", value(q))).collect()
    };
    format!("{alias} ON DUPLICATE KEY UPDATE {}", updates.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::contract::Relation;
    use crate::schema::{Column, TableName, TypeClass};

    fn batch(values: &[&str]) -> Batch {
        let mut b = Batch::new(1, values.len(), 64);
        for v in values {
            b.push(v.as_bytes());
        }
        b
    }

    #[test]
    fn pending_rows_span_batches_in_order() {
        let mut p = Pending::default();
        p.push(batch(&["a", "b", "c"]));
        p.push(batch(&["d"]));
        p.push(batch(&["e", "f"]));
        let next = |p: &Pending, n: usize| p.iter().take(n).map(|(b, r)| b.cell(r, 0).unwrap()[0]).collect::<Vec<_>>();
        assert_eq!(p.fitting(4, usize::MAX), 4);
        assert_eq!(next(&p, 4), b"abcd");
        p.consume(2);
        assert_eq!((p.rows, next(&p, 10)), (4, b"cdef".to_vec()));
        p.consume(2);
        assert_eq!((p.batches.len(), p.offset, next(&p, 10)), (1, 0, b"ef".to_vec()));
        assert_eq!(p.fitting(10, 9), 1, "a byte budget cuts the statement short, never below one row");
        p.consume(2);
        assert_eq!((p.rows, p.batches.len(), p.bytes), (0, 0, 0), "nothing held once all is written");
    }

    fn request(columns: &[&str], key: &[&str]) -> WriteRequest {
        WriteRequest {
            table: Relation { name: TableName::new("shop", "order`s"), partitioned: false },
            columns: columns.iter().map(|c| Column::new(*c, "text", TypeClass::Text)).collect(),
            mode: Mode::Upsert,
            key: key.iter().map(|c| c.to_string()).collect(),
            referenced: false,
            auto_increment: vec![],
            recompute: Vec::new(),
            state: None,
        }
    }

    #[test]
    fn upsert_statements_for_both_servers() {
        let r = request(&["id", "note"], &["id"]);
        let mut s = Statements::new(&r, UpsertSyntax::ValuesFunction);
        assert_eq!(
            &*s.sql(2),
            "INSERT INTO `shop`.`order``s` (`id`, `note`) VALUES (?, ?), (?, ?) \
             ON DUPLICATE KEY UPDATE `note` = VALUES(`note`)"
        );
        let mut s = Statements::new(&r, UpsertSyntax::RowAlias);
        assert_eq!(
            &*s.sql(1),
            "INSERT INTO `shop`.`order``s` (`id`, `note`) VALUES (?, ?) AS dbtwin_new \
             ON DUPLICATE KEY UPDATE `note` = dbtwin_new.`note`"
        );
        let keys_only = request(&["a", "b"], &["a", "b"]);
        assert!(upsert_tail(&keys_only, UpsertSyntax::ValuesFunction).ends_with("UPDATE `a` = `a`"));
    }

    #[test]
    fn server_versions_pick_the_syntax() {
        for (version, syntax) in [
            ("10.11.19-MariaDB-0+deb12u1", UpsertSyntax::ValuesFunction),
            ("8.0.36", UpsertSyntax::RowAlias),
            ("8.0.18-log", UpsertSyntax::ValuesFunction),
            ("5.7.44", UpsertSyntax::ValuesFunction),
        ] {
            assert_eq!(upsert_syntax(version), syntax, "{version}");
        }
    }
}
