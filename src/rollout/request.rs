//! The four requests people make of a canary (promote, promote fully, abort, retry), in the two
//! forms the controller reads: an annotation on the live Rollout and a commit trailer. The CLI and
//! the dashboard's buttons both go through [`annotate`], so a click and `gitcanary promote` are the
//! same write.

use kube::api::{Api, Patch, PatchParams};

use super::approvals::{ABORT_ANNOTATION, PROMOTE_ANNOTATION, RETRY_ANNOTATION};
use crate::api::Rollout;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Promote,
    PromoteFull,
    Abort,
    Retry,
}

/// Why a request could not be written to the cluster.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("Rollout {namespace}/{name} not found")]
    NotFound { namespace: String, name: String },
    #[error("annotating Rollout {namespace}/{name} with {annotation}: {source}")]
    Annotate {
        namespace: String,
        name: String,
        annotation: String,
        #[source]
        source: kube::Error,
    },
}

impl Request {
    pub const ALL: [Request; 4] = [
        Request::Promote,
        Request::PromoteFull,
        Request::Abort,
        Request::Retry,
    ];

    /// The annotation and its value the controller acts on (and removes).
    pub fn annotation(self) -> (&'static str, &'static str) {
        match self {
            Request::Promote => (PROMOTE_ANNOTATION, "step"),
            Request::PromoteFull => (PROMOTE_ANNOTATION, "full"),
            Request::Abort => (ABORT_ANNOTATION, "true"),
            Request::Retry => (RETRY_ANNOTATION, "true"),
        }
    }

    /// The commit trailer key.
    pub fn trailer(self) -> &'static str {
        match self {
            Request::Promote => "Promote",
            Request::PromoteFull => "Promote-Full",
            Request::Abort => "Abort",
            Request::Retry => "Retry",
        }
    }

    /// The name in URLs and the API (`promote`, `promote-full`, `abort`, `retry`).
    pub fn slug(self) -> &'static str {
        match self {
            Request::Promote => "promote",
            Request::PromoteFull => "promote-full",
            Request::Abort => "abort",
            Request::Retry => "retry",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Request> {
        Request::ALL.into_iter().find(|r| r.slug() == slug)
    }

    /// The `kubectl annotate` command that makes this request.
    pub fn kubectl(self, namespace: &str, name: &str) -> String {
        let (key, value) = self.annotation();
        format!("kubectl annotate rollout {name} -n {namespace} {key}={value}")
    }
}

/// The commit message for an approval: a summary line and the trailer.
pub fn commit_message(
    request: Request,
    namespace: Option<&str>,
    name: &str,
    message: Option<&str>,
) -> String {
    let target = trailer_target(namespace, name);
    let summary = message
        .map(str::to_string)
        .unwrap_or_else(|| format!("{} {target}", request.trailer().replace('-', " ")));
    format!("{summary}\n\n{}: {target}\n", request.trailer())
}

/// `[NAMESPACE/]NAME` as a trailer names a Rollout.
pub fn trailer_target(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

/// Annotates the live Rollout; the controller acts on the annotation and removes it.
/// `field_manager` tells apart who asked (`gitcanary-cli`, `gitcanary-dashboard`).
pub async fn annotate(
    client: kube::Client,
    namespace: &str,
    name: &str,
    request: Request,
    field_manager: &str,
) -> Result<(), RequestError> {
    let api: Api<Rollout> = Api::namespaced(client, namespace);
    let (key, value) = request.annotation();
    let patch = serde_json::json!({"metadata": {"annotations": {key: value}}});
    let pp = PatchParams {
        field_manager: Some(field_manager.into()),
        ..Default::default()
    };
    match api.patch(name, &pp, &Patch::Merge(&patch)).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Err(RequestError::NotFound {
            namespace: namespace.into(),
            name: name.into(),
        }),
        Err(source) => Err(RequestError::Annotate {
            namespace: namespace.into(),
            name: name.into(),
            annotation: format!("{key}={value}"),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailers_and_annotations() {
        assert_eq!(
            commit_message(Request::Promote, None, "istio-rollout", None),
            "Promote istio-rollout\n\nPromote: istio-rollout\n"
        );
        assert_eq!(
            commit_message(Request::PromoteFull, Some("prod"), "web", Some("ship it")),
            "ship it\n\nPromote-Full: prod/web\n"
        );
        assert_eq!(Request::Abort.annotation(), ("gitcanary.dev/abort", "true"));
        assert_eq!(
            Request::PromoteFull.annotation(),
            ("gitcanary.dev/promote", "full")
        );
        assert_eq!(
            Request::Promote.kubectl("default", "istio-rollout"),
            "kubectl annotate rollout istio-rollout -n default gitcanary.dev/promote=step"
        );
    }

    #[test]
    fn slugs_round_trip() {
        for r in Request::ALL {
            assert_eq!(Request::from_slug(r.slug()), Some(r));
        }
        assert_eq!(Request::from_slug("promote-all"), None);
    }
}
