//! indicatif progress bars: one per running table plus a total. The only file that knows
//! indicatif; log lines written while bars are shown go through [`BarsWriter`] so they print
//! above the bars instead of tearing them.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{HumanCount, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use super::Reporter;
use crate::data::progress::TableProgress;
use crate::schema::TableName;

#[derive(Clone)]
pub struct Bars {
    multi: MultiProgress,
    total: ProgressBar,
    tables: Arc<AtomicUsize>,
    finished: Arc<AtomicUsize>,
}

impl Default for Bars {
    fn default() -> Self {
        Self::new()
    }
}

impl Bars {
    pub fn new() -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        // No length until the plan knows the row estimates.
        let total = multi.add(ProgressBar::no_length());
        total.set_style(style(
            "{prefix:>24.bold} [{bar:30.green/blue}] {human_pos}/~{human_len} rows  {rate}  ETA {eta}  {msg}",
        ));
        total.set_prefix("total");
        Bars { multi, total, tables: Arc::new(AtomicUsize::new(0)), finished: Arc::new(AtomicUsize::new(0)) }
    }

    /// `estimated_rows` sums the tables' estimates, for the total bar's ETA.
    pub fn set_totals(&self, estimated_rows: u64, tables: usize) {
        self.tables.store(tables, Ordering::Relaxed);
        self.total.set_length(estimated_rows.max(1));
        self.total.set_message(format!("0/{tables} tables"));
    }

    pub fn writer(&self) -> BarsWriter {
        BarsWriter { multi: self.multi.clone(), buf: Vec::new() }
    }

    pub fn finish(&self) {
        self.total.finish_and_clear();
    }
}

/// A bar style with `{rate}`: whole rows per second (indicatif's `{per_sec}` shows decimals).
fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .expect("templates are fixed and valid")
        .with_key("rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{}/s", HumanCount(state.per_sec() as u64));
        })
        .progress_chars("=> ")
}

struct TableBar {
    bar: ProgressBar,
    total: ProgressBar,
    tables: Arc<AtomicUsize>,
    finished: Arc<AtomicUsize>,
}

impl Reporter for Bars {
    fn start_table(&self, table: &TableName, estimate: Option<u64>) -> Arc<dyn TableProgress> {
        let bar = self.multi.insert_before(&self.total, ProgressBar::new(estimate.unwrap_or(0)));
        bar.set_style(style(if estimate.is_some() {
            "{prefix:>24} [{bar:30.cyan/blue}] {human_pos}/~{human_len}  {rate}  ETA {eta}"
        } else {
            "{prefix:>24} {spinner} {human_pos} rows  {rate}"
        }));
        // Long names keep their end, which tells tables apart better than the schema does.
        let name = table.to_string();
        let chars = name.chars().count();
        let name = if chars > 24 { format!("…{}", name.chars().skip(chars - 23).collect::<String>()) } else { name };
        bar.set_prefix(name);
        Arc::new(TableBar {
            bar,
            total: self.total.clone(),
            tables: self.tables.clone(),
            finished: self.finished.clone(),
        })
    }
}

impl TableProgress for TableBar {
    fn add(&self, rows: u64) {
        if self.bar.length().is_some_and(|l| self.bar.position() + rows > l) {
            // The estimate was low: grow rather than sit at 100 %.
            self.bar.set_length(self.bar.position() + rows);
        }
        self.bar.inc(rows);
        self.total.inc(rows);
        if self.total.position() > self.total.length().unwrap_or(0) {
            self.total.set_length(self.total.position());
        }
    }

    fn finish(&self, _rows: u64) {
        self.bar.finish_and_clear();
        let done = self.finished.fetch_add(1, Ordering::Relaxed) + 1;
        self.total.set_message(format!("{done}/{} tables", self.tables.load(Ordering::Relaxed)));
    }
}

/// stderr for log lines, printed with the bars suspended.
pub struct BarsWriter {
    multi: MultiProgress,
    buf: Vec<u8>,
}

impl Write for BarsWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.buf);
        self.multi.suspend(|| io::stderr().write_all(&buf))
    }
}

impl Drop for BarsWriter {
    fn drop(&mut self) {
        let _best_effort = self.flush();
    }
}
