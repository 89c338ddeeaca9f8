//! sqlx, the driver all three engines use today, in the words of the engine contract: its
//! errors become [`EngineError`]s here, with the server's message and detail and never a
//! password.

use super::contract::{EngineError, Side};
use super::url::DbUrl;

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

/// A failed statement, with what was being done.
pub fn failed(context: impl Into<String>, err: sqlx::Error) -> EngineError {
    EngineError::query(context, describe(&err))
}

/// A failed connection: the URL redacted, its password scrubbed from the driver's words.
pub fn unreachable(side: Side, url: &DbUrl, err: &sqlx::Error) -> EngineError {
    EngineError::Connect { side, url: url.to_string(), message: url.scrub(&describe(err)) }
}
