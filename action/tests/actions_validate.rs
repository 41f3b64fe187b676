//! `kiln validate` / `inspect` / `init` and the action's inputs in a
//! simulated GitHub Actions step: exact annotation lines, outputs, summary.

mod actions_common;

use std::path::Path;

use actions_common::{parse_annotation, shared_dir, Step};

#[test]
fn seed_with_unknown_sources_gives_exact_annotations_summary_and_result() {
    let Some(shared) = shared_dir() else { return };
    let step = Step::new();
    let text = std::fs::read_to_string(shared.join("seeds/guide-ko-02.pkr.hcl")).unwrap();
    step.write("packer/guide-ko-02.pkr.hcl", &text);
    let run = step.action(&[
        ("command", "validate"),
        ("target", "packer/guide-ko-02.pkr.hcl"),
    ]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let detail = |s: &str| {
        format!("A build refers to source \"{s}\", but no source block of that type and name is defined. No sources are defined.")
    };
    assert_eq!(
        run.commands(),
        vec![
            format!("::error title=Unknown source amazon-ebs.ubuntu,file=packer/guide-ko-02.pkr.hcl,line=4,endLine=4,col=5,endColumn=30::{}", detail("amazon-ebs.ubuntu")),
            format!("::error title=Unknown source azure-arm.ubuntu,file=packer/guide-ko-02.pkr.hcl,line=5,endLine=5,col=5,endColumn=29::{}", detail("azure-arm.ubuntu")),
            format!("::error title=Unknown source googlecompute.ubuntu,file=packer/guide-ko-02.pkr.hcl,line=6,endLine=6,col=5,endColumn=33::{}", detail("googlecompute.ubuntu")),
        ]
    );
    // The range covers the quoted reference on that line, exactly.
    let line4 = text.lines().nth(3).unwrap();
    assert_eq!(&line4[4..30], "\"source.amazon-ebs.ubuntu\"");
    assert_eq!(
        step.outputs().get("result").map(String::as_str),
        Some("failed")
    );
    let summary = step.summary();
    assert!(
        summary.starts_with(
            "### kiln validate `packer/guide-ko-02.pkr.hcl`: :x: 3 errors, 0 warnings\n"
        ),
        "{summary}"
    );
    assert!(
        summary.contains("| :x: error | `packer/guide-ko-02.pkr.hcl:5:5` | **Unknown source azure-arm.ubuntu**<br>A build refers"),
        "{summary}"
    );
    // The terminal text is still in the log.
    assert!(
        run.stderr
            .contains("Error: Unknown source amazon-ebs.ubuntu"),
        "{}",
        run.stderr
    );
}

#[test]
fn valid_template_annotates_nothing_and_reports_ok() {
    let step = Step::new();
    step.write(
        "t.pkr.hcl",
        "source \"null\" \"a\" {\n  communicator = \"none\"\n}\nbuild {\n  sources = [\"source.null.a\"]\n}\n",
    );
    let run = step.action(&[("target", "t.pkr.hcl")]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(run.commands().is_empty(), "{}", run.stdout);
    assert_eq!(step.outputs().get("result").map(String::as_str), Some("ok"));
    assert_eq!(
        step.summary(),
        "### kiln validate `t.pkr.hcl`: :white_check_mark: valid\n\n"
    );
}

#[test]
fn parse_error_seed_is_located_relative_to_the_workspace() {
    let Some(shared) = shared_dir() else { return };
    let step = Step::new();
    let text =
        std::fs::read_to_string(shared.join("seeds/hcp-registry-broken-comment.pkr.hcl")).unwrap();
    step.write("img/broken.pkr.hcl", &text);
    // working_directory + a target relative to it.
    let run = step.action(&[("working_directory", "img"), ("target", "broken.pkr.hcl")]);
    assert_eq!(run.code, Some(1));
    let errors = run.annotations("error");
    assert_eq!(errors.len(), 1, "{}", run.stdout);
    let (_, props, message) = parse_annotation(errors[0]);
    assert_eq!(props["file"], "img/broken.pkr.hcl");
    assert_eq!(props["title"], "Invalid HCL syntax");
    assert_eq!(props["line"], "16");
    assert!(message.contains("Parse error"), "{message}");
}

/// Every annotation agrees with `validate -json` (same diagnostic, same
/// range, end made inclusive), over the seeds and the conformance corpus.
#[test]
fn annotations_match_json_ranges_over_seeds_and_corpus() {
    let Some(shared) = shared_dir() else { return };
    let mut templates = Vec::new();
    for e in std::fs::read_dir(shared.join("seeds")).unwrap() {
        let p = e.unwrap().path();
        let n = p.to_string_lossy().to_string();
        if n.ends_with(".pkr.hcl") || n.ends_with(".json") {
            templates.push(p);
        }
    }
    let manifest =
        std::fs::read_to_string(shared.join("conformance/templates/MANIFEST.tsv")).unwrap();
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if matches!(cols.get(4), Some(&"hcl2-template") | Some(&"json-template")) {
            templates.push(shared.join("conformance/templates").join(cols[0]));
        }
    }
    assert!(templates.len() > 100, "{}", templates.len());
    let step = Step::new();
    let mut checked_ranges = 0;
    for t in &templates {
        // Copy into the workspace so paths are workspace-relative.
        let name = t.file_name().unwrap().to_string_lossy().to_string();
        let dst = step.ws.join("t").join(&name);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(t, &dst).unwrap();
        let rel = format!("t/{name}");
        // -json in Actions mode: annotations, then the JSON document.
        let json = step.kiln(&step.ws, &["validate", "-json", "--github-actions", &rel]);
        let _ = std::fs::remove_file(&step.summary);
        let run = step.kiln(&step.ws, &["validate", &rel]);
        let v: serde_json::Value = serde_json::from_str(
            json.stdout
                .lines()
                .filter(|l| !l.starts_with("::"))
                .collect::<Vec<_>>()
                .join("\n")
                .as_str(),
        )
        .unwrap_or_else(|e| panic!("{rel}: {e}\n{}", json.stdout));
        let diags = v["diagnostics"].as_array().unwrap();
        let mut expected = Vec::new();
        for level in ["error", "warning"] {
            let of_level: Vec<_> = diags.iter().filter(|d| d["severity"] == level).collect();
            let shown = run.annotations(level);
            assert_eq!(shown.len(), of_level.len().min(10), "{rel}: {}", run.stdout);
            for (d, a) in of_level.iter().zip(&shown) {
                let (_, props, message) = parse_annotation(a);
                assert_eq!(props["title"], d["summary"].as_str().unwrap(), "{rel}");
                let detail = d["detail"].as_str().unwrap();
                assert_eq!(
                    message,
                    if detail.trim().is_empty() {
                        d["summary"].as_str().unwrap()
                    } else {
                        detail
                    },
                    "{rel}"
                );
                if let Some(r) = d.get("range").filter(|r| !r.is_null()) {
                    let file = r["filename"].as_str().unwrap();
                    assert_eq!(
                        props["file"],
                        step.ws
                            .join(file)
                            .strip_prefix(&step.ws)
                            .unwrap()
                            .to_string_lossy(),
                        "{rel}"
                    );
                    assert_eq!(props["line"], r["start"]["line"].to_string(), "{rel}");
                    assert_eq!(props["col"], r["start"]["column"].to_string(), "{rel}");
                    let (sl, el) = (
                        r["start"]["line"].as_u64().unwrap(),
                        r["end"]["line"].as_u64().unwrap(),
                    );
                    let (sc, ec) = (
                        r["start"]["column"].as_u64().unwrap(),
                        r["end"]["column"].as_u64().unwrap(),
                    );
                    if sl == el && ec > sc {
                        assert_eq!(props["endLine"], el.to_string(), "{rel}");
                        assert_eq!(props["endColumn"], (ec - 1).to_string(), "{rel}");
                    }
                    checked_ranges += 1;
                }
            }
            expected.push(of_level.len());
        }
        // The summary lists every diagnostic, shown as annotation or not.
        let summary = step.summary();
        let rows = summary
            .lines()
            .filter(|l| l.starts_with("| :x: error") || l.starts_with("| :warning: warning"))
            .count();
        assert_eq!(rows, diags.len(), "{rel}: {summary}");
    }
    assert!(checked_ranges > 20, "{checked_ranges}");
}

#[test]
fn five_hundred_errors_cap_annotations_but_not_the_summary() {
    let step = Step::new();
    let mut t = String::from("source \"null\" \"a\" {\n  communicator = \"none\"\n");
    for i in 0..500 {
        t.push_str(&format!("  bogus_{i} = {i}\n"));
    }
    t.push_str("}\nbuild {\n  sources = [\"source.null.a\"]\n}\n");
    step.write("many.pkr.hcl", &t);
    let run = step.action(&[("target", "many.pkr.hcl")]);
    assert_eq!(run.code, Some(1));
    let errors = run.annotations("error");
    assert_eq!(errors.len(), 10, "{}", run.stdout);
    for (i, a) in errors.iter().enumerate() {
        let (_, props, _) = parse_annotation(a);
        assert_eq!(props["line"], (i + 3).to_string());
        assert_eq!(props["col"], "3");
    }
    let summary = step.summary();
    assert!(summary.contains(":x: 500 errors, 0 warnings"), "{summary}");
    for i in [0, 9, 10, 250, 499] {
        assert!(
            summary.contains(&format!("| :x: error | `many.pkr.hcl:{}:3` |", i + 3)),
            "row {i} missing"
        );
    }
    assert_eq!(
        summary
            .lines()
            .filter(|l| l.starts_with("| :x: error"))
            .count(),
        500
    );
    assert!(
        summary.contains("> 490 more errors than GitHub shows as annotations (10 of each type per step): every one is listed in this summary."),
        "{}",
        &summary[summary.len().saturating_sub(400)..]
    );
    // The full text is still in the log.
    assert_eq!(
        run.stderr.matches("Error: Unsupported argument").count(),
        500
    );
}

#[test]
fn percent_colon_comma_and_newlines_are_escaped() {
    let step = Step::new();
    let dir = "odd100%,a:b";
    step.write(
        &format!("{dir}/v.pkr.hcl"),
        r#"variable "x" {
  type    = string
  default = "abc"
  validation {
    condition     = length(var.x) > 5
    error_message = "The x value: too short, really 100%."
  }
}
source "null" "a" {
  communicator = "none"
}
build {
  sources = ["source.null.a"]
}
"#,
    );
    let run = step.action(&[("target", &format!("{dir}/v.pkr.hcl"))]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(
        run.annotations("error"),
        vec!["::error title=Invalid value for variable,file=odd100%25%2Ca%3Ab/v.pkr.hcl,line=5,endLine=5,col=21,endColumn=37::The x value: too short, really 100%25.%0A%0AThis was checked by the validation rule."]
    );
    let (_, props, message) = parse_annotation(run.annotations("error")[0]);
    assert_eq!(props["file"], format!("{dir}/v.pkr.hcl"));
    assert_eq!(
        message,
        "The x value: too short, really 100%.\n\nThis was checked by the validation rule."
    );
}

#[test]
fn fail_on_warning_fails_a_step_with_only_warnings() {
    let step = Step::new();
    // A var file setting an undeclared variable is a warning.
    step.write(
        "w.pkr.hcl",
        "source \"null\" \"a\" {\n  communicator = \"none\"\n}\nbuild {\n  sources = [\"source.null.a\"]\n}\n",
    );
    step.write("w.pkrvars.hcl", "nope = 1\n");
    let ok = step.action(&[("target", "w.pkr.hcl"), ("var_files", "w.pkrvars.hcl")]);
    assert_eq!(ok.code, Some(0), "{}{}", ok.stdout, ok.stderr);
    assert_eq!(ok.annotations("warning").len(), 1, "{}", ok.stdout);
    let step2 = Step::new();
    step2.write(
        "w.pkr.hcl",
        &std::fs::read_to_string(step.ws.join("w.pkr.hcl")).unwrap(),
    );
    step2.write("w.pkrvars.hcl", "nope = 1\n");
    let failed = step2.action(&[
        ("target", "w.pkr.hcl"),
        ("var_files", "w.pkrvars.hcl"),
        ("fail_on", "warning"),
    ]);
    assert_eq!(failed.code, Some(1));
    assert_eq!(step2.outputs()["result"], "failed");
}

#[test]
fn bad_inputs_fail_with_an_annotation_naming_the_input() {
    let step = Step::new();
    let run = step.action(&[("command", "deploy")]);
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.commands(),
        vec!["::error title=kiln action::input \"command\": unknown command \"deploy\"; expected one of: validate, fmt, build, inspect, matrix, init"]
    );
    assert_eq!(step.outputs()["result"], "failed");
    assert!(
        step.summary().contains("bad action input"),
        "{}",
        step.summary()
    );

    let step = Step::new();
    let run = step.action(&[
        ("command", "validate"),
        ("target", "packer/missing.pkr.hcl"),
    ]);
    assert_eq!(run.code, Some(1));
    let errors = run.annotations("error");
    assert_eq!(errors.len(), 1);
    let (_, props, message) = parse_annotation(errors[0]);
    assert_eq!(props["title"], "kiln action");
    assert_eq!(
        message,
        format!(
            "input \"target\": packer/missing.pkr.hcl: no such file or directory (working directory {})",
            step.ws.display()
        )
    );
    assert_eq!(step.outputs()["result"], "failed");

    let step = Step::new();
    let run = step.action(&[("command", "build"), ("on_error", "ask")]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout
            .contains("input \"on_error\": \"ask\": expected cleanup or abort"),
        "{}",
        run.stdout
    );
}

