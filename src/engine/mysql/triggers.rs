//! Target triggers suspended for a load: MySQL/MariaDB cannot switch them off for a session, so
//! each is saved in [`SUSPENDED_TRIGGERS`] (statement, `sql_mode`, client character set and
//! collation, its place among the table's triggers) and dropped; afterwards, or at the next
//! start after a kill, each is created again from what was saved, with the same settings, in
//! its original order. DDL commits at once here, so every step is one autocommitted statement
//! that a rerun can repeat: a trigger that already exists again is only forgotten.

use sqlx::mysql::{MySqlConnection, MySqlPool};
use sqlx::{AssertSqlSafe, Connection, Executor, Row};

use super::Q;
use crate::engine::contract::{EngineError, SUSPENDED_TRIGGERS, TriggerRef};
use crate::engine::driver::failed;
use crate::schema::TableName;

/// Triggers of `tables`, in the order they fire for each event.
pub async fn list(pool: &MySqlPool, tables: &[TableName]) -> Result<Vec<TriggerRef>, EngineError> {
    let mut conn = pool.acquire().await.map_err(|e| failed("target: connecting to list triggers", e))?;
    let mut found = Vec::new();
    for table in tables {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS
             WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ?
             ORDER BY EVENT_MANIPULATION, ACTION_TIMING, ACTION_ORDER",
        )
        .bind(&table.schema)
        .bind(&table.name)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| failed(format!("target: listing the triggers of {table}"), e))?;
        found.extend(rows.into_iter().map(|(name,)| TriggerRef { table: table.clone(), name }));
    }
    Ok(found)
}

pub async fn suspend(pool: &MySqlPool, tables: &[TableName]) -> Result<Vec<TriggerRef>, EngineError> {
    let triggers = list(pool, tables).await?;
    if triggers.is_empty() {
        return Ok(triggers);
    }
    let mut conn = pool.acquire().await.map_err(|e| failed("target: connecting to suspend triggers", e))?;
    let state = Q.ident(SUSPENDED_TRIGGERS);
    let create = format!(
        "CREATE TABLE IF NOT EXISTS {state} (
             schema_name varchar(64) NOT NULL, table_name varchar(64) NOT NULL,
             trigger_name varchar(64) NOT NULL, position int NOT NULL,
             sql_mode text NOT NULL, character_set_client varchar(64) NOT NULL,
             collation_connection varchar(64) NOT NULL, statement longtext NOT NULL,
             PRIMARY KEY (schema_name, trigger_name)
         ) DEFAULT CHARSET = utf8mb4"
    );
    conn.execute(AssertSqlSafe(create)).await.map_err(|e| failed("target: creating the trigger state table", e))?;
    for (position, t) in triggers.iter().enumerate() {
        let at = |e| failed(format!("target: suspending trigger {t}"), e);
        let show = format!("SHOW CREATE TRIGGER {}.{}", Q.ident(&t.table.schema), Q.ident(&t.name));
        let row = conn.fetch_one(AssertSqlSafe(show)).await.map_err(at)?;
        // Trigger, sql_mode, SQL Original Statement, character_set_client, collation_connection
        let text = |i: usize| row.try_get_unchecked::<String, _>(i);
        let (sql_mode, statement, charset, collation) = (text(1), text(2), text(3), text(4));
        let (sql_mode, statement, charset, collation) =
            (sql_mode.map_err(at)?, statement.map_err(at)?, charset.map_err(at)?, collation.map_err(at)?);
        let save = format!(
            "INSERT INTO {state} VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON DUPLICATE KEY UPDATE statement = statement"
        );
        sqlx::query(AssertSqlSafe(save))
            .bind(&t.table.schema)
            .bind(&t.table.name)
            .bind(&t.name)
            .bind(position as i64)
            .bind(sql_mode)
            .bind(charset)
            .bind(collation)
            .bind(statement)
            .execute(&mut *conn)
            .await
            .map_err(at)?;
        let drop = format!("DROP TRIGGER IF EXISTS {}.{}", Q.ident(&t.table.schema), Q.ident(&t.name));
        conn.execute(AssertSqlSafe(drop)).await.map_err(at)?;
    }
    Ok(triggers)
}

