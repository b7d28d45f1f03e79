//! Carries out a decision's actions against the API, as field manager `gitcanary-rollout`.

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Service;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::runtime::events::{Event as KEvent, EventType};
use kube::{Client, Resource, ResourceExt};
use serde_json::{Value, json};

use super::caches::Caches;
use crate::api::{AnalysisRun, Rollout};
use crate::cluster::Clusters;
use crate::rollout::{Action, EventKind};
use crate::sync::retry::with_backoff;

/// The API group of the VirtualServices and DestinationRules the controller writes.
const MESH_GROUP: &str = "networking.istio.io";

/// Field manager of everything the rollout controller writes.
pub const FIELD_MANAGER: &str = "gitcanary-rollout";

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// An object changed under the decision (a resourceVersion precondition failed): decide again.
    #[error("{object} changed while it was being written; deciding again")]
    Stale { object: String },
    #[error("{action} {object}: {message}")]
    Api {
        action: &'static str,
        object: String,
        message: String,
    },
}

fn api_err(action: &'static str, object: impl Into<String>, e: kube::Error) -> ExecError {
    match e {
        kube::Error::Api(s) if s.code == 409 => ExecError::Stale {
            object: object.into(),
        },
        other => ExecError::Api {
            action,
            object: object.into(),
            message: crate::sync::engine::api_message(&other),
        },
    }
}

/// What a reconcile needs to act; cheap to clone, one per worker.
#[derive(Clone)]
pub struct Exec {
    pub client: Client,
    /// VirtualServices and DestinationRules go to `clusters.mesh()`.
    pub clusters: Clusters,
    pub caches: std::sync::Arc<Caches>,
    pub events: super::events::EventSink,
    /// Keys of once-only Events already recorded by this process.
    pub reported: std::sync::Arc<std::sync::Mutex<std::collections::BTreeSet<String>>>,
}

impl Exec {
    /// A message about a mesh object, naming the mesh API server when it is a separate one.
    fn mesh_message(&self, message: String) -> String {
        self.clusters.qualify(MESH_GROUP, message)
    }

    fn mesh_err(&self, action: &'static str, object: String, e: kube::Error) -> ExecError {
        match api_err(action, object, e) {
            ExecError::Api {
                action,
                object,
                message,
            } => ExecError::Api {
                action,
                object,
                message: self.mesh_message(message),
            },
            stale => stale,
        }
    }

