//! `ansible`: run the local `ansible-playbook` against the build machine
//! (Packer's `ansible` provisioner). kiln always connects Ansible straight
//! to the machine with the communicator's SSH details (`build.Host`,
//! `build.Port`, `build.User`, its private key written to a 0600
//! temporary file) — what Packer does with `use_proxy = false`. It has no
//! SSH proxy adapter: `use_proxy = true` is reported and ignored, and the
//! proxy-only options (`local_port`, `ssh_host_key_file` as the proxy's
//! key, `ssh_authorized_key_file`, `sftp_command`) have no effect.

mod args;
mod inventory;

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::TempScript;
use crate::local_shell;
use kiln_lang::template::model::Component;
use kiln_sdk::provisioner::{ProvisionContext, Provisioner};
use kiln_sdk::{BuildError, Settings};

/// The prepared `ansible` provisioner.
#[derive(Debug)]
pub struct Ansible {
    command: String,
    extra_arguments: Vec<String>,
    env: Vec<(String, String)>,
    playbook_file: PathBuf,
    ssh_extra_args: Vec<String>,
    groups: Vec<String>,
    empty_groups: Vec<String>,
    host_alias: String,
    user: Option<String>,
    skip_version_check: bool,
    inventory_directory: Option<PathBuf>,
    inventory_file_template: Option<String>,
    inventory_file: Option<PathBuf>,
    keep_inventory_file: bool,
    galaxy: Option<Galaxy>,
    use_proxy: Option<bool>,
    ignored_proxy_options: Vec<&'static str>,
}

#[derive(Debug)]
struct Galaxy {
    file: PathBuf,
    command: String,
    force: bool,
    force_with_deps: bool,
    roles_path: Option<String>,
    collections_path: Option<String>,
}

