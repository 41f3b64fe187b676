//! kiln-app: a GitHub App that checks Packer templates on every pull
//! request. An axum server receives webhooks, verifies and records them in
//! a durable queue (SQLite or PostgreSQL); workers run the engine's
//! validate and fmt check on the templates a pull request touches and
//! report a check run with annotations and one sticky comment.
//!
//! Features: `check` (the pull-request check), `registry` (the image
//! registry fed by workflow runs), `bump` (pull requests moving Terraform
//! to new images). Around them: `server`, `signature`, `events` and
//! `intake` (webhooks in), `store` and `job` (the queue and its job
//! kinds), `worker` (claim and dispatch), `github` (the REST client),
//! `repo_config` (`.github/kiln.yml`), `ids` (repository and commit ids),
//! `config`, `metrics`, `state`.

pub mod bump;
pub mod check;
pub mod config;
pub mod events;
pub mod github;
pub mod ids;
pub mod intake;
pub mod job;
pub mod metrics;
pub mod registry;
pub mod repo_config;
pub mod server;
pub mod signature;
pub mod state;
pub mod store;
pub mod worker;

use std::sync::Arc;

use tokio::sync::{mpsc, Notify};

use config::Config;
use github::{GitHubApp, RetryPolicy};
use state::AppState;
use store::Store;

/// Start everything and serve until SIGINT/SIGTERM.
pub async fn run(cfg: Config) -> anyhow::Result<()> {
    let store = Store::connect(&cfg.database_url).await?;
    let github = GitHubApp::new(
        &cfg.github_api_url,
        &cfg.app_id,
        &cfg.private_key_pem,
        RetryPolicy {
            retries: cfg.http_retries,
            base: cfg.retry_base,
            max_wait: std::time::Duration::from_secs(120),
        },
    )?;
    let (tx, rx) = mpsc::channel(4096);
    let state = Arc::new(AppState {
        cfg: cfg.clone(),
        store: store.clone(),
        github,
        metrics: metrics::Metrics::default(),
        wake: Notify::new(),
        intake: tx,
    });
    let st = state.clone();
    let sm = state.clone();
    intake::spawn_writer(
        store,
        rx,
        Arc::new(move |took, n| intake::observe(&sm.metrics, took, n)),
        Arc::new(move || st.wake.notify_waiters()),
    );
    worker::spawn_workers(state.clone());
    if cfg.workers > 0 {
        // Scheduled revocations open their bump pull request when due.
        let sw = state.clone();
        bump::spawn_revocation_sweeper(state.store.clone(), cfg.poll * 4, move || {
            sw.wake.notify_waiters()
        });
    }
    let listener = tokio::net::TcpListener::bind(cfg.listen).await?;
    tracing::info!(addr = %listener.local_addr()?, db = %config::mask_url(&cfg.database_url), workers = cfg.workers, "kiln-app listening");
    axum::serve(listener, server::router(state))
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
