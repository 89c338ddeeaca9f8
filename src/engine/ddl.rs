//! Target tables created from source definitions (`copy --create-tables`): the statement shapes
//! every engine shares, with each engine's quoting and type mapping passed in as a [`Dialect`].
//! Keys beyond the primary key, and foreign keys, are added after the data is loaded: faster,
//! and no load-order problems.

use std::collections::BTreeSet;
use std::fmt;

use super::sql::{Quote, text_literal};
use super::url::EngineKind;
use crate::schema::{Column, FkAction, ForeignKey, IndexKind, Table, TableName, TypeClass};

/// An engine's type for a source column: (column, same engine, key budget) → type. The budget
/// is set for a column in a key or index of an engine that limits key length: the characters
/// (or bytes, for binary) the column may take so that every key it is in fits.
pub type ColumnType = fn(&Column, bool, Option<u32>) -> String;

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
    /// The class a column created with the given type reads back as (introspected again).
    pub class_of: fn(&Column, &str) -> TypeClass,
    /// How long a name may be.
    pub name_limit: NameLimit,
    /// Index names need only be unique within their table (MySQL), not within the schema.
    pub index_names_per_table: bool,
    /// The longest key an index may hold, in bytes (InnoDB: 3,072).
    pub max_key_bytes: Option<u32>,
    /// `ON DELETE/UPDATE SET DEFAULT` is enforced (InnoDB refuses it).
    pub set_default_action: bool,
}

/// The longest name an engine takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameLimit {
    /// PostgreSQL: 63 bytes (NAMEDATALEN - 1).
    Bytes(usize, &'static str),
    /// MySQL/MariaDB: 64 characters.
    Chars(usize, &'static str),
    None,
}

impl NameLimit {
    pub fn fits(self, name: &str) -> bool {
        match self {
            NameLimit::Bytes(n, _) => name.len() <= n,
            NameLimit::Chars(n, _) => name.chars().count() <= n,
            NameLimit::None => true,
        }
    }

    /// Why `name` does not fit: `is 64 characters; PostgreSQL names are at most 63 bytes`.
    pub fn problem(self, name: &str) -> Option<String> {
        match self {
            _ if self.fits(name) => None,
            NameLimit::Bytes(n, engine) => {
                Some(format!("is {} bytes long; {engine} names are at most {n} bytes", name.len()))
            }
            NameLimit::Chars(n, engine) => {
                Some(format!("is {} characters long; {engine} names are at most {n} characters", name.chars().count()))
            }
            NameLimit::None => None,
        }
    }

    /// `name` cut to fit, on a character boundary.
    fn cut(self, name: &str) -> String {
        let mut out = String::new();
        for c in name.chars() {
            let mut longer = out.clone();
            longer.push(c);
            if !self.fits(&longer) {
                break;
            }
            out = longer;
        }
        out
    }
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
            class_of: |column, _| column.class,
            name_limit: NameLimit::None,
            index_names_per_table: false,
            max_key_bytes: None,
            set_default_action: true,
        }
    }
}

/// What an owed statement adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwedKind {
    UniqueIndex,
    Index,
    ForeignKey,
}

impl OwedKind {
    /// How the state table spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            OwedKind::UniqueIndex => "unique index",
            OwedKind::Index => "index",
            OwedKind::ForeignKey => "foreign key",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [OwedKind::UniqueIndex, OwedKind::Index, OwedKind::ForeignKey].into_iter().find(|k| k.as_str() == text)
    }
}

/// A statement `--create-tables` still owes a table it created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwedDdl {
    pub table: TableName,
    /// Its place among the table's owed statements: they run in this order.
    pub seq: u32,
    pub kind: OwedKind,
    /// The index's or constraint's name in the target.
    pub name: String,
    pub statement: String,
}

impl fmt::Display for OwedDdl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} on {}", self.kind.as_str(), self.name, self.table)
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
    CurrentDate,
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
            DefaultValue::CurrentDate => "CURRENT_DATE".into(),
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
        "current_date" | "curdate()" | "current_date()" => Some(DefaultValue::CurrentDate),
        _ if lower.starts_with("current_timestamp(") => Some(DefaultValue::CurrentTimestamp),
        _ if t.parse::<f64>().is_ok() && t.chars().all(|c| c.is_ascii_digit() || "-+.eE".contains(c)) => {
            Some(DefaultValue::Number(t.to_string()))
        }
        _ => None,
    }
}

