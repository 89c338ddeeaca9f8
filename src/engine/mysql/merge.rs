//! A mirror's deletions by merging, where the keys are integers in order (see
//! [`crate::engine::Present::ordered`]): the source's keys as they stream in, against the
//! target's read page by page in key order in the load's transaction; the keys only the target
//! has are deleted by value. Memory stays at a page, and the server does no anti-join over the
//! whole table (on MariaDB, noting 2M keys in a temporary table and deleting by `NOT EXISTS`
//! took most of an incremental refresh).

use std::cmp::Ordering;

use sqlx::mysql::MySqlArguments;
use sqlx::{Arguments, AssertSqlSafe, Executor, Row};

use super::Q;
use crate::data::batch::Batch;
use crate::data::channel::{BatchReceiver, Cancelled};
use crate::engine::contract::{EngineError, WriteRequest};
use crate::engine::driver::failed;
use crate::engine::read::key_tuple;

/// Target keys read per page: few round trips, and at most this many keys to delete held.
const PAGE: usize = 50_000;
/// Keys named per DELETE.
const PER_DELETE: usize = 1_000;

type Key = Vec<i128>;

/// The source's keys, one at a time, checked to ascend.
struct Incoming {
    rx: BatchReceiver,
    batch: Option<Batch>,
    row: usize,
    head: Option<Key>,
    table: String,
}

impl Incoming {
    /// The keys of `page` (ascending) that the source lacks, consuming the source's keys up to
    /// the page's last.
    async fn missing(&mut self, page: &[Key]) -> Result<Vec<Key>, EngineError> {
        let mut gone = Vec::new();
        for key in page {
            loop {
                match self.head.as_ref().map(|h| h.cmp(key)) {
                    // A source key the target lacks: one of the rows just written.
                    Some(Ordering::Less) => self.advance().await?,
                    Some(Ordering::Equal) => {
                        self.advance().await?;
                        break;
                    }
                    Some(Ordering::Greater) | None => {
                        gone.push(key.clone());
                        break;
                    }
                }
            }
        }
        Ok(gone)
    }

    /// Move to the next key; `None` once the source finished (an unfinished one is an error).
    async fn advance(&mut self) -> Result<(), EngineError> {
        loop {
            if let Some(batch) = &self.batch
                && self.row < batch.rows()
            {
                let key = parse(batch.row(self.row)).ok_or_else(|| {
                    EngineError::Data(format!("target: table {}: a source key is not an integer", self.table))
                })?;
                self.row += 1;
                if self.head.as_ref().is_some_and(|h| h >= &key) {
                    return Err(EngineError::Data(format!(
                        "target: table {}: the source's keys did not come in key order, so deleted rows cannot be \
                         found by merging",
                        self.table
                    )));
                }
                self.head = Some(key);
                return Ok(());
            }
            match self.rx.recv().await {
                Ok(Some(batch)) => (self.batch, self.row) = (Some(batch), 0),
                Ok(None) => {
                    (self.batch, self.head) = (None, None);
                    return Ok(());
                }
                Err(Cancelled) => return Err(EngineError::Cancelled(Cancelled)),
            }
        }
    }
}

fn parse<'a>(cells: impl Iterator<Item = Option<&'a [u8]>>) -> Option<Key> {
    cells.map(|c| std::str::from_utf8(c?).ok()?.trim().parse::<i128>().ok()).collect()
}

fn bind(args: &mut MySqlArguments, value: i128) -> Result<(), String> {
    let added = match (i64::try_from(value), u64::try_from(value)) {
        (Ok(v), _) => args.add(v),
        (_, Ok(v)) => args.add(v),
        _ => return Err(format!("key value {value} is out of range")),
    };
    added.map_err(|e| e.to_string())
}

