//! Rendering Packer's legacy template strings (`{{user `x`}}`,
//! `{{timestamp}}`, `{{isotime "2006-01-02"}}`, pipes, …) in a context.
//!
//! At load time the context has `defer_build` set: actions that need the
//! build (`build_name`, `build_type`, `build`, `.Field`) are left in the
//! output exactly as written, so that the runner can render them later
//! with [`interpolate`] and a context that has them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::funcs::call;
use super::gotmpl::{self, Node, Operand, Pipeline};

/// Everything a template string may refer to.
#[derive(Debug, Clone, Default)]
pub struct InterpContext {
    /// Resolved user variables (`{{user `name`}}`).
    pub user_vars: BTreeMap<String, String>,
    /// `{{env}}` (and secret lookups) are allowed: only while rendering
    /// the `variables` section, as in Packer.
    pub enable_env: bool,
    /// An undefined `{{user}}` variable is an error (as in Packer's
    /// `variables` section); otherwise it renders as an empty string, as
    /// Packer does in component configs.
    pub strict_user: bool,
    /// Which `clean_*_name` functions exist (they come from the builder).
    pub clean_funcs: super::clean::CleanFuncs,
    /// The environment snapshot used by `{{env}}`.
    pub env: BTreeMap<String, String>,
    /// The template file (`{{template_dir}}` is its absolute directory).
    pub template_path: Option<PathBuf>,
    /// The working directory (`{{pwd}}`).
    pub pwd: PathBuf,
    /// The run's start time, in seconds since the Unix epoch: `{{timestamp}}`, `{{isotime}}` and
    /// `{{strftime}}` all use it so that they agree for the whole run.
    pub unix_secs: i64,
    /// Nanoseconds within that second.
    pub unix_nanos: u32,
    /// Keep build-time actions unrendered (load time).
    pub defer_build: bool,
    /// `{{build_name}}` at build time (the builder's name).
    pub build_name: Option<String>,
    /// `{{build_type}}` at build time (the builder's type).
    pub build_type: Option<String>,
    /// `{{ .Field }}` and `{{ build `Field` }}` values at build time.
    pub fields: BTreeMap<String, String>,
    /// Keep `{{ build `X` }}`, `{{ .Field }}` and `{{ . }}` as written
    /// (rendering a component before its build runs: the runner fills
    /// `build` from the builder's generated data, the component its own
    /// fields such as `.Vars`).
    pub defer_build_data: bool,
}

/// Why a template string could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterpError {
    /// The text is not a valid Go template.
    #[error("template syntax error: {message}")]
    Syntax {
        /// The parser's message.
        message: String,
        /// Byte offset of the error in the template text.
        offset: usize,
    },
    /// A function Packer's template engine does not define.
    #[error("function {0:?} is not defined")]
    UnknownFunction(String),
    /// `{{user `x`}}` where `x` is not declared (only an error where
    /// [`InterpContext::strict_user`] is set).
    #[error("user variable {0:?} is not defined")]
    UndefinedVariable(String),
    /// A function used where Packer forbids it (e.g. `env` outside
    /// `variables`); the message says why.
    #[error("{0}")]
    NotAllowed(String),
    /// Data the context does not have (a build-time value at load time,
    /// the template path, a `.Field`); names what is missing.
    #[error("{0} not available")]
    NotAvailable(String),
    /// A function failed.
    #[error("error calling {func}: {message}")]
    Call {
        /// The function's name.
        func: String,
        /// Why it failed.
        message: String,
    },
    /// Any other evaluation error (e.g. an empty command).
    #[error("{0}")]
    Other(String),
}

impl InterpContext {
    /// A context starting now, with the process-independent parts empty.
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        InterpContext {
            unix_secs: d.as_secs() as i64,
            unix_nanos: d.subsec_nanos(),
            ..InterpContext::default()
        }
    }

    /// The run's start time as a UTC instant.
    pub(super) fn instant(&self) -> chrono::DateTime<chrono::FixedOffset> {
        chrono::DateTime::from_timestamp(self.unix_secs, self.unix_nanos)
            .unwrap_or_default()
            .fixed_offset()
    }
}

/// True when the string contains a template action.
pub fn has_actions(s: &str) -> bool {
    s.contains("{{")
}

