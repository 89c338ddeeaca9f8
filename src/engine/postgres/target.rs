//! Writing a PostgreSQL target: COPY into the table (replace) or into a temporary staging table
//! merged with one INSERT … ON CONFLICT (upsert), all in one transaction per table.

use async_trait::async_trait;
use sqlx::postgres::{PgConnection, PgPool};
use sqlx::{AssertSqlSafe, Connection, Executor};

use super::{DIALECT, Q, connect_options, copy_text, identity, pool, relation};
use crate::data::channel::{BatchReceiver, Cancelled};
use crate::data::mode::Mode;
use crate::engine::contract::{
    ConnectOptions, EngineError, LoadSettings, OwedDdl, Present, Relation, Side, StateRow, StateWrite, Target,
    TargetProfile, WriteRequest, Written,
};
use crate::engine::driver::{describe, failed, failed_on, session, waiting_for_lock};
use crate::engine::url::DbUrl;
use crate::schema::{Schema, TableName};

/// `PgCopyIn::send` flushes on every call: gather this much first.
const SEND_BYTES: usize = 1 << 20;
const STAGE: &str = "\"dbtwin_stage\"";
/// The keys of every row the source holds, for a mirror that read only the changed rows.
const PRESENT: &str = "\"dbtwin_present\"";

pub struct PgTarget {
    pool: PgPool,
    load: LoadSettings,
    lock_wait: std::time::Duration,
    /// The server checks, during a long statement, that dbtwin is still there (PostgreSQL 14+).
    watches_client: bool,
}

impl PgTarget {
    pub async fn connect(url: &DbUrl, options: ConnectOptions) -> Result<(Self, TargetProfile), EngineError> {
        let opts = connect_options(url, Side::Target, &[])?;
        let (pool, session_limit) = pool(url, Side::Target, opts, options.jobs).await?;
        let identity = identity(&pool, Side::Target).await?;
        // session_replication_role = replica turns off user triggers and FK checks; it needs
        // superuser (or a grant on PostgreSQL 15+). Probe once, then set it per transaction.
        let replica_role = sqlx::raw_sql("SET session_replication_role = replica; RESET session_replication_role")
            .execute(&pool)
            .await
            .is_ok();
        let load = LoadSettings { foreign_keys_off: replica_role, triggers_off: replica_role };
        let (version,): (i32,) = sqlx::query_as("SELECT current_setting('server_version_num')::int")
            .fetch_one(&pool)
            .await
            .map_err(|e| failed("target: reading the server version", e))?;
        let default_schema = "public".into();
        let profile =
            TargetProfile { identity, forms: super::forms(), load, dialect: DIALECT, default_schema, session_limit };
        let target = PgTarget { pool, load, lock_wait: options.lock_wait, watches_client: version >= 140_000 };
        Ok((target, profile))
    }
}

#[async_trait]
impl Target for PgTarget {
    async fn introspect(&self, schemas: &[String]) -> Result<Schema, EngineError> {
        super::introspect::schema(&mut *session(&self.pool, "introspection").await?, Side::Target, schemas).await
    }

    async fn execute_ddl(&self, statements: &[String], owed: &[OwedDdl]) -> Result<(), EngineError> {
        super::owed::execute_ddl(&self.pool, statements, owed).await
    }

    async fn owed_ddl(&self) -> Result<Vec<OwedDdl>, EngineError> {
        super::owed::list(&self.pool).await
    }

    async fn settle_ddl(&self, owed: &OwedDdl, run: bool) -> Result<(), EngineError> {
        super::owed::settle(&self.pool, owed, run, self.lock_wait).await
    }

    async fn check_recompute(&self, request: &WriteRequest) -> Result<(), String> {
        let Some(sql) = request.recompute_sql(Q, &relation(&request.table)) else { return Ok(()) };
        let mut tx = self.pool.begin().await.map_err(|e| describe(&e))?;
        let probed = (&mut *tx).execute(sqlx::raw_sql(AssertSqlSafe(format!("{sql} WHERE false")))).await;
        let _nothing_to_keep = tx.rollback().await;
        probed.map(drop).map_err(|e| describe(&e))
    }

