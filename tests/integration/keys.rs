//! Keys stay joined under masks: a masked key's rule follows it into every column that
//! references it (chains and composite keys included), so the twin has no orphans and no
//! original value of the key anywhere; conflicting rules are refused before anything is written.

use crate::support::{TestDb, assert_ok, config_file, copy, dbtwin};

/// Portable DDL: people ← accounts.owner ← orders.cust_ref (a chain over one e-mail), and a
/// composite key regions (country, code) ← shipments (country, region).
const SCHEMA: &str = "
CREATE TABLE people (email varchar(100) NOT NULL PRIMARY KEY, name varchar(50));
CREATE TABLE accounts (owner varchar(100) NOT NULL PRIMARY KEY, opened int,
    FOREIGN KEY (owner) REFERENCES people (email));
CREATE TABLE orders (id int NOT NULL PRIMARY KEY, cust_ref varchar(100), total int,
    FOREIGN KEY (cust_ref) REFERENCES accounts (owner));
CREATE TABLE regions (country char(2) NOT NULL, code varchar(40) NOT NULL, label varchar(20),
    PRIMARY KEY (country, code));
CREATE TABLE shipments (id int NOT NULL PRIMARY KEY, country char(2), region varchar(40),
    FOREIGN KEY (country, region) REFERENCES regions (country, code));
";

fn data() -> String {
    let mut sql = String::new();
    for i in 0..20 {
        sql.push_str(&format!("INSERT INTO people VALUES ('person{i}@corp.example', 'P {i}');\n"));
        sql.push_str(&format!("INSERT INTO accounts VALUES ('person{i}@corp.example', {i});\n"));
    }
    for i in 0..50 {
        let who = if i % 10 == 9 { "NULL".to_string() } else { format!("'person{}@corp.example'", i % 20) };
        sql.push_str(&format!("INSERT INTO orders VALUES ({i}, {who}, {});\n", i * 7));
    }
    for i in 0..5 {
        sql.push_str(&format!("INSERT INTO regions VALUES ('DE', 'region-{i}', 'R {i}');\n"));
    }
    for i in 0..10 {
        sql.push_str(&format!("INSERT INTO shipments VALUES ({i}, 'DE', 'region-{}');\n", i % 5));
    }
    sql
}

const RULES: &str = "secret: keys-test
tables:
  people:
    columns:
      email: email
  regions:
    columns:
      code: { kind: hash, length: 32 }
";

/// Rows of `child` whose non-NULL reference has no parent row.
const ORPHANS: &[(&str, &str)] = &[
    ("accounts", "SELECT count(*) FROM accounts a LEFT JOIN people p ON p.email = a.owner WHERE p.email IS NULL"),
    (
        "orders",
        "SELECT count(*) FROM orders o LEFT JOIN accounts a ON a.owner = o.cust_ref \
         WHERE o.cust_ref IS NOT NULL AND a.owner IS NULL",
    ),
    (
        "shipments",
        "SELECT count(*) FROM shipments s LEFT JOIN regions r ON r.country = s.country AND r.code = s.region \
         WHERE s.region IS NOT NULL AND r.code IS NULL",
    ),
];

async fn masked_keys_stay_joined<S: TestDb, T: TestDb>() {
    keys_stay_joined::<S, T>(SCHEMA).await
}

crate::on_every_engine_pair!(masked_keys_stay_joined);

/// A source that declares none of the foreign keys its target declares (a legacy schema, keys
/// added in the twin): the target's keys are followed all the same.
async fn target_only_keys_stay_joined<S: TestDb, T: TestDb>() {
    let without_keys: Vec<String> = SCHEMA
        .split(';')
        .map(|t| t.replace(",\n    FOREIGN KEY (owner) REFERENCES people (email)", ""))
        .map(|t| t.replace(",\n    FOREIGN KEY (cust_ref) REFERENCES accounts (owner)", ""))
        .map(|t| t.replace(",\n    FOREIGN KEY (country, region) REFERENCES regions (country, code)", ""))
        .collect();
    let without_keys = without_keys.join(";");
    assert!(!without_keys.contains("FOREIGN KEY"), "{without_keys}");
    keys_stay_joined::<S, T>(&without_keys).await
}

crate::on_every_engine_pair!(target_only_keys_stay_joined);

