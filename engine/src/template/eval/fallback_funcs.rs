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

pub fn lookup(_name: &str) -> Option<&'static Function> {
    None
}

pub fn call(name: &str, _ctx: &FuncCtx, _args: &[Value]) -> Result<Value, FuncError> {
    Err(FuncError::UnknownFunction {
        name: name.to_string(),
        suggestion: None,
    })
}
