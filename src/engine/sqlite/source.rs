//! Reading an SQLite file: one read-only connection holding one read transaction, so every table
//! comes from the same snapshot. Tables are read one after another (SQLite reads a file faster
//! than the writers can load it; parallel readers would each see their own snapshot).

use std::io::Write as _;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::{AssertSqlSafe, Executor, Row, TypeInfo, ValueRef};
use tokio::sync::Mutex;

use super::Q;
use crate::data::batch::Batch;
use crate::data::channel::BatchSender;
use crate::engine::contract::{
    ConnectOptions, EngineError, KeyList, NativeDdl, OwedKind, ReadRequest, Relation, Side, Source, SourceProfile,
};
use crate::engine::driver::{failed, push_rows, stream_rows};
use crate::engine::read::{Batcher, key_tuple, select, select_with};
use crate::engine::url::DbUrl;
use crate::schema::{Schema, Table};

pub struct SqliteSource {
    conn: Mutex<SqliteConnection>,
}

impl SqliteSource {
    pub async fn connect(url: &DbUrl, options: ConnectOptions) -> Result<(Self, SourceProfile), EngineError> {
        let (mut conn, identity) = super::connect(url, Side::Source, options.lock_wait, false).await?;
        // The snapshot starts with the first read inside the transaction: take it now.
        conn.execute("BEGIN; SELECT count(*) FROM sqlite_schema;")
            .await
            .map_err(|e| failed("source: starting the read transaction", e))?;
        Ok((
            SqliteSource { conn: Mutex::new(conn) },
            SourceProfile {
                identity,
                forms: super::forms(),
                snapshot: "source: every table was read in one read transaction".into(),
                session_limit: None,
            },
        ))
    }
}

#[async_trait]
impl Source for SqliteSource {
    async fn introspect(&self, _schemas: &[String]) -> Result<Schema, EngineError> {
        super::introspect::schema(&mut *self.conn.lock().await, Side::Source).await
    }

    /// The statements SQLite kept as they were written: the table's (with its checks, foreign
    /// keys and actions, collations, defaults), and its indexes', added after the load.
    async fn native_ddl(&self, tables: &[Table]) -> Result<Vec<NativeDdl>, EngineError> {
        let mut conn = self.conn.lock().await;
        let mut out = Vec::new();
        for table in tables {
            let fail = |e| failed(format!("source: reading the definition of {}", table.name), e);
            let (create,): (String,) =
                sqlx::query_as("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?")
                    .bind(&table.name.name)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(fail)?;
            let indexes: Vec<(String, String)> = sqlx::query_as(
                "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
            )
            .bind(&table.name.name)
            .fetch_all(&mut *conn)
            .await
            .map_err(fail)?;
            let after = indexes
                .into_iter()
                .map(|(name, sql)| {
                    let unique = sql.trim_start().to_ascii_uppercase().starts_with("CREATE UNIQUE");
                    (if unique { OwedKind::UniqueIndex } else { OwedKind::Index }, name, sql)
                })
                .collect();
            out.push(NativeDdl { prelude: Vec::new(), create: vec![create], after });
        }
        Ok(out)
    }

    fn statement(&self, request: &ReadRequest) -> String {
        select(request, Q, &Q.table(&request.table.name), since(request).as_deref())
    }

    async fn read(&self, request: &ReadRequest, out: BatchSender) -> Result<u64, EngineError> {
        let rows = read_table(&mut *self.conn.lock().await, request, &out).await?;
        out.finish().await?;
        Ok(rows)
    }

    async fn high_water(&self, table: &Relation, column: &str) -> Result<Option<String>, EngineError> {
        let sql = format!("SELECT max({}) FROM {}", Q.ident(column), Q.table(&table.name));
        let fail = |e| failed(format!("source: reading the largest {column} of {table}"), e);
        let row = sqlx::query(AssertSqlSafe(sql)).fetch_one(&mut *self.conn.lock().await).await.map_err(fail)?;
        let mut cell = Batch::new(1, 1, 64);
        push_value(&row, 0, &mut cell).map_err(fail)?;
        Ok(cell.cell(0, 0).map(|v| String::from_utf8_lossy(v).into_owned()))
    }
}

