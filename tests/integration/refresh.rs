//! The nightly refresh: `mode: mirror` leaves each table equal to the rows the source gives —
//! new rows in, changed rows updated, rows gone from the source deleted, in one transaction per
//! table — with the masks as usual, and a table without a key replaced, saying so.

use crate::support::{TestDb, assert_ok, copy};

const SHOP: &str = "CREATE TABLE owners (id int PRIMARY KEY, email varchar(60), city varchar(30));
     CREATE TABLE pets (id int PRIMARY KEY, owner_id int REFERENCES owners (id), name varchar(30));
     CREATE TABLE visits (at varchar(20), pet varchar(30));";

const RULES: &str = "secret: refresh\nmode: mirror\ntables:\n  owners:\n    columns:\n      email: email\n";

fn shop_rows() -> String {
    let owners: Vec<String> = (1..=30).map(|i| format!("({i}, 'o{i}@example.com', 'City{}')", i % 3)).collect();
    let pets: Vec<String> = (1..=60).map(|i| format!("({i}, {}, 'Pet{i}')", i % 30 + 1)).collect();
    format!(
        "INSERT INTO owners VALUES {}; INSERT INTO pets VALUES {}; INSERT INTO visits VALUES ('mon', 'Pet1'), ('tue', 'Pet2');",
        owners.join(", "),
        pets.join(", ")
    )
}

fn ids(rows: Vec<Vec<Option<String>>>) -> Vec<String> {
    rows.into_iter().map(|r| r.into_iter().map(|c| c.unwrap_or_default()).collect::<Vec<_>>().join("|")).collect()
}

async fn mirror_scenario<S: TestDb, T: TestDb>() {
    let (source, target) = (S::create().await, T::create().await);
    source.exec(&format!("{SHOP}{}", shop_rows())).await;
    target.exec(SHOP).await;
    // Rows only the target has, from before: a mirror deletes them too.
    target
        .exec(
            "INSERT INTO owners VALUES (900, 'old@example.org', 'Gone'); INSERT INTO pets VALUES (900, 900, 'Ghost');",
        )
        .await;
    let first = copy(source.url(), target.url(), RULES, &[]).await;
    assert_ok(&first);
    assert!(first.stdout.contains("mirror, 1 deleted"), "{}", first.stdout);
    assert!(
        first.stdout.contains(
            "visits: mode mirror finds deleted rows by key and the target table has no primary key, so it is replaced"
        ),
        "{}",
        first.stdout
    );

    // A day in production: rows added, changed, deleted (children with their parents).
    source
        .exec(
            "DELETE FROM pets WHERE owner_id IN (5, 6) OR id = 7; DELETE FROM owners WHERE id IN (5, 6);
             UPDATE pets SET name = 'Renamed' WHERE id = 8; UPDATE owners SET city = 'Moved' WHERE id = 9;
             INSERT INTO owners VALUES (31, 'o31@example.com', 'New'); INSERT INTO pets VALUES (61, 31, 'Pup');
             DELETE FROM visits WHERE at = 'mon';",
        )
        .await;
    let run = copy(source.url(), target.url(), RULES, &[]).await;
    assert_ok(&run);
    let pets_gone = 1 + 4; // pet 7, and the four pets of owners 5 and 6
    for line in ["owners  mirror, 2 deleted", &format!("pets    mirror, {pets_gone} deleted")] {
        let squeezed: String = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        let want: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(squeezed.contains(&want), "wanted {want:?} in:\n{}", run.stdout);
    }
    // Every unmasked value equal to the source's, row for row; the masked column masked.
    for q in [
        "SELECT id, city FROM owners ORDER BY id",
        "SELECT id, owner_id, name FROM pets ORDER BY id",
        "SELECT at, pet FROM visits ORDER BY at",
    ] {
        assert_eq!(ids(target.rows(q).await), ids(source.rows(q).await), "{q}");
    }
    let leaked = "SELECT COUNT(*) FROM owners WHERE email IN ('o1@example.com', 'o9@example.com', 'o30@example.com', 'o31@example.com')";
    assert_eq!(ids(target.rows(leaked).await), ["0"]);
    let orphans = "SELECT COUNT(*) FROM pets WHERE owner_id NOT IN (SELECT id FROM owners)";
    assert_eq!(ids(target.rows(orphans).await), ["0"]);
    // Nothing left to do: a third run deletes nothing and changes nothing.
    let before = target.dump("SELECT * FROM owners ORDER BY id").await;
    let again = copy(source.url(), target.url(), RULES, &[]).await;
    assert_ok(&again);
    assert!(!again.stdout.contains("mirror, ") && again.stdout.contains("rows copied\n"), "{}", again.stdout);
    assert_eq!(target.dump("SELECT * FROM owners ORDER BY id").await, before);
}

