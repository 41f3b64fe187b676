//! Finding an AMI: `source_ami`, `source_ami_filter {filters, owners,
//! most_recent}` and the `amazon-ami` data source share this logic and
//! its messages (the plugin's `AmiFilterOptions.GetFilteredImage`).

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, Image};
use aws_sdk_ec2::Client;

use crate::aws::client::describe;
use kiln_sdk::BuildError;

/// `source_ami_filter {}` / `data "amazon-ami"`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AmiFilter {
    pub filters: BTreeMap<String, String>,
    pub owners: Vec<String>,
    pub most_recent: bool,
    pub include_deprecated: bool,
}

/// What the build knows about its source image.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceImage {
    pub id: String,
    pub name: String,
    pub owner: String,
    pub owner_name: String,
    pub creation_date: String,
    pub architecture: String,
    pub root_device_name: String,
    pub root_device_type: String,
    pub root_snapshot_id: String,
    pub virtualization_type: String,
    pub image_location: String,
    pub ena_support: bool,
    pub tags: BTreeMap<String, String>,
}

impl SourceImage {
    pub fn from_image(i: &Image) -> Self {
        let root = i.root_device_name().unwrap_or_default().to_string();
        let root_snapshot_id = i
            .block_device_mappings()
            .iter()
            .find(|m| m.device_name() == Some(root.as_str()))
            .and_then(|m| m.ebs())
            .and_then(|e| e.snapshot_id())
            .unwrap_or_default()
            .to_string();
        SourceImage {
            id: i.image_id().unwrap_or_default().to_string(),
            name: i.name().unwrap_or_default().to_string(),
            owner: i.owner_id().unwrap_or_default().to_string(),
            owner_name: i.image_owner_alias().unwrap_or_default().to_string(),
            creation_date: i.creation_date().unwrap_or_default().to_string(),
            architecture: i
                .architecture()
                .map(|a| a.as_str().to_string())
                .unwrap_or_default(),
            root_device_name: root,
            root_device_type: i
                .root_device_type()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            root_snapshot_id,
            virtualization_type: i
                .virtualization_type()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            image_location: i.image_location().unwrap_or_default().to_string(),
            ena_support: i.ena_support().unwrap_or(false),
            tags: i
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                .collect(),
        }
    }
}

/// EC2 filters from a name → value map (one value each, as the plugin
/// sends them; EC2 wildcards `*`/`?` apply).
pub fn ec2_filters(filters: &BTreeMap<String, String>) -> Vec<Filter> {
    filters
        .iter()
        .map(|(name, value)| Filter::builder().name(name).values(value).build())
        .collect()
}

fn describe_filters(f: &AmiFilter) -> String {
    f.filters
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The newest image by `CreationDate` (RFC 3339 sorts as text).
pub fn most_recent(images: &[Image]) -> Option<&Image> {
    images
        .iter()
        .max_by(|a, b| a.creation_date().cmp(&b.creation_date()))
}

/// Run the filter: exactly one image, or the newest with `most_recent`.
pub async fn find(client: &Client, f: &AmiFilter) -> Result<SourceImage, BuildError> {
    let mut req = client
        .describe_images()
        .set_filters(Some(ec2_filters(&f.filters)))
        .set_owners((!f.owners.is_empty()).then(|| f.owners.clone()));
    if f.include_deprecated {
        req = req.include_deprecated(true);
    }
    let out = req
        .send()
        .await
        .map_err(|e| BuildError::Step(format!("Error querying AMI: {}", describe(&e))))?;
    let images = out.images();
    if images.is_empty() {
        return Err(BuildError::Step(format!(
            "No AMI was found matching filters: {{{}}} (owners: {})",
            describe_filters(f),
            f.owners.join(", ")
        )));
    }
    if images.len() > 1 && !f.most_recent {
        return Err(BuildError::Step(
            "Your query returned more than one result. Please try a more specific search, or set most_recent to true.".into(),
        ));
    }
    let image = most_recent(images).unwrap_or(&images[0]);
    Ok(SourceImage::from_image(image))
}

/// `source_ami`: the image must exist.
pub async fn by_id(client: &Client, id: &str) -> Result<SourceImage, BuildError> {
    let out = client
        .describe_images()
        .image_ids(id)
        .send()
        .await
        .map_err(|e| BuildError::Step(format!("Error querying AMI: {}", describe(&e))))?;
    out.images()
        .first()
        .map(SourceImage::from_image)
        .ok_or_else(|| {
            BuildError::Step(format!(
                "No AMI was found matching filters: {{image-id: {id}}}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_recent_picks_the_latest_creation_date() {
        let imgs = vec![
            Image::builder()
                .image_id("ami-1")
                .creation_date("2023-01-01T00:00:00.000Z")
                .build(),
            Image::builder()
                .image_id("ami-2")
                .creation_date("2024-05-01T00:00:00.000Z")
                .build(),
            Image::builder()
                .image_id("ami-3")
                .creation_date("2022-01-01T00:00:00.000Z")
                .build(),
        ];
        assert_eq!(most_recent(&imgs).and_then(|i| i.image_id()), Some("ami-2"));
    }

    #[test]
    fn one_filter_per_entry_with_its_value() {
        let mut m = BTreeMap::new();
        m.insert("name".to_string(), "a, b".to_string());
        m.insert("root-device-type".to_string(), "ebs".to_string());
        let f = ec2_filters(&m);
        assert_eq!(f[0].name(), Some("name"));
        assert_eq!(f[0].values(), ["a, b"]);
        assert_eq!(f[1].values(), ["ebs"]);
    }
}
