//! sqlx, the driver all three engines use today, in the words of the engine contract: its
//! errors become [`EngineError`]s here, with the server's message and detail and never a
//! password.

use futures_util::{Stream, TryStreamExt};
use sqlx::pool::PoolConnection;

use super::contract::{EngineError, ReadRequest, Relation, SessionLimit, Side};
use super::read::Batcher;
use super::url::DbUrl;
use crate::data::batch::Batch;
use crate::data::channel::BatchSender;

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
        // The socket's own words (`os error 104`, `expected to read 214 bytes`) tell a user
        // nothing they can act on; what happened does.
        sqlx::Error::Io(_) => LOST.to_string(),
        // A reply cut short by the closed socket; other protocol errors say something else.
        sqlx::Error::Protocol(m) if m.contains("EOF") => LOST.to_string(),
        other => other.to_string(),
    }
}

const LOST: &str =
    "the connection to the server was lost (the server ended the session, restarted, or the network dropped it)";

/// A failed statement, with what was being done.
pub fn failed(context: impl Into<String>, err: sqlx::Error) -> EngineError {
    EngineError::query(context, describe(&err))
}

/// A failed statement of a table's write: `target: {what} {table}: …`.
pub fn failed_on<'a>(what: &'a str, table: &'a Relation) -> impl FnOnce(sqlx::Error) -> EngineError + 'a {
    move |e| failed(format!("target: {what} {table}"), e)
}

/// How long a statement waits for a lock before the run says what it is waiting for.
pub const LOCK_NOTE_AFTER: std::time::Duration = std::time::Duration::from_secs(3);

/// Runs `work`; if it is still waiting after [`LOCK_NOTE_AFTER`], `note` runs once beside it
/// (it names who holds the lock: a wait of minutes must not look like a hang).
pub async fn noting_a_lock_wait<T>(work: impl Future<Output = T>, note: impl Future<Output = ()>) -> T {
    let note = async {
        tokio::time::sleep(LOCK_NOTE_AFTER).await;
        note.await;
        std::future::pending::<std::convert::Infallible>().await
    };
    tokio::select! {
        done = work => done,
        never = note => match never {},
    }
}

/// Runs a target statement that may wait for a lock on `table`: after [`LOCK_NOTE_AFTER`] the
/// wait is logged with what `holders` says holds it, and a wait that runs out (`timed_out`
/// tells the engine's error) fails naming them.
pub async fn waiting_for_lock<T, H>(
    statement: impl Future<Output = Result<T, sqlx::Error>>,
    what: &str,
    table: &Relation,
    lock_wait: std::time::Duration,
    holders: impl Fn() -> H,
    timed_out: impl Fn(&sqlx::Error) -> bool,
) -> Result<T, EngineError>
where
    H: Future<Output = Vec<String>>,
{
    let wait = lock_wait.as_secs();
    let note = async {
        let who = holders().await;
        if who.is_empty() {
            // Nobody the server shows holds a lock: most likely a long statement, not a wait.
            tracing::info!(
                "target: {what} {table} is still running; if another session holds the table, it gives up after \
                 {wait} s (--lock-wait)"
            );
        } else {
            tracing::warn!(
                "target: {what} {table} is waiting for a lock held by {}; it gives up after {wait} s (--lock-wait)",
                who.join(", ")
            );
        }
    };
    let err = match noting_a_lock_wait(statement, note).await {
        Ok(done) => return Ok(done),
        Err(e) => e,
    };
    if !timed_out(&err) {
        return Err(failed_on(what, table)(err));
    }
    let who = holders().await;
    let who = if who.is_empty() { "another session".to_string() } else { who.join(", ") };
    Err(EngineError::query(
        format!("target: {what} {table}"),
        format!("the table is held by {who} for more than {wait} s (--lock-wait)"),
    ))
}

/// A pooled session of the target, or why there is none (`what` says what it was for).
pub async fn session<DB: sqlx::Database>(pool: &sqlx::Pool<DB>, what: &str) -> Result<PoolConnection<DB>, EngineError> {
    pool.acquire().await.map_err(|e| failed(format!("target: connecting for {what}"), e))
}

