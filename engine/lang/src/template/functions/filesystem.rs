//! Filesystem functions. Relative paths resolve against `FuncCtx::base_dir`.

use std::path::{Component, Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::helpers::{arg_err, failed, str_arg, string, R};
use super::{FuncCtx, FuncError};
use crate::template::Value;

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
}

/// Expand a leading `~` to the home directory.
fn expand_home(p: &str) -> Result<String, String> {
    if p == "~" || p.starts_with("~/") {
        let home = home_dir().ok_or("cannot expand ~: the home directory is unknown")?;
        Ok(format!("{}{}", home.display(), &p[1..]))
    } else if p.starts_with('~') {
        Err("cannot expand user-specific home dir".into())
    } else {
        Ok(p.to_string())
    }
}

/// Lexically clean a path (like Go's `filepath.Clean`).
fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() && !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

fn resolve(ctx: &FuncCtx, p: &str, index: usize) -> Result<PathBuf, FuncError> {
    let expanded =
        expand_home(p).map_err(|e| arg_err(index, format!("failed to expand ~: {e}")))?;
    let path = Path::new(&expanded);
    let resolved = clean(&if path.is_absolute() {
        path.to_path_buf()
    } else {
        ctx.base_dir.join(path)
    });
    if let Some(root) = ctx.sandbox {
        confine(root, &resolved).map_err(|()| {
            arg_err(
                index,
                format!("{p:?} resolves outside the directory this template may read"),
            )
        })?;
    }
    Ok(resolved)
}

/// Inside the sandbox `root`, lexically and after following symlinks.
fn confine(root: &Path, path: &Path) -> Result<(), ()> {
    let root_c = clean(root);
    if !path.starts_with(&root_c) {
        return Err(());
    }
    // Symlinks: the real path of the longest existing prefix.
    let real_root = std::fs::canonicalize(&root_c).map_err(|_| ())?;
    let mut probe = path.to_path_buf();
    loop {
        if let Ok(real) = std::fs::canonicalize(&probe) {
            return if real.starts_with(&real_root) {
                Ok(())
            } else {
                Err(())
            };
        }
        if !probe.pop() {
            return Err(());
        }
    }
}

fn absolute(ctx: &FuncCtx, p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else if ctx.base_dir.is_absolute() {
        ctx.base_dir.join(p)
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(ctx.base_dir)
            .join(p)
    };
    clean(&joined)
}

pub fn abspath(ctx: &FuncCtx, a: &[Value]) -> R {
    let p = str_arg(a, 0)?;
    Ok(string(
        absolute(ctx, Path::new(p.as_ref())).to_string_lossy(),
    ))
}

pub fn basename(_: &FuncCtx, a: &[Value]) -> R {
    let p = str_arg(a, 0)?;
    if p.is_empty() {
        return Ok(string("."));
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(string("/"));
    }
    Ok(string(trimmed.rsplit('/').next().unwrap_or(trimmed)))
}

pub fn dirname(_: &FuncCtx, a: &[Value]) -> R {
    let p = str_arg(a, 0)?;
    let dir = match p.rfind('/') {
        None => ".".to_string(),
        Some(i) => clean(Path::new(&p[..=i])).to_string_lossy().into_owned(),
    };
    Ok(string(dir))
}

pub fn pathexpand(_: &FuncCtx, a: &[Value]) -> R {
    expand_home(&str_arg(a, 0)?)
        .map(string)
        .map_err(|e| arg_err(0, e))
}

fn read(ctx: &FuncCtx, a: &[Value]) -> Result<Vec<u8>, FuncError> {
    let p = str_arg(a, 0)?;
    let path = resolve(ctx, &p, 0)?;
    std::fs::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => arg_err(0, format!("no file exists at {}", path.display())),
        _ => arg_err(0, format!("failed to read {}", path.display())),
    })
}

pub fn file(ctx: &FuncCtx, a: &[Value]) -> R {
    let path = str_arg(a, 0)?;
    String::from_utf8(read(ctx, a)?).map(Value::String).map_err(|_| {
        arg_err(0, format!("contents of {path} are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead"))
    })
}

pub fn filebase64(ctx: &FuncCtx, a: &[Value]) -> R {
    Ok(string(STANDARD.encode(read(ctx, a)?)))
}

pub fn fileexists(ctx: &FuncCtx, a: &[Value]) -> R {
    let path = resolve(ctx, &str_arg(a, 0)?, 0)?;
    match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => Ok(Value::Bool(true)),
        Ok(_) => Err(arg_err(
            0,
            format!("{} is not a regular file", path.display()),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Value::Bool(false)),
        Err(e) => Err(arg_err(
            0,
            format!("failed to stat {}: {e}", path.display()),
        )),
    }
}

