//! `verify`: what a table of the target should hold, worked out by the copy's own stages from
//! the source (subset, masks, conversions), compared with what it holds, row by row.
//!
//! Per table, four tasks: each side's reader; each side's hashing (the source's through the
//! copy's stages), which turns rows into keys and a hash per column; and the matching of the
//! two streams by key (matching.rs), which sees numbers only. Both readers move at the pace of
//! the matching, so memory stays at a few batches a side.

mod matching;
mod sample;
mod side;
mod spelling;
mod verdict;

use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

pub use self::verdict::{Finding, Kind, Verdict};
use super::TableError;
use crate::data::channel;
use crate::engine::{EngineError, ReadRequest, RowFilter, Source};
use crate::mask::Keyring;
use crate::plan::{Plan, TablePlan};
use crate::report::Reporter;
use matching::Matcher;
use sample::Choice;

/// How verify goes about it.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Tables compared at once.
    pub jobs: usize,
    /// The masks are keyed by a secret or seed, so each masked value can be worked out again.
    pub exact: bool,
    /// Compare only this many rows per table, drawn by keyed hash of the key (`--sample`).
    pub sample: Option<usize>,
}

/// Compare every table of `plan`: `source` and `target` both read in their snapshots.
pub async fn verify(
    plan: Plan,
    source: Arc<dyn Source>,
    target: Arc<dyn Source>,
    keys: Arc<Keyring>,
    reporter: Arc<dyn Reporter>,
    settings: Settings,
) -> Result<Vec<Verdict>, TableError> {
    let Settings { jobs, .. } = settings;
    let permits = Arc::new(Semaphore::new(jobs.max(1)));
    let mut tasks = JoinSet::new();
    for (i, table) in plan.tables.into_iter().enumerate() {
        let (source, target, keys, reporter, permits) =
            (source.clone(), target.clone(), keys.clone(), reporter.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("the semaphore is never closed");
            let name = table.write.table.name.clone();
            let verdict = compare(table, source, target, keys, reporter, settings).await;
            (i, verdict.map_err(|error| TableError { table: name, error }))
        });
    }
    let mut verdicts = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((i, Ok(v))) => verdicts.push((i, v)),
            Ok((_, Err(e))) => {
                tasks.abort_all();
                return Err(e);
            }
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        }
    }
    verdicts.sort_by_key(|(i, _)| *i);
    Ok(verdicts.into_iter().map(|(_, v)| v).collect())
}

/// The target's reading of one table: the copy's columns, in the copy's order, by key.
fn target_read(plan: &TablePlan) -> ReadRequest {
    let columns: Vec<String> = plan.write.column_names().map(String::from).collect();
    let key = if plan.write.key.iter().all(|k| columns.contains(k)) { plan.write.key.clone() } else { Vec::new() };
    ReadRequest {
        table: plan.write.table.clone(),
        columns,
        limits: plan.read.limits,
        sample: None,
        filter: RowFilter { key, by_key: true, ..RowFilter::default() },
    }
}

async fn compare(
    plan: TablePlan,
    source: Arc<dyn Source>,
    target: Arc<dyn Source>,
    keys: Arc<Keyring>,
    reporter: Arc<dyn Reporter>,
    settings: Settings,
) -> Result<Verdict, EngineError> {
    let mut read = plan.read.clone();
    read.filter.by_key = true;
    let mut found_read = target_read(&plan);
    let (mut matcher, layout) = Matcher::new(&plan, &found_read, settings.exact);
    let (mut estimate, mut sampled, mut whole) = (plan.row_estimate, false, None);
    if let Some(n) = settings.sample {
        let choice = match sample::cannot(&found_read, &layout, matcher.key_masked()) {
            Some(why) => Choice::Whole(why),
            None => sample::choose(&plan, &found_read, &layout, source.clone(), target.clone(), &keys, n).await?,
        };
        match choice {
            Choice::Keys { source, target } => {
                estimate = Some(source.rows.len() as u64);
                (read.filter.keys, found_read.filter.keys, sampled) = (Some(source), Some(target), true);
            }
            Choice::Whole(why) => whole = Some(why),
        }
    }
    let progress = reporter.start_table(&plan.write.table.name, estimate);
    let (originals_of, leaks_of, shapes_of) = (matcher.originals_of(), matcher.leaks_of(), matcher.shapes_of());
    let (layout, plan) = (Arc::new(layout), Arc::new(plan));
    let (tx, from_source) = channel::channel(2);
    let (ttx, from_target) = channel::channel(2);
    let (etx, mut expected) = mpsc::channel(2);
    let (ftx, mut found) = mpsc::channel(2);
    let reader = tokio::spawn(async move { source.read(&read, tx).await });
    let target_reader = tokio::spawn(async move { target.read(&found_read, ttx).await });
    let expecting = tokio::spawn(side::expected(plan.clone(), keys, layout.clone(), originals_of, from_source, etx));
    let finding = tokio::spawn(side::found(
        plan.clone(),
        layout,
        leaks_of,
        shapes_of,
        from_target.counted(progress.clone()),
        ftx,
    ));
    matcher.run(&mut expected, &mut found).await;
    let originals = joined(expecting.await);
    let found = joined(finding.await);
    let read = joined(reader.await);
    let read_back = joined(target_reader.await);
    let (originals, found) = match (originals, found, read, read_back) {
        (Ok(originals), Ok(found), Ok(_), Ok(_)) => (originals, found),
        (originals, found, read, read_back) => {
            return Err(super::cause([originals.err(), found.err(), read.err(), read_back.err()]));
        }
    };
    progress.finish(matcher.found_rows);
    let verdict = matcher.verdict(plan.write.table.name.clone(), &originals, found);
    Ok(Verdict { sampled, whole, ..verdict })
}

/// A task's answer; its panic goes on up.
pub(super) fn joined<T>(done: Result<T, tokio::task::JoinError>) -> T {
    done.unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()))
}
