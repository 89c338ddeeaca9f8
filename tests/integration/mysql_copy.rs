//! MySQL/MariaDB → MySQL/MariaDB: fidelity of every type, masks, modes, idempotent upserts,
//! determinism, and a load killed mid-way.

use std::time::Duration;

use crate::support::scenarios::{self, Shop, assert_masked};
use crate::support::{MyDb, PgDb, TestDb, assert_ok, copy, servers};

const SCHEMA: &str = r#"
CREATE TABLE customer (
    id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email varchar(60) NOT NULL UNIQUE,
    first_name varchar(40),
    last_name varchar(40),
    `Home Phone` varchar(30),
    born date,
    active tinyint(1),
    tiny tinyint unsigned,
    small smallint,
    medium mediumint unsigned,
    big bigint,
    ubig bigint unsigned,
    price decimal(38,10),
    ratio float,
    precise double,
    code char(3),
    note text,
    raw binary(4),
    vraw varbinary(16),
    doc blob,
    created datetime(6),
    seen timestamp(6) NULL,
    duration time(3),
    yr year,
    mood enum('sad','ok','happy','ünï'),
    tags set('a','b','c'),
    attrs json,
    flags bit(10),
    place geometry,
    zero_day date,
    full_name varchar(81) AS (concat(first_name, ' ', last_name)) STORED
);
CREATE TABLE `Order Items` (
    `order` int unsigned NOT NULL,
    `line#` int NOT NULL,
    `Quote``d` text,
    `select` varchar(20),
    PRIMARY KEY (`order`, `line#`),
    FOREIGN KEY (`order`) REFERENCES customer (id)
);
CREATE TABLE audit_log (at datetime, message text);
CREATE TABLE staff (
    id int AUTO_INCREMENT PRIMARY KEY,
    email varchar(80),
    password varchar(20),
    picture blob,
    role varchar(20),
    manager_id int,
    FOREIGN KEY (manager_id) REFERENCES staff (id)
);
CREATE TABLE inserts_seen (id int AUTO_INCREMENT PRIMARY KEY, what varchar(80));
CREATE TRIGGER customer_seen AFTER INSERT ON customer FOR EACH ROW INSERT INTO inserts_seen (what) VALUES (NEW.email);
"#;

const DATA: &str = r#"
INSERT INTO customer (email, first_name, last_name, `Home Phone`, born, active, tiny, small, medium, big, ubig,
    price, ratio, precise, code, note, raw, vraw, doc, created, seen, duration, yr, mood, tags, attrs, flags,
    place, zero_day) VALUES
('shared@corp.test', 'Zoë 🦀', 'Ñúñez', '+49 30 1234567', '1985-02-28', 1, 255, -32768, 16777215,
    -9223372036854775808, 18446744073709551615, 1234567890123456789012345678.0123456789, 3.25, 2.718281828459045,
    'ab', 'tab\there \\ back\nnew line 🦀', 0x00FF0A5C, 0x0001, 0xDEADBEEF00, '2024-02-29 12:34:56.789012',
    '2024-02-29 12:34:56.789012', '-838:59:59.000', 2155, 'ünï', 'a,c', '{"k": [1, "x\\ty", "🦀"]}', b'1010101010',
    ST_GeomFromText('POLYGON((0 0, 10 0, 10 10, 0 0))'), '0000-00-00'),
