//! The YAML mask config: read as written (serde, `${VAR}` interpolation), then checked and its
//! rules compiled, once, with every problem the YAML alone can have reported together. No
//! database access, no name resolution: that is the plan's.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess};

use crate::data::env::{EnvString, UrlString, interpolate};
use crate::data::forms::ZeroDates;
use crate::data::mode::Mode;
use crate::data::yaml::{self, Forms};
use crate::mask::Kind;
use crate::mask::rule::{Rule, RuleList};
use crate::mask::spec::{self, RuleSpec};

mod subset;
pub use subset::{Columns, Disconnected, EdgeRule, Relation, Root, Subset};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Read { path: String, source: std::io::Error },
    #[error("config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("config file {path}: {message}")]
    Invalid { path: String, message: String },
}

/// A checked config, its rules compiled.
#[derive(Debug)]
pub struct Config {
    pub source: Option<Connection>,
    pub target: Option<Connection>,
    /// Key for deterministic masks; without it every run draws a fresh random key.
    pub secret: Option<EnvString>,
    /// Schemas whose tables are copied. Empty: the engine's default (PostgreSQL `public`, MySQL
    /// the URL's database).
    pub schemas: Vec<EnvString>,
    /// Tables not copied at all.
    pub exclude: Vec<EnvString>,
    pub tables: BTreeMap<String, TableSpec>,
    /// Between engines: what MySQL's `0000-00-00` dates become where the target has none.
    pub zero_dates: ZeroDates,
    pub triggers: Triggers,
    /// Copy only part of the database, with every foreign key whole.
    pub subset: Option<Subset>,
    /// The mode of every table whose rules do not name one.
    pub mode: Option<Mode>,
    /// The target table where dbtwin keeps what must outlive a run (each incremental table's
    /// high-water mark), plain or `schema.name`.
    pub state_table: String,
}

/// The state table's name when the config names none.
pub const STATE_TABLE: &str = "dbtwin_state";

/// How far before the last run's high-water mark the next run starts reading, as written: a
/// count for a number column, a span (`5m`) for a date or timestamp.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum OverlapSpec {
    Count(i64),
    Span(String),
}

/// What the target's triggers do while a copy loads, where the engine cannot switch them off
/// for its own sessions (MySQL/MariaDB, SQLite).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Triggers {
    /// Taken away for the load and put back exactly, so copied values arrive unchanged.
    #[default]
    Suspend,
    /// Left in place to fire for every copied row, as the user asks.
    Fire,
}

/// `source:` or `target:`: a URL, or a URL with the user and password given apart (a password
/// from a secret store goes in as it is, with no percent-encoding).
#[derive(Clone, Debug)]
pub struct Connection {
    pub url: UrlString,
    pub user: Option<EnvString>,
    pub password: Option<EnvString>,
}

#[derive(Debug)]
enum RawConnection {
    Url(UrlString),
    Login(RawLogin),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLogin {
    url: UrlString,
    user: Option<EnvString>,
    password: Option<EnvString>,
    /// A file holding the password (a Kubernetes or Docker secret), its trailing newline dropped.
    password_file: Option<EnvString>,
}

impl Forms for RawConnection {
    const EXPECTING: &'static str = "a database URL or a map with `url`, `user`, `password` or `password_file`";

    fn from_str<E: de::Error>(v: &str) -> Result<Self, E> {
        UrlString::deserialize(de::value::StrDeserializer::<E>::new(v)).map(RawConnection::Url)
    }

    fn from_map<'de, M: MapAccess<'de>>(map: M) -> Result<Self, M::Error> {
        RawLogin::deserialize(de::value::MapAccessDeserializer::new(map)).map(RawConnection::Login)
    }
}

impl<'de> Deserialize<'de> for RawConnection {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        yaml::deserialize(d)
    }
}

