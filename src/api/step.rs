//! Canary steps: what one step of the release recipe asks for, and Argo's one-line rendering of it.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::schema::{is_false, null_as_default, preserve_unknown_object};
use super::{DryRun, FieldRef, MeasurementRetention};

/// One step of `spec.strategy.canary.steps`. Exactly one field should be set; several, none, or an
/// unknown key is an invalid spec, which is why unknown keys are captured rather than dropped.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CanaryStep {
    /// Percentage of traffic sent to the canary, 0–100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_weight: Option<i32>,
    /// Wait: forever (until promoted) without a duration, otherwise for the duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<RolloutPause>,
    /// Judge the canary with an AnalysisRun; the step completes when it succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<RolloutAnalysis>,
    /// Scale the canary independently of its traffic weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_canary_scale: Option<SetCanaryScale>,
    /// Argo's experiment step. Not implemented by gitcanary; kept so it can be reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_object")]
    pub experiment: Option<serde_json::Value>,
    /// Argo's header-based route step. Not implemented by gitcanary; kept so it can be reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_object")]
    pub set_header_route: Option<serde_json::Value>,
    /// Argo's traffic mirroring step. Not implemented by gitcanary; kept so it can be reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_object")]
    pub set_mirror_route: Option<serde_json::Value>,
    /// Argo's step plugin. Not implemented by gitcanary; kept so it can be reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_object")]
    pub plugin: Option<serde_json::Value>,
    /// Keys that are no step kind at all (typically a typo), kept so validation can name them.
    #[serde(flatten)]
    pub unknown: BTreeMap<String, serde_json::Value>,
}

/// `pause`: `{}` waits for a promotion, `{duration: …}` for a time.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutPause {
    /// Seconds as an integer, or a string: bare seconds (`"30"`) or a Go duration (`"20s"`, `"1h30m"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<IntOrString>,
}

/// `setCanaryScale`: exactly one of the three should be set.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SetCanaryScale {
    /// Canary size as a percentage of `spec.replicas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
    /// Canary size as a pod count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Go back to sizing the canary by its traffic weight.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_false"
    )]
    pub match_traffic_weight: bool,
}

/// An analysis as a Rollout asks for it, in a step or in the background.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutAnalysis {
    /// Templates whose metrics are combined into one AnalysisRun.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub templates: Vec<RolloutAnalysisTemplate>,
    /// Values for the templates' arguments; they override the templates' own values.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub args: Vec<AnalysisRunArgument>,
    /// Metrics (by name regex) that are measured but cannot fail the run.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dry_run: Vec<DryRun>,
    /// How many measurements to keep per metric (by name regex).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub measurement_retention: Vec<MeasurementRetention>,
    /// Labels and annotations put on the AnalysisRun, so it can be found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis_run_metadata: Option<AnalysisRunMetadata>,
}

/// A reference to an AnalysisTemplate, or a ClusterAnalysisTemplate with `clusterScope`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutAnalysisTemplate {
    /// Name of the template.
    pub template_name: String,
    /// Look the name up among ClusterAnalysisTemplates.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_false"
    )]
    pub cluster_scope: bool,
}

/// An argument the Rollout passes to an AnalysisRun: a literal or a value taken from the Rollout.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisRunArgument {
    /// Argument name as the template declares it.
    pub name: String,
    /// Literal value; exclusive with `valueFrom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Where to take the value from; exclusive with `value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<ArgumentValueFrom>,
}

/// `valueFrom` of a Rollout-side argument.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArgumentValueFrom {
    /// `Stable` or `Latest`: the pod template hash of that ReplicaSet, to query its pods only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_template_hash_value: Option<String>,
    /// A field of the Rollout, e.g. `metadata.namespace` or `metadata.labels['app']`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_ref: Option<FieldRef>,
}

/// Labels and annotations added to created AnalysisRuns.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisRunMetadata {
    /// Extra labels.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    /// Extra annotations.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub annotations: BTreeMap<String, String>,
}

/// The kinds a step can be, in Argo's order of precedence when several are (wrongly) set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    SetWeight,
    Pause,
    Experiment,
    Analysis,
    SetCanaryScale,
    SetHeaderRoute,
    SetMirrorRoute,
    Plugin,
}

impl StepKind {
    /// The step's key in YAML.
    pub fn key(self) -> &'static str {
        match self {
            StepKind::SetWeight => "setWeight",
            StepKind::Pause => "pause",
            StepKind::Experiment => "experiment",
            StepKind::Analysis => "analysis",
            StepKind::SetCanaryScale => "setCanaryScale",
            StepKind::SetHeaderRoute => "setHeaderRoute",
            StepKind::SetMirrorRoute => "setMirrorRoute",
            StepKind::Plugin => "plugin",
        }
    }

    /// Whether gitcanary runs this kind of step (the others are accepted but reported).
    pub fn is_supported(self) -> bool {
        matches!(
            self,
            StepKind::SetWeight | StepKind::Pause | StepKind::Analysis | StepKind::SetCanaryScale
        )
    }
}

