//! `decide`: one pass of the canary state machine, Argo's reconcile order (§2.1) without I/O.
//!
//! The pass computes a [`Stage`] once and every later part matches on it; whatever keeps the
//! canary from moving on is reported as a typed [`Waiting`] reason with its numbers.

mod context;
mod inputs;
mod progress;
mod references;
mod scaling;
mod status;
mod traffic;

use chrono::{DateTime, Utc};

use super::actions::{Action, Decision, Event};
use super::observed::Observed;
use super::phase::{self, reason, set_condition};
use super::time::{until, whole_seconds};
use super::virtualservice::VirtualServiceError;
use crate::api::RolloutStatus;
use crate::api::validate::{SpecProblem, validate_rollout};
use context::Ctx;
pub use references::{Referenced, referenced};

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
    let problems = validate_rollout(&obs.rollout, &references::references(obs));
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

    inputs::reset_on_change(&ctx, &live, &mut draft);
    inputs::promote_initial_deploy(&ctx, &mut draft);
    inputs::apply_approvals(&ctx, &mut draft, now);
    inputs::settle_abort(&ctx, &mut draft, now);
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
