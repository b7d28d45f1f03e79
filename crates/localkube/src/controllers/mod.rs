//! The parts of kube-controller-manager and the kubelet that tests rely on: ReplicaSets make Pods, Pods
//! become Ready, Deployments make ReplicaSets, owners take their dependents with them, namespaces empty
//! themselves before they go.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::broadcast;
use tokio::task::JoinSet;

use crate::admit::WriteKind;
use crate::error::ApiError;
use crate::ops::{Cluster, WriteOpts};
use crate::resources::ResourceType;
use crate::server::Config;
use crate::store::Event;

mod deployment;
mod gc;
mod namespace;
mod pods;
mod replicaset;

/// The field manager the real controllers write as.
pub const MANAGER: &str = "kube-controller-manager";

pub fn spawn_all(tasks: &mut JoinSet<()>, cluster: Arc<Cluster>, config: &Config) {
    let kubelet = Arc::new(pods::Kubelet::new(
        config.ready_delay,
        &config.broken_images,
    ));
    tasks.spawn(run(cluster.clone(), "replicaset", replicaset::on_event));
    let k = kubelet.clone();
    tasks.spawn(run(cluster.clone(), "kubelet", move |c, e| {
        k.on_event(c, e)
    }));
    tasks.spawn(run(cluster.clone(), "deployment", deployment::on_event));
    tasks.spawn(run(cluster.clone(), "garbage-collector", gc::on_event));
    tasks.spawn(run(cluster, "namespace", namespace::on_event));
}

/// Feeds every store event to `handle`, in order. A controller that falls behind the broadcast resyncs
/// by treating every stored object of its kinds as changed.
async fn run<F>(cluster: Arc<Cluster>, name: &'static str, handle: F)
where
    F: Fn(&Arc<Cluster>, &Event) + Send + 'static,
{
    let mut rx = cluster.store.subscribe();
    loop {
        match rx.recv().await {
            Ok(e) => handle(&cluster, &e),
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(
                    controller = name,
                    missed = n,
                    "controller fell behind; resyncing"
                );
                for e in resync_events(&cluster) {
                    handle(&cluster, &e);
                }
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

fn resync_events(cluster: &Cluster) -> Vec<Event> {
    let st = cluster.store.lock();
    let mut out = vec![];
    for gr in st.all_resources() {
        for ((ns, _), obj) in st.list(&gr, None) {
            out.push(Event::synthetic(gr.clone(), ns, obj));
        }
    }
    out
}

pub(crate) fn opts() -> WriteOpts {
    WriteOpts {
        manager: MANAGER.into(),
        ..Default::default()
    }
}

pub(crate) fn rt(cluster: &Cluster, group: &str, plural: &str) -> Option<Arc<ResourceType>> {
    cluster.resource(group, "v1", plural).ok()
}

pub(crate) fn str_at<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr).and_then(Value::as_str)
}

/// uids of the owners an object names.
pub(crate) fn owner_uids(obj: &Value) -> Vec<String> {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map(|refs| {
            refs.iter()
                .filter_map(|r| r.get("uid").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The owner reference marked `controller: true`, as (kind, name, uid).
pub(crate) fn controller_of(obj: &Value) -> Option<(String, String, String)> {
    obj.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find_map(|r| {
            if r.get("controller").and_then(Value::as_bool) != Some(true) {
                return None;
            }
            Some((
                r.get("kind")?.as_str()?.to_string(),
                r.get("name")?.as_str()?.to_string(),
                r.get("uid")?.as_str()?.to_string(),
            ))
        })
}

/// Writes a new status computed from the latest stored object, retrying on conflicts.
pub(crate) fn update_status(
    cluster: &Cluster,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    compute: impl Fn(&Value) -> Option<Value>,
) -> Result<(), ApiError> {
    for _ in 0..8 {
        let current = match cluster.get(rt, ns, name) {
            Ok(c) => c,
            Err(e) if e.code == 404 => return Ok(()),
            Err(e) => return Err(e),
        };
        let Some(status) = compute(&current) else {
            return Ok(());
        };
        if current.get("status") == Some(&status) {
            return Ok(());
        }
        let mut new = (*current).clone();
        new["status"] = status;
        match cluster.update(
            rt,
            rt.storage_version(),
            ns,
            name,
            new,
            WriteKind::Status,
            &opts(),
        ) {
            Ok(_) => return Ok(()),
            Err(e) if e.code == 409 => continue,
            Err(e) if e.code == 404 => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
