//! The `amazon-ebs` builder's configuration, read and checked before
//! anything talks to AWS (the plugin's `Prepare`). The field list itself
//! lives in `schema::builder::amazon_ebs`; this is the typed view of it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use kiln_lang::duration;
use kiln_lang::template::model::{Component, ConfigBody};
use kiln_lang::template::Value;
use kiln_sdk::{BuildError, Settings};

use super::source_ami::AmiFilter;

const COMPONENT: &str = "amazon-ebs builder";

/// Credentials, region and endpoint (`AccessConfig`).
#[derive(Clone, Default)]
pub struct Access {
    /// `access_key` (else the credential chain).
    pub access_key: Option<String>,
    /// `secret_key`.
    pub secret_key: Option<String>,
    /// `token`: a session token.
    pub token: Option<String>,
    /// `profile` in the shared files.
    pub profile: Option<String>,
    /// `shared_credentials_file`.
    pub shared_credentials_file: Option<PathBuf>,
    /// `region` (else the environment and profile's).
    pub region: Option<String>,
    /// `custom_endpoint_ec2`: an EC2 endpoint URL (moto, a proxy).
    pub custom_endpoint_ec2: Option<String>,
    /// `max_retries` of throttled or failed calls.
    pub max_retries: Option<u32>,
    /// `skip_metadata_api_check`.
    pub skip_metadata_api_check: bool,
    /// `skip_credential_validation`: no DescribeRegions call first.
    pub skip_credential_validation: bool,
    /// `skip_region_validation` (the builder's; not the data source's).
    pub skip_region_validation: bool,
    /// `assume_role {}`.
    pub assume_role: Option<AssumeRole>,
    /// `aws_polling {}` or its environment variables.
    pub polling: Option<Polling>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |o: &Option<String>| o.as_ref().map(|_| "<sensitive>");
        f.debug_struct("Access")
            .field("access_key", &hidden(&self.access_key))
            .field("secret_key", &hidden(&self.secret_key))
            .field("token", &hidden(&self.token))
            .field("profile", &self.profile)
            .field("region", &self.region)
            .field("custom_endpoint_ec2", &self.custom_endpoint_ec2)
            .field("assume_role", &self.assume_role)
            .finish()
    }
}

/// `assume_role {}`.
#[derive(Debug, Clone, Default)]
pub struct AssumeRole {
    /// `role_arn`.
    pub role_arn: String,
    /// `session_name`.
    pub session_name: Option<String>,
    /// `external_id`.
    pub external_id: Option<String>,
    /// `duration_seconds` of the assumed role's credentials.
    pub duration_seconds: Option<u32>,
    /// `policy`: an inline session policy (JSON).
    pub policy: Option<String>,
}

/// `aws_polling {}` (or `AWS_POLL_DELAY_SECONDS` / `AWS_MAX_ATTEMPTS`):
/// a fixed delay and attempt count instead of kiln's exponential backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polling {
    /// `delay_seconds` between attempts.
    pub delay: Duration,
    /// `max_attempts` before a wait fails.
    pub max_attempts: u32,
}

/// One `*_block_device_mappings` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlockDevice {
    pub device_name: String,
    pub delete_on_termination: Option<bool>,
    pub encrypted: Option<bool>,
    pub iops: Option<i32>,
    pub no_device: bool,
    pub snapshot_id: Option<String>,
    pub throughput: Option<i32>,
    pub virtual_name: Option<String>,
    pub volume_type: Option<String>,
    pub volume_size: Option<i32>,
    pub kms_key_id: Option<String>,
}

/// `metadata_options {}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetadataOptions {
    pub http_endpoint: Option<String>,
    pub http_tokens: Option<String>,
    pub http_put_response_hop_limit: Option<i32>,
    pub instance_metadata_tags: Option<String>,
}

/// `vpc_filter`, `subnet_filter`, `security_group_filter`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceFilter {
    pub filters: BTreeMap<String, String>,
    pub most_free: bool,
    pub random: bool,
}

/// How the temporary instance is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SshInterface {
    #[default]
    Default,
    PublicIp,
    PrivateIp,
    PublicDns,
    PrivateDns,
}

