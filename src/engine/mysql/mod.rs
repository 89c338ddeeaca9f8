//! MySQL and MariaDB: read with the text protocol (a plain, non-prepared SELECT streamed row by
//! row), so every value arrives in the server's own text form and goes back unchanged; write
//! with prepared multi-row INSERTs whose values are bound, never pasted into SQL.

mod introspect;
mod locks;
mod merge;
mod owed;
mod snapshot;
mod source;
mod target;
mod triggers;

use std::str::FromStr;

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection};
use sqlx::{ConnectOptions as _, Connection, Executor};

pub use source::MySqlSource;
pub use target::MySqlTarget;

use crate::data::forms::{BinaryText, TextForms};
use crate::engine::contract::{EngineError, Side};
use crate::engine::ddl::{self, DefaultValue, Dialect, NameLimit};
use crate::engine::driver::{connecting, failed, unreachable};
use crate::engine::sql::{Quote, text_literal};
use crate::engine::url::{DbUrl, EngineKind};
use crate::schema::{Column, TypeClass};

const Q: Quote = Quote::Backtick;

/// `--create-tables` in MySQL's SQL.
pub const DIALECT: Dialect = Dialect {
    auto_increment: "AUTO_INCREMENT",
    name_limit: NameLimit::Chars(64, "MySQL"),
    index_names_per_table: true,
    max_key_bytes: Some(3072),
    set_default_action: false,
    ..Dialect::new(Q, column_type, default_sql)
};

/// MySQL's text forms: `1`/`0` booleans, raw bytes, zero dates, no arrays, no NaN.
pub fn forms() -> TextForms {
    let byte_valued = |declared: &str| introspect::is_byte_valued(TypeClass::Other, declared);
    TextForms { zero_dates: true, byte_valued, ..TextForms::plain(BinaryText::Raw, ("1", "0")) }
}

/// A translated column default in this engine's SQL (`--create-tables`).
fn default_sql(d: &DefaultValue, ty: &str) -> String {
    use DefaultValue as D;
    // Unbounded types take a default only as an expression (MySQL 8.0.13+, MariaDB 10.2+).
    let wrap =
        |v: String| if ty.contains("text") || ty.contains("blob") || ty == "json" { format!("({v})") } else { v };
    match d {
        // A backslash starts an escape in MySQL's string literals.
        D::Text(t) => wrap(text_literal(&t.replace('\\', "\\\\"))),
        D::Number(_) => wrap(d.standard_sql(("1", "0"))),
        D::CurrentTimestamp if ty.ends_with("(6)") => "CURRENT_TIMESTAMP(6)".into(),
        D::Bool(_) | D::CurrentTimestamp => d.standard_sql(("1", "0")),
        // An expression default: parenthesised (MySQL 8.0.13+, MariaDB 10.2+).
        D::CurrentDate => "(CURRENT_DATE)".into(),
    }
}

/// The MySQL type for a source column (`--create-tables`). Columns in a key get bounded types
/// (`key`: the characters each may take): InnoDB cannot index unbounded text or blobs, and a
/// whole key must fit 3,072 bytes.
pub fn column_type(col: &Column, same_engine: bool, key: Option<u32>) -> String {
    use TypeClass as C;
    if same_engine {
        return col.declared_type.clone();
    }
    if let Some(t) = ddl::class_type(col.class, EngineKind::MySql) {
        return t.into();
    }
    let unsigned = if ddl::is_unsigned(col) { " unsigned" } else { "" };
    match col.class {
        C::Int { bytes } => {
            let base = match bytes {
                1 => "tinyint",
                2 => "smallint",
                3 => "mediumint",
                4 => "int",
                _ => "bigint",
            };
            format!("{base}{unsigned}")
        }
        // Beyond decimal(65,30) MySQL would round: keep the digits as text instead.
        C::Decimal => match ddl::precision(&col.declared_type) {
            Some((p, s)) if p <= 65 && s <= 30 => format!("decimal({p},{s})"),
            _ => key.map_or("longtext".into(), |n| format!("varchar({n})")),
        },
        C::Binary => key.map_or("longblob".into(), |n| format!("varbinary({})", n * 4)),
        // Text, and what travels as text: enums, addresses, intervals.
        _ => match col.max_chars {
            Some(n) if n <= 255 && ddl::is_fixed_char(col) => format!("char({n})"),
            Some(n) if n <= 16_383 => format!("varchar({n})"),
            _ => key.map_or("longtext".into(), |n| format!("varchar({n})")),
        },
    }
}

/// A year in seconds: long enough that a slow writer never gets the reader killed by the
/// server (net_write_timeout), nor an idle writer between batches (net_read_timeout).
const NET_TIMEOUT: &str = "31536000";

fn connect_options(url: &DbUrl, side: Side) -> Result<MySqlConnectOptions, EngineError> {
    let text = url.expose_secret();
    // The driver knows only mysql://; mariadb:// is the same protocol.
    let text = match text.strip_prefix("mariadb://") {
        Some(rest) => format!("mysql://{rest}"),
        None => text.to_string(),
    };
    let options = MySqlConnectOptions::from_str(&text).map_err(|e| unreachable(side, url, &e))?;
    // utf8mb4 for 4-byte characters; UTC so TIMESTAMP values read and write unshifted.
    Ok(options.charset("utf8mb4").timezone(Some("+00:00".to_string())).disable_statement_logging())
}

async fn connect(url: &DbUrl, side: Side, options: &MySqlConnectOptions) -> Result<MySqlConnection, EngineError> {
    connecting(side, url, MySqlConnection::connect_with(options)).await
}

/// Session settings both directions need.
async fn prepare_session(conn: &mut MySqlConnection, side: Side, extra: &str) -> Result<(), EngineError> {
    let sql = format!("SET SESSION net_write_timeout = {NET_TIMEOUT}, net_read_timeout = {NET_TIMEOUT}{extra}");
    conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(sql)))
        .await
        .map_err(|e| failed(format!("{side}: preparing the session"), e))?;
    Ok(())
}

/// Server and database identity, to refuse a target that is the source under another name.
async fn identity(conn: &mut MySqlConnection, side: Side) -> Result<(String, String), EngineError> {
    let (host, port, datadir, db, version): (String, u32, String, Option<String>, String) =
        sqlx::query_as("SELECT @@hostname, CAST(@@port AS UNSIGNED), @@datadir, DATABASE(), VERSION()")
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| failed(format!("{side}: reading the server identity"), e))?;
    Ok((format!("mysql:{host}:{port}:{datadir}:{}", db.unwrap_or_default()), version))
}
