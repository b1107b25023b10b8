//! The catalogue's name tables (FxHash, not SipHash) find exactly what a
//! plain map of the same labels finds: every label of a large catalogue, in
//! any case; every NORAD number, with leading zeros too; and nothing else.

use std::collections::HashMap;

use satloc_server::catalog::{Catalog, EMBEDDED_CATALOG, NamingOptions, Source, SourceContents};

/// Names in the shapes public catalogues use, many of each.
fn name(i: usize) -> String {
    match i % 5 {
        0 => format!("STARLINK-{i}"),
        1 => format!("COSMOS {} DEB", 2000 + i),
        2 => format!("ONEWEB-{i:04}"),
        3 => format!("Obj {i} (Test/Ž)"),
        _ => format!("GPS BIIR-{}  (PRN {})", i % 97, i),
    }
}

/// `count` copies of the embedded orbits with those names.
fn large_catalog(count: usize) -> Catalog {
    let embedded = SourceContents::parse(Source::Embedded, EMBEDDED_CATALOG);
    let entries = (0..count)
        .map(|i| {
            let mut entry = embedded.entries[i % embedded.entries.len()].clone();
            entry.elements.norad_id = 100_000 + i as u64;
            entry.elements.object_name = Some(name(i));
            entry
        })
        .collect();
    let contents = SourceContents {
        source: Source::Embedded,
        entries,
        errors: Vec::new(),
    };
    Catalog::build(vec![contents], &NamingOptions::default())
        .unwrap()
        .catalog
}

fn found(catalog: &Catalog, label: &str) -> Option<u64> {
    catalog.lookup(label.as_bytes()).map(|o| o.norad_id)
}

#[test]
fn every_label_and_number_of_a_large_catalogue_is_found_in_any_case() {
    let catalog = large_catalog(20_000);
    let labels: Vec<(String, u64)> = catalog
        .labels()
        .map(|(label, id)| (label.to_owned(), id))
        .collect();
    assert_eq!(labels.len(), 20_000, "every name made a label of its own");
    for (label, id) in &labels {
        assert_eq!(found(&catalog, label), Some(*id), "{label}");
        assert_eq!(
            found(&catalog, &label.to_ascii_uppercase()),
            Some(*id),
            "{label}"
        );
        let mixed: String = label
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        assert_eq!(found(&catalog, &mixed), Some(*id), "{mixed}");
    }
    for object in catalog.objects() {
        let id = object.norad_id;
        assert_eq!(found(&catalog, &id.to_string()), Some(id));
        assert_eq!(found(&catalog, &format!("00{id}")), Some(id));
    }
}

#[test]
fn unknown_names_are_not_found() {
    let catalog = large_catalog(20_000);
    let reference: HashMap<String, u64> = catalog
        .labels()
        .map(|(label, id)| (label.to_owned(), id))
        .collect();
    let mut probes = 0;
    for label in reference.keys() {
        // Near misses: one more character, one less, one changed.
        let mut changed = label.clone().into_bytes();
        changed[0] = if changed[0] == b'q' { b'z' } else { b'q' };
        let changed = String::from_utf8(changed).unwrap();
        for probe in [format!("{label}x"), label[1..].to_owned(), changed] {
            let expected = reference.get(&probe.to_ascii_lowercase()).copied();
            assert_eq!(found(&catalog, &probe), expected, "{probe}");
            probes += 1;
        }
    }
    assert!(probes >= 60_000);
    for probe in ["", "nothing", "99999999", "-", &"a".repeat(64), "ü", "1e3"] {
        assert_eq!(found(&catalog, probe), None, "{probe:?}");
    }
}
