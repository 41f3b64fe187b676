//! `kiln build` of a null builder over SSH with file provisioners, against
//! a private sshd; the same template built by Packer 1.6.6 must leave the
//! same files behind.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use kiln_peers::Sshd;

fn template(sshd: &Sshd, key: &Path, remote: &Path, out: &Path) -> String {
    format!(
        r#"
source "null" "remote" {{
  ssh_host             = "127.0.0.1"
  ssh_port             = {port}
  ssh_username         = "{user}"
  ssh_private_key_file = "{key}"
  ssh_timeout          = "60s"
}}

build {{
  sources = ["source.null.remote"]

  provisioner "file" {{
    source      = "files/app.conf"
    destination = "{r}/app.conf"
  }}
  provisioner "file" {{
    source      = "files/app.conf"
    destination = "{r}/d/"
  }}
  provisioner "file" {{
    source      = "files/tree"
    destination = "{r}/t1"
  }}
  provisioner "file" {{
    source      = "files/tree/"
    destination = "{r}/t2"
  }}
  provisioner "file" {{
    direction   = "download"
    source      = "{r}/app.conf"
    destination = "{o}/got.conf"
  }}
  provisioner "file" {{
    direction   = "download"
    source      = "{r}/d/app.conf"
    destination = "{o}/sub/"
  }}
  provisioner "file" {{
    direction   = "download"
    source      = "{r}/t2/"
    destination = "{o}/dl/"
  }}
  provisioner "file" {{
    direction   = "download"
    source      = "{r}/t1/tree/"
    destination = "{o}/dl2"
  }}
}}
"#,
        port = sshd.port(),
        user = sshd.user(),
        key = key.display(),
        r = remote.display(),
        o = out.display(),
    )
}

fn make_files(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir.join("files/tree/sub")).expect("mkdir");
    std::fs::write(dir.join("files/app.conf"), "listen = 8080\n").expect("write");
    std::fs::set_permissions(
        dir.join("files/app.conf"),
        std::fs::Permissions::from_mode(0o640),
    )
    .expect("chmod");
    std::fs::write(dir.join("files/tree/run.sh"), "#!/bin/sh\necho hi\n").expect("write");
    std::fs::set_permissions(
        dir.join("files/tree/run.sh"),
        std::fs::Permissions::from_mode(0o755),
    )
    .expect("chmod");
    std::fs::write(dir.join("files/tree/sub/data.txt"), "data\n").expect("write");
}

fn remote_dirs(remote: &Path) {
    for d in ["d", "t1", "t2"] {
        std::fs::create_dir_all(remote.join(d)).expect("mkdir");
    }
}

/// Every file under `root`: relative path → (mode, contents).
fn snapshot(root: &Path) -> BTreeMap<String, (u32, String)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read_dir").flatten() {
            let path = e.path();
            let rel = path
                .strip_prefix(root)
                .expect("prefix")
                .display()
                .to_string();
            let meta = std::fs::metadata(&path).expect("stat");
            if meta.is_dir() {
                stack.push(path);
                out.insert(format!("{rel}/"), (0, String::new()));
            } else {
                out.insert(
                    rel,
                    (
                        meta.permissions().mode() & 0o777,
                        std::fs::read_to_string(&path).unwrap_or_default(),
                    ),
                );
            }
        }
    }
    out
}

fn run(program: &str, dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn packer_available() -> bool {
    let ok = Command::new("packer")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("KILN_REQUIRE_PACKER").is_none(),
        "KILN_REQUIRE_PACKER is set but `packer` is not on PATH"
    );
    ok
}

#[test]
fn null_over_ssh_with_file_provisioners_matches_packer() {
    let Some(sshd) = Sshd::start() else { return };
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    make_files(d);
    let (kr, ko) = (d.join("remote-kiln"), d.join("out-kiln"));
    remote_dirs(&kr);
    std::fs::write(
        d.join("kiln.pkr.hcl"),
        template(&sshd, &sshd.client_key(), &kr, &ko),
    )
    .expect("write");
    let (code, stdout, stderr) = run(
        env!("CARGO_BIN_EXE_kiln"),
        d,
        &["build", "-color=false", "kiln.pkr.hcl"],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}\n{}", sshd.log());
    for line in [
        "==> null.remote: Using ssh communicator to connect: 127.0.0.1",
        "==> null.remote: Waiting for SSH to become available...",
        "==> null.remote: Connected to SSH!",
        &format!(
            "==> null.remote: Uploading files/app.conf => {}/app.conf",
            kr.display()
        ),
        &format!(
            "==> null.remote: Downloading {}/app.conf => {}/got.conf",
            kr.display(),
            ko.display()
        ),
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    let kiln_remote = snapshot(&kr);
    let kiln_out = snapshot(&ko);
    assert_eq!(
        kiln_remote["app.conf"],
        (0o640, "listen = 8080\n".to_string())
    );
    assert_eq!(kiln_remote["t1/tree/run.sh"].0, 0o755);
    assert_eq!(kiln_remote["t2/sub/data.txt"].1, "data\n");
    assert_eq!(kiln_out["got.conf"].1, "listen = 8080\n");
    assert_eq!(kiln_out["sub/app.conf"].1, "listen = 8080\n");

    if !packer_available() {
        return;
    }
    let (pr, po) = (d.join("remote-packer"), d.join("out-packer"));
    remote_dirs(&pr);
    std::fs::write(
        d.join("packer.pkr.hcl"),
        template(&sshd, &sshd.client_key(), &pr, &po),
    )
    .expect("write");
    let (code, pstdout, pstderr) = run("packer", d, &["build", "-color=false", "packer.pkr.hcl"]);
    assert_eq!(code, 0, "packer failed:\n{pstdout}\n{pstderr}");
    // Packer prints the same connection steps.
    for line in [
        "==> null.remote: Using ssh communicator to connect: 127.0.0.1",
        "==> null.remote: Waiting for SSH to become available...",
        "==> null.remote: Connected to SSH!",
    ] {
        assert!(
            pstdout.contains(line),
            "packer: missing {line:?} in:\n{pstdout}"
        );
    }
    assert_eq!(
        kiln_remote,
        snapshot(&pr),
        "remote results differ from Packer's"
    );
    assert_eq!(kiln_out, snapshot(&po), "downloads differ from Packer's");
}

#[test]
fn unreachable_host_fails_the_build_clearly() {
    let dir = tempfile::tempdir().expect("tmp");
    let port = kiln_peers::free_port();
    std::fs::write(
        dir.path().join("t.pkr.hcl"),
        format!(
            r#"
source "null" "down" {{
  ssh_host     = "127.0.0.1"
  ssh_port     = {port}
  ssh_username = "nobody"
  ssh_password = "hunter2-secret"
  ssh_timeout  = "2s"
}}
build {{
  sources = ["source.null.down"]
  provisioner "file" {{
    content     = "x"
    destination = "/tmp/never"
  }}
}}
"#
        ),
    )
    .expect("write");
    let (code, stdout, stderr) = run(
        env!("CARGO_BIN_EXE_kiln"),
        dir.path(),
        &["build", "-color=false", "t.pkr.hcl"],
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let all = format!("{stdout}{stderr}");
    assert!(all.contains("Timeout waiting for SSH."), "{all}");
    assert!(!all.contains("hunter2-secret"), "password leaked:\n{all}");
}
