//! The `docker` builder and communicator against a real Podman API service
//! (see `support/podman.rs`): commit with changes, export_path, discard,
//! the communicator's exec and archive transfers, and the faults (daemon
//! unreachable, missing image, failing step) — after each, no container
//! is left behind.

#[path = "support/podman.rs"]
mod podman;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use kiln_build::components;
use kiln_lang::template::model::{Component, ComponentKind, ConfigBody};
use kiln_lang::template::Value;
use kiln_sdk::artifact::Artifact;
use kiln_sdk::builder::{BuildContext, ProvisionHook};
use kiln_sdk::communicator::{Communicator, GeneratedData, OutputStream};
use kiln_sdk::{BuildError, BuildEvent, CancelToken, CleanupStack, Secrets, Ui};
use podman::{Podman, BASE_IMAGE};

/// Tests share the process environment (`DOCKER_HOST`): one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn docker(pairs: &[(&str, Value)]) -> Component {
    Component {
        kind: ComponentKind::Builder,
        type_name: "docker".to_string(),
        name: Some("t".to_string()),
        type_range: None,
        context: String::new(),
        config: ConfigBody::from_values(pairs.iter().map(|(k, v)| (*k, v.clone()))),
    }
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Value::from(*s)).collect())
}

type Script = Box<
    dyn Fn(
            Arc<dyn Communicator>,
        )
            -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), BuildError>> + Send>>
        + Send
        + Sync,
>;

struct Hook {
    script: Script,
    generated: Mutex<Option<GeneratedData>>,
}

#[async_trait]
impl ProvisionHook for Hook {
    async fn provision(
        &self,
        communicator: Option<Arc<dyn Communicator>>,
        generated: GeneratedData,
    ) -> Result<(), BuildError> {
        *self.generated.lock().unwrap() = Some(generated);
        let comm = communicator.expect("the docker builder hands a communicator");
        (self.script)(comm).await
    }
}

struct Outcome {
    result: Result<Box<dyn Artifact>, BuildError>,
    messages: Vec<String>,
    generated: Option<GeneratedData>,
}

/// Run the builder like the runner does: build, then unwind the cleanups.
async fn build(c: &Component, script: Script, cwd: &std::path::Path) -> Outcome {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let ui = Ui::new("docker.t", Secrets::default(), tx);
    let cancel = CancelToken::new();
    let mut cleanup = CleanupStack::new();
    let hook = Hook {
        script,
        generated: Mutex::new(None),
    };
    let result = match components::builder(c) {
        Ok(b) => {
            let mut ctx = BuildContext {
                ui: &ui,
                cancel: &cancel,
                cleanup: &mut cleanup,
                hook: &hook,
                cwd,
                force: false,
            };
            b.run(&mut ctx).await
        }
        Err(e) => Err(e),
    };
    for (what, r) in cleanup.unwind().await {
        assert!(r.is_ok(), "cleanup {what} failed: {r:?}");
    }
    drop(ui);
    let mut messages = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        match ev {
            BuildEvent::Say { message, .. }
            | BuildEvent::Message { message, .. }
            | BuildEvent::Error { message, .. } => messages.push(message),
            _ => {}
        }
    }
    Outcome {
        result,
        messages,
        generated: hook.generated.into_inner().unwrap(),
    }
}

fn nothing() -> Script {
    Box::new(|_| Box::pin(async { Ok(()) }))
}

async fn run_capture(
    comm: &dyn Communicator,
    cmd: &str,
) -> (Option<u32>, Vec<(OutputStream, String)>) {
    let lines = Mutex::new(Vec::new());
    let sink = |s: OutputStream, l: &str| lines.lock().unwrap().push((s, l.to_string()));
    let status = comm.run(cmd, &sink).await.expect("run");
    (status.code, lines.into_inner().unwrap())
}

async fn stdout_of(comm: &dyn Communicator, cmd: &str) -> String {
    let (code, lines) = run_capture(comm, cmd).await;
    assert_eq!(code, Some(0), "{cmd}: {lines:?}");
    lines
        .into_iter()
        .filter(|(s, _)| *s == OutputStream::Stdout)
        .map(|(_, l)| l)
        .collect::<Vec<_>>()
        .join("\n")
}

