//! Table tests: each case edits the seed Rollout (or what it refers to) and lists the exact problems.

use serde_json::{Value, json};

use super::*;

const SEED: [&str; 5] = [
    include_str!("../../../tests/fixtures/seed/service.yaml"),
    include_str!("../../../tests/fixtures/seed/istio-rollout-vsvc.yaml"),
    include_str!("../../../tests/fixtures/seed/istio-rollout-gateway.yaml"),
    include_str!("../../../tests/fixtures/seed/istio-success-rate.yaml"),
    include_str!("../../../tests/fixtures/seed/rollout-with-analysis.yaml"),
];
const SEED_ROLLOUT: &str = include_str!("../../../tests/fixtures/seed/rollout.yaml");

fn documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| serde::Deserialize::deserialize(doc).expect("seed YAML"))
        .collect()
}

fn seed_refs() -> References {
    let docs: Vec<Value> = SEED.iter().flat_map(|text| documents(text)).collect();
    References::from_manifests(&docs, None)
}

fn rollout_from(value: Value) -> Rollout {
    serde_json::from_value(value).expect("test rollout deserializes")
}

fn problems(rollout: &Rollout, refs: &References) -> Vec<(String, String)> {
    validate_rollout(rollout, refs)
        .into_iter()
        .map(|p| (p.field, p.message))
        .collect()
}

fn vs(spec: Value) -> VirtualServiceRoutes {
    VirtualServiceRoutes::from_spec(&spec)
}

/// Replaces the seed VirtualService in the references.
fn set_vs(refs: &mut References, spec: Value) {
    refs.virtual_services = Some([("istio-rollout-vsvc".to_owned(), vs(spec))].into());
}

fn canary(r: &mut Value) -> &mut Value {
    &mut r["spec"]["strategy"]["canary"]
}

fn istio(r: &mut Value) -> &mut Value {
    &mut r["spec"]["strategy"]["canary"]["trafficRouting"]["istio"]
}

type Edit = fn(&mut Value);
type RefsEdit = fn(&mut References);
/// A case: name, how to change the seed Rollout, how to change what it refers to, the problems.
type Case = (&'static str, Edit, RefsEdit, Vec<(String, &'static str)>);

fn no_refs_edit(_: &mut References) {}

const C: &str = "spec.strategy.canary";
const VSF: &str = "spec.strategy.canary.trafficRouting.istio.virtualService";

#[test]
fn seed_rollouts_are_valid_against_the_seed_objects() {
    let refs = seed_refs();
    assert_eq!(refs.services.as_ref().map(|s| s.len()), Some(2));
    for text in [SEED_ROLLOUT, SEED[4]] {
        let rollout = rollout_from(documents(text).remove(0));
        assert_eq!(problems(&rollout, &refs), Vec::<(String, String)>::new());
        assert_eq!(
            problems(&rollout, &References::default()),
            Vec::<(String, String)>::new()
        );
    }
}

