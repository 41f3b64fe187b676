//! The writer stack of an archive: the output file, a compression stream
//! around it, and errors that say which file failed.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use flate2::write::GzEncoder;

use super::bgzf::BgzfWriter;
use super::format::Algorithm;
use crate::postprocessor::output::AtomicFile;
use kiln_sdk::CancelToken;

/// The output file; errors name it.
#[derive(Debug)]
pub struct Output {
    pub file: AtomicFile,
    pub name: PathBuf,
}

impl Output {
    fn tag(&self, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("writing {}: {e}", self.name.display()))
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf).map_err(|e| self.tag(e))
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush().map_err(|e| self.tag(e))
    }
}

impl Seek for Output {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.file.seek(pos).map_err(|e| self.tag(e))
    }
}

/// A compression stream (or none) over the output.
pub enum Compressor {
    None(Output),
    Gzip(GzEncoder<Output>),
    Zstd(zstd::Encoder<'static, Output>),
    Lz4(lz4_flex::frame::FrameEncoder<Output>),
    Bgzf(BgzfWriter<Output>),
    Xz(Box<lzma_rust2::XzWriter<Output>>),
}

impl Compressor {
    pub fn new(algorithm: Algorithm, out: Output, level: i32) -> io::Result<Self> {
        Ok(match algorithm {
            Algorithm::None => Compressor::None(out),
            Algorithm::Gzip => {
                Compressor::Gzip(GzEncoder::new(out, flate2::Compression::new(level as u32)))
            }
            Algorithm::Zstd => Compressor::Zstd(zstd::Encoder::new(out, level)?),
            Algorithm::Lz4 => Compressor::Lz4(lz4_flex::frame::FrameEncoder::new(out)),
            Algorithm::Bgzf => Compressor::Bgzf(BgzfWriter::new(out, level as u32)),
            Algorithm::Xz => Compressor::Xz(Box::new(lzma_rust2::XzWriter::new(
                out,
                lzma_rust2::XzOptions::with_preset(level.clamp(0, 9) as u32),
            )?)),
        })
    }

    /// End the stream (trailers written) and hand back the output.
    pub fn finish(self) -> io::Result<Output> {
        match self {
            Compressor::None(o) => Ok(o),
            Compressor::Gzip(g) => g.finish(),
            Compressor::Zstd(z) => z.finish(),
            Compressor::Lz4(l) => l.finish().map_err(io::Error::other),
            Compressor::Bgzf(b) => b.finish(),
            Compressor::Xz(x) => x.finish(),
        }
    }
}

impl Write for Compressor {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Compressor::None(w) => w.write(buf),
            Compressor::Gzip(w) => w.write(buf),
            Compressor::Zstd(w) => w.write(buf),
            Compressor::Lz4(w) => w.write(buf),
            Compressor::Bgzf(w) => w.write(buf),
            Compressor::Xz(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Compressor::None(w) => w.flush(),
            Compressor::Gzip(w) => w.flush(),
            Compressor::Zstd(w) => w.flush(),
            Compressor::Lz4(w) => w.flush(),
            Compressor::Bgzf(w) => w.flush(),
            Compressor::Xz(w) => w.flush(),
        }
    }
}

/// An input file: reads stop when the run is cancelled, errors name it.
pub struct Input<R> {
    pub inner: R,
    pub name: PathBuf,
    pub cancel: CancelToken,
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.is_cancelled() {
            return Err(io::Error::other("cancelled"));
        }
        self.inner
            .read(buf)
            .map_err(|e| io::Error::new(e.kind(), format!("reading {}: {e}", self.name.display())))
    }
}
