//! A [`Masker`] is one rule bound to one column: built once by the plan, after checking that its
//! output fits the column; per row it only draws and formats.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::fake_kinds;
use super::ids;
use super::json_path;
use super::keyring::Keyring;
use super::kind::Kind;
use super::locale::Locale;
use super::spec::{HashFormat, Spec};
use crate::data::dates;
use crate::data::forms::{BinaryText, hex_into};
use crate::schema::{Column, TypeClass};

/// Base-32 characters of the keyed hash appended to e-mails and usernames: 60 bits, the same
/// bound as [`UNIQUE_MIN_BITS`]. Appended whatever the column's constraints, so one address
/// masks the same in a unique column and in a plain one.
const SUFFIX_CHARS: usize = 12;
/// The fewest bits of keyed output a rule on a unique column must have: 100 million distinct
/// inputs then collide with probability below 0.5 % (n² / 2^(bits+1)).
const UNIQUE_MIN_BITS: f64 = 59.0;
const DEFAULT_HASH_HEX: usize = 32;

/// A rule bound to one column: the compiled spec plus everything the column demands of it.
#[derive(Clone, Debug)]
pub struct Masker {
    spec: Spec,
    class: TypeClass,
    declared_type: String,
    max_chars: Option<usize>,
    nullable: bool,
    binary: BinaryText,
    /// `json`: a masker per path, built for the values found there.
    inner: Vec<(json_path::Path, Masker)>,
    /// `date_of_birth`: the days it draws from, fixed when the masker is built so a run that
    /// crosses midnight on New Year's Eve stays consistent.
    birth_days: (i64, i64),
}

fn int_bounds(bytes: u8) -> (i64, i64) {
    let bits = u32::from(bytes.clamp(1, 8)) * 8;
    if bits == 64 { (i64::MIN, i64::MAX) } else { (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1) }
}

