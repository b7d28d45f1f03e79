//! Builds `serde_json::Value`s from any serde deserializer while counting nodes.
//!
//! serde_yaml replays an alias's events every time the alias is used, so a small file can expand into
//! billions of nodes ("billion laughs"). Its own guard counts alias jumps, not nodes, and lets a few
//! kilobytes grow into hundreds of millions of values. Counting every node we build against a budget
//! stops such a file after bounded work and memory. The same visitor refuses duplicate mapping keys
//! (which YAML forbids and the Kubernetes decoder rejects) and non-string keys that JSON cannot hold.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// How many nodes may still be built; `exceeded` tells a budget failure apart from other errors.
pub(crate) struct Budget {
    limit: u64,
    remaining: Cell<u64>,
    exceeded: Cell<bool>,
}

impl Budget {
    /// A budget of `len + 100_000` nodes can never trip on a file without aliases: every node takes at
    /// least one byte of source, and the constant leaves room for modest legitimate alias use.
    pub(crate) fn for_source_len(len: usize) -> Self {
        let limit = len as u64 + 100_000;
        Budget {
            limit,
            remaining: Cell::new(limit),
            exceeded: Cell::new(false),
        }
    }

    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }

    pub(crate) fn exceeded(&self) -> bool {
        self.exceeded.get()
    }

    fn take<E: de::Error>(&self) -> Result<(), E> {
        match self.remaining.get().checked_sub(1) {
            Some(left) => {
                self.remaining.set(left);
                Ok(())
            }
            None => {
                self.exceeded.set(true);
                Err(E::custom("alias expansion exceeds the node budget"))
            }
        }
    }
}

/// Deserializes one node (and everything below it) into a JSON value.
pub(crate) struct NodeSeed<'a>(pub(crate) &'a Budget);

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(NodeVisitor(self.0))
    }
}

struct NodeVisitor<'a>(&'a Budget);

impl<'de> Visitor<'de> for NodeVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML or JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.0.take()?;
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom(format!("{v} cannot be represented in JSON")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        NodeSeed(self.0).deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.0.take()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(NodeSeed(self.0))? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.0.take()?;
        let mut object = Map::new();
        while let Some(key) = map.next_key_seed(KeySeed(self.0))? {
            let value = map.next_value_seed(NodeSeed(self.0))?;
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate mapping key `{key}`")));
            }
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (tag, _rest): (String, _) = data.variant()?;
        Err(de::Error::custom(format!(
            "YAML tag `!{tag}` is not supported"
        )))
    }
}

/// Mapping keys become strings, as the Kubernetes YAML decoder does for scalar keys.
struct KeySeed<'a>(&'a Budget);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = String;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        match NodeSeed(self.0).deserialize(deserializer)? {
            Value::String(s) => Ok(s),
            Value::Null => Ok("null".to_owned()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Array(_) | Value::Object(_) => Err(de::Error::custom(
                "complex mapping keys (sequences or mappings as keys) are not supported",
            )),
        }
    }
}
