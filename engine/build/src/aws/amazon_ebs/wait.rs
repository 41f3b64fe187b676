//! Waiters: poll a describe call until a resource reaches a state, with
//! exponential backoff (first check at once, then 250 ms doubling to a
//! cap) and an overall timeout, or Packer's fixed `aws_polling` /
//! `AWS_POLL_DELAY_SECONDS` × `AWS_MAX_ATTEMPTS` when configured.
//! Cancellation stops a wait at once.

use std::future::Future;
use std::time::{Duration, Instant};

use super::config::Polling;
use kiln_sdk::{BuildError, CancelToken};

/// One poll's verdict.
pub enum Poll<T> {
    Done(T),
    /// Not there yet: the state seen, for the timeout message.
    Pending(String),
}

/// How long and how often to poll.
#[derive(Debug, Clone, Copy)]
pub struct Waiter {
    pub first_delay: Duration,
    pub max_delay: Duration,
    pub timeout: Duration,
    pub fixed: Option<Polling>,
}

impl Waiter {
    pub fn new(timeout: Duration, fixed: Option<Polling>) -> Self {
        Waiter {
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(15),
            timeout,
            fixed,
        }
    }

    /// Poll `check` until it is done, failing with `what` on timeout.
    pub async fn until<T, F, Fut>(
        &self,
        what: &str,
        cancel: &CancelToken,
        mut check: F,
    ) -> Result<T, BuildError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Poll<T>, BuildError>>,
    {
        let start = Instant::now();
        let mut delay = self.first_delay;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let last = match check().await? {
                Poll::Done(v) => return Ok(v),
                Poll::Pending(state) => state,
            };
            let next = match self.fixed {
                Some(p) if attempt >= p.max_attempts => {
                    return Err(BuildError::Step(format!(
                        "Error waiting for {what}: ResourceNotReady: exceeded wait attempts ({}; last state: {last})",
                        p.max_attempts
                    )))
                }
                Some(p) => p.delay,
                None => {
                    if start.elapsed() >= self.timeout {
                        return Err(BuildError::Step(format!(
                            "Error waiting for {what}: timed out after {:?} (last state: {last})",
                            self.timeout
                        )));
                    }
                    let d = delay;
                    delay = (delay * 2).min(self.max_delay);
                    d
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(next) => {}
                _ = cancel.cancelled() => return Err(BuildError::Cancelled),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn polls_until_done() {
        let mut n = 0;
        let w = Waiter {
            first_delay: Duration::from_millis(1),
            ..Waiter::new(Duration::from_secs(5), None)
        };
        let v = w
            .until("x", &CancelToken::new(), || {
                n += 1;
                let k = n;
                async move {
                    Ok(if k < 3 {
                        Poll::Pending("pending".into())
                    } else {
                        Poll::Done(k)
                    })
                }
            })
            .await
            .unwrap();
        assert_eq!(v, 3);
    }

    #[tokio::test]
    async fn fixed_polling_gives_up_after_max_attempts() {
        let w = Waiter::new(
            Duration::from_secs(60),
            Some(Polling {
                delay: Duration::from_millis(1),
                max_attempts: 2,
            }),
        );
        let err = w
            .until::<(), _, _>("the AMI", &CancelToken::new(), || async {
                Ok(Poll::Pending("pending".into()))
            })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("exceeded wait attempts"), "{err}");
    }
}
