//! Choosing a subset's rows before any row is copied: key-only scans of the source, in the
//! run's snapshot, round after round until no table gains a row, then rounds that leave out
//! rows whose parent is not copied. The chosen keys then travel with each table's plan, and the
//! copy keeps only those rows ([`super::stage::Keep`]). The source is only read.

use std::collections::HashMap;
use std::sync::Arc;

use crate::data::batch::Batch;
use crate::data::keyset::{KeySet, Scratch, cells, pack};
use crate::engine::{BatchLimits, EngineError, KeyList, ReadRequest, RowFilter, Source};
use crate::mask::Keyring;
use crate::plan::subset::{Edge, Reach, SubsetPlan};
use crate::plan::{Keep, Plan};

/// How much memory the subset's key sets may hold before they spill, and where to.
#[derive(Clone, Debug)]
pub struct Memory {
    pub bytes: usize,
    pub dir: std::path::PathBuf,
}

impl Memory {
    /// `mib` MiB, spilling into the system's temporary directory (`TMPDIR`).
    pub fn mib(mib: u32) -> Self {
        Memory { bytes: (mib as usize) << 20, dir: std::env::temp_dir() }
    }
}

/// How many rows one table got, and why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chosen {
    pub roots: u64,
    pub children: u64,
    pub parents: u64,
    pub whole: u64,
    /// Rows left out because a row they need is not copied.
    pub left_out: u64,
    /// The copy reads the chosen rows by their keys, not the whole table.
    pub listed: bool,
}

impl Chosen {
    pub fn rows(&self) -> u64 {
        self.roots + self.children + self.parents + self.whole - self.left_out
    }

    /// `12 rows (10 roots, 2 parents)`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            (self.roots, "root", "roots"),
            (self.children, "child", "children"),
            (self.parents, "parent", "parents"),
            (self.whole, "of the whole", "of the whole"),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
        .collect();
        let rows = self.rows();
        let mut text = format!("{rows} {}", if rows == 1 { "row" } else { "rows" });
        if !parts.is_empty() {
            text.push_str(&format!(" ({})", parts.join(", ")));
        }
        if self.left_out > 0 {
            text.push_str(&format!("; {} left out, as a row they need is not copied", self.left_out));
        }
        if self.listed {
            text.push_str("; read by their keys");
        }
        text
    }
}

/// One table's state while the subset grows.
struct State {
    /// Keys of the rows chosen so far.
    rows: KeySet,
    /// Per group above 0: the values of chosen rows.
    values: Vec<KeySet>,
    /// Keys of rows whose children are followed.
    down: KeySet,
    /// Per group: values of rows newly followed down, whose children are not looked for yet.
    new_down: Vec<KeySet>,
    /// Per `when` of the table's edges: keys of rows newly chosen whose parents through those
    /// edges are not asked for yet (a scan under the same `when` asks at once).
    new_up: Vec<KeySet>,
    /// Per group: values a chosen row references that are not found yet.
    wanted: Vec<KeySet>,
    /// Per group: values asked for that no copied row has.
    missing: Vec<KeySet>,
    /// The rows its own `limit` keeps, when it has one.
    candidates: Option<KeySet>,
    chosen: Chosen,
}

impl State {
    fn new(scratch: &Arc<Scratch>, groups: usize, variants: usize) -> Self {
        let sets = |n: usize| (0..n).map(|_| scratch.set()).collect::<Vec<_>>();
        State {
            rows: scratch.set(),
            values: sets(groups),
            down: scratch.set(),
            new_down: sets(groups),
            new_up: sets(variants),
            wanted: sets(groups),
            missing: sets(groups),
            candidates: None,
            chosen: Chosen::default(),
        }
    }

    fn has(&self, group: usize, value: &[u8]) -> bool {
        if group == 0 { self.rows.contains(value) } else { self.values[group].contains(value) }
    }
}

/// Why a row joins.
#[derive(Clone, Copy)]
enum Join {
    Root,
    Child,
    Parent,
    Whole,
}

type Tables = [crate::plan::subset::SubsetTable];

