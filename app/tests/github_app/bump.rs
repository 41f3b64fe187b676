//! Bump pull requests end to end: a real `workflow_run` payload, the
//! manifest artifact, the registry, then branch → commit → pull request
//! against the stateful mock (git refs, blobs, trees, commits, pulls,
//! labels, comments from the spec's examples). The repository is the
//! `kiln bump` golden case (`action/tests/bump/amazon`: the seed's
//! `terraform-ami-lookup.tf`, tfvars of several shapes, CRLF), and the
//! pushed files must equal its expected output byte for byte.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{repo_root, spec, wait_until, App, AppOpts};
use crate::mock::{Fault, GitHubMock};
use crate::registry_runs::{run_payload, zip_of};

pub const BRANCH: &str = "kiln/bump-images";
const BUCKET: &str = "images";

pub fn case_dir() -> PathBuf {
    repo_root().join("action/tests/bump/amazon")
}

/// Every file under `dir`, by repo-relative path.
fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .expect("prefix")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read_to_string(&p).expect("read"));
            }
        }
    }
    out
}

/// The golden repository, with the registry section (one bucket for
/// every build) and labels added to its `.github/kiln.yml`.
pub fn repo_files() -> BTreeMap<String, String> {
    let mut files = read_tree(&case_dir().join("repo"));
    let cfg = files.get(".github/kiln.yml").cloned().unwrap_or_default();
    files.insert(
        ".github/kiln.yml".into(),
        format!("{cfg}registry:\n  workflows: [test.yml]\n  artifact: kiln-manifest-*\n  bucket: {BUCKET}\n  channel: latest\nbump_labels: [dependencies, images]\n"),
    );
    files
}

/// The fixture's manifest with its last run's images replaced.
pub fn manifest(ubuntu: [&str; 3], windows: &str) -> String {
    let text = std::fs::read_to_string(case_dir().join("manifest.json")).expect("manifest");
    let mut m: Value = serde_json::from_str(&text).expect("json");
    m["builds"][1]["artifact_id"] = json!(format!(
        "ap-southeast-2:{},eu-west-1:{},us-east-1:{}",
        ubuntu[0], ubuntu[1], ubuntu[2]
    ));
    m["builds"][2]["artifact_id"] = json!(format!("us-east-1:{windows}"));
    m.to_string()
}

/// The fixture's own images (the golden output).
pub const GOLDEN_UBUNTU: [&str; 3] = [
    "ami-0d44444444444444d",
    "ami-0e55555555555555e",
    "ami-0f66666666666666f",
];
pub const GOLDEN_WINDOWS: &str = "ami-0123456789abcdef0";

pub struct Bench {
    pub gh: GitHubMock,
    pub app: App,
    pub payload: Value,
    pub db: String,
}

