//! Runs a plan: per table a reader, the stages a batch goes through (mask, convert) and a
//! writer, joined by bounded channels ([`table`]); up to `jobs` tables at once, wave after
//! wave; the first failure stops the run.

mod present;
pub mod sample;
mod stage;
pub mod subset;
mod table;
pub mod verify;

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::engine::{EngineError, Source, Target};
use crate::mask::Keyring;
use crate::plan::{Plan, TablePlan};
use crate::report::{Reporter, RunRecord, TableStats};
use crate::schema::TableName;

#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub jobs: usize,
    /// Batches queued between reader and writer per table, split between the channels when
    /// stages sit between them: memory per table is about this many batches plus one per stage.
    pub channel_capacity: usize,
}

#[derive(Debug, thiserror::Error)]
/// Said once: the engine's error is part of this message, not a cause printed after it.
#[error("table {table}: {error}")]
pub struct TableError {
    pub table: TableName,
    pub error: EngineError,
}

/// Of the errors a table's tasks ended with (at least one), the cause: the first that is not
/// only a channel closed by another task's failure.
fn cause(errors: impl IntoIterator<Item = Option<EngineError>>) -> EngineError {
    let mut errors: Vec<EngineError> = errors.into_iter().flatten().collect();
    let first_real = errors.iter().position(|e| !e.is_cancelled()).unwrap_or(0);
    errors.swap_remove(first_real)
}

/// A table's first load, or the second that fills in the foreign keys a cycle made it load
/// NULL ([`TablePlan::deferred`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pass {
    Load,
    Fill,
}

/// What every table's copy shares.
#[derive(Clone)]
struct Run {
    source: Arc<dyn Source>,
    target: Arc<dyn Target>,
    keys: Arc<Keyring>,
    reporter: Arc<dyn Reporter>,
    settings: Settings,
}

pub async fn run(
    plan: Plan,
    source: Arc<dyn Source>,
    target: Arc<dyn Target>,
    keys: Arc<Keyring>,
    reporter: Arc<dyn Reporter>,
    settings: Settings,
    record: &RunRecord,
) -> Result<Vec<TableStats>, TableError> {
    let shared = Run { source, target, keys, reporter, settings };
    let mut slots: Vec<Option<Arc<TablePlan>>> = plan.tables.into_iter().map(|t| Some(Arc::new(t))).collect();
    // Tables loaded with a cycle's foreign key NULL get it in one more wave, after every other.
    let fills: Vec<Arc<TablePlan>> = slots.iter().flatten().filter(|t| !t.deferred.is_empty()).cloned().collect();
    let permits = Arc::new(Semaphore::new(settings.jobs.max(1)));
    let mut stats = Vec::new();
    let mut unfilled = Vec::new();
    let mut waves: Vec<(Pass, Vec<Arc<TablePlan>>)> = plan
        .waves
        .into_iter()
        .map(|w| (Pass::Load, w.into_iter().map(|i| slots[i].take().expect("each table is in one wave")).collect()))
        .collect();
    waves.push((Pass::Fill, fills));
    for (pass, wave) in waves {
        let mut tasks = JoinSet::new();
        for table in wave {
            let (shared, permits) = (shared.clone(), permits.clone());
            let twice = !table.deferred.is_empty();
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await.expect("the semaphore is never closed");
                table::copy(table, shared, pass).await.map(|s| (s, twice))
            });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Ok((s, false))) => {
                    record.committed(&s);
                    stats.push(s);
                }
                // Done once its second pass is.
                Ok(Ok((s, true))) if pass == Pass::Load => unfilled.push(s),
                Ok(Ok((s, true))) => {
                    let Some(at) = unfilled.iter().position(|u: &TableStats| u.table == s.table) else { continue };
                    let mut first = unfilled.swap_remove(at);
                    first.elapsed += s.elapsed;
                    record.committed(&first);
                    stats.push(first);
                }
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
