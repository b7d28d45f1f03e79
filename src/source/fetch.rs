//! The local mirror of the tracked branch, and fetching into it with libgit2.
//!
//! The mirror is a bare repository under the cache directory, named after a hash of the remote URL and
//! branch. Fetches are incremental (libgit2 negotiates what it already has) and force-updating (`+`
//! refspec), so a rewritten history is followed; old commits stay in the mirror, which lets the
//! follower tell a force-push from a fast-forward.

use std::cell::RefCell;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use git2::{
    AutotagOption, CertificateCheckStatus, Cred, CredentialType, FetchOptions, FetchPrune, Oid,
    RemoteCallbacks, Repository,
};
use sha2::{Digest, Sha256};

use crate::source::credentials::{Credentials, CredentialsError, Resolved, redact_userinfo};
use crate::source::known_hosts::{self, HostKeyCheck};

const REMOTE: &str = "origin";

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("failed to open the mirror of {url} at {}: {message}", path.display())]
    OpenMirror {
        url: String,
        path: PathBuf,
        message: String,
    },
    #[error("failed to fetch branch `{branch}` from {url}: {message}")]
    Fetch {
        url: String,
        branch: String,
        message: String,
    },
    #[error("branch `{branch}` does not exist at {url}")]
    BranchNotFound { url: String, branch: String },
    #[error("credentials for {url}: {source}")]
    Credentials {
        url: String,
        source: CredentialsError,
    },
    #[error("failed to read known_hosts file {}: {source}", path.display())]
    KnownHosts {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A bare mirror of one branch of one remote.
pub struct Mirror {
    repo: Repository,
    /// The URL as configured; only ever shown through `display_url`.
    url: String,
    display_url: String,
    branch: String,
    credentials: Credentials,
}

/// Where the mirror of `url`/`branch` lives under `cache_dir` (one per remote and branch).
pub fn mirror_path(cache_dir: &Path, url: &str, branch: &str) -> std::path::PathBuf {
    let digest = Sha256::digest(format!("{url}\n{branch}").as_bytes());
    cache_dir.join(format!("{}.git", hex::encode(&digest[..10])))
}

/// Whether `commit` descends from `ancestor` (and is not it) in the mirror at `path`; `None` when the
/// mirror or either commit cannot be read. Blocking: call from a blocking thread.
pub fn descends_from(path: &Path, commit: &str, ancestor: &str) -> Option<bool> {
    let repo = Repository::open_bare(path).ok()?;
    let c = git2::Oid::from_str(commit).ok()?;
    let a = git2::Oid::from_str(ancestor).ok()?;
    repo.graph_descendant_of(c, a).ok()
}

impl Mirror {
    /// Opens (or creates) the mirror for `url`/`branch` under `cache_dir`.
    pub fn open(
        cache_dir: &Path,
        url: &str,
        branch: &str,
        credentials: Credentials,
    ) -> Result<Self, FetchError> {
        let display_url = redact_userinfo(url);
        let path = mirror_path(cache_dir, url, branch);
        let fail = |e: git2::Error| FetchError::OpenMirror {
            url: display_url.clone(),
            path: path.clone(),
            message: redact_userinfo(e.message()),
        };
        let repo = match Repository::open_bare(&path) {
            Ok(repo) => repo,
            Err(_) => {
                std::fs::create_dir_all(&path).map_err(|e| FetchError::OpenMirror {
                    url: display_url.clone(),
                    path: path.clone(),
                    message: e.to_string(),
                })?;
                Repository::init_bare(&path).map_err(fail)?
            }
        };
        match repo.find_remote(REMOTE) {
            Ok(remote) if remote.url() == Some(url) => {}
            Ok(_) => repo.remote_set_url(REMOTE, url).map_err(fail)?,
            Err(_) => {
                repo.remote_with_fetch(REMOTE, url, &refspec(branch))
                    .map_err(fail)?;
            }
        }
        Ok(Mirror {
            repo,
            url: url.to_owned(),
            display_url,
            branch: branch.to_owned(),
            credentials,
        })
    }

    pub fn repo(&self) -> &Repository {
        &self.repo
    }

    /// The remote URL without any password, for messages.
    pub fn display_url(&self) -> &str {
        &self.display_url
    }

    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// The branch tip in the mirror, without fetching.
    pub fn tip(&self) -> Option<Oid> {
        self.repo
            .find_reference(&tracking_ref(&self.branch))
            .ok()
            .and_then(|r| r.target())
    }

    /// Fetches the branch and returns its tip. Errors carry the remote's own message, redacted.
    pub fn fetch(&self) -> Result<Oid, FetchError> {
        let resolved = self
            .credentials
            .resolve()
            .map_err(|source| FetchError::Credentials {
                url: self.display_url.clone(),
                source,
            })?;
        let known_hosts =
            match &self.credentials.known_hosts {
                Some(path) => Some(std::fs::read_to_string(path).map_err(|source| {
                    FetchError::KnownHosts {
                        path: path.clone(),
                        source,
                    }
                })?),
                None => None,
            };
        let host_key_problem = RefCell::new(None);
        let mut options = FetchOptions::new();
        options.remote_callbacks(callbacks(
            &resolved,
            known_hosts,
            ssh_port(&self.url),
            &host_key_problem,
        ));
        options.prune(FetchPrune::On);
        options.download_tags(AutotagOption::None);
        let header = resolved
            .token
            .as_ref()
            .map(|token| format!("Authorization: Bearer {}", token.expose()));
        if let Some(header) = &header {
            options.custom_headers(&[header.as_str()]);
        }
        let fail = |e: git2::Error| {
            let message = host_key_problem
                .borrow_mut()
                .take()
                .unwrap_or_else(|| e.message().to_owned());
            FetchError::Fetch {
                url: self.display_url.clone(),
                branch: self.branch.clone(),
                message: resolved.redact(&message),
            }
        };
        let mut remote = self.repo.find_remote(REMOTE).map_err(fail)?;
        remote
            .fetch(&[refspec(&self.branch)], Some(&mut options), None)
            .map_err(fail)?;
        let advertised = remote
            .list()
            .map(|heads| {
                heads
                    .iter()
                    .find(|head| head.name() == format!("refs/heads/{}", self.branch))
                    .map(|head| head.oid())
            })
            .ok()
            .flatten();
        match (advertised, self.tip()) {
            (Some(oid), _) => Ok(oid),
            // Some transports forget the advertisement after a fetch; the pruned ref is then the truth.
            (None, Some(oid)) if remote.list().is_err() => Ok(oid),
            _ => Err(FetchError::BranchNotFound {
                url: self.display_url.clone(),
                branch: self.branch.clone(),
            }),
        }
    }
}

/// Says what the remote asked for and what we could (not) give, without any secret.
fn auth_failure(resolved: &Resolved, allowed: CredentialType, offered: &HashSet<u32>) -> String {
    let was_offered = |t: CredentialType| offered.contains(&t.bits());
    if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
        if resolved.password.is_none() {
            return "authentication failed: the remote asks for a username and password, and none is configured".into();
        }
        if was_offered(CredentialType::USER_PASS_PLAINTEXT) {
            return "authentication failed: the remote rejected the username and password".into();
        }
    }
    if allowed.contains(CredentialType::SSH_KEY) {
        if resolved.ssh_key.is_none() {
            return "authentication failed: the remote asks for an SSH key, and none is configured"
                .into();
        }
        return "authentication failed: the remote rejected the SSH key".into();
    }
    "authentication failed: no credentials of the kind the remote asks for are configured".into()
}

