//! Streams a 200 MB upload and download through the docker communicator
//! (archive API) into a container on a private Podman service, printing
//! wall time and the process's peak RSS growth: memory must not depend on
//! the file size. `cargo bench -p kiln-build --bench docker_transfer`

#[path = "../tests/support/podman.rs"]
mod podman;

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use async_trait::async_trait;
use kiln_build::components;
use kiln_lang::template::model::{Component, ComponentKind, ConfigAttr, ConfigBody};
use kiln_lang::template::Value;
use kiln_sdk::builder::{BuildContext, ProvisionHook};
use kiln_sdk::communicator::{Communicator, GeneratedData};
use kiln_sdk::{BuildError, CancelToken, CleanupStack, Secrets, Ui};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

const SIZE: u64 = 200 * 1024 * 1024;

/// `SIZE` bytes of a repeating pattern, generated as read.
struct Pattern(u64);

impl AsyncRead for Pattern {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let n = (buf.remaining() as u64).min(SIZE - self.0) as usize;
        let chunk: Vec<u8> = (0..n)
            .map(|i| ((self.0 as usize + i) % 251) as u8)
            .collect();
        buf.put_slice(&chunk);
        self.0 += n as u64;
        Poll::Ready(Ok(()))
    }
}

/// Counts what is written, keeps nothing.
struct Sink(u64);

impl AsyncWrite for Sink {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.0 += buf.len() as u64;
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

struct Hook;

#[async_trait]
impl ProvisionHook for Hook {
    async fn provision(
        &self,
        comm: Option<Arc<dyn Communicator>>,
        _: GeneratedData,
    ) -> Result<(), BuildError> {
        let comm = comm.expect("communicator");
        let before = peak_rss_kib();
        let t = Instant::now();
        let n = comm
            .upload("/tmp/big.bin", &mut Pattern(0), None)
            .await
            .map_err(|e| BuildError::Step(e.to_string()))?;
        let up = t.elapsed();
        let after_up = peak_rss_kib();
        let t = Instant::now();
        let mut sink = Sink(0);
        let m = comm
            .download("/tmp/big.bin", &mut sink)
            .await
            .map_err(|e| BuildError::Step(e.to_string()))?;
        let down = t.elapsed();
        let after_down = peak_rss_kib();
        assert_eq!((n, m, sink.0), (SIZE, SIZE, SIZE));
        println!(
            "docker communicator, {} MiB: upload {:.2}s ({:.0} MiB/s), download {:.2}s ({:.0} MiB/s)",
            SIZE >> 20,
            up.as_secs_f64(),
            (SIZE >> 20) as f64 / up.as_secs_f64(),
            down.as_secs_f64(),
            (SIZE >> 20) as f64 / down.as_secs_f64()
        );
        println!(
            "peak RSS: {} MiB before, +{} MiB after upload, +{} MiB after download",
            before >> 10,
            (after_up - before) >> 10,
            (after_down - before) >> 10
        );
        Ok(())
    }
}

fn main() {
    let Some(p) = podman::Podman::start() else {
        eprintln!("podman not available: skipped");
        return;
    };
    p.export_env();
    let attrs = [
        ("image", Value::from(podman::BASE_IMAGE)),
        ("pull", false.into()),
        ("discard", true.into()),
    ];
    let c = Component {
        kind: ComponentKind::Builder,
        type_name: "docker".to_string(),
        name: None,
        type_range: None,
        context: String::new(),
        config: ConfigBody {
            attrs: attrs
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
        },
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let ui = Ui::new("docker.bench", Secrets::default(), tx);
        let cancel = CancelToken::new();
        let mut cleanup = CleanupStack::new();
        let b = components::builder(&c).expect("builder");
        let mut ctx = BuildContext {
            ui: &ui,
            cancel: &cancel,
            cleanup: &mut cleanup,
            hook: &Hook,
            cwd: std::path::Path::new("."),
            force: false,
        };
        let r = b.run(&mut ctx).await;
        cleanup.unwind().await;
        r.expect("bench build");
    });
    p.assert_no_containers();
}
