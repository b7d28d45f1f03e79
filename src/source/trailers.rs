//! Commit trailers, and the approval requests among them. Pure functions over the message text.

use crate::source::snapshot::ApprovalAction;

/// An approval trailer as written, before anyone looked at signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Valid {
        action: ApprovalAction,
        namespace: Option<String>,
        name: String,
    },
    /// Kept so the person who wrote it learns why nothing happened.
    Malformed {
        action: ApprovalAction,
        raw: String,
        reason: String,
    },
}

/// Trailers of a commit message, in order, values with continuation lines joined by a space.
///
/// As in git, trailers live in the last paragraph, which must not be the subject, and which counts as
/// a trailer block when all its lines are trailers, or when at least a quarter are and one of them is
/// an approval or a `Signed-off-by` (the tokens we know people add on purpose).
pub fn trailers(message: &str) -> Vec<(String, String)> {
    let paragraphs: Vec<Vec<&str>> = message
        .split('\n')
        .map(|line| line.trim_end_matches('\r'))
        .collect::<Vec<_>>()
        .split(|line| line.trim().is_empty())
        .filter(|p| !p.is_empty())
        .map(<[&str]>::to_vec)
        .collect();
    let [_subject, .., last] = paragraphs.as_slice() else {
        return Vec::new();
    };
    let mut found: Vec<(String, String)> = Vec::new();
    let mut other_lines = 0usize;
    let mut trailer_lines = 0usize;
    for line in last {
        if line.starts_with([' ', '\t'])
            && let Some((_, value)) = found.last_mut()
        {
            value.push(' ');
            value.push_str(line.trim());
            continue;
        }
        match split_trailer(line) {
            Some((token, value)) => {
                trailer_lines += 1;
                found.push((token.to_owned(), value.to_owned()));
            }
            None => other_lines += 1,
        }
    }
    let known = found.iter().any(|(token, _)| {
        ApprovalAction::from_trailer(token).is_some() || token.eq_ignore_ascii_case("Signed-off-by")
    });
    let is_block =
        trailer_lines > 0 && (other_lines == 0 || (known && trailer_lines * 3 >= other_lines));
    if is_block { found } else { Vec::new() }
}

fn split_trailer(line: &str) -> Option<(&str, &str)> {
    let (token, value) = line.split_once(':')?;
    let token = token.trim_end();
    let valid = !token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    valid.then(|| (token, value.trim()))
}

/// Approval requests (`Promote:`, `Promote-Full:`, `Abort:`, `Retry:`) of a commit message.
pub fn approval_requests(message: &str) -> Vec<Request> {
    trailers(message)
        .into_iter()
        .filter_map(|(token, value)| {
            let action = ApprovalAction::from_trailer(&token)?;
            Some(match parse_target(&value) {
                Ok((namespace, name)) => Request::Valid {
                    action,
                    namespace,
                    name,
                },
                Err(reason) => Request::Malformed {
                    action,
                    raw: value,
                    reason,
                },
            })
        })
        .collect()
}

/// `[NAMESPACE/]NAME`, both Kubernetes names (DNS-1123 labels and subdomains).
fn parse_target(value: &str) -> Result<(Option<String>, String), String> {
    let (namespace, name) = match value.split_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, value),
    };
    if let Some(ns) = namespace
        && !is_dns_name(ns, 63, false)
    {
        return Err(format!(
            "`{ns}` is not a valid namespace (lowercase letters, digits and `-`)"
        ));
    }
    if !is_dns_name(name, 253, true) {
        return Err(format!("`{name}` is not a valid Rollout name"));
    }
    Ok((namespace.map(str::to_owned), name.to_owned()))
}

fn is_dns_name(s: &str, max: usize, dots: bool) -> bool {
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    !s.is_empty()
        && s.len() <= max
        && edge_ok(s.chars().next())
        && edge_ok(s.chars().last())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || (dots && c == '.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApprovalAction::*;

    fn valid(action: ApprovalAction, ns: Option<&str>, name: &str) -> Request {
        Request::Valid {
            action,
            namespace: ns.map(str::to_owned),
            name: name.to_owned(),
        }
    }

    #[test]
    fn trailer_blocks() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("subject only", &[]),
            ("Promote: x", &[]),
            ("subject\n\nPromote: x\n", &[("Promote", "x")]),
            (
                "subject\n\nbody text\n\nPromote: x\nAbort: y",
                &[("Promote", "x"), ("Abort", "y")],
            ),
            ("subject\n\nPromote: x\n\nbody after", &[]),
            ("subject\n\nKey: a\n  continued", &[("Key", "a continued")]),
            ("subject\n\nsome words\nPromote: x", &[("Promote", "x")]),
            ("subject\n\nsome words\nmore words\nNote: x", &[]),
            ("subject\n\nnot a: trailer line", &[]),
            ("subject\r\n\r\nPromote: x\r\n", &[("Promote", "x")]),
        ];
        for (message, want) in cases {
            let want: Vec<(String, String)> = want
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect();
            assert_eq!(trailers(message), want, "{message:?}");
        }
    }

    #[test]
    fn approval_requests_table() {
        let msg = "Approve\n\nPromote: istio-rollout\npromote-full: prod/web\nABORT: a.b\nRetry: x\nSigned-off-by: A <a@b>\n";
        assert_eq!(
            approval_requests(msg),
            vec![
                valid(Promote, None, "istio-rollout"),
                valid(PromoteFull, Some("prod"), "web"),
                valid(Abort, None, "a.b"),
                valid(Retry, None, "x"),
            ]
        );
        let bad = approval_requests("s\n\nPromote: Bad_Name\nAbort: ns.x/y\nRetry:\n");
        let reasons: Vec<_> = bad
            .iter()
            .map(|r| matches!(r, Request::Malformed { .. }))
            .collect();
        assert_eq!(reasons, vec![true, true, true]);
    }
}
