//! The verbs (create, get, list, update, patch, delete) over the store, independent of HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};

use crate::admit::{self, WriteKind};
use crate::apply::{self, ApplyCtx, UpdateCtx};
use crate::crd;
use crate::error::ApiError;
use crate::faults::Faults;
use crate::patch::{self, PatchType};
use crate::resources::{GroupResource, ResourceType};
use crate::store::{CommitError, ObjKey, Store, object_rv};

/// How a write was asked for, from the query string.
#[derive(Clone, Debug, Default)]
pub struct WriteOpts {
    pub dry_run: bool,
    pub manager: String,
    pub force: bool,
    pub strict: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Propagation {
    #[default]
    Background,
    Foreground,
    Orphan,
}

#[derive(Clone, Debug, Default)]
pub struct DeleteOpts {
    pub dry_run: bool,
    pub propagation: Option<Propagation>,
    pub precondition_rv: Option<u64>,
    pub precondition_uid: Option<String>,
}

/// The in-memory cluster: storage plus the bits of control plane every write goes through.
pub struct Cluster {
    pub store: Arc<Store>,
    pub faults: Faults,
    /// Requests received per API group.
    pub requests: crate::requests::RequestCounts,
    next_ip: AtomicU32,
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn key_of(rt: &ResourceType, ns: &str, name: &str) -> ObjKey {
    (
        if rt.namespaced {
            ns.to_string()
        } else {
            String::new()
        },
        name.to_string(),
    )
}

/// Objects are stored at the storage version; a read at another served version only rewrites apiVersion
/// (CRDs here use conversion strategy `None`, exactly as that strategy behaves on a real server).
pub fn at_version(rt: &ResourceType, version: &str, obj: &Value) -> Value {
    let mut out = obj.clone();
    if let Some(m) = out.as_object_mut() {
        m.insert("apiVersion".into(), Value::String(rt.api_version(version)));
    }
    out
}

impl Cluster {
    pub fn new(store: Arc<Store>) -> Self {
        Cluster {
            store,
            faults: Faults::default(),
            requests: Default::default(),
            next_ip: AtomicU32::new(10),
        }
    }

    pub fn resource(
        &self,
        group: &str,
        version: &str,
        plural: &str,
    ) -> Result<Arc<ResourceType>, ApiError> {
        self.store
            .lock()
            .registry
            .lookup(group, version, plural)
            .cloned()
            .ok_or_else(ApiError::not_found_path)
    }

    pub fn get(&self, rt: &ResourceType, ns: &str, name: &str) -> Result<Arc<Value>, ApiError> {
        self.store
            .get(&rt.group_resource(), &key_of(rt, ns, name))
            .ok_or_else(|| ApiError::not_found(rt, name))
    }

    fn check_namespace(&self, rt: &ResourceType, ns: &str) -> Result<(), ApiError> {
        if !rt.namespaced {
            return Ok(());
        }
        let gr = GroupResource {
            group: String::new(),
            resource: "namespaces".into(),
        };
        match self.store.get(&gr, &(String::new(), ns.to_string())) {
            None => Err(ApiError::namespace_not_found(ns)),
            Some(n) if n.pointer("/metadata/deletionTimestamp").is_some() => {
                Err(ApiError::forbidden(format!(
                    "{} \"{}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                    rt.group_resource(),
                    "",
                )))
            }
            Some(_) => Ok(()),
        }
    }

