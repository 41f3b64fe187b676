//! The image registry: storage semantics on SQLite and PostgreSQL
//! (idempotent intake, channels that only move forward under concurrent
//! runs, revocation, bucket ownership) and the REST API of the binary
//! (tokens, `POST /api/v1/manifests`, channels, revocation).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use kiln_app::registry::manifest::{versions, Provenance};
use kiln_app::registry::store::{Registry, RegistryError};
use kiln_app::store::Store;

use crate::harness::{spec, App, AppOpts, Postgres};
use crate::mock::GitHubMock;

/// A Packer manifest (`packer-manifest.json`) of one amazon-ebs build in
/// two regions and one docker build, from run `run`.
pub fn manifest(run: &str, ami_east: &str, ami_west: &str) -> String {
    json!({
        "builds": [
            {"name": "ubuntu", "builder_type": "amazon-ebs", "build_time": 1700000000,
             "files": null, "artifact_id": format!("us-east-1:{ami_east},eu-west-1:{ami_west}"),
             "packer_run_uuid": run, "custom_data": {"source_image": "ami-base0001"}},
            {"name": "web", "builder_type": "docker", "build_time": 1700000000,
             "files": null, "artifact_id": format!("sha256:{run}"),
             "packer_run_uuid": run, "custom_data": null}
        ],
        "last_run_uuid": run
    })
    .to_string()
}

fn prov(repo: &str, sha: &str, order: i64, channel: Option<&str>) -> Provenance {
    Provenance {
        repo: repo.into(),
        git_sha: sha.into(),
        channel: channel.map(String::from),
        commit_order: order,
        labels: BTreeMap::from([("os".to_string(), "ubuntu".to_string())]),
        ..Provenance::default()
    }
}

async fn urls(pg: &Option<Postgres>, dir: &std::path::Path) -> Vec<String> {
    let mut urls = vec![format!("sqlite://{}/r.db?mode=rwc", dir.display())];
    if let Some(pg) = pg {
        urls.push(pg.url.clone());
    }
    urls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_semantics_match_on_sqlite_and_postgres() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().expect("tempdir");
    for url in urls(&pg, dir.path()).await {
        semantics(&url).await;
        concurrent_runs(&url).await;
    }
}

