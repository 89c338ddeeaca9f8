//! Values with a fixed structure drawn from the keyed hash: IP and MAC addresses, card numbers
//! (Luhn-valid), IBANs (mod 97), UUIDs.

use super::super::ids;
use super::super::keyring::Keyring;
use super::super::kind::Kind;
use super::super::locale::Locale;
use super::super::rule::FullRule;
use super::super::slot::{Slot, cannot};
use crate::schema::{Column, TypeClass};

#[derive(Clone, Debug)]
pub enum Generated {
    Ipv4,
    Ipv6,
    Mac,
    CreditCard,
    Uuid,
    Iban { country: &'static str },
}

impl Generated {
    pub fn compile(kind: Kind, r: &FullRule, locale: Locale) -> Result<Self, String> {
        Ok(match kind {
            Kind::Ipv4 => Generated::Ipv4,
            Kind::Ipv6 => Generated::Ipv6,
            Kind::Mac => Generated::Mac,
            Kind::CreditCard => Generated::CreditCard,
            Kind::Uuid => Generated::Uuid,
            _ => {
                let wanted = r.country.clone().unwrap_or_else(|| locale.country().to_string()).to_ascii_uppercase();
                let country = ids::iban_countries().into_iter().find(|c| *c == wanted).ok_or_else(|| {
                    let why =
                        if r.country.is_none() { format!(" (the country of locale {locale})") } else { String::new() };
                    let all = ids::iban_countries().join(", ");
                    format!("no IBAN format for {wanted}{why}; give `country:` one of {all}")
                })?;
                Generated::Iban { country }
            }
        })
    }

    pub fn kind(&self) -> Kind {
        match self {
            Generated::Ipv4 => Kind::Ipv4,
            Generated::Ipv6 => Kind::Ipv6,
            Generated::Mac => Kind::Mac,
            Generated::CreditCard => Kind::CreditCard,
            Generated::Uuid => Kind::Uuid,
            Generated::Iban { .. } => Kind::Iban,
        }
    }

    /// Text columns take every one of them, at their full length; some typed columns do too.
    pub fn check(&self, column: &Column) -> Result<Option<usize>, String> {
        let class = column.class;
        let (min_chars, typed) = match self {
            Generated::Ipv4 => (Some(15), class == TypeClass::Inet),
            Generated::Ipv6 => (Some(39), class == TypeClass::Inet),
            Generated::Mac => (Some(17), column.declared_type.starts_with("macaddr")),
            Generated::CreditCard => (Some(16), class == TypeClass::Decimal || class == TypeClass::Int { bytes: 8 }),
            Generated::Uuid => (Some(36), class == TypeClass::Uuid || class == TypeClass::Binary),
            Generated::Iban { country } => (ids::iban_length(country), false),
        };
        if class == TypeClass::Text || typed { Ok(min_chars) } else { Err(cannot(self.kind(), column)) }
    }

    pub fn write(&self, slot: &Slot, input: &[u8], keys: &Keyring, out: &mut Vec<u8>) {
        let name = self.kind().name();
        match self {
            Generated::Ipv4 => {
                let d = keys.digest(name, input);
                // Unicast: first octet 11..=223 (past 10/8), never loopback.
                let first = 11 + u32::from(d[0]) % 213;
                let first = if first == 127 { 128 } else { first };
                out.extend_from_slice(format!("{first}.{}.{}.{}", d[1], d[2], 1 + d[3] % 254).as_bytes());
            }
            Generated::Ipv6 => ids::ipv6(keys.digest(name, input)[..12].try_into().expect("12 bytes"), out),
            Generated::Mac => ids::mac(keys.digest(name, input)[..6].try_into().expect("6 bytes"), out),
            Generated::Uuid => {
                let d = keys.digest(name, input);
                if slot.class == TypeClass::Binary {
                    slot.binary_out(&d[..16], out);
                } else {
                    ids::uuid(d[..16].try_into().expect("16 bytes"), out);
                }
            }
            Generated::CreditCard => out.extend_from_slice(ids::credit_card(&mut keys.rng(name, input)).as_bytes()),
            Generated::Iban { country } => {
                out.extend_from_slice(ids::iban(country, &mut keys.rng(name, input)).as_bytes())
            }
        }
    }

    pub fn unique_bits(&self) -> f64 {
        match self {
            Generated::Uuid => 122.0,
            Generated::Ipv6 => 96.0,
            _ => 0.0,
        }
    }
}
