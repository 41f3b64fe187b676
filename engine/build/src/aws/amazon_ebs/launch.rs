//! The temporary resources of a build: key pair, security group, the
//! source instance (and its extra volumes). Each cleanup is pushed on the
//! build's `CleanupStack` before the resource is created, and finds the
//! resource by a name or token fixed in advance, so an interrupt at any
//! point (even while the create call is in flight) leaves nothing behind.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, Filter, IamInstanceProfileSpecification, Instance,
    InstanceMetadataEndpointState, InstanceMetadataOptionsRequest, InstanceMetadataTagsState,
    InstanceNetworkInterfaceSpecification, InstanceStateName, InstanceType, IpPermission, IpRange,
    KeyType, Placement, ResourceType, ShutdownBehavior, Tag, TagSpecification, VolumeType,
};
use aws_sdk_ec2::Client;
use base64::Engine as _;

use super::config::{BlockDevice, Config, MetadataOptions, ResourceFilter, SshInterface};
use super::gate::Gate;
use super::source_ami::ec2_filters;
use super::spot::{delete_template, SpotRequest};
use super::wait::{Poll, Waiter};
use crate::aws::client::{code, describe, step_err};
use kiln_sdk::{BuildError, CancelToken, CleanupStack, Ui};

/// A resource id learnt after its cleanup was registered.
pub type Slot = Arc<Mutex<Option<String>>>;

pub fn slot() -> Slot {
    Arc::new(Mutex::new(None))
}

pub fn set(slot: &Slot, value: &str) {
    if let Ok(mut s) = slot.lock() {
        *s = Some(value.to_string());
    }
}

pub fn get(slot: &Slot) -> Option<String> {
    slot.lock().ok().and_then(|s| s.clone())
}

pub fn tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Create the temporary key pair; its deletion is registered first.
/// Returns the private key text.
pub async fn key_pair(
    client: &Client,
    ui: &Ui,
    cleanup: &mut CleanupStack,
    name: &str,
    kind: &str,
) -> Result<String, BuildError> {
    ui.say(format!("Creating temporary keypair: {name}"));
    let gate = Gate::new();
    {
        let client = client.clone();
        let name = name.to_string();
        let ui = ui.clone();
        let gate = gate.clone();
        cleanup.push(format!("temporary key pair {name}"), async move {
            gate.settled().await;
            ui.say("Deleting temporary keypair...");
            match client.delete_key_pair().key_name(&name).send().await {
                Ok(_) => Ok(()),
                Err(e) if code(&e).as_deref() == Some("InvalidKeyPair.NotFound") => Ok(()),
                Err(e) => Err(format!(
                    "Error cleaning up keypair. Please delete the key manually: {name}: {}",
                    describe(&e)
                )),
            }
        });
    }
    let req = client
        .create_key_pair()
        .key_name(name)
        .key_type(KeyType::from(kind))
        .send();
    let out = gate
        .run(req)
        .await?
        .map_err(|e| step_err("Error creating temporary keypair", e))?;
    let material = out
        .key_material()
        .filter(|m| !m.is_empty())
        .ok_or_else(|| {
            BuildError::Step("Error creating temporary keypair: no key material returned".into())
        })?;
    ui.add_secret(material.to_string());
    ui.add_secret(material.trim_end().to_string());
    Ok(material.to_string())
}

/// VPC, subnet and security groups from ids or filters
/// (`StepNetworkInfo`).
#[derive(Debug, Default, Clone)]
pub struct Network {
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    pub availability_zone: Option<String>,
    pub security_group_ids: Vec<String>,
}

fn filters(f: &ResourceFilter) -> Vec<Filter> {
    ec2_filters(&f.filters)
}

