//! Helpers for the remote provisioner tests: a `null` build over SSH to a
//! private loopback sshd (`kiln_peers::Sshd`), run through the real runner,
//! with every build event collected.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kiln_build::runner::{run_builds, BuildJob, BuildOutcome, RunOptions};
use kiln_lang::template::model::{Component, ComponentKind, ConfigBody, ProvisionerDef};
use kiln_lang::template::Value;
use kiln_peers::Sshd;
use kiln_sdk::{BuildEvent, CancelToken};

pub fn s(v: &str) -> Value {
    Value::from(v)
}

pub fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|i| Value::from(*i)).collect())
}

pub fn numbers(items: &[f64]) -> Value {
    Value::List(items.iter().map(|n| Value::Number(*n)).collect())
}

pub fn map(pairs: &[(&str, &str)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect(),
    )
}

pub fn body(pairs: &[(&str, Value)]) -> ConfigBody {
    ConfigBody::from_values(pairs.iter().map(|(k, v)| (*k, v.clone())))
}

pub fn component(kind: ComponentKind, t: &str, pairs: &[(&str, Value)]) -> Component {
    Component {
        kind,
        type_name: t.to_string(),
        name: None,
        type_range: None,
        context: String::new(),
        config: body(pairs),
    }
}

pub fn prov(t: &str, pairs: &[(&str, Value)]) -> ProvisionerDef {
    ProvisionerDef {
        component: component(ComponentKind::Provisioner, t, pairs),
        only: vec![],
        except: vec![],
        pause_before: None,
        max_retries: 0,
        timeout: None,
        overrides: BTreeMap::new(),
    }
}

/// A `null` build named `null.NAME` connecting to `sshd` with its client key.
pub fn null_job(sshd: &Sshd, name: &str, provisioners: Vec<ProvisionerDef>) -> BuildJob {
    BuildJob {
        name: format!("null.{name}"),
        source_name: name.to_string(),
        builder: component(
            ComponentKind::Builder,
            "null",
            &[
                ("communicator", s("ssh")),
                ("ssh_host", s(sshd.host())),
                ("ssh_port", Value::Number(f64::from(sshd.port()))),
                ("ssh_username", s(&sshd.user())),
                (
                    "ssh_private_key_file",
                    s(&sshd.client_key().display().to_string()),
                ),
                ("ssh_timeout", s("60s")),
            ],
        ),
        provisioners,
        post_processors: vec![],
        error_cleanup_provisioner: None,
        reevaluate: Default::default(),
        hcp_packer_registry: None,
    }
}

/// What a run produced.
pub struct Ran {
    pub outcomes: Vec<BuildOutcome>,
    pub events: Vec<BuildEvent>,
}

impl Ran {
    /// Every Say/Message/Error line, as `say: …`, `msg: …`, `err: …`.
    pub fn lines(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                BuildEvent::Say { message, .. } => Some(format!("say: {message}")),
                BuildEvent::Message { message, .. } => Some(format!("msg: {message}")),
                BuildEvent::Error { message, .. } => Some(format!("err: {message}")),
                _ => None,
            })
            .collect()
    }

    pub fn text(&self) -> String {
        self.lines().join("\n")
    }

    pub fn has(&self, line: &str) -> bool {
        self.lines().iter().any(|l| l == line)
    }

    /// The first build's error text, if it failed.
    pub fn error(&self) -> Option<String> {
        self.outcomes
            .first()
            .and_then(|o| o.result.as_ref().err().map(|e| e.to_string()))
    }

    pub fn ok(&self) -> bool {
        self.outcomes.iter().all(|o| o.result.is_ok())
    }
}

pub async fn run_in(cwd: &Path, jobs: Vec<BuildJob>, cancel: CancelToken) -> Ran {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let outcomes = run_builds(
        jobs,
        RunOptions {
            cwd: cwd.to_path_buf(),
            cancel,
            ..RunOptions::default()
        },
        tx,
    )
    .await;
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    Ran { outcomes, events }
}

pub async fn run(cwd: &Path, jobs: Vec<BuildJob>) -> Ran {
    run_in(cwd, jobs, CancelToken::new()).await
}

/// The directory holding `ansible-playbook` and `ansible-galaxy`:
/// `KILN_ANSIBLE_BIN`, else the venv scripts/test.sh makes in
/// `target/peers/ansible`. `None` (skip) when missing, unless
/// `KILN_REQUIRE_ANSIBLE` or `KILN_REQUIRE_PEERS` is set.
pub fn ansible_bin() -> Option<PathBuf> {
    let dir = std::env::var_os("KILN_ANSIBLE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/peers/ansible/bin")
        });
    if dir.join("ansible-playbook").exists() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("KILN_REQUIRE_ANSIBLE").is_none()
            && std::env::var_os("KILN_REQUIRE_PEERS").is_none(),
        "ansible-playbook is required but missing from {} (scripts/test.sh installs it)",
        dir.display()
    );
    eprintln!(
        "skipping: ansible-playbook not installed in {}",
        dir.display()
    );
    None
}
