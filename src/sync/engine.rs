//! One source's sync passes: resolve the snapshot's objects, plan, dry-run everything, apply in waves,
//! prune, record the inventory.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PropagationPolicy};
use serde_json::Value;
use tracing::{info, warn};

use super::ignored::IgnoredTracker;
use super::inventory::Inventory;
use super::kinds::{Kind, Kinds};
use super::live::{Id, LiveCache};
use super::normalize;
use super::ownership::Managed;
use super::plan::{self, ApplyOp, Desired, ObjRef, Plan};
use super::retry::with_backoff;
use super::status::{IgnoredField, ObjectState, ObjectStatus};
use crate::cluster::Clusters;
use crate::source::snapshot::Snapshot;

/// Even with no drift seen, the whole snapshot is compared with the cluster this often (a safety net
/// for changes a watch could have missed).
pub const FULL_PASS_EVERY: Duration = Duration::from_secs(600);

/// Field manager of everything sync applies.
pub const FIELD_MANAGER: &str = "gitcanary";

#[derive(Clone, Debug)]
pub struct SyncConfig {
    pub source: String,
    /// Namespace for objects that do not name one.
    pub namespace: String,
    pub inventory_namespace: String,
    pub allow_empty: bool,
    pub self_heal: bool,
}

/// One object that could not be applied, with everything a person needs to find it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectFailure {
    pub origin: String,
    pub object: String,
    pub message: String,
}

impl std::fmt::Display for ObjectFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.origin, self.object, self.message)
    }
}

fn join(fs: &[ObjectFailure]) -> String {
    fs.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(
        "commit {commit} has no manifests; refusing to prune everything (use --allow-empty to allow it)"
    )]
    EmptySnapshot { commit: String },
    #[error("commit {commit}: nothing applied, the server rejected {} object(s) in a dry run: {}", failures.len(), join(failures))]
    DryRun {
        commit: String,
        failures: Vec<ObjectFailure>,
    },
    #[error("commit {commit}: {}", join(failures))]
    Apply {
        commit: String,
        failures: Vec<ObjectFailure>,
    },
    #[error(
        "commit {commit}: CustomResourceDefinition {name} was applied but its kind is not served by {server} after {waited:?}"
    )]
    CrdNotServed {
        commit: String,
        name: String,
        /// The server asked (the mesh API server for the mesh's groups, when there is one).
        server: String,
        waited: Duration,
    },
    #[error("reading or writing the inventory ConfigMap: {0}")]
    Inventory(#[source] kube::Error),
}

/// What one pass did.
#[derive(Clone, Debug, Default)]
pub struct PassReport {
    pub objects: Vec<ObjectStatus>,
    pub applied: usize,
    pub pruned: usize,
    /// Ignored fields seen for the first time (reported once).
    pub newly_ignored: Vec<IgnoredField>,
    pub ignored: Vec<IgnoredField>,
}

pub struct Syncer {
    cfg: SyncConfig,
    clusters: Clusters,
    kinds: Kinds,
    pub live: LiveCache,
    inventory: Option<Inventory>,
    ignored: IgnoredTracker,
    /// The snapshot (digest, commit) of the last clean pass, its report, and when the last full pass
    /// ran: a resync with the same snapshot and no drift since costs nothing.
    clean: Option<([u8; 32], String, PassReport, std::time::Instant)>,
    /// Events about an object go to the server that holds it.
    recorders: Recorders,
}

struct Recorders {
    main: crate::recorder::Recorder,
    mesh: crate::recorder::Recorder,
}

/// A plan with what it was made from, so a pass resolves and masks each object once.
pub struct Planned {
    pub plan: Plan,
    pub desired: Vec<Desired>,
    /// Per object: the served kind, `None` while a CRD of the same snapshot is not served yet.
    pub kinds: BTreeMap<Id, Option<Kind>>,
    pub managed: Managed,
}

fn split(resolved: Vec<Resolved>) -> (Vec<Desired>, BTreeMap<Id, Option<Kind>>) {
    let kinds = resolved
        .iter()
        .map(|r| (r.desired.obj_ref.id(), r.kind.clone()))
        .collect();
    (resolved.into_iter().map(|r| r.desired).collect(), kinds)
}

