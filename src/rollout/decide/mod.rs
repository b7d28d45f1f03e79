//! `decide`: one pass of the canary state machine, Argo's reconcile order (§2.1) without I/O.
//!
//! The pass computes a [`Stage`] once and every later part matches on it; whatever keeps the
//! canary from moving on is reported as a typed [`Waiting`] reason with its numbers.

mod context;
mod progress;
mod scaling;
mod status;
mod traffic;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::actions::{Action, Decision, Event};
use super::approvals::{self, Effect};
use super::observed::Observed;
use super::phase::{self, reason, set_condition};
use super::time::{to_time, until, whole_seconds};
use super::virtualservice::VirtualServiceError;
use crate::api::validate::{
    References, SpecProblem, VirtualServiceRoutes, destination_rule_subsets, validate_rollout,
};
use crate::api::{
    GitcanaryStatus, PauseReason, Rollout, RolloutStatus, virtual_service_name_namespace,
};
use context::Ctx;

/// How often an invalid Rollout is looked at again, as Argo does (references may appear).
const INVALID_REQUEUE_SECONDS: i64 = 20;

/// Something that went wrong while deciding; the decision still goes on where it can.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RolloutError {
    #[error("rollout {rollout}: VirtualService {virtual_service}: {source}")]
    VirtualServiceWeights {
        rollout: String,
        virtual_service: String,
        source: VirtualServiceError,
    },
    #[error(
        "rollout {rollout}: spec.strategy.canary.trafficRouting.istio.destinationRule: DestinationRule {name} has no spec.subsets"
    )]
    DestinationRuleSubsets { rollout: String, name: String },
}

/// Why the canary is not moving on yet, with the numbers that say how far it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waiting {
    /// `spec.paused`.
    ManualPause,
    /// An AnalysisRun ended Inconclusive: a person decides.
    InconclusiveAnalysis { run: String },
    /// A pause step: until promoted (`until: None`) or until the instant.
    Pause {
        step: i32,
        until: Option<DateTime<Utc>>,
    },
    /// The canary ReplicaSet is not at its desired size yet.
    CanaryReplicas {
        desired: i32,
        replicas: i32,
        available: i32,
    },
    /// The stable ReplicaSet is not at its desired size yet.
    StableReplicas {
        desired: i32,
        replicas: i32,
        status_replicas: i32,
    },
    /// Weights are not written while the stable side could not take the traffic.
    StableCapacity { available: i32, needed: i32 },
    /// A Service is not switched to a ReplicaSet without available pods.
    ServiceSwitch {
        service: String,
        replica_set: String,
        available: i32,
        needed: i32,
    },
    /// DestinationRule hashes wait until the ReplicaSets behind them are fully available.
    DestinationRuleSwitch { replica_set: String },
    /// An analysis step's run has not finished.
    Analysis { run: String },
    /// Promotion waits for the canary to be fully available.
    Promotion { available: i32, desired: i32 },
    /// An old ReplicaSet keeps its pods until the instant (scaleDownDelaySeconds).
    ScaleDownDelay {
        replica_set: String,
        until: DateTime<Utc>,
    },
    /// An aborted canary keeps its pods until the instant (abortScaleDownDelaySeconds).
    AbortScaleDownDelay {
        replica_set: String,
        until: DateTime<Utc>,
    },
}

/// Where the canary stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The current template is the stable one (including a first deploy, promoted at once).
    FullyPromoted,
    /// Traffic back to stable until a retry.
    Aborted,
    /// `promoteFull`: canary scaled to 100%, then promoted.
    PromotingFull,
    /// Every step done (or there are none): the canary takes all traffic, then is promoted.
    StepsDone { no_steps: bool },
    /// Executing this step.
    AtStep(usize),
}

/// The decision under construction.
#[derive(Default)]
struct Draft {
    status: RolloutStatus,
    removals: Vec<Action>,
    replica_sets: Vec<Action>,
    services: Vec<Action>,
    mesh: Vec<Action>,
    analysis: Vec<Action>,
    events: Vec<Event>,
    waiting: Vec<Waiting>,
    errors: Vec<RolloutError>,
    requeue: Option<DateTime<Utc>>,
    /// Why the rollout aborted in this pass (analysis, deadline), for the condition message.
    abort_message: Option<String>,
    created_replica_set: bool,
    retrying: bool,
}

impl Draft {
    fn requeue_at(&mut self, at: DateTime<Utc>) {
        self.requeue = Some(self.requeue.map_or(at, |r| r.min(at)));
    }

    fn event(&mut self, event: Event) {
        self.events.push(event);
    }

    fn finish(self, now: DateTime<Utc>) -> Decision {
        let events = self.events.into_iter().map(Action::RecordEvent);
        Decision {
            actions: self
                .removals
                .into_iter()
                .chain(self.replica_sets)
                .chain(self.services)
                .chain(self.mesh)
                .chain(self.analysis)
                .chain(events)
                .collect(),
            status: self.status,
            requeue_after: self.requeue.map(|at| until(now, at)),
            waiting: self.waiting,
            errors: self.errors,
        }
    }
}

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