type Saved = (String, String, String, String, String, String, String);

/// Whether the target has the state table of suspended triggers (it is dropped once empty).
async fn holds_suspended(conn: &mut MySqlConnection) -> Result<bool, EngineError> {
    let (exists,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
    )
    .bind(SUSPENDED_TRIGGERS)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| failed("target: looking for suspended triggers", e))?;
    Ok(exists > 0)
}

pub async fn left_suspended(pool: &MySqlPool) -> Result<Vec<TriggerRef>, EngineError> {
    let mut conn = pool.acquire().await.map_err(|e| failed("target: connecting to look for suspended triggers", e))?;
    if !holds_suspended(&mut conn).await? {
        return Ok(Vec::new());
    }
    let saved: Vec<(String, String, String)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT s.schema_name, s.table_name, s.trigger_name FROM {} s
         WHERE NOT EXISTS (SELECT 1 FROM information_schema.TRIGGERS t
                           WHERE t.TRIGGER_SCHEMA = s.schema_name AND t.TRIGGER_NAME = s.trigger_name)
         ORDER BY s.schema_name, s.table_name, s.position",
        Q.ident(SUSPENDED_TRIGGERS)
    )))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| failed("target: reading suspended triggers", e))?;
    Ok(saved
        .into_iter()
        .map(|(schema, table, name)| TriggerRef { table: TableName::new(schema, table), name })
        .collect())
}

pub async fn restore(pool: &MySqlPool) -> Result<Vec<TriggerRef>, EngineError> {
    let pooled = pool.acquire().await.map_err(|e| failed("target: connecting to restore triggers", e))?;
    // Its sql_mode and character set become each trigger's: the session is not handed back.
    let mut conn: MySqlConnection = pooled.detach();
    let restored = restore_on(&mut conn).await;
    let _closing_is_best_effort = conn.close().await;
    restored
}

async fn restore_on(conn: &mut MySqlConnection) -> Result<Vec<TriggerRef>, EngineError> {
    if !holds_suspended(conn).await? {
        return Ok(Vec::new());
    }
    let state = Q.ident(SUSPENDED_TRIGGERS);
    let saved: Vec<Saved> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT schema_name, table_name, trigger_name, sql_mode, character_set_client, collation_connection,
                statement
         FROM {state} ORDER BY schema_name, table_name, position"
    )))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| failed("target: reading suspended triggers", e))?;
    let mut restored = Vec::new();
    for (schema, table, name, sql_mode, charset, collation, statement) in saved {
        let t = TriggerRef { table: TableName::new(&schema, &table), name };
        let at = |e| failed(format!("target: restoring trigger {t}"), e);
        let (present,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME = ?",
        )
        .bind(&schema)
        .bind(&t.name)
        .fetch_one(&mut *conn)
        .await
        .map_err(at)?;
        if present == 0 {
            sqlx::query("SET SESSION sql_mode = ?, SESSION character_set_client = ?, SESSION collation_connection = ?")
                .bind(&sql_mode)
                .bind(&charset)
                .bind(&collation)
                .execute(&mut *conn)
                .await
                .map_err(at)?;
            // The statement as the server gave it back (definer and all); it names the trigger
            // without a schema, so it goes into the session's database: the table's.
            conn.execute(sqlx::raw_sql(AssertSqlSafe(statement))).await.map_err(at)?;
        }
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {state} WHERE schema_name = ? AND trigger_name = ?")))
            .bind(&schema)
            .bind(&t.name)
            .execute(&mut *conn)
            .await
            .map_err(at)?;
        restored.push(t);
    }
    let (left,): (i64,) = sqlx::query_as(AssertSqlSafe(format!("SELECT count(*) FROM {state}")))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| failed("target: reading suspended triggers", e))?;
    if left == 0 {
        conn.execute(AssertSqlSafe(format!("DROP TABLE {state}")))
            .await
            .map_err(|e| failed("target: dropping the trigger state table", e))?;
    }
    Ok(restored)
}