pub async fn network(client: &Client, ui: &Ui, cfg: &Config) -> Result<Network, BuildError> {
    let mut net = Network {
        vpc_id: cfg.vpc_id.clone(),
        subnet_id: cfg.subnet_id.clone(),
        availability_zone: cfg.availability_zone.clone(),
        security_group_ids: cfg.security_group_ids.clone(),
    };
    if net.vpc_id.is_none() {
        if let Some(f) = &cfg.vpc_filter {
            let out = client
                .describe_vpcs()
                .set_filters(Some(filters(f)))
                .send()
                .await
                .map_err(|e| step_err("Error querying VPCs", e))?;
            match out.vpcs() {
                [one] => net.vpc_id = one.vpc_id().map(str::to_string),
                [] => return Err(BuildError::Step("No VPC found matching vpc_filter".into())),
                _ => {
                    return Err(BuildError::Step(
                        "Exactly one VPC should match the filter, but several did".into(),
                    ))
                }
            }
            ui.message(format!(
                "Found VPC ID: {}",
                net.vpc_id.clone().unwrap_or_default()
            ));
        }
    }
    if net.subnet_id.is_none() {
        if let Some(f) = &cfg.subnet_filter {
            let mut fl = filters(f);
            if let Some(v) = &net.vpc_id {
                fl.push(Filter::builder().name("vpc-id").values(v).build());
            }
            let out = client
                .describe_subnets()
                .set_filters(Some(fl))
                .send()
                .await
                .map_err(|e| step_err("Error querying Subnets", e))?;
            let subnets = out.subnets();
            let chosen = if subnets.is_empty() {
                return Err(BuildError::Step(
                    "No Subnet was found matching the filters".into(),
                ));
            } else if subnets.len() == 1 {
                &subnets[0]
            } else if f.most_free {
                subnets
                    .iter()
                    .max_by_key(|s| s.available_ip_address_count().unwrap_or(0))
                    .unwrap_or(&subnets[0])
            } else if f.random {
                &subnets[uuid::Uuid::new_v4().as_u128() as usize % subnets.len()]
            } else {
                return Err(BuildError::Step(
                    "Your filter matched 2 or more Subnets. Please try a more specific search, or set random or most_free to true.".into(),
                ));
            };
            net.subnet_id = chosen.subnet_id().map(str::to_string);
            if net.availability_zone.is_none() {
                net.availability_zone = chosen.availability_zone().map(str::to_string);
            }
            ui.message(format!(
                "Found Subnet ID: {}",
                net.subnet_id.clone().unwrap_or_default()
            ));
        }
    }
    if let (Some(subnet), None) = (&net.subnet_id, &net.vpc_id) {
        let out = client
            .describe_subnets()
            .subnet_ids(subnet)
            .send()
            .await
            .map_err(|e| step_err("Describing the subnet", e))?;
        if let Some(s) = out.subnets().first() {
            net.vpc_id = s.vpc_id().map(str::to_string);
            if net.availability_zone.is_none() {
                net.availability_zone = s.availability_zone().map(str::to_string);
            }
        }
    }
    if net.security_group_ids.is_empty() {
        if let Some(f) = &cfg.security_group_filter {
            let mut fl = filters(f);
            if let Some(v) = &net.vpc_id {
                fl.push(Filter::builder().name("vpc-id").values(v).build());
            }
            let out = client
                .describe_security_groups()
                .set_filters(Some(fl))
                .send()
                .await
                .map_err(|e| step_err("Couldn't find security groups for filter", e))?;
            net.security_group_ids = out
                .security_groups()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_string))
                .collect();
            if net.security_group_ids.is_empty() {
                return Err(BuildError::Step(
                    "No security groups found matching security_group_filter".into(),
                ));
            }
            ui.message(format!(
                "Found Security Group(s): {}",
                net.security_group_ids.join(", ")
            ));
        }
    }
    Ok(net)
}

async fn find_group(client: &Client, name: &str) -> Result<Option<String>, String> {
    let out = client
        .describe_security_groups()
        .filters(Filter::builder().name("group-name").values(name).build())
        .send()
        .await
        .map_err(|e| describe(&e))?;
    Ok(out
        .security_groups()
        .iter()
        .find(|g| g.group_name() == Some(name))
        .and_then(|g| g.group_id().map(str::to_string)))
}

