//! One spelling per type class, so the same value read from two engines compares alike.

use crate::engine::ddl::is_fixed_char;
use crate::schema::{Column, TypeClass};

/// How a type's values are spelled alike before they are compared: what the copy wrote, as its
/// conversions gave it, and what the target reads back are the same value but not always the
/// same bytes (`t` and `1`, `1e300` and `1e+300`, `12:00:00` and `12:00:00.000000+00`, JSON
/// keys in another order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spelling {
    AsIs,
    /// `char(n)`: the target pads what was written with spaces.
    FixedChar,
    Bool,
    Decimal,
    Float,
    Time,
    Json,
}

impl Spelling {
    pub fn of(column: &Column) -> Self {
        match column.class {
            TypeClass::Text if is_fixed_char(column) => Spelling::FixedChar,
            TypeClass::Bool => Spelling::Bool,
            TypeClass::Decimal => Spelling::Decimal,
            TypeClass::Float => Spelling::Float,
            TypeClass::Time | TypeClass::Timestamp | TypeClass::TimestampTz => Spelling::Time,
            TypeClass::Json => Spelling::Json,
            _ => Spelling::AsIs,
        }
    }

    /// `value` in this spelling: itself, a part of it, or written into `out`. Every value of
    /// both sides passes here, so the common spellings neither allocate nor check UTF-8.
    pub fn spell<'a>(self, value: &'a [u8], out: &'a mut Vec<u8>) -> &'a [u8] {
        match self {
            Spelling::AsIs => value,
            Spelling::FixedChar => {
                let kept = value.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
                &value[..kept]
            }
            Spelling::Decimal => trim_fraction(value),
            Spelling::Bool => match value {
                b"t" | b"1" => b"1",
                b"f" | b"0" => b"0",
                _ if value.eq_ignore_ascii_case(b"true") => b"1",
                _ if value.eq_ignore_ascii_case(b"false") => b"0",
                _ => value,
            },
            Spelling::Float => match std::str::from_utf8(value).ok().and_then(|t| t.parse::<f64>().ok()) {
                Some(f) => {
                    out.clear();
                    out.extend_from_slice(&f.to_bits().to_le_bytes());
                    out
                }
                None => value,
            },
            Spelling::Time => {
                out.clear();
                out.extend_from_slice(value);
                if let Some(t) = out.iter().position(|&b| b == b'T') {
                    out[t] = b' ';
                }
                if let Some(zone) = [&b"+00:00"[..], b"+00", b"Z"].into_iter().find(|z| out.ends_with(z)) {
                    out.truncate(out.len() - zone.len());
                }
                let kept = trim_fraction(out).len();
                out.truncate(kept);
                out
            }
            Spelling::Json => {
                match std::str::from_utf8(value).ok().and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok()) {
                    Some(v) => {
                        out.clear();
                        out.extend_from_slice(sorted_json(v).to_string().as_bytes());
                        out
                    }
                    None => value,
                }
            }
        }
    }
}

/// `1.500` as `1.5`, `2.000` as `2`; anything without a fraction as it is.
fn trim_fraction(text: &[u8]) -> &[u8] {
    let Some(dot) = text.iter().position(|&b| b == b'.') else { return text };
    let fraction = &text[dot + 1..];
    if !fraction.iter().all(u8::is_ascii_digit) {
        return text;
    }
    match fraction.iter().rposition(|&b| b != b'0') {
        Some(last) => &text[..dot + 1 + last + 1],
        None => &text[..dot],
    }
}

/// Object keys in one order at every depth (engines store JSON objects in their own).
fn sorted_json(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted_json(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted_json).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_spellings_of_one_value_compare_alike() {
        let alike = |s: Spelling, a: &str, b: &str| {
            let (mut x, mut y) = (Vec::new(), Vec::new());
            s.spell(a.as_bytes(), &mut x) == s.spell(b.as_bytes(), &mut y)
        };
        assert!(alike(Spelling::Bool, "t", "1"));
        assert!(alike(Spelling::Bool, "FALSE", "0"));
        assert!(alike(Spelling::FixedChar, "Ann  ", "Ann"));
        assert!(alike(Spelling::FixedChar, "   ", ""));
        assert!(alike(Spelling::Float, "-1e300", "-1e+300"));
        assert!(alike(Spelling::Decimal, "1.500", "1.5"));
        assert!(alike(Spelling::Decimal, "2.000", "2"));
        assert!(alike(Spelling::Time, "2024-01-01 00:00:00", "2024-01-01T00:00:00.000000+00"));
        assert!(alike(Spelling::Time, "2024-01-01 00:00:00.5", "2024-01-01 00:00:00.500Z"));
        assert!(alike(Spelling::Json, r#"{"b": 1, "a": [1]}"#, r#"{"a":[1],"b":1}"#));
        assert!(!alike(Spelling::Decimal, "1.5", "1.05"));
        assert!(!alike(Spelling::Decimal, "10", "1"));
        assert!(!alike(Spelling::Time, "2024-01-01 00:00:00+01", "2024-01-01 00:00:00"));
        assert!(!alike(Spelling::AsIs, "Ann", "ann"));
        assert!(!alike(Spelling::FixedChar, " Ann", "Ann"));
    }
}
