//! `dbtwin demo`: a small, realistic SQLite "production" database (customers, orders, payments,
//! with personal data and foreign keys), copied anonymized into a twin with the bundled
//! `examples/demo/mask.yaml`. Needs no server and nothing installed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use fake::Fake;
use fake::faker::{address::en as address, internet::en as internet, name::en as name, phone_number::en as phone};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Executor};

pub const CONFIG: &str = include_str!("../examples/demo/mask.yaml");

const SCHEMA: &str = "
CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,
    email       VARCHAR(80) NOT NULL UNIQUE,
    first_name  VARCHAR(40) NOT NULL,
    last_name   VARCHAR(40) NOT NULL,
    phone       VARCHAR(30),
    birth_date  DATE,
    street      VARCHAR(80),
    city        VARCHAR(40),
    zip         VARCHAR(10),
    country     VARCHAR(40) NOT NULL,
    signup_ip   VARCHAR(15),
    created_at  DATETIME NOT NULL
);
CREATE TABLE orders (
    id               INTEGER PRIMARY KEY,
    customer_id      INTEGER NOT NULL REFERENCES customers (id),
    ordered_at       DATETIME NOT NULL,
    status           VARCHAR(12) NOT NULL,
    total            NUMERIC(10,2) NOT NULL,
    shipping_address VARCHAR(80),
    notes            TEXT
);
CREATE TABLE payments (
    id           INTEGER PRIMARY KEY,
    order_id     INTEGER NOT NULL REFERENCES orders (id),
    paid_at      DATETIME NOT NULL,
    amount       NUMERIC(10,2) NOT NULL,
    card_number  VARCHAR(19) NOT NULL,
    iban         VARCHAR(34),
    payer_email  VARCHAR(80) NOT NULL
);
";

pub const CUSTOMERS: usize = 200;
pub const ORDERS: usize = 500;

/// The demo's files in `dir`: the production database, the twin, the config.
pub struct Files {
    pub prod: PathBuf,
    pub twin: PathBuf,
    pub config: PathBuf,
}

/// Write (or rewrite) the demo's production database, an empty twin with the same tables, and
/// the config into `dir`.
pub async fn prepare(dir: &Path) -> anyhow::Result<Files> {
    std::fs::create_dir_all(dir)?;
    let files = Files { prod: dir.join("prod.db"), twin: dir.join("twin.db"), config: dir.join("mask.yaml") };
    for db in [&files.prod, &files.twin] {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let path = PathBuf::from(format!("{}{suffix}", db.display()));
            if path.exists() {
                std::fs::remove_file(&path)?;
            }
        }
    }
    std::fs::write(&files.config, CONFIG)?;
    let mut prod = open(&files.prod).await?;
    prod.execute(SCHEMA).await?;
    fill(&mut prod).await?;
    prod.close().await?;
    let mut twin = open(&files.twin).await?;
    twin.execute(SCHEMA).await?;
    twin.close().await?;
    Ok(files)
}

async fn open(path: &Path) -> anyhow::Result<SqliteConnection> {
    Ok(SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(path).create_if_missing(true)).await?)
}

