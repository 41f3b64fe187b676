//! Durable storage behind one interface ([`Store`]): webhook deliveries
//! (dedupe), the job queue (leases, per-pull-request serialization,
//! supersession by a newer head SHA) and installation bookkeeping.
//!
//! One implementation over `sqlx::Any` serves SQLite (default, embedded)
//! and PostgreSQL (several replicas); the few dialect differences (the
//! auto-increment key, `FOR UPDATE SKIP LOCKED`) live here.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Row};

use crate::ids::{CommitSha, RepoName};
use crate::job::{JobKind, UnknownJobKind};

/// Embedded migrations, applied in order at start.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_registry.sql")),
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("unsupported database URL {0:?} (use sqlite://FILE or postgres://…)")]
    Url(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: JobKind,
    pub installation_id: i64,
    pub repo: RepoName,
    /// Serialization key: `owner/repo#N` for a pull request.
    pub pr_key: String,
    pub head_sha: CommitSha,
    pub payload: String,
    /// Skip when this PR already has a job for the same head SHA
    /// (`check_suite.requested` arriving beside `pull_request.synchronize`).
    pub skip_if_seen: bool,
}

/// Installation bookkeeping carried by `installation*` events.
#[derive(Debug, Clone)]
pub enum InstallOp {
    Upsert {
        id: i64,
        account: String,
        active: bool,
        add_repos: Vec<String>,
        remove_repos: Vec<String>,
    },
}

/// One verified delivery to record.
#[derive(Debug, Clone)]
pub struct Intake {
    pub delivery_id: String,
    pub event: String,
    pub job: Option<NewJob>,
    pub install: Option<InstallOp>,
}

/// What recording a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntakeOutcome {
    Recorded,
    Duplicate,
}

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    /// The stored kind; one this version does not know is the worker's
    /// to give up (a permanent job error), not the queue's to refuse.
    pub kind: Result<JobKind, UnknownJobKind>,
    pub installation_id: i64,
    pub repo: RepoName,
    pub pr_key: String,
    pub head_sha: CommitSha,
    pub payload: String,
    pub attempts: i64,
    /// Proves ownership of this claim when completing or renewing.
    pub lease_token: String,
}

/// Queue depth by state, for metrics and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueStats {
    pub queued: i64,
    pub running: i64,
    pub done: i64,
    pub failed: i64,
    pub superseded: i64,
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn random_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
}

