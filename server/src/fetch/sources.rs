//! The catalogue in service, made from every source's last good contents.
//!
//! Each source (a `--catalog` file, a URL, or the embedded snapshot) has a
//! slot holding the last contents of it that passed the checks. The
//! catalogue served is the union of the slots, rebuilt whenever one of them
//! changes (for an object in several sources the newest epoch wins, as at
//! start-up), so a source that fails keeps its last good objects and never
//! takes another source's with it. The embedded snapshot only counts while no
//! other source has contents: it is what a server without any serves, not
//! last year's elements mixed in with today's.
//!
//! Every change goes through one lock: build the union with the new contents,
//! prepare it, swap it in, store the contents. Two updates (a fetch and a
//! file reload) therefore never race into losing one, and the union is built
//! off the query path: queries keep reading the old catalogue until the swap.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};

use crate::catalog::{Catalog, CatalogError, Loaded, NamingOptions, Source, SourceContents};
use crate::service::Service;

use super::stats::RefreshStats;
use super::validate::{Shrunk, check_shrink, object_count};

/// Which slot of a [`SourceSet`] a source has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceId(usize);

/// One source and its last good contents.
#[derive(Debug)]
struct Slot {
    /// Which source.
    source: Source,
    /// Its last good contents, if it ever had any.
    contents: Option<SourceContents>,
    /// When those contents were fetched or read.
    obtained: Option<DateTime<Utc>>,
}

/// Every source's last good contents; the catalogue is their union.
#[derive(Debug)]
pub struct SourceSet {
    /// One per source, in the order they were given.
    slots: Vec<Slot>,
    /// Aliases and apex, applied to every union.
    naming: NamingOptions,
}

impl SourceSet {
    /// An empty set whose catalogues are named by `naming`.
    pub fn new(naming: NamingOptions) -> Self {
        SourceSet {
            slots: Vec::new(),
            naming,
        }
    }

    /// Adds a source with the contents it starts with, if any.
    pub fn add(
        &mut self,
        source: Source,
        contents: Option<SourceContents>,
        obtained: Option<DateTime<Utc>>,
    ) -> SourceId {
        self.slots.push(Slot {
            source,
            contents,
            obtained,
        });
        SourceId(self.slots.len() - 1)
    }

    /// The contents the catalogue is made of: every slot's, with `replace`
    /// standing in for its slot, and the embedded snapshot only if nothing
    /// else has contents.
    fn union(&self, replace: Option<(SourceId, &SourceContents)>) -> Vec<SourceContents> {
        let contents_of = |i: usize, slot: &Slot| match replace {
            Some((SourceId(id), contents)) if id == i => Some(contents.clone()),
            _ => slot.contents.clone(),
        };
        let others_have_contents = self
            .slots
            .iter()
            .enumerate()
            .any(|(i, slot)| slot.source != Source::Embedded && contents_of(i, slot).is_some());
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, slot)| !(others_have_contents && slot.source == Source::Embedded))
            .filter_map(|(i, slot)| contents_of(i, slot))
            .collect()
    }

    /// The catalogue these contents make.
    pub fn build(&self) -> Result<Loaded, CatalogError> {
        Catalog::build(self.union(None), &self.naming)
    }

    /// Whether the embedded snapshot is part of the catalogue.
    pub fn serves_embedded(&self) -> bool {
        self.slots
            .iter()
            .all(|slot| slot.source == Source::Embedded || slot.contents.is_none())
            && self
                .slots
                .iter()
                .any(|slot| slot.source == Source::Embedded)
    }

    /// The source in slot `id`.
    pub fn source(&self, id: SourceId) -> &Source {
        &self.slots[id.0].source
    }

    /// What is served for slot `id`, for log lines that say a failure
    /// changed nothing.
    fn serving(&self, id: SourceId) -> String {
        let slot = &self.slots[id.0];
        match (&slot.contents, slot.obtained) {
            (Some(contents), Some(at)) => format!(
                "its last good {} objects from {}",
                object_count(contents),
                at.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            (Some(contents), None) => format!("its last good {} objects", object_count(contents)),
            (None, _) if self.serves_embedded() => {
                "the embedded catalogue (no fetch has succeeded yet)".to_owned()
            }
            (None, _) => "the other sources' objects (none from it yet)".to_owned(),
        }
    }
}

