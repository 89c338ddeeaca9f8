//! `--create-tables` on PostgreSQL: DDL is transactional here, so the tables and the record of
//! the keys they are owed commit together, and each key is added and forgotten together.

use sqlx::postgres::PgPool;
use sqlx::{AssertSqlSafe, Executor};

use super::Q;
use crate::engine::contract::{EngineError, OWED_DDL, OwedDdl};
use crate::engine::driver::{failed, run_ddl};
use crate::engine::owed;

/// The state table lives in the schema new tables are created in.
const SCHEMA: &str = "public";

fn state() -> String {
    owed::quoted(Q, Some(SCHEMA))
}

pub async fn execute_ddl(pool: &PgPool, statements: &[String], debts: &[OwedDdl]) -> Result<(), EngineError> {
    let fail = |e| failed("target: creating tables", e);
    let mut tx = pool.begin().await.map_err(fail)?;
    // Definitions read from another PostgreSQL name their tables and types unqualified.
    (&mut *tx).execute(AssertSqlSafe(format!("SET LOCAL search_path TO {}", Q.ident(SCHEMA)))).await.map_err(fail)?;
    if !debts.is_empty() {
        (&mut *tx).execute(AssertSqlSafe(owed::create_sql(&state(), ""))).await.map_err(fail)?;
        let insert = format!(
            "INSERT INTO {} ({}) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (schema_name, table_name, seq) DO UPDATE
             SET kind = EXCLUDED.kind, name = EXCLUDED.name, statement = EXCLUDED.statement",
            state(),
            owed::COLUMNS
        );
        for d in debts {
            owed::bind_row!(sqlx::query(AssertSqlSafe(insert.clone())), d).execute(&mut *tx).await.map_err(fail)?;
        }
    }
    run_ddl!(tx, statements).await?;
    tx.commit().await.map_err(fail)
}

pub async fn list(pool: &PgPool) -> Result<Vec<OwedDdl>, EngineError> {
    let fail = |e| failed(format!("target: reading {OWED_DDL}"), e);
    let (exists,): (bool,) = sqlx::query_as("SELECT to_regclass($1) IS NOT NULL")
        .bind(format!("{SCHEMA}.{OWED_DDL}"))
        .fetch_one(pool)
        .await
        .map_err(fail)?;
    if !exists {
        return Ok(Vec::new());
    }
    let rows: Vec<owed::Row> =
        sqlx::query_as(AssertSqlSafe(owed::select_sql(&state()))).fetch_all(pool).await.map_err(fail)?;
    rows.into_iter().map(owed::from_row).collect()
}

pub async fn settle(
    pool: &PgPool,
    debt: &OwedDdl,
    run: bool,
    lock_wait: std::time::Duration,
) -> Result<(), EngineError> {
    let fail = |e| failed(format!("target: adding {debt}"), e);
    let mut tx = pool.begin().await.map_err(fail)?;
    let wait =
        format!("SET LOCAL lock_timeout = '{}s'; SET LOCAL search_path TO {}", lock_wait.as_secs(), Q.ident(SCHEMA));
    (&mut *tx).execute(sqlx::raw_sql(AssertSqlSafe(wait))).await.map_err(fail)?;
    if run {
        (&mut *tx).execute(sqlx::raw_sql(AssertSqlSafe(debt.statement.clone()))).await.map_err(fail)?;
    }
    let forget = format!("DELETE FROM {} WHERE schema_name = $1 AND table_name = $2 AND seq = $3", state());
    owed::bind_key!(sqlx::query(AssertSqlSafe(forget)), debt).execute(&mut *tx).await.map_err(fail)?;
    let (left,): (i64,) = sqlx::query_as(AssertSqlSafe(format!("SELECT count(*) FROM {}", state())))
        .fetch_one(&mut *tx)
        .await
        .map_err(fail)?;
    if left == 0 {
        (&mut *tx).execute(AssertSqlSafe(format!("DROP TABLE {}", state()))).await.map_err(fail)?;
    }
    tx.commit().await.map_err(fail)
}
