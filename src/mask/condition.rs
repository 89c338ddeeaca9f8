//! `when:` — a predicate on a row's original values that decides whether a rule applies.
//!
//! ```text
//! expr    := and ("or" and)*
//! and     := unary ("and" unary)*
//! unary   := "not" unary | "(" expr ")" | test
//! test    := column ("=" | "!=" | "<>" | "<" | "<=" | ">" | ">=") literal
//!          | column "is" ["not"] "null"
//!          | column ["not"] "in" "(" literal ("," literal)* ")"
//!          | column ["not"] "like" 'pattern'          (% any run, _ one character)
//! column  := name | "quoted name"
//! literal := 'text' | number | true | false
//! ```
//! Keywords are case-insensitive. A number compares numerically with values that parse as
//! numbers; `true`/`false` match the engines' spellings (`t`/`f`, `1`/`0`). A comparison with a
//! NULL value is false, so `not (country = 'DE')` holds for NULL.

use std::cmp::Ordering;

use crate::data::forms::truth;

/// A parsed condition; `C` is a column name before binding and a row position after.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr<C> {
    Or(Vec<Expr<C>>),
    And(Vec<Expr<C>>),
    Not(Box<Expr<C>>),
    Compare { column: C, op: Op, value: Literal },
    IsNull { column: C, negated: bool },
    In { column: C, values: Vec<Literal>, negated: bool },
    Like { column: C, pattern: String, negated: bool },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Text(String),
    Number(f64),
    Bool(bool),
}

pub fn parse(text: &str) -> Result<Expr<String>, String> {
    let tokens = tokenize(text)?;
    let mut p = Parser { tokens, pos: 0 };
    let expr = p.or()?;
    match p.tokens.get(p.pos) {
        None => Ok(expr),
        Some(t) => Err(format!("unexpected {} in condition {text:?}", t.describe())),
    }
}

impl<C> Expr<C> {
    /// Every column the condition reads, in order of appearance.
    pub fn columns(&self) -> Vec<&C> {
        let mut out = Vec::new();
        self.visit(&mut |c| out.push(c));
        out
    }

    fn visit<'a>(&'a self, f: &mut impl FnMut(&'a C)) {
        match self {
            Expr::Or(v) | Expr::And(v) => v.iter().for_each(|e| e.visit(f)),
            Expr::Not(e) => e.visit(f),
            Expr::Compare { column, .. }
            | Expr::IsNull { column, .. }
            | Expr::In { column, .. }
            | Expr::Like { column, .. } => f(column),
        }
    }

    /// The same condition over other column references; the first failure is returned.
    pub fn bind<D, E>(&self, f: &mut impl FnMut(&C) -> Result<D, E>) -> Result<Expr<D>, E> {
        Ok(match self {
            Expr::Or(v) => Expr::Or(v.iter().map(|e| e.bind(f)).collect::<Result<_, _>>()?),
            Expr::And(v) => Expr::And(v.iter().map(|e| e.bind(f)).collect::<Result<_, _>>()?),
            Expr::Not(e) => Expr::Not(Box::new(e.bind(f)?)),
            Expr::Compare { column, op, value } => Expr::Compare { column: f(column)?, op: *op, value: value.clone() },
            Expr::IsNull { column, negated } => Expr::IsNull { column: f(column)?, negated: *negated },
            Expr::In { column, values, negated } => {
                Expr::In { column: f(column)?, values: values.clone(), negated: *negated }
            }
            Expr::Like { column, pattern, negated } => {
                Expr::Like { column: f(column)?, pattern: pattern.clone(), negated: *negated }
            }
        })
    }
}

impl Expr<usize> {
    /// Whether a row matches; `cell(i)` is the original value at row position `i`.
    pub fn matches<'a>(&self, cell: &impl Fn(usize) -> Option<&'a [u8]>) -> bool {
        match self {
            Expr::Or(v) => v.iter().any(|e| e.matches(cell)),
            Expr::And(v) => v.iter().all(|e| e.matches(cell)),
            Expr::Not(e) => !e.matches(cell),
            Expr::IsNull { column, negated } => cell(*column).is_none() != *negated,
            Expr::Compare { column, op, value } => cell(*column).is_some_and(|v| compare(v, *op, value)),
            Expr::In { column, values, negated } => {
                cell(*column).is_some_and(|v| values.iter().any(|l| compare(v, Op::Eq, l)) != *negated)
            }
            Expr::Like { column, pattern, negated } => {
                cell(*column).is_some_and(|v| like(v, pattern.as_bytes()) != *negated)
            }
        }
    }
}

fn compare(value: &[u8], op: Op, literal: &Literal) -> bool {
    let ordering = match literal {
        Literal::Text(t) => Some(value.cmp(t.as_bytes())),
        Literal::Number(n) => {
            std::str::from_utf8(value).ok().and_then(|s| s.trim().parse::<f64>().ok()).and_then(|v| v.partial_cmp(n))
        }
        Literal::Bool(b) => {
            return match (truth(value), op) {
                (Some(t), Op::Eq) => t == *b,
                (Some(t), Op::Ne) => t != *b,
                _ => false,
            };
        }
    };
    let Some(o) = ordering else { return false };
    match op {
        Op::Eq => o == Ordering::Equal,
        Op::Ne => o != Ordering::Equal,
        Op::Lt => o == Ordering::Less,
        Op::Le => o != Ordering::Greater,
        Op::Gt => o == Ordering::Greater,
        Op::Ge => o != Ordering::Less,
    }
}

