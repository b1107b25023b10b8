//! The service: the answer core bound to a clock and a swappable catalogue.
//!
//! Transports call [`Handler::handle`] with the bytes they received; they know
//! nothing else about DNS. The catalogue sits behind an `ArcSwap` so a reload
//! replaces it in one atomic store while queries keep reading the old one, and
//! a failed reload simply never stores anything: the last good catalogue stays.

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::answer::{self, Outcome, Transport};
use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::config::Config;
use crate::synthetic::{PlantedCost, planted_cost};
use crate::zone::Zone;

/// What a transport hands each received message to.
pub trait Handler: Send + Sync + 'static {
    /// Answers `query` into `out` (cleared first). The transport sends `out` when
    /// the outcome is [`Outcome::Respond`].
    fn handle(&self, query: &[u8], transport: Transport, out: &mut Vec<u8>) -> Outcome;
}

/// The DNS LOC service.
#[derive(Debug)]
pub struct Service {
    /// Apex, SOA/NS contents, TTL, precision model.
    zone: Zone,
    /// Where "now" comes from: the system clock, or frozen with `--now`.
    clock: Clock,
    /// The current catalogue; replaced whole on reload.
    catalog: ArcSwap<Catalog>,
    /// Busy-work per query for profiler validation (`--synthetic-work-ns`).
    planted: PlantedCost,
    /// Which answer path to use (`--answer-path`); the fast path by default.
    path: AnswerPath,
}

/// Which implementation of the answer core serves queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AnswerPath {
    /// The allocation-free fast path for plain LOC queries, hickory for the rest.
    Fast,
    /// hickory-proto for everything (the reference; for A/B measurements).
    Hickory,
}

impl Service {
    /// A service answering for `zone` from `catalog`.
    pub fn new(zone: Zone, clock: Clock, catalog: Catalog) -> Self {
        Self {
            zone,
            clock,
            catalog: ArcSwap::from_pointee(catalog),
            planted: PlantedCost { rounds: 0 },
            path: AnswerPath::Fast,
        }
    }

    /// The service `config` describes, answering from `catalog`: zone, clock,
    /// answer path and planted work all come from the one place, so a flag
    /// cannot be parsed and then forgotten (`--answer-path` once was).
    pub fn from_config(config: &Config, catalog: Catalog) -> Self {
        let mut service = Self::new(config.zone.clone(), config.clock, catalog);
        service.path = config.answer_path;
        // Busy work on every query's critical path (see [`crate::synthetic`]),
        // to validate the profiler; none unless asked for.
        service.planted = PlantedCost::calibrate(config.synthetic_work_ns);
        service
    }

    /// The catalogue queries are being answered from.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.load_full()
    }

    /// Replaces the catalogue for all later queries.
    pub fn replace_catalog(&self, catalog: Catalog) {
        self.catalog.store(Arc::new(catalog));
    }

    /// The zone.
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// The clock.
    pub fn clock(&self) -> Clock {
        self.clock
    }
}

impl Handler for Service {
    fn handle(&self, query: &[u8], transport: Transport, out: &mut Vec<u8>) -> Outcome {
        if self.planted.rounds > 0 {
            planted_cost(self.planted.rounds);
        }
        let catalog = self.catalog.load();
        let (zone, now) = (&self.zone, self.clock.now());
        match self.path {
            AnswerPath::Fast => answer::answer(query, transport, zone, &catalog, now, out),
            AnswerPath::Hickory => {
                answer::answer_with_hickory(query, transport, zone, &catalog, now, out)
            }
        }
    }
}
