//! The objects a Rollout refers to: for the loop (what to watch) and for validation (what exists).

use super::super::observed::Observed;
use crate::api::validate::{References, VirtualServiceRoutes, destination_rule_subsets};
use crate::api::{Rollout, virtual_service_name_namespace};

/// The objects a Rollout refers to, for the loop to watch: Service names, VirtualService references
/// (as written, with the name and namespace they resolve to) and the DestinationRule name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Referenced {
    pub services: Vec<String>,
    pub virtual_services: Vec<(String, String, Option<String>)>,
    pub destination_rule: Option<String>,
}

/// What `rollout` refers to.
pub fn referenced(rollout: &Rollout) -> Referenced {
    let Some(canary) = rollout.canary() else {
        return Referenced::default();
    };
    let services = [&canary.canary_service, &canary.stable_service]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect();
    let istio = canary
        .traffic_routing
        .as_ref()
        .and_then(|t| t.istio.as_ref());
    let virtual_services = istio
        .map(|i| {
            i.all_virtual_services()
                .into_iter()
                .map(|vs| {
                    let (name, namespace) = virtual_service_name_namespace(&vs.name);
                    (
                        vs.name.clone(),
                        name.to_owned(),
                        namespace.map(str::to_owned),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Referenced {
        services,
        virtual_services,
        destination_rule: istio
            .and_then(|i| i.destination_rule.as_ref())
            .map(|d| d.name.clone()),
    }
}

pub(super) fn references(obs: &Observed) -> References {
    let namespace = obs.rollout.metadata.namespace.as_deref();
    let virtual_services = obs
        .virtual_services
        .iter()
        .map(|(reference, vs)| {
            let (name, ns) = virtual_service_name_namespace(reference);
            let key = match ns {
                Some(ns) if Some(ns) != namespace => format!("{ns}/{name}"),
                _ => name.to_owned(),
            };
            (key, VirtualServiceRoutes::from_spec(&vs.spec))
        })
        .collect();
    References {
        services: Some(obs.services.keys().cloned().collect()),
        virtual_services: Some(virtual_services),
        destination_rules: Some(
            obs.destination_rule
                .iter()
                .map(|dr| (dr.name.clone(), destination_rule_subsets(&dr.spec)))
                .collect(),
        ),
        analysis_templates: obs.analysis_templates.clone(),
        cluster_analysis_templates: obs.cluster_analysis_templates.clone(),
    }
}
