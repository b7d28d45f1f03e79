//! HTTP glue: authentication, fault injection, and dispatch of verbs to [`Cluster`](crate::ops::Cluster).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio_stream::wrappers::ReceiverStream;

use crate::access::{self, Access};
use crate::admit::WriteKind;
use crate::authz::{self, User};
use crate::discovery;
use crate::error::ApiError;
use crate::faults::FaultRule;
use crate::ops::{Cluster, DeleteOpts, Propagation, WriteOpts, at_version};
use crate::patch::{self, PatchType};
use crate::resources::ResourceType;
use crate::route::{self, ResourcePath, Route};
use crate::selector::{FieldSelector, LabelSelector};
use crate::table;
use crate::watch::{self, WatchParams};

/// Largest request body accepted (the real server's limit is 3 MiB for most objects).
const MAX_BODY: usize = 8 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub cluster: Arc<Cluster>,
    pub store: Arc<crate::store::Store>,
    pub access: Arc<Access>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(ok))
        .route("/readyz", get(ok))
        .route("/livez", get(ok))
        .route("/version", get(|| async { Json(discovery::version()) }))
        .route(
            "/localkube/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .fallback(handle)
        .with_state(state)
}

async fn ok() -> &'static str {
    "ok"
}

/// Authenticates the caller and checks RBAC for the request; the error is the response to send.
fn admit(
    st: &AppState,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
) -> Result<User, ApiError> {
    let user = st
        .access
        .authenticate(headers, &st.store)
        .ok_or_else(ApiError::unauthorized)?;
    let request = access::request_info(method, path, q);
    st.access.authorize(&st.store, &user, &request)?;
    Ok(user)
}

const FAULTS_PATH: &str = "/localkube/faults";

async fn add_fault(
    State(st): State<AppState>,
    headers: HeaderMap,
    Json(rule): Json<FaultRule>,
) -> Response {
    if let Err(e) = admit(&st, &Method::POST, FAULTS_PATH, &headers, &HashMap::new()) {
        return e.into_response();
    }
    st.cluster.faults.add(rule);
    StatusCode::CREATED.into_response()
}

async fn list_faults(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(e) = admit(&st, &Method::GET, FAULTS_PATH, &headers, &HashMap::new()) {
        return e.into_response();
    }
    Json(st.cluster.faults.list()).into_response()
}

async fn clear_faults(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(e) = admit(&st, &Method::DELETE, FAULTS_PATH, &headers, &HashMap::new()) {
        return e.into_response();
    }
    st.cluster.faults.clear();
    StatusCode::NO_CONTENT.into_response()
}

fn query_map(req: &Request) -> HashMap<String, String> {
    let q = req.uri().query().unwrap_or_default();
    url_decode_pairs(q)
}

fn url_decode_pairs(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn wants_table(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|a| a.contains("as=Table"))
}

fn verb_of(method: &Method, rp: &ResourcePath, q: &HashMap<String, String>) -> &'static str {
    let watch = q.get("watch").is_some_and(|w| w == "true" || w == "1");
    match (method.as_str(), rp.name.is_some()) {
        ("GET", _) if watch => "watch",
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => "unknown",
    }
}

