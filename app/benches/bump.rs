//! Bump pull request for 50 regions × 5 tfvars files: the bump job
//! (kiln-app's own code, in process) reads the default branch from the
//! stateful GitHub mock, plans the edit, writes blobs → tree → commit →
//! branch and opens (then updates) the pull request. Prints the time of
//! each run and the median / max; the target is ≤ 2 s per run.
//! Run: `cargo bench -p kiln-app --bench bump`.

#[path = "../tests/github_app/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../tests/github_app/mock.rs"]
#[allow(dead_code)]
mod mock;

use std::time::{Duration, Instant};

use kiln_app::bump::{self, BumpJob};
use kiln_app::github::{GitHubApp, RetryPolicy};
use kiln_app::ids::RepoName;
use kiln_app::job::JobCtx;
use kiln_app::registry::manifest::{versions, Provenance};
use kiln_app::registry::store::Registry;
use kiln_app::store::Store;
use mock::GitHubMock;

const REGIONS: usize = 50;
const FILES: usize = 5;
const RUNS: usize = 7;
const REPO: &str = "octo-org/octo-repo";

fn region(i: usize) -> String {
    format!("zz-region-{i:02}")
}

/// A tfvars file with a map of `REGIONS` images, comments and aligned.
fn tfvars(env: usize) -> String {
    let mut t = format!("# environment {env}\ninstance_type = \"t3.micro\"\n\nami_ids = {{\n");
    for r in 0..REGIONS {
        t.push_str(&format!(
            "  {:<14} = \"ami-{env:02}old{r:04}\" # region {r}\n",
            region(r)
        ));
    }
    t.push_str("}\n");
    t
}

fn manifest(gen: usize) -> String {
    let ids: Vec<String> = (0..REGIONS)
        .map(|r| format!("{}:ami-{gen:04}new{r:04}", region(r)))
        .collect();
    serde_json::json!({
        "builds": [{"name": "base", "builder_type": "amazon-ebs", "artifact_id": ids.join(","),
                    "packer_run_uuid": format!("run-{gen}")}],
        "last_run_uuid": format!("run-{gen}"),
    })
    .to_string()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let Some(spec) = harness::spec() else {
        eprintln!("peers missing: run scripts/test.sh once (npm packages under target/peers/node)");
        return;
    };
    let gh = GitHubMock::start(spec).await;
    gh.with(|s| {
        s.set_file(
            ".github/kiln.yml",
            "bump:\n  - {build: base, files: \"envs/*.tfvars\", variable: ami_ids}\nbump_labels: [images]\n",
        );
        for env in 0..FILES {
            s.set_file(&format!("envs/env{env}.tfvars"), &tfvars(env));
        }
        s.commit_default("main");
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let key = std::fs::read(harness::rsa_key(dir.path())).expect("key");
    let app = GitHubApp::new(
        &gh.uri(),
        "4242",
        &key,
        RetryPolicy {
            retries: 2,
            base: Duration::from_millis(50),
            max_wait: Duration::from_secs(1),
        },
    )
    .expect("app");
    let inst = app.installation(7).await.expect("installation");
    let store = Store::connect(&format!(
        "sqlite://{}/kiln.db?mode=rwc",
        dir.path().display()
    ))
    .await
    .expect("store");
    let mut times = Vec::new();
    for gen in 1..=RUNS {
        let sha = format!("{gen:040}");
        let vs = versions(
            manifest(gen).as_bytes(),
            &Provenance {
                repo: REPO.into(),
                git_sha: sha.clone(),
                bucket: Some("base".into()),
                commit_order: i64::try_from(gen).unwrap_or(0) * 1000,
                ..Provenance::default()
            },
        )
        .expect("versions");
        Registry::new(&store).record(&vs).await.expect("record");
        let job = BumpJob {
            repo: RepoName::parse(REPO).expect("repository name"),
            bucket: "base".into(),
            default_branch: "main".into(),
            head_sha: sha.into(),
            run_id: Some(i64::try_from(gen).unwrap_or(0)),
            html_url: format!("https://github.com/{REPO}/actions/runs/{gen}"),
            revoked: None,
        };
        bump::enqueue(&store, 7, format!("bench-{gen}"), &job)
            .await
            .expect("enqueue");
        let claimed = store
            .claim(Duration::from_secs(60))
            .await
            .expect("claim")
            .expect("a job");
        let ctx = JobCtx {
            gh: &inst,
            store: &store,
            job: &claimed,
            check_name: "kiln",
        };
        let t = Instant::now();
        let done = bump::job::process(&ctx).await;
        let took = t.elapsed();
        let done = done.expect("bump job");
        store
            .finish(&claimed, "done", &done.summary)
            .await
            .expect("finish");
        let (pulls, body_ok) = gh.with(|s| {
            (
                s.opened_pulls.len(),
                s.opened_pulls
                    .first()
                    .is_some_and(|p| p.body.matches("new").count() >= REGIONS * FILES),
            )
        });
        assert_eq!(done.conclusion, "success", "{}", done.summary);
        assert!(pulls == 1 && body_ok, "one PR with every change");
        println!(
            "bump run {gen} ({}): {REGIONS} regions x {FILES} tfvars files in {:.1} ms",
            if gen == 1 {
                "opens the PR"
            } else {
                "updates it"
            },
            took.as_secs_f64() * 1000.0
        );
        times.push(took);
    }
    times.sort();
    let median = times[times.len() / 2];
    let max = times[times.len() - 1];
    println!(
        "bump PR {REGIONS} regions x {FILES} files: median {:.1} ms, max {:.1} ms (target <= 2000 ms): {}",
        median.as_secs_f64() * 1000.0,
        max.as_secs_f64() * 1000.0,
        if max <= Duration::from_secs(2) { "ok" } else { "TOO SLOW" }
    );
}