/// A foreign key's parent table as it is (or will be) in the target: its name and columns.
pub struct Parent {
    pub name: TableName,
    pub columns: Vec<Column>,
}

/// Finds a foreign key's parent (by its source name) in the target.
pub type Parents<'a> = &'a dyn Fn(&TableName) -> Option<Parent>;

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

/// The columns of every index `table` has: its primary key, unique keys and other indexes.
fn indexed(table: &Table) -> impl Iterator<Item = &[usize]> {
    std::iter::once(table.primary_key.as_slice())
        .chain(table.unique_keys.iter().map(|k| k.columns.as_slice()))
        .chain(table.indexes.iter().filter(|k| k.kind == IndexKind::Plain).map(|k| k.columns.as_slice()))
        .filter(|cols| !cols.is_empty())
}

/// Characters column `i` may take so that every index it is in fits `d`'s key limit: the
/// columns without a length share what those with one leave (4 bytes a character: utf8mb4).
/// `None` where the engine has no limit, or the column is in no index.
fn key_budget(d: &Dialect, table: &Table, i: usize) -> Option<u32> {
    let max = d.max_key_bytes?;
    let unbounded = |c: &Column| c.max_chars.is_none() && !fixed_width(c.class);
    indexed(table)
        .filter(|cols| cols.contains(&i))
        .map(|cols| {
            let columns = cols.iter().map(|&k| &table.columns[k]);
            let sharing = columns.clone().filter(|c| unbounded(c)).count().max(1) as u32;
            let taken: u32 = columns.filter(|c| !unbounded(c)).map(|c| c.max_chars.map_or(8, |n| n * 4)).sum();
            (max.saturating_sub(taken) / (4 * sharing)).clamp(1, 768)
        })
        .min()
}

/// Classes whose values have a fixed, small width in every engine.
fn fixed_width(class: TypeClass) -> bool {
    use TypeClass as C;
    matches!(class, C::Bool | C::Int { .. } | C::Float | C::Date | C::Time | C::Timestamp | C::TimestampTz | C::Uuid)
}

/// `char(n)`, `character(n)`: padded to its length, where `varchar` is not.
pub fn is_fixed_char(column: &Column) -> bool {
    let t = column.declared_type.to_ascii_lowercase();
    t == "bpchar" || t.starts_with("char(") || t.starts_with("character(") || t.starts_with("nchar(")
}

/// Column `i` of `table` as it will be in the target, before it is created.
pub fn target_column(d: &Dialect, table: &Table, i: usize, same_engine: bool) -> Column {
    let source = &table.columns[i];
    let declared_type = (d.column_type)(source, same_engine, key_budget(d, table, i));
    Column { class: (d.class_of)(source, &declared_type), declared_type, ..source.clone() }
}

/// Each column's type in the target: its own mapping, except that between engines a column a
/// foreign key uses gets exactly the type of the parent column it references (MySQL refuses a
/// foreign key between different types).
fn column_types(d: &Dialect, table: &Table, same_engine: bool, parents: Parents) -> Vec<String> {
    let mut types: Vec<String> =
        (0..table.columns.len()).map(|i| target_column(d, table, i, same_engine).declared_type).collect();
    if same_engine {
        return types;
    }
    for fk in &table.foreign_keys {
        let Some(parent) = parents(&fk.references) else { continue };
        for (&i, referenced) in fk.columns.iter().zip(&fk.referenced_columns) {
            if let Some(c) = parent.columns.iter().find(|c| &c.name == referenced) {
                types[i] = c.declared_type.clone();
            }
        }
    }
    types
}

/// What `--create-tables` could not carry over between engines, table by table: each is said
/// in the run summary.
pub type Omissions = Vec<(TableName, String)>;