crate::on_every_engine_pair!(mirror_scenario);

fn report_of(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("no report at {}: {e}", path.display()));
    serde_json::from_str(&text).expect("the report is one JSON document")
}

fn table<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"].as_str().unwrap().ends_with(&format!(".{name}")))
        .unwrap_or_else(|| panic!("table {name} in {doc}"))
}

/// `--report FILE`: a JSON report after a run that succeeds, one that fails on a table, and
/// none (exit 2, nothing written) when the file cannot be written.
async fn report_scenario<D: TestDb>() {
    let (source, target) = (D::create().await, D::create().await);
    source.exec(&format!("{SHOP}{}", shop_rows())).await;
    target.exec(SHOP).await;
    let dir = std::env::temp_dir().join(format!("dbtwin-report-test-{}-{}", std::process::id(), D::ENGINE));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.json");
    let report = path.to_str().unwrap();

    let bad = copy(source.url(), target.url(), RULES, &["--report", "/no/such/dir/run.json"]).await;
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("--report /no/such/dir/run.json: cannot be written"), "{}", bad.stderr);
    assert_eq!(target.count("owners").await, 0, "nothing was written");

    assert_ok(&copy(source.url(), target.url(), RULES, &["--report", report]).await);
    let doc = report_of(&path);
    assert_eq!(doc["status"], "copied");
    assert_eq!(doc["exit_code"], 0);
    assert_eq!(doc["rows_written"], 92);
    assert_eq!(doc["config_blake3"].as_str().unwrap().len(), 64);
    assert!(!doc.to_string().contains("dbtwin-test-pw"), "no password in the report: {doc}");
    let owners = table(&doc, "owners");
    assert_eq!((owners["mode"].as_str(), owners["status"].as_str()), (Some("mirror"), Some("copied")));
    assert_eq!(owners["rows_written"], 30);
    assert_eq!(owners["masked_columns"], serde_json::json!(["email"]));
    assert_eq!(owners["rows_read"], 30);
    let visits = table(&doc, "visits");
    assert_eq!(visits["mode"], "replace");
    assert!(visits["note"].as_str().unwrap_or_default().contains("has no primary key, so it is replaced"), "{doc}");
    assert!(owners.get("note").is_none(), "{doc}");

    // A table the target refuses: the run fails, and the report says which and why.
    source.exec("UPDATE pets SET name = 'Twin' WHERE id IN (3, 4)").await;
    target.exec("CREATE UNIQUE INDEX pets_name ON pets (name)").await;
    let failed = copy(source.url(), target.url(), RULES, &["--report", report]).await;
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    let doc = report_of(&path);
    assert_eq!((doc["status"].as_str(), doc["exit_code"].as_i64()), (Some("failed"), Some(1)));
    let pets = table(&doc, "pets");
    assert_eq!(pets["status"], "failed", "{doc}");
    assert!(pets["error"].as_str().unwrap().contains("pets"), "{doc}");
    assert!(["copied", "not copied"].contains(&table(&doc, "owners")["status"].as_str().unwrap()), "{doc}");
    std::fs::remove_dir_all(&dir).unwrap();
}

crate::on_every_engine!(report_scenario);

/// A mirror deletes parent rows before the children's own mirror runs, which only works with the
/// target's foreign-key checks off: a PostgreSQL user who cannot switch them off is refused
/// before anything is written, naming the table; upsert still works for that user.
#[tokio::test]
async fn pg_mirror_of_a_referenced_table_needs_fk_checks_off() {
    let (source, target) = tokio::join!(crate::support::PgDb::create(), crate::support::PgDb::create());
    source.exec(&format!("{SHOP}{}", shop_rows())).await;
    target.exec(SHOP).await;
    let as_role = target.without_superuser().await;
    let run = copy(&source.url, &as_role, RULES, &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("table public.owners: mode mirror deletes rows that other tables reference"),
        "{}",
        run.stderr
    );
    assert_eq!(target.count("owners").await, 0, "nothing was written");
    let upsert = "secret: refresh\ntables:\n  owners:\n    columns:\n      email: email\n";
    assert_ok(&copy(&source.url, &as_role, upsert, &[]).await);
    assert_eq!(target.count("pets").await, 60);
}

