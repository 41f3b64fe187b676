//! Create calls that run to completion even when the build is cancelled
//! while they are in flight. Dropping a request future does not stop EC2
//! (or moto) from creating the resource; the cleanup registered for it
//! would race the create and lose. So a create call runs on a task of its
//! own holding the gate, and the cleanup waits on the gate before it
//! looks for the resource.

use std::future::Future;
use std::sync::Arc;

use kiln_sdk::BuildError;

#[derive(Debug, Clone, Default)]
pub struct Gate(Arc<tokio::sync::Mutex<()>>);

impl Gate {
    pub fn new() -> Self {
        Self::default()
    }

    /// Run `fut` to completion on its own task, holding the gate.
    pub async fn run<T, F>(&self, fut: F) -> Result<T, BuildError>
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let held = self.0.clone().lock_owned().await;
        tokio::spawn(async move {
            let out = fut.await;
            drop(held);
            out
        })
        .await
        .map_err(|e| BuildError::Step(format!("an EC2 call failed to run: {e}")))
    }

    /// Wait until no create call is in flight.
    pub async fn settled(&self) {
        let _held = self.0.lock().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn a_dropped_call_still_finishes_before_settled() {
        let gate = Gate::new();
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let g = gate.clone();
        let call = tokio::spawn(async move {
            g.run(async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                d.store(true, Ordering::SeqCst);
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        call.abort();
        gate.settled().await;
        assert!(done.load(Ordering::SeqCst));
    }
}
