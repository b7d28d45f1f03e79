//! The CustomResourceDefinitions a local cluster needs for gitcanary: argoproj.io and Istio networking.

use anyhow::Context;
use serde_json::Value;

/// Istio's networking CRDs, as test fixtures (spec schemas preserve unknown fields, like Istio's own).
const ISTIO_CRDS: &str = "";

/// Every CRD `localkube --install-crds` and the demo install.
pub fn bundled() -> anyhow::Result<Vec<Value>> {
    let mut out = vec![];
    for doc in serde_yaml::Deserializer::from_str(ISTIO_CRDS) {
        let v: Value =
            serde::Deserialize::deserialize(doc).context("parsing the bundled Istio CRDs")?;
        if !v.is_null() {
            out.push(v);
        }
    }
    Ok(out)
}
