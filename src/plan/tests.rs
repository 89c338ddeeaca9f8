use super::*;
use crate::config;
use crate::data::batch::Batch;
use crate::schema::{Column, FkAction, ForeignKey, Index, TableName, TypeClass};

fn col(name: &str, ty: &str, class: TypeClass) -> Column {
    Column::new(name, ty, class)
}

fn schema() -> Schema {
    let text = TypeClass::Text;
    let users = Table {
        name: TableName::new("public", "users"),
        columns: vec![
            Column { auto_increment: true, nullable: false, ..col("id", "integer", TypeClass::Int { bytes: 4 }) },
            Column { max_chars: Some(60), ..col("email", "character varying(60)", text) },
            col("name", "text", text),
            col("active", "boolean", TypeClass::Bool),
            Column { generated: true, ..col("upper_name", "text", text) },
        ],
        primary_key: vec![0],
        unique_keys: vec![Index::plain("users_email_key", vec![1])],
        indexes: vec![],
        foreign_keys: vec![],
        row_estimate: Some(10),
        partitioned: false,
        readable: true,
        checks: Vec::new(),
        trigger_writes: Vec::new(),
    };
    let orders = Table {
        name: TableName::new("public", "orders"),
        columns: vec![col("user_id", "integer", TypeClass::Int { bytes: 4 }), col("note", "text", text)],
        primary_key: vec![],
        unique_keys: vec![],
        indexes: vec![],
        foreign_keys: vec![ForeignKey {
            name: "fk".into(),
            columns: vec![0],
            references: TableName::new("public", "users"),
            referenced_columns: vec!["id".into()],
            on_delete: FkAction::NoAction,
            on_update: FkAction::NoAction,
        }],
        row_estimate: Some(1000),
        partitioned: false,
        readable: true,
        checks: Vec::new(),
        trigger_writes: Vec::new(),
    };
    Schema { tables: vec![orders, users], elsewhere: vec![TableName::new("sales", "invoices")] }
}

fn options(checks_off: bool) -> PlanOptions {
    let pg = crate::engine::postgres::forms();
    PlanOptions {
        source: pg,
        target: pg,
        same_engine: true,
        checks_off,
        limits: BatchLimits { rows: 10, bytes: 100 },
        alone: false,
    }
}

fn plan(yaml: &str, checks_off: bool) -> Result<Plan, PlanError> {
    let config = config::parse(yaml, "m.yaml").unwrap();
    let s = schema();
    resolve(&config, &s, &s, options(checks_off))
}

#[test]
fn short_form_infers_kinds_and_defaults_modes() {
    let p = plan("tables:\n  users: email,name\n", true).unwrap();
    let users = p.tables.iter().find(|t| t.name().name == "users").unwrap();
    assert_eq!(users.write.mode, Mode::Upsert);
    assert_eq!(users.read.columns, ["id", "email", "name", "active"], "generated column skipped");
    let kinds: Vec<_> = users.masks.columns().iter().map(|m| (m.index, m.describe(), m.inferred)).collect();
    assert_eq!(kinds, [(1, "email".to_string(), true), (2, "name".to_string(), true)]);
    assert_eq!(users.write.auto_increment, ["id"]);
    assert!(users.write.referenced);
    let orders = p.tables.iter().find(|t| t.name().name == "orders").unwrap();
    assert_eq!(orders.write.mode, Mode::Replace, "no primary key");
    assert_eq!(p.waves, vec![vec![0, 1]], "one wave, biggest first");
}

#[test]
fn mirror_by_default_replaces_a_keyless_table_and_says_so() {
    let p = plan("mode: mirror\ntables: {}\n", true).unwrap();
    let users = p.tables.iter().find(|t| t.name().name == "users").unwrap();
    assert_eq!((users.write.mode, users.note.as_deref()), (Mode::Mirror, None));
    let orders = p.tables.iter().find(|t| t.name().name == "orders").unwrap();
    assert_eq!(orders.write.mode, Mode::Replace);
    assert!(orders.note.as_deref().unwrap().starts_with("table public.orders: mode mirror finds deleted rows by key"));
}

