//! Structural `openAPIV3Schema` semantics of CustomResourceDefinitions (apiextensions.k8s.io/v1):
//! pruning, defaulting and validation of custom resources, and the common checks the real
//! server makes on a CRD's schema.
//!
//! The server should treat a custom resource in this order, as the real one does:
//! [`prune`] (or [`prune_with_unknown_paths`] to answer `fieldValidation=Strict|Warn`), then
//! [`apply_defaults`], then `meta::validate_object_meta` and [`validate`].
//!
//! Schemas are plain `serde_json::Value`s as found under `spec.versions[*].schema.openAPIV3Schema`.
//! Validation follows the real server's validator (kube-openapi) closely, including its field
//! paths (`spec.steps[0].setWeight`) and messages (`spec.replicas in body must be of type
//! integer: "string"`) and the way the apiextensions server turns them into field errors.
//! Object properties are visited in schema order (the real server uses Go map order, which is
//! random), so several errors come out in a stable order.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use base64::Engine;
use regex::Regex;
use serde_json::{Map, Value};

use crate::field_error::{BadValue, FieldError, go_float_v, go_json, go_quote};

const PRESERVE: &str = "x-kubernetes-preserve-unknown-fields";
const EMBEDDED: &str = "x-kubernetes-embedded-resource";
const INT_OR_STRING: &str = "x-kubernetes-int-or-string";
const LIST_TYPE: &str = "x-kubernetes-list-type";
const LIST_MAP_KEYS: &str = "x-kubernetes-list-map-keys";
const MAP_TYPE: &str = "x-kubernetes-map-type";

const META_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// The fields of `ObjectMeta` that survive decoding; everything else under `metadata` is
/// dropped, at the root and in embedded resources.
pub const OBJECT_META_FIELDS: [&str; 15] = [
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

const OWNER_REFERENCE_FIELDS: [&str; 6] = [
    "apiVersion",
    "kind",
    "name",
    "uid",
    "controller",
    "blockOwnerDeletion",
];

const MANAGED_FIELDS_ENTRY_FIELDS: [&str; 7] = [
    "manager",
    "operation",
    "apiVersion",
    "time",
    "fieldsType",
    "fieldsV1",
    "subresource",
];

// ---------------------------------------------------------------------------------------------
// schema accessors
// ---------------------------------------------------------------------------------------------

fn get<'a>(s: &'a Value, key: &str) -> Option<&'a Value> {
    s.as_object()?.get(key)
}

fn flag(s: &Value, key: &str) -> bool {
    get(s, key).and_then(Value::as_bool).unwrap_or(false)
}

fn properties(s: &Value) -> Option<&Map<String, Value>> {
    get(s, "properties")?.as_object()
}

fn property<'a>(s: &'a Value, name: &str) -> Option<&'a Value> {
    properties(s)?.get(name)
}

/// `additionalProperties`: absent, a schema, or a bare boolean.
#[derive(Clone, Copy)]
enum Ap<'a> {
    Absent,
    Schema(&'a Value),
    Bool(bool),
}

fn additional_properties(s: &Value) -> Ap<'_> {
    match get(s, "additionalProperties") {
        Some(Value::Bool(b)) => Ap::Bool(*b),
        Some(v @ Value::Object(_)) => Ap::Schema(v),
        _ => Ap::Absent,
    }
}

/// The schema of a map value that is not a declared property (`None` for a boolean
/// `additionalProperties`, which in a structural schema carries no schema at all).
fn ap_schema(s: &Value) -> Option<&Value> {
    match additional_properties(s) {
        Ap::Schema(v) => Some(v),
        _ => None,
    }
}

fn has_ap(s: &Value) -> bool {
    !matches!(additional_properties(s), Ap::Absent)
}

fn items(s: &Value) -> Option<&Value> {
    get(s, "items").filter(|v| v.is_object())
}

fn type_of(s: &Value) -> &str {
    get(s, "type").and_then(Value::as_str).unwrap_or("")
}

/// The types the validator checks against: `x-kubernetes-int-or-string` means
/// `integer,string`.
fn types(s: &Value) -> Vec<&str> {
    if flag(s, INT_OR_STRING) {
        return vec!["integer", "string"];
    }
    match type_of(s) {
        "" => vec![],
        t => vec![t],
    }
}

fn nullable(s: &Value) -> bool {
    flag(s, "nullable")
}

/// The default value, if any (a `null` default counts as none, as in the real server).
fn default_of(s: &Value) -> Option<&Value> {
    get(s, "default").filter(|d| !d.is_null())
}

fn int_kw(s: &Value, key: &str) -> Option<i64> {
    let v = get(s, key)?;
    v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
}

fn float_kw(s: &Value, key: &str) -> Option<f64> {
    get(s, key)?.as_f64()
}

fn schema_list<'a>(s: &'a Value, key: &str) -> Vec<&'a Value> {
    get(s, key)
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// Formats the apiextensions server keeps; any other `format` is stripped before validation
/// and so has no effect at all (this includes `int32`, `int64`, `float` and `double`).
const SUPPORTED_FORMATS: [&str; 24] = [
    "bsonobjectid",
    "uri",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "cidr",
    "mac",
    "uuid",
    "uuid3",
    "uuid4",
    "uuid5",
    "isbn",
    "isbn10",
    "isbn13",
    "creditcard",
    "ssn",
    "hexcolor",
    "rgbcolor",
    "byte",
    "password",
    "date",
    "duration",
    "datetime",
];

fn format_of(s: &Value) -> Option<&str> {
    let f = get(s, "format")?.as_str()?;
    let normalized = f.replace('-', "");
    SUPPORTED_FORMATS
        .contains(&normalized.as_str())
        .then_some(f)
}

// ---------------------------------------------------------------------------------------------
// pruning
// ---------------------------------------------------------------------------------------------

fn join_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Drops the fields of `obj` that `schema` does not specify, as the real server does before
/// storing a custom resource.
///
/// `apiVersion`, `kind` and `metadata` are kept at the root and in
/// `x-kubernetes-embedded-resource` objects, and their `metadata` is reduced to the
/// `ObjectMeta` fields. Under `x-kubernetes-preserve-unknown-fields: true` unknown fields are
/// kept (specified ones are still pruned inside). A boolean `additionalProperties` keeps the
/// keys of a map but, as in the real server, specifies nothing below them.
pub fn prune(obj: &mut Value, schema: &Value) {
    prune_with_unknown_paths(obj, schema);
}

/// [`prune`], returning the sorted paths of the fields it dropped (`spec.foo`,
/// `spec.steps[0].bar`, `metadata.foo`): what `fieldValidation=Strict` rejects and
/// `fieldValidation=Warn` warns about (see [`strict_decoding_message`]).
pub fn prune_with_unknown_paths(obj: &mut Value, schema: &Value) -> Vec<String> {
    let mut unknown = Vec::new();
    prune_node(obj, Some(schema), true, "", &mut unknown);
    coerce_meta(obj, Some(schema), true, "", &mut unknown);
    unknown.sort();
    unknown
}

/// The message of the 400 answer to `fieldValidation=Strict` for these unknown fields:
/// `strict decoding error: unknown field "spec.foo", unknown field "spec.bar"`.
pub fn strict_decoding_message(unknown_paths: &[String]) -> String {
    let parts: Vec<String> = unknown_paths
        .iter()
        .map(|p| format!("unknown field {}", go_quote(p)))
        .collect();
    format!("strict decoding error: {}", parts.join(", "))
}