/// Create the temporary security group with SSH ingress; its deletion is
/// registered first (found by name if the create call did not return).
pub async fn security_group(
    client: &Client,
    ui: &Ui,
    cleanup: &mut CleanupStack,
    cfg: &Config,
    vpc_id: Option<&str>,
    port: u16,
) -> Result<String, BuildError> {
    let name = format!("packer_{}", uuid::Uuid::new_v4());
    ui.say(format!(
        "Creating temporary security group for this instance: {name}"
    ));
    let id_slot = slot();
    let gate = Gate::new();
    {
        let client = client.clone();
        let name = name.clone();
        let id_slot = id_slot.clone();
        let ui = ui.clone();
        let gate = gate.clone();
        cleanup.push(format!("temporary security group {name}"), async move {
            gate.settled().await;
            let id = match get(&id_slot) {
                Some(id) => Some(id),
                None => find_group(&client, &name).await?,
            };
            let Some(id) = id else { return Ok(()) };
            ui.say("Deleting temporary security group...");
            // The group stays in use until the instance is gone: retry
            // DependencyViolation for a while, as Packer does.
            let mut delay = Duration::from_millis(250);
            for _ in 0..20 {
                match client.delete_security_group().group_id(&id).send().await {
                    Ok(_) => return Ok(()),
                    Err(e) => match code(&e).as_deref() {
                        Some("InvalidGroup.NotFound") => return Ok(()),
                        Some("DependencyViolation") => {
                            tokio::time::sleep(delay).await;
                            delay = (delay * 2).min(Duration::from_secs(10));
                        }
                        _ => {
                            return Err(format!(
                                "Error cleaning up security group. Please delete the group manually: {id}: {}",
                                describe(&e)
                            ))
                        }
                    },
                }
            }
            Err(format!(
                "Error cleaning up security group. Please delete the group manually: {id}: still in use"
            ))
        });
    }
    let req = client
        .create_security_group()
        .group_name(&name)
        .description("Temporary group for Packer")
        .set_vpc_id(vpc_id.map(str::to_string))
        .send();
    let slot2 = id_slot.clone();
    let out = gate
        .run(async move {
            let out = req.await;
            if let Some(id) = out.as_ref().ok().and_then(|o| o.group_id()) {
                set(&slot2, id);
            }
            out
        })
        .await?
        .map_err(|e| step_err("Error creating temporary security group", e))?;
    let id = out
        .group_id()
        .ok_or_else(|| BuildError::Step("Error creating temporary security group: no id".into()))?
        .to_string();
    let cidrs = if cfg.temporary_security_group_source_cidrs.is_empty() {
        vec!["0.0.0.0/0".to_string()]
    } else {
        cfg.temporary_security_group_source_cidrs.clone()
    };
    ui.say(format!(
        "Authorizing access to port {port} from [{}] in the temporary security groups...",
        cidrs.join(" ")
    ));
    client
        .authorize_security_group_ingress()
        .group_id(&id)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(i32::from(port))
                .to_port(i32::from(port))
                .set_ip_ranges(Some(
                    cidrs
                        .iter()
                        .map(|c| IpRange::builder().cidr_ip(c).build())
                        .collect(),
                ))
                .build(),
        )
        .send()
        .await
        .map_err(|e| step_err("Error authorizing temporary security group", e))?;
    Ok(id)
}

pub fn block_device(d: &BlockDevice) -> BlockDeviceMapping {
    let mut b = BlockDeviceMapping::builder().device_name(&d.device_name);
    if d.no_device {
        return b.no_device("").build();
    }
    if let Some(v) = &d.virtual_name {
        if v.starts_with("ephemeral") {
            return b.virtual_name(v).build();
        }
    }
    let mut ebs = EbsBlockDevice::builder()
        .set_delete_on_termination(Some(d.delete_on_termination.unwrap_or(true)))
        .set_encrypted(d.encrypted)
        .set_iops(d.iops)
        .set_throughput(d.throughput)
        .set_snapshot_id(d.snapshot_id.clone())
        .set_volume_size(d.volume_size)
        .set_kms_key_id(d.kms_key_id.clone());
    if let Some(t) = &d.volume_type {
        ebs = ebs.volume_type(VolumeType::from(t.as_str()));
    }
    b = b.ebs(ebs.build());
    b.build()
}

