//! `kiln build` runner features end to end: `build.*` and `source.*` in
//! provisioners, `-on-error` modes and the error-cleanup provisioner,
//! `-on-error=ask` and `-debug` on a real pseudo-terminal (util-linux
//! `script`), `-machine-readable` (compared with Packer 1.6.6), logs
//! (`PACKER_LOG`, `PACKER_LOG_PATH`), secret masking of escaped forms and
//! SIGTERM.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn kiln_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kiln"));
    c.args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("PACKER_LOG")
        .env_remove("PACKER_LOG_PATH")
        .env_remove("KILN_LOG")
        .stdin(Stdio::null());
    c
}

fn kiln(dir: &Path, args: &[&str]) -> Output {
    kiln_cmd(dir, args).output().expect("run kiln")
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write template");
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Files other than the templates left in `dir`.
fn leftovers(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect()
}

const PER_SOURCE: &str = r#"
source "file" "one" {
  content = "1"
  target  = "one.txt"
}
source "null" "two" {
  communicator = "none"
}
build {
  sources = ["source.file.one", "source.null.two"]
  provisioner "shell-local" {
    inline = [
      "echo 'name=${source.name} type=${source.type} id=${build.ID} uuid=${build.PackerRunUUID} host=${build.Host}' > prov-${source.name}.txt",
      source.name == "one" ? "echo first > cond-${source.name}.txt" : "echo other > cond-${source.name}.txt",
      "echo '${upper(build.PackerRunUUID)} ${length(build.PackerRunUUID)}' > fn-${source.name}.txt",
    ]
  }
  post-processor "shell-local" {
    inline = ["echo 'pp ${source.type}.${source.name} ${build.PackerRunUUID}' > pp-${source.name}.txt"]
  }
  post-processor "manifest" {}
}
"#;

#[test]
fn build_variables_and_source_names_are_per_source() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.pkr.hcl", PER_SOURCE);
    let out = kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let manifest: serde_json::Value =
        serde_json::from_str(&read(dir.path(), "packer-manifest.json")).unwrap();
    let uuid = manifest["last_run_uuid"].as_str().unwrap().to_string();
    assert_eq!(uuid.len(), 36, "{uuid}");
    for (name, ty) in [("one", "file"), ("two", "null")] {
        let prov = read(dir.path(), &format!("prov-{name}.txt"));
        // The builders give no ID/Host here: Packer prints <unknown>.
        let id = prov
            .split_whitespace()
            .find_map(|w| w.strip_prefix("id="))
            .unwrap_or_default();
        assert!(!id.is_empty() && !id.contains("{{"), "{prov}");
        assert_eq!(
            prov.trim(),
            format!("name={name} type={ty} id={id} uuid={uuid} host=<unknown>")
        );
        assert_eq!(
            read(dir.path(), &format!("pp-{name}.txt")).trim(),
            format!("pp {ty}.{name} {uuid}")
        );
    }
    // Functions of build.* see the real value (evaluated again at run
    // time, as Packer does).
    for name in ["one", "two"] {
        assert_eq!(
            read(dir.path(), &format!("fn-{name}.txt")).trim(),
            format!("{} 36", uuid.to_uppercase())
        );
    }
    assert_eq!(read(dir.path(), "cond-one.txt").trim(), "first");
    assert_eq!(read(dir.path(), "cond-two.txt").trim(), "other");
    // Packer's post-processor announcement (current Packer's wording for
    // an unnamed post-processor; 1.6.6 printed an empty name) and labelled
    // output.
    assert!(
        stdout.contains("==> file.one: Running post-processor: shell-local\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("==> file.one (shell-local): Running local shell script"),
        "{stdout}"
    );
}

#[test]
fn legacy_json_build_function_reads_generated_data() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.json",
        r#"{"builders": [{"type": "null", "name": "n", "communicator": "none"}],
 "provisioners": [{"type": "shell-local",
   "inline": ["echo 'uuid={{ build `PackerRunUUID` }} host={{build `Host`}} name={{build_name}}' > out.txt"]}],
 "post-processors": [{"type": "manifest"}]}"#,
    );
    let out = kiln(dir.path(), &["build", "-color=false", "t.json"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let manifest: serde_json::Value =
        serde_json::from_str(&read(dir.path(), "packer-manifest.json")).unwrap();
    let uuid = manifest["last_run_uuid"].as_str().unwrap();
    assert_eq!(
        read(dir.path(), "out.txt").trim(),
        format!("uuid={uuid} host=<unknown> name=n")
    );
}

#[test]
fn unknown_build_variables_fail_before_building() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.pkr.hcl",
        "source \"file\" \"a\" {\n  content = \"a\"\n  target  = \"a.txt\"\n}\nbuild {\n  sources = [\"source.file.a\"]\n  provisioner \"shell-local\" {\n    inline = [\"echo ${build.Nope}\"]\n  }\n}\n",
    );
    let out = kiln(dir.path(), &["build", "t.pkr.hcl"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("t.pkr.hcl line 8"), "{stderr}");
    assert!(stderr.contains("\"Nope\""), "{stderr}");
    assert!(!dir.path().join("a.txt").exists());

    write(
        dir.path(),
        "t.json",
        r#"{"builders": [{"type": "file", "content": "a", "target": "a.txt"}],
 "provisioners": [{"type": "shell-local", "inline": ["true", "echo {{ build `Nope` }}"]}]}"#,
    );
    let out = kiln(dir.path(), &["build", "-color=false", "t.json"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("inline[1]: build variable \"Nope\" is not provided by the file builder"),
        "{stdout}"
    );
    assert!(!stdout.contains("Creating file"), "built anyway: {stdout}");
    assert!(leftovers(dir.path(), &["t.pkr.hcl", "t.json"]).is_empty());

    // A legacy JSON pipeline over `build` cannot be filled in: a clear
    // error before anything runs.
    write(
        dir.path(),
        "p.json",
        r#"{"builders": [{"type": "null", "communicator": "none"}],
 "provisioners": [{"type": "shell-local", "inline": ["echo {{ build `ID` | lower }}"]}]}"#,
    );
    let out = kiln(dir.path(), &["build", "-color=false", "p.json"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("inline[0]: \"{{ build `ID` | lower }}\" cannot be filled in"),
        "{stdout}"
    );
    assert!(!stdout.contains("Running local shell script"), "{stdout}");
}

