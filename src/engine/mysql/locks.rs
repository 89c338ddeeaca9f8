//! Waiting for another session's locks on a MySQL/MariaDB target: the wait is logged after a
//! few seconds with who holds locks, and a wait that runs out (error 1205, row or metadata
//! lock) names them in its error. The server does not say which table a lock is on in every
//! version, so the sessions named are those with a transaction that holds locks.

use std::time::Duration;

use sqlx::mysql::MySqlPool;

use crate::engine::contract::{EngineError, Relation};
use crate::engine::driver::waiting_for_lock;

/// ER_LOCK_WAIT_TIMEOUT: `innodb_lock_wait_timeout` or `lock_wait_timeout` ran out.
const LOCK_WAIT_TIMEOUT: u16 = 1205;

/// Where a statement that may wait for a lock runs: the waiting session's id (so it is not
/// named among the holders), the pool to ask from, and the lock wait.
pub(super) struct Waiting<'a> {
    pub pool: &'a MySqlPool,
    pub session: u64,
    pub lock_wait: Duration,
}

impl Waiting<'_> {
    pub async fn run<T>(
        &self,
        statement: impl Future<Output = Result<T, sqlx::Error>>,
        what: &str,
        table: &Relation,
    ) -> Result<T, EngineError> {
        let timed_out = |e: &sqlx::Error| {
            matches!(e, sqlx::Error::Database(db)
                if db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>().is_some_and(|my| my.number() == LOCK_WAIT_TIMEOUT))
        };
        waiting_for_lock(statement, what, table, self.lock_wait, || self.holders(), timed_out).await
    }

    /// Other sessions with a transaction holding row or table locks, by connection id, user
    /// and how long the transaction has been open. Without the PROCESS privilege the server
    /// shows none but the user's own.
    async fn holders(&self) -> Vec<String> {
        let holders: Vec<(u64, Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT CAST(t.trx_mysql_thread_id AS UNSIGNED), CONCAT(p.USER, '@', p.HOST),
                    CAST(TIMESTAMPDIFF(SECOND, t.trx_started, NOW()) AS SIGNED)
             FROM information_schema.INNODB_TRX t
             LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
             WHERE t.trx_mysql_thread_id NOT IN (?, CONNECTION_ID())
               AND (t.trx_rows_locked > 0 OR t.trx_tables_locked > 0 OR t.trx_lock_structs > 0)
             ORDER BY t.trx_started",
        )
        .bind(self.session)
        .fetch_all(self.pool)
        .await
        .unwrap_or_default();
        holders
            .iter()
            .map(|(id, user, open)| {
                let user = user.as_deref().unwrap_or("another user");
                format!("connection {id} (user {user}, transaction open {} s)", open.unwrap_or(0))
            })
            .collect()
    }
}
