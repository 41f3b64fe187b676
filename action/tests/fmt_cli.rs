//! Black-box tests of `kiln fmt` (Packer's `fmt` semantics and exit codes).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const KILN: &str = env!("CARGO_BIN_EXE_kiln");
const UNFORMATTED: &str = "a=1\nbungle = \"x\"\n";
const FORMATTED: &str = "a      = 1\nbungle = \"x\"\n";

fn kiln(dir: &Path, args: &[&str]) -> Output {
    Command::new(KILN)
        .arg("fmt")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run kiln")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).expect("mkdir");
    }
    fs::write(&p, text).expect("write");
    p
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).expect("read")
}

fn shared_dir() -> PathBuf {
    std::env::var_os("KILN_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
}

#[test]
fn check_exits_3_when_unformatted_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let f = write(tmp.path(), "a.pkr.hcl", UNFORMATTED);
    let o = kiln(tmp.path(), &["-check", "a.pkr.hcl"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(stdout(&o), "a.pkr.hcl\n");
    assert_eq!(read(&f), UNFORMATTED, "-check must not write");
}

#[test]
fn check_exits_0_when_formatted() {
    let tmp = tempfile::tempdir().expect("tmp");
    write(tmp.path(), "a.pkr.hcl", FORMATTED);
    let o = kiln(tmp.path(), &["-check", "a.pkr.hcl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
}

#[test]
fn diff_is_labelled_old_and_new() {
    let tmp = tempfile::tempdir().expect("tmp");
    let f = write(tmp.path(), "a.pkr.hcl", UNFORMATTED);
    let o = kiln(tmp.path(), &["-check", "-diff", "a.pkr.hcl"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        stdout(&o),
        "a.pkr.hcl\n--- old/a.pkr.hcl\n+++ new/a.pkr.hcl\n@@ -1,2 +1,2 @@\n-a=1\n+a      = 1\n bungle = \"x\"\n"
    );
    assert_eq!(read(&f), UNFORMATTED);
}

#[test]
fn writes_in_place_and_prints_names() {
    let tmp = tempfile::tempdir().expect("tmp");
    let a = write(tmp.path(), "a.pkr.hcl", UNFORMATTED);
    let b = write(tmp.path(), "b.pkrvars.hcl", "region=\"x\"\n");
    let c = write(tmp.path(), "c.auto.pkrvars.hcl", FORMATTED);
    let o = kiln(tmp.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "a.pkr.hcl\nb.pkrvars.hcl\n");
    assert_eq!(read(&a), FORMATTED);
    assert_eq!(read(&b), "region = \"x\"\n");
    assert_eq!(read(&c), FORMATTED);
    // A second run has nothing to do.
    let o = kiln(tmp.path(), &["-check", "."]);
    assert_eq!(o.status.code(), Some(0));
    // No temporary files are left behind.
    let names: Vec<String> = fs::read_dir(tmp.path())
        .expect("ls")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn write_false_reports_without_writing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let f = write(tmp.path(), "a.pkr.hcl", UNFORMATTED);
    let o = kiln(tmp.path(), &["-write=false", "a.pkr.hcl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "a.pkr.hcl\n");
    assert_eq!(read(&f), UNFORMATTED);
    let o = kiln(tmp.path(), &["-write=true", "a.pkr.hcl"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(read(&f), FORMATTED);
}

#[test]
fn recursive_and_skipping_rules() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    let top = write(d, "top.pkr.hcl", UNFORMATTED);
    let hidden = write(d, ".hidden.pkr.hcl", UNFORMATTED);
    let backup = write(d, "top.pkr.hcl~", UNFORMATTED);
    let autosave = write(d, "#top.pkr.hcl#", UNFORMATTED);
    let plain = write(d, "other.hcl", UNFORMATTED);
    let json = write(d, "t.json", "{}\n");
    let nested = write(d, "sub/inner.pkr.hcl", UNFORMATTED);
    let hidden_dir = write(d, ".git/x.pkr.hcl", UNFORMATTED);

    let o = kiln(d, &["-check", "."]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        stdout(&o),
        "top.pkr.hcl\n",
        "without -recursive only the top level"
    );

    let o = kiln(d, &["-recursive", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "sub/inner.pkr.hcl\ntop.pkr.hcl\n");
    assert_eq!(read(&top), FORMATTED);
    assert_eq!(read(&nested), FORMATTED);
    for skipped in [&hidden, &backup, &autosave, &plain, &hidden_dir] {
        assert_eq!(
            read(skipped),
            UNFORMATTED,
            "{} must be skipped",
            skipped.display()
        );
    }
    assert_eq!(read(&json), "{}\n");
}

#[test]
fn stdin_is_formatted_to_stdout() {
    let tmp = tempfile::tempdir().expect("tmp");
    let run = |args: &[&str]| {
        let mut child = Command::new(KILN)
            .arg("fmt")
            .args(args)
            .current_dir(tmp.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(UNFORMATTED.as_bytes())
            .expect("feed stdin");
        child.wait_with_output().expect("wait")
    };
    let o = run(&["-"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), FORMATTED);
    let o = run(&["-check", "-"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(stdout(&o), "");
}

#[test]
fn parse_error_exits_1_located_and_leaves_the_file_untouched() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bad_text = "variable \"x\" {\n  type = string\n}\n\ninvalid\n";
    let bad = write(tmp.path(), "bad.pkr.hcl", bad_text);
    let good = write(tmp.path(), "good.pkr.hcl", UNFORMATTED);
    let o = kiln(tmp.path(), &["."]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("bad.pkr.hcl:5"), "{err}");
    assert!(err.contains("on bad.pkr.hcl line 5"), "{err}");
    assert_eq!(
        read(&bad),
        bad_text,
        "a file that fails to parse is not touched"
    );
    // Other files are still formatted.
    assert_eq!(read(&good), FORMATTED);
    assert_eq!(stdout(&o), "good.pkr.hcl\n");
}

#[test]
fn conformance_error_cases_via_the_cli() {
    let tmp = tempfile::tempdir().expect("tmp");
    let corpus = shared_dir().join("conformance/fmt");
    let malformed = fs::read_to_string(corpus.join("error-001.in.hcl")).expect("error-001");
    let json = fs::read_to_string(corpus.join("error-002.in.json")).expect("error-002");
    let m = write(tmp.path(), "malformed.pkr.hcl", &malformed);
    write(tmp.path(), "test.json", &json);

    let o = kiln(tmp.path(), &["malformed.pkr.hcl"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("malformed.pkr.hcl:5"), "{}", stderr(&o));
    // Packer's TestFmtParseError looks for this sentence.
    assert!(
        stderr(&o).contains("An argument or block definition is required here."),
        "{}",
        stderr(&o)
    );
    assert_eq!(read(&m), malformed);

    let o = kiln(tmp.path(), &["test.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("file test.json is not a HCL file"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn missing_path_is_an_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let o = kiln(tmp.path(), &["nope.pkr.hcl"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nope.pkr.hcl"), "{}", stderr(&o));
}

#[cfg(unix)]
#[test]
fn permissions_are_preserved_after_write() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tmp");
    let f = write(tmp.path(), "a.pkr.hcl", UNFORMATTED);
    fs::set_permissions(&f, fs::Permissions::from_mode(0o640)).expect("chmod");
    let o = kiln(tmp.path(), &["a.pkr.hcl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(read(&f), FORMATTED);
    let mode = fs::metadata(&f).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
}

#[test]
fn invalid_utf8_is_a_located_error_and_the_file_is_untouched() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = tmp.path().join("bin.pkr.hcl");
    let bytes = b"a = 1\nb = \"\xff\"\n".to_vec();
    fs::write(&p, &bytes).expect("write");
    let o = kiln(tmp.path(), &["bin.pkr.hcl"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("UTF-8") && err.contains("bin.pkr.hcl:2"),
        "{err}"
    );
    assert_eq!(fs::read(&p).expect("read"), bytes);
}

/// Killing kiln in the middle of a run never leaves a truncated or
/// half-written file: each file is either the original or fully formatted.
#[test]
fn killed_midway_leaves_only_whole_files() {
    let tmp = tempfile::tempdir().expect("tmp");
    let body: String = (0..100)
        .map(|i| format!("a{i:03}=1\nbungle{i:03} = \"x\"\n"))
        .collect();
    let want: String = (0..100)
        .map(|i| format!("a{i:03}      = 1\nbungle{i:03} = \"x\"\n"))
        .collect();
    let n = 600;
    for i in 0..n {
        write(tmp.path(), &format!("f{i:04}.pkr.hcl"), &body);
    }
    for delay_ms in [5u64, 40] {
        let mut child = Command::new(KILN)
            .args(["fmt", "."])
            .current_dir(tmp.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        for i in 0..n {
            let got = read(&tmp.path().join(format!("f{i:04}.pkr.hcl")));
            assert!(
                got == body || got == want,
                "f{i:04} is neither original nor formatted"
            );
        }
    }
    // A final run completes the job.
    let o = kiln(tmp.path(), &["."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(read(&tmp.path().join("f0000.pkr.hcl")), want);
}

fn find_packer() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("packer"))
        .find(|p| p.is_file())
}

/// `kiln fmt -check -diff FILE` prints what `packer fmt -check -diff FILE`
/// prints (names and diffs), with the same exit code, on real templates.
#[test]
fn check_diff_output_matches_packer() {
    let Some(packer) = find_packer() else {
        println!("note: `packer` is not on PATH; skipping the -diff comparison with packer");
        return;
    };
    let templates = shared_dir().join("conformance/templates/hashicorp__packer");
    let picks = [
        "hcl2template/testdata/complete/sources.pkr.hcl",
        "hcl2template/testdata/complete/build.pkr.hcl",
        "hcl2template/testdata/build/basic.pkr.hcl",
        "hcl2template/testdata/sources/basic.pkr.hcl",
        "examples/hcl/linux/source.vsphere-iso.pkr.hcl",
        "command/test-fixtures/provisioners/provisioner-only-except.pkr.hcl",
    ];
    let tmp = tempfile::tempdir().expect("tmp");
    let mut compared = 0;
    for (i, rel) in picks.iter().enumerate() {
        let Ok(text) = fs::read_to_string(templates.join(rel)) else {
            continue;
        };
        let name = format!("t{i}.pkr.hcl");
        write(tmp.path(), &name, &text);
        let k = kiln(tmp.path(), &["-check", "-diff", &name]);
        let p = Command::new(&packer)
            .args(["fmt", "-check", "-diff", &name])
            .current_dir(tmp.path())
            .env("CHECKPOINT_DISABLE", "1")
            .output()
            .expect("run packer");
        assert_eq!(k.status.code(), p.status.code(), "{rel}: exit codes differ");
        assert_eq!(stdout(&k), stdout(&p), "{rel}: -diff output differs");
        compared += 1;
    }
    assert_eq!(compared, picks.len(), "corpus files missing");
}
