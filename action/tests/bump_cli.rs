//! `kiln bump` end to end through the binary, against golden files in
//! `tests/bump/`:
//!
//! * `amazon/`: a hand-written amazon-ebs manifest in Packer's format (two
//!   runs, multi-region `artifact_id`s) and a repository with every shape
//!   kiln bump edits (plain strings, maps by region with `=`/`:`/commas,
//!   variable defaults, CRLF, heredoc neighbours, odd alignment) next to the
//!   seeds' `terraform-ami-lookup.tf` (`terraform/main.tf`, untouched);
//! * `build/`: manifests written by a real `kiln build` of null and file
//!   sources (two runs), and the same bump from Packer 1.6.6's manifest of
//!   the same template;
//! * `errors/`: bad input, each with its exact message and exit code 1,
//!   nothing written.
//!
//! `KILN_BLESS=1` rewrites the golden files from the actual output (review
//! the diff before committing).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bump")
}

fn kiln(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("KILN_LOG")
        .env_remove("PACKER_LOG")
        .output()
        .expect("run kiln")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Compares `actual` with the golden file (or rewrites it under KILN_BLESS).
fn golden(path: &Path, actual: &[u8]) {
    if std::env::var_os("KILN_BLESS").is_some() {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).expect("mkdir golden dir");
        }
        fs::write(path, actual).expect("write golden");
        return;
    }
    let expected = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        String::from_utf8_lossy(actual),
        String::from_utf8_lossy(&expected),
        "differs from {}",
        path.display()
    );
}

/// Every regular file under `dir`, by `/`-separated relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).expect("read_dir") {
            let entry = entry.expect("entry");
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .expect("under root")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, fs::read(&path).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for (rel, bytes) in tree(from) {
        let dst = to.join(&rel);
        fs::create_dir_all(dst.parent().expect("parent")).expect("mkdir");
        fs::write(dst, bytes).expect("write");
    }
}

/// Runs the diff, the write and the idempotence check of one case: `repo`
/// (copied to a temp dir), the manifest at `manifest`, goldens under
/// `expect` (`diff`, `diff.stderr`, `write.stdout`, `files/...` for each
/// changed file).
fn check_case(repo: &Path, manifest: &Path, expect: &Path) {
    let tmp = tempfile::tempdir().expect("tmp");
    let work = tmp.path().join("repo");
    copy_tree(repo, &work);
    let before = tree(&work);
    let m = manifest.to_str().expect("utf-8 path");

    // Diff mode: the diff on stdout, one line per value on stderr, exit 2,
    // nothing written.
    let o = kiln(&work, &["bump", "-manifest", m]);
    golden(&expect.join("diff"), &o.stdout);
    golden(&expect.join("diff.stderr"), &o.stderr);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(tree(&work), before, "diff mode wrote something");

    // Write mode (DIR given, from outside): the changed files listed,
    // permissions kept, the other files byte for byte.
    #[cfg(unix)]
    let modes = {
        use std::os::unix::fs::PermissionsExt;
        let mut modes = BTreeMap::new();
        for (i, rel) in before.keys().enumerate() {
            let mode = if i % 2 == 0 { 0o640 } else { 0o604 };
            fs::set_permissions(work.join(rel), fs::Permissions::from_mode(mode)).expect("chmod");
            modes.insert(rel.clone(), mode);
        }
        modes
    };
    let o = kiln(tmp.path(), &["bump", "--manifest", m, "--write", "repo"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    golden(&expect.join("write.stdout"), &o.stdout);
    let after = tree(&work);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "files were added or removed (temporary files left?)"
    );
    let listed = stdout(&o);
    let written: Vec<&str> = listed
        .lines()
        .map(|l| l.trim_start_matches("repo/"))
        .collect();
    for (rel, bytes) in &after {
        if written.contains(&rel.as_str()) {
            golden(&expect.join("files").join(rel), bytes);
        } else {
            assert_eq!(bytes, &before[rel], "{rel} changed but was not listed");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(work.join(rel))
                .expect("stat")
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, modes[rel], "{rel}: permissions not kept");
        }
    }
    // The diff printed before is exactly what was written.
    let diff = fs::read_to_string(expect.join("diff")).unwrap_or_default();
    for rel in &written {
        assert!(
            diff.contains(&format!("+++ new/{rel}\n")),
            "{rel} not in the diff"
        );
    }

    // The printed diff, applied by `git apply` to a fresh copy, gives
    // exactly the written files (CRLF and missing final newlines included).
    let applied = tmp.path().join("applied");
    copy_tree(repo, &applied);
    let patch = tmp.path().join("bump.diff");
    fs::copy(expect.join("diff"), &patch).expect("copy diff");
    let o = Command::new("git")
        .args(["apply", "-p1"])
        .arg(&patch)
        .current_dir(&applied)
        // Even under a TMPDIR inside a work tree: no repository discovery.
        .env("GIT_CEILING_DIRECTORIES", tmp.path())
        .output()
        .expect("run git apply");
    assert!(o.status.success(), "git apply: {}", stderr(&o));
    assert_eq!(tree(&applied), after, "the diff is not what -write wrote");

    // Again: nothing to change, exit 0, no diff.
    let o = kiln(&work, &["bump", "-manifest", m]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    golden(&expect.join("again.stderr"), &o.stderr);
    assert_eq!(tree(&work), after);
}

#[test]
fn amazon_manifest_bumps_every_shape_and_keeps_formatting() {
    let case = data().join("amazon");
    check_case(
        &case.join("repo"),
        &case.join("manifest.json"),
        &case.join("expect"),
    );
    // The seed is matched by the glob but sets nothing: never touched.
    let seed = fs::read(case.join("repo/terraform/main.tf")).expect("seed");
    assert!(String::from_utf8_lossy(&seed).contains("data \"aws_ami\" \"packer_image\""));
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
        eprintln!("skipping the Packer half: packer is not installed");
    }
    ok
}