    /// Executes the actions in order; returns the Rollout's latest resourceVersion (annotation
    /// removals change it) for the status write that follows.
    pub async fn run(
        &self,
        rollout: &Rollout,
        actions: &[Action],
    ) -> Result<Option<String>, ExecError> {
        let ns = rollout.namespace().unwrap_or_default();
        let name = rollout.name_any();
        let mut rv = rollout.metadata.resource_version.clone();
        let merge = PatchParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..Default::default()
        };
        let apply = PatchParams::apply(FIELD_MANAGER).force();
        for action in actions {
            match action {
                Action::RemoveRolloutAnnotation { key } => {
                    let api: Api<Rollout> = Api::namespaced(self.client.clone(), &ns);
                    let p = json!({"metadata": {"annotations": {key: null}}});
                    let patch = Patch::Merge(&p);
                    let out = with_backoff(5, || api.patch(&name, &merge, &patch))
                        .await
                        .map_err(|e| {
                            api_err(
                                "removing annotation from",
                                format!("Rollout {ns}/{name}"),
                                e,
                            )
                        })?;
                    rv = out.metadata.resource_version;
                }
                Action::CreateReplicaSet(nrs) => {
                    let api: Api<ReplicaSet> = Api::namespaced(self.client.clone(), &ns);
                    let owner = rollout.controller_owner_ref(&()).map(|mut o| {
                        o.block_owner_deletion = Some(true);
                        o
                    });
                    let rs = json!({
                        "apiVersion": "apps/v1", "kind": "ReplicaSet",
                        "metadata": {"name": nrs.name, "namespace": ns, "labels": nrs.labels, "annotations": nrs.annotations, "ownerReferences": [owner]},
                        "spec": {"replicas": nrs.replicas, "minReadySeconds": nrs.min_ready_seconds, "selector": nrs.selector, "template": nrs.template},
                    });
                    let rs: ReplicaSet =
                        serde_json::from_value(rs).map_err(|e| ExecError::Api {
                            action: "building",
                            object: format!("ReplicaSet {ns}/{}", nrs.name),
                            message: e.to_string(),
                        })?;
                    let pp = PostParams {
                        field_manager: Some(FIELD_MANAGER.into()),
                        ..Default::default()
                    };
                    match with_backoff(5, || api.create(&pp, &rs)).await {
                        Ok(_) => {}
                        Err(kube::Error::Api(s)) if s.code == 409 => {}
                        Err(e) => {
                            return Err(api_err(
                                "creating",
                                format!("ReplicaSet {ns}/{}", nrs.name),
                                e,
                            ));
                        }
                    }
                }
                Action::ScaleReplicaSet {
                    name: rs,
                    replicas,
                    desired_replicas_annotation,
                    scale_down_deadline,
                } => {
                    let api: Api<ReplicaSet> = Api::namespaced(self.client.clone(), &ns);
                    let p = json!({
                        "metadata": {"annotations": {
                            crate::rollout::DESIRED_REPLICAS_ANNOTATION: desired_replicas_annotation.to_string(),
                            crate::rollout::SCALE_DOWN_DEADLINE_ANNOTATION: scale_down_deadline,
                        }},
                        "spec": {"replicas": replicas},
                    });
                    let patch = Patch::Merge(&p);
                    with_backoff(5, || api.patch(rs, &merge, &patch))
                        .await
                        .map_err(|e| api_err("scaling", format!("ReplicaSet {ns}/{rs}"), e))?;
                }
                Action::DeleteReplicaSet { name: rs } => {
                    let api: Api<ReplicaSet> = Api::namespaced(self.client.clone(), &ns);
                    let dp = DeleteParams::background();
                    match with_backoff(5, || api.delete(rs, &dp)).await {
                        Ok(_) => {}
                        Err(kube::Error::Api(s)) if s.code == 404 => {}
                        Err(e) => {
                            return Err(api_err("deleting", format!("ReplicaSet {ns}/{rs}"), e));
                        }
                    }
                }
                Action::SetServiceSelector {
                    service,
                    selector,
                    managed_by,
                } => {
                    let api: Api<Service> = Api::namespaced(self.client.clone(), &ns);
                    let body = json!({
                        "apiVersion": "v1", "kind": "Service",
                        "metadata": {"name": service, "annotations": {crate::rollout::MANAGED_BY_ANNOTATION: managed_by}},
                        "spec": {"selector": selector},
                    });
                    let patch = Patch::Apply(&body);
                    with_backoff(5, || api.patch(service, &apply, &patch))
                        .await
                        .map_err(|e| {
                            api_err(
                                "switching the selector of",
                                format!("Service {ns}/{service}"),
                                e,
                            )
                        })?;
                }
                Action::WriteVirtualService {
                    name: vs,
                    namespace,
                    resource_version,
                    http,
                    tls,
                    tcp,
                } => {
                    let Some(ar) = &self.caches.vs_resource else {
                        return Err(ExecError::Api {
                            action: "writing",
                            object: format!("VirtualService {vs}"),
                            message: self.mesh_message("VirtualServices are not served".into()),
                        });
                    };
                    let vns = namespace.clone().unwrap_or_else(|| ns.clone());
                    let api: Api<DynamicObject> =
                        Api::namespaced_with(self.clusters.mesh().clone(), &vns, ar);
                    let mut spec = serde_json::Map::new();
                    for (k, v) in [("http", http), ("tls", tls), ("tcp", tcp)] {
                        if let Some(v) = v {
                            spec.insert(k.into(), v.clone());
                        }
                    }
                    let body = json!({
                        "apiVersion": ar.api_version, "kind": ar.kind,
                        "metadata": {"name": vs, "namespace": vns, "resourceVersion": resource_version},
                        "spec": spec,
                    });
                    let patch = Patch::Apply(&body);
                    with_backoff(5, || api.patch(vs, &apply, &patch))
                        .await
                        .map_err(|e| {
                            self.mesh_err(
                                "setting the weights of",
                                format!("VirtualService {vns}/{vs}"),
                                e,
                            )
                        })?;
                }
                Action::WriteDestinationRule {
                    name: dr,
                    resource_version,
                    subsets,
                    managed_by,
                } => {
                    let Some(ar) = &self.caches.dr_resource else {
                        return Err(ExecError::Api {
                            action: "writing",
                            object: format!("DestinationRule {dr}"),
                            message: self.mesh_message("DestinationRules are not served".into()),
                        });
                    };
                    let api: Api<DynamicObject> =
                        Api::namespaced_with(self.clusters.mesh().clone(), &ns, ar);
                    let body = json!({
                        "apiVersion": ar.api_version, "kind": ar.kind,
                        "metadata": {"name": dr, "namespace": ns, "resourceVersion": resource_version, "annotations": {crate::rollout::MANAGED_BY_ANNOTATION: managed_by}},
                        "spec": {"subsets": subsets},
                    });
                    let patch = Patch::Apply(&body);
                    with_backoff(5, || api.patch(dr, &apply, &patch))
                        .await
                        .map_err(|e| {
                            self.mesh_err(
                                "setting the subsets of",
                                format!("DestinationRule {ns}/{dr}"),
                                e,
                            )
                        })?;
                }
                Action::CreateAnalysisRun(nar) => {
                    self.create_analysis_run(rollout, nar).await?;
                }
                Action::TerminateAnalysisRun { name: ar } => {
                    let api: Api<AnalysisRun> = Api::namespaced(self.client.clone(), &ns);
                    let p = json!({"spec": {"terminate": true}});
                    let patch = Patch::Merge(&p);
                    match with_backoff(5, || api.patch(ar, &merge, &patch)).await {
                        Ok(_) => {}
                        Err(kube::Error::Api(s)) if s.code == 404 => {}
                        Err(e) => {
                            return Err(api_err(
                                "terminating",
                                format!("AnalysisRun {ns}/{ar}"),
                                e,
                            ));
                        }
                    }
                }
                Action::RecordEvent(ev) => {
                    if let Some(key) = &ev.key {
                        let mut reported = self.reported.lock().unwrap_or_else(|p| p.into_inner());
                        if !reported.insert(key.clone()) {
                            continue;
                        }
                    }
                    let reference = rollout.object_ref(&());
                    let e = KEvent {
                        type_: if ev.kind == EventKind::Warning {
                            EventType::Warning
                        } else {
                            EventType::Normal
                        },
                        reason: ev.reason.clone(),
                        note: Some(ev.message.clone()),
                        action: "Reconcile".into(),
                        secondary: None,
                    };
                    self.events.publish(e, reference);
                }
            }
        }
        Ok(rv)
    }

    async fn create_analysis_run(
        &self,
        rollout: &Rollout,
        nar: &crate::rollout::NewAnalysisRun,
    ) -> Result<(), ExecError> {
        let ns = rollout.namespace().unwrap_or_default();
        let run: Value =
            crate::rollout::controller::analysis_run::build(rollout, nar, &self.caches).map_err(
                |message| ExecError::Api {
                    action: "building",
                    object: format!("AnalysisRun {ns}/{}", nar.name),
                    message,
                },
            )?;
        let api: Api<AnalysisRun> = Api::namespaced(self.client.clone(), &ns);
        let run: AnalysisRun = serde_json::from_value(run).map_err(|e| ExecError::Api {
            action: "building",
            object: format!("AnalysisRun {ns}/{}", nar.name),
            message: e.to_string(),
        })?;
        let pp = PostParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..Default::default()
        };
        match with_backoff(5, || api.create(&pp, &run)).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
            Err(e) => Err(api_err(
                "creating",
                format!("AnalysisRun {ns}/{}", nar.name),
                e,
            )),
        }
    }
}
