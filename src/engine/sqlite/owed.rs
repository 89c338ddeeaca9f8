//! `--create-tables` on SQLite: DDL is transactional here, so the tables and the record of the
//! indexes they are owed commit together, and each index is added and forgotten together.
//! (Foreign keys go inside CREATE TABLE: SQLite cannot add them later.)

use sqlx::sqlite::SqliteConnection;
use sqlx::{AssertSqlSafe, Executor};

use super::Q;
use crate::engine::contract::{EngineError, OWED_DDL, OwedDdl};
use crate::engine::driver::{failed, run_ddl};
use crate::engine::owed;

fn state() -> String {
    owed::quoted(Q, None)
}

/// `body` inside `BEGIN IMMEDIATE … COMMIT`, rolled back on any error.
macro_rules! in_transaction {
    ($conn:expr, $what:expr, $body:expr) => {{
        $conn.execute("BEGIN IMMEDIATE").await.map_err(|e| failed($what, e))?;
        let result: Result<(), EngineError> = $body.await;
        match result {
            Ok(()) => $conn.execute("COMMIT").await.map(drop).map_err(|e| failed($what, e)),
            Err(e) => {
                let _rolled_back_with_the_connection_if_this_fails = $conn.execute("ROLLBACK").await;
                Err(e)
            }
        }
    }};
}

pub async fn execute_ddl(
    conn: &mut SqliteConnection,
    statements: &[String],
    debts: &[OwedDdl],
) -> Result<(), EngineError> {
    let what = "target: creating tables";
    in_transaction!(conn, what, async {
        if !debts.is_empty() {
            conn.execute(AssertSqlSafe(owed::create_sql(&state(), ""))).await.map_err(|e| failed(what, e))?;
            let insert = format!("INSERT OR REPLACE INTO {} ({}) VALUES (?, ?, ?, ?, ?, ?)", state(), owed::COLUMNS);
            for d in debts {
                owed::bind_row!(sqlx::query(AssertSqlSafe(insert.clone())), d)
                    .execute(&mut *conn)
                    .await
                    .map_err(|e| failed(what, e))?;
            }
        }
        run_ddl!(conn, statements).await
    })
}

pub async fn list(conn: &mut SqliteConnection) -> Result<Vec<OwedDdl>, EngineError> {
    let fail = |e| failed(format!("target: reading {OWED_DDL}"), e);
    let (exists,): (i64,) = sqlx::query_as("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?")
        .bind(OWED_DDL)
        .fetch_one(&mut *conn)
        .await
        .map_err(fail)?;
    if exists == 0 {
        return Ok(Vec::new());
    }
    let rows: Vec<owed::Row> =
        sqlx::query_as(AssertSqlSafe(owed::select_sql(&state()))).fetch_all(&mut *conn).await.map_err(fail)?;
    rows.into_iter().map(owed::from_row).collect()
}

pub async fn settle(conn: &mut SqliteConnection, debt: &OwedDdl, run: bool) -> Result<(), EngineError> {
    let what = format!("target: adding {debt}");
    in_transaction!(conn, what.clone(), async {
        if run {
            sqlx::raw_sql(AssertSqlSafe(debt.statement.clone()))
                .execute(&mut *conn)
                .await
                .map_err(|e| failed(&what, e))?;
        }
        let forget = format!("DELETE FROM {} WHERE schema_name = ? AND table_name = ? AND seq = ?", state());
        owed::bind_key!(sqlx::query(AssertSqlSafe(forget)), debt)
            .execute(&mut *conn)
            .await
            .map_err(|e| failed(&what, e))?;
        let (left,): (i64,) = sqlx::query_as(AssertSqlSafe(format!("SELECT count(*) FROM {}", state())))
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| failed(&what, e))?;
        if left == 0 {
            conn.execute(AssertSqlSafe(format!("DROP TABLE {}", state()))).await.map_err(|e| failed(&what, e))?;
        }
        Ok(())
    })
}
