//! `verify --sample N`: which rows of a table are compared when not every row is. Each side's
//! keys are read alone, spelled alike (the source's through the copy's conversions) and hashed
//! with the run's key; the N smallest hashes over both sides name the rows. A key that only one
//! side holds is drawn as often as any other, so a missing row and an extra row are as likely to
//! be caught as a differing one, and with a `secret` or `--seed` the same rows are drawn every
//! time. Then each side reads only those rows, by a bound key list.

use std::collections::BinaryHeap;
use std::sync::Arc;

use super::side::{Layout, pack_into};
use crate::data::batch::Batch;
use crate::data::channel::{self, BatchReceiver};
use crate::engine::{EngineError, KeyList, ReadRequest, RowFilter, Source};
use crate::mask::Keyring;
use crate::pipeline::stage::{Convert, Stage, Subset};
use crate::plan::{Keep, TablePlan};

/// What the sample of one table is.
pub enum Choice {
    /// Rows named by key, each in its side's text form.
    Keys { source: KeyList, target: KeyList },
    /// The table is compared whole, for this reason.
    Whole(String),
}

/// Why a table cannot be sampled by key, if it cannot: the rows are matched by what identifies
/// them, and a key that is masked or missing does not name the same row on both sides.
pub fn cannot(found: &ReadRequest, layout: &Layout, key_masked: bool) -> Option<String> {
    if found.filter.key.is_empty() || layout.key.len() != found.filter.key.len() {
        Some("it has no primary key to draw rows by".into())
    } else if key_masked {
        Some("its key is masked, so the target's keys are not the source's".into())
    } else {
        None
    }
}

/// Draw `n` keys of one table from both sides' keys (see the module docs).
pub async fn choose(
    plan: &TablePlan,
    found: &ReadRequest,
    layout: &Layout,
    source: Arc<dyn Source>,
    target: Arc<dyn Source>,
    keys: &Keyring,
    n: usize,
) -> Result<Choice, EngineError> {
    // The key, then whatever else the subset's own key needs, in the read's positions.
    let mut positions = layout.key.clone();
    if let Some(keep) = &plan.keep {
        positions.extend(keep.key.iter().filter(|p| !layout.key.contains(p)));
    }
    let source_read = ReadRequest {
        table: plan.read.table.clone(),
        columns: positions.iter().map(|&p| plan.read.columns[p].clone()).collect(),
        limits: plan.read.limits,
        sample: None,
        filter: RowFilter { by_key: false, keys: None, ..plan.read.filter.clone() },
    };
    let target_read = ReadRequest {
        table: found.table.clone(),
        columns: layout.key.iter().map(|&p| found.columns[p].clone()).collect(),
        limits: found.limits,
        sample: None,
        filter: RowFilter::default(),
    };
    let forms: Vec<_> = layout.key.iter().map(|&p| layout.forms[p]).collect();
    let key_width = layout.key.len();
    // The subset's chosen rows, by its key's place in this read.
    let keep = plan.keep.as_ref().map(|keep| Keep {
        key: keep
            .key
            .iter()
            .map(|p| positions.iter().position(|q| q == p).expect("every subset key column is read"))
            .collect(),
        rows: keep.rows.clone(),
    });
    let mut subset = keep.as_ref().map(|keep| Subset { keep, packed: Vec::new() });
    let mut convert = Convert::picking(&positions, &plan.convert);
    let (tx, mut from_source) = channel::channel(2);
    let (ttx, from_target) = channel::channel(2);
    let reading = {
        let (source, request) = (source.clone(), source_read.clone());
        tokio::spawn(async move { source.read(&request, tx).await })
    };
    let reading_back = {
        let (target, request) = (target.clone(), target_read.clone());
        tokio::spawn(async move { target.read(&request, ttx).await })
    };
    let on_source = async {
        let mut drawn = Smallest::new(n);
        let (mut scratch, mut packed, mut read_rows) = (Vec::new(), Vec::new(), 0u64);
        let all: Vec<usize> = (0..key_width).collect();
        while let Some(mut batch) = from_source.recv().await? {
            if let Some(s) = &mut subset {
                batch = s.apply(batch, read_rows)?;
            }
            let rows = batch.rows() as u64;
            let converted = convert.apply(batch.clone(), read_rows)?;
            read_rows += rows;
            for row in 0..batch.rows() {
                packed.clear();
                pack_into(&converted, row, &all, &forms, &mut scratch, &mut packed);
                drawn.offer(drawn_hash(keys, &packed), || cells(&batch, row, key_width));
            }
        }
        Ok::<_, EngineError>(drawn)
    };
    let on_target = async { draw(from_target, n, key_width, &forms, keys).await };
    let (from_source, from_target) = tokio::join!(on_source, on_target);
    let read = super::joined(reading.await);
    let read_back = super::joined(reading_back.await);
    let (source_keys, target_keys) = match (from_source, from_target, read, read_back) {
        (Ok(s), Ok(t), Ok(_), Ok(_)) => (s, t),
        (s, t, read, read_back) => return Err(crate::pipeline::cause([s.err(), t.err(), read.err(), read_back.err()])),
    };
    let (Some(source_rows), Some(target_rows)) = (source_keys.keys(), target_keys.keys()) else {
        return Ok(Choice::Whole("a key value is not text that can be bound".into()));
    };
    let mut hashes: Vec<u64> = source_rows.iter().chain(&target_rows).map(|(h, _)| *h).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let cut = hashes.get(n.saturating_sub(1)).copied().unwrap_or(u64::MAX);
    let listed = |rows: Vec<(u64, Vec<String>)>, columns: Vec<String>| KeyList {
        columns,
        rows: rows.into_iter().filter(|(h, _)| *h <= cut).map(|(_, k)| k).collect(),
    };
    Ok(Choice::Keys {
        source: listed(source_rows, source_read.columns[..key_width].to_vec()),
        target: listed(target_rows, target_read.columns),
    })
}

