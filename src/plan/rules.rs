//! Which copied columns are masked and how: the config's rules (or the short form's inferred
//! ones) bound to batch positions, each checked against its column and the target's keys.

use std::borrow::Cow;

use super::PlanOptions;
use super::columns::Copied;
use crate::config::TableSpec;
use crate::data::mode::Mode;
use crate::mask::row::{Action, BoundRule, ColumnRules};
use crate::mask::{self, Masker, RuleSpec, Spec};
use crate::schema::{Column, Table, TypeClass};

/// A column the config names, with its rules, or `None` for the short form's inferred rule.
type Requested<'a> = (&'a str, Option<&'a [RuleSpec]>);

/// The table's mode as configured, and its masked columns. Problems are pushed, one each.
pub(super) fn masked(
    table: &Table,
    dest: &Table,
    copied: &Copied,
    spec: Option<&TableSpec>,
    options: PlanOptions,
    problems: &mut Vec<String>,
) -> (Option<Mode>, Vec<ColumnRules>) {
    let name = &table.name;
    let (mode, requested): (Option<Mode>, Vec<Requested>) = match spec {
        None => (None, Vec::new()),
        Some(TableSpec::Short(cols)) => (None, cols.iter().map(|c| (c.as_str(), None)).collect()),
        Some(TableSpec::Full(rules)) => {
            (rules.mode, rules.columns.iter().map(|(c, r)| (c.as_str(), Some(r.as_slice()))).collect())
        }
    };
    let mut masked = Vec::new();
    for (column, rules) in requested {
        let at = |msg: String| format!("table {name}, column {column}: {msg}");
        let Some(col) = table.column_index(column).map(|i| &table.columns[i]) else {
            problems.push(at("not found in the source table".into()));
            continue;
        };
        if col.generated {
            problems.push(at("is generated, so it is not copied and cannot be masked".into()));
            continue;
        }
        let Some(index) = copied.names.iter().position(|c| c == column) else {
            continue;
        };
        // Uniqueness is the target's: its keys are the ones a collision would break.
        let unique_keys = dest.column_index(column).map(|i| dest.unique_keys_of(i)).unwrap_or_default();
        let specs: Cow<[RuleSpec]> = match rules {
            Some(rules) => Cow::Borrowed(rules),
            None => match mask::suggest(col, mask::infer(col), !unique_keys.is_empty(), false) {
                Some((spec, _)) => Cow::Owned(vec![RuleSpec { spec, when: None }]),
                None => {
                    problems.push(at(format!(
                        "no mask fits a {} column{}; give a rule such as `null` or `set`",
                        col.declared_type,
                        if unique_keys.is_empty() { "" } else { " under a unique key" }
                    )));
                    continue;
                }
            },
        };
        // A column whose only rule is `keep` is not masked at all.
        if specs.iter().all(|r| r.when.is_none() && r.spec.is_keep()) {
            continue;
        }
        let mut bound = Vec::new();
        for rule in specs.iter() {
            match bind(rule, table, col, copied, options) {
                Ok(b) => {
                    if let Some(key) = unique_keys.first()
                        && let Err(reason) = unique_safe(&b.action)
                    {
                        problems.push(at(format!("is under the target's {key}: {reason}")));
                    }
                    bound.push(b);
                }
                Err(why) => problems.push(at(why)),
            }
        }
        masked.push(ColumnRules { index, column: column.to_string(), rules: bound, inferred: rules.is_none() });
    }
    check_templates(&masked, copied, problems, table);
    (mode, masked)
}

/// One rule with its condition and template bound to batch positions, its masker built.
fn bind(
    rule: &RuleSpec,
    table: &Table,
    col: &Column,
    copied: &Copied,
    options: PlanOptions,
) -> Result<BoundRule, String> {
    let when = rule.when.as_ref().map(|w| w.bind(&mut |c: &String| copied.index(table, c))).transpose();
    let when = when.map_err(|e| format!("when: {e}"))?;
    let action = match &rule.spec {
        Spec::Template(t) => {
            if col.class != TypeClass::Text {
                return Err(format!(
                    "mask template cannot produce a value for a {} column ({})",
                    col.class.label(),
                    col.declared_type
                ));
            }
            let template = t.bind(&mut |c: &String| copied.index(table, c)).map_err(|e| format!("template: {e}"))?;
            Action::Template {
                template,
                max_chars: col.max_chars.map(|m| m as usize),
                declared_type: col.declared_type.clone(),
            }
        }
        spec => Action::Value(Masker::new(spec, col, options.source.binary)?),
    };
    Ok(BoundRule { when, action })
}

fn unique_safe(action: &Action) -> Result<(), String> {
    match action {
        Action::Value(m) => m.unique_safe(),
        Action::Template { .. } => Err("a template can give two rows the same value".to_string()),
    }
}

/// A template reads the row's masked values, so it cannot read another template's output.
fn check_templates(masked: &[ColumnRules], copied: &Copied, problems: &mut Vec<String>, table: &Table) {
    let templated = |c: &str| masked.iter().any(|m| m.column == c && m.has_template());
    for m in masked {
        for rule in &m.rules {
            let Action::Template { template, .. } = &rule.action else { continue };
            for (&i, original) in template.fields() {
                let read = &copied.names[i];
                if !original && templated(read) {
                    problems.push(format!(
                        "table {}, column {}: template reads {read}, which is itself built by a template; \
                         write {{{read}|original}} or repeat its template",
                        table.name, m.column
                    ));
                }
            }
        }
    }
}
