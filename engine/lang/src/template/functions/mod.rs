//! Packer's HCL2 function library (Packer 1.16's function table plus the
//! type-conversion helpers HCL provides).
//!
//! The evaluator calls [`call`] with evaluated arguments. Conventions:
//!
//! * Any argument that is (or contains) [`Value::Unknown`] makes the result
//!   `Unknown`, except that structural functions (`concat`, `merge`,
//!   `element`, `keys`, `values`, `slice`, `reverse`, `chunklist`,
//!   `coalescelist`, `zipmap`, `tolist`, `tomap`, `convert`) carry unknown
//!   elements through, and `length`, `coalesce`, `sensitive` and
//!   `nonsensitive` look at unknowns themselves (as cty does).
//! * Errors carry the 0-based index of the offending argument
//!   ([`FuncError::Argument`]) so the caller can point at it.
//! * `try` and `can` are registered with `lazy: true` so that validation
//!   knows them; the evaluator implements them itself.
//! * Type arguments (`convert(value, type)`) arrive as a `Value::String`
//!   holding the type expression: `"string"`, `"number"`, `"bool"`,
//!   `"any"`, `"list(string)"`, `"set(number)"`, `"map(any)"`,
//!   `"tuple([string, number])"`, `"object({a = string})"`.
//! * `env` is registered with `variable_default_only: true`: Packer allows
//!   it only in input variable defaults (and nothing else there).
//! * `timestamp()` reads the clock at each call (as Packer does);
//!   `legacy_isotime` and `legacy_strftime` use one instant per process
//!   (Packer's `InitTime`).

use std::path::Path;

use crate::template::Value;

mod aws;
mod collection;
mod crypto;
pub(crate) mod datetime;
mod encoding;
mod filesystem;
mod format;
mod helpers;
mod network;
mod numeric;
mod params;
mod regex_compat;
mod secrets;
mod string;
mod textenc;
mod typeconv;
mod uuid;
mod yaml;
mod yamldecode;

/// What a function may need from the surrounding evaluation.
pub struct FuncCtx<'a> {
    /// Directory relative paths are resolved against (Packer: the current working directory).
    pub base_dir: &'a Path,
    /// Renders an HCL template string with the given variables (object), for `templatefile`; provided by the evaluator.
    ///
    /// `templatefile` has already read the file and checked that the
    /// variables are an object with identifier keys. As in Packer, the
    /// template sees only those variables and all functions except
    /// `templatefile` itself ("cannot recursively call templatefile from
    /// inside templatefile call"); the evaluator enforces that.
    pub render_template: &'a dyn Fn(&str, &Value) -> Result<Value, String>,
    /// `LoadOptions::sandbox`: file reads confined below this directory;
    /// network-reaching functions return unknown.
    pub sandbox: Option<&'a Path>,
    /// `LoadOptions::aws_secrets`: the client `aws_secretsmanager*` fetch
    /// secrets with; without one they fail.
    pub aws_secrets: Option<&'a dyn crate::aws_secrets::AwsSecrets>,
}

/// Functions that reach the network; unknown inside a sandbox.
const NETWORK_FUNCTIONS: [&str; 4] = [
    "vault",
    "consul_key",
    "aws_secretsmanager",
    "aws_secretsmanager_raw",
];

/// Why a function call failed. The evaluator attaches source locations:
/// [`FuncError::Argument`] points at one argument, the others at the call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FuncError {
    #[error("Call to unknown function: there is no function named \"{name}\".{}", suggestion.as_ref().map(|s| format!(" Did you mean \"{s}\"?")).unwrap_or_default())]
    /// No function of that name.
    UnknownFunction {
        /// The name called.
        name: String,
        /// A close function name to suggest, if any.
        suggestion: Option<String>,
    },
    #[error("Not enough or too many function arguments: function \"{name}\" expects {expected} argument(s), but {got} were given.")]
    /// Too few or too many arguments.
    Arity {
        /// The function.
        name: String,
        /// The accepted count as shown (`2`, `1 to 3`, `at least 1`).
        expected: String,
        /// How many were given.
        got: usize,
    },
    #[error("Invalid value for argument {}: {message}", index + 1)]
    /// One argument is invalid.
    Argument {
        /// 0-based index of the argument (messages show it 1-based).
        index: usize,
        /// Why it is invalid.
        message: String,
    },
    /// The call failed for another reason (the message is shown as is).
    #[error("{0}")]
    Failed(String),
}

