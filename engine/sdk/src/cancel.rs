//! Cancellation shared by every build of a run: wired to SIGINT/SIGTERM by
//! the CLI and to fail-fast by the runner.

use tokio::sync::watch;

/// A clonable cancellation flag that can be awaited.
#[derive(Debug, Clone)]
pub struct CancelToken {
    tx: std::sync::Arc<watch::Sender<bool>>,
    rx: watch::Receiver<bool>,
}

impl Default for CancelToken {
    fn default() -> Self {
        Self::new()
    }
}

impl CancelToken {
    /// A token not cancelled yet.
    pub fn new() -> Self {
        let (tx, rx) = watch::channel(false);
        CancelToken {
            tx: std::sync::Arc::new(tx),
            rx,
        }
    }

    /// Cancel every clone of this token (idempotent).
    pub fn cancel(&self) {
        self.tx.send_replace(true);
    }

    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves once `cancel` has been called (immediately if it was).
    pub async fn cancelled(&self) {
        let mut rx = self.rx.clone();
        // An error means the sender is gone; it lives as long as any token,
        // so that cannot happen while `self` exists.
        let _ = rx.wait_for(|c| *c).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cancel_wakes_waiters() {
        let t = CancelToken::new();
        let t2 = t.clone();
        let waiter = tokio::spawn(async move { t2.cancelled().await });
        assert!(!t.is_cancelled());
        t.cancel();
        assert!(waiter.await.is_ok());
        assert!(t.is_cancelled());
    }
}
