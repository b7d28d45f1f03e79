//! Who may press the dashboard's buttons. On loopback nobody else can reach the daemon, so no token
//! is needed; beyond loopback the buttons need the token the daemon was started with, and without
//! one they are refused outright. In every mode a request a browser sent on behalf of another site
//! (its `Origin` is not the daemon's own) is refused, and on loopback without a token the `Host`
//! must be a loopback name, so a page of another site that rebinds its name to 127.0.0.1 cannot
//! press them either.

use std::net::SocketAddr;

use axum::http::{HeaderMap, StatusCode, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::source::credentials::Secret;

/// How the POST endpoints are guarded, fixed when the daemon starts.
#[derive(Clone, Debug)]
pub enum ActionPolicy {
    /// Loopback, no token configured.
    Open,
    /// A token is configured: `Authorization: Bearer TOKEN`.
    Token(Secret),
    /// Listening beyond loopback without a token: no actions at all.
    Refused { listen: SocketAddr },
}

pub fn policy(listen: SocketAddr, token: Option<Secret>) -> ActionPolicy {
    match token {
        Some(t) if !t.expose().is_empty() => ActionPolicy::Token(t),
        _ if listen.ip().is_loopback() => ActionPolicy::Open,
        _ => ActionPolicy::Refused { listen },
    }
}

impl ActionPolicy {
    /// `open`, `token` or `refused`, for the page.
    pub fn mode(&self) -> &'static str {
        match self {
            ActionPolicy::Open => "open",
            ActionPolicy::Token(_) => "token",
            ActionPolicy::Refused { .. } => "refused",
        }
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error(
        "actions are disabled: the daemon listens on {listen}, beyond loopback, without a dashboard token; start it with --dashboard-token-file FILE (or GITCANARY_DASHBOARD_TOKEN) to enable them"
    )]
    Refused { listen: SocketAddr },
    #[error("this action needs the dashboard token: send Authorization: Bearer TOKEN")]
    MissingToken,
    #[error("the dashboard token is wrong")]
    WrongToken,
    #[error("refused a request from another site (Origin {origin})")]
    CrossOrigin { origin: String },
    #[error(
        "refused a request for host {host:?}: without a token, actions are only accepted for localhost or a loopback address"
    )]
    ForeignHost { host: String },
}

impl Denied {
    pub fn status(&self) -> StatusCode {
        match self {
            Denied::MissingToken | Denied::WrongToken => StatusCode::UNAUTHORIZED,
            _ => StatusCode::FORBIDDEN,
        }
    }
}

/// The request headers that matter here.
#[derive(Clone, Copy, Debug, Default)]
pub struct Presented<'a> {
    pub authorization: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub host: Option<&'a str>,
}

impl<'a> Presented<'a> {
    pub fn from_headers(headers: &'a HeaderMap) -> Presented<'a> {
        let get = |name| headers.get(name).and_then(|v| v.to_str().ok());
        Presented {
            authorization: get(header::AUTHORIZATION),
            origin: get(header::ORIGIN),
            host: get(header::HOST),
        }
    }
}

/// `localhost`, `127.x.y.z` or `[::1]`, with or without a port.
fn loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(n, _)| n),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Compares digests so that neither the length nor the first differing byte shows in the timing.
fn same_secret(presented: &str, expected: &str) -> bool {
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.ct_eq(&b).into()
}