async fn semantics(url: &str) {
    let reg = Registry::new(&Store::connect(url).await.expect("connect"));
    let m1 = manifest("run-1", "ami-0e1", "ami-0w1");
    let v1 = versions(m1.as_bytes(), &prov("o/r", "sha1", 1000, Some("prod"))).expect("m1");
    let r = reg.record(&v1).await.expect("record");
    assert_eq!(r.len(), 2, "one version per bucket (build name)");
    assert!(r.iter().all(|r| r.version_created && r.channel_moved));
    assert_eq!(r[0].builds_recorded, 2);
    // The same manifest again records nothing.
    let again = reg.record(&v1).await.expect("record again");
    assert!(again
        .iter()
        .all(|r| !r.version_created && r.builds_recorded == 0 && !r.channel_moved));
    let vs = reg
        .versions("ubuntu")
        .await
        .expect("versions")
        .expect("bucket");
    assert_eq!(vs.len(), 1);
    assert_eq!(vs[0].builds.len(), 2);
    assert_eq!(
        vs[0].images.get("us-east-1").map(String::as_str),
        Some("ami-0e1")
    );
    assert_eq!(vs[0].labels.get("os").map(String::as_str), Some("ubuntu"));
    assert_eq!(vs[0].source_image.as_deref(), Some("ami-base0001"));

    // A later commit moves the channel; an older one arriving late does not.
    let m2 = manifest("run-2", "ami-0e2", "ami-0w2");
    reg.record(&versions(m2.as_bytes(), &prov("o/r", "sha2", 3000, Some("prod"))).expect("m2"))
        .await
        .expect("record 2");
    let m0 = manifest("run-0", "ami-0e0", "ami-0w0");
    let late = reg
        .record(&versions(m0.as_bytes(), &prov("o/r", "sha0", 2000, Some("prod"))).expect("m0"))
        .await
        .expect("record late");
    assert!(late.iter().all(|r| r.version_created && !r.channel_moved));
    let ch = reg
        .channel("ubuntu", "prod")
        .await
        .expect("channel")
        .expect("prod");
    assert_eq!(ch.version.fingerprint, "sha2");
    assert_eq!(ch.version.images["eu-west-1"], "ami-0w2");

    // Ancestry: a bucket built FROM one of ubuntu's images.
    let child = json!({"builds": [{"name": "app", "builder_type": "amazon-ebs",
        "artifact_id": "us-east-1:ami-child1", "packer_run_uuid": "c1", "custom_data": {"source_image": "ami-0e2"}}],
        "last_run_uuid": "c1"})
    .to_string();
    reg.record(&versions(child.as_bytes(), &prov("o/r", "sha9", 1, None)).expect("child"))
        .await
        .expect("record child");
    let c = reg.version("app", "sha9").await.expect("v").expect("app");
    let parent = c.parent.expect("parent resolved");
    assert_eq!(
        (parent.bucket_name.as_str(), parent.fingerprint.as_str()),
        ("ubuntu", "sha2")
    );

    // Another repository cannot write into o/r's bucket; nothing half-written.
    let other = versions(m2.as_bytes(), &prov("x/y", "sha7", 9000, Some("prod"))).expect("x");
    let err = reg.record(&other).await.expect_err("not the owner");
    assert!(matches!(err, RegistryError::NotOwner { .. }), "{err}");
    assert!(reg.bucket("web").await.expect("b").is_some());
    assert_eq!(
        reg.versions("web").await.expect("v").expect("web").len(),
        3,
        "the refused manifest added nothing"
    );

    // Revocation: scheduled in the future is served; passed is not.
    let future = kiln_app::store::now_ms() + 3_600_000;
    reg.revoke("ubuntu", "sha2", Some(future), "CVE later")
        .await
        .expect("schedule");
    let ch = reg
        .channel("ubuntu", "prod")
        .await
        .expect("c")
        .expect("prod");
    assert!(!ch.version.revoked && ch.version.revoke_at.is_some());
    reg.revoke("ubuntu", "sha2", None, "CVE-2024-0001")
        .await
        .expect("revoke");
    let ch = reg
        .channel("ubuntu", "prod")
        .await
        .expect("c")
        .expect("prod");
    assert!(ch.version.revoked);
    assert_eq!(ch.version.revoke_reason.as_deref(), Some("CVE-2024-0001"));
    let err = reg
        .assign_channel("ubuntu", "prod", "sha2", "t")
        .await
        .expect_err("revoked cannot be assigned");
    assert!(matches!(err, RegistryError::Revoked { .. }));
    reg.assign_channel("ubuntu", "prod", "sha1", "t")
        .await
        .expect("back to sha1");
    let b = reg.bucket("ubuntu").await.expect("b").expect("ubuntu");
    assert_eq!(b.channels["prod"], "sha1");
    assert_eq!(
        b.latest_fingerprint.as_deref(),
        Some("sha0"),
        "newest unrevoked"
    );
    // A revoked version takes no more builds.
    let err = reg
        .record(&versions(m2.as_bytes(), &prov("o/r", "sha2", 3000, None)).expect("m2"))
        .await
        .expect_err("revoked");
    assert!(matches!(err, RegistryError::Revoked { .. }));
}

