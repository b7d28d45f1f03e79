//! Making a commit on the tracked branch from the CLI (approvals, `set-image`), with the user's own
//! `git`: their identity, signing keys and credential helpers apply, as for any commit they make.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// Where the commit is made: the given work tree, or a temporary clone of a URL or bare repository.
pub struct WorkTree {
    pub dir: PathBuf,
    /// Push the commit to `origin` afterwards.
    push: bool,
    branch: String,
    _temp: Option<tempfile::TempDir>,
}

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .with_context(|| format!("running git {} (is git installed?)", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

impl WorkTree {
    pub fn open(repo: &str, branch: &str) -> anyhow::Result<WorkTree> {
        let path = Path::new(repo);
        if path.join(".git").exists() {
            let current = git(path, &["rev-parse", "--abbrev-ref", "HEAD"])?;
            if current != branch {
                bail!("{repo} has {current} checked out, not {branch}");
            }
            let push = git(path, &["remote"])
                .map(|r| r.lines().any(|l| l == "origin"))
                .unwrap_or(false);
            if push {
                git(path, &["pull", "-q", "--ff-only", "origin", branch])?;
            }
            return Ok(WorkTree {
                dir: path.to_path_buf(),
                push,
                branch: branch.into(),
                _temp: None,
            });
        }
        let temp = tempfile::tempdir().context("creating a temporary directory")?;
        let dir = temp.path().join("repo");
        let dir_s = dir.display().to_string();
        git(
            temp.path(),
            &["clone", "-q", "--branch", branch, repo, &dir_s],
        )?;
        Ok(WorkTree {
            dir,
            push: true,
            branch: branch.into(),
            _temp: Some(temp),
        })
    }

    /// Commits everything staged or changed (an empty commit is allowed: approvals carry no change)
    /// and pushes when the work tree came from a remote. Returns the new commit id.
    pub fn commit(&self, message: &str, sign: bool) -> anyhow::Result<String> {
        git(&self.dir, &["add", "-A"])?;
        let mut args = vec!["commit", "-q", "--allow-empty", "-m", message];
        if sign {
            args.push("-S");
        }
        git(&self.dir, &args)?;
        if self.push {
            git(
                &self.dir,
                &["push", "-q", "origin", &format!("HEAD:{}", self.branch)],
            )?;
        }
        git(&self.dir, &["rev-parse", "HEAD"])
    }
}
