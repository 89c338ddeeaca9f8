//! The contract between dbtwin and a database engine: one trait per direction, the requests
//! that carry everything a reader or writer needs, and a driver-neutral error.
//!
//! # Who calls what, in which order
//!
//! For a run, the app layer connects one [`Source`] and (for `copy`) one [`Target`], then:
//!
//! 1. [`super::connect_source`] and [`super::connect_target`], which return each engine with its
//!    profile: facts fixed at connect time. Their identities are compared to refuse a target
//!    that is the source.
//! 2. [`Source::introspect`] once, and [`Target::introspect`] once, or again after
//!    [`Target::execute_ddl`] created tables. Introspection only describes; no reader or writer
//!    depends on it having run: every fact a read or write needs travels in its request.
//! 3. The plan turns schemas and config into one [`ReadRequest`] and one [`WriteRequest`] per
//!    table. The pipeline then calls [`Source::read`] and [`Target::write`] once per table, up
//!    to `--jobs` tables at a time, each pair joined by a bounded channel. `check`, `init` and
//!    `copy --dry-run` call [`Source::read`] with [`ReadRequest::sample`] set, any number of times.
//! 4. After the last write, [`Target::settle_ddl`] for each key [`Target::owed_ddl`] lists.
//!
//! Every method may be called concurrently with every other on the same value (`&self`), so an
//! engine holds its sessions in pools or behind locks of its own.
//!
//! # What an engine may assume, and must guarantee
//!
//! - Identifiers in requests are plain names; the engine quotes them in its dialect. Values are
//!   never pasted into SQL: they are bound, or streamed in the engine's bulk format.
//! - A read sends cells in the engine's own text form (what the same engine reads back
//!   unchanged), with the engine's escaping removed and NULL apart from the empty string.
//!   Batches respect [`BatchLimits`]. A read never writes to the source.
//! - A write receives batches whose cells are in its own text form (the plan converted them)
//!   and whose columns are [`WriteRequest::columns`], in that order. It loads the table in one
//!   transaction that commits only if the channel ends with a finish, and rolls back on any
//!   error, on an abort, or when its future is dropped: a failed write leaves the old rows.
//! - [`Target::execute_ddl`] runs statements in order and stops at the first failure; engines
//!   whose DDL commits implicitly (MySQL) say so in their docs.
//!
//! # What may be repeated
//!
//! - `introspect` only reads: any number of calls give the same schema (on a source, the one of
//!   the run's snapshot).
//! - `read` of the same request gives the same rows within one run (one snapshot), so a sample
//!   and the copy agree.
//! - `write` converges: an upsert of the same rows again changes nothing (rows that did not
//!   change are not rewritten where the engine can tell), and a replace leaves exactly the rows
//!   it was given. So a run that failed or was interrupted is finished by running it again.
//! - `execute_ddl` is not idempotent (a table that exists cannot be created again): callers
//!   create only the tables introspection did not find. `settle_ddl` is: a key already added
//!   is only forgotten.

use std::fmt;

use async_trait::async_trait;

use crate::data::channel::{BatchReceiver, BatchSender, Cancelled};
use crate::data::forms::TextForms;
use crate::data::mode::Mode;
use crate::schema::{Column, Schema, Table, TableName};

use super::ddl;
pub use super::ddl::{OwedDdl, OwedKind};

/// Which end of the copy a connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Source,
    Target,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Source => "source",
            Side::Target => "target",
        })
    }
}

/// What went wrong in an engine, in words: the driver's error is described where it happens,
/// so no driver type crosses this contract.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The database could not be reached or refused the login (exit 3). `url` is redacted.
    #[error("cannot connect to the {side} database {url}: {message}")]
    Connect { side: Side, url: String, message: String },
    /// A statement failed: `context` says what dbtwin was doing, `message` what the server said.
    #[error("{context}: {message}")]
    Query { context: String, message: String },
    /// A value or a reply that cannot be used.
    #[error("{0}")]
    Data(String),
    /// The other end of the table's channel stopped; its own error is the cause.
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
}

