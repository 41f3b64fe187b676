//! Helpers for the HCL2 front-end tests: write files into a temporary
//! directory and load / validate them.

#![allow(dead_code)]

use std::path::Path;

use kiln_lang::diag::{Diagnostic, Diagnostics};
use kiln_lang::template::hcl2::LoadResult;
use kiln_lang::template::LoadOptions;

pub struct Dir {
    pub dir: tempfile::TempDir,
}

impl Dir {
    pub fn new(files: &[(&str, &str)]) -> Dir {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, text) in files {
            let p = dir.path().join(name);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(p, text).expect("write");
        }
        Dir { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn opts(&self) -> LoadOptions {
        LoadOptions {
            cwd: self.path().to_path_buf(),
            ..LoadOptions::default()
        }
    }

    /// Validate `target` (relative to the directory) with `opts`.
    pub fn validate_with(&self, target: &str, opts: &LoadOptions) -> LoadResult {
        kiln_lang::validate::validate_full(Path::new(target), opts)
    }

    pub fn validate(&self, target: &str) -> LoadResult {
        self.validate_with(target, &self.opts())
    }
}

pub fn errors(d: &Diagnostics) -> Vec<&Diagnostic> {
    d.iter().filter(|d| d.is_error()).collect()
}

/// The single error whose summary starts with `summary`.
pub fn find<'a>(d: &'a Diagnostics, summary: &str) -> &'a Diagnostic {
    d.iter()
        .find(|x| x.summary.starts_with(summary))
        .unwrap_or_else(|| panic!("no diagnostic {summary:?} in {d:#?}"))
}

pub fn var(res: &LoadResult, name: &str) -> kiln_lang::template::Value {
    res.loaded
        .as_ref()
        .and_then(|l| l.template.variables.iter().find(|v| v.name == name))
        .map(|v| v.value.clone())
        .unwrap_or_else(|| panic!("no variable {name}"))
}
