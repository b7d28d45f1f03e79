//! Turns the bytes of one file into its documents. Pure: no I/O, so every refusal is table-tested.

use std::path::Path;

use serde::de::DeserializeSeed;
use serde_json::Value;

use super::error::ManifestError;
use super::value::{Budget, NodeSeed};

/// One non-empty document of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// 1-based position among all documents of the file, empty ones included.
    pub index: usize,
    pub line: Option<usize>,
    pub value: Value,
}

/// Whether `path` names a file the loader reads.
pub fn is_manifest_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Parses a manifest file; `.json` files hold one JSON document, everything else is YAML.
pub fn parse_file(file: &Path, bytes: &[u8]) -> Result<Vec<Document>, ManifestError> {
    if file.extension().and_then(|e| e.to_str()) == Some("json") {
        parse_json(file, bytes)
    } else {
        let text = std::str::from_utf8(bytes).map_err(|_| ManifestError::NotUtf8 {
            file: file.to_owned(),
        })?;
        parse_yaml(file, text)
    }
}

fn parse_json(file: &Path, bytes: &[u8]) -> Result<Vec<Document>, ManifestError> {
    let syntax = |err: serde_json::Error| ManifestError::Syntax {
        file: file.to_owned(),
        format: "JSON",
        line: err.line(),
        column: err.column(),
        message: strip_position(&err.to_string()),
    };
    let budget = Budget::for_source_len(bytes.len());
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = NodeSeed(&budget).deserialize(&mut de).map_err(syntax)?;
    de.end().map_err(syntax)?;
    let line = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|at| 1 + bytes[..at].iter().filter(|b| **b == b'\n').count());
    Ok(match value {
        Value::Null => Vec::new(),
        value => vec![Document {
            index: 1,
            line,
            value,
        }],
    })
}

fn parse_yaml(file: &Path, text: &str) -> Result<Vec<Document>, ManifestError> {
    let budget = Budget::for_source_len(text.len());
    let mut all = Vec::new();
    for (i, de) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let index = i + 1;
        match NodeSeed(&budget).deserialize(de) {
            Ok(value) => all.push((index, value)),
            Err(err) => return Err(yaml_error(file, index, &budget, &err)),
        }
    }
    let starts = document_lines(text);
    // The scan below is a line-based approximation; only trust it when it agrees with the parser.
    let lines_known = starts.len() == all.len();
    Ok(all
        .into_iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(index, value)| Document {
            index,
            line: if lines_known {
                starts.get(index - 1).copied()
            } else {
                None
            },
            value,
        })
        .collect())
}

fn yaml_error(
    file: &Path,
    document: usize,
    budget: &Budget,
    err: &serde_yaml::Error,
) -> ManifestError {
    let message = err.to_string();
    if budget.exceeded() || message.contains("repetition limit exceeded") {
        return ManifestError::AliasBomb {
            file: file.to_owned(),
            document,
            limit: budget.limit(),
        };
    }
    match err.location() {
        Some(at) => ManifestError::Syntax {
            file: file.to_owned(),
            format: "YAML",
            line: at.line(),
            column: at.column(),
            message: strip_position(&message),
        },
        None => ManifestError::SyntaxNoPosition {
            file: file.to_owned(),
            format: "YAML",
            message,
        },
    }
}

/// serde's messages end in " at line L column C"; we report those as fields, not twice.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// 1-based line of each document's first content line (or of its `---` marker if it has none).
///
/// A `---` at the start of a line always separates documents in YAML, even inside block scalars, so a
/// line scan finds the boundaries without a second parse. The text before the first marker is a
/// document only if it holds something other than blank lines, comments and `%` directives.
pub fn document_lines(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut current: Option<(Option<usize>, Option<usize>)> = Some((None, None));
    for (n, raw) in text.lines().enumerate() {
        let lineno = n + 1;
        let line = raw.trim_end_matches('\r');
        if let Some(rest) = line.strip_prefix("---")
            && (rest.is_empty() || rest.starts_with([' ', '\t']))
        {
            push_segment(&mut starts, current.take());
            let inline = !rest.trim().is_empty() && !rest.trim_start().starts_with('#');
            current = Some((Some(lineno), inline.then_some(lineno)));
            continue;
        }
        if let Some((_, first @ None)) = current.as_mut() {
            let trimmed = line.trim_start();
            let content = !trimmed.is_empty() && !trimmed.starts_with('#');
            let directive = line.starts_with('%');
            if content && !directive {
                *first = Some(lineno);
            }
        }
    }
    push_segment(&mut starts, current.take());
    starts
}

