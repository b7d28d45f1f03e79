//! ReplicaSets (§3.2–3.6): create the current template's, size the canary and the stable one, keep
//! the previous stable one up for `scaleDownDelaySeconds` after a promotion (and an aborted canary
//! for `abortScaleDownDelaySeconds`), drop superseded canaries at once, and prune history.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::super::actions::{Action, Event, NewReplicaSet};
use super::super::destinationrule::subset_hash;
use super::super::hash::HASH_LABEL;
use super::super::observed::{
    DESIRED_REPLICAS_ANNOTATION, ObservedReplicaSet, REVISION_ANNOTATION,
};
use super::super::replicas::{Counts, RoutedInputs, basic_target, traffic_routed};
use super::super::steps::{MAX_WEIGHT, canary_scale_at, weight_at_or_before};
use super::super::time::{rfc3339, seconds};
use super::context::{Ctx, DEFAULT_HISTORY_LIMIT};
use super::{Draft, Stage, Waiting, phase::reason};
use crate::api::RolloutStatus;

/// Rollout annotations Argo does not copy onto ReplicaSets (plus gitcanary's requests).
const NOT_COPIED: [&str; 5] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION_ANNOTATION,
    "rollout.argoproj.io/revision-history",
    DESIRED_REPLICAS_ANNOTATION,
    "notified.notifications.argoproj.io",
];

/// The weight pods are sized for at this stage.
fn sizing_weight(ctx: &Ctx<'_>, status: &RolloutStatus, stage: Stage) -> i32 {
    match stage {
        Stage::FullyPromoted | Stage::PromotingFull | Stage::StepsDone { .. } => MAX_WEIGHT,
        Stage::Aborted => 0,
        Stage::AtStep(_) => weight_at_or_before(ctx.steps, status.current_step_index),
    }
}

/// Desired canary and stable sizes.
pub(super) fn desired_counts(ctx: &Ctx<'_>, status: &RolloutStatus, stage: Stage) -> Counts {
    let weight = sizing_weight(ctx, status, stage);
    if !ctx.routed() {
        let surge = ctx
            .canary
            .fenceposts(ctx.replicas)
            .map_or(0, |f| f.max_surge);
        return match stage {
            Stage::FullyPromoted => Counts {
                canary: ctx.replicas,
                stable: ctx.replicas,
            },
            _ => basic_target(ctx.replicas, weight, surge),
        };
    }
    let canary_scale = match stage {
        Stage::AtStep(_) | Stage::Aborted => canary_scale_at(
            ctx.steps,
            status.current_step_index,
            status.abort,
            ctx.abort_delay().is_none(),
        ),
        _ => None,
    };
    let previous = status.canary.weights.as_ref();
    traffic_routed(&RoutedInputs {
        replicas: ctx.replicas,
        weight,
        canary_scale,
        min_pods_per_replica_set: ctx.canary.min_pods_per_replica_set,
        dynamic_stable_scale: ctx.canary.dynamic_stable_scale,
        aborted: status.abort,
        previous_canary_weight: previous.map(|w| w.canary.weight),
        previous_stable_weight: previous.map(|w| w.stable.weight),
    })
}

/// Argo's "step reached" check: the canary and the stable ReplicaSet are at their desired sizes
/// with the canary's pods available (and, without traffic routing, no older pods left).
pub(super) fn at_desired_counts(
    ctx: &Ctx<'_>,
    status: &RolloutStatus,
    counts: Counts,
) -> Result<(), Waiting> {
    let (replicas, available) = ctx
        .new_rs
        .map_or((0, 0), |rs| (rs.replicas, rs.available_replicas));
    if replicas != counts.canary || available < counts.canary {
        return Err(Waiting::CanaryReplicas {
            desired: counts.canary,
            replicas,
            available,
        });
    }
    let stable = ctx
        .rs_by_hash(status.stable_rs.as_deref())
        .filter(|rs| Some(rs.name.as_str()) != ctx.new_rs.map(|n| n.name.as_str()));
    let skip_stable = ctx.routed() && ctx.canary.dynamic_stable_scale;
    if let Some(stable) = stable.filter(|_| !skip_stable)
        && (stable.replicas != counts.stable || stable.status_replicas != counts.stable)
    {
        return Err(Waiting::StableReplicas {
            desired: counts.stable,
            replicas: stable.replicas,
            status_replicas: stable.status_replicas,
        });
    }
    Ok(())
}