impl EngineError {
    pub fn query(context: impl Into<String>, message: impl Into<String>) -> Self {
        EngineError::Query { context: context.into(), message: message.into() }
    }

    pub fn is_cancelled(&self) -> bool {
        matches!(self, EngineError::Cancelled(_))
    }

    /// The same error, said to have happened while `doing` (a query's context, or a value's).
    pub fn context(self, doing: &str) -> Self {
        match self {
            EngineError::Query { context, message } => {
                EngineError::Query { context: format!("{doing}: {context}"), message }
            }
            EngineError::Data(message) => EngineError::Data(format!("{doing}: {message}")),
            other => other,
        }
    }
}

/// Limits on one batch; a reader sends when either is reached.
#[derive(Clone, Copy, Debug)]
pub struct BatchLimits {
    pub rows: usize,
    pub bytes: usize,
}

/// A table as a read or write addresses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relation {
    pub name: TableName,
    /// Addressed as a whole, partitions included (see [`crate::schema::Table::partitioned`]).
    pub partitioned: bool,
}

impl Relation {
    pub fn of(table: &crate::schema::Table) -> Self {
        Relation { name: table.name.clone(), partitioned: table.partitioned }
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.name.fmt(f)
    }
}

/// What to read: the columns, in the order the batch cells will hold them.
#[derive(Clone, Debug)]
pub struct ReadRequest {
    pub table: Relation,
    pub columns: Vec<String>,
    pub limits: BatchLimits,
    /// Read at most this many rows (a sample), in no particular order.
    pub sample: Option<u64>,
    /// Which rows, in which order, at most how many: the config's `where`, `order_by`, `limit`.
    pub filter: RowFilter,
}

/// Part of a table. `condition` and `order_by` are the user's SQL in the source's dialect,
/// run in the read-only snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowFilter {
    pub condition: Option<String>,
    pub order_by: Option<String>,
    pub limit: Option<u64>,
    /// The table's key, the order of a `limit` without `order_by`.
    pub key: Vec<String>,
    /// Read in key order even without a `limit` (a subset's capped children: the same ones
    /// every run).
    pub by_key: bool,
    /// Only the rows with one of these keys (`verify --sample`).
    pub keys: Option<KeyList>,
    /// Only the rows changed since the last run (an incremental table).
    pub since: Option<Since>,
}

/// The rows whose `column` is at or past `value`: the source's text form of a number, date or
/// timestamp, bound (never pasted into SQL) and compared in the column's own type. Rows whose
/// column is NULL are not among them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Since {
    pub column: String,
    pub value: String,
}

impl RowFilter {
    pub fn is_empty(&self) -> bool {
        self.condition.is_none()
            && self.order_by.is_none()
            && self.limit.is_none()
            && self.keys.is_none()
            && self.since.is_none()
    }
}

/// Rows named by their key: the values are bound (never pasted into SQL), each in the engine's
/// own text form, which the engine turns into the column's type as it compares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyList {
    pub columns: Vec<String>,
    /// One entry per row, a value per column.
    pub rows: Vec<Vec<String>>,
}

impl KeyList {
    /// How many keys one statement names: within every engine's limit on bound values, and
    /// small enough that the server looks each one up by index.
    pub const PER_STATEMENT: usize = 500;
}

/// What to write: batches carry `columns` in order.
#[derive(Clone, Debug)]
pub struct WriteRequest {
    pub table: Relation,
    pub mode: Mode,
    /// Primary-key columns of the target table (the upsert conflict target).
    pub key: Vec<String>,
    /// The target's own columns, as introspected: their types decide how values are bound.
    pub columns: Vec<Column>,
    /// Other tables hold foreign keys to this one.
    pub referenced: bool,
    /// Columns fed by a sequence or identity, to continue past the copied values.
    pub auto_increment: Vec<String>,
    /// Columns the target computes from the loaded row, in the load's transaction, after the
    /// rows are in: left out of `columns`.
    pub recompute: Vec<Recompute>,
    /// The state row to write in the load's transaction, so the state says exactly what the
    /// committed rows cover.
    pub state: Option<StateWrite>,
}

