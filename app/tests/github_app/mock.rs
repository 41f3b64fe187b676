//! A stateful GitHub API mock on wiremock. Every response body is a
//! spec example from `@octokit/openapi` with its values (ids, paths,
//! contents) replaced by the mock's state; nothing is shaped by hand.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};
use sha2::Digest;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::harness::{basic_error, example};

#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub body: Value,
    /// Answered with an injected fault.
    pub faulted: bool,
}

/// An injected failure: the next `times` requests matching method and
/// path fragment get this response.
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: &'static str,
    pub path_contains: String,
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub message: String,
    pub times: usize,
}

#[derive(Default)]
pub struct State {
    /// Repository files at the head SHA.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Extra tree entries (paths only) to serve, e.g. hostile names.
    pub extra_tree_paths: Vec<String>,
    /// `(filename, status)` the pull request changes.
    pub pr_files: Vec<(String, String)>,
    pub comments: BTreeMap<i64, String>,
    /// The issue each comment belongs to.
    pub comment_issue: BTreeMap<i64, String>,
    pub check_runs: BTreeMap<i64, Value>,
    pub next_id: i64,
    pub log: Vec<Logged>,
    pub faults: VecDeque<Fault>,
    /// Status of the installation-token endpoint (201, or 404 when the
    /// App is not installed).
    pub token_status: Option<u16>,
    pub delay: Option<Duration>,
    /// Workflow run artifacts: `(id, name, zip bytes)`.
    pub artifacts: Vec<(i64, String, Vec<u8>)>,
    /// Open pull requests: `(number, head sha, head repository full name)`.
    pub pulls: Vec<(i64, String, String)>,
    /// `GET /commits/{sha}/pulls` finds nothing (as for some fork commits):
    /// kiln must fall back to the pulls list.
    pub commit_pulls_empty: bool,
    /// The recursive tree listing keeps only this many entries and says
    /// `truncated: true`; non-recursive listings are whole.
    pub truncate_tree_at: Option<usize>,
}

/// The SHA the mock gives the tree of directory `dir`.
pub fn dir_sha(dir: &str) -> String {
    blob_sha(format!("tree:{dir}").as_bytes())
}

fn blob_sha(content: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(content))[..40].to_string()
}

impl State {
    pub fn set_file(&mut self, path: &str, content: &str) {
        self.files
            .insert(path.to_string(), content.as_bytes().to_vec());
    }

    /// Completed check-run PATCHes, as `(check run id, body)`.
    pub fn completions(&self) -> Vec<(i64, Value)> {
        self.log
            .iter()
            .filter(|l| {
                !l.faulted
                    && l.method == "PATCH"
                    && l.path.contains("/check-runs/")
                    && l.body["status"] == "completed"
            })
            .map(|l| {
                let id = l
                    .path
                    .rsplit('/')
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                (id, l.body.clone())
            })
            .collect()
    }

    pub fn count(&self, method: &str, path_contains: &str) -> usize {
        self.log
            .iter()
            .filter(|l| l.method == method && l.path.contains(path_contains))
            .count()
    }
}

#[derive(Clone)]
pub struct GitHubMock {
    pub server: Arc<MockServer>,
    pub state: Arc<Mutex<State>>,
}

struct Responder {
    spec: &'static Value,
    state: Arc<Mutex<State>>,
}

