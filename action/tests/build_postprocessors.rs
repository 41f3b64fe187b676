//! `kiln build` with post-processor chains, end to end through the
//! binary: the README example and other templates built side by side with
//! Packer 1.6.6 (same files, same checksum files, same manifest shape),
//! chains with keep_input_artifact, post-processor only/except, several
//! kiln processes sharing one manifest, and a full disk.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kiln(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run kiln")
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Whether packer 1.6.6 runs; fails under KILN_REQUIRE_PACKER.
fn packer_available() -> bool {
    let ok = Command::new("packer")
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok || std::env::var_os("KILN_REQUIRE_PACKER").is_none(),
        "KILN_REQUIRE_PACKER is set but `packer` is not on PATH"
    );
    if !ok {
        eprintln!("skipping: packer is not installed");
    }
    ok
}

fn packer(dir: &Path, template: &Path) -> Output {
    Command::new("packer")
        .args(["build", "-color=false"])
        .arg(template)
        .current_dir(dir)
        .env("CHECKPOINT_DISABLE", "1")
        .env("PACKER_CONFIG_DIR", dir.join(".packer.d"))
        .env("HOME", dir)
        .output()
        .expect("run packer")
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hello")
}

/// Regular files under `dir`, relative, sorted (Packer's home excluded).
fn files(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            if rel.starts_with(".packer.d") || rel == "tpl" {
                continue;
            }
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A manifest's bytes with the values that differ between runs replaced:
/// build times, run uuids, and the sizes of compressed files. Key order,
/// indentation and escapes stay as written.
fn normalized_manifest(path: &Path, compressed: &[&str]) -> String {
    let raw = String::from_utf8(std::fs::read(path).unwrap()).unwrap();
    // Both must be valid JSON with the same values apart from those.
    let _: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let mut out = Vec::new();
    let mut compressed_file = false;
    for line in raw.split('\n') {
        let indent = &line[..line.len() - line.trim_start().len()];
        let t = line.trim_start();
        let line = if t.starts_with("\"packer_run_uuid\": ") || t.starts_with("\"last_run_uuid\": ")
        {
            let key = t.split(':').next().unwrap();
            let comma = if t.ends_with(',') { "," } else { "" };
            format!("{indent}{key}: \"UUID\"{comma}")
        } else if t.starts_with("\"build_time\": ") {
            format!("{indent}\"build_time\": TIME,")
        } else if t.starts_with("\"size\": ") && compressed_file {
            format!("{indent}\"size\": SIZE")
        } else {
            line.to_string()
        };
        if t.starts_with("\"name\": ") {
            compressed_file = compressed.iter().any(|c| t.contains(&format!("\"{c}\"")));
        }
        out.push(line);
    }
    out.join("\n")
}

fn extract_tar(archive: &Path) -> Vec<(String, Vec<u8>)> {
    let x = tempfile::tempdir().unwrap();
    let st = Command::new("tar")
        .arg("-xzf")
        .arg(archive)
        .current_dir(x.path())
        .status()
        .unwrap();
    assert!(st.success());
    files(x.path())
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(x.path().join(&f)).unwrap();
            (f, bytes)
        })
        .collect()
}

#[test]
fn readme_example_matches_packer() {
    if !packer_available() {
        return;
    }
    let ours = tempfile::tempdir().unwrap();
    let theirs = tempfile::tempdir().unwrap();
    let k = kiln(
        ours.path(),
        &["build", "-color=false", example().to_str().unwrap()],
    );
    assert_eq!(k.status.code(), Some(0), "{}", text(&k));
    let p = packer(theirs.path(), &example());
    assert_eq!(p.status.code(), Some(0), "{}", text(&p));
    assert_eq!(files(ours.path()), files(theirs.path()));
    assert_eq!(
        files(ours.path()),
        [
            "hello.tar.gz",
            "hello.txt",
            "hello_sha256.checksum",
            "packer-manifest.json"
        ]
    );
    for d in [ours.path(), theirs.path()] {
        // Each checksum file holds the archive's real sha256.
        let sum = Command::new("sha256sum")
            .arg("hello.tar.gz")
            .current_dir(d)
            .output()
            .unwrap();
        let sum = String::from_utf8(sum.stdout).unwrap();
        assert_eq!(
            std::fs::read_to_string(d.join("hello_sha256.checksum")).unwrap(),
            format!("{}\thello.tar.gz\n", &sum[..64])
        );
    }
    assert_eq!(
        std::fs::read(ours.path().join("hello.txt")).unwrap(),
        std::fs::read(theirs.path().join("hello.txt")).unwrap()
    );
    assert_eq!(
        extract_tar(&ours.path().join("hello.tar.gz")),
        extract_tar(&theirs.path().join("hello.tar.gz"))
    );
    let norm = |d: &Path| normalized_manifest(&d.join("packer-manifest.json"), &["hello.tar.gz"]);
    assert_eq!(norm(ours.path()), norm(theirs.path()));
}

