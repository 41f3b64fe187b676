//! What the provisioners that work on the build machine share: the
//! connection (or a clear error without one), running a command with its
//! output in the build's UI the way Packer's `RemoteCmd.RunWithUi` does,
//! streaming a local file up, and Packer's `retry.Config` for starting
//! commands while a machine reboots.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiln_sdk::communicator::{CommError, Communicator, ExitStatus, OutputStream};
use kiln_sdk::{BuildError, CancelToken, Ui};

use super::ProvisionContext;

/// Packer's delay between two tries of a retried start.
pub const RETRY_DELAY: Duration = Duration::from_secs(2);

/// The build's connection, or an error naming the provisioner when the
/// build has none (`communicator = "none"`).
pub fn communicator(
    ctx: &ProvisionContext<'_>,
    provisioner: &str,
) -> Result<Arc<dyn Communicator>, BuildError> {
    ctx.communicator.clone().ok_or_else(|| {
        BuildError::Step(format!(
            "The {provisioner} provisioner needs a connection to the machine, but this build's \
             communicator is \"none\"."
        ))
    })
}

/// Packer's `cleanOutputLine`: trailing whitespace trimmed, and only the
/// text after the last carriage return (what a terminal would show).
pub fn clean_line(line: &str) -> &str {
    let line = line.trim_end();
    match line.rfind('\r') {
        Some(i) => &line[i + 1..],
        None => line,
    }
}

/// Run `command`, stdout lines as messages and stderr lines as errors (as
/// Packer shows them). Cancelling the build stops waiting at once.
pub async fn run_with_ui(
    comm: &dyn Communicator,
    command: &str,
    ui: &Ui,
    cancel: &CancelToken,
) -> Result<Result<ExitStatus, CommError>, BuildError> {
    let sink = |stream: OutputStream, line: &str| match stream {
        OutputStream::Stdout => ui.message(clean_line(line)),
        OutputStream::Stderr => ui.error(clean_line(line)),
    };
    tracing::debug!(command, "remote command");
    tokio::select! {
        r = comm.run(command, &sink) => Ok(r),
        _ = cancel.cancelled() => Err(BuildError::Cancelled),
    }
}

/// Run `command` quietly (its output goes to the debug log).
pub async fn run_quiet(
    comm: &dyn Communicator,
    command: &str,
    cancel: &CancelToken,
) -> Result<Result<ExitStatus, CommError>, BuildError> {
    let sink = |_: OutputStream, line: &str| tracing::debug!(line, "remote output");
    tokio::select! {
        r = comm.run(command, &sink) => Ok(r),
        _ = cancel.cancelled() => Err(BuildError::Cancelled),
    }
}

/// Stream the local file `src` to `dst` on the machine.
pub async fn upload_file(
    comm: &dyn Communicator,
    dst: &str,
    src: &Path,
    cancel: &CancelToken,
) -> Result<Result<u64, String>, BuildError> {
    let mut file = match tokio::fs::File::open(src).await {
        Ok(f) => f,
        Err(e) => return Ok(Err(format!("Error opening: {e}"))),
    };
    tokio::select! {
        r = comm.upload(dst, &mut file, None) => Ok(r.map_err(|e| {
            format!("Error uploading {}: {e}", src.display())
        })),
        _ = cancel.cancelled() => Err(BuildError::Cancelled),
    }
}

/// Packer's `retry.Config{StartTimeout}.Run`: call `attempt` until it
/// succeeds, retrying every two seconds until `start_timeout` has passed
/// (zero: forever). `attempt` returns `Err(Ok(msg))` for a retryable
/// failure and `Err(Err(e))` to stop at once (cancellation).
pub async fn retry_start<T, F, Fut>(
    start_timeout: Duration,
    cancel: &CancelToken,
    mut attempt: F,
) -> Result<T, BuildError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Result<String, BuildError>>>,
{
    let started = Instant::now();
    loop {
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(Err(fatal)) => return Err(fatal),
            Err(Ok(msg)) => {
                tracing::info!("Retryable error: {msg}");
                if !start_timeout.is_zero() && started.elapsed() >= start_timeout {
                    return Err(BuildError::Step(msg));
                }
                tokio::select! {
                    _ = tokio::time::sleep(RETRY_DELAY) => {}
                    _ = cancel.cancelled() => return Err(BuildError::Cancelled),
                }
            }
        }
    }
}

/// Quote `s` for a POSIX shell (single quotes; nothing needs escaping
/// inside but the single quote itself).
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@%+,".contains(&b))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_lines_are_cleaned_like_packer() {
        assert_eq!(
            clean_line("progress 10%\rprogress 100%  \r\n"),
            "progress 100%"
        );
        assert_eq!(clean_line("plain"), "plain");
        assert_eq!(clean_line("   indented  "), "   indented");
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("/tmp/a.sh"), "/tmp/a.sh");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\"'\"'s'");
        assert_eq!(shell_quote(""), "''");
    }
}