/// Builds `build/template.pkr.hcl` twice (everything, then
/// `-only=file.second`) with `program`, returning the manifest's path.
fn build_manifest(program: &str, dir: &Path) -> PathBuf {
    fs::create_dir_all(dir).expect("mkdir");
    fs::copy(
        data().join("build/template.pkr.hcl"),
        dir.join("template.pkr.hcl"),
    )
    .expect("copy template");
    for only in [None, Some("-only=file.second")] {
        let mut cmd = if program == "kiln" {
            Command::new(env!("CARGO_BIN_EXE_kiln"))
        } else {
            Command::new(program)
        };
        cmd.arg("build")
            .args(only)
            .arg("template.pkr.hcl")
            .current_dir(dir)
            .env_remove("GITHUB_ACTIONS")
            .env("CHECKPOINT_DISABLE", "1")
            .env("PACKER_CONFIG_DIR", dir.join(".packer.d"))
            .env("HOME", dir);
        let o = cmd.output().expect("run build");
        assert!(
            o.status.success(),
            "{program} build failed: {}{}",
            stdout(&o),
            stderr(&o)
        );
    }
    let manifest = dir.join("manifest.json");
    let text = fs::read_to_string(&manifest).expect("manifest written");
    // Two runs appended: three entries, the last run has only file.second.
    assert_eq!(text.matches("\"packer_run_uuid\"").count(), 3, "{text}");
    manifest
}

