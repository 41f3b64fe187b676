//! Run the engine on one template directory of the scratch copy:
//! `validate` (with the configured var files) and the `fmt -check`
//! equivalent on the changed files. Engine panics are caught and turned
//! into a reported failure; the server keeps running.

use std::path::{Path, PathBuf};

use kiln_engine::diag::{Diagnostic, Severity};
use kiln_engine::template::LoadOptions;

use crate::repo_config::{Check, RepoConfig};
use crate::templates::Affected;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Failure,
    Warning,
}

/// One located finding, with repository-relative paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub path: String,
    pub start_line: usize,
    pub end_line: usize,
    pub start_column: Option<usize>,
    pub end_column: Option<usize>,
    pub level: Level,
    pub title: String,
    pub message: String,
}

/// A file `fmt` would change, with the unified diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FmtProblem {
    pub path: String,
    pub diff: String,
}

#[derive(Debug, Clone, Default)]
pub struct TemplateReport {
    pub dir: String,
    pub validated: bool,
    pub fmt_checked: bool,
    pub errors: usize,
    pub warnings: usize,
    pub findings: Vec<Finding>,
    pub fmt: Vec<FmtProblem>,
    /// The engine itself failed (panicked); the message.
    pub engine_failure: Option<String>,
}

impl TemplateReport {
    pub fn failed(&self) -> bool {
        self.errors > 0 || !self.fmt.is_empty() || self.engine_failure.is_some()
    }
}

/// A diagnostic's file name as a repository path: absolute names are
/// under `root`; relative ones are relative to the template directory
/// (the engine's working directory).
fn rel(root: &Path, dir: &str, name: &str) -> String {
    let p = Path::new(name);
    if p.is_absolute() {
        return p
            .strip_prefix(root)
            .map(|r| r.to_string_lossy().into_owned())
            .unwrap_or_else(|_| name.to_string());
    }
    // Lexically resolve `dir/name` (var files elsewhere show as `../x`).
    let mut parts: Vec<&str> = dir.split('/').filter(|c| !c.is_empty()).collect();
    for c in name.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

fn finding(root: &Path, dir: &str, d: &Diagnostic) -> Finding {
    let level = match d.severity {
        Severity::Error => Level::Failure,
        Severity::Warning => Level::Warning,
    };
    let mut message = d.detail.clone();
    if let Some(ctx) = &d.context {
        message = format!("in {ctx}: {message}");
    }
    if message.trim().is_empty() {
        message = d.summary.clone();
    }
    match &d.range {
        Some(r) => {
            let single = r.start.line == r.end.line;
            Finding {
                path: rel(root, dir, &r.filename),
                start_line: r.start.line.max(1),
                end_line: r.end.line.max(r.start.line).max(1),
                start_column: single.then_some(r.start.column.max(1)),
                end_column: single.then_some(r.end.column.max(r.start.column).max(1)),
                level,
                title: d.summary.clone(),
                message,
            }
        }
        None => Finding {
            // Unlocated: pinned to the first line of the directory's first file by the caller.
            path: dir.to_string(),
            start_line: 1,
            end_line: 1,
            start_column: None,
            end_column: None,
            level,
            title: d.summary.clone(),
            message,
        },
    }
}

/// Check one affected template under `root` (the scratch copy).
pub fn check_template(root: &Path, t: &Affected, cfg: &RepoConfig) -> TemplateReport {
    let root_buf = root.to_path_buf();
    let t2 = t.clone();
    let cfg2 = cfg.clone();
    match std::panic::catch_unwind(move || check_inner(&root_buf, &t2, &cfg2)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            tracing::error!(dir = %t.dir, %msg, "the engine failed");
            TemplateReport {
                dir: t.dir.clone(),
                engine_failure: Some(msg),
                ..TemplateReport::default()
            }
        }
    }
}

