use super::*;
use crate::schema::{Column, TypeClass};

fn column(class: TypeClass, max_chars: Option<u32>, nullable: bool) -> Column {
    Column {
        name: "c".into(),
        declared_type: match max_chars {
            Some(n) => format!("character varying({n})"),
            None => class.label().into(),
        },
        class,
        nullable,
        max_chars,
        generated: false,
        auto_increment: false,
        has_default: false,
    }
}

fn text(max: Option<u32>) -> Column {
    column(TypeClass::Text, max, true)
}

fn masker(kind: Kind, col: &Column) -> Masker {
    Masker::new(kind, col, None, BinaryText::Hex).unwrap()
}

fn apply(m: &Masker, keys: &Keyring, input: &str) -> String {
    let mut out = Vec::new();
    assert!(m.apply(Some(input.as_bytes()), keys, &mut out));
    String::from_utf8(out).unwrap()
}

const TEXT_KINDS: [Kind; 12] = [
    Kind::Email,
    Kind::FirstName,
    Kind::LastName,
    Kind::Name,
    Kind::Phone,
    Kind::StreetAddress,
    Kind::City,
    Kind::Zip,
    Kind::Company,
    Kind::Username,
    Kind::LoremWords,
    Kind::LoremSentence,
];

#[test]
fn same_secret_same_output_other_secret_other_output() {
    let a = Keyring::from_secret("one");
    let b = Keyring::from_secret("one");
    let c = Keyring::from_secret("two");
    for kind in TEXT_KINDS.into_iter().chain([Kind::Hash, Kind::Ipv4, Kind::DateOfBirth]) {
        let m = masker(kind, &text(None));
        let inputs = ["alice@corp.test", "bob", "Zoë Ñúñez"];
        let on_a: Vec<_> = inputs.iter().map(|i| apply(&m, &a, i)).collect();
        let on_b: Vec<_> = inputs.iter().map(|i| apply(&m, &b, i)).collect();
        let on_c: Vec<_> = inputs.iter().map(|i| apply(&m, &c, i)).collect();
        assert_eq!(on_a, on_b, "{kind} is deterministic under one secret");
        assert_ne!(on_a, on_c, "{kind} changes with the secret");
        assert!(on_a.iter().zip(inputs).all(|(o, i)| o != i), "{kind} changed every input: {on_a:?}");
    }
}

#[test]
fn null_stays_null_under_every_kind() {
    let keys = Keyring::from_secret("k");
    let mut out = vec![1, 2, 3];
    for kind in TEXT_KINDS.into_iter().chain([Kind::Hash, Kind::Null, Kind::Keep]) {
        assert!(!masker(kind, &text(None)).apply(None, &keys, &mut out), "{kind}");
        assert!(out.is_empty());
    }
    let set = Masker::new(Kind::Set, &text(None), Some("x"), BinaryText::Hex).unwrap();
    assert!(!set.apply(None, &keys, &mut out));
    assert!(set.apply(Some(b"y"), &keys, &mut out));
    assert_eq!(out, b"x");
}

#[test]
fn outputs_fit_length_limits() {
    let keys = Keyring::from_secret("k");
    for kind in TEXT_KINDS {
        for max in [24u32, 12, 5] {
            let col = text(Some(max));
            let Ok(m) = Masker::new(kind, &col, None, BinaryText::Hex) else {
                assert!(matches!(kind, Kind::Email) || (kind == Kind::Username && max < 12), "{kind} {max}");
                continue;
            };
            for i in 0..300 {
                let out = apply(&m, &keys, &format!("input-{i}"));
                assert!(out.chars().count() <= max as usize, "{kind} into {max}: {out:?}");
                assert!(!out.is_empty(), "{kind}");
            }
        }
    }
}

#[test]
fn emails_are_well_formed_and_do_not_collide() {
    let keys = Keyring::from_secret("k");
    let col = text(Some(40));
    let m = Masker::new(Kind::Email, &col, None, BinaryText::Hex).unwrap();
    let mut seen = std::collections::HashSet::new();
    for i in 0..20_000 {
        let e = apply(&m, &keys, &format!("user{i}@corp.test"));
        let (local, domain) = e.split_once('@').unwrap();
        assert!(!local.is_empty() && domain == "example.com", "{e}");
        assert!(e.len() <= 40, "{e}");
        assert!(seen.insert(e.clone()), "collision on {e}");
    }
    let short = Masker::new(Kind::Email, &text(Some(24)), None, BinaryText::Hex).unwrap();
    let e = apply(&short, &keys, "x@y.z");
    assert_eq!(e.len(), 24, "{e}");
    assert!(e.ends_with("@example.com"));
}

#[test]
fn hash_takes_the_column_form() {
    let keys = Keyring::from_secret("k");
    let out = |class, max, binary| {
        let col = column(class, max, true);
        let m = Masker::new(Kind::Hash, &col, None, binary).unwrap();
        let mut out = Vec::new();
        m.apply(Some(b"secret value"), &keys, &mut out);
        out
    };
    let s = String::from_utf8(out(TypeClass::Text, Some(10), BinaryText::Hex)).unwrap();
    assert_eq!(s.len(), 10);
    assert!(s.bytes().all(|b| b.is_ascii_hexdigit()));
    let n: i64 = String::from_utf8(out(TypeClass::Int { bytes: 2 }, None, BinaryText::Hex)).unwrap().parse().unwrap();
    assert!((0..=i64::from(i16::MAX)).contains(&n));
    let u = String::from_utf8(out(TypeClass::Uuid, None, BinaryText::Hex)).unwrap();
    assert_eq!(u.len(), 36);
    assert_eq!(&u[14..15], "4");
    let b = out(TypeClass::Binary, None, BinaryText::Hex);
    assert!(b.starts_with(b"\\x") && b.len() == 66);
    assert_eq!(out(TypeClass::Binary, None, BinaryText::Raw).len(), 32);
    let j = String::from_utf8(out(TypeClass::Json, None, BinaryText::Hex)).unwrap();
    assert!(j.starts_with('"') && j.ends_with('"'));
}

#[test]
fn incompatible_rules_are_rejected_with_the_reason() {
    let int = column(TypeClass::Int { bytes: 4 }, None, true);
    let err = Masker::new(Kind::Email, &int, None, BinaryText::Hex).unwrap_err();
    assert_eq!(err, "mask email cannot produce a value for a integer column (integer)");
    let not_null = column(TypeClass::Text, None, false);
    assert!(Masker::new(Kind::Null, &not_null, None, BinaryText::Hex).unwrap_err().contains("NOT NULL"));
    let err = Masker::new(Kind::Set, &text(Some(3)), Some("toolong"), BinaryText::Hex).unwrap_err();
    assert!(err.contains("longer than character varying(3)"), "{err}");
    let err = Masker::new(Kind::Email, &text(Some(10)), None, BinaryText::Hex).unwrap_err();
    assert!(err.contains("needs at least 24 to stay unique"), "{err}");
}

#[test]
fn date_of_birth_forms() {
    let keys = Keyring::from_secret("k");
    let d = apply(&masker(Kind::DateOfBirth, &column(TypeClass::Date, None, true)), &keys, "1990-01-02");
    assert_eq!(d.len(), 10);
    let year: i32 = d[..4].parse().unwrap();
    assert!((1935..=2007).contains(&year), "{d}");
    let ts = apply(&masker(Kind::DateOfBirth, &column(TypeClass::TimestampTz, None, true)), &keys, "x");
    assert!(ts.ends_with(" 00:00:00+00"), "{ts}");
}