/// A failing provisioner and an error-cleanup provisioner that leaves a
/// marker (legacy JSON, so that Packer 1.6.6 runs the same template).
const FAILING: &str = r#"{
 "builders": [{"type": "file", "name": "a", "content": "a", "target": "a.txt"}],
 "provisioners": [{"type": "shell-local", "inline": ["echo before", "exit 3"]}],
 "error-cleanup-provisioner": {"type": "shell-local", "inline": ["echo cleaned {{build_name}} > marker.txt"]}
}"#;

#[test]
fn on_error_modes_and_the_error_cleanup_provisioner() {
    struct Case {
        flag: &'static str,
        marker: bool,
        temp_left: bool,
        says: &'static str,
    }
    let cases = [
        Case {
            flag: "-on-error=cleanup",
            marker: true,
            temp_left: false,
            says: "Provisioning step had errors: Running the cleanup provisioner, if present...",
        },
        Case {
            flag: "-on-error=abort",
            marker: false,
            temp_left: true,
            says: "Left in place (-on-error=abort)",
        },
        Case {
            flag: "-on-error=run-cleanup-provisioner",
            marker: true,
            temp_left: true,
            says: "Left in place (-on-error=run-cleanup-provisioner)",
        },
        // Without a terminal, ask falls back to cleanup and says so.
        Case {
            flag: "-on-error=ask",
            marker: true,
            temp_left: false,
            says: "-on-error=ask needs a terminal on stdin; failed builds will be cleaned up",
        },
    ];
    for c in cases {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "t.json", FAILING);
        let out = kiln(dir.path(), &["build", "-color=false", c.flag, "t.json"]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{}: {stdout}\n{stderr}", c.flag);
        assert!(stdout.contains(c.says), "{}: {stdout}", c.flag);
        assert_eq!(
            dir.path().join("marker.txt").exists(),
            c.marker,
            "{}: {stdout}",
            c.flag
        );
        if c.marker {
            assert_eq!(read(dir.path(), "marker.txt").trim(), "cleaned a");
        }
        assert_eq!(temp_left(dir.path()), c.temp_left, "{}: {stdout}", c.flag);
        assert!(!dir.path().join("a.txt").exists(), "{}", c.flag);
    }
}

