//! The image side of a build: name collision check, `force_deregister`,
//! `CreateImage` and its wait, copies to `ami_regions` (and the encrypted
//! copy of `encrypt_boot`), launch/volume permissions, tags on AMIs and
//! their snapshots. An AMI registered by a build that then fails is
//! deregistered (with its snapshots) by a cleanup registered before the
//! create call.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_ec2::types::{
    CreateVolumePermission, CreateVolumePermissionModifications, Filter, Image, ImageState,
    LaunchPermission, LaunchPermissionModifications,
};
use aws_sdk_ec2::Client;

use super::gate::Gate;
use super::launch::{block_device, get, set, slot, tags};
use super::wait::{Poll, Waiter};
use crate::aws::client::{code, describe, step_err, Aws};
use kiln_sdk::{BuildError, CancelToken, CleanupStack, Ui};

/// Images named `name` owned by this account.
pub async fn find_by_name(client: &Client, name: &str) -> Result<Vec<Image>, BuildError> {
    let out = client
        .describe_images()
        .owners("self")
        .filters(Filter::builder().name("name").values(name).build())
        .send()
        .await
        .map_err(|e| step_err("Error querying AMI", e))?;
    Ok(out
        .images()
        .iter()
        .filter(|i| i.name() == Some(name))
        .cloned()
        .collect())
}

/// `StepPreValidate`: the name must be free unless it will be replaced.
pub async fn prevalidate_name(
    client: &Client,
    ui: &Ui,
    name: &str,
    replacing: bool,
) -> Result<(), BuildError> {
    ui.say(format!("Prevalidating AMI Name: {name}"));
    if replacing {
        return Ok(());
    }
    if let Some(existing) = find_by_name(client, name).await?.first() {
        return Err(BuildError::Step(format!(
            "Error: AMI Name: '{name}' is used by an existing AMI: {} (use -force or force_deregister = true to replace it)",
            existing.image_id().unwrap_or_default()
        )));
    }
    Ok(())
}

pub fn snapshot_ids(image: &Image) -> Vec<String> {
    image
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()).map(str::to_string))
        .collect()
}

/// Deregister `image_id` and, when asked, delete its snapshots.
pub async fn deregister(
    client: &Client,
    image_id: &str,
    delete_snapshots: bool,
) -> Result<(), String> {
    let snapshots = if delete_snapshots {
        match client.describe_images().image_ids(image_id).send().await {
            Ok(out) => out.images().first().map(snapshot_ids).unwrap_or_default(),
            Err(e) if code(&e).as_deref() == Some("InvalidAMIID.NotFound") => return Ok(()),
            Err(e) => return Err(describe(&e)),
        }
    } else {
        Vec::new()
    };
    match client.deregister_image().image_id(image_id).send().await {
        Ok(_) => {}
        Err(e)
            if matches!(
                code(&e).as_deref(),
                Some("InvalidAMIID.NotFound" | "InvalidAMIID.Unavailable")
            ) => {}
        Err(e) => {
            return Err(format!(
                "Error deregistering AMI {image_id}: {}",
                describe(&e)
            ))
        }
    }
    for s in snapshots {
        match client.delete_snapshot().snapshot_id(&s).send().await {
            Ok(_) => {}
            Err(e) if code(&e).as_deref() == Some("InvalidSnapshot.NotFound") => {}
            Err(e) => return Err(format!("Error deleting snapshot {s}: {}", describe(&e))),
        }
    }
    Ok(())
}

/// `force_deregister` (or `-force`): remove images already using the name.
pub async fn force_deregister(
    client: &Client,
    ui: &Ui,
    name: &str,
    delete_snapshots: bool,
) -> Result<(), BuildError> {
    for image in find_by_name(client, name).await? {
        let id = image.image_id().unwrap_or_default();
        ui.say(format!("Deregistered AMI id: {id}"));
        deregister(client, id, delete_snapshots)
            .await
            .map_err(BuildError::Step)?;
        if delete_snapshots {
            for s in snapshot_ids(&image) {
                ui.say(format!("Deleted snapshot: {s}"));
            }
        }
    }
    Ok(())
}

/// Wait for an AMI to be `available`.
pub async fn wait_available(
    client: &Client,
    cancel: &CancelToken,
    image_id: &str,
    waiter: Waiter,
) -> Result<Image, BuildError> {
    waiter
        .until("AMI to become ready", cancel, || async {
            let out = match client.describe_images().image_ids(image_id).send().await {
                Ok(o) => o,
                Err(e) if code(&e).as_deref() == Some("InvalidAMIID.NotFound") => {
                    return Ok(Poll::Pending("not found yet".into()))
                }
                Err(e) => return Err(step_err("Error waiting for AMI", e)),
            };
            let Some(image) = out.images().first() else {
                return Ok(Poll::Pending("not found yet".into()));
            };
            Ok(match image.state() {
                Some(ImageState::Available) => Poll::Done(image.clone()),
                Some(ImageState::Failed | ImageState::Invalid | ImageState::Error) => {
                    let reason = image
                        .state_reason()
                        .and_then(|r| r.message())
                        .unwrap_or("unknown reason");
                    return Err(BuildError::Step(format!(
                        "Error waiting for AMI ({image_id}): the AMI failed: {reason}"
                    )));
                }
                other => Poll::Pending(other.map(|s| s.as_str().to_string()).unwrap_or_default()),
            })
        })
        .await
}

