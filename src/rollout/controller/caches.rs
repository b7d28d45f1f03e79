//! Watch caches of everything a rollout decision reads. Every change also schedules the rollouts it
//! concerns, so the controller reacts to a ReplicaSet becoming available or a VirtualService being
//! edited as soon as the watch says so.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Service;
use kube::api::{Api, DynamicObject};
use kube::discovery::ApiResource;
use kube::runtime::reflector::{self, Store, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;

use super::queue::Queue;
use crate::api::{AnalysisRun, AnalysisTemplate, ClusterAnalysisTemplate, Rollout};
use crate::rollout::referenced;

pub struct Caches {
    pub rollouts: Store<Rollout>,
    pub replica_sets: Store<ReplicaSet>,
    pub services: Store<Service>,
    pub virtual_services: Option<Store<DynamicObject>>,
    pub destination_rules: Option<Store<DynamicObject>>,
    pub analysis_runs: Store<AnalysisRun>,
    pub analysis_templates: Store<AnalysisTemplate>,
    pub cluster_analysis_templates: Store<ClusterAnalysisTemplate>,
    /// The served versions the mesh objects are read and written at.
    pub vs_resource: Option<ApiResource>,
    pub dr_resource: Option<ApiResource>,
}

fn spawn<K, F>(api: Api<K>, cfg: watcher::Config, dyntype: K::DynamicType, on_change: F) -> Store<K>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    K::DynamicType: Clone + Eq + std::hash::Hash + Send + Sync,
    F: Fn(&K) + Send + 'static,
{
    watch_cache(api, cfg, dyntype, on_change).0
}

/// A slimmed watch cache whose every change is also handed to `on_change`; the task runs until
/// aborted (the controller's live as long as the process, the dashboard's as long as it).
pub(crate) fn watch_cache<K, F>(
    api: Api<K>,
    cfg: watcher::Config,
    dyntype: K::DynamicType,
    on_change: F,
) -> (Store<K>, tokio::task::JoinHandle<()>)
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    K::DynamicType: Clone + Eq + std::hash::Hash + Send + Sync,
    F: Fn(&K) + Send + 'static,
{
    let writer: Writer<K> = Writer::new(dyntype);
    let reader = writer.as_reader();
    let stream = reflector::reflector(writer, watcher(api, cfg).modify(slim))
        .default_backoff()
        .touched_objects();
    let task = tokio::spawn(async move {
        let mut stream = stream.boxed();
        while let Some(item) = stream.next().await {
            match item {
                Ok(obj) => on_change(&obj),
                Err(e) => tracing::debug!(error = %e, "watch error (retried)"),
            }
        }
    });
    (reader, task)
}

/// Drops what no decision reads and can outweigh the rest: managedFields (one entry per writer,
/// each a copy of the field tree) and kubectl's last-applied copy of the whole object.
pub(crate) fn slim<K: Resource>(obj: &mut K) {
    let meta = obj.meta_mut();
    meta.managed_fields = None;
    if let Some(a) = meta.annotations.as_mut() {
        a.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
}

/// The served version of an Istio kind, newest first. `None` when the server says it serves none;
/// an unreachable server (the mesh control plane can be a remote one) is asked again for a while.
pub(crate) async fn mesh_resource(client: &Client, kind: &str) -> Option<ApiResource> {
    const ATTEMPTS: u32 = 10;
    for attempt in 1..=ATTEMPTS {
        let mut unreachable = None;
        for version in ["v1", "v1beta1", "v1alpha3"] {
            let gvk = kube::core::GroupVersionKind::gvk("networking.istio.io", version, kind);
            match kube::discovery::pinned_kind(client, &gvk).await {
                Ok((ar, _)) => return Some(ar),
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(kube::Error::Discovery(_)) => {}
                Err(e) => unreachable = Some(e),
            }
        }
        // Every version answered "not served": the server has no such kind.
        let e = unreachable?;
        tracing::warn!(kind, attempt, error = %e, "cannot discover an Istio kind; asking again");
        if attempt < ATTEMPTS {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }
    None
}

/// Rollouts (from the cache) in `ns` that refer to an object, by a predicate on their references.
fn rollouts_referring(
    rollouts: &Store<Rollout>,
    ns: &str,
    refers: impl Fn(&crate::rollout::Referenced) -> bool,
) -> Vec<(String, String)> {
    rollouts
        .state()
        .iter()
        .filter(|r| r.metadata.namespace.as_deref() == Some(ns))
        .filter(|r| refers(&referenced(r)))
        .filter_map(|r| Some((ns.to_string(), r.metadata.name.clone()?)))
        .collect()
}

pub(crate) fn owner_rollout(meta: &kube::core::ObjectMeta) -> Option<(String, String)> {
    let owner = meta
        .owner_references
        .as_ref()?
        .iter()
        .find(|o| o.kind == "Rollout" && o.controller == Some(true))?;
    Some((
        meta.namespace.clone().unwrap_or_default(),
        owner.name.clone(),
    ))
}

impl Caches {
    /// Starts every watch (`mesh` serves VirtualServices and DestinationRules: the same cluster, or
    /// the mesh control plane) and waits for their first lists.
    pub async fn start(client: &Client, mesh: &Client, queue: Arc<Queue>) -> Caches {
        let q = queue.clone();
        let rollouts = spawn(
            Api::<Rollout>::all(client.clone()),
            watcher::Config::default(),
            (),
            move |r: &Rollout| {
                if let (Some(ns), Some(n)) = (&r.metadata.namespace, &r.metadata.name) {
                    q.now((ns.clone(), n.clone()));
                }
            },
        );
        let q = queue.clone();
        let replica_sets = spawn(
            Api::<ReplicaSet>::all(client.clone()),
            watcher::Config::default().labels(crate::rollout::hash::HASH_LABEL),
            (),
            move |rs: &ReplicaSet| {
                if let Some(k) = owner_rollout(&rs.metadata) {
                    q.now(k);
                }
            },
        );
        let (q, ro) = (queue.clone(), rollouts.clone());
        let services = spawn(
            Api::<Service>::all(client.clone()),
            watcher::Config::default(),
            (),
            move |s: &Service| {
                let (Some(ns), Some(name)) =
                    (s.metadata.namespace.as_deref(), s.metadata.name.as_deref())
                else {
                    return;
                };
                for k in rollouts_referring(&ro, ns, |r| r.services.iter().any(|x| x == name)) {
                    q.now(k);
                }
            },
        );
        let vs_resource = mesh_resource(mesh, "VirtualService").await;
        let dr_resource = mesh_resource(mesh, "DestinationRule").await;
        let virtual_services = vs_resource.clone().map(|ar| {
            let (q, ro) = (queue.clone(), rollouts.clone());
            spawn(
                Api::<DynamicObject>::all_with(mesh.clone(), &ar),
                watcher::Config::default(),
                ar,
                move |o: &DynamicObject| {
                    let Some(name) = o.metadata.name.as_deref() else {
                        return;
                    };
                    let ns = o.metadata.namespace.clone().unwrap_or_default();
                    for r in ro.state() {
                        let rns = r.metadata.namespace.clone().unwrap_or_default();
                        let refers = referenced(&r)
                            .virtual_services
                            .iter()
                            .any(|(_, n, vns)| n == name && vns.as_deref().unwrap_or(&rns) == ns);
                        if refers && let Some(rn) = r.metadata.name.clone() {
                            q.now((rns, rn));
                        }
                    }
                },
            )
        });
        let destination_rules = dr_resource.clone().map(|ar| {
            let (q, ro) = (queue.clone(), rollouts.clone());
            spawn(
                Api::<DynamicObject>::all_with(mesh.clone(), &ar),
                watcher::Config::default(),
                ar,
                move |o: &DynamicObject| {
                    let (Some(ns), Some(name)) =
                        (o.metadata.namespace.as_deref(), o.metadata.name.as_deref())
                    else {
                        return;
                    };
                    for k in
                        rollouts_referring(&ro, ns, |r| r.destination_rule.as_deref() == Some(name))
                    {
                        q.now(k);
                    }
                },
            )
        });
        let q = queue.clone();
        let analysis_runs = spawn(
            Api::<AnalysisRun>::all(client.clone()),
            watcher::Config::default(),
            (),
            move |ar: &AnalysisRun| {
                if let Some(k) = owner_rollout(&ar.metadata) {
                    q.now(k);
                }
            },
        );
        let analysis_templates = spawn(
            Api::<AnalysisTemplate>::all(client.clone()),
            watcher::Config::default(),
            (),
            |_: &AnalysisTemplate| {},
        );
        let cluster_analysis_templates = spawn(
            Api::<ClusterAnalysisTemplate>::all(client.clone()),
            watcher::Config::default(),
            (),
            |_: &ClusterAnalysisTemplate| {},
        );
        let caches = Caches {
            rollouts,
            replica_sets,
            services,
            virtual_services,
            destination_rules,
            analysis_runs,
            analysis_templates,
            cluster_analysis_templates,
            vs_resource,
            dr_resource,
        };
        caches.wait_ready().await;
        caches
    }

    async fn wait_ready(&self) {
        let _ = self.rollouts.wait_until_ready().await;
        let _ = self.replica_sets.wait_until_ready().await;
        let _ = self.services.wait_until_ready().await;
        if let Some(s) = &self.virtual_services {
            let _ = s.wait_until_ready().await;
        }
        if let Some(s) = &self.destination_rules {
            let _ = s.wait_until_ready().await;
        }
        let _ = self.analysis_runs.wait_until_ready().await;
        let _ = self.analysis_templates.wait_until_ready().await;
        let _ = self.cluster_analysis_templates.wait_until_ready().await;
    }
}