/// Whether the file builder's temporary for a.txt (`.a.txt.<uuid>.kiln-tmp`) is there.
fn temp_left(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        name.starts_with(".a.txt.") && name.ends_with(".kiln-tmp")
    })
}

/// When to type the next input.
enum When {
    /// Right away (the terminal buffers it until kiln reads).
    Now,
    /// Once this file exists, then after a further delay.
    FileThen(std::path::PathBuf, Duration),
    /// After a delay.
    After(Duration),
}

/// Run kiln under a pseudo-terminal (util-linux `script`), typing each
/// input when its condition holds. Returns (exit code, output).
fn kiln_on_pty(dir: &Path, args: &str, input: &[(When, &str)]) -> (Option<i32>, String) {
    let cmd = format!("{} {args}", env!("CARGO_BIN_EXE_kiln"));
    let mut child = Command::new("script")
        .args(["-qefc", &cmd, "/dev/null"])
        .current_dir(dir)
        .env_remove("PACKER_LOG")
        .env_remove("KILN_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux `script` is needed for the terminal tests");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    for (when, text) in input {
        match when {
            When::Now => {}
            When::After(d) => std::thread::sleep(*d),
            When::FileThen(path, d) => {
                while !path.exists() && start.elapsed() < Duration::from_secs(60) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                std::thread::sleep(*d);
            }
        }
        let _ = stdin.write_all(text.as_bytes());
        let _ = stdin.flush();
    }
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(stdin);
    (status.code(), reader.join().unwrap().replace('\r', ""))
}

const FLAKY: &str = "source \"file\" \"a\" {\n  content = \"a\"\n  target  = \"a.txt\"\n}\nbuild {\n  sources = [\"source.file.a\"]\n  provisioner \"shell-local\" {\n    inline = [\"test -f flag || { touch flag; echo failing; exit 3; }\", \"echo ok now\"]\n  }\n}\n";

const QUESTION: &str = "==> file.a: [c] Clean up and exit, [a] abort without cleanup, or [r] retry step (build may fail even if retry succeeds)?";

#[test]
fn ask_on_a_terminal_retries_or_aborts() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.pkr.hcl", FLAKY);
    let (code, out) = kiln_on_pty(
        dir.path(),
        "build -color=false -on-error=ask t.pkr.hcl",
        &[(When::Now, "r\n")],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(QUESTION), "{out}");
    assert!(
        out.contains("==> file.a: Step \"StepProvision\" failed"),
        "{out}"
    );
    assert!(out.contains("    file.a: ok now"), "{out}");
    assert_eq!(read(dir.path(), "a.txt"), "a");

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.pkr.hcl", FLAKY);
    let (code, out) = kiln_on_pty(
        dir.path(),
        "build -color=false -on-error=ask t.pkr.hcl",
        &[(When::Now, "x\na\n")],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("==> file.a: Incorrect input: \"x\""), "{out}");
    assert!(out.contains("Left in place (-on-error=abort)"), "{out}");
    assert!(temp_left(dir.path()), "{out}");

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.pkr.hcl", FLAKY);
    let (code, out) = kiln_on_pty(
        dir.path(),
        "build -color=false -on-error=ask t.pkr.hcl",
        &[(When::Now, "c\n")],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(!out.contains("Left in place"), "{out}");
    assert_eq!(
        leftovers(dir.path(), &["t.pkr.hcl", "flag"]),
        Vec::<String>::new()
    );
}

#[test]
fn debug_pauses_after_each_step_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.pkr.hcl",
        "source \"file\" \"a\" {\n  content = \"a\"\n  target  = \"a.txt\"\n}\nbuild {\n  sources = [\"source.file.a\"]\n  provisioner \"shell-local\" {\n    inline = [\"touch first\"]\n  }\n  post-processor \"shell-local\" {\n    inline = [\"touch second\"]\n  }\n}\n",
    );
    // Once the first step ran, nothing is typed for a while: the build
    // must wait there (the post-processor has not run).
    let d = dir.path().to_path_buf();
    let watcher = std::thread::spawn(move || {
        let start = Instant::now();
        while !d.join("first").exists() && start.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(900));
        (d.join("first").exists(), d.join("second").exists())
    });
    let (code, out) = kiln_on_pty(
        dir.path(),
        "build -color=false -debug t.pkr.hcl",
        &[
            (
                When::FileThen(dir.path().join("first"), Duration::from_millis(1500)),
                "\n",
            ),
            (When::After(Duration::from_millis(300)), "\n\n\n"),
        ],
    );
    let (first, second) = watcher.join().unwrap();
    assert_eq!(code, Some(0), "{out}");
    assert!(
        first && !second,
        "did not pause: first={first} second={second}\n{out}"
    );
    assert!(
        out.contains("Debug mode enabled. Builds will not be parallelized."),
        "{out}"
    );
    assert!(
        out.contains(
            "==> file.a: Pausing after run of step 'StepProvision'. Press enter to continue."
        ),
        "{out}"
    );
    assert!(dir.path().join("second").exists());
}

