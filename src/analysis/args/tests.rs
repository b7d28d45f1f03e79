use std::collections::BTreeMap;

use super::*;
use crate::api::{
    AnalysisRunArgument, AnalysisTemplateSpec, Argument, ArgumentValueFrom, FieldRef, Metric,
    MetricProvider, PrometheusMetric, Rollout, SecretKeyRef, ValueFrom, WebMetricHeader,
};

fn rollout() -> Rollout {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {
            "name": "istio-rollout",
            "namespace": "shop",
            "uid": "0b8e-uid",
            "labels": {"app": "istio-rollout", "env": "prod"},
            "annotations": {"team.example/owner": "payments"}
        },
        "spec": {
            "replicas": 3,
            "paused": true,
            "template": {"spec": {"containers": [{"name": "app", "image": "argoproj/rollouts-demo:yellow"}]}},
            "strategy": {"canary": {"canaryService": "istio-rollout-canary", "stableService": "istio-rollout-stable"}}
        }
    }))
    .expect("valid rollout")
}

fn declared(name: &str, value: Option<&str>) -> Argument {
    Argument {
        name: name.to_owned(),
        value: value.map(str::to_owned),
        value_from: None,
    }
}

fn from_rollout(
    name: &str,
    value: Option<&str>,
    from: Option<ArgumentValueFrom>,
) -> AnalysisRunArgument {
    AnalysisRunArgument {
        name: name.to_owned(),
        value: value.map(str::to_owned),
        value_from: from,
    }
}

fn field(path: &str) -> Option<ArgumentValueFrom> {
    Some(ArgumentValueFrom {
        pod_template_hash_value: None,
        field_ref: Some(FieldRef {
            field_path: path.to_owned(),
        }),
    })
}

fn hash(kind: &str) -> Option<ArgumentValueFrom> {
    Some(ArgumentValueFrom {
        pod_template_hash_value: Some(kind.to_owned()),
        field_ref: None,
    })
}

const HASHES: PodHashes<'static> = PodHashes {
    stable: Some("7f96d86486"),
    latest: "5c9b7d8f4",
};

#[test]
fn field_paths() {
    let r = rollout();
    let cases: Vec<(&str, Result<&str, &str>)> = vec![
        ("metadata.name", Ok("istio-rollout")),
        ("metadata.namespace", Ok("shop")),
        ("metadata.uid", Ok("0b8e-uid")),
        ("metadata.labels['env']", Ok("prod")),
        ("metadata.labels[\"app\"]", Ok("istio-rollout")),
        ("metadata.labels['missing']", Ok("")),
        ("metadata.annotations['team.example/owner']", Ok("payments")),
        ("metadata.labels", Ok("app=\"istio-rollout\"\nenv=\"prod\"")),
        ("spec.replicas", Ok("3")),
        ("spec.paused", Ok("true")),
        (
            "spec.template.spec.containers[0].image",
            Ok("argoproj/rollouts-demo:yellow"),
        ),
        ("spec.template.spec.containers.0.name", Ok("app")),
        (
            "spec.strategy.canary.canaryService",
            Ok("istio-rollout-canary"),
        ),
        ("metadata.generation", Err("is not supported")),
        (
            "spec.template.spec.containers[3].image",
            Err("does not exist in the Rollout"),
        ),
        ("spec.nothing", Err("does not exist in the Rollout")),
        ("spec.template", Err("must end in a string, number or bool")),
        ("spec.template.spec.containers[x]", Err("cannot be parsed")),
        ("spec..replicas", Err("cannot be parsed")),
    ];
    for (path, want) in cases {
        let got = rollout_field(&r, path).map_err(|e| e.to_string());
        match want {
            Ok(value) => assert_eq!(got.as_deref(), Ok(value), "{path}"),
            Err(needle) => assert!(
                got.as_ref().is_err_and(|e| e.contains(needle)),
                "{path}: {got:?}"
            ),
        }
    }
}

