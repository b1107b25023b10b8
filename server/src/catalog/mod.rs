//! The catalogue: orbital elements in, objects by DNS label out.
//!
//! A [`Catalog`] is immutable once shared (it is prepared for an instant
//! before, [`Catalog::prepare`]). Reloading builds a new one and swaps it in
//! whole (see `service.rs`), so a bad refresh can never leave the server with
//! half a catalogue: the last good one stays in place.

mod entry;
mod names;
mod omm;
mod omm_csv;
mod slot;
mod source;
mod tle;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::ephemeris::{EphemerisError, Propagator};
pub use entry::{EPOCH_YEARS, EntryError, ParsedEntry};
pub use names::{DEFAULT_ALIASES, LabelError, label_from_name, validate_label};
pub use slot::{KEY_WORDS, PositionSlot, SlotValue};
pub use source::{EMBEDDED_CATALOG, Format, Source, SourceContents};

/// One object the server can answer for.
#[derive(Debug, Clone)]
pub struct SatObject {
    /// USSPACECOM catalogue number.
    pub norad_id: u64,
    /// Name as given by the source (`NORAD <id>` when the source had none).
    pub name: String,
    /// Label derived from the name, if it has letters or digits.
    pub label: Option<String>,
    /// The element set's epoch.
    pub epoch: DateTime<Utc>,
    /// SGP4 state for the element set.
    pub propagator: Propagator,
    /// Where the element set came from, as `file:line`.
    pub origin: String,
    /// The last position computed under `--position-quantum`
    /// ([`crate::position::locate_in`]); empty in a new or copied object.
    pub position: PositionSlot,
}

/// A reference to an object on the command line: a NORAD number or a label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectRef {
    /// By catalogue number.
    Norad(u64),
    /// By label (derived name or alias), lower case.
    Label(String),
}

/// Why a reference to an object (`--apex`) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectRefError {
    /// All digits, but more than a catalogue number can be.
    #[error("NORAD number \"{0}\" is too large")]
    NumberTooLarge(String),
    /// Not a usable label.
    #[error(transparent)]
    Label(#[from] LabelError),
}

impl FromStr for ObjectRef {
    type Err = ObjectRefError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            text.parse()
                .map(ObjectRef::Norad)
                .map_err(|_| ObjectRefError::NumberTooLarge(text.to_owned()))
        } else {
            Ok(validate_label(text).map(ObjectRef::Label)?)
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectRef::Norad(id) => write!(f, "{id}"),
            ObjectRef::Label(label) => f.write_str(label),
        }
    }
}

/// How names map to objects beyond the built-in rules.
#[derive(Debug, Clone, Default)]
pub struct NamingOptions {
    /// Extra `label -> object` aliases (`--alias`). They win over derived labels.
    pub aliases: Vec<(String, u64)>,
    /// The object served at the zone apex (`--apex`).
    pub apex: Option<ObjectRef>,
}

/// Why a catalogue could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A file could not be read.
    #[error("cannot read catalogue {source_name}")]
    Unreadable {
        /// The file.
        source_name: String,
        /// What the OS said.
        #[source]
        error: std::io::Error,
    },
    /// A file held no usable element set.
    #[error("{source_name}:{line}: {message} (no usable element sets in this file{more})")]
    NothingUsable {
        /// The file.
        source_name: String,
        /// Line of the first problem.
        line: usize,
        /// The first problem.
        message: String,
        /// ", and N more problems" or empty.
        more: String,
    },
    /// `--apex` or `--alias` names something that is not there.
    #[error("{flag} {reference}: no such object in the catalogue")]
    UnknownObject {
        /// The flag that referred to it.
        flag: &'static str,
        /// What it referred to.
        reference: String,
    },
}

/// The result of a load: the catalogue and one warning per skipped entry.
#[derive(Debug)]
pub struct Loaded {
    /// The catalogue.
    pub catalog: Catalog,
    /// `file:line: problem`, one per skipped entry or clash.
    pub warnings: Vec<String>,
}

/// Objects and the names they answer at.
#[derive(Debug, Clone)]
pub struct Catalog {
    objects: Vec<SatObject>,
    /// FxHash rather than SipHash: the keys come from the catalogue, not from
    /// queries, and the label lookup is on every answer's path
    /// (`docs/case-study.md`, "The answer's cost").
    by_norad: FxHashMap<u64, usize>,
    by_label: FxHashMap<String, usize>,
    apex: Option<usize>,
}

