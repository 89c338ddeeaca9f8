//! `--create-tables` on MySQL/MariaDB, where every DDL statement commits at once: the record of
//! what the new tables are owed is written (and committed) before the first table is created,
//! and a key is forgotten only after it was added. A run killed between the two finds the key
//! there at its next start and only forgets it.

use sqlx::mysql::MySqlPool;
use sqlx::{AssertSqlSafe, Executor};

use super::Q;
use crate::engine::contract::{EngineError, OWED_DDL, OwedDdl, OwedKind};
use crate::engine::driver::{failed, run_ddl, session};
use crate::engine::owed;

fn state() -> String {
    owed::quoted(Q, None)
}

pub async fn execute_ddl(pool: &MySqlPool, statements: &[String], debts: &[OwedDdl]) -> Result<(), EngineError> {
    let what = "target: creating tables";
    let mut conn = session(pool, "creating tables").await?;
    if !debts.is_empty() {
        let create = owed::create_sql(&state(), " DEFAULT CHARSET = utf8mb4");
        conn.execute(AssertSqlSafe(create)).await.map_err(|e| failed(what, e))?;
        let insert = format!("REPLACE INTO {} ({}) VALUES (?, ?, ?, ?, ?, ?)", state(), owed::COLUMNS);
        for d in debts {
            owed::bind_row!(sqlx::query(AssertSqlSafe(insert.clone())), d)
                .execute(&mut *conn)
                .await
                .map_err(|e| failed(what, e))?;
        }
    }
    run_ddl!(conn, statements).await
}

pub async fn list(pool: &MySqlPool) -> Result<Vec<OwedDdl>, EngineError> {
    let fail = |e| failed(format!("target: reading {OWED_DDL}"), e);
    let (exists,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
    )
    .bind(OWED_DDL)
    .fetch_one(pool)
    .await
    .map_err(fail)?;
    if exists == 0 {
        return Ok(Vec::new());
    }
    let rows: Vec<owed::Row> =
        sqlx::query_as(AssertSqlSafe(owed::select_sql(&state()))).fetch_all(pool).await.map_err(fail)?;
    rows.into_iter().map(owed::from_row).collect()
}

pub async fn settle(pool: &MySqlPool, debt: &OwedDdl, run: bool) -> Result<(), EngineError> {
    let what = format!("target: adding {debt}");
    let fail = |e| failed(&what, e);
    let mut conn = session(pool, "adding keys").await?;
    if run && !exists(&mut conn, debt).await.map_err(fail)? {
        // The pool's sessions load with foreign-key checks off, and with them off MySQL adds a
        // foreign key without looking at the rows: on, it refuses one the rows break.
        conn.execute("SET SESSION foreign_key_checks = 1").await.map_err(fail)?;
        let added = sqlx::raw_sql(AssertSqlSafe(debt.statement.clone())).execute(&mut *conn).await;
        conn.execute("SET SESSION foreign_key_checks = 0").await.map_err(fail)?;
        added.map_err(fail)?;
    }
    let forget = format!("DELETE FROM {} WHERE schema_name = ? AND table_name = ? AND seq = ?", state());
    owed::bind_key!(sqlx::query(AssertSqlSafe(forget)), debt).execute(&mut *conn).await.map_err(fail)?;
    let (left,): (i64,) = sqlx::query_as(AssertSqlSafe(format!("SELECT count(*) FROM {}", state())))
        .fetch_one(&mut *conn)
        .await
        .map_err(fail)?;
    if left == 0 {
        conn.execute(AssertSqlSafe(format!("DROP TABLE IF EXISTS {}", state()))).await.map_err(fail)?;
    }
    Ok(())
}

/// The index or constraint is there already (a killed run added it and did not forget it).
async fn exists(conn: &mut sqlx::MySqlConnection, debt: &OwedDdl) -> Result<bool, sqlx::Error> {
    let sql = match debt.kind {
        OwedKind::UniqueIndex | OwedKind::Index => {
            "SELECT count(*) FROM information_schema.STATISTICS
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = ?"
        }
        OwedKind::ForeignKey => {
            "SELECT count(*) FROM information_schema.TABLE_CONSTRAINTS
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = ? AND CONSTRAINT_TYPE = 'FOREIGN KEY'"
        }
    };
    let (n,): (i64,) = sqlx::query_as(sql)
        .bind(&debt.table.schema)
        .bind(&debt.table.name)
        .bind(&debt.name)
        .fetch_one(&mut *conn)
        .await?;
    Ok(n > 0)
}