impl RawConnection {
    /// `what`: "source" or "target", for errors. Reads the password file, naming it (never what
    /// it holds) when it cannot.
    fn check(self, what: &str) -> Result<Connection, String> {
        let login = match self {
            RawConnection::Url(url) => return Ok(Connection { url, user: None, password: None }),
            RawConnection::Login(login) => login,
        };
        let password = match (login.password, login.password_file) {
            (Some(_), Some(_)) => return Err(format!("{what}: give `password` or `password_file`, not both")),
            (Some(pw), None) => Some(pw),
            (None, Some(file)) => {
                let text = std::fs::read_to_string(file.as_str())
                    .map_err(|e| format!("{what}: cannot read password_file {}: {}", file.as_str(), e.kind()))?;
                let text = text.strip_suffix('\n').unwrap_or(&text);
                let text = text.strip_suffix('\r').unwrap_or(text);
                if text.is_empty() {
                    return Err(format!("{what}: password_file {} is empty", file.as_str()));
                }
                Some(EnvString(text.to_string()))
            }
            (None, None) => None,
        };
        Ok(Connection { url: login.url, user: login.user, password })
    }
}

/// One entry under `tables:`.
#[derive(Debug)]
pub enum TableSpec {
    /// `customer: email,first_name`: the mask kind of each column is inferred.
    Short(Vec<String>),
    Full(TableRules),
}

#[derive(Debug)]
pub struct TableRules {
    pub mode: Option<Mode>,
    /// Column name → its compiled rules, tried in order (a YAML `null` is the `null` rule).
    pub columns: BTreeMap<String, Vec<RuleSpec>>,
    /// Column name → an expression in the target's SQL over the row's columns: the column is
    /// not copied; the target computes it from the copied (masked) row after the load.
    pub recompute: BTreeMap<String, String>,
    /// Only the rows this source condition selects.
    pub condition: Option<String>,
    /// At most this many rows, in `order_by` order (source SQL; the key by default).
    pub limit: Option<u64>,
    pub order_by: Option<String>,
    /// Source columns not copied: the target leaves them NULL or to their default.
    pub skip_columns: Vec<String>,
    /// The target table's name (`name` or `schema.name`), where it is not the source's.
    pub target: Option<String>,
    /// A source column that grows when a row changes: a run reads only the rows at or past the
    /// last run's high-water mark (less `overlap`).
    pub incremental: Option<String>,
    pub overlap: Option<OverlapSpec>,
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    source: Option<RawConnection>,
    target: Option<RawConnection>,
    secret: Option<EnvString>,
    #[serde(default)]
    schemas: Vec<EnvString>,
    #[serde(default)]
    exclude: Vec<EnvString>,
    /// Required, so an empty file (or one whose `tables:` was lost) never copies everything
    /// unmasked; `tables: {}` says so on purpose.
    tables: Option<BTreeMap<String, RawTable>>,
    #[serde(default)]
    zero_dates: ZeroDates,
    #[serde(default)]
    triggers: Triggers,
    subset: Option<subset::RawSubset>,
    mode: Option<Mode>,
    state_table: Option<String>,
}

#[derive(Debug)]
enum RawTable {
    Short(Vec<String>),
    Full(RawTableRules),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTableRules {
    mode: Option<Mode>,
    /// Column name → rule; a YAML `null` (or `~`) means the `null` mask.
    #[serde(default)]
    columns: BTreeMap<String, Option<RuleList>>,
    #[serde(default)]
    recompute: BTreeMap<String, String>,
    #[serde(rename = "where")]
    condition: Option<String>,
    limit: Option<u64>,
    order_by: Option<String>,
    #[serde(default)]
    skip_columns: Vec<String>,
    target: Option<String>,
    incremental: Option<String>,
    overlap: Option<OverlapSpec>,
}

impl Forms for RawTable {
    const EXPECTING: &'static str = "a comma-separated column list or a map with `mode`, `columns`, `recompute`, `where`, `limit`, `order_by`, `skip_columns`, `target`, `incremental` and `overlap`";

