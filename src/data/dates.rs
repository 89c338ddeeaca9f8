//! Calendar arithmetic for date masks, on the engines' own text forms (`2024-01-31`,
//! `2024-01-31 12:00:00.25+02`), without a date library: only shifting and formatting is needed.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

pub fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD` as days since 1970-01-01; `None` for anything else, including impossible dates
/// and MySQL's zero date.
pub fn parse_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<u32>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let days = days_from_civil(i64::from(y), m, d);
    (civil_from_days(days) == (i64::from(y), m, d)).then_some(days)
}

/// A timestamp's text split into the part that is shifted and the parts kept as they were.
#[derive(Debug, PartialEq)]
pub struct Timestamp<'a> {
    /// Seconds since 1970-01-01 00:00:00 of the written wall-clock time.
    pub seconds: i64,
    /// `' '` or `'T'`.
    pub separator: char,
    /// Fractional seconds including the dot, or empty.
    pub fraction: &'a str,
    /// Zone offset (`+02`, `+05:30`, `Z`) or empty.
    pub zone: &'a str,
}

pub fn parse_timestamp(text: &str) -> Option<Timestamp<'_>> {
    let days = parse_date(text.get(..10)?)?;
    let separator = match text.as_bytes().get(10)? {
        b' ' => ' ',
        b'T' => 'T',
        _ => return None,
    };
    let time = text.get(11..19)?;
    let tb = time.as_bytes();
    if tb[2] != b':' || tb[5] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| time.get(r)?.parse::<i64>().ok();
    let (h, mi, s) = (num(0..2)?, num(3..5)?, num(6..8)?);
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let rest = &text[19..];
    let frac_len = rest.strip_prefix('.').map_or(0, |f| 1 + f.bytes().take_while(u8::is_ascii_digit).count());
    let (fraction, zone) = rest.split_at(frac_len);
    let zone_ok = zone.is_empty()
        || zone == "Z"
        || (zone.starts_with(['+', '-']) && zone[1..].bytes().all(|b| b.is_ascii_digit() || b == b':'));
    zone_ok.then_some(Timestamp { seconds: days * 86_400 + h * 3600 + mi * 60 + s, separator, fraction, zone })
}

impl Timestamp<'_> {
    pub fn format_shifted(&self, by_seconds: i64, out: &mut Vec<u8>) {
        let at = self.seconds + by_seconds;
        let (days, secs) = (at.div_euclid(86_400), at.rem_euclid(86_400));
        out.extend_from_slice(format_date(days).as_bytes());
        let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
        out.extend_from_slice(format!("{}{h:02}:{m:02}:{s:02}", self.separator).as_bytes());
        out.extend_from_slice(self.fraction.as_bytes());
        out.extend_from_slice(self.zone.as_bytes());
    }
}

/// `30d`, `12h`, `1d12h`, `90m`, `45s`, `2w` as seconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let bad = || format!("duration {text:?} is not like 30d, 12h, 1d12h, 90m or 45s");
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'w' => 7 * 86_400,
            'd' => 86_400,
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        let n: i64 = number.parse().map_err(|_| bad())?;
        total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() || total <= 0 {
        return Err(bad());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11016), (2000, 2, 29));
        for days in (-800_000..800_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2000-02-29"), Some(11016));
        assert_eq!(parse_date("2001-02-29"), None);
        assert_eq!(parse_date("0000-00-00"), None);
        assert_eq!(format_date(11016), "2000-02-29");
    }

    #[test]
    fn timestamps_keep_fraction_and_zone() {
        let t = parse_timestamp("2024-02-28 23:30:00.123456+05:30").unwrap();
        assert_eq!((t.fraction, t.zone, t.separator), (".123456", "+05:30", ' '));
        let mut out = Vec::new();
        t.format_shifted(3600, &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "2024-02-29 00:30:00.123456+05:30");
        assert!(parse_timestamp("2024-02-28 25:00:00").is_none());
        assert!(parse_timestamp("2024-02-28 10:00:00 BC").is_none());
        assert_eq!(parse_timestamp("2024-02-28T10:00:00Z").unwrap().zone, "Z");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1d12h"), Ok(129_600));
        assert_eq!(parse_duration("90m"), Ok(5400));
        assert!(parse_duration("12").is_err());
        assert!(parse_duration("3y").is_err());
        assert!(parse_duration("0d").is_err());
    }
}
