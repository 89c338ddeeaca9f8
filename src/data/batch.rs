//! Rows on their way from a reader to a writer.
//!
//! A batch holds its cells in one buffer, each in the source engine's text form with the
//! engine's escaping removed (so `O'Brien\tx` is those bytes, not `O'Brien\\tx`), NULL kept apart
//! from the empty string. One allocation per batch, none per cell.

const NULL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct CellRef {
    start: u32,
    len: u32,
}

#[derive(Debug, Clone)]
pub struct Batch {
    width: usize,
    data: Vec<u8>,
    cells: Vec<CellRef>,
}

impl Batch {
    pub fn new(width: usize, rows: usize, bytes: usize) -> Self {
        Batch { width, data: Vec::with_capacity(bytes), cells: Vec::with_capacity(rows * width) }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn rows(&self) -> usize {
        self.cells.len().checked_div(self.width).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Bytes of cell data held, the measure readers flush on.
    pub fn byte_len(&self) -> usize {
        self.data.len()
    }

    pub fn push_null(&mut self) {
        self.cells.push(CellRef { start: 0, len: NULL });
    }

    pub fn push(&mut self, value: &[u8]) {
        let start = self.begin_cell();
        self.data.extend_from_slice(value);
        self.end_cell(start);
    }

    pub fn push_cell(&mut self, value: Option<&[u8]>) {
        match value {
            Some(v) => self.push(v),
            None => self.push_null(),
        }
    }

    /// Start a cell whose bytes the caller appends to [`Batch::buf`], then [`Batch::end_cell`].
    /// Lets a decoder unescape straight into the batch without an intermediate copy.
    pub fn begin_cell(&self) -> usize {
        self.data.len()
    }

    pub fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.data
    }

    pub fn end_cell(&mut self, start: usize) {
        let len = self.data.len() - start;
        assert!(self.data.len() < NULL as usize, "a batch holds under 4 GiB of cell data");
        self.cells.push(CellRef { start: start as u32, len: len as u32 });
    }

    /// Drop a partly pushed row (a decoder found it malformed) so the batch stays rectangular.
    pub fn truncate_rows(&mut self, rows: usize) {
        self.cells.truncate(rows * self.width);
    }

    pub fn cell(&self, row: usize, col: usize) -> Option<&[u8]> {
        let c = self.cells[row * self.width + col];
        (c.len != NULL).then(|| &self.data[c.start as usize..(c.start + c.len) as usize])
    }

    /// Iterate one row's cells.
    pub fn row(&self, row: usize) -> impl Iterator<Item = Option<&[u8]>> + '_ {
        (0..self.width).map(move |col| self.cell(row, col))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_round_trip_and_null_differs_from_empty() {
        let mut b = Batch::new(3, 2, 64);
        b.push(b"a");
        b.push_null();
        b.push(b"");
        let s = b.begin_cell();
        b.buf().extend_from_slice(b"xyz");
        b.end_cell(s);
        b.push(b"\t");
        b.push_null();
        assert_eq!(b.rows(), 2);
        assert_eq!(b.row(0).collect::<Vec<_>>(), vec![Some(&b"a"[..]), None, Some(&b""[..])]);
        assert_eq!(b.row(1).collect::<Vec<_>>(), vec![Some(&b"xyz"[..]), Some(&b"\t"[..]), None]);
        b.push_cell(Some(b"c"));
        b.push_cell(None);
        b.push_cell(Some(b""));
        assert_eq!(b.row(2).collect::<Vec<_>>(), vec![Some(&b"c"[..]), None, Some(&b""[..])]);
    }
}