    fn from_str<E: de::Error>(v: &str) -> Result<Self, E> {
        let text = interpolate(v, |name| std::env::var(name).ok()).map_err(E::custom)?;
        let columns: Vec<String> = text.split(',').map(str::trim).filter(|c| !c.is_empty()).map(String::from).collect();
        if columns.is_empty() {
            return Err(E::custom("empty column list"));
        }
        Ok(RawTable::Short(columns))
    }

    fn from_map<'de, M: MapAccess<'de>>(map: M) -> Result<Self, M::Error> {
        RawTableRules::deserialize(de::value::MapAccessDeserializer::new(map)).map(RawTable::Full)
    }
}

impl<'de> Deserialize<'de> for RawTable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        yaml::deserialize(d)
    }
}

/// Parse config text; `path` only labels errors.
pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
    if text.lines().map(str::trim).all(|l| l.is_empty() || l.starts_with('#') || l == "---") {
        let message = "is empty; list the tables and columns to mask, or write `tables: {}` to copy every table \
                       as it is"
            .to_string();
        return Err(ConfigError::Invalid { path: path.to_string(), message });
    }
    let raw: RawConfig = serde_saphyr::from_str(text)
        .map_err(|e| ConfigError::Parse { path: path.to_string(), message: one_line(&e.to_string()) })?;
    check(raw).map_err(|message| ConfigError::Invalid { path: path.to_string(), message })
}

pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
    parse(&text, &shown)
}

