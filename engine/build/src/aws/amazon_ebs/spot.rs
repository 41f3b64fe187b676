//! Spot instances (`spot_price`, `spot_instance_types`) the way Packer's
//! `StepRunSpotInstance` launches them: a temporary launch template and
//! an `instant` EC2 fleet of one spot instance over the allowed instance
//! types. The launch template is named in advance and deleted by the
//! instance's cleanup.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    DefaultTargetCapacityType, FleetLaunchTemplateConfigRequest,
    FleetLaunchTemplateOverridesRequest, FleetLaunchTemplateSpecificationRequest, FleetType,
    InstanceType, LaunchTemplateInstanceMarketOptionsRequest,
    LaunchTemplateSpotMarketOptionsRequest, LaunchTemplateTagSpecificationRequest, MarketType,
    RequestLaunchTemplateData, ResourceType, SpotAllocationStrategy, SpotOptionsRequest,
    TargetCapacitySpecificationRequest,
};
use aws_sdk_ec2::Client;
use base64::Engine as _;

use super::config::Config;
use super::launch::{tags, Network};
use crate::aws::client::{code, describe};

/// Everything the fleet request needs, owned (it runs on its own task).
pub struct SpotRequest {
    pub template_name: String,
    pub source_ami: String,
    pub key_name: Option<String>,
    pub net: Network,
    pub instance_types: Vec<String>,
    pub max_price: Option<String>,
    pub user_data: Option<String>,
    pub run_tags: BTreeMap<String, String>,
    pub run_volume_tags: BTreeMap<String, String>,
}

impl SpotRequest {
    pub fn new(
        cfg: &Config,
        net: &Network,
        source_ami: &str,
        key_name: Option<&str>,
        run_tags: &BTreeMap<String, String>,
        run_volume_tags: &BTreeMap<String, String>,
        template_name: String,
    ) -> Self {
        let instance_types = if cfg.spot_instance_types.is_empty() {
            cfg.instance_type.iter().cloned().collect()
        } else {
            cfg.spot_instance_types.clone()
        };
        SpotRequest {
            template_name,
            source_ami: source_ami.to_string(),
            key_name: key_name.map(str::to_string),
            net: net.clone(),
            instance_types,
            // "auto" means the on-demand price cap EC2 applies itself.
            max_price: cfg.spot_price.clone().filter(|p| p != "auto"),
            user_data: cfg.user_data.clone(),
            run_tags: run_tags.clone(),
            run_volume_tags: run_volume_tags.clone(),
        }
    }

    /// Create the launch template and the fleet; the instance id.
    pub async fn launch(self, client: Client) -> Result<String, String> {
        let mut specs = Vec::new();
        for (kind, t) in [
            (ResourceType::Instance, &self.run_tags),
            (ResourceType::Volume, &self.run_volume_tags),
        ] {
            if !t.is_empty() {
                specs.push(
                    LaunchTemplateTagSpecificationRequest::builder()
                        .resource_type(kind)
                        .set_tags(Some(tags(t)))
                        .build(),
                );
            }
        }
        let data = RequestLaunchTemplateData::builder()
            .image_id(&self.source_ami)
            .set_key_name(self.key_name.clone())
            .set_security_group_ids(Some(self.net.security_group_ids.clone()))
            .set_user_data(
                self.user_data
                    .as_ref()
                    .map(|d| base64::engine::general_purpose::STANDARD.encode(d)),
            )
            .instance_market_options(
                LaunchTemplateInstanceMarketOptionsRequest::builder()
                    .market_type(MarketType::Spot)
                    .spot_options(
                        LaunchTemplateSpotMarketOptionsRequest::builder()
                            .set_max_price(self.max_price.clone())
                            .build(),
                    )
                    .build(),
            )
            .set_tag_specifications((!specs.is_empty()).then_some(specs))
            .build();
        client
            .create_launch_template()
            .launch_template_name(&self.template_name)
            .launch_template_data(data)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "Error creating launch template for spot instance: {}",
                    describe(&e)
                )
            })?;
        let overrides = self
            .instance_types
            .iter()
            .map(|t| {
                FleetLaunchTemplateOverridesRequest::builder()
                    .instance_type(InstanceType::from(t.as_str()))
                    .set_subnet_id(self.net.subnet_id.clone())
                    .set_availability_zone(
                        self.net
                            .subnet_id
                            .is_none()
                            .then(|| self.net.availability_zone.clone())
                            .flatten(),
                    )
                    .build()
            })
            .collect();
        let out = client
            .create_fleet()
            .r#type(FleetType::Instant)
            .launch_template_configs(
                FleetLaunchTemplateConfigRequest::builder()
                    .launch_template_specification(
                        FleetLaunchTemplateSpecificationRequest::builder()
                            .launch_template_name(&self.template_name)
                            .version("$Latest")
                            .build(),
                    )
                    .set_overrides(Some(overrides))
                    .build(),
            )
            .target_capacity_specification(
                TargetCapacitySpecificationRequest::builder()
                    .total_target_capacity(1)
                    .default_target_capacity_type(DefaultTargetCapacityType::Spot)
                    .build(),
            )
            .spot_options(
                SpotOptionsRequest::builder()
                    .allocation_strategy(SpotAllocationStrategy::PriceCapacityOptimized)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| format!("Error waiting for fleet request: {}", describe(&e)))?;
        if let Some(id) = out.instances().iter().flat_map(|i| i.instance_ids()).next() {
            return Ok(id.clone());
        }
        let why: Vec<String> = out
            .errors()
            .iter()
            .map(|e| {
                format!(
                    "{}: {}",
                    e.error_code().unwrap_or_default(),
                    e.error_message().unwrap_or_default()
                )
            })
            .collect();
        Err(format!(
            "Error waiting for fleet request: no spot instance was launched ({})",
            why.join("; ")
        ))
    }
}

/// Delete the temporary launch template (gone already is fine).
pub async fn delete_template(client: &Client, name: &str) -> Result<(), String> {
    match client
        .delete_launch_template()
        .launch_template_name(name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if code(&e).is_some_and(|c| {
                c.contains("NotFound") || c == "InvalidLaunchTemplateName.NotFoundException"
            }) =>
        {
            Ok(())
        }
        Err(e) => Err(format!(
            "Error deleting launch template {name}: {}",
            describe(&e)
        )),
    }
}
