//! Server-side apply and `metadata.managedFields` bookkeeping, over plain
//! JSON values, following the real API server's field manager:
//!
//! * apply merges the applied configuration into the live object, removes
//!   fields the manager applied before but no longer applies (unless someone
//!   else owns them), reports conflicts with other managers whose fields would
//!   change, or with `force` takes those fields over;
//! * every other write ([`track_update`]) gives the fields it changed to its
//!   manager as an `Update` entry and takes them from everybody else.
//!
//! Also mirrored: `before-first-apply` for objects without managedFields,
//! the `kubectl` client-side-apply migration (last-applied annotation), the
//! cap of ten `Update` entries (`ancient-changes`), entry order and the
//! conflict messages.

use std::fmt;

use serde_json::{Map, Value, json};

use crate::fieldset::{FieldSet, Path, PathElement, field_path, list_item_pe, path_string};
use crate::typeinfo::{Node, TypeInfo};

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
const BEFORE_FIRST_APPLY: &str = "before-first-apply";
const ANCIENT_CHANGES: &str = "ancient-changes";
const MAX_UPDATE_MANAGERS: usize = 10;

/// Inputs of one server-side apply request.
#[derive(Clone, Copy, Debug)]
pub struct ApplyCtx<'a> {
    /// `fieldManager` of the request.
    pub manager: &'a str,
    /// `force=true`.
    pub force: bool,
    pub types: &'a TypeInfo,
    /// Group/version of the endpoint, e.g. `apps/v1` or `v1`.
    pub api_version: &'a str,
    /// `Some("status")` for the status subresource.
    pub subresource: Option<&'a str>,
    /// Current time, RFC 3339 with seconds (`2024-01-02T03:04:05Z`).
    pub now: &'a str,
}

/// Inputs of a non-apply write (create, update, patch).
#[derive(Clone, Copy, Debug)]
pub struct UpdateCtx<'a> {
    pub manager: &'a str,
    pub types: &'a TypeInfo,
    pub api_version: &'a str,
    pub subresource: Option<&'a str>,
    pub now: &'a str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operation {
    Apply,
    Update,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// One entry of `metadata.managedFields`.
#[derive(Clone, Debug, PartialEq)]
pub struct ManagedFieldsEntry {
    pub manager: String,
    pub operation: Operation,
    pub api_version: String,
    pub time: Option<String>,
    pub subresource: Option<String>,
    pub fields: FieldSet,
}

impl ManagedFieldsEntry {
    /// Same manager identity: apply entries ignore the API version.
    fn is(&self, manager: &str, op: Operation, api_version: &str, sub: Option<&str>) -> bool {
        self.manager == manager
            && self.operation == op
            && self.subresource.as_deref() == sub
            && (op == Operation::Apply || self.api_version == api_version)
    }

    /// The identifier the server keys managers by (and sorts conflicts by).
    fn identifier(&self) -> String {
        let mut m = Map::new();
        m.insert("manager".into(), json!(self.manager));
        m.insert("operation".into(), json!(self.operation.as_str()));
        if self.operation == Operation::Update && !self.api_version.is_empty() {
            m.insert("apiVersion".into(), json!(self.api_version));
        }
        if let Some(s) = &self.subresource {
            m.insert("subresource".into(), json!(s));
        }
        Value::Object(m).to_string()
    }

    /// How conflicts name this manager: `"m"`, `"m" using apps/v1`,
    /// `"m" with subresource "status" using v1`.
    pub fn describe(&self) -> String {
        let mut s = format!("{:?}", self.manager);
        if let Some(sub) = &self.subresource {
            s.push_str(&format!(" with subresource {sub:?}"));
        }
        if self.operation == Operation::Update {
            s.push_str(&format!(" using {}", self.api_version));
        }
        s
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("manager".into(), json!(self.manager));
        m.insert("operation".into(), json!(self.operation.as_str()));
        m.insert("apiVersion".into(), json!(self.api_version));
        if let Some(t) = &self.time {
            m.insert("time".into(), json!(t));
        }
        m.insert("fieldsType".into(), json!("FieldsV1"));
        m.insert("fieldsV1".into(), self.fields.to_fields_v1());
        if let Some(s) = &self.subresource {
            m.insert("subresource".into(), json!(s));
        }
        Value::Object(m)
    }

    pub fn from_json(v: &Value) -> Result<ManagedFieldsEntry, String> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let operation = match v.get("operation").and_then(Value::as_str) {
            Some("Apply") => Operation::Apply,
            Some("Update") => Operation::Update,
            other => return Err(format!("invalid managedFields operation {other:?}")),
        };
        match v.get("fieldsType").and_then(Value::as_str) {
            Some("FieldsV1") | None => {}
            Some(t) => return Err(format!("unsupported fieldsType {t:?}")),
        }
        let fields = match v.get("fieldsV1") {
            Some(f) => FieldSet::from_fields_v1(f)?,
            None => FieldSet::new(),
        };
        Ok(ManagedFieldsEntry {
            manager: s("manager").unwrap_or_default(),
            operation,
            api_version: s("apiVersion").unwrap_or_default(),
            time: s("time"),
            subresource: s("subresource").filter(|s| !s.is_empty()),
            fields,
        })
    }
}

/// Parse `metadata.managedFields` of an object (absent = none).
pub fn decode_managed_fields(obj: &Value) -> Result<Vec<ManagedFieldsEntry>, String> {
    match obj.pointer("/metadata/managedFields") {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(a)) => a.iter().map(ManagedFieldsEntry::from_json).collect(),
        Some(_) => Err("metadata.managedFields must be a list".into()),
    }
}

fn unix_seconds(t: &Option<String>) -> i64 {
    t.as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp())
        .unwrap_or(0)
}

/// Encode entries in the server's order (Apply before Update, then by time,
/// manager, API version, subresource).
pub fn encode_managed_fields(entries: &[ManagedFieldsEntry]) -> Value {
    let mut sorted: Vec<&ManagedFieldsEntry> = entries.iter().collect();
    sorted.sort_by(|p, q| {
        p.operation
            .cmp(&q.operation)
            .then_with(|| unix_seconds(&p.time).cmp(&unix_seconds(&q.time)))
            .then_with(|| p.manager.cmp(&q.manager))
            .then_with(|| p.api_version.cmp(&q.api_version))
            .then_with(|| p.subresource.cmp(&q.subresource))
    });
    Value::Array(
        sorted
            .into_iter()
            .map(ManagedFieldsEntry::to_json)
            .collect(),
    )
}

fn set_managed_fields(obj: &mut Value, entries: &[ManagedFieldsEntry]) {
    let Some(o) = obj.as_object_mut() else {
        return;
    };
    let meta = o
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(m) = meta.as_object_mut() {
        if entries.is_empty() {
            m.remove("managedFields");
        } else {
            m.insert("managedFields".into(), encode_managed_fields(entries));
        }
    }
}

fn without_managed_fields(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
    v
}

// ---------------------------------------------------------------------------
// Errors.

/// One field that another manager owns with a different value.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    /// The other manager's name.
    pub manager: String,
    /// How the server names it: `"m"` for an applier, `"m" using apps/v1` for
    /// an updater.
    pub manager_description: String,
    identifier: String,
    /// The field, e.g. `.spec.replicas`.
    pub field: String,
    path: Path,
}

/// A `StatusCause` of a conflict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConflictCause {
    /// Always `FieldManagerConflict`.
    pub reason: &'static str,
    /// `conflict with "M" using apps/v1`.
    pub message: String,
    /// `.spec.replicas`.
    pub field: String,
}

/// Apply conflicts (409 Conflict).
#[derive(Clone, Debug, PartialEq)]
pub struct ApplyConflicts {
    pub conflicts: Vec<Conflict>,
}

impl ApplyConflicts {
    /// The Status message: `Apply failed with 1 conflict: conflict with "m"
    /// using apps/v1: .spec.replicas`, or for several conflicts one
    /// `conflicts with "m":` line per manager followed by `- <field>` lines.
    pub fn message(&self) -> String {
        if let [c] = self.conflicts.as_slice() {
            return format!(
                "Apply failed with 1 conflict: conflict with {}: {}",
                c.manager_description, c.field
            );
        }
        let mut ids: Vec<&str> = self
            .conflicts
            .iter()
            .map(|c| c.identifier.as_str())
            .collect();
        ids.sort();
        ids.dedup();
        let mut lines = Vec::new();
        for id in ids {
            let of: Vec<&Conflict> = self
                .conflicts
                .iter()
                .filter(|c| c.identifier == id)
                .collect();
            lines.push(format!("conflicts with {}:", of[0].manager_description));
            for c in of {
                lines.push(format!("- {}", c.field));
            }
        }
        format!(
            "Apply failed with {} conflicts: {}",
            self.conflicts.len(),
            lines.join("\n")
        )
    }

