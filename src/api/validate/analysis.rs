//! Checks of an analysis a Rollout asks for (a step's or the background one).

use super::{Problems, References};
use crate::api::RolloutAnalysis;

/// Argo's `podTemplateHashValue` choices.
const POD_TEMPLATE_HASH_VALUES: [&str; 2] = ["Stable", "Latest"];

pub(super) fn check_analysis(
    field: &str,
    analysis: &RolloutAnalysis,
    refs: &References,
    problems: &mut Problems,
) {
    if analysis.templates.is_empty() {
        problems.push(
            format!("{field}.templates"),
            "at least one template is required",
        );
    }
    for (index, template) in analysis.templates.iter().enumerate() {
        let template_field = format!("{field}.templates[{index}].templateName");
        let name = template.template_name.as_str();
        if name.is_empty() {
            problems.push(&template_field, "templateName is required");
            continue;
        }
        let (known, kind) = if template.cluster_scope {
            (&refs.cluster_analysis_templates, "ClusterAnalysisTemplate")
        } else {
            (&refs.analysis_templates, "AnalysisTemplate")
        };
        if known.as_ref().is_some_and(|names| !names.contains(name)) {
            problems.push(&template_field, format!("{kind} '{name}' not found"));
        }
    }
    for (index, arg) in analysis.args.iter().enumerate() {
        let arg_field = format!("{field}.args[{index}]");
        if arg.name.is_empty() {
            problems.push(format!("{arg_field}.name"), "name is required");
        }
        match (&arg.value, &arg.value_from) {
            (Some(_), Some(_)) => {
                problems.push(&arg_field, "value and valueFrom are mutually exclusive")
            }
            (None, None) => problems.push(&arg_field, "one of value or valueFrom is required"),
            (Some(_), None) => {}
            (None, Some(from)) => match (&from.pod_template_hash_value, &from.field_ref) {
                (Some(_), Some(_)) | (None, None) => problems.push(
                    format!("{arg_field}.valueFrom"),
                    "exactly one of podTemplateHashValue or fieldRef must be set",
                ),
                (Some(hash), None) if !POD_TEMPLATE_HASH_VALUES.contains(&hash.as_str()) => {
                    problems.push(
                        format!("{arg_field}.valueFrom.podTemplateHashValue"),
                        format!("must be Stable or Latest, not '{hash}'"),
                    )
                }
                (None, Some(field_ref)) if field_ref.field_path.is_empty() => problems.push(
                    format!("{arg_field}.valueFrom.fieldRef.fieldPath"),
                    "fieldPath is required",
                ),
                _ => {}
            },
        }
    }
    for (index, dry_run) in analysis.dry_run.iter().enumerate() {
        check_metric_regex(
            &format!("{field}.dryRun[{index}].metricName"),
            &dry_run.metric_name,
            problems,
        );
    }
    for (index, retention) in analysis.measurement_retention.iter().enumerate() {
        let retention_field = format!("{field}.measurementRetention[{index}]");
        check_metric_regex(
            &format!("{retention_field}.metricName"),
            &retention.metric_name,
            problems,
        );
        problems.non_negative(&format!("{retention_field}.limit"), Some(retention.limit));
    }
}

/// Metric names in dryRun / measurementRetention are regular expressions (`*` alone means all).
fn check_metric_regex(field: &str, pattern: &str, problems: &mut Problems) {
    if pattern == "*" {
        return;
    }
    if regex::Regex::new(pattern).is_err() {
        problems.push(
            field,
            format!("'{pattern}' is not a valid regular expression"),
        );
    }
}