#[test]
fn rollout_problems() {
    let cases: Vec<Case> = vec![
        (
            "weight above 100",
            |r| canary(r)["steps"][0] = json!({"setWeight": 150}),
            no_refs_edit,
            vec![(
                format!("{C}.steps[0].setWeight"),
                "SetWeight needs to be between 0 and 100",
            )],
        ),
        (
            "negative weight",
            |r| canary(r)["steps"][2] = json!({"setWeight": -1}),
            no_refs_edit,
            vec![(
                format!("{C}.steps[2].setWeight"),
                "SetWeight needs to be between 0 and 100",
            )],
        ),
        (
            "two kinds in one step",
            |r| canary(r)["steps"][1] = json!({"setWeight": 20, "pause": {}}),
            no_refs_edit,
            vec![(
                format!("{C}.steps[1]"),
                "Step must have only one of its kinds set, not setWeight, pause",
            )],
        ),
        (
            "empty step",
            |r| canary(r)["steps"][1] = json!({}),
            no_refs_edit,
            vec![(
                format!("{C}.steps[1]"),
                "Step must have one of the following set: setWeight, pause, analysis, setCanaryScale",
            )],
        ),
        (
            "misspelt kind",
            |r| canary(r)["steps"][0] = json!({"setWieght": 10}),
            no_refs_edit,
            vec![(
                format!("{C}.steps[0].setWieght"),
                "unknown step kind 'setWieght'",
            )],
        ),
        (
            "unparsable pause",
            |r| canary(r)["steps"][3] = json!({"pause": {"duration": "ten"}}),
            no_refs_edit,
            vec![(
                format!("{C}.steps[3].pause.duration"),
                "duration \"ten\" is not a number followed by a unit (ns, us, ms, s, m, h)",
            )],
        ),
        (
            "negative pause",
            |r| canary(r)["steps"][3] = json!({"pause": {"duration": -5}}),
            no_refs_edit,
            vec![(
                format!("{C}.steps[3].pause.duration"),
                "duration \"-5\" is negative",
            )],
        ),
        (
            "bare-seconds pause is fine",
            |r| canary(r)["steps"][3] = json!({"pause": {"duration": "20"}}),
            no_refs_edit,
            vec![],
        ),
        (
            "unsupported step kinds",
            |r| {
                let steps = canary(r)["steps"].as_array_mut().expect("steps");
                steps.push(json!({"experiment": {"templates": []}}));
                steps.push(json!({"setHeaderRoute": {"name": "h"}}));
            },
            no_refs_edit,
            vec![
                (
                    format!("{C}.steps[18].experiment"),
                    "gitcanary does not implement spec.strategy.canary.steps[18].experiment",
                ),
                (
                    format!("{C}.steps[19].setHeaderRoute"),
                    "gitcanary does not implement spec.strategy.canary.steps[19].setHeaderRoute",
                ),
            ],
        ),
        (
            "unsupported Argo fields",
            |r| {
                r["spec"]["workloadRef"] = json!({"kind": "Deployment", "name": "web"});
                r["spec"]["strategy"]["blueGreen"] = json!({"activeService": "a"});
                canary(r)["pingPong"] = json!({"pingService": "a", "pongService": "b"});
                canary(r)["trafficRouting"]["nginx"] = json!({"stableIngress": "web"});
                canary(r)["trafficRouting"]["managedRoutes"] = json!([{"name": "h"}]);
            },
            no_refs_edit,
            vec![
                (
                    "spec.workloadRef".to_owned(),
                    "gitcanary does not implement spec.workloadRef",
                ),
                (
                    "spec.strategy".to_owned(),
                    "Multiple Strategies can not be listed",
                ),
                (
                    "spec.strategy.blueGreen".to_owned(),
                    "gitcanary does not implement spec.strategy.blueGreen",
                ),
                (
                    format!("{C}.pingPong"),
                    "gitcanary does not implement spec.strategy.canary.pingPong",
                ),
                (
                    format!("{C}.trafficRouting.nginx"),
                    "gitcanary does not implement spec.strategy.canary.trafficRouting.nginx",
                ),
                (
                    format!("{C}.trafficRouting.managedRoutes"),
                    "gitcanary does not implement spec.strategy.canary.trafficRouting.managedRoutes",
                ),
            ],
        ),
        (
            "no strategy",
            |r| r["spec"]["strategy"] = Value::Null,
            no_refs_edit,
            vec![(
                "spec.strategy".to_owned(),
                "Rollout has missing field '.spec.strategy.canary or .spec.strategy.blueGreen'",
            )],
        ),
        (
            "canary service missing with host-level routing",
            |r| canary(r)["canaryService"] = Value::Null,
            no_refs_edit,
            vec![(
                format!("{C}.canaryService"),
                "Canary service and Stable service must to be set to use Traffic Routing",
            )],
        ),
        (
            "same service twice",
            |r| canary(r)["canaryService"] = json!("istio-rollout-stable"),
            no_refs_edit,
            vec![(
                format!("{C}.stableService"),
                "This rollout uses the same service for the stable and canary services, but two different services are required.",
            )],
        ),
        (
            "both virtualService and virtualServices",
            |r| istio(r)["virtualServices"] = json!([{"name": "istio-rollout-vsvc"}]),
            no_refs_edit,
            vec![(
                format!("{C}.trafficRouting.istio"),
                "either VirtualService or VirtualServices must be configured",
            )],
        ),
        (
            "neither virtualService nor virtualServices",
            |r| istio(r)["virtualService"] = Value::Null,
            no_refs_edit,
            vec![(
                format!("{C}.trafficRouting.istio"),
                "either VirtualService or VirtualServices must be configured",
            )],
        ),
        (
            "virtualServices list is fine",
            |r| {
                istio(r)["virtualServices"] = json!([istio(r)["virtualService"].clone()]);
                istio(r)["virtualService"] = Value::Null;
            },
            no_refs_edit,
            vec![],
        ),
        (
            "named route absent",
            |r| istio(r)["virtualService"]["routes"] = json!(["primary", "secondary"]),
            no_refs_edit,
            vec![(
                format!("{VSF}.routes[1]"),
                "HTTP Route 'secondary' is not found in the defined Virtual Service.",
            )],
        ),
        (
            "route without the canary destination",
            |_| {},
            |refs| {
                set_vs(
                    refs,
                    json!({"http": [{"name": "primary", "route": [{"destination": {"host": "istio-rollout-stable"}}]}]}),
                )
            },
            vec![(
                format!("{VSF}.routes[0]"),
                "Canary Service 'istio-rollout-canary' not found in route",
            )],
        ),
        (
            "qualified destination hosts match",
            |_| {},
            |refs| {
                set_vs(
                    refs,
                    json!({"http": [{"name": "primary", "route": [
                    {"destination": {"host": "istio-rollout-stable.default.svc.cluster.local"}},
                    {"destination": {"host": "istio-rollout-canary.default"}}]}]}),
                )
            },
            vec![],
        ),
        (
            "routes omitted with one HTTP route",
            |r| istio(r)["virtualService"]["routes"] = Value::Null,
            no_refs_edit,
            vec![],
        ),
        (
            "routes omitted with two HTTP routes",
            |r| istio(r)["virtualService"]["routes"] = Value::Null,
            |refs| {
                let route = json!({"route": [{"destination": {"host": "istio-rollout-stable"}}, {"destination": {"host": "istio-rollout-canary"}}]});
                set_vs(refs, json!({"http": [route.clone(), route]}))
            },
            vec![(
                format!("{VSF}.routes"),
                "spec.http[] should be set in VirtualService and it must have exactly one route when omitting spec.strategy.canary.trafficRouting.istio.virtualService.routes",
            )],
        ),
        (
            "tcp section with two routes but no tcpRoutes",
            |_| {},
            |refs| {
                let both = json!([{"destination": {"host": "istio-rollout-stable"}}, {"destination": {"host": "istio-rollout-canary"}}]);
                set_vs(
                    refs,
                    json!({
                        "http": [{"name": "primary", "route": both.clone()}],
                        "tcp": [{"match": [{"port": 1}], "route": both.clone()}, {"match": [{"port": 2}], "route": both}]
                    }),
                )
            },
            vec![(
                format!("{VSF}.tcpRoutes"),
                "spec.tcp[] should be set in VirtualService and it must have exactly one route when omitting spec.strategy.canary.trafficRouting.istio.virtualService.tcpRoutes",
            )],
        ),
        (
            "tls route selected by port and SNI hosts",
            |r| {
                istio(r)["virtualService"]["tlsRoutes"] =
                    json!([{"port": 443, "sniHosts": ["b.example", "a.example"]}])
            },
            |refs| {
                let both = json!([{"destination": {"host": "istio-rollout-stable"}}, {"destination": {"host": "istio-rollout-canary"}}]);
                set_vs(
                    refs,
                    json!({
                        "http": [{"name": "primary", "route": both.clone()}],
                        "tls": [
                            {"match": [{"port": 443, "sniHosts": ["a.example"]}, {"port": 443, "sniHosts": ["b.example"]}], "route": both.clone()},
                            {"match": [{"port": 8443, "sniHosts": ["a.example", "b.example"]}], "route": [{"destination": {"host": "x"}}]}
                        ]
                    }),
                )
            },
            vec![],
        ),
        (
            "tls route that matches nothing",
            |r| {
                istio(r)["virtualService"]["tlsRoutes"] =
                    json!([{"port": 443, "sniHosts": ["c.example"]}])
            },
            |refs| {
                let both = json!([{"destination": {"host": "istio-rollout-stable"}}, {"destination": {"host": "istio-rollout-canary"}}]);
                set_vs(
                    refs,
                    json!({
                        "http": [{"name": "primary", "route": both.clone()}],
                        "tls": [{"match": [{"port": 443, "sniHosts": ["a.example"]}], "route": both}]
                    }),
                )
            },
            vec![(
                format!("{VSF}.tlsRoutes[0]"),
                "No matching TLS routes found in the defined Virtual Service.",
            )],
        ),
        (
            "virtual service not found",
            |_| {},
            |refs| refs.virtual_services = Some(Default::default()),
            vec![(
                format!("{VSF}.name"),
                "VirtualService 'istio-rollout-vsvc' not found",
            )],
        ),
        (
            "virtual service in another namespace",
            |r| istio(r)["virtualService"]["name"] = json!("istio-rollout-vsvc.mesh"),
            no_refs_edit,
            vec![(
                format!("{VSF}.name"),
                "VirtualService 'istio-rollout-vsvc.mesh' not found",
            )],
        ),
        (
            "virtual service in another namespace that exists",
            |r| istio(r)["virtualService"]["name"] = json!("istio-rollout-vsvc.mesh"),
            |refs| {
                let routes = refs
                    .virtual_services
                    .as_ref()
                    .and_then(|m| m.get("istio-rollout-vsvc"))
                    .cloned();
                refs.virtual_services = Some(
                    [(
                        "mesh/istio-rollout-vsvc".to_owned(),
                        routes.unwrap_or_default(),
                    )]
                    .into(),
                );
            },
            vec![],
        ),
        (
            "services not found",
            |_| {},
            |refs| refs.services = Some(["istio-rollout-stable".to_owned()].into()),
            vec![(
                format!("{C}.canaryService"),
                "Service 'istio-rollout-canary' not found",
            )],
        ),
        (
            "subset-level routing",
            |r| {
                canary(r)["canaryService"] = Value::Null;
                canary(r)["stableService"] = Value::Null;
                istio(r)["destinationRule"] = json!({"name": "dr", "canarySubsetName": "canary", "stableSubsetName": "stable"});
            },
            |refs| {
                set_vs(
                    refs,
                    json!({"http": [{"name": "primary", "route": [
                    {"destination": {"host": "app", "subset": "stable"}}, {"destination": {"host": "app", "subset": "canary"}}]}]}),
                );
                refs.destination_rules = Some(
                    [(
                        "dr".to_owned(),
                        ["stable".to_owned(), "canary".to_owned()].into(),
                    )]
                    .into(),
                );
            },
            vec![],
        ),
        (
            "subset-level routing with subsets missing",
            |r| {
                canary(r)["canaryService"] = Value::Null;
                canary(r)["stableService"] = Value::Null;
                istio(r)["destinationRule"] = json!({"name": "dr", "canarySubsetName": "canary", "stableSubsetName": "stable"});
            },
            |refs| {
                set_vs(
                    refs,
                    json!({"http": [{"name": "primary", "route": [{"destination": {"host": "app", "subset": "stable"}}]}]}),
                );
                refs.destination_rules =
                    Some([("dr".to_owned(), ["stable".to_owned()].into())].into());
            },
            vec![
                (
                    format!("{C}.trafficRouting.istio.destinationRule.canarySubsetName"),
                    "subset 'canary' not found in DestinationRule 'dr'",
                ),
                (
                    format!("{VSF}.routes[0]"),
                    "Canary DestinationRule subset 'canary' not found in route",
                ),
            ],
        ),
        (
            "traffic routing without a router",
            |r| canary(r)["trafficRouting"] = json!({}),
            no_refs_edit,
            vec![(
                format!("{C}.trafficRouting"),
                "no traffic router is configured; gitcanary implements trafficRouting.istio",
            )],
        ),
        (
            "setCanaryScale needs traffic routing",
            |r| {
                canary(r)["trafficRouting"] = Value::Null;
                canary(r)["steps"][1] = json!({"setCanaryScale": {"weight": 50}});
            },
            no_refs_edit,
            vec![(
                format!("{C}.steps[1].setCanaryScale"),
                "SetCanaryScale requires TrafficRouting to be set",
            )],
        ),
        (
            "setCanaryScale with two settings",
            |r| canary(r)["steps"][1] = json!({"setCanaryScale": {"weight": 50, "replicas": 2}}),
            no_refs_edit,
            vec![(
                format!("{C}.steps[1].setCanaryScale"),
                "exactly one of weight, replicas or matchTrafficWeight must be set",
            )],
        ),
        (
            "scale-down delay without traffic routing",
            |r| {
                canary(r)["trafficRouting"] = Value::Null;
                canary(r)["scaleDownDelaySeconds"] = json!(30);
            },
            no_refs_edit,
            vec![(
                format!("{C}.scaleDownDelaySeconds"),
                "Canary scaleDownDelaySeconds can only be used with traffic routing",
            )],
        ),
        (
            "dynamic stable scale with a scale-down delay",
            |r| {
                canary(r)["dynamicStableScale"] = json!(true);
                canary(r)["scaleDownDelaySeconds"] = json!(30);
            },
            no_refs_edit,
            vec![(
                format!("{C}.dynamicStableScale"),
                "Canary dynamicStableScale cannot be used with scaleDownDelaySeconds",
            )],
        ),
        (
            "maxSurge and maxUnavailable both zero",
            |r| {
                canary(r)["maxSurge"] = json!(0);
                canary(r)["maxUnavailable"] = json!("0%");
            },
            no_refs_edit,
            vec![(
                format!("{C}.maxSurge"),
                "MaxSurge and MaxUnavailable both can not be zero",
            )],
        ),
        (
            "maxSurge not a number",
            |r| canary(r)["maxSurge"] = json!("lots"),
            no_refs_edit,
            vec![(
                format!("{C}.maxSurge"),
                "\"lots\" is neither an integer nor a percentage",
            )],
        ),
        (
            "analysis template not found",
            |r| canary(r)["analysis"] = json!({"templates": [{"templateName": "missing"}]}),
            no_refs_edit,
            vec![(
                format!("{C}.analysis.templates[0].templateName"),
                "AnalysisTemplate 'missing' not found",
            )],
        ),
        (
            "cluster analysis template not found",
            |r| canary(r)["steps"][1] = json!({"analysis": {"templates": [{"templateName": "istio-success-rate", "clusterScope": true}]}}),
            no_refs_edit,
            vec![(
                format!("{C}.steps[1].analysis.templates[0].templateName"),
                "ClusterAnalysisTemplate 'istio-success-rate' not found",
            )],
        ),
        (
            "starting step out of range",
            |r| {
                canary(r)["analysis"] = json!({"startingStep": 18, "templates": [{"templateName": "istio-success-rate"}]})
            },
            no_refs_edit,
            vec![(
                format!("{C}.analysis.startingStep"),
                "startingStep 18 is not a step index (0 to 17)",
            )],
        ),
        (
            "analysis argument with both value and valueFrom",
            |r| {
                canary(r)["analysis"] = json!({"templates": [{"templateName": "istio-success-rate"}], "args": [
                    {"name": "service", "value": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                    {"name": "hash", "valueFrom": {"podTemplateHashValue": "Newest"}}
                ]})
            },
            no_refs_edit,
            vec![
                (
                    format!("{C}.analysis.args[0]"),
                    "value and valueFrom are mutually exclusive",
                ),
                (
                    format!("{C}.analysis.args[1].valueFrom.podTemplateHashValue"),
                    "must be Stable or Latest, not 'Newest'",
                ),
            ],
        ),
        (
            "selector does not match the template",
            |r| r["spec"]["selector"]["matchLabels"]["app"] = json!("other"),
            no_refs_edit,
            vec![(
                "spec.selector".to_owned(),
                "`selector` does not match template `labels`",
            )],
        ),
        (
            "progress deadline not above minReadySeconds",
            |r| r["spec"]["minReadySeconds"] = json!(600),
            no_refs_edit,
            vec![(
                "spec.progressDeadlineSeconds".to_owned(),
                "progressDeadlineSeconds must be greater than minReadySeconds",
            )],
        ),
    ];
    for (name, edit, refs_edit, expected) in cases {
        let mut value = documents(SEED_ROLLOUT).remove(0);
        edit(&mut value);
        let mut refs = seed_refs();
        refs_edit(&mut refs);
        let expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(f, m)| (f, m.to_owned()))
            .collect();
        assert_eq!(
            problems(&rollout_from(value), &refs),
            expected,
            "case: {name}"
        );
    }
}