#[test]
fn manifests_from_a_real_build_and_from_packer_give_the_same_bump() {
    let tmp = tempfile::tempdir().expect("tmp");
    let case = data().join("build");
    let manifest = build_manifest("kiln", &tmp.path().join("kiln"));
    // null.first is only in the first run: its newest entry is still used.
    check_case(&case.join("repo"), &manifest, &case.join("expect"));

    if !packer_available() {
        return;
    }
    let packer_manifest = build_manifest("packer", &tmp.path().join("packer"));
    let work = tmp.path().join("repo");
    copy_tree(&case.join("repo"), &work);
    let from_kiln = kiln(
        &work,
        &["bump", "-manifest", manifest.to_str().expect("path")],
    );
    let from_packer = kiln(
        &work,
        &["bump", "-manifest", packer_manifest.to_str().expect("path")],
    );
    assert_eq!(
        from_packer.status.code(),
        Some(2),
        "{}",
        stderr(&from_packer)
    );
    assert_eq!(stdout(&from_packer), stdout(&from_kiln));
    assert_eq!(stderr(&from_packer), stderr(&from_kiln));
}

/// One bad input: the amazon case's repository with `config` as
/// `.github/kiln.yml`, `files` overriding some files and `manifest` as the
/// manifest's text (the amazon one when `None`).
struct Bad {
    name: &'static str,
    config: &'static str,
    files: &'static [(&'static str, &'static str)],
    manifest: Option<&'static str>,
}

const GOOD_TARGET: &str =
    "bump:\n  - build: ubuntu\n    files: \"infra/envs/*.tfvars\"\n    variable: ami_id\n    region: eu-west-1\n";

const BAD: &[Bad] = &[
    Bad {
        name: "manifest-malformed",
        config: GOOD_TARGET,
        files: &[],
        manifest: Some("{\n  \"builds\": [\n    {\"name\": \"ubuntu\",, }\n  ]\n}\n"),
    },
    Bad {
        name: "manifest-artifact-id",
        config: GOOD_TARGET,
        files: &[],
        manifest: Some(
            "{\"builds\": [{\"name\": \"ubuntu\", \"builder_type\": \"amazon-ebs\", \"artifact_id\": \"ami-0123\"}]}",
        ),
    },
    Bad {
        name: "config-invalid-variable",
        config: "bump:\n  - build: ubuntu\n    files: \"*.tfvars\"\n    variable: 9lives\n",
        files: &[],
        manifest: None,
    },
    Bad {
        name: "config-unknown-field",
        config: "bump:\n  - build: ubuntu\n    files: \"*.tfvars\"\n    variable: ami_id\n    regoin: us-east-1\n",
        files: &[],
        manifest: None,
    },
    Bad {
        name: "config-no-targets",
        config: "checks: [fmt]\n",
        files: &[],
        manifest: None,
    },
    Bad {
        name: "tfvars-does-not-parse",
        config: "bump:\n  - build: ubuntu\n    files: \"infra/**/*.tfvars\"\n    variable: ami_id\n    region: eu-west-1\n",
        files: &[("infra/envs/staging.tfvars", "ami_id = \"ami-0bbbbbbbbbbbbbbbb\"\ntags = {\n  a = \n}\n")],
        manifest: None,
    },
    Bad {
        name: "build-not-in-manifest",
        config: "bump:\n  - build: amazon-ebs.centos\n    files: \"infra/envs/*.tfvars\"\n    variable: ami_id\n    region: us-east-1\n",
        files: &[],
        manifest: None,
    },
    Bad {
        name: "region-required",
        config: "bump:\n  - build: ubuntu\n    files: \"infra/envs/*.tfvars\"\n    variable: ami_id\n",
        files: &[],
        manifest: None,
    },
    Bad {
        name: "region-not-built",
        config: "bump:\n  - build: ubuntu\n    files: \"infra/envs/*.tfvars\"\n    variable: ami_id\n    region: us-west-2\n",
        files: &[],
        manifest: None,
    },
    Bad {
        name: "variable-not-found",
        config: "bump:\n  - build: ubuntu\n    files: \"terraform/*.tf\"\n    variable: ami_id\n    region: us-east-1\n",
        files: &[],
        manifest: None,
    },
    Bad {
        name: "no-files",
        config: "bump:\n  - build: ubuntu\n    files: \"live/*.tfvars\"\n    variable: ami_id\n    region: us-east-1\n",
        files: &[],
        manifest: None,
    },
    Bad {
        name: "not-a-literal",
        config: GOOD_TARGET,
        files: &[("infra/envs/dev.tfvars", "ami_id = data.aws_ami.x.id\n")],
        manifest: None,
    },
    Bad {
        name: "conflicting-targets",
        config: "bump:\n  - build: ubuntu\n    files: \"infra/envs/dev.tfvars\"\n    variable: ami_id\n    region: eu-west-1\n  - build: windows\n    files: \"infra/envs/*.tfvars\"\n    variable: ami_id\n    region: us-east-1\n",
        files: &[],
        manifest: None,
    },
];

