//! One table's rows matched by key as the two sides deliver them, and the findings they make.
//!
//! Both sides are read in key order, so the next row of each is nearly always the other's twin:
//! rows are compared at the heads of the two queues without a lookup. A row whose twin is not
//! at the other head waits in a map until it arrives, so when the engines order the key the
//! same way (numbers, dates, text under one collation) memory stays at a few batches, and when
//! they do not (a masked key, two collations) the maps hold the unmatched rows, eight bytes a
//! column; the answer is the same either way.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};

use tokio::sync::mpsc;

use super::side::{Found, Hashed, Layout, Originals, unpack};
use super::spelling::Spelling;
use super::verdict::{EXAMPLES, Finding, Kind, Verdict};
use crate::engine::ReadRequest;
use crate::mask::row::ColumnRules;
use crate::plan::TablePlan;
use crate::schema::TableName;

/// How one column of the target is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
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

/// A row waiting for its twin from the other side: a hash per column, where it was read, and
/// how many equal rows wait (a table without a key may repeat a row).
struct Waiting {
    cells: Box<[u64]>,
    at: u64,
    count: u32,
}

type WaitingRows = HashMap<Box<[u8]>, Waiting>;

/// One side's rows not yet matched, in the order they were read.
#[derive(Default)]
struct Queue {
    batches: VecDeque<Hashed>,
    next: usize,
}

impl Queue {
    fn push(&mut self, batch: Hashed) {
        if batch.rows() > 0 {
            self.batches.push_back(batch);
        }
    }

    fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    fn head(&self) -> Option<(&Hashed, usize)> {
        self.batches.front().map(|b| (b, self.next))
    }

    fn pop(&mut self) {
        self.next += 1;
        if self.batches.front().is_some_and(|b| self.next == b.rows()) {
            self.batches.pop_front();
            self.next = 0;
        }
    }
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

/// How a row is named in a finding.
struct Names {
    columns: Vec<String>,
    key: Vec<String>,
    /// The key holds a masked column: rows are named by position, not by key.
    key_masked: bool,
}

impl Names {
    /// A row by its key, or by its position in `side`'s read when a masked column is part of
    /// the key (a masked key is not shown, and an original one would be the source's).
    fn label(&self, key: &[u8], at: u64, side: &str) -> String {
        if self.key_masked {
            return format!("row {at} of the {side}'s read");
        }
        let parts: Vec<String> =
            self.key.iter().zip(unpack(key)).map(|(name, v)| format!("{name}={}", shown(v.as_deref()))).collect();
        parts.join(", ")
    }
}

/// What the matched rows found.
struct Findings {
    checks: Vec<Check>,
    names: Names,
    differs: Vec<Tally>,
    mismatches: Vec<Mismatch>,
}

impl Findings {
    /// One row of each side with the same key.
    fn check(&mut self, expected: &[u64], found: &[u64], key: &[u8], at: u64) {
        for (c, check) in self.checks.iter().enumerate() {
            if expected[c] == found[c] {
                continue;
            }
            match check {
                Check::Equal => self.differs[c].add(|| self.names.label(key, at, "source")),
                Check::Masked => {
                    let label = (self.mismatches.len() < EXAMPLES * self.checks.len())
                        .then(|| self.names.label(key, at, "source"));
                    self.mismatches.push(Mismatch { column: c, hash: found[c], label });
                }
                Check::Leak | Check::Skip => {}
            }
        }
    }
}

pub struct Matcher {
    findings: Findings,
    expected: Queue,
    found: Queue,
    waiting_expected: WaitingRows,
    waiting_found: WaitingRows,
    pub expected_rows: u64,
    pub found_rows: u64,
}

impl Matcher {
    /// The matcher of `plan`'s table as the target reads it back (`found`), and the layout both
    /// sides hash their rows by. `exact`: the masks are keyed, so each masked value can be
    /// worked out again.
    pub fn new(plan: &TablePlan, found: &ReadRequest, exact: bool) -> (Self, Layout) {
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
        let forms = plan.write.columns.iter().map(Spelling::of).collect();
        Self::of(checks, by_key, found.columns.clone(), forms)
    }

