//! `mask` and `regex`: the input's own text, partly replaced.

use regex::Regex;

use super::super::kind::Kind;
use super::super::rule::FullRule;
use super::super::slot::{Slot, cannot, utf8};
use crate::schema::{Column, TypeClass};

#[derive(Clone, Debug)]
pub enum Edit {
    /// Keep this many characters at each end, replace the rest with `with`.
    Mask { keep_first: usize, keep_last: usize, with: char },
    /// Replace every match (`$1` for groups).
    Regex { regex: Regex, replacement: String },
}

impl Edit {
    pub fn compile(kind: Kind, r: &FullRule) -> Result<Self, String> {
        if kind == Kind::Mask {
            return Ok(Edit::Mask {
                keep_first: r.keep_first.unwrap_or(0) as usize,
                keep_last: r.keep_last.unwrap_or(0) as usize,
                with: r.with.unwrap_or('*'),
            });
        }
        let pattern = r.pattern.as_deref().ok_or("kind regex needs `pattern`")?;
        let regex = Regex::new(pattern).map_err(|e| {
            format!("pattern {pattern:?}: {}", e.to_string().lines().last().unwrap_or("invalid").trim())
        })?;
        Ok(Edit::Regex { regex, replacement: r.replacement.clone().ok_or("kind regex needs `replacement`")? })
    }

    pub fn kind(&self) -> Kind {
        match self {
            Edit::Mask { .. } => Kind::Mask,
            Edit::Regex { .. } => Kind::Regex,
        }
    }

    pub fn check(&self, column: &Column) -> Result<Option<usize>, String> {
        if column.class == TypeClass::Text { Ok(None) } else { Err(cannot(self.kind(), column)) }
    }

    pub fn write(&self, slot: &Slot, input: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        match self {
            Edit::Mask { keep_first, keep_last, with } => {
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
                Ok(())
            }
            Edit::Regex { regex, replacement } => {
                let replaced = regex.replace_all(utf8(input)?, replacement.as_str());
                out.extend_from_slice(replaced.as_bytes());
                // Its length follows the input's, so it is checked per value.
                slot.check_length("regex", out)
            }
        }
    }
}
