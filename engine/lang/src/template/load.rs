//! From a path to a loaded template: a directory means every `*.pkr.hcl`
//! and `*.pkr.json` file in it (not recursive); a file ending in
//! `.pkr.hcl` / `.pkr.json` is an HCL2 template; any other file is a legacy
//! JSON template.

// A located diagnostic is the natural error of reading a file; it is
// created once per file, so its size does not matter.
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Diagnostics, Sources};
use crate::template::hcl2::{self, LoadResult};
use crate::template::json::load_json_template;
use crate::template::LoadOptions;

/// What a path holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateFiles {
    /// HCL2 files, sorted, with the directory they are in and whether
    /// `*.auto.pkrvars.*` files apply (directory loads only).
    Hcl2 {
        /// The `*.pkr.hcl` / `*.pkr.json` files, sorted.
        files: Vec<PathBuf>,
        /// Their directory (`path.root`).
        dir: PathBuf,
        /// Whether `*.auto.pkrvars.hcl` / `.json` files of `dir` apply.
        auto_vars: bool,
    },
    /// A legacy JSON template.
    Json(PathBuf),
}

fn is_hcl2_name(name: &str) -> bool {
    name.ends_with(".pkr.hcl") || name.ends_with(".pkr.json")
}

/// Decide how to read `path` (relative paths resolve against `cwd`).
pub fn discover(path: &Path, cwd: &Path) -> Result<TemplateFiles, Diagnostic> {
    let full = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let shown = path.display();
    let meta = std::fs::metadata(&full).map_err(|e| {
        Diagnostic::error(
            format!("Could not find any config file in {shown}"),
            format!("{e}. A config file must be suffixed with `.pkr.hcl` or `.pkr.json`. A folder can be referenced."),
        )
    })?;
    if meta.is_dir() {
        let entries = std::fs::read_dir(&full).map_err(|e| {
            Diagnostic::error(format!("Cannot read directory {shown}"), e.to_string())
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
            .filter(|e| e.file_name().to_str().is_some_and(is_hcl2_name))
            .map(|e| {
                if path == Path::new(".") {
                    PathBuf::from(e.file_name())
                } else {
                    path.join(e.file_name())
                }
            })
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(Diagnostic::error(
                format!("Could not find any config file in {shown}"),
                "A config file must be suffixed with `.pkr.hcl` or `.pkr.json`. A folder can be referenced.",
            ));
        }
        return Ok(TemplateFiles::Hcl2 {
            files,
            dir: path.to_path_buf(),
            auto_vars: true,
        });
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if is_hcl2_name(name) {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(TemplateFiles::Hcl2 {
            files: vec![path.to_path_buf()],
            dir,
            auto_vars: false,
        })
    } else {
        Ok(TemplateFiles::Json(path.to_path_buf()))
    }
}

/// Load and evaluate the template at `path`.
pub fn load(path: &Path, opts: &LoadOptions) -> LoadResult {
    match discover(path, &opts.cwd) {
        Err(d) => LoadResult {
            diags: Diagnostics(vec![d]),
            ..LoadResult::default()
        },
        Ok(TemplateFiles::Hcl2 {
            files,
            dir,
            auto_vars,
        }) => hcl2::load_files(&files, path, &dir, auto_vars, opts),
        Ok(TemplateFiles::Json(p)) => match load_json_template(&p, opts) {
            Ok(template) => {
                let sources = template.sources.clone();
                let mut ctx = hcl2::ctx::EvalCtx::new(&opts.cwd, &opts.cwd);
                ctx.scope.set_sandbox(opts.sandbox.clone());
                ctx.scope.set_aws_secrets(opts.aws_secrets.clone());
                let vars = template
                    .variables
                    .iter()
                    .map(|v| (v.name.clone(), v.value.clone()))
                    .collect();
                ctx.scope.set("var", crate::template::Value::Map(vars));
                LoadResult {
                    loaded: Some(hcl2::Loaded {
                        template,
                        ctx,
                        unused_sources: Vec::new(),
                        sensitive_locals: Vec::new(),
                    }),
                    diags: Diagnostics::new(),
                    sources,
                }
            }
            Err(diags) => {
                // The JSON loader records sources in its own map; re-read the
                // file so diagnostics can show their lines.
                let mut sources = Sources::new();
                let full = if p.is_absolute() {
                    p.clone()
                } else {
                    opts.cwd.join(&p)
                };
                if let Ok(text) = std::fs::read_to_string(&full) {
                    sources.add(crate::diag::SourceFile::new(p.display().to_string(), text));
                }
                LoadResult {
                    loaded: None,
                    diags,
                    sources,
                }
            }
        },
    }
}
