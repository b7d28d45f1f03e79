//! `gitcanary validate PATH`: the checks the daemon applies to a commit, offline, on a directory.
//!
//! Prints one line per problem, `file:line: kind/name: field: message`, and exits non-zero if there
//! is any, so it fits in a pre-commit hook or a CI step.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::source::manifest::{DEFAULT_MAX_FILE_BYTES, Limits, Problem, fs::load_dir};
use crate::source::snapshot::Manifest;

/// Check a directory of manifests without a cluster.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Directory holding the manifests (searched recursively).
    pub path: PathBuf,
    /// Largest manifest file accepted, in bytes.
    #[arg(long, env = "GITCANARY_MAX_MANIFEST_BYTES", default_value_t = DEFAULT_MAX_FILE_BYTES)]
    pub max_manifest_bytes: u64,
}

pub async fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let ValidateArgs {
        path,
        max_manifest_bytes,
    } = args;
    let limits = Limits {
        max_file_bytes: max_manifest_bytes,
    };
    let (objects, problems) = check_dir(&path, limits);
    for problem in &problems {
        println!("{problem}");
    }
    // Warnings do not fail validation: the manifests are valid, but an analysis would find no data.
    for w in analysis_warnings(&objects) {
        println!("{}/{w}", path.display());
    }
    if problems.is_empty() {
        eprintln!("{}: {} objects, no problems", path.display(), objects.len());
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{}: {} problem(s)", path.display(), problems.len());
        Ok(ExitCode::FAILURE)
    }
}

/// Warnings about analyses that could not measure anything (see `analysis::lint`), one line each:
/// `file:line: Rollout/name: field: warning: …`.
pub fn analysis_warnings(objects: &[Manifest]) -> Vec<String> {
    let services: std::collections::BTreeSet<String> = objects
        .iter()
        .filter(|m| m.key.kind == "Service" && m.key.group().is_empty())
        .map(|m| m.key.name.clone())
        .collect();
    let templates: Vec<(String, crate::api::AnalysisTemplateSpec)> = objects
        .iter()
        .filter(|m| m.key.kind == "AnalysisTemplate" && m.key.group() == "argoproj.io")
        .filter_map(|m| {
            serde_json::from_str::<crate::api::AnalysisTemplate>(&m.json)
                .ok()
                .map(|t| (m.key.name.clone(), t.spec))
        })
        .collect();
    let lookup = |name: &str| {
        templates
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.clone())
    };
    let mut out = vec![];
    for m in objects
        .iter()
        .filter(|m| m.key.kind == "Rollout" && m.key.group() == "argoproj.io")
    {
        let Ok(rollout) = serde_json::from_str::<crate::api::Rollout>(&m.json) else {
            continue;
        };
        for w in crate::analysis::lint::service_arg_warnings(&rollout, &lookup, &services) {
            out.push(format!(
                "{}:{}: Rollout/{}: {}: {}",
                m.origin.file.display(),
                m.origin.line.unwrap_or(1),
                m.key.name,
                w.field,
                w.message
            ));
        }
    }
    out
}

/// Loads `dir` and returns its objects and every problem, file paths shown as `dir/…`.
pub fn check_dir(dir: &Path, limits: Limits) -> (Vec<Manifest>, Vec<Problem>) {
    let (objects, mut problems) = match load_dir(dir, limits) {
        Ok(objects) => {
            let problems = spec_problems(&objects);
            (objects, problems)
        }
        Err(error) => (
            Vec::new(),
            error.problems.iter().map(|e| e.problem()).collect(),
        ),
    };
    for problem in &mut problems {
        problem.file = dir.join(&problem.file);
    }
    problems.sort();
    (objects, problems)
}

/// Rollout checks that need no cluster (weights, step kinds, durations, references to Services,
/// VirtualService routes and AnalysisTemplates in the same set), from `api::validate`.
pub fn spec_problems(objects: &[Manifest]) -> Vec<Problem> {
    let mut out = Vec::new();
    let values: Vec<serde_json::Value> = objects.iter().filter_map(|m| m.object().ok()).collect();
    for m in objects
        .iter()
        .filter(|m| m.key.kind == "Rollout" && m.key.group() == "argoproj.io")
    {
        let problem = |field: Option<String>, message: String| Problem {
            file: m.origin.file.clone(),
            line: m.origin.line,
            object: Some(format!("{}/{}", m.key.kind, m.key.name)),
            field,
            message,
        };
        // Through a Value, so the message names the field rather than a column of the JSON text.
        let rollout: crate::api::Rollout = match m.object().and_then(serde_json::from_value) {
            Ok(r) => r,
            Err(e) => {
                out.push(problem(None, format!("not a valid Rollout: {e}")));
                continue;
            }
        };
        let refs = crate::api::validate::References::from_manifests(
            values.iter(),
            m.key.namespace.as_deref(),
        );
        for p in crate::api::validate::validate_rollout(&rollout, &refs) {
            out.push(problem(Some(p.field), p.message));
        }
    }
    out
}
