//! The keys a mirror keeps when it read only the changed rows (an incremental table): every key
//! the source's selection holds, read without the other columns where the masks allow, through
//! the copy's own stages (subset, masks, conversions), so they arrive as the target holds them.

use std::sync::Arc;

use super::stage::{Convert, Mask, Stage, Subset};
use crate::data::batch::Batch;
use crate::data::channel::{self, BatchSender};
use crate::engine::{EngineError, ReadRequest, Source};
use crate::mask::Keyring;
use crate::mask::row::Action;
use crate::plan::TablePlan;
use crate::schema::TypeClass;

/// What the key read reads, and where its cells sit in the table's full read.
#[derive(Debug)]
pub(super) struct KeyRead {
    pub read: ReadRequest,
    /// Position in the full read of each column read, in order.
    at: Vec<usize>,
    /// Positions in the full read of the target's key columns, in the key's order.
    key: Vec<usize>,
    /// The keys are integers the masks leave alone, read in key order (see
    /// [`crate::engine::Present::ordered`]).
    pub ordered: bool,
}

impl KeyRead {
    /// The key columns, and every column their masks or the subset look at.
    pub fn of(plan: &TablePlan) -> Self {
        let names: Vec<&str> = plan.write.column_names().collect();
        let key: Vec<usize> = plan
            .write
            .key
            .iter()
            .map(|k| names.iter().position(|c| c == k).expect("a mirror's key is written"))
            .collect();
        let mut needed = vec![false; plan.read.columns.len()];
        for &k in key.iter().chain(plan.keep.iter().flat_map(|k| k.key.iter())) {
            needed[k] = true;
        }
        // Until nothing more is needed: a template may read a column whose rule has a condition.
        loop {
            let mut more = false;
            for rules in plan.masks.columns() {
                if !needed[rules.index] {
                    continue;
                }
                for rule in &rules.rules {
                    let mut seen: Vec<usize> = rule.when.iter().flat_map(|w| w.columns()).copied().collect();
                    if let Action::Template { template, .. } = &rule.action {
                        seen.extend(template.fields().map(|(c, _)| *c));
                    }
                    for c in seen {
                        more |= !std::mem::replace(&mut needed[c], true);
                    }
                }
            }
            if !more {
                break;
            }
        }
        let at: Vec<usize> = (0..needed.len()).filter(|&i| needed[i]).collect();
        let mut read = plan.read.clone();
        read.columns = at.iter().map(|&i| plan.read.columns[i].clone()).collect();
        read.filter.since = None;
        read.sample = None;
        // Integers keep their order through a conversion; a mask need not.
        let integers = key.iter().all(|&k| matches!(plan.write.columns[k].class, TypeClass::Int { .. }));
        let unmasked = plan.masks.columns().iter().all(|m| !key.contains(&m.index));
        let same_key = read.filter.key == plan.write.key;
        let ordered = integers && unmasked && same_key && read.filter.order_by.is_none();
        read.filter.by_key |= ordered;
        KeyRead { read, at, key, ordered }
    }

    /// Read the keys into `out`, each batch through the table's stages.
    pub async fn send(
        &self,
        plan: &TablePlan,
        source: Arc<dyn Source>,
        keys: &Keyring,
        out: BatchSender,
    ) -> Result<u64, EngineError> {
        let (tx, mut rx) = channel::channel(2);
        let read = self.read.clone();
        let reader = tokio::spawn(async move { source.read(&read, tx).await });
        let width = plan.read.columns.len();
        let mut stages: Vec<Box<dyn Stage + '_>> = Vec::new();
        if let Some(keep) = &plan.keep {
            stages.push(Box::new(Subset { keep, packed: Vec::new() }));
        }
        if !plan.masks.is_empty() {
            stages.push(Box::new(Mask { rules: &plan.masks, keys }));
        }
        if !plan.convert.is_empty() {
            stages.push(Box::new(Convert::new(width, &plan.convert)));
        }
        let staged = async {
            let mut done = 0u64;
            while let Some(batch) = rx.recv().await? {
                let rows = batch.rows() as u64;
                let mut wide = self.widen(&batch, width);
                for stage in &mut stages {
                    wide = stage.apply(wide, done)?;
                }
                done += rows;
                out.send(pick(&wide, &self.key)).await?;
            }
            out.finish().await?;
            Ok::<_, EngineError>(())
        };
        let staged = staged.await;
        let read = reader.await.unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()));
        match (read, staged) {
            (Ok(rows), Ok(())) => Ok(rows),
            (read, staged) => Err(super::cause([read.err(), staged.err()])),
        }
    }

    /// The batch as the full read would hold it: the columns not read are NULL.
    fn widen(&self, batch: &Batch, width: usize) -> Batch {
        let mut wide = Batch::new(width, batch.rows(), batch.byte_len());
        for row in 0..batch.rows() {
            let mut next = 0;
            for col in 0..width {
                if self.at.get(next) == Some(&col) {
                    wide.push_cell(batch.cell(row, next));
                    next += 1;
                } else {
                    wide.push_cell(None);
                }
            }
        }
        wide
    }
}

/// Only the cells at `positions`, in that order.
fn pick(batch: &Batch, positions: &[usize]) -> Batch {
    let mut out = Batch::new(positions.len(), batch.rows(), batch.byte_len());
    for row in 0..batch.rows() {
        for &p in positions {
            out.push_cell(batch.cell(row, p));
        }
    }
    out
}
