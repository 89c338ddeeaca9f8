//! `noise`: numbers moved by up to ± a fraction, dates and timestamps by up to ± a duration,
//! points by up to a distance ([`super::point`]).

use rand::RngExt;

use super::super::keyring::Keyring;
use super::super::rule::FullRule;
use super::super::slot::{Slot, cannot, int_bounds, utf8};
use super::random::is_date;
use crate::data::dates;
use crate::schema::{Column, TypeClass};

#[derive(Clone, Debug)]
pub enum Noise {
    Fraction(f64),
    Seconds(i64),
    Distance(f64),
}

impl Noise {
    pub fn compile(r: &FullRule) -> Result<Self, String> {
        match (r.fraction, r.duration.as_deref(), r.distance) {
            (Some(f), None, None) if f > 0.0 && f <= 10.0 => Ok(Noise::Fraction(f)),
            (Some(f), None, None) => Err(format!("noise fraction {f} must be above 0 and at most 10")),
            (None, Some(d), None) => Ok(Noise::Seconds(dates::parse_duration(d)?)),
            (None, None, Some(d)) if d > 0.0 && d.is_finite() => Ok(Noise::Distance(d)),
            (None, None, Some(d)) => Err(format!("noise distance {d} must be above 0")),
            _ => {
                Err("noise needs exactly one of `fraction` (numbers), `duration` (dates) or `distance` (points)".into())
            }
        }
    }

    pub fn check(&self, column: &Column) -> Result<Option<usize>, String> {
        let class = column.class;
        let fits = match self {
            Noise::Fraction(_) => matches!(class, TypeClass::Int { .. } | TypeClass::Decimal | TypeClass::Float),
            Noise::Seconds(seconds) => {
                if class == TypeClass::Date && seconds % 86_400 != 0 {
                    return Err(format!("noise duration must be whole days for a {} column", column.declared_type));
                }
                is_date(class)
            }
            // A point in a geometry column, or WKT in a text one.
            Noise::Distance(_) => column.is_geometry() || class == TypeClass::Text,
        };
        if fits { Ok(None) } else { Err(cannot("noise", column)) }
    }

    pub fn write(&self, slot: &Slot, input: &[u8], keys: &Keyring, out: &mut Vec<u8>) -> Result<(), String> {
        match self {
            Noise::Fraction(fraction) => number(slot, input, *fraction, keys, out),
            Noise::Seconds(seconds) => {
                date(slot, input, *seconds, keys, out);
                Ok(())
            }
            Noise::Distance(distance) => super::point::moved(input, *distance, keys, out),
        }
    }
}

fn number(slot: &Slot, input: &[u8], fraction: f64, keys: &Keyring, out: &mut Vec<u8>) -> Result<(), String> {
    let text = utf8(input)?.trim();
    let factor = 1.0 + keys.rng("noise", input).random_range(-fraction..=fraction);
    match slot.class {
        TypeClass::Int { bytes } => match text.parse::<i64>() {
            Ok(v) => {
                let (lo, hi) = int_bounds(bytes);
                let noised = (v as f64 * factor).round().clamp(lo as f64, hi as f64) as i64;
                out.extend_from_slice(noised.to_string().as_bytes());
            }
            // Beyond i64: MySQL's BIGINT UNSIGNED. The unsigned range is the column's.
            Err(_) => {
                let v: u64 = text.parse().map_err(|_| format!("noise: {text:?} is not an integer"))?;
                out.extend_from_slice(format!("{:.0}", (v as f64 * factor).min(u64::MAX as f64)).as_bytes());
            }
        },
        _ => {
            let v: f64 = text.parse().map_err(|_| format!("noise: {text:?} is not a number"))?;
            if !v.is_finite() {
                out.extend_from_slice(input);
            } else if slot.class == TypeClass::Float {
                out.extend_from_slice((v * factor).to_string().as_bytes());
            } else {
                // A decimal keeps its scale: 12.50 stays two places.
                let scale = text.split_once('.').map_or(0, |(_, f)| f.len());
                out.extend_from_slice(format!("{:.*}", scale, v * factor).as_bytes());
            }
        }
    }
    Ok(())
}

/// Shift a date or timestamp by up to ± `seconds`; values with no calendar date (`infinity`,
/// BC dates, MySQL zero dates) are written unchanged.
fn date(slot: &Slot, input: &[u8], seconds: i64, keys: &Keyring, out: &mut Vec<u8>) {
    let text = String::from_utf8_lossy(input);
    let mut rng = keys.rng("noise", input);
    if slot.class == TypeClass::Date {
        let days = seconds / 86_400;
        match dates::parse_date(&text) {
            Some(d) => out.extend_from_slice(dates::format_date(d + rng.random_range(-days..=days)).as_bytes()),
            None => out.extend_from_slice(input),
        }
        return;
    }
    match dates::parse_timestamp(&text) {
        Some(ts) => ts.format_shifted(rng.random_range(-seconds..=seconds), out),
        None => out.extend_from_slice(input),
    }
}
