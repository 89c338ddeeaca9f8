//! Rows counted as a table is written. Writers report through [`TableProgress`]; what shows the
//! count (bars, log lines, nothing) is the report's business.

/// One table's progress. `add` is called per batch as the writer takes it from its channel,
/// `finish` once with the rows written.
pub trait TableProgress: Send + Sync {
    fn add(&self, rows: u64);
    fn finish(&self, rows: u64);
}

/// Counts nothing: for samples, tests and runs without progress.
pub struct Uncounted;

impl TableProgress for Uncounted {
    fn add(&self, _: u64) {}
    fn finish(&self, _: u64) {}
}
