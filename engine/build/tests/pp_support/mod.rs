//! Helpers for the post-processor tests: build a component from pairs,
//! run one post-processor on a file artifact in a scratch directory,
//! require system tools (fail instead of skipping under
//! `KILN_REQUIRE_PEERS`), and a tiny tmpfs for disk-full faults.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use kiln_build::components;
use kiln_lang::template::model::{Component, ComponentKind, ConfigBody};
use kiln_lang::template::Value;
use kiln_sdk::artifact::{Artifact, FileArtifact};
use kiln_sdk::provisioner::ProvisionContext;
use kiln_sdk::Processed;
use kiln_sdk::{BuildError, CancelToken, Secrets, Ui};

pub fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

pub fn list(v: &[&str]) -> Value {
    Value::List(v.iter().map(|x| s(x)).collect())
}

pub fn map(v: &[(&str, &str)]) -> Value {
    Value::Map(
        v.iter()
            .map(|(k, x)| (k.to_string(), s(x)))
            .collect::<BTreeMap<_, _>>(),
    )
}

pub fn component(type_name: &str, pairs: &[(&str, Value)]) -> Component {
    Component {
        kind: ComponentKind::PostProcessor,
        type_name: type_name.to_string(),
        name: None,
        type_range: None,
        context: String::new(),
        config: ConfigBody::from_values(pairs.iter().map(|(k, v)| (*k, v.clone()))),
    }
}

/// Where and as what a post-processor runs.
pub struct Run<'a> {
    pub cwd: &'a Path,
    pub build_name: &'a str,
    pub run_uuid: &'a str,
    pub cancel: CancelToken,
}

impl<'a> Run<'a> {
    pub fn new(cwd: &'a Path) -> Self {
        Run {
            cwd,
            build_name: "hello",
            run_uuid: "11111111-2222-3333-4444-555555555555",
            cancel: CancelToken::new(),
        }
    }

    /// Run `type_name` with `pairs` on `input`; also returns what it said.
    pub async fn process_artifact(
        &self,
        type_name: &str,
        pairs: &[(&str, Value)],
        input: Arc<dyn Artifact>,
    ) -> (Result<Processed, BuildError>, Vec<String>) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let ui = Ui::new(
            format!("file.{}", self.build_name),
            Secrets::new(vec![]),
            tx,
        );
        let ctx = ProvisionContext {
            ui: &ui,
            cancel: &self.cancel,
            cwd: self.cwd,
            build_name: self.build_name,
            builder_type: "file",
            run_uuid: self.run_uuid,
            communicator: None,
            generated: Default::default(),
        };
        let result =
            match components::post_processor(&component(type_name, pairs), &Default::default()) {
                Ok(pp) => pp.post_process(&ctx, input).await,
                Err(e) => Err(e),
            };
        drop(ctx);
        drop(ui);
        let mut said = Vec::new();
        while let Ok(e) = rx.try_recv() {
            said.push(format!("{e:?}"));
        }
        (result, said)
    }

    /// Run on a `file` builder artifact made of `files`.
    pub async fn process(
        &self,
        type_name: &str,
        pairs: &[(&str, Value)],
        files: &[&str],
    ) -> (Result<Processed, BuildError>, Vec<String>) {
        let input = Arc::new(FileArtifact {
            builder_id: "packer.file".to_string(),
            files: files.iter().map(PathBuf::from).collect(),
        });
        self.process_artifact(type_name, pairs, input).await
    }
}

/// Whether `tool` runs; panics under `KILN_REQUIRE_PEERS` when it does not.
pub fn have(tool: &str) -> bool {
    let ok = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok || std::env::var_os("KILN_REQUIRE_PEERS").is_none(),
        "KILN_REQUIRE_PEERS is set but `{tool}` is not on PATH"
    );
    if !ok {
        eprintln!("skipping: `{tool}` is not installed");
    }
    ok
}

/// Run a shell command in `dir`, returning stdout; panics on failure.
pub fn sh(dir: &Path, cmd: &str) -> Vec<u8> {
    let out = Command::new("sh")
        .args(["-c", cmd])
        .current_dir(dir)
        .output()
        .expect("run sh");
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Files (names) in `dir`, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A tmpfs of `kib` KiB mounted on a fresh directory, unmounted on drop.
pub struct TinyFs {
    pub dir: tempfile::TempDir,
}

impl TinyFs {
    /// `None` (skip) when mounting is not permitted here; panics under
    /// `KILN_REQUIRE_PEERS`.
    pub fn mount(kib: u32) -> Option<TinyFs> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir.path())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            ok || std::env::var_os("KILN_REQUIRE_PEERS").is_none(),
            "KILN_REQUIRE_PEERS is set but a tmpfs cannot be mounted (the disk-full tests need root)"
        );
        if !ok {
            eprintln!("skipping: cannot mount a tmpfs");
            return None;
        }
        Some(TinyFs { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fill every free byte (a file `fill`).
    pub fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.path().join("fill")).unwrap();
        let block = vec![0xa5u8; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.flush();
    }
}

impl Drop for TinyFs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Deterministic incompressible bytes.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
