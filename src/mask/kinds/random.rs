//! Keyed draws from a range: `random_int`, `random_float`, `random_date`, `date_of_birth`.

use rand::RngExt;

use super::super::keyring::Keyring;
use super::super::kind::Kind;
use super::super::rule::{FullRule, Number};
use super::super::slot::{Slot, cannot, int_bounds};
use crate::data::dates;
use crate::schema::{Column, TypeClass};

#[derive(Clone, Debug)]
pub enum Random {
    Int {
        min: i64,
        max: i64,
    },
    Float {
        min: f64,
        max: f64,
        decimals: u8,
    },
    /// Days since 1970, inclusive.
    Date {
        from: i64,
        to: i64,
    },
    /// Birth dates: the days of the birth years Y-max_age ..= Y-min_age-1 for the year Y of the
    /// run, so every date is an age in the range on every day of that year. Fixed when the rule
    /// is compiled, so a run that crosses New Year's Eve stays consistent.
    Birth {
        from: i64,
        to: i64,
    },
}

impl Random {
    pub fn compile(kind: Kind, r: &FullRule) -> Result<Self, String> {
        let need = |what: &str| format!("kind {kind} needs `{what}`");
        Ok(match kind {
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
                Random::Int { min, max }
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
                Random::Float { min, max, decimals }
            }
            Kind::RandomDate => {
                let date = |s: &Option<String>, what| {
                    let s = s.as_deref().ok_or_else(|| need(what))?;
                    dates::parse_date(s)
                        .ok_or_else(|| format!("random_date {what} {s:?} is not a date like 2024-01-31"))
                };
                let (from, to) = (date(&r.from, "from")?, date(&r.to, "to")?);
                if from > to {
                    return Err("random_date from is after to".into());
                }
                Random::Date { from, to }
            }
            _ => {
                let (min_age, max_age) = (r.min_age.unwrap_or(18), r.max_age.unwrap_or(90));
                if min_age >= max_age || max_age > 150 {
                    return Err(format!("ages {min_age} to {max_age}: min_age must be below max_age (at most 150)"));
                }
                let year = dates::civil_from_days(today_days()).0;
                Random::Birth {
                    from: dates::days_from_civil(year - i64::from(max_age), 1, 1),
                    to: dates::days_from_civil(year - i64::from(min_age) - 1, 12, 31),
                }
            }
        })
    }

    pub fn kind(&self) -> Kind {
        match self {
            Random::Int { .. } => Kind::RandomInt,
            Random::Float { .. } => Kind::RandomFloat,
            Random::Date { .. } => Kind::RandomDate,
            Random::Birth { .. } => Kind::DateOfBirth,
        }
    }

    /// Draws numbers, so a value inside JSON stays a number.
    pub fn numeric(&self) -> bool {
        matches!(self, Random::Int { .. } | Random::Float { .. })
    }

    pub fn check(&self, column: &Column) -> Result<Option<usize>, String> {
        let class = column.class;
        let is_text = class == TypeClass::Text;
        let (fits, min_chars) = match self {
            Random::Int { min, max } => match class {
                TypeClass::Int { bytes } => {
                    let (lo, hi) = int_bounds(bytes);
                    if *min < lo || *max > hi {
                        return Err(format!("random_int range {min} to {max} does not fit {}", column.declared_type));
                    }
                    (true, None)
                }
                TypeClass::Text => (true, Some(min.to_string().len().max(max.to_string().len()))),
                _ => (matches!(class, TypeClass::Decimal | TypeClass::Float), None),
            },
            Random::Float { min, max, decimals } => {
                let width = |v: f64| format!("{v:.*}", *decimals as usize).len();
                (matches!(class, TypeClass::Decimal | TypeClass::Float) || is_text, Some(width(*min).max(width(*max))))
            }
            Random::Date { .. } | Random::Birth { .. } => (is_text || is_date(class), Some(10)),
        };
        if fits { Ok(min_chars) } else { Err(cannot(self.kind(), column)) }
    }

    pub fn write(&self, slot: &Slot, input: &[u8], keys: &Keyring, out: &mut Vec<u8>) {
        let mut rng = keys.rng(self.kind().name(), input);
        match self {
            Random::Int { min, max } => out.extend_from_slice(rng.random_range(*min..=*max).to_string().as_bytes()),
            Random::Float { min, max, decimals } => {
                let v = rng.random_range(*min..=*max);
                out.extend_from_slice(format!("{v:.*}", *decimals as usize).as_bytes());
            }
            Random::Date { from, to } => {
                let days = rng.random_range(*from..=*to);
                let seconds = rng.random_range(0..86_400);
                slot.date_out(days, seconds, out);
            }
            Random::Birth { from, to } => slot.date_out(rng.random_range(*from..=*to), 0, out),
        }
    }
}

pub(in crate::mask) fn is_date(class: TypeClass) -> bool {
    matches!(class, TypeClass::Date | TypeClass::Timestamp | TypeClass::TimestampTz)
}

/// Days since 1970-01-01 today (UTC).
pub(in crate::mask) fn today_days() -> i64 {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    (secs / 86_400) as i64
}
