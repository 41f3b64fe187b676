//! The registry fed with manifests that `kiln build` really wrote: file
//! and null builds, and amazon-ebs against a private moto + sshd (the
//! amazon-ebs tests' harness, `action/tests/ebs_support`). The builds run
//! in process through the engine, on the same path as the `kiln build`
//! command (`kiln_lang::plan::job`: the build's `hcp_packer_registry`
//! settings go into the manifest). The manifests go through the
//! `workflow_run` intake (as the run's artifact) and `POST
//! /api/v1/manifests`; the recorded buckets, builds, regions, external ids,
//! labels and channels are checked against what the builds produced (the
//! builds' artifacts, and moto's images).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use kiln_build::{run_builds, RunOptions};
use kiln_lang::plan::{job, plan};
use kiln_lang::template::LoadOptions;
use kiln_lang::validate::validate_full;

use crate::ebs_support::{small_template, Cloud};
use crate::harness::{spec, wait_until, App, AppOpts};
use crate::mock::GitHubMock;
use crate::registry::{create_token, post_manifest};
use crate::registry_runs::{run_payload, zip_of};

/// What one in-process `kiln build` produced: the manifest's bytes and
/// each build's artifact ids (`TYPE.NAME` of the source → ids).
pub struct Built {
    pub manifest: Vec<u8>,
    pub artifacts: BTreeMap<String, Vec<String>>,
}

/// `kiln build TEMPLATE` in `dir`, through the engine: validated first
/// (nothing runs on errors), every build planned, run, and its artifacts
/// collected. The template's manifest post-processor writes `m.json`.
pub async fn kiln_build(dir: &Path, template: &str) -> Built {
    let opts = LoadOptions {
        cwd: dir.to_path_buf(),
        evaluate_datasources: true,
        ..LoadOptions::default()
    };
    let res = validate_full(&dir.join(template), &opts);
    assert!(!res.diags.has_errors(), "{:#?}", res.diags);
    let t = res.loaded.expect("loaded").template;
    let (planned, _) = plan(&t, &[], &[]);
    let sources: Vec<String> = planned.iter().map(|p| p.source_name.clone()).collect();
    let jobs: Vec<_> = planned.iter().filter_map(|p| job(&t, p)).collect();
    assert_eq!(jobs.len(), planned.len());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let drain = tokio::spawn(async move {
        let mut lines = Vec::new();
        while let Some(e) = rx.recv().await {
            lines.push(format!("{e:?}"));
        }
        lines
    });
    let outcomes = run_builds(
        jobs,
        RunOptions {
            cwd: dir.to_path_buf(),
            ..RunOptions::default()
        },
        tx,
    )
    .await;
    let events = drain.await.unwrap_or_default();
    let mut artifacts = BTreeMap::new();
    for (o, source) in outcomes.into_iter().zip(sources) {
        let arts = o
            .result
            .unwrap_or_else(|e| panic!("build {} failed: {e}\n{}", o.name, events.join("\n")));
        // The builder's artifact, kept, and the manifest's (the same one).
        let mut ids: Vec<String> = arts.iter().map(|a| a.id()).collect();
        ids.dedup();
        artifacts.insert(source, ids);
    }
    let manifest = std::fs::read(dir.join("m.json")).expect("the build wrote m.json");
    Built {
        manifest,
        artifacts,
    }
}

const CONFIG: &str = "registry:\n  workflows: [test.yml]\n  bucket: cfg-bucket\n  channel: stable\n  labels: {team: platform, env: prod}\n";

const FILE_TEMPLATE: &str = r#"
source "file" "web" {
  content = "web image"
  target  = "web.txt"
}
source "file" "db" {
  content = "db image"
  target  = "db.txt"
}
source "null" "plain" {
  communicator = "none"
}
build {
  name    = "images"
  sources = ["source.file.web", "source.file.db"]
  hcp_packer_registry {
    bucket_name   = "golden-base"
    description   = "Base images"
    bucket_labels = { team = "templates" }
    build_labels  = { "os-version" = "22.04" }
    channels      = ["latest", "qa"]
  }
  post-processor "manifest" {
    output      = "m.json"
    custom_data = { owner = "ops" }
  }
}
build {
  sources = ["source.null.plain"]
  post-processor "manifest" {
    output = "m.json"
  }
}
"#;

async fn get(app: &App, path: &str) -> (u16, Value) {
    let res = app.http.get(app.url(path)).send().await.expect("GET");
    let st = res.status().as_u16();
    (st, res.json().await.unwrap_or(Value::Null))
}

