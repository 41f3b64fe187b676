//! A private OpenSSH `sshd` on 127.0.0.1 (see shared/RECIPES.md).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How to start the server.
#[derive(Debug, Clone, Default)]
pub struct SshdOptions {
    /// Accept passwords (`PasswordAuthentication yes`); see
    /// `Sshd::password_user`.
    pub password_auth: bool,
    /// Extra `sshd_config` lines.
    pub extra_config: Vec<String>,
}

/// A running `sshd -D`, killed (and its temp dir removed) on drop.
pub struct Sshd {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

pub const SSHD: &str = "/usr/sbin/sshd";

/// The password-login test user scripts/test.sh creates, and its password.
pub const PASSWORD_USER: &str = "kiln-ssh-test";
pub const PASSWORD: &str = "kiln-test-Pw-7q2";

fn spawn(d: &Path) -> Child {
    Command::new(SSHD)
        .arg("-D")
        .arg("-f")
        .arg(d.join("sshd_config"))
        .arg("-E")
        .arg(d.join("sshd.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {SSHD}: {e}"))
}

fn keygen(path: &Path, kind: &str) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", "", "-C", "kiln-test"])
        .args(if kind == "rsa" {
            &["-b", "2048"][..]
        } else {
            &[][..]
        })
        .arg("-f")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("running ssh-keygen: {e}"));
    assert!(
        out.status.success(),
        "ssh-keygen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Sshd {
    /// Start with key authentication only. `None` when sshd is missing and
    /// `KILN_REQUIRE_PEERS` is not set.
    pub fn start() -> Option<Sshd> {
        Self::start_with(SshdOptions::default())
    }

    pub fn start_with(opts: SshdOptions) -> Option<Sshd> {
        if !crate::require(SSHD) || !crate::require("ssh-keygen") {
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("kiln-sshd-")
            .tempdir()
            .unwrap_or_else(|e| panic!("temp dir: {e}"));
        let d = dir.path().to_path_buf();
        let d = d.as_path();
        keygen(&d.join("hostkey"), "ed25519");
        keygen(&d.join("clientkey"), "ed25519");
        keygen(&d.join("rsakey"), "rsa");
        keygen(&d.join("ecdsakey"), "ecdsa");
        keygen(&d.join("wrongkey"), "ed25519");
        let mut authorized = String::new();
        for k in ["clientkey", "rsakey", "ecdsakey"] {
            authorized.push_str(
                &std::fs::read_to_string(d.join(format!("{k}.pub")))
                    .unwrap_or_else(|e| panic!("reading {k}.pub: {e}")),
            );
        }
        std::fs::write(d.join("authorized_keys"), authorized)
            .unwrap_or_else(|e| panic!("writing authorized_keys: {e}"));
        let _ = std::fs::create_dir_all("/run/sshd");
        let mut last_err = String::new();
        // A port picked free can be taken by someone else before sshd binds
        // it: try a few.
        for _ in 0..5 {
            let port = crate::free_port();
            let mut config = format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/hostkey\nAuthorizedKeysFile {d}/authorized_keys\nPidFile {d}/sshd.pid\nPasswordAuthentication {pw}\nKbdInteractiveAuthentication no\nPermitRootLogin yes\nUsePAM no\nStrictModes no\nAllowAgentForwarding yes\nAllowTcpForwarding yes\nMaxStartups 100\nMaxSessions 100\nSubsystem sftp internal-sftp\n",
                d = d.display(),
                pw = if opts.password_auth { "yes" } else { "no" },
            );
            for line in &opts.extra_config {
                config.push_str(line);
                config.push('\n');
            }
            std::fs::write(d.join("sshd_config"), config)
                .unwrap_or_else(|e| panic!("writing sshd_config: {e}"));
            let mut child = spawn(d);
            if wait_ready(port, &mut child, Duration::from_secs(30)) {
                return Some(Sshd {
                    dir,
                    port,
                    child: Some(child),
                });
            }
            kill_tree(&mut child);
            last_err = std::fs::read_to_string(d.join("sshd.log")).unwrap_or_default();
        }
        panic!("sshd did not start: {last_err}");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    /// The user the server accepts (the one running the tests).
    pub fn user(&self) -> String {
        std::env::var("USER")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| {
                let out = Command::new("id").arg("-un").output();
                out.ok()
                    .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                    .filter(|u| !u.is_empty())
                    .unwrap_or_else(|| "root".to_string())
            })
    }

    /// The server's private directory (keys, config, log).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// An authorized ed25519 client key.
    pub fn client_key(&self) -> PathBuf {
        self.dir.path().join("clientkey")
    }

    /// Authorized keys of other types: `"rsa"`, `"ecdsa"`.
    pub fn key_of_type(&self, kind: &str) -> PathBuf {
        self.dir.path().join(format!("{kind}key"))
    }

    /// A valid key the server does not accept.
    pub fn wrong_key(&self) -> PathBuf {
        self.dir.path().join("wrongkey")
    }

    /// The server's public host key line.
    pub fn host_public_key(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("hostkey.pub"))
            .unwrap_or_else(|e| panic!("reading hostkey.pub: {e}"))
    }

    /// A `known_hosts` line for this server.
    pub fn known_hosts_line(&self) -> String {
        let key = self.host_public_key();
        let mut parts = key.split_whitespace();
        format!(
            "[127.0.0.1]:{} {} {}\n",
            self.port,
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default()
        )
    }

    /// The server's log (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// Stop the listener and every connection it serves, and the commands
    /// they run (a crash of the machine).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_tree(&mut child);
        }
    }

    /// Start the server again on the same port with the same keys (a
    /// machine coming back after a reboot).
    pub fn restart(&mut self) {
        self.kill();
        let mut child = spawn(self.dir.path());
        assert!(
            wait_ready(self.port, &mut child, Duration::from_secs(30)),
            "sshd did not restart: {}",
            self.log()
        );
        self.child = Some(child);
    }

    /// A user that logs in with a password, if the machine has one
    /// (scripts/test.sh creates it): `(user, password)`. Panics when it is
    /// missing and `KILN_REQUIRE_PEERS` is set.
    pub fn password_user() -> Option<(String, String)> {
        let ok = Command::new("id")
            .arg(PASSWORD_USER)
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            ok || std::env::var_os("KILN_REQUIRE_PEERS").is_none(),
            "KILN_REQUIRE_PEERS is set but the user {PASSWORD_USER} does not exist (scripts/test.sh creates it)"
        );
        ok.then(|| (PASSWORD_USER.to_string(), PASSWORD.to_string()))
    }

    /// Whether the listening process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
    }
}

fn wait_ready(port: u16, child: &mut Child, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        // sshd greets with its banner once it accepts connections.
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::Read;
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = [0u8; 4];
            if s.read_exact(&mut buf).is_ok() && &buf == b"SSH-" {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// The process ids descending from `root` (from /proc).
fn descendants(root: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid ...: comm may contain spaces.
            let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
                continue;
            };
            if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
                parents.push((pid, ppid));
            }
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (pid, ppid) in &parents {
            if *ppid == p && !out.contains(pid) {
                out.push(*pid);
                frontier.push(*pid);
            }
        }
    }
    out
}

/// SIGKILL `child` and everything it started (connection handlers and the
/// commands they run).
fn kill_tree(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("-STOP")
        .arg(child.id().to_string())
        .status();
    let pids = descendants(child.id());
    let _ = child.kill();
    for pid in pids {
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg(pid.to_string())
            .status();
    }
    let _ = child.wait();
}