    async fn state(&self, table: &TableName, create: bool) -> Result<Vec<StateRow>, EngineError> {
        let fail = |e| failed(format!("target: reading the state table {table}"), e);
        let quoted = Q.table(table);
        if create {
            let sql = format!(
                "CREATE TABLE IF NOT EXISTS {quoted} (table_name text PRIMARY KEY, config_hash text NOT NULL, \
                 watermark_column text, watermark text, run_started text NOT NULL)"
            );
            (&self.pool).execute(sqlx::raw_sql(AssertSqlSafe(sql))).await.map_err(fail)?;
        } else {
            let (exists,): (bool,) = sqlx::query_as("SELECT to_regclass($1) IS NOT NULL")
                .bind(&quoted)
                .fetch_one(&self.pool)
                .await
                .map_err(fail)?;
            if !exists {
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
        input: BatchReceiver,
        present: Option<Present>,
    ) -> Result<Written, EngineError> {
        let fail = |what| failed_on(what, &request.table);
        let mut conn = self.pool.acquire().await.map_err(fail("connecting to write"))?;
        let mut tx = conn.begin().await.map_err(fail("starting the transaction for"))?;
        if self.load.triggers_off {
            (&mut *tx).execute("SET LOCAL session_replication_role = replica").await.map_err(fail("preparing"))?;
        }
        // A table another session holds fails after the lock wait, naming the holder.
        let wait = format!("SET LOCAL lock_timeout = '{}s'", self.lock_wait.as_secs());
        (&mut *tx).execute(sqlx::raw_sql(AssertSqlSafe(wait))).await.map_err(fail("preparing"))?;
        if self.watches_client {
            // A killed or interrupted dbtwin must not leave its merge running (and holding the
            // table) to the end: the server checks every second that the client is still there.
            (&mut *tx).execute("SET LOCAL client_connection_check_interval = 1000").await.map_err(fail("preparing"))?;
        }
        let quoted = Q.table(&request.table.name);
        let relation = relation(&request.table);
        let columns = Q.list(request.column_names());
        // Some(stage) when rows go through a staging table to be merged.
        let stage = match request.mode {
            Mode::Replace => {
                // TRUNCATE is refused on a table other tables reference; DELETE is not, and both
                // roll back with the transaction.
                let empty =
                    if request.referenced { format!("DELETE FROM {relation}") } else { format!("TRUNCATE {relation}") };
                let emptying = (&mut *tx).execute(sqlx::raw_sql(AssertSqlSafe(empty)));
                self.locking(emptying, "emptying", &request.table).await?;
                None
            }
            Mode::Upsert | Mode::Mirror => {
                // Writers wait while we decide (readers do not); an empty table gets the plain
                // COPY, which is what an upsert into it amounts to, at twice the speed.
                let lock = format!("LOCK TABLE {relation} IN SHARE ROW EXCLUSIVE MODE");
                let locking = (&mut *tx).execute(sqlx::raw_sql(AssertSqlSafe(lock)));
                self.locking(locking, "locking", &request.table).await?;
                let probe = format!("SELECT EXISTS (SELECT 1 FROM {relation})");
                let (has_rows,): (bool,) =
                    sqlx::query_as(AssertSqlSafe(probe)).fetch_one(&mut *tx).await.map_err(fail("inspecting"))?;
                if has_rows {
                    let stage = format!(
                        "CREATE TEMPORARY TABLE {STAGE} ON COMMIT DROP AS SELECT {columns} FROM {relation} WITH NO DATA"
                    );
                    (&mut *tx).execute(sqlx::raw_sql(AssertSqlSafe(stage))).await.map_err(fail("staging"))?;
                    Some(STAGE.to_string())
                } else {
                    None
                }
            }
        };
        let rows =
            copy_in(&mut tx, stage.as_deref().unwrap_or(&quoted), &columns, input).await.map_err(|e| match e {
                CopyError::Cancelled => EngineError::Cancelled(Cancelled),
                CopyError::Db(e) => fail("writing")(e),
                CopyError::Unfit { row, column, why } => EngineError::Data(format!(
                    "target: table {}, column {}, row {row}: {why}",
                    request.table, request.columns[column].name
                )),
            })?;
        let mut deleted = 0;
        if stage.is_some() {
            (&mut *tx)
                .execute(sqlx::raw_sql(AssertSqlSafe(upsert_sql(request))))
                .await
                .map_err(fail("merging into"))?;
            if request.mode == Mode::Mirror {
                let holding = match present {
                    Some(keys) => {
                        let key = Q.list(request.key.iter().map(String::as_str));
                        let create = format!(
                            "CREATE TEMPORARY TABLE {PRESENT} ON COMMIT DROP AS SELECT {key} FROM {relation} WITH NO DATA"
                        );
                        (&mut *tx).execute(sqlx::raw_sql(AssertSqlSafe(create))).await.map_err(fail("staging"))?;
                        copy_in(&mut tx, PRESENT, &key, keys.keys).await.map_err(|e| match e {
                            CopyError::Cancelled => EngineError::Cancelled(Cancelled),
                            CopyError::Db(e) => fail("noting the source's keys for")(e),
                            CopyError::Unfit { row, why, .. } => EngineError::Data(format!(
                                "target: table {}, the key of source row {row}: {why}",
                                request.table
                            )),
                        })?;
                        PRESENT
                    }
                    None => STAGE,
                };
                let gone = (&mut *tx)
                    .execute(sqlx::raw_sql(AssertSqlSafe(mirror_delete_sql(request, &relation, holding))))
                    .await
                    .map_err(fail("deleting rows the source no longer has from"))?;
                deleted = gone.rows_affected();
            }
        }
        if let Some(sql) = request.recompute_sql(Q, &relation) {
            (&mut *tx).execute(sqlx::raw_sql(AssertSqlSafe(sql))).await.map_err(fail("recomputing columns of"))?;
        }
        continue_sequences(&mut tx, request, &relation).await?;
        if let Some(state) = &request.state {
            write_state(&mut tx, state).await?;
        }
        tx.commit().await.map_err(fail("committing"))?;
        Ok(Written { rows, deleted })
    }
}

impl PgTarget {
    /// Runs a statement that may wait for a lock on `table`: after a few seconds the wait is
    /// logged with who holds the table, and a wait that runs out names them in its error.
    async fn locking<T>(
        &self,
        statement: impl Future<Output = Result<T, sqlx::Error>>,
        what: &str,
        table: &Relation,
    ) -> Result<T, EngineError> {
        let lock_timeout =
            |e: &sqlx::Error| matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("55P03"));
        waiting_for_lock(statement, what, table, self.lock_wait, || self.holders(table), lock_timeout).await
    }

    /// The other sessions holding a lock on `table`, by pid, application and user.
    async fn holders(&self, table: &Relation) -> Vec<String> {
        let holders: Vec<(i32, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT a.pid, a.application_name::text, a.usename::text FROM pg_locks l
             JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.relation = $1::regclass AND l.granted AND a.pid <> pg_backend_pid()",
        )
        .bind(Q.table(&table.name))
        .fetch_all(&self.pool)
        .await
        .unwrap_or_default();
        holders
            .iter()
            .map(|(pid, app, user)| {
                let app = app.as_deref().filter(|a| !a.is_empty()).unwrap_or("no application name");
                format!("pid {pid} ({app}, user {})", user.as_deref().unwrap_or("?"))
            })
            .collect()
    }
}

enum CopyError {
    Cancelled,
    Db(sqlx::Error),
    /// Row (counted from 1 in the order read) and column of a value that cannot go in.
    Unfit {
        row: u64,
        column: usize,
        why: copy_text::Unfit,
    },
}

impl From<sqlx::Error> for CopyError {
    fn from(e: sqlx::Error) -> Self {
        CopyError::Db(e)
    }
}

/// A row wider than one send goes out in sends of about [`SEND_BYTES`], cut inside its values
/// where need be (COPY data need not break at rows), so the only whole copy of a huge value is
/// the batch's. Returns the value that cannot go in, as [`copy_text::encode_row`] does.
async fn send_wide_row<'a>(
    copy: &mut sqlx::postgres::PgCopyIn<&mut PgConnection>,
    cells: impl Iterator<Item = Option<&'a [u8]>>,
    buf: &mut Vec<u8>,
) -> Result<Result<(), (usize, copy_text::Unfit)>, sqlx::Error> {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            buf.push(b'\t');
        }
        let Some(value) = cell else {
            buf.extend_from_slice(b"\\N");
            continue;
        };
        if let Err(why) = copy_text::check(value) {
            return Ok(Err((i, why)));
        }
        for piece in value.chunks(SEND_BYTES) {
            if let Err(why) = copy_text::escape_checked(piece, buf) {
                return Ok(Err((i, why)));
            }
            if buf.len() >= SEND_BYTES {
                copy.send(buf.as_slice()).await?;
                buf.clear();
            }
        }
    }
    buf.push(b'\n');
    Ok(Ok(()))
}