/// `(component_type, external_id)` of a version's builds, sorted.
fn builds_of(v: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v["builds"]
        .as_array()
        .map(|bs| {
            bs.iter()
                .map(|b| {
                    (
                        b["component_type"].as_str().unwrap_or_default().to_string(),
                        b["external_id"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The builds an in-process run's artifacts say were made, sorted.
fn expected(built: &Built, sources: &[&str]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = sources
        .iter()
        .flat_map(|s| {
            built.artifacts[*s]
                .iter()
                .map(move |id| (s.to_string(), id.clone()))
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifests_from_file_and_null_builds_feed_both_intakes() {
    let Some(spec) = spec() else { return };
    let Some(payload) = run_payload(7) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).expect("mkdir");
    std::fs::write(work.join("t.pkr.hcl"), FILE_TEMPLATE).expect("template");
    let built = kiln_build(&work, "t.pkr.hcl").await;
    // The file builds made their files; the manifest names them.
    assert_eq!(
        std::fs::read_to_string(work.join("web.txt"))
            .ok()
            .as_deref(),
        Some("web image")
    );
    let m: Value = serde_json::from_slice(&built.manifest).expect("manifest JSON");
    assert_eq!(m["builds"].as_array().map(Vec::len), Some(3), "{m:#}");

    let gh = GitHubMock::start(spec).await;
    gh.with(|s| s.set_file(".github/kiln.yml", CONFIG));
    let db = format!("sqlite://{}/kiln.db?mode=rwc", dir.path().display());
    let app = App::start(&AppOpts {
        api: &gh.uri(),
        db: &db,
        dir: dir.path(),
        extra: vec![],
    });
    let repo = payload["repository"]["full_name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let sha = payload["workflow_run"]["head_sha"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    // 1. The workflow run's artifact.
    gh.with(|s| {
        s.artifacts = vec![(
            61,
            "kiln-manifest-images".into(),
            zip_of(&[("m.json", &built.manifest)]),
        )]
    });
    assert_eq!(
        app.deliver("workflow_run", "built-1", &payload).await.0,
        202
    );
    let done = wait_until(Duration::from_secs(90), || async {
        get(&app, "/api/v1/buckets/golden-base/channels/qa").await.0 == 200
    })
    .await;
    assert!(done, "{}", app.log_text());
    // The block's bucket and channels win over the config's; its bucket
    // labels over the config's labels; build labels over custom_data.
    for channel in ["latest", "qa"] {
        let (st, v) = get(
            &app,
            &format!("/api/v1/buckets/golden-base/channels/{channel}"),
        )
        .await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["fingerprint"], sha.as_str());
        assert_eq!(v["repo"], repo.as_str());
        assert_eq!(
            builds_of(&v),
            expected(&built, &["file.db", "file.web"]),
            "{v:#}"
        );
        assert_eq!(v["labels"]["team"], "templates", "{v:#}");
        assert_eq!(v["labels"]["env"], "prod", "{v:#}");
        for b in v["builds"].as_array().expect("builds") {
            assert_eq!(b["labels"]["os-version"], "22.04", "{b}");
            assert_eq!(b["labels"]["owner"], "ops", "{b}");
            assert_eq!(b["platform"], "file");
        }
    }
    assert_eq!(
        get(&app, "/api/v1/buckets/golden-base/channels/stable")
            .await
            .0,
        404,
        "the block's channels replace the config's"
    );
    // The build without a block: the configured bucket, channel, labels.
    let (st, plain) = get(&app, "/api/v1/buckets/cfg-bucket/channels/stable").await;
    assert_eq!(st, 200, "{plain}");
    assert_eq!(builds_of(&plain), expected(&built, &["null.plain"]));
    assert_eq!(plain["labels"]["team"], "platform");
    // The check run's table lists every image of the manifest.
    let check = || {
        gh.with(|s| {
            s.log
                .iter()
                .rev()
                .find(|l| l.body["name"] == "kiln/images" && l.body["status"] == "completed")
                .map(|l| l.body["output"]["summary"].clone())
        })
    };
    wait_until(Duration::from_secs(60), || async { check().is_some() }).await;
    let summary = check().expect("kiln/images check run");
    let summary = summary.as_str().unwrap_or_default();
    for (t, id) in expected(&built, &["file.db", "file.web", "null.plain"]) {
        assert!(
            summary.contains(&format!("| `{t}` | - | `{id}` |")),
            "{summary}"
        );
    }

    // 2. A second real build, through the API: the block still wins over
    // the request's bucket and channel; the null build takes them.
    let built2 = kiln_build(&work, "t.pkr.hcl").await;
    let m2: Value = serde_json::from_slice(&built2.manifest).expect("manifest JSON");
    assert_eq!(m2["builds"].as_array().map(Vec::len), Some(6), "appended");
    let token = create_token(&db, dir.path(), &repo);
    let (st, r) = post_manifest(
        &app,
        &token,
        &json!({
            "repo": repo,
            "sha": "feedbeef0002",
            "manifest": String::from_utf8_lossy(&built2.manifest),
            "bucket": "api-bucket",
            "channel": "api-chan",
            "labels": {"team": "api", "via": "api"},
            "commit_time": "2099-01-01T00:00:00Z",
        }),
    )
    .await;
    assert_eq!(st, 201, "{r}");
    let (_, latest) = get(&app, "/api/v1/buckets/golden-base/channels/latest").await;
    assert_eq!(latest["fingerprint"], "feedbeef0002");
    assert_eq!(latest["labels"]["team"], "templates");
    assert_eq!(latest["labels"]["via"], "api");
    assert_eq!(
        builds_of(&latest),
        expected(&built2, &["file.db", "file.web"])
    );
    let (st, api) = get(&app, "/api/v1/buckets/api-bucket/channels/api-chan").await;
    assert_eq!(st, 200, "{api}");
    assert_eq!(builds_of(&api), expected(&built2, &["null.plain"]));
    // Only the last run of the appended manifest was recorded.
    let (_, vs) = get(&app, "/api/v1/buckets/golden-base/versions").await;
    assert_eq!(vs["versions"].as_array().map(Vec::len), Some(2), "{vs:#}");
    let runs: Vec<&str> = m2["builds"]
        .as_array()
        .expect("builds")
        .iter()
        .filter_map(|b| b["packer_run_uuid"].as_str())
        .collect();
    assert_ne!(runs[0], runs[5], "two runs in one manifest");
}

/// amazon-ebs against moto: the manifest's `region:ami` pairs become one
/// build per region whose external ids are the AMIs moto holds, the
/// platform `aws`, the source image the one the build started from.
#[test]
fn amazon_ebs_manifest_from_moto_is_recorded_per_region() {
    // moto, sshd and the cloud-init stand-in are started and stopped
    // outside the async runtime (they own a blocking client).
    let Some(cloud) = Cloud::start() else { return };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).expect("mkdir");
    let t = small_template(
        &cloud,
        "registry-{{timestamp}}",
        "",
        "access_key  = \"testing\"\n  secret_key  = \"testing\"\n  ami_regions = [\"us-east-1\"]",
    )
    .replace(
        "build {\n",
        "build {\n  name = \"golden\"\n  hcp_packer_registry {\n    bucket_name  = \"ubuntu-golden\"\n    build_labels = { os = \"jammy\" }\n    channels     = [\"prod\"]\n  }\n  post-processor \"manifest\" {\n    output      = \"m.json\"\n    custom_data = { source_image = build.SourceAMI }\n  }\n",
    );
    std::fs::write(work.join("t.pkr.hcl"), t).expect("template");
    let built = rt.block_on(kiln_build(&work, "t.pkr.hcl"));
    let west = cloud.own_images_in("us-west-2");
    let east = cloud.own_images_in("us-east-1");
    cloud.assert_nothing_left();
    assert_eq!((west.len(), east.len()), (1, 1), "{west:?} {east:?}");
    let want_id = format!("us-east-1:{},us-west-2:{}", east[0].id, west[0].id);
    assert_eq!(built.artifacts["amazon-ebs.t"], [want_id]);

    let db = format!("sqlite://{}/kiln.db?mode=rwc", dir.path().display());
    let app = App::start(&AppOpts {
        api: "http://127.0.0.1:9",
        db: &db,
        dir: dir.path(),
        extra: vec![],
    });
    let token = create_token(&db, dir.path(), "octo-org/amis");
    rt.block_on(async {
        let (st, r) = post_manifest(
            &app,
            &token,
            &json!({
                "repo": "octo-org/amis",
                "sha": "0123abcd",
                "manifest": serde_json::from_slice::<Value>(&built.manifest).expect("json"),
            }),
        )
        .await;
        assert_eq!(st, 201, "{r}");
        let (st, v) = get(&app, "/api/v1/buckets/ubuntu-golden/channels/prod").await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(
            v["images"],
            json!({"us-east-1": east[0].id, "us-west-2": west[0].id}),
            "{v:#}"
        );
        assert_eq!(v["source_image"], crate::ebs_support::JAMMY_NEW, "{v:#}");
        let builds = v["builds"].as_array().expect("builds");
        assert_eq!(builds.len(), 2);
        for b in builds {
            assert_eq!(b["platform"], "aws");
            assert_eq!(b["component_type"], "amazon-ebs.t");
            assert_eq!(b["labels"]["os"], "jammy");
        }
        let (st, art) = get(&app, "/api/v1/buckets/ubuntu-golden/versions/0123abcd").await;
        assert_eq!(st, 200);
        assert_eq!(art["images"]["us-west-2"], west[0].id.as_str());
    });
    drop(app);
    drop(rt);
    drop(cloud);
}