/// Why new contents were not taken.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Fewer than half the objects of the source's last good contents.
    #[error(transparent)]
    Shrunk(#[from] Shrunk),
    /// The union would not make a catalogue (an `--alias` or `--apex`
    /// object would be gone).
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// New contents in service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    /// Objects in the source's new contents.
    pub objects: usize,
    /// Objects in the whole catalogue now.
    pub total: usize,
}

/// The source set behind the service's catalogue: offers of new contents come
/// here, are checked, and become the catalogue in service.
#[derive(Debug)]
pub struct LiveCatalog {
    /// Where the catalogue is swapped in.
    service: Arc<Service>,
    /// Refresh attempts by outcome, for the metrics endpoint.
    stats: Arc<RefreshStats>,
    /// `--accept-shrink`.
    accept_shrink: bool,
    /// The sources, and the warnings of the catalogue in service (so that a
    /// rebuild logs only what is new); one lock serialises every update.
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    set: SourceSet,
    warnings: HashSet<String>,
}

impl LiveCatalog {
    /// Serves `set`'s catalogue through `service` (which must already hold
    /// it; `warnings` are the ones start-up logged).
    pub fn new(
        service: Arc<Service>,
        set: SourceSet,
        stats: Arc<RefreshStats>,
        accept_shrink: bool,
        warnings: &[String],
    ) -> Self {
        LiveCatalog {
            service,
            stats,
            accept_shrink,
            inner: Mutex::new(Inner {
                set,
                warnings: warnings.iter().cloned().collect(),
            }),
        }
    }

    /// Where refresh attempts are counted.
    pub fn stats(&self) -> &RefreshStats {
        &self.stats
    }

    /// Offers new contents for source `id`, obtained at `obtained`. Unless
    /// `shrink_ok` (or `--accept-shrink`), contents with fewer than half the
    /// objects of the source's last good ones are refused. Taken contents are
    /// built into a catalogue with the other sources', prepared for now and
    /// swapped in before this returns.
    pub fn offer(
        &self,
        id: SourceId,
        contents: SourceContents,
        obtained: DateTime<Utc>,
        shrink_ok: bool,
    ) -> Result<Accepted, Refused> {
        let mut inner = self.lock();
        let objects = object_count(&contents);
        if !(shrink_ok || self.accept_shrink)
            && let Some(previous) = &inner.set.slots[id.0].contents
        {
            check_shrink(object_count(previous), objects)?;
        }
        let union = inner.set.union(Some((id, &contents)));
        let Loaded {
            mut catalog,
            warnings,
        } = Catalog::build(union, &inner.set.naming)?;
        catalog.prepare(self.service.clock().now());
        let total = catalog.objects().len();
        self.service.replace_catalog(catalog);
        let slot = &mut inner.set.slots[id.0];
        slot.contents = Some(contents);
        slot.obtained = Some(obtained);
        let warnings: HashSet<String> = warnings.into_iter().collect();
        for warning in warnings.difference(&inner.warnings) {
            tracing::warn!("{warning}");
        }
        inner.warnings = warnings;
        Ok(Accepted { objects, total })
    }

    /// What is served for source `id`, for a log line after a failure.
    pub fn serving(&self, id: SourceId) -> String {
        self.lock().set.serving(id)
    }