    pub fn causes(&self) -> Vec<ConflictCause> {
        self.conflicts
            .iter()
            .map(|c| ConflictCause {
                reason: "FieldManagerConflict",
                message: format!("conflict with {}", c.manager_description),
                field: c.field.clone(),
            })
            .collect()
    }

    /// The whole `Status` body the server sends with the 409.
    pub fn to_status(&self) -> Value {
        let causes: Vec<Value> = self
            .causes()
            .into_iter()
            .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
            .collect();
        json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message(),
            "reason": "Conflict",
            "details": {"causes": causes},
            "code": 409
        })
    }
}

impl fmt::Display for ApplyConflicts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ApplyConflicts {}

/// Why an apply failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ApplyError {
    /// 409 Conflict; see [`ApplyConflicts::to_status`].
    #[error("{0}")]
    Conflicts(ApplyConflicts),
    /// 400 Bad Request: wrong apiVersion/kind/name, managedFields set, not an
    /// object.
    #[error("{0}")]
    BadRequest(String),
    /// The applied configuration does not fit the schema (an element without
    /// its list key, duplicate keys). The real server answers 500 with
    /// "failed to create typed patch object (...): <this message>".
    #[error("{0}")]
    Invalid(String),
}

// ---------------------------------------------------------------------------
// Field paths the server never tracks, and reset fields.

fn strip_set() -> FieldSet {
    let mut s = FieldSet::new();
    for p in [&["apiVersion"][..], &["kind"], &["metadata"]] {
        s.insert(&field_path(p));
    }
    for f in [
        "name",
        "namespace",
        "creationTimestamp",
        "selfLink",
        "uid",
        "clusterName",
        "generation",
        "managedFields",
        "resourceVersion",
    ] {
        s.insert(&field_path(&["metadata", f]));
    }
    s
}

fn strip(set: &FieldSet) -> FieldSet {
    set.difference(&strip_set())
}

/// Fields the write may not change (the strategy resets them): `status` on
/// the main resource of a kind with a status subresource, `spec` on `/status`.
fn ignored(types: &TypeInfo, subresource: Option<&str>) -> FieldSet {
    let mut s = FieldSet::new();
    match subresource {
        None if types.has_status_subresource() => s.insert(&field_path(&["status"])),
        Some("status") => s.insert(&field_path(&["spec"])),
        _ => {}
    }
    s
}

// ---------------------------------------------------------------------------
// Walkers over values with the schema: field sets, comparison, merge, removal.

fn fields_of(v: &Value, types: &TypeInfo) -> FieldSet {
    let mut out = FieldSet::new();
    lenient_fields(v, types.root(), &mut Vec::new(), &mut out);
    out
}

/// Like `FieldSet::from_object`, skipping list items that have no key.
fn lenient_fields(v: &Value, node: &Node, path: &mut Path, out: &mut FieldSet) {
    match v {
        Value::Object(m) => {
            if node.is_atomic_map() || matches!(node, Node::Scalar | Node::List { .. }) {
                out.insert(path);
                return;
            }
            for (k, val) in m {
                let (child, named) = node.child(k);
                path.push(PathElement::Field(k.clone()));
                lenient_fields(val, child, path, out);
                if !named {
                    out.insert(path);
                }
                path.pop();
            }
        }
        Value::Array(items) => {
            if !is_granular_list(node) {
                out.insert(path);
                return;
            }
            for (i, item) in items.iter().enumerate() {
                if let Ok(pe) = list_item_pe(node, i, item) {
                    path.push(pe);
                    lenient_fields(item, node.elem(), path, out);
                    out.insert(path);
                    path.pop();
                }
            }
        }
        Value::Null => {
            if matches!(node, Node::Scalar | Node::Deduced) {
                out.insert(path);
            }
        }
        _ => out.insert(path),
    }
}

fn is_granular_list(node: &Node) -> bool {
    matches!(node, Node::List { .. }) && *node.list_kind() != crate::typeinfo::ListType::Atomic
}

fn is_granular_map(node: &Node) -> bool {
    !node.is_atomic_map() && !matches!(node, Node::Scalar | Node::List { .. })
}

#[derive(Default, Debug)]
struct Comparison {
    added: FieldSet,
    removed: FieldSet,
    modified: FieldSet,
}

impl Comparison {
    fn exclude(self, fields: &FieldSet) -> Comparison {
        Comparison {
            added: self.added.recursive_difference(fields),
            removed: self.removed.recursive_difference(fields),
            modified: self.modified.recursive_difference(fields),
        }
    }

    fn changed(&self) -> FieldSet {
        self.modified.union(&self.added)
    }
}

fn compare(lhs: &Value, rhs: &Value, types: &TypeInfo) -> Comparison {
    let mut c = Comparison::default();
    compare_children(Some(lhs), Some(rhs), types.root(), &mut Vec::new(), &mut c);
    c
}

/// Items of a granular list keyed by path element (first of duplicates wins).
fn keyed_items<'v>(node: &Node, items: &'v [Value]) -> Vec<(PathElement, &'v Value)> {
    let mut out: Vec<(PathElement, &Value)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if let Ok(pe) = list_item_pe(node, i, item)
            && !out.iter().any(|(p, _)| *p == pe)
        {
            out.push((pe, item));
        }
    }
    out
}

/// Compare the contents of two values that are both present as containers
/// (or the root); returns false when they must be treated as one leaf.
fn compare_children(
    l: Option<&Value>,
    r: Option<&Value>,
    node: &Node,
    path: &mut Path,
    c: &mut Comparison,
) -> bool {
    let empty = |v: Option<&Value>| match v {
        None | Some(Value::Null) => true,
        Some(Value::Object(m)) => m.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    };
    let is_obj = |v: Option<&Value>| matches!(v, None | Some(Value::Null | Value::Object(_)));
    let is_arr = |v: Option<&Value>| matches!(v, None | Some(Value::Null | Value::Array(_)));
    if is_obj(l) && is_obj(r) && is_granular_map(node) && !(empty(l) && empty(r)) {
        let lm = l.and_then(Value::as_object);
        let rm = r.and_then(Value::as_object);
        let mut keys: Vec<&String> = lm.map(|m| m.keys().collect()).unwrap_or_default();
        if let Some(rm) = rm {
            for k in rm.keys() {
                if !lm.is_some_and(|m| m.contains_key(k)) {
                    keys.push(k);
                }
            }
        }
        for k in keys {
            let (child, _) = node.child(k);
            path.push(PathElement::Field(k.clone()));
            compare_node(
                lm.and_then(|m| m.get(k)),
                rm.and_then(|m| m.get(k)),
                child,
                path,
                c,
            );
            path.pop();
        }
        return true;
    }
    if is_arr(l) && is_arr(r) && is_granular_list(node) && !(empty(l) && empty(r)) {
        let li = keyed_items(
            node,
            l.and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]),
        );
        let ri = keyed_items(
            node,
            r.and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]),
        );
        for (pe, lv) in &li {
            let rv = ri.iter().find(|(p, _)| p == pe).map(|(_, v)| *v);
            path.push(pe.clone());
            compare_node(Some(lv), rv, node.elem(), path, c);
            path.pop();
        }
        for (pe, rv) in &ri {
            if !li.iter().any(|(p, _)| p == pe) {
                path.push(pe.clone());
                compare_node(None, Some(rv), node.elem(), path, c);
                path.pop();
            }
        }
        return true;
    }
    false
}

fn compare_node(
    l: Option<&Value>,
    r: Option<&Value>,
    node: &Node,
    path: &mut Path,
    c: &mut Comparison,
) {
    let container = compare_children(l, r, node, path, c);
    match (l, r) {
        (None, _) => c.added.insert(path),
        (_, None) => c.removed.insert(path),
        (Some(a), Some(b)) => {
            if !container && a != b {
                c.modified.insert(path);
            }
        }
    }
}

/// Merge the applied configuration `r` into `l`.
fn merge_value(
    l: Option<&Value>,
    r: &Value,
    node: &Node,
    path: &mut Path,
) -> Result<Value, String> {
    match r {
        Value::Object(rm) if is_granular_map(node) => {
            let mut out = match l {
                Some(Value::Object(lm)) => lm.clone(),
                _ => Map::new(),
            };
            for (k, rv) in rm {
                let (child, _) = node.child(k);
                path.push(PathElement::Field(k.clone()));
                let nv = merge_value(out.get(k), rv, child, path)?;
                path.pop();
                if nv.is_null() {
                    out.remove(k);
                } else {
                    out.insert(k.clone(), nv);
                }
            }
            Ok(Value::Object(out))
        }
        Value::Array(ra) if is_granular_list(node) => {
            let la = match l {
                Some(Value::Array(a)) => a.as_slice(),
                _ => &[],
            };
            merge_list(la, ra, node, path).map(Value::Array)
        }
        _ => Ok(r.clone()),
    }
}

