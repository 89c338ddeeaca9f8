//! `null`, `keep` and `set`: a value that does not depend on the input.

use super::super::kind::Kind;
use super::super::rule::FullRule;
use super::super::slot::{Slot, int_bounds};
use crate::schema::{Column, TypeClass};

#[derive(Clone, Debug)]
pub enum Constant {
    Null,
    Keep,
    Set(String),
}

impl Constant {
    pub fn compile(kind: Kind, r: &FullRule) -> Result<Self, String> {
        Ok(match kind {
            Kind::Keep => Constant::Keep,
            Kind::Set => Constant::Set(r.value.as_ref().ok_or("kind set needs `value`")?.as_str().to_string()),
            _ => Constant::Null,
        })
    }

    pub fn kind(&self) -> Kind {
        match self {
            Constant::Null => Kind::Null,
            Constant::Keep => Kind::Keep,
            Constant::Set(_) => Kind::Set,
        }
    }

    pub fn check(&self, column: &Column) -> Result<Option<usize>, String> {
        match self {
            Constant::Null if !column.nullable => {
                Err(format!("mask null on a NOT NULL column ({})", column.declared_type))
            }
            Constant::Set(_) if column.is_geometry() => Err(format!(
                "set on a geometry column ({}): the value would go in as text where the engine keeps its own \
                 geometry form, and fail mid-copy; use `null`, or move points with \
                 `{{ kind: noise, distance: … }}`",
                column.declared_type
            )),
            Constant::Set(value) => {
                let chars = value.chars().count();
                if column.max_chars.is_some_and(|max| chars > max as usize) {
                    return Err(format!("set value is {chars} characters, longer than {}", column.declared_type));
                }
                if let TypeClass::Int { bytes } = column.class {
                    let (lo, hi) = int_bounds(bytes);
                    if !value.trim().parse::<i64>().is_ok_and(|v| (lo..=hi).contains(&v)) {
                        return Err(format!("set value {value:?} is not an integer {} holds", column.declared_type));
                    }
                }
                Ok(None)
            }
            Constant::Null | Constant::Keep => Ok(None),
        }
    }

    pub fn write(&self, input: &[u8], out: &mut Vec<u8>) -> bool {
        match self {
            Constant::Null => return false,
            Constant::Keep => out.extend_from_slice(input),
            Constant::Set(value) => out.extend_from_slice(value.as_bytes()),
        }
        true
    }

    /// `keep` keeps distinct values distinct, and NULLs never collide; a constant does.
    pub fn unique_bits(&self, slot: &Slot) -> f64 {
        match self {
            Constant::Keep => f64::INFINITY,
            Constant::Null if slot.nullable => f64::INFINITY,
            _ => 0.0,
        }
    }
}
