//! localkube as the real `kubectl` sees it: every command here behaves as on a real cluster.

use std::time::Duration;

use crate::common::{Cluster, configmap, eventually, fixture};

fn seed_dir() -> String {
    fixture("seed")
}

async fn with_crds() -> Cluster {
    let crds = gitcanary::cli::crds::bundled().expect("bundled CRDs parse");
    Cluster::start_with(localkube::Config {
        crds,
        ready_delay: Duration::from_millis(200),
        ..Default::default()
    })
    .await
}

fn rv_lines(yaml_list: &str) -> Vec<String> {
    yaml_list
        .lines()
        .filter(|l| l.trim_start().starts_with("resourceVersion:"))
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_manifests_apply_client_side() {
    let c = with_crds().await;
    let out = c.ok(&["apply", "-f", &seed_dir()]).await;
    for line in [
        "gateway.networking.istio.io/istio-rollout-gateway created",
        "virtualservice.networking.istio.io/istio-rollout-vsvc created",
        "analysistemplate.argoproj.io/istio-success-rate created",
        "service/istio-rollout-canary created",
        "service/istio-rollout-stable created",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    // rollout.yaml and rollout-with-analysis.yaml name the same Rollout: created, then configured.
    assert!(
        out.contains("rollout.argoproj.io/istio-rollout created"),
        "{out}"
    );
    assert!(
        out.contains("rollout.argoproj.io/istio-rollout configured"),
        "{out}"
    );
    let again = c.ok(&["apply", "-f", &fixture("seed/service.yaml")]).await;
    assert!(
        again.contains("service/istio-rollout-canary unchanged"),
        "{again}"
    );
    let vs = c
        .ok(&[
            "get",
            "virtualservice",
            "istio-rollout-vsvc",
            "-o",
            "jsonpath={.spec.http[0].route[0].weight}",
        ])
        .await;
    assert_eq!(vs, "100");
}

/// The seed's second state: everything but `rollout.yaml`, which names the same Rollout as
/// `rollout-with-analysis.yaml` (applying both would legitimately rewrite it twice).
fn seed_second_state() -> Vec<String> {
    [
        "service.yaml",
        "istio-rollout-gateway.yaml",
        "istio-rollout-vsvc.yaml",
        "istio-success-rate.yaml",
        "rollout-with-analysis.yaml",
    ]
    .iter()
    .map(|f| fixture(&format!("seed/{f}")))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_manifests_apply_server_side_twice_changes_nothing() {
    let c = with_crds().await;
    let files = seed_second_state();
    let mut args = vec!["apply", "--server-side"];
    args.extend(files.iter().flat_map(|f| ["-f", f.as_str()]));
    let out = c.ok(&args).await;
    assert!(
        out.contains("rollout.argoproj.io/istio-rollout serverside-applied"),
        "{out}"
    );
    let kinds = "rollouts,services,virtualservices,gateways,analysistemplates";
    let before = c.ok(&["get", kinds, "-o", "yaml"]).await;
    c.ok(&args).await;
    let after = c.ok(&["get", kinds, "-o", "yaml"]).await;
    let diff = similar::TextDiff::from_lines(&before, &after)
        .unified_diff()
        .to_string();
    assert_eq!(
        rv_lines(&before),
        rv_lines(&after),
        "the second apply wrote:\n{diff}"
    );
    let managed = c
        .ok(&[
            "get",
            "svc",
            "istio-rollout-canary",
            "-o",
            "yaml",
            "--show-managed-fields",
        ])
        .await;
    assert!(
        managed.contains("manager: kubectl") && managed.contains("operation: Apply"),
        "{managed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_yaml_label_annotate_patch_replace_delete() {
    let c = Cluster::start().await;
    c.apply(&configmap("cfg", &[("a", "1")])).await;
    let yaml = c.ok(&["get", "configmap", "cfg", "-o", "yaml"]).await;
    assert!(
        yaml.contains("kind: ConfigMap") && yaml.contains("a: \"1\"") && yaml.contains("uid:"),
        "{yaml}"
    );
    c.ok(&["label", "configmap", "cfg", "tier=web"]).await;
    c.ok(&["annotate", "configmap", "cfg", "note=hello"]).await;
    c.ok(&[
        "patch",
        "configmap",
        "cfg",
        "--type=merge",
        "-p",
        r#"{"data":{"b":"2"}}"#,
    ])
    .await;
    c.ok(&[
        "patch",
        "configmap",
        "cfg",
        "--type=json",
        "-p",
        r#"[{"op":"add","path":"/data/c","value":"3"}]"#,
    ])
    .await;
    c.ok(&[
        "patch",
        "configmap",
        "cfg",
        "--type=strategic",
        "-p",
        r#"{"data":{"d":"4"}}"#,
    ])
    .await;
    let j = c.ok(&["get", "configmap", "cfg", "-o", "jsonpath={.metadata.labels.tier} {.metadata.annotations.note} {.data.b}{.data.c}{.data.d}"]).await;
    assert_eq!(j, "web hello 234");
    // replace with a stale resourceVersion fails with kubectl's conflict message.
    c.ok(&["label", "configmap", "cfg", "again=yes"]).await;
    let stale = yaml.replace("a: \"1\"", "a: \"9\"");
    let out = c.kubectl_stdin(&["replace", "-f", "-"], Some(&stale)).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("the object has been modified; please apply your changes to the latest version and try again"), "{err}");
    c.ok(&["delete", "configmap", "cfg"]).await;
    let err = c.fails(&["get", "configmap", "cfg"]).await;
    assert!(err.contains("configmaps \"cfg\" not found"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_resources_and_version() {
    let c = with_crds().await;
    let out = c.ok(&["api-resources"]).await;
    for needle in [
        "rollouts",
        "ro ",
        "argoproj.io/v1alpha1",
        "virtualservices",
        "networking.istio.io/v1",
        "replicasets",
        "leases",
    ] {
        assert!(out.contains(needle), "api-resources lacks {needle}:\n{out}");
    }
    let v = c.ok(&["version", "-o", "json"]).await;
    assert!(v.contains("\"serverVersion\""), "{v}");
    // The VirtualService is served at v1alpha3, v1beta1 and v1.
    for version in ["v1alpha3", "v1beta1", "v1"] {
        c.ok(&[
            "get",
            &format!("virtualservices.{version}.networking.istio.io"),
        ])
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_name_watch_and_wait_for_jsonpath() {
    let c = Cluster::start().await;
    c.apply(&configmap("w", &[("a", "1")])).await;
    let mut watch = c.spawn_kubectl(&[
        "get",
        "configmap",
        "w",
        "--watch",
        "-o",
        "jsonpath={.data.a}{\"\\n\"}",
    ]);
    watch.wait_for(Duration::from_secs(5), |l| l == "1").await;
    c.ok(&[
        "patch",
        "configmap",
        "w",
        "--type=merge",
        "-p",
        r#"{"data":{"a":"2"}}"#,
    ])
    .await;
    watch.wait_for(Duration::from_secs(5), |l| l == "2").await;
    let waited = c
        .ok(&[
            "wait",
            "configmap/w",
            "--for=jsonpath={.data.a}=2",
            "--timeout=10s",
        ])
        .await;
    assert!(waited.contains("condition met"), "{waited}");
    let timed_out = c
        .fails(&[
            "wait",
            "configmap/w",
            "--for=jsonpath={.data.a}=3",
            "--timeout=1s",
        ])
        .await;
    assert!(timed_out.contains("timed out"), "{timed_out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_watch_streams_changes() {
    let c = Cluster::start().await;
    c.apply(&configmap("first", &[])).await;
    let mut watch = c.spawn_kubectl(&["get", "configmaps", "--watch", "-o", "name"]);
    watch
        .wait_for(Duration::from_secs(5), |l| l.contains("configmap/first"))
        .await;
    c.apply(&configmap("second", &[])).await;
    watch
        .wait_for(Duration::from_secs(5), |l| l.contains("configmap/second"))
        .await;
    // The default table output streams too.
    let mut table = c.spawn_kubectl(&["get", "configmaps", "--watch"]);
    table
        .wait_for(Duration::from_secs(5), |l| l.starts_with("NAME"))
        .await;
    c.apply(&configmap("third", &[])).await;
    table
        .wait_for(Duration::from_secs(5), |l| l.starts_with("third"))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_own_replicasets_with_true_counts() {
    let c = Cluster::start().await;
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: app\n        image: demo:blue\n";
    c.apply(deploy).await;
    let waited = c
        .ok(&[
            "wait",
            "deploy/web",
            "--for=condition=Available",
            "--timeout=10s",
        ])
        .await;
    assert!(waited.contains("condition met"), "{waited}");
    let counts = c.ok(&["get", "deploy", "web", "-o", "jsonpath={.status.readyReplicas}/{.status.availableReplicas}/{.status.updatedReplicas}"]).await;
    assert_eq!(counts, "2/2/2");
    c.apply(&deploy.replace("demo:blue", "demo:green")).await;
    eventually(Duration::from_secs(10), "the new template's ReplicaSet takes over", || async {
        let rs = c.ok(&["get", "rs", "-l", "app=web", "-o", "jsonpath={range .items[*]}{.spec.template.spec.containers[0].image}={.spec.replicas}/{.status.readyReplicas} {end}"]).await;
        (rs.contains("demo:green=2/2") && rs.contains("demo:blue=0/ ")).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicasets_become_ready_pods_and_broken_images_wait() {
    let c = Cluster::start_with(localkube::Config {
        ready_delay: Duration::from_millis(200),
        broken_images: vec!["*:broken".into()],
        ..Default::default()
    })
    .await;
    let rs = |name: &str, image: &str, replicas: u32| {
        format!(
            "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n      - name: app\n        image: {image}\n"
        )
    };
    c.kubectl_stdin(&["apply", "-f", "-"], Some(&rs("good", "demo:blue", 3)))
        .await;
    c.kubectl_stdin(&["apply", "-f", "-"], Some(&rs("bad", "demo:broken", 1)))
        .await;
    let waited = c
        .ok(&[
            "wait",
            "rs/good",
            "--for=jsonpath={.status.readyReplicas}=3",
            "--timeout=10s",
        ])
        .await;
    assert!(waited.contains("condition met"));
    let pods = c.ok(&["get", "pods", "-l", "app=good", "-o", "name"]).await;
    assert_eq!(pods.lines().count(), 3, "{pods}");
    let reason = eventually(
        Duration::from_secs(5),
        "broken pod waiting reason",
        || async {
            let r = c
                .ok(&[
                    "get",
                    "pods",
                    "-l",
                    "app=bad",
                    "-o",
                    "jsonpath={.items[0].status.containerStatuses[0].state.waiting.reason}",
                ])
                .await;
            (!r.is_empty()).then_some(r)
        },
    )
    .await;
    assert_eq!(reason, "ImagePullBackOff");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ready = c
        .ok(&["get", "rs", "bad", "-o", "jsonpath={.status.readyReplicas}"])
        .await;
    assert_eq!(ready, "", "a broken image never becomes ready");
    // Scale down, then delete the ReplicaSet: its pods are garbage-collected.
    c.ok(&["scale", "rs/good", "--replicas=1"]).await;
    eventually(Duration::from_secs(5), "scale down to 1 pod", || async {
        let p = c.ok(&["get", "pods", "-l", "app=good", "-o", "name"]).await;
        (p.lines().count() == 1).then_some(())
    })
    .await;
    c.ok(&["delete", "rs", "good"]).await;
    eventually(
        Duration::from_secs(5),
        "pods of a deleted ReplicaSet to go",
        || async {
            let p = c.ok(&["get", "pods", "-l", "app=good", "-o", "name"]).await;
            p.trim().is_empty().then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_output_has_kind_columns() {
    let c = with_crds().await;
    c.ok(&["apply", "-f", &fixture("seed/service.yaml")]).await;
    let out = c.ok(&["get", "svc"]).await;
    let header = out.lines().next().unwrap_or_default();
    for col in ["NAME", "TYPE", "CLUSTER-IP", "PORT(S)", "AGE"] {
        assert!(header.contains(col), "{out}");
    }
    assert!(out.contains("ClusterIP") && out.contains("80/TCP"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_invalid_fields_are_refused_like_a_real_server() {
    let c = with_crds().await;
    let typo = std::fs::read_to_string(fixture("seed/rollout.yaml"))
        .expect("seed rollout")
        .replace(
            "  revisionHistoryLimit: 2",
            "  revisionHistoryLimit: 2\n  replicaz: 3",
        );
    let out = c.kubectl_stdin(&["apply", "-f", "-"], Some(&typo)).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("strict decoding error: unknown field \"spec.replicaz\""),
        "{err}"
    );
    // Without strict validation the unknown field is pruned, as the real server does.
    c.kubectl_stdin(&["apply", "--validate=false", "-f", "-"], Some(&typo))
        .await;
    let spec = c
        .ok(&["get", "rollout", "istio-rollout", "-o", "jsonpath={.spec}"])
        .await;
    assert!(!spec.contains("replicaz"), "{spec}");
    let bad_type = std::fs::read_to_string(fixture("seed/rollout.yaml"))
        .expect("seed rollout")
        .replace("  revisionHistoryLimit: 2", "  revisionHistoryLimit: two");
    let out = c
        .kubectl_stdin(&["apply", "-f", "-"], Some(&bad_type))
        .await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("spec.revisionHistoryLimit"), "{err}");
    assert!(err.contains("must be of type integer"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strategic_merge_patch_merges_containers_by_name_and_probes_answer() {
    let c = Cluster::start().await;
    let rs = "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: smp\nspec:\n  replicas: 0\n  selector:\n    matchLabels:\n      app: smp\n  template:\n    metadata:\n      labels:\n        app: smp\n    spec:\n      containers:\n      - name: app\n        image: demo:blue\n        env:\n        - name: A\n          value: \"1\"\n      - name: sidecar\n        image: envoy:1\n";
    c.apply(rs).await;
    // A strategic merge patch names one container: the other stays, the env list merges by name.
    c.ok(&["patch", "rs", "smp", "--type=strategic", "-p", r#"{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"demo:green","env":[{"name":"B","value":"2"}]}]}}}}"#]).await;
    let out = c.ok(&["get", "rs", "smp", "-o", "jsonpath={range .spec.template.spec.containers[*]}{.name}={.image} {end}|{.spec.template.spec.containers[0].env[*].name}"]).await;
    assert_eq!(out, "app=demo:green sidecar=envoy:1 |B A", "{out}");
    for path in ["/healthz", "/readyz", "/livez", "/version"] {
        let out = c.ok(&["get", "--raw", path]).await;
        assert!(!out.is_empty(), "{path}");
    }
    // Discovery as kubectl reads it.
    let groups = c.ok(&["get", "--raw", "/apis"]).await;
    assert!(
        groups.contains("\"apps\"") && groups.contains("apiextensions.k8s.io"),
        "{groups}"
    );
}
