//! The cleanup stack: every step that creates something pushes its undo
//! before returning; the runner unwinds the stack in reverse order on
//! success, failure and cancellation alike.

use std::future::Future;
use std::pin::Pin;

type Undo = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// Undo actions of one build, run last-in first-out.
#[derive(Default)]
pub struct CleanupStack {
    items: Vec<(String, Undo)>,
}

impl std::fmt::Debug for CleanupStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.items.iter().map(|(d, _)| d))
            .finish()
    }
}

impl CleanupStack {
    /// An empty stack.
    pub fn new() -> Self {
        Self::default()
    }

    /// Register an undo action, described for the log (e.g. "Deleting
    /// temporary file /tmp/x"). The future does not run until unwinding.
    pub fn push<F>(&mut self, description: impl Into<String>, undo: F)
    where
        F: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.items.push((description.into(), Box::pin(undo)));
    }

    /// How many undo actions are registered.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Descriptions of the pending undo actions, newest first (what
    /// `-on-error=abort` leaves behind).
    pub fn pending(&self) -> Vec<String> {
        self.items.iter().rev().map(|(d, _)| d.clone()).collect()
    }

    /// Run every undo action, newest first. Every action runs even if an
    /// earlier one fails; failures are returned with their description.
    pub async fn unwind(&mut self) -> Vec<(String, Result<(), String>)> {
        let mut results = Vec::with_capacity(self.items.len());
        while let Some((description, undo)) = self.items.pop() {
            let r = undo.await;
            results.push((description, r));
        }
        results
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[tokio::test]
    async fn unwinds_in_reverse_and_continues_after_failures() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut stack = CleanupStack::new();
        for i in 0..3 {
            let log = log.clone();
            stack.push(format!("undo {i}"), async move {
                log.lock().map_err(|e| e.to_string())?.push(i);
                if i == 1 {
                    Err("boom".to_string())
                } else {
                    Ok(())
                }
            });
        }
        assert_eq!(stack.pending(), ["undo 2", "undo 1", "undo 0"]);
        let results = stack.unwind().await;
        assert_eq!(*log.lock().unwrap(), vec![2, 1, 0]);
        assert_eq!(results[1], ("undo 1".to_string(), Err("boom".to_string())));
        assert!(stack.is_empty());
    }
}
