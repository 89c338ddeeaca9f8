//! The two sides of one table's comparison, each on its own task: the source's rows through the
//! copy's stages, the target's rows as they are. Every row leaves as its key, spelled alike and
//! packed, and one hash per column, so the matching task compares numbers only.

use std::sync::Arc;

use tokio::sync::mpsc;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use super::spelling::Spelling;
use super::verdict::EXAMPLES;
use crate::data::batch::Batch;
use crate::data::channel::BatchReceiver;
use crate::engine::EngineError;
use crate::mask::{Keyring, Masker};
use crate::pipeline::stage::{Convert, Mask, Stage, Subset};
use crate::plan::TablePlan;

/// How rows of one table are keyed and spelled, the same for both sides.
pub struct Layout {
    /// Positions of what identifies a row: the key, or every compared column when the table
    /// has none.
    pub key: Vec<usize>,
    /// Per column, how its values are spelled alike before they are hashed.
    pub forms: Vec<Spelling>,
}

/// One batch of one side, as the matching needs it.
pub struct Hashed {
    keys: Vec<u8>,
    ends: Vec<usize>,
    cells: Vec<u64>,
    width: usize,
    /// Where the first row is in its side's read, counted from 1.
    pub first_at: u64,
}

impl Hashed {
    pub(super) fn new(batch: &Batch, layout: &Layout, first_at: u64, scratch: &mut Vec<u8>) -> Self {
        let (rows, width) = (batch.rows(), batch.width());
        let mut h = Hashed {
            keys: Vec::with_capacity(rows * 8),
            ends: Vec::with_capacity(rows),
            cells: Vec::with_capacity(rows * width),
            width,
            first_at,
        };
        for row in 0..rows {
            pack_into(batch, row, &layout.key, &layout.forms, scratch, &mut h.keys);
            h.ends.push(h.keys.len());
            for (cell, form) in batch.row(row).zip(&layout.forms) {
                h.cells.push(hash(cell.map(|v| form.spell(v, scratch))));
            }
        }
        h
    }

    pub fn rows(&self) -> usize {
        self.ends.len()
    }

    pub fn key(&self, row: usize) -> &[u8] {
        let start = if row == 0 { 0 } else { self.ends[row - 1] };
        &self.keys[start..self.ends[row]]
    }

    pub fn cells(&self, row: usize) -> &[u64] {
        &self.cells[row * self.width..(row + 1) * self.width]
    }
}

/// The hashes of every original value of the masked columns checked for originals, sorted:
/// eight bytes a row, looked up once the whole table has been read.
pub struct Originals(Vec<Option<Vec<u64>>>);

impl Originals {
    #[cfg(test)]
    pub fn none() -> Self {
        Originals(Vec::new())
    }

    pub fn contains(&self, column: usize, hash: u64) -> bool {
        self.0.get(column).and_then(Option::as_ref).is_some_and(|all| all.binary_search(&hash).is_ok())
    }
}

/// The source's side: what the copy would write, hashed, and the originals of the columns in
/// `originals_of`.
pub async fn expected(
    plan: Arc<TablePlan>,
    keys: Arc<Keyring>,
    layout: Arc<Layout>,
    originals_of: Vec<bool>,
    mut from_source: BatchReceiver,
    to_match: mpsc::Sender<Hashed>,
) -> Result<Originals, EngineError> {
    let width = plan.read.columns.len();
    let mut subset = plan.keep.as_ref().map(|keep| Subset { keep, packed: Vec::new() });
    let mask = (!plan.masks.is_empty()).then_some(Mask { rules: &plan.masks, keys: &keys });
    let mut convert = (!plan.convert.is_empty()).then(|| Convert::new(width, &plan.convert));
    let mut originals: Vec<Option<Vec<u64>>> = originals_of.iter().map(|&o| o.then(Vec::new)).collect();
    let (mut read_rows, mut at, mut scratch) = (0u64, 1u64, Vec::new());
    while let Some(mut batch) = from_source.recv().await? {
        let rows = batch.rows() as u64;
        if let Some(s) = &mut subset {
            batch = s.apply(batch, read_rows)?;
        }
        let expected = match &mask {
            Some(m) => {
                let masked = m.masked(&batch, read_rows)?;
                let unmasked = match &mut convert {
                    Some(c) => c.apply(batch, read_rows)?,
                    None => batch,
                };
                note_originals(&unmasked, &layout.forms, &mut originals, &mut scratch);
                masked
            }
            None => batch,
        };
        let expected = match &mut convert {
            Some(c) => c.apply(expected, read_rows)?,
            None => expected,
        };
        read_rows += rows;
        let hashed = Hashed::new(&expected, &layout, at, &mut scratch);
        at += hashed.rows() as u64;
        if to_match.send(hashed).await.is_err() {
            break;
        }
    }
    for all in originals.iter_mut().flatten() {
        all.sort_unstable();
        all.dedup();
    }
    Ok(Originals(originals))
}

