//! `shell-local`: run commands on the machine kiln runs on. The same script
//! runner serves the `shell-local` post-processor.

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::{ProvisionContext, Provisioner, TempScript};
use crate::local_shell;
use kiln_lang::template::model::Component;
use kiln_sdk::{BuildError, Settings};

/// Packer's default `execute_command` on Unix.
const DEFAULT_EXECUTE: [&str; 3] = ["/bin/sh", "-c", "{{.Vars}} {{.Script}}"];

/// What to run: Packer's `inline` / `script` / `scripts` / `command` and
/// how (`execute_command`, `inline_shebang`, environment).
#[derive(Debug, Clone)]
pub struct LocalScript {
    inline: Vec<String>,
    scripts: Vec<PathBuf>,
    shebang: String,
    execute_command: Vec<String>,
    env: Vec<(String, String)>,
    valid_exit_codes: Vec<i32>,
}

/// The `{{.Vars}}` of `execute_command`: `KEY='value'` pairs.
pub(crate) struct Vars;

impl Vars {
    pub fn render(env: &[(String, String)]) -> String {
        env.iter()
            .map(|(k, v)| format!("{k}='{}'", v.replace('\'', "'\"'\"'")))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl LocalScript {
    pub fn prepare(what: &str, c: &Component) -> Result<Self, BuildError> {
        let s = Settings::of(what, c)?;
        let mut inline = s.string_list("inline")?;
        if let Some(cmd) = s.string("command")? {
            inline.push(cmd);
        }
        let mut scripts: Vec<PathBuf> = s
            .string_list("scripts")?
            .into_iter()
            .map(PathBuf::from)
            .collect();
        if let Some(script) = s.string("script")? {
            scripts.insert(0, PathBuf::from(script));
        }
        if inline.is_empty() == scripts.is_empty() {
            return Err(BuildError::config(format!(
                "{what}: exactly one of \"inline\", \"command\", \"script\" or \"scripts\" must be set"
            )));
        }
        let mut env = Vec::new();
        for kv in s.string_list("environment_vars")? {
            let (k, v) = kv.split_once('=').ok_or_else(|| {
                BuildError::config(format!(
                    "{what}: environment variable {kv:?} is not in KEY=VALUE form"
                ))
            })?;
            env.push((k.to_string(), v.to_string()));
        }
        env.extend(s.string_map("env")?);
        let execute_command = match s.string_list("execute_command")? {
            v if v.is_empty() => DEFAULT_EXECUTE.iter().map(|s| s.to_string()).collect(),
            v => v,
        };
        let valid_exit_codes = match s.int_list("valid_exit_codes")? {
            Some(codes) => codes,
            None => vec![0],
        };
        Ok(LocalScript {
            inline,
            scripts,
            shebang: s
                .string("inline_shebang")?
                .unwrap_or_else(|| "/bin/sh -e".to_string()),
            execute_command,
            env,
            valid_exit_codes,
        })
    }

    /// Run the script(s) with `extra_env` (PACKER_BUILD_NAME, …) added.
    pub async fn run(
        &self,
        ctx: &ProvisionContext<'_>,
        extra_env: &[(String, String)],
    ) -> Result<(), BuildError> {
        let mut env: Vec<(String, String)> = vec![
            ("PACKER_BUILD_NAME".into(), ctx.build_name.into()),
            ("PACKER_BUILDER_TYPE".into(), ctx.builder_type.into()),
        ];
        env.extend(extra_env.iter().cloned());
        env.extend(self.env.iter().cloned());
        if !self.inline.is_empty() {
            let script = TempScript::write("kiln-shell-local", &self.shebang, &self.inline)?;
            ctx.ui.say("Running local shell script: inline commands");
            self.exec(ctx, script.path(), &env).await
        } else {
            for script in &self.scripts {
                let path = ctx.cwd.join(script);
                ctx.ui
                    .say(format!("Running local shell script: {}", script.display()));
                self.exec(ctx, &path, &env).await?;
            }
            Ok(())
        }
    }

    async fn exec(
        &self,
        ctx: &ProvisionContext<'_>,
        script: &Path,
        env: &[(String, String)],
    ) -> Result<(), BuildError> {
        let vars = Vars::render(env);
        let argv: Vec<String> = self
            .execute_command
            .iter()
            .map(|a| {
                a.replace("{{.Vars}}", &vars)
                    .replace("{{.Script}}", &script.display().to_string())
            })
            .collect();
        let code = local_shell::run_streamed(&argv, env, ctx.cwd, ctx.ui, ctx.cancel).await?;
        if self.valid_exit_codes.contains(&code) {
            Ok(())
        } else {
            Err(BuildError::Step(format!(
                "Erroneous exit code {code} while executing script: {}",
                script.display()
            )))
        }
    }
}

/// The `shell-local` provisioner.
#[derive(Debug)]
pub struct ShellLocal(LocalScript);

impl ShellLocal {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        LocalScript::prepare("shell-local provisioner", c).map(ShellLocal)
    }
}

#[async_trait]
impl Provisioner for ShellLocal {
    async fn provision(&self, ctx: &ProvisionContext<'_>) -> Result<(), BuildError> {
        self.0.run(ctx, &[]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vars_are_single_quoted() {
        let v = Vars::render(&[("A".into(), "it's".into()), ("B".into(), "x y".into())]);
        assert_eq!(v, "A='it'\"'\"'s' B='x y'");
    }
}
