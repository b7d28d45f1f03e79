//! The committed CRDs in `deploy/crds/` are what `gitcanary::api::crds()` generates, and every CRD
//! we install (ours and the Istio test fixtures) has a structural schema, as the real API server
//! requires. Regenerate with `UPDATE_CRDS=1 cargo test --test it crds`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};
use serde::Deserialize;

const HEADER: &str =
    "# Generated from src/api by `UPDATE_CRDS=1 cargo test --test it crds`; do not edit.\n";

fn crd_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/crds")
}

/// The files `deploy/crds/` must contain, with their exact content.
fn expected_files() -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut resources = String::new();
    for crd in gitcanary::api::crds() {
        let name = format!(
            "{}.yaml",
            crd.metadata
                .name
                .as_deref()
                .expect("generated CRDs are named")
        );
        let yaml = serde_yaml::to_string(&crd).expect("a CRD serializes");
        resources.push_str(&format!("- {name}\n"));
        files.push((name, format!("{HEADER}{yaml}")));
    }
    let kustomization = format!(
        "{HEADER}apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n{resources}"
    );
    files.push(("kustomization.yaml".to_owned(), kustomization));
    files
}

#[test]
fn committed_crds_match_the_types() {
    let update = std::env::var_os("UPDATE_CRDS").is_some_and(|v| v == "1");
    let dir = crd_dir();
    let mut stale = Vec::new();
    for (name, content) in expected_files() {
        let path = dir.join(&name);
        if fs::read_to_string(&path).ok().as_deref() == Some(content.as_str()) {
            continue;
        }
        if update {
            fs::create_dir_all(&dir).expect("create deploy/crds");
            fs::write(&path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        } else {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "deploy/crds is out of date with src/api ({}); regenerate with `UPDATE_CRDS=1 cargo test --test it crds` and commit",
        stale.join(", ")
    );
}

/// Checks the rules of a structural schema (Kubernetes "Specifying a structural schema") plus the
/// things we never want generated (`default`, unusual formats), collecting every violation.
fn check_structural(schema: &JSONSchemaProps, path: &str, problems: &mut Vec<String>) {
    let typed = schema.type_.is_some()
        || schema.x_kubernetes_int_or_string == Some(true)
        || schema.x_kubernetes_preserve_unknown_fields == Some(true);
    if !typed {
        problems.push(format!("{path}: no type"));
    }
    if schema.any_of.is_some()
        || schema.one_of.is_some()
        || schema.all_of.is_some()
        || schema.not.is_some()
    {
        problems.push(format!("{path}: logical junctor (anyOf/oneOf/allOf/not)"));
    }
    if schema.default.is_some() {
        problems.push(format!("{path}: default"));
    }
    if schema.ref_path.is_some() || schema.definitions.is_some() {
        problems.push(format!("{path}: $ref or definitions"));
    }
    if let Some(format) = &schema.format
        && !["int32", "int64", "double", "date-time", "byte"].contains(&format.as_str())
    {
        problems.push(format!("{path}: format {format}"));
    }
    if schema.properties.is_some() && schema.additional_properties.is_some() {
        problems.push(format!("{path}: both properties and additionalProperties"));
    }
    if let Some(values) = &schema.enum_
        && values.iter().any(|v| v.0.is_null())
    {
        problems.push(format!("{path}: null enum member"));
    }
    if schema.x_kubernetes_preserve_unknown_fields == Some(true)
        && !matches!(
            schema.type_.as_deref(),
            Some("object") | Some("array") | None
        )
    {
        problems.push(format!("{path}: preserve-unknown-fields on a scalar"));
    }
    for (name, child) in schema.properties.iter().flatten() {
        check_structural(child, &format!("{path}.{name}"), problems);
    }
    match &schema.items {
        Some(JSONSchemaPropsOrArray::Schema(item)) => {
            check_structural(item, &format!("{path}[]"), problems)
        }
        Some(JSONSchemaPropsOrArray::Schemas(_)) => problems.push(format!("{path}: tuple items")),
        None => {}
    }
    if let Some(JSONSchemaPropsOrBool::Schema(values)) = &schema.additional_properties {
        check_structural(values, &format!("{path}{{}}"), problems);
    }
}

fn structural_problems(crd: &CustomResourceDefinition) -> Vec<String> {
    let mut problems = Vec::new();
    let name = crd.metadata.name.clone().unwrap_or_default();
    for version in &crd.spec.versions {
        let path = format!("{name}/{}", version.name);
        let Some(schema) = version
            .schema
            .as_ref()
            .and_then(|s| s.open_api_v3_schema.as_ref())
        else {
            problems.push(format!("{path}: no schema"));
            continue;
        };
        if schema.type_.as_deref() != Some("object") {
            problems.push(format!("{path}: root is not an object"));
        }
        if let Some(metadata) = schema.properties.as_ref().and_then(|p| p.get("metadata")) {
            let fields: BTreeSet<_> = metadata
                .properties
                .iter()
                .flatten()
                .map(|(k, _)| k.as_str())
                .collect();
            if !fields.is_subset(&BTreeSet::from(["name", "generateName"])) {
                problems.push(format!(
                    "{path}: metadata constrains more than name/generateName"
                ));
            }
        }
        check_structural(schema, &path, &mut problems);
    }
    problems
}

#[test]
fn generated_crds_are_structural() {
    for crd in gitcanary::api::crds() {
        let problems = structural_problems(&crd);
        assert!(
            problems.is_empty(),
            "not structural:\n{}",
            problems.join("\n")
        );
    }
}

#[test]
fn the_checker_catches_what_schemars_would_produce_unfixed() {
    let raw: CustomResourceDefinition = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "things.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"kind": "Thing", "plural": "things"},
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {
                    "spec": {"type": "object", "properties": {
                        "untyped": {"description": "no type"},
                        "optionalIntOrString": {"anyOf": [
                            {"x-kubernetes-int-or-string": true}, {"enum": [null], "nullable": true}]},
                        "phase": {"type": "string", "enum": ["A", null], "nullable": true},
                        "count": {"type": "integer", "format": "uint32", "minimum": 0},
                        "reason": {"type": "string", "default": ""}
                    }}
                }
            }}}]
        }
    }))
    .expect("valid CRD JSON");
    let problems = structural_problems(&raw);
    for expected in [
        "untyped: no type",
        "optionalIntOrString: logical junctor",
        "null enum member",
        "format uint32",
        "reason: default",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{expected} not caught in {problems:?}"
        );
    }
}

