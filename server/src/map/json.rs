//! The API's documents: positions and ground tracks as GeoJSON (RFC 7946),
//! the object list with each object's `dig` command, built from a catalogue
//! and an instant. Longitude comes first in GeoJSON positions, and the third
//! coordinate is the height above the WGS84 ellipsoid in metres.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use rayon::prelude::*;
use serde::Serialize;

use super::track::GroundTrack;
use crate::catalog::{Catalog, SatObject};
use crate::ephemeris::GeodeticFix;

/// A GeoJSON FeatureCollection, with the instant it describes as a foreign
/// member (`time`).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename = "FeatureCollection")]
pub struct FeatureCollection<P> {
    /// The instant of the positions, or the start of the tracks (RFC 3339).
    pub time: String,
    /// One per object.
    pub features: Vec<Feature<P>>,
}

/// A GeoJSON Feature whose id is the object's NORAD number.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename = "Feature")]
pub struct Feature<P> {
    /// The NORAD number.
    pub id: u64,
    /// Where it is or goes; `null` when it could not be propagated.
    pub geometry: Option<Geometry>,
    /// What the map shows about it.
    pub properties: P,
}

/// The GeoJSON geometries the API uses: `[lon, lat, alt_m]` positions.
#[derive(Debug, Serialize)]
#[serde(tag = "type")]
pub enum Geometry {
    /// Where an object is.
    Point {
        /// `[lon_deg, lat_deg, alt_m]`.
        coordinates: [f64; 3],
    },
    /// Where an object goes (at least two positions, as RFC 7946 requires).
    LineString {
        /// `[lon_deg, lat_deg, alt_m]` every `step_s` seconds.
        coordinates: Vec<[f64; 3]>,
    },
}

/// What every document says of an object.
#[derive(Debug, Serialize)]
pub struct Identity {
    /// The NORAD number.
    pub id: u64,
    /// The name its elements gave it.
    pub name: String,
    /// The DNS labels it answers at besides its number, shortest first.
    pub names: Vec<String>,
    /// The element set's epoch (RFC 3339).
    pub epoch: String,
    /// Seconds from the epoch to the instant of the document (negative for
    /// elements from its future).
    pub element_age_s: f64,
}

/// `/api/positions`: an object now.
#[derive(Debug, Serialize)]
pub struct PositionProperties {
    /// Who.
    #[serde(flatten)]
    pub object: Identity,
    /// Where, unless it could not be propagated.
    #[serde(flatten)]
    pub fix: Option<FixProperties>,
    /// Why there is no position, if there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A geodetic fix, with units in the names.
#[derive(Debug, Serialize)]
pub struct FixProperties {
    /// WGS84 latitude, degrees north.
    pub lat_deg: f64,
    /// Longitude, degrees east, -180..=180.
    pub lon_deg: f64,
    /// Height above the WGS84 ellipsoid, metres.
    pub alt_m: f64,
    /// Inertial speed, km/s.
    pub speed_km_s: f64,
}

/// `/api/track/<id>` and `/api/tracks`: where an object goes.
#[derive(Debug, Serialize)]
pub struct TrackProperties {
    /// Who.
    #[serde(flatten)]
    pub object: Identity,
    /// The first point's instant (RFC 3339).
    pub start: String,
    /// Seconds between points.
    pub step_s: u32,
    /// How long the track was asked to run.
    pub minutes: u32,
    /// One revolution, minutes.
    pub period_min: f64,
    /// How many points there are.
    pub points: usize,
    /// Why the track ends early, if it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `/api/objects`: the catalogue, the zone and how to ask the DNS server.
#[derive(Debug, Serialize)]
pub struct ObjectList {
    /// The zone apex.
    pub zone: String,
    /// The instant the ages are counted to (RFC 3339).
    pub time: String,
    /// Where the DNS server listens, as `dig` is to be pointed at it.
    pub dns: Vec<DnsServer>,
    /// Every object, by NORAD number.
    pub objects: Vec<ObjectEntry>,
}

/// One address of the DNS server.
#[derive(Debug, Clone, Serialize)]
pub struct DnsServer {
    /// What goes after `dig @`.
    pub server: String,
    /// What goes after `-p`.
    pub port: u16,
}

/// One object of `/api/objects`.
#[derive(Debug, Serialize)]
pub struct ObjectEntry {
    /// Who.
    #[serde(flatten)]
    pub object: Identity,
    /// The label the `dig` command asks for: its shortest, else its number.
    pub label: String,
    /// `dig @SERVER -p PORT LOC <label>.<zone>`.
    pub dig: String,
    /// One revolution, minutes.
    pub period_min: f64,
}

/// The DNS labels of every object, shortest first (then alphabetically).
#[derive(Debug, Default)]
pub struct Labels(HashMap<u64, Vec<String>>);

impl Labels {
    /// Collects the labels of `catalog`.
    pub fn of(catalog: &Catalog) -> Self {
        let mut labels: HashMap<u64, Vec<String>> = HashMap::new();
        for (label, id) in catalog.labels() {
            labels.entry(id).or_default().push(label.to_owned());
        }
        for list in labels.values_mut() {
            list.sort_unstable_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        }
        Labels(labels)
    }

