//! One snapshot for every reader session of a MySQL/MariaDB source, the way mydumper takes it:
//! a coordinator holds commits off while the sessions open their `WITH CONSISTENT SNAPSHOT`
//! transactions; where the user may not take that lock, the sessions' snapshots are checked
//! against each other by the binlog position each began at (MariaDB reports it per session).

use sqlx::mysql::MySqlConnection;
use sqlx::{Connection, Executor, Row};

use crate::engine::contract::EngineError;
use crate::engine::driver::failed;

/// Opens a snapshot on every session; returns the summary's line on how it was had. Sessions
/// whose snapshot could not be matched with the others' are closed and dropped, so the read
/// runs with fewer jobs rather than from two instants.
pub(super) async fn start_together(
    sessions: &mut Vec<MySqlConnection>,
    mut coordinator: MySqlConnection,
) -> Result<String, EngineError> {
    let held = hold_commits(&mut coordinator).await;
    let started = start_snapshots(sessions, held.is_none()).await;
    if let Some(lock) = held {
        let release = if lock == FTWRL { "UNLOCK TABLES" } else { "BACKUP STAGE END" };
        coordinator.execute(release).await.map_err(|e| failed("source: releasing the snapshot lock", e))?;
    }
    let _coordinator_done = coordinator.close().await;
    let (agreement, tries) = started?;
    let opened = sessions.len();
    if let Agreement::Split { agreeing } = &agreement {
        let all = std::mem::take(sessions);
        for (i, conn) in all.into_iter().enumerate() {
            if agreeing.contains(&i) {
                sessions.push(conn);
            } else {
                let _closing_a_read_only_session = conn.close().await;
            }
        }
    }
    Ok(describe(held, &agreement, opened, tries))
}

/// MySQL's global read lock: blocks every write, not only commits.
const FTWRL: &str = "FLUSH TABLES WITH READ LOCK";

/// Hold commits off on the whole server, the lightest way the server and the user's grants
/// allow: MariaDB's backup stage (commits only), else the global read lock. `None` when
/// neither may be taken.
async fn hold_commits(conn: &mut MySqlConnection) -> Option<&'static str> {
    if conn.execute("BACKUP STAGE START").await.is_ok() {
        if conn.execute("BACKUP STAGE BLOCK_COMMIT").await.is_ok() {
            return Some("BACKUP STAGE BLOCK_COMMIT");
        }
        let _ended_with_the_session_anyway = conn.execute("BACKUP STAGE END").await;
    }
    conn.execute(FTWRL).await.is_ok().then_some(FTWRL)
}

pub(super) async fn start(conn: &mut MySqlConnection) -> Result<(), EngineError> {
    prepare(conn).await?;
    begin(conn).await
}

async fn prepare(conn: &mut MySqlConnection) -> Result<(), EngineError> {
    conn.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .await
        .map_err(|e| failed("source: preparing the snapshot", e))?;
    Ok(())
}

async fn begin(conn: &mut MySqlConnection) -> Result<(), EngineError> {
    conn.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        .await
        .map_err(|e| failed("source: starting the snapshot", e))?;
    Ok(())
}

/// Tries at opening every session's snapshot on the same binlog position, when no lock holds
/// commits off; each try takes about one round trip.
const SNAPSHOT_TRIES: usize = 20;

/// Whether the sessions' snapshots are known to be one.
#[derive(Debug, PartialEq)]
enum Agreement {
    /// The server does not say where a snapshot stands (the binlog is off, or MySQL, which
    /// does not report it per session).
    Unknown,
    /// Every session's snapshot began at this binlog position (`file:offset`).
    Same(String),
    /// The sessions did not agree in any try; these (the largest group on one position) did.
    Split { agreeing: Vec<usize> },
}

/// Every session's snapshot, opened together. Without a lock (`retry`), a commit may land
/// between two sessions' starts: where the binlog tells each snapshot's position, the starts
/// are tried again until they agree. Returns the agreement and the number of tries.
async fn start_snapshots(sessions: &mut [MySqlConnection], retry: bool) -> Result<(Agreement, usize), EngineError> {
    let tries = if retry { SNAPSHOT_TRIES } else { 1 };
    for conn in sessions.iter_mut() {
        prepare(conn).await?;
    }
    let mut positions = Vec::new();
    for attempt in 1..=tries {
        if attempt > 1 {
            for conn in sessions.iter_mut() {
                conn.execute("ROLLBACK").await.map_err(|e| failed("source: starting the snapshot again", e))?;
            }
        }
        // All at once: the window a commit can land in is one statement, not one per session.
        let starts = futures_util::future::join_all(sessions.iter_mut().map(begin)).await;
        starts.into_iter().collect::<Result<Vec<()>, _>>()?;
        positions.clear();
        for conn in sessions.iter_mut() {
            positions.push(snapshot_position(conn).await?);
        }
        let agreement = agreement(&positions);
        if !matches!(agreement, Agreement::Split { .. }) {
            return Ok((agreement, attempt));
        }
    }
    Ok((agreement(&positions), tries))
}

