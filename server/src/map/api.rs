//! The JSON API's handlers: the catalogue in service and the clock's now in,
//! documents out. Propagating a catalogue is CPU work, so it runs on tokio's
//! blocking pool (and from there on rayon's), never on the runtime's workers,
//! which also serve DNS over TCP. A bad request is a 400 with a JSON
//! `{"error": "..."}` naming the parameter; an unknown object a 404.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::MapState;
use super::json::{self, DnsServer, Labels};
use super::params::{Endpoint, TrackParams};
use super::track::{TrackSpan, ground_track, ground_tracks};
use crate::catalog::{Catalog, SatObject};

/// Most points one `/api/tracks` response may hold (about 25 MB of JSON).
pub const MAX_POINTS: usize = 500_000;

const GEOJSON: &str = "application/geo+json";

/// A request the API refuses, as JSON.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

impl ApiError {
    fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    fn no_such_object(id: &str) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: format!(
                "no object \"{id}\" in the catalogue: expected a NORAD number or a label \
                 such as iss (the ids and names are in /api/objects)"
            ),
        }
    }

    fn internal(what: &str, err: impl std::fmt::Display) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: format!("{what} failed: {err}"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: &self.message,
        };
        // axum's `json` feature is off (serde_json is here already): a string
        // field cannot fail to serialise, the fallback is for form's sake.
        let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
        (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            bytes,
        )
            .into_response()
    }
}

/// `document` serialised off the runtime's workers, as `content_type`.
async fn off_runtime<T, F>(content_type: &'static str, build: F) -> Result<Response, ApiError>
where
    T: Serialize,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    let bytes = tokio::task::spawn_blocking(move || {
        let document = build()?;
        serde_json::to_vec(&document).map_err(|err| ApiError::internal("writing JSON", err))
    })
    .await
    .map_err(|err| ApiError::internal("computing the document", err))??;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// `/api/positions`: every object now, as a GeoJSON FeatureCollection.
pub async fn positions(State(map): State<Arc<MapState>>) -> Result<Response, ApiError> {
    let catalog = map.service.catalog();
    let now = map.service.clock().now();
    off_runtime(GEOJSON, move || Ok(json::positions(&catalog, now))).await
}

/// `/api/objects`: every object, its names and its `dig` command.
pub async fn objects(
    State(map): State<Arc<MapState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let catalog = map.service.catalog();
    let now = map.service.clock().now();
    let zone = map.service.zone().apex.to_ascii();
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .map(host_of);
    let dns = map
        .dns
        .iter()
        .map(|addr| dig_server(*addr, host.as_deref()))
        .collect();
    off_runtime("application/json", move || {
        Ok(json::objects(&catalog, &zone, dns, now))
    })
    .await
}

/// `/api/track/<id>?minutes=N&step=S`: one object's ground track from now.
pub async fn track(
    State(map): State<Arc<MapState>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = TrackParams::parse(query.as_deref(), Endpoint::OneTrack)
        .map_err(|err| ApiError::bad_request(format!("/api/track/{id}: {err}")))?;
    let catalog = map.service.catalog();
    let span = span(&map, &params);
    off_runtime(GEOJSON, move || {
        let object = catalog
            .lookup(id.as_bytes())
            .ok_or_else(|| ApiError::no_such_object(&id))?;
        let labels = Labels::of(&catalog);
        Ok(json::track(object, &labels, &ground_track(object, &span)))
    })
    .await
}

/// `/api/tracks?ids=A,B&minutes=N&step=S`: the ground tracks of the objects
/// named (all without `ids`), computed in parallel, as a FeatureCollection.
pub async fn tracks(
    State(map): State<Arc<MapState>>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = TrackParams::parse(query.as_deref(), Endpoint::ManyTracks)
        .map_err(|err| ApiError::bad_request(format!("/api/tracks: {err}")))?;
    let span = span(&map, &params);
    let catalog = map.service.catalog();
    off_runtime(GEOJSON, move || {
        let objects = chosen(&catalog, params.ids.as_deref())?;
        check_budget(&objects, &span)?;
        let labels = Labels::of(&catalog);
        let tracks = ground_tracks(&objects, &span);
        let features = objects
            .iter()
            .zip(&tracks)
            .map(|(object, track)| json::track(object, &labels, track))
            .collect();
        Ok(json::FeatureCollection {
            time: json::rfc3339(span.start),
            features,
        })
    })
    .await
}

/// The span `params` ask for, from the clock's now.
fn span(map: &MapState, params: &TrackParams) -> TrackSpan {
    TrackSpan {
        start: map.service.clock().now(),
        minutes: params.minutes,
        step_s: params.step_s,
    }
}

/// The objects `ids` names, in its order, or all of them.
fn chosen<'a>(
    catalog: &'a Catalog,
    ids: Option<&[String]>,
) -> Result<Vec<&'a SatObject>, ApiError> {
    let Some(ids) = ids else {
        return Ok(catalog.objects().iter().collect());
    };
    ids.iter()
        .map(|id| {
            catalog
                .lookup(id.as_bytes())
                .ok_or_else(|| ApiError::no_such_object(id))
        })
        .collect()
}