pub fn authorize(policy: &ActionPolicy, p: &Presented) -> Result<(), Denied> {
    if let ActionPolicy::Refused { listen } = policy {
        return Err(Denied::Refused { listen: *listen });
    }
    if let Some(origin) = p.origin {
        let authority = origin
            .split_once("://")
            .map_or(origin, |(_, rest)| rest)
            .trim_end_matches('/');
        if Some(authority) != p.host {
            return Err(Denied::CrossOrigin {
                origin: origin.to_string(),
            });
        }
    }
    match policy {
        ActionPolicy::Open => match p.host {
            Some(h) if loopback_host(h) => Ok(()),
            h => Err(Denied::ForeignHost {
                host: h.unwrap_or("").to_string(),
            }),
        },
        ActionPolicy::Token(expected) => {
            let token = p
                .authorization
                .and_then(|a| a.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or(Denied::MissingToken)?;
            if same_secret(token, expected.expose()) {
                Ok(())
            } else {
                Err(Denied::WrongToken)
            }
        }
        ActionPolicy::Refused { listen } => Err(Denied::Refused { listen: *listen }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("address")
    }

    #[test]
    fn the_policy_follows_the_listen_address_and_the_token() {
        let t = || Some(Secret::new("s3cret"));
        // (listen, token, mode)
        let cases = [
            ("127.0.0.1:9464", None, "open"),
            ("[::1]:9464", None, "open"),
            ("127.0.0.1:9464", t(), "token"),
            ("0.0.0.0:9464", None, "refused"),
            ("10.1.2.3:9464", Some(Secret::new("")), "refused"),
            ("0.0.0.0:9464", t(), "token"),
        ];
        for (listen, token, mode) in cases {
            assert_eq!(policy(addr(listen), token).mode(), mode, "{listen}");
        }
    }

    #[test]
    fn requests_are_allowed_or_denied() {
        let open = ActionPolicy::Open;
        let token = ActionPolicy::Token(Secret::new("s3cret"));
        let refused = ActionPolicy::Refused {
            listen: addr("0.0.0.0:9464"),
        };
        let p = |authorization, origin, host| Presented {
            authorization,
            origin,
            host,
        };
        let local = Some("127.0.0.1:9464");
        // (policy, presented, result)
        let cases: Vec<(&ActionPolicy, Presented, Result<(), Denied>)> = vec![
            (&open, p(None, None, local), Ok(())),
            (&open, p(None, None, Some("localhost:9464")), Ok(())),
            (&open, p(None, None, Some("[::1]:9464")), Ok(())),
            (&open, p(None, Some("http://127.0.0.1:9464"), local), Ok(())),
            (
                &open,
                p(None, Some("http://evil.example"), local),
                Err(Denied::CrossOrigin {
                    origin: "http://evil.example".into(),
                }),
            ),
            (
                &open,
                p(
                    None,
                    Some("http://evil.example:9464"),
                    Some("evil.example:9464"),
                ),
                Err(Denied::ForeignHost {
                    host: "evil.example:9464".into(),
                }),
            ),
            (
                &token,
                p(Some("Bearer s3cret"), None, Some("10.0.0.5:9464")),
                Ok(()),
            ),
            (&token, p(None, None, local), Err(Denied::MissingToken)),
            (
                &token,
                p(Some("Basic s3cret"), None, local),
                Err(Denied::MissingToken),
            ),
            (
                &token,
                p(Some("Bearer s3cre"), None, local),
                Err(Denied::WrongToken),
            ),
            (
                &token,
                p(Some("Bearer s3cret2"), None, local),
                Err(Denied::WrongToken),
            ),
            (
                &refused,
                p(Some("Bearer s3cret"), None, local),
                Err(Denied::Refused {
                    listen: addr("0.0.0.0:9464"),
                }),
            ),
        ];
        for (policy, presented, want) in cases {
            assert_eq!(authorize(policy, &presented), want, "{presented:?}");
        }
    }

    #[test]
    fn the_refusal_says_how_to_enable_actions_and_never_shows_a_token() {
        let text = Denied::Refused {
            listen: addr("0.0.0.0:9464"),
        }
        .to_string();
        assert!(
            text.contains("0.0.0.0:9464") && text.contains("--dashboard-token"),
            "{text}"
        );
        assert_eq!(
            format!(
                "{:?}",
                policy(addr("0.0.0.0:1"), Some(Secret::new("s3cret")))
            ),
            "Token(***)"
        );
    }
}
