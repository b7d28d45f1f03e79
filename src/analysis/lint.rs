//! Offline warnings about analyses that would measure nothing: an argument used as a Service host in a
//! query (`{{args.service}}.{{args.namespace}}.svc…`) whose value names no Service. The seed itself
//! passes `service: canary` while its Service is `istio-rollout-canary`: its query finds no data.

use std::collections::BTreeSet;

use crate::api::{AnalysisTemplateSpec, Rollout, RolloutAnalysis};

/// One warning: the field of the Rollout that sets the argument, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub field: String,
    pub message: String,
}

/// Names of arguments a query uses as the first label of a Kubernetes service host
/// (`{{args.x}}.<namespace>.svc…`; an argument right before `.svc` is the namespace, not the host).
pub fn host_args(query: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = query;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let inner = after[..end].trim();
        let tail = &after[end + 2..];
        // The rest of the host name: up to a quote, whitespace or a comma.
        let host_rest = tail.split(['"', '\'', ' ', ',', '\n']).next().unwrap_or("");
        if let Some(name) = inner.strip_prefix("args.")
            && let Some(after_dot) = host_rest.strip_prefix('.')
            && !after_dot.starts_with("svc")
            && host_rest.contains(".svc")
        {
            out.insert(name.trim().to_string());
        }
        rest = tail;
    }
    out
}

fn analyses(rollout: &Rollout) -> Vec<(String, &RolloutAnalysis)> {
    let mut out = vec![];
    let Some(canary) = rollout.canary() else {
        return out;
    };
    if let Some(bg) = &canary.analysis {
        out.push(("spec.strategy.canary.analysis".to_string(), &bg.analysis));
    }
    for (i, step) in canary.steps.iter().enumerate() {
        if let Some(a) = &step.analysis {
            out.push((format!("spec.strategy.canary.steps[{i}].analysis"), a));
        }
    }
    out
}

/// Warnings for `rollout` given the templates of the same set (by name) and the Services in it.
pub fn service_arg_warnings(
    rollout: &Rollout,
    template: &dyn Fn(&str) -> Option<AnalysisTemplateSpec>,
    services: &BTreeSet<String>,
) -> Vec<Warning> {
    let mut out = vec![];
    for (field, analysis) in analyses(rollout) {
        for t in &analysis.templates {
            let Some(spec) = template(&t.template_name) else {
                continue;
            };
            let mut used = BTreeSet::new();
            for m in &spec.metrics {
                if let Some(q) = m
                    .provider
                    .prometheus
                    .as_ref()
                    .and_then(|p| p.query.as_deref())
                {
                    used.extend(host_args(q));
                }
            }
            for (i, arg) in analysis.args.iter().enumerate() {
                let Some(value) = arg.value.as_deref() else {
                    continue;
                };
                if used.contains(&arg.name) && !services.contains(value) {
                    let known: Vec<&str> = services.iter().map(String::as_str).collect();
                    out.push(Warning {
                        field: format!("{field}.args[{i}].value"),
                        message: format!(
                            "warning: argument '{}' = '{value}' builds a Service host in template '{}' but no Service '{value}' is defined here (Services: {}); the query would return no data",
                            arg.name,
                            t.template_name,
                            if known.is_empty() { "none".to_string() } else { known.join(", ") }
                        ),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_arguments_in_queries() {
        let seed = r#"sum(irate(istio_requests_total{reporter="source",destination_service=~"{{args.service}}.{{args.namespace}}.svc.cluster.local",response_code!~"5.*"}[40s]))"#;
        assert_eq!(host_args(seed), BTreeSet::from(["service".to_string()]));
        assert_eq!(host_args(r#"up{job="{{ args.job }}"}"#), BTreeSet::new());
        assert_eq!(
            host_args(r#"x{destination_service="{{args.svc}}.prod.svc.cluster.local"}"#),
            BTreeSet::from(["svc".to_string()])
        );
    }

    #[test]
    fn the_seed_rollout_warns_about_its_service_argument() {
        let rollout: Rollout = serde_yaml::from_str(include_str!(
            "../../tests/fixtures/seed/rollout-with-analysis.yaml"
        ))
        .unwrap();
        let template: crate::api::AnalysisTemplate = serde_yaml::from_str(include_str!(
            "../../tests/fixtures/seed/istio-success-rate.yaml"
        ))
        .unwrap();
        let services = BTreeSet::from([
            "istio-rollout-canary".to_string(),
            "istio-rollout-stable".to_string(),
        ]);
        let lookup = |name: &str| (name == "istio-success-rate").then(|| template.spec.clone());
        let w = service_arg_warnings(&rollout, &lookup, &services);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].field, "spec.strategy.canary.analysis.args[0].value");
        assert!(
            w[0].message.contains("'canary'") && w[0].message.contains("istio-rollout-canary"),
            "{}",
            w[0].message
        );
        let fixed = serde_yaml::to_string(&rollout)
            .unwrap()
            .replace("value: canary", "value: istio-rollout-canary");
        let fixed: Rollout = serde_yaml::from_str(&fixed).unwrap();
        assert!(service_arg_warnings(&fixed, &lookup, &services).is_empty());
    }
}
