use serde_json::{Value, json};

use super::*;

const SUBDOMAIN_MSG: &str = r"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const KEY_NAME_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG_FULL: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

fn strings(errs: &[FieldError]) -> Vec<String> {
    errs.iter().map(ToString::to_string).collect()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn name_rules() {
    let long_label = "a".repeat(64);
    let long_subdomain = "a".repeat(254);
    let rows: Vec<(&str, NameRule, Vec<&str>)> = vec![
        ("my-app.v1", NameRule::DnsSubdomain, vec![]),
        ("My_App", NameRule::DnsSubdomain, vec![SUBDOMAIN_MSG]),
        (
            &long_subdomain,
            NameRule::DnsSubdomain,
            vec!["must be no more than 253 characters"],
        ),
        ("web", NameRule::DnsLabel, vec![]),
        ("123-abc", NameRule::DnsLabel, vec![]),
        ("a.b", NameRule::DnsLabel, vec!["must not contain dots"]),
        ("-a", NameRule::DnsLabel, vec![LABEL_MSG]),
        (
            &long_label,
            NameRule::DnsLabel,
            vec!["must be no more than 63 characters"],
        ),
        ("web", NameRule::Dns1035Label, vec![]),
        ("1abc", NameRule::Dns1035Label, vec![DNS1035_MSG]),
        ("system:controller:x", NameRule::PathSegment, vec![]),
        (
            "a/b%c",
            NameRule::PathSegment,
            vec!["may not contain '/'", "may not contain '%'"],
        ),
        ("..", NameRule::PathSegment, vec!["may not be '..'"]),
    ];
    for (name, rule, want) in rows {
        assert_eq!(validate_name(name, rule), s(&want), "{name} {rule:?}");
    }
    assert_eq!(
        validate_generate_name("web-", NameRule::DnsSubdomain),
        Vec::<String>::new()
    );
    assert_eq!(
        validate_generate_name("web-", NameRule::DnsLabel),
        Vec::<String>::new()
    );
    assert_eq!(
        validate_generate_name("Web-", NameRule::DnsSubdomain),
        s(&[SUBDOMAIN_MSG])
    );
    assert_eq!(name_rule_for("", "Namespace"), NameRule::DnsLabel);
    assert_eq!(name_rule_for("", "Service"), NameRule::Dns1035Label);
    assert_eq!(name_rule_for("apps", "Deployment"), NameRule::DnsSubdomain);
    assert_eq!(
        name_rule_for("argoproj.io", "Rollout"),
        NameRule::DnsSubdomain
    );
    assert_eq!(
        name_rule_for("rbac.authorization.k8s.io", "ClusterRole"),
        NameRule::PathSegment
    );
}

#[test]
fn label_key_and_value_rules() {
    let long_key = "k".repeat(64);
    let long_value = "v".repeat(64);
    let key_rows: Vec<(&str, Vec<String>)> = vec![
        ("app", vec![]),
        ("app.kubernetes.io/name", vec![]),
        ("MyName", vec![]),
        (
            "a/b/c",
            vec![format!(
                "a valid label key {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
            )],
        ),
        ("/name", vec!["prefix part must be non-empty".to_string()]),
        (
            "Example.com/name",
            vec![format!("prefix part {SUBDOMAIN_MSG}")],
        ),
        (
            "example.com/",
            vec![
                "name part must be non-empty".to_string(),
                KEY_NAME_MSG.to_string(),
            ],
        ),
        ("-bad", vec![KEY_NAME_MSG.to_string()]),
        (
            &long_key,
            vec!["name part must be no more than 63 characters".to_string()],
        ),
    ];
    for (k, want) in key_rows {
        assert_eq!(is_qualified_name(k), want, "{k}");
    }
    let value_rows: Vec<(&str, Vec<&str>)> = vec![
        ("", vec![]),
        ("v1.2_x", vec![]),
        ("-x", vec![LABEL_VALUE_MSG_FULL]),
        (&long_value, vec!["must be no more than 63 characters"]),
    ];
    for (v, want) in value_rows {
        assert_eq!(is_valid_label_value(v), s(&want), "{v}");
    }
}

#[test]
fn object_meta_rows() {
    let ns = NameRule::DnsSubdomain;
    let rows: Vec<(Value, bool, NameRule, Vec<String>)> = vec![
        (
            json!({"metadata": {"name": "web", "namespace": "default"}}),
            true,
            ns,
            vec![],
        ),
        (
            json!({"metadata": {}}),
            true,
            ns,
            s(&[
                "metadata.name: Required value: name or generateName is required",
                "metadata.namespace: Required value",
            ]),
        ),
        (
            json!({"metadata": {"generateName": "web-", "namespace": "d"}}),
            true,
            ns,
            vec![],
        ),
        (
            json!({"metadata": {"generateName": "Web-", "namespace": "d"}}),
            true,
            ns,
            vec![format!(
                r#"metadata.generateName: Invalid value: "Web-": {SUBDOMAIN_MSG}"#
            )],
        ),
        (
            json!({"metadata": {"name": "My_App", "namespace": "d"}}),
            true,
            ns,
            vec![format!(
                r#"metadata.name: Invalid value: "My_App": {SUBDOMAIN_MSG}"#
            )],
        ),
        (
            json!({"metadata": {"name": "x", "namespace": "d"}}),
            false,
            ns,
            s(&["metadata.namespace: Forbidden: not allowed on this type"]),
        ),
        (
            json!({"metadata": {"name": "x", "namespace": "Bad"}}),
            true,
            ns,
            vec![format!(
                r#"metadata.namespace: Invalid value: "Bad": {LABEL_MSG}"#
            )],
        ),
        (
            json!({"metadata": {"name": "x", "generation": -1}}),
            false,
            ns,
            s(&["metadata.generation: Invalid value: -1: must be greater than or equal to 0"]),
        ),
        (
            json!({"metadata": {"name": "x", "labels": {"-bad": "ok", "good": "-bad"}}}),
            false,
            ns,
            vec![
                format!(r#"metadata.labels: Invalid value: "-bad": {KEY_NAME_MSG}"#),
                format!(r#"metadata.labels: Invalid value: "-bad": {LABEL_VALUE_MSG_FULL}"#),
            ],
        ),
        (
            json!({"metadata": {"name": "x", "annotations": {"Example.COM/Some-Key": "v", "bad key": "v"}}}),
            false,
            ns,
            vec![format!(
                r#"metadata.annotations: Invalid value: "bad key": {KEY_NAME_MSG}"#
            )],
        ),
        (
            json!({"metadata": {"name": "x", "annotations": {"big": "x".repeat(262142)}}}),
            false,
            ns,
            s(&["metadata.annotations: Too long: may not be more than 262144 bytes"]),
        ),
        (
            json!({"metadata": {"name": "x", "annotations": {"big": "x".repeat(262141)}}}),
            false,
            ns,
            vec![],
        ),
        (
            json!({"metadata": {"name": "x", "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs"}]}}),
            false,
            ns,
            s(&[r#"metadata.ownerReferences.uid: Invalid value: "": uid must not be empty"#]),
        ),
        (
            json!({"metadata": {"name": "x", "ownerReferences": [{"apiVersion": "apps/", "uid": "u"}]}}),
            false,
            ns,
            s(&[
                r#"metadata.ownerReferences.apiVersion: Invalid value: "apps/": version must not be empty"#,
                r#"metadata.ownerReferences.kind: Invalid value: "": kind must not be empty"#,
                r#"metadata.ownerReferences.name: Invalid value: "": name must not be empty"#,
            ]),
        ),
        (
            json!({"metadata": {"name": "x", "ownerReferences": [
                {"apiVersion": "v1", "kind": "A", "name": "a", "uid": "1", "controller": true},
                {"apiVersion": "v1", "kind": "B", "name": "b", "uid": "2", "controller": true}
            ]}}),
            false,
            ns,
            s(&[
                r#"metadata.ownerReferences: Invalid value: [{"apiVersion":"v1","kind":"A","name":"a","uid":"1","controller":true},{"apiVersion":"v1","kind":"B","name":"b","uid":"2","controller":true}]: Only one reference can have Controller set to true. Found "true" in references for A/a and B/b"#,
            ]),
        ),
        (
            json!({"metadata": {"name": "x", "finalizers": ["example.com/cleanup", "a/b/c"]}}),
            false,
            ns,
            vec![format!(
                r#"metadata.finalizers: Invalid value: "a/b/c": {}"#,
                is_qualified_name("a/b/c")[0]
            )],
        ),
    ];
    for (obj, namespaced, rule, want) in rows {
        assert_eq!(
            strings(&validate_object_meta(&obj, namespaced, rule)),
            want,
            "{obj}"
        );
    }
}

fn service(spec: Value) -> Value {
    let mut svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "d"}, "spec": spec});
    default_builtin("", "Service", &mut svc);
    svc
}

