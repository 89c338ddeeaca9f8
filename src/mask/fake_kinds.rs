//! Realistic values from the `fake` crate, drawn from a caller-seeded RNG.

use fake::Fake;
use fake::faker::{address::en as address, company::en as company, internet::en as internet};
use fake::faker::{lorem::en as lorem, name::en as name, phone_number::en as phone};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::Kind;

pub(super) fn generate(kind: Kind, rng: &mut ChaCha8Rng) -> String {
    match kind {
        Kind::Email => internet::SafeEmail().fake_with_rng(rng),
        Kind::FirstName => name::FirstName().fake_with_rng(rng),
        Kind::LastName => name::LastName().fake_with_rng(rng),
        Kind::Name => {
            let first: String = name::FirstName().fake_with_rng(rng);
            let last: String = name::LastName().fake_with_rng(rng);
            format!("{first} {last}")
        }
        Kind::Phone => phone::PhoneNumber().fake_with_rng(rng),
        Kind::StreetAddress => {
            let number: String = address::BuildingNumber().fake_with_rng(rng);
            let street: String = address::StreetName().fake_with_rng(rng);
            let suffix: String = address::StreetSuffix().fake_with_rng(rng);
            format!("{number} {street} {suffix}")
        }
        Kind::City => address::CityName().fake_with_rng(rng),
        // The crate's en ZipCode is not always five digits.
        Kind::Zip => format!("{:05}", rng.random_range(501..99_951)),
        Kind::Company => company::CompanyName().fake_with_rng(rng),
        Kind::Username => internet::Username().fake_with_rng(rng),
        Kind::Ipv4 => internet::IPv4().fake_with_rng(rng),
        Kind::LoremWords => {
            let words: Vec<String> = lorem::Words(2..6).fake_with_rng(rng);
            words.join(" ")
        }
        Kind::LoremSentence => {
            let sentence: String = lorem::Sentence(4..12).fake_with_rng(rng);
            let mut chars = sentence.chars();
            chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
        }
        other => unreachable!("{other} is not a fake text kind"),
    }
}

/// An ISO date between 1935-01-01 and 2007-12-31: adults of any age, and fixed bounds so a
/// secret gives the same date whichever day the copy runs.
pub(super) fn date_of_birth(rng: &mut ChaCha8Rng) -> String {
    const FIRST: i64 = -12784; // days from 1970-01-01 to 1935-01-01
    const LAST: i64 = 13878; // … to 2007-12-31
    let days = rng.random_range(FIRST..=LAST);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zips_are_five_digits_and_sentences_capitalized() {
        use rand::SeedableRng;
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..1000 {
            let zip = generate(Kind::Zip, &mut rng);
            assert!(zip.len() == 5 && zip.bytes().all(|b| b.is_ascii_digit()), "{zip}");
            let s = generate(Kind::LoremSentence, &mut rng);
            assert!(s.starts_with(char::is_uppercase) && s.ends_with('.'), "{s}");
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-12784), (1935, 1, 1));
        assert_eq!(civil_from_days(13878), (2007, 12, 31));
        assert_eq!(civil_from_days(11016), (2000, 2, 29));
    }
}