/// What the target's side found besides its rows, per column.
pub struct Found {
    /// The hash of every value of a column whose masks are not keyed, and where it was read:
    /// looked up among the originals once the source has been read.
    pub leaks: Vec<Vec<(u64, u64)>>,
    /// Values of a column whose masks are not keyed that do not have the mask's shape: how
    /// many, and where the first few were read.
    pub malformed: Vec<(u64, Vec<u64>)>,
}

impl Found {
    #[cfg(test)]
    pub fn nothing(width: usize) -> Self {
        Found { leaks: vec![Vec::new(); width], malformed: vec![(0, Vec::new()); width] }
    }
}

/// The target's side: its rows hashed; for the columns in `leaks_of` every value's hash, and for
/// those in `shapes_of` whether each value has its mask's shape.
pub async fn found(
    plan: Arc<TablePlan>,
    layout: Arc<Layout>,
    leaks_of: Vec<bool>,
    shapes_of: Vec<bool>,
    mut from_target: BatchReceiver,
    to_match: mpsc::Sender<Hashed>,
) -> Result<Found, EngineError> {
    let width = leaks_of.len();
    let mut shapes: Vec<Option<&Masker>> = vec![None; width];
    for rules in plan.masks.columns() {
        if shapes_of.get(rules.index) == Some(&true) {
            shapes[rules.index] = rules.only_mask();
        }
    }
    let mut found = Found { leaks: vec![Vec::new(); width], malformed: vec![(0, Vec::new()); width] };
    let (mut at, mut scratch) = (1u64, Vec::new());
    while let Some(batch) = from_target.recv().await? {
        for row in 0..batch.rows() {
            let row_at = at + row as u64;
            for c in 0..width {
                let Some(cell) = batch.cell(row, c) else { continue };
                if leaks_of[c] && !cell.is_empty() {
                    found.leaks[c].push((hash(Some(layout.forms[c].spell(cell, &mut scratch))), row_at));
                }
                if let Some(mask) = shapes[c]
                    && mask.well_formed(cell) == Some(false)
                {
                    let (count, examples) = &mut found.malformed[c];
                    *count += 1;
                    if examples.len() < EXAMPLES {
                        examples.push(row_at);
                    }
                }
            }
        }
        let hashed = Hashed::new(&batch, &layout, at, &mut scratch);
        at += hashed.rows() as u64;
        if to_match.send(hashed).await.is_err() {
            break;
        }
    }
    Ok(found)
}

fn note_originals(batch: &Batch, forms: &[Spelling], originals: &mut [Option<Vec<u64>>], scratch: &mut Vec<u8>) {
    for (c, all) in originals.iter_mut().enumerate() {
        let Some(all) = all else { continue };
        for row in 0..batch.rows() {
            if let Some(cell) = batch.cell(row, c).filter(|v| !v.is_empty()) {
                all.push(hash(Some(forms[c].spell(cell, scratch))));
            }
        }
    }
}

/// A cell's hash; NULL has its own, apart from every value's (the empty text's too).
pub fn hash(cell: Option<&[u8]>) -> u64 {
    match cell {
        Some(v) => xxh3_64(v),
        None => xxh3_64_with_seed(b"", 0x4e55_4c4c),
    }
}

/// The cells at `columns`, each spelled alike, appended to `out` as a 4-byte length
/// (`u32::MAX` for NULL) and its bytes.
pub(super) fn pack_into(
    batch: &Batch,
    row: usize,
    columns: &[usize],
    forms: &[Spelling],
    scratch: &mut Vec<u8>,
    out: &mut Vec<u8>,
) {
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

/// A packed key's cells again, for naming a row.
pub fn unpack(mut packed: &[u8]) -> Vec<Option<Vec<u8>>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_keys_come_back_with_their_nulls() {
        let mut b = Batch::new(2, 1, 16);
        b.push(b"7");
        b.push_null();
        let mut out = Vec::new();
        pack_into(&b, 0, &[0, 1], &[Spelling::AsIs; 2], &mut Vec::new(), &mut out);
        assert_eq!(unpack(&out), vec![Some(b"7".to_vec()), None]);
    }

    #[test]
    fn a_batch_hashed_keeps_each_rows_key_and_cells_apart() {
        let mut b = Batch::new(2, 2, 16);
        for cell in [Some(&b"1"[..]), Some(b"x"), Some(b"2"), None] {
            match cell {
                Some(v) => b.push(v),
                None => b.push_null(),
            }
        }
        let layout = Layout { key: vec![0], forms: vec![Spelling::AsIs; 2] };
        let h = Hashed::new(&b, &layout, 5, &mut Vec::new());
        assert_eq!(h.rows(), 2);
        assert_eq!(unpack(h.key(1)), vec![Some(b"2".to_vec())]);
        assert_eq!(h.cells(1)[1], hash(None));
        assert_ne!(hash(None), hash(Some(b"")));
        assert_eq!(h.cells(0)[1], hash(Some(b"x")));
    }
}
