//! Which copied columns are masked and how: the config's rules (or the short form's inferred
//! ones) bound to batch positions, each checked against its column and the target's keys.

use std::collections::BTreeMap;

use super::PlanOptions;
use super::columns::Copied;
use crate::config::TableSpec;
use crate::data::mode::Mode;
use crate::mask::row::{Action, BoundRule, ColumnRules};
use crate::mask::{self, Masker, RuleSpec, Spec};
use crate::schema::{Column, ColumnRef, Table, TypeClass};

/// What one column is asked for: the config's rules, the short form's inferred one, or a key's
/// rule it follows.
#[derive(Clone, Debug)]
pub(super) struct Wanted {
    pub rules: Vec<RuleSpec>,
    /// Chosen from the column's name and type (short form), not named in the config.
    pub inferred: bool,
    pub follows: Option<Followed>,
    /// A column that references this one, so its rule must keep values distinct.
    pub referenced_by: Option<ColumnRef>,
}

/// The key a referencing column follows, and that key's column: the rule is bound to it, so
/// both give a value the same output.
#[derive(Clone, Debug)]
pub(super) struct Followed {
    pub key: ColumnRef,
    pub column: Column,
}

/// The table's mode as configured, and what the config asks of its columns, each checked to
/// exist and be copyable; a short-form column gets the rule inferred for it.
pub(super) fn wanted(
    table: &Table,
    dest: &Table,
    spec: &TableSpec,
    problems: &mut Vec<String>,
) -> (Option<Mode>, BTreeMap<String, Wanted>) {
    let name = &table.name;
    // Each column the config names, with its rules (`None`: the short form's inferred one).
    type Requested<'a> = Vec<(&'a str, Option<&'a [RuleSpec]>)>;
    let (mode, requested): (Option<Mode>, Requested) = match spec {
        TableSpec::Short(cols) => (None, cols.iter().map(|c| (c.as_str(), None)).collect()),
        TableSpec::Full(rules) => {
            (rules.mode, rules.columns.iter().map(|(c, r)| (c.as_str(), Some(r.as_slice()))).collect())
        }
    };
    let mut wanted = BTreeMap::new();
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
        let rules = match rules {
            Some(rules) => rules.to_vec(),
            None => {
                let unique = dest.column_index(column).is_some_and(|i| !dest.unique_keys_of(i).is_empty());
                match mask::suggest(col, mask::infer(col), unique, false) {
                    Some((rule, _)) => vec![rule],
                    None => {
                        problems.push(at(format!(
                            "no mask fits {} column{}; give a rule such as `null` or `set`",
                            crate::schema::with_article(&col.declared_type),
                            if unique { " under a unique key" } else { "" }
                        )));
                        continue;
                    }
                }
            }
        };
        let inferred = matches!(spec, TableSpec::Short(_));
        wanted.insert(column.to_string(), Wanted { rules, inferred, follows: None, referenced_by: None });
    }
    (mode, wanted)
}

/// The masked columns of a table, bound to batch positions, and the columns the config keeps
/// by name. Problems are pushed, one each.
pub(super) fn masked(
    table: &Table,
    dest: &Table,
    copied: &Copied,
    wanted: Option<&BTreeMap<String, Wanted>>,
    options: PlanOptions,
    problems: &mut Vec<String>,
) -> (Vec<ColumnRules>, Vec<String>) {
    let name = &table.name;
    let mut masked = Vec::new();
    let mut kept = Vec::new();
    for (column, w) in wanted.into_iter().flatten() {
        let at = |msg: String| format!("table {name}, column {column}: {msg}");
        let Some(col) = table.column_index(column).map(|i| &table.columns[i]) else { continue };
        let Some(index) = copied.names.iter().position(|c| c == column) else {
            continue;
        };
        // A column whose only rule is `keep` is not masked at all.
        if RuleSpec::keeps(&w.rules) {
            kept.push(column.clone());
            continue;
        }
        // Uniqueness is the target's: its keys are the ones a collision would break.
        let unique_keys = dest.column_index(column).map(|i| dest.unique_keys_of(i)).unwrap_or_default();
        // A follower's values are made for its key's column, so both give the same output.
        let bound_to = match &w.follows {
            Some(f) => {
                if let Err(why) = holds(col, &f.column) {
                    problems.push(at(format!("follows {}, but {why}", f.key)));
                    continue;
                }
                &f.column
            }
            None => col,
        };
        let mut bound = Vec::new();
        for rule in &w.rules {
            match bind(rule, table, bound_to, copied, options) {
                Ok(b) => {
                    if let Err(reason) = unique_safe(&b.action) {
                        if let Some(key) = unique_keys.first() {
                            let side = if options.alone { "source" } else { "target" };
                            problems.push(at(format!("is under the {side}'s {key}: {reason}")));
                        } else if let Some(by) = &w.referenced_by {
                            problems.push(at(format!(
                                "is referenced by {by}, so its masked values must stay distinct: {reason}"
                            )));
                        }
                    }
                    bound.push(b);
                }
                Err(why) => problems.push(at(why)),
            }
        }
        masked.push(ColumnRules {
            index,
            column: column.to_string(),
            rules: bound,
            inferred: w.inferred,
            follows: w.follows.as_ref().map(|f| f.key.to_string()),
        });
    }
    check_templates(&masked, copied, problems, table);
    (masked, kept)
}

/// Whether `own` can hold every value its key's column `key` can: the same class, and at
/// least as wide.
fn holds(own: &Column, key: &Column) -> Result<(), String> {
    let fits = match (own.class, key.class) {
        (TypeClass::Int { bytes: a }, TypeClass::Int { bytes: b }) => a >= b,
        (TypeClass::Text, TypeClass::Text) => match (own.max_chars, key.max_chars) {
            (None, _) => true,
            (Some(a), Some(b)) => a >= b,
            (Some(_), None) => false,
        },
        (a, b) => a == b,
    };
    if fits {
        return Ok(());
    }
    Err(format!(
        "it is {} and its key is {}, so a masked key need not fit it; make it as wide as its key",
        own.declared_type, key.declared_type
    ))
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
                    "mask template cannot produce a value for {} column ({})",
                    col.class.a(),
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
