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
use kiln_sdk::{BuildError, CancelToken, CleanupStack, Settings, Ui};
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
        cancel: &CancelToken,
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
        let settings = Settings::of("amazon-ebs builder", &cfg.component)?;
        let mut ssh = SshConfig::from_settings(&settings, host)?;
        if let Some(k) = private_key {
            ssh.target.auth.private_key = Some(k);
        }
        connect_ssh(ssh, ui, cancel).await.map(Some)
    }
}

#[async_trait]
impl Builder for AmazonEbsBuilder {
    /// Packer's step sequence for `amazon-ebs`, one named step each.
    async fn run(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Artifact>, BuildError> {
        let build = EbsBuild::start(&self.config, ctx.ui, ctx.force).await?;
        build.pre_validate().await?;
        let source = build.source_ami_info().await?;
        let net = build.network_info().await?;
        let key = build.key_pair(ctx.cleanup).await?;
        let (net, temp_group) = build.security_group(ctx.cleanup, net).await?;
        let launched = build
            .run_source_instance(ctx, &source, &net, &key, temp_group)
            .await?;
        self.provision(ctx, &source, &launched, key.private_key)
            .await?;
        build.stop_instance(ctx.cancel, &launched.id).await?;
        build.modify_instance(&launched.id).await?;
        if self.config.skip_create_ami {
            ctx.ui.say("Skipping AMI creation...");
            return Ok(Box::new(AmiArtifact::new(BTreeMap::new(), None)));
        }
        build.deregister_ami().await?;
        let keep: image::Keep = Default::default();
        let created = build.create_ami(ctx, &keep, &source, &launched.id).await?;
        let created = build
            .encrypted_ami_copy(ctx, &keep, &source, created)
            .await?;
        let amis = build.ami_region_copy(ctx, &keep, &source, &created).await?;
        build.modify_ami_attributes_and_tags(&source, &amis).await?;
        keep.store(true, Ordering::SeqCst);
        Ok(Box::new(AmiArtifact::new(amis, Some(build.aws))))
    }
}

impl AmazonEbsBuilder {
    /// Connect the communicator and run the provisioners with the build's
    /// generated data.
    async fn provision(
        &self,
        ctx: &mut BuildContext<'_>,
        source: &Source,
        launched: &launch::Launched,
        private_key: Option<String>,
    ) -> Result<(), BuildError> {
        let connected = self
            .connect(ctx.ui, ctx.cancel, launched.host.as_deref(), private_key)
            .await?;
        let mut generated = source.info.clone();
        generated.retain(|k, _| !k.starts_with("SourceAMITags."));
        generated.insert("ID".to_string(), launched.id.clone());
        let comm = match connected {
            Some((comm, g)) => {
                generated.extend(g);
                Some(comm)
            }
            None => None,
        };
        ctx.hook.provision(comm, generated).await
    }
}

/// The source AMI and what the build derives from it.
struct Source {
    image: SourceImage,
    /// `extractBuildInfo` in the build region.
    info: BTreeMap<String, String>,
    /// The renderer with the source's fields (tags, description).
    fields: Render,
    /// `ami_description`, rendered.
    ami_description: Option<String>,
}

/// The key pair the instance is launched with (`StepKeyPair`).
struct KeyPair {
    name: Option<String>,
    /// The temporary key pair's private key.
    private_key: Option<String>,
    /// The temporary key pair's name (found by the instance's cleanup).
    temporary: Option<String>,
}

/// One build's connection and settings, shared by its steps.
struct EbsBuild<'a> {
    cfg: &'a Config,
    ui: &'a Ui,
    render: Render,
    /// `ami_name`, rendered (empty with `skip_create_ami`).
    ami_name: String,
    /// `force_deregister` or `-force`.
    replacing: bool,
    aws: client::Aws,
    ec2: aws_sdk_ec2::Client,
    region: String,
    waiter: Waiter,
    ami_waiter: Waiter,
}