/// Customers, their orders and payments, the same every time (a fixed seed).
async fn fill(conn: &mut SqliteConnection) -> anyhow::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let mut tx = conn.begin().await?;
    let mut emails = Vec::with_capacity(CUSTOMERS);
    for id in 1..=CUSTOMERS as i64 {
        let first: String = name::FirstName().fake_with_rng(&mut rng);
        let last: String = name::LastName().fake_with_rng(&mut rng);
        let domain: String = internet::FreeEmailProvider().fake_with_rng(&mut rng);
        let email = format!("{}.{}{id}@{domain}", first.to_lowercase(), last.to_lowercase().replace('\'', ""));
        let street = format!(
            "{} {}",
            address::BuildingNumber().fake_with_rng::<String, _>(&mut rng),
            address::StreetName().fake_with_rng::<String, _>(&mut rng)
        );
        sqlx::query("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(id)
            .bind(&email)
            .bind(&first)
            .bind(&last)
            .bind(phone::PhoneNumber().fake_with_rng::<String, _>(&mut rng))
            .bind(format!(
                "{}-{:02}-{:02}",
                rng.random_range(1950..2005),
                rng.random_range(1..13),
                rng.random_range(1..29)
            ))
            .bind(street)
            .bind(address::CityName().fake_with_rng::<String, _>(&mut rng))
            .bind(format!("{:05}", rng.random_range(1000..99_999)))
            .bind("United States")
            .bind(internet::IPv4().fake_with_rng::<String, _>(&mut rng))
            .bind(format!(
                "2024-{:02}-{:02} {:02}:{:02}:00",
                rng.random_range(1..13),
                rng.random_range(1..29),
                rng.random_range(0..24),
                rng.random_range(0..60)
            ))
            .execute(&mut *tx)
            .await?;
        emails.push(email);
    }
    let mut payment = 0i64;
    for id in 1..=ORDERS as i64 {
        let customer = rng.random_range(0..CUSTOMERS);
        let total = rng.random_range(500..50_000) as f64 / 100.0;
        let at = format!(
            "2025-{:02}-{:02} {:02}:{:02}:00",
            rng.random_range(1..13),
            rng.random_range(1..29),
            rng.random_range(0..24),
            rng.random_range(0..60)
        );
        let status = ["paid", "shipped", "delivered", "cancelled"][rng.random_range(0..4)];
        sqlx::query("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(id)
            .bind(customer as i64 + 1)
            .bind(&at)
            .bind(status)
            .bind(format!("{total:.2}"))
            .bind(format!(
                "{} {}",
                rng.random_range(1..999),
                address::StreetName().fake_with_rng::<String, _>(&mut rng)
            ))
            .bind(format!("Call {} before delivery", phone::PhoneNumber().fake_with_rng::<String, _>(&mut rng)))
            .execute(&mut *tx)
            .await?;
        if status != "cancelled" {
            payment += 1;
            let card: String = fake::faker::creditcard::en::CreditCardNumber().fake_with_rng(&mut rng);
            let iban =
                format!("GB{:02}DEMO{:014}", rng.random_range(10..99), rng.random_range(0..99_999_999_999_999u64));
            sqlx::query("INSERT INTO payments VALUES (?, ?, ?, ?, ?, ?, ?)")
                .bind(payment)
                .bind(id)
                .bind(&at)
                .bind(format!("{total:.2}"))
                .bind(card)
                .bind(iban)
                .bind(&emails[customer])
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A few customers before → after, and whether payments still join their customers by e-mail.
pub async fn show(files: &Files) -> anyhow::Result<String> {
    let query = "SELECT email, first_name || ' ' || last_name, phone, city FROM customers ORDER BY id LIMIT 3";
    let mut prod = open(&files.prod).await?;
    let mut twin = open(&files.twin).await?;
    let before: Vec<(String, String, String, String)> = sqlx::query_as(query).fetch_all(&mut prod).await?;
    let after: Vec<(String, String, String, String)> = sqlx::query_as(query).fetch_all(&mut twin).await?;
    let joined = "SELECT count(*) FROM payments p JOIN customers c ON c.email = p.payer_email";
    let (joined_prod,): (i64,) = sqlx::query_as(joined).fetch_one(&mut prod).await?;
    let (joined_twin,): (i64,) = sqlx::query_as(joined).fetch_one(&mut twin).await?;
    let mut out = String::from("\nthree customers, production → twin:\n");
    for (b, a) in before.iter().zip(&after) {
        let _ = writeln!(out, "  {} | {} | {} | {}", b.0, b.1, b.2, b.3);
        let _ = writeln!(out, "  → {} | {} | {} | {}\n", a.0, a.1, a.2, a.3);
    }
    let _ = writeln!(
        out,
        "payments joined to customers by e-mail: {joined_prod} in production, {joined_twin} in the twin \
         (one address, one pseudonym, in every table)"
    );
    let _ = writeln!(
        out,
        "files: {} (production), {} (twin), {} (the rules)",
        files.prod.display(),
        files.twin.display(),
        files.config.display()
    );
    Ok(out)
}
