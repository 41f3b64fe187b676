//! The `amazon-ebs` builder on the EC2 API (`aws-sdk-ec2`): launch an
//! instance from a source AMI with a temporary key pair and security
//! group, provision it over SSH, stop it, register an AMI from it, copy
//! it to other regions, share and tag it. Every temporary resource's
//! removal is on the build's cleanup stack before the resource exists.

pub mod artifact;
pub mod config;
pub mod gate;
pub mod image;
pub mod launch;
pub mod source_ami;
pub mod spot;
pub mod wait;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::aws::client;
use crate::ssh::{connect::connect_ssh, SshConfig};
use artifact::AmiArtifact;
use config::{Config, KeyPairMode};
use kiln_lang::template::json::clean::CleanFuncs;
use kiln_lang::template::json::{interpolate, InterpContext};
use kiln_lang::template::model::Component;
use kiln_sdk::artifact::Artifact;
use kiln_sdk::builder::{BuildContext, Builder};
use kiln_sdk::communicator::{Communicator, GeneratedData};
use kiln_sdk::{BuildError, Settings, Ui};
use source_ami::SourceImage;
use wait::Waiter;

#[derive(Debug)]
pub struct AmazonEbsBuilder {
    config: Config,
}

impl AmazonEbsBuilder {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        Ok(AmazonEbsBuilder {
            config: Config::prepare(c)?,
        })
    }
}

/// Renders the plugin's template strings (`{{timestamp}}`,
/// `{{ .SourceAMI }}`, `{{ clean_resource_name … }}`) with one start time
/// for the whole build.
struct Render {
    ctx: InterpContext,
}

impl Render {
    fn new(build_name: &str) -> Self {
        let mut ctx = InterpContext::now();
        ctx.clean_funcs = CleanFuncs::Amazon;
        ctx.build_name = Some(build_name.to_string());
        ctx.build_type = Some("amazon-ebs".to_string());
        Render { ctx }
    }

    fn with_fields(&self, fields: BTreeMap<String, String>) -> Render {
        let mut ctx = self.ctx.clone();
        ctx.fields = fields;
        Render { ctx }
    }

    fn one(&self, what: &str, s: &str) -> Result<String, BuildError> {
        interpolate(s, &self.ctx)
            .map_err(|e| BuildError::config(format!("amazon-ebs builder: {what}: {e}")))
    }

    fn map(
        &self,
        what: &str,
        m: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, BuildError> {
        m.iter()
            .map(|(k, v)| Ok((self.one(what, k)?, self.one(what, v)?)))
            .collect()
    }
}

/// `extractBuildInfo`: the fields tags may use.
fn build_info(region: &str, source: &SourceImage) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert("BuildRegion".to_string(), region.to_string());
    m.insert("SourceAMI".to_string(), source.id.clone());
    m.insert("SourceAMIName".to_string(), source.name.clone());
    m.insert("SourceAMIOwner".to_string(), source.owner.clone());
    m.insert("SourceAMIOwnerName".to_string(), source.owner_name.clone());
    m.insert(
        "SourceAMICreationDate".to_string(),
        source.creation_date.clone(),
    );
    for (k, v) in &source.tags {
        m.insert(format!("SourceAMITags.{k}"), v.clone());
    }
    m
}

const INSTANCE_TIMEOUT: Duration = Duration::from_secs(600);
const AMI_TIMEOUT: Duration = Duration::from_secs(1800);

impl AmazonEbsBuilder {
    async fn connect(
        &self,
        ui: &Ui,
        cancel: &kiln_sdk::CancelToken,
        host: Option<&str>,
        private_key: Option<String>,
    ) -> Result<Option<(Arc<dyn Communicator>, GeneratedData)>, BuildError> {
        let cfg = &self.config;
        match cfg.communicator.as_str() {
            "none" => return Ok(None),
            "ssh" => {}
            other => {
                return Err(BuildError::NotAvailable {
                    kind: "communicator",
                    type_name: other.to_string(),
                    available: "ssh, none".to_string(),
                })
            }
        }
        let settings = Settings::new("amazon-ebs builder", &cfg.component.config);
        let mut ssh = SshConfig::from_settings(&settings, host)?;
        if let Some(k) = private_key {
            ssh.target.auth.private_key = Some(k);
        }
        connect_ssh(ssh, ui, cancel).await.map(Some)
    }
}