#[test]
fn service_validation_rows() {
    let rows: Vec<(Value, Vec<&str>)> = vec![
        (
            json!({"selector": {"app": "web"}, "ports": [{"port": 80}]}),
            vec![],
        ),
        (
            json!({"selector": {"app": "web"}}),
            vec!["spec.ports: Required value"],
        ),
        (
            json!({"clusterIP": "None", "selector": {"app": "web"}}),
            vec![],
        ),
        (
            json!({"type": "ExternalName", "externalName": "db.example.com."}),
            vec![],
        ),
        (
            json!({"type": "ExternalName"}),
            vec!["spec.externalName: Required value"],
        ),
        (
            json!({"ports": [{"port": 70000}]}),
            vec![
                "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            ],
        ),
        (
            json!({"ports": [{"port": 80, "protocol": "HTTP"}]}),
            vec![
                r#"spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP""#,
            ],
        ),
        (
            json!({"ports": [{"port": 80}, {"port": 443}]}),
            vec![
                "spec.ports[0].name: Required value",
                "spec.ports[1].name: Required value",
            ],
        ),
        (
            json!({"ports": [{"name": "http", "port": 80}, {"name": "http", "port": 81}]}),
            vec![r#"spec.ports[1].name: Duplicate value: "http""#],
        ),
        (
            json!({"ports": [{"port": 80, "targetPort": "8080"}]}),
            vec![
                r#"spec.ports[0].targetPort: Invalid value: "8080": must contain at least one letter (a-z)"#,
            ],
        ),
        (
            json!({"ports": [{"port": 80, "targetPort": "http"}]}),
            vec![],
        ),
        (json!({"ports": [{"port": 80, "targetPort": 8080}]}), vec![]),
        (
            json!({"ports": [{"name": "x"}]}),
            vec![
                "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
            ],
        ),
        (
            json!({"ports": [{"port": 80}], "type": "Magic"}),
            vec![
                r#"spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort""#,
            ],
        ),
        (
            json!({"ports": [{"name": "a", "port": 80}, {"name": "b", "port": 80}]}),
            vec![
                r#"spec.ports[1]: Duplicate value: {"Name":"","Protocol":"TCP","AppProtocol":null,"Port":80,"TargetPort":0,"NodePort":0}"#,
            ],
        ),
        (
            json!({"ports": [{"port": 80, "nodePort": 30080}]}),
            vec!["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
        ),
    ];
    for (spec, want) in rows {
        let svc = service(spec.clone());
        assert_eq!(
            strings(&validate_builtin("", "Service", &svc)),
            s(&want),
            "{spec}"
        );
    }
}

fn deployment(spec: Value) -> Value {
    let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "d"}, "spec": spec});
    default_builtin("apps", "Deployment", &mut d);
    d
}

