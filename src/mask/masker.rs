//! A [`Masker`] is one rule bound to one column: built once by the plan, after checking that its
//! output fits the column; per row it only draws and formats (the families in [`super::kinds`]).

use super::keyring::Keyring;
use super::kind::Kind;
use super::kinds::Spec;
use super::kinds::json::ValueMask;
use super::slot::Slot;
use crate::data::forms::BinaryText;
use crate::schema::{Column, TypeClass};

/// The fewest bits of keyed output a rule on a unique column must have: 100 million distinct
/// inputs then collide with probability below 0.5 % (n² / 2^(bits+1)).
const UNIQUE_MIN_BITS: f64 = 59.0;

/// A rule bound to one column: the compiled spec plus everything the column demands of it.
#[derive(Clone, Debug)]
pub struct Masker {
    spec: Spec,
    slot: Slot,
}

impl Masker {
    /// Check that `spec` can produce values `column` accepts. The error is the reason, without
    /// the column's name.
    pub fn new(spec: &Spec, column: &Column, binary: BinaryText) -> Result<Self, String> {
        let min_chars = spec.check(column)?;
        let kind = spec.kind();
        if column.class == TypeClass::Text
            && let (Some(max), Some(min)) = (column.max_chars.map(|m| m as usize), min_chars)
            && max < min
        {
            let why = if matches!(kind, Kind::Email | Kind::Username) { " to stay unique" } else { "" };
            return Err(format!(
                "{} holds {max} characters, mask {kind} needs at least {min}{why}",
                column.declared_type
            ));
        }
        Ok(Masker { spec: spec.clone(), slot: Slot::of(column, binary) })
    }

    pub fn kind(&self) -> Kind {
        self.spec.kind()
    }

    /// Whether `value` has the shape this mask writes (`None`: its kind has none to check).
    pub fn well_formed(&self, value: &[u8]) -> Option<bool> {
        super::shape::well_formed(&self.spec, self.slot.class, value)
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Why this rule could give two distinct inputs the same output, if it can; `Ok` when its
    /// output carries at least [`UNIQUE_MIN_BITS`] of keyed hash per value (or is the input).
    pub fn unique_safe(&self) -> Result<(), String> {
        let bits = self.spec.unique_bits(&self.slot)?;
        if bits >= UNIQUE_MIN_BITS {
            return Ok(());
        }
        Err(match &self.spec {
            Spec::Hash(_) => format!(
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
        self.spec.write(&self.slot, input, keys, out)
    }
}

impl ValueMask for Masker {
    fn mask(&self, input: &[u8], keys: &Keyring, out: &mut Vec<u8>) -> Result<bool, String> {
        self.apply(Some(input), keys, out)
    }

    fn nulls(&self) -> bool {
        self.spec.kind() == Kind::Null
    }

    fn keeps_numbers(&self) -> bool {
        self.slot.class == TypeClass::Decimal || matches!(self.spec, Spec::Hash(_))
    }
}