/// How [`call`] treats unknown arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unknowns {
    /// Any argument that is or contains an unknown makes the result unknown.
    Deep,
    /// Only an argument that is itself unknown makes the result unknown;
    /// collections may carry unknown elements through (`concat`, `merge`…).
    Shallow,
    /// The function looks at unknowns itself.
    Custom,
}

/// The implementation of a function.
pub type FuncImpl = fn(&FuncCtx, &[Value]) -> Result<Value, FuncError>;

/// One entry of the function table.
pub struct Function {
    /// The name templates call it by.
    pub name: &'static str,
    /// Fewest arguments accepted.
    pub min_args: usize,
    /// `None` = variadic.
    pub max_args: Option<usize>,
    /// Arguments must be evaluated lazily (`try`, `can`): the evaluator
    /// implements these itself.
    pub lazy: bool,
    /// Packer allows this function only in input variable default values
    /// (`env`), where it is also the only function allowed.
    pub variable_default_only: bool,
    /// How unknown arguments are handled before the implementation runs.
    pub(crate) unknowns: Unknowns,
    pub(crate) imp: FuncImpl,
}

impl Function {
    /// The name of parameter `index` as go-cty / Packer call it (for
    /// variadic functions, the last name covers the remaining arguments),
    /// so argument errors can read `Invalid value for "newbits" parameter`.
    pub fn param_name(&self, index: usize) -> Option<&'static str> {
        let params = params::params(self.name);
        match self.max_args {
            None => params.get(index).or(params.last()).copied(),
            Some(_) => params.get(index).copied(),
        }
    }
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Function")
            .field("name", &self.name)
            .field("min_args", &self.min_args)
            .field("max_args", &self.max_args)
            .field("lazy", &self.lazy)
            .field("variable_default_only", &self.variable_default_only)
            .finish()
    }
}

const fn f(name: &'static str, min: usize, max: Option<usize>, imp: FuncImpl) -> Function {
    Function {
        name,
        min_args: min,
        max_args: max,
        lazy: false,
        variable_default_only: false,
        unknowns: Unknowns::Deep,
        imp,
    }
}

/// Like [`f`] for structural functions that pass unknown elements through.
const fn sh(name: &'static str, min: usize, max: Option<usize>, imp: FuncImpl) -> Function {
    Function {
        unknowns: Unknowns::Shallow,
        ..f(name, min, max, imp)
    }
}

/// Like [`f`] but the function inspects unknown arguments itself.
const fn u(name: &'static str, min: usize, max: Option<usize>, imp: FuncImpl) -> Function {
    Function {
        name,
        min_args: min,
        max_args: max,
        lazy: false,
        variable_default_only: false,
        unknowns: Unknowns::Custom,
        imp,
    }
}

fn lazy_impl(_: &FuncCtx, _: &[Value]) -> Result<Value, FuncError> {
    Err(FuncError::Failed(
        "try and can evaluate their arguments lazily and are implemented by the evaluator".into(),
    ))
}

const fn lazy(name: &'static str, min: usize, max: Option<usize>) -> Function {
    Function {
        name,
        min_args: min,
        max_args: max,
        lazy: true,
        variable_default_only: false,
        unknowns: Unknowns::Custom,
        imp: lazy_impl,
    }
}

const N: Option<usize> = None;
const fn m(n: usize) -> Option<usize> {
    Some(n)
}