impl Catalog {
    /// Reads every source and builds a catalogue. A source that cannot be read or
    /// has no usable entry is an error; bad entries among good ones become
    /// warnings. When several sources hold the same object the newest epoch wins.
    pub fn load(sources: &[Source], naming: &NamingOptions) -> Result<Loaded, CatalogError> {
        let contents = sources
            .iter()
            .map(read_usable)
            .collect::<Result<Vec<_>, _>>()?;
        Self::build(contents, naming)
    }

    /// Builds a catalogue from parsed sources: the newest element set of each
    /// object, then its names, then the apex.
    pub fn build(
        contents: Vec<SourceContents>,
        naming: &NamingOptions,
    ) -> Result<Loaded, CatalogError> {
        let mut warnings = Vec::new();
        let objects = newest_objects(contents, &mut warnings);
        let by_norad: FxHashMap<u64, usize> = objects
            .iter()
            .enumerate()
            .map(|(i, o)| (o.norad_id, i))
            .collect();
        let by_label = labels(&objects, &by_norad, naming, &mut warnings)?;
        let apex = match &naming.apex {
            None => None,
            Some(reference) => {
                let found = match reference {
                    ObjectRef::Norad(id) => by_norad.get(id),
                    ObjectRef::Label(label) => by_label.get(label),
                };
                Some(*found.ok_or_else(|| CatalogError::UnknownObject {
                    flag: "--apex",
                    reference: reference.to_string(),
                })?)
            }
        };
        Ok(Loaded {
            catalog: Catalog {
                objects,
                by_norad,
                by_label,
                apex,
            },
            warnings,
        })
    }

    /// Finds the object a single DNS label names: a NORAD number (leading zeros
    /// allowed), a name label or an alias, case-insensitively.
    pub fn lookup(&self, label: &[u8]) -> Option<&SatObject> {
        if label.is_empty() || label.len() > names::MAX_LABEL_LEN {
            return None;
        }
        if label.iter().all(u8::is_ascii_digit) {
            let digits = std::str::from_utf8(label).ok()?;
            let id: u64 = digits.parse().ok()?;
            return self.by_norad.get(&id).map(|&i| &self.objects[i]);
        }
        let mut lower = [0u8; names::MAX_LABEL_LEN];
        let lower = &mut lower[..label.len()];
        lower.copy_from_slice(label);
        lower.make_ascii_lowercase();
        let key = std::str::from_utf8(lower).ok()?;
        self.by_label.get(key).map(|&i| &self.objects[i])
    }

    /// The object served at the zone apex, if any.
    pub fn apex(&self) -> Option<&SatObject> {
        self.apex.map(|i| &self.objects[i])
    }

    /// All objects, by NORAD number.
    pub fn objects(&self) -> &[SatObject] {
        &self.objects
    }

    /// Every label (name labels and aliases) and the NORAD number it leads to.
    pub fn labels(&self) -> impl Iterator<Item = (&str, u64)> {
        self.by_label
            .iter()
            .map(|(label, &i)| (label.as_str(), self.objects[i].norad_id))
    }

    /// A zone serial that changes when the elements change: the newest epoch as
    /// Unix seconds (fits u32 until 2106).
    pub fn serial(&self) -> u32 {
        let newest = self
            .objects
            .iter()
            .map(|o| o.epoch.timestamp())
            .max()
            .unwrap_or(0);
        u32::try_from(newest.max(1)).unwrap_or(u32::MAX)
    }

    /// Keeps every object's resonance integrator states for the days around
    /// `at` ([`Propagator::prepare`]), so that answers near `at` cost about the
    /// same for every orbit. Call it before the catalogue is shared, and on a
    /// clone as the clock moves on; positions are the same whether it ran or not.
    pub fn prepare(&mut self, at: DateTime<Utc>) {
        self.objects
            .par_iter_mut()
            .for_each(|object| object.propagator.prepare(at));
    }

    /// Whether every object is prepared for instants near `at`.
    pub fn is_prepared_for(&self, at: DateTime<Utc>) -> bool {
        self.objects
            .iter()
            .all(|o| o.propagator.is_prepared_for(at))
    }