/// Set once the build succeeded: AMIs registered on the way are kept.
pub type Keep = Arc<AtomicBool>;

/// Push the cleanup that deregisters an AMI (and its snapshots) unless
/// the build succeeded. `name` finds it if the create call never returned.
pub fn register_failure_cleanup(
    cleanup: &mut CleanupStack,
    client: &Client,
    ui: &Ui,
    keep: &Keep,
    region: &str,
    name: &str,
) -> Pending {
    let id_slot = slot();
    let gate = Gate::new();
    let gate2 = gate.clone();
    let client = client.clone();
    let keep = keep.clone();
    let ui = ui.clone();
    let name = name.to_string();
    let slot2 = id_slot.clone();
    cleanup.push(format!("AMI {name} in {region} (if the build fails)"), async move {
        gate2.settled().await;
        if keep.load(Ordering::SeqCst) {
            return Ok(());
        }
        let ids = match get(&slot2) {
            Some(id) => vec![id],
            None => match find_by_name(&client, &name).await {
                Ok(images) => images
                    .iter()
                    .filter_map(|i| i.image_id().map(str::to_string))
                    .collect(),
                Err(e) => return Err(e.to_string()),
            },
        };
        for id in ids {
            ui.say(format!("Deregistering the AMI and deleting associated snapshots because of cancellation, or error... ({id})"));
            deregister(&client, &id, true).await?;
        }
        Ok(())
    });
    Pending {
        slot: id_slot,
        gate,
    }
}

/// Where a create call puts the new AMI's id, and the gate its cleanup
/// waits on.
#[derive(Debug, Clone)]
pub struct Pending {
    pub slot: super::launch::Slot,
    pub gate: Gate,
}

impl Pending {
    /// Run a create/copy call that returns an image id to completion,
    /// recording the id.
    async fn run<E, F>(&self, call: F) -> Result<Result<Option<String>, E>, BuildError>
    where
        F: std::future::Future<Output = Result<Option<String>, E>> + Send + 'static,
        E: Send + 'static,
    {
        let slot = self.slot.clone();
        self.gate
            .run(async move {
                let out = call.await;
                if let Ok(Some(id)) = &out {
                    set(&slot, id);
                }
                out
            })
            .await
    }
}

/// What `CreateImage` needs.
pub struct CreateImage<'a> {
    pub instance_id: &'a str,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub block_devices: &'a [super::config::BlockDevice],
}

/// `CreateImage` from the stopped instance, then wait for it.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    client: &Client,
    ui: &Ui,
    cancel: &CancelToken,
    cleanup: &mut CleanupStack,
    keep: &Keep,
    region: &str,
    spec: CreateImage<'_>,
    waiter: Waiter,
) -> Result<Image, BuildError> {
    ui.say(format!(
        "Creating AMI {} from instance {}",
        spec.name, spec.instance_id
    ));
    let pending = register_failure_cleanup(cleanup, client, ui, keep, region, spec.name);
    let req = client
        .create_image()
        .instance_id(spec.instance_id)
        .name(spec.name)
        .set_description(spec.description.map(str::to_string))
        .set_block_device_mappings(Some(spec.block_devices.iter().map(block_device).collect()))
        .send();
    let id = pending
        .run(async move { req.await.map(|o| o.image_id().map(str::to_string)) })
        .await?
        .map_err(|e| step_err("Error creating AMI", e))?
        .ok_or_else(|| BuildError::Step("Error creating AMI: no image id returned".into()))?;
    ui.message(format!("AMI: {id}"));
    ui.say("Waiting for AMI to become ready...");
    wait_available(client, cancel, &id, waiter).await
}

/// One copy of the AMI (`ami_regions`, or the encrypted copy).
pub struct Copy<'a> {
    pub source_region: &'a str,
    pub source_id: &'a str,
    pub dest_region: &'a str,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub encrypted: Option<bool>,
    pub kms_key_id: Option<&'a str>,
}

/// `CopyImage` into `dest_region` and wait for it. The caller registered
/// the copy's failure cleanup ([`register_failure_cleanup`]) and passes
/// its slot.
pub async fn copy(
    aws: &Aws,
    cancel: &CancelToken,
    pending: &Pending,
    spec: Copy<'_>,
    waiter: Waiter,
) -> Result<String, BuildError> {
    let client = aws.ec2_in(spec.dest_region);
    let req = client
        .copy_image()
        .source_region(spec.source_region)
        .source_image_id(spec.source_id)
        .name(spec.name)
        .set_description(spec.description.map(str::to_string))
        .set_encrypted(spec.encrypted)
        .set_kms_key_id(spec.kms_key_id.map(str::to_string))
        .send();
    let id = pending
        .run(async move { req.await.map(|o| o.image_id().map(str::to_string)) })
        .await?
        .map_err(|e| {
            step_err(
                &format!(
                    "Error Copying AMI ({}) to region ({})",
                    spec.source_id, spec.dest_region
                ),
                e,
            )
        })?
        .ok_or_else(|| BuildError::Step("Error copying AMI: no image id returned".into()))?;
    wait_available(&client, cancel, &id, waiter).await?;
    Ok(id)
}

