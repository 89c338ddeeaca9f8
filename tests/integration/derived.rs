//! Columns derived from other columns of the row (search text, a `tsvector`, a denormalised
//! name) keep the original words of the columns masked beside them. `recompute:` has the target
//! compute them again from the masked row after the load.

use crate::support::{TestDb, assert_ok, copy};

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
