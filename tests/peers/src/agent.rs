//! A private `ssh-agent` holding given keys, stopped on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SshAgent {
    _dir: tempfile::TempDir,
    socket: PathBuf,
    child: Child,
}

impl SshAgent {
    /// Start an agent and add `keys`. `None` when ssh-agent is missing and
    /// `KILN_REQUIRE_PEERS` is not set.
    pub fn start(keys: &[&Path]) -> Option<SshAgent> {
        if !crate::require("ssh-agent") || !crate::require("ssh-add") {
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("kiln-agent-")
            .tempdir()
            .unwrap_or_else(|e| panic!("temp dir: {e}"));
        let socket = dir.path().join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting ssh-agent: {e}"));
        let start = Instant::now();
        while !socket.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "ssh-agent did not create its socket"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let agent = SshAgent {
            _dir: dir,
            socket,
            child,
        };
        for key in keys {
            let out = Command::new("ssh-add")
                .arg(key)
                .env("SSH_AUTH_SOCK", &agent.socket)
                .output()
                .unwrap_or_else(|e| panic!("running ssh-add: {e}"));
            assert!(
                out.status.success(),
                "ssh-add failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Some(agent)
    }

    /// The socket to put in `SSH_AUTH_SOCK`.
    pub fn socket(&self) -> &Path {
        &self.socket
    }
}

impl Drop for SshAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