    /// The matcher of a table whose columns are checked by `checks`, keyed by the columns at
    /// `key` (none: every compared column).
    fn of(checks: Vec<Check>, key: Vec<usize>, columns: Vec<String>, forms: Vec<Spelling>) -> (Self, Layout) {
        let width = checks.len();
        let key = if key.is_empty() {
            (0..width).filter(|&c| matches!(checks[c], Check::Equal | Check::Masked)).collect()
        } else {
            key
        };
        let names = Names {
            key: key.iter().map(|&c: &usize| columns[c].clone()).collect(),
            key_masked: key.iter().any(|&c| checks[c] != Check::Equal),
            columns,
        };
        let layout = Layout { key, forms };
        let findings =
            Findings { differs: (0..width).map(|_| Tally::default()).collect(), checks, names, mismatches: Vec::new() };
        let matcher = Matcher {
            findings,
            expected: Queue::default(),
            found: Queue::default(),
            waiting_expected: HashMap::new(),
            waiting_found: HashMap::new(),
            expected_rows: 0,
            found_rows: 0,
        };
        (matcher, layout)
    }

    /// The rows are told apart by a masked column (named by position, not key).
    pub fn key_masked(&self) -> bool {
        self.findings.names.key_masked
    }

    /// Per column: are the source's originals to be known (a masked column), and are the
    /// target's values to be looked up among them over the whole table (`Leak`)?
    pub fn originals_of(&self) -> Vec<bool> {
        self.findings.checks.iter().map(|c| matches!(c, Check::Masked | Check::Leak)).collect()
    }

    pub fn leaks_of(&self) -> Vec<bool> {
        self.findings.checks.iter().map(|c| *c == Check::Leak).collect()
    }

    /// Per column: is each target value to be checked for its mask's shape (the masks are not
    /// keyed, so the value itself cannot be worked out again)?
    pub fn shapes_of(&self) -> Vec<bool> {
        self.findings.checks.iter().map(|c| matches!(c, Check::Leak | Check::Skip)).collect()
    }

    /// Take batches from the side that is behind, so neither queue runs ahead of the other by
    /// more than a batch or two, until both sides end.
    pub async fn run(&mut self, from_source: &mut mpsc::Receiver<Hashed>, from_target: &mut mpsc::Receiver<Hashed>) {
        let (mut source_open, mut target_open, mut turn) = (true, true, false);
        while source_open || target_open {
            let take_source = match (source_open, target_open) {
                (true, false) => true,
                (false, _) => false,
                (true, true) => match (self.expected.is_empty(), self.found.is_empty()) {
                    (true, false) => true,
                    (false, true) => false,
                    _ => {
                        turn = !turn;
                        turn
                    }
                },
            };
            if take_source {
                match from_source.recv().await {
                    Some(batch) => {
                        self.expected_rows += batch.rows() as u64;
                        self.expected.push(batch);
                    }
                    None => source_open = false,
                }
            } else {
                match from_target.recv().await {
                    Some(batch) => {
                        self.found_rows += batch.rows() as u64;
                        self.found.push(batch);
                    }
                    None => target_open = false,
                }
            }
            self.settle();
            if !source_open && self.expected.is_empty() {
                self.drain_found();
            }
            if !target_open && self.found.is_empty() {
                self.drain_expected();
            }
        }
        self.drain_expected();
        self.drain_found();
    }

    /// Match the heads of the two queues until one is empty.
    fn settle(&mut self) {
        let Matcher { findings, expected, found, waiting_expected, waiting_found, .. } = self;
        while let (Some((e, i)), Some((f, j))) = (expected.head(), found.head()) {
            let (e_key, f_key, e_at) = (e.key(i), f.key(j), e.first_at + i as u64);
            if e_key == f_key {
                findings.check(e.cells(i), f.cells(j), e_key, e_at);
                expected.pop();
                found.pop();
            } else if let Some((twin, twin_at)) = take(waiting_expected, f_key) {
                findings.check(&twin, f.cells(j), f_key, twin_at);
                found.pop();
            } else if let Some((twin, _)) = take(waiting_found, e_key) {
                findings.check(e.cells(i), &twin, e_key, e_at);
                expected.pop();
            } else {
                wait(waiting_expected, e_key, e.cells(i), e_at);
                wait(waiting_found, f_key, f.cells(j), f.first_at + j as u64);
                expected.pop();
                found.pop();
            }
        }
    }

