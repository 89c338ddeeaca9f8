//! What every reader does with its rows: gather them into batches within the request's limits
//! and send each batch as it fills.

use crate::data::batch::Batch;
use crate::data::channel::{BatchSender, Cancelled};

use super::contract::{BatchLimits, ReadRequest};
use super::sql::Quote;

/// Rows of one read on their way into batches. Push a row's cells into [`Batcher::batch`],
/// then call [`Batcher::end_row`]; [`Batcher::finish`] sends the rest.
pub struct Batcher<'a> {
    out: &'a BatchSender,
    width: usize,
    limits: BatchLimits,
    batch: Batch,
    rows: u64,
}

impl<'a> Batcher<'a> {
    pub fn new(request: &ReadRequest, out: &'a BatchSender) -> Self {
        let (width, limits) = (request.columns.len(), request.limits);
        Batcher { out, width, limits, batch: new_batch(width, limits), rows: 0 }
    }

    pub fn batch(&mut self) -> &mut Batch {
        &mut self.batch
    }

    /// Rows completed so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The row just pushed is complete: send the batch if it is full (waiting while the
    /// channel is).
    pub async fn end_row(&mut self) -> Result<(), Cancelled> {
        self.rows += 1;
        if self.batch.rows() >= self.limits.rows || self.batch.byte_len() >= self.limits.bytes {
            let full = std::mem::replace(&mut self.batch, new_batch(self.width, self.limits));
            self.out.send(full).await?;
        }
        Ok(())
    }

    /// Send what is left; the number of rows read.
    pub async fn finish(self) -> Result<u64, Cancelled> {
        self.out.send(self.batch).await?;
        Ok(self.rows)
    }
}

/// Room for a quarter over the byte limit: the row that crosses it still fits.
fn new_batch(width: usize, limits: BatchLimits) -> Batch {
    Batch::new(width, limits.rows, limits.bytes + limits.bytes / 4)
}

/// `SELECT cols FROM relation [WHERE …] [ORDER BY …] [LIMIT n]` for a request: its filter,
/// and a sample's limit within the filter's. `since` is the engine's predicate for the
/// filter's [`crate::engine::Since`], on the value it bound apart.
pub fn select(request: &ReadRequest, quote: Quote, relation: &str, since: Option<&str>) -> String {
    select_with(request, quote, relation, &quote.list(request.columns.iter().map(String::as_str)), None, since)
}

/// [`select`] with the select list as given (`columns`, in the request's order), and a
/// predicate that picks the rows of a key list (the engine's own, on bound values) in front of
/// the filter's `where`.
pub fn select_with(
    request: &ReadRequest,
    quote: Quote,
    relation: &str,
    columns: &str,
    keys: Option<&str>,
    since: Option<&str>,
) -> String {
    let f = &request.filter;
    let mut sql = format!("SELECT {columns} FROM {relation}");
    let conditions: Vec<String> = keys
        .into_iter()
        .chain(since)
        .map(|k| format!("({k})"))
        .chain(f.condition.iter().map(|c| format!("({c})")))
        .collect();
    if !conditions.is_empty() {
        sql.push_str(&format!(" WHERE {}", conditions.join(" AND ")));
    }
    match (&f.order_by, f.limit) {
        (Some(order), _) => sql.push_str(&format!(" ORDER BY {order}")),
        (None, limit) if (limit.is_some() || f.by_key) && !f.key.is_empty() => {
            sql.push_str(&format!(" ORDER BY {}", quote.list(f.key.iter().map(String::as_str))))
        }
        _ => {}
    }
    // A key list was taken from within the limit's rows already; limiting again would count
    // the listed rows against the rows before them in the order.
    let limit = match (request.sample, f.limit.filter(|_| keys.is_none())) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(n) = limit {
        sql.push_str(&format!(" LIMIT {n}"));
    }
    sql
}

/// `(a, b)` or `a`: a key's columns as the left side of an `IN`.
pub fn key_tuple(quote: Quote, columns: &[String]) -> String {
    let list = quote.list(columns.iter().map(String::as_str));
    if columns.len() == 1 { list } else { format!("({list})") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::contract::{Relation, RowFilter};
    use crate::schema::TableName;

    fn request(filter: RowFilter, sample: Option<u64>) -> ReadRequest {
        ReadRequest {
            table: Relation { name: TableName::new("s", "t"), partitioned: false },
            columns: vec!["id".into(), "v".into()],
            limits: BatchLimits { rows: 10, bytes: 100 },
            sample,
            filter,
        }
    }

    #[test]
    fn filters_give_where_order_and_the_smaller_limit() {
        let q = Quote::Double;
        let key = vec!["id".to_string()];
        let plain = request(RowFilter { key: key.clone(), ..Default::default() }, None);
        assert_eq!(select(&plain, q, "t", None), r#"SELECT "id", "v" FROM t"#);
        assert_eq!(select(&plain, q, "t", Some("\"v\" >= ?")), r#"SELECT "id", "v" FROM t WHERE ("v" >= ?)"#);
        let limited = RowFilter { limit: Some(5), key: key.clone(), ..Default::default() };
        assert_eq!(
            select(&request(limited.clone(), None), q, "t", None),
            r#"SELECT "id", "v" FROM t ORDER BY "id" LIMIT 5"#
        );
        assert_eq!(
            select(&request(limited, Some(0)), q, "t", None),
            r#"SELECT "id", "v" FROM t ORDER BY "id" LIMIT 0"#
        );
        let all = RowFilter {
            condition: Some("v = 'a' OR v = 'b'".into()),
            order_by: Some("v desc".into()),
            limit: Some(3),
            key,
            by_key: false,
            keys: None,
            since: None,
        };
        assert_eq!(
            select(&request(all, Some(10)), q, "t", None),
            r#"SELECT "id", "v" FROM t WHERE (v = 'a' OR v = 'b') ORDER BY v desc LIMIT 3"#
        );
    }

    #[test]
    fn a_key_list_comes_first_and_lifts_the_limit() {
        let q = Quote::Double;
        let filter = RowFilter {
            condition: Some("v > 1".into()),
            limit: Some(3),
            key: vec!["id".into()],
            by_key: true,
            ..Default::default()
        };
        let r = request(filter, None);
        assert_eq!(
            select_with(&r, q, "t", "x", Some("\"id\" IN ($1)"), None),
            r#"SELECT x FROM t WHERE ("id" IN ($1)) AND (v > 1) ORDER BY "id""#
        );
        assert_eq!(key_tuple(q, &["a".into(), "b".into()]), r#"("a", "b")"#);
        assert_eq!(key_tuple(q, &["a".into()]), r#""a""#);
    }
}
