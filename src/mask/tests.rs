use std::collections::HashSet;

use rand::{RngExt, SeedableRng};

use super::kinds::random::today_days;
use super::rule::Rule;
use super::*;
use crate::data::dates;
use crate::data::forms::BinaryText;
use crate::schema::{Column, TypeClass};

fn column(class: TypeClass, max_chars: Option<u32>, nullable: bool) -> Column {
    let declared = match max_chars {
        Some(n) => format!("character varying({n})"),
        None => class.label().into(),
    };
    Column { nullable, max_chars, ..Column::new("c", declared, class) }
}

fn text(max: Option<u32>) -> Column {
    column(TypeClass::Text, max, true)
}

/// A rule as the YAML would write it: `email`, `{ kind: hash, length: 16 }`.
fn rule(yaml: &str) -> Spec {
    let rule: Rule = serde_saphyr::from_str(yaml).unwrap();
    spec::compile(&rule).unwrap().spec
}

fn masker(yaml: &str, col: &Column) -> Masker {
    Masker::new(&rule(yaml), col, BinaryText::Hex).unwrap_or_else(|e| panic!("{yaml}: {e}"))
}

fn apply(m: &Masker, keys: &Keyring, input: &str) -> String {
    let mut out = Vec::new();
    assert!(m.apply(Some(input.as_bytes()), keys, &mut out).unwrap());
    String::from_utf8(out).unwrap()
}

/// Every kind that takes a text column with its options at their defaults, or the fewest
/// options it needs.
const TEXT_RULES: [&str; 30] = [
    "email",
    "first_name",
    "last_name",
    "name",
    "phone",
    "street_address",
    "city",
    "state",
    "zip",
    "country",
    "company",
    "job_title",
    "username",
    "url",
    "ipv4",
    "ipv6",
    "mac",
    "credit_card",
    "iban",
    "uuid",
    "date_of_birth",
    "lorem_words",
    "lorem_sentence",
    "lorem_paragraph",
    "hash",
    "{ kind: mask, keep_first: 1 }",
    "{ kind: regex, pattern: '[a-z0-9]', replacement: x }",
    "{ kind: random_int, min: 1, max: 1000000 }",
    "{ kind: random_float, min: 0, max: 1000 }",
    "{ kind: random_date, from: 2000-01-01, to: 2020-12-31 }",
];

#[test]
fn every_kind_is_deterministic_per_secret_and_changes_with_it() {
    let a = Keyring::from_secret("one");
    let b = Keyring::from_secret("one");
    let c = Keyring::from_secret("two");
    let inputs = ["alice@corp.test", "bob smith", "Zoë Ñúñez", "12345"];
    for yaml in TEXT_RULES {
        let m = masker(yaml, &text(None));
        let on_a: Vec<_> = inputs.iter().map(|i| apply(&m, &a, i)).collect();
        let on_b: Vec<_> = inputs.iter().map(|i| apply(&m, &b, i)).collect();
        let on_c: Vec<_> = inputs.iter().map(|i| apply(&m, &c, i)).collect();
        assert_eq!(on_a, on_b, "{yaml} is deterministic under one secret");
        if !yaml.contains("mask") && !yaml.contains("regex") {
            assert_ne!(on_a, on_c, "{yaml} changes with the secret");
        }
        assert!(on_a.iter().zip(inputs).all(|(o, i)| o != i), "{yaml} changed every input: {on_a:?}");
    }
}

#[test]
fn seeds_reproduce_and_differ() {
    let m = masker("name", &text(None));
    assert_eq!(apply(&m, &Keyring::from_seed(1), "x"), apply(&m, &Keyring::from_seed(1), "x"));
    let outputs: HashSet<String> = (0..20).map(|s| apply(&m, &Keyring::from_seed(s), "x")).collect();
    assert!(outputs.len() > 10, "{outputs:?}");
}