const DIFF_TEMPLATE: &str = r#"
source "file" "data" {
  content = "some data\n"
  target  = "data.txt"
}

build {
  sources = ["source.file.data"]

  post-processors {
    post-processor "checksum" {
      checksum_types = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]
    }
    post-processor "manifest" {
      output     = "checksums.json"
      strip_time = true
    }
  }
  post-processors {
    post-processor "compress" {
      output = "{{.BuildName}}.zip"
    }
    post-processor "manifest" {
      output      = "zip.json"
      strip_path  = true
      custom_data = { kind = "zip <&>" }
    }
  }
  post-processors {
    post-processor "artifice" {
      files = ["data.*"]
    }
    post-processor "compress" {
      output              = "{{.BuildName}}.tar"
      keep_input_artifact = true
    }
    post-processor "manifest" {}
  }
}
"#;

#[test]
fn checksums_zip_tar_artifice_and_manifests_match_packer() {
    if !packer_available() {
        return;
    }
    let ours = tempfile::tempdir().unwrap();
    let theirs = tempfile::tempdir().unwrap();
    for d in [ours.path(), theirs.path()] {
        std::fs::create_dir(d.join("tpl")).unwrap();
        std::fs::write(d.join("tpl/diff.pkr.hcl"), DIFF_TEMPLATE).unwrap();
    }
    let k = kiln(ours.path(), &["build", "-color=false", "tpl"]);
    assert_eq!(k.status.code(), Some(0), "{}", text(&k));
    let p = packer(theirs.path(), &theirs.path().join("tpl"));
    assert_eq!(p.status.code(), Some(0), "{}", text(&p));
    assert_eq!(files(ours.path()), files(theirs.path()));
    for f in files(theirs.path()) {
        let (a, b) = (
            std::fs::read(ours.path().join(&f)).unwrap(),
            std::fs::read(theirs.path().join(&f)).unwrap(),
        );
        if f.ends_with(".checksum") || f == "data.txt" {
            assert_eq!(
                String::from_utf8_lossy(&a),
                String::from_utf8_lossy(&b),
                "{f} differs from Packer's"
            );
        }
    }
    // The plain tar holds the same entry with the same bytes.
    let entries = |d: &Path| {
        let o = Command::new("tar")
            .args(["-tf", "data.tar"])
            .current_dir(d)
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap()
    };
    assert_eq!(entries(ours.path()), entries(theirs.path()));
    assert_eq!(
        entries(ours.path()),
        "data.txt\ndata.zip\n",
        "artifice's glob"
    );
    let data = |d: &Path| {
        let o = Command::new("tar")
            .args(["-xOf", "data.tar", "data.txt"])
            .current_dir(d)
            .output()
            .unwrap();
        o.stdout
    };
    assert_eq!(data(ours.path()), b"some data\n");
    assert_eq!(data(ours.path()), data(theirs.path()));
    let unzip = |d: &Path| {
        let o = Command::new("unzip")
            .args(["-p", "data.zip", "data.txt"])
            .current_dir(d)
            .output();
        o.map(|o| o.stdout).unwrap_or_default()
    };
    assert_eq!(unzip(ours.path()), unzip(theirs.path()));
    for (m, compressed) in [
        ("checksums.json", &[][..]),
        ("zip.json", &["data.zip"][..]),
        ("packer-manifest.json", &[][..]),
    ] {
        assert_eq!(
            normalized_manifest(&ours.path().join(m), compressed),
            normalized_manifest(&theirs.path().join(m), compressed),
            "{m}"
        );
    }
}

const TWO_SOURCES: &str = r#"
variable "prefix" {
  type    = string
  default = "p"
}