/// Render a template string in a context.
pub fn interpolate(s: &str, ctx: &InterpContext) -> Result<String, InterpError> {
    if !has_actions(s) {
        return Ok(s.to_string());
    }
    let tmpl = gotmpl::parse(s).map_err(|e| InterpError::Syntax {
        message: e.message,
        offset: e.offset,
    })?;
    let mut out = String::new();
    for node in &tmpl.nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Action(a) => {
                if (ctx.defer_build && needs_build(&a.pipe))
                    || (ctx.defer_build_data && needs_build_data(&a.pipe))
                {
                    out.push_str(&s[a.span.clone()]);
                    continue;
                }
                let v = eval_pipeline(&a.pipe, ctx)?;
                out.push_str(&v.print());
            }
        }
    }
    Ok(out)
}

/// The names of user variables a template string refers to.
pub fn referenced_user_vars(s: &str) -> Vec<String> {
    let mut names = Vec::new();
    let Ok(t) = gotmpl::parse(s) else {
        return names;
    };
    for n in &t.nodes {
        if let Node::Action(a) = n {
            collect_user_refs(&a.pipe, &mut names);
        }
    }
    names
}

fn collect_user_refs(p: &Pipeline, out: &mut Vec<String>) {
    for c in &p.cmds {
        if let [Operand::Ident(f), Operand::Str { value, .. }, ..] = c.args.as_slice() {
            if f == "user" {
                out.push(value.clone());
            }
        }
        for a in &c.args {
            if let Operand::Sub(sub) = a {
                collect_user_refs(sub, out);
            }
        }
    }
}

/// Functions and operands only known while building.
fn needs_build(p: &Pipeline) -> bool {
    let mut found = false;
    p.walk(&mut |op| match op {
        Operand::Field(_) | Operand::Dot => found = true,
        Operand::Ident(f) if matches!(f.as_str(), "build_name" | "build_type" | "build") => {
            found = true
        }
        _ => {}
    });
    found
}

/// Actions reading the builder's generated data or a component's fields.
fn needs_build_data(p: &Pipeline) -> bool {
    let mut found = false;
    p.walk(&mut |op| match op {
        Operand::Field(_) | Operand::Dot => found = true,
        Operand::Ident(f) if f == "build" => found = true,
        _ => {}
    });
    found
}

/// A Go template value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum GoVal {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nil,
}

impl GoVal {
    pub(super) fn print(&self) -> String {
        match self {
            GoVal::Str(s) => s.clone(),
            GoVal::Int(n) => n.to_string(),
            GoVal::Float(f) => f.to_string(),
            GoVal::Bool(b) => b.to_string(),
            GoVal::Nil => "<nil>".into(),
        }
    }

    pub(super) fn kind(&self) -> &'static str {
        match self {
            GoVal::Str(_) => "string",
            GoVal::Int(_) => "int",
            GoVal::Float(_) => "float64",
            GoVal::Bool(_) => "bool",
            GoVal::Nil => "nil",
        }
    }
}

fn eval_pipeline(p: &Pipeline, ctx: &InterpContext) -> Result<GoVal, InterpError> {
    let mut prev: Option<GoVal> = None;
    for cmd in &p.cmds {
        let (head, rest) = match cmd.args.split_first() {
            Some(x) => x,
            None => return Err(InterpError::Other("empty command".into())),
        };
        let v = match head {
            Operand::Ident(name) => {
                let mut args = rest
                    .iter()
                    .map(|a| eval_operand(a, ctx))
                    .collect::<Result<Vec<_>, _>>()?;
                if let Some(p) = prev.take() {
                    args.push(p);
                }
                call(name, &args, ctx)?
            }
            other => {
                if !rest.is_empty() || prev.is_some() {
                    return Err(InterpError::Other(format!(
                        "can't give argument to non-function {other}"
                    )));
                }
                eval_operand(other, ctx)?
            }
        };
        prev = Some(v);
    }
    Ok(prev.unwrap_or(GoVal::Nil))
}

