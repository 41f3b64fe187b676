//! Stopping a script when its build is cancelled. The runner drops a
//! cancelled build's future at once, so this runs from `Drop`: the script's
//! command line first records the PID of the remote shell (`sshd` makes
//! each command a session and process-group leader), and the guard kills
//! that process group and removes the script, within a few seconds.

use std::sync::Arc;
use std::time::Duration;

use kiln_sdk::communicator::{Communicator, OutputStream};

use super::remote::shell_quote;

/// How long a cancelled build waits for the remote clean-up.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// `command` prefixed with recording its shell's PID in `pid_file`.
pub fn recording_pid(pid_file: &str, command: &str) -> String {
    format!("echo $$ > {}; {command}", shell_quote(pid_file))
}

/// Kills the remote script's process group and removes `files` when
/// dropped, unless disarmed.
pub struct StopOnDrop {
    comm: Option<Arc<dyn Communicator>>,
    pid_file: String,
    files: Vec<String>,
}

impl StopOnDrop {
    pub fn new(comm: Arc<dyn Communicator>, pid_file: &str, files: &[&str]) -> Self {
        StopOnDrop {
            comm: Some(comm),
            pid_file: pid_file.to_string(),
            files: files.iter().map(|f| f.to_string()).collect(),
        }
    }

    /// The script finished (or never started): nothing to stop.
    pub fn disarm(mut self) {
        self.comm = None;
    }
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let Some(comm) = self.comm.take() else { return };
        let files: Vec<String> = self.files.iter().map(|f| shell_quote(f)).collect();
        let command = format!(
            "pid=$(cat {pid} 2>/dev/null); [ -n \"$pid\" ] && kill -TERM -- -\"$pid\" 2>/dev/null; rm -f {files}",
            pid = shell_quote(&self.pid_file),
            files = files.join(" ")
        );
        let stop = async move {
            let sink = |_: OutputStream, _: &str| {};
            let r = tokio::time::timeout(STOP_TIMEOUT, comm.run(&command, &sink)).await;
            tracing::debug!(?r, "stopping a cancelled remote script");
        };
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        match handle.runtime_flavor() {
            // Finish before the process may exit: block this worker.
            tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| handle.block_on(stop));
            }
            _ => {
                handle.spawn(stop);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pid_is_recorded_before_the_command() {
        assert_eq!(
            recording_pid("/tmp/s.sh.pid", "chmod +x /tmp/s.sh; /tmp/s.sh"),
            "echo $$ > /tmp/s.sh.pid; chmod +x /tmp/s.sh; /tmp/s.sh"
        );
    }
}
