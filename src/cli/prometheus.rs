//! A real Prometheus (Debian's `prometheus`) for the demo and the tests: scraping the given targets
//! every second, storage in a directory of ours, served under the path prefix the seed's
//! AnalysisTemplate uses (`http://host:9090/api/v1/prometheus/`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Path prefix of the seed's Prometheus address.
pub const PREFIX: &str = "/api/v1/prometheus";

/// A running Prometheus; killed when dropped.
pub struct Prometheus {
    child: tokio::process::Child,
    pub port: u16,
}

/// The first `name` on the PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The scrape configuration: every target each second.
pub fn config(targets: &[SocketAddr]) -> String {
    let targets: Vec<String> = targets.iter().map(|t| format!("\"{t}\"")).collect();
    format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n- job_name: meshsim\n  scrape_interval: 1s\n  static_configs:\n  - targets: [{}]\n",
        targets.join(", ")
    )
}

impl Prometheus {
    /// Starts Prometheus with its files under `dir`; `None` when it is not installed.
    pub async fn start(dir: &Path, targets: &[SocketAddr]) -> anyhow::Result<Option<Prometheus>> {
        let Some(bin) = which("prometheus") else {
            return Ok(None);
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let cfg = dir.join("prometheus.yml");
        std::fs::write(&cfg, config(targets))
            .with_context(|| format!("writing {}", cfg.display()))?;
        let log = std::fs::File::create(dir.join("prometheus.log"))?;
        let child = tokio::process::Command::new(bin)
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("prometheus-data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!(
                "--web.external-url=http://127.0.0.1:{port}{PREFIX}/"
            ))
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .context("starting prometheus")?;
        Ok(Some(Prometheus { child, port }))
    }

    /// The address as the seed's template writes it.
    pub fn address(&self) -> String {
        format!("http://127.0.0.1:{}{PREFIX}/", self.port)
    }

    /// The readiness endpoint.
    pub fn ready_url(&self) -> String {
        format!("http://127.0.0.1:{}{PREFIX}/-/ready", self.port)
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrapes_every_target_each_second() {
        let c = config(&[
            "127.0.0.1:1".parse().unwrap(),
            "127.0.0.1:2".parse().unwrap(),
        ]);
        assert!(c.contains("scrape_interval: 1s"));
        assert!(
            c.contains("targets: [\"127.0.0.1:1\", \"127.0.0.1:2\"]"),
            "{c}"
        );
    }
}