fn eval_operand(op: &Operand, ctx: &InterpContext) -> Result<GoVal, InterpError> {
    Ok(match op {
        Operand::Ident(name) => call(name, &[], ctx)?,
        Operand::Str { value, .. } => GoVal::Str(value.clone()),
        Operand::Int(n) => GoVal::Int(*n),
        Operand::Float(f) => GoVal::Float(*f),
        Operand::Bool(b) => GoVal::Bool(*b),
        Operand::Nil => GoVal::Nil,
        Operand::Sub(p) => eval_pipeline(p, ctx)?,
        Operand::Dot => return Err(InterpError::NotAvailable("the build data (.)".into())),
        Operand::Field(parts) => {
            let key = parts.join(".");
            match ctx.fields.get(&key) {
                Some(v) => GoVal::Str(v.clone()),
                None => return Err(InterpError::NotAvailable(format!("field .{key}"))),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> InterpContext {
        let mut c = InterpContext {
            unix_secs: 1_136_214_245,
            strict_user: true,
            ..InterpContext::default()
        };
        c.user_vars.insert("v".into(), "v1.2-x".into());
        c.user_vars.insert("name".into(), "My Image!".into());
        c
    }

    #[test]
    fn renders_functions_and_pipes() {
        let c = ctx();
        let r = |s: &str| interpolate(s, &c).unwrap();
        assert_eq!(r("a {{user `v`}} b"), "a v1.2-x b");
        assert_eq!(r("{{ user `v` | replace \"v\" \"\" 1 }}"), "1.2-x");
        assert_eq!(r("{{ split (user `v`) \"-\" 0 }}"), "v1.2");
        assert_eq!(r("{{ replace_all `-` `/` `a-b-c` }}"), "a/b/c");
        assert_eq!(r("{{ `SOMETHING` | lower }}{{ upper `x` }}"), "somethingX");
        assert_eq!(r("{{ user `name` | clean_resource_name }}"), "My Image-");
        assert_eq!(r("{{timestamp}}"), "1136214245");
        assert_eq!(r("{{isotime}}"), "2006-01-02T15:04:05Z");
        assert_eq!(r("{{isotime \"2006\"}}"), "2006");
        assert_eq!(
            r("{{ isotime | clean_resource_name }}"),
            "2006-01-02T15-04-05Z"
        );
        assert_eq!(r("{{strftime \"%Y-%m\"}}"), "2006-01");
        assert_eq!(r("{{packer_version}}"), crate::PACKER_COMPAT_VERSION);
    }

    #[test]
    fn errors_name_the_problem() {
        let c = ctx();
        assert_eq!(
            interpolate("{{user `nope`}}", &c),
            Err(InterpError::UndefinedVariable("nope".into()))
        );
        assert!(matches!(
            interpolate("{{env `HOME`}}", &c),
            Err(InterpError::NotAllowed(_))
        ));
        assert!(matches!(
            interpolate("{{ nosuch }}", &c),
            Err(InterpError::UnknownFunction(_))
        ));
        assert!(matches!(
            interpolate("{{ split `a` `-` 3 }}", &c),
            Err(InterpError::Call { .. })
        ));
        assert!(matches!(
            interpolate("{{ user `v`", &c),
            Err(InterpError::Syntax { .. })
        ));
        assert!(matches!(
            interpolate("{{build_name}}", &c),
            Err(InterpError::NotAvailable(_))
        ));
    }

    #[test]
    fn undefined_user_variables_are_empty_outside_variables() {
        let mut c = ctx();
        c.strict_user = false;
        assert_eq!(interpolate("[{{user `nope`}}]", &c).unwrap(), "[]");
    }

    #[test]
    fn build_time_actions_are_deferred_then_rendered() {
        let mut c = ctx();
        c.defer_build = true;
        let s = "{{user `v`}} {{ build_name }} {{.SourceAMI}} {{ build `ID` }}";
        let at_load = interpolate(s, &c).unwrap();
        assert_eq!(
            at_load,
            "v1.2-x {{ build_name }} {{.SourceAMI}} {{ build `ID` }}"
        );
        c.defer_build = false;
        c.build_name = Some("web".into());
        c.fields.insert("SourceAMI".into(), "ami-1".into());
        c.fields.insert("ID".into(), "i-9".into());
        assert_eq!(interpolate(&at_load, &c).unwrap(), "v1.2-x web ami-1 i-9");
    }

    #[test]
    fn env_in_variables_section() {
        let mut c = ctx();
        c.enable_env = true;
        c.env.insert("HOME".into(), "/root".into());
        assert_eq!(
            interpolate("{{env `HOME`}}:{{env `NOPE`}}", &c).unwrap(),
            "/root:"
        );
        assert_eq!(
            referenced_user_vars("{{user `a`}} {{ split (user `b`) `-` 0 }}"),
            ["a", "b"]
        );
    }
}
