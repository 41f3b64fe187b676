//! `shell`: upload scripts to the machine and run them there (Packer's
//! core `shell` provisioner). Each script is streamed to `remote_path`,
//! made executable and run through `execute_command`; its output lines go
//! to the build's UI; it is removed afterwards unless `skip_clean`.
//! Uploading and starting are retried for `start_retry_timeout`, so a
//! script can follow a reboot.

mod env;
mod stop;
mod unix_lines;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::remote::{self, retry_start};
use super::{fields, TempScript};
use kiln_lang::duration;
use kiln_lang::template::json::timefmt::format_duration;
use kiln_lang::template::model::Component;
use kiln_sdk::communicator::{Communicator, ExitStatus};
use kiln_sdk::provisioner::{ProvisionContext, Provisioner};
use kiln_sdk::{BuildError, Settings};

/// Packer's exit status for "the connection went away" (`CmdDisconnect`).
const CMD_DISCONNECT: i64 = 2_300_218;

const DEFAULT_EXECUTE: &str = "chmod +x {{.Path}}; {{.Vars}} {{.Path}}";
const DEFAULT_EXECUTE_ENV_FILE: &str = "chmod +x {{.Path}}; . {{.EnvVarFile}} && {{.Path}}";

/// The prepared `shell` provisioner.
#[derive(Debug)]
pub struct Shell {
    inline: Option<Vec<String>>,
    scripts: Vec<PathBuf>,
    env: Vec<(String, String)>,
    env_var_format: String,
    use_env_var_file: bool,
    execute_command: String,
    inline_shebang: String,
    remote_folder: String,
    remote_path: String,
    binary: bool,
    valid_exit_codes: Vec<i64>,
    expect_disconnect: bool,
    skip_clean: bool,
    start_retry_timeout: Duration,
    pause_after: Option<Duration>,
}

