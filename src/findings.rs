//! The personal data a plan would leave unmasked, found by column name and by the shape of
//! sampled values: what `check` warns about, `init` writes rules for and `copy --dry-run` shows.

use std::fmt;

use crate::engine::{EngineError, Source};
use crate::mask::{self, Kind};
use crate::pipeline::sample;
use crate::plan::{Plan, TablePlan};
use crate::schema::{Schema, Table, TableName, TypeClass, with_article};

/// Rows sampled per table to look at values.
pub const SAMPLE_ROWS: u64 = 200;

/// A column that looks personal but is not masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub table: TableName,
    pub column: String,
    pub reason: String,
    /// The rule suggested for it, as YAML, checked against the column (and its keys); `None`
    /// when no mask fits.
    pub rule: Option<String>,
    /// The column's declared type and whether it takes NULL, for the no-fit message.
    pub declared_type: String,
    pub nullable: bool,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "table {}, column {}: {}", self.table, self.column, self.reason)?;
        match &self.rule {
            Some(rule) => write!(f, "; suggested rule: {rule}"),
            None => write!(f, "; no mask fits {} column: give a `set` rule, or `keep` it", self.column_type()),
        }
    }
}

impl Finding {
    /// `a NOT NULL boolean`, `an integer`: the column as a no-fit message names it.
    pub fn column_type(&self) -> String {
        with_article(&if self.nullable {
            self.declared_type.clone()
        } else {
            format!("NOT NULL {}", self.declared_type)
        })
    }
}

/// What a sampled text value looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Email,
    Phone,
    Card,
    Ipv4,
}

impl Shape {
    fn label(self) -> &'static str {
        match self {
            Shape::Email => "e-mail addresses",
            Shape::Phone => "phone numbers",
            Shape::Card => "payment card numbers",
            Shape::Ipv4 => "IPv4 addresses",
        }
    }
}

pub fn shape_of(value: &str) -> Option<Shape> {
    let v = value.trim();
    if is_email(v) {
        Some(Shape::Email)
    } else if is_ipv4(v) {
        Some(Shape::Ipv4)
    } else if is_card(v) {
        Some(Shape::Card)
    } else if is_phone(v) {
        Some(Shape::Phone)
    } else {
        None
    }
}

fn is_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else { return false };
    !local.is_empty()
        && !v.contains(char::is_whitespace)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
}

fn is_ipv4(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 4 && parts.iter().all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u8>().is_ok())
}

/// 13 to 19 digits (spaces or dashes between groups) with a valid Luhn checksum.
fn is_card(v: &str) -> bool {
    let digits = v.chars().filter(char::is_ascii_digit).count();
    v.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '-') && (13..=19).contains(&digits) && mask::luhn_valid(v)
}

/// 7 to 15 digits, written with the characters phone numbers use, optionally an extension.
fn is_phone(v: &str) -> bool {
    let main = v.split(" x").next().unwrap_or(v);
    let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
    let digits = main.chars().filter(char::is_ascii_digit).count();
    main.chars().all(allowed) && (7..=15).contains(&digits) && !main.contains("..") && !is_iso_date(main)
}

/// `2024-01-31` and `2024-01-31 12:00` are dates, not phone numbers.
fn is_iso_date(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b[..4].iter().chain(&b[5..7]).chain(&b[8..10]).all(u8::is_ascii_digit)
}

/// Unmasked columns of every planned table that look personal: by name first, then, for the
/// remaining text columns, by sampling up to [`SAMPLE_ROWS`] rows from the source. Columns a
/// config keeps by name are reviewed; foreign-key columns follow their key and surrogate ids
/// identify nobody, so neither is flagged.
pub async fn findings(plan: &Plan, schema: &Schema, source: &dyn Source) -> Result<Vec<Finding>, EngineError> {
    let mut found = Vec::new();
    for table in &plan.tables {
        let Some(def) = schema.table(table.name()) else { continue };
        let finding = |i: usize, reason: String, kind: Option<Kind>| {
            let col = &def.columns[i];
            let unique = !def.unique_keys_of(i).is_empty() || referenced(schema, def, i);
            Finding {
                table: table.name().clone(),
                column: col.name.clone(),
                reason,
                rule: mask::suggest(col, kind, unique, true).map(|(_, yaml)| yaml),
                declared_type: col.declared_type.clone(),
                nullable: col.nullable,
            }
        };
        let mut to_sample = Vec::new();
        for (i, col) in def.columns.iter().enumerate() {
            if col.generated || table.settles(&col.name) || references(def, i) || surrogate(def, i) {
                continue;
            }
            if let Some(p) = mask::looks_personal(&def.name.name, col) {
                found.push(finding(i, p.reason.to_string(), p.kind.or_else(|| mask::infer(col))));
            } else if col.class == TypeClass::Text {
                to_sample.push(i);
            }
        }
        derived(table, def, &mut found);
        if to_sample.is_empty() {
            continue;
        }
        let mut request = table.read.clone();
        request.columns = to_sample.iter().map(|&i| def.columns[i].name.clone()).collect();
        let mut counts = vec![(0usize, [0usize; 4]); to_sample.len()];
        sample::each(source, &request, SAMPLE_ROWS, |batch| {
            for row in 0..batch.rows() {
                for (col, count) in counts.iter_mut().enumerate() {
                    let Some(value) = batch.cell(row, col) else { continue };
                    count.0 += 1;
                    if let Some(shape) = shape_of(&String::from_utf8_lossy(value)) {
                        count.1[shape as usize] += 1;
                    }
                }
            }
        })
        .await?;
        for (&i, (present, shapes)) in to_sample.iter().zip(counts) {
            // A third of the values with one shape is not a coincidence.
            let best = [Shape::Email, Shape::Phone, Shape::Card, Shape::Ipv4]
                .into_iter()
                .max_by_key(|&s| shapes[s as usize])
                .expect("four shapes");
            let hits = shapes[best as usize];
            if hits >= 3 && hits * 3 >= present {
                let kind = match best {
                    Shape::Email => Kind::Email,
                    Shape::Phone => Kind::Phone,
                    Shape::Ipv4 => Kind::Ipv4,
                    Shape::Card => Kind::Hash,
                };
                let reason = format!("{hits} of {present} sampled values look like {}", best.label());
                found.push(finding(i, reason, Some(kind)));
            }
        }
    }
    Ok(found)
}

