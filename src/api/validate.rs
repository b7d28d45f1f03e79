//! Rollout validation, pure so that `gitcanary validate` (offline, from Git) and the controller
//! (which turns problems into the InvalidSpec condition) report the same things in the same words.
//! Messages are Argo's where Argo has one, so searches for them still lead somewhere useful.

mod analysis;
mod istio;
mod references;

use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::{CanaryStep, CanaryStrategy, Rollout, resolve_int_or_percent};

pub use references::{
    HttpRouteInfo, L4Match, L4RouteInfo, References, RouteDestination, VirtualServiceRoutes,
    destination_rule_subsets,
};

/// Path of the canary strategy, the prefix of most fields reported here.
pub(crate) const CANARY: &str = "spec.strategy.canary";

/// One thing wrong with a Rollout spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SpecProblem {
    /// Path of the offending field, e.g. `spec.strategy.canary.steps[3].pause.duration`.
    pub field: String,
    /// What is wrong, in Argo's words where Argo has them.
    pub message: String,
}

/// Problems found so far.
#[derive(Default)]
pub(crate) struct Problems(Vec<SpecProblem>);

impl Problems {
    pub(crate) fn push(&mut self, field: impl fmt::Display, message: impl fmt::Display) {
        self.0.push(SpecProblem {
            field: field.to_string(),
            message: message.to_string(),
        });
    }

    /// Reports an Argo field gitcanary accepts and stores but does not act on.
    pub(crate) fn unsupported(&mut self, field: impl fmt::Display) {
        let field = field.to_string();
        let message = format!("gitcanary does not implement {field}");
        self.0.push(SpecProblem { field, message });
    }

    fn non_negative(&mut self, field: &str, value: Option<i32>) {
        if let Some(value) = value.filter(|v| *v < 0) {
            self.push(
                field,
                format!("must be greater than or equal to 0, not {value}"),
            );
        }
    }
}

/// Every problem with `rollout`, in spec order; empty means valid. Checks needing other objects
/// (Services, VirtualServices, DestinationRules, AnalysisTemplates) run only for the kinds `refs`
/// knows about.
pub fn validate_rollout(rollout: &Rollout, refs: &References) -> Vec<SpecProblem> {
    let mut problems = Problems::default();
    let spec = &rollout.spec;
    problems.non_negative("spec.replicas", spec.replicas);
    problems.non_negative("spec.minReadySeconds", spec.min_ready_seconds);
    problems.non_negative("spec.revisionHistoryLimit", spec.revision_history_limit);
    if let Some(deadline) = spec.progress_deadline_seconds.filter(|d| *d <= 0) {
        problems.push(
            "spec.progressDeadlineSeconds",
            format!("must be greater than 0, not {deadline}"),
        );
    }
    if spec.min_ready_seconds.unwrap_or(0) >= spec.progress_deadline_seconds.unwrap_or(600) {
        problems.push(
            "spec.progressDeadlineSeconds",
            "progressDeadlineSeconds must be greater than minReadySeconds",
        );
    }
    if let Some(window) = &spec.rollback_window {
        problems.non_negative("spec.rollbackWindow.revisions", window.revisions);
    }
    if let Some(analysis) = &spec.analysis {
        problems.non_negative(
            "spec.analysis.successfulRunHistoryLimit",
            analysis.successful_run_history_limit,
        );
        problems.non_negative(
            "spec.analysis.unsuccessfulRunHistoryLimit",
            analysis.unsuccessful_run_history_limit,
        );
    }
    if spec.workload_ref.is_some() {
        problems.unsupported("spec.workloadRef");
    } else {
        check_selector_and_template(rollout, &mut problems);
    }

    let strategy = spec.strategy.as_ref();
    if strategy.is_some_and(|s| s.blue_green.is_some()) {
        if strategy.is_some_and(|s| s.canary.is_some()) {
            problems.push("spec.strategy", "Multiple Strategies can not be listed");
        }
        problems.unsupported("spec.strategy.blueGreen");
    }
    match strategy.and_then(|s| s.canary.as_ref()) {
        Some(canary) => check_canary(canary, rollout, refs, &mut problems),
        None if strategy.is_some_and(|s| s.blue_green.is_some()) => {}
        None => problems.push(
            "spec.strategy",
            "Rollout has missing field '.spec.strategy.canary or .spec.strategy.blueGreen'",
        ),
    }
    problems.0
}