/// The function table, sorted by name.
static FUNCTIONS: &[Function] = &[
    f("abs", 1, m(1), numeric::abs),
    f("abspath", 1, m(1), filesystem::abspath),
    f("alltrue", 1, m(1), collection::alltrue),
    f("anytrue", 1, m(1), collection::anytrue),
    f("aws_secretsmanager", 2, m(2), aws::aws_secretsmanager),
    f(
        "aws_secretsmanager_raw",
        1,
        m(1),
        aws::aws_secretsmanager_raw,
    ),
    f("base64decode", 1, m(1), encoding::base64decode),
    f("base64encode", 1, m(1), encoding::base64encode),
    f("base64gzip", 1, m(1), encoding::base64gzip),
    f("basename", 1, m(1), filesystem::basename),
    f("bcrypt", 1, m(2), crypto::bcrypt),
    lazy("can", 1, m(1)),
    f("ceil", 1, m(1), numeric::ceil),
    f("chomp", 1, m(1), string::chomp),
    sh("chunklist", 2, m(2), collection::chunklist),
    f("cidrhost", 2, m(2), network::cidrhost),
    f("cidrnetmask", 1, m(1), network::cidrnetmask),
    f("cidrsubnet", 3, m(3), network::cidrsubnet),
    f("cidrsubnets", 1, N, network::cidrsubnets),
    u("coalesce", 1, N, collection::coalesce),
    sh("coalescelist", 1, N, collection::coalescelist),
    f("compact", 1, m(1), collection::compact),
    sh("concat", 0, N, collection::concat),
    f("consul_key", 1, m(1), secrets::consul_key),
    f("contains", 2, m(2), collection::contains),
    sh("convert", 2, m(2), typeconv::convert),
    f("csvdecode", 1, m(1), encoding::csvdecode),
    f("dirname", 1, m(1), filesystem::dirname),
    f("distinct", 1, m(1), collection::distinct),
    sh("element", 2, m(2), collection::element),
    f("endswith", 2, m(2), string::endswith),
    Function {
        variable_default_only: true,
        ..f("env", 1, m(1), secrets::env_fn)
    },
    f("file", 1, m(1), filesystem::file),
    f("filebase64", 1, m(1), filesystem::filebase64),
    f("fileexists", 1, m(1), filesystem::fileexists),
    f("fileset", 2, m(2), filesystem::fileset),
    f("flatten", 1, m(1), collection::flatten),
    f("floor", 1, m(1), numeric::floor),
    f("format", 1, N, format::format),
    f("formatdate", 2, m(2), datetime::formatdate),
    f("formatlist", 1, N, format::formatlist),
    f("indent", 2, m(2), string::indent),
    f("index", 2, m(2), collection::index),
    f("join", 2, N, string::join),
    f("jsondecode", 1, m(1), encoding::jsondecode),
    f("jsonencode", 1, m(1), encoding::jsonencode),
    sh("keys", 1, m(1), collection::keys),
    f("legacy_isotime", 0, m(1), datetime::legacy_isotime),
    f("legacy_strftime", 0, m(1), datetime::legacy_strftime),
    u("length", 1, m(1), collection::length),
    f("log", 2, m(2), numeric::log),
    f("lookup", 2, m(3), collection::lookup),
    f("lower", 1, m(1), string::lower),
    f("max", 1, N, numeric::max),
    f("md5", 1, m(1), crypto::md5),
    sh("merge", 0, N, collection::merge),
    f("min", 1, N, numeric::min),
    u("nonsensitive", 1, m(1), typeconv::identity),
    f("parseint", 2, m(2), numeric::parseint),
    f("pathexpand", 1, m(1), filesystem::pathexpand),
    f("pow", 2, m(2), numeric::pow),
    f("range", 1, m(3), numeric::range),
    f("regex", 2, m(2), string::regex),
    f("regex_replace", 3, m(3), string::regex_replace),
    f("regexall", 2, m(2), string::regexall),
    f("replace", 3, m(3), string::replace),
    sh("reverse", 1, m(1), collection::reverse),
    f("rfc3339_parse", 1, m(1), datetime::rfc3339_parse),
    f("rsadecrypt", 2, m(2), crypto::rsadecrypt),
    u("sensitive", 1, m(1), typeconv::identity),
    f("setintersection", 1, N, collection::setintersection),
    f("setproduct", 2, N, collection::setproduct),
    f("setsubtract", 2, m(2), collection::setsubtract),
    f("setunion", 1, N, collection::setunion),
    f("sha1", 1, m(1), crypto::sha1),
    f("sha256", 1, m(1), crypto::sha256),
    f("sha512", 1, m(1), crypto::sha512),
    f("signum", 1, m(1), numeric::signum),
    sh("slice", 3, m(3), collection::slice),
    f("sort", 1, m(1), collection::sort),
    f("split", 2, m(2), string::split),
    f("startswith", 2, m(2), string::startswith),
    f("strcontains", 2, m(2), string::strcontains),
    f("strrev", 1, m(1), string::strrev),
    f("substr", 3, m(3), string::substr),
    f("sum", 1, m(1), numeric::sum),
    f("templatefile", 2, m(2), filesystem::templatefile),
    f("textdecodebase64", 2, m(2), textenc::textdecodebase64),
    f("textencodebase64", 2, m(2), textenc::textencodebase64),
    f("timeadd", 2, m(2), datetime::timeadd),
    f("timestamp", 0, m(0), datetime::timestamp),
    f("title", 1, m(1), string::title),
    f("tobool", 1, m(1), typeconv::tobool),
    sh("tolist", 1, m(1), typeconv::tolist),
    sh("tomap", 1, m(1), typeconv::tomap),
    f("tonumber", 1, m(1), typeconv::tonumber),
    f("toset", 1, m(1), typeconv::toset),
    f("tostring", 1, m(1), typeconv::tostring),
    f("transpose", 1, m(1), collection::transpose),
    f("trim", 2, m(2), string::trim),
    f("trimprefix", 2, m(2), string::trimprefix),
    f("trimspace", 1, m(1), string::trimspace),
    f("trimsuffix", 2, m(2), string::trimsuffix),
    lazy("try", 1, N),
    f(
        "unix_timestamp_parse",
        1,
        m(1),
        datetime::unix_timestamp_parse,
    ),
    f("upper", 1, m(1), string::upper),
    f("urlencode", 1, m(1), encoding::urlencode),
    f("uuidv4", 0, m(0), uuid::uuidv4),
    f("uuidv5", 2, m(2), uuid::uuidv5),
    sh("values", 1, m(1), collection::values),
    f("vault", 2, m(2), secrets::vault),
    f("yamldecode", 1, m(1), yaml::yamldecode),
    f("yamlencode", 1, m(1), yaml::yamlencode),
    sh("zipmap", 2, m(2), collection::zipmap),
];