impl Masker {
    /// Check that `spec` can produce values `column` accepts. The error is the reason, without
    /// the column's name.
    pub fn new(spec: &Spec, column: &Column, binary: BinaryText) -> Result<Self, String> {
        let class = column.class;
        let kind = spec.kind();
        let max_chars = column.max_chars.map(|n| n as usize);
        let mismatch =
            || format!("mask {kind} cannot produce a value for a {} column ({})", class.label(), column.declared_type);
        let is_text = class == TypeClass::Text;
        let is_date = matches!(class, TypeClass::Date | TypeClass::Timestamp | TypeClass::TimestampTz);
        let is_number = matches!(class, TypeClass::Int { .. } | TypeClass::Decimal | TypeClass::Float);
        // The shortest value the kind writes into a text column; `None` when it shortens itself.
        let mut min_chars = None;
        let mut inner = Vec::new();
        let fits = match spec {
            Spec::Null => {
                if !column.nullable {
                    return Err(format!("mask null on a NOT NULL column ({})", column.declared_type));
                }
                true
            }
            Spec::Keep => true,
            Spec::Set(value) => {
                if let Some(max) = max_chars
                    && value.chars().count() > max
                {
                    return Err(format!(
                        "set value is {} characters, longer than {}",
                        value.chars().count(),
                        column.declared_type
                    ));
                }
                if let TypeClass::Int { bytes } = class {
                    let (lo, hi) = int_bounds(bytes);
                    if !value.trim().parse::<i64>().is_ok_and(|v| (lo..=hi).contains(&v)) {
                        return Err(format!("set value {value:?} is not an integer {} holds", column.declared_type));
                    }
                }
                true
            }
            Spec::Hash { format, length } => match class {
                TypeClass::Text => {
                    if let (Some(max), Some(len)) = (max_chars, length)
                        && *len as usize > max
                    {
                        return Err(format!("hash length {len} is longer than {}", column.declared_type));
                    }
                    true
                }
                TypeClass::Int { bytes } => {
                    let digits = int_bounds(bytes).1.to_string().len() as u32;
                    if *format == Some(HashFormat::Hex) {
                        return Err(format!("hash format hex cannot go into {}; use digits", column.declared_type));
                    }
                    if length.is_some_and(|l| l >= digits) {
                        return Err(format!(
                            "hash length {} does not fit {}",
                            length.unwrap_or(0),
                            column.declared_type
                        ));
                    }
                    true
                }
                TypeClass::Uuid if length.is_some() => {
                    return Err("hash into a uuid column is always a whole UUID; drop `length`".into());
                }
                TypeClass::Uuid | TypeClass::Binary | TypeClass::Json => true,
                _ => false,
            },
            Spec::Email { domain, .. } => {
                min_chars = Some(SUFFIX_CHARS + 1 + domain.len());
                is_text
            }
            Spec::Fake { kind: Kind::Username, .. } => {
                min_chars = Some(SUFFIX_CHARS);
                is_text
            }
            Spec::Fake { kind: Kind::Ipv4, .. } => {
                min_chars = Some(15);
                is_text || class == TypeClass::Inet
            }
            Spec::Fake { kind: Kind::Ipv6, .. } => {
                min_chars = Some(39);
                is_text || class == TypeClass::Inet
            }
            Spec::Fake { kind: Kind::Mac, .. } => {
                min_chars = Some(17);
                is_text || column.declared_type.starts_with("macaddr")
            }
            Spec::Fake { kind: Kind::CreditCard, .. } => {
                min_chars = Some(16);
                is_text || class == TypeClass::Decimal || class == TypeClass::Int { bytes: 8 }
            }
            Spec::Fake { kind: Kind::Uuid, .. } => {
                min_chars = Some(36);
                is_text || class == TypeClass::Uuid || class == TypeClass::Binary
            }
            Spec::Fake { .. } => is_text,
            Spec::Iban { country } => {
                min_chars = ids::iban_length(country);
                is_text
            }
            Spec::DateOfBirth { .. } | Spec::RandomDate { .. } => {
                min_chars = Some(10);
                is_text || is_date
            }
            Spec::Mask { .. } | Spec::Regex { .. } | Spec::Template(_) => is_text,
            Spec::RandomInt { min, max } => match class {
                TypeClass::Int { bytes } => {
                    let (lo, hi) = int_bounds(bytes);
                    if *min < lo || *max > hi {
                        return Err(format!("random_int range {min} to {max} does not fit {}", column.declared_type));
                    }
                    true
                }
                TypeClass::Text => {
                    min_chars = Some(min.to_string().len().max(max.to_string().len()));
                    true
                }
                _ => is_number,
            },
            Spec::RandomFloat { min, max, decimals } => {
                let width = |v: f64| format!("{v:.*}", *decimals as usize).len();
                min_chars = Some(width(*min).max(width(*max)));
                matches!(class, TypeClass::Decimal | TypeClass::Float | TypeClass::Text)
            }
            Spec::NoiseFraction(_) => is_number,
            Spec::NoiseSeconds(seconds) => {
                if class == TypeClass::Date && seconds % 86_400 != 0 {
                    return Err(format!("noise duration must be whole days for a {} column", column.declared_type));
                }
                is_date
            }
            Spec::Json(paths) => {
                for (path, spec) in paths {
                    let numeric =
                        matches!(spec, Spec::RandomInt { .. } | Spec::RandomFloat { .. } | Spec::NoiseFraction(_));
                    let class = if numeric { TypeClass::Decimal } else { TypeClass::Text };
                    let value = Column::new(path.text.clone(), "a JSON value", class);
                    let m =
                        Masker::new(spec, &value, BinaryText::Raw).map_err(|e| format!("path {}: {e}", path.text))?;
                    inner.push((path.clone(), m));
                }
                class == TypeClass::Json || is_text
            }
        };
        if !fits {
            return Err(mismatch());
        }
        if is_text
            && let (Some(max), Some(min)) = (max_chars, min_chars)
            && max < min
        {
            let why = if matches!(kind, Kind::Email | Kind::Username) { " to stay unique" } else { "" };
            return Err(format!(
                "{} holds {max} characters, mask {kind} needs at least {min}{why}",
                column.declared_type
            ));
        }
        Ok(Masker {
            spec: spec.clone(),
            class,
            declared_type: column.declared_type.clone(),
            max_chars,
            nullable: column.nullable,
            binary,
            inner,
            birth_days: match spec {
                // Birth years Y-max_age ..= Y-min_age-1 for the year Y of the run: every date
                // is an age in the range on every day of that year, and stays put all year.
                Spec::DateOfBirth { min_age, max_age } => {
                    let year = dates::civil_from_days(today_days()).0;
                    (
                        dates::days_from_civil(year - i64::from(*max_age), 1, 1),
                        dates::days_from_civil(year - i64::from(*min_age) - 1, 12, 31),
                    )
                }
                _ => (0, 0),
            },
        })
    }

