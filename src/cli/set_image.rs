//! `gitcanary set-image NAME CONTAINER=IMAGE --repo …`: the GitOps `kubectl argo rollouts set image`.
//! Edits the image line of the Rollout's manifest in place (formatting and comments kept), commits
//! and pushes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};

use super::GlobalArgs;
use super::gitops::WorkTree;

#[derive(Debug, clap::Args)]
pub struct SetImageArgs {
    /// The Rollout.
    pub name: String,
    /// `CONTAINER=IMAGE`; `*=IMAGE` sets every container.
    pub assignment: String,
    /// Repository: a work tree path or a URL (cloned, committed, pushed).
    #[arg(long)]
    pub repo: String,
    #[arg(long, default_value = "main")]
    pub branch: String,
    /// Directory of the manifests inside the repository.
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
    #[arg(short = 'S', long)]
    pub sign: bool,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EditError {
    #[error("container {0:?} not found in the Rollout's template")]
    NoContainer(String),
    #[error("no `image:` line found for container {0:?}")]
    NoImageLine(String),
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Replaces the image of `container` (or of every container for `*`) inside one YAML document's text,
/// keeping quotes style, comments and everything else byte for byte. Returns the new text and the
/// number of lines changed.
pub fn edit_image(doc: &str, container: &str, image: &str) -> Result<(String, usize), EditError> {
    let lines: Vec<&str> = doc.split_inclusive('\n').collect();
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let mut changed = 0;
    let mut in_containers: Option<usize> = None;
    let mut current: Option<(String, usize)> = None;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let ind = indent(line);
        if t.trim_end() == "containers:" || t.trim_end() == "initContainers:" {
            in_containers = Some(ind);
            current = None;
            continue;
        }
        let Some(base) = in_containers else { continue };
        if !t.is_empty() && !t.starts_with('#') && ind <= base && !t.starts_with("- ") {
            in_containers = None;
            current = None;
            continue;
        }
        let item = t.strip_prefix("- ").map(|rest| (rest, ind + 2));
        let (field, field_indent) = item.unwrap_or((t, ind));
        if let Some(name) = field.strip_prefix("name:") {
            let name = name
                .split('#')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches(|c| c == '"' || c == '\'');
            current = Some((name.to_string(), field_indent));
        }
        if let (Some(value), Some((name, _))) = (field.strip_prefix("image:"), &current)
            && (container == "*" || name == container)
        {
            let comment = value
                .find(" #")
                .map(|p| value[p..].trim_end().to_string())
                .unwrap_or_default();
            let raw = value.split(" #").next().unwrap_or("").trim();
            let quoted = match raw.chars().next() {
                Some(q @ ('"' | '\'')) => format!("{q}{image}{q}"),
                _ => image.to_string(),
            };
            let prefix = &line[..line.len() - field.len()];
            let eol = if line.ends_with('\n') { "\n" } else { "" };
            out[i] = format!(
                "{prefix}image: {quoted}{}{eol}",
                if comment.is_empty() {
                    String::new()
                } else {
                    format!(" {}", comment.trim_start())
                }
            );
            changed += 1;
        }
    }
    if changed == 0 {
        return Err(if container == "*" {
            EditError::NoImageLine(container.into())
        } else {
            EditError::NoContainer(container.into())
        });
    }
    Ok((out.concat(), changed))
}

/// Finds the file and document of Rollout `name` under `dir`.
fn find_rollout(dir: &Path, name: &str) -> anyhow::Result<(PathBuf, usize)> {
    let manifests = crate::source::manifest::fs::load_dir(dir, crate::source::Limits::default())
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("loading manifests under {}", dir.display()))?;
    let m = manifests
        .iter()
        .find(|m| m.key.kind == "Rollout" && m.key.name == name)
        .with_context(|| format!("no Rollout named {name} under {}", dir.display()))?;
    Ok((dir.join(&m.origin.file), m.origin.document))
}

/// Splits a file into its YAML documents (keeping separators with the following document).
fn documents(text: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" && !docs.last().is_some_and(|d| d.is_empty()) {
            docs.push(String::new());
        }
        if let Some(last) = docs.last_mut() {
            last.push_str(line);
        }
    }
    docs
}

pub async fn run(global: GlobalArgs, args: SetImageArgs) -> anyhow::Result<ExitCode> {
    let SetImageArgs {
        name,
        assignment,
        repo,
        branch,
        path,
        sign,
    } = args;
    let Some((container, image)) = assignment.split_once('=') else {
        bail!("expected CONTAINER=IMAGE, got {assignment:?}");
    };
    let tree = WorkTree::open(&repo, &branch)?;
    let (file, document) = find_rollout(&tree.dir.join(&path), &name)?;
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let mut docs = documents(&text);
    let index = document.saturating_sub(1).min(docs.len().saturating_sub(1));
    let (new_doc, _) = edit_image(&docs[index], container, image)
        .with_context(|| format!("{}: Rollout {name}", file.display()))?;
    docs[index] = new_doc;
    std::fs::write(&file, docs.concat()).with_context(|| format!("writing {}", file.display()))?;
    let target = match &global.namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.clone(),
    };
    let id = tree.commit(&format!("Set image of {target}: {container}={image}"), sign)?;
    println!(
        "committed {} to {branch}: {target} {container}={image}",
        &id[..id.len().min(12)]
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "spec:\n  template:\n    spec:\n      containers:\n      - name: istio-rollout\n        image: argoproj/rollouts-demo:blue  # Initial stable version\n        ports:\n        - name: http\n          containerPort: 8080\n      - name: sidecar\n        image: \"envoy:1\"\n  strategy: {}\n";

    #[test]
    fn edits_only_the_named_container_and_keeps_comments_and_quotes() {
        let (out, n) = edit_image(SEED, "istio-rollout", "argoproj/rollouts-demo:yellow").unwrap();
        assert_eq!(n, 1);
        assert!(
            out.contains("        image: argoproj/rollouts-demo:yellow # Initial stable version\n"),
            "{out}"
        );
        assert!(out.contains("image: \"envoy:1\""));
        let (out, n) = edit_image(SEED, "sidecar", "envoy:2").unwrap();
        assert_eq!(n, 1);
        assert!(out.contains("        image: \"envoy:2\"\n"), "{out}");
        let (_, n) = edit_image(SEED, "*", "x:1").unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            edit_image(SEED, "nope", "x").unwrap_err(),
            EditError::NoContainer("nope".into())
        );
    }

    #[test]
    fn documents_split_on_separators() {
        let d = documents("a: 1\n---\nb: 2\n---\nc: 3\n");
        assert_eq!(d.len(), 3);
        assert_eq!(d.concat(), "a: 1\n---\nb: 2\n---\nc: 3\n");
    }
}
