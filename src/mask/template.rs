//! `template:` — a value built from other columns of the same row.
//!
//! `"{first_name|lower}.{last_name|lower|ascii}@example.com"`: each `{column}` is the value that
//! column gets in the target (masked if it is masked); `{column|original}` is the source value.
//! Filters apply left to right: `lower`, `upper`, `ascii` (letters and digits only, accents
//! folded), `initial` (first character). `{{` and `}}` are literal braces. A NULL renders as
//! nothing.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    Lower,
    Upper,
    Ascii,
    Initial,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Part<C> {
    Literal(String),
    Field { column: C, original: bool, filters: Vec<Filter> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Template<C> {
    pub parts: Vec<Part<C>>,
}

pub fn parse(text: &str) -> Result<Template<String>, String> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literal.push('}');
            }
            '}' => return Err(format!("template {text:?}: `}}` without `{{` (write `}}}}` for a brace)")),
            '{' => {
                let mut field = String::new();
                loop {
                    match chars.next() {
                        None => return Err(format!("template {text:?}: `{{` is never closed")),
                        Some('}') => break,
                        Some(c) => field.push(c),
                    }
                }
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                parts.push(parse_field(&field).map_err(|e| format!("template {text:?}: {e}"))?);
            }
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    if !parts.iter().any(|p| matches!(p, Part::Field { .. })) {
        return Err(format!("template {text:?} names no column; use `set` for a constant"));
    }
    Ok(Template { parts })
}

fn parse_field(field: &str) -> Result<Part<String>, String> {
    let mut pieces = field.split('|').map(str::trim);
    let column = pieces.next().unwrap_or_default().to_string();
    if column.is_empty() {
        return Err("empty `{}`".into());
    }
    let mut original = false;
    let mut filters = Vec::new();
    for name in pieces {
        match name {
            "original" => original = true,
            "lower" => filters.push(Filter::Lower),
            "upper" => filters.push(Filter::Upper),
            "ascii" => filters.push(Filter::Ascii),
            "initial" => filters.push(Filter::Initial),
            other => {
                return Err(format!("unknown filter {other:?} (known: original, lower, upper, ascii, initial)"));
            }
        }
    }
    Ok(Part::Field { column, original, filters })
}

impl<C> Template<C> {
    pub fn fields(&self) -> impl Iterator<Item = (&C, bool)> {
        self.parts.iter().filter_map(|p| match p {
            Part::Field { column, original, .. } => Some((column, *original)),
            Part::Literal(_) => None,
        })
    }

    pub fn bind<D, E>(&self, f: &mut impl FnMut(&C) -> Result<D, E>) -> Result<Template<D>, E> {
        let parts = self
            .parts
            .iter()
            .map(|p| {
                Ok(match p {
                    Part::Literal(s) => Part::Literal(s.clone()),
                    Part::Field { column, original, filters } => {
                        Part::Field { column: f(column)?, original: *original, filters: filters.clone() }
                    }
                })
            })
            .collect::<Result<_, E>>()?;
        Ok(Template { parts })
    }
}

impl Template<usize> {
    /// Render into `out`; `value(i, original)` is column `i`'s source or target value.
    pub fn render<'a>(&self, value: &impl Fn(usize, bool) -> Option<&'a [u8]>, out: &mut Vec<u8>) {
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.extend_from_slice(s.as_bytes()),
                Part::Field { column, original, filters } => {
                    let Some(v) = value(*column, *original) else { continue };
                    if filters.is_empty() {
                        out.extend_from_slice(v);
                        continue;
                    }
                    let mut s = String::from_utf8_lossy(v).into_owned();
                    for f in filters {
                        s = match f {
                            Filter::Lower => s.to_lowercase(),
                            Filter::Upper => s.to_uppercase(),
                            Filter::Ascii => super::fake_kinds::ascii_fold(&s),
                            Filter::Initial => s.chars().next().map(String::from).unwrap_or_default(),
                        };
                    }
                    out.extend_from_slice(s.as_bytes());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str, cols: &[&str], target: &[Option<&str>], source: &[Option<&str>]) -> String {
        let t = parse(text).unwrap();
        let bound = t.bind(&mut |c: &String| cols.iter().position(|x| x == c).ok_or(())).unwrap();
        let mut out = Vec::new();
        bound.render(&|i, orig| if orig { source[i] } else { target[i] }.map(str::as_bytes), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn renders_target_or_source_values_with_filters() {
        let cols = ["first", "last", "id"];
        let target = [Some("Jürgen"), Some("Van Dyke"), Some("7")];
        let source = [Some("Ana"), Some("Real"), Some("7")];
        assert_eq!(
            render("{first|lower|ascii}.{last|ascii|lower}+{id}@example.com", &cols, &target, &source),
            "jurgen.vandyke+7@example.com"
        );
        assert_eq!(render("{first|original|initial}. {{{last|upper}}}", &cols, &target, &source), "A. {VAN DYKE}");
        assert_eq!(render("x{first}y", &cols, &[None, None, None], &source), "xy");
    }

    #[test]
    fn errors() {
        assert!(parse("{a").unwrap_err().contains("never closed"));
        assert!(parse("a}").unwrap_err().contains("without"));
        assert!(parse("{a|shout}").unwrap_err().contains("unknown filter \"shout\""));
        assert!(parse("plain").unwrap_err().contains("names no column"));
        assert!(parse("{}").unwrap_err().contains("empty"));
        let t = parse("{a}-{b|original}").unwrap();
        assert_eq!(t.fields().collect::<Vec<_>>(), vec![(&"a".to_string(), false), (&"b".to_string(), true)]);
    }
}