/// Which key the instance is launched with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPairMode {
    /// `communicator = "none"`, or a password/agent without a key name.
    None,
    /// A key pair kiln creates and deletes (`packer_<uuid>` or
    /// `temporary_key_pair_name`).
    Temporary { name: String, kind: String },
    /// `ssh_keypair_name` (with the user's `ssh_private_key_file`).
    Existing(String),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub access: Access,
    // AMI
    pub ami_name: String,
    pub ami_description: Option<String>,
    // Read so a bad value fails at prepare; CreateImage takes the
    // instance's virtualization type, so nothing sends it (as in Packer's
    // amazon-ebs, where it serves the ebssurrogate builder).
    #[allow(dead_code)]
    pub ami_virtualization_type: Option<String>,
    pub ami_users: Vec<String>,
    pub ami_groups: Vec<String>,
    pub ami_regions: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub snapshot_tags: BTreeMap<String, String>,
    pub snapshot_users: Vec<String>,
    pub snapshot_groups: Vec<String>,
    pub ena_support: Option<bool>,
    pub sriov_support: bool,
    pub force_deregister: bool,
    pub force_delete_snapshot: bool,
    pub encrypt_boot: Option<bool>,
    pub kms_key_id: Option<String>,
    pub region_kms_key_ids: BTreeMap<String, String>,
    pub deprecate_at: Option<String>,
    // Read and validated; not yet sent to EC2 (Packer registers it with
    // the AMI: a gap noted in the closing note of the layering issue).
    #[allow(dead_code)]
    pub imds_support: Option<String>,
    pub skip_create_ami: bool,
    pub ami_block_device_mappings: Vec<BlockDevice>,
    // Run
    pub source_ami: Option<String>,
    pub source_ami_filter: Option<AmiFilter>,
    pub instance_type: Option<String>,
    pub spot_price: Option<String>,
    pub spot_instance_types: Vec<String>,
    pub associate_public_ip_address: Option<bool>,
    pub availability_zone: Option<String>,
    pub ebs_optimized: bool,
    pub iam_instance_profile: Option<String>,
    pub shutdown_behavior: Option<String>,
    pub disable_stop_instance: bool,
    pub run_tags: BTreeMap<String, String>,
    pub run_volume_tags: BTreeMap<String, String>,
    pub security_group_ids: Vec<String>,
    pub security_group_filter: Option<ResourceFilter>,
    pub subnet_id: Option<String>,
    pub subnet_filter: Option<ResourceFilter>,
    pub vpc_id: Option<String>,
    pub vpc_filter: Option<ResourceFilter>,
    pub temporary_security_group_source_cidrs: Vec<String>,
    pub user_data: Option<String>,
    pub metadata_options: Option<MetadataOptions>,
    pub launch_block_device_mappings: Vec<BlockDevice>,
    pub ssh_interface: SshInterface,
    pub ssh_port: u16,
    pub communicator: String,
    pub key_pair: KeyPairMode,
    /// `ssh_clear_authorized_keys` etc. are the communicator's: the
    /// component is kept to read them at connect time.
    pub component: Component,
}

fn cfg_err(m: impl std::fmt::Display) -> BuildError {
    BuildError::config(format!("{COMPONENT}: {m}"))
}

/// A nested block (HCL2) or an object attribute (JSON) as a body.
pub fn sub_body(body: &ConfigBody, name: &str) -> Option<ConfigBody> {
    if let Some(b) = body.blocks_of(name).next() {
        return Some(b.body.clone());
    }
    match body.get(name) {
        Some(Value::Map(m)) => Some(ConfigBody::from_values(
            m.iter().map(|(k, v)| (k.as_str(), v.clone())),
        )),
        Some(Value::List(items)) => items.iter().find_map(|v| match v {
            Value::Map(m) => Some(ConfigBody::from_values(
                m.iter().map(|(k, v)| (k.as_str(), v.clone())),
            )),
            _ => None,
        }),
        _ => None,
    }
}

/// Repeated blocks (HCL2) or a list of objects (JSON) as bodies.
pub fn sub_bodies(body: &ConfigBody, name: &str) -> Vec<ConfigBody> {
    let mut out: Vec<ConfigBody> = body.blocks_of(name).map(|b| b.body.clone()).collect();
    if let Some(Value::List(items)) = body.get(name) {
        for v in items {
            if let Value::Map(m) = v {
                out.push(ConfigBody::from_values(
                    m.iter().map(|(k, v)| (k.as_str(), v.clone())),
                ));
            }
        }
    }
    out
}

