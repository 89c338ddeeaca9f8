//! Target tables created from source definitions (`copy --create-tables`): the statement shapes
//! every engine shares, with each engine's quoting and type mapping passed in as a [`Dialect`].
//! Keys beyond the primary key, and foreign keys, are added after the data is loaded: faster,
//! and no load-order problems.

use super::sql::{Quote, text_literal};
use super::url::EngineKind;
use crate::schema::{Column, Table, TableName, TypeClass};

/// An engine's type for a source column: (column, same engine, part of a key) → type.
pub type ColumnType = fn(&Column, bool, bool) -> String;

/// What an engine contributes to its DDL.
#[derive(Clone, Copy, Debug)]
pub struct Dialect {
    pub quote: Quote,
    /// The target type for a source column; `same_engine` keeps the declared type where it can.
    pub column_type: ColumnType,
    /// Text appended to an auto-increment primary-key column (identity, AUTO_INCREMENT).
    pub auto_increment: &'static str,
    /// Foreign keys go inside CREATE TABLE (SQLite cannot add them later).
    pub inline_foreign_keys: bool,
    /// `CREATE INDEX … ON schema.table` is allowed (SQLite wants the table unqualified).
    pub qualified_index_table: bool,
    /// A portable default in this engine's SQL, for a column of the given target type.
    pub default_sql: fn(&DefaultValue, &str) -> String,
}

impl Dialect {
    /// An engine's DDL with the common choices: no auto-increment clause, foreign keys added
    /// after the load, indexes on qualified table names. Each engine states where it differs.
    pub const fn new(quote: Quote, column_type: ColumnType, default_sql: fn(&DefaultValue, &str) -> String) -> Self {
        Dialect {
            quote,
            column_type,
            auto_increment: "",
            inline_foreign_keys: false,
            qualified_index_table: true,
            default_sql,
        }
    }
}

/// A column default every engine can write. Defaults are schema text, not row data: DDL takes
/// no bound parameters, so the one literal kind (text) is quoted by the engine's rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefaultValue {
    Number(String),
    Text(String),
    Bool(bool),
    CurrentTimestamp,
}

impl DefaultValue {
    /// The default in standard SQL with booleans spelled `(true, false)`: what PostgreSQL and
    /// SQLite write, and what MySQL starts from.
    pub fn standard_sql(&self, booleans: (&str, &str)) -> String {
        match self {
            DefaultValue::Number(n) => n.clone(),
            DefaultValue::Text(t) => text_literal(t),
            DefaultValue::Bool(b) => (if *b { booleans.0 } else { booleans.1 }).to_string(),
            DefaultValue::CurrentTimestamp => "CURRENT_TIMESTAMP".into(),
        }
    }
}

/// The default as the source wrote it, if it translates: literals and the current timestamp.
/// Sequences, functions and other expressions do not, and are left out.
pub fn portable_default(raw: &str) -> Option<DefaultValue> {
    let mut t = raw.trim();
    // PostgreSQL writes casts: 'x'::character varying, (-1)::integer.
    if let Some(i) = t.rfind("::")
        && !t[i..].contains('\'')
    {
        t = t[..i].trim();
    }
    while t.len() >= 2 && t.starts_with('(') && t.ends_with(')') {
        t = t[1..t.len() - 1].trim();
    }
    if t.len() >= 2 && t.starts_with('\'') && t.ends_with('\'') {
        return Some(DefaultValue::Text(t[1..t.len() - 1].replace("''", "'")));
    }
    let lower = t.to_ascii_lowercase();
    match lower.as_str() {
        "true" => Some(DefaultValue::Bool(true)),
        "false" => Some(DefaultValue::Bool(false)),
        "now()" | "current_timestamp" | "localtimestamp" => Some(DefaultValue::CurrentTimestamp),
        _ if lower.starts_with("current_timestamp(") => Some(DefaultValue::CurrentTimestamp),
        _ if t.parse::<f64>().is_ok() && t.chars().all(|c| c.is_ascii_digit() || "-+.eE".contains(c)) => {
            Some(DefaultValue::Number(t.to_string()))
        }
        _ => None,
    }
}

