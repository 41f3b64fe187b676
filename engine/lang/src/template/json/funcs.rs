//! The legacy template function library: `user`, `env`, `timestamp`,
//! `isotime`, `strftime`, `uuid`, `split`, `replace`, `clean_resource_name`,
//! … with Packer's argument order and error rules.

use super::interpolate::{GoVal, InterpContext, InterpError};
use super::timefmt::{self, RFC3339};
use crate::template::functions::datetime::{format_go_layout, strftime};

fn str_arg(func: &str, args: &[GoVal], i: usize) -> Result<String, InterpError> {
    match args.get(i) {
        Some(GoVal::Str(s)) => Ok(s.clone()),
        Some(other) => Err(InterpError::Call {
            func: func.into(),
            message: format!(
                "wrong type for argument {}: expected string; got {}",
                i + 1,
                other.kind()
            ),
        }),
        None => Err(arity(func, args.len())),
    }
}

fn int_arg(func: &str, args: &[GoVal], i: usize) -> Result<i64, InterpError> {
    match args.get(i) {
        Some(GoVal::Int(n)) => Ok(*n),
        Some(GoVal::Float(f)) if f.fract() == 0.0 => Ok(*f as i64),
        Some(other) => Err(InterpError::Call {
            func: func.into(),
            message: format!(
                "wrong type for argument {}: expected int; got {}",
                i + 1,
                other.kind()
            ),
        }),
        None => Err(arity(func, args.len())),
    }
}

fn arity(func: &str, got: usize) -> InterpError {
    InterpError::Call {
        func: func.into(),
        message: format!("wrong number of arguments: got {got}"),
    }
}

fn expect_args(func: &str, args: &[GoVal], n: usize) -> Result<(), InterpError> {
    if args.len() == n {
        Ok(())
    } else {
        Err(InterpError::Call {
            func: func.into(),
            message: format!("wrong number of arguments: want {n}, got {}", args.len()),
        })
    }
}

/// The names of the legacy template functions kiln knows.
pub const FUNCTIONS: &[&str] = &[
    "user",
    "env",
    "timestamp",
    "isotime",
    "strftime",
    "uuid",
    "pwd",
    "template_dir",
    "packer_version",
    "build_name",
    "build_type",
    "build",
    "split",
    "replace",
    "replace_all",
    "lower",
    "upper",
    "clean_resource_name",
    "clean_ami_name",
    "clean_image_name",
    "aws_secretsmanager",
    "aws_secretsmanager_raw",
    "consul_key",
    "vault",
    "sed",
];

