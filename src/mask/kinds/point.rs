//! `noise` with `distance`: a point moved to a keyed place within a distance of where it was,
//! in each engine's own form of a point: PostgreSQL's `(x,y)`, PostGIS's hex EWKB, MySQL's
//! SRID-prefixed WKB, and WKT text (`POINT(x y)`). Other shapes are refused, naming what they
//! are: moving a line or polygon point by point is not a place any more.

use std::f64::consts::TAU;

use rand::RngExt;

use super::super::keyring::Keyring;

/// A point's coordinates and how to write it back in the form it came in.
enum Form {
    /// PostgreSQL's `point`: `(x,y)`.
    Pg,
    /// WKT: `POINT(x y)`, with an optional `SRID=n;` prefix (EWKT).
    Wkt { prefix: String },
    /// WKB bytes: MySQL's internal form (4-byte SRID first) or PostGIS's EWKB as hex text.
    Wkb { head: Vec<u8>, little: bool, hex: bool },
}

/// `input` moved by up to `distance` (in the coordinates' units), in a direction and by an
/// amount the key and the input decide.
pub fn moved(input: &[u8], distance: f64, keys: &Keyring, out: &mut Vec<u8>) -> Result<(), String> {
    let (x, y, form) = parse(input)?;
    let mut rng = keys.rng("noise-point", input);
    // Uniform over the disc: the square root keeps points from crowding at the centre.
    let (angle, reach) = (rng.random_range(0.0..TAU), distance * rng.random_range(0.0f64..=1.0).sqrt());
    let (nx, ny) = (x + reach * angle.cos(), y + reach * angle.sin());
    match form {
        Form::Pg => out.extend_from_slice(format!("({nx},{ny})").as_bytes()),
        Form::Wkt { prefix } => out.extend_from_slice(format!("{prefix}POINT({nx} {ny})").as_bytes()),
        Form::Wkb { head, little, hex } => {
            let mut bytes = head;
            for v in [nx, ny] {
                bytes.extend_from_slice(&if little { v.to_le_bytes() } else { v.to_be_bytes() });
            }
            if hex {
                for b in bytes {
                    out.extend_from_slice(format!("{b:02X}").as_bytes());
                }
            } else {
                out.extend_from_slice(&bytes);
            }
        }
    }
    Ok(())
}

fn parse(input: &[u8]) -> Result<(f64, f64, Form), String> {
    let text = std::str::from_utf8(input).ok().map(str::trim);
    if let Some(t) = text {
        if let Some(inner) = t.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
            let (x, y) = inner.split_once(',').ok_or("noise distance: a point is written (x,y)")?;
            return Ok((number(x)?, number(y)?, Form::Pg));
        }
        let (prefix, wkt) = match t.split_once(';') {
            Some((srid, rest)) if srid.to_ascii_uppercase().starts_with("SRID=") => (format!("{srid};"), rest),
            _ => (String::new(), t),
        };
        if let Some(inner) = wkt.to_ascii_uppercase().strip_prefix("POINT").map(str::trim) {
            let inner =
                inner.strip_prefix('(').and_then(|i| i.strip_suffix(')')).ok_or("noise distance: bad WKT point")?;
            let mut parts = inner.split_whitespace();
            let (x, y) = (
                parts.next().ok_or("noise distance: bad WKT point")?,
                parts.next().ok_or("noise distance: bad WKT point")?,
            );
            return Ok((number(x)?, number(y)?, Form::Wkt { prefix }));
        }
        if t.len() >= 42 && t.len() % 2 == 0 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            let bytes: Vec<u8> =
                (0..t.len()).step_by(2).map(|i| u8::from_str_radix(&t[i..i + 2], 16).unwrap_or(0)).collect();
            return wkb(&bytes, 0, true);
        }
    }
    // MySQL: a 4-byte SRID, then WKB.
    if input.len() >= 25 && matches!(input[4], 0 | 1) {
        return wkb(input, 4, false);
    }
    Err("noise distance: the value is not a point in a form dbtwin reads (WKT, WKB, PostgreSQL point)".into())
}

