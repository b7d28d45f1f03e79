//! The in-cluster install under `deploy/`, applied with `kubectl apply -k` to a localkube that
//! enforces RBAC, and the daemon running as its ServiceAccount through the seed walk-through with
//! analysis, an abort and a prune: every call it makes must be allowed. With one permission taken
//! away, the refusal is recorded and the daemon reports the server's 403 naming the object.

use std::time::Duration;

use gitcanary::daemon::{Daemon, DaemonConfig};
use gitcanary::sync::config::SourceSpec;
use serde_json::{Value, json};

use crate::common::{Cluster, client_from, eventually, fixture};
use crate::git_repo::TestRepo;
use crate::prometheus::Prometheus;
use crate::rollout_walkthrough::{analysis_runs, wait_scaled_down, wait_status as wait};
use crate::sync::{source_args, sources_json};

const NS: &str = "gitcanary";
const SA: &str = "gitcanary";
const SA_USER: &str = "system:serviceaccount:gitcanary:gitcanary";
/// The source name the inventory's `resourceNames` in deploy/rbac-source-namespace.yaml expects.
const SOURCE: &str = "default";

fn deploy_dir() -> String {
    format!("{}/deploy", env!("CARGO_MANIFEST_DIR"))
}

/// localkube with Istio's CRDs only: the Argo Rollouts CRDs come from `deploy/`.
async fn cluster() -> Cluster {
    let crds: Vec<Value> = gitcanary::cli::crds::bundled()
        .expect("bundled CRDs")
        .into_iter()
        .filter(|c| c.pointer("/spec/group") != Some(&json!("argoproj.io")))
        .collect();
    Cluster::start_with(localkube::Config {
        crds,
        ready_delay: Duration::from_millis(100),
        ..Default::default()
    })
    .await
}

