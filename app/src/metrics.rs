//! Process counters, rendered in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::store::QueueStats;

#[derive(Default)]
pub struct Metrics {
    pub webhooks_accepted: AtomicU64,
    pub webhooks_duplicate: AtomicU64,
    pub webhooks_ignored: AtomicU64,
    pub webhooks_rejected_signature: AtomicU64,
    pub webhooks_rejected_other: AtomicU64,
    pub jobs_succeeded: AtomicU64,
    pub jobs_failed_checks: AtomicU64,
    pub jobs_errored: AtomicU64,
    pub jobs_retried: AtomicU64,
    pub jobs_seconds_total_ms: AtomicU64,
}

pub fn inc(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Metrics {
    pub fn render(&self, q: Option<&QueueStats>) -> String {
        let mut s = String::new();
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let _ = writeln!(
            s,
            "# HELP kiln_app_webhooks_total Webhook deliveries by outcome."
        );
        let _ = writeln!(s, "# TYPE kiln_app_webhooks_total counter");
        for (label, c) in [
            ("accepted", &self.webhooks_accepted),
            ("duplicate", &self.webhooks_duplicate),
            ("ignored", &self.webhooks_ignored),
            ("bad_signature", &self.webhooks_rejected_signature),
            ("rejected", &self.webhooks_rejected_other),
        ] {
            let _ = writeln!(s, "kiln_app_webhooks_total{{outcome=\"{label}\"}} {}", g(c));
        }
        let _ = writeln!(
            s,
            "# HELP kiln_app_jobs_total Finished job attempts by outcome."
        );
        let _ = writeln!(s, "# TYPE kiln_app_jobs_total counter");
        for (label, c) in [
            ("success", &self.jobs_succeeded),
            ("failure", &self.jobs_failed_checks),
            ("error", &self.jobs_errored),
            ("retry", &self.jobs_retried),
        ] {
            let _ = writeln!(s, "kiln_app_jobs_total{{outcome=\"{label}\"}} {}", g(c));
        }
        let _ = writeln!(
            s,
            "# HELP kiln_app_job_seconds_total Time spent processing jobs."
        );
        let _ = writeln!(s, "# TYPE kiln_app_job_seconds_total counter");
        let _ = writeln!(
            s,
            "kiln_app_job_seconds_total {:.3}",
            g(&self.jobs_seconds_total_ms) as f64 / 1000.0
        );
        if let Some(q) = q {
            let _ = writeln!(s, "# HELP kiln_app_queue_jobs Jobs in the queue by state.");
            let _ = writeln!(s, "# TYPE kiln_app_queue_jobs gauge");
            for (label, n) in [
                ("queued", q.queued),
                ("running", q.running),
                ("done", q.done),
                ("failed", q.failed),
                ("superseded", q.superseded),
            ] {
                let _ = writeln!(s, "kiln_app_queue_jobs{{state=\"{label}\"}} {n}");
            }
        }
        s
    }
}
