//! Walks a directory on disk, for `gitcanary validate` and for anyone checking a working copy offline.

use std::fs;
use std::path::{Path, PathBuf};

use super::error::{LoadError, ManifestError};
use super::ignore::IgnoreRules;
use super::parse::is_manifest_file;
use super::{Candidate, FileCache, Limits, load_candidates};
use crate::source::snapshot::Manifest;

/// Loads every manifest under `root`, applying the same rules as a commit's tree. Paths in errors are
/// relative to `root`, which also counts as "the repository" for symlink checks.
pub fn load_dir(root: &Path, limits: Limits) -> Result<Vec<Manifest>, LoadError> {
    let single = |reason: String| LoadError {
        problems: vec![ManifestError::NoSuchDirectory {
            path: root.to_owned(),
            reason,
        }],
    };
    let canonical_root = fs::canonicalize(root).map_err(|e| single(e.to_string()))?;
    if !canonical_root.is_dir() {
        return Err(single("not a directory".to_owned()));
    }
    let ignore = fs::read_to_string(canonical_root.join(IgnoreRules::FILE_NAME))
        .map(|text| IgnoreRules::parse(&text))
        .unwrap_or_default();
    let mut walk = DirWalk {
        root: canonical_root,
        ignore,
        candidates: Vec::new(),
        problems: Vec::new(),
    };
    walk.dir(Path::new(""));
    let DirWalk {
        mut candidates,
        problems,
        ..
    } = walk;
    candidates.sort_by(|a, b| a.path.as_os_str().cmp(b.path.as_os_str()));
    let read = |c: &Candidate<PathBuf>| fs::read(&c.id).map_err(|e| e.to_string());
    load_candidates(candidates, problems, limits, &FileCache::new(), read)
        .map(|(objects, _)| objects)
}

struct DirWalk {
    root: PathBuf,
    ignore: IgnoreRules,
    candidates: Vec<Candidate<PathBuf>>,
    problems: Vec<ManifestError>,
}

impl DirWalk {
    fn dir(&mut self, rel: &Path) {
        let entries = match fs::read_dir(self.root.join(rel)) {
            Ok(entries) => entries,
            Err(e) => {
                return self.problems.push(ManifestError::Read {
                    file: rel.to_owned(),
                    reason: e.to_string(),
                });
            }
        };
        for entry in entries.flatten() {
            let rel = rel.join(entry.file_name());
            let rel_str = rel.to_string_lossy().replace('\\', "/");
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if rel_str != ".git" && !self.ignore.is_ignored(&rel_str, true) {
                    self.dir(&rel);
                }
            } else if is_manifest_file(&rel) && !self.ignore.is_ignored(&rel_str, false) {
                if kind.is_symlink() {
                    self.link(rel);
                } else if kind.is_file() {
                    let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                    let id = self.root.join(&rel);
                    self.candidates.push(Candidate {
                        path: rel,
                        id,
                        size,
                    });
                }
            }
        }
    }

    /// Symlinks to files inside the root are read through; directories behind symlinks are not walked.
    fn link(&mut self, rel: PathBuf) {
        let full = self.root.join(&rel);
        let target = fs::read_link(&full)
            .map(|t| t.display().to_string())
            .unwrap_or_default();
        let resolved = match fs::canonicalize(&full) {
            Ok(resolved) => resolved,
            Err(e) => {
                return self.problems.push(ManifestError::SymlinkBroken {
                    file: rel,
                    target,
                    reason: e.to_string(),
                });
            }
        };
        if !resolved.starts_with(&self.root) {
            return self
                .problems
                .push(ManifestError::SymlinkOutside { file: rel, target });
        }
        match fs::metadata(&resolved) {
            Ok(meta) if meta.is_file() => self.candidates.push(Candidate {
                path: rel,
                id: resolved,
                size: meta.len(),
            }),
            _ => self.problems.push(ManifestError::SymlinkBroken {
                file: rel,
                target,
                reason: "target is not a regular file".to_owned(),
            }),
        }
    }
}
