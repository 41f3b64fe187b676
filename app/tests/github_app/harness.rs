//! Test harness: peers (npm packages under target/peers/node, Debian's
//! PostgreSQL), the kiln-app binary as a child process, signed webhooks.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn require_peers() -> bool {
    std::env::var("KILN_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

/// A peer the test needs: present, or a skip (a failure under
/// `KILN_REQUIRE_PEERS=1`, as in CI).
pub fn peer(what: &str, path: PathBuf) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    assert!(
        !require_peers(),
        "peer {what} missing at {} (scripts/test.sh installs it)",
        path.display()
    );
    eprintln!("SKIP: peer {what} missing at {}", path.display());
    None
}

pub fn node_modules() -> PathBuf {
    repo_root().join("target/peers/node/node_modules")
}

/// GitHub's OpenAPI description from `@octokit/openapi`.
pub fn spec() -> Option<&'static Value> {
    static SPEC: OnceLock<Option<Value>> = OnceLock::new();
    SPEC.get_or_init(|| {
        let p = peer(
            "@octokit/openapi",
            node_modules().join("@octokit/openapi/generated/api.github.com.json"),
        )?;
        let text = std::fs::read_to_string(p).ok()?;
        serde_json::from_str(&text).ok()
    })
    .as_ref()
}

/// The spec's example response body of `operation_id` for `status`
/// (the first example when there are several, or the one named `name`).
pub fn example(spec: &Value, operation_id: &str, status: &str, name: Option<&str>) -> Value {
    let paths = spec["paths"].as_object().cloned().unwrap_or_default();
    for (_, ops) in paths {
        let Some(ops) = ops.as_object() else { continue };
        for (_, op) in ops {
            if op["operationId"] != operation_id {
                continue;
            }
            let examples = &op["responses"][status]["content"]["application/json"]["examples"];
            let ex = match name {
                Some(n) => examples[n].clone(),
                None => examples
                    .as_object()
                    .and_then(|o| o.values().next().cloned())
                    .unwrap_or(Value::Null),
            };
            if let Some(r) = ex["$ref"].as_str() {
                let key = r.trim_start_matches("#/components/examples/");
                return spec["components"]["examples"][key]["value"].clone();
            }
            return ex["value"].clone();
        }
    }
    panic!("no example for {operation_id} {status} in the spec");
}

/// A body for an error response, shaped by the spec's `basic-error` schema.
pub fn basic_error(spec: &Value, message: &str) -> Value {
    let props = spec["components"]["schemas"]["basic-error"]["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut o = serde_json::Map::new();
    for k in props.keys() {
        let v = match k.as_str() {
            "message" => Value::String(message.to_string()),
            "documentation_url" => Value::String(
                "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api".into(),
            ),
            _ => continue,
        };
        o.insert(k.clone(), v);
    }
    Value::Object(o)
}

/// Real webhook payloads from `@octokit/webhooks-examples`.
pub fn webhook_examples() -> Option<&'static Value> {
    static EX: OnceLock<Option<Value>> = OnceLock::new();
    EX.get_or_init(|| {
        let p = peer(
            "@octokit/webhooks-examples",
            node_modules().join("@octokit/webhooks-examples/api.github.com/index.json"),
        )?;
        serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
    })
    .as_ref()
}

/// Every example payload of `event` with `action`.
pub fn payloads(event: &str, action: Option<&str>) -> Vec<Value> {
    let Some(all) = webhook_examples() else {
        return Vec::new();
    };
    all.as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["name"] == event)
        .flat_map(|e| e["examples"].as_array().cloned().unwrap_or_default())
        .filter(|p| action.is_none_or(|a| p["action"] == a))
        .collect()
}

/// A `pull_request` `opened` payload for PR `number` at `sha`.
pub fn pr_payload(action: &str, number: i64, sha: &str, installation: i64) -> Option<Value> {
    let mut p = payloads("pull_request", Some(action))
        .into_iter()
        .find(|p| p["installation"]["id"].is_number())?;
    p["number"] = number.into();
    p["pull_request"]["number"] = number.into();
    p["pull_request"]["head"]["sha"] = sha.into();
    p["installation"]["id"] = installation.into();
    Some(p)
}

