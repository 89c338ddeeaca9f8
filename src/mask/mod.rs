//! How a value is transformed. [`kind`] lists the mask kinds, [`rule`] reads a rule as the
//! config writes it, [`spec`] compiles it, and a [`Masker`] binds it to one column (built once
//! by the plan, after checking that its output fits). Rules that look at the rest of the row
//! (`when`, `template`) are put together in [`row`]. The `fake` crate is used here and nowhere
//! else.

pub mod condition;
mod fake_kinds;
mod ids;
mod infer;
pub mod json_path;
mod keyring;
pub mod kind;
mod locale;
mod masker;
pub mod row;
pub mod rule;
pub mod spec;
pub mod synth;
pub mod template;

pub use ids::{iban_valid, luhn_valid};
pub use infer::{infer, looks_personal, suggest};
pub use keyring::Keyring;
pub use kind::Kind;
pub use locale::Locale;
pub use masker::Masker;
pub use spec::{HashFormat, RuleSpec, Spec};

#[cfg(test)]
mod readme;
#[cfg(test)]
mod tests;