/// The target's side of the draw: its key columns only.
async fn draw(
    mut from_target: BatchReceiver,
    n: usize,
    key_width: usize,
    forms: &[super::spelling::Spelling],
    keys: &Keyring,
) -> Result<Smallest, EngineError> {
    let mut drawn = Smallest::new(n);
    let (mut scratch, mut packed) = (Vec::new(), Vec::new());
    let all: Vec<usize> = (0..key_width).collect();
    while let Some(batch) = from_target.recv().await? {
        for row in 0..batch.rows() {
            packed.clear();
            pack_into(&batch, row, &all, forms, &mut scratch, &mut packed);
            drawn.offer(drawn_hash(keys, &packed), || cells(&batch, row, key_width));
        }
    }
    Ok(drawn)
}

/// A key's place in the draw: the run's keyed hash of its cells spelled alike.
fn drawn_hash(keys: &Keyring, packed: &[u8]) -> u64 {
    let digest = keys.digest("verify sample", packed);
    u64::from_le_bytes(digest[..8].try_into().expect("eight bytes"))
}

/// A row's key cells as text (`None` for a cell that is NULL or not UTF-8: it cannot be bound
/// as the key's text).
fn cells(batch: &Batch, row: usize, width: usize) -> Option<Vec<String>> {
    (0..width).map(|c| batch.cell(row, c).and_then(|v| std::str::from_utf8(v).ok()).map(String::from)).collect()
}

/// The `n` smallest hashes offered, with their keys: a max-heap, so memory is `n` keys.
struct Smallest {
    n: usize,
    heap: BinaryHeap<(u64, Option<Vec<String>>)>,
}

impl Smallest {
    fn new(n: usize) -> Self {
        Smallest { n, heap: BinaryHeap::with_capacity(n.min(1 << 16) + 1) }
    }

    fn offer(&mut self, hash: u64, key: impl FnOnce() -> Option<Vec<String>>) {
        if self.heap.len() < self.n {
            self.heap.push((hash, key()));
        } else if self.heap.peek().is_some_and(|(top, _)| hash < *top) {
            self.heap.pop();
            self.heap.push((hash, key()));
        }
    }

    /// The drawn keys, or `None` if one of them cannot be bound.
    fn keys(self) -> Option<Vec<(u64, Vec<String>)>> {
        self.heap.into_iter().map(|(h, k)| k.map(|k| (h, k))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_hashes_stay() {
        let mut s = Smallest::new(3);
        for h in [9u64, 4, 7, 1, 8, 2] {
            s.offer(h, || Some(vec![h.to_string()]));
        }
        let mut kept: Vec<u64> = s.keys().unwrap().into_iter().map(|(h, _)| h).collect();
        kept.sort();
        assert_eq!(kept, vec![1, 2, 4]);
    }

    #[test]
    fn an_unbindable_key_among_the_drawn_is_told() {
        let mut s = Smallest::new(2);
        s.offer(1, || None);
        s.offer(2, || Some(vec!["a".into()]));
        assert!(s.keys().is_none());
    }
}
