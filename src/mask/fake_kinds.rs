//! Realistic values from the `fake` crate in the rule's locale, drawn from a caller-seeded RNG.

use fake::Fake;
use fake::faker::impls::address::CityNameGenFn;
use fake::faker::{address::raw as address, company::raw as company, job::raw as job, lorem::raw as lorem};
use fake::faker::{name::raw as name, phone_number::raw as phone};
use fake::locales::{AR_SA, DE_DE, Data, EN, FR_FR, IT_IT, JA_JP, NL_NL, PT_BR, PT_PT, TR_TR, ZH_CN, ZH_TW};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::kind::Kind;
use super::locale::Locale;

/// A fresh value of a text kind in `locale`.
pub(super) fn generate(kind: Kind, locale: Locale, rng: &mut ChaCha8Rng) -> String {
    match locale {
        Locale::En => draw(kind, EN, rng),
        Locale::De => draw(kind, DE_DE, rng),
        Locale::Fr => draw(kind, FR_FR, rng),
        Locale::It => draw(kind, IT_IT, rng),
        Locale::Nl => draw(kind, NL_NL, rng),
        Locale::PtBr => draw(kind, PT_BR, rng),
        Locale::PtPt => draw(kind, PT_PT, rng),
        Locale::Ja => draw(kind, JA_JP, rng),
        Locale::ZhCn => draw(kind, ZH_CN, rng),
        Locale::ZhTw => draw(kind, ZH_TW, rng),
        Locale::Ar => draw(kind, AR_SA, rng),
        Locale::Tr => draw(kind, TR_TR, rng),
    }
}

fn draw<L: Data + CityNameGenFn + Copy + 'static>(kind: Kind, l: L, rng: &mut ChaCha8Rng) -> String {
    match kind {
        Kind::FirstName => name::FirstName(l).fake_with_rng(rng),
        Kind::LastName => name::LastName(l).fake_with_rng(rng),
        Kind::Name => name::Name(l).fake_with_rng(rng),
        Kind::Phone => phone::PhoneNumber(l).fake_with_rng(rng),
        Kind::StreetAddress => {
            let number: String = address::BuildingNumber(l).fake_with_rng(rng);
            let street: String = address::StreetName(l).fake_with_rng(rng);
            format!("{number} {street}")
        }
        Kind::City => address::CityName(l).fake_with_rng(rng),
        Kind::State => address::StateName(l).fake_with_rng(rng),
        // The crate's English zip codes are sometimes four digits; a US ZIP has five.
        Kind::Zip if locale_is_en::<L>() => format!("{:05}", rng.random_range(501..99_951)),
        Kind::Zip => address::ZipCode(l).fake_with_rng(rng),
        Kind::Country => address::CountryName(l).fake_with_rng(rng),
        Kind::Company => company::CompanyName(l).fake_with_rng(rng),
        Kind::JobTitle => job::Title(l).fake_with_rng(rng),
        // The local part of an e-mail, a username and a host name: ASCII made from the locale's
        // names, so a German run gives `jurgen.muller`, not an English name.
        Kind::Email => {
            let first: String = name::FirstName(l).fake_with_rng(rng);
            let last: String = name::LastName(l).fake_with_rng(rng);
            ascii_words(&[&first, &last], '.').unwrap_or_else(|| draw(kind, EN, rng))
        }
        Kind::Username => {
            let first: String = name::FirstName(l).fake_with_rng(rng);
            let base = ascii_words(&[&first], '_');
            match base {
                Some(b) if rng.random_bool(0.5) => format!("{b}{}", rng.random_range(1..100)),
                Some(b) => b,
                None => draw(kind, EN, rng),
            }
        }
        Kind::Url => {
            let word: String = company::CompanyName(l).fake_with_rng(rng);
            let host = ascii_words(&[&word], '-').unwrap_or_else(|| "site".into());
            let path: String = lorem::Word(EN).fake_with_rng(rng);
            format!("https://www.{host}.example/{path}")
        }
        Kind::LoremWords => {
            let words: Vec<String> = lorem::Words(l, 2..6).fake_with_rng(rng);
            words.join(" ")
        }
        Kind::LoremSentence => capitalize(lorem::Sentence(l, 4..12).fake_with_rng(rng)),
        Kind::LoremParagraph => {
            let sentences: Vec<String> =
                (0..rng.random_range(3..6)).map(|_| capitalize(lorem::Sentence(l, 4..12).fake_with_rng(rng))).collect();
            sentences.join(" ")
        }
        other => unreachable!("{other} is not a fake text kind"),
    }
}

fn locale_is_en<L: 'static>() -> bool {
    std::any::TypeId::of::<L>() == std::any::TypeId::of::<EN>()
}

fn capitalize(sentence: String) -> String {
    let mut chars = sentence.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Lower-case ASCII letters and digits of `words` (common accents folded: `Jürgen` → `jurgen`),
/// joined by `sep`; `None` when a word has no Latin letters at all (Japanese, Arabic…).
fn ascii_words(words: &[&str], sep: char) -> Option<String> {
    let mut out = String::new();
    for word in words {
        let folded: String = word.chars().filter_map(fold).collect();
        let folded = folded.trim_matches('-');
        if folded.is_empty() {
            return None;
        }
        if !out.is_empty() {
            out.push(sep);
        }
        out.push_str(folded);
    }
    Some(out)
}

/// Letters and digits of `text`, lower-cased, accents folded, everything else dropped.
pub(super) fn ascii_fold(text: &str) -> String {
    text.chars().filter_map(fold).filter(|c| *c != '-').collect()
}

fn fold(c: char) -> Option<char> {
    let c = c.to_lowercase().next().unwrap_or(c);
    if c.is_ascii_alphanumeric() {
        return Some(c);
    }
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ı' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        'ß' => 's',
        'ğ' => 'g',
        'ş' => 's',
        ' ' | '-' => '-',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The kinds drawn here: the fake text kinds and e-mail local parts.
    fn kinds() -> impl Iterator<Item = Kind> {
        Kind::ALL.iter().copied().filter(|k| k.family() == crate::mask::kind::Family::Text)
    }

    #[test]
    fn every_kind_in_every_locale_gives_text() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for locale in [Locale::En, Locale::De, Locale::Fr, Locale::PtBr, Locale::Ja, Locale::ZhCn, Locale::Ar] {
            for kind in kinds() {
                for _ in 0..50 {
                    let v = generate(kind, locale, &mut rng);
                    assert!(!v.trim().is_empty(), "{kind} in {locale}");
                    if matches!(kind, Kind::Email | Kind::Username | Kind::Url) {
                        assert!(v.is_ascii() && !v.contains(' '), "{kind} in {locale}: {v:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn locales_change_the_data() {
        let names = |locale| {
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            (0..20).map(|_| generate(Kind::LastName, locale, &mut rng)).collect::<Vec<_>>()
        };
        assert_ne!(names(Locale::En), names(Locale::De));
        assert!(names(Locale::Ja).iter().all(|n| !n.is_ascii()), "{:?}", names(Locale::Ja));
    }

    #[test]
    fn sentences_are_capitalized() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..200 {
            let s = generate(Kind::LoremSentence, Locale::En, &mut rng);
            assert!(s.starts_with(char::is_uppercase) && s.ends_with('.'), "{s}");
        }
    }

    #[test]
    fn ascii_folding() {
        assert_eq!(ascii_words(&["Jürgen", "Müller-Lüdenscheidt"], '.').as_deref(), Some("jurgen.muller-ludenscheidt"));
        assert_eq!(ascii_words(&["佐藤"], '.'), None);
    }
}