/// Chooses the rows of every tracked table and hands each table's plan its keys. Returns, per
/// tracked table, how many rows it got and why, as the run's notes say it
/// (`subset: public.customers: 8 rows (6 roots, …)`).
pub async fn choose(
    plan: &mut Plan,
    source: &dyn Source,
    keys: &Keyring,
    memory: Memory,
) -> Result<Vec<String>, EngineError> {
    let Some(subset) = plan.subset.as_ref() else { return Ok(Vec::new()) };
    let limits = plan.tables.first().map(|t| t.read.limits).unwrap_or(BatchLimits { rows: 10_000, bytes: 1 << 22 });
    let scratch = Scratch::new(memory.dir, memory.bytes);
    let scans = Scans::new(subset, source, limits, scratch.clone());
    let mut states: Vec<State> = subset
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| State::new(&scratch, t.groups.len(), scans.outs[i].len()))
        .collect();
    scans.start(&mut states, keys).await?;
    scans.grow(&mut states).await?;
    scans.prune(&mut states).await?;
    if let Some(failure) = scratch.failure() {
        return Err(EngineError::Data(failure));
    }
    if scratch.spilled() > 0 {
        tracing::info!(
            keys = scratch.spilled(),
            "subset: the chosen keys outgrew {} MiB of memory and went on to a scratch file",
            memory.bytes >> 20
        );
    }
    let mut out = Vec::new();
    let mut sets = Vec::new();
    for (t, state) in subset.tables.iter().zip(states) {
        if !t.tracked {
            continue;
        }
        out.push((t.relation.name.clone(), state.chosen.clone()));
        // A whole table that lost no row is copied as it is.
        let all_of_it = t.reach == Reach::Whole && state.chosen.left_out == 0 && t.filter.limit.is_none();
        sets.push((t.relation.name.clone(), (!all_of_it).then_some(state.rows)));
    }
    for (name, set) in sets {
        let Some(table) = plan.tables.iter_mut().find(|t| t.read.table.name == name) else { continue };
        let Some(set) = set else {
            table.keep = None;
            continue;
        };
        if set.is_empty() {
            // Nothing to read: the read asks for no rows.
            table.read.filter.limit = Some(0);
            table.keep = None;
            continue;
        }
        match table.keep.as_mut() {
            Some(keep) => {
                table.read.filter.keys = listed(&table.read, keep, &set, table.row_estimate);
                if table.read.filter.keys.is_some()
                    && let Some((_, chosen)) = out.iter_mut().find(|(n, _)| *n == name)
                {
                    chosen.listed = true;
                }
                keep.rows = Arc::new(set);
            }
            None => {
                return Err(EngineError::Data(format!(
                    "table {name}: the subset's key is not among the copied columns"
                )));
            }
        }
    }
    Ok(out.into_iter().map(|(table, chosen)| format!("subset: {table}: {}", chosen.describe())).collect())
}

/// The chosen rows as a key list the source reads by, when that beats reading the table: the
/// subset's key is the table's primary key (so each is an index lookup), the rows are few
/// next to the table's, and each key is text that can be bound. Otherwise `None`, and the copy
/// reads the table and keeps the chosen rows as they pass.
fn listed(read: &ReadRequest, keep: &Keep, set: &KeySet, estimate: Option<u64>) -> Option<KeyList> {
    let columns: Vec<String> = keep.key.iter().map(|&c| read.columns[c].clone()).collect();
    let by_primary_key = !read.filter.key.is_empty()
        && columns.len() == read.filter.key.len()
        && columns.iter().all(|c| read.filter.key.contains(c));
    if !by_primary_key || !few(set, estimate) {
        return None;
    }
    key_list_of(columns, set)
}

/// Keys that are few enough to be looked up one by one rather than found by reading the table.
fn few(keys: &KeySet, estimate: Option<u64>) -> bool {
    keys.len() <= LISTED_AT_MOST && estimate.is_some_and(|rows| keys.len() as u64 <= rows / LISTED_PART)
}

