//! AnalysisRun history: finished runs beyond the Rollout's limits (default 5 successful and 5
//! unsuccessful, newest kept) are deleted, as Argo does.

use chrono::{DateTime, Utc};

use crate::api::AnalysisPhase;

/// A finished-or-not run, reduced to what the history rule needs.
#[derive(Clone, Debug, PartialEq)]
pub struct RunEntry {
    pub name: String,
    pub phase: Option<AnalysisPhase>,
    pub created: Option<DateTime<Utc>>,
}

pub const DEFAULT_LIMIT: i32 = 5;

/// Names of the runs to delete: completed runs past the limits, oldest first; running runs and the
/// ones the rollout still follows (`current`) are never deleted.
pub fn runs_to_delete(
    runs: &[RunEntry],
    current: &[&str],
    successful_limit: i32,
    unsuccessful_limit: i32,
) -> Vec<String> {
    let mut finished: Vec<&RunEntry> = runs
        .iter()
        .filter(|r| {
            r.phase.is_some_and(AnalysisPhase::is_completed) && !current.contains(&r.name.as_str())
        })
        .collect();
    // Newest first.
    finished.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.name.cmp(&a.name)));
    let (mut ok, mut bad) = (0, 0);
    let mut out = vec![];
    for r in finished {
        let successful = r.phase == Some(AnalysisPhase::Successful);
        let (count, limit) = if successful {
            (&mut ok, successful_limit)
        } else {
            (&mut bad, unsuccessful_limit)
        };
        *count += 1;
        if *count > limit.max(0) {
            out.push(r.name.clone());
        }
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, phase: Option<AnalysisPhase>, age_s: i64) -> RunEntry {
        RunEntry {
            name: name.into(),
            phase,
            created: Some(
                DateTime::<Utc>::from_timestamp(1_000_000 - age_s, 0).unwrap_or_default(),
            ),
        }
    }

    #[test]
    fn keeps_the_newest_per_outcome() {
        use AnalysisPhase::*;
        let runs = vec![
            run("s1", Some(Successful), 50),
            run("s2", Some(Successful), 40),
            run("s3", Some(Successful), 30),
            run("f1", Some(Failed), 45),
            run("e1", Some(Error), 35),
            run("i1", Some(Inconclusive), 25),
            run("r1", Some(Running), 100),
            run("p1", None, 90),
        ];
        assert_eq!(runs_to_delete(&runs, &[], 2, 2), vec!["s1", "f1"]);
        assert_eq!(runs_to_delete(&runs, &[], 5, 5), Vec::<String>::new());
        assert_eq!(
            runs_to_delete(&runs, &["s1"], 0, 0),
            vec!["f1", "s2", "e1", "s3", "i1"]
        );
    }
}
