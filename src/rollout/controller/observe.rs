//! Builds a decision's `Observed` from the watch caches and the approvals book.

use std::collections::BTreeSet;

use kube::ResourceExt;

use super::book::{Book, git_approval};
use super::caches::Caches;
use super::queue::Key;
use crate::api::Rollout;
use crate::rollout::{
    Observed, ObservedAnalysisRun, ObservedObject, ObservedReplicaSet, ObservedService, referenced,
};

pub async fn observe(rollout: &Rollout, caches: &Caches, book: &Book) -> Observed {
    let ns = rollout.namespace().unwrap_or_default();
    let uid = rollout.metadata.uid.clone().unwrap_or_default();
    let key: Key = (ns.clone(), rollout.name_any());
    let owned = |refs: Option<
        &Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference>,
    >| { refs.is_some_and(|r| r.iter().any(|o| o.uid == uid)) };
    let replica_sets = caches
        .replica_sets
        .state()
        .iter()
        .filter(|rs| {
            rs.metadata.namespace.as_deref() == Some(ns.as_str())
                && owned(rs.metadata.owner_references.as_ref())
        })
        .map(|rs| ObservedReplicaSet::from_replica_set(rs))
        .collect();
    let refs = referenced(rollout);
    let services = refs
        .services
        .iter()
        .filter_map(|name| {
            let svc = caches
                .services
                .get(&kube::runtime::reflector::ObjectRef::new(name).within(&ns))?;
            Some((name.clone(), ObservedService::from_service(&svc)))
        })
        .collect();
    let virtual_services = refs
        .virtual_services
        .iter()
        .filter_map(|(reference, name, vns)| {
            let store = caches.virtual_services.as_ref()?;
            let ar = caches.vs_resource.as_ref()?;
            let obj = store.get(
                &kube::runtime::reflector::ObjectRef::new_with(name, ar.clone())
                    .within(vns.as_deref().unwrap_or(&ns)),
            )?;
            let json = serde_json::to_value(&*obj).ok()?;
            Some((reference.clone(), ObservedObject::from_json(&json)))
        })
        .collect();
    let destination_rule = refs.destination_rule.as_ref().and_then(|name| {
        let store = caches.destination_rules.as_ref()?;
        let ar = caches.dr_resource.as_ref()?;
        let obj = store
            .get(&kube::runtime::reflector::ObjectRef::new_with(name, ar.clone()).within(&ns))?;
        Some(ObservedObject::from_json(
            &serde_json::to_value(&*obj).ok()?,
        ))
    });
    let analysis_runs = caches
        .analysis_runs
        .state()
        .iter()
        .filter(|ar| {
            ar.metadata.namespace.as_deref() == Some(ns.as_str())
                && owned(ar.metadata.owner_references.as_ref())
        })
        .filter_map(|ar| serde_json::to_value(&**ar).ok())
        .map(|v| ObservedAnalysisRun::from_json(&v))
        .collect();
    let analysis_templates: BTreeSet<String> = caches
        .analysis_templates
        .state()
        .iter()
        .filter(|t| t.metadata.namespace.as_deref() == Some(ns.as_str()))
        .map(|t| t.name_any())
        .collect();
    let cluster_analysis_templates: BTreeSet<String> = caches
        .cluster_analysis_templates
        .state()
        .iter()
        .map(|t| t.name_any())
        .collect();

    let current = book.commit(&key);
    let canary_commit = rollout
        .status
        .as_ref()
        .and_then(|s| s.gitcanary.as_ref())
        .and_then(|g| g.canary_commit.clone());
    let mut git_approvals = vec![];
    for e in book.approvals(&key) {
        let descends = match &canary_commit {
            Some(anc) => {
                let (mirror, commit, anc) =
                    (e.mirror.clone(), e.approval.commit.clone(), anc.clone());
                tokio::task::spawn_blocking(move || {
                    crate::source::fetch::descends_from(&mirror, &commit, &anc)
                })
                .await
                .ok()
                .flatten()
            }
            None => None,
        };
        git_approvals.push(git_approval(&e, descends));
    }
    Observed {
        rollout: rollout.clone(),
        replica_sets,
        services,
        virtual_services,
        destination_rule,
        analysis_runs,
        analysis_templates: Some(analysis_templates),
        cluster_analysis_templates: Some(cluster_analysis_templates),
        current_commit: current.map(|(c, _)| c),
        git_approvals,
        reported_events: Default::default(),
    }
}