/// Packed keys as a key list of `columns`, or `None` if a cell is not text that can be bound.
fn key_list<'a>(columns: Vec<String>, packed: impl Iterator<Item = &'a [u8]>) -> Option<KeyList> {
    let rows = packed.map(text_cells).collect::<Option<Vec<Vec<String>>>>()?;
    Some(KeyList { columns, rows })
}

/// [`key_list`] of every key of a set.
fn key_list_of(columns: Vec<String>, set: &KeySet) -> Option<KeyList> {
    let mut rows = Some(Vec::with_capacity(set.len()));
    set.for_each(|p| {
        if let Some(list) = rows.as_mut() {
            match text_cells(p) {
                Some(row) => list.push(row),
                None => rows = None,
            }
        }
    });
    Some(KeyList { columns, rows: rows? })
}

fn text_cells(packed: &[u8]) -> Option<Vec<String>> {
    cells(packed).into_iter().map(|c| std::str::from_utf8(c).ok().map(String::from)).collect()
}

/// For `copy --dry-run`: each subset table's read narrowed to the first `n` of its chosen rows
/// (in key-byte order, so every dry run shows the same ones), so its preview shows rows the copy
/// would write rather than the table's first rows.
pub fn preview(plan: &mut Plan, n: usize) {
    for table in &mut plan.tables {
        let Some(keep) = &table.keep else { continue };
        if table.read.filter.keys.is_some() {
            continue;
        }
        let mut first: Vec<Vec<u8>> = Vec::with_capacity(n + 1);
        keep.rows.for_each(|packed| {
            if first.len() < n || first.last().is_some_and(|last| packed < last.as_slice()) {
                let at = first.partition_point(|k| k.as_slice() < packed);
                first.insert(at, packed.to_vec());
                first.truncate(n);
            }
        });
        let columns = keep.key.iter().map(|&c| table.read.columns[c].clone()).collect();
        if let Some(keys) = key_list(columns, first.iter().map(Vec::as_slice)) {
            table.read.filter.keys = Some(keys);
        }
    }
}

/// At most this many chosen keys are sent to the source (their text is held at once).
const LISTED_AT_MOST: usize = 200_000;
/// Keys are sent when they are at most this part of the table's rows: beyond it, one scan of the
/// table reads faster than a lookup per key.
const LISTED_PART: u64 = 20;

/// The subset's own SQL (each root's `where`/`order_by`, each relation's `when`) as reads of
/// no rows, labelled for the error when the source refuses one: run before anything moves.
pub fn probes(plan: &Plan) -> Vec<(String, ReadRequest)> {
    let Some(subset) = plan.subset.as_ref() else { return Vec::new() };
    let limits = plan.tables.first().map(|t| t.read.limits).unwrap_or(BatchLimits { rows: 1, bytes: 1 });
    let mut out = Vec::new();
    for (n, root) in subset.roots.iter().enumerate() {
        if root.condition.is_none() && root.order_by.is_none() {
            continue;
        }
        let filter = RowFilter {
            condition: root.condition.clone(),
            order_by: root.order_by.clone(),
            limit: root.limit,
            ..Default::default()
        };
        let name = &subset.tables[root.table].relation.name;
        let label = format!("subset: root {} (table {name}): where/order_by", n + 1);
        out.push((label, ReadRequest { sample: Some(0), ..request(subset, limits, root.table, None, filter) }));
    }
    for (t, table) in subset.tables.iter().enumerate() {
        for when in variants(subset, t).into_iter().flatten() {
            let label = format!("subset: relation from table {}: when {when}", table.relation.name);
            out.push((
                label,
                ReadRequest { sample: Some(0), ..request(subset, limits, t, Some(when), RowFilter::default()) },
            ));
        }
    }
    out
}

