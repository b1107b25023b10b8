//! The operator's HTTP endpoint, on the server's tokio runtime:
//!
//! * `/metrics` -- OpenMetrics text for scrapers that ask for it, the
//!   Prometheus text format 0.0.4 for the rest ([`crate::metrics::exposition`]);
//! * `/health` -- 200 while the process serves HTTP at all (a liveness probe);
//! * `/ready` -- 200 once a catalogue is loaded and the DNS sockets are bound,
//!   503 with the reason before (a readiness probe).
//!
//! It is bound before the catalogue is loaded, so `/ready` can say "not yet"
//! while a slow catalogue loads. One axum [`Router`] serves it, so the
//! PowerDNS remote backend and the map page can join it as more routes.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::engine::TcpCounters;
use crate::fetch::stats::RefreshStats;
use crate::metrics::exposition::{self, CatalogGauges, Format, Scrape, TcpConnections};
use crate::service::Service;

/// What the endpoint reports from: filled in as start-up proceeds.
#[derive(Debug)]
pub struct Status {
    /// The service, once a catalogue is loaded (the queries and the catalogue
    /// are read from it).
    service: OnceLock<Arc<Service>>,
    /// Whether the DNS sockets are bound.
    sockets_bound: AtomicBool,
    /// What the catalogue refreshes have done.
    refresh: Arc<RefreshStats>,
    /// TCP connections open, evicted, queued and too slow.
    tcp: Arc<TcpCounters>,
}

impl Status {
    /// Nothing loaded or bound yet.
    pub fn new(refresh: Arc<RefreshStats>, tcp: Arc<TcpCounters>) -> Self {
        Status {
            service: OnceLock::new(),
            sockets_bound: AtomicBool::new(false),
            refresh,
            tcp,
        }
    }

    /// A catalogue is loaded and `service` answers from it.
    pub fn set_service(&self, service: Arc<Service>) {
        // Start-up sets it once; a second call changes nothing.
        let _ = self.service.set(service);
    }

    /// The DNS sockets are bound.
    pub fn set_sockets_bound(&self) {
        self.sockets_bound.store(true, Ordering::Release);
    }

    /// `Ok` when ready to answer DNS; otherwise what is still missing.
    pub fn readiness(&self) -> Result<(), &'static str> {
        if self.service.get().is_none() {
            return Err("the catalogue is not loaded yet");
        }
        if !self.sockets_bound.load(Ordering::Acquire) {
            return Err("the DNS sockets are not bound yet");
        }
        Ok(())
    }

    /// Everything `/metrics` reports, as it is now.
    pub fn scrape(&self) -> Scrape {
        let service = self.service.get();
        Scrape {
            queries: service.and_then(|s| s.metrics()).map(|m| m.snapshot()),
            catalog: service.map(|s| CatalogGauges::of(&s.catalog(), s.clock().now())),
            tcp: Some(TcpConnections {
                open: self.tcp.open(),
                evicted: self.tcp.evicted(),
                queued: self.tcp.queued(),
                slow: self.tcp.slow(),
            }),
            ..Scrape::default()
        }
        .with_refresh(&self.refresh)
    }
}

/// The routes.
pub fn router(status: Arc<Status>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .with_state(status)
}

/// Binds the endpoint's address (`--metrics-listen`).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Serves `listener` until `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    status: Arc<Status>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router(status))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

async fn metrics(State(status): State<Arc<Status>>, headers: HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = Format::for_accept(accept);
    match exposition::encode(status.scrape(), format) {
        Ok(text) => ([(header::CONTENT_TYPE, format.content_type())], text).into_response(),
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("encoding the metrics failed: {err}\n"),
        )
            .into_response(),
    }
}

async fn health() -> &'static str {
    "ok\n"
}

async fn ready(State(status): State<Arc<Status>>) -> Response {
    match status.readiness() {
        Ok(()) => "ready\n".into_response(),
        Err(missing) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {missing}\n"),
        )
            .into_response(),
    }
}