/// Fields of a machine-readable line after the timestamp, checking its
/// shape: `timestamp,target,type,data…` with nothing unescaped.
fn machine_fields(line: &str) -> Vec<String> {
    let mut parts = line.split(',');
    let ts = parts.next().unwrap_or_default();
    assert!(
        !ts.is_empty() && ts.bytes().all(|b| b.is_ascii_digit()),
        "bad timestamp in {line:?}"
    );
    let rest: Vec<String> = parts.map(str::to_string).collect();
    assert!(rest.len() >= 2 && !rest[1].is_empty(), "bad line {line:?}");
    rest
}

/// The non-`ui` records (targeted data) and the `ui` summary lines, with
/// values that legitimately differ (durations, messages) dropped.
fn machine_shape(out: &str) -> Vec<String> {
    let mut shape = Vec::new();
    for line in out.lines() {
        let f = machine_fields(line);
        match f[1].as_str() {
            "ui" => {
                let msg = &f[3..].join(",");
                for fixed in [
                    "\\n==> Some builds didn't complete successfully and had errors:",
                    "\\n==> Builds finished. The artifacts of successful builds are:",
                    "\\n==> Builds finished but no artifacts were created.",
                ] {
                    if msg == fixed {
                        shape.push(format!("ui,{},{msg}", f[2]));
                    }
                }
                if msg.starts_with("\\n==> Wait completed after ") {
                    shape.push(format!("ui,{},wait", f[2]));
                }
                if msg.starts_with("--> ") {
                    shape.push(format!(
                        "ui,{},{}",
                        f[2],
                        msg.split(':').next().unwrap_or("")
                    ));
                }
            }
            "error" => shape.push(format!("{},error", f[0])),
            "artifact" => {
                // index and sub-type (and file index); not the values
                let keep = if f[3] == "file" { 5 } else { 4 };
                shape.push(f[..keep.min(f.len())].join(","));
            }
            _ => shape.push(f.join(",")),
        }
    }
    shape
}

