//! `dbtwin demo`: a small, realistic SQLite "production" database (customers, orders, payments,
//! with personal data and foreign keys), copied anonymized into a twin with the bundled
//! `examples/demo/mask.yaml`. Needs no server and nothing installed. The databases are written
//! and read through the engine contract, like any copy.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::copy;
use crate::cli::{Cli, CopyArgs, DemoArgs};
use crate::data::batch::Batch;
use crate::data::channel;
use crate::data::mode::Mode;
use crate::engine::{self, BatchLimits, ConnectOptions, ConnectedTarget, DbUrl, ReadRequest, Relation, WriteRequest};
use crate::mask::synth::{Synth, draw};
use crate::pipeline::sample::collect;
use crate::schema::TableName;

pub const CONFIG: &str = include_str!("../../examples/demo/mask.yaml");

const SCHEMA: [&str; 3] = [
    "CREATE TABLE customers (
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
)",
    "CREATE TABLE orders (
    id               INTEGER PRIMARY KEY,
    customer_id      INTEGER NOT NULL REFERENCES customers (id),
    ordered_at       DATETIME NOT NULL,
    status           VARCHAR(12) NOT NULL,
    total            NUMERIC(10,2) NOT NULL,
    shipping_address VARCHAR(80),
    notes            TEXT
)",
    "CREATE TABLE payments (
    id           INTEGER PRIMARY KEY,
    order_id     INTEGER NOT NULL REFERENCES orders (id),
    paid_at      DATETIME NOT NULL,
    amount       NUMERIC(10,2) NOT NULL,
    card_number  VARCHAR(19) NOT NULL,
    iban         VARCHAR(34),
    payer_email  VARCHAR(80) NOT NULL
)",
];

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
    let prod = create(&files.prod).await?;
    let [customers, orders, payments] = rows();
    load(&prod, "customers", customers).await?;
    load(&prod, "orders", orders).await?;
    load(&prod, "payments", payments).await?;
    create(&files.twin).await?;
    Ok(files)
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// An SQLite file with the demo's tables, as a target to write into.
async fn create(path: &Path) -> anyhow::Result<ConnectedTarget> {
    let url = DbUrl::parse(&sqlite_url(path), "target")?;
    let options = ConnectOptions { create_missing: true, ..ConnectOptions::jobs(1) };
    let target = engine::connect_target(&url, options).await?;
    target.engine.execute_ddl(&SCHEMA.map(String::from), &[]).await?;
    Ok(target)
}

/// Write `rows` (every cell a value, in column order) into a table just created.
async fn load(target: &ConnectedTarget, table: &str, rows: Vec<Vec<String>>) -> anyhow::Result<()> {
    let name = TableName::new(target.profile.default_schema.clone(), table);
    let schema = target.engine.introspect(&[]).await?;
    let def = schema.table(&name).with_context(|| format!("table {name} was not created"))?;
    let request = WriteRequest {
        table: Relation::of(def),
        columns: def.columns.clone(),
        mode: Mode::Replace,
        key: vec!["id".into()],
        referenced: false,
        auto_increment: Vec::new(),
        recompute: Vec::new(),
        state: None,
    };
    let mut batch = Batch::new(def.columns.len(), rows.len(), 1 << 16);
    for cell in rows.iter().flatten() {
        batch.push(cell.as_bytes());
    }
    let (tx, rx) = channel::channel(1);
    let send = async move {
        tx.send(batch).await?;
        tx.finish().await
    };
    let (written, sent) = tokio::join!(target.engine.write(&request, rx, None), send);
    sent?;
    written.with_context(|| format!("writing the demo's {name}"))?;
    Ok(())
}

