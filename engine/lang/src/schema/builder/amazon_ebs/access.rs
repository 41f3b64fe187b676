//! Amazon `AccessConfig` (credentials, region, retries), shared by the
//! amazon-ebs builder and the amazon-ami data source.

use crate::schema::field::Field;

const ASSUME_ROLE: &[Field] = &[
    Field::string("role_arn"),
    Field::number("duration_seconds"),
    Field::string("external_id"),
    Field::string("policy"),
    Field::strings("policy_arns"),
    Field::string("session_name"),
    Field::string_map("tags"),
    Field::strings("transitive_tag_keys"),
];

const VAULT_AWS_ENGINE: &[Field] = &[
    Field::string("name"),
    Field::string("role_arn"),
    Field::string("ttl"),
    Field::string("engine_name"),
];

const AWS_POLLING: &[Field] = &[
    Field::number("delay_seconds"),
    Field::number("max_attempts"),
];

/// `AccessConfig` fields.
pub const FIELDS: &[Field] = &[
    Field::string("access_key"),
    Field::block("assume_role", ASSUME_ROLE),
    Field::string("custom_endpoint_ec2"),
    Field::string("shared_credentials_file"),
    Field::bool("decode_authorization_messages"),
    Field::bool("insecure_skip_tls_verify"),
    Field::number("max_retries"),
    Field::string("mfa_code"),
    Field::string("profile"),
    Field::string("region"),
    Field::string("secret_key"),
    Field::bool("skip_metadata_api_check"),
    Field::bool("skip_credential_validation"),
    Field::string("token"),
    Field::block("vault_aws_engine", VAULT_AWS_ENGINE),
    Field::block("aws_polling", AWS_POLLING),
];
