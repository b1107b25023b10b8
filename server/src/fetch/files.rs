//! `--catalog` files, reloaded when they change on disk and on SIGHUP.
//!
//! Changes are found by polling each file's modification time, size and inode
//! every [`FILE_POLL_EVERY`], rather than with inotify: polling works the
//! same on every file system (NFS, bind mounts, overlay) and sees a
//! Kubernetes ConfigMap update, which swaps a symlink that a watch on the
//! file would miss; a `stat` of a few files every two seconds costs nothing.
//! A change is loaded once the file has looked the same for two polls in a
//! row, so a file being written is not read half-way.
//!
//! An automatic reload is checked like a fetch (fewer than half the objects
//! is refused unless `--accept-shrink`), because nobody asked for it; a
//! reload on SIGHUP is an operator's request and takes what the file holds.
//! Either way a file that fails keeps its last good contents in service.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::catalog::{CatalogError, Source, read_usable};

use super::sources::{LiveCatalog, Refused, SourceId};
use super::stats::RefreshOutcome;

/// How often the files are looked at.
pub const FILE_POLL_EVERY: Duration = Duration::from_secs(2);

/// What identifies one version of a file on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
    device: u64,
}

impl Stamp {
    fn of(path: &Path) -> std::io::Result<Stamp> {
        let meta = std::fs::metadata(path)?;
        Ok(Stamp {
            modified: meta.modified().ok(),
            len: meta.len(),
            inode: meta.ino(),
            device: meta.dev(),
        })
    }
}

/// One watched file.
#[derive(Debug)]
struct Watched {
    /// Its slot in the source set.
    id: SourceId,
    /// `--catalog PATH`.
    path: PathBuf,
    /// The version last loaded (or refused: it is not tried again until it
    /// changes or SIGHUP comes).
    loaded: Option<Stamp>,
    /// A new version seen at the last poll, loaded if it is still the same at
    /// the next.
    pending: Option<Stamp>,
    /// The last `stat` error logged, so a missing file is reported once.
    stat_error: Option<String>,
}

/// The `--catalog` files and the catalogue they feed.
#[derive(Debug)]
pub struct Files {
    /// Where reloaded contents are offered.
    live: Arc<LiveCatalog>,
    /// The files; polls and SIGHUP reloads take turns on this lock.
    watched: Mutex<Vec<Watched>>,
}

/// What a SIGHUP reload did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReloadSummary {
    /// Files whose new contents are in service.
    pub reloaded: usize,
    /// Files that failed and kept their last good contents.
    pub failed: usize,
}

impl Files {
    /// Watches `files` (slot and path), as loaded at start-up.
    pub fn new(live: Arc<LiveCatalog>, files: Vec<(SourceId, PathBuf)>) -> Self {
        let watched = files
            .into_iter()
            .map(|(id, path)| Watched {
                id,
                loaded: Stamp::of(&path).ok(),
                pending: None,
                stat_error: None,
                path,
            })
            .collect();
        Files {
            live,
            watched: Mutex::new(watched),
        }
    }

    /// Whether there is anything to watch.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Looks at every file once; reloads those that changed and then held
    /// still for a poll.
    pub fn poll(&self) {
        let mut watched = self.lock();
        for file in watched.iter_mut() {
            let stamp = match Stamp::of(&file.path) {
                Ok(stamp) => stamp,
                Err(err) => {
                    let err = err.to_string();
                    if file.stat_error.as_ref() != Some(&err) {
                        tracing::warn!(
                            "--catalog {}: {err}; still serving its last good element sets",
                            file.path.display()
                        );
                        file.stat_error = Some(err);
                    }
                    file.pending = None;
                    continue;
                }
            };
            file.stat_error = None;
            if Some(stamp) == file.loaded {
                file.pending = None;
            } else if Some(stamp) == file.pending {
                file.loaded = Some(stamp);
                file.pending = None;
                self.reload(file, false);
            } else {
                file.pending = Some(stamp);
            }
        }
    }

    /// SIGHUP: reloads every file now, whatever its stamp.
    pub fn reload_all(&self) -> ReloadSummary {
        let mut summary = ReloadSummary::default();
        let mut watched = self.lock();
        for file in watched.iter_mut() {
            file.loaded = Stamp::of(&file.path).ok();
            file.pending = None;
            if self.reload(file, true) {
                summary.reloaded += 1;
            } else {
                summary.failed += 1;
            }
        }
        summary
    }

    /// Reads one file and offers it; logs one line either way. `on_request`
    /// is true for SIGHUP.
    fn reload(&self, file: &Watched, on_request: bool) -> bool {
        let now = Utc::now();
        let why = if on_request {
            "catalogue reload"
        } else {
            "changed on disk"
        };
        let source = Source::File(file.path.clone());
        let contents = match read_usable(&source) {
            Ok(contents) => contents,
            Err(err) => {
                // A file that cannot be read is the file system's "no answer".
                let outcome = match err {
                    CatalogError::Unreadable { .. } => RefreshOutcome::Unreachable,
                    _ => RefreshOutcome::Invalid,
                };
                self.live.stats().record(outcome, now);
                tracing::error!(
                    "--catalog {} ({why}): reload failed, still serving {}: {:#}",
                    file.path.display(),
                    self.live.serving(file.id),
                    anyhow::Error::from(err)
                );
                return false;
            }
        };
        match self.live.offer(file.id, contents, now, on_request) {
            Ok(accepted) => {
                self.live.stats().record(RefreshOutcome::Updated, now);
                tracing::info!(
                    "--catalog {} ({why}): reloaded, {} objects; catalogue now {} objects",
                    file.path.display(),
                    accepted.objects,
                    accepted.total
                );
                true
            }
            Err(refused) => {
                let outcome = match refused {
                    Refused::Shrunk(_) => RefreshOutcome::Rejected,
                    Refused::Catalog(_) => RefreshOutcome::Invalid,
                };
                self.live.stats().record(outcome, now);
                tracing::error!(
                    "--catalog {} ({why}): reload failed, still serving {}: {refused}",
                    file.path.display(),
                    self.live.serving(file.id),
                );
                false
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Watched>> {
        self.watched.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Polls `files` every [`FILE_POLL_EVERY`] on the blocking pool until
/// `shutdown`.
pub async fn watch(files: Arc<Files>, shutdown: CancellationToken) {
    if files.is_empty() {
        return;
    }
    let mut ticks = tokio::time::interval(FILE_POLL_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let files = Arc::clone(&files);
        if let Err(err) = tokio::task::spawn_blocking(move || files.poll()).await {
            tracing::error!("watching the --catalog files failed: {err}");
        }
    }
}
