//! The mask catalogue end to end on every engine: conditions, templates, JSON paths, noise,
//! partial masks, unique keys checked before the run, and `--seed` for reproducible fixtures.

use crate::support::{TestDb, assert_ok, copy};

fn schema<D: TestDb>() -> String {
    format!(
        "CREATE TABLE people (id int PRIMARY KEY, email varchar(80) NOT NULL, first_name varchar(40),
                              last_name varchar(40) NOT NULL, login varchar(90), role varchar(10),
                              salary decimal(10,2), born date, profile {}, card varchar(25));
         CREATE UNIQUE INDEX people_email_uq ON people (email);",
        D::JSON_TYPE
    )
}

fn rows() -> String {
    let rows: Vec<String> = (1..=50)
        .map(|i| {
            format!(
                "({i}, 'u{i}@corp.test', 'Ana{i}', 'Real{i}', 'login{i}', '{}', {}.50, '1980-01-{:02}', \
                 '{{\"phone\": \"+1 555 01{i:02}\", \"tags\": [\"vip\", \"t{i}\"], \"plan\": \"pro\"}}', \
                 '4111 1111 1111 {i:04}')",
                if i % 5 == 0 { "public" } else { "staff" },
                1000 + i,
                i % 28 + 1
            )
        })
        .collect();
    format!("INSERT INTO people VALUES {};", rows.join(", "))
}

/// A source with 50 people and `targets` empty copies of its schema.
async fn source_and_targets<D: TestDb>(targets: usize) -> (D, Vec<D>) {
    let ddl = schema::<D>();
    let source = D::create().await;
    source.exec(&format!("{ddl}{}", rows())).await;
    let mut empty = Vec::new();
    for _ in 0..targets {
        let t = D::create().await;
        t.exec(&ddl).await;
        empty.push(t);
    }
    (source, empty)
}

const RULES: &str = r#"tables:
  people:
    columns:
      email: email
      first_name: first_name
      last_name: { kind: last_name, locale: de }
      login: { kind: template, template: "{first_name|lower}.{last_name|lower}" }
      salary:
        - { kind: keep, when: "role = 'public'" }
        - { kind: noise, fraction: 0.1 }
      born: { kind: noise, duration: 30d }
      profile: { kind: json, paths: { "$.phone": phone, "$.tags[*]": { kind: mask, keep_first: 1 } } }
      card: { kind: mask, keep_last: 4 }
"#;

const SELECT: &str = "SELECT CONCAT(id, ''), email, first_name, last_name, login, role, CONCAT(salary, ''), \
                      CONCAT(born, ''), CONCAT(profile, ''), card FROM people ORDER BY id";

fn days(date: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| date[r].parse::<i64>().unwrap();
    // Good enough to measure a shift of a few weeks around January 1980.
    (n(0..4) - 1980) * 365 + (n(5..7) - 1) * 31 + n(8..10)
}

async fn rules_scenario<D: TestDb>() {
    let (source, targets) = source_and_targets::<D>(1).await;
    let target = &targets[0];
    assert_ok(&copy(source.url(), target.url(), &format!("secret: s\n{RULES}"), &[]).await);

    let (before, after) = (source.rows(SELECT).await, target.rows(SELECT).await);
    assert_eq!(before.len(), after.len());
    let mut salaries_moved = 0;
    for (b, a) in before.iter().zip(&after) {
        let cell = |row: &Vec<Option<String>>, i: usize| row[i].clone().unwrap_or_default();
        assert_eq!(a[0], b[0]);
        assert!(cell(a, 1).ends_with("@example.com") && a[1] != b[1], "{a:?}");
        assert_ne!(a[2], b[2]);
        assert_eq!(
            cell(a, 4),
            format!("{}.{}", cell(a, 2).to_lowercase(), cell(a, 3).to_lowercase()),
            "the template reads the masked names"
        );
        let (sb, sa): (f64, f64) = (cell(b, 6).parse().unwrap(), cell(a, 6).parse().unwrap());
        if cell(b, 5) == "public" {
            assert_eq!(a[6], b[6], "the condition keeps public salaries");
        } else {
            assert!((sa - sb).abs() <= sb * 0.1 + 0.01, "{sb} → {sa}");
            salaries_moved += usize::from(sa != sb);
        }
        assert!((days(&cell(a, 7)) - days(&cell(b, 7))).abs() <= 31, "{:?} → {:?}", b[7], a[7]);
        let (pb, pa): (serde_json::Value, serde_json::Value) =
            (serde_json::from_str(&cell(b, 8)).unwrap(), serde_json::from_str(&cell(a, 8)).unwrap());
        assert_eq!(pa["plan"], pb["plan"], "paths not named are kept");
        assert_ne!(pa["phone"], pb["phone"]);
        assert_eq!(pa["tags"][0], "v**");
        let (cb, ca) = (cell(b, 9), cell(a, 9));
        assert_eq!(ca.len(), cb.len());
        assert!(ca.ends_with(&cb[cb.len() - 4..]) && ca.starts_with("****"), "{cb} → {ca}");
    }
    assert!(salaries_moved > 30, "noise moved {salaries_moved} of 40 salaries");
}