#[test]
fn crds_have_argo_names_and_subresources() {
    let crds = gitcanary::api::crds();
    let summary: Vec<_> = crds
        .iter()
        .map(|crd| {
            (
                crd.metadata.name.clone().unwrap_or_default(),
                crd.spec.scope.clone(),
                crd.spec.names.short_names.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "rollouts.argoproj.io".to_owned(),
                "Namespaced".to_owned(),
                vec!["ro".to_owned()]
            ),
            (
                "analysistemplates.argoproj.io".to_owned(),
                "Namespaced".to_owned(),
                vec!["at".to_owned()]
            ),
            (
                "clusteranalysistemplates.argoproj.io".to_owned(),
                "Cluster".to_owned(),
                vec!["cat".to_owned()]
            ),
            (
                "analysisruns.argoproj.io".to_owned(),
                "Namespaced".to_owned(),
                vec!["ar".to_owned()]
            ),
        ]
    );

    let rollout = &crds[0].spec.versions[0];
    let subresources = rollout.subresources.as_ref().expect("rollout subresources");
    assert!(subresources.status.is_some());
    let scale = subresources
        .scale
        .as_ref()
        .expect("rollout scale subresource");
    assert_eq!(scale.spec_replicas_path, ".spec.replicas");
    assert_eq!(scale.status_replicas_path, ".status.replicas");
    assert_eq!(
        scale.label_selector_path.as_deref(),
        Some(".status.selector")
    );
    let columns: Vec<_> = rollout
        .additional_printer_columns
        .iter()
        .flatten()
        .map(|c| (c.name.as_str(), c.json_path.as_str()))
        .collect();
    assert_eq!(
        columns,
        [
            ("Desired", ".spec.replicas"),
            ("Current", ".status.replicas"),
            ("Up-to-date", ".status.updatedReplicas"),
            ("Available", ".status.availableReplicas"),
            ("Age", ".metadata.creationTimestamp"),
        ]
    );

    let run = &crds[3].spec.versions[0];
    assert!(
        run.subresources
            .as_ref()
            .and_then(|s| s.status.as_ref())
            .is_some()
    );
    let columns: Vec<_> = run
        .additional_printer_columns
        .iter()
        .flatten()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(columns, ["Status", "Age"]);
}

