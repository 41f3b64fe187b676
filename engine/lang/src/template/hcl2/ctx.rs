//! The evaluation context of one template: the root variables visible to
//! expressions (`var`, `local`, `data`, `path`, `packer`, `source`,
//! `build`) and a checked `eval` that reports undeclared variables with
//! Packer's wording before handing the expression to the evaluator.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use hcl_edit::expr::Expression;
use hcl_edit::Span;

use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::template::eval::{eval_expr, references, Scope};
use crate::template::Value;

/// Root variables and the set of declared input variables.
#[derive(Debug, Clone)]
pub struct EvalCtx {
    /// The root variables and the base directory for file functions.
    pub scope: Scope,
    /// Names of the declared input variables (`var.X` of any other name
    /// is reported as undeclared).
    pub declared_vars: BTreeSet<String>,
}

impl EvalCtx {
    /// A context with `path`, `packer` and `build` set, and empty `var`,
    /// `local` and `data`. Like Packer, `path.root` is the template's
    /// directory as given (`.` for a file in the working directory),
    /// `path.cwd` the absolute working directory, and functions resolve
    /// relative paths against the working directory.
    pub fn new(root_dir: &Path, cwd: &Path) -> Self {
        let mut scope = Scope::new(cwd.to_path_buf());
        let root_dir = if root_dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            root_dir
        };
        let mut path = BTreeMap::new();
        path.insert("cwd".to_string(), Value::from(cwd.display().to_string()));
        path.insert(
            "root".to_string(),
            Value::from(root_dir.display().to_string()),
        );
        scope.set("path", Value::Map(path));
        let mut packer = BTreeMap::new();
        packer.insert(
            "version".to_string(),
            Value::from(crate::PACKER_COMPAT_VERSION),
        );
        // Set by HCP Packer during a build.
        packer.insert("versionFingerprint".to_string(), Value::Unknown);
        scope.set("packer", Value::Map(packer));
        // build.* is only known while a build runs.
        scope.set("build", Value::Unknown);
        scope.set("var", Value::Map(BTreeMap::new()));
        scope.set("local", Value::Map(BTreeMap::new()));
        scope.set("data", Value::Map(BTreeMap::new()));
        EvalCtx {
            scope,
            declared_vars: BTreeSet::new(),
        }
    }

    /// A copy with `source.{type,name}` set (or unknown when `None`).
    pub fn with_source(&self, source: Option<(&str, &str)>) -> EvalCtx {
        let mut ctx = self.clone();
        let value = match source {
            Some((t, n)) => {
                let mut m = BTreeMap::new();
                m.insert("type".to_string(), Value::from(t));
                m.insert("name".to_string(), Value::from(n));
                Value::Map(m)
            }
            None => Value::Unknown,
        };
        ctx.scope.set("source", value);
        ctx
    }

    /// Evaluate `expr`; errors are pushed to `diags` and yield `Unknown`.
    pub fn eval(&self, expr: &Expression, file: &SourceFile, diags: &mut Diagnostics) -> Value {
        self.try_eval(expr, file).unwrap_or_else(|errs| {
            diags.extend(errs);
            Value::Unknown
        })
    }

    /// Evaluate `expr`, reporting references to undeclared variables first.
    pub fn try_eval(&self, expr: &Expression, file: &SourceFile) -> Result<Value, Diagnostics> {
        let undeclared = self.undeclared_vars(expr, file);
        if !undeclared.is_empty() {
            return Err(undeclared);
        }
        eval_expr(expr, &self.scope, file)
    }

    /// `var.X` references in `expr` where `X` is not declared.
    pub fn undeclared_vars(&self, expr: &Expression, file: &SourceFile) -> Diagnostics {
        let mut out = Diagnostics::new();
        // `var` may be shadowed by an iteration variable; the evaluator
        // reports those cases itself.
        for r in references(expr) {
            if r.root != "var" {
                continue;
            }
            let Some(name) = r.path.first() else { continue };
            if self.declared_vars.contains(name.as_str()) {
                continue;
            }
            out.push(undeclared_var(name, Some(file.range(r.span.clone()))));
        }
        out
    }
}

/// Packer's diagnostic for `var.NAME` without a `variable "NAME"` block.
pub fn undeclared_var(name: &str, range: Option<crate::diag::Range>) -> Diagnostic {
    Diagnostic::error(
        "Undefined variable",
        format!(
            "A \"var\" named \"{name}\" was referenced but not declared. To declare variable \
             \"{name}\", place this block in one of your .pkr.hcl files, such as \
             variables.pkr.hcl:\n\nvariable \"{name}\" {{\n  type = string\n}}"
        ),
    )
    .with_range_opt(range)
}

/// Insert `value` at `data.TYPE.NAME` (or `local.NAME` with one key).
pub fn set_nested(scope: &mut Scope, root: &str, keys: &[&str], value: Value) {
    // Take the value out of the scope so that it is not cloned.
    let mut current = scope.remove(root).unwrap_or(Value::Map(BTreeMap::new()));
    insert_path(&mut current, keys, value);
    scope.set(root, current);
}

fn insert_path(target: &mut Value, keys: &[&str], value: Value) {
    let Some((first, rest)) = keys.split_first() else {
        *target = value;
        return;
    };
    if !matches!(target, Value::Map(_)) {
        *target = Value::Map(BTreeMap::new());
    }
    if let Value::Map(m) = target {
        let entry = m
            .entry((*first).to_string())
            .or_insert_with(|| Value::Map(BTreeMap::new()));
        insert_path(entry, rest, value);
    }
}

/// The identifier of a bare variable expression (`iterator = tag`).
pub fn expr_ident(expr: &Expression) -> Option<String> {
    match expr {
        Expression::Variable(v) => Some(v.as_str().to_string()),
        _ => None,
    }
}

/// The string elements of a list literal with their spans, for located
/// checks of `sources = [...]`, `only = [...]`.
pub fn list_literal_spans(expr: &Expression) -> Vec<Option<std::ops::Range<usize>>> {
    match expr {
        Expression::Array(a) => a.iter().map(|e| e.span()).collect(),
        _ => Vec::new(),
    }
}
