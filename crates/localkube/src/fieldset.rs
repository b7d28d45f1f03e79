//! Sets of field paths, as server-side apply tracks ownership, and their
//! `fieldsV1` encoding in `metadata.managedFields`.
//!
//! A path is a sequence of [`PathElement`]s: a field name (`f:name`), a list
//! element picked by its key fields (`k:{"name":"app"}`), a set element picked
//! by its value (`v:"x"`) or a position in a list (`i:0`). A [`FieldSet`]
//! stores paths as a tree; a path is a *member* when the path itself is in the
//! set (its node is written with `".": {}` when it also has children).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

use crate::typeinfo::{ListType, Node, TypeInfo};

/// One step of a field path.
#[derive(Clone, Debug)]
pub enum PathElement {
    /// A field of an object (`f:name`).
    Field(String),
    /// An element of an associative list, by its key fields sorted by name
    /// (`k:{"name":"app"}`).
    Key(Vec<(String, Value)>),
    /// An element of a set list, by value (`v:"x"`).
    Value(Value),
    /// An element of a list by position (`i:3`).
    Index(usize),
}

pub type Path = Vec<PathElement>;

fn rank(v: &Value) -> u8 {
    match v {
        Value::Number(_) => 0,
        Value::String(_) => 1,
        Value::Bool(_) => 2,
        Value::Array(_) => 3,
        Value::Object(_) => 4,
        Value::Null => 5,
    }
}

/// Total order of values used for sorting set members: numbers (compared
/// numerically), then strings, booleans, lists, maps and null.
pub fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                return x.cmp(&y);
            }
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                let c = compare_values(p, q);
                if c != Ordering::Equal {
                    return c;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Object(x), Value::Object(y)) => {
            let mut xs: Vec<_> = x.iter().collect();
            let mut ys: Vec<_> = y.iter().collect();
            xs.sort_by(|p, q| p.0.cmp(q.0));
            ys.sort_by(|p, q| p.0.cmp(q.0));
            for ((kx, vx), (ky, vy)) in xs.iter().zip(&ys) {
                let c = kx.cmp(ky).then_with(|| compare_values(vx, vy));
                if c != Ordering::Equal {
                    return c;
                }
            }
            xs.len().cmp(&ys.len())
        }
        (Value::Null, Value::Null) => Ordering::Equal,
        _ => rank(a).cmp(&rank(b)),
    }
}

fn compare_keys(a: &[(String, Value)], b: &[(String, Value)]) -> Ordering {
    for ((na, va), (nb, vb)) in a.iter().zip(b) {
        let c = na.cmp(nb).then_with(|| compare_values(va, vb));
        if c != Ordering::Equal {
            return c;
        }
    }
    a.len().cmp(&b.len())
}

impl PathElement {
    fn kind_rank(&self) -> u8 {
        match self {
            PathElement::Field(_) => 0,
            PathElement::Key(_) => 1,
            PathElement::Value(_) => 2,
            PathElement::Index(_) => 3,
        }
    }

    /// Key element from key fields in any order.
    pub fn key(mut fields: Vec<(String, Value)>) -> PathElement {
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        PathElement::Key(fields)
    }

    /// The `fieldsV1` spelling: `f:name`, `k:{"a":1}`, `v:"x"`, `i:0`.
    pub fn to_fields_v1_key(&self) -> String {
        match self {
            PathElement::Field(n) => format!("f:{n}"),
            PathElement::Key(fields) => {
                let mut m = Map::new();
                for (k, v) in fields {
                    m.insert(k.clone(), v.clone());
                }
                format!("k:{}", Value::Object(m))
            }
            PathElement::Value(v) => format!("v:{v}"),
            PathElement::Index(i) => format!("i:{i}"),
        }
    }

