//! A VirtualService's HTTP routes as the simulated gateway applies them: the first route whose match
//! accepts the request path wins.

use serde::Deserialize;

/// Why a VirtualService's routes could not be read; the VirtualService is then left out of routing,
/// as istiod leaves out config it cannot translate.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error("reading spec.http: {0}")]
    Spec(#[source] serde_json::Error),
    #[error("compiling the uri regex {pattern:?} of route {route}: {source}")]
    Regex {
        route: String,
        pattern: String,
        #[source]
        source: regex::Error,
    },
}

/// One entry of `spec.http`.
#[derive(Debug)]
pub struct HttpRoute {
    pub name: Option<String>,
    /// Alternatives: any one matching is enough; none at all matches every request.
    pub matches: Vec<RequestMatch>,
    pub destinations: Vec<Destination>,
}

/// One entry of a route's `match` list.
#[derive(Debug)]
pub enum RequestMatch {
    /// No conditions: every request.
    Any,
    Uri {
        uri: UriMatch,
        ignore_case: bool,
    },
    /// Conditions on headers, query parameters, ports and the like: the simulated requests carry
    /// none of them, so the entry never matches.
    Never,
}

#[derive(Debug)]
pub enum UriMatch {
    Exact(String),
    Prefix(String),
    /// Anchored at both ends: Istio's regex must match the whole path.
    Regex(regex::Regex),
}

/// A `route[].destination` with its weight (absent is not the same as 0: see [`crate::weights`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destination {
    pub host: String,
    pub subset: Option<String>,
    pub weight: Option<u32>,
}

impl HttpRoute {
    pub fn matches(&self, path: &str) -> bool {
        self.matches.is_empty() || self.matches.iter().any(|m| m.matches(path))
    }

    /// A label for logs and the legend: the route's name, or its position.
    pub fn label(&self, index: usize) -> String {
        self.name.clone().unwrap_or_else(|| format!("#{index}"))
    }
}

impl RequestMatch {
    pub fn matches(&self, path: &str) -> bool {
        match self {
            RequestMatch::Any => true,
            RequestMatch::Never => false,
            RequestMatch::Uri { uri, ignore_case } => uri.matches(path, *ignore_case),
        }
    }
}

impl UriMatch {
    fn matches(&self, path: &str, ignore_case: bool) -> bool {
        match self {
            UriMatch::Exact(want) if ignore_case => want.eq_ignore_ascii_case(path),
            UriMatch::Exact(want) => want == path,
            UriMatch::Prefix(want) if ignore_case => path
                .get(..want.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(want)),
            UriMatch::Prefix(want) => path.starts_with(want.as_str()),
            UriMatch::Regex(re) => re.is_match(path),
        }
    }
}

/// The first route, in order, that accepts `path`.
pub fn first_match<'a>(
    routes: impl IntoIterator<Item = &'a HttpRoute>,
    path: &str,
) -> Option<&'a HttpRoute> {
    routes.into_iter().find(|route| route.matches(path))
}

/// Reads `spec.http` of a VirtualService (any served version: the fields used here are the same in
/// v1alpha3, v1beta1 and v1).
pub fn parse_http_routes(spec: &serde_json::Value) -> Result<Vec<HttpRoute>, RouteError> {
    let spec = VirtualServiceSpec::deserialize(spec).map_err(RouteError::Spec)?;
    spec.http
        .into_iter()
        .enumerate()
        .map(|(index, route)| route.into_route(index))
        .collect()
}

#[derive(Deserialize)]
struct VirtualServiceSpec {
    #[serde(default)]
    http: Vec<HttpRouteSpec>,
}

