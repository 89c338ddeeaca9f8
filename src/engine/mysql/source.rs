//! Reading a MySQL/MariaDB source. `--jobs` reader sessions each open a
//! `WITH CONSISTENT SNAPSHOT, READ ONLY` transaction together at connect time and keep it for the
//! whole run, so every table a session reads comes from its one snapshot; [`super::snapshot`]
//! makes the sessions' snapshots one (with `--jobs 1`, one session, as
//! `mysqldump --single-transaction` reads).

use async_trait::async_trait;
use sqlx::mysql::MySqlConnection;
use sqlx::{AssertSqlSafe, Connection, Executor, Row};
use tokio::sync::{Mutex, Semaphore};

use super::{Q, connect, connect_options, identity, prepare_session, snapshot};
use crate::data::channel::BatchSender;
use crate::engine::contract::{
    ConnectOptions, EngineError, KeyList, NativeDdl, OwedKind, ReadRequest, Relation, Side, Source, SourceProfile,
};
use crate::engine::driver::{failed, probe_sessions, push_rows, stream_rows};
use crate::engine::read::{Batcher, key_tuple, select, select_with};
use crate::engine::url::DbUrl;
use crate::schema::{Schema, Table};

pub struct MySqlSource {
    idle: Mutex<Vec<MySqlConnection>>,
    available: Semaphore,
}

impl MySqlSource {
    pub async fn connect(url: &DbUrl, options: ConnectOptions) -> Result<(Self, SourceProfile), EngineError> {
        let opts = connect_options(url, Side::Source)?;
        let (mut sessions, mut session_limit) =
            probe_sessions(Side::Source, url, options.jobs.max(1), || MySqlConnection::connect_with(&opts)).await?;
        // At the server's limit, the snapshot's coordinator is one of the sessions.
        let mut spare = None;
        if let Some(limit) = session_limit.as_mut()
            && sessions.len() > 1
        {
            spare = sessions.pop();
            limit.sessions = sessions.len();
        }
        for conn in &mut sessions {
            // max_execution_time exists on MySQL only, max_statement_time on MariaDB only: a
            // long read must not be cut by either, so each is set where it exists.
            prepare_session(conn, Side::Source, "").await?;
            for limit in ["SET SESSION max_execution_time = 0", "SET SESSION max_statement_time = 0"] {
                let _absent_on_the_other_server = conn.execute(limit).await;
            }
        }
        let snapshot = if sessions.len() == 1 {
            snapshot::start(&mut sessions[0]).await?;
            "source: every table was read from one snapshot (one session)".to_string()
        } else {
            let coordinator = match spare {
                Some(conn) => conn,
                None => connect(url, Side::Source, &opts).await?,
            };
            snapshot::start_together(&mut sessions, coordinator).await?
        };
        let (identity, _version) = identity(&mut sessions[0], Side::Source).await?;
        let profile = SourceProfile { identity, forms: super::forms(), snapshot, session_limit };
        Ok((MySqlSource { available: Semaphore::new(sessions.len()), idle: Mutex::new(sessions) }, profile))
    }

    async fn take(&self) -> Result<(tokio::sync::SemaphorePermit<'_>, MySqlConnection), EngineError> {
        let permit = self.available.acquire().await.expect("the semaphore is never closed");
        let conn = self.idle.lock().await.pop();
        // A session is only lost after a failed read, which has already stopped the run.
        let conn = conn.ok_or_else(|| EngineError::Data("source: a reader session was lost".into()))?;
        Ok((permit, conn))
    }
}

#[async_trait]
impl Source for MySqlSource {
    async fn introspect(&self, schemas: &[String]) -> Result<Schema, EngineError> {
        let (_permit, mut conn) = self.take().await?;
        let schema = super::introspect::schema(&mut conn, Side::Source, schemas).await;
        self.idle.lock().await.push(conn);
        schema
    }

