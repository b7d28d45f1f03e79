//! Which Git values of rollout-owned fields to report. A weight that differs from Git because the
//! rollout controller moved it is normal; a Git *commit that changes* such a value is what a person
//! should hear about, once: the change was not applied.

use std::collections::BTreeMap;

use super::ownership::Ignored;
use super::plan::ObjRef;
use super::status::IgnoredField;

#[derive(Debug, Default)]
pub struct IgnoredTracker {
    /// Git's last value per (object, field).
    last_git: BTreeMap<(String, String), String>,
    /// Reported and still different from live.
    active: BTreeMap<(String, String), IgnoredField>,
}

impl IgnoredTracker {
    /// Feeds one pass's masked fields; returns the fields to report now, and all still outstanding.
    pub fn observe(
        &mut self,
        masked: &[(ObjRef, Ignored)],
    ) -> (Vec<IgnoredField>, Vec<IgnoredField>) {
        let mut new = vec![];
        for (r, i) in masked {
            let key = (r.to_string(), i.field.clone());
            let previous = self.last_git.insert(key.clone(), i.git.clone());
            let field = IgnoredField {
                object: key.0.clone(),
                field: key.1.clone(),
                git: i.git.clone(),
                live: i.live.clone(),
            };
            if !i.differs() {
                self.active.remove(&key);
            } else if previous.as_ref().is_some_and(|p| *p != i.git) {
                self.active.insert(key, field.clone());
                new.push(field);
            } else if let Some(a) = self.active.get_mut(&key) {
                a.live = i.live.clone();
            }
        }
        (new, self.active.values().cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vs() -> ObjRef {
        ObjRef {
            api_version: "networking.istio.io/v1".into(),
            kind: "VirtualService".into(),
            namespace: Some("d".into()),
            name: "vs".into(),
        }
    }

    fn m(git: &str, live: &str) -> Vec<(ObjRef, Ignored)> {
        vec![(
            vs(),
            Ignored {
                field: "spec.http[0].route[0].weight".into(),
                git: git.into(),
                live: live.into(),
            },
        )]
    }

    #[test]
    fn only_git_changes_are_reported_once() {
        let mut t = IgnoredTracker::default();
        // The controller moved the weight: not a Git change, nothing to report.
        assert!(t.observe(&m("100", "90")).0.is_empty());
        assert!(t.observe(&m("100", "80")).0.is_empty());
        // A commit changes Git's value: reported once.
        let (new, active) = t.observe(&m("50", "80"));
        assert_eq!(new.len(), 1);
        assert_eq!(active.len(), 1);
        assert!(t.observe(&m("50", "70")).0.is_empty(), "not again");
        assert_eq!(t.observe(&m("50", "70")).1[0].live, "70");
        // Live comes to equal Git: no longer outstanding.
        assert!(t.observe(&m("50", "50")).1.is_empty());
    }
}
