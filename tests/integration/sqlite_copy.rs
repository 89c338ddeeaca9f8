//! SQLite as source and target (same engine), and `dbtwin demo`, which needs no server.

use crate::support::{SqliteDb, TestDb, assert_ok, copy, dbtwin};

const SCHEMA: &str = r#"
CREATE TABLE "odd ""name""" (
    id INTEGER PRIMARY KEY,
    email VARCHAR(60) NOT NULL UNIQUE,
    big BIGINT, ratio REAL, price NUMERIC(10,2), note TEXT, raw BLOB, anything,
    flag BOOLEAN, born DATE, seen DATETIME,
    shout TEXT GENERATED ALWAYS AS (upper(note)) VIRTUAL
);
CREATE TABLE child (parent_id INTEGER REFERENCES "odd ""name""" (id), label TEXT);
"#;

const ROWS: &str = r#"
INSERT INTO "odd ""name""" (id, email, big, ratio, price, note, raw, anything, flag, born, seen) VALUES
  (1, 'a@corp.test', 9223372036854775807, 0.1, 12.50, 'Zoë 🦀', x'00ff0010', 42, 1, '1990-02-28', '2024-01-01 10:00:00.123456'),
  (2, 'b@corp.test', -9223372036854775808, -1e300, 0, '', x'', 'text in an untyped column', 0, NULL, NULL),
  (3, 'c@corp.test', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO child VALUES (1, 'one'), (1, 'again'), (NULL, 'orphan');
"#;

#[tokio::test]
async fn sqlite_copy_keeps_every_storage_class_and_upserts() {
    let (source, target) = (SqliteDb::create().await, SqliteDb::create().await);
    source.exec(&format!("{SCHEMA}{ROWS}")).await;
    target.exec(SCHEMA).await;
    let rules = "secret: s\ntables:\n  'odd \"name\"':\n    columns:\n      email: email\n      note: { kind: mask, keep_first: 1 }\n";
    assert_ok(&copy(source.url(), target.url(), rules, &[]).await);

    let kept = r#"SELECT id, big, ratio, price, raw, anything, flag, born, seen FROM "odd ""name""" ORDER BY id"#;
    assert_eq!(source.snapshot(&[kept]).await, target.snapshot(&[kept]).await, "values and storage classes");
    assert_eq!(
        source.snapshot(&["SELECT * FROM child ORDER BY rowid"]).await,
        target.snapshot(&["SELECT * FROM child ORDER BY rowid"]).await
    );
    let masked = target.rows(r#"SELECT email, note, shout FROM "odd ""name""" ORDER BY id"#).await;
    assert!(masked.iter().all(|r| r[0].as_deref().unwrap().ends_with("@example.com")));
    assert_eq!(masked[0][1].as_deref(), Some("Z****"), "five characters, not nine bytes");
    assert_eq!(masked[0][2].as_deref(), Some("Z****"), "the generated column is computed by the target");
    assert_eq!((masked[1][1].as_deref(), masked[2][1].as_deref()), (Some(""), None));

    // A second run upserts: the same rows, a changed one updated, a new one added, and rowids
    // continue past the copied ones.
    source.exec(r#"UPDATE "odd ""name""" SET big = 7 WHERE id = 3; INSERT INTO "odd ""name""" (id, email) VALUES (4, 'd@corp.test');"#).await;
    assert_ok(&copy(source.url(), target.url(), rules, &[]).await);
    assert_eq!(source.snapshot(&[kept]).await, target.snapshot(&[kept]).await);
    assert_eq!(target.count("child").await, 3, "a table without a key is replaced, not appended to");
    target.exec(r#"INSERT INTO "odd ""name""" (email) VALUES ('new@x')"#).await;
    assert_eq!(target.rows(r#"SELECT max(id) FROM "odd ""name""""#).await[0][0].as_deref(), Some("5"));
}

#[tokio::test]
async fn sqlite_missing_source_and_missing_tables_are_named() {
    let target = SqliteDb::create().await;
    let missing = std::env::temp_dir().join("dbtwin-surely-missing.db");
    let run = copy(&format!("sqlite://{}", missing.display()), target.url(), "tables: {}\n", &[]).await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("no such file"), "{}", run.stderr);

    let source = SqliteDb::create().await;
    source.exec(SCHEMA).await;
    let run = copy(source.url(), target.url(), "tables: {}\n", &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("table main.child: does not exist in the target"), "{}", run.stderr);
}

#[tokio::test]
async fn demo_copies_a_masked_twin_with_nothing_installed() {
    let dir = std::env::temp_dir().join(format!("dbtwin-demo-test-{}", std::process::id()));
    let run = dbtwin(&["demo", "--dir", dir.to_str().unwrap()]).await;
    assert_ok(&run);
    assert!(run.stdout.contains("main.customers  upsert   200"), "{}", run.stdout);
    let prod = SqliteDb { url: String::new(), path: dir.join("prod.db") };
    let twin = SqliteDb { url: String::new(), path: dir.join("twin.db") };
    for table in ["customers", "orders", "payments"] {
        assert_eq!(prod.count(table).await, twin.count(table).await, "{table}");
    }
    let q = "SELECT email, first_name, phone, country FROM customers ORDER BY id";
    let (before, after) = (prod.rows(q).await, twin.rows(q).await);
    for (b, a) in before.iter().zip(&after) {
        assert!(a[0].as_deref().unwrap().ends_with("@example.com") && a[0] != b[0]);
        assert_ne!(a[2], b[2]);
        assert_eq!(a[3], b[3], "unmasked columns are copied as they are");
    }
    let joined = "SELECT count(*) FROM payments p JOIN customers c ON c.email = p.payer_email";
    assert_eq!(prod.rows(joined).await, twin.rows(joined).await, "payments still join their customers");
    let cards = twin.rows("SELECT card_number FROM payments").await;
    assert!(cards.iter().all(|c| c[0].as_deref().unwrap().starts_with("****")));
    // The demo rewrites its own files: a second run gives the same twin.
    let first = twin.snapshot(&["SELECT * FROM customers ORDER BY id"]).await;
    assert_ok(&dbtwin(&["demo", "--dir", dir.to_str().unwrap()]).await);
    assert_eq!(first, twin.snapshot(&["SELECT * FROM customers ORDER BY id"]).await);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A mistyped SQLite target path is an error naming the file, not a new empty database; with
/// --create-tables the file is made on purpose.
#[tokio::test]
async fn a_missing_sqlite_target_is_not_created_by_accident() {
    let source = crate::support::SqliteDb::create().await;
    source.exec("CREATE TABLE t (id integer PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a');").await;
    let missing = std::env::temp_dir().join(format!("dbtwin_typo_{}.db", std::process::id()));
    let _ = std::fs::remove_file(&missing);
    let target = format!("sqlite://{}", missing.display());
    let run = crate::support::copy(source.url(), &target, "tables: {}\n", &[]).await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("no such file") && run.stderr.contains("--create-tables"), "{}", run.stderr);
    assert!(!missing.exists(), "no file was made");
    let created = crate::support::copy(source.url(), &target, "tables: {}\n", &["--create-tables"]).await;
    crate::support::assert_ok(&created);
    assert!(missing.is_file());
    let _ = std::fs::remove_file(&missing);
}
