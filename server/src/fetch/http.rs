//! One conditional GET of a catalogue URL, with the limits the fetcher
//! promises: a time budget from connecting to the last byte, a cap on the
//! body, and redirects followed only within the same host.
//!
//! The client is `ureq`: blocking and small (rustls with ring and compiled-in
//! web PKI roots: no OpenSSL, no system CA bundle needed in a container). A
//! server asks each URL a few times a day, so the fetch runs on the blocking
//! thread pool rather than pulling an async HTTP stack into the runtime
//! that answers queries.

use std::io::Read;
use std::time::Duration;

use url::Url;

/// How many same-host redirects are followed before giving up.
const MAX_REDIRECTS: usize = 5;
/// How much of a refusal's body is read, for its first line.
const ERROR_BODY_BYTES: u64 = 4096;
/// The longest first line of a refusal's body that is logged.
const FIRST_LINE_CHARS: usize = 200;

/// What makes a request conditional: the validators of the last good body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// `ETag`, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// `Last-Modified`, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

impl Validators {
    /// The request headers that make a GET conditional on these validators.
    pub fn request_headers(&self) -> Vec<(&'static str, &str)> {
        let mut headers = Vec::new();
        if let Some(etag) = &self.etag {
            headers.push(("If-None-Match", etag.as_str()));
        }
        if let Some(modified) = &self.last_modified {
            headers.push(("If-Modified-Since", modified.as_str()));
        }
        headers
    }

    /// The validators a response carries.
    fn from_response<B>(response: &ureq::http::Response<B>) -> Self {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Validators {
            etag: header("etag"),
            last_modified: header("last-modified"),
        }
    }
}

/// What a successful fetch brought.
#[derive(Debug)]
pub enum Fetched {
    /// HTTP 304: the last good body is still current.
    NotModified,
    /// HTTP 200 with a body within the cap.
    Body {
        /// The body, decompressed.
        bytes: Vec<u8>,
        /// Its validators, for the next conditional request.
        validators: Validators,
    },
}

/// Why a fetch brought nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The server answered, with a status other than 200 or 304 (a redirect
    /// to another host counts: its content is not what was asked for).
    #[error("HTTP {code} {reason}{}", first_line.as_ref().map(|l| format!(" (\"{l}\")")).unwrap_or_default())]
    Status {
        /// The status code.
        code: u16,
        /// Its reason phrase.
        reason: String,
        /// The first line of the body, for servers (such as CelesTrak) that
        /// say there why they refused.
        first_line: Option<String>,
        /// Where a redirect pointed.
        location: Option<String>,
    },
    /// No answer: connection refused, name not found, TLS, timeout.
    #[error("{0}")]
    Unreachable(String),
    /// The body was larger than the cap.
    #[error("the body is larger than --fetch-max-bytes {limit}")]
    TooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
}

/// An HTTP client with the fetcher's limits.
#[derive(Debug)]
pub struct Client {
    /// ureq's agent: timeouts, no automatic redirects, statuses as values.
    agent: ureq::Agent,
    /// `--fetch-max-bytes`.
    max_body_bytes: u64,
    /// `--fetch-timeout`, for messages.
    timeout: Duration,
}