source "file" "a" {
  content = "aaa\n"
  target  = "${var.prefix}-a.txt"
}

source "file" "b" {
  content = "bbb\n"
  target  = "${var.prefix}-b.txt"
}

source "file" "c" {
  content = "ccc\n"
  target  = "${var.prefix}-c.txt"
}

build {
  sources = ["source.file.a", "source.file.b", "source.file.c"]

  post-processor "compress" {
    only   = ["file.a"]
    output = "${var.prefix}-{{.BuildName}}.tar.gz"
    keep_input_artifact = KEEP
  }
  post-processor "checksum" {
    only   = ["file.b"]
    output = "${var.prefix}-{{.BuildName}}.{{.ChecksumType}}"
  }
  post-processor "manifest" {
    except = ["file.a"]
    output = "shared-manifest.json"
  }
}
"#;

#[test]
fn post_processor_only_except_and_keep_input_artifact() {
    for keep in ["true", "false"] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("t.pkr.hcl"),
            TWO_SOURCES.replace("KEEP", keep),
        )
        .unwrap();
        let o = kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(0), "{out}");
        // (Packer also deletes p-a.txt when it is not kept: the runner's
        // artifact destruction, not the post-processors'.)
        let made: Vec<_> = files(dir.path())
            .into_iter()
            .filter(|f| f != "p-a.txt")
            .collect();
        assert_eq!(
            made,
            [
                "p-a.tar.gz",
                "p-b.md5",
                "p-b.txt",
                "p-c.txt",
                "shared-manifest.json",
                "t.pkr.hcl"
            ],
            "compress only for file.a, checksum only for file.b"
        );
        assert!(
            out.contains("--> file.a: compressed artifacts in: p-a.tar.gz"),
            "{out}"
        );
        assert_eq!(
            out.contains("--> file.a: Stored file: p-a.txt"),
            keep == "true",
            "keep_input_artifact = {keep}: {out}"
        );
        // checksum and manifest keep their input: b's and c's files stay
        // in the artifact list.
        assert!(out.contains("--> file.b: Stored file: p-b.txt"), "{out}");
        assert!(out.contains("--> file.c: Stored file: p-c.txt"), "{out}");
        assert!(
            out.contains("--> file.b: Created artifact from files: p-b.txt, p-b.md5"),
            "{out}"
        );
        let m: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.path().join("shared-manifest.json")).unwrap(),
        )
        .unwrap();
        let mut names: Vec<_> = m["builds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        assert_eq!(names, ["b", "c"], "manifest except file.a");
    }
}

#[test]
fn concurrent_kiln_processes_share_one_manifest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.pkr.hcl"),
        TWO_SOURCES.replace("KEEP", "true"),
    )
    .unwrap();
    let children: Vec<_> = (0..4)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_kiln"))
                .args([
                    "build",
                    "-color=false",
                    "-var",
                    &format!("prefix=r{i}"),
                    "t.pkr.hcl",
                ])
                .current_dir(dir.path())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("shared-manifest.json")).unwrap())
            .unwrap();
    let builds = m["builds"].as_array().unwrap();
    assert_eq!(builds.len(), 8, "4 runs x 2 builds, none lost");
    let mut uuids: Vec<_> = builds
        .iter()
        .map(|b| b["packer_run_uuid"].as_str().unwrap())
        .collect();
    uuids.sort();
    uuids.dedup();
    assert_eq!(uuids.len(), 4);
    assert!(!dir.path().join("shared-manifest.json.lock").exists());
}

#[test]
fn json_template_renders_build_variables_in_outputs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.json"),
        r#"{
  "builders": [{"type": "file", "name": "j", "content": "json\n", "target": "j.txt"}],
  "post-processors": [[
    {"type": "compress", "output": "{{build_name}}-{{build_type}}.zip", "keep_input_artifact": true},
    {"type": "checksum", "checksum_types": ["sha256"]}
  ]]
}"#,
    )
    .unwrap();
    let o = kiln(dir.path(), &["build", "-color=false", "t.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        files(dir.path()),
        [
            "j-file.zip",
            "j.txt",
            "packer_j_file_sha256.checksum",
            "t.json"
        ]
    );
}

