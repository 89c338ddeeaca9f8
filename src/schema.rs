//! The engine-neutral model of a database, as introspected: tables, columns, keys.

use std::fmt;

/// A table's schema-qualified name. Quoting is the engine's job; `Display` is for people.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableName {
    pub schema: String,
    pub name: String,
}

impl TableName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        TableName { schema: schema.into(), name: name.into() }
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// One column of one table, as people name it: `public.orders.cust_ref`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ColumnRef {
    pub table: TableName,
    pub column: String,
}

impl ColumnRef {
    pub fn new(table: &TableName, column: impl Into<String>) -> Self {
        ColumnRef { table: table.clone(), column: column.into() }
    }
}

impl fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.table, self.column)
    }
}

/// `an integer`, `a text`, `a uuid`: close enough to English for type names.
pub fn with_article(word: &str) -> String {
    let an = word.to_ascii_lowercase().starts_with(['a', 'e', 'i', 'o']);
    format!("{} {word}", if an { "an" } else { "a" })
}

/// What a column holds, coarsely: enough to pick a mask's output form and to check that a mask
/// fits. The declared type stays beside it for messages and type mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeClass {
    Bool,
    /// Signed integer of this many bytes.
    Int {
        bytes: u8,
    },
    Decimal,
    Float,
    Text,
    Binary,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Interval,
    Uuid,
    Json,
    Inet,
    Array,
    Enum,
    Other,
}

impl TypeClass {
    /// The label with its article, as a sentence says it: `an enum`, `a uuid`.
    pub fn a(self) -> String {
        with_article(self.label())
    }

    pub fn label(self) -> &'static str {
        match self {
            TypeClass::Bool => "boolean",
            TypeClass::Int { .. } => "integer",
            TypeClass::Decimal => "decimal",
            TypeClass::Float => "floating-point",
            TypeClass::Text => "text",
            TypeClass::Binary => "binary",
            TypeClass::Date => "date",
            TypeClass::Time => "time",
            TypeClass::Timestamp => "timestamp",
            TypeClass::TimestampTz => "timestamptz",
            TypeClass::Interval => "interval",
            TypeClass::Uuid => "uuid",
            TypeClass::Json => "json",
            TypeClass::Inet => "inet",
            TypeClass::Array => "array",
            TypeClass::Enum => "enum",
            TypeClass::Other => "other",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// As the engine spells it, e.g. `character varying(40)`, `public.mood`.
    pub declared_type: String,
    pub class: TypeClass,
    pub nullable: bool,
    /// Length limit in characters for text, when the type has one.
    pub max_chars: Option<u32>,
    /// Computed by the database: never written.
    pub generated: bool,
    /// Filled from a sequence / identity / auto-increment when omitted.
    pub auto_increment: bool,
    /// Has a default value (including a sequence or identity), so an INSERT may omit it.
    pub has_default: bool,
    /// The default as the engine writes it (`'x'::text`, `0`, `current_timestamp()`), for
    /// `--create-tables` to translate.
    pub default: Option<String>,
    /// Set to the current time whenever its row changes (MySQL `ON UPDATE CURRENT_TIMESTAMP`).
    pub on_update_now: bool,
}

/// Geometry types: PostGIS's and PostgreSQL's own geometric types, MySQL/MariaDB's spatial ones.
const GEOMETRY_TYPES: &[&str] = &[
    "geometry",
    "geography",
    "point",
    "line",
    "lseg",
    "box",
    "path",
    "polygon",
    "circle",
    "linestring",
    "multipoint",
    "multilinestring",
    "multipolygon",
    "geometrycollection",
    "geomcollection",
];

impl Column {
    /// Its values are shapes or places, in a form of the engine's own (binary for MySQL).
    pub fn is_geometry(&self) -> bool {
        let declared = self.declared_type.to_ascii_lowercase();
        let base = declared.split(['(', ' ']).next().unwrap_or_default();
        GEOMETRY_TYPES.contains(&base) || declared.starts_with("geometry(") || declared.starts_with("geography(")
    }

