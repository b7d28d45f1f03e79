//! Arguments: the Rollout's values merged into the templates' declarations when a run is
//! created ([`run_args`]), then resolved — secrets included — and substituted into each metric's
//! `{{args.NAME}}` placeholders when it is measured ([`ResolvedArgs`], [`resolve_metric`]).
//! Secret values are known only to [`ResolvedArgs`], which also redacts them from any text.

mod field_path;
mod merge;
mod resolved;
mod substitute;

#[cfg(test)]
mod tests;

pub use field_path::{FieldPathError, rollout_field};
pub use merge::{PodHashes, flatten_template_args, merge_args, rollout_args, run_args};
pub use resolved::{REDACTED, ResolvedArgs, SecretLookup, secret_references};
pub use substitute::{resolve_metric, substitute};

/// Why arguments could not be turned into values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArgsError {
    #[error("args.{0} was not resolved")]
    Unresolved(String),
    #[error(
        "argument `{name}` specified multiple times with different values: '{first}', '{second}'"
    )]
    Conflict {
        name: String,
        first: String,
        second: String,
    },
    #[error("args.{name}: {source}")]
    FieldRef {
        name: String,
        source: FieldPathError,
    },
    #[error("args.{name}: podTemplateHashValue {kind:?} is not available: {reason}")]
    PodHash {
        name: String,
        kind: String,
        reason: &'static str,
    },
    #[error("args.{name}: valueFrom needs secretKeyRef, fieldRef or podTemplateHashValue")]
    EmptyValueFrom { name: String },
    #[error("args.{name}: secret {secret}/{key} could not be read: {reason}")]
    Secret {
        name: String,
        secret: String,
        key: String,
        reason: String,
    },
    #[error("failed to resolve {{{{{tag}}}}}")]
    Placeholder { tag: String },
    #[error("metric {metric:?} cannot be re-read after substituting arguments: {reason}")]
    Reparse { metric: String, reason: String },
}
