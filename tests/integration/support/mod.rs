//! Servers, throwaway databases, and running the real `dbtwin` binary.

pub mod scenarios;

/// Run a scenario `async fn name<D: TestDb>()` once per engine, as tests `name::postgres`,
/// `name::mariadb` and `name::sqlite`. The engine-pair matrix of later issues grows here.
#[macro_export]
macro_rules! on_every_engine {
    ($($scenario:ident),+ $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn postgres() {
                super::$scenario::<$crate::support::PgDb>().await;
            }

            #[tokio::test]
            async fn mariadb() {
                super::$scenario::<$crate::support::MyDb>().await;
            }

            #[tokio::test]
            async fn sqlite() {
                super::$scenario::<$crate::support::SqliteDb>().await;
            }
        }
    )+};
}

/// Run `scenario::<S, T>()` for every ordered pair of engines, as `name::pg_to_sqlite` etc.
#[macro_export]
macro_rules! on_every_engine_pair {
    ($scenario:ident) => {
        mod $scenario {
            use $crate::support::{MyDb, PgDb, SqliteDb};
            #[tokio::test]
            async fn pg_to_pg() {
                super::$scenario::<PgDb, PgDb>().await
            }
            #[tokio::test]
            async fn pg_to_mariadb() {
                super::$scenario::<PgDb, MyDb>().await
            }
            #[tokio::test]
            async fn pg_to_sqlite() {
                super::$scenario::<PgDb, SqliteDb>().await
            }
            #[tokio::test]
            async fn mariadb_to_pg() {
                super::$scenario::<MyDb, PgDb>().await
            }
            #[tokio::test]
            async fn mariadb_to_mariadb() {
                super::$scenario::<MyDb, MyDb>().await
            }
            #[tokio::test]
            async fn mariadb_to_sqlite() {
                super::$scenario::<MyDb, SqliteDb>().await
            }
            #[tokio::test]
            async fn sqlite_to_pg() {
                super::$scenario::<SqliteDb, PgDb>().await
            }
            #[tokio::test]
            async fn sqlite_to_mariadb() {
                super::$scenario::<SqliteDb, MyDb>().await
            }
            #[tokio::test]
            async fn sqlite_to_sqlite() {
                super::$scenario::<SqliteDb, SqliteDb>().await
            }
        }
    };
}

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::OnceLock;

use sqlx::{AssertSqlSafe, Connection, Executor, MySqlConnection, PgConnection, SqliteConnection};

pub struct Servers {
    /// `postgres://user:pw@host:port`, no database.
    pub pg: String,
    /// `mysql://user:pw@host:port`, no database (MariaDB here, MySQL or MariaDB elsewhere).
    pub my: String,
}

/// Reuse servers named in the environment, else start (or reuse) the project's own.
pub fn servers() -> &'static Servers {
    static SERVERS: OnceLock<Servers> = OnceLock::new();
    SERVERS.get_or_init(|| {
        if let (Ok(pg), Ok(my)) = (std::env::var("DBTWIN_TEST_PG_URL"), std::env::var("DBTWIN_TEST_MY_URL")) {
            return Servers { pg, my };
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/test-servers.sh");
        let out = std::process::Command::new("bash")
            .arg(script)
            .arg("start")
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/test-servers.sh");
        assert!(out.status.success(), "scripts/test-servers.sh start failed");
        let text = String::from_utf8(out.stdout).expect("utf-8");
        let var = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{key}=")))
                .unwrap_or_else(|| panic!("test-servers.sh printed no {key}"))
                .to_string()
        };
        Servers { pg: var("DBTWIN_TEST_PG_URL"), my: var("DBTWIN_TEST_MY_URL") }
    })
}

fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}_{}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed), nanos % 100_000)
}

/// A fresh PostgreSQL database on the test server.
pub struct PgDb {
    pub url: String,
}

impl PgDb {
    /// The URL of a new login role that may read and write every table of the public schema
    /// but is no superuser, so it cannot switch foreign-key checks or triggers off.
    pub async fn without_superuser(&self) -> String {
        let role = unique_name("dbtwin_plain");
        self.exec(&format!(
            "CREATE ROLE {role} LOGIN PASSWORD 'pw';
             GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO {role};"
        ))
        .await;
        let rest = self.url.split_once('@').expect("a URL with credentials").1;
        format!("postgres://{role}:pw@{rest}")
    }

