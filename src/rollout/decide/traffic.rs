//! Traffic (§3.3, §4): Service selectors, DestinationRule subset hashes and VirtualService weights,
//! each written whole from the live object so a field another writer owns is never clobbered.

use serde_json::Value;

use super::super::actions::{Action, Event};
use super::super::destinationrule::rewrite_subsets;
use super::super::hash::HASH_LABEL;
use super::super::observed::MANAGED_BY_ANNOTATION;
use super::super::replicas::floor_share;
use super::super::steps::{MAX_WEIGHT, weight_at_or_before, weight_before};
use super::super::virtualservice::{Targets, rewrite};
use super::context::Ctx;
use super::{Draft, RolloutError, Stage, Waiting, phase::reason};
use crate::api::{TrafficWeights, WeightDestination};

fn service_name(name: &Option<String>) -> Option<&str> {
    name.as_deref().filter(|n| !n.is_empty())
}

/// Points the stable Service at the stable pods and the canary Service at the canary pods (the
/// stable pods while aborted), once the target has pods to serve: one available pod, or all of
/// them when the Service is adopted for the first time.
pub(super) fn services(ctx: &Ctx<'_>, draft: &mut Draft, stage: Stage) {
    let stable_hash = draft.status.stable_rs.clone();
    let canary_hash = match stage {
        Stage::Aborted => stable_hash.clone(),
        _ => Some(ctx.current_hash.clone()),
    };
    let wanted = [
        (service_name(&ctx.canary.stable_service), stable_hash),
        (service_name(&ctx.canary.canary_service), canary_hash),
    ];
    for (name, hash) in wanted {
        let (Some(name), Some(hash)) = (name, hash) else {
            continue;
        };
        let Some(service) = ctx.obs.services.get(name) else {
            continue;
        };
        let adopted = service.managed_by.as_deref() == Some(ctx.name);
        if service.hash() == Some(hash.as_str()) && adopted {
            continue;
        }
        let Some(rs) = ctx.rs_by_hash(Some(&hash)) else {
            continue;
        };
        let needed = if adopted { 1 } else { rs.replicas.max(1) };
        if rs.available_replicas < needed {
            draft.waiting.push(Waiting::ServiceSwitch {
                service: name.to_owned(),
                replica_set: rs.name.clone(),
                available: rs.available_replicas,
                needed,
            });
            continue;
        }
        let mut selector = service.selector.clone();
        selector.insert(HASH_LABEL.into(), hash.clone());
        draft.services.push(Action::SetServiceSelector {
            service: name.to_owned(),
            selector,
            managed_by: ctx.name.to_owned(),
        });
        if service.hash() != Some(hash.as_str()) {
            let message = format!(
                "Switched selector for service '{name}' from '{}' to '{hash}'",
                service.hash().unwrap_or_default()
            );
            draft.event(Event::normal(reason::SWITCH_SERVICE, message));
        }
    }
}

/// Writes the canary and stable hashes into the DestinationRule subsets. Returns false while the
/// switch must wait, in which case weights must not move either (they would reach the wrong pods).
pub(super) fn destination_rule(ctx: &Ctx<'_>, draft: &mut Draft, stage: Stage) -> bool {
    let Some(rule) = ctx.istio.and_then(|i| i.destination_rule.as_ref()) else {
        return true;
    };
    let Some(live) = &ctx.obs.destination_rule else {
        return false;
    };
    let stable_hash = draft.status.stable_rs.clone().unwrap_or_default();
    let no_services = service_name(&ctx.canary.canary_service).is_none()
        && service_name(&ctx.canary.stable_service).is_none();
    if no_services {
        let canary_counts = stage != Stage::Aborted;
        let pending = [
            (ctx.current_hash.as_str(), canary_counts),
            (stable_hash.as_str(), true),
        ]
        .into_iter()
        .filter(|(_, counts)| *counts)
        .filter_map(|(hash, _)| ctx.rs_by_hash(Some(hash)))
        .find(|rs| rs.replicas > 0 && !rs.fully_available());
        if let Some(rs) = pending {
            draft.waiting.push(Waiting::DestinationRuleSwitch {
                replica_set: rs.name.clone(),
            });
            return false;
        }
    }
    let Some(subsets) = rewrite_subsets(
        &live.spec,
        &rule.canary_subset_name,
        &rule.stable_subset_name,
        &ctx.current_hash,
        &stable_hash,
    ) else {
        draft.errors.push(RolloutError::DestinationRuleSubsets {
            rollout: ctx.name.to_owned(),
            name: live.name.clone(),
        });
        return false;
    };
    let adopted = live
        .annotations
        .get(MANAGED_BY_ANNOTATION)
        .map(String::as_str)
        == Some(ctx.name);
    if live.spec.get("subsets") != Some(&subsets) || !adopted {
        draft.mesh.push(Action::WriteDestinationRule {
            name: live.name.clone(),
            resource_version: live.resource_version.clone(),
            subsets,
            managed_by: ctx.name.to_owned(),
        });
    }
    true
}

