//! Building a run's argument list (Argo's `BuildArgumentsForRolloutAnalysisRun`, `flattenArgs`,
//! `MergeArgs`): the templates declare, the Rollout supplies, and whatever is still without a
//! value is an error naming it.

use crate::api::{AnalysisRunArgument, AnalysisTemplateSpec, Argument, Rollout, ValueFrom};

use super::{ArgsError, rollout_field};

/// Pod template hashes of the ReplicaSets a `podTemplateHashValue` may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodHashes<'a> {
    /// The stable ReplicaSet's, absent before the first release.
    pub stable: Option<&'a str>,
    /// The newest (canary) ReplicaSet's.
    pub latest: &'a str,
}

fn literal(name: &str, value: String) -> Argument {
    Argument {
        name: name.to_owned(),
        value: Some(value),
        value_from: None,
    }
}

/// The Rollout's arguments as literal values: everything they refer to lives on the Rollout.
pub fn rollout_args(
    args: &[AnalysisRunArgument],
    rollout: &Rollout,
    hashes: PodHashes<'_>,
) -> Result<Vec<Argument>, ArgsError> {
    args.iter()
        .map(|arg| {
            if let Some(value) = &arg.value {
                return Ok(literal(&arg.name, value.clone()));
            }
            let Some(from) = &arg.value_from else {
                return Err(ArgsError::Unresolved(arg.name.clone()));
            };
            if let Some(kind) = &from.pod_template_hash_value {
                let hash = match kind.as_str() {
                    "Stable" => hashes.stable.ok_or(ArgsError::PodHash {
                        name: arg.name.clone(),
                        kind: kind.clone(),
                        reason: "the Rollout has no stable ReplicaSet yet",
                    })?,
                    "Latest" => hashes.latest,
                    _ => {
                        return Err(ArgsError::PodHash {
                            name: arg.name.clone(),
                            kind: kind.clone(),
                            reason: "it must be Stable or Latest",
                        });
                    }
                };
                return Ok(literal(&arg.name, hash.to_owned()));
            }
            if let Some(field) = &from.field_ref {
                let value = rollout_field(rollout, &field.field_path).map_err(|source| {
                    ArgsError::FieldRef {
                        name: arg.name.clone(),
                        source,
                    }
                })?;
                return Ok(literal(&arg.name, value));
            }
            Err(ArgsError::EmptyValueFrom {
                name: arg.name.clone(),
            })
        })
        .collect()
}

/// All templates' declarations in order; a name declared twice must agree on its value, and a
/// declaration with a value wins over one without.
pub fn flatten_template_args(
    templates: &[&AnalysisTemplateSpec],
) -> Result<Vec<Argument>, ArgsError> {
    let mut combined: Vec<Argument> = Vec::new();
    for arg in templates.iter().flat_map(|t| t.args.iter()) {
        match combined.iter_mut().find(|a| a.name == arg.name) {
            None => combined.push(arg.clone()),
            Some(previous) => match (&previous.value, &arg.value) {
                (Some(first), Some(second)) if first != second => {
                    return Err(ArgsError::Conflict {
                        name: arg.name.clone(),
                        first: first.clone(),
                        second: second.clone(),
                    });
                }
                (None, _) => *previous = arg.clone(),
                _ => {}
            },
        }
    }
    Ok(combined)
}

/// The template declarations with the incoming (Rollout) values applied by name. Incoming names
/// the templates do not declare are ignored, as in Argo.
pub fn merge_args(
    incoming: &[Argument],
    declared: &[Argument],
) -> Result<Vec<Argument>, ArgsError> {
    let mut merged = declared.to_vec();
    for arg in incoming {
        if let Some(target) = merged.iter_mut().find(|a| a.name == arg.name) {
            if arg.value.is_some() {
                target.value = arg.value.clone();
                target.value_from = None;
            } else if arg.value_from.is_some() {
                target.value_from = arg.value_from.clone();
                target.value = None;
            }
        }
    }
    match merged
        .iter()
        .find(|a| a.value.is_none() && a.value_from.is_none())
    {
        Some(missing) => Err(ArgsError::Unresolved(missing.name.clone())),
        None => Ok(merged),
    }
}

/// The argument list stored in a new run's spec: declarations merged with the Rollout's values,
/// template `fieldRef`s read from the Rollout now; secret references stay references until
/// measurement time so the secret never lands in the run object.
pub fn run_args(
    templates: &[&AnalysisTemplateSpec],
    incoming: &[AnalysisRunArgument],
    rollout: &Rollout,
    hashes: PodHashes<'_>,
) -> Result<Vec<Argument>, ArgsError> {
    let declared = flatten_template_args(templates)?;
    let incoming = rollout_args(incoming, rollout, hashes)?;
    let merged = merge_args(&incoming, &declared)?;
    merged
        .into_iter()
        .map(|arg| match &arg.value_from {
            Some(ValueFrom {
                field_ref: Some(field),
                secret_key_ref: None,
            }) if arg.value.is_none() => {
                let value = rollout_field(rollout, &field.field_path).map_err(|source| {
                    ArgsError::FieldRef {
                        name: arg.name.clone(),
                        source,
                    }
                })?;
                Ok(literal(&arg.name, value))
            }
            _ => Ok(arg),
        })
        .collect()
}