/// `CREATE TABLE` for `table` (a source definition) named `name` in the target. What cannot be
/// carried over is said in `notes`.
pub fn create_table(
    d: &Dialect,
    table: &Table,
    name: &TableName,
    same_engine: bool,
    parents: Parents,
    notes: &mut Omissions,
) -> String {
    let types = column_types(d, table, same_engine, parents);
    let single_auto_pk = table.primary_key.len() == 1 && table.columns[table.primary_key[0]].auto_increment;
    let mut parts: Vec<String> = Vec::new();
    let mut left_out = |what: String| notes.push((name.clone(), what));
    if table.partitioned {
        left_out("its partitions (created as one table)".into());
    }
    if !table.checks.is_empty() {
        left_out(format!("CHECK constraints ({})", table.checks.join(", ")));
    }
    for (i, col) in table.columns.iter().enumerate() {
        if col.generated {
            left_out(format!("generated column {} (its expression is the source engine's)", col.name));
            continue;
        }
        let ty = &types[i];
        let mut def = format!("{} {ty}", d.quote.ident(&col.name));
        let auto = single_auto_pk && table.primary_key[0] == i;
        if col.on_update_now {
            left_out(format!("ON UPDATE CURRENT_TIMESTAMP of {}", col.name));
        }
        if col.auto_increment && !auto {
            left_out(format!("the generated values (sequence) of {}", col.name));
        }
        let raw = col.default.as_deref().filter(|_| !auto && !col.auto_increment);
        if let Some(raw) = raw.filter(|r| portable_default(r).is_none()) {
            left_out(format!("DEFAULT {raw} of {}", col.name));
        }
        if let Some(default) = col.default.as_deref().filter(|_| !auto).and_then(portable_default) {
            let default = match (col.class, default) {
                // A boolean spelled as a number (MySQL's tinyint(1), SQLite) is a boolean.
                (TypeClass::Bool, DefaultValue::Number(n)) => DefaultValue::Bool(n != "0"),
                (_, default) => default,
            };
            def.push_str(&format!(" DEFAULT {}", (d.default_sql)(&default, ty)));
        }
        if !col.nullable || table.primary_key.contains(&i) {
            def.push_str(" NOT NULL");
        }
        if auto && !d.auto_increment.is_empty() {
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
            if let Some(parent) = parents(&fk.references) {
                // An inline reference names a table of the same database, unqualified (SQLite
                // allows nothing else there).
                let reference = d.quote.ident(&parent.name.name);
                parts.push(format!(
                    "FOREIGN KEY ({}) {}",
                    names(d, table, &fk.columns),
                    references(d, fk, &reference, name, notes)
                ));
            }
        }
    }
    format!("CREATE TABLE {} (\n    {}\n)", d.quote.table(name), parts.join(",\n    "))
}

/// `REFERENCES parent (cols) ON DELETE … ON UPDATE …`, with the actions the engine enforces.
fn references(d: &Dialect, fk: &ForeignKey, parent: &str, table: &TableName, notes: &mut Omissions) -> String {
    let mut sql = format!("REFERENCES {parent} ({})", d.quote.list(fk.referenced_columns.iter().map(String::as_str)));
    for (event, action) in [("DELETE", fk.on_delete), ("UPDATE", fk.on_update)] {
        match action {
            FkAction::NoAction => {}
            FkAction::SetDefault if !d.set_default_action => {
                notes.push((table.clone(), format!("ON {event} SET DEFAULT of the foreign key to {parent}")))
            }
            _ => sql.push_str(&format!(" ON {event} {}", action.sql())),
        }
    }
    sql
}

/// The names indexes and constraints already have in the target schema, so a new one is
/// never given a name that is taken.
#[derive(Debug, Default)]
pub struct TakenNames(BTreeSet<String>);

impl TakenNames {
    pub fn new(names: impl IntoIterator<Item = String>) -> Self {
        TakenNames(names.into_iter().collect())
    }

    /// The index and foreign-key names of `schema`'s tables (the target's).
    pub fn of(d: &Dialect, schema: &crate::schema::Schema) -> Self {
        let mut taken = TakenNames::default();
        for t in &schema.tables {
            let scope = t.name.to_string();
            let names = t.unique_keys.iter().chain(&t.indexes).map(|i| i.name.as_str());
            for name in names.chain(t.foreign_keys.iter().map(|f| f.name.as_str())) {
                taken.0.insert(taken.key(d, &scope, name));
            }
        }
        taken
    }

    fn key(&self, d: &Dialect, scope: &str, name: &str) -> String {
        if d.index_names_per_table { format!("{scope}\u{0}{name}") } else { name.to_string() }
    }

