//! Everything that knows a database engine's SQL lives below this module, behind the two traits
//! of [`contract`]. [`connect_source`] and [`connect_target`] are the only places that pick an
//! engine; every other module talks to `dyn Source` and `dyn Target`. sqlx, today's driver, is
//! used here and nowhere else.

pub mod contract;
pub mod ddl;
mod driver;
pub mod mysql;
pub mod postgres;
mod read;
pub mod sql;
pub mod sqlite;
pub mod url;

pub use contract::{
    BatchLimits, ConnectOptions, EngineError, LoadSettings, ReadRequest, Side, Source, Target, WriteRequest,
};
pub use url::{DbUrl, EngineKind};

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

/// Each engine's text forms, for code that compares engines without a connection (the README's
/// type tables, plan tests).
pub fn forms_of(kind: EngineKind) -> crate::data::forms::TextForms {
    match kind {
        EngineKind::Postgres => postgres::forms(),
        EngineKind::MySql => mysql::forms(),
        EngineKind::Sqlite => sqlite::forms(),
    }
}

/// Each engine's `--create-tables` dialect, likewise.
pub fn dialect_of(kind: EngineKind) -> ddl::Dialect {
    match kind {
        EngineKind::Postgres => postgres::DIALECT,
        EngineKind::MySql => mysql::DIALECT,
        EngineKind::Sqlite => sqlite::DIALECT,
    }
}
