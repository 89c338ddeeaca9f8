//! Config values that may be written in several forms (a word, a map, a list, or nothing): one
//! serde visitor for all of them, each type saying what each form means.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};

/// A value read from whichever form the YAML uses. Forms a type does not take are errors that
/// say what it expects.
pub trait Forms: Sized {
    /// What the value may be, for error messages: "a mask kind or a map with `kind`".
    const EXPECTING: &'static str;

    fn from_str<E: de::Error>(text: &str) -> Result<Self, E>;

    fn from_map<'de, M: MapAccess<'de>>(map: M) -> Result<Self, M::Error>;

    fn from_seq<'de, S: SeqAccess<'de>>(seq: S) -> Result<Self, S::Error> {
        let _ = seq;
        Err(de::Error::invalid_type(Unexpected::Seq, &Self::EXPECTING))
    }

    /// What a YAML `null` (or `~`) means, if anything.
    fn from_null() -> Option<Self> {
        None
    }
}

/// Read a [`Forms`] value: call it from the type's `Deserialize` impl.
pub fn deserialize<'de, D: Deserializer<'de>, T: Forms>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(FormsVisitor(PhantomData))
}

struct FormsVisitor<T>(PhantomData<T>);

impl<'de, T: Forms> Visitor<'de> for FormsVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        T::from_str(v)
    }

    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<T, M::Error> {
        T::from_map(map)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, seq: S) -> Result<T, S::Error> {
        T::from_seq(seq)
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        T::from_null().ok_or_else(|| de::Error::invalid_type(Unexpected::Unit, &T::EXPECTING))
    }

    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        self.visit_unit()
    }
}
