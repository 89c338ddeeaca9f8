//! `subset:`: roots, their children down a chain of four tables, the parents every chosen row
//! needs (through a self-reference and a two-table cycle), a table without a key reached by a
//! `relation`, a polymorphic relation, a lookup table copied whole and a disconnected table.
//! The expected rows are computed on the source with plain SQL; the target has 0 orphans; a
//! second run with the same secret gives the same bytes.

use crate::support::{TestDb, assert_ok, copy};

/// The schema, on either side. SQLite cannot add a foreign key to a table after the fact, and
/// may name a table before it exists; the servers are the other way round.
fn schema(engine: &str) -> String {
    let lead = if engine == "sqlite" { " REFERENCES members(id)" } else { "" };
    let mut ddl = format!(
        "CREATE TABLE countries (code varchar(2) PRIMARY KEY, name varchar(20));
         CREATE TABLE teams (id int PRIMARY KEY, lead_id int{lead});
         CREATE TABLE members (id int PRIMARY KEY, team_id int NOT NULL REFERENCES teams(id));
         CREATE TABLE customers (id int PRIMARY KEY, name varchar(40), country varchar(2) REFERENCES countries(code),
             referrer_id int REFERENCES customers(id), manager_id int REFERENCES members(id));
         CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id), note varchar(20));
         CREATE TABLE products (id int PRIMARY KEY, name varchar(20));
         CREATE TABLE items (id int PRIMARY KEY, order_id int NOT NULL REFERENCES orders(id),
             product_id int NOT NULL REFERENCES products(id));
         CREATE TABLE shipments (id int PRIMARY KEY, item_id int NOT NULL REFERENCES items(id));
         CREATE TABLE events (order_ref int NOT NULL, at int NOT NULL, message varchar(20));
         CREATE TABLE comments (id int PRIMARY KEY, subject_type varchar(10) NOT NULL, subject_id int NOT NULL);
         CREATE TABLE settings (k varchar(10) PRIMARY KEY, v varchar(10));"
    );
    if engine != "sqlite" {
        ddl.push_str("\nALTER TABLE teams ADD CONSTRAINT teams_lead FOREIGN KEY (lead_id) REFERENCES members(id);");
    }
    ddl
}

fn values(rows: impl Iterator<Item = String>) -> String {
    rows.collect::<Vec<_>>().join(", ")
}

fn data() -> String {
    let null_or = |cond: bool, v: i32| if cond { v.to_string() } else { "NULL".into() };
    let country = |i: i32| ["DE", "FR", "US"][(i % 3) as usize];
    format!(
        "INSERT INTO countries VALUES ('DE', 'Germany'), ('FR', 'France'), ('US', 'United States'), ('NL', 'Netherlands');
         INSERT INTO teams VALUES (1, NULL), (2, NULL), (3, NULL);
         INSERT INTO members VALUES {};
         UPDATE teams SET lead_id = id * 2;
         INSERT INTO customers VALUES {};
         INSERT INTO orders VALUES {};
         INSERT INTO products VALUES {};
         INSERT INTO items VALUES {};
         INSERT INTO shipments VALUES {};
         INSERT INTO events VALUES {};
         INSERT INTO comments VALUES {};
         INSERT INTO settings VALUES ('theme', 'dark'), ('lang', 'en');",
        values((1..=6).map(|m| format!("({m}, {})", m % 3 + 1))),
        values((1..=20).map(|i| format!(
            "({i}, 'Customer {i}', '{}', {}, {})",
            country(i),
            null_or(i % 5 == 0, i - 1),
            null_or(i % 2 == 0, i % 4 + 1)
        ))),
        values((1..=40).map(|o| format!("({o}, {}, 'order {o}')", o % 20 + 1))),
        values((1..=7).map(|p| format!("({p}, 'product {p}')"))),
        values((1..=80).map(|i| format!("({i}, {}, {})", i % 40 + 1, i % 7 + 1))),
        values((1..=40).map(|s| format!("({s}, {})", s * 2))),
        values((1..=60).map(|k| format!("({}, {k}, 'event {k}')", k % 40 + 1))),
        values((1..=30).map(|c| if c % 2 == 0 {
            format!("({c}, 'order', {c})")
        } else {
            format!("({c}, 'product', {})", c % 7 + 1)
        })),
    )
}

const RULES: &str = "secret: fixture-key
tables:
  customers:
    columns:
      name: name
  products:
    where: \"id <> 3\"