/// Associative merge of two lists, ordered as the server does: items of the
/// applied list keep their relative order, live-only items stay where they
/// were relative to the shared ones.
fn merge_list(
    la: &[Value],
    ra: &[Value],
    node: &Node,
    path: &mut Path,
) -> Result<Vec<Value>, String> {
    let mut rpes: Vec<PathElement> = Vec::with_capacity(ra.len());
    for (i, item) in ra.iter().enumerate() {
        let pe = list_item_pe(node, i, item).map_err(|e| format!("{}: {e}", path_string(path)))?;
        if rpes.contains(&pe) {
            return Err(format!(
                "{}: duplicate entries for key {}",
                path_string(path),
                describe_key(&pe)
            ));
        }
        rpes.push(pe);
    }
    let lpes: Vec<Option<PathElement>> = la
        .iter()
        .enumerate()
        .map(|(i, item)| list_item_pe(node, i, item).ok())
        .collect();
    let l_of = |pe: &PathElement| {
        lpes.iter()
            .position(|p| p.as_ref() == Some(pe))
            .map(|i| &la[i])
    };
    let in_r = |pe: &Option<PathElement>| pe.as_ref().is_some_and(|pe| rpes.contains(pe));
    let shared: Vec<&PathElement> = rpes
        .iter()
        .filter(|pe| lpes.iter().any(|p| p.as_ref() == Some(*pe)))
        .collect();
    let mut next_shared = shared.into_iter();
    let mut want = next_shared.next();
    let mut merged_r: Vec<PathElement> = Vec::new();
    let mut out = Vec::with_capacity(la.len().max(ra.len()));
    let (mut li, mut ri) = (0, 0);
    while li < la.len() || ri < ra.len() {
        if li < la.len() && ri < ra.len() {
            if lpes[li].as_ref() == Some(&rpes[ri]) {
                let pe = rpes[ri].clone();
                path.push(pe.clone());
                out.push(merge_value(Some(&la[li]), &ra[ri], node.elem(), path)?);
                path.pop();
                merged_r.push(pe);
                li += 1;
                ri += 1;
                want = next_shared.next();
                continue;
            }
            if in_r(&lpes[li]) && want.is_some_and(|w| Some(w) != lpes[li].as_ref()) {
                li += 1;
                continue;
            }
        }
        if li < la.len() {
            if !in_r(&lpes[li]) {
                out.push(la[li].clone());
                li += 1;
                continue;
            }
            if lpes[li].as_ref().is_some_and(|pe| merged_r.contains(pe)) {
                li += 1;
                continue;
            }
        }
        if ri < ra.len() {
            let pe = rpes[ri].clone();
            path.push(pe.clone());
            out.push(merge_value(l_of(&pe), &ra[ri], node.elem(), path)?);
            path.pop();
            if want == Some(&pe) {
                want = next_shared.next();
            }
            merged_r.push(pe);
            ri += 1;
        }
    }
    Ok(out)
}

fn describe_key(pe: &PathElement) -> String {
    let s = pe.to_string();
    s.strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .map(|s| format!("[{s}]"))
        .unwrap_or(s)
}

/// Remove the paths of `set` from `v`; containers emptied by the removal
/// disappear.
fn remove_items(v: &Value, set: &FieldSet, node: &Node) -> Value {
    match v {
        Value::Object(m) if is_granular_map(node) => {
            let mut out = Map::new();
            for (k, val) in m {
                let pe = PathElement::Field(k.clone());
                if set.has(std::slice::from_ref(&pe)) {
                    continue;
                }
                match set.with_prefix(&pe) {
                    Some(sub) => {
                        let nv = remove_items(val, sub, node.child(k).0);
                        if !nv.is_null() || val.is_null() {
                            out.insert(k.clone(), nv);
                        }
                    }
                    None => {
                        out.insert(k.clone(), val.clone());
                    }
                }
            }
            if out.is_empty() && !m.is_empty() {
                Value::Null
            } else {
                Value::Object(out)
            }
        }
        Value::Array(items) if is_granular_list(node) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let Ok(pe) = list_item_pe(node, i, item) else {
                    out.push(item.clone());
                    continue;
                };
                if set.has(std::slice::from_ref(&pe)) {
                    continue;
                }
                match set.with_prefix(&pe) {
                    Some(sub) => {
                        let nv = remove_items(item, sub, node.elem());
                        if !nv.is_null() {
                            out.push(nv);
                        }
                    }
                    None => out.push(item.clone()),
                }
            }
            if out.is_empty() && !items.is_empty() {
                Value::Null
            } else {
                Value::Array(out)
            }
        }
        _ => v.clone(),
    }
}

fn remove_from_object(v: &Value, set: &FieldSet, types: &TypeInfo) -> Value {
    match remove_items(v, set, types.root()) {
        Value::Null => json!({}),
        other => other,
    }
}

/// Drop from `merged` what the applier owned last time and nobody owns now
/// (including the new configuration), as the server's prune does.
fn prune(
    merged: &Value,
    last: &FieldSet,
    managed: &[ManagedFieldsEntry],
    types: &TypeInfo,
) -> Value {
    if last.is_empty() {
        return merged.clone();
    }
    let root = types.root();
    let ens = |s: &FieldSet| s.ensure_named_fields_are_members(root);
    let all = managed
        .iter()
        .fold(FieldSet::new(), |acc, e| acc.union(&e.fields));
    let last_e = ens(last);
    let merged_set = ens(&fields_of(merged, types));
    let pruned = remove_from_object(merged, &last_e, types);
    let keep = ens(&fields_of(&pruned, types)).union(&ens(&all));
    let pruned = remove_from_object(merged, &merged_set.difference(&keep), types);
    let gone = merged_set
        .difference(&ens(&fields_of(&pruned, types)))
        .intersection(&last_e);
    remove_from_object(merged, &gone, types)
}

// ---------------------------------------------------------------------------
// Update bookkeeping shared by track_update and before-first-apply.

#[allow(clippy::too_many_arguments)]
fn record_update(
    base: &Value,
    new: &Value,
    entries: &mut Vec<ManagedFieldsEntry>,
    manager: &str,
    api_version: &str,
    subresource: Option<&str>,
    types: &TypeInfo,
    now: &str,
) {
    let cmp = compare(base, new, types).exclude(&ignored(types, subresource));
    let changed = cmp.changed();
    for e in entries.iter_mut() {
        e.fields = e.fields.difference(&changed).difference(&cmp.removed);
    }
    let own = strip(&changed);
    if !own.is_empty() {
        match entries
            .iter_mut()
            .find(|e| e.is(manager, Operation::Update, api_version, subresource))
        {
            Some(e) => {
                e.fields = e.fields.union(&own);
                e.time = Some(now.to_string());
            }
            None => entries.push(ManagedFieldsEntry {
                manager: manager.to_string(),
                operation: Operation::Update,
                api_version: api_version.to_string(),
                time: Some(now.to_string()),
                subresource: subresource.map(str::to_string),
                fields: own,
            }),
        }
    }
    entries.retain(|e| !e.fields.is_empty());
}

/// Merge the oldest `Update` entries into `ancient-changes` (one per API
/// version) while there are more than ten.
fn cap_update_managers(entries: &mut Vec<ManagedFieldsEntry>) {
    let mut updaters: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].operation == Operation::Update)
        .collect();
    if updaters.len() <= MAX_UPDATE_MANAGERS {
        return;
    }
    updaters.sort_by(|&a, &b| {
        unix_seconds(&entries[a].time)
            .cmp(&unix_seconds(&entries[b].time))
            .then_with(|| entries[a].identifier().cmp(&entries[b].identifier()))
    });
    let mut count = updaters.len();
    let mut first_of_version: Vec<(String, usize)> = Vec::new();
    let mut drop = vec![false; entries.len()];
    for &i in &updaters {
        if count <= MAX_UPDATE_MANAGERS {
            break;
        }
        let version = entries[i].api_version.clone();
        match first_of_version.iter().find(|(v, _)| *v == version) {
            Some(&(_, first)) => {
                let fields = entries[i].fields.clone();
                let time = entries[i].time.clone();
                let bucket = &mut entries[first];
                bucket.manager = ANCIENT_CHANGES.to_string();
                bucket.subresource = None;
                bucket.fields = bucket.fields.union(&fields);
                bucket.time = time;
                drop[i] = true;
                count -= 1;
            }
            None => first_of_version.push((version, i)),
        }
    }
    let mut i = 0;
    entries.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
}