    /// Objects whose elements are older than `max_age` at `now`, oldest first.
    pub fn stale(&self, now: DateTime<Utc>, max_age: TimeDelta) -> Vec<&SatObject> {
        let mut stale: Vec<&SatObject> = self
            .objects
            .iter()
            .filter(|o| now - o.epoch > max_age)
            .collect();
        stale.sort_by_key(|o| o.epoch);
        stale
    }
}

/// Reads one source; one that cannot be read or has no usable entry is an
/// error naming the first problem.
pub fn read_usable(source: &Source) -> Result<SourceContents, CatalogError> {
    let read = source.read().map_err(|error| CatalogError::Unreadable {
        source_name: source.to_string(),
        error,
    })?;
    if read.entries.is_empty() {
        let (line, message) = read
            .errors
            .first()
            .map(|e| (e.line, e.message.clone()))
            .unwrap_or((
                1,
                "no element sets found (expected TLE text, OMM JSON or OMM CSV)".to_owned(),
            ));
        let more = match read.errors.len() {
            0 | 1 => String::new(),
            n => format!(", and {} more problems", n - 1),
        };
        return Err(CatalogError::NothingUsable {
            source_name: source.to_string(),
            line,
            message,
            more,
        });
    }
    Ok(read)
}

/// Every usable entry of every source as an object, keeping the newest epoch
/// of each NORAD number, sorted by number. Skipped entries become warnings.
fn newest_objects(contents: Vec<SourceContents>, warnings: &mut Vec<String>) -> Vec<SatObject> {
    let mut newest: HashMap<u64, SatObject> = HashMap::new();
    for read in contents {
        for error in &read.errors {
            warnings.push(format!(
                "{}:{}: skipped: {}",
                read.source, error.line, error.message
            ));
        }
        for entry in read.entries {
            let origin = format!("{}:{}", read.source, entry.line);
            let object = match SatObject::from_elements(&entry.elements, &origin) {
                Ok(object) => object,
                Err(err) => {
                    warnings.push(format!("{origin}: skipped: {err}"));
                    continue;
                }
            };
            match newest.get(&object.norad_id) {
                Some(existing) if existing.epoch >= object.epoch => {}
                _ => {
                    newest.insert(object.norad_id, object);
                }
            }
        }
    }
    let mut objects: Vec<SatObject> = newest.into_values().collect();
    objects.sort_by_key(|o| o.norad_id);
    objects
}

/// Every label and the object it leads to: name labels (the first object to
/// claim one keeps it, with a warning for the others), the default aliases of
/// objects that are present, then `--alias`, which wins over both.
fn labels(
    objects: &[SatObject],
    by_norad: &FxHashMap<u64, usize>,
    naming: &NamingOptions,
    warnings: &mut Vec<String>,
) -> Result<FxHashMap<String, usize>, CatalogError> {
    let mut by_label: FxHashMap<String, usize> = FxHashMap::default();
    for (i, object) in objects.iter().enumerate() {
        let Some(label) = &object.label else { continue };
        if let Some(&first) = by_label.get(label) {
            warnings.push(format!(
                "{}: name label \"{label}\" already belongs to NORAD {}; NORAD {} answers only at its number",
                object.origin, objects[first].norad_id, object.norad_id
            ));
        } else {
            by_label.insert(label.clone(), i);
        }
    }
    for &(alias, id) in DEFAULT_ALIASES {
        if let Some(&i) = by_norad.get(&id) {
            by_label.entry(alias.to_owned()).or_insert(i);
        }
    }
    for (alias, id) in &naming.aliases {
        let &i = by_norad
            .get(id)
            .ok_or_else(|| CatalogError::UnknownObject {
                flag: "--alias",
                reference: format!("{alias}={id}"),
            })?;
        by_label.insert(alias.clone(), i);
    }
    Ok(by_label)
}