/// The key-only scans choosing the subset will run, labelled, for the plan a person reads
/// first: each root's, each table's own `limit`, the tables copied whole, and each tracked
/// table's scan in the rounds (once per `when` its edges read under). A round may look a
/// table's children up by key instead, when the parents turn out few (`-v` says so).
pub fn queries(plan: &Plan) -> Vec<(String, ReadRequest)> {
    let Some(subset) = plan.subset.as_ref() else { return Vec::new() };
    let limits = plan.tables.first().map(|t| t.read.limits).unwrap_or(BatchLimits { rows: 1, bytes: 1 });
    let scan = |t: usize, when: Option<&str>, filter: RowFilter| request(subset, limits, t, when, filter);
    let mut out = Vec::new();
    for (n, root) in subset.roots.iter().enumerate() {
        let filter = RowFilter {
            condition: root.condition.clone(),
            order_by: root.order_by.clone(),
            limit: root.limit,
            ..Default::default()
        };
        out.push((format!("root {}", n + 1), scan(root.table, None, filter)));
    }
    for (t, table) in subset.tables.iter().enumerate().filter(|(_, t)| t.tracked) {
        if table.filter.limit.is_some() {
            let own = RowFilter { condition: None, ..table.filter.clone() };
            out.push((format!("{}: its own limit", table.relation.name), scan(t, None, own)));
        }
        if table.reach == Reach::Whole {
            out.push((format!("{}: whole", table.relation.name), scan(t, None, RowFilter::default())));
        }
        // Without a `when`, a table is scanned for its parents' sake too.
        let parent = subset.edges.iter().any(|e| e.parent == t);
        let edges = |when: Option<&str>| subset.edges.iter().any(|e| e.child == t && e.when.as_deref() == when);
        for when in variants(subset, t) {
            if edges(when) || (when.is_none() && parent) {
                let label = format!(
                    "{}: rounds{}",
                    table.relation.name,
                    when.map(|w| format!(" (where {w})")).unwrap_or_default()
                );
                out.push((label, scan(t, when, RowFilter::default())));
            }
        }
    }
    out
}

/// Reads `request`, handing each batch to `look`, errors naming the subset's scan.
async fn scan(source: &dyn Source, request: &ReadRequest, look: impl FnMut(&Batch) + Send) -> Result<(), EngineError> {
    super::sample::scan(source, request, look).await.map_err(|e| match e {
        EngineError::Query { context, message } => {
            EngineError::Query { context: format!("subset: reading {}: {context}", request.table), message }
        }
        other => other,
    })
}

fn and(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("({a}) AND ({b})")),
        (a, b) => a.or(b),
    }
}

/// Where a row was read: its table, and the `when` (by index) its scan read under, so the
/// parents its edges under that `when` need are asked for at once.
#[derive(Clone, Copy)]
struct At<'a> {
    t: usize,
    variant: usize,
    /// The table's edges by `when`, as [`Scans::outs`].
    outs: &'a [Vec<usize>],
    edges: &'a [Edge],
}

/// Asks the parents of row `row` through `edges` for the values it references.
fn ask_parents(states: &mut [State], edges: &[Edge], which: &[usize], b: &Batch, row: usize, value: &mut Vec<u8>) {
    for &n in which {
        let e = &edges[n];
        if !pack(b, row, &e.columns, value) {
            continue;
        }
        let parent = &mut states[e.parent];
        if !parent.has(e.group, value) && !parent.missing[e.group].contains(value) {
            parent.wanted[e.group].insert(value);
        }
    }
}

/// Takes a table's row into the subset; `false` if it was there already or its table's own
/// `limit` leaves it out.
fn add(tables: &Tables, states: &mut [State], at: At, b: &Batch, row: usize, key: &[u8], join: Join) -> bool {
    let t = at.t;
    let groups = &tables[t].groups;
    let st = &mut states[t];
    if st.candidates.as_ref().is_some_and(|c| !c.contains(key)) {
        return false;
    }
    let mut packed = Vec::new();
    let new = st.rows.insert(key);
    if new {
        for (columns, values) in groups.iter().zip(&mut st.values).skip(1) {
            if pack(b, row, columns, &mut packed) {
                values.insert(&packed);
            }
        }
        for (v, (outs, up)) in at.outs.iter().zip(&mut st.new_up).enumerate() {
            if v != at.variant && !outs.is_empty() {
                up.insert(key);
            }
        }
        let count = match join {
            Join::Root => &mut st.chosen.roots,
            Join::Child => &mut st.chosen.children,
            Join::Parent => &mut st.chosen.parents,
            Join::Whole => &mut st.chosen.whole,
        };
        *count += 1;
    }
    if matches!(join, Join::Root | Join::Child) && st.down.insert(key) {
        for (g, columns) in groups.iter().enumerate() {
            if pack(b, row, columns, &mut packed) {
                st.new_down[g].insert(&packed);
            }
        }
    }
    if new {
        ask_parents(states, at.edges, &at.outs[at.variant], b, row, &mut packed);
    }
    new
}

