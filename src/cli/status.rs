//! `gitcanary status`: the daemon's view of its sources, from its JSON API.

use std::process::ExitCode;

use anyhow::Context;
use serde_json::Value;

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The daemon's address (`gitcanary run --listen`).
    #[arg(
        long,
        env = "GITCANARY_SERVER",
        default_value = "http://127.0.0.1:9464"
    )]
    pub server: String,
    /// Also list every object with its state.
    #[arg(long)]
    pub objects: bool,
}

/// Renders `/api/v1/sources` for a terminal.
pub fn render(sources: &Value, objects: bool) -> String {
    let mut out = String::new();
    for s in sources["sources"].as_array().into_iter().flatten() {
        let short = |v: &Value| {
            v["id"]
                .as_str()
                .map(|id| id[..id.len().min(12)].to_string())
                .unwrap_or_else(|| "-".into())
        };
        out += &format!(
            "source {}: {} ({}@{} {})\n",
            s["name"].as_str().unwrap_or("?"),
            s["phase"].as_str().unwrap_or("?"),
            s["repo"].as_str().unwrap_or(""),
            s["branch"].as_str().unwrap_or(""),
            s["path"].as_str().unwrap_or("")
        );
        out += &format!(
            "  fetched: {}  applied: {}",
            short(&s["fetchedCommit"]),
            short(&s["appliedCommit"])
        );
        if let Some(m) = s["appliedCommit"]["message"]
            .as_str()
            .filter(|m| !m.is_empty())
        {
            out += &format!(" ({m})");
        }
        out += "\n";
        if let Some(m) = s["message"].as_str().filter(|m| !m.is_empty()) {
            out += &format!("  message: {m}\n");
        }
        for i in s["ignored"].as_array().into_iter().flatten() {
            out += &format!(
                "  ignored: {} {}: Git says {}, the rollout controller set {}\n",
                i["object"].as_str().unwrap_or(""),
                i["field"].as_str().unwrap_or(""),
                i["git"].as_str().unwrap_or(""),
                i["live"].as_str().unwrap_or("")
            );
        }
        for o in s["objects"].as_array().into_iter().flatten() {
            let failed = o["state"] == "Failed";
            if objects || failed {
                let ns = o["namespace"]
                    .as_str()
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default();
                out += &format!(
                    "  {:<10} {}/{ns}{}",
                    o["state"].as_str().unwrap_or(""),
                    o["kind"].as_str().unwrap_or(""),
                    o["name"].as_str().unwrap_or("")
                );
                if let Some(m) = o["message"].as_str() {
                    out += &format!(": {m}");
                }
                out += "\n";
            }
        }
    }
    out
}

pub async fn run(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let url = format!("{}/api/v1/sources", args.server.trim_end_matches('/'));
    let body = http_get(&url)
        .await
        .with_context(|| format!("asking the daemon at {}", args.server))?;
    let sources: Value = serde_json::from_str(&body).context("reading the daemon's answer")?;
    print!("{}", render(&sources, args.objects));
    let failed = sources["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|s| s["phase"] == "Failed");
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A plain HTTP GET (the daemon's API is HTTP on loopback or in-cluster).
pub async fn http_get(url: &str) -> anyhow::Result<String> {
    use http_body_util::BodyExt;
    let uri: http::Uri = url.parse().context("parsing the URL")?;
    let host = uri.authority().context("the URL has no host")?.to_string();
    let stream = tokio::net::TcpStream::connect(&host)
        .await
        .with_context(|| format!("connecting to {host}"))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let req = http::Request::get(uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"))
        .header("host", host)
        .body(http_body_util::Empty::<bytes::Bytes>::new())?;
    let resp = sender.send_request(req).await?;
    let body = resp.into_body().collect().await?.to_bytes();
    Ok(String::from_utf8_lossy(&body).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_failures_and_ignored_fields() {
        let v = json!({"sources": [{"name": "apps", "phase": "Failed", "repo": "r", "branch": "main", "path": "deploy",
            "message": "commit abc: deploy/bad.yaml:3: invalid YAML",
            "appliedCommit": {"id": "0123456789abcdef", "message": "good"},
            "ignored": [{"object": "VirtualService/d/vs", "field": "spec.http[0].route[0].weight", "git": "50", "live": "90"}],
            "objects": [{"kind": "Service", "namespace": "d", "name": "s", "state": "Synced"}]}]});
        let text = render(&v, false);
        assert!(text.contains("source apps: Failed"), "{text}");
        assert!(text.contains("applied: 0123456789ab (good)"), "{text}");
        assert!(
            text.contains("message: commit abc: deploy/bad.yaml:3"),
            "{text}"
        );
        assert!(
            text.contains("ignored: VirtualService/d/vs spec.http[0].route[0].weight: Git says 50"),
            "{text}"
        );
        assert!(!text.contains("Service/d/s"));
        assert!(render(&v, true).contains("Synced     Service/d/s"));
    }
}
