//! Webhook intake: signatures, headers, size cap, malformed JSON,
//! replays, unknown events — and nothing recorded on rejection.

use std::time::Duration;

use serde_json::json;

use crate::harness::{payloads, pr_payload, spec, wait_until, App, AppOpts, SECRET};
use crate::mock::GitHubMock;

async fn setup(dir: &std::path::Path) -> Option<(GitHubMock, App)> {
    let spec = spec()?;
    crate::harness::webhook_examples()?;
    let gh = GitHubMock::start(spec).await;
    gh.with(|s| s.set_file("a.pkr.hcl", crate::fixtures::VALID));
    let db = format!("sqlite://{}/kiln.db?mode=rwc", dir.display());
    let app = App::start(&AppOpts {
        api: &gh.uri(),
        db: &db,
        dir,
        extra: vec![("KILN_MAX_BODY_BYTES", "1048576".to_string())],
    });
    Some((gh, app))
}

const QUEUED_TOTAL: [&str; 3] = [
    "kiln_app_queue_jobs{state=\"queued\"}",
    "kiln_app_queue_jobs{state=\"running\"}",
    "kiln_app_queue_jobs{state=\"done\"}",
];

async fn jobs_total(app: &App) -> f64 {
    let mut n = 0.0;
    for s in QUEUED_TOTAL {
        n += app.metric(s).await;
    }
    n + app.metric("kiln_app_queue_jobs{state=\"failed\"}").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejects_bad_requests_without_side_effects() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = setup(dir.path()).await else {
        return;
    };
    let Some(payload) = pr_payload("opened", 1, "aaaa", 1) else {
        return;
    };
    let body = serde_json::to_vec(&payload).expect("json");
    let good_sig = kiln_app::signature::sign(SECRET.as_bytes(), &body);
    let h = |sig: Option<&str>, event: Option<&str>, delivery: Option<&str>| {
        let mut v: Vec<(&str, String)> = Vec::new();
        if let Some(s) = sig {
            v.push(("X-Hub-Signature-256", s.to_string()));
        }
        if let Some(e) = event {
            v.push(("X-GitHub-Event", e.to_string()));
        }
        if let Some(d) = delivery {
            v.push(("X-GitHub-Delivery", d.to_string()));
        }
        v
    };
    // Wrong secret, tampered body, missing signature, malformed header.
    let bad = kiln_app::signature::sign(b"not-the-secret", &body);
    assert_eq!(
        app.send_raw(
            &h(Some(&bad), Some("pull_request"), Some("d1")),
            body.clone()
        )
        .await
        .0,
        401
    );
    let mut tampered = body.clone();
    tampered[10] ^= 1;
    assert_eq!(
        app.send_raw(
            &h(Some(&good_sig), Some("pull_request"), Some("d1")),
            tampered
        )
        .await
        .0,
        401
    );
    assert_eq!(
        app.send_raw(&h(None, Some("pull_request"), Some("d1")), body.clone())
            .await
            .0,
        401
    );
    assert_eq!(
        app.send_raw(
            &h(Some("sha256=zz"), Some("pull_request"), Some("d1")),
            body.clone()
        )
        .await
        .0,
        401
    );
    // Missing event / delivery headers.
    assert_eq!(
        app.send_raw(&h(Some(&good_sig), None, Some("d1")), body.clone())
            .await
            .0,
        400
    );
    assert_eq!(
        app.send_raw(
            &h(Some(&good_sig), Some("pull_request"), None),
            body.clone()
        )
        .await
        .0,
        400
    );
    // Oversized body (cap is 1 MiB here): refused from its Content-Length,
    // before the body is read (raw HTTP, so the client waits for the answer).
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut sock = tokio::net::TcpStream::connect(&app.addr)
            .await
            .expect("connect");
        let head = format!(
            "POST /webhook HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nX-GitHub-Event: pull_request\r\nX-GitHub-Delivery: d2\r\nX-Hub-Signature-256: {good_sig}\r\nContent-Length: {}\r\n\r\n",
            app.addr,
            2 * 1024 * 1024
        );
        sock.write_all(head.as_bytes()).await.expect("write");
        let mut buf = vec![0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(30), sock.read(&mut buf))
            .await
            .expect("answer in time")
            .expect("read");
        let answer = String::from_utf8_lossy(&buf[..n]).to_string();
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    }
    // Malformed JSON, correctly signed.
    let junk = b"{\"action\": \"opened\", ".to_vec();
    let junk_sig = kiln_app::signature::sign(SECRET.as_bytes(), &junk);
    let (st, msg) = app
        .send_raw(&h(Some(&junk_sig), Some("pull_request"), Some("d3")), junk)
        .await;
    assert_eq!(st, 400, "{msg}");
    assert!(msg.contains("malformed JSON"), "{msg}");
    // Nothing was recorded or sent to GitHub.
    assert_eq!(jobs_total(&app).await, 0.0);
    assert_eq!(
        app.metric("kiln_app_webhooks_total{outcome=\"bad_signature\"}")
            .await,
        4.0
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(gh.with(|s| s.log.is_empty()), "GitHub was called");
    // A delivery signed with the rotated (second) secret is accepted.
    let (st, _) = app.deliver("pull_request", "d4", &payload).await;
    assert_eq!(st, 202);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_is_acknowledged_not_rerun_and_unknown_events_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = setup(dir.path()).await else {
        return;
    };
    let Some(payload) = pr_payload("opened", 7, "bbbb", 1) else {
        return;
    };
    let (st, _) = app.deliver("pull_request", "dup-1", &payload).await;
    assert_eq!(st, 202);
    let (st, msg) = app.deliver("pull_request", "dup-1", &payload).await;
    assert_eq!((st, msg.trim()), (200, "duplicate delivery"));
    assert!(
        wait_until(Duration::from_secs(60), || async {
            gh.with(|s| s.completions().len()) >= 1
        })
        .await
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        gh.with(|s| s.count("POST", "/check-runs")),
        1,
        "replay re-ran the job"
    );
    assert_eq!(jobs_total(&app).await, 1.0);
    // Unknown events and uninteresting actions: 200, ignored.
    for (event, p) in [
        ("push", payloads("push", None).into_iter().next()),
        (
            "issues",
            payloads("issues", Some("opened")).into_iter().next(),
        ),
        (
            "pull_request",
            payloads("pull_request", Some("closed")).into_iter().next(),
        ),
        ("made_up_event", Some(json!({"zen": "x"}))),
    ] {
        let Some(p) = p else { continue };
        let (st, msg) = app
            .deliver(event, &format!("ign-{event}-{}", p["action"]), &p)
            .await;
        assert_eq!(st, 200, "{event}: {msg}");
        assert!(msg.starts_with("ignored"), "{event}: {msg}");
    }
    assert_eq!(jobs_total(&app).await, 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_payload_of_handled_events_is_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((_gh, app)) = setup(dir.path()).await else {
        return;
    };
    let mut n = 0;
    for (event, actions) in [
        (
            "pull_request",
            vec!["opened", "synchronize", "reopened", "ready_for_review"],
        ),
        ("check_suite", vec!["requested", "rerequested"]),
        ("check_run", vec!["rerequested"]),
        (
            "installation",
            vec!["created", "deleted", "suspend", "unsuspend"],
        ),
        ("installation_repositories", vec!["added", "removed"]),
    ] {
        for a in actions {
            for (i, p) in payloads(event, Some(a)).into_iter().enumerate() {
                let (st, msg) = app.deliver(event, &format!("ex-{event}-{a}-{i}"), &p).await;
                assert!(
                    st == 202 || (st == 200 && msg.starts_with("ignored")),
                    "{event}.{a}[{i}]: {st} {msg}"
                );
                n += 1;
            }
        }
    }
    assert!(n >= 10, "only {n} example payloads found");
    assert!(
        app.metric("kiln_app_webhooks_total{outcome=\"accepted\"}")
            .await
            >= 5.0
    );
    assert!(app.healthy().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_installation_is_remembered_and_its_events_not_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = setup(dir.path()).await else {
        return;
    };
    let Some(mut del) = payloads("installation", Some("deleted")).into_iter().next() else {
        return;
    };
    del["installation"]["id"] = 555.into();
    assert_eq!(app.deliver("installation", "inst-del", &del).await.0, 202);
    let Some(p) = pr_payload("opened", 5, "cccc", 555) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "inst-pr", &p).await.0, 202);
    let failed = wait_until(Duration::from_secs(60), || async {
        app.metric("kiln_app_queue_jobs{state=\"failed\"}").await >= 1.0
    })
    .await;
    assert!(failed, "{}", app.log_text());
    assert!(app.log_text().contains("uninstalled or suspended"));
    assert!(
        gh.with(|s| s.log.is_empty()),
        "GitHub was called for a removed installation"
    );
    // Re-installed (created): its events run again.
    let Some(mut created) = payloads("installation", Some("created")).into_iter().next() else {
        return;
    };
    created["installation"]["id"] = 555.into();
    assert_eq!(
        app.deliver("installation", "inst-new", &created).await.0,
        202
    );
    let Some(p) = pr_payload("synchronize", 5, "dddd", 555) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "inst-pr2", &p).await.0, 202);
    assert!(
        wait_until(Duration::from_secs(60), || async {
            gh.with(|s| s.completions().len()) >= 1
        })
        .await
    );
}