fn check_inner(root: &Path, t: &Affected, cfg: &RepoConfig) -> TemplateReport {
    let dir_path = if t.dir.is_empty() {
        root.to_path_buf()
    } else {
        root.join(&t.dir)
    };
    let mut rep = TemplateReport {
        dir: t.dir.clone(),
        ..TemplateReport::default()
    };
    let first_file = std::fs::read_dir(&dir_path)
        .ok()
        .and_then(|rd| {
            let mut names: Vec<String> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| crate::templates::is_template_file(n))
                .collect();
            names.sort();
            names.into_iter().next()
        })
        .map(|n| {
            if t.dir.is_empty() {
                n
            } else {
                format!("{}/{n}", t.dir)
            }
        })
        .unwrap_or_else(|| t.dir.clone());
    let first_file = t.legacy.clone().unwrap_or(first_file);
    if cfg.runs(Check::Validate) {
        rep.validated = true;
        // The engine evaluates with the server's filesystem and network:
        // templates that call file-reading or secret-fetching functions are
        // only syntax-checked, so no PR can read the App's key or reach
        // internal services through a diagnostic.
        let mut inputs: Vec<(String, PathBuf)> = Vec::new();
        if let Some(file) = &t.legacy {
            inputs.push((file.clone(), root.join(file)));
        } else if let Ok(rd) = std::fs::read_dir(&dir_path) {
            for e in rd.filter_map(|e| e.ok()) {
                let n = e.file_name().to_string_lossy().into_owned();
                if crate::templates::is_packer_file(&n) {
                    let repo_path = if t.dir.is_empty() {
                        n
                    } else {
                        format!("{}/{n}", t.dir)
                    };
                    inputs.push((repo_path, e.path()));
                }
            }
        }
        for f in &t.var_files {
            inputs.push((f.clone(), root.join(f)));
        }
        inputs.sort();
        let mut unsafe_call = None;
        for (repo_path, p) in &inputs {
            let text = std::fs::read(p).unwrap_or_default();
            let text = String::from_utf8_lossy(&text);
            let found = if t.legacy.is_some() {
                legacy_server_side_call(&text)
            } else {
                network_call(&text)
            };
            if let Some((name, line)) = found {
                unsafe_call = Some((repo_path.clone(), name, line));
                break;
            }
        }
        let mut opts = LoadOptions {
            // No process environment: PR content never sees the server's secrets.
            env: Vec::new(),
            cwd: dir_path.clone(),
            var_files: t.var_files.iter().map(|f| root.join(f)).collect(),
            // File functions read only the scratch copy of the repository;
            // network-reaching functions evaluate to unknown.
            sandbox: Some(root.to_path_buf()),
            ..LoadOptions::default()
        };
        let mut own_warnings = 0;
        if t.legacy.is_none() {
            // HCL2: the sandbox makes a full validate safe; only say that
            // secret lookups were not made.
            if let Some((path, name, line)) = unsafe_call.take() {
                own_warnings += 1;
                rep.findings.push(Finding {
                    path,
                    start_line: line,
                    end_line: line,
                    start_column: None,
                    end_column: None,
                    level: Level::Warning,
                    title: "Secret lookup not made".into(),
                    message: format!(
                        "kiln-app does not call `{name}()` from its server: the value is unknown during this validation."
                    ),
                });
            }
        }
        if let Some((path, name, line)) = unsafe_call {
            opts.syntax_only = true;
            own_warnings += 1;
            rep.findings.push(Finding {
                path,
                start_line: line,
                end_line: line,
                start_column: None,
                end_column: None,
                level: Level::Warning,
                title: "Syntax checked only".into(),
                message: format!(
                    "This template calls `{name}()`, which reads files, the environment or secrets where it runs; \
                     kiln-app does not evaluate it on its server. Run `kiln validate` in CI for a full check."
                ),
            });
        }
        let target = match &t.legacy {
            Some(file) => root.join(file),
            None => dir_path.clone(),
        };
        let res = kiln_engine::validate::validate_full(&target, &opts);
        rep.errors = res.diags.error_count();
        rep.warnings = res.diags.warning_count() + own_warnings;
        for d in res.diags.iter() {
            let mut f = finding(root, &t.dir, d);
            if d.range.is_none() {
                f.path = first_file.clone();
            }
            rep.findings.push(f);
        }
    }
    if cfg.runs(Check::Fmt) {
        rep.fmt_checked = true;
        for file in &t.changed {
            if !kiln_engine::fmt::is_hcl_file_name(file) {
                continue;
            }
            let Ok(path) = crate::workspace::safe_join(root, file) else {
                continue;
            };
            let Ok(old) = std::fs::read(&path) else {
                continue;
            };
            match kiln_engine::fmt::format_bytes(&old) {
                Ok(new) => {
                    let old_s = String::from_utf8_lossy(&old);
                    if new != old_s {
                        rep.fmt.push(FmtProblem {
                            path: file.clone(),
                            diff: kiln_engine::fmt::diff::unified_diff(&old_s, &new, file),
                        });
                    }
                }
                Err(e) if !rep.validated => {
                    rep.errors += 1;
                    rep.findings
                        .push(finding(root, &t.dir, &e.to_diagnostic(file)));
                }
                Err(_) => {} // validate already reports syntax errors
            }
        }
    }
    rep
}