/// Connect within the URL's `connect_timeout`: a server that accepts the connection and never
/// answers would otherwise keep a run waiting forever, silently.
pub async fn connecting<T>(
    side: Side,
    url: &DbUrl,
    connect: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, EngineError> {
    match tokio::time::timeout(url.connect_timeout(), connect).await {
        Ok(connected) => connected.map_err(|e| unreachable(side, url, &e)),
        Err(_) => Err(no_answer(side, url)),
    }
}

fn no_answer(side: Side, url: &DbUrl) -> EngineError {
    EngineError::Connect {
        side,
        url: url.to_string(),
        message: format!(
            "no answer from {} within {} s (set connect_timeout=SECONDS in the URL)",
            url.host(),
            url.connect_timeout().as_secs()
        ),
    }
}

/// Open up to `wanted` sessions at once, to learn how many the server lets this user have: the
/// first must open (its failure is the connection's error); a later one refused for too many
/// connections is a limit the run lives with, any other failure is an error. The sessions are
/// the caller's to keep or close.
pub async fn probe_sessions<C, Fut>(
    side: Side,
    url: &DbUrl,
    wanted: usize,
    open: impl Fn() -> Fut,
) -> Result<(Vec<C>, Option<SessionLimit>), EngineError>
where
    Fut: std::future::Future<Output = Result<C, sqlx::Error>>,
{
    let first = connecting(side, url, open()).await?;
    let more = futures_util::future::join_all((1..wanted).map(|_| connecting_raw(url, open()))).await;
    let mut sessions = vec![first];
    let mut refused = None;
    for opened in more {
        match opened {
            Ok(Some(conn)) => sessions.push(conn),
            Ok(None) => return Err(no_answer(side, url)),
            Err(e) if too_many_connections(&e) => refused = Some(url.scrub(&describe(&e))),
            Err(e) => return Err(unreachable(side, url, &e)),
        }
    }
    let limit = refused.map(|reason| SessionLimit { sessions: sessions.len(), reason });
    Ok((sessions, limit))
}

/// A connection within the URL's timeout: `None` when the time ran out.
async fn connecting_raw<T>(
    url: &DbUrl,
    connect: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<Option<T>, sqlx::Error> {
    match tokio::time::timeout(url.connect_timeout(), connect).await {
        Ok(connected) => connected.map(Some),
        Err(_) => Ok(None),
    }
}

/// The server refused a session because the user, the database or the server has as many as
/// it allows (PostgreSQL 53300; MySQL 1040 server, 1203 and 1226 user limits).
fn too_many_connections(err: &sqlx::Error) -> bool {
    let Some(db) = err.as_database_error() else { return false };
    if db.code().as_deref() == Some("53300") {
        return true;
    }
    db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>().is_some_and(|my| matches!(my.number(), 1040 | 1203 | 1226))
}

/// A failed connection: the URL redacted, its password scrubbed from the driver's words.
pub fn unreachable(side: Side, url: &DbUrl, err: &sqlx::Error) -> EngineError {
    EngineError::Connect { side, url: url.to_string(), message: url.scrub(&describe(err)) }
}

/// Run DDL statements in order on one session (`$conn`, a place holding a connection: it is
/// borrowed anew for each statement), naming the first that fails by its first line. A macro rather than a function: a loop over a generic sqlx
/// executor trips the compiler's higher-ranked `Send` check inside `async_trait` methods.
macro_rules! run_ddl {
    ($conn:expr, $statements:expr) => {
        async {
            for sql in $statements {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone())).execute(&mut *$conn).await.map_err(|e| {
                    $crate::engine::driver::failed(format!("target: {}", $crate::engine::ddl::label(sql)), e)
                })?;
            }
            Ok::<(), $crate::engine::EngineError>(())
        }
    };
}
pub(crate) use run_ddl;

/// A query's rows into batches: `push` appends a row's `i`-th cell to the batch. Returns the
/// number of rows read.
pub async fn stream_rows<R, S>(
    stream: S,
    request: &ReadRequest,
    out: &BatchSender,
    push: impl Fn(&R, usize, &mut Batch) -> Result<(), sqlx::Error>,
) -> Result<u64, EngineError>
where
    S: Stream<Item = Result<R, sqlx::Error>> + Unpin,
{
    let mut rows = Batcher::new(request, out);
    push_rows(stream, request, &mut rows, push).await?;
    Ok(rows.finish().await?)
}

/// The rows of one result into `rows`, which may go on with another result (a key list read
/// one statement per chunk of keys).
pub async fn push_rows<R, S>(
    mut stream: S,
    request: &ReadRequest,
    rows: &mut Batcher<'_>,
    push: impl Fn(&R, usize, &mut Batch) -> Result<(), sqlx::Error>,
) -> Result<(), EngineError>
where
    S: Stream<Item = Result<R, sqlx::Error>> + Unpin,
{
    let fail = |e: sqlx::Error| failed(format!("source: reading {}", request.table), e);
    while let Some(row) = stream.try_next().await.map_err(fail)? {
        for i in 0..request.columns.len() {
            push(&row, i, rows.batch()).map_err(fail)?;
        }
        rows.end_row().await?;
    }
    Ok(())
}