#[test]
fn mirror_refuses_a_target_keyed_otherwise() {
    let config = config::parse("tables:\n  users: { mode: mirror }\n", "m.yaml").unwrap();
    let source = schema();
    let mut target = schema();
    let users = target.tables.iter_mut().find(|t| t.name.name == "users").unwrap();
    users.primary_key = vec![1];
    let err = resolve(&config, &source, &target, options(true)).unwrap_err().to_string();
    assert!(
        err.contains("table public.users: mode mirror finds deleted rows by the target's primary key (email), which is not the source's (id)"),
        "{err}"
    );
}

#[test]
fn fk_checks_on_loads_parents_first() {
    let p = plan("tables: {}\n", false).unwrap();
    let names: Vec<Vec<&str>> =
        p.waves.iter().map(|w| w.iter().map(|&i| p.tables[i].name().name.as_str()).collect()).collect();
    assert_eq!(names, vec![vec!["users"], vec!["orders"]]);
}

#[test]
fn every_problem_is_reported_at_once_with_its_table_and_column() {
    let err = plan(
        "exclude: [nope]\ntables:\n  users:\n    mode: replace\n    columns:\n      emial: email\n      active: email\n      upper_name: hash\n  ghosts: name\n  orders:\n    mode: upsert\n",
        true,
    )
    .unwrap_err();
    assert_eq!(
        err.problems,
        [
            "exclude: table nope: not found in the source",
            "table ghosts: not found in the source",
            "table public.orders: mode upsert needs a primary key and the target table has none",
            "table public.users, column active: mask email cannot produce a value for a boolean column (boolean)",
            "table public.users, column emial: not found in the source table",
            "table public.users, column upper_name: is generated, so it is not copied and cannot be masked",
        ]
    );
}

#[test]
fn target_mismatches_are_named() {
    let config = config::parse("tables: {}\n", "m.yaml").unwrap();
    let source = schema();
    let mut target = schema();
    target.tables[1].columns[2].declared_type = "character varying(5)".into();
    target.tables[0].columns.pop();
    let err = resolve(&config, &source, &target, options(true)).unwrap_err();
    assert_eq!(
        err.problems,
        [
            "table public.orders, column note: does not exist in the target",
            "table public.users, column name: type differs (source text, target character varying(5))",
        ]
    );
    let err = resolve(&config, &source, &Schema::default(), options(true)).unwrap_err();
    assert!(err.problems.contains(&"table public.users: does not exist in the target".to_string()));
}

#[test]
fn target_tables_are_found_by_name_in_another_database() {
    let config = config::parse("tables: {}\n", "m.yaml").unwrap();
    let source = schema();
    let mut target = schema();
    for t in &mut target.tables {
        t.name.schema = "staging".into();
    }
    for t in &mut target.tables[0].foreign_keys {
        t.references.schema = "staging".into();
    }
    let p = resolve(&config, &source, &target, options(true)).unwrap();
    let users = p.tables.iter().find(|t| t.name().name == "users").unwrap();
    assert_eq!(users.write.table.name, TableName::new("staging", "users"));
    assert!(users.write.referenced);
}

#[test]
fn a_target_only_column_that_cannot_be_omitted_is_an_error() {
    let config = config::parse("tables: {}\n", "m.yaml").unwrap();
    let source = schema();
    let mut target = schema();
    let extra =
        |name: &str, nullable, has_default| Column { nullable, has_default, ..col(name, "text", TypeClass::Text) };
    target.tables[1].columns.push(extra("required", false, false));
    target.tables[1].columns.push(extra("optional", true, false));
    target.tables[1].columns.push(extra("defaulted", false, true));
    let err = resolve(&config, &source, &target, options(true)).unwrap_err();
    assert_eq!(
        err.problems,
        ["table public.users, column required: exists only in the target, is NOT NULL and has no default"]
    );
}

#[test]
fn qualified_names_and_exclusions() {
    let p = plan("exclude: [orders]\ntables:\n  public.users:\n    columns:\n      name: keep\n", false).unwrap();
    assert_eq!(p.tables.len(), 1);
    assert!(p.tables[0].masks.is_empty(), "keep masks nothing");
}

fn masked_rows(yaml: &str, rows: &[[Option<&str>; 4]]) -> Vec<Vec<Option<String>>> {
    let p = plan(yaml, true).unwrap_or_else(|e| panic!("{e}"));
    let users = p.tables.iter().find(|t| t.name().name == "users").unwrap();
    let mut input = Batch::new(4, rows.len(), 256);
    for row in rows {
        for cell in row {
            input.push_cell(cell.map(str::as_bytes));
        }
    }
    let mut out = Batch::new(4, rows.len(), 256);
    users.masks.apply(&input, &crate::mask::Keyring::from_secret("s"), &mut out, 0).unwrap();
    (0..out.rows()).map(|r| out.row(r).map(|c| c.map(|v| String::from_utf8(v.to_vec()).unwrap())).collect()).collect()
}