async fn handle(State(st): State<AppState>, req: Request) -> Response {
    st.cluster.requests.record(req.uri().path());
    let q = query_map(&req);
    let user = match admit(&st, req.method(), req.uri().path(), req.headers(), &q) {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    match dispatch(st, user, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn dispatch(st: AppState, user: User, req: Request) -> Result<Response, ApiError> {
    if let Some(rest) = req.uri().path().strip_prefix("/openapi/v3") {
        let reg = st.store.lock().registry.clone();
        let rest = rest.trim_matches('/');
        if rest.is_empty() {
            return Ok(Json(crate::openapi::index(&reg)).into_response());
        }
        let (group, version) = match rest.split('/').collect::<Vec<_>>().as_slice() {
            ["api", v] => (String::new(), v.to_string()),
            ["apis", g, v] => (g.to_string(), v.to_string()),
            _ => return Err(ApiError::not_found_path()),
        };
        return crate::openapi::group_version_doc(&reg, &group, &version)
            .map(|d| Json(d).into_response())
            .ok_or_else(ApiError::not_found_path);
    }
    let route = route::parse(req.uri().path()).ok_or_else(ApiError::not_found_path)?;
    let reg = || st.store.lock().registry.clone();
    match route {
        Route::CoreVersions => Ok(Json(discovery::core_versions()).into_response()),
        Route::Groups => Ok(Json(discovery::group_list(&reg())).into_response()),
        Route::Group(g) => discovery::group(&reg(), &g)
            .map(|d| Json(d).into_response())
            .ok_or_else(ApiError::not_found_path),
        Route::GroupVersion { group, version } => {
            discovery::resource_list(&reg(), &group, &version)
                .map(|d| Json(d).into_response())
                .ok_or_else(ApiError::not_found_path)
        }
        Route::Resource(rp) => resource(st, &user, rp, req).await,
    }
}

async fn resource(
    st: AppState,
    user: &User,
    rp: ResourcePath,
    req: Request,
) -> Result<Response, ApiError> {
    let q = query_map(&req);
    let verb = verb_of(req.method(), &rp, &q);
    let rt = st.cluster.resource(&rp.group, &rp.version, &rp.plural)?;
    let ns = rp.namespace.clone().unwrap_or_default();
    if rt.namespaced && rp.namespace.is_none() && !matches!(verb, "list" | "watch") {
        return Err(ApiError::not_found_path());
    }
    if !rt.namespaced && rp.namespace.is_some() {
        return Err(ApiError::not_found_path());
    }
    let fault = st.cluster.faults.check(verb, &rp.plural, &ns);
    if let Some(d) = fault.latency {
        tokio::time::sleep(d).await;
    }
    if let Some(code) = fault.error_code {
        return Err(ApiError::injected(code));
    }
    let table = wants_table(req.headers());
    let manager = field_manager(&q, req.headers(), verb);
    let opts = WriteOpts {
        dry_run: q.get("dryRun").is_some_and(|d| d == "All"),
        manager,
        force: q.get("force").is_some_and(|f| f == "true"),
        strict: q.get("fieldValidation").is_some_and(|f| f == "Strict"),
    };
    let sub = rp.subresource.as_deref();
    let write_kind = match sub {
        None => WriteKind::Update,
        Some("status")
            if rt.status_subresource || rt.group.is_empty() && rt.kind == "Namespace" =>
        {
            WriteKind::Status
        }
        Some("scale") if rt.scale_subresource.is_some() => {
            return scale(&st, &rt, &rp, req, &opts).await;
        }
        Some(_) => return Err(ApiError::not_found_path()),
    };
    let version = rp.version.clone();
    let name = rp.name.clone().unwrap_or_default();
    match verb {
        "get" => {
            let obj = st.cluster.get(&rt, &ns, &name)?;
            let obj = at_version(&rt, &version, &obj);
            Ok(if table {
                Json(table::table(&rt, &[obj], false)).into_response()
            } else {
                Json(obj).into_response()
            })
        }
        "list" => list(&st, &rt, &version, rp.namespace.as_deref(), &q, table),
        "watch" => {
            let params = WatchParams {
                namespace: rp.namespace.clone(),
                labels: label_selector(&q)?,
                fields: field_selector(&q, &rt)?,
                resource_version: q.get("resourceVersion").cloned(),
                send_initial_events: q.get("sendInitialEvents").map(|v| v == "true"),
                bookmarks: q.get("allowWatchBookmarks").is_some_and(|v| v == "true"),
                timeout: q
                    .get("timeoutSeconds")
                    .and_then(|t| t.parse().ok())
                    .map(Duration::from_secs),
                as_table: table,
                drop_after: fault.drop_watch_after,
            };
            let rx = watch::start(&st.store, rt.clone(), &version, params);
            let body = Body::from_stream(ReceiverStream::new(rx).map(Ok::<_, std::io::Error>));
            Ok(Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CACHE_CONTROL, "no-cache, private")
                .body(body)
                .map_err(|e| ApiError::internal(e.to_string()))?)
        }
        "create" => {
            if sub.is_some() {
                return Err(ApiError::method_not_allowed());
            }
            let body = read_body(req).await?;
            let obj = patch::parse_body(&body)?;
            let obj = strict_check(&rt, &version, obj, &opts)?;
            let out = st.cluster.create(&rt, &version, &ns, obj, &opts)?;
            Ok((StatusCode::CREATED, Json(out)).into_response())
        }
        "update" => {
            let body = read_body(req).await?;
            let obj = patch::parse_body(&body)?;
            let obj = strict_check(&rt, &version, obj, &opts)?;
            let out = st
                .cluster
                .update(&rt, &version, &ns, &name, obj, write_kind, &opts)?;
            Ok(Json(out).into_response())
        }
        "patch" => {
            let ct = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let ptype = PatchType::from_content_type(&ct)?;
            if ptype == PatchType::Apply && opts.manager.is_empty() {
                return Err(ApiError::bad_request(
                    "PATCH, application/apply-patch+yaml requires fieldManager to be set",
                ));
            }
            // An apply that creates its object needs `create` too, as on a real server.
            if ptype == PatchType::Apply
                && sub.is_none()
                && !user.is_privileged()
                && st.cluster.get(&rt, &ns, &name).is_err()
                && let authz::Request::Resource(r) =
                    access::request_info(req.method(), req.uri().path(), &q)
            {
                st.access.authorize_create_on_apply(&st.store, user, &r)?;
            }
            let body = read_body(req).await?;
            let (out, created) = st
                .cluster
                .patch(&rt, &version, &ns, &name, ptype, &body, write_kind, &opts)?;
            let code = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok((code, Json(out)).into_response())
        }
        "delete" => {
            let body = read_body(req).await?;
            let opts = delete_opts(&q, &body)?;
            let out = st.cluster.delete(&rt, &ns, &name, &opts)?;
            Ok(Json(at_version(&rt, &version, &out)).into_response())
        }
        "deletecollection" => {
            let body = read_body(req).await?;
            let dopts = delete_opts(&q, &body)?;
            let labels = label_selector(&q)?;
            let fields = field_selector(&q, &rt)?;
            let objs = st
                .store
                .lock()
                .list(&rt.group_resource(), rp.namespace.as_deref());
            let mut items = vec![];
            for (key, obj) in objs {
                if labels.matches_object(&obj) && fields.matches(&obj) {
                    match st.cluster.delete(&rt, &key.0, &key.1, &dopts) {
                        Ok(o) => items.push(at_version(&rt, &version, &o)),
                        Err(e) if e.code == 404 => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Ok(Json(list_doc(&rt, &version, items, st.store.current_rv(), None)).into_response())
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// The manager name for managedFields: the `fieldManager` parameter, else the client's user-agent
/// program name, as the real server derives it.
fn field_manager(q: &HashMap<String, String>, headers: &HeaderMap, verb: &str) -> String {
    if let Some(m) = q.get("fieldManager").filter(|m| !m.is_empty()) {
        return m.clone();
    }
    if verb == "patch"
        && headers
            .get(header::CONTENT_TYPE)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|c| c.starts_with("application/apply-patch"))
    {
        return String::new();
    }
    headers
        .get(header::USER_AGENT)
        .and_then(|h| h.to_str().ok())
        .and_then(|ua| ua.split('/').next())
        .filter(|s| !s.is_empty())
        .unwrap_or("unknown")
        .to_string()
}

fn label_selector(q: &HashMap<String, String>) -> Result<LabelSelector, ApiError> {
    LabelSelector::parse(
        q.get("labelSelector")
            .map(String::as_str)
            .unwrap_or_default(),
    )
    .map_err(ApiError::bad_request)
}

fn field_selector(
    q: &HashMap<String, String>,
    rt: &ResourceType,
) -> Result<FieldSelector, ApiError> {
    FieldSelector::parse(
        q.get("fieldSelector")
            .map(String::as_str)
            .unwrap_or_default(),
        &rt.kind,
    )
    .map_err(ApiError::bad_request)
}

async fn read_body(req: Request) -> Result<bytes::Bytes, ApiError> {
    to_bytes(req.into_body(), MAX_BODY)
        .await
        .map_err(|e| ApiError::bad_request(format!("reading request body: {e}")))
}

/// With `fieldValidation=Strict`, fields the schema would prune are an error instead of being dropped.
fn strict_check(
    rt: &ResourceType,
    version: &str,
    obj: Value,
    opts: &WriteOpts,
) -> Result<Value, ApiError> {
    if !opts.strict || !rt.custom {
        return Ok(obj);
    }
    let Some(schema) = rt.schema(version) else {
        return Ok(obj);
    };
    let mut pruned = obj.clone();
    let unknown = crate::schema::prune_with_unknown_paths(&mut pruned, schema);
    if unknown.is_empty() {
        return Ok(obj);
    }
    Err(ApiError::bad_request(format!(
        "{} in version \"{version}\" cannot be handled as a {}: {}",
        rt.kind,
        rt.kind,
        crate::schema::strict_decoding_message(&unknown)
    )))
}

fn delete_opts(q: &HashMap<String, String>, body: &[u8]) -> Result<DeleteOpts, ApiError> {
    let b: Value = if body.is_empty() {
        json!({})
    } else {
        patch::parse_body(body)?
    };
    let policy = q.get("propagationPolicy").cloned().or_else(|| {
        b.get("propagationPolicy")
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let propagation = match policy.as_deref() {
        None => None,
        Some("Background") => Some(Propagation::Background),
        Some("Foreground") => Some(Propagation::Foreground),
        Some("Orphan") => Some(Propagation::Orphan),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "propagationPolicy: Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\""
            )));
        }
    };
    let propagation =
        propagation.or_else(
            || match b.get("orphanDependents").and_then(Value::as_bool) {
                Some(true) => Some(Propagation::Orphan),
                _ => None,
            },
        );
    let dry_run = q.get("dryRun").is_some_and(|d| d == "All")
        || b.get("dryRun")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|d| d == "All"));
    Ok(DeleteOpts {
        dry_run,
        propagation,
        precondition_rv: b
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok()),
        precondition_uid: b
            .pointer("/preconditions/uid")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Continue {
    rv: u64,
    ns: String,
    name: String,
}

fn list_doc(
    rt: &ResourceType,
    version: &str,
    items: Vec<Value>,
    rv: u64,
    cont: Option<(String, i64)>,
) -> Value {
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some((token, remaining)) = cont {
        meta["continue"] = json!(token);
        meta["remainingItemCount"] = json!(remaining);
    }
    json!({"kind": format!("{}List", rt.kind), "apiVersion": rt.api_version(version), "metadata": meta, "items": items})
}

fn list(
    st: &AppState,
    rt: &Arc<ResourceType>,
    version: &str,
    namespace: Option<&str>,
    q: &HashMap<String, String>,
    table: bool,
) -> Result<Response, ApiError> {
    let labels = label_selector(q)?;
    let fields = field_selector(q, rt)?;
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let after = match q.get("continue").filter(|c| !c.is_empty()) {
        Some(token) => {
            let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(token)
                .map_err(|_| ApiError::bad_request("continue key is not valid"))?;
            let c: Continue = serde_json::from_slice(&raw)
                .map_err(|_| ApiError::bad_request("continue key is not valid"))?;
            Some((c.ns, c.name))
        }
        None => None,
    };
    let (objs, rv) = {
        let s = st.store.lock();
        (s.list(&rt.group_resource(), namespace), s.rv())
    };
    let matching: Vec<_> = objs
        .into_iter()
        .filter(|(k, _)| after.as_ref().is_none_or(|a| k > a))
        .filter(|(_, o)| labels.matches_object(o) && fields.matches(o))
        .collect();
    let total = matching.len();
    let page: Vec<_> = matching.into_iter().take(limit).collect();
    let cont = (page.len() < total).then(|| {
        let last = page.last().map(|(k, _)| k.clone()).unwrap_or_default();
        let token = serde_json::to_vec(&Continue {
            rv,
            ns: last.0,
            name: last.1,
        })
        .unwrap_or_default();
        (
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token),
            (total - page.len()) as i64,
        )
    });
    let items: Vec<Value> = page
        .into_iter()
        .map(|(_, o)| at_version(rt, version, &o))
        .collect();
    if table {
        let mut t = table::table(rt, &items, true);
        t["metadata"] = json!({"resourceVersion": rv.to_string()});
        if let Some((token, _)) = &cont {
            t["metadata"]["continue"] = json!(token);
        }
        return Ok(Json(t).into_response());
    }
    Ok(Json(list_doc(rt, version, items, rv, cont)).into_response())
}

/// The `scale` subresource (autoscaling/v1 Scale) of ReplicaSets, Deployments and CRDs that declare one.
async fn scale(
    st: &AppState,
    rt: &Arc<ResourceType>,
    rp: &ResourcePath,
    req: Request,
    opts: &WriteOpts,
) -> Result<Response, ApiError> {
    let Some(spec) = rt.scale_subresource.clone() else {
        return Err(ApiError::not_found_path());
    };
    let ns = rp.namespace.clone().unwrap_or_default();
    let name = rp.name.clone().unwrap_or_default();
    let ptr = |p: &str| p.replace('.', "/");
    let method = req.method().clone();
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let obj = st.cluster.get(rt, &ns, &name)?;
    let to_scale = |o: &Value| {
        json!({
            "kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {"name": name, "namespace": ns, "uid": o.pointer("/metadata/uid"), "resourceVersion": o.pointer("/metadata/resourceVersion"), "creationTimestamp": o.pointer("/metadata/creationTimestamp")},
            "spec": {"replicas": o.pointer(&ptr(&spec.spec_replicas_path)).cloned().unwrap_or(json!(0))},
            "status": {"replicas": o.pointer(&ptr(&spec.status_replicas_path)).cloned().unwrap_or(json!(0)),
                       "selector": spec.label_selector_path.as_ref().and_then(|p| o.pointer(&ptr(p)).cloned())}
        })
    };
    if method == Method::GET {
        return Ok(Json(to_scale(&obj)).into_response());
    }
    let body = read_body(req).await?;
    let current = to_scale(&obj);
    let new_scale = if method == Method::PUT {
        patch::parse_body(&body)?
    } else {
        let ptype = PatchType::from_content_type(&ct)?;
        patch::apply_patch(
            if ptype == PatchType::Strategic {
                PatchType::Merge
            } else {
                ptype
            },
            &current,
            &body,
            &crate::typeinfo::TypeInfo::schemaless(),
        )?
    };
    let replicas = new_scale
        .pointer("/spec/replicas")
        .cloned()
        .unwrap_or(json!(0));
    let merge = json!({"spec": {"replicas": replicas}});
    let body = serde_json::to_vec(&merge).map_err(|e| ApiError::internal(e.to_string()))?;
    let (out, _) = st.cluster.patch(
        rt,
        &rp.version,
        &ns,
        &name,
        PatchType::Merge,
        &body,
        WriteKind::Update,
        opts,
    )?;
    Ok(Json(to_scale(&out)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        let q = url_decode_pairs("labelSelector=app%3Dweb%2Ctier+in+%28a%29&watch=1");
        assert_eq!(q["labelSelector"], "app=web,tier in (a)");
        assert_eq!(q["watch"], "1");
    }
}