    pub fn kind(&self) -> Kind {
        self.spec.kind()
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Why this rule could give two distinct inputs the same output, if it can; `Ok` when its
    /// output carries at least [`UNIQUE_MIN_BITS`] of keyed hash per value (or is the input).
    pub fn unique_safe(&self) -> Result<(), String> {
        let bits = match &self.spec {
            Spec::Keep => return Ok(()),
            Spec::Null if self.nullable => return Ok(()),
            Spec::Email { .. } | Spec::Fake { kind: Kind::Username, .. } => 5.0 * SUFFIX_CHARS as f64,
            Spec::Fake { kind: Kind::Uuid, .. } => 122.0,
            Spec::Fake { kind: Kind::Ipv6, .. } => 96.0,
            Spec::Hash { format, length } => match (self.class, length) {
                (TypeClass::Uuid, _) => 122.0,
                (TypeClass::Json, _) => 4.0 * length.map_or(DEFAULT_HASH_HEX, |l| l as usize) as f64,
                (TypeClass::Binary, Some(len)) => 8.0 * *len as f64,
                (_, None) => {
                    return Err("hash keeps each value's length, so short values can collide; give a `length`".into());
                }
                (_, Some(len)) => {
                    let per_char = if matches!(self.class, TypeClass::Int { .. }) || *format == Some(HashFormat::Digits)
                    {
                        10f64.log2()
                    } else {
                        4.0
                    };
                    per_char * *len as f64
                }
            },
            _ => 0.0,
        };
        if bits >= UNIQUE_MIN_BITS {
            return Ok(());
        }
        Err(match &self.spec {
            Spec::Hash { .. } => format!(
                "a hash of {bits:.0} bits can collide; a unique column needs at least {UNIQUE_MIN_BITS} (hex length 15, digits 18)"
            ),
            spec => format!(
                "mask {} can give two rows the same value; use email, username, uuid, ipv6 or a hash with a length",
                spec.kind()
            ),
        })
    }

    /// Write the masked form of `input` into `out` (cleared first). Returns false for NULL.
    /// NULL stays NULL under every kind. The error is the reason a value could not be masked,
    /// without the column's name.
    pub fn apply(&self, input: Option<&[u8]>, keys: &Keyring, out: &mut Vec<u8>) -> Result<bool, String> {
        out.clear();
        let Some(input) = input else { return Ok(false) };
        let kind = self.kind();
        match &self.spec {
            Spec::Null => return Ok(false),
            Spec::Keep => out.extend_from_slice(input),
            Spec::Set(value) => out.extend_from_slice(value.as_bytes()),
            Spec::Hash { format, length } => self.hash(input, format.unwrap_or(HashFormat::Hex), *length, keys, out),
            Spec::Email { locale, domain } => {
                let mut rng = keys.rng(kind.name(), input);
                let local = fake_kinds::generate(Kind::Email, *locale, &mut rng);
                self.suffixed(&local, Some(domain), '.', "email/suffix", input, keys, out);
            }
            Spec::Fake { kind: Kind::Username, locale } => {
                let mut rng = keys.rng(kind.name(), input);
                let name = fake_kinds::generate(Kind::Username, *locale, &mut rng);
                self.suffixed(&name, None, '_', "username/suffix", input, keys, out);
            }
            Spec::Fake { kind: Kind::Ipv4, .. } => {
                let d = keys.digest(kind.name(), input);
                // Unicast: first octet 11..=223 (past 10/8), never loopback.
                let first = 11 + u32::from(d[0]) % 213;
                let first = if first == 127 { 128 } else { first };
                out.extend_from_slice(format!("{first}.{}.{}.{}", d[1], d[2], 1 + d[3] % 254).as_bytes());
            }
            Spec::Fake { kind: Kind::Ipv6, .. } => {
                let d = keys.digest(kind.name(), input);
                ids::ipv6(d[..12].try_into().expect("12 bytes"), out);
            }
            Spec::Fake { kind: Kind::Mac, .. } => {
                let d = keys.digest(kind.name(), input);
                ids::mac(d[..6].try_into().expect("6 bytes"), out);
            }
            Spec::Fake { kind: Kind::Uuid, .. } => {
                let d = keys.digest(kind.name(), input);
                if self.class == TypeClass::Binary {
                    self.binary_out(&d[..16], out);
                } else {
                    ids::uuid(d[..16].try_into().expect("16 bytes"), out);
                }
            }
            Spec::Fake { kind: Kind::CreditCard, .. } => {
                out.extend_from_slice(ids::credit_card(&mut keys.rng(kind.name(), input)).as_bytes())
            }
            Spec::Iban { country } => {
                out.extend_from_slice(ids::iban(country, &mut keys.rng(kind.name(), input)).as_bytes())
            }
            Spec::Fake { kind, locale } => {
                let mut rng = keys.rng(kind.name(), input);
                let value = self.fit(fake_kinds::generate(*kind, *locale, &mut rng), *kind, *locale, &mut rng);
                out.extend_from_slice(value.as_bytes());
            }
            Spec::DateOfBirth { .. } => {
                let days = keys.rng(kind.name(), input).random_range(self.birth_days.0..=self.birth_days.1);
                self.date_out(days, 0, out);
            }
            Spec::RandomDate { from, to } => {
                let mut rng = keys.rng(kind.name(), input);
                let days = rng.random_range(*from..=*to);
                let seconds = rng.random_range(0..86_400);
                self.date_out(days, seconds, out);
            }
            Spec::Mask { keep_first, keep_last, with } => {
                let text = utf8(input)?;
                // E-mail aware: the domain stays, the rule applies to the local part.
                let (local, domain) = match text.rfind('@') {
                    Some(at) if at > 0 => text.split_at(at),
                    _ => (text, ""),
                };
                let chars: Vec<char> = local.chars().collect();
                let n = chars.len();
                let (kf, kl) = if n > keep_first + keep_last { (*keep_first, *keep_last) } else { (0, 0) };
                let mut s = String::with_capacity(text.len());
                s.extend(&chars[..kf]);
                s.extend(std::iter::repeat_n(*with, n - kf - kl));
                s.extend(&chars[n - kl..]);
                s.push_str(domain);
                out.extend_from_slice(s.as_bytes());
            }
            Spec::Regex { regex, replacement } => {
                let replaced = regex.replace_all(utf8(input)?, replacement.as_str());
                out.extend_from_slice(replaced.as_bytes());
            }
            Spec::RandomInt { min, max } => {
                let v = keys.rng(kind.name(), input).random_range(*min..=*max);
                out.extend_from_slice(v.to_string().as_bytes());
            }
            Spec::RandomFloat { min, max, decimals } => {
                let v = keys.rng(kind.name(), input).random_range(*min..=*max);
                out.extend_from_slice(format!("{v:.*}", *decimals as usize).as_bytes());
            }
            Spec::NoiseFraction(fraction) => self.noise_number(input, *fraction, keys, out)?,
            Spec::NoiseSeconds(seconds) => self.noise_date(input, *seconds, keys, out),
            Spec::Template(_) => unreachable!("templates are rendered by the row mask"),
            Spec::Json(_) => self.json(input, keys, out)?,
        }
        // The other kinds are sized to the column when the masker is built.
        if let Some(max) = self.max_chars
            && self.class == TypeClass::Text
            && matches!(self.spec, Spec::Regex { .. } | Spec::Json(_))
        {
            let len = String::from_utf8_lossy(out).chars().count();
            if len > max {
                return Err(format!("{kind} result is {len} characters, longer than {}", self.declared_type));
            }
        }
        Ok(true)
    }

    fn hash(&self, input: &[u8], format: HashFormat, length: Option<u32>, keys: &Keyring, out: &mut Vec<u8>) {
        let mut rng = keys.rng("hash", input);
        match self.class {
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
                let len = length.map_or_else(|| self.binary_len(input), |l| l as usize);
                let bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
                self.binary_out(&bytes, out);
            }
            TypeClass::Json => {
                out.push(b'"');
                draw_chars(&mut rng, format, length.map_or(DEFAULT_HASH_HEX, |l| l as usize), out);
                out.push(b'"');
            }
            _ => {
                let len = length.map_or_else(|| String::from_utf8_lossy(input).chars().count(), |l| l as usize);
                draw_chars(&mut rng, format, self.max_chars.map_or(len, |m| len.min(m)), out);
            }
        }
    }

