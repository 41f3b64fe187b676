//! prism serving `@octokit/openapi`: every request kiln-app sends must
//! validate against GitHub's own description (prism answers 422 / 4xx
//! otherwise), both from the running binary and from the client calls
//! with bodies built by kiln-app's reporting code.

use std::time::Duration;

use crate::harness::{pr_payload, wait_until, App, AppOpts, Prism};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_validates_against_githubs_openapi() {
    if crate::harness::webhook_examples().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(prism) = Prism::start("mock", &[], &dir.path().join("prism.log")).await else {
        return;
    };
    let url = prism.url.clone();

    // 1. The binary end to end: token, tree, config, files, check run.
    let db = format!("sqlite://{}/kiln.db?mode=rwc", dir.path().display());
    let app = App::start(&AppOpts {
        api: &url,
        db: &db,
        dir: dir.path(),
        extra: vec![
            ("KILN_HTTP_RETRIES", "0".into()),
            ("KILN_MAX_ATTEMPTS", "1".into()),
        ],
    });
    let Some(p) = pr_payload(
        "opened",
        1347,
        "6dcb09b5b57875f334f61aebed695e2e4193db5e",
        1,
    ) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "prism-1", &p).await.0, 202);
    let finished = wait_until(Duration::from_secs(240), || async {
        app.metric("kiln_app_queue_jobs{state=\"done\"}").await
            + app.metric("kiln_app_queue_jobs{state=\"failed\"}").await
            >= 1.0
    })
    .await;
    assert!(finished, "{}", app.log_text());
    assert_eq!(
        app.metric("kiln_app_queue_jobs{state=\"done\"}").await,
        1.0,
        "{}",
        app.log_text()
    );

    // 2. Every other call, with bodies from kiln-app's reporting code.
    let key = std::fs::read(dir.path().join("app-key.pem")).expect("key");
    let gh = kiln_app::github::GitHubApp::new(
        &url,
        "4242",
        &key,
        kiln_app::github::RetryPolicy {
            retries: 0,
            base: Duration::from_millis(10),
            max_wait: Duration::from_secs(1),
        },
    )
    .expect("app");
    let inst = gh.installation(1).await.expect("installation token");
    let repo = &kiln_app::ids::RepoName::parse("octocat/Hello-World").expect("repository name");
    inst.pr_files(repo, 1347).await.expect("list files");
    inst.tree(repo, "6dcb09b5b57875f334f61aebed695e2e4193db5e")
        .await
        .expect("tree");
    inst.tree_listing(repo, "6dcb09b5b57875f334f61aebed695e2e4193db5e", false)
        .await
        .expect("non-recursive tree");
    inst.pulls_for_commit(repo, "6dcb09b5b57875f334f61aebed695e2e4193db5e")
        .await
        .expect("pulls for a commit, then the pulls list");
    inst.blob(repo, "3a0f86fb8db8eea7ccbb9a95f325ddbedfb25e15")
        .await
        .expect("blob");
    inst.check_runs_for_ref(repo, "6dcb09b5b57875f334f61aebed695e2e4193db5e", "kiln")
        .await
        .expect("check runs for ref");
    let comments = inst.comments(repo, 1347).await.expect("comments");
    assert!(!comments.is_empty());

    // A real report: the engine on a broken template.
    let work = tempfile::tempdir().expect("tempdir");
    kiln_app::check::workspace::write(
        work.path(),
        "t/main.pkr.hcl",
        crate::fixtures::INVALID.as_bytes(),
    )
    .expect("write");
    kiln_app::check::workspace::write(
        work.path(),
        "t/vars.pkr.hcl",
        crate::fixtures::UNFORMATTED_VARS.as_bytes(),
    )
    .expect("write");
    let affected = kiln_app::check::templates::Affected {
        dir: "t".into(),
        var_files: vec![],
        changed: vec!["t/main.pkr.hcl".into(), "t/vars.pkr.hcl".into()],
        legacy: None,
    };
    let rep = kiln_app::check::check_template(work.path(), &affected, &Default::default());
    assert!(rep.errors >= 1 && rep.fmt.len() == 1);
    let o = kiln_app::check::report::outcome(std::slice::from_ref(&rep));
    let id = inst
        .create_check_run(
            repo,
            &serde_json::json!({"name": "kiln", "head_sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e", "status": "in_progress",
                "output": {"title": "Checking", "summary": "…"}}),
        )
        .await
        .expect("create check run");
    inst.update_check_run(
        repo,
        id,
        &serde_json::json!({"status": "completed", "conclusion": o.conclusion,
            "output": {"title": o.title, "summary": o.summary, "text": o.text, "annotations": o.annotations}}),
    )
    .await
    .expect("complete check run with annotations");
    let body = kiln_app::check::sticky::comment_markdown(&o, std::slice::from_ref(&rep), "6dcb09b");
    let part =
        &kiln_app::check::sticky::split_comment(&body, kiln_app::check::report::GITHUB_TEXT_LIMIT)
            [0];
    let cid = inst
        .create_comment(repo, 1347, part)
        .await
        .expect("create comment");
    inst.update_comment(repo, cid, part)
        .await
        .expect("PATCH comment");
    inst.delete_comment(repo, cid)
        .await
        .expect("delete comment");

    // The registry's calls: a run's artifacts, the artifact download
    // (prism answers its 302; not followed: it points off the machine),
    // and the kiln/images check run with a body from the registry's code.
    let arts = inst
        .run_artifacts(repo, 30433642)
        .await
        .expect("list workflow run artifacts");
    assert!(!arts.is_empty());
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let dl = no_redirect
        .get(format!(
            "{url}/repos/{repo}/actions/artifacts/{}/zip",
            arts[0].id
        ))
        .header("Authorization", "Bearer x")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .send()
        .await
        .expect("download artifact");
    assert_eq!(dl.status().as_u16(), 302, "{:?}", dl.text().await);
    let run_job = kiln_app::registry::webhook::RunJob {
        repo: repo.clone(),
        run_id: 30433642,
        head_sha: "6dcb09b5b57875f334f61aebed695e2e4193db5e".into(),
        workflow_path: ".github/workflows/kiln-build.yml".into(),
        default_branch: "main".into(),
        commit_order: 0,
        html_url: "https://github.com/octocat/Hello-World/actions/runs/30433642".into(),
        untrusted: None,
        head_branch: "main".into(),
    };
    let m = crate::registry::manifest("r1", "ami-0a", "ami-0b");
    let vs = kiln_app::registry::manifest::versions(
        m.as_bytes(),
        &kiln_app::registry::manifest::Provenance {
            repo: repo.to_string(),
            git_sha: run_job.head_sha.to_string(),
            ..Default::default()
        },
    )
    .expect("versions");
    let table = kiln_app::registry::runs::table(&vs, &[]);
    let body = kiln_app::registry::runs::check_run_body(
        &run_job,
        "success",
        "3 image(s) recorded",
        &table,
    );
    inst.create_check_run(repo, &body)
        .await
        .expect("create kiln/images check run");

    // And prism does refuse an invalid request (the check is real).
    let bad = inst
        .update_check_run(repo, id, &serde_json::json!({"status": "not-a-status"}))
        .await;
    assert!(
        bad.as_ref()
            .err()
            .and_then(|e| e.status())
            .is_some_and(|s| (400..500).contains(&s)),
        "{bad:?}"
    );
}
