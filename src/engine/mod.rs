//! Everything that knows a database engine's SQL lives below this module, behind two traits: one
//! per direction. [`connect_source`] and [`connect_target`] are the only places that pick an
//! engine; every other module talks to `dyn Source` and `dyn Target`.

pub mod ddl;
pub mod mysql;
pub mod postgres;
pub mod sqlite;

use std::fmt;

use async_trait::async_trait;

use crate::config::Mode;
use crate::dburl::DbUrl;
use crate::mask::BinaryText;
use crate::pipeline::channel::{BatchReceiver, BatchSender, Cancelled};
use crate::report::TableProgress;
use crate::schema::{Schema, TableName};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EngineKind {
    Postgres,
    MySql,
    Sqlite,
}

impl EngineKind {
    pub fn from_scheme(scheme: &str) -> Option<Self> {
        match scheme {
            "postgres" | "postgresql" => Some(EngineKind::Postgres),
            "mysql" | "mariadb" => Some(EngineKind::MySql),
            "sqlite" => Some(EngineKind::Sqlite),
            _ => None,
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            EngineKind::Postgres => 5432,
            EngineKind::MySql => 3306,
            // A file: no port. Zero keeps "same host and port" comparisons meaningful.
            EngineKind::Sqlite => 0,
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineKind::Postgres => "PostgreSQL",
            EngineKind::MySql => "MySQL/MariaDB",
            EngineKind::Sqlite => "SQLite",
        })
    }
}

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

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot connect to the {side} database {url}: {message}")]
    Connect { side: Side, url: String, message: String },
    #[error("{context}: {message}")]
    Query { context: String, message: String },
    #[error("{0}")]
    Data(String),
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
}

impl EngineError {
    /// Wrap a driver error with what was being done; database errors keep their detail line.
    pub fn query(context: impl Into<String>, err: sqlx::Error) -> Self {
        EngineError::Query { context: context.into(), message: describe(&err) }
    }

    pub fn is_cancelled(&self) -> bool {
        matches!(self, EngineError::Cancelled(_))
    }
}

/// A driver error in one line: the server's message and detail, without sqlx's prefixes.
pub fn describe(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Database(db) => {
            let mut text = db.message().to_string();
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                && let Some(detail) = pg.detail()
            {
                text.push_str(" (");
                text.push_str(detail);
                text.push(')');
            }
            text
        }
        other => other.to_string(),
    }
}

/// `name` between `quote` characters, with each `quote` inside doubled: the SQL standard's rule,
/// which both `"…"` (PostgreSQL) and `` `…` `` (MySQL) follow.
pub fn quote_with(name: &str, quote: char) -> String {
    let mut q = String::with_capacity(name.len() + 2);
    q.push(quote);
    for ch in name.chars() {
        if ch == quote {
            q.push(quote);
        }
        q.push(ch);
    }
    q.push(quote);
    q
}

/// How an engine spells values in its text form, as far as copying between engines needs to
/// know. Each engine describes itself; `convert` does the rest.
#[derive(Clone, Copy, Debug)]
pub struct TextForms {
    pub binary: BinaryText,
    /// How booleans are written (true, false).
    pub booleans: (&'static str, &'static str),
    /// Has array types with a literal form of its own.
    pub arrays: bool,
    /// Reads and writes `0000-00-00` dates.
    pub zero_dates: bool,
    /// Decimal columns keep only this many significant digits (SQLite's NUMERIC affinity).
    pub decimal_digits: Option<u32>,
    /// Float columns hold NaN and ±Infinity.
    pub non_finite_floats: bool,
    /// Columns of this declared type read as bytes with no text form elsewhere (geometry, bit).
    pub byte_valued: fn(&str) -> bool,
}

/// Limits on one batch; a reader sends when either is reached.
#[derive(Clone, Copy, Debug)]
pub struct BatchLimits {
    pub rows: usize,
    pub bytes: usize,
}

/// What to read: the columns, in the order the batch cells will hold them.
#[derive(Clone, Debug)]
pub struct ReadRequest {
    pub table: TableName,
    pub columns: Vec<String>,
    pub limits: BatchLimits,
    /// Read at most this many rows (a sample), in no particular order.
    pub sample: Option<u64>,
}

