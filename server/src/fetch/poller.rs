//! One URL's fetcher: a loop that sleeps until the URL is due, then fetches,
//! checks and swaps in its contents on the blocking pool, and logs one line
//! that says what happened and, when something failed, what a person should
//! do. One loop per URL, each waiting for its attempt to end before sleeping
//! again: never more than one request in flight per URL.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::catalog::Source;

use super::http::{Client, FetchError, Fetched, Validators};
use super::options::{FetchOptions, is_celestrak};
use super::schedule::{Backoff, with_jitter};
use super::sources::{Accepted, LiveCatalog, Refused, SourceId};
use super::state::{Meta, Saved, StateDir};
use super::stats::RefreshOutcome;
use super::validate::{BodyError, parse_body};
use std::sync::Arc;

/// How one attempt ended, with what the log line needs.
#[derive(Debug)]
enum Attempt {
    /// New contents in service.
    Updated(Accepted),
    /// HTTP 304, or a 200 with the very body already in service.
    NotModified,
    /// An answer other than 200/304.
    Refused(FetchError),
    /// No answer, or a body over the cap.
    Unreachable(FetchError),
    /// A body that is not a catalogue.
    Invalid(BodyError),
    /// A catalogue refused by a check.
    Rejected(Refused),
}

impl Attempt {
    fn outcome(&self) -> RefreshOutcome {
        match self {
            Attempt::Updated(_) => RefreshOutcome::Updated,
            Attempt::NotModified => RefreshOutcome::NotModified,
            Attempt::Refused(_) => RefreshOutcome::HttpStatus,
            Attempt::Unreachable(_) => RefreshOutcome::Unreachable,
            Attempt::Invalid(_) => RefreshOutcome::Invalid,
            Attempt::Rejected(Refused::Shrunk(_)) => RefreshOutcome::Rejected,
            Attempt::Rejected(Refused::Catalog(_)) => RefreshOutcome::Invalid,
        }
    }
}

/// Everything one URL's fetcher keeps between attempts.
#[derive(Debug)]
pub struct UrlFetcher {
    /// The URL's slot in the source set.
    id: SourceId,
    /// The URL.
    url: Url,
    /// HTTP with the configured limits.
    client: Client,
    /// Where contents are offered.
    live: Arc<LiveCatalog>,
    /// `--state-dir`, if given.
    state: Option<StateDir>,
    /// Validators of the last good body, for conditional requests.
    validators: Validators,
    /// The last good body, to tell a 200 that repeats it from new contents.
    last_body: Option<Vec<u8>>,
    /// When the last good body was downloaded.
    fetched_at: Option<DateTime<Utc>>,
    /// Refusals and failures in a row, which set the next interval.
    backoff: Backoff,
    /// `--refresh`.
    refresh: Duration,
}

impl UrlFetcher {
    /// A fetcher for `url` in slot `id`, starting from what `--state-dir`
    /// saved for it, if anything.
    pub fn new(
        id: SourceId,
        url: Url,
        live: Arc<LiveCatalog>,
        options: &FetchOptions,
        state: Option<StateDir>,
        saved: Option<Saved>,
    ) -> Self {
        let (validators, last_body, fetched_at) = match saved {
            Some(saved) => (
                saved.meta.validators(),
                Some(saved.body),
                saved.meta.fetched_at(),
            ),
            None => (Validators::default(), None, None),
        };
        UrlFetcher {
            id,
            url,
            client: Client::new(options.timeout, options.max_body_bytes),
            live,
            state,
            validators,
            last_body,
            fetched_at,
            backoff: Backoff::new(options.refresh),
            refresh: options.refresh,
        }
    }

    /// One attempt: fetch, check, swap in, save, count and log. Returns the
    /// interval before the next one.
    pub fn attempt(&mut self) -> Duration {
        let now = Utc::now();
        let attempt = self.fetch_and_apply(now);
        let outcome = attempt.outcome();
        self.live.stats().record(outcome, now);
        let delay = with_jitter(self.backoff.after(outcome));
        self.log(&attempt, delay);
        delay
    }

    fn fetch_and_apply(&mut self, now: DateTime<Utc>) -> Attempt {
        let (bytes, validators) = match self.client.get(&self.url, &self.validators) {
            Ok(Fetched::NotModified) => {
                self.confirm(now);
                return Attempt::NotModified;
            }
            Ok(Fetched::Body { bytes, validators }) => (bytes, validators),
            Err(err @ FetchError::Status { .. }) => return Attempt::Refused(err),
            Err(err) => return Attempt::Unreachable(err),
        };
        if self.last_body.as_ref() == Some(&bytes) {
            self.validators = validators;
            self.confirm(now);
            return Attempt::NotModified;
        }
        let contents = match parse_body(Source::Url(self.url.to_string()), &bytes) {
            Ok(contents) => contents,
            Err(err) => return Attempt::Invalid(err),
        };
        match self.live.offer(self.id, contents, now, false) {
            Ok(accepted) => {
                self.validators = validators;
                self.fetched_at = Some(now);
                self.save(&bytes, now);
                self.last_body = Some(bytes);
                Attempt::Updated(accepted)
            }
            Err(refused) => Attempt::Rejected(refused),
        }
    }

    /// The metadata saved with the last good body, checked at `checked_at`.
    fn meta(&self, checked_at: DateTime<Utc>) -> Meta {
        Meta {
            url: self.url.to_string(),
            etag: self.validators.etag.clone(),
            last_modified: self.validators.last_modified.clone(),
            fetched_at: self.fetched_at.unwrap_or(checked_at).to_rfc3339(),
            checked_at: checked_at.to_rfc3339(),
        }
    }

