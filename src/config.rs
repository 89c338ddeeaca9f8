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
    /// Between engines: what MySQL's `0000-00-00` dates become where the target has none.
    #[serde(default)]
    pub zero_dates: crate::convert::ZeroDates,
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
    pub columns: BTreeMap<String, Option<RuleList>>,
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

/// A column's rules: one, or a list tried in order where the first whose `when` matches the
/// row applies (a row no rule matches keeps its value).
#[derive(Debug, PartialEq)]
pub struct RuleList(pub Vec<Rule>);

/// A column rule: `email`, or `{ kind: set, value: "x" }` with the kind's options.
#[derive(Debug, PartialEq)]
pub enum Rule {
    Kind(Kind),
    Full(Box<FullRule>),
}

/// The full form of a rule. Which options go with which kind is checked when the rule is
/// compiled (`mask::spec`), so a misplaced option is an error naming the kind.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FullRule {
    pub kind: Option<Kind>,
    /// Apply only to rows matching this condition (see `mask::condition`).
    pub when: Option<String>,
    /// The constant for `set`.
    pub value: Option<EnvString>,
    pub locale: Option<String>,
    /// `email`: the domain of every fake address.
    pub domain: Option<String>,
    /// `date_of_birth`: ages the dates give in the year of the run.
    pub min_age: Option<u16>,
    pub max_age: Option<u16>,
    /// `iban`: the country whose format is written (default: the locale's).
    pub country: Option<String>,
    /// `hash`: `hex` or `digits`.
    pub format: Option<String>,
    /// `hash`: output length; the input's length when absent.
    pub length: Option<u32>,
    /// `mask`: characters kept at each end.
    pub keep_first: Option<u32>,
    pub keep_last: Option<u32>,
    /// `mask`: the replacement character.
    #[serde(rename = "char")]
    pub with: Option<char>,
    /// `regex`: what to find and what to put instead (`$1` for groups).
    pub pattern: Option<String>,
    pub replacement: Option<String>,
    /// `random_int` / `random_float`: inclusive range.
    pub min: Option<Number>,
    pub max: Option<Number>,
    /// `random_float`: digits after the point.
    pub decimals: Option<u8>,
    /// `random_date`: inclusive range of ISO dates.
    pub from: Option<String>,
    pub to: Option<String>,
    /// `noise`: ± this fraction of a number …
    pub fraction: Option<f64>,
    /// … or ± this duration for dates and timestamps (`30d`, `12h`).
    pub duration: Option<String>,
    /// `template`: e.g. `"{first_name|lower}.{last_name|lower}@example.com"`.
    pub template: Option<String>,
    /// `json`: path → rule, e.g. `$.contact.email: email`.
    pub paths: Option<BTreeMap<String, Rule>>,
}

/// A number as written in YAML: integers stay exact.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

impl Rule {
    pub fn kind(&self) -> Option<Kind> {
        match self {
            Rule::Kind(k) => Some(*k),
            Rule::Full(f) => f.kind,
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
            // A YAML `null` in a rule's place means the null mask, as it does for a column.
            fn visit_unit<E: de::Error>(self) -> Result<Rule, E> {
                Ok(Rule::Kind(Kind::Null))
            }
            fn visit_none<E: de::Error>(self) -> Result<Rule, E> {
                Ok(Rule::Kind(Kind::Null))
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Rule, M::Error> {
                FullRule::deserialize(de::value::MapAccessDeserializer::new(map)).map(|r| Rule::Full(Box::new(r)))
            }
        }
        d.deserialize_any(RuleVisitor)
    }
}

impl<'de> Deserialize<'de> for RuleList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = RuleList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mask kind, a map with `kind`, or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RuleList, E> {
                Kind::deserialize(de::value::StrDeserializer::<E>::new(v)).map(|k| RuleList(vec![Rule::Kind(k)]))
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<RuleList, M::Error> {
                FullRule::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|r| RuleList(vec![Rule::Full(Box::new(r))]))
            }
            fn visit_seq<S: de::SeqAccess<'de>>(self, mut seq: S) -> Result<RuleList, S::Error> {
                let mut rules = Vec::new();
                while let Some(rule) = seq.next_element::<Rule>()? {
                    rules.push(rule);
                }
                if rules.is_empty() {
                    return Err(de::Error::custom("empty rule list"));
                }
                Ok(RuleList(rules))
            }
        }
        d.deserialize_any(ListVisitor)
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
                for (column, list) in &rules.columns {
                    let Some(RuleList(list)) = list else { continue };
                    for (i, rule) in list.iter().enumerate() {
                        let conditional = matches!(rule, Rule::Full(f) if f.when.is_some());
                        if !conditional && i + 1 < list.len() {
                            problems.push(format!(
                                "table {table}, column {column}: rule {} has no `when`, so the rules after it never apply",
                                i + 1
                            ));
                        }
                        if let Err(why) = crate::mask::spec::compile(rule) {
                            let at = if list.len() > 1 { format!(" (rule {})", i + 1) } else { String::new() };
                            problems.push(format!("table {table}, column {column}{at}: {why}"));
                        }
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
        assert_eq!(staff.columns["email"], Some(RuleList(vec![Rule::Kind(Kind::Email)])));
        assert_eq!(staff.columns["password"], Some(RuleList(vec![Rule::Kind(Kind::Hash)])));
        assert_eq!(staff.columns["picture"], None);
        let Some(RuleList(role)) = &staff.columns["role"] else { panic!("a rule") };
        let Rule::Full(role) = &role[0] else { panic!("full form expected") };
        assert_eq!((role.kind, role.value.as_ref().map(EnvString::as_str)), (Some(Kind::Set), Some("clerk")));
    }

    #[test]
    fn rule_lists_try_conditions_in_order() {
        let c = parse(
            "tables:\n  t:\n    columns:\n      email:\n        - { kind: keep, when: \"role = 'staff'\" }\n        - email\n",
            "m.yaml",
        )
        .unwrap();
        let TableSpec::Full(t) = &c.tables["t"] else { panic!() };
        assert_eq!(t.columns["email"].as_ref().unwrap().0.len(), 2);
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

    #[test]
    fn interpolation_rules() {
        let env = |n: &str| (n == "A").then(|| "1".to_string());
        assert_eq!(interpolate("x${A}y$$z$", env).unwrap(), "x1y$z$");
        assert!(interpolate("${A", env).unwrap_err().contains("unterminated"));
        assert!(interpolate("${B}", env).unwrap_err().contains("B is not set"));
    }
}
