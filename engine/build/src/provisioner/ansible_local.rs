//! `ansible-local`: upload playbooks, roles and variables to a staging
//! directory on the machine and run `ansible-playbook -c local` there
//! (Packer's `ansible-local` provisioner). Ansible must already be
//! installed on the machine.

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::remote::{self, shell_quote};
use super::{ProvisionContext, Provisioner, TempScript};
use kiln_lang::template::json::timefmt::time_ordered_uuid;
use kiln_lang::template::model::Component;
use kiln_sdk::communicator::{Communicator, ExitStatus};
use kiln_sdk::{BuildError, Settings};

const DEFAULT_STAGING_DIR: &str = "/tmp/packer-provisioner-ansible-local";
/// Packer's exit status for a dropped connection.
const CMD_DISCONNECT: u32 = 2_300_218;

/// The prepared `ansible-local` provisioner.
#[derive(Debug)]
pub struct AnsibleLocal {
    command: String,
    extra_arguments: Vec<String>,
    group_vars: Option<PathBuf>,
    host_vars: Option<PathBuf>,
    playbook_dir: Option<PathBuf>,
    playbook_file: Option<PathBuf>,
    playbook_files: Vec<PathBuf>,
    playbook_paths: Vec<PathBuf>,
    role_paths: Vec<PathBuf>,
    staging_dir: String,
    clean_staging_dir: bool,
    inventory_file: Option<PathBuf>,
    inventory_groups: Vec<String>,
    galaxy_file: Option<PathBuf>,
    galaxy_command: String,
}

fn opt_path(s: &Settings<'_>, name: &str) -> Result<Option<PathBuf>, BuildError> {
    Ok(s.string(name)?.filter(|v| !v.is_empty()).map(PathBuf::from))
}

fn paths(s: &Settings<'_>, name: &str) -> Result<Vec<PathBuf>, BuildError> {
    Ok(s.string_list(name)?
        .into_iter()
        .map(PathBuf::from)
        .collect())
}

impl AnsibleLocal {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let s = Settings::of("ansible-local provisioner", c)?;
        let playbook_file = opt_path(&s, "playbook_file")?;
        let playbook_files = paths(&s, "playbook_files")?;
        match (&playbook_file, playbook_files.is_empty()) {
            (Some(_), false) => {
                return Err(BuildError::config(
                    "ansible-local provisioner: Either playbook_file or playbook_files can be \
                     specified, not both"
                        .into(),
                ))
            }
            (None, true) => {
                return Err(BuildError::config(
                    "ansible-local provisioner: Either playbook_file or playbook_files must be \
                     specified"
                        .into(),
                ))
            }
            _ => {}
        }
        let staging_dir = s
            .string("staging_directory")?
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or_default();
                format!("{DEFAULT_STAGING_DIR}/{}", time_ordered_uuid(nanos))
            });
        Ok(AnsibleLocal {
            command: s
                .string("command")?
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| {
                    "ANSIBLE_FORCE_COLOR=1 PYTHONUNBUFFERED=1 ansible-playbook".into()
                }),
            extra_arguments: s.string_list("extra_arguments")?,
            group_vars: opt_path(&s, "group_vars")?,
            host_vars: opt_path(&s, "host_vars")?,
            playbook_dir: opt_path(&s, "playbook_dir")?,
            playbook_file,
            playbook_files,
            playbook_paths: paths(&s, "playbook_paths")?,
            role_paths: paths(&s, "role_paths")?,
            staging_dir,
            clean_staging_dir: s.bool("clean_staging_directory")?.unwrap_or(false),
            inventory_file: opt_path(&s, "inventory_file")?,
            inventory_groups: s.string_list("inventory_groups")?,
            galaxy_file: opt_path(&s, "galaxy_file")?,
            galaxy_command: s
                .string("galaxy_command")?
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "ansible-galaxy".into()),
        })
    }

    /// Packer's Prepare-time checks, against the build's directory.
    fn check(&self, cwd: &Path) -> Result<(), BuildError> {
        let check = |p: &Path, field: &str, want_dir: bool| -> Result<(), BuildError> {
            match std::fs::metadata(cwd.join(p)) {
                Err(e) => Err(BuildError::config(format!(
                    "{field}: {} is invalid: {e}",
                    p.display()
                ))),
                Ok(m) if want_dir && !m.is_dir() => Err(BuildError::config(format!(
                    "{field}: {} must point to a directory",
                    p.display()
                ))),
                Ok(m) if !want_dir && m.is_dir() => Err(BuildError::config(format!(
                    "{field}: {} must point to a file",
                    p.display()
                ))),
                Ok(_) => Ok(()),
            }
        };
        if let Some(p) = &self.playbook_file {
            check(p, "playbook_file", false)?;
        }
        for p in &self.playbook_files {
            check(p, "playbook_files", false)?;
        }
        if let Some(p) = &self.inventory_file {
            check(p, "inventory_file", false)?;
        }
        if let Some(p) = &self.galaxy_file {
            check(p, "galaxy_file", false)?;
        }
        for (p, field) in [
            (&self.playbook_dir, "playbook_dir"),
            (&self.group_vars, "group_vars"),
            (&self.host_vars, "host_vars"),
        ] {
            if let Some(p) = p {
                check(p, field, true)?;
            }
        }
        for p in &self.playbook_paths {
            check(p, "playbook_paths", true)?;
        }
        for p in &self.role_paths {
            check(p, "role_paths", true)?;
        }
        Ok(())
    }
}

