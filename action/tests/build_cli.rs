//! `kiln build` end to end: the binary on real templates in a scratch dir.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn kiln(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run kiln")
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write template");
}

#[test]
fn builds_the_readme_example() {
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hello");
    let out = kiln(
        dir.path(),
        &["build", "-color=false", example.to_str().unwrap()],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("==> file.hello: Creating file hello.txt"),
        "{stdout}"
    );
    assert!(
        stdout.contains("    file.hello: provisioning hello built by file"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--> file.hello: Stored file: hello.txt"),
        "{stdout}"
    );
    let text = std::fs::read_to_string(dir.path().join("hello.txt")).unwrap();
    assert!(text.starts_with("hello from kiln ("), "{text}");
    for line in [
        "==> file.hello: Running post-processor: compress",
        "==> file.hello (compress): Tarring hello.tar.gz with pgzip",
        "==> file.hello (compress): Archive hello.tar.gz completed",
        "--> file.hello: compressed artifacts in: hello.tar.gz",
        "--> file.hello: Created artifact from files: hello.tar.gz, hello_sha256.checksum",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
    // The archive holds the built file; the checksum file is its sha256.
    let listing = Command::new("tar")
        .args(["-xzOf", "hello.tar.gz", "hello.txt"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&listing.stdout), text);
    let sum = Command::new("sha256sum")
        .arg("hello.tar.gz")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let sum = String::from_utf8(sum.stdout).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("hello_sha256.checksum")).unwrap(),
        format!("{}\thello.tar.gz\n", &sum[..64])
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("packer-manifest.json")).unwrap())
            .unwrap();
    let build = &manifest["builds"][0];
    assert_eq!(build["name"], "hello");
    assert_eq!(build["builder_type"], "file");
    assert_eq!(build["files"][0]["name"], "hello.tar.gz");
    assert_eq!(
        build["files"][0]["size"],
        std::fs::metadata(dir.path().join("hello.tar.gz"))
            .unwrap()
            .len()
    );
    assert_eq!(build["files"][1]["name"], "hello_sha256.checksum");
    assert_eq!(build["packer_run_uuid"], manifest["last_run_uuid"]);
}

const TWO_BUILDS: &str = r#"
variable "secret" {
  type      = string
  sensitive = true
}

source "file" "a" {
  content = "a"
  target  = "a.txt"
}

source "file" "b" {
  content = "b"
  target  = "b.txt"
}

build {
  sources = ["source.file.a", "source.file.b"]

  provisioner "shell-local" {
    only   = ["file.b"]
    inline = ["echo the secret is ${var.secret}", "exit 3"]
  }
}
"#;

#[test]
fn failed_build_exits_1_masks_secrets_and_keeps_siblings() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.pkr.hcl", TWO_BUILDS);
    let out = kiln(
        dir.path(),
        &[
            "build",
            "-color=false",
            "-var",
            "secret=hunter2",
            "t.pkr.hcl",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(!stdout.contains("hunter2"), "secret leaked: {stdout}");
    assert!(
        stdout.contains("    file.b: the secret is <sensitive>"),
        "{stdout}"
    );
    assert!(stdout.contains("Build 'file.b' errored after"), "{stdout}");
    assert!(
        stdout.contains("--> file.b: Erroneous exit code 3"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--> file.a: Stored file: a.txt"),
        "{stdout}"
    );
    assert!(dir.path().join("a.txt").exists());
    assert!(!dir.path().join("b.txt").exists());
}

#[test]
fn only_selects_builds_by_glob() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.pkr.hcl", TWO_BUILDS);
    let out = kiln(
        dir.path(),
        &[
            "build",
            "-color=false",
            "-only=*.a",
            "-var",
            "secret=x",
            "t.pkr.hcl",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(dir.path().join("a.txt").exists());
    assert!(!dir.path().join("b.txt").exists());
}

#[test]
fn invalid_template_builds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.pkr.hcl",
        "source \"file\" \"a\" {\n  contnt = \"a\"\n  target = \"a.txt\"\n}\nbuild {\n  sources = [\"source.file.a\"]\n}\n",
    );
    let out = kiln(dir.path(), &["build", "t.pkr.hcl"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("t.pkr.hcl line 2"), "{stderr}");
    assert!(!dir.path().join("a.txt").exists());
}

#[test]
fn sigint_cancels_cleanly_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("sleep 41.{}", std::process::id());
    write(
        dir.path(),
        "t.pkr.hcl",
        &format!(
            "source \"file\" \"a\" {{\n  content = \"a\"\n  target  = \"a.txt\"\n}}\nbuild {{\n  sources = [\"source.file.a\"]\n  provisioner \"shell-local\" {{\n    inline = [\"echo started\", \"{marker}\"]\n  }}\n}}\n"
        ),
    );
    let child = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["build", "-color=false", "t.pkr.hcl"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // wait until the provisioner runs
    let start = Instant::now();
    loop {
        let ps = Command::new("pgrep")
            .args(["-f", &marker])
            .output()
            .unwrap();
        if !ps.stdout.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "provisioner never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("Cleanly cancelled builds after being interrupted."),
        "{stdout}"
    );
    assert!(start.elapsed() < Duration::from_secs(30));
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "t.pkr.hcl")
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let ps = Command::new("pgrep")
        .args(["-f", &marker])
        .output()
        .unwrap();
    assert!(ps.stdout.is_empty(), "provisioner process still running");
}
