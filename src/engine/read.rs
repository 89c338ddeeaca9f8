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

/// `SELECT cols FROM relation [LIMIT n]` for a request.
pub fn select(request: &ReadRequest, quote: Quote, relation: &str) -> String {
    let limit = request.sample.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
    format!("SELECT {} FROM {relation}{limit}", quote.list(request.columns.iter().map(String::as_str)))
}