/// The predicate of the request's `since`, on a bound value: the column's affinity turns the
/// text into the column's storage class as it compares.
fn since(request: &ReadRequest) -> Option<String> {
    request.filter.since.as_ref().map(|s| format!("{} >= ?", Q.ident(&s.column)))
}

async fn read_table(conn: &mut SqliteConnection, request: &ReadRequest, out: &BatchSender) -> Result<u64, EngineError> {
    if let Some(keys) = &request.filter.keys {
        return read_listed(conn, request, keys, out).await;
    }
    let sql = select(request, Q, &Q.table(&request.table.name), since(request).as_deref());
    let mut query = sqlx::query(AssertSqlSafe(sql));
    if let Some(since) = &request.filter.since {
        query = query.bind(since.value.as_str());
    }
    stream_rows(query.fetch(&mut *conn), request, out, push_value).await
}

/// The rows of a key list, bound as text: a column's affinity turns each into the column's
/// storage class as it compares (an INTEGER key meets `'7'` as 7).
async fn read_listed(
    conn: &mut SqliteConnection,
    request: &ReadRequest,
    keys: &KeyList,
    out: &BatchSender,
) -> Result<u64, EngineError> {
    let width = keys.columns.len();
    let mut rows = Batcher::new(request, out);
    for chunk in keys.rows.chunks(KeyList::PER_STATEMENT) {
        let marks = vec!["?"; width].join(", ");
        let listed = if width == 1 {
            format!("{} IN ({})", key_tuple(Q, &keys.columns), vec!["?"; chunk.len()].join(", "))
        } else {
            let tuples = vec![format!("({marks})"); chunk.len()].join(", ");
            format!("{} IN (VALUES {tuples})", key_tuple(Q, &keys.columns))
        };
        let columns = Q.list(request.columns.iter().map(String::as_str));
        let sql = select_with(request, Q, &Q.table(&request.table.name), &columns, Some(&listed), None);
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for value in chunk.iter().flatten() {
            query = query.bind(value.as_str());
        }
        push_rows(query.fetch(&mut *conn), request, &mut rows, push_value).await?;
    }
    Ok(rows.finish().await?)
}

/// One value in its text form, whatever its storage class.
fn push_value(row: &SqliteRow, i: usize, batch: &mut Batch) -> Result<(), sqlx::Error> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        batch.push_null();
        return Ok(());
    }
    let storage = raw.type_info();
    match storage.name() {
        "INTEGER" => {
            // Formatted straight into the batch: no String per integer.
            let v = row.try_get_unchecked::<i64, _>(i)?;
            let start = batch.begin_cell();
            write!(batch.buf(), "{v}").expect("writing to a Vec cannot fail");
            batch.end_cell(start);
        }
        "REAL" => batch.push(format_real(row.try_get_unchecked::<f64, _>(i)?).as_bytes()),
        "BLOB" => batch.push(row.try_get_unchecked::<&[u8], _>(i)?),
        // As bytes: SQLite text need not be UTF-8, nor free of NUL; between SQLite files it is
        // copied as it is, and the other targets name what they cannot hold.
        _ => batch.push(row.try_get_unchecked::<&[u8], _>(i)?),
    }
    Ok(())
}

/// The shortest decimal that reads back as the same double, with a `.0` on whole numbers so a
/// REAL stays recognisably real (`3.0`, not `3`).
pub fn format_real(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        // SQLite reads an overflowing literal as infinity; it has no other spelling for it.
        return if v > 0.0 { "9e999".into() } else { "-9e999".into() };
    }
    let s = v.to_string();
    if s.contains(['.', 'e', 'E']) { s } else { format!("{s}.0") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_round_trip() {
        for v in [0.1, 3.0, -2.5e-300, 1e300, f64::MAX, f64::MIN_POSITIVE] {
            assert_eq!(format_real(v).parse::<f64>().unwrap(), v, "{v}");
        }
        assert_eq!(format_real(3.0), "3.0");
    }
}