('all-null@corp.test', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
('北京@corp.test', '北京', '', '', '1999-12-31', 0, 0, 32767, 0, 9223372036854775807, 0, -0.0000000001, -1e-30,
    -1.7976931348623157e308, '', '', 0x00000000, X'', X'', '1000-01-01 00:00:00', '1970-01-01 00:00:01', '100:00:00.500',
    1901, 'sad', '', '[]', b'0', ST_GeomFromText('POINT(1.5 -2)'), '2000-00-00');
INSERT INTO customer (email, first_name, last_name, note, big, created)
WITH RECURSIVE seq (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 3000)
SELECT concat('user', n, '@corp.test'), concat('First', n), concat('Last', n), concat('note ', n), n * 1000000,
       '2020-01-01' + INTERVAL n MINUTE
FROM seq;
INSERT INTO `Order Items` SELECT id, 1, 'q1', 'sel' FROM customer WHERE id % 10 = 0;
INSERT INTO `Order Items` SELECT id, 2, 'q2 🦀', NULL FROM customer WHERE id % 10 = 0;
INSERT INTO audit_log VALUES ('2024-01-01 00:00:00', 'boot'), (NULL, NULL), ('2024-01-02 00:00:00', 'ünï 🦀');
INSERT INTO staff (email, password, picture, role, manager_id) VALUES
    ('shared@corp.test', 'hunter2', 0xDEADBEEF, 'admin', NULL),
    ('b@corp.test', 'pw', NULL, NULL, 1),
    ('c@corp.test', NULL, 0x00, 'dev', 2);
ANALYZE TABLE customer, `Order Items`, audit_log, staff;
"#;

const RULES: &str = r#"secret: integration-secret
exclude: [inserts_seen]
tables:
  customer: email, first_name, last_name, Home Phone, born
  staff:
    columns:
      email: email
      password: hash
      picture: null
      role: { kind: set, value: clerk }
"#;

const CUSTOMER_KEPT: &str = "id, active, tiny, small, medium, big, ubig, price, ratio, precise, code, note, raw, vraw, \
                             doc, created, seen, duration, yr, mood, tags, attrs, flags, place, zero_day";

async fn source_and_target() -> (MyDb, MyDb) {
    scenarios::source_and_target(SCHEMA, DATA).await
}

/// Every table's full contents, for comparing whole targets.
const DUMP: &[&str] = &[
    "SELECT * FROM customer ORDER BY id",
    "SELECT * FROM `Order Items` ORDER BY 1, 2",
    "SELECT * FROM audit_log ORDER BY 1, 2",
    "SELECT * FROM staff ORDER BY id",
];

#[tokio::test]
async fn mysql_copy_keeps_unmasked_bytes_and_masks_the_rest() {
    let (source, target) = source_and_target().await;
    let run = copy(&source.url, &target.url, RULES, &["--batch-rows", "500", "--jobs", "3"]).await;
    assert_ok(&run);
    assert!(
        run.stdout.contains("1 trigger (customer_seen on ") && run.stdout.contains("suspended and put back"),
        "the summary says what happened: {}",
        run.stdout
    );
    let written = format!("{}.customer ", target.name);
    assert!(run.stdout.contains(&written), "the summary names the target's tables: {}", run.stdout);
    assert!(!run.stdout.contains(&format!("{}.customer ", source.name)), "{}", run.stdout);

    for table in ["customer", "`Order Items`", "audit_log", "staff"] {
        assert_eq!(source.count(table).await, target.count(table).await, "row count of {table}");
    }
    assert_eq!(target.count("customer").await, 3003);
    assert_eq!(target.count("inserts_seen").await, 0, "the target's insert trigger was suspended for the load");
    let back = "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()";
    assert_eq!(target.rows(back).await, [[Some("customer_seen".to_string())]], "and is back");

    let kept = format!("SELECT {CUSTOMER_KEPT} FROM customer ORDER BY id");
    assert_eq!(source.raw_rows(&kept).await, target.raw_rows(&kept).await, "unmasked columns byte-equal");
    for q in [
        "SELECT * FROM `Order Items` ORDER BY 1, 2",
        "SELECT * FROM audit_log ORDER BY 1, 2",
        "SELECT id, manager_id FROM staff ORDER BY id",
    ] {
        assert_eq!(source.raw_rows(q).await, target.raw_rows(q).await, "{q}");
    }

    let masked = "SELECT id, email, first_name, last_name, `Home Phone`, born FROM customer ORDER BY id";
    let (before, after) = (source.rows(masked).await, target.rows(masked).await);
    assert_masked(&before, &after, 1, &[(1, 60), (2, 40), (3, 40), (4, 30)]);
    let generated =
        target.rows("SELECT count(*) FROM customer WHERE NOT full_name <=> concat(first_name, ' ', last_name)").await;
    assert_eq!(generated[0][0].as_deref(), Some("0"), "the target recomputes generated columns");

    let staff = target.rows("SELECT email, password, hex(picture), role FROM staff ORDER BY id").await;
    let shared = target.rows("SELECT email FROM customer WHERE id = 1").await;
    assert_eq!(staff[0][0], shared[0][0], "one address, one pseudonym, in every table");
    assert!(staff.iter().all(|r| r[2].is_none()));
    assert_eq!(staff.iter().map(|r| r[3].as_deref()).collect::<Vec<_>>(), [Some("clerk"), None, Some("clerk")]);
    let hunter = staff[0][1].as_deref().unwrap();
    assert!(hunter.len() == 7 && hunter != "hunter2" && hunter.bytes().all(|b| b.is_ascii_hexdigit()), "{hunter}");

    // AUTO_INCREMENT continues past the copied ids.
    target.exec("INSERT INTO customer (email) VALUES ('new@corp.test')").await;
    assert_eq!(target.rows("SELECT max(id) FROM customer").await[0][0].as_deref(), Some("3004"));
}

#[tokio::test]
async fn mysql_second_upsert_run_is_idempotent_deterministic_and_picks_up_changes() {
    let (source, target) = source_and_target().await;
    let (fresh, other) = (MyDb::create().await, MyDb::create().await);
    tokio::join!(fresh.exec(SCHEMA), other.exec(SCHEMA));
    let tables = ["customer", "audit_log", "staff", "`Order Items`"];
    let shop = Shop { rules: RULES, tables: &tables, dump: DUMP };
    scenarios::upsert_rerun(&shop, &source, &target, &fresh, &other).await;
}

#[tokio::test]
async fn mysql_killed_load_keeps_the_previous_rows() {
    let (source, target) = (MyDb::create().await, MyDb::create().await);
    let table = "CREATE TABLE events (at datetime, payload varchar(200));";
    source
        .exec(&format!(
            "{table} INSERT INTO events WITH RECURSIVE seq (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 200000)
             SELECT '2024-01-01' + INTERVAL n SECOND, repeat('x', 150) FROM seq;"
        ))
        .await;
    target.exec(&format!("{table} INSERT INTO events VALUES ('2001-01-01', 'old 1'), ('2001-01-02', 'old 2');")).await;

    let copying = tokio::spawn({
        let (s, t) = (source.url.clone(), target.url.clone());
        async move { copy(&s, &t, "tables: {}\n", &["--batch-rows", "1000"]).await }
    });
    // Kill the writer's session once it is inserting.
    let admin = MyDb { name: String::new(), url: servers().my.clone() };
    let mut killed = false;
    for _ in 0..500 {
        let ids = admin
            .rows(&format!(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = '{}' AND INFO LIKE 'INSERT INTO%'",
                target.name
            ))
            .await;
        if let Some(id) = ids.first().and_then(|r| r[0].clone()) {
            admin.exec(&format!("KILL {id}")).await;
            killed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let run = copying.await.unwrap();
    assert!(killed, "saw the load running: {}", run.stderr);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("table "), "{}", run.stderr);
    let rows = target.rows("SELECT payload FROM events ORDER BY at").await;
    assert_eq!(rows, vec![vec![Some("old 1".to_string())], vec![Some("old 2".to_string())]]);
}

#[tokio::test]
async fn one_secret_gives_one_pseudonym_on_every_engine() {
    let rules = "secret: cross-engine\ntables:\n  people: email, name\n";
    let (pg_source, pg_target) = (PgDb::create().await, PgDb::create().await);
    let (my_source, my_target) = (MyDb::create().await, MyDb::create().await);
    let table = "CREATE TABLE people (id int PRIMARY KEY, email varchar(80), name varchar(80));";
    let rows = "INSERT INTO people VALUES (1, 'ana@corp.test', 'Ana Lima'), (2, 'bo@corp.test', 'Bo Kim');";
    let filled = format!("{table}{rows}");
    tokio::join!(pg_source.exec(&filled), pg_target.exec(table), my_source.exec(&filled), my_target.exec(table));
    assert_ok(&copy(&pg_source.url, &pg_target.url, rules, &[]).await);
    assert_ok(&copy(&my_source.url, &my_target.url, rules, &[]).await);
    let query = "SELECT email, name FROM people ORDER BY id";
    let (pg, my) = (pg_target.rows(query).await, my_target.rows(query).await);
    assert_eq!(pg, my);
    assert_ne!(pg[0][0].as_deref(), Some("ana@corp.test"));
}