    /// `SHOW CREATE TABLE`: the table with every key, index (FULLTEXT and SPATIAL too), check,
    /// column option (`ON UPDATE CURRENT_TIMESTAMP`), character set and partitioning, all
    /// created with it, but for its foreign keys: those are added after the load, when the
    /// target checks them against the rows.
    async fn native_ddl(&self, tables: &[Table]) -> Result<Vec<NativeDdl>, EngineError> {
        let (_permit, mut conn) = self.take().await?;
        let mut out = Vec::new();
        for table in tables {
            let show = format!("SHOW CREATE TABLE {}", Q.table(&table.name));
            let row = conn
                .fetch_one(AssertSqlSafe(show))
                .await
                .map_err(|e| failed(format!("source: reading the definition of {}", table.name), e))?;
            let create: String = row
                .try_get_unchecked(1)
                .map_err(|e| failed(format!("source: reading the definition of {}", table.name), e))?;
            out.push(split_foreign_keys(&table.name.name, &create));
        }
        self.idle.lock().await.push(conn);
        Ok(out)
    }

    fn statement(&self, request: &ReadRequest) -> String {
        select(request, Q, &Q.table(&request.table.name), since(request).as_deref())
    }

    async fn high_water(&self, table: &Relation, column: &str) -> Result<Option<String>, EngineError> {
        let (_permit, mut conn) = self.take().await?;
        // Text protocol, so the value comes in the server's text form, as a read gives it.
        let sql = format!("SELECT MAX({}) FROM {}", Q.ident(column), Q.table(&table.name));
        let found = conn.fetch_one(sqlx::raw_sql(AssertSqlSafe(sql))).await.and_then(|row| {
            row.try_get_unchecked::<Option<&[u8]>, _>(0).map(|v| v.map(|v| String::from_utf8_lossy(v).into_owned()))
        });
        self.idle.lock().await.push(conn);
        found.map_err(|e| failed(format!("source: reading the largest {column} of {table}"), e))
    }

    async fn read(&self, request: &ReadRequest, out: BatchSender) -> Result<u64, EngineError> {
        let (_permit, mut conn) = self.take().await?;
        let rows = read_table(&mut conn, request, &out).await?;
        // Only a session that finished its result set is clean enough to read the next table.
        self.idle.lock().await.push(conn);
        out.finish().await?;
        Ok(rows)
    }
}

/// The predicate of the request's `since`, on the session variable its value is bound into.
fn since(request: &ReadRequest) -> Option<String> {
    request.filter.since.as_ref().map(|s| format!("{} >= @dbtwin_since", Q.ident(&s.column)))
}

/// `SHOW CREATE TABLE` text without its foreign keys, and those as statements for after the
/// load. The server writes each constraint on a line of its own: `  CONSTRAINT `n` FOREIGN KEY …`.
fn split_foreign_keys(table: &str, create: &str) -> NativeDdl {
    let mut lines: Vec<&str> = Vec::new();
    let mut after = Vec::new();
    for line in create.lines() {
        let trimmed = line.trim().trim_end_matches(',');
        let name = trimmed.strip_prefix("CONSTRAINT `").and_then(|rest| {
            let (name, tail) = rest.split_once("` FOREIGN KEY ")?;
            Some((name.replace("``", "`"), tail))
        });
        match name {
            Some((name, _)) => {
                after.push((OwedKind::ForeignKey, name, format!("ALTER TABLE {} ADD {trimmed}", Q.ident(table))))
            }
            None => lines.push(line),
        }
    }
    // The line before the closing parenthesis must not end in a comma.
    if let Some(i) = lines.iter().rposition(|l| l.starts_with(')'))
        && i > 0
    {
        lines[i - 1] = lines[i - 1].trim_end_matches(',');
    }
    NativeDdl { prelude: Vec::new(), create: vec![lines.join("\n")], after }
}