    fn binary_len(&self, input: &[u8]) -> usize {
        match self.binary {
            BinaryText::Hex => input.len().saturating_sub(2) / 2,
            BinaryText::Raw => input.len(),
        }
    }

    fn binary_out(&self, bytes: &[u8], out: &mut Vec<u8>) {
        match self.binary {
            BinaryText::Hex => {
                out.extend_from_slice(b"\\x");
                hex_into(bytes, out);
            }
            BinaryText::Raw => out.extend_from_slice(bytes),
        }
    }

    fn date_out(&self, days: i64, seconds: i64, out: &mut Vec<u8>) {
        out.extend_from_slice(dates::format_date(days).as_bytes());
        let time = format!(" {:02}:{:02}:{:02}", seconds / 3600, seconds % 3600 / 60, seconds % 60);
        match self.class {
            TypeClass::Timestamp => out.extend_from_slice(time.as_bytes()),
            TypeClass::TimestampTz => {
                out.extend_from_slice(time.as_bytes());
                out.extend_from_slice(b"+00");
            }
            _ => {}
        }
    }

    /// `head` + separator + keyed suffix (+ `@domain`), `head` shortened to fit the column.
    #[allow(clippy::too_many_arguments)]
    fn suffixed(
        &self,
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
        let max = self.max_chars.unwrap_or(usize::MAX);
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

    /// Make a generated value fit the column's length.
    fn fit(&self, value: String, kind: Kind, locale: Locale, rng: &mut ChaCha8Rng) -> String {
        let max = self.max_chars.unwrap_or(usize::MAX);
        if value.chars().count() <= max {
            return value;
        }
        // Another draw is usually short enough and reads better than a cut-off word.
        for _ in 0..8 {
            let again = fake_kinds::generate(kind, locale, rng);
            if again.chars().count() <= max {
                return again;
            }
        }
        truncate_chars(&value, max).trim_end().to_string()
    }

    fn noise_number(&self, input: &[u8], fraction: f64, keys: &Keyring, out: &mut Vec<u8>) -> Result<(), String> {
        let text = utf8(input)?.trim();
        let factor = 1.0 + keys.rng("noise", input).random_range(-fraction..=fraction);
        match self.class {
            TypeClass::Int { bytes } => match text.parse::<i64>() {
                Ok(v) => {
                    let (lo, hi) = int_bounds(bytes);
                    let noised = (v as f64 * factor).round().clamp(lo as f64, hi as f64) as i64;
                    out.extend_from_slice(noised.to_string().as_bytes());
                }
                // Beyond i64: MySQL's BIGINT UNSIGNED. The unsigned range is the column's.
                Err(_) => {
                    let v: u64 = text.parse().map_err(|_| format!("noise: {text:?} is not an integer"))?;
                    out.extend_from_slice(format!("{:.0}", (v as f64 * factor).min(u64::MAX as f64)).as_bytes());
                }
            },
            _ => {
                let v: f64 = text.parse().map_err(|_| format!("noise: {text:?} is not a number"))?;
                if !v.is_finite() {
                    out.extend_from_slice(input);
                } else if self.class == TypeClass::Float {
                    out.extend_from_slice((v * factor).to_string().as_bytes());
                } else {
                    // A decimal keeps its scale: 12.50 stays two places.
                    let scale = text.split_once('.').map_or(0, |(_, f)| f.len());
                    out.extend_from_slice(format!("{:.*}", scale, v * factor).as_bytes());
                }
            }
        }
        Ok(())
    }

    /// Shift a date or timestamp by up to ± `seconds`; values with no calendar date (`infinity`,
    /// BC dates, MySQL zero dates) are written unchanged.
    fn noise_date(&self, input: &[u8], seconds: i64, keys: &Keyring, out: &mut Vec<u8>) {
        let text = String::from_utf8_lossy(input);
        let mut rng = keys.rng("noise", input);
        if self.class == TypeClass::Date {
            let days = seconds / 86_400;
            match dates::parse_date(&text) {
                Some(d) => out.extend_from_slice(dates::format_date(d + rng.random_range(-days..=days)).as_bytes()),
                None => out.extend_from_slice(input),
            }
            return;
        }
        match dates::parse_timestamp(&text) {
            Some(ts) => ts.format_shifted(rng.random_range(-seconds..=seconds), out),
            None => out.extend_from_slice(input),
        }
    }

    fn json(&self, input: &[u8], keys: &Keyring, out: &mut Vec<u8>) -> Result<(), String> {
        let mut doc: serde_json::Value =
            serde_json::from_slice(input).map_err(|e| format!("json: the value is not valid JSON ({e})"))?;
        let mut scratch = Vec::new();
        for (path, masker) in &self.inner {
            path.for_each(&mut doc, &mut |v| {
                masker.json_value(v, keys, &mut scratch).map_err(|e| format!("json path {}: {e}", path.text))
            })?;
        }
        serde_json::to_writer(&mut *out, &doc).map_err(|e| format!("json: {e}"))
    }

    /// Mask one value found inside a JSON document, keeping numbers numbers.
    fn json_value(&self, v: &mut serde_json::Value, keys: &Keyring, scratch: &mut Vec<u8>) -> Result<(), String> {
        use serde_json::Value;
        let (text, was_number) = match v {
            Value::Null => return Ok(()),
            Value::String(s) => (std::mem::take(s), false),
            Value::Number(n) => (n.to_string(), true),
            Value::Bool(b) => (b.to_string(), false),
            Value::Array(_) | Value::Object(_) if matches!(self.spec, Spec::Null) => {
                *v = Value::Null;
                return Ok(());
            }
            Value::Array(_) | Value::Object(_) => {
                return Err("reaches an object or array; name the values inside it".into());
            }
        };
        if !self.apply(Some(text.as_bytes()), keys, scratch)? {
            *v = Value::Null;
            return Ok(());
        }
        let masked = String::from_utf8_lossy(scratch).into_owned();
        let numeric_out = self.class == TypeClass::Decimal;
        *v = match serde_json::from_str::<serde_json::Number>(&masked) {
            Ok(n) if was_number && (numeric_out || matches!(self.spec, Spec::Hash { .. })) => Value::Number(n),
            _ => Value::String(masked),
        };
        Ok(())
    }
}

/// Days since 1970-01-01 today (UTC).
pub(super) fn today_days() -> i64 {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    (secs / 86_400) as i64
}

fn utf8(input: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(input).map_err(|_| "the value is not UTF-8 text".to_string())
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

fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