/// Copies the key chains from a source made with `source_schema` into a target made with
/// [`SCHEMA`]: no orphans, no original key value anywhere.
async fn keys_stay_joined<S: TestDb, T: TestDb>(source_schema: &str) {
    let (source, target) = (S::create().await, T::create().await);
    source.exec(&format!("{source_schema}{}", data())).await;
    target.exec(SCHEMA).await;

    let run = copy(source.url(), target.url(), RULES, &[]).await;
    assert_ok(&run);

    for (table, query) in ORPHANS {
        let n = target.rows(query).await[0][0].clone().unwrap();
        assert_eq!(n, "0", "orphans in {table}\n{}", run.stdout);
    }
    for table in ["people", "accounts", "orders", "regions", "shipments"] {
        assert_eq!(target.count(table).await, source.count(table).await, "rows of {table}");
    }
    // No original e-mail or region code survives anywhere in the twin.
    let twin = [
        "SELECT email FROM people",
        "SELECT owner FROM accounts",
        "SELECT cust_ref FROM orders WHERE cust_ref IS NOT NULL",
        "SELECT code FROM regions",
        "SELECT region FROM shipments",
    ];
    for query in twin {
        for row in target.rows(query).await {
            let v = row[0].clone().unwrap();
            assert!(!v.contains("corp.example") && !v.starts_with("region-"), "{query}: original {v}");
        }
    }
    // The unmasked part of the composite key and the other columns arrive as they were.
    assert_eq!(target.rows("SELECT count(*) FROM shipments WHERE country = 'DE'").await[0][0].as_deref(), Some("10"));
    assert_eq!(
        target.rows("SELECT total FROM orders WHERE id = 3").await[0][0].as_deref(),
        Some("21"),
        "an unmasked column is copied as it is"
    );
    // NULL references stay NULL.
    assert_eq!(target.rows("SELECT count(*) FROM orders WHERE cust_ref IS NULL").await[0][0].as_deref(), Some("5"));
}

/// `check` says which columns follow which key.
async fn plan_names_followers<D: TestDb>() {
    let source = D::create().await;
    source.exec(&format!("{SCHEMA}{}", data())).await;
    let config = config_file(&format!("source: {}\n{RULES}", source.url()));
    let run = dbtwin(&["check", "--config", config.to_str().unwrap()]).await;
    assert_ok(&run);
    let line = run.stdout.lines().find(|l| l.trim_start().starts_with("cust_ref:")).unwrap_or_default();
    assert!(line.contains("email") && line.contains("follows") && line.contains("people.email"), "{}", run.stdout);
    let line = run.stdout.lines().find(|l| l.trim_start().starts_with("region:")).unwrap_or_default();
    assert!(line.contains("hash") && line.contains("follows") && line.contains("regions.code"), "{}", run.stdout);
}

/// A rule on a referencing column that is not its key's, or on a column whose key is not
/// masked, is refused naming both ends, before anything is written; so is a rule that could
/// merge the rows of a referenced key.
async fn conflicting_rules_are_refused<D: TestDb>() {
    let (source, target) = (D::create().await, D::create().await);
    source.exec(&format!("{SCHEMA}{}", data())).await;
    target.exec(SCHEMA).await;
    let cases: &[(&str, &[&str])] = &[
        (
            "tables:\n  people:\n    columns:\n      email: email\n  orders:\n    columns:\n      cust_ref: hash\n",
            &["orders, column cust_ref", "has a rule of its own", "people.email"],
        ),
        (
            "tables:\n  people:\n    columns:\n      email: email\n  orders:\n    columns:\n      cust_ref: keep\n",
            &["orders, column cust_ref", "keeps its values", "people.email"],
        ),
        (
            "tables:\n  orders:\n    columns:\n      cust_ref: email\n",
            &["orders, column cust_ref", "people.email, which is not masked"],
        ),
        (
            "tables:\n  people:\n    columns:\n      email: { kind: set, value: x@example.com }\n",
            &["people, column email", "same value"],
        ),
        (
            "tables:\n  people:\n    columns:\n      email:\n        - { kind: keep, when: \"name = 'P 1'\" }\n        - email\n",
            &["people, column email", "no `when`"],
        ),
    ];
    for (rules, wanted) in cases {
        let run = copy(source.url(), target.url(), rules, &[]).await;
        assert_eq!(run.code, 2, "{rules}\n{}{}", run.stdout, run.stderr);
        for w in *wanted {
            assert!(run.stderr.contains(w), "{rules}: wanted {w:?} in\n{}", run.stderr);
        }
        assert_eq!(target.count("people").await, 0, "nothing is written");
    }
    // The same rule written on both ends is accepted.
    let both = "tables:\n  people:\n    columns:\n      email: email\n  orders:\n    columns:\n      cust_ref: email\n";
    assert_ok(&copy(source.url(), target.url(), both, &[]).await);
}

