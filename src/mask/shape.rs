//! Whether a value could be a mask's output, by its shape alone: what `verify` can still check
//! of a mask it cannot work out again (no secret, so the fakes differ from run to run).

use super::ids::{iban_valid, luhn_valid};
use super::kind::Kind;
use super::kinds::Spec;
use super::kinds::generated::Generated;
use super::kinds::hash::HashFormat;
use super::kinds::random::Random;
use crate::schema::TypeClass;

/// `Some(true)` when `value` has the shape `spec` writes into a column of `class`, `Some(false)`
/// when it cannot be its output, `None` when the kind's output has no shape to check here (a
/// name, a sentence, a value in a type whose spelling is the engine's).
pub fn well_formed(spec: &Spec, class: TypeClass, value: &[u8]) -> Option<bool> {
    let text = std::str::from_utf8(value).ok();
    if matches!(spec, Spec::Constant(_)) && spec.kind() == Kind::Null {
        return Some(false);
    }
    let is_text = class == TypeClass::Text;
    Some(match spec {
        Spec::Text(t) if is_text && t.kind() == Kind::Email => text.is_some_and(|e| email(e, t.domain())),
        Spec::Generated(g) if is_text => {
            let Some(v) = text else { return Some(false) };
            match g {
                Generated::Ipv4 => v.parse::<std::net::Ipv4Addr>().is_ok(),
                Generated::Ipv6 => v.parse::<std::net::Ipv6Addr>().is_ok(),
                Generated::Mac => {
                    v.len() == 17 && v.split(':').all(|p| p.len() == 2 && u8::from_str_radix(p, 16).is_ok())
                }
                Generated::CreditCard => luhn_valid(v),
                Generated::Uuid => uuid(v),
                Generated::Iban { .. } => iban_valid(v),
            }
        }
        Spec::Hash(h) if is_text => match h.format {
            Some(HashFormat::Digits) => value.iter().all(u8::is_ascii_digit),
            Some(HashFormat::Hex) | None => value.iter().all(u8::is_ascii_hexdigit),
        },
        Spec::Random(Random::Int { min, max }) if is_text || matches!(class, TypeClass::Int { .. }) => {
            text.and_then(|v| v.trim().parse::<i64>().ok()).is_some_and(|n| (*min..=*max).contains(&n))
        }
        Spec::Random(Random::Float { min, max, decimals }) if is_text || class == TypeClass::Float => {
            // The output is rounded to `decimals`, so a bound may move by half a last digit.
            let slack = 10f64.powi(-i32::from(*decimals));
            text.and_then(|v| v.trim().parse::<f64>().ok()).is_some_and(|f| f >= min - slack && f <= max + slack)
        }
        _ => return None,
    })
}

fn email(address: &str, domain: &str) -> bool {
    let Some((local, host)) = address.split_once('@') else { return false };
    !local.is_empty() && !host.contains('@') && !address.contains(char::is_whitespace) && host == domain
}

fn uuid(v: &str) -> bool {
    v.len() == 36
        && v.char_indices().all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() })
}
