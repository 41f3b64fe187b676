//! Every request of a bump — token, refs, commits, trees, blobs, pulls
//! (list by head, create, update), labels, comments, check runs — sent by
//! the running binary through `prism proxy` in front of the stateful mock:
//! prism validates each request against GitHub's OpenAPI description and
//! logs every violation; the test fails on any request violation (and
//! proves the check is live by sending one invalid request itself).

use std::time::Duration;

use crate::bump::{manifest, repo_files, setup_with, BRANCH, GOLDEN_UBUNTU, GOLDEN_WINDOWS};
use crate::harness::{wait_until, Prism};

/// A build recorded the way a `workflow_run` job records it (prism
/// proxy mangles the artifact zip's redirect, which is not under test
/// here), then the bump job enqueued by the same hook.
async fn seed(b: &crate::bump::Bench, run: i64, sha: &str, time: &str, manifest: &str) {
    use kiln_app::registry::manifest::{versions, Provenance};
    let store = kiln_app::store::Store::connect(&b.db).await.expect("store");
    let cfg_text = repo_files()[".github/kiln.yml"].clone();
    let cfg = kiln_app::repo_config::RepoConfig::parse(&cfg_text).expect("config");
    let commit_order = kiln_app::registry::model::parse_rfc3339(time).expect("time");
    let vs = versions(
        manifest.as_bytes(),
        &Provenance {
            repo: "octo-org/octo-repo".into(),
            git_sha: sha.into(),
            bucket: Some("images".into()),
            run_id: Some(run),
            commit_order,
            ..Provenance::default()
        },
    )
    .expect("versions");
    kiln_app::registry::store::Registry::new(&store)
        .record(&vs)
        .await
        .expect("record");
    let job = kiln_app::registry::webhook::RunJob {
        repo: kiln_app::ids::RepoName::parse("octo-org/octo-repo").expect("repository name"),
        run_id: run,
        head_sha: sha.into(),
        workflow_path: ".github/workflows/test.yml".into(),
        default_branch: "main".into(),
        commit_order,
        html_url: format!("https://github.com/octo-org/octo-repo/actions/runs/{run}"),
        untrusted: None,
        head_branch: "main".into(),
    };
    let n = kiln_app::bump::after_run(&store, 7, &job, &cfg, &vs)
        .await
        .expect("enqueue");
    assert_eq!(n, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bump_request_validates_against_githubs_openapi() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(spec) = crate::harness::spec() else {
        return;
    };
    // The mock first (prism needs its URL), then the app pointed at prism.
    let gh = crate::mock::GitHubMock::start(spec).await;
    let log = dir.path().join("prism.log");
    let Some(prism) = Prism::start("proxy", &[&gh.uri()], &log).await else {
        return;
    };
    let url = prism.url.clone();
    let db = format!("sqlite://{}/kiln.db?mode=rwc", dir.path().display());
    let Some(b) = setup_with(
        dir.path(),
        vec![
            ("KILN_GITHUB_API_URL", url.clone()),
            ("KILN_MAX_ATTEMPTS", "1".into()),
        ],
        repo_files(),
        Some(db),
        Some(gh),
    )
    .await
    else {
        return;
    };
    let prism_log = || std::fs::read_to_string(&log).unwrap_or_default();
    seed(
        &b,
        901,
        "9999999999999999999999999999999999999aaa",
        "2024-11-25T10:00:00Z",
        &manifest(GOLDEN_UBUNTU, GOLDEN_WINDOWS),
    )
    .await;
    b.wait_done(1.0).await;
    assert_eq!(
        b.gh.with(|s| s.opened_pulls.len()),
        1,
        "{}\n{}",
        b.app.log_text(),
        prism_log()
    );
    // The update path: a newer build, then a human push (comment), then
    // the values land on main (close, delete the branch).
    seed(
        &b,
        902,
        "9999999999999999999999999999999999999bbb",
        "2024-11-26T10:00:00Z",
        &manifest(["ami-0a1", "ami-0a2", "ami-0a3"], "ami-0a4"),
    )
    .await;
    b.wait_done(2.0).await;
    b.gh.with(|s| s.human_push(BRANCH, "README.md", "hand edit\n"));
    seed(
        &b,
        903,
        "9999999999999999999999999999999999999ccc",
        "2024-11-27T10:00:00Z",
        &manifest(["ami-0b1", "ami-0b2", "ami-0b3"], "ami-0b4"),
    )
    .await;
    b.wait_done(3.0).await;
    let failed = b.app.metric("kiln_app_queue_jobs{state=\"failed\"}").await;
    assert_eq!(failed, 0.0, "{}\n{}", b.app.log_text(), prism_log());
    let (pulls, comments, patches) = b.gh.with(|s| {
        (
            s.opened_pulls.clone(),
            s.comments.len(),
            s.count("PATCH", "/pulls/"),
        )
    });
    assert_eq!(pulls.len(), 1);
    assert!(pulls[0].body.contains("ami-0a3"), "updated through prism");
    assert!(patches >= 1 && comments >= 1);
    let violations: Vec<String> = prism_log()
        .lines()
        .filter(|l| l.contains("Violation: request"))
        .map(str::to_string)
        .collect();
    assert!(
        violations.is_empty(),
        "requests GitHub's spec refuses:\n{}",
        violations.join("\n")
    );
    // The check is live: an invalid pull request update is reported.
    let bad = reqwest::Client::new()
        .patch(format!(
            "{url}/repos/octo-org/octo-repo/pulls/{}",
            pulls[0].number
        ))
        .header("Authorization", "Bearer x")
        .header("Accept", "application/vnd.github+json")
        .json(&serde_json::json!({"state": "merged-by-magic"}))
        .send()
        .await
        .expect("PATCH");
    let _ = bad.text().await;
    let seen = wait_until(Duration::from_secs(30), || async {
        prism_log()
            .lines()
            .any(|l| l.contains("Violation: request"))
    })
    .await;
    assert!(seen, "prism reports request violations:\n{}", prism_log());
    // Everything kiln sent reached the mock through prism.
    let methods = b.gh.with(|s| {
        [
            "/git/blobs",
            "/git/trees",
            "/git/commits",
            "/git/refs",
            "/labels",
            "/check-runs",
        ]
        .iter()
        .map(|p| s.count("POST", p))
        .collect::<Vec<_>>()
    });
    assert!(methods.iter().all(|n| *n >= 1), "{methods:?}");
}
