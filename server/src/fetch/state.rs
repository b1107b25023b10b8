//! `--state-dir`: the last good body of every URL, kept across restarts so
//! that a server started without network serves yesterday's elements instead
//! of the snapshot compiled into the binary.
//!
//! Per URL there are two files, named after the URL: `<key>.body`, exactly
//! the bytes the server sent, and `<key>.json`, what came with them (the URL,
//! `ETag`, `Last-Modified`, when they were fetched and last confirmed). Each is
//! written to a temporary file, flushed to disk and renamed over the old one,
//! so a crash leaves the old file or the new one, never half of either. If a
//! crash falls between the two renames, the next fetch just cannot be
//! conditional: the validators are checked against nothing but the URL.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use super::http::Validators;

/// What is kept next to a body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// The URL the body came from (checked on load: two URLs never share
    /// files, even if their keys collide).
    pub url: String,
    /// The `ETag` that came with the body.
    pub etag: Option<String>,
    /// The `Last-Modified` that came with the body.
    pub last_modified: Option<String>,
    /// When the body was downloaded (RFC 3339).
    pub fetched_at: String,
    /// When the server last confirmed it, by sending it or answering 304
    /// (RFC 3339); the next fetch after a restart is due a refresh after this.
    pub checked_at: String,
}

impl Meta {
    /// The validators for the next conditional request.
    pub fn validators(&self) -> Validators {
        Validators {
            etag: self.etag.clone(),
            last_modified: self.last_modified.clone(),
        }
    }

    /// `fetched_at` as an instant, if it parses.
    pub fn fetched_at(&self) -> Option<DateTime<Utc>> {
        parse_instant(&self.fetched_at)
    }

    /// `checked_at` as an instant, if it parses.
    pub fn checked_at(&self) -> Option<DateTime<Utc>> {
        parse_instant(&self.checked_at)
    }
}

fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A body saved for a URL, with its metadata.
#[derive(Debug, Clone)]
pub struct Saved {
    /// The body as it was fetched.
    pub body: Vec<u8>,
    /// What came with it.
    pub meta: Meta,
}

/// Why saved state could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// What the OS said.
        #[source]
        error: io::Error,
    },
    /// The metadata file does not parse.
    #[error("{path}: not the metadata satloc writes ({error})")]
    BadMeta {
        /// The file.
        path: String,
        /// What serde_json said.
        error: String,
    },
    /// The files belong to another URL.
    #[error("{path}: saved for {found}, not for this URL")]
    OtherUrl {
        /// The file.
        path: String,
        /// The URL in the file.
        found: String,
    },
}

/// The state directory.
#[derive(Debug, Clone)]
pub struct StateDir {
    /// `--state-dir`.
    dir: PathBuf,
}

