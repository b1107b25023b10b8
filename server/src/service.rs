//! The service: the answer core bound to a clock and a swappable catalogue.
//!
//! Engines call [`Handler::handle`] with the bytes they received; they know
//! nothing else about DNS. The catalogue sits behind an `ArcSwap` so a reload
//! replaces it in one atomic store while queries keep reading the old one, and
//! a failed reload simply never stores anything: the last good catalogue stays.
//! With [`Service::with_metrics`] it also counts every query it handles; with
//! [`Service::with_rate_limit`] it rate-limits UDP responses ([`crate::rrl`]),
//! except those to clients whose server cookie verified.

use std::net::IpAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::answer::{AnswerPath, Answered, Client, CookieSecret, CookieStatus};
use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::engine::{Family, Handler, Outcome, Protocol};
use crate::metrics::QueryMetrics;
use crate::rrl::{self, RateLimiter, Verdict};
use crate::synthetic::{PlantedCost, planted_cost};
use crate::zone::Zone;

/// The DNS LOC service.
#[derive(Debug)]
pub struct Service {
    /// Apex, SOA/NS contents, TTL, precision model.
    zone: Zone,
    /// Where "now" comes from: the system clock, or frozen with `--now`.
    clock: Clock,
    /// The current catalogue; replaced whole on reload.
    catalog: ArcSwap<Catalog>,
    /// Which answer path serves queries.
    path: AnswerPath,
    /// Busy work on every query's critical path, to validate profilers
    /// ([`crate::synthetic`]); none in normal service.
    planted: PlantedCost,
    /// Where queries are counted, if anywhere (`--metrics-listen`).
    metrics: Option<Arc<QueryMetrics>>,
    /// The key of the server cookies handed to clients: random per start,
    /// or shared between servers (`--cookie-secret`).
    cookie_secret: CookieSecret,
    /// Limits UDP responses per client prefix, if asked to (`--rrl-rate`).
    rate_limit: Option<RateLimiter>,
}

impl Service {
    /// A service answering for `zone` from `catalog` at the instants `clock`
    /// gives, through `path`, with `planted` extra work per query.
    pub fn new(
        zone: Zone,
        clock: Clock,
        catalog: Catalog,
        path: AnswerPath,
        planted: PlantedCost,
    ) -> Self {
        Self {
            zone,
            clock,
            catalog: ArcSwap::from_pointee(catalog),
            path,
            planted,
            metrics: None,
            cookie_secret: CookieSecret::random(),
            rate_limit: None,
        }
    }

    /// The same service, issuing server cookies keyed with `secret`.
    #[must_use]
    pub fn with_cookie_secret(mut self, secret: CookieSecret) -> Self {
        self.cookie_secret = secret;
        self
    }

    /// The same service, rate-limiting UDP responses with `limiter`.
    #[must_use]
    pub fn with_rate_limit(mut self, limiter: RateLimiter) -> Self {
        self.rate_limit = Some(limiter);
        self
    }

    /// The same service, counting every query it handles in `metrics`.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<QueryMetrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Where queries are counted, if they are.
    pub fn metrics(&self) -> Option<&Arc<QueryMetrics>> {
        self.metrics.as_ref()
    }

    /// The catalogue queries are being answered from.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.load_full()
    }

    /// Replaces the catalogue for all later queries.
    pub fn replace_catalog(&self, catalog: Catalog) {
        self.catalog.store(Arc::new(catalog));
    }

    /// Replaces the catalogue with `catalog` only if `current` is still the one
    /// in service, so a catalogue derived from `current` never undoes a reload
    /// that happened meanwhile. Says whether it replaced it.
    pub fn replace_catalog_if(&self, current: &Arc<Catalog>, catalog: Catalog) -> bool {
        let previous = self.catalog.compare_and_swap(current, Arc::new(catalog));
        Arc::ptr_eq(&previous, current)
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

impl Service {
    /// Answers one query from `peer` from the catalogue in service, at the
    /// clock's now.
    #[inline]
    fn answer(
        &self,
        query: &[u8],
        protocol: Protocol,
        peer: IpAddr,
        out: &mut Vec<u8>,
    ) -> Answered {
        if self.planted.rounds > 0 {
            planted_cost(self.planted.rounds);
        }
        let catalog = self.catalog.load();
        let now = self.clock.now();
        let client = Client {
            addr: peer,
            secret: &self.cookie_secret,
        };
        self.path
            .answer(query, protocol, &client, &self.zone, &catalog, now, out)
    }

    /// Answers, then applies the rate limit to a UDP response: `out` is sent
    /// as built, cut down to a TC reply, or not at all. Returns the outcome
    /// and, for a limited response, the limiter's verdict.
    #[inline]
    fn answer_limited(
        &self,
        query: &[u8],
        protocol: Protocol,
        peer: IpAddr,
        out: &mut Vec<u8>,
    ) -> (Outcome, Option<Verdict>) {
        let answered = self.answer(query, protocol, peer, out);
        let Some(limiter) = &self.rate_limit else {
            return (answered.outcome, None);
        };
        // TCP and a verified server cookie prove the client's address: a
        // spoofed flood can have neither.
        if protocol == Protocol::Tcp
            || answered.outcome == Outcome::Drop
            || answered.cookie == CookieStatus::Verified
        {
            return (answered.outcome, None);
        }
        match limiter.check(peer, out, rrl::now_s()) {
            Verdict::Send => (Outcome::Respond, None),
            verdict @ Verdict::Slip(_) => {
                rrl::slip::truncate(out);
                (Outcome::Respond, Some(verdict))
            }
            verdict @ Verdict::Drop(_) => {
                out.clear();
                (Outcome::Drop, Some(verdict))
            }
        }
    }
}

impl Handler for Service {
    fn handle(&self, query: &[u8], protocol: Protocol, peer: IpAddr, out: &mut Vec<u8>) -> Outcome {
        let Some(metrics) = &self.metrics else {
            return self.answer_limited(query, protocol, peer, out).0;
        };
        let started = metrics.start();
        let (outcome, limited) = self.answer_limited(query, protocol, peer, out);
        let response = (outcome == Outcome::Respond).then_some(out.as_slice());
        metrics.record(started, query, protocol, Family::of(peer), response);
        match limited {
            Some(Verdict::Slip(class)) => metrics.record_limited(class, true),
            Some(Verdict::Drop(class)) => metrics.record_limited(class, false),
            Some(Verdict::Send) | None => {}
        }
        outcome
    }
}