#[test]
fn bad_input_is_located_and_nothing_is_written() {
    let case = data().join("amazon");
    for bad in BAD {
        let tmp = tempfile::tempdir().expect("tmp");
        let work = tmp.path().join("repo");
        copy_tree(&case.join("repo"), &work);
        fs::write(work.join(".github/kiln.yml"), bad.config).expect("config");
        for (rel, text) in bad.files {
            fs::write(work.join(rel), text).expect("override");
        }
        let manifest = tmp.path().join("manifest.json");
        match bad.manifest {
            Some(text) => fs::write(&manifest, text).expect("manifest"),
            None => {
                fs::copy(case.join("manifest.json"), &manifest).expect("manifest");
            }
        }
        let before = tree(&work);
        let o = kiln(&work, &["bump", "-manifest", "../manifest.json", "-write"]);
        assert_eq!(o.status.code(), Some(1), "{}: {}", bad.name, stderr(&o));
        assert_eq!(stdout(&o), "", "{}", bad.name);
        golden(
            &data().join("errors").join(format!("{}.stderr", bad.name)),
            &o.stderr,
        );
        assert_eq!(tree(&work), before, "{}: something was written", bad.name);
    }
}

#[test]
fn explicit_config_and_missing_files_are_reported() {
    let case = data().join("amazon");
    let tmp = tempfile::tempdir().expect("tmp");
    let work = tmp.path().join("repo");
    copy_tree(&case.join("repo"), &work);
    let other = tmp.path().join("bump.yml");
    fs::write(&other, GOOD_TARGET).expect("config");
    let m = case.join("manifest.json");
    let m = m.to_str().expect("path");
    let o = kiln(
        tmp.path(),
        &["bump", "-manifest", m, "-config", "bump.yml", "repo"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "infra/envs/dev.tfvars:2: ami_id (eu-west-1): ami-0f66666666666666f -> ami-0e55555555555555e [amazon-ebs.ubuntu]\n\
         infra/envs/prod.auto.tfvars:4: ami_id (eu-west-1): ami-0aaaaaaaaaaaaaaaa -> ami-0e55555555555555e [amazon-ebs.ubuntu]\n\
         infra/envs/staging.tfvars:2: ami_id (eu-west-1): ami-0bbbbbbbbbbbbbbbb -> ami-0e55555555555555e [amazon-ebs.ubuntu]\n\
         3 value(s) in 3 file(s) to change; 0 already up to date.\n"
    );

    let o = kiln(tmp.path(), &["bump", "-manifest", "nope.json", "repo"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("Error: cannot read the manifest nope.json: "),
        "{}",
        stderr(&o)
    );
    let o = kiln(tmp.path(), &["bump", "-manifest", m, "-config", "none.yml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("Error: cannot read the configuration none.yml: "),
        "{}",
        stderr(&o)
    );
    let o = kiln(tmp.path(), &["bump", "repo"]);
    assert_eq!(o.status.code(), Some(1), "-manifest is required");
}

#[test]
fn help_documents_the_exit_codes() {
    let o = kiln(Path::new("."), &["bump", "-help"]);
    assert_eq!(o.status.code(), Some(0));
    let help = stdout(&o);
    for line in [
        "  0  nothing to change, or the changes were written (-write)",
        "  2  changes pending: the diff was printed (without -write)",
        "      region: us-east-1",
    ] {
        assert!(help.contains(line), "{line:?} not in\n{help}");
    }
}