#[test]
fn sensitive_values_are_masked_before_anything_prints() {
    let step = Step::new();
    let secret = "p%ss:w,rd";
    step.write(
        "s.pkr.hcl",
        r#"variable "token" {
  type      = string
  sensitive = true
}
variable "multi" {
  type      = string
  sensitive = true
  default   = "line-one\nline-two"
}
source "null" "a" {
  communicator = "none"
  bogus        = var.token
}
build {
  sources = ["source.null.a"]
}
"#,
    );
    let run = step.action(&[("target", "s.pkr.hcl"), ("var", &format!("token={secret}"))]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let masks: Vec<&str> = lines
        .iter()
        .copied()
        .take_while(|l| l.starts_with("::add-mask::"))
        .collect();
    assert!(masks.contains(&"::add-mask::p%25ss:w,rd"), "{masks:?}");
    assert!(
        masks.contains(&"::add-mask::line-one%0Aline-two"),
        "{masks:?}"
    );
    assert!(masks.contains(&"::add-mask::line-one") && masks.contains(&"::add-mask::line-two"));
    assert!(
        lines.len() > masks.len(),
        "an annotation follows: {}",
        run.stdout
    );
    for l in &lines[masks.len()..] {
        assert!(!l.contains("p%25ss") && !l.contains(secret), "{l}");
    }
    assert!(!step.summary().contains(secret));
}