/// SQL LIKE on characters: `%` any run, `_` exactly one character.
fn like(value: &[u8], pattern: &[u8]) -> bool {
    let value: Vec<char> = String::from_utf8_lossy(value).chars().collect();
    let pattern: Vec<char> = String::from_utf8_lossy(pattern).chars().collect();
    // Classic two-pointer wildcard match with backtracking to the last `%`.
    let (mut v, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while v < value.len() {
        if p < pattern.len() && (pattern[p] == '_' || pattern[p] == value[v]) {
            v += 1;
            p += 1;
        } else if p < pattern.len() && pattern[p] == '%' {
            star = Some((p, v));
            p += 1;
        } else if let Some((sp, sv)) = star {
            p = sp + 1;
            v = sv + 1;
            star = Some((sp, sv + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '%')
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Quoted(String),
    Text(String),
    Number(f64),
    Op(Op),
    Open,
    Close,
    Comma,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Ident(s) => format!("`{s}`"),
            Token::Quoted(s) => format!("column \"{s}\""),
            Token::Text(s) => format!("'{s}'"),
            Token::Number(n) => format!("{n}"),
            Token::Op(_) => "comparison".into(),
            Token::Open => "`(`".into(),
            Token::Close => "`)`".into(),
            Token::Comma => "`,`".into(),
        }
    }

    fn is_keyword(&self, word: &str) -> bool {
        matches!(self, Token::Ident(s) if s.eq_ignore_ascii_case(word))
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let quoted = |i: &mut usize, q: char| -> Result<String, String> {
        let mut s = String::new();
        *i += 1;
        loop {
            match chars.get(*i) {
                None => return Err(format!("unterminated {q} in condition {text:?}")),
                Some(&c) if c == q && chars.get(*i + 1) == Some(&q) => {
                    s.push(q);
                    *i += 2;
                }
                Some(&c) if c == q => {
                    *i += 1;
                    return Ok(s);
                }
                Some(&c) => {
                    s.push(c);
                    *i += 1;
                }
            }
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' | ')' | ',' => {
                tokens.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    _ => Token::Comma,
                });
                i += 1;
            }
            '\'' => tokens.push(Token::Text(quoted(&mut i, '\'')?)),
            '"' => tokens.push(Token::Quoted(quoted(&mut i, '"')?)),
            '=' | '!' | '<' | '>' => {
                let next = chars.get(i + 1).copied();
                let (op, len) = match (c, next) {
                    ('=', _) => (Op::Eq, 1),
                    ('!', Some('=')) => (Op::Ne, 2),
                    ('<', Some('>')) => (Op::Ne, 2),
                    ('<', Some('=')) => (Op::Le, 2),
                    ('<', _) => (Op::Lt, 1),
                    ('>', Some('=')) => (Op::Ge, 2),
                    ('>', _) => (Op::Gt, 1),
                    _ => return Err(format!("unexpected `{c}` in condition {text:?}")),
                };
                tokens.push(Token::Op(op));
                i += len;
            }
            c if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) => {
                let start = i;
                i += 1;
                while chars.get(i).is_some_and(|c| c.is_ascii_digit() || *c == '.' || *c == 'e' || *c == 'E') {
                    i += 1;
                }
                let s: String = chars[start..i].iter().collect();
                tokens.push(Token::Number(s.parse().map_err(|_| format!("bad number {s} in condition {text:?}"))?));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while chars.get(i).is_some_and(|c| c.is_alphanumeric() || *c == '_') {
                    i += 1;
                }
                tokens.push(Token::Ident(chars[start..i].iter().collect()));
            }
            c => return Err(format!("unexpected `{c}` in condition {text:?}")),
        }
    }
    if tokens.is_empty() {
        return Err("empty condition".into());
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn keyword(&mut self, word: &str) -> bool {
        let hit = self.peek().is_some_and(|t| t.is_keyword(word));
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn expected(&self, what: &str) -> String {
        match self.peek() {
            Some(t) => format!("expected {what}, found {}", t.describe()),
            None => format!("expected {what} at the end of the condition"),
        }
    }

    fn or(&mut self) -> Result<Expr<String>, String> {
        let mut parts = vec![self.and()?];
        while self.keyword("or") {
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::Or(parts) })
    }

    fn and(&mut self) -> Result<Expr<String>, String> {
        let mut parts = vec![self.unary()?];
        while self.keyword("and") {
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::And(parts) })
    }

    fn unary(&mut self) -> Result<Expr<String>, String> {
        if self.keyword("not") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Token::Open) {
            self.pos += 1;
            let inner = self.or()?;
            if self.peek() != Some(&Token::Close) {
                return Err(self.expected("`)`"));
            }
            self.pos += 1;
            return Ok(inner);
        }
        self.test()
    }

    fn test(&mut self) -> Result<Expr<String>, String> {
        let column = match self.peek() {
            Some(Token::Quoted(name)) => name.clone(),
            Some(Token::Ident(name))
                if !["and", "or", "not", "is", "null", "in", "like", "true", "false"]
                    .iter()
                    .any(|k| name.eq_ignore_ascii_case(k)) =>
            {
                name.clone()
            }
            _ => return Err(self.expected("a column name")),
        };
        self.pos += 1;
        if self.keyword("is") {
            let negated = self.keyword("not");
            if !self.keyword("null") {
                return Err(self.expected("`null`"));
            }
            return Ok(Expr::IsNull { column, negated });
        }
        let negated = self.keyword("not");
        if self.keyword("in") {
            if self.peek() != Some(&Token::Open) {
                return Err(self.expected("`(`"));
            }
            self.pos += 1;
            let mut values = vec![self.literal()?];
            while self.peek() == Some(&Token::Comma) {
                self.pos += 1;
                values.push(self.literal()?);
            }
            if self.peek() != Some(&Token::Close) {
                return Err(self.expected("`,` or `)`"));
            }
            self.pos += 1;
            return Ok(Expr::In { column, values, negated });
        }
        if self.keyword("like") {
            return match self.literal()? {
                Literal::Text(pattern) => Ok(Expr::Like { column, pattern, negated }),
                _ => Err("like needs a quoted pattern".into()),
            };
        }
        if negated {
            return Err(self.expected("`in` or `like` after `not`"));
        }
        let Some(Token::Op(op)) = self.peek().cloned() else {
            return Err(self.expected(&format!("a comparison after {column}")));
        };
        self.pos += 1;
        Ok(Expr::Compare { column, op, value: self.literal()? })
    }

    fn literal(&mut self) -> Result<Literal, String> {
        let lit = match self.peek() {
            Some(Token::Text(s)) => Literal::Text(s.clone()),
            Some(Token::Number(n)) => Literal::Number(*n),
            Some(t) if t.is_keyword("true") => Literal::Bool(true),
            Some(t) if t.is_keyword("false") => Literal::Bool(false),
            _ => return Err(self.expected("a value ('text', a number, true or false)")),
        };
        self.pos += 1;
        Ok(lit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(cond: &str, cols: &[&str], row: &[Option<&str>]) -> bool {
        let expr = parse(cond).unwrap();
        let bound =
            expr.bind(&mut |c: &String| cols.iter().position(|x| x == c).ok_or(format!("no column {c}"))).unwrap();
        bound.matches(&|i| row[i].map(str::as_bytes))
    }

    #[test]
    fn evaluates_like_sql() {
        let cols = ["country", "age", "role", "Name X"];
        let row = [Some("DE"), Some("42"), None, Some("Zoë")];
        assert!(eval("country = 'DE'", &cols, &row));
        assert!(eval("country in ('FR', 'DE') and age >= 18", &cols, &row));
        assert!(!eval("age > 100 or country <> 'DE'", &cols, &row));
        assert!(eval("role is null and not (role = 'admin')", &cols, &row));
        assert!(!eval("role != 'admin'", &cols, &row), "a comparison with NULL is false");
        assert!(eval("\"Name X\" like 'Z_%'", &cols, &row));
        assert!(eval("\"Name X\" not like '%a%'", &cols, &row));
        assert!(eval("age < 100.5 AND country NOT IN ('FR')", &cols, &row));
    }

    #[test]
    fn booleans_match_engine_spellings() {
        for v in ["t", "1", "true"] {
            assert!(eval("active = true", &["active"], &[Some(v)]), "{v}");
        }
        assert!(eval("active = false", &["active"], &[Some("f")]));
    }

    #[test]
    fn errors_say_what_was_expected() {
        assert_eq!(
            parse("country =").unwrap_err(),
            "expected a value ('text', a number, true or false) at the end of the condition"
        );
        assert!(parse("country = 'DE").unwrap_err().contains("unterminated '"));
        assert!(parse("(a = 1").unwrap_err().contains("expected `)`"));
        assert!(parse("a is 1").unwrap_err().contains("expected `null`"));
        assert!(parse("a = 1 b").unwrap_err().contains("unexpected `b`"));
        assert!(parse("").unwrap_err().contains("empty"));
        let cols = parse("a = 1 or (b is null and \"c d\" in (1, 2))").unwrap();
        assert_eq!(cols.columns(), vec!["a", "b", "c d"]);
    }

    #[test]
    fn like_patterns() {
        assert!(like(b"abc", b"a%"));
        assert!(like(b"abc", b"%c"));
        assert!(like(b"abc", b"a_c"));
        assert!(!like(b"abc", b"a_"));
        assert!(like(b"", b"%"));
        assert!(like(b"a%b", b"a%%b"));
        assert!(!like(b"abd", b"%c%"));
    }
}