    /// Parse one `fieldsV1` key (not `.`).
    pub fn from_fields_v1_key(s: &str) -> Result<PathElement, String> {
        let (tag, rest) = s
            .split_once(':')
            .ok_or_else(|| format!("invalid path element {s:?}"))?;
        match tag {
            "f" => Ok(PathElement::Field(rest.to_string())),
            "k" => match serde_json::from_str::<Value>(rest) {
                Ok(Value::Object(m)) => Ok(PathElement::key(m.into_iter().collect())),
                _ => Err(format!("invalid key path element {s:?}")),
            },
            "v" => serde_json::from_str(rest)
                .map(PathElement::Value)
                .map_err(|_| format!("invalid value path element {s:?}")),
            "i" => rest
                .parse()
                .map(PathElement::Index)
                .map_err(|_| format!("invalid index path element {s:?}")),
            _ => Err(format!("unknown path element type in {s:?}")),
        }
    }
}

impl PartialEq for PathElement {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for PathElement {}
impl PartialOrd for PathElement {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for PathElement {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PathElement::Field(a), PathElement::Field(b)) => a.cmp(b),
            (PathElement::Key(a), PathElement::Key(b)) => compare_keys(a, b),
            (PathElement::Value(a), PathElement::Value(b)) => compare_values(a, b),
            (PathElement::Index(a), PathElement::Index(b)) => a.cmp(b),
            _ => self.kind_rank().cmp(&other.kind_rank()),
        }
    }
}

/// The way the API server prints path elements in conflicts:
/// `.name`, `[name="app"]`, `[="x"]`, `[0]`.
impl fmt::Display for PathElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathElement::Field(n) => write!(f, ".{n}"),
            PathElement::Key(fields) => {
                f.write_str("[")?;
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{k}={v}")?;
                }
                f.write_str("]")
            }
            PathElement::Value(v) => write!(f, "[={v}]"),
            PathElement::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// Render a path as in apply conflicts, e.g.
/// `.spec.template.spec.containers[name="app"].image`.
pub fn path_string(path: &[PathElement]) -> String {
    path.iter().map(|pe| pe.to_string()).collect()
}

/// Build a path from field names (no list elements).
pub fn field_path(names: &[&str]) -> Path {
    names
        .iter()
        .map(|n| PathElement::Field(n.to_string()))
        .collect()
}

/// A set of field paths.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSet {
    members: BTreeSet<PathElement>,
    children: BTreeMap<PathElement, FieldSet>,
}

impl FieldSet {
    pub fn new() -> FieldSet {
        FieldSet::default()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.children.is_empty()
    }

    pub fn insert(&mut self, path: &[PathElement]) {
        match path {
            [] => {}
            [pe] => {
                self.members.insert(pe.clone());
            }
            [pe, rest @ ..] => self.children.entry(pe.clone()).or_default().insert(rest),
        }
    }

    pub fn has(&self, path: &[PathElement]) -> bool {
        match path {
            [] => false,
            [pe] => self.members.contains(pe),
            [pe, rest @ ..] => self.children.get(pe).is_some_and(|c| c.has(rest)),
        }
    }

    /// The paths below `pe` (relative to it), if any.
    pub fn with_prefix(&self, pe: &PathElement) -> Option<&FieldSet> {
        self.children.get(pe)
    }

    pub fn union(&self, other: &FieldSet) -> FieldSet {
        let mut out = self.clone();
        out.members.extend(other.members.iter().cloned());
        for (pe, c) in &other.children {
            let merged = match out.children.get(pe) {
                Some(mine) => mine.union(c),
                None => c.clone(),
            };
            out.children.insert(pe.clone(), merged);
        }
        out
    }

