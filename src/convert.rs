//! Values from one engine's text form into another's, per type class: each conversion a small
//! function, chosen per column by the plan when source and target engines differ.

use std::fmt;

use crate::data::dates;
use crate::data::forms::{BinaryText, TextForms, ZeroDates, hex_into, truth};
use crate::schema::{Column, TypeClass};

/// One step of a column's conversion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// `t`/`f`, `1`/`0`, `true`/`false` → the target's spellings.
    Bool { yes: &'static str, no: &'static str },
    /// `\x00ff` → the bytes.
    HexToRaw,
    /// Bytes → `\x00ff`.
    RawToHex,
    /// Bytes with no text form in the target (geometry, bit) → lower-case hex text.
    RawToHexText,
    /// `2024-01-01 12:00:00+02` → `2024-01-01 10:00:00` (UTC, no zone).
    ToUtc,
    /// A zone-less UTC timestamp → `…+00`.
    AddUtc,
    /// A date (or timestamp) with zero parts.
    ZeroDate(ZeroDates),
    /// A PostgreSQL array literal → a JSON array (numbers as numbers when `numeric`).
    ArrayToJson { numeric: bool },
    /// NaN and ±Infinity, which the target cannot store.
    FiniteFloat,
}

/// Why a value could not be converted; the caller adds table, column and row.
#[derive(Debug, PartialEq, Eq)]
pub struct ConvertError(pub String);

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The steps that take `source`'s values (in `from`'s text form) into `target` (in `to`'s), or
/// why they cannot: the reason names both types.
pub fn plan_column(
    source: &Column,
    from: &TextForms,
    target: &Column,
    to: &TextForms,
    zero: ZeroDates,
) -> Result<Vec<Step>, String> {
    use TypeClass as C;
    let (s, t) = (source.class, target.class);
    let cannot = || {
        Err(format!(
            "no conversion from {} ({}) to {} ({})",
            source.declared_type,
            s.label(),
            target.declared_type,
            t.label()
        ))
    };
    let mut steps = Vec::new();
    let zero_dates = from.zero_dates && !to.zero_dates && matches!(s, C::Date | C::Timestamp | C::TimestampTz);
    if zero_dates {
        if zero == ZeroDates::Null && !target.nullable {
            return Err(format!(
                "zero dates would become NULL, but the target column is NOT NULL ({})",
                target.declared_type
            ));
        }
        steps.push(Step::ZeroDate(zero));
    }
    match (s, t) {
        (C::Bool, C::Bool) | (C::Bool, C::Int { .. }) => {
            if from.booleans != to.booleans {
                steps.push(Step::Bool { yes: to.booleans.0, no: to.booleans.1 });
            }
        }
        // A narrower target integer is the target's to police: every engine rejects a value out
        // of range (SQLite has only 64-bit integers), and the load rolls back.
        (C::Int { .. }, C::Int { .. }) => {}
        // Digits kept as text (SQLite's way to hold a decimal exactly) read back as numbers.
        (C::Int { .. }, C::Decimal) | (C::Text, C::Decimal) => {}
        (C::Decimal, C::Decimal) | (C::Int { .. } | C::Decimal, C::Text) => {
            if let (C::Decimal, Some(digits)) = (t, to.decimal_digits) {
                return Err(format!(
                    "{} keeps {digits} significant digits and would round {}; declare the target column as text",
                    target.declared_type, source.declared_type
                ));
            }
        }
        (C::Float, C::Float) | (C::Float, C::Decimal) => {
            if from.non_finite_floats && !to.non_finite_floats {
                steps.push(Step::FiniteFloat);
            }
        }
        (C::Binary, C::Binary) => match (from.binary, to.binary) {
            (BinaryText::Hex, BinaryText::Raw) => steps.push(Step::HexToRaw),
            (BinaryText::Raw, BinaryText::Hex) => steps.push(Step::RawToHex),
            _ => {}
        },
        (C::TimestampTz, C::Timestamp) | (C::TimestampTz, C::Text) => steps.push(Step::ToUtc),
        (C::Timestamp, C::TimestampTz) => steps.push(Step::AddUtc),
        (C::Date, C::Date | C::Text) | (C::Timestamp, C::Timestamp | C::Text) | (C::TimestampTz, C::TimestampTz) => {}
        (C::Time, C::Time | C::Text | C::Interval) | (C::Interval, C::Interval | C::Text | C::Time) => {}
        // Text into a typed column: the target parses it and rejects what it cannot read.
        (C::Text, C::Interval | C::Date | C::Time | C::Timestamp | C::TimestampTz) => {}
        (C::Uuid | C::Text | C::Enum | C::Inet | C::Json, C::Uuid | C::Text | C::Enum | C::Inet | C::Json) => {
            if let (Some(max_t), Some(max_s)) = (target.max_chars, source.max_chars)
                && max_t < max_s
            {
                return Err(format!("{} is shorter than {}", target.declared_type, source.declared_type));
            }
        }
        (C::Array, C::Json | C::Text) if from.arrays => {
            let element = source.declared_type.trim_end_matches("[]").to_ascii_lowercase();
            let numeric = ["smallint", "integer", "bigint", "numeric", "real", "double precision"]
                .iter()
                .any(|n| element.starts_with(n));
            steps.push(Step::ArrayToJson { numeric });
        }
        (C::Binary | C::Other, C::Text)
            if from.binary == BinaryText::Raw && (from.byte_valued)(&source.declared_type) =>
        {
            steps.push(Step::RawToHexText)
        }
        (C::Other, C::Text) => {}
        _ => return cannot(),
    }
    Ok(steps)
}

/// Apply `steps` to one value; `Ok(false)` for NULL.
/// Apply `steps` to one value; `Ok(false)` for NULL. `scratch` is the caller's, reused from
/// value to value so a conversion allocates nothing once the buffers have grown.
pub fn apply(
    steps: &[Step],
    input: Option<&[u8]>,
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
) -> Result<bool, ConvertError> {
    out.clear();
    let Some(input) = input else { return Ok(false) };
    out.extend_from_slice(input);
    for step in steps {
        scratch.clear();
        if !convert(step, out, scratch)? {
            out.clear();
            return Ok(false);
        }
        std::mem::swap(out, scratch);
    }
    Ok(true)
}

fn text(v: &[u8]) -> Result<&str, ConvertError> {
    std::str::from_utf8(v).map_err(|_| ConvertError("not UTF-8 text".into()))
}

/// One step; `Ok(false)` when the value becomes NULL.
fn convert(step: &Step, v: &[u8], out: &mut Vec<u8>) -> Result<bool, ConvertError> {
    match step {
        Step::Bool { yes, no } => {
            let word = match truth(v) {
                Some(true) => yes,
                Some(false) => no,
                None => {
                    let shown = String::from_utf8_lossy(v);
                    return Err(ConvertError(format!("boolean value {shown:?} is neither true nor false")));
                }
            };
            out.extend_from_slice(word.as_bytes());
        }
        Step::HexToRaw => {
            let hex = v.strip_prefix(b"\\x").ok_or_else(|| ConvertError("bytea value is not in hex form".into()))?;
            if hex.len() % 2 != 0 {
                return Err(ConvertError("bytea hex has an odd length".into()));
            }
            for pair in hex.chunks(2) {
                let digit = |b: u8| {
                    (b as char).to_digit(16).ok_or_else(|| ConvertError("bytea hex has a non-hex digit".into()))
                };
                out.push((digit(pair[0])? * 16 + digit(pair[1])?) as u8);
            }
        }
        Step::RawToHex | Step::RawToHexText => {
            if *step == Step::RawToHex {
                out.extend_from_slice(b"\\x");
            }
            hex_into(v, out);
        }
        Step::ToUtc => {
            let t = text(v)?;
            match dates::parse_timestamp(t) {
                Some(ts) => {
                    let offset = zone_seconds(ts.zone)
                        .ok_or_else(|| ConvertError(format!("time zone {:?} is not an offset", ts.zone)))?;
                    let shifted = dates::Timestamp { zone: "", ..ts };
                    shifted.format_shifted(-offset, out);
                }
                // infinity and BC dates have no UTC wall-clock form elsewhere.
                None => return Err(ConvertError(format!("timestamp {t:?} has no equivalent outside PostgreSQL"))),
            }
        }
        Step::AddUtc => {
            out.extend_from_slice(v);
            out.extend_from_slice(b"+00");
        }
        Step::ZeroDate(policy) => {
            let t = text(v)?;
            let zero =
                t.starts_with("0000-") || t.get(4..10).is_some_and(|md| md.starts_with("-00") || md.ends_with("-00"));
            if zero {
                return match policy {
                    ZeroDates::Null => Ok(false),
                    ZeroDates::Error => Err(ConvertError(format!(
                        "zero date {t:?} has no equivalent in the target; set `zero_dates: null` to write NULL"
                    ))),
                };
            }
            out.extend_from_slice(v);
        }
        Step::ArrayToJson { numeric } => {
            let value = parse_pg_array(text(v)?, *numeric)?;
            out.extend_from_slice(value.to_string().as_bytes());
        }
        Step::FiniteFloat => {
            let t = text(v)?;
            if matches!(t, "NaN" | "Infinity" | "-Infinity") {
                return Err(ConvertError(format!("floating-point {t} cannot be stored in the target")));
            }
            out.extend_from_slice(v);
        }
    }
    Ok(true)
}

/// `+02`, `-05:30`, `Z`, `` → seconds east of UTC.
fn zone_seconds(zone: &str) -> Option<i64> {
    if zone.is_empty() || zone == "Z" {
        return Some(0);
    }
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let mut parts = zone[1..].split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    let s: i64 = parts.next().map_or(Some(0), |s| s.parse().ok())?;
    Some(sign * (h * 3600 + m * 60 + s))
}

/// PostgreSQL's array literal (`{1,2,NULL}`, `{"a b","c\"d"}`, `{{1,2},{3,4}}`) as JSON.
pub fn parse_pg_array(text: &str, numeric: bool) -> Result<serde_json::Value, ConvertError> {
    let bad = || ConvertError(format!("array {text:?} is not a PostgreSQL array literal"));
    // A lower-bound decoration (`[0:1]={…}`) carries no values.
    let body = match text.find("={") {
        Some(i) if text.starts_with('[') => &text[i + 1..],
        _ => text,
    };
    let chars: Vec<char> = body.chars().collect();
    let mut pos = 0;
    let value = parse_level(&chars, &mut pos, numeric).ok_or_else(bad)?;
    if pos != chars.len() {
        return Err(bad());
    }
    Ok(value)
}

fn parse_level(c: &[char], pos: &mut usize, numeric: bool) -> Option<serde_json::Value> {
    use serde_json::Value;
    if c.get(*pos) != Some(&'{') {
        return None;
    }
    *pos += 1;
    let mut items = Vec::new();
    if c.get(*pos) == Some(&'}') {
        *pos += 1;
        return Some(Value::Array(items));
    }
    loop {
        let item = match c.get(*pos)? {
            '{' => parse_level(c, pos, numeric)?,
            '"' => {
                *pos += 1;
                let mut s = String::new();
                loop {
                    match c.get(*pos)? {
                        '\\' => {
                            s.push(*c.get(*pos + 1)?);
                            *pos += 2;
                        }
                        '"' => {
                            *pos += 1;
                            break;
                        }
                        ch => {
                            s.push(*ch);
                            *pos += 1;
                        }
                    }
                }
                Value::String(s)
            }
            _ => {
                let start = *pos;
                while !matches!(c.get(*pos)?, ',' | '}') {
                    *pos += 1;
                }
                let raw: String = c[start..*pos].iter().collect();
                let raw = raw.trim();
                if raw.eq_ignore_ascii_case("NULL") {
                    Value::Null
                } else if numeric {
                    serde_json::from_str::<serde_json::Number>(raw)
                        .map(Value::Number)
                        .unwrap_or(Value::String(raw.to_string()))
                } else {
                    Value::String(raw.to_string())
                }
            }
        };
        items.push(item);
        match c.get(*pos)? {
            ',' => *pos += 1,
            '}' => {
                *pos += 1;
                return Some(Value::Array(items));
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(steps: &[Step], v: &str) -> Result<Option<String>, ConvertError> {
        let mut out = Vec::new();
        Ok(apply(steps, Some(v.as_bytes()), &mut out, &mut Vec::new())?
            .then(|| String::from_utf8_lossy(&out).into_owned()))
    }

    #[test]
    fn booleans_binary_and_times() {
        assert_eq!(run(&[Step::Bool { yes: "1", no: "0" }], "t"), Ok(Some("1".into())));
        assert_eq!(run(&[Step::Bool { yes: "t", no: "f" }], "0"), Ok(Some("f".into())));
        assert!(run(&[Step::Bool { yes: "1", no: "0" }], "maybe").is_err());
        let mut out = Vec::new();
        apply(&[Step::HexToRaw], Some(b"\\x00ff10"), &mut out, &mut Vec::new()).unwrap();
        assert_eq!(out, [0, 255, 16]);
        apply(&[Step::RawToHex], Some(&[0, 255]), &mut out, &mut Vec::new()).unwrap();
        assert_eq!(out, b"\\x00ff");
        assert_eq!(run(&[Step::ToUtc], "2024-01-01 01:30:00.5+02"), Ok(Some("2023-12-31 23:30:00.5".into())));
        assert_eq!(run(&[Step::ToUtc], "2024-01-01 01:30:00-05:30"), Ok(Some("2024-01-01 07:00:00".into())));
        assert!(run(&[Step::ToUtc], "infinity").unwrap_err().0.contains("no equivalent"));
        assert_eq!(run(&[Step::AddUtc], "2024-01-01 10:00:00"), Ok(Some("2024-01-01 10:00:00+00".into())));
    }

    #[test]
    fn zero_dates_follow_the_policy() {
        assert_eq!(run(&[Step::ZeroDate(ZeroDates::Null)], "0000-00-00 00:00:00"), Ok(None));
        assert_eq!(run(&[Step::ZeroDate(ZeroDates::Null)], "2024-05-00"), Ok(None));
        assert!(run(&[Step::ZeroDate(ZeroDates::Error)], "0000-00-00").unwrap_err().0.contains("zero_dates: null"));
        assert_eq!(run(&[Step::ZeroDate(ZeroDates::Error)], "2024-05-01"), Ok(Some("2024-05-01".into())));
    }

    #[test]
    fn arrays_become_json() {
        assert_eq!(parse_pg_array("{1,2,NULL}", true).unwrap().to_string(), "[1,2,null]");
        assert_eq!(
            parse_pg_array(r#"{"a b","c\"d",e,NULL,""}"#, false).unwrap().to_string(),
            r#"["a b","c\"d","e",null,""]"#
        );
        assert_eq!(parse_pg_array("{{1,2},{3,4}}", true).unwrap().to_string(), "[[1,2],[3,4]]");
        assert_eq!(parse_pg_array("{}", false).unwrap().to_string(), "[]");
        assert_eq!(parse_pg_array("[0:1]={7,8}", true).unwrap().to_string(), "[7,8]");
        assert!(parse_pg_array("{1,2", true).is_err());
    }

    #[test]
    fn floats_that_cannot_be_stored() {
        assert!(run(&[Step::FiniteFloat], "NaN").is_err());
        assert_eq!(run(&[Step::FiniteFloat], "1e+300"), Ok(Some("1e+300".into())));
    }
}
