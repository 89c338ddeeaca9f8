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

/// `skip_columns`: the columns are not read, and the target leaves them NULL or to their
/// default; one the target cannot leave out, or one the source lacks, is named before any row
/// moves.
async fn skip_columns_scenario<S: TestDb, T: TestDb>() {
    let (source, target) = (S::create().await, T::create().await);
    source
        .exec(
            "CREATE TABLE people (id int PRIMARY KEY, name varchar(20), notes varchar(40), tag varchar(5) NOT NULL);
         INSERT INTO people VALUES (1, 'Ann', 'private note', 'vip'), (2, 'Bo', NULL, 'new');",
        )
        .await;
    target
        .exec(
            "CREATE TABLE people (id int PRIMARY KEY, name varchar(20), notes varchar(40),
             tag varchar(5) NOT NULL DEFAULT 'x');",
        )
        .await;
    let rules = "tables:\n  people:\n    skip_columns: [notes, tag]\n";
    assert_ok(&copy(source.url(), target.url(), rules, &[]).await);
    let rows = target.rows("SELECT id, name, notes, tag FROM people ORDER BY id").await;
    let cells = |r: &[Option<String>]| r.iter().map(|c| c.clone().unwrap_or("NULL".into())).collect::<Vec<_>>();
    assert_eq!(cells(&rows[0]), ["1", "Ann", "NULL", "x"]);
    assert_eq!(cells(&rows[1]), ["2", "Bo", "NULL", "x"]);
    let strict = T::create().await;
    strict
        .exec("CREATE TABLE people (id int PRIMARY KEY, name varchar(20) NOT NULL, notes varchar(40), tag varchar(5));")
        .await;
    let bad = "tables:\n  people:\n    skip_columns: [name, nope]\n";
    let run = copy(source.url(), strict.url(), bad, &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    for wanted in [
        "column name: skip_columns: the target column is NOT NULL and has no default, so it must be copied",
        "column nope: skip_columns: no such column in the source",
    ] {
        assert!(run.stderr.contains(wanted), "missing {wanted:?} in:\n{}", run.stderr);
    }
    assert_eq!(strict.count("people").await, 0, "nothing was written");
}

crate::on_every_engine_pair!(skip_columns_scenario);

/// `target:` sends a table to a target table of another name, with --create-tables too;
/// a name the target lacks, or two tables sent to one, are refused before any row moves.
async fn rename_scenario<S: TestDb, T: TestDb>() {
    let (source, target) = (S::create().await, T::create().await);
    source
        .exec(
            "CREATE TABLE customers (id int PRIMARY KEY, name varchar(20));
         CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id));
         INSERT INTO customers VALUES (1, 'Ann'), (2, 'Bo'); INSERT INTO orders VALUES (10, 1), (11, 2), (12, 2);",
        )
        .await;
    target
        .exec(
            "CREATE TABLE clients (id int PRIMARY KEY, name varchar(20));
         CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES clients(id));",
        )
        .await;
    let rules = "tables:\n  customers:\n    target: clients\n";
    assert_ok(&copy(source.url(), target.url(), rules, &[]).await);
    let firsts = |rows: Vec<Vec<Option<String>>>| rows.into_iter().map(|r| r[1].clone().unwrap()).collect::<Vec<_>>();
    assert_eq!(firsts(target.rows("SELECT id, name FROM clients ORDER BY id").await), ["Ann", "Bo"]);
    assert_eq!(target.count("orders").await, 3);
    assert!(!target.tables().await.contains(&"customers".to_string()), "{:?}", target.tables().await);
    let fresh = T::create().await;
    assert_ok(&copy(source.url(), fresh.url(), rules, &["--create-tables"]).await);
    assert_eq!(firsts(fresh.rows("SELECT id, name FROM clients ORDER BY id").await), ["Ann", "Bo"]);
    assert!(!fresh.tables().await.contains(&"customers".to_string()), "{:?}", fresh.tables().await);
    for (bad, wanted) in [
        ("tables:\n  customers:\n    target: nobody\n", "customers: target: nobody does not exist in the target"),
        ("tables:\n  customers:\n    target: orders\n", "both go to the target table"),
    ] {
        let run = copy(source.url(), target.url(), bad, &[]).await;
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains(wanted), "missing {wanted:?} in:\n{}", run.stderr);
    }
}

crate::on_every_engine_pair!(rename_scenario);