    pub fn create(
        &self,
        rt: &ResourceType,
        version: &str,
        ns: &str,
        mut obj: Value,
        opts: &WriteOpts,
    ) -> Result<Value, ApiError> {
        admit::check_identity(rt, version, ns, &mut obj)?;
        let name = match obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        {
            Some(n) => n.to_string(),
            None => match obj
                .pointer("/metadata/generateName")
                .and_then(Value::as_str)
            {
                Some(prefix) => {
                    let name = format!("{prefix}{}", random_suffix(5));
                    obj["metadata"]["name"] = Value::String(name.clone());
                    name
                }
                None => {
                    return Err(ApiError::invalid(
                        rt,
                        "",
                        &[crate::field_error::FieldError {
                            reason: crate::field_error::FieldErrorType::Required,
                            field: "metadata.name".into(),
                            message: "name or generateName is required".into(),
                        }],
                    ));
                }
            },
        };
        self.check_namespace(rt, ns)?;
        let now = now_rfc3339();
        admit::init_system_fields(rt, &mut obj, &uuid::Uuid::new_v4().to_string(), &now);
        self.allocate(rt, &mut obj);
        let errors = admit::default_and_validate(rt, version, &mut obj);
        if !errors.is_empty() {
            return Err(ApiError::invalid(rt, &name, &errors));
        }
        if rt.group == "apiextensions.k8s.io" {
            crd::validate(&obj).map_err(|e| ApiError::invalid(rt, &name, &e))?;
        }
        // An apply that creates the object has already recorded its managed fields (empty manager here).
        if !opts.manager.is_empty() {
            apply::track_update(
                None,
                &mut obj,
                &UpdateCtx {
                    manager: &opts.manager,
                    types: &rt.types,
                    api_version: &rt.api_version(version),
                    subresource: None,
                    now: &now,
                },
            );
        }
        let stored = at_version(rt, rt.storage_version(), &obj);
        if opts.dry_run {
            return Ok(at_version(rt, version, &stored));
        }
        let key = key_of(rt, ns, &name);
        let out = self
            .store
            .commit(&rt.group_resource(), &key, None, true, Some(stored))
            .map_err(|e| match e {
                CommitError::AlreadyExists => ApiError::already_exists(rt, &name),
                other => ApiError::internal(other.to_string()),
            })?;
        self.after_write(rt, &out);
        Ok(at_version(rt, version, &out))
    }

    /// Cluster IPs for Services, so `kubectl get svc` looks like a cluster's.
    fn allocate(&self, rt: &ResourceType, obj: &mut Value) {
        if rt.group.is_empty() && rt.kind == "Service" {
            let ty = obj
                .pointer("/spec/type")
                .and_then(Value::as_str)
                .unwrap_or("ClusterIP");
            let has_ip = obj
                .pointer("/spec/clusterIP")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty());
            if ty != "ExternalName" && !has_ip {
                let n = self.next_ip.fetch_add(1, Ordering::Relaxed);
                let ip = format!("10.96.{}.{}", (n >> 8) & 0xff, n & 0xff);
                if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
                    spec.insert("clusterIP".into(), Value::String(ip.clone()));
                    spec.insert("clusterIPs".into(), json!([ip]));
                }
            }
        }
    }

