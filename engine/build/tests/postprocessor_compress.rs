//! The `compress` post-processor: every format round-trips through the
//! system's own readers (tar, unzip, gzip, zstd, lz4, xz), Packer's format
//! detection and errors, atomic output on a full disk and on cancel.

mod pp_support;

use std::path::Path;

use kiln_sdk::BuildError;
use pp_support::*;

fn scratch() -> (tempfile::TempDir, Vec<u8>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let a = noise(300_000, 7);
    let b = b"second file\n".repeat(1000);
    std::fs::create_dir_all(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/a.bin"), &a).unwrap();
    std::fs::write(dir.path().join("b.txt"), &b).unwrap();
    (dir, a, b)
}

/// Compress a.bin and b.txt into `output`, then extract with `extract`
/// (run in an empty `x/` directory) and compare.
async fn round_trip_archive(output: &str, tool: &str, extract: &str, flat: bool) {
    if !have(tool) {
        return;
    }
    let (dir, a, b) = scratch();
    let (r, said) = Run::new(dir.path())
        .process(
            "compress",
            &[("output", s(output))],
            &["sub/a.bin", "b.txt"],
        )
        .await;
    let p = r.unwrap_or_else(|e| panic!("{output}: {e}"));
    assert_eq!(p.artifact.files(), vec![Path::new(output).to_path_buf()]);
    assert_eq!(p.artifact.builder_id(), "packer.post-processor.compress");
    assert!(!p.keep_input, "compress does not keep its input by default");
    assert!(
        said.iter()
            .any(|m| m.contains(&format!("Archive {output} completed"))),
        "{said:?}"
    );
    let x = dir.path().join("x");
    std::fs::create_dir(&x).unwrap();
    sh(&x, &extract.replace("OUT", &format!("../{output}")));
    // tar entries are named by base name (Packer), zip entries by path.
    let a_path = if flat {
        x.join("a.bin")
    } else {
        x.join("sub/a.bin")
    };
    assert_eq!(std::fs::read(a_path).unwrap(), a, "{output}");
    assert_eq!(std::fs::read(x.join("b.txt")).unwrap(), b, "{output}");
    // Nothing but the inputs, the archive and the extraction directory.
    let mut want = vec!["b.txt", "sub", "x", output];
    want.sort();
    assert_eq!(listing(dir.path()), want);
}

#[tokio::test]
async fn tar_gz_round_trips() {
    round_trip_archive("out.tar.gz", "tar", "tar -xzf OUT", true).await;
}

#[tokio::test]
async fn tgz_round_trips() {
    round_trip_archive("out.tgz", "tar", "tar -xzf OUT", true).await;
}

#[tokio::test]
async fn name_without_extension_is_a_gzipped_tar() {
    round_trip_archive("packer_out", "tar", "tar -xzf OUT", true).await;
}

#[tokio::test]
async fn plain_tar_round_trips() {
    round_trip_archive("out.tar", "tar", "tar -xf OUT", true).await;
}

#[tokio::test]
async fn zip_round_trips() {
    round_trip_archive("out.zip", "unzip", "unzip -q OUT", false).await;
}

#[tokio::test]
async fn tar_zst_round_trips() {
    round_trip_archive("out.tar.zst", "zstd", "zstd -dc OUT | tar -xf -", true).await;
}

#[tokio::test]
async fn tar_lz4_round_trips() {
    round_trip_archive("out.tar.lz4", "lz4", "lz4 -dc OUT | tar -xf -", true).await;
}

#[tokio::test]
async fn tar_bgzf_round_trips() {
    round_trip_archive("out.tar.bgzf", "gzip", "gzip -dc OUT | tar -xf -", true).await;
}

#[tokio::test]
async fn tar_xz_round_trips() {
    round_trip_archive("out.tar.xz", "xz", "xz -dc OUT | tar -xf -", true).await;
}

#[tokio::test]
async fn format_overrides_the_name() {
    if !have("unzip") {
        return;
    }
    let (dir, _, b) = scratch();
    let (r, _) = Run::new(dir.path())
        .process(
            "compress",
            &[("output", s("bundle")), ("format", s("zip"))],
            &["b.txt"],
        )
        .await;
    r.unwrap();
    assert_eq!(sh(dir.path(), "unzip -p bundle b.txt"), b);
}

/// Single-file streams: `.gz`, `.zst`, `.lz4`.
async fn round_trip_single(output: &str, tool: &str, cat: &str) {
    if !have(tool) {
        return;
    }
    let (dir, a, _) = scratch();
    let (r, said) = Run::new(dir.path())
        .process(
            "compress",
            &[
                ("output", s(output)),
                ("compression_level", Value::Number(9.0)),
            ],
            &["sub/a.bin"],
        )
        .await;
    r.unwrap_or_else(|e| panic!("{output}: {e}"));
    assert!(
        said.iter().any(|m| m.contains("Archiving sub/a.bin with")),
        "{said:?}"
    );
    assert_eq!(sh(dir.path(), &format!("{cat} {output}")), a, "{output}");
}

use kiln_lang::template::Value;

#[tokio::test]
async fn gzip_single_file_round_trips() {
    round_trip_single("a.bin.gz", "gzip", "gzip -dc").await;
}

#[tokio::test]
async fn zstd_single_file_round_trips() {
    round_trip_single("a.bin.zst", "zstd", "zstd -dc").await;
}

#[tokio::test]
async fn lz4_single_file_round_trips() {
    round_trip_single("a.bin.lz4", "lz4", "lz4 -dc").await;
}

#[tokio::test]
async fn bgzf_single_file_round_trips() {
    round_trip_single("a.bin.bgzf", "gzip", "gzip -dc").await;
}

#[tokio::test]
async fn xz_single_file_round_trips() {
    round_trip_single("a.bin.xz", "xz", "xz -dc").await;
}

#[tokio::test]
async fn templates_in_the_output_name() {
    let (dir, _, _) = scratch();
    let (r, _) = Run::new(dir.path())
        .process(
            "compress",
            &[("output", s("dist/{{.BuildName}}_{{.BuilderType}}.tar.gz"))],
            &["b.txt"],
        )
        .await;
    let p = r.unwrap();
    assert_eq!(
        p.artifact.files(),
        vec![Path::new("dist/hello_file.tar.gz").to_path_buf()]
    );
    assert!(dir.path().join("dist/hello_file.tar.gz").is_file());
    assert_eq!(
        p.artifact.description(),
        "compressed artifacts in: dist/hello_file.tar.gz"
    );
}

#[tokio::test]
async fn several_files_into_a_single_file_stream_is_an_error() {
    let (dir, _, _) = scratch();
    let (r, _) = Run::new(dir.path())
        .process(
            "compress",
            &[("output", s("x.gz"))],
            &["sub/a.bin", "b.txt"],
        )
        .await;
    let e = r.unwrap_err().to_string();
    assert!(
        e.contains("Can only have 1 input file when not using tar/zip. Found 2 files"),
        "{e}"
    );
    assert!(!dir.path().join("x.gz").exists());
}

#[tokio::test]
async fn bad_compression_level_is_a_config_error() {
    let (dir, _, _) = scratch();
    let (r, _) = Run::new(dir.path())
        .process(
            "compress",
            &[("compression_level", Value::Number(-5.0))],
            &["b.txt"],
        )
        .await;
    let e = r.unwrap_err();
    assert!(matches!(e, BuildError::Config(_)), "{e:?}");
    assert!(e.to_string().contains("compression_level"), "{e}");
}

#[tokio::test]
async fn missing_input_fails_without_leaving_a_partial_archive() {
    let (dir, _, _) = scratch();
    let (r, _) = Run::new(dir.path())
        .process(
            "compress",
            &[("output", s("o.tar.gz"))],
            &["b.txt", "gone.bin"],
        )
        .await;
    let e = r.unwrap_err().to_string();
    assert!(e.contains("gone.bin"), "{e}");
    assert_eq!(listing(dir.path()), ["b.txt", "sub"]);
}

#[tokio::test]
async fn disk_full_leaves_no_archive_and_names_the_output() {
    let Some(fs) = TinyFs::mount(256) else {
        return;
    };
    let (dir, _, _) = scratch();
    std::fs::write(dir.path().join("big.bin"), noise(2_000_000, 3)).unwrap();
    let out = fs.path().join("out.tar.gz");
    let out_s = out.to_str().unwrap().to_string();
    let (r, _) = Run::new(dir.path())
        .process("compress", &[("output", s(&out_s))], &["big.bin"])
        .await;
    let e = r.unwrap_err().to_string();
    assert!(e.contains(&out_s), "the error names the archive: {e}");
    assert!(e.contains("No space left on device"), "{e}");
    assert_eq!(
        listing(fs.path()),
        Vec::<String>::new(),
        "no partial archive"
    );
}

#[tokio::test]
async fn cancel_removes_the_partial_archive() {
    let (dir, _, _) = scratch();
    std::fs::write(dir.path().join("big.bin"), noise(4_000_000, 5)).unwrap();
    let run = Run::new(dir.path());
    run.cancel.cancel();
    let (r, _) = run
        .process("compress", &[("output", s("o.tar.gz"))], &["big.bin"])
        .await;
    assert_eq!(r.unwrap_err(), BuildError::Cancelled);
    assert_eq!(listing(dir.path()), ["b.txt", "big.bin", "sub"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_mid_stream_removes_the_partial_archive() {
    let (dir, _, _) = scratch();
    std::fs::write(dir.path().join("big.bin"), noise(48_000_000, 9)).unwrap();
    let run = Run::new(dir.path());
    let cancel = run.cancel.clone();
    let path = dir.path().to_path_buf();
    // Cancel as soon as the temporary archive exists and has data.
    let watcher = tokio::spawn(async move {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let started = std::fs::read_dir(&path).unwrap().any(|e| {
                let e = e.unwrap();
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".o.tar.gz.kiln-")
                    && e.metadata().map(|m| m.len() > 0).unwrap_or(false)
            });
            if started || std::time::Instant::now() > deadline {
                cancel.cancel();
                return started;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    });
    let (r, _) = run
        .process("compress", &[("output", s("o.tar.gz"))], &["big.bin"])
        .await;
    assert!(watcher.await.unwrap(), "the archive was being written");
    assert_eq!(r.unwrap_err(), BuildError::Cancelled);
    assert_eq!(listing(dir.path()), ["b.txt", "big.bin", "sub"]);
}
