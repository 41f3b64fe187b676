//! Failures: GitHub 5xx and secondary rate limits mid-run, an uninstalled
//! repository, a job of a kind this version does not know, a template the
//! engine rejects, hostile paths from the API, kill -9 with jobs queued.

use std::time::{Duration, Instant};

use crate::checks::{completed, start};
use crate::fixtures::{INVALID, VALID};
use crate::harness::{pr_payload, wait_until, App, AppOpts};
use crate::mock::Fault;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_5xx_and_secondary_rate_limit_mid_run_are_retried() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = start(dir.path(), vec![]).await else {
        return;
    };
    gh.with(|s| {
        s.set_file("t.pkr.hcl", INVALID);
        s.pr_files = vec![("t.pkr.hcl".into(), "modified".into())];
        s.faults.push_back(Fault {
            method: "GET",
            path_contains: "/pulls/8/files".into(),
            status: 403,
            headers: vec![("retry-after", "2".into())],
            message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.".into(),
            times: 1,
        });
        s.faults.push_back(Fault {
            method: "PATCH",
            path_contains: "/check-runs/".into(),
            status: 502,
            headers: vec![],
            message: "Server Error".into(),
            times: 2,
        });
    });
    let Some(p) = pr_payload("opened", 8, "8888888888888888888888888888888888888888", 8) else {
        return;
    };
    let t0 = Instant::now();
    assert_eq!(app.deliver("pull_request", "rl-1", &p).await.0, 202);
    let done = completed(&gh, 1).await;
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].1["conclusion"], "failure");
    // Retry-After: 2 was honoured.
    assert!(t0.elapsed() >= Duration::from_secs(2), "{:?}", t0.elapsed());
    assert_eq!(gh.with(|s| s.count("GET", "/pulls/8/files")), 2);
    assert_eq!(
        gh.with(|s| s.count("POST", "/check-runs")),
        1,
        "check run created twice"
    );
    assert!(gh.with(|s| s.faults.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uninstalled_repo_is_given_up_and_server_stays_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = start(dir.path(), vec![]).await else {
        return;
    };
    gh.with(|s| {
        s.token_status = Some(404);
        s.set_file("t.pkr.hcl", VALID);
        s.pr_files = vec![("t.pkr.hcl".into(), "modified".into())];
    });
    let Some(p) = pr_payload("opened", 9, "9999999999999999999999999999999999999999", 777) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "un-1", &p).await.0, 202);
    let failed = wait_until(Duration::from_secs(60), || async {
        app.metric("kiln_app_queue_jobs{state=\"failed\"}").await >= 1.0
    })
    .await;
    assert!(failed, "{}", app.log_text());
    assert!(app.log_text().contains("not available to this App"));
    assert_eq!(gh.with(|s| s.count("POST", "/check-runs")), 0);
    assert_eq!(
        gh.with(|s| s.count("POST", "/access_tokens")),
        1,
        "a 404 is not retried"
    );
    assert!(app.healthy().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_of_an_unknown_kind_is_given_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = start(dir.path(), vec![]).await else {
        return;
    };
    // A row no webhook makes (written by another version of kiln-app).
    let db = format!("sqlite://{}/kiln.db?mode=rwc", dir.path().display());
    let store = kiln_app::store::Store::connect(&db).await.expect("store");
    sqlx::query(
        "INSERT INTO jobs (delivery_id, kind, installation_id, repo, pr_key, head_sha, payload, state, created_at) \
         VALUES ('unknown-1', 'deploy', 7, 'o/r', 'o/r#1', 'abc', '{}', 'queued', 0)",
    )
    .execute(store.pool())
    .await
    .expect("insert a job");
    let failed = wait_until(Duration::from_secs(60), || async {
        app.metric("kiln_app_queue_jobs{state=\"failed\"}").await >= 1.0
    })
    .await;
    assert!(failed, "{}", app.log_text());
    let jobs = store.jobs().await.expect("jobs");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].1, "failed");
    assert_eq!(jobs[0].2, 1, "not retried");
    assert_eq!(jobs[0].3.as_deref(), Some("unknown job kind \"deploy\""));
    assert_eq!(gh.with(|s| s.count("POST", "/check-runs")), 0);
    assert!(app.healthy().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_failure_is_reported_and_hostile_paths_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = start(dir.path(), vec![]).await else {
        return;
    };
    let scratch_parent = std::env::temp_dir();
    let escape_name = format!("kiln-escape-{}.pkr.hcl", std::process::id());
    gh.with(|s| {
        // Not UTF-8, then deeply nested brackets: the engine refuses both.
        s.files
            .insert("bad/a.pkr.hcl".into(), vec![0xff, 0xfe, b'{', 0x00, b'\n']);
        s.set_file(
            "bad/b.pkr.hcl",
            &format!(
                "locals {{\n  x = {}{}\n}}\n",
                "[".repeat(5000),
                "]".repeat(5000)
            ),
        );
        s.extra_tree_paths = vec![
            format!("bad/../../{escape_name}"),
            format!("/tmp/{escape_name}"),
            "bad/./c.pkr.hcl".into(),
        ];
        s.pr_files = vec![
            ("bad/a.pkr.hcl".into(), "added".into()),
            ("bad/b.pkr.hcl".into(), "added".into()),
        ];
    });
    let Some(p) = pr_payload("opened", 10, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 10) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "eng-1", &p).await.0, 202);
    let done = completed(&gh, 1).await;
    let b = &done[0].1;
    assert_eq!(b["conclusion"], "failure");
    let summary = b["output"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("`bad`") && summary.contains("error(s)"),
        "{summary}"
    );
    // Hostile paths: refused, never fetched, nothing written outside.
    assert!(summary.contains("refused unsafe path"), "{summary}");
    assert!(!scratch_parent.join(&escape_name).exists());
    assert!(!std::path::Path::new("/tmp").join(&escape_name).exists());
    assert_eq!(
        gh.with(|s| s.count("GET", "/git/blobs/")),
        2,
        "a hostile path was fetched"
    );
    assert!(app.healthy().await);
    // The server goes on with the next pull request.
    gh.with(|s| {
        s.files.clear();
        s.extra_tree_paths.clear();
        s.set_file("ok/t.pkr.hcl", VALID);
        s.pr_files = vec![("ok/t.pkr.hcl".into(), "added".into())];
    });
    let Some(p) = pr_payload("opened", 11, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 10) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "eng-2", &p).await.0, 202);
    let done = completed(&gh, 2).await;
    assert_eq!(done[1].1["conclusion"], "success");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_with_jobs_queued_loses_none_and_completes_each_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lease = vec![
        ("KILN_LEASE_SECONDS", "3".to_string()),
        ("KILN_WORKERS", "1".to_string()),
    ];
    let Some((gh, mut app)) = start(dir.path(), lease.clone()).await else {
        return;
    };
    gh.with(|s| {
        s.set_file("t.pkr.hcl", VALID);
        s.pr_files = vec![("t.pkr.hcl".into(), "modified".into())];
        // Slow GitHub: jobs are still queued / in flight at the kill.
        s.delay = Some(Duration::from_millis(400));
    });
    let n = 6;
    for i in 0..n {
        let sha = format!("{:040x}", 0xc0ffee00 + i);
        let Some(p) = pr_payload("opened", 100 + i, &sha, 42) else {
            return;
        };
        assert_eq!(
            app.deliver("pull_request", &format!("k9-{i}"), &p).await.0,
            202
        );
    }
    // Kill while the first job is mid-run.
    assert!(
        wait_until(Duration::from_secs(30), || async {
            gh.with(|s| s.count("POST", "/check-runs")) >= 1
        })
        .await
    );
    app.kill9();
    let before = gh.with(|s| s.completions().len());
    assert!(before < n as usize, "everything finished before the kill");
    gh.with(|s| s.delay = None);
    let db = format!("sqlite://{}/kiln.db?mode=rwc", dir.path().display());
    let app2 = App::start(&AppOpts {
        api: &gh.uri(),
        db: &db,
        dir: dir.path(),
        extra: lease,
    });
    let done = completed(&gh, n as usize).await;
    tokio::time::sleep(Duration::from_secs(4)).await; // a lease's worth: no late duplicates
    let done2 = gh.with(|s| s.completions());
    assert_eq!(done2.len(), done.len());
    let mut shas: Vec<String> = gh.with(|s| {
        done2
            .iter()
            .map(|(id, _)| {
                s.check_runs[id]["head_sha"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    });
    shas.sort();
    let total = shas.len();
    shas.dedup();
    assert_eq!(
        (shas.len(), total),
        (n as usize, n as usize),
        "a job was lost or completed twice"
    );
    // The interrupted job re-used its check run (found by external_id when
    // the kill fell between GitHub creating it and kiln recording its id).
    assert_eq!(gh.with(|s| s.count("POST", "/check-runs")), n as usize);
    assert!(gh.with(|s| s.check_runs.values().all(|r| r["status"] == "completed")));
    assert_eq!(
        app2.metric("kiln_app_queue_jobs{state=\"done\"}").await,
        n as f64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_given_up_still_completes_its_check_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = start(dir.path(), vec![]).await else {
        return;
    };
    gh.with(|s| {
        s.set_file("t.pkr.hcl", VALID);
        s.pr_files = vec![("t.pkr.hcl".into(), "modified".into())];
        s.faults.push_back(Fault {
            method: "GET",
            path_contains: "/git/trees/".into(),
            status: 404,
            headers: vec![],
            message: "Not Found".into(),
            times: 1,
        });
    });
    let Some(p) = pr_payload("opened", 13, "dddddddddddddddddddddddddddddddddddddddd", 13) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "gone-1", &p).await.0, 202);
    let done = completed(&gh, 1).await;
    assert_eq!(done[0].1["conclusion"], "failure");
    assert_eq!(done[0].1["output"]["title"], "kiln could not finish");
    assert!(done[0].1["output"]["summary"]
        .as_str()
        .unwrap_or_default()
        .contains("HTTP 404"));
    assert!(app.healthy().await);
}