fn check_selector_and_template(rollout: &Rollout, problems: &mut Problems) {
    let template = rollout.spec.template.as_ref();
    match &rollout.spec.selector {
        None => problems.push(
            "spec.selector",
            "Rollout has missing field '.spec.selector'",
        ),
        Some(selector)
            if selector.match_labels.as_ref().is_none_or(|l| l.is_empty())
                && selector
                    .match_expressions
                    .as_ref()
                    .is_none_or(|e| e.is_empty()) =>
        {
            problems.push("spec.selector", "empty selector is invalid for a Rollout")
        }
        Some(selector) => {
            let labels = template
                .and_then(|t| t.metadata.as_ref())
                .and_then(|m| m.labels.as_ref());
            if !selector_matches(selector, labels.cloned().unwrap_or_default()) {
                problems.push(
                    "spec.selector",
                    "`selector` does not match template `labels`",
                );
            }
        }
    }
    match template.and_then(|t| t.spec.as_ref()) {
        None => problems.push(
            "spec.template",
            "Rollout has missing field '.spec.template.spec'",
        ),
        Some(pod) if pod.containers.is_empty() => problems.push(
            "spec.template.spec.containers",
            "at least one container is required",
        ),
        Some(_) => {}
    }
}

/// Kubernetes label selector semantics, for the template-labels check.
fn selector_matches(
    selector: &LabelSelector,
    labels: std::collections::BTreeMap<String, String>,
) -> bool {
    let by_labels = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let by_expressions = selector.match_expressions.iter().flatten().all(|req| {
        let value = labels.get(&req.key);
        let values = req.values.as_deref().unwrap_or_default();
        match req.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    });
    by_labels && by_expressions
}

fn check_canary(
    canary: &CanaryStrategy,
    rollout: &Rollout,
    refs: &References,
    problems: &mut Problems,
) {
    for (present, field) in [
        (canary.ping_pong.is_some(), "pingPong"),
        (canary.anti_affinity.is_some(), "antiAffinity"),
        (
            canary.replica_progress_threshold.is_some(),
            "replicaProgressThreshold",
        ),
    ] {
        if present {
            problems.unsupported(format!("{CANARY}.{field}"));
        }
    }
    check_fenceposts(canary, problems);
    check_scale_down(canary, problems);
    if let (Some(canary_svc), Some(stable_svc)) = (&canary.canary_service, &canary.stable_service)
        && !canary_svc.is_empty()
        && canary_svc == stable_svc
    {
        problems.push(
            format!("{CANARY}.stableService"),
            "This rollout uses the same service for the stable and canary services, but two different services are required.",
        );
    }
    for (field, service) in [
        ("canaryService", &canary.canary_service),
        ("stableService", &canary.stable_service),
    ] {
        if let (Some(name), Some(services)) =
            (service.as_deref().filter(|s| !s.is_empty()), &refs.services)
            && !services.contains(name)
        {
            problems.push(
                format!("{CANARY}.{field}"),
                format!("Service '{name}' not found"),
            );
        }
    }
    for (index, step) in canary.steps.iter().enumerate() {
        check_step(index, step, canary, refs, problems);
    }
    if let Some(background) = &canary.analysis {
        let field = format!("{CANARY}.analysis");
        analysis::check_analysis(&field, &background.analysis, refs, problems);
        check_starting_step(
            &field,
            background.starting_step,
            canary.steps.len(),
            problems,
        );
    }
    if let Some(routing) = &canary.traffic_routing {
        istio::check_traffic_routing(routing, canary, rollout, refs, problems);
    }
}

fn check_fenceposts(canary: &CanaryStrategy, problems: &mut Problems) {
    let mut resolved = [None, None];
    for (slot, (field, value, round_up)) in resolved.iter_mut().zip([
        ("maxSurge", &canary.max_surge, true),
        ("maxUnavailable", &canary.max_unavailable, false),
    ]) {
        let Some(value) = value else { continue };
        match resolve_int_or_percent(value, 100, round_up) {
            Ok(v) => *slot = Some(v),
            Err(err) => problems.push(format!("{CANARY}.{field}"), err),
        }
    }
    if resolved == [Some(0), Some(0)] {
        problems.push(
            format!("{CANARY}.maxSurge"),
            "MaxSurge and MaxUnavailable both can not be zero",
        );
    }
}

