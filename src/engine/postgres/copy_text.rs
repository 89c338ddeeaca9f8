//! PostgreSQL's COPY text format: tab-separated fields, newline-terminated rows, `\N` for NULL,
//! backslash escapes. Decoding removes the escapes into a [`Batch`]; encoding puts them back.
//! Inside the format a newline in a value is always escaped, so a raw `\n` always ends a row.

use crate::data::batch::Batch;

/// Append one row (`line` without its newline) to `batch`. On error the batch is unchanged.
pub fn decode_row(line: &[u8], batch: &mut Batch) -> Result<(), String> {
    let rows = batch.rows();
    let width = batch.width();
    let mut fields = 0;
    let mut rest = line;
    loop {
        let end = memchr::memchr(b'\t', rest).unwrap_or(rest.len());
        let field = &rest[..end];
        fields += 1;
        if fields > width {
            break;
        }
        if field == b"\\N" {
            batch.push_null();
        } else if memchr::memchr(b'\\', field).is_none() {
            batch.push(field);
        } else {
            let start = batch.begin_cell();
            unescape(field, batch.buf());
            batch.end_cell(start);
        }
        if end == rest.len() {
            break;
        }
        rest = &rest[end + 1..];
    }
    if fields != width {
        batch.truncate_rows(rows);
        return Err(format!("COPY row has {fields} fields, expected {width}"));
    }
    Ok(())
}

fn unescape(field: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < field.len() {
        let b = field[i];
        i += 1;
        if b != b'\\' || i == field.len() {
            out.push(b);
            continue;
        }
        let c = field[i];
        i += 1;
        match c {
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                for _ in 0..2 {
                    match field.get(i) {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8);
            }
            b'x' if field.get(i).is_some_and(u8::is_ascii_hexdigit) => {
                let mut v = 0u8;
                for _ in 0..2 {
                    match field.get(i).and_then(|d| (*d as char).to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d as u8;
                            i += 1;
                        }
                        None => break,
                    }
                }
                out.push(v);
            }
            other => out.push(other),
        }
    }
}

/// A value PostgreSQL cannot hold in any text form (only an SQLite source can produce one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unfit {
    Nul,
    NotUtf8,
}

impl std::fmt::Display for Unfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unfit::Nul => "the value holds a NUL byte, which PostgreSQL text cannot hold",
            Unfit::NotUtf8 => "the value is not valid UTF-8, which PostgreSQL text must be",
        })
    }
}

/// Append one row in COPY text form, newline included; a value that cannot go in is refused
/// with its column's position (the row is then left half-written in `out`).
pub fn encode_row<'a>(cells: impl Iterator<Item = Option<&'a [u8]>>, out: &mut Vec<u8>) -> Result<(), (usize, Unfit)> {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        match cell {
            None => out.extend_from_slice(b"\\N"),
            Some(v) => escape(v, out).map_err(|why| (i, why))?,
        }
    }
    out.push(b'\n');
    Ok(())
}

fn escape(value: &[u8], out: &mut Vec<u8>) -> Result<(), Unfit> {
    check(value)?;
    escape_checked(value, out)
}

/// Whether PostgreSQL text can hold `value` as far as its encoding goes (NUL bytes are found
/// while escaping): the server would refuse it with the whole COPY, naming neither column nor
/// row.
pub fn check(value: &[u8]) -> Result<(), Unfit> {
    if !value.is_ascii() && std::str::from_utf8(value).is_err() {
        return Err(Unfit::NotUtf8);
    }
    Ok(())
}

/// Append `value` (or a piece of one already [`check`]ed: escapes are per byte, so a value may
/// be escaped in pieces cut anywhere) in COPY text form.
pub fn escape_checked(value: &[u8], out: &mut Vec<u8>) -> Result<(), Unfit> {
    let needs = |b: &u8| matches!(b, b'\\' | b'\t' | b'\n' | b'\r' | 0);
    if !value.iter().any(needs) {
        out.extend_from_slice(value);
        return Ok(());
    }
    for &b in value {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0 => return Err(Unfit::Nul),
            b => out.push(b),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    fn decode(line: &[u8], width: usize) -> Result<Vec<Option<Vec<u8>>>, String> {
        let mut b = Batch::new(width, 1, 16);
        decode_row(line, &mut b)?;
        Ok(b.row(0).map(|c| c.map(<[u8]>::to_vec)).collect())
    }

    #[test]
    fn decodes_nulls_empties_and_escapes() {
        let row = decode(b"1\t\\N\t\ta\\tb\\\\c\\nd\\101\\x41\\q", 4).unwrap();
        assert_eq!(row[0].as_deref(), Some(&b"1"[..]));
        assert_eq!(row[1], None);
        assert_eq!(row[2].as_deref(), Some(&b""[..]));
        assert_eq!(row[3].as_deref(), Some(&b"a\tb\\c\ndAAq"[..]));
    }

    #[test]
    fn a_backslash_n_inside_text_is_not_null() {
        let row = decode(b"\\\\N\tx\\N", 2).unwrap();
        assert_eq!(row[0].as_deref(), Some(&b"\\N"[..]));
        // `\N` inside a longer field is an escaped `N`, not NULL.
        assert_eq!(row[1].as_deref(), Some(&b"xN"[..]));
    }

    #[test]
    fn wrong_field_count_is_an_error_and_leaves_the_batch_whole() {
        let mut b = Batch::new(2, 2, 16);
        decode_row(b"a\tb", &mut b).unwrap();
        assert!(decode_row(b"a\tb\tc", &mut b).unwrap_err().contains("3 fields, expected 2"));
        assert!(decode_row(b"a", &mut b).unwrap_err().contains("1 fields, expected 2"));
        assert_eq!(b.rows(), 1);
    }

    #[test]
    fn encode_then_decode_is_identity_over_arbitrary_bytes() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let alphabet = "ab\\\t\n\rN\u{e9}.".as_bytes();
        for _ in 0..2000 {
            let width = rng.random_range(1..5);
            let cells: Vec<Option<Vec<u8>>> = (0..width)
                .map(|_| {
                    (!rng.random_bool(0.2)).then(|| {
                        let len = rng.random_range(0..8);
                        (0..len).map(|_| alphabet[rng.random_range(0..alphabet.len())]).collect()
                    })
                })
                .collect();
            let mut line = Vec::new();
            if encode_row(cells.iter().map(|c| c.as_deref()), &mut line).is_err() {
                // A cut through a two-byte character: not UTF-8, refused.
                continue;
            }
            assert_eq!(line.pop(), Some(b'\n'));
            assert!(!line.contains(&b'\n'), "a raw newline only ends rows");
            assert_eq!(decode(&line, width).unwrap(), cells);
        }
    }

    #[test]
    fn values_postgresql_cannot_hold_are_refused_with_their_column() {
        let mut out = Vec::new();
        let row = [Some(&b"ok"[..]), Some(b"a\0b"), None];
        assert_eq!(encode_row(row.into_iter(), &mut out), Err((1, Unfit::Nul)));
        let row = [None, Some(&b"fine \\ too"[..]), Some(b"a\xffb")];
        assert_eq!(encode_row(row.into_iter(), &mut Vec::new()), Err((2, Unfit::NotUtf8)));
        let row = [Some("gr\u{fc}\u{df}e \u{1f600}".as_bytes())];
        assert_eq!(encode_row(row.into_iter(), &mut Vec::new()), Ok(()));
    }
}
