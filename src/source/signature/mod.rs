//! Who signed a commit, checked against the configured allowed signers.

pub mod openpgp;
pub mod ssh;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use git2::{Oid, Repository};

use crate::source::snapshot::{SignatureFormat, SignatureState, Verdict};

#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    #[error("failed to read allowed signers file {}: {source}", path.display())]
    ReadAllowedSigners {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {reason}", path.display())]
    AllowedSignersLine {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("failed to read OpenPGP key file {}: {source}", path.display())]
    ReadPgpKeys {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("OpenPGP key file {}: {reason}", path.display())]
    PgpKeys { path: PathBuf, reason: String },
}

/// The people whose signatures make an approval count. Empty means "accept unsigned approvals".
#[derive(Debug, Clone, Default)]
pub struct Signers {
    ssh: Vec<ssh::AllowedSigner>,
    pgp: Vec<pgp::composed::SignedPublicKey>,
}

impl Signers {
    /// Loads an allowed-signers file and armored OpenPGP key files. A bad line is an error, not a
    /// warning: silently dropping a signer would turn their approvals into rejections without a clue.
    pub fn load(
        allowed_signers: Option<&Path>,
        pgp_keys: &[PathBuf],
    ) -> Result<Self, SignatureError> {
        let mut signers = Signers::default();
        if let Some(path) = allowed_signers {
            let text = std::fs::read_to_string(path).map_err(|source| {
                SignatureError::ReadAllowedSigners {
                    path: path.to_owned(),
                    source,
                }
            })?;
            let (found, refused) = ssh::parse_allowed_signers(&text);
            if let Some((line, reason)) = refused.into_iter().next() {
                return Err(SignatureError::AllowedSignersLine {
                    path: path.to_owned(),
                    line,
                    reason,
                });
            }
            signers.ssh = found;
        }
        for path in pgp_keys {
            let text =
                std::fs::read_to_string(path).map_err(|source| SignatureError::ReadPgpKeys {
                    path: path.clone(),
                    source,
                })?;
            let keys = openpgp::parse_keys(&text).map_err(|reason| SignatureError::PgpKeys {
                path: path.clone(),
                reason,
            })?;
            signers.pgp.extend(keys);
        }
        Ok(signers)
    }

    pub fn is_empty(&self) -> bool {
        self.ssh.is_empty() && self.pgp.is_empty()
    }

    /// The signature state of commit `id`, committed at `at`.
    pub fn check_commit(&self, repo: &Repository, id: Oid, at: DateTime<Utc>) -> SignatureState {
        match repo.extract_signature(&id, None) {
            Ok((signature, data)) => self.check(&signature, &data, at),
            Err(e) if e.code() == git2::ErrorCode::NotFound => SignatureState::Unsigned,
            Err(e) => SignatureState::Invalid {
                format: SignatureFormat::Other,
                reason: format!("failed to read the signature: {}", e.message()),
            },
        }
    }

    /// The state of one armored signature over `data`.
    pub fn check(&self, signature: &[u8], data: &[u8], at: DateTime<Utc>) -> SignatureState {
        let format = format_of(signature);
        if self.is_empty() {
            return SignatureState::NotChecked { format };
        }
        match format {
            SignatureFormat::Ssh => ssh::verify(&self.ssh, signature, data, at),
            SignatureFormat::OpenPgp => openpgp::verify(&self.pgp, signature, data),
            SignatureFormat::Other => SignatureState::Invalid {
                format,
                reason: "unsupported signature format (only SSH and OpenPGP are verified)"
                    .to_owned(),
            },
        }
    }
}

fn format_of(signature: &[u8]) -> SignatureFormat {
    let text = String::from_utf8_lossy(signature);
    let text = text.trim_start();
    if text.starts_with("-----BEGIN SSH SIGNATURE-----") {
        SignatureFormat::Ssh
    } else if text.starts_with("-----BEGIN PGP SIGNATURE-----") {
        SignatureFormat::OpenPgp
    } else {
        SignatureFormat::Other
    }
}

/// Whether an approval with this signature counts: any approval when no signers are configured,
/// otherwise only one validly signed by an allowed signer.
pub fn verdict(signers_configured: bool, state: &SignatureState) -> Verdict {
    if !signers_configured {
        return Verdict::Accepted;
    }
    let reason = match state {
        SignatureState::Valid { .. } => return Verdict::Accepted,
        SignatureState::Unsigned => {
            "commit is not signed, and allowed signers are configured".to_owned()
        }
        SignatureState::NotChecked { .. } => "signature was not checked".to_owned(),
        SignatureState::UnknownSigner { key, .. } => {
            format!("signed by {key}, who is not an allowed signer")
        }
        SignatureState::Invalid { reason, .. } => format!("invalid signature: {reason}"),
    };
    Verdict::Rejected { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_table() {
        let valid = SignatureState::Valid {
            format: SignatureFormat::Ssh,
            signer: "a".into(),
        };
        let unknown = SignatureState::UnknownSigner {
            format: SignatureFormat::OpenPgp,
            key: "K".into(),
        };
        let cases = [
            (false, SignatureState::Unsigned, true),
            (false, unknown.clone(), true),
            (true, SignatureState::Unsigned, false),
            (true, valid, true),
            (true, unknown, false),
        ];
        for (configured, state, accepted) in cases {
            assert_eq!(
                verdict(configured, &state).is_accepted(),
                accepted,
                "{configured} {state:?}"
            );
        }
    }

    #[test]
    fn formats_are_told_apart() {
        assert_eq!(
            format_of(b"-----BEGIN SSH SIGNATURE-----\n"),
            SignatureFormat::Ssh
        );
        assert_eq!(
            format_of(b"-----BEGIN PGP SIGNATURE-----\n"),
            SignatureFormat::OpenPgp
        );
        assert_eq!(
            format_of(b"-----BEGIN SIGNED MESSAGE-----\n"),
            SignatureFormat::Other
        );
    }
}