#[test]
fn conditions_pick_the_rule_per_row_and_templates_read_masked_values() {
    let rows = masked_rows(
        "tables:\n  users:\n    columns:\n      name:\n        - { kind: keep, when: \"active = true\" }\n        - { kind: template, template: '{email|upper} ({name|original|initial})' }\n      email: email\n",
        &[
            [Some("1"), Some("ana@corp.test"), Some("Ana"), Some("t")],
            [Some("2"), Some("bo@corp.test"), Some("Bo"), Some("f")],
            [Some("3"), None, Some("Cy"), None],
        ],
    );
    let cell = |r: usize, c: usize| rows[r][c].clone().unwrap_or_default();
    assert_eq!(cell(0, 2), "Ana", "active: kept");
    assert!(cell(0, 1).ends_with("@example.com") && cell(1, 1).ends_with("@example.com"));
    assert_eq!(cell(1, 2), format!("{} (B)", cell(1, 1).to_uppercase()), "the template sees the masked e-mail");
    assert_eq!(rows[2][1], None, "NULL stays NULL");
    assert_eq!(cell(2, 2), " (C)", "a NULL condition is false; a NULL field renders empty");
    assert_eq!(rows[0][0].as_deref(), Some("1"));
}

#[test]
fn unique_keys_reject_rules_that_can_collide() {
    let err = plan("tables:\n  users:\n    columns:\n      email: { kind: mask, keep_last: 3 }\n      id: { kind: random_int, min: 1, max: 5 }\n", true).unwrap_err();
    assert_eq!(
        err.problems,
        [
            "table public.users, column email: is under the target's unique index users_email_key: mask mask can give \
             two rows the same value; use email, username, uuid, ipv6 or a hash with a length",
            "table public.users, column id: is under the target's primary key: mask random_int can give two rows the \
             same value; use email, username, uuid, ipv6 or a hash with a length",
        ]
    );
    // The short form picks a rule that keeps the column unique.
    let p = plan("tables:\n  users: email\n", true).unwrap();
    let users = p.tables.iter().find(|t| t.name().name == "users").unwrap();
    assert_eq!(users.masks.columns()[0].describe(), "email");
}

#[test]
fn rules_naming_other_columns_are_checked() {
    let err = plan(
        "tables:\n  users:\n    columns:\n      name: { kind: template, template: '{nope}' }\n      active: { kind: keep, when: \"upper_name = 'X'\" }\n      email: { kind: template, template: '{name}' }\n",
        true,
    )
    .unwrap_err();
    assert_eq!(
        err.problems,
        [
            "table public.users, column active: when: column upper_name is generated, so it is not copied",
            "table public.users, column email: is under the target's unique index users_email_key: a template can \
             give two rows the same value",
            "table public.users, column name: template: column nope is not in table public.users",
        ]
    );
}

#[test]
fn a_masked_key_is_followed_by_the_columns_that_reference_it() {
    // Keys wide enough for a hash that keeps 100 million ids apart.
    let mut s = schema();
    for t in &mut s.tables {
        t.columns[0].class = TypeClass::Int { bytes: 8 };
    }
    let config = config::parse("tables:\n  users:\n    columns:\n      id: { kind: hash, length: 18 }\n", "m.yaml");
    let p = resolve(&config.unwrap(), &s, &s, options(true)).unwrap();
    let orders = p.tables.iter().find(|t| t.name().name == "orders").unwrap();
    let rules: Vec<String> = orders.masks.columns().iter().map(|m| m.describe()).collect();
    assert_eq!(rules, ["hash, follows public.users.id"]);

    // One key, one pseudonym: the follower masks a value as its key does.
    let users = p.tables.iter().find(|t| t.name().name == "users").unwrap();
    let keys = crate::mask::Keyring::from_secret("s");
    let masked = |t: &TablePlan, width: usize, at: usize| {
        let mut input = Batch::new(width, 1, 64);
        for c in 0..width {
            input.push_cell(if c == at { Some(b"4711".as_slice()) } else { None });
        }
        let mut out = Batch::new(width, 1, 64);
        t.masks.apply(&input, &keys, &mut out, 0).unwrap();
        out.cell(0, at).unwrap().to_vec()
    };
    assert_eq!(masked(users, 4, 0), masked(orders, 2, 0));
    assert_ne!(masked(orders, 2, 0), b"4711");

    let err = plan("tables:\n  orders:\n    columns:\n      user_id: hash\n", true).unwrap_err();
    assert_eq!(
        err.problems,
        ["table public.orders, column user_id: references public.users.id, which is not masked, so masking this \
          column alone would break the join; mask public.users.id instead (the columns that reference it follow its rule)"]
    );
}