#[test]
fn inspect_and_init_report_in_actions_mode() {
    let step = Step::new();
    step.write(
        "i.pkr.hcl",
        "packer {\n  required_plugins {\n    nope = {\n      source  = \"github.com/acme/nope\"\n      version = \">= 1.0\"\n    }\n  }\n}\nsource \"null\" \"a\" {\n  communicator = \"none\"\n}\nbuild {\n  sources = [\"source.null.a\"]\n}\n",
    );
    let run = step.action(&[("command", "inspect"), ("target", "i.pkr.hcl")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(step.summary().contains("null.a"), "{}", step.summary());
    let run = step.action(&[("command", "init"), ("target", "i.pkr.hcl")]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let errors = run.annotations("error");
    assert_eq!(errors.len(), 1, "{}", run.stdout);
    let (_, props, _) = parse_annotation(errors[0]);
    assert_eq!(props["file"], "i.pkr.hcl");
    assert!(Path::new(&step.output).exists());
}

#[test]
fn validate_json_keeps_stdout_pure_json_in_actions_mode() {
    let step = Step::new();
    step.write(
        "j.pkr.hcl",
        "build {\n  sources = [\"source.null.nope\"]\n}\n",
    );
    let run = step.kiln(&step.ws, &["validate", "-json", "j.pkr.hcl"]);
    assert_eq!(run.code, Some(1));
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON only");
    assert_eq!(v["error_count"], 1);
    let errors = run.stderr_annotations("error");
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    let (_, props, _) = parse_annotation(errors[0]);
    assert_eq!(props["file"], "j.pkr.hcl");
}

#[test]
fn summary_false_writes_no_summary_but_still_annotates_and_sets_outputs() {
    let step = Step::new();
    step.write(
        "j.pkr.hcl",
        "build {\n  sources = [\"source.null.nope\"]\n}\n",
    );
    let run = step.action(&[("target", "j.pkr.hcl"), ("summary", "false")]);
    assert_eq!(run.code, Some(1));
    assert_eq!(run.annotations("error").len(), 1, "{}", run.stdout);
    assert_eq!(step.summary(), "");
    assert_eq!(step.outputs()["result"], "failed");
}
