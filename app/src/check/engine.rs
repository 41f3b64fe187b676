//! Run the engine on one template directory of the scratch copy:
//! `validate` (with the configured var files) and the `fmt -check`
//! equivalent on the changed files, into a [`TemplateReport`] of located
//! findings. Engine panics are caught and turned into a reported failure;
//! the server keeps running.

use std::path::{Path, PathBuf};

use kiln_lang::diag::{Diagnostic, Severity};
use kiln_lang::template::LoadOptions;

use super::calls::{legacy_server_side_call, network_call};
use super::templates::{self, Affected};
use super::workspace;
use crate::repo_config::{Check, RepoConfig};

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
    if cfg.runs(Check::Validate) {
        validate(root, &dir_path, t, &mut rep);
    }
    if cfg.runs(Check::Fmt) {
        fmt_check(root, t, &mut rep);
    }
    rep
}

/// `name` of directory `dir` as a repository path.
fn in_dir(dir: &str, name: String) -> String {
    if dir.is_empty() {
        name
    } else {
        format!("{dir}/{name}")
    }
}

/// Where unlocated findings are pinned: the legacy template, else the
/// directory's first template file (by name), else the directory.
fn first_file(dir_path: &Path, t: &Affected) -> String {
    let first = std::fs::read_dir(dir_path)
        .ok()
        .and_then(|rd| {
            let mut names: Vec<String> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| templates::is_template_file(n))
                .collect();
            names.sort();
            names.into_iter().next()
        })
        .map(|n| in_dir(&t.dir, n))
        .unwrap_or_else(|| t.dir.clone());
    t.legacy.clone().unwrap_or(first)
}

/// The files validate reads, `(repository path, scratch path)`, sorted:
/// the legacy template or the directory's Packer files, and the var files.
fn validate_inputs(root: &Path, dir_path: &Path, t: &Affected) -> Vec<(String, PathBuf)> {
    let mut inputs: Vec<(String, PathBuf)> = Vec::new();
    if let Some(file) = &t.legacy {
        inputs.push((file.clone(), root.join(file)));
    } else if let Ok(rd) = std::fs::read_dir(dir_path) {
        for e in rd.filter_map(|e| e.ok()) {
            let n = e.file_name().to_string_lossy().into_owned();
            if templates::is_packer_file(&n) {
                inputs.push((in_dir(&t.dir, n), e.path()));
            }
        }
    }
    for f in &t.var_files {
        inputs.push((f.clone(), root.join(f)));
    }
    inputs.sort();
    inputs
}

/// The first call the server does not make, `(repository path, function,
/// line)`: secret lookups in HCL2, any server-side call in legacy JSON.
fn unsafe_call(inputs: &[(String, PathBuf)], legacy: bool) -> Option<(String, String, usize)> {
    for (repo_path, p) in inputs {
        let text = std::fs::read(p).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        let found = if legacy {
            legacy_server_side_call(&text)
        } else {
            network_call(&text)
        };
        if let Some((name, line)) = found {
            return Some((repo_path.clone(), name, line));
        }
    }
    None
}

/// A warning of kiln's own at a line.
fn own_warning(path: String, line: usize, title: &str, message: String) -> Finding {
    Finding {
        path,
        start_line: line,
        end_line: line,
        start_column: None,
        end_column: None,
        level: Level::Warning,
        title: title.into(),
        message,
    }
}

/// `validate` with the var files, sandboxed to the scratch copy.
fn validate(root: &Path, dir_path: &Path, t: &Affected, rep: &mut TemplateReport) {
    let first_file = first_file(dir_path, t);
    rep.validated = true;
    // The engine evaluates with the server's filesystem and network:
    // templates that call file-reading or secret-fetching functions are
    // only syntax-checked, so no PR can read the App's key or reach
    // internal services through a diagnostic.
    let inputs = validate_inputs(root, dir_path, t);
    let mut unsafe_call = unsafe_call(&inputs, t.legacy.is_some());
    let mut opts = LoadOptions {
        // No process environment: PR content never sees the server's secrets.
        env: Vec::new(),
        cwd: dir_path.to_path_buf(),
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
            rep.findings.push(own_warning(
                path,
                line,
                "Secret lookup not made",
                format!(
                    "kiln-app does not call `{name}()` from its server: the value is unknown during this validation."
                ),
            ));
        }
    }
    if let Some((path, name, line)) = unsafe_call {
        opts.syntax_only = true;
        own_warnings += 1;
        rep.findings.push(own_warning(
            path,
            line,
            "Syntax checked only",
            format!(
                "This template calls `{name}()`, which reads files, the environment or secrets where it runs; \
                 kiln-app does not evaluate it on its server. Run `kiln validate` in CI for a full check."
            ),
        ));
    }
    let target = match &t.legacy {
        Some(file) => root.join(file),
        None => dir_path.to_path_buf(),
    };
    let res = kiln_lang::validate::validate_full(&target, &opts);
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

/// The `fmt -check` equivalent on the changed HCL files, with diffs.
fn fmt_check(root: &Path, t: &Affected, rep: &mut TemplateReport) {
    rep.fmt_checked = true;
    for file in &t.changed {
        if !kiln_lang::fmt::is_hcl_file_name(file) {
            continue;
        }
        let Ok(path) = workspace::safe_join(root, file) else {
            continue;
        };
        let Ok(old) = std::fs::read(&path) else {
            continue;
        };
        match kiln_lang::fmt::format_bytes(&old) {
            Ok(new) => {
                let old_s = String::from_utf8_lossy(&old);
                if new != old_s {
                    rep.fmt.push(FmtProblem {
                        path: file.clone(),
                        diff: kiln_lang::fmt::diff::unified_diff(&old_s, &new, file),
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
