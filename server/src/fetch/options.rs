//! What the fetcher is told: which URLs, how often, and its limits, as plain
//! values (the command line becomes these in `config.rs`).

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

/// How often a URL is asked for new elements unless `--refresh` says otherwise.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(6 * 3600);
/// The shortest refresh allowed for celestrak.org: its GP data changes at most
/// every two hours, and it blocks clients that ask more often.
pub const MIN_CELESTRAK_REFRESH: Duration = Duration::from_secs(2 * 3600);
/// How long one fetch may take, from connecting to the last byte of the body.
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest body accepted: 64 MiB, room for about 100,000 OMM JSON records
/// of the 650 bytes each in `tests/fixtures/catalogs/leo.json` (1307 bytes,
/// two records: `wc -c`), several times any public catalogue, while a runaway
/// response cannot fill memory.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// The fetcher's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// `--catalog-url` and `--celestrak` URLs, each polled by one fetcher.
    pub urls: Vec<Url>,
    /// `--refresh`: the interval between fetches of one URL (before jitter).
    pub refresh: Duration,
    /// `--fetch-timeout`: the budget of one fetch, end to end.
    pub timeout: Duration,
    /// `--fetch-max-bytes`: bodies larger than this are refused.
    pub max_body_bytes: u64,
    /// `--accept-shrink`: take a source's new contents even when they have
    /// fewer than half the objects of its last good ones.
    pub accept_shrink: bool,
    /// `--state-dir`: where the last good body of every URL is kept.
    pub state_dir: Option<PathBuf>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            urls: Vec::new(),
            refresh: DEFAULT_REFRESH,
            timeout: DEFAULT_FETCH_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            accept_shrink: false,
            state_dir: None,
        }
    }
}

/// The CelesTrak GP URL of a group in OMM JSON (`--celestrak stations`), or
/// why the group name cannot be one.
pub fn celestrak_url(group: &str) -> Result<Url, String> {
    let valid = !group.is_empty()
        && group
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(format!(
            "\"{group}\" is not a CelesTrak group name (letters, digits, '-' and '_', e.g. stations, active, gps-ops)"
        ));
    }
    Url::parse(&format!(
        "https://celestrak.org/NORAD/elements/gp.php?GROUP={group}&FORMAT=json"
    ))
    .map_err(|err| err.to_string())
}

/// Whether `url` is served by CelesTrak, whose usage policy limits how often
/// it may be asked (celestrak.org, and the older celestrak.com).
pub fn is_celestrak(url: &Url) -> bool {
    url.host_str().is_some_and(|host| {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        ["celestrak.org", "celestrak.com"]
            .iter()
            .any(|domain| host == *domain || host.ends_with(&format!(".{domain}")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn celestrak_groups_become_gp_urls_in_json() {
        assert_eq!(
            celestrak_url("stations").unwrap().as_str(),
            "https://celestrak.org/NORAD/elements/gp.php?GROUP=stations&FORMAT=json"
        );
        for bad in ["", "a&FORMAT=tle", "st ations", "../x"] {
            assert!(celestrak_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn celestrak_hosts_are_recognised() {
        for yes in [
            "https://celestrak.org/x",
            "http://CelesTrak.org./x",
            "https://www.celestrak.com/x",
        ] {
            assert!(is_celestrak(&Url::parse(yes).unwrap()), "{yes}");
        }
        for no in [
            "https://example.org/celestrak.org",
            "https://notcelestrak.org/x",
            "http://127.0.0.1:8080/x",
        ] {
            assert!(!is_celestrak(&Url::parse(no).unwrap()), "{no}");
        }
    }
}
