//! Group commit of verified deliveries: the webhook handlers hand their
//! records to one writer task that commits everything waiting in one
//! transaction, then answers each handler. Durable before the 2xx.
//!
//! The writer keeps one connection of the pool for itself: a commit never
//! queues behind lookups for a connection nor pays the pool's liveness
//! check, and its prepared statements stay cached. While a transaction
//! commits, the next deliveries gather in the channel, so the batch grows
//! with the load and an acknowledgement waits at most about two commits.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::Any;
use tokio::sync::{mpsc, oneshot};

use crate::metrics::Metrics;
use crate::store::{Intake, IntakeOutcome, Store, StoreError};

/// A verified delivery handed to the writer, and where to answer.
pub struct IntakeRequest {
    pub item: Intake,
    /// The batch's outcome for this delivery; a failed commit's error is
    /// shared by every delivery of the batch.
    pub reply: oneshot::Sender<Result<IntakeOutcome, Arc<StoreError>>>,
}

/// Most deliveries committed together.
const MAX_BATCH: usize = 512;

pub fn spawn_writer(
    store: Store,
    mut rx: mpsc::Receiver<IntakeRequest>,
    metrics: Arc<dyn Fn(Duration, usize) + Send + Sync>,
    wake: Arc<dyn Fn() + Send + Sync>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut buf: Vec<IntakeRequest> = Vec::with_capacity(MAX_BATCH);
        let mut conn: Option<PoolConnection<Any>> = None;
        while rx.recv_many(&mut buf, MAX_BATCH).await > 0 {
            let items: Vec<Intake> = buf.iter().map(|r| r.item.clone()).collect();
            let has_job = items.iter().any(|i| i.job.is_some());
            let started = Instant::now();
            let res = match conn.as_mut() {
                Some(c) => store.record_on(c, &items).await,
                None => match store.writer_connection().await {
                    Ok(mut c) => {
                        let r = store.record_on(&mut c, &items).await;
                        conn = Some(c);
                        r
                    }
                    Err(e) => Err(e),
                },
            };
            metrics(started.elapsed(), items.len());
            match res {
                Ok(outcomes) => {
                    for (req, o) in buf.drain(..).zip(outcomes) {
                        let _ = req.reply.send(Ok(o));
                    }
                    if has_job {
                        wake();
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "recording deliveries");
                    // The connection may be broken: take a fresh one next time.
                    if let Some(mut c) = conn.take() {
                        c.close_on_drop();
                    }
                    let e = Arc::new(e);
                    for req in buf.drain(..) {
                        let _ = req.reply.send(Err(e.clone()));
                    }
                }
            }
        }
    })
}

/// Record a group commit in the process metrics.
pub fn observe(m: &Metrics, took: Duration, n: usize) {
    m.intake_commit_seconds.observe(took);
    m.intake_batches.fetch_add(1, Ordering::Relaxed);
    m.intake_batched
        .fetch_add(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
}
