//! Pull requests from forks (check suites without `pull_requests`, head
//! repository ≠ base repository) and truncated git trees.

use serde_json::{json, Value};

use crate::checks::{completed, start};
use crate::fixtures::{INVALID, VALID};
use crate::harness::{payloads, pr_payload, wait_until};

/// Paths of every request the mock saw.
fn paths(gh: &crate::mock::GitHubMock) -> Vec<String> {
    gh.with(|s| {
        s.log
            .iter()
            .map(|l| format!("{} {}", l.method, l.path))
            .collect()
    })
}

fn annotations(gh: &crate::mock::GitHubMock, run_id: i64) -> Vec<Value> {
    gh.with(|s| s.check_runs.get(&run_id).cloned())
        .and_then(|r| r["annotations_received"].as_array().cloned())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_suite_without_pull_requests_finds_the_fork_pr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = start(dir.path(), vec![]).await else {
        return;
    };
    // A real `check_suite.requested` whose `pull_requests` is empty, as
    // GitHub sends it for a commit pushed to a fork.
    let Some(mut p) = payloads("check_suite", Some("requested"))
        .into_iter()
        .find(|p| {
            p["installation"]["id"].is_number()
                && p["check_suite"]["pull_requests"]
                    .as_array()
                    .is_some_and(|a| a.is_empty())
        })
    else {
        panic!("no check_suite.requested example without pull requests");
    };
    p["installation"]["id"] = json!(31);
    let sha = p["check_suite"]["head_sha"]
        .as_str()
        .expect("head_sha")
        .to_string();
    let base = p["repository"]["full_name"]
        .as_str()
        .expect("full_name")
        .to_string();
    gh.with(|s| {
        s.set_file("img/main.pkr.hcl", INVALID);
        s.pr_files = vec![("img/main.pkr.hcl".into(), "modified".into())];
        s.pulls = vec![
            (
                5,
                "0000000000000000000000000000000000000005".into(),
                base.clone(),
            ),
            (8, sha.clone(), "contributor/fork".into()),
        ];
        // The commit lookup finds nothing: the pulls list must be used.
        s.commit_pulls_empty = true;
    });
    assert_eq!(app.deliver("check_suite", "fork-cs-1", &p).await.0, 202);
    let done = completed(&gh, 1).await;
    let (run_id, body) = &done[0];
    assert_eq!(body["conclusion"], "failure", "{}", app.log_text());
    let created = gh
        .with(|s| {
            s.log
                .iter()
                .find(|l| l.method == "POST" && l.path.ends_with("/check-runs"))
                .map(|l| l.body.clone())
        })
        .expect("check run created");
    assert_eq!(created["head_sha"], json!(sha));
    let ann = annotations(&gh, *run_id);
    assert!(
        ann.iter()
            .any(|a| a["path"] == "img/main.pkr.hcl" && a["start_line"] == 3),
        "{ann:?}"
    );
    let log = paths(&gh);
    assert!(
        log.iter()
            .any(|l| l == &format!("GET /repos/{base}/commits/{sha}/pulls")),
        "{log:?}"
    );
    assert!(log.iter().any(|l| l == &format!("GET /repos/{base}/pulls")));
    // The fork PR's files and comment, not the other PR's.
    assert!(log
        .iter()
        .any(|l| l == &format!("GET /repos/{base}/pulls/8/files")));
    assert!(!log.iter().any(|l| l.contains("/pulls/5/")));
    // The sticky comment follows the check run.
    let commented = wait_until(std::time::Duration::from_secs(120), || async {
        gh.with(|s| s.count("POST", "/issues/8/comments")) >= 1
    })
    .await;
    assert!(commented, "{:?}", paths(&gh));
    // A redelivery of the suite does not check the PR a second time.
    assert_eq!(app.deliver("check_suite", "fork-cs-1", &p).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_request_from_a_fork_reads_the_head_commit_in_the_base_repository() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = start(dir.path(), vec![]).await else {
        return;
    };
    let sha = "2222222222222222222222222222222222222222";
    let Some(mut p) = pr_payload("opened", 21, sha, 41) else {
        return;
    };
    // As GitHub sends a fork's pull request: head.repo is the fork.
    let base = p["repository"]["full_name"]
        .as_str()
        .expect("full_name")
        .to_string();
    let mut fork = p["pull_request"]["base"]["repo"].clone();
    fork["full_name"] = json!("contributor/Hello-World");
    fork["name"] = json!("Hello-World");
    fork["fork"] = json!(true);
    fork["id"] = json!(987_654_321);
    fork["owner"]["login"] = json!("contributor");
    p["pull_request"]["head"]["repo"] = fork;
    p["pull_request"]["head"]["label"] = json!("contributor:patch-1");
    p["pull_request"]["head"]["user"]["login"] = json!("contributor");
    gh.with(|s| {
        s.set_file("main.pkr.hcl", VALID);
        s.pr_files = vec![("main.pkr.hcl".into(), "added".into())];
    });
    assert_eq!(app.deliver("pull_request", "fork-pr-1", &p).await.0, 202);
    let done = completed(&gh, 1).await;
    assert_eq!(done[0].1["conclusion"], "success", "{}", app.log_text());
    let log = paths(&gh);
    let content: Vec<&String> = log
        .iter()
        .filter(|l| l.contains("/git/trees/") || l.contains("/git/blobs/"))
        .collect();
    assert!(!content.is_empty());
    assert!(
        content
            .iter()
            .all(|l| l.starts_with(&format!("GET /repos/{base}/git/"))),
        "{content:?}"
    );
    assert!(log
        .iter()
        .any(|l| l == &format!("GET /repos/{base}/git/trees/{sha}")));
    assert!(!log.iter().any(|l| l.contains("contributor/")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_tree_is_walked_directory_by_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = start(dir.path(), vec![]).await else {
        return;
    };
    gh.with(|s| {
        for i in 0..30 {
            s.set_file(&format!("docs/page{i}.md"), "# doc\n");
        }
        s.set_file("packer/deep/app/main.pkr.hcl", INVALID);
        s.set_file("packer/deep/other/main.pkr.hcl", VALID);
        s.pr_files = vec![("packer/deep/app/main.pkr.hcl".into(), "modified".into())];
        // The recursive listing stops before the template.
        s.truncate_tree_at = Some(5);
    });
    let Some(p) = pr_payload("opened", 3, "3333333333333333333333333333333333333333", 51) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "trunc-1", &p).await.0, 202);
    let done = completed(&gh, 1).await;
    let (run_id, body) = &done[0];
    assert_eq!(body["conclusion"], "failure", "{}", app.log_text());
    let ann = annotations(&gh, *run_id);
    assert!(
        ann.iter()
            .any(|a| a["path"] == "packer/deep/app/main.pkr.hcl" && a["start_line"] == 3),
        "{ann:?}"
    );
    // Root, packer, packer/deep, packer/deep/app (+ .github absent): the
    // walk lists only the needed directories, never docs/ or other/.
    let trees = gh.with(|s| s.count("GET", "/git/trees/"));
    assert!(trees >= 4, "{trees} tree requests");
    let docs = crate::mock::dir_sha("docs");
    let other = crate::mock::dir_sha("packer/deep/other");
    let log = paths(&gh);
    assert!(!log
        .iter()
        .any(|l| l.ends_with(&docs) || l.ends_with(&other)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_json_templates_are_checked_when_detected_or_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = start(dir.path(), vec![]).await else {
        return;
    };
    let broken = "{\n  \"builders\": [\n    {\n      \"type\": \"null\",\n      \"communicator\": \"none\",\n      \"bogus_field\": 1\n    }\n  ]\n}\n";
    let fine = "{\n  \"builders\": [\n    {\n      \"type\": \"null\",\n      \"communicator\": \"none\"\n    }\n  ]\n}\n";
    gh.with(|s| {
        // Found by content: a top-level "builders" array.
        s.set_file("old/build.json", broken);
        // Listed in the config.
        s.set_file("ci/packer.json", fine);
        s.set_file(".github/kiln.yml", "legacy_templates: [ci/packer.json]\n");
        // Plain JSON data: not a template.
        s.set_file("data/settings.json", "{\"name\": \"x\"}\n");
        s.pr_files = vec![
            ("old/build.json".into(), "added".into()),
            ("ci/packer.json".into(), "modified".into()),
            ("data/settings.json".into(), "modified".into()),
        ];
    });
    let Some(p) = pr_payload("opened", 4, "4444444444444444444444444444444444444444", 61) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "legacy-1", &p).await.0, 202);
    let done = completed(&gh, 1).await;
    let (run_id, body) = &done[0];
    assert_eq!(body["conclusion"], "failure", "{}", app.log_text());
    let ann = annotations(&gh, *run_id);
    let bogus: Vec<&Value> = ann
        .iter()
        .filter(|a| a["path"] == "old/build.json")
        .collect();
    assert!(!bogus.is_empty(), "{ann:?}");
    assert!(
        bogus.iter().any(|a| a["start_line"] == 6),
        "error at the bogus_field line: {bogus:?}"
    );
    assert!(
        !ann.iter().any(|a| a["path"] == "ci/packer.json"),
        "{ann:?}"
    );
    let summary = gh
        .with(|s| s.check_runs.get(run_id).cloned())
        .map(|r| {
            r["output"]["summary"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_default();
    assert!(
        summary.contains("old") && summary.contains("ci") && !summary.contains("data"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_functions_read_the_repository_files_in_the_sandbox() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = start(dir.path(), vec![]).await else {
        return;
    };
    // The communicator comes from a file of the repository; a secret
    // lookup is left unknown (no network call), with a warning.
    let t = "locals {\n  comm  = trimspace(file(\"${path.root}/conf/communicator.txt\"))\n  token = vault(\"secret/data/x\", \"token\")\n}\n\nsource \"null\" \"x\" {\n  communicator = local.comm\n}\n\nbuild {\n  sources = [\"source.null.x\"]\n}\n";
    gh.with(|s| {
        s.set_file("img/main.pkr.hcl", t);
        s.set_file("img/conf/communicator.txt", "none\n");
        s.set_file("unrelated/big.bin", "zzz");
        s.pr_files = vec![("img/main.pkr.hcl".into(), "added".into())];
    });
    let Some(p) = pr_payload("opened", 9, "9090909090909090909090909090909090909090", 71) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "sandbox-1", &p).await.0, 202);
    let done = completed(&gh, 1).await;
    let (run_id, body) = &done[0];
    let ann = annotations(&gh, *run_id);
    assert_eq!(body["conclusion"], "success", "{ann:?}\n{}", app.log_text());
    assert!(
        ann.iter()
            .any(|a| a["title"] == "Secret lookup not made" && a["start_line"] == 3),
        "{ann:?}"
    );
    assert!(!ann.iter().any(|a| a["title"] == "Syntax checked only"));
    // The referenced file was fetched; the unrelated one was not.
    let blobs = gh.with(|s| s.count("GET", "/git/blobs/"));
    assert_eq!(blobs, 2, "{:?}", paths(&gh));
}
