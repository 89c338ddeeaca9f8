//! Progress while a run goes, and the summary after it. The pipeline only sees [`Reporter`];
//! bars (a terminal), periodic log lines (cron, CI) or nothing (tests) sit behind it.

mod bars;
mod run;
mod summary;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use bars::{Bars, BarsWriter};
pub use run::{Ending, Planned, RunRecord, RunReport, Watermark, timestamp};
pub use summary::{TableStats, render as render_summary};

use crate::data::progress::{TableProgress, Uncounted};
use crate::schema::TableName;

pub trait Reporter: Send + Sync {
    /// A table's copy begins; `estimate` is the planner's row count, when known.
    fn start_table(&self, table: &TableName, estimate: Option<u64>) -> Arc<dyn TableProgress>;
}

pub struct Silent;

impl Reporter for Silent {
    fn start_table(&self, _: &TableName, _: Option<u64>) -> Arc<dyn TableProgress> {
        Arc::new(Uncounted)
    }
}

/// What the rows are read for, as the log lines say it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    Copy,
    Verify,
}

impl Activity {
    fn started(self) -> &'static str {
        match self {
            Activity::Copy => "copy started",
            Activity::Verify => "verify started",
        }
    }

    fn going(self) -> &'static str {
        match self {
            Activity::Copy => "copying",
            Activity::Verify => "verifying",
        }
    }

    fn finished(self) -> &'static str {
        match self {
            Activity::Copy => "copy finished",
            Activity::Verify => "verify finished",
        }
    }
}

/// For runs without a terminal: one log line per table every `every`, and one when it ends.
pub struct LogLines {
    pub every: Duration,
    pub activity: Activity,
}

struct LogTable {
    table: String,
    estimate: Option<u64>,
    rows: AtomicU64,
    started: Instant,
    last: Mutex<Instant>,
    every: Duration,
    activity: Activity,
}

impl Reporter for LogLines {
    fn start_table(&self, table: &TableName, estimate: Option<u64>) -> Arc<dyn TableProgress> {
        tracing::info!(table = %table, estimated_rows = estimate, "{}", self.activity.started());
        let now = Instant::now();
        Arc::new(LogTable {
            table: table.to_string(),
            estimate,
            rows: AtomicU64::new(0),
            started: now,
            last: Mutex::new(now),
            every: self.every,
            activity: self.activity,
        })
    }
}

impl TableProgress for LogTable {
    fn add(&self, rows: u64) {
        let total = self.rows.fetch_add(rows, Ordering::Relaxed) + rows;
        let mut last = self.last.lock().expect("progress lock");
        if last.elapsed() >= self.every {
            *last = Instant::now();
            let secs = self.started.elapsed().as_secs_f64();
            let rate = total as f64 / secs.max(1e-9);
            let percent = self.estimate.filter(|&e| e > 0).map(|e| format!("{:.0}%", 100.0 * total as f64 / e as f64));
            tracing::info!(table = %self.table, rows = total, rows_per_sec = rate as u64, done = percent, "{}", self.activity.going());
        }
    }

    fn finish(&self, rows: u64) {
        let secs = self.started.elapsed().as_secs_f64();
        tracing::info!(table = %self.table, rows, seconds = format!("{secs:.1}"), "{}", self.activity.finished());
    }
}