/// One provisioning run: the connection and the context.
struct Run<'a, 'c> {
    ctx: &'a ProvisionContext<'c>,
    comm: &'a dyn Communicator,
    staging: &'a str,
}

impl Run<'_, '_> {
    fn staged(&self, name: &str) -> String {
        format!("{}/{name}", self.staging.trim_end_matches('/'))
    }

    async fn command(&self, command: &str) -> Result<ExitStatus, BuildError> {
        remote::run_with_ui(self.comm, command, self.ctx.ui, self.ctx.cancel)
            .await?
            .map_err(|e| BuildError::Step(e.to_string()))
    }

    async fn create_dir(&self, dir: &str) -> Result<(), String> {
        self.ctx.ui.message(format!("Creating directory: {dir}"));
        let status = self
            .command(&format!("mkdir -p {}", shell_quote(dir)))
            .await
            .map_err(|e| e.to_string())?;
        if status.code != Some(0) {
            return Err("Non-zero exit status. See output above for more information.".into());
        }
        Ok(())
    }

    async fn upload_file(&self, dst: &str, src: &Path) -> Result<(), String> {
        let src = self.ctx.cwd.join(src);
        remote::upload_file(self.comm, dst, &src, self.ctx.cancel)
            .await
            .map_err(|e| e.to_string())?
            .map(|_| ())
    }

    /// Packer's `uploadDir`: create `dst`, then copy the contents of `src`
    /// into it.
    async fn upload_dir(&self, dst: &str, src: &Path) -> Result<(), String> {
        self.create_dir(dst).await?;
        let mut src = self.ctx.cwd.join(src).display().to_string();
        if !src.ends_with('/') {
            src.push('/');
        }
        tokio::select! {
            r = self.comm.upload_dir(dst, Path::new(&src), &[]) => r.map_err(|e| e.to_string()),
            _ = self.ctx.cancel.cancelled() => Err("cancelled".to_string()),
        }
    }
}

fn base_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn step(msg: String) -> BuildError {
    BuildError::Step(msg)
}

