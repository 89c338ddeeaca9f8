//! The owed-DDL state table ([`OWED_DDL`]): its shape, the same on every engine, and the rows
//! read back from it. Each engine runs these statements with its own placeholders and
//! transactions (`engine/<name>/owed.rs`).

use super::contract::{EngineError, OWED_DDL, OwedDdl, OwedKind};
use super::sql::Quote;
use crate::schema::TableName;

/// `CREATE TABLE IF NOT EXISTS` for the state table at `table` (quoted), `options` after it.
pub fn create_sql(table: &str, options: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {table} (
             schema_name varchar(255) NOT NULL, table_name varchar(255) NOT NULL, seq int NOT NULL,
             kind varchar(16) NOT NULL, name varchar(255) NOT NULL, statement text NOT NULL,
             PRIMARY KEY (schema_name, table_name, seq)
         ){options}"
    )
}

/// The state table's columns in the order [`Row`] reads them and inserts bind them.
pub const COLUMNS: &str = "schema_name, table_name, seq, kind, name, statement";

/// Bind a debt's key (schema, table, seq) to the next three placeholders of a query.
macro_rules! bind_key {
    ($query:expr, $debt:expr) => {
        $query.bind(&$debt.table.schema).bind(&$debt.table.name).bind($debt.seq as i32)
    };
}
pub(crate) use bind_key;

/// Bind a whole debt, in [`COLUMNS`] order, to the next six placeholders of a query.
macro_rules! bind_row {
    ($query:expr, $debt:expr) => {
        $crate::engine::owed::bind_key!($query, $debt)
            .bind($debt.kind.as_str())
            .bind(&$debt.name)
            .bind(&$debt.statement)
    };
}
pub(crate) use bind_row;

/// One row as stored.
pub type Row = (String, String, i32, String, String, String);

pub fn from_row((schema, table, seq, kind, name, statement): Row) -> Result<OwedDdl, EngineError> {
    let kind = OwedKind::parse(&kind)
        .ok_or_else(|| EngineError::Data(format!("target: {OWED_DDL} holds an unknown kind `{kind}`")))?;
    Ok(OwedDdl { table: TableName::new(schema, table), seq: seq.max(0) as u32, kind, name, statement })
}

/// `SELECT` of every row, in the order they are added: every index before any foreign key, since
/// a foreign key needs the unique key it references.
pub fn select_sql(table: &str) -> String {
    format!(
        "SELECT {COLUMNS} FROM {table}
         ORDER BY CASE WHEN kind = 'foreign key' THEN 1 ELSE 0 END, schema_name, table_name, seq"
    )
}

/// The state table's name quoted, in `schema` where the engine qualifies it.
pub fn quoted(q: Quote, schema: Option<&str>) -> String {
    match schema {
        Some(s) => q.table(&TableName::new(s, OWED_DDL)),
        None => q.ident(OWED_DDL),
    }
}
