//! The CustomResourceDefinitions a local cluster needs for gitcanary: argoproj.io (generated from the
//! types in `api`) and Istio's networking kinds.

use anyhow::Context;
use serde_json::Value;

/// Istio's networking CRDs (VirtualService, DestinationRule, Gateway at v1alpha3, v1beta1 and v1), with
/// spec schemas that preserve unknown fields, like Istio's own.
const ISTIO_CRDS: &str = include_str!("../../tests/fixtures/crds/istio.yaml");

/// Every CRD `localkube --install-crds` and the demo install.
pub fn bundled() -> anyhow::Result<Vec<Value>> {
    let mut out = vec![];
    for crd in crate::api::crds() {
        out.push(serde_json::to_value(&crd).context("serialising a generated CRD")?);
    }
    for doc in serde_yaml::Deserializer::from_str(ISTIO_CRDS) {
        let v: Value =
            serde::Deserialize::deserialize(doc).context("parsing the bundled Istio CRDs")?;
        if !v.is_null() {
            out.push(v);
        }
    }
    Ok(out)
}
