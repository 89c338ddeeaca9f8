//! Incremental tables: a run reads only the rows whose column is at or past the high-water mark
//! the last run left in the target's state table, less an overlap for rows committed late.
//!
//! The rule, as the README says it: a run reads `column >= mark - overlap`, where `mark` is the
//! largest value the column had in the previous run's snapshot, stored with the rows it covers.
//! A row whose transaction stamped it before that snapshot but committed after it carries a
//! value below the mark: the overlap (5 minutes for dates and timestamps by default, 0 for
//! numbers) is how late a commit may be and still be read. The first run, a config whose hash
//! differs from the stored one, and `--restart` read every row.

use crate::config::OverlapSpec;
use crate::data::dates;
use crate::engine::{Since, StateRow, StateWrite};
use crate::mask::Keyring;
use crate::schema::{Table, TableName, TypeClass};

use super::{Plan, TablePlan};

/// Seconds a date or timestamp column reads back by default.
pub const DEFAULT_SPAN: i64 = 300;

/// A table's incremental column, checked against the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incremental {
    pub column: String,
    pub overlap: Overlap,
}

/// How far back of the mark a run starts, in the column's own terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlap {
    /// A number column: this much less.
    Count(i64),
    /// A date or timestamp column: this many seconds earlier (a date, whole days).
    Seconds(i64),
}

/// The config's `incremental` and `overlap` for `table`, or the problem with them.
pub(super) fn resolve(table: &Table, column: &str, overlap: Option<&OverlapSpec>) -> Result<Incremental, String> {
    let at = |why: String| format!("table {}, incremental column {column}: {why}", table.name);
    let Some(c) = table.columns.iter().find(|c| c.name == column) else {
        return Err(at("the source table has no such column".into()));
    };
    let overlap = match (c.class, overlap) {
        (TypeClass::Int { .. }, None) => Overlap::Count(0),
        (TypeClass::Int { .. }, Some(OverlapSpec::Count(n))) if *n >= 0 => Overlap::Count(*n),
        (TypeClass::Int { .. }, Some(other)) => {
            return Err(at(format!(
                "overlap {} is not a count of 0 or more, which a number column needs",
                shown(other)
            )));
        }
        (TypeClass::Date | TypeClass::Timestamp | TypeClass::TimestampTz, None) => Overlap::Seconds(DEFAULT_SPAN),
        (TypeClass::Date | TypeClass::Timestamp | TypeClass::TimestampTz, Some(OverlapSpec::Span(s))) => {
            Overlap::Seconds(dates::parse_duration(s).map_err(|e| at(format!("overlap: {e}")))?)
        }
        (TypeClass::Date | TypeClass::Timestamp | TypeClass::TimestampTz, Some(OverlapSpec::Count(0))) => {
            Overlap::Seconds(0)
        }
        (TypeClass::Date | TypeClass::Timestamp | TypeClass::TimestampTz, Some(other)) => {
            return Err(at(format!(
                "overlap {} is not a span like 5m or 1h, which a {} needs",
                shown(other),
                c.class.a()
            )));
        }
        (class, _) => {
            return Err(at(format!(
                "its type {} is {}; an incremental column must grow when a row changes: an integer, a date or a \
                 timestamp",
                c.declared_type,
                class.label()
            )));
        }
    };
    Ok(Incremental { column: column.to_string(), overlap })
}

fn shown(spec: &OverlapSpec) -> String {
    match spec {
        OverlapSpec::Count(n) => n.to_string(),
        OverlapSpec::Span(s) => format!("{s:?}"),
    }
}

impl Incremental {
    /// Where a run reads from, given the last run's mark: `None` when the mark is not one of the
    /// column's values as this dbtwin reads them (then the run reads every row).
    pub fn lower_bound(&self, mark: &str) -> Option<String> {
        match self.overlap {
            Overlap::Count(n) => {
                let mark: i128 = mark.trim().parse().ok()?;
                Some((mark - i128::from(n)).to_string())
            }
            Overlap::Seconds(0) => Some(mark.to_string()),
            Overlap::Seconds(s) => {
                if let Some(days) = dates::parse_date(mark) {
                    // Whole days back, enough to cover the span.
                    return Some(dates::format_date(days - (s + 86_399) / 86_400));
                }
                let stamp = dates::parse_timestamp(mark)?;
                let mut out = Vec::new();
                stamp.format_shifted(-s, &mut out);
                String::from_utf8(out).ok()
            }
        }
    }
}

/// What a run knows of one incremental table before it reads: the mark of its own snapshot.
pub struct Marks {
    /// By index into the plan's tables; `None` for a table that is not incremental.
    pub tops: Vec<Option<Option<String>>>,
}

