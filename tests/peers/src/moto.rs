//! A private `moto_server` (a real EC2 API implementation) on a free
//! 127.0.0.1 port, killed on drop. scripts/test.sh installs it into the
//! venv `target/peers/moto` (`pip install 'moto[server,ec2]'`);
//! `KILN_MOTO_BIN` points at another `moto_server`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `moto_server`.
pub struct Moto {
    port: u16,
    child: Option<Child>,
    log: tempfile::NamedTempFile,
    _amis: Option<tempfile::NamedTempFile>,
}

/// Where scripts/test.sh installs moto_server.
pub fn moto_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("KILN_MOTO_BIN") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/peers/moto/bin/moto_server")
}

impl Moto {
    /// Start a server. `None` when moto_server is missing and
    /// `KILN_REQUIRE_PEERS` is not set (with it set, a missing server
    /// fails the test).
    pub fn start() -> Option<Moto> {
        Self::start_with_amis(None)
    }

    /// Start a server whose stock images are the JSON list `amis`
    /// (moto's `MOTO_AMIS_PATH` format: `ami_id`, `owner_id`, `name`,
    /// `creation_date`, …) instead of moto's default set.
    pub fn start_with_amis(amis: Option<&str>) -> Option<Moto> {
        let bin = moto_bin();
        if !crate::require(&bin.display().to_string()) {
            return None;
        }
        let amis_file = amis.map(|json| {
            let f = tempfile::NamedTempFile::new().unwrap_or_else(|e| panic!("temp file: {e}"));
            std::fs::write(f.path(), json).unwrap_or_else(|e| panic!("writing AMIs: {e}"));
            f
        });
        let mut last = String::new();
        for _ in 0..5 {
            let port = crate::free_port();
            let log = tempfile::NamedTempFile::new().unwrap_or_else(|e| panic!("temp file: {e}"));
            let err = log
                .reopen()
                .unwrap_or_else(|e| panic!("reopening the moto log: {e}"));
            let mut cmd = Command::new(&bin);
            if let Some(f) = &amis_file {
                cmd.env("MOTO_AMIS_PATH", f.path());
            }
            let mut child = cmd
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                // moto must never reach out: no real credentials, no proxy.
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env("AWS_EC2_METADATA_DISABLED", "true")
                // The request log is read while the server runs.
                .env("PYTHONUNBUFFERED", "1")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::from(err))
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
            if wait_ready(port, &mut child, Duration::from_secs(60)) {
                return Some(Moto {
                    port,
                    child: Some(child),
                    log,
                    _amis: amis_file,
                });
            }
            let _ = child.kill();
            let _ = child.wait();
            last = std::fs::read_to_string(log.path()).unwrap_or_default();
        }
        panic!("moto_server did not start: {last}");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT` (the EC2 endpoint, every region).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's request log (stderr: one line per request).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// How many API requests the server has answered so far.
    pub fn request_count(&self) -> usize {
        self.log()
            .lines()
            .filter(|l| l.contains("\"POST ") || l.contains("\"GET /?"))
            .count()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn wait_ready(port: u16, child: &mut Child, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            let req = format!("GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
            let mut buf = [0u8; 12];
            if s.write_all(req.as_bytes()).is_ok()
                && s.read_exact(&mut buf).is_ok()
                && buf.starts_with(b"HTTP/1.")
            {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}