fn push_segment(starts: &mut Vec<usize>, segment: Option<(Option<usize>, Option<usize>)>) {
    match segment {
        Some((Some(marker), first)) => starts.push(first.unwrap_or(marker)),
        Some((None, Some(first))) => starts.push(first),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn yaml(text: &str) -> Result<Vec<Document>, ManifestError> {
        parse_file(&PathBuf::from("f.yaml"), text.as_bytes())
    }

    #[test]
    fn document_lines_follow_markers_and_skip_comments() {
        let cases: &[(&str, &[usize])] = &[
            ("a: 1\n", &[1]),
            ("# c\n\na: 1\n", &[3]),
            ("---\na: 1\n", &[2]),
            ("a: 1\n---\nb: 2\n", &[1, 3]),
            ("# only comment\n---\n# c\nb: 2\n---\n", &[4, 5]),
            ("--- {a: 1}\n", &[1]),
            ("a: |\n  x\n----\n", &[1]),
            ("%YAML 1.2\n---\na: 1\n", &[3]),
        ];
        for (text, want) in cases {
            assert_eq!(document_lines(text), *want, "{text:?}");
        }
    }

    #[test]
    fn multi_document_yaml_keeps_indexes_and_lines_and_drops_empty_documents() {
        let docs = yaml("a: 1\n---\n---\n# nothing\n---\nb: 2\n").unwrap_or_default();
        let got: Vec<_> = docs.iter().map(|d| (d.index, d.line)).collect();
        assert_eq!(got, vec![(1, Some(1)), (4, Some(6))]);
    }

    #[test]
    fn refusals_name_the_problem() {
        let cases: &[(&str, &str)] = &[
            ("a: [1\n", "invalid YAML"),
            ("a: 1\na: 2\n", "duplicate mapping key `a`"),
            ("a: !custom 1\n", "YAML tag"),
            ("? [1]\n: x\n", "complex mapping keys"),
            ("a: .nan\n", "cannot be represented"),
        ];
        for (text, want) in cases {
            match yaml(text) {
                Ok(docs) => panic!("{text:?} parsed: {docs:?}"),
                Err(err) => assert!(err.to_string().contains(want), "{text:?}: {err}"),
            }
        }
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        match yaml("a: 1\nb: [x\nc: 2\n") {
            Err(ManifestError::Syntax { line, column, .. }) => assert!(line >= 2 && column > 0),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        match yaml(&text) {
            Err(ManifestError::AliasBomb { document: 1, .. }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn small_aliases_are_fine_and_keys_become_strings() {
        let docs = yaml("base: &b {x: 1}\nuse: *b\n1: one\ntrue: yes\n").unwrap_or_default();
        assert_eq!(
            docs.first().map(|d| d.value.clone()),
            Some(serde_json::json!({"base": {"x": 1}, "use": {"x": 1}, "1": "one", "true": "yes"}))
        );
    }

    #[test]
    fn json_files_are_one_document() {
        let docs = parse_file(&PathBuf::from("f.json"), b"\n\n{\"a\": 1}").unwrap_or_default();
        assert_eq!(docs.first().map(|d| (d.index, d.line)), Some((1, Some(3))));
        let err = parse_file(&PathBuf::from("f.json"), b"{\"a\": }");
        assert!(matches!(err, Err(ManifestError::Syntax { line: 1, .. })));
    }
}
