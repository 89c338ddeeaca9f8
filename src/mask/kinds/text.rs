//! Fake text from the `fake` crate in the rule's locale (names, addresses, lorem …), and the
//! two kinds that must stay unique: `email` and `username`, which end in a keyed suffix.

use rand_chacha::ChaCha8Rng;

use super::super::fake_kinds;
use super::super::keyring::Keyring;
use super::super::kind::Kind;
use super::super::locale::Locale;
use super::super::rule::FullRule;
use super::super::slot::{Slot, cannot, truncate_chars};
use crate::schema::{Column, TypeClass};

/// Base-32 characters of the keyed hash appended to e-mails and usernames: 60 bits, above the
/// bound a unique column needs. Appended whatever the column's constraints, so one address
/// masks the same in a unique column and in a plain one.
const SUFFIX_CHARS: usize = 12;

#[derive(Clone, Debug)]
pub struct Text {
    kind: Kind,
    locale: Locale,
    /// `email`: the domain of every fake address.
    domain: String,
}

impl Text {
    pub fn compile(kind: Kind, r: &FullRule, locale: Locale) -> Result<Self, String> {
        let domain = r.domain.clone().unwrap_or_else(|| "example.com".into());
        if kind == Kind::Email {
            let valid = !domain.is_empty()
                && domain.contains('.')
                && domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            if !valid {
                return Err(format!("domain {domain:?} is not a host name like example.com"));
            }
        }
        Ok(Text { kind, locale, domain })
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// `email`: the host of every address written.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    pub fn check(&self, column: &Column) -> Result<Option<usize>, String> {
        if column.class != TypeClass::Text {
            return Err(cannot(self.kind, column));
        }
        Ok(match self.kind {
            Kind::Email => Some(SUFFIX_CHARS + 1 + self.domain.len()),
            Kind::Username => Some(SUFFIX_CHARS),
            // The others shorten themselves to the column.
            _ => None,
        })
    }

    pub fn write(&self, slot: &Slot, input: &[u8], keys: &Keyring, out: &mut Vec<u8>) {
        let mut rng = keys.rng(self.kind.name(), input);
        let value = fake_kinds::generate(self.kind, self.locale, &mut rng);
        match self.kind {
            Kind::Email => suffixed(slot, &value, Some(&self.domain), '.', "email/suffix", input, keys, out),
            Kind::Username => suffixed(slot, &value, None, '_', "username/suffix", input, keys, out),
            _ => out.extend_from_slice(self.fit(slot, value, &mut rng).as_bytes()),
        }
    }

    pub fn unique_bits(&self) -> f64 {
        match self.kind {
            Kind::Email | Kind::Username => 5.0 * SUFFIX_CHARS as f64,
            _ => 0.0,
        }
    }

    /// Make a generated value fit the column's length.
    fn fit(&self, slot: &Slot, value: String, rng: &mut ChaCha8Rng) -> String {
        let max = slot.max_chars.unwrap_or(usize::MAX);
        if value.chars().count() <= max {
            return value;
        }
        // Another draw is usually short enough and reads better than a cut-off word.
        for _ in 0..8 {
            let again = fake_kinds::generate(self.kind, self.locale, rng);
            if again.chars().count() <= max {
                return again;
            }
        }
        truncate_chars(&value, max).trim_end().to_string()
    }
}

/// `head` + separator + keyed suffix (+ `@domain`), `head` shortened to fit the column.
#[allow(clippy::too_many_arguments)]
fn suffixed(
    slot: &Slot,
    head: &str,
    domain: Option<&str>,
    sep: char,
    key_domain: &str,
    input: &[u8],
    keys: &Keyring,
    out: &mut Vec<u8>,
) {
    let digest = keys.digest(key_domain, input);
    let suffix = base32(&digest, SUFFIX_CHARS);
    let tail_len = domain.map_or(0, |d| d.len() + 1);
    let max = slot.max_chars.unwrap_or(usize::MAX);
    let room = max.saturating_sub(suffix.len() + tail_len + 1);
    let head = truncate_chars(head, room).trim_end_matches(['.', '_', ' ', '-']);
    if !head.is_empty() {
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(sep.encode_utf8(&mut [0; 4]).as_bytes());
    }
    out.extend_from_slice(suffix.as_bytes());
    if let Some(d) = domain {
        out.push(b'@');
        out.extend_from_slice(d.as_bytes());
    }
}

/// The first `chars` characters of RFC 4648 lower-case base 32 of `bytes` (5 bits each).
fn base32(bytes: &[u8], chars: usize) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    (0..chars)
        .map(|i| {
            let bit = i * 5;
            let pair = u16::from(bytes[bit / 8]) << 8 | u16::from(*bytes.get(bit / 8 + 1).unwrap_or(&0));
            ALPHABET[usize::from((pair >> (11 - bit % 8)) & 31)] as char
        })
        .collect()
}
