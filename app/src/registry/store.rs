//! The registry's storage over the app's `sqlx::Any` pool (SQLite or
//! PostgreSQL, tables from `migrations/0002_registry.sql`).
//!
//! Recording is idempotent: a version is unique per (bucket,
//! fingerprint), a build per (version, type, name, region), and a build is
//! replaced only by a different Packer run. Every write transaction starts
//! with a write so SQLite takes its lock up front (no upgrade deadlock);
//! on PostgreSQL the channel's own row carries the served version's commit
//! order, so concurrent intakes compare against the committed value.

use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

use super::model::{rfc3339, Bucket, Build, ChannelVersion, NewVersion, Parent, Recorded, Version};
use crate::store::{now_ms, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("bucket {bucket:?} belongs to repository {owner}, not {repo}")]
    NotOwner {
        bucket: String,
        owner: String,
        repo: String,
    },
    #[error("version {fingerprint:?} of bucket {bucket:?} is revoked")]
    Revoked { bucket: String, fingerprint: String },
    #[error("no bucket {0:?}")]
    NoBucket(String),
    #[error("no version {fingerprint:?} in bucket {bucket:?}")]
    NoVersion { bucket: String, fingerprint: String },
    #[error("stored labels are not JSON: {0}")]
    Labels(#[from] serde_json::Error),
}

impl From<sqlx::Error> for RegistryError {
    fn from(e: sqlx::Error) -> Self {
        RegistryError::Store(StoreError::Db(e))
    }
}

/// Whether a version is revoked at `now` (`revoke_at` has passed).
fn revoked(revoke_at: Option<i64>, now: i64) -> bool {
    revoke_at.is_some_and(|t| t <= now)
}

fn labels(text: &str) -> Result<BTreeMap<String, String>, RegistryError> {
    Ok(serde_json::from_str(text)?)
}

/// The registry's tables.
#[derive(Clone)]
pub struct Registry {
    pool: AnyPool,
}

const VERSION_COLS: &str =
    "v.id, b.name AS bucket_name, v.fingerprint, v.git_sha, v.repo, v.run_id, v.labels, \
     v.source_image, v.created_at, v.revoke_at, v.revoke_reason";

impl Registry {
    pub fn new(store: &Store) -> Registry {
        Registry {
            pool: store.pool().clone(),
        }
    }

