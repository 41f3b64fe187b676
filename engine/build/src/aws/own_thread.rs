//! Running an async AWS call from synchronous template evaluation (the
//! `amazon-ami` data source, `aws_secretsmanager`): evaluation may itself
//! run on a runtime thread, where blocking on a future would panic, so
//! the call gets a thread and a current-thread runtime of its own.

use std::future::Future;

/// Why the call could not run to completion.
#[derive(Debug)]
pub(crate) enum OwnThreadError {
    /// The runtime could not be started.
    Runtime(std::io::Error),
    /// The thread panicked.
    Panicked,
}

/// Run `call` to completion on a thread and runtime of its own.
pub(crate) fn block_on<T, F>(call: F) -> Result<T, OwnThreadError>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(OwnThreadError::Runtime)?;
        Ok(rt.block_on(call))
    })
    .join()
    .map_err(|_| OwnThreadError::Panicked)?
}
