//! A config rule compiled into what it means: the kind with its options typed and checked.
//! Everything the YAML alone can get wrong is found here, before any database is touched.

use regex::Regex;

use super::condition::{self, Expr};
use super::ids;
use super::json_path::{self, Path};
use super::kind::{Family, Kind};
use super::locale::Locale;
use super::rule::{FullRule, Number, Rule};
use super::template::{self, Template};
use crate::data::dates;

/// A compiled rule and the rows it applies to.
#[derive(Clone, Debug)]
pub struct RuleSpec {
    pub spec: Spec,
    pub when: Option<Expr<String>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashFormat {
    Hex,
    Digits,
}

#[derive(Clone, Debug)]
pub enum Spec {
    /// A fake kind whose only option is the locale.
    Fake {
        kind: Kind,
        locale: Locale,
    },
    Email {
        locale: Locale,
        domain: String,
    },
    Iban {
        country: &'static str,
    },
    DateOfBirth {
        min_age: u16,
        max_age: u16,
    },
    /// `format` `None`: hex for text, digits for integers.
    Hash {
        format: Option<HashFormat>,
        length: Option<u32>,
    },
    Mask {
        keep_first: usize,
        keep_last: usize,
        with: char,
    },
    Null,
    Keep,
    Set(String),
    Regex {
        regex: Regex,
        replacement: String,
    },
    RandomInt {
        min: i64,
        max: i64,
    },
    RandomFloat {
        min: f64,
        max: f64,
        decimals: u8,
    },
    RandomDate {
        from: i64,
        to: i64,
    },
    NoiseFraction(f64),
    NoiseSeconds(i64),
    Template(Template<String>),
    Json(Vec<(Path, Spec)>),
}

impl Spec {
    pub fn kind(&self) -> Kind {
        match self {
            Spec::Fake { kind, .. } => *kind,
            Spec::Email { .. } => Kind::Email,
            Spec::Iban { .. } => Kind::Iban,
            Spec::DateOfBirth { .. } => Kind::DateOfBirth,
            Spec::Hash { .. } => Kind::Hash,
            Spec::Mask { .. } => Kind::Mask,
            Spec::Null => Kind::Null,
            Spec::Keep => Kind::Keep,
            Spec::Set(_) => Kind::Set,
            Spec::Regex { .. } => Kind::Regex,
            Spec::RandomInt { .. } => Kind::RandomInt,
            Spec::RandomFloat { .. } => Kind::RandomFloat,
            Spec::RandomDate { .. } => Kind::RandomDate,
            Spec::NoiseFraction(_) | Spec::NoiseSeconds(_) => Kind::Noise,
            Spec::Template(_) => Kind::Template,
            Spec::Json(_) => Kind::Json,
        }
    }

