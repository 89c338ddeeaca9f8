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