#[async_trait]
impl Builder for AmazonEbsBuilder {
    async fn run(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Artifact>, BuildError> {
        let cfg = &self.config;
        let ui = ctx.ui;
        let render = Render::new(ui.build_name());
        let ami_name = if cfg.skip_create_ami {
            String::new()
        } else {
            render.one("ami_name", &cfg.ami_name)?
        };

        let aws = client::connect(&cfg.access).await?;
        let ec2 = aws.ec2();
        let region = aws.region.clone();
        let waiter = Waiter::new(INSTANCE_TIMEOUT, cfg.access.polling);
        let ami_waiter = Waiter::new(AMI_TIMEOUT, cfg.access.polling);
        // First call: credentials and regions, before anything exists.
        client::validate(&aws, &cfg.access, &cfg.ami_regions).await?;

        // StepPreValidate
        let replacing = cfg.force_deregister || ctx.force;
        ui.say("Prevalidating any provided VPC information");
        if !cfg.skip_create_ami {
            image::prevalidate_name(&ec2, ui, &ami_name, replacing).await?;
        }

        // StepSourceAMIInfo
        let source = match (&cfg.source_ami, &cfg.source_ami_filter) {
            (Some(id), _) => source_ami::by_id(&ec2, id).await?,
            (None, Some(f)) => source_ami::find(&ec2, f).await?,
            (None, None) => {
                return Err(BuildError::config(
                    "amazon-ebs builder: no source AMI".into(),
                ))
            }
        };
        ui.message(format!("Found Image ID: {}", source.id));
        if source.root_device_type == "instance-store" {
            return Err(BuildError::Step(
                "The root device of the source AMI must be EBS-backed.".into(),
            ));
        }
        let info = build_info(&region, &source);
        let fields = render.with_fields(info.clone());
        // Like tags, the description may use the source's fields.
        let ami_description = cfg
            .ami_description
            .as_deref()
            .map(|d| fields.one("ami_description", d))
            .transpose()?;

        // StepNetworkInfo
        let net = launch::network(&ec2, ui, cfg).await?;

        // StepKeyPair
        let (key_name, private_key, temp_key) = match &cfg.key_pair {
            KeyPairMode::None => (None, None, None),
            KeyPairMode::Existing(name) => (Some(name.clone()), None, None),
            KeyPairMode::Temporary { name, kind } => {
                let material = launch::key_pair(&ec2, ui, ctx.cleanup, name, kind).await?;
                (Some(name.clone()), Some(material), Some(name.clone()))
            }
        };

        // StepSecurityGroup
        let mut net = net;
        let mut temp_group = None;
        if net.security_group_ids.is_empty() {
            let id = launch::security_group(
                &ec2,
                ui,
                ctx.cleanup,
                cfg,
                net.vpc_id.as_deref(),
                cfg.ssh_port,
            )
            .await?;
            net.security_group_ids = vec![id.clone()];
            temp_group = Some(id);
        }

        // StepRunSourceInstance / StepRunSpotInstance
        let mut run_tags = fields.map("run_tags", &cfg.run_tags)?;
        run_tags
            .entry("Name".to_string())
            .or_insert_with(|| "Packer Builder".to_string());
        let run_volume_tags = fields.map("run_volume_tags", &cfg.run_volume_tags)?;
        let launched = launch::instance(
            &ec2,
            ui,
            ctx.cancel,
            ctx.cleanup,
            cfg,
            &net,
            &source.id,
            key_name.as_deref(),
            launch::Identity {
                temp_key_name: temp_key,
                temp_group_id: temp_group,
            },
            &run_tags,
            &run_volume_tags,
            waiter,
        )
        .await?;

        // Communicator + provisioners
        let connected = self
            .connect(ui, ctx.cancel, launched.host.as_deref(), private_key)
            .await?;
        let mut generated = info.clone();
        generated.retain(|k, _| !k.starts_with("SourceAMITags."));
        generated.insert("ID".to_string(), launched.id.clone());
        let comm = match connected {
            Some((comm, g)) => {
                generated.extend(g);
                Some(comm)
            }
            None => None,
        };
        ctx.hook.provision(comm, generated).await?;

        // StepStopEBSBackedInstance
        if !cfg.disable_stop_instance {
            launch::stop(&ec2, ui, ctx.cancel, &launched.id, waiter).await?;
        } else {
            ui.say("Automatic instance stop disabled. Please stop instance manually.");
            launch::stop(&ec2, ui, ctx.cancel, &launched.id, waiter)
                .await
                .ok();
        }

        // StepModifyEBSBackedInstance
        if cfg.ena_support == Some(true) {
            ui.say("Enabling Enhanced Networking (ENA)...");
            ec2.modify_instance_attribute()
                .instance_id(&launched.id)
                .ena_support(
                    aws_sdk_ec2::types::AttributeBooleanValue::builder()
                        .value(true)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| {
                    client::step_err("Error enabling Enhanced Networking (ENA) on instance", e)
                })?;
        }
        if cfg.sriov_support {
            ui.say("Enabling Enhanced Networking (SR-IOV)...");
            ec2.modify_instance_attribute()
                .instance_id(&launched.id)
                .sriov_net_support(
                    aws_sdk_ec2::types::AttributeValue::builder()
                        .value("simple")
                        .build(),
                )
                .send()
                .await
                .map_err(|e| {
                    client::step_err("Error enabling Enhanced Networking (SR-IOV) on instance", e)
                })?;
        }

        if cfg.skip_create_ami {
            ui.say("Skipping AMI creation...");
            return Ok(Box::new(AmiArtifact::new(BTreeMap::new(), None)));
        }

        // StepDeregisterAMI
        if replacing {
            image::force_deregister(&ec2, ui, &ami_name, cfg.force_delete_snapshot).await?;
            for r in &cfg.ami_regions {
                if r != &region {
                    image::force_deregister(
                        &aws.ec2_in(r),
                        ui,
                        &ami_name,
                        cfg.force_delete_snapshot,
                    )
                    .await?;
                }
            }
        }

        // StepCreateAMI
        let keep: image::Keep = Default::default();
        let mut created = image::create(
            &ec2,
            ui,
            ctx.cancel,
            ctx.cleanup,
            &keep,
            &region,
            image::CreateImage {
                instance_id: &launched.id,
                name: &ami_name,
                description: ami_description.as_deref(),
                block_devices: &cfg.ami_block_device_mappings,
            },
            ami_waiter,
        )
        .await?;

        // StepCreateEncryptedAMICopy
        if cfg.encrypt_boot == Some(true) {
            let unencrypted = created.image_id().unwrap_or_default().to_string();
            ui.say(format!("Creating Encrypted AMI Copy of {unencrypted}"));
            let pending =
                image::register_failure_cleanup(ctx.cleanup, &ec2, ui, &keep, &region, &ami_name);
            let id = image::copy(
                &aws,
                ctx.cancel,
                &pending,
                image::Copy {
                    source_region: &region,
                    source_id: &unencrypted,
                    dest_region: &region,
                    name: &ami_name,
                    description: ami_description.as_deref(),
                    encrypted: Some(true),
                    kms_key_id: cfg.kms_key_id.as_deref(),
                },
                ami_waiter,
            )
            .await?;
            ui.say(format!(
                "Deregistering unencrypted AMI ({unencrypted}) and its snapshots"
            ));
            image::deregister(&ec2, &unencrypted, true)
                .await
                .map_err(BuildError::Step)?;
            created = image::wait_available(&ec2, ctx.cancel, &id, ami_waiter).await?;
        }
        let build_ami = created.image_id().unwrap_or_default().to_string();
        let mut amis: BTreeMap<String, String> = BTreeMap::new();
        amis.insert(region.clone(), build_ami.clone());

        // StepAMIRegionCopy
        let copies: Vec<&String> = cfg.ami_regions.iter().filter(|r| **r != region).collect();
        if !copies.is_empty() {
            ui.say(format!(
                "Copying/Encrypting AMI ({build_ami}) to other regions..."
            ));
            // Every copy's failure cleanup is registered before any copy
            // starts; then they all run at once, each waiting on its own.
            let mut tasks = Vec::new();
            for r in &copies {
                ui.message(format!("Copying to: {r}"));
                let kms = cfg.region_kms_key_ids.get(r.as_str()).cloned();
                let encrypted = cfg
                    .encrypt_boot
                    .filter(|e| *e)
                    .or(kms.as_ref().map(|_| true));
                let slot = image::register_failure_cleanup(
                    ctx.cleanup,
                    &aws.ec2_in(r),
                    ui,
                    &keep,
                    r,
                    &ami_name,
                );
                tasks.push(((*r).clone(), kms, encrypted, slot));
            }
            ui.message("Waiting for all copies to complete...");
            let results =
                futures_util::future::join_all(tasks.iter().map(|(r, kms, enc, slot)| {
                    let aws = &aws;
                    let cancel = ctx.cancel;
                    let build_ami = &build_ami;
                    let region = &region;
                    let name = &ami_name;
                    let description = ami_description.as_deref();
                    async move {
                        let res = image::copy(
                            aws,
                            cancel,
                            slot,
                            image::Copy {
                                source_region: region,
                                source_id: build_ami,
                                dest_region: r,
                                name,
                                description,
                                encrypted: *enc,
                                kms_key_id: kms.as_deref(),
                            },
                            ami_waiter,
                        )
                        .await;
                        (r.clone(), res)
                    }
                }))
                .await;
            for (r, res) in results {
                amis.insert(r, res?);
            }
        }

        // StepModifyAMIAttributes + StepCreateTags, per region.
        for (r, id) in &amis {
            let client = aws.ec2_in(r);
            let out = client
                .describe_images()
                .image_ids(id)
                .send()
                .await
                .map_err(|e| client::step_err("Error retrieving details for AMI", e))?;
            let Some(img) = out.images().first().cloned() else {
                return Err(BuildError::Step(format!(
                    "Error retrieving details for AMI {id} in {r}: not found"
                )));
            };
            image::share(
                &client,
                ui,
                &img,
                &cfg.ami_users,
                &cfg.ami_groups,
                &cfg.snapshot_users,
                &cfg.snapshot_groups,
            )
            .await?;
            let region_fields = render.with_fields(build_info(r, &source));
            let ami_tags = region_fields.map("tags", &cfg.tags)?;
            let snapshot_tags = region_fields.map("snapshot_tags", &cfg.snapshot_tags)?;
            image::tag(&client, ui, &img, &ami_tags, &snapshot_tags).await?;
            if let Some(at) = &cfg.deprecate_at {
                image::deprecate(&client, ui, id, at).await?;
            }
        }

        keep.store(true, Ordering::SeqCst);
        Ok(Box::new(AmiArtifact::new(amis, Some(aws))))
    }
}
