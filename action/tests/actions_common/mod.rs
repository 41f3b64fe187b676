//! A simulated GitHub Actions step for the `kiln` binary: a workspace,
//! the runner's files (`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`) in a temp
//! dir, `INPUT_*` variables, and parsers for what the runner would read.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The shared corpus (`../shared` beside the checkout), or None when it is
/// absent and `KILN_REQUIRE_SHARED` is not set.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KILN_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let found = dir.join("conformance/templates/MANIFEST.tsv").exists();
    assert!(
        found || std::env::var_os("KILN_REQUIRE_SHARED").is_none(),
        "KILN_REQUIRE_SHARED is set but the shared corpus is not at {}",
        dir.display()
    );
    found.then_some(dir)
}

pub struct Step {
    _tmp: tempfile::TempDir,
    /// `GITHUB_WORKSPACE` (canonical).
    pub ws: PathBuf,
    pub output: PathBuf,
    pub summary: PathBuf,
}

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Workflow-command lines (`::…`) on stdout.
    pub fn commands(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with("::"))
            .collect()
    }
    pub fn annotations(&self, level: &str) -> Vec<&str> {
        annotations(&self.stdout, level)
    }
    /// Annotations on stderr (commands whose stdout is data).
    pub fn stderr_annotations(&self, level: &str) -> Vec<&str> {
        annotations(&self.stderr, level)
    }
}

fn annotations<'a>(text: &'a str, level: &str) -> Vec<&'a str> {
    {
        let p = format!("::{level} ");
        let bare = format!("::{level}::");
        text.lines()
            .filter(|l| l.starts_with(&p) || l.starts_with(&bare))
            .collect()
    }
}

impl Step {
    pub fn new() -> Step {
        let tmp = tempfile::tempdir().expect("tempdir");
        let ws = tmp.path().join("workspace");
        std::fs::create_dir_all(&ws).expect("workspace");
        let ws = ws.canonicalize().expect("canonical");
        let output = tmp.path().join("github_output");
        let summary = tmp.path().join("step_summary");
        Step {
            _tmp: tmp,
            ws,
            output,
            summary,
        }
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.ws.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
        p
    }

    fn command(&self, cwd: &Path) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kiln"));
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            if k.starts_with("INPUT_") || k.starts_with("GITHUB_") || k == "KILN_LOG" {
                c.env_remove(k);
            }
        }
        c.current_dir(cwd)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_WORKSPACE", &self.ws)
            .env("GITHUB_OUTPUT", &self.output)
            .env("GITHUB_STEP_SUMMARY", &self.summary);
        c
    }

    /// `kiln github-action` in the workspace, as action.yml runs it.
    pub fn action(&self, inputs: &[(&str, &str)]) -> Run {
        let mut c = self.command(&self.ws);
        c.arg("github-action");
        for (k, v) in inputs {
            c.env(format!("INPUT_{}", k.to_uppercase()), v);
        }
        run(c)
    }

    /// `kiln ARGS` with GITHUB_ACTIONS=true, from `cwd`.
    pub fn kiln(&self, cwd: &Path, args: &[&str]) -> Run {
        let mut c = self.command(cwd);
        c.args(args);
        run(c)
    }

    pub fn outputs(&self) -> BTreeMap<String, String> {
        parse_outputs(&std::fs::read_to_string(&self.output).unwrap_or_default())
    }

    pub fn summary(&self) -> String {
        std::fs::read_to_string(&self.summary).unwrap_or_default()
    }
}

fn run(mut c: Command) -> Run {
    let out = c.output().expect("run kiln");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Read a `GITHUB_OUTPUT` file the way the runner does: `name=value`
/// lines and `name<<DELIM` … `DELIM` blocks; later values win.
pub fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        if let Some((name, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            let mut closed = false;
            for l in lines.by_ref() {
                if l == delim {
                    closed = true;
                    break;
                }
                value.push(l);
            }
            assert!(closed, "output {name}: delimiter {delim} never closes");
            out.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            out.insert(name.to_string(), value.to_string());
        } else {
            panic!("not an output line: {line:?}");
        }
    }
    out
}

/// Split an annotation line into (level, properties, message), undoing the
/// toolkit's escaping the way the runner does.
pub fn parse_annotation(line: &str) -> (String, BTreeMap<String, String>, String) {
    let rest = line.strip_prefix("::").expect("a command");
    let (head, message) = rest.split_once("::").expect("::message");
    let (level, props) = head.split_once(' ').unwrap_or((head, ""));
    let unescape_data = |s: &str| {
        s.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%25", "%")
    };
    let unescape_prop = |s: &str| unescape_data(&s.replace("%3A", ":").replace("%2C", ","));
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("k=v");
            (k.to_string(), unescape_prop(v))
        })
        .collect();
    (level.to_string(), props, unescape_data(message))
}
