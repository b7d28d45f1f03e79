//! Object metadata and the built-in kinds: the validation and defaulting the real
//! kube-apiserver does for every object, with its field paths and messages.
//!
//! The server should, on create, generate a name from `generateName` if needed, call
//! [`default_builtin`] (and allocate a cluster IP when [`service_needs_cluster_ip`]), then
//! [`validate_object_meta`] and [`validate_builtin`], and answer 422 with all the errors.
//!
//! Values of the wrong JSON type in typed fields (`port: "80"`, a number as label value) make
//! the real server answer 400 while decoding; they are not reported here (they are treated as
//! absent or skipped).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use base64::Engine;
use regex::Regex;
use serde_json::{Map, Value, json};

use crate::field_error::{BadValue, FieldError};

// ---------------------------------------------------------------------------------------------
// name formats (k8s.io/apimachinery/pkg/util/validation)
// ---------------------------------------------------------------------------------------------

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const LABEL_KEY_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_KEY_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const CONFIG_MAP_KEY_FMT: &str = "[-._a-zA-Z0-9]+";
const CONFIG_MAP_KEY_MSG: &str =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";

/// Total size of all annotations (keys and values) an object may carry.
pub const TOTAL_ANNOTATION_SIZE_LIMIT: i64 = 256 * 1024;
/// Maximum total size of the data of a ConfigMap or Secret.
pub const MAX_SECRET_SIZE: i64 = 1024 * 1024;

thread_local! {
    static ANCHORED: RefCell<HashMap<&'static str, Regex>> = RefCell::new(HashMap::new());
}

/// Whether all of `s` matches the (constant, valid) pattern `fmt`.
fn full_match(fmt: &'static str, s: &str) -> bool {
    ANCHORED.with(|cache| {
        let mut cache = cache.borrow_mut();
        let re = cache.entry(fmt).or_insert_with(|| {
            Regex::new(&format!("^(?:{fmt})$")).expect("built-in patterns are valid")
        });
        re.is_match(s)
    })
}

/// The explanation of a failed regex check, worded like the real server (including its
/// double spaces between examples).
pub fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{fmt}')");
    }
    let mut out = format!("{msg} (e.g. ");
    for (i, e) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{e}', "));
    }
    out.push_str(&format!("regex used for validation is '{fmt}')"));
    out
}

fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

