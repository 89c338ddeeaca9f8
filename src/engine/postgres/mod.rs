//! PostgreSQL: read with `COPY (SELECT …) TO STDOUT`, write with `COPY … FROM STDIN`, both in
//! text format, so every type (enums, domains, arrays, ranges, tsvector…) travels in the form the
//! server itself reads back.

mod copy_text;
mod introspect;
mod source;
mod target;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions as _, Connection};

pub use source::PgSource;
pub use target::PgTarget;

use super::{EngineError, Side, describe};
use crate::dburl::DbUrl;
use crate::schema::TableName;

/// `"name"` with embedded quotes doubled.
pub fn quote_ident(name: &str) -> String {
    super::quote_with(name, '"')
}

pub fn quote_table(table: &TableName) -> String {
    format!("{}.{}", quote_ident(&table.schema), quote_ident(&table.name))
}

/// The tables dbtwin addresses with ONLY: every table but partitioned ones. ONLY keeps an
/// inheritance parent's rows apart from its children's (tables of their own), but a partitioned
/// table holds no rows itself: its rows are its partitions'.
#[derive(Default)]
struct Partitioned(std::sync::Mutex<std::collections::HashSet<TableName>>);

impl Partitioned {
    fn set(&self, tables: std::collections::HashSet<TableName>) {
        *self.0.lock().expect("partitioned tables") = tables;
    }

    /// `ONLY "s"."t"`, or `"s"."t"` for a partitioned table.
    fn relation(&self, table: &TableName) -> String {
        if self.0.lock().expect("partitioned tables").contains(table) {
            quote_table(table)
        } else {
            format!("ONLY {}", quote_table(table))
        }
    }
}

fn quote_list(columns: &[String]) -> String {
    columns.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ")
}

/// PostgreSQL's text forms: `t`/`f`, `\\x` hex bytea, array literals, NaN and Infinity.
pub fn forms() -> super::TextForms {
    super::TextForms {
        binary: crate::mask::BinaryText::Hex,
        booleans: ("t", "f"),
        arrays: true,
        zero_dates: false,
        decimal_digits: None,
        non_finite_floats: true,
        byte_valued: |_| false,
    }
}

/// A translated column default in this engine's SQL (`--create-tables`).
pub fn default_sql(d: &super::ddl::DefaultValue, _ty: &str) -> String {
    use super::ddl::DefaultValue as D;
    match d {
        D::Number(n) => n.clone(),
        D::Text(t) => super::ddl::text_literal(t),
        D::Bool(b) => b.to_string(),
        D::CurrentTimestamp => "CURRENT_TIMESTAMP".into(),
    }
}

/// The PostgreSQL type for a source column (`--create-tables`).
pub fn column_type(col: &crate::schema::Column, same_engine: bool, _key: bool) -> String {
    use crate::schema::TypeClass as C;
    if same_engine && !matches!(col.class, C::Enum | C::Other) {
        return col.declared_type.clone();
    }
    let unsigned = super::ddl::is_unsigned(col);
    match col.class {
        C::Bool => "boolean".into(),
        C::Int { bytes } => match (bytes, unsigned) {
            (1 | 2, false) => "smallint".into(),
            (1 | 2, true) | (3 | 4, false) => "integer".into(),
            (3 | 4, true) | (_, false) => "bigint".into(),
            (_, true) => "numeric(20)".into(),
        },
        C::Decimal => match super::ddl::precision(&col.declared_type) {
            Some((p, s)) => format!("numeric({p},{s})"),
            None => "numeric".into(),
        },
        C::Float => "double precision".into(),
        C::Text => col.max_chars.map_or("text".into(), |n| format!("varchar({n})")),
        C::Binary => "bytea".into(),
        C::Date => "date".into(),
        C::Time => "time".into(),
        C::Timestamp => "timestamp".into(),
        C::TimestampTz => "timestamptz".into(),
        C::Interval => "interval".into(),
        C::Uuid => "uuid".into(),
        C::Json | C::Array => "jsonb".into(),
        C::Inet => "inet".into(),
        C::Enum | C::Other => "text".into(),
    }
}

/// Driver options from the URL plus the session settings every dbtwin connection needs.
fn connect_options(url: &DbUrl, side: Side, extra: &[(&str, &str)]) -> Result<PgConnectOptions, EngineError> {
    let options = PgConnectOptions::from_str(url.expose_secret()).map_err(|e| EngineError::Connect {
        side,
        url: url.to_string(),
        message: url.scrub(&describe(&e)),
    })?;
    let mut settings = vec![
        // Outputs that the same server reads back unchanged, whatever postgresql.conf says.
        ("IntervalStyle", "postgres"),
        ("extra_float_digits", "3"),
        ("bytea_output", "hex"),
        // timestamptz in UTC, so another engine gets UTC wall-clock times.
        ("TimeZone", "UTC"),
        ("DateStyle", "ISO, YMD"),
        // A long copy is not an idle or slow statement.
        ("statement_timeout", "0"),
        ("lock_timeout", "0"),
        ("idle_in_transaction_session_timeout", "0"),
    ];
    settings.extend_from_slice(extra);
    // Statement logging would print every COPY and flag long merges as "slow": dbtwin reports
    // its own progress and errors.
    Ok(options.application_name("dbtwin").options(settings).disable_statement_logging())
}

async fn pool(url: &DbUrl, side: Side, options: PgConnectOptions, size: usize) -> Result<PgPool, EngineError> {
    // One direct connection first: the pool retries failed connects until its acquire timeout,
    // which would keep a user with a wrong port or password waiting instead of telling them.
    let probe = PgConnection::connect_with(&options).await.map_err(|e| EngineError::Connect {
        side,
        url: url.to_string(),
        message: url.scrub(&describe(&e)),
    })?;
    let _closing_is_best_effort = probe.close().await;
    Ok(PgPoolOptions::new()
        .max_connections(size as u32)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(60))
        .connect_lazy_with(options))
}

/// Server and database identity: same postmaster start time, port and database is the same
/// database whatever host name or address reached it.
async fn identity(pool: &PgPool, side: Side) -> Result<String, EngineError> {
    let (db, started, port): (String, String, String) =
        sqlx::query_as("SELECT current_database()::text, pg_postmaster_start_time()::text, current_setting('port')")
            .fetch_one(pool)
            .await
            .map_err(|e| EngineError::query(format!("{side}: reading the server identity"), e))?;
    Ok(format!("postgres:{port}:{started}:{db}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_doubles_quotes_and_keeps_everything_else() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident("select"), "\"select\"");
        assert_eq!(quote_ident("Ünï cödé.x"), "\"Ünï cödé.x\"");
        assert_eq!(quote_table(&TableName::new("my schema", "Tab\"le")), "\"my schema\".\"Tab\"\"le\"");
    }
}
