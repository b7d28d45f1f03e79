//! SSH commit signatures ("sshsig", as `git -c gpg.format=ssh` writes them) against an allowed-signers
//! file in the format git and `ssh-keygen -Y verify` use.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use ssh_key::{PublicKey, SshSig};

use crate::source::snapshot::{SignatureFormat, SignatureState};

/// The namespace git signs commits in; a signature made for another purpose must not approve anything.
const GIT_NAMESPACE: &str = "git";

/// One usable line of an allowed-signers file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSigner {
    pub principals: String,
    pub key: PublicKey,
    /// `namespaces="..."`; `None` means any namespace.
    pub namespaces: Option<Vec<String>>,
    pub valid_after: Option<DateTime<Utc>>,
    pub valid_before: Option<DateTime<Utc>>,
}

/// Parses an allowed-signers file. Returns the usable entries and, per refused line, why.
///
/// `cert-authority` lines are refused: certificate-based signing is not supported. Times in
/// `valid-after`/`valid-before` are read as UTC.
pub fn parse_allowed_signers(text: &str) -> (Vec<AllowedSigner>, Vec<(usize, String)>) {
    let mut signers = Vec::new();
    let mut refused = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_line(line) {
            Ok(signer) => signers.push(signer),
            Err(reason) => refused.push((n + 1, reason)),
        }
    }
    (signers, refused)
}

fn parse_line(line: &str) -> Result<AllowedSigner, String> {
    let fields = split_fields(line);
    let mut fields = fields.iter().map(String::as_str);
    let principals = fields.next().ok_or("missing principals")?.to_owned();
    let mut next = fields.next().ok_or("missing key")?;
    let mut options = Vec::new();
    if !is_key_type(next) {
        options = split_options(next);
        next = fields.next().ok_or("missing key type")?;
    }
    let data = fields.next().ok_or("missing key data")?;
    let key = PublicKey::from_openssh(&format!("{next} {data}"))
        .map_err(|e| format!("invalid key: {e}"))?;
    let mut signer = AllowedSigner {
        principals,
        key,
        namespaces: None,
        valid_after: None,
        valid_before: None,
    };
    for option in options {
        let (name, value) = match option.split_once('=') {
            Some((name, value)) => (
                name.to_ascii_lowercase(),
                value.trim_matches('"').to_owned(),
            ),
            None => (option.to_ascii_lowercase(), String::new()),
        };
        match name.as_str() {
            "namespaces" => {
                signer.namespaces = Some(value.split(',').map(|s| s.trim().to_owned()).collect())
            }
            "valid-after" => signer.valid_after = Some(parse_time(&value)?),
            "valid-before" => signer.valid_before = Some(parse_time(&value)?),
            "cert-authority" => return Err("cert-authority lines are not supported".to_owned()),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(signer)
}

fn is_key_type(field: &str) -> bool {
    ["ssh-", "ecdsa-", "sk-"]
        .iter()
        .any(|p| field.starts_with(p))
}

/// Splits on whitespace outside double quotes.
fn split_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    fields.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        fields.push(current);
    }
    fields
}

/// Splits `a,b="x,y",c` on commas outside quotes.
fn split_options(field: &str) -> Vec<String> {
    let mut options = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in field.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => options.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    options.push(current);
    options.into_iter().filter(|o| !o.is_empty()).collect()
}

/// `YYYYMMDD`, `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS`, optionally ending in `Z`.
fn parse_time(value: &str) -> Result<DateTime<Utc>, String> {
    let digits = value.trim_end_matches(['Z', 'z']);
    let bad = || format!("invalid time `{value}`");
    let naive = match digits.len() {
        8 => NaiveDate::parse_from_str(digits, "%Y%m%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0)),
        12 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M").ok(),
        14 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M%S").ok(),
        _ => None,
    };
    naive.map(|n| n.and_utc()).ok_or_else(bad)
}

/// Checks an armored sshsig over `data` at commit time `at` against `signers`.
pub fn verify(
    signers: &[AllowedSigner],
    armored: &[u8],
    data: &[u8],
    at: DateTime<Utc>,
) -> SignatureState {
    let format = SignatureFormat::Ssh;
    let invalid = |reason: String| SignatureState::Invalid { format, reason };
    let sig = match SshSig::from_pem(armored) {
        Ok(sig) => sig,
        Err(e) => return invalid(format!("unreadable SSH signature: {e}")),
    };
    if sig.namespace() != GIT_NAMESPACE {
        return invalid(format!(
            "signature namespace is `{}`, not `git`",
            sig.namespace()
        ));
    }
    let fingerprint = PublicKey::from(sig.public_key().clone())
        .fingerprint(ssh_key::HashAlg::Sha256)
        .to_string();
    let candidates: Vec<&AllowedSigner> = signers
        .iter()
        .filter(|s| s.key.key_data() == sig.public_key())
        .collect();
    if candidates.is_empty() {
        return SignatureState::UnknownSigner {
            format,
            key: fingerprint,
        };
    }
    let usable = candidates.iter().find(|s| {
        s.namespaces
            .as_ref()
            .is_none_or(|ns| ns.iter().any(|n| n == GIT_NAMESPACE))
            && s.valid_after.is_none_or(|t| at >= t)
            && s.valid_before.is_none_or(|t| at < t)
    });
    let Some(signer) = usable else {
        return invalid(format!(
            "key {fingerprint} is not allowed for git signatures at {at}"
        ));
    };
    match signer.key.verify(GIT_NAMESPACE, data, &sig) {
        Ok(()) => SignatureState::Valid {
            format,
            signer: signer.principals.clone(),
        },
        Err(e) => invalid(format!("bad signature from {fingerprint}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA4vCtu7GIpnpNOZCkR1ElTR8Ng/xqoybrUuQU8S+XGj";

    #[test]
    fn allowed_signers_lines() {
        let text = format!(
            "# comment\n\
             alice@example.com {KEY} alice\n\
             bob@example.com,carol@example.com namespaces=\"git,file\",valid-after=\"20240101\" {KEY}\n\
             ops@example.com cert-authority {KEY}\n\
             broken@example.com ssh-ed25519 notbase64\n\
             dave@example.com valid-before=2025 {KEY}\n"
        );
        let (signers, refused) = parse_allowed_signers(&text);
        let principals: Vec<_> = signers.iter().map(|s| s.principals.as_str()).collect();
        assert_eq!(
            principals,
            vec!["alice@example.com", "bob@example.com,carol@example.com"]
        );
        assert_eq!(
            signers[1].namespaces,
            Some(vec!["git".to_owned(), "file".to_owned()])
        );
        assert_eq!(
            signers[1].valid_after.map(|t| t.to_rfc3339()),
            Some("2024-01-01T00:00:00+00:00".into())
        );
        let lines: Vec<_> = refused.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, vec![4, 5, 6]);
    }

    #[test]
    fn garbage_signatures_are_invalid_not_panics() {
        let state = verify(
            &[],
            b"-----BEGIN SSH SIGNATURE-----\nxx\n-----END SSH SIGNATURE-----\n",
            b"",
            Utc::now(),
        );
        assert!(matches!(state, SignatureState::Invalid { .. }), "{state:?}");
    }
}