crate::on_every_engine!(plan_names_followers, conflicting_rules_are_refused);

/// A sakila-like chain of surrogate keys whose names contain "address" and "city".
const SURROGATES: &str = "
CREATE TABLE city (city_id int NOT NULL PRIMARY KEY, city varchar(50) NOT NULL, country_id int NOT NULL);
CREATE TABLE address (address_id int NOT NULL PRIMARY KEY, address varchar(50) NOT NULL, phone varchar(20),
    city_id int NOT NULL, FOREIGN KEY (city_id) REFERENCES city (city_id));
CREATE TABLE customer (customer_id int NOT NULL PRIMARY KEY, first_name varchar(45) NOT NULL,
    email varchar(50), address_id int NOT NULL, active boolean NOT NULL,
    FOREIGN KEY (address_id) REFERENCES address (address_id));
";

/// `init` suggests rules for the personal columns and none for keys or surrogate ids; its
/// config passes `check --strict` and copies a twin without orphans.
async fn init_leaves_keys_alone<D: TestDb>() {
    let (source, target) = (D::create().await, D::create().await);
    let mut sql = SURROGATES.to_string();
    for i in 1..=10 {
        sql.push_str(&format!("INSERT INTO city VALUES ({i}, 'City {i}', {});\n", i % 3));
        sql.push_str(&format!("INSERT INTO address VALUES ({i}, '{i} Main St', '+1 555 0100 {i}', {i});\n"));
    }
    for i in 1..=10 {
        sql.push_str(&format!(
            "INSERT INTO customer VALUES ({i}, 'Ann{i}', 'ann{i}@corp.example', {}, true);\n",
            11 - i
        ));
    }
    source.exec(&sql).await;
    target.exec(SURROGATES).await;

    let init = dbtwin(&["init", "--source", source.url()]).await;
    assert_ok(&init);
    for key in ["address_id", "city_id", "country_id", "customer_id"] {
        assert!(!init.stdout.contains(&format!("{key}:")), "no rule for {key}:\n{}", init.stdout);
    }
    for rule in ["city: city", "address: street_address", "phone: phone", "first_name: first_name", "email: email"] {
        assert!(init.stdout.contains(rule), "wanted {rule:?} in\n{}", init.stdout);
    }
    let config =
        config_file(&format!("source: {}\ntarget: {}\nsecret: s\n{}", source.url(), target.url(), init.stdout));
    let strict = dbtwin(&["check", "--strict", "--config", config.to_str().unwrap()]).await;
    assert_eq!(strict.code, 0, "init's config passes check --strict:\n{}{}", strict.stdout, strict.stderr);

    let run = dbtwin(&["copy", "--config", config.to_str().unwrap()]).await;
    assert_ok(&run);
    let orphans = "SELECT count(*) FROM customer c LEFT JOIN address a ON a.address_id = c.address_id \
                   WHERE a.address_id IS NULL";
    assert_eq!(target.rows(orphans).await[0][0].as_deref(), Some("0"));
    let orphans = "SELECT count(*) FROM address a LEFT JOIN city c ON c.city_id = a.city_id WHERE c.city_id IS NULL";
    assert_eq!(target.rows(orphans).await[0][0].as_deref(), Some("0"));
    // The keys arrive as they were: customer 1 still lives at address 10.
    let at = target.rows("SELECT address_id FROM customer WHERE customer_id = 1").await;
    assert_eq!(at[0][0].as_deref(), Some("10"));
    assert!(target.rows("SELECT email FROM customer").await.iter().all(|r| !r[0].as_deref().unwrap().contains("corp")));
}

crate::on_every_engine!(init_leaves_keys_alone);
