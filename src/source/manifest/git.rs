//! Walks the `--path` directory of a commit's tree.

use std::path::{Component, Path, PathBuf};

use git2::{ObjectType, Odb, Oid, Repository, Tree};

use super::error::{LoadError, ManifestError};
use super::ignore::IgnoreRules;
use super::parse::is_manifest_file;
use super::{Candidate, FileCache, Limits, load_candidates};
use crate::source::snapshot::Manifest;

const MODE_TREE: i32 = 0o040000;
const MODE_LINK: i32 = 0o120000;
const MODE_BLOB: i32 = 0o100644;
const MODE_EXEC: i32 = 0o100755;
/// Like the kernel's limit on nested links, so a link cycle ends with a clear error.
const MAX_LINK_HOPS: usize = 8;

/// The objects under `--path` of one commit, and what the next load needs to skip work.
pub struct TreeLoad {
    pub objects: Vec<Manifest>,
    /// Id of the `--path` tree; an identical id next time means identical objects.
    pub tree_id: Oid,
    /// A symlink led outside `--path`, so an equal `tree_id` no longer proves nothing changed.
    pub reads_outside_path: bool,
    pub(crate) cache: FileCache<Oid>,
}

/// Loads the manifests of `root` (a commit's tree) under `path`, reusing parsed files from `previous`.
pub fn load_tree(
    repo: &Repository,
    root: &Tree<'_>,
    path: &Path,
    limits: Limits,
    previous: &FileCache<Oid>,
) -> Result<TreeLoad, LoadError> {
    let single = |problem| LoadError {
        problems: vec![problem],
    };
    let odb = repo.odb().map_err(|e| {
        single(ManifestError::Read {
            file: path.to_owned(),
            reason: e.message().to_owned(),
        })
    })?;
    let base = tree_at(repo, root, path).map_err(single)?;
    let mut walk = Walk {
        repo,
        odb: &odb,
        root,
        base: path.to_owned(),
        ignore: read_ignore(repo, &base),
        candidates: Vec::new(),
        problems: Vec::new(),
        reads_outside_path: false,
    };
    walk.dir(&base, Path::new(""));
    let Walk {
        mut candidates,
        problems,
        reads_outside_path,
        ..
    } = walk;
    candidates.sort_by(|a, b| a.path.as_os_str().cmp(b.path.as_os_str()));
    let read = |c: &Candidate<Oid>| {
        repo.find_blob(c.id)
            .map(|blob| blob.content().to_vec())
            .map_err(|e| e.message().to_owned())
    };
    let (objects, cache) = load_candidates(candidates, problems, limits, previous, read)?;
    Ok(TreeLoad {
        objects,
        tree_id: base.id(),
        reads_outside_path,
        cache,
    })
}

/// The tree of `path` in `root`; the empty path and `.` mean the root itself.
pub fn tree_at<'r>(
    repo: &'r Repository,
    root: &Tree<'r>,
    path: &Path,
) -> Result<Tree<'r>, ManifestError> {
    if path.as_os_str().is_empty() || path == Path::new(".") {
        return Ok(root.clone());
    }
    let missing = |reason: String| ManifestError::NoSuchDirectory {
        path: path.to_owned(),
        reason,
    };
    let entry = root
        .get_path(path)
        .map_err(|_| missing("directory not found in this commit".to_owned()))?;
    if entry.kind() != Some(ObjectType::Tree) {
        return Err(missing("not a directory in this commit".to_owned()));
    }
    repo.find_tree(entry.id())
        .map_err(|e| missing(e.message().to_owned()))
}

fn read_ignore(repo: &Repository, base: &Tree<'_>) -> IgnoreRules {
    base.get_name(IgnoreRules::FILE_NAME)
        .and_then(|entry| repo.find_blob(entry.id()).ok())
        .map(|blob| IgnoreRules::parse(&String::from_utf8_lossy(blob.content())))
        .unwrap_or_default()
}

struct Walk<'a, 'r> {
    repo: &'r Repository,
    odb: &'a Odb<'r>,
    root: &'a Tree<'r>,
    base: PathBuf,
    ignore: IgnoreRules,
    candidates: Vec<Candidate<Oid>>,
    problems: Vec<ManifestError>,
    reads_outside_path: bool,
}