fn prune_node(
    x: &mut Value,
    s: Option<&Value>,
    force_embedded: bool,
    path: &str,
    unknown: &mut Vec<String>,
) {
    if let Some(s) = s
        && flag(s, PRESERVE)
    {
        skip_prune(x, s, force_embedded, path, unknown);
        return;
    }
    match x {
        Value::Object(map) => {
            let Some(s) = s else {
                for k in map.keys() {
                    unknown.push(join_key(path, k));
                }
                map.clear();
                return;
            };
            let embedded = force_embedded || flag(s, EMBEDDED);
            let ap = additional_properties(s);
            map.retain(|k, v| {
                if embedded && META_FIELDS.contains(&k.as_str()) {
                    return true;
                }
                let child = join_key(path, k);
                if let Some(p) = property(s, k) {
                    prune_node(v, Some(p), false, &child, unknown);
                    true
                } else {
                    match ap {
                        Ap::Schema(a) => {
                            prune_node(v, Some(a), false, &child, unknown);
                            true
                        }
                        Ap::Bool(_) => {
                            prune_node(v, None, false, &child, unknown);
                            true
                        }
                        Ap::Absent => {
                            unknown.push(child);
                            false
                        }
                    }
                }
            });
        }
        Value::Array(arr) => {
            let it = s.and_then(items);
            for (i, v) in arr.iter_mut().enumerate() {
                prune_node(v, it, false, &format!("{path}[{i}]"), unknown);
            }
        }
        _ => {}
    }
}

fn skip_prune(
    x: &mut Value,
    s: &Value,
    force_embedded: bool,
    path: &str,
    unknown: &mut Vec<String>,
) {
    match x {
        Value::Object(map) => {
            let embedded = force_embedded || flag(s, EMBEDDED);
            for (k, v) in map.iter_mut() {
                if embedded && META_FIELDS.contains(&k.as_str()) {
                    continue;
                }
                let child = join_key(path, k);
                if let Some(p) = property(s, k) {
                    prune_node(v, Some(p), false, &child, unknown);
                } else if has_ap(s) {
                    prune_node(v, ap_schema(s), false, &child, unknown);
                }
            }
        }
        Value::Array(arr) => {
            if let Some(it) = items(s) {
                for (i, v) in arr.iter_mut().enumerate() {
                    skip_prune(v, it, false, &format!("{path}[{i}]"), unknown);
                }
            }
        }
        _ => {}
    }
}

/// Reduces `metadata` at the root and in embedded resources to the `ObjectMeta` fields.
fn coerce_meta(
    x: &mut Value,
    s: Option<&Value>,
    is_root: bool,
    path: &str,
    unknown: &mut Vec<String>,
) {
    let Some(s) = s else { return };
    match x {
        Value::Object(map) => {
            let embedded = is_root || flag(s, EMBEDDED);
            if embedded && let Some(Value::Object(meta)) = map.get_mut("metadata") {
                prune_object_meta(meta, &join_key(path, "metadata"), unknown);
            }
            for (k, v) in map.iter_mut() {
                if embedded && k == "metadata" {
                    continue;
                }
                let child = join_key(path, k);
                if let Some(p) = property(s, k) {
                    coerce_meta(v, Some(p), false, &child, unknown);
                } else if let Some(a) = ap_schema(s) {
                    coerce_meta(v, Some(a), false, &child, unknown);
                }
            }
        }
        Value::Array(arr) => {
            let it = items(s);
            for (i, v) in arr.iter_mut().enumerate() {
                coerce_meta(v, it, false, &format!("{path}[{i}]"), unknown);
            }
        }
        _ => {}
    }
}

fn retain_fields(
    map: &mut Map<String, Value>,
    allowed: &[&str],
    path: &str,
    unknown: &mut Vec<String>,
) {
    map.retain(|k, _| {
        let keep = allowed.contains(&k.as_str());
        if !keep {
            unknown.push(join_key(path, k));
        }
        keep
    });
}