fn references(obs: &Observed) -> References {
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

/// Kubernetes' aggregate error text: one error as is, several in brackets.
fn invalid_message(name: &str, problems: &[SpecProblem]) -> String {
    let texts: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let body = match texts.as_slice() {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    };
    format!("The Rollout \"{name}\" is invalid: {body}")
}

/// Decides what to do about one Rollout at `now`.
pub fn decide(obs: &Observed, now: DateTime<Utc>) -> Decision {
    let now = whole_seconds(now);
    let live = obs.rollout.status.clone().unwrap_or_default();
    let mut draft = Draft {
        status: live.clone(),
        ..Draft::default()
    };
    draft.status.observed_generation = obs.rollout.metadata.generation.map(|g| g.to_string());
    let name = obs.rollout.metadata.name.as_deref().unwrap_or_default();
    let problems = validate_rollout(&obs.rollout, &references(obs));
    let ctx = Ctx::new(obs);
    let Some(ctx) = ctx.filter(|_| problems.is_empty()) else {
        let message = invalid_message(name, &problems);
        let previous = phase::condition(&live, phase::INVALID_SPEC).map(|c| c.message.clone());
        if previous.as_deref() != Some(message.as_str()) {
            phase::remove_condition(&mut draft.status, phase::INVALID_SPEC);
            set_condition(
                &mut draft.status,
                phase::INVALID_SPEC,
                "True",
                reason::INVALID_SPEC,
                &message,
                now,
            );
            draft.event(Event::warning(reason::INVALID_SPEC, message));
        }
        let (p, m) = phase::phase(&obs.rollout, &draft.status);
        draft.status.phase = Some(p);
        draft.status.message = Some(m);
        draft.requeue_at(now + super::time::seconds(INVALID_REQUEUE_SECONDS));
        return draft.finish(now);
    };
    phase::remove_condition(&mut draft.status, phase::INVALID_SPEC);

    reset_on_change(&ctx, &live, &mut draft);
    promote_initial_deploy(&ctx, &mut draft);
    apply_approvals(&ctx, &mut draft, now);
    settle_abort(&ctx, &live, &mut draft, now);
    progress::analysis(&ctx, &mut draft, now);
    let stage = stage(&ctx, &draft.status);
    let counts = scaling::desired_counts(&ctx, &draft.status, stage);
    let at_desired = scaling::at_desired_counts(&ctx, &draft.status, counts);
    traffic::services(&ctx, &mut draft, stage);
    if traffic::destination_rule(&ctx, &mut draft, stage) {
        traffic::weights(&ctx, &mut draft, stage, at_desired.is_ok());
    }
    scaling::reconcile(&ctx, &live, &mut draft, stage, counts, now);
    progress::advance(&ctx, &mut draft, stage, at_desired, now);
    status::finish(&ctx, &live, &mut draft, now);
    draft.finish(now)
}

/// Where the canary stands after this pass's inputs were applied.
fn stage(ctx: &Ctx<'_>, status: &RolloutStatus) -> Stage {
    let fully_promoted = status.stable_rs.is_some()
        && status.stable_rs.as_deref() == Some(ctx.current_hash.as_str());
    if fully_promoted {
        return Stage::FullyPromoted;
    }
    if status.abort {
        return Stage::Aborted;
    }
    if status.promote_full {
        return Stage::PromotingFull;
    }
    match super::steps::current_step(ctx.steps, status.current_step_index) {
        Some((index, _)) => Stage::AtStep(index),
        None => Stage::StepsDone {
            no_steps: ctx.steps.is_empty(),
        },
    }
}

/// A new template or new steps restart the canary (§2.3): back to step 0, pauses, abort and
/// one-shot requests cleared, and — for a new template — a fresh `status.gitcanary`.
fn reset_on_change(ctx: &Ctx<'_>, live: &RolloutStatus, draft: &mut Draft) {
    let template_changed = live.current_pod_hash.as_deref() != Some(ctx.current_hash.as_str());
    let steps_changed = live.current_step_hash.as_deref() != Some(ctx.step_hash.as_str());
    let status = &mut draft.status;
    if template_changed || steps_changed {
        status.pause_conditions.clear();
        status.controller_pause = false;
        status.abort = false;
        status.aborted_at = None;
        status.promote_full = false;
        status.canary.current_step_analysis_run_status = None;
        status.canary.current_background_analysis_run_status = None;
        status.current_step_index = ctx.first_index();
        status.current_step_hash = Some(ctx.step_hash.clone());
    }
    if template_changed {
        status.current_pod_hash = Some(ctx.current_hash.clone());
        let stable_exists = ctx.rs_by_hash(status.stable_rs.as_deref()).is_some();
        if stable_exists && status.stable_rs.as_deref() == Some(ctx.current_hash.as_str()) {
            status.current_step_index = ctx.last_index();
            draft.events.push(Event::normal(
                reason::SKIP_STEPS,
                "Rollback to stable ReplicaSets",
            ));
        }
        if live.current_pod_hash.is_some() {
            let message = format!("Rollout updated to revision {}", ctx.revision);
            draft.events.push(Event::normal(reason::UPDATED, message));
        }
    }
    let fresh = status
        .gitcanary
        .as_ref()
        .is_none_or(|g| g.canary_pod_hash.as_deref() != Some(ctx.current_hash.as_str()));
    if fresh {
        status.gitcanary = Some(GitcanaryStatus {
            canary_commit: ctx.obs.current_commit.clone(),
            canary_pod_hash: Some(ctx.current_hash.clone()),
            approvals: vec![],
        });
    }
}

/// Without a stable ReplicaSet there is nothing to compare a canary with: the first template is
/// promoted at once, skipping the steps (Argo's "Initial deploy").
fn promote_initial_deploy(ctx: &Ctx<'_>, draft: &mut Draft) {
    if ctx.rs_by_hash(draft.status.stable_rs.as_deref()).is_some() {
        return;
    }
    progress::promote(ctx, draft, "Initial deploy");
}

/// Turns the approval that acts now into the status change Argo's kubectl plugin would patch.
fn apply_approvals(ctx: &Ctx<'_>, draft: &mut Draft, now: DateTime<Utc>) {
    let empty = BTreeMap::new();
    let annotations = ctx.rollout.metadata.annotations.as_ref().unwrap_or(&empty);
    let status = &draft.status;
    let gitcanary = status.gitcanary.clone().unwrap_or_default();
    let state = approvals::State {
        gitcanary: &gitcanary,
        current_pod_hash: &ctx.current_hash,
        at_pause: status.pause_conditions.iter().any(|p| {
            matches!(
                p.reason,
                PauseReason::CanaryPauseStep | PauseReason::InconclusiveAnalysisRun
            )
        }),
        aborted: status.abort,
        fully_promoted: status.stable_rs.as_deref() == Some(ctx.current_hash.as_str()),
        step: status.current_step_index,
    };
    let outcome = approvals::evaluate(
        &state,
        annotations,
        &ctx.obs.git_approvals,
        &ctx.obs.reported_events,
        now,
    );
    let status = &mut draft.status;
    match outcome.effect {
        Some(Effect::PromoteStep) => {
            let step_inconclusive = status
                .canary
                .current_step_analysis_run_status
                .as_ref()
                .is_some_and(|r| r.status == Some(crate::api::AnalysisPhase::Inconclusive));
            if step_inconclusive {
                status.controller_pause = false;
                status.current_step_index = status
                    .current_step_index
                    .map(|i| (i + 1).min(ctx.steps_len()));
                status.canary.current_step_analysis_run_status = None;
            }
            status.pause_conditions.clear();
        }
        Some(Effect::PromoteFull) => status.promote_full = true,
        Some(Effect::Abort) => status.abort = true,
        Some(Effect::Retry) => status.abort = false,
        None => {}
    }
    if let Some(gitcanary) = status.gitcanary.as_mut() {
        gitcanary.approvals.extend(outcome.recorded);
    }
    draft.removals.extend(
        outcome
            .remove_annotations
            .into_iter()
            .map(|key| Action::RemoveRolloutAnnotation { key }),
    );
    draft.events.extend(outcome.events);
}

/// Abort and retry bookkeeping (§2.4): an abort is stamped once, sends the step back to 0 and
/// clears pauses; clearing it (retry) restarts from step 0 with fresh analysis; full promotion
/// leaves an abort; a fully promoted rollout has nothing to abort.
fn settle_abort(ctx: &Ctx<'_>, live: &RolloutStatus, draft: &mut Draft, now: DateTime<Utc>) {
    let status = &mut draft.status;
    let fully_promoted = status.stable_rs.as_deref() == Some(ctx.current_hash.as_str());
    if status.abort && fully_promoted {
        status.abort = false;
        status.aborted_at = None;
    }
    if status.promote_full && !fully_promoted {
        status.abort = false;
        status.aborted_at = None;
        status.pause_conditions.clear();
    }
    if status.abort {
        if status.aborted_at.is_none() {
            status.aborted_at = Some(to_time(now));
        }
        status.current_step_index = ctx.first_index();
        status.pause_conditions.clear();
        status.controller_pause = false;
    } else if status.aborted_at.is_some()
        || (live.abort && !status.abort && live.aborted_at.is_some())
    {
        status.aborted_at = None;
        status.current_step_index = if fully_promoted {
            ctx.last_index()
        } else {
            ctx.first_index()
        };
        status.canary.current_step_analysis_run_status = None;
        status.canary.current_background_analysis_run_status = None;
        draft.retrying = !fully_promoted && !status.promote_full;
    }
}
