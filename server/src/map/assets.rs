//! The page's files, compiled into the binary so the map works with no
//! internet and nothing to install: satloc's own page (`server/map/`) and the
//! third-party files it draws with (`server/map/vendor/`, with their licences
//! and `scripts/vendor-map.sh`, which fetches them).

use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// One file of the page.
#[derive(Debug)]
pub struct Asset {
    /// The URL path it is served at.
    pub path: &'static str,
    /// Its media type.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the page.
pub const ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("../../map/index.html"),
    },
    Asset {
        path: "/map.js",
        content_type: JS,
        body: include_bytes!("../../map/map.js"),
    },
    Asset {
        path: "/map.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../map/map.css"),
    },
    Asset {
        path: "/vendor/d3-array.min.js",
        content_type: JS,
        body: include_bytes!("../../map/vendor/d3-array.min.js"),
    },
    Asset {
        path: "/vendor/d3-geo.min.js",
        content_type: JS,
        body: include_bytes!("../../map/vendor/d3-geo.min.js"),
    },
    Asset {
        path: "/vendor/topojson-client.min.js",
        content_type: JS,
        body: include_bytes!("../../map/vendor/topojson-client.min.js"),
    },
    Asset {
        path: "/vendor/land-110m.json",
        content_type: "application/json",
        body: include_bytes!("../../map/vendor/land-110m.json"),
    },
];

/// Scripts, styles and data from this server only, no inline script: a
/// browser refuses anything the page might try to load from elsewhere.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:";

/// The file at `path`, if the page has one.
pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.path == path)
}

/// Serves the page's files; anything else is a 404 that says what there is.
pub async fn serve(uri: Uri) -> Response {
    match find(uri.path()) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
                // The files change only with the binary; revalidating is cheap
                // on loopback and never shows a stale page after an upgrade.
                (header::CACHE_CONTROL, "no-cache"),
            ],
            asset.body,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            format!(
                "no such page: {}; the map is at /, its API at /api/positions, \
                 /api/objects, /api/track/<id> and /api/tracks\n",
                uri.path()
            ),
        )
            .into_response(),
    }
}
