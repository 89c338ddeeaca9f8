//! Identifiers with structure: card numbers (Luhn), IBANs (ISO 13616 mod 97), UUIDs, MAC and IP
//! addresses. Written here rather than taken from `fake`, whose card and IBAN numbers do not
//! carry valid check digits for every scheme.

use rand::RngExt;

use crate::data::forms::push_hex;
use rand_chacha::ChaCha8Rng;

/// A Visa, Mastercard or American Express number with a valid Luhn check digit.
pub(super) fn credit_card(rng: &mut ChaCha8Rng) -> String {
    let (prefix, len): (&str, usize) = match rng.random_range(0..10) {
        0..=4 => ("4", 16),
        5..=7 => (["51", "52", "53", "54", "55"][rng.random_range(0..5)], 16),
        _ => (["34", "37"][rng.random_range(0..2)], 15),
    };
    let mut digits: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
    while digits.len() < len - 1 {
        digits.push(rng.random_range(0..10));
    }
    digits.push(luhn_check_digit(&digits));
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

/// The digit that makes `payload` followed by it pass the Luhn check.
pub(super) fn luhn_check_digit(payload: &[u8]) -> u8 {
    // Doubling starts at the payload's last digit, since the check digit will follow it.
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

pub fn luhn_valid(number: &str) -> bool {
    let digits: Vec<u8> = number.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    match digits.split_last() {
        Some((&check, payload)) if !payload.is_empty() => luhn_check_digit(payload) == check,
        _ => false,
    }
}

/// BBAN layouts: `n` a digit, `a` an upper-case letter, `c` either.
const BBAN: &[(&str, &str)] = &[
    ("GB", "aaaannnnnnnnnnnnnn"),
    ("DE", "nnnnnnnnnnnnnnnnnn"),
    ("FR", "nnnnnnnnnnnnnnnnnnnnnnn"),
    ("IT", "annnnnnnnnnnnnnnnnnnnnnn"),
    ("NL", "aaaannnnnnnnnn"),
    ("BR", "nnnnnnnnnnnnnnnnnnnnnnnac"),
    ("PT", "nnnnnnnnnnnnnnnnnnnnn"),
    ("ES", "nnnnnnnnnnnnnnnnnnnn"),
    ("BE", "nnnnnnnnnnnn"),
    ("AT", "nnnnnnnnnnnnnnnn"),
    ("CH", "nnnnnnnnnnnnnnnnn"),
    ("SA", "nnnnnnnnnnnnnnnnnnnn"),
    ("TR", "nnnnnnnnnnnnnnnnnnnnnn"),
];

/// Countries [`iban`] can write, for messages.
pub fn iban_countries() -> Vec<&'static str> {
    BBAN.iter().map(|(c, _)| *c).collect()
}

pub fn iban_length(country: &str) -> Option<usize> {
    BBAN.iter().find(|(c, _)| *c == country).map(|(_, layout)| layout.len() + 4)
}

/// An IBAN of `country` (one of [`iban_countries`]) with valid check digits.
pub(super) fn iban(country: &str, rng: &mut ChaCha8Rng) -> String {
    let layout = BBAN.iter().find(|(c, _)| *c == country).map_or(BBAN[0].1, |(_, l)| l);
    let bban: String = layout
        .chars()
        .map(|kind| {
            let letter = |rng: &mut ChaCha8Rng| char::from(b'A' + rng.random_range(0..26u8));
            let digit = |rng: &mut ChaCha8Rng| char::from(b'0' + rng.random_range(0..10u8));
            match kind {
                'a' => letter(rng),
                'c' if rng.random_bool(0.5) => letter(rng),
                _ => digit(rng),
            }
        })
        .collect();
    let check = 98 - mod97(&format!("{bban}{country}00"));
    format!("{country}{check:02}{bban}")
}

/// ISO 7064 mod 97 of an alphanumeric string, letters counting A = 10 … Z = 35.
fn mod97(text: &str) -> u32 {
    text.chars().fold(0u32, |acc, c| match c.to_digit(36) {
        Some(v) if v >= 10 => (acc * 100 + v) % 97,
        Some(v) => (acc * 10 + v) % 97,
        None => acc,
    })
}

pub fn iban_valid(iban: &str) -> bool {
    let compact: String = iban.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() > 4
        && compact.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && mod97(&format!("{}{}", &compact[4..], &compact[..4])) == 1
}

/// A version 4 UUID from 16 bytes.
pub(super) fn uuid(bytes: [u8; 16], out: &mut Vec<u8>) {
    let mut b = bytes;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push(b'-');
        }
        push_hex(*byte, out);
    }
}

/// A locally administered unicast MAC address: it can belong to no vendor's real device.
pub(super) fn mac(bytes: [u8; 6], out: &mut Vec<u8>) {
    let mut b = bytes;
    b[0] = (b[0] | 0x02) & 0xfe;
    for (i, byte) in b.iter().enumerate() {
        if i > 0 {
            out.push(b':');
        }
        push_hex(*byte, out);
    }
}

/// An address in 2001:db8::/32, the range reserved for documentation: 96 bits from the input's
/// digest, so distinct inputs stay distinct.
pub(super) fn ipv6(bytes: [u8; 12], out: &mut Vec<u8>) {
    out.extend_from_slice(b"2001:db8");
    for pair in bytes.chunks(2) {
        out.push(b':');
        let group = u16::from_be_bytes([pair[0], pair[1]]);
        out.extend_from_slice(format!("{group:x}").as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn known_check_digits() {
        assert!(luhn_valid("4111 1111 1111 1111"));
        assert!(!luhn_valid("4111 1111 1111 1112"));
        assert!(luhn_valid("378282246310005"));
        assert!(iban_valid("GB82 WEST 1234 5698 7654 32"));
        assert!(iban_valid("DE89370400440532013000"));
        assert!(!iban_valid("DE89370400440532013001"));
    }

    #[test]
    fn generated_numbers_are_valid() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..10_000 {
            let card = credit_card(&mut rng);
            assert!(luhn_valid(&card) && (15..=16).contains(&card.len()), "{card}");
        }
        for country in iban_countries() {
            for _ in 0..1000 {
                let iban = iban(country, &mut rng);
                assert!(iban_valid(&iban), "{iban}");
                assert_eq!(Some(iban.len()), iban_length(country), "{iban}");
                assert!(iban.starts_with(country));
            }
        }
    }

    #[test]
    fn address_forms() {
        let mut out = Vec::new();
        mac([0xff; 6], &mut out);
        assert_eq!(out, b"fe:ff:ff:ff:ff:ff");
        out.clear();
        ipv6([0, 1, 0, 0, 0xab, 0xcd, 0, 0, 0, 0, 0, 2], &mut out);
        assert_eq!(String::from_utf8(out.clone()).unwrap(), "2001:db8:1:0:abcd:0:0:2");
        out.clear();
        uuid([0xff; 16], &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "ffffffff-ffff-4fff-bfff-ffffffffffff");
    }
}
