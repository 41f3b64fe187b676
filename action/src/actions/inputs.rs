//! The action's entry point: `kiln github-action` (what `action.yml`
//! runs) reads the `INPUT_*` variables the runner sets from the step's
//! `with:` and turns them into ordinary kiln command lines, in Actions
//! mode.

use std::ffi::OsString;
use std::path::Path;

use super::command::{Level, Location};

/// The subcommand `action.yml` passes to the image's entrypoint.
pub const ENTRY: &str = "github-action";

/// Commands the action runs.
pub const COMMANDS: [&str; 6] = ["validate", "fmt", "build", "inspect", "matrix", "init"];

/// A bad input: what is wrong and which input it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub input: &'static str,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "input {:?}: {}", self.input, self.message)
    }
}

fn bad(input: &'static str, message: impl Into<String>) -> InputError {
    InputError {
        input,
        message: message.into(),
    }
}

/// The command lines to run for `argv`: `argv` itself unless it is the
/// action entry point. On a bad input the error has been reported (an
/// annotation, the `result` output, the summary) and the exit code is
/// returned.
pub fn invocations(argv: Vec<OsString>) -> Result<Vec<Vec<OsString>>, u8> {
    if argv.get(1).and_then(|a| a.to_str()) != Some(ENTRY) {
        return Ok(vec![argv]);
    }
    let argv0 = argv.first().cloned().unwrap_or_else(|| "kiln".into());
    let get = |name: &str| std::env::var(format!("INPUT_{}", name.to_uppercase()));
    let result = from_inputs(|n| get(n).ok()).and_then(|plan| {
        if let Some(dir) = &plan.working_directory {
            std::env::set_current_dir(dir).map_err(|e| {
                bad(
                    "working_directory",
                    format!("cannot enter {}: {e}", dir.display()),
                )
            })?;
        }
        for t in &plan.targets {
            if !Path::new(t).exists() {
                let cwd = std::env::current_dir()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default();
                return Err(bad(
                    "target",
                    format!("{t}: no such file or directory (working directory {cwd})"),
                ));
            }
        }
        Ok(plan)
    });
    match result {
        Ok(plan) => Ok(plan
            .command_lines()
            .into_iter()
            .map(|args| {
                let mut v = vec![argv0.clone(), OsString::from("--github-actions")];
                v.extend(args.into_iter().map(OsString::from));
                v
            })
            .collect()),
        Err(e) => {
            let gh = super::init(true);
            match gh {
                Some(gh) => {
                    gh.annotate(
                        Level::Error,
                        "kiln action",
                        &Location::default(),
                        &e.to_string(),
                    );
                    gh.summary(&format!(
                        "### kiln: :x: bad action input\n\n{}\n\n",
                        super::markdown::cell(&e.to_string())
                    ));
                    eprintln!("Error: {e}");
                    Err(gh.finish(1))
                }
                None => Err(1),
            }
        }
    }
}

/// What the inputs ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub command: String,
    pub targets: Vec<String>,
    pub working_directory: Option<std::path::PathBuf>,
    /// Flags common to the command (`-only`, `-var`…), before `arguments`.
    pub flags: Vec<String>,
    pub arguments: Vec<String>,
}

