//! A real Prometheus for analysis tests (the product's launcher, as the demo uses it), with its files
//! in a temp dir; the test fails, naming the package, if Prometheus is not installed.

use std::net::SocketAddr;
use std::time::Duration;

use crate::common::require_tool;

pub struct Prometheus {
    inner: gitcanary::cli::prometheus::Prometheus,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    pub async fn start(targets: &[SocketAddr]) -> Prometheus {
        require_tool("prometheus");
        let dir = tempfile::tempdir().expect("temp dir");
        let inner = gitcanary::cli::prometheus::Prometheus::start(dir.path(), targets)
            .await
            .expect("prometheus starts")
            .expect("prometheus is on the PATH");
        let ready = inner.ready_url();
        crate::common::eventually(Duration::from_secs(20), "prometheus ready", || async {
            crate::sync::try_http_get(&ready)
                .await
                .filter(|b| b.contains("Ready"))
                .map(|_| ())
        })
        .await;
        Prometheus { inner, _dir: dir }
    }

    /// The address as the seed's template writes it.
    pub fn address(&self) -> String {
        self.inner.address()
    }

    pub async fn stop(self) {
        self.inner.stop().await;
    }
}