impl Shell {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let what = "shell provisioner";
        let s = Settings::of(what, c)?;
        let inline = match c.config.get("inline") {
            Some(_) => Some(s.string_list("inline")?).filter(|l| !l.is_empty()),
            None => None,
        };
        let mut scripts: Vec<PathBuf> = s
            .string_list("scripts")?
            .into_iter()
            .map(PathBuf::from)
            .collect();
        if let Some(script) = s.string("script")? {
            if !scripts.is_empty() {
                return Err(config(
                    what,
                    "Only one of script or scripts can be specified.",
                ));
            }
            scripts.push(PathBuf::from(script));
        }
        if scripts.is_empty() && inline.is_none() {
            return Err(config(
                what,
                "Either a script file or inline script must be specified.",
            ));
        }
        if !scripts.is_empty() && inline.is_some() {
            return Err(config(
                what,
                "Only a script file or an inline script can be specified, not both.",
            ));
        }
        let mut env = Vec::new();
        for kv in s.string_list("environment_vars")? {
            match kv.split_once('=') {
                Some((k, v)) if !k.is_empty() => env.push((k.to_string(), v.to_string())),
                _ => {
                    return Err(config(
                        what,
                        &format!("Environment variable not in format 'key=value': {kv}"),
                    ))
                }
            }
        }
        env.extend(s.string_map("env")?);
        let use_env_var_file = s.bool("use_env_var_file")?.unwrap_or(false);
        let env_var_format = s.string("env_var_format")?.unwrap_or_else(|| {
            if use_env_var_file {
                "export %s='%s'\n".to_string()
            } else {
                "%s='%s' ".to_string()
            }
        });
        let execute_command = s.string("execute_command")?.unwrap_or_else(|| {
            if use_env_var_file {
                DEFAULT_EXECUTE_ENV_FILE.to_string()
            } else {
                DEFAULT_EXECUTE.to_string()
            }
        });
        let remote_folder = non_empty(s.string("remote_folder")?).unwrap_or_else(|| "/tmp".into());
        let remote_file = non_empty(s.string("remote_file")?)
            .unwrap_or_else(|| format!("script_{}.sh", random_below(9999)));
        let remote_path = non_empty(s.string("remote_path")?)
            .unwrap_or_else(|| format!("{remote_folder}/{remote_file}"));
        let valid_exit_codes = numbers(&s, "valid_exit_codes")?.unwrap_or_else(|| vec![0]);
        let start_retry_timeout = match optional_duration(&s, "start_retry_timeout")? {
            Some(d) if !d.is_zero() => d,
            _ => Duration::from_secs(300),
        };
        Ok(Shell {
            inline,
            scripts,
            env,
            env_var_format,
            use_env_var_file,
            execute_command,
            inline_shebang: non_empty(s.string("inline_shebang")?)
                .unwrap_or_else(|| "/bin/sh -e".into()),
            remote_folder,
            remote_path,
            binary: s.bool("binary")?.unwrap_or(false),
            valid_exit_codes,
            expect_disconnect: s.bool("expect_disconnect")?.unwrap_or(false),
            skip_clean: s.bool("skip_clean")?.unwrap_or(false),
            start_retry_timeout,
            pause_after: optional_duration(&s, "pause_after")?.filter(|d| !d.is_zero()),
        })
    }

    /// Upload the script at `local`, make it executable and run `command`;
    /// all of it retried while the machine cannot be reached.
    async fn upload_and_run(
        &self,
        ctx: &ProvisionContext<'_>,
        comm_arc: &Arc<dyn Communicator>,
        local: &Path,
        command: &str,
    ) -> Result<ExitStatus, BuildError> {
        let path = &self.remote_path;
        let pid_file = self.pid_file();
        let comm = comm_arc.as_ref();
        let command = stop::recording_pid(&pid_file, command);
        retry_start(self.start_retry_timeout, ctx.cancel, || async {
            self.upload(ctx, comm, local, path).await?;
            let chmod = format!("chmod 0755 {}", remote::shell_quote(path));
            if let Err(e) = remote::run_quiet(comm, &chmod, ctx.cancel)
                .await
                .map_err(Err)?
            {
                return Err(Ok(format!(
                    "Error chmodding script file to 0755 in remote machine: {e}"
                )));
            }
            // Dropped while the script runs (the build was cancelled):
            // stop it and remove it on the machine.
            let guard = stop::StopOnDrop::new(comm_arc.clone(), &pid_file, &[path, &pid_file]);
            let r = remote::run_with_ui(comm, &command, ctx.ui, ctx.cancel).await;
            if !matches!(r, Err(BuildError::Cancelled)) {
                guard.disarm();
            }
            r.map_err(Err)?.map_err(|e| Ok(e.to_string()))
        })
        .await
    }

    /// Stream `local` to `remote`, line ends converted unless `binary`.
    async fn upload(
        &self,
        ctx: &ProvisionContext<'_>,
        comm: &dyn Communicator,
        local: &Path,
        remote: &str,
    ) -> Result<(), Result<String, BuildError>> {
        let file = tokio::fs::File::open(local)
            .await
            .map_err(|e| Err(BuildError::Step(format!("Error opening shell script: {e}"))))?;
        let uploaded = if self.binary {
            let mut file = file;
            cancellable(ctx, comm.upload(remote, &mut file, None)).await?
        } else {
            let (mut reader, converter) = unix_lines::convert(file);
            let r = cancellable(ctx, comm.upload(remote, &mut reader, None)).await?;
            drop(reader);
            let converted = converter.await;
            // A failed upload closes the pipe under the converter: the
            // upload's error is the one to report (and retry on).
            if r.is_err() {
                return r
                    .map(|_| ())
                    .map_err(|e| Ok(format!("Error uploading script: {e}")));
            }
            match converted {
                Ok(Ok(())) => r,
                Ok(Err(e)) => {
                    return Err(Err(BuildError::Step(format!(
                        "Error reading shell script {}: {e}",
                        local.display()
                    ))))
                }
                Err(e) => {
                    return Err(Err(BuildError::Step(format!(
                        "Error uploading script: {e}"
                    ))))
                }
            }
        };
        uploaded
            .map(|_| ())
            .map_err(|e| Ok(format!("Error uploading script: {e}")))
    }

    /// Upload the environment file (`use_env_var_file`); returns its path.
    async fn upload_env_file(
        &self,
        ctx: &ProvisionContext<'_>,
        comm: &dyn Communicator,
        content: &str,
    ) -> Result<String, BuildError> {
        let file = TempScript::write_raw("kiln-shell-vars", content)?;
        let remote = format!("{}/varfile_{}.sh", self.remote_folder, random_below(9999));
        retry_start(self.start_retry_timeout, ctx.cancel, || async {
            self.upload(ctx, comm, file.path(), &remote)
                .await
                .map_err(|e| e.map(|m| m.replace("uploading script", "uploading envVarFile")))?;
            let chmod = format!("chmod 0600 {}", remote::shell_quote(&remote));
            match remote::run_quiet(comm, &chmod, ctx.cancel)
                .await
                .map_err(Err)?
            {
                Ok(_) => Ok(()),
                Err(e) => Err(Ok(format!(
                    "Error chmodding script file to 0600 in remote machine: {e}"
                ))),
            }
        })
        .await?;
        Ok(remote)
    }

    /// `rm -f path`, retried through reboots.
    async fn cleanup(
        &self,
        ctx: &ProvisionContext<'_>,
        comm: &dyn Communicator,
        path: &str,
        also: Option<&str>,
    ) -> Result<(), BuildError> {
        let mut rm = format!("rm -f {}", remote::shell_quote(path));
        if let Some(other) = also {
            rm.push(' ');
            rm.push_str(&remote::shell_quote(other));
        }
        retry_start(self.start_retry_timeout, ctx.cancel, || async {
            match remote::run_quiet(comm, &rm, ctx.cancel)
                .await
                .map_err(Err)?
            {
                Err(e) => Err(Ok(format!(
                    "Error removing temporary script at {path}: {e}"
                ))),
                Ok(ExitStatus { code: None }) => {
                    Err(Ok("Disconnect while removing temporary script.".to_string()))
                }
                Ok(ExitStatus { code: Some(0) }) => Ok(()),
                Ok(_) => Err(Err(BuildError::Step(format!(
                    "Error removing temporary script at {path}!"
                )))),
            }
        })
        .await
    }

    /// Where the running script's shell PID is kept (see `stop`).
    fn pid_file(&self) -> String {
        format!("{}.pid", self.remote_path)
    }

    /// One `rm -f`, bounded in time, errors only logged.
    async fn remove_quietly(
        &self,
        ctx: &ProvisionContext<'_>,
        comm: &dyn Communicator,
        path: &str,
    ) {
        let rm = format!("rm -f {}", remote::shell_quote(path));
        let r = tokio::time::timeout(
            Duration::from_secs(10),
            remote::run_quiet(comm, &rm, ctx.cancel),
        )
        .await;
        tracing::debug!(?r, path, "removing the script after a failure");
    }

    fn check_status(&self, status: ExitStatus) -> Result<(), BuildError> {
        match status.code {
            None if self.expect_disconnect || self.valid_exit_codes.contains(&CMD_DISCONNECT) => {
                Ok(())
            }
            None => Err(BuildError::Step(
                "Script disconnected unexpectedly. If you expected your script to disconnect, \
                 i.e. from a restart, you can try adding `\"expect_disconnect\": true` or \
                 `\"valid_exit_codes\": [0, 2300218]` to the shell provisioner parameters."
                    .to_string(),
            )),
            Some(code) if self.valid_exit_codes.contains(&i64::from(code)) => Ok(()),
            Some(code) => Err(BuildError::Step(format!(
                "Script exited with non-zero exit status: {code}. Allowed exit codes are: [{}]",
                self.valid_exit_codes
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            ))),
        }
    }
}