/// A snapshot object resolved against the server's discovery.
pub struct Resolved {
    pub desired: Desired,
    /// `None` when the kind is defined by a CRD of the same snapshot and not served yet.
    pub kind: Option<Kind>,
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

impl Syncer {
    pub fn new(client: kube::Client, cfg: SyncConfig) -> Self {
        Self::with_clusters(Clusters::single(client), cfg)
    }

    /// A syncer that sends each object to the server holding its API group (see
    /// [`crate::cluster`]); the inventory stays in the main cluster.
    pub fn with_clusters(clusters: Clusters, cfg: SyncConfig) -> Self {
        let recorder = |c: &kube::Client| crate::recorder::Recorder::new(c.clone(), "gitcanary");
        let recorders = Recorders {
            main: recorder(clusters.main()),
            mesh: recorder(clusters.mesh()),
        };
        Syncer {
            live: LiveCache::new(clusters.clone(), &cfg.source),
            kinds: Kinds::new(clusters.clone()),
            clusters,
            cfg,
            inventory: None,
            ignored: IgnoredTracker::default(),
            clean: None,
            recorders,
        }
    }

    /// The server's words for a failed call, naming the server when it is the mesh's; a namespace
    /// missing there gets the remedy, since Namespaces from Git are applied to the main cluster only.
    fn failure(&self, group: &str, e: &kube::Error) -> String {
        let message = api_message(e);
        let missing_ns = matches!(e, kube::Error::Api(s) if s.code == 404)
            && message.starts_with("namespaces \"");
        let message = if missing_ns && self.clusters.is_separate(group) {
            format!(
                "{message} (create the namespace on the mesh control plane: Namespaces from Git are applied to the main cluster only)"
            )
        } else {
            message
        };
        self.clusters.qualify(group, message)
    }

    pub fn config(&self) -> &SyncConfig {
        &self.cfg
    }

    /// Scope of kinds that the snapshot itself defines with a CRD: (group, kind) → namespaced.
    fn crd_scopes(snapshot: &Snapshot) -> BTreeMap<(String, String), bool> {
        snapshot
            .objects
            .iter()
            .filter(|m| m.key.kind == "CustomResourceDefinition")
            .filter_map(|m| {
                let object = m.object().ok()?;
                let spec = object.get("spec")?;
                let group = spec.get("group")?.as_str()?.to_string();
                let kind = spec.pointer("/names/kind")?.as_str()?.to_string();
                Some((
                    (group, kind),
                    spec.get("scope").and_then(Value::as_str) == Some("Namespaced"),
                ))
            })
            .collect()
    }

    async fn resolve(&self, snapshot: &Snapshot) -> Result<Vec<Resolved>, SyncError> {
        let crd_scopes = Self::crd_scopes(snapshot);
        let mut out = vec![];
        let mut failures = vec![];
        for m in snapshot.objects.iter() {
            let origin = m.origin.to_string();
            let (kind, namespaced) = match self.kinds.resolve(&m.key.api_version, &m.key.kind).await
            {
                Ok(k) => {
                    let namespaced = k.namespaced;
                    (Some(k), namespaced)
                }
                Err(e) => match crd_scopes.get(&(m.key.group().to_string(), m.key.kind.clone())) {
                    Some(ns) => (None, *ns),
                    None => {
                        let server = self
                            .clusters
                            .name_of(m.key.group())
                            .unwrap_or_else(|| "the server".into());
                        failures.push(ObjectFailure {
                            origin,
                            object: m.key.to_string(),
                            message: format!(
                                "{server} does not serve {} {}: {e}",
                                m.key.api_version, m.key.kind
                            ),
                        });
                        continue;
                    }
                },
            };
            match self.resolved(m, kind, namespaced) {
                Ok(r) => out.push(r),
                Err(e) => failures.push(ObjectFailure {
                    origin,
                    object: m.key.to_string(),
                    message: format!("cannot read the object back from the snapshot: {e}"),
                }),
            }
        }
        if failures.is_empty() {
            Ok(out)
        } else {
            Err(SyncError::DryRun {
                commit: snapshot.commit.id.clone(),
                failures,
            })
        }
    }