    /// A nullable column without default, key or generation: the facts introspection then
    /// adds to.
    pub fn new(name: impl Into<String>, declared_type: impl Into<String>, class: TypeClass) -> Self {
        Column {
            name: name.into(),
            declared_type: declared_type.into(),
            class,
            nullable: true,
            max_chars: None,
            generated: false,
            auto_increment: false,
            has_default: false,
            default: None,
            on_update_now: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignKey {
    /// Empty where the engine keeps no name (SQLite).
    pub name: String,
    pub columns: Vec<usize>,
    pub references: TableName,
    /// The parent's columns, by name, paired with `columns` in order.
    pub referenced_columns: Vec<String>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
}

/// What a foreign key does to its rows when the parent row is deleted or its key changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FkAction {
    #[default]
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl FkAction {
    /// From the SQL words every engine's catalog uses (`CASCADE`, `SET NULL`, `NO ACTION` …).
    pub fn parse(words: &str) -> Self {
        match words.trim().to_ascii_uppercase().as_str() {
            "RESTRICT" => FkAction::Restrict,
            "CASCADE" => FkAction::Cascade,
            "SET NULL" => FkAction::SetNull,
            "SET DEFAULT" => FkAction::SetDefault,
            _ => FkAction::NoAction,
        }
    }

    pub fn sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }
}

/// An index over plain columns (not expressions, not partial), other than the primary key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub columns: Vec<usize>,
    pub kind: IndexKind,
}

impl Index {
    /// An ordinary (B-tree) index.
    pub fn plain(name: impl Into<String>, columns: Vec<usize>) -> Self {
        Index { name: name.into(), columns, kind: IndexKind::Plain }
    }
}

/// How an index finds its rows: only a plain one means the same on every engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndexKind {
    Plain,
    /// MySQL FULLTEXT.
    FullText,
    /// MySQL SPATIAL.
    Spatial,
    /// A PostgreSQL access method other than B-tree (gin, gist, brin, hash …).
    Method(String),
}

impl IndexKind {
    /// As the summary names it: `FULLTEXT`, `gin`.
    pub fn label(&self) -> &str {
        match self {
            IndexKind::Plain => "plain",
            IndexKind::FullText => "FULLTEXT",
            IndexKind::Spatial => "SPATIAL",
            IndexKind::Method(m) => m,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: TableName,
    pub columns: Vec<Column>,
    /// Column indices, in key order; empty when the table has none.
    pub primary_key: Vec<usize>,
    pub unique_keys: Vec<Index>,
    /// Non-unique indexes, recreated by `--create-tables` after the load.
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    /// The planner's row estimate, when the engine has one.
    pub row_estimate: Option<u64>,
    /// Its rows live in partitions (PostgreSQL): it is read and written as a whole, where
    /// other tables are addressed alone (without inheritance children).
    pub partitioned: bool,
    /// The connected user may read all of it (a source table without SELECT is not).
    pub readable: bool,
    /// Names of its CHECK constraints (an engine that does not name them says `check`).
    pub checks: Vec<String>,
    /// Columns its own triggers set from other columns of the row (source side).
    pub trigger_writes: Vec<TriggerWrite>,
}

/// A column a table's trigger sets, and the row's columns its expression reads: a search
/// column built from a name keeps the name's words, whatever mask the name gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TriggerWrite {
    pub column: String,
    pub trigger: String,
    pub from: Vec<String>,
}

static WHERE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"(?i)\bWHERE\b").expect("a valid pattern"));