fn web_template() -> Value {
    json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}})
}

#[test]
fn deployment_validation_rows() {
    let mut no_containers = web_template();
    no_containers["spec"]["containers"] = json!([]);
    let mut bad_container = web_template();
    bad_container["spec"]["containers"] = json!([{"name": "Web"}]);
    let mut twins = web_template();
    twins["spec"]["containers"] = json!([{"name": "a", "image": "x"}, {"name": "a", "image": "y"}]);
    let mut never = web_template();
    never["spec"]["restartPolicy"] = json!("Never");
    let mut other_labels = web_template();
    other_labels["metadata"]["labels"] = json!({"app": "other", "tier": "x"});
    let sel = json!({"matchLabels": {"app": "web"}});
    let rows: Vec<(Value, Vec<String>)> = vec![
        (json!({"selector": sel, "template": web_template()}), vec![]),
        (
            json!({"template": web_template()}),
            s(&[
                "spec.selector: Required value",
                r#"spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`"#,
            ]),
        ),
        (
            json!({"selector": sel, "template": other_labels}),
            s(&[
                r#"spec.template.metadata.labels: Invalid value: {"app":"other","tier":"x"}: `selector` does not match template `labels`"#,
            ]),
        ),
        (
            json!({"replicas": -1, "selector": sel, "template": web_template()}),
            s(&["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]),
        ),
        (
            json!({"selector": sel, "template": no_containers}),
            s(&["spec.template.spec.containers: Required value"]),
        ),
        (
            json!({"selector": sel, "template": bad_container}),
            vec![
                format!(
                    r#"spec.template.spec.containers[0].name: Invalid value: "Web": {LABEL_MSG}"#
                ),
                "spec.template.spec.containers[0].image: Required value".to_string(),
            ],
        ),
        (
            json!({"selector": sel, "template": twins}),
            s(&[r#"spec.template.spec.containers[1].name: Duplicate value: "a""#]),
        ),
        (
            json!({"selector": {}, "template": web_template()}),
            s(&["spec.selector: Invalid value: {}: empty selector is invalid for deployment"]),
        ),
        (
            json!({"selector": sel, "template": never}),
            s(&[
                r#"spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always""#,
            ]),
        ),
        (
            json!({"selector": sel, "template": web_template(), "strategy": {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}}),
            s(&[
                "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
            ]),
        ),
        (
            json!({"selector": sel, "template": web_template(), "strategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"}}}),
            s(&[
                r#"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0"#,
            ]),
        ),
        (
            json!({"selector": sel, "template": web_template(), "strategy": {"rollingUpdate": {"maxUnavailable": "120%"}}}),
            s(&[
                r#"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "120%": must not be greater than 100%"#,
            ]),
        ),
        (
            json!({"selector": sel, "template": web_template(), "strategy": {"rollingUpdate": {"maxSurge": "lots"}}}),
            s(&[
                r#"spec.strategy.rollingUpdate.maxSurge: Invalid value: "lots": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"#,
            ]),
        ),
        (
            json!({"selector": sel, "template": web_template(), "strategy": {"type": "BlueGreen"}}),
            s(&[
                r#"spec.strategy: Unsupported value: {"Type":"BlueGreen","RollingUpdate":null}: supported values: "Recreate", "RollingUpdate""#,
            ]),
        ),
        (
            json!({"selector": {"matchExpressions": [{"key": "app", "operator": "Equals", "values": ["web"]}]}, "template": web_template()}),
            s(&[
                r#"spec.selector.matchExpressions[0].operator: Invalid value: "Equals": not a valid selector operator"#,
                r#"spec.selector: Invalid value: {"matchExpressions":[{"key":"app","operator":"Equals","values":["web"]}]}: invalid label selector"#,
            ]),
        ),
        (
            json!({"selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]}, "template": web_template()}),
            vec![],
        ),
        (
            json!({"selector": sel, "template": web_template(), "minReadySeconds": 700}),
            s(&[
                "spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds",
            ]),
        ),
    ];
    for (spec, want) in rows {
        let d = deployment(spec.clone());
        assert_eq!(
            strings(&validate_builtin("apps", "Deployment", &d)),
            want,
            "{spec}"
        );
    }
    // ReplicaSets get the same selector/template checks
    let mut rs = json!({"spec": {"template": web_template()}});
    default_builtin("apps", "ReplicaSet", &mut rs);
    assert_eq!(
        strings(&validate_builtin("apps", "ReplicaSet", &rs)),
        s(&[
            "spec.selector: Required value",
            r#"spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`"#,
        ])
    );
}

#[test]
fn pod_and_other_kinds() {
    let mut pod = json!({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 0}, {"containerPort": 80, "name": "HTTP"}]}], "restartPolicy": "Sometimes"}});
    default_builtin("", "Pod", &mut pod);
    assert_eq!(
        strings(&validate_builtin("", "Pod", &pod)),
        s(&[
            "spec.containers[0].image: Required value",
            "spec.containers[0].ports[0].containerPort: Required value",
            r#"spec.containers[0].ports[1].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"#,
            r#"spec.containers[0].ports[1].name: Invalid value: "HTTP": must contain at least one letter (a-z)"#,
            r#"spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never""#,
        ])
    );

    let cm = json!({"data": {"good.key": "v", "bad key": "v", "..": "v"}, "binaryData": {"good.key": "dg=="}});
    assert_eq!(
        strings(&validate_builtin("", "ConfigMap", &cm)),
        s(&[
            r#"data[good.key]: Invalid value: "good.key": duplicate of key present in binaryData"#,
            r#"data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"#,
            r#"data[..]: Invalid value: "..": must not be '..'"#,
            r#"binaryData[good.key]: Invalid value: "good.key": duplicate of key present in data"#,
        ])
    );

    let mut tls =
        json!({"type": "kubernetes.io/tls", "stringData": {"tls.crt": "x", "bad/key": "y"}});
    default_builtin("", "Secret", &mut tls);
    assert_eq!(
        strings(&validate_builtin("", "Secret", &tls)),
        s(&[
            r#"data[bad/key]: Invalid value: "bad/key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"#,
            "data[tls.key]: Required value",
        ])
    );

    let lease = json!({"spec": {"holderIdentity": "me", "leaseDurationSeconds": 0, "leaseTransitions": -1}});
    assert_eq!(
        strings(&validate_builtin("coordination.k8s.io", "Lease", &lease)),
        s(&[
            "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
            "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
        ])
    );
    let ok_lease = json!({"spec": {"holderIdentity": "me", "leaseDurationSeconds": 15}});
    assert_eq!(
        validate_builtin("coordination.k8s.io", "Lease", &ok_lease),
        vec![]
    );

    let mut ns = json!({"metadata": {"name": "team-a"}, "spec": {"finalizers": ["foo"]}});
    default_builtin("", "Namespace", &mut ns);
    assert_eq!(
        strings(&validate_builtin("", "Namespace", &ns)),
        s(&[
            r#"spec.finalizers: Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified"#
        ])
    );
    assert_eq!(
        validate_builtin("example.com", "Widget", &json!({})),
        vec![]
    );
}

