//! How a table is written: the one choice that config, plan, engines and summary all speak of.

use std::fmt;

#[derive(Debug, Clone, Copy, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Insert new rows and update existing ones by primary key.
    Upsert,
    /// Empty the target table and load it again, in one transaction.
    Replace,
    /// Upsert, then delete the rows whose key the source no longer gives, in one transaction:
    /// the table ends equal to the rows the run selects, unchanged rows untouched.
    Mirror,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Upsert => "upsert",
            Mode::Replace => "replace",
            Mode::Mirror => "mirror",
        })
    }
}