    /// The rule with every option at its default: what a bare kind name means.
    pub fn default_for(kind: Kind) -> Result<Spec, String> {
        compile_full(&FullRule { kind: Some(kind), ..FullRule::default() })
    }
}

/// Compile one config rule, `when` included.
pub fn compile(rule: &Rule) -> Result<RuleSpec, String> {
    match rule {
        Rule::Kind(kind) => Ok(RuleSpec { spec: Spec::default_for(*kind)?, when: None }),
        Rule::Full(full) => {
            let when =
                full.when.as_deref().map(|w| condition::parse(w).map_err(|e| format!("when: {e}"))).transpose()?;
            Ok(RuleSpec { spec: compile_full(full)?, when })
        }
    }
}

fn compile_full(r: &FullRule) -> Result<Spec, String> {
    let kind = r.kind.ok_or("a rule in the full form needs `kind`")?;
    let allowed = kind.options();
    let stray: Vec<&str> = r.given().into_iter().filter(|o| !allowed.contains(o)).collect();
    if !stray.is_empty() {
        let takes = if allowed.is_empty() { "no options".to_string() } else { allowed.join(", ") };
        return Err(format!("option {} does not go with kind {kind} (it takes {takes})", stray.join(", ")));
    }
    let locale = r.locale.as_deref().map(Locale::parse).transpose()?.unwrap_or_default();
    let need = |what: &str| format!("kind {kind} needs `{what}`");
    Ok(match kind {
        Kind::Email => {
            let domain = r.domain.clone().unwrap_or_else(|| "example.com".into());
            let valid = !domain.is_empty()
                && domain.contains('.')
                && domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            if !valid {
                return Err(format!("domain {domain:?} is not a host name like example.com"));
            }
            Spec::Email { locale, domain }
        }
        Kind::Iban => {
            let wanted = r.country.clone().unwrap_or_else(|| locale.country().to_string()).to_ascii_uppercase();
            let country = ids::iban_countries().into_iter().find(|c| *c == wanted).ok_or_else(|| {
                let why =
                    if r.country.is_none() { format!(" (the country of locale {locale})") } else { String::new() };
                format!("no IBAN format for {wanted}{why}; give `country:` one of {}", ids::iban_countries().join(", "))
            })?;
            Spec::Iban { country }
        }
        Kind::DateOfBirth => {
            let (min_age, max_age) = (r.min_age.unwrap_or(18), r.max_age.unwrap_or(90));
            if min_age >= max_age || max_age > 150 {
                return Err(format!("ages {min_age} to {max_age}: min_age must be below max_age (at most 150)"));
            }
            Spec::DateOfBirth { min_age, max_age }
        }
        Kind::Hash => {
            let format = match r.format.as_deref() {
                None => None,
                Some("hex") => Some(HashFormat::Hex),
                Some("digits") => Some(HashFormat::Digits),
                Some(other) => return Err(format!("hash format {other:?}: use hex or digits")),
            };
            if r.length == Some(0) {
                return Err("hash length must be at least 1".into());
            }
            Spec::Hash { format, length: r.length }
        }
        Kind::Mask => Spec::Mask {
            keep_first: r.keep_first.unwrap_or(0) as usize,
            keep_last: r.keep_last.unwrap_or(0) as usize,
            with: r.with.unwrap_or('*'),
        },
        Kind::Null => Spec::Null,
        Kind::Keep => Spec::Keep,
        Kind::Set => Spec::Set(r.value.as_ref().ok_or_else(|| need("value"))?.as_str().to_string()),
        Kind::Regex => {
            let pattern = r.pattern.as_deref().ok_or_else(|| need("pattern"))?;
            let regex = Regex::new(pattern).map_err(|e| {
                format!("pattern {pattern:?}: {}", e.to_string().lines().last().unwrap_or("invalid").trim())
            })?;
            Spec::Regex { regex, replacement: r.replacement.clone().ok_or_else(|| need("replacement"))? }
        }
        Kind::RandomInt => {
            let int = |n: Option<Number>, what| match n {
                Some(Number::Int(i)) => Ok(i),
                Some(Number::Float(_)) => Err(format!("random_int {what} must be a whole number")),
                None => Err(need(what)),
            };
            let (min, max) = (int(r.min, "min")?, int(r.max, "max")?);
            if min > max {
                return Err(format!("random_int min {min} is above max {max}"));
            }
            Spec::RandomInt { min, max }
        }
        Kind::RandomFloat => {
            let min = r.min.ok_or_else(|| need("min"))?.as_f64();
            let max = r.max.ok_or_else(|| need("max"))?.as_f64();
            if !(min.is_finite() && max.is_finite() && min <= max) {
                return Err(format!("random_float range {min} to {max} is empty or not finite"));
            }
            let decimals = r.decimals.unwrap_or(2);
            if decimals > 15 {
                return Err("random_float decimals must be at most 15".into());
            }
            Spec::RandomFloat { min, max, decimals }
        }
        Kind::RandomDate => {
            let date = |s: &Option<String>, what| {
                let s = s.as_deref().ok_or_else(|| need(what))?;
                dates::parse_date(s).ok_or_else(|| format!("random_date {what} {s:?} is not a date like 2024-01-31"))
            };
            let (from, to) = (date(&r.from, "from")?, date(&r.to, "to")?);
            if from > to {
                return Err("random_date from is after to".into());
            }
            Spec::RandomDate { from, to }
        }
        Kind::Noise => match (r.fraction, r.duration.as_deref()) {
            (Some(f), None) if f > 0.0 && f <= 10.0 => Spec::NoiseFraction(f),
            (Some(f), None) => return Err(format!("noise fraction {f} must be above 0 and at most 10")),
            (None, Some(d)) => Spec::NoiseSeconds(dates::parse_duration(d)?),
            _ => return Err("noise needs exactly one of `fraction` (numbers) or `duration` (dates)".into()),
        },
        Kind::Template => Spec::Template(template::parse(r.template.as_deref().ok_or_else(|| need("template"))?)?),
        Kind::Json => {
            let paths = r.paths.as_ref().filter(|p| !p.is_empty()).ok_or_else(|| need("paths"))?;
            let mut compiled = Vec::new();
            for (path, rule) in paths {
                let parsed = json_path::parse(path)?;
                let inner = compile(rule).map_err(|e| format!("path {path}: {e}"))?;
                if inner.when.is_some() {
                    return Err(format!("path {path}: `when` goes on the column's rule, not inside json paths"));
                }
                if matches!(inner.spec, Spec::Template(_) | Spec::Json(_) | Spec::Keep) {
                    return Err(format!("path {path}: kind {} cannot be used inside json", inner.spec.kind()));
                }
                compiled.push((parsed, inner.spec));
            }
            Spec::Json(compiled)
        }
        k if k.family() != Family::Own => Spec::Fake { kind: k, locale },
        other => unreachable!("kind {other} is compiled above"),
    })
}
