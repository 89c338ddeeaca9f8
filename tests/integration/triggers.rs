//! Target triggers never rewrite copied values: where the engine cannot switch them off for a
//! session (MySQL/MariaDB, SQLite) they are suspended for the load and put back exactly
//! (definition, definer, sql_mode, character set, order), also after a `kill -9` mid-load, on
//! the next run; `triggers: fire` lets them fire; `--dry-run` names them.

use crate::support::{MyDb, SqliteDb, TestDb, assert_ok, config_file, copy, dbtwin, spawn_copy};

const EVENTS: &str = "CREATE TABLE events (id int NOT NULL PRIMARY KEY, at varchar(30), note varchar(20));";

async fn source_with_events<D: TestDb>(rows: usize) -> D {
    let source = D::create().await;
    let mut sql = EVENTS.to_string();
    for chunk in (1..=rows).collect::<Vec<_>>().chunks(1000) {
        let values: Vec<String> =
            chunk.iter().map(|i| format!("({i}, '2001-01-01 00:00:{:02}', 'n{i}')", i % 60)).collect();
        sql.push_str(&format!("\nINSERT INTO events VALUES {};", values.join(", ")));
    }
    source.exec(&sql).await;
    source
}

async fn target_with_triggers<D: TestDb>() -> D {
    let target = D::create().await;
    target.exec(EVENTS).await;
    target.exec(D::TOUCH_TRIGGERS).await;
    target
}

async fn triggers_never_rewrite_copied_values<D: TestDb>() {
    let source: D = source_with_events(20).await;
    let target: D = target_with_triggers().await;
    let before = target.rows(D::TRIGGERS_QUERY).await;
    assert!(before.len() >= 2, "the test's triggers exist: {before:?}");
    let rows = "SELECT id, at, note FROM events ORDER BY id";

    let dry = copy(source.url(), target.url(), "tables: {}\n", &["--dry-run"]).await;
    assert_ok(&dry);
    for run in 0..2 {
        let out = copy(source.url(), target.url(), "tables: {}\n", &[]).await;
        assert_ok(&out);
        assert_eq!(target.rows(rows).await, source.rows(rows).await, "run {run}: values arrive unchanged");
        assert_eq!(target.rows(D::TRIGGERS_QUERY).await, before, "run {run}: the triggers are back, identical");
        let summary = out.stdout.contains("triggers were off") || out.stdout.contains("suspended and put back");
        assert!(summary, "the summary says what the triggers did: {}", out.stdout);
        if !out.stdout.contains("triggers were off") {
            assert!(out.stdout.contains("ev_touch on ") && out.stdout.contains("ev_mark on "), "{}", out.stdout);
            assert!(dry.stdout.contains("target trigger ev_touch on "), "dry run names them: {}", dry.stdout);
        }
    }
    // No state is left behind.
    assert!(target.try_exec("SELECT 1 FROM dbtwin_suspended_triggers").await.is_err());

    // Asked to, they fire (where the engine can keep them from firing at all, it says so).
    let fire = copy(source.url(), target.url(), "triggers: fire\ntables:\n  events: { mode: replace }\n", &[]).await;
    assert_ok(&fire);
    let at = target.rows("SELECT at, note FROM events WHERE id = 1").await;
    if fire.stdout.contains("triggers were off") {
        assert_eq!(at[0][0].as_deref(), Some("2001-01-01 00:00:01"));
    } else {
        assert!(fire.stdout.contains("triggers fired, as the config asks"), "{}", fire.stdout);
        assert_eq!(at[0][0].as_deref(), Some("rewritten"));
        assert_eq!(at[0][1].as_deref(), Some("marked"), "the trigger ran under its own sql_mode");
    }
    assert_eq!(target.rows(D::TRIGGERS_QUERY).await, before);
}

crate::on_every_engine!(triggers_never_rewrite_copied_values);

/// `kill -9` while the triggers are suspended: they stay saved in the target, and the next run
/// puts them back first, says so, and copies with them suspended again.
async fn killed_run_restores_triggers_next_time<D: TestDb>() {
    let source: D = source_with_events(300_000).await;
    let target: D = target_with_triggers().await;
    let before = target.rows(D::TRIGGERS_QUERY).await;
    let config = config_file(&format!("source: {}\ntarget: {}\ntables: {{}}\n", source.url(), target.url()));
    let mut child = spawn_copy(&config, &["--batch-rows", "1000"]);
    let mut suspended = false;
    for _ in 0..2000 {
        if target.rows(D::TRIGGERS_QUERY).await.is_empty() {
            suspended = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().await.expect("kill -9 dbtwin");
    assert!(suspended, "saw the triggers suspended");
    assert!(target.rows(D::TRIGGERS_QUERY).await.is_empty(), "killed while they were suspended");
    assert_eq!(target.count("events").await, 0, "the killed load left nothing");

    let dry = dbtwin(&["copy", "--dry-run", "--config", config.to_str().unwrap()]).await;
    assert_ok(&dry);
    assert!(target.rows(D::TRIGGERS_QUERY).await.is_empty(), "a dry run writes nothing, not even a restore");
    assert!(
        dry.stdout.contains("target trigger ev_touch on ") && dry.stdout.contains("left suspended by an earlier run"),
        "the dry run names what the next copy puts back: {}",
        dry.stdout
    );
    let rerun = dbtwin(&["copy", "--config", config.to_str().unwrap()]).await;
    assert_ok(&rerun);
    assert!(rerun.stdout.contains("an earlier run had suspended"), "the rerun says so: {}", rerun.stdout);
    assert_eq!(target.rows(D::TRIGGERS_QUERY).await, before, "back, identical");
    assert_eq!(target.count("events").await, 300_000);
    let first = target.rows("SELECT at, note FROM events WHERE id = 1").await;
    assert_eq!(first[0][0].as_deref(), Some("2001-01-01 00:00:01"), "copied unchanged");
}

#[tokio::test]
async fn killed_run_restores_triggers_next_time_mariadb() {
    killed_run_restores_triggers_next_time::<MyDb>().await
}

#[tokio::test]
async fn killed_run_restores_triggers_next_time_sqlite() {
    killed_run_restores_triggers_next_time::<SqliteDb>().await
}