/// Where, in a trigger's code, `NEW.column` is given a value, and which `NEW.x` the value
/// reads. `assign` finds the assignments (group 1: the column, as written); the value runs
/// from the match to the next `;` (or the end). `unquote` turns a written name into the
/// column's name.
pub fn trigger_writes(
    trigger: &str,
    code: &str,
    assign: &regex::Regex,
    reference: &regex::Regex,
    unquote: impl Fn(&str) -> String,
) -> Vec<TriggerWrite> {
    let mut out = Vec::new();
    for m in assign.captures_iter(code) {
        let (Some(whole), Some(column)) = (m.get(0), m.get(1)) else { continue };
        let rest = &code[whole.end()..];
        let mut value = &rest[..rest.find(';').unwrap_or(rest.len())];
        // An UPDATE's SET list ends at its WHERE (SQLite's way to set a column after insert).
        if let Some(w) = WHERE.find(value) {
            value = &value[..w.start()];
        }
        let mut from: Vec<String> =
            reference.captures_iter(value).filter_map(|r| r.get(1)).map(|r| unquote(r.as_str())).collect();
        from.sort();
        from.dedup();
        let column = unquote(column.as_str());
        from.retain(|f| *f != column);
        if !from.is_empty() {
            out.push(TriggerWrite { column, trigger: trigger.to_string(), from });
        }
    }
    out
}

impl Table {
    /// A table with no columns, keys or estimate yet.
    pub fn new(name: TableName) -> Self {
        Table {
            name,
            columns: Vec::new(),
            primary_key: Vec::new(),
            unique_keys: Vec::new(),
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
            row_estimate: None,
            partitioned: false,
            readable: true,
            checks: Vec::new(),
            trigger_writes: Vec::new(),
        }
    }

    /// Add what a trigger writes, with every name matched to one of the table's columns
    /// (exactly, else ignoring case, as MySQL does): names that match none are dropped.
    pub fn add_trigger_writes(&mut self, found: Vec<TriggerWrite>) {
        let column = |name: &str| {
            self.columns
                .iter()
                .find(|c| c.name == name)
                .or_else(|| self.columns.iter().find(|c| c.name.eq_ignore_ascii_case(name)))
                .map(|c| c.name.clone())
        };
        let mut matched = Vec::new();
        for w in found {
            let Some(written) = column(&w.column) else { continue };
            let from: Vec<String> = w.from.iter().filter_map(|f| column(f)).filter(|f| *f != written).collect();
            if !from.is_empty() {
                matched.push(TriggerWrite { column: written, trigger: w.trigger, from });
            }
        }
        self.trigger_writes.extend(matched);
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The keys that make `column` unique, as people name them: `primary key` or `unique index
    /// users_email_key`.
    pub fn unique_keys_of(&self, column: usize) -> Vec<String> {
        let mut keys = Vec::new();
        if self.primary_key.contains(&column) {
            keys.push("primary key".to_string());
        }
        for k in self.unique_keys.iter().filter(|k| k.columns.contains(&column)) {
            keys.push(format!("unique index {}", k.name));
        }
        keys
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    pub tables: Vec<Table>,
    /// Tables of the same database in schemas that were not introspected, by name only: a
    /// config table missing from `tables` may be one of them.
    pub elsewhere: Vec<TableName>,
}

impl Schema {
    pub fn table(&self, name: &TableName) -> Option<&Table> {
        self.tables.iter().find(|t| &t.name == name)
    }
}

#[cfg(test)]
mod trigger_write_tests {
    use super::*;

    #[test]
    fn assignments_and_what_they_read_are_found() {
        let assign = regex::Regex::new(r#"(?i)\bNEW\s*\.\s*("(?:[^"]|"")+"|\w+)\s*:="#).unwrap();
        let reference = regex::Regex::new(r#"(?i)\bNEW\s*\.\s*("(?:[^"]|"")+"|\w+)"#).unwrap();
        let code = "BEGIN NEW.doc := to_tsvector(coalesce(NEW.name, '') || NEW.\"City\"); \
                    NEW.updated_at := now(); IF NEW.x = 1 THEN NEW.y := NEW.x; END IF; RETURN NEW; END";
        let unquote = |s: &str| s.trim_matches('"').to_string();
        let found = trigger_writes("t", code, &assign, &reference, unquote);
        assert_eq!(
            found,
            vec![
                TriggerWrite { column: "doc".into(), trigger: "t".into(), from: vec!["City".into(), "name".into()] },
                TriggerWrite { column: "y".into(), trigger: "t".into(), from: vec!["x".into()] },
            ]
        );
    }
}
