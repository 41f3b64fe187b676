//! Packer (Go `flag` package) accepts `-name`, `-name=value` and
//! `--name`; clap wants `--name`. Rewrite single-dash long flags before
//! parsing so users keep their habits.

use std::ffi::OsString;

/// Turn `-check` into `--check` and `-var=a=b` into `--var=a=b`, leaving
/// `-` (stdin), `--`, short flags like `-h`, and everything after `--`
/// untouched.
pub fn normalize(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut passthrough = false;
    for (i, arg) in args.into_iter().enumerate() {
        if i == 0 || passthrough {
            out.push(arg);
            continue;
        }
        let Some(s) = arg.to_str() else {
            out.push(arg);
            continue;
        };
        if s == "--" {
            passthrough = true;
            out.push(arg);
            continue;
        }
        let is_single_dash_long = s.starts_with('-')
            && !s.starts_with("--")
            && s.len() > 2
            && s.as_bytes()[1].is_ascii_alphabetic();
        if is_single_dash_long {
            out.push(OsString::from(format!("-{s}")));
        } else {
            out.push(arg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(v: &[&str]) -> Vec<String> {
        normalize(v.iter().map(OsString::from))
            .into_iter()
            .map(|s| s.into_string().unwrap_or_default())
            .collect()
    }

    #[test]
    fn single_dash_long_flags_become_double_dash() {
        assert_eq!(
            norm(&[
                "kiln",
                "fmt",
                "-check",
                "-write=false",
                "-",
                "-h",
                "x.pkr.hcl"
            ]),
            [
                "kiln",
                "fmt",
                "--check",
                "--write=false",
                "-",
                "-h",
                "x.pkr.hcl"
            ]
        );
        assert_eq!(
            norm(&["kiln", "validate", "--", "-var"]),
            ["kiln", "validate", "--", "-var"]
        );
        assert_eq!(norm(&["kiln", "console", "-1"]), ["kiln", "console", "-1"]);
    }
}
