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