impl Store {
    /// Connect and apply the embedded migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Dialect::Postgres
        } else {
            return Err(StoreError::Url(url.to_string()));
        };
        let mut opts = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        opts = match dialect {
            Dialect::Sqlite => opts.max_connections(8).after_connect(|conn, _| {
                Box::pin(async move {
                    for pragma in [
                        "PRAGMA journal_mode=WAL",
                        "PRAGMA synchronous=NORMAL",
                        "PRAGMA busy_timeout=30000",
                        // Checkpoints (the only fsync with synchronous=NORMAL
                        // in WAL mode) run in a background task, not inside
                        // the commit of a webhook batch.
                        "PRAGMA wal_autocheckpoint=0",
                    ] {
                        sqlx::Executor::execute(&mut *conn, pragma).await?;
                    }
                    Ok(())
                })
            }),
            Dialect::Postgres => opts.max_connections(16),
        };
        let pool = opts.connect(url).await?;
        let store = Store { pool, dialect };
        store.migrate().await?;
        if dialect == Dialect::Sqlite {
            store.spawn_checkpointer();
        }
        Ok(store)
    }

    /// SQLite: move committed WAL frames into the database file every
    /// half second (PASSIVE: never blocks writers), so commits of webhook
    /// batches never pay for a checkpoint's fsync. Durability is the
    /// WAL's: a committed transaction is in the WAL before the 2xx.
    fn spawn_checkpointer(&self) {
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if pool.is_closed() {
                    break;
                }
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&pool)
                    .await
                {
                    tracing::debug!(error = %e, "WAL checkpoint");
                }
            }
        });
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The connection pool, for the registry's tables.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        if self.dialect == Dialect::Postgres {
            // Replicas starting together apply migrations one at a time.
            sqlx::query("SELECT pg_advisory_xact_lock(7242651)")
                .execute(&mut *tx)
                .await?;
        }
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS kiln_schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        for (version, sql) in MIGRATIONS {
            let done: Option<AnyRow> =
                sqlx::query("SELECT version FROM kiln_schema_migrations WHERE version = $1")
                    .bind(*version)
                    .fetch_optional(&mut *tx)
                    .await?;
            if done.is_some() {
                continue;
            }
            let id = match self.dialect {
                Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
                Dialect::Postgres => "BIGSERIAL PRIMARY KEY",
            };
            sqlx::raw_sql(&sql.replace("@ID@", id))
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO kiln_schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(*version)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Record a batch of verified deliveries in one transaction (group
    /// commit): each is deduplicated on its delivery ID; a recorded one's
    /// job supersedes queued jobs of the same pull request.
    pub async fn record(&self, batch: &[Intake]) -> Result<Vec<IntakeOutcome>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        self.record_on(&mut conn, batch).await
    }

    /// A connection of the pool to keep for [`Store::record_on`] (the
    /// intake writer holds one, so a group commit never waits for the
    /// pool or a connection's liveness check).
    pub async fn writer_connection(&self) -> Result<PoolConnection<Any>, StoreError> {
        Ok(self.pool.acquire().await?)
    }

    /// [`Store::record`] on a given connection.
    pub async fn record_on(
        &self,
        conn: &mut AnyConnection,
        batch: &[Intake],
    ) -> Result<Vec<IntakeOutcome>, StoreError> {
        // The common case (pull-request deliveries): a few multi-row
        // statements for the whole batch instead of several per delivery.
        if batch
            .iter()
            .all(|i| i.install.is_none() && i.job.as_ref().is_none_or(|j| !j.skip_if_seen))
        {
            return self.record_bulk(conn, batch).await;
        }
        let mut out = Vec::with_capacity(batch.len());
        let mut tx = conn.begin().await?;
        let now = now_ms();
        for item in batch {
            out.push(record_one(&mut tx, item, now).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// [`Store::record`] for batches of plain deliveries and pull-request
    /// jobs: the same outcome as recording them one by one, in one
    /// transaction with multi-row statements.
    async fn record_bulk(
        &self,
        conn: &mut AnyConnection,
        batch: &[Intake],
    ) -> Result<Vec<IntakeOutcome>, StoreError> {
        let now = now_ms();
        let mut tx = conn.begin().await?;
        let inserted = insert_deliveries(&mut tx, batch, now).await?;
        // Outcomes in batch order; a delivery ID seen earlier in the
        // batch is a duplicate like one already stored.
        let mut claimed: HashSet<&str> = HashSet::new();
        let out: Vec<IntakeOutcome> = batch
            .iter()
            .map(|i| {
                if inserted.contains(&i.delivery_id) && claimed.insert(i.delivery_id.as_str()) {
                    IntakeOutcome::Recorded
                } else {
                    IntakeOutcome::Duplicate
                }
            })
            .collect();
        // Jobs of recorded deliveries, with their delivery IDs: each
        // supersedes the queued jobs of its pull request, so only the
        // last one per PR stays queued.
        let jobs: Vec<(&str, &NewJob)> = batch
            .iter()
            .zip(&out)
            .filter(|(_, o)| **o == IntakeOutcome::Recorded)
            .filter_map(|(i, _)| Some((i.delivery_id.as_str(), i.job.as_ref()?)))
            .collect();
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (k, (_, j)) in jobs.iter().enumerate() {
            last.insert(j.pr_key.as_str(), k);
        }
        let mut keys: Vec<&str> = last.keys().copied().collect();
        keys.sort_unstable();
        for key in keys {
            supersede_queued(&mut tx, key, now).await?;
        }
        insert_jobs(&mut tx, &jobs, &last, now).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Claim the next runnable job: the oldest live job of its pull
    /// request (so one PR's jobs run one at a time), queued or with an
    /// expired lease. Row locks with `SKIP LOCKED` on PostgreSQL keep
    /// replicas from claiming the same job; SQLite serializes writers.
    pub async fn claim(&self, lease: Duration) -> Result<Option<Job>, StoreError> {
        let now = now_ms();
        let until = now + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
        let token = random_token();
        let lock = match self.dialect {
            Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET state = 'running', lease_token = $1, lease_until = $2, attempts = attempts + 1 \
             WHERE id = (SELECT j.id FROM jobs j \
                 WHERE ((j.state = 'queued' AND j.run_after <= $3) OR (j.state = 'running' AND j.lease_until < $3)) \
                 AND NOT EXISTS (SELECT 1 FROM jobs o WHERE o.pr_key = j.pr_key AND o.id < j.id AND o.state IN ('queued', 'running')) \
                 ORDER BY j.id LIMIT 1 {lock}) \
             AND (state = 'queued' OR (state = 'running' AND lease_until < $3)) \
             RETURNING id, kind, installation_id, repo, pr_key, head_sha, payload, attempts"
        );
        let row = sqlx::query(&sql)
            .bind(&token)
            .bind(until)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Job {
            id: row.try_get("id")?,
            kind: row.try_get::<String, _>("kind")?.parse(),
            installation_id: row.try_get("installation_id")?,
            repo: RepoName::from_stored(row.try_get("repo")?),
            pr_key: row.try_get("pr_key")?,
            head_sha: CommitSha::from(row.try_get::<String, _>("head_sha")?),
            payload: row.try_get("payload")?,
            attempts: row.try_get("attempts")?,
            lease_token: token,
        }))
    }

    /// Extend a claim; false when it was lost (expired and re-claimed).
    pub async fn renew(&self, job: &Job, lease: Duration) -> Result<bool, StoreError> {
        let until = now_ms() + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
        let res = sqlx::query(
            "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND lease_token = $3 AND state = 'running'",
        )
        .bind(until)
        .bind(job.id)
        .bind(&job.lease_token)
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Whether this claim still holds (checked before the final report).
    pub async fn still_owned(&self, job: &Job) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 FROM jobs WHERE id = $1 AND lease_token = $2 AND state = 'running'",
        )
        .bind(job.id)
        .bind(&job.lease_token)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Finish a claimed job with a final state (`done`, `failed`);
    /// false when the claim was lost, so it is never finished twice.
    pub async fn finish(&self, job: &Job, state: &str, result: &str) -> Result<bool, StoreError> {
        let res = sqlx::query(
            "UPDATE jobs SET state = $1, result = $2, finished_at = $3, lease_until = 0 \
             WHERE id = $4 AND lease_token = $5 AND state = 'running'",
        )
        .bind(state)
        .bind(result)
        .bind(now_ms())
        .bind(job.id)
        .bind(&job.lease_token)
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Put a claimed job back in the queue to retry after `delay`.
    pub async fn retry_later(
        &self,
        job: &Job,
        delay: Duration,
        why: &str,
    ) -> Result<bool, StoreError> {
        let at = now_ms() + i64::try_from(delay.as_millis()).unwrap_or(0);
        let res = sqlx::query(
            "UPDATE jobs SET state = 'queued', run_after = $1, result = $2, lease_token = NULL, lease_until = 0 \
             WHERE id = $3 AND lease_token = $4 AND state = 'running'",
        )
        .bind(at)
        .bind(why)
        .bind(job.id)
        .bind(&job.lease_token)
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Whether an installation is known to be removed or suspended.
    pub async fn installation_inactive(&self, id: i64) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT active FROM installations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => r.try_get::<i64, _>("active")? == 0,
            None => false,
        })
    }

    /// Jobs by state.
    pub async fn stats(&self) -> Result<QueueStats, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")
            .fetch_all(&self.pool)
            .await?;
        let mut s = QueueStats::default();
        for r in rows {
            let state: String = r.try_get("state")?;
            let n: i64 = r.try_get("n")?;
            match state.as_str() {
                "queued" => s.queued = n,
                "running" => s.running = n,
                "done" => s.done = n,
                "failed" => s.failed = n,
                "superseded" => s.superseded = n,
                _ => {}
            }
        }
        Ok(s)
    }
}

