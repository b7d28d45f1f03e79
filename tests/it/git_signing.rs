//! Signing identities for approval commits: SSH keys (git's `gpg.format=ssh`) and gpg keys, each in
//! its own temp dir. A gpg agent started for a key is stopped on drop.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::git_repo::{git_env, require_tool};

pub struct SshSigner {
    pub dir: tempfile::TempDir,
    pub email: String,
}

impl SshSigner {
    pub fn new(email: &str) -> Self {
        require_tool("ssh-keygen", "openssh-client");
        let dir = tempfile::tempdir().expect("temp dir");
        let key = dir.path().join("key");
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", email, "-f"])
            .arg(&key)
            .status()
            .expect("ssh-keygen");
        assert!(status.success(), "ssh-keygen failed");
        SshSigner {
            dir,
            email: email.to_owned(),
        }
    }

    pub fn key(&self) -> PathBuf {
        self.dir.path().join("key")
    }

    pub fn public_key(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("key.pub"))
            .expect("public key")
            .trim()
            .to_owned()
    }

    /// A line for an allowed-signers file.
    pub fn allowed_signers_line(&self) -> String {
        format!("{} {}\n", self.email, self.public_key())
    }

    /// Commits everything staged (or nothing) with an SSH signature; returns the commit id.
    pub fn commit(&self, repo: &Path, message: &str) -> String {
        let key = self.key().display().to_string();
        git_env(
            repo,
            &[
                "-c",
                "gpg.format=ssh",
                "-c",
                &format!("user.signingkey={key}"),
                "commit",
                "-q",
                "--allow-empty",
                "-S",
                "-m",
                message,
            ],
            &[],
        );
        git_env(repo, &["rev-parse", "HEAD"], &[])
    }
}

pub struct GpgSigner {
    pub home: tempfile::TempDir,
    pub fingerprint: String,
}

impl GpgSigner {
    pub fn new(user_id: &str) -> Self {
        require_tool("gpg", "gnupg");
        let home = tempfile::Builder::new()
            .prefix("gpg")
            .tempdir_in("/tmp")
            .expect("temp dir");
        let mut signer = GpgSigner {
            home,
            fingerprint: String::new(),
        };
        signer.gpg(&["--quick-gen-key", user_id, "ed25519", "sign", "never"]);
        let listing = signer.gpg(&["--with-colons", "--list-secret-keys"]);
        let fingerprint = listing
            .lines()
            .find(|l| l.starts_with("fpr:"))
            .and_then(|l| l.split(':').nth(9))
            .expect("fingerprint")
            .to_owned();
        signer.fingerprint = fingerprint;
        signer
    }

    fn gpg(&self, args: &[&str]) -> String {
        let output = Command::new("gpg")
            .env("GNUPGHOME", self.home.path())
            .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
            .args(args)
            .output()
            .expect("gpg");
        assert!(
            output.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The armored public key, as an operator would configure it.
    pub fn armored_public_key(&self) -> String {
        self.gpg(&["--armor", "--export", &self.fingerprint])
    }

    pub fn commit(&self, repo: &Path, message: &str) -> String {
        let home = self.home.path().display().to_string();
        git_env(
            repo,
            &[
                "-c",
                "gpg.format=openpgp",
                "-c",
                &format!("user.signingkey={}", self.fingerprint),
                "commit",
                "-q",
                "--allow-empty",
                "-S",
                "-m",
                message,
            ],
            &[("GNUPGHOME", home.as_str())],
        );
        git_env(repo, &["rev-parse", "HEAD"], &[])
    }
}

impl Drop for GpgSigner {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "gpg-agent"])
            .status();
    }
}