    /// Replaces the object (PUT). `kind` says whether the main resource or `status` is written.
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &self,
        rt: &ResourceType,
        version: &str,
        ns: &str,
        name: &str,
        mut obj: Value,
        kind: WriteKind,
        opts: &WriteOpts,
    ) -> Result<Value, ApiError> {
        admit::check_identity(rt, version, ns, &mut obj)?;
        if obj.pointer("/metadata/name").and_then(Value::as_str) != Some(name) {
            return Err(ApiError::bad_request(
                "the name of the object does not match the name on the URL",
            ));
        }
        let sent_rv = obj
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .map(|s| s.to_string());
        let expected = match &sent_rv {
            Some(s) => Some(s.parse::<u64>().map_err(|_| {
                ApiError::bad_request(format!("invalid resourceVersion {s:?}: must be an integer"))
            })?),
            None if rt.custom => {
                return Err(ApiError::invalid(
                    rt,
                    name,
                    &[crate::field_error::FieldError {
                        reason: crate::field_error::FieldErrorType::Invalid,
                        field: "metadata.resourceVersion".into(),
                        message: "Invalid value: 0x0: must be specified for an update".into(),
                    }],
                ));
            }
            None => None,
        };
        let old = self.get(rt, ns, name)?;
        if let Some(e) = expected
            && e != object_rv(&old)
        {
            return Err(ApiError::conflict(rt, name));
        }
        self.write(
            rt,
            version,
            ns,
            name,
            &old,
            obj,
            kind,
            opts,
            expected.or(Some(object_rv(&old))),
            None,
        )
    }

    /// The common tail of update and patch: system fields, admission, managed fields, commit.
    #[allow(clippy::too_many_arguments)]
    fn write(
        &self,
        rt: &ResourceType,
        version: &str,
        ns: &str,
        name: &str,
        old: &Value,
        mut obj: Value,
        kind: WriteKind,
        opts: &WriteOpts,
        expected_rv: Option<u64>,
        applied: Option<()>,
    ) -> Result<Value, ApiError> {
        let old_at_version = at_version(rt, version, old);
        admit::carry_over(rt, kind, &old_at_version, &mut obj)
            .map_err(|errs| ApiError::invalid(rt, name, &errs))?;
        let errors = admit::default_and_validate(rt, version, &mut obj);
        if !errors.is_empty() {
            return Err(ApiError::invalid(rt, name, &errors));
        }
        if rt.group == "apiextensions.k8s.io" {
            crd::validate(&obj).map_err(|e| ApiError::invalid(rt, name, &e))?;
        }
        let now = now_rfc3339();
        if applied.is_none() {
            let sub = (kind == WriteKind::Status).then_some("status");
            apply::track_update(
                Some(&old_at_version),
                &mut obj,
                &UpdateCtx {
                    manager: &opts.manager,
                    types: &rt.types,
                    api_version: &rt.api_version(version),
                    subresource: sub,
                    now: &now,
                },
            );
        }
        // An unchanged object is not written: no new resourceVersion, no watch event (as the real server).
        if strip_rv(&obj) == strip_rv(&old_at_version) {
            return Ok(old_at_version);
        }
        let finalized = obj.pointer("/metadata/deletionTimestamp").is_some()
            && obj
                .pointer("/metadata/finalizers")
                .and_then(Value::as_array)
                .is_none_or(|f| f.is_empty());
        if opts.dry_run {
            return Ok(obj);
        }
        let key = key_of(rt, ns, name);
        let stored = at_version(rt, rt.storage_version(), &obj);
        let new = if finalized { None } else { Some(stored) };
        let out = self
            .store
            .commit(&rt.group_resource(), &key, expected_rv, false, new)
            .map_err(|e| match e {
                CommitError::Conflict => ApiError::conflict(rt, name),
                CommitError::NotFound => ApiError::not_found(rt, name),
                CommitError::AlreadyExists => ApiError::already_exists(rt, name),
            })?;
        self.after_write(rt, &out);
        Ok(at_version(rt, version, &out))
    }

    /// PATCH of any of the four types. Returns the object and whether it was created (apply only).
    #[allow(clippy::too_many_arguments)]
    pub fn patch(
        &self,
        rt: &ResourceType,
        version: &str,
        ns: &str,
        name: &str,
        ptype: PatchType,
        body: &[u8],
        kind: WriteKind,
        opts: &WriteOpts,
    ) -> Result<(Value, bool), ApiError> {
        // Patches are computed against a snapshot and retried if the object moved underneath.
        for _ in 0..16 {
            let old = match self.get(rt, ns, name) {
                Ok(o) => Some(o),
                Err(e) if ptype == PatchType::Apply && e.code == 404 => None,
                Err(e) => return Err(e),
            };
            let Some(old) = old else {
                let obj = patch::parse_apply_body(body)?;
                let now = now_rfc3339();
                let av = rt.api_version(version);
                let mut created = apply::server_side_apply(
                    None,
                    &obj,
                    &ApplyCtx {
                        manager: &opts.manager,
                        force: opts.force,
                        types: &rt.types,
                        api_version: &av,
                        subresource: None,
                        now: &now,
                    },
                )
                .map_err(|c| apply_conflict(rt, name, c))?;
                if let Some(m) = created.get_mut("metadata").and_then(Value::as_object_mut)
                    && !m.contains_key("name")
                {
                    m.insert("name".into(), Value::String(name.to_string()));
                }
                let opts2 = WriteOpts {
                    manager: String::new(),
                    ..opts.clone()
                };
                let out = self.create_applied(rt, version, ns, created, &opts2)?;
                return Ok((out, true));
            };
            let old_v = at_version(rt, version, &old);
            let rv = object_rv(&old);
            let (new, applied) = match ptype {
                PatchType::Apply => {
                    let obj = patch::parse_apply_body(body)?;
                    check_apply_identity(rt, version, name, &obj)?;
                    let now = now_rfc3339();
                    let av = rt.api_version(version);
                    let sub = (kind == WriteKind::Status).then_some("status");
                    let new = apply::server_side_apply(
                        Some(&old_v),
                        &obj,
                        &ApplyCtx {
                            manager: &opts.manager,
                            force: opts.force,
                            types: &rt.types,
                            api_version: &av,
                            subresource: sub,
                            now: &now,
                        },
                    )
                    .map_err(|c| apply_conflict(rt, name, c))?;
                    (new, Some(()))
                }
                other => (patch::apply_patch(other, &old_v, body, &rt.types)?, None),
            };
            // A patch may carry a resourceVersion precondition.
            let precondition = match new
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
            {
                Some(s)
                    if Some(s)
                        != old_v
                            .pointer("/metadata/resourceVersion")
                            .and_then(Value::as_str) =>
                {
                    return Err(ApiError::conflict(rt, name));
                }
                _ => rv,
            };
            match self.write(
                rt,
                version,
                ns,
                name,
                &old,
                new,
                kind,
                opts,
                Some(precondition),
                applied,
            ) {
                Err(e)
                    if e.code == 409
                        && e.reason == "Conflict"
                        && e.details.as_ref().and_then(|d| d.get("causes")).is_none() =>
                {
                    continue;
                }
                other => return other.map(|v| (v, false)),
            }
        }
        Err(ApiError::conflict(rt, name))
    }

    fn create_applied(
        &self,
        rt: &ResourceType,
        version: &str,
        ns: &str,
        obj: Value,
        opts: &WriteOpts,
    ) -> Result<Value, ApiError> {
        // The managed fields computed by the apply are kept: create's own tracking is skipped by the
        // empty manager name.
        self.create(rt, version, ns, obj, opts)
    }

    pub fn delete(
        &self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        opts: &DeleteOpts,
    ) -> Result<Value, ApiError> {
        let key = key_of(rt, ns, name);
        let gr = rt.group_resource();
        for _ in 0..16 {
            let old = self.get(rt, ns, name)?;
            if let Some(want) = &opts.precondition_uid
                && old.pointer("/metadata/uid").and_then(Value::as_str) != Some(want.as_str())
            {
                return Err(ApiError::conflict(rt, name));
            }
            if let Some(want) = opts.precondition_rv
                && object_rv(&old) != want
            {
                return Err(ApiError::conflict(rt, name));
            }
            let mut finalizers: Vec<Value> = old
                .pointer("/metadata/finalizers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let deleting = old.pointer("/metadata/deletionTimestamp").is_some();
            let propagation = opts.propagation.unwrap_or_default();
            let extra = match propagation {
                Propagation::Foreground => Some("foregroundDeletion"),
                Propagation::Orphan => Some("orphan"),
                Propagation::Background => None,
            };
            if let Some(f) = extra
                && !finalizers.iter().any(|x| x == f)
                && !deleting
            {
                finalizers.push(Value::String(f.into()));
            }
            // Namespaces always go through the namespace controller, which empties them first.
            let is_namespace = rt.group.is_empty() && rt.kind == "Namespace";
            if finalizers.is_empty() && !is_namespace {
                if opts.dry_run {
                    return Ok((*old).clone());
                }
                match self
                    .store
                    .commit(&gr, &key, Some(object_rv(&old)), false, None)
                {
                    Ok(out) => {
                        self.after_write(rt, &out);
                        return Ok((*out).clone());
                    }
                    Err(CommitError::Conflict) => continue,
                    Err(CommitError::NotFound) => return Err(ApiError::not_found(rt, name)),
                    Err(e) => return Err(ApiError::internal(e.to_string())),
                }
            }
            if deleting {
                return Ok((*old).clone());
            }
            let mut new = (*old).clone();
            new["metadata"]["deletionTimestamp"] = Value::String(now_rfc3339());
            new["metadata"]["deletionGracePeriodSeconds"] = json!(0);
            if !finalizers.is_empty() {
                new["metadata"]["finalizers"] = Value::Array(finalizers);
            }
            if is_namespace && let Some(st) = new.get_mut("status").and_then(Value::as_object_mut) {
                st.insert("phase".into(), Value::String("Terminating".into()));
            }
            if opts.dry_run {
                return Ok(new);
            }
            match self
                .store
                .commit(&gr, &key, Some(object_rv(&old)), false, Some(new))
            {
                Ok(out) => return Ok((*out).clone()),
                Err(CommitError::Conflict) => continue,
                Err(CommitError::NotFound) => return Err(ApiError::not_found(rt, name)),
                Err(e) => return Err(ApiError::internal(e.to_string())),
            }
        }
        Err(ApiError::conflict(rt, name))
    }

    /// Side effects of a committed write that the real control plane performs synchronously enough for
    /// clients to rely on: CRDs start (or stop) serving their resource.
    fn after_write(&self, rt: &ResourceType, obj: &Arc<Value>) {
        if rt.group == "apiextensions.k8s.io" && rt.kind == "CustomResourceDefinition" {
            crd::sync_registration(self, obj);
        }
    }
}

