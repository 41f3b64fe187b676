//! `kiln build` of `null` + SSH templates with remote provisioners, against
//! a private OpenSSH server on loopback, side by side with Packer 1.6.6 on
//! the same template and server; fault cases (a failing script, SIGINT
//! during a long one, a breakpoint without a terminal).

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use kiln_peers::Sshd;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
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

/// The null source (Packer 1.6.6 HCL2) connecting to `sshd`, followed by
/// `build`.
fn template(sshd: &Sshd, build: &str) -> String {
    format!(
        r#"source "null" "remote" {{
  ssh_host             = "127.0.0.1"
  ssh_port             = {port}
  ssh_username         = "{user}"
  ssh_private_key_file = "{key}"
}}

{build}
"#,
        port = sshd.port(),
        user = sshd.user(),
        key = sshd.client_key().display(),
    )
}

fn run(program: &str, dir: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .env("CHECKPOINT_DISABLE", "1")
        .env("PACKER_NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"))
}

fn kiln(dir: &Path, args: &[&str]) -> Output {
    run(env!("CARGO_BIN_EXE_kiln"), dir, args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A provisioning run whose result is files under `out/`.
fn compared_build(out: &Path) -> String {
    format!(
        r#"build {{
  sources = ["source.null.remote"]

  provisioner "shell" {{
    environment_vars = ["GREETING=it's \"quoted\"  and spaced", "OUT={out}"]
    inline = [
      "mkdir -p $OUT",
      "printf '%s\\n' \"$GREETING\" \"$PACKER_BUILD_NAME\" \"$PACKER_BUILDER_TYPE\" > $OUT/env.txt",
      "echo wrote env",
    ]
  }}

  provisioner "file" {{
    source      = "payload.txt"
    destination = "{out}/payload.txt"
  }}

  provisioner "shell" {{
    script           = "check.sh"
    environment_vars = ["OUT={out}"]
    execute_command  = "chmod +x {{{{.Path}}}}; {{{{.Vars}}}} /bin/sh {{{{.Path}}}} from-exec"
  }}
}}"#,
        out = out.display()
    )
}

const CHECK_SH: &str = "#!/bin/sh\r\nset -e\r\ncd \"$OUT\"\r\nwc -c < payload.txt > sizes.txt\r\ncksum payload.txt >> sizes.txt\r\necho \"checked $1\"\r\n";

fn files_of(dir: &Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The `    null.remote: …` output lines of the shell provisioners.
fn output_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| {
            l.starts_with("    null.remote: ")
                || l.starts_with("==> null.remote: Provisioning with shell script: check.sh")
        })
        .filter(|l| !l.contains("payload.txt"))
        .map(str::to_string)
        .collect()
}

#[test]
fn shell_and_file_provisioners_match_packer() {
    let Some(sshd) = Sshd::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "payload.txt",
        "payload line 1\npayload line 2\n",
    );
    write(dir.path(), "check.sh", CHECK_SH);

    let kiln_out = dir.path().join("kiln-out");
    write(
        dir.path(),
        "kiln.pkr.hcl",
        &template(&sshd, &compared_build(&kiln_out)),
    );
    let k = kiln(dir.path(), &["build", "-color=false", "kiln.pkr.hcl"]);
    let kiln_text = stdout(&k);
    assert_eq!(
        k.status.code(),
        Some(0),
        "{kiln_text}\n{}\n{}",
        String::from_utf8_lossy(&k.stderr),
        sshd.log()
    );
    let kiln_files = files_of(&kiln_out);
    assert_eq!(
        kiln_files
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        ["env.txt", "payload.txt", "sizes.txt"]
    );
    assert_eq!(
        kiln_files[0].1,
        "it's \"quoted\"  and spaced\nremote\nnull\n"
    );
    assert!(
        kiln_text.contains("    null.remote: wrote env"),
        "{kiln_text}"
    );
    assert!(
        kiln_text.contains("    null.remote: checked from-exec"),
        "{kiln_text}"
    );

    if !packer_available() {
        return;
    }
    let packer_out = dir.path().join("packer-out");
    write(
        dir.path(),
        "packer.pkr.hcl",
        &template(&sshd, &compared_build(&packer_out)),
    );
    let p = run(
        "packer",
        dir.path(),
        &["build", "-color=false", "packer.pkr.hcl"],
    );
    let packer_text = stdout(&p);
    assert_eq!(p.status.code(), Some(0), "{packer_text}");
    assert_eq!(
        kiln_files,
        files_of(&packer_out),
        "kiln and Packer 1.6.6 must leave the same files"
    );
    assert_eq!(output_lines(&kiln_text), output_lines(&packer_text));
}

fn failing_build(script: &Path, after: &Path) -> String {
    format!(
        r#"build {{
  sources = ["source.null.remote"]

  provisioner "shell" {{
    inline      = ["echo about to fail", "exit 1"]
    remote_path = "{script}"
  }}

  provisioner "shell" {{
    inline = ["touch {after}"]
  }}
}}"#,
        script = script.display(),
        after = after.display()
    )
}