/// Everything the YAML alone can get wrong, and the rules compiled: the config as the plan
/// takes it.
fn check(raw: RawConfig) -> Result<Config, String> {
    let Some(raw_tables) = raw.tables else {
        return Err("has no `tables:`, so it says nothing about what to mask; list the tables and columns to mask, \
                    or write `tables: {}` to copy every table as it is"
            .into());
    };
    let mut problems = Vec::new();
    let mut tables = BTreeMap::new();
    for (table, spec) in raw_tables {
        let spec = match spec {
            RawTable::Short(columns) => {
                let mut seen = std::collections::BTreeSet::new();
                for c in &columns {
                    if !seen.insert(c) {
                        problems.push(format!("table {table}: column {c} is listed twice"));
                    }
                }
                TableSpec::Short(columns)
            }
            RawTable::Full(rules) => {
                let mut columns = BTreeMap::new();
                for (column, list) in rules.columns {
                    let Some(RuleList(list)) = list else {
                        let null = spec::compile(&Rule::Kind(Kind::Null)).expect("the null rule compiles");
                        columns.insert(column, vec![null]);
                        continue;
                    };
                    let mut compiled = Vec::new();
                    for (i, rule) in list.iter().enumerate() {
                        let conditional = rule.when().is_some();
                        if !conditional && i + 1 < list.len() {
                            problems.push(format!(
                                "table {table}, column {column}: rule {} has no `when`, so the rules after it never apply",
                                i + 1
                            ));
                        }
                        match spec::compile(rule) {
                            Ok(r) => compiled.push(r),
                            Err(why) => {
                                let at = if list.len() > 1 { format!(" (rule {})", i + 1) } else { String::new() };
                                problems.push(format!("table {table}, column {column}{at}: {why}"));
                            }
                        }
                    }
                    columns.insert(column, compiled);
                }
                for (column, sql) in &rules.recompute {
                    if sql.trim().is_empty() {
                        problems.push(format!("table {table}, column {column}: recompute: the expression is empty"));
                    }
                    if columns.contains_key(column) {
                        problems.push(format!(
                            "table {table}, column {column}: has a mask rule and a recompute expression; keep one"
                        ));
                    }
                }
                for column in &rules.skip_columns {
                    if columns.contains_key(column) || rules.recompute.contains_key(column) {
                        problems.push(format!(
                            "table {table}, column {column}: is in skip_columns and has a rule; a skipped column is not copied"
                        ));
                    }
                }
                if rules.target.as_deref().is_some_and(|t| t.trim().is_empty()) {
                    problems.push(format!("table {table}: `target` is empty"));
                }
                if rules.limit == Some(0) {
                    problems.push(format!("table {table}: limit must be at least 1"));
                }
                for (key, sql) in
                    [("where", &rules.condition), ("order_by", &rules.order_by), ("incremental", &rules.incremental)]
                {
                    if sql.as_deref().is_some_and(|s| s.trim().is_empty()) {
                        problems.push(format!("table {table}: `{key}` is empty"));
                    }
                }
                if rules.overlap.is_some() && rules.incremental.is_none() {
                    problems.push(format!(
                        "table {table}: `overlap` says how far back an incremental run reads, and the table has no \
                         `incremental` column"
                    ));
                }
                if rules.incremental.is_some() && rules.limit.is_some() {
                    problems.push(format!(
                        "table {table}: `incremental` reads the rows changed since the last run and `limit` the first \
                         rows in order; they cannot be combined"
                    ));
                }
                TableSpec::Full(TableRules {
                    mode: rules.mode,
                    columns,
                    recompute: rules.recompute,
                    condition: rules.condition,
                    limit: rules.limit,
                    order_by: rules.order_by,
                    skip_columns: rules.skip_columns,
                    target: rules.target,
                    incremental: rules.incremental,
                    overlap: rules.overlap,
                })
            }
        };
        tables.insert(table, spec);
    }
    let mut side = |raw: Option<RawConnection>, what| match raw.map(|c| c.check(what)).transpose() {
        Ok(c) => c,
        Err(problem) => {
            problems.push(problem);
            None
        }
    };
    let (source, target) = (side(raw.source, "source"), side(raw.target, "target"));
    let subset = raw.subset.map(|s| s.check(&mut problems));
    let state_table = raw.state_table.unwrap_or_else(|| STATE_TABLE.to_string());
    let parts: Vec<&str> = state_table.split('.').collect();
    if parts.len() > 2 || parts.iter().any(|p| p.trim().is_empty()) {
        problems.push(format!("state_table {state_table:?}: give a table name, or schema.name"));
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    Ok(Config {
        source,
        target,
        secret: raw.secret,
        schemas: raw.schemas,
        exclude: raw.exclude,
        tables,
        zero_dates: raw.zero_dates,
        triggers: raw.triggers,
        mode: raw.mode,
        subset,
        state_table,
    })
}

/// serde-saphyr renders a snippet under its message; a terminal user and a cron log both want
/// the first line, which already carries the line and column.
fn one_line(message: &str) -> String {
    let mut lines = message.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("invalid YAML").to_string();
    if first.contains("line") {
        return first;
    }
    // Keep the location line when the message itself has none.
    match lines.find(|l| l.contains("line") || l.starts_with("-->")) {
        Some(loc) => format!("{first} ({})", loc.trim_start_matches("-->").trim()),
        None => first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask::Spec;
    use crate::mask::kinds::constant::Constant;

    const EXAMPLE: &str = r#"
source: postgres://app:${DBTWIN_TEST_PW}@db.internal:5432/app
target: postgres://postgres@localhost:5432/app_staging
secret: s3cret
tables:
  customer: email,first_name,last_name
  staff:
    mode: replace
    columns:
      email: email
      password: hash
      picture: null
      role: { kind: set, value: "clerk" }
"#;

    fn parse_with_env(text: &str) -> Result<Config, ConfigError> {
        // Tests run in parallel threads: only this one sets this variable.
        unsafe { std::env::set_var("DBTWIN_TEST_PW", "pa$$w:rd") };
        parse(text, "mask.yaml")
    }

    #[test]
    fn a_config_that_says_nothing_about_masking_is_refused() {
        for text in ["", "# nothing yet\n\n", "source: sqlite:///a.db\ntarget: sqlite:///b.db\n"] {
            let err = parse(text, "mask.yaml").unwrap_err().to_string();
            assert!(err.starts_with("config file mask.yaml: "), "{err}");
            assert!(err.contains("`tables: {}`"), "{err}");
        }
        assert!(parse("tables: {}\n", "mask.yaml").is_ok());
    }

    #[test]
    fn a_login_may_be_given_apart_from_the_url() {
        let file = std::env::temp_dir().join(format!("dbtwin_cfg_pw_{}", std::process::id()));
        std::fs::write(&file, "s3cr:t@x\n").unwrap();
        let text = format!(
            "source:\n  url: postgres://db/app\n  user: app\n  password: p@ss\n\
             target:\n  url: mysql://db/app\n  user: app\n  password_file: {}\ntables: {{}}\n",
            file.display()
        );
        let c = parse(&text, "m.yaml").unwrap();
        let (source, target) = (c.source.unwrap(), c.target.unwrap());
        assert_eq!((source.user.unwrap().as_str(), source.password.unwrap().as_str()), ("app", "p@ss"));
        assert_eq!(target.password.unwrap().as_str(), "s3cr:t@x", "the file's newline is not the password's");
        std::fs::remove_file(&file).unwrap();
        let err = parse(&text, "m.yaml").unwrap_err().to_string();
        assert!(err.contains("target: cannot read password_file") && err.contains("not found"), "{err}");
        let both = "source:\n  url: postgres://db/app\n  password: a\n  password_file: /x\ntables: {}\n";
        assert!(parse(both, "m.yaml").unwrap_err().to_string().contains("not both"));
        let typo = "source:\n  url: postgres://db/app\n  pasword: a\ntables: {}\n";
        assert!(parse(typo, "m.yaml").unwrap_err().to_string().contains("pasword"));
    }

    #[test]
    fn parses_the_documented_example() {
        let c = parse_with_env(EXAMPLE).unwrap();
        // The password went into the user-info percent-encoded.
        assert_eq!(c.source.unwrap().url.0.as_str(), "postgres://app:pa%24%24w%3Ard@db.internal:5432/app");
        assert!(c.schemas.is_empty(), "the engine's default schema");
        assert!(matches!(
            &c.tables["customer"],
            TableSpec::Short(cols) if cols == &["email", "first_name", "last_name"]
        ));
        let TableSpec::Full(staff) = &c.tables["staff"] else { panic!("full form expected") };
        assert_eq!(staff.mode, Some(Mode::Replace));
        let kinds = |c: &str| staff.columns[c].iter().map(|r| (r.spec.kind(), r.when.is_some())).collect::<Vec<_>>();
        assert_eq!(kinds("email"), [(Kind::Email, false)]);
        assert_eq!(kinds("password"), [(Kind::Hash, false)]);
        assert_eq!(kinds("picture"), [(Kind::Null, false)], "a YAML null is the null rule");
        assert!(
            matches!(&staff.columns["role"][..], [RuleSpec { spec: Spec::Constant(Constant::Set(v)), when: None, .. }] if v == "clerk")
        );
    }

    #[test]
    fn rule_lists_try_conditions_in_order() {
        let c = parse(
            "tables:\n  t:\n    columns:\n      email:\n        - { kind: keep, when: \"role = 'staff'\" }\n        - email\n",
            "m.yaml",
        )
        .unwrap();
        let TableSpec::Full(t) = &c.tables["t"] else { panic!() };
        assert_eq!(t.columns["email"].len(), 2);
        let msg =
            parse("tables:\n  t:\n    columns:\n      email: [ name, email ]\n", "m.yaml").unwrap_err().to_string();
        assert!(msg.contains("column email: rule 1 has no `when`, so the rules after it never apply"), "{msg}");
    }

    #[test]
    fn the_example_config_parses() {
        // Only this test sets these variables.
        unsafe {
            std::env::set_var("PROD_PASSWORD", "pw");
            std::env::set_var("DBTWIN_SECRET", "s");
        }
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.yaml");
        let c = load(std::path::Path::new(path)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.tables.len(), 3);
    }

    #[test]
    fn unknown_key_is_an_error_with_its_line() {
        let err = parse("source: x\ntables:\n  t:\n    mode: upsert\n    colums: {}\n", "m.yaml").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("colums"), "{msg}");
        assert!(msg.contains("line 5") || msg.contains("5:"), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
    }

    #[test]
    fn unknown_mask_kind_is_an_error() {
        let msg = parse("tables:\n  t:\n    columns:\n      a: emial\n", "m.yaml").unwrap_err().to_string();
        assert!(msg.contains("emial"), "{msg}");
    }

    #[test]
    fn missing_variable_is_named() {
        let msg = parse("source: postgres://u:${DBTWIN_SURELY_UNSET_VAR}@h/db\n", "m.yaml").unwrap_err().to_string();
        assert!(msg.contains("environment variable DBTWIN_SURELY_UNSET_VAR is not set"), "{msg}");
        assert!(msg.contains("line 1"), "{msg}");
    }

    #[test]
    fn column_listed_twice_is_an_error() {
        let msg = parse("tables:\n  users: email, name,email\n", "m.yaml").unwrap_err().to_string();
        assert_eq!(msg, "config file m.yaml: table users: column email is listed twice");
    }

    #[test]
    fn duplicate_yaml_key_is_an_error() {
        let msg = parse("tables:\n  users:\n    columns:\n      email: email\n      email: hash\n", "m.yaml")
            .unwrap_err()
            .to_string();
        assert!(msg.to_lowercase().contains("duplicate"), "{msg}");
    }

    #[test]
    fn set_needs_a_value_and_value_needs_set() {
        let msg = parse(
            "tables:\n  t:\n    columns:\n      a: { kind: set }\n      b: { kind: email, value: x }\n",
            "m.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(msg.contains("column a: kind set needs `value`"), "{msg}");
        assert!(msg.contains("column b: option value does not go with kind email (it takes locale, domain)"), "{msg}");
    }

    fn rules(yaml_columns: &str) -> Result<Config, String> {
        parse(&format!("tables:\n  t:\n    columns:\n{yaml_columns}"), "m.yaml").map_err(|e| e.to_string())
    }

    #[test]
    fn options_are_typed_and_checked() {
        let ok = rules(
            "      a: { kind: email, domain: corp.example, locale: de }\n\
             \x20     b: { kind: hash, format: digits, length: 9 }\n\
             \x20     c: { kind: mask, keep_last: 4, char: '#' }\n\
             \x20     d: { kind: random_int, min: -5, max: 5 }\n\
             \x20     e: { kind: noise, duration: 12h }\n\
             \x20     f: { kind: template, template: '{a}-{b}' }\n\
             \x20     g: { kind: json, paths: { '$.email': email, '$.ids[*]': { kind: hash, length: 8 } } }\n\
             \x20     h: [ { kind: keep, when: \"role = 'staff'\" }, name ]\n",
        );
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn every_problem_names_its_column() {
        let err = rules(
            "      a: { kind: email, keep_last: 2 }\n\
             \x20     b: { kind: random_int, min: 5, max: 1 }\n\
             \x20     c: { kind: regex, pattern: '(' , replacement: x }\n\
             \x20     d: { kind: noise }\n\
             \x20     e: { kind: name, locale: es }\n\
             \x20     f: { kind: template, template: 'hello' }\n\
             \x20     g: { kind: set, value: x, when: 'a =' }\n\
             \x20     h: { kind: random_date, from: 2024-02-30, to: 2024-03-01 }\n\
             \x20     i: { kind: iban, locale: ja }\n",
        )
        .unwrap_err();
        for want in [
            "column a: option keep_last does not go with kind email (it takes locale, domain)",
            "column b: random_int min 5 is above max 1",
            "column c: pattern \"(\"",
            "column d: noise needs exactly one of",
            "column e: unknown locale \"es\"",
            "column f: template \"hello\" names no column",
            "column g: when: expected a value",
            "column h: random_date from \"2024-02-30\" is not a date",
            "column i: no IBAN format for JP (the country of locale ja)",
        ] {
            assert!(err.contains(want), "missing {want:?} in {err}");
        }
    }
}
