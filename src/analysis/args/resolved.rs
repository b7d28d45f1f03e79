//! Argument values at measurement time. Secrets are fetched through the caller's lookup (the
//! controller reads the Secret in the run's namespace) and remembered only to be redacted.

use std::collections::BTreeMap;
use std::fmt;

use crate::api::{Argument, SecretKeyRef};

use super::ArgsError;

/// What a secret value is replaced with in every message and log line.
pub const REDACTED: &str = "*****";

/// Reads `key` of Secret `name` in the run's namespace. Synchronous: the controller fetches the
/// few Secrets a run names (see [`secret_references`]) before measuring.
pub trait SecretLookup: Sync {
    fn secret(&self, reference: &SecretKeyRef) -> Result<String, String>;
}

impl<F: Fn(&SecretKeyRef) -> Result<String, String> + Sync> SecretLookup for F {
    fn secret(&self, reference: &SecretKeyRef) -> Result<String, String> {
        self(reference)
    }
}

/// The Secret keys a run's arguments refer to.
pub fn secret_references(args: &[Argument]) -> Vec<&SecretKeyRef> {
    args.iter()
        .filter(|a| a.value.is_none())
        .filter_map(|a| a.value_from.as_ref()?.secret_key_ref.as_ref())
        .collect()
}

#[derive(Clone, PartialEq, Eq)]
struct ArgValue {
    value: String,
    secret: bool,
}

/// Name → value for one measurement, knowing which values are secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ResolvedArgs {
    values: BTreeMap<String, ArgValue>,
}

impl ResolvedArgs {
    /// Values for every argument, secrets read through `secrets`.
    pub fn resolve(
        args: &[Argument],
        secrets: &dyn SecretLookup,
    ) -> Result<ResolvedArgs, ArgsError> {
        Self::build(args, |name, reference| {
            secrets
                .secret(reference)
                .map_err(|reason| ArgsError::Secret {
                    name: name.to_owned(),
                    secret: reference.name.clone(),
                    key: reference.key.clone(),
                    reason,
                })
        })
    }

    /// Values with every secret replaced by [`REDACTED`]: enough to read a metric's schedule and
    /// limits, and safe to show.
    pub fn without_secrets(args: &[Argument]) -> Result<ResolvedArgs, ArgsError> {
        Self::build(args, |_, _| Ok(REDACTED.to_owned()))
    }

    fn build(
        args: &[Argument],
        secret: impl Fn(&str, &SecretKeyRef) -> Result<String, ArgsError>,
    ) -> Result<ResolvedArgs, ArgsError> {
        let mut values = BTreeMap::new();
        for arg in args {
            let resolved = match (&arg.value, &arg.value_from) {
                (Some(value), _) => ArgValue {
                    value: value.clone(),
                    secret: false,
                },
                (None, Some(from)) => match &from.secret_key_ref {
                    Some(reference) => ArgValue {
                        value: secret(&arg.name, reference)?,
                        secret: true,
                    },
                    None => return Err(ArgsError::Unresolved(arg.name.clone())),
                },
                (None, None) => return Err(ArgsError::Unresolved(arg.name.clone())),
            };
            values.insert(arg.name.clone(), resolved);
        }
        Ok(ResolvedArgs { values })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(|v| v.value.as_str())
    }

    /// `text` with every secret value replaced by `*****`.
    pub fn redact(&self, text: &str) -> String {
        let mut secrets: Vec<&str> = self
            .values
            .values()
            .filter(|v| v.secret && !v.value.is_empty() && v.value != REDACTED)
            .map(|v| v.value.as_str())
            .collect();
        // Longest first, so a secret containing another is hidden whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets
            .into_iter()
            .fold(text.to_owned(), |acc, secret| acc.replace(secret, REDACTED))
    }
}

/// Debug output goes to logs: secret values never appear in it.
impl fmt::Debug for ResolvedArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.values
                    .iter()
                    .map(|(name, v)| (name, if v.secret { REDACTED } else { v.value.as_str() })),
            )
            .finish()
    }
}