/// Hashes something still points at: their ReplicaSets must not lose pods yet.
fn referenced_hashes(
    ctx: &Ctx<'_>,
    live: &RolloutStatus,
    status: &RolloutStatus,
) -> BTreeSet<String> {
    let mut hashes: BTreeSet<String> = [status.stable_rs.clone(), Some(ctx.current_hash.clone())]
        .into_iter()
        .flatten()
        .collect();
    for weights in [&live.canary.weights, &status.canary.weights]
        .into_iter()
        .flatten()
    {
        hashes.extend(weights.canary.pod_template_hash.clone());
        hashes.extend(weights.stable.pod_template_hash.clone());
    }
    hashes.extend(
        ctx.obs
            .services
            .values()
            .filter_map(|s| s.hash().map(str::to_owned)),
    );
    if let (Some(dr), Some(rule)) = (
        &ctx.obs.destination_rule,
        ctx.istio.and_then(|i| i.destination_rule.as_ref()),
    ) {
        for subset in [&rule.canary_subset_name, &rule.stable_subset_name] {
            hashes.extend(subset_hash(&dr.spec, subset).map(str::to_owned));
        }
    }
    hashes
}

fn scale(
    ctx: &Ctx<'_>,
    draft: &mut Draft,
    rs: &ObservedReplicaSet,
    replicas: i32,
    deadline: Option<String>,
) {
    if rs.replicas == replicas && rs.scale_down_deadline == deadline {
        return;
    }
    draft.replica_sets.push(Action::ScaleReplicaSet {
        name: rs.name.clone(),
        replicas,
        desired_replicas_annotation: ctx.replicas,
        scale_down_deadline: deadline,
    });
    if rs.replicas != replicas {
        let direction = if replicas > rs.replicas { "up" } else { "down" };
        let message = format!(
            "Scaled {direction} ReplicaSet {} (revision {}) from {} to {replicas}",
            rs.name,
            rs.revision.unwrap_or_default(),
            rs.replicas
        );
        draft.event(Event::normal(reason::SCALING, message));
    }
}

fn create(ctx: &Ctx<'_>, draft: &mut Draft, replicas: i32) {
    let name = ctx.rs_name();
    let hash = ctx.current_hash.clone();
    let mut template = ctx.template.clone();
    let metadata = template.metadata.get_or_insert_with(Default::default);
    let labels = metadata.labels.get_or_insert_with(BTreeMap::new);
    labels.insert(HASH_LABEL.into(), hash.clone());
    let labels = labels.clone();
    let mut selector = ctx.rollout.spec.selector.clone().unwrap_or_default();
    selector
        .match_labels
        .get_or_insert_with(BTreeMap::new)
        .insert(HASH_LABEL.into(), hash.clone());
    let mut annotations: BTreeMap<String, String> = ctx
        .rollout
        .metadata
        .annotations
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| !NOT_COPIED.contains(&k.as_str()) && !k.starts_with("gitcanary.dev/"))
        .collect();
    annotations.insert(REVISION_ANNOTATION.into(), ctx.revision.to_string());
    annotations.insert(DESIRED_REPLICAS_ANNOTATION.into(), ctx.replicas.to_string());
    draft
        .replica_sets
        .push(Action::CreateReplicaSet(Box::new(NewReplicaSet {
            name: name.clone(),
            pod_template_hash: hash,
            replicas,
            min_ready_seconds: ctx.rollout.spec.min_ready_seconds,
            selector,
            labels,
            annotations,
            template,
        })));
    draft.created_replica_set = true;
    let message = format!("Created ReplicaSet {name} (revision {})", ctx.revision);
    draft.event(Event::normal(reason::NEW_RS_CREATED, message));
}