    /// Record versions and their builds in one transaction (all or
    /// nothing); see the module docs.
    pub async fn record(&self, nvs: &[NewVersion]) -> Result<Vec<Recorded>, RegistryError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let mut out = Vec::with_capacity(nvs.len());
        for nv in nvs {
            out.push(record_version(&mut tx, nv, now).await?);
        }
        tx.commit().await?;
        super::cache::invalidate();
        Ok(out)
    }

    async fn bucket_row(&self, name: &str) -> Result<Option<AnyRow>, RegistryError> {
        Ok(sqlx::query(
            "SELECT id, name, repo, created_at, updated_at FROM registry_buckets WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn bucket_of(&self, row: &AnyRow) -> Result<Bucket, RegistryError> {
        let id: i64 = row.try_get("id")?;
        let now = now_ms();
        let versions = sqlx::query(
            "SELECT fingerprint, revoke_at FROM registry_versions WHERE bucket_id = $1 ORDER BY commit_order DESC, id DESC",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let mut latest = None;
        for v in &versions {
            if !revoked(v.try_get("revoke_at")?, now) {
                latest = Some(v.try_get::<String, _>("fingerprint")?);
                break;
            }
        }
        let channels = sqlx::query(
            "SELECT c.name, v.fingerprint FROM registry_channels c JOIN registry_versions v ON v.id = c.version_id \
             WHERE c.bucket_id = $1 ORDER BY c.name",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("name")?, r.try_get("fingerprint")?)))
        .collect::<Result<BTreeMap<String, String>, sqlx::Error>>()?;
        Ok(Bucket {
            name: row.try_get("name")?,
            repo: row.try_get("repo")?,
            created_at: rfc3339(row.try_get("created_at")?),
            updated_at: rfc3339(row.try_get("updated_at")?),
            version_count: i64::try_from(versions.len()).unwrap_or(i64::MAX),
            latest_fingerprint: latest,
            channels,
        })
    }

    /// Every bucket, by name.
    pub async fn buckets(&self) -> Result<Vec<Bucket>, RegistryError> {
        let rows = sqlx::query(
            "SELECT id, name, repo, created_at, updated_at FROM registry_buckets ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.bucket_of(r).await?);
        }
        Ok(out)
    }

    pub async fn bucket(&self, name: &str) -> Result<Option<Bucket>, RegistryError> {
        match self.bucket_row(name).await? {
            Some(r) => Ok(Some(self.bucket_of(&r).await?)),
            None => Ok(None),
        }
    }

    /// A version row (joined with its bucket) and its builds.
    async fn version_of(&self, row: &AnyRow) -> Result<Version, RegistryError> {
        let id: i64 = row.try_get("id")?;
        let builds = sqlx::query(
            "SELECT component_type, build_name, platform, region, external_id, labels, created_at \
             FROM registry_builds WHERE version_id = $1 ORDER BY component_type, build_name, region",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let mut out_builds = Vec::with_capacity(builds.len());
        let mut images = BTreeMap::new();
        for b in &builds {
            let region: String = b.try_get("region")?;
            let external_id: String = b.try_get("external_id")?;
            if !region.is_empty() {
                images.insert(region.clone(), external_id.clone());
            }
            out_builds.push(Build {
                component_type: b.try_get("component_type")?,
                build_name: b.try_get("build_name")?,
                platform: b.try_get("platform")?,
                region: (!region.is_empty()).then_some(region),
                external_id,
                labels: labels(&b.try_get::<String, _>("labels")?)?,
                created_at: rfc3339(b.try_get("created_at")?),
            });
        }
        let source_image: Option<String> = row.try_get("source_image")?;
        let parent = match &source_image {
            Some(src) => sqlx::query(
                "SELECT b.name, v.fingerprint FROM registry_builds x \
                 JOIN registry_versions v ON v.id = x.version_id JOIN registry_buckets b ON b.id = v.bucket_id \
                 WHERE x.external_id = $1 ORDER BY x.id LIMIT 1",
            )
            .bind(src)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| -> Result<Parent, sqlx::Error> {
                Ok(Parent {
                    bucket_name: r.try_get("name")?,
                    fingerprint: r.try_get("fingerprint")?,
                })
            })
            .transpose()?,
            None => None,
        };
        let revoke_at: Option<i64> = row.try_get("revoke_at")?;
        Ok(Version {
            bucket_name: row.try_get("bucket_name")?,
            fingerprint: row.try_get("fingerprint")?,
            git_sha: row.try_get("git_sha")?,
            repo: row.try_get("repo")?,
            run_id: row.try_get("run_id")?,
            labels: labels(&row.try_get::<String, _>("labels")?)?,
            source_image,
            parent,
            created_at: rfc3339(row.try_get("created_at")?),
            revoked: revoked(revoke_at, now_ms()),
            revoke_at: revoke_at.map(rfc3339),
            revoke_reason: row.try_get("revoke_reason")?,
            builds: out_builds,
            images,
        })
    }

    /// Every version of a bucket, newest commit first (revoked ones too,
    /// marked); `None` when the bucket does not exist.
    pub async fn versions(&self, bucket: &str) -> Result<Option<Vec<Version>>, RegistryError> {
        if self.bucket_row(bucket).await?.is_none() {
            return Ok(None);
        }
        let rows = sqlx::query(&format!(
            "SELECT {VERSION_COLS} FROM registry_versions v JOIN registry_buckets b ON b.id = v.bucket_id \
             WHERE b.name = $1 ORDER BY v.commit_order DESC, v.id DESC"
        ))
        .bind(bucket)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.version_of(r).await?);
        }
        Ok(Some(out))
    }

    /// One version, revoked or not (the caller decides whether to serve it).
    pub async fn version(
        &self,
        bucket: &str,
        fingerprint: &str,
    ) -> Result<Option<Version>, RegistryError> {
        let row = sqlx::query(&format!(
            "SELECT {VERSION_COLS} FROM registry_versions v JOIN registry_buckets b ON b.id = v.bucket_id \
             WHERE b.name = $1 AND v.fingerprint = $2"
        ))
        .bind(bucket)
        .bind(fingerprint)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some(self.version_of(&r).await?)),
            None => Ok(None),
        }
    }

    /// The version a channel points at (revoked or not).
    pub async fn channel(
        &self,
        bucket: &str,
        channel: &str,
    ) -> Result<Option<ChannelVersion>, RegistryError> {
        let row = sqlx::query(&format!(
            "SELECT {VERSION_COLS}, c.name AS channel_name, c.updated_at AS channel_updated_at, c.updated_by \
             FROM registry_channels c JOIN registry_buckets b ON b.id = c.bucket_id \
             JOIN registry_versions v ON v.id = c.version_id WHERE b.name = $1 AND c.name = $2"
        ))
        .bind(bucket)
        .bind(channel)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(ChannelVersion {
            channel_name: r.try_get("channel_name")?,
            updated_at: rfc3339(r.try_get("channel_updated_at")?),
            updated_by: r.try_get("updated_by")?,
            version: self.version_of(&r).await?,
        }))
    }

    async fn version_ids(
        &self,
        bucket: &str,
        fingerprint: &str,
    ) -> Result<(i64, i64, i64, Option<i64>), RegistryError> {
        let b = self
            .bucket_row(bucket)
            .await?
            .ok_or_else(|| RegistryError::NoBucket(bucket.to_string()))?;
        let bucket_id: i64 = b.try_get("id")?;
        let v = sqlx::query(
            "SELECT id, commit_order, revoke_at FROM registry_versions WHERE bucket_id = $1 AND fingerprint = $2",
        )
        .bind(bucket_id)
        .bind(fingerprint)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| RegistryError::NoVersion {
            bucket: bucket.to_string(),
            fingerprint: fingerprint.to_string(),
        })?;
        Ok((
            bucket_id,
            v.try_get("id")?,
            v.try_get("commit_order")?,
            v.try_get("revoke_at")?,
        ))
    }

    /// The repository that owns a bucket.
    pub async fn owner(&self, bucket: &str) -> Result<Option<String>, RegistryError> {
        match self.bucket_row(bucket).await? {
            Some(r) => Ok(Some(r.try_get("repo")?)),
            None => Ok(None),
        }
    }

    /// Point a channel at a version (created if missing). A revoked
    /// version cannot be assigned.
    pub async fn assign_channel(
        &self,
        bucket: &str,
        channel: &str,
        fingerprint: &str,
        by: &str,
    ) -> Result<(), RegistryError> {
        let (bucket_id, version_id, order, revoke_at) =
            self.version_ids(bucket, fingerprint).await?;
        if revoked(revoke_at, now_ms()) {
            return Err(RegistryError::Revoked {
                bucket: bucket.to_string(),
                fingerprint: fingerprint.to_string(),
            });
        }
        sqlx::query(
            "INSERT INTO registry_channels (bucket_id, name, version_id, commit_order, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (bucket_id, name) DO UPDATE SET \
             version_id = excluded.version_id, commit_order = excluded.commit_order, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(bucket_id)
        .bind(channel)
        .bind(version_id)
        .bind(order)
        .bind(now_ms())
        .bind(by)
        .execute(&self.pool)
        .await?;
        super::cache::invalidate();
        Ok(())
    }

    /// Revoke a version now or at `at` (Unix ms) with a reason. Channels
    /// keep pointing at it but stop serving it once revoked.
    pub async fn revoke(
        &self,
        bucket: &str,
        fingerprint: &str,
        at: Option<i64>,
        reason: &str,
    ) -> Result<i64, RegistryError> {
        let (_, version_id, _, _) = self.version_ids(bucket, fingerprint).await?;
        let at = at.unwrap_or_else(now_ms);
        sqlx::query(
            "UPDATE registry_versions SET revoke_at = $1, revoke_reason = $2 WHERE id = $3",
        )
        .bind(at)
        .bind(reason)
        .bind(version_id)
        .execute(&self.pool)
        .await?;
        super::cache::invalidate();
        Ok(at)
    }

    /// Store a new token's hash for `repo`.
    pub async fn add_token(&self, repo: &str, token_hash: &str) -> Result<(), RegistryError> {
        sqlx::query(
            "INSERT INTO registry_tokens (repo, token_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(repo)
        .bind(token_hash)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The repository a token hash belongs to.
    pub async fn token_repo(&self, token_hash: &str) -> Result<Option<String>, RegistryError> {
        let row = sqlx::query("SELECT repo FROM registry_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get("repo")?),
            None => None,
        })
    }
}

/// One version of [`Registry::record`], inside its transaction: the
/// bucket (created, or checked to be the repository's), the version, its
/// builds, its channels, and the bucket's `updated_at` when any changed.
async fn record_version(
    tx: &mut AnyConnection,
    nv: &NewVersion,
    now: i64,
) -> Result<Recorded, RegistryError> {
    let bucket_id = bucket_of_repo(tx, nv, now).await?;
    let (version_id, commit_order, created) = insert_version(tx, bucket_id, nv, now).await?;
    let mut builds_recorded = 0;
    for b in &nv.builds {
        builds_recorded += sqlx::query(
                "INSERT INTO registry_builds (version_id, component_type, build_name, platform, region, external_id, packer_run, labels, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (version_id, component_type, build_name, region) DO UPDATE SET \
                 external_id = excluded.external_id, packer_run = excluded.packer_run, labels = excluded.labels, created_at = excluded.created_at \
                 WHERE registry_builds.packer_run <> excluded.packer_run",
            )
            .bind(version_id)
            .bind(&b.component_type)
            .bind(&b.build_name)
            .bind(&b.platform)
            .bind(b.region.clone().unwrap_or_default())
            .bind(&b.external_id)
            .bind(&b.packer_run)
            .bind(serde_json::to_string(&b.labels)?)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    let mut channel_moved = false;
    for ch in &nv.channels {
        channel_moved |= sqlx::query(
                "INSERT INTO registry_channels (bucket_id, name, version_id, commit_order, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (bucket_id, name) DO UPDATE SET \
                 version_id = excluded.version_id, commit_order = excluded.commit_order, \
                 updated_at = excluded.updated_at, updated_by = excluded.updated_by \
                 WHERE registry_channels.commit_order <= excluded.commit_order \
                 AND registry_channels.version_id <> excluded.version_id",
            )
            .bind(bucket_id)
            .bind(ch)
            .bind(version_id)
            .bind(commit_order)
            .bind(now)
            .bind(format!("intake:{}", nv.repo))
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
    }
    if created || builds_recorded > 0 || channel_moved {
        sqlx::query("UPDATE registry_buckets SET updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(bucket_id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(Recorded {
        bucket_name: nv.bucket.clone(),
        fingerprint: nv.fingerprint.clone(),
        version_created: created,
        builds_recorded,
        channel_moved,
    })
}

/// The bucket's id, creating it for `nv.repo`; another repository's
/// bucket is refused.
async fn bucket_of_repo(
    tx: &mut AnyConnection,
    nv: &NewVersion,
    now: i64,
) -> Result<i64, RegistryError> {
    sqlx::query(
            "INSERT INTO registry_buckets (name, repo, created_at, updated_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&nv.bucket)
        .bind(&nv.repo)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let row = sqlx::query("SELECT id, repo FROM registry_buckets WHERE name = $1")
        .bind(&nv.bucket)
        .fetch_one(&mut *tx)
        .await?;
    let bucket_id: i64 = row.try_get("id")?;
    let owner: String = row.try_get("repo")?;
    if owner != nv.repo {
        return Err(RegistryError::NotOwner {
            bucket: nv.bucket.clone(),
            owner,
            repo: nv.repo.clone(),
        });
    }
    Ok(bucket_id)
}

/// The version's `(id, commit order, created now)`, inserting it when
/// new; a revoked version is refused.
async fn insert_version(
    tx: &mut AnyConnection,
    bucket_id: i64,
    nv: &NewVersion,
    now: i64,
) -> Result<(i64, i64, bool), RegistryError> {
    let labels_json = serde_json::to_string(&nv.labels)?;
    let created = sqlx::query(
            "INSERT INTO registry_versions (bucket_id, fingerprint, git_sha, repo, run_id, commit_order, labels, source_image, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (bucket_id, fingerprint) DO NOTHING",
        )
        .bind(bucket_id)
        .bind(&nv.fingerprint)
        .bind(&nv.git_sha)
        .bind(&nv.repo)
        .bind(nv.run_id)
        .bind(nv.commit_order)
        .bind(&labels_json)
        .bind(&nv.source_image)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
    let row = sqlx::query(
            "SELECT id, revoke_at, commit_order FROM registry_versions WHERE bucket_id = $1 AND fingerprint = $2",
        )
        .bind(bucket_id)
        .bind(&nv.fingerprint)
        .fetch_one(&mut *tx)
        .await?;
    let version_id: i64 = row.try_get("id")?;
    let commit_order: i64 = row.try_get("commit_order")?;
    if row.try_get::<Option<i64>, _>("revoke_at")?.is_some() {
        return Err(RegistryError::Revoked {
            bucket: nv.bucket.clone(),
            fingerprint: nv.fingerprint.clone(),
        });
    }
    Ok((version_id, commit_order, created))
}
