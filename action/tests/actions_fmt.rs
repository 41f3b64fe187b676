//! `kiln fmt -check` as the action runs it (`command: fmt`) over the
//! conformance corpus: one annotation per unformatted file at its first
//! changed line (GitHub's cap applies), diffs in the summary, the
//! `unformatted` output matching `packer fmt -check`'s verdicts.

mod actions_common;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::process::{Command, Stdio};

use actions_common::{parse_annotation, shared_dir, Step};

fn formatted(text: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["fmt", "-"])
        .env_remove("GITHUB_ACTIONS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn fmt_check_annotates_first_changed_lines_and_lists_every_file() {
    let Some(shared) = shared_dir() else { return };
    let root = shared.join("conformance/templates");
    let manifest = std::fs::read_to_string(root.join("MANIFEST.tsv")).unwrap();
    let step = Step::new();
    let mut all = 0;
    let mut expected = BTreeSet::new();
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let rc = cols[5];
        if rc == "-" {
            continue;
        }
        let rel = format!("c/{}", cols[0]);
        step.write(&rel, &std::fs::read_to_string(root.join(cols[0])).unwrap());
        all += 1;
        if rc == "3" {
            expected.insert(rel);
        }
    }
    assert!(
        expected.len() > 10,
        "the corpus has more than 10 unformatted files"
    );
    let run = step.action(&[
        ("command", "fmt"),
        ("target", "c"),
        ("arguments", "-recursive"),
    ]);
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    let outputs = step.outputs();
    let listed: BTreeSet<String> = outputs["unformatted"].lines().map(str::to_string).collect();
    assert_eq!(listed, expected);
    assert_eq!(outputs["result"], "failed");

    let errors = run.annotations("error");
    assert_eq!(errors.len(), 10, "{}", run.stdout);
    for a in &errors {
        let (_, props, message) = parse_annotation(a);
        assert_eq!(props["title"], "File is not formatted");
        let file = &props["file"];
        assert!(expected.contains(file), "{file}");
        let original = std::fs::read_to_string(step.ws.join(file)).unwrap();
        let want = formatted(&original);
        let first = original
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .map(|i| i + 1)
            .unwrap_or(original.lines().count());
        assert_eq!(props["line"], first.to_string(), "{file}");
        assert_eq!(props["endLine"], first.to_string(), "{file}");
        assert!(
            message.contains(&format!("from line {first} on")),
            "{message}"
        );
        // Check mode writes nothing.
        assert_eq!(
            std::fs::read_to_string(step.ws.join(file)).unwrap(),
            original
        );
    }
    let summary = step.summary();
    assert!(
        summary.starts_with(&format!(
            "### kiln fmt: :x: {} of {all} files not formatted\n",
            expected.len()
        )),
        "{}",
        &summary[..200.min(summary.len())]
    );
    for f in &expected {
        assert!(
            summary.contains(&format!(
                "<details><summary>{f}</summary>\n\n```diff\n--- old/{f}\n+++ new/{f}\n"
            )),
            "{f}"
        );
    }
    assert_eq!(summary.matches("```diff\n").count(), expected.len());
    assert!(
        summary.contains(&format!(
            "> {} more errors than GitHub shows",
            expected.len() - 10
        )),
        "{summary}"
    );
}

#[test]
fn formatted_files_give_an_empty_list_and_ok() {
    let step = Step::new();
    step.write(
        "a.pkr.hcl",
        "source \"null\" \"a\" {\n  communicator = \"none\"\n}\n",
    );
    let run = step.action(&[("command", "fmt"), ("target", "a.pkr.hcl")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.commands().is_empty(), "{}", run.stdout);
    let o = step.outputs();
    assert_eq!(o["unformatted"], "");
    assert_eq!(o["result"], "ok");
    assert_eq!(
        step.summary(),
        "### kiln fmt: :white_check_mark: 1 file formatted\n\n"
    );
}

#[test]
fn unformatted_line_and_parse_errors_are_exact() {
    let step = Step::new();
    step.write(
        "x/b.pkr.hcl",
        "source \"null\" \"a\" {\n  communicator   = \"none\"\n}\n",
    );
    step.write("x/bad.pkr.hcl", "source \"null\" {\n");
    let run = step.action(&[("command", "fmt"), ("target", "x")]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let errors = run.annotations("error");
    assert_eq!(
        errors[0],
        "::error title=File is not formatted,file=x/b.pkr.hcl,line=2,endLine=2,col=16,endColumn=25::kiln fmt would change x/b.pkr.hcl from line 2 on. Run `kiln fmt x/b.pkr.hcl` (or `packer fmt`) and commit the result."
    );
    assert_eq!(errors.len(), 2, "{}", run.stdout);
    let (_, props, _) = parse_annotation(errors[1]);
    assert_eq!(props["file"], "x/bad.pkr.hcl");
    assert!(
        step.summary()
            .contains("-  communicator   = \"none\"\n+  communicator = \"none\""),
        "{}",
        step.summary()
    );
}
