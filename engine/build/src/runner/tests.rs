use std::collections::BTreeMap;

use super::*;
use kiln_lang::template::model::{
    ComponentKind, ConfigAttr, ConfigBody, PostProcessorDef, ProvisionerDef,
};
use kiln_lang::template::Value;

fn body(pairs: &[(&str, Value)]) -> ConfigBody {
    ConfigBody {
        attrs: pairs
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    ConfigAttr {
                        value: v.clone(),
                        name_range: None,
                        value_range: None,
                    },
                )
            })
            .collect(),
        ..ConfigBody::default()
    }
}

fn component(kind: ComponentKind, t: &str, pairs: &[(&str, Value)]) -> Component {
    Component {
        kind,
        type_name: t.to_string(),
        name: None,
        type_range: None,
        context: String::new(),
        config: body(pairs),
    }
}

fn shell(cmds: &[&str]) -> ProvisionerDef {
    ProvisionerDef {
        component: component(
            ComponentKind::Provisioner,
            "shell-local",
            &[(
                "inline",
                Value::List(cmds.iter().map(|c| Value::from(*c)).collect()),
            )],
        ),
        only: vec![],
        except: vec![],
        pause_before: None,
        max_retries: 0,
        timeout: None,
        overrides: BTreeMap::new(),
    }
}

fn file_job(name: &str, target: &str, provs: Vec<ProvisionerDef>) -> BuildJob {
    BuildJob {
        name: format!("file.{name}"),
        source_name: name.to_string(),
        builder: component(
            ComponentKind::Builder,
            "file",
            &[("content", "hello\n".into()), ("target", target.into())],
        ),
        provisioners: provs,
        post_processors: vec![vec![PostProcessorDef {
            component: component(ComponentKind::PostProcessor, "manifest", &[]),
            only: vec![],
            except: vec![],
            keep_input_artifact: None,
        }]],
        error_cleanup_provisioner: None,
        reevaluate: Default::default(),
        hcp_packer_registry: None,
    }
}

async fn run(jobs: Vec<BuildJob>, opts: RunOptions) -> (Vec<BuildOutcome>, Vec<BuildEvent>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let outcomes = run_builds(jobs, opts, tx).await;
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    (outcomes, events)
}

fn opts(dir: &std::path::Path) -> RunOptions {
    RunOptions {
        cwd: dir.to_path_buf(),
        ..RunOptions::default()
    }
}

#[tokio::test]
async fn parallel_file_builds_write_targets_and_one_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = vec![
        file_job(
            "a",
            "a.txt",
            vec![shell(&["echo provisioning $PACKER_BUILD_NAME"])],
        ),
        file_job("b", "b.txt", vec![]),
    ];
    let (outcomes, events) = run(jobs, opts(dir.path())).await;
    assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
        "hello\n"
    );
    let manifest: kiln_lang::manifest::ManifestFile =
        serde_json::from_slice(&std::fs::read(dir.path().join("packer-manifest.json")).unwrap())
            .unwrap();
    let mut names: Vec<_> = manifest.builds.iter().map(|b| b.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(manifest.builds[0].files[0].size, 6);
    assert_eq!(manifest.builds[0].packer_run_uuid, manifest.last_run_uuid);
    assert!(events.contains(&BuildEvent::Message {
        build: "file.a".into(),
        message: "provisioning a".into()
    }));
    // no temporaries left behind
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn failing_provisioner_fails_the_build_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let (outcomes, events) = run(
        vec![file_job(
            "a",
            "a.txt",
            vec![shell(&["echo s3cr3t", "exit 7"])],
        )],
        RunOptions {
            secrets: vec!["s3cr3t".into()],
            ..opts(dir.path())
        },
    )
    .await;
    let err = outcomes[0].result.as_ref().unwrap_err();
    assert!(err.to_string().contains("Erroneous exit code 7"), "{err}");
    assert!(!dir.path().join("a.txt").exists());
    assert!(!temp_left(dir.path()));
    assert!(!dir.path().join("packer-manifest.json").exists());
    let text = format!("{events:?}");
    assert!(
        text.contains("<sensitive>") && !text.contains("s3cr3t"),
        "{text}"
    );
}

#[tokio::test]
async fn abort_leaves_resources_and_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let (outcomes, events) = run(
        vec![file_job("a", "a.txt", vec![shell(&["exit 1"])])],
        RunOptions {
            on_error: OnError::Abort,
            ..opts(dir.path())
        },
    )
    .await;
    assert!(outcomes[0].result.is_err());
    assert!(temp_left(dir.path()));
    assert!(format!("{events:?}").contains("Left in place (-on-error=abort)"));
}

