//! PostgreSQL: the same migrations; two replicas on one database process
//! each job exactly once (`FOR UPDATE SKIP LOCKED` claims).

use std::time::Duration;

use crate::checks::completed;
use crate::harness::{pr_payload, spec, wait_until, App, AppOpts, Postgres};
use crate::mock::GitHubMock;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgres_do_each_job_once() {
    let Some(spec) = spec() else { return };
    if crate::harness::webhook_examples().is_none() {
        return;
    }
    let Some(pg) = Postgres::start() else { return };
    let gh = GitHubMock::start(spec).await;
    gh.with(|s| {
        s.set_file("t.pkr.hcl", crate::fixtures::INVALID);
        s.pr_files = vec![("t.pkr.hcl".into(), "modified".into())];
        s.delay = Some(Duration::from_millis(20));
    });
    let d1 = tempfile::tempdir().expect("tempdir");
    let d2 = tempfile::tempdir().expect("tempdir");
    let opts = |dir| AppOpts {
        api: Box::leak(gh.uri().into_boxed_str()),
        db: Box::leak(pg.url.clone().into_boxed_str()),
        dir,
        extra: vec![("KILN_WORKERS", "3".to_string())],
    };
    let a = App::start(&opts(d1.path()));
    let b = App::start(&opts(d2.path()));
    let n = 24i64;
    for i in 0..n {
        let sha = format!("{:040x}", 0xabc000 + i);
        let Some(p) = pr_payload("opened", 200 + i, &sha, 3) else {
            return;
        };
        let replica = if i % 2 == 0 { &a } else { &b };
        assert_eq!(
            replica
                .deliver("pull_request", &format!("pg-{i}"), &p)
                .await
                .0,
            202
        );
        // The load balancer redelivers some: dedupe across replicas.
        if i % 5 == 0 {
            let other = if i % 2 == 0 { &b } else { &a };
            assert_eq!(
                other
                    .deliver("pull_request", &format!("pg-{i}"), &p)
                    .await
                    .0,
                200
            );
        }
    }
    let done = completed(&gh, n as usize).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let done = gh.with(|s| s.completions()).len().max(done.len());
    assert_eq!(done, n as usize, "a job was completed twice");
    assert_eq!(gh.with(|s| s.count("POST", "/check-runs")), n as usize);
    // Both replicas took part (their counters move after GitHub answers).
    let counted = wait_until(Duration::from_secs(30), || async {
        a.metric("kiln_app_jobs_total{outcome=\"failure\"}").await
            + b.metric("kiln_app_jobs_total{outcome=\"failure\"}").await
            >= n as f64
    })
    .await;
    assert!(
        counted,
        "{}\n{}\n{}\n{}",
        a.metrics().await,
        b.metrics().await,
        a.log_text(),
        b.log_text()
    );
    let ja = a.metric("kiln_app_jobs_total{outcome=\"failure\"}").await;
    let jb = b.metric("kiln_app_jobs_total{outcome=\"failure\"}").await;
    assert_eq!(ja + jb, n as f64);
    assert!(
        ja > 0.0 && jb > 0.0,
        "one replica did everything: {ja} / {jb}"
    );
    assert_eq!(
        a.metric("kiln_app_queue_jobs{state=\"done\"}").await,
        n as f64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_semantics_match_on_sqlite_and_postgres() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut urls = vec![format!("sqlite://{}/s.db?mode=rwc", dir.path().display())];
    if let Some(pg) = &pg {
        urls.push(pg.url.clone());
    }
    for url in urls {
        store_semantics(&url).await;
    }
}

async fn store_semantics(url: &str) {
    use kiln_app::store::{Intake, IntakeOutcome, NewJob, Store};
    let store = Store::connect(url).await.expect("connect");
    // Migrations are idempotent.
    let store2 = Store::connect(url).await.expect("reconnect");
    let job = |sha: &str, pr: i64| NewJob {
        kind: kiln_app::job::JobKind::PullRequest,
        installation_id: 1,
        repo: kiln_app::ids::RepoName::parse("o/r").expect("repository name"),
        pr_key: format!("o/r#{pr}"),
        head_sha: sha.into(),
        payload: "{}".into(),
        skip_if_seen: false,
    };
    let item = |d: &str, j: NewJob| Intake {
        delivery_id: d.into(),
        event: "pull_request".into(),
        job: Some(j),
        install: None,
    };
    let out = store
        .record(&[
            item("s1", job("a", 1)),
            item("s1", job("a", 1)),
            item("s2", job("b", 1)),
            item("s3", job("c", 2)),
        ])
        .await
        .expect("record");
    assert_eq!(
        out,
        vec![
            IntakeOutcome::Recorded,
            IntakeOutcome::Duplicate,
            IntakeOutcome::Recorded,
            IntakeOutcome::Recorded
        ]
    );
    // A check_suite.requested for a SHA already queued is not queued again.
    let mut seen = job("c", 2);
    seen.skip_if_seen = true;
    assert_eq!(
        store.record(&[item("s5", seen)]).await.expect("record"),
        vec![IntakeOutcome::Recorded]
    );
    // "b" superseded "a" for PR 1.
    let lease = Duration::from_secs(1);
    let j1 = store.claim(lease).await.expect("claim").expect("job");
    assert_eq!((j1.pr_key.as_str(), j1.head_sha.as_str()), ("o/r#1", "b"));
    let j2 = store2.claim(lease).await.expect("claim").expect("job");
    assert_eq!(j2.head_sha, "c");
    // PR 1 gets a newer SHA while "b" runs: it waits for "b".
    store
        .record(&[item("s4", job("d", 1))])
        .await
        .expect("record");
    assert!(
        store.claim(lease).await.expect("claim").is_none(),
        "same PR ran concurrently"
    );
    assert!(store.finish(&j2, "done", "ok").await.expect("finish"));
    // j1's lease expires: re-claimed with a new token; the old holder can't finish.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let j1b = store2.claim(lease).await.expect("claim").expect("reclaim");
    assert_eq!(j1b.id, j1.id);
    assert_eq!(j1b.attempts, 2);
    assert!(!store.finish(&j1, "done", "late").await.expect("finish"));
    assert!(store2.finish(&j1b, "done", "ok").await.expect("finish"));
    let j3 = store.claim(lease).await.expect("claim").expect("job");
    assert_eq!(j3.head_sha, "d");
    assert!(store.finish(&j3, "done", "ok").await.expect("finish"));
    let stats = store.stats().await.expect("stats");
    assert_eq!(
        (stats.done, stats.superseded, stats.queued, stats.running),
        (3, 1, 0, 0)
    );
}