    fn resolved(
        &self,
        m: &crate::source::snapshot::Manifest,
        kind: Option<Kind>,
        namespaced: bool,
    ) -> Result<Resolved, serde_json::Error> {
        let namespace = namespaced.then(|| {
            m.key
                .namespace
                .clone()
                .unwrap_or_else(|| self.cfg.namespace.clone())
        });
        let mut object = m.object()?;
        if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            match &namespace {
                Some(ns) => meta.insert("namespace".into(), Value::String(ns.clone())),
                None => meta.remove("namespace"),
            };
        }
        let hash: String = m.hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let object = plan::stamp(object, &self.cfg.source, &hash);
        let obj_ref = ObjRef {
            api_version: m.key.api_version.clone(),
            kind: m.key.kind.clone(),
            namespace,
            name: m.key.name.clone(),
        };
        Ok(Resolved {
            desired: Desired {
                obj_ref,
                origin: m.origin.to_string(),
                object: std::sync::Arc::new(object),
            },
            kind,
        })
    }

    fn api(&self, kind: &Kind, namespace: Option<&str>) -> Api<DynamicObject> {
        let client = self.clusters.for_group(&kind.resource.group).clone();
        match namespace {
            Some(ns) if kind.namespaced => Api::namespaced_with(client, ns, &kind.resource),
            _ => Api::all_with(client, &kind.resource),
        }
    }

    /// Computes the plan for a snapshot against what is live now (no writes).
    pub async fn plan(&mut self, snapshot: &Snapshot) -> Result<Planned, SyncError> {
        if snapshot.objects.is_empty() && !self.cfg.allow_empty {
            return Err(SyncError::EmptySnapshot {
                commit: snapshot.commit.id.clone(),
            });
        }
        if self.inventory.is_none() {
            let inv = Inventory::load(
                self.clusters.main().clone(),
                &self.cfg.inventory_namespace,
                &self.cfg.source,
            )
            .await
            .map_err(SyncError::Inventory)?;
            self.inventory = Some(inv);
        }
        let resolved = self.resolve(snapshot).await?;
        let inventory = self
            .inventory
            .as_ref()
            .map(|i| i.objects.clone())
            .unwrap_or_default();
        for r in &resolved {
            if let Some(k) = &r.kind {
                self.live.ensure(k).await;
            }
        }
        for r in &inventory {
            if let Ok(k) = self.kinds.resolve(&r.api_version, &r.kind).await {
                self.live.ensure(&k).await;
            }
        }
        let (desired, kinds) = split(resolved);
        let managed = managed_of(&desired);
        let plan = plan::plan(&desired, |id| self.live.get(id), &inventory, &managed);
        Ok(Planned {
            plan,
            desired,
            kinds,
            managed,
        })
    }

