//! Copies between engines: every ordered pair of PostgreSQL, MariaDB and SQLite on one table
//! that covers the shared type classes, compared value by value after normalising each cell to
//! its class; a type mismatch reported before any row moves; MySQL zero dates.

use crate::support::{MyDb, PgDb, SqliteDb, TestDb, assert_ok, copy};

/// A cell reduced to what its class means, so engines' spellings compare equal.
fn normalise(column: usize, cell: &Option<String>) -> String {
    let Some(v) = cell else { return "NULL".into() };
    let trim_fraction = |s: &str| -> String {
        match s.split_once('.') {
            Some((whole, frac)) => {
                let frac = frac.trim_end_matches('0');
                if frac.is_empty() { whole.to_string() } else { format!("{whole}.{frac}") }
            }
            None => s.to_string(),
        }
    };
    match column {
        1 => (if matches!(v.as_str(), "t" | "true" | "1") { "true" } else { "false" }).into(),
        3 => trim_fraction(v),
        4 => v.parse::<f64>().unwrap().to_string(),
        8 | 9 => trim_fraction(v.trim_end_matches("+00")),
        11 => serde_json::from_str::<serde_json::Value>(v).unwrap().to_string(),
        _ => v.clone(),
    }
}

async fn kinds_scenario<S: TestDb, T: TestDb>() {
    let (source, target) = (S::create().await, T::create().await);
    source.exec(&format!("{}{}", S::KINDS_DDL, S::KINDS_ROWS)).await;
    target.exec(T::KINDS_DDL).await;
    let run = copy(source.url(), target.url(), "tables: {}\n", &[]).await;
    assert_ok(&run);
    let normalised = |rows: Vec<Vec<Option<String>>>| -> Vec<Vec<String>> {
        rows.iter().map(|r| r.iter().enumerate().map(|(i, c)| normalise(i, c)).collect()).collect()
    };
    let (before, after) =
        (normalised(source.rows(S::KINDS_SELECT).await), normalised(target.rows(T::KINDS_SELECT).await));
    assert_eq!(before.len(), 3);
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a, "row {}", b[0]);
    }
    // Upsert the same rows again: nothing changes.
    assert_ok(&copy(source.url(), target.url(), "tables: {}\n", &[]).await);
    assert_eq!(normalised(target.rows(T::KINDS_SELECT).await), after);
}

crate::on_every_engine_pair!(kinds_scenario);

/// `--create-tables` into an empty target on every pair; a second run upserts into the tables
/// it made; their unique and foreign keys hold.
async fn create_tables_scenario<S: TestDb, T: TestDb>() {
    let (source, target) = (S::create().await, T::create().await);
    source
        .exec(&format!(
            "{}{}
             CREATE TABLE owners (id int PRIMARY KEY, email varchar(60) NOT NULL, kind_id int REFERENCES kinds (id),
                                  status varchar(10) DEFAULT 'new' NOT NULL, score int DEFAULT 0,
                                  seen timestamp DEFAULT CURRENT_TIMESTAMP);
             CREATE UNIQUE INDEX owners_email_uq ON owners (email);
             CREATE INDEX owners_kind ON owners (kind_id);
             INSERT INTO owners (id, email, kind_id) VALUES (1, 'a@corp.test', 1), (2, 'b@corp.test', 2);",
            S::KINDS_DDL,
            S::KINDS_ROWS
        ))
        .await;
    let rules = "secret: s\ntables:\n  owners: email\n";
    let run = copy(source.url(), target.url(), rules, &["--create-tables"]).await;
    assert_ok(&run);
    assert!(run.stdout.contains("target: created"), "{}", run.stdout);
    let normalised = |rows: Vec<Vec<Option<String>>>| -> Vec<Vec<String>> {
        rows.iter().map(|r| r.iter().enumerate().map(|(i, c)| normalise(i, c)).collect()).collect()
    };
    let before = normalised(source.rows(S::KINDS_SELECT).await);
    assert_eq!(normalised(target.rows(T::KINDS_SELECT).await), before);
    let emails = target.rows("SELECT email FROM owners ORDER BY id").await;
    assert!(emails.iter().all(|e| e[0].as_deref().unwrap().ends_with("@example.com")), "{emails:?}");

    // The second run finds the tables and upserts: the same rows, nothing doubled.
    let again = copy(source.url(), target.url(), rules, &["--create-tables"]).await;
    assert_ok(&again);
    assert!(!again.stdout.contains("created"), "{}", again.stdout);
    assert_eq!(normalised(target.rows(T::KINDS_SELECT).await), before);
    assert_eq!(target.rows("SELECT email FROM owners ORDER BY id").await, emails);

    assert!(target.has_index("owners_kind").await, "the secondary index is created too");
    // Keys made after the load hold.
    let duplicate = format!("INSERT INTO owners VALUES (3, '{}', 1)", emails[0][0].as_deref().unwrap());
    assert!(target.try_exec(&duplicate).await.is_err(), "the unique key exists");
    assert!(
        target.try_exec("INSERT INTO owners VALUES (4, 'x@example.com', 99)").await.is_err(),
        "the foreign key exists"
    );
}

