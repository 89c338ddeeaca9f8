//! `verify`: what a table of the target should hold, worked out by the copy's own stages from
//! the source (subset, masks, conversions), compared with what it holds, row by row.
//!
//! Both sides are read in key order and matched by key as they stream. A row waits in a map
//! only until its twin arrives from the other side, so when both engines order the key the
//! same way (numbers, dates, or text under the same collation) memory stays at a few batches;
//! when they do not (a masked key, two collations), the maps hold the unmatched rows, eight
//! bytes a column, and the answer is the same.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::TableError;
use super::stage::{Convert, Mask, Stage, Subset};
use crate::data::batch::Batch;
use crate::data::channel::{self, BatchReceiver};
use crate::engine::ddl::is_fixed_char;
use crate::engine::{EngineError, ReadRequest, RowFilter, Source};
use crate::mask::Keyring;
use crate::mask::row::{Action, ColumnRules};
use crate::plan::{Plan, TablePlan};
use crate::report::Reporter;
use crate::schema::{Column, TableName, TypeClass};

/// Rows named per finding; the count says how many more.
const EXAMPLES: usize = 5;

/// How a type's values are spelled alike before they are compared: what the copy wrote, as its
/// conversions gave it, and what the target reads back are the same value but not always the
/// same bytes (`t` and `1`, `1e300` and `1e+300`, `12:00:00` and `12:00:00.000000+00`, JSON
/// keys in another order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Spelling {
    AsIs,
    /// `char(n)`: the target pads what was written with spaces.
    FixedChar,
    Bool,
    Decimal,
    Float,
    Time,
    Json,
}

impl Spelling {
    fn of(column: &Column) -> Self {
        match column.class {
            TypeClass::Text if is_fixed_char(column) => Spelling::FixedChar,
            TypeClass::Bool => Spelling::Bool,
            TypeClass::Decimal => Spelling::Decimal,
            TypeClass::Float => Spelling::Float,
            TypeClass::Time | TypeClass::Timestamp | TypeClass::TimestampTz => Spelling::Time,
            TypeClass::Json => Spelling::Json,
            _ => Spelling::AsIs,
        }
    }

    /// `value` in this spelling: itself, or written into `out`.
    fn spell<'a>(self, value: &'a [u8], out: &'a mut Vec<u8>) -> &'a [u8] {
        let Ok(text) = std::str::from_utf8(value) else { return value };
        out.clear();
        match self {
            Spelling::AsIs => return value,
            Spelling::FixedChar => out.extend_from_slice(text.trim_end_matches(' ').as_bytes()),
            Spelling::Bool => match text.to_ascii_lowercase().as_str() {
                "t" | "true" | "1" => out.push(b'1'),
                "f" | "false" | "0" => out.push(b'0'),
                _ => return value,
            },
            Spelling::Decimal => out.extend_from_slice(trim_fraction(text).as_bytes()),
            Spelling::Float => match text.parse::<f64>() {
                Ok(f) => out.extend_from_slice(&f.to_bits().to_le_bytes()),
                Err(_) => return value,
            },
            Spelling::Time => {
                let t = text.replacen('T', " ", 1);
                let t = ["+00:00", "+00", "Z"].iter().find_map(|z| t.strip_suffix(z)).unwrap_or(&t);
                out.extend_from_slice(trim_fraction(t).as_bytes());
            }
            Spelling::Json => match serde_json::from_str::<serde_json::Value>(text) {
                Ok(v) => out.extend_from_slice(sorted_json(v).to_string().as_bytes()),
                Err(_) => return value,
            },
        }
        out
    }
}

/// `1.500` as `1.5`, `2.000` as `2`; anything without a fraction as it is.
fn trim_fraction(text: &str) -> &str {
    match text.split_once('.') {
        Some((whole, fraction)) if fraction.bytes().all(|b| b.is_ascii_digit()) => {
            let kept = fraction.trim_end_matches('0');
            if kept.is_empty() { whole } else { &text[..whole.len() + 1 + kept.len()] }
        }
        _ => text,
    }
}

/// Object keys in one order at every depth (engines store JSON objects in their own).
fn sorted_json(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted_json(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted_json).collect()),
        other => other,
    }
}