#[test]
fn null_stays_null_under_every_kind() {
    let keys = Keyring::from_secret("k");
    let mut out = vec![1, 2, 3];
    for yaml in TEXT_RULES.iter().chain(&["null", "keep", "{ kind: set, value: x }"]) {
        assert!(!masker(yaml, &text(None)).apply(None, &keys, &mut out).unwrap(), "{yaml}");
        assert!(out.is_empty());
    }
    let set = masker("{ kind: set, value: x }", &text(None));
    assert!(set.apply(Some(b"y"), &keys, &mut out).unwrap());
    assert_eq!(out, b"x");
    let null = masker("null", &text(None));
    assert!(!null.apply(Some(b"y"), &keys, &mut out).unwrap());
}

#[test]
fn outputs_fit_length_limits_or_are_refused() {
    let keys = Keyring::from_secret("k");
    for yaml in TEXT_RULES {
        for max in [40u32, 24, 12, 5] {
            let col = text(Some(max));
            let m = match Masker::new(&rule(yaml), &col, BinaryText::Hex) {
                Ok(m) => m,
                Err(e) => {
                    assert!(e.contains("needs at least"), "{yaml} into {max}: {e}");
                    continue;
                }
            };
            for i in 0..300 {
                let mut out = Vec::new();
                // Inputs short enough for the column, as the database guarantees.
                match m.apply(Some(format!("i{i}").as_bytes()), &keys, &mut out) {
                    Ok(_) => {
                        let out = String::from_utf8(out).unwrap();
                        assert!(out.chars().count() <= max as usize, "{yaml} into {max}: {out:?}");
                    }
                    // A regex's result can only be measured: the error names the limit.
                    Err(e) => assert!(yaml.contains("regex") && e.contains("longer than"), "{yaml}: {e}"),
                }
            }
        }
    }
}

#[test]
fn fake_values_are_well_formed() {
    let keys = Keyring::from_secret("k");
    let t = text(None);
    for i in 0..2000 {
        let input = format!("value {i}");
        let email = apply(&masker("email", &t), &keys, &input);
        let (local, domain) = email.split_once('@').unwrap();
        assert!(!local.is_empty() && domain == "example.com" && email.is_ascii(), "{email}");
        let custom = apply(&masker("{ kind: email, domain: corp.example, locale: de }", &t), &keys, &input);
        assert!(custom.ends_with("@corp.example"), "{custom}");
        let ip: std::net::Ipv4Addr = apply(&masker("ipv4", &t), &keys, &input).parse().unwrap();
        assert!(!ip.is_loopback() && !ip.is_unspecified(), "{ip}");
        let ip6: std::net::Ipv6Addr = apply(&masker("ipv6", &t), &keys, &input).parse().unwrap();
        assert_eq!(ip6.segments()[..2], [0x2001, 0xdb8]);
        let mac = apply(&masker("mac", &t), &keys, &input);
        assert!(mac.len() == 17 && mac.split(':').all(|p| u8::from_str_radix(p, 16).is_ok()), "{mac}");
        assert!(luhn_valid(&apply(&masker("credit_card", &t), &keys, &input)));
        let iban = apply(&masker("{ kind: iban, locale: de }", &t), &keys, &input);
        assert!(iban.starts_with("DE") && iban_valid(&iban), "{iban}");
        assert!(iban_valid(&apply(&masker("{ kind: iban, country: FR }", &t), &keys, &input)));
        let uuid = apply(&masker("uuid", &t), &keys, &input);
        assert!(uuid.len() == 36 && &uuid[14..15] == "4", "{uuid}");
        let url = apply(&masker("url", &t), &keys, &input);
        assert!(url.starts_with("https://www.") && !url.contains(' '), "{url}");
    }
}

#[test]
fn locale_changes_the_names() {
    let keys = Keyring::from_secret("k");
    let t = text(None);
    let ja = apply(&masker("{ kind: name, locale: ja }", &t), &keys, "x");
    assert!(!ja.is_ascii(), "{ja}");
    let de: Vec<String> =
        (0..30).map(|i| apply(&masker("{ kind: city, locale: de }", &t), &keys, &i.to_string())).collect();
    let en: Vec<String> = (0..30).map(|i| apply(&masker("city", &t), &keys, &i.to_string())).collect();
    assert_ne!(de, en);
}