/// The launched instance and how to reach it.
#[derive(Debug, Clone)]
pub struct Launched {
    pub id: String,
    pub host: Option<String>,
}

async fn find_instance(
    client: &Client,
    token: &str,
    key_name: Option<&str>,
    group_id: Option<&str>,
) -> Result<Option<String>, String> {
    let mut req = client.describe_instances().filters(
        Filter::builder()
            .name("instance-state-name")
            .values("pending")
            .values("running")
            .values("stopping")
            .values("stopped")
            .build(),
    );
    if let Some(k) = key_name {
        req = req.filters(Filter::builder().name("key-name").values(k).build());
    } else if let Some(g) = group_id {
        req = req.filters(
            Filter::builder()
                .name("instance.group-id")
                .values(g)
                .build(),
        );
    }
    let out = req.send().await.map_err(|e| describe(&e))?;
    let instances: Vec<_> = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .collect();
    if key_name.is_some() || group_id.is_some() {
        return Ok(instances
            .first()
            .and_then(|i| i.instance_id().map(str::to_string)));
    }
    Ok(instances
        .iter()
        .find(|i| i.client_token() == Some(token))
        .and_then(|i| i.instance_id().map(str::to_string)))
}

/// What identifies the instance for its cleanup before its id is known.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// The temporary key pair the instance is launched with, if any.
    pub temp_key_name: Option<String>,
    /// The temporary security group the instance is launched in, if any.
    pub temp_group_id: Option<String>,
}

/// What to launch (`StepRunSourceInstance` / `StepRunSpotInstance`): the
/// source AMI on the network found earlier, with the key pair and tags
/// of the build.
#[derive(Debug, Clone, Copy)]
pub struct Launch<'a> {
    /// The builder's configuration.
    pub cfg: &'a Config,
    /// VPC, subnet, availability zone and security groups.
    pub net: &'a Network,
    /// The source AMI's id.
    pub source_ami: &'a str,
    /// The key pair to launch with (temporary or existing).
    pub key_name: Option<&'a str>,
    /// Finds the instance for its cleanup before its id is known.
    pub identity: &'a Identity,
    /// `run_tags`, rendered, with the default `Name`.
    pub run_tags: &'a BTreeMap<String, String>,
    /// `run_volume_tags`, rendered.
    pub run_volume_tags: &'a BTreeMap<String, String>,
    /// How to wait for the instance to run (and to terminate).
    pub waiter: Waiter,
}

/// The build's handles a step works with: the EC2 client of the build
/// region, the UI, cancellation and the cleanup stack.
pub struct StepEnv<'a> {
    /// EC2 in the build region.
    pub client: &'a Client,
    /// Where messages go.
    pub ui: &'a Ui,
    /// Cancels waits.
    pub cancel: &'a CancelToken,
    /// Undos, pushed before each resource exists.
    pub cleanup: &'a mut CleanupStack,
}

/// The volumes attached at launch, learnt once the instance runs; read by
/// the extra-volumes cleanup.
type VolumeList = Arc<Mutex<Vec<(String, String)>>>;

