//! Which API server an object lives on. With Alibaba Cloud Service Mesh (ASM) and data-plane KubeAPI
//! access off, the mesh configuration (Istio's VirtualServices, DestinationRules, Gateways, …) is
//! served only by the ASM control plane, while workloads stay in the data-plane cluster. The choice
//! is made per API group, so it needs no lookup and every part of gitcanary agrees on it.

use kube::Client;

/// Where an object is read and written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cluster {
    /// The cluster the daemon runs against: workloads, Services, Rollouts, inventories, Events.
    Main,
    /// The mesh control plane (the main cluster too, unless one is configured).
    Mesh,
}

/// API groups whose objects the mesh control plane serves: the kinds istiod takes its configuration
/// from, and ASM's own extensions of them.
pub const MESH_GROUPS: &[&str] = &[
    "networking.istio.io",
    "security.istio.io",
    "telemetry.istio.io",
    "extensions.istio.io",
    "istio.alibabacloud.com",
];

/// The cluster that holds objects of an API group.
pub fn cluster_of(group: &str) -> Cluster {
    if MESH_GROUPS.contains(&group) {
        Cluster::Mesh
    } else {
        Cluster::Main
    }
}

/// A separate mesh control plane: its client and, for messages, its address.
#[derive(Clone)]
pub struct MeshServer {
    pub client: Client,
    /// The server URL with any password masked, e.g. `https://47.110.0.1:6443`.
    pub server: String,
}

impl MeshServer {
    pub fn from_config(config: kube::Config) -> Result<MeshServer, kube::Error> {
        let server = crate::source::credentials::redact_userinfo(&config.cluster_url.to_string());
        let server = server.trim_end_matches('/').to_string();
        Ok(MeshServer {
            client: Client::try_from(config)?,
            server,
        })
    }
}

impl std::fmt::Debug for MeshServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeshServer")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

/// The API servers one daemon talks to.
#[derive(Clone)]
pub struct Clusters {
    main: Client,
    mesh: Option<MeshServer>,
}

impl Clusters {
    pub fn new(main: Client, mesh: Option<MeshServer>) -> Clusters {
        Clusters { main, mesh }
    }

    /// Everything in one cluster.
    pub fn single(main: Client) -> Clusters {
        Clusters { main, mesh: None }
    }

    pub fn main(&self) -> &Client {
        &self.main
    }

    /// The client for mesh objects (the main one when no mesh server is configured).
    pub fn mesh(&self) -> &Client {
        self.client(Cluster::Mesh)
    }

    pub fn client(&self, cluster: Cluster) -> &Client {
        match (cluster, &self.mesh) {
            (Cluster::Mesh, Some(m)) => &m.client,
            _ => &self.main,
        }
    }

    /// The client for objects of an API group.
    pub fn for_group(&self, group: &str) -> &Client {
        self.client(cluster_of(group))
    }

    /// Whether objects of this group live on a separate mesh server.
    pub fn is_separate(&self, group: &str) -> bool {
        self.mesh.is_some() && cluster_of(group) == Cluster::Mesh
    }

    /// How messages name the server of a group: `mesh API server https://…` for a separate mesh
    /// server, `None` for the main cluster (the only one a reader would otherwise assume).
    pub fn name_of(&self, group: &str) -> Option<String> {
        match (&self.mesh, cluster_of(group)) {
            (Some(m), Cluster::Mesh) => Some(format!("mesh API server {}", m.server)),
            _ => None,
        }
    }

    /// A failure message with the server it came from, when that is the mesh server.
    pub fn qualify(&self, group: &str, message: String) -> String {
        match self.name_of(group) {
            Some(name) => format!("{name}: {message}"),
            None => message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_map_to_clusters() {
        let cases = [
            ("networking.istio.io", Cluster::Mesh),
            ("security.istio.io", Cluster::Mesh),
            ("telemetry.istio.io", Cluster::Mesh),
            ("extensions.istio.io", Cluster::Mesh),
            ("istio.alibabacloud.com", Cluster::Mesh),
            ("", Cluster::Main),
            ("apps", Cluster::Main),
            ("argoproj.io", Cluster::Main),
            ("apiextensions.k8s.io", Cluster::Main),
            ("rbac.authorization.k8s.io", Cluster::Main),
            // Not istiod configuration: the Istio operator and the Kubernetes Gateway API stay put.
            ("install.istio.io", Cluster::Main),
            ("gateway.networking.k8s.io", Cluster::Main),
            ("networking.k8s.io", Cluster::Main),
            // Exact names only: a look-alike group is not the mesh's.
            ("evil-networking.istio.io", Cluster::Main),
            ("networking.istio.io.example.com", Cluster::Main),
        ];
        for (group, want) in cases {
            assert_eq!(cluster_of(group), want, "{group:?}");
        }
    }
}