#[test]
fn date_of_birth_respects_the_age_range() {
    let keys = Keyring::from_secret("k");
    let year = dates::civil_from_days(today_days()).0;
    let m = masker("{ kind: date_of_birth, min_age: 30, max_age: 40 }", &column(TypeClass::Date, None, true));
    for i in 0..2000 {
        let d = apply(&m, &keys, &i.to_string());
        let born: i64 = d[..4].parse().unwrap();
        assert!((year - 40..=year - 31).contains(&born), "{d}");
        assert!(dates::parse_date(&d).is_some(), "{d}");
    }
    let ts = apply(&masker("date_of_birth", &column(TypeClass::TimestampTz, None, true)), &keys, "x");
    assert!(ts.ends_with(" 00:00:00+00"), "{ts}");
}

#[test]
fn hash_takes_the_column_form_and_keeps_length() {
    let keys = Keyring::from_secret("k");
    let out = |yaml: &str, class, max, binary, input: &[u8]| {
        let m = Masker::new(&rule(yaml), &column(class, max, true), binary).unwrap();
        let mut out = Vec::new();
        m.apply(Some(input), &keys, &mut out).unwrap();
        out
    };
    let s = String::from_utf8(out("hash", TypeClass::Text, None, BinaryText::Hex, b"secret value")).unwrap();
    assert!(s.len() == 12 && s.bytes().all(|b| b.is_ascii_hexdigit()), "keeps length: {s}");
    let s = String::from_utf8(out(
        "{ kind: hash, format: digits }",
        TypeClass::Text,
        None,
        BinaryText::Hex,
        b"123-45-6789",
    ))
    .unwrap();
    assert!(s.len() == 11 && s.bytes().all(|b| b.is_ascii_digit()), "{s}");
    let s =
        String::from_utf8(out("{ kind: hash, length: 20 }", TypeClass::Text, Some(30), BinaryText::Hex, b"x")).unwrap();
    assert_eq!(s.len(), 20);
    let n: i64 = String::from_utf8(out("hash", TypeClass::Int { bytes: 2 }, None, BinaryText::Hex, b"31999"))
        .unwrap()
        .parse()
        .unwrap();
    assert!((10_000..=i64::from(i16::MAX)).contains(&n), "{n}");
    let n: i64 = String::from_utf8(out("hash", TypeClass::Int { bytes: 1 }, None, BinaryText::Hex, b"-12"))
        .unwrap()
        .parse()
        .unwrap();
    assert!((10..=99).contains(&n), "tinyint keeps two digits: {n}");
    let u = String::from_utf8(out("hash", TypeClass::Uuid, None, BinaryText::Hex, b"x")).unwrap();
    assert!(u.len() == 36 && &u[14..15] == "4", "{u}");
    let b = out("hash", TypeClass::Binary, None, BinaryText::Hex, b"\\x00ff10");
    assert_eq!(b.len(), 8, "three bytes in hex: {:?}", String::from_utf8_lossy(&b));
    assert_eq!(out("hash", TypeClass::Binary, None, BinaryText::Raw, b"\x00\xff\x10\x00").len(), 4);
    let j = String::from_utf8(out("hash", TypeClass::Json, None, BinaryText::Hex, b"{}")).unwrap();
    assert!(j.starts_with('"') && j.ends_with('"') && j.len() == 34, "{j}");
}

#[test]
fn mask_keeps_the_ends_and_the_domain() {
    let keys = Keyring::from_secret("k");
    let m = masker("{ kind: mask, keep_first: 2, keep_last: 2, char: '#' }", &text(None));
    assert_eq!(apply(&m, &keys, "4111111111111111"), "41############11");
    assert_eq!(apply(&m, &keys, "jane.doe@corp.example"), "ja####oe@corp.example");
    assert_eq!(apply(&m, &keys, "abcd"), "####", "too short to keep anything");
    assert_eq!(apply(&m, &keys, "Zoë Ñúñez"), "Zo#####ez");
}