/// What kind of difference a finding counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A row the copy would write is not in the target.
    Missing,
    /// A row in the target that the copy would not write.
    Extra,
    /// An unmasked value that is not the source's.
    Differs,
    /// A masked value that is not what its rule gives for the source row.
    Masked,
    /// A masked column holds one of the source's original values.
    Original,
}

impl Kind {
    /// The name in `--json`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Missing => "missing",
            Kind::Extra => "extra",
            Kind::Differs => "differs",
            Kind::Masked => "masked",
            Kind::Original => "original",
        }
    }
}

/// One kind of difference in one table (and column): how many rows, and the first few, each
/// named by its key, or by its position in the read when a masked column is part of the key.
#[derive(Clone, Debug)]
pub struct Finding {
    pub kind: Kind,
    pub column: Option<String>,
    pub count: u64,
    pub examples: Vec<String>,
}

/// One table's answer.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The target table.
    pub table: TableName,
    /// Rows the copy would write, and rows the target holds.
    pub expected: u64,
    pub found: u64,
    pub findings: Vec<Finding>,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.findings.is_empty() {
            let verb = if self.expected == 1 { "matches" } else { "match" };
            return write!(f, "table {}: {} {verb}", self.table, rows(self.expected));
        }
        for (i, x) in self.findings.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let n = x.count;
            let what = match x.kind {
                Kind::Missing => format!("{} missing from the target", rows(n)),
                Kind::Extra => format!("{} in the target that the source does not give", rows(n)),
                Kind::Differs => format!("{} not the source's", values(n)),
                Kind::Masked => format!("{} not what the mask rule gives", masked_values(n)),
                Kind::Original => format!("{} the source's original value", values(n)),
            };
            match &x.column {
                Some(c) => write!(f, "table {}, column {c}: {what}", self.table)?,
                None => write!(f, "table {}: {what}", self.table)?,
            }
            let shown = x.examples.len() as u64;
            if shown > 0 {
                let more = if n > shown { format!(" and {} more", n - shown) } else { String::new() };
                write!(f, " ({}{more})", x.examples.join("; "))?;
            }
        }
        Ok(())
    }
}

fn rows(n: u64) -> String {
    if n == 1 { "1 row".into() } else { format!("{n} rows") }
}

fn values(n: u64) -> String {
    if n == 1 { "1 value is".into() } else { format!("{n} values are") }
}

fn masked_values(n: u64) -> String {
    if n == 1 { "1 masked value is".into() } else { format!("{n} masked values are") }
}

/// Compare every table of `plan`: `source` and `target` both read in their snapshots; up to
/// `jobs` tables at once. `exact`: the masks are keyed by a secret or seed, so each masked
/// value can be worked out again.
pub async fn verify(
    plan: Plan,
    source: Arc<dyn Source>,
    target: Arc<dyn Source>,
    keys: Arc<Keyring>,
    reporter: Arc<dyn Reporter>,
    jobs: usize,
    exact: bool,
) -> Result<Vec<Verdict>, TableError> {
    let permits = Arc::new(Semaphore::new(jobs.max(1)));
    let mut tasks = JoinSet::new();
    for (i, table) in plan.tables.into_iter().enumerate() {
        let (source, target, keys, reporter, permits) =
            (source.clone(), target.clone(), keys.clone(), reporter.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("the semaphore is never closed");
            let name = table.write.table.name.clone();
            let verdict = compare(table, source, target, &keys, reporter, exact).await;
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

/// How one column of the target is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// Equal to the source's value, converted.
    Equal,
    /// Equal to what the rule gives (the masks are keyed); a value that is not is an original
    /// or a wrong fake.
    Masked,
    /// The masks differ from run to run: only that no original survives, for a rule whose
    /// output cannot meet an original by chance.
    Leak,
    /// Nothing can be said (a random mask whose output may repeat an original by chance).
    Skip,
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
    keys: &Keyring,
    reporter: Arc<dyn Reporter>,
    exact: bool,
) -> Result<Verdict, EngineError> {
    let progress = reporter.start_table(&plan.write.table.name, plan.row_estimate);
    let mut read = plan.read.clone();
    read.filter.by_key = true;
    let found_read = target_read(&plan);
    let (tx, mut from_source) = channel::channel(2);
    let (ttx, from_target) = channel::channel(2);
    let mut from_target = from_target.counted(progress.clone());
    let reader = tokio::spawn({
        let (source, read) = (source.clone(), read.clone());
        async move { source.read(&read, tx).await }
    });
    let target_reader = tokio::spawn({
        let read = found_read.clone();
        async move { target.read(&read, ttx).await }
    });
    let mut table = Table::new(&plan, &found_read, exact);
    let compared = table.run(&plan, keys, &mut from_source, &mut from_target).await;
    // A comparison that stopped early drops its receivers: the readers see their channel
    // closed and stop too.
    drop((from_source, from_target));
    let read = reader.await.unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()));
    let found = target_reader.await.unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()));
    let mut errors: Vec<EngineError> = [compared.err(), read.err(), found.err()].into_iter().flatten().collect();
    if !errors.is_empty() {
        let first_real = errors.iter().position(|e| !e.is_cancelled()).unwrap_or(0);
        return Err(errors.swap_remove(first_real));
    }
    progress.finish(table.found_rows);
    Ok(table.verdict(plan.write.table.name.clone()))
}