#[async_trait]
impl Provisioner for Shell {
    async fn provision(&self, ctx: &ProvisionContext<'_>) -> Result<(), BuildError> {
        for script in &self.scripts {
            if let Err(e) = std::fs::metadata(ctx.cwd.join(script)) {
                return Err(BuildError::config(format!(
                    "Bad script '{}': {e}",
                    script.display()
                )));
            }
        }
        let comm = remote::communicator(ctx, "shell")?;
        // An inline script becomes a local temporary file first, as in
        // Packer (its name is what "Provisioning with shell script" shows).
        let inline_file = match &self.inline {
            Some(lines) => Some(TempScript::write(
                "packer-shell",
                &self.inline_shebang,
                lines,
            )?),
            None => None,
        };
        let scripts: Vec<PathBuf> = match &inline_file {
            Some(f) => vec![f.path().to_path_buf()],
            None => self.scripts.iter().map(|s| ctx.cwd.join(s)).collect(),
        };
        let vars = env::collect(ctx.build_name, ctx.builder_type, &ctx.generated, &self.env);
        let flattened = env::flatten(&vars, &self.env_var_format);
        let env_file = if self.use_env_var_file {
            Some(self.upload_env_file(ctx, comm.as_ref(), &flattened).await?)
        } else {
            None
        };
        for (i, path) in scripts.iter().enumerate() {
            let shown = match &inline_file {
                Some(_) => path.display().to_string(),
                None => self.scripts[i].display().to_string(),
            };
            ctx.ui
                .say(format!("Provisioning with shell script: {shown}"));
            let command = fields::fill(&self.execute_command, |k| match k {
                "Vars" => Some(flattened.clone()),
                "Path" => Some(self.remote_path.clone()),
                "EnvVarFile" => Some(env_file.clone().unwrap_or_default()),
                "build_name" => Some(ctx.build_name.to_string()),
                "build_type" => Some(ctx.builder_type.to_string()),
                other => ctx.generated.get(other).cloned(),
            });
            let status = self.upload_and_run(ctx, &comm, path, &command).await?;
            if let Err(e) = self.check_status(status) {
                // Packer leaves the script behind here; kiln removes it
                // (one quick try: the machine may be gone).
                self.remove_quietly(ctx, comm.as_ref(), &self.pid_file())
                    .await;
                if !self.skip_clean && status.code.is_some() {
                    self.remove_quietly(ctx, comm.as_ref(), &self.remote_path)
                        .await;
                    if let Some(file) = &env_file {
                        self.remove_quietly(ctx, comm.as_ref(), file).await;
                    }
                }
                return Err(e);
            }
            if self.skip_clean {
                self.remove_quietly(ctx, comm.as_ref(), &self.pid_file())
                    .await;
            } else {
                self.cleanup(
                    ctx,
                    comm.as_ref(),
                    &self.remote_path,
                    Some(&self.pid_file()),
                )
                .await?;
            }
        }
        if let (false, Some(file)) = (self.skip_clean, &env_file) {
            self.cleanup(ctx, comm.as_ref(), file, None).await?;
        }
        if let Some(pause) = self.pause_after {
            ctx.ui.say(format!(
                "Pausing {} after this provisioner...",
                format_duration(pause.as_nanos() as i128)
            ));
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = ctx.cancel.cancelled() => return Err(BuildError::Cancelled),
            }
        }
        Ok(())
    }
}

