//! Part of a table: `where:` (source SQL) picks rows, `limit:` caps them in `order_by:` order
//! (the key by default). A filter the source refuses is named before any row moves.

use crate::support::{TestDb, assert_ok, copy};

const EVENTS: &str = "CREATE TABLE events (id int PRIMARY KEY, kind varchar(10), score int);";

fn events() -> String {
    let rows: Vec<String> =
        (1..=10).map(|i| format!("({i}, '{}', {})", if i % 2 == 0 { "keep" } else { "drop" }, i * 10)).collect();
    format!(
        "{EVENTS} CREATE TABLE recent (id int PRIMARY KEY, score int); INSERT INTO events VALUES {};
             INSERT INTO recent SELECT id, score FROM events;",
        rows.join(", ")
    )
}

async fn filters_scenario<S: TestDb, T: TestDb>() {
    let (source, target) = (S::create().await, T::create().await);
    source.exec(&events()).await;
    target.exec(&format!("{EVENTS} CREATE TABLE recent (id int PRIMARY KEY, score int);")).await;
    let rules = "tables:\n  events:\n    where: \"kind = 'keep' AND score > 20\"\n  recent:\n    limit: 3\n    \
                 order_by: \"score desc\"\n";
    let run = copy(source.url(), target.url(), rules, &[]).await;
    assert_ok(&run);
    let ids = |rows: Vec<Vec<Option<String>>>| rows.into_iter().map(|r| r[0].clone().unwrap()).collect::<Vec<_>>();
    assert_eq!(ids(target.rows("SELECT id FROM events ORDER BY id").await), ["4", "6", "8", "10"]);
    assert_eq!(ids(target.rows("SELECT id FROM recent ORDER BY id").await), ["8", "9", "10"]);
    // The default order is the key: the first rows by id.
    let first = "tables:\n  recent:\n    mode: replace\n    limit: 2\n";
    assert_ok(&copy(source.url(), target.url(), first, &[]).await);
    assert_eq!(ids(target.rows("SELECT id FROM recent ORDER BY id").await), ["1", "2"]);
}

crate::on_every_engine_pair!(filters_scenario);

/// A `where` or `order_by` the source cannot run fails before any row moves, naming the table.
async fn bad_filter_scenario<D: TestDb>() {
    let (source, target) = (D::create().await, D::create().await);
    source.exec(&events()).await;
    target.exec(&format!("{EVENTS} CREATE TABLE recent (id int PRIMARY KEY, score int);")).await;
    for rules in [
        "tables:\n  events:\n    where: \"no_such_column = 1\"\n",
        "tables:\n  recent:\n    limit: 1\n    order_by: \"nope desc\"\n",
    ] {
        let run = copy(source.url(), target.url(), rules, &[]).await;
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("where/order_by: the source refuses it"), "{}", run.stderr);
        assert_eq!(target.count("events").await + target.count("recent").await, 0, "nothing was written");
    }
}

crate::on_every_engine!(bad_filter_scenario);
