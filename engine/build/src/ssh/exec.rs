//! Run one command in a session channel, streaming its output line by
//! line.

use russh::client::Msg;
use russh::{Channel, ChannelMsg};

use super::config::SshConfig;
use kiln_sdk::communicator::{CommError, ExitStatus, OutputSink, OutputStream};

/// A line longer than this is delivered in pieces (bounded memory).
const MAX_LINE: usize = 64 * 1024;

/// Splits a byte stream into lines for the sink.
struct Lines {
    stream: OutputStream,
    buf: Vec<u8>,
}

impl Lines {
    fn new(stream: OutputStream) -> Self {
        Lines {
            stream,
            buf: Vec::new(),
        }
    }

    fn push(&mut self, data: &[u8], sink: OutputSink<'_>) {
        let mut rest = data;
        while let Some(i) = rest.iter().position(|b| *b == b'\n') {
            self.buf.extend_from_slice(&rest[..i]);
            self.emit(sink);
            rest = &rest[i + 1..];
        }
        self.buf.extend_from_slice(rest);
        if self.buf.len() >= MAX_LINE {
            self.emit(sink);
        }
    }

    fn emit(&mut self, sink: OutputSink<'_>) {
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        sink(self.stream, &String::from_utf8_lossy(&self.buf));
        self.buf.clear();
    }

    fn finish(&mut self, sink: OutputSink<'_>) {
        if !self.buf.is_empty() {
            self.emit(sink);
        }
    }
}

/// The exit status Go's ssh package reports for a signal: 128 + number.
fn signal_status(sig: &russh::Sig) -> u32 {
    use russh::Sig;
    128 + match sig {
        Sig::HUP => 1,
        Sig::INT => 2,
        Sig::QUIT => 3,
        Sig::ILL => 4,
        Sig::ABRT => 6,
        Sig::FPE => 8,
        Sig::KILL => 9,
        Sig::USR1 => 10,
        Sig::SEGV => 11,
        Sig::PIPE => 13,
        Sig::ALRM => 14,
        Sig::TERM => 15,
        _ => 0,
    }
}

pub async fn run(
    mut channel: Channel<Msg>,
    command: &str,
    config: &SshConfig,
    sink: OutputSink<'_>,
) -> Result<ExitStatus, CommError> {
    let fail = |what: &str, e: russh::Error| CommError::Disconnected(format!("{what}: {e}"));
    if config.agent_forwarding && std::env::var_os("SSH_AUTH_SOCK").is_some() {
        // Best effort, like Packer: a server that refuses still runs the
        // command.
        channel
            .agent_forward(false)
            .await
            .map_err(|e| fail("requesting agent forwarding", e))?;
    }
    if config.pty {
        channel
            .request_pty(false, "xterm", 80, 40, 0, 0, &[])
            .await
            .map_err(|e| fail("requesting a pty", e))?;
    }
    channel
        .exec(true, command)
        .await
        .map_err(|e| fail("starting the command", e))?;
    let mut out = Lines::new(OutputStream::Stdout);
    let mut err = Lines::new(OutputStream::Stderr);
    let mut code = None;
    while let Some(msg) = channel.wait().await {
        match msg {
            ChannelMsg::Data { data } => out.push(&data, sink),
            ChannelMsg::ExtendedData { data, ext: 1 } => err.push(&data, sink),
            ChannelMsg::ExitStatus { exit_status } => code = Some(exit_status),
            ChannelMsg::ExitSignal { signal_name, .. } => code = Some(signal_status(&signal_name)),
            ChannelMsg::Failure => {
                return Err(CommError::Remote(format!(
                    "the server refused to run the command: {command}"
                )))
            }
            ChannelMsg::Close => break,
            _ => {}
        }
    }
    out.finish(sink);
    err.finish(sink);
    Ok(ExitStatus { code })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn lines_split_across_chunks_and_strip_cr() {
        let got = Mutex::new(Vec::new());
        let sink = |s: OutputStream, l: &str| got.lock().unwrap().push((s, l.to_string()));
        let mut lines = Lines::new(OutputStream::Stdout);
        lines.push(b"he", &sink);
        lines.push(b"llo\r\nwor", &sink);
        lines.push(b"ld\n\npartial", &sink);
        lines.finish(&sink);
        let got: Vec<String> = got
            .into_inner()
            .unwrap()
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        assert_eq!(got, ["hello", "world", "", "partial"]);
    }
}
