//! Runs whose artifacts cannot be trusted — a fork's, one triggered by a
//! pull request, one on another branch than the default — are refused
//! with a `kiln/images` check run saying why, when their workflow feeds
//! the registry; nothing is downloaded or recorded. Unlisted workflows
//! stay silent. API tokens never reach the logs, even at trace level.

use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{spec, wait_until, App, AppOpts};
use crate::mock::GitHubMock;
use crate::registry::{manifest, post_manifest};
use crate::registry_runs::{image_checks, run_payload, setup, wait_checks, zip_of};

async fn bucket_count(app: &App) -> Option<usize> {
    let b: Value = app
        .http
        .get(app.url("/api/v1/buckets"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    b["buckets"].as_array().map(Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_runs_of_a_listed_workflow_are_refused_in_the_check_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = setup(dir.path()).await else {
        return;
    };
    let Some(p) = run_payload(7) else { return };
    let default = p["repository"]["default_branch"]
        .as_str()
        .unwrap_or("master")
        .to_string();
    assert_eq!(p["workflow_run"]["head_branch"], default.as_str());
    // A valid manifest: had any of these runs been trusted, it would be
    // recorded.
    let m = manifest("r-untrusted", "ami-0aaa", "ami-0bbb");
    gh.with(|s| {
        s.artifacts = vec![(
            71,
            "kiln-manifest-x".into(),
            zip_of(&[("packer-manifest.json", m.as_bytes())]),
        )]
    });
    let edit = |f: &dyn Fn(&mut Value), id: i64| {
        let mut q = p.clone();
        f(&mut q);
        q["workflow_run"]["id"] = id.into();
        q
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "fork",
            edit(
                &|q| {
                    q["workflow_run"]["head_repository"]["full_name"] = "evil-fork/octo-repo".into()
                },
                7001,
            ),
            "head repository evil-fork/octo-repo is not",
        ),
        (
            "pull-request",
            edit(
                &|q| {
                    q["workflow_run"]["event"] = "pull_request".into();
                    q["workflow_run"]["head_branch"] = "feature".into();
                },
                7002,
            ),
            "triggered by a `pull_request` event",
        ),
        (
            "pull-request-target",
            edit(
                &|q| q["workflow_run"]["event"] = "pull_request_target".into(),
                7003,
            ),
            "triggered by a `pull_request_target` event",
        ),
        (
            "other-branch",
            edit(
                &|q| {
                    q["workflow_run"]["event"] = "push".into();
                    q["workflow_run"]["head_branch"] = "feature/x".into();
                },
                7004,
            ),
            "on branch \"feature/x\", not the default branch",
        ),
    ];
    for (i, (name, q, expect)) in cases.iter().enumerate() {
        assert_eq!(app.deliver("workflow_run", name, q).await.0, 202, "{name}");
        let checks = wait_checks(&gh, i + 1).await;
        assert_eq!(checks.len(), i + 1, "{name}: {}", app.log_text());
        let c = &checks[i];
        assert_eq!(c["conclusion"], "failure", "{name}: {c}");
        assert_eq!(c["output"]["title"], "The build manifest was not recorded");
        let summary = c["output"]["summary"].as_str().unwrap_or_default();
        assert!(summary.contains(*expect), "{name}: {summary}");
        assert_eq!(c["external_id"], format!("run-{}", 7001 + i));
    }
    assert_eq!(
        gh.with(|s| s.count("GET", "/artifacts")),
        0,
        "an untrusted run's artifacts were listed"
    );
    assert_eq!(bucket_count(&app).await, Some(0), "nothing recorded");

    // A fork's run of a workflow that does not feed the registry: no
    // check run (runs of other workflows stay silent).
    let mut other = edit(
        &|q| q["workflow_run"]["head_repository"]["full_name"] = "evil-fork/octo-repo".into(),
        7005,
    );
    other["workflow_run"]["path"] = ".github/workflows/lint.yml".into();
    assert_eq!(
        app.deliver("workflow_run", "fork-lint", &other).await.0,
        202
    );
    let done = wait_until(Duration::from_secs(60), || async {
        app.metric("kiln_app_queue_jobs{state=\"done\"}").await >= 5.0
    })
    .await;
    assert!(done, "{}", app.log_text());
    assert_eq!(image_checks(&gh).len(), 4);

    // The same repository's run on the default branch is recorded.
    assert_eq!(app.deliver("workflow_run", "trusted", &p).await.0, 202);
    let checks = wait_checks(&gh, 5).await;
    assert_eq!(checks[4]["conclusion"], "success", "{}", checks[4]);
    assert_eq!(bucket_count(&app).await, Some(2));

    // `registry.branches` trusts more branches (here release/*).
    gh.with(|s| {
        s.set_file(
            ".github/kiln.yml",
            "registry:\n  workflows: [test.yml]\n  branches: [release/*]\n",
        )
    });
    let release = edit(
        &|q| {
            q["workflow_run"]["event"] = "push".into();
            q["workflow_run"]["head_branch"] = "release/7".into();
        },
        7006,
    );
    assert_eq!(
        app.deliver("workflow_run", "release", &release).await.0,
        202
    );
    let feature = edit(
        &|q| q["workflow_run"]["head_branch"] = "feature/y".into(),
        7007,
    );
    assert_eq!(
        app.deliver("workflow_run", "feature", &feature).await.0,
        202
    );
    let checks = wait_checks(&gh, 7).await;
    let by_run = |id: i64| {
        checks
            .iter()
            .find(|c| c["external_id"] == format!("run-{id}"))
            .cloned()
            .unwrap_or_else(|| panic!("no check run for {id}: {checks:#?}"))
    };
    assert_eq!(by_run(7006)["conclusion"], "success");
    let f = by_run(7007);
    assert_eq!(f["conclusion"], "failure");
    assert!(
        f["output"]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("nor one of registry.branches (release/*)")),
        "{f}"
    );
}

/// Every use of a token — created, accepted, refused for another
/// repository, malformed — with the app logging at trace level: the
/// token strings appear nowhere in its output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_tokens_never_appear_in_logs_at_trace_level() {
    let Some(spec) = spec() else { return };
    let gh = GitHubMock::start(spec).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}/kiln.db?mode=rwc", dir.path().display());
    let create = |repo: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiln-app"))
            .current_dir(dir.path())
            .env_clear()
            .env("KILN_DATABASE_URL", &db)
            .env("KILN_LOG", "trace")
            .args(["token", "create", "--repo", repo])
            .output()
            .expect("token create");
        assert!(out.status.success());
        let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(token.starts_with("kiln_"), "{token}");
        assert!(
            !err.contains(&token),
            "token create logged the token: {err}"
        );
        assert!(err.contains("created a registry token"), "{err}");
        token
    };
    let token = create("octo-org/images");
    let other = create("octo-org/other");
    let app = App::start(&AppOpts {
        api: &gh.uri(),
        db: &db,
        dir: dir.path(),
        extra: vec![("KILN_LOG", "trace".to_string())],
    });
    let body = json!({
        "repo": "octo-org/images",
        "sha": "abc123",
        "manifest": manifest("r1", "ami-01", "ami-02"),
        "channel": "prod",
    });
    assert_eq!(post_manifest(&app, &token, &body).await.0, 201);
    assert_eq!(post_manifest(&app, &other, &body).await.0, 403);
    let bogus = "kiln_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_eq!(post_manifest(&app, bogus, &body).await.0, 401);
    for t in [&token, &other] {
        let r = app
            .http
            .put(app.url("/api/v1/buckets/ubuntu/channels/stable"))
            .header("authorization", format!("bearer {t}"))
            .json(&json!({"fingerprint": "abc123"}))
            .send()
            .await
            .expect("PUT channel");
        assert!(r.status().as_u16() == 200 || r.status().as_u16() == 403);
    }
    let r = app
        .http
        .post(app.url("/api/v1/buckets/ubuntu/versions/abc123/revoke"))
        .bearer_auth(&token)
        .json(&json!({"reason": "test", "revoke_at": "2099-01-01T00:00:00Z"}))
        .send()
        .await
        .expect("revoke");
    assert_eq!(r.status().as_u16(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let logs = app.log_text();
    // The capture works, at trace level.
    assert!(logs.contains("manifest recorded"), "{logs}");
    assert!(logs.contains("TRACE"), "not at trace level: {logs}");
    for (what, t) in [
        ("token", token.as_str()),
        ("other", &other),
        ("bogus", bogus),
    ] {
        assert!(!logs.contains(t), "the {what} token was logged");
        assert!(
            !logs.contains(&t[5..25]),
            "part of the {what} token was logged"
        );
    }
}
