//! What kind of list or map each field of an object is.
//!
//! Strategic merge patch and server-side apply both need to know, for every
//! field, whether a list is atomic, a set or a map keyed by some fields, and
//! whether a nested object is a struct (its fields are "named") or a free-form
//! map. The real API server reads this from its OpenAPI models; here a
//! hand-written table covers the built-in kinds localkube serves and CRDs are
//! read from their `openAPIV3Schema`.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use serde_json::{Value, json};

/// How a list merges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListType {
    /// Replaced as a whole; a single leaf for ownership.
    Atomic,
    /// A set of scalars (`x-kubernetes-list-type: set`), e.g. `metadata.finalizers`.
    Set,
    /// A map keyed by these fields of its elements.
    Map { keys: Vec<String> },
}

/// Strategic-merge-patch strategy of a list field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SmpList {
    /// `patchStrategy: merge` with a `patchMergeKey`.
    MergeByKey(String),
    /// `patchStrategy: merge` on a list of scalars.
    MergePrimitives,
}

/// One node of the schema tree.
#[derive(Debug)]
pub(crate) enum Node {
    /// A struct: declared fields are named fields; other fields use `rest`.
    Struct {
        fields: HashMap<String, Arc<Node>>,
        rest: Arc<Node>,
        atomic: bool,
    },
    /// A struct of a built-in type whose fields are not listed: every field is
    /// a named field whose value is again such a struct (lists atomic).
    OpenStruct,
    /// A free-form map (`additionalProperties`): its keys are not named fields.
    Map {
        elem: Arc<Node>,
        atomic: bool,
    },
    List {
        kind: ListType,
        smp: Option<SmpList>,
        key_defaults: Vec<(String, Value)>,
        elem: Arc<Node>,
    },
    Scalar,
    /// Shape unknown (`x-kubernetes-preserve-unknown-fields`, schemaless):
    /// maps granular with unnamed keys, lists atomic.
    Deduced,
}

static OPEN: LazyLock<Arc<Node>> = LazyLock::new(|| Arc::new(Node::OpenStruct));
static DEDUCED: LazyLock<Arc<Node>> = LazyLock::new(|| Arc::new(Node::Deduced));
static SCALAR: LazyLock<Arc<Node>> = LazyLock::new(|| Arc::new(Node::Scalar));

impl Node {
    /// The node of field `name` of a map value at this node, and whether it is
    /// a named (struct) field.
    pub(crate) fn child(&self, name: &str) -> (&Node, bool) {
        match self {
            Node::Struct { fields, rest, .. } => match fields.get(name) {
                Some(n) => (n, true),
                None => (rest, matches!(**rest, Node::OpenStruct)),
            },
            Node::OpenStruct => (&OPEN, true),
            Node::Map { elem, .. } => (elem, false),
            _ => (&DEDUCED, false),
        }
    }

    /// The node of the elements of a list value at this node.
    pub(crate) fn elem(&self) -> &Node {
        match self {
            Node::List { elem, .. } => elem,
            Node::OpenStruct => &OPEN,
            _ => &DEDUCED,
        }
    }

    /// SSA list type for a list value at this node.
    pub(crate) fn list_kind(&self) -> &ListType {
        static ATOMIC: ListType = ListType::Atomic;
        match self {
            Node::List { kind, .. } => kind,
            _ => &ATOMIC,
        }
    }

    pub(crate) fn smp(&self) -> Option<&SmpList> {
        match self {
            Node::List { smp, .. } => smp.as_ref(),
            _ => None,
        }
    }

    pub(crate) fn key_default(&self, key: &str) -> Option<&Value> {
        match self {
            Node::List { key_defaults, .. } => {
                key_defaults.iter().find(|(k, _)| k == key).map(|(_, v)| v)
            }
            _ => None,
        }
    }

    /// A map value at this node is one leaf (`x-kubernetes-map-type: atomic`).
    pub(crate) fn is_atomic_map(&self) -> bool {
        matches!(
            self,
            Node::Struct { atomic: true, .. } | Node::Map { atomic: true, .. }
        )
    }
}

