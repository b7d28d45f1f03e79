//! Pod-template and step hashes. They name ReplicaSets (`<rollout>-<hash>`), label pods
//! (`rollouts-pod-template-hash`) and detect "the template or the steps changed", so they must be
//! stable across restarts and releases; byte equality with Argo's Go output is not needed because
//! existing ReplicaSets are also adopted by template equality (see [`template_matches`]).

use k8s_openapi::api::core::v1::PodTemplateSpec;

use crate::api::CanaryStep;

/// Label that ties pods, ReplicaSets, Services and DestinationRule subsets to one revision.
pub const HASH_LABEL: &str = "rollouts-pod-template-hash";

/// Kubernetes' alphabet for hashes shown to people: no vowels (no accidental words), no look-alikes.
const SAFE_ALPHABET: &[u8; 27] = b"bcdfghjklmnpqrstvwxz2456789";

/// 32-bit FNV-1a, the hash Argo (and Kubernetes' Deployment controller) use for templates.
pub fn fnv1a32(chunks: &[&[u8]]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in chunks.iter().flat_map(|c| c.iter()) {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// Maps every character through the safe alphabet by code point, as `rand.SafeEncodeString` does.
pub fn safe_encode(text: &str) -> String {
    text.chars()
        .map(|c| char::from(SAFE_ALPHABET[(c as usize) % SAFE_ALPHABET.len()]))
        .collect()
}

/// Hash of the pod template, perturbed by `status.collisionCount` so that a name clash with a
/// foreign ReplicaSet can be escaped by bumping the count.
pub fn pod_template_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let json = serde_json::to_vec(template).unwrap_or_default();
    let collision = collision_count.map(|count| {
        let mut bytes = [0u8; 8];
        bytes[..4].copy_from_slice(&count.to_le_bytes());
        bytes
    });
    let hash = match &collision {
        Some(extra) => fnv1a32(&[&json, extra]),
        None => fnv1a32(&[&json]),
    };
    safe_encode(&hash.to_string())
}

/// Hash of the steps: a change of recipe restarts the canary at step 0 even with the same pods.
pub fn step_hash(steps: &[CanaryStep]) -> String {
    let json = serde_json::to_vec(steps).unwrap_or_default();
    safe_encode(&fnv1a32(&[&json]).to_string())
}

/// Whether a ReplicaSet's pod template is the Rollout's, ignoring the hash label the controller
/// adds: this is how a ReplicaSet created by another hash implementation (Argo's) is adopted.
pub fn template_matches(replica_set: &PodTemplateSpec, rollout: &PodTemplateSpec) -> bool {
    let mut stripped = replica_set.clone();
    if let Some(labels) = stripped.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        labels.remove(HASH_LABEL);
    }
    let normalise = |t: &PodTemplateSpec| serde_json::to_value(t).unwrap_or_default();
    normalise(&stripped) == normalise(rollout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a32_matches_the_published_vectors() {
        let cases: [(&[u8], u32); 4] = [
            (b"", 0x811c_9dc5),
            (b"a", 0xe40c_292c),
            (b"foobar", 0xbf9c_f968),
            (b"chongo was here!\n", 0xd49930d5),
        ];
        for (input, expected) in cases {
            assert_eq!(fnv1a32(&[input]), expected, "{input:?}");
        }
        assert_eq!(fnv1a32(&[b"foo", b"bar"]), fnv1a32(&[b"foobar"]));
    }

    #[test]
    fn digits_encode_like_kubernetes() {
        let cases = [
            ("0123456789", "456789bcdf"),
            ("2142450422", "6586894866"),
            ("", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(safe_encode(input), expected, "{input}");
        }
    }

    fn template(image: &str) -> PodTemplateSpec {
        serde_json::from_value(serde_json::json!({
            "metadata": {"labels": {"app": "a"}},
            "spec": {"containers": [{"name": "c", "image": image}]},
        }))
        .expect("template")
    }

    #[test]
    fn template_hash_is_stable_and_sensitive() {
        let blue = pod_template_hash(&template("blue"), None);
        assert_eq!(blue, pod_template_hash(&template("blue"), None));
        assert_ne!(blue, pod_template_hash(&template("yellow"), None));
        assert_ne!(blue, pod_template_hash(&template("blue"), Some(1)));
        assert_ne!(
            pod_template_hash(&template("blue"), Some(1)),
            pod_template_hash(&template("blue"), Some(2))
        );
        assert!(blue.chars().all(|c| SAFE_ALPHABET.contains(&(c as u8))));
    }

    #[test]
    fn step_hash_follows_the_recipe() {
        let steps = |json| -> Vec<CanaryStep> { serde_json::from_value(json).expect("steps") };
        let a = step_hash(&steps(
            serde_json::json!([{"setWeight": 10}, {"pause": {}}]),
        ));
        let b = step_hash(&steps(
            serde_json::json!([{"setWeight": 20}, {"pause": {}}]),
        ));
        assert_ne!(a, b);
        assert_eq!(
            a,
            step_hash(&steps(
                serde_json::json!([{"setWeight": 10}, {"pause": {}}])
            ))
        );
    }

    #[test]
    fn replica_set_templates_are_adopted_without_their_hash_label() {
        let mut labelled = template("blue");
        if let Some(labels) = labelled.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
            labels.insert(HASH_LABEL.into(), "abc".into());
        }
        assert!(template_matches(&labelled, &template("blue")));
        assert!(!template_matches(&labelled, &template("yellow")));
    }
}
