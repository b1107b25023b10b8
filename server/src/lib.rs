//! satloc-server: an authoritative DNS server that answers LOC queries with where
//! satellites are right now.
//!
//! The crate is layered so that each part can be tested alone:
//!
//! * [`catalog`] reads orbital elements (TLE, OMM JSON) and maps DNS labels to objects;
//! * [`ephemeris`] turns elements and an instant into WGS84 latitude, longitude, height;
//! * [`loc`] is the RFC 1876 LOC codec;
//! * [`answer`] is the pure answer core: query bytes, catalogue and instant in,
//!   response bytes out -- no sockets, no clock;
//! * [`service`] binds the core to a clock and a swappable catalogue;
//! * [`engine`] holds the transports, which move bytes and know no DNS;
//! * [`config`] turns the command line into a checked configuration.

pub mod answer;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod engine;
pub mod ephemeris;
pub mod loc;
pub mod server;
pub mod service;
pub mod synthetic;
pub mod zone;