    /// The labels of the object numbered `id`.
    pub fn of_object(&self, id: u64) -> &[String] {
        self.0.get(&id).map_or(&[], Vec::as_slice)
    }

    /// The label a person would type: the shortest, else the number.
    pub fn preferred(&self, id: u64) -> String {
        self.of_object(id)
            .first()
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
}

/// An instant as the documents write it.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl Identity {
    /// `object` as seen at `now`.
    pub fn of(object: &SatObject, labels: &Labels, now: DateTime<Utc>) -> Self {
        let age = now - object.epoch;
        let element_age_s = age
            .num_nanoseconds()
            .map_or(age.num_seconds() as f64, |ns| ns as f64 / 1e9);
        Identity {
            id: object.norad_id,
            name: object.name.clone(),
            names: labels.of_object(object.norad_id).to_vec(),
            // To the microsecond: the nanoseconds past that are the float
            // rounding of a TLE's day fraction, not information.
            epoch: object.epoch.to_rfc3339_opts(SecondsFormat::Micros, true),
            element_age_s,
        }
    }
}

/// `/api/positions`: every object at `now`, propagated in parallel.
pub fn positions(catalog: &Catalog, now: DateTime<Utc>) -> FeatureCollection<PositionProperties> {
    let labels = Labels::of(catalog);
    let features = catalog
        .objects()
        .par_iter()
        .map(|object| position(object, &labels, now))
        .collect();
    FeatureCollection {
        time: rfc3339(now),
        features,
    }
}

fn position(
    object: &SatObject,
    labels: &Labels,
    now: DateTime<Utc>,
) -> Feature<PositionProperties> {
    let identity = Identity::of(object, labels, now);
    let (geometry, fix, error) = match object.propagator.fix_at(now) {
        Ok(fix) => (
            Some(Geometry::Point {
                coordinates: coordinates(&fix),
            }),
            Some(FixProperties {
                lat_deg: fix.lat_deg,
                lon_deg: fix.lon_deg,
                alt_m: fix.alt_m,
                speed_km_s: fix.speed_km_s,
            }),
            None,
        ),
        Err(err) => (None, None, Some(err.to_string())),
    };
    Feature {
        id: object.norad_id,
        geometry,
        properties: PositionProperties {
            object: identity,
            fix,
            error,
        },
    }
}

/// A track as a Feature (`null` geometry if it has fewer than two points).
pub fn track(object: &SatObject, labels: &Labels, track: &GroundTrack) -> Feature<TrackProperties> {
    let coordinates: Vec<[f64; 3]> = track.points.iter().map(coordinates).collect();
    let points = coordinates.len();
    let geometry = (points >= 2).then_some(Geometry::LineString { coordinates });
    Feature {
        id: object.norad_id,
        geometry,
        properties: TrackProperties {
            object: Identity::of(object, labels, track.start),
            start: rfc3339(track.start),
            step_s: track.step_s,
            minutes: track.minutes,
            period_min: object.propagator.period_min(),
            points,
            error: track.cut_short.as_ref().map(ToString::to_string),
        },
    }
}

/// `/api/objects`: every object with its `dig` command against `dns[0]`.
pub fn objects(
    catalog: &Catalog,
    zone: &str,
    dns: Vec<DnsServer>,
    now: DateTime<Utc>,
) -> ObjectList {
    let labels = Labels::of(catalog);
    let zone_name = zone.trim_end_matches('.');
    let objects = catalog
        .objects()
        .iter()
        .map(|object| {
            let label = labels.preferred(object.norad_id);
            let dig = match dns.first() {
                Some(at) => format!("dig @{} -p {} LOC {label}.{zone_name}", at.server, at.port),
                None => format!("dig LOC {label}.{zone_name}"),
            };
            ObjectEntry {
                object: Identity::of(object, &labels, now),
                label,
                dig,
                period_min: object.propagator.period_min(),
            }
        })
        .collect();
    ObjectList {
        zone: zone.to_owned(),
        time: rfc3339(now),
        dns,
        objects,
    }
}

fn coordinates(fix: &GeodeticFix) -> [f64; 3] {
    [fix.lon_deg, fix.lat_deg, fix.alt_m]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{NamingOptions, Source};

    fn embedded() -> Catalog {
        Catalog::load(&[Source::Embedded], &NamingOptions::default())
            .unwrap()
            .catalog
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .unwrap()
            .to_utc()
    }

    #[test]
    fn positions_are_geojson_points_lon_first() {
        let catalog = embedded();
        let doc = serde_json::to_value(positions(&catalog, now())).unwrap();
        assert_eq!(doc["type"], "FeatureCollection");
        assert_eq!(doc["time"], "2026-11-28T12:00:00Z");
        let features = doc["features"].as_array().unwrap();
        assert_eq!(features.len(), catalog.objects().len());
        let iss = features.iter().find(|f| f["id"] == 25544).unwrap();
        assert_eq!(iss["type"], "Feature");
        assert_eq!(iss["geometry"]["type"], "Point");
        let fix = catalog
            .lookup(b"iss")
            .unwrap()
            .propagator
            .fix_at(now())
            .unwrap();
        let p = &iss["properties"];
        assert_eq!(p["lat_deg"], fix.lat_deg);
        assert_eq!(p["lon_deg"], fix.lon_deg);
        assert_eq!(p["alt_m"], fix.alt_m);
        assert_eq!(p["speed_km_s"], fix.speed_km_s);
        assert_eq!(
            iss["geometry"]["coordinates"],
            serde_json::json!([fix.lon_deg, fix.lat_deg, fix.alt_m])
        );
        assert_eq!(p["name"], "ISS (ZARYA)");
        assert_eq!(p["names"], serde_json::json!(["iss", "iss-zarya"]));
        assert_eq!(p["epoch"], "2025-11-29T20:01:44.058144Z");
        let age = p["element_age_s"].as_f64().unwrap();
        assert!((age / 86_400.0 - 363.67).abs() < 0.01, "{age}");
        assert!(p.get("error").is_none());
    }

    #[test]
    fn an_object_without_a_position_has_a_null_geometry_and_says_why() {
        let catalog = embedded();
        let decades = now() + chrono::TimeDelta::days(365 * 30);
        let doc = serde_json::to_value(positions(&catalog, decades)).unwrap();
        let iss = doc["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == 25544)
            .unwrap();
        assert!(iss["geometry"].is_null(), "{iss}");
        assert!(iss["properties"]["error"].is_string(), "{iss}");
        assert!(iss["properties"].get("lat_deg").is_none(), "{iss}");
    }

    #[test]
    fn every_object_has_a_dig_command_with_its_shortest_label() {
        let catalog = embedded();
        let dns = vec![DnsServer {
            server: "127.0.0.1".to_owned(),
            port: 5353,
        }];
        let list = objects(&catalog, "sat.example.", dns, now());
        assert_eq!(list.objects.len(), catalog.objects().len());
        let iss = list.objects.iter().find(|o| o.object.id == 25544).unwrap();
        assert_eq!(iss.label, "iss");
        assert_eq!(iss.dig, "dig @127.0.0.1 -p 5353 LOC iss.sat.example");
        let hst = list.objects.iter().find(|o| o.object.id == 20580).unwrap();
        assert_eq!(hst.dig, "dig @127.0.0.1 -p 5353 LOC hst.sat.example");
    }
}
