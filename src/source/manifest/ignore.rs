//! `.gitcanaryignore`: the gitignore subset people expect, as a pure matcher.
//!
//! Supported: blank lines and `#` comments, `!` negation (last matching rule wins), a trailing `/` for
//! directories only, a leading or inner `/` anchoring the pattern to the `--path` directory, `*`, `?`
//! and `**`. A pattern without a slash matches a name at any depth. As in git, nothing below an ignored
//! directory can be re-included. Character classes (`[abc]`) are matched literally.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreRules {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    pattern: String,
    negated: bool,
    dir_only: bool,
    anchored: bool,
}

impl IgnoreRules {
    /// Name of the file that holds the rules, at the root of `--path`.
    pub const FILE_NAME: &'static str = ".gitcanaryignore";

    pub fn parse(text: &str) -> Self {
        let rules = text
            .lines()
            .map(|line| line.trim_end())
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(|line| {
                let (negated, line) = match line.strip_prefix('!') {
                    Some(rest) => (true, rest),
                    None => (false, line.strip_prefix('\\').unwrap_or(line)),
                };
                let (dir_only, line) = match line.strip_suffix('/') {
                    Some(rest) => (true, rest),
                    None => (false, line),
                };
                let anchored = line.contains('/');
                Rule {
                    pattern: line.trim_start_matches('/').to_owned(),
                    negated,
                    dir_only,
                    anchored,
                }
            })
            .filter(|rule| !rule.pattern.is_empty())
            .collect();
        IgnoreRules { rules }
    }

    /// Whether `path` (relative to `--path`, `/`-separated) is ignored, itself or through a parent.
    pub fn is_ignored(&self, path: &str, is_dir: bool) -> bool {
        if self.rules.is_empty() {
            return false;
        }
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        (1..=parts.len()).any(|n| {
            let prefix = parts[..n].join("/");
            self.matches_one(&prefix, n < parts.len() || is_dir)
        })
    }

    fn matches_one(&self, path: &str, is_dir: bool) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        let mut ignored = false;
        for rule in &self.rules {
            if rule.dir_only && !is_dir {
                continue;
            }
            let subject = if rule.anchored { path } else { name };
            if glob(rule.pattern.as_bytes(), subject.as_bytes()) {
                ignored = !rule.negated;
            }
        }
        ignored
    }
}

/// Glob match where `*` and `?` stay within one path segment and `**` spans segments.
fn glob(pattern: &[u8], subject: &[u8]) -> bool {
    match pattern {
        [] => subject.is_empty(),
        [b'*', b'*', rest @ ..] => {
            let rest = rest.strip_prefix(b"/").unwrap_or(rest);
            (0..=subject.len()).any(|i| {
                let at_boundary = i == 0 || subject[i - 1] == b'/' || rest.is_empty();
                at_boundary && glob(rest, &subject[i..])
            })
        }
        [b'*', rest @ ..] => (0..=subject.len())
            .take_while(|&i| i == 0 || subject[i - 1] != b'/')
            .any(|i| glob(rest, &subject[i..])),
        [b'?', rest @ ..] => match subject {
            [c, tail @ ..] if *c != b'/' => glob(rest, tail),
            _ => false,
        },
        [c, rest @ ..] => match subject {
            [s, tail @ ..] if s == c => glob(rest, tail),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_table() {
        let cases = [
            ("*.yaml", "a.yaml", true),
            ("*.yaml", "dir/a.yaml", false),
            ("a?c", "abc", true),
            ("a?c", "a/c", false),
            ("**/x.yaml", "x.yaml", true),
            ("**/x.yaml", "a/b/x.yaml", true),
            ("a/**", "a/b/c", true),
            ("a/**/z", "a/z", true),
            ("a/**/z", "a/b/c/z", true),
            ("a/**/z", "ab/z", false),
            ("[ab]", "[ab]", true),
        ];
        for (pattern, subject, want) in cases {
            assert_eq!(
                glob(pattern.as_bytes(), subject.as_bytes()),
                want,
                "{pattern} ~ {subject}"
            );
        }
    }

    #[test]
    fn rules_table() {
        let rules = IgnoreRules::parse(
            "# comment\n\nsecret.yaml\n/top.yaml\ndrafts/\n*.json\n!keep.json\nnested/skip.yml\n",
        );
        let cases = [
            ("secret.yaml", false, true),
            ("deep/secret.yaml", false, true),
            ("top.yaml", false, true),
            ("sub/top.yaml", false, false),
            ("drafts", true, true),
            ("drafts/a.yaml", false, true),
            ("drafts", false, false),
            ("x.json", false, true),
            ("keep.json", false, false),
            ("nested/skip.yml", false, true),
            ("other/nested/skip.yml", false, false),
            ("app.yaml", false, false),
        ];
        for (path, is_dir, want) in cases {
            assert_eq!(rules.is_ignored(path, is_dir), want, "{path}");
        }
    }

    #[test]
    fn nothing_below_an_ignored_directory_comes_back() {
        let rules = IgnoreRules::parse("old/\n!old/keep.yaml\n");
        assert!(rules.is_ignored("old/keep.yaml", false));
    }
}
