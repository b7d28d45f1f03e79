//! Manifest loading: find the files under `--path`, parse them, key and hash every object.
//!
//! Two walkers feed one pipeline: [`git`] reads a commit's tree (what the daemon applies) and [`fs`]
//! reads a working directory (what `gitcanary validate` checks), so both refuse exactly the same things.

pub mod canonical;
pub mod error;
pub mod fs;
pub mod git;
pub mod ignore;
pub mod object;
pub mod parse;
mod value;

use std::collections::HashMap;
use std::hash::Hash;
use std::path::PathBuf;
use std::sync::Arc;

pub use error::{LoadError, ManifestError, Problem};
pub use ignore::IgnoreRules;

use crate::source::snapshot::Manifest;

/// Default for `--max-manifest-bytes`: far above any real manifest, low enough to stop a stray dump.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Limits that protect the daemon from hostile or accidental repository content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// A file a walker chose to load. `id` says where the bytes are (a blob id, a filesystem path).
#[derive(Debug, Clone)]
pub(crate) struct Candidate<Id> {
    /// Relative to the repository root; this is what errors show.
    pub path: PathBuf,
    pub id: Id,
    pub size: u64,
}

/// Objects of each file from the previous load, keyed by path and content id: a file whose bytes did
/// not change is not parsed again.
pub(crate) type FileCache<Id> = HashMap<(PathBuf, Id), Arc<Vec<Manifest>>>;

/// Parses every candidate (or takes it from `previous`) and checks the set; all problems are returned
/// together. Candidates must already be in their final, stable order.
pub(crate) fn load_candidates<Id, R>(
    candidates: Vec<Candidate<Id>>,
    mut problems: Vec<ManifestError>,
    limits: Limits,
    previous: &FileCache<Id>,
    mut read: R,
) -> Result<(Vec<Manifest>, FileCache<Id>), LoadError>
where
    Id: Clone + Eq + Hash,
    R: FnMut(&Candidate<Id>) -> Result<Vec<u8>, String>,
{
    let mut objects = Vec::new();
    let mut cache = FileCache::with_capacity(candidates.len());
    for candidate in candidates {
        let cache_key = (candidate.path.clone(), candidate.id.clone());
        if let Some(cached) = previous.get(&cache_key) {
            objects.extend(cached.iter().cloned());
            cache.insert(cache_key, cached.clone());
            continue;
        }
        match load_file(&candidate, limits, &mut read) {
            Ok(file_objects) => {
                objects.extend(file_objects.iter().cloned());
                cache.insert(cache_key, Arc::new(file_objects));
            }
            Err(mut file_problems) => problems.append(&mut file_problems),
        }
    }
    problems.extend(object::duplicates(&objects));
    if problems.is_empty() {
        Ok((objects, cache))
    } else {
        Err(LoadError { problems })
    }
}

fn load_file<Id, R>(
    candidate: &Candidate<Id>,
    limits: Limits,
    read: &mut R,
) -> Result<Vec<Manifest>, Vec<ManifestError>>
where
    R: FnMut(&Candidate<Id>) -> Result<Vec<u8>, String>,
{
    let file = &candidate.path;
    if candidate.size > limits.max_file_bytes {
        return Err(vec![ManifestError::TooLarge {
            file: file.clone(),
            size: candidate.size,
            limit: limits.max_file_bytes,
        }]);
    }
    let bytes = read(candidate).map_err(|reason| {
        vec![ManifestError::Read {
            file: file.clone(),
            reason,
        }]
    })?;
    // The size seen by the walker may be stale (a file being written); the limit holds for what we read.
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(vec![ManifestError::TooLarge {
            file: file.clone(),
            size: bytes.len() as u64,
            limit: limits.max_file_bytes,
        }]);
    }
    let documents = parse::parse_file(file, &bytes).map_err(|e| vec![e])?;
    object::file_objects(file, documents)
}