    pub async fn conn(&self) -> PgConnection {
        PgConnection::connect(&self.url).await.expect("connect to test database")
    }

    /// The COPY text of a query: every value in the server's own text form, byte for byte.
    pub async fn copy_text(&self, query: &str) -> String {
        use futures_util::StreamExt;
        let mut c = self.conn().await;
        let mut stream = c.copy_out_raw(&format!("COPY ({query}) TO STDOUT")).await.expect("copy out");
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.expect("copy chunk"));
        }
        String::from_utf8(out).expect("utf-8 COPY text")
    }
}

/// A fresh MySQL/MariaDB database on the test server.
pub struct MyDb {
    pub name: String,
    pub url: String,
}

/// One row as the server's text protocol gives it: bytes, NULL apart.
pub type RawRow = Vec<Option<Vec<u8>>>;

impl MyDb {
    pub async fn conn(&self) -> MySqlConnection {
        let mut c = MySqlConnection::connect(&self.url).await.expect("connect to test database");
        c.execute("SET time_zone = '+00:00'").await.expect("set time zone");
        c
    }

    /// Rows of a query through the text protocol, every cell as the server's bytes.
    pub async fn raw_rows(&self, query: &str) -> Vec<RawRow> {
        use futures_util::TryStreamExt;
        use sqlx::Row;
        let mut c = self.conn().await;
        let mut stream = sqlx::raw_sql(AssertSqlSafe(query.to_string())).fetch(&mut c);
        let mut rows = Vec::new();
        while let Some(row) = stream.try_next().await.expect(query) {
            rows.push(
                (0..row.len())
                    .map(|i| row.try_get_unchecked::<Option<&[u8]>, _>(i).unwrap().map(<[u8]>::to_vec))
                    .collect(),
            );
        }
        rows
    }
}

/// A fresh, empty SQLite file in the temp directory.
pub struct SqliteDb {
    pub path: PathBuf,
    pub url: String,
}

impl SqliteDb {
    pub async fn conn(&self) -> SqliteConnection {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&self.path).create_if_missing(true);
        SqliteConnection::connect_with(&options).await.expect("open the SQLite test file")
    }

    /// Every cell in the text form dbtwin reads: integers and reals in decimal, text as is,
    /// blobs as their bytes, each tagged with its storage class so a changed class shows.
    pub async fn raw_rows(&self, query: &str) -> Vec<Vec<Option<(String, Vec<u8>)>>> {
        use futures_util::TryStreamExt;
        use sqlx::{Row, TypeInfo, ValueRef};
        let mut c = self.conn().await;
        let mut stream = sqlx::query(AssertSqlSafe(query.to_string())).fetch(&mut c);
        let mut rows = Vec::new();
        while let Some(row) = stream.try_next().await.expect(query) {
            let cells = (0..row.len())
                .map(|i| {
                    let raw = row.try_get_raw(i).unwrap();
                    if raw.is_null() {
                        return None;
                    }
                    let class = raw.type_info().name().to_string();
                    let bytes = match class.as_str() {
                        "INTEGER" => row.try_get_unchecked::<i64, _>(i).unwrap().to_string().into_bytes(),
                        "REAL" => row.try_get_unchecked::<f64, _>(i).unwrap().to_string().into_bytes(),
                        "BLOB" => row.try_get_unchecked::<Vec<u8>, _>(i).unwrap(),
                        _ => row.try_get_unchecked::<String, _>(i).unwrap().into_bytes(),
                    };
                    Some((class, bytes))
                })
                .collect();
            rows.push(cells);
        }
        rows
    }
}

/// Run a script of one or more statements on `conn`, returning the database's error.
async fn script<C>(conn: &mut C, sql: &str) -> Result<(), String>
where
    for<'e> &'e mut C: sqlx::Executor<'e>,
{
    sqlx::raw_sql(AssertSqlSafe(sql.to_string())).execute(conn).await.map(drop).map_err(|e| e.to_string())
}

