//! The mask kinds' code, one file per family: each compiles its kinds' options, checks that a
//! column can take their values, and writes them. [`Spec`] is a compiled rule; its methods are
//! the one place that dispatches to the families.

pub mod constant;
pub mod edit;
pub mod generated;
pub mod hash;
pub mod json;
pub mod noise;
mod point;
pub mod random;
pub mod text;

use super::keyring::Keyring;
use super::kind::Kind;
use super::slot::{Slot, cannot};
use super::template::Template;
use crate::schema::{Column, TypeClass};

/// A rule compiled into what it means: the kind with its options typed and checked.
#[derive(Clone, Debug)]
pub enum Spec {
    Constant(constant::Constant),
    Text(text::Text),
    Generated(generated::Generated),
    Hash(hash::Hash),
    Edit(edit::Edit),
    Random(random::Random),
    Noise(noise::Noise),
    /// Built from the row's other values by the row mask, not per value.
    Template(Template<String>),
    Json(json::Json),
}

impl Spec {
    pub const NULL: Spec = Spec::Constant(constant::Constant::Null);
    pub const KEEP: Spec = Spec::Constant(constant::Constant::Keep);

    pub fn kind(&self) -> Kind {
        match self {
            Spec::Constant(c) => c.kind(),
            Spec::Text(t) => t.kind(),
            Spec::Generated(g) => g.kind(),
            Spec::Hash(_) => Kind::Hash,
            Spec::Edit(e) => e.kind(),
            Spec::Random(r) => r.kind(),
            Spec::Noise(_) => Kind::Noise,
            Spec::Template(_) => Kind::Template,
            Spec::Json(_) => Kind::Json,
        }
    }

    pub fn is_keep(&self) -> bool {
        matches!(self, Spec::Constant(constant::Constant::Keep))
    }

    /// Writes numbers (so a value inside JSON is read as one).
    pub fn numeric(&self) -> bool {
        match self {
            Spec::Random(r) => r.numeric(),
            Spec::Noise(n) => matches!(n, noise::Noise::Fraction(_)),
            _ => false,
        }
    }

    /// Whether `column` takes this rule's values: the shortest text it writes into a text
    /// column (`None` when it shortens itself), or why the column cannot take them.
    pub fn check(&self, column: &Column) -> Result<Option<usize>, String> {
        match self {
            Spec::Constant(c) => c.check(column),
            Spec::Text(t) => t.check(column),
            Spec::Generated(g) => g.check(column),
            Spec::Hash(h) => h.check(column),
            Spec::Edit(e) => e.check(column),
            Spec::Random(r) => r.check(column),
            Spec::Noise(n) => n.check(column),
            Spec::Template(_) if column.class == TypeClass::Text => Ok(None),
            Spec::Template(_) => Err(cannot(Kind::Template, column)),
            Spec::Json(j) => j.check(column),
        }
    }

    /// Write the masked form of a value into `out`; false for NULL.
    pub fn write(&self, slot: &Slot, input: &[u8], keys: &Keyring, out: &mut Vec<u8>) -> Result<bool, String> {
        match self {
            Spec::Constant(c) => return Ok(c.write(input, out)),
            Spec::Text(t) => t.write(slot, input, keys, out),
            Spec::Generated(g) => g.write(slot, input, keys, out),
            Spec::Hash(h) => h.write(slot, input, keys, out),
            Spec::Edit(e) => e.write(slot, input, out)?,
            Spec::Random(r) => r.write(slot, input, keys, out),
            Spec::Noise(n) => n.write(slot, input, keys, out)?,
            Spec::Template(_) => unreachable!("templates are rendered by the row mask"),
            Spec::Json(j) => j.write(slot, input, keys, out)?,
        }
        Ok(true)
    }

    /// Bits of keyed output per value (infinite for rules that keep values distinct), or why
    /// the rule can collide on this column whatever its bits.
    pub fn unique_bits(&self, slot: &Slot) -> Result<f64, String> {
        Ok(match self {
            Spec::Constant(c) => c.unique_bits(slot),
            Spec::Text(t) => t.unique_bits(),
            Spec::Generated(g) => g.unique_bits(),
            Spec::Hash(h) => h.unique_bits(slot)?,
            _ => 0.0,
        })
    }
}