/// The aborted canary: kept whole until the stable side is back and the delay has passed.
fn aborted_canary(
    ctx: &Ctx<'_>,
    draft: &mut Draft,
    rs: &ObservedReplicaSet,
    counts: Counts,
    now: DateTime<Utc>,
) -> (i32, Option<String>) {
    let Some(delay) = ctx.abort_delay() else {
        return (counts.canary, None);
    };
    if rs.replicas == 0 {
        return (0, None);
    }
    let stable_back = ctx
        .rs_by_hash(draft.status.stable_rs.as_deref())
        .is_some_and(|s| s.available_replicas >= ctx.replicas);
    if !stable_back {
        return (rs.replicas, rs.scale_down_deadline.clone());
    }
    let deadline = rs.deadline().unwrap_or(now + seconds(delay));
    if now >= deadline {
        return (0, None);
    }
    draft.waiting.push(Waiting::AbortScaleDownDelay {
        replica_set: rs.name.clone(),
        until: deadline,
    });
    draft.requeue_at(deadline);
    (rs.replicas, Some(rfc3339(deadline)))
}

pub(super) fn reconcile(
    ctx: &Ctx<'_>,
    live: &RolloutStatus,
    draft: &mut Draft,
    stage: Stage,
    counts: Counts,
    now: DateTime<Utc>,
) {
    let halted = ctx.rollout.spec.paused
        || draft
            .status
            .pause_conditions
            .iter()
            .any(|p| p.reason == crate::api::PauseReason::InconclusiveAnalysisRun);
    let new_desired = match stage {
        Stage::FullyPromoted => ctx.replicas,
        _ => counts.canary,
    };
    let Some(new_rs) = ctx.new_rs else {
        create(ctx, draft, if halted { 0 } else { new_desired });
        return;
    };
    if halted {
        return;
    }
    if !ctx.routed() {
        reconcile_basic(ctx, draft, new_rs, new_desired, counts);
        prune_history(ctx, draft);
        return;
    }
    let (replicas, deadline) = match stage {
        Stage::Aborted => aborted_canary(ctx, draft, new_rs, counts, now),
        _ => (new_desired, None),
    };
    scale(ctx, draft, new_rs, replicas, deadline);
    let stable = ctx
        .rs_by_hash(draft.status.stable_rs.as_deref())
        .filter(|rs| rs.name != new_rs.name);
    if let Some(stable) = stable {
        scale(ctx, draft, stable, counts.stable, None);
    }
    let referenced = referenced_hashes(ctx, live, &draft.status);
    let mut delayed: Vec<&ObservedReplicaSet> = vec![];
    for rs in ctx.replica_sets.iter().copied() {
        let hash = rs.pod_template_hash.as_deref().unwrap_or_default();
        if rs.replicas == 0 || referenced.contains(hash) {
            continue;
        }
        let promoted = stage == Stage::FullyPromoted;
        if (promoted || rs.deadline().is_some())
            && !ctx.canary.dynamic_stable_scale
            && ctx.scale_down_delay() > 0
        {
            delayed.push(rs);
        } else {
            scale(ctx, draft, rs, 0, None);
        }
    }
    delayed.sort_by_key(|rs| std::cmp::Reverse(rs.revision));
    let limit = ctx
        .canary
        .scale_down_delay_revision_limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(0));
    for (position, rs) in delayed.into_iter().enumerate() {
        if position >= limit {
            scale(ctx, draft, rs, 0, None);
            continue;
        }
        let deadline = rs
            .deadline()
            .unwrap_or(now + seconds(ctx.scale_down_delay()));
        if now >= deadline {
            scale(ctx, draft, rs, 0, None);
        } else {
            draft.waiting.push(Waiting::ScaleDownDelay {
                replica_set: rs.name.clone(),
                until: deadline,
            });
            draft.requeue_at(deadline);
            scale(ctx, draft, rs, rs.replicas, Some(rfc3339(deadline)));
        }
    }
    prune_history(ctx, draft);
}

