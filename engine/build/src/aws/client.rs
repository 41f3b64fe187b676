//! EC2 clients the AWS way: credentials from `access_key`/`secret_key`/
//! `token`, the environment, the shared files (`profile`,
//! `shared_credentials_file`), optionally an assumed role; the region;
//! `custom_endpoint_ec2`; retries with exponential backoff (throttling
//! such as `RequestLimitExceeded` and 5xx responses are retried).
//! HTTPS uses rustls on ring; plain `http://` endpoints work too.

use std::time::Duration;

use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ec2::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::Client;

use super::amazon_ebs::config::Access;
use kiln_sdk::BuildError;

/// Default attempts per API call (the first one plus retries).
const DEFAULT_ATTEMPTS: u32 = 8;

/// The resolved configuration every regional client is made from.
#[derive(Clone, Debug)]
pub struct Aws {
    /// Credentials, retries and HTTP client ([`sdk_config`]).
    pub sdk: SdkConfig,
    /// The build region.
    pub region: String,
    /// `custom_endpoint_ec2`.
    pub endpoint: Option<String>,
}

impl Aws {
    /// A client for the build region.
    pub fn ec2(&self) -> Client {
        self.ec2_in(&self.region)
    }

    /// A client for `region` (AMI copies, artifact destroy).
    pub fn ec2_in(&self, region: &str) -> Client {
        let mut b =
            aws_sdk_ec2::config::Builder::from(&self.sdk).region(Region::new(region.to_string()));
        if let Some(ep) = &self.endpoint {
            b = b.endpoint_url(ep.clone());
        }
        Client::from_conf(b.build())
    }
}