fn seg(path: &str) -> Vec<&str> {
    path.trim_start_matches('/').split('/').collect()
}

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let Ok(mut st) = self.state.lock() else {
            return ResponseTemplate::new(500);
        };
        let method = req.method.to_string();
        let path = req.url.path().to_string();
        let query: BTreeMap<String, String> = req.url.query_pairs().into_owned().collect();
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        st.log.push(Logged {
            method: method.clone(),
            path: path.clone(),
            body: body.clone(),
            faulted: false,
        });
        let delay = st.delay;
        let with_delay = |t: ResponseTemplate| match delay {
            Some(d) => t.set_delay(d),
            None => t,
        };
        if let Some(i) = st
            .faults
            .iter()
            .position(|f| f.method == method && path.contains(&f.path_contains) && f.times > 0)
        {
            let f = st.faults[i].clone();
            if let Some(l) = st.log.last_mut() {
                l.faulted = true;
            }
            st.faults[i].times -= 1;
            if st.faults[i].times == 0 {
                st.faults.remove(i);
            }
            let mut t =
                ResponseTemplate::new(f.status).set_body_json(basic_error(self.spec, &f.message));
            for (k, v) in f.headers {
                t = t.insert_header(k, v.as_str());
            }
            return with_delay(t);
        }
        let s = seg(&path);
        let spec = self.spec;
        let not_found = || ResponseTemplate::new(404).set_body_json(basic_error(spec, "Not Found"));
        let t = match (method.as_str(), s.as_slice()) {
            ("POST", ["app", "installations", _, "access_tokens"]) => {
                let status = st.token_status.unwrap_or(201);
                if status != 201 {
                    ResponseTemplate::new(status).set_body_json(basic_error(spec, "Not Found"))
                } else {
                    let mut v = example(spec, "apps/create-installation-access-token", "201", None);
                    v["expires_at"] = json!("2099-01-01T00:00:00Z");
                    ResponseTemplate::new(201).set_body_json(v)
                }
            }
            ("GET", ["repos", _, _, "git", "trees", tree_sha]) => {
                let recursive = query.contains_key("recursive");
                let mut v = example(
                    spec,
                    "git/get-tree",
                    "200",
                    Some("response-recursively-retrieving-a-tree"),
                );
                let proto = v["tree"][0].clone();
                let proto_dir = v["tree"]
                    .as_array()
                    .and_then(|a| a.iter().find(|e| e["type"] == "tree"))
                    .cloned()
                    .unwrap_or_else(|| proto.clone());
                let mut all: Vec<(String, String, Option<usize>)> = Vec::new();
                for (p, c) in &st.files {
                    all.push((p.clone(), blob_sha(c), Some(c.len())));
                }
                for p in &st.extra_tree_paths {
                    all.push((p.clone(), blob_sha(p.as_bytes()), None));
                }
                // Directories, as git lists them.
                let mut dirs: std::collections::BTreeSet<String> = Default::default();
                for (p, _, _) in &all {
                    let mut d = p.as_str();
                    while let Some((parent, _)) = d.rsplit_once('/') {
                        dirs.insert(parent.to_string());
                        d = parent;
                    }
                }
                let blob = |path: &str, sha: &str, size: Option<usize>| {
                    let mut e = proto.clone();
                    e["path"] = json!(path);
                    e["sha"] = json!(sha);
                    if let Some(n) = size {
                        e["size"] = json!(n);
                    }
                    e
                };
                let tree = |path: &str, full: &str| {
                    let mut e = proto_dir.clone();
                    e["path"] = json!(path);
                    e["type"] = json!("tree");
                    e["mode"] = json!("040000");
                    e["sha"] = json!(dir_sha(full));
                    if let Some(o) = e.as_object_mut() {
                        o.remove("size");
                    }
                    e
                };
                let mut entries = Vec::new();
                if recursive {
                    for d in &dirs {
                        entries.push(tree(d, d));
                    }
                    for (p, sha, size) in &all {
                        entries.push(blob(p, sha, *size));
                    }
                    let cut = st.truncate_tree_at.unwrap_or(usize::MAX);
                    v["truncated"] = json!(entries.len() > cut);
                    entries.truncate(cut);
                } else {
                    // The root (any commit SHA) or a directory by its SHA.
                    let at = dirs
                        .iter()
                        .find(|d| dir_sha(d) == *tree_sha)
                        .cloned()
                        .unwrap_or_default();
                    let child = |p: &str| -> Option<String> {
                        let rest = if at.is_empty() {
                            p
                        } else {
                            p.strip_prefix(&format!("{at}/"))?
                        };
                        (!rest.is_empty() && !rest.contains('/')).then(|| rest.to_string())
                    };
                    for d in &dirs {
                        if let Some(name) = child(d) {
                            entries.push(tree(&name, d));
                        }
                    }
                    for (p, sha, size) in &all {
                        if let Some(name) = child(p) {
                            entries.push(blob(&name, sha, *size));
                        }
                    }
                    v["truncated"] = json!(false);
                }
                v["tree"] = Value::Array(entries);
                ResponseTemplate::new(200).set_body_json(v)
            }
            ("GET", ["repos", owner, name, "commits", sha, "pulls"]) => {
                let proto = example(
                    spec,
                    "repos/list-pull-requests-associated-with-commit",
                    "200",
                    None,
                )[0]
                .clone();
                let base = format!("{owner}/{name}");
                let items: Vec<Value> = if st.commit_pulls_empty {
                    Vec::new()
                } else {
                    st.pulls
                        .iter()
                        .filter(|(_, h, _)| h == sha)
                        .map(|(n, h, head_repo)| pull_item(&proto, *n, h, head_repo, &base))
                        .collect()
                };
                ResponseTemplate::new(200).set_body_json(Value::Array(items))
            }
            ("GET", ["repos", owner, name, "pulls"]) => {
                let proto = example(spec, "pulls/list", "200", None)[0].clone();
                let base = format!("{owner}/{name}");
                let per: usize = query
                    .get("per_page")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(30);
                let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
                let items: Vec<Value> = st
                    .pulls
                    .iter()
                    .skip((page - 1) * per)
                    .take(per)
                    .map(|(n, h, head_repo)| pull_item(&proto, *n, h, head_repo, &base))
                    .collect();
                ResponseTemplate::new(200).set_body_json(Value::Array(items))
            }
            ("GET", ["repos", _, _, "git", "blobs", sha]) => {
                let hostile = st
                    .extra_tree_paths
                    .iter()
                    .find(|p| blob_sha(p.as_bytes()) == *sha)
                    .map(|p| format!("# written from hostile path {p}\n").into_bytes());
                match st
                    .files
                    .values()
                    .find(|c| blob_sha(c) == *sha)
                    .cloned()
                    .or(hostile)
                {
                    Some(c) => {
                        let mut v = example(spec, "git/get-blob", "200", None);
                        v["content"] = json!(base64::engine::general_purpose::STANDARD.encode(&c));
                        v["encoding"] = json!("base64");
                        v["sha"] = json!(sha);
                        v["size"] = json!(c.len());
                        ResponseTemplate::new(200).set_body_json(v)
                    }
                    None => not_found(),
                }
            }
            ("GET", ["repos", _, _, "pulls", _, "files"]) => {
                let per: usize = query
                    .get("per_page")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(30);
                let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
                let proto = example(spec, "pulls/list-files", "200", None)[0].clone();
                let items: Vec<Value> = st
                    .pr_files
                    .iter()
                    .skip((page - 1) * per)
                    .take(per)
                    .map(|(f, status)| {
                        let mut e = proto.clone();
                        e["filename"] = json!(f);
                        e["status"] = json!(status);
                        e
                    })
                    .collect();
                ResponseTemplate::new(200).set_body_json(Value::Array(items))
            }
            ("POST", ["repos", _, _, "check-runs"]) => {
                st.next_id += 1;
                let id = st.next_id;
                let mut v = example(
                    spec,
                    "checks/create",
                    "201",
                    Some("example-of-in-progress-conclusion"),
                );
                v["id"] = json!(id);
                v["head_sha"] = body["head_sha"].clone();
                v["name"] = body["name"].clone();
                v["status"] = body["status"].clone();
                let mut stored = body.clone();
                stored["annotations_received"] = json!([]);
                if let Some(a) = body["output"]["annotations"].as_array() {
                    stored["annotations_received"] = json!(a);
                }
                st.check_runs.insert(id, stored);
                ResponseTemplate::new(201).set_body_json(v)
            }
            ("PATCH", ["repos", _, _, "check-runs", id]) => {
                let id: i64 = id.parse().unwrap_or(-1);
                match st.check_runs.get_mut(&id) {
                    Some(run) => {
                        let mut received = run["annotations_received"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default();
                        if let Some(a) = body["output"]["annotations"].as_array() {
                            received.extend(a.iter().cloned());
                        }
                        if let Some(o) = body.as_object() {
                            for (k, v) in o {
                                run[k] = v.clone();
                            }
                        }
                        run["annotations_received"] = json!(received);
                        let mut v = example(spec, "checks/update", "200", None);
                        v["id"] = json!(id);
                        v["status"] = run["status"].clone();
                        v["conclusion"] = run.get("conclusion").cloned().unwrap_or(Value::Null);
                        ResponseTemplate::new(200).set_body_json(v)
                    }
                    None => not_found(),
                }
            }
            ("GET", ["repos", _, _, "commits", sha, "check-runs"]) => {
                let mut v = example(spec, "checks/list-for-ref", "200", None);
                let proto = v["check_runs"][0].clone();
                let name = query.get("check_name").cloned();
                let runs: Vec<Value> = st
                    .check_runs
                    .iter()
                    .filter(|(_, r)| {
                        r["head_sha"] == *sha && name.as_ref().is_none_or(|n| r["name"] == *n)
                    })
                    .map(|(id, r)| {
                        let mut e = proto.clone();
                        e["id"] = json!(id);
                        e["head_sha"] = r["head_sha"].clone();
                        e["name"] = r["name"].clone();
                        e["external_id"] = r["external_id"].clone();
                        e["status"] = r["status"].clone();
                        e
                    })
                    .collect();
                v["total_count"] = json!(runs.len());
                v["check_runs"] = Value::Array(runs);
                ResponseTemplate::new(200).set_body_json(v)
            }
            ("GET", ["repos", _, _, "issues", issue, "comments"]) => {
                let proto = example(spec, "issues/list-comments", "200", None)[0].clone();
                let per: usize = query
                    .get("per_page")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(30);
                let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
                let issue = issue.to_string();
                let items: Vec<Value> = st
                    .comments
                    .iter()
                    .filter(|(id, _)| st.comment_issue.get(id) == Some(&issue))
                    .skip((page - 1) * per)
                    .take(per)
                    .map(|(id, b)| {
                        let mut e = proto.clone();
                        e["id"] = json!(id);
                        e["body"] = json!(b);
                        e
                    })
                    .collect();
                ResponseTemplate::new(200).set_body_json(Value::Array(items))
            }
            ("POST", ["repos", _, _, "issues", issue, "comments"]) => {
                st.next_id += 1;
                let id = st.next_id;
                let b = body["body"].as_str().unwrap_or_default().to_string();
                st.comments.insert(id, b.clone());
                st.comment_issue.insert(id, issue.to_string());
                let mut v = example(spec, "issues/create-comment", "201", None);
                v["id"] = json!(id);
                v["body"] = json!(b);
                ResponseTemplate::new(201).set_body_json(v)
            }
            ("PATCH", ["repos", _, _, "issues", "comments", id]) => {
                let id: i64 = id.parse().unwrap_or(-1);
                let b = body["body"].as_str().unwrap_or_default().to_string();
                match st.comments.get_mut(&id) {
                    Some(c) => {
                        *c = b.clone();
                        let mut v = example(spec, "issues/update-comment", "200", None);
                        v["id"] = json!(id);
                        v["body"] = json!(b);
                        ResponseTemplate::new(200).set_body_json(v)
                    }
                    None => not_found(),
                }
            }
            ("DELETE", ["repos", _, _, "issues", "comments", id]) => {
                let id: i64 = id.parse().unwrap_or(-1);
                match st.comments.remove(&id) {
                    Some(_) => ResponseTemplate::new(204),
                    None => not_found(),
                }
            }
            ("GET", ["repos", _, _, "actions", "runs", run, "artifacts"]) => {
                let mut v = example(spec, "actions/list-workflow-run-artifacts", "200", None);
                let proto = v["artifacts"][0].clone();
                let origin = format!(
                    "http://{}",
                    req.headers
                        .get("host")
                        .and_then(|h| h.to_str().ok())
                        .unwrap_or("localhost")
                );
                let items: Vec<Value> = st
                    .artifacts
                    .iter()
                    .map(|(id, name, bytes)| {
                        let mut e = proto.clone();
                        e["id"] = json!(id);
                        e["name"] = json!(name);
                        e["size_in_bytes"] = json!(bytes.len());
                        e["archive_download_url"] =
                            json!(format!("{origin}/repos/o/r/actions/artifacts/{id}/zip"));
                        e["workflow_run"]["id"] = json!(run.parse::<i64>().unwrap_or(0));
                        e
                    })
                    .collect();
                v["total_count"] = json!(items.len());
                v["artifacts"] = Value::Array(items);
                ResponseTemplate::new(200).set_body_json(v)
            }
            ("GET", ["repos", _, _, "actions", "artifacts", id, "zip"]) => {
                // GitHub answers with a redirect to blob storage.
                let origin = format!(
                    "http://{}",
                    req.headers
                        .get("host")
                        .and_then(|h| h.to_str().ok())
                        .unwrap_or("localhost")
                );
                ResponseTemplate::new(302).insert_header(
                    "Location",
                    format!("{origin}/_storage/artifacts/{id}").as_str(),
                )
            }
            ("GET", ["_storage", "artifacts", id]) => {
                let id: i64 = id.parse().unwrap_or(-1);
                match st.artifacts.iter().find(|(a, _, _)| *a == id) {
                    Some((_, _, bytes)) => ResponseTemplate::new(200)
                        .insert_header("Content-Type", "application/zip")
                        .set_body_bytes(bytes.clone()),
                    None => not_found(),
                }
            }
            _ => not_found(),
        };
        with_delay(t)
    }
}

/// A pull-request list item from a spec example, with its number, state,
/// head SHA and head repository (a fork when it differs from `base`).
fn pull_item(proto: &Value, n: i64, head_sha: &str, head_repo: &str, base: &str) -> Value {
    let mut e = proto.clone();
    e["number"] = json!(n);
    e["state"] = json!("open");
    e["head"]["sha"] = json!(head_sha);
    e["head"]["repo"]["full_name"] = json!(head_repo);
    e["head"]["repo"]["fork"] = json!(head_repo != base);
    e["base"]["repo"]["full_name"] = json!(base);
    e
}

impl GitHubMock {
    pub async fn start(spec: &'static Value) -> GitHubMock {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State::default()));
        Mock::given(any())
            .respond_with(Responder {
                spec,
                state: state.clone(),
            })
            .mount(&server)
            .await;
        GitHubMock {
            server: Arc::new(server),
            state,
        }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut g = self.state.lock().expect("mock state");
        f(&mut g)
    }
}
