//! What verify found in one table: the findings by kind and column, and how they are said.

use std::fmt;

use crate::schema::TableName;

/// How many rows, keys or positions a finding names before it only counts.
pub const EXAMPLES: usize = 5;

/// What kind of difference a finding counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A row the copy would write is not in the target.
    Missing,
    /// A row in the target that the copy would not write.
    Extra,
    /// An unmasked value that is not the source's.
    Differs,
    /// A masked value that is not what its rule gives for the source row.
    Masked,
    /// A masked column holds one of the source's original values.
    Original,
    /// A masked value that cannot be its mask's output (an email without its domain, a uuid
    /// that is not one): checked when the masks are not keyed.
    Malformed,
}

impl Kind {
    /// The name in `--json`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Missing => "missing",
            Kind::Extra => "extra",
            Kind::Differs => "differs",
            Kind::Masked => "masked",
            Kind::Original => "original",
            Kind::Malformed => "malformed",
        }
    }
}

/// One kind of difference in one table (and column): how many rows, and the first few, each
/// named by its key, or by its position in the read when a masked column is part of the key.
#[derive(Clone, Debug)]
pub struct Finding {
    pub kind: Kind,
    pub column: Option<String>,
    pub count: u64,
    pub examples: Vec<String>,
}

/// One table's answer.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The target table.
    pub table: TableName,
    /// Rows the copy would write, and rows the target holds.
    pub expected: u64,
    pub found: u64,
    pub findings: Vec<Finding>,
    /// Only the rows `--sample` drew were compared.
    pub sampled: bool,
    /// Why a table was compared whole although `--sample` was asked.
    pub whole: Option<String>,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.findings.is_empty() {
            let verb = if self.expected == 1 { "matches" } else { "match" };
            let counted = match self.sampled {
                true => rows(self.expected).replacen(' ', " sampled ", 1),
                false => rows(self.expected),
            };
            return write!(f, "table {}: {counted} {verb}", self.table);
        }
        for (i, x) in self.findings.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let n = x.count;
            let what = match x.kind {
                Kind::Missing => format!("{} missing from the target", rows(n)),
                Kind::Extra => format!("{} in the target that the source does not give", rows(n)),
                Kind::Differs => format!("{} not the source's", values(n)),
                Kind::Masked => format!("{} not what the mask rule gives", masked_values(n)),
                Kind::Original => format!("{} the source's original value", values(n)),
                Kind::Malformed => format!("{} not the shape its mask writes", masked_values(n)),
            };
            match &x.column {
                Some(c) => write!(f, "table {}, column {c}: {what}", self.table)?,
                None => write!(f, "table {}: {what}", self.table)?,
            }
            let shown = x.examples.len() as u64;
            if shown > 0 {
                let more = if n > shown { format!(" and {} more", n - shown) } else { String::new() };
                write!(f, " ({}{more})", x.examples.join("; "))?;
            }
        }
        Ok(())
    }
}

fn rows(n: u64) -> String {
    if n == 1 { "1 row".into() } else { format!("{n} rows") }
}

fn values(n: u64) -> String {
    if n == 1 { "1 value is".into() } else { format!("{n} values are") }
}

fn masked_values(n: u64) -> String {
    if n == 1 { "1 masked value is".into() } else { format!("{n} masked values are") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_says_each_finding_on_its_own_line() {
        let v = Verdict {
            table: TableName::new("public", "users"),
            expected: 3,
            found: 3,
            findings: vec![
                Finding { kind: Kind::Missing, column: None, count: 7, examples: vec!["id=1".into(), "id=2".into()] },
                Finding { kind: Kind::Original, column: Some("email".into()), count: 1, examples: vec!["id=3".into()] },
            ],
            sampled: false,
            whole: None,
        };
        assert_eq!(
            v.to_string(),
            "table public.users: 7 rows missing from the target (id=1; id=2 and 5 more)\n\
             table public.users, column email: 1 value is the source's original value (id=3)"
        );
    }
}