/// Basic canary (§3.5, simplified): older ReplicaSets drain first within `maxUnavailable`, then the
/// stable and canary ReplicaSets grow within `maxSurge` and shrink only as far as availability
/// allows.
fn reconcile_basic(
    ctx: &Ctx<'_>,
    draft: &mut Draft,
    new_rs: &ObservedReplicaSet,
    new_desired: i32,
    counts: Counts,
) {
    let fenceposts = ctx
        .canary
        .fenceposts(ctx.replicas)
        .unwrap_or(crate::api::Fenceposts {
            max_surge: 0,
            max_unavailable: 1,
        });
    let stable = ctx
        .rs_by_hash(draft.status.stable_rs.as_deref())
        .filter(|rs| rs.name != new_rs.name);
    let is_old = |rs: &&ObservedReplicaSet| {
        rs.name != new_rs.name && Some(rs.name.as_str()) != stable.map(|s| s.name.as_str())
    };
    let available: i32 = ctx
        .replica_sets
        .iter()
        .map(|rs| rs.available_replicas)
        .sum();
    let min_available = ctx.replicas - fenceposts.max_unavailable;
    let mut budget = (available - min_available).max(0);
    let mut olds: Vec<&ObservedReplicaSet> =
        ctx.replica_sets.iter().copied().filter(is_old).collect();
    olds.sort_by_key(|rs| std::cmp::Reverse(rs.revision));
    let mut old_left = false;
    for rs in olds.into_iter().filter(|rs| rs.replicas > 0) {
        let unhealthy = rs.replicas - rs.available_replicas;
        let cut = (unhealthy + budget).min(rs.replicas);
        budget -= (cut - unhealthy).max(0);
        scale(ctx, draft, rs, rs.replicas - cut, None);
        old_left |= cut < rs.replicas;
    }
    if old_left {
        return;
    }
    let Some(stable) = stable else {
        scale(ctx, draft, new_rs, new_desired, None);
        return;
    };
    let total: i32 = new_rs.replicas + stable.replicas;
    let mut room = (ctx.replicas + fenceposts.max_surge - total).max(0);
    let mut stable_to = stable.replicas;
    let mut canary_to = new_rs.replicas;
    let grow = |to: &mut i32, desired: i32, room: &mut i32| {
        if desired > *to {
            let step = (desired - *to).min(*room);
            *to += step;
            *room -= step;
        }
    };
    grow(&mut stable_to, counts.stable, &mut room);
    grow(&mut canary_to, counts.canary, &mut room);
    let countable = new_rs.available_replicas.min(new_rs.replicas)
        + stable.available_replicas.min(stable.replicas);
    let allowance = (countable - min_available).max(0);
    if counts.canary >= new_rs.replicas && stable_to > counts.stable {
        stable_to -= (stable_to - counts.stable).min(allowance);
    } else if canary_to > counts.canary {
        canary_to -= (canary_to - counts.canary).min(allowance);
    }
    scale(ctx, draft, stable, stable_to, None);
    scale(ctx, draft, new_rs, canary_to, None);
}

/// Deletes the oldest scaled-down ReplicaSets beyond `revisionHistoryLimit`.
fn prune_history(ctx: &Ctx<'_>, draft: &mut Draft) {
    let limit = ctx
        .rollout
        .spec
        .revision_history_limit
        .map_or(DEFAULT_HISTORY_LIMIT, |l| usize::try_from(l).unwrap_or(0));
    let stable = draft.status.stable_rs.clone();
    let mut old: Vec<&ObservedReplicaSet> = ctx
        .replica_sets
        .iter()
        .copied()
        .filter(|rs| {
            let hash = rs.pod_template_hash.as_deref();
            hash != Some(ctx.current_hash.as_str())
                && hash != stable.as_deref()
                && rs.replicas == 0
                && rs.status_replicas == 0
                && rs.generation_observed
        })
        .collect();
    if old.len() <= limit {
        return;
    }
    old.sort_by_key(|rs| (rs.created, rs.revision));
    let excess = old.len() - limit;
    for rs in old.into_iter().take(excess) {
        draft.replica_sets.push(Action::DeleteReplicaSet {
            name: rs.name.clone(),
        });
    }
}
