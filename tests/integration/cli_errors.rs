//! Bad input: one clear line naming what is wrong, the right exit code, nothing written, no
//! password anywhere.

use crate::support::{PgDb, TestDb, assert_ok, config_file, copy, dbtwin, servers};

const TABLE: &str = "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, name text);";

async fn pair() -> (PgDb, PgDb) {
    let (source, target) = tokio::join!(PgDb::create(), PgDb::create());
    let filled = format!("{TABLE} INSERT INTO users VALUES (1, 'a@b.c', 'A');");
    tokio::join!(source.exec(&filled), target.exec(TABLE));
    (source, target)
}

#[tokio::test]
async fn unknown_names_are_all_reported_and_nothing_is_written() {
    let (source, target) = pair().await;
    let run = copy(
        &source.url,
        &target.url,
        "tables:\n  nosuch: email\n  users:\n    columns:\n      emial: email\n      email: null\n",
        &[],
    )
    .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines,
        [
            "error: table nosuch: not found in the source",
            "error: table public.users, column email: mask null on a NOT NULL column (text)",
            "error: table public.users, column emial: not found in the source table",
        ]
    );
    assert_eq!(target.count("users").await, 0);
    let empty = config_file("# nothing yet\n");
    let run =
        dbtwin(&["copy", "--config", empty.to_str().unwrap(), "--source", &source.url, "--target", &target.url]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("is empty") && run.stderr.contains("`tables: {}`"), "{}", run.stderr);
}

#[tokio::test]
async fn wrong_password_and_unreachable_host_exit_3_without_the_password() {
    let (source, target) = pair().await;
    let wrong = source.url.replace("dbtwin-test-pw", "Wr0ngPassw0rd");
    let run = copy(&wrong, &target.url, "tables: {}\n", &[]).await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("password authentication failed"), "{}", run.stderr);
    assert!(run.stderr.contains(":***@"), "the URL is shown redacted: {}", run.stderr);
    assert!(!run.stderr.contains("Wr0ngPassw0rd") && !run.stdout.contains("Wr0ngPassw0rd"));
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);

    let nowhere = "postgres://u:S3cretPw@127.0.0.1:1/db";
    let run = copy(&source.url, nowhere, "tables: {}\n", &[]).await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error: cannot connect to the target database postgres://u:***@127.0.0.1:1/db"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("S3cretPw"));
}

#[tokio::test]
async fn config_mistakes_exit_2_with_their_location() {
    let (source, target) = pair().await;
    let cases: [(&str, &str); 5] = [
        ("tables:\n  users: email,\n  bad: [unclosed\n", "line"),
        ("tables:\n  users:\n    colums: {}\n", "colums"),
        ("secret: ${DBTWIN_TEST_UNSET_VARIABLE}\n", "environment variable DBTWIN_TEST_UNSET_VARIABLE is not set"),
        ("tables:\n  users: email, name, email\n", "table users: column email is listed twice"),
        ("tables:\n  users:\n    columns:\n      email: emial\n", "emial"),
    ];
    for (rules, expected) in cases {
        let run = copy(&source.url, &target.url, rules, &[]).await;
        assert_eq!(run.code, 2, "{rules}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{rules}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
    }
    assert_eq!(target.count("users").await, 0);

    let missing = dbtwin(&["copy", "--config", "/nonexistent/mask.yaml"]).await;
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("cannot read config file /nonexistent/mask.yaml"), "{}", missing.stderr);
    assert_eq!(missing.stderr.matches("No such file").count(), 1, "the reason said once: {}", missing.stderr);
}

#[tokio::test]
async fn copying_a_database_onto_itself_is_refused() {
    let (source, _target) = pair().await;
    let run = copy(&source.url, &source.url, "tables: {}\n", &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("same database"), "{}", run.stderr);
    // The same database under another host name is caught by asking the server.
    let alias = source.url.replace("127.0.0.1", "localhost");
    let run = copy(&source.url, &alias, "tables: {}\n", &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("same database on the same server"), "{}", run.stderr);
    assert_eq!(source.count("users").await, 1);
}