/// What to write: batches carry `columns` in order.
#[derive(Clone, Debug)]
pub struct WriteRequest {
    pub table: TableName,
    pub columns: Vec<String>,
    pub mode: Mode,
    /// Primary-key columns of the target table (the upsert conflict target).
    pub key: Vec<String>,
    /// Other tables hold foreign keys to this one.
    pub referenced: bool,
    /// Columns fed by a sequence or identity, to continue past the copied values.
    pub auto_increment: Vec<String>,
}

/// How the target loads: said in the run summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadSettings {
    /// Foreign-key checks are off for the writer sessions, so tables load in any order.
    pub foreign_keys_off: bool,
    /// Target triggers do not fire for the rows dbtwin writes.
    pub triggers_off: bool,
}

/// The read side of an engine. One value per run; every method may be called concurrently.
#[async_trait]
pub trait Source: Send + Sync {
    /// Identifies server and database, to refuse a target that is the source itself.
    fn identity(&self) -> &str;

    /// How values look in this engine's text form (masks write that form back).
    fn forms(&self) -> TextForms;

    /// Tables in `schemas`, as of the snapshot every [`Source::read`] will see.
    async fn introspect(&self, schemas: &[String]) -> Result<Schema, EngineError>;

    /// Stream every row of one table into `out` in batches, then call `out.finish()`. Called
    /// once per table, up to `--jobs` at a time; all calls read the same snapshot. Must never
    /// write to the source. Returns the number of rows read.
    async fn read(&self, request: &ReadRequest, out: BatchSender) -> Result<u64, EngineError>;
}

/// The write side of an engine. One value per run; every method may be called concurrently.
#[async_trait]
pub trait Target: Send + Sync {
    fn identity(&self) -> &str;

    fn load_settings(&self) -> LoadSettings;

    /// How this engine reads values written in its text form.
    fn forms(&self) -> TextForms;

    /// Quoting and type mapping for `--create-tables`.
    fn dialect(&self) -> ddl::Dialect;

    /// The schema new tables are created in.
    fn default_schema(&self) -> String;

    /// Run DDL statements in order (`--create-tables`), stopping at the first failure.
    async fn execute_ddl(&self, statements: &[String]) -> Result<(), EngineError>;

    async fn introspect(&self, schemas: &[String]) -> Result<Schema, EngineError>;

    /// Load one table from `input` in one transaction: committed only if `input` ends with a
    /// finish, rolled back on any error or abort, so a failure leaves the old rows. Reports
    /// rows to `progress` as they are sent. Called once per table per run.
    async fn write(
        &self,
        request: &WriteRequest,
        input: BatchReceiver,
        progress: &dyn TableProgress,
    ) -> Result<u64, EngineError>;
}

/// Connection settings that are the run's, not the URL's.
#[derive(Clone, Copy, Debug)]
pub struct ConnectOptions {
    /// Concurrent table copies; pools are sized from it.
    pub jobs: usize,
}

pub async fn connect_source(url: &DbUrl, options: ConnectOptions) -> Result<Box<dyn Source>, EngineError> {
    match url.engine() {
        EngineKind::Postgres => Ok(Box::new(postgres::PgSource::connect(url, options).await?)),
        EngineKind::MySql => Ok(Box::new(mysql::MySqlSource::connect(url, options).await?)),
        EngineKind::Sqlite => Ok(Box::new(sqlite::SqliteSource::connect(url, options).await?)),
    }
}

pub async fn connect_target(url: &DbUrl, options: ConnectOptions) -> Result<Box<dyn Target>, EngineError> {
    match url.engine() {
        EngineKind::Postgres => Ok(Box::new(postgres::PgTarget::connect(url, options).await?)),
        EngineKind::MySql => Ok(Box::new(mysql::MySqlTarget::connect(url, options).await?)),
        EngineKind::Sqlite => Ok(Box::new(sqlite::SqliteTarget::connect(url, options).await?)),
    }
}