fn decode_or_empty(obj: Option<&Value>) -> Vec<ManagedFieldsEntry> {
    obj.and_then(|o| decode_managed_fields(o).ok())
        .unwrap_or_default()
}

/// Record a non-apply write: `new` is the object about to be stored (its
/// `metadata.managedFields` is rewritten), `old` the stored one (`None` on
/// create). The fields the write changed go to `ctx.manager` as an `Update`
/// entry and are taken from all other entries.
///
/// As on the real server, `managedFields` sent in the request replace the
/// stored ones when they are a valid non-empty list, `[]` (or `[{}]`) clears
/// them, and an existing object without managedFields is not tracked.
pub fn track_update(old: Option<&Value>, new: &mut Value, ctx: &UpdateCtx) {
    let mut entries = if ctx.subresource.is_some() {
        decode_or_empty(old)
    } else {
        match new.pointer("/metadata/managedFields") {
            Some(Value::Array(a)) if a.is_empty() => vec![],
            Some(Value::Array(a))
                if a.len() == 1 && a[0].as_object().is_some_and(Map::is_empty) =>
            {
                vec![]
            }
            _ => match decode_managed_fields(new) {
                Ok(e) if !e.is_empty() => e,
                _ => decode_or_empty(old),
            },
        }
    };
    if let Some(m) = new.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
    let existing = old.is_some_and(|o| {
        o.pointer("/metadata/uid")
            .and_then(Value::as_str)
            .is_some_and(|u| !u.is_empty())
    });
    if entries.is_empty() && existing {
        return;
    }
    let base = match old {
        Some(o) => without_managed_fields(o),
        None => ctx.types.empty_object().clone(),
    };
    record_update(
        &base,
        new,
        &mut entries,
        ctx.manager,
        ctx.api_version,
        ctx.subresource,
        ctx.types,
        ctx.now,
    );
    cap_update_managers(&mut entries);
    set_managed_fields(new, &entries);
}

// ---------------------------------------------------------------------------
// Apply.

fn gvk_string(api_version: &str, kind: &str) -> String {
    match api_version.split_once('/') {
        Some((g, v)) => format!("{g}/{v}, Kind={kind}"),
        None => format!("/{api_version}, Kind={kind}"),
    }
}

fn validate_applied(
    live: Option<&Value>,
    applied: &Value,
    ctx: &ApplyCtx,
) -> Result<(), ApplyError> {
    let bad = |m: String| Err(ApplyError::BadRequest(m));
    if !applied.is_object() {
        return bad("the applied configuration must be a JSON/YAML object".into());
    }
    let api_version = applied
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = applied.get("kind").and_then(Value::as_str).unwrap_or("");
    if api_version.is_empty() {
        return bad("apiVersion must be set in the applied configuration".into());
    }
    if kind.is_empty() {
        return bad("kind must be set in the applied configuration".into());
    }
    let live_kind = live.and_then(|l| l.get("kind")).and_then(Value::as_str);
    if api_version != ctx.api_version || live_kind.is_some_and(|k| k != kind) {
        return bad(format!(
            "invalid object type: {}",
            gvk_string(api_version, kind)
        ));
    }
    let name = applied
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    if name.is_empty() {
        return bad("metadata.name: Required value: name is required".into());
    }
    if let Some(live_name) = live
        .and_then(|l| l.pointer("/metadata/name"))
        .and_then(Value::as_str)
        && live_name != name
    {
        return bad(format!(
            "the name of the object ({name}) does not match the name on the URL ({live_name})"
        ));
    }
    match applied.pointer("/metadata/managedFields") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(a)) if a.is_empty() => Ok(()),
        Some(_) => bad("metadata.managedFields must be nil".into()),
    }
}

/// Fields of the live object that its last-applied annotation set to the
/// values they still have: `kubectl` may take them over from client-side
/// apply without a conflict.
fn last_applied_fields(live: &Value, types: &TypeInfo) -> Option<FieldSet> {
    let raw = live
        .pointer("/metadata/annotations")?
        .get(LAST_APPLIED)?
        .as_str()?;
    let last: Value = serde_json::from_str(raw).ok()?;
    let set = FieldSet::from_object(&last, types).ok()?;
    let cmp = compare(&last, live, types);
    Some(
        set.difference(&cmp.modified)
            .difference(&cmp.added)
            .difference(&cmp.removed),
    )
}

fn sorted_json(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted_json(&m[k])))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted_json).collect()),
        other => other.clone(),
    }
}

/// Keep kubectl's last-applied annotation in step when `kubectl` applies
/// server-side to an object that has it.
fn sync_last_applied(result: &mut Value, applied: &Value) {
    let has = result
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(LAST_APPLIED))
        .is_some();
    if !has {
        return;
    }
    let mut cfg = applied.clone();
    if let Some(meta) = cfg.get_mut("metadata").and_then(Value::as_object_mut) {
        let now_empty = match meta.get_mut("annotations").and_then(Value::as_object_mut) {
            Some(a) => {
                a.remove(LAST_APPLIED);
                a.is_empty()
            }
            None => false,
        };
        if now_empty {
            meta.remove("annotations");
        }
    }
    let text = format!("{}\n", sorted_json(&cfg));
    if let Some(a) = result
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        a.insert(LAST_APPLIED.into(), Value::String(text));
    }
}

fn conflicts_of(
    entries: &[ManagedFieldsEntry],
    me: usize,
    changed: &FieldSet,
) -> Vec<(usize, FieldSet)> {
    entries
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != me)
        .map(|(i, e)| (i, e.fields.intersection(changed)))
        .filter(|(_, s)| !s.is_empty())
        .collect()
}

fn to_conflicts(entries: &[ManagedFieldsEntry], found: &[(usize, FieldSet)]) -> ApplyConflicts {
    let mut list: Vec<Conflict> = Vec::new();
    for (i, set) in found {
        let e = &entries[*i];
        for path in set.paths() {
            list.push(Conflict {
                manager: e.manager.clone(),
                manager_description: e.describe(),
                identifier: e.identifier(),
                field: path_string(&path),
                path,
            });
        }
    }
    list.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    ApplyConflicts { conflicts: list }
}

/// Server-side apply of `applied` (the request body) by `ctx.manager` onto
/// `live` (`None` when the object does not exist yet: the caller creates the
/// returned object). Returns the object to store, with
/// `metadata.managedFields` updated.
pub fn server_side_apply(
    live: Option<&Value>,
    applied: &Value,
    ctx: &ApplyCtx,
) -> Result<Value, ApplyError> {
    validate_applied(live, applied, ctx)?;
    match apply_once(live, applied, ctx, ctx.force) {
        Err(ApplyError::Conflicts(c)) if ctx.manager == "kubectl" => {
            // Client-side apply -> server-side apply migration.
            let allowed = live
                .and_then(|l| last_applied_fields(&without_managed_fields(l), ctx.types))
                .ok_or(ApplyError::Conflicts(c.clone()))?;
            let rest: Vec<Conflict> = c
                .conflicts
                .iter()
                .filter(|x| !allowed.has(&x.path))
                .cloned()
                .collect();
            if rest.is_empty() {
                apply_once(live, applied, ctx, true)
            } else {
                Err(ApplyError::Conflicts(ApplyConflicts { conflicts: rest }))
            }
        }
        other => other,
    }
}

