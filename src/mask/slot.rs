//! The column a masker writes into: its facts, and how values are spelled in its text form.

use crate::data::dates;
use crate::data::forms::{BinaryText, hex_into};
use crate::schema::{Column, TypeClass};

/// What a bound rule knows of its column.
#[derive(Clone, Debug)]
pub struct Slot {
    pub class: TypeClass,
    pub declared_type: String,
    /// Characters the column holds, when it is text with a limit.
    pub max_chars: Option<usize>,
    pub nullable: bool,
    /// How the source spells binary values.
    pub binary: BinaryText,
}

impl Slot {
    pub fn of(column: &Column, binary: BinaryText) -> Self {
        Slot {
            class: column.class,
            declared_type: column.declared_type.clone(),
            max_chars: column.max_chars.map(|n| n as usize),
            nullable: column.nullable,
            binary,
        }
    }

    /// Bytes in a binary value as the source spells it.
    pub fn binary_len(&self, input: &[u8]) -> usize {
        match self.binary {
            BinaryText::Hex => input.len().saturating_sub(2) / 2,
            BinaryText::Raw => input.len(),
        }
    }

    pub fn binary_out(&self, bytes: &[u8], out: &mut Vec<u8>) {
        match self.binary {
            BinaryText::Hex => {
                out.extend_from_slice(b"\\x");
                hex_into(bytes, out);
            }
            BinaryText::Raw => out.extend_from_slice(bytes),
        }
    }

    /// A date (days since 1970), with the time of day for timestamp columns.
    pub fn date_out(&self, days: i64, seconds: i64, out: &mut Vec<u8>) {
        out.extend_from_slice(dates::format_date(days).as_bytes());
        let time = format!(" {:02}:{:02}:{:02}", seconds / 3600, seconds % 3600 / 60, seconds % 60);
        match self.class {
            TypeClass::Timestamp => out.extend_from_slice(time.as_bytes()),
            TypeClass::TimestampTz => {
                out.extend_from_slice(time.as_bytes());
                out.extend_from_slice(b"+00");
            }
            _ => {}
        }
    }

    /// A result longer than a text column holds is an error (for kinds whose length follows
    /// their input: regex, json).
    pub fn check_length(&self, what: &str, out: &[u8]) -> Result<(), String> {
        if let Some(max) = self.max_chars
            && self.class == TypeClass::Text
        {
            let len = String::from_utf8_lossy(out).chars().count();
            if len > max {
                return Err(format!("{what} result is {len} characters, longer than {}", self.declared_type));
            }
        }
        Ok(())
    }
}

/// The range of a signed integer of `bytes` bytes.
pub fn int_bounds(bytes: u8) -> (i64, i64) {
    let bits = u32::from(bytes.clamp(1, 8)) * 8;
    if bits == 64 { (i64::MIN, i64::MAX) } else { (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1) }
}

pub fn utf8(input: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(input).map_err(|_| "the value is not UTF-8 text".to_string())
}

pub fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Why a column cannot take a kind's values, in the words every kind uses.
pub fn cannot(kind: impl std::fmt::Display, column: &Column) -> String {
    format!("mask {kind} cannot produce a value for {} column ({})", column.class.a(), column.declared_type)
}