impl Client {
    /// A client whose every fetch ends within `timeout` and refuses bodies
    /// over `max_body_bytes`.
    pub fn new(timeout: Duration, max_body_bytes: u64) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            // Statuses are answers to report, not errors to propagate.
            .http_status_as_error(false)
            // Redirects are followed here, so one to another host is seen.
            .max_redirects(0)
            .user_agent(concat!(
                "satloc-server/",
                env!("CARGO_PKG_VERSION"),
                " (DNS LOC server; one fetch per URL per --refresh)"
            ))
            .build();
        Client {
            agent: config.into(),
            max_body_bytes,
            timeout,
        }
    }

    /// GETs `url`, conditional on `validators`, following redirects that stay
    /// on the same host.
    pub fn get(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchError> {
        let mut at = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let mut request = self.agent.get(at.as_str());
            for (name, value) in validators.request_headers() {
                request = request.header(name, value);
            }
            let mut response = request.call().map_err(|err| self.unreachable(&err))?;
            let status = response.status();
            if status.is_redirection() && status.as_u16() != 304 {
                match redirect_target(&at, &response) {
                    Ok(next) => {
                        at = next;
                        continue;
                    }
                    Err(location) => return Err(refusal(&mut response, location)),
                }
            }
            return match status.as_u16() {
                304 => Ok(Fetched::NotModified),
                200 => {
                    let validators = Validators::from_response(&response);
                    let bytes = response
                        .body_mut()
                        .with_config()
                        .limit(self.max_body_bytes)
                        .read_to_vec()
                        .map_err(|err| match err {
                            ureq::Error::BodyExceedsLimit(_) => FetchError::TooLarge {
                                limit: self.max_body_bytes,
                            },
                            other => self.unreachable(&other),
                        })?;
                    Ok(Fetched::Body { bytes, validators })
                }
                _ => Err(refusal(&mut response, None)),
            };
        }
        Err(FetchError::Unreachable(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }

    fn unreachable(&self, err: &ureq::Error) -> FetchError {
        FetchError::Unreachable(match err {
            ureq::Error::Timeout(_) => format!(
                "no complete answer within --fetch-timeout {}",
                humantime::format_duration(self.timeout)
            ),
            ureq::Error::Io(io) => format!("connection failed: {io}"),
            other => other.to_string(),
        })
    }
}

/// Where a redirect leads, if it stays on the same host (a move from http to
/// https is fine, the reverse is not); otherwise `Err` with the location to
/// report.
fn redirect_target<B>(
    from: &Url,
    response: &ureq::http::Response<B>,
) -> Result<Url, Option<String>> {
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or(None)?;
    let next = from.join(location).map_err(|_| Some(location.to_owned()))?;
    let same_host = next.host_str() == from.host_str();
    let downgrade = from.scheme() == "https" && next.scheme() != "https";
    let port_ok = next.port_or_known_default() == from.port_or_known_default()
        || (from.scheme() == "http" && next.scheme() == "https");
    if same_host && port_ok && !downgrade {
        Ok(next)
    } else {
        Err(Some(next.to_string()))
    }
}

/// A refusal: the status and the first line of what the body says.
fn refusal(
    response: &mut ureq::http::Response<ureq::Body>,
    location: Option<String>,
) -> FetchError {
    let status = response.status();
    let mut head = Vec::new();
    // The body only explains the refusal: a read error leaves it unexplained.
    let _ = response
        .body_mut()
        .as_reader()
        .take(ERROR_BODY_BYTES)
        .read_to_end(&mut head);
    FetchError::Status {
        code: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_owned(),
        first_line: first_line(&head),
        location,
    }
}

/// The first non-blank line of a body, printable characters only, shortened.
pub fn first_line(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let clean: String = line
        .chars()
        .filter(|c| !c.is_control())
        .take(FIRST_LINE_CHARS)
        .collect();
    (!clean.is_empty()).then_some(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators_become_conditional_headers() {
        assert!(Validators::default().request_headers().is_empty());
        let validators = Validators {
            etag: Some("\"abc\"".to_owned()),
            last_modified: Some("Sat, 28 Nov 2026 10:00:00 GMT".to_owned()),
        };
        assert_eq!(
            validators.request_headers(),
            [
                ("If-None-Match", "\"abc\""),
                ("If-Modified-Since", "Sat, 28 Nov 2026 10:00:00 GMT")
            ]
        );
        let only_date = Validators {
            etag: None,
            last_modified: Some("x".to_owned()),
        };
        assert_eq!(only_date.request_headers(), [("If-Modified-Since", "x")]);
    }

    fn redirect(from: &str, location: &str) -> Result<Url, Option<String>> {
        let response = ureq::http::Response::builder()
            .status(302)
            .header("location", location)
            .body(())
            .unwrap();
        redirect_target(&Url::parse(from).unwrap(), &response)
    }

    #[test]
    fn redirects_are_followed_only_on_the_same_host() {
        assert_eq!(
            redirect("http://celestrak.org/a?x=1", "https://celestrak.org/b")
                .unwrap()
                .as_str(),
            "https://celestrak.org/b"
        );
        assert_eq!(
            redirect("http://127.0.0.1:8080/a", "/b?c")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8080/b?c"
        );
        assert_eq!(
            redirect("https://celestrak.org/a", "https://mirror.example/a"),
            Err(Some("https://mirror.example/a".to_owned()))
        );
        assert!(redirect("https://celestrak.org/a", "http://celestrak.org/a").is_err());
        assert!(redirect("http://127.0.0.1:8080/a", "http://127.0.0.1:9090/a").is_err());
    }

    #[test]
    fn the_first_line_of_a_refusal_is_kept_short_and_printable() {
        assert_eq!(
            first_line(
                b"\n  GP data has not updated since your last successful download.\r\nMore.\n"
            )
            .as_deref(),
            Some("GP data has not updated since your last successful download.")
        );
        assert_eq!(first_line(b""), None);
        assert_eq!(first_line(b"\x1b[31m\n"), Some("[31m".to_owned()));
        assert_eq!(first_line(&[b'x'; 1000]).unwrap().len(), FIRST_LINE_CHARS);
    }

    #[test]
    fn refusals_read_as_one_line() {
        let err = FetchError::Status {
            code: 403,
            reason: "Forbidden".to_owned(),
            first_line: Some("GP data has not updated".to_owned()),
            location: None,
        };
        assert_eq!(
            err.to_string(),
            "HTTP 403 Forbidden (\"GP data has not updated\")"
        );
    }
}