subset:
  roots:
    - { table: customers, where: \"country = 'DE'\" }
  whole: [countries]
  keys:
    events: [order_ref, at]
  relations:
    - { from: \"events(order_ref)\", to: \"orders(id)\" }
    - { from: \"comments(subject_id)\", to: \"orders(id)\", when: \"subject_type = 'order'\" }
    - { from: \"comments(subject_id)\", to: \"products(id)\", when: \"subject_type = 'product'\" }
";

/// The rows the subset must give, as plain SQL on the source: roots are the German customers;
/// children are the customers they referred and the orders of both, and so down the chain;
/// parents are what those rows reference. Product 3 is not copied (`where`), so neither are
/// its items nor their shipments.
const DOWN_CUSTOMERS: &str =
    "SELECT id FROM customers WHERE country = 'DE' OR referrer_id IN (SELECT id FROM customers WHERE country = 'DE')";

fn expected() -> Vec<(&'static str, String)> {
    let orders = format!("SELECT id FROM orders WHERE customer_id IN ({DOWN_CUSTOMERS})");
    let items = format!("SELECT id FROM items WHERE order_id IN ({orders}) AND product_id <> 3");
    vec![
        (
            "customers",
            format!(
                "SELECT id FROM customers WHERE id IN ({DOWN_CUSTOMERS}) OR id IN (SELECT referrer_id FROM customers \
                 WHERE id IN ({DOWN_CUSTOMERS})) ORDER BY id"
            ),
        ),
        ("orders", format!("{orders} ORDER BY id")),
        ("items", format!("{items} ORDER BY id")),
        ("shipments", format!("SELECT id FROM shipments WHERE item_id IN ({items}) ORDER BY id")),
        (
            "products",
            format!(
                "SELECT id FROM products WHERE id IN (SELECT product_id FROM items WHERE id IN ({items})) ORDER BY id"
            ),
        ),
        ("events", format!("SELECT at FROM events WHERE order_ref IN ({orders}) ORDER BY at")),
        (
            "comments",
            format!("SELECT id FROM comments WHERE subject_type = 'order' AND subject_id IN ({orders}) ORDER BY id"),
        ),
        ("countries", "SELECT code FROM countries ORDER BY code".into()),
        ("settings", "SELECT k FROM settings ORDER BY k".into()),
    ]
}

/// Child rows whose parent is absent, per foreign key and relation.
const ORPHANS: &[(&str, &str)] = &[
    (
        "customers.country",
        "SELECT COUNT(*) FROM customers c LEFT JOIN countries p ON p.code = c.country WHERE c.country IS NOT NULL AND p.code IS NULL",
    ),
    (
        "customers.referrer_id",
        "SELECT COUNT(*) FROM customers c LEFT JOIN customers p ON p.id = c.referrer_id WHERE c.referrer_id IS NOT NULL AND p.id IS NULL",
    ),
    (
        "customers.manager_id",
        "SELECT COUNT(*) FROM customers c LEFT JOIN members p ON p.id = c.manager_id WHERE c.manager_id IS NOT NULL AND p.id IS NULL",
    ),
    ("members.team_id", "SELECT COUNT(*) FROM members c LEFT JOIN teams p ON p.id = c.team_id WHERE p.id IS NULL"),
    (
        "teams.lead_id",
        "SELECT COUNT(*) FROM teams c LEFT JOIN members p ON p.id = c.lead_id WHERE c.lead_id IS NOT NULL AND p.id IS NULL",
    ),
    (
        "orders.customer_id",
        "SELECT COUNT(*) FROM orders c LEFT JOIN customers p ON p.id = c.customer_id WHERE p.id IS NULL",
    ),
    ("items.order_id", "SELECT COUNT(*) FROM items c LEFT JOIN orders p ON p.id = c.order_id WHERE p.id IS NULL"),
    ("items.product_id", "SELECT COUNT(*) FROM items c LEFT JOIN products p ON p.id = c.product_id WHERE p.id IS NULL"),
    ("shipments.item_id", "SELECT COUNT(*) FROM shipments c LEFT JOIN items p ON p.id = c.item_id WHERE p.id IS NULL"),
    ("events.order_ref", "SELECT COUNT(*) FROM events c LEFT JOIN orders p ON p.id = c.order_ref WHERE p.id IS NULL"),
    (
        "comments→orders",
        "SELECT COUNT(*) FROM comments c LEFT JOIN orders p ON p.id = c.subject_id WHERE c.subject_type = 'order' AND p.id IS NULL",
    ),
    (
        "comments→products",
        "SELECT COUNT(*) FROM comments c LEFT JOIN products p ON p.id = c.subject_id WHERE c.subject_type = 'product' AND p.id IS NULL",
    ),
];

fn firsts(rows: Vec<Vec<Option<String>>>) -> Vec<String> {
    rows.into_iter().map(|r| r[0].clone().unwrap_or_default()).collect()
}

async fn subset_scenario<S: TestDb, T: TestDb>() {
    let (source, target, again) = (S::create().await, T::create().await, T::create().await);
    source.exec(&schema(S::ENGINE)).await;
    source.exec(&data()).await;
    target.exec(&schema(T::ENGINE)).await;
    again.exec(&schema(T::ENGINE)).await;
    let run = copy(source.url(), target.url(), RULES, &[]).await;
    assert_ok(&run);
    for (table, query) in expected() {
        let want = firsts(source.rows(&query).await);
        let key = if table == "events" { "at" } else { query.split_whitespace().nth(1).unwrap() };
        let got = firsts(target.rows(&format!("SELECT {key} FROM {table} ORDER BY {key}")).await);
        assert_eq!(got, want, "table {table}");
    }
    // The manager chain through the cycle: customers' managers, their teams, the teams' leads.
    let members = firsts(target.rows("SELECT id FROM members ORDER BY id").await);
    assert_eq!(members, ["1", "2", "3", "4", "6"]);
    assert_eq!(firsts(target.rows("SELECT id FROM teams ORDER BY id").await), ["1", "2", "3"]);
    for (fk, query) in ORPHANS {
        assert_eq!(firsts(target.rows(query).await), ["0"], "orphans through {fk}");
    }
    // The summary says how many rows each table got, and why.
    for line in ["customers: 8 rows (6 roots, 1 child, 1 parent)", "items: 25 rows (28 children); 3 left out"] {
        assert!(run.stdout.contains(line), "{}", run.stdout);
    }
    // Masks apply as usual: the names changed, the keys joined.
    let names = firsts(target.rows("SELECT name FROM customers WHERE name LIKE 'Customer %'").await);
    assert!(names.is_empty(), "{names:?}");
    assert_ok(&copy(source.url(), again.url(), RULES, &[]).await);
    let tables = ["customers", "orders", "items", "shipments", "products", "comments", "members", "teams"];
    for table in tables {
        let q = format!("SELECT * FROM {table} ORDER BY id");
        assert_eq!(target.dump(&q).await, again.dump(&q).await, "table {table}: the second run differs");
    }
}

crate::on_every_engine_pair!(subset_scenario);
