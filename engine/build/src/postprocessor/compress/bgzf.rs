//! BGZF (the blocked gzip of SAM/BAM, Packer's `.bgzf`): a series of gzip
//! members of at most 64 KiB each, every one carrying its size in a `BC`
//! extra field, closed by the standard empty EOF block. Any gzip reader
//! decompresses it; BGZF readers can seek by block.

use std::io::{self, Write};

use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};

/// Uncompressed bytes per block (what htslib and biogo use).
const BLOCK: usize = 0xff00;
/// Header (18) + trailer (8).
const OVERHEAD: usize = 26;
/// The empty block that ends every BGZF file.
const EOF_BLOCK: [u8; 28] = [
    0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 0x06, 0, b'B', b'C', 0x02, 0, 0x1b, 0, 0x03, 0, 0,
    0, 0, 0, 0, 0, 0, 0,
];

pub struct BgzfWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
    level: Compression,
}

impl<W: Write> BgzfWriter<W> {
    pub fn new(inner: W, level: u32) -> Self {
        BgzfWriter {
            inner,
            buf: Vec::with_capacity(BLOCK),
            level: Compression::new(level),
        }
    }

    fn deflate(data: &[u8], level: Compression) -> io::Result<Vec<u8>> {
        let mut e = DeflateEncoder::new(Vec::with_capacity(data.len() / 2), level);
        e.write_all(data)?;
        e.finish()
    }

    fn write_block(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let mut cdata = Self::deflate(&self.buf, self.level)?;
        if cdata.len() + OVERHEAD > 0x10000 {
            cdata = Self::deflate(&self.buf, Compression::none())?;
        }
        let bsize = (cdata.len() + OVERHEAD - 1) as u16;
        let mut crc = Crc::new();
        crc.update(&self.buf);
        let mut header = [
            0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 0x06, 0, b'B', b'C', 0x02, 0, 0, 0,
        ];
        header[16..18].copy_from_slice(&bsize.to_le_bytes());
        self.inner.write_all(&header)?;
        self.inner.write_all(&cdata)?;
        self.inner.write_all(&crc.sum().to_le_bytes())?;
        self.inner
            .write_all(&(self.buf.len() as u32).to_le_bytes())?;
        self.buf.clear();
        Ok(())
    }

    /// Write the last block and the EOF marker; hand back the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.write_block()?;
        self.inner.write_all(&EOF_BLOCK)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for BgzfWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(BLOCK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == BLOCK {
            self.write_block()?;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn blocks_decode_as_multi_member_gzip() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut w = BgzfWriter::new(Vec::new(), 6);
        w.write_all(&data).unwrap();
        let out = w.finish().unwrap();
        assert!(out.ends_with(&EOF_BLOCK));
        // Walk the blocks by their BSIZE fields.
        let mut at = 0;
        let mut blocks = 0;
        while at < out.len() {
            assert_eq!(&out[at..at + 4], &[0x1f, 0x8b, 0x08, 0x04]);
            assert_eq!(&out[at + 12..at + 14], b"BC");
            let bsize = u16::from_le_bytes([out[at + 16], out[at + 17]]) as usize;
            at += bsize + 1;
            blocks += 1;
        }
        assert_eq!(at, out.len());
        assert_eq!(blocks, 4 + 1, "200000 bytes = 4 blocks, then EOF");
        let mut back = Vec::new();
        flate2::read::MultiGzDecoder::new(&out[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
    }
}