pub async fn setup(dir: &Path, extra: Vec<(&'static str, String)>) -> Option<Bench> {
    setup_with(dir, extra, repo_files(), None, None).await
}

pub async fn setup_with(
    dir: &Path,
    extra: Vec<(&'static str, String)>,
    files: BTreeMap<String, String>,
    db: Option<String>,
    mock: Option<GitHubMock>,
) -> Option<Bench> {
    let spec = spec()?;
    crate::harness::webhook_examples()?;
    let gh = match mock {
        Some(m) => m,
        None => GitHubMock::start(spec).await,
    };
    gh.with(|s| {
        for (p, c) in &files {
            s.set_file(p, c);
        }
        s.commit_default("main");
    });
    let db = db.unwrap_or_else(|| format!("sqlite://{}/kiln.db?mode=rwc", dir.display()));
    let api = extra
        .iter()
        .find(|(k, _)| *k == "KILN_GITHUB_API_URL")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| gh.uri());
    let app = App::start(&AppOpts {
        api: &api,
        db: &db,
        dir,
        extra,
    });
    let mut payload = run_payload(7)?;
    payload["repository"]["default_branch"] = json!("main");
    payload["workflow_run"]["head_branch"] = json!("main");
    Some(Bench {
        gh,
        app,
        payload,
        db,
    })
}

impl Bench {
    /// Deliver a successful run `run` of commit `sha` (committed at
    /// `time`) whose manifest artifact is `manifest`.
    pub async fn run(&self, run: i64, sha: &str, time: &str, manifest: &str) {
        self.gh.with(|s| {
            s.artifacts = vec![(
                run * 10,
                "kiln-manifest-images".into(),
                zip_of(&[("packer-manifest.json", manifest.as_bytes())]),
            )]
        });
        let mut p = self.payload.clone();
        p["workflow_run"]["id"] = json!(run);
        p["workflow_run"]["head_sha"] = json!(sha);
        p["workflow_run"]["head_commit"]["id"] = json!(sha);
        p["workflow_run"]["head_commit"]["timestamp"] = json!(time);
        p["workflow_run"]["html_url"] = json!(format!(
            "https://github.com/octo-org/octo-repo/actions/runs/{run}"
        ));
        let (st, body) = self
            .app
            .deliver("workflow_run", &format!("delivery-{run}"), &p)
            .await;
        assert_eq!(st, 202, "{body}");
    }

    /// Wait until `n` jobs are done (each run is a registry job and a bump job).
    pub async fn wait_done(&self, n: f64) {
        let ok = wait_until(Duration::from_secs(120), || async {
            self.app.metric("kiln_app_queue_jobs{state=\"done\"}").await >= n
        })
        .await;
        assert!(ok, "{} jobs not done:\n{}", n, self.app.log_text());
    }

    /// The `kiln/bump` check runs, as the mock stores them.
    pub fn bump_checks(&self) -> Vec<Value> {
        self.gh.with(|s| {
            s.check_runs
                .values()
                .filter(|r| r["name"] == "kiln/bump")
                .cloned()
                .collect()
        })
    }

    pub fn branch_files(&self) -> Option<BTreeMap<String, String>> {
        self.gh.with(|s| s.branch_files(BRANCH))
    }

    /// Branches kiln created (`heads/kiln/…`).
    pub fn kiln_branches(&self) -> usize {
        self.gh.with(|s| {
            s.refs
                .keys()
                .filter(|r| r.starts_with("heads/kiln/"))
                .count()
        })
    }

    /// Merge the bump: its files land on `main`, the PR is closed, the
    /// branch deleted (what "merge and delete branch" does).
    pub fn merge(&self) {
        self.gh.with(|s| {
            let files = s.branch_files(BRANCH).expect("branch");
            for (p, c) in files {
                s.set_file(&p, &c);
            }
            s.commit_default("main");
            for p in s.opened_pulls.iter_mut() {
                p.state = "closed".into();
            }
            s.refs.remove(&format!("heads/{BRANCH}"));
        });
    }
}

/// The expected file contents after the fixture's bump.
fn golden() -> BTreeMap<String, String> {
    read_tree(&case_dir().join("expect/files"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_bump_opens_a_pr_with_golden_files_and_a_second_run_updates_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(b) = setup(dir.path(), vec![]).await else {
        return;
    };
    let sha1 = "1111111111111111111111111111111111111aaa";
    b.run(
        101,
        sha1,
        "2024-11-25T10:00:00Z",
        &manifest(GOLDEN_UBUNTU, GOLDEN_WINDOWS),
    )
    .await;
    b.wait_done(2.0).await;

    let files = b.branch_files().expect("branch pushed");
    let before = repo_files();
    for (path, want) in golden() {
        assert_eq!(
            files.get(&path),
            Some(&want),
            "{path} differs from the golden output"
        );
    }
    for path in [
        "infra/envs/dev.tfvars",
        "terraform/main.tf",
        ".github/kiln.yml",
    ] {
        assert_eq!(files.get(path), before.get(path), "{path} must not change");
    }
    assert!(
        files["infra/envs/staging.tfvars"].contains("\r\n"),
        "CRLF kept"
    );
    let (pulls, labels, head) = b.gh.with(|s| {
        (
            s.opened_pulls.clone(),
            s.labels.clone(),
            s.refs.get(&format!("heads/{BRANCH}")).cloned(),
        )
    });
    assert_eq!(pulls.len(), 1, "{}", b.app.log_text());
    let pr = &pulls[0];
    assert_eq!(
        (pr.head_ref.as_str(), pr.base_ref.as_str()),
        (BRANCH, "main")
    );
    assert!(pr.body.contains(
        "| `infra/envs/prod.auto.tfvars` | `ami_id` | us-east-1 | `ami-0aaaaaaaaaaaaaaaa` | `ami-0f66666666666666f` | `amazon-ebs.ubuntu` |"
    ), "{}", pr.body);
    assert!(
        pr.body
            .contains("| `terraform/variables.tf` | `windows_ami` | us-east-1 |"),
        "{}",
        pr.body
    );
    assert!(pr.body.contains(sha1), "the commit: {}", pr.body);
    assert!(
        pr.body
            .contains("https://github.com/octo-org/octo-repo/actions/runs/101"),
        "the run: {}",
        pr.body
    );
    assert_eq!(
        labels.get(&pr.number).cloned().unwrap_or_default(),
        vec!["dependencies".to_string(), "images".to_string()]
    );
    let commit = b.gh.with(|s| {
        s.git_commits
            .get(&head.clone().unwrap_or_default())
            .cloned()
    });
    let commit = commit.expect("branch head commit");
    assert_eq!(commit.author.0, "kiln[bot]");
    assert!(
        commit.message.contains("Kiln-Bump: images"),
        "{}",
        commit.message
    );
    let main = b.gh.with(|s| s.refs.get("heads/main").cloned());
    assert_eq!(commit.parents, vec![main.unwrap_or_default()]);
    let checks = b.bump_checks();
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0]["conclusion"], "success", "{}", checks[0]);
    assert_eq!(checks[0]["head_sha"], sha1);

    // A newer build: the same pull request, updated in place.
    let sha2 = "2222222222222222222222222222222222222bbb";
    let next = [
        "ami-0a77777777777777a",
        "ami-0b88888888888888b",
        "ami-0c99999999999999c",
    ];
    b.run(
        102,
        sha2,
        "2024-11-26T10:00:00Z",
        &manifest(next, "ami-0abcabcabcabcabc0"),
    )
    .await;
    b.wait_done(4.0).await;
    let files = b.branch_files().expect("branch");
    assert!(files["infra/envs/prod.auto.tfvars"]
        .contains("\"ami-0c99999999999999c\"     # ubuntu 22.04"));
    assert!(files["terraform/variables.tf"].contains("ami-0abcabcabcabcabc0"));
    let pulls = b.gh.with(|s| s.opened_pulls.clone());
    assert_eq!(pulls.len(), 1, "never a duplicate");
    assert!(pulls[0].body.contains(sha2) && pulls[0].body.contains("runs/102"));
    assert!(
        pulls[0]
            .body
            .contains("`ami-0aaaaaaaaaaaaaaaa` | `ami-0c99999999999999c`"),
        "old → new is against the default branch: {}",
        pulls[0].body
    );
    assert_eq!(
        b.gh.with(|s| s.count("POST", "/repos/octo-org/octo-repo/pulls")),
        1
    );
    assert_eq!(b.kiln_branches(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pr_no_longer_needed_is_closed_as_superseded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(b) = setup(dir.path(), vec![]).await else {
        return;
    };
    b.run(
        201,
        "3333333333333333333333333333333333333aaa",
        "2024-11-25T10:00:00Z",
        &manifest(GOLDEN_UBUNTU, GOLDEN_WINDOWS),
    )
    .await;
    b.wait_done(2.0).await;
    assert_eq!(b.gh.with(|s| s.opened_pulls.len()), 1);
    // Someone applies the same values on main by hand; the next build
    // (same images) finds nothing to change.
    b.gh.with(|s| {
        let files = s.branch_files(BRANCH).expect("branch");
        for (p, c) in files {
            s.set_file(&p, &c);
        }
        s.commit_default("main");
    });
    b.run(
        202,
        "3333333333333333333333333333333333333bbb",
        "2024-11-26T10:00:00Z",
        &manifest(GOLDEN_UBUNTU, GOLDEN_WINDOWS),
    )
    .await;
    b.wait_done(4.0).await;
    let (pulls, comments, branches) =
        b.gh.with(|s| (s.opened_pulls.clone(), s.comments.clone(), s.refs.clone()));
    assert_eq!(pulls.len(), 1);
    assert_eq!(pulls[0].state, "closed", "{}", b.app.log_text());
    assert!(
        comments.values().any(|c| c.contains("no longer needed")),
        "{comments:?}"
    );
    assert!(
        !branches.contains_key(&format!("heads/{BRANCH}")),
        "branch deleted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_someone_pushed_to_is_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(b) = setup(dir.path(), vec![]).await else {
        return;
    };
    b.run(
        301,
        "4444444444444444444444444444444444444aaa",
        "2024-11-25T10:00:00Z",
        &manifest(GOLDEN_UBUNTU, GOLDEN_WINDOWS),
    )
    .await;
    b.wait_done(2.0).await;
    let human =
        b.gh.with(|s| s.human_push(BRANCH, "infra/envs/dev.tfvars", "ami_id = \"ami-0hand\"\n"))
            .expect("push");
    let body_before = b.gh.with(|s| s.opened_pulls[0].body.clone());
    b.run(
        302,
        "4444444444444444444444444444444444444bbb",
        "2024-11-26T10:00:00Z",
        &manifest(["ami-1", "ami-2", "ami-3"], "ami-4"),
    )
    .await;
    b.wait_done(4.0).await;
    let (head, pulls, comments) = b.gh.with(|s| {
        (
            s.refs.get(&format!("heads/{BRANCH}")).cloned(),
            s.opened_pulls.clone(),
            s.comments.clone(),
        )
    });
    assert_eq!(
        head.as_deref(),
        Some(human.as_str()),
        "no force-push over a human's commit"
    );
    assert_eq!(pulls.len(), 1);
    assert_eq!(pulls[0].body, body_before, "PR not rewritten");
    assert!(
        comments
            .values()
            .any(|c| c.contains("Someone pushed to `kiln/bump-images`")),
        "{comments:?}"
    );
    let checks = b.bump_checks();
    let last = checks
        .iter()
        .find(|c| c["head_sha"] == "4444444444444444444444444444444444444bbb")
        .expect("check");
    assert_eq!(last["conclusion"], "neutral", "{last}");
    assert!(last["output"]["title"]
        .as_str()
        .unwrap_or_default()
        .contains("changed by someone else"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unparseable_tfvars_fails_the_check_with_an_annotation_and_opens_no_pr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = repo_files();
    files.insert(
        "infra/envs/staging.tfvars".into(),
        "# broken\nami_id = \"ami-0bbbbbbbbbbbbbbbb\"\nuser_data = {\n".into(),
    );
    let Some(b) = setup_with(dir.path(), vec![], files, None, None).await else {
        return;
    };
    b.run(
        401,
        "5555555555555555555555555555555555555aaa",
        "2024-11-25T10:00:00Z",
        &manifest(GOLDEN_UBUNTU, GOLDEN_WINDOWS),
    )
    .await;
    b.wait_done(2.0).await;
    let checks = b.bump_checks();
    assert_eq!(checks.len(), 1, "{}", b.app.log_text());
    let c = &checks[0];
    assert_eq!(c["conclusion"], "failure", "{c}");
    let ann = c["annotations_received"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(ann.len(), 1, "{c}");
    assert_eq!(ann[0]["path"], "infra/envs/staging.tfvars");
    assert!(
        ann[0]["start_line"].as_u64().is_some_and(|l| l >= 3),
        "{}",
        ann[0]
    );
    assert_eq!(ann[0]["annotation_level"], "failure");
    assert!(c["output"]["summary"]
        .as_str()
        .unwrap_or_default()
        .contains("infra/envs/staging.tfvars:"));
    assert_eq!(b.gh.with(|s| s.count("POST", "/pulls")), 0);
    assert_eq!(
        b.gh.with(|s| s.count("POST", "/git/")),
        0,
        "nothing written"
    );
    assert_eq!(b.kiln_branches(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_5xx_mid_sequence_is_retried_into_one_branch_and_one_pr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(b) = setup(dir.path(), vec![("KILN_HTTP_RETRIES", "2".into())]).await else {
        return;
    };
    let fault = |method: &'static str, path: &str, times: usize| Fault {
        method,
        path_contains: path.into(),
        status: 502,
        headers: vec![],
        message: "Server Error".into(),
        times,
    };
    b.gh.with(|s| {
        // Before taking effect: a tree (3 in a row: the job fails and is
        // re-run from the queue), a commit, the pull request.
        s.faults.push_back(fault("POST", "/git/trees", 3));
        s.faults.push_back(fault("POST", "/git/commits", 1));
        // After taking effect, the answers lost: the branch and the pull
        // request exist although kiln saw 502s.
        s.post_faults.push_back(fault("POST", "/git/refs", 1));
        s.post_faults
            .push_back(fault("POST", "/repos/octo-org/octo-repo/pulls", 3));
        s.post_faults.push_back(fault("POST", "/labels", 1));
    });
    b.run(
        501,
        "6666666666666666666666666666666666666aaa",
        "2024-11-25T10:00:00Z",
        &manifest(GOLDEN_UBUNTU, GOLDEN_WINDOWS),
    )
    .await;
    b.wait_done(2.0).await;
    let (pulls, faulted) = b.gh.with(|s| {
        (
            s.opened_pulls.clone(),
            s.log.iter().filter(|l| l.faulted).count(),
        )
    });
    assert!(faulted >= 9, "faults were hit: {faulted}");
    assert_eq!(pulls.len(), 1, "exactly one PR: {}", b.app.log_text());
    assert_eq!(b.kiln_branches(), 1);
    let files = b.branch_files().expect("branch");
    for (path, want) in golden() {
        assert_eq!(files.get(&path), Some(&want), "{path}");
    }
    let checks = b.bump_checks();
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0]["conclusion"], "success", "{}", checks[0]);
    assert!(
        b.app.log_text().contains("job will be retried"),
        "the job was re-run from the queue"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_runs_end_on_the_newest_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(b) = setup(dir.path(), vec![]).await else {
        return;
    };
    let newer = ["ami-0n1", "ami-0n2", "ami-0n3"];
    let older = ["ami-0o1", "ami-0o2", "ami-0o3"];
    // Both runs finish together; the older commit's delivery comes last.
    let (m_new, m_old) = (manifest(newer, "ami-0nw"), manifest(older, "ami-0ow"));
    b.gh.with(|s| {
        s.run_artifacts.insert(
            601,
            vec![(
                6010,
                "kiln-manifest-images".into(),
                zip_of(&[("packer-manifest.json", m_new.as_bytes())]),
            )],
        );
        s.run_artifacts.insert(
            602,
            vec![(
                6020,
                "kiln-manifest-images".into(),
                zip_of(&[("packer-manifest.json", m_old.as_bytes())]),
            )],
        );
    });
    let mut p1 = b.payload.clone();
    p1["workflow_run"]["id"] = json!(601);
    p1["workflow_run"]["head_sha"] = json!("7777777777777777777777777777777777777bbb");
    p1["workflow_run"]["head_commit"]["timestamp"] = json!("2024-11-26T10:00:00Z");
    let mut p2 = b.payload.clone();
    p2["workflow_run"]["id"] = json!(602);
    p2["workflow_run"]["head_sha"] = json!("7777777777777777777777777777777777777aaa");
    p2["workflow_run"]["head_commit"]["timestamp"] = json!("2024-11-25T10:00:00Z");
    let (r1, r2) = tokio::join!(
        b.app.deliver("workflow_run", "c-1", &p1),
        b.app.deliver("workflow_run", "c-2", &p2)
    );
    assert_eq!((r1.0, r2.0), (202, 202));
    // Two registry jobs and one or two bump jobs (a queued one is
    // superseded by the next).
    let settled = wait_until(Duration::from_secs(120), || async {
        let done = b.app.metric("kiln_app_queue_jobs{state=\"done\"}").await;
        let queued = b.app.metric("kiln_app_queue_jobs{state=\"queued\"}").await
            + b.app.metric("kiln_app_queue_jobs{state=\"running\"}").await;
        done >= 3.0 && queued == 0.0
    })
    .await;
    assert!(settled, "{}", b.app.log_text());
    let files = b.branch_files().expect("branch");
    assert!(
        files["infra/envs/prod.auto.tfvars"].contains("ami-0n3"),
        "newest commit wins: {}",
        files["infra/envs/prod.auto.tfvars"]
    );
    assert!(
        !files.values().any(|f| f.contains("ami-0o")),
        "no image of the older commit"
    );
    // An even older commit's run, finishing last of all: nothing moves back.
    b.run(
        603,
        "7777777777777777777777777777777777777ccc",
        "2024-11-24T10:00:00Z",
        &manifest(["ami-0v1", "ami-0v2", "ami-0v3"], "ami-0vw"),
    )
    .await;
    let settled = wait_until(Duration::from_secs(120), || async {
        b.app.metric("kiln_app_queue_jobs{state=\"done\"}").await >= 5.0
            && b.app.metric("kiln_app_queue_jobs{state=\"queued\"}").await
                + b.app.metric("kiln_app_queue_jobs{state=\"running\"}").await
                == 0.0
    })
    .await;
    assert!(settled, "{}", b.app.log_text());
    let files = b.branch_files().expect("branch");
    assert!(files["infra/envs/prod.auto.tfvars"].contains("ami-0n3"));
    assert!(
        !files.values().any(|f| f.contains("ami-0v")),
        "no image of an older commit"
    );
    assert_eq!(b.gh.with(|s| s.opened_pulls.len()), 1);
    assert_eq!(b.kiln_branches(), 1);
}

/// Two runs, each bump merged: a good version, then a bad one that the
/// default branch now uses.
async fn good_then_bad(b: &Bench, good: &str, bad: &str) {
    b.run(
        701,
        good,
        "2024-11-25T10:00:00Z",
        &manifest(GOLDEN_UBUNTU, GOLDEN_WINDOWS),
    )
    .await;
    b.wait_done(2.0).await;
    b.merge();
    b.run(
        702,
        bad,
        "2024-11-26T10:00:00Z",
        &manifest(["ami-0b1", "ami-0b2", "ami-0b3"], "ami-0bw"),
    )
    .await;
    b.wait_done(4.0).await;
    b.merge();
    assert!(b.gh.with(|s| s.files["infra/envs/prod.auto.tfvars"]
        .windows(7)
        .any(|w| w == b"ami-0b3")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_served_version_opens_a_pr_back_to_the_previous_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(b) = setup(dir.path(), vec![]).await else {
        return;
    };
    let good = "8888888888888888888888888888888888888aaa";
    let bad = "8888888888888888888888888888888888888bbb";
    good_then_bad(&b, good, bad).await;

    let token = crate::registry::create_token(&b.db, dir.path(), "octo-org/octo-repo");
    let res = b
        .app
        .http
        .post(
            b.app
                .url(&format!("/api/v1/buckets/{BUCKET}/versions/{bad}/revoke")),
        )
        .bearer_auth(&token)
        .json(&json!({"reason": "CVE-2024-0001"}))
        .send()
        .await
        .expect("revoke");
    assert_eq!(res.status().as_u16(), 200);
    b.wait_done(5.0).await;
    let files = b.branch_files().expect("a bump branch again");
    assert!(
        files["infra/envs/prod.auto.tfvars"].contains("\"ami-0f66666666666666f\""),
        "{}",
        files["infra/envs/prod.auto.tfvars"]
    );
    assert!(files["terraform/variables.tf"].contains(GOLDEN_WINDOWS));
    let pulls = b.gh.with(|s| s.opened_pulls.clone());
    let open: Vec<_> = pulls.iter().filter(|p| p.state == "open").collect();
    assert_eq!(open.len(), 1);
    assert!(
        open[0]
            .body
            .contains(&format!("version `{bad}` was revoked")),
        "{}",
        open[0].body
    );
    assert!(
        open[0].body.contains("`ami-0b3` | `ami-0f66666666666666f`"),
        "{}",
        open[0].body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_revocation_opens_the_pr_back_when_it_takes_effect() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(b) = setup(dir.path(), vec![]).await else {
        return;
    };
    let good = "8888888888888888888888888888888888888ccc";
    let bad = "8888888888888888888888888888888888888ddd";
    good_then_bad(&b, good, bad).await;
    assert!(b.branch_files().is_none(), "the bump was merged");

    let token = crate::registry::create_token(&b.db, dir.path(), "octo-org/octo-repo");
    let lead = Duration::from_secs(6);
    let asked = std::time::Instant::now();
    let at = (chrono::Utc::now() + chrono::Duration::from_std(lead).expect("lead")).to_rfc3339();
    let res = b
        .app
        .http
        .post(
            b.app
                .url(&format!("/api/v1/buckets/{BUCKET}/versions/{bad}/revoke")),
        )
        .bearer_auth(&token)
        .json(&json!({"reason": "end of support", "revoke_at": at}))
        .send()
        .await
        .expect("revoke");
    assert_eq!(res.status().as_u16(), 200);
    // Before it is due, the version is still good: nothing is queued.
    tokio::time::sleep(Duration::from_secs(1)).await;
    if asked.elapsed() < lead {
        assert!(
            b.branch_files().is_none(),
            "bumped before the revocation was due"
        );
        assert_eq!(
            b.app.metric("kiln_app_queue_jobs{state=\"done\"}").await,
            4.0
        );
    }
    // Once due, the sweeper enqueues the bump back to the good version.
    b.wait_done(5.0).await;
    let files = b
        .branch_files()
        .expect("a bump branch once the revocation is due");
    assert!(
        files["infra/envs/prod.auto.tfvars"].contains("\"ami-0f66666666666666f\""),
        "{}",
        files["infra/envs/prod.auto.tfvars"]
    );
    let open: Vec<_> =
        b.gh.with(|s| s.opened_pulls.clone())
            .into_iter()
            .filter(|p| p.state == "open")
            .collect();
    assert_eq!(open.len(), 1);
    assert!(
        open[0]
            .body
            .contains(&format!("version `{bad}` was revoked")),
        "{}",
        open[0].body
    );
    // Sweeping again (every poll) enqueues nothing more.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        b.app.metric("kiln_app_queue_jobs{state=\"done\"}").await,
        5.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bumps_on_postgresql_open_one_pr_and_update_it() {
    let Some(pg) = crate::harness::Postgres::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(b) = setup_with(dir.path(), vec![], repo_files(), Some(pg.url.clone()), None).await
    else {
        return;
    };
    // The newer commit first, then an older one: the newer images stay.
    b.run(
        801,
        "aaaa000000000000000000000000000000000bbb",
        "2024-11-26T10:00:00Z",
        &manifest(GOLDEN_UBUNTU, GOLDEN_WINDOWS),
    )
    .await;
    b.wait_done(2.0).await;
    let files = b.branch_files().expect("branch");
    for (path, want) in golden() {
        assert_eq!(files.get(&path), Some(&want), "{path}");
    }
    b.run(
        802,
        "aaaa000000000000000000000000000000000aaa",
        "2024-11-25T10:00:00Z",
        &manifest(["ami-0x1", "ami-0x2", "ami-0x3"], "ami-0x4"),
    )
    .await;
    b.wait_done(4.0).await;
    let files = b.branch_files().expect("branch");
    for (path, want) in golden() {
        assert_eq!(
            files.get(&path),
            Some(&want),
            "an older commit's build changes nothing: {path}"
        );
    }
    assert_eq!(b.gh.with(|s| s.opened_pulls.len()), 1);
    assert_eq!(b.kiln_branches(), 1);
}
