//! Starting and stopping a localkube: TLS with a generated CA, a bearer token, the kubeconfig that
//! points clients at it, and the background controllers.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::access::{self, Access, Call, Denial};
use crate::controllers;
use crate::http::{AppState, router};
use crate::ops::{Cluster, WriteOpts};
use crate::resources::Registry;
use crate::store::Store;

/// How a localkube is started.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    /// How long a simulated Pod takes to become Ready.
    pub ready_delay: Duration,
    /// Images (with `*` wildcards) whose Pods never become Ready.
    pub broken_images: Vec<String>,
    /// CustomResourceDefinitions installed at start.
    pub crds: Vec<Value>,
    /// How many events the watch log keeps; older resourceVersions get 410 Gone. Each event holds the
    /// object before and after, so this bounds memory (kube-apiserver's watch cache is similarly
    /// bounded; a client that falls further behind relists).
    pub event_log_capacity: usize,
    /// Run the ReplicaSet/Deployment/Pod simulator and the garbage collector.
    pub controllers: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ready_delay: Duration::from_millis(500),
            broken_images: vec![],
            crds: vec![],
            event_log_capacity: 10_000,
            controllers: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("generating the TLS certificates: {0}")]
    Certificates(#[from] rcgen::Error),
    #[error("configuring TLS: {0}")]
    Tls(#[from] rustls::Error),
    #[error("binding {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("installing CustomResourceDefinition {name}: {message}")]
    Crd { name: String, message: String },
    #[error("creating the bootstrap object {name}: {message}")]
    Bootstrap { name: String, message: String },
}

/// A running server. Dropping it stops serving.
pub struct LocalKube {
    addr: SocketAddr,
    ca_pem: String,
    cluster: Arc<Cluster>,
    access: Arc<Access>,
    tasks: JoinSet<()>,
}

impl LocalKube {
    pub async fn start(config: Config) -> Result<LocalKube, StartError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        let (ca_pem, tls) = tls_config(addr.ip())?;
        let access = Arc::new(Access::new(access::random_token()));
        let store = Arc::new(Store::new(
            Registry::with_builtins(),
            config.event_log_capacity,
        ));
        let cluster = Arc::new(Cluster::new(store.clone()));
        bootstrap(&cluster, &config)?;
        let state = AppState {
            cluster: cluster.clone(),
            store: store.clone(),
            access: access.clone(),
        };
        let app = router(state);
        let mut tasks = JoinSet::new();
        let acceptor = TlsAcceptor::from(Arc::new(tls));
        tasks.spawn(serve(listener, acceptor, app));
        if config.controllers {
            controllers::spawn_all(&mut tasks, cluster.clone(), &config);
        }
        tracing::info!(%addr, "localkube serving");
        Ok(LocalKube {
            addr,
            ca_pem,
            cluster,
            access,
            tasks,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The admin's token (group `system:masters`: RBAC is not consulted).
    pub fn token(&self) -> &str {
        self.access.admin_token()
    }

    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn cluster(&self) -> &Arc<Cluster> {
        &self.cluster
    }

    /// A kubeconfig that kubectl and kube-rs accept as is (the admin's).
    pub fn kubeconfig(&self) -> Value {
        self.kubeconfig_for(self.access.admin_token(), "default")
    }

    fn kubeconfig_for(&self, token: &str, namespace: &str) -> Value {
        let ca = base64::engine::general_purpose::STANDARD.encode(&self.ca_pem);
        json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "localkube", "cluster": {"server": self.url(), "certificate-authority-data": ca}}],
            "users": [{"name": "localkube", "user": {"token": token}}],
            "contexts": [{"name": "localkube", "context": {"cluster": "localkube", "user": "localkube", "namespace": namespace}}],
            "current-context": "localkube",
            "preferences": {}
        })
    }

    pub fn kubeconfig_yaml(&self) -> String {
        serde_yaml::to_string(&self.kubeconfig()).unwrap_or_default()
    }

    /// Writes the kubeconfig readable by the owner only (it holds the token).
    pub fn write_kubeconfig(&self, path: &Path) -> std::io::Result<()> {
        write_private(path, &self.kubeconfig_yaml())
    }

    /// A kubeconfig with a new token of the ServiceAccount `namespace/name`: requests made with it
    /// are authorized by RBAC, as a pod running as that account would be. The token stops working
    /// when the ServiceAccount is deleted.
    pub fn service_account_kubeconfig(&self, namespace: &str, name: &str) -> Value {
        let token = self.access.mint_service_account_token(namespace, name);
        self.kubeconfig_for(&token, namespace)
    }

    pub fn write_service_account_kubeconfig(
        &self,
        path: &Path,
        namespace: &str,
        name: &str,
    ) -> std::io::Result<()> {
        let yaml = serde_yaml::to_string(&self.service_account_kubeconfig(namespace, name))
            .unwrap_or_default();
        write_private(path, &yaml)
    }

    /// Every request RBAC refused so far (they are also logged), oldest first.
    pub fn denials(&self) -> Vec<Denial> {
        self.access.denials()
    }

    /// Every kind of call RBAC allowed so far to users outside `system:masters`, with counts.
    pub fn calls(&self) -> Vec<(Call, u64)> {
        self.access.calls()
    }

    /// Stops serving and the background controllers.
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

