//! Reading a PostgreSQL source: one read-only REPEATABLE READ snapshot, exported by a coordinator
//! session and imported by every reader, so all tables are read as of one instant.

use async_trait::async_trait;
use futures_util::StreamExt;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnection, PgPool};
use sqlx::{AssertSqlSafe, Connection, Executor, Postgres, Row};
use tokio::sync::Mutex;

use super::{Q, connect_options, copy_text, identity, pool, relation};
use crate::data::channel::BatchSender;
use crate::engine::contract::{
    ConnectOptions, EngineError, KeyList, NativeDdl, ReadRequest, Relation, Side, Source, SourceProfile,
};
use crate::engine::driver::{connecting, failed, noting_a_lock_wait, push_rows};
use crate::engine::read::{Batcher, key_tuple, select_with};
use crate::engine::url::DbUrl;
use crate::schema::{Schema, Table};

pub struct PgSource {
    /// Holds the exporting transaction open for the whole run: the snapshot lives as long as it.
    coordinator: Mutex<PgConnection>,
    readers: PgPool,
    snapshot: String,
}

impl PgSource {
    pub async fn connect(url: &DbUrl, options: ConnectOptions) -> Result<(Self, SourceProfile), EngineError> {
        // Every source session refuses writes, whatever a bug elsewhere might send.
        let opts = connect_options(url, Side::Source, &[("default_transaction_read_only", "on")])?;
        let mut coordinator = connecting(Side::Source, url, PgConnection::connect_with(&opts)).await?;
        (&mut coordinator)
            .execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(|e| failed("source: starting the snapshot transaction", e))?;
        let (snapshot,): (String,) = sqlx::query_as("SELECT pg_export_snapshot()")
            .fetch_one(&mut coordinator)
            .await
            .map_err(|e| failed("source: exporting the snapshot", e))?;
        // The id is pasted into SET TRANSACTION SNAPSHOT (it takes no parameters): accept only
        // the server's own format.
        if snapshot.is_empty() || !snapshot.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(EngineError::Data(format!("source: unexpected snapshot id {snapshot:?}")));
        }
        let (readers, session_limit) = pool(url, Side::Source, opts, options.jobs).await?;
        let identity = identity(&readers, Side::Source).await?;
        let how = "source: every table was read from one snapshot (exported by a coordinator session, imported by \
                   every reader; ACCESS SHARE locks keep TRUNCATE out until the run ends)";
        let profile = SourceProfile { identity, forms: super::forms(), snapshot: how.to_string(), session_limit };
        Ok((PgSource { coordinator: Mutex::new(coordinator), readers, snapshot }, profile))
    }

    async fn begin_reader(&self, table: &str) -> Result<PoolConnection<Postgres>, EngineError> {
        let mut conn =
            self.readers.acquire().await.map_err(|e| failed(format!("source: connecting a reader for {table}"), e))?;
        let sql =
            format!("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '{}'", self.snapshot);
        (&mut *conn)
            .execute(sqlx::raw_sql(AssertSqlSafe(sql)))
            .await
            .map_err(|e| failed(format!("source: importing the snapshot for {table}"), e))?;
        Ok(conn)
    }
}

#[async_trait]
impl Source for PgSource {
    async fn introspect(&self, schemas: &[String]) -> Result<Schema, EngineError> {
        let mut conn = self.coordinator.lock().await;
        let schema = super::introspect::schema(&mut conn, Side::Source, schemas).await?;
        protect(&mut conn, &schema).await?;
        Ok(schema)
    }

    async fn native_ddl(&self, tables: &[Table]) -> Result<Vec<NativeDdl>, EngineError> {
        super::native::tables(&self.readers, tables).await
    }

    fn statement(&self, request: &ReadRequest) -> String {
        let since = request.filter.since.as_ref().map(|s| since_predicate(&s.column, "its type"));
        format!(
            "COPY ({}) TO STDOUT",
            crate::engine::read::select(request, Q, &relation(&request.table), since.as_deref())
        )
    }

    async fn high_water(&self, table: &Relation, column: &str) -> Result<Option<String>, EngineError> {
        let mut conn = self.begin_reader(&table.to_string()).await?;
        let fail = |e| failed(format!("source: reading the largest {column} of {table}"), e);
        // `::text` is the type's output function: the form COPY sends.
        let sql = format!("SELECT max({})::text FROM {}", Q.ident(column), relation(table));
        let (top,): (Option<String>,) = sqlx::query_as(AssertSqlSafe(sql)).fetch_one(&mut *conn).await.map_err(fail)?;
        (&mut *conn).execute("COMMIT").await.map_err(fail)?;
        Ok(top)
    }

