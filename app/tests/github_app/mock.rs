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

use crate::harness::basic_error;

/// The spec's example (see `harness::example`), looked up once per
/// operation: the spec is large and the mock answers many requests.
fn example(spec: &Value, operation_id: &str, status: &str, name: Option<&str>) -> Value {
    type Key = (String, String, Option<String>);
    static CACHE: std::sync::OnceLock<Mutex<std::collections::HashMap<Key, Value>>> =
        std::sync::OnceLock::new();
    let key = (
        operation_id.to_string(),
        status.to_string(),
        name.map(str::to_string),
    );
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return v;
    }
    let v = crate::harness::example(spec, operation_id, status, name);
    if let Ok(mut c) = cache.lock() {
        c.insert(key, v.clone());
    }
    v
}

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
    /// Faults answered after the request took effect (the response is
    /// lost, the change is not): `POST /pulls` creates the pull request,
    /// then answers 502.
    pub post_faults: VecDeque<Fault>,
    /// Git refs (`heads/main` → commit SHA). The default branch's first
    /// commit has the tree [`ROOT_TREE`]: `files`, as they are now.
    pub refs: BTreeMap<String, String>,
    pub git_commits: BTreeMap<String, GitCommit>,
    /// Trees created through the API: path → content.
    pub git_trees: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
    /// Blobs created through the API.
    pub git_blobs: BTreeMap<String, Vec<u8>>,
    /// Pull requests opened through the API.
    pub opened_pulls: Vec<MockPull>,
    /// Labels added to issues and pull requests.
    pub labels: BTreeMap<i64, Vec<String>>,
    /// Artifacts of one run (others get `artifacts`).
    pub run_artifacts: BTreeMap<i64, Vec<(i64, String, Vec<u8>)>>,
}

/// A commit in the mock's git database.
#[derive(Debug, Clone)]
pub struct GitCommit {
    pub tree: String,
    pub parents: Vec<String>,
    pub message: String,
    pub author: (String, String),
    pub committer: (String, String),
}

/// A pull request opened through the API.
#[derive(Debug, Clone)]
pub struct MockPull {
    pub number: i64,
    pub head_ref: String,
    pub base_ref: String,
    pub title: String,
    pub body: String,
    pub state: String,
}

/// The tree SHA standing for `State::files`.
pub const ROOT_TREE: &str = "1111111111111111111111111111111111111111";

/// The SHA the mock gives the tree of directory `dir`.
pub fn dir_sha(dir: &str) -> String {
    blob_sha(format!("tree:{dir}").as_bytes())
}

fn blob_sha(content: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(content))[..40].to_string()
}

fn tree_sha(files: &BTreeMap<String, Vec<u8>>) -> String {
    let mut text = String::from("tree");
    for (p, c) in files {
        text.push_str(&format!("\n{p} {}", blob_sha(c)));
    }
    blob_sha(text.as_bytes())
}

fn commit_sha(c: &GitCommit) -> String {
    blob_sha(
        format!(
            "commit {} {:?} {} {:?} {:?}",
            c.tree, c.parents, c.message, c.author, c.committer
        )
        .as_bytes(),
    )
}

