//! A column rule as the config writes it: a kind's name, or a map of the kind and its options,
//! or a list of them tried in order. [`crate::mask::spec`] compiles it into what it means.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess};

use super::kind::Kind;
use crate::data::env::EnvString;
use crate::data::yaml::{self, Forms};

/// A column's rules: one, or a list tried in order where the first whose `when` matches the
/// row applies (a row no rule matches keeps its value).
#[derive(Debug, PartialEq)]
pub struct RuleList(pub Vec<Rule>);

/// A column rule: `email`, or `{ kind: set, value: "x" }` with the kind's options.
#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    Kind(Kind),
    Full(Box<FullRule>),
}

/// The options of a rule's full form, each an `Option` named as in YAML. `given` lists the ones a
/// rule sets, so which options go with which kind ([`Kind::options`]) is checked when the rule
/// is compiled, and a misplaced option is an error naming the kind.
macro_rules! full_rule {
    ($( $(#[$doc:meta])* $field:ident $(as $yaml:literal)? : $ty:ty, )+) => {
        /// The full form of a rule.
        #[derive(Clone, Debug, Default, Deserialize, PartialEq)]
        #[serde(deny_unknown_fields)]
        pub struct FullRule {
            pub kind: Option<Kind>,
            /// Apply only to rows matching this condition (see `mask::condition`).
            pub when: Option<String>,
            $( $(#[$doc])* $(#[serde(rename = $yaml)])? pub $field: Option<$ty>, )+
        }

        impl FullRule {
            /// The options this rule sets, by their YAML names.
            pub fn given(&self) -> Vec<&'static str> {
                let mut names = Vec::new();
                $( if self.$field.is_some() { names.push(full_rule!(@name $field $($yaml)?)); } )+
                names
            }
        }
    };
    (@name $field:ident $yaml:literal) => { $yaml };
    (@name $field:ident) => { stringify!($field) };
}

full_rule! {
    /// The constant for `set`.
    value: EnvString,
    locale: String,
    /// `email`: the domain of every fake address.
    domain: String,
    /// `date_of_birth`: ages the dates give in the year of the run.
    min_age: u16,
    max_age: u16,
    /// `iban`: the country whose format is written (default: the locale's).
    country: String,
    /// `hash`: `hex` or `digits`.
    format: String,
    /// `hash`: output length; the input's length when absent.
    length: u32,
    /// `mask`: characters kept at each end.
    keep_first: u32,
    keep_last: u32,
    /// `mask`: the replacement character.
    with as "char": char,
    /// `regex`: what to find and what to put instead (`$1` for groups).
    pattern: String,
    replacement: String,
    /// `random_int` / `random_float`: inclusive range.
    min: Number,
    max: Number,
    /// `random_float`: digits after the point.
    decimals: u8,
    /// `random_date`: inclusive range of ISO dates.
    from: String,
    to: String,
    /// `noise`: ± this fraction of a number …
    fraction: f64,
    /// … or ± this duration for dates and timestamps (`30d`, `12h`) …
    duration: String,
    /// … or a point moved up to this far (in its coordinates' units).
    distance: f64,
    /// `template`: e.g. `"{first_name|lower}.{last_name|lower}@example.com"`.
    template: String,
    /// `json`: path → rule, e.g. `$.contact.email: email`.
    paths: BTreeMap<String, Rule>,
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
    /// The full form, whichever form was written: `email` and `{ kind: email }` are one rule.
    pub fn full(&self) -> FullRule {
        match self {
            Rule::Kind(k) => FullRule { kind: Some(*k), ..FullRule::default() },
            Rule::Full(f) => (**f).clone(),
        }
    }

    pub fn kind(&self) -> Option<Kind> {
        match self {
            Rule::Kind(k) => Some(*k),
            Rule::Full(f) => f.kind,
        }
    }

    /// The rule's condition, if it has one.
    pub fn when(&self) -> Option<&str> {
        match self {
            Rule::Kind(_) => None,
            Rule::Full(f) => f.when.as_deref(),
        }
    }
}

impl Forms for Rule {
    const EXPECTING: &'static str = "a mask kind or a map with `kind`";

    fn from_str<E: de::Error>(v: &str) -> Result<Self, E> {
        Kind::deserialize(de::value::StrDeserializer::<E>::new(v)).map(Rule::Kind)
    }

    fn from_map<'de, M: MapAccess<'de>>(map: M) -> Result<Self, M::Error> {
        FullRule::deserialize(de::value::MapAccessDeserializer::new(map)).map(|r| Rule::Full(Box::new(r)))
    }

    // A YAML `null` in a rule's place means the null mask, as it does for a column.
    fn from_null() -> Option<Self> {
        Some(Rule::Kind(Kind::Null))
    }
}

impl Forms for RuleList {
    const EXPECTING: &'static str = "a mask kind, a map with `kind`, or a list of them";

    fn from_str<E: de::Error>(v: &str) -> Result<Self, E> {
        Rule::from_str(v).map(|r| RuleList(vec![r]))
    }

    fn from_map<'de, M: MapAccess<'de>>(map: M) -> Result<Self, M::Error> {
        Rule::from_map(map).map(|r| RuleList(vec![r]))
    }

    fn from_seq<'de, S: SeqAccess<'de>>(mut seq: S) -> Result<Self, S::Error> {
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

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        yaml::deserialize(d)
    }
}

impl<'de> Deserialize<'de> for RuleList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        yaml::deserialize(d)
    }
}