#[derive(Deserialize)]
struct HttpRouteSpec {
    name: Option<String>,
    #[serde(default, rename = "match")]
    matches: Vec<MatchSpec>,
    #[serde(default)]
    route: Vec<RouteDestinationSpec>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MatchSpec {
    uri: Option<StringMatchSpec>,
    #[serde(default)]
    ignore_uri_case: bool,
    /// Only names the match in Envoy's stats; no condition.
    #[serde(default, rename = "name")]
    _name: Option<String>,
    #[serde(flatten)]
    other_conditions: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct StringMatchSpec {
    exact: Option<String>,
    prefix: Option<String>,
    regex: Option<String>,
}

#[derive(Deserialize)]
struct RouteDestinationSpec {
    destination: DestinationSpec,
    weight: Option<u32>,
}

#[derive(Deserialize)]
struct DestinationSpec {
    host: String,
    subset: Option<String>,
}

impl HttpRouteSpec {
    fn into_route(self, index: usize) -> Result<HttpRoute, RouteError> {
        let label = self.name.clone().unwrap_or_else(|| format!("#{index}"));
        let matches = self
            .matches
            .into_iter()
            .map(|m| m.into_match(&label))
            .collect::<Result<_, _>>()?;
        let destinations = self
            .route
            .into_iter()
            .map(|r| Destination {
                host: r.destination.host,
                subset: r.destination.subset,
                weight: r.weight,
            })
            .collect();
        Ok(HttpRoute {
            name: self.name,
            matches,
            destinations,
        })
    }
}

impl MatchSpec {
    fn into_match(self, route: &str) -> Result<RequestMatch, RouteError> {
        if !self.other_conditions.is_empty() {
            return Ok(RequestMatch::Never);
        }
        let ignore_case = self.ignore_uri_case;
        let uri = match self.uri {
            None => return Ok(RequestMatch::Any),
            Some(StringMatchSpec {
                exact: Some(exact), ..
            }) => UriMatch::Exact(exact),
            Some(StringMatchSpec {
                prefix: Some(prefix),
                ..
            }) => UriMatch::Prefix(prefix),
            Some(StringMatchSpec {
                regex: Some(pattern),
                ..
            }) => {
                let flags = if ignore_case { "(?i)" } else { "" };
                let re =
                    regex::Regex::new(&format!("^{flags}(?:{pattern})$")).map_err(|source| {
                        RouteError::Regex {
                            route: route.to_owned(),
                            pattern: pattern.clone(),
                            source,
                        }
                    })?;
                UriMatch::Regex(re)
            }
            Some(_) => return Ok(RequestMatch::Any),
        };
        Ok(RequestMatch::Uri { uri, ignore_case })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn routes(http: serde_json::Value) -> Vec<HttpRoute> {
        parse_http_routes(&json!({ "http": http })).expect("routes parse")
    }

    #[test]
    fn reads_the_seed_route() {
        let parsed = routes(json!([{
            "match": [{"uri": {"prefix": "/"}}],
            "name": "primary",
            "route": [
                {"destination": {"host": "istio-rollout-stable"}, "weight": 100},
                {"destination": {"host": "istio-rollout-canary"}},
            ],
        }]));
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].name.as_deref(), Some("primary"));
        assert_eq!(
            parsed[0].destinations,
            vec![
                Destination {
                    host: "istio-rollout-stable".into(),
                    subset: None,
                    weight: Some(100)
                },
                Destination {
                    host: "istio-rollout-canary".into(),
                    subset: None,
                    weight: None
                },
            ]
        );
        assert!(parsed[0].matches("/color"));
    }

    #[test]
    fn first_route_that_matches_wins() {
        let table = routes(json!([
            {"name": "exact", "match": [{"uri": {"exact": "/color"}}], "route": []},
            {"name": "api", "match": [{"uri": {"prefix": "/api/"}}, {"uri": {"prefix": "/v2/"}}], "route": []},
            {"name": "regex", "match": [{"uri": {"regex": "/item/[0-9]+"}}], "route": []},
            {"name": "header", "match": [{"headers": {"x-canary": {"exact": "1"}}}], "route": []},
            {"name": "caseless", "match": [{"uri": {"prefix": "/Shout"}, "ignoreUriCase": true}], "route": []},
            {"name": "fallback", "route": []},
        ]));
        let cases: &[(&str, &str)] = &[
            ("/color", "exact"),
            ("/color/", "fallback"),
            ("/api/x", "api"),
            ("/v2/y", "api"),
            ("/item/42", "regex"),
            ("/item/42x", "fallback"),
            ("/SHOUT/now", "caseless"),
            ("/shout", "caseless"),
            ("/sh", "fallback"),
            ("/", "fallback"),
        ];
        for (path, want) in cases {
            let got = first_match(&table, path).and_then(|r| r.name.as_deref());
            assert_eq!(got, Some(*want), "{path}");
        }
    }

    #[test]
    fn no_route_when_nothing_matches() {
        let table = routes(json!([
            {"match": [{"uri": {"prefix": "/api"}}], "route": []},
            {"match": [{"uri": {"exact": "/"}, "method": {"exact": "GET"}}], "route": []},
        ]));
        assert!(first_match(&table, "/color").is_none());
        assert!(first_match(&table, "/").is_none());
        assert!(first_match(&[], "/").is_none());
    }

    #[test]
    fn a_match_with_only_a_name_or_an_empty_uri_matches_everything() {
        let table = routes(json!([
            {"name": "a", "match": [{"name": "all"}], "route": []},
        ]));
        assert!(table[0].matches("/anything"));
        let table = routes(json!([{"match": [{"uri": {}}], "route": []}]));
        assert!(table[0].matches("/anything"));
    }

    #[test]
    fn rejects_bad_specs() {
        let bad_regex = parse_http_routes(
            &json!({"http": [{"name": "r", "match": [{"uri": {"regex": "("}}]}]}),
        );
        assert!(matches!(bad_regex, Err(RouteError::Regex { route, .. }) if route == "r"));
        let negative_weight = parse_http_routes(&json!({"http": [{"route": [
            {"destination": {"host": "a"}, "weight": -1}
        ]}]}));
        assert!(matches!(negative_weight, Err(RouteError::Spec(_))));
        assert!(
            parse_http_routes(&json!({"hosts": ["*"]}))
                .expect("no http routes is fine")
                .is_empty()
        );
    }

    #[test]
    fn unnamed_routes_are_labelled_by_position() {
        let table = routes(json!([{"route": []}]));
        assert_eq!(table[0].label(3), "#3");
    }
}