/// The children of a round's new parent rows looked up by their keys, when that beats reading
/// the child table: one edge, whose columns lead an index of the child, and parents few next to
/// the child's rows. Without a cap, the children found are the same in whatever order they come.
fn lookup(child: &crate::plan::subset::SubsetTable, edge: &Edge, parents: &KeySet) -> Option<KeyList> {
    if !edge.indexed || !few(parents, child.row_estimate) {
        return None;
    }
    key_list_of(edge.columns.iter().map(|&c| child.columns[c].clone()).collect(), parents)
}

/// What a round works from: the sets the previous round left new.
struct Taken {
    down: Vec<KeySet>,
    up: Vec<KeySet>,
    wanted: Vec<KeySet>,
}

impl Taken {
    fn is_empty(&self) -> bool {
        [&self.down, &self.up, &self.wanted].into_iter().flatten().all(KeySet::is_empty)
    }
}

fn take_all(sets: &mut [KeySet]) -> Vec<KeySet> {
    sets.iter_mut().map(|s| std::mem::replace(s, s.emptied())).collect()
}

/// A scan of table `t`'s key and edge columns, within its own `where`, `extra` and `filter`.
fn request(plan: &SubsetPlan, limits: BatchLimits, t: usize, extra: Option<&str>, filter: RowFilter) -> ReadRequest {
    let table = &plan.tables[t];
    let mut filter = filter;
    filter.condition = and(and(table.filter.condition.clone(), extra.map(String::from)), filter.condition);
    filter.key = table.columns[..table.groups[0].len()].to_vec();
    ReadRequest { table: table.relation.clone(), columns: table.columns.clone(), limits, sample: None, filter }
}