/// The function named `name`, if any.
pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS
        .binary_search_by(|f| f.name.cmp(name))
        .ok()
        .map(|i| &FUNCTIONS[i])
}

/// All function names, sorted.
pub fn names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|f| f.name)
}

/// The closest function name to `name`, when one is close enough.
pub fn suggest(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    names()
        .map(|n| (helpers::edit_distance(&lower, n), n))
        .filter(|(d, _)| *d < 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

fn expected(f: &Function) -> String {
    match f.max_args {
        Some(max) if max == f.min_args => max.to_string(),
        Some(max) => format!("{} to {}", f.min_args, max),
        None => format!("at least {}", f.min_args),
    }
}

/// Call the function `name` with evaluated arguments.
pub fn call(name: &str, ctx: &FuncCtx, args: &[Value]) -> Result<Value, FuncError> {
    let func = lookup(name).ok_or_else(|| FuncError::UnknownFunction {
        name: name.to_string(),
        suggestion: suggest(name).map(str::to_string),
    })?;
    if args.len() < func.min_args || func.max_args.is_some_and(|max| args.len() > max) {
        return Err(FuncError::Arity {
            name: name.to_string(),
            expected: expected(func),
            got: args.len(),
        });
    }
    let unknown = match func.unknowns {
        Unknowns::Deep => args.iter().any(Value::is_unknown),
        Unknowns::Shallow => args.iter().any(|a| matches!(a, Value::Unknown)),
        Unknowns::Custom => false,
    };
    if unknown || (ctx.sandbox.is_some() && NETWORK_FUNCTIONS.contains(&name)) {
        return Ok(Value::Unknown);
    }
    (func.imp)(ctx, args)
}

#[cfg(test)]
pub(crate) mod tests;
