//! `json`: rules applied to the values found at paths inside a JSON document, the rest kept.

use std::sync::Arc;

use serde_json::Value;

use super::super::json_path::Path;
use super::super::keyring::Keyring;
use super::super::slot::{Slot, cannot};
use crate::schema::{Column, TypeClass};

/// A rule bound to the values at one path: what `json` needs of the masker it holds there.
pub trait ValueMask: std::fmt::Debug + Send + Sync {
    /// Write the masked form of `input` into `out` (cleared first); false for NULL.
    fn mask(&self, input: &[u8], keys: &Keyring, out: &mut Vec<u8>) -> Result<bool, String>;
    /// Nulls whatever it finds, so it may replace a whole object or array.
    fn nulls(&self) -> bool;
    /// A number in is a number out (numeric kinds and hashes).
    fn keeps_numbers(&self) -> bool;
}

#[derive(Clone, Debug)]
pub struct Json {
    pub paths: Vec<(Path, Arc<dyn ValueMask>)>,
}

impl Json {
    pub fn check(&self, column: &Column) -> Result<Option<usize>, String> {
        if matches!(column.class, TypeClass::Json | TypeClass::Text) { Ok(None) } else { Err(cannot("json", column)) }
    }

    pub fn write(&self, slot: &Slot, input: &[u8], keys: &Keyring, out: &mut Vec<u8>) -> Result<(), String> {
        let mut doc: Value =
            serde_json::from_slice(input).map_err(|e| format!("json: the value is not valid JSON ({e})"))?;
        let mut scratch = Vec::new();
        for (path, masker) in &self.paths {
            path.for_each(&mut doc, &mut |v| {
                value(masker.as_ref(), v, keys, &mut scratch).map_err(|e| format!("json path {}: {e}", path.text))
            })?;
        }
        serde_json::to_writer(&mut *out, &doc).map_err(|e| format!("json: {e}"))?;
        // Its length follows the document's, so it is checked per value.
        slot.check_length("json", out)
    }
}

/// Mask one value found inside a document, keeping numbers numbers.
fn value(masker: &dyn ValueMask, v: &mut Value, keys: &Keyring, scratch: &mut Vec<u8>) -> Result<(), String> {
    let (text, was_number) = match v {
        Value::Null => return Ok(()),
        Value::String(s) => (std::mem::take(s), false),
        Value::Number(n) => (n.to_string(), true),
        Value::Bool(b) => (b.to_string(), false),
        Value::Array(_) | Value::Object(_) if masker.nulls() => {
            *v = Value::Null;
            return Ok(());
        }
        Value::Array(_) | Value::Object(_) => {
            return Err("reaches an object or array; name the values inside it".into());
        }
    };
    if !masker.mask(text.as_bytes(), keys, scratch)? {
        *v = Value::Null;
        return Ok(());
    }
    let masked = String::from_utf8_lossy(scratch).into_owned();
    *v = match serde_json::from_str::<serde_json::Number>(&masked) {
        Ok(n) if was_number && masker.keeps_numbers() => Value::Number(n),
        _ => Value::String(masked),
    };
    Ok(())
}
