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
/// method below it. Anything else gets a JSON 404 too, not axum's empty one:
/// a URL mistyped in pdns.conf then says what was expected in pdns's log.
pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route(BASE_PATH, any(handle))
        .route(&format!("{BASE_PATH}/"), any(handle))
        .route(&format!("{BASE_PATH}/{{*call}}"), any(handle))
        .fallback(elsewhere)
        .with_state(service)
}

async fn elsewhere(uri: Uri) -> Response {
    let reason = format!(
        "no backend at {}: expected {BASE_PATH}/<method>",
        uri.path()
    );
    reply(StatusCode::NOT_FOUND, error_body(&reason))
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

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;
    use crate::answer::AnswerPath;
    use crate::catalog::{Catalog, NamingOptions, Source};
    use crate::clock::Clock;
    use crate::synthetic::PlantedCost;
    use crate::zone::Zone;

    fn service() -> Arc<Service> {
        let catalog = Catalog::load(&[Source::Embedded], &NamingOptions::default())
            .unwrap()
            .catalog;
        Arc::new(Service::new(
            Zone::new("sat.example").unwrap(),
            Clock::frozen_at("2026-11-28T12:00:00Z").unwrap(),
            catalog,
            AnswerPath::Fast,
            PlantedCost::calibrate(0),
        ))
    }

    /// Sends one request through the router; the status, the content type
    /// and the body parsed as JSON (a body that is not JSON fails the test:
    /// pdns throws on it, and an empty one is a SERVFAIL).
    async fn send(method: &str, uri: &str, body: &str) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::from(body.to_owned()))
            .unwrap();
        let response = router(service()).oneshot(request).await.unwrap();
        let status = response.status();
        let content_type = response.headers()[header::CONTENT_TYPE].clone();
        assert_eq!(content_type, "application/json", "{method} {uri}");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let value: Value = serde_json::from_slice(&bytes).unwrap_or_else(|err| {
            panic!(
                "{method} {uri}: not JSON ({err}): {:?}",
                String::from_utf8_lossy(&bytes)
            )
        });
        assert!(value.get("result").is_some(), "{method} {uri}: {value}");
        (status, value)
    }

    #[tokio::test]
    async fn get_and_post_json_reach_the_same_method() {
        let (status, got) = send("GET", "/dns/lookup/iss%2esat%2eexample%2e/LOC", "").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got["result"][0]["qtype"], "LOC", "{got}");
        let body = r#"{"method":"lookup","parameters":{"qname":"iss.sat.example.","qtype":"LOC","zone-id":1}}"#;
        let (status, posted) = send("POST", "/dns", body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(posted, got);
        let form =
            "parameters=%7B%22qname%22%3A%22iss.sat.example.%22%2C%22qtype%22%3A%22LOC%22%7D";
        let (status, post_form) = send("POST", "/dns/lookup", form).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(post_form, got);
    }

    #[tokio::test]
    async fn method_names_are_matched_in_any_case() {
        for uri in [
            "/dns/getAllDomains?includeDisabled=true",
            "/dns/getalldomains",
            "/dns/GETALLDOMAINS",
        ] {
            let (status, reply) = send("GET", uri, "").await;
            assert_eq!(status, StatusCode::OK, "{uri}");
            assert_eq!(reply["result"][0]["zone"], "sat.example.", "{uri}");
        }
    }

    #[tokio::test]
    async fn nothing_is_a_200_with_false() {
        let (status, reply) = send("GET", "/dns/lookup/nothing%2esat%2eexample%2e/ANY", "").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(reply, json!({ "result": false }));
    }

    /// Requests that are not calls: method, URI, body, the status and a
    /// piece of the reason expected.
    const BAD_REQUESTS: &[(&str, &str, &str, StatusCode, &str)] = &[
        ("GET", "/dns", "", StatusCode::NOT_FOUND, "no method"),
        ("GET", "/dns/", "", StatusCode::NOT_FOUND, "no method"),
        (
            "GET",
            "/other/lookup",
            "",
            StatusCode::NOT_FOUND,
            "no backend at /other/lookup: expected /dns/<method>",
        ),
        (
            "GET",
            "/dns/frobnicate/x",
            "",
            StatusCode::NOT_FOUND,
            "unknown method \"frobnicate\"",
        ),
        (
            "GET",
            "/dns/lookup/%ff%fe/ANY",
            "",
            StatusCode::BAD_REQUEST,
            "argument \"%ff%fe\" is not percent-encoded UTF-8",
        ),
        (
            "GET",
            "/dns/lookup/iss%2esat%2eexample%2e/NOT%20A%20TYPE",
            "",
            StatusCode::BAD_REQUEST,
            "lookup: \"NOT A TYPE\" is not a record type",
        ),
        (
            "GET",
            "/dns/lookup/iss%2esat%2eexample%2e/ANY/more",
            "",
            StatusCode::BAD_REQUEST,
            "lookup takes at most 2 path arguments",
        ),
        (
            "POST",
            "/dns",
            "{\"method\":",
            StatusCode::BAD_REQUEST,
            "body is not a remote-backend call: not a JSON object",
        ),
        ("POST", "/dns", "[1,2]", StatusCode::NOT_FOUND, "no method"),
        (
            "POST",
            "/dns",
            r#"{"method":"lookup","parameters":{"qname":"iss.sat.example."}}"#,
            StatusCode::BAD_REQUEST,
            "lookup: parameter \"qtype\" is missing",
        ),
        (
            "POST",
            "/dns",
            r#"{"method":"lookup","parameters":{"qname":{},"qtype":"ANY"}}"#,
            StatusCode::BAD_REQUEST,
            "must be a string or a number",
        ),
        (
            "PUT",
            "/dns/lookup/iss%2esat%2eexample%2e/ANY",
            "",
            StatusCode::METHOD_NOT_ALLOWED,
            "HTTP method PUT is not used by the remote backend",
        ),
    ];

    /// Whatever arrives, the reply is a JSON body with `result: false` and
    /// the reason in `log`, under a 4xx: never an empty 200, never a panic.
    #[tokio::test]
    async fn bad_requests_get_a_json_reason() {
        for &(method, uri, body, status, reason) in BAD_REQUESTS {
            let (got, reply) = send(method, uri, body).await;
            assert_eq!(got, status, "{method} {uri} {body}: {reply}");
            assert_eq!(reply["result"], false, "{method} {uri} {body}");
            let log = reply["log"][0].as_str().unwrap_or_default();
            assert!(
                log.starts_with("satloc: ") && log.contains(reason),
                "{method} {uri} {body}: {log}"
            );
        }
    }

    /// Path pieces for [`any_request_gets_a_json_result`].
    const PIECES: &[&str] = &[
        "lookup",
        "LIST",
        "getAllDomains",
        "getDomainInfo",
        "getdomainmetadata",
        "initialize",
        "setNotified",
        "nope",
        "sat%2eexample%2e",
        "iss%2esat%2eexample%2e",
        "%2a%2esat%2eexample%2e",
        "ANY",
        "LOC",
        "txt",
        "TYPE29",
        "TYPE65535",
        "AXFR",
        "1",
        "-1",
        "",
        "%",
        "%zz",
        "%00",
        "%ff",
        "..",
        "a%2e%2eb",
        "%2e",
        "x%20y",
        "?a=b",
    ];
    /// POST bodies for [`any_request_gets_a_json_result`].
    const BODIES: &[&str] = &[
        "",
        "{}",
        "null",
        r#"{"method":"lookup"}"#,
        r#"{"method":"list","parameters":{"zonename":7}}"#,
        r#"{"method":"lookup","parameters":{"qname":"","qtype":""}}"#,
        r#"{"method":"getDomainInfo","parameters":{"name":"."}}"#,
        "parameters=%7B",
        "parameters=%7B%22qname%22%3A1%2C%22qtype%22%3A2%7D",
    ];

    /// Requests stitched together from pieces pdns sends and pieces it never
    /// would (a fixed-seed generator, so a failure repeats): whatever comes,
    /// the router answers with a JSON body that has a `result`, and no
    /// handler panics (a panic would reach `send` as a dropped response).
    #[tokio::test]
    async fn any_request_gets_a_json_result() {
        let mut state: u64 = 0x5eed;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(state >> 33).unwrap_or(0) % n
        };
        for _ in 0..500 {
            let segments: Vec<&str> = (0..next(5)).map(|_| PIECES[next(PIECES.len())]).collect();
            let uri = format!("/dns/{}", segments.join("/"));
            let Ok(uri) = uri.parse::<Uri>() else {
                continue;
            };
            let method = ["GET", "POST"][next(2)];
            let body = if method == "POST" {
                BODIES[next(BODIES.len())]
            } else {
                ""
            };
            send(method, &uri.to_string(), body).await;
        }
    }

    /// Declined methods (writes, keys, transfers) are "nothing", which pdns
    /// takes as "not supported here".
    #[tokio::test]
    async fn declined_methods_answer_false() {
        for uri in [
            "/dns/getDomainKeys/sat%2eexample%2e",
            "/dns/startTransaction",
        ] {
            let (status, reply) = send("GET", uri, "").await;
            assert_eq!(status, StatusCode::OK, "{uri}");
            assert_eq!(reply, json!({ "result": false }), "{uri}");
        }
    }
}