async fn cancellable<T>(
    ctx: &ProvisionContext<'_>,
    f: impl std::future::Future<Output = T>,
) -> Result<T, Result<String, BuildError>> {
    tokio::select! {
        r = f => Ok(r),
        _ = ctx.cancel.cancelled() => Err(Err(BuildError::Cancelled)),
    }
}

fn config(what: &str, msg: &str) -> BuildError {
    BuildError::config(format!("{what}: {msg}"))
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

fn optional_duration(s: &Settings<'_>, name: &str) -> Result<Option<Duration>, BuildError> {
    match s.string(name)? {
        None => Ok(None),
        Some(v) => duration::parse_duration(&v).map(Some).map_err(|e| {
            BuildError::config(format!("{}: invalid value for {name:?}: {e}", s.component))
        }),
    }
}

fn numbers(s: &Settings<'_>, name: &str) -> Result<Option<Vec<i64>>, BuildError> {
    let list = s.string_list(name)?;
    if list.is_empty() {
        return Ok(None);
    }
    list.iter()
        .map(|v| {
            v.parse::<i64>().map_err(|_| {
                BuildError::config(format!(
                    "{}: {name:?} must be a list of whole numbers, got {v:?}",
                    s.component
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// A number in `0..n` (Packer's `rand.Intn` for remote file names).
fn random_below(n: u32) -> u32 {
    (uuid::Uuid::new_v4().as_u128() % u128::from(n)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(codes: &[i64], expect_disconnect: bool) -> Shell {
        Shell {
            inline: Some(vec!["true".into()]),
            scripts: vec![],
            env: vec![],
            env_var_format: "%s='%s' ".into(),
            use_env_var_file: false,
            execute_command: DEFAULT_EXECUTE.into(),
            inline_shebang: "/bin/sh -e".into(),
            remote_folder: "/tmp".into(),
            remote_path: "/tmp/script_1.sh".into(),
            binary: false,
            valid_exit_codes: codes.to_vec(),
            expect_disconnect,
            skip_clean: false,
            start_retry_timeout: Duration::from_secs(1),
            pause_after: None,
        }
    }

    #[test]
    fn exit_status_errors_read_like_packer() {
        let e = shell(&[0], false)
            .check_status(ExitStatus { code: Some(3) })
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Script exited with non-zero exit status: 3. Allowed exit codes are: [0]"
        );
        let e = shell(&[0, 2], false)
            .check_status(ExitStatus { code: Some(1) })
            .unwrap_err();
        assert!(
            e.to_string().ends_with("Allowed exit codes are: [0 2]"),
            "{e}"
        );
        assert!(shell(&[0, 2], false)
            .check_status(ExitStatus { code: Some(2) })
            .is_ok());
        let e = shell(&[0], false)
            .check_status(ExitStatus { code: None })
            .unwrap_err();
        assert!(e
            .to_string()
            .starts_with("Script disconnected unexpectedly."));
        assert!(shell(&[0], true)
            .check_status(ExitStatus { code: None })
            .is_ok());
    }
}