impl Ansible {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let s = Settings::of("ansible provisioner", c)?;
        let mut env = Vec::new();
        for kv in s.string_list("ansible_env_vars")? {
            match kv.split_once('=') {
                Some((k, v)) if !k.is_empty() => env.push((k.to_string(), v.to_string())),
                _ => {
                    return Err(BuildError::config(format!(
                        "ansible provisioner: ansible_env_vars: {kv:?} is not in KEY=VALUE form"
                    )))
                }
            }
        }
        let ssh_host_key_file = s.string("ssh_host_key_file")?.filter(|v| !v.is_empty());
        if ssh_host_key_file.is_none() {
            env.push(("ANSIBLE_HOST_KEY_CHECKING".into(), "False".into()));
        }
        if !s.bool("use_sftp")?.unwrap_or(false) {
            env.push(("ANSIBLE_SCP_IF_SSH".into(), "True".into()));
        }
        if let Some(port) = s.string("local_port")? {
            if port.parse::<u32>().map_or(true, |p| p > 65535) {
                return Err(BuildError::config(format!(
                    "ansible provisioner: local_port: {port} must be a valid port"
                )));
            }
        }
        let mut ignored_proxy_options = Vec::new();
        for name in [
            "local_port",
            "ssh_authorized_key_file",
            "sftp_command",
            "ansible_proxy_key_type",
        ] {
            if s.string(name)?.is_some() {
                ignored_proxy_options.push(name);
            }
        }
        let galaxy = match s.string("galaxy_file")?.filter(|v| !v.is_empty()) {
            None => None,
            Some(file) => Some(Galaxy {
                file: PathBuf::from(file),
                command: s
                    .string("galaxy_command")?
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| "ansible-galaxy".into()),
                force: s.bool("galaxy_force_install")?.unwrap_or(false),
                force_with_deps: s.bool("galaxy_force_with_deps")?.unwrap_or(false),
                roles_path: s.string("roles_path")?.filter(|v| !v.is_empty()),
                collections_path: s.string("collections_path")?.filter(|v| !v.is_empty()),
            }),
        };
        Ok(Ansible {
            command: s
                .string("command")?
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "ansible-playbook".into()),
            extra_arguments: s.string_list("extra_arguments")?,
            env,
            playbook_file: PathBuf::from(s.required_string("playbook_file")?),
            ssh_extra_args: s.string_list("ansible_ssh_extra_args")?,
            groups: s.string_list("groups")?,
            empty_groups: s.string_list("empty_groups")?,
            host_alias: s
                .string("host_alias")?
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "default".into()),
            user: s.string("user")?.filter(|v| !v.is_empty()),
            skip_version_check: s.bool("skip_version_check")?.unwrap_or(false),
            inventory_directory: s
                .string("inventory_directory")?
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            inventory_file_template: s
                .string("inventory_file_template")?
                .filter(|v| !v.is_empty()),
            inventory_file: s
                .string("inventory_file")?
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            keep_inventory_file: s.bool("keep_inventory_file")?.unwrap_or(false),
            galaxy,
            use_proxy: s.bool("use_proxy")?,
            ignored_proxy_options,
        })
    }

    /// Packer's Prepare-time file checks, against the build's directory.
    fn check_files(&self, cwd: &Path) -> Result<(), BuildError> {
        check_file(cwd, &self.playbook_file, "playbook_file")?;
        if let Some(g) = &self.galaxy {
            check_file(cwd, &g.file, "galaxy_file")?;
        }
        if let Some(dir) = &self.inventory_directory {
            match std::fs::metadata(cwd.join(dir)) {
                Err(e) => {
                    return Err(BuildError::config(format!(
                        "inventory_directory: {} is invalid: {e}",
                        dir.display()
                    )))
                }
                Ok(m) if !m.is_dir() => {
                    return Err(BuildError::config(format!(
                        "inventory_directory: {} must point to a directory",
                        dir.display()
                    )))
                }
                Ok(_) => {}
            }
        }
        Ok(())
    }

    /// `COMMAND --version`: Packer's check that Ansible is there, and the
    /// major version that picks the inventory format.
    async fn major_version(&self, cwd: &Path) -> Result<u32, BuildError> {
        let failed = |why: String| {
            BuildError::Step(format!(
                "Error running \"{} --version\": {why}",
                self.command
            ))
        };
        let out = tokio::process::Command::new(&self.command)
            .arg("--version")
            .current_dir(cwd)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| failed(e.to_string()))?;
        if !out.status.success() {
            return Err(failed(out.status.to_string()));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let version = find_version(&text).ok_or_else(|| {
            BuildError::Step(format!(
                "Could not find {} version in output:\n{text}",
                self.command
            ))
        })?;
        tracing::info!("{} version: {version}", self.command);
        version
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .ok_or_else(|| {
                BuildError::Step(format!("Could not parse major version from \"{version}\"."))
            })
    }

    async fn galaxy(&self, ctx: &ProvisionContext<'_>, g: &Galaxy) -> Result<(), BuildError> {
        let file = ctx.cwd.join(&g.file);
        let text = std::fs::read_to_string(&file)
            .map_err(|e| BuildError::Step(format!("Error executing Ansible Galaxy: {e}")))?;
        let has_roles = text.lines().any(|l| l.starts_with("roles:"));
        let has_collections = text.lines().any(|l| l.starts_with("collections:"));
        let file = file.display().to_string();
        let mut runs = Vec::new();
        if has_roles || !has_collections {
            let mut a = vec!["install".to_string(), "-r".into(), file.clone()];
            if g.force {
                a.push("-f".into());
            }
            if g.force_with_deps {
                a.push("--force-with-deps".into());
            }
            if let Some(p) = &g.roles_path {
                a.extend(["-p".to_string(), p.clone()]);
            }
            runs.push(a);
        }
        if has_collections {
            let mut a = vec![
                "collection".to_string(),
                "install".into(),
                "-r".into(),
                file.clone(),
            ];
            if g.force {
                a.push("-f".into());
            }
            if g.force_with_deps {
                a.push("--force-with-deps".into());
            }
            if let Some(p) = &g.collections_path {
                a.extend(["-p".to_string(), p.clone()]);
            }
            runs.push(a);
        }
        for a in runs {
            ctx.ui.message("Executing Ansible Galaxy");
            let mut argv = vec![g.command.clone()];
            argv.extend(a);
            let code = local_shell::run_streamed(&argv, &[], ctx.cwd, ctx.ui, ctx.cancel)
                .await
                .map_err(|e| galaxy_error(&e.to_string()))?;
            if code != 0 {
                return Err(galaxy_error(&format!(
                    "Non-zero exit status: {}",
                    exit_status(code)
                )));
            }
        }
        Ok(())
    }
}

