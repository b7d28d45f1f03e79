//! Namespace controller: a namespace being deleted is emptied, then removed.

use std::sync::Arc;

use super::str_at;
use crate::ops::{Cluster, DeleteOpts};
use crate::resources::GroupResource;
use crate::store::{Event, EventType};

pub fn on_event(cluster: &Arc<Cluster>, e: &Event) {
    let ns_gr = GroupResource {
        group: String::new(),
        resource: "namespaces".into(),
    };
    if e.gr == ns_gr
        && e.kind != EventType::Deleted
        && e.object.pointer("/metadata/deletionTimestamp").is_some()
    {
        if let Some(name) = str_at(&e.object, "/metadata/name") {
            empty(cluster, name);
        }
    } else if e.kind == EventType::Deleted && !e.namespace.is_empty() {
        let terminating = cluster
            .store
            .get(&ns_gr, &(String::new(), e.namespace.clone()))
            .is_some_and(|n| n.pointer("/metadata/deletionTimestamp").is_some());
        if terminating {
            empty(cluster, &e.namespace);
        }
    }
}

fn empty(cluster: &Cluster, ns: &str) {
    let ns_gr = GroupResource {
        group: String::new(),
        resource: "namespaces".into(),
    };
    let contents: Vec<_> = {
        let st = cluster.store.lock();
        st.all_resources()
            .into_iter()
            .flat_map(|gr| {
                st.list(&gr, Some(ns))
                    .into_iter()
                    .map(move |(k, _)| (gr.clone(), k))
            })
            .filter(|(gr, _)| *gr != ns_gr)
            .collect()
    };
    if contents.is_empty() {
        if let Some(obj) = cluster.store.get(&ns_gr, &(String::new(), ns.to_string())) {
            let _ = cluster.store.commit(
                &ns_gr,
                &(String::new(), ns.to_string()),
                Some(crate::store::object_rv(&obj)),
                false,
                None,
            );
        }
        return;
    }
    for (gr, (ons, name)) in contents {
        let rt = cluster.store.lock().registry.get(&gr).cloned();
        if let Some(rt) = rt {
            let _ = cluster.delete(&rt, &ons, &name, &DeleteOpts::default());
        }
    }
}