/// The `when` conditions a table's edges read under: `None` (no condition) first.
fn variants(plan: &SubsetPlan, t: usize) -> Vec<Option<&str>> {
    let mut out = vec![None];
    for e in plan.edges.iter().filter(|e| e.child == t) {
        let w = e.when.as_deref();
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

struct Scans<'a> {
    plan: &'a SubsetPlan,
    source: &'a dyn Source,
    limits: BatchLimits,
    /// Per table, per `when` of [`variants`]: the indices of its edges read under it.
    outs: Vec<Vec<Vec<usize>>>,
    scratch: Arc<Scratch>,
}

impl<'a> Scans<'a> {
    fn new(plan: &'a SubsetPlan, source: &'a dyn Source, limits: BatchLimits, scratch: Arc<Scratch>) -> Self {
        let outs = (0..plan.tables.len())
            .map(|t| {
                variants(plan, t)
                    .into_iter()
                    .map(|w| {
                        let of = |e: &Edge| e.child == t && e.when.as_deref() == w;
                        plan.edges.iter().enumerate().filter(|(_, e)| of(e)).map(|(n, _)| n).collect()
                    })
                    .collect()
            })
            .collect();
        Scans { plan, source, limits, outs, scratch }
    }

    fn at(&self, t: usize, variant: usize) -> At<'_> {
        At { t, variant, outs: &self.outs[t], edges: &self.plan.edges }
    }

    fn request(&self, t: usize, extra: Option<&str>, filter: RowFilter) -> ReadRequest {
        request(self.plan, self.limits, t, extra, filter)
    }

    fn variants(&self, t: usize) -> Vec<Option<&str>> {
        variants(self.plan, t)
    }

    /// Roots, the rows a table's `limit` keeps, and tables copied whole.
    async fn start(&self, states: &mut [State], keys: &Keyring) -> Result<(), EngineError> {
        let tables = &self.plan.tables;
        let mut packed = Vec::new();
        for (t, table) in tables.iter().enumerate() {
            if table.tracked && table.filter.limit.is_some() {
                let own = RowFilter { condition: None, ..table.filter.clone() };
                let mut set = self.scratch.set();
                scan(self.source, &self.request(t, None, own), |b| {
                    for row in 0..b.rows() {
                        if pack(b, row, &table.groups[0], &mut packed) {
                            set.insert(&packed);
                        }
                    }
                })
                .await?;
                states[t].candidates = Some(set);
            }
        }
        for root in &self.plan.roots {
            let t = root.table;
            let filter = RowFilter {
                condition: root.condition.clone(),
                order_by: root.order_by.clone(),
                limit: root.limit,
                ..Default::default()
            };
            // A row is in when the first 8 bytes of its key's keyed hash fall below the share.
            let share = root.percent.map(|p| if p >= 100.0 { u64::MAX } else { (p / 100.0 * u64::MAX as f64) as u64 });
            scan(self.source, &self.request(t, None, filter), |b| {
                for row in 0..b.rows() {
                    if !pack(b, row, &tables[t].groups[0], &mut packed) {
                        continue;
                    }
                    if let Some(share) = share {
                        let digest = keys.digest("subset percent", &packed);
                        if u64::from_le_bytes(digest[..8].try_into().expect("8 bytes")) > share {
                            continue;
                        }
                    }
                    let key = std::mem::take(&mut packed);
                    add(tables, states, self.at(t, 0), b, row, &key, Join::Root);
                    packed = key;
                }
            })
            .await?;
        }
        for (t, table) in tables.iter().enumerate() {
            if table.tracked && table.reach == Reach::Whole {
                scan(self.source, &self.request(t, None, RowFilter::default()), |b| {
                    for row in 0..b.rows() {
                        if pack(b, row, &table.groups[0], &mut packed) {
                            let key = std::mem::take(&mut packed);
                            add(tables, states, self.at(t, 0), b, row, &key, Join::Whole);
                            packed = key;
                        }
                    }
                })
                .await?;
            }
        }
        Ok(())
    }

    /// Rounds until no table gains a row: each follows the rows the last round chose down to
    /// their children (where the edge is followed), and up to the parents they reference.
    async fn grow(&self, states: &mut [State]) -> Result<(), EngineError> {
        let tables = &self.plan.tables;
        loop {
            let taken: Vec<Taken> = states
                .iter_mut()
                .map(|s| Taken {
                    down: take_all(&mut s.new_down),
                    up: take_all(&mut s.new_up),
                    wanted: take_all(&mut s.wanted),
                })
                .collect();
            if taken.iter().all(Taken::is_empty) {
                return Ok(());
            }
            for t in (0..tables.len()).filter(|&t| tables[t].tracked) {
                for (variant, when) in self.variants(t).into_iter().enumerate() {
                    let of_t = |e: &&Edge| e.child == t && e.when.as_deref() == when;
                    let at = self.at(t, variant);
                    let ins: Vec<(usize, &Edge)> = self
                        .plan
                        .edges
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| of_t(e) && e.children && !taken[e.parent].down[e.group].is_empty())
                        .collect();
                    let up = &taken[t].up[variant];
                    let outs: &[usize] = if up.is_empty() { &[] } else { &self.outs[t][variant] };
                    let resolve = when.is_none() && taken[t].wanted.iter().any(|w| !w.is_empty());
                    if ins.is_empty() && outs.is_empty() && !resolve {
                        continue;
                    }
                    // A cap keeps the first children by key, so every run keeps the same ones.
                    let by_key = ins.iter().any(|(_, e)| e.max_children.is_some());
                    let looked_up = match (&ins[..], outs.is_empty() && !resolve && !by_key) {
                        ([(_, e)], true) => lookup(&tables[t], e, &taken[e.parent].down[e.group]),
                        _ => None,
                    };
                    if let Some(keys) = &looked_up {
                        tracing::debug!(table = %tables[t].relation, parents = keys.rows.len(), "subset: children looked up by key");
                    }
                    let request = self.request(t, when, RowFilter { by_key, keys: looked_up, ..Default::default() });
                    let mut counts: HashMap<(usize, Box<[u8]>), u64> = HashMap::new();
                    let (mut key, mut value) = (Vec::new(), Vec::new());
                    scan(self.source, &request, |b| {
                        for row in 0..b.rows() {
                            if !pack(b, row, &tables[t].groups[0], &mut key) {
                                continue;
                            }
                            if resolve && !states[t].rows.contains(&key) {
                                let groups = &tables[t].groups;
                                let asked = (0..groups.len()).any(|g| {
                                    !taken[t].wanted[g].is_empty()
                                        && pack(b, row, &groups[g], &mut value)
                                        && taken[t].wanted[g].contains(&value)
                                });
                                if asked {
                                    add(tables, states, at, b, row, &key, Join::Parent);
                                }
                            }
                            for &(n, e) in &ins {
                                if !pack(b, row, &e.columns, &mut value)
                                    || !taken[e.parent].down[e.group].contains(&value)
                                {
                                    continue;
                                }
                                if let Some(max) = e.max_children {
                                    let count = counts.entry((n, value.as_slice().into())).or_default();
                                    if *count >= max {
                                        continue;
                                    }
                                    *count += 1;
                                }
                                add(tables, states, at, b, row, &key, Join::Child);
                            }
                            if !outs.is_empty() && up.contains(&key) {
                                ask_parents(states, &self.plan.edges, outs, b, row, &mut value);
                            }
                        }
                    })
                    .await?;
                }
            }
            for (t, taken) in taken.iter().enumerate() {
                for (g, wanted) in taken.wanted.iter().enumerate() {
                    wanted.for_each(|value| {
                        if !states[t].has(g, value) {
                            states[t].missing[g].insert(value);
                        }
                    });
                }
            }
        }
    }

    /// Rows that reference a row no table copies are left out, and then the rows that
    /// reference those, until none is left.
    async fn prune(&self, states: &mut [State]) -> Result<(), EngineError> {
        let tables = &self.plan.tables;
        let mut gone: Vec<Vec<KeySet>> = states.iter_mut().map(|s| take_all(&mut s.missing)).collect();
        while gone.iter().flatten().any(|g| !g.is_empty()) {
            let mut next: Vec<Vec<KeySet>> =
                tables.iter().map(|t| (0..t.groups.len()).map(|_| self.scratch.set()).collect()).collect();
            for t in (0..tables.len()).filter(|&t| tables[t].tracked) {
                for when in self.variants(t) {
                    let outs: Vec<&Edge> = self
                        .plan
                        .edges
                        .iter()
                        .filter(|e| e.child == t && e.when.as_deref() == when && !gone[e.parent][e.group].is_empty())
                        .collect();
                    if outs.is_empty() {
                        continue;
                    }
                    let (mut key, mut value) = (Vec::new(), Vec::new());
                    let groups = &tables[t].groups;
                    scan(self.source, &self.request(t, when, RowFilter::default()), |b| {
                        for row in 0..b.rows() {
                            if !pack(b, row, &groups[0], &mut key) || !states[t].rows.contains(&key) {
                                continue;
                            }
                            let cut = outs.iter().any(|e| {
                                pack(b, row, &e.columns, &mut value) && gone[e.parent][e.group].contains(&value)
                            });
                            if !cut {
                                continue;
                            }
                            let st = &mut states[t];
                            st.rows.remove(&key);
                            st.chosen.left_out += 1;
                            next[t][0].insert(&key);
                            for g in 1..groups.len() {
                                if pack(b, row, &groups[g], &mut value) {
                                    st.values[g].remove(&value);
                                    next[t][g].insert(&value);
                                }
                            }
                        }
                    })
                    .await?;
                }
            }
            gone = next;
        }
        Ok(())
    }
}