impl Walk<'_, '_> {
    fn dir(&mut self, tree: &Tree<'_>, rel: &Path) {
        for entry in tree.iter() {
            let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
            let rel = rel.join(&name);
            let rel_str = rel.to_string_lossy().replace('\\', "/");
            let full = self.base.join(&rel);
            match entry.filemode() {
                MODE_TREE => {
                    if self.ignore.is_ignored(&rel_str, true) {
                        continue;
                    }
                    match self.repo.find_tree(entry.id()) {
                        Ok(sub) => self.dir(&sub, &rel),
                        Err(e) => self.problems.push(ManifestError::Read {
                            file: full,
                            reason: e.message().to_owned(),
                        }),
                    }
                }
                MODE_BLOB | MODE_EXEC
                    if is_manifest_file(&rel) && !self.ignore.is_ignored(&rel_str, false) =>
                {
                    self.blob(full, entry.id());
                }
                MODE_LINK if is_manifest_file(&rel) && !self.ignore.is_ignored(&rel_str, false) => {
                    self.link(full, entry.id());
                }
                // Submodules, non-manifest files and ignored files are not ours to read.
                _ => {}
            }
        }
    }

    fn blob(&mut self, path: PathBuf, id: Oid) {
        match self.odb.read_header(id) {
            Ok((size, _)) => self.candidates.push(Candidate {
                path,
                id,
                size: size as u64,
            }),
            Err(e) => self.problems.push(ManifestError::Read {
                file: path,
                reason: e.message().to_owned(),
            }),
        }
    }

    /// Follows a symlink inside the commit's tree; its bytes are loaded under the link's own path.
    fn link(&mut self, path: PathBuf, mut id: Oid) {
        let mut at = path.clone();
        for _ in 0..MAX_LINK_HOPS {
            let target = match self.repo.find_blob(id) {
                Ok(blob) => String::from_utf8_lossy(blob.content()).into_owned(),
                Err(e) => return self.broken(path, String::new(), e.message().to_owned()),
            };
            let Some(resolved) = resolve_link(&at, &target) else {
                self.problems
                    .push(ManifestError::SymlinkOutside { file: path, target });
                return;
            };
            if !resolved.starts_with(&self.base) {
                self.reads_outside_path = true;
            }
            let entry = match self.root.get_path(&resolved) {
                Ok(entry) => entry,
                Err(_) => return self.broken(path, target, "target does not exist".to_owned()),
            };
            match entry.filemode() {
                MODE_LINK => {
                    at = resolved;
                    id = entry.id();
                }
                MODE_BLOB | MODE_EXEC => return self.blob(path, entry.id()),
                _ => return self.broken(path, target, "target is not a regular file".to_owned()),
            }
        }
        self.broken(
            path,
            String::new(),
            format!("more than {MAX_LINK_HOPS} nested symlinks"),
        )
    }

    fn broken(&mut self, file: PathBuf, target: String, reason: String) {
        self.problems.push(ManifestError::SymlinkBroken {
            file,
            target,
            reason,
        });
    }
}

/// Where a symlink at `link` (repo-relative) pointing to `target` leads, or `None` if that is outside
/// the repository (absolute targets, or `..` climbing above the root).
pub fn resolve_link(link: &Path, target: &str) -> Option<PathBuf> {
    let target = Path::new(target);
    if target.has_root() {
        return None;
    }
    let mut parts: Vec<&std::ffi::OsStr> = link
        .parent()
        .map(|p| p.iter().collect())
        .unwrap_or_default();
    for component in target.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_resolution_table() {
        let cases = [
            ("a/link.yaml", "real.yaml", Some("a/real.yaml")),
            ("a/link.yaml", "../b/real.yaml", Some("b/real.yaml")),
            ("a/link.yaml", "./x/../real.yaml", Some("a/real.yaml")),
            ("link.yaml", "../etc/passwd", None),
            ("a/link.yaml", "../../x.yaml", None),
            ("a/link.yaml", "/etc/passwd", None),
        ];
        for (link, target, want) in cases {
            assert_eq!(
                resolve_link(Path::new(link), target),
                want.map(PathBuf::from),
                "{link} -> {target}"
            );
        }
    }
}
