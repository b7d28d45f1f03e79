//! A tiny in-memory cluster: applies actions to plain data, makes pods available at once, and
//! moves time. Every decision is made from an `Observed` rebuilt from the stored objects (the
//! Rollout through JSON, as the API would store it), so each one is also a restart.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::api::{ApprovalKind, Rollout, RolloutPhase};
use crate::rollout::{
    Action, Decision, Event, GitApproval, Observed, ObservedAnalysisRun, ObservedObject,
    ObservedReplicaSet, ObservedService, Verdict, decide, status_changed,
};

pub const SEED_ROLLOUT: &str = include_str!("../../../tests/fixtures/seed/rollout.yaml");
pub const SEED_VS: &str = include_str!("../../../tests/fixtures/seed/istio-rollout-vsvc.yaml");
pub const CANARY_SVC: &str = "istio-rollout-canary";
pub const STABLE_SVC: &str = "istio-rollout-stable";
const VS: &str = "istio-rollout-vsvc";

pub struct World {
    pub now: DateTime<Utc>,
    pub rollout: Rollout,
    pub replica_sets: BTreeMap<String, ObservedReplicaSet>,
    pub services: BTreeMap<String, ObservedService>,
    pub vs: ObservedObject,
    pub events: Vec<Event>,
    pub reported: BTreeSet<String>,
    pub git: Vec<GitApproval>,
    pub commit: Option<String>,
    /// Commits of the tracked branch, oldest first: what `git merge-base --is-ancestor` answers.
    pub history: Vec<String>,
    /// Canary weights of every VirtualService write, in order.
    pub weight_history: Vec<i64>,
    pub analysis_runs: Vec<ObservedAnalysisRun>,
    /// Images whose pods never become available.
    pub broken: BTreeSet<String>,
    pub decisions: usize,
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).expect("fixture YAML")
}

impl World {
    /// The seed objects at `now`, nothing reconciled yet.
    pub fn seed() -> Self {
        let mut rollout: Rollout =
            serde_json::from_value(yaml(SEED_ROLLOUT)).expect("seed rollout");
        rollout.metadata.namespace = Some("default".into());
        rollout.metadata.generation = Some(1);
        let services = [CANARY_SVC, STABLE_SVC]
            .into_iter()
            .map(|name| {
                let service = ObservedService {
                    name: name.into(),
                    selector: BTreeMap::from([("app".to_owned(), "istio-rollout".to_owned())]),
                    managed_by: None,
                };
                (name.to_owned(), service)
            })
            .collect();
        let mut vs = yaml(SEED_VS);
        vs["metadata"]["namespace"] = json!("default");
        vs["metadata"]["resourceVersion"] = json!("1");
        let now = DateTime::parse_from_rfc3339("2026-03-11T10:00:00Z")
            .expect("instant")
            .with_timezone(&Utc);
        World {
            now,
            rollout,
            replica_sets: BTreeMap::new(),
            services,
            vs: ObservedObject::from_json(&vs),
            events: vec![],
            reported: BTreeSet::new(),
            git: vec![],
            commit: Some("c1-blue".into()),
            history: vec!["c1-blue".into()],
            weight_history: vec![],
            analysis_runs: vec![],
            broken: BTreeSet::new(),
            decisions: 0,
        }
    }

    pub fn observed(&self) -> Observed {
        let stored = serde_json::to_value(&self.rollout).expect("rollout serialises");
        Observed {
            rollout: serde_json::from_value(stored).expect("rollout round-trips"),
            replica_sets: self.replica_sets.values().cloned().collect(),
            services: self.services.clone(),
            virtual_services: BTreeMap::from([(VS.to_owned(), self.vs.clone())]),
            current_commit: self.commit.clone(),
            git_approvals: self.git_approvals(),
            analysis_runs: self.analysis_runs.clone(),
            reported_events: self.reported.clone(),
            ..Observed::default()
        }
    }

    /// Approvals with their ancestry computed against the live canary commit, as the I/O layer does.
    fn git_approvals(&self) -> Vec<GitApproval> {
        let canary = self
            .rollout
            .status
            .as_ref()
            .and_then(|s| s.gitcanary.as_ref())
            .and_then(|g| g.canary_commit.clone());
        let position = |commit: &str| self.history.iter().position(|c| c == commit);
        self.git
            .iter()
            .cloned()
            .map(|mut approval| {
                let base = canary.as_deref().and_then(position);
                approval.descends_from_canary_commit =
                    base.map(|base| position(&approval.commit).is_some_and(|p| p > base));
                approval
            })
            .collect()
    }

