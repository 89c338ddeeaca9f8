//! Strings from the config with `${VAR}` replaced from the environment while they are read, so
//! a missing variable is reported with the line and column that names it.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer};

/// A string with `${VAR}` replaced from the environment (`$$` is a literal `$`).
#[derive(Clone, PartialEq, Eq)]
pub struct EnvString(pub String);

impl fmt::Debug for EnvString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Interpolated values may be secrets.
        f.write_str("EnvString(..)")
    }
}

impl EnvString {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for EnvString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        interpolate(&raw, |name| std::env::var(name).ok()).map(EnvString).map_err(de::Error::custom)
    }
}

/// A database URL from the config, `${VAR}`-interpolated. A variable in the URL's user-info
/// (`postgres://app:${DB_PASSWORD}@db/app`) is percent-encoded as it is put in, so a password
/// from a secret store may hold `@`, `:`, `/`, `%` or `#` as it is.
#[derive(Clone, PartialEq, Eq)]
pub struct UrlString(pub EnvString);

impl fmt::Debug for UrlString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UrlString(..)")
    }
}

impl<'de> Deserialize<'de> for UrlString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        interpolate_url(&raw, |name| std::env::var(name).ok())
            .map(|url| UrlString(EnvString(url)))
            .map_err(de::Error::custom)
    }
}

/// [`interpolate`] for a URL: values of variables in the user-info are percent-encoded.
pub fn interpolate_url(raw: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    // The user-info of the template: after `scheme://`, up to the last `@` of the authority.
    let start = raw.find("://").map_or(0, |i| i + 3);
    let authority_end = raw[start..].find(['/', '?', '#']).map_or(raw.len(), |i| start + i);
    let userinfo_end = raw[start..authority_end].rfind('@').map_or(start, |i| start + i);
    expand(raw, &lookup, |at| at >= start && at < userinfo_end)
}

/// Replace `${NAME}` with `lookup(NAME)`; `$$` yields `$`.
pub fn interpolate(raw: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    expand(raw, &lookup, |_| false)
}

/// `value` as a URL's user-info must carry it: everything but RFC 3986's unreserved characters
/// percent-encoded (the `url` crate's own setters leave `%` alone, which would decode again).
pub fn percent_encode_userinfo(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    percent_encode(value, &mut out);
    out
}

/// Characters a URL's user-info may hold as they are (RFC 3986 unreserved).
fn percent_encode(value: &str, out: &mut String) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// `encode(offset)`: whether the variable starting at that offset of `raw` is percent-encoded.
fn expand(
    raw: &str,
    lookup: &impl Fn(&str) -> Option<String>,
    encode: impl Fn(usize) -> bool,
) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body.find('}').ok_or_else(|| "unterminated ${ in value".to_string())?;
            let name = &body[..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("invalid environment variable name ${{{name}}}"));
            }
            let value = lookup(name).ok_or_else(|| format!("environment variable {name} is not set"))?;
            if encode(raw.len() - rest.len() + pos) {
                percent_encode(&value, &mut out);
            } else {
                out.push_str(&value);
            }
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_rules() {
        let env = |n: &str| (n == "A").then(|| "1".to_string());
        assert_eq!(interpolate("x${A}y$$z$", env).unwrap(), "x1y$z$");
        assert!(interpolate("${A", env).unwrap_err().contains("unterminated"));
        assert!(interpolate("${B}", env).unwrap_err().contains("B is not set"));
    }

    #[test]
    fn variables_in_a_urls_user_info_are_percent_encoded() {
        let env = |n: &str| Some(if n == "PW" { "p@ss:w/rd%#?".to_string() } else { "db.internal".to_string() });
        assert_eq!(
            interpolate_url("postgres://app:${PW}@${HOST}:5432/app?x=${HOST}", env).unwrap(),
            "postgres://app:p%40ss%3Aw%2Frd%25%23%3F@db.internal:5432/app?x=db.internal"
        );
        assert_eq!(interpolate_url("postgres://${PW}@h/db", env).unwrap(), "postgres://p%40ss%3Aw%2Frd%25%23%3F@h/db");
        assert_eq!(interpolate_url("sqlite://${HOST}.db", env).unwrap(), "sqlite://db.internal.db");
    }
}