#[test]
fn rollout_args_become_literals() {
    let r = rollout();
    let args = rollout_args(
        &[
            from_rollout("service", Some("canary"), None),
            from_rollout("namespace", None, field("metadata.namespace")),
            from_rollout("stable-hash", None, hash("Stable")),
            from_rollout("canary-hash", None, hash("Latest")),
        ],
        &r,
        HASHES,
    )
    .expect("all resolvable");
    let values: Vec<(&str, Option<&str>)> = args
        .iter()
        .map(|a| (a.name.as_str(), a.value.as_deref()))
        .collect();
    assert_eq!(
        values,
        vec![
            ("service", Some("canary")),
            ("namespace", Some("shop")),
            ("stable-hash", Some("7f96d86486")),
            ("canary-hash", Some("5c9b7d8f4")),
        ]
    );
    let no_stable = PodHashes {
        stable: None,
        latest: "x",
    };
    assert_eq!(
        rollout_args(&[from_rollout("h", None, hash("Stable"))], &r, no_stable).map_err(|e| e.to_string()),
        Err("args.h: podTemplateHashValue \"Stable\" is not available: the Rollout has no stable ReplicaSet yet".to_owned())
    );
    assert!(rollout_args(&[from_rollout("h", None, hash("Newest"))], &r, HASHES).is_err());
    assert_eq!(
        rollout_args(&[from_rollout("x", None, field("metadata.bogus"))], &r, HASHES)
            .map_err(|e| e.to_string())
            .map(|_| ()),
        Err("args.x: fieldPath \"metadata.bogus\" is not supported (metadata.name, metadata.namespace, metadata.uid, metadata.labels['KEY'], metadata.annotations['KEY'], or a path into the Rollout)".to_owned())
    );
}

#[test]
fn merging_template_and_rollout_args() {
    let template = vec![
        declared("service", None),
        declared("namespace", None),
        declared("threshold", Some("0.9")),
    ];
    let incoming = vec![
        declared("service", Some("canary")),
        declared("namespace", Some("shop")),
        declared("threshold", Some("0.95")),
        declared("undeclared", Some("ignored")),
    ];
    let merged = merge_args(&incoming, &template).expect("all resolved");
    let values: Vec<_> = merged
        .iter()
        .map(|a| (a.name.as_str(), a.value.as_deref()))
        .collect();
    assert_eq!(
        values,
        vec![
            ("service", Some("canary")),
            ("namespace", Some("shop")),
            ("threshold", Some("0.95"))
        ]
    );
    assert_eq!(
        merge_args(&incoming[..1], &template).map_err(|e| e.to_string()),
        Err("args.namespace was not resolved".to_owned())
    );
}

#[test]
fn flattening_several_templates() {
    let a = AnalysisTemplateSpec {
        args: vec![declared("service", None), declared("port", Some("80"))],
        ..Default::default()
    };
    let b = AnalysisTemplateSpec {
        args: vec![
            declared("service", Some("web")),
            declared("port", Some("80")),
        ],
        ..Default::default()
    };
    let c = AnalysisTemplateSpec {
        args: vec![declared("port", Some("8080"))],
        ..Default::default()
    };
    let flat = flatten_template_args(&[&a, &b]).expect("compatible");
    assert_eq!(flat[0].value.as_deref(), Some("web"));
    assert_eq!(flat.len(), 2);
    assert_eq!(
        flatten_template_args(&[&a, &c]).map_err(|e| e.to_string()),
        Err(
            "argument `port` specified multiple times with different values: '80', '8080'"
                .to_owned()
        )
    );
}

#[test]
fn run_args_resolve_field_refs_now_and_keep_secrets_as_references() {
    let secret = ValueFrom {
        secret_key_ref: Some(SecretKeyRef {
            name: "prom-creds".into(),
            key: "token".into(),
        }),
        field_ref: None,
    };
    let template = AnalysisTemplateSpec {
        args: vec![
            declared("service", None),
            Argument {
                name: "app".into(),
                value: None,
                value_from: Some(ValueFrom {
                    secret_key_ref: None,
                    field_ref: Some(FieldRef {
                        field_path: "metadata.labels['app']".into(),
                    }),
                }),
            },
            Argument {
                name: "token".into(),
                value: None,
                value_from: Some(secret.clone()),
            },
        ],
        ..Default::default()
    };
    let args = run_args(
        &[&template],
        &[from_rollout(
            "service",
            None,
            field("spec.strategy.canary.canaryService"),
        )],
        &rollout(),
        HASHES,
    )
    .expect("resolvable");
    assert_eq!(args[0].value.as_deref(), Some("istio-rollout-canary"));
    assert_eq!(args[1].value.as_deref(), Some("istio-rollout"));
    assert_eq!(args[2].value, None);
    assert_eq!(args[2].value_from, Some(secret));
}

#[test]
fn placeholders() {
    let args = ResolvedArgs::resolve(
        &[
            declared("service", Some("canary")),
            declared("namespace", Some("shop")),
        ],
        &|_: &SecretKeyRef| Err("no secrets".to_owned()),
    )
    .expect("plain values");
    let cases: Vec<(&str, Result<&str, &str>)> = vec![
        ("{{args.service}}", Ok("canary")),
        (
            "{{ args.service }}.{{args.namespace}}.svc",
            Ok("canary.shop.svc"),
        ),
        ("{{\targs.service\n}}", Ok("canary")),
        ("no placeholders", Ok("no placeholders")),
        ("unclosed {{args.service", Ok("unclosed {{args.service")),
        (
            "{{args.missing}}",
            Err("failed to resolve {{args.missing}}"),
        ),
        ("{{ service }}", Err("failed to resolve {{ service }}")),
    ];
    for (text, want) in cases {
        let got = substitute(text, &args).map_err(|e| e.to_string());
        match want {
            Ok(v) => assert_eq!(got.as_deref(), Ok(v), "{text}"),
            Err(e) => assert_eq!(got, Err(e.to_owned()), "{text}"),
        }
    }
}

