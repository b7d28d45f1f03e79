//! Flags (and their environment variables) that configure the source, for `gitcanary run` to flatten.
//!
//! Secrets can be given as values (environment, preferably) or as files; files are re-read at every
//! fetch so a rotated Kubernetes Secret takes effect without a restart.

use std::path::PathBuf;
use std::time::Duration;

use crate::source::credentials::{Credentials, Secret, SecretSource};
use crate::source::follower::{DEFAULT_INTERVAL, SourceConfig};
use crate::source::manifest::{DEFAULT_MAX_FILE_BYTES, Limits};
use crate::source::signature::{SignatureError, Signers};

#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// Git remote: a path, file://, http(s)://, ssh:// or scp-style user@host:path.
    #[arg(long = "repo", env = "GITCANARY_REPO")]
    pub url: String,
    /// Branch to follow.
    #[arg(long, env = "GITCANARY_BRANCH", default_value = "main")]
    pub branch: String,
    /// Directory of the manifests inside the repository.
    #[arg(long, env = "GITCANARY_PATH", default_value = ".")]
    pub path: PathBuf,
    /// How often to fetch when no webhook or file change says so.
    #[arg(long, env = "GITCANARY_INTERVAL", value_parser = humantime::parse_duration, default_value = "30s")]
    pub interval: Duration,
    /// Where the local mirror lives.
    #[arg(
        long,
        env = "GITCANARY_CACHE_DIR",
        default_value = "/var/cache/gitcanary"
    )]
    pub cache_dir: PathBuf,
    /// HTTP basic-auth user (or SSH user when the URL has none).
    #[arg(long, env = "GITCANARY_GIT_USERNAME")]
    pub git_username: Option<String>,
    /// HTTP basic-auth password; prefer the environment or --git-password-file.
    #[arg(long, env = "GITCANARY_GIT_PASSWORD", hide_env_values = true)]
    pub git_password: Option<String>,
    #[arg(
        long,
        env = "GITCANARY_GIT_PASSWORD_FILE",
        conflicts_with = "git_password"
    )]
    pub git_password_file: Option<PathBuf>,
    /// Bearer token sent to HTTP(S) remotes.
    #[arg(long, env = "GITCANARY_GIT_TOKEN", hide_env_values = true)]
    pub git_token: Option<String>,
    #[arg(long, env = "GITCANARY_GIT_TOKEN_FILE", conflicts_with = "git_token")]
    pub git_token_file: Option<PathBuf>,
    /// Private key for SSH remotes.
    #[arg(long, env = "GITCANARY_SSH_KEY_FILE")]
    pub ssh_key_file: Option<PathBuf>,
    #[arg(long, env = "GITCANARY_SSH_KEY_PASSPHRASE_FILE")]
    pub ssh_key_passphrase_file: Option<PathBuf>,
    /// Check SSH host keys against this known_hosts file (otherwise any host key is accepted).
    #[arg(long, env = "GITCANARY_SSH_KNOWN_HOSTS")]
    pub ssh_known_hosts: Option<PathBuf>,
    /// SSH allowed-signers file (git's gpg.ssh.allowedSignersFile format) for approval commits.
    #[arg(long, env = "GITCANARY_ALLOWED_SIGNERS")]
    pub allowed_signers: Option<PathBuf>,
    /// Armored OpenPGP public keys allowed to sign approval commits (repeatable).
    #[arg(
        long = "allowed-pgp-keys",
        env = "GITCANARY_ALLOWED_PGP_KEYS",
        value_delimiter = ','
    )]
    pub allowed_pgp_keys: Vec<PathBuf>,
    /// Largest manifest file accepted, in bytes.
    #[arg(long, env = "GITCANARY_MAX_MANIFEST_BYTES", default_value_t = DEFAULT_MAX_FILE_BYTES)]
    pub max_manifest_bytes: u64,
    /// Do not watch a local-path remote for changes.
    #[arg(long, env = "GITCANARY_NO_WATCH")]
    pub no_watch: bool,
}

impl SourceArgs {
    /// Builds the follower's configuration; fails if the signer files cannot be read.
    pub fn into_config(self, name: &str) -> Result<SourceConfig, SignatureError> {
        let SourceArgs {
            url,
            branch,
            path,
            interval,
            cache_dir,
            git_username,
            git_password,
            git_password_file,
            git_token,
            git_token_file,
            ssh_key_file,
            ssh_key_passphrase_file,
            ssh_known_hosts,
            allowed_signers,
            allowed_pgp_keys,
            max_manifest_bytes,
            no_watch,
        } = self;
        let secret = |value: Option<String>, file: Option<PathBuf>| {
            value
                .map(|v| SecretSource::Value(Secret::new(v)))
                .or(file.map(SecretSource::File))
        };
        let signers = Signers::load(allowed_signers.as_deref(), &allowed_pgp_keys)?;
        Ok(SourceConfig {
            name: name.to_owned(),
            url,
            branch,
            path,
            cache_dir,
            interval: if interval.is_zero() {
                DEFAULT_INTERVAL
            } else {
                interval
            },
            credentials: Credentials {
                username: git_username,
                password: secret(git_password, git_password_file),
                token: secret(git_token, git_token_file),
                ssh_key: ssh_key_file,
                ssh_key_passphrase: ssh_key_passphrase_file.map(SecretSource::File),
                known_hosts: ssh_known_hosts,
            },
            signers,
            limits: Limits {
                max_file_bytes: max_manifest_bytes,
            },
            watch_local: !no_watch,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        source: SourceArgs,
    }

    #[test]
    fn flags_become_a_config_without_printing_secrets() {
        let cli = Cli::try_parse_from([
            "x",
            "--repo",
            "https://bot:inline-pw@git.example.com/deploy.git",
            "--interval",
            "45s",
            "--git-password",
            "flag-pw",
            "--path",
            "deploy",
        ]);
        let config = cli
            .map_err(|e| e.to_string())
            .and_then(|c| c.source.into_config("main").map_err(|e| e.to_string()));
        let Ok(config) = config else {
            panic!("{config:?}");
        };
        assert_eq!(config.interval, Duration::from_secs(45));
        assert_eq!(config.branch, "main");
        assert_eq!(config.limits.max_file_bytes, DEFAULT_MAX_FILE_BYTES);
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("inline-pw") && !shown.contains("flag-pw"),
            "{shown}"
        );
    }

    #[test]
    fn the_interval_defaults_to_thirty_seconds() {
        let config = Cli::try_parse_from(["x", "--repo", "/srv/repo"])
            .map_err(|e| e.to_string())
            .and_then(|c| c.source.into_config("main").map_err(|e| e.to_string()));
        assert_eq!(config.map(|c| c.interval).ok(), Some(DEFAULT_INTERVAL));
    }
}