#[test]
fn machine_readable_output_has_packers_shape() {
    let template = r#"{
 "variables": {"pw": "hunter2,x"}, "sensitive-variables": ["pw"],
 "builders": [{"type": "file", "name": "ok", "content": "hi", "target": "out-ok.txt"},
              {"type": "file", "name": "bad", "content": "no", "target": "out-bad.txt"}],
 "provisioners": [{"type": "shell-local", "inline": ["echo 'pw={{user `pw`}} a,b'", "test {{build_name}} = ok"]}]
}"#;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.json", template);
    let out = kiln(dir.path(), &["build", "-machine-readable", "t.json"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    // Exact lines kiln prints (after the timestamp).
    let lines: Vec<String> = stdout
        .lines()
        .map(|l| machine_fields(l).join(","))
        .collect();
    for want in [
        ",ui,message,    ok: pw=<sensitive> a%!(PACKER_COMMA)b",
        ",error-count,1",
        ",ui,error,\\n==> Some builds didn't complete successfully and had errors:",
        ",ui,say,\\n==> Builds finished. The artifacts of successful builds are:",
        "ok,artifact-count,1",
        "ok,artifact,0,builder-id,packer.file",
        "ok,artifact,0,string,Stored file: out-ok.txt",
        "ok,artifact,0,files-count,1",
        "ok,artifact,0,file,0,out-ok.txt",
        "ok,artifact,0,end",
        ",ui,say,--> ok: Stored file: out-ok.txt",
    ] {
        assert!(
            lines.iter().any(|l| l == want),
            "missing {want:?} in\n{stdout}"
        );
    }
    assert!(
        lines.iter().any(|l| l.starts_with("bad,error,")),
        "{stdout}"
    );
    assert!(!stdout.contains("hunter2"), "{stdout}");
    assert!(!stdout.contains("output will be in this color"), "{stdout}");
    // Packer also takes the flag before the command.
    let before = kiln(dir.path(), &["-machine-readable", "build", "t.json"]);
    assert!(
        String::from_utf8_lossy(&before.stdout).contains(",error-count,1\n"),
        "{:?}",
        text(&before)
    );

    if !packer_available() {
        return;
    }
    let pdir = tempfile::tempdir().unwrap();
    write(pdir.path(), "t.json", template);
    let p = Command::new("packer")
        .args(["build", "-machine-readable", "t.json"])
        .current_dir(pdir.path())
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("PACKER_LOG")
        .output()
        .unwrap();
    let (pout, perr) = text(&p);
    assert_eq!(p.status.code(), Some(1), "{pout}\n{perr}");
    assert_eq!(
        machine_shape(&stdout),
        machine_shape(&pout),
        "kiln:\n{stdout}\npacker:\n{pout}"
    );
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

const SECRET: &str = "s3 'cr\"et\\/&<x";

fn secret_template() -> String {
    format!(
        r#"variable "pw" {{
  type      = string
  sensitive = true
  default   = {}
}}
source "file" "a" {{
  content = "a"
  target  = "a.txt"
}}
build {{
  sources = ["source.file.a"]
  provisioner "shell-local" {{
    environment_vars = ["PW=${{var.pw}}", "PWJSON=${{jsonencode(var.pw)}}", "PWURL=${{urlencode(var.pw)}}"]
    script           = "forms.sh"
  }}
}}
"#,
        serde_json::to_string(SECRET).unwrap()
    )
}

/// Prints the secret plain, base64-encoded, JSON-encoded, URL-encoded and
/// shell-single-quoted, then fails.
const FORMS_SH: &str = r#"#!/bin/sh
printf 'plain=%s\n' "$PW"
printf 'b64=%s\n' "$(printf %s "$PW" | base64 -w0)"
printf 'json=%s\n' "$PWJSON"
printf 'url=%s\n' "$PWURL"
printf "sq='%s'\n" "$(printf %s "$PW" | sed "s/'/'\"'\"'/g")"
exit 4
"#;

#[test]
fn secrets_are_masked_in_output_machine_output_and_logs() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.pkr.hcl", &secret_template());
    write(dir.path(), "forms.sh", FORMS_SH);
    {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.path().join("forms.sh");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let log = dir.path().join("kiln.log");
    let out = kiln_cmd(dir.path(), &["build", "-color=false", "t.pkr.hcl"])
        .env("PACKER_LOG", "1")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    for form in [
        "plain=<sensitive>",
        "b64=<sensitive>",
        "json=\"<sensitive>\"",
        "url=<sensitive>",
        "sq='<sensitive>'",
    ] {
        assert!(
            stdout.contains(&format!("    file.a: {form}\n")),
            "{form} not masked:\n{stdout}"
        );
    }
    // Logs went to stderr, detailed, and masked too.
    assert!(stderr.contains("build started"), "{stderr}");
    assert!(stderr.contains("prepared provisioner"), "{stderr}");
    assert!(stderr.contains("<sensitive>"), "{stderr}");
    let machine = kiln_cmd(dir.path(), &["build", "-machine-readable", "t.pkr.hcl"])
        .env("PACKER_LOG", "1")
        .env("PACKER_LOG_PATH", &log)
        .output()
        .unwrap();
    let (mout, merr) = text(&machine);
    assert!(mout.contains("b64=<sensitive>"), "{mout}");
    assert!(
        !merr.contains("build started"),
        "logs went to stderr: {merr}"
    );
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("build started"), "{logged}");
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(SECRET);
    let json = serde_json::to_string(SECRET).unwrap();
    let escaped_forms = [
        SECRET.to_string(),
        json[1..json.len() - 1].to_string(),
        b64,
        "s3%20%27cr%22et%5C%2F%26%3Cx".to_string(),
        "s3+%27cr%22et%5C%2F%26%3Cx".to_string(),
        "'\"'\"'cr".to_string(),
        "cr\\\"et".to_string(),
        "cr\"et".to_string(),
    ];
    for (what, s) in [
        ("stdout", &stdout),
        ("stderr", &stderr),
        ("machine", &mout),
        ("log file", &logged),
    ] {
        for form in &escaped_forms {
            assert!(!s.contains(form.as_str()), "{what} leaks {form:?}:\n{s}");
        }
    }
    // Without PACKER_LOG there are no logs at all.
    let quiet = kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"]);
    let (_, qerr) = text(&quiet);
    assert!(qerr.trim().is_empty(), "{qerr}");
}

