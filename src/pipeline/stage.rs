//! What happens to a batch between reader and writer: each [`Stage`] takes a batch and gives
//! the one to pass on. A stage builds a fresh, right-sized batch rather than patching in place:
//! appended values would double the old buffer's capacity, and memory per batch is what keeps a
//! run's footprint bounded.

use crate::convert;
use crate::data::batch::Batch;
use crate::data::keyset::pack;
use crate::engine::EngineError;
use crate::mask::Keyring;
use crate::mask::row::RowMask;
use crate::plan::{ColumnConvert, Keep};

pub trait Stage: Send {
    /// `first_row` counts the rows of the table before this batch (for error messages).
    fn apply(&mut self, batch: Batch, first_row: u64) -> Result<Batch, EngineError>;
}

/// The table's mask rules, with the run's key.
pub struct Mask<'a> {
    pub rules: &'a RowMask,
    pub keys: &'a Keyring,
}

impl Mask<'_> {
    /// The masked copy of `batch`, which stays as it was (verify compares both).
    pub fn masked(&self, batch: &Batch, first_row: u64) -> Result<Batch, EngineError> {
        let mut masked = Batch::new(batch.width(), batch.rows(), room(batch));
        self.rules.apply(batch, self.keys, &mut masked, first_row).map_err(|e| EngineError::Data(e.to_string()))?;
        Ok(masked)
    }
}

impl Stage for Mask<'_> {
    fn apply(&mut self, batch: Batch, first_row: u64) -> Result<Batch, EngineError> {
        self.masked(&batch, first_row)
    }
}

/// Only the rows a subset chose, by key, on the source's values (before any mask).
pub struct Subset<'a> {
    pub keep: &'a Keep,
    pub packed: Vec<u8>,
}

impl Stage for Subset<'_> {
    fn apply(&mut self, batch: Batch, _first_row: u64) -> Result<Batch, EngineError> {
        let mut kept = Batch::new(batch.width(), batch.rows(), batch.byte_len());
        for row in 0..batch.rows() {
            if pack(&batch, row, &self.keep.key, &mut self.packed) && self.keep.rows.contains(&self.packed) {
                for cell in batch.row(row) {
                    kept.push_cell(cell);
                }
            }
        }
        if let Some(failure) = self.keep.rows.failure() {
            return Err(EngineError::Data(failure));
        }
        Ok(kept)
    }
}

/// The columns a table loads without (NULL), to be filled in by a second pass.
pub struct Nulls<'a> {
    pub columns: &'a [usize],
}

impl Stage for Nulls<'_> {
    fn apply(&mut self, batch: Batch, _first_row: u64) -> Result<Batch, EngineError> {
        let mut out = Batch::new(batch.width(), batch.rows(), batch.byte_len());
        for row in 0..batch.rows() {
            for (col, cell) in batch.row(row).enumerate() {
                out.push_cell(if self.columns.contains(&col) { None } else { cell });
            }
        }
        Ok(out)
    }
}

/// Conversions into the target engine's text forms, one slot per column.
pub struct Convert<'a> {
    slots: Vec<Option<&'a ColumnConvert>>,
    /// Reused from value to value, so a conversion allocates nothing once they have grown.
    out: Vec<u8>,
    scratch: Vec<u8>,
}

impl<'a> Convert<'a> {
    pub fn new(width: usize, conversions: &'a [ColumnConvert]) -> Self {
        let mut slots = vec![None; width];
        for c in conversions {
            slots[c.index] = Some(c);
        }
        Convert { slots, out: Vec::new(), scratch: Vec::new() }
    }

    /// The conversions of a batch that holds only the read's columns at `positions`, in that
    /// order (a key-only read).
    pub fn picking(positions: &[usize], conversions: &'a [ColumnConvert]) -> Self {
        let slots = positions.iter().map(|&p| conversions.iter().find(|c| c.index == p)).collect();
        Convert { slots, out: Vec::new(), scratch: Vec::new() }
    }
}

impl Stage for Convert<'_> {
    fn apply(&mut self, batch: Batch, first_row: u64) -> Result<Batch, EngineError> {
        let mut converted = Batch::new(batch.width(), batch.rows(), room(&batch));
        for row in 0..batch.rows() {
            for (col, conversion) in self.slots.iter().enumerate() {
                let cell = batch.cell(row, col);
                let Some(c) = conversion else {
                    converted.push_cell(cell);
                    continue;
                };
                let present = convert::apply(&c.steps, cell, &mut self.out, &mut self.scratch).map_err(|e| {
                    EngineError::Data(format!(
                        "column {}, row {} of the read: {e}",
                        c.column,
                        first_row + row as u64 + 1
                    ))
                })?;
                converted.push_cell(present.then_some(self.out.as_slice()));
            }
        }
        Ok(converted)
    }
}

/// A new batch's byte capacity: the old one's and an eighth, since masked values may be longer.
fn room(batch: &Batch) -> usize {
    batch.byte_len() + batch.byte_len() / 8
}