#[tokio::test]
async fn cancellation_stops_running_commands_and_unwinds() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path());
    let cancel = o.cancel.clone();
    let started = Instant::now();
    let marker = format!("sleep 29.{}", std::process::id());
    let cmd = format!("{marker}; echo done");
    let task = tokio::spawn(run(vec![file_job("a", "a.txt", vec![shell(&[&cmd])])], o));
    tokio::time::sleep(Duration::from_millis(300)).await;
    cancel.cancel();
    let (outcomes, _) = task.await.unwrap();
    assert_eq!(
        outcomes[0].result.as_ref().unwrap_err(),
        &BuildError::Cancelled
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(!temp_left(dir.path()));
    assert!(!dir.path().join("a.txt").exists());
    // the script's child process was killed with its group
    tokio::time::sleep(Duration::from_millis(100)).await;
    let ps = std::process::Command::new("pgrep")
        .args(["-f", &marker])
        .output()
        .unwrap();
    assert!(
        ps.stdout.is_empty(),
        "left running: {}",
        String::from_utf8_lossy(&ps.stdout)
    );
}

#[tokio::test]
async fn fail_fast_cancels_siblings() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = vec![
        file_job("slow", "slow.txt", vec![shell(&["sleep 30"])]),
        file_job("bad", "bad.txt", vec![shell(&["exit 2"])]),
    ];
    let (outcomes, _) = run(
        jobs,
        RunOptions {
            fail_fast: true,
            ..opts(dir.path())
        },
    )
    .await;
    assert_eq!(
        outcomes[0].result.as_ref().unwrap_err(),
        &BuildError::Cancelled
    );
    assert!(matches!(outcomes[1].result, Err(BuildError::Step(_))));
}

#[tokio::test]
async fn unavailable_components_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let mut job = file_job("a", "a.txt", vec![]);
    // amazon-ebs ships now; googlecompute does not.
    job.builder.type_name = "googlecompute".into();
    let (outcomes, _) = run(vec![job], opts(dir.path())).await;
    let err = outcomes[0].result.as_ref().unwrap_err().to_string();
    assert!(err.contains("\"googlecompute\" is not available"), "{err}");
}

#[tokio::test]
async fn build_placeholders_take_the_generated_values() {
    let dir = tempfile::tempdir().unwrap();
    let echo = format!(
        "echo 'uuid={} host={}'",
        kiln_lang::generated::placeholder("PackerRunUUID"),
        kiln_lang::generated::placeholder("Host")
    );
    let (outcomes, events) = run(
        vec![file_job("a", "a.txt", vec![shell(&[&echo])])],
        opts(dir.path()),
    )
    .await;
    assert!(outcomes[0].result.is_ok(), "{outcomes:?}");
    let manifest: kiln_lang::manifest::ManifestFile =
        serde_json::from_slice(&std::fs::read(dir.path().join("packer-manifest.json")).unwrap())
            .unwrap();
    let want = format!("uuid={} host=<unknown>", manifest.last_run_uuid);
    assert!(
        events.contains(&BuildEvent::Message {
            build: "file.a".into(),
            message: want.clone()
        }),
        "{want} not in {events:?}"
    );
}

#[tokio::test]
async fn error_cleanup_provisioner_follows_on_error() {
    for (mode, runs, left) in [
        (OnError::Cleanup, true, false),
        (OnError::RunCleanupProvisioner, true, true),
        (OnError::Abort, false, true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut job = file_job("a", "a.txt", vec![shell(&["exit 5"])]);
        job.error_cleanup_provisioner = Some(shell(&["touch cleaned"]));
        let (outcomes, _) = run(
            vec![job],
            RunOptions {
                on_error: mode,
                ..opts(dir.path())
            },
        )
        .await;
        assert!(outcomes[0].result.is_err(), "{mode:?}");
        assert_eq!(dir.path().join("cleaned").exists(), runs, "{mode:?}");
        assert_eq!(temp_left(dir.path()), left, "{mode:?}");
    }
}

/// Whether the file builder's temporary for a.txt (`.a.txt.<uuid>.kiln-tmp`) is there.
fn temp_left(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        name.starts_with(".a.txt.") && name.ends_with(".kiln-tmp")
    })
}
