//! The text of `gitcanary get rollout`: the header and tree of `kubectl argo rollouts get rollout`,
//! rendered from live objects by a pure function (the command only fetches them).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;

use crate::api::AnalysisRun;
pub use crate::rollout::view::objects::RolloutObjects;
use crate::rollout::view::objects::{Role, images, revision_of, rs_hash, rs_status};
use crate::rollout::{SCALE_DOWN_DEADLINE_ANNOTATION, view::step_header};

fn icon(status: &str) -> &'static str {
    match status {
        "Progressing" | "Running" | "Pending" | "ContainerCreating" | "Terminating" => "◌",
        "Paused" => "॥",
        "Healthy" | "Successful" | "Completed" => "✔",
        "Degraded" | "Failed" | "CrashLoopBackOff" | "InvalidImageName" => "✖",
        "Error" | "InvalidSpec" | "ImagePullBackOff" | "ErrImagePull" => "⚠",
        "ScaledDown" => "•",
        "Inconclusive" => "?",
        _ => "?",
    }
}

/// kubectl's short age: 45s, 5m, 3h, 2d.
pub fn age(created: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(c) = created else {
        return String::new();
    };
    let s = (now - c).num_seconds().max(0);
    match s {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

fn header(label: &str, value: impl std::fmt::Display) -> String {
    format!("{:<17}{value}\n", label)
}

/// Pod icons differ from run icons: a Running pod is fine.
fn pod_icon(status: &str) -> &'static str {
    match status {
        "Running" | "Completed" => "✔",
        "Pending" | "Terminating" | "ContainerCreating" => "◌",
        s if s.starts_with("Init:") => "◌",
        "Failed" | "CrashLoopBackOff" | "InvalidImageName" => "✖",
        s if s.starts_with("Signal:") || s.starts_with("ExitCode:") => "✖",
        "ImagePullBackOff" | "RegistryUnavailable" => "⚠",
        s if s.ends_with("Error") || s.starts_with("Err") => "⚠",
        _ => "?",
    }
}

fn pod_status(pod: &Pod) -> String {
    if pod.metadata.deletion_timestamp.is_some() {
        return "Terminating".into();
    }
    let status = pod.status.as_ref();
    let waiting = status
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| {
            cs.iter()
                .find_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone())
        });
    waiting.unwrap_or_else(|| {
        status
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Pending".into())
    })
}

fn pod_info(pod: &Pod) -> String {
    let statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.clone())
        .unwrap_or_default();
    let total = pod
        .spec
        .as_ref()
        .map(|s| s.containers.len())
        .unwrap_or(statuses.len());
    let ready = statuses.iter().filter(|c| c.ready).count();
    let restarts: i32 = statuses.iter().map(|c| c.restart_count).sum();
    if restarts > 0 {
        format!("ready:{ready}/{total},restarts:{restarts}")
    } else {
        format!("ready:{ready}/{total}")
    }
}

/// One row of the tree: prefix (branch glyphs + icon), name, kind, status, age, info.
struct Row {
    prefix: String,
    name: String,
    kind: String,
    status: String,
    age: String,
    info: String,
}

