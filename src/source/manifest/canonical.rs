//! Canonical JSON and the hashes built on it.
//!
//! Object hashes must not change when a file is re-indented, keys are reordered or YAML is turned into
//! JSON, so we hash a canonical form: object keys sorted bytewise, no whitespace, serde_json's number and
//! string encoding. The bytes are streamed into the hasher; nothing is allocated per object.

use std::io::{self, Write};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::source::snapshot::Manifest;

/// SHA-256 of the canonical form of `value`.
pub fn object_hash(value: &Value) -> [u8; 32] {
    let mut writer = HashWriter(Sha256::new());
    // Writing into a hasher cannot fail, and neither can serializing a `str`.
    let _ = write_canonical(value, &mut writer);
    writer.0.finalize().into()
}

/// Digest of a set of objects: sorted `(key, hash)` pairs, so moving objects between files keeps it.
pub fn set_digest(objects: &[Manifest]) -> [u8; 32] {
    let mut pairs: Vec<(String, &[u8; 32])> = objects
        .iter()
        .map(|m| (format!("{}\0{}", m.key.api_version, m.key), &m.hash))
        .collect();
    pairs.sort();
    let mut hasher = Sha256::new();
    for (key, hash) in pairs {
        hasher.update(key.as_bytes());
        hasher.update([0u8]);
        hasher.update(hash);
    }
    hasher.finalize().into()
}

/// Writes `value` in canonical form.
pub fn write_canonical<W: Write>(value: &Value, out: &mut W) -> io::Result<()> {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            serde_json::to_writer(&mut *out, value).map_err(io::Error::other)
        }
        Value::Array(items) => {
            out.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_canonical(item, out)?;
            }
            out.write_all(b"]")
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.write_all(b"{")?;
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                serde_json::to_writer(&mut *out, key).map_err(io::Error::other)?;
                out.write_all(b":")?;
                write_canonical(item, out)?;
            }
            out.write_all(b"}")
        }
    }
}

struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_form_sorts_keys_and_drops_whitespace() {
        let mut out = Vec::new();
        let value = json!({"b": [1, {"d": null, "c": true}], "a": "x\"y"});
        assert!(write_canonical(&value, &mut out).is_ok());
        assert_eq!(
            String::from_utf8_lossy(&out),
            r#"{"a":"x\"y","b":[1,{"c":true,"d":null}]}"#
        );
    }

    #[test]
    fn key_order_does_not_change_the_hash_but_values_do() {
        let cases = [
            (json!({"a": 1, "b": 2}), json!({"b": 2, "a": 1}), true),
            (json!({"a": 1}), json!({"a": 2}), false),
            (json!({"a": [1, 2]}), json!({"a": [2, 1]}), false),
            (json!({"a": "1"}), json!({"a": 1}), false),
        ];
        for (left, right, same) in cases {
            assert_eq!(
                object_hash(&left) == object_hash(&right),
                same,
                "{left} vs {right}"
            );
        }
    }
}
