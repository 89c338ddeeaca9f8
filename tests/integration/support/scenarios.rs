//! Scenarios and checks shared by every engine: each engine's module supplies its schema and
//! runs the same assertions against its own servers.

use super::{TestDb, assert_ok, copy};

pub type TextRows = Vec<Vec<Option<String>>>;

/// A source holding `schema` and `data`, and a target holding `schema` only.
pub async fn source_and_target<D: TestDb>(schema: &str, data: &str) -> (D, D) {
    let (source, target) = tokio::join!(D::create(), D::create());
    let filled = format!("{schema}{data}");
    tokio::join!(source.exec(&filled), target.exec(schema));
    (source, target)
}

/// Row-by-row checks on masked columns. Column 0 is the key (same ids, same order). Every other
/// column keeps NULL as NULL and changes every value. `email` is the e-mail column, and `limits`
/// pairs a column with its length limit in characters.
pub fn assert_masked(before: &TextRows, after: &TextRows, email: usize, limits: &[(usize, usize)]) {
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(after) {
        assert_eq!(b[0], a[0], "same ids in the same order");
        for col in 1..b.len() {
            match (&b[col], &a[col]) {
                (None, None) => {}
                (Some(orig), Some(new)) => assert_ne!(orig, new, "column {col} of id {:?} was masked", b[0]),
                other => panic!("NULL must stay NULL and values stay values: {other:?}"),
            }
        }
        if let Some(e) = a[email].as_deref() {
            let (local, domain) = e.split_once('@').expect("an e-mail has an @");
            assert!(!local.is_empty() && domain == "example.com", "{e}");
        }
        for &(col, max) in limits {
            if let Some(v) = &a[col] {
                assert!(v.chars().count() <= max, "{v:?} fits {max} characters");
            }
        }
    }
    let emails: std::collections::HashSet<_> = after.iter().map(|r| r[email].clone()).collect();
    assert_eq!(emails.len(), after.len(), "distinct e-mails stay distinct");
}

/// The shop-like schema every engine's module creates: `customer` (id, email, first_name, note),
/// `audit_log` (no key) and the tables in `tables`; `dump` lists queries that return everything.
pub struct Shop<'a> {
    pub rules: &'a str,
    pub tables: &'a [&'a str],
    pub dump: &'a [&'a str],
}

/// Run twice with nothing changed: nothing changes. Change the source: the changes arrive, with
/// no duplicates and no losses. A fresh target with the same secret is identical; another
/// secret gives other pseudonyms.
pub async fn upsert_rerun<D: TestDb>(shop: &Shop<'_>, source: &D, target: &D, fresh: &D, other: &D) {
    assert_ok(&copy(source.url(), target.url(), shop.rules, &[]).await);
    let first = target.snapshot(shop.dump).await;
    assert_ok(&copy(source.url(), target.url(), shop.rules, &[]).await);
    assert_eq!(target.snapshot(shop.dump).await, first, "a second run with nothing changed changes nothing");

    source
        .exec(
            "UPDATE customer SET note = 'changed', first_name = 'Renamed' WHERE id = 2;
             INSERT INTO customer (email, note) VALUES ('late@corp.test', 'late');
             INSERT INTO audit_log VALUES (NULL, 'later');",
        )
        .await;
    assert_ok(&copy(source.url(), target.url(), shop.rules, &[]).await);
    for table in shop.tables {
        assert_eq!(source.count(table).await, target.count(table).await, "{table}: no duplicates, no losses");
    }
    let changed = target.rows("SELECT note, first_name FROM customer WHERE id = 2").await;
    assert_eq!(changed[0][0].as_deref(), Some("changed"));
    assert_ne!(changed[0][1].as_deref(), Some("Renamed"), "a changed value is masked too");

    assert_ok(&copy(source.url(), fresh.url(), shop.rules, &["--jobs", "1"]).await);
    assert_eq!(fresh.snapshot(shop.dump).await, target.snapshot(shop.dump).await, "same secret: identical targets");

    let rules = shop.rules.replace("secret: integration-secret", "secret: another");
    assert_ok(&copy(source.url(), other.url(), &rules, &[]).await);
    let emails = "SELECT email FROM customer ORDER BY id";
    let (a, b) = (target.rows(emails).await, other.rows(emails).await);
    assert!(a.iter().zip(&b).all(|(x, y)| x != y), "another secret, other pseudonyms");
}