async fn copy_in(
    conn: &mut PgConnection,
    destination: &str,
    columns: &str,
    mut input: BatchReceiver,
) -> Result<u64, CopyError> {
    let mut copy = conn.copy_in_raw(&format!("COPY {destination} ({columns}) FROM STDIN")).await?;
    let mut buf = Vec::with_capacity(SEND_BYTES + SEND_BYTES / 2);
    let mut rows = 0u64;
    loop {
        match input.recv().await {
            Ok(Some(batch)) => {
                // Only a batch larger than a send can hold a row that is.
                let may_be_wide = batch.byte_len() > SEND_BYTES;
                for r in 0..batch.rows() {
                    let wide =
                        may_be_wide && batch.row(r).map(|c| c.map_or(0, <[u8]>::len)).sum::<usize>() > SEND_BYTES;
                    let encoded = if wide {
                        send_wide_row(&mut copy, batch.row(r), &mut buf).await?
                    } else {
                        copy_text::encode_row(batch.row(r), &mut buf)
                    };
                    if let Err((column, why)) = encoded {
                        let _ignored_server_reply = copy.abort("dbtwin: a value PostgreSQL cannot hold").await;
                        return Err(CopyError::Unfit { row: rows + r as u64 + 1, column, why });
                    }
                }
                rows += batch.rows() as u64;
                if buf.len() >= SEND_BYTES {
                    copy.send(buf.as_slice()).await?;
                    buf.clear();
                }
            }
            Ok(None) => break,
            Err(_) => {
                // The reader died: discard what was sent; the transaction rolls back.
                let _ignored_server_reply = copy.abort("dbtwin: the source read failed").await;
                return Err(CopyError::Cancelled);
            }
        }
    }
    if !buf.is_empty() {
        copy.send(buf.as_slice()).await?;
    }
    copy.finish().await?;
    Ok(rows)
}

