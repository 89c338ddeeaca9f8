//! Sets of row keys (or of the values a foreign key points at): tuples of cells in the
//! source's text form, packed into one byte string each so a set costs one allocation per row.

use std::collections::HashSet;

use super::batch::Batch;

/// One packed tuple: each cell as its length (4 bytes, little-endian) and bytes.
pub type Packed = Box<[u8]>;

/// Packs the cells at `columns` of one row into `out` (cleared first). `false` when a cell is
/// NULL: such a tuple identifies nothing and references nothing.
pub fn pack(batch: &Batch, row: usize, columns: &[usize], out: &mut Vec<u8>) -> bool {
    out.clear();
    for &c in columns {
        let Some(cell) = batch.cell(row, c) else { return false };
        out.extend_from_slice(&(cell.len() as u32).to_le_bytes());
        out.extend_from_slice(cell);
    }
    true
}

/// The cells of a packed tuple again, in order.
pub fn cells(mut packed: &[u8]) -> Vec<&[u8]> {
    let mut cells = Vec::new();
    while packed.len() >= 4 {
        let len = (u32::from_le_bytes(packed[..4].try_into().expect("four bytes")) as usize).min(packed.len() - 4);
        cells.push(&packed[4..4 + len]);
        packed = &packed[4 + len..];
    }
    cells
}

#[derive(Clone, Debug, Default)]
pub struct KeySet {
    set: HashSet<Packed>,
}

impl KeySet {
    pub fn contains(&self, packed: &[u8]) -> bool {
        self.set.contains(packed)
    }

    /// `true` if the tuple was not there yet.
    pub fn insert(&mut self, packed: &[u8]) -> bool {
        !self.set.contains(packed) && self.set.insert(packed.into())
    }

    pub fn remove(&mut self, packed: &[u8]) -> bool {
        self.set.remove(packed)
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.set.iter().map(|p| &**p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples_pack_apart_and_null_identifies_nothing() {
        let mut b = Batch::new(3, 2, 64);
        for cell in [Some(&b"ab"[..]), Some(b"c"), None, Some(b"a"), Some(b"bc"), Some(b"")] {
            b.push_cell(cell);
        }
        let (mut one, mut two) = (Vec::new(), Vec::new());
        assert!(pack(&b, 0, &[0, 1], &mut one));
        assert!(pack(&b, 1, &[0, 1], &mut two));
        assert_ne!(one, two, "ab|c and a|bc are different keys");
        assert_eq!(one, [&2u32.to_le_bytes()[..], b"ab", &1u32.to_le_bytes(), b"c"].concat());
        assert_eq!(cells(&one), vec![&b"ab"[..], b"c"]);
        assert!(!pack(&b, 0, &[1, 2], &mut one));
        let mut set = KeySet::default();
        assert!(set.insert(&two) && !set.insert(&two));
        assert!(set.contains(&two) && !set.contains(b"x"));
        assert!(set.remove(&two) && set.is_empty());
    }
}