#[test]
fn a_failing_script_fails_the_build_like_packer() {
    let Some(sshd) = Sshd::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("failing.sh");
    let after = dir.path().join("after");
    write(
        dir.path(),
        "t.pkr.hcl",
        &template(&sshd, &failing_build(&script, &after)),
    );
    let k = kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"]);
    let text = stdout(&k);
    assert_eq!(k.status.code(), Some(1), "{text}");
    assert!(text.contains("    null.remote: about to fail"), "{text}");
    assert!(
        text.contains("Build 'null.remote' errored after")
            && text.contains(
                ": Script exited with non-zero exit status: 1. Allowed exit codes are: [0]"
            ),
        "{text}"
    );
    assert!(!after.exists(), "later provisioners must not run");
    assert!(!script.exists(), "the failed script is removed");

    if !packer_available() {
        return;
    }
    let p = run(
        "packer",
        dir.path(),
        &["build", "-color=false", "t.pkr.hcl"],
    );
    let ptext = stdout(&p);
    assert_eq!(p.status.code(), k.status.code(), "{ptext}");
    assert!(ptext.contains("    null.remote: about to fail"), "{ptext}");
    // Packer 1.6.6 misses the space after the first sentence (fixed in
    // later Packer releases, whose wording kiln follows).
    assert!(
        ptext.contains("Script exited with non-zero exit status: 1.Allowed exit codes are: [0]"),
        "{ptext}"
    );
    assert!(!after.exists());
}

#[test]
fn sigint_during_a_long_remote_script_cancels_cleanly() {
    let Some(sshd) = Sshd::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = format!("sleep 57.{}", std::process::id());
    let script = dir.path().join("long.sh");
    write(
        dir.path(),
        "t.pkr.hcl",
        &template(
            &sshd,
            &format!(
                "build {{\n  sources = [\"source.null.remote\"]\n  provisioner \"shell\" {{\n    inline = [\"echo started\", \"{marker}\"]\n    remote_path = \"{}\"\n  }}\n}}\n",
                script.display()
            ),
        ),
    );
    let child = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["build", "-color=false", "t.pkr.hcl"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start kiln");
    let start = Instant::now();
    // The "remote" machine is this one: wait for the script's sleep.
    loop {
        let ps = Command::new("pgrep")
            .args(["-f", &marker])
            .output()
            .expect("pgrep");
        if !ps.stdout.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the remote script never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let interrupted = Instant::now();
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    let out = child.wait_with_output().expect("wait kiln");
    let text = stdout(&out);
    let running = || {
        Command::new("pgrep")
            .args(["-f", &marker])
            .output()
            .is_ok_and(|o| !o.stdout.is_empty())
    };
    let waited = Instant::now();
    while running() && waited.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let still_running = running();
    // Leave no stray process behind whatever happened.
    let _ = Command::new("pkill").args(["-f", &marker]).status();
    assert!(!still_running, "the remote script was not stopped");
    assert!(!script.exists(), "the remote script was not removed");
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("Cleanly cancelled builds after being interrupted."),
        "{text}"
    );
    assert!(
        interrupted.elapsed() < Duration::from_secs(20),
        "took {:?} to stop",
        interrupted.elapsed()
    );
}

#[test]
fn provisioner_max_retries_and_timeout() {
    let Some(sshd) = Sshd::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let counter = dir.path().join("tries");
    write(
        dir.path(),
        "t.pkr.hcl",
        &template(
            &sshd,
            &format!(
                r#"build {{
  sources = ["source.null.remote"]

  provisioner "shell" {{
    max_retries = 2
    inline = [
      "echo x >> {counter}",
      "test $(wc -l < {counter}) -ge 3",
    ]
  }}
}}"#,
                counter = counter.display()
            ),
        ),
    );
    let k = kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"]);
    let text = stdout(&k);
    assert_eq!(k.status.code(), Some(0), "{text}");
    assert_eq!(
        std::fs::read_to_string(&counter)
            .expect("counter")
            .lines()
            .count(),
        3
    );

    let marker = format!("sleep 58.{}", std::process::id());
    write(
        dir.path(),
        "t.pkr.hcl",
        &template(
            &sshd,
            &format!(
                "build {{\n  sources = [\"source.null.remote\"]\n  provisioner \"shell\" {{\n    timeout = \"2s\"\n    inline  = [\"{marker}\"]\n  }}\n}}\n"
            ),
        ),
    );
    let started = Instant::now();
    let k = kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"]);
    let _ = Command::new("pkill").args(["-f", &marker]).status();
    let text = stdout(&k);
    assert_eq!(k.status.code(), Some(1), "{text}");
    assert!(text.contains("timed out"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(40));
}

