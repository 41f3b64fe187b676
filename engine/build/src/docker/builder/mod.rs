//! The `docker` builder: runs a container from an image on the Docker
//! Engine API (Docker, or Podman's compatible service), hands the docker
//! communicator to the provisioners, then commits, exports or discards the
//! container. The container is removed by a cleanup on every outcome.

pub mod artifact;
pub(crate) mod config;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use bollard::auth::DockerCredentials;
use bollard::models::{ContainerConfig, ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CommitContainerOptions, CreateContainerOptions, CreateImageOptions, RemoveContainerOptions,
};
use bollard::Docker;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::docker::client::{self, api_error};
use crate::docker::communicator::DockerCommunicator;
use artifact::{DiscardedArtifact, ExportArtifact, ImageArtifact, BUILDER_ID};
use config::{Config, Finish, Login};
use kiln_lang::template::model::Component;
use kiln_sdk::artifact::Artifact;
use kiln_sdk::builder::{BuildContext, Builder};
use kiln_sdk::communicator::{Communicator, GeneratedData};
use kiln_sdk::{BuildError, Ui};

/// The `docker` builder: a container from `image` (or a Dockerfile),
/// provisioned through the docker communicator, then committed, exported
/// or discarded.
#[derive(Debug)]
pub struct DockerBuilder {
    config: Config,
}

impl DockerBuilder {
    /// Read and check the configuration (Packer's `Prepare`).
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        Ok(DockerBuilder {
            config: Config::prepare(c)?,
        })
    }
}

/// Registry credentials for the Engine API.
pub fn credentials(login: &Login) -> DockerCredentials {
    DockerCredentials {
        username: login.username.clone(),
        password: login.password.clone(),
        serveraddress: login.server.clone(),
        ..Default::default()
    }
}

/// Pull `image` (`POST /images/create?fromImage=`), draining the progress
/// stream; an error in the stream fails the pull.
pub async fn pull(
    docker: &Docker,
    image: &str,
    platform: Option<&str>,
    login: Option<&Login>,
) -> Result<(), BuildError> {
    let (name, tag) = split_reference(image);
    let options = CreateImageOptions {
        from_image: Some(name.to_string()),
        tag: tag.map(str::to_string),
        platform: platform.unwrap_or_default().to_string(),
        ..Default::default()
    };
    let mut progress = docker.create_image(Some(options), None, login.map(credentials));
    while let Some(item) = progress.next().await {
        let info =
            item.map_err(|e| api_error(&format!("Error pulling Docker image {image}"), e))?;
        if let Some(detail) = info.error_detail.and_then(|d| d.message) {
            return Err(BuildError::Step(format!(
                "Error pulling Docker image {image}: {detail}"
            )));
        }
    }
    Ok(())
}

/// `name[:tag]` (a `:` after the last `/` is a tag; `@digest` stays).
pub fn split_reference(image: &str) -> (&str, Option<&str>) {
    if image.contains('@') {
        return (image, None);
    }
    match image.rfind(':') {
        Some(i) if !image[i..].contains('/') => (&image[..i], Some(&image[i + 1..])),
        _ => (image, None),
    }
}

/// A `docker run` line equivalent to what the builder does, for the log.
fn run_line(volumes: &BTreeMap<String, String>, run_command: &[String], image: &str) -> String {
    let mut words = vec!["docker".to_string(), "run".to_string()];
    for (host, container) in volumes {
        words.push("-v".to_string());
        words.push(format!("{host}:{container}"));
    }
    words.extend(run_command.iter().map(|a| a.replace("{{.Image}}", image)));
    words.join(" ")
}