/// A row waiting for its twin from the other side: a hash per column, where it was read, and
/// how many equal rows wait (a table without a key may repeat a row).
struct Waiting {
    cells: Box<[u64]>,
    at: u64,
    count: u32,
}

#[derive(Default)]
struct Tally {
    count: u64,
    examples: Vec<String>,
}

impl Tally {
    fn add(&mut self, label: impl FnOnce() -> String) {
        self.count += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(label());
        }
    }

    fn finding(self, kind: Kind, column: Option<String>) -> Option<Finding> {
        (self.count > 0).then_some(Finding { kind, column, count: self.count, examples: self.examples })
    }
}

/// A masked value that is not its rule's: an original or a wrong fake, told apart at the end,
/// once every original of the column is known.
struct Mismatch {
    column: usize,
    hash: u64,
    label: Option<String>,
}

struct Table {
    names: Vec<String>,
    checks: Vec<Check>,
    /// Positions (in the target's columns) of what identifies a row: the key, or every column
    /// that is compared when the table has none.
    key: Vec<usize>,
    key_names: Vec<String>,
    /// The key holds a masked column: rows are named by position, not by key.
    key_masked: bool,
    waiting_expected: HashMap<Box<[u8]>, Waiting>,
    waiting_found: HashMap<Box<[u8]>, Waiting>,
    missing: Tally,
    extra: Tally,
    differs: Vec<Tally>,
    mismatches: Vec<Mismatch>,
    /// Per masked column that is checked for originals: the hash of every original value.
    originals: Vec<Option<HashSet<u64>>>,
    /// Per `Leak` column: the hash of every target value.
    leak_found: Vec<Vec<(u64, u64)>>,
    /// Per column, how its values are spelled alike before they are compared.
    forms: Vec<Spelling>,
    expected_rows: u64,
    found_rows: u64,
    packed: Vec<u8>,
    scratch: Vec<u8>,
}