fn step(e: impl std::fmt::Display) -> BuildError {
    BuildError::Step(e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_with_changes_after_using_the_communicator() {
    let _serial = SERIAL.lock().await;
    let Some(p) = Podman::start() else { return };
    p.export_env();
    let work = tempfile::tempdir().unwrap();
    let local = work.path().to_path_buf();
    // A tree to upload: d/a.txt, d/sub/b.txt, d/skip.log
    std::fs::create_dir_all(local.join("d/sub")).unwrap();
    std::fs::write(local.join("d/a.txt"), "alpha\n").unwrap();
    std::fs::write(local.join("d/sub/b.txt"), "beta\n").unwrap();
    std::fs::write(local.join("d/skip.log"), "no\n").unwrap();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let dl = local.clone();
    let script: Script = Box::new(move |comm: Arc<dyn Communicator>| {
        let local = dl.clone();
        let big = big.clone();
        Box::pin(async move {
            // exec: both streams, lines split, exit code
            let (code, lines) =
                run_capture(&*comm, "echo out1; printf 'out2'; echo err1 >&2; exit 3").await;
            assert_eq!(code, Some(3));
            assert!(
                lines.contains(&(OutputStream::Stdout, "out1".into())),
                "{lines:?}"
            );
            assert!(
                lines.contains(&(OutputStream::Stdout, "out2".into())),
                "{lines:?}"
            );
            assert!(
                lines.contains(&(OutputStream::Stderr, "err1".into())),
                "{lines:?}"
            );
            // upload a file with a mode; its bytes and mode arrive
            let n = comm
                .upload("/tmp/big.bin", &mut &big[..], Some(0o600))
                .await
                .map_err(step)?;
            assert_eq!(n, big.len() as u64);
            let stat = stdout_of(&*comm, "stat -c '%s %a' /tmp/big.bin").await;
            assert_eq!(stat, format!("{} 600", big.len()));
            // download it back
            let mut back = Vec::new();
            let n = comm
                .download("/tmp/big.bin", &mut back)
                .await
                .map_err(step)?;
            assert_eq!(n, big.len() as u64);
            assert!(back == big, "downloaded bytes differ");
            // directories: without a trailing slash the directory itself
            // is created; with one, its contents; exclude skips paths
            comm.upload_dir("/opt/x", &local.join("d"), &["skip.log".to_string()])
                .await
                .map_err(step)?;
            let src = format!("{}/", local.join("d").display());
            comm.upload_dir("/opt/y", std::path::Path::new(&src), &[])
                .await
                .map_err(step)?;
            let tree = stdout_of(&*comm, "cd /opt && find . -type f | sort").await;
            assert_eq!(
                tree,
                "./x/d/a.txt\n./x/d/sub/b.txt\n./y/a.txt\n./y/skip.log\n./y/sub/b.txt"
            );
            comm.download_dir("/opt/y", &local.join("got1"), &[])
                .await
                .map_err(step)?;
            comm.download_dir("/opt/y/", &local.join("got2"), &["sub".to_string()])
                .await
                .map_err(step)?;
            assert_eq!(
                std::fs::read_to_string(local.join("got1/y/sub/b.txt")).map_err(step)?,
                "beta\n"
            );
            assert_eq!(
                std::fs::read_to_string(local.join("got2/a.txt")).map_err(step)?,
                "alpha\n"
            );
            assert!(!local.join("got2/sub").exists());
            // a missing remote file is an error, not an empty download
            let mut sink = Vec::new();
            assert!(comm.download("/nope", &mut sink).await.is_err());
            stdout_of(&*comm, "echo built > /etc/kiln-marker").await;
            Ok(())
        })
    });
    let c = docker(&[
        ("image", BASE_IMAGE.into()),
        ("pull", false.into()),
        ("commit", true.into()),
        ("author", "kiln tests".into()),
        ("message", "built by kiln".into()),
        (
            "changes",
            list(&[
                "ENV FOO=bar",
                "LABEL kiln.test=yes",
                "WORKDIR /opt",
                "EXPOSE 8080",
                "CMD [\"/bin/sh\", \"-c\", \"cat /etc/kiln-marker\"]",
            ]),
        ),
    ]);
    let out = build(&c, script, work.path()).await;
    let artifact = out.result.expect("build succeeds");
    assert_eq!(artifact.builder_id(), "packer.docker");
    let image = artifact.id();
    assert!(artifact.description().contains(&image));
    let container = out.generated.expect("generated data")["ID"].clone();
    for expected in [
        "Creating a temporary directory for sharing data...".to_string(),
        "Starting docker container...".to_string(),
        format!("Container ID: {container}"),
        "Committing the container".to_string(),
        format!("Image ID: {image}"),
        format!("Killing the container: {container}"),
    ] {
        assert!(
            out.messages.contains(&expected),
            "{expected:?} not in {:#?}",
            out.messages
        );
    }
    assert!(out
        .messages
        .iter()
        .any(|m| m.starts_with("Run command: docker run -v ")
            && m.ends_with(&format!("-d -i -t --entrypoint=/bin/sh -- {BASE_IMAGE}"))));
    assert!(!out.messages.iter().any(|m| m.starts_with("Pulling")));
    p.assert_no_containers();

    let inspect = p.inspect_image(&image).expect("committed image exists");
    let config = &inspect["Config"];
    assert!(
        config["Env"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "FOO=bar"),
        "{config}"
    );
    assert_eq!(config["Labels"]["kiln.test"], "yes", "{config}");
    assert_eq!(config["WorkingDir"], "/opt", "{config}");
    assert!(config["ExposedPorts"].get("8080/tcp").is_some(), "{config}");
    assert_eq!(inspect["Author"], "kiln tests");
    assert_eq!(config["Cmd"][2], "cat /etc/kiln-marker", "{config}");
    // The committed filesystem holds what the communicator did.
    let run = p
        .podman(&[
            "run",
            "--rm",
            "--entrypoint",
            "cat",
            &image,
            "/etc/kiln-marker",
        ])
        .expect("run the committed image");
    assert_eq!(run.trim(), "built");
    p.assert_no_containers();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_path_writes_the_container_filesystem() {
    let _serial = SERIAL.lock().await;
    let Some(p) = Podman::start() else { return };
    p.export_env();
    let work = tempfile::tempdir().unwrap();
    let script: Script = Box::new(|comm: Arc<dyn Communicator>| {
        Box::pin(async move {
            stdout_of(&*comm, "echo exported > /root/kiln-export").await;
            Ok(())
        })
    });
    let c = docker(&[
        ("image", BASE_IMAGE.into()),
        ("pull", false.into()),
        ("export_path", "image.tar".into()),
    ]);
    let out = build(&c, script, work.path()).await;
    let artifact = out.result.expect("build succeeds");
    assert_eq!(artifact.files(), [std::path::PathBuf::from("image.tar")]);
    assert!(out
        .messages
        .contains(&"Exporting the container".to_string()));
    let listing = std::process::Command::new("tar")
        .arg("-tf")
        .arg(work.path().join("image.tar"))
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing
            .lines()
            .any(|l| l.trim_start_matches("./") == "root/kiln-export"),
        "{listing}"
    );
    assert!(listing
        .lines()
        .any(|l| l.trim_start_matches("./") == "bin/busybox"));
    p.assert_no_containers();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discard_keeps_no_image_and_no_container() {
    let _serial = SERIAL.lock().await;
    let Some(p) = Podman::start() else { return };
    p.export_env();
    let images_before = p.podman(&["images", "-q", "--no-trunc"]).unwrap();
    let work = tempfile::tempdir().unwrap();
    let c = docker(&[
        ("image", BASE_IMAGE.into()),
        ("pull", false.into()),
        ("discard", true.into()),
        ("exec_user", "nobody".into()),
    ]);
    let whoami = Arc::new(Mutex::new(String::new()));
    let w = whoami.clone();
    let script: Script = Box::new(move |comm: Arc<dyn Communicator>| {
        let w = w.clone();
        Box::pin(async move {
            let id = stdout_of(&*comm, "id -u").await;
            // fix_upload_owner: an upload belongs to the exec user
            comm.upload("/tmp/owned", &mut &b"x"[..], None)
                .await
                .map_err(step)?;
            let owner = stdout_of(&*comm, "stat -c %u /tmp/owned").await;
            *w.lock().unwrap() = format!("{id} {owner}");
            Ok(())
        })
    });
    let out = build(&c, script, work.path()).await;
    out.result.expect("build succeeds");
    assert_eq!(*whoami.lock().unwrap(), "65534 65534");
    assert_eq!(
        p.podman(&["images", "-q", "--no-trunc"]).unwrap(),
        images_before
    );
    p.assert_no_containers();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_step_and_missing_image_leave_no_container() {
    let _serial = SERIAL.lock().await;
    let Some(p) = Podman::start() else { return };
    p.export_env();
    let work = tempfile::tempdir().unwrap();
    let failing: Script = Box::new(|comm: Arc<dyn Communicator>| {
        Box::pin(async move {
            let (code, _) = run_capture(&*comm, "exit 7").await;
            Err(BuildError::Step(format!(
                "Script exited with non-zero exit status: {}",
                code.unwrap_or_default()
            )))
        })
    });
    let c = docker(&[
        ("image", BASE_IMAGE.into()),
        ("pull", false.into()),
        ("commit", true.into()),
    ]);
    let out = build(&c, failing, work.path()).await;
    let err = out.result.expect_err("the step fails");
    assert!(err.to_string().contains("exit status: 7"), "{err}");
    assert!(out
        .messages
        .iter()
        .any(|m| m.starts_with("Killing the container: ")));
    p.assert_no_containers();

    let missing = docker(&[
        ("image", "localhost/kiln-missing:nope".into()),
        ("pull", false.into()),
        ("commit", true.into()),
    ]);
    let out = build(&missing, nothing(), work.path()).await;
    let err = out.result.expect_err("no such image").to_string();
    assert!(
        err.contains("Error running container") && err.contains("kiln-missing"),
        "{err}"
    );
    p.assert_no_containers();

    // pull = true with no registry reachable fails in the pull step.
    let pulled = docker(&[
        ("image", "127.0.0.1:9/kiln/none:1".into()),
        ("commit", true.into()),
    ]);
    let out = build(&pulled, nothing(), work.path()).await;
    let err = out.result.expect_err("pull fails").to_string();
    assert!(
        err.contains("Error pulling Docker image 127.0.0.1:9/kiln/none:1"),
        "{err}"
    );
    assert!(out
        .messages
        .contains(&"Pulling Docker image: 127.0.0.1:9/kiln/none:1".to_string()));
    p.assert_no_containers();
}

#[tokio::test]
async fn unreachable_daemon_names_docker_host() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let host = format!("unix://{}/no.sock", dir.path().display());
    std::env::set_var("DOCKER_HOST", &host);
    let c = docker(&[("image", BASE_IMAGE.into()), ("discard", true.into())]);
    let out = build(&c, nothing(), dir.path()).await;
    let err = out.result.expect_err("no daemon").to_string();
    assert!(err.contains("DOCKER_HOST") && err.contains(&host), "{err}");
}

#[test]
fn configuration_errors_name_the_field() {
    let none = components::builder(&docker(&[("image", "x".into())]))
        .err()
        .unwrap();
    assert!(
        none.to_string()
            .contains("One of \"commit\", \"discard\" or \"export_path\" must be set."),
        "{none}"
    );
    let two = components::builder(&docker(&[
        ("image", "x".into()),
        ("commit", true.into()),
        ("discard", true.into()),
    ]))
    .err()
    .unwrap();
    assert!(
        two.to_string()
            .contains("Only one of \"commit\", \"discard\" or \"export_path\" may be set"),
        "{two}"
    );
    let bad = components::builder(&docker(&[
        ("image", "x".into()),
        ("commit", true.into()),
        ("changes", list(&["RUN rm -rf /"])),
    ]))
    .err()
    .unwrap();
    assert!(bad.to_string().contains("RUN rm -rf /"), "{bad}");
    let no_image = components::builder(&docker(&[("commit", true.into())]))
        .err()
        .unwrap();
    assert!(no_image.to_string().contains("\"image\""), "{no_image}");
}
