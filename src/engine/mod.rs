//! Everything that knows a database engine's SQL lives below this module, behind the two traits
//! of [`contract`]. [`connect_source`] and [`connect_target`] are the only places that pick an
//! engine; every other module talks to `dyn Source` and `dyn Target`. sqlx, today's driver, is
//! used here and nowhere else.

pub mod contract;
pub mod ddl;
mod driver;
pub mod mysql;
mod owed;
pub mod postgres;
mod read;
pub mod sql;
pub mod sqlite;
pub mod url;

pub use contract::{
    BatchLimits, ConnectOptions, ConnectedSource, ConnectedTarget, EngineError, KeyList, LoadSettings, OwedDdl,
    Present, ReadRequest, Recompute, Relation, RowFilter, Side, Since, Source, SourceProfile, StateRow, StateWrite,
    Target, TargetProfile, TriggerRef, WriteRequest, Written,
};
pub use url::{DbUrl, EngineKind};

/// Connect the engine the URL names: `$pg`, `$my` or `$lite`, each a type with `connect`.
macro_rules! connect_by_kind {
    ($url:expr, $options:expr, $pg:ty, $my:ty, $lite:ty) => {
        Ok(match $url.engine() {
            EngineKind::Postgres => <$pg>::connect($url, $options).await?.into(),
            EngineKind::MySql => <$my>::connect($url, $options).await?.into(),
            EngineKind::Sqlite => <$lite>::connect($url, $options).await?.into(),
        })
    };
}

pub async fn connect_source(url: &DbUrl, options: ConnectOptions) -> Result<ConnectedSource, EngineError> {
    connect_by_kind!(url, options, postgres::PgSource, mysql::MySqlSource, sqlite::SqliteSource)
}

pub async fn connect_target(url: &DbUrl, options: ConnectOptions) -> Result<ConnectedTarget, EngineError> {
    connect_by_kind!(url, options, postgres::PgTarget, mysql::MySqlTarget, sqlite::SqliteTarget)
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
