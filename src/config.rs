//! The YAML mask config, exactly as written: no database access, no name resolution.
//!
//! Every string value is `${VAR}`-interpolated from the environment while it is deserialized, so
//! a missing variable is reported with the line and column that names it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::mask::Kind;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("config file {path}: {message}")]
    Invalid { path: String, message: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub source: Option<EnvString>,
    pub target: Option<EnvString>,
    /// Key for deterministic masks; without it every run draws a fresh random key.
    pub secret: Option<EnvString>,
    /// Schemas whose tables are copied. Empty: the engine's default (PostgreSQL `public`, MySQL
    /// the URL's database).
    #[serde(default)]
    pub schemas: Vec<EnvString>,
    /// Tables not copied at all.
    #[serde(default)]
    pub exclude: Vec<EnvString>,
    #[serde(default)]
    pub tables: BTreeMap<String, TableSpec>,
}

/// One entry under `tables:`.
#[derive(Debug, PartialEq)]
pub enum TableSpec {
    /// `customer: email,first_name`: the mask kind of each column is inferred.
    Short(Vec<String>),
    Full(TableRules),
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TableRules {
    pub mode: Option<Mode>,
    /// Column name → rule; a YAML `null` (or `~`) means the `null` mask.
    #[serde(default)]
    pub columns: BTreeMap<String, Option<Rule>>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Insert new rows and update existing ones by primary key.
    Upsert,
    /// Empty the target table and load it again, in one transaction.
    Replace,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Upsert => "upsert",
            Mode::Replace => "replace",
        })
    }
}

/// A column rule: `email`, or `{ kind: set, value: "x" }`.
#[derive(Debug, PartialEq)]
pub enum Rule {
    Kind(Kind),
    Full(FullRule),
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FullRule {
    pub kind: Kind,
    /// The constant for `set`.
    pub value: Option<EnvString>,
}

impl Rule {
    pub fn kind(&self) -> Kind {
        match self {
            Rule::Kind(k) => *k,
            Rule::Full(f) => f.kind,
        }
    }

    pub fn value(&self) -> Option<&str> {
        match self {
            Rule::Kind(_) => None,
            Rule::Full(f) => f.value.as_ref().map(|v| v.0.as_str()),
        }
    }
}

/// A string with `${VAR}` replaced from the environment (`$$` is a literal `$`).
#[derive(Clone, PartialEq, Eq)]
pub struct EnvString(pub String);

impl fmt::Debug for EnvString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Interpolated values may be secrets.
        f.write_str("EnvString(..)")
    }
}

impl EnvString {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for EnvString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        interpolate(&raw, |name| std::env::var(name).ok()).map(EnvString).map_err(de::Error::custom)
    }
}

/// Replace `${NAME}` with `lookup(NAME)`; `$$` yields `$`.
pub fn interpolate(raw: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body.find('}').ok_or_else(|| "unterminated ${ in value".to_string())?;
            let name = &body[..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("invalid environment variable name ${{{name}}}"));
            }
            let value = lookup(name).ok_or_else(|| format!("environment variable {name} is not set"))?;
            out.push_str(&value);
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RuleVisitor;
        impl<'de> Visitor<'de> for RuleVisitor {
            type Value = Rule;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mask kind or a map with `kind`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Rule, E> {
                Kind::deserialize(de::value::StrDeserializer::<E>::new(v)).map(Rule::Kind)
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Rule, M::Error> {
                FullRule::deserialize(de::value::MapAccessDeserializer::new(map)).map(Rule::Full)
            }
        }
        d.deserialize_any(RuleVisitor)
    }
}

impl<'de> Deserialize<'de> for TableSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SpecVisitor;
        impl<'de> Visitor<'de> for SpecVisitor {
            type Value = TableSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a comma-separated column list or a map with `mode` and `columns`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TableSpec, E> {
                let text = interpolate(v, |name| std::env::var(name).ok()).map_err(E::custom)?;
                let columns: Vec<String> =
                    text.split(',').map(str::trim).filter(|c| !c.is_empty()).map(String::from).collect();
                if columns.is_empty() {
                    return Err(E::custom("empty column list"));
                }
                Ok(TableSpec::Short(columns))
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<TableSpec, M::Error> {
                TableRules::deserialize(de::value::MapAccessDeserializer::new(map)).map(TableSpec::Full)
            }
        }
        d.deserialize_any(SpecVisitor)
    }
}

/// Parse config text; `path` only labels errors.
pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
    let config: Config = serde_saphyr::from_str(text)
        .map_err(|e| ConfigError::Parse { path: path.to_string(), message: one_line(&e.to_string()) })?;
    validate(&config).map_err(|message| ConfigError::Invalid { path: path.to_string(), message })?;
    Ok(config)
}

pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
    parse(&text, &shown)
}

/// Checks that need no schema: everything the YAML alone can get wrong.
fn validate(config: &Config) -> Result<(), String> {
    let mut problems = Vec::new();
    for (table, spec) in &config.tables {
        match spec {
            TableSpec::Short(columns) => {
                let mut seen = std::collections::BTreeSet::new();
                for c in columns {
                    if !seen.insert(c) {
                        problems.push(format!("table {table}: column {c} is listed twice"));
                    }
                }
            }
            TableSpec::Full(rules) => {
                for (column, rule) in &rules.columns {
                    let Some(rule) = rule else { continue };
                    match (rule.kind(), rule.value()) {
                        (Kind::Set, None) => {
                            problems.push(format!("table {table}, column {column}: `set` needs a `value`"))
                        }
                        (k, Some(_)) if k != Kind::Set => {
                            problems.push(format!("table {table}, column {column}: `value` only goes with kind `set`"))
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
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
    fn parses_the_documented_example() {
        let c = parse_with_env(EXAMPLE).unwrap();
        assert_eq!(c.source.unwrap().0, "postgres://app:pa$$w:rd@db.internal:5432/app");
        assert!(c.schemas.is_empty(), "the engine's default schema");
        assert_eq!(
            c.tables["customer"],
            TableSpec::Short(vec!["email".into(), "first_name".into(), "last_name".into()])
        );
        let TableSpec::Full(staff) = &c.tables["staff"] else { panic!("full form expected") };
        assert_eq!(staff.mode, Some(Mode::Replace));
        assert_eq!(staff.columns["email"], Some(Rule::Kind(Kind::Email)));
        assert_eq!(staff.columns["password"], Some(Rule::Kind(Kind::Hash)));
        assert_eq!(staff.columns["picture"], None);
        let role = staff.columns["role"].as_ref().unwrap();
        assert_eq!((role.kind(), role.value()), (Kind::Set, Some("clerk")));
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
        assert!(msg.contains("column a: `set` needs a `value`"), "{msg}");
        assert!(msg.contains("column b: `value` only goes with kind `set`"), "{msg}");
    }

    #[test]
    fn interpolation_rules() {
        let env = |n: &str| (n == "A").then(|| "1".to_string());
        assert_eq!(interpolate("x${A}y$$z$", env).unwrap(), "x1y$z$");
        assert!(interpolate("${A", env).unwrap_err().contains("unterminated"));
        assert!(interpolate("${B}", env).unwrap_err().contains("B is not set"));
    }
}