async fn seed_scenario<D: TestDb>() {
    let (source, targets) = source_and_targets::<D>(3).await;
    let [a, b, c] = &targets[..] else { unreachable!() };
    let (ra, rb, rc) = tokio::join!(
        copy(source.url(), a.url(), RULES, &["--seed", "7"]),
        copy(source.url(), b.url(), RULES, &["--seed", "7"]),
        copy(source.url(), c.url(), RULES, &["--seed", "8"])
    );
    [ra, rb, rc].iter().for_each(assert_ok);
    let query = ["SELECT * FROM people ORDER BY id"];
    let (sa, sb, sc) = tokio::join!(a.snapshot(&query), b.snapshot(&query), c.snapshot(&query));
    assert_eq!(sa, sb, "one seed, one byte-identical target");
    assert_ne!(sa, sc, "another seed, other values");

    let both = copy(source.url(), a.url(), &format!("secret: s\n{RULES}"), &["--seed", "7"]).await;
    assert_eq!(both.code, 2, "{}", both.stderr);
    assert!(both.stderr.contains("has a `secret` and --seed was given"), "{}", both.stderr);
}

async fn rejected_before_the_run_scenario<D: TestDb>() {
    let (source, targets) = source_and_targets::<D>(1).await;
    let target = &targets[0];
    let rules = "tables:\n  people:\n    columns:\n      email: name\n      last_name: null\n      \
                 login: { kind: template, template: '{nick}' }\n      card: { kind: keep, when: \"rank > 3\" }\n      \
                 born: { kind: random_int, min: 1, max: 9 }\n";
    let run = copy(source.url(), target.url(), rules, &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    for want in [
        "column born: mask random_int cannot produce a value for a date column (date)",
        "column card: when: column rank is not in table",
        "column email: is under the target's unique index people_email_uq: mask name can give two rows the same value",
        "column last_name: mask null on a NOT NULL column",
        "column login: template: column nick is not in table",
    ] {
        assert!(run.stderr.contains(want), "missing {want:?} in:\n{}", run.stderr);
    }
    assert_eq!(target.count("people").await, 0, "nothing was written");
}

crate::on_every_engine!(rules_scenario, seed_scenario, rejected_before_the_run_scenario);

/// `set` on a geometry column (MySQL's POINT, PostgreSQL's point) would be written as text into
/// a binary or structured value and fail mid-copy: it is refused before any row moves, naming
/// the table and column; `null` is accepted, and `noise` with a `distance` moves each point.
#[tokio::test]
async fn geometry_columns_refuse_set_and_move_points_with_noise() {
    let (my, my_target) = (crate::support::MyDb::create().await, crate::support::MyDb::create().await);
    let table = "CREATE TABLE address (id int PRIMARY KEY, location point);";
    my.exec(&format!("{table} INSERT INTO address VALUES (1, ST_GeomFromText('POINT(3 4)'));")).await;
    my_target.exec(table).await;
    let (pg, pg_target) = (crate::support::PgDb::create().await, crate::support::PgDb::create().await);
    pg.exec(&format!("{table} INSERT INTO address VALUES (1, '(3,4)');")).await;
    pg_target.exec(table).await;
    for (source, target) in [(&my.url, &my_target.url), (&pg.url, &pg_target.url)] {
        let set = "tables:\n  address:\n    columns:\n      location: { kind: set, value: \"POINT(0 0)\" }\n";
        let run = copy(source, target, set, &[]).await;
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("address, column location: set on a geometry column"), "{}", run.stderr);
        let null = "tables:\n  address:\n    columns:\n      location: null\n";
        assert_ok(&copy(source, target, null, &[]).await);
    }
    assert_eq!(my_target.rows("SELECT count(*) FROM address WHERE location IS NULL").await[0][0].as_deref(), Some("1"));

    // A point moved within a distance: off the original, within reach, in the engine's own form.
    let noise = "secret: s\ntables:\n  address:\n    columns:\n      location: { kind: noise, distance: 0.5 }\n";
    assert_ok(&copy(&my.url, &my_target.url, noise, &[]).await);
    let at = my_target.rows("SELECT ST_X(location), ST_Y(location) FROM address").await;
    assert_moved(&at[0], "mariadb");
    assert_ok(&copy(&pg.url, &pg_target.url, noise, &[]).await);
    assert_moved(&pg_target.rows("SELECT location[0], location[1] FROM address").await[0], "postgres");
}

/// A point that was (3, 4) is now elsewhere within 0.5 of it.
fn assert_moved(row: &[Option<String>], engine: &str) {
    let coord = |i: usize| row[i].as_deref().and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    let (x, y) = (coord(0), coord(1));
    let d = ((x - 3.0).powi(2) + (y - 4.0).powi(2)).sqrt();
    assert!(d > 0.0 && d <= 0.5, "{engine}: moved to ({x}, {y}), {d} away");
}