    /// Paths in `self` that are not in `other` (path by path).
    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet::new();
        for m in &self.members {
            if !other.members.contains(m) {
                out.members.insert(m.clone());
            }
        }
        for (pe, c) in &self.children {
            let d = match other.children.get(pe) {
                Some(o) => c.difference(o),
                None => c.clone(),
            };
            if !d.is_empty() {
                out.children.insert(pe.clone(), d);
            }
        }
        out
    }

    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet::new();
        for m in &self.members {
            if other.members.contains(m) {
                out.members.insert(m.clone());
            }
        }
        for (pe, c) in &self.children {
            if let Some(o) = other.children.get(pe) {
                let i = c.intersection(o);
                if !i.is_empty() {
                    out.children.insert(pe.clone(), i);
                }
            }
        }
        out
    }

    /// Remove every path of `self` that is, or lies below, a member of `other`.
    pub fn recursive_difference(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet::new();
        for m in &self.members {
            if !other.members.contains(m) {
                out.members.insert(m.clone());
            }
        }
        for (pe, c) in &self.children {
            if other.members.contains(pe) {
                continue;
            }
            let d = match other.children.get(pe) {
                Some(o) => c.recursive_difference(o),
                None => c.clone(),
            };
            if !d.is_empty() {
                out.children.insert(pe.clone(), d);
            }
        }
        out
    }

    /// Every path in the set, in the order the API server lists them
    /// (members of a level before the levels below it).
    pub fn paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        self.collect(&mut Vec::new(), &mut out, false);
        out
    }

    /// Member paths that have nothing below them in the set.
    pub fn leaves(&self) -> Vec<Path> {
        let mut out = Vec::new();
        self.collect(&mut Vec::new(), &mut out, true);
        out
    }

    fn collect(&self, prefix: &mut Path, out: &mut Vec<Path>, leaves_only: bool) {
        for m in &self.members {
            if leaves_only && self.children.contains_key(m) {
                continue;
            }
            let mut p = prefix.clone();
            p.push(m.clone());
            out.push(p);
        }
        for (pe, c) in &self.children {
            prefix.push(pe.clone());
            c.collect(prefix, out, leaves_only);
            prefix.pop();
        }
    }

    /// Encode as `fieldsV1` JSON, in the server's order.
    pub fn to_fields_v1(&self) -> Value {
        Value::Object(self.emit(false))
    }

    fn emit(&self, include_self: bool) -> Map<String, Value> {
        let mut out = Map::new();
        if include_self && !self.is_empty() {
            out.insert(".".into(), Value::Object(Map::new()));
        }
        let mut mi = self.members.iter().peekable();
        let mut ci = self.children.iter().peekable();
        loop {
            match (mi.peek(), ci.peek()) {
                (None, None) => break,
                (Some(m), None) => {
                    out.insert(m.to_fields_v1_key(), Value::Object(Map::new()));
                    mi.next();
                }
                (None, Some((pe, c))) => {
                    out.insert(pe.to_fields_v1_key(), Value::Object(c.emit(false)));
                    ci.next();
                }
                (Some(m), Some((pe, c))) => match (*m).cmp(pe) {
                    Ordering::Less => {
                        out.insert(m.to_fields_v1_key(), Value::Object(Map::new()));
                        mi.next();
                    }
                    Ordering::Greater => {
                        out.insert(pe.to_fields_v1_key(), Value::Object(c.emit(false)));
                        ci.next();
                    }
                    Ordering::Equal => {
                        out.insert(pe.to_fields_v1_key(), Value::Object(c.emit(true)));
                        mi.next();
                        ci.next();
                    }
                },
            }
        }
        out
    }

    /// Decode `fieldsV1` JSON.
    pub fn from_fields_v1(v: &Value) -> Result<FieldSet, String> {
        let Value::Object(m) = v else {
            return Err("fieldsV1 must be an object".into());
        };
        let mut out = FieldSet::new();
        for (k, child) in m {
            if k == "." {
                continue;
            }
            let pe = PathElement::from_fields_v1_key(k)?;
            let Value::Object(cm) = child else {
                return Err(format!("fieldsV1 entry {k:?} must be an object"));
            };
            if cm.is_empty() || cm.contains_key(".") {
                out.members.insert(pe.clone());
            }
            let sub = FieldSet::from_fields_v1(child)?;
            if !sub.is_empty() {
                out.children.insert(pe, sub);
            }
        }
        Ok(out)
    }

    /// The fields an object sets, as server-side apply counts them: scalars,
    /// atomic lists and maps, list elements (and their contents) and entries
    /// of free-form maps.
    pub fn from_object(value: &Value, types: &TypeInfo) -> Result<FieldSet, String> {
        let mut out = FieldSet::new();
        walk_object(value, types.root(), &mut Vec::new(), &mut out)?;
        Ok(out)
    }

    /// Make named (struct) fields that have owned children members too, so
    /// pruning can remove a whole struct nobody owns anything in.
    pub(crate) fn ensure_named_fields_are_members(&self, node: &Node) -> FieldSet {
        let mut out = FieldSet {
            members: self.members.clone(),
            children: BTreeMap::new(),
        };
        for (pe, c) in &self.children {
            let child_node = match pe {
                PathElement::Field(name) => {
                    let (n, named) = node.child(name);
                    if named {
                        out.members.insert(pe.clone());
                    }
                    n
                }
                _ => node.elem(),
            };
            out.children
                .insert(pe.clone(), c.ensure_named_fields_are_members(child_node));
        }
        out
    }
}

