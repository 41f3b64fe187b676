//! A private Podman API service for the docker tests: its own storage
//! (vfs, in a temporary directory), its own `containers.conf` (the set-up
//! `shared/RECIPES.md` documents), a unix socket, and a base image
//! `localhost/kiln-base:test` imported from a busybox-static rootfs.
//! Without podman the tests skip, unless `KILN_REQUIRE_PEERS` is set (CI):
//! then they fail.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BASE_IMAGE: &str = "localhost/kiln-base:test";

pub struct Podman {
    pub dir: tempfile::TempDir,
    child: Child,
}

fn require(ok: bool, what: &str) -> bool {
    assert!(
        ok || std::env::var_os("KILN_REQUIRE_PEERS").is_none(),
        "KILN_REQUIRE_PEERS is set but {what}"
    );
    ok
}

fn available(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Podman {
    /// Start the service, or `None` when podman is not installed (and
    /// peers are not required).
    pub fn start() -> Option<Podman> {
        Self::start_with(&[])
    }

    /// Start the service trusting plain-HTTP registries at `insecure`
    /// (`host:port`, e.g. a [`Registry`] on loopback).
    pub fn start_with(insecure: &[String]) -> Option<Podman> {
        if !require(available("podman", "--version"), "`podman` is not on PATH") {
            return None;
        }
        if !require(
            Path::new("/bin/busybox").exists(),
            "/bin/busybox (busybox-static) is missing",
        ) {
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("kiln-podman")
            .tempdir()
            .expect("tempdir");
        let d = dir.path();
        // Everything podman keeps (storage, runtime state, events) lives in
        // the temporary directory: services of parallel tests never share.
        std::fs::write(
            d.join("containers.conf"),
            format!(
                "[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=4096:4096\"]\n\
                 [engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n\
                 events_logfile_path = \"{events}\"\ntmp_dir = \"{tmp}\"\nstatic_dir = \"{stat}\"\nvolume_path = \"{vol}\"\n",
                events = d.join("events.log").display(),
                tmp = d.join("tmp").display(),
                stat = d.join("root/libpod").display(),
                vol = d.join("root/volumes").display(),
            ),
        )
        .expect("containers.conf");
        std::fs::write(
            d.join("storage.conf"),
            format!(
                "[storage]\ndriver = \"vfs\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
                d.join("root").display(),
                d.join("run").display()
            ),
        )
        .expect("storage.conf");
        let mut registries = String::from("unqualified-search-registries = []\n");
        for r in insecure {
            registries.push_str(&format!(
                "[[registry]]\nlocation = \"{r}\"\ninsecure = true\n"
            ));
        }
        std::fs::write(d.join("registries.conf"), registries).expect("registries.conf");
        let log = std::fs::File::create(d.join("service.log")).expect("log");
        let child = Command::new("podman")
            .envs(Self::env_of(d))
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", d.join("podman.sock").display()))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn podman system service");
        let p = Podman { dir, child };
        p.wait_ready();
        p.import_base();
        Some(p)
    }

    fn env_of(d: &Path) -> Vec<(String, String)> {
        vec![
            (
                "CONTAINERS_CONF".to_string(),
                d.join("containers.conf").display().to_string(),
            ),
            (
                "CONTAINERS_STORAGE_CONF".to_string(),
                d.join("storage.conf").display().to_string(),
            ),
            (
                "CONTAINERS_REGISTRIES_CONF".to_string(),
                d.join("registries.conf").display().to_string(),
            ),
        ]
    }

    /// Environment for `podman` commands and for kiln (`DOCKER_HOST`).
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = Self::env_of(self.dir.path());
        env.push(("DOCKER_HOST".to_string(), self.docker_host()));
        env
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("podman.sock")
    }

    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    /// Point this process's docker client at the service.
    pub fn export_env(&self) {
        for (k, v) in self.env() {
            std::env::set_var(k, v);
        }
    }

    /// Run `podman ARGS` against this service's storage; stdout on success.
    pub fn podman(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new("podman")
            .envs(self.env())
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// A raw `GET` on the API (HTTP/1.0), returning (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        let mut s = UnixStream::connect(self.socket()).expect("connect podman socket");
        s.set_read_timeout(Some(Duration::from_secs(60))).ok();
        write!(s, "GET {path} HTTP/1.0\r\nHost: d\r\n\r\n").expect("write");
        let mut resp = String::new();
        s.read_to_string(&mut resp).expect("read");
        let status = resp
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = resp
            .split_once("\r\n\r\n")
            .map(|x| x.1.to_string())
            .unwrap_or_default();
        (status, body)
    }

    /// Every container the daemon knows (running or not).
    pub fn containers(&self) -> Vec<serde_json::Value> {
        let (status, body) = self.get("/v1.41/containers/json?all=true");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("containers json")
    }

    pub fn assert_no_containers(&self) {
        let left = self.containers();
        assert!(left.is_empty(), "containers left behind: {left:#?}");
    }

    /// `GET /images/{name}/json`.
    pub fn inspect_image(&self, name: &str) -> Option<serde_json::Value> {
        let (status, body) = self.get(&format!("/v1.41/images/{name}/json"));
        (status == 200).then(|| serde_json::from_str(&body).expect("image json"))
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if self.socket().exists() && UnixStream::connect(self.socket()).is_ok() {
                let (status, _) = self.get("/_ping");
                if status == 200 {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "podman service did not start: {}",
                std::fs::read_to_string(self.dir.path().join("service.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A busybox-static rootfs imported as [`BASE_IMAGE`].
    fn import_base(&self) {
        let rootfs = self.dir.path().join("rootfs");
        let bin = rootfs.join("bin");
        for d in ["bin", "tmp", "etc", "root", "usr/bin"] {
            std::fs::create_dir_all(rootfs.join(d)).expect("mkdir rootfs");
        }
        std::fs::copy("/bin/busybox", bin.join("busybox")).expect("copy busybox");
        let list = Command::new("/bin/busybox")
            .arg("--list")
            .output()
            .expect("busybox --list");
        for applet in String::from_utf8_lossy(&list.stdout).lines() {
            if applet != "busybox" {
                std::os::unix::fs::symlink("busybox", bin.join(applet)).expect("symlink");
            }
        }
        std::fs::write(
            rootfs.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/tmp:/bin/sh\n",
        )
        .expect("passwd");
        std::fs::write(rootfs.join("etc/group"), "root:x:0:\nnogroup:x:65534:\n").expect("group");
        let mut tar = Command::new("tar")
            .arg("-C")
            .arg(&rootfs)
            .args(["-c", "."])
            .stdout(Stdio::piped())
            .spawn()
            .expect("tar");
        let out = Command::new("podman")
            .envs(self.env())
            .args(["import", "-q", "-", BASE_IMAGE])
            .stdin(tar.stdout.take().expect("tar stdout"))
            .output()
            .expect("podman import");
        assert!(
            tar.wait().is_ok_and(|s| s.success()),
            "tar of the rootfs failed"
        );
        assert!(
            out.status.success(),
            "podman import failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Docker registry (Debian's `docker-registry`, the CNCF distribution)
/// on a free loopback port, storing into a temporary directory.
pub struct Registry {
    pub dir: tempfile::TempDir,
    pub addr: String,
    child: Child,
}

impl Registry {
    pub fn start() -> Option<Registry> {
        let bin = "/usr/bin/docker-registry";
        if !require(Path::new(bin).exists(), "docker-registry is not installed") {
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n",
                dir.path().join("data").display()
            ),
        )
        .expect("registry config");
        let log = std::fs::File::create(dir.path().join("registry.log")).expect("log");
        let child = Command::new(bin)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn docker-registry");
        let r = Registry { dir, addr, child };
        let deadline = Instant::now() + Duration::from_secs(60);
        while r.get("/v2/").0 != 200 {
            assert!(
                Instant::now() < deadline,
                "docker-registry did not start: {}",
                std::fs::read_to_string(r.dir.path().join("registry.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(r)
    }

    /// A raw `GET` (HTTP/1.0): (status, body); status 0 when unreachable.
    pub fn get(&self, path: &str) -> (u16, String) {
        let Ok(mut s) = std::net::TcpStream::connect(&self.addr) else {
            return (0, String::new());
        };
        s.set_read_timeout(Some(Duration::from_secs(30))).ok();
        if write!(s, "GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n", self.addr).is_err() {
            return (0, String::new());
        }
        let mut resp = String::new();
        if s.read_to_string(&mut resp).is_err() {
            return (0, String::new());
        }
        let status = resp
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = resp
            .split_once("\r\n\r\n")
            .map(|x| x.1.to_string())
            .unwrap_or_default();
        (status, body)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