impl DockerBuilder {
    async fn create_container(
        &self,
        docker: &Docker,
        name: &str,
        volumes: &BTreeMap<String, String>,
    ) -> Result<String, BuildError> {
        let spec = self.config.run_spec(volumes)?;
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            entrypoint: spec.entrypoint.clone(),
            cmd: (!spec.cmd.is_empty()).then(|| spec.cmd.clone()),
            tty: Some(spec.tty),
            open_stdin: Some(spec.interactive),
            attach_stdin: Some(false),
            user: spec.user.clone(),
            working_dir: spec.workdir.clone(),
            env: (!spec.env.is_empty()).then(|| spec.env.clone()),
            host_config: Some(HostConfig {
                binds: (!spec.binds.is_empty()).then(|| spec.binds.clone()),
                privileged: Some(spec.privileged),
                cap_add: (!spec.cap_add.is_empty()).then(|| spec.cap_add.clone()),
                cap_drop: (!spec.cap_drop.is_empty()).then(|| spec.cap_drop.clone()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let options = CreateContainerOptions {
            name: Some(name.to_string()),
            platform: spec.platform.clone().unwrap_or_default(),
        };
        let created = docker
            .create_container(Some(options), body)
            .await
            .map_err(|e| api_error("Error running container", e))?;
        docker
            .start_container(
                &created.id,
                None::<bollard::query_parameters::StartContainerOptions>,
            )
            .await
            .map_err(|e| api_error("Error running container", e))?;
        Ok(created.id)
    }

    async fn commit(&self, docker: &Docker, ui: &Ui, id: &str) -> Result<String, BuildError> {
        ui.say("Committing the container");
        let options = CommitContainerOptions {
            container: Some(id.to_string()),
            comment: self.config.message.clone(),
            author: self.config.author.clone(),
            pause: true,
            changes: (!self.config.changes.is_empty()).then(|| self.config.changes.join("\n")),
            ..Default::default()
        };
        let committed = docker
            .commit_container(options, ContainerConfig::default())
            .await
            .map_err(|e| api_error("Error committing container", e))?;
        ui.message(format!("Image ID: {}", committed.id));
        Ok(committed.id)
    }

    async fn export(
        &self,
        docker: &Docker,
        ui: &Ui,
        id: &str,
        path: &std::path::Path,
    ) -> Result<(), BuildError> {
        ui.say("Exporting the container");
        let io = |e: std::io::Error| {
            BuildError::Step(format!("Error exporting to {}: {e}", path.display()))
        };
        let tmp = path.with_file_name(format!(
            ".{}.kiln-tmp",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        let result = async {
            let mut file = tokio::fs::File::create(&tmp).await.map_err(io)?;
            let mut stream = docker.export_container(id);
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| api_error("Error exporting container", e))?;
                file.write_all(&chunk).await.map_err(io)?;
            }
            file.flush().await.map_err(io)?;
            drop(file);
            tokio::fs::rename(&tmp, path).await.map_err(io)
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        result
    }
}

#[async_trait]
impl Builder for DockerBuilder {
    async fn run(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Artifact>, BuildError> {
        let cfg = &self.config;
        let docker = client::connect().await?;

        ctx.ui
            .say("Creating a temporary directory for sharing data...");
        let tmp =
            std::env::temp_dir().join(format!("packer-docker-{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::create_dir_all(&tmp).await.map_err(|e| {
            BuildError::Step(format!(
                "Error making temporary directory {}: {e}",
                tmp.display()
            ))
        })?;
        {
            let tmp = tmp.clone();
            ctx.cleanup
                .push(format!("Removing {}", tmp.display()), async move {
                    match tokio::fs::remove_dir_all(&tmp).await {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.to_string()),
                        _ => Ok(()),
                    }
                });
        }

        if cfg.pull {
            ctx.ui.say(format!("Pulling Docker image: {}", cfg.image));
            pull(
                &docker,
                &cfg.image,
                cfg.platform.as_deref(),
                cfg.login.as_ref(),
            )
            .await?;
        }

        let mut volumes = cfg.volumes.clone();
        volumes.insert(tmp.display().to_string(), cfg.container_dir.clone());
        ctx.ui.say("Starting docker container...");
        ctx.ui.message(format!(
            "Run command: {}",
            run_line(&volumes, &cfg.run_command, &cfg.image)
        ));
        // The container gets a name before it exists, so the cleanup that
        // removes it is registered first: an interrupt between create and
        // the end of this step cannot leak it.
        let name = format!("kiln-{}", uuid::Uuid::new_v4().simple());
        {
            let docker = docker.clone();
            let name = name.clone();
            let ui = ctx.ui.labelled(ctx.ui.build_name());
            ctx.cleanup
                .push(format!("Removing container {name}"), async move {
                    let id = match docker.inspect_container(&name, None).await {
                        Ok(c) => c.id.unwrap_or(name.clone()),
                        Err(bollard::errors::Error::DockerResponseServerError {
                            status_code: 404,
                            ..
                        }) => return Ok(()),
                        Err(e) => return Err(client::describe(&e)),
                    };
                    ui.say(format!("Killing the container: {id}"));
                    docker
                        .remove_container(
                            &id,
                            Some(RemoveContainerOptions {
                                force: true,
                                v: true,
                                ..Default::default()
                            }),
                        )
                        .await
                        .map_err(|e| client::describe(&e))
                });
        }
        let id = self.create_container(&docker, &name, &volumes).await?;
        ctx.ui.message(format!("Container ID: {id}"));

        let address = docker
            .inspect_container(&id, None)
            .await
            .ok()
            .and_then(|c| c.network_settings)
            .and_then(|n| n.networks)
            .and_then(|n| n.into_values().find_map(|e| e.ip_address))
            .filter(|ip| !ip.is_empty())
            .unwrap_or_else(|| id.clone());
        ctx.ui
            .say(format!("Using docker communicator to connect: {address}"));
        let comm: Arc<dyn Communicator> = Arc::new(DockerCommunicator::new(
            docker.clone(),
            id.clone(),
            cfg.exec_user.clone(),
            cfg.fix_upload_owner,
        ));
        let mut generated = GeneratedData::new();
        generated.insert("ID".to_string(), id.clone());
        ctx.hook.provision(Some(comm), generated).await?;

        match &cfg.finish {
            Finish::Commit => {
                let image = self.commit(&docker, ctx.ui, &id).await?;
                Ok(Box::new(ImageArtifact {
                    builder_id: BUILDER_ID.to_string(),
                    id: image,
                    tags: Vec::new(),
                }))
            }
            Finish::Export(path) => {
                let target = ctx.cwd.join(path);
                self.export(&docker, ctx.ui, &id, &target).await?;
                Ok(Box::new(ExportArtifact {
                    path: PathBuf::from(path),
                }))
            }
            Finish::Discard => Ok(Box::new(DiscardedArtifact { container: id })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_image_references() {
        assert_eq!(split_reference("busybox"), ("busybox", None));
        assert_eq!(
            split_reference("localhost:5000/a:1"),
            ("localhost:5000/a", Some("1"))
        );
        assert_eq!(
            split_reference("localhost:5000/a"),
            ("localhost:5000/a", None)
        );
    }
}
