//! docker-tag, docker-save and docker-import against a real Podman API
//! service (see `support/podman.rs`).

#[path = "support/podman.rs"]
mod podman;

use std::sync::Arc;

use kiln_build::components;
use kiln_build::docker::builder::artifact::{ExportArtifact, ImageArtifact};
use kiln_lang::template::model::{Component, ComponentKind, ConfigBody};
use kiln_lang::template::Value;
use kiln_sdk::artifact::Artifact;
use kiln_sdk::provisioner::ProvisionContext;
use kiln_sdk::Processed;
use kiln_sdk::{BuildError, CancelToken, Secrets, Ui};
use podman::{Podman, Registry, BASE_IMAGE};

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn pp(type_name: &str, pairs: &[(&str, Value)]) -> Component {
    Component {
        kind: ComponentKind::PostProcessor,
        type_name: type_name.to_string(),
        name: None,
        type_range: None,
        context: String::new(),
        config: ConfigBody::from_values(pairs.iter().map(|(k, v)| (*k, v.clone()))),
    }
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Value::from(*s)).collect())
}

async fn run(
    c: &Component,
    input: Arc<dyn Artifact>,
    cwd: &std::path::Path,
) -> (Result<Processed, BuildError>, Vec<String>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let ui = Ui::new("docker.t", Secrets::default(), tx);
    let cancel = CancelToken::new();
    let ctx = ProvisionContext {
        ui: &ui,
        cancel: &cancel,
        cwd,
        build_name: "t",
        builder_type: "docker",
        run_uuid: "run",
        communicator: None,
        generated: Default::default(),
    };
    let result = match components::post_processor(c, &Default::default()) {
        Ok(p) => p.post_process(&ctx, input).await,
        Err(e) => Err(e),
    };
    drop(ui);
    let mut messages = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        if let kiln_sdk::BuildEvent::Message { message, .. } = ev {
            messages.push(message);
        }
    }
    (result, messages)
}