impl SatObject {
    /// The object an element set describes, unless SGP4 rejects the elements.
    fn from_elements(elements: &sgp4::Elements, origin: &str) -> Result<Self, EphemerisError> {
        let propagator = Propagator::new(elements)?;
        let name = elements
            .object_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| format!("NORAD {}", elements.norad_id));
        Ok(SatObject {
            norad_id: elements.norad_id,
            label: label_from_name(&name),
            name,
            epoch: propagator.epoch(),
            propagator,
            origin: origin.to_owned(),
            position: PositionSlot::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedded() -> Catalog {
        Catalog::load(&[Source::Embedded], &NamingOptions::default())
            .unwrap()
            .catalog
    }

    #[test]
    fn embedded_catalogue_has_the_promised_objects() {
        let loaded = Catalog::load(&[Source::Embedded], &NamingOptions::default()).unwrap();
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let ids: Vec<u64> = loaded
            .catalog
            .objects()
            .iter()
            .map(|o| o.norad_id)
            .collect();
        for id in [25544, 20580, 48274, 33591, 24876, 51850, 25485] {
            assert!(ids.contains(&id), "missing {id}");
        }
    }

    #[test]
    fn names_numbers_and_aliases_resolve_case_insensitively() {
        let catalog = embedded();
        for label in ["25544", "025544", "ISS", "iss", "Iss-Zarya", "iss-zarya"] {
            assert_eq!(
                catalog.lookup(label.as_bytes()).map(|o| o.norad_id),
                Some(25544),
                "{label}"
            );
        }
        for label in ["hubble", "HST"] {
            assert_eq!(
                catalog.lookup(label.as_bytes()).map(|o| o.norad_id),
                Some(20580)
            );
        }
        for label in ["css", "tiangong", "css-tianhe"] {
            assert_eq!(
                catalog.lookup(label.as_bytes()).map(|o| o.norad_id),
                Some(48274)
            );
        }
        assert!(catalog.lookup(b"nothing").is_none());
        assert!(catalog.lookup(b"99999").is_none());
        assert!(catalog.lookup(b"").is_none());
        assert!(catalog.lookup(&[0xff, 0xfe]).is_none());
    }

    #[test]
    fn aliases_and_apex_are_checked() {
        let naming = NamingOptions {
            aliases: vec![("station".to_owned(), 25544)],
            apex: Some("iss".parse().unwrap()),
        };
        let catalog = Catalog::load(&[Source::Embedded], &naming).unwrap().catalog;
        assert_eq!(catalog.lookup(b"STATION").unwrap().norad_id, 25544);
        assert_eq!(catalog.apex().unwrap().norad_id, 25544);

        let bad_alias = NamingOptions {
            aliases: vec![("ghost".to_owned(), 1)],
            apex: None,
        };
        let err = Catalog::load(&[Source::Embedded], &bad_alias).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--alias ghost=1: no such object in the catalogue"
        );
        let bad_apex = NamingOptions {
            aliases: vec![],
            apex: Some(ObjectRef::Norad(1)),
        };
        assert!(Catalog::load(&[Source::Embedded], &bad_apex).is_err());
    }

    #[test]
    fn newest_epoch_wins_between_sources() {
        let old = "ISS\n1 25544U 98067A   25306.42331346  .00010070  00000+0  18610-3 0  9998\n2 25544  51.6344 342.0717 0004969   8.9436 351.1640 15.49700017536601\n";
        let (entries, errors) = tle::parse(old);
        assert!(errors.is_empty(), "{errors:?}");
        let loaded = Catalog::build(
            vec![
                Source::Embedded.read().unwrap(),
                SourceContents {
                    source: Source::File("old.tle".into()),
                    entries,
                    errors: vec![],
                },
            ],
            &NamingOptions::default(),
        )
        .unwrap();
        let iss = loaded.catalog.lookup(b"25544").unwrap();
        assert!(iss.origin.starts_with("<embedded"), "{}", iss.origin);
    }

    #[test]
    fn a_file_with_nothing_usable_is_an_error_naming_the_line() {
        let dir = std::env::temp_dir().join(format!("satloc-catalog-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.tle");
        std::fs::write(
            &path,
            "ISS\n1 25544U 98067A   25333.83453771  .00008010  00000+0  15237-3 0  9993\n2 25544  51.6312 206.3646 0003723 184.1118 175.9840 15.49193835540851\n",
        )
        .unwrap();
        let err =
            Catalog::load(&[Source::File(path.clone())], &NamingOptions::default()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("bad.tle:3: columns 69-69: Bad line checksum"),
            "{text}"
        );
        let missing = Catalog::load(
            &[Source::File(dir.join("missing.tle"))],
            &NamingOptions::default(),
        )
        .unwrap_err();
        assert!(
            missing.to_string().starts_with("cannot read catalogue"),
            "{missing}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