fn strip_rv(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("resourceVersion");
        // managedFields timestamps alone do not make a write.
        if let Some(Value::Array(entries)) = m.get_mut("managedFields") {
            for e in entries {
                if let Some(e) = e.as_object_mut() {
                    e.remove("time");
                }
            }
        }
    }
    v
}

fn check_apply_identity(
    rt: &ResourceType,
    version: &str,
    name: &str,
    obj: &Value,
) -> Result<(), ApiError> {
    let av = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    if av.is_empty() || kind.is_empty() {
        return Err(ApiError::bad_request(
            "apiVersion and kind must be set in an apply patch",
        ));
    }
    if av != rt.api_version(version) || kind != rt.kind {
        return Err(ApiError::bad_request(format!(
            "the apply patch is for {av}, Kind={kind} but the URL is for {}, Kind={}",
            rt.api_version(version),
            rt.kind
        )));
    }
    if let Some(n) = obj.pointer("/metadata/name").and_then(Value::as_str)
        && n != name
    {
        return Err(ApiError::bad_request(
            "the name of the object does not match the name on the URL",
        ));
    }
    Ok(())
}

fn apply_conflict(rt: &ResourceType, name: &str, e: apply::ApplyError) -> ApiError {
    match e {
        apply::ApplyError::Conflicts(c) => {
            let causes = c
                .causes()
                .into_iter()
                .map(|cause| json!({"reason": cause.reason, "message": cause.message, "field": cause.field}))
                .collect();
            ApiError::apply_conflict(rt, name, c.message(), causes)
        }
        apply::ApplyError::BadRequest(m) => ApiError::bad_request(m),
        apply::ApplyError::Invalid(m) => ApiError::internal(format!(
            "failed to create typed patch object ({}): {m}",
            rt.qualified_kind()
        )),
    }
}

pub fn random_suffix(n: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}