/// The pod template and the unsupported Argo fields must be stored as given, never pruned.
#[test]
fn schemaless_fields_keep_unknown_content() {
    let crds = gitcanary::api::crds();
    let schema = crds[0].spec.versions[0]
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .expect("schema");
    let lookup = |path: &[&str]| -> JSONSchemaProps {
        let mut node = schema.clone();
        for key in path {
            node = match (*key, &node.items) {
                ("[]", Some(JSONSchemaPropsOrArray::Schema(item))) => (**item).clone(),
                _ => node
                    .properties
                    .as_ref()
                    .and_then(|p| p.get(*key))
                    .cloned()
                    .unwrap_or_else(|| panic!("no {key} in {path:?}")),
            };
        }
        node
    };
    let preserved = [
        vec!["spec", "template"],
        vec!["spec", "workloadRef"],
        vec!["spec", "strategy", "blueGreen"],
        vec!["spec", "strategy", "canary", "pingPong"],
        vec!["spec", "strategy", "canary", "steps", "[]"],
        vec!["spec", "strategy", "canary", "steps", "[]", "experiment"],
        vec!["spec", "strategy", "canary", "trafficRouting", "nginx"],
        vec![
            "spec",
            "strategy",
            "canary",
            "trafficRouting",
            "managedRoutes",
            "[]",
        ],
    ];
    for path in preserved {
        assert_eq!(
            lookup(&path).x_kubernetes_preserve_unknown_fields,
            Some(true),
            "{path:?}"
        );
    }
    assert_eq!(
        lookup(&[
            "spec",
            "strategy",
            "canary",
            "trafficRouting",
            "managedRoutes"
        ])
        .type_
        .as_deref(),
        Some("array")
    );
    let pause = lookup(&[
        "spec", "strategy", "canary", "steps", "[]", "pause", "duration",
    ]);
    assert_eq!(pause.x_kubernetes_int_or_string, Some(true));
    assert!(pause.any_of.is_none());
}

fn istio_crds() -> Vec<CustomResourceDefinition> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crds/istio.yaml");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| {
            CustomResourceDefinition::deserialize(doc).expect("an Istio fixture document is a CRD")
        })
        .collect()
}

#[test]
fn istio_fixture_crds_serve_every_version_and_store_v1() {
    let crds = istio_crds();
    let names: Vec<_> = crds
        .iter()
        .map(|c| {
            (
                c.spec.names.kind.as_str(),
                c.spec.names.short_names.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("VirtualService", vec!["vs".to_owned()]),
            ("DestinationRule", vec!["dr".to_owned()]),
            ("Gateway", vec!["gw".to_owned()]),
        ]
    );
    for crd in &crds {
        assert_eq!(crd.spec.group, "networking.istio.io");
        let versions: Vec<_> = crd
            .spec
            .versions
            .iter()
            .map(|v| (v.name.as_str(), v.served, v.storage))
            .collect();
        assert_eq!(
            versions,
            [
                ("v1", true, true),
                ("v1alpha3", true, false),
                ("v1beta1", true, false)
            ]
        );
        for version in &crd.spec.versions {
            assert!(
                version
                    .subresources
                    .as_ref()
                    .and_then(|s| s.status.as_ref())
                    .is_some()
            );
        }
        let problems = structural_problems(crd);
        assert!(
            problems.is_empty(),
            "not structural:\n{}",
            problems.join("\n")
        );
    }
}