const ORDERS: &str = "CREATE TABLE orders (id int PRIMARY KEY, email varchar(60), amount int, rev int);";

const INCREMENTAL: &str = "secret: refresh\nmode: mirror\ntables:\n  tags:\n    incremental: rev\n  order_lines:\n    incremental: rev\n  orders:\n    incremental: rev\n    columns:\n      email: email\n";

/// A text key: its deletions are found by comparing in SQL, not by merging integers.
const TAGS: &str = "CREATE TABLE tags (code varchar(10) PRIMARY KEY, label varchar(20), rev int);
     INSERT INTO tags VALUES ('a', 'A', 1), ('b', 'B', 2), ('c', 'C', 3), ('d', 'D', 4);";

/// A key of two integers, merged in order: (1, 2) comes before (2, 1).
const LINES: &str = "CREATE TABLE order_lines (o int, n int, qty int, rev int, PRIMARY KEY (o, n));
     INSERT INTO order_lines VALUES (1, 1, 5, 1), (1, 2, 5, 1), (2, 1, 5, 1), (2, 2, 5, 1), (3, 1, 5, 1);";

/// `incremental: rev`: after a full first pass, a run reads only the rows at or past the last
/// run's mark (counted in the report), and a mirror still deletes what the source no longer
/// has; a run the target refuses leaves the state as it was; a changed config and `--restart`
/// read every row again.
async fn incremental_scenario<S: TestDb, T: TestDb>() {
    let (source, target) = (S::create().await, T::create().await);
    let rows: Vec<String> = (1..=50).map(|i| format!("({i}, 'c{i}@example.com', {}, {i})", i * 10)).collect();
    source.exec(&format!("{ORDERS} INSERT INTO orders VALUES {}; {TAGS} {LINES}", rows.join(", "))).await;
    // The target refuses a negative amount: a way to make one run fail on its rows.
    target
        .exec(&format!(
            "CREATE TABLE orders (id int PRIMARY KEY, email varchar(60), amount int CHECK (amount >= 0), rev int); {}",
            TAGS.split_once(';').unwrap().0
        ))
        .await;
    target.exec(LINES.split_once(';').unwrap().0).await;
    let dir = std::env::temp_dir().join(format!("dbtwin-incr-{}-{}-{}", std::process::id(), S::ENGINE, T::ENGINE));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.json");
    let report = path.to_str().unwrap();
    let same = "SELECT id, amount, rev FROM orders ORDER BY id";

    let first = copy(source.url(), target.url(), INCREMENTAL, &["--report", report]).await;
    assert_ok(&first);
    assert!(first.stdout.contains("orders: incremental: every row (its first run here)"), "{}", first.stdout);
    assert_eq!(table(&report_of(&path), "orders")["rows_read"], 50);
    assert_eq!(ids(target.rows(same).await), ids(source.rows(same).await));

    // Three rows change, two are new, four go (rev 50, the mark, among them).
    source
        .exec(
            "UPDATE orders SET amount = amount + 1, rev = 100 + id WHERE id IN (1, 2, 3);
             INSERT INTO orders VALUES (51, 'c51@example.com', 510, 151), (52, 'c52@example.com', 520, 152);
             DELETE FROM orders WHERE id IN (10, 20, 30, 50);
             UPDATE tags SET label = 'Bee', rev = 5 WHERE code = 'b'; DELETE FROM tags WHERE code IN ('a', 'c');
             DELETE FROM order_lines WHERE (o = 1 AND n = 2) OR o = 3; UPDATE order_lines SET qty = 6, rev = 2 WHERE o = 2 AND n = 1;",
        )
        .await;
    let before = target.dump(same).await;
    let dry = copy(source.url(), target.url(), INCREMENTAL, &["--dry-run"]).await;
    assert_ok(&dry);
    assert!(dry.stdout.contains("orders: incremental: rows with rev >= 50 (last mark 50"), "{}", dry.stdout);
    assert_eq!(target.dump(same).await, before, "a dry run writes nothing");
    let second = copy(source.url(), target.url(), INCREMENTAL, &["--report", report]).await;
    assert_ok(&second);
    assert!(second.stdout.contains("orders: incremental: rows with rev >= 50 (last mark 50"), "{}", second.stdout);
    let doc = report_of(&path);
    let orders = table(&doc, "orders");
    assert_eq!((orders["rows_read"].as_i64(), orders["rows_deleted"].as_i64()), (Some(5), Some(4)), "{doc}");
    let mark = &orders["watermark"];
    assert_eq!(
        (mark["column"].as_str(), mark["read_from"].as_str(), mark["after"].as_str()),
        (Some("rev"), Some("50"), Some("152")),
        "{doc}"
    );
    assert_eq!(ids(target.rows(same).await), ids(source.rows(same).await));
    let tags = "SELECT code, label, rev FROM tags ORDER BY code";
    assert_eq!(ids(target.rows(tags).await), ["b|Bee|5", "d|D|4"]);
    assert_eq!(table(&doc, "tags")["rows_read"], 2, "rev >= 4: d and b");
    let lines = "SELECT o, n, qty FROM order_lines ORDER BY o, n";
    assert_eq!(ids(target.rows(lines).await), ["1|1|5", "2|1|6", "2|2|5"]);
    assert_eq!(table(&doc, "order_lines")["rows_deleted"], 2);
    let leaked = "SELECT COUNT(*) FROM orders WHERE email IN ('c1@example.com', 'c4@example.com', 'c51@example.com')";
    assert_eq!(ids(target.rows(leaked).await), ["0"]);
    // The masks are keyed: a changed row's pseudonym is the one a full copy gives.
    let email = "SELECT email FROM orders WHERE id IN (1, 51) ORDER BY id";
    let masked = ids(target.rows(email).await);

    // The target refuses a changed row: nothing of the run commits, the mark stays at 152.
    source
        .exec("UPDATE orders SET amount = -1, rev = 200 WHERE id = 4; UPDATE orders SET rev = 201 WHERE id = 5;")
        .await;
    let refused = copy(source.url(), target.url(), INCREMENTAL, &[]).await;
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    source.exec("UPDATE orders SET amount = 40 WHERE id = 4").await;
    let after = copy(source.url(), target.url(), INCREMENTAL, &["--report", report]).await;
    assert_ok(&after);
    assert!(after.stdout.contains("rows with rev >= 152 (last mark 152"), "{}", after.stdout);
    assert_eq!(table(&report_of(&path), "orders")["rows_read"], 3, "rows 4, 5 and 52 (at the mark)");
    assert_eq!(ids(target.rows(same).await), ids(source.rows(same).await));

    // Another rule: every row again, with the new mask; then --restart does the same.
    let changed = format!("{INCREMENTAL}      amount: {{ kind: set, value: '7' }}\n");
    let full = copy(source.url(), target.url(), &changed, &["--report", report]).await;
    assert_ok(&full);
    assert!(full.stdout.contains("every row (the config changed since the last run)"), "{}", full.stdout);
    assert_eq!(table(&report_of(&path), "orders")["rows_read"], 48);
    assert_eq!(ids(target.rows("SELECT DISTINCT amount FROM orders").await), ["7"]);
    let restart = copy(source.url(), target.url(), INCREMENTAL, &["--restart", "--report", report]).await;
    assert_ok(&restart);
    assert!(restart.stdout.contains("orders: incremental: every row (--restart)"), "{}", restart.stdout);
    assert_eq!(ids(target.rows(same).await), ids(source.rows(same).await));
    assert_eq!(ids(target.rows(email).await), masked);
    std::fs::remove_dir_all(&dir).unwrap();
}