/// What scenarios need of a test database, whatever its engine.
#[allow(async_fn_in_trait)] // static dispatch only: no Send bound is needed
pub trait TestDb: Sized {
    /// `postgres`, `mariadb` or `sqlite`.
    const ENGINE: &'static str;
    /// The engine's JSON column type.
    const JSON_TYPE: &'static str;
    /// `kinds`, one table covering every type class this engine shares with the others.
    const KINDS_DDL: &'static str;
    /// Rows of `kinds`: edge values, unicode, empty values and NULLs.
    const KINDS_ROWS: &'static str;
    /// `kinds` with every cell as text (binary as lower-case hex), in id order.
    const KINDS_SELECT: &'static str;
    /// A query whose one cell is 1 when an index named `{name}` exists.
    const INDEX_QUERY: &'static str;
    /// A query whose one cell counts the rows of `{table}` (itself alone, not its children).
    const COUNT_QUERY: &'static str;
    /// Two triggers on `events (id, at, note)` that rewrite `at` and `note` of every inserted row.
    const TOUCH_TRIGGERS: &'static str;
    /// Every trigger with all of its definition, one row each, in a stable order.
    const TRIGGERS_QUERY: &'static str;
    /// The names of the database's tables, in order.
    const TABLES_QUERY: &'static str;
    /// A query whose one cell counts the sessions running a statement like `{pattern}` (a
    /// LIKE pattern), other than the asking one.
    const RUNNING_QUERY: &'static str;
    /// A fresh, empty database on this engine's test server.
    async fn create() -> Self;
    fn url(&self) -> &str;
    /// Run one statement, returning the database's error instead of panicking.
    async fn try_exec(&self, sql: &str) -> Result<(), String>;
    /// Rows of a query, each cell as text (PostgreSQL queries cast to text themselves).
    async fn rows(&self, query: &str) -> Vec<Vec<Option<String>>>;
    /// The exact contents one query returns, in the engine's own text form.
    async fn dump(&self, query: &str) -> String;

    /// Run a script of one or more statements.
    async fn exec(&self, sql: &str) {
        self.try_exec(sql).await.unwrap_or_else(|e| panic!("{e}\nin:\n{sql}"))
    }

    /// Whether an index of this name exists.
    async fn has_index(&self, name: &str) -> bool {
        self.rows(&Self::INDEX_QUERY.replace("{name}", name)).await[0][0].as_deref() == Some("1")
    }

    async fn tables(&self) -> Vec<String> {
        self.rows(Self::TABLES_QUERY).await.into_iter().map(|r| r[0].clone().unwrap()).collect()
    }

