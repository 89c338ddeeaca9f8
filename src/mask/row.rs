//! A table's masking as a whole row at a time: per column the rules tried in order (the first
//! whose `when` matches applies; no match keeps the value), templates built last from the
//! row's masked values.

use super::condition::Expr;
use super::keyring::Keyring;
use super::masker::Masker;
use super::template::Template;
use crate::data::batch::Batch;

#[derive(Debug)]
pub enum Action {
    Value(Masker),
    /// A template and the length limit of its column.
    Template {
        template: Template<usize>,
        max_chars: Option<usize>,
        declared_type: String,
    },
}

#[derive(Debug)]
pub struct BoundRule {
    pub when: Option<Expr<usize>>,
    pub action: Action,
}

/// The rules of one column.
#[derive(Debug)]
pub struct ColumnRules {
    /// Position of the column in the batch.
    pub index: usize,
    pub column: String,
    pub rules: Vec<BoundRule>,
    /// Chosen from the column's name and type (short form), not named in the config.
    pub inferred: bool,
    /// The key whose rule it follows (`public.people.email`): it references that key.
    pub follows: Option<String>,
}

impl ColumnRules {
    /// The mask of a column with one unconditional value rule: every value it writes is that
    /// mask's.
    pub fn only_mask(&self) -> Option<&Masker> {
        match self.rules.as_slice() {
            [only] if only.when.is_none() => match &only.action {
                Action::Value(m) => Some(m),
                Action::Template { .. } => None,
            },
            _ => None,
        }
    }

    pub fn has_template(&self) -> bool {
        self.rules.iter().any(|r| matches!(r.action, Action::Template { .. }))
    }

    /// How the plan and the summary describe the rules: `email`, `keep when …, name`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .rules
            .iter()
            .map(|r| {
                let kind = match &r.action {
                    Action::Value(m) => m.kind().name(),
                    Action::Template { .. } => "template",
                };
                if r.when.is_some() { format!("{kind} (conditional)") } else { kind.to_string() }
            })
            .collect();
        let rules = parts.join(", then ");
        match &self.follows {
            Some(key) => format!("{rules}, follows {key}"),
            None => rules,
        }
    }
}

/// A value that could not be masked.
#[derive(Debug, thiserror::Error)]
#[error("column {column}, row {row} of the read: {reason}")]
pub struct MaskError {
    pub column: String,
    pub row: u64,
    pub reason: String,
}

#[derive(Debug)]
pub struct RowMask {
    /// Value rules first, then columns with a template, so templates see masked values.
    columns: Vec<ColumnRules>,
}

impl RowMask {
    /// `columns` in any order; the plan has checked that templates only read columns without
    /// templates of their own.
    pub fn new(mut columns: Vec<ColumnRules>) -> Self {
        columns.sort_by_key(|c| (c.has_template(), c.index));
        RowMask { columns }
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    pub fn columns(&self) -> &[ColumnRules] {
        &self.columns
    }

    /// Append every row of `input` to `out`, masked. `first_row` numbers the rows for errors.
    pub fn apply(&self, input: &Batch, keys: &Keyring, out: &mut Batch, first_row: u64) -> Result<(), MaskError> {
        let width = input.width();
        let mut slot_of = vec![usize::MAX; width];
        for (slot, c) in self.columns.iter().enumerate() {
            slot_of[c.index] = slot;
        }
        // Masked values of the current row: a range into `buf`, `None` for NULL.
        let mut buf = Vec::new();
        let mut ranges: Vec<Option<std::ops::Range<usize>>> = vec![None; self.columns.len()];
        let mut scratch = Vec::new();
        for row in 0..input.rows() {
            buf.clear();
            let original = |i: usize| input.cell(row, i);
            for (slot, col) in self.columns.iter().enumerate() {
                let rule = col.rules.iter().find(|r| r.when.as_ref().is_none_or(|w| w.matches(&original)));
                let start = buf.len();
                let present =
                    match rule.map(|r| &r.action) {
                        None => match original(col.index) {
                            Some(v) => {
                                buf.extend_from_slice(v);
                                true
                            }
                            None => false,
                        },
                        Some(Action::Value(m)) => {
                            let present = m.apply(original(col.index), keys, &mut scratch).map_err(|reason| {
                                MaskError { column: col.column.clone(), row: first_row + row as u64 + 1, reason }
                            })?;
                            buf.extend_from_slice(&scratch);
                            present
                        }
                        Some(Action::Template { template, max_chars, declared_type }) => match original(col.index) {
                            None => false,
                            Some(_) => {
                                let (done, _) = buf.split_at(start);
                                let target = |i: usize, orig: bool| -> Option<&[u8]> {
                                    let slot = slot_of[i];
                                    if orig || slot == usize::MAX {
                                        return original(i);
                                    }
                                    ranges[slot].clone().map(|r| &done[r])
                                };
                                scratch.clear();
                                template.render(&target, &mut scratch);
                                if let Some(max) = max_chars {
                                    let len = String::from_utf8_lossy(&scratch).chars().count();
                                    if len > *max {
                                        return Err(MaskError {
                                            column: col.column.clone(),
                                            row: first_row + row as u64 + 1,
                                            reason: format!(
                                                "template result is {len} characters, longer than {declared_type}"
                                            ),
                                        });
                                    }
                                }
                                buf.extend_from_slice(&scratch);
                                true
                            }
                        },
                    };
                ranges[slot] = present.then_some(start..buf.len());
            }
            for (col, &slot) in slot_of.iter().enumerate() {
                match slot {
                    usize::MAX => out.push_cell(input.cell(row, col)),
                    slot => out.push_cell(ranges[slot].clone().map(|r| &buf[r])),
                }
            }
        }
        Ok(())
    }
}