impl CanaryStep {
    /// Every known kind set on this step, in precedence order; a valid step has exactly one.
    pub fn kinds(&self) -> Vec<StepKind> {
        let set = [
            (self.set_weight.is_some(), StepKind::SetWeight),
            (self.pause.is_some(), StepKind::Pause),
            (self.experiment.is_some(), StepKind::Experiment),
            (self.analysis.is_some(), StepKind::Analysis),
            (self.set_canary_scale.is_some(), StepKind::SetCanaryScale),
            (self.set_header_route.is_some(), StepKind::SetHeaderRoute),
            (self.set_mirror_route.is_some(), StepKind::SetMirrorRoute),
            (self.plugin.is_some(), StepKind::Plugin),
        ];
        set.into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, kind)| kind)
            .collect()
    }

    /// The kind that decides what the step does: the first set one, as in Argo.
    pub fn kind(&self) -> Option<StepKind> {
        self.kinds().into_iter().next()
    }
}

/// The `name` of an unsupported step's object, which Argo prints for route and plugin steps.
fn value_name(value: Option<&serde_json::Value>) -> &str {
    value
        .and_then(|v| v.get("name"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
}

/// Argo's rendering used in events, conditions and the CLI: `setWeight: 10`, `pause`, `pause: 20s`,
/// `analysis`, `setCanaryScale{weight: 50}`, …, and `invalid` for a step with no kind.
impl fmt::Display for CanaryStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind() {
            Some(StepKind::SetWeight) => {
                write!(f, "setWeight: {}", self.set_weight.unwrap_or_default())
            }
            Some(StepKind::Pause) => match self.pause.as_ref().and_then(|p| p.duration.as_ref()) {
                Some(IntOrString::Int(seconds)) => write!(f, "pause: {seconds}"),
                Some(IntOrString::String(text)) => write!(f, "pause: {text}"),
                None => f.write_str("pause"),
            },
            Some(StepKind::Experiment) => f.write_str("experiment"),
            Some(StepKind::Analysis) => f.write_str("analysis"),
            Some(StepKind::SetCanaryScale) => {
                let scale = self.set_canary_scale.as_ref();
                match scale.map(|s| (s.weight, s.match_traffic_weight, s.replicas)) {
                    Some((Some(weight), _, _)) => write!(f, "setCanaryScale{{weight: {weight}}}"),
                    Some((None, true, _)) => {
                        f.write_str("setCanaryScale{matchTrafficWeight: true}")
                    }
                    Some((None, false, Some(replicas))) => {
                        write!(f, "setCanaryScale{{replicas: {replicas}}}")
                    }
                    _ => f.write_str("invalid"),
                }
            }
            Some(StepKind::SetHeaderRoute) => {
                write!(
                    f,
                    "setHeaderRoute: {}",
                    value_name(self.set_header_route.as_ref())
                )
            }
            Some(StepKind::SetMirrorRoute) => {
                write!(
                    f,
                    "setMirrorRoute: {}",
                    value_name(self.set_mirror_route.as_ref())
                )
            }
            Some(StepKind::Plugin) => write!(f, "plugin: {}", value_name(self.plugin.as_ref())),
            None => f.write_str("invalid"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(json: serde_json::Value) -> CanaryStep {
        serde_json::from_value(json).expect("a step")
    }

    #[test]
    fn steps_render_like_argo() {
        let cases = [
            (serde_json::json!({"setWeight": 10}), "setWeight: 10"),
            (serde_json::json!({"pause": {}}), "pause"),
            (
                serde_json::json!({"pause": {"duration": "20s"}}),
                "pause: 20s",
            ),
            (serde_json::json!({"pause": {"duration": 30}}), "pause: 30"),
            (
                serde_json::json!({"analysis": {"templates": [{"templateName": "t"}]}}),
                "analysis",
            ),
            (
                serde_json::json!({"setCanaryScale": {"weight": 25}}),
                "setCanaryScale{weight: 25}",
            ),
            (
                serde_json::json!({"setCanaryScale": {"replicas": 3}}),
                "setCanaryScale{replicas: 3}",
            ),
            (
                serde_json::json!({"setCanaryScale": {"matchTrafficWeight": true}}),
                "setCanaryScale{matchTrafficWeight: true}",
            ),
            (
                serde_json::json!({"setCanaryScale": {"weight": 5, "matchTrafficWeight": true}}),
                "setCanaryScale{weight: 5}",
            ),
            (serde_json::json!({"setCanaryScale": {}}), "invalid"),
            (
                serde_json::json!({"experiment": {"templates": []}}),
                "experiment",
            ),
            (
                serde_json::json!({"setHeaderRoute": {"name": "hdr"}}),
                "setHeaderRoute: hdr",
            ),
            (
                serde_json::json!({"setMirrorRoute": {"name": "mirror"}}),
                "setMirrorRoute: mirror",
            ),
            (
                serde_json::json!({"plugin": {"name": "p", "config": {}}}),
                "plugin: p",
            ),
            (serde_json::json!({}), "invalid"),
            (serde_json::json!({"setWieght": 10}), "invalid"),
            (
                serde_json::json!({"setWeight": 10, "pause": {}}),
                "setWeight: 10",
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(step(json.clone()).to_string(), expected, "{json}");
        }
    }

    #[test]
    fn kinds_list_everything_set_and_unknown_keys_are_kept() {
        let both = step(serde_json::json!({"setWeight": 10, "experiment": {}, "setWieght": 5}));
        assert_eq!(both.kinds(), [StepKind::SetWeight, StepKind::Experiment]);
        assert_eq!(both.kind(), Some(StepKind::SetWeight));
        assert_eq!(both.unknown.keys().collect::<Vec<_>>(), ["setWieght"]);
        assert!(!StepKind::Experiment.is_supported());
        assert!(StepKind::SetCanaryScale.is_supported());
    }
}