#[test]
fn breakpoint_without_a_terminal_fails_like_packer() {
    let Some(sshd) = Sshd::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let build = "build {\n  sources = [\"source.null.remote\"]\n  provisioner \"breakpoint\" {\n    note = \"check the disk\"\n  }\n}\n";
    write(dir.path(), "t.pkr.hcl", &template(&sshd, build));
    let k = kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"]);
    let text = stdout(&k);
    assert_eq!(k.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "==> null.remote: Pausing at breakpoint provisioner with note \"check the disk\"."
        ),
        "{text}"
    );
    assert!(
        text.contains("Error asking for input: no available tty"),
        "{text}"
    );
    if packer_available() {
        let p = run(
            "packer",
            dir.path(),
            &["build", "-color=false", "t.pkr.hcl"],
        );
        let ptext = stdout(&p);
        assert_eq!(p.status.code(), Some(1), "{ptext}");
        assert!(
            ptext.contains("Error asking for input: no available tty"),
            "{ptext}"
        );
    }
}

#[test]
fn breakpoint_on_a_terminal_waits_for_enter() {
    // `script` (util-linux) runs kiln on a pseudo-terminal whose input is
    // our pipe.
    if Command::new("script").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("KILN_REQUIRE_PEERS").is_none(),
            "`script` (util-linux) is required"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "t.pkr.hcl",
        "source \"null\" \"x\" {\n  communicator = \"none\"\n}\nbuild {\n  sources = [\"source.null.x\"]\n  provisioner \"breakpoint\" {\n    note = \"inspect\"\n  }\n  provisioner \"shell-local\" {\n    inline = [\"echo after-breakpoint\"]\n  }\n}\n",
    );
    let mut child = Command::new("script")
        .args(["-qec"])
        .arg(format!(
            "{} build -color=false t.pkr.hcl",
            env!("CARGO_BIN_EXE_kiln")
        ))
        .arg("/dev/null")
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start script");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut out = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        use std::io::Read;
        let mut text = String::new();
        let mut buf = [0u8; 4096];
        let mut seen_prompt_at = None;
        let mut seen_after_at = None;
        loop {
            match out.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    text.push_str(&String::from_utf8_lossy(&buf[..n]));
                    if seen_prompt_at.is_none() && text.contains("Press enter to continue.") {
                        seen_prompt_at = Some(Instant::now());
                    }
                    if seen_after_at.is_none() && text.contains("after-breakpoint") {
                        seen_after_at = Some(Instant::now());
                    }
                }
            }
        }
        (text, seen_prompt_at, seen_after_at)
    });
    // Wait for the prompt, then check the build is really paused.
    std::thread::sleep(Duration::from_secs(3));
    let answered = Instant::now();
    {
        use std::io::Write;
        stdin.write_all(b"\n").expect("press enter");
        stdin.flush().expect("flush");
    }
    let status = child.wait().expect("wait");
    drop(stdin);
    let (text, prompt, after_at) = reader.join().expect("reader");
    assert!(status.success(), "{text}");
    let prompt = prompt.unwrap_or_else(|| panic!("no prompt in {text}"));
    assert!(prompt <= answered, "{text}");
    // The next provisioner ran only once Enter was pressed.
    let after_at = after_at.unwrap_or_else(|| panic!("no later output in {text}"));
    assert!(after_at >= answered, "did not wait for Enter: {text}");
    let paused = text
        .find("Pausing at breakpoint provisioner with note \"inspect\".")
        .unwrap_or_else(|| panic!("{text}"));
    let after = text
        .find("after-breakpoint")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(paused < after, "{text}");
}

#[test]
fn legacy_json_execute_command_keeps_vars_and_path_for_the_provisioner() {
    let Some(sshd) = Sshd::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let template = serde_json::json!({
        "variables": { "word": "from-user-var" },
        "builders": [{
            "type": "null",
            "ssh_host": "127.0.0.1",
            "ssh_port": sshd.port(),
            "ssh_username": sshd.user(),
            "ssh_private_key_file": sshd.client_key().display().to_string(),
        }],
        "provisioners": [{
            "type": "shell",
            "environment_vars": ["X=it's x"],
            "execute_command": "echo '{{user `word`}} {{ build_name }}'; {{ .Vars }} sh {{ .Path }}",
            "inline": ["echo \"script sees $X in {{ build_name }}\""],
        }],
    });
    write(dir.path(), "t.json", &template.to_string());
    let k = kiln(dir.path(), &["build", "-color=false", "t.json"]);
    let text = stdout(&k);
    assert_eq!(
        k.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&k.stderr)
    );
    assert!(text.contains("    null: from-user-var null"), "{text}");
    assert!(
        text.contains("    null: script sees it's x in null"),
        "{text}"
    );
    if packer_available() {
        let p = run("packer", dir.path(), &["build", "-color=false", "t.json"]);
        let ptext = stdout(&p);
        assert_eq!(p.status.code(), Some(0), "{ptext}");
        assert!(ptext.contains("    null: from-user-var null"), "{ptext}");
        assert!(
            ptext.contains("    null: script sees it's x in null"),
            "{ptext}"
        );
    }
}