/// A page of the target's keys in key order, after `after` if given (bound into the session
/// variables `vars` by a prepared SET: the page itself is read over the text protocol, which
/// binds nothing, and sends integers as text).
async fn fetch_page(
    tx: &mut sqlx::Transaction<'_, sqlx::MySql>,
    sql: &str,
    after: Option<&Key>,
    vars: &[String],
) -> Result<Vec<Key>, EngineError> {
    let fail = |e| failed("target: reading the keys it holds", e);
    if let Some(last) = after {
        let mut args = MySqlArguments::default();
        for &v in last {
            bind(&mut args, v).map_err(EngineError::Data)?;
        }
        let sets: Vec<String> = vars.iter().map(|v| format!("{v} = ?")).collect();
        let set = format!("SET {}", sets.join(", "));
        sqlx::query_with(AssertSqlSafe(set), args).execute(&mut **tx).await.map_err(fail)?;
    }
    let rows = (&mut **tx).fetch_all(sqlx::raw_sql(AssertSqlSafe(sql.to_string()))).await.map_err(fail)?;
    let mut page = Vec::with_capacity(rows.len());
    for row in &rows {
        let cells: Vec<Option<&[u8]>> =
            (0..vars.len()).map(|i| row.try_get_unchecked(i)).collect::<Result<_, _>>().map_err(fail)?;
        page.push(parse(cells.into_iter()).ok_or_else(|| EngineError::Data("a key is not an integer".into()))?);
    }
    Ok(page)
}

/// Delete the target rows whose key `present` lacks; the number deleted.
pub(super) async fn delete_missing(
    tx: &mut sqlx::Transaction<'_, sqlx::MySql>,
    request: &WriteRequest,
    present: BatchReceiver,
) -> Result<u64, EngineError> {
    let name = request.table.to_string();
    let fail = |e| failed(format!("target: deleting rows the source no longer has from {name}"), e);
    let bad = |why: String| EngineError::Data(format!("target: table {name}: {why}"));
    let table = Q.table(&request.table.name);
    let width = request.key.len();
    let order = Q.list(request.key.iter().map(String::as_str));
    let tuple = key_tuple(Q, &request.key);
    let marks = if width == 1 { "?".to_string() } else { format!("({})", vec!["?"; width].join(", ")) };
    let after_vars: Vec<String> = (0..width).map(|i| format!("@dbtwin_after_{i}")).collect();
    let after_tuple = if width == 1 { after_vars.join("") } else { format!("({})", after_vars.join(", ")) };
    let mut source = Incoming { rx: present, batch: None, row: 0, head: None, table: name.clone() };
    source.advance().await?;
    let page_sql = |from: &str| format!("SELECT {order} FROM {table}{from} ORDER BY {order} LIMIT {PAGE}");
    let first = page_sql("");
    let next = page_sql(&format!(" WHERE {tuple} > {after_tuple}"));
    let mut page = fetch_page(tx, &first, None, &after_vars).await.map_err(|e| e.context(&name))?;
    let mut deleted = 0u64;
    loop {
        // The next page is read while this one is merged with the source's keys.
        let (gone, following) = match page.last().filter(|_| page.len() == PAGE) {
            Some(last) => {
                let (gone, following) =
                    tokio::join!(source.missing(&page), fetch_page(tx, &next, Some(last), &after_vars));
                (gone?, Some(following.map_err(|e| e.context(&name))?))
            }
            None => (source.missing(&page).await?, None),
        };
        for chunk in gone.chunks(PER_DELETE) {
            let mut args = MySqlArguments::default();
            for key in chunk {
                for &v in key {
                    bind(&mut args, v).map_err(bad)?;
                }
            }
            let sql =
                format!("DELETE FROM {table} WHERE {tuple} IN ({})", vec![marks.as_str(); chunk.len()].join(", "));
            deleted +=
                sqlx::query_with(AssertSqlSafe(sql), args).execute(&mut **tx).await.map_err(fail)?.rows_affected();
        }
        match following {
            Some(p) => page = p,
            None => break,
        }
    }
    // The rest of the source's keys are rows just written; the stream must still end cleanly.
    while source.head.is_some() {
        source.advance().await?;
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_as_integers_or_not_at_all() {
        let cells = [Some(&b"42"[..]), Some(&b"-7"[..])];
        assert_eq!(parse(cells.into_iter()), Some(vec![42, -7]));
        assert_eq!(parse([Some(&b"4.5"[..])].into_iter()), None);
        assert_eq!(parse([None].into_iter()), None);
        assert_eq!(parse([Some(&b"18446744073709551615"[..])].into_iter()), Some(vec![u64::MAX as i128]));
    }
}