    /// `wanted` if it is free (within `scope`: the table, where the engine's names are per
    /// table, else the schema) and fits, else `fallback`, cut to fit and numbered until free.
    fn claim(&mut self, d: &Dialect, scope: &str, wanted: Option<&str>, fallback: &str) -> String {
        let key = |name: &str| self.key(d, scope, name);
        if let Some(w) = wanted.filter(|w| d.name_limit.fits(w) && !self.0.contains(&key(w))) {
            self.0.insert(key(w));
            return w.to_string();
        }
        let base = d.name_limit.cut(fallback);
        let mut name = base.clone();
        let mut n = 1;
        while self.0.contains(&key(&name)) {
            let suffix = format!("_{n}");
            let mut stem = base.clone();
            while !d.name_limit.fits(&format!("{stem}{suffix}")) {
                stem.pop();
            }
            name = format!("{stem}{suffix}");
            n += 1;
        }
        self.0.insert(key(&name));
        name
    }
}

/// A name the source engine made up, not one its schema's author chose.
fn chosen(name: &str) -> Option<&str> {
    (!name.is_empty() && !name.starts_with("sqlite_autoindex_") && name != "PRIMARY").then_some(name)
}

/// Unique and other indexes and (unless inline) foreign keys, for after the load, each with
/// its source name where the target takes it.
pub fn keys_after_load(
    d: &Dialect,
    table: &Table,
    name: &TableName,
    parents: Parents,
    taken: &mut TakenNames,
    notes: &mut Omissions,
) -> Vec<OwedDdl> {
    let mut owed = Vec::new();
    let on = if d.qualified_index_table { d.quote.table(name) } else { d.quote.ident(&name.name) };
    let scope = name.to_string();
    let mut add = |kind, index_name: String, statement: String| {
        let seq = owed.len() as u32;
        owed.push(OwedDdl { table: name.clone(), seq, kind, name: index_name, statement });
    };
    for (indexes, kind, what, suffix) in [
        (&table.unique_keys, OwedKind::UniqueIndex, "UNIQUE INDEX", "key"),
        (&table.indexes, OwedKind::Index, "INDEX", "idx"),
    ] {
        for index in indexes.iter() {
            if index.kind != IndexKind::Plain {
                notes.push((name.clone(), format!("{} index {}", index.kind.label(), index.name)));
                continue;
            }
            let columns: Vec<&str> = index.columns.iter().map(|&i| table.columns[i].name.as_str()).collect();
            let fallback = format!("{}_{}_{suffix}", name.name, columns.join("_"));
            let index_name = taken.claim(d, &scope, chosen(&index.name), &fallback);
            let sql =
                format!("CREATE {what} {} ON {on} ({})", d.quote.ident(&index_name), names(d, table, &index.columns));
            add(kind, index_name, sql);
        }
    }
    if !d.inline_foreign_keys {
        for fk in &table.foreign_keys {
            let Some(parent) = parents(&fk.references) else { continue };
            let first = fk.columns.first().map_or("", |&i| table.columns[i].name.as_str());
            let fallback = format!("{}_{first}_fkey", name.name);
            let constraint = taken.claim(d, &scope, Some(fk.name.as_str()).and_then(chosen), &fallback);
            let sql = format!(
                "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) {}",
                d.quote.table(name),
                d.quote.ident(&constraint),
                names(d, table, &fk.columns),
                references(d, fk, &d.quote.table(&parent.name), name, notes)
            );
            add(OwedKind::ForeignKey, constraint, sql);
        }
    }
    owed
}

fn names(d: &Dialect, table: &Table, columns: &[usize]) -> String {
    d.quote.list(columns.iter().map(|&i| table.columns[i].name.as_str()))
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
    }

    #[test]
    fn names_are_kept_where_free_and_cut_to_fit() {
        let d = Dialect {
            name_limit: NameLimit::Bytes(63, "PostgreSQL"),
            ..Dialect::new(Quote::Double, |c, _, _| c.declared_type.clone(), |_, _| String::new())
        };
        let mut taken = TakenNames::new(["users_email".to_string()]);
        assert_eq!(taken.claim(&d, "t", Some("idx_orders_customer"), "fallback"), "idx_orders_customer");
        assert_eq!(taken.claim(&d, "t", Some("users_email"), "users_email"), "users_email_1");
        assert_eq!(taken.claim(&d, "t", Some("sqlite_autoindex_t_1").and_then(chosen), "t_a_key"), "t_a_key");
        let long = taken.claim(&d, "t", None, &"é".repeat(40));
        assert_eq!(long.len(), 62, "cut on a character boundary: {long}");
        assert_eq!(
            d.name_limit.problem(&"x".repeat(64)).unwrap(),
            "is 64 bytes long; PostgreSQL names are at most 63 bytes"
        );
    }
}
