//! Columns derived from other columns of the row (search text, a `tsvector`, a denormalised
//! name) keep the original words of the columns masked beside them. `recompute:` has the target
//! compute them again from the masked row after the load.

use crate::support::{TestDb, assert_ok, config_file, copy, dbtwin};

const POSTS: &str =
    "CREATE TABLE posts (id int PRIMARY KEY, title varchar(200), body varchar(200), search varchar(500));";

/// The search column of the twin is the target's expression over the masked title, on every
/// pair; no original title word is left in any column of the table.
async fn recompute_scenario<S: TestDb, T: TestDb>() {
    let (source, target) = (S::create().await, T::create().await);
    source
        .exec(&format!(
            "{POSTS} INSERT INTO posts VALUES (1, 'Alice Secretname', 'hello world', 'alice secretname hello world'),
                                              (2, 'Bob Hiddenword', NULL, 'bob hiddenword'),
                                              (3, NULL, 'only body', 'only body');"
        ))
        .await;
    target.exec(POSTS).await;
    let rules = "tables:\n  posts:\n    columns:\n      title: { kind: set, value: Masked Title }\n    \
                 recompute:\n      search: \"lower(concat_ws(' ', title, body))\"\n";
    let run = copy(source.url(), target.url(), rules, &[]).await;
    assert_ok(&run);
    let rows = target.rows("SELECT id, title, search FROM posts ORDER BY id").await;
    let search: Vec<Option<&str>> = rows.iter().map(|r| r[2].as_deref()).collect();
    assert_eq!(search, [Some("masked title hello world"), Some("masked title"), Some("only body")]);
    let text = format!("{rows:?}").to_lowercase();
    for word in ["secretname", "hiddenword", "alice", "bob"] {
        assert!(!text.contains(word), "an original word is left: {word} in {text}");
    }
    // A rerun (an upsert over the same rows) computes the same.
    assert_ok(&copy(source.url(), target.url(), rules, &[]).await);
    assert_eq!(target.rows("SELECT id, title, search FROM posts ORDER BY id").await, rows);
}

crate::on_every_engine_pair!(recompute_scenario);

/// An expression the target refuses, or a column the load cannot leave out while the rows go
/// in, is an error naming the table and column before any row moves.
async fn bad_recompute_scenario<D: TestDb>() {
    let (source, target) = (D::create().await, D::create().await);
    source.exec(&format!("{POSTS} INSERT INTO posts VALUES (1, 'a', 'b', 'a b');")).await;
    target.exec(POSTS).await;
    let rules = "tables:\n  posts:\n    recompute:\n      search: \"no_such_function(title)\"\n";
    let run = copy(source.url(), target.url(), rules, &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("posts, column search: recompute: the target refuses the expression"),
        "{}",
        run.stderr
    );
    let rules = "tables:\n  posts:\n    recompute:\n      nowhere: \"title\"\n";
    let run = copy(source.url(), target.url(), rules, &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("posts, column nowhere: recompute: not found in the target table"), "{}", run.stderr);
    assert_eq!(target.count("posts").await, 0, "nothing was written");
}

crate::on_every_engine!(bad_recompute_scenario);

/// The case: a PostgreSQL `tsvector` kept by a trigger that is off during the load.
/// Recomputed from the masked name, the twin's search vector holds no original word.
#[tokio::test]
async fn a_search_vector_is_recomputed_from_the_masked_row() {
    let (source, target) = (crate::support::PgDb::create().await, crate::support::PgDb::create().await);
    let schema = "CREATE TABLE people (id int PRIMARY KEY, name text, city text, doc tsvector);
                  CREATE FUNCTION people_doc() RETURNS trigger AS $$ BEGIN
                    NEW.doc := to_tsvector('simple', coalesce(NEW.name, '') || ' ' || coalesce(NEW.city, ''));
                    RETURN NEW; END $$ LANGUAGE plpgsql;
                  CREATE TRIGGER people_doc BEFORE INSERT OR UPDATE ON people FOR EACH ROW EXECUTE FUNCTION people_doc();";
    source.exec(&format!("{schema} INSERT INTO people (id, name, city) VALUES (1, 'Zebulon Quaxley', 'Lyon');")).await;
    target.exec(schema).await;
    let rules = "secret: s\ntables:\n  people:\n    columns:\n      name: name\n    recompute:\n      \
                 doc: \"to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(city, ''))\"\n";
    assert_ok(&copy(&source.url, &target.url, rules, &[]).await);
    let doc = target.rows("SELECT doc::text, name FROM people").await;
    let (vector, name) = (doc[0][0].clone().unwrap(), doc[0][1].clone().unwrap());
    assert!(!vector.contains("zebulon") && !vector.contains("quaxley"), "{vector}");
    assert!(vector.contains("lyon"), "the unmasked words stay: {vector}");
    let first = name.split(' ').next().unwrap().to_lowercase();
    assert!(vector.contains(&format!("'{first}'")), "built from the masked name {name}: {vector}");
}