pub const SECRET: &str = "test-secret-for-kiln";

pub fn rsa_key(dir: &Path) -> PathBuf {
    let p = dir.join("app-key.pem");
    let st = Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&p)
        .arg("2048")
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(st.success());
    p
}

/// The kiln-app binary, running.
pub struct App {
    pub child: Child,
    pub addr: String,
    pub logs: Arc<Mutex<Vec<String>>>,
    pub http: reqwest::Client,
}

pub struct AppOpts<'a> {
    pub api: &'a str,
    pub db: &'a str,
    pub dir: &'a Path,
    pub extra: Vec<(&'a str, String)>,
}

impl App {
    pub fn start(o: &AppOpts<'_>) -> App {
        let key = o.dir.join("app-key.pem");
        if !key.exists() {
            rsa_key(o.dir);
        }
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiln-app"));
        cmd.current_dir(o.dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("KILN_APP_ID", "4242")
            .env("KILN_PRIVATE_KEY_PATH", &key)
            .env(
                "KILN_WEBHOOK_SECRET",
                format!("old-rotated-secret,{SECRET}"),
            )
            .env("KILN_GITHUB_API_URL", o.api)
            .env("KILN_LISTEN", "127.0.0.1:0")
            .env("KILN_DATABASE_URL", o.db)
            .env("KILN_WORKERS", "2")
            .env("KILN_RETRY_BASE_MS", "50")
            .env("KILN_POLL_MS", "100")
            .env("KILN_LOG", "info,sqlx=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in &o.extra {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn kiln-app");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        if let Some(err) = child.stderr.take() {
            let l = logs.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    if let Some(i) = line.find("addr=") {
                        let a = line[i + 5..]
                            .split_whitespace()
                            .next()
                            .unwrap_or("")
                            .to_string();
                        let _ = tx.send(a);
                    }
                    if std::env::var("KILN_TEST_ECHO").is_ok() {
                        eprintln!("[app] {line}");
                    }
                    l.lock().map(|mut v| v.push(line)).ok();
                }
            });
        }
        let addr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "kiln-app did not start: {:?}",
                    logs.lock().map(|v| v.clone())
                );
            }
        };
        App {
            child,
            addr,
            logs,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn send_raw(&self, headers: &[(&str, String)], body: Vec<u8>) -> (u16, String) {
        let mut req = self.http.post(self.url("/webhook")).body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let res = req.send().await.expect("POST /webhook");
        let st = res.status().as_u16();
        (st, res.text().await.unwrap_or_default())
    }

    /// POST a webhook signed with the test secret.
    pub async fn deliver(&self, event: &str, delivery: &str, body: &Value) -> (u16, String) {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        let sig = kiln_app::signature::sign(SECRET.as_bytes(), &bytes);
        self.send_raw(
            &[
                ("X-GitHub-Event", event.to_string()),
                ("X-GitHub-Delivery", delivery.to_string()),
                ("X-Hub-Signature-256", sig),
                ("Content-Type", "application/json".to_string()),
            ],
            bytes,
        )
        .await
    }

    pub async fn metrics(&self) -> String {
        self.http
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .unwrap_or_default()
    }

    /// A metric's value (`name{labels}`), 0 when absent.
    pub async fn metric(&self, series: &str) -> f64 {
        let m = self.metrics().await;
        m.lines()
            .find_map(|l| {
                l.strip_prefix(series)
                    .and_then(|r| r.trim().parse::<f64>().ok())
            })
            .unwrap_or(0.0)
    }

    pub async fn healthy(&self) -> bool {
        self.http
            .get(self.url("/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    pub fn log_text(&self) -> String {
        self.logs.lock().map(|v| v.join("\n")).unwrap_or_default()
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Poll `f` until it returns true or `timeout` passes.
pub async fn wait_until<F, Fut>(timeout: Duration, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// A private PostgreSQL cluster (Debian's binaries) in a temp dir, run
/// as the `postgres` user on a free port; stopped on drop.
pub struct Postgres {
    pub url: String,
    dir: PathBuf,
    bin: PathBuf,
}

fn pg_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

fn as_postgres(bin: &Path, args: &[&str]) -> std::process::Output {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let mut cmd = if is_root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    cmd.args(args).output().expect("run postgres tool")
}

impl Postgres {
    pub fn start() -> Option<Postgres> {
        let Some(bin) = pg_bin() else {
            assert!(
                !require_peers(),
                "PostgreSQL is not installed (apt-get install postgresql)"
            );
            eprintln!("SKIP: PostgreSQL is not installed");
            return None;
        };
        let dir =
            std::env::temp_dir().join(format!("kiln-pg-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).ok()?;
        let _ = Command::new("chown").arg("postgres").arg(&dir).status();
        let data = dir.join("data");
        let data_s = data.to_string_lossy().to_string();
        let out = as_postgres(
            &bin.join("initdb"),
            &[
                "-D",
                &data_s,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
            dir.display()
        );
        let log = dir.join("pg.log").to_string_lossy().to_string();
        let out = as_postgres(
            &bin.join("pg_ctl"),
            &[
                "-D", &data_s, "-o", &opts, "-l", &log, "-w", "-t", "120", "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {} {}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        Some(Postgres {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            dir,
            bin,
        })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data").to_string_lossy().to_string();
        let _ = as_postgres(
            &self.bin.join("pg_ctl"),
            &["-D", &data, "-m", "immediate", "stop"],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A prism process (`@stoplight/prism-cli`) serving GitHub's OpenAPI
/// description, killed on drop.
///
/// The port is picked free, but prism binds it only seconds later (it
/// loads a large description first); a concurrent test may take the port
/// in between, and then prism exits with EADDRINUSE while whatever took
/// the port answers in its place. So prism is trusted only once it says
/// it listens on that port, and started again on another port when it
/// exits first.
pub struct Prism {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prism {
    /// `prism MODE -h 127.0.0.1 -p PORT SPEC EXTRA…` (`MODE` is `mock` or
    /// `proxy`), its output in `log`. `None` when prism or the
    /// description is not installed (see [`peer`]).
    pub async fn start(mode: &str, extra: &[&str], log: &Path) -> Option<Prism> {
        let bin = peer(
            "prism (@stoplight/prism-cli)",
            node_modules().join(".bin/prism"),
        )?;
        let spec = peer(
            "@octokit/openapi",
            node_modules().join("@octokit/openapi/generated/api.github.com.json"),
        )?;
        for _attempt in 0..5 {
            let port = free_port();
            let out = std::fs::File::create(log).expect("prism log file");
            let err = out.try_clone().expect("prism log file");
            let child = Command::new(&bin)
                .args([mode, "-h", "127.0.0.1", "-p", &port.to_string()])
                .arg(&spec)
                .args(extra)
                .stdout(Stdio::from(out))
                .stderr(Stdio::from(err))
                .spawn()
                .expect("spawn prism");
            let mut prism = Prism {
                child,
                url: format!("http://127.0.0.1:{port}"),
            };
            let ready = format!("Prism is listening on {}", prism.url);
            let deadline = Instant::now() + Duration::from_secs(420);
            while Instant::now() < deadline {
                if std::fs::read_to_string(log).is_ok_and(|t| t.contains(&ready)) {
                    return Some(prism);
                }
                if prism.child.try_wait().ok().flatten().is_some() {
                    break; // the port was taken meanwhile: another one
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let text = std::fs::read_to_string(log).unwrap_or_default();
            assert!(text.contains("EADDRINUSE"), "prism did not start: {text}");
        }
        panic!("prism found no free port in 5 attempts");
    }
}