impl StateDir {
    /// Uses `dir`, creating it if needed.
    pub fn open(dir: &Path) -> Result<Self, StateError> {
        fs::create_dir_all(dir).map_err(|error| io_error(dir, error))?;
        Ok(StateDir {
            dir: dir.to_path_buf(),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The saved body and metadata of `url`; `None` when nothing was saved.
    pub fn load(&self, url: &Url) -> Result<Option<Saved>, StateError> {
        let (body_path, meta_path) = self.paths(url);
        let meta_text = match fs::read_to_string(&meta_path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(io_error(&meta_path, error)),
        };
        let meta: Meta = serde_json::from_str(&meta_text).map_err(|error| StateError::BadMeta {
            path: meta_path.display().to_string(),
            error: error.to_string(),
        })?;
        if meta.url != url.as_str() {
            return Err(StateError::OtherUrl {
                path: meta_path.display().to_string(),
                found: meta.url,
            });
        }
        let body = match fs::read(&body_path) {
            Ok(body) => body,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(io_error(&body_path, error)),
        };
        Ok(Some(Saved { body, meta }))
    }

    /// Saves a new body for `url` and its metadata, each atomically.
    pub fn save(&self, url: &Url, body: &[u8], meta: &Meta) -> Result<(), StateError> {
        let (body_path, _) = self.paths(url);
        write_atomically(&body_path, body).map_err(|error| io_error(&body_path, error))?;
        self.save_meta(url, meta)
    }

    /// Saves only the metadata (after a 304, which confirms the body).
    pub fn save_meta(&self, url: &Url, meta: &Meta) -> Result<(), StateError> {
        let (_, meta_path) = self.paths(url);
        let mut text = serde_json::to_string_pretty(meta).map_err(|error| StateError::BadMeta {
            path: meta_path.display().to_string(),
            error: error.to_string(),
        })?;
        text.push('\n');
        write_atomically(&meta_path, text.as_bytes()).map_err(|error| io_error(&meta_path, error))
    }

    fn paths(&self, url: &Url) -> (PathBuf, PathBuf) {
        let key = key(url);
        (
            self.dir.join(format!("{key}.body")),
            self.dir.join(format!("{key}.json")),
        )
    }
}

fn io_error(path: &Path, error: io::Error) -> StateError {
    StateError::Io {
        path: path.display().to_string(),
        error,
    }
}

/// A file name for `url`: its host, path and query with every character
/// other than letters, digits, `.` and `-` made `_` (at most 80 of them, for
/// people listing the directory), then a hash of the whole URL (so that URLs
/// that read the same after that still get their own files).
pub fn key(url: &Url) -> String {
    let readable: String = format!(
        "{}{}{}",
        url.host_str().unwrap_or("nohost"),
        url.path(),
        url.query().map(|q| format!("?{q}")).unwrap_or_default()
    )
    .chars()
    .map(|c| {
        if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
            c
        } else {
            '_'
        }
    })
    .take(80)
    .collect();
    format!("{readable}-{:016x}", fnv1a(url.as_str().as_bytes()))
}

/// FNV-1a, 64 bits: a hash that stays the same across Rust releases and
/// platforms, unlike `DefaultHasher`, so file names survive an upgrade.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Writes `bytes` to `path` through a temporary file in the same directory:
/// written, flushed to disk, renamed over `path`, and the directory flushed
/// so the rename itself survives a power cut.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, path)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "satloc-state-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn meta(url: &Url) -> Meta {
        Meta {
            url: url.to_string(),
            etag: Some("\"v1\"".to_owned()),
            last_modified: None,
            fetched_at: "2026-11-27T12:00:00Z".to_owned(),
            checked_at: "2026-11-28T06:00:00+00:00".to_owned(),
        }
    }

    #[test]
    fn saves_and_loads_body_and_meta() {
        let dir = temp_dir("roundtrip");
        let state = StateDir::open(&dir).unwrap();
        let url =
            Url::parse("https://celestrak.org/NORAD/elements/gp.php?GROUP=stations&FORMAT=json")
                .unwrap();
        assert!(state.load(&url).unwrap().is_none());
        state.save(&url, b"[1]", &meta(&url)).unwrap();
        let saved = state.load(&url).unwrap().unwrap();
        assert_eq!(saved.body, b"[1]");
        assert_eq!(saved.meta, meta(&url));
        assert_eq!(
            saved.meta.checked_at().unwrap().to_rfc3339(),
            "2026-11-28T06:00:00+00:00"
        );
        assert_eq!(saved.meta.validators().etag.as_deref(), Some("\"v1\""));
        // Nothing but the two files is left behind.
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(
            names[0].starts_with("celestrak.org_NORAD_elements_gp.php_GROUP_stations_FORMAT_json-")
        );
        assert!(names[0].ends_with(".body") && names[1].ends_with(".json"));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn files_of_another_url_are_not_used() {
        let dir = temp_dir("other");
        let state = StateDir::open(&dir).unwrap();
        let url = Url::parse("http://127.0.0.1:1/a").unwrap();
        state.save(&url, b"x", &meta(&url)).unwrap();
        let (_, meta_path) = state.paths(&url);
        let forged = fs::read_to_string(&meta_path)
            .unwrap()
            .replace("127.0.0.1:1/a", "127.0.0.1:2/a");
        fs::write(&meta_path, forged).unwrap();
        assert!(matches!(state.load(&url), Err(StateError::OtherUrl { .. })));
        fs::write(&meta_path, "{").unwrap();
        assert!(matches!(state.load(&url), Err(StateError::BadMeta { .. })));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn keys_are_readable_stable_and_distinct() {
        let a = Url::parse("http://example.org/a?b").unwrap();
        let b = Url::parse("http://example.org/a_b").unwrap();
        assert_ne!(key(&a), key(&b));
        assert_eq!(key(&a), key(&Url::parse("http://example.org/a?b").unwrap()));
        assert!(key(&a).starts_with("example.org_a_b-"), "{}", key(&a));
        // FNV-1a test vector.
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