#[test]
fn disk_full_manifest_exits_1_and_keeps_the_old_one() {
    let mnt = tempfile::tempdir().unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(mnt.path())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        mounted || std::env::var_os("KILN_REQUIRE_PEERS").is_none(),
        "KILN_REQUIRE_PEERS is set but a tmpfs cannot be mounted"
    );
    if !mounted {
        eprintln!("skipping: cannot mount a tmpfs");
        return;
    }
    struct Umount<'a>(&'a Path);
    impl Drop for Umount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(self.0).status();
        }
    }
    let _u = Umount(mnt.path());
    let manifest = mnt.path().join("m.json");
    let dir = tempfile::tempdir().unwrap();
    let template = format!(
        r#"
variable "archive" {{
  type    = bool
  default = false
}}
source "file" "a" {{
  content = "a\n"
  target  = "a.txt"
}}
build {{
  sources = ["source.file.a"]
  post-processor "compress" {{
    only   = var.archive ? ["file.a"] : ["none"]
    output = "{}/a.tar.gz"
  }}
  post-processor "manifest" {{
    output = "{}"
  }}
}}
"#,
        mnt.path().display(),
        manifest.display()
    );
    std::fs::write(dir.path().join("t.pkr.hcl"), template).unwrap();
    let first = kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let before = std::fs::read(&manifest).unwrap();
    {
        use std::io::Write;
        let mut f = std::fs::File::create(mnt.path().join("fill")).unwrap();
        while f.write_all(&[7u8; 4096]).is_ok() {}
    }
    let o = kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(&format!("Unable to write {}", manifest.display())),
        "{out}"
    );
    assert!(out.contains("No space left on device"), "{out}");
    let o = kiln(
        dir.path(),
        &["build", "-color=false", "-var", "archive=true", "t.pkr.hcl"],
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(&format!(
            "writing {}/a.tar.gz: No space left on device",
            mnt.path().display()
        )),
        "the archive's error names it: {out}"
    );
    assert_eq!(
        std::fs::read(&manifest).unwrap(),
        before,
        "old manifest intact"
    );
    let mut left: Vec<_> = std::fs::read_dir(mnt.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["fill", "m.json"],
        "no half-written archive or manifest"
    );
}

const STREAMS_TEMPLATE: &str = r#"
source "file" "data" {
  content = "stream me\n"
  target  = "data.txt"
}

build {
  sources = ["source.file.data"]

  post-processor "compress" {
    output              = "data.txt.gz"
    keep_input_artifact = true
  }
  post-processor "compress" {
    output              = "data.txt.lz4"
    keep_input_artifact = true
  }
  post-processor "compress" {
    output              = "data.tar.bgzf"
    keep_input_artifact = true
  }
  post-processor "compress" {
    output              = "data.txt.xz"
    keep_input_artifact = true
  }
}
"#;

#[test]
fn gzip_lz4_bgzf_and_xz_decode_like_packers() {
    if !packer_available() {
        return;
    }
    let ours = tempfile::tempdir().unwrap();
    let theirs = tempfile::tempdir().unwrap();
    for d in [ours.path(), theirs.path()] {
        std::fs::create_dir(d.join("tpl")).unwrap();
        std::fs::write(d.join("tpl/s.pkr.hcl"), STREAMS_TEMPLATE).unwrap();
    }
    let k = kiln(ours.path(), &["build", "-color=false", "tpl"]);
    assert_eq!(k.status.code(), Some(0), "{}", text(&k));
    let p = packer(theirs.path(), &theirs.path().join("tpl"));
    assert_eq!(p.status.code(), Some(0), "{}", text(&p));
    assert_eq!(files(ours.path()), files(theirs.path()));
    let decode = |d: &Path, cmd: &str| {
        let o = Command::new("sh")
            .args(["-c", cmd])
            .current_dir(d)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o.stdout
    };
    let have_lz4 = Command::new("sh")
        .args(["-c", "command -v lz4"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        have_lz4 || std::env::var_os("KILN_REQUIRE_PEERS").is_none(),
        "KILN_REQUIRE_PEERS is set but `lz4` is not on PATH"
    );
    let mut cmds = vec![
        "gzip -dc data.txt.gz",
        "gzip -dc data.tar.bgzf | tar -xOf - data.txt",
    ];
    if have_lz4 {
        cmds.push("lz4 -dc data.txt.lz4");
    }
    for cmd in cmds {
        assert_eq!(decode(ours.path(), cmd), b"stream me\n", "{cmd}");
        assert_eq!(
            decode(ours.path(), cmd),
            decode(theirs.path(), cmd),
            "{cmd}"
        );
    }
}

/// The artifact list after "Builds finished" (the `--> NAME: …` lines).
fn artifact_lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.starts_with("--> "))
        .map(str::to_string)
        .collect()
}