fn apply_once(
    live: Option<&Value>,
    applied: &Value,
    ctx: &ApplyCtx,
    force: bool,
) -> Result<Value, ApplyError> {
    let types = ctx.types;
    let sub = ctx.subresource;
    let mut entries = decode_or_empty(live);
    let live_obj = match live {
        Some(l) => without_managed_fields(l),
        None => types.empty_object().clone(),
    };
    if live.is_some() && entries.is_empty() {
        // Someone else wrote everything that is there.
        let empty = types.empty_object().clone();
        record_update(
            &empty,
            &live_obj,
            &mut entries,
            BEFORE_FIRST_APPLY,
            ctx.api_version,
            None,
            types,
            ctx.now,
        );
    }

    let applied_set = FieldSet::from_object(applied, types)
        .map_err(ApplyError::Invalid)?
        .recursive_difference(&ignored(types, sub));
    let base = live.map(|_| &live_obj);
    let merged =
        merge_value(base, applied, types.root(), &mut Vec::new()).map_err(ApplyError::Invalid)?;

    let me = match entries
        .iter()
        .position(|e| e.is(ctx.manager, Operation::Apply, ctx.api_version, sub))
    {
        Some(i) => i,
        None => {
            entries.push(ManagedFieldsEntry {
                manager: ctx.manager.to_string(),
                operation: Operation::Apply,
                api_version: ctx.api_version.to_string(),
                time: None,
                subresource: sub.map(str::to_string),
                fields: FieldSet::new(),
            });
            entries.len() - 1
        }
    };
    let last = std::mem::replace(&mut entries[me].fields, applied_set);
    entries[me].api_version = ctx.api_version.to_string();
    let mut result = prune(&merged, &last, &entries, types);

    let cmp = compare(&live_obj, &result, types).exclude(&ignored(types, sub));
    let changed = cmp.changed();
    let conflicts = conflicts_of(&entries, me, &changed);
    if !conflicts.is_empty() && !force {
        return Err(ApplyError::Conflicts(to_conflicts(&entries, &conflicts)));
    }
    for (i, e) in entries.iter_mut().enumerate() {
        if i != me {
            e.fields = e.fields.difference(&changed).difference(&cmp.removed);
        }
    }
    entries[me].fields = strip(&entries[me].fields);
    let object_changed = live.is_none() || result != live_obj;
    if object_changed {
        entries[me].time = Some(ctx.now.to_string());
    }
    entries.retain(|e| !e.fields.is_empty());
    cap_update_managers(&mut entries);

    if ctx.manager == "kubectl" {
        sync_last_applied(&mut result, applied);
    }
    set_managed_fields(&mut result, &entries);
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: &str = "2026-01-01T00:00:00Z";
    const T1: &str = "2026-01-01T00:01:00Z";
    const T2: &str = "2026-01-01T00:02:00Z";

    fn dep_types() -> TypeInfo {
        TypeInfo::builtin("apps", "Deployment")
    }

    fn actx<'a>(manager: &'a str, force: bool, types: &'a TypeInfo, now: &'a str) -> ApplyCtx<'a> {
        ApplyCtx {
            manager,
            force,
            types,
            api_version: "apps/v1",
            subresource: None,
            now,
        }
    }

    fn uctx<'a>(manager: &'a str, types: &'a TypeInfo, now: &'a str) -> UpdateCtx<'a> {
        UpdateCtx {
            manager,
            types,
            api_version: "apps/v1",
            subresource: None,
            now,
        }
    }

    fn deployment(replicas: i64, image: &str) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "app", "image": image}]}
                }
            }
        })
    }

    /// What the store adds on create.
    fn stored(mut v: Value) -> Value {
        let m = v["metadata"].as_object_mut().unwrap();
        m.insert("uid".into(), json!("3f1c"));
        m.insert("resourceVersion".into(), json!("1"));
        m.insert("creationTimestamp".into(), json!(T0));
        m.insert("generation".into(), json!(1));
        v
    }

    fn entries(v: &Value) -> Vec<ManagedFieldsEntry> {
        decode_managed_fields(v).unwrap()
    }

    fn entry<'a>(v: &'a Value, manager: &str) -> Option<&'a Value> {
        v["metadata"]["managedFields"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["manager"] == manager))
    }

    fn fields(v: &Value, manager: &str) -> String {
        entry(v, manager)
            .map(|e| e["fieldsV1"].to_string())
            .unwrap_or_default()
    }

    fn conflicts(r: Result<Value, ApplyError>) -> ApplyConflicts {
        match r {
            Err(ApplyError::Conflicts(c)) => c,
            other => panic!("expected conflicts, got {other:?}"),
        }
    }

    const APPLIED_FIELDS: &str = r#"{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:image":{},"f:name":{}}}}}}}"#;

    #[test]
    fn first_apply_creates_with_managed_fields() {
        let ti = dep_types();
        let out = server_side_apply(
            None,
            &deployment(1, "nginx:1"),
            &actx("gitcanary", false, &ti, T0),
        )
        .unwrap();
        assert_eq!(out["spec"], deployment(1, "nginx:1")["spec"]);
        assert_eq!(
            out["metadata"]["managedFields"],
            json!([{
                "manager": "gitcanary", "operation": "Apply", "apiVersion": "apps/v1",
                "time": T0, "fieldsType": "FieldsV1",
                "fieldsV1": serde_json::from_str::<Value>(APPLIED_FIELDS).unwrap()
            }])
        );
        assert_eq!(fields(&out, "gitcanary"), APPLIED_FIELDS);
    }

    #[test]
    fn reapply_unchanged_is_a_no_op() {
        let ti = dep_types();
        let live = stored(
            server_side_apply(
                None,
                &deployment(1, "nginx:1"),
                &actx("gitcanary", false, &ti, T0),
            )
            .unwrap(),
        );
        let again = server_side_apply(
            Some(&live),
            &deployment(1, "nginx:1"),
            &actx("gitcanary", false, &ti, T1),
        )
        .unwrap();
        assert_eq!(again, live, "same object, same managedFields, same time");
        // A change moves the time.
        let changed = server_side_apply(
            Some(&live),
            &deployment(2, "nginx:1"),
            &actx("gitcanary", false, &ti, T1),
        )
        .unwrap();
        assert_eq!(entry(&changed, "gitcanary").unwrap()["time"], T1);
        assert_eq!(changed["spec"]["replicas"], 2);
        assert_eq!(changed["metadata"]["uid"], "3f1c");
    }

    #[test]
    fn fields_no_longer_applied_are_removed() {
        let ti = dep_types();
        let mut full = deployment(1, "nginx:1");
        full["metadata"]["labels"]["tier"] = json!("front");
        full["spec"]["template"]["spec"]["containers"][0]["env"] =
            json!([{"name": "A", "value": "1"}]);
        full["spec"]["template"]["spec"]["containers"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "sidecar", "image": "envoy"}));
        full["spec"]["minReadySeconds"] = json!(5);
        let live =
            stored(server_side_apply(None, &full, &actx("gitcanary", false, &ti, T0)).unwrap());
        let out = server_side_apply(
            Some(&live),
            &deployment(1, "nginx:1"),
            &actx("gitcanary", false, &ti, T1),
        )
        .unwrap();
        assert_eq!(out["metadata"]["labels"], json!({"app": "web"}));
        assert_eq!(out["spec"], deployment(1, "nginx:1")["spec"]);
        assert_eq!(fields(&out, "gitcanary"), APPLIED_FIELDS);
        // Dropping every label removes the labels map.
        let mut bare = deployment(1, "nginx:1");
        bare["metadata"].as_object_mut().unwrap().remove("labels");
        let out = server_side_apply(Some(&out), &bare, &actx("gitcanary", false, &ti, T2)).unwrap();
        assert!(
            out["metadata"].get("labels").is_none(),
            "{}",
            out["metadata"]
        );
        assert_eq!(out["metadata"]["name"], "web");
    }

    #[test]
    fn fields_owned_by_someone_else_survive() {
        let ti = dep_types();
        let mut with_tier = deployment(1, "nginx:1");
        with_tier["metadata"]["labels"]["tier"] = json!("front");
        let live = stored(server_side_apply(None, &with_tier, &actx("a", false, &ti, T0)).unwrap());
        // b applies the same tier label: shared ownership.
        let b_cfg = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"tier": "front"}}});
        let live = server_side_apply(Some(&live), &b_cfg, &actx("b", false, &ti, T1)).unwrap();
        assert_eq!(
            fields(&live, "b"),
            r#"{"f:metadata":{"f:labels":{"f:tier":{}}}}"#
        );
        // a stops applying it: b still owns it, so it stays.
        let out = server_side_apply(
            Some(&live),
            &deployment(1, "nginx:1"),
            &actx("a", false, &ti, T2),
        )
        .unwrap();
        assert_eq!(
            out["metadata"]["labels"],
            json!({"app": "web", "tier": "front"})
        );
    }

    #[test]
    fn conflict_with_another_applier_and_force() {
        let ti = dep_types();
        let live = stored(
            server_side_apply(None, &deployment(1, "nginx:1"), &actx("a", false, &ti, T0)).unwrap(),
        );
        let b_cfg = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web"}, "spec": {"replicas": 5}});
        let c = conflicts(server_side_apply(
            Some(&live),
            &b_cfg,
            &actx("b", false, &ti, T1),
        ));
        assert_eq!(
            c.message(),
            r#"Apply failed with 1 conflict: conflict with "a": .spec.replicas"#
        );
        assert_eq!(
            c.causes(),
            vec![ConflictCause {
                reason: "FieldManagerConflict",
                message: r#"conflict with "a""#.into(),
                field: ".spec.replicas".into()
            }]
        );
        let out = server_side_apply(Some(&live), &b_cfg, &actx("b", true, &ti, T1)).unwrap();
        assert_eq!(out["spec"]["replicas"], 5);
        assert_eq!(fields(&out, "b"), r#"{"f:spec":{"f:replicas":{}}}"#);
        assert!(!fields(&out, "a").contains("f:replicas"));
        // a re-applying its old value now conflicts with b.
        let c = conflicts(server_side_apply(
            Some(&out),
            &deployment(1, "nginx:1"),
            &actx("a", false, &ti, T2),
        ));
        assert_eq!(
            c.message(),
            r#"Apply failed with 1 conflict: conflict with "b": .spec.replicas"#
        );
    }

    #[test]
    fn conflict_with_an_update_manager_status_body() {
        let ti = dep_types();
        let mut live = stored(deployment(1, "nginx:1"));
        track_update(None, &mut live, &uctx("kubectl-client-side-apply", &ti, T0));
        let cfg = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web"}, "spec": {"replicas": 3}});
        let c = conflicts(server_side_apply(
            Some(&live),
            &cfg,
            &actx("gitcanary", false, &ti, T1),
        ));
        assert_eq!(
            c.to_status(),
            json!({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas",
                "reason": "Conflict",
                "details": {"causes": [{
                    "reason": "FieldManagerConflict",
                    "message": "conflict with \"kubectl-client-side-apply\" using apps/v1",
                    "field": ".spec.replicas"
                }]},
                "code": 409
            })
        );
    }

    #[test]
    fn several_conflicts_message() {
        let ti = dep_types();
        let live = stored(
            server_side_apply(None, &deployment(1, "nginx:1"), &actx("a", false, &ti, T0)).unwrap(),
        );
        let mut live = live;
        let mut new = live.clone();
        new["spec"]["minReadySeconds"] = json!(3);
        new["metadata"]["labels"]["team"] = json!("x");
        track_update(Some(&live), &mut new, &uctx("ops", &ti, T1));
        live = new;
        let mut cfg = deployment(2, "nginx:2");
        cfg["spec"]["minReadySeconds"] = json!(9);
        cfg["metadata"]["labels"]["team"] = json!("y");
        let c = conflicts(server_side_apply(
            Some(&live),
            &cfg,
            &actx("b", false, &ti, T2),
        ));
        assert_eq!(
            c.message(),
            "Apply failed with 4 conflicts: conflicts with \"a\":\n\
             - .spec.replicas\n\
             - .spec.template.spec.containers[name=\"app\"].image\n\
             conflicts with \"ops\" using apps/v1:\n\
             - .metadata.labels.team\n\
             - .spec.minReadySeconds"
        );
        assert_eq!(c.conflicts.len(), 4);
        assert_eq!(c.conflicts[0].manager, "a");
    }

    #[test]
    fn update_manager_bookkeeping() {
        let ti = dep_types();
        // Create: fields as `kubectl create` shows them (maps created by the
        // write carry ".", zero-valued structs of the Go type do not).
        let mut live = stored(deployment(1, "nginx:1"));
        track_update(None, &mut live, &uctx("kubectl-create", &ti, T0));
        assert_eq!(
            fields(&live, "kubectl-create"),
            r#"{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:image":{},"f:name":{}}}}}}}"#
        );
        // An update that changes nothing keeps the entry and its time.
        let mut same = live.clone();
        same["metadata"]["resourceVersion"] = json!("2");
        track_update(Some(&live), &mut same, &uctx("kubectl-edit", &ti, T1));
        assert_eq!(
            same["metadata"]["managedFields"],
            live["metadata"]["managedFields"]
        );
        // A change moves the field to the new manager.
        let mut scaled = live.clone();
        scaled["spec"]["replicas"] = json!(4);
        track_update(Some(&live), &mut scaled, &uctx("hpa", &ti, T1));
        assert_eq!(fields(&scaled, "hpa"), r#"{"f:spec":{"f:replicas":{}}}"#);
        assert!(!fields(&scaled, "kubectl-create").contains("f:replicas"));
        assert_eq!(entry(&scaled, "kubectl-create").unwrap()["time"], T0);
        assert_eq!(entry(&scaled, "hpa").unwrap()["time"], T1);
        // The only field of a manager taken away: its entry goes.
        let mut again = scaled.clone();
        again["spec"]["replicas"] = json!(6);
        track_update(Some(&scaled), &mut again, &uctx("keda", &ti, T2));
        assert!(entry(&again, "hpa").is_none());
        // Entries: Apply first, then Update by time.
        let order: Vec<&str> = again["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["manager"].as_str().unwrap())
            .collect();
        assert_eq!(order, ["kubectl-create", "keda"]);
        // Never tracked.
        for e in again["metadata"]["managedFields"].as_array().unwrap() {
            let meta: Vec<&String> = e["fieldsV1"]
                .get("f:metadata")
                .and_then(Value::as_object)
                .map(|m| m.keys().collect())
                .unwrap_or_default();
            assert!(meta.iter().all(|k| *k == "f:labels"), "{meta:?}");
            assert!(e["fieldsV1"].get("f:apiVersion").is_none());
            assert!(e["fieldsV1"].get("f:kind").is_none());
        }
    }

    #[test]
    fn status_writes_are_separate_entries() {
        let ti = dep_types();
        let mut live = stored(deployment(1, "nginx:1"));
        track_update(None, &mut live, &uctx("kubectl-create", &ti, T0));
        let mut st = live.clone();
        st["status"] =
            json!({"replicas": 1, "conditions": [{"type": "Available", "status": "True"}]});
        let ctx = UpdateCtx {
            subresource: Some("status"),
            ..uctx("kube-controller-manager", &ti, T1)
        };
        track_update(Some(&live), &mut st, &ctx);
        let e = entry(&st, "kube-controller-manager").unwrap();
        assert_eq!(e["subresource"], "status");
        assert_eq!(
            e["fieldsV1"].to_string(),
            r#"{"f:status":{".":{},"f:conditions":{".":{},"k:{\"type\":\"Available\"}":{".":{},"f:status":{},"f:type":{}}},"f:replicas":{}}}"#
        );
        // Status sent to the main resource is not tracked.
        let mut main = st.clone();
        main["status"]["replicas"] = json!(7);
        main["spec"]["replicas"] = json!(2);
        track_update(Some(&st), &mut main, &uctx("kubectl", &ti, T2));
        assert_eq!(fields(&main, "kubectl"), r#"{"f:spec":{"f:replicas":{}}}"#);
        assert!(fields(&main, "kube-controller-manager").contains("f:replicas"));
    }

    #[test]
    fn managed_fields_in_the_request() {
        let ti = dep_types();
        let mut live = stored(deployment(1, "nginx:1"));
        track_update(None, &mut live, &uctx("kubectl-create", &ti, T0));
        // Clearing with [] removes tracking; later updates stay untracked.
        let mut cleared = live.clone();
        cleared["metadata"]["managedFields"] = json!([]);
        track_update(Some(&live), &mut cleared, &uctx("x", &ti, T1));
        assert!(cleared["metadata"].get("managedFields").is_none());
        let mut next = cleared.clone();
        next["spec"]["replicas"] = json!(9);
        track_update(Some(&cleared), &mut next, &uctx("y", &ti, T2));
        assert!(next["metadata"].get("managedFields").is_none());
        // Applying to such an object first hands everything to before-first-apply.
        let c = conflicts(server_side_apply(
            Some(&next),
            &deployment(1, "nginx:1"),
            &actx("gitcanary", false, &ti, T2),
        ));
        assert_eq!(
            c.message(),
            r#"Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas"#
        );
    }

    #[test]
    fn too_many_update_managers_become_ancient_changes() {
        let ti = TypeInfo::builtin("", "ConfigMap");
        let mut live = stored(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c"}, "data": {}}));
        for i in 0..12 {
            let mut new = live.clone();
            new["data"][format!("k{i}")] = json!("v");
            let now = format!("2026-01-01T00:00:{i:02}Z");
            let name = format!("m{i}");
            let ctx = UpdateCtx {
                api_version: "v1",
                ..uctx(&name, &ti, &now)
            };
            track_update(Some(&live), &mut new, &ctx);
            if i == 0 {
                // First write to an untracked object: nothing recorded.
                assert!(new["metadata"].get("managedFields").is_none());
                new["metadata"]["managedFields"] = json!([{"manager": "seed", "operation": "Update",
                    "apiVersion": "v1", "time": T0, "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:data": {"f:k0": {}}}}]);
            }
            live = new;
        }
        let all = entries(&live);
        assert_eq!(all.len(), 10);
        let ancient = all.iter().find(|e| e.manager == ANCIENT_CHANGES).unwrap();
        assert_eq!(
            ancient.fields.to_fields_v1().to_string(),
            r#"{"f:data":{"f:k0":{},"f:k1":{},"f:k2":{}}}"#
        );
    }

    #[test]
    fn kubectl_client_side_apply_migration() {
        let ti = dep_types();
        let mut cfg = deployment(1, "nginx:1");
        let mut live = stored(cfg.clone());
        live["metadata"]["annotations"] = json!({LAST_APPLIED: format!("{}\n", sorted_json(&cfg))});
        track_update(None, &mut live, &uctx("kubectl-client-side-apply", &ti, T0));
        cfg["spec"]["replicas"] = json!(3);
        // Another manager conflicts as usual.
        let c = conflicts(server_side_apply(
            Some(&live),
            &cfg,
            &actx("gitcanary", false, &ti, T1),
        ));
        assert_eq!(c.conflicts.len(), 1);
        // `kubectl apply --server-side` takes over what last-applied set.
        let out = server_side_apply(Some(&live), &cfg, &actx("kubectl", false, &ti, T1)).unwrap();
        assert_eq!(out["spec"]["replicas"], 3);
        assert!(fields(&out, "kubectl").contains("f:replicas"));
        assert!(!fields(&out, "kubectl-client-side-apply").contains("f:replicas"));
        let annotation: Value = serde_json::from_str(
            out["metadata"]["annotations"][LAST_APPLIED]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(annotation["spec"]["replicas"], 3);
        // Not when the live value no longer matches last-applied.
        let mut drifted = live.clone();
        drifted["spec"]["replicas"] = json!(7);
        track_update(
            Some(&live),
            &mut drifted,
            &uctx("kubectl-client-side-apply", &ti, T1),
        );
        let c = conflicts(server_side_apply(
            Some(&drifted),
            &cfg,
            &actx("kubectl", false, &ti, T2),
        ));
        assert_eq!(c.conflicts[0].field, ".spec.replicas");
    }

    #[test]
    fn invalid_applied_configurations() {
        let ti = dep_types();
        let live = stored(
            server_side_apply(None, &deployment(1, "nginx:1"), &actx("a", false, &ti, T0)).unwrap(),
        );
        let mut wrong_kind = deployment(1, "x");
        wrong_kind["kind"] = json!("ReplicaSet");
        let mut wrong_name = deployment(1, "x");
        wrong_name["metadata"]["name"] = json!("other");
        let mut wrong_version = deployment(1, "x");
        wrong_version["apiVersion"] = json!("apps/v1beta1");
        let mut with_mf = deployment(1, "x");
        with_mf["metadata"]["managedFields"] = json!([{"manager": "x"}]);
        let cases = vec![
            (wrong_kind, "invalid object type: apps/v1, Kind=ReplicaSet"),
            (
                wrong_name,
                "the name of the object (other) does not match the name on the URL (web)",
            ),
            (
                wrong_version,
                "invalid object type: apps/v1beta1, Kind=Deployment",
            ),
            (with_mf, "metadata.managedFields must be nil"),
        ];
        for (cfg, msg) in cases {
            assert_eq!(
                server_side_apply(Some(&live), &cfg, &actx("a", false, &ti, T1)),
                Err(ApplyError::BadRequest(msg.into()))
            );
        }
        let mut no_key = deployment(1, "x");
        no_key["spec"]["template"]["spec"]["containers"] = json!([{"image": "x"}]);
        let mut dup = deployment(1, "x");
        dup["spec"]["template"]["spec"]["containers"] = json!([{"name": "a"}, {"name": "a"}]);
        let cases = vec![
            (no_key, "omits key field \"name\""),
            (
                dup,
                ".spec.template.spec.containers: duplicate entries for key [name=\"a\"]",
            ),
        ];
        for (cfg, msg) in cases {
            match server_side_apply(Some(&live), &cfg, &actx("a", false, &ti, T1)) {
                Err(ApplyError::Invalid(m)) => assert!(m.contains(msg), "{m}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn associative_lists_merge_by_key() {
        let ti = dep_types();
        let mut two = deployment(1, "nginx:1");
        two["spec"]["template"]["spec"]["containers"] = json!([
            {"name": "app", "image": "nginx:1", "ports": [{"containerPort": 80, "protocol": "TCP"}]},
            {"name": "log", "image": "fluent"}
        ]);
        let mut live = stored(two);
        track_update(None, &mut live, &uctx("kubectl-create", &ti, T0));
        // The applier owns only the app container's image (shared values).
        let cfg = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "nginx:2"},
            {"name": "new", "image": "busybox"}
        ]}}}});
        let out = server_side_apply(Some(&live), &cfg, &actx("gitcanary", true, &ti, T1)).unwrap();
        let cs = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(
            *cs,
            json!([
                {"name": "app", "image": "nginx:2", "ports": [{"containerPort": 80, "protocol": "TCP"}]},
                {"name": "log", "image": "fluent"},
                {"name": "new", "image": "busybox"}
            ])
        );
        assert_eq!(
            fields(&out, "gitcanary"),
            r#"{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:image":{},"f:name":{}},"k:{\"name\":\"new\"}":{".":{},"f:image":{},"f:name":{}}}}}}}"#
        );
        // Dropping "new" from the configuration deletes that container only.
        let mut cfg2 = cfg.clone();
        cfg2["spec"]["template"]["spec"]["containers"]
            .as_array_mut()
            .unwrap()
            .pop();
        let out2 =
            server_side_apply(Some(&out), &cfg2, &actx("gitcanary", false, &ti, T2)).unwrap();
        let names: Vec<&str> = out2["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["app", "log"]);
    }

    #[test]
    fn finalizers_are_a_set_shared_between_appliers() {
        let ti = TypeInfo::builtin("", "ConfigMap");
        let cfg = |fins: Value| {
            json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "finalizers": fins}})
        };
        let c = |m: &'static str, now: &'static str| ApplyCtx {
            api_version: "v1",
            ..actx(m, false, &ti, now)
        };
        let live = stored(server_side_apply(None, &cfg(json!(["a.io/x"])), &c("a", T0)).unwrap());
        let live = server_side_apply(Some(&live), &cfg(json!(["b.io/y"])), &c("b", T1)).unwrap();
        assert_eq!(live["metadata"]["finalizers"], json!(["a.io/x", "b.io/y"]));
        assert_eq!(
            fields(&live, "b"),
            r#"{"f:metadata":{"f:finalizers":{"v:\"b.io/y\"":{}}}}"#
        );
        let mut none = cfg(json!([]));
        none["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("finalizers");
        let out = server_side_apply(Some(&live), &none, &c("a", T2)).unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["b.io/y"]));
        assert!(entry(&out, "a").is_none(), "a owns nothing any more");
    }

    #[test]
    fn atomic_list_no_longer_applied_is_removed() {
        let ti = vs_types();
        let live = stored(
            server_side_apply(None, &vs(100, 0), &vctx("gitcanary", false, &ti, T0)).unwrap(),
        );
        let mut no_http = vs(100, 0);
        no_http["spec"].as_object_mut().unwrap().remove("http");
        let out =
            server_side_apply(Some(&live), &no_http, &vctx("gitcanary", false, &ti, T1)).unwrap();
        assert!(out["spec"].get("http").is_none());
        assert_eq!(out["spec"]["hosts"], json!(["web"]));
    }

    // -----------------------------------------------------------------------
    // The product's cases.

    fn vs_types() -> TypeInfo {
        // As in Istio's CRD: spec.http has no x-kubernetes-list-type (atomic).
        TypeInfo::from_openapi_v3(&json!({
            "type": "object",
            "properties": {
                "spec": {"type": "object", "properties": {
                    "hosts": {"type": "array", "items": {"type": "string"}},
                    "http": {"type": "array", "items": {"type": "object",
                        "x-kubernetes-preserve-unknown-fields": true}}
                }},
                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
            }
        }))
        .with_status_subresource(true)
    }

    fn vs(stable: i64, canary: i64) -> Value {
        json!({
            "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"hosts": ["web"], "http": [{"name": "primary", "route": [
                {"destination": {"host": "web-stable"}, "weight": stable},
                {"destination": {"host": "web-canary"}, "weight": canary}
            ]}]}
        })
    }

    fn vctx<'a>(manager: &'a str, force: bool, types: &'a TypeInfo, now: &'a str) -> ApplyCtx<'a> {
        ApplyCtx {
            api_version: "networking.istio.io/v1beta1",
            ..actx(manager, force, types, now)
        }
    }

    #[test]
    fn virtual_service_atomic_http_list() {
        let ti = vs_types();
        let live = stored(
            server_side_apply(None, &vs(100, 0), &vctx("gitcanary", false, &ti, T0)).unwrap(),
        );
        assert_eq!(
            fields(&live, "gitcanary"),
            r#"{"f:spec":{"f:hosts":{},"f:http":{}}}"#
        );

        // The rollout controller sets weights (a merge patch = an Update):
        // it takes ownership of the whole atomic spec.http.
        let mut shifted = live.clone();
        shifted["spec"]["http"][0]["route"][0]["weight"] = json!(90);
        shifted["spec"]["http"][0]["route"][1]["weight"] = json!(10);
        let rctx = UpdateCtx {
            api_version: "networking.istio.io/v1beta1",
            ..uctx("gitcanary-rollout", &ti, T1)
        };
        track_update(Some(&live), &mut shifted, &rctx);
        assert_eq!(
            fields(&shifted, "gitcanary-rollout"),
            r#"{"f:spec":{"f:http":{}}}"#
        );
        assert_eq!(
            fields(&shifted, "gitcanary"),
            r#"{"f:spec":{"f:hosts":{}}}"#
        );

        // Re-applying Git's weights conflicts.
        let c = conflicts(server_side_apply(
            Some(&shifted),
            &vs(100, 0),
            &vctx("gitcanary", false, &ti, T2),
        ));
        assert_eq!(
            c.message(),
            r#"Apply failed with 1 conflict: conflict with "gitcanary-rollout" using networking.istio.io/v1beta1: .spec.http"#
        );
        // Re-applying the live weights shares ownership: no conflict, no change.
        let shared = server_side_apply(
            Some(&shifted),
            &vs(90, 10),
            &vctx("gitcanary", false, &ti, T2),
        )
        .unwrap();
        assert_eq!(shared["spec"], shifted["spec"]);
        assert_eq!(
            fields(&shared, "gitcanary"),
            r#"{"f:spec":{"f:hosts":{},"f:http":{}}}"#
        );
        assert_eq!(
            fields(&shared, "gitcanary-rollout"),
            r#"{"f:spec":{"f:http":{}}}"#
        );
        // ...and the next weight change by the controller takes it back alone.
        let mut next = shared.clone();
        next["spec"]["http"][0]["route"][0]["weight"] = json!(50);
        next["spec"]["http"][0]["route"][1]["weight"] = json!(50);
        track_update(Some(&shared), &mut next, &rctx);
        assert_eq!(fields(&next, "gitcanary"), r#"{"f:spec":{"f:hosts":{}}}"#);
        // Forcing Git's weights resets them and takes ownership.
        let forced = server_side_apply(
            Some(&shifted),
            &vs(100, 0),
            &vctx("gitcanary", true, &ti, T2),
        )
        .unwrap();
        assert_eq!(forced["spec"], vs(100, 0)["spec"]);
        assert!(entry(&forced, "gitcanary-rollout").is_none());
        // Applying without spec.http after losing it leaves the weights alone.
        let mut no_http = vs(100, 0);
        no_http["spec"].as_object_mut().unwrap().remove("http");
        let kept = server_side_apply(Some(&shifted), &no_http, &vctx("gitcanary", false, &ti, T2))
            .unwrap();
        assert_eq!(kept["spec"]["http"], shifted["spec"]["http"]);
        // Status written through /status is its own entry and is not pruned.
        let mut st = shifted.clone();
        st["status"] = json!({"observedGeneration": 2});
        let sctx = UpdateCtx {
            subresource: Some("status"),
            ..rctx
        };
        track_update(Some(&shifted), &mut st, &sctx);
        assert_eq!(
            entries(&st)
                .iter()
                .filter(|e| e.manager == "gitcanary-rollout")
                .count(),
            2
        );
    }

    fn svc(selector: Value) -> Value {
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
            "spec": {"selector": selector, "ports": [{"port": 80, "targetPort": 8080}]}
        })
    }

    fn sctx<'a>(manager: &'a str, force: bool, types: &'a TypeInfo, now: &'a str) -> ApplyCtx<'a> {
        ApplyCtx {
            api_version: "v1",
            ..actx(manager, force, types, now)
        }
    }

    #[test]
    fn service_selector_is_atomic_on_the_real_server() {
        let ti = TypeInfo::builtin("", "Service");
        let live = stored(
            server_side_apply(
                None,
                &svc(json!({"app": "web"})),
                &sctx("gitcanary", false, &ti, T0),
            )
            .unwrap(),
        );
        assert_eq!(
            fields(&live, "gitcanary"),
            r#"{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{},"f:targetPort":{}}},"f:selector":{}}}"#
        );
        // The rollout controller pins the selector to a pod-template hash.
        let mut pinned = live.clone();
        pinned["spec"]["selector"]["rollouts-pod-template-hash"] = json!("abc123");
        let rctx = UpdateCtx {
            api_version: "v1",
            ..uctx("gitcanary-rollout", &ti, T1)
        };
        track_update(Some(&live), &mut pinned, &rctx);
        // spec.selector is `+mapType=atomic`: the whole map changes hands.
        assert_eq!(
            fields(&pinned, "gitcanary-rollout"),
            r#"{"f:spec":{"f:selector":{}}}"#
        );
        // Re-applying the Git selector (without the hash) conflicts...
        let c = conflicts(server_side_apply(
            Some(&pinned),
            &svc(json!({"app": "web"})),
            &sctx("gitcanary", false, &ti, T2),
        ));
        assert_eq!(
            c.message(),
            r#"Apply failed with 1 conflict: conflict with "gitcanary-rollout" using v1: .spec.selector"#
        );
        // ...and forcing it drops the hash.
        let forced = server_side_apply(
            Some(&pinned),
            &svc(json!({"app": "web"})),
            &sctx("gitcanary", true, &ti, T2),
        )
        .unwrap();
        assert_eq!(forced["spec"]["selector"], json!({"app": "web"}));
        // Applying the selector as it is live shares it without conflict.
        let shared = server_side_apply(
            Some(&pinned),
            &svc(json!({"app": "web", "rollouts-pod-template-hash": "abc123"})),
            &sctx("gitcanary", false, &ti, T2),
        )
        .unwrap();
        assert_eq!(shared["spec"]["selector"], pinned["spec"]["selector"]);
        // Leaving spec.selector out of the configuration keeps the pinned one
        // (gitcanary no longer owns it, so nothing is pruned).
        let mut no_sel = svc(json!({}));
        no_sel["spec"].as_object_mut().unwrap().remove("selector");
        let kept =
            server_side_apply(Some(&pinned), &no_sel, &sctx("gitcanary", false, &ti, T2)).unwrap();
        assert_eq!(kept["spec"]["selector"], pinned["spec"]["selector"]);
    }

    #[test]
    fn labels_are_granular_both_keys_kept() {
        let ti = TypeInfo::builtin("", "Service");
        let live = stored(
            server_side_apply(
                None,
                &svc(json!({"app": "web"})),
                &sctx("gitcanary", false, &ti, T0),
            )
            .unwrap(),
        );
        let mut labelled = live.clone();
        labelled["metadata"]["labels"]["rollouts-pod-template-hash"] = json!("abc123");
        let rctx = UpdateCtx {
            api_version: "v1",
            ..uctx("gitcanary-rollout", &ti, T1)
        };
        track_update(Some(&live), &mut labelled, &rctx);
        assert_eq!(
            fields(&labelled, "gitcanary-rollout"),
            r#"{"f:metadata":{"f:labels":{"f:rollouts-pod-template-hash":{}}}}"#
        );
        let out = server_side_apply(
            Some(&labelled),
            &svc(json!({"app": "web"})),
            &sctx("gitcanary", false, &ti, T2),
        )
        .unwrap();
        assert_eq!(
            out["metadata"]["labels"],
            json!({"app": "web", "rollouts-pod-template-hash": "abc123"})
        );
        assert_eq!(out, labelled, "nothing changed");
    }

    #[test]
    fn crd_granular_map_selector_keeps_both_keys() {
        // A CRD that declares its selector as a granular map behaves the way
        // the brief expected the Service selector to.
        let ti = TypeInfo::from_openapi_v3(&json!({"type": "object", "properties": {"spec": {
            "type": "object", "properties": {"selector": {"type": "object",
                "additionalProperties": {"type": "string"}}}}}}));
        let cfg = |sel: Value| {
            json!({"apiVersion": "example.com/v1", "kind": "Thing",
            "metadata": {"name": "t"}, "spec": {"selector": sel}})
        };
        let c = |m: &'static str, now: &'static str| ApplyCtx {
            api_version: "example.com/v1",
            ..actx(m, false, &ti, now)
        };
        let live = stored(
            server_side_apply(None, &cfg(json!({"app": "x"})), &c("gitcanary", T0)).unwrap(),
        );
        let mut pinned = live.clone();
        pinned["spec"]["selector"]["hash"] = json!("h1");
        let rctx = UpdateCtx {
            api_version: "example.com/v1",
            ..uctx("gitcanary-rollout", &ti, T1)
        };
        track_update(Some(&live), &mut pinned, &rctx);
        let out = server_side_apply(
            Some(&pinned),
            &cfg(json!({"app": "x"})),
            &c("gitcanary", T2),
        )
        .unwrap();
        assert_eq!(out["spec"]["selector"], json!({"app": "x", "hash": "h1"}));
    }
}