/// A full-text search column (`tsvector`) keeps the words of the columns it was built from,
/// masked or not: flagged in a table whose other columns are masked (or flagged, for `init`
/// to mask). A `null` (or, NOT NULL, an empty vector) leaves no original word in it.
fn derived(table: &TablePlan, def: &Table, found: &mut Vec<Finding>) {
    let masked = !table.masks.is_empty() || found.iter().any(|f| &f.table == table.name());
    if !masked {
        return;
    }
    // A column a source trigger builds from columns that are masked (or flagged) here.
    let hidden = |name: &str| {
        table.masks.columns().iter().any(|m| m.column == name)
            || found.iter().any(|f| &f.table == table.name() && f.column == name)
    };
    let mut built = Vec::new();
    for w in &def.trigger_writes {
        let Some(col) = def.column_index(&w.column).map(|i| &def.columns[i]) else { continue };
        let masked_from: Vec<&str> = w.from.iter().map(String::as_str).filter(|f| hidden(f)).collect();
        if masked_from.is_empty() || col.generated || table.settles(&col.name) || hidden(&col.name) {
            continue;
        }
        let text = matches!(col.class, TypeClass::Text | TypeClass::Json) || col.declared_type == "tsvector";
        built.push(Finding {
            table: table.name().clone(),
            column: col.name.clone(),
            reason: format!(
                "set by source trigger {} from {}, masked here: it keeps their original values (`recompute:` it \
                 from the masked row, or empty it)",
                w.trigger,
                masked_from.join(", ")
            ),
            rule: if col.nullable { Some("null".into()) } else { text.then(|| "{ kind: set, value: \"\" }".into()) },
            declared_type: col.declared_type.clone(),
            nullable: col.nullable,
        });
    }
    found.append(&mut built);
    for col in def.columns.iter().filter(|c| c.declared_type == "tsvector" && !c.generated && !table.settles(&c.name)) {
        if found.iter().any(|f| &f.table == table.name() && f.column == col.name) {
            continue;
        }
        found.push(Finding {
            table: table.name().clone(),
            column: col.name.clone(),
            reason: "a search column: it keeps the original words of the columns masked here (`null` empties it; \
                     `recompute:` has the target build it from the masked row)"
                .into(),
            rule: Some(if col.nullable { "null".into() } else { "{ kind: set, value: \"\" }".into() }),
            declared_type: col.declared_type.clone(),
            nullable: col.nullable,
        });
    }
}

/// Part of a foreign key: its values are its key's, masked (or not) as the key is.
fn references(table: &Table, column: usize) -> bool {
    table.foreign_keys.iter().any(|fk| fk.columns.contains(&column))
}

/// Another table's foreign key points at it, so a rule on it must keep values distinct.
fn referenced(schema: &Schema, table: &Table, column: usize) -> bool {
    let name = &table.columns[column].name;
    schema
        .tables
        .iter()
        .flat_map(|t| &t.foreign_keys)
        .any(|fk| fk.references == table.name && fk.referenced_columns.contains(name))
}

/// A generated identifier: an integer or UUID that is the key, auto-increments, or is named
/// as an id (`id`, `address_id`, `cityId`).
fn surrogate(table: &Table, column: usize) -> bool {
    let col = &table.columns[column];
    let lower = col.name.to_ascii_lowercase();
    matches!(col.class, TypeClass::Int { .. } | TypeClass::Uuid)
        && (col.auto_increment
            || table.primary_key.contains(&column)
            || lower == "id"
            || lower.ends_with("_id")
            || col.name.ends_with("Id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_of_values() {
        assert_eq!(shape_of("ana@corp.example"), Some(Shape::Email));
        assert_eq!(shape_of("192.168.0.10"), Some(Shape::Ipv4));
        assert_eq!(shape_of("4111 1111 1111 1111"), Some(Shape::Card));
        assert_eq!(shape_of("4111 1111 1111 1112"), None, "bad Luhn, and too long for a phone");
        assert_eq!(shape_of("+1 (555) 010-1234"), Some(Shape::Phone));
        assert_eq!(shape_of("662-900-8492 x77830"), Some(Shape::Phone));
        for plain in ["hello", "12", "2024-01-01", "3.14", "a@b", "@x.com", "1.2.3", "note 5"] {
            assert_eq!(shape_of(plain), None, "{plain}");
        }
    }
}
