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
    // The dry run says how each table's rows are chosen, and writes nothing.
    let dry = copy(source.url(), again.url(), RULES, &["--dry-run"]).await;
    assert_ok(&dry);
    for line in ["customers: root: where country = 'DE'", "orders: children of", "members: parents of"] {
        assert!(dry.stdout.contains(line), "missing {line:?} in:\n{}", dry.stdout);
    }
    // The cycles, how each loads, and the statements the subset's scans run.
    let plan = dry.stdout.lines().map(str::trim).collect::<Vec<_>>();
    let has = |start: &str, part: &str| plan.iter().any(|l| l.starts_with(start) && l.contains(part));
    assert!(has("self-reference: ", "customers → "), "{}", dry.stdout);
    assert!(has("cycle: ", "teams → ") && has("cycle: ", "members → "), "{}", dry.stdout);
    assert!(has("cycle: ", "; loaded with the target's foreign-key checks off"), "{}", dry.stdout);
    assert!(has("root 1: ", "country = 'DE'"), "{}", dry.stdout);
    assert!(!has("", ".comments: rounds: "), "comments are never read without a `when`: {}", dry.stdout);
    assert!(has("", ".comments: rounds (where subject_type = 'order'): "), "{}", dry.stdout);
    assert_eq!(again.count("customers").await, 0);
    // It also says what the subset gives, and previews chosen rows, not the table's first ones.
    let shown = copy(source.url(), again.url(), RULES, &["--dry-run", "--show-originals"]).await;
    assert_ok(&shown);
    assert!(shown.stdout.contains("subset: "), "{}", shown.stdout);
    assert!(shown.stdout.contains("customers: 8 rows (6 roots, 1 child, 1 parent)"), "{}", shown.stdout);
    let previewed: Vec<String> = shown
        .stdout
        .split("Customer ")
        .skip(1)
        .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect())
        .collect();
    assert_eq!(previewed.len(), 3, "three customers previewed:\n{}", shown.stdout);
    assert_ok(&copy(source.url(), again.url(), RULES, &[]).await);
    let copied = firsts(again.rows("SELECT id FROM customers ORDER BY id").await);
    for id in &previewed {
        assert!(copied.contains(id), "previewed customer {id} is one the subset copies: {copied:?}");
    }
    // With no memory for the chosen keys, every key set lives in the scratch file: the same rows.
    let spilled = T::create().await;
    spilled.exec(&schema(T::ENGINE)).await;
    let run = copy(source.url(), spilled.url(), RULES, &["--key-memory", "0"]).await;
    assert_ok(&run);
    assert!(run.stderr.contains("went on to a scratch file"), "{}", run.stderr);
    let tables = ["customers", "orders", "items", "shipments", "products", "comments", "members", "teams"];
    for table in tables {
        let q = format!("SELECT * FROM {table} ORDER BY id");
        let first = target.dump(&q).await;
        assert_eq!(first, again.dump(&q).await, "table {table}: the second run differs");
        assert_eq!(first, spilled.dump(&q).await, "table {table}: the spilled run differs");
    }
}

crate::on_every_engine_pair!(subset_scenario);

/// A PostgreSQL target whose user cannot switch foreign-key checks off still takes the
/// teams ↔ members cycle: teams load with `lead_id` NULL, members after them, and then the
/// teams' leads are filled in. The target's own foreign keys check every row on the way.
async fn cycle_without_fk_rights_scenario<S: TestDb>() {
    let (source, target) = (S::create().await, crate::support::PgDb::create().await);
    source.exec(&schema(S::ENGINE)).await;
    source.exec(&data()).await;
    target.exec(&schema("postgres")).await;
    let plain = target.without_superuser().await;
    let dry = copy(source.url(), &plain, RULES, &["--dry-run"]).await;
    assert_ok(&dry);
    assert!(
        dry.stdout.contains("note: table public.teams: loaded with lead_id NULL, then filled in"),
        "{}",
        dry.stdout
    );
    let run = copy(source.url(), &plain, RULES, &[]).await;
    assert_ok(&run);
    assert_eq!(firsts(target.rows("SELECT id FROM members ORDER BY id").await), ["1", "2", "3", "4", "6"]);
    let leads = target.rows("SELECT id, lead_id FROM teams ORDER BY id").await;
    assert_eq!(leads, source.rows("SELECT id, lead_id FROM teams ORDER BY id").await, "every lead filled in");
    for (fk, query) in ORPHANS {
        assert_eq!(firsts(target.rows(query).await), ["0"], "orphans through {fk}");
    }
    assert!(
        run.stdout
            .contains("table public.teams: loaded with lead_id NULL, then filled in once public.members was loaded"),
        "{}",
        run.stdout
    );
    // The whole database too, twice (the second run updates rows that are there).
    for _ in 0..2 {
        assert_ok(&copy(source.url(), &plain, "tables: {}\n", &[]).await);
        assert_eq!(target.count("members").await, 6);
        let leads = target.rows("SELECT id, lead_id FROM teams ORDER BY id").await;
        assert_eq!(leads, source.rows("SELECT id, lead_id FROM teams ORDER BY id").await);
    }
}

