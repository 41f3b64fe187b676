//! Function calls: argument evaluation (with `...` expansion), the lazy
//! `try` and `can`, the type argument of `convert`, and error mapping.

use std::ops::Range;

use hcl_edit::expr::{Expression, FuncCall};
use hcl_edit::Span;

use super::error::{EvalError, EvalResult};
use super::expr::Evaluator;
use crate::aws_secrets::AwsSecrets;
use crate::template::functions::{self, FuncCtx, FuncError};
use crate::template::types::Type;
use crate::template::Value;

fn call_error(name: &str, msg: &str, span: Option<Range<usize>>) -> EvalError {
    let msg = msg.trim_end_matches('.');
    EvalError::new(
        "Error in function call",
        format!("Call to function \"{name}\" failed: {msg}."),
        span,
    )
}

/// The start of a call, `name(`, where HCL points "Error in function call".
fn start_span(call: &FuncCall) -> Option<Range<usize>> {
    let name = call.name.name.span()?;
    let start = match call.name.namespace.first().and_then(|n| n.span()) {
        Some(ns) => ns.start,
        None => name.start,
    };
    let open = call.args.span().map_or(name.end, |a| a.start);
    Some(start..open + 1)
}

fn not_enough(name: &str, expected: &str, call: &FuncCall) -> EvalError {
    // HCL points at the closing parenthesis.
    let span = call.span().map(|s| s.end.saturating_sub(1)..s.end);
    EvalError::new(
        "Not enough function arguments",
        format!("Function \"{name}\" expects {expected} argument(s)."),
        span,
    )
}

fn too_many(name: &str, max: usize, span: Option<Range<usize>>) -> EvalError {
    EvalError::new(
        "Too many function arguments",
        format!("Function \"{name}\" expects only {max} argument(s)."),
        span,
    )
}

/// Render the contents of a template file with `vars` as its only
/// variables (the `templatefile` callback).
fn render_template_file(parent: &super::Scope, text: &str, vars: &Value) -> Result<Value, String> {
    let mut scope = super::Scope::new(parent.base_dir().to_path_buf());
    scope.set_sandbox(parent.sandbox().map(std::path::Path::to_path_buf));
    scope.set_aws_secrets(parent.aws_secrets().cloned());
    match vars {
        Value::Map(m) => {
            for (k, v) in m {
                scope.set(k, v.clone());
            }
        }
        Value::Null => {}
        other => {
            return Err(format!(
                "vars argument must be an object or map, not {}",
                other.type_name()
            ))
        }
    }
    super::eval_template_str(text, &scope)
}

/// `convert`'s type argument, as the type's text (`list(string)`).
fn type_argument(arg: &Expression) -> EvalResult<Value> {
    let ty = Type::from_expr(arg).map_err(|e| {
        EvalError::new(
            "Invalid type specification",
            e.message,
            e.span.or_else(|| arg.span()),
        )
    })?;
    if ty.has_defaults() {
        return Err(EvalError::new(
            "Invalid type specification",
            "Optional attribute modifier expects only one argument: the attribute type.",
            arg.span(),
        ));
    }
    Ok(Value::String(ty.to_string()))
}

/// A library error as a diagnostic located in the call.
fn map_func_error(
    err: FuncError,
    ident: &str,
    call: &FuncCall,
    args: &[&Expression],
    func: Option<&functions::Function>,
) -> EvalError {
    let name_span = call.name.name.span();
    match err {
        FuncError::UnknownFunction { name, suggestion } => {
            let detail = match suggestion {
                Some(s) => {
                    format!("There is no function named \"{name}\". Did you mean \"{s}\"?")
                }
                None => format!("There is no function named \"{name}\"."),
            };
            EvalError::new("Call to unknown function", detail, name_span)
        }
        FuncError::Arity {
            name,
            expected,
            got,
        } => {
            let min = func.map_or(0, |f| f.min_args);
            if got < min || got == 0 {
                not_enough(&name, &expected, call)
            } else {
                let span = args.last().and_then(|a| a.span());
                EvalError::new(
                    "Too many function arguments",
                    format!("Function \"{name}\" expects {expected} argument(s)."),
                    span,
                )
            }
        }
        FuncError::Argument { index, message } => {
            // Expanded arguments all point at the expanding argument.
            let arg = args.get(index).or(args.last()).copied();
            EvalError::new(
                "Invalid function argument",
                format!(
                    "Invalid value for argument {}: {}",
                    index + 1,
                    message.trim_end_matches('.')
                ) + ".",
                arg.and_then(|a| a.span()).or_else(|| call.span()),
            )
        }
        FuncError::Failed(msg) => call_error(ident, &msg, start_span(call)),
    }
}

