//! Credentials for the remote, and keeping them out of logs, errors and status.
//!
//! Secrets given as files (a mounted Kubernetes Secret) are read again at every fetch, so a rotated
//! Secret takes effect without a restart.

use std::fmt;
use std::path::{Path, PathBuf};

/// A secret string. `Debug` prints `***`; there is no `Display`, so it cannot end up in a message.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    Value(Secret),
    /// Read (and trimmed of trailing newlines) each time it is needed.
    File(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("failed to read secret file {}: {source}", path.display())]
    ReadSecret {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl SecretSource {
    pub fn read(&self) -> Result<Secret, CredentialsError> {
        match self {
            SecretSource::Value(secret) => Ok(secret.clone()),
            SecretSource::File(path) => std::fs::read_to_string(path)
                .map(|text| Secret(text.trim_end_matches(['\r', '\n']).to_owned()))
                .map_err(|source| CredentialsError::ReadSecret {
                    path: path.clone(),
                    source,
                }),
        }
    }
}

/// How to authenticate to the remote. Only what the URL's scheme asks for is used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// HTTP basic-auth user, or the SSH user when the URL has none.
    pub username: Option<String>,
    pub password: Option<SecretSource>,
    /// Sent as `Authorization: Bearer …` over HTTP(S).
    pub token: Option<SecretSource>,
    pub ssh_key: Option<PathBuf>,
    pub ssh_key_passphrase: Option<SecretSource>,
    /// When set, SSH host keys must match an entry of this file; otherwise any host key is accepted.
    pub known_hosts: Option<PathBuf>,
}

/// Secrets in effect for one fetch, read once so every use and every redaction agrees.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub token: Option<Secret>,
    pub ssh_key: Option<PathBuf>,
    pub ssh_key_passphrase: Option<Secret>,
}

impl Credentials {
    pub fn resolve(&self) -> Result<Resolved, CredentialsError> {
        let read = |s: &Option<SecretSource>| s.as_ref().map(SecretSource::read).transpose();
        Ok(Resolved {
            username: self.username.clone(),
            password: read(&self.password)?,
            token: read(&self.token)?,
            ssh_key: self.ssh_key.clone(),
            ssh_key_passphrase: read(&self.ssh_key_passphrase)?,
        })
    }
}

impl Resolved {
    /// Replaces every secret (and any `user:password@` in URLs) in `text` before it leaves this layer.
    pub fn redact(&self, text: &str) -> String {
        let mut out = redact_userinfo(text);
        for secret in [&self.password, &self.token, &self.ssh_key_passphrase]
            .into_iter()
            .flatten()
        {
            if !secret.0.is_empty() {
                out = out.replace(&secret.0, "***");
            }
        }
        out
    }
}

/// Drops the password from `scheme://user:password@host` anywhere in `text`.
pub fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail.find(['/', ' ', '\'', '"']).unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _password)) => out.push_str(&format!("{user}:***@{host}")),
                None => out.push_str(authority),
            },
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The directory of a remote given as a plain path or `file://` URL: those can be watched for changes.
pub fn local_path(url: &str) -> Option<PathBuf> {
    if let Some(rest) = url.strip_prefix("file://") {
        return Some(PathBuf::from(rest));
    }
    if url.contains("://") {
        return None;
    }
    // scp-style `user@host:path` has a colon before the first slash.
    let scp_like = match (url.find(':'), url.find('/')) {
        (Some(colon), Some(slash)) => colon < slash,
        (Some(_), None) => true,
        _ => false,
    };
    (!scp_like).then(|| Path::new(url).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_passwords() {
        let cases = [
            (
                "fetch https://u:pw@host/repo.git failed",
                "fetch https://u:***@host/repo.git failed",
            ),
            ("https://host/x", "https://host/x"),
            ("ssh://git@host:22/x", "ssh://git@host:22/x"),
            (
                "a http://t@h b https://x:y@z",
                "a http://t@h b https://x:***@z",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(redact_userinfo(input), want);
        }
    }

    #[test]
    fn secrets_are_replaced_and_never_debug_printed() {
        let resolved = Resolved {
            password: Some(Secret::new("hunter2")),
            token: Some(Secret::new("tok-123")),
            ..Resolved::default()
        };
        assert_eq!(
            resolved.redact("bad hunter2 and tok-123"),
            "bad *** and ***"
        );
        assert!(!format!("{resolved:?}").contains("hunter2"));
    }

    #[test]
    fn local_paths_are_recognised() {
        let cases = [
            ("/srv/repo", Some("/srv/repo")),
            ("./repo", Some("./repo")),
            ("file:///srv/repo", Some("/srv/repo")),
            ("https://h/r.git", None),
            ("git@github.com:o/r.git", None),
            ("ssh://git@h/r", None),
        ];
        for (url, want) in cases {
            assert_eq!(local_path(url), want.map(PathBuf::from), "{url}");
        }
    }
}
