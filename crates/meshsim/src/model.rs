//! The cluster objects as routing sees them: only the fields that decide where a request goes.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::routes::HttpRoute;

pub type Labels = BTreeMap<String, String>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pod {
    pub name: String,
    pub labels: Labels,
    /// Ready and not terminating: only such pods are endpoints of a Service.
    pub ready: bool,
    /// The application container's image (sidecars do not answer requests).
    pub image: Option<String>,
    /// The `destination_workload` Istio would report for this pod.
    pub workload: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    /// Empty for a Service without a selector, whose endpoints nobody manages here.
    pub selector: Labels,
}

#[derive(Debug)]
pub struct VirtualService {
    pub name: String,
    /// Istio merges several VirtualServices for one gateway host oldest first.
    pub created: Option<Time>,
    pub routes: Vec<HttpRoute>,
}

/// Something kept in the mesh view by name.
pub trait Named {
    fn name(&self) -> &str;
}

impl Named for Pod {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for Service {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for VirtualService {
    fn name(&self) -> &str {
        &self.name
    }
}