/// `kubectl apply -k deploy/` as the cluster admin; must apply everything cleanly.
async fn install(c: &Cluster) {
    let out = c.ok(&["apply", "-k", &deploy_dir()]).await;
    for want in [
        "namespace/gitcanary created",
        "customresourcedefinition.apiextensions.k8s.io/rollouts.argoproj.io created",
        "customresourcedefinition.apiextensions.k8s.io/analysisruns.argoproj.io created",
        "serviceaccount/gitcanary created",
        "clusterrole.rbac.authorization.k8s.io/gitcanary-controller created",
        "clusterrole.rbac.authorization.k8s.io/gitcanary-sync created",
        "clusterrolebinding.rbac.authorization.k8s.io/gitcanary-sync created",
        "role.rbac.authorization.k8s.io/gitcanary-leader-election created",
        "rolebinding.rbac.authorization.k8s.io/gitcanary created",
        "service/gitcanary created",
        "deployment.apps/gitcanary created",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
}

async fn start_daemon_as_service_account(c: &Cluster, repo: &TestRepo) -> Daemon {
    let kubeconfig = c.service_account_kubeconfig(NS, SA);
    let cache = tempfile::tempdir().expect("cache").keep();
    let spec = SourceSpec::from_args(
        SOURCE,
        source_args(repo, &cache),
        "default",
        None,
        true,
        false,
    );
    Daemon::start(
        client_from(&kubeconfig).await,
        DaemonConfig {
            sources: vec![spec],
            listen: "127.0.0.1:0".parse().expect("addr"),
            webhook_secret: None,
            dashboard: Default::default(),
            mesh: None,
        },
    )
    .await
    .expect("daemon starts")
}

fn template(prometheus: &Prometheus) -> String {
    std::fs::read_to_string(fixture("seed/istio-success-rate.yaml"))
        .expect("template")
        .replace(
            "http://<your-prometheus-endpoint>:9090/api/v1/prometheus/",
            &prometheus.address(),
        )
        .replace("initialDelay: 60s", "initialDelay: 10s")
        .replace("interval: 20s", "interval: 2s")
        // An argument read from a Secret, so measuring reads one.
        .replace(
            "  - name: namespace\n",
            "  - name: namespace\n  - name: api-token\n    valueFrom:\n      secretKeyRef:\n        name: prometheus-token\n        key: token\n",
        )
}

/// The seed's Rollout with analysis; short pauses and delays, and no history kept, so old
/// ReplicaSets and finished AnalysisRuns are deleted.
fn rollout(image: &str) -> String {
    std::fs::read_to_string(fixture("seed/rollout-with-analysis.yaml"))
        .expect("rollout")
        .replace("argoproj/rollouts-demo:yellow", image)
        .replace("value: canary", "value: istio-rollout-canary")
        .replace("{duration: 20s}", "{duration: 2s}")
        .replace(
            "  revisionHistoryLimit: 2\n",
            "  revisionHistoryLimit: 0\n  analysis:\n    successfulRunHistoryLimit: 0\n",
        )
        .replace(
            "      canaryService: istio-rollout-canary",
            "      scaleDownDelaySeconds: 2\n      abortScaleDownDelaySeconds: 2\n      canaryService: istio-rollout-canary",
        )
}

fn seed_repo(template: &str) -> TestRepo {
    let repo = TestRepo::new();
    for f in [
        "service.yaml",
        "istio-rollout-gateway.yaml",
        "istio-rollout-vsvc.yaml",
    ] {
        repo.write(
            &format!("deploy/{f}"),
            &std::fs::read_to_string(fixture(&format!("seed/{f}"))).expect("seed"),
        );
    }
    repo.write("deploy/istio-success-rate.yaml", template);
    repo.write(
        "deploy/rollout.yaml",
        &rollout("argoproj/rollouts-demo:blue"),
    );
    repo.commit("blue with analysis");
    repo
}

async fn exists(c: &Cluster, what: &str) -> bool {
    c.kubectl(&["get", what, "-o", "name"])
        .await
        .status
        .success()
}

fn denials_text(c: &Cluster) -> String {
    c.server
        .denials()
        .iter()
        .map(|d| format!("{} {}: {}", d.call, d.name, d.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// (group, resource, verb) granted by the ClusterRoles and Roles of `deploy/`.
async fn granted(c: &Cluster) -> Vec<(String, String, String)> {
    let mut out = vec![];
    for kind in ["clusterroles", "roles"] {
        let list: Value = serde_json::from_str(
            &c.ok(&[
                "get",
                kind,
                "-A",
                "-l",
                "app.kubernetes.io/name=gitcanary",
                "-o",
                "json",
            ])
            .await,
        )
        .expect("roles as JSON");
        for role in list["items"].as_array().cloned().unwrap_or_default() {
            for rule in role["rules"].as_array().cloned().unwrap_or_default() {
                let strings = |k: &str| -> Vec<String> {
                    rule[k]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default()
                };
                for g in strings("apiGroups") {
                    for r in strings("resources") {
                        for v in strings("verbs") {
                            out.push((g.clone(), r.clone(), v));
                        }
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deploy_rbac_allows_every_call_of_the_walkthrough() {
    let c = cluster().await;
    install(&c).await;
    // The Secret template is valid as written.
    c.ok(&[
        "apply",
        "-f",
        &format!("{}/secret.example.yaml", deploy_dir()),
    ])
    .await;
    // The Deployment is accepted and its (simulated) pod becomes available.
    eventually(
        Duration::from_secs(20),
        "the gitcanary Deployment available (2 replicas)",
        || async {
            let n = c
                .ok(&[
                    "-n",
                    NS,
                    "get",
                    "deployment",
                    "gitcanary",
                    "-o",
                    "jsonpath={.status.availableReplicas}",
                ])
                .await;
            (n == "2").then_some(())
        },
    )
    .await;
    c.apply(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: prometheus-token\n  namespace: default\nstringData:\n  token: not-checked\n",
    )
    .await;
    let meshsim = meshsim::Meshsim::start(
        c.client().await,
        meshsim::Config {
            rps: 100.0,
            seed: Some(11),
            ..Default::default()
        },
    )
    .await
    .expect("meshsim");
    let prometheus = Prometheus::start(&[meshsim.addr()]).await;
    let repo = seed_repo(&template(&prometheus));
    let d = start_daemon_as_service_account(&c, &repo).await;

    // Blue is deployed straight to stable.
    let s = wait(&c, "blue Healthy", 30, |s| s["phase"] == "Healthy").await;
    let blue = s["stableRS"].as_str().expect("stableRS").to_string();

    // Yellow: a canary with a background analysis, approved by a Promote commit once measured.
    repo.write(
        "deploy/rollout.yaml",
        &rollout("argoproj/rollouts-demo:yellow"),
    );
    repo.commit("yellow");
    let s = wait(&c, "yellow paused at 10%", 30, |s| {
        s["phase"] == "Paused" && s["currentStepIndex"] == 1
    })
    .await;
    let yellow = s["currentPodHash"].as_str().expect("hash").to_string();
    eventually(Duration::from_secs(40), "a first measurement", || async {
        let runs = analysis_runs(&c).await;
        let n = runs.first()?["status"]["metricResults"][0]["measurements"]
            .as_array()?
            .len();
        (n > 0).then_some(())
    })
    .await;
    repo.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "go\n\nPromote: istio-rollout",
    ]);
    wait(&c, "yellow stable", 90, |s| {
        s["phase"] == "Healthy" && s["stableRS"].as_str() == Some(yellow.as_str())
    })
    .await;
    // No history kept: blue's ReplicaSet and the finished AnalysisRun are deleted.
    eventually(
        Duration::from_secs(20),
        "blue's ReplicaSet deleted",
        || async { (!exists(&c, &format!("rs/istio-rollout-{blue}")).await).then_some(()) },
    )
    .await;
    eventually(
        Duration::from_secs(20),
        "the finished AnalysisRun deleted",
        || async { analysis_runs(&c).await.is_empty().then_some(()) },
    )
    .await;

    // Orange, aborted by annotation: traffic back to stable, the canary scaled down.
    repo.write(
        "deploy/rollout.yaml",
        &rollout("argoproj/rollouts-demo:orange"),
    );
    repo.commit("orange");
    let s = wait(&c, "orange paused", 30, |s| {
        s["phase"] == "Paused"
            && s["currentStepIndex"] == 1
            && s["currentPodHash"].as_str() != Some(yellow.as_str())
    })
    .await;
    let orange = s["currentPodHash"].as_str().expect("hash").to_string();
    c.ok(&[
        "annotate",
        "rollout",
        "istio-rollout",
        "gitcanary.dev/abort=true",
    ])
    .await;
    wait(&c, "aborted", 20, |s| s["phase"] == "Degraded").await;
    wait_scaled_down(&c, &orange, "orange scaled down", 20).await;

    // A manifest removed from Git is pruned.
    repo.remove("deploy/istio-rollout-gateway.yaml");
    repo.commit("no gateway");
    eventually(Duration::from_secs(20), "the Gateway pruned", || async {
        (!exists(&c, "gateway/istio-rollout-gateway").await).then_some(())
    })
    .await;
    eventually(Duration::from_secs(10), "the source Synced", || async {
        let j = sources_json(&d).await;
        (j["sources"][0]["phase"] == "Synced").then_some(())
    })
    .await;
    d.stop().await;
    prometheus.stop().await;
    drop(meshsim);

    let denied = denials_text(&c);
    let calls = c.server.calls();
    let made: Vec<String> = calls
        .iter()
        .map(|(call, n)| format!("{call} ×{n}"))
        .collect();
    eprintln!("calls made by {SA_USER}:\n{}", made.join("\n"));
    assert!(denied.is_empty(), "requests denied:\n{denied}");
    assert!(
        calls.iter().all(|(call, _)| call.user == SA_USER),
        "only the daemon's calls are recorded: {made:?}"
    );
    // The scenario went through every kind of write the controllers make.
    for (verb, resource) in [
        ("update", "rollouts/status"),
        ("patch", "rollouts"),
        ("create", "replicasets"),
        ("patch", "replicasets"),
        ("delete", "replicasets"),
        ("patch", "services"),
        ("patch", "virtualservices"),
        ("create", "analysisruns"),
        ("patch", "analysisruns"),
        ("delete", "analysisruns"),
        ("update", "analysisruns/status"),
        ("get", "secrets"),
        ("create", "events"),
        ("create", "configmaps"),
        ("delete", "gateways"),
    ] {
        assert!(
            calls
                .iter()
                .any(|(call, _)| call.verb == verb && call.resource == resource),
            "no {verb} {resource} in:\n{}",
            made.join("\n")
        );
    }
    // Permissions this scenario never needed (e.g. pruning a kind that stayed in Git).
    let unused: Vec<String> = granted(&c)
        .await
        .into_iter()
        .filter(|(g, r, v)| {
            !calls
                .iter()
                .any(|(call, _)| call.group == *g && call.resource == *r && call.verb == *v)
        })
        .map(|(g, r, v)| format!("{v} {r} in API group {g:?}"))
        .collect();
    eprintln!("granted but not exercised here:\n{}", unused.join("\n"));
}

/// Removes `verb` on `resource` from every rule of the ClusterRole, keeping the rule's other
/// resources and verbs.
fn without(role: &Value, resource: &str, verb: &str) -> Value {
    let mut role = role.clone();
    let mut rules = vec![];
    for rule in role["rules"].as_array().cloned().unwrap_or_default() {
        let names = |k: &str| rule[k].as_array().cloned().unwrap_or_default();
        let resources = names("resources");
        if !resources.contains(&json!(resource)) || !names("verbs").contains(&json!(verb)) {
            rules.push(rule);
            continue;
        }
        let others: Vec<Value> = resources.into_iter().filter(|r| r != resource).collect();
        if !others.is_empty() {
            let mut kept = rule.clone();
            kept["resources"] = json!(others);
            rules.push(kept);
        }
        let mut reduced = rule.clone();
        reduced["resources"] = json!([resource]);
        reduced["verbs"] = json!(
            names("verbs")
                .into_iter()
                .filter(|v| v != verb)
                .collect::<Vec<_>>()
        );
        rules.push(reduced);
    }
    role["rules"] = json!(rules);
    if let Some(m) = role["metadata"].as_object_mut() {
        m.remove("managedFields");
        m.remove("resourceVersion");
    }
    role
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_patch_on_virtualservices_the_refusal_is_recorded_and_reported() {
    let c = cluster().await;
    install(&c).await;
    for role in ["gitcanary-controller", "gitcanary-sync"] {
        let live: Value =
            serde_json::from_str(&c.ok(&["get", "clusterrole", role, "-o", "json"]).await)
                .expect("ClusterRole as JSON");
        let reduced = without(&live, "virtualservices", "patch");
        assert_ne!(reduced["rules"], live["rules"], "{role} granted the patch");
        let out = c
            .kubectl_stdin(&["replace", "-f", "-"], Some(&reduced.to_string()))
            .await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let repo = TestRepo::new();
    for f in crate::sync::SEED_FILES {
        repo.write(
            &format!("deploy/{f}"),
            &std::fs::read_to_string(fixture(&format!("seed/{f}"))).expect("seed"),
        );
    }
    repo.commit("seed");
    let d = start_daemon_as_service_account(&c, &repo).await;

    let want = format!(
        "virtualservices.networking.istio.io \"istio-rollout-vsvc\" is forbidden: User \"{SA_USER}\" cannot patch resource \"virtualservices\" in API group \"networking.istio.io\" in the namespace \"default\""
    );
    let message = eventually(
        Duration::from_secs(20),
        "the sync failing with the 403",
        || async {
            let j = sources_json(&d).await;
            let s = &j["sources"][0];
            let m = s["message"].as_str().unwrap_or_default().to_string();
            (s["phase"] == "Failed" && m.contains(&want)).then_some(m)
        },
    )
    .await;
    assert!(
        message.contains("VirtualService") && message.contains("istio-rollout-vsvc.yaml"),
        "the object and its file are named: {message}"
    );
    let denials = c.server.denials();
    assert!(!denials.is_empty());
    for d in &denials {
        assert_eq!(
            (
                d.call.user.as_str(),
                d.call.verb.as_str(),
                d.call.group.as_str(),
                d.call.resource.as_str(),
                d.call.namespace.as_str(),
                d.name.as_str(),
            ),
            (
                SA_USER,
                "patch",
                "networking.istio.io",
                "virtualservices",
                "default",
                "istio-rollout-vsvc"
            ),
            "{}",
            denials_text(&c)
        );
        assert_eq!(d.message, want);
    }
    // The commit is refused as a whole: nothing of it was applied.
    assert!(!exists(&c, "rollout/istio-rollout").await);
    assert!(!exists(&c, "svc/istio-rollout-canary").await);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_account_tokens_are_authorized_by_rbac_and_end_with_the_account() {
    let c = cluster().await;
    install(&c).await;
    let kubeconfig = c.service_account_kubeconfig(NS, SA);
    let kubeconfig = kubeconfig.to_str().expect("utf-8 path");
    // Allowed by gitcanary-controller: list ReplicaSets everywhere.
    let out = c
        .kubectl(&["--kubeconfig", kubeconfig, "get", "rs", "-A"])
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Not granted: listing Pods, reading Secrets outside the source namespace.
    let out = c
        .kubectl(&["--kubeconfig", kubeconfig, "get", "pods", "-n", "default"])
        .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && stderr.contains(&format!("pods is forbidden: User \"{SA_USER}\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"")),
        "{stderr}"
    );
    let out = c
        .kubectl(&[
            "--kubeconfig",
            kubeconfig,
            "get",
            "secret",
            "x",
            "-n",
            "kube-system",
        ])
        .await;
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot get resource \"secrets\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A server-side apply that would create its object needs create as well as patch.
    c.apply(&format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: patch-only, namespace: {NS}}}\nrules:\n- {{apiGroups: [\"\"], resources: [configmaps], verbs: [patch]}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: patch-only, namespace: {NS}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: patch-only}}\nsubjects: [{{kind: ServiceAccount, name: {SA}}}]\n"
    ))
    .await;
    let cm = format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: new, namespace: {NS}}}\n");
    let out = c
        .kubectl_stdin(
            &[
                "--kubeconfig",
                kubeconfig,
                "apply",
                "--server-side",
                "-f",
                "-",
            ],
            Some(&cm),
        )
        .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("configmaps \"new\" is forbidden"),
        "{stderr}"
    );
    let last = c.server.denials().pop().expect("a denial");
    assert_eq!(
        (
            last.call.verb.as_str(),
            last.call.resource.as_str(),
            last.name.as_str()
        ),
        ("create", "configmaps", "new")
    );
    c.apply(&cm).await;
    let out = c
        .kubectl_stdin(
            &[
                "--kubeconfig",
                kubeconfig,
                "apply",
                "--server-side",
                "-f",
                "-",
            ],
            Some(&cm.replace("metadata:", "data: {k: v}\nmetadata:")),
        )
        .await;
    assert!(
        out.status.success(),
        "patching an existing object: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Deleting the ServiceAccount ends its tokens.
    c.ok(&["-n", NS, "delete", "serviceaccount", SA]).await;
    let out = c
        .kubectl(&["--kubeconfig", kubeconfig, "get", "rs", "-A"])
        .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("Unauthorized"),
        "{stderr}"
    );
}
