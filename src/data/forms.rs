//! How engines spell values in their text forms, as far as copying between engines needs to
//! know: each engine describes itself with a [`TextForms`], `convert` does the rest, and masks
//! write the source's form back.

/// How an engine spells a binary value in its text form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryText {
    /// PostgreSQL `bytea` output: `\x` followed by hex digits.
    Hex,
    /// The bytes themselves.
    Raw,
}

/// An engine's text forms.
#[derive(Clone, Copy, Debug)]
pub struct TextForms {
    pub binary: BinaryText,
    /// How booleans are written (true, false).
    pub booleans: (&'static str, &'static str),
    /// Has array types with a literal form of its own.
    pub arrays: bool,
    /// Reads and writes `0000-00-00` dates.
    pub zero_dates: bool,
    /// Decimal columns keep only this many significant digits (SQLite's NUMERIC affinity).
    pub decimal_digits: Option<u32>,
    /// Float columns hold NaN and ±Infinity.
    pub non_finite_floats: bool,
    /// Columns of this declared type read as bytes with no text form elsewhere (geometry, bit).
    pub byte_valued: fn(&str) -> bool,
}

impl TextForms {
    /// An engine with these binary and boolean spellings and nothing else of note: no arrays,
    /// no zero dates, exact decimals, finite floats only, no byte-valued types. Each engine
    /// states what it adds.
    pub const fn plain(binary: BinaryText, booleans: (&'static str, &'static str)) -> Self {
        TextForms {
            binary,
            booleans,
            arrays: false,
            zero_dates: false,
            decimal_digits: None,
            non_finite_floats: false,
            byte_valued: |_| false,
        }
    }
}

/// What to do with MySQL's zero dates (`0000-00-00`) for a target that has none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ZeroDates {
    /// Stop the copy, naming table, column and row.
    #[default]
    Error,
    /// Write NULL (the column must be nullable).
    Null,
}

/// A boolean as any engine spells it: `t`/`f`, `1`/`0`, `true`/`false`, `yes`/`no`, `on`/`off`
/// (any case); `None` for anything else.
pub fn truth(value: &[u8]) -> Option<bool> {
    const YES: [&[u8]; 6] = [b"t", b"true", b"1", b"y", b"yes", b"on"];
    const NO: [&[u8]; 6] = [b"f", b"false", b"0", b"n", b"no", b"off"];
    if YES.iter().any(|w| value.eq_ignore_ascii_case(w)) {
        Some(true)
    } else if NO.iter().any(|w| value.eq_ignore_ascii_case(w)) {
        Some(false)
    } else {
        None
    }
}

/// Lower-case hex of `bytes`, appended to `out`.
pub fn hex_into(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        push_hex(b, out);
    }
}

/// One byte as two lower-case hex digits.
pub fn push_hex(byte: u8, out: &mut Vec<u8>) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.push(DIGITS[(byte >> 4) as usize]);
    out.push(DIGITS[(byte & 15) as usize]);
}
