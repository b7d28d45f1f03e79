//! `known_hosts` checking for SSH remotes, as a pure function of the file and the offered key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// The outcome of looking a host key up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKeyCheck {
    Match,
    /// The host is listed, but with other keys: possibly a man in the middle.
    Mismatch,
    Unknown,
    Revoked,
}

/// Checks the raw key blob offered by `host:port` against the lines of a known_hosts file.
///
/// Plain names, `[host]:port`, comma lists, `*`/`?` wildcards, `!` negations, hashed names (`|1|…`) and
/// the `@revoked` marker are understood; `@cert-authority` lines are skipped (host certificates are not
/// supported).
pub fn check(known_hosts: &str, host: &str, port: u16, key: &[u8]) -> HostKeyCheck {
    let name = if port == 22 {
        host.to_owned()
    } else {
        format!("[{host}]:{port}")
    };
    let mut listed = false;
    for line in known_hosts.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (marker, hosts) = match fields.next() {
            Some(m) if m.starts_with('@') => (Some(m), fields.next()),
            other => (None, other),
        };
        let (Some(hosts), Some(_key_type), Some(data)) = (hosts, fields.next(), fields.next())
        else {
            continue;
        };
        if marker == Some("@cert-authority") || !hosts_match(hosts, &name) {
            continue;
        }
        let same_key = STANDARD.decode(data).is_ok_and(|blob| blob == key);
        match marker {
            Some("@revoked") if same_key => return HostKeyCheck::Revoked,
            Some(_) => {}
            None if same_key => return HostKeyCheck::Match,
            None => listed = true,
        }
    }
    if listed {
        HostKeyCheck::Mismatch
    } else {
        HostKeyCheck::Unknown
    }
}

fn hosts_match(field: &str, name: &str) -> bool {
    if let Some(hashed) = field.strip_prefix("|1|") {
        return hashed_match(hashed, name);
    }
    let mut matched = false;
    for pattern in field.split(',') {
        if let Some(negated) = pattern.strip_prefix('!') {
            if wildcard(negated.as_bytes(), name.as_bytes()) {
                return false;
            }
        } else if wildcard(pattern.as_bytes(), name.as_bytes()) {
            matched = true;
        }
    }
    matched
}

/// `|1|salt|hash`: HMAC-SHA1 of the name keyed with the salt, both base64.
fn hashed_match(hashed: &str, name: &str) -> bool {
    let Some((salt, hash)) = hashed.split_once('|') else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (STANDARD.decode(salt), STANDARD.decode(hash)) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(&salt) else {
        return false;
    };
    mac.update(name.as_bytes());
    mac.verify_slice(&hash).is_ok()
}

fn wildcard(pattern: &[u8], name: &[u8]) -> bool {
    match pattern {
        [] => name.is_empty(),
        [b'*', rest @ ..] => (0..=name.len()).any(|i| wildcard(rest, &name[i..])),
        [b'?', rest @ ..] => !name.is_empty() && wildcard(rest, &name[1..]),
        [c, rest @ ..] => {
            name.first().is_some_and(|n| n.eq_ignore_ascii_case(c)) && wildcard(rest, &name[1..])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(hosts: &str, key: &[u8]) -> String {
        format!("{hosts} ssh-ed25519 {}\n", STANDARD.encode(key))
    }

    fn hashed(name: &str) -> String {
        let salt = b"0123456789abcdefghij";
        let mut mac = Hmac::<Sha1>::new_from_slice(salt).unwrap_or_else(|_| unreachable!());
        mac.update(name.as_bytes());
        format!(
            "|1|{}|{}",
            STANDARD.encode(salt),
            STANDARD.encode(mac.finalize().into_bytes())
        )
    }

    #[test]
    fn host_key_table() {
        let good = b"good-key".as_slice();
        let bad = b"other-key".as_slice();
        let cases = [
            (
                line("example.com", good),
                "example.com",
                22,
                HostKeyCheck::Match,
            ),
            (
                line("example.com", bad),
                "example.com",
                22,
                HostKeyCheck::Mismatch,
            ),
            (
                line("other.com", good),
                "example.com",
                22,
                HostKeyCheck::Unknown,
            ),
            (
                line("[127.0.0.1]:2222", good),
                "127.0.0.1",
                2222,
                HostKeyCheck::Match,
            ),
            (
                line("127.0.0.1", good),
                "127.0.0.1",
                2222,
                HostKeyCheck::Unknown,
            ),
            (
                line("a.com,*.example.com", good),
                "git.example.com",
                22,
                HostKeyCheck::Match,
            ),
            (
                line("*.example.com,!git.example.com", good),
                "git.example.com",
                22,
                HostKeyCheck::Unknown,
            ),
            (
                line(&hashed("[h]:2200"), good),
                "h",
                2200,
                HostKeyCheck::Match,
            ),
            (
                format!("@revoked {}", line("h", good)),
                "h",
                22,
                HostKeyCheck::Revoked,
            ),
            (
                format!("@cert-authority {}", line("h", good)),
                "h",
                22,
                HostKeyCheck::Unknown,
            ),
        ];
        for (file, host, port, want) in cases {
            assert_eq!(check(&file, host, port, good), want, "{file}");
        }
    }
}