pub(super) fn call(name: &str, args: &[GoVal], ctx: &InterpContext) -> Result<GoVal, InterpError> {
    let s = |v: String| Ok(GoVal::Str(v));
    match name {
        "user" => {
            expect_args(name, args, 1)?;
            let k = str_arg(name, args, 0)?;
            match ctx.user_vars.get(&k) {
                Some(v) => s(v.clone()),
                None if ctx.strict_user => Err(InterpError::UndefinedVariable(k)),
                None => s(String::new()),
            }
        }
        "env" => {
            expect_args(name, args, 1)?;
            let k = str_arg(name, args, 0)?;
            if !ctx.enable_env {
                return Err(InterpError::NotAllowed(
                    "env vars are not allowed here: {{env}} may only be used in the default values of the \"variables\" section".into(),
                ));
            }
            s(ctx.env.get(&k).cloned().unwrap_or_default())
        }
        "timestamp" => {
            expect_args(name, args, 0)?;
            s(ctx.unix_secs.to_string())
        }
        "isotime" => match args.len() {
            0 => s(format_go_layout(RFC3339, &ctx.instant())),
            1 => s(format_go_layout(&str_arg(name, args, 0)?, &ctx.instant())),
            n => Err(InterpError::Call {
                func: name.into(),
                message: format!("too many values, 1 needed: got {n}"),
            }),
        },
        "strftime" => {
            expect_args(name, args, 1)?;
            s(strftime(&str_arg(name, args, 0)?, &ctx.instant()))
        }
        "uuid" => {
            expect_args(name, args, 0)?;
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            s(timefmt::time_ordered_uuid(nanos))
        }
        "pwd" => {
            expect_args(name, args, 0)?;
            s(ctx.pwd.display().to_string())
        }
        "template_dir" => {
            expect_args(name, args, 0)?;
            let path = ctx
                .template_path
                .as_ref()
                .ok_or_else(|| InterpError::NotAvailable("template path".into()))?;
            let abs = if path.is_absolute() {
                path.clone()
            } else {
                ctx.pwd.join(path)
            };
            let dir = abs.parent().map(|p| p.to_path_buf()).unwrap_or(abs);
            s(dir.display().to_string())
        }
        "packer_version" => {
            expect_args(name, args, 0)?;
            s(crate::PACKER_COMPAT_VERSION.to_string())
        }
        "build_name" | "build_type" => {
            expect_args(name, args, 0)?;
            let v = if name == "build_name" {
                &ctx.build_name
            } else {
                &ctx.build_type
            };
            v.clone()
                .map(GoVal::Str)
                .ok_or_else(|| InterpError::NotAvailable(name.into()))
        }
        "build" => {
            expect_args(name, args, 1)?;
            let k = str_arg(name, args, 0)?;
            ctx.fields
                .get(&k)
                .cloned()
                .map(GoVal::Str)
                .ok_or_else(|| InterpError::NotAvailable(format!("build variable {k:?}")))
        }
        "split" => {
            expect_args(name, args, 3)?;
            let (src, sep, i) = (
                str_arg(name, args, 0)?,
                str_arg(name, args, 1)?,
                int_arg(name, args, 2)?,
            );
            let parts: Vec<&str> = if sep.is_empty() {
                src.split("").filter(|p| !p.is_empty()).collect()
            } else {
                src.split(sep.as_str()).collect()
            };
            match usize::try_from(i).ok().and_then(|i| parts.get(i)) {
                Some(p) => s(p.to_string()),
                None => Err(InterpError::Call {
                    func: name.into(),
                    message: format!(
                        "the substring {i} was unavailable using the separator value, {sep}, only {} values were found",
                        parts.len()
                    ),
                }),
            }
        }
        "replace" => {
            // replace OLD NEW N SRC (so that `{{ x | replace "a" "b" 1 }}` works)
            expect_args(name, args, 4)?;
            let (old, new) = (str_arg(name, args, 0)?, str_arg(name, args, 1)?);
            let n = int_arg(name, args, 2)?;
            let src = str_arg(name, args, 3)?;
            s(go_replace(&src, &old, &new, n))
        }
        "replace_all" => {
            expect_args(name, args, 3)?;
            let (old, new, src) = (
                str_arg(name, args, 0)?,
                str_arg(name, args, 1)?,
                str_arg(name, args, 2)?,
            );
            s(go_replace(&src, &old, &new, -1))
        }
        "lower" => {
            expect_args(name, args, 1)?;
            s(str_arg(name, args, 0)?.to_lowercase())
        }
        "upper" => {
            expect_args(name, args, 1)?;
            s(str_arg(name, args, 0)?.to_uppercase())
        }
        "clean_resource_name" | "clean_ami_name" | "clean_image_name" => {
            let Some(_) = ctx.clean_funcs.apply(name, "") else {
                return Err(InterpError::UnknownFunction(name.to_string()));
            };
            expect_args(name, args, 1)?;
            let v = str_arg(name, args, 0)?;
            s(ctx.clean_funcs.apply(name, &v).unwrap_or(v))
        }
        "aws_secretsmanager" | "aws_secretsmanager_raw" | "consul_key" | "vault" => {
            if !ctx.enable_env {
                return Err(InterpError::NotAllowed(format!(
                    "{name} is only allowed in the variables section"
                )));
            }
            Err(InterpError::Call {
                func: name.into(),
                message: "kiln does not read secret stores while loading legacy JSON templates; pass the value with -var or -var-file".into(),
            })
        }
        "sed" => Err(InterpError::Call {
            func: name.into(),
            message: "template function `sed` is deprecated use `replace` or `replace_all` instead"
                .into(),
        }),
        other => Err(InterpError::UnknownFunction(other.to_string())),
    }
}

/// Go's `strings.Replace(s, old, new, n)` (n < 0: all).
fn go_replace(src: &str, old: &str, new: &str, n: i64) -> String {
    if n < 0 {
        if old.is_empty() {
            return go_replace(src, old, new, i64::MAX);
        }
        return src.replace(old, new);
    }
    if old.is_empty() {
        // Go inserts `new` before each character (and at the end) up to n times.
        let mut out = String::new();
        let mut count = 0;
        for c in src.chars() {
            if count < n {
                out.push_str(new);
                count += 1;
            }
            out.push(c);
        }
        if count < n {
            out.push_str(new);
        }
        return out;
    }
    src.replacen(old, new, usize::try_from(n).unwrap_or(usize::MAX))
}