/// The source table's trigger that sets each engine's `search` from `title` (and a timestamp
/// from the clock, which reads no column).
fn trigger_ddl(engine: &str) -> &'static str {
    match engine {
        "postgres" => {
            "CREATE FUNCTION posts_search() RETURNS trigger AS $$ BEGIN
               NEW.search := lower(NEW.full_name); NEW.stamp := now()::text; RETURN NEW; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER posts_search BEFORE INSERT OR UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION posts_search();"
        }
        "mariadb" => {
            "CREATE TRIGGER posts_search BEFORE INSERT ON posts FOR EACH ROW
               SET NEW.search = LOWER(NEW.full_name), NEW.stamp = NOW();"
        }
        _ => {
            "CREATE TRIGGER posts_search AFTER INSERT ON posts BEGIN
               UPDATE posts SET search = lower(NEW.full_name), stamp = datetime('now') WHERE id = NEW.id; END;"
        }
    }
}

/// A column a source trigger builds from a masked column is flagged by `check` (not one it
/// fills from the clock), `init` gives it a rule, and a copy with `init`'s rules leaves no
/// original word of the masked column in the table.
async fn trigger_written_scenario<D: TestDb>() {
    let (source, target) = (D::create().await, D::create().await);
    let table =
        "CREATE TABLE posts (id int PRIMARY KEY, full_name varchar(200), search varchar(200), stamp varchar(40));";
    source.exec(&format!("{table} {}", trigger_ddl(D::ENGINE))).await;
    source.exec("INSERT INTO posts (id, full_name) VALUES (1, 'Zebulon Quaxley'), (2, 'Ottoline Brisk');").await;
    target.exec(table).await;
    let config = |rules: &str| config_file(&format!("source: {}\ntarget: {}\n{rules}", source.url(), target.url()));
    let masked = config("tables:\n  posts:\n    columns:\n      full_name: name\n");
    let check = dbtwin(&["check", "--strict", "--config", masked.to_str().unwrap()]).await;
    assert_eq!(check.code, 1, "{}{}", check.stdout, check.stderr);
    let all = format!("{}{}", check.stdout, check.stderr);
    assert!(all.contains("column search: set by source trigger posts_search from full_name, masked here"), "{all}");
    assert!(!all.contains("column stamp"), "a column set from the clock is not flagged: {all}");

    let init = dbtwin(&["init", "--source", source.url()]).await;
    assert_eq!(init.code, 0, "{}", init.stderr);
    let rules = init.stdout.lines().filter(|l| !l.starts_with("source:")).collect::<Vec<_>>().join("\n");
    assert!(rules.contains("      search: null"), "{rules}");
    let generated = config(&rules);
    let strict = dbtwin(&["check", "--strict", "--config", generated.to_str().unwrap()]).await;
    assert_eq!(strict.code, 0, "{rules}\n{}", strict.stderr);
    assert_ok(&dbtwin(&["copy", "--config", generated.to_str().unwrap()]).await);
    let text =
        format!("{:?}", target.rows("SELECT id, full_name, search, stamp FROM posts ORDER BY id").await).to_lowercase();
    for word in ["zebulon", "quaxley", "ottoline", "brisk"] {
        assert!(!text.contains(word), "an original word is left: {word} in {text}");
    }
}

crate::on_every_engine!(trigger_written_scenario);