/// Settle, for every table of `plan`, which rows this run reads and the state row its load
/// writes: from `stored` (the state table's rows, ignored with `restart`), the marks of this
/// run's snapshot and the config hash. Returns, per incremental table, the line the summary
/// and the plan print.
#[allow(clippy::too_many_arguments)]
pub fn settle(
    plan: &mut Plan,
    stored: &[StateRow],
    marks: Marks,
    state_table: &TableName,
    keys: &Keyring,
    keyed: bool,
    selection: &str,
    run_started: &str,
) -> Vec<String> {
    let mut notes = Vec::new();
    for (table, top) in plan.tables.iter_mut().zip(marks.tops) {
        let (Some(inc), Some(top)) = (table.incremental.clone(), top) else { continue };
        let name = table.name().to_string();
        let config_hash = config_hash(table, keys, selection);
        let last = stored.iter().find(|s| s.table == name);
        let bound = match last {
            // Changed rows with this run's pseudonyms beside unchanged rows with the last run's
            // would break the joins between them.
            _ if !keyed && !table.masks.is_empty() => {
                Err("no secret or --seed, so its masks draw another key every run".to_string())
            }
            None => Err("its first run here".to_string()),
            Some(s) if s.config_hash != config_hash => Err("the config changed since the last run".to_string()),
            Some(s) if s.column.as_deref() != Some(inc.column.as_str()) => {
                Err("the last run had another incremental column".to_string())
            }
            Some(StateRow { watermark: None, .. }) => Err("the last run found no value to start from".to_string()),
            Some(StateRow { watermark: Some(mark), .. }) => {
                inc.lower_bound(mark).ok_or_else(|| format!("the stored mark {mark:?} cannot be read back"))
            }
        };
        let note = match &bound {
            Ok(from) => {
                let mark = last.and_then(|s| s.watermark.clone()).unwrap_or_default();
                format!(
                    "table {name}: incremental: rows with {} >= {from} (last mark {mark}, less {})",
                    inc.column, inc.overlap
                )
            }
            Err(why) => format!("table {name}: incremental: every row ({why})"),
        };
        if let Ok(from) = bound {
            table.read.filter.since = Some(Since { column: inc.column.clone(), value: from });
        }
        table.write.state = Some(StateWrite {
            table: state_table.clone(),
            row: StateRow {
                table: name,
                config_hash,
                column: Some(inc.column.clone()),
                // No row with a value: keep the last mark rather than start over next time.
                watermark: top.or_else(|| last.and_then(|s| s.watermark.clone())),
                run_started: run_started.to_string(),
            },
        });
        notes.push(note);
    }
    notes
}

impl std::fmt::Display for Overlap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Overlap::Count(n) => write!(f, "an overlap of {n}"),
            Overlap::Seconds(s) => write!(f, "an overlap of {s} s"),
        }
    }
}

/// A hash of everything that decides a table's rows in the target: the columns, their rules,
/// the selection (filter, subset), the mode and the incremental column. Keyed by the run's mask
/// key where the table is masked, so another secret (other pseudonyms) also reads in full, and
/// the hash says nothing of the rules to someone who reads the target.
pub fn config_hash(table: &TablePlan, keys: &Keyring, selection: &str) -> String {
    let f = &table.read.filter;
    let target: Vec<&str> = table.write.column_names().collect();
    let described = format!(
        "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{:?}|{}|{:?}|{:?}|{:?}|{:?}|{selection}",
        table.read.table,
        table.read.columns,
        f.condition,
        f.order_by,
        f.limit,
        f.key,
        table.write.table,
        target,
        table.write.mode,
        table.write.key,
        table.masks,
        table.convert,
        table.incremental.as_ref().map(|i| &i.column),
    );
    // Unmasked, the rows do not depend on the key (and a run without a secret draws a new one).
    let digest = if table.masks.is_empty() {
        *blake3::hash(described.as_bytes()).as_bytes()
    } else {
        keys.digest("dbtwin state config hash", described.as_bytes())
    };
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;

    fn table(class: TypeClass) -> Table {
        let mut t = Table::new(TableName::new("public", "orders"));
        t.columns = vec![Column::new("id", "int", TypeClass::Int { bytes: 4 }), Column::new("at", "x", class)];
        t
    }

    #[test]
    fn the_overlap_reads_back_in_the_column_terms() {
        let ts = resolve(&table(TypeClass::TimestampTz), "at", None).unwrap();
        assert_eq!(ts.overlap, Overlap::Seconds(300));
        assert_eq!(ts.lower_bound("2026-12-04 10:02:00.25+00").as_deref(), Some("2026-12-04 09:57:00.25+00"));
        assert_eq!(ts.lower_bound("2026-01-01 00:01:00").as_deref(), Some("2025-12-31 23:56:00"));
        assert_eq!(ts.lower_bound("2026-01-01").as_deref(), Some("2025-12-31"));
        assert_eq!(ts.lower_bound("yesterday"), None);
        let n = resolve(&table(TypeClass::Int { bytes: 8 }), "at", Some(&OverlapSpec::Count(10))).unwrap();
        assert_eq!(n.lower_bound("105").as_deref(), Some("95"));
        let exact = resolve(&table(TypeClass::Timestamp), "at", Some(&OverlapSpec::Count(0))).unwrap();
        assert_eq!(exact.lower_bound("2026-01-01 00:01:00").as_deref(), Some("2026-01-01 00:01:00"));
    }

    #[test]
    fn a_column_that_cannot_mark_progress_is_refused() {
        let err = resolve(&table(TypeClass::Text), "at", None).unwrap_err();
        assert!(err.starts_with("table public.orders, incremental column at: its type x is text; "), "{err}");
        let err = resolve(&table(TypeClass::Text), "nope", None).unwrap_err();
        assert_eq!(err, "table public.orders, incremental column nope: the source table has no such column");
        let err =
            resolve(&table(TypeClass::Int { bytes: 4 }), "at", Some(&OverlapSpec::Span("5m".into()))).unwrap_err();
        assert!(err.contains("overlap \"5m\" is not a count"), "{err}");
        let err = resolve(&table(TypeClass::Date), "at", Some(&OverlapSpec::Span("soon".into()))).unwrap_err();
        assert!(err.contains("overlap: duration \"soon\""), "{err}");
    }
}
