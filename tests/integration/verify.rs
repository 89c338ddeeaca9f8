//! `dbtwin verify`: after a copy the twin matches (exit 0); each kind of tampering is found and
//! named by table, kind and key (exit 1), an original by "original value" without printing it.

use crate::support::{Run, TestDb, assert_ok, config_file, copy, dbtwin};

const PEOPLE: &str = "CREATE TABLE people (id int PRIMARY KEY, email varchar(60), name varchar(40), city varchar(30),
     code char(8));
     CREATE TABLE orders (id int PRIMARY KEY, person_id int REFERENCES people (id), total int);";

const MASKS: &str =
    "secret: verify-test\ntables:\n  people:\n    columns:\n      email: email\n      name: first_name\n";

fn people_rows() -> String {
    let people: Vec<String> =
        (1..=20).map(|i| format!("({i}, 'person{i}@example.com', 'Name{i}', 'City{}', 'c{i}')", i % 4)).collect();
    let orders: Vec<String> = (1..=40).map(|i| format!("({i}, {}, {})", (i % 20) + 1, i * 7)).collect();
    format!("INSERT INTO people VALUES {}; INSERT INTO orders VALUES {};", people.join(", "), orders.join(", "))
}

async fn verify(source: &str, target: &str, rules: &str, extra: &[&str]) -> Run {
    let path = config_file(&format!("source: {source}\ntarget: {target}\n{rules}"));
    let mut args = vec!["verify", "--config", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    dbtwin(&args).await
}

/// Exit 1 and a line holding `line`; `secret` appears nowhere in the output.
fn assert_differs(run: &Run, line: &str, secret: &str) {
    assert_eq!(run.code, 1, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    assert!(run.stdout.lines().any(|l| l.contains(line)), "wanted a line with {line:?} in:\n{}", run.stdout);
    assert!(run.stderr.contains("the target differs from what `copy` makes of the source"), "{}", run.stderr);
    assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "the value leaked:\n{}", run.stdout);
}

async fn verify_scenario<S: TestDb, T: TestDb>() {
    let (source, target) = (S::create().await, T::create().await);
    source.exec(&format!("{PEOPLE}{}{}{}", people_rows(), S::KINDS_DDL, S::KINDS_ROWS)).await;
    target.exec(&format!("{PEOPLE}{}", T::KINDS_DDL)).await;
    assert_ok(&copy(source.url(), target.url(), MASKS, &[]).await);
    let clean = verify(source.url(), target.url(), MASKS, &[]).await;
    assert_ok(&clean);
    assert!(clean.stdout.contains("people: 20 rows match"), "{}", clean.stdout);
    assert!(clean.stdout.contains("kinds: 3 rows match"), "{}", clean.stdout);

    // Each tampering alone, then the copy again (an upsert) puts the twin back.
    let cases: [(&str, &str, &str); 4] = [
        (
            "UPDATE people SET city = 'Elsewhere' WHERE id = 3",
            "people, column city: 1 value is not the source's (id=3)",
            "Elsewhere",
        ),
        ("DELETE FROM orders WHERE id = 4", "orders: 1 row missing from the target (id=4)", "\u{0}"),
        (
            "UPDATE people SET email = 'person2@example.com' WHERE id = 2",
            "people, column email: 1 value is the source's original value (id=2)",
            "person2@example.com",
        ),
        (
            "UPDATE people SET name = 'Zebulon' WHERE id = 5",
            "people, column name: 1 masked value is not what the mask rule gives (id=5)",
            "Zebulon",
        ),
    ];
    for (tamper, line, value) in cases {
        target.exec(tamper).await;
        assert_differs(&verify(source.url(), target.url(), MASKS, &[]).await, line, value);
        assert_ok(&copy(source.url(), target.url(), MASKS, &[]).await);
        assert_ok(&verify(source.url(), target.url(), MASKS, &[]).await);
    }
    // An extra row: the copy never deletes, so it goes by hand.
    target.exec("INSERT INTO orders VALUES (100, 1, 5)").await;
    let extra = verify(source.url(), target.url(), MASKS, &["--json"]).await;
    assert_eq!(extra.code, 1, "{}", extra.stderr);
    let doc: serde_json::Value = serde_json::from_str(&extra.stdout).expect("--json gives one JSON document");
    assert_eq!(doc["matches"], false);
    let orders = doc["tables"].as_array().unwrap().iter().find(|t| t["table"].as_str().unwrap().ends_with("orders"));
    let findings = &orders.expect("orders is listed")["findings"];
    assert_eq!(findings[0]["kind"], "extra", "{findings}");
    assert_eq!(findings[0]["count"], 1);
    assert_eq!(findings[0]["rows"][0], "id=100");
    assert_eq!(doc["tables"].as_array().unwrap().iter().filter(|t| t["matches"] == false).count(), 1);
}

crate::on_every_engine_pair!(verify_scenario);

/// Without a secret or seed the masks differ per run: verify still finds an original kept in a
/// column whose rule can never give one by chance, refuses a masked key it cannot match, and
/// `--seed` makes every masked value checkable again.
async fn unkeyed_scenario<D: TestDb>() {
    let (source, target) = (D::create().await, D::create().await);
    source.exec(&format!("{PEOPLE}{}", people_rows())).await;
    target.exec(PEOPLE).await;
    let rules = "tables:\n  people:\n    columns:\n      email: email\n      name: first_name\n";
    assert_ok(&copy(source.url(), target.url(), rules, &[]).await);
    let run = verify(source.url(), target.url(), rules, &[]).await;
    assert_ok(&run);
    assert!(run.stdout.contains("only checked for originals left"), "{}", run.stdout);
    target.exec("UPDATE people SET email = 'person7@example.com' WHERE id = 9").await;
    let run = verify(source.url(), target.url(), rules, &[]).await;
    assert_differs(&run, "people, column email: 1 value is the source's original value", "person7@example.com");
    target.exec("UPDATE people SET email = 'someone@elsewhere.org' WHERE id = 4").await;
    let run = verify(source.url(), target.url(), rules, &[]).await;
    assert_differs(
        &run,
        "people, column email: 1 masked value is not the shape its mask writes (row 4 of",
        "@elsewhere",
    );
    assert!(run.stdout.contains("1 value is the source's original value"), "{}", run.stdout);

    source.exec("CREATE TABLE tags (code varchar(40) PRIMARY KEY); INSERT INTO tags VALUES ('red');").await;
    target.exec("CREATE TABLE tags (code varchar(40) PRIMARY KEY);").await;
    let keyed = "tables:\n  tags:\n    columns:\n      code: { kind: hash, length: 16 }\n";
    let run = verify(source.url(), target.url(), keyed, &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("tags, column code: the key is masked"), "{}", run.stderr);

    assert_ok(&copy(source.url(), target.url(), rules, &["--seed", "7"]).await);
    assert_ok(&verify(source.url(), target.url(), rules, &["--seed", "7"]).await);
    target.exec("UPDATE people SET name = 'Zebulon' WHERE id = 5").await;
    let run = verify(source.url(), target.url(), rules, &["--seed", "8"]).await;
    assert_eq!(run.code, 1, "another seed: every masked value differs\n{}", run.stdout);
    assert!(run.stdout.contains("people, column name: 20 masked values are not what"), "{}", run.stdout);
}

crate::on_every_engine!(unkeyed_scenario);

/// The copy's selection is what the twin is held to: a filter, a rename and a skipped column.
async fn selection_scenario<D: TestDb>() {
    let (source, target) = (D::create().await, D::create().await);
    source.exec(&format!("{PEOPLE}{}", people_rows())).await;
    let twin = "CREATE TABLE clients (id int PRIMARY KEY, email varchar(60), name varchar(40), city varchar(30),
         code char(8));
         CREATE TABLE orders (id int PRIMARY KEY, person_id int REFERENCES clients (id), total int);";
    target.exec(twin).await;
    let rules = "secret: s\ntables:\n  people:\n    target: clients\n    skip_columns: [city]\n    columns:\n      \
                 email: email\n  orders:\n    where: \"total > 100\"\n";
    assert_ok(&copy(source.url(), target.url(), rules, &[]).await);
    let run = verify(source.url(), target.url(), rules, &[]).await;
    assert_ok(&run);
    assert!(run.stdout.contains("clients: 20 rows match"), "{}", run.stdout);
    assert!(run.stdout.contains("orders: 26 rows match"), "{}", run.stdout);
    target.exec("INSERT INTO orders VALUES (3, 3, 21)").await;
    let run = verify(source.url(), target.url(), rules, &["--tables", "orders"]).await;
    assert_differs(&run, "orders: 1 row in the target that the source does not give (id=3)", "\u{0}");
    assert!(!run.stdout.contains("clients"), "--tables orders compares orders alone:\n{}", run.stdout);
    let run = verify(source.url(), target.url(), rules, &["--tables", "nope"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--tables: table nope"), "{}", run.stderr);

    // A subset: the twin is held to the rows the subset chooses, not to the whole source.
    let small = D::create().await;
    small.exec(twin).await;
    let subset = format!("{rules}subset:\n  roots:\n    - {{ table: people, where: \"id <= 5\" }}\n");
    assert_ok(&copy(source.url(), small.url(), &subset, &[]).await);
    let run = verify(source.url(), small.url(), &subset, &[]).await;
    assert_ok(&run);
    assert!(run.stdout.contains("clients: 5 rows match"), "{}", run.stdout);
    assert!(run.stdout.contains("orders: 6 rows match"), "{}", run.stdout);
    small.exec("DELETE FROM orders WHERE id = 22").await;
    assert_differs(
        &verify(source.url(), small.url(), &subset, &[]).await,
        "orders: 1 row missing from the target (id=22)",
        "\u{0}",
    );
}

crate::on_every_engine!(selection_scenario);

#[tokio::test]
async fn an_unreachable_target_is_named_as_the_target() {
    let source = crate::support::SqliteDb::create().await;
    source.exec(PEOPLE).await;
    let run = verify(source.url(), "postgres://u:hunter2pw@127.0.0.1:1/none", "tables: {}\n", &[]).await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("cannot connect to the target database"), "{}", run.stderr);
    assert!(!run.stderr.contains("hunter2pw"), "{}", run.stderr);
}