/// The path element of list item `item` at position `index` of a list whose
/// schema node is `list`.
pub(crate) fn list_item_pe(list: &Node, index: usize, item: &Value) -> Result<PathElement, String> {
    match list.list_kind() {
        ListType::Atomic => Ok(PathElement::Index(index)),
        ListType::Set => match item {
            Value::Object(_) | Value::Array(_) => Err(format!(
                "element {index}: set lists may only hold scalars, not {item}"
            )),
            v => Ok(PathElement::Value(v.clone())),
        },
        ListType::Map { keys } => {
            let Value::Object(m) = item else {
                return Err(format!(
                    "element {index}: associative list with keys may only hold objects, not {item}"
                ));
            };
            let mut fields = Vec::with_capacity(keys.len());
            for k in keys {
                match m.get(k).or_else(|| list.key_default(k)) {
                    Some(v) => fields.push((k.clone(), v.clone())),
                    None => {
                        return Err(format!(
                            "element {index}: associative list with keys has an element that omits key field {k:?} (and doesn't have default value)"
                        ));
                    }
                }
            }
            Ok(PathElement::key(fields))
        }
    }
}

fn walk_object(v: &Value, node: &Node, path: &mut Path, out: &mut FieldSet) -> Result<(), String> {
    match v {
        Value::Object(m) => {
            if node.is_atomic_map() || matches!(node, Node::Scalar | Node::List { .. }) {
                out.insert(path);
                return Ok(());
            }
            for (k, val) in m {
                let (child, named) = node.child(k);
                path.push(PathElement::Field(k.clone()));
                walk_object(val, child, path, out)?;
                if !named {
                    out.insert(path);
                }
                path.pop();
            }
            Ok(())
        }
        Value::Array(items) => {
            if !matches!(node, Node::List { .. }) || *node.list_kind() == ListType::Atomic {
                out.insert(path);
                return Ok(());
            }
            for (i, item) in items.iter().enumerate() {
                let pe = list_item_pe(node, i, item)
                    .map_err(|e| format!("{}: {e}", path_string(path)))?;
                path.push(pe);
                walk_object(item, node.elem(), path, out)?;
                out.insert(path);
                path.pop();
            }
            Ok(())
        }
        Value::Null => {
            if matches!(node, Node::Scalar | Node::Deduced) {
                out.insert(path);
            }
            Ok(())
        }
        _ => {
            out.insert(path);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fs(v: Value) -> FieldSet {
        FieldSet::from_fields_v1(&v).unwrap()
    }

    #[test]
    fn fields_v1_round_trip_exact() {
        // Strings as the real server writes them (kubectl create deployment).
        let cases = vec![
            r#"{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:progressDeadlineSeconds":{},"f:replicas":{},"f:selector":{},"f:strategy":{"f:rollingUpdate":{".":{},"f:maxSurge":{},"f:maxUnavailable":{}},"f:type":{}},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},"f:restartPolicy":{}}}}}"#,
            r#"{"f:metadata":{"f:finalizers":{".":{},"v:\"example.com/a\"":{},"v:\"example.com/b\"":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"0f1e\"}":{}}}}"#,
            r#"{"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:protocol":{}}}}}}}"#,
            r#"{"f:status":{"f:conditions":{"k:{\"type\":\"Available\"}":{".":{},"f:status":{},"f:type":{}},"k:{\"type\":\"Progressing\"}":{".":{},"f:status":{},"f:type":{}}}}}"#,
            r#"{"f:data":{"f:a":{},"f:b":{}},"f:spec":{"f:http":{}}}"#,
        ];
        for c in cases {
            let v: Value = serde_json::from_str(c).unwrap();
            let set = FieldSet::from_fields_v1(&v).unwrap();
            assert_eq!(set.to_fields_v1().to_string(), c);
        }
    }

    #[test]
    fn fields_v1_sorted_output() {
        // Input in a different order comes out in the server's order.
        let set = fs(json!({"f:spec": {"f:z": {}, "f:a": {}},
            "f:metadata": {"f:labels": {"f:b": {}, ".": {}, "f:a": {}}}}));
        assert_eq!(
            set.to_fields_v1().to_string(),
            r#"{"f:metadata":{"f:labels":{".":{},"f:a":{},"f:b":{}}},"f:spec":{"f:a":{},"f:z":{}}}"#
        );
    }

    #[test]
    fn element_ordering_and_keys() {
        let mut set = FieldSet::new();
        let p = |pe: PathElement| vec![PathElement::Field("l".into()), pe];
        set.insert(&p(PathElement::Index(1)));
        set.insert(&p(PathElement::Value(json!("b"))));
        set.insert(&p(PathElement::Value(json!(3))));
        set.insert(&p(PathElement::key(vec![
            ("protocol".into(), json!("TCP")),
            ("containerPort".into(), json!(8080)),
        ])));
        set.insert(&p(PathElement::key(vec![
            ("protocol".into(), json!("TCP")),
            ("containerPort".into(), json!(443)),
        ])));
        set.insert(&p(PathElement::Field("x".into())));
        assert_eq!(
            set.to_fields_v1().to_string(),
            r#"{"f:l":{"f:x":{},"k:{\"containerPort\":443,\"protocol\":\"TCP\"}":{},"k:{\"containerPort\":8080,\"protocol\":\"TCP\"}":{},"v:3":{},"v:\"b\"":{},"i:1":{}}}"#
        );
    }

    #[test]
    fn path_strings() {
        let cases: Vec<(Path, &str)> = vec![
            (field_path(&["spec", "replicas"]), ".spec.replicas"),
            (
                field_path(&["metadata", "labels", "app"]),
                ".metadata.labels.app",
            ),
            (
                vec![
                    PathElement::Field("spec".into()),
                    PathElement::Field("containers".into()),
                    PathElement::key(vec![("name".into(), json!("app"))]),
                    PathElement::Field("image".into()),
                ],
                r#".spec.containers[name="app"].image"#,
            ),
            (
                vec![
                    PathElement::Field("ports".into()),
                    PathElement::key(vec![
                        ("protocol".into(), json!("TCP")),
                        ("port".into(), json!(80)),
                    ]),
                ],
                r#".ports[port=80,protocol="TCP"]"#,
            ),
            (
                vec![
                    PathElement::Field("finalizers".into()),
                    PathElement::Value(json!("x")),
                ],
                r#".finalizers[="x"]"#,
            ),
            (
                vec![PathElement::Field("http".into()), PathElement::Index(0)],
                ".http[0]",
            ),
        ];
        for (p, s) in cases {
            assert_eq!(path_string(&p), s);
        }
    }

    #[test]
    fn set_operations() {
        let a = fs(json!({"f:spec": {"f:a": {}, "f:b": {}, "f:c": {"f:d": {}}}}));
        let b = fs(json!({"f:spec": {"f:b": {}, "f:c": {".": {}, "f:e": {}}}}));
        assert_eq!(
            a.union(&b),
            fs(json!({"f:spec": {"f:a": {}, "f:b": {}, "f:c": {".": {}, "f:d": {}, "f:e": {}}}}))
        );
        assert_eq!(
            a.difference(&b),
            fs(json!({"f:spec": {"f:a": {}, "f:c": {"f:d": {}}}}))
        );
        assert_eq!(a.intersection(&b), fs(json!({"f:spec": {"f:b": {}}})));
        assert_eq!(
            a.recursive_difference(&b),
            fs(json!({"f:spec": {"f:a": {}}}))
        );
        assert!(a.difference(&a).is_empty());
        let leaves: Vec<String> = b.leaves().iter().map(|p| path_string(p)).collect();
        assert_eq!(leaves, vec![".spec.b", ".spec.c.e"]);
        let all: Vec<String> = b.paths().iter().map(|p| path_string(p)).collect();
        assert_eq!(all, vec![".spec.b", ".spec.c", ".spec.c.e"]);
        assert!(b.has(&field_path(&["spec", "c"])));
        assert!(!a.has(&field_path(&["spec", "c"])));
    }

    #[test]
    fn from_object_builtin() {
        let ti = TypeInfo::builtin("apps", "Deployment");
        let obj = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{
                        "name": "app", "image": "nginx",
                        "ports": [{"containerPort": 80}],
                        "env": [{"name": "A", "value": "1"}],
                        "resources": {}
                    }]}
                }
            }
        });
        let set = FieldSet::from_object(&obj, &ti).unwrap();
        assert_eq!(
            set.to_fields_v1().to_string(),
            r#"{"f:apiVersion":{},"f:kind":{},"f:metadata":{"f:labels":{"f:app":{}},"f:name":{}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:env":{"k:{\"name\":\"A\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:name":{},"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}}}}"#
        );
    }

    #[test]
    fn from_object_sets_and_unnamed_maps() {
        let ti = TypeInfo::schemaless();
        let obj = json!({
            "metadata": {"finalizers": ["a", "b"], "ownerReferences": [{"uid": "u1", "name": "x"}]},
            "spec": {"nested": {"x": 1}, "list": [1, 2]}
        });
        let set = FieldSet::from_object(&obj, &ti).unwrap();
        assert_eq!(
            set.to_fields_v1().to_string(),
            r#"{"f:metadata":{"f:finalizers":{"v:\"a\"":{},"v:\"b\"":{}},"f:ownerReferences":{"k:{\"uid\":\"u1\"}":{}}},"f:spec":{".":{},"f:list":{},"f:nested":{".":{},"f:x":{}}}}"#
        );
    }

    #[test]
    fn from_object_missing_key_is_an_error() {
        let ti = TypeInfo::builtin("", "Pod");
        let obj = json!({"spec": {"containers": [{"image": "x"}]}});
        let err = FieldSet::from_object(&obj, &ti).unwrap_err();
        assert_eq!(
            err,
            r#".spec.containers: element 0: associative list with keys has an element that omits key field "name" (and doesn't have default value)"#
        );
    }

    #[test]
    fn bad_fields_v1() {
        for bad in [
            json!([]),
            json!({"x:1": {}}),
            json!({"k:[1]": {}}),
            json!({"f:a": 1}),
        ] {
            assert!(FieldSet::from_fields_v1(&bad).is_err(), "{bad}");
        }
    }
}
