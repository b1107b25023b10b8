//! Keeping element sets fresh: URLs fetched over HTTP(S) on a schedule, and
//! `--catalog` files reloaded when they change, each source checked off the
//! query path and swapped in whole.
//!
//! * [`Sources::load`] reads what the server starts with: the files (a bad
//!   one stops start-up, as before), each URL's last good body from
//!   `--state-dir`, the embedded snapshot while nothing else has contents;
//! * [`Sources::start`] puts them in service: a [`poller`] per URL and the
//!   [`files`] watcher, all offering new contents to one
//!   [`sources::LiveCatalog`], which keeps every source's last good contents
//!   and serves their union;
//! * [`http`] is one conditional GET with its limits, [`validate`] decides
//!   whether a body is a catalogue, [`schedule`] when to ask again, [`state`]
//!   keeps bodies across restarts, [`stats`] counts attempts for metrics.

pub mod files;
pub mod http;
pub mod options;
pub mod poller;
pub mod schedule;
pub mod sources;
pub mod state;
pub mod stats;
pub mod validate;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::catalog::{CatalogError, Loaded, NamingOptions, Source, read_usable};
use crate::service::Service;

pub use files::Files;
pub use options::{FetchOptions, celestrak_url, is_celestrak};
use poller::UrlFetcher;
use sources::{LiveCatalog, SourceId, SourceSet};
use state::{Saved, StateDir, StateError};
use stats::RefreshStats;

/// Why the sources could not be loaded at start-up.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A `--catalog` file (or the embedded snapshot) did not load.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// `--state-dir` cannot be used.
    #[error("--state-dir: {0}")]
    State(#[from] StateError),
}

/// A URL as the server starts: its slot and what `--state-dir` had for it.
#[derive(Debug)]
struct UrlStart {
    id: SourceId,
    url: Url,
    saved: Option<Saved>,
}

/// The catalogue's sources as the server starts, before they are in service.
#[derive(Debug)]
pub struct Sources {
    /// Every source's contents so far.
    set: SourceSet,
    /// The URLs to poll.
    urls: Vec<UrlStart>,
    /// The files to watch.
    files: Vec<(SourceId, PathBuf)>,
    /// `--state-dir`, opened.
    state: Option<StateDir>,
    /// The fetcher's settings.
    options: FetchOptions,
    /// The warnings of the last [`Sources::build`], already logged.
    warnings: Vec<String>,
}

impl Sources {
    /// Reads `sources` (files or the embedded snapshot) and, for each URL of
    /// `options`, its last good body from `--state-dir`. Logs what it found.
    pub fn load(
        sources: &[Source],
        options: &FetchOptions,
        naming: &NamingOptions,
    ) -> Result<Sources, LoadError> {
        let mut set = SourceSet::new(naming.clone());
        let mut files = Vec::new();
        let now = Utc::now();
        for source in sources {
            let contents = read_usable(source)?;
            let id = set.add(source.clone(), Some(contents), Some(now));
            if let Source::File(path) = source {
                files.push((id, path.clone()));
            }
        }
        let state = options
            .state_dir
            .as_deref()
            .map(StateDir::open)
            .transpose()?;
        let mut urls = Vec::new();
        for url in &options.urls {
            let saved = state.as_ref().and_then(|state| load_saved(state, url));
            let contents = saved.as_ref().and_then(|saved| {
                validate::parse_body(Source::Url(url.to_string()), &saved.body)
                    .inspect_err(|err| {
                        tracing::warn!("fetch {url}: the body saved in --state-dir is not usable ({err}); waiting for a fetch");
                    })
                    .ok()
            });
            let obtained = saved.as_ref().and_then(|s| s.meta.fetched_at());
            if let (Some(contents), Some(saved)) = (&contents, &saved) {
                log_saved(url, contents, saved, state.as_ref());
            }
            let saved = if contents.is_some() { saved } else { None };
            let id = set.add(Source::Url(url.to_string()), contents, obtained);
            urls.push(UrlStart {
                id,
                url: url.clone(),
                saved,
            });
        }
        if !urls.is_empty() && set.serves_embedded() {
            tracing::warn!(
                "no fetched elements yet ({}): serving the embedded catalogue until a fetch succeeds",
                if state.is_some() {
                    "nothing usable saved in --state-dir"
                } else {
                    "no --state-dir to keep them across restarts"
                }
            );
        }
        Ok(Sources {
            set,
            urls,
            files,
            state,
            options: options.clone(),
            warnings: Vec::new(),
        })
    }

    /// The catalogue the sources make now.
    pub fn build(&mut self) -> Result<Loaded, CatalogError> {
        let loaded = self.set.build()?;
        self.warnings.clone_from(&loaded.warnings);
        Ok(loaded)
    }

    /// Puts the sources in service behind `service` (which must already
    /// serve [`Sources::build`]'s catalogue): starts a fetcher per URL and
    /// the file watcher, counting attempts in `stats`, until `shutdown`.
    /// Returns the files, for SIGHUP. Must run inside the Tokio runtime.
    pub fn start(
        self,
        service: Arc<Service>,
        stats: Arc<RefreshStats>,
        shutdown: &CancellationToken,
    ) -> Arc<Files> {
        let live = Arc::new(LiveCatalog::new(
            service,
            self.set,
            stats,
            self.options.accept_shrink,
            &self.warnings,
        ));
        for start in self.urls {
            let first_delay = first_delay(start.saved.as_ref(), self.options.refresh);
            let fetcher = UrlFetcher::new(
                start.id,
                start.url,
                Arc::clone(&live),
                &self.options,
                self.state.clone(),
                start.saved,
            );
            tokio::spawn(poller::run(fetcher, first_delay, shutdown.clone()));
        }
        let files = Arc::new(Files::new(live, self.files));
        tokio::spawn(files::watch(Arc::clone(&files), shutdown.clone()));
        files
    }
}

/// A URL's saved body, if `--state-dir` has a usable one; problems are logged.
fn load_saved(state: &StateDir, url: &Url) -> Option<Saved> {
    match state.load(url) {
        Ok(saved) => saved,
        Err(err) => {
            tracing::warn!(
                "fetch {url}: cannot use what --state-dir holds ({err}); waiting for a fetch"
            );
            None
        }
    }
}

fn log_saved(
    url: &Url,
    contents: &crate::catalog::SourceContents,
    saved: &Saved,
    state: Option<&StateDir>,
) {
    let age = saved
        .meta
        .fetched_at()
        .map(|at| (Utc::now() - at).num_seconds() as f64 / 86_400.0);
    tracing::info!(
        "fetch {url}: serving {} objects saved in --state-dir {} at {} ({} days old) until a fetch brings newer ones",
        validate::object_count(contents),
        state.map_or_else(String::new, |s| s.path().display().to_string()),
        saved.meta.fetched_at,
        age.map_or("unknown".to_owned(), |d| format!("{d:.1}"))
    );
}

/// When a URL is first due: a refresh after the server last confirmed the
/// saved body, so restarts do not ask again sooner than `--refresh` allows;
/// at once when nothing was saved.
fn first_delay(saved: Option<&Saved>, refresh: Duration) -> Duration {
    let Some(checked) = saved.and_then(|s| s.meta.checked_at()) else {
        return Duration::ZERO;
    };
    let since = (Utc::now() - checked).to_std().unwrap_or(Duration::ZERO);
    refresh.saturating_sub(since)
}
