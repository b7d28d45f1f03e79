//! Fault injection for tests: errors, latency and dropped watches for chosen requests.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One rule; a request matches when every set field matches.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct FaultRule {
    /// Verb as in RBAC: get, list, watch, create, update, patch, delete.
    pub verb: Option<String>,
    /// Resource plural, e.g. `virtualservices`.
    pub resource: Option<String>,
    pub namespace: Option<String>,
    /// Respond with this HTTP status instead of serving the request.
    pub error_code: Option<u16>,
    /// Delay before serving (or failing) the request.
    pub latency_ms: Option<u64>,
    /// For watches: close the stream after this many events (0 = right after the headers).
    pub drop_watch_after: Option<u64>,
    /// How many matching requests the rule applies to; `None` = every one.
    pub times: Option<u64>,
    /// Apply to every n-th matching request only (1 = all).
    pub every: Option<u64>,
}

/// What a matching rule asks the handler to do.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultAction {
    pub error_code: Option<u16>,
    pub latency: Option<Duration>,
    pub drop_watch_after: Option<u64>,
}

#[derive(Debug, Default)]
pub struct Faults {
    /// Each rule with the number of matching requests seen so far.
    rules: Mutex<Vec<(FaultRule, u64)>>,
}

impl Faults {
    pub fn add(&self, rule: FaultRule) {
        self.rules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((rule, 0));
    }

    pub fn clear(&self) {
        self.rules.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.rules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(r, _)| r.clone())
            .collect()
    }

    /// The combined action of all rules matching this request (and counts the request against them).
    pub fn check(&self, verb: &str, resource: &str, namespace: &str) -> FaultAction {
        let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        let mut action = FaultAction::default();
        for (rule, seen) in rules.iter_mut() {
            let matches = rule.verb.as_deref().is_none_or(|v| v == verb)
                && rule.resource.as_deref().is_none_or(|r| r == resource)
                && rule.namespace.as_deref().is_none_or(|n| n == namespace);
            if !matches || rule.times == Some(0) {
                continue;
            }
            *seen += 1;
            if *seen % rule.every.unwrap_or(1).max(1) != 0 {
                continue;
            }
            if let Some(t) = rule.times.as_mut() {
                *t -= 1;
            }
            action.error_code = action.error_code.or(rule.error_code);
            action.latency = action
                .latency
                .or(rule.latency_ms.map(Duration::from_millis));
            action.drop_watch_after = action.drop_watch_after.or(rule.drop_watch_after);
        }
        rules.retain(|(r, _)| r.times != Some(0));
        action
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_count_and_expire() {
        let f = Faults::default();
        f.add(FaultRule {
            verb: Some("patch".into()),
            resource: Some("services".into()),
            error_code: Some(500),
            times: Some(2),
            ..Default::default()
        });
        assert_eq!(
            f.check("get", "services", "default"),
            FaultAction::default()
        );
        assert_eq!(
            f.check("patch", "services", "default").error_code,
            Some(500)
        );
        assert_eq!(f.check("patch", "services", "x").error_code, Some(500));
        assert_eq!(f.check("patch", "services", "default").error_code, None);
        assert!(f.list().is_empty());
    }

    #[test]
    fn every_nth_request() {
        let f = Faults::default();
        f.add(FaultRule {
            error_code: Some(503),
            every: Some(3),
            ..Default::default()
        });
        let hits: Vec<bool> = (0..6)
            .map(|_| f.check("get", "pods", "a").error_code.is_some())
            .collect();
        assert_eq!(hits, vec![false, false, true, false, false, true]);
    }
}