/// Concurrent runs for one bucket (several pools, as several replicas):
/// every version is recorded and the channel ends at the latest commit.
async fn concurrent_runs(url: &str) {
    let n = 12i64;
    let mut tasks = Vec::new();
    for i in 0..n {
        // A pool per run, as replicas would have.
        let reg = Registry::new(&Store::connect(url).await.expect("connect"));
        tasks.push(tokio::spawn(async move {
            let m = json!({"builds": [{"name": "busy", "builder_type": "amazon-ebs",
                "artifact_id": format!("us-east-1:ami-c{i:04}"), "packer_run_uuid": format!("r{i}")}],
                "last_run_uuid": format!("r{i}")})
            .to_string();
            // Commit order is unrelated to finishing order.
            let order = (i * 7919) % n;
            let v = versions(m.as_bytes(), &prov("o/r", &format!("c{i}"), order, Some("latest")))
                .expect("versions");
            reg.record(&v).await.expect("concurrent record")
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let reg = Registry::new(&Store::connect(url).await.expect("connect"));
    let vs = reg.versions("busy").await.expect("v").expect("busy");
    assert_eq!(vs.len(), n as usize, "a concurrent run was lost");
    let top = (0..n).max_by_key(|i| (i * 7919) % n).expect("max");
    let ch = reg
        .channel("busy", "latest")
        .await
        .expect("c")
        .expect("latest");
    assert_eq!(
        ch.version.fingerprint,
        format!("c{top}"),
        "channel lost an update"
    );
}

/// `kiln-app token create`, run like an operator would.
pub fn create_token(db: &str, dir: &std::path::Path, repo: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiln-app"))
        .current_dir(dir)
        .env_clear()
        .env("KILN_DATABASE_URL", db)
        .args(["token", "create", "--repo", repo])
        .output()
        .expect("kiln-app token create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(token.starts_with("kiln_") && token.len() == 69, "{token}");
    token
}

pub async fn post_manifest(app: &App, token: &str, body: &Value) -> (u16, Value) {
    let res = app
        .http
        .post(app.url("/api/v1/manifests"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("POST manifests");
    let st = res.status().as_u16();
    (st, res.json().await.unwrap_or(Value::Null))
}

async fn get(app: &App, path: &str) -> (u16, Value) {
    let res = app.http.get(app.url(path)).send().await.expect("GET");
    let st = res.status().as_u16();
    (st, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_api_records_serves_and_revokes() {
    let Some(spec) = spec() else { return };
    let gh = GitHubMock::start(spec).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}/kiln.db?mode=rwc", dir.path().display());
    let token = create_token(&db, dir.path(), "octo-org/images");
    let other = create_token(&db, dir.path(), "octo-org/other");
    let app = App::start(&AppOpts {
        api: &gh.uri(),
        db: &db,
        dir: dir.path(),
        extra: vec![("KILN_LOG", "debug,sqlx=warn,hyper=warn".to_string())],
    });
    let body = json!({
        "repo": "octo-org/images",
        "sha": "3484a3fb816e0859fd6e1cea078d76385ff50625",
        "manifest": manifest("run-a", "ami-0aaa", "ami-0bbb"),
        "labels": {"team": "platform"},
        "channel": "production",
        "commit_time": "2024-05-01T10:00:00Z",
    });
    // No token, a bad token, another repository's token.
    let res = app
        .http
        .post(app.url("/api/v1/manifests"))
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(post_manifest(&app, "kiln_not-a-token", &body).await.0, 401);
    assert_eq!(post_manifest(&app, &other, &body).await.0, 403);
    let (st, v) = post_manifest(&app, &token, &body).await;
    assert_eq!(st, 201, "{v}");
    let (st, v) = post_manifest(&app, &token, &body).await;
    assert_eq!(st, 200, "re-sent manifest records nothing: {v}");
    // Malformed manifest: a located error, nothing recorded.
    let mut bad = body.clone();
    bad["manifest"] = json!("{\n  \"builds\": [\n    {\"name\": 3}\n  ]\n}");
    bad["sha"] = json!("ffff");
    let (st, v) = post_manifest(&app, &token, &bad).await;
    assert_eq!(st, 422);
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("manifest 3:")),
        "{v}"
    );
    assert_eq!(
        get(&app, "/api/v1/buckets/ubuntu/versions/ffff").await.0,
        404
    );

    let (st, ch) = get(&app, "/api/v1/buckets/ubuntu/channels/production").await;
    assert_eq!(st, 200, "{ch}");
    assert_eq!(
        ch["fingerprint"],
        "3484a3fb816e0859fd6e1cea078d76385ff50625"
    );
    assert_eq!(ch["images"]["eu-west-1"], "ami-0bbb");
    assert_eq!(ch["labels"]["team"], "platform");
    assert_eq!(ch["builds"][0]["platform"], "aws");
    let (st, list) = get(&app, "/api/v1/buckets").await;
    assert_eq!(st, 200);
    let names: Vec<&str> = list["buckets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["name"].as_str())
        .collect();
    assert_eq!(names, vec!["ubuntu", "web"]);

    // A second version; move the channel by hand, revoke, roll back.
    let mut b2 = body.clone();
    b2["sha"] = json!("aaaa1111");
    b2["manifest"] = json!(manifest("run-b", "ami-0ccc", "ami-0ddd"));
    b2["commit_time"] = json!("2024-05-02T10:00:00Z");
    b2.as_object_mut().map(|o| o.remove("channel"));
    assert_eq!(post_manifest(&app, &token, &b2).await.0, 201);
    let put = |tok: String, fp: &str| {
        app.http
            .put(app.url("/api/v1/buckets/ubuntu/channels/production"))
            .bearer_auth(tok)
            .json(&json!({"fingerprint": fp}))
            .send()
    };
    assert_eq!(
        put(other.clone(), "aaaa1111")
            .await
            .expect("put")
            .status()
            .as_u16(),
        403
    );
    let res = put(token.clone(), "aaaa1111").await.expect("put");
    assert_eq!(res.status().as_u16(), 200);
    let (_, ch) = get(&app, "/api/v1/buckets/ubuntu/channels/production").await;
    assert_eq!(ch["images"]["us-east-1"], "ami-0ccc");
    let res = app
        .http
        .post(app.url("/api/v1/buckets/ubuntu/versions/aaaa1111/revoke"))
        .bearer_auth(&token)
        .json(&json!({"reason": "CVE-2024-3094"}))
        .send()
        .await
        .expect("revoke");
    assert_eq!(res.status().as_u16(), 200);
    let (st, v) = get(&app, "/api/v1/buckets/ubuntu/channels/production").await;
    assert_eq!(st, 410, "a revoked version is not served: {v}");
    assert!(v["error"]
        .as_str()
        .is_some_and(|e| e.contains("CVE-2024-3094")));
    assert_eq!(
        get(&app, "/api/v1/buckets/ubuntu/versions/aaaa1111")
            .await
            .0,
        410
    );
    // Scheduled revocation: served until the time passes.
    let soon = chrono_like(kiln_app::store::now_ms() + 1500);
    let res =
        app.http
            .post(app.url(
                "/api/v1/buckets/ubuntu/versions/3484a3fb816e0859fd6e1cea078d76385ff50625/revoke",
            ))
            .bearer_auth(&token)
            .json(&json!({"reason": "superseded", "revoke_at": soon}))
            .send()
            .await
            .expect("schedule");
    assert_eq!(res.status().as_u16(), 200);
    let fp = "/api/v1/buckets/ubuntu/versions/3484a3fb816e0859fd6e1cea078d76385ff50625";
    assert_eq!(get(&app, fp).await.0, 200);
    tokio::time::sleep(Duration::from_millis(2600)).await;
    assert_eq!(get(&app, fp).await.0, 410);

    // Tokens never appear in the logs (debug level included).
    let logs = app.log_text();
    assert!(logs.contains("manifest recorded"), "{logs}");
    assert!(
        !logs.contains(&token) && !logs.contains(&other),
        "a token was logged"
    );
    assert!(!logs.contains(&token[5..20]));
}

/// Unix ms → RFC 3339 (whole seconds, rounded up so the time is ahead).
fn chrono_like(ms: i64) -> String {
    kiln_app::registry::model::rfc3339(ms + 999)
}

/// The engine's `kiln-registry-version` / `kiln-registry-artifact` data
/// sources against a running kiln-app: a template resolves the image a
/// channel serves; a revoked version fails the data source at its block.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_data_sources_resolve_a_channel() {
    let Some(spec) = spec() else { return };
    let gh = GitHubMock::start(spec).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}/kiln.db?mode=rwc", dir.path().display());
    let token = create_token(&db, dir.path(), "octo-org/images");
    let app = App::start(&AppOpts {
        api: &gh.uri(),
        db: &db,
        dir: dir.path(),
        extra: vec![],
    });
    let body = json!({
        "repo": "octo-org/images", "sha": "c0ffee01",
        "manifest": manifest("run-e", "ami-0e0e", "ami-0w0w"), "channel": "production",
    });
    assert_eq!(post_manifest(&app, &token, &body).await.0, 201);
    let base = app.url("");
    let template = format!(
        r#"data "kiln-registry-version" "base" {{
  bucket_name  = "ubuntu"
  channel_name = "production"
  registry_url = "{base}"
}}

data "kiln-registry-artifact" "base" {{
  bucket_name         = "ubuntu"
  version_fingerprint = data.kiln-registry-version.base.fingerprint
  platform            = "aws"
  region              = "eu-west-1"
  registry_url        = "{base}"
}}

locals {{
  source_ami  = data.kiln-registry-artifact.base.external_identifier
  fingerprint = data.kiln-registry-version.base.fingerprint
}}

source "null" "x" {{
  communicator = "none"
}}

build {{
  sources = ["source.null.x"]
}}
"#
    );
    let work = tempfile::tempdir().expect("tempdir");
    std::fs::write(work.path().join("t.pkr.hcl"), &template).expect("write");
    let validate = |dir: std::path::PathBuf| {
        tokio::task::spawn_blocking(move || {
            let opts = kiln_lang::template::options::LoadOptions {
                cwd: dir,
                evaluate_datasources: true,
                data_sources: Some(kiln_build::data_sources()),
                ..Default::default()
            };
            kiln_lang::validate::validate_full(std::path::Path::new("t.pkr.hcl"), &opts)
        })
    };
    let res = validate(work.path().to_path_buf()).await.expect("validate");
    assert!(!res.diags.has_errors(), "{:#?}", res.diags);
    let l = res.loaded.expect("loaded");
    assert_eq!(
        l.template.locals.get("source_ami"),
        Some(&kiln_lang::template::Value::from("ami-0w0w"))
    );
    assert_eq!(
        l.template.locals.get("fingerprint"),
        Some(&kiln_lang::template::Value::from("c0ffee01"))
    );

    // Revoked: the version data source fails, located at its block.
    let res = app
        .http
        .post(app.url("/api/v1/buckets/ubuntu/versions/c0ffee01/revoke"))
        .bearer_auth(&token)
        .json(&json!({"reason": "CVE-2024-6387"}))
        .send()
        .await
        .expect("revoke");
    assert_eq!(res.status().as_u16(), 200);
    let res = validate(work.path().to_path_buf()).await.expect("validate");
    let err = res
        .diags
        .iter()
        .find(|d| d.is_error())
        .expect("a revoked version fails");
    assert!(
        err.detail.contains("revoked") && err.detail.contains("CVE-2024-6387"),
        "{err:?}"
    );
    assert_eq!(err.range.as_ref().map(|r| r.start.line), Some(1), "{err:?}");
}