crate::on_every_engine!(cycle_without_fk_rights_scenario);

/// A cycle whose every column is NOT NULL cannot be loaded with the checks on: refused before
/// anything is written, naming the foreign keys, with what would unblock it.
#[tokio::test]
async fn cycle_without_a_nullable_column_is_refused() {
    let (source, target) = (crate::support::PgDb::create().await, crate::support::PgDb::create().await);
    let ddl = schema("postgres").replace("lead_id int", "lead_id int NOT NULL");
    let deferrable = ddl
        .replace("REFERENCES teams(id)", "REFERENCES teams(id) DEFERRABLE")
        .replace("REFERENCES members(id);", "REFERENCES members(id) DEFERRABLE;");
    source.exec(&deferrable).await;
    source
        .exec(&format!(
            "BEGIN; SET CONSTRAINTS ALL DEFERRED; {}; COMMIT;",
            data().replace("(1, NULL), (2, NULL), (3, NULL)", "(1, 2), (2, 4), (3, 6)")
        ))
        .await;
    target.exec(&ddl).await;
    let plain = target.without_superuser().await;
    let run = copy(&source.url, &plain, "tables: {}\n", &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "foreign keys form a cycle among public.members, public.teams, and none of its keys can be loaded NULL \
             first (public.members(team_id), public.teams(lead_id) are NOT NULL in the target"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(target.count("countries").await, 0, "nothing was written");
}

/// A subset into a target that already has every row: upsert leaves the other rows as they
/// are; `replace` on every table leaves exactly the subset, its foreign keys whole.
async fn subset_modes_scenario<D: TestDb>() {
    let (source, target) = (D::create().await, D::create().await);
    source.exec(&schema(D::ENGINE)).await;
    source.exec(&data()).await;
    target.exec(&schema(D::ENGINE)).await;
    assert_ok(&copy(source.url(), target.url(), "tables: {}\n", &[]).await);
    assert_eq!(target.count("customers").await, 20);

    assert_ok(&copy(source.url(), target.url(), RULES, &[]).await);
    assert_eq!(target.count("customers").await, 20, "upsert keeps the rows the subset leaves out");
    assert_eq!(target.count("items").await, 80);

    let others = ["countries", "teams", "members", "orders", "items", "shipments", "events", "comments", "settings"];
    let mut replace = RULES
        .replace("  customers:\n    columns:", "  customers:\n    mode: replace\n    columns:")
        .replace("  products:\n    where:", "  products:\n    mode: replace\n    where:");
    let extra: String = others.iter().map(|t| format!("  {t}:\n    mode: replace\n")).collect();
    replace = replace.replace("tables:\n", &format!("tables:\n{extra}"));
    let run = copy(source.url(), target.url(), &replace, &[]).await;
    assert_ok(&run);
    for (table, query) in expected() {
        let want = firsts(source.rows(&query).await);
        let key = if table == "events" { "at" } else { query.split_whitespace().nth(1).unwrap() };
        let got = firsts(target.rows(&format!("SELECT {key} FROM {table} ORDER BY {key}")).await);
        assert_eq!(got, want, "table {table} after replace");
    }
    assert_eq!(firsts(target.rows("SELECT id FROM members ORDER BY id").await), ["1", "2", "3", "4", "6"]);
    for (fk, query) in ORPHANS {
        assert_eq!(firsts(target.rows(query).await), ["0"], "orphans through {fk} after replace");
    }
}

crate::on_every_engine!(subset_modes_scenario);

/// `percent` chooses by keyed hash of the key: the same secret gives the same customers, another
/// secret others. A cap keeps the first children by key; an edge may stop children; tables the
/// subset never reaches may be left empty.
async fn sampling_scenario<S: TestDb, T: TestDb>() {
    let source = S::create().await;
    source.exec(&schema(S::ENGINE)).await;
    source.exec(&data()).await;
    let rules = |secret: &str| {
        format!(
            "secret: {secret}
tables: {{}}
subset:
  roots:
    - {{ table: customers, percent: 50 }}
  max_children: 1
  disconnected: empty
  edges:
    - {{ from: \"customers(referrer_id)\", to: \"customers(id)\", children: false }}
"
        )
    };
    let mut chosen = Vec::new();
    for secret in ["one", "one", "two"] {
        let target = T::create().await;
        target.exec(&schema(T::ENGINE)).await;
        assert_ok(&copy(source.url(), target.url(), &rules(secret), &[]).await);
        let roots = firsts(
            target.rows("SELECT id FROM customers WHERE id IN (SELECT customer_id FROM orders) ORDER BY id").await,
        );
        // Every customer has two orders in the source: a root keeps only its first.
        for id in &roots {
            let kept = firsts(target.rows(&format!("SELECT id FROM orders WHERE customer_id = {id}")).await);
            let first = firsts(source.rows(&format!("SELECT MIN(id) FROM orders WHERE customer_id = {id}")).await);
            assert_eq!(kept, first, "customer {id}");
        }
        // Each order keeps one item, the first.
        let items = firsts(target.rows("SELECT COUNT(*) FROM items GROUP BY order_id HAVING COUNT(*) > 1").await);
        assert!(items.is_empty(), "{items:?}");
        assert_eq!(target.count("settings").await, 0, "disconnected: empty");
        for (fk, query) in ORPHANS {
            assert_eq!(firsts(target.rows(query).await), ["0"], "orphans through {fk}");
        }
        chosen.push(roots);
    }
    assert_eq!(chosen[0], chosen[1], "the same secret chooses the same rows");
    assert_ne!(chosen[0], chosen[2], "another secret chooses others");
    assert!((3..=17).contains(&chosen[0].len()), "about half of 20: {:?}", chosen[0]);
}

crate::on_every_engine_pair!(sampling_scenario);

/// Without `subset:`, a table's `where` still keeps every foreign key whole: the rows that
/// reference a row it leaves out are left out, and the rows that reference those.
async fn filter_integrity_scenario<S: TestDb, T: TestDb>() {
    let (source, target) = (S::create().await, T::create().await);
    source.exec(&schema(S::ENGINE)).await;
    source.exec(&data()).await;
    target.exec(&schema(T::ENGINE)).await;
    let run = copy(source.url(), target.url(), "tables:\n  products:\n    where: \"id <> 3\"\n", &[]).await;
    assert_ok(&run);
    let items = "SELECT id FROM items WHERE product_id <> 3 ORDER BY id";
    assert_eq!(firsts(target.rows(items).await), firsts(source.rows(items).await));
    assert_eq!(target.count("items").await, 80 - 12, "items of product 3 are left out");
    let shipments =
        "SELECT id FROM shipments WHERE item_id IN (SELECT id FROM items WHERE product_id <> 3) ORDER BY id";
    assert_eq!(firsts(target.rows("SELECT id FROM shipments ORDER BY id").await), firsts(source.rows(shipments).await));
    assert_eq!(target.count("customers").await, 20, "tables the filter does not touch are whole");
    // Only declared keys: the relations are the subset's.
    for (fk, query) in ORPHANS.iter().filter(|(fk, _)| !fk.contains('→') && !fk.starts_with("events")) {
        assert_eq!(firsts(target.rows(query).await), ["0"], "orphans through {fk}");
    }
    assert!(run.stdout.contains("items: 68 rows (80 of the whole); 12 left out"), "{}", run.stdout);
}

crate::on_every_engine_pair!(filter_integrity_scenario);

/// Every name the subset gives is checked against the source before anything is written, all
/// problems at once, one line each.
async fn bad_subset_scenario<D: TestDb>() {
    let (source, target) = (D::create().await, D::create().await);
    source.exec(&schema(D::ENGINE)).await;
    source.exec(&data()).await;
    target.exec(&schema(D::ENGINE)).await;
    let cases: &[(&str, &[&str])] = &[
        (
            "subset:
  roots:
    - { table: nope }
  whole: [nothing]
  keys:
    orders: [id]
    events: [order_ref, missing]
  relations:
    - { from: \"events(nope)\", to: \"orders(id)\" }
    - { from: \"comments(subject_type)\", to: \"orders(id)\" }
  edges:
    - { from: \"orders(note)\", to: \"customers(id)\", children: false }
",
            &[
                "subset: root 1: table nope: not found in the source",
                "subset: whole: table nothing: not found in the source",
                "subset: keys: orders: table",
                "has a primary key; `keys:` is for tables without one",
                "subset: keys: events: table",
                "has no column missing",
                "subset: relation 1: table",
                "has no column nope",
                "subset: relation 2: comments.subject_type",
                "are not the same kind of value",
                "subset: edge 1: no foreign key or relation goes from orders(note) to customers(id)",
            ],
        ),
        (
            "subset:\n  roots:\n    - { table: customers, percent: 150 }\n    - { table: orders, limit: 0 }\n",
            &[
                "root 1 (customers): percent must be above 0 and at most 100, not 150",
                "root 2 (orders): limit must be at least 1",
            ],
        ),
        (
            "subset:\n  roots:\n    - { table: orders, where: \"id < 3\" }\n  relations:\n    - { from: \"events(order_ref)\", to: \"orders(id)\" }\n",
            &[
                "table",
                "events: the subset must tell its rows apart and it has no primary key",
                "subset: keys: events: [...]",
            ],
        ),
        (
            "subset:\n  roots:\n    - { table: customers, where: \"no_such_column = 1\" }\n",
            &["subset: root 1 (table", "customers): where/order_by: the source refuses it"],
        ),
        (
            "subset:\n  roots:\n    - { table: orders }\n  keys:\n    events: [order_ref, at]\n  relations:\n    - { from: \"events(order_ref)\", to: \"orders(id)\", when: \"nope = 1\" }\n",
            &["subset: relation from table", "events: when nope = 1: the source refuses it"],
        ),
    ];
    for (subset, wanted) in cases {
        let run = copy(source.url(), target.url(), &format!("tables: {{}}\n{subset}"), &[]).await;
        assert_eq!(run.code, 2, "{}", run.stderr);
        for w in *wanted {
            assert!(run.stderr.contains(w), "missing {w:?} in:\n{}", run.stderr);
        }
        assert_eq!(target.count("orders").await + target.count("customers").await, 0, "nothing was written");
    }
}

crate::on_every_engine!(bad_subset_scenario);

/// A small subset of big tables is read by its keys, bound in chunks, not by reading the whole
/// table, and the children of its roots are looked up through their indexed foreign key: the
/// twin holds exactly the chosen rows, equal to the source's, with 0 orphans.
async fn listed_scenario<S: TestDb, T: TestDb>() {
    let (source, target) = (S::create().await, T::create().await);
    let ddl = "CREATE TABLE accounts (id int PRIMARY KEY, region varchar(10), note varchar(40));
         CREATE TABLE entries (id int PRIMARY KEY, account_id int REFERENCES accounts (id), day date,
             amount int);
         CREATE INDEX entries_account ON entries (account_id);";
    let accounts: Vec<String> = (1..=2400).map(|i| format!("({i}, 'r{}', 'note ''{i}'' é')", i % 5)).collect();
    let entries: Vec<String> =
        (1..=4800).map(|i| format!("({i}, {}, '2024-03-{:02}', {i})", (i % 2400) + 1, i % 28 + 1)).collect();
    source.exec(ddl).await;
    source.exec(&format!("INSERT INTO accounts VALUES {};", accounts.join(", "))).await;
    source.exec(&format!("INSERT INTO entries VALUES {};", entries.join(", "))).await;
    // The row estimates a subset weighs its keys against.
    source.exec(if S::ENGINE == "mariadb" { "ANALYZE TABLE accounts, entries" } else { "ANALYZE" }).await;
    target.exec(ddl).await;
    let rules = "tables: {}\nsubset:\n  roots:\n    - { table: accounts, where: \"id <= 60\" }\n";
    let run = copy(source.url(), target.url(), rules, &["-v"]).await;
    assert_ok(&run);
    assert!(run.stderr.contains("subset: children looked up by key"), "{}", run.stderr);
    for line in
        ["accounts: 60 rows (60 roots); read by their keys", "entries: 120 rows (120 children); read by their keys"]
    {
        assert!(run.stdout.contains(line), "wanted {line:?} in:\n{}", run.stdout);
    }
    for q in [
        "SELECT id, region, note FROM accounts WHERE id <= 60 ORDER BY id",
        "SELECT id, account_id FROM entries WHERE account_id <= 60 ORDER BY id",
    ] {
        assert_eq!(target.rows(q).await, source.rows(q).await, "{q}");
    }
    assert_eq!(target.count("accounts").await, 60);
    assert_eq!(target.count("entries").await, 120);
    let orphans = "SELECT COUNT(*) FROM entries WHERE account_id NOT IN (SELECT id FROM accounts)";
    assert_eq!(firsts(target.rows(orphans).await), ["0"]);
}

crate::on_every_engine_pair!(listed_scenario);