#[test]
fn service_defaults() {
    let svc = service(
        json!({"selector": {"app": "web"}, "ports": [{"port": 80}, {"port": 443, "targetPort": "https", "protocol": "TCP"}]}),
    );
    assert_eq!(
        svc["spec"],
        json!({
            "selector": {"app": "web"},
            "ports": [
                {"port": 80, "protocol": "TCP", "targetPort": 80},
                {"port": 443, "targetPort": "https", "protocol": "TCP"}
            ],
            "sessionAffinity": "None",
            "type": "ClusterIP",
            "internalTrafficPolicy": "Cluster",
            "ipFamilyPolicy": "SingleStack",
            "ipFamilies": ["IPv4"]
        })
    );
    let mut svc = svc;
    assert!(service_needs_cluster_ip(&svc));
    set_service_cluster_ip(&mut svc, "10.96.0.10");
    assert_eq!(svc["spec"]["clusterIP"], "10.96.0.10");
    assert_eq!(svc["spec"]["clusterIPs"], json!(["10.96.0.10"]));
    assert!(!service_needs_cluster_ip(&svc));
    assert_eq!(service_ports_needing_node_port(&svc), Vec::<usize>::new());

    let np = service(
        json!({"type": "NodePort", "ports": [{"port": 80}, {"port": 81, "nodePort": 30081}]}),
    );
    assert_eq!(np["spec"]["externalTrafficPolicy"], "Cluster");
    assert_eq!(service_ports_needing_node_port(&np), vec![0]);
    let lb = service(json!({"type": "LoadBalancer", "ports": [{"port": 80}]}));
    assert_eq!(lb["spec"]["allocateLoadBalancerNodePorts"], true);
    let ext = service(json!({"type": "ExternalName", "externalName": "db.example.com"}));
    assert_eq!(
        ext["spec"],
        json!({"type": "ExternalName", "externalName": "db.example.com", "sessionAffinity": "None"})
    );
    assert!(!service_needs_cluster_ip(&ext));
    let headless = service(json!({"clusterIP": "None", "ports": [{"port": 80}]}));
    assert_eq!(headless["spec"]["clusterIPs"], json!(["None"]));
    assert_eq!(headless["spec"]["ipFamilyPolicy"], "RequireDualStack");
    let affinity = service(json!({"sessionAffinity": "ClientIP", "ports": [{"port": 80}]}));
    assert_eq!(
        affinity["spec"]["sessionAffinityConfig"],
        json!({"clientIP": {"timeoutSeconds": 10800}})
    );
}

