//! HTTP: `POST /webhook`, `GET /healthz`, `GET /readyz`, `GET /metrics`.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::oneshot;

use crate::events::{parse, Parsed};
use crate::intake::IntakeRequest;
use crate::metrics::inc;
use crate::signature::verify;
use crate::state::AppState;
use crate::store::{Intake, IntakeOutcome};

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/webhook", post(webhook))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(crate::registry::api::routes())
        .layer(middleware::from_fn_with_state(state.clone(), timed))
        .with_state(state)
}

/// Service time (request head parsed → response head ready) of webhooks
/// and registry lookups, for `/metrics`: the server's side of a load
/// test's latency figures.
async fn timed(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let hist = match (req.method(), req.uri().path()) {
        (&Method::POST, "/webhook") => Some(&st.metrics.webhook_seconds),
        (&Method::GET, p) if p.starts_with("/api/v1/") => Some(&st.metrics.lookup_seconds),
        _ => None,
    };
    let started = Instant::now();
    let res = next.run(req).await;
    if let Some(h) = hist {
        h.observe(started.elapsed());
    }
    res
}

fn reply(status: StatusCode, msg: &str) -> Response {
    (status, format!("{msg}\n")).into_response()
}

async fn readyz(State(st): State<Arc<AppState>>) -> Response {
    if st.store.ping().await {
        reply(StatusCode::OK, "ready")
    } else {
        reply(StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}

async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    let q = st.store.stats().await.ok();
    (
        [("content-type", "text/plain; version=0.0.4")],
        st.metrics.render(q.as_ref()),
    )
        .into_response()
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty())
}

async fn webhook(State(st): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let max = st.cfg.max_body_bytes;
    let declared = header(&headers, "content-length").and_then(|s| s.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        inc(&st.metrics.webhooks_rejected_other);
        return reply(StatusCode::PAYLOAD_TOO_LARGE, "payload too large");
    }
    let bytes = match axum::body::to_bytes(body, max).await {
        Ok(b) => b,
        Err(_) => {
            inc(&st.metrics.webhooks_rejected_other);
            return reply(StatusCode::PAYLOAD_TOO_LARGE, "payload too large");
        }
    };
    let Some(sig) = header(&headers, "x-hub-signature-256") else {
        inc(&st.metrics.webhooks_rejected_signature);
        return reply(StatusCode::UNAUTHORIZED, "missing X-Hub-Signature-256");
    };
    if !verify(&st.cfg.webhook_secrets, &bytes, sig) {
        inc(&st.metrics.webhooks_rejected_signature);
        return reply(StatusCode::UNAUTHORIZED, "invalid signature");
    }
    let (Some(event), Some(delivery)) = (
        header(&headers, "x-github-event"),
        header(&headers, "x-github-delivery"),
    ) else {
        inc(&st.metrics.webhooks_rejected_other);
        return reply(
            StatusCode::BAD_REQUEST,
            "missing X-GitHub-Event or X-GitHub-Delivery",
        );
    };
    if delivery.len() > 200 {
        inc(&st.metrics.webhooks_rejected_other);
        return reply(StatusCode::BAD_REQUEST, "X-GitHub-Delivery too long");
    }
    let parsed = match parse(event, &bytes) {
        Ok(p) => p,
        Err(e) => {
            inc(&st.metrics.webhooks_rejected_other);
            return reply(StatusCode::BAD_REQUEST, &e.to_string());
        }
    };
    let (job, install) = match parsed {
        Parsed::Ignored(what) => {
            inc(&st.metrics.webhooks_ignored);
            tracing::debug!(%event, %delivery, what, "ignored");
            return reply(StatusCode::OK, &format!("ignored {what}"));
        }
        Parsed::Job(j) => (Some(j), None),
        Parsed::Install(i) => (None, Some(i)),
    };
    let (tx, rx) = oneshot::channel();
    let req = IntakeRequest {
        item: Intake {
            delivery_id: delivery.to_string(),
            event: event.to_string(),
            job,
            install,
        },
        reply: tx,
    };
    if st.intake.send(req).await.is_err() {
        return reply(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    match rx.await {
        Ok(Ok(IntakeOutcome::Recorded)) => {
            inc(&st.metrics.webhooks_accepted);
            reply(StatusCode::ACCEPTED, "queued")
        }
        Ok(Ok(IntakeOutcome::Duplicate)) => {
            inc(&st.metrics.webhooks_duplicate);
            reply(StatusCode::OK, "duplicate delivery")
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "could not record a delivery");
            reply(StatusCode::SERVICE_UNAVAILABLE, "storage unavailable")
        }
        Err(_) => reply(StatusCode::SERVICE_UNAVAILABLE, "storage unavailable"),
    }
}
