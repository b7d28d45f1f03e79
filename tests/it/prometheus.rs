//! A real Prometheus (Debian's `prometheus`) for analysis tests: scrape interval 1s, storage in a temp
//! dir, served under the path prefix the seed's template uses (`/api/v1/prometheus/`).

use std::net::SocketAddr;
use std::time::Duration;

use crate::common::require_tool;

pub struct Prometheus {
    child: tokio::process::Child,
    _dir: tempfile::TempDir,
    pub port: u16,
}

/// Path prefix of the seed's Prometheus address (`http://host:9090/api/v1/prometheus/`).
pub const PREFIX: &str = "/api/v1/prometheus";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Prometheus {
    pub async fn start(targets: &[SocketAddr]) -> Prometheus {
        let bin = require_tool("prometheus");
        let dir = tempfile::tempdir().expect("temp dir");
        let targets: Vec<String> = targets.iter().map(|t| format!("\"{t}\"")).collect();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n- job_name: meshsim\n  scrape_interval: 1s\n  static_configs:\n  - targets: [{}]\n",
            targets.join(", ")
        );
        let cfg = dir.path().join("prometheus.yml");
        std::fs::write(&cfg, config).expect("config");
        let port = free_port();
        let child = tokio::process::Command::new(bin)
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!(
                "--web.external-url=http://127.0.0.1:{port}{PREFIX}/"
            ))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("prometheus starts");
        let p = Prometheus {
            child,
            _dir: dir,
            port,
        };
        let ready = format!("http://127.0.0.1:{port}{PREFIX}/-/ready");
        crate::common::eventually(Duration::from_secs(20), "prometheus ready", || async {
            crate::sync::try_http_get(&ready)
                .await
                .filter(|b| b.contains("Ready"))
                .map(|_| ())
        })
        .await;
        p
    }

    /// The address as the seed's template writes it.
    pub fn address(&self) -> String {
        format!("http://127.0.0.1:{}{PREFIX}/", self.port)
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
