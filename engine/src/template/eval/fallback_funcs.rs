//! A private stand-in for the function library's API
//! (`crate::template::functions`) so the evaluator compiles before that
//! module is merged. It has exactly the library's signatures; it knows no
//! functions, so every call reports an unknown function.

#![allow(dead_code)]

use std::path::Path;

use crate::template::Value;

pub struct FuncCtx<'a> {
    pub base_dir: &'a Path,
    pub render_template: &'a dyn Fn(&str, &Value) -> Result<Value, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FuncError {
    #[error("There is no function named \"{name}\".")]
    UnknownFunction {
        name: String,
        suggestion: Option<String>,
    },
    #[error("Function \"{name}\" expects {expected} argument(s), got {got}.")]
    Arity {
        name: String,
        expected: String,
        got: usize,
    },
    #[error("{message}")]
    Argument { index: usize, message: String },
    #[error("{0}")]
    Failed(String),
}

pub struct Function {
    pub name: &'static str,
    pub min_args: usize,
    pub max_args: Option<usize>,
    pub lazy: bool,
}

#[cfg(not(test))]
pub fn lookup(_name: &str) -> Option<&'static Function> {
    None
}

#[cfg(not(test))]
pub fn call(name: &str, _ctx: &FuncCtx, _args: &[Value]) -> Result<Value, FuncError> {
    Err(FuncError::UnknownFunction {
        name: name.to_string(),
        suggestion: None,
    })
}

#[cfg(test)]
pub use test_funcs::{call, lookup};

/// A few functions with the library's behaviour, so that the evaluator's
/// call handling can be tested before the library is merged.
#[cfg(test)]
mod test_funcs {
    use super::{FuncCtx, FuncError, Function};
    use crate::template::Value;

    const fn f(name: &'static str, min_args: usize, max_args: Option<usize>) -> Function {
        Function {
            name,
            min_args,
            max_args,
            lazy: false,
        }
    }

    static FUNCS: [Function; 6] = [
        f("upper", 1, Some(1)),
        f("join", 2, None),
        f("max", 1, None),
        f("length", 1, Some(1)),
        f("convert", 2, Some(2)),
        f("templatefile", 2, Some(2)),
    ];

    pub fn lookup(name: &str) -> Option<&'static Function> {
        FUNCS.iter().find(|f| f.name == name)
    }

    fn string_arg(args: &[Value], index: usize) -> Result<String, FuncError> {
        args[index]
            .to_display_string()
            .ok_or_else(|| FuncError::Argument {
                index,
                message: "string required".into(),
            })
    }

    pub fn call(name: &str, ctx: &FuncCtx, args: &[Value]) -> Result<Value, FuncError> {
        let Some(func) = lookup(name) else {
            return Err(FuncError::UnknownFunction {
                name: name.to_string(),
                suggestion: FUNCS
                    .iter()
                    .find(|f| f.name.starts_with(&name[..1]))
                    .map(|f| f.name.to_string()),
            });
        };
        if args.len() < func.min_args || func.max_args.is_some_and(|m| args.len() > m) {
            return Err(FuncError::Arity {
                name: name.to_string(),
                expected: func.min_args.to_string(),
                got: args.len(),
            });
        }
        match name {
            "upper" => Ok(Value::String(string_arg(args, 0)?.to_uppercase())),
            "join" => {
                let sep = string_arg(args, 0)?;
                let mut parts = Vec::new();
                for (i, a) in args.iter().enumerate().skip(1) {
                    let items = a.as_list().ok_or_else(|| FuncError::Argument {
                        index: i,
                        message: "list of string required".into(),
                    })?;
                    for item in items {
                        parts.push(item.to_display_string().unwrap_or_default());
                    }
                }
                Ok(Value::String(parts.join(&sep)))
            }
            "max" => {
                let mut best = f64::NEG_INFINITY;
                for (i, a) in args.iter().enumerate() {
                    let n = crate::template::types::to_number(a)
                        .map_err(|message| FuncError::Argument { index: i, message })?;
                    best = best.max(n);
                }
                Ok(Value::Number(best))
            }
            "length" => match &args[0] {
                Value::List(l) => Ok(Value::Number(l.len() as f64)),
                Value::Map(m) => Ok(Value::Number(m.len() as f64)),
                Value::String(s) => Ok(Value::Number(s.chars().count() as f64)),
                _ => Err(FuncError::Failed(
                    "argument must be a string, a collection type, or a structural type".into(),
                )),
            },
            "convert" => {
                let ty =
                    crate::template::types::parse_type_str(&string_arg(args, 1)?).map_err(|e| {
                        FuncError::Argument {
                            index: 1,
                            message: e.message,
                        }
                    })?;
                crate::template::types::convert(&args[0], &ty).map_err(|e| FuncError::Argument {
                    index: 0,
                    message: e.to_string(),
                })
            }
            _ => {
                let path = ctx.base_dir.join(string_arg(args, 0)?);
                let text =
                    std::fs::read_to_string(&path).map_err(|e| FuncError::Failed(e.to_string()))?;
                (ctx.render_template)(&text, &args[1]).map_err(FuncError::Failed)
            }
        }
    }
}
