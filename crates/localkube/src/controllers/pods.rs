//! A kubelet stand-in: a new Pod shows ContainerCreating, then Running and Ready after the configured
//! delay, unless its image is one the test declared broken (then it waits in ImagePullBackOff forever).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use super::{rt, str_at, update_status};
use crate::ops::{Cluster, now_rfc3339};
use crate::store::{Event, EventType};

pub struct Kubelet {
    ready_delay: Duration,
    broken: Vec<regex::Regex>,
    next_ip: AtomicU32,
}

/// Turns a `*` wildcard pattern into an anchored regex.
pub fn wildcard(pattern: &str) -> Option<regex::Regex> {
    let escaped: Vec<String> = pattern.split('*').map(regex::escape).collect();
    regex::Regex::new(&format!("^{}$", escaped.join(".*"))).ok()
}

impl Kubelet {
    pub fn new(ready_delay: Duration, broken: &[String]) -> Self {
        Kubelet {
            ready_delay,
            broken: broken.iter().filter_map(|p| wildcard(p)).collect(),
            next_ip: AtomicU32::new(2),
        }
    }

    fn is_broken(&self, image: &str) -> bool {
        self.broken.iter().any(|r| r.is_match(image))
    }

    pub fn on_event(&self, cluster: &Arc<Cluster>, e: &Event) {
        if !e.gr.group.is_empty() || e.gr.resource != "pods" || e.kind != EventType::Added {
            return;
        }
        let Some(name) = str_at(&e.object, "/metadata/name").map(str::to_string) else {
            return;
        };
        let uid = str_at(&e.object, "/metadata/uid")
            .unwrap_or_default()
            .to_string();
        let containers = e
            .object
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let broken = containers.iter().any(|c| {
            c.get("image")
                .and_then(Value::as_str)
                .is_some_and(|i| self.is_broken(i))
        });
        let n = self.next_ip.fetch_add(1, Ordering::Relaxed);
        let ip = format!("10.244.{}.{}", (n >> 8) & 0xff, n & 0xff);
        let ns = e.namespace.clone();
        let now = now_rfc3339();
        let pending = pending_status(&containers, broken, &ip, &now);
        let Some(pod_rt) = rt(cluster, "", "pods") else {
            return;
        };
        let _ = update_status(cluster, &pod_rt, &ns, &name, |cur| {
            (str_at(cur, "/metadata/uid") == Some(uid.as_str())
                && cur.pointer("/status/containerStatuses").is_none())
            .then(|| pending.clone())
        });
        if broken {
            return;
        }
        let cluster = cluster.clone();
        let delay = self.ready_delay;
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let ready_at = now_rfc3339();
            let running = running_status(&containers, &ip, &now, &ready_at);
            let _ = update_status(&cluster, &pod_rt, &ns, &name, |cur| {
                (str_at(cur, "/metadata/uid") == Some(uid.as_str())).then(|| running.clone())
            });
        });
    }
}

fn condition(ty: &str, status: bool, at: &str) -> Value {
    json!({"type": ty, "status": if status { "True" } else { "False" }, "lastProbeTime": null, "lastTransitionTime": at})
}

pub fn pending_status(containers: &[Value], broken: bool, ip: &str, now: &str) -> Value {
    let statuses: Vec<Value> = containers
        .iter()
        .map(|c| {
            let image = c.get("image").and_then(Value::as_str).unwrap_or_default();
            let waiting = if broken {
                json!({"reason": "ImagePullBackOff", "message": format!("Back-off pulling image \"{image}\"")})
            } else {
                json!({"reason": "ContainerCreating"})
            };
            json!({"name": c.get("name"), "image": image, "imageID": "", "ready": false, "started": false, "restartCount": 0, "state": {"waiting": waiting}})
        })
        .collect();
    json!({
        "phase": "Pending",
        "hostIP": "10.0.0.1",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": now,
        "qosClass": "Burstable",
        "conditions": [condition("PodScheduled", true, now), condition("Initialized", true, now), condition("ContainersReady", false, now), condition("Ready", false, now)],
        "containerStatuses": statuses,
    })
}

pub fn running_status(containers: &[Value], ip: &str, started: &str, ready_at: &str) -> Value {
    let statuses: Vec<Value> = containers
        .iter()
        .map(|c| {
            let image = c.get("image").and_then(Value::as_str).unwrap_or_default();
            json!({"name": c.get("name"), "image": image, "imageID": format!("docker-pullable://{image}"), "ready": true, "started": true, "restartCount": 0, "state": {"running": {"startedAt": ready_at}}})
        })
        .collect();
    json!({
        "phase": "Running",
        "hostIP": "10.0.0.1",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": started,
        "qosClass": "Burstable",
        "conditions": [condition("PodScheduled", true, started), condition("Initialized", true, started), condition("ContainersReady", true, ready_at), condition("Ready", true, ready_at)],
        "containerStatuses": statuses,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_image_patterns() {
        let k = Kubelet::new(
            Duration::ZERO,
            &["*:broken".into(), "example.com/bad".into()],
        );
        assert!(k.is_broken("argoproj/rollouts-demo:broken"));
        assert!(k.is_broken("example.com/bad"));
        assert!(!k.is_broken("example.com/bad:v2"));
        assert!(!k.is_broken("argoproj/rollouts-demo:blue"));
    }

    #[test]
    fn broken_pods_wait_with_a_reason() {
        let c = vec![json!({"name": "app", "image": "x:broken"})];
        let s = pending_status(&c, true, "10.0.0.2", "t");
        assert_eq!(
            s["containerStatuses"][0]["state"]["waiting"]["reason"],
            "ImagePullBackOff"
        );
        assert_eq!(s["phase"], "Pending");
    }
}
