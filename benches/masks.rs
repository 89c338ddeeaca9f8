//! Values masked per second by each kind on one core, against the targets of issue 4:
//! 1,000,000/s for hash, mask, null and set; 200,000/s for the fake kinds. Run with
//! `cargo bench --bench masks` (or `bench/masks.sh`); exits non-zero when a kind misses.
//!
//! A small harness of its own rather than Criterion: one number per kind is what the copy
//! needs to know, and Criterion's dependency tree would double the benchmark's build time on
//! a 2-core machine.

use std::time::{Duration, Instant};

use dbtwin::data::forms::BinaryText;
use dbtwin::mask::rule::Rule;
use dbtwin::mask::{Keyring, Masker, spec};
use dbtwin::schema::{Column, TypeClass};

fn column(class: TypeClass, max_chars: Option<u32>) -> Column {
    Column { max_chars, ..Column::new("c", class.label(), class) }
}

/// A rule, its column's class, inputs shaped like the column's real values, target values/s.
type Case = (&'static str, TypeClass, fn(u32) -> String, f64);

fn cases() -> Vec<Case> {
    let email: fn(u32) -> String = |i| format!("user{i}@corp.example");
    let word: fn(u32) -> String = |i| format!("Value number {i}");
    let number: fn(u32) -> String = |i| format!("{}.{:02}", 1000 + i % 9000, i % 100);
    let date: fn(u32) -> String = |i| format!("19{:02}-{:02}-{:02}", 40 + i % 60, 1 + i % 12, 1 + i % 28);
    let json: fn(u32) -> String = |i| format!(r#"{{"email":"u{i}@corp.example","plan":"pro","n":{i}}}"#);
    const CORE: f64 = 1_000_000.0;
    const FAKE: f64 = 200_000.0;
    let text = TypeClass::Text;
    vec![
        ("hash", text, email, CORE),
        ("{ kind: hash, length: 16 }", text, email, CORE),
        ("{ kind: mask, keep_last: 4 }", text, word, CORE),
        ("null", text, word, CORE),
        ("{ kind: set, value: redacted }", text, word, CORE),
        ("keep", text, word, CORE),
        ("email", text, email, FAKE),
        ("first_name", text, word, FAKE),
        ("last_name", text, word, FAKE),
        ("name", text, word, FAKE),
        ("{ kind: name, locale: de }", text, word, FAKE),
        ("{ kind: name, locale: ja }", text, word, FAKE),
        ("phone", text, word, FAKE),
        ("street_address", text, word, FAKE),
        ("city", text, word, FAKE),
        ("state", text, word, FAKE),
        ("zip", text, word, FAKE),
        ("country", text, word, FAKE),
        ("company", text, word, FAKE),
        ("job_title", text, word, FAKE),
        ("username", text, word, FAKE),
        ("url", text, word, FAKE),
        ("ipv4", text, word, FAKE),
        ("ipv6", text, word, FAKE),
        ("mac", text, word, FAKE),
        ("credit_card", text, word, FAKE),
        ("iban", text, word, FAKE),
        ("uuid", text, word, FAKE),
        ("date_of_birth", TypeClass::Date, date, FAKE),
        ("lorem_words", text, word, FAKE),
        ("lorem_sentence", text, word, FAKE),
        ("lorem_paragraph", text, word, FAKE),
        ("{ kind: regex, pattern: '[0-9]', replacement: '#' }", text, word, FAKE),
        ("{ kind: random_int, min: 1, max: 100 }", TypeClass::Int { bytes: 4 }, word, FAKE),
        ("{ kind: random_float, min: 0, max: 1 }", TypeClass::Float, word, FAKE),
        ("{ kind: random_date, from: 2000-01-01, to: 2020-12-31 }", TypeClass::Date, word, FAKE),
        ("{ kind: noise, fraction: 0.1 }", TypeClass::Decimal, number, FAKE),
        ("{ kind: noise, duration: 30d }", TypeClass::Date, date, FAKE),
        ("{ kind: json, paths: { '$.email': email } }", TypeClass::Json, json, FAKE),
    ]
}

fn main() {
    // `cargo bench` passes --bench; a test build of this target has nothing to check.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let keys = Keyring::from_secret("bench");
    let mut missed = Vec::new();
    println!("{:<58} {:>12} {:>12}  verdict", "rule", "values/s", "target/s");
    for (yaml, class, input, target) in cases() {
        let rule: Rule = serde_saphyr::from_str(yaml).expect("rule");
        let spec = spec::compile(&rule).expect("compiles").spec;
        let masker = Masker::new(&spec, &column(class, None), BinaryText::Hex).expect("fits");
        // Distinct inputs, so nothing is served from a cache the copy would not have.
        let inputs: Vec<String> = (0..200_000).map(input).collect();
        let mut out = Vec::with_capacity(256);
        let mut done = 0u64;
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(1500) {
            for v in &inputs {
                masker.apply(Some(v.as_bytes()), &keys, &mut out).expect("masks");
                std::hint::black_box(&out);
            }
            done += inputs.len() as u64;
        }
        let rate = done as f64 / started.elapsed().as_secs_f64();
        let verdict = if rate >= target { "ok" } else { "BELOW TARGET" };
        if rate < target {
            missed.push(yaml);
        }
        println!("{yaml:<58} {rate:>12.0} {target:>12.0}  {verdict}");
    }
    if !missed.is_empty() {
        eprintln!("below target: {}", missed.join(", "));
        std::process::exit(1);
    }
}
