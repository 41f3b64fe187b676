//! `kiln build` with the `docker` builder end to end against a private
//! Podman API service: commit with changes, then docker-tag and
//! docker-save; SIGINT mid-build and an unreachable daemon leave no
//! container behind (asserted through the API).

#[path = "../../engine/build/tests/support/podman.rs"]
mod podman;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use podman::{Podman, BASE_IMAGE};

fn kiln_cmd(dir: &Path, p: Option<&Podman>, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kiln"));
    c.args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("PACKER_LOG")
        .env_remove("PACKER_LOG_PATH")
        .env_remove("KILN_LOG")
        .stdin(Stdio::null());
    if let Some(p) = p {
        c.envs(p.env());
    }
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn build_commit_tag_and_save() {
    let Some(p) = Podman::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.pkr.hcl"),
        format!(
            r#"source "docker" "t" {{
  image   = "{BASE_IMAGE}"
  pull    = false
  commit  = true
  changes = ["ENV BUILT_BY=kiln", "LABEL stage=e2e"]
}}
build {{
  sources = ["source.docker.t"]
  provisioner "shell-local" {{
    inline = ["echo container ${{build.ID}}"]
  }}
  post-processor "manifest" {{
    output = "manifest.json"
  }}
  post-processors {{
    post-processor "docker-tag" {{
      repository = "localhost/kiln/e2e"
      tags       = ["1.0"]
    }}
    post-processor "docker-save" {{
      path = "e2e.tar"
    }}
  }}
}}
"#
        ),
    )
    .unwrap();
    let out = kiln_cmd(
        dir.path(),
        Some(&p),
        &["build", "-color=false", "t.pkr.hcl"],
    )
    .output()
    .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    for line in [
        "==> docker.t: Creating a temporary directory for sharing data...",
        "==> docker.t: Starting docker container...",
        "==> docker.t: Using docker communicator to connect: ",
        "==> docker.t: Committing the container",
        "==> docker.t: Killing the container: ",
        "docker.t (docker-tag): Repository: localhost/kiln/e2e:1.0",
        "docker.t (docker-save): Saved to: e2e.tar",
        "--> docker.t: Imported Docker image: localhost/kiln/e2e:1.0 with tags localhost/kiln/e2e:1.0",
    ] {
        assert!(all.contains(line), "{line:?} not in:\n{all}");
    }
    // build.ID reached the provisioner: the container id from the API.
    let id_line = all
        .lines()
        .find(|l| l.contains("Container ID: "))
        .expect("container id shown");
    let id = id_line.rsplit(' ').next().unwrap();
    assert!(all.contains(&format!("container {id}")), "{all}");
    let image = p
        .inspect_image("localhost/kiln/e2e:1.0")
        .expect("tagged image");
    assert_eq!(image["Config"]["Labels"]["stage"], "e2e");
    assert!(dir.path().join("e2e.tar").metadata().unwrap().len() > 100_000);
    // The manifest records the committed image like Packer's.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("manifest.json")).unwrap())
            .unwrap();
    let entry = &manifest["builds"][0];
    assert_eq!(entry["builder_type"], "docker", "{manifest}");
    assert_eq!(entry["name"], "t", "{manifest}");
    let committed = entry["artifact_id"].as_str().unwrap();
    assert!(
        all.contains(&format!("Image ID: {committed}")),
        "{manifest}\n{all}"
    );
    assert_eq!(p.inspect_image(committed).unwrap()["Id"], image["Id"]);
    p.assert_no_containers();
}

#[test]
fn sigint_mid_build_removes_the_container() {
    let Some(p) = Podman::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("sleep 43.{}", std::process::id());
    std::fs::write(
        dir.path().join("t.pkr.hcl"),
        format!(
            "source \"docker\" \"t\" {{\n  image = \"{BASE_IMAGE}\"\n  pull = false\n  commit = true\n}}\nbuild {{\n  sources = [\"source.docker.t\"]\n  provisioner \"shell-local\" {{\n    inline = [\"{marker}\"]\n  }}\n}}\n"
        ),
    )
    .unwrap();
    let child = kiln_cmd(
        dir.path(),
        Some(&p),
        &["build", "-color=false", "t.pkr.hcl"],
    )
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
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
            start.elapsed() < Duration::from_secs(60),
            "provisioner never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The container exists while the provisioner runs.
    assert_eq!(p.containers().len(), 1);
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
    p.assert_no_containers();
}

#[test]
fn unreachable_daemon_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.pkr.hcl"),
        "source \"docker\" \"t\" {\n  image = \"x\"\n  discard = true\n}\nbuild {\n  sources = [\"source.docker.t\"]\n}\n",
    )
    .unwrap();
    let host = format!("unix://{}/none.sock", dir.path().display());
    let out = kiln_cmd(dir.path(), None, &["build", "-color=false", "t.pkr.hcl"])
        .env("DOCKER_HOST", &host)
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains(&format!(
            "Cannot connect to the Docker daemon at {host} (set by DOCKER_HOST"
        )),
        "{all}"
    );
}

