//! SQL text every engine writes the same way but for its quote character: quoted identifiers
//! and the one literal kind DDL needs (text).

use crate::schema::TableName;

/// An engine's identifier quoting: the name between quote characters, each quote inside
/// doubled (the SQL standard's rule, which `"…"` and `` `…` `` both follow).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quote {
    /// `"name"`: PostgreSQL and SQLite.
    Double,
    /// `` `name` ``: MySQL and MariaDB.
    Backtick,
}

impl Quote {
    fn char(self) -> char {
        match self {
            Quote::Double => '"',
            Quote::Backtick => '`',
        }
    }

    pub fn ident(self, name: &str) -> String {
        let quote = self.char();
        let mut q = String::with_capacity(name.len() + 2);
        q.push(quote);
        for ch in name.chars() {
            if ch == quote {
                q.push(quote);
            }
            q.push(ch);
        }
        q.push(quote);
        q
    }

    /// `schema.name`, both parts quoted.
    pub fn table(self, table: &TableName) -> String {
        format!("{}.{}", self.ident(&table.schema), self.ident(&table.name))
    }

    /// Quoted names joined by `, `.
    pub fn list<'a>(self, names: impl IntoIterator<Item = &'a str>) -> String {
        names.into_iter().map(|n| self.ident(n)).collect::<Vec<_>>().join(", ")
    }
}

/// `'text'` with quotes doubled: the SQL standard's literal, which all three engines read.
/// Only for schema text (column defaults), which DDL cannot take as a bound parameter.
pub fn text_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_doubles_the_quote_and_keeps_everything_else() {
        let (d, b) = (Quote::Double, Quote::Backtick);
        assert_eq!(d.ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(d.ident("select"), "\"select\"");
        assert_eq!(d.ident("Ünï cödé.x"), "\"Ünï cödé.x\"");
        assert_eq!(d.table(&TableName::new("my schema", "Tab\"le")), "\"my schema\".\"Tab\"\"le\"");
        assert_eq!(b.ident("a`b"), "`a``b`");
        assert_eq!(b.ident("select"), "`select`");
        assert_eq!(b.table(&TableName::new("my db", "Tab`le 🦀")), "`my db`.`Tab``le 🦀`");
        assert_eq!(b.list(["a", "b\"c"]), "`a`, `b\"c`");
        assert_eq!(text_literal("a'b"), "'a''b'");
    }
}
