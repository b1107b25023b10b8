//! The live map (`--http-listen`): a page with a world map, every object's
//! position now and the ground track of its next revolution, refreshed every
//! second, and the JSON API it draws from:
//!
//! * `/` and the page's files ([`assets`]), compiled into the binary with the
//!   Natural Earth coastlines and the small renderer they are drawn with, so
//!   the page needs no internet;
//! * `/api/positions` -- every object now, a GeoJSON FeatureCollection;
//! * `/api/objects` -- every object's names and `dig` command;
//! * `/api/track/<id>?minutes=N&step=S` -- one ground track;
//! * `/api/tracks?ids=A,B&minutes=N&step=S` -- many, computed in parallel.
//!
//! Its own listener and router, apart from the operator endpoint
//! ([`crate::http`]): a page for the public is exposed where metrics are not.
//! It starts once the catalogue is in service and the DNS sockets are bound,
//! so every answer has a catalogue and the `dig` commands the real port.

pub mod api;
pub mod assets;
pub mod json;
pub mod params;
pub mod track;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::service::Service;

/// What the map answers from.
#[derive(Debug)]
pub struct MapState {
    /// The catalogue in service, the clock and the zone.
    pub service: Arc<Service>,
    /// Where the DNS server listens, for the `dig` commands.
    pub dns: Vec<SocketAddr>,
}

/// The routes.
pub fn router(state: Arc<MapState>) -> Router {
    Router::new()
        .route("/api/positions", get(api::positions))
        .route("/api/objects", get(api::objects))
        .route("/api/track/{id}", get(api::track))
        .route("/api/tracks", get(api::tracks))
        .fallback(assets::serve)
        .with_state(state)
}

/// Serves the map on `listener` until `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    state: Arc<MapState>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}