impl Evaluator<'_> {
    pub(crate) fn eval_call(&mut self, call: &FuncCall) -> EvalResult<Value> {
        let ident = call.name.name.value().as_str();
        let name_span = call.name.name.span();
        if call.name.is_namespaced() {
            let mut full: Vec<&str> = call
                .name
                .namespace
                .iter()
                .map(|n| n.value().as_str())
                .collect();
            full.push(ident);
            let full = full.join("::");
            return Err(EvalError::new(
                "Call to unknown function",
                format!("There is no function named \"{full}\"."),
                name_span,
            ));
        }
        let args: Vec<&Expression> = call.args.iter().collect();
        match ident {
            "try" => return self.eval_try(call, &args),
            "can" => return self.eval_can(call, &args),
            "templatefile" if self.in_templatefile => {
                return Err(call_error(
                    ident,
                    "cannot recursively call templatefile from inside another template",
                    start_span(call),
                ))
            }
            _ => {}
        }

        let func = functions::lookup(ident);
        if func.is_none() {
            // An unknown function is reported before its arguments are evaluated.
            if let Err(e @ FuncError::UnknownFunction { .. }) = self.call_library(ident, &[]) {
                return Err(map_func_error(e, ident, call, &args, None));
            }
        }
        // As HCL: the expanding argument first, then the argument count,
        // then the other arguments.
        let (fixed, expanded) = match (call.args.expand_final(), args.split_last()) {
            (true, Some((last, fixed))) => match self.eval(last)? {
                Value::List(items) => (fixed, items),
                Value::Unknown => return Ok(Value::Unknown),
                Value::Null => {
                    return Err(EvalError::new(
                        "Invalid expanding argument value",
                        "The expanding argument (indicated by ...) must not be null.",
                        last.span(),
                    ))
                }
                _ => {
                    return Err(EvalError::new(
                        "Invalid expanding argument value",
                        "The expanding argument (indicated by ...) must be of a tuple, list, or set type.",
                        last.span(),
                    ))
                }
            },
            _ => (&args[..], Vec::new()),
        };
        if let Some(f) = func {
            let count = fixed.len() + expanded.len();
            if count < f.min_args {
                let expected = match f.max_args {
                    Some(max) if max == f.min_args => max.to_string(),
                    _ => format!("at least {}", f.min_args),
                };
                return Err(not_enough(ident, &expected, call));
            }
            if let Some(max) = f.max_args.filter(|m| count > *m) {
                let span = args.get(max).or(args.last()).and_then(|a| a.span());
                return Err(too_many(ident, max, span));
            }
        }
        let mut values = Vec::with_capacity(fixed.len() + expanded.len());
        let mut errors = Vec::new();
        for (i, arg) in fixed.iter().enumerate() {
            let v = if ident == "convert" && i == 1 {
                type_argument(arg)
            } else {
                self.eval(arg)
            };
            match v {
                Ok(v) => values.push(v),
                Err(e) if e.fatal => return Err(e),
                Err(e) => errors.push(e),
            }
        }
        if let Some(e) = EvalError::join(errors) {
            return Err(e);
        }
        values.extend(expanded);
        // Unknown arguments: the library returns unknown, except from the
        // functions that handle them themselves.
        self.call_library(ident, &values)
            .map_err(|e| map_func_error(e, ident, call, &args, func))
    }

    /// Call the function library with a context for this scope.
    fn call_library(&self, name: &str, values: &[Value]) -> Result<Value, FuncError> {
        let scope = self.scope;
        let render = move |text: &str, vars: &Value| render_template_file(scope, text, vars);
        let ctx = FuncCtx {
            base_dir: self.scope.base_dir(),
            render_template: &render,
            sandbox: self.scope.sandbox(),
            aws_secrets: self
                .scope
                .aws_secrets()
                .map(|a| a.as_ref() as &dyn AwsSecrets),
        };
        functions::call(name, &ctx, values)
    }

    /// `try(a, b, …)`: the first argument that evaluates without error (an
    /// unknown result counts as success).
    fn eval_try(&mut self, call: &FuncCall, args: &[&Expression]) -> EvalResult<Value> {
        if args.is_empty() {
            return Err(not_enough("try", "at least 1", call));
        }
        let mut errors = Vec::new();
        for arg in args {
            match self.eval(arg) {
                Ok(v) => return Ok(v),
                Err(e) if e.fatal => return Err(e),
                Err(e) => errors.push(e),
            }
        }
        let mut detail =
            String::from("Call to function \"try\" failed: no expression succeeded:\n");
        for e in errors {
            let at = match &e.span {
                Some(s) => {
                    let r = self.file.range(s.clone());
                    format!(
                        " (at {}:{},{}-{})",
                        r.filename, r.start.line, r.start.column, r.end.column
                    )
                }
                None => String::new(),
            };
            detail.push_str(&format!("- {}{at}\n  {}\n", e.summary, e.detail));
        }
        detail.push_str("\nAt least one expression must produce a successful result.");
        Err(EvalError::new(
            "Error in function call",
            detail,
            start_span(call),
        ))
    }

    /// `can(expr)`: whether `expr` evaluates without error.
    fn eval_can(&mut self, call: &FuncCall, args: &[&Expression]) -> EvalResult<Value> {
        match args {
            [] => Err(not_enough("can", "1", call)),
            [arg] => match self.eval(arg) {
                Err(e) if e.fatal => Err(e),
                r => Ok(Value::Bool(r.is_ok())),
            },
            [_, extra, ..] => Err(too_many("can", 1, extra.span())),
        }
    }
}
