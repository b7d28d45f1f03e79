//! OpenPGP commit signatures (what `git commit -S` makes with gpg) against armored public keys.

use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
use pgp::types::KeyDetails;

use crate::source::snapshot::{SignatureFormat, SignatureState};

/// Parses every public key in an armored file (a keyring export may hold several).
pub fn parse_keys(armored: &str) -> Result<Vec<SignedPublicKey>, String> {
    let (keys, _headers) = SignedPublicKey::from_string_many(armored).map_err(|e| e.to_string())?;
    let keys: Vec<SignedPublicKey> = keys.collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    if keys.is_empty() {
        return Err("no public key found".to_owned());
    }
    Ok(keys)
}

/// Checks an armored detached signature over `data` against the primary keys and bound subkeys of
/// `keys`. A subkey counts only with a valid binding signature from its primary key.
pub fn verify(keys: &[SignedPublicKey], armored: &[u8], data: &[u8]) -> SignatureState {
    let format = SignatureFormat::OpenPgp;
    let text = String::from_utf8_lossy(armored);
    let sig = match DetachedSignature::from_string(&text) {
        Ok((sig, _)) => sig,
        Err(e) => {
            return SignatureState::Invalid {
                format,
                reason: format!("unreadable OpenPGP signature: {e}"),
            };
        }
    };
    let issuers: Vec<String> = sig
        .signature
        .issuer_fingerprint()
        .iter()
        .map(|f| format!("{f:X}"))
        .chain(
            sig.signature
                .issuer_key_id()
                .iter()
                .map(|id| hex::encode_upper(id.as_ref())),
        )
        .collect();
    let mut known_issuer = false;
    for key in keys {
        let signer = signer_name(key);
        let primary_ids = [
            format!("{:X}", key.fingerprint()),
            hex::encode_upper(key.legacy_key_id().as_ref()),
        ];
        known_issuer |= primary_ids.iter().any(|id| issuers.contains(id));
        if sig.verify(&key.primary_key, data).is_ok() {
            return SignatureState::Valid { format, signer };
        }
        for sub in &key.public_subkeys {
            let sub_ids = [
                format!("{:X}", sub.key.fingerprint()),
                hex::encode_upper(sub.key.legacy_key_id().as_ref()),
            ];
            known_issuer |= sub_ids.iter().any(|id| issuers.contains(id));
            if sub.verify_bindings(&key.primary_key).is_ok() && sig.verify(&sub.key, data).is_ok() {
                return SignatureState::Valid { format, signer };
            }
        }
    }
    let issuer = issuers
        .first()
        .cloned()
        .unwrap_or_else(|| "unknown key".to_owned());
    if known_issuer {
        SignatureState::Invalid {
            format,
            reason: format!("bad signature from {issuer}"),
        }
    } else {
        SignatureState::UnknownSigner {
            format,
            key: issuer,
        }
    }
}

/// The first user id (`Name <email>`), falling back to the fingerprint.
fn signer_name(key: &SignedPublicKey) -> String {
    key.details
        .users
        .first()
        .map(|user| String::from_utf8_lossy(user.id.id()).into_owned())
        .unwrap_or_else(|| format!("{:X}", key.fingerprint()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_refused_with_a_reason() {
        assert!(parse_keys("not a key").is_err());
        let state = verify(
            &[],
            b"-----BEGIN PGP SIGNATURE-----\n\nxx\n-----END PGP SIGNATURE-----\n",
            b"",
        );
        assert!(matches!(state, SignatureState::Invalid { .. }), "{state:?}");
    }
}
