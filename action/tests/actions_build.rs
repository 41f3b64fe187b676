//! `kiln matrix` and `kiln build` in Actions mode with the file builder:
//! the matrix JSON as `strategy.matrix` consumes it (each entry's `only`
//! runs exactly its build), a `::group::` per build, the summary rows and
//! the `artifacts` / `manifest` / `result` outputs.

mod actions_common;

use std::collections::BTreeSet;

use actions_common::{parse_annotation, Step};

const TEMPLATE: &str = r#"
variable "token" {
  type      = string
  sensitive = true
  default   = "tok%en:1,2"
}

source "file" "a" {
  content = "a\n"
  target  = "out/a.txt"
}

source "file" "b" {
  content = "b\n"
  target  = "out/b.txt"
}

build {
  name    = "app"
  sources = ["source.file.a", "source.file.b"]

  provisioner "shell-local" {
    inline = ["echo building $PACKER_BUILD_NAME with ${var.token}"]
  }

  post-processor "manifest" {
    output = "out/manifest.json"
  }
}

build {
  sources = ["source.file.a"]
  name    = "solo"
}
"#;

#[test]
fn matrix_entries_run_exactly_their_build() {
    let step = Step::new();
    step.write("packer/t.pkr.hcl", TEMPLATE);
    let run = step.action(&[
        ("command", "matrix"),
        ("target", "packer/"),
        ("except", "solo.*"),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let matrix = step.outputs()["matrix"].clone();
    // The same JSON, alone, on stdout (`kiln matrix > m.json` in a step).
    assert_eq!(run.stdout, format!("{matrix}\n"));
    let v: serde_json::Value = serde_json::from_str(&matrix).unwrap();
    let include = v["include"].as_array().expect("include list");
    let names: Vec<&str> = include
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app.file.a", "app.file.b"]);
    for e in include {
        assert_eq!(e["template"], "packer/");
        assert_eq!(e["only"], e["name"]);
    }
    assert!(
        step.summary().contains("| `packer/` | `app.file.b` |"),
        "{}",
        step.summary()
    );
    // Fan out: one build per entry, as a matrix job would run it.
    for e in include {
        let job = Step::new();
        job.write("packer/t.pkr.hcl", TEMPLATE);
        std::fs::create_dir_all(job.ws.join("out")).unwrap();
        let run = job.action(&[
            ("command", "build"),
            ("target", e["template"].as_str().unwrap()),
            ("only", e["only"].as_str().unwrap()),
        ]);
        assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
        let groups: Vec<&str> = run
            .stdout
            .lines()
            .filter(|l| l.starts_with("::group::"))
            .collect();
        assert_eq!(
            groups,
            [format!("::group::{}", e["name"].as_str().unwrap())]
        );
        let artifacts: serde_json::Value =
            serde_json::from_str(&job.outputs()["artifacts"]).unwrap();
        assert_eq!(artifacts.as_object().unwrap().len(), 1, "{artifacts}");
    }
}

#[test]
fn matrix_of_an_invalid_template_fails_with_annotations() {
    let step = Step::new();
    step.write(
        "bad.pkr.hcl",
        "build {\n  sources = [\"source.null.nope\"]\n}\n",
    );
    let run = step.action(&[("command", "matrix"), ("target", "bad.pkr.hcl")]);
    assert_eq!(run.code, Some(1));
    // stdout is the matrix's: commands go to stderr.
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr_annotations("error").len(), 1, "{}", run.stderr);
    assert!(!step.outputs().contains_key("matrix"));
    assert_eq!(step.outputs()["result"], "failed");
}

#[test]
fn build_groups_summary_and_outputs() {
    let step = Step::new();
    step.write("packer/t.pkr.hcl", TEMPLATE);
    std::fs::create_dir_all(step.ws.join("out")).unwrap();
    let run = step.action(&[
        ("command", "build"),
        ("target", "packer/t.pkr.hcl"),
        ("except", "solo.*"),
        ("parallel_builds", "2"),
    ]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    // Masked first, never printed.
    assert_eq!(run.stdout.lines().next(), Some("::add-mask::tok%25en:1,2"));
    assert!(run
        .stdout
        .lines()
        .skip(1)
        .all(|l| !l.contains("tok%en") && !l.contains("tok%25en")));
    // One well-formed group per build, each holding that build's lines only.
    let mut open: Option<String> = None;
    let mut seen = BTreeSet::new();
    for l in run.stdout.lines() {
        if let Some(name) = l.strip_prefix("::group::") {
            assert!(open.is_none(), "nested group: {}", run.stdout);
            assert!(seen.insert(name.to_string()), "two groups for {name}");
            open = Some(name.to_string());
        } else if l == "::endgroup::" {
            assert!(open.take().is_some(), "stray endgroup");
        } else if let Some(g) = &open {
            assert!(
                l.is_empty() || l.contains(g.as_str()),
                "line {l:?} in group {g}"
            );
        }
    }
    assert!(open.is_none());
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["app.file.a", "app.file.b"]
    );
    assert!(run
        .stdout
        .contains("    app.file.a: building a with <sensitive>"));
    assert!(run
        .stdout
        .contains("==> Builds finished. The artifacts of successful builds are:"));

    let o = step.outputs();
    assert_eq!(o["result"], "ok");
    assert_eq!(o["manifest"], "out/manifest.json");
    let artifacts: serde_json::Value = serde_json::from_str(&o["artifacts"]).unwrap();
    assert_eq!(
        artifacts,
        // The file builder's artifact id is Packer's "File".
        serde_json::json!({"app.file.a": "File", "app.file.b": "File"})
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(step.ws.join(&o["manifest"])).unwrap()).unwrap();
    assert_eq!(manifest["builds"].as_array().unwrap().len(), 2);

    let summary = step.summary();
    assert!(
        summary.contains("### kiln build: :white_check_mark: 2 builds succeeded\n\n| Build | Status | Duration | Artifact |\n| --- | --- | --- | --- |\n"),
        "{summary}"
    );
    for b in ["a", "b"] {
        let row = summary
            .lines()
            .find(|l| l.starts_with(&format!("| `app.file.{b}` |")))
            .unwrap_or_else(|| panic!("{summary}"));
        let cells: Vec<&str> = row.split(" | ").collect();
        assert_eq!(cells[1], ":white_check_mark: succeeded");
        assert!(
            cells[2].ends_with("second")
                || cells[2].ends_with("seconds")
                || cells[2].ends_with("milliseconds"),
            "{row}"
        );
        assert_eq!(cells[3], "`File` |");
    }
    assert!(!summary.contains("tok%en"));
}

#[test]
fn every_manifest_is_an_output_and_targets_may_hold_spaces() {
    let step = Step::new();
    step.write(
        "my images/two.pkr.hcl",
        r#"
source "file" "a" {
  content = "a"
  target  = "a.txt"
}
build {
  sources = ["source.file.a"]
  post-processor "checksum" {
    output = "a.checksum"
  }
  post-processor "manifest" {
    output = "first manifest.json"
  }
}
build {
  name    = "second"
  sources = ["source.file.a"]
  post-processor "manifest" {
    output = "out/second.json"
  }
}
"#,
    );
    std::fs::create_dir_all(step.ws.join("out")).unwrap();
    let run = step.action(&[("command", "build"), ("target", "'my images/two.pkr.hcl'")]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let o = step.outputs();
    assert_eq!(o["manifest"], "first manifest.json\nout/second.json");
    // The checksum artifact has no id: the file builder's ("File") is the output.
    let artifacts: serde_json::Value = serde_json::from_str(&o["artifacts"]).unwrap();
    assert_eq!(
        artifacts,
        serde_json::json!({"file.a": "File", "second.file.a": "File"})
    );
    for path in o["manifest"].lines() {
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(step.ws.join(path)).unwrap()).unwrap();
        assert_eq!(m["builds"].as_array().unwrap().len(), 1, "{path}: {m}");
    }
}

#[test]
fn a_failing_build_is_annotated_and_fails_the_step() {
    let step = Step::new();
    step.write(
        "f.pkr.hcl",
        r#"
source "file" "ok" {
  content = "x"
  target  = "ok.txt"
}
source "file" "broken" {
  content = "x"
  target  = "ok.txt"
}
build {
  sources = ["source.file.ok"]
}
build {
  name    = "bad"
  sources = ["source.file.broken"]
  provisioner "shell-local" {
    inline = ["echo about to fail: 100%, really", "exit 3"]
  }
}
"#,
    );
    let run = step.action(&[
        ("command", "build"),
        ("target", "f.pkr.hcl"),
        ("parallel_builds", "1"),
    ]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let errors = run.annotations("error");
    assert_eq!(errors.len(), 1, "{}", run.stdout);
    let (_, props, message) = parse_annotation(errors[0]);
    assert_eq!(props["title"], "Build 'bad.file.broken' errored");
    assert!(
        message.starts_with("Build 'bad.file.broken' errored after "),
        "{message}"
    );
    let o = step.outputs();
    assert_eq!(o["result"], "failed");
    let artifacts: serde_json::Value = serde_json::from_str(&o["artifacts"]).unwrap();
    assert_eq!(artifacts, serde_json::json!({"file.ok": "File"}));
    assert!(!o.contains_key("manifest"));
    let summary = step.summary();
    assert!(
        summary.contains("### kiln build: :x: 1 of 2 builds failed"),
        "{summary}"
    );
    assert!(
        summary.contains("| `bad.file.broken` | :x: failed: "),
        "{summary}"
    );
    assert!(run
        .stdout
        .contains("    bad.file.broken: about to fail: 100%, really"));
}

#[test]
fn matrix_needs_no_values_for_required_variables() {
    // The planning job has no secrets: build names do not depend on them.
    let step = Step::new();
    step.write(
        "m.pkr.hcl",
        "variable \"token\" {\n  type      = string\n  sensitive = true\n}\nsource \"null\" \"a\" {\n  communicator = \"none\"\n}\nbuild {\n  sources = [\"source.null.a\"]\n}\n",
    );
    let run = step.action(&[("command", "matrix"), ("target", "m.pkr.hcl")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        step.outputs()["matrix"],
        r#"{"include":[{"name":"null.a","only":"null.a","template":"m.pkr.hcl"}]}"#
    );
    // validate still requires them.
    let run = step.action(&[("command", "validate"), ("target", "m.pkr.hcl")]);
    assert_eq!(run.code, Some(1));
}