    async fn read(&self, request: &ReadRequest, out: BatchSender) -> Result<u64, EngineError> {
        let table = &request.table;
        let mut conn = self.begin_reader(&table.to_string()).await?;
        if let Some(keys) = &request.filter.keys {
            let rows = read_listed(&mut conn, request, keys, &out).await?;
            (&mut *conn).execute("COMMIT").await.map_err(|e| failed(format!("source: reading {table}"), e))?;
            out.finish().await?;
            return Ok(rows);
        }
        // COPY takes no parameters: the bound is bound into a setting of the transaction, which
        // the query casts to the column's type.
        let since = match &request.filter.since {
            Some(since) => {
                let fail = |e| failed(format!("source: reading {table}"), e);
                sqlx::query("SELECT set_config('dbtwin.since', $1, true)")
                    .bind(&since.value)
                    .execute(&mut *conn)
                    .await
                    .map_err(fail)?;
                let types = column_types(&mut conn, request).await?;
                let Some((_, ty)) = types.iter().find(|(name, _)| name == &since.column) else {
                    return Err(EngineError::Data(format!(
                        "source: reading {table}: it has no column {}",
                        since.column
                    )));
                };
                Some(since_predicate(&since.column, ty))
            }
            None => None,
        };
        // ONLY: an inheritance parent's rows without its children's, which are tables of their own.
        let select = crate::engine::read::select(request, Q, &relation(table), since.as_deref());
        let sql = format!("COPY ({select}) TO STDOUT");
        let result = {
            let stream = conn.copy_out_raw(&sql).await.map_err(|e| failed(format!("source: reading {table}"), e))?;
            stream_batches(stream, request, &out).await
        };
        let last = match result {
            Ok(last) => last,
            Err(e) => {
                // Mid-COPY the connection cannot be reused: close it rather than drain it.
                conn.close_on_drop();
                return Err(e);
            }
        };
        // The driver keeps its read buffer as large as the largest row was: let a huge value's
        // bytes go before the last batch, which may hold that value, is written.
        conn.shrink_buffers();
        let rows = last.finish().await?;
        (&mut *conn).execute("COMMIT").await.map_err(|e| failed(format!("source: reading {table}"), e))?;
        out.finish().await?;
        Ok(rows)
    }
}

/// The rows of a key list. COPY takes no parameters, so these are SELECTs whose keys are bound
/// as one text array per key column, cast to the column's type (as the catalog spells it), and
/// whose cells come back through each type's output function: the same text COPY sends, NULL
/// apart (`format` alone gives '' for NULL; `num_nulls` also tells a NULL composite from one
/// whose fields are all NULL).
async fn read_listed(
    conn: &mut PgConnection,
    request: &ReadRequest,
    keys: &KeyList,
    out: &BatchSender,
) -> Result<u64, EngineError> {
    let table = &request.table;
    let types = column_types(conn, request).await?;
    let mut casts = Vec::new();
    for (i, column) in keys.columns.iter().enumerate() {
        let Some((_, ty)) = types.iter().find(|(name, _)| name == column) else {
            return Err(EngineError::Data(format!("source: reading {table}: it has no column {column}")));
        };
        casts.push(format!("CAST(k.c{i} AS {ty})"));
    }
    let arrays: Vec<String> = (1..=keys.columns.len()).map(|i| format!("${i}::text[]")).collect();
    let names: Vec<String> = (0..keys.columns.len()).map(|i| format!("c{i}")).collect();
    let listed = format!(
        "{} IN (SELECT {} FROM unnest({}) AS k({}))",
        key_tuple(Q, &keys.columns),
        casts.join(", "),
        arrays.join(", "),
        names.join(", ")
    );
    let cells: Vec<String> = request
        .columns
        .iter()
        .map(|c| {
            let c = Q.ident(c);
            format!("CASE WHEN num_nulls({c}) = 0 THEN format('%s', {c}) END")
        })
        .collect();
    let sql = select_with(request, Q, &relation(table), &cells.join(", "), Some(&listed), None);
    let mut rows = Batcher::new(request, out);
    for chunk in keys.rows.chunks(KeyList::PER_STATEMENT) {
        let mut query = sqlx::query(AssertSqlSafe(sql.clone()));
        for c in 0..keys.columns.len() {
            query = query.bind(chunk.iter().map(|row| row[c].clone()).collect::<Vec<String>>());
        }
        let stream = query.fetch(&mut *conn);
        push_rows(stream, request, &mut rows, |row: &sqlx::postgres::PgRow, i, batch| {
            batch.push_cell(row.try_get_unchecked::<Option<&[u8]>, _>(i)?);
            Ok(())
        })
        .await?;
    }
    Ok(rows.finish().await?)
}

