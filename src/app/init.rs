//! `dbtwin init`: a starter mask config from the live schema, with a rule for every column that
//! looks personal (the same findings as `dbtwin check`), each one checked against its column so
//! the file is valid as written.

use std::fmt::Write as _;

use super::logging;
use super::session::SourceSide;
use crate::cli::{Cli, InitArgs};
use crate::config;
use crate::engine::url::DbUrl;
use crate::findings::{self, Finding};
use crate::plan::Plan;
use crate::schema::Schema;

pub async fn run(cli: &Cli, args: &InitArgs) -> anyhow::Result<()> {
    logging::init(cli);
    let url = DbUrl::parse(&args.source, "source")?;
    let source = SourceSide::open(url, 1, &args.schemas).await?;
    // The plan of a config that masks nothing: every table, its mode and its reads.
    let empty = config::parse("tables: {}\n", "(init)")?;
    let plan = source.plan_alone(&empty)?;
    let found = findings::findings(&plan, &source.schema, source.engine.as_ref()).await?;
    print!("{}", render(&source.url.to_string(), &plan, &source.schema, &found));
    Ok(())
}

/// The config text. `source` is shown (redacted) in the header comment only.
fn render(source: &str, plan: &Plan, schema: &Schema, findings: &[Finding]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# dbtwin mask config written by `dbtwin init` from {source}.");
    out.push_str(
        "# Review every rule: columns were picked by name and by sampled values (see README.md).\n\
         # Give the databases with --source / --target (or DBTWIN_SOURCE / DBTWIN_TARGET), or add\n\
         # `source:` and `target:` here.\n\
         # secret: ${DBTWIN_SECRET}    # uncomment for the same pseudonyms in every run\n\
         tables:\n",
    );
    let mut any = false;
    for table in &plan.tables {
        let Some(def) = schema.table(table.name()) else { continue };
        let rows = table.row_estimate.map_or("? rows".to_string(), |n| format!("~{n} rows"));
        let key = if def.primary_key.is_empty() {
            "no primary key: replace mode".to_string()
        } else {
            let cols: Vec<&str> = def.primary_key.iter().map(|&i| def.columns[i].name.as_str()).collect();
            format!("primary key ({})", cols.join(", "))
        };
        let mine: Vec<&Finding> = findings.iter().filter(|f| &f.table == table.name()).collect();
        if mine.is_empty() {
            let _ = writeln!(out, "  # {}: {rows}, {key}; nothing looks personal", table.name());
            continue;
        }
        any = true;
        let _ = writeln!(out, "  # {}: {rows}, {key}", table.name());
        let _ = writeln!(out, "  {}:", yaml_key(&table.name().name));
        out.push_str("    columns:\n");
        for f in mine {
            match &f.rule {
                Some(rule) => {
                    let entry = format!("{}: {rule}", yaml_key(&f.column));
                    let _ = writeln!(out, "      {entry:<36} # {}", f.reason);
                }
                // Kept, so the file is valid and `check --strict` passes, with the decision
                // left visible to the reviewer.
                None => {
                    let entry = format!("{}: keep", yaml_key(&f.column));
                    let _ = writeln!(
                        out,
                        "      {entry:<36} # REVIEW: {}, but no mask fits {}; give a `set` rule or keep it",
                        f.reason,
                        f.column_type()
                    );
                }
            }
        }
    }
    if !any {
        out.push_str("  {}\n");
    }
    out.push_str(&proposed_keys(schema));
    out
}