/// Launch permissions (`ami_users`, `ami_groups`) and volume permissions
/// (`snapshot_users`, `snapshot_groups`).
pub async fn share(
    client: &Client,
    ui: &Ui,
    image: &Image,
    ami_users: &[String],
    ami_groups: &[String],
    snapshot_users: &[String],
    snapshot_groups: &[String],
) -> Result<(), BuildError> {
    let id = image.image_id().unwrap_or_default();
    if !ami_users.is_empty() || !ami_groups.is_empty() {
        ui.say(format!("Modifying attributes on AMI ({id})..."));
        let mut adds: Vec<LaunchPermission> = ami_users
            .iter()
            .map(|u| LaunchPermission::builder().user_id(u).build())
            .collect();
        adds.extend(ami_groups.iter().map(|g| {
            LaunchPermission::builder()
                .group(aws_sdk_ec2::types::PermissionGroup::from(g.as_str()))
                .build()
        }));
        client
            .modify_image_attribute()
            .image_id(id)
            .launch_permission(
                LaunchPermissionModifications::builder()
                    .set_add(Some(adds))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| step_err(&format!("Error modify AMI attributes ({id})"), e))?;
    }
    if !snapshot_users.is_empty() || !snapshot_groups.is_empty() {
        let mut adds: Vec<CreateVolumePermission> = snapshot_users
            .iter()
            .map(|u| CreateVolumePermission::builder().user_id(u).build())
            .collect();
        adds.extend(snapshot_groups.iter().map(|g| {
            CreateVolumePermission::builder()
                .group(aws_sdk_ec2::types::PermissionGroup::from(g.as_str()))
                .build()
        }));
        for s in snapshot_ids(image) {
            ui.say(format!("Modifying attributes on snapshot ({s})..."));
            client
                .modify_snapshot_attribute()
                .snapshot_id(&s)
                .create_volume_permission(
                    CreateVolumePermissionModifications::builder()
                        .set_add(Some(adds.clone()))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| step_err(&format!("Error modify snapshot attributes ({s})"), e))?;
        }
    }
    Ok(())
}

/// Tag an AMI and its snapshots (`StepCreateTags`).
pub async fn tag(
    client: &Client,
    ui: &Ui,
    image: &Image,
    ami_tags: &BTreeMap<String, String>,
    snapshot_tags: &BTreeMap<String, String>,
) -> Result<(), BuildError> {
    let id = image.image_id().unwrap_or_default();
    let snaps = snapshot_ids(image);
    ui.say(format!("Adding tags to AMI ({id})..."));
    for s in &snaps {
        ui.say(format!("Tagging snapshot: {s}"));
    }
    ui.say("Creating AMI tags");
    for (k, v) in ami_tags {
        ui.message(format!("Adding tag: {k:?}: {v:?}"));
    }
    if !ami_tags.is_empty() {
        create_tags(client, vec![id.to_string()], ami_tags).await?;
    }
    ui.say("Creating snapshot tags");
    for (k, v) in snapshot_tags {
        ui.message(format!("Adding tag: {k:?}: {v:?}"));
    }
    if !snapshot_tags.is_empty() && !snaps.is_empty() {
        create_tags(client, snaps, snapshot_tags).await?;
    }
    Ok(())
}

async fn create_tags(
    client: &Client,
    ids: Vec<String>,
    t: &BTreeMap<String, String>,
) -> Result<(), BuildError> {
    // A new resource id can be invisible for a moment (eventual
    // consistency): retry "not found" a few times, as Packer does.
    let mut delay = Duration::from_millis(200);
    let mut last = String::new();
    for _ in 0..8 {
        match client
            .create_tags()
            .set_resources(Some(ids.clone()))
            .set_tags(Some(tags(t)))
            .send()
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) => {
                let c = code(&e).unwrap_or_default();
                if !c.ends_with(".NotFound") {
                    return Err(step_err("Error adding tags to resources", e));
                }
                last = describe(&e);
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
    Err(BuildError::Step(format!(
        "Error adding tags to resources ({}): {last}",
        ids.join(", ")
    )))
}

/// `deprecate_at`: schedule the AMI's deprecation.
pub async fn deprecate(client: &Client, ui: &Ui, id: &str, at: &str) -> Result<(), BuildError> {
    let t = chrono::DateTime::parse_from_rfc3339(at)
        .map_err(|e| BuildError::config(format!("deprecate_at: {e}")))?;
    ui.say(format!("Setting deprecation time of AMI ({id}) to {at}"));
    client
        .enable_image_deprecation()
        .image_id(id)
        .deprecate_at(aws_sdk_ec2::primitives::DateTime::from_secs(t.timestamp()))
        .send()
        .await
        .map_err(|e| step_err(&format!("Error setting deprecation on AMI {id}"), e))?;
    Ok(())
}
