//! What the server and the workers share.

use tokio::sync::{mpsc, Notify};

use crate::config::Config;
use crate::github::GitHubApp;
use crate::intake::IntakeRequest;
use crate::metrics::Metrics;
use crate::store::Store;

pub struct AppState {
    pub cfg: Config,
    pub store: Store,
    pub github: GitHubApp,
    pub metrics: Metrics,
    /// Wakes idle workers when a job is enqueued.
    pub wake: Notify,
    pub intake: mpsc::Sender<IntakeRequest>,
}