/// Field kinds of one resource version. Cheap to clone.
#[derive(Clone, Debug)]
pub struct TypeInfo {
    root: Arc<Node>,
    smp: bool,
    status_subresource: bool,
    empty: Arc<Value>,
}

impl TypeInfo {
    /// The table for a built-in kind. Unknown kinds get ObjectMeta plus
    /// open structs (lists atomic, objects granular).
    pub fn builtin(group: &str, kind: &str) -> TypeInfo {
        let (top, status, empty) = builtin_top(group, kind);
        let mut fields = top;
        fields.push(("metadata", object_meta()));
        fields.push(("apiVersion", SCALAR.clone()));
        fields.push(("kind", SCALAR.clone()));
        TypeInfo {
            root: st(fields),
            smp: true,
            status_subresource: status,
            empty: Arc::new(empty),
        }
    }

    /// Field kinds from a CRD version's `openAPIV3Schema`. Lists without
    /// `x-kubernetes-list-type` are atomic, as on the real server; `metadata`
    /// is always the standard ObjectMeta.
    pub fn from_openapi_v3(schema: &Value) -> TypeInfo {
        let mut root = from_schema(schema);
        let mut fields = match Arc::get_mut(&mut root) {
            Some(Node::Struct { fields, .. }) => std::mem::take(fields),
            _ => HashMap::new(),
        };
        fields.insert("metadata".into(), object_meta());
        fields.insert("apiVersion".into(), SCALAR.clone());
        fields.insert("kind".into(), SCALAR.clone());
        let rest = match &*root {
            Node::Struct { rest, .. } => rest.clone(),
            _ => DEDUCED.clone(),
        };
        TypeInfo {
            root: Arc::new(Node::Struct {
                fields,
                rest,
                atomic: false,
            }),
            smp: false,
            status_subresource: false,
            empty: Arc::new(json!({})),
        }
    }

    /// No schema at all: every list atomic, every map granular (but
    /// `metadata` is still ObjectMeta).
    pub fn schemaless() -> TypeInfo {
        TypeInfo::from_openapi_v3(
            &json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
        )
    }

    /// Declare whether the resource has a `status` subresource (then writes to
    /// the main resource do not track `status`, and `/status` writes track
    /// nothing but `status`). Built-in kinds already know.
    pub fn with_status_subresource(mut self, enabled: bool) -> TypeInfo {
        self.status_subresource = enabled;
        self
    }

    pub fn has_status_subresource(&self) -> bool {
        self.status_subresource
    }

    /// List type of the field at `path` (field names from the root, list
    /// indices omitted). Fields that are not lists answer `Atomic`.
    pub fn list_type(&self, path: &[&str]) -> ListType {
        self.node(path).list_kind().clone()
    }

    /// Whether the object at `path` is one leaf for ownership.
    pub fn is_atomic_map(&self, path: &[&str]) -> bool {
        self.node(path).is_atomic_map()
    }

    /// Strategic-merge-patch merge key of the list at `path`; `None` when the
    /// list is replaced (or is a list of scalars).
    pub fn merge_key(&self, path: &[&str]) -> Option<&str> {
        match self.node(path).smp() {
            Some(SmpList::MergeByKey(k)) => Some(k),
            _ => None,
        }
    }

    /// Whether a list of scalars at `path` merges as a set under strategic
    /// merge patch (`metadata.finalizers`).
    pub fn merges_primitives(&self, path: &[&str]) -> bool {
        matches!(self.node(path).smp(), Some(SmpList::MergePrimitives))
    }

    /// False for custom resources: the real server answers 415 to a strategic
    /// merge patch on them.
    pub fn supports_strategic_merge(&self) -> bool {
        self.smp
    }

    pub(crate) fn root(&self) -> &Node {
        &self.root
    }