const CHAINS: &str = r#"
source "file" "a" {
  content = "chain input\n"
  target  = "a.txt"
}
build {
  sources = ["source.file.a"]
  post-processors {
    post-processor "compress" {
      output = "a.tar.gz"
    }
    post-processor "checksum" {
      checksum_types      = ["sha256"]
      output              = "a.sum"
      keep_input_artifact = false
    }
  }
  post-processors {
    post-processor "shell-local" {
      inline = ["exit 3"]
    }
    post-processor "compress" {
      output = "never.tar.gz"
    }
  }
  post-processor "manifest" {
    output = "m.json"
  }
}
"#;

/// Packer's chain rules, side by side with Packer 1.6.6: an artifact no
/// successor keeps is destroyed (`compress` without keep_input_artifact
/// removes the file it archived… unless another chain keeps it), a forced
/// keep (`checksum`) wins over keep_input_artifact = false, a failing
/// post-processor ends only its own chain, and the build fails at the end.
#[test]
fn chain_rules_match_packer() {
    if !packer_available() {
        return;
    }
    let ours = tempfile::tempdir().unwrap();
    let theirs = tempfile::tempdir().unwrap();
    for d in [ours.path(), theirs.path()] {
        std::fs::write(d.join("t.pkr.hcl"), CHAINS).unwrap();
    }
    let k = kiln(ours.path(), &["build", "-color=false", "t.pkr.hcl"]);
    let p = packer(theirs.path(), &theirs.path().join("t.pkr.hcl"));
    assert_eq!(k.status.code(), Some(1), "{}", text(&k));
    assert_eq!(p.status.code(), Some(1), "{}", text(&p));
    // Same files left behind: the failing chain's shell-local kept a.txt,
    // the manifest chain still ran, never.tar.gz was never made.
    assert_eq!(files(ours.path()), files(theirs.path()));
    let left = files(ours.path());
    for f in ["a.txt", "a.tar.gz", "a.sum", "m.json"] {
        assert!(left.contains(&f.to_string()), "{f} missing: {left:?}");
    }
    assert!(!left.contains(&"never.tar.gz".to_string()), "{left:?}");
    assert!(text(&k).contains("Post-processor failed"), "{}", text(&k));

    // Only compress: the builder's file is destroyed, as Packer does.
    let only = r#"
source "file" "a" {
  content = "x\n"
  target  = "a.txt"
}
build {
  sources = ["source.file.a"]
  post-processor "compress" {
    output = "a.tar.gz"
  }
}
"#;
    let ours = tempfile::tempdir().unwrap();
    let theirs = tempfile::tempdir().unwrap();
    for d in [ours.path(), theirs.path()] {
        std::fs::write(d.join("t.pkr.hcl"), only).unwrap();
    }
    let k = kiln(ours.path(), &["build", "-color=false", "t.pkr.hcl"]);
    let p = packer(theirs.path(), &theirs.path().join("t.pkr.hcl"));
    assert_eq!(k.status.code(), Some(0), "{}", text(&k));
    assert_eq!(p.status.code(), Some(0), "{}", text(&p));
    assert_eq!(files(ours.path()), ["a.tar.gz", "t.pkr.hcl"]);
    assert_eq!(files(ours.path()), files(theirs.path()));
    assert_eq!(artifact_lines(&k), artifact_lines(&p));

    // The README example lists the same artifacts as Packer, duplicates
    // included (a kept input is listed, and manifest passes its input on).
    let ours = tempfile::tempdir().unwrap();
    let theirs = tempfile::tempdir().unwrap();
    let k = kiln(
        ours.path(),
        &["build", "-color=false", example().to_str().unwrap()],
    );
    let p = packer(theirs.path(), &example());
    assert_eq!(artifact_lines(&k), artifact_lines(&p));
    assert_eq!(artifact_lines(&k).len(), 4, "{}", text(&k));
}
