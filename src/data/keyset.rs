//! Sets of row keys (or of the values a foreign key points at): tuples of cells in the
//! source's text form, packed into one byte string each so a set costs one allocation per row.
//! A subset's sets share a memory budget; past it they spill to a scratch file on disk.

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};

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

/// Where the key sets of one subset spill once the keys held in memory outgrow a budget: one
/// scratch file (a redb B-tree, a table per spilled set) in a temporary directory. The file is
/// unlinked as soon as it is open, so it goes with the process however that ends.
pub struct Scratch {
    dir: PathBuf,
    /// Bytes all its sets may hold in memory before the one growing spills.
    budget: usize,
    used: AtomicUsize,
    db: OnceLock<Result<Database, String>>,
    tables: AtomicU64,
    spilled: AtomicU64,
    failure: Mutex<Option<String>>,
}

impl Scratch {
    pub fn new(dir: PathBuf, budget: usize) -> Arc<Self> {
        Arc::new(Scratch {
            dir,
            budget,
            used: AtomicUsize::new(0),
            db: OnceLock::new(),
            tables: AtomicU64::new(0),
            spilled: AtomicU64::new(0),
            failure: Mutex::new(None),
        })
    }

    /// An empty set that spills here.
    pub fn set(self: &Arc<Self>) -> KeySet {
        KeySet::spilling_to(Some(self.clone()))
    }

    /// Keys written to the scratch file so far.
    pub fn spilled(&self) -> u64 {
        self.spilled.load(Ordering::Relaxed)
    }

    /// The first error the scratch file gave: a set that met one may have answered wrongly, so
    /// whatever it chose must not be used.
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn fail(&self, what: &str, error: impl fmt::Display) {
        let mut failure = self.failure.lock().unwrap_or_else(|p| p.into_inner());
        if failure.is_none() {
            *failure = Some(format!("the subset's scratch file in {}: {what}: {error}", self.dir.display()));
        }
    }

    fn db(&self) -> Option<&Database> {
        let db = self.db.get_or_init(|| {
            let nanos =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
            let path = self.dir.join(format!("dbtwin-keys-{}-{nanos}.redb", std::process::id()));
            let db = Database::builder().set_cache_size(SCRATCH_CACHE).create(&path).map_err(|e| e.to_string())?;
            // The open file stays usable; where an open file cannot be removed, it is on drop.
            let _ = std::fs::remove_file(&path);
            tracing::debug!(path = %path.display(), "subset: key sets spill to a scratch file");
            Ok(db)
        });
        match db {
            Ok(db) => Some(db),
            Err(e) => {
                self.fail("creating it", e);
                None
            }
        }
    }

    fn charge(&self, bytes: usize) -> bool {
        self.used.fetch_add(bytes, Ordering::Relaxed) + bytes > self.budget
    }

    /// A set spills once it holds this much (and the budget is spent), so small sets stay in
    /// memory while a big one spends it; a tiny budget spills every set.
    fn spill_at(&self) -> usize {
        (self.budget / 16).min(SPILL_AT_LEAST)
    }

    fn refund(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// The scratch file's own page cache: what spilled keys cost in memory.
const SCRATCH_CACHE: usize = 16 << 20;
/// What a set holds at most before it spills, once the budget is spent.
const SPILL_AT_LEAST: usize = 1 << 20;
/// What one key costs in memory beyond its bytes: the box and the hash table's slot.
const PER_KEY: usize = 40;

/// The table a spilled set's keys are in.
fn spilled(name: &str) -> TableDefinition<'_, &'static [u8], ()> {
    TableDefinition::new(name)
}

/// A set of packed tuples: in memory, until its [`Scratch`] runs out of budget; then the keys
/// go to the scratch file and memory holds only what changed since the last spill.
#[derive(Default)]
pub struct KeySet {
    mem: HashSet<Packed>,
    /// Keys on disk removed since the last spill.
    removed: HashSet<Packed>,
    /// What `mem` and `removed` cost, charged to the scratch.
    bytes: usize,
    len: usize,
    scratch: Option<Arc<Scratch>>,
    disk: Option<Disk>,
}

struct Disk {
    name: String,
    /// A read view, opened at the first lookup after a spill.
    reader: RwLock<Option<redb::ReadOnlyTable<&'static [u8], ()>>>,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySet").field("len", &self.len).field("spilled", &self.disk.is_some()).finish()
    }
}

impl KeySet {
    fn spilling_to(scratch: Option<Arc<Scratch>>) -> KeySet {
        KeySet { mem: HashSet::new(), removed: HashSet::new(), bytes: 0, len: 0, scratch, disk: None }
    }

