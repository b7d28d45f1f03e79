//! `gitcanary promote|abort|retry NAME`: approve (or stop) a canary with an annotation on the live
//! Rollout, or with `--commit` a commit whose trailer says so.

use std::process::ExitCode;

use anyhow::Context;

use super::GlobalArgs;
use super::gitops::WorkTree;
pub use crate::rollout::request::{Request, commit_message};

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
    crate::rollout::request::annotate(client, &ns, &name, request, "gitcanary-cli").await?;
    let (key, value) = request.annotation();
    println!("rollout '{name}' annotated {key}={value}");
    Ok(ExitCode::SUCCESS)
}