crate::on_every_engine_pair!(incremental_scenario);

/// What an incremental config can get wrong is refused before anything is written, one line
/// each, exit 2.
async fn incremental_bad_input_scenario<D: TestDb>() {
    let (source, target) = (D::create().await, D::create().await);
    source.exec(&format!("{ORDERS} INSERT INTO orders VALUES (1, 'a@example.com', 10, 1);")).await;
    target.exec(ORDERS).await;
    let base = "tables:\n  orders:\n";
    for (rules, wanted) in [
        ("    incremental: nope\n", "orders, incremental column nope: the source table has no such column"),
        ("    incremental: email\n", "orders, incremental column email: its type "),
        ("    incremental: rev\n    overlap: 5m\n", "orders, incremental column rev: overlap \"5m\" is not a count"),
        (
            "    mode: replace\n    incremental: rev\n",
            "orders: incremental reads only the rows changed since the last run, and mode replace would leave",
        ),
        ("    overlap: 5\n", "orders: `overlap` says how far back an incremental run reads"),
        (
            "    incremental: rev\n    limit: 5\n",
            "orders: `incremental` reads the rows changed since the last run and `limit`",
        ),
    ] {
        let run = copy(source.url(), target.url(), &format!("{base}{rules}"), &[]).await;
        assert_eq!(run.code, 2, "{rules}: {}", run.stderr);
        assert!(run.stderr.contains(wanted), "{rules}: wanted {wanted:?} in {}", run.stderr);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    }
    let subset =
        format!("subset:\n  roots:\n    - {{ table: orders, where: \"id > 0\" }}\n{base}    incremental: rev\n");
    let run = copy(source.url(), target.url(), &subset, &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("orders: incremental reads only the rows changed since the last run, and which of its rows are copied depends on other tables"), "{}", run.stderr);
    let colliding = format!("state_table: orders\n{base}    incremental: rev\n");
    let run = copy(source.url(), target.url(), &colliding, &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("state_table orders: the target table ") && run.stderr.contains("orders is copied too"),
        "{}",
        run.stderr
    );
    assert_eq!(target.count("orders").await, 0, "nothing was written");
}

