//! An artifact zip → the manifest files in it, with caps on every size
//! (the archive, each entry, the total, the entry count) so a hostile zip
//! cannot exhaust memory.

use std::io::Read;

/// Largest artifact zip downloaded.
pub const MAX_ZIP_BYTES: usize = 64 * 1024 * 1024;
/// Largest manifest inflated.
pub const MAX_ENTRY_BYTES: u64 = 16 * 1024 * 1024;
/// Entries looked at.
pub const MAX_ENTRIES: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("artifact {name:?} is not a valid zip archive: {message}")]
    Zip { name: String, message: String },
    #[error("artifact {name:?}: {entry} is larger than {MAX_ENTRY_BYTES} bytes")]
    TooLarge { name: String, entry: String },
    #[error("artifact {name:?} has more than {MAX_ENTRIES} entries")]
    TooMany { name: String },
    #[error("artifact {name:?} holds no .json file")]
    NoManifest { name: String },
}

/// Every `*.json` file of the zip, as `(path, bytes)`.
pub fn manifests(name: &str, zip_bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ArtifactError> {
    let zerr = |e: zip::result::ZipError| ArtifactError::Zip {
        name: name.to_string(),
        message: e.to_string(),
    };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).map_err(zerr)?;
    if archive.len() > MAX_ENTRIES {
        return Err(ArtifactError::TooMany {
            name: name.to_string(),
        });
    }
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let file = archive.by_index(i).map_err(zerr)?;
        let path = file.name().to_string();
        if file.is_dir() || !path.ends_with(".json") {
            continue;
        }
        let mut buf = Vec::new();
        // Read one byte past the cap: the declared size may lie.
        file.take(MAX_ENTRY_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| ArtifactError::Zip {
                name: name.to_string(),
                message: format!("{path}: {e}"),
            })?;
        if buf.len() as u64 > MAX_ENTRY_BYTES {
            return Err(ArtifactError::TooLarge {
                name: name.to_string(),
                entry: path,
            });
        }
        out.push((path, buf));
    }
    if out.is_empty() {
        return Err(ArtifactError::NoManifest {
            name: name.to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, bytes) in files {
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            w.start_file(*name, opts).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn json_entries_are_read_and_others_skipped() {
        let z = zip_of(&[("a/packer-manifest.json", b"{}"), ("log.txt", b"x")]);
        let m = manifests("art", &z).unwrap();
        assert_eq!(
            m,
            vec![("a/packer-manifest.json".to_string(), b"{}".to_vec())]
        );
        let e = manifests("art", &zip_of(&[("log.txt", b"x")])).unwrap_err();
        assert!(matches!(e, ArtifactError::NoManifest { .. }), "{e}");
    }

    #[test]
    fn a_zip_bomb_stops_at_the_cap() {
        let big = vec![0u8; usize::try_from(MAX_ENTRY_BYTES).unwrap() + 10];
        let z = zip_of(&[("m.json", &big)]);
        assert!(z.len() < 100_000, "compresses well: {}", z.len());
        let e = manifests("art", &z).unwrap_err();
        assert!(matches!(e, ArtifactError::TooLarge { .. }), "{e}");
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let e = manifests("art", b"PK\x03\x04garbage").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("artifact \"art\" is not a valid zip archive"),
            "{e}"
        );
    }
}