impl Store {
    /// Remember the check run a job reports to, so a re-claimed job
    /// updates it instead of creating another.
    pub async fn set_check_run(&self, job: &Job, check_run_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE jobs SET check_run_id = $1 WHERE id = $2 AND lease_token = $3")
            .bind(check_run_id)
            .bind(job.id)
            .bind(&job.lease_token)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The check run recorded for a job, if any.
    pub async fn check_run_of(&self, job_id: i64) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT check_run_id FROM jobs WHERE id = $1")
            .bind(job_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => r.try_get::<Option<i64>, _>("check_run_id")?,
            None => None,
        })
    }

    /// `(id, state, attempts, result)` of every job, oldest first (tests, ops).
    pub async fn jobs(&self) -> Result<Vec<(i64, String, i64, Option<String>)>, StoreError> {
        let rows = sqlx::query("SELECT id, state, attempts, result FROM jobs ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get("state")?,
                    r.try_get("attempts")?,
                    r.try_get("result")?,
                ))
            })
            .collect()
    }
}

/// One delivery of [`Store::record_on`]'s careful path, in its
/// transaction: deduplicated on its ID, its job skipped when the pull
/// request was already seen at that SHA (if asked), else enqueued,
/// superseding the queued ones; then its installation bookkeeping.
async fn record_one(
    tx: &mut AnyConnection,
    item: &Intake,
    now: i64,
) -> Result<IntakeOutcome, StoreError> {
    let res = sqlx::query(
        "INSERT INTO deliveries (id, event, received_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&item.delivery_id)
    .bind(&item.event)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if res.rows_affected() == 0 {
        return Ok(IntakeOutcome::Duplicate);
    }
    if let Some(job) = item.job.as_ref().filter(|j| j.skip_if_seen) {
        let seen: Option<AnyRow> = sqlx::query(
            "SELECT id FROM jobs WHERE pr_key = $1 AND head_sha = $2 AND state <> 'superseded' LIMIT 1",
        )
        .bind(&job.pr_key)
        .bind(job.head_sha.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if seen.is_some() {
            return Ok(IntakeOutcome::Recorded);
        }
    }
    if let Some(job) = &item.job {
        supersede_queued(tx, &job.pr_key, now).await?;
        sqlx::query(
            "INSERT INTO jobs (delivery_id, kind, installation_id, repo, pr_key, head_sha, payload, state, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8)",
        )
        .bind(&item.delivery_id)
        .bind(job.kind.as_str())
        .bind(job.installation_id)
        .bind(job.repo.as_str())
        .bind(&job.pr_key)
        .bind(job.head_sha.as_str())
        .bind(&job.payload)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    if let Some(op) = &item.install {
        apply_install(tx, op, now).await?;
    }
    Ok(IntakeOutcome::Recorded)
}

/// An installation's account, state and repositories.
async fn apply_install(tx: &mut AnyConnection, op: &InstallOp, now: i64) -> Result<(), StoreError> {
    let InstallOp::Upsert {
        id,
        account,
        active,
        add_repos,
        remove_repos,
    } = op;
    sqlx::query(
        "INSERT INTO installations (id, account, active, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET account = excluded.account, active = excluded.active, updated_at = excluded.updated_at",
    )
    .bind(*id)
    .bind(account)
    .bind(i64::from(*active))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    for r in add_repos {
        sqlx::query(
            "INSERT INTO installation_repos (installation_id, repo) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(*id)
        .bind(r)
        .execute(&mut *tx)
        .await?;
    }
    for r in remove_repos {
        sqlx::query("DELETE FROM installation_repos WHERE installation_id = $1 AND repo = $2")
            .bind(*id)
            .bind(r)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// The queued jobs of pull request `pr_key` are superseded.
async fn supersede_queued(
    tx: &mut AnyConnection,
    pr_key: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE jobs SET state = 'superseded', finished_at = $1 WHERE pr_key = $2 AND state = 'queued'",
    )
    .bind(now)
    .bind(pr_key)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Insert the batch's first occurrence of each delivery ID (200 a
/// statement); the IDs that were new.
async fn insert_deliveries(
    tx: &mut AnyConnection,
    batch: &[Intake],
    now: i64,
) -> Result<HashSet<String>, StoreError> {
    let mut first: HashSet<&str> = HashSet::new();
    let unique: Vec<&Intake> = batch
        .iter()
        .filter(|i| first.insert(i.delivery_id.as_str()))
        .collect();
    let mut inserted: HashSet<String> = HashSet::new();
    for chunk in unique.chunks(200) {
        let mut sql = String::from("INSERT INTO deliveries (id, event, received_at) VALUES ");
        for k in 0..chunk.len() {
            if k > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("(${}, ${}, ${})", 3 * k + 1, 3 * k + 2, 3 * k + 3));
        }
        sql.push_str(" ON CONFLICT (id) DO NOTHING RETURNING id");
        let mut q = sqlx::query(&sql);
        for i in chunk {
            q = q.bind(&i.delivery_id).bind(&i.event).bind(now);
        }
        for row in q.fetch_all(&mut *tx).await? {
            inserted.insert(row.try_get::<String, _>(0)?);
        }
    }
    Ok(inserted)
}

/// Insert `(delivery ID, job)` rows (100 a statement): the last job of
/// each pull request (`last`, by index) queued, the others superseded.
async fn insert_jobs(
    tx: &mut AnyConnection,
    jobs: &[(&str, &NewJob)],
    last: &HashMap<&str, usize>,
    now: i64,
) -> Result<(), StoreError> {
    let rows: Vec<(usize, &(&str, &NewJob))> = jobs.iter().enumerate().collect();
    for chunk in rows.chunks(100) {
        let mut sql = String::from(
            "INSERT INTO jobs (delivery_id, kind, installation_id, repo, pr_key, head_sha, payload, state, created_at, finished_at) VALUES ",
        );
        for k in 0..chunk.len() {
            if k > 0 {
                sql.push(',');
            }
            let b = 10 * k;
            let params: Vec<String> = (1..=10).map(|n| format!("${}", b + n)).collect();
            sql.push_str(&format!("({})", params.join(", ")));
        }
        let mut q = sqlx::query(&sql);
        for (k, (delivery_id, j)) in chunk {
            let live = last.get(j.pr_key.as_str()) == Some(k);
            q = q
                .bind(*delivery_id)
                .bind(j.kind.as_str())
                .bind(j.installation_id)
                .bind(j.repo.as_str())
                .bind(&j.pr_key)
                .bind(j.head_sha.as_str())
                .bind(&j.payload)
                .bind(if live { "queued" } else { "superseded" })
                .bind(now)
                .bind(if live { None } else { Some(now) });
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}