/// A map attribute merged with its singular `key`/`value` (or
/// `name`/`value`) blocks (`tags` + `tag {}`).
fn tag_map(
    s: &Settings<'_>,
    map: &str,
    block: &str,
    key_field: &str,
) -> Result<BTreeMap<String, String>, BuildError> {
    let mut out = s.string_map(map)?;
    for b in sub_bodies(s.body, block) {
        let bs = s.nested(block, &b)?;
        let key = bs.required_string(key_field)?;
        out.insert(key, bs.string("value")?.unwrap_or_default());
    }
    Ok(out)
}

fn int(s: &Settings<'_>, name: &str) -> Result<Option<i64>, BuildError> {
    match s.value(name)? {
        None => Ok(None),
        Some(Value::Number(n)) if n.fract() == 0.0 => Ok(Some(*n as i64)),
        Some(Value::String(t)) if t.parse::<i64>().is_ok() => Ok(t.parse().ok()),
        Some(_) => Err(cfg_err(format!(
            "invalid value for {name:?}: a whole number is required"
        ))),
    }
}

fn i32_field(s: &Settings<'_>, name: &str) -> Result<Option<i32>, BuildError> {
    int(s, name)?
        .map(|n| {
            i32::try_from(n)
                .map_err(|_| cfg_err(format!("invalid value for {name:?}: {n} is out of range")))
        })
        .transpose()
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

fn block_devices(parent: &Settings<'_>, name: &str) -> Result<Vec<BlockDevice>, BuildError> {
    sub_bodies(parent.body, name)
        .iter()
        .map(|b| {
            let s = parent.nested(name, b)?;
            Ok(BlockDevice {
                device_name: s.string("device_name")?.unwrap_or_default(),
                delete_on_termination: s.bool("delete_on_termination")?,
                encrypted: s.bool("encrypted")?,
                iops: i32_field(&s, "iops")?,
                no_device: s.bool("no_device")?.unwrap_or(false),
                snapshot_id: non_empty(s.string("snapshot_id")?),
                throughput: i32_field(&s, "throughput")?,
                virtual_name: non_empty(s.string("virtual_name")?),
                volume_type: non_empty(s.string("volume_type")?),
                volume_size: i32_field(&s, "volume_size")?,
                kms_key_id: non_empty(s.string("kms_key_id")?),
            })
        })
        .collect::<Result<Vec<_>, BuildError>>()
        .and_then(
            |devices| match devices.iter().find(|d| d.device_name.is_empty()) {
                Some(_) => Err(cfg_err(format!(
                    "{name}: the argument \"device_name\" is required"
                ))),
                None => Ok(devices),
            },
        )
}

fn resource_filter(
    parent: &Settings<'_>,
    name: &str,
) -> Result<Option<ResourceFilter>, BuildError> {
    let Some(b) = sub_body(parent.body, name) else {
        return Ok(None);
    };
    let s = parent.nested(name, &b)?;
    let mut filters = s.string_map("filters")?;
    for f in sub_bodies(&b, "filter") {
        let fs = s.nested("filter", &f)?;
        filters.insert(
            fs.required_string("name")?,
            fs.string("value")?.unwrap_or_default(),
        );
    }
    Ok(Some(ResourceFilter {
        filters,
        most_free: s.bool("most_free")?.unwrap_or(false),
        random: s.bool("random")?.unwrap_or(false),
    }))
}

/// Read the access settings (shared with the `amazon-ami` data source).
pub fn access(s: &Settings<'_>) -> Result<Access, BuildError> {
    let body = s.body;
    let assume_role = match sub_body(body, "assume_role") {
        None => None,
        Some(b) => {
            let a = s.nested("assume_role", &b)?;
            match non_empty(a.string("role_arn")?) {
                None => None,
                Some(role_arn) => Some(AssumeRole {
                    role_arn,
                    session_name: non_empty(a.string("session_name")?),
                    external_id: non_empty(a.string("external_id")?),
                    duration_seconds: int(&a, "duration_seconds")?
                        .and_then(|n| u32::try_from(n).ok()),
                    policy: non_empty(a.string("policy")?),
                }),
            }
        }
    };
    let polling = match sub_body(body, "aws_polling") {
        Some(b) => {
            let p = s.nested("aws_polling", &b)?;
            let delay = int(&p, "delay_seconds")?.unwrap_or(2).max(0) as u64;
            let attempts = int(&p, "max_attempts")?.unwrap_or(40).max(1) as u32;
            Some(Polling {
                delay: Duration::from_secs(delay),
                max_attempts: attempts,
            })
        }
        None => {
            let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
            match (env("AWS_POLL_DELAY_SECONDS"), env("AWS_MAX_ATTEMPTS")) {
                (None, None) => None,
                (d, a) => Some(Polling {
                    delay: Duration::from_secs(d.unwrap_or(2)),
                    max_attempts: a.unwrap_or(40).max(1) as u32,
                }),
            }
        }
    };
    Ok(Access {
        access_key: non_empty(s.string("access_key")?),
        secret_key: non_empty(s.string("secret_key")?),
        token: non_empty(s.string("token")?),
        profile: non_empty(s.string("profile")?),
        shared_credentials_file: non_empty(s.string("shared_credentials_file")?).map(PathBuf::from),
        region: non_empty(s.string("region")?),
        custom_endpoint_ec2: non_empty(s.string("custom_endpoint_ec2")?),
        max_retries: int(s, "max_retries")?.and_then(|n| u32::try_from(n).ok()),
        skip_metadata_api_check: s.bool("skip_metadata_api_check")?.unwrap_or(false),
        skip_credential_validation: s.bool("skip_credential_validation")?.unwrap_or(false),
        // the builder's own (the amazon-ami data source has no such argument)
        skip_region_validation: false,
        assume_role,
        polling,
    })
}

/// Read an AMI filter body (`source_ami_filter {}` or the data source).
pub fn ami_filter(s: &Settings<'_>) -> Result<AmiFilter, BuildError> {
    let mut filters = s.string_map("filters")?;
    for f in sub_bodies(s.body, "filter") {
        let fs = s.nested("filter", &f)?;
        filters.insert(
            fs.required_string("name")?,
            fs.string("value")?.unwrap_or_default(),
        );
    }
    Ok(AmiFilter {
        filters,
        owners: s.string_list("owners")?,
        most_recent: s.bool("most_recent")?.unwrap_or(false),
        include_deprecated: s.bool("include_deprecated")?.unwrap_or(false),
    })
}

impl Config {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let body = &c.config;
        let s = Settings::of(COMPONENT, c)?;
        let access = Access {
            skip_region_validation: s.bool("skip_region_validation")?.unwrap_or(false),
            ..access(&s)?
        };
        let skip_create_ami = s.bool("skip_create_ami")?.unwrap_or(false);
        let ami_name = s.string("ami_name")?.unwrap_or_default();
        if ami_name.is_empty() && !skip_create_ami {
            return Err(cfg_err("the argument \"ami_name\" is required"));
        }
        let source_ami = non_empty(s.string("source_ami")?);
        let source_ami_filter = match sub_body(body, "source_ami_filter") {
            Some(b) => Some(ami_filter(&s.nested("source_ami_filter", &b)?)?),
            None => None,
        };
        if source_ami.is_none() && source_ami_filter.is_none() {
            return Err(cfg_err(
                "a source_ami or source_ami_filter must be specified",
            ));
        }
        let instance_type = non_empty(s.string("instance_type")?);
        let spot_instance_types = s.string_list("spot_instance_types")?;
        if instance_type.is_none() && spot_instance_types.is_empty() {
            return Err(cfg_err(
                "An instance_type must be specified (or spot_instance_types)",
            ));
        }
        let user_data = match (
            non_empty(s.string("user_data")?),
            non_empty(s.string("user_data_file")?),
        ) {
            (Some(_), Some(_)) => {
                return Err(cfg_err(
                    "Only one of user_data or user_data_file can be specified.",
                ))
            }
            (Some(d), None) => Some(d),
            (None, Some(f)) => Some(
                std::fs::read_to_string(&f)
                    .map_err(|e| cfg_err(format!("user_data_file not found: {f}: {e}")))?,
            ),
            (None, None) => None,
        };
        let mut security_group_ids = s.string_list("security_group_ids")?;
        if let Some(id) = non_empty(s.string("security_group_id")?) {
            security_group_ids.insert(0, id);
        }
        let ssh_interface = match s.string("ssh_interface")?.as_deref() {
            None | Some("") => SshInterface::Default,
            Some("public_ip") => SshInterface::PublicIp,
            Some("private_ip") => SshInterface::PrivateIp,
            Some("public_dns") => SshInterface::PublicDns,
            Some("private_dns") => SshInterface::PrivateDns,
            Some(other) => {
                return Err(cfg_err(format!(
                    "Unknown interface type: {other} (session_manager is not supported by kiln)"
                )))
            }
        };
        let communicator = non_empty(s.string("communicator")?).unwrap_or_else(|| "ssh".into());
        let key_pair = if communicator == "none" {
            KeyPairMode::None
        } else if let Some(name) = non_empty(s.string("ssh_keypair_name")?) {
            if non_empty(s.string("ssh_private_key_file")?).is_none()
                && !s.bool("ssh_agent_auth")?.unwrap_or(false)
            {
                return Err(cfg_err(
                    "ssh_private_key_file must be provided or ssh_agent_auth enabled when ssh_keypair_name is specified",
                ));
            }
            KeyPairMode::Existing(name)
        } else if non_empty(s.string("ssh_private_key_file")?).is_some()
            || s.bool("ssh_agent_auth")?.unwrap_or(false)
            || non_empty(s.string("ssh_password")?).is_some()
        {
            KeyPairMode::None
        } else {
            let kind = non_empty(s.string("temporary_key_pair_type")?)
                .unwrap_or_else(|| "rsa".to_string());
            if kind != "rsa" && kind != "ed25519" {
                return Err(cfg_err(
                    "temporary_key_pair_type requires either rsa or ed25519 as its value",
                ));
            }
            KeyPairMode::Temporary {
                name: non_empty(s.string("temporary_key_pair_name")?)
                    .unwrap_or_else(|| format!("packer_{}", uuid::Uuid::new_v4())),
                kind,
            }
        };
        let ssh_port = match int(&s, "ssh_port")? {
            None => 22,
            Some(p) => u16::try_from(p)
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| cfg_err("invalid value for \"ssh_port\": a port is required"))?,
        };
        let metadata_options = match sub_body(body, "metadata_options") {
            None => None,
            Some(b) => {
                let m = s.nested("metadata_options", &b)?;
                Some(MetadataOptions {
                    http_endpoint: non_empty(m.string("http_endpoint")?),
                    http_tokens: non_empty(m.string("http_tokens")?),
                    http_put_response_hop_limit: i32_field(&m, "http_put_response_hop_limit")?
                        .filter(|n| *n != 0),
                    instance_metadata_tags: non_empty(m.string("instance_metadata_tags")?),
                })
            }
        };
        if let Some(d) = non_empty(s.string("deprecate_at")?) {
            chrono::DateTime::parse_from_rfc3339(&d).map_err(|e| {
                cfg_err(format!(
                    "deprecate_at is not a valid RFC3339 timestamp: {d}: {e}"
                ))
            })?;
        }
        let kms_key_id = non_empty(s.string("kms_key_id")?);
        let encrypt_boot = s.bool("encrypt_boot")?;
        if kms_key_id.is_some() && encrypt_boot != Some(true) {
            return Err(cfg_err(
                "If you set a kms_key_id, you must also set encrypt_boot to true.",
            ));
        }
        let cfg = Config {
            access,
            ami_name,
            ami_description: non_empty(s.string("ami_description")?),
            ami_virtualization_type: non_empty(s.string("ami_virtualization_type")?),
            ami_users: s.string_list("ami_users")?,
            ami_groups: s.string_list("ami_groups")?,
            ami_regions: s.string_list("ami_regions")?,
            tags: tag_map(&s, "tags", "tag", "key")?,
            snapshot_tags: tag_map(&s, "snapshot_tags", "snapshot_tag", "key")?,
            snapshot_users: s.string_list("snapshot_users")?,
            snapshot_groups: s.string_list("snapshot_groups")?,
            ena_support: s.bool("ena_support")?,
            sriov_support: s.bool("sriov_support")?.unwrap_or(false),
            force_deregister: s.bool("force_deregister")?.unwrap_or(false),
            force_delete_snapshot: s.bool("force_delete_snapshot")?.unwrap_or(false),
            encrypt_boot,
            kms_key_id,
            region_kms_key_ids: s.string_map("region_kms_key_ids")?,
            deprecate_at: non_empty(s.string("deprecate_at")?),
            imds_support: non_empty(s.string("imds_support")?),
            skip_create_ami,
            ami_block_device_mappings: block_devices(&s, "ami_block_device_mappings")?,
            source_ami,
            source_ami_filter,
            instance_type,
            spot_price: non_empty(s.string("spot_price")?),
            spot_instance_types,
            associate_public_ip_address: s.bool("associate_public_ip_address")?,
            availability_zone: non_empty(s.string("availability_zone")?),
            ebs_optimized: s.bool("ebs_optimized")?.unwrap_or(false),
            iam_instance_profile: non_empty(s.string("iam_instance_profile")?),
            shutdown_behavior: non_empty(s.string("shutdown_behavior")?),
            disable_stop_instance: s.bool("disable_stop_instance")?.unwrap_or(false),
            run_tags: tag_map(&s, "run_tags", "run_tag", "key")?,
            run_volume_tags: tag_map(&s, "run_volume_tags", "run_volume_tag", "name")?,
            security_group_ids,
            security_group_filter: resource_filter(&s, "security_group_filter")?,
            subnet_id: non_empty(s.string("subnet_id")?),
            subnet_filter: resource_filter(&s, "subnet_filter")?,
            vpc_id: non_empty(s.string("vpc_id")?),
            vpc_filter: resource_filter(&s, "vpc_filter")?,
            temporary_security_group_source_cidrs: s
                .string_list("temporary_security_group_source_cidrs")?,
            user_data,
            metadata_options,
            launch_block_device_mappings: block_devices(&s, "launch_block_device_mappings")?,
            ssh_interface,
            ssh_port,
            communicator,
            key_pair,
            component: c.clone(),
        };
        if let Some(t) = s.string("ssh_timeout")? {
            duration::parse_duration(&t)
                .map_err(|e| cfg_err(format!("invalid value for \"ssh_timeout\": {e}")))?;
        }
        Ok(cfg)
    }

    /// `spot_price` asks for a spot instance.
    pub fn uses_spot(&self) -> bool {
        self.spot_price
            .as_deref()
            .is_some_and(|p| !p.is_empty() && p != "0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_lang::template::model::{ComponentKind, ConfigBlock};

    fn component(pairs: Vec<(&str, Value)>, blocks: Vec<ConfigBlock>) -> Component {
        let mut config = ConfigBody::from_values(pairs);
        config.blocks = blocks;
        Component {
            kind: ComponentKind::Builder,
            type_name: "amazon-ebs".into(),
            name: Some("t".into()),
            type_range: None,
            context: String::new(),
            config,
        }
    }

    fn filter_block() -> ConfigBlock {
        let mut filters = BTreeMap::new();
        filters.insert("name".to_string(), Value::from("ubuntu/*"));
        ConfigBlock {
            kind: "source_ami_filter".into(),
            labels: vec![],
            body: ConfigBody::from_values([
                ("filters", Value::Map(filters)),
                ("owners", Value::List(vec![Value::from("099720109477")])),
                ("most_recent", Value::Bool(true)),
            ]),
            range: None,
        }
    }

    #[test]
    fn reads_filter_block_tags_and_temporary_key() {
        let mut tags = BTreeMap::new();
        tags.insert("Base".to_string(), Value::from("{{ .SourceAMI }}"));
        let c = component(
            vec![
                ("ami_name", Value::from("x-{{timestamp}}")),
                ("instance_type", Value::from("t3.micro")),
                ("ssh_username", Value::from("ubuntu")),
                ("tags", Value::Map(tags)),
            ],
            vec![filter_block()],
        );
        let cfg = Config::prepare(&c).unwrap();
        let f = cfg.source_ami_filter.unwrap();
        assert!(f.most_recent);
        assert_eq!(f.owners, ["099720109477"]);
        assert_eq!(cfg.tags["Base"], "{{ .SourceAMI }}");
        assert!(
            matches!(cfg.key_pair, KeyPairMode::Temporary { ref name, .. } if name.starts_with("packer_"))
        );
    }

    #[test]
    fn source_and_owner_are_required() {
        let c = component(
            vec![
                ("ami_name", Value::from("abc")),
                ("instance_type", Value::from("t3.micro")),
            ],
            vec![],
        );
        let err = Config::prepare(&c).unwrap_err().to_string();
        assert!(err.contains("source_ami"), "{err}");
    }

    #[test]
    fn kms_key_needs_encrypt_boot() {
        let c = component(
            vec![
                ("ami_name", Value::from("abc")),
                ("instance_type", Value::from("t3.micro")),
                ("source_ami", Value::from("ami-1")),
                ("kms_key_id", Value::from("k")),
                ("ssh_username", Value::from("ubuntu")),
            ],
            vec![],
        );
        let err = Config::prepare(&c).unwrap_err().to_string();
        assert!(err.contains("encrypt_boot"), "{err}");
    }
}