#[async_trait]
impl Provisioner for AnsibleLocal {
    async fn provision(&self, ctx: &ProvisionContext<'_>) -> Result<(), BuildError> {
        let comm = remote::communicator(ctx, "ansible-local")?;
        self.check(ctx.cwd)?;
        ctx.ui.say("Provisioning with Ansible...");
        let run = Run {
            ctx,
            comm: comm.as_ref(),
            staging: &self.staging_dir,
        };
        let r = self.provision_staged(&run).await;
        if ctx.cancel.is_cancelled() {
            return Err(BuildError::Cancelled);
        }
        r
    }
}

impl AnsibleLocal {
    async fn provision_staged(&self, run: &Run<'_, '_>) -> Result<(), BuildError> {
        let ui = run.ctx.ui;
        let cwd = run.ctx.cwd;
        if let Some(dir) = &self.playbook_dir {
            ui.message("Uploading Playbook directory to Ansible staging directory...");
            run.upload_dir(run.staging, dir)
                .await
                .map_err(|e| step(format!("Error uploading playbook_dir directory: {e}")))?;
        } else {
            ui.message("Creating Ansible staging directory...");
            run.create_dir(run.staging)
                .await
                .map_err(|e| step(format!("Error creating staging directory: {e}")))?;
        }

        // Remote paths of the playbooks to run, relative to the staging
        // directory (Packer keeps a playbook_files entry's absolute local
        // path under the staging directory unless it is in playbook_dir).
        let mut playbooks = Vec::new();
        if let Some(file) = &self.playbook_file {
            ui.message("Uploading main Playbook file...");
            let dst = run.staged(&base_name(file));
            run.upload_file(&dst, file)
                .await
                .map_err(|e| step(format!("Error uploading main playbook: {e}")))?;
            playbooks.push(dst);
        } else {
            let playbook_dir = self
                .playbook_dir
                .as_ref()
                .map(|d| std::path::absolute(cwd.join(d)).unwrap_or_else(|_| cwd.join(d)));
            for file in &self.playbook_files {
                let abs = std::path::absolute(cwd.join(file)).unwrap_or_else(|_| cwd.join(file));
                if let Some(rel) = playbook_dir.as_ref().and_then(|d| abs.strip_prefix(d).ok()) {
                    playbooks.push(run.staged(&rel.display().to_string()));
                    continue;
                }
                let abs_s = abs.display().to_string();
                ui.message(format!("Uploading playbook file: {abs_s}"));
                let remote_file = run.staged(abs_s.trim_start_matches('/'));
                let remote_dir = match remote_file.rfind('/') {
                    Some(i) => remote_file[..i].to_string(),
                    None => run.staging.to_string(),
                };
                run.create_dir(&remote_dir)
                    .await
                    .map_err(|e| step(format!("Error uploading playbook file: {abs_s} [{e}]")))?;
                run.upload_file(&remote_file, &abs)
                    .await
                    .map_err(|e| step(format!("Error uploading playbook: {abs_s} [{e}]")))?;
                playbooks.push(remote_file);
            }
        }

        let _generated_inventory;
        let inventory_src = match &self.inventory_file {
            Some(f) => cwd.join(f),
            None => {
                let content = if self.inventory_groups.is_empty() {
                    "127.0.0.1".to_string()
                } else {
                    self.inventory_groups
                        .iter()
                        .map(|g| format!("[{g}]\n127.0.0.1\n"))
                        .collect()
                };
                let f = TempScript::write_raw("packer-provisioner-ansible-local", &content)?;
                let p = f.path().to_path_buf();
                _generated_inventory = f;
                p
            }
        };

        if let Some(g) = &self.galaxy_file {
            ui.message("Uploading galaxy file...");
            run.upload_file(&run.staged(&base_name(g)), g)
                .await
                .map_err(|e| step(format!("Error uploading galaxy file: {e}")))?;
        }

        ui.message("Uploading inventory file...");
        let inventory = run.staged(&base_name(&inventory_src));
        run.upload_file(&inventory, &inventory_src)
            .await
            .map_err(|e| step(format!("Error uploading inventory file: {e}")))?;

        for (dir, name, what) in [
            (&self.group_vars, "group_vars", "group_vars directory"),
            (&self.host_vars, "host_vars", "host_vars directory"),
        ] {
            if let Some(dir) = dir {
                ui.message(format!("Uploading {what}..."));
                run.upload_dir(&run.staged(name), dir)
                    .await
                    .map_err(|e| step(format!("Error uploading {what}: {e}")))?;
            }
        }
        if !self.role_paths.is_empty() {
            ui.message("Uploading role directories...");
            for src in &self.role_paths {
                let dst = run.staged(&format!("roles/{}", base_name(src)));
                run.upload_dir(&dst, src)
                    .await
                    .map_err(|e| step(format!("Error uploading roles: {e}")))?;
            }
        }
        if !self.playbook_paths.is_empty() {
            ui.message("Uploading additional Playbooks...");
            let dir = run.staged("playbooks");
            run.create_dir(&dir)
                .await
                .map_err(|e| step(format!("Error creating playbooks directory: {e}")))?;
            for src in &self.playbook_paths {
                let dst = format!("{dir}/{}", base_name(src));
                run.upload_dir(&dst, src)
                    .await
                    .map_err(|e| step(format!("Error uploading playbooks: {e}")))?;
            }
        }

        self.execute(run, &playbooks, &inventory)
            .await
            .map_err(|e| match e {
                BuildError::Cancelled => e,
                other => step(format!("Error executing Ansible: {other}")),
            })?;

        if self.clean_staging_dir {
            ui.message("Removing staging directory...");
            ui.message(format!("Removing directory: {}", run.staging));
            let status = run
                .command(&format!("rm -rf {}", shell_quote(run.staging)))
                .await?;
            if status.code != Some(0) {
                return Err(step(
                    "Error removing staging directory: Non-zero exit status. See output above \
                     for more information."
                        .into(),
                ));
            }
        }
        Ok(())
    }

