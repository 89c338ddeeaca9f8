//! Paths into JSON documents for the `json` rule: `$.email`, `$.address.street`,
//! `$.phones[*]`, `$.contacts[0].name`, `$["odd key"]`, `$.*`.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
    /// Every element of an array or every value of an object.
    All,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    pub text: String,
    steps: Vec<Step>,
}

pub fn parse(text: &str) -> Result<Path, String> {
    let bad = |why: &str| format!("JSON path {text:?}: {why}");
    let rest = text.trim().strip_prefix('$').ok_or_else(|| bad("must start with `$`"))?;
    let chars: Vec<char> = rest.chars().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                let start = i + 1;
                i = start;
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    i += 1;
                }
                let key: String = chars[start..i].iter().collect();
                match key.as_str() {
                    "" => return Err(bad("empty key after `.`")),
                    "*" => steps.push(Step::All),
                    _ => steps.push(Step::Key(key)),
                }
            }
            '[' => {
                let close = chars[i..].iter().position(|&c| c == ']').ok_or_else(|| bad("`[` is never closed"))? + i;
                let inner: String = chars[i + 1..close].iter().collect();
                let inner = inner.trim();
                if inner == "*" {
                    steps.push(Step::All);
                } else if let Some(q) = inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                    steps.push(Step::Key(q.to_string()));
                } else if let Some(q) = inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
                    steps.push(Step::Key(q.to_string()));
                } else {
                    let n = inner.parse().map_err(|_| bad("`[…]` holds a number, `*` or a quoted key"))?;
                    steps.push(Step::Index(n));
                }
                i = close + 1;
            }
            _ => return Err(bad("expected `.` or `[` after `$`")),
        }
    }
    if steps.is_empty() {
        return Err(bad("names the whole document; give a path to the values to mask"));
    }
    Ok(Path { text: text.trim().to_string(), steps })
}

impl Path {
    /// Call `f` on every value the path reaches; absent keys and indices are skipped.
    pub fn for_each(
        &self,
        doc: &mut Value,
        f: &mut impl FnMut(&mut Value) -> Result<(), String>,
    ) -> Result<(), String> {
        walk(&self.steps, doc, f)
    }
}

fn walk(steps: &[Step], v: &mut Value, f: &mut impl FnMut(&mut Value) -> Result<(), String>) -> Result<(), String> {
    let Some((step, rest)) = steps.split_first() else { return f(v) };
    match (step, v) {
        (Step::Key(k), Value::Object(map)) => match map.get_mut(k) {
            Some(child) => walk(rest, child, f),
            None => Ok(()),
        },
        (Step::Index(n), Value::Array(items)) => match items.get_mut(*n) {
            Some(child) => walk(rest, child, f),
            None => Ok(()),
        },
        (Step::All, Value::Array(items)) => items.iter_mut().try_for_each(|c| walk(rest, c, f)),
        (Step::All, Value::Object(map)) => map.values_mut().try_for_each(|c| walk(rest, c, f)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hits(path: &str, doc: &Value) -> Vec<Value> {
        let mut doc = doc.clone();
        let mut found = Vec::new();
        parse(path)
            .unwrap()
            .for_each(&mut doc, &mut |v| {
                found.push(v.clone());
                Ok(())
            })
            .unwrap();
        found
    }

    #[test]
    fn paths_reach_values() {
        let doc = json!({"email": "a@b.c", "contacts": [{"name": "x"}, {"name": "y"}], "odd key": {"k": 1}});
        assert_eq!(hits("$.email", &doc), vec![json!("a@b.c")]);
        assert_eq!(hits("$.contacts[*].name", &doc), vec![json!("x"), json!("y")]);
        assert_eq!(hits("$.contacts[1].name", &doc), vec![json!("y")]);
        assert_eq!(hits("$[\"odd key\"].k", &doc), vec![json!(1)]);
        assert_eq!(hits("$.missing.deeper", &doc), Vec::<Value>::new());
        assert_eq!(hits("$.*", &doc).len(), 3);
    }

    #[test]
    fn bad_paths() {
        assert!(parse("email").unwrap_err().contains("must start with `$`"));
        assert!(parse("$").unwrap_err().contains("whole document"));
        assert!(parse("$.a[").unwrap_err().contains("never closed"));
        assert!(parse("$.a[x]").unwrap_err().contains("number"));
        assert!(parse("$..a").unwrap_err().contains("empty key"));
    }
}