/// The canary weight for this stage (§4.1).
fn desired_weight(ctx: &Ctx<'_>, draft: &Draft, stage: Stage, at_desired: bool) -> i32 {
    let available = ctx.new_rs.map_or(0, |rs| rs.available_replicas);
    let index = draft.status.current_step_index;
    match stage {
        Stage::FullyPromoted | Stage::Aborted => 0,
        _ if available == 0 => 0,
        Stage::PromotingFull => draft
            .status
            .canary
            .weights
            .as_ref()
            .map_or(0, |w| w.canary.weight),
        Stage::StepsDone { no_steps: true } => 0,
        Stage::StepsDone { no_steps: false } => MAX_WEIGHT,
        Stage::AtStep(_) if at_desired => weight_at_or_before(ctx.steps, index),
        Stage::AtStep(_) => weight_before(ctx.steps, index),
    }
}

/// Rewrites the VirtualService weights and records them in `status.canary.weights`.
pub(super) fn weights(ctx: &Ctx<'_>, draft: &mut Draft, stage: Stage, at_desired: bool) {
    let Some(istio) = ctx.istio else {
        return;
    };
    let weight = desired_weight(ctx, draft, stage, at_desired);
    let Some(stable) = ctx.rs_by_hash(draft.status.stable_rs.as_deref()) else {
        return;
    };
    let needed = floor_share(ctx.replicas, MAX_WEIGHT - weight);
    if stable.available_replicas < needed {
        draft.waiting.push(Waiting::StableCapacity {
            available: stable.available_replicas,
            needed,
        });
        return;
    }
    let rule = istio.destination_rule.as_ref();
    let targets = Targets {
        canary_service: ctx.canary.canary_service.as_deref().unwrap_or_default(),
        stable_service: ctx.canary.stable_service.as_deref().unwrap_or_default(),
        subsets: rule.map(|r| {
            (
                r.canary_subset_name.as_str(),
                r.stable_subset_name.as_str(),
                r.additional_subset_names.as_slice(),
            )
        }),
    };
    let mut failed = false;
    for reference in istio.all_virtual_services() {
        let Some(live) = ctx.obs.virtual_services.get(&reference.name) else {
            failed = true;
            continue;
        };
        match rewrite(reference, &live.spec, &targets, weight) {
            Ok(rewritten) if rewritten.differs_from(&live.spec) => {
                let section =
                    |key: &str, new: Option<Value>| new.filter(|n| live.spec.get(key) != Some(n));
                draft.mesh.push(Action::WriteVirtualService {
                    name: live.name.clone(),
                    namespace: live.namespace.clone(),
                    resource_version: live.resource_version.clone(),
                    http: section("http", rewritten.http),
                    tls: section("tls", rewritten.tls),
                    tcp: section("tcp", rewritten.tcp),
                });
            }
            Ok(_) => {}
            Err(source) => {
                failed = true;
                let error = RolloutError::VirtualServiceWeights {
                    rollout: ctx.name.to_owned(),
                    virtual_service: reference.name.clone(),
                    source,
                };
                draft.event(Event::warning(reason::TRAFFIC_ERROR, error.to_string()));
                draft.errors.push(error);
            }
        }
    }
    if failed {
        return;
    }
    let previous = draft
        .status
        .canary
        .weights
        .as_ref()
        .map(|w| w.canary.weight);
    if previous != Some(weight) {
        let change = match previous {
            Some(from) => format!("from {from} to {weight}"),
            None => format!("to {weight}"),
        };
        draft.event(Event::normal(
            reason::WEIGHT_UPDATED,
            format!("Traffic weight updated {change}"),
        ));
    }
    draft.status.canary.weights = Some(TrafficWeights {
        canary: WeightDestination {
            weight,
            service_name: ctx.canary.canary_service.clone().filter(|s| !s.is_empty()),
            pod_template_hash: Some(ctx.current_hash.clone()),
        },
        stable: WeightDestination {
            weight: MAX_WEIGHT - weight,
            service_name: ctx.canary.stable_service.clone().filter(|s| !s.is_empty()),
            pod_template_hash: draft.status.stable_rs.clone(),
        },
        additional: vec![],
        verified: None,
    });
}
