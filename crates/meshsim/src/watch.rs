//! Keeps the mesh view current from three watches (VirtualServices, Services, Pods) in one
//! namespace. An object that cannot be read is logged and left out; the watch goes on.

use std::fmt::{Debug, Display};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;

use crate::mesh::Kept;
use crate::shared::Shared;

const ISTIO_NETWORKING: &str = "networking.istio.io";

/// How long to wait before asking again whether the Istio CRDs are installed.
const DISCOVERY_RETRY: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("discovering the {ISTIO_NETWORKING} API group: {0}")]
    Group(#[source] kube::Error),
    #[error("the {ISTIO_NETWORKING} API group serves no VirtualService kind")]
    NoVirtualService,
}

/// Watches one kind and applies every change to the shared view, converting each object with
/// `convert`; runs until the task is dropped.
pub async fn run<K, T, E>(api: Api<K>, shared: Arc<Shared>, convert: fn(&K) -> Result<T, E>)
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    T: Kept,
    E: Display,
{
    let kind = T::KIND;
    let read = |obj: &K| match convert(obj) {
        Ok(value) => Some(value),
        Err(error) => {
            tracing::warn!(kind, name = %obj.name_any(), %error, "left out of routing");
            None
        }
    };
    let mut stream =
        std::pin::pin!(watcher::watcher(api, watcher::Config::default()).default_backoff());
    let mut listed = vec![];
    while let Some(event) = stream.next().await {
        match event {
            Ok(Event::Init) => listed.clear(),
            Ok(Event::InitApply(obj)) => listed.extend(read(&obj)),
            Ok(Event::InitDone) => shared.view.send_modify(|view| {
                view.mesh.replace(listed.drain(..));
                view.synced.insert(kind);
            }),
            Ok(Event::Apply(obj)) => {
                let name = obj.name_any();
                let value = read(&obj);
                shared.view.send_modify(|view| match value {
                    Some(value) => view.mesh.upsert(value),
                    None => view.mesh.remove::<T>(&name),
                });
            }
            Ok(Event::Delete(obj)) => {
                let name = obj.name_any();
                shared.view.send_modify(|view| view.mesh.remove::<T>(&name));
            }
            Err(error) => tracing::warn!(kind, %error, "watch failed; retrying"),
        }
    }
}

/// Finds the VirtualService version the server prefers (v1, v1beta1 or v1alpha3), waiting for the
/// Istio CRDs if they are not installed yet, then watches VirtualServices.
pub async fn virtual_services(client: Client, namespace: String, shared: Arc<Shared>) {
    let resource = loop {
        match discover(&client).await {
            Ok(resource) => break resource,
            Err(error) => {
                tracing::warn!(%error, "no VirtualServices to watch yet");
                tokio::time::sleep(DISCOVERY_RETRY).await;
            }
        }
    };
    tracing::info!(version = %resource.version, "watching VirtualServices");
    let api = Api::<DynamicObject>::namespaced_with(client, &namespace, &resource);
    run(api, shared, crate::objects::virtual_service).await;
}

async fn discover(client: &Client) -> Result<ApiResource, DiscoveryError> {
    let group = kube::discovery::group(client, ISTIO_NETWORKING)
        .await
        .map_err(DiscoveryError::Group)?;
    group
        .recommended_kind("VirtualService")
        .map(|(resource, _)| resource)
        .ok_or(DiscoveryError::NoVirtualService)
}