/// One table's row in the state table ([`Target::state`]): what the run that last committed
/// it saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateRow {
    /// The source table, as `schema.name`.
    pub table: String,
    /// Hash of the rules and selection the rows were copied by: another config reads in full.
    pub config_hash: String,
    /// The incremental column and the largest value it had in the run's snapshot (the source's
    /// text form), if any row had one.
    pub column: Option<String>,
    pub watermark: Option<String>,
    /// When the run that wrote it started (UTC, RFC 3339).
    pub run_started: String,
}

/// A state row and the table it goes into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateWrite {
    pub table: TableName,
    pub row: StateRow,
}

/// A column the target computes again, and the expression (in the target's SQL) it computes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recompute {
    pub column: String,
    pub sql: String,
}

impl WriteRequest {
    pub fn column_names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.name.as_str())
    }

    /// `UPDATE relation SET col = (expression), …` for the recomputed columns, if any: every
    /// row of the table, since an upsert's untouched rows were computed from the same masks.
    pub fn recompute_sql(&self, quote: super::sql::Quote, relation: &str) -> Option<String> {
        if self.recompute.is_empty() {
            return None;
        }
        let sets: Vec<String> =
            self.recompute.iter().map(|r| format!("{} = ({})", quote.ident(&r.column), r.sql)).collect();
        Some(format!("UPDATE {relation} SET {}", sets.join(", ")))
    }

    /// Names of the written columns that are not part of the key (what an upsert updates).
    pub fn non_key_columns(&self) -> impl Iterator<Item = &str> {
        self.column_names().filter(|c| !self.key.iter().any(|k| k == c))
    }
}

/// The keys of every row the source holds, for a mirror whose input holds only the changed
/// rows: the key columns only, in [`WriteRequest::key`] order and the target's form.
pub struct Present {
    pub keys: BatchReceiver,
    /// Every key column is an integer, unmasked, and the keys come in ascending order: the
    /// writer may merge them against its own keys read in order, instead of comparing in SQL.
    /// A writer that merges fails the table if they are not in order.
    pub ordered: bool,
}

/// What a write did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub rows: u64,
    /// Rows a mirror deleted: their key was not among the rows written.
    pub deleted: u64,
}

/// How the target loads: said in the run summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadSettings {
    /// Foreign-key checks are off for the writer sessions, so tables load in any order.
    pub foreign_keys_off: bool,
    /// Target triggers do not fire for the rows dbtwin writes.
    pub triggers_off: bool,
}

/// A trigger on a target table, as people name it: `orders_touch on shop.orders`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TriggerRef {
    pub table: TableName,
    pub name: String,
}

impl fmt::Display for TriggerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.name, self.table)
    }
}

/// A table's definition in its engine's own SQL (see [`Source::native_ddl`]). Names in it are
/// unqualified: the target runs it in the schema new tables go into.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NativeDdl {
    /// Run before any table: the types and sequences it uses, each created only if missing.
    pub prelude: Vec<String>,
    /// The table itself (and its partitions), in order.
    pub create: Vec<String>,
    /// Keys and indexes added after the load: kind, name, statement.
    pub after: Vec<(OwedKind, String, String)>,
}

/// The target table where triggers suspended for a load are kept until they are put back:
/// written before a trigger is dropped, so a run killed mid-load leaves what its next start
/// needs to restore them. Dropped again once empty.
pub const SUSPENDED_TRIGGERS: &str = "dbtwin_suspended_triggers";

/// The target table where `--create-tables` records what it still owes the tables it created
/// (their unique keys, indexes and foreign keys, added after the load), written with the
/// tables themselves, so a run that fails or is killed before they are added leaves what the
/// next run needs to add them. Dropped again once empty.
pub const OWED_DDL: &str = "dbtwin_owed_ddl";

