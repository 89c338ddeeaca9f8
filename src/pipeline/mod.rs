//! Runs a plan: per table a reader task, a masking stage and a writer, joined by bounded
//! channels; up to `jobs` tables at once, wave after wave; the first failure stops the run.

pub mod channel;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::batch::Batch;
use crate::config::Mode;
use crate::convert;
use crate::engine::{EngineError, Source, Target};
use crate::mask::Keyring;
use crate::plan::{Plan, TablePlan};
use crate::report::Reporter;
use crate::schema::TableName;
use channel::{BatchReceiver, BatchSender};

#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub jobs: usize,
    /// Batches queued between reader and writer per table, split between the two channels when
    /// a masking stage sits between them: memory per table is about this many batches plus one
    /// per stage.
    pub channel_capacity: usize,
}

/// One table's result, for the summary.
#[derive(Clone, Debug)]
pub struct TableStats {
    pub table: TableName,
    pub mode: Mode,
    pub rows: u64,
    pub masked: Vec<String>,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
#[error("table {table}: {source}")]
pub struct TableError {
    pub table: TableName,
    #[source]
    pub source: EngineError,
}

pub async fn run(
    plan: Plan,
    source: Arc<dyn Source>,
    target: Arc<dyn Target>,
    keys: Arc<Keyring>,
    reporter: Arc<dyn Reporter>,
    settings: Settings,
) -> Result<Vec<TableStats>, TableError> {
    let mut slots: Vec<Option<Arc<TablePlan>>> = plan.tables.into_iter().map(|t| Some(Arc::new(t))).collect();
    let permits = Arc::new(Semaphore::new(settings.jobs.max(1)));
    let mut stats = Vec::new();
    for wave in plan.waves {
        let mut tasks = JoinSet::new();
        for i in wave {
            let table = slots[i].take().expect("each table is in one wave");
            let (source, target, keys, reporter, permits) =
                (source.clone(), target.clone(), keys.clone(), reporter.clone(), permits.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await.expect("the semaphore is never closed");
                copy_table(table, source, target, keys, reporter, settings).await
            });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Ok(s)) => stats.push(s),
                Ok(Err(e)) => {
                    // Dropping the set aborts the other tables; their open transactions roll back.
                    tasks.abort_all();
                    return Err(e);
                }
                Err(join) => std::panic::resume_unwind(join.into_panic()),
            }
        }
    }
    Ok(stats)
}

async fn copy_table(
    plan: Arc<TablePlan>,
    source: Arc<dyn Source>,
    target: Arc<dyn Target>,
    keys: Arc<Keyring>,
    reporter: Arc<dyn Reporter>,
    settings: Settings,
) -> Result<TableStats, TableError> {
    let started = Instant::now();
    let progress = reporter.start_table(plan.name(), plan.row_estimate);
    let staged = !plan.masks.is_empty() || !plan.convert.is_empty();
    let hops = if staged { 2 } else { 1 };
    let depth = (settings.channel_capacity / hops).max(1);
    let (tx, rx) = channel::channel(depth);
    let reader = {
        let plan = plan.clone();
        tokio::spawn(async move { source.read(&plan.read, tx).await })
    };
    let (write_rx, masking) = if staged {
        let (mtx, mrx) = channel::channel(depth);
        let plan = plan.clone();
        (mrx, Some(tokio::spawn(async move { mask_stage(rx, mtx, &plan, &keys).await })))
    } else {
        (rx, None)
    };
    let written = target.write(&plan.write, write_rx, progress.as_ref()).await;
    let read = reader.await.unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()));
    let masked = match masking {
        Some(task) => task.await.unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic())),
        None => Ok(()),
    };
    let rows = match (read, masked, written) {
        (Ok(_), Ok(()), Ok(rows)) => rows,
        (read, masked, written) => {
            // The stage that failed is the cause; the others only saw their channel close.
            let mut errors: Vec<EngineError> =
                [read.err(), masked.err(), written.err()].into_iter().flatten().collect();
            let first_real = errors.iter().position(|e| !e.is_cancelled()).unwrap_or(0);
            return Err(TableError { table: plan.name().clone(), source: errors.swap_remove(first_real) });
        }
    };
    let elapsed = started.elapsed();
    progress.finish(rows);
    Ok(TableStats {
        table: plan.name().clone(),
        mode: plan.write.mode,
        rows,
        masked: plan.masks.columns().iter().map(|m| m.column.clone()).collect(),
        elapsed,
    })
}

/// Rebuild every batch with its masked cells replaced, then converted into the target engine's
/// form. A fresh, right-sized batch rather than patching in place: appended values would double
/// the old buffer's capacity, and memory per batch is what keeps the run's footprint bounded.
/// CPU-bound work between two awaits; a batch is small enough (≤ batch rows) not to starve the
/// runtime.
async fn mask_stage(
    mut input: BatchReceiver,
    output: BatchSender,
    plan: &TablePlan,
    keys: &Keyring,
) -> Result<(), EngineError> {
    let mut rows_done = 0u64;
    let (mut scratch, mut step_scratch) = (Vec::new(), Vec::new());
    while let Some(batch) = input.recv().await? {
        let capacity = batch.byte_len() + batch.byte_len() / 8;
        let batch = if plan.masks.is_empty() {
            batch
        } else {
            let mut masked = Batch::new(batch.width(), batch.rows(), capacity);
            plan.masks.apply(&batch, keys, &mut masked, rows_done).map_err(|e| EngineError::Data(e.to_string()))?;
            masked
        };
        let batch = if plan.convert.is_empty() {
            batch
        } else {
            let mut slot = vec![None; batch.width()];
            for c in &plan.convert {
                slot[c.index] = Some(c);
            }
            let mut converted = Batch::new(batch.width(), batch.rows(), capacity);
            for row in 0..batch.rows() {
                for (col, conversion) in slot.iter().enumerate() {
                    let cell = batch.cell(row, col);
                    match conversion {
                        None => converted.push_cell(cell),
                        Some(c) => {
                            let present =
                                convert::apply(&c.steps, cell, &mut scratch, &mut step_scratch).map_err(|e| {
                                    EngineError::Data(format!(
                                        "column {}, row {} of the read: {e}",
                                        c.column,
                                        rows_done + row as u64 + 1
                                    ))
                                })?;
                            converted.push_cell(present.then_some(scratch.as_slice()));
                        }
                    }
                }
            }
            converted
        };
        rows_done += batch.rows() as u64;
        output.send(batch).await?;
    }
    output.finish().await?;
    Ok(())
}
