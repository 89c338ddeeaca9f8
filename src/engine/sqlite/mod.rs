//! SQLite, the embedded engine: a file, opened read-only as a source and created when missing as
//! a target. The bundled library (sqlx's `sqlite` feature) means no system package is needed.
//!
//! SQLite types are per value, not per column. dbtwin reads each value in its text form
//! (integers and reals in decimal, text as is, blobs as their bytes) and writes text into every
//! column with a type affinity, which SQLite converts back exactly; columns declared BLOB (or
//! with no type) get their bytes bound as a blob.

mod introspect;
mod owed;
mod source;
mod target;
mod triggers;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions as _, Connection as _};

pub use source::SqliteSource;
pub use target::SqliteTarget;

use crate::data::forms::{BinaryText, TextForms};
use crate::engine::contract::{EngineError, Side};
use crate::engine::ddl::{self, DefaultValue, Dialect};
use crate::engine::driver::unreachable;
use crate::engine::sql::Quote;
use crate::engine::url::{DbUrl, EngineKind};
use crate::schema::Column;

/// SQLite's result code for a file that is not a database.
const SQLITE_NOTADB: &str = "26";

/// SQLite's one schema name for the main database file.
pub const SCHEMA: &str = "main";

const Q: Quote = Quote::Double;

/// `--create-tables` in SQLite's SQL.
/// An INTEGER PRIMARY KEY is the rowid, which continues by itself: no auto-increment clause.
/// Foreign keys go inside CREATE TABLE, and indexes name their table unqualified.
pub const DIALECT: Dialect = Dialect {
    inline_foreign_keys: true,
    qualified_index_table: false,
    class_of: |_, declared| introspect::type_class(declared),
    ..Dialect::new(Q, column_type, default_sql)
};

/// SQLite's text forms: `1`/`0` booleans, raw bytes, any date text, NUMERIC columns that keep
/// 15 significant digits.
pub fn forms() -> TextForms {
    TextForms { zero_dates: true, decimal_digits: Some(15), ..TextForms::plain(BinaryText::Raw, ("1", "0")) }
}

/// A translated column default in this engine's SQL (`--create-tables`).
fn default_sql(d: &DefaultValue, _ty: &str) -> String {
    d.standard_sql(("1", "0"))
}

/// The SQLite type for a source column (`--create-tables`): names whose affinity keeps the
/// value as it was (decimals as TEXT, exact), and that introspection reads back as the same class.
pub fn column_type(col: &Column, same_engine: bool, _key: Option<u32>) -> String {
    if same_engine {
        return col.declared_type.clone();
    }
    match ddl::class_type(col.class, EngineKind::Sqlite) {
        Some(t) => t.into(),
        None => match col.max_chars {
            Some(n) if ddl::is_fixed_char(col) => format!("CHAR({n})"),
            Some(n) => format!("VARCHAR({n})"),
            None => "TEXT".into(),
        },
    }
}

/// How SQLite stores what is written into a column (its type affinity, from the declared type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Affinity {
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
}

/// The rules of SQLite's documentation, section 3.1, in their order.
pub fn affinity(declared: &str) -> Affinity {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        Affinity::Integer
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        Affinity::Text
    } else if t.contains("BLOB") || t.trim().is_empty() {
        Affinity::Blob
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        Affinity::Real
    } else {
        Affinity::Numeric
    }
}

/// `lock_wait`: how long a write waits for another connection to the file to finish.
async fn connect(
    url: &DbUrl,
    side: Side,
    lock_wait: Duration,
    create_missing: bool,
) -> Result<(SqliteConnection, String), EngineError> {
    let path = PathBuf::from(url.database());
    if !path.is_file() && (side == Side::Source || !create_missing) {
        let mut message = format!("no such file {}", path.display());
        if side == Side::Target {
            message.push_str(" (a new, empty database is made only with --create-tables; check the path)");
        }
        return Err(EngineError::Connect { side, url: url.to_string(), message });
    }
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .read_only(side == Side::Source)
        .create_if_missing(side == Side::Target)
        // Tables load in any order; the summary says checks were off.
        .foreign_keys(false)
        .busy_timeout(lock_wait)
        .disable_statement_logging();
    let mut conn = SqliteConnection::connect_with(&options).await.map_err(|e| unreachable(side, url, &e))?;
    // The first look inside the file: one that is not a database says so now, by name.
    sqlx::query("SELECT count(*) FROM sqlite_schema").execute(&mut conn).await.map_err(|e| match &e {
        sqlx::Error::Database(db) if db.code().as_deref() == Some(SQLITE_NOTADB) => EngineError::Connect {
            side,
            url: url.to_string(),
            message: format!("{} is not an SQLite database ({})", path.display(), db.message()),
        },
        _ => unreachable(side, url, &e),
    })?;
    Ok((conn, identity(&path)))
}

fn identity(path: &Path) -> String {
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    format!("sqlite:{}", canonical.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affinities_follow_the_documented_rules() {
        let cases = [
            ("INTEGER", Affinity::Integer),
            ("bigint unsigned", Affinity::Integer),
            ("varchar(40)", Affinity::Text),
            ("BLOB", Affinity::Blob),
            ("", Affinity::Blob),
            ("double precision", Affinity::Real),
            ("DECIMAL(10,2)", Affinity::Numeric),
            // INT wins, as SQLite says.
            ("FLOATING POINT", Affinity::Integer),
        ];
        for (declared, affinity_wanted) in cases {
            assert_eq!(affinity(declared), affinity_wanted, "{declared:?}");
        }
    }
}