fn who(v: &Value) -> (String, String) {
    (
        v["name"].as_str().unwrap_or("Monalisa Octocat").to_string(),
        v["email"]
            .as_str()
            .unwrap_or("octocat@github.com")
            .to_string(),
    )
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

    /// A commit on `branch` (created when missing) whose tree is
    /// `files` as they are now; returns its SHA.
    pub fn commit_default(&mut self, branch: &str) -> String {
        let parent = self.refs.get(&format!("heads/{branch}")).cloned();
        let c = GitCommit {
            tree: ROOT_TREE.into(),
            parents: parent.into_iter().collect(),
            message: format!("commit {} on {branch}", self.git_commits.len()),
            author: ("Monalisa Octocat".into(), "octocat@github.com".into()),
            committer: ("Monalisa Octocat".into(), "octocat@github.com".into()),
        };
        let sha = commit_sha(&c);
        self.git_commits.insert(sha.clone(), c);
        self.refs.insert(format!("heads/{branch}"), sha.clone());
        sha
    }

    /// The files of a tree.
    pub fn tree_files(&self, tree: &str) -> BTreeMap<String, Vec<u8>> {
        match self.git_trees.get(tree) {
            Some(t) => t.clone(),
            None => self.files.clone(),
        }
    }

    /// The files at a branch's head, as text.
    pub fn branch_files(&self, branch: &str) -> Option<BTreeMap<String, String>> {
        let sha = self.refs.get(&format!("heads/{branch}"))?;
        let c = self.git_commits.get(sha)?;
        Some(
            self.tree_files(&c.tree)
                .into_iter()
                .map(|(p, b)| (p, String::from_utf8_lossy(&b).into_owned()))
                .collect(),
        )
    }

    /// Someone else commits `path` = `content` on top of `branch`.
    pub fn human_push(&mut self, branch: &str, path: &str, content: &str) -> Option<String> {
        let head = self.refs.get(&format!("heads/{branch}"))?.clone();
        let base = self.git_commits.get(&head)?.tree.clone();
        let mut files = self.tree_files(&base);
        files.insert(path.into(), content.as_bytes().to_vec());
        let tree = tree_sha(&files);
        self.git_trees.insert(tree.clone(), files);
        let c = GitCommit {
            tree,
            parents: vec![head],
            message: "tweak by hand".into(),
            author: ("Monalisa Octocat".into(), "octocat@github.com".into()),
            committer: ("Monalisa Octocat".into(), "octocat@github.com".into()),
        };
        let sha = commit_sha(&c);
        self.git_commits.insert(sha.clone(), c);
        self.refs.insert(format!("heads/{branch}"), sha.clone());
        Some(sha)
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
                // A created tree, the tree of a commit, or `files`.
                let tree_of = st
                    .git_commits
                    .get(*tree_sha)
                    .map(|c| c.tree.clone())
                    .unwrap_or_else(|| tree_sha.to_string());
                let files = st.tree_files(&tree_of);
                for (p, c) in &files {
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
            ("GET", ["repos", owner, _, "pulls"]) if query.contains_key("head") => {
                let proto = example(spec, "pulls/list", "200", None)[0].clone();
                let head = query.get("head").cloned().unwrap_or_default();
                let state = query.get("state").cloned().unwrap_or_else(|| "open".into());
                let items: Vec<Value> = st
                    .opened_pulls
                    .iter()
                    .filter(|p| format!("{owner}:{}", p.head_ref) == head)
                    .filter(|p| state == "all" || p.state == state)
                    .map(|p| {
                        let sha = st.refs.get(&format!("heads/{}", p.head_ref)).cloned();
                        opened_pull(&proto, p, owner, sha)
                    })
                    .collect();
                ResponseTemplate::new(200).set_body_json(Value::Array(items))
            }
            ("POST", ["repos", owner, _, "pulls"]) => {
                let head = body["head"].as_str().unwrap_or_default().to_string();
                let base = body["base"].as_str().unwrap_or_default().to_string();
                let dup = st
                    .opened_pulls
                    .iter()
                    .any(|p| p.head_ref == head && p.state == "open");
                if dup {
                    ResponseTemplate::new(422).set_body_json(basic_error(
                        spec,
                        &format!("A pull request already exists for {owner}:{head}."),
                    ))
                } else if !st.refs.contains_key(&format!("heads/{head}"))
                    || !st.refs.contains_key(&format!("heads/{base}"))
                {
                    ResponseTemplate::new(422).set_body_json(basic_error(spec, "Validation Failed"))
                } else {
                    st.next_id += 1;
                    let pull = MockPull {
                        number: st.next_id,
                        head_ref: head.clone(),
                        base_ref: base,
                        title: body["title"].as_str().unwrap_or_default().to_string(),
                        body: body["body"].as_str().unwrap_or_default().to_string(),
                        state: "open".into(),
                    };
                    let proto = example(spec, "pulls/create", "201", None);
                    let sha = st.refs.get(&format!("heads/{head}")).cloned();
                    let v = opened_pull(&proto, &pull, owner, sha);
                    st.opened_pulls.push(pull);
                    ResponseTemplate::new(201).set_body_json(v)
                }
            }
            ("PATCH", ["repos", owner, _, "pulls", n]) => {
                let n: i64 = n.parse().unwrap_or(-1);
                match st.opened_pulls.iter().position(|p| p.number == n) {
                    Some(i) => {
                        let p = &mut st.opened_pulls[i];
                        if let Some(t) = body["title"].as_str() {
                            p.title = t.to_string();
                        }
                        if let Some(b) = body["body"].as_str() {
                            p.body = b.to_string();
                        }
                        if let Some(s) = body["state"].as_str() {
                            p.state = s.to_string();
                        }
                        let p = p.clone();
                        let proto = example(spec, "pulls/update", "200", None);
                        let sha = st.refs.get(&format!("heads/{}", p.head_ref)).cloned();
                        ResponseTemplate::new(200)
                            .set_body_json(opened_pull(&proto, &p, owner, sha))
                    }
                    None => not_found(),
                }
            }
            ("POST", ["repos", _, _, "issues", n, "labels"]) => {
                let n: i64 = n.parse().unwrap_or(-1);
                let proto = example(spec, "issues/add-labels", "200", None)[0].clone();
                let list = st.labels.entry(n).or_default();
                for l in body["labels"].as_array().into_iter().flatten() {
                    if let Some(l) = l.as_str() {
                        if !list.iter().any(|x| x == l) {
                            list.push(l.to_string());
                        }
                    }
                }
                let items: Vec<Value> = list
                    .iter()
                    .map(|name| {
                        let mut e = proto.clone();
                        e["name"] = json!(name);
                        e
                    })
                    .collect();
                ResponseTemplate::new(200).set_body_json(Value::Array(items))
            }
            ("GET", ["repos", _, _, "git", "ref", rest @ ..]) => {
                let name = unescape(&rest.join("/"));
                match st.refs.get(&name) {
                    Some(sha) => {
                        let mut v = example(spec, "git/get-ref", "200", None);
                        v["ref"] = json!(format!("refs/{name}"));
                        v["object"]["sha"] = json!(sha);
                        ResponseTemplate::new(200).set_body_json(v)
                    }
                    None => not_found(),
                }
            }
            ("POST", ["repos", _, _, "git", "refs"]) => {
                let name = body["ref"]
                    .as_str()
                    .unwrap_or_default()
                    .trim_start_matches("refs/")
                    .to_string();
                let sha = body["sha"].as_str().unwrap_or_default().to_string();
                if st.refs.contains_key(&name) {
                    ResponseTemplate::new(422)
                        .set_body_json(basic_error(spec, "Reference already exists"))
                } else if !st.git_commits.contains_key(&sha) {
                    ResponseTemplate::new(422)
                        .set_body_json(basic_error(spec, "Object does not exist"))
                } else {
                    st.refs.insert(name.clone(), sha.clone());
                    let mut v = example(spec, "git/create-ref", "201", None);
                    v["ref"] = json!(format!("refs/{name}"));
                    v["object"]["sha"] = json!(sha);
                    ResponseTemplate::new(201).set_body_json(v)
                }
            }
            ("PATCH", ["repos", _, _, "git", "refs", rest @ ..]) => {
                let name = unescape(&rest.join("/"));
                let sha = body["sha"].as_str().unwrap_or_default().to_string();
                let force = body["force"].as_bool().unwrap_or(false);
                let fast_forward = |st: &State, from: &str| {
                    let mut seen = vec![sha.clone()];
                    while let Some(c) = seen.pop() {
                        if c == from {
                            return true;
                        }
                        if let Some(g) = st.git_commits.get(&c) {
                            seen.extend(g.parents.iter().cloned());
                        }
                    }
                    false
                };
                match st.refs.get(&name).cloned() {
                    None => ResponseTemplate::new(422)
                        .set_body_json(basic_error(spec, "Reference does not exist")),
                    Some(_) if !st.git_commits.contains_key(&sha) => ResponseTemplate::new(422)
                        .set_body_json(basic_error(spec, "Object does not exist")),
                    Some(cur) if !force && !fast_forward(&st, &cur) => ResponseTemplate::new(422)
                        .set_body_json(basic_error(spec, "Update is not a fast forward")),
                    Some(_) => {
                        st.refs.insert(name.clone(), sha.clone());
                        let mut v = example(spec, "git/update-ref", "200", None);
                        v["ref"] = json!(format!("refs/{name}"));
                        v["object"]["sha"] = json!(sha);
                        ResponseTemplate::new(200).set_body_json(v)
                    }
                }
            }
            ("DELETE", ["repos", _, _, "git", "refs", rest @ ..]) => {
                let name = unescape(&rest.join("/"));
                match st.refs.remove(&name) {
                    Some(_) => ResponseTemplate::new(204),
                    None => ResponseTemplate::new(422)
                        .set_body_json(basic_error(spec, "Reference does not exist")),
                }
            }
            ("POST", ["repos", _, _, "git", "blobs"]) => {
                let content = body["content"].as_str().unwrap_or_default();
                let bytes = if body["encoding"] == "base64" {
                    base64::engine::general_purpose::STANDARD
                        .decode(content)
                        .unwrap_or_default()
                } else {
                    content.as_bytes().to_vec()
                };
                let sha = blob_sha(&bytes);
                st.git_blobs.insert(sha.clone(), bytes);
                let mut v = example(spec, "git/create-blob", "201", None);
                v["sha"] = json!(sha);
                ResponseTemplate::new(201).set_body_json(v)
            }
            ("POST", ["repos", _, _, "git", "trees"]) => {
                let base = body["base_tree"].as_str().unwrap_or_default().to_string();
                let mut files = if base.is_empty() {
                    BTreeMap::new()
                } else {
                    st.tree_files(&base)
                };
                let mut missing = false;
                for e in body["tree"].as_array().into_iter().flatten() {
                    let path = e["path"].as_str().unwrap_or_default().to_string();
                    if let Some(c) = e["content"].as_str() {
                        files.insert(path, c.as_bytes().to_vec());
                    } else if e["sha"].is_null() {
                        files.remove(&path);
                    } else {
                        let sha = e["sha"].as_str().unwrap_or_default();
                        match st.git_blobs.get(sha) {
                            Some(b) => {
                                files.insert(path, b.clone());
                            }
                            None => missing = true,
                        }
                    }
                }
                if missing {
                    ResponseTemplate::new(422).set_body_json(basic_error(spec, "Invalid tree info"))
                } else {
                    let sha = tree_sha(&files);
                    let mut v = example(spec, "git/create-tree", "201", None);
                    let proto = v["tree"][0].clone();
                    v["sha"] = json!(sha);
                    v["truncated"] = json!(false);
                    v["tree"] = Value::Array(
                        files
                            .iter()
                            .map(|(p, c)| {
                                let mut e = proto.clone();
                                e["path"] = json!(p);
                                e["sha"] = json!(blob_sha(c));
                                e["size"] = json!(c.len());
                                e
                            })
                            .collect(),
                    );
                    st.git_trees.insert(sha, files);
                    ResponseTemplate::new(201).set_body_json(v)
                }
            }
            ("POST", ["repos", _, _, "git", "commits"]) => {
                let c = GitCommit {
                    tree: body["tree"].as_str().unwrap_or_default().to_string(),
                    parents: body["parents"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|p| p.as_str().map(str::to_string))
                        .collect(),
                    message: body["message"].as_str().unwrap_or_default().to_string(),
                    author: who(&body["author"]),
                    committer: who(&body["committer"]),
                };
                if c.tree != ROOT_TREE && !st.git_trees.contains_key(&c.tree) {
                    ResponseTemplate::new(422)
                        .set_body_json(basic_error(spec, "Tree does not exist"))
                } else {
                    let sha = commit_sha(&c);
                    let v = commit_json(example(spec, "git/create-commit", "201", None), &sha, &c);
                    st.git_commits.insert(sha, c);
                    ResponseTemplate::new(201).set_body_json(v)
                }
            }
            ("GET", ["repos", _, _, "git", "commits", sha]) => match st.git_commits.get(*sha) {
                Some(c) => ResponseTemplate::new(200).set_body_json(commit_json(
                    example(spec, "git/get-commit", "200", None),
                    sha,
                    c,
                )),
                None => not_found(),
            },
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
                let created = st.git_blobs.get(*sha).cloned().or_else(|| {
                    st.git_trees
                        .values()
                        .flat_map(|t| t.values())
                        .find(|c| blob_sha(c) == *sha)
                        .cloned()
                });
                match st
                    .files
                    .values()
                    .find(|c| blob_sha(c) == *sha)
                    .cloned()
                    .or(created)
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
                let run_id = run.parse::<i64>().unwrap_or(0);
                let listed = st.run_artifacts.get(&run_id).unwrap_or(&st.artifacts);
                let items: Vec<Value> = listed
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
                let mut all = st.artifacts.clone();
                all.extend(st.run_artifacts.values().flatten().cloned());
                match all.iter().find(|(a, _, _)| *a == id) {
                    Some((_, _, bytes)) => ResponseTemplate::new(200)
                        .insert_header("Content-Type", "application/zip")
                        .set_body_bytes(bytes.clone()),
                    None => not_found(),
                }
            }
            _ => not_found(),
        };
        if let Some(i) = st
            .post_faults
            .iter()
            .position(|f| f.method == method && path.contains(&f.path_contains) && f.times > 0)
        {
            let f = st.post_faults[i].clone();
            if let Some(l) = st.log.iter_mut().rev().find(|l| l.path == path) {
                l.faulted = true;
            }
            st.post_faults[i].times -= 1;
            if st.post_faults[i].times == 0 {
                st.post_faults.remove(i);
            }
            return with_delay(
                ResponseTemplate::new(f.status).set_body_json(basic_error(self.spec, &f.message)),
            );
        }
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

/// `%2F` and `%25` in a path segment (a `{ref}` sent as one segment).
fn unescape(s: &str) -> String {
    s.replace("%2F", "/")
        .replace("%2f", "/")
        .replace("%25", "%")
}

/// A pull request from a spec example with the mock's values.
fn opened_pull(proto: &Value, p: &MockPull, owner: &str, head_sha: Option<String>) -> Value {
    let mut e = proto.clone();
    e["number"] = json!(p.number);
    e["state"] = json!(p.state);
    e["title"] = json!(p.title);
    e["body"] = json!(p.body);
    e["head"]["ref"] = json!(p.head_ref);
    e["head"]["label"] = json!(format!("{owner}:{}", p.head_ref));
    if let Some(sha) = head_sha {
        e["head"]["sha"] = json!(sha);
    }
    e["base"]["ref"] = json!(p.base_ref);
    e
}

/// A commit from a spec example with the mock's values.
fn commit_json(mut v: Value, sha: &str, c: &GitCommit) -> Value {
    let parent = v["parents"][0].clone();
    v["sha"] = json!(sha);
    v["message"] = json!(c.message);
    v["tree"]["sha"] = json!(c.tree);
    v["author"]["name"] = json!(c.author.0);
    v["author"]["email"] = json!(c.author.1);
    v["committer"]["name"] = json!(c.committer.0);
    v["committer"]["email"] = json!(c.committer.1);
    v["parents"] = Value::Array(
        c.parents
            .iter()
            .map(|p| {
                let mut e = parent.clone();
                e["sha"] = json!(p);
                e
            })
            .collect(),
    );
    v
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