    /// The source in slot `id`.
    pub fn source(&self, id: SourceId) -> Source {
        self.lock().set.source(id).clone()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while the lock was held left the set as it was before the
        // update (contents are stored last), so it is safe to go on.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::AnswerPath;
    use crate::clock::Clock;
    use crate::synthetic::PlantedCost;
    use crate::zone::Zone;

    const TLE_1: &str = "1 25544U 98067A   25333.83453771  .00008010  00000+0  15237-3 0  9993";
    const TLE_2: &str = "2 25544  51.6312 206.3646 0003723 184.1118 175.9840 15.49193835540850";

    /// Contents with objects numbered `ids`, all with the ISS's elements.
    fn contents(source: Source, ids: &[u64]) -> SourceContents {
        let mut text = String::new();
        for id in ids {
            text.push_str(&format!("OBJECT {id}\n{TLE_1}\n{TLE_2}\n"));
        }
        let mut parsed = SourceContents::parse(source, &text);
        for (entry, id) in parsed.entries.iter_mut().zip(ids) {
            entry.elements.norad_id = *id;
        }
        parsed
    }

    fn url(name: &str) -> Source {
        Source::Url(format!("http://127.0.0.1/{name}"))
    }

    fn live(set: SourceSet) -> (LiveCatalog, Arc<Service>) {
        let loaded = set.build().unwrap();
        let service = Arc::new(Service::new(
            Zone::new("sat.example").unwrap(),
            Clock::frozen_at("2026-11-28T12:00:00Z").unwrap(),
            loaded.catalog,
            AnswerPath::Fast,
            PlantedCost::calibrate(0),
        ));
        let stats = Arc::new(RefreshStats::default());
        (
            LiveCatalog::new(Arc::clone(&service), set, stats, false, &loaded.warnings),
            service,
        )
    }

    fn ids(service: &Service) -> Vec<u64> {
        service
            .catalog()
            .objects()
            .iter()
            .map(|o| o.norad_id)
            .collect()
    }

    #[test]
    fn the_embedded_snapshot_serves_only_until_another_source_has_contents() {
        let mut set = SourceSet::new(NamingOptions::default());
        set.add(
            Source::Embedded,
            Some(Source::Embedded.read().unwrap()),
            None,
        );
        let a = set.add(url("a"), None, None);
        assert!(set.serves_embedded());
        let (live, service) = live(set);
        assert!(ids(&service).contains(&25544));
        assert!(live.serving(a).contains("embedded"));
        live.offer(a, contents(url("a"), &[900_001]), Utc::now(), false)
            .unwrap();
        assert_eq!(ids(&service), [900_001]);
        assert!(live.serving(a).starts_with("its last good 1 objects"));
    }

    #[test]
    fn a_failing_source_keeps_its_objects_and_drops_no_one_elses() {
        let mut set = SourceSet::new(NamingOptions::default());
        let file = Source::File("f.tle".into());
        set.add(file.clone(), Some(contents(file, &[1, 2])), None);
        let a = set.add(url("a"), Some(contents(url("a"), &[10, 11, 12, 13])), None);
        let b = set.add(url("b"), None, None);
        let (live, service) = live(set);
        assert_eq!(ids(&service), [1, 2, 10, 11, 12, 13]);
        // A lost most of its objects: refused, nothing changes.
        let err = live
            .offer(a, contents(url("a"), &[10]), Utc::now(), false)
            .unwrap_err();
        assert!(matches!(
            err,
            Refused::Shrunk(Shrunk {
                before: 4,
                after: 1
            })
        ));
        assert_eq!(ids(&service), [1, 2, 10, 11, 12, 13]);
        // B arrives: added to the union.
        let accepted = live
            .offer(b, contents(url("b"), &[20]), Utc::now(), false)
            .unwrap();
        assert_eq!(
            accepted,
            Accepted {
                objects: 1,
                total: 7
            }
        );
        // Half is not fewer than half.
        live.offer(a, contents(url("a"), &[10, 14]), Utc::now(), false)
            .unwrap();
        assert_eq!(ids(&service), [1, 2, 10, 14, 20]);
        // An operator's reload may shrink a source.
        live.offer(a, contents(url("a"), &[15]), Utc::now(), true)
            .unwrap();
        assert_eq!(ids(&service), [1, 2, 15, 20]);
    }

    #[test]
    fn contents_that_would_orphan_an_alias_are_refused() {
        let naming = NamingOptions {
            aliases: vec![("station".to_owned(), 10)],
            apex: None,
        };
        let mut set = SourceSet::new(naming);
        let a = set.add(url("a"), Some(contents(url("a"), &[10, 11])), None);
        let (live, service) = live(set);
        let err = live
            .offer(a, contents(url("a"), &[11, 12]), Utc::now(), false)
            .unwrap_err();
        assert!(err.to_string().contains("--alias station=10"), "{err}");
        assert_eq!(ids(&service), [10, 11]);
    }

    #[test]
    fn swapped_in_catalogues_are_prepared() {
        let mut set = SourceSet::new(NamingOptions::default());
        let a = set.add(url("a"), Some(contents(url("a"), &[1])), None);
        let (live, service) = live(set);
        live.offer(a, contents(url("a"), &[2]), Utc::now(), false)
            .unwrap();
        assert!(service.catalog().is_prepared_for(service.clock().now()));
    }
}