crate::on_every_engine!(incremental_bad_input_scenario);

/// A timestamp column in each engine's own type: the next run reads from the mark less the
/// default 5 minutes, so a row stamped just before the mark (a late commit) is still read.
async fn incremental_timestamp_scenario<D: TestDb>() {
    let ty = match D::ENGINE {
        "postgres" => "timestamptz",
        "mariadb" => "datetime(6)",
        _ => "timestamp",
    };
    let (source, target) = (D::create().await, D::create().await);
    let events_table = format!("CREATE TABLE events (id int PRIMARY KEY, amount int, at {ty});");
    let rows: Vec<String> = (1..=20).map(|i| format!("({i}, {i}, '2026-01-01 10:{i:02}:00')")).collect();
    source.exec(&format!("{events_table} INSERT INTO events VALUES {};", rows.join(", "))).await;
    target.exec(&events_table).await;
    let rules = "mode: mirror\ntables:\n  events:\n    incremental: at\n";
    let dir = std::env::temp_dir().join(format!("dbtwin-incr-ts-{}-{}", std::process::id(), D::ENGINE));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.json");
    let report = path.to_str().unwrap();
    assert_ok(&copy(source.url(), target.url(), rules, &[]).await);
    source
        .exec(
            "UPDATE events SET amount = 300, at = '2026-01-01 12:00:00' WHERE id = 3;
             UPDATE events SET amount = 400, at = '2026-01-01 10:18:00' WHERE id = 4;
             DELETE FROM events WHERE id = 5;",
        )
        .await;
    let run = copy(source.url(), target.url(), rules, &["--report", report]).await;
    assert_ok(&run);
    assert!(run.stdout.contains("events: incremental: rows with at >= 2026-01-01 10:15:00"), "{}", run.stdout);
    let doc = report_of(&path);
    let events = table(&doc, "events");
    // 15 to 20 (past the bound), 3 (after the mark) and 4 (before it, within the overlap).
    assert_eq!((events["rows_read"].as_i64(), events["rows_deleted"].as_i64()), (Some(8), Some(1)), "{doc}");
    assert!(events["watermark"]["after"].as_str().unwrap().starts_with("2026-01-01 12:00:00"), "{doc}");
    let same = "SELECT id, amount FROM events ORDER BY id";
    assert_eq!(ids(target.rows(same).await), ids(source.rows(same).await));
    // Masked without a secret: every run draws another key, so every run reads every row.
    let unkeyed = format!("{rules}    columns:\n      amount: {{ kind: set, value: '1' }}\n");
    let run = copy(source.url(), target.url(), &unkeyed, &["--report", report]).await;
    assert_ok(&run);
    assert!(
        run.stdout.contains("every row (no secret or --seed, so its masks draw another key every run)"),
        "{}",
        run.stdout
    );
    assert_eq!(table(&report_of(&path), "events")["rows_read"], 19);
    std::fs::remove_dir_all(&dir).unwrap();
}

crate::on_every_engine!(incremental_timestamp_scenario);