/// DNS-1123 label (`my-name`): at most 63 lowercase alphanumerics or `-`.
pub fn is_dns1123_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !full_match(DNS1123_LABEL_FMT, value) {
        if full_match(DNS1123_SUBDOMAIN_FMT, value) {
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(regex_error(
                DNS1123_LABEL_MSG,
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errs
}

/// DNS-1123 subdomain (`example.com`): at most 253 characters.
pub fn is_dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 253 {
        errs.push(max_len_error(253));
    }
    if !full_match(DNS1123_SUBDOMAIN_FMT, value) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_MSG,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// DNS-1035 label (`my-name`, starting with a letter): at most 63 characters.
pub fn is_dns1035_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !full_match(DNS1035_LABEL_FMT, value) {
        errs.push(regex_error(
            DNS1035_LABEL_MSG,
            DNS1035_LABEL_FMT,
            &["my-name", "abc-123"],
        ));
    }
    errs
}

fn is_label_key_name(s: &str) -> bool {
    full_match(LABEL_KEY_FMT, s)
}

/// A label key / qualified name: `[prefix/]name`, the prefix a DNS subdomain.
pub fn is_qualified_name(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let name = match value.split_once('/') {
        None => value,
        Some((_, suffix)) if suffix.contains('/') => {
            return vec![format!(
                "a valid label key {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(
                    LABEL_KEY_MSG,
                    LABEL_KEY_FMT,
                    &["MyName", "my.name", "123-abc"]
                )
            )];
        }
        Some((prefix, suffix)) => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                errs.extend(
                    is_dns1123_subdomain(prefix)
                        .into_iter()
                        .map(|m| format!("prefix part {m}")),
                );
            }
            suffix
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push(format!("name part {}", max_len_error(63)));
    }
    if !is_label_key_name(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                LABEL_KEY_MSG,
                LABEL_KEY_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// A label value: empty, or at most 63 alphanumerics, `-`, `_`, `.`.
pub fn is_valid_label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !value.is_empty() && !is_label_key_name(value) {
        errs.push(regex_error(
            LABEL_VALUE_MSG,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// A key of a ConfigMap or Secret.
pub fn is_config_map_key(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 253 {
        errs.push(max_len_error(253));
    }
    if !full_match(CONFIG_MAP_KEY_FMT, value) {
        errs.push(regex_error(
            CONFIG_MAP_KEY_MSG,
            CONFIG_MAP_KEY_FMT,
            &["key.name", "KEY_NAME", "key-name"],
        ));
    }
    match value {
        "." => errs.push("must not be '.'".to_string()),
        ".." => errs.push("must not be '..'".to_string()),
        v if v.starts_with("..") => errs.push("must not start with '..'".to_string()),
        _ => {}
    }
    errs
}

/// An IANA service (port) name: at most 15 of `[-a-z0-9]`, at least one letter.
pub fn is_valid_port_name(port: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if port.len() > 15 {
        errs.push(max_len_error(15));
    }
    if !full_match("[-a-z0-9]+", port) {
        errs.push(
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_string(),
        );
    }
    if !port.chars().any(|c| c.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".to_string());
    }
    if port.contains("--") {
        errs.push("must not contain consecutive hyphens".to_string());
    }
    if port.starts_with('-') || port.ends_with('-') {
        errs.push("must not begin or end with a hyphen".to_string());
    }
    errs
}

/// A port number in 1..=65535.
pub fn is_valid_port_num(port: i64) -> Vec<String> {
    if (1..=65535).contains(&port) {
        vec![]
    } else {
        vec![inclusive_range_error(1, 65535)]
    }
}

fn inclusive_range_error(lo: i64, hi: i64) -> String {
    format!("must be between {lo} and {hi}, inclusive")
}

/// How the names of a kind are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// DNS-1123 subdomain (most kinds).
    DnsSubdomain,
    /// DNS-1123 label (Namespace).
    DnsLabel,
    /// DNS-1035 label: a DNS label starting with a letter (Service).
    Dns1035Label,
    /// Anything usable as a URL path segment (RBAC roles and bindings).
    PathSegment,
}

/// The name rule the real server applies to a kind.
pub fn name_rule_for(group: &str, kind: &str) -> NameRule {
    match (group, kind) {
        ("", "Namespace") => NameRule::DnsLabel,
        ("", "Service") => NameRule::Dns1035Label,
        (
            "rbac.authorization.k8s.io",
            "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding",
        ) => NameRule::PathSegment,
        _ => NameRule::DnsSubdomain,
    }
}

/// Checking a `generateName` prefix: a trailing dash is accepted (the real server masks it
/// before the check, exactly like this).
fn mask_trailing_dash(name: &str) -> String {
    if name.len() > 1 && name.ends_with('-') {
        format!("{}a", &name[..name.len() - 2])
    } else {
        name.to_string()
    }
}

fn check_name(name: &str, rule: NameRule, prefix: bool) -> Vec<String> {
    match rule {
        NameRule::PathSegment => {
            let mut errs = Vec::new();
            if !prefix {
                for bad in [".", ".."] {
                    if name == bad {
                        return vec![format!("may not be '{bad}'")];
                    }
                }
            }
            for bad in ["/", "%"] {
                if name.contains(bad) {
                    errs.push(format!("may not contain '{bad}'"));
                }
            }
            errs
        }
        _ => {
            let name = if prefix {
                mask_trailing_dash(name)
            } else {
                name.to_string()
            };
            match rule {
                NameRule::DnsLabel => is_dns1123_label(&name),
                NameRule::Dns1035Label => is_dns1035_label(&name),
                _ => is_dns1123_subdomain(&name),
            }
        }
    }
}

/// The problems of an object name under `rule` (empty when valid).
pub fn validate_name(name: &str, rule: NameRule) -> Vec<String> {
    check_name(name, rule, false)
}

/// The problems of a `generateName` prefix under `rule` (empty when valid).
pub fn validate_generate_name(prefix: &str, rule: NameRule) -> Vec<String> {
    check_name(prefix, rule, true)
}

// ---------------------------------------------------------------------------------------------
// small JSON helpers
// ---------------------------------------------------------------------------------------------

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn int_at(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

fn arr_at<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn obj_at<'a>(v: &'a Value, key: &str) -> Option<&'a Map<String, Value>> {
    v.get(key).and_then(Value::as_object)
}

fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

fn key(path: &str, k: &str) -> String {
    format!("{path}[{k}]")
}

/// A `map[string]string` as Go marshals it (sorted keys; `null` when absent).
fn string_map_value(m: Option<&Map<String, Value>>) -> BadValue {
    match m {
        None => BadValue::raw("null"),
        Some(m) => BadValue::json(&Value::Object(m.clone())),
    }
}

fn nonnegative(errs: &mut Vec<FieldError>, v: &Value, field: &str, path: &str) {
    if let Some(n) = int_at(v, field)
        && n < 0
    {
        errs.push(FieldError::invalid(
            child(path, field),
            n,
            "must be greater than or equal to 0",
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// ObjectMeta
// ---------------------------------------------------------------------------------------------

/// Checks `labels` (a string map) at `path`, e.g. `metadata.labels`.
pub fn validate_labels(labels: Option<&Map<String, Value>>, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (k, v) in labels.into_iter().flatten() {
        for msg in is_qualified_name(k) {
            errs.push(FieldError::invalid(path, k.as_str(), &msg));
        }
        if let Some(v) = v.as_str() {
            for msg in is_valid_label_value(v) {
                errs.push(FieldError::invalid(path, v, &msg));
            }
        }
    }
    errs
}

/// Checks `annotations` at `path`: keys are qualified names (case-insensitively) and all
/// keys and values together take at most 256 KiB.
pub fn validate_annotations(
    annotations: Option<&Map<String, Value>>,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut total = 0usize;
    for (k, v) in annotations.into_iter().flatten() {
        for msg in is_qualified_name(&k.to_lowercase()) {
            errs.push(FieldError::invalid(path, k.as_str(), &msg));
        }
        total += k.len() + v.as_str().map_or(0, str::len);
    }
    if total as i64 > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(FieldError::too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT));
    }
    errs
}

fn owner_reference_value(r: &Value) -> Value {
    let mut m = Map::new();
    for f in ["apiVersion", "kind", "name", "uid"] {
        m.insert(f.into(), Value::String(str_at(r, f).to_string()));
    }
    for f in ["controller", "blockOwnerDeletion"] {
        if let Some(b) = r.get(f).and_then(Value::as_bool) {
            m.insert(f.into(), Value::Bool(b));
        }
    }
    Value::Object(m)
}

fn validate_owner_references(refs: &[Value], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut first_controller: Option<String> = None;
    for r in refs {
        let api_version = str_at(r, "apiVersion");
        let kind = str_at(r, "kind");
        let version = match api_version.matches('/').count() {
            0 => api_version,
            1 => api_version.split_once('/').map_or("", |(_, v)| v),
            _ => "",
        };
        if version.is_empty() {
            errs.push(FieldError::invalid(
                child(path, "apiVersion"),
                api_version,
                "version must not be empty",
            ));
        }
        if kind.is_empty() {
            errs.push(FieldError::invalid(
                child(path, "kind"),
                kind,
                "kind must not be empty",
            ));
        }
        if str_at(r, "name").is_empty() {
            errs.push(FieldError::invalid(
                child(path, "name"),
                "",
                "name must not be empty",
            ));
        }
        if str_at(r, "uid").is_empty() {
            errs.push(FieldError::invalid(
                child(path, "uid"),
                "",
                "uid must not be empty",
            ));
        }
        if api_version == "v1" && kind == "Event" {
            errs.push(FieldError::invalid(
                path,
                BadValue::json_ordered(&owner_reference_value(r)),
                "/v1, Kind=Event is disallowed from being an owner",
            ));
        }
        if r.get("controller").and_then(Value::as_bool) == Some(true) {
            let this = format!("{kind}/{}", str_at(r, "name"));
            match &first_controller {
                None => first_controller = Some(this),
                Some(first) => {
                    let all = Value::Array(refs.iter().map(owner_reference_value).collect());
                    errs.push(FieldError::invalid(
                        path,
                        BadValue::json_ordered(&all),
                        &format!(
                            "Only one reference can have Controller set to true. Found \"true\" in references for {first} and {this}"
                        ),
                    ));
                }
            }
        }
    }
    errs
}

fn validate_finalizers(finalizers: &[Value], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let names: Vec<&str> = finalizers.iter().filter_map(Value::as_str).collect();
    for f in &names {
        for msg in is_qualified_name(f) {
            errs.push(FieldError::invalid(path, *f, &msg));
        }
    }
    if names.contains(&"orphan") && names.contains(&"foregroundDeletion") {
        errs.push(FieldError::invalid(
            path,
            BadValue::json(&json!(names)),
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    errs
}

/// The checks every object's `metadata` gets: name (or `generateName`) and its format,
/// namespace presence, generation, labels, annotations, owner references and finalizers.
///
/// The real server generates a name from `generateName` before validating; here an object
/// with only a `generateName` has that prefix checked and no name error.
pub fn validate_object_meta(obj: &Value, namespaced: bool, name_rule: NameRule) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let empty = Value::Object(Map::new());
    let meta = obj
        .get("metadata")
        .filter(|m| m.is_object())
        .unwrap_or(&empty);
    let name = str_at(meta, "name");
    let generate_name = str_at(meta, "generateName");
    if !generate_name.is_empty() {
        for msg in validate_generate_name(generate_name, name_rule) {
            errs.push(FieldError::invalid(
                "metadata.generateName",
                generate_name,
                &msg,
            ));
        }
    }
    if name.is_empty() {
        if generate_name.is_empty() {
            errs.push(FieldError::required(
                "metadata.name",
                "name or generateName is required",
            ));
        }
    } else {
        for msg in validate_name(name, name_rule) {
            errs.push(FieldError::invalid("metadata.name", name, &msg));
        }
    }
    let namespace = str_at(meta, "namespace");
    if namespaced {
        if namespace.is_empty() {
            errs.push(FieldError::required("metadata.namespace", ""));
        } else {
            for msg in is_dns1123_label(namespace) {
                errs.push(FieldError::invalid("metadata.namespace", namespace, &msg));
            }
        }
    } else if !namespace.is_empty() {
        errs.push(FieldError::forbidden(
            "metadata.namespace",
            "not allowed on this type",
        ));
    }
    nonnegative(&mut errs, meta, "generation", "metadata");
    errs.extend(validate_labels(obj_at(meta, "labels"), "metadata.labels"));
    errs.extend(validate_annotations(
        obj_at(meta, "annotations"),
        "metadata.annotations",
    ));
    errs.extend(validate_owner_references(
        arr_at(meta, "ownerReferences"),
        "metadata.ownerReferences",
    ));
    errs.extend(validate_finalizers(
        arr_at(meta, "finalizers"),
        "metadata.finalizers",
    ));
    errs
}

// ---------------------------------------------------------------------------------------------
// label selectors
// ---------------------------------------------------------------------------------------------

/// Checks a `LabelSelector` (`matchLabels`, `matchExpressions`) at `path`.
pub fn validate_label_selector(sel: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = validate_labels(obj_at(sel, "matchLabels"), &child(path, "matchLabels"));
    for (i, expr) in arr_at(sel, "matchExpressions").iter().enumerate() {
        let p = index(&child(path, "matchExpressions"), i);
        let values = arr_at(expr, "values");
        match str_at(expr, "operator") {
            "In" | "NotIn" => {
                if values.is_empty() {
                    errs.push(FieldError::required(
                        child(&p, "values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    errs.push(FieldError::forbidden(
                        child(&p, "values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ));
                }
            }
            op => errs.push(FieldError::invalid(
                child(&p, "operator"),
                op,
                "not a valid selector operator",
            )),
        }
        let k = str_at(expr, "key");
        for msg in is_qualified_name(k) {
            errs.push(FieldError::invalid(child(&p, "key"), k, &msg));
        }
        for (j, v) in values.iter().enumerate() {
            if let Some(v) = v.as_str() {
                for msg in is_valid_label_value(v) {
                    errs.push(FieldError::invalid(index(&child(&p, "values"), j), v, &msg));
                }
            }
        }
    }
    errs
}

/// Whether a `LabelSelector` matches `labels`; `None` when the selector is malformed. An
/// empty selector matches everything.
pub fn selector_matches(sel: &Value, labels: &Map<String, Value>) -> Option<bool> {
    let label = |k: &str| labels.get(k).and_then(Value::as_str);
    let mut ok = true;
    for (k, v) in obj_at(sel, "matchLabels").into_iter().flatten() {
        if label(k) != v.as_str() {
            ok = false;
        }
    }
    for expr in arr_at(sel, "matchExpressions") {
        let k = str_at(expr, "key");
        let values: Vec<&str> = arr_at(expr, "values")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let matched = match str_at(expr, "operator") {
            "In" if !values.is_empty() => label(k).is_some_and(|v| values.contains(&v)),
            "NotIn" if !values.is_empty() => label(k).is_none_or(|v| !values.contains(&v)),
            "Exists" if values.is_empty() => label(k).is_some(),
            "DoesNotExist" if values.is_empty() => label(k).is_none(),
            _ => return None,
        };
        ok &= matched;
    }
    Some(ok)
}

// ---------------------------------------------------------------------------------------------
// pods and pod templates
// ---------------------------------------------------------------------------------------------

const PROTOCOLS: [&str; 3] = ["SCTP", "TCP", "UDP"];

fn validate_container_ports(ports: &[Value], path: &str, errs: &mut Vec<FieldError>) {
    let mut names = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let p = index(path, i);
        let name = str_at(port, "name");
        if !name.is_empty() {
            let msgs = is_valid_port_name(name);
            if !msgs.is_empty() {
                for msg in msgs {
                    errs.push(FieldError::invalid(child(&p, "name"), name, &msg));
                }
            } else if !names.insert(name) {
                errs.push(FieldError::duplicate(child(&p, "name"), name));
            }
        }
        match int_at(port, "containerPort").unwrap_or(0) {
            0 => errs.push(FieldError::required(child(&p, "containerPort"), "")),
            n => {
                for msg in is_valid_port_num(n) {
                    errs.push(FieldError::invalid(child(&p, "containerPort"), n, &msg));
                }
            }
        }
        if let Some(h) = int_at(port, "hostPort").filter(|h| *h != 0) {
            for msg in is_valid_port_num(h) {
                errs.push(FieldError::invalid(child(&p, "hostPort"), h, &msg));
            }
        }
        let proto = str_at(port, "protocol");
        if proto.is_empty() {
            errs.push(FieldError::required(child(&p, "protocol"), ""));
        } else if !PROTOCOLS.contains(&proto) {
            errs.push(FieldError::not_supported(
                child(&p, "protocol"),
                proto,
                &PROTOCOLS,
            ));
        }
    }
}

fn validate_container(c: &Value, path: &str, errs: &mut Vec<FieldError>) {
    let name = str_at(c, "name");
    if name.is_empty() {
        errs.push(FieldError::required(child(path, "name"), ""));
    } else {
        for msg in is_dns1123_label(name) {
            errs.push(FieldError::invalid(child(path, "name"), name, &msg));
        }
    }
    if str_at(c, "image").is_empty() {
        errs.push(FieldError::required(child(path, "image"), ""));
    }
    validate_container_ports(arr_at(c, "ports"), &child(path, "ports"), errs);
    match str_at(c, "imagePullPolicy") {
        "Always" | "IfNotPresent" | "Never" => {}
        "" => errs.push(FieldError::required(child(path, "imagePullPolicy"), "")),
        other => errs.push(FieldError::not_supported(
            child(path, "imagePullPolicy"),
            other,
            &["Always", "IfNotPresent", "Never"],
        )),
    }
    match str_at(c, "terminationMessagePolicy") {
        "File" | "FallbackToLogsOnError" => {}
        "" => errs.push(FieldError::required(
            child(path, "terminationMessagePolicy"),
            "must be 'File' or 'FallbackToLogsOnError'",
        )),
        other => errs.push(FieldError::invalid(
            child(path, "terminationMessagePolicy"),
            other,
            "must be 'File' or 'FallbackToLogsOnError'",
        )),
    }
}

/// Checks a `PodSpec` at `path` (`spec`, `spec.template.spec`).
fn validate_pod_spec(spec: &Value, path: &str, errs: &mut Vec<FieldError>) {
    let containers = arr_at(spec, "containers");
    let containers_path = child(path, "containers");
    if containers.is_empty() {
        errs.push(FieldError::required(containers_path.clone(), ""));
    }
    let mut names: HashSet<&str> = HashSet::new();
    for (i, c) in containers.iter().enumerate() {
        let p = index(&containers_path, i);
        validate_container(c, &p, errs);
        let name = str_at(c, "name");
        if !names.insert(name) {
            errs.push(FieldError::duplicate(child(&p, "name"), name));
        }
    }
    let init_path = child(path, "initContainers");
    for (i, c) in arr_at(spec, "initContainers").iter().enumerate() {
        let p = index(&init_path, i);
        validate_container(c, &p, errs);
        let name = str_at(c, "name");
        if !names.insert(name) {
            errs.push(FieldError::duplicate(child(&p, "name"), name));
        }
    }
    match str_at(spec, "restartPolicy") {
        "Always" | "OnFailure" | "Never" => {}
        "" => errs.push(FieldError::required(child(path, "restartPolicy"), "")),
        other => errs.push(FieldError::not_supported(
            child(path, "restartPolicy"),
            other,
            &["Always", "OnFailure", "Never"],
        )),
    }
    match str_at(spec, "dnsPolicy") {
        "ClusterFirstWithHostNet" | "ClusterFirst" | "Default" | "None" => {}
        "" => errs.push(FieldError::required(child(path, "dnsPolicy"), "")),
        other => errs.push(FieldError::not_supported(
            child(path, "dnsPolicy"),
            other,
            &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        )),
    }
    if let Some(g) = int_at(spec, "terminationGracePeriodSeconds")
        && g < 0
    {
        errs.push(FieldError::invalid(
            child(path, "terminationGracePeriodSeconds"),
            g,
            "must be greater than or equal to 0",
        ));
    }
}

/// Checks a `PodTemplateSpec` at `path` (`spec.template`): its labels and annotations, then
/// its pod spec.
fn validate_pod_template(template: &Value, path: &str, errs: &mut Vec<FieldError>) {
    let empty = Value::Object(Map::new());
    let meta = template.get("metadata").unwrap_or(&empty);
    let meta_path = child(path, "metadata");
    errs.extend(validate_labels(
        obj_at(meta, "labels"),
        &child(&meta_path, "labels"),
    ));
    errs.extend(validate_annotations(
        obj_at(meta, "annotations"),
        &child(&meta_path, "annotations"),
    ));
    validate_pod_spec(
        template.get("spec").unwrap_or(&empty),
        &child(path, "spec"),
        errs,
    );
}

/// The selector/template checks of ReplicaSets and Deployments (`spec` at `path`).
fn validate_selector_and_template(
    spec: &Value,
    path: &str,
    require_always: bool,
    errs: &mut Vec<FieldError>,
) {
    let sel_path = child(path, "selector");
    let selector = spec.get("selector").filter(|s| !s.is_null());
    match selector {
        None => errs.push(FieldError::required(sel_path.clone(), "")),
        Some(sel) => {
            errs.extend(validate_label_selector(sel, &sel_path));
            let n = obj_at(sel, "matchLabels").map_or(0, Map::len)
                + arr_at(sel, "matchExpressions").len();
            if n == 0 {
                errs.push(FieldError::invalid(
                    sel_path.clone(),
                    BadValue::json_ordered(sel),
                    "empty selector is invalid for deployment",
                ));
            }
        }
    }
    let empty = Value::Object(Map::new());
    let template = spec.get("template").unwrap_or(&empty);
    let tpath = child(path, "template");
    let labels = template.get("metadata").and_then(|m| obj_at(m, "labels"));
    let empty_labels = Map::new();
    let matches = match selector {
        // a missing selector selects nothing, so nothing matches it
        None => Some(false),
        Some(sel) => selector_matches(sel, labels.unwrap_or(&empty_labels)),
    };
    match matches {
        None => errs.push(FieldError::invalid(
            sel_path,
            BadValue::json_ordered(selector.unwrap_or(&Value::Null)),
            "invalid label selector",
        )),
        Some(m) => {
            if !m {
                errs.push(FieldError::invalid(
                    child(&child(&tpath, "metadata"), "labels"),
                    string_map_value(labels),
                    "`selector` does not match template `labels`",
                ));
            }
            validate_pod_template(template, &tpath, errs);
            let pod_spec = template.get("spec").unwrap_or(&empty);
            let spec_path = child(&tpath, "spec");
            if require_always {
                let rp = str_at(pod_spec, "restartPolicy");
                if rp != "Always" {
                    errs.push(FieldError::not_supported(
                        child(&spec_path, "restartPolicy"),
                        rp,
                        &["Always"],
                    ));
                }
                if let Some(a) = pod_spec
                    .get("activeDeadlineSeconds")
                    .filter(|a| !a.is_null())
                {
                    errs.push(FieldError::invalid(
                        child(&spec_path, "activeDeadlineSeconds"),
                        a,
                        "activeDeadlineSeconds in ReplicaSet is not Supported",
                    ));
                }
            }
        }
    }
}

fn percent_value(v: &Value) -> Option<i64> {
    let s = v.as_str()?;
    let n = s.strip_suffix('%')?;
    n.parse().ok()
}

fn int_or_percent_value(v: &Value) -> i64 {
    match v {
        Value::String(s) => percent_value(v).unwrap_or_else(|| s.parse().unwrap_or(0)),
        _ => v.as_i64().unwrap_or(0),
    }
}

fn validate_positive_int_or_percent(v: &Value, path: &str, errs: &mut Vec<FieldError>) {
    match v {
        Value::String(s) => {
            if !full_match("[0-9]+%", s) {
                errs.push(FieldError::invalid(
                    path,
                    v,
                    &regex_error(
                        "a valid percent string must be a numeric string followed by an ending '%'",
                        "[0-9]+%",
                        &["1%", "93%"],
                    ),
                ));
            }
        }
        _ => {
            if let Some(n) = v.as_i64()
                && n < 0
            {
                errs.push(FieldError::invalid(
                    path,
                    n,
                    "must be greater than or equal to 0",
                ));
            }
        }
    }
}

fn validate_deployment_strategy(spec: &Value, errs: &mut Vec<FieldError>) {
    let empty = Value::Object(Map::new());
    let strategy = spec.get("strategy").unwrap_or(&empty);
    let path = "spec.strategy";
    let rolling = strategy.get("rollingUpdate").filter(|r| !r.is_null());
    match str_at(strategy, "type") {
        "Recreate" => {
            if rolling.is_some() {
                errs.push(FieldError::forbidden(
                    child(path, "rollingUpdate"),
                    "may not be specified when strategy `type` is 'Recreate'",
                ));
            }
        }
        "RollingUpdate" => match rolling {
            None => errs.push(FieldError::required(
                child(path, "rollingUpdate"),
                "this should be defaulted and never be nil",
            )),
            Some(r) => {
                let ru_path = child(path, "rollingUpdate");
                let zero = json!(0);
                let max_unavailable = r.get("maxUnavailable").unwrap_or(&zero);
                let max_surge = r.get("maxSurge").unwrap_or(&zero);
                validate_positive_int_or_percent(
                    max_unavailable,
                    &child(&ru_path, "maxUnavailable"),
                    errs,
                );
                validate_positive_int_or_percent(max_surge, &child(&ru_path, "maxSurge"), errs);
                if int_or_percent_value(max_unavailable) == 0
                    && int_or_percent_value(max_surge) == 0
                {
                    errs.push(FieldError::invalid(
                        child(&ru_path, "maxUnavailable"),
                        max_unavailable,
                        "may not be 0 when `maxSurge` is 0",
                    ));
                }
                if percent_value(max_unavailable).is_some_and(|p| p > 100) {
                    errs.push(FieldError::invalid(
                        child(&ru_path, "maxUnavailable"),
                        max_unavailable,
                        "must not be greater than 100%",
                    ));
                }
            }
        },
        other => {
            // the internal Go struct has no JSON tags, so the value prints with Go names
            let rolling_value = match rolling {
                None => Value::Null,
                Some(r) => json!({
                    "MaxUnavailable": r.get("maxUnavailable").cloned().unwrap_or(json!(0)),
                    "MaxSurge": r.get("maxSurge").cloned().unwrap_or(json!(0)),
                }),
            };
            let value = json!({"Type": other, "RollingUpdate": rolling_value});
            errs.push(FieldError::not_supported(
                path,
                BadValue::json_ordered(&value),
                &["Recreate", "RollingUpdate"],
            ));
        }
    }
}

fn validate_deployment(obj: &Value, errs: &mut Vec<FieldError>) {
    let empty = Value::Object(Map::new());
    let spec = obj.get("spec").unwrap_or(&empty);
    nonnegative(errs, spec, "replicas", "spec");
    validate_selector_and_template(spec, "spec", true, errs);
    validate_deployment_strategy(spec, errs);
    nonnegative(errs, spec, "minReadySeconds", "spec");
    nonnegative(errs, spec, "revisionHistoryLimit", "spec");
    if let Some(p) = int_at(spec, "progressDeadlineSeconds") {
        nonnegative(errs, spec, "progressDeadlineSeconds", "spec");
        if p <= int_at(spec, "minReadySeconds").unwrap_or(0) {
            errs.push(FieldError::invalid(
                "spec.progressDeadlineSeconds",
                p,
                "must be greater than minReadySeconds",
            ));
        }
    }
}

fn validate_replica_set(obj: &Value, errs: &mut Vec<FieldError>) {
    let empty = Value::Object(Map::new());
    let spec = obj.get("spec").unwrap_or(&empty);
    nonnegative(errs, spec, "replicas", "spec");
    nonnegative(errs, spec, "minReadySeconds", "spec");
    validate_selector_and_template(spec, "spec", true, errs);
}

// ---------------------------------------------------------------------------------------------
// services
// ---------------------------------------------------------------------------------------------

fn service_port_value(port: &Value) -> Value {
    // the internal Go struct (no JSON tags) of the (protocol, port) key the server compares
    json!({
        "Name": "",
        "Protocol": str_at(port, "protocol"),
        "AppProtocol": null,
        "Port": int_at(port, "port").unwrap_or(0),
        "TargetPort": 0,
        "NodePort": 0,
    })
}

fn validate_service(obj: &Value, errs: &mut Vec<FieldError>) {
    let empty = Value::Object(Map::new());
    let spec = obj.get("spec").unwrap_or(&empty);
    let ports = arr_at(spec, "ports");
    let ty = str_at(spec, "type");
    let headless = str_at(spec, "clusterIP") == "None";
    if ports.is_empty() && !headless && ty != "ExternalName" {
        errs.push(FieldError::required("spec.ports", ""));
    }
    if ty == "ExternalName" {
        let cname = str_at(spec, "externalName");
        let cname = cname.strip_suffix('.').unwrap_or(cname);
        if cname.is_empty() {
            errs.push(FieldError::required("spec.externalName", ""));
        } else {
            for msg in is_dns1123_subdomain(cname) {
                errs.push(FieldError::invalid("spec.externalName", cname, &msg));
            }
        }
    }
    let mut names = HashSet::new();
    let require_name = ports.len() > 1;
    for (i, port) in ports.iter().enumerate() {
        let p = index("spec.ports", i);
        let name = str_at(port, "name");
        if require_name && name.is_empty() {
            errs.push(FieldError::required(child(&p, "name"), ""));
        } else if !name.is_empty() {
            for msg in is_dns1123_label(name) {
                errs.push(FieldError::invalid(child(&p, "name"), name, &msg));
            }
            if !names.insert(name) {
                errs.push(FieldError::duplicate(child(&p, "name"), name));
            }
        }
        let num = int_at(port, "port").unwrap_or(0);
        for msg in is_valid_port_num(num) {
            errs.push(FieldError::invalid(child(&p, "port"), num, &msg));
        }
        let proto = str_at(port, "protocol");
        if proto.is_empty() {
            errs.push(FieldError::required(child(&p, "protocol"), ""));
        } else if !PROTOCOLS.contains(&proto) {
            errs.push(FieldError::not_supported(
                child(&p, "protocol"),
                proto,
                &PROTOCOLS,
            ));
        }
        match port.get("targetPort") {
            Some(Value::String(s)) => {
                for msg in is_valid_port_name(s) {
                    errs.push(FieldError::invalid(
                        child(&p, "targetPort"),
                        s.as_str(),
                        &msg,
                    ));
                }
            }
            // absent only when `port` is absent too; the real server then has 0 here
            v => {
                let n = v.and_then(Value::as_i64).unwrap_or(0);
                for msg in is_valid_port_num(n) {
                    errs.push(FieldError::invalid(child(&p, "targetPort"), n, &msg));
                }
            }
        }
    }
    errs.extend(validate_labels(obj_at(spec, "selector"), "spec.selector"));
    match str_at(spec, "sessionAffinity") {
        "ClientIP" | "None" => {}
        "" => errs.push(FieldError::required("spec.sessionAffinity", "")),
        other => errs.push(FieldError::not_supported(
            "spec.sessionAffinity",
            other,
            &["ClientIP", "None"],
        )),
    }
    match ty {
        "ClusterIP" | "ExternalName" | "LoadBalancer" | "NodePort" => {}
        "" => errs.push(FieldError::required("spec.type", "")),
        other => errs.push(FieldError::not_supported(
            "spec.type",
            other,
            &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
        )),
    }
    if ty == "ClusterIP" {
        for (i, port) in ports.iter().enumerate() {
            if int_at(port, "nodePort").unwrap_or(0) != 0 {
                errs.push(FieldError::forbidden(
                    child(&index("spec.ports", i), "nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            }
        }
    }
    let mut seen = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let k = (str_at(port, "protocol"), int_at(port, "port").unwrap_or(0));
        if !seen.insert(k) {
            errs.push(FieldError::duplicate(
                index("spec.ports", i),
                BadValue::json_ordered(&service_port_value(port)),
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// config maps, secrets, leases, namespaces
// ---------------------------------------------------------------------------------------------

fn validate_config_map(obj: &Value, errs: &mut Vec<FieldError>) {
    let data = obj_at(obj, "data");
    let binary = obj_at(obj, "binaryData");
    let mut total = 0usize;
    for (k, v) in data.into_iter().flatten() {
        for msg in is_config_map_key(k) {
            errs.push(FieldError::invalid(key("data", k), k.as_str(), &msg));
        }
        if binary.is_some_and(|b| b.contains_key(k)) {
            errs.push(FieldError::invalid(
                key("data", k),
                k.as_str(),
                "duplicate of key present in binaryData",
            ));
        }
        total += v.as_str().map_or(0, str::len);
    }
    for (k, v) in binary.into_iter().flatten() {
        for msg in is_config_map_key(k) {
            errs.push(FieldError::invalid(key("binaryData", k), k.as_str(), &msg));
        }
        if data.is_some_and(|d| d.contains_key(k)) {
            errs.push(FieldError::invalid(
                key("binaryData", k),
                k.as_str(),
                "duplicate of key present in data",
            ));
        }
        total += v.as_str().map_or(0, decoded_len);
    }
    if total as i64 > MAX_SECRET_SIZE {
        errs.push(FieldError::too_long("", MAX_SECRET_SIZE));
    }
}

fn decoded_len(b64: &str) -> usize {
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_or(b64.len() * 3 / 4, |d| d.len())
}

fn validate_secret(obj: &Value, errs: &mut Vec<FieldError>) {
    let data = obj_at(obj, "data");
    let mut total = 0usize;
    for (k, v) in data.into_iter().flatten() {
        for msg in is_config_map_key(k) {
            errs.push(FieldError::invalid(key("data", k), k.as_str(), &msg));
        }
        total += v.as_str().map_or(0, decoded_len);
    }
    if total as i64 > MAX_SECRET_SIZE {
        errs.push(FieldError::too_long("data", MAX_SECRET_SIZE));
    }
    let has = |k: &str| data.is_some_and(|d| d.contains_key(k));
    match str_at(obj, "type") {
        "kubernetes.io/service-account-token" => {
            let annotations = obj.get("metadata").and_then(|m| obj_at(m, "annotations"));
            if annotations.is_none_or(|a| {
                a.get("kubernetes.io/service-account.name")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
            }) {
                errs.push(FieldError::required(
                    key("metadata.annotations", "kubernetes.io/service-account.name"),
                    "",
                ));
            }
        }
        "kubernetes.io/dockerconfigjson" if !has(".dockerconfigjson") => {
            errs.push(FieldError::required(key("data", ".dockerconfigjson"), ""));
        }
        "kubernetes.io/basic-auth" if !has("username") && !has("password") => {
            errs.push(FieldError::required(key("data", "username"), ""));
            errs.push(FieldError::required(key("data", "password"), ""));
        }
        "kubernetes.io/ssh-auth" => {
            let empty = data
                .and_then(|d| d.get("ssh-privatekey"))
                .and_then(Value::as_str)
                .is_none_or(str::is_empty);
            if empty {
                errs.push(FieldError::required(key("data", "ssh-privatekey"), ""));
            }
        }
        "kubernetes.io/tls" => {
            if !has("tls.crt") {
                errs.push(FieldError::required(key("data", "tls.crt"), ""));
            }
            if !has("tls.key") {
                errs.push(FieldError::required(key("data", "tls.key"), ""));
            }
        }
        _ => {}
    }
}

fn validate_lease(obj: &Value, errs: &mut Vec<FieldError>) {
    let empty = Value::Object(Map::new());
    let spec = obj.get("spec").unwrap_or(&empty);
    if let Some(d) = int_at(spec, "leaseDurationSeconds")
        && d <= 0
    {
        errs.push(FieldError::invalid(
            "spec.leaseDurationSeconds",
            d,
            "must be greater than 0",
        ));
    }
    if let Some(t) = int_at(spec, "leaseTransitions")
        && t < 0
    {
        errs.push(FieldError::invalid(
            "spec.leaseTransitions",
            t,
            "must be greater than or equal to 0",
        ));
    }
    if !str_at(spec, "preferredHolder").is_empty() && str_at(spec, "strategy").is_empty() {
        errs.push(FieldError::forbidden(
            "spec.preferredHolder",
            "may only be specified if `strategy` is defined",
        ));
    }
}

fn validate_namespace(obj: &Value, errs: &mut Vec<FieldError>) {
    let empty = Value::Object(Map::new());
    let spec = obj.get("spec").unwrap_or(&empty);
    for f in arr_at(spec, "finalizers").iter().filter_map(Value::as_str) {
        for msg in is_qualified_name(f) {
            errs.push(FieldError::invalid("spec.finalizers", f, &msg));
        }
        if !f.contains('/') && !["kubernetes", "orphan", "foregroundDeletion"].contains(&f) {
            errs.push(FieldError::invalid(
                "spec.finalizers",
                f,
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
}

/// The kind-specific checks of the built-in kinds (metadata is checked separately by
/// [`validate_object_meta`]); call after [`default_builtin`].
///
/// Covered: Service, Pod, PodTemplate, ReplicaSet, Deployment, the pod templates of
/// StatefulSet, DaemonSet, Job and CronJob, ConfigMap, Secret, Lease and Namespace. Other kinds
/// have no checks here.
pub fn validate_builtin(group: &str, kind: &str, obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let empty = Value::Object(Map::new());
    let spec = obj.get("spec").unwrap_or(&empty);
    match (group, kind) {
        ("", "Service") => validate_service(obj, &mut errs),
        ("", "Pod") => validate_pod_spec(spec, "spec", &mut errs),
        ("", "PodTemplate") => {
            validate_pod_template(obj.get("template").unwrap_or(&empty), "template", &mut errs)
        }
        ("", "ConfigMap") => validate_config_map(obj, &mut errs),
        ("", "Secret") => validate_secret(obj, &mut errs),
        ("", "Namespace") => validate_namespace(obj, &mut errs),
        ("apps", "Deployment") => validate_deployment(obj, &mut errs),
        ("apps", "ReplicaSet") => validate_replica_set(obj, &mut errs),
        ("apps", "StatefulSet" | "DaemonSet") => {
            validate_selector_and_template(spec, "spec", kind == "DaemonSet", &mut errs)
        }
        ("batch", "Job") => validate_pod_template(
            spec.get("template").unwrap_or(&empty),
            "spec.template",
            &mut errs,
        ),
        ("batch", "CronJob") => {
            let template = spec
                .get("jobTemplate")
                .and_then(|j| j.get("spec"))
                .and_then(|s| s.get("template"))
                .unwrap_or(&empty);
            validate_pod_template(template, "spec.jobTemplate.spec.template", &mut errs)
        }
        ("coordination.k8s.io", "Lease") => validate_lease(obj, &mut errs),
        _ => {}
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// defaulting
// ---------------------------------------------------------------------------------------------

/// The object at `key` of `m`, created empty when absent; `None` when it holds a non-object.
fn ensure_obj<'a>(m: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Map<String, Value>> {
    m.entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
}

fn set_default(m: &mut Map<String, Value>, key: &str, value: Value) {
    let missing = match m.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        _ => false,
    };
    if missing {
        m.insert(key.to_string(), value);
    }
}

/// The tag of an image reference as the real server's defaulting sees it: `latest` when
/// there is neither tag nor digest, `""` for a digest without tag or an unparsable name.
pub fn image_tag(image: &str) -> String {
    if image.is_empty() {
        return String::new();
    }
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    };
    // the repository path (after an optional registry host) must be lowercase
    let path = match repo.split_once('/') {
        Some((host, rest)) if host.contains(['.', ':']) || host == "localhost" => rest,
        _ => repo,
    };
    if path.is_empty() || path.chars().any(|c| c.is_ascii_uppercase()) {
        return String::new();
    }
    match (tag, digest) {
        (Some(t), _) => t.to_string(),
        (None, Some(_)) => String::new(),
        (None, None) => "latest".to_string(),
    }
}

fn default_probe(p: &mut Map<String, Value>) {
    set_default(p, "timeoutSeconds", json!(1));
    set_default(p, "periodSeconds", json!(10));
    set_default(p, "successThreshold", json!(1));
    set_default(p, "failureThreshold", json!(3));
    if let Some(Value::Object(h)) = p.get_mut("httpGet") {
        set_default(h, "path", json!("/"));
        set_default(h, "scheme", json!("HTTP"));
    }
}

fn default_container(c: &mut Map<String, Value>) {
    if c.get("imagePullPolicy")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        let tag = image_tag(c.get("image").and_then(Value::as_str).unwrap_or(""));
        let policy = if tag == "latest" {
            "Always"
        } else {
            "IfNotPresent"
        };
        c.insert("imagePullPolicy".into(), json!(policy));
    }
    set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
    set_default(c, "terminationMessagePolicy", json!("File"));
    if !c.contains_key("resources") {
        c.insert("resources".into(), json!({}));
    }
    if let Some(Value::Array(ports)) = c.get_mut("ports") {
        for p in ports.iter_mut().filter_map(Value::as_object_mut) {
            set_default(p, "protocol", json!("TCP"));
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(Value::Object(p)) = c.get_mut(probe) {
            default_probe(p);
        }
    }
    if let Some(Value::Array(env)) = c.get_mut("env") {
        for e in env.iter_mut().filter_map(Value::as_object_mut) {
            if let Some(Value::Object(from)) = e.get_mut("valueFrom")
                && let Some(Value::Object(field_ref)) = from.get_mut("fieldRef")
            {
                set_default(field_ref, "apiVersion", json!("v1"));
            }
        }
    }
}

const VOLUME_SOURCES: [&str; 28] = [
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
];

fn default_volume(v: &mut Map<String, Value>) {
    let has_source = VOLUME_SOURCES
        .iter()
        .chain(["ephemeral", "image"].iter())
        .any(|s| v.get(*s).is_some_and(|x| !x.is_null()));
    if !has_source {
        v.insert("emptyDir".into(), json!({}));
    }
    for source in ["secret", "configMap", "downwardAPI", "projected"] {
        if let Some(Value::Object(s)) = v.get_mut(source) {
            set_default(s, "defaultMode", json!(420));
        }
    }
    if let Some(Value::Object(h)) = v.get_mut("hostPath")
        && !h.contains_key("type")
    {
        h.insert("type".into(), json!(""));
    }
}

/// Defaults of a `PodSpec` (pod templates and pods alike).
fn default_pod_spec(spec: &mut Map<String, Value>) {
    set_default(spec, "dnsPolicy", json!("ClusterFirst"));
    set_default(spec, "restartPolicy", json!("Always"));
    if !spec.contains_key("securityContext") || spec["securityContext"].is_null() {
        spec.insert("securityContext".into(), json!({}));
    }
    set_default(spec, "terminationGracePeriodSeconds", json!(30));
    set_default(spec, "schedulerName", json!("default-scheduler"));
    for list in ["initContainers", "containers"] {
        if let Some(Value::Array(cs)) = spec.get_mut(list) {
            for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                default_container(c);
            }
        }
    }
    if let Some(Value::Array(vs)) = spec.get_mut("volumes") {
        for v in vs.iter_mut().filter_map(Value::as_object_mut) {
            default_volume(v);
        }
    }
}

fn default_template(parent: &mut Map<String, Value>) {
    if let Some(t) = ensure_obj(parent, "template")
        && let Some(spec) = ensure_obj(t, "spec")
    {
        default_pod_spec(spec);
    }
}

fn qos_class(spec: &Map<String, Value>) -> &'static str {
    let containers: Vec<&Value> = ["containers", "initContainers"]
        .iter()
        .filter_map(|k| spec.get(*k).and_then(Value::as_array))
        .flatten()
        .collect();
    let mut any = false;
    let mut guaranteed = true;
    for c in &containers {
        let res = c.get("resources");
        let requests = res.and_then(|r| obj_at(r, "requests"));
        let limits = res.and_then(|r| obj_at(r, "limits"));
        let relevant = |m: Option<&Map<String, Value>>, k: &str| m.and_then(|m| m.get(k)).cloned();
        for r in ["cpu", "memory"] {
            let req = relevant(requests, r);
            let lim = relevant(limits, r);
            if req.is_some() || lim.is_some() {
                any = true;
            }
            if lim.is_none() || req != lim {
                guaranteed = false;
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

fn default_pod(obj: &mut Map<String, Value>) {
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    default_pod_spec(spec);
    set_default(spec, "enableServiceLinks", json!(true));
    // requests default to the limits, for pods only
    for list in ["initContainers", "containers"] {
        if let Some(Value::Array(cs)) = spec.get_mut(list) {
            for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                let Some(Value::Object(res)) = c.get_mut("resources") else {
                    continue;
                };
                let Some(limits) = res.get("limits").and_then(Value::as_object).cloned() else {
                    continue;
                };
                if let Some(requests) = ensure_obj(res, "requests") {
                    for (k, v) in limits {
                        requests.entry(k).or_insert(v);
                    }
                }
            }
        }
    }
    let qos = qos_class(spec);
    if let Some(status) = ensure_obj(obj, "status")
        && status.get("phase").is_none()
    {
        status.insert("phase".into(), json!("Pending"));
        set_default(status, "qosClass", json!(qos));
    }
}

fn default_service(obj: &mut Map<String, Value>) {
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    set_default(spec, "sessionAffinity", json!("None"));
    match spec.get("sessionAffinity").and_then(Value::as_str) {
        Some("None") => {
            spec.remove("sessionAffinityConfig");
        }
        Some("ClientIP") => {
            let has_timeout = spec
                .get("sessionAffinityConfig")
                .and_then(|c| c.get("clientIP"))
                .and_then(|c| c.get("timeoutSeconds"))
                .is_some_and(|t| !t.is_null());
            if !has_timeout {
                spec.insert(
                    "sessionAffinityConfig".into(),
                    json!({"clientIP": {"timeoutSeconds": 10800}}),
                );
            }
        }
        _ => {}
    }
    set_default(spec, "type", json!("ClusterIP"));
    let ty = spec
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if let Some(Value::Array(ports)) = spec.get_mut("ports") {
        for p in ports.iter_mut().filter_map(Value::as_object_mut) {
            set_default(p, "protocol", json!("TCP"));
            let unset = match p.get("targetPort") {
                None | Some(Value::Null) => true,
                Some(Value::String(s)) => s.is_empty(),
                Some(v) => v.as_i64() == Some(0),
            };
            if unset && let Some(port) = p.get("port").cloned() {
                p.insert("targetPort".into(), port);
            }
        }
    }
    let external_ips = spec
        .get("externalIPs")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    let externally_accessible =
        ty == "LoadBalancer" || ty == "NodePort" || (ty == "ClusterIP" && external_ips);
    if externally_accessible {
        set_default(spec, "externalTrafficPolicy", json!("Cluster"));
    }
    if matches!(ty.as_str(), "ClusterIP" | "NodePort" | "LoadBalancer") {
        set_default(spec, "internalTrafficPolicy", json!("Cluster"));
    }
    if ty == "LoadBalancer" && !spec.contains_key("allocateLoadBalancerNodePorts") {
        spec.insert("allocateLoadBalancerNodePorts".into(), json!(true));
    }
    // what the service REST storage sets on create (the cluster IP itself is allocated by the
    // server, see service_needs_cluster_ip / set_service_cluster_ip)
    if ty != "ExternalName" {
        let cluster_ip = spec
            .get("clusterIP")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if !cluster_ip.is_empty() && !spec.contains_key("clusterIPs") {
            spec.insert("clusterIPs".into(), json!([cluster_ip]));
        }
        let selectorless = spec
            .get("selector")
            .and_then(Value::as_object)
            .is_none_or(Map::is_empty);
        let policy = if cluster_ip == "None" && selectorless {
            "RequireDualStack"
        } else {
            "SingleStack"
        };
        set_default(spec, "ipFamilyPolicy", json!(policy));
        let family = if cluster_ip.contains(':') {
            "IPv6"
        } else {
            "IPv4"
        };
        if spec
            .get("ipFamilies")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
        {
            spec.insert("ipFamilies".into(), json!([family]));
        }
    }
}

/// Whether a (defaulted) Service still needs a cluster IP from the server's allocator.
pub fn service_needs_cluster_ip(obj: &Value) -> bool {
    let spec = obj.get("spec");
    let ty = spec.map_or("", |s| str_at(s, "type"));
    ty != "ExternalName" && spec.is_none_or(|s| str_at(s, "clusterIP").is_empty())
}

/// Records an allocated cluster IP in `spec.clusterIP` and `spec.clusterIPs`.
pub fn set_service_cluster_ip(obj: &mut Value, ip: &str) {
    if let Some(o) = obj.as_object_mut()
        && let Some(spec) = ensure_obj(o, "spec")
    {
        spec.insert("clusterIP".into(), json!(ip));
        spec.insert("clusterIPs".into(), json!([ip]));
    }
}

/// The indexes of the ports of a NodePort/LoadBalancer Service that still need a node port
/// from the server's allocator.
pub fn service_ports_needing_node_port(obj: &Value) -> Vec<usize> {
    let Some(spec) = obj.get("spec") else {
        return vec![];
    };
    if !matches!(str_at(spec, "type"), "NodePort" | "LoadBalancer")
        || spec.get("allocateLoadBalancerNodePorts") == Some(&json!(false))
    {
        return vec![];
    }
    arr_at(spec, "ports")
        .iter()
        .enumerate()
        .filter(|(_, p)| int_at(p, "nodePort").unwrap_or(0) == 0)
        .map(|(i, _)| i)
        .collect()
}

fn default_deployment(obj: &mut Map<String, Value>) {
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    set_default(spec, "replicas", json!(1));
    if let Some(strategy) = ensure_obj(spec, "strategy") {
        set_default(strategy, "type", json!("RollingUpdate"));
        if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate")
            && let Some(ru) = ensure_obj(strategy, "rollingUpdate")
        {
            set_default(ru, "maxUnavailable", json!("25%"));
            set_default(ru, "maxSurge", json!("25%"));
        }
    }
    set_default(spec, "revisionHistoryLimit", json!(10));
    set_default(spec, "progressDeadlineSeconds", json!(600));
    default_template(spec);
}

fn default_namespace(obj: &mut Map<String, Value>) {
    let name = obj
        .get("metadata")
        .map(|m| str_at(m, "name").to_string())
        .unwrap_or_default();
    if !name.is_empty()
        && let Some(meta) = ensure_obj(obj, "metadata")
        && let Some(labels) = ensure_obj(meta, "labels")
    {
        labels.insert("kubernetes.io/metadata.name".into(), json!(name));
    }
    if let Some(spec) = ensure_obj(obj, "spec") {
        match spec.get_mut("finalizers") {
            Some(Value::Array(f)) => {
                if !f.iter().any(|x| x == "kubernetes") {
                    f.push(json!("kubernetes"));
                }
            }
            _ => {
                spec.insert("finalizers".into(), json!(["kubernetes"]));
            }
        }
    }
    if let Some(status) = ensure_obj(obj, "status") {
        set_default(status, "phase", json!("Active"));
    }
}

fn default_secret(obj: &mut Map<String, Value>) {
    set_default(obj, "type", json!("Opaque"));
    if let Some(Value::Object(string_data)) = obj.remove("stringData")
        && let Some(data) = ensure_obj(obj, "data")
    {
        for (k, v) in string_data {
            let text = v.as_str().unwrap_or("");
            let encoded = base64::engine::general_purpose::STANDARD.encode(text);
            data.insert(k, json!(encoded));
        }
    }
}

/// Applies the defaults the real server gives built-in kinds, the ones `kubectl get -o yaml`
/// shows on a real cluster:
///
/// - Service: `type: ClusterIP`, `sessionAffinity: None`, ports `protocol: TCP` and
///   `targetPort` = `port`, `internalTrafficPolicy: Cluster`, `ipFamilies: [IPv4]`,
///   `ipFamilyPolicy: SingleStack`, `clusterIPs` from a given `clusterIP`,
///   `externalTrafficPolicy: Cluster` and `allocateLoadBalancerNodePorts` where they apply.
///   Allocating the cluster IP and node ports is the server's job (see
///   [`service_needs_cluster_ip`], [`set_service_cluster_ip`],
///   [`service_ports_needing_node_port`]).
/// - Pod specs (pods and the templates of Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,
///   CronJob, PodTemplate): `restartPolicy: Always`, `dnsPolicy: ClusterFirst`,
///   `schedulerName: default-scheduler`, `terminationGracePeriodSeconds: 30`,
///   `securityContext: {}`; containers `imagePullPolicy` (Always for `:latest` or untagged,
///   else IfNotPresent), `terminationMessagePath`, `terminationMessagePolicy: File`,
///   `resources: {}`, ports `protocol: TCP`, probe timings, `fieldRef.apiVersion: v1`;
///   volume `defaultMode: 420`. Pods also get `enableServiceLinks: true`, requests from
///   limits, and on create `status.phase: Pending` with its `qosClass`.
/// - Deployment: `replicas: 1`, strategy RollingUpdate 25%/25%, `revisionHistoryLimit: 10`,
///   `progressDeadlineSeconds: 600`. ReplicaSet and StatefulSet: `replicas: 1` (and the
///   StatefulSet/DaemonSet update strategies and history limit).
/// - Namespace: the `kubernetes.io/metadata.name` label, `spec.finalizers` containing
///   `kubernetes` and `status.phase: Active`. These are create-time values: on update the
///   server must keep the stored `spec.finalizers` and `status`, as the real one does.
/// - Secret: `type: Opaque`, and `stringData` merged into `data` (base64).
/// - ConfigMap, Lease: nothing.
pub fn default_builtin(group: &str, kind: &str, obj: &mut Value) {
    let Some(o) = obj.as_object_mut() else { return };
    match (group, kind) {
        ("", "Service") => default_service(o),
        ("", "Pod") => default_pod(o),
        ("", "PodTemplate") => default_template(o),
        ("", "Namespace") => default_namespace(o),
        ("", "Secret") => default_secret(o),
        ("apps", "Deployment") => default_deployment(o),
        ("apps", "ReplicaSet") => {
            if let Some(spec) = ensure_obj(o, "spec") {
                set_default(spec, "replicas", json!(1));
                default_template(spec);
            }
        }
        ("apps", "StatefulSet") => {
            if let Some(spec) = ensure_obj(o, "spec") {
                set_default(spec, "replicas", json!(1));
                set_default(spec, "podManagementPolicy", json!("OrderedReady"));
                if let Some(us) = ensure_obj(spec, "updateStrategy") {
                    set_default(us, "type", json!("RollingUpdate"));
                    if us.get("type").and_then(Value::as_str) == Some("RollingUpdate")
                        && let Some(ru) = ensure_obj(us, "rollingUpdate")
                    {
                        set_default(ru, "partition", json!(0));
                    }
                }
                set_default(spec, "revisionHistoryLimit", json!(10));
                if let Some(p) = ensure_obj(spec, "persistentVolumeClaimRetentionPolicy") {
                    set_default(p, "whenDeleted", json!("Retain"));
                    set_default(p, "whenScaled", json!("Retain"));
                }
                default_template(spec);
            }
        }
        ("apps", "DaemonSet") => {
            if let Some(spec) = ensure_obj(o, "spec") {
                if let Some(us) = ensure_obj(spec, "updateStrategy") {
                    set_default(us, "type", json!("RollingUpdate"));
                    if us.get("type").and_then(Value::as_str) == Some("RollingUpdate")
                        && let Some(ru) = ensure_obj(us, "rollingUpdate")
                    {
                        set_default(ru, "maxUnavailable", json!(1));
                        set_default(ru, "maxSurge", json!(0));
                    }
                }
                set_default(spec, "revisionHistoryLimit", json!(10));
                default_template(spec);
            }
        }
        ("batch", "Job") => {
            if let Some(spec) = ensure_obj(o, "spec") {
                default_template(spec);
            }
        }
        ("batch", "CronJob") => {
            if let Some(spec) = ensure_obj(o, "spec")
                && let Some(jt) = ensure_obj(spec, "jobTemplate")
                && let Some(js) = ensure_obj(jt, "spec")
            {
                default_template(js);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
#[path = "meta_tests.rs"]
mod tests;
