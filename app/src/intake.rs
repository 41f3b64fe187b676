//! Group commit of verified deliveries: the webhook handlers hand their
//! records to one writer task that commits everything waiting in one
//! transaction, then answers each handler. Durable before the 2xx.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::store::{Intake, IntakeOutcome, Store};

pub struct IntakeRequest {
    pub item: Intake,
    pub reply: oneshot::Sender<Result<IntakeOutcome, String>>,
}

/// Most deliveries committed together.
const MAX_BATCH: usize = 512;

pub fn spawn_writer(
    store: Store,
    mut rx: mpsc::Receiver<IntakeRequest>,
    wake: Arc<dyn Fn() + Send + Sync>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut buf: Vec<IntakeRequest> = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut buf, MAX_BATCH).await > 0 {
            let items: Vec<Intake> = buf.iter().map(|r| r.item.clone()).collect();
            let has_job = items.iter().any(|i| i.job.is_some());
            match store.record(&items).await {
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
                    for req in buf.drain(..) {
                        let _ = req.reply.send(Err(e.to_string()));
                    }
                }
            }
        }
    })
}