    /// Wait (up to 20 s) until another session runs a statement like `pattern`.
    async fn wait_running(&self, pattern: &str) -> bool {
        let query = Self::RUNNING_QUERY.replace("{pattern}", pattern);
        for _ in 0..2000 {
            if self.rows(&query).await[0][0].as_deref().is_some_and(|n| n != "0") {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        false
    }

    async fn count(&self, table: &str) -> i64 {
        let n = self.rows(&Self::COUNT_QUERY.replace("{table}", table)).await;
        n[0][0].as_deref().unwrap().parse().unwrap()
    }

    /// The exact contents the queries return, for equality checks.
    async fn snapshot(&self, queries: &[&str]) -> String {
        let mut out = String::new();
        for q in queries {
            out.push_str(&self.dump(q).await);
        }
        out
    }
}

impl TestDb for PgDb {
    const ENGINE: &'static str = "postgres";
    const JSON_TYPE: &'static str = "jsonb";
    const KINDS_DDL: &'static str = "CREATE TABLE kinds (id int PRIMARY KEY, flag boolean, big bigint,
        price numeric(38,10), ratio double precision, name varchar(40), data bytea, day date,
        at timestamp(6), at_tz timestamptz, uid uuid, doc jsonb, span interval);";
    const KINDS_ROWS: &'static str = "INSERT INTO kinds VALUES
        (1, true, 9223372036854775807, 1234567890123456789012345678.0123456789, 0.1, 'Zoë 🦀', '\\x00ff0010',
         '2024-02-29', '2024-02-29 12:34:56.123456', '2024-02-29 12:34:56.123456+00',
         'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": [1, \"x\"], \"b\": null}', '1 day 02:03:04'),
        (2, false, -9223372036854775808, -0.0000000001, -1e300, '', '\\x', '1970-01-01',
         '2024-01-01 00:00:00', '2024-01-01 00:00:00+00', '00000000-0000-0000-0000-000000000000', '[]', '00:00:01'),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);";
    const KINDS_SELECT: &'static str = "SELECT id::text, flag::text, big::text, price::text, ratio::text, name,
        encode(data, 'hex'), day::text, at::text, at_tz::text, uid::text, doc::text, span::text FROM kinds ORDER BY id";
    const INDEX_QUERY: &'static str = "SELECT count(*)::text FROM pg_indexes WHERE indexname = '{name}'";
    const COUNT_QUERY: &'static str = "SELECT count(*)::text FROM ONLY {table}";
    const TABLES_QUERY: &'static str = "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1";
    const RUNNING_QUERY: &'static str = "SELECT count(*)::text FROM pg_stat_activity \
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '{pattern}'";
    const TOUCH_TRIGGERS: &'static str = "
        CREATE FUNCTION touch() RETURNS trigger AS $$ BEGIN NEW.at := 'rewritten'; RETURN NEW; END $$ LANGUAGE plpgsql;
        CREATE FUNCTION mark() RETURNS trigger AS $$ BEGIN NEW.note := 'marked'; RETURN NEW; END $$ LANGUAGE plpgsql;
        CREATE TRIGGER ev_touch BEFORE INSERT OR UPDATE ON events FOR EACH ROW EXECUTE FUNCTION touch();
        CREATE TRIGGER ev_mark BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION mark();";
    const TRIGGERS_QUERY: &'static str =
        "SELECT tgname::text, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1";
    async fn create() -> Self {
        let base = &servers().pg;
        let name = unique_name("dbtwin");
        let mut admin = PgConnection::connect(&format!("{base}/postgres")).await.expect("connect to the test server");
        admin.execute(AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("create database");
        PgDb { url: format!("{base}/{name}") }
    }
    fn url(&self) -> &str {
        &self.url
    }
    async fn try_exec(&self, sql: &str) -> Result<(), String> {
        script(&mut self.conn().await, sql).await
    }
    async fn rows(&self, query: &str) -> Vec<Vec<Option<String>>> {
        use sqlx::Row;
        let rows =
            sqlx::raw_sql(AssertSqlSafe(query.to_string())).fetch_all(&mut self.conn().await).await.expect(query);
        // The simple query protocol returns every value as text, whatever its type.
        rows.iter()
            .map(|r| (0..r.len()).map(|i| r.try_get_unchecked::<Option<String>, _>(i).unwrap()).collect())
            .collect()
    }
    async fn dump(&self, query: &str) -> String {
        self.copy_text(query).await
    }
}

impl TestDb for MyDb {
    const ENGINE: &'static str = "mariadb";
    const JSON_TYPE: &'static str = "json";
    const KINDS_DDL: &'static str = "CREATE TABLE kinds (id int PRIMARY KEY, flag tinyint(1), big bigint,
        price decimal(38,10), ratio double, name varchar(40), data blob, day date, at datetime(6),
        at_tz datetime(6), uid char(36), doc json, span varchar(40));";
    const KINDS_ROWS: &'static str = "INSERT INTO kinds VALUES
        (1, 1, 9223372036854775807, 1234567890123456789012345678.0123456789, 0.1, 'Zoë 🦀', x'00ff0010',
         '2024-02-29', '2024-02-29 12:34:56.123456', '2024-02-29 12:34:56.123456',
         'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": [1, \"x\"], \"b\": null}', '1 day 02:03:04'),
        (2, 0, -9223372036854775808, -0.0000000001, -1e300, '', x'', '1970-01-01',
         '2024-01-01 00:00:00', '2024-01-01 00:00:00', '00000000-0000-0000-0000-000000000000', '[]', '00:00:01'),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);";
    const KINDS_SELECT: &'static str = "SELECT id, flag, big, price, ratio, name, LOWER(HEX(data)), day, at, at_tz,
        uid, doc, span FROM kinds ORDER BY id";
    const INDEX_QUERY: &'static str = "SELECT COUNT(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS \
        WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = '{name}'";
    const COUNT_QUERY: &'static str = "SELECT count(*) FROM {table}";
    const TABLES_QUERY: &'static str =
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1";
    const RUNNING_QUERY: &'static str = "SELECT count(*) FROM information_schema.PROCESSLIST \
        WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND INFO LIKE '{pattern}'";
    const TOUCH_TRIGGERS: &'static str = "
        SET SESSION sql_mode = 'PIPES_AS_CONCAT,STRICT_ALL_TABLES';
        CREATE TRIGGER ev_touch BEFORE INSERT ON events FOR EACH ROW SET NEW.at = 'rewritten';
        CREATE TRIGGER ev_mark BEFORE INSERT ON events FOR EACH ROW FOLLOWS ev_touch SET NEW.note = 'mar' || 'ked';
        CREATE TRIGGER ev_retouch BEFORE UPDATE ON events FOR EACH ROW SET NEW.at = 'rewritten';";
    const TRIGGERS_QUERY: &'static str = "SELECT TRIGGER_NAME, EVENT_MANIPULATION, ACTION_TIMING,
        CAST(ACTION_ORDER AS CHAR), ACTION_STATEMENT, DEFINER, SQL_MODE, CHARACTER_SET_CLIENT, COLLATION_CONNECTION,
        DATABASE_COLLATION FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1";
    async fn create() -> Self {
        let base = &servers().my;
        let name = unique_name("dbtwin");
        let mut admin = MySqlConnection::connect(base).await.expect("connect to the MariaDB test server");
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE {name} CHARACTER SET utf8mb4")))
            .await
            .expect("create database");
        MyDb { url: format!("{base}/{name}"), name }
    }
    fn url(&self) -> &str {
        &self.url
    }
    /// A script, with zero dates allowed, as a legacy source has them.
    async fn exec(&self, sql: &str) {
        let mut c = self.conn().await;
        c.execute("SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'").await.expect("sql_mode");
        // Data is generated with recursive CTEs; MariaDB stops them at 1000 rows by default.
        // Each server has its own name for the limit.
        for limit in
            ["SET SESSION max_recursive_iterations = 10000000", "SET SESSION cte_max_recursion_depth = 10000000"]
        {
            let _absent_on_the_other_server = c.execute(limit).await;
        }
        script(&mut c, sql).await.unwrap_or_else(|e| panic!("{e}\nin:\n{sql}"))
    }
    async fn try_exec(&self, sql: &str) -> Result<(), String> {
        script(&mut self.conn().await, sql).await
    }
    async fn rows(&self, query: &str) -> Vec<Vec<Option<String>>> {
        let text = |c: Option<Vec<u8>>| c.map(|b| String::from_utf8(b).expect("utf-8"));
        self.raw_rows(query).await.into_iter().map(|r| r.into_iter().map(text).collect()).collect()
    }
    async fn dump(&self, query: &str) -> String {
        format!("{:?}\n", self.raw_rows(query).await)
    }
}

