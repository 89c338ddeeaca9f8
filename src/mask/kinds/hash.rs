//! `hash`: keyed digits or hex of the input's length (or a given one), or a whole UUID, bytes
//! or a JSON string, by the column's type.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::super::ids;
use super::super::keyring::Keyring;
use super::super::rule::FullRule;
use super::super::slot::{Slot, int_bounds};
use crate::schema::{Column, TypeClass};

const DEFAULT_HASH_HEX: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashFormat {
    Hex,
    Digits,
}

#[derive(Clone, Debug)]
pub struct Hash {
    /// `None`: hex for text, digits for integers.
    pub format: Option<HashFormat>,
    pub length: Option<u32>,
}

impl Hash {
    pub fn compile(r: &FullRule) -> Result<Self, String> {
        let format = match r.format.as_deref() {
            None => None,
            Some("hex") => Some(HashFormat::Hex),
            Some("digits") => Some(HashFormat::Digits),
            Some(other) => return Err(format!("hash format {other:?}: use hex or digits")),
        };
        if r.length == Some(0) {
            return Err("hash length must be at least 1".into());
        }
        Ok(Hash { format, length: r.length })
    }

    pub fn check(&self, column: &Column) -> Result<Option<usize>, String> {
        let declared = &column.declared_type;
        match column.class {
            TypeClass::Text => {
                if let (Some(max), Some(len)) = (column.max_chars, self.length)
                    && len > max
                {
                    return Err(format!("hash length {len} is longer than {declared}"));
                }
            }
            TypeClass::Int { bytes } => {
                let digits = int_bounds(bytes).1.to_string().len() as u32;
                if self.format == Some(HashFormat::Hex) {
                    return Err(format!("hash format hex cannot go into {declared}; use digits"));
                }
                if let Some(len) = self.length.filter(|&l| l >= digits) {
                    return Err(format!("hash length {len} does not fit {declared}"));
                }
            }
            TypeClass::Uuid if self.length.is_some() => {
                return Err("hash into a uuid column is always a whole UUID; drop `length`".into());
            }
            TypeClass::Uuid | TypeClass::Binary | TypeClass::Json => {}
            _ => return Err(super::super::slot::cannot("hash", column)),
        }
        Ok(None)
    }

    pub fn write(&self, slot: &Slot, input: &[u8], keys: &Keyring, out: &mut Vec<u8>) {
        let (format, length) = (self.format.unwrap_or(HashFormat::Hex), self.length);
        let mut rng = keys.rng("hash", input);
        match slot.class {
            TypeClass::Int { bytes } => {
                let (_, type_max) = int_bounds(bytes);
                let digits =
                    length.map_or_else(|| input.iter().filter(|b| b.is_ascii_digit()).count().max(1), |l| l as usize);
                let lo = if digits == 1 { 0 } else { 10i64.saturating_pow(digits as u32 - 1) };
                let hi = 10i64.saturating_pow(digits as u32).saturating_sub(1).min(type_max);
                out.extend_from_slice(rng.random_range(lo.min(hi)..=hi).to_string().as_bytes());
            }
            TypeClass::Uuid => {
                let d = keys.digest("hash", input);
                ids::uuid(d[..16].try_into().expect("16 bytes"), out);
            }
            TypeClass::Binary => {
                let len = length.map_or_else(|| slot.binary_len(input), |l| l as usize);
                let bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
                slot.binary_out(&bytes, out);
            }
            TypeClass::Json => {
                out.push(b'"');
                draw_chars(&mut rng, format, length.map_or(DEFAULT_HASH_HEX, |l| l as usize), out);
                out.push(b'"');
            }
            _ => {
                let len = length.map_or_else(|| String::from_utf8_lossy(input).chars().count(), |l| l as usize);
                draw_chars(&mut rng, format, slot.max_chars.map_or(len, |m| len.min(m)), out);
            }
        }
    }

    /// Keyed bits per value, or why a hash of this column may collide whatever the bits.
    pub fn unique_bits(&self, slot: &Slot) -> Result<f64, String> {
        Ok(match (slot.class, self.length) {
            (TypeClass::Uuid, _) => 122.0,
            (TypeClass::Json, length) => 4.0 * length.map_or(DEFAULT_HASH_HEX, |l| l as usize) as f64,
            (TypeClass::Binary, Some(len)) => 8.0 * len as f64,
            (_, None) => {
                return Err("hash keeps each value's length, so short values can collide; give a `length`".into());
            }
            (class, Some(len)) => {
                let digits = matches!(class, TypeClass::Int { .. }) || self.format == Some(HashFormat::Digits);
                let per_char = if digits { 10f64.log2() } else { 4.0 };
                per_char * len as f64
            }
        })
    }
}

fn draw_chars(rng: &mut ChaCha8Rng, format: HashFormat, len: usize, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for i in 0..len {
        let c = match format {
            HashFormat::Hex => HEX[rng.random_range(0..16)],
            // No leading zero, so a digits hash read as a number keeps its length.
            HashFormat::Digits if i == 0 && len > 1 => b'1' + rng.random_range(0..9),
            HashFormat::Digits => b'0' + rng.random_range(0..10),
        };
        out.push(c);
    }
}