fn upsert_sql(request: &WriteRequest) -> String {
    let table = Q.table(&request.table.name);
    let columns = Q.list(request.column_names());
    let rest: Vec<String> = request.non_key_columns().map(|c| Q.ident(c)).collect();
    let action = if rest.is_empty() {
        "DO NOTHING".to_string()
    } else {
        let set: Vec<String> = rest.iter().map(|q| format!("{q} = EXCLUDED.{q}")).collect();
        // Rows that did not change are not rewritten: a nightly refresh then costs reads, not a
        // new version of every row. Compared as text because some types (json) lack `=`.
        let old: Vec<String> = rest.iter().map(|q| format!("{table}.{q}::text")).collect();
        let new: Vec<String> = rest.iter().map(|q| format!("EXCLUDED.{q}::text")).collect();
        format!(
            "DO UPDATE SET {} WHERE ROW({}) IS DISTINCT FROM ROW({})",
            set.join(", "),
            old.join(", "),
            new.join(", ")
        )
    };
    // OVERRIDING SYSTEM VALUE: copied ids go into GENERATED ALWAYS identity columns as they are.
    format!(
        "INSERT INTO {table} ({columns}) OVERRIDING SYSTEM VALUE SELECT {columns} FROM {STAGE} ON CONFLICT ({}) {action}",
        Q.list(request.key.iter().map(String::as_str))
    )
}

/// A mirror's deletions: the rows whose key is not among those `holding` has (the staged rows,
/// when they are all the source gave; else the source's keys).
fn mirror_delete_sql(request: &WriteRequest, relation: &str, holding: &str) -> String {
    let same: Vec<String> = request.key.iter().map(|k| format!("s.{0} = t.{0}", Q.ident(k))).collect();
    format!("DELETE FROM {relation} AS t WHERE NOT EXISTS (SELECT 1 FROM {holding} AS s WHERE {})", same.join(" AND "))
}

/// The table's state row, in the load's transaction.
async fn write_state(conn: &mut PgConnection, state: &StateWrite) -> Result<(), EngineError> {
    let sql = format!(
        "INSERT INTO {} (table_name, config_hash, watermark_column, watermark, run_started) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (table_name) DO UPDATE SET config_hash = EXCLUDED.config_hash, \
         watermark_column = EXCLUDED.watermark_column, watermark = EXCLUDED.watermark, run_started = EXCLUDED.run_started",
        Q.table(&state.table)
    );
    let row = &state.row;
    sqlx::query(AssertSqlSafe(sql))
        .bind(&row.table)
        .bind(&row.config_hash)
        .bind(&row.column)
        .bind(&row.watermark)
        .bind(&row.run_started)
        .execute(conn)
        .await
        .map(drop)
        .map_err(|e| failed(format!("target: writing the state of {} to {}", row.table, state.table), e))
}