    /// Saves a new good body to `--state-dir`.
    fn save(&self, body: &[u8], now: DateTime<Utc>) {
        if let Some(state) = &self.state
            && let Err(err) = state.save(&self.url, body, &self.meta(now))
        {
            tracing::warn!(
                "fetch {}: cannot save to --state-dir ({err}); a restart without network will serve older elements",
                self.url
            );
        }
    }

    /// Records in `--state-dir` that the server confirmed the saved body.
    fn confirm(&self, now: DateTime<Utc>) {
        if let Some(state) = &self.state
            && self.last_body.is_some()
            && let Err(err) = state.save_meta(&self.url, &self.meta(now))
        {
            tracing::warn!("fetch {}: cannot save to --state-dir ({err})", self.url);
        }
    }

    /// The one line an attempt logs.
    fn log(&self, attempt: &Attempt, delay: Duration) {
        let url = &self.url;
        let next = humantime::format_duration(Duration::from_secs(delay.as_secs().max(1)));
        match attempt {
            Attempt::Updated(accepted) => tracing::info!(
                "fetch {url}: updated, {} objects; catalogue now {} objects; next fetch in {next}",
                accepted.objects,
                accepted.total
            ),
            Attempt::NotModified => tracing::info!(
                "fetch {url}: not modified since {}; next fetch in {next}",
                self.fetched_at.map_or("the last fetch".to_owned(), |t| t
                    .format("%Y-%m-%d %H:%M:%S UTC")
                    .to_string())
            ),
            Attempt::Refused(err) => tracing::warn!(
                "fetch {url}: {err}; {}; not asking again for {next} (refusal {} in a row: waits start at --refresh {} and double, up to a day); still serving {}",
                advice(err, is_celestrak(url)),
                self.backoff.refusals(),
                humantime::format_duration(self.refresh),
                self.live.serving(self.id)
            ),
            Attempt::Unreachable(err @ FetchError::TooLarge { .. }) => tracing::warn!(
                "fetch {url}: {err}; raise --fetch-max-bytes if this source really is that large; trying again in {next}; still serving {}",
                self.live.serving(self.id)
            ),
            Attempt::Unreachable(err) => tracing::warn!(
                "fetch {url}: no answer: {err}; check the network and the URL's host; trying again in {next}; still serving {}",
                self.live.serving(self.id)
            ),
            Attempt::Invalid(err) => tracing::warn!(
                "fetch {url}: refused the new catalogue: {err}; still serving {}; next fetch in {next}",
                self.live.serving(self.id)
            ),
            Attempt::Rejected(refused) => tracing::warn!(
                "fetch {url}: refused the new catalogue: {refused}; still serving {}; next fetch in {next}",
                self.live.serving(self.id)
            ),
        }
    }
}

/// What a person should do about a refusal.
fn advice(err: &FetchError, celestrak: bool) -> String {
    let FetchError::Status { code, location, .. } = err else {
        return "check the URL".to_owned();
    };
    match (*code, location) {
        (300..=399, Some(location)) => format!(
            "the server redirects to {location}, another host: if that is a source you trust, give it with --catalog-url"
        ),
        (403, _) if celestrak => "CelesTrak refuses to send data that has not changed since this address last downloaded it (it updates at most every 2 hours): make sure only one fetcher at this address asks for this URL and --refresh is at least 2h; clients that keep asking get blocked (CelesTrak's usage policy)".to_owned(),
        (401 | 403, _) => "the server refuses this client: check the URL and whether it needs access rights".to_owned(),
        (404 | 410, _) => "check the URL (for --celestrak, the group name)".to_owned(),
        (429, _) => "the server asks for fewer requests: raise --refresh".to_owned(),
        (500..=599, _) => "the server has a problem; if it lasts, tell its operators".to_owned(),
        _ => "check the URL".to_owned(),
    }
}

/// Runs `fetcher` until `shutdown`: the first attempt after `first_delay`,
/// every later one when the previous one says.
pub async fn run(mut fetcher: UrlFetcher, first_delay: Duration, shutdown: CancellationToken) {
    let mut delay = first_delay;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(delay) => {}
        }
        let attempt = tokio::task::spawn_blocking(move || {
            let delay = fetcher.attempt();
            (fetcher, delay)
        });
        match attempt.await {
            Ok((back, next)) => {
                fetcher = back;
                delay = next;
            }
            Err(err) => {
                tracing::error!("a fetcher stopped: {err}");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, location: Option<&str>) -> FetchError {
        FetchError::Status {
            code,
            reason: String::new(),
            first_line: None,
            location: location.map(str::to_owned),
        }
    }

    #[test]
    fn every_refusal_comes_with_what_to_do() {
        assert!(advice(&status(403, None), true).contains("--refresh is at least 2h"));
        assert!(advice(&status(403, None), false).contains("access rights"));
        assert!(advice(&status(404, None), true).contains("group name"));
        assert!(
            advice(&status(302, Some("https://elsewhere.example/x")), false)
                .contains("redirects to https://elsewhere.example/x")
        );
        assert!(advice(&status(503, None), false).contains("tell its operators"));
        assert!(advice(&status(429, None), false).contains("raise --refresh"));
        assert_eq!(advice(&status(418, None), false), "check the URL");
    }
}