    /// An empty set that spills where this one does.
    pub fn emptied(&self) -> KeySet {
        KeySet::spilling_to(self.scratch.clone())
    }

    pub fn contains(&self, packed: &[u8]) -> bool {
        self.mem.contains(packed) || (self.disk.is_some() && !self.removed.contains(packed) && self.on_disk(packed))
    }

    /// `true` if the tuple was not there yet.
    pub fn insert(&mut self, packed: &[u8]) -> bool {
        if self.contains(packed) {
            return false;
        }
        self.len += 1;
        if self.removed.remove(packed) {
            self.uncharge(packed.len() + PER_KEY);
            return true;
        }
        self.mem.insert(packed.into());
        if self.charge(packed.len() + PER_KEY) {
            self.spill_if_big();
        }
        true
    }

    pub fn remove(&mut self, packed: &[u8]) -> bool {
        if self.mem.remove(packed) {
            self.len -= 1;
            self.uncharge(packed.len() + PER_KEY);
            return true;
        }
        if self.disk.is_none() || self.removed.contains(packed) || !self.on_disk(packed) {
            return false;
        }
        self.len -= 1;
        self.removed.insert(packed.into());
        if self.charge(packed.len() + PER_KEY) {
            self.spill_if_big();
        }
        true
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Calls `each` with every tuple, in no particular order.
    pub fn for_each(&self, mut each: impl FnMut(&[u8])) {
        for packed in &self.mem {
            each(packed);
        }
        let (Some(disk), Some(db)) = (&self.disk, self.scratch.as_ref().and_then(|s| s.db())) else { return };
        let mut read = || -> Result<(), redb::Error> {
            let table = db.begin_read()?.open_table(spilled(&disk.name))?;
            for entry in table.range(..)? {
                let (key, _) = entry?;
                let key = key.value();
                if !self.removed.contains(key) && !self.mem.contains(key) {
                    each(key);
                }
            }
            Ok(())
        };
        if let Err(e) = read() {
            self.fail("reading", e);
        }
    }

    /// The first error its scratch file gave, if any.
    pub fn failure(&self) -> Option<String> {
        self.scratch.as_ref().and_then(|s| s.failure())
    }

    fn charge(&mut self, bytes: usize) -> bool {
        self.bytes += bytes;
        self.scratch.as_ref().is_some_and(|s| s.charge(bytes))
    }

    fn uncharge(&mut self, bytes: usize) {
        self.bytes -= bytes;
        if let Some(s) = &self.scratch {
            s.refund(bytes);
        }
    }

    fn fail(&self, what: &str, error: impl fmt::Display) {
        if let Some(s) = &self.scratch {
            s.fail(what, error);
        }
    }

    fn on_disk(&self, packed: &[u8]) -> bool {
        let Some(disk) = &self.disk else { return false };
        let found = |table: &redb::ReadOnlyTable<&'static [u8], ()>| match table.get(packed) {
            Ok(found) => found.is_some(),
            Err(e) => {
                self.fail("looking up a key", e);
                false
            }
        };
        if let Some(table) = disk.reader.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
            return found(table);
        }
        let mut reader = disk.reader.write().unwrap_or_else(|p| p.into_inner());
        if reader.is_none() {
            let Some(db) = self.scratch.as_ref().and_then(|s| s.db()) else { return false };
            match db.begin_read().map_err(redb::Error::from).and_then(|r| Ok(r.open_table(spilled(&disk.name))?)) {
                Ok(table) => *reader = Some(table),
                Err(e) => {
                    self.fail("opening a set", e);
                    return false;
                }
            }
        }
        reader.as_ref().is_some_and(found)
    }

    fn spill_if_big(&mut self) {
        if self.scratch.as_ref().is_some_and(|s| self.bytes >= s.spill_at()) {
            self.spill();
        }
    }