/// Renders the whole view (`--no-color` style).
pub fn render(o: &RolloutObjects, now: DateTime<Utc>) -> String {
    let r = &o.rollout;
    let status = r.status.clone().unwrap_or_default();
    let (phase, message) = crate::rollout::phase::phase(r, &status);
    let phase = format!("{phase:?}");
    let stable = status.stable_rs.clone();
    let canary = status
        .current_pod_hash
        .clone()
        .filter(|c| Some(c) != stable.as_ref());
    let canary_available = o
        .replica_sets
        .iter()
        .find(|rs| rs_hash(rs).is_some() && rs_hash(rs) == canary)
        .and_then(|rs| rs.status.as_ref()?.available_replicas)
        .unwrap_or(0);
    let h = step_header(r, canary_available);
    let mut out = String::new();
    out += &header("Name:", r.name_any());
    out += &header("Namespace:", r.namespace().unwrap_or_default());
    out += &header("Status:", format!("{} {phase}", icon(&phase)));
    if !message.is_empty() {
        out += &header("Message:", &message);
    }
    out += &header("Strategy:", "Canary");
    out += &header("  Step:", &h.step);
    out += &header("  SetWeight:", &h.set_weight);
    out += &header("  ActualWeight:", &h.actual_weight);
    let images: BTreeMap<String, Vec<&str>> = images(&o.replica_sets, &status)
        .into_iter()
        .map(|(image, roles)| (image, roles.into_iter().map(Role::as_str).collect()))
        .collect();
    let mut first = true;
    for (image, tags) in &images {
        let text = if tags.is_empty() {
            image.clone()
        } else {
            format!("{image} ({})", tags.join(", "))
        };
        if first {
            out += &header("Images:", text);
            first = false;
        } else {
            out += &format!("{:<17}{text}\n", "");
        }
    }
    if first {
        out += &header("Images:", "");
    }
    out += "Replicas:\n";
    out += &header("  Desired:", r.spec.replicas.unwrap_or(1));
    out += &header("  Current:", status.replicas);
    out += &header("  Updated:", status.updated_replicas);
    out += &header("  Ready:", status.ready_replicas);
    out += &header("  Available:", status.available_replicas);
    out += "\n";
    out += &tree(o, &phase, stable.as_deref(), canary.as_deref(), now);
    out
}

