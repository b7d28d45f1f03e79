//! Which API resource serves a kind, and whether it is namespaced: discovery, cached per kind, asked
//! of the server that holds the kind's group (see [`crate::cluster`]).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::cluster::Clusters;
use kube::core::GroupVersionKind;
use kube::discovery::{ApiResource, Scope, pinned_kind};

/// A resolved kind.
#[derive(Clone, Debug)]
pub struct Kind {
    pub resource: ApiResource,
    pub namespaced: bool,
}

pub struct Kinds {
    clusters: Clusters,
    cache: Mutex<HashMap<(String, String), Kind>>,
}

impl Kinds {
    pub fn new(clusters: Clusters) -> Self {
        Kinds {
            clusters,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Looks the kind up (the server's discovery), remembering the answer.
    pub async fn resolve(&self, api_version: &str, kind: &str) -> Result<Kind, kube::Error> {
        let key = (api_version.to_string(), kind.to_string());
        if let Some(k) = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(k.clone());
        }
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let (resource, caps) = pinned_kind(self.clusters.for_group(group), &gvk).await?;
        let resolved = Kind {
            resource,
            namespaced: caps.scope == Scope::Namespaced,
        };
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, resolved.clone());
        Ok(resolved)
    }
}
