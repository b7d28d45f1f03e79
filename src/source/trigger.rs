//! Ways to make the follower fetch now: a shared [`Trigger`], and a file watcher for local remotes.

use std::path::Path;
use std::sync::Arc;

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::Notify;

/// Wakes the follower. Triggers fired while a fetch runs collapse into one more fetch.
#[derive(Debug, Clone, Default)]
pub struct Trigger(Arc<Notify>);

impl Trigger {
    pub fn fire(&self) {
        self.0.notify_one();
    }

    pub async fn fired(&self) {
        self.0.notified().await;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("cannot watch {}: not a Git repository: {message}", path.display())]
    NotARepository {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("cannot watch {}: {source}", path.display())]
    Watch {
        path: std::path::PathBuf,
        source: notify::Error,
    },
}

/// Watches the refs of the local repository at `path` and fires `trigger` when they change.
///
/// Only the places a branch update writes are watched (the git dir itself for `packed-refs`, and
/// `refs/heads`), not the object store, and reads are ignored: our own fetch reads these files, and
/// reacting to that would loop.
pub fn watch_local_repo(path: &Path, trigger: Trigger) -> Result<RecommendedWatcher, WatchError> {
    let repo = git2::Repository::open(path).map_err(|e| WatchError::NotARepository {
        path: path.to_owned(),
        message: e.message().to_owned(),
    })?;
    let git_dir = repo.path().to_owned();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && matches!(
                event.kind,
                EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
            )
        {
            trigger.fire();
        }
    })
    .map_err(|source| WatchError::Watch {
        path: git_dir.clone(),
        source,
    })?;
    let heads = git_dir.join("refs").join("heads");
    for (dir, mode) in [
        (&git_dir, RecursiveMode::NonRecursive),
        (&heads, RecursiveMode::Recursive),
    ] {
        watcher
            .watch(dir, mode)
            .map_err(|source| WatchError::Watch {
                path: dir.clone(),
                source,
            })?;
    }
    Ok(watcher)
}