#[test]
fn deployment_defaults() {
    let d = deployment(json!({
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
            {"name": "web", "image": "nginx", "ports": [{"containerPort": 80}],
             "readinessProbe": {"httpGet": {"port": 80}}}
        ]}}
    }));
    assert_eq!(
        d["spec"],
        json!({
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                "containers": [{
                    "name": "web", "image": "nginx",
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "readinessProbe": {"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
                        "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
                    "imagePullPolicy": "Always",
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "resources": {}
                }],
                "restartPolicy": "Always",
                "dnsPolicy": "ClusterFirst",
                "securityContext": {},
                "terminationGracePeriodSeconds": 30,
                "schedulerName": "default-scheduler"
            }},
            "replicas": 1,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600
        })
    );
    // explicit values are kept
    let d = deployment(
        json!({"replicas": 0, "strategy": {"type": "Recreate"}, "revisionHistoryLimit": 0}),
    );
    assert_eq!(d["spec"]["replicas"], 0);
    assert_eq!(d["spec"]["strategy"], json!({"type": "Recreate"}));
    assert_eq!(d["spec"]["revisionHistoryLimit"], 0);
}

#[test]
fn image_pull_policy_rows() {
    let rows = [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.25", "IfNotPresent"),
        ("registry.local:5000/team/app", "Always"),
        ("registry.local:5000/team/app:v1", "IfNotPresent"),
        ("app@sha256:0123456789abcdef", "IfNotPresent"),
        ("app:latest@sha256:0123456789abcdef", "Always"),
        ("argoproj/rollouts-demo:blue", "IfNotPresent"),
        ("Invalid/Name", "IfNotPresent"),
    ];
    for (image, want) in rows {
        let mut pod = json!({"spec": {"containers": [{"name": "c", "image": image}]}});
        default_builtin("", "Pod", &mut pod);
        assert_eq!(
            pod["spec"]["containers"][0]["imagePullPolicy"], want,
            "{image}"
        );
    }
    let mut pod = json!({"spec": {"containers": [{"name": "c", "image": "nginx", "imagePullPolicy": "Never"}]}});
    default_builtin("", "Pod", &mut pod);
    assert_eq!(pod["spec"]["containers"][0]["imagePullPolicy"], "Never");
}

