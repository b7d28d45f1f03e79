//! Why a manifest file was refused. Every variant names the file, so a person knows what to edit.

use std::fmt;
use std::path::PathBuf;

use crate::source::snapshot::{ObjectKey, Origin};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("{}: failed to read: {reason}", file.display())]
    Read { file: PathBuf, reason: String },
    #[error("{}: {reason}", path.display())]
    NoSuchDirectory { path: PathBuf, reason: String },
    #[error("{}: file is {size} bytes, larger than the limit of {limit} bytes", file.display())]
    TooLarge {
        file: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{}: symlink points outside the repository (to `{target}`)", file.display())]
    SymlinkOutside { file: PathBuf, target: String },
    #[error("{}: symlink to `{target}` cannot be followed: {reason}", file.display())]
    SymlinkBroken {
        file: PathBuf,
        target: String,
        reason: String,
    },
    #[error("{}: file is not valid UTF-8", file.display())]
    NotUtf8 { file: PathBuf },
    #[error("{}:{line}:{column}: invalid {format}: {message}", file.display())]
    Syntax {
        file: PathBuf,
        format: &'static str,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: invalid {format}: {message}", file.display())]
    SyntaxNoPosition {
        file: PathBuf,
        format: &'static str,
        message: String,
    },
    #[error("{}: document {document}: YAML alias expansion exceeds {limit} nodes (alias bomb?)", file.display())]
    AliasBomb {
        file: PathBuf,
        document: usize,
        limit: u64,
    },
    #[error("{origin}: document is not a mapping")]
    NotAnObject { origin: Origin },
    #[error("{origin}: missing or empty `{field}`")]
    MissingField { origin: Origin, field: &'static str },
    #[error("{origin}: `{field}` must be a string")]
    NotAString { origin: Origin, field: &'static str },
    #[error("{second}: {key} is also defined at {first}")]
    Duplicate {
        key: Box<ObjectKey>,
        first: Box<Origin>,
        second: Box<Origin>,
    },
}

/// One problem in the `validate` output format: `file:line: kind/name: field: message`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub file: PathBuf,
    pub line: Option<usize>,
    /// `Kind/name`, when the object is known.
    pub object: Option<String>,
    /// Dotted path of the offending field, when there is one.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.line.unwrap_or(1);
        let object = self.object.as_deref().unwrap_or("-");
        let field = self.field.as_deref().unwrap_or("-");
        write!(
            f,
            "{}:{line}: {object}: {field}: {}",
            self.file.display(),
            self.message
        )
    }
}

impl ManifestError {
    /// The same refusal, laid out for `validate`'s one-line-per-problem output.
    pub fn problem(&self) -> Problem {
        let plain = |file: &PathBuf, line: Option<usize>, message: String| Problem {
            file: file.clone(),
            line,
            object: None,
            field: None,
            message,
        };
        match self {
            ManifestError::Read { file, reason } => {
                plain(file, None, format!("failed to read: {reason}"))
            }
            ManifestError::NoSuchDirectory { path, reason } => plain(path, None, reason.clone()),
            ManifestError::TooLarge { file, size, limit } => plain(
                file,
                None,
                format!("file is {size} bytes, larger than the limit of {limit} bytes"),
            ),
            ManifestError::SymlinkOutside { file, target } => plain(
                file,
                None,
                format!("symlink points outside the repository (to `{target}`)"),
            ),
            ManifestError::SymlinkBroken {
                file,
                target,
                reason,
            } => plain(
                file,
                None,
                format!("symlink to `{target}` cannot be followed: {reason}"),
            ),
            ManifestError::NotUtf8 { file } => {
                plain(file, None, "file is not valid UTF-8".to_owned())
            }
            ManifestError::Syntax {
                file,
                format,
                line,
                column,
                message,
            } => plain(
                file,
                Some(*line),
                format!("invalid {format} at column {column}: {message}"),
            ),
            ManifestError::SyntaxNoPosition {
                file,
                format,
                message,
            } => plain(file, None, format!("invalid {format}: {message}")),
            ManifestError::AliasBomb {
                file,
                document,
                limit,
            } => plain(
                file,
                None,
                format!(
                    "document {document}: YAML alias expansion exceeds {limit} nodes (alias bomb?)"
                ),
            ),
            ManifestError::NotAnObject { origin } => plain(
                &origin.file,
                origin.line,
                format!("document {} is not a mapping", origin.document),
            ),
            ManifestError::MissingField { origin, field } => Problem {
                field: Some((*field).to_owned()),
                ..plain(&origin.file, origin.line, "missing or empty".to_owned())
            },
            ManifestError::NotAString { origin, field } => Problem {
                field: Some((*field).to_owned()),
                ..plain(&origin.file, origin.line, "must be a string".to_owned())
            },
            ManifestError::Duplicate { key, first, second } => Problem {
                object: Some(format!("{}/{}", key.kind, key.name)),
                field: Some("metadata.name".to_owned()),
                ..plain(
                    &second.file,
                    second.line,
                    format!("{key} is also defined at {first}"),
                )
            },
        }
    }
}

/// All the refusals of one load: one bad file makes the whole set invalid, and people want every
/// problem at once rather than one per push.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} manifest problem(s): {}", problems.len(), summary(problems))]
pub struct LoadError {
    pub problems: Vec<ManifestError>,
}

fn summary(problems: &[ManifestError]) -> String {
    let mut lines: Vec<String> = problems.iter().take(5).map(ToString::to_string).collect();
    if problems.len() > 5 {
        lines.push(format!("and {} more", problems.len() - 5));
    }
    lines.join("; ")
}