#[test]
fn a_table_in_a_schema_not_copied_says_which_list_to_extend() {
    let err = plan("tables:\n  sales.orders: email\n", true).unwrap_err();
    assert_eq!(
        err.problems,
        ["table sales.orders: schema sales is not copied (the source's tables come from public); add it to `schemas:`"]
    );
}

#[test]
fn a_bare_table_name_in_a_schema_not_copied_says_where_it_is() {
    let err = plan("tables:\n  invoices: email\n", true).unwrap_err();
    assert_eq!(
        err.problems,
        ["table invoices: not among the copied schemas (public); it is in schema sales: add sales to `schemas:`"]
    );
    let err = plan("tables:\n  nowhere: email\n", true).unwrap_err();
    assert_eq!(err.problems, ["table nowhere: not found in the source"]);
}

/// `id` key and a `ref_id` to `to`, nullable or not, with `rows` estimated.
fn linked(name: &str, to: &str, nullable: bool, rows: u64) -> Table {
    let int = TypeClass::Int { bytes: 4 };
    Table {
        name: TableName::new("public", name),
        columns: vec![
            Column { nullable: false, ..col("id", "integer", int) },
            Column { nullable, ..col("ref_id", "integer", int) },
        ],
        primary_key: vec![0],
        unique_keys: vec![],
        indexes: vec![],
        foreign_keys: vec![ForeignKey {
            name: format!("{name}_ref"),
            columns: vec![1],
            references: TableName::new("public", to),
            referenced_columns: vec!["id".into()],
            on_delete: FkAction::NoAction,
            on_update: FkAction::NoAction,
        }],
        row_estimate: Some(rows),
        partitioned: false,
        readable: true,
        checks: Vec::new(),
        trigger_writes: Vec::new(),
    }
}

#[test]
fn a_cycle_with_checks_on_loads_the_smallest_nullable_key_null_first() {
    // a → b → c → a; c's key is NOT NULL, b is the smallest of the others; d hangs off a.
    let s = Schema {
        tables: vec![
            linked("a", "b", true, 100),
            linked("b", "c", true, 5),
            linked("c", "a", false, 1),
            linked("d", "a", false, 7),
        ],
        elsewhere: vec![],
    };
    let config = config::parse("tables: {}\n", "m.yaml").unwrap();
    let p = resolve(&config, &s, &s, options(false)).unwrap();
    let names = |wave: &Vec<usize>| wave.iter().map(|&i| p.tables[i].name().name.clone()).collect::<Vec<_>>();
    assert_eq!(p.waves.iter().map(names).collect::<Vec<_>>(), [vec!["b"], vec!["a"], vec!["d", "c"]]);
    let b = p.tables.iter().find(|t| t.name().name == "b").unwrap();
    assert_eq!(b.deferred, [1], "b loads with ref_id NULL");
    assert!(b.note.as_deref().unwrap().contains("loaded with ref_id NULL, then filled in once public.c was loaded"));
    assert!(p.tables.iter().filter(|t| t.name().name != "b").all(|t| t.deferred.is_empty()));

    // With every key NOT NULL, the cycle is refused, naming its keys and not d.
    let s = Schema {
        tables: vec![linked("a", "b", false, 1), linked("b", "a", false, 1), linked("d", "a", false, 1)],
        elsewhere: vec![],
    };
    let err = resolve(&config, &s, &s, options(false)).unwrap_err().to_string();
    assert!(err.starts_with("foreign keys form a cycle among public.a, public.b, and none of its keys"), "{err}");
    assert!(err.contains("(public.a(ref_id), public.b(ref_id) are NOT NULL in the target"), "{err}");
}