fn tree(
    o: &RolloutObjects,
    phase: &str,
    stable: Option<&str>,
    canary: Option<&str>,
    now: DateTime<Utc>,
) -> String {
    let r = &o.rollout;
    let mut rows = vec![Row {
        prefix: "⟳ ".into(),
        name: r.name_any(),
        kind: "Rollout".into(),
        status: format!("{} {phase}", icon(phase)),
        age: age(
            r.metadata
                .creation_timestamp
                .as_ref()
                .map(crate::rollout::time::from_time),
            now,
        ),
        info: String::new(),
    }];
    // Revisions, newest first, each with its ReplicaSets (and their pods) and AnalysisRuns.
    let mut revisions: BTreeMap<i64, (Vec<&ReplicaSet>, Vec<&AnalysisRun>)> = BTreeMap::new();
    for rs in &o.replica_sets {
        revisions
            .entry(revision_of(rs.annotations()))
            .or_default()
            .0
            .push(rs);
    }
    for ar in &o.analysis_runs {
        revisions
            .entry(revision_of(ar.annotations()))
            .or_default()
            .1
            .push(ar);
    }
    let count = revisions.len();
    for (i, (rev, (rss, ars))) in revisions.iter().rev().enumerate() {
        let last_rev = i + 1 == count;
        let (branch, cont) = if last_rev {
            ("└──", "   ")
        } else {
            ("├──", "│  ")
        };
        rows.push(Row {
            prefix: format!("{branch}# revision:{rev}"),
            name: String::new(),
            kind: String::new(),
            status: String::new(),
            age: String::new(),
            info: String::new(),
        });
        let children = rss.len() + ars.len();
        let mut n = 0;
        for rs in rss {
            n += 1;
            let last = n == children;
            let (b, c2) = if last {
                ("└──", "   ")
            } else {
                ("├──", "│  ")
            };
            let st = rs_status(rs);
            let hash = rs_hash(rs);
            let mut info = vec![];
            if hash.as_deref().is_some() && hash.as_deref() == stable {
                info.push("stable".to_string());
            }
            if hash.as_deref().is_some() && hash.as_deref() == canary {
                info.push("canary".to_string());
            }
            if let Some(deadline) = rs.annotations().get(SCALE_DOWN_DEADLINE_ANNOTATION)
                && let Ok(t) = DateTime::parse_from_rfc3339(deadline)
            {
                let left = (t.with_timezone(&Utc) - now).num_seconds();
                info.push(if left > 0 {
                    format!("delay:{left}s")
                } else {
                    "delay:passed".into()
                });
            }
            rows.push(Row {
                prefix: format!("{cont}{b}⧉ "),
                name: rs.name_any(),
                kind: "ReplicaSet".into(),
                status: format!("{} {st}", icon(st)),
                age: age(
                    rs.metadata
                        .creation_timestamp
                        .as_ref()
                        .map(crate::rollout::time::from_time),
                    now,
                ),
                info: info.join(","),
            });
            let uid = rs.metadata.uid.clone();
            let pods: Vec<&Pod> = o
                .pods
                .iter()
                .filter(|p| {
                    p.metadata
                        .owner_references
                        .as_ref()
                        .is_some_and(|refs| refs.iter().any(|r| Some(&r.uid) == uid.as_ref()))
                })
                .collect();
            for (j, p) in pods.iter().enumerate() {
                let pb = if j + 1 == pods.len() {
                    "└──"
                } else {
                    "├──"
                };
                let ps = pod_status(p);
                rows.push(Row {
                    prefix: format!("{cont}{c2}{pb}□ "),
                    name: p.name_any(),
                    kind: "Pod".into(),
                    status: format!("{} {ps}", pod_icon(&ps)),
                    age: age(
                        p.metadata
                            .creation_timestamp
                            .as_ref()
                            .map(crate::rollout::time::from_time),
                        now,
                    ),
                    info: pod_info(p),
                });
            }
        }
        for ar in ars {
            n += 1;
            let b = if n == children {
                "└──"
            } else {
                "├──"
            };
            let st = ar
                .status
                .as_ref()
                .and_then(|s| s.phase.map(|p| format!("{p:?}")))
                .unwrap_or_else(|| "Pending".into());
            let mut counts = vec![];
            if let Some(results) = ar.status.as_ref().map(|s| &s.metric_results) {
                let sum =
                    |f: fn(&crate::api::MetricResult) -> i32| results.iter().map(f).sum::<i32>();
                for (glyph, v) in [
                    ("✔", sum(|m| m.successful)),
                    ("✖", sum(|m| m.failed)),
                    ("?", sum(|m| m.inconclusive)),
                    ("⚠", sum(|m| m.error)),
                ] {
                    if v > 0 {
                        counts.push(format!("{glyph} {v}"));
                    }
                }
            }
            rows.push(Row {
                prefix: format!("{cont}{b}α "),
                name: ar.name_any(),
                kind: "AnalysisRun".into(),
                status: format!("{} {st}", icon(&st)),
                age: age(
                    ar.metadata
                        .creation_timestamp
                        .as_ref()
                        .map(crate::rollout::time::from_time),
                    now,
                ),
                info: counts.join(","),
            });
        }
    }
    let width = |f: fn(&Row) -> usize| rows.iter().map(f).max().unwrap_or(0);
    let first_w = width(|r| r.prefix.chars().count() + r.name.chars().count()).max(4);
    let kind_w = width(|r| r.kind.chars().count()).max(4);
    let status_w = width(|r| r.status.chars().count()).max(6);
    let age_w = width(|r| r.age.chars().count()).max(3);
    let line = |a: &str, b: &str, c: &str, d: &str, e: &str| -> String {
        let pad =
            |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));
        format!(
            "{}  {}  {}  {}  {}",
            pad(a, first_w),
            pad(b, kind_w),
            pad(c, status_w),
            pad(d, age_w),
            e
        )
        .trim_end()
        .to_string()
            + "\n"
    };
    let mut out = line("NAME", "KIND", "STATUS", "AGE", "INFO");
    for r in &rows {
        if r.kind.is_empty() {
            out += &format!("{}\n", r.prefix);
        } else {
            out += &line(
                &format!("{}{}", r.prefix, r.name),
                &r.kind,
                &r.status,
                &r.age,
                &r.info,
            );
        }
    }
    out
}
