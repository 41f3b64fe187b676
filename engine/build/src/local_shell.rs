//! Running commands on the machine kiln runs on (shell-local provisioner
//! and post-processor): output streamed line by line into the build's
//! event stream, the child killed on cancellation.

use std::path::Path;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;

use kiln_sdk::{BuildError, CancelToken, Ui};

/// Run `argv` with extra environment variables in `cwd`, streaming its
/// stdout and stderr to `ui`. Returns the exit code (`-1` when killed by a
/// signal).
pub async fn run_streamed(
    argv: &[String],
    env: &[(String, String)],
    cwd: &Path,
    ui: &Ui,
    cancel: &CancelToken,
) -> Result<i32, BuildError> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| BuildError::config("empty command".to_string()))?;
    let mut child = Command::new(program)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        // Own process group, so cancellation reaches the script's children.
        .process_group(0)
        .spawn()
        .map_err(|e| BuildError::Step(format!("failed to start {program}: {e}")))?;
    // Killing the whole group on every exit path, including this future
    // being dropped because the build was cancelled elsewhere.
    let _group = child
        .id()
        .and_then(|p| i32::try_from(p).ok())
        .map(GroupKiller);
    let out = child.stdout.take().map(|s| pump(s, ui.clone()));
    let err = child.stderr.take().map(|s| pump(s, ui.clone()));
    let status = tokio::select! {
        s = child.wait() => s.map_err(|e| BuildError::Step(format!("waiting for {program}: {e}")))?,
        _ = cancel.cancelled() => return Err(BuildError::Cancelled),
    };
    for task in [out, err].into_iter().flatten() {
        let _ = task.await;
    }
    Ok(status.code().unwrap_or(-1))
}

fn pump(stream: impl AsyncRead + Unpin + Send + 'static, ui: Ui) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            ui.message(line);
        }
    })
}

/// Sends SIGKILL to a process group when dropped.
struct GroupKiller(i32);

impl Drop for GroupKiller {
    fn drop(&mut self) {
        // SAFETY: kill(2) with a negative pid signals that process group;
        // it has no memory-safety preconditions. ESRCH (already gone) is fine.
        unsafe { libc::kill(-self.0, libc::SIGKILL) };
    }
}