/// Connection settings that are the run's, not the URL's.
#[derive(Clone, Copy, Debug)]
pub struct ConnectOptions {
    /// Concurrent table copies; pools are sized from it.
    pub jobs: usize,
    /// How long a target statement may wait for a lock another session holds (emptying,
    /// locking, merging) before the table fails, naming who holds it.
    pub lock_wait: std::time::Duration,
    /// A target that does not exist yet may be created (an SQLite file): only when the run
    /// creates its tables too, so a mistyped path is an error, not a new empty database.
    pub create_missing: bool,
}

impl ConnectOptions {
    /// The lock wait when the command line says nothing.
    pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

    pub fn jobs(jobs: usize) -> Self {
        ConnectOptions { jobs, lock_wait: Self::LOCK_WAIT, create_missing: false }
    }
}

/// A side that may have fewer sessions than `--jobs` asks for: how many the server let this user
/// open, and its words for refusing the next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionLimit {
    pub sessions: usize,
    pub reason: String,
}

/// What a connected source is, fixed at connect time.
#[derive(Clone, Debug)]
pub struct SourceProfile {
    /// Identifies server and database (not the URL: another spelling of the same server gives
    /// the same identity), to refuse a target that is the source itself.
    pub identity: String,
    /// How values look in this engine's text form (masks write that form back).
    pub forms: TextForms,
    /// How the tables' snapshot was taken (or could not be), for the run summary.
    pub snapshot: String,
    /// Fewer reader sessions than `--jobs`, where the server would not allow more.
    pub session_limit: Option<SessionLimit>,
}

/// What a connected target is, fixed at connect time.
#[derive(Clone, Debug)]
pub struct TargetProfile {
    pub identity: String,
    /// How this engine reads values written in its text form.
    pub forms: TextForms,
    /// What the target's sessions turned off for the load (probed at connect time).
    pub load: LoadSettings,
    /// Quoting and type mapping for `--create-tables`.
    pub dialect: ddl::Dialect,
    /// The schema new tables are created in.
    pub default_schema: String,
    /// Fewer writer sessions than `--jobs`, where the server would not allow more.
    pub session_limit: Option<SessionLimit>,
}

/// A connected source and its profile.
pub struct ConnectedSource {
    pub engine: Box<dyn Source>,
    pub profile: SourceProfile,
}

/// A connected target and its profile.
pub struct ConnectedTarget {
    pub engine: Box<dyn Target>,
    pub profile: TargetProfile,
}

impl<S: Source + 'static> From<(S, SourceProfile)> for ConnectedSource {
    fn from((engine, profile): (S, SourceProfile)) -> Self {
        ConnectedSource { engine: Box::new(engine), profile }
    }
}

impl<T: Target + 'static> From<(T, TargetProfile)> for ConnectedTarget {
    fn from((engine, profile): (T, TargetProfile)) -> Self {
        ConnectedTarget { engine: Box::new(engine), profile }
    }
}

/// The read side of an engine. One value per run.
#[async_trait]
pub trait Source: Send + Sync {
    /// Tables in `schemas` (empty: the engine's default), as of the snapshot every
    /// [`Source::read`] will see.
    async fn introspect(&self, schemas: &[String]) -> Result<Schema, EngineError>;

    /// The tables' definitions in this engine's own SQL, for `--create-tables` into a target of
    /// the same engine, where the portable mapping would lose what only this engine has (types,
    /// checks, index methods, partitions, column options). One per table, in order; empty when
    /// the engine keeps no such form (the portable one is used).
    async fn native_ddl(&self, _tables: &[Table]) -> Result<Vec<NativeDdl>, EngineError> {
        Ok(Vec::new())
    }

    /// Stream the rows of one table into `out` in batches, then call `out.finish()`. All calls
    /// of one run read the same snapshot. Returns the number of rows read. On error, `out` is
    /// dropped unfinished, which tells the writer to roll back.
    async fn read(&self, request: &ReadRequest, out: BatchSender) -> Result<u64, EngineError>;

    /// The statement [`Source::read`] runs for `request` without a key list, as the engine
    /// would send it: for the plan a person reads before copying.
    fn statement(&self, request: &ReadRequest) -> String;

    /// The largest value of `column` in the run's snapshot, in the engine's text form; `None`
    /// when no row has one.
    async fn high_water(&self, table: &Relation, column: &str) -> Result<Option<String>, EngineError>;
}