#[test]
fn pod_namespace_secret_defaults() {
    let mut pod = json!({"spec": {
        "containers": [{"name": "c", "image": "x:1", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
            "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}],
        "volumes": [{"name": "a"}, {"name": "b", "secret": {"secretName": "s"}}, {"name": "c", "configMap": {"name": "m"}}]
    }});
    default_builtin("", "Pod", &mut pod);
    assert_eq!(pod["spec"]["enableServiceLinks"], true);
    assert_eq!(
        pod["spec"]["containers"][0]["resources"]["requests"],
        json!({"cpu": "1", "memory": "1Gi"})
    );
    assert_eq!(
        pod["spec"]["containers"][0]["env"][0]["valueFrom"]["fieldRef"]["apiVersion"],
        "v1"
    );
    assert_eq!(pod["spec"]["volumes"][0]["emptyDir"], json!({}));
    assert_eq!(pod["spec"]["volumes"][1]["secret"]["defaultMode"], 420);
    assert_eq!(pod["spec"]["volumes"][2]["configMap"]["defaultMode"], 420);
    assert_eq!(
        pod["status"],
        json!({"phase": "Pending", "qosClass": "Guaranteed"})
    );
    let mut best_effort = json!({"spec": {"containers": [{"name": "c", "image": "x"}]}});
    default_builtin("", "Pod", &mut best_effort);
    assert_eq!(best_effort["status"]["qosClass"], "BestEffort");

    let mut ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}});
    default_builtin("", "Namespace", &mut ns);
    assert_eq!(
        ns,
        json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "team-a", "labels": {"kubernetes.io/metadata.name": "team-a"}},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"}
        })
    );

    let mut secret = json!({"stringData": {"password": "s3cret"}, "data": {"user": "YWRtaW4="}});
    default_builtin("", "Secret", &mut secret);
    assert_eq!(
        secret,
        json!({"type": "Opaque", "data": {"user": "YWRtaW4=", "password": "czNjcmV0"}})
    );

    let mut cm = json!({"data": {"k": "v"}});
    default_builtin("", "ConfigMap", &mut cm);
    assert_eq!(cm, json!({"data": {"k": "v"}}));
}

#[test]
fn selector_matching() {
    let labels = json!({"app": "web", "tier": "front"});
    let labels = labels.as_object().unwrap();
    let rows = [
        (json!({}), Some(true)),
        (json!({"matchLabels": {"app": "web"}}), Some(true)),
        (json!({"matchLabels": {"app": "api"}}), Some(false)),
        (
            json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "back"]}]}),
            Some(true),
        ),
        (
            json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}),
            Some(false),
        ),
        (
            json!({"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}),
            Some(true),
        ),
        (
            json!({"matchExpressions": [{"key": "app", "operator": "Exists"}]}),
            Some(true),
        ),
        (
            json!({"matchExpressions": [{"key": "app", "operator": "In", "values": []}]}),
            None,
        ),
        (
            json!({"matchExpressions": [{"key": "app", "operator": "Near"}]}),
            None,
        ),
    ];
    for (sel, want) in rows {
        assert_eq!(selector_matches(&sel, labels), want, "{sel}");
    }
}
