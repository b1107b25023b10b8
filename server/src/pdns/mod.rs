//! PowerDNS Authoritative's remote backend over HTTP (`--pdns-listen`), for
//! operators who already run PowerDNS: with
//! `launch=remote` and
//! `remote-connection-string=http:url=http://ADDR/dns`, pdns_server asks
//! satloc for the zone's records and serves them itself.
//!
//! [`call`] decodes what the connector sends (GET, `post` or `post_json`),
//! [`methods`] answers from the service -- the same catalogue, clock and
//! records ([`crate::answer::records`]) as satloc's own DNS answers. This
//! module is the HTTP side: its own listener and axum router, apart from the
//! operator endpoint ([`crate::http`]), because it is a data path pdns
//! depends on, not a probe. Every reply is a JSON body with a `result`: an
//! empty 200 is a SERVFAIL to pdns. A request that is not a call gets a 4xx
//! with the reason in `log`, which pdns writes to its own log.

pub mod call;
pub mod methods;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method as HttpMethod, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::service::Service;
use call::{Call, CallError, Method};

/// The path the backend answers under: `url=http://ADDR/dns` in pdns's
/// `remote-connection-string`.
pub const BASE_PATH: &str = "/dns";

/// The routes: the base path itself (`post_json` posts there) and every
/// method below it.
pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route(BASE_PATH, any(handle))
        .route(&format!("{BASE_PATH}/{{*call}}"), any(handle))
        .with_state(service)
}

/// Binds the backend's address (`--pdns-listen`).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Serves `listener` until `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    service: Arc<Service>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    // pdns waits for each reply before its next call on the connection, so
    // a reply held back by Nagle's algorithm waits for a delayed ACK
    // (~40 ms; field notes, "PowerDNS remote backend").
    let listener = listener.tap_io(|stream| {
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!("pdns backend: TCP_NODELAY not set: {err}");
        }
    });
    axum::serve(listener, router(service))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

async fn handle(
    State(service): State<Arc<Service>>,
    method: HttpMethod,
    uri: Uri,
    body: Bytes,
) -> Response {
    let path = uri.path().strip_prefix(BASE_PATH).unwrap_or_default();
    let call = match method {
        HttpMethod::GET | HttpMethod::HEAD => Call::from_path(path, uri.query()),
        HttpMethod::POST => Call::from_body(path, &body),
        other => {
            let reason =
                format!("HTTP method {other} is not used by the remote backend: GET or POST");
            return reply(StatusCode::METHOD_NOT_ALLOWED, error_body(&reason));
        }
    };
    let call = match call {
        Ok(call) => call,
        Err(err) => return refuse(&uri, &err),
    };
    let answered = if call.method == Method::List {
        // A whole zone propagates every object: off the runtime's threads,
        // which also serve DNS over TCP.
        let task = tokio::task::spawn_blocking(move || methods::answer(&service, &call));
        match task.await {
            Ok(answered) => answered,
            Err(err) => {
                tracing::error!("pdns backend: list failed: {err}");
                return reply(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    error_body("listing the zone failed"),
                );
            }
        }
    } else {
        methods::answer(&service, &call)
    };
    match answered {
        Ok(body) => {
            tracing::debug!("pdns backend: {} {uri} -> {body}", method);
            reply(StatusCode::OK, body)
        }
        Err(err) => refuse(&uri, &err),
    }
}

/// A request that is not a call satloc can answer: 404 for a method it does
/// not know, 400 for the rest, the reason in `log`.
fn refuse(uri: &Uri, err: &CallError) -> Response {
    tracing::debug!("pdns backend: {uri}: {err}");
    let status = match err {
        CallError::UnknownMethod(_) | CallError::NoMethod => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_REQUEST,
    };
    reply(status, error_body(&err.to_string()))
}

/// `{"result":false,"log":[reason]}`: false is what pdns makes of a failed
/// call, and it logs the `log` lines.
fn error_body(reason: &str) -> Value {
    json!({ "result": false, "log": [format!("satloc: {reason}")] })
}

fn reply(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