/// The write side of an engine. One value per run.
#[async_trait]
pub trait Target: Send + Sync {
    /// Tables in `schemas` (empty: the engine's default).
    async fn introspect(&self, schemas: &[String]) -> Result<Schema, EngineError>;

    /// Run DDL (`--create-tables`): record `owed` in [`OWED_DDL`], then run `statements` in
    /// order, stopping at the first failure. One transaction where the engine's DDL is
    /// transactional; elsewhere (MySQL) the record is written first, so whatever was created
    /// is covered by it.
    async fn execute_ddl(&self, statements: &[String], owed: &[OwedDdl]) -> Result<(), EngineError>;

    /// Everything [`OWED_DDL`] holds, whichever run recorded it, by table and `seq`.
    async fn owed_ddl(&self) -> Result<Vec<OwedDdl>, EngineError>;

    /// Run one owed statement and forget it, together where the engine can (one transaction);
    /// elsewhere an index or constraint that already exists counts as added. With `run` false,
    /// only forget it (its table is gone). Waits for locks at most the run's lock wait.
    async fn settle_ddl(&self, owed: &OwedDdl, run: bool) -> Result<(), EngineError>;

    /// End what is still open and leave the target as it was: called once when a run stops
    /// early (interrupt, failure), after the pipeline was dropped, so no write is running.
    /// Engines whose sessions roll back when they close need do nothing.
    async fn close(&self) {}

    /// Load one table from `input` in one transaction (see the module docs). Called once per
    /// table per run. Returns the rows written and, in mirror mode, deleted. (The channel
    /// counts rows for progress.)
    ///
    /// `present`, in mirror mode when `input` holds only the rows that changed: the key of
    /// every row the source holds (see [`Present`]). Then the rows deleted are those whose key
    /// it lacks, instead of those not among `input`. It is read after `input` ended; an empty
    /// target table need not read it.
    async fn write(
        &self,
        request: &WriteRequest,
        input: BatchReceiver,
        present: Option<Present>,
    ) -> Result<Written, EngineError>;

    /// The rows of the state table `table`, created first (if missing) when `create`; without
    /// it, a missing table has no rows.
    async fn state(&self, table: &TableName, create: bool) -> Result<Vec<StateRow>, EngineError>;

    /// The triggers of `tables` that would fire for the rows a load writes, where the engine
    /// cannot switch them off for its own sessions (an engine that can, or has none, says none).
    async fn triggers(&self, _tables: &[TableName]) -> Result<Vec<TriggerRef>, EngineError> {
        Ok(Vec::new())
    }

    /// Take those triggers away for the load: each definition (with everything its re-creation
    /// needs) is saved in [`SUSPENDED_TRIGGERS`] before the trigger is dropped. Called once,
    /// after [`Target::restore_triggers`] and before the first write. Returns what it suspended.
    async fn suspend_triggers(&self, _tables: &[TableName]) -> Result<Vec<TriggerRef>, EngineError> {
        Ok(Vec::new())
    }

    /// Whether the target accepts `request`'s recompute expressions, asked before any row
    /// moves with the same `UPDATE` over no rows, rolled back: `Err` is the server's reason.
    async fn check_recompute(&self, _request: &WriteRequest) -> Result<(), String> {
        Ok(())
    }

    /// The triggers [`SUSPENDED_TRIGGERS`] holds that are not back yet (a killed run's), read
    /// only: what the next run's [`Target::restore_triggers`] will put back.
    async fn left_suspended(&self) -> Result<Vec<TriggerRef>, EngineError> {
        Ok(Vec::new())
    }

    /// Put back every trigger [`SUSPENDED_TRIGGERS`] holds, exactly as it was, whichever run
    /// suspended it: called at the start of every run (a killed one's) and after the writes of
    /// this one, whether they succeeded or not. Repeatable: a trigger already back is skipped.
    async fn restore_triggers(&self) -> Result<Vec<TriggerRef>, EngineError> {
        Ok(Vec::new())
    }
}