impl Table {
    fn new(plan: &TablePlan, found: &ReadRequest, exact: bool) -> Self {
        let width = found.columns.len();
        let mut checks = vec![Check::Equal; width];
        for rules in plan.masks.columns() {
            checks[rules.index] = if exact {
                Check::Masked
            } else if never_meets_an_original(rules) {
                Check::Leak
            } else {
                Check::Skip
            };
        }
        let by_key: Vec<usize> =
            found.filter.key.iter().filter_map(|k| found.columns.iter().position(|c| c == k)).collect();
        let key = if by_key.is_empty() {
            (0..width).filter(|&c| matches!(checks[c], Check::Equal | Check::Masked)).collect()
        } else {
            by_key
        };
        let key_masked = key.iter().any(|&c| checks[c] != Check::Equal);
        let originals = checks.iter().map(|c| matches!(c, Check::Masked | Check::Leak).then(HashSet::new)).collect();
        Table {
            key_names: key.iter().map(|&c| found.columns[c].clone()).collect(),
            names: found.columns.clone(),
            checks,
            key,
            key_masked,
            waiting_expected: HashMap::new(),
            waiting_found: HashMap::new(),
            missing: Tally::default(),
            extra: Tally::default(),
            differs: (0..width).map(|_| Tally::default()).collect(),
            mismatches: Vec::new(),
            originals,
            leak_found: vec![Vec::new(); width],
            forms: plan.write.columns.iter().map(|c| Spelling::of(c)).collect(),
            expected_rows: 0,
            found_rows: 0,
            packed: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Take a batch from each side in turn, so both readers move at the pace of the slower.
    async fn run(
        &mut self,
        plan: &TablePlan,
        keys: &Keyring,
        from_source: &mut BatchReceiver,
        from_target: &mut BatchReceiver,
    ) -> Result<(), EngineError> {
        let width = plan.read.columns.len();
        let mut subset = plan.keep.as_ref().map(|keep| Subset { keep, packed: Vec::new() });
        let mut mask = (!plan.masks.is_empty()).then_some(Mask { rules: &plan.masks, keys });
        let mut convert = (!plan.convert.is_empty()).then(|| Convert::new(width, &plan.convert));
        let (mut source_open, mut target_open) = (true, true);
        let mut read_rows = 0u64;
        while source_open || target_open {
            if source_open {
                match from_source.recv().await? {
                    Some(mut batch) => {
                        let rows = batch.rows() as u64;
                        if let Some(s) = &mut subset {
                            batch = s.apply(batch, read_rows)?;
                        }
                        let expected = match &mut mask {
                            Some(m) => {
                                let masked = m.masked(&batch, read_rows)?;
                                let originals = match &mut convert {
                                    Some(c) => c.apply(batch, read_rows)?,
                                    None => batch,
                                };
                                self.note_originals(&originals);
                                masked
                            }
                            None => batch,
                        };
                        let expected = match &mut convert {
                            Some(c) => c.apply(expected, read_rows)?,
                            None => expected,
                        };
                        read_rows += rows;
                        self.expected(&expected);
                    }
                    None => source_open = false,
                }
            }
            if target_open {
                match from_target.recv().await? {
                    Some(batch) => self.found(&batch),
                    None => target_open = false,
                }
            }
        }
        Ok(())
    }

    fn note_originals(&mut self, batch: &Batch) {
        for (c, set) in self.originals.iter_mut().enumerate() {
            let Some(set) = set else { continue };
            for row in 0..batch.rows() {
                if let Some(cell) = batch.cell(row, c).filter(|v| !v.is_empty()) {
                    set.insert(hash(Some(self.forms[c].spell(cell, &mut self.scratch))));
                }
            }
        }
    }

    fn expected(&mut self, batch: &Batch) {
        for row in 0..batch.rows() {
            self.expected_rows += 1;
            let at = self.expected_rows;
            pack(batch, row, &self.key, &self.forms, &mut self.scratch, &mut self.packed);
            let cells = hashes(batch, row, &self.forms, &mut self.scratch);
            if let Some((twin, _)) = take(&mut self.waiting_found, &self.packed) {
                let key = std::mem::take(&mut self.packed);
                self.check(&cells, &twin, &key, at);
                self.packed = key;
            } else {
                wait(&mut self.waiting_expected, &self.packed, cells, at);
            }
        }
    }

    fn found(&mut self, batch: &Batch) {
        for row in 0..batch.rows() {
            self.found_rows += 1;
            let at = self.found_rows;
            for (c, check) in self.checks.iter().enumerate() {
                if *check == Check::Leak
                    && let Some(cell) = batch.cell(row, c).filter(|v| !v.is_empty())
                {
                    self.leak_found[c].push((hash(Some(self.forms[c].spell(cell, &mut self.scratch))), at));
                }
            }
            pack(batch, row, &self.key, &self.forms, &mut self.scratch, &mut self.packed);
            let cells = hashes(batch, row, &self.forms, &mut self.scratch);
            if let Some((twin, twin_at)) = take(&mut self.waiting_expected, &self.packed) {
                let key = std::mem::take(&mut self.packed);
                self.check(&twin, &cells, &key, twin_at);
                self.packed = key;
            } else {
                wait(&mut self.waiting_found, &self.packed, cells, at);
            }
        }
    }

    /// One row of each side with the same key.
    fn check(&mut self, expected: &[u64], found: &[u64], key: &[u8], at: u64) {
        for c in 0..self.checks.len() {
            if expected[c] == found[c] {
                continue;
            }
            match self.checks[c] {
                Check::Equal => {
                    let label = self.label(key, at, "source");
                    self.differs[c].add(|| label);
                }
                Check::Masked => {
                    let label =
                        (self.mismatches.len() < EXAMPLES * self.checks.len()).then(|| self.label(key, at, "source"));
                    self.mismatches.push(Mismatch { column: c, hash: found[c], label });
                }
                Check::Leak | Check::Skip => {}
            }
        }
    }

    /// A row by its key, or by its position in `side`'s read when a masked column is part of
    /// the key (a masked key is not shown, and an original one would be the source's).
    fn label(&self, key: &[u8], at: u64, side: &str) -> String {
        if self.key_masked {
            return format!("row {at} of the {side}'s read");
        }
        let values = unpack(key);
        let parts: Vec<String> =
            self.key_names.iter().zip(values).map(|(name, v)| format!("{name}={}", shown(v.as_deref()))).collect();
        parts.join(", ")
    }

    fn verdict(mut self, table: TableName) -> Verdict {
        let mut findings = Vec::new();
        let waiting = std::mem::take(&mut self.waiting_expected);
        let mut missing = std::mem::take(&mut self.missing);
        for (key, w) in sorted(waiting) {
            for _ in 0..w.count {
                missing.add(|| self.label(&key, w.at, "source"));
            }
        }
        findings.extend(missing.finding(Kind::Missing, None));
        let waiting = std::mem::take(&mut self.waiting_found);
        let mut extra = std::mem::take(&mut self.extra);
        for (key, w) in sorted(waiting) {
            for _ in 0..w.count {
                extra.add(|| self.label(&key, w.at, "target"));
            }
        }
        findings.extend(extra.finding(Kind::Extra, None));
        let width = self.checks.len();
        let mut masked: Vec<Tally> = (0..width).map(|_| Tally::default()).collect();
        let mut original: Vec<Tally> = (0..width).map(|_| Tally::default()).collect();
        for m in std::mem::take(&mut self.mismatches) {
            let is_original = self.originals[m.column].as_ref().is_some_and(|s| s.contains(&m.hash));
            let tally = if is_original { &mut original[m.column] } else { &mut masked[m.column] };
            tally.count += 1;
            if let Some(label) = m.label.filter(|_| tally.examples.len() < EXAMPLES) {
                tally.examples.push(label);
            }
        }
        for (c, found) in std::mem::take(&mut self.leak_found).into_iter().enumerate() {
            let Some(set) = &self.originals[c] else { continue };
            for (h, at) in found {
                if set.contains(&h) {
                    original[c].add(|| format!("row {at} of the target's read"));
                }
            }
        }
        let differs = std::mem::take(&mut self.differs);
        for (c, ((d, m), o)) in differs.into_iter().zip(masked).zip(original).enumerate() {
            let name = &self.names[c];
            findings.extend(d.finding(Kind::Differs, Some(name.clone())));
            findings.extend(m.finding(Kind::Masked, Some(name.clone())));
            findings.extend(o.finding(Kind::Original, Some(name.clone())));
        }
        Verdict { table, expected: self.expected_rows, found: self.found_rows, findings }
    }
}

/// A mask whose output cannot meet an original by chance: one unconditional rule with enough
/// keyed bits for a unique column (an email, a hash, a long id). Its output equal to an original
/// is the original, kept.
fn never_meets_an_original(rules: &ColumnRules) -> bool {
    match rules.rules.as_slice() {
        [only] if only.when.is_none() => match &only.action {
            Action::Value(m) => m.unique_safe().is_ok(),
            Action::Template { .. } => false,
        },
        _ => false,
    }
}

/// The waiting rows in key order, so the examples are the same every run.
fn sorted(waiting: HashMap<Box<[u8]>, Waiting>) -> Vec<(Box<[u8]>, Waiting)> {
    let mut all: Vec<_> = waiting.into_iter().collect();
    all.sort_by_key(|(_, w)| w.at);
    all
}

/// The waiting twin of `key`, if one waits: its cells and where it was read.
fn take(waiting: &mut HashMap<Box<[u8]>, Waiting>, key: &[u8]) -> Option<(Box<[u64]>, u64)> {
    let w = waiting.get_mut(key)?;
    if w.count > 1 {
        w.count -= 1;
        return Some((w.cells.clone(), w.at));
    }
    waiting.remove(key).map(|w| (w.cells, w.at))
}

fn wait(waiting: &mut HashMap<Box<[u8]>, Waiting>, key: &[u8], cells: Box<[u64]>, at: u64) {
    match waiting.entry(Box::from(key)) {
        Entry::Occupied(mut e) => e.get_mut().count += 1,
        Entry::Vacant(e) => {
            e.insert(Waiting { cells, at, count: 1 });
        }
    }
}

/// The cells at `columns`, each spelled alike, as a 4-byte length (`u32::MAX` for NULL) and
/// its bytes.
fn pack(batch: &Batch, row: usize, columns: &[usize], forms: &[Spelling], scratch: &mut Vec<u8>, out: &mut Vec<u8>) {
    out.clear();
    for &c in columns {
        match batch.cell(row, c) {
            Some(cell) => {
                let cell = forms[c].spell(cell, scratch);
                out.extend_from_slice(&(cell.len() as u32).to_le_bytes());
                out.extend_from_slice(cell);
            }
            None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
        }
    }
}

fn unpack(mut packed: &[u8]) -> Vec<Option<Vec<u8>>> {
    let mut cells = Vec::new();
    while packed.len() >= 4 {
        let len = u32::from_le_bytes(packed[..4].try_into().expect("four bytes"));
        packed = &packed[4..];
        if len == u32::MAX {
            cells.push(None);
            continue;
        }
        let len = (len as usize).min(packed.len());
        cells.push(Some(packed[..len].to_vec()));
        packed = &packed[len..];
    }
    cells
}

/// A key value as a line can hold it.
fn shown(value: Option<&[u8]>) -> String {
    let Some(v) = value else { return "NULL".into() };
    let text = String::from_utf8_lossy(v);
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text.into_owned()
    }
}

fn hash(cell: Option<&[u8]>) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    cell.hash(&mut h);
    h.finish()
}