crate::on_every_engine_pair!(create_tables_scenario);

#[tokio::test]
async fn mismatched_columns_are_named_before_any_row_moves() {
    let (source, target) = (PgDb::create().await, SqliteDb::create().await);
    source.exec("CREATE TABLE t (id int PRIMARY KEY, price numeric(12,2), at timestamptz, tags text[]); INSERT INTO t VALUES (1, 1.5, now(), '{a}');").await;
    target.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, price NUMERIC(12,2), at BLOB, tags TEXT);").await;
    let run = copy(source.url(), target.url(), "tables: {}\n", &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    for want in [
        "table public.t, column at: no conversion from timestamp with time zone (timestamptz) to BLOB (binary)",
        "table public.t, column price: NUMERIC(12,2) keeps 15 significant digits and would round numeric(12,2); declare the target column as text",
    ] {
        assert!(run.stderr.contains(want), "missing {want:?} in {}", run.stderr);
    }
    assert_eq!(target.count("t").await, 0);
}

#[tokio::test]
async fn postgres_arrays_become_json_elsewhere() {
    let (source, my, lite) = (PgDb::create().await, MyDb::create().await, SqliteDb::create().await);
    source
        .exec(r#"CREATE TABLE a (id int PRIMARY KEY, tags text[], nums int[], grid int[]);
                 INSERT INTO a VALUES (1, '{x,"y z","q\"uote",NULL}', '{1,-2,3}', '{{1,2},{3,4}}'), (2, '{}', NULL, '{}');"#)
        .await;
    my.exec("CREATE TABLE a (id int PRIMARY KEY, tags json, nums json, grid json);").await;
    lite.exec("CREATE TABLE a (id INTEGER PRIMARY KEY, tags JSON, nums JSON, grid TEXT);").await;
    for target in [my.url(), lite.url()] {
        assert_ok(&copy(source.url(), target, "tables: {}\n", &[]).await);
    }
    let q = "SELECT tags, nums, grid FROM a ORDER BY id";
    let want = vec![
        vec![Some(r#"["x","y z","q\"uote",null]"#.to_string()), Some("[1,-2,3]".into()), Some("[[1,2],[3,4]]".into())],
        vec![Some("[]".to_string()), None, Some("[]".into())],
    ];
    assert_eq!(my.rows(q).await, want);
    assert_eq!(lite.rows(q).await, want);
}

#[tokio::test]
async fn mysql_zero_dates_fail_or_become_null() {
    let (source, target) = (MyDb::create().await, PgDb::create().await);
    source.exec("CREATE TABLE z (id int PRIMARY KEY, d date, t datetime); INSERT INTO z VALUES (1, '2024-01-02', '2024-01-02 03:04:05'), (2, '0000-00-00', '0000-00-00 00:00:00');").await;
    target.exec("CREATE TABLE z (id int PRIMARY KEY, d date, t timestamp);").await;
    let run = copy(source.url(), target.url(), "tables: {}\n", &[]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("column d, row 2 of the read: zero date \"0000-00-00\""), "{}", run.stderr);
    assert_eq!(target.count("z").await, 0, "the table rolled back");
    assert_ok(&copy(source.url(), target.url(), "zero_dates: null\ntables: {}\n", &[]).await);
    let rows = target.rows("SELECT id::text, d::text, t::text FROM z ORDER BY id").await;
    assert_eq!(rows[1], vec![Some("2".to_string()), None, None]);
    assert_eq!(rows[0][2].as_deref(), Some("2024-01-02 03:04:05"));
}