/// Launch the source instance; termination (and the cleanup of extra
/// volumes) is registered before `RunInstances` is sent.
pub async fn instance(env: StepEnv<'_>, launch: &Launch<'_>) -> Result<Launched, BuildError> {
    let StepEnv {
        client,
        ui,
        cancel,
        cleanup,
    } = env;
    let cfg = launch.cfg;
    let token = uuid::Uuid::new_v4().to_string();
    let id_slot = slot();
    let gate = Gate::new();
    let volumes = register_volume_cleanup(client, ui, cleanup, cfg);
    let spot_template = register_spot_template_cleanup(client, cleanup, cfg, &gate);
    register_termination(
        client,
        ui,
        cleanup,
        &gate,
        Pending {
            id_slot: id_slot.clone(),
            token: token.clone(),
            identity: launch.identity.clone(),
        },
        launch.waiter,
    );

    ui.say("Launching a source AWS instance...");
    let req = run_instances_request(client, launch, &token);
    let spot = spot_template.map(|name| {
        SpotRequest::new(
            cfg,
            launch.net,
            launch.source_ami,
            launch.key_name,
            launch.run_tags,
            launch.run_volume_tags,
            name,
        )
    });
    let id = send_launch(client, &gate, &id_slot, req, spot).await?;
    report_run_tags(ui, launch.run_tags);
    ui.message(format!("Instance ID: {id}"));
    ui.say(format!("Waiting for instance ({id}) to become ready..."));
    let running = wait_running(client, cancel, &id, launch.waiter).await?;
    let vols = attached_volumes(&running);
    if let Ok(mut v) = volumes.lock() {
        *v = vols;
    }
    let host = ssh_host(cfg, ui, &running);
    Ok(Launched { id, host })
}

/// Push the cleanup of the volumes attached at launch (except those a
/// mapping keeps); the list is filled in once the instance runs.
fn register_volume_cleanup(
    client: &Client,
    ui: &Ui,
    cleanup: &mut CleanupStack,
    cfg: &Config,
) -> VolumeList {
    let volumes: VolumeList = Arc::new(Mutex::new(Vec::new()));
    let kept: Vec<String> = cfg
        .launch_block_device_mappings
        .iter()
        .filter(|d| d.delete_on_termination == Some(false))
        .map(|d| d.device_name.clone())
        .collect();
    let client = client.clone();
    let list = volumes.clone();
    let ui = ui.clone();
    cleanup.push("extra volumes of the source instance", async move {
        ui.say("Cleaning up any extra volumes...");
        let list: Vec<(String, String)> = list.lock().map(|v| v.clone()).unwrap_or_default();
        let ids: Vec<String> = list
            .iter()
            .filter(|(dev, _)| !kept.contains(dev))
            .map(|(_, id)| id.clone())
            .collect();
        if ids.is_empty() {
            ui.say("No volumes to clean up, skipping");
            return Ok(());
        }
        let out = client
            .describe_volumes()
            .filters(Filter::builder().name("status").values("available").build())
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let left: Vec<String> = out
            .volumes()
            .iter()
            .filter_map(|v| v.volume_id())
            .filter(|id| ids.iter().any(|i| i == id))
            .map(str::to_string)
            .collect();
        if left.is_empty() {
            ui.say("No volumes to clean up, skipping");
            return Ok(());
        }
        for id in left {
            ui.message(format!("Removing volume: {id}"));
            if let Err(e) = client.delete_volume().volume_id(&id).send().await {
                if code(&e).as_deref() != Some("InvalidVolume.NotFound") {
                    return Err(format!("Error deleting volume {id}: {}", describe(&e)));
                }
            }
        }
        Ok(())
    });
    volumes
}

/// For a spot build, name the fleet's launch template and push its
/// deletion; `None` for an on-demand build.
fn register_spot_template_cleanup(
    client: &Client,
    cleanup: &mut CleanupStack,
    cfg: &Config,
    gate: &Gate,
) -> Option<String> {
    let name = cfg
        .uses_spot()
        .then(|| format!("packer-fleet-launch-template-{}", uuid::Uuid::new_v4()))?;
    let client = client.clone();
    let template = name.clone();
    let gate = gate.clone();
    cleanup.push(format!("temporary launch template {name}"), async move {
        gate.settled().await;
        delete_template(&client, &template).await
    });
    Some(name)
}