fn templated_metric() -> Metric {
    Metric {
        name: "success-rate".into(),
        interval: Some("{{args.interval}}".into()),
        count: Some(
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(
                "{{args.count}}".into(),
            ),
        ),
        success_condition: Some("result[0] > {{args.threshold}}".into()),
        provider: MetricProvider {
            prometheus: Some(PrometheusMetric {
                address: Some("http://prometheus.{{args.namespace}}:9090".into()),
                query: Some("sum(rate(x{svc=\"{{args.service}}\"}[1m]))".into()),
                headers: vec![WebMetricHeader {
                    key: "Authorization".into(),
                    value: "Bearer {{args.token}}".into(),
                }],
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn all_args() -> Vec<Argument> {
    vec![
        declared("interval", Some("20s")),
        declared("count", Some("3")),
        declared("threshold", Some("0.9")),
        declared("namespace", Some("monitoring")),
        declared("service", Some("canary \"quoted\"")),
        Argument {
            name: "token".into(),
            value: None,
            value_from: Some(ValueFrom {
                secret_key_ref: Some(SecretKeyRef {
                    name: "prom".into(),
                    key: "token".into(),
                }),
                field_ref: None,
            }),
        },
    ]
}

#[test]
fn metrics_are_resolved_everywhere() {
    let secrets: BTreeMap<(String, String), String> =
        [(("prom".to_owned(), "token".to_owned()), "s3cr3t".to_owned())].into();
    let lookup = |r: &SecretKeyRef| {
        secrets
            .get(&(r.name.clone(), r.key.clone()))
            .cloned()
            .ok_or_else(|| "not found".to_owned())
    };
    let args = ResolvedArgs::resolve(&all_args(), &lookup).expect("resolvable");
    let metric = resolve_metric(&templated_metric(), &args).expect("resolvable");
    let prometheus = metric.provider.prometheus.as_ref().expect("prometheus");
    assert_eq!(metric.interval.as_deref(), Some("20s"));
    assert_eq!(
        metric.count,
        Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String("3".into()))
    );
    assert_eq!(metric.success_condition.as_deref(), Some("result[0] > 0.9"));
    assert_eq!(
        prometheus.address.as_deref(),
        Some("http://prometheus.monitoring:9090")
    );
    // Substituted as is: no JSON escaping leaks into the query.
    assert_eq!(
        prometheus.query.as_deref(),
        Some(r#"sum(rate(x{svc="canary "quoted""}[1m]))"#)
    );
    assert_eq!(prometheus.headers[0].value, "Bearer s3cr3t");

    let safe = ResolvedArgs::without_secrets(&all_args()).expect("resolvable");
    let shown = resolve_metric(&templated_metric(), &safe).expect("resolvable");
    assert_eq!(
        shown.provider.prometheus.expect("prometheus").headers[0].value,
        "Bearer *****"
    );
}

#[test]
fn secrets_are_redacted_from_text_and_debug_output() {
    let lookup = |_: &SecretKeyRef| Ok("s3cr3t".to_owned());
    let args = ResolvedArgs::resolve(&all_args(), &lookup).expect("resolvable");
    assert_eq!(
        args.redact("401 for token s3cr3t (Bearer s3cr3t)"),
        "401 for token ***** (Bearer *****)"
    );
    let debug = format!("{args:?}");
    assert!(!debug.contains("s3cr3t"), "{debug}");
    assert!(debug.contains("\"token\": \"*****\""), "{debug}");
    assert!(debug.contains("\"count\": \"3\""), "{debug}");

    let failing = |_: &SecretKeyRef| Err("secrets \"prom\" not found".to_owned());
    assert_eq!(
        ResolvedArgs::resolve(&all_args(), &failing)
            .map_err(|e| e.to_string())
            .map(|_| ()),
        Err(
            "args.token: secret prom/token could not be read: secrets \"prom\" not found"
                .to_owned()
        )
    );
    assert_eq!(
        ResolvedArgs::resolve(&[declared("x", None)], &lookup)
            .map_err(|e| e.to_string())
            .map(|_| ()),
        Err("args.x was not resolved".to_owned())
    );
}