#[test]
fn regex_replaces_every_match() {
    let keys = Keyring::from_secret("k");
    let m = masker(r#"{ kind: regex, pattern: '(\d{3})-\d{2}-(\d{4})', replacement: '$1-XX-$2' }"#, &text(None));
    assert_eq!(apply(&m, &keys, "ssn 123-45-6789, 987-65-4321"), "ssn 123-XX-6789, 987-XX-4321");
    let short = masker("{ kind: regex, pattern: 'a', replacement: 'aaaa' }", &text(Some(5)));
    let err = short.apply(Some(b"aa"), &keys, &mut Vec::new()).unwrap_err();
    assert_eq!(err, "regex result is 8 characters, longer than character varying(5)");
}

#[test]
fn random_ranges_hold() {
    let keys = Keyring::from_secret("k");
    let int = masker("{ kind: random_int, min: -5, max: 5 }", &column(TypeClass::Int { bytes: 2 }, None, true));
    let float =
        masker("{ kind: random_float, min: 1.5, max: 2.5, decimals: 3 }", &column(TypeClass::Decimal, None, true));
    let date =
        masker("{ kind: random_date, from: 2024-02-28, to: 2024-03-01 }", &column(TypeClass::Timestamp, None, true));
    let mut ints = HashSet::new();
    for i in 0..2000 {
        let input = i.to_string();
        let n: i64 = apply(&int, &keys, &input).parse().unwrap();
        assert!((-5..=5).contains(&n));
        ints.insert(n);
        let f = apply(&float, &keys, &input);
        assert!(f.split_once('.').unwrap().1.len() == 3, "{f}");
        assert!((1.5..=2.5).contains(&f.parse::<f64>().unwrap()), "{f}");
        let d = apply(&date, &keys, &input);
        assert!(["2024-02-28", "2024-02-29", "2024-03-01"].contains(&&d[..10]), "{d}");
        assert!(dates::parse_timestamp(&d).is_some(), "{d}");
    }
    assert_eq!(ints.len(), 11, "the whole range is used");
    let err = Masker::new(
        &rule("{ kind: random_int, min: 0, max: 70000 }"),
        &column(TypeClass::Int { bytes: 2 }, None, true),
        BinaryText::Hex,
    )
    .unwrap_err();
    assert!(err.contains("does not fit"), "{err}");
}

#[test]
fn noise_moves_values_within_bounds() {
    let keys = Keyring::from_secret("k");
    let dec = masker("{ kind: noise, fraction: 0.1 }", &column(TypeClass::Decimal, None, true));
    let int = masker("{ kind: noise, fraction: 0.5 }", &column(TypeClass::Int { bytes: 1 }, None, true));
    let ts = masker("{ kind: noise, duration: 1h }", &column(TypeClass::TimestampTz, None, true));
    let date = masker("{ kind: noise, duration: 2d }", &column(TypeClass::Date, None, true));
    let mut moved = 0;
    for i in 0..1000 {
        let v = format!("{}.50", 100 + i);
        let out = apply(&dec, &keys, &v);
        assert!(out.split_once('.').unwrap().1.len() == 2, "keeps the scale: {out}");
        let (a, b) = (v.parse::<f64>().unwrap(), out.parse::<f64>().unwrap());
        assert!((b - a).abs() <= a * 0.1 + 0.01, "{v} → {out}");
        moved += usize::from(a != b);
        let n: i64 = apply(&int, &keys, &format!("{}", 100 + i % 27)).parse().unwrap();
        assert!(n <= 127, "clamped to tinyint: {n}");
        let t = apply(&ts, &keys, &format!("2024-01-01 00:{:02}:00.5+02", i % 60));
        let parsed = dates::parse_timestamp(&t).unwrap();
        assert!((parsed.seconds - dates::parse_timestamp("2024-01-01 00:00:00").unwrap().seconds).abs() <= 3600 + 3600);
        assert_eq!((parsed.fraction, parsed.zone), (".5", "+02"), "{t}");
        let d = dates::parse_date(&apply(&date, &keys, "2024-03-01")).unwrap();
        assert!((d - dates::parse_date("2024-03-01").unwrap()).abs() <= 2);
    }
    assert!(moved > 900);
    let unsigned = masker("{ kind: noise, fraction: 0.01 }", &column(TypeClass::Int { bytes: 8 }, None, true));
    let big: f64 = apply(&unsigned, &keys, "18000000000000000000").parse().unwrap();
    assert!((big - 1.8e19).abs() <= 1.8e17, "BIGINT UNSIGNED values are noised, not refused: {big}");
    assert_eq!(apply(&ts, &keys, "infinity"), "infinity", "no calendar date: unchanged");
    let err =
        Masker::new(&rule("{ kind: noise, duration: 12h }"), &column(TypeClass::Date, None, true), BinaryText::Hex)
            .unwrap_err();
    assert!(err.contains("whole days"), "{err}");
}

#[test]
fn json_paths_are_masked_and_the_rest_kept() {
    let keys = Keyring::from_secret("k");
    let m = masker(
        "{ kind: json, paths: { '$.email': email, '$.phones[*]': { kind: mask, keep_last: 2 }, '$.age': { kind: noise, fraction: 0.2 }, '$.card': null } }",
        &column(TypeClass::Json, None, true),
    );
    let input = r#"{"email":"ana@corp.test","phones":["555-1234","555-9876"],"age":40,"card":{"n":1},"plan":"pro"}"#;
    let out: serde_json::Value = serde_json::from_str(&apply(&m, &keys, input)).unwrap();
    assert!(out["email"].as_str().unwrap().ends_with("@example.com"));
    assert_eq!(out["phones"], serde_json::json!(["******34", "******76"]));
    assert!(out["age"].is_number(), "numbers stay numbers: {out}");
    assert!(out["card"].is_null());
    assert_eq!(out["plan"], "pro");
    let keys_in_order: Vec<&String> = out.as_object().unwrap().keys().collect();
    assert_eq!(keys_in_order, ["email", "phones", "age", "card", "plan"]);
    let err = m.apply(Some(b"not json"), &keys, &mut Vec::new()).unwrap_err();
    assert!(err.starts_with("json: the value is not valid JSON"), "{err}");
    let deep = masker("{ kind: json, paths: { '$.a': email } }", &column(TypeClass::Json, None, true));
    let err = deep.apply(Some(br#"{"a":{"b":1}}"#), &keys, &mut Vec::new()).unwrap_err();
    assert!(err.contains("json path $.a: reaches an object"), "{err}");
}

#[test]
fn incompatible_rules_are_rejected_with_the_reason() {
    let int = column(TypeClass::Int { bytes: 4 }, None, true);
    let err = Masker::new(&rule("email"), &int, BinaryText::Hex).unwrap_err();
    assert_eq!(err, "mask email cannot produce a value for an integer column (integer)");
    let not_null = column(TypeClass::Text, None, false);
    assert!(Masker::new(&rule("null"), &not_null, BinaryText::Hex).unwrap_err().contains("NOT NULL"));
    let err = Masker::new(&rule("{ kind: set, value: toolong }"), &text(Some(3)), BinaryText::Hex).unwrap_err();
    assert!(err.contains("longer than character varying(3)"), "{err}");
    let err = Masker::new(&rule("email"), &text(Some(10)), BinaryText::Hex).unwrap_err();
    assert!(err.contains("needs at least 24 to stay unique"), "{err}");
    let err = Masker::new(&rule("iban"), &text(Some(20)), BinaryText::Hex).unwrap_err();
    assert!(err.contains("needs at least 22"), "{err}");
    let err = Masker::new(&rule("{ kind: hash, format: hex }"), &int, BinaryText::Hex).unwrap_err();
    assert!(err.contains("use digits"), "{err}");
}

#[test]
fn unique_safety_is_judged_per_rule() {
    let t = text(None);
    for yaml in ["email", "username", "uuid", "ipv6", "keep", "null", "{ kind: hash, length: 16 }"] {
        assert!(masker(yaml, &t).unique_safe().is_ok(), "{yaml}");
    }
    assert!(
        masker("{ kind: hash, format: digits, length: 18 }", &column(TypeClass::Int { bytes: 8 }, None, true))
            .unique_safe()
            .is_ok()
    );
    for yaml in ["name", "phone", "{ kind: set, value: x }", "{ kind: mask, keep_last: 4 }", "credit_card", "ipv4"] {
        let err = masker(yaml, &t).unique_safe().unwrap_err();
        assert!(err.contains("can give two rows the same value"), "{yaml}: {err}");
    }
    assert!(masker("hash", &t).unique_safe().unwrap_err().contains("give a `length`"));
    assert!(masker("{ kind: hash, length: 8 }", &t).unique_safe().unwrap_err().contains("32 bits can collide"));
    let not_null = column(TypeClass::Text, None, false);
    assert!(Masker::new(&rule("null"), &not_null, BinaryText::Hex).is_err());
}

/// The kinds that promise distinct outputs keep them over a million distinct inputs.
#[test]
fn unique_safe_kinds_do_not_collide_over_a_million_inputs() {
    let keys = Keyring::from_secret("uniqueness");
    let cases = [
        ("email", text(Some(64))),
        ("username", text(Some(40))),
        ("uuid", column(TypeClass::Uuid, None, true)),
        ("ipv6", text(None)),
        ("{ kind: hash, length: 16 }", text(None)),
        ("{ kind: hash, format: digits, length: 18 }", column(TypeClass::Int { bytes: 8 }, None, true)),
    ];
    let mut out = Vec::new();
    for (yaml, col) in cases {
        let m = masker(yaml, &col);
        assert!(m.unique_safe().is_ok(), "{yaml}");
        let mut seen: HashSet<[u8; 16]> = HashSet::with_capacity(1 << 20);
        for i in 0..1_000_000u32 {
            m.apply(Some(format!("user{i}@corp.test").as_bytes()), &keys, &mut out).unwrap();
            let fingerprint: [u8; 16] = blake3::hash(&out).as_bytes()[..16].try_into().unwrap();
            assert!(seen.insert(fingerprint), "{yaml}: collision at input {i}: {}", String::from_utf8_lossy(&out));
        }
    }
}

/// Random strings of letters, digits, punctuation and non-ASCII characters.
fn random_text(rng: &mut rand_chacha::ChaCha8Rng) -> String {
    const CHARS: &[char] = &['a', 'Z', '0', '7', ' ', '.', '@', '-', 'é', 'ß', '中', '😀', '\'', '"', '\\'];
    let len = rng.random_range(0..24);
    (0..len).map(|_| CHARS[rng.random_range(0..CHARS.len())]).collect()
}

#[test]
fn property_mask_keeps_length_ends_and_domain() {
    let keys = Keyring::from_secret("k");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    for _ in 0..20_000 {
        let (kf, kl) = (rng.random_range(0..4usize), rng.random_range(0..4usize));
        let m = masker(&format!("{{ kind: mask, keep_first: {kf}, keep_last: {kl}, char: 'x' }}"), &text(None));
        let input = random_text(&mut rng);
        let out = apply(&m, &keys, &input);
        let (local, domain) = match input.rfind('@') {
            Some(at) if at > 0 => input.split_at(at),
            _ => (input.as_str(), ""),
        };
        assert_eq!(out.chars().count(), input.chars().count(), "{input:?} → {out:?}");
        assert!(out.ends_with(domain), "{input:?} → {out:?}");
        let (lc, oc): (Vec<char>, Vec<char>) = (local.chars().collect(), out.chars().collect());
        let n = lc.len();
        let (kf, kl) = if n > kf + kl { (kf, kl) } else { (0, 0) };
        assert_eq!(oc[..kf], lc[..kf]);
        assert_eq!(oc[n - kl..n], lc[n - kl..]);
        assert!(oc[kf..n - kl].iter().all(|&c| c == 'x'), "{input:?} → {out:?}");
    }
}

#[test]
fn property_regex_replaces_only_matches() {
    let keys = Keyring::from_secret("k");
    let digits = masker(r"{ kind: regex, pattern: '\d', replacement: '#' }", &text(None));
    let none = masker("{ kind: regex, pattern: 'qqq', replacement: 'x' }", &text(None));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for _ in 0..20_000 {
        let input = random_text(&mut rng);
        let out = apply(&digits, &keys, &input);
        assert_eq!(out.chars().count(), input.chars().count());
        for (i, o) in input.chars().zip(out.chars()) {
            assert_eq!(o, if i.is_ascii_digit() { '#' } else { i }, "{input:?} → {out:?}");
        }
        assert_eq!(apply(&none, &keys, &input), input, "no match: unchanged");
    }
}

#[test]
fn property_template_concatenates_its_fields() {
    let t = template::parse("<{a}|{b|upper}|{a|original}>").unwrap();
    let bound = t.bind(&mut |c: &String| Ok::<_, ()>(if c == "a" { 0 } else { 1 })).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    for _ in 0..20_000 {
        let (a, b, orig_a) = (random_text(&mut rng), random_text(&mut rng), random_text(&mut rng));
        let mut out = Vec::new();
        bound.render(
            &|i, original| {
                Some(match (i, original) {
                    (0, false) => a.as_bytes(),
                    (0, true) => orig_a.as_bytes(),
                    _ => b.as_bytes(),
                })
            },
            &mut out,
        );
        assert_eq!(String::from_utf8(out).unwrap(), format!("<{a}|{}|{orig_a}>", b.to_uppercase()));
    }
}

#[test]
fn every_output_has_its_kinds_shape_and_other_values_do_not() {
    let keys = Keyring::from_secret("k");
    let t = text(None);
    let int = column(TypeClass::Int { bytes: 8 }, None, true);
    let mut shaped = HashSet::new();
    for yaml in TEXT_RULES {
        let m = masker(yaml, &t);
        for i in 0..300 {
            let out = apply(&m, &keys, &format!("value {i}"));
            let fits = m.well_formed(out.as_bytes());
            assert_ne!(fits, Some(false), "{yaml} wrote {out:?}");
            if fits.is_some() {
                shaped.insert(yaml);
            }
        }
    }
    let checked = ["email", "ipv4", "ipv6", "mac", "credit_card", "iban", "uuid", "hash"];
    for yaml in checked {
        assert!(shaped.contains(yaml), "{yaml} has a shape");
    }
    let ranged = masker("{ kind: random_int, min: 1, max: 9 }", &int);
    assert_eq!(ranged.well_formed(b"10"), Some(false));
    assert_eq!(ranged.well_formed(b"9"), Some(true));
    for (yaml, original) in [
        ("email", "ann@shop.org"),
        ("email", "not an email"),
        ("uuid", "Ann"),
        ("mac", "00:11:22:33:44"),
        ("credit_card", "4111111111111112"),
        ("iban", "DE00123456780000000000"),
        ("hash", "Ann Smith"),
        ("ipv4", "300.1.1.1"),
    ] {
        assert_eq!(masker(yaml, &t).well_formed(original.as_bytes()), Some(false), "{yaml}: {original}");
    }
    assert_eq!(masker("null", &t).well_formed(b"x"), Some(false));
    assert_eq!(masker("first_name", &t).well_formed(b"x"), None);
}