/// How the termination cleanup finds an instance whose id it may not
/// know yet.
struct Pending {
    id_slot: Slot,
    token: String,
    identity: Identity,
}

/// Push the source instance's termination (and the wait for it).
fn register_termination(
    client: &Client,
    ui: &Ui,
    cleanup: &mut CleanupStack,
    gate: &Gate,
    pending: Pending,
    waiter: Waiter,
) {
    let client = client.clone();
    let ui = ui.clone();
    let waiter = Waiter::new(Duration::from_secs(600), waiter.fixed);
    let gate = gate.clone();
    cleanup.push("source instance", async move {
        gate.settled().await;
        let Pending {
            id_slot,
            token,
            identity,
        } = pending;
        let id = match get(&id_slot) {
            Some(id) => Some(id),
            None => {
                find_instance(
                    &client,
                    &token,
                    identity.temp_key_name.as_deref(),
                    identity.temp_group_id.as_deref(),
                )
                .await?
            }
        };
        let Some(id) = id else { return Ok(()) };
        ui.say("Terminating the source AWS instance...");
        match client.terminate_instances().instance_ids(&id).send().await {
            Ok(_) => {}
            Err(e) if code(&e).as_deref() == Some("InvalidInstanceID.NotFound") => return Ok(()),
            Err(e) => {
                return Err(format!(
                    "Error terminating instance, may still be around: {}",
                    describe(&e)
                ))
            }
        }
        // Waiting is not cancellable: cleanup runs after a cancel.
        waiter
            .until("instance to terminate", &CancelToken::new(), || {
                let client = client.clone();
                let id = id.clone();
                async move {
                    let state = instance_state(&client, &id)
                        .await
                        .map_err(BuildError::Step)?;
                    Ok(match state.as_deref() {
                        None | Some("terminated") => Poll::Done(()),
                        Some(s) => Poll::Pending(s.to_string()),
                    })
                }
            })
            .await
            .map_err(|e| format!("Error waiting for instance to terminate: {e}"))
    });
}

/// The on-demand `RunInstances` request, idempotent by `token`.
fn run_instances_request(
    client: &Client,
    launch: &Launch<'_>,
    token: &str,
) -> aws_sdk_ec2::operation::run_instances::builders::RunInstancesFluentBuilder {
    let (cfg, net) = (launch.cfg, launch.net);
    let instance_type = cfg
        .instance_type
        .clone()
        .or_else(|| cfg.spot_instance_types.first().cloned())
        .unwrap_or_default();
    let mut req = client
        .run_instances()
        .image_id(launch.source_ami)
        .instance_type(InstanceType::from(instance_type.as_str()))
        .min_count(1)
        .max_count(1)
        .client_token(token)
        .set_key_name(launch.key_name.map(str::to_string))
        .set_block_device_mappings(Some(
            cfg.launch_block_device_mappings
                .iter()
                .map(block_device)
                .collect(),
        ));
    if let Some(d) = &cfg.user_data {
        req = req.user_data(base64::engine::general_purpose::STANDARD.encode(d));
    }
    if let Some(p) = &cfg.iam_instance_profile {
        req = req.iam_instance_profile(IamInstanceProfileSpecification::builder().name(p).build());
    }
    if let Some(b) = &cfg.shutdown_behavior {
        req = req.instance_initiated_shutdown_behavior(ShutdownBehavior::from(b.as_str()));
    }
    if cfg.ebs_optimized {
        req = req.ebs_optimized(true);
    }
    if let Some(az) = &net.availability_zone {
        if net.subnet_id.is_none() {
            req = req.placement(Placement::builder().availability_zone(az).build());
        }
    }
    if let Some(m) = &cfg.metadata_options {
        req = req.metadata_options(metadata_options(m));
    }
    if let Some(public) = cfg.associate_public_ip_address {
        // A public address is a property of the network interface.
        req = req.network_interfaces(
            InstanceNetworkInterfaceSpecification::builder()
                .device_index(0)
                .associate_public_ip_address(public)
                .set_subnet_id(net.subnet_id.clone())
                .set_groups(Some(net.security_group_ids.clone()))
                .delete_on_termination(true)
                .build(),
        );
    } else {
        req = req
            .set_subnet_id(net.subnet_id.clone())
            .set_security_group_ids(Some(net.security_group_ids.clone()));
    }
    let specs = tag_specifications(launch.run_tags, launch.run_volume_tags);
    if !specs.is_empty() {
        req = req.set_tag_specifications(Some(specs));
    }
    req
}