    /// The object the real server compares a create against (a zero-valued Go
    /// struct): its present fields do not show up as "added" in managedFields.
    pub fn empty_object(&self) -> &Value {
        &self.empty
    }

    pub(crate) fn node(&self, path: &[&str]) -> &Node {
        let mut n: &Node = &self.root;
        for seg in path {
            if matches!(n, Node::List { .. }) {
                n = n.elem();
            }
            n = n.child(seg).0;
        }
        n
    }
}

// ---------------------------------------------------------------------------
// Small constructors for the built-in table.

fn st(fields: Vec<(&str, Arc<Node>)>) -> Arc<Node> {
    Arc::new(Node::Struct {
        fields: fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        rest: OPEN.clone(),
        atomic: false,
    })
}

fn atomic_st() -> Arc<Node> {
    Arc::new(Node::Struct {
        fields: HashMap::new(),
        rest: OPEN.clone(),
        atomic: true,
    })
}

/// Granular `map[string]string`.
fn smap() -> Arc<Node> {
    Arc::new(Node::Map {
        elem: SCALAR.clone(),
        atomic: false,
    })
}

/// `+mapType=atomic` map.
fn amap() -> Arc<Node> {
    Arc::new(Node::Map {
        elem: SCALAR.clone(),
        atomic: true,
    })
}

fn atomic_list() -> Arc<Node> {
    Arc::new(Node::List {
        kind: ListType::Atomic,
        smp: None,
        key_defaults: vec![],
        elem: OPEN.clone(),
    })
}

/// `+listType=map` keyed by `keys`, strategic merge key `smp_key`.
fn keyed(keys: &[&str], smp_key: &str, elem: Arc<Node>) -> Arc<Node> {
    Arc::new(Node::List {
        kind: ListType::Map {
            keys: keys.iter().map(|s| s.to_string()).collect(),
        },
        smp: Some(SmpList::MergeByKey(smp_key.to_string())),
        key_defaults: vec![],
        elem,
    })
}

fn keyed_with_protocol(keys: &[&str], smp_key: &str) -> Arc<Node> {
    Arc::new(Node::List {
        kind: ListType::Map {
            keys: keys.iter().map(|s| s.to_string()).collect(),
        },
        smp: Some(SmpList::MergeByKey(smp_key.to_string())),
        key_defaults: vec![("protocol".to_string(), json!("TCP"))],
        elem: OPEN.clone(),
    })
}

fn conditions() -> Arc<Node> {
    keyed(&["type"], "type", OPEN.clone())
}

fn object_meta() -> Arc<Node> {
    static META: LazyLock<Arc<Node>> = LazyLock::new(|| {
        st(vec![
            ("labels", smap()),
            ("annotations", smap()),
            ("ownerReferences", keyed(&["uid"], "uid", atomic_st())),
            (
                "finalizers",
                Arc::new(Node::List {
                    kind: ListType::Set,
                    smp: Some(SmpList::MergePrimitives),
                    key_defaults: vec![],
                    elem: SCALAR.clone(),
                }),
            ),
            ("managedFields", atomic_list()),
        ])
    });
    META.clone()
}

fn container() -> Arc<Node> {
    let selector_ref = st(vec![
        ("configMapKeyRef", atomic_st()),
        ("secretKeyRef", atomic_st()),
        ("fieldRef", atomic_st()),
        ("resourceFieldRef", atomic_st()),
    ]);
    st(vec![
        (
            "ports",
            keyed_with_protocol(&["containerPort", "protocol"], "containerPort"),
        ),
        (
            "env",
            keyed(&["name"], "name", st(vec![("valueFrom", selector_ref)])),
        ),
        ("envFrom", atomic_list()),
        (
            "volumeMounts",
            keyed(&["mountPath"], "mountPath", OPEN.clone()),
        ),
        (
            "volumeDevices",
            keyed(&["devicePath"], "devicePath", OPEN.clone()),
        ),
        ("command", atomic_list()),
        ("args", atomic_list()),
        ("resizePolicy", atomic_list()),
        (
            "resources",
            st(vec![
                ("limits", smap()),
                ("requests", smap()),
                ("claims", keyed(&["name"], "name", OPEN.clone())),
            ]),
        ),
    ])
}