/// A WKB point starting at `at` (after MySQL's SRID); PostGIS may carry an SRID in the header.
fn wkb(bytes: &[u8], at: usize, hex: bool) -> Result<(f64, f64, Form), String> {
    let little = bytes.get(at) == Some(&1);
    let word = |i: usize| -> Option<u32> {
        let b: [u8; 4] = bytes.get(i..i + 4)?.try_into().ok()?;
        Some(if little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    };
    let kind = word(at + 1).ok_or("noise distance: the value is too short for a point")?;
    let has_srid = kind & 0x2000_0000 != 0;
    let shape = kind & 0xFFFF;
    if kind & 0xC000_0000 != 0 || shape != 1 {
        let name = match shape {
            2 => "a line",
            3 => "a polygon",
            4..=7 => "a collection of shapes",
            _ => "not a plain 2-D point",
        };
        return Err(format!("noise distance moves points only, and this value is {name}"));
    }
    let coords = at + 5 + if has_srid { 4 } else { 0 };
    let float = |i: usize| -> Option<f64> {
        let b: [u8; 8] = bytes.get(i..i + 8)?.try_into().ok()?;
        Some(if little { f64::from_le_bytes(b) } else { f64::from_be_bytes(b) })
    };
    let (x, y) = (float(coords), float(coords + 8));
    let (Some(x), Some(y)) = (x, y) else { return Err("noise distance: the value is too short for a point".into()) };
    Ok((x, y, Form::Wkb { head: bytes[..coords].to_vec(), little, hex }))
}

fn number(s: &str) -> Result<f64, String> {
    s.trim().parse::<f64>().map_err(|_| format!("noise distance: {s:?} is not a coordinate"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coords(out: &[u8]) -> (f64, f64) {
        let (x, y, _) = parse(out).unwrap();
        (x, y)
    }

    #[test]
    fn every_form_moves_within_the_distance_and_keeps_its_form() {
        let keys = Keyring::from_seed(7);
        let mut mysql = vec![0xE6, 0x10, 0, 0, 1, 1, 0, 0, 0];
        mysql.extend_from_slice(&2.35f64.to_le_bytes());
        mysql.extend_from_slice(&48.85f64.to_le_bytes());
        let postgis = "0101000020E61000009A99999999990240CDCCCCCCCC6C4840";
        for input in [
            b"(2.35,48.85)".to_vec(),
            b"POINT(2.35 48.85)".to_vec(),
            b"SRID=4326;POINT(2.35 48.85)".to_vec(),
            mysql.clone(),
            postgis.as_bytes().to_vec(),
        ] {
            let mut out = Vec::new();
            moved(&input, 0.01, &keys, &mut out).unwrap();
            let ((x, y), (nx, ny)) = (coords(&input), coords(&out));
            let d = ((nx - x).powi(2) + (ny - y).powi(2)).sqrt();
            assert!(d <= 0.01 + 1e-12 && d > 0.0, "moved {d}");
            assert_eq!(out.len() == input.len(), input == mysql || input.starts_with(b"0101"), "same form");
            let mut again = Vec::new();
            moved(&input, 0.01, &keys, &mut again).unwrap();
            assert_eq!(out, again, "keyed: the same point moves to the same place");
        }
        assert!(String::from_utf8(moved_text("SRID=4326;POINT(1 2)", &keys)).unwrap().starts_with("SRID=4326;POINT("));
    }

    fn moved_text(input: &str, keys: &Keyring) -> Vec<u8> {
        let mut out = Vec::new();
        moved(input.as_bytes(), 1.0, keys, &mut out).unwrap();
        out
    }

    #[test]
    fn other_shapes_are_named() {
        let keys = Keyring::from_seed(1);
        let mut line = vec![0, 0, 0, 0, 1, 2, 0, 0, 0];
        line.extend_from_slice(&[0; 40]);
        let err = moved(&line, 1.0, &keys, &mut Vec::new()).unwrap_err();
        assert!(err.contains("this value is a line"), "{err}");
    }
}