    /// What a pass would change, as unified diffs (reads live objects directly, writes nothing).
    /// Objects of this source's inventory that left Git are shown as removed.
    pub async fn diff(&mut self, snapshot: &Snapshot) -> Result<Vec<String>, SyncError> {
        let resolved = self.resolve(snapshot).await?;
        let desired: Vec<Desired> = resolved.iter().map(|r| r.desired.clone()).collect();
        let managed = managed_of(&desired);
        let mut out = vec![];
        let mut failures = vec![];
        for r in &resolved {
            let d = &r.desired;
            let live = match &r.kind {
                Some(kind) => {
                    let api = self.api(kind, d.obj_ref.namespace.as_deref());
                    match with_backoff(5, || api.get_opt(&d.obj_ref.name)).await {
                        Ok(o) => o.and_then(|o| serde_json::to_value(o).ok()),
                        Err(e) => {
                            failures.push(ObjectFailure {
                                origin: d.origin.clone(),
                                object: d.obj_ref.to_string(),
                                message: self.failure(d.obj_ref.group(), &e),
                            });
                            continue;
                        }
                    }
                }
                None => None,
            };
            let ns = d.obj_ref.namespace.clone().unwrap_or_default();
            let (body, _) = managed.mask(&ns, &d.object, live.as_ref());
            if let Some(text) = super::diff::object_diff(&d.obj_ref, live.as_ref(), &body) {
                out.push(text);
            }
        }
        if !failures.is_empty() {
            return Err(SyncError::Apply {
                commit: snapshot.commit.id.clone(),
                failures,
            });
        }
        let inventory = Inventory::load(
            self.clusters.main().clone(),
            &self.cfg.inventory_namespace,
            &self.cfg.source,
        )
        .await
        .map_err(SyncError::Inventory)?;
        let wanted: BTreeSet<_> = desired.iter().map(|d| d.obj_ref.id()).collect();
        for r in inventory
            .objects
            .iter()
            .filter(|r| !wanted.contains(&r.id()))
        {
            let Ok(kind) = self.kinds.resolve(&r.api_version, &r.kind).await else {
                continue;
            };
            let api = self.api(&kind, r.namespace.as_deref());
            if let Ok(Some(live)) = with_backoff(5, || api.get_opt(&r.name)).await
                && let Ok(v) = serde_json::to_value(live)
            {
                out.push(super::diff::prune_diff(r, &v));
            }
        }
        Ok(out)
    }

    /// One full pass: plan, dry-run, apply, prune, inventory, events.
    pub async fn sync(&mut self, snapshot: &Snapshot) -> Result<PassReport, SyncError> {
        let dirty = self.live.take_dirty();
        if let Some((digest, commit, report, at)) = &self.clean
            && !dirty
            && *digest == snapshot.digest
            && *commit == snapshot.commit.id
            && at.elapsed() < FULL_PASS_EVERY
        {
            return Ok(report.clone());
        }
        let report = self.full_pass(snapshot).await;
        self.clean = match &report {
            Ok(r) => Some((
                snapshot.digest,
                snapshot.commit.id.clone(),
                r.clone(),
                std::time::Instant::now(),
            )),
            Err(_) => None,
        };
        report
    }

