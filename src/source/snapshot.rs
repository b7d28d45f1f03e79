//! The immutable data the source layer hands to sync and rollout: one `Snapshot` per accepted commit.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};

/// Everything the later layers need from one commit, frozen so it can be shared behind an `Arc`.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub commit: CommitInfo,
    /// Objects in file order (paths sorted bytewise, then document order), so output is reproducible.
    /// Shared, because a commit that leaves `--path` alone reuses its predecessor's objects as they are.
    pub objects: Arc<Vec<Manifest>>,
    /// Approvals from the commits this snapshot covers; see `approvals::commits_to_scan` for the rule.
    pub approvals: Vec<Approval>,
    /// SHA-256 over the sorted `(key, object hash)` pairs: equal digests mean the desired cluster state is
    /// the same, even if files were moved around or a commit touched nothing under `--path`.
    pub digest: [u8; 32],
    /// Tree id of `--path` in this commit; equal ids let the next commit reuse `objects` unparsed.
    pub tree: String,
}

/// The commit a snapshot was taken from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: String,
    pub summary: String,
    /// `Name <email>` of the author.
    pub author: String,
    /// Committer time: when the commit reached the branch, which is what ordering decisions need.
    pub time: DateTime<Utc>,
}

/// One Kubernetes object as written in Git.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub origin: Origin,
    pub key: ObjectKey,
    /// The object as compact JSON text. Snapshots live as long as the process (two of them while a
    /// commit is applied), and a parsed `Value` costs about 18 times its text (a Rollout with 18
    /// steps: 20 KB against 1.1 KB); readers parse it when they need it. Shared between a snapshot
    /// and the loader's per-file cache.
    pub json: Arc<str>,
    /// SHA-256 of the object's canonical JSON (sorted keys, no whitespace): lets sync skip unchanged objects.
    pub hash: [u8; 32],
}

impl Manifest {
    /// The object, parsed from its text.
    pub fn object(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(&self.json)
    }
}

/// Where an object came from, so every later error can point at the file a person has to edit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    /// Relative to the repository root (or to the directory given to `validate`).
    pub file: PathBuf,
    /// 1-based, counting every document in the file including empty ones, as a person counts `---`.
    pub document: usize,
    /// 1-based line where the document starts, when it could be determined.
    pub line: Option<usize>,
    /// 1-based index inside a `List` document's `items`.
    pub item: Option<usize>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, " (document {}", self.document)?;
        if let Some(item) = self.item {
            write!(f, ", item {item}")?;
        }
        f.write_str(")")
    }
}

/// The identity of an object in the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectKey {
    /// API group without version: two documents for `apps/v1` and `apps/v1beta1` of one name are one object.
    pub fn group(&self) -> &str {
        match self.api_version.split_once('/') {
            Some((group, _)) => group,
            None => "",
        }
    }

    /// Whether both keys name the same cluster object, whatever API version each was written in.
    pub fn same_object(&self, other: &ObjectKey) -> bool {
        self.group() == other.group()
            && self.kind == other.kind
            && self.namespace == other.namespace
            && self.name == other.name
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// A `Promote:`/`Promote-Full:`/`Abort:`/`Retry:` trailer found on the tracked branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub action: ApprovalAction,
    pub namespace: Option<String>,
    /// The Rollout name as written (for a malformed trailer, the raw value, with a `Rejected` verdict).
    pub name: String,
    pub commit: String,
    /// `Name <email>` of the commit author.
    pub author: String,
    /// Committer time, which the rollout controller compares with the start of the canary revision.
    pub committed_at: DateTime<Utc>,
    pub signature: SignatureState,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApprovalAction {
    Promote,
    PromoteFull,
    Abort,
    Retry,
}

impl ApprovalAction {
    /// The trailer token as written in commit messages.
    pub fn trailer(self) -> &'static str {
        match self {
            ApprovalAction::Promote => "Promote",
            ApprovalAction::PromoteFull => "Promote-Full",
            ApprovalAction::Abort => "Abort",
            ApprovalAction::Retry => "Retry",
        }
    }

    /// Trailer tokens are case-insensitive, as git treats them.
    pub fn from_trailer(token: &str) -> Option<Self> {
        [Self::Promote, Self::PromoteFull, Self::Abort, Self::Retry]
            .into_iter()
            .find(|action| action.trailer().eq_ignore_ascii_case(token))
    }
}

/// What the commit's signature says, independent of whether signers are configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureState {
    Unsigned,
    /// Signed, but no allowed signers are configured, so nobody checked it.
    NotChecked {
        format: SignatureFormat,
    },
    Valid {
        format: SignatureFormat,
        signer: String,
    },
    /// Signed by a key that is not among the allowed signers.
    UnknownSigner {
        format: SignatureFormat,
        key: String,
    },
    Invalid {
        format: SignatureFormat,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureFormat {
    Ssh,
    OpenPgp,
    /// x509 (gpgsm) or anything else git can attach; never accepted when signers are configured.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    Rejected { reason: String },
}

impl Verdict {
    pub fn is_accepted(&self) -> bool {
        matches!(self, Verdict::Accepted)
    }
}