async fn read_table(conn: &mut MySqlConnection, request: &ReadRequest, out: &BatchSender) -> Result<u64, EngineError> {
    if let Some(keys) = &request.filter.keys {
        return read_listed(conn, request, keys, out).await;
    }
    if let Some(since) = &request.filter.since {
        // Bound into a session variable by a prepared SET (the text-protocol read binds
        // nothing); the variable compares in the column's type.
        sqlx::query("SET @dbtwin_since = ?")
            .bind(since.value.as_str())
            .execute(&mut *conn)
            .await
            .map_err(|e| failed(format!("source: reading {}", request.table), e))?;
    }
    // Text protocol: raw_sql is not prepared, so values come in the server's text form.
    let sql = select(request, Q, &Q.table(&request.table.name), since(request).as_deref());
    let stream = sqlx::raw_sql(AssertSqlSafe(sql)).fetch(&mut *conn);
    stream_rows(stream, request, out, |row, i, batch| {
        batch.push_cell(row.try_get_unchecked::<Option<&[u8]>, _>(i)?);
        Ok(())
    })
    .await
}

/// The rows of a key list. The reads must stay in the text protocol (values in the server's
/// text form), which binds nothing, and the snapshot's READ ONLY transaction refuses even a
/// temporary table: so each chunk of keys is bound into session variables by a prepared `SET`,
/// and the text-protocol SELECT names the variables. A variable compares with a column in the
/// column's type and collation, and the key's index is used.
async fn read_listed(
    conn: &mut MySqlConnection,
    request: &ReadRequest,
    keys: &KeyList,
    out: &BatchSender,
) -> Result<u64, EngineError> {
    let width = keys.columns.len();
    let mut rows = Batcher::new(request, out);
    for chunk in keys.rows.chunks(KeyList::PER_STATEMENT) {
        let var = |row: usize, column: usize| format!("@dbtwin_key_{}", row * width + column);
        let sets: Vec<String> = (0..chunk.len())
            .flat_map(|r| (0..width).map(move |c| (r, c)))
            .map(|(r, c)| format!("{} = ?", var(r, c)))
            .collect();
        let mut set = sqlx::query(AssertSqlSafe(format!("SET {}", sets.join(", "))));
        for value in chunk.iter().flatten() {
            set = set.bind(value.as_str());
        }
        set.execute(&mut *conn).await.map_err(|e| failed(format!("source: reading {}", request.table), e))?;
        let tuples: Vec<String> = (0..chunk.len())
            .map(|r| {
                let vars: Vec<String> = (0..width).map(|c| var(r, c)).collect();
                if width == 1 { vars.join("") } else { format!("({})", vars.join(", ")) }
            })
            .collect();
        let listed = format!("{} IN ({})", key_tuple(Q, &keys.columns), tuples.join(", "));
        let columns = Q.list(request.columns.iter().map(String::as_str));
        let sql = select_with(request, Q, &Q.table(&request.table.name), &columns, Some(&listed), None);
        let stream = sqlx::raw_sql(AssertSqlSafe(sql)).fetch(&mut *conn);
        push_rows(stream, request, &mut rows, |row: &sqlx::mysql::MySqlRow, i, batch| {
            batch.push_cell(row.try_get_unchecked::<Option<&[u8]>, _>(i)?);
            Ok(())
        })
        .await?;
    }
    Ok(rows.finish().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_keys_move_after_the_load() {
        let create = "CREATE TABLE `child` (\n  `id` int(11) NOT NULL,\n  `p` int(11) DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  KEY `child_p` (`p`),\n  CONSTRAINT `child_p` FOREIGN KEY (`p`) REFERENCES `parent` (`id`) ON DELETE CASCADE\n) ENGINE=InnoDB";
        let ddl = split_foreign_keys("child", create);
        assert_eq!(
            ddl.create,
            vec![
                "CREATE TABLE `child` (\n  `id` int(11) NOT NULL,\n  `p` int(11) DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  KEY `child_p` (`p`)\n) ENGINE=InnoDB"
            ]
        );
        assert_eq!(
            ddl.after,
            vec![(
                OwedKind::ForeignKey,
                "child_p".to_string(),
                "ALTER TABLE `child` ADD CONSTRAINT `child_p` FOREIGN KEY (`p`) REFERENCES `parent` (`id`) ON DELETE CASCADE"
                    .to_string()
            )]
        );
    }
}