    async fn full_pass(&mut self, snapshot: &Snapshot) -> Result<PassReport, SyncError> {
        let commit = snapshot.commit.id.clone();
        let Planned {
            plan,
            desired,
            kinds,
            managed,
        } = self.plan(snapshot).await?;

        // 1. Dry run of every write whose kind is served: all or nothing.
        let (failures, repairs) = self.dry_run(&plan.apply, &kinds).await;
        if !failures.is_empty() {
            return Err(SyncError::DryRun { commit, failures });
        }
        // From here on the cluster is moving to this snapshot: judge watch events against it, so the
        // events of our own writes are not taken for drift.
        self.live.set_expected(&desired, managed.clone());
        // 2. Apply wave by wave; kinds defined by CRDs of this snapshot become served after wave 0.
        let mut report = PassReport::default();
        let mut failures = vec![];
        let mut waves: BTreeMap<u8, Vec<&ApplyOp>> = BTreeMap::new();
        for op in &plan.apply {
            waves.entry(op.obj_ref.wave()).or_default().push(op);
        }
        for (wave, ops) in waves {
            for op in ops {
                let kind = match kinds.get(&op.obj_ref.id()).cloned().flatten() {
                    Some(k) => k,
                    None => self.wait_for_kind(&op.obj_ref, &commit).await?,
                };
                match self
                    .apply_one(op, &kind, &managed, repairs.contains(&op.obj_ref))
                    .await
                {
                    Ok(()) => {
                        report.applied += 1;
                        let state = if op.exists() {
                            ObjectState::Configured
                        } else {
                            ObjectState::Created
                        };
                        report.objects.push(ObjectStatus {
                            obj_ref: op.obj_ref.clone(),
                            origin: op.origin.clone(),
                            state,
                            message: None,
                        });
                        self.event(
                            &op.obj_ref,
                            &kind,
                            if op.exists() { "Configured" } else { "Created" },
                            &format!("applied from commit {} ({})", short(&commit), op.origin),
                        )
                        .await;
                    }
                    Err(message) => {
                        report.objects.push(ObjectStatus {
                            obj_ref: op.obj_ref.clone(),
                            origin: op.origin.clone(),
                            state: ObjectState::Failed,
                            message: Some(message.clone()),
                        });
                        failures.push(ObjectFailure {
                            origin: op.origin.clone(),
                            object: op.obj_ref.to_string(),
                            message,
                        });
                    }
                }
            }
            if !failures.is_empty() {
                // Later waves depend on this one; stop here and report.
                warn!(wave, "apply failed; later waves not applied");
                return Err(SyncError::Apply { commit, failures });
            }
        }
        let origins: std::collections::HashMap<&ObjRef, &str> = desired
            .iter()
            .map(|d| (&d.obj_ref, d.origin.as_str()))
            .collect();
        for r in &plan.unchanged {
            let origin = origins.get(r).map(|o| o.to_string()).unwrap_or_default();
            report.objects.push(ObjectStatus {
                obj_ref: r.clone(),
                origin,
                state: ObjectState::Synced,
                message: None,
            });
        }
        // 3. Prune what left Git (reverse waves).
        for r in &plan.prune {
            match self.prune_one(r).await {
                Ok(()) => {
                    report.pruned += 1;
                    report.objects.push(ObjectStatus {
                        obj_ref: r.clone(),
                        origin: String::new(),
                        state: ObjectState::Pruned,
                        message: None,
                    });
                }
                Err(message) => failures.push(ObjectFailure {
                    origin: "(inventory)".into(),
                    object: r.to_string(),
                    message,
                }),
            }
        }
        for r in &plan.kept {
            report.objects.push(ObjectStatus {
                obj_ref: r.clone(),
                origin: String::new(),
                state: ObjectState::Kept,
                message: Some(format!(
                    "left Git; kept because of {}: \"false\"",
                    plan::PRUNE_ANNOTATION
                )),
            });
        }
        // 4. Git changes to rollout-owned fields: reported once, not applied.
        let (new, active) = self.ignored.observe(&plan.ignored);
        for f in &new {
            warn!(object = %f.object, field = %f.field, git = %f.git, live = %f.live,
                "a commit changed a field the rollout controller owns; not applied");
        }
        report.newly_ignored = new;
        report.ignored = active;
        // 5. The inventory now holds exactly what Git holds (failed prunes stay for the next pass).
        let mut next: BTreeSet<ObjRef> = desired.iter().map(|d| d.obj_ref.clone()).collect();
        for f in &failures {
            if let Some(r) = plan.prune.iter().find(|r| r.to_string() == f.object) {
                next.insert(r.clone());
            }
        }
        if let Some(inv) = self.inventory.as_mut() {
            inv.save(next, &self.cfg.source, &commit)
                .await
                .map_err(SyncError::Inventory)?;
        }
        if !failures.is_empty() {
            return Err(SyncError::Apply { commit, failures });
        }
        info!(commit = %short(&commit), applied = report.applied, pruned = report.pruned, unchanged = plan.unchanged.len(), "sync pass done");
        Ok(report)
    }

    /// Dry-runs every write whose kind is served. Returns the failures, and the objects whose drift
    /// server-side apply alone cannot undo (see [`normalize::repair_patch`]); those get a merge patch
    /// first, itself dry-run here.
    async fn dry_run(
        &self,
        ops: &[ApplyOp],
        kinds: &BTreeMap<Id, Option<Kind>>,
    ) -> (Vec<ObjectFailure>, BTreeSet<ObjRef>) {
        let jobs: Vec<_> = ops
            .iter()
            .filter_map(|op| {
                let kind = kinds.get(&op.obj_ref.id()).cloned().flatten()?;
                let api = self.api(&kind, op.obj_ref.namespace.as_deref());
                Some(async move { (op, dry_run_one(&api, op).await) })
            })
            .collect();
        let results: Vec<_> = futures::stream::iter(jobs)
            .buffer_unordered(8)
            .collect()
            .await;
        let mut failures = vec![];
        let mut repairs = BTreeSet::new();
        for (op, r) in results {
            match r {
                Ok(false) => {}
                Ok(true) => {
                    repairs.insert(op.obj_ref.clone());
                }
                Err(e) => failures.push(ObjectFailure {
                    origin: op.origin.clone(),
                    object: op.obj_ref.to_string(),
                    message: self.failure(op.obj_ref.group(), &e),
                }),
            }
        }
        (failures, repairs)
    }