/// Split a list input: one item per line or separated by commas.
fn list(v: &str) -> Vec<String> {
    v.split(['\n', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Split the `target` input: one path per line when it has several lines
/// (a path may then contain spaces), otherwise words split like a shell
/// (`"my dir/x.pkr.hcl" other/`).
fn target_list(v: &str) -> Result<Vec<String>, InputError> {
    if v.trim().contains('\n') {
        return Ok(v
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect());
    }
    shlex::split(v).ok_or_else(|| bad("target", "unbalanced quotes".to_string()))
}

/// Read the inputs through `get` (input name → value; unset or empty is
/// `None`).
pub fn from_inputs(get: impl Fn(&str) -> Option<String>) -> Result<Plan, InputError> {
    let get = |n: &str| get(n).filter(|v| !v.trim().is_empty());
    let command = get("command")
        .map(|c| c.trim().to_string())
        .unwrap_or_else(|| "validate".into());
    if !COMMANDS.contains(&command.as_str()) {
        return Err(bad(
            "command",
            format!(
                "unknown command {command:?}; expected one of: {}",
                COMMANDS.join(", ")
            ),
        ));
    }
    let targets: Vec<String> = match get("target") {
        Some(t) => target_list(&t)?,
        None => vec![".".into()],
    };
    let mut flags = Vec::new();
    let takes_template_flags = matches!(command.as_str(), "validate" | "build" | "matrix");
    for (input, flag) in [("only", "-only"), ("except", "-except")] {
        if let Some(v) = get(input) {
            if !takes_template_flags {
                return Err(bad(input, format!("not used by the {command} command")));
            }
            flags.push(format!("{flag}={}", list(&v).join(",")));
        }
    }
    if let Some(v) = get("var") {
        if !matches!(
            command.as_str(),
            "validate" | "build" | "matrix" | "inspect"
        ) {
            return Err(bad("var", format!("not used by the {command} command")));
        }
        for line in v.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if !line.contains('=') {
                return Err(bad("var", format!("{line:?} is not NAME=VALUE")));
            }
            flags.push("-var".into());
            flags.push(line.to_string());
        }
    }
    if let Some(v) = get("var_files") {
        if !matches!(
            command.as_str(),
            "validate" | "build" | "matrix" | "inspect"
        ) {
            return Err(bad(
                "var_files",
                format!("not used by the {command} command"),
            ));
        }
        for f in list(&v) {
            flags.push("-var-file".into());
            flags.push(f);
        }
    }
    if let Some(v) = get("parallel_builds") {
        let n: usize = v
            .trim()
            .parse()
            .map_err(|_| bad("parallel_builds", format!("{v:?} is not a number")))?;
        if command == "build" {
            flags.push(format!("-parallel-builds={n}"));
        }
    }
    if let Some(v) = get("on_error") {
        let v = v.trim();
        if !matches!(v, "cleanup" | "abort") {
            return Err(bad("on_error", format!("{v:?}: expected cleanup or abort")));
        }
        if command == "build" {
            flags.push(format!("-on-error={v}"));
        }
    }
    if let Some(v) = get("fail_on") {
        if !matches!(v.trim(), "error" | "warning") {
            return Err(bad("fail_on", format!("{v:?}: expected error or warning")));
        }
    }
    if let Some(v) = get("summary") {
        if !matches!(v.trim(), "true" | "false") {
            return Err(bad("summary", format!("{v:?}: expected true or false")));
        }
    }
    if command == "fmt" {
        flags.push("-check".into());
    }
    let arguments = match get("arguments") {
        Some(a) => shlex::split(&a)
            .ok_or_else(|| bad("arguments", format!("unbalanced quotes in {a:?}")))?,
        None => Vec::new(),
    };
    Ok(Plan {
        command,
        targets,
        working_directory: get("working_directory").map(|d| d.trim().into()),
        flags,
        arguments,
    })
}

impl Plan {
    /// The kiln command lines (without the program name): fmt and matrix
    /// take every target at once, the other commands run once per target.
    pub fn command_lines(&self) -> Vec<Vec<String>> {
        let head = || {
            let mut v = vec![self.command.clone()];
            v.extend(self.flags.iter().cloned());
            v.extend(self.arguments.iter().cloned());
            v
        };
        if matches!(self.command.as_str(), "fmt" | "matrix") {
            let mut v = head();
            v.extend(self.targets.iter().cloned());
            return vec![v];
        }
        self.targets
            .iter()
            .map(|t| {
                let mut v = head();
                v.push(t.clone());
                v
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn plan(inputs: &[(&str, &str)]) -> Result<Plan, InputError> {
        let m: HashMap<String, String> = inputs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        from_inputs(|n| m.get(n).cloned())
    }

    #[test]
    fn build_inputs_become_packer_flags() {
        let p = plan(&[
            ("command", "build"),
            ("target", "packer/"),
            ("only", "amazon-ebs.a\nnull.b"),
            ("var", "region=eu-west-1\n\nname=a=b\n"),
            ("var_files", "a.pkrvars.hcl, b.pkrvars.hcl"),
            ("parallel_builds", "2"),
            ("on_error", "abort"),
            ("arguments", "-timestamp-ui -var 'x=two words'"),
        ])
        .unwrap();
        assert_eq!(
            p.command_lines(),
            vec![vec![
                "build",
                "-only=amazon-ebs.a,null.b",
                "-var",
                "region=eu-west-1",
                "-var",
                "name=a=b",
                "-var-file",
                "a.pkrvars.hcl",
                "-var-file",
                "b.pkrvars.hcl",
                "-parallel-builds=2",
                "-on-error=abort",
                "-timestamp-ui",
                "-var",
                "x=two words",
                "packer/"
            ]]
        );
    }

    #[test]
    fn validate_runs_once_per_target_and_fmt_checks_all() {
        let p = plan(&[("command", "validate"), ("target", "a.pkr.hcl b/")]).unwrap();
        assert_eq!(
            p.command_lines(),
            vec![vec!["validate", "a.pkr.hcl"], vec!["validate", "b/"]]
        );
        let p = plan(&[("command", "fmt"), ("target", "a b")]).unwrap();
        assert_eq!(p.command_lines(), vec![vec!["fmt", "-check", "a", "b"]]);
        let p = plan(&[]).unwrap();
        assert_eq!(p.command_lines(), vec![vec!["validate", "."]]);
    }

    #[test]
    fn targets_with_spaces_are_quoted_or_one_per_line() {
        let p = plan(&[("command", "fmt"), ("target", "'my dir/a.pkr.hcl' b/")]).unwrap();
        assert_eq!(
            p.command_lines(),
            vec![vec!["fmt", "-check", "my dir/a.pkr.hcl", "b/"]]
        );
        let p = plan(&[
            ("command", "fmt"),
            ("target", "my dir/a.pkr.hcl\n\n  b c/\n"),
        ])
        .unwrap();
        assert_eq!(
            p.command_lines(),
            vec![vec!["fmt", "-check", "my dir/a.pkr.hcl", "b c/"]]
        );
        assert_eq!(plan(&[("target", "'open")]).unwrap_err().input, "target");
    }

    #[test]
    fn bad_inputs_name_the_input() {
        assert_eq!(plan(&[("command", "deploy")]).unwrap_err().input, "command");
        assert_eq!(
            plan(&[("command", "build"), ("on_error", "ask")])
                .unwrap_err()
                .input,
            "on_error"
        );
        assert_eq!(plan(&[("var", "novalue")]).unwrap_err().input, "var");
        assert_eq!(
            plan(&[("arguments", "'open")]).unwrap_err().input,
            "arguments"
        );
        assert_eq!(plan(&[("fail_on", "never")]).unwrap_err().input, "fail_on");
        assert_eq!(
            plan(&[("command", "fmt"), ("only", "x")])
                .unwrap_err()
                .input,
            "only"
        );
    }
}