    /// Writes what memory holds to the scratch file, in one transaction.
    fn spill(&mut self) {
        let Some(scratch) = self.scratch.clone() else { return };
        let Some(db) = scratch.db() else { return };
        let name = match &self.disk {
            Some(d) => d.name.clone(),
            None => format!("set{}", scratch.tables.fetch_add(1, Ordering::Relaxed)),
        };
        let write = || -> Result<(), redb::Error> {
            let mut tx = db.begin_write()?;
            tx.set_durability(Durability::None)?;
            {
                let mut table = tx.open_table(spilled(&name))?;
                for key in &self.mem {
                    table.insert(&**key, ())?;
                }
                for key in &self.removed {
                    table.remove(&**key)?;
                }
            }
            tx.commit()?;
            Ok(())
        };
        if let Err(e) = write() {
            // The keys stay in memory; the failure stops the run.
            scratch.fail("writing", e);
            return;
        }
        scratch.spilled.fetch_add(self.mem.len() as u64, Ordering::Relaxed);
        self.mem = HashSet::new();
        self.removed = HashSet::new();
        scratch.refund(self.bytes);
        self.bytes = 0;
        self.disk = Some(Disk { name, reader: RwLock::new(None) });
    }
}

impl Drop for KeySet {
    fn drop(&mut self) {
        if let Some(s) = &self.scratch {
            s.refund(self.bytes);
        }
        let (Some(disk), Some(db)) = (self.disk.take(), self.scratch.as_ref().and_then(|s| s.db())) else { return };
        drop(disk.reader);
        // Its pages go back to the file for the next set to spill.
        let gone = db.begin_write().map_err(redb::Error::from).and_then(|mut tx| {
            tx.set_durability(Durability::None)?;
            tx.delete_table(spilled(&disk.name))?;
            Ok(tx.commit()?)
        });
        if let Err(e) = gone {
            tracing::debug!("subset: dropping a spilled key set: {e}");
        }
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

    fn key(n: u32) -> Vec<u8> {
        [&4u32.to_le_bytes()[..], &n.to_le_bytes()].concat()
    }

    #[test]
    fn past_the_budget_keys_spill_and_answer_the_same() {
        let scratch = Scratch::new(std::env::temp_dir(), 2 << 20);
        let mut big = scratch.set();
        let mut small = scratch.set();
        for n in 0..100_000 {
            assert!(big.insert(&key(n)));
        }
        assert!(small.insert(&key(7)));
        assert!(scratch.spilled() >= 20_000, "spilled {}", scratch.spilled());
        assert!(big.disk.is_some() && small.disk.is_none(), "a small set stays in memory");
        assert_eq!(big.len(), 100_000);
        assert!(!big.insert(&key(5)) && !big.insert(&key(99_999)), "spilled keys are there");
        assert!(big.contains(&key(12_345)) && !big.contains(&key(100_000)));
        assert!(big.remove(&key(12_345)) && !big.contains(&key(12_345)) && !big.remove(&key(12_345)));
        assert!(big.insert(&key(12_345)), "a removed key comes back");
        assert!(big.remove(&key(3)));
        let mut seen = Vec::new();
        big.for_each(|k| seen.push(u32::from_le_bytes(k[4..].try_into().unwrap())));
        seen.sort();
        assert_eq!(seen.len(), 99_999);
        assert_eq!(seen, (0..100_000).filter(|&n| n != 3).collect::<Vec<_>>());
        assert_eq!(scratch.failure(), None);
        drop(big);
        let mut again = scratch.set();
        assert!(again.insert(&key(1)) && again.contains(&key(1)) && !again.contains(&key(2)));
    }

    #[test]
    fn a_scratch_file_that_cannot_be_made_is_a_failure_not_a_wrong_answer() {
        let scratch = Scratch::new(PathBuf::from("/nonexistent/dbtwin"), 0);
        let mut set = scratch.set();
        for n in 0..50_000 {
            set.insert(&key(n));
        }
        assert!(set.contains(&key(49_999)), "the keys stay in memory");
        let failure = scratch.failure().expect("a failure");
        assert!(failure.starts_with("the subset's scratch file in /nonexistent/dbtwin: creating it: "), "{failure}");
    }
}