    /// Applies one object. Objects with rollout-owned fields are re-read first and written with the
    /// resourceVersion their live values came from (a conflict re-reads and retries), so a concurrent
    /// controller write is never overwritten. `repair` sends a merge patch of the drifted fields first.
    async fn apply_one(
        &self,
        op: &ApplyOp,
        kind: &Kind,
        managed: &Managed,
        repair: bool,
    ) -> Result<(), String> {
        let api = self.api(kind, op.obj_ref.namespace.as_deref());
        let failure = |e: &kube::Error| self.failure(op.obj_ref.group(), e);
        let pp = PatchParams::apply(FIELD_MANAGER).force();
        let ns = op.obj_ref.namespace.clone().unwrap_or_default();
        let masked = managed.touches(&op.obj_ref.kind, &ns, &op.obj_ref.name);
        for _ in 0..5 {
            let mut body = (*op.body).clone();
            let mut live = op.live.clone();
            if (masked || repair) && op.exists() {
                live = with_backoff(5, || api.get_opt(&op.obj_ref.name))
                    .await
                    .map_err(|e| failure(&e))?
                    .and_then(|l| serde_json::to_value(l).ok())
                    .map(std::sync::Arc::new);
                if masked {
                    let desired = self.desired_body(op);
                    body = managed.mask(&ns, &desired, live.as_deref()).0.into_owned();
                }
            }
            let rv = live
                .as_ref()
                .and_then(|l| l.pointer("/metadata/resourceVersion"))
                .cloned();
            if repair
                && let (Some(l), Some(rv)) = (&live, &rv)
                && let Some(mut fix) = normalize::repair_patch(&body, l)
            {
                fix["metadata"]["resourceVersion"] = rv.clone();
                let mp = PatchParams {
                    field_manager: Some(FIELD_MANAGER.into()),
                    ..Default::default()
                };
                let patch = Patch::Merge(&fix);
                match with_backoff(5, || api.patch(&op.obj_ref.name, &mp, &patch)).await {
                    Ok(obj) => {
                        self.live.own_write(obj.metadata.resource_version.clone());
                        if let Some(new_rv) = obj.metadata.resource_version
                            && masked
                        {
                            body["metadata"]["resourceVersion"] = Value::String(new_rv);
                        }
                    }
                    Err(kube::Error::Api(s)) if s.code == 409 => continue,
                    Err(e) => return Err(failure(&e)),
                }
            } else if masked && let Some(rv) = rv {
                body["metadata"]["resourceVersion"] = rv;
            }
            let patch = Patch::Apply(&body);
            match with_backoff(5, || api.patch(&op.obj_ref.name, &pp, &patch)).await {
                Ok(obj) => {
                    self.live.own_write(obj.metadata.resource_version.clone());
                    self.live.put(op.obj_ref.id(), Some(obj));
                    return Ok(());
                }
                Err(kube::Error::Api(s)) if s.code == 409 && masked => {
                    tracing::debug!(object = %op.obj_ref, "object changed while applying; re-reading");
                    continue;
                }
                Err(e) => return Err(failure(&e)),
            }
        }
        Err(self.clusters.qualify(
            op.obj_ref.group(),
            "the object kept changing while it was applied".into(),
        ))
    }