/// Customers, their orders and payments, the same every time (a fixed seed).
fn rows() -> [Vec<Vec<String>>; 3] {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let (mut customers, mut orders, mut payments) = (Vec::new(), Vec::new(), Vec::new());
    let mut emails = Vec::with_capacity(CUSTOMERS);
    for id in 1..=CUSTOMERS {
        let first = draw(Synth::FirstName, &mut rng);
        let last = draw(Synth::LastName, &mut rng);
        let domain = draw(Synth::EmailDomain, &mut rng);
        let email = format!("{}.{}{id}@{domain}", first.to_lowercase(), last.to_lowercase().replace('\'', ""));
        let street = format!("{} {}", draw(Synth::BuildingNumber, &mut rng), draw(Synth::StreetName, &mut rng));
        let phone = draw(Synth::Phone, &mut rng);
        let birth =
            format!("{}-{:02}-{:02}", rng.random_range(1950..2005), rng.random_range(1..13), rng.random_range(1..29));
        let city = draw(Synth::City, &mut rng);
        let zip = format!("{:05}", rng.random_range(1000..99_999));
        let ip = draw(Synth::Ipv4, &mut rng);
        let created = format!(
            "2024-{:02}-{:02} {:02}:{:02}:00",
            rng.random_range(1..13),
            rng.random_range(1..29),
            rng.random_range(0..24),
            rng.random_range(0..60)
        );
        let country = "United States".to_string();
        customers.push(vec![
            id.to_string(),
            email.clone(),
            first,
            last,
            phone,
            birth,
            street,
            city,
            zip,
            country,
            ip,
            created,
        ]);
        emails.push(email);
    }
    for id in 1..=ORDERS {
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
        let shipping = format!("{} {}", rng.random_range(1..999), draw(Synth::StreetName, &mut rng));
        let notes = format!("Call {} before delivery", draw(Synth::Phone, &mut rng));
        let row = [(customer + 1).to_string(), at.clone(), status.into(), format!("{total:.2}"), shipping, notes];
        orders.push([id.to_string()].into_iter().chain(row).collect());
        if status != "cancelled" {
            let card = draw(Synth::CardNumber, &mut rng);
            let iban =
                format!("GB{:02}DEMO{:014}", rng.random_range(10..99), rng.random_range(0..99_999_999_999_999u64));
            let payment = payments.len() + 1;
            payments.push(vec![
                payment.to_string(),
                id.to_string(),
                at,
                format!("{total:.2}"),
                card,
                iban,
                emails[customer].clone(),
            ]);
        }
    }
    [customers, orders, payments]
}

/// The demo's customers in id order (e-mail, name, phone, city), and the payers' e-mails.
async fn read(path: &Path) -> anyhow::Result<(Vec<[String; 4]>, Vec<String>)> {
    let url = DbUrl::parse(&sqlite_url(path), "source")?;
    let source = engine::connect_source(&url, ConnectOptions::jobs(1)).await?;
    let cells = |table: &str, columns: &[&str]| ReadRequest {
        table: Relation { name: TableName::new(crate::engine::sqlite::SCHEMA, table), partitioned: false },
        columns: columns.iter().map(|c| c.to_string()).collect(),
        limits: BatchLimits { rows: 1000, bytes: 1 << 20 },
        sample: None,
        filter: Default::default(),
    };
    let text = |b: &Batch, r: usize, c: usize| String::from_utf8_lossy(b.cell(r, c).unwrap_or_default()).into_owned();
    let mut customers = Vec::new();
    let request = cells("customers", &["id", "email", "first_name", "last_name", "phone", "city"]);
    for b in collect(source.engine.as_ref(), &request).await? {
        for r in 0..b.rows() {
            let id: i64 = text(&b, r, 0).parse().unwrap_or(i64::MAX);
            let name = format!("{} {}", text(&b, r, 2), text(&b, r, 3));
            customers.push((id, [text(&b, r, 1), name, text(&b, r, 4), text(&b, r, 5)]));
        }
    }
    customers.sort_by_key(|(id, _)| *id);
    let mut payers = Vec::new();
    for b in collect(source.engine.as_ref(), &cells("payments", &["payer_email"])).await? {
        payers.extend((0..b.rows()).map(|r| text(&b, r, 0)));
    }
    Ok((customers.into_iter().map(|(_, c)| c).collect(), payers))
}

/// Payments whose payer's e-mail is a customer's.
fn joined(customers: &[[String; 4]], payers: &[String]) -> usize {
    let emails: HashSet<&str> = customers.iter().map(|c| c[0].as_str()).collect();
    payers.iter().filter(|p| emails.contains(p.as_str())).count()
}

/// A few customers before → after, and whether payments still join their customers by e-mail.
pub async fn show(files: &Files) -> anyhow::Result<String> {
    let (before, before_payers) = read(&files.prod).await?;
    let (after, after_payers) = read(&files.twin).await?;
    let (joined_prod, joined_twin) = (joined(&before, &before_payers), joined(&after, &after_payers));
    let mut out = String::from("\nthree customers, production → twin:\n");
    for (b, a) in before.iter().zip(&after).take(3) {
        let _ = writeln!(out, "  {}", b.join(" | "));
        let _ = writeln!(out, "  → {}\n", a.join(" | "));
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

pub async fn run(cli: &Cli, args: &DemoArgs) -> anyhow::Result<()> {
    let files =
        prepare(&args.dir).await.with_context(|| format!("writing the demo databases into {}", args.dir.display()))?;
    let copy_args = CopyArgs {
        config: files.config.clone(),
        source: Some(sqlite_url(&files.prod)),
        target: Some(sqlite_url(&files.twin)),
        jobs: 4,
        dry_run: false,
        show_originals: false,
        lock_wait: 60,
        batch_rows: 10_000,
        seed: None,
        create_tables: false,
        report: None,
        key_memory: 64,
        restart: false,
    };
    copy::run(cli, &copy_args).await?;
    print!("{}", show(&files).await?);
    Ok(())
}