fn check_scale_down(canary: &CanaryStrategy, problems: &mut Problems) {
    problems.non_negative(
        &format!("{CANARY}.scaleDownDelaySeconds"),
        canary.scale_down_delay_seconds,
    );
    problems.non_negative(
        &format!("{CANARY}.scaleDownDelayRevisionLimit"),
        canary.scale_down_delay_revision_limit,
    );
    problems.non_negative(
        &format!("{CANARY}.abortScaleDownDelaySeconds"),
        canary.abort_scale_down_delay_seconds,
    );
    problems.non_negative(
        &format!("{CANARY}.minPodsPerReplicaSet"),
        canary.min_pods_per_replica_set,
    );
    let routed = canary.has_traffic_routing();
    if canary.scale_down_delay_seconds.is_some() && !routed {
        problems.push(
            format!("{CANARY}.scaleDownDelaySeconds"),
            "Canary scaleDownDelaySeconds can only be used with traffic routing",
        );
    }
    if canary.abort_scale_down_delay_seconds.is_some() && !routed {
        problems.push(
            format!("{CANARY}.abortScaleDownDelaySeconds"),
            "Canary abortScaleDownDelaySeconds can only be used with traffic routing",
        );
    }
    if canary.dynamic_stable_scale && !routed {
        problems.push(
            format!("{CANARY}.dynamicStableScale"),
            "Canary dynamicStableScale can only be used with traffic routing",
        );
    }
    if canary.dynamic_stable_scale && canary.scale_down_delay_seconds.is_some() {
        problems.push(
            format!("{CANARY}.dynamicStableScale"),
            "Canary dynamicStableScale cannot be used with scaleDownDelaySeconds",
        );
    }
}

fn check_step(
    index: usize,
    step: &CanaryStep,
    canary: &CanaryStrategy,
    refs: &References,
    problems: &mut Problems,
) {
    let field = format!("{CANARY}.steps[{index}]");
    for key in step.unknown.keys() {
        problems.push(
            format!("{field}.{key}"),
            format!("unknown step kind '{key}'"),
        );
    }
    let kinds = step.kinds();
    match kinds.as_slice() {
        [] if step.unknown.is_empty() => problems.push(
            &field,
            "Step must have one of the following set: setWeight, pause, analysis, setCanaryScale",
        ),
        [] | [_] => {}
        several => problems.push(
            &field,
            format!(
                "Step must have only one of its kinds set, not {}",
                several
                    .iter()
                    .map(|k| k.key())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    }
    for kind in kinds.iter().filter(|k| !k.is_supported()) {
        problems.unsupported(format!("{field}.{}", kind.key()));
    }
    if step.set_weight.is_some_and(|w| !(0..=100).contains(&w)) {
        problems.push(
            format!("{field}.setWeight"),
            "SetWeight needs to be between 0 and 100",
        );
    }
    if let Some(pause) = &step.pause
        && let Err(err) = pause.duration_for_step(index)
    {
        problems.push(format!("{field}.pause.duration"), err.reason);
    }
    if let Some(scale) = &step.set_canary_scale {
        let scale_field = format!("{field}.setCanaryScale");
        if !canary.has_traffic_routing() {
            problems.push(
                &scale_field,
                "SetCanaryScale requires TrafficRouting to be set",
            );
        }
        let set = [
            scale.weight.is_some(),
            scale.replicas.is_some(),
            scale.match_traffic_weight,
        ];
        if set.iter().filter(|on| **on).count() != 1 {
            problems.push(
                &scale_field,
                "exactly one of weight, replicas or matchTrafficWeight must be set",
            );
        }
        if let Some(weight) = scale.weight.filter(|w| !(0..=100).contains(w)) {
            problems.push(
                format!("{scale_field}.weight"),
                format!("must be between 0 and 100, not {weight}"),
            );
        }
        problems.non_negative(&format!("{scale_field}.replicas"), scale.replicas);
    }
    if let Some(analysis) = &step.analysis {
        analysis::check_analysis(&format!("{field}.analysis"), analysis, refs, problems);
    }
}

fn check_starting_step(
    field: &str,
    starting_step: Option<i32>,
    steps: usize,
    problems: &mut Problems,
) {
    let Some(start) = starting_step else { return };
    let in_range = usize::try_from(start).is_ok_and(|s| s < steps);
    if !in_range {
        let message = if steps == 0 {
            format!("startingStep {start} needs canary steps to start at")
        } else {
            format!(
                "startingStep {start} is not a step index (0 to {})",
                steps - 1
            )
        };
        problems.push(format!("{field}.startingStep"), message);
    }
}

#[cfg(test)]
mod tests;