impl TestDb for SqliteDb {
    const ENGINE: &'static str = "sqlite";
    const JSON_TYPE: &'static str = "json";
    // Decimals as TEXT: SQLite's NUMERIC affinity would keep 15 digits of them.
    const KINDS_DDL: &'static str = "CREATE TABLE kinds (id INTEGER PRIMARY KEY, flag BOOLEAN, big BIGINT,
        price TEXT, ratio REAL, name VARCHAR(40), data BLOB, day DATE, at DATETIME, at_tz DATETIME,
        uid VARCHAR(36), doc JSON, span VARCHAR(40));";
    const KINDS_ROWS: &'static str = "INSERT INTO kinds VALUES
        (1, 1, 9223372036854775807, '1234567890123456789012345678.0123456789', 0.1, 'Zoë 🦀', x'00ff0010',
         '2024-02-29', '2024-02-29 12:34:56.123456', '2024-02-29 12:34:56.123456',
         'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": [1, \"x\"], \"b\": null}', '1 day 02:03:04'),
        (2, 0, -9223372036854775808, '-0.0000000001', -1e300, '', x'', '1970-01-01',
         '2024-01-01 00:00:00', '2024-01-01 00:00:00', '00000000-0000-0000-0000-000000000000', '[]', '00:00:01'),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);";
    // hex(NULL) is '' in SQLite.
    const KINDS_SELECT: &'static str =
        "SELECT id, flag, big, price, ratio, name, iif(data IS NULL, NULL, lower(hex(data))), day, at, at_tz,
        uid, doc, span FROM kinds ORDER BY id";
    const INDEX_QUERY: &'static str = "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = '{name}'";
    const COUNT_QUERY: &'static str = "SELECT count(*) FROM {table}";
    const TABLES_QUERY: &'static str =
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY 1";
    // An SQLite file has no sessions to ask; its writer shows as its journal instead.
    const RUNNING_QUERY: &'static str = "SELECT 0";
    const TOUCH_TRIGGERS: &'static str = "
        CREATE TRIGGER ev_touch AFTER INSERT ON events BEGIN UPDATE events SET at = 'rewritten' WHERE id = NEW.id; END;
        CREATE TRIGGER ev_mark AFTER INSERT ON events BEGIN UPDATE events SET note = 'marked' WHERE id = NEW.id; END;
        CREATE TRIGGER ev_retouch AFTER UPDATE OF note ON events BEGIN UPDATE events SET at = 'rewritten' WHERE id = NEW.id; END;";
    const TRIGGERS_QUERY: &'static str = "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY name";
    async fn create() -> Self {
        let path = std::env::temp_dir().join(format!("{}.db", unique_name("dbtwin")));
        // An empty file is an empty database, as a created one on a server is.
        std::fs::write(&path, b"").expect("create the SQLite file");
        SqliteDb { url: format!("sqlite://{}", path.display()), path }
    }
    fn url(&self) -> &str {
        &self.url
    }
    async fn try_exec(&self, sql: &str) -> Result<(), String> {
        let mut c = self.conn().await;
        // dbtwin's own connections load with foreign keys off; a test connection checks them.
        script(&mut c, "PRAGMA foreign_keys = ON").await?;
        script(&mut c, sql).await
    }
    /// A script on a connection that, like dbtwin's, leaves foreign keys unchecked.
    async fn exec(&self, sql: &str) {
        script(&mut self.conn().await, sql).await.unwrap_or_else(|e| panic!("{e}\nin:\n{sql}"))
    }
    async fn rows(&self, query: &str) -> Vec<Vec<Option<String>>> {
        let text = |c: Option<(String, Vec<u8>)>| c.map(|(_, b)| String::from_utf8_lossy(&b).into_owned());
        self.raw_rows(query).await.into_iter().map(|r| r.into_iter().map(text).collect()).collect()
    }
    async fn dump(&self, query: &str) -> String {
        format!("{:?}\n", self.raw_rows(query).await)
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run the dbtwin binary with `args`, a clean environment for its own variables, no progress bars.
pub async fn dbtwin(args: &[&str]) -> Run {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_dbtwin"))
        .args(args)
        .arg("--progress=none")
        .env_remove("DBTWIN_SOURCE")
        .env_remove("DBTWIN_TARGET")
        .env_remove("DBTWIN_LOG")
        .stdin(Stdio::null())
        // A test that gives up on a hung run must not leave the process behind.
        .kill_on_drop(true)
        .output()
        .await
        .expect("run dbtwin");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Start `dbtwin copy --config FILE` with `extra` arguments and no progress display, for a test
/// that signals or kills it mid-run; its output is piped, and it dies with the handle.
pub fn spawn_copy(config: &std::path::Path, extra: &[&str]) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_dbtwin"))
        .args(["copy", "--progress=none", "--config", config.to_str().unwrap()])
        .args(extra)
        .env_remove("DBTWIN_SOURCE")
        .env_remove("DBTWIN_TARGET")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start dbtwin")
}

/// Write a config file for this test and return its path.
pub fn config_file(yaml: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("{}.yaml", unique_name("dbtwin_config")));
    std::fs::write(&path, yaml).expect("write config");
    path
}

/// `dbtwin copy` from `source` to `target` with the config body `rules` (source/target added).
pub async fn copy(source: &str, target: &str, rules: &str, extra: &[&str]) -> Run {
    let path = config_file(&format!("source: {source}\ntarget: {target}\n{rules}"));
    let mut args = vec!["copy", "--config", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    dbtwin(&args).await
}

pub fn assert_ok(run: &Run) {
    assert_eq!(run.code, 0, "dbtwin failed:\nstdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
}