fn image_id(p: &Podman, name: &str) -> String {
    p.inspect_image(name).expect("image exists")["Id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_then_save() {
    let _serial = SERIAL.lock().await;
    let Some(p) = Podman::start() else { return };
    p.export_env();
    let work = tempfile::tempdir().unwrap();
    let base = image_id(&p, BASE_IMAGE);
    let input: Arc<dyn Artifact> = Arc::new(ImageArtifact {
        builder_id: "packer.docker".to_string(),
        id: base.clone(),
        tags: vec![],
    });
    let tag = pp(
        "docker-tag",
        &[
            ("repository", "localhost/kiln/tagged".into()),
            ("tags", list(&["1.0", "latest"])),
        ],
    );
    let (out, messages) = run(&tag, input, work.path()).await;
    let out = out.expect("tagging works");
    assert!(out.keep_input);
    assert_eq!(
        out.artifact.builder_id(),
        "packer.post-processor.docker-tag"
    );
    assert_eq!(out.artifact.id(), "localhost/kiln/tagged:latest");
    for name in ["localhost/kiln/tagged:1.0", "localhost/kiln/tagged:latest"] {
        assert_eq!(image_id(&p, name), base, "{name}");
        assert!(
            messages.contains(&format!("Repository: {name}")),
            "{messages:?}"
        );
    }
    assert!(messages.contains(&format!("Tagging image: {base}")));

    // docker-save of the tagged artifact: an image archive on disk.
    let save = pp("docker-save", &[("path", "saved.tar".into())]);
    let (saved, messages) = run(&save, out.artifact.clone(), work.path()).await;
    assert_eq!(saved.expect("save works").artifact.id(), out.artifact.id());
    assert!(
        messages.contains(&"Saved to: saved.tar".to_string()),
        "{messages:?}"
    );
    let listing = std::process::Command::new("tar")
        .arg("-tf")
        .arg(work.path().join("saved.tar"))
        .output()
        .unwrap();
    assert!(listing.status.success());
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.lines().any(|l| l == "manifest.json"), "{listing}");
    assert!(!work.path().join(".saved.tar.kiln-tmp").exists());

    // Only docker artifacts can be tagged.
    let file: Arc<dyn Artifact> = Arc::new(ExportArtifact {
        path: "x.tar".into(),
    });
    let (err, _) = run(&tag, file, work.path()).await;
    let err = err.expect_err("not an image").to_string();
    assert!(
        err.contains("Can only tag from Docker builder artifacts"),
        "{err}"
    );
    p.assert_no_containers();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_an_exported_tarball_with_changes() {
    let _serial = SERIAL.lock().await;
    let Some(p) = Podman::start() else { return };
    p.export_env();
    let work = tempfile::tempdir().unwrap();
    // A filesystem tarball like `export_path` writes.
    let status = std::process::Command::new("tar")
        .arg("-C")
        .arg(p.dir.path().join("rootfs"))
        .arg("-cf")
        .arg(work.path().join("fs.tar"))
        .arg(".")
        .status()
        .unwrap();
    assert!(status.success());
    let input: Arc<dyn Artifact> = Arc::new(ExportArtifact {
        path: "fs.tar".into(),
    });
    let import = pp(
        "docker-import",
        &[
            ("repository", "localhost/kiln/imported".into()),
            ("tag", "v1".into()),
            ("changes", list(&["ENV IMPORTED=yes", "WORKDIR /tmp"])),
        ],
    );
    let (out, messages) = run(&import, input, work.path()).await;
    let out = out.expect("import works");
    assert_eq!(
        out.artifact.builder_id(),
        "packer.post-processor.docker-import"
    );
    assert_eq!(out.artifact.id(), "localhost/kiln/imported:v1");
    let inspect = p
        .inspect_image("localhost/kiln/imported:v1")
        .expect("imported");
    let id = inspect["Id"].as_str().unwrap();
    assert!(
        messages.contains(&format!("Imported ID: {id}")),
        "{messages:?}"
    );
    let config = &inspect["Config"];
    assert!(
        config["Env"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "IMPORTED=yes"),
        "{config}"
    );
    assert_eq!(config["WorkingDir"], "/tmp", "{config}");
    let echo = p
        .podman(&[
            "run",
            "--rm",
            "localhost/kiln/imported:v1",
            "/bin/echo",
            "ok",
        ])
        .expect("the imported image runs");
    assert_eq!(echo.trim(), "ok");
    p.podman(&["container", "prune", "-f"]).ok();
    p.assert_no_containers();

    // A missing tarball is named.
    let missing: Arc<dyn Artifact> = Arc::new(ExportArtifact {
        path: "nope.tar".into(),
    });
    let (err, _) = run(&import, missing, work.path()).await;
    let err = err.expect_err("no tarball").to_string();
    assert!(err.contains("nope.tar"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_then_push_to_a_loopback_registry() {
    let _serial = SERIAL.lock().await;
    let Some(registry) = Registry::start() else {
        return;
    };
    let Some(p) = Podman::start_with(std::slice::from_ref(&registry.addr)) else {
        return;
    };
    p.export_env();
    let work = tempfile::tempdir().unwrap();
    let base = image_id(&p, BASE_IMAGE);
    let input: Arc<dyn Artifact> = Arc::new(ImageArtifact {
        builder_id: "packer.docker".to_string(),
        id: base,
        tags: vec![],
    });
    // The builder's own artifact cannot be pushed (no repository).
    let push = pp("docker-push", &[]);
    let (err, _) = run(&push, input.clone(), work.path()).await;
    assert!(err
        .expect_err("untagged")
        .to_string()
        .contains("Unknown artifact type"));

    let repository = format!("{}/kiln/pushed", registry.addr);
    let tag = pp(
        "docker-tag",
        &[
            ("repository", repository.as_str().into()),
            ("tags", list(&["7"])),
        ],
    );
    let (tagged, _) = run(&tag, input, work.path()).await;
    let tagged = tagged.expect("tag").artifact;
    assert_eq!(registry.get("/v2/kiln/pushed/tags/list").0, 404);
    let (pushed, messages) = run(&push, tagged, work.path()).await;
    let pushed = pushed.expect("push works");
    assert_eq!(pushed.artifact.id(), format!("{repository}:7"));
    assert!(
        messages.contains(&format!("Pushing: {repository}:7")),
        "{messages:?}"
    );
    let (status, body) = registry.get("/v2/kiln/pushed/tags/list");
    assert_eq!(status, 200, "{body}");
    let tags: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(tags["tags"], serde_json::json!(["7"]), "{body}");
    p.assert_no_containers();
}
