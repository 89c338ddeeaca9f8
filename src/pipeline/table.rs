//! One table's copy: a reader task, a stage task when the table is masked or converted, and
//! the writer, joined by bounded channels.

use std::sync::Arc;
use std::time::Instant;

use super::present::KeyRead;
use super::stage::{Convert, Mask, Nulls, Stage, Subset};
use super::{Pass, Run, TableError};
use crate::data::channel::{self, BatchReceiver, BatchSender};
use crate::data::mode::Mode;
use crate::engine::{EngineError, Present, WriteRequest};
use crate::plan::TablePlan;
use crate::report::TableStats;

pub(super) async fn copy(plan: Arc<TablePlan>, run: Run, pass: Pass) -> Result<TableStats, TableError> {
    let started = Instant::now();
    let progress = run.reporter.start_table(plan.name(), plan.row_estimate);
    let nulls = pass == Pass::Load && !plan.deferred.is_empty();
    let staged = plan.keep.is_some() || !plan.masks.is_empty() || !plan.convert.is_empty() || nulls;
    let hops = if staged { 2 } else { 1 };
    let depth = (run.settings.channel_capacity / hops).max(1);
    let (tx, rx) = channel::channel(depth);
    let reader = {
        let (plan, source) = (plan.clone(), run.source.clone());
        tokio::spawn(async move { source.read(&plan.read, tx).await })
    };
    let (write_rx, staging) = if staged {
        let (stx, srx) = channel::channel(depth);
        let (plan, keys) = (plan.clone(), run.keys.clone());
        (srx, Some(tokio::spawn(async move { stages(rx, stx, &plan, &keys, nulls).await })))
    } else {
        (rx, None)
    };
    // The second pass writes every column again over the rows the first left with NULLs; the
    // state row goes with the pass that completes the rows.
    let request = match pass {
        Pass::Fill => Some(WriteRequest { mode: Mode::Upsert, ..plan.write.clone() }),
        Pass::Load if !plan.deferred.is_empty() => Some(WriteRequest { state: None, ..plan.write.clone() }),
        Pass::Load => None,
    };
    let request = request.as_ref().unwrap_or(&plan.write);
    // A mirror that reads only the changed rows deletes by every key the source holds.
    let (present, present_rx) = if request.mode == Mode::Mirror && plan.read.filter.since.is_some() {
        let (ktx, krx) = channel::channel(depth);
        let scan = KeyRead::of(&plan);
        let ordered = scan.ordered;
        let (plan, source, keys) = (plan.clone(), run.source.clone(), run.keys.clone());
        let task = tokio::spawn(async move { scan.send(&plan, source, &keys, ktx).await });
        (Some(task), Some(Present { keys: krx, ordered }))
    } else {
        (None, None)
    };
    let written = run.target.write(request, write_rx.counted(progress.clone()), present_rx).await;
    let present = match present {
        Some(task) => match task.await.unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic())) {
            // A writer that needed none of them (the target table was empty) stopped reading.
            Err(e) if e.is_cancelled() && written.is_ok() => Ok(()),
            other => other.map(drop),
        },
        None => Ok(()),
    };
    let read = reader.await.unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()));
    let staged = match staging {
        Some(task) => task.await.unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic())),
        None => Ok(()),
    };
    let (read, written) = match (read, staged, present, written) {
        (Ok(read), Ok(()), Ok(()), Ok(written)) => (read, written),
        (read, staged, present, written) => {
            // The task that failed is the cause; the others only saw their channel close.
            let error = super::cause([read.err(), staged.err(), present.err(), written.err()]);
            let error = match pass {
                Pass::Load => error,
                Pass::Fill => error.context("filling in the foreign keys it was loaded without"),
            };
            return Err(TableError { table: plan.name().clone(), error });
        }
    };
    let elapsed = started.elapsed();
    progress.finish(written.rows);
    Ok(TableStats {
        table: plan.write.table.name.clone(),
        mode: plan.write.mode,
        rows: written.rows,
        read,
        deleted: written.deleted,
        masked: plan.masks.columns().iter().map(|m| m.column.clone()).collect(),
        elapsed,
    })
}

/// Keep a subset's rows, mask, then convert into the target engine's form, batch by batch. CPU-bound work between
/// two awaits; a batch is small enough (at most the batch rows) not to starve the runtime.
async fn stages(
    mut input: BatchReceiver,
    output: BatchSender,
    plan: &TablePlan,
    keys: &crate::mask::Keyring,
    nulls: bool,
) -> Result<(), EngineError> {
    let mut stages: Vec<Box<dyn Stage + '_>> = Vec::new();
    if let Some(keep) = &plan.keep {
        stages.push(Box::new(Subset { keep, packed: Vec::new() }));
    }
    if !plan.masks.is_empty() {
        stages.push(Box::new(Mask { rules: &plan.masks, keys }));
    }
    if !plan.convert.is_empty() {
        stages.push(Box::new(Convert::new(plan.read.columns.len(), &plan.convert)));
    }
    if nulls {
        stages.push(Box::new(Nulls { columns: &plan.deferred }));
    }
    let mut rows_done = 0u64;
    while let Some(mut batch) = input.recv().await? {
        let rows = batch.rows() as u64;
        for stage in &mut stages {
            batch = stage.apply(batch, rows_done)?;
        }
        rows_done += rows;
        output.send(batch).await?;
    }
    output.finish().await?;
    Ok(())
}
