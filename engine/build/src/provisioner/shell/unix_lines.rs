//! Packer's `UnixReader`: a script is uploaded with Windows line endings
//! turned into Unix ones (and a final newline), unless `binary = true`.
//! Streams through a small pipe, so memory does not grow with the file.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader, DuplexStream};
use tokio::task::JoinHandle;

const PIPE_BYTES: usize = 64 * 1024;

/// A reader of `src` with CRLF line ends turned into LF. Await the handle
/// after the reader is drained: an error there means the upload is short.
pub fn convert(
    src: impl AsyncRead + Unpin + Send + 'static,
) -> (DuplexStream, JoinHandle<std::io::Result<()>>) {
    let (reader, mut writer) = tokio::io::duplex(PIPE_BYTES);
    let task = tokio::spawn(async move {
        let mut src = BufReader::new(src);
        let mut line = Vec::new();
        loop {
            line.clear();
            if src.read_until(b'\n', &mut line).await? == 0 {
                break;
            }
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            line.push(b'\n');
            writer.write_all(&line).await?;
        }
        writer.shutdown().await
    });
    (reader, task)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn through(input: &'static [u8]) -> Vec<u8> {
        let (mut r, task) = convert(input);
        let mut out = Vec::new();
        r.read_to_end(&mut out).await.expect("read");
        task.await.expect("join").expect("convert");
        out
    }

    #[tokio::test]
    async fn crlf_becomes_lf_and_last_line_gets_a_newline() {
        assert_eq!(through(b"a\r\nb\nc\r").await, b"a\nb\nc\n");
        assert_eq!(through(b"").await, b"");
        assert_eq!(through(b"x\r\r\n").await, b"x\r\n");
    }
}