/// Expand `{a,b}` alternatives (doublestar syntax) into plain glob patterns.
fn expand_braces(p: &str, out: &mut Vec<String>) -> Result<(), String> {
    if out.len() > 256 {
        return Err("too many {...} alternatives".into());
    }
    let chars: Vec<char> = p.chars().collect();
    let Some(open) = chars.iter().position(|c| *c == '{') else {
        out.push(p.to_string());
        return Ok(());
    };
    let mut depth = 0;
    let mut parts = Vec::new();
    let mut start = open + 1;
    for (i, c) in chars.iter().enumerate().skip(open) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    parts.push(chars[start..i].iter().collect::<String>());
                    let prefix: String = chars[..open].iter().collect();
                    let suffix: String = chars[i + 1..].iter().collect();
                    for part in parts {
                        expand_braces(&format!("{prefix}{part}{suffix}"), out)?;
                    }
                    return Ok(());
                }
            }
            ',' if depth == 1 => {
                parts.push(chars[start..i].iter().collect::<String>());
                start = i + 1;
            }
            _ => {}
        }
    }
    Err("unbalanced '{' in pattern".into())
}

pub fn fileset(ctx: &FuncCtx, a: &[Value]) -> R {
    let base = resolve(ctx, &str_arg(a, 0)?, 0)?;
    let pattern = str_arg(a, 1)?;
    let bad = |e: String| arg_err(1, format!("failed to glob pattern {pattern:?}: {e}"));
    let mut patterns = Vec::new();
    expand_braces(&pattern, &mut patterns).map_err(bad)?;
    let opts = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    let escaped_base = glob::Pattern::escape(&base.to_string_lossy());
    let mut out = Vec::new();
    for pat in patterns {
        glob::Pattern::new(&pat).map_err(|e| bad(e.to_string()))?;
        let paths = glob::glob_with(&format!("{escaped_base}/{pat}"), opts)
            .map_err(|e| bad(e.to_string()))?;
        for entry in paths {
            let path = entry.map_err(|e| bad(e.to_string()))?;
            if !path.is_file() {
                continue;
            }
            let rel = path.strip_prefix(&base).unwrap_or(&path);
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(rel.join("/"));
        }
    }
    out.sort();
    out.dedup();
    Ok(Value::List(out.into_iter().map(Value::String).collect()))
}

fn valid_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(char::is_alphabetic)
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

