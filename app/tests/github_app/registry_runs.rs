//! `workflow_run` intake: real `@octokit/webhooks-examples` payloads,
//! signed; the run's artifacts and the zip (302 to storage) from the mock;
//! the `kiln/images` check run; forks, unconfigured workflows, malformed
//! zips and manifests refused; a 5xx from storage mid-download retried.

use std::io::Write;
use std::time::Duration;

use serde_json::Value;

use crate::harness::{payloads, spec, wait_until, App, AppOpts};
use crate::mock::{Fault, GitHubMock};
use crate::registry::manifest;

const CONFIG: &str = "registry:\n  workflows: [test.yml]\n  artifact: kiln-manifest-*\n  channel: latest\n  labels: {team: platform}\n";

/// A `workflow_run` `completed` + `success` example (the repository's own
/// run), with an installation.
pub fn run_payload(installation: i64) -> Option<Value> {
    let mut p = payloads("workflow_run", Some("completed"))
        .into_iter()
        .find(|p| {
            p["workflow_run"]["conclusion"] == "success"
                && p["workflow_run"]["head_repository"]["full_name"] == p["repository"]["full_name"]
        })?;
    p["installation"] = serde_json::json!({"id": installation, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ=="});
    Some(p)
}

pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in files {
        w.start_file(
            *name,
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated),
        )
        .expect("zip entry");
        w.write_all(bytes).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

pub async fn setup(dir: &std::path::Path) -> Option<(GitHubMock, App)> {
    let spec = spec()?;
    crate::harness::webhook_examples()?;
    let gh = GitHubMock::start(spec).await;
    gh.with(|s| s.set_file(".github/kiln.yml", CONFIG));
    let db = format!("sqlite://{}/kiln.db?mode=rwc", dir.display());
    let app = App::start(&AppOpts {
        api: &gh.uri(),
        db: &db,
        dir,
        extra: vec![],
    });
    Some((gh, app))
}

/// The `kiln/images` check runs created or completed, as request bodies.
pub fn image_checks(gh: &GitHubMock) -> Vec<Value> {
    gh.with(|s| {
        s.log
            .iter()
            .filter(|l| {
                !l.faulted
                    && l.path.contains("/check-runs")
                    && l.body["status"] == "completed"
                    && (l.method == "PATCH" || l.body["name"] == "kiln/images")
            })
            .map(|l| l.body.clone())
            .collect()
    })
}

pub async fn wait_checks(gh: &GitHubMock, n: usize) -> Vec<Value> {
    wait_until(Duration::from_secs(60), || async {
        image_checks(gh).len() >= n
    })
    .await;
    image_checks(gh)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflow_run_manifest_is_recorded_with_a_check_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = setup(dir.path()).await else {
        return;
    };
    let Some(p) = run_payload(7) else { return };
    let sha = p["workflow_run"]["head_sha"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let m = manifest("run-wf", "ami-0f00d", "ami-0beef");
    gh.with(|s| {
        s.artifacts = vec![
            (
                21,
                "kiln-manifest-ubuntu".into(),
                zip_of(&[("packer-manifest.json", m.as_bytes())]),
            ),
            (22, "test-logs".into(), zip_of(&[("log.txt", b"x")])),
        ];
        // Storage fails once mid-download: retried.
        s.faults.push_back(Fault {
            method: "GET",
            path_contains: "/_storage/artifacts/21".into(),
            status: 503,
            headers: vec![],
            message: "Service Unavailable".into(),
            times: 1,
        });
    });
    assert_eq!(app.deliver("workflow_run", "wr-1", &p).await.0, 202);
    let checks = wait_checks(&gh, 1).await;
    assert_eq!(checks.len(), 1, "{}", app.log_text());
    let c = &checks[0];
    assert_eq!(c["name"], "kiln/images");
    assert_eq!(c["head_sha"], sha.as_str());
    assert_eq!(c["conclusion"], "success", "{c}");
    let summary = c["output"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("| `amazon-ebs.ubuntu` | eu-west-1 | `ami-0beef` | ubuntu |"),
        "{summary}"
    );
    assert!(
        gh.with(|s| s.count("GET", "/_storage/artifacts/21")) == 2,
        "retried once"
    );
    assert_eq!(
        gh.with(|s| s.count("GET", "/_storage/artifacts/22")),
        0,
        "only the manifest artifact"
    );
    let ch: Value = app
        .http
        .get(app.url("/api/v1/buckets/ubuntu/channels/latest"))
        .send()
        .await
        .expect("GET channel")
        .json()
        .await
        .expect("json");
    assert_eq!(ch["fingerprint"], sha.as_str());
    assert_eq!(ch["run_id"], p["workflow_run"]["id"]);
    assert_eq!(ch["images"]["us-east-1"], "ami-0f00d");
    assert_eq!(ch["labels"]["team"], "platform");

    // A redelivery of the same run records nothing new and updates the
    // same check run instead of creating another.
    assert_eq!(app.deliver("workflow_run", "wr-2", &p).await.0, 202);
    let checks = wait_checks(&gh, 2).await;
    assert_eq!(checks.len(), 2);
    assert_eq!(gh.with(|s| s.count("POST", "/check-runs")), 1);
    assert!(checks[1]["output"]["summary"]
        .as_str()
        .is_some_and(|s| s.contains("(0 new)")));
    let vs: Value = app
        .http
        .get(app.url("/api/v1/buckets/ubuntu/versions"))
        .send()
        .await
        .expect("GET versions")
        .json()
        .await
        .expect("json");
    assert_eq!(vs["versions"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        vs["versions"][0]["builds"].as_array().map(Vec::len),
        Some(2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_runs_and_malformed_artifacts_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = setup(dir.path()).await else {
        return;
    };
    let Some(p) = run_payload(7) else { return };
    gh.with(|s| {
        s.artifacts = vec![(
            31,
            "kiln-manifest-x".into(),
            zip_of(&[(
                "packer-manifest.json",
                manifest("r", "ami-1", "ami-2").as_bytes(),
            )]),
        )]
    });
    // Forks' and pull requests' runs: registry_trust.rs.
    // A failed run: ignored.
    let mut failed = p.clone();
    failed["workflow_run"]["conclusion"] = "failure".into();
    assert_eq!(
        app.deliver("workflow_run", "failed-1", &failed).await.0,
        200
    );
    // A workflow not listed in the default branch's kiln.yml: skipped.
    let mut other = p.clone();
    other["workflow_run"]["path"] = ".github/workflows/untrusted.yml".into();
    other["workflow_run"]["id"] = 999.into();
    assert_eq!(app.deliver("workflow_run", "other-1", &other).await.0, 202);
    let skipped = wait_until(Duration::from_secs(60), || async {
        app.metric("kiln_app_queue_jobs{state=\"done\"}").await >= 1.0
    })
    .await;
    assert!(skipped, "{}", app.log_text());
    assert_eq!(
        gh.with(|s| s.count("GET", "/artifacts")),
        0,
        "{}",
        app.log_text()
    );
    assert!(image_checks(&gh).is_empty());

    // Malformed zip, then malformed JSON inside a good zip.
    let cases: [(&str, Vec<u8>, &str); 2] = [
        (
            "bad-zip",
            b"PK\x03\x04 this is not a zip".to_vec(),
            "is not a valid zip archive",
        ),
        (
            "bad-json",
            zip_of(&[(
                "packer-manifest.json",
                b"{\n  \"builds\": [\n    {\"name\": 3}\n  ]\n}",
            )]),
            "packer-manifest.json: manifest 3:",
        ),
    ];
    for (i, (name, bytes, expect)) in cases.into_iter().enumerate() {
        gh.with(|s| s.artifacts = vec![(40 + i as i64, "kiln-manifest-x".into(), bytes)]);
        let mut q = p.clone();
        q["workflow_run"]["id"] = (5000 + i as i64).into();
        assert_eq!(app.deliver("workflow_run", name, &q).await.0, 202);
        let checks = wait_checks(&gh, i + 1).await;
        let c = &checks[i];
        assert_eq!(c["conclusion"], "failure", "{c}");
        let summary = c["output"]["summary"].as_str().unwrap_or_default();
        assert!(summary.contains(expect), "{name}: {summary}");
    }
    let (st, _) = {
        let r = app
            .http
            .get(app.url("/api/v1/buckets"))
            .send()
            .await
            .expect("GET buckets");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    };
    assert_eq!(st, 200);
    let b: Value = app
        .http
        .get(app.url("/api/v1/buckets"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("json");
    assert_eq!(
        b["buckets"].as_array().map(Vec::len),
        Some(0),
        "nothing recorded: {b}"
    );
}