/// The seeds from `shared/seeds/` build as written, except `pull = false`
/// (no registry is reachable here): their base image is the local busybox
/// image with a stub `apt-get`, tagged with the seed's image name. The
/// `shell` provisioner runs through the docker communicator.
fn seed(name: &str) -> Option<String> {
    let dir = std::env::var_os("KILN_SHARED_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let path = dir.join("seeds").join(name);
    let found = path.exists();
    assert!(
        found || std::env::var_os("KILN_REQUIRE_SHARED").is_none(),
        "KILN_REQUIRE_SHARED is set but {} is missing",
        path.display()
    );
    found.then(|| std::fs::read_to_string(path).unwrap())
}

/// A local image named `name`: the base plus a stub `apt-get` that logs
/// its arguments and makes the directories the seeds write into.
fn stub_base(p: &Podman, name: &str) {
    let script = "printf '#!/bin/sh\\necho \"apt-get $*\" >> /var/log/apt-stub.log\\nmkdir -p /var/www/html\\n' > /bin/apt-get && chmod +x /bin/apt-get && mkdir -p /var/log";
    p.podman(&["run", "--name", "stub", BASE_IMAGE, "/bin/sh", "-c", script])
        .expect("make the stub");
    p.podman(&["commit", "-q", "stub", name])
        .expect("commit stub");
    p.podman(&["rm", "stub"]).expect("rm stub");
}

#[test]
fn seed_json_export_then_docker_import() {
    let Some(src) = seed("notes-ko-02.json") else {
        return;
    };
    let Some(p) = Podman::start() else { return };
    stub_base(&p, "docker.io/library/ubuntu:16.04");
    let mut template: serde_json::Value = serde_json::from_str(&src).unwrap();
    template["builders"][0]["pull"] = serde_json::Value::Bool(false);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("seed.json"),
        serde_json::to_string_pretty(&template).unwrap(),
    )
    .unwrap();
    let out = kiln_cmd(
        dir.path(),
        Some(&p),
        &["build", "-color=false", "seed.json"],
    )
    .output()
    .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("Exporting the container"), "{all}");
    assert!(all.contains("Repository: nacyot/ubuntu:wget"), "{all}");
    assert!(dir.path().join("nacyot-ubuntu-wget.tar").exists());
    let image = p
        .inspect_image("docker.io/nacyot/ubuntu:wget")
        .expect("imported image");
    assert!(image["Id"].as_str().is_some());
    // The provisioner's commands ran inside the container.
    let log = p
        .podman(&[
            "run",
            "--rm",
            "docker.io/nacyot/ubuntu:wget",
            "/bin/cat",
            "/var/log/apt-stub.log",
        ])
        .expect("read the log");
    assert_eq!(log, "apt-get update\napt-get install -y wget\n");
    p.podman(&["container", "prune", "-f"]).ok();
    p.assert_no_containers();
}

#[test]
fn seed_hcl_commit_then_docker_tag() {
    let Some(src) = seed("guide-ko-07.pkr.hcl") else {
        return;
    };
    let Some(p) = Podman::start() else { return };
    stub_base(&p, "docker.io/library/ubuntu:22.04");
    let src = src.replacen(
        "  commit = true\n",
        "  commit = true\n  pull   = false\n",
        1,
    );
    assert!(src.contains("pull   = false"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("docker.pkr.hcl"), src).unwrap();
    let out = kiln_cmd(dir.path(), Some(&p), &["build", "-color=false", "."])
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    for tag in ["myapp:latest", "myapp:1.0.0"] {
        let image = p
            .inspect_image(&format!("docker.io/library/{tag}"))
            .unwrap_or_else(|| panic!("{tag} missing:\n{all}"));
        assert!(image["Id"].as_str().is_some());
    }
    let page = p
        .podman(&[
            "run",
            "--rm",
            "--entrypoint",
            "/bin/cat",
            "docker.io/library/myapp:1.0.0",
            "/var/www/html/index.html",
        ])
        .expect("read the page");
    assert_eq!(page, "Hello from Packer Docker\n");
    p.podman(&["container", "prune", "-f"]).ok();
    p.assert_no_containers();
}

#[test]
fn failing_shell_provisioner_fails_the_build_and_removes_the_container() {
    let Some(p) = Podman::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.pkr.hcl"),
        format!(
            "source \"docker\" \"t\" {{\n  image = \"{BASE_IMAGE}\"\n  pull = false\n  commit = true\n}}\nbuild {{\n  sources = [\"source.docker.t\"]\n  provisioner \"shell\" {{\n    inline = [\"echo inside $(hostname)\", \"exit 5\"]\n  }}\n}}\n"
        ),
    )
    .unwrap();
    let images_before = p.podman(&["images", "-q"]).unwrap();
    let out = kiln_cmd(
        dir.path(),
        Some(&p),
        &["build", "-color=false", "t.pkr.hcl"],
    )
    .output()
    .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("docker.t: inside "), "{all}");
    assert!(all.contains("non-zero exit status: 5"), "{all}");
    assert!(!all.contains("Committing the container"), "{all}");
    assert!(all.contains("Killing the container: "), "{all}");
    assert_eq!(p.podman(&["images", "-q"]).unwrap(), images_before);
    p.assert_no_containers();
}
