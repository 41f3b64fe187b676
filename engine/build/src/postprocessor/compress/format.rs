//! Which archive and compression the `compress` post-processor uses,
//! detected from the output name's last two extensions like Packer
//! (`.tar.gz`, `.zip`, `.gz`, `.lz4`, `.bgzf`, `.xz`…; anything else is a gzipped tar
//! with the name left as it is). kiln adds zstd (`.zst`, `.tar.zst`).

/// Put the files in an archive first?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Archive {
    /// Compress the single input file as it is.
    None,
    Tar,
    Zip,
}

/// The compression stream around the archive (or the single file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    None,
    Gzip,
    Zstd,
    Lz4,
    Bgzf,
    Xz,
}

impl Algorithm {
    /// The name Packer prints ("Tarring X with pgzip").
    pub fn packer_name(self) -> &'static str {
        match self {
            Algorithm::None => "no compression",
            Algorithm::Gzip => "pgzip",
            Algorithm::Zstd => "zstd",
            Algorithm::Lz4 => "lz4",
            Algorithm::Bgzf => "bgzf",
            Algorithm::Xz => "xz",
        }
    }
}

/// Detect from `output` (with `format`, when set, appended as an
/// extension, as Packer does).
pub fn detect(output: &str, format: Option<&str>) -> (Archive, Algorithm) {
    let name = match format {
        Some(f) if !f.is_empty() => format!("{output}.{f}"),
        _ => output.to_string(),
    };
    let exts = extensions(&name);
    let default = (Archive::Tar, Algorithm::Gzip);
    let Some(last) = exts.last() else {
        return default;
    };
    let next_to_last = if exts.len() > 1 {
        exts[exts.len() - 2].as_str()
    } else {
        ""
    };
    let archive = if next_to_last == "tar" {
        Archive::Tar
    } else {
        Archive::None
    };
    match last.as_str() {
        "tar" => (Archive::Tar, Algorithm::None),
        "zip" => (Archive::Zip, Algorithm::None),
        "gz" => (archive, Algorithm::Gzip),
        "zst" | "zstd" => (archive, Algorithm::Zstd),
        "lz4" => (archive, Algorithm::Lz4),
        "bgzf" => (archive, Algorithm::Bgzf),
        "xz" => (archive, Algorithm::Xz),
        _ => default,
    }
}

/// Every `.ext` group of lowercase letters and digits, in order (Packer's
/// `(?:\.([a-z0-9]+))` over the whole name).
fn extensions(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'.' {
            let start = i + 1;
            let mut j = start;
            while j < bytes.len() && (bytes[j].is_ascii_lowercase() || bytes[j].is_ascii_digit()) {
                j += 1;
            }
            if j > start {
                out.push(name[start..j].to_string());
                i = j;
                continue;
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_like_packer() {
        use Algorithm as A;
        use Archive as R;
        let cases = [
            ("packer_hello_file", (R::Tar, A::Gzip)),
            ("out.tar.gz", (R::Tar, A::Gzip)),
            ("out.tgz", (R::Tar, A::Gzip)),
            ("out.tar", (R::Tar, A::None)),
            ("out.zip", (R::Zip, A::None)),
            ("out.gz", (R::None, A::Gzip)),
            ("out.img.gz", (R::None, A::Gzip)),
            ("out.tar.zst", (R::Tar, A::Zstd)),
            ("out.zst", (R::None, A::Zstd)),
            ("out.tar.lz4", (R::Tar, A::Lz4)),
            ("dir.v2/out", (R::Tar, A::Gzip)),
            ("out.IMG", (R::Tar, A::Gzip)),
        ];
        for (name, want) in cases {
            assert_eq!(detect(name, None), want, "{name}");
        }
        assert_eq!(detect("out", Some("zip")), (R::Zip, A::None));
        assert_eq!(detect("out", Some("tar.zst")), (R::Tar, A::Zstd));
        assert_eq!(detect("out.bgzf", None), (R::None, A::Bgzf));
        assert_eq!(detect("out.tar.xz", None), (R::Tar, A::Xz));
    }
}