    /// The source's side has ended: the target's queued rows meet their twins in the map, or
    /// wait there as extra.
    fn drain_found(&mut self) {
        let Matcher { findings, found, waiting_expected, waiting_found, .. } = self;
        while let Some((f, j)) = found.head() {
            let (key, at) = (f.key(j), f.first_at + j as u64);
            match take(waiting_expected, key) {
                Some((twin, twin_at)) => findings.check(&twin, f.cells(j), key, twin_at),
                None => wait(waiting_found, key, f.cells(j), at),
            }
            found.pop();
        }
    }

    fn drain_expected(&mut self) {
        let Matcher { findings, expected, waiting_expected, waiting_found, .. } = self;
        while let Some((e, i)) = expected.head() {
            let (key, at) = (e.key(i), e.first_at + i as u64);
            match take(waiting_found, key) {
                Some((twin, _)) => findings.check(e.cells(i), &twin, key, at),
                None => wait(waiting_expected, key, e.cells(i), at),
            }
            expected.pop();
        }
    }

    /// The table's answer: rows left waiting are missing or extra; masked values that are not
    /// their rule's are told apart by `originals`; `leaks` (the target's values of columns
    /// whose masks are not keyed) are looked up among them.
    pub fn verdict(self, table: TableName, originals: &Originals, target: Found) -> Verdict {
        let Matcher { findings, waiting_expected, waiting_found, expected_rows, found_rows, .. } = self;
        let Findings { checks, names, differs, mismatches } = findings;
        let mut found = Vec::new();
        let mut missing = Tally::default();
        for (key, w) in sorted(waiting_expected) {
            for _ in 0..w.count {
                missing.add(|| names.label(&key, w.at, "source"));
            }
        }
        found.extend(missing.finding(Kind::Missing, None));
        let mut extra = Tally::default();
        for (key, w) in sorted(waiting_found) {
            for _ in 0..w.count {
                extra.add(|| names.label(&key, w.at, "target"));
            }
        }
        found.extend(extra.finding(Kind::Extra, None));
        let width = checks.len();
        let mut masked: Vec<Tally> = (0..width).map(|_| Tally::default()).collect();
        let mut original: Vec<Tally> = (0..width).map(|_| Tally::default()).collect();
        for m in mismatches {
            let tally =
                if originals.contains(m.column, m.hash) { &mut original[m.column] } else { &mut masked[m.column] };
            tally.count += 1;
            if let Some(label) = m.label.filter(|_| tally.examples.len() < EXAMPLES) {
                tally.examples.push(label);
            }
        }
        for (c, values) in target.leaks.into_iter().enumerate() {
            for (h, at) in values {
                if originals.contains(c, h) {
                    original[c].add(|| format!("row {at} of the target's read"));
                }
            }
        }
        let malformed = target.malformed.into_iter().map(|(count, at)| Tally {
            count,
            examples: at.into_iter().map(|at| format!("row {at} of the target's read")).collect(),
        });
        for (c, (((d, m), o), s)) in differs.into_iter().zip(masked).zip(original).zip(malformed).enumerate() {
            let name = &names.columns[c];
            found.extend(d.finding(Kind::Differs, Some(name.clone())));
            found.extend(m.finding(Kind::Masked, Some(name.clone())));
            found.extend(o.finding(Kind::Original, Some(name.clone())));
            found.extend(s.finding(Kind::Malformed, Some(name.clone())));
        }
        Verdict { table, expected: expected_rows, found: found_rows, findings: found, sampled: false, whole: None }
    }
}

/// A mask whose output cannot meet an original by chance: one unconditional rule with enough
/// keyed bits for a unique column (an email, a hash, a long id). Its output equal to an original
/// is the original, kept.
fn never_meets_an_original(rules: &ColumnRules) -> bool {
    rules.only_mask().is_some_and(|m| m.unique_safe().is_ok())
}

/// The waiting rows in the order they were read, so the examples are the same every run.
fn sorted(waiting: WaitingRows) -> Vec<(Box<[u8]>, Waiting)> {
    let mut all: Vec<_> = waiting.into_iter().collect();
    all.sort_by_key(|(_, w)| w.at);
    all
}

/// The waiting twin of `key`, if one waits: its cells and where it was read.
fn take(waiting: &mut WaitingRows, key: &[u8]) -> Option<(Box<[u64]>, u64)> {
    let w = waiting.get_mut(key)?;
    if w.count > 1 {
        w.count -= 1;
        return Some((w.cells.clone(), w.at));
    }
    waiting.remove(key).map(|w| (w.cells, w.at))
}

fn wait(waiting: &mut WaitingRows, key: &[u8], cells: &[u64], at: u64) {
    match waiting.entry(Box::from(key)) {
        Entry::Occupied(mut e) => e.get_mut().count += 1,
        Entry::Vacant(e) => {
            e.insert(Waiting { cells: cells.into(), at, count: 1 });
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::batch::Batch;

    /// Rows `(id, value)` in batches of two, hashed as a side sends them.
    fn sent(rows: &[(&str, &str)], layout: &Layout) -> mpsc::Receiver<Hashed> {
        let (tx, rx) = mpsc::channel(rows.len() + 1);
        let mut at = 1;
        for pair in rows.chunks(2) {
            let mut b = Batch::new(2, pair.len(), 64);
            for (id, v) in pair {
                b.push(id.as_bytes());
                b.push(v.as_bytes());
            }
            let h = Hashed::new(&b, layout, at, &mut Vec::new());
            at += h.rows() as u64;
            tx.try_send(h).expect("room for every batch");
        }
        rx
    }

    async fn matched(expected: &[(&str, &str)], found: &[(&str, &str)]) -> String {
        let (mut m, layout) =
            Matcher::of(vec![Check::Equal; 2], vec![0], vec!["id".into(), "v".into()], vec![Spelling::AsIs; 2]);
        m.run(&mut sent(expected, &layout), &mut sent(found, &layout)).await;
        m.verdict(TableName::new("public", "t"), &Originals::none(), Found::nothing(2)).to_string()
    }

    #[tokio::test]
    async fn rows_out_of_order_missing_extra_and_changed_are_each_found() {
        let source = [("1", "a"), ("2", "b"), ("3", "c"), ("4", "d"), ("5", "e"), ("6", "f")];
        assert_eq!(matched(&source, &source).await, "table public.t: 6 rows match");
        let target = [("1", "a"), ("3", "c"), ("2", "b"), ("5", "E"), ("6", "f"), ("7", "g")];
        assert_eq!(
            matched(&source, &target).await,
            "table public.t: 1 row missing from the target (id=4)\n\
             table public.t: 1 row in the target that the source does not give (id=7)\n\
             table public.t, column v: 1 value is not the source's (id=5)"
        );
    }

    #[tokio::test]
    async fn a_side_in_another_order_or_empty_still_matches_row_for_row() {
        let source = [("1", "a"), ("2", "b"), ("3", "c"), ("4", "d"), ("5", "e")];
        let reversed: Vec<_> = source.iter().rev().copied().collect();
        assert_eq!(matched(&source, &reversed).await, "table public.t: 5 rows match");
        assert_eq!(
            matched(&source, &[]).await,
            "table public.t: 5 rows missing from the target (id=1; id=2; id=3; id=4; id=5)"
        );
        assert_eq!(
            matched(&[], &source[..2]).await,
            "table public.t: 2 rows in the target that the source does not give (id=1; id=2)"
        );
    }
}
