//! The `amazon-ami` data source: the AMI a filter selects (the same
//! filter logic and messages as the amazon-ebs builder's
//! `source_ami_filter`), as `{id, name, creation_date, owner, owner_name,
//! tags, …}`.

use std::collections::BTreeMap;

use crate::aws::amazon_ebs::{config, source_ami};
use crate::aws::client;
use crate::aws::own_thread::{self, OwnThreadError};

use kiln_lang::template::Value;
use kiln_sdk::{BuildError, Settings};

/// Why the `amazon-ami` data source failed (shown as the data block's
/// diagnostic).
#[derive(Debug, thiserror::Error)]
pub enum AmazonAmiError {
    /// The configuration is invalid, or EC2 answered with an error.
    #[error("{0}")]
    Build(#[from] BuildError),
    /// The query's runtime could not be started.
    #[error("{0}")]
    Runtime(std::io::Error),
    /// The query's thread panicked.
    #[error("the amazon-ami query thread panicked")]
    Panicked,
}

/// Query EC2 and build the data source's output.
///
/// `settings` is the configuration read through the data source's
/// description, whose rules (an owner is required) already held.
pub fn amazon_ami_output(settings: &Settings<'_>) -> Result<Value, AmazonAmiError> {
    let access = config::access(settings)?;
    let filter = config::ami_filter(settings)?;
    let image = own_thread::block_on(async move {
        let aws = client::connect(&access).await?;
        Ok::<_, AmazonAmiError>(source_ami::find(&aws.ec2(), &filter).await?)
    })
    .map_err(|e| match e {
        OwnThreadError::Runtime(e) => AmazonAmiError::Runtime(e),
        OwnThreadError::Panicked => AmazonAmiError::Panicked,
    })??;
    Ok(output(&image))
}

/// The data source's attributes for an image.
pub fn output(i: &source_ami::SourceImage) -> Value {
    let s = |v: &str| Value::from(v.to_string());
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), s(&i.id));
    m.insert("name".to_string(), s(&i.name));
    m.insert("creation_date".to_string(), s(&i.creation_date));
    m.insert("owner".to_string(), s(&i.owner));
    m.insert("owner_name".to_string(), s(&i.owner_name));
    m.insert("architecture".to_string(), s(&i.architecture));
    m.insert("image_location".to_string(), s(&i.image_location));
    m.insert("root_device_name".to_string(), s(&i.root_device_name));
    m.insert("root_device_type".to_string(), s(&i.root_device_type));
    m.insert("root_snapshot_id".to_string(), s(&i.root_snapshot_id));
    m.insert("virtualization_type".to_string(), s(&i.virtualization_type));
    m.insert(
        "tags".to_string(),
        Value::Map(i.tags.iter().map(|(k, v)| (k.clone(), s(v))).collect()),
    );
    Value::Map(m)
}