#[test]
fn sigterm_cancels_cleanly_like_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("sleep 43.{}", std::process::id());
    write(
        dir.path(),
        "t.pkr.hcl",
        &format!(
            "source \"file\" \"a\" {{\n  content = \"a\"\n  target  = \"a.txt\"\n}}\nbuild {{\n  sources = [\"source.file.a\"]\n  provisioner \"shell-local\" {{\n    inline = [\"{marker}\"]\n  }}\n}}\n"
        ),
    );
    let child = kiln_cmd(dir.path(), &["build", "-color=false", "t.pkr.hcl"])
        .stdout(Stdio::piped())
        .env("PACKER_LOG", "1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while Command::new("pgrep")
        .args(["-f", &marker])
        .output()
        .unwrap()
        .stdout
        .is_empty()
    {
        assert!(start.elapsed() < Duration::from_secs(30), "never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Cleanly cancelled builds after being interrupted."),
        "{stdout}"
    );
    assert!(stderr.contains("SIGTERM"), "{stderr}");
    assert!(leftovers(dir.path(), &["t.pkr.hcl"]).is_empty());
    assert!(Command::new("pgrep")
        .args(["-f", &marker])
        .output()
        .unwrap()
        .stdout
        .is_empty());
}

#[test]
fn sensitive_values_are_masked_in_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.pkr.hcl",
        "variable \"pw\" {\n  type      = string\n  sensitive = true\n}\nsource \"null\" \"a\" {\n  communicator = \"none\"\n}\nbuild {\n  sources = [\"source.null.a\"]\n  provisioner \"shell-local\" {\n    inline      = [\"echo hi\"]\n    max_retries = var.pw\n  }\n}\n",
    );
    let out = kiln(dir.path(), &["build", "-var", "pw=hunter2", "t.pkr.hcl"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("t.pkr.hcl line 12"), "{stderr}");
    assert!(stderr.contains("<sensitive>"), "{stderr}");
    assert!(!stderr.contains("hunter2") && !stdout.contains("hunter2"));
}

/// Whether the error-cleanup provisioner runs for each `-on-error` mode,
/// kiln against Packer 1.6.6 on the same template.
#[test]
fn error_cleanup_provisioner_runs_when_packer_runs_it() {
    let template = r#"{"builders": [{"type": "null", "name": "a", "communicator": "none"}],
 "provisioners": [{"type": "shell-local", "inline": ["exit 3"]}],
 "error-cleanup-provisioner": {"type": "shell-local", "inline": ["echo cleaned > marker.txt"]}}"#;
    let with_packer = packer_available();
    for mode in ["cleanup", "abort", "run-cleanup-provisioner"] {
        let flag = format!("-on-error={mode}");
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "t.json", template);
        let out = kiln(dir.path(), &["build", "-color=false", &flag, "t.json"]);
        assert_eq!(out.status.code(), Some(1), "{mode}: {:?}", text(&out));
        let kiln_ran = dir.path().join("marker.txt").exists();
        assert_eq!(kiln_ran, mode != "abort", "{mode}: {:?}", text(&out));
        if with_packer {
            let pdir = tempfile::tempdir().unwrap();
            write(pdir.path(), "t.json", template);
            let p = Command::new("packer")
                .args(["build", "-color=false", &flag, "t.json"])
                .current_dir(pdir.path())
                .env("CHECKPOINT_DISABLE", "1")
                .env_remove("PACKER_LOG")
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert_eq!(p.status.code(), Some(1), "{mode}: {:?}", text(&p));
            assert_eq!(
                pdir.path().join("marker.txt").exists(),
                kiln_ran,
                "{mode}: packer and kiln disagree"
            );
        }
    }
}