fn prune_object_meta(meta: &mut Map<String, Value>, path: &str, unknown: &mut Vec<String>) {
    retain_fields(meta, &OBJECT_META_FIELDS, path, unknown);
    for (list, allowed) in [
        ("ownerReferences", &OWNER_REFERENCE_FIELDS[..]),
        ("managedFields", &MANAGED_FIELDS_ENTRY_FIELDS[..]),
    ] {
        if let Some(Value::Array(entries)) = meta.get_mut(list) {
            for (i, e) in entries.iter_mut().enumerate() {
                if let Value::Object(m) = e {
                    retain_fields(m, allowed, &format!("{path}.{list}[{i}]"), unknown);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// defaulting
// ---------------------------------------------------------------------------------------------

/// Applies the schema's `default`s to `obj`, as the real server does after pruning.
///
/// First `null`s are dropped where the schema neither allows them (`nullable`) nor has a
/// default for them; then missing fields (and disallowed `null`s) get a copy of their
/// default, recursively, in nested objects, list items and `additionalProperties` values.
pub fn apply_defaults(obj: &mut Value, schema: &Value) {
    prune_non_nullable_nulls(obj, Some(schema));
    default_node(obj, Some(schema));
}

fn schema_for_field<'a>(key: &str, s: Option<&'a Value>) -> Option<&'a Value> {
    let s = s?;
    property(s, key).or_else(|| ap_schema(s))
}

fn prune_non_nullable_nulls(x: &mut Value, s: Option<&Value>) {
    match x {
        Value::Object(map) => {
            map.retain(|k, v| {
                let sub = schema_for_field(k, s);
                let drop = v.is_null()
                    && sub.is_some_and(|sub| !nullable(sub) && default_of(sub).is_none());
                if !drop {
                    prune_non_nullable_nulls(v, sub);
                }
                !drop
            });
        }
        Value::Array(arr) => {
            let it = s.and_then(items);
            for v in arr.iter_mut() {
                prune_non_nullable_nulls(v, it);
            }
        }
        _ => {}
    }
}

fn is_non_nullable_null(x: &Value, s: Option<&Value>) -> bool {
    x.is_null() && s.is_some_and(|s| !nullable(s))
}

fn default_node(x: &mut Value, s: Option<&Value>) {
    let Some(s) = s else { return };
    match x {
        Value::Object(map) => {
            if let Some(props) = properties(s) {
                for (k, prop) in props {
                    let Some(d) = default_of(prop) else { continue };
                    let missing = match map.get(k) {
                        None => true,
                        Some(v) => is_non_nullable_null(v, Some(prop)),
                    };
                    if missing {
                        map.insert(k.clone(), d.clone());
                    }
                }
            }
            for (k, v) in map.iter_mut() {
                if let Some(p) = property(s, k) {
                    default_node(v, Some(p));
                } else if has_ap(s) {
                    let a = ap_schema(s);
                    if is_non_nullable_null(v, a) {
                        *v = a.and_then(default_of).cloned().unwrap_or(Value::Null);
                    }
                    default_node(v, a);
                }
            }
        }
        Value::Array(arr) => {
            let it = items(s);
            for v in arr.iter_mut() {
                if is_non_nullable_null(v, it) {
                    *v = it.and_then(default_of).cloned().unwrap_or(Value::Null);
                }
                default_node(v, it);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// validation
// ---------------------------------------------------------------------------------------------

/// Validates a (pruned and defaulted) custom resource against its schema, returning the
/// field errors of the real server: schema errors first, then the checks of
/// `x-kubernetes-embedded-resource` objects, then `x-kubernetes-list-type` uniqueness.
///
/// Object metadata is not checked here; see `meta::validate_object_meta`.
pub fn validate(obj: &Value, schema: &Value) -> Vec<FieldError> {
    let mut res = VRes::default();
    validate_node(obj, schema, "", &mut res);
    let mut errs = res.errs;
    validate_embedded(obj, Some(schema), "", false, &mut errs);
    validate_list_types(obj, Some(schema), "", &mut errs);
    errs
}

#[derive(Default)]
struct VRes {
    errs: Vec<FieldError>,
    /// How many checks passed: among failing `anyOf`/`oneOf` alternatives the one that
    /// matched most reports its errors.
    matches: u32,
}

impl VRes {
    fn merge(&mut self, other: VRes) {
        self.errs.extend(other.errs);
        self.matches += other.matches;
    }

    fn is_valid(&self) -> bool {
        self.errs.is_empty()
    }
}

/// The field of an error reported at a validator path (`.spec` → `spec`, root → `<nil>`).
fn err_field(path: &str) -> String {
    match path {
        "" | "." => "<nil>".to_string(),
        p => p.strip_prefix('.').unwrap_or(p).to_string(),
    }
}

fn type_error(path: &str, type_name: &str, value: &str) -> FieldError {
    FieldError::type_invalid(
        err_field(path),
        value,
        &format!(
            "{path} in body must be of type {type_name}: {}",
            go_quote(value)
        ),
    )
}

fn composite_error(message: String) -> FieldError {
    FieldError::invalid("<nil>", "", &message)
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    String,
    Bool,
    Int(i64),
    Float(f64),
    Array,
    Object,
}

fn kind_of(v: &Value) -> Kind {
    match v {
        Value::String(_) => Kind::String,
        Value::Bool(_) => Kind::Bool,
        Value::Number(n) => match n.as_i64() {
            Some(i) => Kind::Int(i),
            None => Kind::Float(n.as_f64().unwrap_or(0.0)),
        },
        Value::Array(_) => Kind::Array,
        Value::Object(_) | Value::Null => Kind::Object,
    }
}

fn sch_type_name(k: Kind) -> &'static str {
    match k {
        Kind::String => "string",
        Kind::Bool => "boolean",
        Kind::Int(_) => "integer",
        Kind::Float(_) => "number",
        Kind::Array => "array",
        Kind::Object => "object",
    }
}

/// Whether a float holds an integer value (go-openapi's `IsFloat64AJSONInteger`).
fn is_json_integer(f: f64) -> bool {
    // beyond 2^53 a float no longer holds every integer, and the real validator gives up
    if !f.is_finite() || f.abs() > 9_007_199_254_740_992.0 {
        return false;
    }
    let r = f.round();
    if f == r {
        return true;
    }
    let diff = (f - r).abs();
    diff / (f.abs() + r.abs()).min(f64::MAX) < 1e-9
}

fn validate_node(data: &Value, s: &Value, path: &str, res: &mut VRes) {
    let tys = types(s);
    if data.is_null() {
        if !tys.is_empty() && !tys.contains(&"null") && !nullable(s) {
            res.errs.push(type_error(path, &tys.join(","), "null"));
        }
        if let Some(en) = get(s, "enum").and_then(Value::as_array)
            && !en.is_empty()
        {
            res.errs.push(enum_error(path, data, en));
        }
        return;
    }
    let kind = kind_of(data);
    let format = format_of(s);

    // type
    if !tys.is_empty() || format.is_some() {
        let before = res.errs.len();
        validate_type(data, kind, &tys, format, path, res);
        res.matches += 1;
        if res.errs.len() == before {
            res.matches += 1;
        }
    }
    // allOf / anyOf / oneOf / not
    validate_schema_props(data, s, path, res);
    res.matches += 1;
    // string
    if let Value::String(text) = data {
        validate_string(text, s, path, res);
        res.matches += 1;
        if let Some(f) = format {
            if !format_matches(f, text) {
                res.errs.push(type_error(path, f, text));
            }
            res.matches += 1;
        }
    }
    // number
    if matches!(kind, Kind::Int(_) | Kind::Float(_)) {
        validate_number(data, kind, s, path, res);
        res.matches += 1;
    }
    // array
    if let Value::Array(arr) = data {
        validate_array(arr, s, path, res);
        res.matches += 1;
    }
    // enum
    if let Some(en) = get(s, "enum").and_then(Value::as_array)
        && !en.is_empty()
    {
        if !en.iter().any(|e| enum_matches(data, e)) {
            res.errs.push(enum_error(path, data, en));
        }
        res.matches += 1;
    }
    // object
    if let Value::Object(map) = data {
        validate_object(map, s, path, res);
        res.matches += 1;
    }
    res.matches += 1;
}

fn validate_type(
    data: &Value,
    kind: Kind,
    tys: &[&str],
    format: Option<&str>,
    path: &str,
    res: &mut VRes,
) {
    let sch_type = sch_type_name(kind);
    let contains = |t: &str| tys.contains(&t);
    let is_float_int = matches!(kind, Kind::Float(f) if is_json_integer(f)) && contains("integer");
    let is_int_float = matches!(kind, Kind::Int(_)) && contains("number");
    let is_string_or_array = matches!(data, Value::String(_) | Value::Array(_));
    if let Some(f) = format
        && !is_string_or_array
    {
        let data_format = match kind {
            Kind::Int(_) => "int64",
            Kind::Float(_) => "float64",
            _ => "",
        };
        if !(contains(sch_type) || data_format == f || is_float_int || is_int_float) {
            res.errs.push(type_error(path, f, data_format));
            return;
        }
    }
    if format.is_some() && is_string_or_array && !(contains("number") || contains("integer")) {
        return;
    }
    if !(contains(sch_type) || is_float_int || is_int_float) {
        res.errs.push(type_error(path, &tys.join(","), sch_type));
    }
}

fn validate_schema_props(data: &Value, s: &Value, path: &str, res: &mut VRes) {
    let any_of = schema_list(s, "anyOf");
    if !any_of.is_empty() {
        let mut best: Option<VRes> = None;
        let mut first_success: Option<VRes> = None;
        let mut succeeded = false;
        for alt in any_of {
            let mut r = VRes::default();
            validate_node(data, alt, path, &mut r);
            if r.is_valid() {
                best = None;
                succeeded = true;
                first_success = Some(r);
                break;
            }
            if best.as_ref().is_none_or(|b| r.matches > b.matches) {
                best = Some(r);
            }
        }
        if !succeeded {
            res.errs.push(composite_error(format!(
                "{} must validate at least one schema (anyOf)",
                go_quote(path)
            )));
        }
        if let Some(b) = best {
            res.merge(b);
        } else if let Some(f) = first_success {
            res.merge(f);
        }
    }

    let one_of = schema_list(s, "oneOf");
    if !one_of.is_empty() {
        let mut best: Option<VRes> = None;
        let mut first_success: Option<VRes> = None;
        let mut validated = 0;
        for alt in one_of {
            let mut r = VRes::default();
            validate_node(data, alt, path, &mut r);
            if r.is_valid() {
                validated += 1;
                best = None;
                if first_success.is_none() {
                    first_success = Some(r);
                }
                continue;
            }
            if validated == 0 && best.as_ref().is_none_or(|b| r.matches > b.matches) {
                best = Some(r);
            }
        }
        if validated != 1 {
            let detail = if validated == 0 {
                "Found none valid".to_string()
            } else {
                format!("Found {validated} valid alternatives")
            };
            res.errs.push(composite_error(format!(
                "{} must validate one and only one schema (oneOf). {detail}",
                go_quote(path)
            )));
            if let Some(b) = best {
                res.merge(b);
            }
        } else if let Some(f) = first_success {
            res.merge(f);
        }
    }

    let all_of = schema_list(s, "allOf");
    if !all_of.is_empty() {
        let mut validated = 0;
        for alt in &all_of {
            let mut r = VRes::default();
            validate_node(data, alt, path, &mut r);
            if r.is_valid() {
                validated += 1;
            }
            res.merge(r);
        }
        if validated != all_of.len() {
            let detail = if validated == 0 {
                ". None validated"
            } else {
                ""
            };
            res.errs.push(composite_error(format!(
                "{} must validate all the schemas (allOf){detail}",
                go_quote(path)
            )));
        }
    }

    if let Some(not) = get(s, "not").filter(|n| n.is_object()) {
        let mut r = VRes::default();
        validate_node(data, not, path, &mut r);
        if r.is_valid() {
            res.errs.push(composite_error(format!(
                "{} must not validate the schema (not)",
                go_quote(path)
            )));
        }
    }
}

fn validate_string(text: &str, s: &Value, path: &str, res: &mut VRes) {
    let len = text.chars().count() as i64;
    if let Some(max) = int_kw(s, "maxLength")
        && len > max
    {
        res.errs.push(FieldError::too_long(err_field(path), max));
        return;
    }
    if let Some(min) = int_kw(s, "minLength")
        && len < min
    {
        res.errs.push(FieldError::invalid(
            err_field(path),
            text,
            &format!("{path} in body should be at least {min} chars long"),
        ));
        return;
    }
    if let Some(pattern) = get(s, "pattern").and_then(Value::as_str)
        && !pattern.is_empty()
    {
        let detail = match cached_regex(pattern) {
            Ok(re) if re.is_match(text) => return,
            Ok(_) => format!("{path} in body should match '{pattern}'"),
            Err(e) => {
                format!("{path} in body should match '{pattern}, but pattern is invalid: {e}'")
            }
        };
        res.errs
            .push(FieldError::invalid(err_field(path), text, &detail));
    }
}

thread_local! {
    static REGEX_CACHE: RefCell<HashMap<String, Result<Regex, String>>> = RefCell::new(HashMap::new());
}

fn cached_regex(pattern: &str) -> Result<Regex, String> {
    REGEX_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 512 {
            c.clear();
        }
        c.entry(pattern.to_string())
            .or_insert_with(|| Regex::new(&go_regex_to_rust(pattern)).map_err(|e| e.to_string()))
            .clone()
    })
}

/// Rewrites the Perl classes of a (Go, RE2) pattern to their ASCII meaning: in Go `\d`,
/// `\w`, `\s` and `\b` are ASCII-only, in Rust they are Unicode-aware.
fn go_regex_to_rust(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        let at_class_start = std::mem::take(&mut class_start);
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push(c);
                    break;
                };
                let replacement = match (n, in_class) {
                    ('d', false) => Some("[0-9]"),
                    ('D', false) => Some("[^0-9]"),
                    ('w', false) => Some("[0-9A-Za-z_]"),
                    ('W', false) => Some("[^0-9A-Za-z_]"),
                    ('s', false) => Some("[\\t\\n\\x0C\\r ]"),
                    ('S', false) => Some("[^\\t\\n\\x0C\\r ]"),
                    ('b', false) => Some("(?-u:\\b)"),
                    ('B', false) => Some("(?-u:\\B)"),
                    ('d', true) => Some("0-9"),
                    ('w', true) => Some("0-9A-Za-z_"),
                    ('s', true) => Some("\\t\\n\\x0C\\r "),
                    _ => None,
                };
                match replacement {
                    Some(r) => out.push_str(r),
                    None => {
                        out.push(c);
                        out.push(n);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                class_start = true;
                out.push(c);
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
            }
            ']' if in_class && !at_class_start => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn number_bound_str(bound: f64, int_data: bool) -> String {
    if int_data {
        (bound as i64).to_string()
    } else {
        go_float_v(bound)
    }
}

fn validate_number(data: &Value, kind: Kind, s: &Value, path: &str, res: &mut VRes) {
    let field = err_field(path);
    let value = BadValue::json(data);
    // multipleOf
    if let Some(factor) = float_kw(s, "multipleOf") {
        let int_factor = factor as i64;
        let failed_with = match kind {
            Kind::Int(i) if int_factor > 0 => (i % int_factor != 0).then(|| int_factor.to_string()),
            _ => {
                let d = match kind {
                    Kind::Int(i) => i as f64,
                    Kind::Float(f) => f,
                    _ => 0.0,
                };
                let mult = if factor < 1.0 {
                    1.0 / factor * d
                } else {
                    d / factor
                };
                (factor > 0.0 && !is_json_integer(mult)).then(|| go_float_v(factor))
            }
        };
        if let Some(shown) = failed_with {
            res.errs.push(FieldError::invalid(
                field.clone(),
                value.clone(),
                &format!("{path} in body should be a multiple of {shown}"),
            ));
        }
    }
    // minimum
    if let Some(min) = float_kw(s, "minimum") {
        let exclusive = flag(s, "exclusiveMinimum");
        let failed = match kind {
            Kind::Int(i) => {
                let m = min as i64;
                if exclusive { i <= m } else { i < m }
            }
            Kind::Float(f) => {
                if exclusive {
                    f <= min
                } else {
                    f < min
                }
            }
            _ => false,
        };
        if failed {
            let word = if exclusive {
                "greater than"
            } else {
                "greater than or equal to"
            };
            let bound = number_bound_str(min, matches!(kind, Kind::Int(_)));
            res.errs.push(FieldError::invalid(
                field.clone(),
                value.clone(),
                &format!("{path} in body should be {word} {bound}"),
            ));
        }
    }
    // maximum
    if let Some(max) = float_kw(s, "maximum") {
        let exclusive = flag(s, "exclusiveMaximum");
        let failed = match kind {
            Kind::Int(i) => {
                let m = max as i64;
                if exclusive { i >= m } else { i > m }
            }
            Kind::Float(f) => {
                if exclusive {
                    f >= max
                } else {
                    f > max
                }
            }
            _ => false,
        };
        if failed {
            let word = if exclusive {
                "less than"
            } else {
                "less than or equal to"
            };
            let bound = number_bound_str(max, matches!(kind, Kind::Int(_)));
            res.errs.push(FieldError::invalid(
                field,
                value,
                &format!("{path} in body should be {word} {bound}"),
            ));
        }
    }
}

fn validate_array(arr: &[Value], s: &Value, path: &str, res: &mut VRes) {
    if let Some(it) = items(s) {
        for (i, v) in arr.iter().enumerate() {
            validate_node(v, it, &format!("{path}[{i}]"), res);
        }
    }
    let size = arr.len() as i64;
    if let Some(min) = int_kw(s, "minItems")
        && size < min
    {
        res.errs.push(FieldError::invalid(
            err_field(path),
            size,
            &format!("{path} in body should have at least {min} items"),
        ));
    }
    if let Some(max) = int_kw(s, "maxItems")
        && size > max
    {
        res.errs
            .push(FieldError::too_many(err_field(path), Some(size), max));
    }
    if flag(s, "uniqueItems") {
        let mut seen = Vec::new();
        for v in arr {
            if seen.contains(&v) {
                res.errs.push(FieldError::invalid(
                    err_field(path),
                    "",
                    &format!("{path} in body shouldn't contain duplicates"),
                ));
                break;
            }
            seen.push(v);
        }
    }
}

fn validate_object(map: &Map<String, Value>, s: &Value, path: &str, res: &mut VRes) {
    let n = map.len() as i64;
    if let Some(min) = int_kw(s, "minProperties")
        && n < min
    {
        res.errs.push(FieldError::invalid(
            err_field(path),
            n,
            &format!("{path} in body should have at least {min} properties"),
        ));
        return;
    }
    if let Some(max) = int_kw(s, "maxProperties")
        && n > max
    {
        res.errs
            .push(FieldError::too_many(err_field(path), Some(n), max));
        return;
    }
    let props = properties(s);
    match additional_properties(s) {
        Ap::Bool(false) => {
            for k in map.keys() {
                if props.is_some_and(|p| p.contains_key(k)) {
                    continue;
                }
                res.errs.push(FieldError::invalid(
                    err_field(path),
                    k.as_str(),
                    &format!("{path}.{k} in body is a forbidden property"),
                ));
            }
        }
        Ap::Schema(a) => {
            for (k, v) in map {
                if props.is_some_and(|p| p.contains_key(k)) {
                    continue;
                }
                validate_node(v, a, &format!("{path}.{k}"), res);
            }
        }
        _ => {}
    }
    if let Some(props) = props {
        for (name, ps) in props {
            if let Some(v) = map.get(name) {
                validate_node(v, ps, &join_key(path, name), res);
            }
        }
    }
    if let Some(required) = get(s, "required").and_then(Value::as_array) {
        for k in required.iter().filter_map(Value::as_str) {
            if !map.contains_key(k) {
                res.errs
                    .push(FieldError::required(err_field(&format!("{path}.{k}")), ""));
            }
        }
    }
}

/// Whether `data` equals an `enum` entry, with the Go conversion the real validator makes
/// (numbers are converted to the entry's type: an integer entry accepts a float data value
/// that truncates to it).
fn enum_matches(data: &Value, entry: &Value) -> bool {
    match (data, entry) {
        (Value::Number(d), Value::Number(e)) => match (e.as_i64(), d.as_i64()) {
            (Some(ei), Some(di)) => ei == di,
            (Some(ei), None) => d.as_f64().is_some_and(|f| f.trunc() as i64 == ei),
            (None, _) => d.as_f64() == e.as_f64(),
        },
        _ => data == entry,
    }
}

fn enum_error(path: &str, data: &Value, entries: &[Value]) -> FieldError {
    let values: Vec<String> = entries
        .iter()
        .map(|e| match e {
            Value::String(s) => s.clone(),
            other => go_json(other),
        })
        .collect();
    FieldError::not_supported(err_field(path), data, &values)
}

// ---------------------------------------------------------------------------------------------
// formats
// ---------------------------------------------------------------------------------------------

fn re_matches(pattern: &str, text: &str) -> bool {
    cached_regex(pattern).is_ok_and(|re| re.is_match(text))
}

fn is_date(s: &str) -> bool {
    re_matches(r"^\d{4}-\d{2}-\d{2}$", s)
        && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// `date-time` as the real validator checks it: a valid date, `T` (any case), then
/// `hh:mm:ss[.frac](Z|±hh:mm)`.
fn is_date_time(s: &str) -> bool {
    if s.len() < 4 {
        return false;
    }
    let lower = s.to_lowercase();
    let parts: Vec<&str> = lower.split('t').collect();
    if parts.len() < 2 || !is_date(parts[0]) {
        return false;
    }
    let Ok(re) =
        cached_regex(r"^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$")
    else {
        return false;
    };
    match re.captures(parts[1]) {
        Some(c) => &c[1] <= "23" && &c[2] <= "59" && &c[3] <= "59",
        None => false,
    }
}

fn is_duration(s: &str) -> bool {
    let go = r"^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$";
    let words = r"^[0-9]+\s*(ns|nanoseconds?|us|µs|microseconds?|ms|milliseconds?|s|seconds?|m|minutes?|h|hours?|d|days?|w|weeks?)$";
    s == "0" || re_matches(go, s) || re_matches(words, s.trim())
}

fn is_cidr(s: &str) -> bool {
    let Some((ip, bits)) = s.split_once('/') else {
        return false;
    };
    let Ok(bits) = bits.parse::<u8>() else {
        return false;
    };
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => bits <= 32,
        Ok(std::net::IpAddr::V6(_)) => bits <= 128,
        Err(_) => false,
    }
}

/// Whether `text` is valid for a (supported) `format`. Formats that are hard to check
/// exactly (`isbn*`, `creditcard`) are accepted.
fn format_matches(format: &str, text: &str) -> bool {
    let hex = "[0-9a-fA-F]";
    match format.replace('-', "").as_str() {
        "datetime" => is_date_time(text),
        "date" => is_date(text),
        "byte" => base64::engine::general_purpose::STANDARD
            .decode(text)
            .is_ok(),
        "uuid" => re_matches(
            &format!("^{hex}{{8}}-?{hex}{{4}}-?{hex}{{4}}-?{hex}{{4}}-?{hex}{{12}}$"),
            text,
        ),
        "uuid3" => re_matches(
            &format!("^{hex}{{8}}-?{hex}{{4}}-?3{hex}{{3}}-?{hex}{{4}}-?{hex}{{12}}$"),
            text,
        ),
        "uuid4" => re_matches(
            &format!("^{hex}{{8}}-?{hex}{{4}}-?4{hex}{{3}}-?[89abAB]{hex}{{3}}-?{hex}{{12}}$"),
            text,
        ),
        "uuid5" => re_matches(
            &format!("^{hex}{{8}}-?{hex}{{4}}-?5{hex}{{3}}-?[89abAB]{hex}{{3}}-?{hex}{{12}}$"),
            text,
        ),
        "ipv4" => text.contains('.') && text.parse::<std::net::IpAddr>().is_ok(),
        "ipv6" => text.contains(':') && text.parse::<std::net::IpAddr>().is_ok(),
        "cidr" => is_cidr(text),
        "hostname" => {
            text.len() <= 255
                && re_matches(
                    r"^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$",
                    text,
                )
        }
        "email" => re_matches(r"^(?:[^<>@\s]+@[^<>@\s]+|[^<>]*<[^<>@\s]+@[^<>@\s]+>)$", text),
        "mac" => re_matches(
            &format!("^({hex}{{2}}([:-]){hex}{{2}}(\\2{hex}{{2}}){{4}}|{hex}{{4}}\\.{hex}{{4}}\\.{hex}{{4}})$")
                .replace("\\2", "[:-]"),
            text,
        ),
        "hexcolor" => re_matches(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$", text),
        "rgbcolor" => re_matches(
            r"^rgb\(\s*\d{1,3}%?\s*,\s*\d{1,3}%?\s*,\s*\d{1,3}%?\s*\)$",
            text,
        ),
        "ssn" => re_matches(r"^\d{3}[- ]?\d{2}[- ]?\d{4}$", text),
        "bsonobjectid" => re_matches(r"^[0-9a-fA-F]{24}$", text),
        "uri" => re_matches(r"^([a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*|/[^\s]*)$", text),
        "duration" => is_duration(text),
        _ => true,
    }
}

// ---------------------------------------------------------------------------------------------
// embedded resources and list types
// ---------------------------------------------------------------------------------------------

fn path_child(path: &str, name: &str) -> String {
    join_key(path, name)
}

fn path_key(path: &str, key: &str) -> String {
    format!("{path}[{key}]")
}

fn path_index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

fn is_valid_group_version(gv: &str) -> Result<(), String> {
    if gv.is_empty() || gv == "/" {
        return Ok(());
    }
    match gv.matches('/').count() {
        0 | 1 => Ok(()),
        _ => Err(format!("unexpected GroupVersion string: {gv}")),
    }
}

/// `apiVersion` and `kind` of `x-kubernetes-embedded-resource` objects.
fn validate_embedded(
    x: &Value,
    s: Option<&Value>,
    path: &str,
    check_here: bool,
    errs: &mut Vec<FieldError>,
) {
    let Some(s) = s else { return };
    match x {
        Value::Object(map) => {
            if check_here && flag(s, EMBEDDED) {
                check_embedded_resource(map, path, errs);
            }
            for (k, v) in map {
                if let Some(p) = property(s, k) {
                    validate_embedded(v, Some(p), &path_child(path, k), true, errs);
                } else if let Some(a) = ap_schema(s) {
                    validate_embedded(v, Some(a), &path_key(path, k), true, errs);
                }
            }
        }
        Value::Array(arr) => {
            for (i, v) in arr.iter().enumerate() {
                validate_embedded(v, items(s), &path_index(path, i), true, errs);
            }
        }
        _ => {}
    }
}

fn check_embedded_resource(map: &Map<String, Value>, path: &str, errs: &mut Vec<FieldError>) {
    let api_version_path = path_child(path, "apiVersion");
    let kind_path = path_child(path, "kind");
    if !map.contains_key("apiVersion") {
        errs.push(FieldError::required(
            api_version_path.clone(),
            "must not be empty",
        ));
    }
    if !map.contains_key("kind") {
        errs.push(FieldError::required(kind_path.clone(), "must not be empty"));
    }
    for (k, v) in map {
        match k.as_str() {
            "apiVersion" => match v.as_str() {
                None => errs.push(FieldError::invalid(
                    api_version_path.clone(),
                    v,
                    "must be a string",
                )),
                Some("") => errs.push(FieldError::invalid(
                    api_version_path.clone(),
                    "",
                    "must not be empty",
                )),
                Some(gv) => {
                    if let Err(e) = is_valid_group_version(gv) {
                        errs.push(FieldError::invalid(api_version_path.clone(), gv, &e));
                    }
                }
            },
            "kind" => match v.as_str() {
                None => errs.push(FieldError::invalid(
                    kind_path.clone(),
                    v,
                    "must be a string",
                )),
                Some("") => errs.push(FieldError::invalid(
                    kind_path.clone(),
                    "",
                    "must not be empty",
                )),
                Some(kind) => {
                    let msgs = crate::meta::is_dns1035_label(&kind.to_lowercase());
                    if !msgs.is_empty() {
                        errs.push(FieldError::invalid(
                            kind_path.clone(),
                            kind,
                            &format!(
                                "may have mixed case, but should otherwise match: {}",
                                msgs.join(",")
                            ),
                        ));
                    }
                }
            },
            _ => {}
        }
    }
}

/// `x-kubernetes-list-type: set|map` uniqueness.
fn validate_list_types(x: &Value, s: Option<&Value>, path: &str, errs: &mut Vec<FieldError>) {
    let Some(s) = s else { return };
    match x {
        Value::Object(map) => {
            if let Some(a) = ap_schema(s) {
                for (k, v) in map {
                    validate_list_types(v, Some(a), &path_key(path, k), errs);
                }
            }
            if properties(s).is_some() {
                for (k, v) in map {
                    if let Some(p) = property(s, k) {
                        validate_list_types(v, Some(p), &path_child(path, k), errs);
                    }
                }
            }
        }
        Value::Array(arr) => {
            match get(s, LIST_TYPE).and_then(Value::as_str) {
                Some("set") => {
                    for i in non_unique(arr) {
                        errs.push(FieldError::duplicate(path_index(path, i), &arr[i]));
                    }
                }
                Some("map") => validate_list_map(arr, s, path, errs),
                _ => {}
            }
            if let Some(it) = items(s) {
                for (i, v) in arr.iter().enumerate() {
                    validate_list_types(v, Some(it), &path_index(path, i), errs);
                }
            }
        }
        _ => {}
    }
}

/// The index of the second occurrence of every value that occurs more than once.
fn non_unique(values: &[Value]) -> Vec<usize> {
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut out = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let key = match v {
            Value::Object(_) | Value::Array(_) => format!("c{}", go_json(v)),
            Value::Number(n) => match n.as_i64() {
                Some(i) => format!("i{i}"),
                None => format!("f{}", n.as_f64().unwrap_or(0.0)),
            },
            Value::String(s) => format!("s{s}"),
            Value::Bool(b) => format!("b{b}"),
            Value::Null => "n".to_string(),
        };
        let times = seen.entry(key).or_insert(0);
        *times += 1;
        if *times == 2 {
            out.push(i);
        }
    }
    out
}

fn validate_list_map(arr: &[Value], s: &Value, path: &str, errs: &mut Vec<FieldError>) {
    for (i, x) in arr.iter().enumerate() {
        if !x.is_null() && !x.is_object() {
            errs.push(FieldError::invalid(
                path_index(path, i),
                x,
                "must be an object for an array of list-type map",
            ));
            return;
        }
    }
    if arr.len() <= 1 {
        return;
    }
    let key_fields: Vec<&str> = get(s, LIST_MAP_KEYS)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    // The key of an item: the object of its key fields (absent key fields left out).
    let keys: Vec<Value> = arr
        .iter()
        .map(|x| {
            let mut key = Map::new();
            if let Value::Object(m) = x {
                for f in &key_fields {
                    if let Some(v) = m.get(*f) {
                        key.insert((*f).to_string(), v.clone());
                    }
                }
            }
            Value::Object(key)
        })
        .collect();
    for i in non_unique(&keys) {
        errs.push(FieldError::duplicate(path_index(path, i), &keys[i]));
    }
}

// ---------------------------------------------------------------------------------------------
// CRD schema checks
// ---------------------------------------------------------------------------------------------

/// The most common checks the real server makes on a CRD's `openAPIV3Schema`, with paths
/// relative to the schema (`type`, `properties[spec].type`). See [`validate_crd_schema_at`].
pub fn validate_crd_schema(schema: &Value) -> Vec<FieldError> {
    validate_crd_schema_at(schema, "")
}

/// [`validate_crd_schema`] with the paths under `base`, e.g.
/// `spec.versions[0].schema.openAPIV3Schema`, as the real server reports them.
///
/// Checked: unsupported keywords (`$ref`, `id`, `patternProperties`, `definitions`,
/// `dependencies`, `additionalItems`, items arrays, `type: null`), unknown types,
/// `uniqueItems: true`, `additionalProperties` next to `properties`,
/// `x-kubernetes-preserve-unknown-fields: false`, list/map type settings, and the structural
/// rules: `type` set everywhere it must be, `items` for arrays, an object root without
/// `additionalProperties`, only `name`/`generateName` under the root `metadata`, the
/// embedded-resource and int-or-string rules, and no types or defaults inside
/// `allOf`/`anyOf`/`oneOf`/`not`.
pub fn validate_crd_schema_at(schema: &Value, base: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut unconvertible = false;
    generic_schema_checks(schema, base, true, None, &mut errs, &mut unconvertible);
    if !unconvertible {
        let mut structural = Vec::new();
        structural_invariants(schema, Level::Root, base, &mut structural);
        structural.sort_by_key(|e| e.to_string());
        errs.extend(structural);
    }
    errs
}

const OPENAPI_TYPES: [&str; 6] = ["array", "boolean", "integer", "number", "object", "string"];

fn generic_schema_checks(
    s: &Value,
    path: &str,
    is_root: bool,
    no_defaults: Option<&str>,
    errs: &mut Vec<FieldError>,
    unconvertible: &mut bool,
) {
    let Some(obj) = s.as_object() else { return };
    if let Some(reason) = no_defaults
        && default_of(s).is_some()
    {
        errs.push(FieldError::forbidden(
            path_child(path, "default"),
            &format!("must not be set {reason}"),
        ));
    }
    let ty = type_of(s);
    if !ty.is_empty() && !OPENAPI_TYPES.contains(&ty) {
        errs.push(FieldError::not_supported(
            path_child(path, "type"),
            ty,
            &OPENAPI_TYPES,
        ));
    }
    let mut forbid = |key: &str, msg: &str, errs: &mut Vec<FieldError>| {
        errs.push(FieldError::forbidden(path_child(path, key), msg));
        *unconvertible = true;
    };
    if obj
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|i| !i.is_empty())
    {
        forbid("id", "id is not supported", errs);
    }
    if obj.contains_key("additionalItems") {
        forbid("additionalItems", "additionalItems is not supported", errs);
    }
    if obj
        .get("patternProperties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty())
    {
        forbid(
            "patternProperties",
            "patternProperties is not supported",
            errs,
        );
    }
    if obj
        .get("definitions")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty())
    {
        forbid("definitions", "definitions is not supported", errs);
    }
    if obj.contains_key("dependencies") {
        forbid("dependencies", "dependencies is not supported", errs);
    }
    if obj.contains_key("$ref") {
        forbid("$ref", "$ref is not supported", errs);
    }
    if ty == "null" {
        forbid(
            "type",
            "type cannot be set to null, use nullable as an alternative",
            errs,
        );
    }
    if obj.get("items").is_some_and(Value::is_array) {
        forbid(
            "items",
            "items must be a schema object and not an array",
            errs,
        );
    }
    if flag(s, "uniqueItems") {
        errs.push(FieldError::forbidden(
            path_child(path, "uniqueItems"),
            "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
        ));
    }
    let has_props = properties(s).is_some_and(|p| !p.is_empty());
    match additional_properties(s) {
        Ap::Absent => {}
        ap => {
            if has_props && !matches!(ap, Ap::Bool(true)) {
                errs.push(FieldError::forbidden(
                    path_child(path, "additionalProperties"),
                    "additionalProperties and properties are mutual exclusive",
                ));
            }
            if let Ap::Schema(a) = ap {
                generic_schema_checks(
                    a,
                    &path_child(path, "additionalProperties"),
                    false,
                    no_defaults,
                    errs,
                    unconvertible,
                );
            }
        }
    }
    if let Some(props) = properties(s) {
        for (k, p) in props {
            let top_level = format!("in top-level {k}");
            let reason = if is_root && META_FIELDS.contains(&k.as_str()) {
                Some(top_level.as_str())
            } else {
                no_defaults
            };
            generic_schema_checks(
                p,
                &path_key(&path_child(path, "properties"), k),
                false,
                reason,
                errs,
                unconvertible,
            );
        }
    }
    if let Some(not) = get(s, "not") {
        generic_schema_checks(
            not,
            &path_child(path, "not"),
            false,
            no_defaults,
            errs,
            unconvertible,
        );
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for (i, alt) in schema_list(s, key).into_iter().enumerate() {
            generic_schema_checks(
                alt,
                &path_index(&path_child(path, key), i),
                false,
                no_defaults,
                errs,
                unconvertible,
            );
        }
    }
    if let Some(it) = items(s) {
        generic_schema_checks(
            it,
            &path_child(path, "items"),
            false,
            no_defaults,
            errs,
            unconvertible,
        );
    }
    if let Some(Value::Bool(false)) = obj.get(PRESERVE) {
        errs.push(FieldError::invalid(
            path_child(path, PRESERVE),
            false,
            "must be true or undefined",
        ));
    }
    if let Some(map_type) = obj.get(MAP_TYPE).and_then(Value::as_str) {
        if ty != "object" {
            if ty.is_empty() {
                errs.push(FieldError::required(
                    path_child(path, "type"),
                    "must be object if x-kubernetes-map-type is specified",
                ));
            } else {
                errs.push(FieldError::invalid(
                    path_child(path, "type"),
                    ty,
                    "must be object if x-kubernetes-map-type is specified",
                ));
            }
        }
        if map_type != "atomic" && map_type != "granular" {
            errs.push(FieldError::not_supported(
                path_child(path, MAP_TYPE),
                map_type,
                &["atomic", "granular"],
            ));
        }
    }
    let list_type = obj.get(LIST_TYPE).and_then(Value::as_str);
    if let Some(lt) = list_type {
        if ty != "array" {
            if ty.is_empty() {
                errs.push(FieldError::required(
                    path_child(path, "type"),
                    "must be array if x-kubernetes-list-type is specified",
                ));
            } else {
                errs.push(FieldError::invalid(
                    path_child(path, "type"),
                    ty,
                    "must be array if x-kubernetes-list-type is specified",
                ));
            }
        }
        if !["atomic", "set", "map"].contains(&lt) {
            errs.push(FieldError::not_supported(
                path_child(path, LIST_TYPE),
                lt,
                &["atomic", "set", "map"],
            ));
        }
    }
    let map_keys: Vec<&str> = obj
        .get(LIST_MAP_KEYS)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !map_keys.is_empty() {
        match list_type {
            None => errs.push(FieldError::required(
                path_child(path, LIST_TYPE),
                "must be map if x-kubernetes-list-map-keys is non-empty",
            )),
            Some("map") => {}
            Some(lt) => errs.push(FieldError::invalid(
                path_child(path, LIST_TYPE),
                lt,
                "must be map if x-kubernetes-list-map-keys is non-empty",
            )),
        }
    }
    if list_type == Some("map") {
        if map_keys.is_empty() {
            errs.push(FieldError::required(
                path_child(path, LIST_MAP_KEYS),
                "must not be empty if x-kubernetes-list-type is map",
            ));
        }
        match items(s) {
            None => errs.push(FieldError::required(
                path_child(path, "items"),
                "must have a schema if x-kubernetes-list-type is map",
            )),
            Some(it) if type_of(it) != "object" => errs.push(FieldError::invalid(
                path_child(&path_child(path, "items"), "type"),
                type_of(it),
                "must be object if parent array's x-kubernetes-list-type is map",
            )),
            Some(it) => {
                let mut seen = HashSet::new();
                let keys_value = obj.get(LIST_MAP_KEYS).cloned().unwrap_or(Value::Null);
                for k in &map_keys {
                    match property(it, k) {
                        Some(p) if matches!(type_of(p), "array" | "object") => {
                            errs.push(FieldError::invalid(
                                path_child(&path_key(&path_child(&path_child(path, "items"), "properties"), k), "type"),
                                type_of(it),
                                "must be a scalar type if parent array's x-kubernetes-list-type is map",
                            ))
                        }
                        Some(_) => {}
                        None => errs.push(FieldError::invalid(
                            path_child(path, LIST_MAP_KEYS),
                            &keys_value,
                            "entries must all be names of item properties",
                        )),
                    }
                    if !seen.insert(*k) {
                        errs.push(FieldError::invalid(
                            path_child(path, LIST_MAP_KEYS),
                            &keys_value,
                            "must not contain duplicate entries",
                        ));
                    }
                }
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Root,
    Item,
    Field,
}

fn is_int_or_string_any_of(alts: &[&Value]) -> bool {
    alts.len() == 2
        && alts[0]
            .as_object()
            .is_some_and(|o| o.len() == 1 && type_of(alts[0]) == "integer")
        && alts[1]
            .as_object()
            .is_some_and(|o| o.len() == 1 && type_of(alts[1]) == "string")
}

fn structural_invariants(s: &Value, lvl: Level, path: &str, errs: &mut Vec<FieldError>) {
    if !s.is_object() {
        return;
    }
    let ty = type_of(s);
    if ty == "array" && items(s).is_none() {
        errs.push(FieldError::required(
            path_child(path, "items"),
            "must be specified",
        ));
    }
    if let Some(it) = items(s) {
        structural_invariants(it, Level::Item, &path_child(path, "items"), errs);
    }
    if let Some(props) = properties(s) {
        for (k, p) in props {
            structural_invariants(
                p,
                Level::Field,
                &path_key(&path_child(path, "properties"), k),
                errs,
            );
        }
    }
    if has_ap(s) {
        if lvl == Level::Root {
            errs.push(FieldError::forbidden(
                path_child(path, "additionalProperties"),
                "must not be used at the root",
            ));
        }
        if let Some(a) = ap_schema(s) {
            structural_invariants(
                a,
                Level::Field,
                &path_child(path, "additionalProperties"),
                errs,
            );
        }
    }
    let int_or_string = flag(s, INT_OR_STRING);
    let preserve = flag(s, PRESERVE);
    let embedded = flag(s, EMBEDDED);
    if int_or_string && preserve {
        errs.push(FieldError::invalid(
            path_child(path, PRESERVE),
            true,
            "must be false if x-kubernetes-int-or-string is true",
        ));
    }
    if int_or_string && embedded {
        errs.push(FieldError::invalid(
            path_child(path, EMBEDDED),
            true,
            "must be false if x-kubernetes-int-or-string is true",
        ));
    }
    // value validations (allOf/anyOf/oneOf/not) must not carry structure
    let any_of = schema_list(s, "anyOf");
    let skip_any_of = is_int_or_string_any_of(&any_of);
    if !skip_any_of {
        for (i, alt) in any_of.iter().enumerate() {
            nested_value_validation(alt, false, &path_index(&path_child(path, "anyOf"), i), errs);
        }
    }
    let all_of = schema_list(s, "allOf");
    let skip_first = all_of
        .first()
        .is_some_and(|a| is_int_or_string_any_of(&schema_list(a, "anyOf")));
    for (i, alt) in all_of.iter().enumerate() {
        nested_value_validation(
            alt,
            skip_first && i == 0,
            &path_index(&path_child(path, "allOf"), i),
            errs,
        );
    }
    for (i, alt) in schema_list(s, "oneOf").iter().enumerate() {
        nested_value_validation(alt, false, &path_index(&path_child(path, "oneOf"), i), errs);
    }
    if let Some(not) = get(s, "not") {
        nested_value_validation(not, false, &path_child(path, "not"), errs);
    }
    if let Some(p) = get(s, "pattern").and_then(Value::as_str)
        && let Err(e) = Regex::new(&go_regex_to_rust(p))
    {
        errs.push(FieldError::invalid(
            path_child(path, "pattern"),
            p,
            &format!("must be a valid regular expression, but isn't: {e}"),
        ));
    }

    let check_metadata = lvl == Level::Root || embedded;
    if embedded && ty != "object" {
        if ty.is_empty() {
            errs.push(FieldError::required(
                path_child(path, "type"),
                "must be object if x-kubernetes-embedded-resource is true",
            ));
        } else {
            errs.push(FieldError::invalid(
                path_child(path, "type"),
                ty,
                "must be object if x-kubernetes-embedded-resource is true",
            ));
        }
    } else if ty.is_empty() && !int_or_string && !preserve {
        let detail = match lvl {
            Level::Root => "must not be empty at the root",
            Level::Item => "must not be empty for specified array items",
            Level::Field => "must not be empty for specified object fields",
        };
        errs.push(FieldError::required(path_child(path, "type"), detail));
    }
    if embedded && has_ap(s) {
        errs.push(FieldError::forbidden(
            path_child(path, "additionalProperties"),
            "must not be used if x-kubernetes-embedded-resource is set",
        ));
    }
    if lvl == Level::Root && !ty.is_empty() && ty != "object" {
        errs.push(FieldError::invalid(
            path_child(path, "type"),
            ty,
            "must be object at the root",
        ));
    }
    if check_metadata {
        for (field, want, msg) in [
            ("kind", "string", "must be string"),
            ("apiVersion", "string", "must be string"),
            ("metadata", "object", "must be object"),
        ] {
            if let Some(p) = property(s, field)
                && type_of(p) != want
            {
                errs.push(FieldError::invalid(
                    path_child(&path_key(&path_child(path, "properties"), field), "type"),
                    type_of(p),
                    msg,
                ));
            }
        }
    }
    if lvl == Level::Root
        && let Some(meta) = property(s, "metadata")
        && let Some(m) = meta.as_object()
    {
        // Only `type` and `name`/`generateName` properties may be given (whatever their
        // schemas): the real server compares the rest against an empty schema.
        let allowed_props =
            properties(meta).is_none_or(|p| p.keys().all(|k| k == "name" || k == "generateName"));
        let other_keys = m.keys().any(|k| k != "type" && k != "properties");
        if !allowed_props || other_keys {
            errs.push(FieldError::forbidden(
                path_key(&path_child(path, "properties"), "metadata"),
                "must not specify anything other than name and generateName, but metadata is implicitly specified",
            ));
        }
    }
    if embedded && !preserve && properties(s).is_none_or(|p| p.is_empty()) {
        errs.push(FieldError::required(
            path_child(path, "properties"),
            "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
        ));
    }
}

fn nested_value_validation(v: &Value, skip_any_of: bool, path: &str, errs: &mut Vec<FieldError>) {
    let Some(obj) = v.as_object() else { return };
    if !skip_any_of {
        for (i, alt) in schema_list(v, "anyOf").iter().enumerate() {
            nested_value_validation(alt, false, &path_index(&path_child(path, "anyOf"), i), errs);
        }
    }
    for (i, alt) in schema_list(v, "allOf").iter().enumerate() {
        nested_value_validation(alt, false, &path_index(&path_child(path, "allOf"), i), errs);
    }
    for (i, alt) in schema_list(v, "oneOf").iter().enumerate() {
        nested_value_validation(alt, false, &path_index(&path_child(path, "oneOf"), i), errs);
    }
    if let Some(not) = get(v, "not") {
        nested_value_validation(not, false, &path_child(path, "not"), errs);
    }
    if let Some(it) = items(v) {
        nested_value_validation(it, false, &path_child(path, "items"), errs);
    }
    if let Some(props) = properties(v) {
        for (k, p) in props {
            nested_value_validation(
                p,
                false,
                &path_key(&path_child(path, "properties"), k),
                errs,
            );
        }
    }
    let forbidden: [(&str, bool, &str); 11] = [
        (
            "type",
            !type_of(v).is_empty(),
            "must be empty to be structural",
        ),
        (
            "additionalProperties",
            obj.contains_key("additionalProperties"),
            "must be undefined to be structural",
        ),
        (
            "default",
            default_of(v).is_some(),
            "must be undefined to be structural",
        ),
        (
            "title",
            obj.get("title")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty()),
            "must be empty to be structural",
        ),
        (
            "description",
            obj.get("description")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty()),
            "must be empty to be structural",
        ),
        ("nullable", nullable(v), "must be false to be structural"),
        (
            PRESERVE,
            flag(v, PRESERVE),
            "must be false to be structural",
        ),
        (
            EMBEDDED,
            flag(v, EMBEDDED),
            "must be false to be structural",
        ),
        (
            INT_OR_STRING,
            flag(v, INT_OR_STRING),
            "must be false to be structural",
        ),
        (
            LIST_MAP_KEYS,
            obj.get(LIST_MAP_KEYS)
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty()),
            "must be empty to be structural",
        ),
        (
            LIST_TYPE,
            obj.contains_key(LIST_TYPE),
            "must be undefined to be structural",
        ),
    ];
    for (key, present, msg) in forbidden {
        if present {
            errs.push(FieldError::forbidden(path_child(path, key), msg));
        }
    }
    if property(v, "metadata").is_some() {
        errs.push(FieldError::forbidden(
            path_key(&path_child(path, "properties"), "metadata"),
            "must not be specified in a nested context",
        ));
    }
}

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
