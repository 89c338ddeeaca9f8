//! Target triggers suspended for a load: SQLite cannot switch them off, so each one's
//! `CREATE TRIGGER` text is saved in [`SUSPENDED_TRIGGERS`] and the trigger dropped, in one
//! transaction; afterwards (or at the next start after a kill) each is created again from that
//! text, in its original order, and forgotten, again in one transaction.

use sqlx::sqlite::SqliteConnection;
use sqlx::{AssertSqlSafe, Executor};

use super::{Q, SCHEMA};
use crate::engine::contract::{EngineError, SUSPENDED_TRIGGERS, TriggerRef};
use crate::engine::driver::failed;
use crate::schema::TableName;

/// Triggers of `tables` with their text, in the order they were created (their firing order).
async fn with_text(
    conn: &mut SqliteConnection,
    tables: &[TableName],
) -> Result<Vec<(TriggerRef, String)>, EngineError> {
    let mut found = Vec::new();
    for table in tables {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ? COLLATE NOCASE ORDER BY rowid",
        )
        .bind(&table.name)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| failed(format!("target: listing the triggers of {table}"), e))?;
        found.extend(rows.into_iter().map(|(name, sql)| (TriggerRef { table: table.clone(), name }, sql)));
    }
    Ok(found)
}

pub async fn list(conn: &mut SqliteConnection, tables: &[TableName]) -> Result<Vec<TriggerRef>, EngineError> {
    Ok(with_text(conn, tables).await?.into_iter().map(|(t, _)| t).collect())
}

/// Run `body` in one `BEGIN IMMEDIATE` transaction, rolled back if it fails.
macro_rules! in_transaction {
    ($conn:expr, $what:expr, $body:expr) => {{
        $conn.execute("BEGIN IMMEDIATE").await.map_err(|e| failed($what, e))?;
        let result = $body;
        match result {
            Ok(v) => {
                $conn.execute("COMMIT").await.map_err(|e| failed($what, e))?;
                Ok(v)
            }
            Err(e) => {
                let _rolled_back_with_the_connection_if_this_fails = $conn.execute("ROLLBACK").await;
                Err(e)
            }
        }
    }};
}

pub async fn suspend(conn: &mut SqliteConnection, tables: &[TableName]) -> Result<Vec<TriggerRef>, EngineError> {
    let triggers = with_text(conn, tables).await?;
    if triggers.is_empty() {
        return Ok(Vec::new());
    }
    let state = Q.ident(SUSPENDED_TRIGGERS);
    in_transaction!(
        conn,
        "target: suspending triggers",
        async {
            let create = format!(
                "CREATE TABLE IF NOT EXISTS {state} (trigger_name text PRIMARY KEY, table_name text NOT NULL,
                 position integer NOT NULL, statement text NOT NULL)"
            );
            conn.execute(AssertSqlSafe(create))
                .await
                .map_err(|e| failed("target: creating the trigger state table", e))?;
            for (position, (t, sql)) in triggers.iter().enumerate() {
                let at = |e| failed(format!("target: suspending trigger {t}"), e);
                sqlx::query(AssertSqlSafe(format!("INSERT OR IGNORE INTO {state} VALUES (?, ?, ?, ?)")))
                    .bind(&t.name)
                    .bind(&t.table.name)
                    .bind(position as i64)
                    .bind(sql)
                    .execute(&mut *conn)
                    .await
                    .map_err(at)?;
                conn.execute(AssertSqlSafe(format!("DROP TRIGGER {}", Q.ident(&t.name)))).await.map_err(at)?;
            }
            Ok::<_, EngineError>(triggers.into_iter().map(|(t, _)| t).collect())
        }
        .await
    )
}

/// Whether the file has the state table of suspended triggers (it is dropped once empty).
async fn holds_suspended(conn: &mut SqliteConnection) -> Result<bool, EngineError> {
    let (exists,): (i64,) = sqlx::query_as("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?")
        .bind(SUSPENDED_TRIGGERS)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| failed("target: looking for suspended triggers", e))?;
    Ok(exists > 0)
}

pub async fn left_suspended(conn: &mut SqliteConnection) -> Result<Vec<TriggerRef>, EngineError> {
    if !holds_suspended(conn).await? {
        return Ok(Vec::new());
    }
    let saved: Vec<(String, String)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT s.trigger_name, s.table_name FROM {} s
         WHERE NOT EXISTS (SELECT 1 FROM sqlite_schema t WHERE t.type = 'trigger' AND t.name = s.trigger_name)
         ORDER BY s.table_name, s.position",
        Q.ident(SUSPENDED_TRIGGERS)
    )))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| failed("target: reading suspended triggers", e))?;
    Ok(saved.into_iter().map(|(name, table)| TriggerRef { table: TableName::new(SCHEMA, table), name }).collect())
}

pub async fn restore(conn: &mut SqliteConnection) -> Result<Vec<TriggerRef>, EngineError> {
    if !holds_suspended(conn).await? {
        return Ok(Vec::new());
    }
    let state = Q.ident(SUSPENDED_TRIGGERS);
    in_transaction!(
        conn,
        "target: restoring triggers",
        async {
            let saved: Vec<(String, String, String)> = sqlx::query_as(AssertSqlSafe(format!(
                "SELECT trigger_name, table_name, statement FROM {state} ORDER BY table_name, position"
            )))
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| failed("target: reading suspended triggers", e))?;
            let mut restored = Vec::new();
            for (name, table, statement) in saved {
                let t = TriggerRef { table: TableName::new(SCHEMA, table), name };
                let at = |e| failed(format!("target: restoring trigger {t}"), e);
                let (present,): (i64,) =
                    sqlx::query_as("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name = ?")
                        .bind(&t.name)
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(at)?;
                if present == 0 {
                    conn.execute(sqlx::raw_sql(AssertSqlSafe(statement))).await.map_err(at)?;
                }
                restored.push(t);
            }
            conn.execute(AssertSqlSafe(format!("DROP TABLE {state}")))
                .await
                .map_err(|e| failed("target: dropping the trigger state table", e))?;
            Ok::<_, EngineError>(restored)
        }
        .await
    )
}
