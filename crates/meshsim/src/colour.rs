//! Which colour a pod answers with: the demo images (`argoproj/rollouts-demo:blue`,
//! `argoproj/istio-rollout:yellow`) carry their colour as the tag.

/// Colour names the demo page can paint. A closed list keeps the `destination_version` label bounded
/// whatever images people deploy; the first six are the ones `argoproj/rollouts-demo` publishes.
pub const COLOURS: &[&str] = &[
    "red", "orange", "yellow", "green", "blue", "purple", "pink", "cyan", "magenta", "brown",
    "black", "white", "gray", "grey", "lime", "teal", "navy", "maroon", "olive", "aqua", "fuchsia",
    "silver", "indigo", "violet", "gold",
];

/// What `destination_version` says when the image tag is not a colour, as Istio says for a pod
/// without a `version` label.
pub const UNKNOWN: &str = "unknown";

/// The tag of an image reference, ignoring any digest; `None` for an untagged image. A `:` before
/// the last `/` belongs to a registry port, not a tag.
pub fn image_tag(image: &str) -> Option<&str> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last_segment = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let (_, tag) = last_segment.rsplit_once(':')?;
    (!tag.is_empty()).then_some(tag)
}

/// The colour an image answers with, if its tag names one (any case).
pub fn colour_of(image: &str) -> Option<&'static str> {
    let tag = image_tag(image)?;
    COLOURS
        .iter()
        .copied()
        .find(|colour| colour.eq_ignore_ascii_case(tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_to_colour() {
        let cases: &[(&str, Option<&str>)] = &[
            ("argoproj/rollouts-demo:blue", Some("blue")),
            ("argoproj/istio-rollout:yellow", Some("yellow")),
            ("docker.io/argoproj/rollouts-demo:Orange", Some("orange")),
            ("localhost:5000/rollouts-demo:red", Some("red")),
            ("rollouts-demo:green@sha256:0123abcd", Some("green")),
            ("localhost:5000/rollouts-demo", None),
            ("rollouts-demo@sha256:0123abcd", None),
            ("argoproj/rollouts-demo:bad-red", None),
            ("nginx:1.27", None),
            ("nginx:", None),
            ("", None),
        ];
        for (image, want) in cases {
            assert_eq!(colour_of(image), *want, "{image}");
        }
    }

    #[test]
    fn tags() {
        let cases: &[(&str, Option<&str>)] = &[
            ("a/b:c", Some("c")),
            ("host:443/a/b", None),
            ("host:443/a/b:v1@sha256:ff", Some("v1")),
            ("b", None),
        ];
        for (image, want) in cases {
            assert_eq!(image_tag(image), *want, "{image}");
        }
    }
}