fn pod_spec() -> Arc<Node> {
    static SPEC: LazyLock<Arc<Node>> = LazyLock::new(|| {
        let c = container();
        st(vec![
            ("containers", keyed(&["name"], "name", c.clone())),
            ("initContainers", keyed(&["name"], "name", c.clone())),
            ("ephemeralContainers", keyed(&["name"], "name", c)),
            ("volumes", keyed(&["name"], "name", OPEN.clone())),
            ("imagePullSecrets", keyed(&["name"], "name", atomic_st())),
            ("hostAliases", keyed(&["ip"], "ip", OPEN.clone())),
            ("tolerations", atomic_list()),
            ("nodeSelector", amap()),
            ("overhead", smap()),
            (
                "topologySpreadConstraints",
                keyed(
                    &["topologyKey", "whenUnsatisfiable"],
                    "topologyKey",
                    st(vec![("labelSelector", atomic_st())]),
                ),
            ),
            ("resourceClaims", keyed(&["name"], "name", OPEN.clone())),
            ("schedulingGates", keyed(&["name"], "name", OPEN.clone())),
            ("readinessGates", atomic_list()),
            (
                "affinity",
                st(vec![(
                    "nodeAffinity",
                    st(vec![(
                        "requiredDuringSchedulingIgnoredDuringExecution",
                        atomic_st(),
                    )]),
                )]),
            ),
        ])
    });
    SPEC.clone()
}

fn pod_template() -> Arc<Node> {
    st(vec![("metadata", object_meta()), ("spec", pod_spec())])
}

fn workload_status() -> Arc<Node> {
    st(vec![("conditions", conditions())])
}

