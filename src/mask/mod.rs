//! How a value is transformed. [`kind`] lists the mask kinds, [`rule`] reads a rule as the
//! config writes it, [`spec`] compiles it into a [`Spec`] whose code lives in [`kinds`], one
//! file per family, and a [`Masker`] binds it to one column (built once by the plan, after
//! checking that its output fits). Rules that look at the rest of the row
//! (`when`, `template`) are put together in [`row`]. The `fake` crate is used here and nowhere
//! else.

pub mod condition;
mod fake_kinds;
mod ids;
mod infer;
pub mod json_path;
mod keyring;
pub mod kind;
pub mod kinds;
mod locale;
mod masker;
pub mod row;
pub mod rule;
mod shape;
mod slot;
pub mod spec;
pub mod synth;
pub mod template;

pub use ids::{iban_valid, luhn_valid};
pub use infer::{Personal, holds_people, infer, looks_personal, suggest};
pub use keyring::Keyring;
pub use kind::Kind;
pub use kinds::Spec;
pub use kinds::hash::HashFormat;
pub use locale::Locale;
pub use masker::Masker;
pub use spec::RuleSpec;

#[cfg(test)]
mod readme;
#[cfg(test)]
mod tests;