pub fn templatefile(ctx: &FuncCtx, a: &[Value]) -> R {
    let text = file(ctx, &a[..1])?;
    let vars = &a[1];
    let Value::Map(m) = vars else {
        return Err(arg_err(1, "invalid vars value: must be a map"));
    };
    if let Some(bad) = m.keys().find(|k| !valid_identifier(k)) {
        return Err(arg_err(1, format!("invalid template variable name {bad:?}: must start with a letter, followed by zero or more letters, digits, and underscores")));
    }
    let Value::String(text) = text else {
        return Err(arg_err(0, "template is not a string"));
    };
    (ctx.render_template)(&text, vars).map_err(|e| {
        failed(format!(
            "error rendering template {}: {e}",
            str_arg(a, 0).unwrap_or_default()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{l, obj, s};
    use super::super::{call, FuncCtx};
    use crate::template::Value;

    fn render(t: &str, _: &Value) -> Result<Value, String> {
        Ok(Value::String(format!("rendered:{t}")))
    }

    #[test]
    fn files_under_base_dir() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else { return };
        let base = dir.path();
        std::fs::create_dir_all(base.join("sub/deep")).ok();
        std::fs::write(base.join("hello.txt"), "Hello World").ok();
        std::fs::write(base.join("sub/a.txt"), "a").ok();
        std::fs::write(base.join("sub/deep/b.txt"), "b").ok();
        std::fs::write(base.join("sub/c.sh"), "c").ok();
        std::fs::write(base.join("bin.dat"), [0xffu8, 0xfe]).ok();
        let ctx = FuncCtx {
            base_dir: base,
            render_template: &render,
            sandbox: None,
            aws_secrets: None,
        };
        let c = |n: &str, a: &[Value]| call(n, &ctx, a);
        assert_eq!(c("file", &[s("hello.txt")]), Ok(s("Hello World")));
        assert!(c("file", &[s("bin.dat")]).is_err());
        assert!(c("file", &[s("missing.txt")]).is_err());
        assert_eq!(
            c("filebase64", &[s("hello.txt")]),
            Ok(s("SGVsbG8gV29ybGQ="))
        );
        assert_eq!(c("fileexists", &[s("hello.txt")]), Ok(Value::Bool(true)));
        assert_eq!(c("fileexists", &[s("nope.txt")]), Ok(Value::Bool(false)));
        assert!(c("fileexists", &[s("sub")]).is_err());
        assert_eq!(
            c("fileset", &[s("."), s("**/*.txt")]),
            Ok(l(vec![s("hello.txt"), s("sub/a.txt"), s("sub/deep/b.txt")]))
        );
        assert_eq!(
            c("fileset", &[s("sub"), s("*")]),
            Ok(l(vec![s("a.txt"), s("c.sh")]))
        );
        assert_eq!(
            c("fileset", &[s("sub"), s("{a,c}*")]),
            Ok(l(vec![s("a.txt"), s("c.sh")]))
        );
        assert_eq!(
            c("fileset", &[s("."), s("{sub/*.sh,hello.*}")]),
            Ok(l(vec![s("hello.txt"), s("sub/c.sh")]))
        );
        assert!(c("fileset", &[s("."), s("{a,b")]).is_err());
        assert!(c("templatefile", &[s("hello.txt"), obj(&[("1bad", s("x"))])]).is_err());
        assert_eq!(
            c("templatefile", &[s("hello.txt"), obj(&[])]),
            Ok(s("rendered:Hello World"))
        );
        assert!(c("templatefile", &[s("hello.txt"), s("x")]).is_err());
        let abs = c("abspath", &[s("sub/../hello.txt")]);
        assert_eq!(abs, Ok(s(&base.join("hello.txt").to_string_lossy())));
    }

    #[test]
    fn path_functions() {
        let ctx = super::super::tests::ctx();
        let c = |n: &str, a: &[Value]| call(n, &ctx, a);
        assert_eq!(c("basename", &[s("foo/bar/baz.txt")]), Ok(s("baz.txt")));
        assert_eq!(c("basename", &[s("/foo/bar/")]), Ok(s("bar")));
        assert_eq!(c("basename", &[s("")]), Ok(s(".")));
        assert_eq!(c("dirname", &[s("foo/bar/baz.txt")]), Ok(s("foo/bar")));
        assert_eq!(c("dirname", &[s("baz.txt")]), Ok(s(".")));
        assert_eq!(c("dirname", &[s("/baz.txt")]), Ok(s("/")));
        assert_eq!(c("abspath", &[s("/a/./b/../c")]), Ok(s("/a/c")));
        if let Some(home) = std::env::var_os("HOME") {
            let home = home.to_string_lossy().into_owned();
            assert_eq!(
                c("pathexpand", &[s("~/.ssh/id_rsa")]),
                Ok(s(&format!("{home}/.ssh/id_rsa")))
            );
        }
        assert_eq!(
            c("pathexpand", &[s("/etc/resolv.conf")]),
            Ok(s("/etc/resolv.conf"))
        );
    }
}

#[cfg(test)]
mod sandbox_tests {
    use super::*;
    use crate::template::functions::{call, tests::render};

    #[test]
    fn sandbox_confines_reads_to_its_root() {
        let root = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(root.path().join("t")).ok();
        std::fs::write(root.path().join("t/in.txt"), "in").ok();
        std::fs::write(root.path().join("shared.txt"), "shared").ok();
        std::fs::write(outside.path().join("secret.txt"), "secret").ok();
        #[cfg(unix)]
        std::os::unix::fs::symlink(
            outside.path().join("secret.txt"),
            root.path().join("t/link.txt"),
        )
        .ok();
        let base = root.path().join("t");
        let ctx = FuncCtx {
            base_dir: &base,
            render_template: &render,
            sandbox: Some(root.path()),
            aws_secrets: None,
        };
        let s = |v: &str| Value::String(v.to_string());
        assert_eq!(call("file", &ctx, &[s("in.txt")]), Ok(s("in")));
        assert_eq!(call("file", &ctx, &[s("../shared.txt")]), Ok(s("shared")));
        let abs = outside.path().join("secret.txt").display().to_string();
        for p in ["../../etc/passwd", abs.as_str(), "link.txt"] {
            let e = call("file", &ctx, &[s(p)]).expect_err(p);
            assert!(e.to_string().contains("outside"), "{p}: {e}");
        }
        assert!(call("filesha256", &ctx, &[s(&abs)]).is_err());
        // Network functions: unknown, no call.
        assert_eq!(
            call("vault", &ctx, &[s("secret/x"), s("k")]),
            Ok(Value::Unknown)
        );
    }
}
