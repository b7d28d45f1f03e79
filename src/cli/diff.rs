//! `gitcanary diff`: what syncing the branch would change, without changing anything. Exit code 1
//! when something differs, 0 when the cluster matches Git, 2 on errors (as `diff` does).

use std::process::ExitCode;

use anyhow::Context;

use super::GlobalArgs;
use crate::source::args::SourceArgs;
use crate::source::{Follower, Poll};
use crate::sync::config::SourceSpec;
use crate::sync::engine::Syncer;

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Source name (whose inventory tells what would be pruned).
    #[arg(long, default_value = "default")]
    pub name: String,
    /// Namespace holding the inventory (default: the target namespace).
    #[arg(long)]
    pub inventory_namespace: Option<String>,
}

pub async fn run(global: GlobalArgs, args: DiffArgs) -> anyhow::Result<ExitCode> {
    let DiffArgs {
        mut source,
        name,
        inventory_namespace,
    } = args;
    let cache = tempfile::tempdir().context("creating a temporary mirror directory")?;
    source.cache_dir = cache.path().to_path_buf();
    source.no_watch = true;
    let ns = global.namespace.clone().unwrap_or_else(|| "default".into());
    let spec = SourceSpec::from_args(&name, source, &ns, inventory_namespace, false, true);
    let (source_cfg, sync_cfg) = spec.into_configs()?;
    let snapshot = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut follower = Follower::new(source_cfg)?;
        match follower.poll() {
            Poll::NewSnapshot | Poll::Unchanged => {}
            Poll::Refused | Poll::FetchFailed => {}
        }
        let status = follower.status().clone();
        match (status.snapshot, status.error) {
            (_, Some(e)) => anyhow::bail!("{}", e.error),
            (Some(s), None) => Ok(s),
            (None, None) => anyhow::bail!("no snapshot could be read"),
        }
    })
    .await
    .context("reading the repository")?;
    let snapshot = match snapshot {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let clusters = global.clusters().await?;
    let mut syncer = Syncer::with_clusters(clusters, sync_cfg);
    match syncer.diff(&snapshot).await {
        Ok(diffs) if diffs.is_empty() => Ok(ExitCode::SUCCESS),
        Ok(diffs) => {
            for d in diffs {
                print!("{d}");
            }
            Ok(ExitCode::from(1))
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
    }
}