fn galaxy_error(why: &str) -> BuildError {
    BuildError::Step(format!(
        "Error executing Ansible: Error executing Ansible Galaxy: {why}"
    ))
}

/// Go's `ExitError` wording.
fn exit_status(code: i32) -> String {
    if code < 0 {
        "signal: killed".to_string()
    } else {
        format!("exit status {code}")
    }
}

fn check_file(cwd: &Path, name: &Path, field: &str) -> Result<(), BuildError> {
    match std::fs::metadata(cwd.join(name)) {
        Err(e) => Err(BuildError::config(format!(
            "{field}: {} is invalid: {e}",
            name.display()
        ))),
        Ok(m) if m.is_dir() => Err(BuildError::config(format!(
            "{field}: {} must point to a file",
            name.display()
        ))),
        Ok(_) => Ok(()),
    }
}

/// Where Ansible's SSH key comes from, in Packer's order of preference.
#[derive(Debug, PartialEq)]
enum KeySource<'a> {
    File(&'a str),
    Agent,
    Generated(&'a str),
    None,
}

impl<'a> KeySource<'a> {
    fn of(generated: &'a kiln_sdk::communicator::GeneratedData) -> Self {
        let get = |k: &str| {
            generated
                .get(k)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        match (
            get("SSHPrivateKeyFile"),
            get("SSHAgentAuth") == Some("true"),
            get("SSHPrivateKey"),
        ) {
            (Some(file), _, _) => KeySource::File(file),
            (None, true, _) => KeySource::Agent,
            (None, false, Some(key)) => KeySource::Generated(key),
            (None, false, None) => KeySource::None,
        }
    }
}

/// Packer's `\w (\d+\.\d+[.\d+]*)` over `--version` output.
fn find_version(text: &str) -> Option<String> {
    let re = regex::Regex::new(r"\w (\d+\.\d+[.\d+]*)").ok()?;
    re.captures(text).map(|c| c[1].to_string())
}

#[async_trait]
impl Provisioner for Ansible {
    async fn provision(&self, ctx: &ProvisionContext<'_>) -> Result<(), BuildError> {
        ctx.ui.say("Provisioning with Ansible...");
        self.check_files(ctx.cwd)?;
        let major = if self.skip_version_check {
            2
        } else {
            self.major_version(ctx.cwd).await?
        };
        if self.use_proxy == Some(true) || !self.ignored_proxy_options.is_empty() {
            ctx.ui.error(format!(
                "Warning: kiln has no SSH proxy adapter for Ansible (use_proxy = true{}); \
                 Ansible connects directly to the machine with the communicator's SSH details.",
                if self.ignored_proxy_options.is_empty() {
                    String::new()
                } else {
                    format!(", {} ignored", self.ignored_proxy_options.join(", "))
                }
            ));
        }
        let generated = &ctx.generated;
        let conn_type = generated
            .get("ConnType")
            .map(String::as_str)
            .unwrap_or("ssh");
        if conn_type != "ssh" {
            return Err(BuildError::Step(format!(
                "The ansible provisioner supports SSH connections only in kiln; this build \
                 connects with {conn_type:?}."
            )));
        }
        let host = generated
            .get("Host")
            .filter(|h| !h.is_empty())
            .ok_or_else(|| {
                BuildError::Step(
                    "The ansible provisioner needs the machine's SSH address (build.Host), but \
                     this build has no SSH communicator."
                        .to_string(),
                )
            })?;
        ctx.ui.message(
            "Not using Proxy adapter for Ansible run:\n\tUsing ssh keys from Packer communicator...",
        );
        // The key Ansible authenticates with: the communicator's key file,
        // the agent, or the builder-generated key written to a private
        // temporary file removed when this returns.
        let key_temp;
        let key_file: Option<String> = match KeySource::of(generated) {
            KeySource::File(file) => Some(ctx.cwd.join(file).display().to_string()),
            KeySource::Agent | KeySource::None => None,
            KeySource::Generated(key) => {
                key_temp = TempScript::write_raw("ansible-key", key)?;
                Some(key_temp.path().display().to_string())
            }
        };
        let user = self
            .user
            .clone()
            .or_else(|| generated.get("User").cloned())
            .unwrap_or_default();
        let port = generated
            .get("Port")
            .cloned()
            .unwrap_or_else(|| "22".into());

        let _generated_inventory;
        let inventory = match &self.inventory_file {
            Some(f) => ctx.cwd.join(f),
            None => {
                let template = self
                    .inventory_file_template
                    .as_deref()
                    .unwrap_or(if major < 2 {
                        inventory::DEFAULT_TEMPLATE_V1
                    } else {
                        inventory::DEFAULT_TEMPLATE_V2
                    });
                let content = inventory::render(
                    template,
                    |k| match k {
                        "HostAlias" => Some(self.host_alias.clone()),
                        "Host" => Some(host.clone()),
                        "User" => Some(user.clone()),
                        "Port" => Some(port.clone()),
                        "build_name" => Some(ctx.build_name.to_string()),
                        "build_type" => Some(ctx.builder_type.to_string()),
                        other => generated.get(other).cloned(),
                    },
                    &self.groups,
                    &self.empty_groups,
                );
                let dir = self.inventory_directory.as_ref().map(|d| ctx.cwd.join(d));
                let file = inventory::InventoryFile::create(
                    dir.as_deref(),
                    &content,
                    self.keep_inventory_file,
                )?;
                let path = file.path().to_path_buf();
                _generated_inventory = file;
                path
            }
        };

        if let Some(g) = &self.galaxy {
            self.galaxy(ctx, g).await?;
        }

        let playbook = std::path::absolute(ctx.cwd.join(&self.playbook_file))
            .unwrap_or_else(|_| ctx.cwd.join(&self.playbook_file));
        let http_addr = generated
            .get("PackerHTTPAddr")
            .filter(|a| a.as_str() != "ERR_HTTP_ADDR_NOT_IMPLEMENTED_BY_BUILDER");
        let inventory = inventory.display().to_string();
        let playbook = playbook.display().to_string();
        let args = args::build(&args::Inputs {
            build_name: ctx.build_name,
            builder_type: ctx.builder_type,
            http_addr: http_addr.map(String::as_str),
            ssh: true,
            ssh_extra_args: &self.ssh_extra_args,
            extra_arguments: &self.extra_arguments,
            private_key_file: key_file.as_deref(),
            env: &self.env,
            inventory: &inventory,
            playbook: &playbook,
        });
        let mut argv = vec![self.command.clone()];
        argv.extend(args);
        let mut shown = argv.join(" ");
        if args::mentions("ansible_password", &argv) {
            if let Some(pw) = generated.get("Password").filter(|p| !p.is_empty()) {
                shown = shown.replace(pw.as_str(), "*****");
            }
        }
        ctx.ui.say(format!("Executing Ansible: {shown}"));
        let code = local_shell::run_streamed(&argv, &self.env, ctx.cwd, ctx.ui, ctx.cancel)
            .await
            .map_err(|e| match e {
                BuildError::Cancelled => BuildError::Cancelled,
                other => BuildError::Step(format!("Error executing Ansible: {other}")),
            })?;
        if code != 0 {
            return Err(BuildError::Step(format!(
                "Error executing Ansible: Non-zero exit status: {}",
                exit_status(code)
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_source_prefers_the_file_then_the_agent_then_a_generated_key() {
        let g = |pairs: &[(&str, &str)]| -> kiln_sdk::communicator::GeneratedData {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let both = g(&[("SSHPrivateKeyFile", "/k"), ("SSHPrivateKey", "PEM")]);
        assert_eq!(KeySource::of(&both), KeySource::File("/k"));
        let agent = g(&[("SSHAgentAuth", "true"), ("SSHPrivateKey", "PEM")]);
        assert_eq!(KeySource::of(&agent), KeySource::Agent);
        let generated = g(&[
            ("SSHPrivateKeyFile", ""),
            ("SSHAgentAuth", "false"),
            ("SSHPrivateKey", "PEM"),
        ]);
        assert_eq!(KeySource::of(&generated), KeySource::Generated("PEM"));
        assert_eq!(KeySource::of(&g(&[])), KeySource::None);
    }

    #[test]
    fn version_from_ansible_core_output() {
        let out = "ansible-playbook [core 2.17.5]\n  config file = None\n";
        assert_eq!(find_version(out).as_deref(), Some("2.17.5"));
        assert_eq!(
            find_version("ansible-playbook 2.9.27\n").as_deref(),
            Some("2.9.27")
        );
        assert_eq!(find_version("nothing"), None);
    }
}
