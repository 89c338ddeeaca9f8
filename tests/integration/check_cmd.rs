//! `dbtwin check`: the plan, unmasked personal data found by name and by sampled values, and
//! its exit codes, on every engine.

use crate::support::{TestDb, config_file, dbtwin};

async fn check_scenario<D: TestDb>() {
    let source = D::create().await;
    let rows: Vec<String> = (1..=20)
        .map(|i| format!("({i}, 'u{i}@corp.test', 'Name {i}', '+1 555 010 {i:04}', 'nothing here', {i}, 'Full {i}')"))
        .collect();
    source
        .exec(&format!(
            "CREATE TABLE users (id int PRIMARY KEY, email varchar(80), name varchar(80), contact varchar(80),
                                 notes varchar(200), score int, full_name varchar(60));
             CREATE UNIQUE INDEX users_full_name_uq ON users (full_name);
             INSERT INTO users VALUES {};",
            rows.join(", ")
        ))
        .await;
    let check = |rules: &str, strict: bool| {
        let path = config_file(&format!("source: {}\n{rules}", source.url()));
        async move {
            let mut args = vec!["check", "--config", path.to_str().unwrap()];
            if strict {
                args.push("--strict");
            }
            dbtwin(&args).await
        }
    };

    let run = check("tables:\n  users: name\n", false).await;
    assert_eq!(run.code, 0, "warnings alone do not fail without --strict: {}", run.stderr);
    assert!(run.stdout.contains("users  upsert  ~") || run.stdout.contains("users  upsert  ?"), "{}", run.stdout);
    assert!(run.stdout.contains("name: name, inferred"), "{}", run.stdout);
    assert!(
        run.stdout.contains("column email: its name looks personal; suggested rule: email"),
        "found by name: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("column contact: 20 of 20 sampled values look like phone numbers; suggested rule: phone"),
        "found by sampling: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("column notes: free text about a person; suggested rule: lorem_sentence"),
        "free text in a table of people: {}",
        run.stdout
    );
    assert!(!run.stdout.contains("column score") && !run.stdout.contains("column id"), "{}", run.stdout);

    let strict = check("tables:\n  users: name\n", true).await;
    assert_eq!(strict.code, 1, "{}", strict.stderr);
    assert!(strict.stderr.contains("4 unmasked columns look personal (--strict)"), "{}", strict.stderr);

    // On a unique column the short form picks a rule that keeps values distinct.
    let clean = check("tables:\n  users: email, name, contact, full_name, notes\n", true).await;
    assert!(clean.stdout.contains("full_name: hash, inferred"), "{}", clean.stdout);
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    assert!(clean.stdout.contains("no unmasked column looks personal"), "{}", clean.stdout);

    // init writes a config that masks all of it, valid as written.
    let init = dbtwin(&["init", "--source", source.url()]).await;
    assert_eq!(init.code, 0, "{}", init.stderr);
    assert!(init.stdout.contains("      email: email "), "{}", init.stdout);
    assert!(init.stdout.contains("      contact: phone "), "{}", init.stdout);
    assert!(init.stdout.contains("      full_name: { kind: hash, length: 32 } "), "unique: {}", init.stdout);
    assert!(init.stdout.contains("      notes: lorem_sentence "), "{}", init.stdout);
    assert!(!init.stdout.contains("id:") && !init.stdout.contains("score:"), "{}", init.stdout);

    // An explicit `keep` is a reviewed decision: it silences that column's warning.
    let kept = "tables:\n  users:\n    columns:\n      email: email\n      name: name\n      contact: keep\n      \
                full_name: { kind: hash, length: 32 }\n      notes: keep\n";
    let reviewed = check(kept, true).await;
    assert_eq!(reviewed.code, 0, "{}{}", reviewed.stdout, reviewed.stderr);
    assert!(!init.stdout.contains("dbtwin-test-pw"), "the source URL is shown redacted");
    let generated = check(&init.stdout, true).await;
    assert_eq!(generated.code, 0, "{}\n{}", init.stdout, generated.stderr);
    assert!(generated.stdout.contains("no unmasked column looks personal"), "{}", generated.stdout);

    let collide = check("tables:\n  users:\n    columns:\n      full_name: name\n", false).await;
    assert_eq!(collide.code, 2, "{}", collide.stderr);
    assert!(
        collide.stderr.contains("column full_name: is under the source's unique index users_full_name_uq: mask name"),
        "{}",
        collide.stderr
    );

    let wrong = check("tables:\n  users: emial\n", true).await;
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    assert!(wrong.stderr.contains("column emial: not found in the source table"), "{}", wrong.stderr);
}

async fn dry_run_scenario<D: TestDb>() {
    let (source, target) = (D::create().await, D::create().await);
    let table = "CREATE TABLE users (id int PRIMARY KEY, email varchar(80), notes varchar(80));";
    let filled = format!("{table} INSERT INTO users VALUES (1, 'u1@corp.test', 'a'), (2, 'u2@corp.test', NULL);");
    tokio::join!(source.exec(&filled), target.exec(table));
    let run =
        crate::support::copy(source.url(), target.url(), "secret: s\ntables:\n  users: email\n", &["--dry-run"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("plan (tables in load order):"), "{}", run.stdout);
    // Not a terminal (a cron mail, a CI log): the originals are only their length.
    assert!(!run.stdout.contains("corp.test"), "no original value in a log: {}", run.stdout);
    let line = run.stdout.lines().find(|l| l.contains("email: (12 characters) → ")).expect("a shape → after line");
    assert!(line.ends_with("@example.com"), "{line}");
    assert!(run.stdout.contains("dry run: nothing was written"), "{}", run.stdout);
    let rules = "secret: s\ntables:\n  users: email\n";
    let shown = crate::support::copy(source.url(), target.url(), rules, &["--dry-run", "--show-originals"]).await;
    let line = shown.stdout.lines().find(|l| l.contains("email: u1@corp.test → ")).expect("a before → after line");
    assert!(line.ends_with("@example.com"), "{line}");
    assert_eq!(target.count("users").await, 0, "a dry run writes nothing");
}

crate::on_every_engine!(check_scenario, dry_run_scenario);