fn tls_config(ip: IpAddr) -> Result<(String, rustls::ServerConfig), StartError> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "localkube-ca");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(vec![
        "localhost".to_string(),
        "kubernetes.default.svc".to_string(),
    ])?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localkube");
    let mut ips: Vec<IpAddr> = vec![
        IpAddr::from([127, 0, 0, 1]),
        IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
    ];
    if !ip.is_unspecified() && !ips.contains(&ip) {
        ips.push(ip);
    }
    for ip in ips {
        params.subject_alt_names.push(SanType::IpAddress(ip));
    }
    let cert = params.signed_by(&key, &issuer)?;
    let chain = vec![cert.der().clone(), ca_cert.der().clone()];
    let key_der = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der())
        .map_err(|e| rustls::Error::General(e.to_string()))?;
    let mut tls = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key_der)?;
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((ca_cert.pem(), tls))
}

async fn serve(listener: TcpListener, acceptor: TlsAcceptor, app: axum::Router) {
    let mut conns = JoinSet::new();
    loop {
        let (tcp, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let svc = TowerToHyperService::new(app.clone());
        conns.spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection_with_upgrades(TokioIo::new(tls), svc)
                .await;
        });
        while conns.try_join_next().is_some() {}
    }
}

/// The namespaces and RBAC bootstrap policy every cluster has, and the CRDs asked for at start.
fn bootstrap(cluster: &Cluster, config: &Config) -> Result<(), StartError> {
    let opts = WriteOpts {
        manager: "localkube".into(),
        ..Default::default()
    };
    let ns_rt = cluster
        .resource("", "v1", "namespaces")
        .map_err(|e| StartError::Crd {
            name: "namespaces".into(),
            message: e.message,
        })?;
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
        cluster
            .create(&ns_rt, "v1", "", obj, &opts)
            .map_err(|e| StartError::Crd {
                name: ns.into(),
                message: e.message,
            })?;
    }
    for (resource, obj) in crate::authz::bootstrap_objects() {
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let fail = |message: String| StartError::Bootstrap {
            name: format!("{resource}/{name}"),
            message,
        };
        let rt = cluster
            .resource(crate::authz::RBAC_GROUP, "v1", resource)
            .map_err(|e| fail(e.message))?;
        cluster
            .create(&rt, "v1", "", obj, &opts)
            .map_err(|e| fail(e.message))?;
    }
    let crd_rt = cluster
        .resource("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        .map_err(|e| StartError::Crd {
            name: "customresourcedefinitions".into(),
            message: e.message,
        })?;
    for crd in &config.crds {
        let name = crd
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("<unnamed>")
            .to_string();
        cluster
            .create(&crd_rt, "v1", "", crd.clone(), &opts)
            .map_err(|e| StartError::Crd {
                name,
                message: e.message,
            })?;
    }
    Ok(())
}