impl<'a> EbsBuild<'a> {
    /// Render the AMI name, connect, and make the first call
    /// (credentials and regions) before anything exists.
    async fn start(cfg: &'a Config, ui: &'a Ui, force: bool) -> Result<EbsBuild<'a>, BuildError> {
        let render = Render::new(ui.build_name());
        let ami_name = if cfg.skip_create_ami {
            String::new()
        } else {
            render.one("ami_name", &cfg.ami_name)?
        };
        let aws = client::connect(&cfg.access).await?;
        let ec2 = aws.ec2();
        let region = aws.region.clone();
        let build = EbsBuild {
            cfg,
            ui,
            render,
            ami_name,
            replacing: cfg.force_deregister || force,
            ec2,
            region,
            waiter: Waiter::new(INSTANCE_TIMEOUT, cfg.access.polling),
            ami_waiter: Waiter::new(AMI_TIMEOUT, cfg.access.polling),
            aws,
        };
        client::validate(&build.aws, &cfg.access, &cfg.ami_regions).await?;
        Ok(build)
    }

    /// `StepPreValidate`: the AMI name is free (unless replacing).
    async fn pre_validate(&self) -> Result<(), BuildError> {
        self.ui.say("Prevalidating any provided VPC information");
        if !self.cfg.skip_create_ami {
            image::prevalidate_name(&self.ec2, self.ui, &self.ami_name, self.replacing).await?;
        }
        Ok(())
    }

    /// `StepSourceAMIInfo`: the source AMI by id or filter; it must be
    /// EBS-backed.
    async fn source_ami_info(&self) -> Result<Source, BuildError> {
        let cfg = self.cfg;
        let image = match (&cfg.source_ami, &cfg.source_ami_filter) {
            (Some(id), _) => source_ami::by_id(&self.ec2, id).await?,
            (None, Some(f)) => source_ami::find(&self.ec2, f).await?,
            (None, None) => {
                return Err(BuildError::config(
                    "amazon-ebs builder: no source AMI".into(),
                ))
            }
        };
        self.ui.message(format!("Found Image ID: {}", image.id));
        if image.root_device_type == "instance-store" {
            return Err(BuildError::Step(
                "The root device of the source AMI must be EBS-backed.".into(),
            ));
        }
        let info = build_info(&self.region, &image);
        let fields = self.render.with_fields(info.clone());
        // Like tags, the description may use the source's fields.
        let ami_description = cfg
            .ami_description
            .as_deref()
            .map(|d| fields.one("ami_description", d))
            .transpose()?;
        Ok(Source {
            image,
            info,
            fields,
            ami_description,
        })
    }

    /// `StepNetworkInfo`: VPC, subnet and security groups.
    async fn network_info(&self) -> Result<launch::Network, BuildError> {
        launch::network(&self.ec2, self.ui, self.cfg).await
    }

    /// `StepKeyPair`: none, an existing key pair, or a temporary one.
    async fn key_pair(&self, cleanup: &mut CleanupStack) -> Result<KeyPair, BuildError> {
        Ok(match &self.cfg.key_pair {
            KeyPairMode::None => KeyPair {
                name: None,
                private_key: None,
                temporary: None,
            },
            KeyPairMode::Existing(name) => KeyPair {
                name: Some(name.clone()),
                private_key: None,
                temporary: None,
            },
            KeyPairMode::Temporary { name, kind } => {
                let material = launch::key_pair(&self.ec2, self.ui, cleanup, name, kind).await?;
                KeyPair {
                    name: Some(name.clone()),
                    private_key: Some(material),
                    temporary: Some(name.clone()),
                }
            }
        })
    }

    /// `StepSecurityGroup`: a temporary group when none was given.
    /// Returns the network with the group and the temporary group's id.
    async fn security_group(
        &self,
        cleanup: &mut CleanupStack,
        mut net: launch::Network,
    ) -> Result<(launch::Network, Option<String>), BuildError> {
        if !net.security_group_ids.is_empty() {
            return Ok((net, None));
        }
        let id = launch::security_group(
            &self.ec2,
            self.ui,
            cleanup,
            self.cfg,
            net.vpc_id.as_deref(),
            self.cfg.ssh_port,
        )
        .await?;
        net.security_group_ids = vec![id.clone()];
        Ok((net, Some(id)))
    }

    /// `StepRunSourceInstance` / `StepRunSpotInstance`.
    async fn run_source_instance(
        &self,
        ctx: &mut BuildContext<'_>,
        source: &Source,
        net: &launch::Network,
        key: &KeyPair,
        temp_group: Option<String>,
    ) -> Result<launch::Launched, BuildError> {
        let cfg = self.cfg;
        let mut run_tags = source.fields.map("run_tags", &cfg.run_tags)?;
        run_tags
            .entry("Name".to_string())
            .or_insert_with(|| "Packer Builder".to_string());
        let run_volume_tags = source.fields.map("run_volume_tags", &cfg.run_volume_tags)?;
        let identity = launch::Identity {
            temp_key_name: key.temporary.clone(),
            temp_group_id: temp_group,
        };
        launch::instance(
            launch::StepEnv {
                client: &self.ec2,
                ui: self.ui,
                cancel: ctx.cancel,
                cleanup: ctx.cleanup,
            },
            &launch::Launch {
                cfg,
                net,
                source_ami: &source.image.id,
                key_name: key.name.as_deref(),
                identity: &identity,
                run_tags: &run_tags,
                run_volume_tags: &run_volume_tags,
                waiter: self.waiter,
            },
        )
        .await
    }

    /// `StepStopEBSBackedInstance` (with `disable_stop_instance`, only
    /// waits for a stop made by the provisioners; its failure is ignored).
    async fn stop_instance(&self, cancel: &CancelToken, id: &str) -> Result<(), BuildError> {
        if !self.cfg.disable_stop_instance {
            launch::stop(&self.ec2, self.ui, cancel, id, self.waiter).await?;
        } else {
            self.ui
                .say("Automatic instance stop disabled. Please stop instance manually.");
            launch::stop(&self.ec2, self.ui, cancel, id, self.waiter)
                .await
                .ok();
        }
        Ok(())
    }

    /// `StepModifyEBSBackedInstance`: ENA and SR-IOV support.
    async fn modify_instance(&self, id: &str) -> Result<(), BuildError> {
        if self.cfg.ena_support == Some(true) {
            self.ui.say("Enabling Enhanced Networking (ENA)...");
            self.ec2
                .modify_instance_attribute()
                .instance_id(id)
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
        if self.cfg.sriov_support {
            self.ui.say("Enabling Enhanced Networking (SR-IOV)...");
            self.ec2
                .modify_instance_attribute()
                .instance_id(id)
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
        Ok(())
    }

    /// `StepDeregisterAMI`: when replacing, remove the AMIs of that name
    /// in the build region and every copy region.
    async fn deregister_ami(&self) -> Result<(), BuildError> {
        if !self.replacing {
            return Ok(());
        }
        let (name, snapshots) = (&self.ami_name, self.cfg.force_delete_snapshot);
        image::force_deregister(&self.ec2, self.ui, name, snapshots).await?;
        for r in &self.cfg.ami_regions {
            if r != &self.region {
                image::force_deregister(&self.aws.ec2_in(r), self.ui, name, snapshots).await?;
            }
        }
        Ok(())
    }

    /// `StepCreateAMI`: the image of the stopped instance.
    async fn create_ami(
        &self,
        ctx: &mut BuildContext<'_>,
        keep: &image::Keep,
        source: &Source,
        instance_id: &str,
    ) -> Result<aws_sdk_ec2::types::Image, BuildError> {
        image::create(
            &self.ec2,
            self.ui,
            ctx.cancel,
            ctx.cleanup,
            keep,
            &self.region,
            image::CreateImage {
                instance_id,
                name: &self.ami_name,
                description: source.ami_description.as_deref(),
                block_devices: &self.cfg.ami_block_device_mappings,
            },
            self.ami_waiter,
        )
        .await
    }

    /// `StepCreateEncryptedAMICopy`: with `encrypt_boot`, replace the
    /// image by an encrypted copy of it.
    async fn encrypted_ami_copy(
        &self,
        ctx: &mut BuildContext<'_>,
        keep: &image::Keep,
        source: &Source,
        created: aws_sdk_ec2::types::Image,
    ) -> Result<aws_sdk_ec2::types::Image, BuildError> {
        if self.cfg.encrypt_boot != Some(true) {
            return Ok(created);
        }
        let (ui, region, name) = (self.ui, &self.region, &self.ami_name);
        let unencrypted = created.image_id().unwrap_or_default().to_string();
        ui.say(format!("Creating Encrypted AMI Copy of {unencrypted}"));
        let pending =
            image::register_failure_cleanup(ctx.cleanup, &self.ec2, ui, keep, region, name);
        let id = image::copy(
            &self.aws,
            ctx.cancel,
            &pending,
            image::Copy {
                source_region: region,
                source_id: &unencrypted,
                dest_region: region,
                name,
                description: source.ami_description.as_deref(),
                encrypted: Some(true),
                kms_key_id: self.cfg.kms_key_id.as_deref(),
            },
            self.ami_waiter,
        )
        .await?;
        ui.say(format!(
            "Deregistering unencrypted AMI ({unencrypted}) and its snapshots"
        ));
        image::deregister(&self.ec2, &unencrypted, true)
            .await
            .map_err(BuildError::Step)?;
        image::wait_available(&self.ec2, ctx.cancel, &id, self.ami_waiter).await
    }

    /// `StepAMIRegionCopy`: copy the image to `ami_regions`, all at once.
    /// Returns region → AMI id, the build region included.
    async fn ami_region_copy(
        &self,
        ctx: &mut BuildContext<'_>,
        keep: &image::Keep,
        source: &Source,
        created: &aws_sdk_ec2::types::Image,
    ) -> Result<BTreeMap<String, String>, BuildError> {
        let cfg = self.cfg;
        let (ui, region) = (self.ui, &self.region);
        let build_ami = created.image_id().unwrap_or_default().to_string();
        let mut amis: BTreeMap<String, String> = BTreeMap::new();
        amis.insert(region.clone(), build_ami.clone());
        let copies: Vec<&String> = cfg.ami_regions.iter().filter(|r| *r != region).collect();
        if copies.is_empty() {
            return Ok(amis);
        }
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
                &self.aws.ec2_in(r),
                ui,
                keep,
                r,
                &self.ami_name,
            );
            tasks.push(((*r).clone(), kms, encrypted, slot));
        }
        ui.message("Waiting for all copies to complete...");
        let cancel = ctx.cancel;
        let results = futures_util::future::join_all(tasks.iter().map(|(r, kms, enc, slot)| {
            let build_ami = &build_ami;
            let description = source.ami_description.as_deref();
            async move {
                let res = image::copy(
                    &self.aws,
                    cancel,
                    slot,
                    image::Copy {
                        source_region: region,
                        source_id: build_ami,
                        dest_region: r,
                        name: &self.ami_name,
                        description,
                        encrypted: *enc,
                        kms_key_id: kms.as_deref(),
                    },
                    self.ami_waiter,
                )
                .await;
                (r.clone(), res)
            }
        }))
        .await;
        for (r, res) in results {
            amis.insert(r, res?);
        }
        Ok(amis)
    }

    /// `StepModifyAMIAttributes` + `StepCreateTags` (+ deprecation), per
    /// region.
    async fn modify_ami_attributes_and_tags(
        &self,
        source: &Source,
        amis: &BTreeMap<String, String>,
    ) -> Result<(), BuildError> {
        let cfg = self.cfg;
        for (r, id) in amis {
            let client = self.aws.ec2_in(r);
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
                self.ui,
                &img,
                &cfg.ami_users,
                &cfg.ami_groups,
                &cfg.snapshot_users,
                &cfg.snapshot_groups,
            )
            .await?;
            let region_fields = self.render.with_fields(build_info(r, &source.image));
            let ami_tags = region_fields.map("tags", &cfg.tags)?;
            let snapshot_tags = region_fields.map("snapshot_tags", &cfg.snapshot_tags)?;
            image::tag(&client, self.ui, &img, &ami_tags, &snapshot_tags).await?;
            if let Some(at) = &cfg.deprecate_at {
                image::deprecate(&client, self.ui, id, at).await?;
            }
        }
        Ok(())
    }
}