/// Each column of the request's table and its type, as the catalog spells it (what a cast of a
/// bound text value names).
async fn column_types(conn: &mut PgConnection, request: &ReadRequest) -> Result<Vec<(String, String)>, EngineError> {
    sqlx::query_as(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
         WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped",
    )
    .bind(Q.table(&request.table.name))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| failed(format!("source: reading {}", request.table), e))
}

/// `column >= the since value`, cast to `ty` from the transaction's setting.
fn since_predicate(column: &str, ty: &str) -> String {
    format!("{} >= CAST(current_setting('dbtwin.since') AS {ty})", Q.ident(column))
}

/// How long the snapshot waits for a table that another session holds (a running TRUNCATE or
/// DDL) before the run fails, naming it.
const LOCK_WAIT: &str = "30s";

/// Lock every table the run may read in ACCESS SHARE mode, in the snapshot's transaction, as
/// pg_dump does: TRUNCATE is not MVCC-safe, so a table truncated after the snapshot was taken
/// would read as empty. The lock blocks TRUNCATE and DDL until the run ends, never writers.
/// Readers that import the snapshot need no lock of their own.
async fn protect(conn: &mut PgConnection, schema: &Schema) -> Result<(), EngineError> {
    let wait = format!("SET LOCAL lock_timeout = '{LOCK_WAIT}'");
    (&mut *conn).execute(sqlx::raw_sql(AssertSqlSafe(wait))).await.map_err(|e| failed("source: locking", e))?;
    // A table the user may not read is the plan's to report, naming it; it is never read.
    for table in schema.tables.iter().filter(|t| t.readable) {
        let lock = format!("LOCK TABLE {} IN ACCESS SHARE MODE", Q.table(&table.name));
        let note = async {
            tracing::warn!(
                "source: locking table {} against TRUNCATE is waiting for another session's TRUNCATE or DDL on it; \
                 it gives up after {LOCK_WAIT}",
                table.name
            );
        };
        noting_a_lock_wait((&mut *conn).execute(sqlx::raw_sql(AssertSqlSafe(lock))), note).await.map_err(|e| {
            let timed_out = matches!(&e, sqlx::Error::Database(db) if db.code().as_deref() == Some("55P03"));
            let what = if timed_out {
                format!(
                    "source: table {} is held by another session (waited {LOCK_WAIT} to lock it against TRUNCATE)",
                    table.name
                )
            } else {
                format!("source: locking table {} against TRUNCATE", table.name)
            };
            failed(what, e)
        })?;
    }
    (&mut *conn).execute("SET LOCAL lock_timeout = 0").await.map_err(|e| failed("source: locking", e))?;
    Ok(())
}

/// Cut the COPY byte stream into rows and the rows into batches, all but the last sent. Chunks
/// are not row-aligned.
async fn stream_batches<'a>(
    mut stream: futures_util::stream::BoxStream<'_, sqlx::Result<bytes::Bytes>>,
    request: &ReadRequest,
    out: &'a BatchSender,
) -> Result<Batcher<'a>, EngineError> {
    let mut rows = Batcher::new(request, out);
    let mut partial: Vec<u8> = Vec::new();
    let bad_row = |rows: u64, reason: String| {
        EngineError::Data(format!("source: reading {}: row {}: {reason}", request.table, rows + 1))
    };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| failed(format!("source: reading {}", request.table), e))?;
        let mut data: &[u8] = &chunk;
        while let Some(nl) = memchr::memchr(b'\n', data) {
            let line = if partial.is_empty() {
                &data[..nl]
            } else {
                partial.extend_from_slice(&data[..nl]);
                &partial[..]
            };
            let done = rows.rows();
            copy_text::decode_row(line, rows.batch()).map_err(|reason| bad_row(done, reason))?;
            partial.clear();
            data = &data[nl + 1..];
            rows.end_row().await?;
        }
        partial.extend_from_slice(data);
    }
    if !partial.is_empty() {
        return Err(bad_row(rows.rows(), "COPY data ended inside a row".into()));
    }
    Ok(rows)
}