/// Functions whose result depends on the machine running the engine.
fn is_server_side_function(name: &str) -> bool {
    name.starts_with("file")
        || name.starts_with("aws_secretsmanager")
        || matches!(
            name,
            "templatefile" | "pathexpand" | "abspath" | "vault" | "consul_key"
        )
}

/// The first call (`name(`) of a server-side function in `text`, with its
/// 1-based line. Lexical: also finds calls inside strings (`"${file(..)}"`).
pub fn server_side_call(text: &str) -> Option<(String, usize)> {
    first_call(text, is_server_side_function)
}

/// The first call of a network-reaching function (secret stores).
pub fn network_call(text: &str) -> Option<(String, usize)> {
    first_call(text, |n| {
        n.starts_with("aws_secretsmanager") || n == "vault" || n == "consul_key"
    })
}

fn first_call(text: &str, wanted: impl Fn(&str) -> bool) -> Option<(String, usize)> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut line = 1;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line += 1;
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            let prev_ident = start > 0
                && (b[start - 1].is_ascii_alphanumeric()
                    || b[start - 1] == b'_'
                    || b[start - 1] == b'.');
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-') {
                i += 1;
            }
            let name = &text[start..i];
            let mut j = i;
            while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                j += 1;
            }
            if !prev_ident && j < b.len() && b[j] == b'(' && wanted(name) {
                return Some((name.to_string(), line));
            }
            continue;
        }
        i += 1;
    }
    None
}

/// Legacy JSON's `{{ vault ... }}`, `{{ consul_key ... }}`,
/// `{{ aws_secretsmanager ... }}`: the function name and its 1-based line.
pub fn legacy_server_side_call(text: &str) -> Option<(String, usize)> {
    const NAMES: [&str; 4] = [
        "vault",
        "consul_key",
        "aws_secretsmanager_raw",
        "aws_secretsmanager",
    ];
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(open) = rest.find("{{") {
            let inner = rest[open + 2..].trim_start_matches(['-', ' ', '\t']);
            if let Some(n) = NAMES.iter().find(|n| {
                inner.starts_with(**n)
                    && !inner[n.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
            }) {
                return Some(((*n).to_string(), i + 1));
            }
            rest = &rest[open + 2..];
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{legacy_server_side_call, server_side_call};

    #[test]
    fn finds_legacy_secret_functions() {
        let t = "{\n  \"variables\": {\n    \"t\": \"{{ vault `secret/x` `k` }}\"\n  }\n}\n";
        assert_eq!(legacy_server_side_call(t), Some(("vault".into(), 3)));
        assert_eq!(legacy_server_side_call("{{user `vaulted`}}"), None);
        assert_eq!(
            legacy_server_side_call("x\n{{consul_key `a`}}"),
            Some(("consul_key".into(), 2))
        );
    }

    #[test]
    fn finds_file_and_secret_functions() {
        assert_eq!(
            server_side_call("locals {\n  k = file(\"/etc/passwd\")\n}\n"),
            Some(("file".to_string(), 2))
        );
        assert_eq!(
            server_side_call("{\"a\": \"${ vault (\\\"p\\\", \\\"k\\\")}\"}"),
            Some(("vault".to_string(), 1))
        );
        assert!(server_side_call("x = profile(1)\ny = upper(\"file\")\nz = var.file\n").is_none());
        assert!(server_side_call("communicator = \"none\"\n").is_none());
    }
}