    fn apply(&mut self, decision: &Decision) {
        for action in &decision.actions {
            match action {
                Action::CreateReplicaSet(new) => {
                    let rs = ObservedReplicaSet {
                        name: new.name.clone(),
                        pod_template_hash: Some(new.pod_template_hash.clone()),
                        revision: new
                            .annotations
                            .get(crate::rollout::REVISION_ANNOTATION)
                            .and_then(|r| r.parse().ok()),
                        replicas: new.replicas,
                        created: Some(self.now),
                        generation_observed: true,
                        template: Some(new.template.clone()),
                        ..Default::default()
                    };
                    assert!(
                        self.replica_sets.insert(new.name.clone(), rs).is_none(),
                        "created twice"
                    );
                }
                Action::ScaleReplicaSet {
                    name,
                    replicas,
                    scale_down_deadline,
                    ..
                } => {
                    let rs = self.replica_sets.get_mut(name).expect("scaled RS exists");
                    rs.replicas = *replicas;
                    rs.scale_down_deadline.clone_from(scale_down_deadline);
                }
                Action::DeleteReplicaSet { name } => {
                    self.replica_sets.remove(name);
                }
                Action::SetServiceSelector {
                    service,
                    selector,
                    managed_by,
                } => {
                    let svc = self.services.get_mut(service).expect("service exists");
                    svc.selector.clone_from(selector);
                    svc.managed_by = Some(managed_by.clone());
                }
                Action::WriteVirtualService {
                    resource_version,
                    http,
                    tls,
                    tcp,
                    ..
                } => {
                    assert_eq!(
                        resource_version, &self.vs.resource_version,
                        "stale VirtualService write"
                    );
                    for (key, value) in [("http", http), ("tls", tls), ("tcp", tcp)] {
                        if let Some(value) = value {
                            self.vs.spec[key] = value.clone();
                        }
                    }
                    let version: u64 = self
                        .vs
                        .resource_version
                        .as_deref()
                        .unwrap_or("0")
                        .parse()
                        .unwrap_or(0);
                    self.vs.resource_version = Some((version + 1).to_string());
                    self.weight_history.push(self.weights().1);
                }
                Action::RemoveRolloutAnnotation { key } => {
                    if let Some(annotations) = self.rollout.metadata.annotations.as_mut() {
                        annotations.remove(key);
                    }
                }
                Action::RecordEvent(event) => {
                    if let Some(key) = &event.key {
                        self.reported.insert(key.clone());
                    }
                    self.events.push(event.clone());
                }
                Action::CreateAnalysisRun(run) => {
                    if !self.analysis_runs.iter().any(|r| r.name == run.name) {
                        self.analysis_runs.push(ObservedAnalysisRun {
                            name: run.name.clone(),
                            labels: run.labels.clone(),
                            ..Default::default()
                        });
                    }
                }
                Action::TerminateAnalysisRun { name } => {
                    if let Some(run) = self.analysis_runs.iter_mut().find(|r| &r.name == name) {
                        run.terminating = true;
                    }
                }
                other => panic!("unexpected action in the seed scenario: {other:?}"),
            }
        }
        let live = self.rollout.status.clone().unwrap_or_default();
        if status_changed(&live, &decision.status) {
            self.rollout.status = Some(decision.status.clone());
        }
    }

    /// Pods follow their ReplicaSets at once.
    fn kubelet(&mut self) {
        for rs in self.replica_sets.values_mut() {
            let image = rs
                .template
                .as_ref()
                .and_then(|t| t.spec.as_ref())
                .and_then(|s| s.containers[0].image.clone())
                .unwrap_or_default();
            let ready = if self.broken.contains(&image) {
                0
            } else {
                rs.replicas
            };
            rs.status_replicas = rs.replicas;
            rs.ready_replicas = ready;
            rs.available_replicas = ready;
        }
    }

    /// Reconciles until nothing changes; returns the last requeue delay.
    pub fn settle(&mut self) -> Option<std::time::Duration> {
        for _ in 0..60 {
            let decision = decide(&self.observed(), self.now);
            self.decisions += 1;
            let live = self.rollout.status.clone().unwrap_or_default();
            let quiet = decision
                .actions
                .iter()
                .all(|a| matches!(a, Action::RecordEvent(_)))
                && !status_changed(&live, &decision.status);
            self.apply(&decision);
            self.kubelet();
            if quiet && decision.actions.is_empty() {
                self.assert_restart_changes_nothing();
                return decision.requeue_after;
            }
        }
        panic!("no fixed point: {:#?}", decide(&self.observed(), self.now));
    }

