//! satloc-server: an authoritative DNS server that answers LOC queries with where
//! satellites are right now.
//!
//! The modules depend on each other one way, from the socket down:
//!
//! * [`server`] starts everything from a checked [`config::Config`];
//! * [`http`] is the operator's HTTP endpoint: `/metrics`, `/health`, `/ready`;
//! * [`map`] is the live map page and its JSON API (`--http-listen`), drawn
//!   from the [`service`]'s catalogue and clock;
//! * [`pdns`] serves PowerDNS's remote backend over HTTP from the service;
//! * [`engine`] holds the transports, which move bytes and know no DNS; the
//!   seam they serve, [`engine::Handler`], lives with them;
//! * [`service`] implements that seam: the answer core bound to a [`clock`] and a
//!   swappable catalogue, built from plain values, counting what it answers
//!   in [`metrics`] when asked to, and rate-limiting UDP responses with
//!   [`rrl`] when asked to;
//! * [`answer`] is the pure answer core: query bytes, catalogue and instant in,
//!   response bytes out -- no sockets, no clock;
//! * [`position`] says where an object is now and its LOC record;
//! * [`catalog`] reads orbital elements (TLE, OMM JSON) and maps DNS labels to
//!   objects; [`ephemeris`] turns elements and an instant into WGS84 latitude,
//!   longitude and height; [`loc`] is the RFC 1876 LOC codec; [`zone`] holds
//!   what the zone says besides positions;
//! * [`fetch`] keeps element sets fresh from HTTP(S) sources;
//! * [`floor`] is the benchmark floor's handler (`--echo-floor`): bytes back,
//!   no DNS work;
//! * [`config`] turns the command line into a checked configuration;
//! * [`testing`] builds queries as clients send them, for tests and benches.

pub mod answer;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod engine;
pub mod ephemeris;
pub mod fetch;
pub mod floor;
pub mod http;
pub mod loc;
pub mod map;
pub mod metrics;
pub mod pdns;
pub mod position;
pub mod quantum;
pub mod rrl;
pub mod server;
pub mod service;
pub mod synthetic;
pub mod testing;
pub mod zone;
