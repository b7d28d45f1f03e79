//! Source definitions: from flags (one source) or from a YAML file (several), into the configurations
//! of the follower and the syncer.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::engine::SyncConfig;
use crate::source::SourceConfig;
use crate::source::args::SourceArgs;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: serde_yaml::Error,
    },
    #[error("{path}: source {name:?}: {message}")]
    Invalid {
        path: PathBuf,
        name: String,
        message: String,
    },
    #[error("source {name}: {source}")]
    Signers {
        name: String,
        source: crate::source::signature::SignatureError,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    sources: Vec<FileSource>,
}

/// One entry of `sources:` in the config file. Secrets are given as files (mounted Kubernetes Secrets).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FileSource {
    name: String,
    repo: String,
    #[serde(default = "main")]
    branch: String,
    #[serde(default = "dot")]
    path: PathBuf,
    #[serde(default = "default_ns")]
    namespace: String,
    inventory_namespace: Option<String>,
    #[serde(default, with = "humantime_serde_opt")]
    interval: Option<Duration>,
    cache_dir: Option<PathBuf>,
    username: Option<String>,
    password_file: Option<PathBuf>,
    token_file: Option<PathBuf>,
    ssh_key_file: Option<PathBuf>,
    ssh_known_hosts: Option<PathBuf>,
    allowed_signers: Option<PathBuf>,
    #[serde(default)]
    allowed_pgp_keys: Vec<PathBuf>,
    #[serde(default = "yes")]
    self_heal: bool,
    #[serde(default)]
    allow_empty: bool,
}

fn main() -> String {
    "main".into()
}
fn dot() -> PathBuf {
    PathBuf::from(".")
}
fn default_ns() -> String {
    "default".into()
}
fn yes() -> bool {
    true
}

mod humantime_serde_opt {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| humantime::parse_duration(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// A source ready to be started.
#[derive(Debug)]
pub struct SourceSpec {
    pub name: String,
    pub args: SourceArgs,
    pub sync: SyncConfig,
}

/// Source names end up in label values and ConfigMap names.
fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err("a source name must be 1-40 lowercase letters, digits or '-'".into())
    }
}

impl SourceSpec {
    pub fn from_args(
        name: &str,
        args: SourceArgs,
        namespace: &str,
        inventory_ns: Option<String>,
        self_heal: bool,
        allow_empty: bool,
    ) -> Self {
        SourceSpec {
            name: name.to_string(),
            args,
            sync: SyncConfig {
                source: name.to_string(),
                namespace: namespace.to_string(),
                inventory_namespace: inventory_ns.unwrap_or_else(|| namespace.to_string()),
                allow_empty,
                self_heal,
            },
        }
    }

    pub fn load(path: &Path) -> Result<Vec<SourceSpec>, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Vec<SourceSpec>, ConfigError> {
        let file: File = serde_yaml::from_str(text).map_err(|source| ConfigError::Parse {
            path: path.into(),
            source,
        })?;
        let mut out = vec![];
        for s in file.sources {
            check_name(&s.name).map_err(|message| ConfigError::Invalid {
                path: path.into(),
                name: s.name.clone(),
                message,
            })?;
            if out.iter().any(|o: &SourceSpec| o.name == s.name) {
                return Err(ConfigError::Invalid {
                    path: path.into(),
                    name: s.name,
                    message: "defined twice".into(),
                });
            }
            let args = SourceArgs {
                url: s.repo,
                branch: s.branch,
                path: s.path,
                interval: s
                    .interval
                    .unwrap_or(crate::source::follower::DEFAULT_INTERVAL),
                cache_dir: s
                    .cache_dir
                    .unwrap_or_else(|| PathBuf::from("/var/cache/gitcanary")),
                git_username: s.username,
                git_password: None,
                git_password_file: s.password_file,
                git_token: None,
                git_token_file: s.token_file,
                ssh_key_file: s.ssh_key_file,
                ssh_key_passphrase_file: None,
                ssh_known_hosts: s.ssh_known_hosts,
                allowed_signers: s.allowed_signers,
                allowed_pgp_keys: s.allowed_pgp_keys,
                max_manifest_bytes: crate::source::manifest::DEFAULT_MAX_FILE_BYTES,
                no_watch: false,
            };
            out.push(SourceSpec::from_args(
                &s.name,
                args,
                &s.namespace,
                s.inventory_namespace,
                s.self_heal,
                s.allow_empty,
            ));
        }
        Ok(out)
    }

    pub fn into_configs(self) -> Result<(SourceConfig, SyncConfig), ConfigError> {
        let name = self.name.clone();
        let mut source = self
            .args
            .into_config(&name)
            .map_err(|source| ConfigError::Signers {
                name: name.clone(),
                source,
            })?;
        // Each source gets its own mirror directory under the cache dir.
        source.cache_dir = source.cache_dir.join(&name);
        Ok((source, self.sync))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_several_sources() {
        let text = "sources:\n- name: apps\n  repo: https://example.com/a.git\n  path: deploy\n  interval: 10s\n- name: infra\n  repo: /srv/infra\n  namespace: infra\n  selfHeal: false\n";
        let specs = SourceSpec::parse(text, Path::new("c.yaml")).unwrap();
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[0].args.interval, Duration::from_secs(10));
        assert_eq!(specs[0].sync.namespace, "default");
        assert_eq!(specs[1].sync.namespace, "infra");
        assert!(!specs[1].sync.self_heal);
    }

    #[test]
    fn refuses_bad_names_duplicates_and_unknown_keys() {
        for text in [
            "sources:\n- name: Apps\n  repo: x\n",
            "sources:\n- name: a\n  repo: x\n- name: a\n  repo: y\n",
            "sources:\n- name: a\n  repo: x\n  colour: red\n",
        ] {
            assert!(
                SourceSpec::parse(text, Path::new("c.yaml")).is_err(),
                "{text}"
            );
        }
    }
}
