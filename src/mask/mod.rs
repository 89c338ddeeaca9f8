//! How a value is transformed. A [`Masker`] is built once per masked column by the plan, after
//! checking that its output fits the column; per row it only draws and formats.

mod fake_kinds;
mod infer;
mod keyring;

use std::fmt;

use serde::Deserialize;

pub use infer::{infer, looks_personal};
pub use keyring::Keyring;

use crate::schema::{Column, TypeClass};

/// A mask kind as named in the config.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Email,
    FirstName,
    LastName,
    Name,
    Phone,
    StreetAddress,
    City,
    Zip,
    Company,
    Username,
    Ipv4,
    DateOfBirth,
    LoremWords,
    #[serde(alias = "lorem")]
    LoremSentence,
    Hash,
    Null,
    Set,
    Keep,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::FirstName => "first_name",
            Kind::LastName => "last_name",
            Kind::Name => "name",
            Kind::Phone => "phone",
            Kind::StreetAddress => "street_address",
            Kind::City => "city",
            Kind::Zip => "zip",
            Kind::Company => "company",
            Kind::Username => "username",
            Kind::Ipv4 => "ipv4",
            Kind::DateOfBirth => "date_of_birth",
            Kind::LoremWords => "lorem_words",
            Kind::LoremSentence => "lorem_sentence",
            Kind::Hash => "hash",
            Kind::Null => "null",
            Kind::Set => "set",
            Kind::Keep => "keep",
        }
    }

    /// Kinds whose output is free text from the `fake` crate.
    fn is_fake_text(self) -> bool {
        matches!(
            self,
            Kind::Email
                | Kind::FirstName
                | Kind::LastName
                | Kind::Name
                | Kind::Phone
                | Kind::StreetAddress
                | Kind::City
                | Kind::Zip
                | Kind::Company
                | Kind::Username
                | Kind::LoremWords
                | Kind::LoremSentence
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the source engine spells a binary value in its text form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryText {
    /// PostgreSQL `bytea` output: `\x` followed by hex digits.
    Hex,
    /// The bytes themselves.
    Raw,
}

/// Hex digits of the keyed hash appended to e-mails and usernames: 48 bits keep a million
/// distinct inputs collision-free with probability above 99.8 %. Appended whatever the column's
/// constraints, so one address masks the same in a unique column and in a plain one.
const UNIQUE_SUFFIX_HEX: usize = 12;
const HASH_TEXT_HEX: usize = 32;
const EMAIL_DOMAIN: &str = "@example.com";

/// A mask bound to one column: kind plus everything the column demands of its output.
#[derive(Clone, Debug)]
pub struct Masker {
    kind: Kind,
    class: TypeClass,
    max_chars: Option<usize>,
    /// Output carries a keyed suffix so distinct inputs stay distinct.
    suffixed: bool,
    constant: Option<Vec<u8>>,
    binary: BinaryText,
}

impl Masker {
    /// Check that `kind` can produce values `column` accepts. The error is the reason, without
    /// the column's name.
    pub fn new(kind: Kind, column: &Column, constant: Option<&str>, binary: BinaryText) -> Result<Self, String> {
        let class = column.class;
        let max_chars = column.max_chars.map(|n| n as usize);
        let type_mismatch = || {
            Err(format!("mask {kind} cannot produce a value for a {} column ({})", class.label(), column.declared_type))
        };
        match kind {
            Kind::Null if !column.nullable => {
                return Err(format!("mask null on a NOT NULL column ({})", column.declared_type));
            }
            Kind::Null | Kind::Keep => {}
            Kind::Set => {
                let value = constant.ok_or("mask set needs a value")?;
                if let Some(max) = max_chars {
                    let len = value.chars().count();
                    if len > max {
                        return Err(format!("set value is {len} characters, longer than {}", column.declared_type));
                    }
                }
            }
            Kind::Hash => {
                if !matches!(
                    class,
                    TypeClass::Text | TypeClass::Int { .. } | TypeClass::Uuid | TypeClass::Binary | TypeClass::Json
                ) {
                    return type_mismatch();
                }
            }
            Kind::Ipv4 => {
                if !matches!(class, TypeClass::Text | TypeClass::Inet) {
                    return type_mismatch();
                }
            }
            Kind::DateOfBirth => {
                if !matches!(class, TypeClass::Text | TypeClass::Date | TypeClass::Timestamp | TypeClass::TimestampTz) {
                    return type_mismatch();
                }
            }
            k if k.is_fake_text() => {
                if class != TypeClass::Text {
                    return type_mismatch();
                }
            }
            _ => unreachable!("every kind is matched above"),
        }
        let masker = Masker {
            kind,
            class,
            max_chars,
            suffixed: matches!(kind, Kind::Email | Kind::Username),
            constant: constant.map(|c| c.as_bytes().to_vec()),
            binary,
        };
        if let (Some(max), Some(min)) = (max_chars, masker.min_chars())
            && max < min
        {
            return Err(format!(
                "{} holds {max} characters, mask {kind} needs at least {min}{}",
                column.declared_type,
                if masker.suffixed { " to stay unique" } else { "" }
            ));
        }
        Ok(masker)
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Shortest output this mask can squeeze into a length-limited column.
    fn min_chars(&self) -> Option<usize> {
        match self.kind {
            Kind::Email => Some(UNIQUE_SUFFIX_HEX + EMAIL_DOMAIN.len()),
            Kind::Username => Some(UNIQUE_SUFFIX_HEX),
            Kind::Ipv4 => Some(15),
            Kind::DateOfBirth if self.class == TypeClass::Text => Some(10),
            _ => None,
        }
    }

    /// Write the masked form of `input` into `out` (cleared first). Returns false for NULL.
    /// NULL stays NULL under every kind.
    pub fn apply(&self, input: Option<&[u8]>, keys: &Keyring, out: &mut Vec<u8>) -> bool {
        out.clear();
        let Some(input) = input else { return false };
        match self.kind {
            Kind::Null => return false,
            Kind::Keep => out.extend_from_slice(input),
            Kind::Set => out.extend_from_slice(self.constant.as_deref().unwrap_or_default()),
            Kind::Hash => self.hash(input, keys, out),
            Kind::DateOfBirth => {
                let mut rng = keys.rng(self.kind.name(), input);
                let date = fake_kinds::date_of_birth(&mut rng);
                out.extend_from_slice(date.as_bytes());
                match self.class {
                    TypeClass::Timestamp => out.extend_from_slice(b" 00:00:00"),
                    TypeClass::TimestampTz => out.extend_from_slice(b" 00:00:00+00"),
                    _ => {}
                }
            }
            kind => {
                let mut rng = keys.rng(kind.name(), input);
                let value = self.fit(fake_kinds::generate(kind, &mut rng), &mut rng, input, keys);
                out.extend_from_slice(value.as_bytes());
            }
        }
        true
    }

    fn hash(&self, input: &[u8], keys: &Keyring, out: &mut Vec<u8>) {
        let digest = keys.digest("hash", input);
        match self.class {
            TypeClass::Int { bytes } => {
                let raw = u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"));
                let max = match bytes {
                    2 => i16::MAX as u64,
                    4 => i32::MAX as u64,
                    _ => i64::MAX as u64,
                };
                out.extend_from_slice((raw % (max + 1)).to_string().as_bytes());
            }
            TypeClass::Uuid => {
                let mut b: [u8; 16] = digest[..16].try_into().expect("16 bytes");
                b[6] = (b[6] & 0x0f) | 0x40;
                b[8] = (b[8] & 0x3f) | 0x80;
                let hex = hex(&b);
                for (i, range) in [0..8, 8..12, 12..16, 16..20, 20..32].into_iter().enumerate() {
                    if i > 0 {
                        out.push(b'-');
                    }
                    out.extend_from_slice(&hex.as_bytes()[range]);
                }
            }
            TypeClass::Binary => match self.binary {
                BinaryText::Hex => {
                    out.extend_from_slice(b"\\x");
                    out.extend_from_slice(hex(&digest).as_bytes());
                }
                BinaryText::Raw => out.extend_from_slice(&digest),
            },
            TypeClass::Json => {
                out.push(b'"');
                out.extend_from_slice(hex(&digest[..HASH_TEXT_HEX / 2]).as_bytes());
                out.push(b'"');
            }
            _ => {
                let len = self.max_chars.map_or(HASH_TEXT_HEX, |m| m.min(HASH_TEXT_HEX));
                out.extend_from_slice(&hex(&digest).as_bytes()[..len]);
            }
        }
    }

    /// Make a generated value fit the column: keyed suffix where the kind has one, then the
    /// length limit (min_chars guarantees room for the suffix).
    fn fit(&self, value: String, rng: &mut rand_chacha::ChaCha8Rng, input: &[u8], keys: &Keyring) -> String {
        let max = self.max_chars.unwrap_or(usize::MAX);
        if self.suffixed {
            let domain = if self.kind == Kind::Email { "email/suffix" } else { "username/suffix" };
            let digest = keys.digest(domain, input);
            let suffix = &hex(&digest)[..UNIQUE_SUFFIX_HEX];
            let (head, tail, sep) = match self.kind {
                Kind::Email => (value.split('@').next().unwrap_or_default(), EMAIL_DOMAIN, '.'),
                _ => (value.as_str(), "", '_'),
            };
            let room = max.saturating_sub(suffix.len() + tail.len() + 1);
            let head = truncate_chars(head, room).trim_end_matches(['.', '_', ' ']);
            return if head.is_empty() { format!("{suffix}{tail}") } else { format!("{head}{sep}{suffix}{tail}") };
        }
        if value.chars().count() <= max {
            return value;
        }
        // Another draw is usually short enough and reads better than a cut-off word.
        for _ in 0..8 {
            let again = fake_kinds::generate(self.kind, rng);
            if again.chars().count() <= max {
                return again;
            }
        }
        truncate_chars(&value, max).trim_end().to_string()
    }
}

fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests;