/// Advisory-lock space of the sequences dbtwin moves (`dbtw` in the high half, the OID below).
const SEQUENCE_LOCKS: i64 = 0x6462_7477 << 32;

/// Move each sequence feeding a copied column past the largest copied value, never backwards:
/// the ones it owns (serial, identity) and the ones its default merely names (`nextval('s')` of
/// a sequence another table may share), found by the default's dependencies. `setval` is not
/// transactional, so tables sharing a sequence take turns under a transaction-scoped advisory
/// lock, in OID order: the later one sees the earlier one's value and never moves it back.
async fn continue_sequences(
    conn: &mut PgConnection,
    request: &WriteRequest,
    relation: &str,
) -> Result<(), EngineError> {
    let table = Q.table(&request.table.name);
    let at = |column: &str| format!("target: continuing the sequences of {}.{column}", request.table);
    let mut sequences: Vec<(i64, &String)> = Vec::new();
    for column in &request.auto_increment {
        let found: Vec<(i64,)> = sqlx::query_as(
            "SELECT DISTINCT seq::oid::int8 FROM (
                 SELECT pg_get_serial_sequence($1, $2)::regclass AS seq
                 UNION ALL
                 SELECT dep.refobjid::regclass
                 FROM pg_attrdef ad
                 JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
                 JOIN pg_depend dep ON dep.classid = 'pg_attrdef'::regclass AND dep.objid = ad.oid
                                   AND dep.refclassid = 'pg_class'::regclass
                 JOIN pg_class sc ON sc.oid = dep.refobjid AND sc.relkind = 'S'
                 WHERE ad.adrelid = $1::regclass AND a.attname = $2
             ) found WHERE seq IS NOT NULL",
        )
        .bind(&table)
        .bind(column)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| failed(at(column), e))?;
        sequences.extend(found.into_iter().map(|(oid,)| (oid, column)));
    }
    sequences.sort();
    for (oid, column) in &sequences {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(SEQUENCE_LOCKS | oid)
            .execute(&mut *conn)
            .await
            .map_err(|e| failed(at(column), e))?;
    }
    for (oid, column) in &sequences {
        let sql = format!(
            "SELECT setval($1::oid::regclass, m.top) FROM (SELECT max({col})::int8 AS top FROM {relation}) m
             WHERE m.top IS NOT NULL AND m.top > COALESCE(pg_sequence_last_value($1::oid::regclass), 0)",
            col = Q.ident(column)
        );
        sqlx::query(AssertSqlSafe(sql)).bind(oid).execute(&mut *conn).await.map_err(|e| failed(at(column), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::contract::Relation;
    use crate::schema::{Column, TableName, TypeClass};

    fn columns(names: &[&str]) -> Vec<Column> {
        names.iter().map(|n| Column::new(*n, "text", TypeClass::Text)).collect()
    }

    #[test]
    fn upsert_updates_every_non_key_column() {
        let request = WriteRequest {
            table: Relation { name: TableName::new("public", "Order \"Lines\""), partitioned: false },
            columns: columns(&["id", "line", "note"]),
            mode: Mode::Upsert,
            key: vec!["id".into(), "line".into()],
            referenced: false,
            auto_increment: vec![],
            recompute: Vec::new(),
            state: None,
        };
        assert_eq!(
            upsert_sql(&request),
            "INSERT INTO \"public\".\"Order \"\"Lines\"\"\" (\"id\", \"line\", \"note\") OVERRIDING SYSTEM VALUE \
             SELECT \"id\", \"line\", \"note\" FROM \"dbtwin_stage\" ON CONFLICT (\"id\", \"line\") \
             DO UPDATE SET \"note\" = EXCLUDED.\"note\" \
             WHERE ROW(\"public\".\"Order \"\"Lines\"\"\".\"note\"::text) IS DISTINCT FROM ROW(EXCLUDED.\"note\"::text)"
        );
        let keys_only = WriteRequest { columns: columns(&["id", "line"]), ..request };
        assert!(upsert_sql(&keys_only).ends_with("DO NOTHING"));
    }
}