/// A commented `subset:` section proposing `keys:` for the tables a subset would have to tell
/// rows apart in but that have no primary key: those linked to others by a foreign key. Each is
/// keyed by a unique key whose columns are all NOT NULL, else by all of its columns.
fn proposed_keys(schema: &Schema) -> String {
    let linked = |t: &crate::schema::Table| {
        !t.foreign_keys.is_empty()
            || schema.tables.iter().any(|o| o.foreign_keys.iter().any(|f| f.references == t.name))
    };
    let mut lines = Vec::new();
    for t in schema.tables.iter().filter(|t| t.primary_key.is_empty() && linked(t)) {
        let unique = t.unique_keys.iter().find(|u| u.columns.iter().all(|&c| !t.columns[c].nullable));
        let (columns, why): (Vec<&str>, &str) = match unique {
            Some(u) => (u.columns.iter().map(|&c| t.columns[c].name.as_str()).collect(), "its unique key"),
            None => {
                (t.columns.iter().filter(|c| !c.generated).map(|c| c.name.as_str()).collect(), "every column: REVIEW")
            }
        };
        let names: Vec<String> = columns.iter().map(|c| yaml_key(c)).collect();
        let entry = format!("{}: [{}]", yaml_key(&t.name.name), names.join(", "));
        lines.push(format!("#     {entry:<40} # no primary key; {why}"));
    }
    if lines.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "# A subset copies part of the database with every foreign key whole (README \"Subsets\"):\n\
         # subset:\n\
         #   roots:\n\
         #     - { table: TABLE, percent: 5 }\n\
         #   keys:                                     # how the subset tells these tables' rows apart\n",
    );
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// A YAML mapping key: bare when it is a plain word, double-quoted otherwise.
fn yaml_key(name: &str) -> String {
    let plain = !name.is_empty()
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !matches!(
            name.to_ascii_lowercase().as_str(),
            "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
        )
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        return name.to_string();
    }
    let mut q = String::from("\"");
    for c in name.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(q, "\\u{:04x}", c as u32);
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, FkAction, ForeignKey, Index, Table, TableName, TypeClass};

    fn table(name: &str, columns: &[(&str, bool)]) -> Table {
        let mut t = Table::new(TableName::new("public", name));
        t.columns = columns
            .iter()
            .map(|&(c, nullable)| Column { nullable, ..Column::new(c, "integer", TypeClass::Int { bytes: 4 }) })
            .collect();
        t
    }

    #[test]
    fn keyless_tables_a_subset_reaches_get_a_proposed_key() {
        let mut orders = table("orders", &[("id", false)]);
        orders.primary_key = vec![0];
        let mut log = table("order_log", &[("order_id", false), ("at", false), ("note", true)]);
        log.foreign_keys.push(ForeignKey {
            name: "fk".into(),
            columns: vec![0],
            references: orders.name.clone(),
            referenced_columns: vec!["id".into()],
            on_delete: FkAction::NoAction,
            on_update: FkAction::NoAction,
        });
        let mut tagged = table("tagged", &[("order_id", false), ("tag", false)]);
        tagged.unique_keys.push(Index::plain("u", vec![0, 1]));
        tagged.foreign_keys = log.foreign_keys.clone();
        let alone = table("alone", &[("x", true)]);
        let schema = Schema { tables: vec![orders, log, tagged, alone], elsewhere: Vec::new() };
        let text = proposed_keys(&schema);
        assert!(text.contains("#     order_log: [order_id, at, note]"), "{text}");
        assert!(text.contains("every column: REVIEW"), "{text}");
        assert!(text.contains("#     tagged: [order_id, tag]"), "{text}");
        assert!(text.contains("its unique key"), "{text}");
        assert!(!text.contains("alone"), "a table no foreign key links needs no key: {text}");
        assert!(text.lines().all(|l| l.starts_with('#')), "commented out, so the file stays valid: {text}");
    }

    #[test]
    fn keys_are_quoted_only_when_needed() {
        assert_eq!(yaml_key("email"), "email");
        assert_eq!(yaml_key("Home Phone"), "\"Home Phone\"");
        assert_eq!(yaml_key("Quote\"d"), "\"Quote\\\"d\"");
        assert_eq!(yaml_key("null"), "\"null\"");
        assert_eq!(yaml_key("1st"), "\"1st\"");
        assert_eq!(yaml_key("a:b"), "\"a:b\"");
    }
}
