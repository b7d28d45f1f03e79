//! The dashboard's own watch caches (Rollouts, their ReplicaSets and AnalysisRuns, VirtualServices):
//! pages are answered from memory, so hundreds of rollouts and many open pages cost the API server
//! one watch per kind. Started on the first dashboard request, so a daemon nobody looks at pays
//! nothing. Every change is reported to [`Changes`] under the Rollout it concerns.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::api::{Api, DynamicObject};
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use tokio::task::JoinHandle;

use super::events::Changes;
use crate::api::{AnalysisRun, Rollout};
use crate::rollout::controller::caches::{owner_rollout, watch_cache as spawn};
use crate::rollout::referenced;
use crate::rollout::view::objects::RolloutObjects;
use crate::rollout::view::traffic::LiveVirtualService;

pub struct Live {
    rollouts: Store<Rollout>,
    replica_sets: Store<ReplicaSet>,
    analysis_runs: Store<AnalysisRun>,
    virtual_services: Option<Store<DynamicObject>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Live {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Live {
    /// `mesh` serves VirtualServices (ASM: the mesh control plane).
    pub async fn start(client: &Client, mesh: &Client, changes: Arc<Changes>) -> Live {
        let mut tasks = vec![];
        let c = changes.clone();
        let (rollouts, t) = spawn(
            Api::<Rollout>::all(client.clone()),
            watcher::Config::default(),
            (),
            move |r: &Rollout| c.rollout(&r.namespace().unwrap_or_default(), &r.name_any()),
        );
        tasks.push(t);
        let c = changes.clone();
        let (replica_sets, t) = spawn(
            Api::<ReplicaSet>::all(client.clone()),
            watcher::Config::default().labels(crate::rollout::hash::HASH_LABEL),
            (),
            move |rs: &ReplicaSet| {
                if let Some((ns, name)) = owner_rollout(&rs.metadata) {
                    c.rollout(&ns, &name);
                }
            },
        );
        tasks.push(t);
        let c = changes.clone();
        let (analysis_runs, t) = spawn(
            Api::<AnalysisRun>::all(client.clone()),
            watcher::Config::default(),
            (),
            move |ar: &AnalysisRun| {
                if let Some((ns, name)) = owner_rollout(&ar.metadata) {
                    c.rollout(&ns, &name);
                }
            },
        );
        tasks.push(t);
        let vs_resource =
            crate::rollout::controller::caches::mesh_resource(mesh, "VirtualService").await;
        let virtual_services = vs_resource.map(|ar| {
            let (c, ro) = (changes.clone(), rollouts.clone());
            let (store, t) =
                spawn(
                    Api::<DynamicObject>::all_with(mesh.clone(), &ar),
                    watcher::Config::default(),
                    ar,
                    move |vs: &DynamicObject| {
                        let (ns, name) = (vs.namespace().unwrap_or_default(), vs.name_any());
                        for r in ro.state() {
                            let rns = r.namespace().unwrap_or_default();
                            if referenced(&r).virtual_services.iter().any(|(_, n, vns)| {
                                *n == name && vns.as_deref().unwrap_or(&rns) == ns
                            }) {
                                c.rollout(&rns, &r.name_any());
                            }
                        }
                    },
                );
            tasks.push(t);
            store
        });
        Live {
            rollouts,
            replica_sets,
            analysis_runs,
            virtual_services,
            tasks,
        }
    }

    /// Waits (up to `timeout`) until every cache has its first list; false if one has not.
    pub async fn ready(&self, timeout: Duration) -> bool {
        tokio::time::timeout(timeout, async {
            let _ = self.rollouts.wait_until_ready().await;
            let _ = self.replica_sets.wait_until_ready().await;
            let _ = self.analysis_runs.wait_until_ready().await;
            if let Some(s) = &self.virtual_services {
                let _ = s.wait_until_ready().await;
            }
        })
        .await
        .is_ok()
    }

    /// Every Rollout (sorted by namespace and name) with what it owns, optionally one namespace's.
    pub fn all(&self, namespace: Option<&str>) -> Vec<RolloutObjects> {
        let mut rss: HashMap<String, Vec<ReplicaSet>> = HashMap::new();
        for rs in self.replica_sets.state() {
            for o in rs.metadata.owner_references.iter().flatten() {
                rss.entry(o.uid.clone()).or_default().push((*rs).clone());
            }
        }
        let mut runs: HashMap<String, Vec<AnalysisRun>> = HashMap::new();
        for ar in self.analysis_runs.state() {
            for o in ar.metadata.owner_references.iter().flatten() {
                runs.entry(o.uid.clone()).or_default().push((*ar).clone());
            }
        }
        let mut out: Vec<RolloutObjects> = self
            .rollouts
            .state()
            .into_iter()
            .filter(|r| namespace.is_none_or(|ns| r.namespace().as_deref() == Some(ns)))
            .map(|r| {
                let uid = r.metadata.uid.clone().unwrap_or_default();
                RolloutObjects {
                    rollout: (*r).clone(),
                    replica_sets: rss.remove(&uid).unwrap_or_default(),
                    pods: vec![],
                    analysis_runs: runs.remove(&uid).unwrap_or_default(),
                }
            })
            .collect();
        out.sort_by_key(|o| (o.rollout.namespace(), o.rollout.name_any()));
        out
    }

    /// One Rollout with what it owns.
    pub fn one(&self, namespace: &str, name: &str) -> Option<RolloutObjects> {
        let key = reflector::ObjectRef::new(name).within(namespace);
        let rollout = (*self.rollouts.get(&key)?).clone();
        let uid = rollout.metadata.uid.clone().unwrap_or_default();
        let owned = |refs: &Option<Vec<_>>| crate::rollout::view::objects::owned_by(refs, &uid);
        Some(RolloutObjects {
            replica_sets: self
                .replica_sets
                .state()
                .iter()
                .filter(|rs| owned(&rs.metadata.owner_references))
                .map(|rs| (**rs).clone())
                .collect(),
            analysis_runs: self
                .analysis_runs
                .state()
                .iter()
                .filter(|ar| owned(&ar.metadata.owner_references))
                .map(|ar| (**ar).clone())
                .collect(),
            pods: vec![],
            rollout,
        })
    }

    pub fn virtual_services(&self) -> Vec<LiveVirtualService> {
        let Some(store) = &self.virtual_services else {
            return vec![];
        };
        store
            .state()
            .iter()
            .map(|vs| LiveVirtualService {
                namespace: vs.namespace().unwrap_or_default(),
                name: vs.name_any(),
                spec: vs.data.get("spec").cloned().unwrap_or_default(),
            })
            .collect()
    }
}