/// Where the binlog stood when this session's snapshot began, if the server says (MariaDB with
/// the binlog on).
async fn snapshot_position(conn: &mut MySqlConnection) -> Result<Option<String>, EngineError> {
    let rows = conn
        .fetch_all("SHOW SESSION STATUS LIKE 'binlog_snapshot_%'")
        .await
        .map_err(|e| failed("source: reading the snapshot's binlog position", e))?;
    let value = |name: &str| {
        rows.iter()
            .find(|r| r.try_get::<String, _>(0).is_ok_and(|n| n.eq_ignore_ascii_case(name)))
            .and_then(|r| r.try_get::<String, _>(1).ok())
    };
    Ok(match (value("Binlog_snapshot_file"), value("Binlog_snapshot_position")) {
        (Some(file), Some(offset)) if !file.is_empty() => Some(format!("{file}:{offset}")),
        _ => None,
    })
}

fn agreement(positions: &[Option<String>]) -> Agreement {
    let Some(known) = positions.iter().map(Option::as_ref).collect::<Option<Vec<&String>>>() else {
        return Agreement::Unknown;
    };
    // The largest group of sessions on one position (the earliest session's, on a tie).
    let Some(most) = known.iter().max_by_key(|p| {
        (known.iter().filter(|q| q == p).count(), std::cmp::Reverse(known.iter().position(|q| q == *p)))
    }) else {
        return Agreement::Unknown;
    };
    let agreeing: Vec<usize> = known.iter().enumerate().filter(|(_, p)| p == &most).map(|(i, _)| i).collect();
    if agreeing.len() == positions.len() { Agreement::Same((*most).clone()) } else { Agreement::Split { agreeing } }
}

/// The summary's line on how the snapshot was had.
fn describe(held: Option<&str>, agreement: &Agreement, opened: usize, tries: usize) -> String {
    const NO_LOCK: &str = "the user may run neither BACKUP STAGE nor FLUSH TABLES WITH READ LOCK, which need RELOAD";
    match (held, agreement) {
        (Some(lock), Agreement::Same(at)) => format!(
            "source: every table was read from one snapshot ({opened} sessions started theirs while {lock} held \
             commits off, all at binlog position {at})"
        ),
        (Some(lock), _) => format!(
            "source: every table was read from one snapshot ({opened} sessions started theirs while {lock} held \
             commits off)"
        ),
        (None, Agreement::Same(at)) => format!(
            "source: every table was read from one snapshot ({NO_LOCK}; the {opened} sessions' snapshots were \
             checked to begin at the same binlog position, {at}, in try {tries})"
        ),
        (None, Agreement::Split { agreeing }) => format!(
            "source: every table was read from one snapshot, by {} of the {opened} sessions: the others' could not \
             be opened on the same binlog position in {tries} tries under the write load ({NO_LOCK})",
            agreeing.len()
        ),
        (None, Agreement::Unknown) => format!(
            "source: the {opened} reader sessions opened their snapshots together, so tables may come from \
             instants a few milliseconds apart ({NO_LOCK}, and the server does not report where each snapshot \
             began: it does with MariaDB's binlog on); --jobs 1 reads one snapshot"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_agree_only_on_one_known_position() {
        let at = |p: &str| Some(p.to_string());
        assert_eq!(agreement(&[at("b.1:40"), at("b.1:40")]), Agreement::Same("b.1:40".into()));
        assert_eq!(agreement(&[at("b.1:40"), None]), Agreement::Unknown);
        assert_eq!(agreement(&[None, None]), Agreement::Unknown);
        assert_eq!(agreement(&[at("b.1:40"), at("b.1:90"), at("b.1:40")]), Agreement::Split { agreeing: vec![0, 2] });
        assert_eq!(agreement(&[at("b.1:40"), at("b.1:90"), at("b.1:90")]), Agreement::Split { agreeing: vec![1, 2] });
        assert_eq!(agreement(&[at("b.1:40"), at("b.1:90")]), Agreement::Split { agreeing: vec![0] });
    }
}