#[test]
fn problems_read_as_field_and_message() {
    let problem = SpecProblem {
        field: format!("{C}.steps[0].setWeight"),
        message: "SetWeight needs to be between 0 and 100".into(),
    };
    assert_eq!(
        problem.to_string(),
        "spec.strategy.canary.steps[0].setWeight: SetWeight needs to be between 0 and 100"
    );
}

#[test]
fn references_from_manifests_key_by_namespace() {
    let docs = [
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "here"}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "elsewhere", "namespace": "other"}}),
        json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "vs", "namespace": "other"},
               "spec": {"http": [{"name": "r", "route": [{"destination": {"host": "a", "subset": "s"}}]}]}}),
        json!({"apiVersion": "networking.istio.io/v1beta1", "kind": "DestinationRule", "metadata": {"name": "dr", "namespace": "prod"},
               "spec": {"subsets": [{"name": "canary"}, {"name": "stable"}]}}),
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "ClusterAnalysisTemplate", "metadata": {"name": "shared"}}),
    ];
    let refs = References::from_manifests(&docs, Some("prod"));
    assert_eq!(refs.services, Some(["here".to_owned()].into()));
    let vs = refs
        .virtual_services
        .as_ref()
        .and_then(|m| m.get("other/vs"))
        .expect("vs keyed by namespace");
    assert_eq!(vs.http[0].name.as_deref(), Some("r"));
    assert_eq!(
        vs.http[0].destinations,
        [RouteDestination {
            host: "a".into(),
            subset: Some("s".into())
        }]
    );
    assert_eq!(
        refs.destination_rules,
        Some(
            [(
                "dr".to_owned(),
                ["canary".to_owned(), "stable".to_owned()].into()
            )]
            .into()
        )
    );
    assert_eq!(refs.analysis_templates, Some(Default::default()));
    assert_eq!(
        refs.cluster_analysis_templates,
        Some(["shared".to_owned()].into())
    );
}