#[tokio::test]
async fn urls_on_the_command_line_override_the_config() {
    let (source, target) = pair().await;
    let base = &servers().pg;
    let path = config_file(&format!("source: {base}/nonexistent_db\ntarget: {base}/nonexistent_db2\ntables: {{}}\n"));
    let run =
        dbtwin(&["copy", "--config", path.to_str().unwrap(), "--source", &source.url, "--target", &target.url]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(target.count("users").await, 1);
}

/// A runtime error is said once, on one line, naming the table.
#[tokio::test]
async fn a_failed_table_is_said_once() {
    let (source, target) = tokio::join!(PgDb::create(), PgDb::create());
    source.exec("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, -5);").await;
    target.exec("CREATE TABLE t (id int PRIMARY KEY, v int CHECK (v > 0));").await;
    let run = copy(&source.url, &target.url, "tables: {}\n", &[]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let errors: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(errors[0].contains("table public.t") && errors[0].contains("t_v_check"), "{}", errors[0]);
    assert_eq!(errors[0].matches("t_v_check").count(), 1, "said once: {}", errors[0]);
}

/// Configs that would silently copy less than asked, or everything unmasked, are refused
/// before anything is written.
#[tokio::test]
async fn silent_partial_configs_are_refused() {
    let (source, target) = pair().await;
    let cases: &[(&str, &str)] = &[
        ("", "has no `tables:`"),
        ("# to do\n", "has no `tables:`"),
        ("schemas: [public, pubic]\ntables: {}\n", "schemas: the source has no table in pubic"),
    ];
    for (rules, wanted) in cases {
        let run = copy(&source.url, &target.url, rules, &[]).await;
        assert_eq!(run.code, 2, "{rules:?}: {}", run.stderr);
        assert!(run.stderr.contains(wanted), "{rules:?}: wanted {wanted:?} in {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
    }
    assert_eq!(target.count("users").await, 0);
    let empty = config_file("# nothing yet\n");
    let run =
        dbtwin(&["copy", "--config", empty.to_str().unwrap(), "--source", &source.url, "--target", &target.url]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("is empty") && run.stderr.contains("`tables: {}`"), "{}", run.stderr);
}

/// The same on MariaDB, where a table the user may insert into but not read is listed, and
/// used to be read mid-run: refused before any row moves, naming it.
#[tokio::test]
async fn a_mariadb_table_the_source_user_may_not_read_is_named_before_the_run() {
    let (source, target) = (crate::support::MyDb::create().await, crate::support::SqliteDb::create().await);
    source
        .exec(
            "CREATE TABLE users (id int PRIMARY KEY); INSERT INTO users VALUES (1);
             CREATE TABLE secrets (id int PRIMARY KEY, v text); INSERT INTO secrets VALUES (1, 'x');",
        )
        .await;
    target
        .exec("CREATE TABLE users (id INTEGER PRIMARY KEY); CREATE TABLE secrets (id INTEGER PRIMARY KEY, v TEXT);")
        .await;
    let user = format!("dbtwin_noread_{}", std::process::id());
    let _ = source.try_exec(&format!("DROP USER IF EXISTS '{user}'@'%'")).await;
    source
        .exec(&format!(
            "CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'; GRANT SELECT ON `{db}`.users TO '{user}'@'%';
             GRANT INSERT ON `{db}`.secrets TO '{user}'@'%';",
            db = source.name
        ))
        .await;
    let rest = source.url.split_once('@').unwrap().1;
    let as_user = format!("mysql://{user}:pw@{rest}");
    let run = copy(&as_user, target.url(), "tables: {}\n", &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    let want = format!("table {}.secrets: the source user may not read it (no SELECT privilege)", source.name);
    assert!(run.stderr.contains(&want), "{}", run.stderr);
    assert_eq!(target.count("users").await, 0, "nothing was copied");
}

/// A PostgreSQL source user without SELECT on a table is refused before any table is copied,
/// naming the table, instead of failing mid-run after others committed.
#[tokio::test]
async fn a_table_the_source_user_may_not_read_is_named_before_the_run() {
    let (source, target) = pair().await;
    source.exec("CREATE TABLE secrets (id int PRIMARY KEY, v text); INSERT INTO secrets VALUES (1, 'x');").await;
    target.exec("CREATE TABLE secrets (id int PRIMARY KEY, v text);").await;
    let role = format!("dbtwin_noread_{}", std::process::id());
    source
        .exec(&format!(
            "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN PASSWORD 'pw'; GRANT SELECT ON users TO {role};"
        ))
        .await;
    let rest = source.url.split_once('@').unwrap().1;
    let as_role = format!("postgres://{role}:pw@{rest}");
    let run = copy(&as_role, &target.url, "tables: {}\n", &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("table public.secrets: the source user may not read it (no SELECT privilege)"),
        "{}",
        run.stderr
    );
    assert_eq!(target.count("users").await, 0, "nothing was copied");
    let excluded = copy(&as_role, &target.url, "exclude: [secrets]\ntables: {}\n", &[]).await;
    assert_ok(&excluded);
    assert_eq!(target.count("users").await, 1);
}

/// A config table that lives in a schema the run does not copy is named with the schema it is
/// in, on PostgreSQL (schemas) and MariaDB (databases of the same server).
#[tokio::test]
async fn a_config_table_in_a_schema_not_copied_says_where_it_is() {
    let (source, target) = pair().await;
    source.exec("CREATE SCHEMA sales; CREATE TABLE sales.invoices (id int PRIMARY KEY, email text);").await;
    let run = copy(&source.url, &target.url, "tables:\n  invoices: email\n", &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    let want = "table invoices: not among the copied schemas (public); it is in schema sales: add sales to `schemas:`";
    assert!(run.stderr.contains(want), "{}", run.stderr);

    let (my, other) = (crate::support::MyDb::create().await, crate::support::MyDb::create().await);
    my.exec("CREATE TABLE users (id int PRIMARY KEY);").await;
    // Named for this run: databases other runs left on the server may hold a `ledger` too.
    let ledger = format!("ledger_{}", std::process::id());
    other.exec(&format!("CREATE TABLE {ledger} (id int PRIMARY KEY, email text);")).await;
    let run = copy(&my.url, target.url.as_str(), &format!("tables:\n  {ledger}: email\n"), &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    let want = format!("it is in schema {}: add {} to `schemas:`", other.name, other.name);
    assert!(run.stderr.contains(&want), "{}", run.stderr);
}