    /// The unmasked desired object for an op (the plan stores the masked body).
    fn desired_body(&self, op: &ApplyOp) -> Value {
        let mut b = (*op.body).clone();
        if let Some(m) = b.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("resourceVersion");
        }
        b
    }

    async fn prune_one(&self, r: &ObjRef) -> Result<(), String> {
        let kind = self
            .kinds
            .resolve(&r.api_version, &r.kind)
            .await
            .map_err(|e| self.failure(r.group(), &e))?;
        let api = self.api(&kind, r.namespace.as_deref());
        let dp = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Background),
            ..Default::default()
        };
        match with_backoff(5, || api.delete(&r.name, &dp)).await {
            Ok(_) => {
                self.live.put(r.id(), None);
                info!(object = %r, "pruned (removed from Git)");
                Ok(())
            }
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(self.failure(r.group(), &e)),
        }
    }

    /// After wave 0, waits until a kind defined by a CRD of this snapshot is served.
    async fn wait_for_kind(&self, r: &ObjRef, commit: &str) -> Result<Kind, SyncError> {
        let waited = Duration::from_secs(30);
        let deadline = tokio::time::Instant::now() + waited;
        loop {
            if let Ok(k) = self.kinds.resolve(&r.api_version, &r.kind).await {
                self.live.ensure(&k).await;
                return Ok(k);
            }
            if tokio::time::Instant::now() > deadline {
                return Err(SyncError::CrdNotServed {
                    commit: commit.to_string(),
                    name: format!("{} {}", r.api_version, r.kind),
                    server: self
                        .clusters
                        .name_of(r.group())
                        .unwrap_or_else(|| "the API server".into()),
                    waited,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn event(&self, r: &ObjRef, kind: &Kind, reason: &str, note: &str) {
        let reference = k8s_openapi::api::core::v1::ObjectReference {
            api_version: Some(r.api_version.clone()),
            kind: Some(kind.resource.kind.clone()),
            name: Some(r.name.clone()),
            namespace: r.namespace.clone(),
            ..Default::default()
        };
        let ev = kube::runtime::events::Event {
            type_: kube::runtime::events::EventType::Normal,
            reason: reason.into(),
            note: Some(note.into()),
            action: "Sync".into(),
            secondary: None,
        };
        let recorder = match crate::cluster::cluster_of(r.group()) {
            crate::cluster::Cluster::Main => &self.recorders.main,
            crate::cluster::Cluster::Mesh => &self.recorders.mesh,
        };
        if let Err(e) = recorder.publish(&ev, &reference).await {
            tracing::debug!(object = %r, error = %e, "could not record event");
        }
    }
}

/// Rollouts in the desired set decide which fields are rollout-owned.
pub fn managed_of(desired: &[Desired]) -> Managed {
    Managed::from_rollouts(
        desired
            .iter()
            .filter(|d| d.obj_ref.kind == "Rollout" && d.obj_ref.group() == "argoproj.io")
            .map(|d| {
                (
                    d.obj_ref.namespace.as_deref().unwrap_or_default(),
                    &*d.object,
                )
            }),
    )
}

/// The server's own words for an API error (what a person can act on).
pub fn api_message(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => s.message.clone(),
        other => other.to_string(),
    }
}

/// Dry-runs one object's apply. `Ok(true)`: the apply alone would not remove the drift (or the
/// server refuses the merged result), but a merge patch of the drifted fields first would.
async fn dry_run_one(api: &Api<DynamicObject>, op: &ApplyOp) -> Result<bool, kube::Error> {
    let pp = PatchParams::apply(FIELD_MANAGER).force().dry_run();
    let patch = Patch::Apply(&*op.body);
    let applied = with_backoff(5, || api.patch(&op.obj_ref.name, &pp, &patch)).await;
    let needs_repair = match (&applied, &op.live) {
        (Ok(obj), Some(_)) => serde_json::to_value(obj)
            .map(|v| !normalize::is_subset(&op.body, &v))
            .unwrap_or(false),
        (Err(kube::Error::Api(s)), Some(_)) if s.code == 422 || s.code == 409 => true,
        (Err(_), _) => return applied.map(|_| false),
        (Ok(_), None) => false,
    };
    if !needs_repair {
        return Ok(false);
    }
    let Some(fix) = op
        .live
        .as_ref()
        .and_then(|l| normalize::repair_patch(&op.body, l))
    else {
        // Nothing to patch: report the apply's own error, if it had one.
        return applied.map(|_| false);
    };
    let mp = PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        dry_run: true,
        ..Default::default()
    };
    let patch = Patch::Merge(&fix);
    with_backoff(5, || api.patch(&op.obj_ref.name, &mp, &patch)).await?;
    Ok(true)
}