/// `metadata_options` as the request's instance metadata options.
fn metadata_options(m: &MetadataOptions) -> InstanceMetadataOptionsRequest {
    let mut o = InstanceMetadataOptionsRequest::builder()
        .set_http_put_response_hop_limit(m.http_put_response_hop_limit);
    if let Some(e) = &m.http_endpoint {
        o = o.http_endpoint(InstanceMetadataEndpointState::from(e.as_str()));
    }
    if let Some(t) = &m.http_tokens {
        o = o.http_tokens(aws_sdk_ec2::types::HttpTokensState::from(t.as_str()));
    }
    if let Some(t) = &m.instance_metadata_tags {
        o = o.instance_metadata_tags(InstanceMetadataTagsState::from(t.as_str()));
    }
    o.build()
}

/// Tags for the instance and its volumes at launch (none when empty).
fn tag_specifications(
    run_tags: &BTreeMap<String, String>,
    run_volume_tags: &BTreeMap<String, String>,
) -> Vec<TagSpecification> {
    let mut specs = Vec::new();
    if !run_tags.is_empty() {
        specs.push(
            TagSpecification::builder()
                .resource_type(ResourceType::Instance)
                .set_tags(Some(tags(run_tags)))
                .build(),
        );
    }
    if !run_volume_tags.is_empty() {
        specs.push(
            TagSpecification::builder()
                .resource_type(ResourceType::Volume)
                .set_tags(Some(tags(run_volume_tags)))
                .build(),
        );
    }
    specs
}

/// Send the launch (on-demand `RunInstances` or the spot fleet) behind
/// the gate, recording the new id in `id_slot` for the cleanup.
async fn send_launch(
    client: &Client,
    gate: &Gate,
    id_slot: &Slot,
    req: aws_sdk_ec2::operation::run_instances::builders::RunInstancesFluentBuilder,
    spot: Option<SpotRequest>,
) -> Result<String, BuildError> {
    let slot2 = id_slot.clone();
    let launch_client = client.clone();
    gate.run(async move {
        let out = match spot {
            Some(spot) => spot.launch(launch_client).await,
            None => req
                .send()
                .await
                .map_err(|e| format!("Error launching source instance: {}", describe(&e)))
                .and_then(|o| {
                    o.instances()
                        .first()
                        .and_then(|i| i.instance_id())
                        .map(str::to_string)
                        .ok_or_else(|| {
                            "Error launching source instance: no instance returned".into()
                        })
                }),
        };
        if let Ok(id) = &out {
            set(&slot2, id);
        }
        out
    })
    .await?
    .map_err(BuildError::Step)
}

/// Report the tags the instance was launched with.
fn report_run_tags(ui: &Ui, run_tags: &BTreeMap<String, String>) {
    if !run_tags.is_empty() {
        ui.say("Adding tags to source instance");
        for (k, v) in run_tags {
            ui.message(format!("Adding tag: {k:?}: {v:?}"));
        }
    }
}