/// Top-level fields (besides metadata), status-subresource flag and the
/// zero-valued object of a built-in kind.
fn builtin_top(group: &str, kind: &str) -> (Vec<(&'static str, Arc<Node>)>, bool, Value) {
    let meta0 = json!({"creationTimestamp": null});
    match (group, kind) {
        ("" | "core", "Pod") => (
            vec![
                ("spec", pod_spec()),
                (
                    "status",
                    st(vec![
                        ("conditions", conditions()),
                        ("podIPs", keyed(&["ip"], "ip", OPEN.clone())),
                        ("hostIPs", keyed(&["ip"], "ip", OPEN.clone())),
                    ]),
                ),
            ],
            true,
            json!({"metadata": meta0, "spec": {"containers": null}, "status": {}}),
        ),
        ("" | "core", "Service") => (
            vec![
                (
                    "spec",
                    st(vec![
                        ("ports", keyed_with_protocol(&["port", "protocol"], "port")),
                        ("selector", amap()),
                        ("sessionAffinityConfig", OPEN.clone()),
                    ]),
                ),
                (
                    "status",
                    st(vec![
                        ("conditions", conditions()),
                        ("loadBalancer", st(vec![("ingress", atomic_list())])),
                    ]),
                ),
            ],
            true,
            json!({"metadata": meta0, "spec": {}, "status": {"loadBalancer": {}}}),
        ),
        ("" | "core", "ConfigMap") => (
            vec![("data", smap()), ("binaryData", smap())],
            false,
            json!({"metadata": meta0}),
        ),
        ("" | "core", "Secret") => (
            vec![("data", smap()), ("stringData", smap())],
            false,
            json!({"metadata": meta0}),
        ),
        ("" | "core", "Namespace") => (
            vec![
                ("spec", st(vec![("finalizers", atomic_list())])),
                ("status", workload_status()),
            ],
            true,
            json!({"metadata": meta0, "spec": {}, "status": {}}),
        ),
        ("" | "core", "Event") => (
            vec![("involvedObject", atomic_st()), ("related", atomic_st())],
            false,
            json!({"metadata": meta0, "involvedObject": {}, "source": {},
                   "firstTimestamp": null, "lastTimestamp": null, "eventTime": null,
                   "reportingComponent": "", "reportingInstance": ""}),
        ),
        ("" | "core", "ServiceAccount") => (
            vec![
                ("secrets", keyed(&["name"], "name", atomic_st())),
                ("imagePullSecrets", atomic_list()),
            ],
            false,
            json!({"metadata": meta0}),
        ),
        ("" | "core", "Endpoints") => (
            vec![("subsets", atomic_list())],
            false,
            json!({"metadata": meta0}),
        ),
        ("apps", "Deployment") => (
            vec![
                (
                    "spec",
                    st(vec![
                        ("selector", atomic_st()),
                        ("template", pod_template()),
                    ]),
                ),
                ("status", workload_status()),
            ],
            true,
            json!({"metadata": meta0, "spec": {"selector": null,
                   "template": {"metadata": {"creationTimestamp": null}, "spec": {"containers": null}},
                   "strategy": {}}, "status": {}}),
        ),
        ("apps", "ReplicaSet") => (
            vec![
                (
                    "spec",
                    st(vec![
                        ("selector", atomic_st()),
                        ("template", pod_template()),
                    ]),
                ),
                ("status", workload_status()),
            ],
            true,
            json!({"metadata": meta0, "spec": {"selector": null,
                   "template": {"metadata": {"creationTimestamp": null}, "spec": {"containers": null}}},
                   "status": {"replicas": 0}}),
        ),
        ("coordination.k8s.io", "Lease") => (vec![], false, json!({"metadata": meta0, "spec": {}})),
        ("rbac.authorization.k8s.io", "Role" | "ClusterRole") => (
            vec![
                ("rules", atomic_list()),
                (
                    "aggregationRule",
                    st(vec![("clusterRoleSelectors", atomic_list())]),
                ),
            ],
            false,
            json!({"metadata": meta0, "rules": null}),
        ),
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => (
            vec![("roleRef", atomic_st()), ("subjects", atomic_list())],
            false,
            json!({"metadata": meta0, "roleRef": {}}),
        ),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => (
            vec![
                ("spec", st(vec![("versions", atomic_list())])),
                (
                    "status",
                    st(vec![
                        ("conditions", conditions()),
                        ("storedVersions", atomic_list()),
                    ]),
                ),
            ],
            true,
            json!({"metadata": meta0,
                   "spec": {"group": "", "names": {"plural": "", "kind": ""}, "scope": "", "versions": null},
                   "status": {"acceptedNames": {"plural": "", "kind": ""}, "storedVersions": null}}),
        ),
        _ => (vec![], false, json!({"metadata": meta0})),
    }
}

// ---------------------------------------------------------------------------
// OpenAPI v3 (structural schema of a CRD version).

fn from_schema(s: &Value) -> Arc<Node> {
    let Some(obj) = s.as_object() else {
        return DEDUCED.clone();
    };
    let preserve = obj
        .get("x-kubernetes-preserve-unknown-fields")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if obj
        .get("x-kubernetes-int-or-string")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        return SCALAR.clone();
    }
    let ty = obj.get("type").and_then(Value::as_str).unwrap_or("");
    let atomic_map = obj.get("x-kubernetes-map-type").and_then(Value::as_str) == Some("atomic");
    match ty {
        "array" => {
            let elem = obj.get("items").map(from_schema).unwrap_or(DEDUCED.clone());
            let kind = match obj.get("x-kubernetes-list-type").and_then(Value::as_str) {
                Some("set") => ListType::Set,
                Some("map") => ListType::Map {
                    keys: obj
                        .get("x-kubernetes-list-map-keys")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|k| k.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                },
                _ => ListType::Atomic,
            };
            let key_defaults = match (&kind, obj.get("items").and_then(|i| i.get("properties"))) {
                (ListType::Map { keys }, Some(Value::Object(props))) => keys
                    .iter()
                    .filter_map(|k| {
                        props
                            .get(k)
                            .and_then(|p| p.get("default"))
                            .map(|d| (k.clone(), d.clone()))
                    })
                    .collect(),
                _ => vec![],
            };
            Arc::new(Node::List {
                kind,
                smp: None,
                key_defaults,
                elem,
            })
        }
        "object" | "" => {
            let props = obj.get("properties").and_then(Value::as_object);
            let additional = obj.get("additionalProperties");
            match (props, additional) {
                (Some(props), _) => Arc::new(Node::Struct {
                    fields: props
                        .iter()
                        .map(|(k, v)| (k.clone(), from_schema(v)))
                        .collect(),
                    rest: DEDUCED.clone(),
                    atomic: atomic_map,
                }),
                (None, Some(Value::Object(a))) => Arc::new(Node::Map {
                    elem: from_schema(&Value::Object(a.clone())),
                    atomic: atomic_map,
                }),
                (None, Some(Value::Bool(true))) => Arc::new(Node::Map {
                    elem: DEDUCED.clone(),
                    atomic: atomic_map,
                }),
                _ if ty.is_empty() && !preserve => DEDUCED.clone(),
                _ => Arc::new(Node::Map {
                    elem: DEDUCED.clone(),
                    atomic: atomic_map,
                }),
            }
        }
        _ => SCALAR.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(k: &[&str]) -> ListType {
        ListType::Map {
            keys: k.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn builtin_table() {
        let pod = TypeInfo::builtin("", "Pod");
        let dep = TypeInfo::builtin("apps", "Deployment");
        let svc = TypeInfo::builtin("", "Service");
        let cases: Vec<(&TypeInfo, &[&str], ListType, Option<&str>)> = vec![
            (
                &pod,
                &["metadata", "ownerReferences"],
                keys(&["uid"]),
                Some("uid"),
            ),
            (&pod, &["metadata", "finalizers"], ListType::Set, None),
            (&pod, &["metadata", "managedFields"], ListType::Atomic, None),
            (&pod, &["spec", "containers"], keys(&["name"]), Some("name")),
            (
                &pod,
                &["spec", "initContainers"],
                keys(&["name"]),
                Some("name"),
            ),
            (
                &pod,
                &["spec", "ephemeralContainers"],
                keys(&["name"]),
                Some("name"),
            ),
            (
                &pod,
                &["spec", "containers", "ports"],
                keys(&["containerPort", "protocol"]),
                Some("containerPort"),
            ),
            (
                &pod,
                &["spec", "containers", "env"],
                keys(&["name"]),
                Some("name"),
            ),
            (
                &pod,
                &["spec", "containers", "envFrom"],
                ListType::Atomic,
                None,
            ),
            (
                &pod,
                &["spec", "containers", "volumeMounts"],
                keys(&["mountPath"]),
                Some("mountPath"),
            ),
            (&pod, &["spec", "volumes"], keys(&["name"]), Some("name")),
            (
                &pod,
                &["spec", "imagePullSecrets"],
                keys(&["name"]),
                Some("name"),
            ),
            (&pod, &["spec", "tolerations"], ListType::Atomic, None),
            (&pod, &["spec", "hostAliases"], keys(&["ip"]), Some("ip")),
            (
                &pod,
                &["status", "conditions"],
                keys(&["type"]),
                Some("type"),
            ),
            (
                &dep,
                &["spec", "template", "spec", "containers"],
                keys(&["name"]),
                Some("name"),
            ),
            (
                &dep,
                &["spec", "template", "spec", "containers", "env"],
                keys(&["name"]),
                Some("name"),
            ),
            (
                &dep,
                &["status", "conditions"],
                keys(&["type"]),
                Some("type"),
            ),
            (
                &svc,
                &["spec", "ports"],
                keys(&["port", "protocol"]),
                Some("port"),
            ),
            (&svc, &["spec", "externalIPs"], ListType::Atomic, None),
        ];
        for (ti, path, lt, mk) in cases {
            assert_eq!(ti.list_type(path), lt, "{path:?}");
            assert_eq!(ti.merge_key(path), mk, "{path:?}");
        }
        assert!(pod.merges_primitives(&["metadata", "finalizers"]));
        assert!(pod.supports_strategic_merge());
        assert!(dep.has_status_subresource());
        assert!(!TypeInfo::builtin("", "ConfigMap").has_status_subresource());
    }

    #[test]
    fn builtin_map_types() {
        let svc = TypeInfo::builtin("", "Service");
        let dep = TypeInfo::builtin("apps", "Deployment");
        let cm = TypeInfo::builtin("", "ConfigMap");
        // The real Service type marks spec.selector `+mapType=atomic`.
        assert!(svc.is_atomic_map(&["spec", "selector"]));
        assert!(!svc.is_atomic_map(&["metadata", "labels"]));
        assert!(!svc.is_atomic_map(&["metadata", "annotations"]));
        assert!(dep.is_atomic_map(&["spec", "selector"]));
        assert!(!dep.is_atomic_map(&["spec", "template", "metadata", "labels"]));
        assert!(dep.is_atomic_map(&["spec", "template", "spec", "nodeSelector"]));
        assert!(!cm.is_atomic_map(&["data"]));
        let (n, named) = cm.root().child("data");
        assert!(named);
        assert!(!n.child("key").1, "data keys are not named fields");
    }

    #[test]
    fn crd_schema() {
        let schema = json!({
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {
                        "http": {"type": "array", "items": {"type": "object",
                            "x-kubernetes-preserve-unknown-fields": true}},
                        "hosts": {"type": "array", "x-kubernetes-list-type": "set",
                            "items": {"type": "string"}},
                        "routes": {"type": "array", "x-kubernetes-list-type": "map",
                            "x-kubernetes-list-map-keys": ["name", "port"],
                            "items": {"type": "object", "properties": {
                                "name": {"type": "string"},
                                "port": {"type": "integer", "default": 80},
                                "tags": {"type": "array", "items": {"type": "string"}}}}},
                        "selector": {"type": "object", "x-kubernetes-map-type": "atomic",
                            "additionalProperties": {"type": "string"}},
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
                    }
                },
                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
            }
        });
        let ti = TypeInfo::from_openapi_v3(&schema);
        assert!(!ti.supports_strategic_merge());
        assert_eq!(ti.list_type(&["spec", "http"]), ListType::Atomic);
        assert_eq!(ti.list_type(&["spec", "hosts"]), ListType::Set);
        assert_eq!(ti.list_type(&["spec", "routes"]), keys(&["name", "port"]));
        assert_eq!(ti.list_type(&["spec", "routes", "tags"]), ListType::Atomic);
        assert_eq!(ti.merge_key(&["spec", "routes"]), None);
        assert!(ti.is_atomic_map(&["spec", "selector"]));
        assert!(!ti.is_atomic_map(&["spec", "labels"]));
        assert_eq!(ti.list_type(&["spec", "free", "x", "y"]), ListType::Atomic);
        assert_eq!(ti.list_type(&["status", "conditions"]), ListType::Atomic);
        // metadata is always ObjectMeta.
        assert_eq!(
            ti.list_type(&["metadata", "ownerReferences"]),
            keys(&["uid"])
        );
        assert_eq!(ti.list_type(&["metadata", "finalizers"]), ListType::Set);
        assert!(!ti.is_atomic_map(&["metadata", "labels"]));
        assert_eq!(
            ti.node(&["spec", "routes"]).key_default("port"),
            Some(&json!(80))
        );
        let sl = TypeInfo::schemaless();
        assert_eq!(sl.list_type(&["spec", "anything"]), ListType::Atomic);
        assert!(!sl.is_atomic_map(&["spec"]));
        assert_eq!(sl.list_type(&["metadata", "finalizers"]), ListType::Set);
    }
}
