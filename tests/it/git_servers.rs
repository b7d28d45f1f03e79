//! Real Git servers on loopback, started by the tests themselves: smart HTTP (`git http-backend`
//! behind nginx + fcgiwrap, with basic auth and a bearer-token location) and SSH (openssh-server with
//! a key). Each lives in its own temp dir on free ports and is killed on drop.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::git_repo::require_tool;

const HTTP_BACKEND: &str = "/usr/lib/git-core/git-http-backend";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn wait_until(what: &str, log: &Path, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if ready() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = std::fs::read_to_string(log).unwrap_or_default();
    panic!("{what} did not start within 10s; its log:\n{log}");
}

fn accepts(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// nginx + fcgiwrap serving every repository under `root`:
/// `/basic/<repo>` needs basic auth, `/bearer/<repo>` needs `Authorization: Bearer <token>`.
pub struct HttpGitServer {
    _processes: Vec<Killed>,
    pub dir: tempfile::TempDir,
    pub port: u16,
}

impl HttpGitServer {
    pub fn start(root: &Path, user: &str, password: &str, token: &str) -> Self {
        require_tool("/usr/sbin/nginx", "nginx-light");
        require_tool("/usr/sbin/fcgiwrap", "fcgiwrap");
        require_tool(HTTP_BACKEND, "git");
        let dir = tempfile::Builder::new()
            .prefix("nginx")
            .tempdir_in("/tmp")
            .expect("temp dir");
        let d = dir.path();
        let socket = d.join("fcgi.sock");
        let fcgi_log = d.join("fcgiwrap.log");
        let fcgiwrap = Command::new("/usr/sbin/fcgiwrap")
            .arg("-s")
            .arg(format!("unix:{}", socket.display()))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&fcgi_log).expect("log"))
            .spawn()
            .expect("start fcgiwrap");
        let fcgiwrap = Killed(fcgiwrap);
        wait_until("fcgiwrap", &fcgi_log, || socket.exists());

        std::fs::write(d.join("htpasswd"), format!("{user}:{{PLAIN}}{password}\n"))
            .expect("htpasswd");
        let port = free_port();
        let backend = |extra: &str| {
            format!(
                "{extra}
            fastcgi_pass unix:{socket};
            fastcgi_param SCRIPT_FILENAME {HTTP_BACKEND};
            fastcgi_param GIT_PROJECT_ROOT {root};
            fastcgi_param GIT_HTTP_EXPORT_ALL \"\";
            fastcgi_param PATH_INFO $repo_path;
            fastcgi_param REMOTE_USER $remote_user;
            fastcgi_param QUERY_STRING $query_string;
            fastcgi_param REQUEST_METHOD $request_method;
            fastcgi_param CONTENT_TYPE $content_type;
            fastcgi_param CONTENT_LENGTH $content_length;
            fastcgi_param HTTP_GIT_PROTOCOL $http_git_protocol;",
                socket = socket.display(),
                root = root.display(),
            )
        };
        let config = format!(
            "daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    fastcgi_temp_path {d}/fastcgi;
    proxy_temp_path {d}/proxy;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location ~ ^/basic(?<repo_path>/.*)$ {{
            {basic}
        }}
        location ~ ^/bearer(?<repo_path>/.*)$ {{
            {bearer}
        }}
    }}
}}
",
            d = d.display(),
            basic = backend(&format!(
                "auth_basic \"git\";\n            auth_basic_user_file {}/htpasswd;",
                d.display()
            )),
            bearer = backend(&format!(
                "if ($http_authorization != \"Bearer {token}\") {{ return 401; }}"
            )),
        );
        std::fs::write(d.join("nginx.conf"), config).expect("nginx.conf");
        let log = d.join("error.log");
        let nginx = Command::new("/usr/sbin/nginx")
            .arg("-p")
            .arg(d)
            .arg("-e")
            .arg(&log)
            .arg("-c")
            .arg(d.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let nginx = Killed(nginx);
        wait_until("nginx", &log, || accepts(port));
        HttpGitServer {
            _processes: vec![nginx, fcgiwrap],
            dir,
            port,
        }
    }

    pub fn url(&self, location: &str, repo: &str) -> String {
        format!("http://127.0.0.1:{}/{location}/{repo}", self.port)
    }
}

/// openssh-server on loopback accepting one client key for the current user.
pub struct SshGitServer {
    _process: Killed,
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub user: String,
}

impl SshGitServer {
    pub fn start(authorized_key: &str) -> Self {
        require_tool("/usr/sbin/sshd", "openssh-server");
        require_tool("ssh-keygen", "openssh-client");
        let dir = tempfile::Builder::new()
            .prefix("sshd")
            .tempdir_in("/tmp")
            .expect("temp dir");
        let d = dir.path();
        let host_key = d.join("host_ed25519");
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&host_key)
            .status()
            .expect("ssh-keygen");
        assert!(status.success());
        std::fs::write(d.join("authorized_keys"), format!("{authorized_key}\n"))
            .expect("authorized_keys");
        // sshd refuses to start without its privilege-separation directory.
        let _ = std::fs::create_dir_all("/run/sshd");
        let port = free_port();
        let config = format!(
            "Port {port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile {d}/sshd.pid
AuthorizedKeysFile {d}/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
",
            host_key = host_key.display(),
            d = d.display(),
        );
        std::fs::write(d.join("sshd_config"), config).expect("sshd_config");
        let log = d.join("sshd.log");
        let sshd = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("start sshd");
        let sshd = Killed(sshd);
        wait_until("sshd", &log, || accepts(port));
        let user = Command::new("id")
            .arg("-un")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .expect("user name");
        SshGitServer {
            _process: sshd,
            dir,
            port,
            user,
        }
    }

    pub fn url(&self, repo: &Path) -> String {
        format!(
            "ssh://{}@127.0.0.1:{}{}",
            self.user,
            self.port,
            repo.display()
        )
    }

    /// A known_hosts line for this server's host key.
    pub fn known_hosts_line(&self) -> String {
        let key =
            std::fs::read_to_string(self.dir.path().join("host_ed25519.pub")).expect("host key");
        let mut parts = key.split_whitespace();
        let (kind, data) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        format!("[127.0.0.1]:{} {kind} {data}\n", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }
}

/// A directory of bare repositories, as a server exports them.
pub fn served_repo(root: &Path, name: &str, from: &Path) -> PathBuf {
    let target = root.join(name);
    super::git_repo::git(
        from,
        &[
            "clone",
            "-q",
            "--bare",
            &from.display().to_string(),
            &target.display().to_string(),
        ],
    );
    super::git_repo::git(&target, &["config", "http.receivepack", "true"]);
    target
}
