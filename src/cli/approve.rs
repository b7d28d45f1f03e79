//! `gitcanary promote|abort|retry NAME`: approve (or stop) a canary with an annotation on the live
//! Rollout, or with `--commit` a commit whose trailer says so.

use std::process::ExitCode;

use anyhow::Context;
use kube::api::{Api, Patch, PatchParams};

use super::GlobalArgs;
use super::gitops::WorkTree;
use crate::api::Rollout;
use crate::rollout::approvals::{ABORT_ANNOTATION, PROMOTE_ANNOTATION, RETRY_ANNOTATION};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Promote,
    PromoteFull,
    Abort,
    Retry,
}

impl Request {
    /// The annotation and its value the controller acts on (and removes).
    pub fn annotation(self) -> (&'static str, &'static str) {
        match self {
            Request::Promote => (PROMOTE_ANNOTATION, "step"),
            Request::PromoteFull => (PROMOTE_ANNOTATION, "full"),
            Request::Abort => (ABORT_ANNOTATION, "true"),
            Request::Retry => (RETRY_ANNOTATION, "true"),
        }
    }

    /// The commit trailer key.
    pub fn trailer(self) -> &'static str {
        match self {
            Request::Promote => "Promote",
            Request::PromoteFull => "Promote-Full",
            Request::Abort => "Abort",
            Request::Retry => "Retry",
        }
    }
}

/// The commit message for an approval: a summary line and the trailer.
pub fn commit_message(
    request: Request,
    namespace: Option<&str>,
    name: &str,
    message: Option<&str>,
) -> String {
    let target = match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    };
    let summary = message
        .map(str::to_string)
        .unwrap_or_else(|| format!("{} {target}", request.trailer().replace('-', " ")));
    format!("{summary}\n\n{}: {target}\n", request.trailer())
}

#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    /// The Rollout.
    pub name: String,
    /// Make a commit with the trailer instead of annotating the live Rollout.
    #[arg(long, requires = "repo")]
    pub commit: bool,
    /// Repository to commit to: a work tree path or a URL (cloned, committed, pushed).
    #[arg(long)]
    pub repo: Option<String>,
    #[arg(long, default_value = "main")]
    pub branch: String,
    /// Sign the commit (git's `-S`: GPG or SSH as configured in git).
    #[arg(short = 'S', long)]
    pub sign: bool,
    /// Summary line of the commit.
    #[arg(short, long)]
    pub message: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct PromoteArgs {
    #[command(flatten)]
    pub common: ApproveArgs,
    /// Skip the remaining steps.
    #[arg(long)]
    pub full: bool,
}

pub async fn run(
    global: GlobalArgs,
    request: Request,
    args: ApproveArgs,
) -> anyhow::Result<ExitCode> {
    let ApproveArgs {
        name,
        commit,
        repo,
        branch,
        sign,
        message,
    } = args;
    if commit {
        let repo = repo.context("--commit needs --repo")?;
        let tree = WorkTree::open(&repo, &branch)?;
        let id = tree.commit(
            &commit_message(
                request,
                global.namespace.as_deref(),
                &name,
                message.as_deref(),
            ),
            sign,
        )?;
        println!(
            "committed {} ({}: {name}) to {branch}",
            &id[..id.len().min(12)],
            request.trailer()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let client = global.client().await?;
    let ns = global.namespace.clone().unwrap_or_else(|| "default".into());
    let api: Api<Rollout> = Api::namespaced(client, &ns);
    let (key, value) = request.annotation();
    let patch = serde_json::json!({"metadata": {"annotations": {key: value}}});
    let pp = PatchParams {
        field_manager: Some("gitcanary-cli".into()),
        ..Default::default()
    };
    api.patch(&name, &pp, &Patch::Merge(&patch))
        .await
        .with_context(|| format!("annotating Rollout {ns}/{name}"))?;
    println!("rollout '{name}' annotated {key}={value}");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailers_and_annotations() {
        assert_eq!(
            commit_message(Request::Promote, None, "istio-rollout", None),
            "Promote istio-rollout\n\nPromote: istio-rollout\n"
        );
        assert_eq!(
            commit_message(Request::PromoteFull, Some("prod"), "web", Some("ship it")),
            "ship it\n\nPromote-Full: prod/web\n"
        );
        assert_eq!(Request::Abort.annotation(), ("gitcanary.dev/abort", "true"));
        assert_eq!(
            Request::PromoteFull.annotation(),
            ("gitcanary.dev/promote", "full")
        );
    }
}