fn refspec(branch: &str) -> String {
    format!("+refs/heads/{branch}:{}", tracking_ref(branch))
}

fn tracking_ref(branch: &str) -> String {
    format!("refs/remotes/{REMOTE}/{branch}")
}

/// The port of an `ssh://` URL, for `[host]:port` known_hosts entries; scp-style URLs use 22.
fn ssh_port(url: &str) -> u16 {
    url::Url::parse(url)
        .ok()
        .filter(|u| u.scheme() == "ssh")
        .and_then(|u| u.port())
        .unwrap_or(22)
}

/// Answers libgit2's credential and host-key questions. Each credential type is offered once: libgit2
/// asks again after a rejection, and answering the same thing forever would loop.
fn callbacks<'a>(
    resolved: &'a Resolved,
    known_hosts: Option<String>,
    port: u16,
    problem: &'a RefCell<Option<String>>,
) -> RemoteCallbacks<'a> {
    let mut callbacks = RemoteCallbacks::new();
    let mut offered: HashSet<u32> = HashSet::new();
    callbacks.credentials(move |_url, user_from_url, allowed| {
        let user = user_from_url
            .map(str::to_owned)
            .or_else(|| resolved.username.clone());
        if allowed.contains(CredentialType::SSH_KEY)
            && offered.insert(CredentialType::SSH_KEY.bits())
            && let Some(key) = &resolved.ssh_key
        {
            let passphrase = resolved.ssh_key_passphrase.as_ref().map(|p| p.expose());
            return Cred::ssh_key(user.as_deref().unwrap_or("git"), None, key, passphrase);
        }
        if allowed.contains(CredentialType::USERNAME)
            && offered.insert(CredentialType::USERNAME.bits())
        {
            return Cred::username(user.as_deref().unwrap_or("git"));
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT)
            && offered.insert(CredentialType::USER_PASS_PLAINTEXT.bits())
            && let Some(password) = &resolved.password
        {
            return Cred::userpass_plaintext(
                user.as_deref().unwrap_or_default(),
                password.expose(),
            );
        }
        Err(git2::Error::from_str(&auth_failure(
            resolved, allowed, &offered,
        )))
    });
    callbacks.certificate_check(move |cert, host| {
        let Some(hostkey) = cert.as_hostkey() else {
            // TLS certificates: keep libgit2's own verification against the system roots.
            return Ok(CertificateCheckStatus::CertificatePassthrough);
        };
        let (Some(known_hosts), Some(key)) = (&known_hosts, hostkey.hostkey()) else {
            return Ok(CertificateCheckStatus::CertificateOk);
        };
        let reason = match known_hosts::check(known_hosts, host, port, key) {
            HostKeyCheck::Match => return Ok(CertificateCheckStatus::CertificateOk),
            HostKeyCheck::Mismatch => {
                "host key does not match known_hosts (possible man-in-the-middle)"
            }
            HostKeyCheck::Unknown => "host is not in known_hosts",
            HostKeyCheck::Revoked => "host key is revoked in known_hosts",
        };
        let message = format!("{reason}: {host}");
        *problem.borrow_mut() = Some(message.clone());
        Err(git2::Error::from_str(&message))
    });
    callbacks
}