    async fn execute(
        &self,
        run: &Run<'_, '_>,
        playbooks: &[String],
        inventory: &str,
    ) -> Result<(), BuildError> {
        let ctx = run.ctx;
        let http_addr = ctx
            .generated
            .get("PackerHTTPAddr")
            .map(String::as_str)
            .unwrap_or("ERR_HTTP_ADDR_NOT_IMPLEMENTED_BY_BUILDER");
        let mut extra = format!(
            " --extra-vars \"packer_build_name={} packer_builder_type={} packer_http_addr={} -o \
             IdentitiesOnly=yes\" ",
            ctx.build_name, ctx.builder_type, http_addr
        );
        if !self.extra_arguments.is_empty() {
            extra.push_str(&self.extra_arguments.join(" "));
        }
        if let Some(g) = &self.galaxy_file {
            let roles = run.staged("roles");
            let file = run.staged(&base_name(g));
            let command = format!(
                "cd {} && {} install -r {file} -p {roles}",
                run.staging, self.galaxy_command
            );
            ctx.ui
                .message(format!("Executing Ansible Galaxy: {command}"));
            let status = run.command(&command).await?;
            if status.code != Some(0) {
                return Err(step(format!(
                    "Error executing Ansible Galaxy: Non-zero exit status: {}",
                    status.code.unwrap_or(CMD_DISCONNECT)
                )));
            }
        }
        for playbook in playbooks {
            let command = format!(
                "cd {} && {} {playbook}{extra} -c local -i {inventory}",
                run.staging, self.command
            );
            ctx.ui.message(format!("Executing Ansible: {command}"));
            let status = run.command(&command).await?;
            match status.code {
                Some(0) => {}
                Some(127) => {
                    return Err(step(format!(
                        "{} could not be found. Verify that it is available on the\nPATH after \
                         connecting to the machine.",
                        self.command
                    )))
                }
                code => {
                    return Err(step(format!(
                        "Non-zero exit status: {}",
                        code.unwrap_or(CMD_DISCONNECT)
                    )))
                }
            }
        }
        Ok(())
    }
}
