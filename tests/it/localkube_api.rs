//! localkube's API semantics over HTTPS with kube-rs: the behaviours controllers rely on, each checked
//! by a test that fails if the behaviour breaks.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use http::{Method, Request, StatusCode};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::{Value, json};

use crate::common::{Cluster, eventually};

/// Sends a raw request and returns the status and the JSON body (Null if not JSON).
async fn raw(
    client: &kube::Client,
    method: Method,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("Content-Type", content_type)
        .body(kube::client::Body::from(body))
        .expect("request");
    let resp = client.send(req).await.expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect_bytes().await.expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn post(client: &kube::Client, path: &str, body: Value) -> (StatusCode, Value) {
    raw(
        client,
        Method::POST,
        path,
        "application/json",
        serde_json::to_vec(&body).expect("json"),
    )
    .await
}

fn cm(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "1"}})
}

const CMS: &str = "/api/v1/namespaces/default/configmaps";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_generate_name_uid_and_already_exists() {
    let c = Cluster::start().await;
    let client = c.client().await;
    let (code, obj) = post(
        &client,
        CMS,
        json!({"metadata": {"generateName": "gen-"}, "data": {}}),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED);
    let name = obj["metadata"]["name"].as_str().expect("name");
    assert!(name.starts_with("gen-") && name.len() == 9, "{name}");
    assert!(
        obj["metadata"]["uid"]
            .as_str()
            .is_some_and(|u| u.len() == 36)
    );
    assert!(obj["metadata"]["creationTimestamp"].is_string());
    post(&client, CMS, cm("dup")).await;
    let (code, status) = post(&client, CMS, cm("dup")).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(status["reason"], "AlreadyExists");
    assert_eq!(status["message"], "configmaps \"dup\" already exists");
    assert_eq!(status["kind"], "Status");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_statuses_have_the_real_codes() {
    let c = Cluster::start().await;
    let client = c.client().await;
    let (code, s) = raw(
        &client,
        Method::POST,
        CMS,
        "application/json",
        b"{not json".to_vec(),
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{s}");
    assert_eq!(s["reason"], "BadRequest");
    let (code, s) = raw(
        &client,
        Method::GET,
        &format!("{CMS}/missing"),
        "application/json",
        vec![],
    )
    .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(s["details"]["name"], "missing");
    let (code, s) = post(&client, CMS, cm("Not_A_Valid_Name")).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{s}");
    assert_eq!(s["reason"], "Invalid");
    assert_eq!(s["details"]["causes"][0]["field"], "metadata.name");
    let (code, _) = raw(
        &client,
        Method::GET,
        "/api/v1/namespaces/nope/configmaps/x",
        "application/json",
        vec![],
    )
    .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, s) = post(&client, "/api/v1/namespaces/nope/configmaps", cm("x")).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(s["message"], "namespaces \"nope\" not found");
    // Without the token: 401.
    let plain = reqwest_free_unauthorized(&c).await;
    assert_eq!(plain, 401);
}

/// A request without the bearer token, over TLS trusting the generated CA.
async fn reqwest_free_unauthorized(c: &Cluster) -> u16 {
    let mut kc = kube::config::Kubeconfig::read_from(&c.kubeconfig).expect("kubeconfig");
    for ai in &mut kc.auth_infos {
        if let Some(a) = ai.auth_info.as_mut() {
            a.token = None;
        }
    }
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("config");
    let client = kube::Client::try_from(cfg).expect("client");
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    match api.list(&ListParams::default()).await {
        Err(kube::Error::Api(s)) => s.code,
        other => panic!("expected 401, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optimistic_concurrency_and_generation() {
    let c = Cluster::start().await;
    let client = c.client().await;
    let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "r"},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
    let (code, created) = post(&client, "/apis/apps/v1/namespaces/default/replicasets", rs).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    assert_eq!(created["metadata"]["generation"], 1);
    let path = "/apis/apps/v1/namespaces/default/replicasets/r";
    // A label change does not bump the generation; a spec change does.
    let (_, labelled) = raw(
        &client,
        Method::PATCH,
        path,
        "application/merge-patch+json",
        br#"{"metadata":{"labels":{"x":"y"}}}"#.to_vec(),
    )
    .await;
    assert_eq!(labelled["metadata"]["generation"], 1);
    let (_, scaled) = raw(
        &client,
        Method::PATCH,
        path,
        "application/merge-patch+json",
        br#"{"spec":{"replicas":0,"minReadySeconds":3}}"#.to_vec(),
    )
    .await;
    assert_eq!(scaled["metadata"]["generation"], 2);
    // The status subresource writes only status and never bumps the generation.
    let (code, st) = raw(
        &client,
        Method::PATCH,
        &format!("{path}/status"),
        "application/merge-patch+json",
        br#"{"spec":{"replicas":7},"status":{"replicas":0,"observedGeneration":2}}"#.to_vec(),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{st}");
    assert_eq!(st["spec"]["replicas"], 0);
    assert_eq!(st["status"]["observedGeneration"], 2);
    assert_eq!(st["metadata"]["generation"], 2);
    // A main-resource write cannot change status.
    let (_, main) = raw(
        &client,
        Method::PATCH,
        path,
        "application/merge-patch+json",
        br#"{"status":{"observedGeneration":99}}"#.to_vec(),
    )
    .await;
    assert_eq!(main["status"]["observedGeneration"], 2);
    // Update with a stale resourceVersion: 409 Conflict.
    let mut stale = created.clone();
    stale["spec"]["replicas"] = json!(0);
    let (code, s) = raw(
        &client,
        Method::PUT,
        path,
        "application/json",
        serde_json::to_vec(&stale).expect("json"),
    )
    .await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(s["reason"], "Conflict");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_validates_without_storing() {
    let c = Cluster::start().await;
    let client = c.client().await;
    let (code, obj) = post(&client, &format!("{CMS}?dryRun=All"), cm("dry")).await;
    assert_eq!(code, StatusCode::CREATED);
    assert_eq!(obj["metadata"]["name"], "dry");
    let (code, _) = raw(&client, Method::GET, &format!("{CMS}/dry"), "", vec![]).await;
    assert_eq!(code, StatusCode::NOT_FOUND, "dry run must not store");
    let (code, _) = post(&client, &format!("{CMS}?dryRun=All"), cm("BAD NAME")).await;
    assert_eq!(
        code,
        StatusCode::UNPROCESSABLE_ENTITY,
        "dry run still validates"
    );
    post(&client, CMS, cm("real")).await;
    let rv_before = client_get_rv(&client, "real").await;
    let (code, patched) = raw(
        &client,
        Method::PATCH,
        &format!("{CMS}/real?dryRun=All"),
        "application/merge-patch+json",
        br#"{"data":{"a":"2"}}"#.to_vec(),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(patched["data"]["a"], "2");
    assert_eq!(client_get_rv(&client, "real").await, rv_before);
}

async fn client_get_rv(client: &kube::Client, name: &str) -> String {
    let (_, o) = raw(client, Method::GET, &format!("{CMS}/{name}"), "", vec![]).await;
    o["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_field_selectors_and_paging() {
    let c = Cluster::start().await;
    let client = c.client().await;
    for (name, tier) in [
        ("a", "web"),
        ("b", "db"),
        ("c", "web"),
        ("d", "cache"),
        ("e", ""),
    ] {
        let mut o = cm(name);
        if !tier.is_empty() {
            o["metadata"]["labels"] = json!({"tier": tier});
        }
        post(&client, CMS, o).await;
    }
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let names = |l: kube::core::ObjectList<ConfigMap>| -> Vec<String> {
        l.items
            .into_iter()
            .filter_map(|o| o.metadata.name)
            .collect()
    };
    assert_eq!(
        names(
            api.list(&ListParams::default().labels("tier=web"))
                .await
                .expect("list")
        ),
        vec!["a", "c"]
    );
    assert_eq!(
        names(
            api.list(&ListParams::default().labels("tier in (db,cache)"))
                .await
                .expect("list")
        ),
        vec!["b", "d"]
    );
    assert_eq!(
        names(
            api.list(&ListParams::default().labels("!tier"))
                .await
                .expect("list")
        ),
        vec!["e"]
    );
    assert_eq!(
        names(
            api.list(&ListParams::default().labels("tier,tier notin (web)"))
                .await
                .expect("list")
        ),
        vec!["b", "d"]
    );
    assert_eq!(
        names(
            api.list(&ListParams::default().fields("metadata.name=c"))
                .await
                .expect("list")
        ),
        vec!["c"]
    );
    let mut seen = vec![];
    let mut lp = ListParams::default().limit(2);
    loop {
        let page = api.list(&lp).await.expect("page");
        let cont = page.metadata.continue_.clone();
        seen.extend(names(page));
        match cont {
            Some(t) if !t.is_empty() => lp = lp.continue_token(&t),
            _ => break,
        }
    }
    assert_eq!(seen, vec!["a", "b", "c", "d", "e"]);
    let (code, _) = raw(
        &client,
        Method::GET,
        &format!("{CMS}?fieldSelector=spec.nope%3Dx"),
        "",
        vec![],
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_resumes_without_gaps_and_expires() {
    let c = Cluster::start_with(localkube::Config {
        event_log_capacity: 50,
        ..Default::default()
    })
    .await;
    let client = c.client().await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    post(&client, CMS, cm("w0")).await;
    let start_rv = client_get_rv(&client, "w0").await;
    for i in 1..=5 {
        post(&client, CMS, cm(&format!("w{i}"))).await;
    }
    // Resuming from an old (but retained) version replays exactly the later events, in order.
    let wp = kube::api::WatchParams::default().timeout(2);
    let stream = api.watch(&wp, &start_rv).await.expect("watch");
    let events: Vec<String> = stream
        .take(5)
        .map_ok(|e| match e {
            kube::api::WatchEvent::Added(o) => o.metadata.name.unwrap_or_default(),
            other => format!("{other:?}"),
        })
        .try_collect()
        .await
        .expect("events");
    assert_eq!(events, vec!["w1", "w2", "w3", "w4", "w5"]);
    // Push the log past the start version: resuming from it is 410 Gone.
    for i in 0..60 {
        raw(
            &client,
            Method::PATCH,
            &format!("{CMS}/w0"),
            "application/merge-patch+json",
            format!(r#"{{"data":{{"n":"{i}"}}}}"#).into_bytes(),
        )
        .await;
    }
    let mut stream = api.watch(&wp, &start_rv).await.expect("watch").boxed();
    match stream.next().await {
        Some(Ok(kube::api::WatchEvent::Error(e))) => assert_eq!(e.code, 410),
        Some(Err(kube::Error::Api(e))) => assert_eq!(e.code, 410),
        other => panic!("expected 410 Gone, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_sends_bookmarks_and_initial_events_end() {
    let c = Cluster::start().await;
    let client = c.client().await;
    post(&client, CMS, cm("b1")).await;
    let path = format!(
        "{CMS}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1"
    );
    let req = Request::builder().uri(path).body(Vec::new()).expect("req");
    let text = client.request_text(req).await.expect("watch text");
    let lines: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(lines[0]["type"], "ADDED");
    assert_eq!(lines[1]["type"], "BOOKMARK");
    assert_eq!(
        lines[1]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_runtime_watcher_sees_changes() {
    let c = Cluster::start().await;
    let client = c.client().await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let mut stream = watcher(api.clone(), watcher::Config::default())
        .applied_objects()
        .boxed();
    api.create(
        &PostParams::default(),
        &serde_json::from_value(cm("k1")).expect("cm"),
    )
    .await
    .expect("create");
    let seen = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(o)) = stream.next().await {
            if o.metadata.name.as_deref() == Some("k1") {
                return true;
            }
        }
        false
    })
    .await
    .expect("watcher delivers");
    assert!(seen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_conflicts_force_and_field_removal() {
    let c = Cluster::start().await;
    let client = c.client().await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let a = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {"x": "1", "y": "1"}});
    api.patch("ssa", &PatchParams::apply("alice"), &Patch::Apply(&a))
        .await
        .expect("alice applies");
    // Bob sets a different value for a field Alice owns: 409 naming Alice and the field.
    let b = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {"x": "2"}});
    match api
        .patch("ssa", &PatchParams::apply("bob"), &Patch::Apply(&b))
        .await
    {
        Err(kube::Error::Api(e)) => {
            assert_eq!(e.code, 409);
            assert!(
                e.message.contains("conflict with \"alice\"") && e.message.contains(".data.x"),
                "{}",
                e.message
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // With force Bob takes the field over.
    let forced = api
        .patch("ssa", &PatchParams::apply("bob").force(), &Patch::Apply(&b))
        .await
        .expect("force");
    assert_eq!(
        forced
            .data
            .as_ref()
            .and_then(|d| d.get("x"))
            .map(String::as_str),
        Some("2")
    );
    let managers: Vec<String> = forced
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.manager)
        .collect();
    assert!(
        managers.contains(&"alice".to_string()) && managers.contains(&"bob".to_string()),
        "{managers:?}"
    );
    // Alice stops applying y: it is removed (nobody else owns it).
    let a2 =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {}});
    let after = api
        .patch("ssa", &PatchParams::apply("alice"), &Patch::Apply(&a2))
        .await
        .expect("reapply");
    let data = after.data.unwrap_or_default();
    assert!(!data.contains_key("y"), "{data:?}");
    assert_eq!(data.get("x").map(String::as_str), Some("2"));
    // Re-applying the same configuration writes nothing.
    let rv1 = api.get("ssa").await.expect("get").metadata.resource_version;
    api.patch("ssa", &PatchParams::apply("alice"), &Patch::Apply(&a2))
        .await
        .expect("reapply");
    assert_eq!(
        api.get("ssa").await.expect("get").metadata.resource_version,
        rv1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finalizers_and_owner_reference_gc() {
    let c = Cluster::start().await;
    let client = c.client().await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let mut held = cm("held");
    held["metadata"]["finalizers"] = json!(["example.com/hold"]);
    post(&client, CMS, held).await;
    api.delete("held", &DeleteParams::default())
        .await
        .expect("delete");
    let still = api.get("held").await.expect("held by its finalizer");
    assert!(still.metadata.deletion_timestamp.is_some());
    raw(
        &client,
        Method::PATCH,
        &format!("{CMS}/held"),
        "application/merge-patch+json",
        br#"{"metadata":{"finalizers":null}}"#.to_vec(),
    )
    .await;
    assert!(
        api.get_opt("held").await.expect("get").is_none(),
        "removing the last finalizer deletes"
    );

    // Background: deleting the owner deletes the dependent.
    let (_, owner) = post(&client, CMS, cm("owner")).await;
    let mut dep = cm("dependent");
    dep["metadata"]["ownerReferences"] = json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}]);
    post(&client, CMS, dep.clone()).await;
    api.delete("owner", &DeleteParams::default())
        .await
        .expect("delete owner");
    eventually(
        Duration::from_secs(5),
        "dependent garbage-collected",
        || async {
            api.get_opt("dependent")
                .await
                .expect("get")
                .is_none()
                .then_some(())
        },
    )
    .await;

    // Orphan: the dependent stays, without the owner reference.
    let (_, owner) = post(&client, CMS, cm("owner2")).await;
    dep["metadata"]["name"] = json!("dependent2");
    dep["metadata"]["ownerReferences"][0]["uid"] = owner["metadata"]["uid"].clone();
    dep["metadata"]["ownerReferences"][0]["name"] = json!("owner2");
    post(&client, CMS, dep.clone()).await;
    api.delete("owner2", &DeleteParams::orphan())
        .await
        .expect("delete orphan");
    eventually(Duration::from_secs(5), "owner2 gone", || async {
        api.get_opt("owner2")
            .await
            .expect("get")
            .is_none()
            .then_some(())
    })
    .await;
    let kept = api
        .get("dependent2")
        .await
        .expect("orphaned dependent stays");
    assert!(
        kept.metadata
            .owner_references
            .unwrap_or_default()
            .is_empty()
    );

    // Foreground: the owner waits (with a deletionTimestamp) until its dependents are gone.
    let (_, owner) = post(&client, CMS, cm("owner3")).await;
    dep["metadata"]["name"] = json!("dependent3");
    dep["metadata"]["ownerReferences"][0]["uid"] = owner["metadata"]["uid"].clone();
    dep["metadata"]["ownerReferences"][0]["name"] = json!("owner3");
    post(&client, CMS, dep).await;
    api.delete("owner3", &DeleteParams::foreground())
        .await
        .expect("delete fg");
    eventually(
        Duration::from_secs(5),
        "foreground deletion completes",
        || async {
            (api.get_opt("owner3").await.expect("get").is_none()
                && api.get_opt("dependent3").await.expect("get").is_none())
            .then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crds_serve_validate_and_prune() {
    let c = Cluster::start().await;
    let client = c.client().await;
    let crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "Widget", "plural": "widgets", "singular": "widget"},
            "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "required": ["size"], "properties": {
                        "size": {"type": "integer", "minimum": 1, "maximum": 10},
                        "color": {"type": "string", "enum": ["red", "blue"]},
                        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
                    "status": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}}}}]}
    });
    let (code, _) = post(
        &client,
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        crd,
    )
    .await;
    assert_eq!(code, StatusCode::CREATED);
    let widgets = "/apis/example.com/v1/namespaces/default/widgets";
    let (code, w) = post(
        &client,
        widgets,
        json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
        "spec": {"size": 3, "color": "red", "junk": 1, "free": {"anything": {"goes": true}}}}),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{w}");
    assert!(
        w["spec"].get("junk").is_none(),
        "unknown fields are pruned: {w}"
    );
    assert_eq!(
        w["spec"]["free"]["anything"]["goes"], true,
        "preserve-unknown-fields keeps them"
    );
    for (bad, field) in [
        (json!({"size": 11}), "spec.size"),
        (json!({"size": "3"}), "spec.size"),
        (json!({"size": 2, "color": "green"}), "spec.color"),
        (json!({"color": "red"}), "spec.size"),
    ] {
        let (code, s) = post(&client, widgets, json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "bad"}, "spec": bad})).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{s}");
        assert!(
            s["details"]["causes"]
                .as_array()
                .is_some_and(|cs| cs.iter().any(|c| c["field"] == field)),
            "{s}"
        );
    }
    // Discovery knows the new resource.
    let (code, list) = raw(&client, Method::GET, "/apis/example.com/v1", "", vec![]).await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        list["resources"]
            .as_array()
            .is_some_and(|r| r.iter().any(|x| x["name"] == "widgets/status"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_errors_latency_and_dropped_watches() {
    let c = Cluster::start().await;
    let client = c.client().await;
    c.server.cluster().faults.add(localkube::FaultRule {
        verb: Some("create".into()),
        resource: Some("configmaps".into()),
        error_code: Some(500),
        times: Some(1),
        ..Default::default()
    });
    let (code, s) = post(&client, CMS, cm("f1")).await;
    assert_eq!(code, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(s["reason"], "InternalError");
    let (code, _) = post(&client, CMS, cm("f1")).await;
    assert_eq!(code, StatusCode::CREATED, "the rule applied once");
    c.server.cluster().faults.add(localkube::FaultRule {
        verb: Some("get".into()),
        latency_ms: Some(300),
        times: Some(1),
        ..Default::default()
    });
    let t = std::time::Instant::now();
    raw(&client, Method::GET, &format!("{CMS}/f1"), "", vec![]).await;
    assert!(t.elapsed() >= Duration::from_millis(300));
    c.server.cluster().faults.add(localkube::FaultRule {
        verb: Some("watch".into()),
        drop_watch_after: Some(1),
        times: Some(1),
        ..Default::default()
    });
    let req = Request::builder()
        .uri(format!("{CMS}?watch=true&timeoutSeconds=5"))
        .body(Vec::new())
        .expect("req");
    let t = std::time::Instant::now();
    let text = client.request_text(req).await.expect("watch");
    assert_eq!(
        text.lines().count(),
        1,
        "the watch was cut after one event: {text}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "dropped, not timed out"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces_empty_before_they_go() {
    let c = Cluster::start().await;
    let client = c.client().await;
    post(
        &client,
        "/api/v1/namespaces",
        json!({"metadata": {"name": "team"}}),
    )
    .await;
    post(&client, "/api/v1/namespaces/team/configmaps", cm("inside")).await;
    let ns: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    ns.delete("team", &DeleteParams::default())
        .await
        .expect("delete ns");
    eventually(Duration::from_secs(5), "namespace removed", || async {
        ns.get_opt("team")
            .await
            .expect("get")
            .is_none()
            .then_some(())
    })
    .await;
    let (code, _) = raw(
        &client,
        Method::GET,
        "/api/v1/namespaces/team/configmaps/inside",
        "",
        vec![],
    )
    .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}