fn hashes(batch: &Batch, row: usize, forms: &[Spelling], scratch: &mut Vec<u8>) -> Box<[u64]> {
    batch.row(row).zip(forms).map(|(cell, form)| hash(cell.map(|v| form.spell(v, scratch)))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_keys_come_back_with_their_nulls() {
        let mut b = Batch::new(2, 1, 16);
        b.push(b"7");
        b.push_null();
        let mut out = Vec::new();
        pack(&b, 0, &[0, 1], &[Spelling::AsIs; 2], &mut Vec::new(), &mut out);
        assert_eq!(unpack(&out), vec![Some(b"7".to_vec()), None]);
    }

    #[test]
    fn engines_spellings_of_one_value_compare_alike() {
        let alike = |s: Spelling, a: &str, b: &str| {
            let (mut x, mut y) = (Vec::new(), Vec::new());
            s.spell(a.as_bytes(), &mut x) == s.spell(b.as_bytes(), &mut y)
        };
        assert!(alike(Spelling::Bool, "t", "1"));
        assert!(alike(Spelling::FixedChar, "Ann  ", "Ann"));
        assert!(alike(Spelling::Float, "-1e300", "-1e+300"));
        assert!(alike(Spelling::Decimal, "1.500", "1.5"));
        assert!(alike(Spelling::Time, "2024-01-01 00:00:00", "2024-01-01T00:00:00.000000+00"));
        assert!(alike(Spelling::Json, r#"{"b": 1, "a": [1]}"#, r#"{"a":[1],"b":1}"#));
        assert!(!alike(Spelling::Decimal, "1.5", "1.05"));
        assert!(!alike(Spelling::Time, "2024-01-01 00:00:00+01", "2024-01-01 00:00:00"));
        assert!(!alike(Spelling::AsIs, "Ann", "ann"));
    }

    #[test]
    fn a_verdict_says_each_finding_on_its_own_line() {
        let v = Verdict {
            table: TableName::new("public", "users"),
            expected: 3,
            found: 3,
            findings: vec![
                Finding { kind: Kind::Missing, column: None, count: 7, examples: vec!["id=1".into(), "id=2".into()] },
                Finding { kind: Kind::Original, column: Some("email".into()), count: 1, examples: vec!["id=3".into()] },
            ],
        };
        assert_eq!(
            v.to_string(),
            "table public.users: 7 rows missing from the target (id=1; id=2 and 5 more)\n\
             table public.users, column email: 1 value is the source's original value (id=3)"
        );
    }
}
