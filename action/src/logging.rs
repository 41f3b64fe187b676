//! Detailed logs, off by default, as Packer users turn them on:
//! `PACKER_LOG=1` (any value but empty or `0`) logs at debug level,
//! `KILN_LOG=LEVEL|FILTER` (a `tracing` filter such as
//! `kiln_build::runner=trace`) picks what to log; `PACKER_LOG_PATH=FILE`
//! appends the logs to a file instead of stderr. Every log line goes
//! through the run's secret store, so sensitive values (and their quoted
//! or escaped forms) never reach a log.

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use kiln_sdk::Secrets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// The process's secret store: `kiln build` adds sensitive values to it
/// and the runner generated ones; the log writer masks with it.
pub fn secrets() -> Secrets {
    static STORE: OnceLock<Secrets> = OnceLock::new();
    STORE.get_or_init(Secrets::default).clone()
}

/// Where log lines go.
#[derive(Clone)]
enum Sink {
    Stderr,
    File(Arc<Mutex<std::fs::File>>),
}

/// Makes one masking writer per log event.
#[derive(Clone)]
struct MaskingMakeWriter {
    sink: Sink,
    secrets: Secrets,
}

/// Collects one formatted event, masks it and writes it whole on drop.
struct MaskingWriter {
    sink: Sink,
    secrets: Secrets,
    buf: Vec<u8>,
}

impl Write for MaskingWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let text = self.secrets.mask(&String::from_utf8_lossy(&self.buf));
        self.buf.clear();
        match &self.sink {
            Sink::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
            Sink::File(f) => {
                let mut f = f.lock().unwrap_or_else(|e| e.into_inner());
                f.write_all(text.as_bytes())
            }
        }
    }
}

impl Drop for MaskingWriter {
    fn drop(&mut self) {
        // Nowhere to report a failed log write.
        let _ = self.flush();
    }
}

impl<'a> MakeWriter<'a> for MaskingMakeWriter {
    type Writer = MaskingWriter;

    fn make_writer(&'a self) -> MaskingWriter {
        MaskingWriter {
            sink: self.sink.clone(),
            secrets: self.secrets.clone(),
            buf: Vec::new(),
        }
    }
}

/// The filter the environment asks for, or `None` when logging is off.
fn filter_from_env() -> Option<EnvFilter> {
    let non_empty = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let Some(f) = non_empty("KILN_LOG") {
        return Some(EnvFilter::try_new(&f).unwrap_or_else(|e| {
            eprintln!(
                "Warning: KILN_LOG={f:?} is not a valid log filter ({e}); logging at debug level."
            );
            EnvFilter::new("debug")
        }));
    }
    match non_empty("PACKER_LOG") {
        Some(v) if v != "0" => Some(EnvFilter::new(
            "info,kiln=debug,kiln_lang=debug,kiln_sdk=debug,kiln_build=debug",
        )),
        _ => None,
    }
}

/// Install the log subscriber the environment asks for (nothing when
/// logs are off).
pub fn init() {
    let Some(filter) = filter_from_env() else {
        return;
    };
    let sink = match std::env::var("PACKER_LOG_PATH")
        .ok()
        .filter(|p| !p.is_empty())
    {
        Some(path) => match OpenOptions::new().create(true).append(true).open(&path) {
            Ok(f) => Sink::File(Arc::new(Mutex::new(f))),
            Err(e) => {
                eprintln!(
                    "Warning: cannot open PACKER_LOG_PATH {path:?} ({e}); logging to stderr."
                );
                Sink::Stderr
            }
        },
        None => Sink::Stderr,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(MaskingMakeWriter {
            sink,
            secrets: secrets(),
        })
        .try_init();
    tracing::debug!(version = env!("CARGO_PKG_VERSION"), "kiln logging started");
}
