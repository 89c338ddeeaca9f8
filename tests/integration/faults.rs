//! Faults, concurrency and hostile input: what a copy does when other sessions write, when it
//! is interrupted, and when its input is out of bounds.

use std::time::Duration;

use crate::support::{MyDb, PgDb, SqliteDb, TestDb, config_file, dbtwin, spawn_copy};

/// Wait until a dbtwin session on `db` runs a statement like `pattern`. When it does not, the
/// error says why: dbtwin's exit and its stderr, or what its sessions were doing at the deadline.
async fn wait_for_statement(db: &PgDb, pattern: &str, child: &mut tokio::process::Child) -> Result<(), String> {
    let query = format!(
        "SELECT count(*)::text FROM pg_stat_activity WHERE application_name = 'dbtwin' \
         AND datname = current_database() AND query LIKE '{pattern}'"
    );
    // By the clock, not a count of polls: on a loaded 2-core CI machine the copy before the
    // statement has taken longer than 1,000 polls (about 15 s), and once over 60 s while the
    // other tests ran.
    let deadline = std::time::Instant::now() + Duration::from_secs(150);
    while std::time::Instant::now() < deadline {
        if db.rows(&query).await[0][0].as_deref() != Some("0") {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = tokio::io::AsyncReadExt::read_to_string(&mut pipe, &mut stderr).await;
            }
            return Err(format!("dbtwin ended ({status}) before running {pattern:?}: {stderr}"));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let sessions = db
        .rows(
            "SELECT concat_ws(' | ', state, wait_event_type, wait_event, left(query, 80)) FROM pg_stat_activity \
             WHERE application_name = 'dbtwin'",
        )
        .await;
    Err(format!("no {pattern:?} within 150 s; dbtwin's sessions: {sessions:?}"))
}

/// A table truncated and reloaded while the run reads other tables is copied as the snapshot
/// saw it (TRUNCATE is not MVCC-safe: without a lock, the old snapshot reads it as empty).
#[tokio::test]
async fn pg_concurrent_truncate_never_empties_the_twin() {
    let (source, target) = (PgDb::create().await, PgDb::create().await);
    let schema = "CREATE TABLE big (id int, payload text); CREATE TABLE small (id int);";
    source
        .exec(&format!(
            "{schema} INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 1500000) g;
             INSERT INTO small SELECT generate_series(1, 1000); ANALYZE big; ANALYZE small;"
        ))
        .await;
    target.exec(&format!("{schema} INSERT INTO small VALUES (-1);")).await;
    let path = config_file(&format!("source: {}\ntarget: {}\ntables: {{}}\n", source.url, target.url));
    // One job: the big table is read first, the small one after the writer has been at it.
    let mut child = spawn_copy(&path, &["--jobs", "1"]);
    if let Err(why) = wait_for_statement(&source, "COPY (SELECT%", &mut child).await {
        panic!("saw the read running: {why}");
    }
    // The application's nightly job, until the run ends: empty the table and fill it again, in
    // one transaction.
    let done = std::cell::Cell::new(false);
    let run = async {
        let out = child.wait_with_output().await.unwrap();
        done.set(true);
        out
    };
    let reload = async {
        let (mut committed, mut blocked) = (0, 0);
        while !done.get() {
            let sql = "SET lock_timeout = '100ms'; BEGIN; TRUNCATE small; \
                       INSERT INTO small SELECT generate_series(1, 1000); COMMIT;";
            match source.try_exec(sql).await {
                Ok(()) => committed += 1,
                Err(_) => blocked += 1,
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        (committed, blocked)
    };
    let (out, (committed, blocked)) = tokio::join!(run, reload);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(target.count("small").await, 1000, "the twin holds the snapshot's rows");
    assert!(blocked > 0, "the writer's TRUNCATE waited for the run ({committed} committed, {blocked} blocked)");
}

/// Numeric options out of range are refused with the range, never a crash.
#[tokio::test]
async fn numeric_options_out_of_range_give_the_range() {
    let path = config_file("source: sqlite://nowhere.db\ntarget: sqlite://twin.db\ntables: {}\n");
    for (option, value, range) in [
        ("--batch-rows", "1000000000", "1..=1000000"),
        ("--batch-rows", "0", "1..=1000000"),
        ("--jobs", "65", "1..=64"),
    ] {
        let run = dbtwin(&["copy", "--config", path.to_str().unwrap(), option, value]).await;
        assert_eq!(run.code, 2, "{option} {value}: {}", run.stderr);
        assert!(run.stderr.contains(range), "{option} {value} names the range {range}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

/// Interrupted with `signal` while it loads an SQLite twin, dbtwin exits with `code`, and the
/// file on its own (as CI uploads it) is whole and holds the old rows: no hot journal is left.
async fn sqlite_interrupt_leaves_a_whole_file(signal: &str, code: i32) {
    let (source, target) = (SqliteDb::create().await, SqliteDb::create().await);
    let table = "CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT);";
    source
        .exec(&format!(
            "{table} WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400000)
             INSERT INTO events SELECT i, printf('%.100c', 'x') FROM n;"
        ))
        .await;
    target.exec(&format!("{table} INSERT INTO events VALUES (1, 'old 1'), (2, 'old 2');")).await;
    let path = config_file(&format!(
        "source: {}\ntarget: {}\ntables:\n  events: {{ mode: replace }}\n",
        source.url, target.url
    ));
    let report = std::path::PathBuf::from(format!("{}.report.json", target.path.display()));
    let child = spawn_copy(&path, &["--report", report.to_str().unwrap()]);
    let journal = std::path::PathBuf::from(format!("{}-journal", target.path.display()));
    let mut loading = false;
    for _ in 0..2000 {
        if journal.exists() {
            loading = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(loading, "saw the load running");
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args([signal, &pid]).status().unwrap().success());
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(!journal.exists(), "the transaction was rolled back before exiting: no hot journal");
    // The file alone, as a CI job would upload it.
    let alone = SqliteDb::create().await;
    std::fs::copy(&target.path, &alone.path).unwrap();
    assert_eq!(alone.rows("PRAGMA integrity_check").await, vec![vec![Some("ok".to_string())]]);
    assert_eq!(alone.count("events").await, 2, "the old rows, untouched");
    // The run's report is written on the way out, saying so.
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!((doc["status"].as_str(), doc["exit_code"].as_i64()), (Some("interrupted"), Some(code as i64)));
    assert_eq!(doc["tables"][0]["status"], "not copied", "{doc}");
    std::fs::remove_file(&report).unwrap();
}

#[tokio::test]
async fn sqlite_ctrl_c_leaves_a_whole_file() {
    sqlite_interrupt_leaves_a_whole_file("-INT", 130).await;
}

#[tokio::test]
async fn sqlite_sigterm_is_an_interrupt_too() {
    sqlite_interrupt_leaves_a_whole_file("-TERM", 143).await;
}

/// A server that accepts the connection and never answers: dbtwin gives up after the URL's
/// `connect_timeout` with one line naming the side and the host, and no password.
#[tokio::test]
async fn a_silent_server_times_out_with_one_line() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and hold every connection, saying nothing.
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let target = SqliteDb::create().await;
    for scheme in ["postgres", "mysql"] {
        let source = format!("{scheme}://app:s3cr3t-pw@127.0.0.1:{port}/app?connect_timeout=2");
        let path = config_file(&format!("source: {source}\ntarget: {}\ntables: {{}}\n", target.url));
        let started = std::time::Instant::now();
        let run = tokio::time::timeout(Duration::from_secs(30), dbtwin(&["copy", "--config", path.to_str().unwrap()]))
            .await
            .unwrap_or_else(|_| panic!("{scheme}: dbtwin still waiting after 30 s"));
        assert!(started.elapsed() < Duration::from_secs(15), "{scheme}: gave up within the timeout");
        assert_eq!(run.code, 3, "{scheme}: {}", run.stderr);
        let errors: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{scheme}: one line: {}", run.stderr);
        assert!(errors[0].contains("source") && errors[0].contains("127.0.0.1"), "{}", errors[0]);
        assert!(errors[0].contains("2 s"), "says how long it waited: {}", errors[0]);
        assert!(!run.stderr.contains("s3cr3t"), "{}", run.stderr);
    }
    held.abort();
}

/// Killed while the target merges an upsert, dbtwin leaves no statement running there: the
/// server notices the lost client within a second and rolls back, instead of finishing a merge
/// nobody waits for while it holds the table's lock.
#[tokio::test]
async fn pg_killed_merge_stops_on_the_server() {
    let (source, target) = (PgDb::create().await, PgDb::create().await);
    let table = "CREATE TABLE accounts (id int PRIMARY KEY, balance int, note text);";
    let rows = "INSERT INTO accounts SELECT g, g % 1000, repeat('n', 80) FROM generate_series(1, 1500000) g;";
    source.exec(&format!("{table} {rows} UPDATE accounts SET balance = balance + 1;")).await;
    // A full target: the upsert goes through the staging table and one long merge.
    target.exec(&format!("{table} {rows}")).await;
    let path = config_file(&format!("source: {}\ntarget: {}\ntables: {{}}\n", source.url, target.url));
    // A run whose target session was lost before its merge began (seen once in the fresh-clone
    // CI, cause not yet known: the server's log went with the machine) is not the case under
    // test; it rolled back, so the target is as before for another. Its stderr is kept.
    let mut tries = 0;
    let mut child = loop {
        tries += 1;
        let mut child = spawn_copy(&path, &[]);
        match wait_for_statement(&target, "INSERT INTO%", &mut child).await {
            Ok(()) => break child,
            Err(why) if tries < 3 && why.contains("connection to the server was lost") => {
                eprintln!("run {tries} lost its target session before the merge, trying again: {why}");
            }
            Err(why) => panic!("saw the merge running: {why}"),
        }
    };
    child.kill().await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let running = "SELECT count(*)::text FROM pg_stat_activity WHERE application_name = 'dbtwin' \
                   AND datname = current_database() AND state = 'active'";
    assert_eq!(target.rows(running).await[0][0].as_deref(), Some("0"), "no dbtwin statement left running");
    assert_eq!(target.rows("SELECT sum(balance)::text FROM accounts").await[0][0].as_deref(), Some("749250000"));
}

/// A session the server ends mid-copy (a restart, an administrator, a dropped link) fails its
/// table with one line that says the connection was lost and on which side, not the driver's
/// socket internals; the twin keeps its old rows.
#[tokio::test]
async fn pg_lost_connections_are_named_plainly() {
    let (source, target) = (PgDb::create().await, PgDb::create().await);
    let table = "CREATE TABLE t (id int PRIMARY KEY, v text);";
    source.exec(&format!("{table} INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 1500000) g;")).await;
    target.exec(&format!("{table} INSERT INTO t VALUES (1, 'old');")).await;
    let path = config_file(&format!("source: {}\ntarget: {}\ntables: {{}}\n", source.url, target.url));
    for (side, db) in [("target", &target), ("source", &source)] {
        // The COPY may end between being seen and being terminated: then that run is not the
        // case under test, and the old rows go back for another.
        let mut cut = None;
        for _ in 0..3 {
            let mut child = spawn_copy(&path, &[]);
            if let Err(why) = wait_for_statement(db, "COPY%", &mut child).await {
                panic!("{side}: saw the copy running: {why}");
            }
            let terminated = db
                .rows(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dbtwin'
                     AND datname = current_database() AND query LIKE 'COPY%' AND pg_terminate_backend(pid)",
                )
                .await;
            let out = child.wait_with_output().await.unwrap();
            if terminated[0][0].as_deref() != Some("0") {
                cut = Some(out);
                break;
            }
            target.exec("DELETE FROM t; INSERT INTO t VALUES (1, 'old');").await;
        }
        let out = cut.unwrap_or_else(|| panic!("{side}: the copy ended before it could be cut, three times"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        let error = stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_default();
        // Which side's loss the line names is racy when both connections end (see the issue
        // note): it names one side, in words.
        let named = error.contains("target:") || error.contains("source:");
        assert!(named && error.contains("connection to the server was lost"), "{side}: {error}");
        // Not in the error line, nor in any line the driver's pool logs as it drops the socket.
        for internal in ["os error", "expected to read", "Broken pipe", "communicating"] {
            assert!(!stderr.contains(internal), "{side}: no driver internals ({internal}): {stderr}");
        }
        assert_eq!(target.rows("SELECT v FROM t").await, vec![vec![Some("old".to_string())]]);
    }
}

/// A target table another session holds: the copy says after a few seconds what it waits for,
/// waits at most `--lock-wait` seconds, then fails naming the table and who holds it, instead
/// of waiting forever in silence.
#[tokio::test]
async fn pg_locked_target_table_fails_naming_the_holder() {
    let (source, target) = (PgDb::create().await, PgDb::create().await);
    let table = "CREATE TABLE t (id int PRIMARY KEY, v text);";
    source.exec(&format!("{table} INSERT INTO t SELECT g, 'x' FROM generate_series(1, 100) g;")).await;
    target.exec(table).await;
    // Another application holds the table in a transaction it does not end.
    let mut holder = target.conn().await;
    sqlx::raw_sql("SET application_name = 'report-job'; BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE;")
        .execute(&mut holder)
        .await
        .unwrap();
    let stderr = fails_on_the_lock(&source.url, &target.url).await;
    let [note, error] = lock_lines(&stderr);
    assert!(note.contains("public.t") && note.contains("report-job"), "names the table and the holder: {note}");
    assert!(error.contains("public.t") && error.contains("report-job"), "names the table and the holder: {error}");
    drop(holder);
}

/// The same on MariaDB, where the holder is a session with an open transaction that has
/// locked a row of the table.
#[tokio::test]
async fn mariadb_locked_target_table_fails_naming_the_holder() {
    let (source, target) = (MyDb::create().await, MyDb::create().await);
    let table = "CREATE TABLE t (id int PRIMARY KEY, v text) ENGINE=InnoDB;";
    source.exec(&format!("{table} INSERT INTO t VALUES (1, 'x'), (2, 'y');")).await;
    target.exec(&format!("{table} INSERT INTO t VALUES (1, 'old');")).await;
    let mut holder = target.conn().await;
    sqlx::raw_sql("START TRANSACTION; UPDATE t SET v = 'held' WHERE id = 1;").execute(&mut holder).await.unwrap();
    let (id,): (u64,) = sqlx::query_as("SELECT CONNECTION_ID()").fetch_one(&mut holder).await.unwrap();
    let stderr = fails_on_the_lock(&source.url, &target.url).await;
    let [note, error] = lock_lines(&stderr);
    let who = format!("connection {id} ");
    assert!(note.contains(".t") && note.contains(&who), "names the table and the holder: {note}");
    assert!(error.contains(".t") && error.contains(&who), "names the table and the holder: {error}");
    drop(holder);
    assert_eq!(target.count("t").await, 1, "the old row stays");
}

/// Runs a replace that must wait for a lock: it fails within its 6 s `--lock-wait`.
async fn fails_on_the_lock(source: &str, target: &str) -> String {
    let path = config_file(&format!("source: {source}\ntarget: {target}\ntables:\n  t: {{ mode: replace }}\n"));
    let started = std::time::Instant::now();
    let run = tokio::time::timeout(
        Duration::from_secs(60),
        dbtwin(&["copy", "--config", path.to_str().unwrap(), "--lock-wait", "6"]),
    )
    .await
    .expect("dbtwin gave up waiting for the lock");
    assert!(started.elapsed() < Duration::from_secs(30), "within the lock wait");
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.stderr
}

/// The note logged while waiting for a lock, and the error line.
fn lock_lines(stderr: &str) -> [&str; 2] {
    let note = stderr.lines().find(|l| l.contains("waiting for a lock")).unwrap_or_default();
    let error = stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_default();
    assert!(!note.is_empty() && note.contains("--lock-wait"), "a note while waiting: {stderr}");
    [note, error]
}

/// With the default `--jobs`, every table of a MariaDB source is read from one snapshot: under a
/// writer that moves amounts between two tables, the twin's total is the source's, every run.
#[tokio::test]
async fn mariadb_tables_are_read_from_one_snapshot_under_a_writer() {
    let source = MyDb::create().await;
    let summary = transfers_keep_their_total(&source, &source.url).await;
    assert!(summary.contains("held commits off, all at binlog position"), "the summary says how: {summary}");
}

/// A source user without RELOAD may take no lock that holds commits off: the sessions'
/// snapshots are opened again until the binlog says they began at the same point.
#[tokio::test]
async fn mariadb_snapshots_agree_by_binlog_position_without_reload() {
    let source = MyDb::create().await;
    let user = format!("dbtwin_noreload_{}", std::process::id());
    let _ = source.try_exec(&format!("DROP USER IF EXISTS '{user}'@'%'")).await;
    source
        .exec(&format!(
            "CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'; GRANT SELECT, SHOW VIEW, TRIGGER ON `{}`.* TO '{user}'@'%';",
            source.name
        ))
        .await;
    let (_, rest) = source.url.split_once('@').unwrap();
    let summary = transfers_keep_their_total(&source, &format!("mysql://{user}:pw@{rest}")).await;
    assert!(
        summary.contains("checked to begin at the same binlog position") || summary.contains("sessions: the others'"),
        "the summary says how: {summary}"
    );
}

/// Five copies of `source` (read through `source_url`) under a writer that moves amounts
/// between two tables: each twin's total is the source's. Returns the last run's summary line
/// on the snapshot.
async fn transfers_keep_their_total(source: &MyDb, source_url: &str) -> String {
    let schema = "CREATE TABLE checking (id int PRIMARY KEY, balance int) ENGINE=InnoDB;
                  CREATE TABLE savings (id int PRIMARY KEY, balance int) ENGINE=InnoDB;";
    let rows = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) SELECT i, 100 FROM n";
    source.exec(&format!("{schema} INSERT INTO checking {rows}; INSERT INTO savings {rows};")).await;
    let mut summary = String::new();
    for round in 1..=5 {
        let target = MyDb::create().await;
        target.exec(schema).await;
        let path = config_file(&format!("source: {source_url}\ntarget: {}\ntables: {{}}\n", target.url));
        let done = std::cell::Cell::new(false);
        let run = async {
            // Let the writer get going before the snapshots are taken.
            tokio::time::sleep(Duration::from_millis(100)).await;
            let run = dbtwin(&["copy", "--config", path.to_str().unwrap()]).await;
            done.set(true);
            run
        };
        let transfers = async {
            let mut c = source.conn().await;
            let mut n = 0u32;
            while !done.get() {
                let id = 1 + n % 2000;
                let sql = format!(
                    "START TRANSACTION; UPDATE checking SET balance = balance - 1 WHERE id = {id};
                     UPDATE savings SET balance = balance + 1 WHERE id = {id}; COMMIT;"
                );
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut c).await.expect("transfer");
                n += 1;
            }
            n
        };
        let (run, moved) = tokio::join!(run, transfers);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let total =
            target.rows("SELECT (SELECT sum(balance) FROM checking) + (SELECT sum(balance) FROM savings)").await;
        assert_eq!(total[0][0].as_deref(), Some("400000"), "round {round}: one snapshot ({moved} transfers ran)");
        summary = run.stdout.lines().find(|l| l.contains("snapshot")).unwrap_or_default().to_string();
        assert!(summary.contains("every table was read from one snapshot"), "round {round}: {}", run.stdout);
    }
    summary
}

/// `dbtwin copy --config config` with `DBTWIN_TEST_SECRET_PW` set to `secret`, the way a
/// secret store hands a password over.
async fn copy_with_secret(config: &std::path::Path, secret: &str) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_dbtwin"))
        .args(["copy", "--progress=none", "--config", config.to_str().unwrap()])
        .env("DBTWIN_TEST_SECRET_PW", secret)
        .env_remove("DBTWIN_SOURCE")
        .env_remove("DBTWIN_TARGET")
        .kill_on_drop(true)
        .output()
        .await
        .expect("run dbtwin")
}

/// A password with `@`, `:`, `/` and `%` from the environment, as the README recommends, reaches
/// the server as it is; a mistyped one fails with one line that shows no part of it.
#[tokio::test]
async fn passwords_with_url_characters_come_through_variables() {
    let (source, target) = (PgDb::create().await, SqliteDb::create().await);
    source.exec("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2);").await;
    target.exec("CREATE TABLE t (id INTEGER PRIMARY KEY);").await;
    let role = format!("dbtwin_pw_{}", std::process::id());
    let password = "p@ss:w/rd%20#?x";
    source
        .exec(&format!(
            "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN PASSWORD '{password}';
             GRANT SELECT ON t TO {role};"
        ))
        .await;
    let rest = source.url.split_once('@').unwrap().1;
    let config = config_file(&format!(
        "source: postgres://{role}:${{DBTWIN_TEST_SECRET_PW}}@{rest}\ntarget: {}\ntables: {{}}\n",
        target.url
    ));
    let ok = copy_with_secret(&config, password).await;
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(target.count("t").await, 2);
    let wrong = copy_with_secret(&config, "p@ss:w/rd%20#?y").await;
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error:")).count(), 1, "{stderr}");
    for fragment in ["p@ss", "w/rd", "rd%20", "#?y", "%20%23"] {
        assert!(!stderr.contains(fragment), "no fragment of the password ({fragment}): {stderr}");
    }
    source.exec(&format!("DROP OWNED BY {role}; DROP ROLE {role};")).await;
}

/// A password from a secret store goes in `password:` or `password_file:` next to a URL that
/// has none, as it is (no percent-encoding): it connects on both servers, and a wrong one, or a
/// URL that already has a password, fails with one line that shows no part of it.
#[tokio::test]
async fn passwords_from_config_keys_and_files() {
    let (source, target) = (PgDb::create().await, MyDb::create().await);
    source.exec("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2);").await;
    target.exec("CREATE TABLE t (id int PRIMARY KEY);").await;
    let user = format!("dbtwin_pwk_{}", std::process::id());
    let (pg_pw, my_pw) = ("p@ss:w/rd%20#?x 'q'", "m@ss:w/rd%21#?z");
    source
        .exec(&format!(
            "DROP ROLE IF EXISTS {user}; CREATE ROLE {user} LOGIN PASSWORD 'p@ss:w/rd%20#?x ''q''';
             GRANT SELECT ON t TO {user};"
        ))
        .await;
    let _ = target.try_exec(&format!("DROP USER IF EXISTS '{user}'@'%'")).await;
    target
        .exec(&format!(
            "CREATE USER '{user}'@'%' IDENTIFIED BY '{my_pw}'; GRANT ALL ON `{}`.* TO '{user}'@'%';",
            target.name
        ))
        .await;
    let pw_file = std::env::temp_dir().join(format!("dbtwin_pw_{}.txt", std::process::id()));
    let host = |url: &str| url.split_once('@').unwrap().1.to_string();
    let config = |pw_file_body: &str, source_url: &str| {
        std::fs::write(&pw_file, pw_file_body).unwrap();
        config_file(&format!(
            "source:\n  url: {source_url}\n  user: {user}\n  password: ${{DBTWIN_TEST_SECRET_PW}}\n\
             target:\n  url: mysql://{}\n  user: {user}\n  password_file: {}\ntables: {{}}\n",
            host(&target.url),
            pw_file.display()
        ))
    };
    let run = |config: std::path::PathBuf| async move { copy_with_secret(&config, pg_pw).await };
    let source_url = format!("postgres://{}", host(&source.url));
    // A file as secret mounts write it: one trailing newline, which is not part of the password.
    let ok = run(config(&format!("{my_pw}\n"), &source_url)).await;
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(target.count("t").await, 2);

    let fragments = ["p@ss", "m@ss", "w/rd", "rd%2", "#?", "'q'"];
    let one_line_without_fragments = |out: &std::process::Output, code: i32| {
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        assert_eq!(stderr.lines().filter(|l| l.starts_with("error:")).count(), 1, "{stderr}");
        for fragment in fragments {
            assert!(!stderr.contains(fragment), "no fragment of a password ({fragment}): {stderr}");
        }
        stderr
    };
    let wrong = run(config("m@ss:w/rd%21#?y\n", &source_url)).await;
    let stderr = one_line_without_fragments(&wrong, 3);
    assert!(stderr.contains("target"), "names the side: {stderr}");
    let both = run(config(my_pw, &format!("postgres://{user}:other@{}", host(&source.url)))).await;
    let stderr = one_line_without_fragments(&both, 2);
    assert!(stderr.contains("source") && stderr.contains("password"), "{stderr}");
    let _ = std::fs::remove_file(&pw_file);
    source.exec(&format!("DROP OWNED BY {user}; DROP ROLE {user};")).await;
    target.exec(&format!("DROP USER '{user}'@'%'")).await;
}

/// SQLite text holds what it was given: bytes that are not UTF-8, and NUL bytes. Between SQLite
/// files they are copied as they are (still text); PostgreSQL can hold neither and MySQL text
/// no invalid UTF-8, so there the copy fails naming the table, column and row, before commit.
#[tokio::test]
async fn sqlite_text_that_other_engines_cannot_hold_is_named() {
    const ROWS: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
        INSERT INTO t VALUES (1, 'ok'), (2, 'ok'), (3, CAST(X'61FF62' AS TEXT)), (4, 'a' || char(0) || 'b');";
    let source = SqliteDb::create().await;
    source.exec(ROWS).await;
    let twin = SqliteDb::create().await;
    twin.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);").await;
    let run = crate::support::copy(&source.url, &twin.url, "tables: {}\n", &[]).await;
    crate::support::assert_ok(&run);
    let query = "SELECT id, typeof(v), hex(v) FROM t ORDER BY id";
    assert_eq!(twin.rows(query).await, source.rows(query).await, "bytes and storage class as they were");
    assert_eq!(twin.rows("SELECT hex(v) FROM t WHERE id = 3").await[0][0].as_deref(), Some("61FF62"));

    let pg = PgDb::create().await;
    let my = MyDb::create().await;
    for (what, url, bad) in [("PostgreSQL", &pg.url, 3), ("PostgreSQL", &pg.url, 4), ("MariaDB", &my.url, 3)] {
        let only = SqliteDb::create().await;
        only.exec(ROWS).await;
        only.exec(&format!("DELETE FROM t WHERE id > {bad} OR id IN (3, 4) AND id <> {bad}")).await;
        let run = crate::support::copy(&only.url, url, "tables: {}\n", &["--create-tables"]).await;
        assert_eq!(run.code, 1, "{what}, row {bad}: {}", run.stderr);
        let error = run.stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_default();
        let why = if bad == 3 { "not valid UTF-8" } else { "NUL" };
        assert!(
            error.contains("column v") && error.contains("row 3") && error.contains(why),
            "{what}: names the column, the row and why: {error}"
        );
    }
    assert_eq!(pg.count("t").await, 0, "nothing committed");
}

/// A value larger than the MySQL/MariaDB target's `max_allowed_packet` (64 MiB on the test
/// server) fails its table naming the column and the row, before it is sent.
#[tokio::test]
async fn mariadb_value_over_max_allowed_packet_names_column_and_row() {
    let (source, target) = (PgDb::create().await, MyDb::create().await);
    source
        .exec(
            "CREATE TABLE docs (id int PRIMARY KEY, payload text);
               INSERT INTO docs VALUES (1, 'small'), (2, repeat('x', 65 * 1024 * 1024 + 10)), (3, 'small');",
        )
        .await;
    target.exec("CREATE TABLE docs (id int PRIMARY KEY, payload longtext);").await;
    let path = config_file(&format!("source: {}\ntarget: {}\ntables: {{}}\n", source.url, target.url));
    let run = dbtwin(&["copy", "--config", path.to_str().unwrap()]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let error = run.stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_default();
    assert!(
        error.contains("column payload") && error.contains("row 2") && error.contains("max_allowed_packet"),
        "names the column, the row and the limit: {error}"
    );
    assert_eq!(target.count("docs").await, 0, "the table rolled back");
}

/// A source or target file that is not an SQLite database: exit 3 and one line naming the file.
#[tokio::test]
async fn a_file_that_is_not_sqlite_is_named() {
    for not_sqlite in ["source", "target"] {
        let (source, target) = (SqliteDb::create().await, SqliteDb::create().await);
        source.exec("CREATE TABLE t (id INTEGER PRIMARY KEY);").await;
        let bad = if not_sqlite == "source" { &source } else { &target };
        std::fs::write(&bad.path, "id,email\n1,ana@corp.test\n".repeat(100)).unwrap();
        let path = config_file(&format!("source: {}\ntarget: {}\ntables: {{}}\n", source.url, target.url));
        let run = dbtwin(&["copy", "--config", path.to_str().unwrap()]).await;
        assert_eq!(run.code, 3, "{not_sqlite}: {}", run.stderr);
        let errors: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{}", run.stderr);
        let file = bad.path.display().to_string();
        assert!(errors[0].contains(&file) && errors[0].contains("not an SQLite database"), "{}", errors[0]);
        assert!(errors[0].contains(not_sqlite), "names the side: {}", errors[0]);
    }
}

/// More jobs than the server lets the user open sessions: the run copies as many tables at a
/// time as it may, at once and saying why, rather than waiting a minute for a pool that never
/// fills and failing.
#[tokio::test]
async fn pg_jobs_beyond_the_connection_limit_copy_fewer_at_a_time() {
    let (source, target) = (SqliteDb::create().await, PgDb::create().await);
    let role = format!("lim_{}", std::process::id());
    let mut schema = String::new();
    for i in 0..6 {
        source.exec(&format!("CREATE TABLE t{i} (id INTEGER PRIMARY KEY); INSERT INTO t{i} VALUES (1), (2);")).await;
        schema.push_str(&format!("CREATE TABLE t{i} (id int PRIMARY KEY); GRANT ALL ON t{i} TO {role};"));
    }
    let _ = target.try_exec(&format!("DROP ROLE IF EXISTS {role}")).await;
    target.exec(&format!("CREATE ROLE {role} LOGIN PASSWORD 'pw' CONNECTION LIMIT 3; {schema}")).await;
    // postgres://user:pw@host:port/db → the same server and database as the limited role.
    let (_, rest) = target.url.split_once('@').unwrap();
    let limited = format!("postgres://{role}:pw@{rest}");
    let started = std::time::Instant::now();
    let run = crate::support::copy(source.url(), &limited, "tables: {}\n", &["--jobs", "6"]).await;
    let took = started.elapsed();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(run.stdout.contains("too many connections") && run.stdout.contains("3 at a time"), "{}", run.stdout);
    for i in 0..6 {
        assert_eq!(target.count(&format!("t{i}")).await, 2);
    }
    target.exec(&format!("REASSIGN OWNED BY {role} TO CURRENT_USER; DROP OWNED BY {role}; DROP ROLE {role}")).await;
}

/// The same on a MariaDB source (max_user_connections), whose snapshot coordinator takes one
/// of the sessions the user may have.
#[tokio::test]
async fn mariadb_jobs_beyond_the_connection_limit_copy_fewer_at_a_time() {
    let (source, target) = (MyDb::create().await, SqliteDb::create().await);
    let user = format!("lim_{}", std::process::id());
    for i in 0..6 {
        source.exec(&format!("CREATE TABLE t{i} (id int PRIMARY KEY); INSERT INTO t{i} VALUES (1), (2);")).await;
        target.exec(&format!("CREATE TABLE t{i} (id INTEGER PRIMARY KEY);")).await;
    }
    let _ = source.try_exec(&format!("DROP USER IF EXISTS '{user}'@'%'")).await;
    source
        .exec(&format!(
            "CREATE USER '{user}'@'%' IDENTIFIED BY 'pw' WITH MAX_USER_CONNECTIONS 3;
             GRANT ALL ON `{}`.* TO '{user}'@'%';",
            source.name
        ))
        .await;
    let (_, rest) = source.url.split_once('@').unwrap();
    let limited = format!("mysql://{user}:pw@{rest}");
    let started = std::time::Instant::now();
    let run = crate::support::copy(&limited, target.url(), "tables: {}\n", &["--jobs", "6"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(run.stdout.contains("max_user_connections") && run.stdout.contains("2 at a time"), "{}", run.stdout);
    for i in 0..6 {
        assert_eq!(target.count(&format!("t{i}")).await, 2);
    }
    source.exec(&format!("DROP USER '{user}'@'%'")).await;
}