    /// A daemon restarted now, rebuilding everything from the stored objects, decides nothing new.
    pub fn assert_restart_changes_nothing(&self) {
        let decision = decide(&self.observed(), self.now);
        assert!(
            decision.actions.is_empty(),
            "restart acted: {:#?}",
            decision.actions
        );
        let live = self.rollout.status.clone().unwrap_or_default();
        assert!(
            !status_changed(&live, &decision.status),
            "restart changed the status"
        );
    }

    /// Moves time forward, reconciling at every requeue on the way.
    pub fn advance(&mut self, seconds: i64) {
        let end = self.now + TimeDelta::seconds(seconds);
        loop {
            let next = self
                .settle()
                .map(|d| self.now + TimeDelta::from_std(d).expect("delay"));
            match next {
                Some(at) if at <= end && at > self.now => self.now = at,
                Some(at) if at == self.now => self.now += TimeDelta::seconds(1).min(end - self.now),
                _ => {
                    self.now = end;
                    self.settle();
                    return;
                }
            }
            if self.now >= end {
                self.settle();
                return;
            }
        }
    }

    /// Sets the phase (and message) an analysis controller would report on a run.
    pub fn analysis_reports(
        &mut self,
        name: &str,
        phase: crate::api::AnalysisPhase,
        message: &str,
    ) {
        let run = self
            .analysis_runs
            .iter_mut()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no AnalysisRun {name}"));
        run.phase = Some(phase);
        run.message = Some(message.to_owned()).filter(|m| !m.is_empty());
    }

    /// Edits the Rollout as `kubectl edit` / a Git change would (generation bumped).
    pub fn edit(&mut self, change: impl FnOnce(&mut Rollout)) {
        change(&mut self.rollout);
        self.rollout.metadata.generation = self.rollout.metadata.generation.map(|g| g + 1);
    }

    /// Patches the status as Argo's kubectl plugin does (no generation bump).
    pub fn patch_status(&mut self, change: impl FnOnce(&mut crate::api::RolloutStatus)) {
        change(self.rollout.status.get_or_insert_with(Default::default));
    }

    pub fn set_image(&mut self, image: &str, commit: &str) {
        let template = self.rollout.spec.template.as_mut().expect("template");
        let pod = template.spec.as_mut().expect("pod spec");
        pod.containers[0].image = Some(image.into());
        self.rollout.metadata.generation = self.rollout.metadata.generation.map(|g| g + 1);
        self.commit = Some(commit.into());
        self.history.push(commit.into());
    }

    pub fn annotate(&mut self, key: &str, value: &str) {
        self.rollout
            .metadata
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
    }

    /// A commit with an approval trailer on the branch (the commit is added to the history unless
    /// it is already there).
    pub fn approve(&mut self, kind: ApprovalKind, commit: &str, verdict: Verdict) {
        if !self.history.iter().any(|c| c == commit) {
            self.history.push(commit.into());
        }
        self.git.push(GitApproval {
            kind,
            commit: commit.into(),
            author: "Ann <ann@example.com>".into(),
            committed_at: self.now,
            verdict,
            descends_from_canary_commit: None,
        });
    }

    /// (stable, canary) weights of the primary route.
    pub fn weights(&self) -> (i64, i64) {
        let route = &self.vs.spec["http"][0]["route"];
        let weight = |i: usize| route[i]["weight"].as_i64().unwrap_or(0);
        (weight(0), weight(1))
    }

    pub fn status(&self) -> crate::api::RolloutStatus {
        self.rollout.status.clone().unwrap_or_default()
    }

    pub fn phase(&self) -> (Option<RolloutPhase>, String) {
        let status = self.status();
        (status.phase, status.message.unwrap_or_default())
    }

    pub fn step(&self) -> Option<i32> {
        self.status().current_step_index
    }

    /// The ReplicaSet running `image`.
    pub fn rs_of(&self, image: &str) -> &ObservedReplicaSet {
        self.replica_sets
            .values()
            .find(|rs| {
                rs.template
                    .as_ref()
                    .and_then(|t| t.spec.as_ref())
                    .and_then(|s| s.containers[0].image.as_deref())
                    == Some(image)
            })
            .unwrap_or_else(|| panic!("no ReplicaSet for {image}"))
    }

    pub fn hash_of(&self, image: &str) -> String {
        self.rs_of(image)
            .pod_template_hash
            .clone()
            .unwrap_or_default()
    }

    pub fn selector_hash(&self, service: &str) -> Option<String> {
        self.services[service].hash().map(str::to_owned)
    }

    pub fn events_with(&self, reason: &str) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e.reason == reason)
            .map(|e| e.message.clone())
            .collect()
    }
}