/// For a foreign key's parent table: its name in the target and the key columns referenced.
pub type ParentKeys<'a> = &'a dyn Fn(&TableName) -> Option<(TableName, Vec<String>)>;

/// A statement's first line, to say which one failed.
pub fn label(sql: &str) -> &str {
    sql.lines().next().unwrap_or(sql).trim_end_matches(" (")
}

/// The type `--create-tables` gives a column of `class` in `engine` when the class alone
/// decides; `None` where the column does (its length, precision, sign or key), which is the
/// engine's own `column_type` to say. One table for all engines, like the README's.
pub fn class_type(class: TypeClass, engine: EngineKind) -> Option<&'static str> {
    use TypeClass as C;
    let [postgres, mysql, sqlite] = match class {
        C::Bool => [Some("boolean"), Some("tinyint(1)"), Some("BOOLEAN")],
        C::Float => [Some("double precision"), Some("double"), Some("REAL")],
        C::Date => [Some("date"), Some("date"), Some("DATE")],
        C::Time => [Some("time"), Some("time(6)"), Some("TIME")],
        C::Timestamp => [Some("timestamp"), Some("datetime(6)"), Some("DATETIME")],
        C::TimestampTz => [Some("timestamptz"), Some("datetime(6)"), Some("DATETIME")],
        C::Uuid => [Some("uuid"), Some("char(36)"), Some("VARCHAR(36)")],
        C::Json | C::Array => [Some("jsonb"), Some("json"), Some("JSON")],
        C::Interval => [Some("interval"), None, Some("TEXT")],
        C::Inet => [Some("inet"), None, Some("TEXT")],
        C::Enum | C::Other => [Some("text"), None, Some("TEXT")],
        // SQLite's NUMERIC affinity keeps 15 digits: decimals stay text there, exact.
        C::Decimal => [None, None, Some("TEXT")],
        C::Int { .. } => [None, None, Some("INTEGER")],
        C::Binary => [Some("bytea"), None, Some("BLOB")],
        C::Text => [None, None, None],
    };
    match engine {
        EngineKind::Postgres => postgres,
        EngineKind::MySql => mysql,
        EngineKind::Sqlite => sqlite,
    }
}

/// Decimal precision and scale from a declared type: `numeric(38,10)` → (38, 10).
pub fn precision(declared: &str) -> Option<(u32, u32)> {
    let inner = declared.split_once('(')?.1.split(')').next()?;
    let mut parts = inner.split(',').map(|p| p.trim().parse::<u32>());
    let p = parts.next()?.ok()?;
    let s = parts.next().map_or(Ok(0), |s| s).ok()?;
    Some((p, s))
}

pub fn is_unsigned(column: &Column) -> bool {
    column.declared_type.to_ascii_lowercase().contains("unsigned")
}

/// Columns in any unique key or the primary key: engines that cannot index long text give
/// these a bounded type.
pub fn key_columns(table: &Table) -> Vec<usize> {
    let mut keys: Vec<usize> = table.primary_key.clone();
    keys.extend(table.unique_keys.iter().flat_map(|k| k.columns.iter().copied()));
    keys
}

