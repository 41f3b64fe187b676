//! Process counters, rendered in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::store::QueueStats;

/// Upper bounds (seconds) of the latency histograms' buckets.
const BOUNDS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05,
    0.1, 0.25, 1.0,
];

/// A Prometheus histogram of durations (lock-free; one atomic add per
/// bucket an observation falls into and two for the sum and the count).
#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; BOUNDS.len()],
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        if let Some(i) = BOUNDS.iter().position(|b| s <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(
            u64::try_from(d.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    fn render(&self, s: &mut String, name: &str) {
        let mut cum = 0;
        for (b, c) in BOUNDS.iter().zip(&self.buckets) {
            cum += c.load(Ordering::Relaxed);
            let _ = writeln!(s, "{name}_bucket{{le=\"{b}\"}} {cum}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(s, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            s,
            "{name}_sum {:.6}",
            self.sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(s, "{name}_count {count}");
    }
}

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
    /// Service time of `POST /webhook`: request head in → answer out
    /// (for an accepted delivery this includes its group commit).
    pub webhook_seconds: Histogram,
    /// Service time of registry lookups (`GET /api/v1/…`).
    pub lookup_seconds: Histogram,
    /// Duration of one intake group commit (one transaction).
    pub intake_commit_seconds: Histogram,
    /// Deliveries committed by the intake writer, and its transactions.
    pub intake_batched: AtomicU64,
    pub intake_batches: AtomicU64,
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
        for (name, help, h) in [
            (
                "kiln_app_webhook_seconds",
                "Service time of POST /webhook (until the answer, commit included).",
                &self.webhook_seconds,
            ),
            (
                "kiln_app_lookup_seconds",
                "Service time of registry lookups (GET /api/v1/...).",
                &self.lookup_seconds,
            ),
            (
                "kiln_app_intake_commit_seconds",
                "Duration of one intake group commit.",
                &self.intake_commit_seconds,
            ),
        ] {
            let _ = writeln!(s, "# HELP {name} {help}");
            let _ = writeln!(s, "# TYPE {name} histogram");
            h.render(&mut s, name);
        }
        let _ = writeln!(
            s,
            "# HELP kiln_app_intake_deliveries_total Deliveries committed by the intake writer."
        );
        let _ = writeln!(s, "# TYPE kiln_app_intake_deliveries_total counter");
        let _ = writeln!(
            s,
            "kiln_app_intake_deliveries_total {}",
            g(&self.intake_batched)
        );
        let _ = writeln!(
            s,
            "# HELP kiln_app_intake_commits_total Intake transactions (group commits)."
        );
        let _ = writeln!(s, "# TYPE kiln_app_intake_commits_total counter");
        let _ = writeln!(
            s,
            "kiln_app_intake_commits_total {}",
            g(&self.intake_batches)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_renders_cumulative_prometheus_buckets() {
        let m = Metrics::default();
        m.webhook_seconds.observe(Duration::from_micros(800));
        m.webhook_seconds.observe(Duration::from_millis(4));
        m.webhook_seconds.observe(Duration::from_millis(40));
        m.webhook_seconds.observe(Duration::from_secs(3));
        let s = m.render(None);
        for line in [
            "# TYPE kiln_app_webhook_seconds histogram",
            "kiln_app_webhook_seconds_bucket{le=\"0.0005\"} 0",
            "kiln_app_webhook_seconds_bucket{le=\"0.001\"} 1",
            "kiln_app_webhook_seconds_bucket{le=\"0.005\"} 2",
            "kiln_app_webhook_seconds_bucket{le=\"0.05\"} 3",
            "kiln_app_webhook_seconds_bucket{le=\"1\"} 3",
            "kiln_app_webhook_seconds_bucket{le=\"+Inf\"} 4",
            "kiln_app_webhook_seconds_sum 3.044800",
            "kiln_app_webhook_seconds_count 4",
            "kiln_app_lookup_seconds_count 0",
        ] {
            assert!(s.lines().any(|l| l == line), "missing {line:?} in\n{s}");
        }
    }
}
