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

const PAIRS: &str = "CREATE TABLE pairs (a int, b varchar(10), day date, v int, PRIMARY KEY (a, b, day));
     CREATE TABLE loose (n int, note varchar(10));";

fn pairs_rows() -> String {
    let pairs: Vec<String> =
        (1..=300).map(|i| format!("({}, 'b{}', '2024-01-{:02}', {i})", i % 7, i, i % 28 + 1)).collect();
    format!("INSERT INTO pairs VALUES {}; INSERT INTO loose VALUES (1, 'x'), (2, 'y');", pairs.join(", "))
}

/// `--sample N`: N rows per table, drawn by keyed hash over both sides' keys and read by key
/// lists (a composite key of a number, a text and a date here): a sampled twin matches, every
/// sampled row that differs, is missing or is extra is found, the same rows are drawn each run,
/// and a table without a key is compared whole, saying so.
async fn sample_scenario<S: TestDb, T: TestDb>() {
    let (source, target) = (S::create().await, T::create().await);
    source.exec(&format!("{PEOPLE}{}{PAIRS}{}{}{}", people_rows(), pairs_rows(), S::KINDS_DDL, S::KINDS_ROWS)).await;
    target.exec(&format!("{PEOPLE}{PAIRS}{}", T::KINDS_DDL)).await;
    assert_ok(&copy(source.url(), target.url(), MASKS, &[]).await);
    let run = verify(source.url(), target.url(), MASKS, &["--sample", "5"]).await;
    assert_ok(&run);
    for line in ["people: 5 sampled rows match", "pairs: 5 sampled rows match", "kinds: 3 sampled rows match"] {
        assert!(run.stdout.contains(line), "wanted {line:?} in:\n{}", run.stdout);
    }
    assert!(run.stdout.contains("loose: 2 rows match"), "{}", run.stdout);
    assert!(run.stdout.contains("loose: compared whole, not sampled: it has no primary key"), "{}", run.stdout);
    let all = verify(source.url(), target.url(), MASKS, &["--sample", "1000"]).await;
    assert_ok(&all);
    assert!(all.stdout.contains("pairs: 300 sampled rows match"), "{}", all.stdout);

    // Every row of pairs differs, a masked name was edited everywhere: a sample of 4 finds 4 of
    // each, and names the same 4 keys every run.
    target.exec("UPDATE pairs SET v = v + 1; UPDATE people SET name = 'Zebulon'").await;
    let first = verify(source.url(), target.url(), MASKS, &["--sample", "4"]).await;
    assert_differs(&first, "pairs, column v: 4 values are not the source's (a=", "\u{0}");
    assert_differs(&first, "people, column name: 4 masked values are not what the mask rule gives", "Zebulon");
    let again = verify(source.url(), target.url(), MASKS, &["--sample", "4"]).await;
    // (The snapshot's note names the MariaDB binlog position, which moves.)
    let findings = |run: &Run| run.stdout.lines().filter(|l| l.starts_with("table ")).collect::<Vec<_>>().join("\n");
    assert_eq!(findings(&first), findings(&again), "the same secret draws the same rows");

    // Most orders gone and many people added: both show up in a sample.
    target.exec("DELETE FROM orders WHERE id > 5").await;
    let added: Vec<String> = (100..400).map(|i| format!("({i}, 'x{i}@example.org', 'N', 'C', 'c')")).collect();
    target.exec(&format!("INSERT INTO people VALUES {}", added.join(", "))).await;
    let run = verify(source.url(), target.url(), MASKS, &["--sample", "10"]).await;
    assert_differs(&run, "orders: ", "\u{0}");
    assert!(run.stdout.contains("rows missing from the target (id="), "{}", run.stdout);
    assert!(
        run.stdout.contains("people: ") && run.stdout.contains("in the target that the source does not give (id="),
        "{}",
        run.stdout
    );

    // A masked key names other rows on each side: that table is compared whole.
    source.exec("CREATE TABLE tags (code varchar(40) PRIMARY KEY); INSERT INTO tags VALUES ('red'), ('blue');").await;
    target.exec("CREATE TABLE tags (code varchar(40) PRIMARY KEY);").await;
    let keyed = "secret: verify-test\ntables:\n  tags:\n    columns:\n      code: { kind: hash, length: 16 }\n";
    assert_ok(&copy(source.url(), target.url(), keyed, &[]).await);
    let run = verify(source.url(), target.url(), keyed, &["--sample", "1", "--tables", "tags"]).await;
    assert_ok(&run);
    assert!(run.stdout.contains("tags: 2 rows match"), "{}", run.stdout);
    assert!(run.stdout.contains("tags: compared whole, not sampled: its key is masked"), "{}", run.stdout);
}

crate::on_every_engine_pair!(sample_scenario);
