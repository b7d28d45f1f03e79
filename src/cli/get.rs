//! `gitcanary get rollout NAME [--watch]`: the rollout's state as `kubectl argo rollouts get rollout`
//! prints it.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};

use super::GlobalArgs;
use super::rollout_view::{RolloutObjects, render};
use crate::api::{AnalysisRun, Rollout};

#[derive(Debug, clap::Args)]
pub struct GetArgs {
    #[command(subcommand)]
    pub what: GetWhat,
}

#[derive(Debug, clap::Subcommand)]
pub enum GetWhat {
    /// A Rollout with its revisions, ReplicaSets, Pods and AnalysisRuns.
    Rollout {
        name: String,
        /// Re-render whenever it changes (every second), until interrupted.
        #[arg(short, long)]
        watch: bool,
    },
}

/// Reads the rollout and everything it owns.
pub async fn fetch(client: &kube::Client, ns: &str, name: &str) -> anyhow::Result<RolloutObjects> {
    let rollout = Api::<Rollout>::namespaced(client.clone(), ns)
        .get(name)
        .await
        .with_context(|| format!("reading Rollout {ns}/{name}"))?;
    let uid = rollout.metadata.uid.clone().unwrap_or_default();
    let owned_by =
        |refs: &Option<Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference>>,
         uid: &str| {
            refs.as_ref()
                .is_some_and(|r| r.iter().any(|o| o.uid == uid))
        };
    let lp = ListParams::default().labels(crate::rollout::hash::HASH_LABEL);
    let replica_sets: Vec<ReplicaSet> = Api::<ReplicaSet>::namespaced(client.clone(), ns)
        .list(&lp)
        .await
        .context("listing ReplicaSets")?
        .items
        .into_iter()
        .filter(|rs| owned_by(&rs.metadata.owner_references, &uid))
        .collect();
    let rs_uids: Vec<String> = replica_sets
        .iter()
        .filter_map(|rs| rs.metadata.uid.clone())
        .collect();
    let pods = Api::<Pod>::namespaced(client.clone(), ns)
        .list(&lp)
        .await
        .context("listing Pods")?
        .items
        .into_iter()
        .filter(|p| {
            rs_uids
                .iter()
                .any(|u| owned_by(&p.metadata.owner_references, u))
        })
        .collect();
    let analysis_runs = Api::<AnalysisRun>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await
        .context("listing AnalysisRuns")?
        .items
        .into_iter()
        .filter(|a| owned_by(&a.metadata.owner_references, &uid))
        .collect();
    Ok(RolloutObjects {
        rollout,
        replica_sets,
        pods,
        analysis_runs,
    })
}

pub async fn run(global: GlobalArgs, args: GetArgs) -> anyhow::Result<ExitCode> {
    let client = global.client().await?;
    let ns = global.namespace.clone().unwrap_or_else(|| "default".into());
    let GetWhat::Rollout { name, watch } = args.what;
    if !watch {
        print!(
            "{}",
            render(&fetch(&client, &ns, &name).await?, chrono::Utc::now())
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut last = String::new();
    loop {
        let text = render(&fetch(&client, &ns, &name).await?, chrono::Utc::now());
        if text != last {
            print!("\x1b[2J\x1b[H{text}");
            last = text;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
        }
    }
}
