//! A config rule compiled into what it means, `when` included. Everything the YAML alone can
//! get wrong is found here, before any database is touched: a misplaced option, a bad regex,
//! date or duration, an unknown locale, a malformed condition.

use std::sync::Arc;

use super::condition::{self, Expr};
use super::json_path;
use super::kind::{Family, Kind};
use super::kinds::json::{Json, ValueMask};
use super::kinds::{Spec, constant, edit, generated, hash, noise, random, text};
use super::locale::Locale;
use super::masker::Masker;
use super::rule::{FullRule, Rule};
use super::template;
use crate::data::forms::BinaryText;
use crate::schema::{Column, TypeClass};

/// A compiled rule and the rows it applies to.
#[derive(Clone, Debug)]
pub struct RuleSpec {
    pub spec: Spec,
    pub when: Option<Expr<String>>,
    /// The rule as written, in its full form: two columns whose values must mask alike (a key
    /// and the columns that reference it) are compared by it.
    pub written: FullRule,
}

impl RuleSpec {
    /// Whether two columns' rule lists give every value the same output.
    pub fn same_rules(a: &[RuleSpec], b: &[RuleSpec]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.written == y.written)
    }

    /// A list of rules that leaves every value as it is.
    pub fn keeps(rules: &[RuleSpec]) -> bool {
        rules.iter().all(|r| r.when.is_none() && r.spec.is_keep())
    }
}

impl Spec {
    /// The rule with every option at its default: what a bare kind name means.
    pub fn default_for(kind: Kind) -> Result<Spec, String> {
        compile_full(&FullRule { kind: Some(kind), ..FullRule::default() })
    }
}

/// Compile one config rule, `when` included.
pub fn compile(rule: &Rule) -> Result<RuleSpec, String> {
    let written = rule.full();
    let when = written.when.as_deref().map(|w| condition::parse(w).map_err(|e| format!("when: {e}"))).transpose()?;
    Ok(RuleSpec { spec: compile_full(&written)?, when, written })
}

fn compile_full(r: &FullRule) -> Result<Spec, String> {
    let kind = r.kind.ok_or("a rule in the full form needs `kind`")?;
    let allowed = kind.options();
    let stray: Vec<&str> = r.given().into_iter().filter(|o| !allowed.contains(o)).collect();
    if !stray.is_empty() {
        let takes = if allowed.is_empty() { "no options".to_string() } else { allowed.join(", ") };
        return Err(format!("option {} does not go with kind {kind} (it takes {takes})", stray.join(", ")));
    }
    let locale = r.locale.as_deref().map(Locale::parse).transpose()?.unwrap_or_default();
    Ok(match kind.family() {
        Family::Constant => Spec::Constant(constant::Constant::compile(kind, r)?),
        Family::Text => Spec::Text(text::Text::compile(kind, r, locale)?),
        Family::Generated => Spec::Generated(generated::Generated::compile(kind, r, locale)?),
        Family::Hash => Spec::Hash(hash::Hash::compile(r)?),
        Family::Edit => Spec::Edit(edit::Edit::compile(kind, r)?),
        Family::Random => Spec::Random(random::Random::compile(kind, r)?),
        Family::Noise => Spec::Noise(noise::Noise::compile(r)?),
        Family::Template => {
            Spec::Template(template::parse(r.template.as_deref().ok_or("kind template needs `template`")?)?)
        }
        Family::Json => Spec::Json(json(r)?),
    })
}

/// Each path's rule, bound to the values found there: text, or decimals for numeric rules.
fn json(r: &FullRule) -> Result<Json, String> {
    let paths = r.paths.as_ref().filter(|p| !p.is_empty()).ok_or("kind json needs `paths`")?;
    let mut bound = Vec::new();
    for (path, rule) in paths {
        let parsed = json_path::parse(path)?;
        let inner = compile(rule).map_err(|e| format!("path {path}: {e}"))?;
        if inner.when.is_some() {
            return Err(format!("path {path}: `when` goes on the column's rule, not inside json paths"));
        }
        if matches!(inner.spec, Spec::Template(_) | Spec::Json(_)) || inner.spec.is_keep() {
            return Err(format!("path {path}: kind {} cannot be used inside json", inner.spec.kind()));
        }
        let class = if inner.spec.numeric() { TypeClass::Decimal } else { TypeClass::Text };
        let value = Column::new(parsed.text.clone(), "a JSON value", class);
        let masker = Masker::new(&inner.spec, &value, BinaryText::Raw).map_err(|e| format!("path {path}: {e}"))?;
        bound.push((parsed, Arc::new(masker) as Arc<dyn ValueMask>));
    }
    Ok(Json { paths: bound })
}
