use super::*;
use crate::config;
use crate::schema::{Column, ForeignKey, TypeClass};

fn col(name: &str, ty: &str, class: TypeClass) -> Column {
    Column {
        name: name.into(),
        declared_type: ty.into(),
        class,
        nullable: true,
        max_chars: None,
        generated: false,
        auto_increment: false,
        has_default: false,
    }
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
        unique_keys: vec![vec![1]],
        foreign_keys: vec![],
        row_estimate: Some(10),
    };
    let orders = Table {
        name: TableName::new("public", "orders"),
        columns: vec![col("user_id", "integer", TypeClass::Int { bytes: 4 }), col("note", "text", text)],
        primary_key: vec![],
        unique_keys: vec![],
        foreign_keys: vec![ForeignKey {
            name: "fk".into(),
            columns: vec![0],
            references: TableName::new("public", "users"),
        }],
        row_estimate: Some(1000),
    };
    Schema { tables: vec![orders, users] }
}

fn options(checks_off: bool) -> PlanOptions {
    PlanOptions { binary: BinaryText::Hex, checks_off, limits: BatchLimits { rows: 10, bytes: 100 } }
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
    let kinds: Vec<_> = users.masks.iter().map(|m| (m.index, m.masker.kind(), m.inferred)).collect();
    assert_eq!(kinds, [(1, Kind::Email, true), (2, Kind::Name, true)]);
    assert_eq!(users.write.auto_increment, ["id"]);
    assert!(users.write.referenced);
    let orders = p.tables.iter().find(|t| t.name().name == "orders").unwrap();
    assert_eq!(orders.write.mode, Mode::Replace, "no primary key");
    assert_eq!(p.waves, vec![vec![0, 1]], "one wave, biggest first");
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
    assert_eq!(users.write.table, TableName::new("staging", "users"));
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

#[test]
fn emails_get_a_collision_free_suffix() {
    let p = plan("tables:\n  users:\n    columns:\n      email: email\n", true).unwrap();
    let users = p.tables.iter().find(|t| t.name().name == "users").unwrap();
    let keys = crate::mask::Keyring::from_secret("s");
    let mut out = Vec::new();
    users.masks[0].masker.apply(Some(b"a@b.c"), &keys, &mut out);
    let email = String::from_utf8(out).unwrap();
    let local = email.split('@').next().unwrap();
    assert!(local.rsplit('.').next().unwrap().len() == 12, "unique suffix in {email}");
}