fn https_client() -> aws_sdk_ec2::config::SharedHttpClient {
    use aws_smithy_http_client::tls;
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// Resolve credentials, region and endpoint. Nothing is sent yet; see
/// [`validate`].
pub async fn connect(access: &Access) -> Result<Aws, BuildError> {
    let sdk = sdk_config(access).await?;
    connect_region(access, sdk).await
}

/// The SDK configuration of `access` on the default chain: credentials
/// (template keys, environment, shared files and profile, web identity,
/// container and instance metadata unless `skip_metadata_api_check`),
/// region, retries, and kiln's HTTPS client. Every AWS caller of kiln
/// starts here (EC2 through [`connect`], Secrets Manager in
/// [`super::secrets_manager`]).
#[allow(deprecated)] // ProfileFiles: aws-config's re-export of aws-runtime's type.
pub async fn sdk_config(access: &Access) -> Result<SdkConfig, BuildError> {
    let attempts = access
        .max_retries
        .map(|r| r.saturating_add(1))
        .unwrap_or(DEFAULT_ATTEMPTS)
        .max(1);
    let retry = RetryConfig::standard()
        .with_max_attempts(attempts)
        .with_initial_backoff(Duration::from_millis(200))
        .with_max_backoff(Duration::from_secs(20));
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .retry_config(retry);
    if let Some(r) = &access.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(p) = &access.profile {
        loader = loader.profile_name(p.clone());
    }
    let profile_files = access.shared_credentials_file.as_ref().map(|path| {
        aws_config::profile::profile_file::ProfileFiles::builder()
            .include_default_config_file(true)
            .with_file(
                aws_config::profile::profile_file::ProfileFileKind::Credentials,
                path,
            )
            .build()
    });
    if let Some(files) = &profile_files {
        loader = loader.profile_files(files.clone());
    }
    match (&access.access_key, &access.secret_key) {
        (Some(k), Some(s)) => {
            loader = loader.credentials_provider(Credentials::new(
                k.clone(),
                s.clone(),
                access.token.clone(),
                None,
                "template",
            ));
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(BuildError::config(
                "amazon-ebs builder: access_key and secret_key must be given together".into(),
            ))
        }
        (None, None) if access.skip_metadata_api_check => {
            // The default chain without the instance metadata service.
            let provider_config = aws_config::provider_config::ProviderConfig::without_region()
                .with_region(access.region.clone().map(Region::new))
                .with_http_client(https_client())
                .with_behavior_version(Some(BehaviorVersion::latest()));
            let mut profile = aws_config::profile::ProfileFileCredentialsProvider::builder()
                .configure(&provider_config);
            if let Some(p) = &access.profile {
                profile = profile.profile_name(p.clone());
            }
            if let Some(files) = profile_files {
                profile = profile.profile_files(files);
            }
            let chain = CredentialsProviderChain::first_try(
                "Environment",
                aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
            )
            .or_else("Profile", profile.build());
            loader = loader.credentials_provider(chain);
        }
        (None, None) => {}
    }
    Ok(loader.load().await)
}

/// Finish [`connect`]: the region is required; `assume_role` wraps the
/// credentials.
async fn connect_region(access: &Access, mut sdk: SdkConfig) -> Result<Aws, BuildError> {
    let region = sdk.region().map(|r| r.to_string()).ok_or_else(|| {
        BuildError::config(
            "amazon-ebs builder: no region given: set \"region\" (or AWS_REGION / AWS_DEFAULT_REGION)"
                .into(),
        )
    })?;
    if let Some(role) = &access.assume_role {
        let mut b = aws_config::sts::AssumeRoleProvider::builder(role.role_arn.clone())
            .region(Region::new(region.clone()))
            .session_name(
                role.session_name
                    .clone()
                    .unwrap_or_else(|| format!("kiln-{}", uuid::Uuid::new_v4().simple())),
            );
        if let Some(id) = &role.external_id {
            b = b.external_id(id.clone());
        }
        if let Some(p) = &role.policy {
            b = b.policy(p.clone());
        }
        if let Some(d) = role.duration_seconds {
            b = b.session_length(Duration::from_secs(u64::from(d)));
        }
        let provider = b.configure(&sdk).build().await;
        sdk = sdk
            .into_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
    }
    Ok(Aws {
        sdk,
        region,
        endpoint: access.custom_endpoint_ec2.clone(),
    })
}

/// The first call of a build, made before anything is created: it proves
/// the credentials work (unless `skip_credential_validation`) and that
/// the regions exist (unless `skip_region_validation`).
pub async fn validate(
    aws: &Aws,
    access: &Access,
    extra_regions: &[String],
) -> Result<(), BuildError> {
    if access.skip_credential_validation && access.skip_region_validation {
        return Ok(());
    }
    let out = aws
        .ec2()
        .describe_regions()
        .all_regions(true)
        .send()
        .await
        .map_err(|e| {
            let text = describe(&e);
            if is_credentials_error(&e) {
                BuildError::Step(format!(
                    "Error validating AWS credentials: {text}\n\nkiln looks for credentials in access_key/secret_key, the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY environment variables and the shared credentials file (profile); none of them worked."
                ))
            } else {
                BuildError::Step(format!("Error querying EC2 (DescribeRegions): {text}"))
            }
        })?;
    if access.skip_region_validation {
        return Ok(());
    }
    let known: Vec<String> = out
        .regions()
        .iter()
        .filter_map(|r| r.region_name().map(str::to_string))
        .collect();
    if known.is_empty() {
        return Ok(());
    }
    for r in std::iter::once(&aws.region).chain(extra_regions) {
        if !known.contains(r) {
            return Err(BuildError::config(format!(
                "amazon-ebs builder: Invalid region: {r} (set skip_region_validation to use it anyway)"
            )));
        }
    }
    Ok(())
}

fn is_credentials_error<E, R>(e: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    if let SdkError::ServiceError(s) = e {
        return matches!(
            s.err().code(),
            Some(
                "AuthFailure"
                    | "UnauthorizedOperation"
                    | "InvalidClientTokenId"
                    | "SignatureDoesNotMatch"
                    | "ExpiredToken"
                    | "OptInRequired"
            )
        );
    }
    format!("{}", DisplayErrorContext(e))
        .to_ascii_lowercase()
        .contains("credential")
}

/// One line for an SDK error: the service's code and message when there
/// is one, otherwise the whole chain of causes.
pub fn describe<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    if let SdkError::ServiceError(s) = e {
        let err = s.err();
        if let (Some(code), Some(msg)) = (err.code(), err.message()) {
            return format!("{code}: {msg}");
        }
        if let Some(code) = err.code() {
            return code.to_string();
        }
    }
    format!("{}", DisplayErrorContext(e))
}

/// The service error code, if the call reached the service.
pub fn code<E, R>(e: &SdkError<E, R>) -> Option<String>
where
    E: ProvideErrorMetadata,
{
    match e {
        SdkError::ServiceError(s) => s.err().code().map(str::to_string),
        _ => None,
    }
}

/// A step's error from an SDK error: `"{what}: {code}: {message}"`.
pub fn step_err<E, R>(what: &str, e: SdkError<E, R>) -> BuildError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    BuildError::Step(format!("{what}: {}", describe(&e)))
}