/// Wait until the instance is running; any state but pending fails.
async fn wait_running(
    client: &Client,
    cancel: &CancelToken,
    id: &str,
    waiter: Waiter,
) -> Result<Instance, BuildError> {
    waiter
        .until("instance to become ready", cancel, || {
            let client = client.clone();
            let id = id.to_string();
            async move {
                let out = client.describe_instances().instance_ids(&id).send().await;
                let out = match out {
                    Ok(o) => o,
                    // Eventual consistency: a new id may not be visible yet.
                    Err(e) if code(&e).as_deref() == Some("InvalidInstanceID.NotFound") => {
                        return Ok(Poll::Pending("not found yet".into()))
                    }
                    Err(e) => return Err(step_err("Error describing the instance", e)),
                };
                let Some(i) = out
                    .reservations()
                    .iter()
                    .flat_map(|r| r.instances())
                    .next()
                    .cloned()
                else {
                    return Ok(Poll::Pending("not found yet".into()));
                };
                let state = i.state().and_then(|s| s.name()).cloned();
                Ok(match state {
                    Some(InstanceStateName::Running) => Poll::Done(i),
                    Some(InstanceStateName::Pending) | None => {
                        Poll::Pending(state.map(|s| s.as_str().to_string()).unwrap_or_default())
                    }
                    Some(other) => {
                        return Err(BuildError::Step(format!(
                            "Error waiting for instance ({id}) to become ready: instance is {}",
                            other.as_str()
                        )))
                    }
                })
            }
        })
        .await
}

/// The EBS volumes attached to the running instance: (device, volume id).
fn attached_volumes(instance: &Instance) -> Vec<(String, String)> {
    instance
        .block_device_mappings()
        .iter()
        .filter_map(|m| {
            Some((
                m.device_name()?.to_string(),
                m.ebs()?.volume_id()?.to_string(),
            ))
        })
        .collect()
}

/// The address to reach the instance at (`ssh_interface`); reports the
/// public IP.
fn ssh_host(cfg: &Config, ui: &Ui, instance: &Instance) -> Option<String> {
    let public_dns = instance.public_dns_name().filter(|s| !s.is_empty());
    let public_ip = instance.public_ip_address().filter(|s| !s.is_empty());
    let private_ip = instance.private_ip_address().filter(|s| !s.is_empty());
    let private_dns = instance.private_dns_name().filter(|s| !s.is_empty());
    let host = match cfg.ssh_interface {
        SshInterface::PublicIp => public_ip,
        SshInterface::PrivateIp => private_ip,
        SshInterface::PublicDns => public_dns,
        SshInterface::PrivateDns => private_dns,
        SshInterface::Default => public_dns.or(public_ip).or(private_ip),
    }
    .map(str::to_string);
    if let Some(ip) = public_ip {
        ui.message(format!("Public IP: {ip}"));
    }
    host
}

/// The instance's state name; `None` when it does not exist.
pub async fn instance_state(client: &Client, id: &str) -> Result<Option<String>, String> {
    match client.describe_instances().instance_ids(id).send().await {
        Ok(out) => Ok(out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .next()
            .and_then(|i| i.state())
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_string())),
        Err(e) if code(&e).as_deref() == Some("InvalidInstanceID.NotFound") => Ok(None),
        Err(e) => Err(describe(&e)),
    }
}

/// Stop the instance and wait until it is stopped
/// (`StepStopEBSBackedInstance`).
pub async fn stop(
    client: &Client,
    ui: &Ui,
    cancel: &CancelToken,
    id: &str,
    waiter: Waiter,
) -> Result<(), BuildError> {
    ui.say("Stopping the source instance...");
    ui.message("Stopping instance");
    client
        .stop_instances()
        .instance_ids(id)
        .send()
        .await
        .map_err(|e| step_err("Error stopping instance", e))?;
    ui.say("Waiting for the instance to stop...");
    waiter
        .until("instance to stop", cancel, || async {
            let state = instance_state(client, id)
                .await
                .map_err(|e| BuildError::Step(format!("Error describing the instance: {e}")))?;
            Ok(match state.as_deref() {
                Some("stopped") => Poll::Done(()),
                Some(s @ ("terminated" | "shutting-down")) => {
                    return Err(BuildError::Step(format!(
                        "Error waiting for instance to stop: instance is {s}"
                    )))
                }
                Some(s) => Poll::Pending(s.to_string()),
                None => Poll::Pending("unknown".into()),
            })
        })
        .await
}
