//! Runs a [`Follower`] for the life of the daemon and publishes its status on a watch channel.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{error, warn};

use crate::source::credentials::local_path;
use crate::source::follower::{FollowError, Follower, SourceConfig, SourceStatus};
use crate::source::trigger::{Trigger, watch_local_repo};

/// A running follower: read `status`, `trigger.fire()` to fetch now (the webhook does), abort `task`
/// to stop. Dropping every receiver also stops it.
pub struct FollowerHandle {
    pub status: watch::Receiver<SourceStatus>,
    pub trigger: Trigger,
    pub task: JoinHandle<()>,
}

/// Starts following `config`'s branch: one fetch at once, then one per interval, per trigger, and per
/// change of a local-path remote. Must be called inside a Tokio runtime.
pub fn follow(config: SourceConfig) -> Result<FollowerHandle, FollowError> {
    let follower = Follower::new(config)?;
    let trigger = Trigger::default();
    let (tx, rx) = watch::channel(SourceStatus::default());
    let task = tokio::spawn(run(follower, tx, trigger.clone()));
    Ok(FollowerHandle {
        status: rx,
        trigger,
        task,
    })
}

async fn run(follower: Follower, tx: watch::Sender<SourceStatus>, trigger: Trigger) {
    let config = follower.config().clone();
    // Kept alive for as long as the loop runs; a failed watch degrades to polling, loudly.
    let _watcher = local_path(&config.url)
        .filter(|_| config.watch_local)
        .and_then(|path| match watch_local_repo(&path, trigger.clone()) {
            Ok(watcher) => Some(watcher),
            Err(error) => {
                warn!(source = %config.name, %error, "file watching disabled; polling only");
                None
            }
        });
    let interval = config.interval.max(Duration::from_millis(100));
    let mut follower = follower;
    loop {
        let polled = tokio::task::spawn_blocking(move || {
            follower.poll();
            follower
        })
        .await;
        follower = match polled {
            Ok(follower) => follower,
            Err(join_error) => {
                error!(source = %config.name, %join_error, "source follower crashed; stopping");
                return;
            }
        };
        tx.send_replace(follower.status().clone());
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = trigger.fired() => {}
            _ = tx.closed() => return,
        }
    }
}