/// `CREATE TABLE` for `table` (a source definition) named `name` in the target.
pub fn create_table(
    d: &Dialect,
    table: &Table,
    name: &TableName,
    same_engine: bool,
    parent_keys: ParentKeys,
) -> String {
    let keys = key_columns(table);
    let single_auto_pk = table.primary_key.len() == 1 && table.columns[table.primary_key[0]].auto_increment;
    let mut parts: Vec<String> = Vec::new();
    for (i, col) in table.columns.iter().enumerate().filter(|(_, c)| !c.generated) {
        let mut def = format!("{} {}", d.quote.ident(&col.name), (d.column_type)(col, same_engine, keys.contains(&i)));
        let auto = single_auto_pk && table.primary_key[0] == i;
        if let Some(default) = col.default.as_deref().filter(|_| !auto).and_then(portable_default) {
            let ty = (d.column_type)(col, same_engine, keys.contains(&i));
            def.push_str(&format!(" DEFAULT {}", (d.default_sql)(&default, &ty)));
        }
        if !col.nullable || table.primary_key.contains(&i) {
            def.push_str(" NOT NULL");
        }
        if single_auto_pk && table.primary_key[0] == i && !d.auto_increment.is_empty() {
            def.push(' ');
            def.push_str(d.auto_increment);
        }
        parts.push(def);
    }
    if !table.primary_key.is_empty() {
        parts.push(format!("PRIMARY KEY ({})", names(d, table, &table.primary_key)));
    }
    if d.inline_foreign_keys {
        for fk in &table.foreign_keys {
            if let Some((parent, cols)) = parent_keys(&fk.references) {
                // An inline reference names a table of the same database, unqualified (SQLite
                // allows nothing else there).
                parts.push(format!(
                    "FOREIGN KEY ({}) REFERENCES {} ({})",
                    names(d, table, &fk.columns),
                    d.quote.ident(&parent.name),
                    d.quote.list(cols.iter().map(String::as_str))
                ));
            }
        }
    }
    format!("CREATE TABLE {} (\n    {}\n)", d.quote.table(name), parts.join(",\n    "))
}

/// Unique and other indexes and (unless inline) foreign keys, for after the load.
pub fn keys_after_load(d: &Dialect, table: &Table, name: &TableName, parent_keys: ParentKeys) -> Vec<String> {
    let mut statements = Vec::new();
    let on = if d.qualified_index_table { d.quote.table(name) } else { d.quote.ident(&name.name) };
    for (indexes, what, suffix) in [(&table.unique_keys, "UNIQUE INDEX", "key"), (&table.indexes, "INDEX", "idx")] {
        for (n, index) in indexes.iter().enumerate() {
            let index_name = short_name(&format!("{}_{}_{suffix}{n}", name.name, index.name));
            statements.push(format!(
                "CREATE {what} {} ON {on} ({})",
                d.quote.ident(&index_name),
                names(d, table, &index.columns)
            ));
        }
    }
    if !d.inline_foreign_keys {
        for (n, fk) in table.foreign_keys.iter().enumerate() {
            let Some((parent, cols)) = parent_keys(&fk.references) else { continue };
            let constraint = short_name(&format!("{}_fkey{n}", name.name));
            statements.push(format!(
                "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
                d.quote.table(name),
                d.quote.ident(&constraint),
                names(d, table, &fk.columns),
                d.quote.table(&parent),
                d.quote.list(cols.iter().map(String::as_str))
            ));
        }
    }
    statements
}

fn names(d: &Dialect, table: &Table, columns: &[usize]) -> String {
    d.quote.list(columns.iter().map(|&i| table.columns[i].name.as_str()))
}

/// Identifiers are at most 63 bytes in PostgreSQL and 64 characters in MySQL.
fn short_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if out.len() + c.len_utf8() > 60 {
            break;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_that_translate() {
        use DefaultValue::*;
        assert_eq!(portable_default("'it''s'::character varying"), Some(Text("it's".into())));
        assert_eq!(portable_default("(-1)"), Some(Number("-1".into())));
        assert_eq!(portable_default("0.5"), Some(Number("0.5".into())));
        assert_eq!(portable_default("true"), Some(Bool(true)));
        assert_eq!(portable_default("current_timestamp()"), Some(CurrentTimestamp));
        assert_eq!(portable_default("now()"), Some(CurrentTimestamp));
        assert_eq!(portable_default("CURRENT_TIMESTAMP"), Some(CurrentTimestamp));
        assert_eq!(portable_default("nextval('t_id_seq'::regclass)"), None);
        assert_eq!(portable_default("gen_random_uuid()"), None);
    }

    #[test]
    fn precisions() {
        assert_eq!(precision("numeric(38,10)"), Some((38, 10)));
        assert_eq!(precision("decimal(10)"), Some((10, 0)));
        assert_eq!(precision("numeric"), None);
        assert_eq!(short_name(&"x".repeat(100)).len(), 60);
    }
}