/// Refuses a request whose tracks would hold more than [`MAX_POINTS`].
fn check_budget(objects: &[&SatObject], span: &TrackSpan) -> Result<(), ApiError> {
    let points: usize = objects
        .iter()
        .map(|object| span.points_in(span.minutes_for(object)))
        .fold(0, usize::saturating_add);
    if points > MAX_POINTS {
        return Err(ApiError::bad_request(format!(
            "/api/tracks: the tracks of {} objects at step={} would hold {points} points, \
             more than {MAX_POINTS}: name fewer objects with ids=, or give a larger step or fewer minutes",
            objects.len(),
            span.step_s
        )));
    }
    Ok(())
}

/// The host part of a `Host` header: `example.org`, `192.0.2.1`, `::1`.
fn host_of(header: &str) -> String {
    if let Some(rest) = header.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest).to_owned();
    }
    match header.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host.to_owned(),
        _ => header.to_owned(),
    }
}

/// What to put after `dig @` for a DNS listen address: the address itself,
/// unless it is the wildcard, which no one can send to; then the host the
/// browser reached this page at (the same machine), else loopback.
fn dig_server(listen: SocketAddr, http_host: Option<&str>) -> DnsServer {
    let server = if listen.ip().is_unspecified() {
        match http_host {
            Some(host) if !host.is_empty() => host.to_owned(),
            _ if listen.is_ipv6() => "::1".to_owned(),
            _ => "127.0.0.1".to_owned(),
        }
    } else {
        listen.ip().to_string()
    };
    DnsServer {
        server,
        port: listen.port(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_for_too_many_points_is_refused_before_any_is_computed() {
        use crate::catalog::{NamingOptions, Source};
        let catalog = Catalog::load(&[Source::Embedded], &NamingOptions::default())
            .unwrap()
            .catalog;
        let objects: Vec<&SatObject> = catalog.objects().iter().collect();
        let start = chrono::DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .unwrap()
            .to_utc();
        let day = |step_s| TrackSpan {
            start,
            minutes: Some(1440),
            step_s,
        };
        // 8641 points an object at a 10 s step: 7 objects fit, 60 do not.
        assert!(check_budget(&objects, &day(10)).is_ok());
        let many: Vec<&SatObject> = objects.iter().copied().cycle().take(60).collect();
        let err = check_budget(&many, &day(10)).unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert!(
            err.message
                .contains("60 objects at step=10 would hold 518460 points, more than 500000"),
            "{}",
            err.message
        );
        assert!(check_budget(&many, &day(60)).is_ok());
    }

    #[test]
    fn host_headers_lose_their_port() {
        assert_eq!(host_of("example.org:8080"), "example.org");
        assert_eq!(host_of("example.org"), "example.org");
        assert_eq!(host_of("192.0.2.1:80"), "192.0.2.1");
        assert_eq!(host_of("[2001:db8::1]:8080"), "2001:db8::1");
        assert_eq!(host_of("[::1]"), "::1");
    }

    #[test]
    fn dig_goes_to_the_listen_address_or_where_the_page_came_from() {
        let at = |listen: &str, host| dig_server(listen.parse().unwrap(), host).server;
        assert_eq!(at("192.0.2.7:53", Some("map.example")), "192.0.2.7");
        assert_eq!(at("0.0.0.0:53", Some("map.example")), "map.example");
        assert_eq!(at("0.0.0.0:53", None), "127.0.0.1");
        assert_eq!(at("[::]:53", None), "::1");
        assert_eq!(dig_server("[::1]:5353".parse().unwrap(), None).port, 5353);
    }
}
